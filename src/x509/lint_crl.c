/*
 * CRL lints (RFC 5280 5, BR 4.9.7 and 7.2). A CRL may list a million
 * entries: it is linted from its bytes in one pass, never parsed into
 * OpenSSL objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "util/codec.h"
#include "x509/lint_int.h"

static void
serial_text(const struct x509_span *s, char out[48])
{
	size_t n = s->n > 20 ? 20 : s->n;

	if (n == 0) {
		snprintf(out, 48, "(empty)");
		return;
	}
	hex_encode(s->p, n, out);
	if (s->n > 20)
		memcpy(out + 40, "...", 4);
}

static void
prepare_ext_encoding(struct lint_crl *c, const struct x509_ext *e)
{
	char name[96];
	const char *n =
	    x509_ext_name(e->id, e->oid.p, e->oid.n, name, sizeof(name));

	if (e->critical_bad)
		lint_note_add(&c->bool_encoding,
		    "extension %s: critical is not 00 or FF", n);
	else if (e->critical_encoded && !e->critical)
		lint_note_add(&c->default_encoded,
		    "extension %s has critical FALSE written out", n);
	if (e->value.n > 0)
		der_check(e->value.p, e->value.n, (size_t)(e->value.p - c->der),
		    &c->der_issues);
	else
		der_issue_add(&c->der_issues, DER_ISSUE_STRUCTURE,
		    "extension %s has an empty value", n);
}

/* IssuingDistributionPoint: BOOLEANs DEFAULT FALSE, reasons a bit list. */
static void
prepare_idp(struct lint_crl *c, const struct x509_ext *e)
{
	struct der_cur cur;
	struct der_elem seq, f;
	const char *why;
	unsigned bits;
	int trailing_zero;

	der_cur_init(&cur, e->value.p, e->value.n);
	if (der_expect(&cur, DER_SEQUENCE, &seq, &why) != 0)
		return;
	der_cur_init(&cur, seq.body, seq.len);
	while (!der_cur_done(&cur)) {
		if (der_next(&cur, &f, &why) != 0)
			return;
		if (f.cls != 2 || f.cons)
			continue;
		if (f.tag == 1 || f.tag == 2 || f.tag == 4 || f.tag == 5) {
			if (f.len != 1 || (f.body[0] != 0 && f.body[0] != 0xff))
				lint_note_add(&c->bool_encoding,
				    "issuingDistributionPoint [%u] is not 00 "
				    "or FF",
				    f.tag);
			else if (f.body[0] == 0)
				lint_note_add(&c->default_encoded,
				    "issuingDistributionPoint [%u] FALSE is "
				    "written out",
				    f.tag);
		} else if (f.tag == 3) {
			if (x509_named_bits_decode(f.body, f.len, &bits,
				&trailing_zero) != 0)
				lint_note_add(&c->f.ext_malformed,
				    "issuingDistributionPoint onlySomeReasons "
				    "is not a BIT STRING");
			else if (trailing_zero)
				lint_note_add(&c->named_bits,
				    "issuingDistributionPoint onlySomeReasons "
				    "ends in zero bits");
		}
	}
}

static long
entry_reason(const struct x509_ext *e)
{
	struct der_cur cur;
	struct der_elem en;
	const char *why;

	der_cur_init(&cur, e->value.p, e->value.n);
	if (der_expect(&cur, DER_ENUMERATED, &en, &why) != 0 || en.len != 1 ||
	    (en.body[0] & 0x80))
		return -1;
	return en.body[0];
}

static void
prepare_entry(struct lint_crl *c, const struct x509_crl_entry *e,
    const char *hex)
{
	struct lint_crl_facts *f = &c->f;
	char field[96], name[96];
	size_t i, j;
	long reason;

	/* Only a GeneralizedTime can be misencoded; skip the text else. */
	if (e->date.id == DER_GENERALIZED_TIME) {
		snprintf(field, sizeof(field), "revocationDate of serial %s",
		    hex);
		lint_time_check(&e->date, field, &f->time_encoding, NULL);
	}
	for (i = 0; i < e->exts.n; i++) {
		const struct x509_ext *x = &e->exts.v[i];
		const char *n = x509_ext_name(x->id, x->oid.p, x->oid.n, name,
		    sizeof(name));

		prepare_ext_encoding(c, x);
		for (j = i + 1; j < e->exts.n; j++)
			if (der_oid_eq(x->oid.p, x->oid.n, e->exts.v[j].oid.p,
				e->exts.v[j].oid.n))
				lint_note_add(&f->ext_duplicate,
				    "entry %s: extension %s appears more than "
				    "once",
				    hex, n);
		if (x->critical && x->id == X509_EXT_UNKNOWN)
			lint_note_add(&f->ext_unknown_critical,
			    "entry %s: extension %s is critical and unknown",
			    hex, n);
		if (x->critical && (x->id == X509_EXT_REASON ||
				       x->id == X509_EXT_INVALIDITY_DATE))
			lint_note_add(&f->ext_critical,
			    "entry %s: %s is critical", hex, n);
		if (!lint_ext_decodes(x))
			lint_note_add(&f->ext_malformed,
			    "entry %s: extension %s does not decode", hex, n);
		if (x->id != X509_EXT_REASON)
			continue;
		reason = entry_reason(x);
		if (reason == 0)
			lint_note_add(&f->unspecified,
			    "entry %s has reasonCode unspecified", hex);
		else if (reason == 6)
			lint_note_add(&f->hold,
			    "entry %s has reasonCode certificateHold", hex);
		else if (reason < 0 || reason == 7 || reason > 10)
			lint_note_add(&f->bad_reason,
			    "entry %s has reasonCode %ld, which RFC 5280 "
			    "does not define",
			    hex, reason);
		else if (reason == 8 && !c->is_delta)
			lint_note_add(&f->bad_reason,
			    "entry %s has reasonCode removeFromCRL in a full "
			    "CRL",
			    hex);
	}
}

static void
prepare_entries(struct lint_crl *c)
{
	struct lint_crl_facts *f = &c->f;
	struct x509_crl_entry *e = NULL;
	struct x509_span prev = { NULL, 0 };
	struct der_cur cur;
	const char *why;
	char hex[48];
	size_t i;
	int cmp;

	if (!c->v.has_revoked)
		return;
	if ((e = malloc(sizeof(*e))) == NULL) {
		lint_note_add(&f->structure, "out of memory");
		return;
	}
	der_cur_init(&cur, c->v.revoked.p, c->v.revoked.n);
	while (!der_cur_done(&cur)) {
		if (x509_crl_entry_next(&c->v, &cur, e, &why) != 0) {
			lint_note_add(&f->structure, "entry %zu: %s",
			    f->entries, why);
			break;
		}
		serial_text(&e->serial, hex);
		if (e->serial.n == 0 || (e->serial.p[0] & 0x80) ||
		    e->serial.n > SIGNET_SERIAL_MAX)
			lint_note_add(&f->bad_serial,
			    "entry %zu: serial %s is negative, empty or over "
			    "20 octets",
			    f->entries, hex);
		else {
			for (i = 0; i < e->serial.n && e->serial.p[i] == 0; i++)
				;
			if (i == e->serial.n)
				lint_note_add(&f->bad_serial,
				    "entry %zu: serial is zero", f->entries);
		}
		if (prev.p != NULL) {
			cmp = x509_serial_bytes_cmp(prev.p, prev.n, e->serial.p,
			    e->serial.n);
			if (cmp == 0)
				lint_note_add(&f->duplicate,
				    "serial %s is listed twice", hex);
			else if (cmp > 0)
				lint_note_add(&f->unsorted,
				    "entry %zu (serial %s) comes after a "
				    "larger serial",
				    f->entries, hex);
		}
		prev = e->serial;
		prepare_entry(c, e, hex);
		f->entries++;
	}
	free(e);
}

int
lint_crl_prepare(struct lint_crl *c)
{
	const char *why = NULL;
	const struct x509_ext *idp;
	size_t i;
	int year;

	der_check(c->der, c->len, 0, &c->der_issues);
	if (x509_crl_view_parse(c->der, c->len, &c->v, &why) != 0) {
		snprintf(c->parse_why, sizeof(c->parse_why), "not a CRL: %s",
		    why);
		return 0;
	}
	c->parsed = 1;
	for (i = 0; i < c->v.exts.n; i++)
		prepare_ext_encoding(c, &c->v.exts.v[i]);
	if ((idp = x509_exts_find(&c->v.exts, X509_EXT_IDP)) != NULL)
		prepare_idp(c, idp);
	c->is_delta = x509_exts_find(&c->v.exts, X509_EXT_DELTA_CRL) != NULL;
	c->this_ok =
	    der_time_parse(c->v.this_update.id, c->v.this_update.body,
		c->v.this_update.len, &c->this_update, &year, &why) == 0;
	c->next_ok =
	    c->v.has_next_update &&
	    der_time_parse(c->v.next_update.id, c->v.next_update.body,
		c->v.next_update.len, &c->next_update, &year, &why) == 0;
	prepare_entries(c);
	if (c->ctx != NULL && c->ctx->issuer != NULL)
		return lint_issuer_load(c->ctx->issuer, &c->iss);
	return 0;
}

void
lint_crl_clear(struct lint_crl *c)
{
	lint_issuer_clear(&c->iss);
}

/* ---- the lints --------------------------------------------------------- */

static int
version_v2(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (!c->v.has_version)
		return lint_fail(m, "CRL is v1 (no version field)");
	if (c->v.version.n != 1 || c->v.version.p[0] != 1)
		return lint_fail(m, "CRL version is not v2");
	return LINT_PASS;
}

static int
next_update_missing(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (!c->v.has_next_update)
		return lint_fail(m, "CRL has no nextUpdate");
	return LINT_PASS;
}

static int
next_update_order(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->this_ok || !c->next_ok)
		return LINT_NA;
	if (c->next_update <= c->this_update)
		return lint_fail(m, "nextUpdate is not after thisUpdate");
	return LINT_PASS;
}

static int
next_update_max(const struct lint_crl *c, struct lint_msg *m)
{
	int64_t max = c->ctx != NULL ? c->ctx->crl_max_next_update
				     : LINT_DEFAULT_CRL_MAX_NEXT_UPDATE;
	int64_t d;

	if (!c->this_ok || !c->next_ok)
		return LINT_NA;
	d = (int64_t)(c->next_update - c->this_update);
	if (d > max)
		return lint_fail(m,
		    "nextUpdate is %.2f days after thisUpdate; at most %.2f "
		    "allowed",
		    (double)d / 86400, (double)max / 86400);
	return LINT_PASS;
}

static int
number_missing(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (x509_exts_find(&c->v.exts, X509_EXT_CRL_NUMBER) == NULL)
		return lint_fail(m, "CRL has no cRLNumber");
	return LINT_PASS;
}

static int
number_critical(const struct lint_crl *c, struct lint_msg *m)
{
	const struct x509_ext *e;

	if (!c->parsed ||
	    (e = x509_exts_find(&c->v.exts, X509_EXT_CRL_NUMBER)) == NULL)
		return LINT_NA;
	if (e->critical)
		return lint_fail(m, "cRLNumber is critical");
	return LINT_PASS;
}

static int
number_range(const struct lint_crl *c, struct lint_msg *m)
{
	const struct x509_ext *e;
	struct der_cur cur;
	struct der_elem n;
	const char *why;

	if (!c->parsed ||
	    (e = x509_exts_find(&c->v.exts, X509_EXT_CRL_NUMBER)) == NULL)
		return LINT_NA;
	der_cur_init(&cur, e->value.p, e->value.n);
	if (der_expect(&cur, DER_INTEGER, &n, &why) != 0 || n.len == 0)
		return lint_fail(m, "cRLNumber is not an INTEGER");
	if (n.body[0] & 0x80)
		return lint_fail(m, "cRLNumber is negative");
	if (n.len > 20)
		return lint_fail(m, "cRLNumber is %zu octets (at most 20)",
		    n.len);
	return LINT_PASS;
}

static int
aki_missing(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (x509_exts_find(&c->v.exts, X509_EXT_AKI) == NULL)
		return lint_fail(m, "CRL has no authorityKeyIdentifier");
	return LINT_PASS;
}

static int
revoked_empty(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->v.has_revoked && c->v.revoked.n == 0)
		return lint_fail(m, "revokedCertificates is present but empty");
	return LINT_PASS;
}

#define NOTE_LINT(fn, field)                                                   \
	static int fn(const struct lint_crl *c, struct lint_msg *m)            \
	{                                                                      \
		return c->parsed ? lint_note_result(&c->f.field, m) : LINT_NA; \
	}

NOTE_LINT(entries_sorted, unsorted)
NOTE_LINT(entries_unique, duplicate)
NOTE_LINT(entry_serial, bad_serial)
NOTE_LINT(reason_unspecified, unspecified)
NOTE_LINT(certificate_hold, hold)
NOTE_LINT(reason_invalid, bad_reason)
NOTE_LINT(entry_ext_critical, ext_critical)

static int
delta_critical(const struct lint_crl *c, struct lint_msg *m)
{
	const struct x509_ext *e;

	if (!c->parsed ||
	    (e = x509_exts_find(&c->v.exts, X509_EXT_DELTA_CRL)) == NULL)
		return LINT_NA;
	if (!e->critical)
		return lint_fail(m, "deltaCRLIndicator is not critical");
	return LINT_PASS;
}

static int
idp_critical(const struct lint_crl *c, struct lint_msg *m)
{
	const struct x509_ext *e;

	if (!c->parsed ||
	    (e = x509_exts_find(&c->v.exts, X509_EXT_IDP)) == NULL)
		return LINT_NA;
	if (!e->critical)
		return lint_fail(m, "issuingDistributionPoint is not "
				    "critical");
	return LINT_PASS;
}

static int
freshest(const struct lint_crl *c, struct lint_msg *m)
{
	const struct x509_ext *e;

	if (!c->parsed ||
	    (e = x509_exts_find(&c->v.exts, X509_EXT_FRESHEST_CRL)) == NULL)
		return LINT_NA;
	if (c->is_delta)
		return lint_fail(m, "a delta CRL carries freshestCRL");
	if (e->critical)
		return lint_fail(m, "freshestCRL is critical");
	return LINT_PASS;
}

static int
issuer_crl_sign(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed || !c->iss.known || !c->iss.from_cert)
		return LINT_NA;
	if (!c->iss.has_ku)
		return lint_fail(m, "the CRL issuer's certificate has no "
				    "keyUsage (RFC 5280 4.2.1.3 requires it, "
				    "with cRLSign)");
	if (!(c->iss.ku & SIGNET_KU_CRL_SIGN))
		return lint_fail(m, "the CRL issuer's keyUsage lacks cRLSign: "
				    "verifiers reject the CRL");
	return LINT_PASS;
}

#define L SIGNET_LINT_CRL
#define E SIGNET_LINT_ERROR

const struct lint_def lint_crl_defs[] = {
	{ { "e_crl_version_v2", "RFC 5280 5.1.2.1; BR 7.2.1", "the CRL is v2",
	      E, L },
	    NULL, version_v2 },
	{ { "e_crl_next_update_missing", "RFC 5280 5.1.2.5; BR 7.2.2",
	      "nextUpdate is present", E, L },
	    NULL, next_update_missing },
	{ { "e_crl_next_update_order", "RFC 5280 5.1.2.5",
	      "nextUpdate is after thisUpdate", E, L },
	    NULL, next_update_order },
	{ { "e_crl_next_update_max", "BR 4.9.7",
	      "nextUpdate is within the limit after thisUpdate (10 days "
	      "for subscriber CRLs, up to 12 months for CA CRLs)",
	      E, L },
	    NULL, next_update_max },
	{ { "e_crl_number_missing", "RFC 5280 5.2.3; BR 7.2.2",
	      "cRLNumber is present", E, L },
	    NULL, number_missing },
	{ { "e_crl_number_critical", "RFC 5280 5.2.3",
	      "cRLNumber is not critical", E, L },
	    NULL, number_critical },
	{ { "e_crl_number_range", "RFC 5280 5.2.3",
	      "cRLNumber is a non-negative INTEGER of at most 20 octets", E,
	      L },
	    NULL, number_range },
	{ { "e_crl_issuer_crlsign", "RFC 5280 4.2.1.3, 6.3.3 (f)",
	      "the CRL issuer's certificate has keyUsage with cRLSign", E, L },
	    NULL, issuer_crl_sign },
	{ { "e_crl_aki_missing", "RFC 5280 5.2.1",
	      "authorityKeyIdentifier is present", E, L },
	    NULL, aki_missing },
	{ { "e_crl_revoked_empty", "RFC 5280 5.1.2.6",
	      "an empty revokedCertificates list is omitted", E, L },
	    NULL, revoked_empty },
	{ { "e_crl_entries_sorted", "signet CRL format (binary search)",
	      "entries are in ascending serial order", E, L },
	    NULL, entries_sorted },
	{ { "e_crl_entries_unique", "RFC 5280 5.1.2.6",
	      "no serial is listed twice", E, L },
	    NULL, entries_unique },
	{ { "e_crl_entry_serial", "RFC 5280 5.1.2.6, 4.1.2.2",
	      "entry serials are positive and at most 20 octets", E, L },
	    NULL, entry_serial },
	{ { "e_crl_reason_unspecified", "RFC 5280 5.3.1; BR 7.2.2",
	      "no reasonCode unspecified (omit the extension)", E, L },
	    NULL, reason_unspecified },
	{ { "e_crl_certificate_hold", "BR 7.2.2",
	      "no reasonCode certificateHold", E, L },
	    NULL, certificate_hold },
	{ { "e_crl_reason_invalid", "RFC 5280 5.3.1",
	      "reasonCode values are defined (removeFromCRL in deltas "
	      "only)",
	      E, L },
	    NULL, reason_invalid },
	{ { "e_crl_entry_ext_critical", "RFC 5280 5.3.1, 5.3.2",
	      "reasonCode and invalidityDate are not critical", E, L },
	    NULL, entry_ext_critical },
	{ { "e_crl_delta_critical", "RFC 5280 5.2.4",
	      "deltaCRLIndicator is critical", E, L },
	    NULL, delta_critical },
	{ { "e_crl_idp_critical", "RFC 5280 5.2.5",
	      "issuingDistributionPoint is critical", E, L },
	    NULL, idp_critical },
	{ { "e_crl_freshest", "RFC 5280 5.2.6",
	      "freshestCRL is non-critical and only in full CRLs", E, L },
	    NULL, freshest },
};

const size_t lint_crl_ndefs = sizeof(lint_crl_defs) / sizeof(lint_crl_defs[0]);
