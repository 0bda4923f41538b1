/*
 * Lints shared by certificates and CRLs: DER strictness on the raw bytes
 * (X.690), times, signature algorithms, issuer name, extensions, AKI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/lint_int.h"

/* ---- helpers ----------------------------------------------------------- */

int
lint_issuer_load(X509 *x, struct lint_issuer *out)
{
	int r = SIGNET_ERR_INTERNAL, n, year, tz;
	struct x509_cert_view *v = NULL;
	const struct x509_ext *ext;
	struct x509_span ski;
	struct x509_bc bc;
	unsigned char *p;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	if ((v = malloc(sizeof(*v))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((n = i2d_X509(x, NULL)) <= 0 ||
	    (out->der = malloc((size_t)n)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL,
		    "cannot encode the issuer certificate");
		goto out;
	}
	p = out->der;
	if (i2d_X509(x, &p) != n ||
	    x509_cert_view_parse(out->der, (size_t)n, v, &why) != 0) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "the issuer certificate is malformed: %s",
		    why != NULL ? why : "cannot encode it");
		goto out;
	}
	out->subject = v->subject;
	if ((ext = x509_exts_find(&v->exts, X509_EXT_SKI)) != NULL &&
	    x509_octets_decode(ext->value.p, ext->value.n, &ski) == 0 &&
	    ski.n <= sizeof(out->key_id)) {
		memcpy(out->key_id, ski.p, ski.n);
		out->key_id_len = ski.n;
	} else if (x509_key_id(v->spki.p, v->spki.n, out->key_id) == 0)
		out->key_id_len = 20;
	if (der_time_parse(v->not_after.id, v->not_after.body, v->not_after.len,
		&out->not_after, &year, &why) == 0)
		out->has_not_after = 1;
	/* What the issuer may do (RFC 5280 6.1.4): CA, path length, usages. */
	out->from_cert = 1;
	out->path_len = -1;
	if ((ext = x509_exts_find(&v->exts, X509_EXT_BC)) != NULL &&
	    x509_bc_decode(ext->value.p, ext->value.n, &bc) == 0) {
		out->is_ca = bc.ca;
		out->path_len = bc.ca ? bc.path_len : -1;
	}
	if ((ext = x509_exts_find(&v->exts, X509_EXT_KU)) != NULL &&
	    x509_ku_decode(ext->value.p, ext->value.n, &out->ku, &tz) == 0)
		out->has_ku = 1;
	if ((ext = x509_exts_find(&v->exts, X509_EXT_EKU)) != NULL &&
	    x509_eku_decode(ext->value.p, ext->value.n, &out->eku) == 0)
		out->has_eku = 1;
	out->pub = X509_get_pubkey(x);
	out->known = 1;
	r = 0;
out:
	free(v);
	if (r != 0)
		lint_issuer_clear(out);
	return r;
}

void
lint_issuer_clear(struct lint_issuer *iss)
{
	free(iss->der);
	EVP_PKEY_free(iss->pub);
	memset(iss, 0, sizeof(*iss));
}

static int
ext_nid(enum x509_ext_id id)
{
	switch (id) {
	case X509_EXT_BC:
		return NID_basic_constraints;
	case X509_EXT_KU:
		return NID_key_usage;
	case X509_EXT_EKU:
		return NID_ext_key_usage;
	case X509_EXT_SKI:
		return NID_subject_key_identifier;
	case X509_EXT_AKI:
		return NID_authority_key_identifier;
	case X509_EXT_SAN:
		return NID_subject_alt_name;
	case X509_EXT_IAN:
		return NID_issuer_alt_name;
	case X509_EXT_NC:
		return NID_name_constraints;
	case X509_EXT_CDP:
		return NID_crl_distribution_points;
	case X509_EXT_AIA:
		return NID_info_access;
	case X509_EXT_SIA:
		return NID_sinfo_access;
	case X509_EXT_CP:
		return NID_certificate_policies;
	case X509_EXT_POLICY_MAPPINGS:
		return NID_policy_mappings;
	case X509_EXT_POLICY_CONSTRAINTS:
		return NID_policy_constraints;
	case X509_EXT_INHIBIT_ANY_POLICY:
		return NID_inhibit_any_policy;
	case X509_EXT_CRL_NUMBER:
		return NID_crl_number;
	case X509_EXT_DELTA_CRL:
		return NID_delta_crl;
	case X509_EXT_IDP:
		return NID_issuing_distribution_point;
	case X509_EXT_FRESHEST_CRL:
		return NID_freshest_crl;
	case X509_EXT_REASON:
		return NID_crl_reason;
	case X509_EXT_INVALIDITY_DATE:
		return NID_invalidity_date;
	case X509_EXT_CERT_ISSUER:
		return NID_certificate_issuer;
	case X509_EXT_TLS_FEATURE:
		return NID_tlsfeature;
	default:
		return NID_undef;
	}
}

/* One element of the given type and nothing else. */
static int
single(const struct x509_ext *e, uint8_t id)
{
	struct der_cur c;
	struct der_elem el;
	const char *why;
	time_t t;
	int year;

	der_cur_init(&c, e->value.p, e->value.n);
	if (der_expect(&c, id, &el, &why) != 0 || !der_cur_done(&c) ||
	    el.len == 0)
		return 0;
	if (id == DER_GENERALIZED_TIME)
		return der_time_parse(id, el.body, el.len, &t, &year, &why) ==
		       0;
	return 1;
}

int
lint_ext_decodes(const struct x509_ext *e)
{
	const X509V3_EXT_METHOD *method;
	const unsigned char *p = e->value.p;
	ASN1_VALUE *val;
	int nid = ext_nid(e->id), ok;

	/* The simple ones CRL entries repeat a million times, without OpenSSL. */
	switch (e->id) {
	case X509_EXT_REASON:
		return single(e, DER_ENUMERATED);
	case X509_EXT_INVALIDITY_DATE:
		return single(e, DER_GENERALIZED_TIME);
	case X509_EXT_CRL_NUMBER:
	case X509_EXT_DELTA_CRL:
		return single(e, DER_INTEGER);
	default:
		break;
	}

	if (nid == NID_undef || (method = X509V3_EXT_get_nid(nid)) == NULL ||
	    method->it == NULL)
		return 1; /* nothing to judge it by */
	if (e->value.n > 0x7fffffff)
		return 0;
	val = ASN1_item_d2i(NULL, &p, (long)e->value.n,
	    ASN1_ITEM_ptr(method->it));
	ok = val != NULL && p == e->value.p + e->value.n;
	ASN1_item_free(val, ASN1_ITEM_ptr(method->it));
	ERR_clear_error();
	return ok;
}

int
lint_time_year(const struct der_elem *e)
{
	size_t n = e->id == DER_UTC_TIME ? 2 : 4, i;
	int y = 0;

	if (e->len < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (e->body[i] < '0' || e->body[i] > '9')
			return -1;
		y = y * 10 + (e->body[i] - '0');
	}
	if (n == 2)
		y += y >= 50 ? 1900 : 2000;
	return y;
}

int
lint_time_check(const struct der_elem *e, const char *field,
    struct lint_note *encoding, struct lint_note *format)
{
	int y = lint_time_year(e);
	const char *why;
	time_t t;

	if (format != NULL &&
	    der_time_parse(e->id, e->body, e->len, &t, &y, &why) != 0)
		lint_note_add(format, "%s: %s", field, why);
	/* UTCTime cannot name 2050 or later; the reverse is the error. */
	if (e->id == DER_GENERALIZED_TIME && y >= 1950 && y <= 2049) {
		lint_note_add(encoding,
		    "%s is a GeneralizedTime in %d; RFC 5280 requires "
		    "UTCTime through 2049",
		    field, y);
		return 1;
	}
	return 0;
}

static int
der_lint(const struct der_issues *d, enum der_issue k, struct lint_msg *m)
{
	if (d->count[k] == 0)
		return LINT_PASS;
	if (d->count[k] == 1)
		return lint_fail(m, "%s", d->first[k]);
	return lint_fail(m, "%s (and %u more)", d->first[k], d->count[k] - 1);
}

static int
ext_dup_check(const struct x509_exts *x, const char *where, struct lint_msg *m)
{
	size_t i, j;
	char buf[96];

	for (i = 0; i < x->n; i++)
		for (j = i + 1; j < x->n; j++)
			if (der_oid_eq(x->v[i].oid.p, x->v[i].oid.n,
				x->v[j].oid.p, x->v[j].oid.n))
				return lint_fail(m,
				    "%s extension %s appears more than once",
				    where,
				    x509_ext_name(x->v[i].id, x->v[i].oid.p,
					x->v[i].oid.n, buf, sizeof(buf)));
	return LINT_PASS;
}

static int
ext_unknown_critical(const struct x509_exts *x, const char *where,
    struct lint_msg *m)
{
	size_t i;
	char buf[96];

	for (i = 0; i < x->n; i++)
		if (x->v[i].critical && x->v[i].id == X509_EXT_UNKNOWN) {
			der_oid_to_text(x->v[i].oid.p, x->v[i].oid.n, buf,
			    sizeof(buf));
			return lint_fail(m,
			    "%s extension %s is critical and unknown: "
			    "relying parties must reject the object",
			    where, buf);
		}
	return LINT_PASS;
}

static int
ext_malformed(const struct x509_exts *x, const char *where, struct lint_msg *m)
{
	size_t i;
	char buf[96];

	for (i = 0; i < x->n; i++)
		if (!lint_ext_decodes(&x->v[i]))
			return lint_fail(m,
			    "%s extension %s at offset %zu does not decode as "
			    "its type",
			    where,
			    x509_ext_name(x->v[i].id, x->v[i].oid.p,
				x->v[i].oid.n, buf, sizeof(buf)),
			    x->v[i].offset);
	return LINT_PASS;
}

static int
sig_alg_check(const struct x509_span *inner, const struct x509_span *outer,
    struct lint_msg *m)
{
	if (inner->n != outer->n || memcmp(inner->p, outer->p, inner->n) != 0)
		return lint_fail(m,
		    "the signature algorithm inside the signed part differs "
		    "from signatureAlgorithm");
	return LINT_PASS;
}

static int
sig_alg_allowed(const struct x509_span *alg, struct lint_msg *m)
{
	if (x509_sig_alg_from_der(alg->p, alg->n) == SIGNET_SIG_NONE)
		return lint_fail(m,
		    "signatureAlgorithm is not one of the encodings BR "
		    "7.1.3.2 allows (ECDSA with SHA-256/384/512, RSA PKCS#1 "
		    "v1.5 or RSASSA-PSS with SHA-256/384/512)");
	return LINT_PASS;
}

static int
sig_alg_issuer_key(const struct x509_span *alg, const struct lint_issuer *iss,
    struct lint_msg *m)
{
	enum signet_sig_alg have, want;

	if (!iss->known || iss->pub == NULL ||
	    (have = x509_sig_alg_from_der(alg->p, alg->n)) == SIGNET_SIG_NONE)
		return LINT_NA;
	if (EVP_PKEY_is_a(iss->pub, "RSA")) {
		if (signet_sig_alg_is_ecdsa(have))
			return lint_fail(m,
			    "signed with %s but the issuer's key is RSA",
			    signet_sig_alg_name(have));
		return LINT_PASS;
	}
	if (signet_sig_alg_for_key(iss->pub, 0, &want) != 0) {
		signet_error_clear();
		return lint_fail(m, "the issuer's key is not one BR 6.1.5 "
				    "allows");
	}
	if (have != want)
		return lint_fail(m,
		    "signed with %s but the issuer's key calls for %s (BR "
		    "7.1.3.2: the hash follows the curve)",
		    signet_sig_alg_name(have), signet_sig_alg_name(want));
	return LINT_PASS;
}

static int
issuer_dn_match(const struct x509_span *issuer, const struct lint_issuer *iss,
    int from_ctx, struct lint_msg *m)
{
	if (!from_ctx || !iss->known)
		return LINT_NA;
	if (issuer->n != iss->subject.n ||
	    memcmp(issuer->p, iss->subject.p, issuer->n) != 0)
		return lint_fail(m,
		    "issuer name (%zu bytes) is not byte-identical to the "
		    "issuing CA's subject (%zu bytes)",
		    issuer->n, iss->subject.n);
	return LINT_PASS;
}

static int
aki_keyid_only(const struct x509_ext *e, struct lint_msg *m)
{
	struct x509_aki aki;

	if (e == NULL || x509_aki_decode(e->value.p, e->value.n, &aki) != 0)
		return LINT_NA;
	if (!aki.has_key_id)
		return lint_fail(m,
		    "authorityKeyIdentifier has no keyIdentifier");
	if (aki.has_issuer || aki.has_serial)
		return lint_fail(m,
		    "authorityKeyIdentifier has authorityCertIssuer or "
		    "authorityCertSerialNumber; only keyIdentifier is "
		    "allowed");
	return LINT_PASS;
}

static int
aki_issuer_match(const struct x509_ext *e, const struct lint_issuer *iss,
    struct lint_msg *m)
{
	struct x509_aki aki;

	if (e == NULL || !iss->known || iss->key_id_len == 0 ||
	    x509_aki_decode(e->value.p, e->value.n, &aki) != 0 ||
	    !aki.has_key_id)
		return LINT_NA;
	if (aki.key_id.n != iss->key_id_len ||
	    memcmp(aki.key_id.p, iss->key_id, iss->key_id_len) != 0)
		return lint_fail(m,
		    "authorityKeyIdentifier does not match the issuing CA's "
		    "subjectKeyIdentifier");
	return LINT_PASS;
}

/* ---- the lints --------------------------------------------------------- */

static int
der_valid_cert(const struct lint_cert *c, struct lint_msg *m)
{
	if (c->parse_why[0] != '\0')
		return lint_fail(m, "%s", c->parse_why);
	return der_lint(&c->der_issues, DER_ISSUE_STRUCTURE, m);
}

static int
der_valid_crl(const struct lint_crl *c, struct lint_msg *m)
{
	if (c->parse_why[0] != '\0')
		return lint_fail(m, "%s", c->parse_why);
	if (c->f.structure.count > 0)
		return lint_note_result(&c->f.structure, m);
	return der_lint(&c->der_issues, DER_ISSUE_STRUCTURE, m);
}

#define DER_LINT(name, kind)                                                  \
	static int name##_cert(const struct lint_cert *c, struct lint_msg *m) \
	{                                                                     \
		return der_lint(&c->der_issues, kind, m);                     \
	}                                                                     \
	static int name##_crl(const struct lint_crl *c, struct lint_msg *m)   \
	{                                                                     \
		return der_lint(&c->der_issues, kind, m);                     \
	}

DER_LINT(der_length, DER_ISSUE_LENGTH)
DER_LINT(der_integer, DER_ISSUE_INTEGER)
DER_LINT(der_bitstring, DER_ISSUE_BITSTRING)
DER_LINT(der_set, DER_ISSUE_SET_ORDER)
DER_LINT(der_string, DER_ISSUE_STRING)
DER_LINT(der_oid, DER_ISSUE_OID)
DER_LINT(time_format, DER_ISSUE_TIME)

static int
der_boolean_cert(const struct lint_cert *c, struct lint_msg *m)
{
	if (c->bool_encoding.count > 0)
		return lint_note_result(&c->bool_encoding, m);
	return der_lint(&c->der_issues, DER_ISSUE_BOOLEAN, m);
}

static int
der_boolean_crl(const struct lint_crl *c, struct lint_msg *m)
{
	if (c->bool_encoding.count > 0)
		return lint_note_result(&c->bool_encoding, m);
	return der_lint(&c->der_issues, DER_ISSUE_BOOLEAN, m);
}

static int
der_default_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return lint_note_result(&c->default_encoded, m);
}

static int
der_default_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return lint_note_result(&c->default_encoded, m);
}

static int
der_named_bits_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return lint_note_result(&c->named_bits, m);
}

static int
der_named_bits_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return lint_note_result(&c->named_bits, m);
}

static int
time_encoding_cert(const struct lint_cert *c, struct lint_msg *m)
{
	struct lint_note n;

	if (!c->parsed)
		return LINT_NA;
	memset(&n, 0, sizeof(n));
	lint_time_check(&c->v.not_before, "notBefore", &n, NULL);
	lint_time_check(&c->v.not_after, "notAfter", &n, NULL);
	return lint_note_result(&n, m);
}

static int
time_encoding_crl(const struct lint_crl *c, struct lint_msg *m)
{
	struct lint_note n;

	if (!c->parsed)
		return LINT_NA;
	memset(&n, 0, sizeof(n));
	lint_time_check(&c->v.this_update, "thisUpdate", &n, NULL);
	if (c->v.has_next_update)
		lint_time_check(&c->v.next_update, "nextUpdate", &n, NULL);
	if (n.count > 0)
		return lint_note_result(&n, m);
	return lint_note_result(&c->f.time_encoding, m);
}

static int
sig_match_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? sig_alg_check(&c->v.tbs_sig_alg, &c->v.sig_alg, m)
			 : LINT_NA;
}

static int
sig_match_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return c->parsed ? sig_alg_check(&c->v.tbs_sig_alg, &c->v.sig_alg, m)
			 : LINT_NA;
}

static int
sig_allowed_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? sig_alg_allowed(&c->v.sig_alg, m) : LINT_NA;
}

static int
sig_allowed_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return c->parsed ? sig_alg_allowed(&c->v.sig_alg, m) : LINT_NA;
}

static int
sig_key_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? sig_alg_issuer_key(&c->v.sig_alg, &c->iss, m)
			 : LINT_NA;
}

static int
sig_key_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return c->parsed ? sig_alg_issuer_key(&c->v.sig_alg, &c->iss, m)
			 : LINT_NA;
}

static int
issuer_dn_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? issuer_dn_match(&c->v.issuer, &c->iss,
			       c->ctx != NULL && c->ctx->issuer != NULL, m)
			 : LINT_NA;
}

static int
issuer_dn_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return c->parsed ? issuer_dn_match(&c->v.issuer, &c->iss, 1, m)
			 : LINT_NA;
}

static int
ext_dup_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? ext_dup_check(&c->v.exts, "certificate", m)
			 : LINT_NA;
}

static int
ext_dup_crl(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (ext_dup_check(&c->v.exts, "CRL", m) == LINT_FAIL)
		return LINT_FAIL;
	return lint_note_result(&c->f.ext_duplicate, m);
}

static int
ext_crit_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? ext_unknown_critical(&c->v.exts, "certificate", m)
			 : LINT_NA;
}

static int
ext_crit_crl(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (ext_unknown_critical(&c->v.exts, "CRL", m) == LINT_FAIL)
		return LINT_FAIL;
	return lint_note_result(&c->f.ext_unknown_critical, m);
}

static int
ext_empty_cert(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->v.exts.present && c->v.exts.n == 0)
		return lint_fail(m, "extensions field is present but empty");
	return LINT_PASS;
}

static int
ext_empty_crl(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->v.exts.present && c->v.exts.n == 0)
		return lint_fail(m, "crlExtensions is present but empty");
	return LINT_PASS;
}

static int
ext_malformed_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? ext_malformed(&c->v.exts, "certificate", m)
			 : LINT_NA;
}

static int
ext_malformed_crl(const struct lint_crl *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (ext_malformed(&c->v.exts, "CRL", m) == LINT_FAIL)
		return LINT_FAIL;
	return lint_note_result(&c->f.ext_malformed, m);
}

static int
aki_keyid_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? aki_keyid_only(c->aki_ext, m) : LINT_NA;
}

static int
aki_keyid_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return c->parsed
		   ? aki_keyid_only(x509_exts_find(&c->v.exts, X509_EXT_AKI), m)
		   : LINT_NA;
}

static int
aki_match_cert(const struct lint_cert *c, struct lint_msg *m)
{
	return c->parsed ? aki_issuer_match(c->aki_ext, &c->iss, m) : LINT_NA;
}

static int
aki_match_crl(const struct lint_crl *c, struct lint_msg *m)
{
	return c->parsed
		   ? aki_issuer_match(x509_exts_find(&c->v.exts, X509_EXT_AKI),
			 &c->iss, m)
		   : LINT_NA;
}

#define BOTH (SIGNET_LINT_CERT | SIGNET_LINT_CRL)
#define E SIGNET_LINT_ERROR

const struct lint_def lint_common_defs[] = {
	{ { "e_der_valid", "X.690 10; RFC 5280 4.1, 5.1",
	      "the object decodes as DER with the RFC 5280 structure and "
	      "no trailing data",
	      E, BOTH },
	    der_valid_cert, der_valid_crl },
	{ { "e_der_length_minimal", "X.690 10.1",
	      "every length and tag is in minimal form", E, BOTH },
	    der_length_cert, der_length_crl },
	{ { "e_der_integer_minimal", "X.690 8.3.2",
	      "every INTEGER and ENUMERATED is in minimal form", E, BOTH },
	    der_integer_cert, der_integer_crl },
	{ { "e_der_boolean_encoding", "X.690 11.1",
	      "every BOOLEAN TRUE is FF and FALSE is 00", E, BOTH },
	    der_boolean_cert, der_boolean_crl },
	{ { "e_der_default_omitted", "X.690 11.5",
	      "values equal to their DEFAULT are not encoded", E, BOTH },
	    der_default_cert, der_default_crl },
	{ { "e_der_bitstring_padding", "X.690 11.2.1",
	      "BIT STRING unused bits are valid and zero", E, BOTH },
	    der_bitstring_cert, der_bitstring_crl },
	{ { "e_der_named_bits_minimal", "X.690 11.2.2",
	      "named bit lists (keyUsage, reasons) have no trailing zero "
	      "bits",
	      E, BOTH },
	    der_named_bits_cert, der_named_bits_crl },
	{ { "e_der_set_sorted", "X.690 11.6",
	      "SET OF components are in ascending order", E, BOTH },
	    der_set_cert, der_set_crl },
	{ { "e_der_string_charset", "X.680 41; X.690 10.2",
	      "strings are primitive and hold only characters their type "
	      "allows",
	      E, BOTH },
	    der_string_cert, der_string_crl },
	{ { "e_der_oid_encoding", "X.690 8.19.2",
	      "OBJECT IDENTIFIER subidentifiers are minimal", E, BOTH },
	    der_oid_cert, der_oid_crl },
	{ { "e_time_encoding", "RFC 5280 4.1.2.5, 5.1.2.4",
	      "times through 2049 are UTCTime, from 2050 GeneralizedTime", E,
	      BOTH },
	    time_encoding_cert, time_encoding_crl },
	{ { "e_time_format", "RFC 5280 4.1.2.5.1, 4.1.2.5.2",
	      "times are in UTC (Z), with seconds, without fractions", E,
	      BOTH },
	    time_format_cert, time_format_crl },
	{ { "e_sig_alg_match", "RFC 5280 4.1.1.2, 5.1.1.2",
	      "the inner signature algorithm equals signatureAlgorithm", E,
	      BOTH },
	    sig_match_cert, sig_match_crl },
	{ { "e_sig_alg_allowed", "BR 7.1.3.2",
	      "signatureAlgorithm is an encoding the BRs allow", E, BOTH },
	    sig_allowed_cert, sig_allowed_crl },
	{ { "e_sig_alg_issuer_key", "BR 7.1.3.2",
	      "the signature algorithm suits the issuer's key", E, BOTH },
	    sig_key_cert, sig_key_crl },
	{ { "e_issuer_dn_match", "RFC 5280 4.1.2.4, 5.1.2.3; BR 7.1.4.1",
	      "the issuer name is byte-identical to the CA's subject", E,
	      BOTH },
	    issuer_dn_cert, issuer_dn_crl },
	{ { "e_ext_duplicate", "RFC 5280 4.2, 5.2",
	      "no extension appears twice", E, BOTH },
	    ext_dup_cert, ext_dup_crl },
	{ { "e_ext_unknown_critical", "RFC 5280 4.2, 5.2",
	      "no unknown extension is critical", E, BOTH },
	    ext_crit_cert, ext_crit_crl },
	{ { "e_ext_empty", "RFC 5280 4.1.2.9, 5.1.2.7",
	      "an extensions field, when present, is not empty", E, BOTH },
	    ext_empty_cert, ext_empty_crl },
	{ { "e_ext_malformed", "RFC 5280 4.2, 5.2",
	      "every known extension's value decodes as its type", E, BOTH },
	    ext_malformed_cert, ext_malformed_crl },
	{ { "e_aki_keyid_only", "BR 7.1.2.11.1; RFC 5280 5.2.1",
	      "authorityKeyIdentifier holds a keyIdentifier only", E, BOTH },
	    aki_keyid_cert, aki_keyid_crl },
	{ { "e_aki_issuer_match", "RFC 5280 4.2.1.1, 5.2.1",
	      "authorityKeyIdentifier equals the CA's key identifier", E,
	      BOTH },
	    aki_match_cert, aki_match_crl },
};

const size_t lint_common_ndefs =
    sizeof(lint_common_defs) / sizeof(lint_common_defs[0]);
