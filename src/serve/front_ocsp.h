/*
 * The front end's OCSP responder: requests parsed by a small strict DER
 * reader (front_ocsp_req.c, also the fuzz target's subject), answered
 * from pre-signed responses the signer pushed (front_ocsp.c).
 */
#ifndef SIGNET_SERVE_FRONT_OCSP_H
#define SIGNET_SERVE_FRONT_OCSP_H

#include <stddef.h>
#include <stdint.h>

/* OCSPResponseStatus (RFC 6960 4.2.1) values the responder sends. */
#define OCSP_SUCCESSFUL 0
#define OCSP_MALFORMED_REQUEST 1
#define OCSP_INTERNAL_ERROR 2
#define OCSP_TRY_LATER 3
#define OCSP_UNAUTHORIZED 6

/* The largest request taken (POST body, decoded GET). */
#define OCSP_REQUEST_MAX 10000

#define OCSP_HASH_SHA1 1
#define OCSP_HASH_SHA256 2

/* The one CertID of a request (RFC 6960 4.1.1). */
struct ocsp_certid {
	int hash; /* OCSP_HASH_*, 0: a hash algorithm signet does not use */
	const uint8_t *name_hash;
	size_t name_hash_len;
	const uint8_t *key_hash;
	size_t key_hash_len;
	const uint8_t *serial; /* INTEGER content octets */
	size_t serial_len;
};

/*
 * Parse a DER OCSPRequest holding exactly one Request (RFC 5019 2.1.1).
 * 0 and *id (pointing into p), or OCSP_MALFORMED_REQUEST for anything
 * that is not DER of that shape: BER lengths, trailing bytes, no or
 * several Requests, bad INTEGERs. Extensions (a nonce) and a signature
 * are read over and ignored.
 */
int ocsp_request_parse(const uint8_t *p, size_t n, struct ocsp_certid *id);

/*
 * The request in a GET path (after "/ocsp/"): base64, with %2B %2F %3D
 * and the like decoded first. 0 and the DER in out[*n], or -1.
 */
int
ocsp_request_from_path(const char *path, uint8_t *out, size_t cap, size_t *n);

#endif /* SIGNET_SERVE_FRONT_OCSP_H */
