/*
 * Shared by the signer's ACME files: signer_acme.c (nonces, orders,
 * challenges, finalize, revocation by the orderer) and
 * signer_acme_account.c (external account binding, account changes,
 * the other ways to revoke).
 */
#ifndef SIGNET_SERVE_SIGNER_ACME_INT_H
#define SIGNET_SERVE_SIGNER_ACME_INT_H

#include <stdarg.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "serve/signer_int.h"
#include "signet/store_acme.h"

/* One ACME request being answered. */
struct acme_ctx {
	struct signer *s;
	struct signet_store *st;
	const struct serve_acme *q;
	struct serve_acme_reply a;
	struct signet_acme_account acct;
	int acct_read; /* acct read by the key check, before the nonce */
	json_t *obj;   /* the answer's object */
	char *pem;
	size_t pem_len;
	int64_t now;
};

/* signer_acme.c, for signer_acme_account.c */
void signer_acme_vproblem(struct acme_ctx *x, int status, const char *type,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
int signer_acme_problem(struct acme_ctx *x, int status, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int signer_acme_internal(struct acme_ctx *x, int r);
int signer_acme_account_load(struct acme_ctx *x);
json_t *signer_acme_account_json(const struct signet_acme_account *a);
json_t *signer_acme_authz_json(const struct signet_acme_authz *z);
int signer_acme_cert_serial(X509 *cert, char out[41]);

/*
 * signer_acme_account.c. The ops 14-23 (SERVE_ACME_ACCOUNT_NEW_EAB ...),
 * after the nonce is spent.
 */
int signer_acme_account_dispatch(struct acme_ctx *x);
/* newAccount without a binding: refused where the profile requires one. */
int signer_acme_eab_check(struct acme_ctx *x);
/* newOrder: the account's binding, the profile's names. 0 or -1. */
int signer_acme_order_check(struct acme_ctx *x);
/*
 * revokeCert by an account that did not order the certificate: allowed
 * if it holds valid authorizations for all of its names. 0 or -1.
 */
int signer_acme_revoke_authorized(struct acme_ctx *x, const char *serial);
/* Audit an account event (created is read from x->obj for NEW). */
void signer_acme_audit(struct acme_ctx *x, enum signet_audit_event ev,
    const char *serial);

#endif /* SIGNET_SERVE_SIGNER_ACME_INT_H */
