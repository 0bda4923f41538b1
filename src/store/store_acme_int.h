/*
 * Shared by the ACME store files (store_acme.c, store_acme_account.c).
 */
#ifndef SIGNET_STORE_ACME_INT_H
#define SIGNET_STORE_ACME_INT_H

#include "signet/store_acme.h"

/* SIGNET_ERR_NOT_FOUND ("no such what") unless id is 32 lower-case hex. */
int store_acme_id_check(const char *what, const char *id) SIGNET_WUR;
/*
 * Register a->thumbprint's account (or find it: *created 0) inside the
 * caller's unit of work.
 */
int store_acme_account_new_in(struct signet_store *st,
    struct signet_acme_account *a, int64_t now, int *created) SIGNET_WUR;

#endif /* SIGNET_STORE_ACME_INT_H */
