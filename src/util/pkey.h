/*
 * Public keys built from their numbers (EVP_PKEY_fromdata), shared by the
 * policy engine (CSR keys) and the ACME front end (account keys): OpenSSL
 * 3 sets up its provider decoders for every key it decodes with d2i,
 * under global locks, and builds a curve's whole group for every EC key
 * made from a group name.
 */
#ifndef SIGNET_UTIL_PKEY_H
#define SIGNET_UTIL_PKEY_H

#include <stddef.h>

#include <openssl/core.h>
#include <openssl/evp.h>

/* A key of type ("RSA", "EC") from params, or NULL. */
EVP_PKEY *
pkey_from_params(const char *type, const OSSL_PARAM *params, int selection);

/*
 * A public key on a named curve (an OpenSSL group name) from its encoded
 * point, or NULL; OpenSSL checks that the point is on the curve. P-256,
 * P-384 and P-521 are copies of their curve's parameters, built once per
 * process; other groups are built from their name.
 */
EVP_PKEY *
pkey_ec_from_point(const char *group, const unsigned char *pk, size_t len);

#endif /* SIGNET_UTIL_PKEY_H */
