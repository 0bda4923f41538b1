/*
 * The request parser of the ACME front end (RFC 8555 6.2, RFC 7515 7.2.2):
 * a flattened JWS JSON body, taken apart and checked before any key is
 * looked at. Pure parsing (jansson and the JWK code), so that the fuzz
 * target runs it on its own.
 */
#ifndef SIGNET_SERVE_ACME_JWS_H
#define SIGNET_SERVE_ACME_JWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ACME_URL_MAX 512
#define ACME_NONCE_MAX 64

struct acme_jws {
	char alg[8];
	char nonce[ACME_NONCE_MAX + 1];
	char url[ACME_URL_MAX + 1];
	char kid[ACME_URL_MAX + 1]; /* "" when jwk */
	json_t *jwk;                /* NULL when kid */
	json_t *payload;            /* NULL for POST-as-GET (empty payload) */
	uint8_t *input;             /* "protected.payload", what is signed */
	size_t input_len;
	uint8_t *sig;
	size_t sig_len;
};

/*
 * Parse body into j (acme_jws_free it, also after a failure): 0, or -1
 * with *problem (the RFC 8555 error type after "urn:...:error:") and
 * *detail saying why. Refused: anything but an object with exactly
 * protected, payload and signature; an algorithm other than ES256,
 * ES384, ES512, RS256 (badSignatureAlgorithm); a protected header
 * without nonce or url, with both or neither of jwk and kid, or with
 * crit or any member outside alg, nonce, url, jwk, kid; a payload
 * that is neither empty nor a JSON object.
 */
int acme_jws_parse(const uint8_t *body, size_t len, struct acme_jws *j,
    const char **problem, const char **detail);
void acme_jws_free(struct acme_jws *j);

#endif /* SIGNET_SERVE_ACME_JWS_H */
