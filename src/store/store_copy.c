/*
 * Moving a CA's records from one database to another (SQLite to
 * PostgreSQL and back), and the content hash that proves nothing was lost.
 *
 * Rows are moved by their natural keys (issuer key, serial, CRL number,
 * key hash), never by row id, so any backend can receive them; issuers,
 * certificates and CRLs are read and written in row order, which keeps
 * reservation order (listings rely on it) and puts every base CRL before
 * its deltas (a foreign key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "store/store_int.h"
#include "util/codec.h"

/* ---- the tables ----------------------------------------------------------- */

#define HEX64 ((size_t)64)

static const struct store_col meta_cols[] = {
	{ "name", STORE_COL_TEXT, 0, SIGNET_STORE_NAME_MAX },
	{ "value", STORE_COL_TEXT, 0, SIGNET_STORE_TEXT_MAX },
};

static const struct store_col issuer_cols[] = {
	{ "issuer_key", STORE_COL_TEXT, 0, HEX64 },
	{ "crl_number", STORE_COL_INT, 0, 0 },
	{ "revocation_seq", STORE_COL_INT, 0, 0 },
	{ "created_at", STORE_COL_INT, 0, 0 },
};

static const struct store_col cert_cols[] = {
	{ "issuer", STORE_COL_TEXT, 0, HEX64 },
	{ "serial", STORE_COL_TEXT, 0, 40 },
	{ "status", STORE_COL_TEXT, 0, 16 },
	{ "subject", STORE_COL_TEXT, 0, SIGNET_STORE_TEXT_MAX },
	{ "sans", STORE_COL_TEXT, 0, SIGNET_STORE_TEXT_MAX },
	{ "spki_sha256", STORE_COL_TEXT, 0, HEX64 },
	{ "not_before", STORE_COL_INT, 0, 0 },
	{ "not_after", STORE_COL_INT, 0, 0 },
	{ "profile", STORE_COL_TEXT, 0, SIGNET_STORE_NAME_MAX },
	{ "requester", STORE_COL_TEXT, 0, SIGNET_STORE_NAME_MAX },
	{ "created_at", STORE_COL_INT, 0, 0 },
	{ "updated_at", STORE_COL_INT, 0, 0 },
	{ "issued_at", STORE_COL_INT, 1, 0 },
	{ "der", STORE_COL_BLOB, 1, SIGNET_STORE_DER_MAX },
	{ "cert_sha256", STORE_COL_TEXT, 1, HEX64 },
	{ "failure", STORE_COL_TEXT, 1, SIGNET_STORE_TEXT_MAX },
	{ "revoked_at", STORE_COL_INT, 1, 0 },
	{ "revocation_reason", STORE_COL_INT, 1, 0 },
	{ "revocation_seq", STORE_COL_INT, 1, 0 },
};

static const struct store_col crl_cols[] = {
	{ "issuer", STORE_COL_TEXT, 0, HEX64 },
	{ "crl_number", STORE_COL_INT, 0, 0 },
	{ "kind", STORE_COL_TEXT, 0, 8 },
	{ "base_number", STORE_COL_INT, 1, 0 },
	{ "this_update", STORE_COL_INT, 0, 0 },
	{ "next_update", STORE_COL_INT, 0, 0 },
	{ "revocation_seq", STORE_COL_INT, 0, 0 },
	{ "der", STORE_COL_BLOB, 1, SIGNET_STORE_CRL_MAX },
	{ "der_sha256", STORE_COL_TEXT, 1, HEX64 },
};

static const struct store_col blocked_cols[] = {
	{ "spki_sha256", STORE_COL_TEXT, 0, HEX64 },
	{ "blocked_at", STORE_COL_INT, 0, 0 },
	{ "reason", STORE_COL_TEXT, 0, SIGNET_STORE_TEXT_MAX },
	/* the certificate revoked for keyCompromise, if any */
	{ "cert_issuer", STORE_COL_TEXT, 1, HEX64 },
	{ "cert_serial", STORE_COL_TEXT, 1, 40 },
};

static const struct store_col supersession_cols[] = {
	{ "issuer", STORE_COL_TEXT, 0, HEX64 },
	{ "serial", STORE_COL_TEXT, 0, 40 },
	{ "successor_issuer", STORE_COL_TEXT, 0, HEX64 },
	{ "successor_serial", STORE_COL_TEXT, 0, 40 },
	{ "superseded_at", STORE_COL_INT, 0, 0 },
};

static const struct store_col est_token_cols[] = {
	{ "token_id", STORE_COL_TEXT, 0, 16 },
	{ "secret_sha256", STORE_COL_TEXT, 0, HEX64 },
	{ "profile", STORE_COL_TEXT, 0, SIGNET_STORE_NAME_MAX },
	{ "names", STORE_COL_TEXT, 0, SIGNET_STORE_TEXT_MAX },
	{ "created_at", STORE_COL_INT, 0, 0 },
	{ "expires_at", STORE_COL_INT, 0, 0 },
	{ "used_at", STORE_COL_INT, 1, 0 },
	{ "revoked_at", STORE_COL_INT, 1, 0 },
};

static const struct store_col ocsp_cols[] = {
	{ "issuer", STORE_COL_TEXT, 0, HEX64 },
	{ "serial", STORE_COL_TEXT, 0, 40 },
	{ "this_update", STORE_COL_INT, 0, 0 },
	{ "next_update", STORE_COL_INT, 0, 0 },
	{ "der", STORE_COL_BLOB, 0, SIGNET_STORE_OCSP_MAX },
};

/* hmac_key is the MAC key itself: a copy or export holds it too. */
static const struct store_col eab_key_cols[] = {
	{ "kid", STORE_COL_TEXT, 0, 32 },
	{ "hmac_key", STORE_COL_TEXT, 0, 43 },
	{ "profile", STORE_COL_TEXT, 0, SIGNET_STORE_NAME_MAX },
	{ "comment", STORE_COL_TEXT, 0, SIGNET_STORE_TEXT_MAX },
	{ "created_at", STORE_COL_INT, 0, 0 },
	{ "account_id", STORE_COL_TEXT, 1, 32 },
	{ "bound_at", STORE_COL_INT, 1, 0 },
	{ "revoked_at", STORE_COL_INT, 1, 0 },
};

static const struct store_col renew_early_cols[] = {
	{ "issuer", STORE_COL_TEXT, 0, HEX64 },
	{ "serial", STORE_COL_TEXT, 0, 40 },
	{ "requested_at", STORE_COL_INT, 0, 0 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* In the order of the fields of struct signet_store_inventory. */
const struct store_table store_tables[] = {
	{ "meta", meta_cols, N(meta_cols),
	    /* sorted in memory: names are compared byte by byte */
	    "SELECT name, value FROM meta WHERE name <> 'schema_version'",
	    "INSERT INTO meta (name, value) VALUES (?, ?)",
	    "SELECT count(*) FROM meta WHERE name <> 'schema_version'" },
	{ "issuers", issuer_cols, N(issuer_cols),
	    "SELECT issuer_key, crl_number, revocation_seq, created_at "
	    "FROM issuers ORDER BY id",
	    "INSERT INTO issuers (issuer_key, crl_number, revocation_seq, "
	    "created_at) VALUES (?, ?, ?, ?)",
	    "SELECT count(*) FROM issuers" },
	{ "certificates", cert_cols, N(cert_cols),
	    "SELECT i.issuer_key, c.serial, c.status, c.subject, c.sans, "
	    "c.spki_sha256, c.not_before, c.not_after, c.profile, "
	    "c.requester, c.created_at, c.updated_at, c.issued_at, c.der, "
	    "c.cert_sha256, c.failure, c.revoked_at, c.revocation_reason, "
	    "c.revocation_seq FROM certificates c "
	    "JOIN issuers i ON i.id = c.issuer_id ORDER BY c.id",
	    "INSERT INTO certificates (issuer_id, serial, status, subject, "
	    "sans, spki_sha256, not_before, not_after, profile, requester, "
	    "created_at, updated_at, issued_at, der, cert_sha256, failure, "
	    "revoked_at, revocation_reason, revocation_seq) VALUES ("
	    "(SELECT id FROM issuers WHERE issuer_key = ?), "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "SELECT count(*) FROM certificates" },
	{ "crls", crl_cols, N(crl_cols),
	    "SELECT i.issuer_key, c.crl_number, c.kind, c.base_number, "
	    "c.this_update, c.next_update, c.revocation_seq, c.der, "
	    "c.der_sha256 FROM crls c JOIN issuers i ON i.id = c.issuer_id "
	    "ORDER BY c.id",
	    "INSERT INTO crls (issuer_id, crl_number, kind, base_number, "
	    "this_update, next_update, revocation_seq, der, der_sha256) "
	    "VALUES ((SELECT id FROM issuers WHERE issuer_key = ?), "
	    "?, ?, ?, ?, ?, ?, ?, ?)",
	    "SELECT count(*) FROM crls" },
	{ "blocked_keys", blocked_cols, N(blocked_cols),
	    /* checked to arrive in byte order (lower-case hex does) */
	    "SELECT b.spki_sha256, b.blocked_at, b.reason, i.issuer_key, "
	    "c.serial FROM blocked_keys b "
	    "LEFT JOIN certificates c ON c.id = b.certificate_id "
	    "LEFT JOIN issuers i ON i.id = c.issuer_id "
	    "ORDER BY b.spki_sha256",
	    "INSERT INTO blocked_keys (spki_sha256, blocked_at, reason, "
	    "certificate_id) VALUES (?, ?, ?, "
	    "(SELECT c.id FROM certificates c JOIN issuers i "
	    "ON i.id = c.issuer_id WHERE i.issuer_key = ? AND c.serial = ?))",
	    "SELECT count(*) FROM blocked_keys" },
	{ "supersessions", supersession_cols, N(supersession_cols),
	    "SELECT i.issuer_key, c.serial, j.issuer_key, n.serial, "
	    "s.superseded_at FROM supersessions s "
	    "JOIN certificates c ON c.id = s.certificate_id "
	    "JOIN issuers i ON i.id = c.issuer_id "
	    "JOIN certificates n ON n.id = s.successor_id "
	    "JOIN issuers j ON j.id = n.issuer_id ORDER BY c.id",
	    "INSERT INTO supersessions (certificate_id, successor_id, "
	    "superseded_at) VALUES ("
	    "(SELECT c.id FROM certificates c JOIN issuers i "
	    "ON i.id = c.issuer_id WHERE i.issuer_key = ? AND c.serial = ?), "
	    "(SELECT c.id FROM certificates c JOIN issuers i "
	    "ON i.id = c.issuer_id WHERE i.issuer_key = ? AND c.serial = ?), "
	    "?)",
	    "SELECT count(*) FROM supersessions" },
	{ "est_tokens", est_token_cols, N(est_token_cols),
	    "SELECT token_id, secret_sha256, profile, names, created_at, "
	    "expires_at, used_at, revoked_at FROM est_tokens ORDER BY id",
	    "INSERT INTO est_tokens (token_id, secret_sha256, profile, names, "
	    "created_at, expires_at, used_at, revoked_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "SELECT count(*) FROM est_tokens" },
	{ "ocsp_responses", ocsp_cols, N(ocsp_cols),
	    "SELECT i.issuer_key, c.serial, o.this_update, o.next_update, "
	    "o.der FROM ocsp_responses o "
	    "JOIN certificates c ON c.id = o.certificate_id "
	    "JOIN issuers i ON i.id = c.issuer_id ORDER BY c.id",
	    "INSERT INTO ocsp_responses (certificate_id, this_update, "
	    "next_update, der) VALUES ("
	    "(SELECT c.id FROM certificates c JOIN issuers i "
	    "ON i.id = c.issuer_id WHERE i.issuer_key = ? AND c.serial = ?), "
	    "?, ?, ?)",
	    "SELECT count(*) FROM ocsp_responses" },
	{ "acme_eab_keys", eab_key_cols, N(eab_key_cols),
	    "SELECT kid, hmac_key, profile, comment, created_at, account_id, "
	    "bound_at, revoked_at FROM acme_eab_keys ORDER BY id",
	    "INSERT INTO acme_eab_keys (kid, hmac_key, profile, comment, "
	    "created_at, account_id, bound_at, revoked_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "SELECT count(*) FROM acme_eab_keys" },
	{ "acme_renew_early", renew_early_cols, N(renew_early_cols),
	    "SELECT i.issuer_key, c.serial, e.requested_at "
	    "FROM acme_renew_early e "
	    "JOIN certificates c ON c.id = e.certificate_id "
	    "JOIN issuers i ON i.id = c.issuer_id ORDER BY c.id",
	    "INSERT INTO acme_renew_early (certificate_id, requested_at) "
	    "VALUES ((SELECT c.id FROM certificates c JOIN issuers i "
	    "ON i.id = c.issuer_id WHERE i.issuer_key = ? AND c.serial = ?), "
	    "?)",
	    "SELECT count(*) FROM acme_renew_early" },
};
const size_t store_n_tables = N(store_tables);

int64_t *
store_inventory_slot(struct signet_store_inventory *rows, size_t i)
{
	switch (i) {
	case 0:
		return &rows->meta;
	case 1:
		return &rows->issuers;
	case 2:
		return &rows->certificates;
	case 3:
		return &rows->crls;
	case 4:
		return &rows->blocked_keys;
	case 5:
		return &rows->supersessions;
	case 6:
		return &rows->est_tokens;
	case 7:
		return &rows->ocsp_responses;
	case 8:
		return &rows->acme_eab_keys;
	case 9:
		return &rows->acme_renew_early;
	default:
		return NULL;
	}
}

int
store_progress(struct signet_store *st, signet_store_progress_cb cb, void *arg,
    const char *table, int64_t done, int64_t total)
{
	int r;

	if (cb == NULL)
		return 0;
	st->in_callback = 1;
	r = cb(table, done, total, arg);
	st->in_callback = 0;
	return r < 0 ? r : 0;
}

/* ---- reading and writing rows ------------------------------------------- */

static void
val_from_q(struct store_q *q, const struct store_col *c, int i,
    struct store_val *v)
{
	memset(v, 0, sizeof(*v));
	if (store_q_col_is_null(q, i)) {
		v->null = 1;
		return;
	}
	switch (c->type) {
	case STORE_COL_INT:
		v->i = store_q_col_int(q, i);
		break;
	case STORE_COL_TEXT:
		v->p = store_q_col_text(q, i);
		v->n = v->p != NULL ? strlen(v->p) : 0;
		break;
	case STORE_COL_BLOB:
		v->p = store_q_col_blob(q, i, &v->n);
		if (v->p == NULL)
			v->p = "";
		break;
	default:
		break;
	}
}

struct meta_row {
	char *name;
	char *value;
};

static int
meta_cmp(const void *a, const void *b)
{
	return strcmp(((const struct meta_row *)a)->name,
	    ((const struct meta_row *)b)->name);
}

/* meta is a handful of rows: sorted here, whatever the collation. */
static int
meta_read(struct signet_store *st, const struct store_table *t, store_row_fn fn,
    void *arg)
{
	struct store_q q = { 0 };
	struct meta_row *rows = NULL, *tmp;
	struct store_val v[2];
	const char *name, *value;
	size_t n = 0, i;
	int r;

	if ((r = store_q_open(st, t->select, &q)) != 0)
		return r;
	while ((r = store_q_step(&q)) == 1) {
		name = store_q_col_text(&q, 0);
		value = store_q_col_text(&q, 1);
		if ((tmp = realloc(rows, (n + 1) * sizeof(*rows))) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			break;
		}
		rows = tmp;
		rows[n].name = strdup(name != NULL ? name : "");
		rows[n].value = strdup(value != NULL ? value : "");
		if (rows[n].name == NULL || rows[n].value == NULL) {
			free(rows[n].name);
			free(rows[n].value);
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			break;
		}
		n++;
	}
	store_q_close(&q);
	if (r == 0) {
		if (n > 1)
			qsort(rows, n, sizeof(*rows), meta_cmp);
		for (i = 0; i < n && r == 0; i++) {
			memset(v, 0, sizeof(v));
			v[0].p = rows[i].name;
			v[0].n = strlen(rows[i].name);
			v[1].p = rows[i].value;
			v[1].n = strlen(rows[i].value);
			r = fn(t, v, arg);
		}
	}
	for (i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].value);
	}
	free(rows);
	return r;
}

int
store_rows_read(struct signet_store *st, const struct store_table *t,
    store_row_fn fn, void *arg)
{
	struct store_q q = { 0 };
	struct store_val v[STORE_COLS_MAX];
	char last[HEX64 + 1] = "";

	memset(v, 0, sizeof(v));
	size_t i;
	int r, key_order;

	if (t == &store_tables[0])
		return meta_read(st, t, fn, arg);
	key_order = strcmp(t->name, "blocked_keys") == 0;
	if ((r = store_q_open(st, t->select, &q)) != 0)
		return r;
	while ((r = store_q_step(&q)) == 1) {
		for (i = 0; i < t->ncols; i++)
			val_from_q(&q, &t->cols[i], (int)i, &v[i]);
		if (key_order) {
			/* Both sides must walk the keys in one order. */
			if (v[0].p == NULL || strlen(v[0].p) > HEX64 ||
			    strcmp(v[0].p, last) <= 0) {
				r = signet_error_set(SIGNET_ERR_STORE,
				    "blocked key '%.80s' is not lower-case "
				    "hex in order; the table was edited by "
				    "hand: fix the row first",
				    v[0].p != NULL ? (const char *)v[0].p : "");
				break;
			}
			snprintf(last, sizeof(last), "%s",
			    (const char *)v[0].p);
		}
		if ((r = fn(t, v, arg)) != 0)
			break;
	}
	store_q_close(&q);
	return r;
}

int
store_row_insert(struct signet_store *st, const struct store_table *t,
    const struct store_val *v)
{
	struct store_q q = { 0 };
	size_t i;
	int r;

	if ((r = store_q_open(st, t->insert, &q)) != 0)
		return r;
	for (i = 0; i < t->ncols; i++) {
		if (v[i].null) {
			store_q_text(&q, NULL);
			continue;
		}
		switch (t->cols[i].type) {
		case STORE_COL_INT:
			store_q_int(&q, v[i].i);
			break;
		case STORE_COL_TEXT:
			store_q_text(&q, v[i].p);
			break;
		case STORE_COL_BLOB:
			store_q_blob(&q, v[i].p, v[i].n);
			break;
		default:
			break;
		}
	}
	r = store_q_exec(&q);
	store_q_close(&q);
	if (r == SIGNET_ERR_CONFLICT)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s: the destination already has a row with the key "
		    "'%.80s'",
		    t->name, v[0].null ? "" : (const char *)v[0].p);
	return r;
}

/* ---- the content hash --------------------------------------------------- */

struct store_digest {
	EVP_MD_CTX *ctx;
	int failed;
};

struct store_digest *
store_digest_new(void)
{
	struct store_digest *dg = calloc(1, sizeof(*dg));

	if (dg == NULL)
		return NULL;
	if ((dg->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(dg->ctx, EVP_sha256(), NULL) != 1) {
		store_digest_free(dg);
		return NULL;
	}
	return dg;
}

void
store_digest_free(struct store_digest *dg)
{
	if (dg == NULL)
		return;
	EVP_MD_CTX_free(dg->ctx);
	free(dg);
}

static void
dg_update(struct store_digest *dg, const void *p, size_t n)
{
	if (EVP_DigestUpdate(dg->ctx, p, n) != 1)
		dg->failed = 1;
}

static void
dg_u64(struct store_digest *dg, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
	dg_update(dg, b, sizeof(b));
}

void
store_digest_table(struct store_digest *dg, const struct store_table *t)
{
	dg_update(dg, "T", 1);
	dg_update(dg, t->name, strlen(t->name) + 1);
}

/* Tagged, length-prefixed values: no two rows encode alike. */
void
store_digest_row(struct store_digest *dg, const struct store_table *t,
    const struct store_val *v)
{
	size_t i;

	dg_update(dg, "R", 1);
	for (i = 0; i < t->ncols; i++) {
		if (v[i].null) {
			dg_update(dg, "N", 1);
			continue;
		}
		switch (t->cols[i].type) {
		case STORE_COL_INT:
			dg_update(dg, "I", 1);
			dg_u64(dg, (uint64_t)v[i].i);
			break;
		case STORE_COL_TEXT:
			dg_update(dg, "S", 1);
			dg_u64(dg, v[i].n);
			dg_update(dg, v[i].p, v[i].n);
			break;
		case STORE_COL_BLOB:
			dg_update(dg, "B", 1);
			dg_u64(dg, v[i].n);
			dg_update(dg, v[i].p, v[i].n);
			break;
		default:
			dg->failed = 1;
			break;
		}
	}
}

int
store_digest_final(struct store_digest *dg,
    const struct signet_store_inventory *rows, char hash[65])
{
	struct signet_store_inventory copy = *rows;
	uint8_t md[32];
	unsigned len = 0;
	size_t i;

	dg_update(dg, "E", 1);
	for (i = 0; i < store_n_tables; i++)
		dg_u64(dg, (uint64_t)*store_inventory_slot(&copy, i));
	if (dg->failed || EVP_DigestFinal_ex(dg->ctx, md, &len) != 1 ||
	    len != sizeof(md))
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "computing the content hash");
	hex_encode(md, sizeof(md), hash);
	return 0;
}

struct content_arg {
	struct signet_store *st;
	struct store_digest *dg;
	int64_t *count;
	int64_t done, total;
	signet_store_progress_cb cb;
	void *cb_arg;
};

static int
content_row(const struct store_table *t, const struct store_val *v, void *argp)
{
	struct content_arg *a = argp;

	store_digest_row(a->dg, t, v);
	(*a->count)++;
	if (++a->done % 10000 == 0)
		return store_progress(a->st, a->cb, a->cb_arg, "verify",
		    a->done, a->total);
	return 0;
}

static int
count_rows(struct signet_store *st, const char *sql, int64_t *n)
{
	struct store_q q = { 0 };
	int r;

	*n = 0;
	if ((r = store_q_open(st, sql, &q)) != 0)
		return r;
	if ((r = store_q_step(&q)) == 1) {
		*n = store_q_col_int(&q, 0);
		r = 0;
	}
	store_q_close(&q);
	return r;
}

static int
inventory_count(struct signet_store *st, struct signet_store_inventory *rows)
{
	size_t i;
	int r;

	memset(rows, 0, sizeof(*rows));
	for (i = 0; i < store_n_tables; i++)
		if ((r = count_rows(st, store_tables[i].count,
			 store_inventory_slot(rows, i))) != 0)
			return r;
	return 0;
}

int
store_require_empty(struct signet_store *st)
{
	struct signet_store_inventory n;
	int r;

	if ((r = inventory_count(st, &n)) != 0)
		return r;
	if (n.meta + n.issuers + n.certificates + n.crls + n.blocked_keys +
		n.supersessions + n.est_tokens + n.ocsp_responses +
		n.acme_eab_keys + n.acme_renew_early !=
	    0)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s is not empty (%lld certificates, %lld issuers, %lld "
		    "CRLs, %lld blocked keys, %lld meta rows): records are "
		    "only copied into an empty database, so that none is "
		    "lost or mixed up",
		    st->url, (long long)n.certificates, (long long)n.issuers,
		    (long long)n.crls, (long long)n.blocked_keys,
		    (long long)n.meta);
	return 0;
}

int
store_content_read(struct signet_store *st, struct signet_store_inventory *rows,
    char hash[65], signet_store_progress_cb cb, void *arg)
{
	struct content_arg a;
	struct signet_store_inventory total;
	size_t i;
	int r = SIGNET_ERR_INTERNAL;

	memset(rows, 0, sizeof(*rows));
	memset(&a, 0, sizeof(a));
	if ((r = inventory_count(st, &total)) != 0)
		return r;
	a.st = st;
	a.cb = cb;
	a.cb_arg = arg;
	a.total = total.meta + total.issuers + total.certificates + total.crls +
		  total.blocked_keys;
	if ((a.dg = store_digest_new()) == NULL)
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
	for (i = 0; i < store_n_tables; i++) {
		a.count = store_inventory_slot(rows, i);
		store_digest_table(a.dg, &store_tables[i]);
		if ((r = store_rows_read(st, &store_tables[i], content_row,
			 &a)) != 0)
			goto out;
	}
	r = store_digest_final(a.dg, rows, hash);
out:
	store_digest_free(a.dg);
	return r;
}

static int
content_work(struct signet_store *st, void *argp)
{
	struct {
		struct signet_store_inventory *rows;
		char *hash;
	} *a = argp;

	return store_content_read(st, a->rows, a->hash, NULL, NULL);
}

int
signet_store_content_hash(struct signet_store *st,
    struct signet_store_inventory *rows, char hash[65])
{
	struct {
		struct signet_store_inventory *rows;
		char *hash;
	} a = { rows, hash };
	int r, r2;

	memset(rows, 0, sizeof(*rows));
	hash[0] = '\0';
	if ((r = store_guard(st)) != 0)
		return r;
	if (st->in_txn)
		return content_work(st, &a);
	/* One snapshot: concurrent issuance must not tear the counts. */
	if ((r = st->be->begin_read(st->db)) != 0)
		return r;
	r = content_work(st, &a);
	if ((r2 = st->be->rollback(st->db)) != 0 && r == 0)
		r = r2;
	return r;
}

/* ---- copy ----------------------------------------------------------------- */

struct copy_arg {
	struct signet_store *src;
	struct signet_store *dst;
	signet_store_progress_cb cb;
	void *cb_arg;
	struct store_digest *dg;
	struct signet_store_inventory rows; /* copied */
	struct signet_store_inventory total;
	int64_t *count;
	int64_t table_total;
	char src_hash[65];
};

static int
copy_row(const struct store_table *t, const struct store_val *v, void *argp)
{
	struct copy_arg *a = argp;
	int r;

	store_digest_row(a->dg, t, v);
	if ((r = store_row_insert(a->dst, t, v)) != 0)
		return signet_error_context(r, "copying %s row %lld", t->name,
		    (long long)*a->count + 1);
	if (++*a->count % 1000 != 0)
		return 0;
	return store_progress(a->dst, a->cb, a->cb_arg, t->name, *a->count,
	    a->table_total);
}

static int
copy_work(struct signet_store *dst, void *argp)
{
	struct copy_arg *a = argp;
	struct signet_store_inventory got;
	char dst_hash[65];
	size_t i;
	int r = SIGNET_ERR_INTERNAL;

	(void)dst;
	memset(&a->rows, 0, sizeof(a->rows));
	if ((r = store_require_empty(a->dst)) != 0)
		return r;
	store_digest_free(a->dg);
	if ((a->dg = store_digest_new()) == NULL)
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
	for (i = 0; i < store_n_tables; i++) {
		a->count = store_inventory_slot(&a->rows, i);
		a->table_total = *store_inventory_slot(&a->total, i);
		store_digest_table(a->dg, &store_tables[i]);
		if ((r = store_rows_read(a->src, &store_tables[i], copy_row,
			 a)) != 0)
			return r;
		if ((r = store_progress(a->dst, a->cb, a->cb_arg,
			 store_tables[i].name, *a->count, a->table_total)) != 0)
			return r;
	}
	if ((r = store_digest_final(a->dg, &a->rows, a->src_hash)) != 0)
		return r;
	/* Read back what this transaction wrote, before committing it. */
	if ((r = store_content_read(a->dst, &got, dst_hash, a->cb,
		 a->cb_arg)) != 0)
		return signet_error_context(r, "verifying the copy");
	if (memcmp(&got, &a->rows, sizeof(got)) != 0 ||
	    strcmp(dst_hash, a->src_hash) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the copy in %s does not read back as the source (%lld "
		    "of %lld certificates, content hash %.16s... instead of "
		    "%.16s...); nothing was written",
		    a->dst->url, (long long)got.certificates,
		    (long long)a->rows.certificates, dst_hash, a->src_hash);
	return 0;
}

int
signet_store_copy(struct signet_store *src, struct signet_store *dst,
    signet_store_progress_cb cb, void *arg)
{
	struct copy_arg a;
	int r = SIGNET_ERR_INTERNAL, r2, reading = 0;

	memset(&a, 0, sizeof(a));
	if ((r = store_guard(src)) != 0 || (r = store_guard(dst)) != 0)
		return r;
	if (src == dst)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "cannot copy a store onto itself");
	if (src->in_txn || dst->in_txn)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "cannot copy while a store transaction is open");
	if (src->version != SIGNET_STORE_SCHEMA_VERSION ||
	    dst->version != SIGNET_STORE_SCHEMA_VERSION)
		return signet_error_set(SIGNET_ERR_STORE,
		    "both databases must have schema version %d to copy "
		    "(%s has %d, %s has %d); migrate them first",
		    SIGNET_STORE_SCHEMA_VERSION, src->url, src->version,
		    dst->url, dst->version);
	a.src = src;
	a.dst = dst;
	a.cb = cb;
	a.cb_arg = arg;
	/* The source is read from one snapshot, however long this takes. */
	if ((r = src->be->begin_read(src->db)) != 0)
		goto out;
	reading = 1;
	if ((r = inventory_count(src, &a.total)) != 0)
		goto out;
	if ((r = store_write(dst, copy_work, &a)) != 0)
		goto out;
	r = 0;
out:
	if (reading && (r2 = src->be->rollback(src->db)) != 0 && r == 0)
		r = r2;
	store_digest_free(a.dg);
	return r;
}
