/*
 * JSON Web Keys of ACME accounts (RFC 7517, 7518 6, 7638), shared by the
 * front end (which verifies JWS signatures with them) and the signer
 * (which computes the thumbprint and key hash it stores itself, and
 * compares a CSR's key with the account's). Only what ACME accounts may
 * use: EC P-256, P-384, P-521 and RSA of 2048 to 8192 bits.
 */
#ifndef SIGNET_SERVE_ACME_JWK_H
#define SIGNET_SERVE_ACME_JWK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#define ACME_THUMB_LEN 43
#define ACME_JWK_TEXT_MAX 2048

/*
 * Strict base64url without padding (RFC 7515 2): 0 and a fresh buffer
 * (*out, free()), or -1 for any other character, padding or stray bits.
 */
int acme_b64url_decode(const char *in, size_t len, uint8_t **out, size_t *n);
/* Into out (room for 4 * ceil(n / 3) + 1); returns the length. */
size_t acme_b64url_encode(const uint8_t *in, size_t n, char *out);

/*
 * The key of a JWK object: 0 with *key (EVP_PKEY_free it), the RFC 7638
 * thumbprint in thumb, and the JWK with only its required members in
 * canonical order in text (what the store keeps); -1 with *why for a
 * key type, curve or size ACME accounts may not use, or a malformed one.
 */
int
acme_jwk_load(const json_t *jwk, EVP_PKEY **key, char thumb[ACME_THUMB_LEN + 1],
    char text[ACME_JWK_TEXT_MAX + 1], const char **why);

/*
 * Check a JWS signature (RFC 7515 5.2) with alg over "protected.payload"
 * (signing_input): ES256/384/512 take r || s, RS256 a PKCS#1 v1.5
 * signature. The algorithm must fit the key (ES256 with P-256...). 0 or
 * -1 with *why.
 */
int acme_jws_verify(EVP_PKEY *key, const char *alg, const uint8_t *input,
    size_t input_len, const uint8_t *sig, size_t sig_len, const char **why);

#endif /* SIGNET_SERVE_ACME_JWK_H */
