/*
 * ACME renewal information (RFC 9773) and per-account limits in the store
 * (docs/acme.md): the certificates an operator wants replaced early, the
 * order that replaces a certificate, and the counts the rate limits are
 * decided on. Only the signer of `signet serve` and `signet acme
 * renew-early` write them. Errors as in signet/store_acme.h.
 */
#ifndef SIGNET_STORE_ACME_ARI_H
#define SIGNET_STORE_ACME_ARI_H

#include <stddef.h>
#include <stdint.h>

#include "signet/store.h"
#include "signet/store_acme.h"

/*
 * Ask for early renewal of the certificate serial of issuer, or (serial
 * NULL) of every issued, unexpired certificate of issuer, of profile if
 * not NULL. *marked: how many were not asked for before. One certificate
 * must be issued and unexpired (SIGNET_ERR_CONFLICT) and known
 * (SIGNET_ERR_NOT_FOUND).
 */
int signet_store_acme_renew_early(struct signet_store *st, const char *issuer,
    const char *serial, const char *profile, int64_t now, int64_t *marked)
    SIGNET_WUR;

struct signet_acme_renewal {
	int64_t not_before;
	int64_t not_after;
	int64_t renew_early_at; /* 0 unless asked for early renewal */
	char status[16];        /* issued, revoked */
	char successor[41];     /* canonical hex, "" if not replaced */
};

/* What renewalInfo needs of a signed certificate of issuer. */
int signet_store_acme_renewal_get(struct signet_store *st, const char *issuer,
    const char *serial, struct signet_acme_renewal *out) SIGNET_WUR;

/*
 * newOrder "replaces": order order_id replaces certificate serial of
 * issuer. SIGNET_ERR_CONFLICT if the certificate was already superseded
 * or another order that is not invalid replaces it (the check and the
 * record are one transaction that locks the certificate's row).
 */
int
signet_store_acme_replaces_claim(struct signet_store *st, const char *order_id,
    const char *issuer, const char *serial, int64_t now) SIGNET_WUR;
/* The serial (canonical hex) order_id replaces; SIGNET_ERR_NOT_FOUND. */
int signet_store_acme_replaces_get(struct signet_store *st,
    const char *order_id, char serial[41]) SIGNET_WUR;
/*
 * Remove a pending order, its authorizations, challenges and claim (an
 * order that could not be completed at creation leaves nothing).
 */
int signet_store_acme_order_discard(struct signet_store *st,
    const char *order_id) SIGNET_WUR;

/* What an account has used, for its rate limits. */
struct signet_acme_usage {
	int64_t orders;        /* orders created after now - order_window */
	int64_t oldest_order;  /* created_at of the oldest of them */
	int64_t pending_authz; /* pending, unexpired authorizations */
	int64_t next_authz_expiry;
	int64_t certs; /* certificates for name, after now - cert_window */
	int64_t oldest_cert; /* when the oldest of them was issued */
	char name[SIGNET_ACME_IDENT_MAX + 1]; /* the busiest of ids */
};
int signet_store_acme_usage(struct signet_store *st, const char *account,
    const char *const *ids, size_t n_ids, int64_t now, int64_t order_window,
    int64_t cert_window, struct signet_acme_usage *u) SIGNET_WUR;

#endif /* SIGNET_STORE_ACME_ARI_H */
