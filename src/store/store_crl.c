/*
 * CRL numbers and the entries of each CRL.
 *
 * Each issuer row carries two counters: crl_number, the last number handed
 * out, and revocation_seq, bumped by every revocation and reason change
 * (which stores the new value in the certificate row). Allocating a CRL
 * number increments the first and records the second in the CRL row, in
 * one transaction: the issuer row's lock orders allocations and
 * revocations, so a delta CRL lists exactly the changes whose number is
 * above its base's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "signet/x509.h"
#include "store/store_int.h"
#include "util/codec.h"

/* ---- DER against its row ------------------------------------------------- */

/* The fields of a CRL the store keeps in its row; -1: absent. */
struct crl_fields {
	int64_t number;
	int64_t base;
	int64_t this_update;
	int64_t next_update;
};

/* A non-negative INTEGER of at most 63 bits, inside an OCTET STRING. */
static int
crl_ext_int(const struct der_elem *octets, int64_t *out)
{
	struct der_cur c;
	struct der_elem v;
	const char *why;
	uint64_t n = 0;
	size_t i;

	der_cur_init(&c, octets->body, octets->len);
	if (der_expect(&c, DER_INTEGER, &v, &why) != 0 || !der_cur_done(&c) ||
	    v.len == 0 || v.len > 9 || (v.body[0] & 0x80) != 0 ||
	    (v.len == 9 && v.body[0] != 0))
		return -1;
	for (i = 0; i < v.len; i++)
		n = n << 8 | v.body[i];
	if (n > INT64_MAX)
		return -1;
	*out = (int64_t)n;
	return 0;
}

/*
 * Walk the CRL's DER for the fields its row holds. d2i_X509_CRL builds an
 * object per entry: for a million entries, seconds and hundreds of MB to
 * read four fields.
 */
static int
crl_fields_parse(const uint8_t *der, size_t len, struct crl_fields *f)
{
	static const uint8_t oid_number[] = { 0x55, 0x1d, 0x14 };
	static const uint8_t oid_delta[] = { 0x55, 0x1d, 0x1b };
	struct der_cur c, tc, ec, xc;
	struct der_elem crl, tbs, e, ext, oid, val;
	const char *why;

	f->number = f->base = f->this_update = f->next_update = -1;
	der_cur_init(&c, der, len);
	if (len == 0 || len > SIGNET_STORE_CRL_MAX ||
	    der_expect(&c, DER_SEQUENCE, &crl, &why) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the DER is not an X.509 CRL");
	if (!der_cur_done(&c))
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the DER has bytes after the CRL");
	/* tbsCertList, signatureAlgorithm, signatureValue (RFC 5280 5.1) */
	der_cur_init(&c, crl.body, crl.len);
	if (der_expect(&c, DER_SEQUENCE, &tbs, &why) != 0 ||
	    der_expect(&c, DER_SEQUENCE, &e, &why) != 0 ||
	    der_expect(&c, DER_BIT_STRING, &e, &why) != 0 || !der_cur_done(&c))
		goto bad;
	/* version (v2) is optional; signature, issuer, thisUpdate, nextUpdate */
	der_cur_init(&tc, tbs.body, tbs.len);
	(void)der_optional(&tc, DER_INTEGER, &e);
	if (der_expect(&tc, DER_SEQUENCE, &e, &why) != 0 ||
	    der_expect(&tc, DER_SEQUENCE, &e, &why) != 0 ||
	    store_der_time(&tc, &f->this_update) != 1 ||
	    store_der_time(&tc, &f->next_update) < 0)
		goto bad;
	/* revokedCertificates, skipped whole */
	(void)der_optional(&tc, DER_SEQUENCE, &e);
	if (der_cur_done(&tc))
		return 0;
	if (der_expect(&tc, DER_CONTEXT_CONS(0), &e, &why) != 0 ||
	    !der_cur_done(&tc))
		goto bad;
	der_cur_init(&ec, e.body, e.len);
	if (der_expect(&ec, DER_SEQUENCE, &e, &why) != 0 || !der_cur_done(&ec))
		goto bad;
	der_cur_init(&ec, e.body, e.len);
	while (!der_cur_done(&ec)) {
		if (der_expect(&ec, DER_SEQUENCE, &ext, &why) != 0)
			goto bad;
		der_cur_init(&xc, ext.body, ext.len);
		if (der_expect(&xc, DER_OID, &oid, &why) != 0)
			goto bad;
		(void)der_optional(&xc, DER_BOOLEAN, &val);
		if (der_expect(&xc, DER_OCTET_STRING, &val, &why) != 0 ||
		    !der_cur_done(&xc))
			goto bad;
		if (der_oid_eq(oid.body, oid.len, oid_number,
			sizeof(oid_number)) &&
		    crl_ext_int(&val, &f->number) != 0)
			goto bad;
		if (der_oid_eq(oid.body, oid.len, oid_delta,
			sizeof(oid_delta)) &&
		    crl_ext_int(&val, &f->base) != 0)
			goto bad;
	}
	return 0;
bad:
	return signet_error_set(SIGNET_ERR_VERIFY,
	    "the DER is not a well-formed X.509 CRL");
}

int
store_crl_der_check(const uint8_t *der, size_t der_len, int64_t number,
    int64_t base, int64_t this_update, int64_t next_update,
    EVP_PKEY *issuer_key)
{
	struct crl_fields f;
	char why[256];
	int r;

	if ((r = crl_fields_parse(der, der_len, &f)) != 0)
		return r;
	if (f.number != number)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the CRL's cRLNumber is not the allocated %lld",
		    (long long)number);
	if (base > 0 && f.base != base)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the CRL's deltaCRLIndicator is not base %lld",
		    (long long)base);
	if (base == 0 && f.base != -1)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "a full CRL carries a deltaCRLIndicator");
	if (f.this_update != this_update)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the CRL's thisUpdate differs from the allocated one");
	if (f.next_update != next_update)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the CRL's nextUpdate differs from the allocated one");
	if (issuer_key == NULL)
		return 0;
	/*
	 * db check: the signature, read by signet's reader (OpenSSL would
	 * build an object per entry: 400 MB for a million).
	 */
	if (signet_crl_verify_der(der, der_len, issuer_key) != 0) {
		snprintf(why, sizeof(why), "%s", signet_error_message());
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the CRL's signature does not verify with its issuer's "
		    "key (%s)",
		    why);
	}
	return 0;
}

/* ---- allocate ------------------------------------------------------------- */

struct crl_arg {
	char issuer[65];
	enum signet_crl_kind kind;
	int64_t number;
	int64_t base;
	int64_t this_update;
	int64_t next_update;
	const uint8_t *der;
	size_t der_len;
	int64_t *out_number;
	int64_t *out_this_update;
	signet_store_revoked_cb cb;
	void *cb_arg;
	struct signet_store_crl *found;
};

/* What the crls table says about one number. */
struct crl_row {
	int64_t id;
	int kind;
	int64_t base;
	int64_t this_update;
	int64_t next_update;
	int64_t revocation_seq;
	int recorded;
};

static int
crl_find(struct signet_store *st, int64_t issuer_id, const char *issuer,
    int64_t number, struct crl_row *row)
{
	struct store_q q = { 0 };
	const char *kind;
	int r;

	memset(row, 0, sizeof(*row));
	if ((r = store_q_open(st,
		 "SELECT id, kind, base_number, this_update, next_update, "
		 "revocation_seq, der_sha256 FROM crls "
		 "WHERE issuer_id = ? AND crl_number = ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_int(&q, number);
	if ((r = store_q_step(&q)) < 0)
		goto out;
	if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "issuer %s has no CRL number %lld", issuer,
		    (long long)number);
		goto out;
	}
	row->id = store_q_col_int(&q, 0);
	kind = store_q_col_text(&q, 1);
	row->kind = kind != NULL && strcmp(kind, "delta") == 0
			? SIGNET_CRL_DELTA
			: SIGNET_CRL_FULL;
	row->base = store_q_col_is_null(&q, 2) ? 0 : store_q_col_int(&q, 2);
	row->this_update = store_q_col_int(&q, 3);
	row->next_update = store_q_col_int(&q, 4);
	row->revocation_seq = store_q_col_int(&q, 5);
	row->recorded = !store_q_col_is_null(&q, 6);
	r = 0;
out:
	store_q_close(&q);
	return r;
}

static int
allocate_work(struct signet_store *st, void *argp)
{
	struct crl_arg *a = argp;
	struct store_q q = { 0 };
	struct crl_row base;
	int64_t issuer_id, number = 0, seq = 0;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 1, a->this_update,
		 &issuer_id)) != 0)
		return r;
	if (a->kind == SIGNET_CRL_DELTA) {
		if ((r = crl_find(st, issuer_id, a->issuer, a->base, &base)) !=
		    0)
			return signet_error_context(r, "delta CRL base");
		if (base.kind != SIGNET_CRL_FULL || !base.recorded)
			return signet_error_set(SIGNET_ERR_CONFLICT,
			    "CRL %lld of issuer %s is not a recorded full "
			    "CRL; a delta CRL needs one as its base "
			    "(RFC 5280 5.2.4)",
			    (long long)a->base, a->issuer);
	}
	/* The row lock on the issuer makes this atomic across processes. */
	if ((r = store_q_open(st,
		 "UPDATE issuers SET crl_number = crl_number + 1 "
		 "WHERE id = ? RETURNING crl_number, revocation_seq",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	if ((r = store_q_step(&q)) == 1) {
		number = store_q_col_int(&q, 0);
		seq = store_q_col_int(&q, 1);
	} else if (r == 0)
		r = signet_error_set(SIGNET_ERR_STORE,
		    "issuer %s vanished while allocating a CRL number",
		    a->issuer);
	store_q_close(&q);
	if (r < 0)
		return r;
	if ((r = store_q_open(st,
		 "INSERT INTO crls (issuer_id, crl_number, kind, base_number, "
		 "this_update, next_update, revocation_seq) "
		 "VALUES (?, ?, ?, ?, ?, ?, ?)",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_int(&q, number);
	store_q_text(&q, a->kind == SIGNET_CRL_DELTA ? "delta" : "full");
	if (a->kind == SIGNET_CRL_DELTA)
		store_q_int(&q, a->base);
	else
		store_q_text(&q, NULL);
	store_q_int(&q, a->this_update);
	store_q_int(&q, a->next_update);
	store_q_int(&q, seq);
	r = store_q_exec(&q);
	store_q_close(&q);
	if (r != 0)
		return r;
	*a->out_number = number;
	return 0;
}

int
signet_store_crl_allocate(struct signet_store *st, const char *issuer,
    enum signet_crl_kind kind, int64_t base, int64_t this_update,
    int64_t next_update, int64_t *number)
{
	struct crl_arg a;
	int r;

	*number = 0;
	memset(&a, 0, sizeof(a));
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	if (kind != SIGNET_CRL_FULL && kind != SIGNET_CRL_DELTA)
		return signet_error_set(SIGNET_ERR_USAGE, "unknown CRL kind %d",
		    (int)kind);
	if ((kind == SIGNET_CRL_DELTA) != (base > 0))
		return signet_error_set(SIGNET_ERR_USAGE,
		    kind == SIGNET_CRL_DELTA
			? "a delta CRL needs the number of its base CRL"
			: "a full CRL has no base CRL");
	if (next_update <= this_update)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "CRL nextUpdate must be later than thisUpdate");
	a.kind = kind;
	a.base = base;
	a.this_update = this_update;
	a.next_update = next_update;
	a.out_number = number;
	return store_write(st, allocate_work, &a);
}

/* ---- advance ------------------------------------------------------------ */

struct advance_arg {
	char issuer[65];
	int64_t past;
	int64_t *was;
};

static int
advance_work(struct signet_store *st, void *argp)
{
	struct advance_arg *a = argp;
	struct store_q q = { 0 };
	int64_t issuer_id;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 1, 0, &issuer_id)) != 0)
		return r;
	if ((r = store_q_open(st, "SELECT crl_number FROM issuers WHERE id = ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	if ((r = store_q_step(&q)) == 1)
		*a->was = store_q_col_int(&q, 0);
	store_q_close(&q);
	if (r < 0)
		return r;
	if (*a->was >= a->past)
		return 0;
	if ((r = store_q_open(st,
		 "UPDATE issuers SET crl_number = ? "
		 "WHERE id = ? AND crl_number < ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, a->past);
	store_q_int(&q, issuer_id);
	store_q_int(&q, a->past);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_crl_advance(struct signet_store *st, const char *issuer,
    int64_t past, int64_t *was)
{
	struct advance_arg a;
	int r;

	*was = 0;
	memset(&a, 0, sizeof(a));
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	if (past < 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a CRL number is not negative");
	a.past = past;
	a.was = was;
	return store_write(st, advance_work, &a);
}

/* ---- record ------------------------------------------------------------- */

static int
record_work(struct signet_store *st, void *argp)
{
	struct crl_arg *a = argp;
	struct store_q q = { 0 };
	struct crl_row row;
	uint8_t digest[32];
	char hash[65];
	int64_t issuer_id;
	int r, hit = 0;

	if ((r = store_issuer_id(st, a->issuer, 0, 0, &issuer_id)) != 0 ||
	    (r = crl_find(st, issuer_id, a->issuer, a->number, &row)) != 0)
		return r;
	if (row.recorded)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "CRL %lld of issuer %s is already recorded; allocate a "
		    "new number for a new CRL",
		    (long long)a->number, a->issuer);
	if ((r = store_crl_der_check(a->der, a->der_len, a->number, row.base,
		 row.this_update, row.next_update, NULL)) != 0)
		return signet_error_context(r,
		    "CRL %lld does not match its allocation",
		    (long long)a->number);
	if ((r = sha256(a->der, a->der_len, digest)) != 0)
		return r;
	hex_encode(digest, 32, hash);
	if ((r = store_q_open(st,
		 "UPDATE crls SET der = ?, der_sha256 = ? "
		 "WHERE id = ? AND der IS NULL RETURNING id",
		 &q)) != 0)
		return r;
	store_q_blob(&q, a->der, a->der_len);
	store_q_text(&q, hash);
	store_q_int(&q, row.id);
	while ((r = store_q_step(&q)) == 1)
		hit = 1;
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "CRL %lld of issuer %s was recorded by another process",
		    (long long)a->number, a->issuer);
	return r;
}

int
signet_store_crl_record(struct signet_store *st, const char *issuer,
    int64_t number, const uint8_t *der, size_t der_len)
{
	struct crl_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	if (der == NULL || der_len == 0 || der_len > SIGNET_STORE_CRL_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "CRL %lld: DER missing or larger than %zu bytes",
		    (long long)number, SIGNET_STORE_CRL_MAX);
	a.number = number;
	a.der = der;
	a.der_len = der_len;
	return store_write(st, record_work, &a);
}

/* ---- last full ---------------------------------------------------------- */

static int
last_full_work(struct signet_store *st, void *argp)
{
	struct crl_arg *a = argp;
	struct store_q q = { 0 };
	int64_t issuer_id;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 0, 0, &issuer_id)) != 0)
		goto none;
	if ((r = store_q_open(st,
		 "SELECT crl_number, this_update FROM crls "
		 "WHERE issuer_id = ? AND kind = 'full' AND der IS NOT NULL "
		 "ORDER BY crl_number DESC LIMIT 1",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	if ((r = store_q_step(&q)) == 1) {
		*a->out_number = store_q_col_int(&q, 0);
		*a->out_this_update = store_q_col_int(&q, 1);
		r = 0;
	} else if (r == 0)
		r = SIGNET_ERR_NOT_FOUND;
	store_q_close(&q);
none:
	if (r == SIGNET_ERR_NOT_FOUND)
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "issuer %s has no recorded full CRL yet", a->issuer);
	return r;
}

int
signet_store_crl_last_full(struct signet_store *st, const char *issuer,
    int64_t *number, int64_t *this_update)
{
	struct crl_arg a;
	int64_t tu = 0;
	int r;

	*number = 0;
	if (this_update != NULL)
		*this_update = 0;
	memset(&a, 0, sizeof(a));
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	a.out_number = number;
	a.out_this_update = this_update != NULL ? this_update : &tu;
	return store_read(st, last_full_work, &a);
}

/* ---- entries ------------------------------------------------------------- */

static int
revoked_work(struct signet_store *st, void *argp)
{
	struct crl_arg *a = argp;
	struct store_q q = { 0 };
	struct signet_store_revoked e;
	struct crl_row row, base;
	int64_t issuer_id, bound = INT64_MIN;
	int r, cr;

	if ((r = store_issuer_id(st, a->issuer, 0, 0, &issuer_id)) != 0 ||
	    (r = crl_find(st, issuer_id, a->issuer, a->number, &row)) != 0)
		return r;
	if (row.kind == SIGNET_CRL_DELTA) {
		if ((r = crl_find(st, issuer_id, a->issuer, row.base, &base)) !=
		    0)
			return r;
		bound = base.revocation_seq;
	} else {
		/*
		 * RFC 5280 3.3: an expired entry stays until it has been on
		 * one CRL issued after the certificate expired. Keeping
		 * entries whose notAfter is not before the previous full
		 * CRL's thisUpdate does exactly that: the first CRL after
		 * expiry still has a predecessor from before it.
		 */
		if ((r = store_q_open(st,
			 "SELECT max(this_update) FROM crls "
			 "WHERE issuer_id = ? AND kind = 'full' "
			 "AND der IS NOT NULL AND crl_number < ?",
			 &q)) != 0)
			return r;
		store_q_int(&q, issuer_id);
		store_q_int(&q, a->number);
		if ((r = store_q_step(&q)) == 1 && !store_q_col_is_null(&q, 0))
			bound = store_q_col_int(&q, 0);
		store_q_close(&q);
		if (r < 0)
			return r;
	}
	/*
	 * The partial index on revoked rows gives serial order; the unary
	 * + keeps SQLite from preferring the expiry index and a sort.
	 */
	if ((r = store_q_open(st,
		 row.kind == SIGNET_CRL_DELTA
		     ? "SELECT serial, revoked_at, revocation_reason, "
		       "not_after "
		       "FROM certificates WHERE issuer_id = ? "
		       "AND status = 'revoked' AND +revocation_seq > ? "
		       "ORDER BY serial"
		     : "SELECT serial, revoked_at, revocation_reason, "
		       "not_after "
		       "FROM certificates WHERE issuer_id = ? "
		       "AND status = 'revoked' AND +not_after >= ? "
		       "ORDER BY serial",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_int(&q, bound);
	while ((r = store_q_step(&q)) == 1) {
		e.serial = store_serial_canon(store_q_col_text(&q, 0));
		e.revoked_at = store_q_col_int(&q, 1);
		e.reason = (int)store_q_col_int(&q, 2);
		e.not_after = store_q_col_int(&q, 3);
		st->in_callback = 1;
		cr = a->cb(&e, a->cb_arg);
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
signet_store_crl_revoked_foreach(struct signet_store *st, const char *issuer,
    int64_t number, signet_store_revoked_cb cb, void *arg)
{
	struct crl_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (cb == NULL)
		return signet_error_set(SIGNET_ERR_USAGE, "no callback given");
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	a.number = number;
	a.cb = cb;
	a.cb_arg = arg;
	return store_read(st, revoked_work, &a);
}

/* ---- get ---------------------------------------------------------------- */

void
signet_store_crl_free(struct signet_store_crl *crl)
{
	if (crl == NULL)
		return;
	free((char *)crl->issuer);
	free((uint8_t *)crl->der);
	free((char *)crl->der_sha256);
	free(crl);
}

static int
crl_get_work(struct signet_store *st, void *argp)
{
	struct crl_arg *a = argp;
	struct store_q q = { 0 };
	struct signet_store_crl *c = NULL;
	const uint8_t *der;
	const char *kind, *hash;
	uint8_t *copy;
	size_t len;
	int r;

	if ((r = store_q_open(st,
		 "SELECT c.kind, c.base_number, c.this_update, c.next_update, "
		 "c.der, c.der_sha256 FROM issuers i CROSS JOIN crls c "
		 "WHERE c.issuer_id = i.id AND i.issuer_key = ? "
		 "AND c.crl_number = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->issuer);
	store_q_int(&q, a->number);
	if ((r = store_q_step(&q)) < 0)
		goto out;
	if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "issuer %s has no CRL number %lld", a->issuer,
		    (long long)a->number);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->issuer = strdup(a->issuer)) == NULL)
		goto oom;
	c->number = a->number;
	kind = store_q_col_text(&q, 0);
	c->kind = kind != NULL && strcmp(kind, "delta") == 0 ? SIGNET_CRL_DELTA
							     : SIGNET_CRL_FULL;
	c->base = store_q_col_is_null(&q, 1) ? 0 : store_q_col_int(&q, 1);
	c->this_update = store_q_col_int(&q, 2);
	c->next_update = store_q_col_int(&q, 3);
	if ((der = store_q_col_blob(&q, 4, &len)) != NULL && len > 0) {
		if ((copy = malloc(len)) == NULL)
			goto oom;
		memcpy(copy, der, len);
		c->der = copy;
		c->der_len = len;
	}
	if ((hash = store_q_col_text(&q, 5)) != NULL &&
	    (c->der_sha256 = strdup(hash)) == NULL)
		goto oom;
	a->found = c;
	c = NULL;
	r = 0;
	goto out;
oom:
	r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
out:
	store_q_close(&q);
	signet_store_crl_free(c);
	return r;
}

int
signet_store_crl_get(struct signet_store *st, const char *issuer,
    int64_t number, struct signet_store_crl **out)
{
	struct crl_arg a;
	int r;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	a.number = number;
	if ((r = store_read(st, crl_get_work, &a)) != 0)
		return r;
	*out = a.found;
	return 0;
}

/* ---- revocation counter ---------------------------------------------------- */

struct seq_arg {
	char issuer[65];
	int64_t seq;
};

static int
revocation_seq_work(struct signet_store *st, void *argp)
{
	struct seq_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "SELECT revocation_seq FROM issuers WHERE issuer_key = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->issuer);
	if ((r = store_q_step(&q)) == 1) {
		a->seq = store_q_col_int(&q, 0);
		r = 0;
	}
	/* r == 0 without a row: an issuer with no rows has revoked nothing. */
	store_q_close(&q);
	return r;
}

int
signet_store_revocation_seq(struct signet_store *st, const char *issuer,
    int64_t *seq)
{
	struct seq_arg a;
	int r;

	*seq = 0;
	memset(&a, 0, sizeof(a));
	if ((r = store_issuer_norm(issuer, a.issuer)) != 0)
		return r;
	if ((r = store_read(st, revocation_seq_work, &a)) != 0)
		return r;
	*seq = a.seq;
	return 0;
}
