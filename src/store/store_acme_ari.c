/*
 * ACME renewal information and rate-limit counts
 * (include/signet/store_acme_ari.h, RFC 9773, docs/acme.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/store_acme_ari.h"
#include "store/store_int.h"

static int
order_id_ok(const char *id)
{
	if (id == NULL || strlen(id) != SIGNET_ACME_ID_LEN ||
	    strspn(id, "0123456789abcdef") != SIGNET_ACME_ID_LEN)
		return signet_error_set(SIGNET_ERR_NOT_FOUND, "no such order");
	return 0;
}

/* ---- renew-early -------------------------------------------------------- */

struct ari_arg {
	char issuer[65];
	char canon[41];
	char padded[41];
	const char *profile;
	const char *order;
	const char *account;
	int64_t now;
	int64_t n;
	struct signet_acme_renewal *info;
};

static int
ari_prepare(struct ari_arg *a, const char *issuer, const char *serial)
{
	memset(a, 0, sizeof(*a));
	if (store_issuer_norm(issuer, a->issuer) != 0)
		return SIGNET_ERR_USAGE;
	if (serial != NULL)
		return store_serial_norm(serial, a->canon, a->padded);
	return 0;
}

/* Row id and status of certificate a->padded of a->issuer. */
static int
cert_row(struct signet_store *st, struct ari_arg *a, int64_t *id,
    char status[16], int64_t *not_after)
{
	struct store_q q = { 0 };
	int64_t issuer_id;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 0, a->now, &issuer_id)) != 0)
		return r;
	if ((r = store_q_open(st,
		 "SELECT id, status, not_after FROM certificates "
		 "WHERE issuer_id = ? AND serial = ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_text(&q, a->padded);
	if ((r = store_q_step(&q)) == 1) {
		*id = store_q_col_int(&q, 0);
		snprintf(status, 16, "%s",
		    store_q_col_text(&q, 1) != NULL ? store_q_col_text(&q, 1)
						    : "");
		*not_after = store_q_col_int(&q, 2);
		r = 0;
	} else if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no certificate %s of this CA", a->canon);
	}
	store_q_close(&q);
	return r;
}

#define RENEW_ALL_SQL                                                  \
	"INSERT INTO acme_renew_early (certificate_id, requested_at) " \
	"SELECT c.id, CAST(? AS BIGINT) FROM certificates c "          \
	"WHERE c.issuer_id = ? AND c.status = 'issued' "               \
	"AND c.not_after > ? AND NOT EXISTS (SELECT 1 FROM "           \
	"acme_renew_early e WHERE e.certificate_id = c.id)"

static int
renew_early_work(struct signet_store *st, void *argp)
{
	struct ari_arg *a = argp;
	struct store_q q = { 0 };
	char status[16];
	int64_t id = 0, not_after = 0, issuer_id;
	int r;

	a->n = 0;
	if (a->padded[0] != '\0') {
		if ((r = cert_row(st, a, &id, status, &not_after)) != 0)
			return r;
		if (strcmp(status, "issued") != 0 || not_after <= a->now)
			return signet_error_set(SIGNET_ERR_CONFLICT,
			    "certificate %s is %s: only a valid certificate "
			    "is renewed",
			    a->canon,
			    strcmp(status, "issued") != 0 ? status : "expired");
		if ((r = store_q_open(st,
			 "INSERT INTO acme_renew_early (certificate_id, "
			 "requested_at) VALUES (?, ?) ON CONFLICT DO NOTHING "
			 "RETURNING certificate_id",
			 &q)) != 0)
			return r;
		store_q_int(&q, id);
		store_q_int(&q, a->now);
	} else {
		r = store_issuer_id(st, a->issuer, 0, a->now, &issuer_id);
		if (r == SIGNET_ERR_NOT_FOUND) {
			signet_error_clear();
			return 0;
		}
		if (r != 0)
			return r;
		/* CAST: PostgreSQL cannot guess a parameter's type there. */
		if ((r = store_q_open(st,
			 a->profile != NULL
			     ? RENEW_ALL_SQL " AND c.profile = ? RETURNING "
					     "certificate_id"
			     : RENEW_ALL_SQL " RETURNING certificate_id",
			 &q)) != 0)
			return r;
		store_q_int(&q, a->now);
		store_q_int(&q, issuer_id);
		store_q_int(&q, a->now);
		if (a->profile != NULL)
			store_q_text(&q, a->profile);
	}
	while ((r = store_q_step(&q)) == 1)
		a->n++;
	store_q_close(&q);
	return r;
}

int
signet_store_acme_renew_early(struct signet_store *st, const char *issuer,
    const char *serial, const char *profile, int64_t now, int64_t *marked)
{
	struct ari_arg a;
	int r;

	*marked = 0;
	if ((r = ari_prepare(&a, issuer, serial)) != 0)
		return r;
	if (profile != NULL && (r = store_text_check("profile", profile,
				    SIGNET_ACME_PROFILE_MAX, 0)) != 0)
		return r;
	a.profile = profile;
	a.now = now;
	if ((r = store_write(st, renew_early_work, &a)) != 0)
		return r;
	*marked = a.n;
	return 0;
}

/* ---- renewalInfo -------------------------------------------------------- */

static int
renewal_get_work(struct signet_store *st, void *argp)
{
	struct ari_arg *a = argp;
	struct signet_acme_renewal *o = a->info;
	struct store_q q = { 0 };
	int64_t issuer_id;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 0, a->now, &issuer_id)) != 0)
		return r;
	if ((r = store_q_open(st,
		 "SELECT c.status, c.not_before, c.not_after, "
		 "e.requested_at, n.serial FROM certificates c "
		 "LEFT JOIN acme_renew_early e ON e.certificate_id = c.id "
		 "LEFT JOIN supersessions s ON s.certificate_id = c.id "
		 "LEFT JOIN certificates n ON n.id = s.successor_id "
		 "WHERE c.issuer_id = ? AND c.serial = ? "
		 "AND c.status IN ('issued', 'revoked')",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_text(&q, a->padded);
	if ((r = store_q_step(&q)) == 1) {
		snprintf(o->status, sizeof(o->status), "%s",
		    store_q_col_text(&q, 0));
		o->not_before = store_q_col_int(&q, 1);
		o->not_after = store_q_col_int(&q, 2);
		o->renew_early_at =
		    store_q_col_is_null(&q, 3) ? 0 : store_q_col_int(&q, 3);
		if (!store_q_col_is_null(&q, 4))
			snprintf(o->successor, sizeof(o->successor), "%s",
			    store_serial_canon(store_q_col_text(&q, 4)));
		r = 0;
	} else if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no certificate %s of this CA", a->canon);
	}
	store_q_close(&q);
	return r;
}

int
signet_store_acme_renewal_get(struct signet_store *st, const char *issuer,
    const char *serial, struct signet_acme_renewal *out)
{
	struct ari_arg a;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = ari_prepare(&a, issuer, serial)) != 0)
		return r;
	a.info = out;
	return store_read(st, renewal_get_work, &a);
}

/* ---- replaces ----------------------------------------------------------- */

static int
replaces_claim_work(struct signet_store *st, void *argp)
{
	struct ari_arg *a = argp;
	struct store_q q = { 0 };
	char status[16];
	int64_t id = 0, not_after = 0;
	int r, taken = 0;

	if ((r = cert_row(st, a, &id, status, &not_after)) != 0)
		return r;
	/*
	 * A write to the certificate's row first: on PostgreSQL it holds the
	 * row lock until commit, so two orders claiming one certificate
	 * cannot both find it unclaimed (SQLite has one writer anyway).
	 */
	if ((r = store_q_open(st,
		 "UPDATE certificates SET updated_at = updated_at "
		 "WHERE id = ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, id);
	r = store_q_exec(&q);
	store_q_close(&q);
	if (r != 0)
		return r;
	if ((r = store_q_open(st,
		 "SELECT 1 FROM supersessions WHERE certificate_id = ? "
		 "UNION ALL SELECT 1 FROM acme_replacements p "
		 "JOIN acme_orders o ON o.id = p.order_id "
		 "WHERE p.certificate_id = ? AND o.status <> 'invalid' "
		 "AND o.id <> ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, id);
	store_q_int(&q, id);
	store_q_text(&q, a->order);
	while ((r = store_q_step(&q)) == 1)
		taken = 1;
	store_q_close(&q);
	if (r != 0)
		return r;
	if (taken)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "certificate %s is already replaced, or another order "
		    "replaces it",
		    a->canon);
	if ((r = store_q_open(st,
		 "INSERT INTO acme_replacements (order_id, certificate_id, "
		 "created_at) VALUES (?, ?, ?)",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->order);
	store_q_int(&q, id);
	store_q_int(&q, a->now);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_acme_replaces_claim(struct signet_store *st, const char *order_id,
    const char *issuer, const char *serial, int64_t now)
{
	struct ari_arg a;
	int r;

	if ((r = order_id_ok(order_id)) != 0 ||
	    (r = ari_prepare(&a, issuer, serial)) != 0)
		return r;
	a.order = order_id;
	a.now = now;
	return store_write(st, replaces_claim_work, &a);
}

static int
replaces_get_work(struct signet_store *st, void *argp)
{
	struct ari_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "SELECT c.serial FROM acme_replacements p "
		 "JOIN certificates c ON c.id = p.certificate_id "
		 "WHERE p.order_id = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->order);
	if ((r = store_q_step(&q)) == 1) {
		snprintf(a->canon, sizeof(a->canon), "%s",
		    store_serial_canon(store_q_col_text(&q, 0)));
		a->n = 1;
		r = 0;
	}
	store_q_close(&q);
	return r;
}

int
signet_store_acme_replaces_get(struct signet_store *st, const char *order_id,
    char serial[41])
{
	struct ari_arg a;
	int r;

	serial[0] = '\0';
	if ((r = order_id_ok(order_id)) != 0)
		return r;
	memset(&a, 0, sizeof(a));
	a.order = order_id;
	if ((r = store_read(st, replaces_get_work, &a)) != 0)
		return r;
	if (a.n == 0)
		return signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "order %s replaces no certificate", order_id);
	snprintf(serial, 41, "%s", a.canon);
	return 0;
}

static int
order_discard_work(struct signet_store *st, void *argp)
{
	static const char *const sql[] = {
		"DELETE FROM acme_replacements WHERE order_id = ?",
		("DELETE FROM acme_challenges WHERE authz_id IN "
		 "(SELECT id FROM acme_authzs WHERE order_id = ?)"),
		"DELETE FROM acme_authzs WHERE order_id = ?",
		"DELETE FROM acme_orders WHERE id = ? AND status = 'pending'",
	};
	struct ari_arg *a = argp;
	struct store_q q = { 0 };
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && r == 0; i++) {
		if ((r = store_q_open(st, sql[i], &q)) != 0)
			return r;
		store_q_text(&q, a->order);
		r = store_q_exec(&q);
		store_q_close(&q);
	}
	return r;
}

int
signet_store_acme_order_discard(struct signet_store *st, const char *order_id)
{
	struct ari_arg a;
	int r;

	if ((r = order_id_ok(order_id)) != 0)
		return r;
	memset(&a, 0, sizeof(a));
	a.order = order_id;
	return store_write(st, order_discard_work, &a);
}

/* ---- rate limits -------------------------------------------------------- */

struct usage_arg {
	const char *account;
	const char *const *ids;
	size_t n_ids;
	int64_t now;
	int64_t order_window;
	int64_t cert_window;
	struct signet_acme_usage *u;
};

/* One row of two integers (NULL as 0). */
static int
count_pair(struct store_q *q, int64_t *n, int64_t *t)
{
	int r;

	*n = *t = 0;
	if ((r = store_q_step(q)) == 1) {
		*n = store_q_col_int(q, 0);
		*t = store_q_col_is_null(q, 1) ? 0 : store_q_col_int(q, 1);
		r = 0;
	}
	store_q_close(q);
	return r;
}

static int
usage_work(struct signet_store *st, void *argp)
{
	struct usage_arg *a = argp;
	struct signet_acme_usage *u = a->u;
	struct store_q q = { 0 };
	int64_t n, t;
	size_t i;
	int r;

	if ((r = store_q_open(st,
		 "SELECT count(*), min(created_at) FROM acme_orders "
		 "WHERE account_id = ? AND created_at > ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->account);
	store_q_int(&q, a->now - a->order_window);
	if ((r = count_pair(&q, &u->orders, &u->oldest_order)) != 0)
		return r;
	if ((r = store_q_open(st,
		 "SELECT count(*), min(z.expires) FROM acme_authzs z "
		 "JOIN acme_orders o ON o.id = z.order_id "
		 "WHERE o.account_id = ? AND z.status = 'pending' "
		 "AND z.expires > ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->account);
	store_q_int(&q, a->now);
	if ((r = count_pair(&q, &u->pending_authz, &u->next_authz_expiry)) != 0)
		return r;
	for (i = 0; i < a->n_ids; i++) {
		if ((r = store_q_open(st,
			 "SELECT count(*), min(o.updated_at) FROM acme_orders "
			 "o "
			 "JOIN acme_authzs z ON z.order_id = o.id "
			 "WHERE o.account_id = ? AND o.status = 'valid' "
			 "AND o.updated_at > ? AND z.identifier = ?",
			 &q)) != 0)
			return r;
		store_q_text(&q, a->account);
		store_q_int(&q, a->now - a->cert_window);
		store_q_text(&q, a->ids[i]);
		if ((r = count_pair(&q, &n, &t)) != 0)
			return r;
		if (n > u->certs || i == 0) {
			u->certs = n;
			u->oldest_cert = t;
			snprintf(u->name, sizeof(u->name), "%s", a->ids[i]);
		}
	}
	return 0;
}

int
signet_store_acme_usage(struct signet_store *st, const char *account,
    const char *const *ids, size_t n_ids, int64_t now, int64_t order_window,
    int64_t cert_window, struct signet_acme_usage *u)
{
	struct usage_arg a;

	memset(u, 0, sizeof(*u));
	if (account == NULL || strlen(account) != SIGNET_ACME_ID_LEN)
		return signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no such account");
	a.account = account;
	a.ids = ids;
	a.n_ids = n_ids;
	a.now = now;
	a.order_window = order_window;
	a.cert_window = cert_window;
	a.u = u;
	return store_read(st, usage_work, &a);
}
