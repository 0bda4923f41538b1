/*
 * ACME state in the store (RFC 8555, docs/acme.md): nonces, accounts,
 * orders, authorizations and challenges. Only the signer of `signet serve`
 * writes them; every state change is one transaction that checks the
 * state it starts from, so two service nodes sharing a database see one
 * ACME service (a nonce is spent once, an order is finalized once).
 *
 * Identifiers of objects are 32 lower-case hex digits from the OpenSSL
 * random generator; challenge tokens are 43 base64url characters (32
 * random bytes, RFC 8555 8.3). Errors: SIGNET_ERR_NOT_FOUND (no such
 * object, or a nonce unknown, spent or expired), SIGNET_ERR_CONFLICT (the
 * object is not in the state the change starts from), SIGNET_ERR_USAGE
 * (a field out of its limits), SIGNET_ERR_STORE.
 */
#ifndef SIGNET_STORE_ACME_H
#define SIGNET_STORE_ACME_H

#include <stddef.h>
#include <stdint.h>

#include "signet/store.h"

#define SIGNET_ACME_ID_LEN 32
#define SIGNET_ACME_TOKEN_LEN 43
#define SIGNET_ACME_THUMB_LEN 43 /* base64url SHA-256, RFC 7638 */
#define SIGNET_ACME_MAX_IDS 20   /* identifiers per order */
#define SIGNET_ACME_IDENT_MAX 260
#define SIGNET_ACME_JWK_MAX 2048
#define SIGNET_ACME_CONTACT_MAX 512
#define SIGNET_ACME_PROFILE_MAX 64
#define SIGNET_ACME_ERROR_MAX 256
#define SIGNET_ACME_STATUS_MAX 15

/*
 * A fresh nonce valid until now + ttl seconds, in out. Spent nonces and
 * expired ones are deleted as it goes.
 */
int signet_store_acme_nonce_new(struct signet_store *st, int64_t now,
    int64_t ttl, char out[SIGNET_ACME_ID_LEN + 1]) SIGNET_WUR;
/* Spend a nonce: 0 once, SIGNET_ERR_NOT_FOUND for any later try. */
int signet_store_acme_nonce_use(struct signet_store *st, const char *nonce,
    int64_t now) SIGNET_WUR;
/*
 * Both in one transaction: spend nonce and store a fresh one (valid until
 * now + ttl) in out. 0 when nonce was good; SIGNET_ERR_NOT_FOUND when it
 * was not, with the fresh nonce in out all the same; another error with
 * out empty.
 */
int signet_store_acme_nonce_swap(struct signet_store *st, const char *nonce,
    int64_t now, int64_t ttl, char out[SIGNET_ACME_ID_LEN + 1]) SIGNET_WUR;

struct signet_acme_account {
	char id[SIGNET_ACME_ID_LEN + 1];
	char thumbprint[SIGNET_ACME_THUMB_LEN + 1];
	char spki_sha256[65];                    /* hex, of the account key */
	char status[SIGNET_ACME_STATUS_MAX + 1]; /* valid, deactivated */
	char jwk[SIGNET_ACME_JWK_MAX + 1];
	char contact[SIGNET_ACME_CONTACT_MAX + 1]; /* JSON array text */
	int64_t created_at;
};

/*
 * Register the account with a->thumbprint, spki_sha256, jwk, contact:
 * a->id and status are filled and *created is 1; an account with that
 * thumbprint already there fills *a instead and *created is 0.
 */
int signet_store_acme_account_new(struct signet_store *st,
    struct signet_acme_account *a, int64_t now, int *created) SIGNET_WUR;
/* By id, or (id NULL) by thumbprint. */
int signet_store_acme_account_get(struct signet_store *st, const char *id,
    const char *thumbprint, struct signet_acme_account *a) SIGNET_WUR;

/* valid -> deactivated (RFC 8555 7.3.6), for good. */
int signet_store_acme_account_deactivate(struct signet_store *st,
    const char *id) SIGNET_WUR;

struct signet_acme_order {
	char id[SIGNET_ACME_ID_LEN + 1];
	char account[SIGNET_ACME_ID_LEN + 1];
	char profile[SIGNET_ACME_PROFILE_MAX + 1];
	char status[SIGNET_ACME_STATUS_MAX + 1];
	int64_t expires;
	size_t n_ids;
	/* "dns:NAME" or "ip:ADDRESS", as sent to signet_ca_issue */
	char ids[SIGNET_ACME_MAX_IDS][SIGNET_ACME_IDENT_MAX + 1];
	char authz[SIGNET_ACME_MAX_IDS][SIGNET_ACME_ID_LEN + 1];
	char serial[41]; /* once valid */
	char error[SIGNET_ACME_ERROR_MAX + 1];
};

/*
 * Create an order from o->account, profile, n_ids and ids (distinct),
 * with one pending authorization per identifier, each with pending
 * challenges of their own tokens: dns-01 only for a wildcard
 * ("dns:*.example.com"), http-01 and tls-alpn-01 for an address,
 * http-01, dns-01 and tls-alpn-01 for other names; all expire at now +
 * ttl. Fills id, status, expires and authz.
 */
int signet_store_acme_order_new(struct signet_store *st,
    struct signet_acme_order *o, int64_t now, int64_t ttl) SIGNET_WUR;
int signet_store_acme_order_get(struct signet_store *st, const char *id,
    struct signet_acme_order *o) SIGNET_WUR;
/* The order whose certificate has this serial (canonical hex). */
int signet_store_acme_order_by_serial(struct signet_store *st,
    const char *serial, struct signet_acme_order *o) SIGNET_WUR;
/*
 * Finalize, step 1: ready -> processing, only if every authorization of
 * the order is valid and it has not expired (SIGNET_ERR_CONFLICT
 * otherwise). Exactly one caller wins.
 */
int signet_store_acme_order_finalize(struct signet_store *st, const char *id,
    int64_t now) SIGNET_WUR;
/*
 * Step 2: processing -> valid with serial; or (serial NULL) invalid with
 * error; or (both NULL: the CSR was refused) ready again.
 */
int signet_store_acme_order_done(struct signet_store *st, const char *id,
    const char *serial, const char *error, int64_t now) SIGNET_WUR;

#define SIGNET_ACME_MAX_CHALLENGES 3
struct signet_acme_challenge {
	char id[SIGNET_ACME_ID_LEN + 1];
	char type[16];
	char token[SIGNET_ACME_TOKEN_LEN + 1];
	char status[SIGNET_ACME_STATUS_MAX + 1];
	int64_t validated_at; /* 0 unless valid */
	char error[SIGNET_ACME_ERROR_MAX + 1];
};

struct signet_acme_authz {
	char id[SIGNET_ACME_ID_LEN + 1];
	char order[SIGNET_ACME_ID_LEN + 1];
	char account[SIGNET_ACME_ID_LEN + 1];
	char identifier[SIGNET_ACME_IDENT_MAX + 1];
	char status[SIGNET_ACME_STATUS_MAX + 1];
	int64_t expires;
	size_t n_chall;
	struct signet_acme_challenge chall[SIGNET_ACME_MAX_CHALLENGES];
};

/* By id, or (id NULL) the authorization holding challenge chall_id. */
int signet_store_acme_authz_get(struct signet_store *st, const char *id,
    const char *chall_id, struct signet_acme_authz *a) SIGNET_WUR;
/*
 * A client asked for a challenge to be checked: pending -> processing,
 * while its authorization is pending and unexpired.
 */
int signet_store_acme_challenge_start(struct signet_store *st,
    const char *chall_id, int64_t now) SIGNET_WUR;
/*
 * The check's outcome: processing -> valid (the authorization becomes
 * valid, and the order ready once all of its are) or invalid with error
 * (the authorization and its order become invalid).
 */
int signet_store_acme_challenge_finish(struct signet_store *st,
    const char *chall_id, int valid, const char *error, int64_t now) SIGNET_WUR;

#endif /* SIGNET_STORE_ACME_H */
