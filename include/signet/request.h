/*
 * A normalised, validated certificate request: what the policy engine
 * makes of an untrusted CSR (or of a public key and names given in a
 * ceremony file), and the only thing src/x509 builds a certificate from.
 * Nothing downstream looks at the raw CSR again.
 */
#ifndef SIGNET_REQUEST_H
#define SIGNET_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signet/profile.h"

enum signet_san_type {
	SIGNET_SAN_DNS,
	SIGNET_SAN_IP,
	SIGNET_SAN_EMAIL,
	SIGNET_SAN_URI,
};

struct signet_san {
	enum signet_san_type type;
	/*
	 * Normalised text: DNS lower-case A-labels; IP in canonical text form
	 * (inet_ntop); email with a lower-cased domain; URI in its RFC 3986
	 * 6.2.2 normal form (util/names.h).
	 */
	char *value;
	uint8_t ip[16]; /* SIGNET_SAN_IP only */
	size_t ip_len;  /* 4 or 16 */
};

struct signet_request {
	const struct signet_profile *profile; /* borrowed */
	X509_NAME *subject;                   /* built by the policy engine */
	struct signet_san *sans;              /* deduplicated, request order */
	size_t n_sans;
	EVP_PKEY *pubkey;        /* the subject's public key */
	uint8_t spki_sha256[32]; /* SHA-256 of the DER SubjectPublicKeyInfo */
	/*
	 * That DER SubjectPublicKeyInfo, as checked (NULL if the request was
	 * made otherwise): certificate building takes it from here rather
	 * than encoding pubkey again, which OpenSSL 3 makes slow.
	 */
	uint8_t *spki_der;
	size_t spki_der_len;
	int64_t validity; /* seconds: requested, or profile default */

	/*
	 * Added by the policy engine. key_usage is the profile's key_usage
	 * narrowed to what this key's algorithm may assert (RFC 5480 3: no
	 * keyEncipherment or dataEncipherment for EC keys; RFC 3279 2.3.1:
	 * no keyAgreement for RSA keys): build keyUsage from this field.
	 * notes say what normalisation did (duplicate SANs removed, CSR
	 * extensions ignored), for the audit log.
	 */
	unsigned key_usage; /* enum signet_ku bits */
	struct signet_strlist notes;
};

void signet_request_free(struct signet_request *req);

#endif /* SIGNET_REQUEST_H */
