/*
 * Certificate rows: reserve, issue, fail, revoke, look up and list. Each
 * state change is an UPDATE guarded by the state it leaves, so that two
 * processes racing on one row cannot both win.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "signet/x509.h"
#include "store/store_int.h"
#include "util/codec.h"
#include "util/fault.h"

/* ---- DER against its row ------------------------------------------------- */

/*
 * d2i_X509 costs about 100 us in OpenSSL 3 (it decodes the public key
 * through the provider layer), more than the rest of an issue; the row
 * check needs four fields, so it walks the DER with util/der.h's reader,
 * which bounds-checks every header. Signatures (db check with issuer keys)
 * still go through d2i_X509.
 */
/* The fields of a certificate the store keeps in its row. */
struct der_fields {
	char serial_padded[41];
	int64_t not_before;
	int64_t not_after;
	char spki_sha256[65];
};

static int
der_fields_parse(const uint8_t *der, size_t der_len, struct der_fields *f)
{
	struct der_cur c, tc, vc;
	struct der_elem cert, tbs, e, v;
	const char *why;
	uint8_t digest[32];
	size_t skip = 0;
	int r;

	memset(f, 0, sizeof(*f));
	der_cur_init(&c, der, der_len);
	if (der_len == 0 || der_len > SIGNET_STORE_DER_MAX ||
	    der_expect(&c, DER_SEQUENCE, &cert, &why) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the DER is not an X.509 certificate");
	if (!der_cur_done(&c))
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the DER has %zu bytes after the certificate",
		    (size_t)(c.end - c.p));
	/* tbsCertificate, signatureAlgorithm, signatureValue */
	der_cur_init(&c, cert.body, cert.len);
	if (der_expect(&c, DER_SEQUENCE, &tbs, &why) != 0 ||
	    der_expect(&c, DER_SEQUENCE, &e, &why) != 0 ||
	    der_expect(&c, DER_BIT_STRING, &e, &why) != 0 || !der_cur_done(&c))
		goto bad;
	/* [0] EXPLICIT version, then the serial (RFC 5280 4.1). */
	der_cur_init(&tc, tbs.body, tbs.len);
	(void)der_optional(&tc, DER_CONTEXT_CONS(0), &e);
	if (der_expect(&tc, DER_INTEGER, &v, &why) != 0 || v.len == 0)
		goto bad;
	if ((v.body[0] & 0x80) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the certificate's serial is negative");
	while (skip < v.len && v.body[skip] == 0)
		skip++;
	if (skip == v.len || v.len - skip > SIGNET_STORE_SERIAL_MAX)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the certificate's serial is zero or longer than 20 "
		    "octets");
	memset(f->serial_padded, '0', 40 - 2 * (v.len - skip));
	hex_encode(v.body + skip, v.len - skip,
	    f->serial_padded + 40 - 2 * (v.len - skip));
	/* signature, issuer, validity */
	if (der_expect(&tc, DER_SEQUENCE, &e, &why) != 0 ||
	    der_expect(&tc, DER_SEQUENCE, &e, &why) != 0 ||
	    der_expect(&tc, DER_SEQUENCE, &v, &why) != 0)
		goto bad;
	der_cur_init(&vc, v.body, v.len);
	if (store_der_time(&vc, &f->not_before) != 1 ||
	    store_der_time(&vc, &f->not_after) != 1 || !der_cur_done(&vc))
		goto bad;
	/* subject, subjectPublicKeyInfo */
	if (der_expect(&tc, DER_SEQUENCE, &e, &why) != 0 ||
	    der_expect(&tc, DER_SEQUENCE, &v, &why) != 0)
		goto bad;
	if ((r = sha256(v.tlv, v.tlv_len, digest)) != 0)
		return r;
	hex_encode(digest, 32, f->spki_sha256);
	return 0;
bad:
	return signet_error_set(SIGNET_ERR_VERIFY,
	    "the DER is not a well-formed X.509 certificate");
}

int
store_cert_der_check(const uint8_t *der, size_t der_len,
    const struct store_cert_expect *e, EVP_PKEY *issuer_key)
{
	struct der_fields f;
	char why[256];
	int r;

	if ((r = der_fields_parse(der, der_len, &f)) != 0)
		return r;
	if (strcmp(f.serial_padded, e->serial_padded) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the certificate's serial is %s, the row's %s",
		    store_serial_canon(f.serial_padded),
		    store_serial_canon(e->serial_padded));
	if (f.not_before != e->not_before)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the certificate's notBefore differs from the row's");
	if (f.not_after != e->not_after)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the certificate's notAfter differs from the row's");
	if (strcmp(f.spki_sha256, e->spki_sha256) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the certificate's public key (SHA-256 %s) is not the "
		    "reserved one (%s)",
		    f.spki_sha256, e->spki_sha256);
	if (issuer_key == NULL)
		return 0;
	/* Not d2i_X509: a million rows would set up a million key decoders. */
	if (signet_cert_verify_der(der, der_len, issuer_key) != 0) {
		snprintf(why, sizeof(why), "%s", signet_error_message());
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the certificate's signature does not verify with its "
		    "issuer's key (%s)",
		    why);
	}
	return 0;
}

/* ---- rows -------------------------------------------------------------- */

void
store_cert_from_q(struct store_q *q, struct signet_store_cert *c,
    const char *issuer, int with_der)
{
	memset(c, 0, sizeof(*c));
	c->serial = store_serial_canon(store_q_col_text(q, 0));
	c->status =
	    (enum signet_cert_status)store_status_parse(store_q_col_text(q, 1));
	c->subject = store_q_col_text(q, 2);
	c->sans = store_q_col_text(q, 3);
	c->spki_sha256 = store_q_col_text(q, 4);
	c->not_before = store_q_col_int(q, 5);
	c->not_after = store_q_col_int(q, 6);
	c->profile = store_q_col_text(q, 7);
	c->requester = store_q_col_text(q, 8);
	c->created_at = store_q_col_int(q, 9);
	c->issued_at = store_q_col_is_null(q, 10) ? 0 : store_q_col_int(q, 10);
	c->cert_sha256 = store_q_col_text(q, 11);
	c->failure = store_q_col_text(q, 12);
	c->revoked_at = store_q_col_is_null(q, 13) ? 0 : store_q_col_int(q, 13);
	c->revocation_reason =
	    store_q_col_is_null(q, 14) ? -1 : (int)store_q_col_int(q, 14);
	c->issuer = issuer != NULL ? issuer : store_q_col_text(q, 15);
	if (with_der)
		c->der = store_q_col_blob(q, 16, &c->der_len);
}

/* Whatever a state change needs to know about the row it changes. */
struct row_state {
	int64_t id;
	int status;
	int reason;
	int64_t revoked_at;
	int64_t not_before;
	int64_t not_after;
	char spki[65];
};

static int
row_find(struct signet_store *st, int64_t issuer_id, const char *issuer,
    const char *padded, struct row_state *row)
{
	struct store_q q = { 0 };
	const char *spki;
	int r;

	memset(row, 0, sizeof(*row));
	if ((r = store_q_open(st,
		 "SELECT id, status, revocation_reason, revoked_at, "
		 "not_before, not_after, spki_sha256 FROM certificates "
		 "WHERE issuer_id = ? AND serial = ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_text(&q, padded);
	if ((r = store_q_step(&q)) < 0)
		goto out;
	if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no certificate with serial %s under issuer %s",
		    store_serial_canon(padded), issuer);
		goto out;
	}
	row->id = store_q_col_int(&q, 0);
	row->status = store_status_parse(store_q_col_text(&q, 1));
	row->reason =
	    store_q_col_is_null(&q, 2) ? -1 : (int)store_q_col_int(&q, 2);
	row->revoked_at =
	    store_q_col_is_null(&q, 3) ? 0 : store_q_col_int(&q, 3);
	row->not_before = store_q_col_int(&q, 4);
	row->not_after = store_q_col_int(&q, 5);
	spki = store_q_col_text(&q, 6);
	snprintf(row->spki, sizeof(row->spki), "%s", spki ? spki : "");
	r = 0;
out:
	store_q_close(&q);
	return r;
}

/* Look up issuer and row for a state change of serial. */
static int
row_lookup(struct signet_store *st, const char *issuer, const char *padded,
    struct row_state *row)
{
	int64_t issuer_id;
	int r;

	memset(row, 0, sizeof(*row));
	if ((r = store_issuer_id(st, issuer, 0, 0, &issuer_id)) != 0) {
		if (r == SIGNET_ERR_NOT_FOUND)
			r = signet_error_set(SIGNET_ERR_NOT_FOUND,
			    "no certificate with serial %s under issuer %s "
			    "(the issuer has no certificates)",
			    store_serial_canon(padded), issuer);
		return r;
	}
	return row_find(st, issuer_id, issuer, padded, row);
}

/* Run an UPDATE ... RETURNING id; *hit says whether a row changed. */
static int
update_returning(struct store_q *q, int *hit)
{
	int r;

	*hit = 0;
	while ((r = store_q_step(q)) == 1)
		*hit = 1;
	return r;
}

static int
not_pending(const char *what, const char *padded, const char *issuer,
    int status)
{
	return signet_error_set(SIGNET_ERR_CONFLICT,
	    "cannot %s certificate %s of issuer %s: it is %s, not pending",
	    what, store_serial_canon(padded), issuer,
	    signet_cert_status_name(status));
}

/* ---- reserve ---------------------------------------------------------- */

struct reserve_arg {
	const struct signet_store_cert_new *c;
	char issuer[65];
	char canon[41];
	char padded[41];
	char spki[65];
	int64_t now;
};

static int
reserve_work(struct signet_store *st, void *argp)
{
	struct reserve_arg *a = argp;
	struct store_q q = { 0 };
	int64_t issuer_id;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 1, a->now, &issuer_id)) != 0)
		return r;
	if ((r = store_q_open(st,
		 "INSERT INTO certificates (issuer_id, serial, status, "
		 "subject, sans, spki_sha256, not_before, not_after, profile, "
		 "requester, created_at, updated_at) "
		 "VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_text(&q, a->padded);
	store_q_text(&q, a->c->subject);
	store_q_text(&q, a->c->sans);
	store_q_text(&q, a->spki);
	store_q_int(&q, a->c->not_before);
	store_q_int(&q, a->c->not_after);
	store_q_text(&q, a->c->profile);
	store_q_text(&q, a->c->requester);
	store_q_int(&q, a->now);
	store_q_int(&q, a->now);
	r = store_q_exec(&q);
	store_q_close(&q);
	if (r == SIGNET_ERR_CONFLICT)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "serial %s is already used by issuer %s; draw a new "
		    "random serial",
		    a->canon, a->issuer);
	return r;
}

int
signet_store_cert_reserve(struct signet_store *st,
    const struct signet_store_cert_new *c, int64_t now)
{
	struct reserve_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (c == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no certificate to reserve");
	if ((r = store_issuer_norm(c->issuer, a.issuer)) != 0 ||
	    (r = store_serial_norm(c->serial, a.canon, a.padded)) != 0 ||
	    (r = store_text_check("subject", c->subject, SIGNET_STORE_TEXT_MAX,
		 1)) != 0 ||
	    (r = store_text_check("SANs", c->sans, SIGNET_STORE_TEXT_MAX, 1)) !=
		0 ||
	    (r = store_text_check("profile", c->profile, SIGNET_STORE_NAME_MAX,
		 0)) != 0 ||
	    (r = store_text_check("requester", c->requester,
		 SIGNET_STORE_NAME_MAX, 0)) != 0)
		return signet_error_context(r, "reserving a serial");
	if (c->not_after < c->not_before)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "reserving serial %s: notAfter is before notBefore",
		    a.canon);
	hex_encode(c->spki_sha256, 32, a.spki);
	a.c = c;
	a.now = now;
	return store_write(st, reserve_work, &a);
}

/* ---- issue and fail ---------------------------------------------------- */

struct change_arg {
	char issuer[65];
	char canon[41];
	char padded[41];
	const uint8_t *der;
	size_t der_len;
	const char *failure;
	int reason;
	int64_t when;
};

static int
issue_work(struct signet_store *st, void *argp)
{
	struct change_arg *a = argp;
	struct store_q q = { 0 };
	struct row_state row;
	struct store_cert_expect e;
	uint8_t digest[32];
	char hash[65];
	int r, hit;

	if ((r = row_lookup(st, a->issuer, a->padded, &row)) != 0)
		return r;
	if (row.status != SIGNET_CERT_PENDING)
		return not_pending("mark issued", a->padded, a->issuer,
		    row.status);
	e.serial_padded = a->padded;
	e.not_before = row.not_before;
	e.not_after = row.not_after;
	e.spki_sha256 = row.spki;
	if ((r = store_cert_der_check(a->der, a->der_len, &e, NULL)) != 0)
		return signet_error_context(r,
		    "certificate %s does not match its reservation", a->canon);
	if ((r = sha256(a->der, a->der_len, digest)) != 0)
		return r;
	hex_encode(digest, 32, hash);
	if ((r = store_q_open(st,
		 "UPDATE certificates SET status = 'issued', der = ?, "
		 "cert_sha256 = ?, issued_at = ?, updated_at = ? "
		 "WHERE id = ? AND status = 'pending' RETURNING id",
		 &q)) != 0)
		return r;
	store_q_blob(&q, a->der, a->der_len);
	store_q_text(&q, hash);
	store_q_int(&q, a->when);
	store_q_int(&q, a->when);
	store_q_int(&q, row.id);
	r = update_returning(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "certificate %s of issuer %s changed state while being "
		    "marked issued",
		    a->canon, a->issuer);
	return r;
}

static int
change_prepare(struct change_arg *a, const char *issuer, const char *serial)
{
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = store_issuer_norm(issuer, a->issuer)) != 0 ||
	    (r = store_serial_norm(serial, a->canon, a->padded)) != 0)
		return r;
	return 0;
}

int
signet_store_cert_issue(struct signet_store *st, const char *issuer,
    const char *serial, const uint8_t *der, size_t der_len, int64_t now)
{
	struct change_arg a;
	int r;

	if ((r = change_prepare(&a, issuer, serial)) != 0)
		return r;
	if (der == NULL || der_len == 0 || der_len > SIGNET_STORE_DER_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "certificate %s: DER missing or larger than %zu bytes",
		    a.canon, SIGNET_STORE_DER_MAX);
	a.der = der;
	a.der_len = der_len;
	a.when = now;
	return store_write(st, issue_work, &a);
}

static int
fail_work(struct signet_store *st, void *argp)
{
	struct change_arg *a = argp;
	struct store_q q = { 0 };
	struct row_state row;
	int r, hit;

	if ((r = row_lookup(st, a->issuer, a->padded, &row)) != 0)
		return r;
	if (row.status != SIGNET_CERT_PENDING)
		return not_pending("mark failed", a->padded, a->issuer,
		    row.status);
	if ((r = store_q_open(st,
		 "UPDATE certificates SET status = 'failed', failure = ?, "
		 "updated_at = ? WHERE id = ? AND status = 'pending' "
		 "RETURNING id",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->failure);
	store_q_int(&q, a->when);
	store_q_int(&q, row.id);
	r = update_returning(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "certificate %s of issuer %s changed state while being "
		    "marked failed",
		    a->canon, a->issuer);
	return r;
}

int
signet_store_cert_fail(struct signet_store *st, const char *issuer,
    const char *serial, const char *reason, int64_t now)
{
	struct change_arg a;
	int r;

	if ((r = change_prepare(&a, issuer, serial)) != 0)
		return r;
	if ((r = store_text_check("failure reason", reason,
		 SIGNET_STORE_TEXT_MAX, 0)) != 0)
		return r;
	a.failure = reason;
	a.when = now;
	return store_write(st, fail_work, &a);
}

/* ---- revoke ------------------------------------------------------------ */

static int
revoke_work(struct signet_store *st, void *argp)
{
	struct change_arg *a = argp;
	struct store_q q = { 0 };
	struct row_state row;
	char when[21];
	int64_t issuer_id, seq = 0;
	int r, hit, escalate = 0;

	if ((r = store_issuer_id(st, a->issuer, 0, 0, &issuer_id)) != 0 ||
	    (r = row_find(st, issuer_id, a->issuer, a->padded, &row)) != 0) {
		if (r == SIGNET_ERR_NOT_FOUND)
			r = signet_error_set(SIGNET_ERR_NOT_FOUND,
			    "cannot revoke: no certificate with serial %s "
			    "under issuer %s",
			    a->canon, a->issuer);
		return r;
	}
	switch (row.status) {
	case SIGNET_CERT_ISSUED:
		break;
	case SIGNET_CERT_REVOKED:
		/*
		 * Learning of a key compromise later upgrades the reason
		 * (BR 4.9.1.1); any other second revocation is a mistake.
		 */
		if (a->reason == SIGNET_CRL_REASON_KEY_COMPROMISE &&
		    row.reason != SIGNET_CRL_REASON_KEY_COMPROMISE) {
			escalate = 1;
			break;
		}
		time_format((time_t)row.revoked_at, when);
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "certificate %s of issuer %s is already revoked (%s, "
		    "%s); only a change to keyCompromise is allowed",
		    a->canon, a->issuer, signet_crl_reason_name(row.reason),
		    when);
	case SIGNET_CERT_PENDING:
	case SIGNET_CERT_FAILED:
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "cannot revoke certificate %s of issuer %s: it is %s, "
		    "it was never issued",
		    a->canon, a->issuer, signet_cert_status_name(row.status));
	default:
		return signet_error_set(SIGNET_ERR_STORE,
		    "certificate %s has an unknown status", a->canon);
	}
	/* Number the change so that delta CRLs pick it up. */
	if ((r = store_q_open(st,
		 "UPDATE issuers SET revocation_seq = revocation_seq + 1 "
		 "WHERE id = ? RETURNING revocation_seq",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	if ((r = store_q_step(&q)) == 1)
		seq = store_q_col_int(&q, 0);
	store_q_close(&q);
	if (r < 0)
		return r;
	if (escalate) {
		/*
		 * BR 7.2.2: the revocationDate may move back to the
		 * compromise, never forward.
		 */
		if ((r = store_q_open(st,
			 "UPDATE certificates SET revocation_reason = 1, "
			 "revoked_at = CASE WHEN revoked_at > ? THEN ? "
			 "ELSE revoked_at END, revocation_seq = ?, "
			 "updated_at = CASE WHEN updated_at > ? "
			 "THEN updated_at ELSE ? END "
			 "WHERE id = ? AND status = 'revoked' "
			 "AND revocation_reason <> 1 RETURNING id",
			 &q)) != 0)
			return r;
		store_q_int(&q, a->when);
		store_q_int(&q, a->when);
	} else {
		if ((r = store_q_open(st,
			 "UPDATE certificates SET status = 'revoked', "
			 "revocation_reason = ?, revoked_at = ?, "
			 "revocation_seq = ?, "
			 "updated_at = CASE WHEN updated_at > ? "
			 "THEN updated_at ELSE ? END "
			 "WHERE id = ? AND status = 'issued' RETURNING id",
			 &q)) != 0)
			return r;
		store_q_int(&q, a->reason);
		store_q_int(&q, a->when);
	}
	store_q_int(&q, seq);
	store_q_int(&q, a->when);
	store_q_int(&q, a->when);
	store_q_int(&q, row.id);
	r = update_returning(&q, &hit);
	store_q_close(&q);
	if (r != 0)
		return r;
	if (!hit)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "certificate %s of issuer %s changed state while being "
		    "revoked; look at it again",
		    a->canon, a->issuer);
	if ((r = SIGNET_FAULT("store.revoke.before_block")) != 0)
		return r;
	if (a->reason != SIGNET_CRL_REASON_KEY_COMPROMISE)
		return 0;
	if ((r = store_q_open(st,
		 "INSERT INTO blocked_keys (spki_sha256, blocked_at, reason, "
		 "certificate_id) VALUES (?, ?, 'keyCompromise', ?) "
		 "ON CONFLICT (spki_sha256) DO NOTHING",
		 &q)) != 0)
		return r;
	store_q_text(&q, row.spki);
	store_q_int(&q, a->when);
	store_q_int(&q, row.id);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_cert_revoke(struct signet_store *st, const char *issuer,
    const char *serial, int reason, int64_t when)
{
	struct change_arg a;
	int r;

	if ((r = change_prepare(&a, issuer, serial)) != 0)
		return r;
	/* The store knows no certificate's kind: CA rules, the wider set. */
	if ((r = signet_crl_reason_check(reason, SIGNET_CRL_SUBJECT_CA)) != 0)
		return signet_error_context(r, "cannot revoke certificate %s",
		    a.canon);
	a.reason = reason;
	a.when = when;
	return store_write(st, revoke_work, &a);
}

/* ---- get ---------------------------------------------------------------- */

static char *
dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

void
signet_store_cert_free(struct signet_store_cert *c)
{
	if (c == NULL)
		return;
	free((char *)c->issuer);
	free((char *)c->serial);
	free((char *)c->subject);
	free((char *)c->sans);
	free((char *)c->spki_sha256);
	free((char *)c->profile);
	free((char *)c->requester);
	free((char *)c->cert_sha256);
	free((char *)c->failure);
	free((uint8_t *)c->der);
	free(c);
}

static int
cert_copy(const struct signet_store_cert *in, struct signet_store_cert **out)
{
	struct signet_store_cert *c;
	uint8_t *der = NULL;
	int oom = 0;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	*c = *in;
	c->issuer = dup_or_null(in->issuer, &oom);
	c->serial = dup_or_null(in->serial, &oom);
	c->subject = dup_or_null(in->subject, &oom);
	c->sans = dup_or_null(in->sans, &oom);
	c->spki_sha256 = dup_or_null(in->spki_sha256, &oom);
	c->profile = dup_or_null(in->profile, &oom);
	c->requester = dup_or_null(in->requester, &oom);
	c->cert_sha256 = dup_or_null(in->cert_sha256, &oom);
	c->failure = dup_or_null(in->failure, &oom);
	c->der = NULL;
	if (in->der != NULL && in->der_len > 0) {
		if ((der = malloc(in->der_len)) == NULL)
			oom = 1;
		else
			memcpy(der, in->der, in->der_len);
		c->der = der;
	}
	if (oom) {
		signet_store_cert_free(c);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	*out = c;
	return 0;
}

struct get_arg {
	const char *issuer; /* NULL: any */
	char canon[41];
	char padded[41];
	struct signet_store_cert *found;
};

static int
get_work(struct signet_store *st, void *argp)
{
	struct get_arg *a = argp;
	struct store_q q = { 0 };
	struct signet_store_cert row, *copy = NULL;
	int r;

	/*
	 * Both forms walk the issuers (a handful) and probe the unique
	 * (issuer_id, serial) index for each; CROSS JOIN keeps SQLite's
	 * planner from choosing otherwise and is a plain join elsewhere.
	 */
	if ((r = store_q_open(st,
		 a->issuer != NULL
		     ? "SELECT " STORE_CERT_COLUMNS " FROM issuers i "
		       "CROSS JOIN certificates c "
		       "WHERE c.issuer_id = i.id AND i.issuer_key = ? "
		       "AND c.serial = ?"
		     : "SELECT " STORE_CERT_COLUMNS " FROM issuers i "
		       "CROSS JOIN certificates c "
		       "WHERE c.issuer_id = i.id AND c.serial = ?",
		 &q)) != 0)
		return r;
	if (a->issuer != NULL)
		store_q_text(&q, a->issuer);
	store_q_text(&q, a->padded);
	while ((r = store_q_step(&q)) == 1) {
		if (copy != NULL) {
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "serial %s exists under more than one issuer "
			    "(%s and %s); name the issuer",
			    a->canon, copy->issuer, store_q_col_text(&q, 15));
			goto out;
		}
		store_cert_from_q(&q, &row, NULL, 1);
		if ((r = cert_copy(&row, &copy)) != 0)
			goto out;
	}
	if (r < 0)
		goto out;
	if (copy == NULL) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no certificate with serial %s%s%s", a->canon,
		    a->issuer != NULL ? " under issuer " : "",
		    a->issuer != NULL ? a->issuer : "");
		goto out;
	}
	a->found = copy;
	copy = NULL;
	r = 0;
out:
	store_q_close(&q);
	signet_store_cert_free(copy);
	return r;
}

int
signet_store_cert_get(struct signet_store *st, const char *issuer,
    const char *serial, struct signet_store_cert **out)
{
	struct get_arg a;
	char key[65];
	int r;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	if (issuer != NULL && (r = store_issuer_norm(issuer, key)) != 0)
		return r;
	if ((r = store_serial_norm(serial, a.canon, a.padded)) != 0)
		return r;
	a.issuer = issuer != NULL ? key : NULL;
	if ((r = store_read(st, get_work, &a)) != 0)
		return r;
	*out = a.found;
	return 0;
}

/* ---- listing ------------------------------------------------------------ */

struct foreach_arg {
	const struct signet_store_filter *f;
	char issuer[65];
	signet_store_cert_cb cb;
	void *cb_arg;
};

static int
foreach_work(struct signet_store *st, void *argp)
{
	struct foreach_arg *a = argp;
	const struct signet_store_filter *f = a->f;
	struct store_q q = { 0 };
	struct signet_store_cert row;
	char sql[1024];
	const char *status = NULL;
	int64_t issuer_id = 0;
	int r, cr, lower = 0, upper = 0, all;

	if (f->issuer != NULL) {
		r = store_issuer_id(st, a->issuer, 0, 0, &issuer_id);
		if (r == SIGNET_ERR_NOT_FOUND) {
			signet_error_clear();
			return 0;
		}
		if (r != 0)
			return r;
	}
	switch (f->select) {
	case SIGNET_SELECT_ALL:
		break;
	case SIGNET_SELECT_VALID:
		/* RFC 5280 4.1.2.5: notAfter is the last valid second. */
		status = "issued";
		lower = 1;
		break;
	case SIGNET_SELECT_EXPIRED:
		status = "issued";
		upper = 1;
		break;
	case SIGNET_SELECT_REVOKED:
		status = "revoked";
		break;
	case SIGNET_SELECT_PENDING:
		status = "pending";
		break;
	case SIGNET_SELECT_FAILED:
		status = "failed";
		break;
	default:
		return signet_error_set(SIGNET_ERR_USAGE,
		    "unknown certificate selection %d", (int)f->select);
	}
	if (f->expiring_within > 0) {
		if (upper)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "expired certificates cannot be expiring too; "
			    "select valid or all certificates with a window");
		lower = upper = 1;
	}
	/*
	 * Every selection but a plain ALL walks an index on (status,
	 * not_after) or (profile, status, not_after) in order: no sort, rows
	 * stream. A plain ALL walks the table in reservation order; the
	 * no-op expressions (+x, x || '') keep SQLite from an index that
	 * would need a sort.
	 * Status values are literals so that the planner sees them.
	 */
	all = f->select == SIGNET_SELECT_ALL && f->expiring_within <= 0;
	snprintf(sql, sizeof(sql),
	    "SELECT " STORE_CERT_COLUMNS_NODER ", %s FROM certificates c "
	    "JOIN issuers i ON i.id = c.issuer_id WHERE %s%s%s%s%s%s%s "
	    "ORDER BY %s",
	    f->with_der ? "c.der" : "NULL",
	    status != NULL ? "c.status = '"
	    : all          ? "1 = 1"
			   : "c.status IN ('pending', 'issued', 'revoked', "
			     "'failed')",
	    status != NULL ? status : "", status != NULL ? "'" : "",
	    f->issuer == NULL ? ""
	    : all             ? " AND +c.issuer_id = ?"
			      : " AND c.issuer_id = ?",
	    f->profile == NULL ? ""
	    : all              ? " AND c.profile || '' = ?"
			       : " AND c.profile = ?",
	    lower ? " AND c.not_after >= ?" : "",
	    upper ? " AND c.not_after < ?" : "",
	    all ? "c.id" : "c.not_after, c.id");
	if ((r = store_q_open(st, sql, &q)) != 0)
		return r;
	if (f->issuer != NULL)
		store_q_int(&q, issuer_id);
	if (f->profile != NULL)
		store_q_text(&q, f->profile);
	if (lower)
		store_q_int(&q, f->now);
	if (upper)
		store_q_int(&q, f->expiring_within > 0
				    ? f->now + f->expiring_within
				    : f->now);
	while ((r = store_q_step(&q)) == 1) {
		store_cert_from_q(&q, &row, NULL, f->with_der);
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
signet_store_cert_foreach(struct signet_store *st,
    const struct signet_store_filter *f, signet_store_cert_cb cb, void *arg)
{
	struct foreach_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (f == NULL || cb == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no filter or callback given");
	if (f->issuer != NULL &&
	    (r = store_issuer_norm(f->issuer, a.issuer)) != 0)
		return r;
	if (f->profile != NULL && (r = store_text_check("profile", f->profile,
				       SIGNET_STORE_NAME_MAX, 0)) != 0)
		return r;
	a.f = f;
	a.cb = cb;
	a.cb_arg = arg;
	return store_read(st, foreach_work, &a);
}
