/*
 * Views: where the fields of a DER certificate or CRL are, found by walking
 * the raw bytes (no allocation, no re-encoding), so lints see exactly what
 * will be signed. Also the extension and algorithm tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "x509/x509_int.h"

/* ---- extensions -------------------------------------------------------- */

static const struct x509_ext_def ext_defs[] = {
	{ X509_EXT_BC, "basicConstraints", { 0x55, 0x1d, 0x13 }, 3 },
	{ X509_EXT_KU, "keyUsage", { 0x55, 0x1d, 0x0f }, 3 },
	{ X509_EXT_EKU, "extKeyUsage", { 0x55, 0x1d, 0x25 }, 3 },
	{ X509_EXT_SKI, "subjectKeyIdentifier", { 0x55, 0x1d, 0x0e }, 3 },
	{ X509_EXT_AKI, "authorityKeyIdentifier", { 0x55, 0x1d, 0x23 }, 3 },
	{ X509_EXT_SAN, "subjectAltName", { 0x55, 0x1d, 0x11 }, 3 },
	{ X509_EXT_IAN, "issuerAltName", { 0x55, 0x1d, 0x12 }, 3 },
	{ X509_EXT_NC, "nameConstraints", { 0x55, 0x1d, 0x1e }, 3 },
	{ X509_EXT_CDP, "cRLDistributionPoints", { 0x55, 0x1d, 0x1f }, 3 },
	{ X509_EXT_AIA, "authorityInfoAccess",
	    { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01 }, 8 },
	{ X509_EXT_SIA, "subjectInfoAccess",
	    { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x0b }, 8 },
	{ X509_EXT_CP, "certificatePolicies", { 0x55, 0x1d, 0x20 }, 3 },
	{ X509_EXT_POLICY_MAPPINGS, "policyMappings", { 0x55, 0x1d, 0x21 }, 3 },
	{ X509_EXT_POLICY_CONSTRAINTS, "policyConstraints",
	    { 0x55, 0x1d, 0x24 }, 3 },
	{ X509_EXT_INHIBIT_ANY_POLICY, "inhibitAnyPolicy", { 0x55, 0x1d, 0x36 },
	    3 },
	{ X509_EXT_SUBJECT_DIR_ATTRS, "subjectDirectoryAttributes",
	    { 0x55, 0x1d, 0x09 }, 3 },
	{ X509_EXT_CRL_NUMBER, "cRLNumber", { 0x55, 0x1d, 0x14 }, 3 },
	{ X509_EXT_DELTA_CRL, "deltaCRLIndicator", { 0x55, 0x1d, 0x1b }, 3 },
	{ X509_EXT_IDP, "issuingDistributionPoint", { 0x55, 0x1d, 0x1c }, 3 },
	{ X509_EXT_FRESHEST_CRL, "freshestCRL", { 0x55, 0x1d, 0x2e }, 3 },
	{ X509_EXT_REASON, "reasonCode", { 0x55, 0x1d, 0x15 }, 3 },
	{ X509_EXT_INVALIDITY_DATE, "invalidityDate", { 0x55, 0x1d, 0x18 }, 3 },
	{ X509_EXT_CERT_ISSUER, "certificateIssuer", { 0x55, 0x1d, 0x1d }, 3 },
	{ X509_EXT_CT_POISON, "ctPoison",
	    { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x03 },
	    10 },
	{ X509_EXT_CT_SCTS, "ctSCTList",
	    { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02 },
	    10 },
	{ X509_EXT_TLS_FEATURE, "tlsFeature",
	    { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x18 }, 8 },
	{ X509_EXT_OCSP_NOCHECK, "ocspNoCheck",
	    { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x05 }, 9 },
};

const struct x509_ext_def *
x509_ext_def_get(enum x509_ext_id id)
{
	size_t i;

	for (i = 0; i < sizeof(ext_defs) / sizeof(ext_defs[0]); i++)
		if (ext_defs[i].id == id)
			return &ext_defs[i];
	return NULL;
}

enum x509_ext_id
x509_ext_lookup(const uint8_t *oid, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(ext_defs) / sizeof(ext_defs[0]); i++)
		if (der_oid_eq(oid, len, ext_defs[i].oid, ext_defs[i].oid_len))
			return ext_defs[i].id;
	return X509_EXT_UNKNOWN;
}

const char *
x509_ext_name(enum x509_ext_id id, const uint8_t *oid, size_t len, char *buf,
    size_t buflen)
{
	const struct x509_ext_def *d = x509_ext_def_get(id);

	if (d != NULL)
		return d->name;
	der_oid_to_text(oid, len, buf, buflen);
	return buf;
}

void
x509_put_ext_oid(struct der_buf *b, enum x509_ext_id id)
{
	const struct x509_ext_def *d = x509_ext_def_get(id);

	if (d == NULL) {
		b->failed = 1;
		return;
	}
	der_put_oid(b, d->oid, d->oid_len);
}

const struct x509_ext *
x509_exts_find(const struct x509_exts *exts, enum x509_ext_id id)
{
	size_t i;

	for (i = 0; i < exts->n; i++)
		if (exts->v[i].id == id)
			return &exts->v[i];
	return NULL;
}

/* Parse SEQUENCE OF Extension (the body of seq). */
static int
exts_parse(const uint8_t *origin, const struct der_elem *seq,
    struct x509_exts *out, const char **why)
{
	struct der_cur c, ec;
	struct der_elem ext, oid, crit, val;

	out->present = 1;
	out->n = 0;
	der_cur_init(&c, seq->body, seq->len);
	while (!der_cur_done(&c)) {
		struct x509_ext *x;

		if (out->n == X509_MAX_EXTS) {
			*why = "more than 64 extensions";
			return -1;
		}
		if (der_expect(&c, DER_SEQUENCE, &ext, why) != 0) {
			*why = "extension is not a SEQUENCE";
			return -1;
		}
		x = &out->v[out->n];
		memset(x, 0, sizeof(*x));
		x->offset = (size_t)(ext.tlv - origin);
		der_cur_init(&ec, ext.body, ext.len);
		if (der_expect(&ec, DER_OID, &oid, why) != 0) {
			*why = "extension without an OID";
			return -1;
		}
		if (der_optional(&ec, DER_BOOLEAN, &crit)) {
			x->critical_encoded = 1;
			x->critical = crit.len == 1 && crit.body[0] != 0;
			x->critical_bad =
			    crit.len != 1 ||
			    (crit.body[0] != 0 && crit.body[0] != 0xff);
		}
		if (der_expect(&ec, DER_OCTET_STRING, &val, why) != 0) {
			*why = "extension without an OCTET STRING value";
			return -1;
		}
		if (!der_cur_done(&ec)) {
			*why = "extension with data after its value";
			return -1;
		}
		x->oid.p = oid.body;
		x->oid.n = oid.len;
		x->value.p = val.body;
		x->value.n = val.len;
		x->id = x509_ext_lookup(oid.body, oid.len);
		out->n++;
	}
	return 0;
}

/*
 * The [n] EXPLICIT wrapper of Extensions (certificates [3], CRLs [0]):
 * exactly one SEQUENCE inside, then exts_parse. msg names the shape.
 */
static int
exts_wrapped_parse(const uint8_t *origin, const struct der_elem *wrapper,
    struct x509_exts *out, const char *msg, const char **why)
{
	struct der_cur xc;
	struct der_elem seq;

	der_cur_init(&xc, wrapper->body, wrapper->len);
	if (der_expect(&xc, DER_SEQUENCE, &seq, why) != 0 ||
	    !der_cur_done(&xc)) {
		*why = msg;
		return -1;
	}
	return exts_parse(origin, &seq, out, why);
}

/* ---- certificates ------------------------------------------------------ */

static void
span_set(struct x509_span *s, const uint8_t *p, size_t n)
{
	s->p = p;
	s->n = n;
}

static int
is_time(const struct der_elem *e)
{
	return e->id == DER_UTC_TIME || e->id == DER_GENERALIZED_TIME;
}

/*
 * The outer SIGNED{} shape shared by certificates and CRLs (RFC 5280 4.1,
 * 5.1): SEQUENCE { tbs SEQUENCE, signatureAlgorithm, signatureValue BIT
 * STRING } and nothing after it. msgs: not a SEQUENCE, data after it,
 * wrong inner shape.
 */
static int
signed_parse(const uint8_t *der, size_t len, const char *const msgs[3],
    struct der_elem *tbs, struct x509_span *tbs_out, struct x509_span *alg_out,
    struct x509_span *sig_out, const char **why)
{
	struct der_cur c;
	struct der_elem outer, alg, sig;

	der_cur_init(&c, der, len);
	if (der_expect(&c, DER_SEQUENCE, &outer, why) != 0) {
		*why = msgs[0];
		return -1;
	}
	if (!der_cur_done(&c)) {
		*why = msgs[1];
		return -1;
	}
	der_cur_init(&c, outer.body, outer.len);
	if (der_expect(&c, DER_SEQUENCE, tbs, why) != 0 ||
	    der_expect(&c, DER_SEQUENCE, &alg, why) != 0 ||
	    der_expect(&c, DER_BIT_STRING, &sig, why) != 0 ||
	    !der_cur_done(&c)) {
		*why = msgs[2];
		return -1;
	}
	span_set(tbs_out, tbs->tlv, tbs->tlv_len);
	span_set(alg_out, alg.tlv, alg.tlv_len);
	span_set(sig_out, sig.body, sig.len);
	return 0;
}

int
x509_cert_view_parse(const uint8_t *der, size_t len, struct x509_cert_view *v,
    const char **why)
{
	static const char *const msgs[3] = {
		"not a SEQUENCE (Certificate)",
		"data after the Certificate",
		("Certificate is not SEQUENCE { tbsCertificate, "
		 "signatureAlgorithm, signatureValue }"),
	};
	struct der_cur tc, vc;
	struct der_elem tbs, e;

	memset(v, 0, sizeof(*v));
	v->der = der;
	v->len = len;
	if (signed_parse(der, len, msgs, &tbs, &v->tbs, &v->sig_alg, &v->sig,
		why) != 0)
		return -1;

	der_cur_init(&tc, tbs.body, tbs.len);
	if (der_optional(&tc, DER_CONTEXT_CONS(0), &e)) {
		struct der_elem ver;

		der_cur_init(&vc, e.body, e.len);
		if (der_expect(&vc, DER_INTEGER, &ver, why) != 0 ||
		    !der_cur_done(&vc) || ver.len != 1 || ver.body[0] > 2) {
			*why = "version is not v1, v2 or v3";
			return -1;
		}
		v->version = ver.body[0];
		v->version_default_encoded = ver.body[0] == 0;
	}
	if (der_expect(&tc, DER_INTEGER, &e, why) != 0) {
		*why = "serialNumber is not an INTEGER";
		return -1;
	}
	span_set(&v->serial, e.body, e.len);
	if (der_expect(&tc, DER_SEQUENCE, &e, why) != 0) {
		*why = "signature (in tbsCertificate) is not a SEQUENCE";
		return -1;
	}
	span_set(&v->tbs_sig_alg, e.tlv, e.tlv_len);
	if (der_expect(&tc, DER_SEQUENCE, &e, why) != 0) {
		*why = "issuer is not a Name";
		return -1;
	}
	span_set(&v->issuer, e.tlv, e.tlv_len);
	if (der_expect(&tc, DER_SEQUENCE, &e, why) != 0) {
		*why = "validity is not a SEQUENCE";
		return -1;
	}
	der_cur_init(&vc, e.body, e.len);
	if (der_next(&vc, &v->not_before, why) != 0 ||
	    !is_time(&v->not_before) ||
	    der_next(&vc, &v->not_after, why) != 0 || !is_time(&v->not_after) ||
	    !der_cur_done(&vc)) {
		*why = "validity is not SEQUENCE { Time, Time }";
		return -1;
	}
	if (der_expect(&tc, DER_SEQUENCE, &e, why) != 0) {
		*why = "subject is not a Name";
		return -1;
	}
	span_set(&v->subject, e.tlv, e.tlv_len);
	if (der_expect(&tc, DER_SEQUENCE, &e, why) != 0) {
		*why = "subjectPublicKeyInfo is not a SEQUENCE";
		return -1;
	}
	span_set(&v->spki, e.tlv, e.tlv_len);
	if (der_optional(&tc, DER_CONTEXT(1), &e) ||
	    der_optional(&tc, DER_CONTEXT_CONS(1), &e))
		v->has_issuer_uid = 1;
	if (der_optional(&tc, DER_CONTEXT(2), &e) ||
	    der_optional(&tc, DER_CONTEXT_CONS(2), &e))
		v->has_subject_uid = 1;
	if (der_optional(&tc, DER_CONTEXT_CONS(3), &e) &&
	    exts_wrapped_parse(der, &e, &v->exts,
		"extensions are not [3] { SEQUENCE }", why) != 0)
		return -1;
	if (!der_cur_done(&tc)) {
		*why = "unexpected data at the end of tbsCertificate";
		return -1;
	}
	return 0;
}

/* ---- CRLs -------------------------------------------------------------- */

int
x509_crl_view_parse(const uint8_t *der, size_t len, struct x509_crl_view *v,
    const char **why)
{
	static const char *const msgs[3] = {
		"not a SEQUENCE (CertificateList)",
		"data after the CertificateList",
		("CertificateList is not SEQUENCE { tbsCertList, "
		 "signatureAlgorithm, signatureValue }"),
	};
	struct der_cur tc;
	struct der_elem tbs, e;

	memset(v, 0, sizeof(*v));
	v->der = der;
	v->len = len;
	if (signed_parse(der, len, msgs, &tbs, &v->tbs, &v->sig_alg, &v->sig,
		why) != 0)
		return -1;

	der_cur_init(&tc, tbs.body, tbs.len);
	if (der_optional(&tc, DER_INTEGER, &e)) {
		v->has_version = 1;
		span_set(&v->version, e.body, e.len);
	}
	if (der_expect(&tc, DER_SEQUENCE, &e, why) != 0) {
		*why = "signature (in tbsCertList) is not a SEQUENCE";
		return -1;
	}
	span_set(&v->tbs_sig_alg, e.tlv, e.tlv_len);
	if (der_expect(&tc, DER_SEQUENCE, &e, why) != 0) {
		*why = "issuer is not a Name";
		return -1;
	}
	span_set(&v->issuer, e.tlv, e.tlv_len);
	if (der_next(&tc, &v->this_update, why) != 0 ||
	    !is_time(&v->this_update)) {
		*why = "thisUpdate is not a Time";
		return -1;
	}
	if (der_optional(&tc, DER_UTC_TIME, &v->next_update) ||
	    der_optional(&tc, DER_GENERALIZED_TIME, &v->next_update))
		v->has_next_update = 1;
	if (der_optional(&tc, DER_SEQUENCE, &e)) {
		v->has_revoked = 1;
		span_set(&v->revoked, e.body, e.len);
	}
	if (der_optional(&tc, DER_CONTEXT_CONS(0), &e) &&
	    exts_wrapped_parse(der, &e, &v->exts,
		"crlExtensions are not [0] { SEQUENCE }", why) != 0)
		return -1;
	if (!der_cur_done(&tc)) {
		*why = "unexpected data at the end of tbsCertList";
		return -1;
	}
	return 0;
}

int
x509_crl_entry_next(const struct x509_crl_view *v, struct der_cur *c,
    struct x509_crl_entry *e, const char **why)
{
	struct der_cur ec;
	struct der_elem ent, ser, seq;

	if (der_expect(c, DER_SEQUENCE, &ent, why) != 0) {
		*why = "revoked certificate entry is not a SEQUENCE";
		return -1;
	}
	e->offset = (size_t)(ent.tlv - v->der);
	e->exts.present = 0;
	e->exts.n = 0;
	der_cur_init(&ec, ent.body, ent.len);
	if (der_expect(&ec, DER_INTEGER, &ser, why) != 0) {
		*why = "revoked certificate entry without a serial number";
		return -1;
	}
	span_set(&e->serial, ser.body, ser.len);
	if (der_next(&ec, &e->date, why) != 0 || !is_time(&e->date)) {
		*why = "revocationDate is not a Time";
		return -1;
	}
	if (der_optional(&ec, DER_SEQUENCE, &seq) &&
	    exts_parse(v->der, &seq, &e->exts, why) != 0)
		return -1;
	if (!der_cur_done(&ec)) {
		*why = "unexpected data in a revoked certificate entry";
		return -1;
	}
	return 0;
}

int
x509_der_kind(const uint8_t *der, size_t len)
{
	struct der_cur c;
	struct der_elem outer, tbs, e;
	const char *why;
	int i;

	der_cur_init(&c, der, len);
	if (der_expect(&c, DER_SEQUENCE, &outer, &why) != 0)
		return 0;
	der_cur_init(&c, outer.body, outer.len);
	if (der_expect(&c, DER_SEQUENCE, &tbs, &why) != 0)
		return 0;
	der_cur_init(&c, tbs.body, tbs.len);
	if (der_next(&c, &e, &why) != 0)
		return 0;
	if (e.id == DER_CONTEXT_CONS(0))
		return 1;
	if (e.id == DER_SEQUENCE)
		return 2; /* v1 CRL: no version, AlgorithmIdentifier first */
	if (e.id != DER_INTEGER)
		return 0;
	/* INTEGER, AlgorithmIdentifier, Name, then Validity or thisUpdate. */
	for (i = 0; i < 2; i++)
		if (der_expect(&c, DER_SEQUENCE, &e, &why) != 0)
			return 0;
	if (der_next(&c, &e, &why) != 0)
		return 0;
	if (e.id == DER_SEQUENCE)
		return 1;
	if (is_time(&e))
		return 2;
	return 0;
}

/* ---- algorithms -------------------------------------------------------- */

static const uint8_t oid_ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
	0x03, 0x02 };
static const uint8_t oid_ecdsa_sha384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
	0x03, 0x03 };
static const uint8_t oid_ecdsa_sha512[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
	0x03, 0x04 };
static const uint8_t oid_rsa_sha256[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x01, 0x0b };
static const uint8_t oid_rsa_sha384[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x01, 0x0c };
static const uint8_t oid_rsa_sha512[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x01, 0x0d };
static const uint8_t oid_rsa_pss[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x0a };
static const uint8_t oid_mgf1[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x08 };
static const uint8_t oid_sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x01 };
static const uint8_t oid_sha384[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x02 };
static const uint8_t oid_sha512[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x03 };

static void
put_hash_alg(struct der_buf *b, const uint8_t *oid, size_t n)
{
	size_t m = der_begin(b, DER_SEQUENCE);

	der_put_oid(b, oid, n);
	der_put_null(b);
	der_end(b, m);
}

static void
put_pss(struct der_buf *b, const uint8_t *hash, size_t hlen, unsigned salt)
{
	size_t m, p, t;

	m = der_begin(b, DER_SEQUENCE);
	der_put_oid(b, oid_rsa_pss, sizeof(oid_rsa_pss));
	p = der_begin(b, DER_SEQUENCE);
	t = der_begin(b, DER_CONTEXT_CONS(0));
	put_hash_alg(b, hash, hlen);
	der_end(b, t);
	t = der_begin(b, DER_CONTEXT_CONS(1));
	{
		size_t g = der_begin(b, DER_SEQUENCE);

		der_put_oid(b, oid_mgf1, sizeof(oid_mgf1));
		put_hash_alg(b, hash, hlen);
		der_end(b, g);
	}
	der_end(b, t);
	t = der_begin(b, DER_CONTEXT_CONS(2));
	der_put_uint(b, DER_INTEGER, salt);
	der_end(b, t);
	/* trailerField is DEFAULT trailerFieldBC: omitted. */
	der_end(b, p);
	der_end(b, m);
}

static void
put_alg_oid(struct der_buf *b, const uint8_t *oid, size_t n, int null)
{
	size_t m = der_begin(b, DER_SEQUENCE);

	der_put_oid(b, oid, n);
	if (null)
		der_put_null(b);
	der_end(b, m);
}

void
x509_put_sig_alg(struct der_buf *b, enum signet_sig_alg alg)
{
	switch (alg) {
	case SIGNET_SIG_ECDSA_SHA256:
		put_alg_oid(b, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256), 0);
		break;
	case SIGNET_SIG_ECDSA_SHA384:
		put_alg_oid(b, oid_ecdsa_sha384, sizeof(oid_ecdsa_sha384), 0);
		break;
	case SIGNET_SIG_ECDSA_SHA512:
		put_alg_oid(b, oid_ecdsa_sha512, sizeof(oid_ecdsa_sha512), 0);
		break;
	case SIGNET_SIG_RSA_PKCS1_SHA256:
		put_alg_oid(b, oid_rsa_sha256, sizeof(oid_rsa_sha256), 1);
		break;
	case SIGNET_SIG_RSA_PKCS1_SHA384:
		put_alg_oid(b, oid_rsa_sha384, sizeof(oid_rsa_sha384), 1);
		break;
	case SIGNET_SIG_RSA_PKCS1_SHA512:
		put_alg_oid(b, oid_rsa_sha512, sizeof(oid_rsa_sha512), 1);
		break;
	case SIGNET_SIG_RSA_PSS_SHA256:
		put_pss(b, oid_sha256, sizeof(oid_sha256), 32);
		break;
	case SIGNET_SIG_RSA_PSS_SHA384:
		put_pss(b, oid_sha384, sizeof(oid_sha384), 48);
		break;
	case SIGNET_SIG_RSA_PSS_SHA512:
		put_pss(b, oid_sha512, sizeof(oid_sha512), 64);
		break;
	case SIGNET_SIG_NONE:
	default:
		b->failed = 1;
		break;
	}
}

enum signet_sig_alg
x509_sig_alg_from_der(const uint8_t *der, size_t len)
{
	static const enum signet_sig_alg all[] = { SIGNET_SIG_ECDSA_SHA256,
		SIGNET_SIG_ECDSA_SHA384, SIGNET_SIG_ECDSA_SHA512,
		SIGNET_SIG_RSA_PKCS1_SHA256, SIGNET_SIG_RSA_PKCS1_SHA384,
		SIGNET_SIG_RSA_PKCS1_SHA512, SIGNET_SIG_RSA_PSS_SHA256,
		SIGNET_SIG_RSA_PSS_SHA384, SIGNET_SIG_RSA_PSS_SHA512 };
	enum signet_sig_alg found = SIGNET_SIG_NONE;
	size_t i, n;
	const uint8_t *p;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct der_buf b;

		der_buf_init(&b, 0);
		x509_put_sig_alg(&b, all[i]);
		p = der_buf_data(&b, &n);
		if (!b.failed && n == len && memcmp(p, der, n) == 0)
			found = all[i];
		der_buf_free(&b);
		if (found != SIGNET_SIG_NONE)
			break;
	}
	return found;
}

/* ---- keys -------------------------------------------------------------- */

int
x509_spki_key_bits(const uint8_t *spki, size_t len, struct x509_span *out)
{
	struct der_cur c;
	struct der_elem seq, alg, bits;
	const char *why;

	der_cur_init(&c, spki, len);
	if (der_expect(&c, DER_SEQUENCE, &seq, &why) != 0)
		return -1;
	der_cur_init(&c, seq.body, seq.len);
	if (der_expect(&c, DER_SEQUENCE, &alg, &why) != 0 ||
	    der_expect(&c, DER_BIT_STRING, &bits, &why) != 0 || bits.len < 1)
		return -1;
	out->p = bits.body + 1;
	out->n = bits.len - 1;
	return 0;
}

int
x509_key_id(const uint8_t *spki, size_t len, uint8_t out[20])
{
	struct x509_span key;
	uint8_t md[32];

	if (x509_spki_key_bits(spki, len, &key) != 0)
		return signet_error_set(SIGNET_ERR_CRYPTO,
		    "subjectPublicKeyInfo is malformed");
	if (!EVP_Digest(key.p, key.n, md, NULL, EVP_sha256(), NULL))
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot hash the public key");
	memcpy(out, md, 20);
	return 0;
}

int
x509_pubkey_der(EVP_PKEY *pub, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n;

	*der = NULL;
	*len = 0;
	/* Once: each call runs OpenSSL 3's encoder lookup (tens of us). */
	if ((n = i2d_PUBKEY(pub, &p)) <= 0)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the public key");
	if ((*der = malloc((size_t)n)) == NULL) {
		OPENSSL_free(p);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	memcpy(*der, p, (size_t)n);
	OPENSSL_free(p);
	*len = (size_t)n;
	return 0;
}

int
x509_serial_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen)
{
	/* Skip a sign octet; minimal positive integers then order by length. */
	while (alen > 1 && a[0] == 0) {
		a++;
		alen--;
	}
	while (blen > 1 && b[0] == 0) {
		b++;
		blen--;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}
