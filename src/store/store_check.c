/*
 * `signet db check`: what a crash, a wrong clock or a hand edit leaves
 * behind. Every finding names the row and says what to do about it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "store/store_int.h"
#include "util/codec.h"

struct check_ctx {
	struct signet_store *st;
	const struct signet_store_check_opts *o;
	signet_store_problem_cb cb;
	void *cb_arg;
	size_t n;
	char (*key_ids)[65]; /* hex SPKI SHA-256 of each issuer key */
	int stop;            /* the callback asked to stop */
	char detail[1024];   /* the problem being reported */
	int cb_error;        /* ... with this error */
};

/* Hand the problem described in c->detail to the callback. */
static void
report(struct check_ctx *c, enum signet_store_problem_kind kind,
    const char *issuer, const char *serial, int64_t crl)
{
	struct signet_store_problem p;
	int r;

	if (c->stop)
		return;
	p.kind = kind;
	p.issuer = issuer;
	p.serial = serial;
	p.crl_number = crl;
	p.detail = c->detail;
	c->n++;
	c->st->in_callback = 1;
	r = c->cb(&p, c->cb_arg);
	c->st->in_callback = 0;
	if (r != 0) {
		c->stop = 1;
		c->cb_error = r < 0 ? r : 0;
	}
}

static EVP_PKEY *
issuer_key_for(struct check_ctx *c, const char *issuer)
{
	size_t i;

	for (i = 0; i < c->o->n_issuer_keys; i++)
		if (issuer != NULL && strcmp(c->key_ids[i], issuer) == 0)
			return c->o->issuer_keys[i];
	return NULL;
}

static int
check_pending(struct check_ctx *c)
{
	struct store_q q = { 0 };
	const char *issuer, *serial;
	char when[21];
	int r;

	if ((r = store_q_open(c->st,
		 "SELECT i.issuer_key, c.serial, c.created_at, c.requester, "
		 "c.profile FROM certificates c JOIN issuers i "
		 "ON i.id = c.issuer_id WHERE c.status = 'pending' "
		 "AND c.created_at < ? ORDER BY c.created_at",
		 &q)) != 0)
		return r;
	store_q_int(&q, c->o->now - c->o->grace);
	while (!c->stop && (r = store_q_step(&q)) == 1) {
		issuer = store_q_col_text(&q, 0);
		serial = store_serial_canon(store_q_col_text(&q, 1));
		time_format((time_t)store_q_col_int(&q, 2), when);
		snprintf(c->detail, sizeof(c->detail),
		    "serial %s was reserved at %s for %s (profile %s) and "
		    "never issued nor marked failed: if the certificate was "
		    "signed, record its DER; otherwise mark it failed",
		    serial, when, store_q_col_text(&q, 3),
		    store_q_col_text(&q, 4));
		report(c, SIGNET_PROBLEM_PENDING, issuer, serial, 0);
	}
	store_q_close(&q);
	return r < 0 ? r : 0;
}

static int
check_certs(struct check_ctx *c)
{
	struct store_q q = { 0 };
	struct store_cert_expect e;
	const char *issuer, *serial, *hash;
	const uint8_t *der;
	uint8_t digest[32];
	char hex[65];
	size_t len;
	int r;

	if ((r = store_q_open(c->st,
		 "SELECT i.issuer_key, c.serial, c.not_before, c.not_after, "
		 "c.spki_sha256, c.cert_sha256, c.der FROM certificates c "
		 "JOIN issuers i ON i.id = c.issuer_id "
		 "WHERE c.status IN ('issued', 'revoked')",
		 &q)) != 0)
		return r;
	while (!c->stop && (r = store_q_step(&q)) == 1) {
		issuer = store_q_col_text(&q, 0);
		e.serial_padded = store_q_col_text(&q, 1);
		serial = store_serial_canon(e.serial_padded);
		e.not_before = store_q_col_int(&q, 2);
		e.not_after = store_q_col_int(&q, 3);
		e.spki_sha256 = store_q_col_text(&q, 4);
		hash = store_q_col_text(&q, 5);
		der = store_q_col_blob(&q, 6, &len);
		if (der == NULL || sha256(der, len, digest) != 0) {
			snprintf(c->detail, sizeof(c->detail),
			    "certificate %s has no readable DER", serial);
			report(c, SIGNET_PROBLEM_CERT_MISMATCH, issuer, serial,
			    0);
			continue;
		}
		hex_encode(digest, 32, hex);
		if (hash == NULL || strcmp(hex, hash) != 0) {
			snprintf(c->detail, sizeof(c->detail),
			    "certificate %s: the stored DER hashes to %s, the "
			    "row records %s; the row was altered",
			    serial, hex, hash != NULL ? hash : "nothing");
			report(c, SIGNET_PROBLEM_CERT_MISMATCH, issuer, serial,
			    0);
			continue;
		}
		if (store_cert_der_check(der, len, &e,
			issuer_key_for(c, issuer)) == 0)
			continue;
		snprintf(c->detail, sizeof(c->detail),
		    "certificate %s: %s; the row was altered", serial,
		    signet_error_message());
		report(c, SIGNET_PROBLEM_CERT_MISMATCH, issuer, serial, 0);
	}
	store_q_close(&q);
	signet_error_clear();
	return r < 0 ? r : 0;
}

static int
check_crls(struct check_ctx *c)
{
	struct store_q q = { 0 };
	const char *issuer, *hash;
	const uint8_t *der;
	uint8_t digest[32];
	char hex[65], when[21];
	int64_t number, this_update;
	size_t len;
	int r;

	if ((r = store_q_open(c->st,
		 "SELECT i.issuer_key, c.crl_number, c.base_number, "
		 "c.this_update, c.next_update, c.der_sha256, c.der "
		 "FROM crls c JOIN issuers i ON i.id = c.issuer_id "
		 "ORDER BY c.issuer_id, c.crl_number",
		 &q)) != 0)
		return r;
	while (!c->stop && (r = store_q_step(&q)) == 1) {
		issuer = store_q_col_text(&q, 0);
		number = store_q_col_int(&q, 1);
		this_update = store_q_col_int(&q, 3);
		hash = store_q_col_text(&q, 5);
		der = store_q_col_blob(&q, 6, &len);
		if (der == NULL) {
			if (this_update >= c->o->now - c->o->grace)
				continue;
			time_format((time_t)this_update, when);
			snprintf(c->detail, sizeof(c->detail),
			    "CRL number %lld (thisUpdate %s) was allocated "
			    "but never recorded: its signing stopped. The "
			    "number stays unused; if that CRL was published, "
			    "record its DER",
			    (long long)number, when);
			report(c, SIGNET_PROBLEM_CRL_UNRECORDED, issuer, NULL,
			    number);
			continue;
		}
		if (sha256(der, len, digest) != 0)
			memset(digest, 0, sizeof(digest));
		hex_encode(digest, 32, hex);
		if (hash == NULL || strcmp(hex, hash) != 0) {
			snprintf(c->detail, sizeof(c->detail),
			    "CRL %lld: the stored DER hashes to %s, the row "
			    "records %s; the row was altered",
			    (long long)number, hex,
			    hash != NULL ? hash : "nothing");
			report(c, SIGNET_PROBLEM_CRL_MISMATCH, issuer, NULL,
			    number);
			continue;
		}
		if (store_crl_der_check(der, len, number,
			store_q_col_is_null(&q, 2) ? 0 : store_q_col_int(&q, 2),
			this_update, store_q_col_int(&q, 4),
			issuer_key_for(c, issuer)) == 0)
			continue;
		snprintf(c->detail, sizeof(c->detail),
		    "CRL %lld: %s; the row was altered", (long long)number,
		    signet_error_message());
		report(c, SIGNET_PROBLEM_CRL_MISMATCH, issuer, NULL, number);
	}
	store_q_close(&q);
	signet_error_clear();
	return r < 0 ? r : 0;
}

static int
check_blocked(struct check_ctx *c)
{
	struct store_q q = { 0 };
	const char *serial;
	int r;

	if ((r = store_q_open(c->st,
		 "SELECT i.issuer_key, c.serial, c.spki_sha256 "
		 "FROM certificates c JOIN issuers i ON i.id = c.issuer_id "
		 "WHERE c.status = 'revoked' AND c.revocation_reason = 1 "
		 "AND NOT EXISTS (SELECT 1 FROM blocked_keys b "
		 "WHERE b.spki_sha256 = c.spki_sha256)",
		 &q)) != 0)
		return r;
	while (!c->stop && (r = store_q_step(&q)) == 1) {
		serial = store_serial_canon(store_q_col_text(&q, 1));
		snprintf(c->detail, sizeof(c->detail),
		    "certificate %s was revoked for keyCompromise but its "
		    "key %s is not blocked; block it",
		    serial, store_q_col_text(&q, 2));
		report(c, SIGNET_PROBLEM_KEY_NOT_BLOCKED,
		    store_q_col_text(&q, 0), serial, 0);
	}
	store_q_close(&q);
	return r < 0 ? r : 0;
}

/*
 * The other way round: a key blocked because of a certificate's
 * keyCompromise revocation whose row no longer says so (flipped back to
 * issued, downgraded to another reason) or is gone.
 */
static int
check_blocked_rows(struct check_ctx *c)
{
	struct store_q q = { 0 };
	const char *serial, *status;
	int r;

	if ((r = store_q_open(c->st,
		 "SELECT i.issuer_key, c.serial, c.status, "
		 "c.revocation_reason, b.spki_sha256, b.certificate_id "
		 "FROM blocked_keys b "
		 "LEFT JOIN certificates c ON c.id = b.certificate_id "
		 "LEFT JOIN issuers i ON i.id = c.issuer_id "
		 "WHERE b.certificate_id IS NOT NULL AND (c.id IS NULL "
		 "OR c.status <> 'revoked' OR c.revocation_reason <> 1)",
		 &q)) != 0)
		return r;
	while (!c->stop && (r = store_q_step(&q)) == 1) {
		status = store_q_col_text(&q, 2);
		if (status == NULL) {
			snprintf(c->detail, sizeof(c->detail),
			    "key %s is blocked because of the keyCompromise "
			    "revocation of certificate row %lld, but that row "
			    "is gone: a row was deleted by hand; restore it "
			    "from a backup",
			    store_q_col_text(&q, 4),
			    (long long)store_q_col_int(&q, 5));
			report(c, SIGNET_PROBLEM_KEY_BLOCKED_UNREVOKED, NULL,
			    NULL, 0);
			continue;
		}
		serial = store_serial_canon(store_q_col_text(&q, 1));
		snprintf(c->detail, sizeof(c->detail),
		    "certificate %s was revoked for keyCompromise (its key %s "
		    "is blocked), but its row says %s%s%s: the row was changed "
		    "by hand; revoke it again: signet revoke %s --reason "
		    "keyCompromise",
		    serial, store_q_col_text(&q, 4), status,
		    strcmp(status, "revoked") == 0 ? " for reason " : "",
		    strcmp(status, "revoked") == 0
			? signet_crl_reason_name((int)store_q_col_int(&q, 3))
			: "",
		    serial);
		report(c, SIGNET_PROBLEM_KEY_BLOCKED_UNREVOKED,
		    store_q_col_text(&q, 0), serial, 0);
	}
	store_q_close(&q);
	return r < 0 ? r : 0;
}

static int
check_future(struct check_ctx *c)
{
	static const char *const sql[] = {
		/* The updated_at index makes this a range probe. */
		"SELECT i.issuer_key, c.serial, c.updated_at "
		"FROM certificates c JOIN issuers i ON i.id = c.issuer_id "
		"WHERE c.updated_at > ?",
		"SELECT i.issuer_key, NULL, c.this_update, c.crl_number "
		"FROM crls c JOIN issuers i ON i.id = c.issuer_id "
		"WHERE c.this_update > ?",
	};
	struct store_q q = { 0 };
	const char *serial;
	char when[21], now[21];
	size_t i;
	int r = 0;

	time_format((time_t)c->o->now, now);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && !c->stop; i++) {
		if ((r = store_q_open(c->st, sql[i], &q)) != 0)
			return r;
		store_q_int(&q, c->o->now);
		while (!c->stop && (r = store_q_step(&q)) == 1) {
			time_format((time_t)store_q_col_int(&q, 2), when);
			serial =
			    i == 0 ? store_serial_canon(store_q_col_text(&q, 1))
				   : NULL;
			snprintf(c->detail, sizeof(c->detail),
			    "%s %s was recorded at %s, later than now (%s): "
			    "the system clock is behind or was set back; "
			    "fix it before signing",
			    i == 0 ? "certificate" : "CRL",
			    i == 0 ? serial : "entry", when, now);
			report(c, SIGNET_PROBLEM_FUTURE,
			    store_q_col_text(&q, 0), serial,
			    i == 1 ? store_q_col_int(&q, 3) : 0);
		}
		store_q_close(&q);
		if (r < 0)
			return r;
	}
	return 0;
}

static void
integrity_problem(const char *detail, void *arg)
{
	struct check_ctx *c = arg;

	snprintf(c->detail, sizeof(c->detail),
	    "the database engine reports: %s; restore from a backup", detail);
	report(c, SIGNET_PROBLEM_INTEGRITY, NULL, NULL, 0);
}

static int
check_work(struct signet_store *st, void *argp)
{
	struct check_ctx *c = argp;
	int r;

	(void)st;
	if (c->st->be->integrity != NULL &&
	    (r = c->st->be->integrity(c->st->db, integrity_problem, c)) != 0)
		return r;
	if ((r = check_pending(c)) != 0 || (r = check_certs(c)) != 0 ||
	    (r = check_crls(c)) != 0 || (r = check_blocked(c)) != 0 ||
	    (r = check_blocked_rows(c)) != 0 || (r = check_future(c)) != 0)
		return r;
	return c->cb_error;
}

int
signet_store_check(struct signet_store *st,
    const struct signet_store_check_opts *opts, signet_store_problem_cb cb,
    void *arg, size_t *n_problems)
{
	struct check_ctx c;
	uint8_t *spki = NULL, digest[32];
	size_t i;
	int r = SIGNET_ERR_INTERNAL, len;

	memset(&c, 0, sizeof(c));
	if (n_problems != NULL)
		*n_problems = 0;
	if (opts == NULL || cb == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no check options or callback given");
	c.st = st;
	c.o = opts;
	c.cb = cb;
	c.cb_arg = arg;
	if (opts->n_issuer_keys > 0 && (c.key_ids = calloc(opts->n_issuer_keys,
					    sizeof(*c.key_ids))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < opts->n_issuer_keys; i++) {
		if ((len = i2d_PUBKEY(opts->issuer_keys[i], &spki)) <= 0) {
			r = signet_error_ossl(SIGNET_ERR_CRYPTO,
			    "encoding issuer key %zu", i + 1);
			goto out;
		}
		if ((r = sha256(spki, (size_t)len, digest)) != 0)
			goto out;
		OPENSSL_free(spki);
		spki = NULL;
		hex_encode(digest, 32, c.key_ids[i]);
	}
	if ((r = store_read(st, check_work, &c)) != 0)
		goto out;
	if (n_problems != NULL)
		*n_problems = c.n;
	r = 0;
out:
	OPENSSL_free(spki);
	free(c.key_ids);
	return r;
}
