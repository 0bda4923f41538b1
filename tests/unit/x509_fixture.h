/*
 * Helpers for the x509 tests: profiles and requests built directly in C
 * (as the policy engine would fill them), software "token" CAs, and
 * issuing through the whole prepare / lint / sign flow.
 */
#ifndef SIGNET_TEST_X509_FIXTURE_H
#define SIGNET_TEST_X509_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signet/lint.h"
#include "signet/profile.h"
#include "signet/request.h"
#include "signet/signer.h"
#include "signet/x509.h"

/* Profiles (static storage: valid for the whole test process). */
const struct signet_profile *tx_profile_server(void);
const struct signet_profile *tx_profile_client(void);
const struct signet_profile *tx_profile_mtls(void); /* SPIFFE, no subject */
const struct signet_profile *tx_profile_intermediate(void); /* with NC */
const struct signet_profile *tx_profile_root(void);
/* A modifiable copy of a profile (free with tx_profile_free). */
struct signet_profile *tx_profile_dup(const struct signet_profile *p);
void tx_profile_free(struct signet_profile *p);

/* "P-256", "P-384", "P-521", "RSA" (2048; cached per process). */
EVP_PKEY *tx_key(const char *type);
/* A fresh key each call. */
EVP_PKEY *tx_key_new(const char *type);

/*
 * A request: subject CN (NULL: empty subject), names as "dns:...",
 * "ip:...", "uri:...", "email:..." (NULL-terminated), validity 0 =
 * profile default.
 */
struct signet_request *tx_request(const struct signet_profile *p, EVP_PKEY *key,
    const char *cn, const char *const *names);
void tx_request_free(struct signet_request *r);

/* A CA whose "token" is a software signer. */
struct tx_ca {
	EVP_PKEY *key;
	struct signet_signer *signer;
	struct signet_issuer *issuer;
	X509 *cert;
	uint8_t *der;
	size_t len;
};

/* A self-signed root of key type with tx_profile_root() (or profile). */
void tx_ca_root(struct tx_ca *ca, const char *type,
    const struct signet_profile *profile, const char *cn);
/* An intermediate under parent. */
void tx_ca_sub(struct tx_ca *ca, struct tx_ca *parent, const char *type,
    const struct signet_profile *profile, const char *cn);
void tx_ca_free(struct tx_ca *ca);

/*
 * prepare + lint + sign; returns the first failure code. *der set on
 * success; *report (if not NULL) receives the lint report.
 */
int tx_issue(struct tx_ca *ca, struct signet_request *req,
    struct signet_signer *signer, uint8_t **der, size_t *len,
    struct signet_lint_report **report);

/* Write DER as PEM ("CERTIFICATE", "X509 CRL") to path. */
void tx_write_pem(const char *path, const char *type, const uint8_t *der,
    size_t len);
/* Write several certificates' PEM to one file. */
void tx_write_chain(const char *path, const uint8_t *const *ders,
    const size_t *lens, size_t n);

/* Serial from OpenSSL's generator. */
struct signet_serial tx_serial(void);

#endif /* SIGNET_TEST_X509_FIXTURE_H */
