/*
 * ACME renewal information (RFC 9773), the profiles extension
 * (draft-aaron-acme-profiles), per-account rate limits and the bad-nonce
 * test setting, on the signer's side (signer_acme_ari.c). signer_acme.c
 * calls these at the steps they belong to; each fills the answer's
 * problem (a->status, problem, detail, retry_after, limit) when it
 * refuses, and returns -1 then.
 */
#ifndef SIGNET_SERVE_SIGNER_ACME_ARI_H
#define SIGNET_SERVE_SIGNER_ACME_ARI_H

#include <stdint.h>

#include <jansson.h>

#include "serve/signer_int.h"
#include "signet/store_acme.h"

/* Operations SERVE_ACME_ARI_FIRST..LAST: no nonce, no account. */
int signer_acme_ari_op(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, int64_t now, struct serve_acme_reply *a,
    json_t **obj);
/* The test setting serve.acme.test-bad-nonce-percent: 1 to refuse. */
int signer_acme_ari_nonce_refused(const struct signer *s);
/* newOrder, before the order is made: profile, replaces, rate limits. */
int signer_acme_ari_order_check(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, const struct signet_acme_account *acct,
    int64_t now, struct serve_acme_reply *a);
/* newOrder, once made: record what it replaces (or remove the order). */
int signer_acme_ari_order_made(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, const char *order_id, int64_t now,
    struct serve_acme_reply *a);
/* After finalize issued: the new certificate supersedes the replaced. */
void signer_acme_ari_finalized(struct signer *s, struct signet_store *st,
    const char *order_id, int64_t now);

#endif /* SIGNET_SERVE_SIGNER_ACME_ARI_H */
