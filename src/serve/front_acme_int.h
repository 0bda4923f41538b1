/*
 * Shared by the front end's ACME files: front_acme.c (routing, JWS
 * checks, orders, challenges, finalize) and front_acme_account.c
 * (external account binding, account changes, orders lists,
 * authorization deactivation, revocation by certificate key).
 */
#ifndef SIGNET_SERVE_FRONT_ACME_INT_H
#define SIGNET_SERVE_FRONT_ACME_INT_H

#include <jansson.h>
#include <microhttpd.h>

#include "serve/acme_jwk.h"
#include "serve/acme_jws.h"
#include "serve/front.h"
#include "serve/front_acme.h"

/* One ACME request being answered. */
struct acme_req {
	struct front_ctx *x;
	char profile[SERVE_ACME_FIELD_MAX + 1];
	const char *rest;                     /* after /acme/<profile>/ */
	char base[ACME_URL_MAX + 1];          /* https://host/acme/<profile>/ */
	char nonce[SERVE_ACME_FIELD_MAX + 1]; /* for Replay-Nonce */
	struct acme_jws j;
	char account[SERVE_ACME_FIELD_MAX + 1];
	char thumb[ACME_THUMB_LEN + 1];
	uint32_t retry_after; /* for Retry-After; 0: none */
};

/* front_acme.c, for front_acme_account.c */
int
front_acme_problem(struct acme_req *rq, const char *type, const char *detail);
/* Check the JWS (want_jwk 1: jwk, 0: kid, 2: either); -1: answered. */
int front_acme_verify(struct acme_req *rq, int want_jwk, int *ret);
/* Ask the signer: 0 with *obj, 1 refused (answered), -1 (answered). */
int front_acme_ask(struct acme_req *rq, struct serve_acme *q, json_t **obj,
    int *ret);
struct serve_acme *front_acme_new_q(struct acme_req *rq, uint8_t op);
int front_acme_send_json(struct acme_req *rq, unsigned status, json_t *obj,
    const char *location, const char *up);
/* Cache-Control, Replay-Nonce (a fresh one if none yet), Link index. */
void front_acme_headers(struct acme_req *rq, struct MHD_Response *resp);
json_t *front_acme_render_account(struct acme_req *rq, const json_t *a);
json_t *front_acme_render_authz(struct acme_req *rq, const json_t *z);
/* The "contact" of a payload checked and as JSON text into out. 0 or -1. */
int front_acme_contact(struct acme_req *rq, const json_t *payload, char *out,
    size_t cap, int *ret);

/* front_acme_account.c, called from front_acme.c */
/*
 * newAccount: the externalAccountBinding of the payload (or its absence
 * where the directory requires one) into q; *der (free it) holds what
 * q->der points to. -1: answered.
 */
int front_acme_eab(struct acme_req *rq, const json_t *payload,
    struct serve_acme *q, uint8_t **der, int *ret);
/* POST .../acct/<id> with contact; the JWS is verified. */
int front_acme_account_update(struct acme_req *rq, const char *id);
/* POST .../authz/<id> with {"status": "deactivated"}; verified. */
int front_acme_authz_deactivate(struct acme_req *rq, const char *id);
int front_acme_key_change(struct acme_req *rq);
/* 1 if rest is acct/<id>/orders or acct/<id>/orders/<position>. */
int front_acme_orders_path(const char *rest);
int front_acme_orders(struct acme_req *rq);
/* revokeCert signed with a jwk: by the certificate's key. 0 or -1. */
int
front_acme_revoke_by_key(struct acme_req *rq, struct serve_acme *q, int *ret);

/*
 * front_acme_keys.c: the cache of account keys (bounded; thread-safe).
 * get: 0 with *key (EVP_PKEY_free it) and its thumbprint, -1 if absent.
 * put: keeps a reference to key. drop: forgets account's entry if it
 * still holds thumb; refused 1: the signer refused it (counted), 0: the
 * signature did not verify with it.
 */
int front_acme_key_get(const char *account, EVP_PKEY **key,
    char thumb[ACME_THUMB_LEN + 1]);
void front_acme_key_put(const char *account, EVP_PKEY *key, const char *thumb);
void front_acme_key_drop(const char *account, const char *thumb, int refused);
/* The cache's counters for /metrics, appended at off; the new offset. */
size_t front_acme_key_metrics(char *buf, size_t off, size_t cap);

#endif /* SIGNET_SERVE_FRONT_ACME_INT_H */
