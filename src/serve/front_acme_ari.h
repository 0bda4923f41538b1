/*
 * ACME renewal information (RFC 9773), the profiles extension
 * (draft-aaron-acme-profiles) and rate-limit counts in the front end
 * (front_acme_ari.c); front_acme.c calls these. docs/acme.md.
 */
#ifndef SIGNET_SERVE_FRONT_ACME_ARI_H
#define SIGNET_SERVE_FRONT_ACME_ARI_H

#include <stddef.h>

#include <jansson.h>

#include "serve/front.h"

/* One ACME round trip to the signer (front_acme.c); -1: no answer. */
int front_acme_roundtrip(const struct serve_acme *q, struct serve_acme_reply *a,
    uint8_t **buf);
/* Add renewalInfo and meta.profiles to a directory object. */
void front_acme_ari_directory(json_t *dir, const char *base);
/*
 * newOrder's "profile" and "replaces" into q (profile, object = serial,
 * detail = key id). 0, or -1 with the problem type and why.
 */
int front_acme_ari_order(const json_t *payload, struct serve_acme *q,
    const char **problem_type, const char **why);
/* GET <base>renewal-info/<certID>: the whole answer. */
int front_acme_ari_renewal_info(struct front_ctx *x, const char *cert_id);
/* Count a refusal of the signer's for /metrics (rateLimited by limit). */
void front_acme_ari_count(const struct serve_acme_reply *a);
/* The counts as Prometheus text at buf + off; the new offset. */
size_t front_acme_ari_metrics(char *buf, size_t off, size_t cap);

#endif /* SIGNET_SERVE_FRONT_ACME_ARI_H */
