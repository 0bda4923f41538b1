/*
 * ACME accounts beyond registration (docs/acme.md): external account
 * binding keys, contact updates, key changes, the orders of an account,
 * authorization deactivation, and the authorizations an account holds.
 * Errors as in signet/store_acme.h: SIGNET_ERR_NOT_FOUND,
 * SIGNET_ERR_CONFLICT (not in the state the change starts from),
 * SIGNET_ERR_USAGE (a field out of its limits), SIGNET_ERR_STORE.
 */
#ifndef SIGNET_STORE_ACME_ACCOUNT_H
#define SIGNET_STORE_ACME_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "signet/store_acme.h"

/* ---- external account binding (RFC 8555 7.3.4) ------------------------- */

#define SIGNET_ACME_EAB_KID_LEN 32 /* hex */
#define SIGNET_ACME_EAB_KEY_LEN 43 /* base64url of 32 bytes */
#define SIGNET_ACME_EAB_COMMENT_MAX 256

struct signet_acme_eab {
	char kid[SIGNET_ACME_EAB_KID_LEN + 1];
	char profile[SIGNET_ACME_PROFILE_MAX + 1];
	char comment[SIGNET_ACME_EAB_COMMENT_MAX + 1];
	int64_t created_at;
	char account[SIGNET_ACME_ID_LEN + 1]; /* "" until bound */
	int64_t bound_at;                     /* 0 until bound */
	int64_t revoked_at;                   /* 0 unless revoked */
};

/*
 * Record a key: kid (32 lower-case hex digits) and hmac_key (43 base64url
 * characters) made by the caller from the random generator.
 */
int signet_store_acme_eab_add(struct signet_store *st, const char *kid,
    const char *hmac_key, const char *profile, const char *comment, int64_t now)
    SIGNET_WUR;
/*
 * One key by kid; with hmac_key not NULL the MAC key too (the caller
 * wipes it). SIGNET_ERR_NOT_FOUND if there is none.
 */
int signet_store_acme_eab_get(struct signet_store *st, const char *kid,
    struct signet_acme_eab *e, char hmac_key[SIGNET_ACME_EAB_KEY_LEN + 1])
    SIGNET_WUR;
typedef int (*signet_acme_eab_cb)(const struct signet_acme_eab *e, void *arg);
/* Every key, oldest first; a non-zero cb return stops and is returned. */
int signet_store_acme_eab_foreach(struct signet_store *st,
    signet_acme_eab_cb cb, void *arg) SIGNET_WUR;
/* Revoke: SIGNET_ERR_CONFLICT if it already is. */
int signet_store_acme_eab_revoke(struct signet_store *st, const char *kid,
    int64_t now) SIGNET_WUR;
/*
 * newAccount with a checked binding, in one transaction: the account of
 * a->thumbprint (made as signet_store_acme_account_new does if there is
 * none) is bound to key kid, which must be for profile, not revoked, and
 * not bound to another account (SIGNET_ERR_CONFLICT otherwise: nothing
 * is created).
 */
int signet_store_acme_account_new_eab(struct signet_store *st,
    struct signet_acme_account *a, const char *kid, const char *profile,
    int64_t now, int *created) SIGNET_WUR;
/* Whether account holds an unrevoked key for profile (*bound 1 or 0). */
int signet_store_acme_account_eab_bound(struct signet_store *st,
    const char *account, const char *profile, int *bound) SIGNET_WUR;

/* ---- account changes (RFC 8555 7.3.2, 7.3.5) ---------------------------- */

/* A valid account's contact (a JSON array's text). */
int signet_store_acme_account_contact(struct signet_store *st, const char *id,
    const char *contact) SIGNET_WUR;
/*
 * Roll a valid account over to a new key (thumbprint, spki_sha256, jwk of
 * nk). A key that another account has: SIGNET_ERR_CONFLICT with that
 * account's id in other (else other is "").
 */
int signet_store_acme_account_rekey(struct signet_store *st, const char *id,
    const struct signet_acme_account *nk, char other[SIGNET_ACME_ID_LEN + 1])
    SIGNET_WUR;

/* ---- orders and authorizations ------------------------------------------ */

#define SIGNET_ACME_ORDERS_PAGE 50
/*
 * The account's orders from position start (oldest first), at most
 * SIGNET_ACME_ORDERS_PAGE into ids; *more is 1 when there are others
 * after them.
 */
int signet_store_acme_orders_list(struct signet_store *st, const char *account,
    int64_t start, char ids[][SIGNET_ACME_ID_LEN + 1], size_t *n, int *more)
    SIGNET_WUR;
/*
 * pending or valid -> deactivated (RFC 8555 7.5.2); its order, if still
 * pending or ready, becomes invalid.
 */
int signet_store_acme_authz_deactivate(struct signet_store *st, const char *id,
    int64_t now) SIGNET_WUR;
/* Whether account holds a valid, unexpired authorization for identifier. */
int signet_store_acme_authz_held(struct signet_store *st, const char *account,
    const char *identifier, int64_t now, int *held) SIGNET_WUR;

#endif /* SIGNET_STORE_ACME_ACCOUNT_H */
