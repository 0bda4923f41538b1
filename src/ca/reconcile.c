/*
 * `signet db check`, the second half: the database against the audit log
 * and the last signed CRL, which are signed and so outlive an edit of the
 * database. Every issued or revoked row must have its intent (and
 * normally its outcome) in the log, every outcome in the log its row,
 * every entry of the last full CRL a revoked row with the same reason;
 * and each row must name what its own DER names.
 *
 * Memory: one compact entry (31 bytes) per serial the log or the CRL
 * mentions, in an open-addressing table sized once from the row count
 * (at most 3/4 full); the rows are streamed past it. A million
 * certificates take 64 MB.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "util/codec.h"

/* What the log and the last CRL say of a serial. */
#define RC_ISSUE_INTENT 0x01  /* cert.issue.intent */
#define RC_ISSUED 0x02        /* cert.issue success */
#define RC_REVOKE_INTENT 0x04 /* cert.revoke.intent */
#define RC_REVOKED 0x08       /* cert.revoke success */
#define RC_REVOKED_KC 0x10    /* ... for keyCompromise */
#define RC_CRL_LISTED 0x20    /* on the last full CRL */
#define RC_CRL_KC 0x40        /* ... for keyCompromise */
#define RC_ROW 0x80           /* the database has a row of this issuer */

/* Detailed findings kept; beyond that they are counted. */
#define RC_FINDINGS_MAX 10000

struct rc_ent {
	uint8_t serial[SIGNET_SERIAL_MAX];
	uint8_t len; /* 0: a free slot */
	uint8_t flags;
	uint8_t has_sha;
	uint8_t cert_sha[8]; /* the first bytes of cert.issue's cert_sha256 */
};

struct rc_finding {
	enum signet_store_problem_kind kind;
	char serial[2 * SIGNET_SERIAL_MAX + 1];
	int64_t crl_number;
	int notice;
	char *detail;
	char *advice;
};

struct rc {
	struct signet_ca *ca;
	struct rc_ent *v;
	size_t cap, n; /* cap: a power of two */
	int64_t *crls; /* crl.generate success numbers */
	size_t n_crls, cap_crls;
	int shared;       /* other audit logs write to this database */
	int64_t young;    /* rows reserved after this may be at work now */
	int64_t last_crl; /* the last full CRL compared */
	struct rc_finding *f;
	size_t n_f, cap_f;
	size_t dropped; /* findings beyond RC_FINDINGS_MAX */
	int err;
};

/* ---- the table ------------------------------------------------------------ */

static size_t
rc_hash(const uint8_t *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static struct rc_ent *
rc_find(struct rc *c, const uint8_t *s, size_t len)
{
	size_t i;

	if (c->cap == 0)
		return NULL;
	for (i = rc_hash(s, len) & (c->cap - 1); c->v[i].len != 0;
	     i = (i + 1) & (c->cap - 1))
		if (c->v[i].len == len && memcmp(c->v[i].serial, s, len) == 0)
			return &c->v[i];
	return NULL;
}

static int
rc_grow(struct rc *c)
{
	struct rc_ent *old = c->v, *e;
	size_t old_cap = c->cap, i, j;

	c->cap = old_cap == 0 ? 1024 : old_cap * 2;
	if ((c->v = calloc(c->cap, sizeof(*c->v))) == NULL) {
		c->v = old;
		c->cap = old_cap;
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	for (i = 0; i < old_cap; i++) {
		e = &old[i];
		if (e->len == 0)
			continue;
		for (j = rc_hash(e->serial, e->len) & (c->cap - 1);
		     c->v[j].len != 0; j = (j + 1) & (c->cap - 1))
			;
		c->v[j] = *e;
	}
	free(old);
	return 0;
}

static int
rc_get(struct rc *c, const uint8_t *s, size_t len, struct rc_ent **out)
{
	struct rc_ent *e;
	size_t i;
	int r;

	if ((e = rc_find(c, s, len)) != NULL) {
		*out = e;
		return 0;
	}
	if ((c->n + 1) * 4 > c->cap * 3 && (r = rc_grow(c)) != 0)
		return r;
	for (i = rc_hash(s, len) & (c->cap - 1); c->v[i].len != 0;
	     i = (i + 1) & (c->cap - 1))
		;
	e = &c->v[i];
	memcpy(e->serial, s, len);
	e->len = (uint8_t)len;
	c->n++;
	*out = e;
	return 0;
}

static int
rc_serial(const char *hex, struct signet_serial *s)
{
	return hex != NULL && signet_serial_from_hex(hex, s) == 0 ? 0 : -1;
}

/* ---- findings ------------------------------------------------------------- */

static void
rc_add(struct rc *c, enum signet_store_problem_kind kind, const char *serial,
    int64_t crl_number, int notice, const char *detail, const char *advice)
{
	struct rc_finding *f, *grown;

	if (c->err != 0)
		return;
	if (c->n_f >= RC_FINDINGS_MAX) {
		c->dropped++;
		return;
	}
	if (c->n_f == c->cap_f) {
		size_t cap = c->cap_f == 0 ? 16 : c->cap_f * 2;

		if ((grown = realloc(c->f, cap * sizeof(*grown))) == NULL) {
			c->err = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			return;
		}
		c->f = grown;
		c->cap_f = cap;
	}
	f = &c->f[c->n_f];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	snprintf(f->serial, sizeof(f->serial), "%s",
	    serial != NULL ? serial : "");
	f->crl_number = crl_number;
	f->notice = notice;
	if ((f->detail = strdup(detail)) == NULL ||
	    (f->advice = strdup(advice)) == NULL) {
		free(f->detail);
		c->err = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		return;
	}
	c->n_f++;
}

/* ---- the audit log -------------------------------------------------------- */

static void
rc_record(struct rc *c, const char *line, size_t len)
{
	json_t *rec, *d;
	const char *event, *outcome, *sha, *reason;
	struct signet_serial s;
	struct rc_ent *e;
	json_error_t jerr;
	uint8_t buf[32];
	size_t n = 0;
	int success, intent, kc;

	if ((rec = json_loadb(line, len, 0, &jerr)) == NULL)
		return;
	event = json_string_value(json_object_get(rec, "event"));
	outcome = json_string_value(json_object_get(rec, "outcome"));
	d = json_object_get(rec, "details");
	if (event == NULL || outcome == NULL || d == NULL)
		goto out;
	success = strcmp(outcome, "success") == 0;
	intent = strcmp(outcome, "intent") == 0;
	if (strcmp(event, "crl.generate") == 0 && success) {
		if (c->n_crls == c->cap_crls) {
			size_t cap = c->cap_crls == 0 ? 64 : c->cap_crls * 2;
			int64_t *g = realloc(c->crls, cap * sizeof(*g));

			if (g == NULL) {
				c->err = signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
				goto out;
			}
			c->crls = g;
			c->cap_crls = cap;
		}
		c->crls[c->n_crls++] = (int64_t)json_integer_value(
		    json_object_get(d, "crl_number"));
		goto out;
	}
	if ((!success && !intent) ||
	    rc_serial(json_string_value(json_object_get(d, "serial")), &s) != 0)
		goto out;
	if ((c->err = rc_get(c, s.v, s.len, &e)) != 0)
		goto out;
	reason = json_string_value(json_object_get(d, "reason"));
	kc = reason != NULL && strcmp(reason, "keyCompromise") == 0;
	if (strcmp(event, "cert.issue.intent") == 0)
		e->flags |= RC_ISSUE_INTENT;
	else if (strcmp(event, "cert.issue") == 0 && success) {
		e->flags |= RC_ISSUED;
		sha = json_string_value(json_object_get(d, "cert_sha256"));
		if (sha != NULL && strlen(sha) == 64 &&
		    hex_decode(sha, buf, sizeof(buf), &n) == 0 && n == 32) {
			memcpy(e->cert_sha, buf, sizeof(e->cert_sha));
			e->has_sha = 1;
		}
	} else if (strcmp(event, "cert.revoke.intent") == 0)
		e->flags |= RC_REVOKE_INTENT;
	else if (strcmp(event, "cert.revoke") == 0 && success)
		e->flags |= RC_REVOKED | (kc ? RC_REVOKED_KC : 0);
out:
	json_decref(rec);
}

static int
rc_line(const char *line, size_t len, void *arg)
{
	struct rc *c = arg;

	rc_record(c, line, len);
	return c->err;
}

static int
rc_read_log(struct rc *c)
{
	static const char *const events[] = { "\"event\":\"cert.",
		"\"event\":\"crl.generate\"", NULL };

	return ca_audit_lines(c->ca->cfg->audit_log, events, rc_line, c);
}

/* ---- the last full CRL ------------------------------------------------------
 */

static int
rc_crl_entry(void *arg, struct signet_crl_entry *ent)
{
	struct rc *c = arg;
	struct rc_ent *e;
	int r;

	if ((r = rc_get(c, ent->serial.v, ent->serial.len, &e)) != 0)
		return r;
	e->flags |= RC_CRL_LISTED;
	if (ent->reason == SIGNET_CRL_REASON_KEY_COMPROMISE)
		e->flags |= RC_CRL_KC;
	return 0;
}

static int
rc_read_crl(struct rc *c)
{
	struct signet_store_crl *crl = NULL;
	int64_t tu = 0;
	int r;

	r = signet_store_crl_last_full(c->ca->store, c->ca->issuer_id,
	    &c->last_crl, &tu);
	if (r == SIGNET_ERR_NOT_FOUND) {
		signet_error_clear();
		return 0;
	}
	if (r != 0 || (r = signet_store_crl_get(c->ca->store, c->ca->issuer_id,
			   c->last_crl, &crl)) != 0)
		return r;
	/* Its signature is the store check's business (crl-mismatch). */
	r = crl->der != NULL ? signet_crl_entries_foreach(crl->der,
				   crl->der_len, rc_crl_entry, c)
			     : 0;
	signet_store_crl_free(crl);
	return r;
}

/* ---- the rows ---------------------------------------------------------------
 */

/* Subject and SANs as issuance writes them into the row (src/ca/issue.c). */
static int
der_names(const uint8_t *der, size_t len, char **subject, char **sans)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	GENERAL_NAMES *gens = NULL;
	BIO *b = NULL, *sb = NULL;
	char *mem, ip[64];
	long n;
	int i, r = -1;

	*subject = *sans = NULL;
	if (x == NULL || (b = BIO_new(BIO_s_mem())) == NULL ||
	    (sb = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
		XN_FLAG_RFC2253) < 0)
		goto out;
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *v = NULL;
		const char *kind = "other";

		switch (g->type) {
		case GEN_DNS:
			kind = "DNS";
			v = g->d.dNSName;
			break;
		case GEN_EMAIL:
			kind = "email";
			v = g->d.rfc822Name;
			break;
		case GEN_URI:
			kind = "URI";
			v = g->d.uniformResourceIdentifier;
			break;
		case GEN_IPADD:
			kind = "IP";
			if (inet_ntop(g->d.iPAddress->length == 4 ? AF_INET
								  : AF_INET6,
				g->d.iPAddress->data, ip, sizeof(ip)) == NULL)
				goto out;
			break;
		default:
			break;
		}
		BIO_printf(sb, "%s%s:", i > 0 ? "," : "", kind);
		if (g->type == GEN_IPADD)
			BIO_puts(sb, ip);
		else if (v != NULL)
			BIO_write(sb, ASN1_STRING_get0_data(v),
			    ASN1_STRING_length(v));
	}
	if ((n = BIO_get_mem_data(b, &mem)) < 0 ||
	    (*subject = strndup(n > 0 ? mem : "", (size_t)n)) == NULL ||
	    (n = BIO_get_mem_data(sb, &mem)) < 0 ||
	    (*sans = strndup(n > 0 ? mem : "", (size_t)n)) == NULL)
		goto out;
	r = 0;
out:
	if (r != 0) {
		free(*subject);
		free(*sans);
		*subject = *sans = NULL;
	}
	GENERAL_NAMES_free(gens);
	BIO_free(b);
	BIO_free(sb);
	X509_free(x);
	return r;
}

static void
rc_names(struct rc *c, const struct signet_store_cert *row)
{
	char *subject = NULL, *sans = NULL, detail[1024];

	if (row->der == NULL)
		return;
	if (der_names(row->der, row->der_len, &subject, &sans) != 0) {
		/* Undecodable DER: the store check reports it. */
		return;
	}
	if (strcmp(subject, row->subject) != 0 ||
	    strcmp(sans, row->sans) != 0) {
		snprintf(detail, sizeof(detail),
		    "certificate %s: the row names subject '%.200s' and SANs "
		    "'%.200s', its DER '%.200s' and '%.200s'",
		    row->serial, row->subject, row->sans, subject, sans);
		rc_add(c, SIGNET_PROBLEM_CERT_MISMATCH, row->serial, 0, 0,
		    detail,
		    "the row's names were changed by hand; the DER is what "
		    "was signed (signet show --pem prints it). Restore the "
		    "row from a backup");
	}
	free(subject);
	free(sans);
}

static int
rc_row(const struct signet_store_cert *row, void *arg)
{
	struct rc *c = arg;
	struct signet_serial s;
	struct rc_ent *e = NULL;
	uint8_t sha[32];
	size_t n = 0;
	char detail[1024];
	int signed_row = row->status == SIGNET_CERT_ISSUED ||
			 row->status == SIGNET_CERT_REVOKED;

	if (rc_serial(row->serial, &s) == 0 &&
	    (e = rc_find(c, s.v, s.len)) != NULL)
		e->flags |= RC_ROW;
	/* An issuance running now has not logged its outcome yet. */
	if (row->created_at > c->young)
		return 0;
	if (row->status == SIGNET_CERT_FAILED && e != NULL &&
	    (e->flags & RC_ISSUED)) {
		snprintf(detail, sizeof(detail),
		    "certificate %s: the audit log records it as issued, the "
		    "database as failed",
		    row->serial);
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, row->serial, 0, 0,
		    detail,
		    "the row was changed by hand, or the database restored "
		    "from an older backup: restore the row (the certificate "
		    "exists and may be in use)");
	}
	if (!signed_row)
		return c->err;
	rc_names(c, row);
	if (e == NULL || !(e->flags & RC_ISSUE_INTENT)) {
		snprintf(detail, sizeof(detail),
		    "certificate %s is %s in the database, but the audit log "
		    "has no cert.issue.intent for it",
		    row->serial, signet_cert_status_name(row->status));
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, row->serial, 0,
		    c->shared, detail,
		    c->shared ? "other audit logs write to this database "
				"(several nodes): its intent is probably in "
				"another node's log; look there"
			      : "the audit log lost records (restored from an "
				"older copy?) or the row was added by hand: "
				"compare with the log's backups; a row nobody "
				"can account for names a certificate to "
				"revoke");
	} else if (!(e->flags & RC_ISSUED)) {
		snprintf(detail, sizeof(detail),
		    "certificate %s is %s in the database; the audit log has "
		    "its intent but no cert.issue outcome",
		    row->serial, signet_cert_status_name(row->status));
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, row->serial, 0, 1,
		    detail,
		    "the issuing process stopped after recording it and "
		    "before logging the outcome; nothing to do");
	} else if (e->has_sha && row->cert_sha256 != NULL &&
		   (hex_decode(row->cert_sha256, sha, sizeof(sha), &n) != 0 ||
		       n != 32 ||
		       memcmp(sha, e->cert_sha, sizeof(e->cert_sha)) != 0)) {
		snprintf(detail, sizeof(detail),
		    "certificate %s: the audit log records another "
		    "certificate (cert_sha256) than the database holds",
		    row->serial);
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, row->serial, 0, 0,
		    detail,
		    "the stored DER was replaced: restore the row from a "
		    "backup");
	}
	if (row->status == SIGNET_CERT_REVOKED &&
	    (e == NULL || !(e->flags & RC_REVOKE_INTENT))) {
		snprintf(detail, sizeof(detail),
		    "certificate %s is revoked (%s) in the database, but the "
		    "audit log has no cert.revoke.intent for it",
		    row->serial,
		    signet_crl_reason_name(row->revocation_reason));
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, row->serial, 0,
		    c->shared, detail,
		    c->shared ? "other audit logs write to this database: "
				"look for it in the other nodes' logs"
			      : "the revocation was made behind signet's back, "
				"or the log lost records: find out which; a "
				"revocation stays in force");
	}
	if (row->status == SIGNET_CERT_REVOKED && e != NULL &&
	    (e->flags & (RC_REVOKED_KC | RC_CRL_KC)) &&
	    row->revocation_reason != SIGNET_CRL_REASON_KEY_COMPROMISE) {
		snprintf(detail, sizeof(detail),
		    "certificate %s was revoked for keyCompromise (%s), but "
		    "the database says %s",
		    row->serial,
		    (e->flags & RC_CRL_KC) ? "on the last CRL" : "audit log",
		    signet_crl_reason_name(row->revocation_reason));
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, row->serial, 0, 0,
		    detail,
		    "the reason was changed by hand; revoke it again: "
		    "signet revoke SERIAL --reason keyCompromise");
	}
	if (row->status == SIGNET_CERT_ISSUED && e != NULL &&
	    (e->flags & (RC_REVOKED | RC_CRL_LISTED))) {
		snprintf(detail, sizeof(detail),
		    "certificate %s is revoked (%s), but the database says "
		    "issued: the next CRL would drop it",
		    row->serial,
		    (e->flags & RC_CRL_LISTED)
			? (e->flags & RC_REVOKED ? "audit log, last CRL"
						 : "last CRL")
			: "audit log");
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, row->serial, 0, 0,
		    detail,
		    "the row was changed by hand (or the database restored "
		    "from an older backup): revoke it again with its reason "
		    "(signet audit show --serial SERIAL): signet revoke SERIAL "
		    "--reason R. Unless the log's record is forged: signet "
		    "audit verify names records a writer could not "
		    "authenticate");
	}
	return c->err;
}

/* Serials the log or the CRL knows and no row of this issuer has. */
static int
rc_orphans(struct rc *c)
{
	struct signet_store_cert *row = NULL;
	struct signet_serial s;
	char hex[2 * SIGNET_SERIAL_MAX + 1], detail[1024];
	const struct rc_ent *e;
	size_t i;
	int r, other;

	for (i = 0; i < c->cap && c->err == 0; i++) {
		e = &c->v[i];
		if (e->len == 0 || (e->flags & RC_ROW) ||
		    !(e->flags & (RC_ISSUED | RC_REVOKED | RC_CRL_LISTED)))
			continue;
		memcpy(s.v, e->serial, e->len);
		s.len = e->len;
		signet_serial_to_hex(&s, hex);
		/* Another issuer's (the log outlived a CA key)? */
		if (!(e->flags & RC_CRL_LISTED)) {
			r = signet_store_cert_get(c->ca->store, NULL, hex,
			    &row);
			other = r == SIGNET_ERR_CONFLICT ||
				(r == 0 &&
				    strcmp(row->issuer, c->ca->issuer_id) != 0);
			signet_store_cert_free(row);
			row = NULL;
			if (other)
				continue;
			if (r == 0)
				r = SIGNET_ERR_NOT_FOUND;
			if (r != SIGNET_ERR_NOT_FOUND &&
			    r != SIGNET_ERR_CONFLICT)
				return r;
			signet_error_clear();
		}
		snprintf(detail, sizeof(detail),
		    "certificate %s is %s%s, but the database has no row for "
		    "it",
		    hex,
		    (e->flags & (RC_REVOKED | RC_CRL_LISTED)) ? "revoked"
							      : "issued",
		    (e->flags & RC_CRL_LISTED) ? " (on the last CRL)"
					       : " (audit log)");
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, hex, 0, 0, detail,
		    "the row was deleted (or the database restored from an "
		    "older backup): it can no longer be revoked and falls "
		    "off the next CRL. Restore the database from a backup "
		    "that has it");
	}
	return c->err;
}

/* CRLs the log records as signed and the database does not hold. */
static int
rc_crls(struct rc *c)
{
	struct signet_store_crl *crl = NULL;
	char detail[512];
	size_t i;
	int r;

	for (i = 0; i < c->n_crls && c->err == 0; i++) {
		r = signet_store_crl_get(c->ca->store, c->ca->issuer_id,
		    c->crls[i], &crl);
		if (r == 0 && crl->der != NULL) {
			signet_store_crl_free(crl);
			continue;
		}
		signet_store_crl_free(crl);
		crl = NULL;
		if (r == 0)
			continue; /* allocated, unrecorded: reported already */
		if (r != SIGNET_ERR_NOT_FOUND)
			return r;
		signet_error_clear();
		snprintf(detail, sizeof(detail),
		    "the audit log records CRL %lld as signed, but the "
		    "database has no such CRL",
		    (long long)c->crls[i]);
		rc_add(c, SIGNET_PROBLEM_AUDIT_MISMATCH, NULL, c->crls[i],
		    c->shared, detail,
		    c->shared ? "if another issuer's: nothing to do"
			      : "the database is older than the log "
				"(restored from a backup?): the next signet "
				"crl numbers past it, and revocations made "
				"since the backup are listed above");
	}
	return c->err;
}

int
ca_reconcile(struct signet_ca *ca, int64_t grace, signet_ca_finding_fn cb,
    void *arg, struct signet_ca_check_summary *sum)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_store_filter filter;
	struct signet_store_problem p;
	struct signet_ca_finding fd;
	struct rc c;
	struct signet_store_counts counts;
	int64_t logs = 0, total;
	char more[128];
	size_t i;

	memset(&c, 0, sizeof(c));
	c.ca = ca;
	c.young = (int64_t)time(NULL) - (grace > 0 ? grace : -1);
	if ((r = signet_store_audit_head_count(ca->store, &logs)) != 0)
		goto out;
	c.shared = logs > 1;
	/*
	 * Sized once for the rows there are, so that a million serials do
	 * not pass through a doubling (the old and the new table at once).
	 */
	if ((r = signet_store_counts(ca->store, ca->issuer_id, &counts)) != 0)
		goto out;
	total = counts.issued + counts.revoked + counts.pending + counts.failed;
	c.cap = 1024;
	while ((int64_t)c.cap * 3 < total * 4)
		c.cap *= 2;
	if ((c.v = calloc(c.cap, sizeof(*c.v))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = rc_read_log(&c)) != 0 || (r = rc_read_crl(&c)) != 0)
		goto out;
	memset(&filter, 0, sizeof(filter));
	filter.select = SIGNET_SELECT_ALL;
	filter.issuer = ca->issuer_id;
	filter.with_der = 1;
	if ((r = signet_store_cert_foreach(ca->store, &filter, rc_row, &c)) !=
		0 ||
	    (r = rc_orphans(&c)) != 0 || (r = rc_crls(&c)) != 0)
		goto out;
	if (c.dropped > 0) {
		snprintf(more, sizeof(more),
		    "%zu more differences between the database and the "
		    "audit log",
		    c.dropped);
		c.n_f = c.n_f < RC_FINDINGS_MAX ? c.n_f : RC_FINDINGS_MAX;
	}
	for (i = 0; i < c.n_f; i++) {
		memset(&p, 0, sizeof(p));
		memset(&fd, 0, sizeof(fd));
		p.kind = c.f[i].kind;
		p.issuer = ca->issuer_id;
		p.serial = c.f[i].serial[0] != '\0' ? c.f[i].serial : NULL;
		p.crl_number = c.f[i].crl_number;
		p.detail = c.f[i].detail;
		fd.problem = &p;
		fd.advice = c.f[i].advice;
		fd.notice = c.f[i].notice;
		sum->problems++;
		if (fd.notice)
			sum->notices++;
		else
			sum->unresolved++;
		if (cb != NULL && (r = cb(&fd, arg)) != 0)
			goto out;
	}
	if (c.dropped > 0) {
		memset(&p, 0, sizeof(p));
		memset(&fd, 0, sizeof(fd));
		p.kind = SIGNET_PROBLEM_AUDIT_MISMATCH;
		p.issuer = ca->issuer_id;
		p.detail = more;
		fd.problem = &p;
		fd.advice = "too many to list: the database and the log are "
			    "far apart; find out which one was replaced";
		sum->problems++;
		sum->unresolved++;
		if (cb != NULL && (r = cb(&fd, arg)) != 0)
			goto out;
	}
	r = 0;
out:
	for (i = 0; i < c.n_f; i++) {
		free(c.f[i].detail);
		free(c.f[i].advice);
	}
	free(c.f);
	free(c.v);
	free(c.crls);
	return r;
}
