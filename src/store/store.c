/*
 * The certificate store, independent of the database engine: opening from
 * a URL, the schema and its migrations, transactions and retries, the
 * statement cache, and the small value rules (issuer ids, serials).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/store_int.h"
#include "util/codec.h"
#include "util/fault.h"

/*
 * How long a unit of work keeps retrying while other processes hold the
 * database (on top of the backend's own lock wait): long enough for a big
 * batch in another process to commit.
 */
#define STORE_RETRY_SECONDS 120

/* ---- schema ------------------------------------------------------------- */

/*
 * Each version is the list of statements that bring the previous one to
 * it, run in one transaction. Never edit a released step: add one.
 */
static const char *const schema_v1[] = {
	"CREATE TABLE meta ("
	" name TEXT PRIMARY KEY,"
	" value TEXT NOT NULL)",

	/*
	 * One row per CA key. The counters are the per-issuer sequences:
	 * updating the row takes a row lock, so allocation is atomic across
	 * processes and machines.
	 */
	"CREATE TABLE issuers ("
	" id {ID},"
	" issuer_key TEXT NOT NULL UNIQUE"
	"  CHECK (length(issuer_key) = 64),"
	" crl_number BIGINT NOT NULL DEFAULT 0 CHECK (crl_number >= 0),"
	" revocation_seq BIGINT NOT NULL DEFAULT 0"
	"  CHECK (revocation_seq >= 0),"
	" created_at BIGINT NOT NULL)",

	/*
	 * serial is 40 hex digits, zero-padded, so that text order is
	 * numeric order (CRL entries are listed by serial); {HEX} is a text
	 * type compared byte by byte, whatever the server's locale.
	 */
	"CREATE TABLE certificates ("
	" id {ID},"
	" issuer_id BIGINT NOT NULL REFERENCES issuers (id),"
	" serial {HEX} NOT NULL CHECK (length(serial) = 40),"
	" status TEXT NOT NULL"
	"  CHECK (status IN ('pending', 'issued', 'revoked', 'failed')),"
	" subject TEXT NOT NULL,"
	" sans TEXT NOT NULL,"
	" spki_sha256 TEXT NOT NULL CHECK (length(spki_sha256) = 64),"
	" not_before BIGINT NOT NULL,"
	" not_after BIGINT NOT NULL,"
	" profile TEXT NOT NULL,"
	" requester TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" issued_at BIGINT,"
	" der {BLOB},"
	" cert_sha256 TEXT,"
	" failure TEXT,"
	" revoked_at BIGINT,"
	" revocation_reason INTEGER,"
	" revocation_seq BIGINT,"
	" CONSTRAINT certificates_serial_per_issuer"
	"  UNIQUE (issuer_id, serial),"
	" CONSTRAINT certificates_validity CHECK (not_before <= not_after),"
	" CONSTRAINT certificates_signed_has_der CHECK ("
	"  (status IN ('pending', 'failed') AND der IS NULL"
	"   AND cert_sha256 IS NULL AND issued_at IS NULL)"
	"  OR (status IN ('issued', 'revoked') AND der IS NOT NULL"
	"   AND length(cert_sha256) = 64 AND issued_at IS NOT NULL)),"
	" CONSTRAINT certificates_failed_has_reason CHECK ("
	"  (status = 'failed' AND failure IS NOT NULL)"
	"  OR (status <> 'failed' AND failure IS NULL)),"
	/* RFC 5280 5.3.1 reasons, without certificateHold and removeFromCRL */
	" CONSTRAINT certificates_revocation CHECK ("
	"  (status = 'revoked' AND revoked_at IS NOT NULL"
	"   AND revocation_reason IN (0, 1, 2, 3, 4, 5, 9, 10)"
	"   AND revocation_seq IS NOT NULL)"
	"  OR (status <> 'revoked' AND revoked_at IS NULL"
	"   AND revocation_reason IS NULL AND revocation_seq IS NULL)))",

	/* Listings by status and expiry, with or without a profile. */
	"CREATE INDEX certificates_status_expiry"
	" ON certificates (status, not_after)",
	"CREATE INDEX certificates_profile_expiry"
	" ON certificates (profile, status, not_after)",
	/* CRL entries of one issuer in serial order; only revoked rows. */
	"CREATE INDEX certificates_revoked"
	" ON certificates (issuer_id, serial) WHERE status = 'revoked'",
	/* The clock check: the latest change. */
	"CREATE INDEX certificates_updated ON certificates (updated_at)",
};

static const char *const schema_v2[] = {
	"CREATE TABLE crls ("
	" id {ID},"
	" issuer_id BIGINT NOT NULL REFERENCES issuers (id),"
	" crl_number BIGINT NOT NULL CHECK (crl_number > 0),"
	" kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),"
	" base_number BIGINT,"
	" this_update BIGINT NOT NULL,"
	" next_update BIGINT NOT NULL,"
	/* the issuer's revocation_seq when the number was allocated */
	" revocation_seq BIGINT NOT NULL,"
	" der {BLOB},"
	" der_sha256 TEXT,"
	" CONSTRAINT crls_number_per_issuer UNIQUE (issuer_id, crl_number),"
	" CONSTRAINT crls_times CHECK (next_update > this_update),"
	" CONSTRAINT crls_delta_has_base CHECK ("
	"  (kind = 'full' AND base_number IS NULL)"
	"  OR (kind = 'delta' AND base_number IS NOT NULL"
	"   AND base_number < crl_number)),"
	" CONSTRAINT crls_signed_has_hash CHECK ("
	"  (der IS NULL AND der_sha256 IS NULL)"
	"  OR (der IS NOT NULL AND length(der_sha256) = 64)),"
	" CONSTRAINT crls_base FOREIGN KEY (issuer_id, base_number)"
	"  REFERENCES crls (issuer_id, crl_number))",

	"CREATE TABLE blocked_keys ("
	" spki_sha256 TEXT PRIMARY KEY CHECK (length(spki_sha256) = 64),"
	" blocked_at BIGINT NOT NULL,"
	" reason TEXT NOT NULL,"
	" certificate_id BIGINT REFERENCES certificates (id))",
};

/*
 * A CRL lists every revoked certificate: with the entries' columns in the
 * index, SQLite reads a million of them from the index alone (0.2 s)
 * instead of looking each row up in a table of DER blobs (7 s). It
 * replaces the v1 index, which is its prefix.
 */
static const char *const schema_v3[] = {
	"CREATE INDEX certificates_revoked_entries"
	" ON certificates (issuer_id, serial, revoked_at, revocation_reason,"
	" not_after, revocation_seq) WHERE status = 'revoked'",
	"DROP INDEX certificates_revoked",
};

/*
 * ACME state (store_acme.c, include/signet/store_acme.h): objects are
 * keyed by their random ids, which are also their URLs' last part.
 */
static const char *const schema_v4[] = {
	"CREATE TABLE acme_nonces ("
	" nonce TEXT PRIMARY KEY CHECK (length(nonce) = 32),"
	" expires BIGINT NOT NULL)",
	"CREATE INDEX acme_nonces_expires ON acme_nonces (expires)",

	"CREATE TABLE acme_accounts ("
	" id TEXT PRIMARY KEY CHECK (length(id) = 32),"
	" thumbprint TEXT NOT NULL UNIQUE CHECK (length(thumbprint) = 43),"
	" spki_sha256 TEXT NOT NULL CHECK (length(spki_sha256) = 64),"
	" jwk TEXT NOT NULL,"
	" contact TEXT NOT NULL,"
	" status TEXT NOT NULL"
	"  CHECK (status IN ('valid', 'deactivated', 'revoked')),"
	" created_at BIGINT NOT NULL)",

	"CREATE TABLE acme_orders ("
	" id TEXT PRIMARY KEY CHECK (length(id) = 32),"
	" account_id TEXT NOT NULL REFERENCES acme_accounts (id),"
	" profile TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'ready',"
	"  'processing', 'valid', 'invalid')),"
	" identifiers TEXT NOT NULL,"
	" expires BIGINT NOT NULL,"
	" serial TEXT,"
	" error TEXT,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" CONSTRAINT acme_orders_valid_has_serial CHECK ("
	"  (status = 'valid') = (serial IS NOT NULL)))",
	"CREATE INDEX acme_orders_account ON acme_orders (account_id)",
	"CREATE INDEX acme_orders_serial ON acme_orders (serial)",

	"CREATE TABLE acme_authzs ("
	" id TEXT PRIMARY KEY CHECK (length(id) = 32),"
	" order_id TEXT NOT NULL REFERENCES acme_orders (id),"
	" position INTEGER NOT NULL,"
	" identifier TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'valid',"
	"  'invalid', 'deactivated', 'expired', 'revoked')),"
	" expires BIGINT NOT NULL,"
	" CONSTRAINT acme_authzs_position UNIQUE (order_id, position))",

	"CREATE TABLE acme_challenges ("
	" id TEXT PRIMARY KEY CHECK (length(id) = 32),"
	" authz_id TEXT NOT NULL REFERENCES acme_authzs (id),"
	" type TEXT NOT NULL"
	"  CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01')),"
	" token TEXT NOT NULL CHECK (length(token) = 43),"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'processing',"
	"  'valid', 'invalid')),"
	" validated_at BIGINT,"
	" error TEXT)",
	"CREATE INDEX acme_challenges_authz ON acme_challenges (authz_id)",
};

/*
 * Renewal over EST (docs/renewal.md): which certificate replaced which,
 * and the one-time enrollment tokens. A token is kept as the SHA-256 of
 * its secret; token_id is the public half an operator lists and revokes.
 */
static const char *const schema_v5[] = {
	"CREATE TABLE supersessions ("
	" certificate_id BIGINT PRIMARY KEY REFERENCES certificates (id),"
	" successor_id BIGINT NOT NULL UNIQUE REFERENCES certificates (id),"
	" superseded_at BIGINT NOT NULL,"
	" CONSTRAINT supersessions_other CHECK (certificate_id <> "
	"successor_id))",

	"CREATE TABLE est_tokens ("
	" id {ID},"
	" token_id TEXT NOT NULL UNIQUE CHECK (length(token_id) = 16),"
	" secret_sha256 TEXT NOT NULL UNIQUE"
	"  CHECK (length(secret_sha256) = 64),"
	" profile TEXT NOT NULL,"
	" names TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" used_at BIGINT,"
	" revoked_at BIGINT,"
	" CONSTRAINT est_tokens_times CHECK (expires_at > created_at))",
};

/*
 * OCSP (docs/ocsp.md): the latest pre-signed response of each
 * certificate, shared by the nodes of the database; read by thisUpdate.
 */
static const char *const schema_v6[] = {
	"CREATE TABLE ocsp_responses ("
	" certificate_id BIGINT NOT NULL PRIMARY KEY"
	"  REFERENCES certificates (id),"
	" this_update BIGINT NOT NULL,"
	" next_update BIGINT NOT NULL,"
	" der {BLOB} NOT NULL,"
	" CONSTRAINT ocsp_responses_times CHECK (next_update > this_update))",
	"CREATE INDEX ocsp_responses_this_update ON ocsp_responses "
	"(this_update)",
};

/*
 * External account binding (RFC 8555 7.3.4, docs/acme.md): the MAC keys
 * `signet acme eab add` makes. The server must hold the key itself to
 * check a MAC, so hmac_key is the key (base64url of 32 random bytes), not
 * a hash of it. account_id is the account a key was bound to (one per
 * key); it is not a foreign key because `signet db copy` carries this
 * table but not the accounts.
 */
static const char *const schema_v7[] = {
	"CREATE TABLE acme_eab_keys ("
	" id {ID},"
	" kid TEXT NOT NULL UNIQUE CHECK (length(kid) = 32),"
	" hmac_key TEXT NOT NULL CHECK (length(hmac_key) = 43),"
	" profile TEXT NOT NULL,"
	" comment TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" account_id TEXT CHECK (length(account_id) = 32),"
	" bound_at BIGINT,"
	" revoked_at BIGINT,"
	" CONSTRAINT acme_eab_keys_bound CHECK ("
	"  (account_id IS NULL) = (bound_at IS NULL)))",
	"CREATE INDEX acme_eab_keys_account ON acme_eab_keys (account_id)",
};

/*
 * ACME renewal information (RFC 9773; store_acme_ari.c): certificates
 * the operator wants replaced early, and the order that replaces a
 * certificate (newOrder's "replaces"); the indexes count what the rate
 * limits need per account.
 */
static const char *const schema_v8[] = {
	"CREATE TABLE acme_renew_early ("
	" certificate_id BIGINT PRIMARY KEY REFERENCES certificates (id),"
	" requested_at BIGINT NOT NULL)",

	"CREATE TABLE acme_replacements ("
	" order_id TEXT PRIMARY KEY REFERENCES acme_orders (id),"
	" certificate_id BIGINT NOT NULL REFERENCES certificates (id),"
	" created_at BIGINT NOT NULL)",
	"CREATE INDEX acme_replacements_certificate"
	" ON acme_replacements (certificate_id)",

	"CREATE INDEX acme_orders_account_created"
	" ON acme_orders (account_id, created_at)",
	"CREATE INDEX acme_authzs_identifier ON acme_authzs (identifier)",
};

static const struct {
	const char *const *sql;
	size_t n;
} schema_steps[SIGNET_STORE_SCHEMA_VERSION] = {
	{ schema_v1, sizeof(schema_v1) / sizeof(schema_v1[0]) },
	{ schema_v2, sizeof(schema_v2) / sizeof(schema_v2[0]) },
	{ schema_v3, sizeof(schema_v3) / sizeof(schema_v3[0]) },
	{ schema_v4, sizeof(schema_v4) / sizeof(schema_v4[0]) },
	{ schema_v5, sizeof(schema_v5) / sizeof(schema_v5[0]) },
	{ schema_v6, sizeof(schema_v6) / sizeof(schema_v6[0]) },
	{ schema_v7, sizeof(schema_v7) / sizeof(schema_v7[0]) },
	{ schema_v8, sizeof(schema_v8) / sizeof(schema_v8[0]) },
};

/* Dropped in this order by store_drop_all (foreign keys first). */
static const char *const schema_tables[] = { "acme_replacements",
	"acme_renew_early", "acme_eab_keys", "ocsp_responses", "est_tokens",
	"supersessions", "acme_challenges", "acme_authzs", "acme_orders",
	"acme_accounts", "acme_nonces", "blocked_keys", "crls", "certificates",
	"issuers", "meta" };

/* ---- names -------------------------------------------------------------- */

const char *
signet_cert_status_name(int status)
{
	switch (status) {
	case SIGNET_CERT_PENDING:
		return "pending";
	case SIGNET_CERT_ISSUED:
		return "issued";
	case SIGNET_CERT_REVOKED:
		return "revoked";
	case SIGNET_CERT_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

const char *
store_status_sql(enum signet_cert_status s)
{
	return signet_cert_status_name(s);
}

int
store_status_parse(const char *s)
{
	int i;

	for (i = SIGNET_CERT_PENDING; i <= SIGNET_CERT_FAILED; i++)
		if (s != NULL && strcmp(s, signet_cert_status_name(i)) == 0)
			return i;
	return 0;
}

/* ---- DER ----------------------------------------------------------------- */

int
store_der_time(struct der_cur *c, int64_t *out)
{
	struct der_elem e;
	const char *why;
	time_t t;
	int year;

	if (!der_optional(c, DER_UTC_TIME, &e) &&
	    !der_optional(c, DER_GENERALIZED_TIME, &e))
		return 0;
	if (der_time_parse(e.id, e.body, e.len, &t, &year, &why) != 0)
		return -1;
	*out = (int64_t)t;
	return 1;
}

/* ---- values ------------------------------------------------------------- */

int
store_issuer_norm(const char *issuer, char out[65])
{
	size_t i;

	if (issuer == NULL)
		return signet_error_set(SIGNET_ERR_USAGE, "no issuer id given");
	for (i = 0; i < 65 && issuer[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)issuer[i]))
			break;
		out[i] = (char)tolower((unsigned char)issuer[i]);
	}
	if (i != 64 || issuer[i] != '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "issuer id '%.80s' is not 64 hex digits (the SHA-256 of "
		    "the issuer's public key)",
		    issuer);
	out[64] = '\0';
	return 0;
}

int
store_serial_norm(const char *serial, char canon[41], char padded[41])
{
	uint8_t bytes[64];
	char buf[160];
	size_t len = 0, skip = 0;
	int r;

	if (serial == NULL || *serial == '\0')
		return signet_error_set(SIGNET_ERR_USAGE, "no serial given");
	if (serial[0] == '-')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial %.80s is negative; serials are positive "
		    "(RFC 5280 4.1.2.2)",
		    serial);
	if (strlen(serial) >= sizeof(buf) - 1)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial %.80s... is too long", serial);
	/* An odd number of digits (no separators) gets its leading 0. */
	if (strlen(serial) % 2 == 1 && strchr(serial, ':') == NULL)
		snprintf(buf, sizeof(buf), "0%s", serial);
	else
		snprintf(buf, sizeof(buf), "%s", serial);
	if ((r = hex_decode(buf, bytes, sizeof(bytes), &len)) != 0)
		return signet_error_context(r, "serial");
	while (skip < len && bytes[skip] == 0)
		skip++;
	len -= skip;
	if (len == 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial %.80s is zero; serials are positive "
		    "(RFC 5280 4.1.2.2)",
		    serial);
	/* 20 octets of DER content, sign octet included: < 2^159. */
	if (len > SIGNET_STORE_SERIAL_MAX ||
	    (len == SIGNET_STORE_SERIAL_MAX && (bytes[skip] & 0x80) != 0))
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial %.80s is longer than 20 octets "
		    "(RFC 5280 4.1.2.2)",
		    serial);
	hex_encode(bytes + skip, len, canon);
	memset(padded, '0', 40 - 2 * len);
	hex_encode(bytes + skip, len, padded + 40 - 2 * len);
	return 0;
}

const char *
store_serial_canon(const char *padded)
{
	size_t i = 0;

	if (padded == NULL)
		return "";
	while (padded[i] == '0' && padded[i + 1] == '0' && padded[i + 2])
		i += 2;
	return padded + i;
}

int
store_text_check(const char *field, const char *v, size_t max, int may_be_empty)
{
	if (v == NULL || (!may_be_empty && *v == '\0'))
		return signet_error_set(SIGNET_ERR_USAGE, "no %s given", field);
	if (strnlen(v, max + 1) > max)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "%s is longer than %zu bytes", field, max);
	return 0;
}

/* ---- statements ----------------------------------------------------------- */

static void
stmt_cache_clear(struct signet_store *st)
{
	size_t i;

	for (i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].stmt != NULL)
			st->be->finalize(st->cache[i].stmt);
		free(st->cache[i].sql);
		st->cache[i].stmt = NULL;
		st->cache[i].sql = NULL;
		st->cache[i].in_use = 0;
	}
}

int
store_q_open(struct signet_store *st, const char *sql, struct store_q *q)
{
	size_t i;
	int r, free_slot = -1;

	memset(q, 0, sizeof(*q));
	q->st = st;
	q->slot = -1;
	for (i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].sql == NULL) {
			if (free_slot < 0)
				free_slot = (int)i;
			continue;
		}
		if (!st->cache[i].in_use &&
		    strcmp(st->cache[i].sql, sql) == 0) {
			st->cache[i].in_use = 1;
			q->stmt = st->cache[i].stmt;
			q->slot = (int)i;
			return 0;
		}
	}
	if ((r = st->be->prepare(st->db, sql, &q->stmt)) != 0)
		return r;
	if (free_slot >= 0 &&
	    (st->cache[free_slot].sql = strdup(sql)) != NULL) {
		st->cache[free_slot].stmt = q->stmt;
		st->cache[free_slot].in_use = 1;
		q->slot = free_slot;
	}
	return 0;
}

void
store_q_int(struct store_q *q, int64_t v)
{
	int r;

	if ((r = q->st->be->bind_int64(q->stmt, ++q->nbind, v)) != 0 &&
	    q->err == 0)
		q->err = r;
}

void
store_q_text(struct store_q *q, const char *v)
{
	int r;

	if ((r = q->st->be->bind_text(q->stmt, ++q->nbind, v)) != 0 &&
	    q->err == 0)
		q->err = r;
}

void
store_q_blob(struct store_q *q, const void *p, size_t n)
{
	int r;

	if ((r = q->st->be->bind_blob(q->stmt, ++q->nbind, p, n)) != 0 &&
	    q->err == 0)
		q->err = r;
}

int
store_q_step(struct store_q *q)
{
	if (q->err != 0)
		return q->err;
	return q->st->be->step(q->stmt);
}

int
store_q_exec(struct store_q *q)
{
	int r;

	while ((r = store_q_step(q)) == 1)
		;
	return r;
}

int64_t
store_q_col_int(struct store_q *q, int i)
{
	return q->st->be->column_int64(q->stmt, i);
}

const char *
store_q_col_text(struct store_q *q, int i)
{
	if (q->st->be->column_is_null(q->stmt, i))
		return NULL;
	return q->st->be->column_text(q->stmt, i);
}

const uint8_t *
store_q_col_blob(struct store_q *q, int i, size_t *n)
{
	*n = 0;
	if (q->st->be->column_is_null(q->stmt, i))
		return NULL;
	return q->st->be->column_blob(q->stmt, i, n);
}

int
store_q_col_is_null(struct store_q *q, int i)
{
	return q->st->be->column_is_null(q->stmt, i);
}

void
store_q_close(struct store_q *q)
{
	if (q->stmt == NULL)
		return;
	if (q->slot >= 0) {
		q->st->be->reset(q->stmt);
		q->st->cache[q->slot].in_use = 0;
	} else
		q->st->be->finalize(q->stmt);
	q->stmt = NULL;
}

/* ---- units of work ------------------------------------------------------- */

int
store_guard(struct signet_store *st)
{
	if (st == NULL)
		return signet_error_set(SIGNET_ERR_USAGE, "no store given");
	if (st->in_callback)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "signet_store called from inside one of its own "
		    "iteration callbacks; act after the iteration");
	if (st->no_migrate && st->version < SIGNET_STORE_SCHEMA_VERSION)
		return signet_error_set(SIGNET_ERR_STORE,
		    "%s has schema version %d, older than the %d this signet "
		    "uses; run `signet db migrate` first",
		    st->url, st->version, SIGNET_STORE_SCHEMA_VERSION);
	return 0;
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep a few randomised milliseconds, more as attempts pile up. */
static void
retry_pause(unsigned attempt)
{
	struct timespec ts;
	long ms = 1 + (long)(attempt < 6 ? 1u << attempt : 64u);

	/* Jitter from the clock keeps racing processes out of step. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ms += (ts.tv_nsec / 1000) % (ms + 1);
	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
issuer_cache_clear(struct signet_store *st)
{
	st->n_issuers = 0;
}

static int
savepoint_run(struct signet_store *st, store_work_fn fn, void *arg)
{
	int r, r2;

	if ((r = st->be->exec(st->db, "SAVEPOINT signet_work")) != 0)
		return r;
	r = fn(st, arg);
	if (r != 0) {
		/* Keep fn's message: undoing must not overwrite it. */
		struct signet_error_info saved = *signet_error_last();

		issuer_cache_clear(st);
		r2 = st->be->exec(st->db, "ROLLBACK TO SAVEPOINT signet_work");
		if (r2 == 0)
			r2 = st->be->exec(st->db,
			    "RELEASE SAVEPOINT signet_work");
		if (r2 == 0)
			signet_error_set(saved.code, "%s", saved.message);
		else
			signet_error_set(saved.code,
			    "%s (and undoing the "
			    "call failed: %s)",
			    saved.message, signet_error_message());
		return r;
	}
	return st->be->exec(st->db, "RELEASE SAVEPOINT signet_work");
}

static void
commit_outcome_note(struct signet_store *st)
{
	st->commit_uncertain =
	    st->be->commit_unknown != NULL && st->be->commit_unknown(st->db);
}

/* store_write without the guard: the migration runs on an old schema. */
static int
write_run(struct signet_store *st, store_work_fn fn, void *arg, int lazy)
{
	int64_t deadline = monotonic_ms() + STORE_RETRY_SECONDS * INT64_C(1000);
	unsigned attempt;
	int r;

	if (st->in_txn)
		return savepoint_run(st, fn, arg);
	for (attempt = 0;; attempt++) {
		if ((r = lazy ? st->be->begin_lazy(st->db)
			      : st->be->begin(st->db)) == 0) {
			r = fn(st, arg);
			if (r == 0) {
				r = st->be->commit(st->db);
				commit_outcome_note(st);
				/* Nothing to undo, nothing to retry. */
				if (r != 0 && st->commit_uncertain) {
					issuer_cache_clear(st);
					return r;
				}
			}
			if (r != 0) {
				struct signet_error_info saved =
				    *signet_error_last();

				issuer_cache_clear(st);
				if (st->be->rollback(st->db) == 0)
					signet_error_set(saved.code, "%s",
					    saved.message);
			}
		}
		if (r == 0 || !st->be->retryable(st->db) ||
		    monotonic_ms() > deadline)
			return r;
		retry_pause(attempt);
	}
}

int
store_write(struct signet_store *st, store_work_fn fn, void *arg)
{
	int r;

	if ((r = store_guard(st)) != 0)
		return r;
	return write_run(st, fn, arg, 0);
}

int
store_write_lazy(struct signet_store *st, store_work_fn fn, void *arg)
{
	int r;

	if ((r = store_guard(st)) != 0)
		return r;
	return write_run(st, fn, arg, 1);
}

int
store_read(struct signet_store *st, store_work_fn fn, void *arg)
{
	int r;

	if ((r = store_guard(st)) != 0)
		return r;
	return fn(st, arg);
}

int
signet_store_begin(struct signet_store *st)
{
	int64_t deadline = monotonic_ms() + STORE_RETRY_SECONDS * INT64_C(1000);
	unsigned attempt;
	int r;

	if ((r = store_guard(st)) != 0)
		return r;
	if (st->in_txn)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a store transaction is already open; commit or roll "
		    "it back first");
	for (attempt = 0;; attempt++) {
		if ((r = st->be->begin(st->db)) == 0)
			break;
		if (!st->be->retryable(st->db) || monotonic_ms() > deadline)
			return signet_error_context(r,
			    "starting a transaction on %s", st->url);
		retry_pause(attempt);
	}
	st->in_txn = 1;
	return 0;
}

int
signet_store_commit(struct signet_store *st)
{
	int r;

	if ((r = store_guard(st)) != 0)
		return r;
	if (!st->in_txn)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no store transaction is open to commit");
	st->in_txn = 0;
	if (st->be->commit(st->db) != 0) {
		struct signet_error_info saved = *signet_error_last();

		commit_outcome_note(st);
		issuer_cache_clear(st);
		if (st->commit_uncertain)
			return signet_error_set(saved.code,
			    "committing to %s: %s", st->url, saved.message);
		(void)st->be->rollback(st->db);
		return signet_error_set(saved.code,
		    "committing to %s: %s; the transaction was rolled back",
		    st->url, saved.message);
	}
	st->commit_uncertain = 0;
	return 0;
}

int
signet_store_commit_uncertain(const struct signet_store *st)
{
	return st != NULL && st->commit_uncertain;
}

int
signet_store_rollback(struct signet_store *st)
{
	int r;

	if ((r = store_guard(st)) != 0)
		return r;
	if (!st->in_txn)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no store transaction is open to roll back");
	st->in_txn = 0;
	issuer_cache_clear(st);
	return st->be->rollback(st->db);
}

/* ---- issuers ------------------------------------------------------------- */

int
store_issuer_id(struct signet_store *st, const char *issuer, int create,
    int64_t now, int64_t *id)
{
	struct store_q q = { 0 };
	size_t i;
	int r = SIGNET_ERR_INTERNAL;

	*id = 0;
	for (i = 0; i < st->n_issuers; i++) {
		if (strcmp(st->issuers[i].key, issuer) == 0) {
			*id = st->issuers[i].id;
			return 0;
		}
	}
	for (;;) {
		if ((r = store_q_open(st,
			 "SELECT id FROM issuers WHERE issuer_key = ?", &q)) !=
		    0)
			goto out;
		store_q_text(&q, issuer);
		if ((r = store_q_step(&q)) < 0)
			goto out;
		if (r == 1) {
			*id = store_q_col_int(&q, 0);
			break;
		}
		store_q_close(&q);
		if (!create) {
			r = signet_error_set(SIGNET_ERR_NOT_FOUND,
			    "no certificates or CRLs of issuer %s in the "
			    "database",
			    issuer);
			goto out;
		}
		/* Another process may register it at the same moment. */
		if ((r = store_q_open(st,
			 "INSERT INTO issuers (issuer_key, crl_number, "
			 "revocation_seq, created_at) VALUES (?, 0, 0, ?) "
			 "ON CONFLICT (issuer_key) DO NOTHING",
			 &q)) != 0)
			goto out;
		store_q_text(&q, issuer);
		store_q_int(&q, now);
		if ((r = store_q_exec(&q)) != 0)
			goto out;
		store_q_close(&q);
		create = 0;
	}
	/*
	 * Cached even if created by this unit of work: every rollback
	 * empties the cache.
	 */
	if (st->n_issuers < sizeof(st->issuers) / sizeof(st->issuers[0])) {
		snprintf(st->issuers[st->n_issuers].key,
		    sizeof(st->issuers[0].key), "%s", issuer);
		st->issuers[st->n_issuers++].id = *id;
	}
	r = 0;
out:
	store_q_close(&q);
	return r;
}

/* ---- opening and the schema ---------------------------------------------- */

/* strip: the backend is given what follows the scheme (SQLite's path). */
static const struct {
	const char *scheme;
	const struct store_backend *be;
	int strip;
} backends[] = {
	{ "sqlite:", &store_sqlite_backend, 1 },
#ifdef SIGNET_HAVE_LIBPQ
	/* libpq parses the whole URI itself. */
	{ "postgresql://", &store_pg_backend, 0 },
	{ "postgres://", &store_pg_backend, 0 },
#endif
};

static int
url_parse(const char *url, const struct store_backend **be, const char **target)
{
	size_t i;

	*be = NULL;
	*target = NULL;
	if (url == NULL || *url == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no database given; use a path, sqlite:PATH or "
		    "postgresql://...");
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i].scheme);

		if (strncmp(url, backends[i].scheme, n) == 0) {
			*be = backends[i].be;
			*target = backends[i].strip ? url + n : url;
			return 0;
		}
	}
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0)
		return signet_error_set(SIGNET_ERR_STORE,
		    "cannot open %.200s: this signet was not built with "
		    "PostgreSQL support (libpq was missing when it was "
		    "built); use a sqlite:PATH database",
		    url);
	if (strstr(url, "://") != NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "unknown database URL '%s'; use a path or sqlite:PATH",
		    url);
	/* A plain path is an SQLite database. */
	*be = &store_sqlite_backend;
	*target = url;
	return 0;
}

/* Substitute the backend's types for {ID}, {HEX} and {BLOB}. */
static char *
schema_expand(const struct store_backend *be, const char *sql)
{
	size_t cap = strlen(sql) + 1, used = 0, n;
	const char *p, *sub;
	char *out, *tmp;

	if ((out = malloc(cap)) == NULL)
		return NULL;
	for (p = sql; *p != '\0';) {
		sub = NULL;
		if (strncmp(p, "{ID}", 4) == 0) {
			sub = be->type_id;
			p += 4;
		} else if (strncmp(p, "{HEX}", 5) == 0) {
			sub = be->type_hex;
			p += 5;
		} else if (strncmp(p, "{BLOB}", 6) == 0) {
			sub = be->type_blob;
			p += 6;
		}
		n = sub != NULL ? strlen(sub) : 1;
		if (used + n + 1 > cap) {
			cap = (used + n + 1) * 2;
			if ((tmp = realloc(out, cap)) == NULL) {
				free(out);
				return NULL;
			}
			out = tmp;
		}
		if (sub != NULL) {
			memcpy(out + used, sub, n);
		} else
			out[used] = *p++;
		used += n;
	}
	out[used] = '\0';
	return out;
}

static int
table_exists(struct signet_store *st, const char *name, int *exists)
{
	struct store_q q = { 0 };
	int r;

	*exists = 0;
	if ((r = store_q_open(st, st->be->sql_table_exists, &q)) != 0)
		return r;
	store_q_text(&q, name);
	if ((r = store_q_step(&q)) == 1) {
		*exists = store_q_col_int(&q, 0) > 0;
		r = 0;
	} else if (r == 0)
		r = signet_error_set(SIGNET_ERR_STORE,
		    "the table catalogue returned nothing");
	store_q_close(&q);
	return r;
}

/* The schema version: 0 for an empty database. */
static int
schema_version_read(struct signet_store *st, int *version)
{
	struct store_q q = { 0 };
	const char *v;
	char *end;
	long n;
	int r, exists;

	*version = 0;
	if ((r = table_exists(st, "meta", &exists)) != 0)
		return r;
	if (!exists) {
		if ((r = store_q_open(st, st->be->sql_table_count, &q)) != 0)
			return r;
		if ((r = store_q_step(&q)) == 1)
			r = store_q_col_int(&q, 0) > 0
				? signet_error_set(SIGNET_ERR_STORE,
				      "%s holds tables but is not a signet "
				      "database (no schema version); give "
				      "signet a database of its own",
				      st->url)
				: 0;
		store_q_close(&q);
		return r;
	}
	if ((r = store_q_open(st,
		 "SELECT value FROM meta WHERE name = 'schema_version'", &q)) !=
	    0)
		return r;
	if ((r = store_q_step(&q)) < 0)
		goto out;
	if (r == 0 || (v = store_q_col_text(&q, 0)) == NULL) {
		r = signet_error_set(SIGNET_ERR_STORE,
		    "%s has no schema version recorded; it is damaged or "
		    "not a signet database",
		    st->url);
		goto out;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > 1000000) {
		r = signet_error_set(SIGNET_ERR_STORE,
		    "%s records schema version '%.40s', which is not a "
		    "version",
		    st->url, v);
		goto out;
	}
	*version = (int)n;
	r = 0;
out:
	store_q_close(&q);
	return r;
}

struct migrate_arg {
	int target;
	int from;
};

static int
migrate_work(struct signet_store *st, void *argp)
{
	struct migrate_arg *a = argp;
	struct store_q q = { 0 };
	char value[16];
	char *sql = NULL;
	size_t i;
	int r = SIGNET_ERR_INTERNAL, v;

	/* Wait for any other process migrating, then read again: it may
	 * have done the work. */
	if (st->be->lock_schema != NULL &&
	    (r = st->be->lock_schema(st->db)) != 0)
		goto out;
	if ((r = schema_version_read(st, &v)) != 0)
		goto out;
	a->from = v;
	if (v == a->target) {
		r = 0;
		goto out;
	}
	if (v > a->target) {
		r = signet_error_set(SIGNET_ERR_STORE,
		    "%s has schema version %d, newer than the %d this "
		    "signet understands; upgrade signet (the database was "
		    "not changed)",
		    st->url, v, a->target);
		goto out;
	}
	for (; v < a->target; v++) {
		for (i = 0; i < schema_steps[v].n; i++) {
			if ((sql = schema_expand(st->be,
				 schema_steps[v].sql[i])) == NULL) {
				r = signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
				goto out;
			}
			if ((r = st->be->exec(st->db, sql)) != 0) {
				r = signet_error_context(r,
				    "migrating %s to schema version %d",
				    st->url, v + 1);
				goto out;
			}
			free(sql);
			sql = NULL;
		}
		if ((r = SIGNET_FAULT("store.migrate")) != 0)
			goto out;
	}
	snprintf(value, sizeof(value), "%d", a->target);
	if ((r = store_q_open(st,
		 a->from == 0 ? "INSERT INTO meta (name, value) "
				"VALUES ('schema_version', ?)"
			      : "UPDATE meta SET value = ? WHERE name = "
				"'schema_version'",
		 &q)) != 0)
		goto out;
	store_q_text(&q, value);
	if ((r = store_q_exec(&q)) != 0)
		goto out;
	r = 0;
out:
	store_q_close(&q);
	free(sql);
	return r;
}

static int
store_setup(struct signet_store *st)
{
	int64_t deadline = monotonic_ms() + STORE_RETRY_SECONDS * INT64_C(1000);
	unsigned attempt;
	int r;

	if (st->be->setup == NULL)
		return 0;
	for (attempt = 0;; attempt++) {
		if ((r = st->be->setup(st->db)) == 0 ||
		    !st->be->retryable(st->db) || monotonic_ms() > deadline)
			return r;
		retry_pause(attempt);
	}
}

static int
store_open_internal(const char *url, int target,
    const struct signet_store_options *o, struct signet_store **out)
{
	static const struct signet_store_options defaults = { 0 };
	struct signet_store *st = NULL;
	const struct store_backend *be;
	const char *where;
	struct migrate_arg ma;
	int r = SIGNET_ERR_INTERNAL, v;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	if ((r = url_parse(url, &be, &where)) != 0)
		goto out;
	if (be == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "no store backend");
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->url = strdup(url)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	st->be = be;
	if ((r = be->open(where, o, &st->db)) != 0)
		goto out;
	if (target == 0) {
		/* Tests: a bare connection, whatever the schema holds. */
		*out = st;
		return 0;
	}
	/*
	 * Read-only first: a newer database must stay untouched. One
	 * snapshot, so that another process creating the schema meanwhile
	 * is seen entirely or not at all.
	 */
	if ((r = be->begin_read(st->db)) != 0)
		goto out;
	r = schema_version_read(st, &v);
	if (r != 0) {
		struct signet_error_info saved = *signet_error_last();

		if (be->rollback(st->db) == 0)
			signet_error_set(saved.code, "%s", saved.message);
		goto out;
	}
	if ((r = be->rollback(st->db)) != 0)
		goto out;
	if (v > SIGNET_STORE_SCHEMA_VERSION || v > target) {
		r = signet_error_set(SIGNET_ERR_STORE,
		    "%s has schema version %d, newer than the %d this "
		    "signet understands; upgrade signet (the database was "
		    "not changed)",
		    url, v, target);
		goto out;
	}
	if (o->no_migrate && v < target) {
		/* Untouched until signet_store_migrate. */
		st->no_migrate = 1;
		st->version = v;
		*out = st;
		return 0;
	}
	if ((r = store_setup(st)) != 0)
		goto out;
	if (v < target) {
		ma.target = target;
		ma.from = v;
		if ((r = write_run(st, migrate_work, &ma, 0)) != 0)
			goto out;
	}
	st->version = target;
	*out = st;
	st = NULL;
	r = 0;
out:
	signet_store_free(st);
	return r;
}

int
store_open_version(const char *url, int target, struct signet_store **out)
{
	return store_open_internal(url, target, NULL, out);
}

int
signet_store_open(const char *url, struct signet_store **out)
{
	return store_open_internal(url, SIGNET_STORE_SCHEMA_VERSION, NULL, out);
}

int
signet_store_open_with(const char *url, const struct signet_store_options *o,
    struct signet_store **out)
{
	return store_open_internal(url, SIGNET_STORE_SCHEMA_VERSION, o, out);
}

int
signet_store_migrate(struct signet_store *st)
{
	struct migrate_arg ma;
	int r;

	if (st == NULL)
		return signet_error_set(SIGNET_ERR_USAGE, "no store given");
	if (st->in_callback || st->in_txn)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "cannot migrate %s inside a transaction or an iteration",
		    st->url);
	if (st->version == SIGNET_STORE_SCHEMA_VERSION && !st->no_migrate)
		return 0;
	if ((r = store_setup(st)) != 0)
		return r;
	ma.target = SIGNET_STORE_SCHEMA_VERSION;
	ma.from = st->version;
	if ((r = write_run(st, migrate_work, &ma, 0)) != 0)
		return r;
	st->version = SIGNET_STORE_SCHEMA_VERSION;
	st->no_migrate = 0;
	return 0;
}

void
signet_store_free(struct signet_store *st)
{
	if (st == NULL)
		return;
	stmt_cache_clear(st);
	if (st->db != NULL) {
		if (st->in_txn)
			(void)st->be->rollback(st->db);
		st->be->close(st->db);
	}
	free(st->url);
	free(st);
}

const char *
signet_store_backend(const struct signet_store *st)
{
	return st->be->name;
}

int
signet_store_set_scan(struct signet_store *st)
{
	if (st->be->sql_scan == NULL)
		return 0;
	return st->be->exec(st->db, st->be->sql_scan);
}

int
signet_store_schema_version(const struct signet_store *st)
{
	return st->version;
}

/* ---- counters, clock, blocked keys --------------------------------------- */

struct counts_arg {
	const char *issuer;
	struct signet_store_counts *out;
};

static int
counts_work(struct signet_store *st, void *argp)
{
	struct counts_arg *a = argp;
	struct store_q q = { 0 };
	int64_t id = 0, n;
	int r = SIGNET_ERR_INTERNAL;

	memset(a->out, 0, sizeof(*a->out));
	if (a->issuer != NULL) {
		r = store_issuer_id(st, a->issuer, 0, 0, &id);
		if (r == SIGNET_ERR_NOT_FOUND) {
			signet_error_clear();
			return 0;
		}
		if (r != 0)
			return r;
	}
	if ((r = store_q_open(st,
		 a->issuer != NULL
		     ? "SELECT status, count(*) FROM certificates "
		       "WHERE issuer_id = ? GROUP BY status"
		     : "SELECT status, count(*) FROM certificates "
		       "GROUP BY status",
		 &q)) != 0)
		goto out;
	if (a->issuer != NULL)
		store_q_int(&q, id);
	while ((r = store_q_step(&q)) == 1) {
		n = store_q_col_int(&q, 1);
		switch (store_status_parse(store_q_col_text(&q, 0))) {
		case SIGNET_CERT_PENDING:
			a->out->pending = n;
			break;
		case SIGNET_CERT_ISSUED:
			a->out->issued = n;
			break;
		case SIGNET_CERT_REVOKED:
			a->out->revoked = n;
			break;
		case SIGNET_CERT_FAILED:
			a->out->failed = n;
			break;
		default:
			break;
		}
	}
	if (r < 0)
		goto out;
	store_q_close(&q);
	if ((r = store_q_open(st,
		 a->issuer != NULL
		     ? "SELECT count(*) FROM crls WHERE issuer_id = ?"
		     : "SELECT count(*) FROM crls",
		 &q)) != 0)
		goto out;
	if (a->issuer != NULL)
		store_q_int(&q, id);
	if ((r = store_q_step(&q)) < 0)
		goto out;
	a->out->crls = r == 1 ? store_q_col_int(&q, 0) : 0;
	store_q_close(&q);
	if ((r = store_q_open(st, "SELECT count(*) FROM blocked_keys", &q)) !=
	    0)
		goto out;
	if ((r = store_q_step(&q)) < 0)
		goto out;
	a->out->blocked_keys = r == 1 ? store_q_col_int(&q, 0) : 0;
	r = 0;
out:
	store_q_close(&q);
	return r;
}

int
signet_store_counts(struct signet_store *st, const char *issuer,
    struct signet_store_counts *out)
{
	struct counts_arg a;
	char key[65];
	int r;

	memset(out, 0, sizeof(*out));
	if (issuer != NULL && (r = store_issuer_norm(issuer, key)) != 0)
		return r;
	a.issuer = issuer != NULL ? key : NULL;
	a.out = out;
	return store_read(st, counts_work, &a);
}

static int
clock_work(struct signet_store *st, void *argp)
{
	/* Each is a max() over an index or a small table. */
	static const char *const sql[] = {
		"SELECT max(updated_at) FROM certificates",
		"SELECT max(this_update) FROM crls",
		"SELECT max(blocked_at) FROM blocked_keys",
	};
	int64_t *last = argp;
	struct store_q q = { 0 };
	size_t i;
	int r;

	*last = 0;
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if ((r = store_q_open(st, sql[i], &q)) != 0)
			return r;
		if ((r = store_q_step(&q)) < 0) {
			store_q_close(&q);
			return r;
		}
		if (r == 1 && !store_q_col_is_null(&q, 0) &&
		    store_q_col_int(&q, 0) > *last)
			*last = store_q_col_int(&q, 0);
		store_q_close(&q);
	}
	return 0;
}

int
signet_store_clock_last(struct signet_store *st, int64_t *last)
{
	*last = 0;
	return store_read(st, clock_work, last);
}

struct key_arg {
	char spki[65];
	const char *reason;
	int64_t now;
	int *blocked;
};

static int
key_blocked_work(struct signet_store *st, void *argp)
{
	struct key_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "SELECT 1 FROM blocked_keys WHERE spki_sha256 = ?", &q)) != 0)
		return r;
	store_q_text(&q, a->spki);
	if ((r = store_q_step(&q)) >= 0) {
		*a->blocked = r;
		r = 0;
	}
	store_q_close(&q);
	return r;
}

int
signet_store_key_blocked(struct signet_store *st, const uint8_t spki_sha256[32],
    int *blocked)
{
	struct key_arg a;

	*blocked = 0;
	hex_encode(spki_sha256, 32, a.spki);
	a.blocked = blocked;
	return store_read(st, key_blocked_work, &a);
}

static int
key_block_work(struct signet_store *st, void *argp)
{
	struct key_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "INSERT INTO blocked_keys (spki_sha256, blocked_at, reason) "
		 "VALUES (?, ?, ?) ON CONFLICT (spki_sha256) DO NOTHING",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->spki);
	store_q_int(&q, a->now);
	store_q_text(&q, a->reason);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_key_block(struct signet_store *st, const uint8_t spki_sha256[32],
    const char *reason, int64_t now)
{
	struct key_arg a;
	int r;

	if ((r = store_text_check("block reason", reason, SIGNET_STORE_TEXT_MAX,
		 0)) != 0)
		return r;
	hex_encode(spki_sha256, 32, a.spki);
	a.reason = reason;
	a.now = now;
	return store_write(st, key_block_work, &a);
}

/* ---- for tests ------------------------------------------------------------ */

int
store_exec_raw(struct signet_store *st, const char *sql)
{
	int r;

	if ((r = store_guard(st)) != 0)
		return r;
	return st->be->exec(st->db, sql);
}

int
store_drop_all(struct signet_store *st)
{
	char sql[128];
	size_t i;
	int r;

	stmt_cache_clear(st);
	issuer_cache_clear(st);
	for (i = 0; i < sizeof(schema_tables) / sizeof(schema_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s",
		    schema_tables[i]);
		if ((r = st->be->exec(st->db, sql)) != 0)
			return r;
	}
	return 0;
}
