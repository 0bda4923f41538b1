/*
 * Pre-signed OCSP responses (schema 6): the latest one per certificate,
 * written by the signer of `signet serve` and read back at its start and
 * by the other nodes of the database (docs/ocsp.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct ocsp_put_arg {
	char issuer[65];
	const struct signet_store_ocsp *v;
	size_t n;
};

/* Statements come from the handle's cache: one open per row is cheap. */
static int
ocsp_put_one(struct signet_store *st, const char *issuer, int64_t issuer_id,
    const struct signet_store_ocsp *v)
{
	struct store_q q = { 0 };
	char canon[41], padded[41];
	int64_t cert_id;
	int r;

	if ((r = store_serial_norm(v->serial, canon, padded)) != 0)
		return r;
	if ((r = store_q_open(st,
		 "SELECT id FROM certificates WHERE issuer_id = ? AND "
		 "serial = ? AND status IN ('issued', 'revoked')",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_text(&q, padded);
	r = store_q_step(&q);
	cert_id = r == 1 ? store_q_col_int(&q, 0) : 0;
	store_q_close(&q);
	if (r < 0)
		return r;
	if (r == 0)
		return signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no signed certificate %s of issuer %s for its OCSP "
		    "response",
		    canon, issuer);
	/* The latest one stays: another node may have signed later. */
	if ((r = store_q_open(st,
		 "INSERT INTO ocsp_responses (certificate_id, this_update, "
		 "next_update, der) VALUES (?, ?, ?, ?) "
		 "ON CONFLICT (certificate_id) DO UPDATE SET "
		 "this_update = excluded.this_update, "
		 "next_update = excluded.next_update, der = excluded.der "
		 "WHERE excluded.this_update >= ocsp_responses.this_update",
		 &q)) != 0)
		return r;
	store_q_int(&q, cert_id);
	store_q_int(&q, v->this_update);
	store_q_int(&q, v->next_update);
	store_q_blob(&q, v->der, v->der_len);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

static int
ocsp_put_work(struct signet_store *st, void *argp)
{
	struct ocsp_put_arg *a = argp;
	int64_t issuer_id;
	size_t i;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 0, 0, &issuer_id)) != 0)
		return r;
	for (i = 0; i < a->n; i++)
		if ((r = ocsp_put_one(st, a->issuer, issuer_id, &a->v[i])) != 0)
			return r;
	return 0;
}

int
signet_store_ocsp_put(struct signet_store *st, const char *issuer,
    const struct signet_store_ocsp *v, size_t n)
{
	struct ocsp_put_arg a;
	size_t i;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (v[i].der == NULL || v[i].der_len == 0 ||
		    v[i].der_len > SIGNET_STORE_OCSP_MAX ||
		    v[i].next_update <= v[i].this_update)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "the OCSP response for %s: %zu bytes (1 to %zu), "
			    "nextUpdate must follow thisUpdate",
			    v[i].serial != NULL ? v[i].serial : "?",
			    v[i].der_len, SIGNET_STORE_OCSP_MAX);
	if (n == 0)
		return 0;
	a.v = v;
	a.n = n;
	return store_write(st, ocsp_put_work, &a);
}

struct ocsp_foreach_arg {
	char issuer[65];
	int64_t after, now;
	signet_store_ocsp_cb cb;
	void *cb_arg;
};

static int
ocsp_foreach_work(struct signet_store *st, void *argp)
{
	struct ocsp_foreach_arg *a = argp;
	struct store_q q = { 0 };
	struct signet_store_ocsp row;
	int64_t issuer_id;
	int r, cr;

	r = store_issuer_id(st, a->issuer, 0, 0, &issuer_id);
	if (r == SIGNET_ERR_NOT_FOUND) {
		signet_error_clear();
		return 0;
	}
	if (r != 0)
		return r;
	if ((r = store_q_open(st,
		 "SELECT c.serial, o.this_update, o.next_update, o.der "
		 "FROM ocsp_responses o "
		 "JOIN certificates c ON c.id = o.certificate_id "
		 "WHERE o.this_update > ? AND o.next_update > ? "
		 "AND c.issuer_id = ? ORDER BY o.this_update",
		 &q)) != 0)
		return r;
	store_q_int(&q, a->after);
	store_q_int(&q, a->now);
	store_q_int(&q, issuer_id);
	while ((r = store_q_step(&q)) == 1) {
		memset(&row, 0, sizeof(row));
		row.serial = store_serial_canon(store_q_col_text(&q, 0));
		row.this_update = store_q_col_int(&q, 1);
		row.next_update = store_q_col_int(&q, 2);
		row.der = store_q_col_blob(&q, 3, &row.der_len);
		if (row.serial == NULL || row.der == NULL) {
			r = signet_error_set(SIGNET_ERR_STORE,
			    "an OCSP response row without serial or DER");
			break;
		}
		st->in_callback = 1;
		cr = a->cb(&row, a->cb_arg);
		st->in_callback = 0;
		if (cr != 0) {
			r = cr < 0 ? cr : 0;
			break;
		}
	}
	store_q_close(&q);
	return r;
}

int
signet_store_ocsp_foreach(struct signet_store *st, const char *issuer,
    int64_t after, int64_t now, signet_store_ocsp_cb cb, void *arg)
{
	struct ocsp_foreach_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (cb == NULL)
		return signet_error_set(SIGNET_ERR_USAGE, "no callback given");
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	a.after = after;
	a.now = now;
	a.cb = cb;
	a.cb_arg = arg;
	return store_read(st, ocsp_foreach_work, &a);
}
