/* Certificate lints (RFC 5280 4, CA/B Forum BR 6 and 7). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "util/codec.h"
#include "util/names.h"
#include "x509/lint_int.h"

#define DAY 86400

static const uint8_t oid_rsa_encryption[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x01, 0x01 };

/* ---- preparation ------------------------------------------------------- */

static void
prepare_eku(struct lint_cert *c)
{
	if (c->eku_ext != NULL && x509_eku_decode(c->eku_ext->value.p,
				      c->eku_ext->value.n, &c->eku) == 0)
		c->eku_ok = 1;
}

static void
prepare_spki(struct lint_cert *c, X509 *x)
{
	struct der_cur cur;
	struct der_elem seq, alg, oid;
	struct x509_span key;
	const unsigned char *p = c->v.spki.p;
	const char *why;

	/* OpenSSL 3's key decoders are slow: decode the key only once. */
	if (c->given != NULL && EVP_PKEY_up_ref(c->given))
		c->pub = c->given;
	else if (x != NULL)
		c->pub = X509_get_pubkey(x);
	else
		c->pub = d2i_PUBKEY(NULL, &p, (long)c->v.spki.n);
	ERR_clear_error();
	/* An RSA key is itself DER (RSAPublicKey): check it too. */
	der_cur_init(&cur, c->v.spki.p, c->v.spki.n);
	if (der_expect(&cur, DER_SEQUENCE, &seq, &why) != 0)
		return;
	der_cur_init(&cur, seq.body, seq.len);
	if (der_expect(&cur, DER_SEQUENCE, &alg, &why) != 0)
		return;
	der_cur_init(&cur, alg.body, alg.len);
	if (der_expect(&cur, DER_OID, &oid, &why) == 0 &&
	    der_oid_eq(oid.body, oid.len, oid_rsa_encryption,
		sizeof(oid_rsa_encryption)) &&
	    x509_spki_key_bits(c->v.spki.p, c->v.spki.n, &key) == 0)
		der_check(key.p, key.n, (size_t)(key.p - c->der),
		    &c->der_issues);
}

static int
prepare_issuer(struct lint_cert *c)
{
	const struct x509_ext *ski = c->ski_ext;
	struct x509_span id;

	if (c->ctx != NULL && c->ctx->issuer != NULL)
		return lint_issuer_load(c->ctx->issuer, &c->iss);
	if (!c->self_issued)
		return 0;
	/* Self-issued with no issuer given: judge it by itself. */
	c->iss.known = 1;
	c->iss.subject = c->v.subject;
	if (ski != NULL &&
	    x509_octets_decode(ski->value.p, ski->value.n, &id) == 0 &&
	    id.n <= sizeof(c->iss.key_id)) {
		memcpy(c->iss.key_id, id.p, id.n);
		c->iss.key_id_len = id.n;
	}
	if (c->pub != NULL && EVP_PKEY_up_ref(c->pub))
		c->iss.pub = c->pub;
	return 0;
}

int
lint_cert_prepare(struct lint_cert *c)
{
	const unsigned char *p = c->der;
	const char *why = NULL;
	char name[96];
	X509 *x;
	size_t i;
	int tz, year;

	der_check(c->der, c->len, 0, &c->der_issues);
	if (x509_cert_view_parse(c->der, c->len, &c->v, &why) != 0) {
		snprintf(c->parse_why, sizeof(c->parse_why),
		    "not a certificate: %s", why);
		return 0;
	}
	c->parsed = 1;
	/* What signet built is read by signet's reader alone (tbs.c). */
	if (c->given != NULL)
		x = NULL;
	else if ((x = d2i_X509(NULL, &p, (long)c->len)) == NULL ||
		 p != c->der + c->len) {
		unsigned long e = ERR_peek_error();

		snprintf(c->parse_why, sizeof(c->parse_why),
		    "OpenSSL cannot parse the certificate: %s",
		    e != 0 ? ERR_reason_error_string(e) : "trailing data");
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();

	if (c->v.version_default_encoded)
		lint_note_add(&c->default_encoded,
		    "version v1 is written out (it is the DEFAULT)");
	for (i = 0; i < c->v.exts.n; i++) {
		const struct x509_ext *e = &c->v.exts.v[i];
		const char *n = x509_ext_name(e->id, e->oid.p, e->oid.n, name,
		    sizeof(name));

		if (e->critical_bad)
			lint_note_add(&c->bool_encoding,
			    "extension %s: critical is not 00 or FF", n);
		else if (e->critical_encoded && !e->critical)
			lint_note_add(&c->default_encoded,
			    "extension %s has critical FALSE written out", n);
		if (e->value.n > 0)
			der_check(e->value.p, e->value.n,
			    (size_t)(e->value.p - c->der), &c->der_issues);
		else
			der_issue_add(&c->der_issues, DER_ISSUE_STRUCTURE,
			    "extension %s has an empty value", n);
	}
	prepare_spki(c, x);
	X509_free(x);
	p = c->v.subject.p;
	c->subject = d2i_X509_NAME(NULL, &p, (long)c->v.subject.n);
	ERR_clear_error();
	c->subject_empty = c->v.subject.n == 2;
	c->self_issued =
	    c->v.issuer.n == c->v.subject.n &&
	    memcmp(c->v.issuer.p, c->v.subject.p, c->v.subject.n) == 0;

	c->bc_ext = x509_exts_find(&c->v.exts, X509_EXT_BC);
	c->ku_ext = x509_exts_find(&c->v.exts, X509_EXT_KU);
	c->eku_ext = x509_exts_find(&c->v.exts, X509_EXT_EKU);
	c->ski_ext = x509_exts_find(&c->v.exts, X509_EXT_SKI);
	c->aki_ext = x509_exts_find(&c->v.exts, X509_EXT_AKI);
	c->san_ext = x509_exts_find(&c->v.exts, X509_EXT_SAN);
	c->nc_ext = x509_exts_find(&c->v.exts, X509_EXT_NC);
	if (c->bc_ext != NULL && x509_bc_decode(c->bc_ext->value.p,
				     c->bc_ext->value.n, &c->bc) == 0) {
		c->bc_ok = 1;
		c->is_ca = c->bc.ca;
		if (c->bc.ca_false_encoded)
			lint_note_add(&c->default_encoded,
			    "basicConstraints has cA FALSE written out");
	}
	if (c->ku_ext != NULL && x509_ku_decode(c->ku_ext->value.p,
				     c->ku_ext->value.n, &c->ku, &tz) == 0) {
		c->ku_ok = 1;
		if (tz)
			lint_note_add(&c->named_bits,
			    "keyUsage BIT STRING ends in zero bits");
	}
	prepare_eku(c);
	c->tls_server = !c->is_ca && c->eku_ok &&
			(c->eku & (SIGNET_EKU_SERVER_AUTH | X509_EKU_ANY));
	if (c->san_ext != NULL) {
		p = c->san_ext->value.p;
		c->san = d2i_GENERAL_NAMES(NULL, &p, (long)c->san_ext->value.n);
		ERR_clear_error();
	}
	if (c->aki_ext != NULL && x509_aki_decode(c->aki_ext->value.p,
				      c->aki_ext->value.n, &c->aki) == 0)
		c->aki_ok = 1;
	if (der_time_parse(c->v.not_before.id, c->v.not_before.body,
		c->v.not_before.len, &c->not_before, &year, &why) == 0 &&
	    der_time_parse(c->v.not_after.id, c->v.not_after.body,
		c->v.not_after.len, &c->not_after, &year, &why) == 0)
		c->times_ok = 1;
	return prepare_issuer(c);
}

void
lint_cert_clear(struct lint_cert *c)
{
	EVP_PKEY_free(c->pub);
	X509_NAME_free(c->subject);
	GENERAL_NAMES_free(c->san);
	lint_issuer_clear(&c->iss);
}

/* ---- structure and serial ---------------------------------------------- */

static int
version_v3(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->v.version != 2)
		return lint_fail(m, "version is v%d; signet issues v3 only",
		    c->v.version + 1);
	return LINT_PASS;
}

static int
serial_positive(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->v.serial.n == 0)
		return LINT_NA;
	if (c->v.serial.p[0] & 0x80)
		return lint_fail(m, "serialNumber is negative");
	return LINT_PASS;
}

static int
serial_nonzero(const struct lint_cert *c, struct lint_msg *m)
{
	size_t i;

	if (!c->parsed)
		return LINT_NA;
	for (i = 0; i < c->v.serial.n; i++)
		if (c->v.serial.p[i] != 0)
			return LINT_PASS;
	return lint_fail(m, "serialNumber is zero");
}

static int
serial_length(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->v.serial.n > SIGNET_SERIAL_MAX)
		return lint_fail(m,
		    "serialNumber is %zu octets long (at most "
		    "20)",
		    c->v.serial.n);
	return LINT_PASS;
}

static int
serial_minimal(const struct lint_cert *c, struct lint_msg *m)
{
	const uint8_t *s = c->v.serial.p;

	if (!c->parsed)
		return LINT_NA;
	if (c->v.serial.n == 0)
		return lint_fail(m, "serialNumber is empty");
	if (c->v.serial.n > 1 &&
	    ((s[0] == 0 && !(s[1] & 0x80)) || (s[0] == 0xff && (s[1] & 0x80))))
		return lint_fail(m,
		    "serialNumber has a redundant leading octet");
	return LINT_PASS;
}

static int
serial_short(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->v.serial.n < 9)
		return lint_fail(m,
		    "serialNumber of %zu octets may hold fewer than 64 "
		    "random bits (signet draws 20 octets)",
		    c->v.serial.n);
	return LINT_PASS;
}

static int
unique_ids(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->v.has_issuer_uid || c->v.has_subject_uid)
		return lint_fail(m, "issuerUniqueID or subjectUniqueID is "
				    "present");
	return LINT_PASS;
}

static int
key_allowed(const struct lint_cert *c, struct lint_msg *m)
{
	char curve[64];
	size_t len = 0;
	BIGNUM *e = NULL;
	int bits, ok;

	if (!c->parsed)
		return LINT_NA;
	if (c->pub == NULL)
		return lint_fail(m, "subjectPublicKeyInfo does not decode");
	if (EVP_PKEY_is_a(c->pub, "RSA")) {
		bits = EVP_PKEY_get_bits(c->pub);
		if (bits < 2048 || bits % 8 != 0)
			return lint_fail(m,
			    "RSA key of %d bits (need >= 2048, a multiple "
			    "of 8)",
			    bits);
		if (!EVP_PKEY_get_bn_param(c->pub, OSSL_PKEY_PARAM_RSA_E, &e)) {
			ERR_clear_error();
			return lint_fail(m, "RSA key without an exponent");
		}
		ok = BN_is_odd(e) && BN_num_bits(e) >= 17;
		BN_free(e);
		if (!ok)
			return lint_fail(m, "RSA public exponent is even or "
					    "below 65537");
		return LINT_PASS;
	}
	if (EVP_PKEY_is_a(c->pub, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(c->pub,
			OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
			&len)) {
			ERR_clear_error();
			return lint_fail(m, "EC key without a named curve");
		}
		if (strcmp(curve, "prime256v1") != 0 &&
		    strcmp(curve, "secp384r1") != 0 &&
		    strcmp(curve, "secp521r1") != 0)
			return lint_fail(m,
			    "EC key on curve %s (allowed: P-256, P-384, "
			    "P-521)",
			    curve);
		return LINT_PASS;
	}
	return lint_fail(m, "%s keys are not allowed (RSA or ECDSA only)",
	    EVP_PKEY_get0_type_name(c->pub));
}

/* ---- validity ---------------------------------------------------------- */

static int64_t
period(const struct lint_cert *c)
{
	/* Inclusive of both ends (BR 6.3.2, RFC 5280 4.1.2.5). */
	return (int64_t)(c->not_after - c->not_before) + 1;
}

static int
validity_order(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->times_ok)
		return LINT_NA;
	if (c->not_after < c->not_before)
		return lint_fail(m, "notAfter is before notBefore");
	return LINT_PASS;
}

static int
validity_profile(const struct lint_cert *c, struct lint_msg *m)
{
	const struct signet_profile *p =
	    c->ctx != NULL ? c->ctx->profile : NULL;

	if (!c->times_ok || p == NULL || p->validity_max <= 0)
		return LINT_NA;
	if (period(c) > p->validity_max)
		return lint_fail(m,
		    "validity of %lld s exceeds profile '%s' maximum of %lld "
		    "s",
		    (long long)period(c), p->name != NULL ? p->name : "?",
		    (long long)p->validity_max);
	return LINT_PASS;
}

static int
validity_tls_398(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->times_ok || !c->tls_server)
		return LINT_NA;
	if (period(c) > 398 * (int64_t)DAY)
		return lint_fail(m,
		    "TLS subscriber certificate valid for %.2f days (at most "
		    "398)",
		    (double)period(c) / DAY);
	return LINT_PASS;
}

static int
validity_tls_br(const struct lint_cert *c, struct lint_msg *m)
{
	/* BR 6.3.2: the maximum shrinks on these notBefore dates. */
	static const struct {
		int y, mo, d, days;
	} steps[] = {
		{ 2029, 3, 15, 47 },
		{ 2027, 3, 15, 100 },
		{ 2026, 3, 15, 200 },
	};
	int64_t max = 398;
	size_t i;

	if (!c->times_ok || !c->tls_server)
		return LINT_NA;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((int64_t)c->not_before >= time_days_from_civil(steps[i].y,
						  (unsigned)steps[i].mo,
						  (unsigned)steps[i].d) *
						  DAY) {
			max = steps[i].days;
			break;
		}
	if (period(c) > max * DAY)
		return lint_fail(m,
		    "TLS subscriber certificate valid for %lld s (%.2f "
		    "days); for this notBefore the BRs allow %lld days",
		    (long long)period(c), (double)period(c) / DAY,
		    (long long)max);
	return LINT_PASS;
}

static int
validity_issuer(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->times_ok || !c->iss.has_not_after)
		return LINT_NA;
	if (c->not_after > c->iss.not_after)
		return lint_fail(m, "notAfter is after the issuing CA's "
				    "notAfter");
	return LINT_PASS;
}

/* ---- basicConstraints and keyUsage ------------------------------------- */

static int
bc_critical(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->is_ca)
		return LINT_NA;
	if (!c->bc_ext->critical)
		return lint_fail(m, "CA certificate's basicConstraints is not "
				    "critical");
	return LINT_PASS;
}

static int
ca_key_cert_sign(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->is_ca)
		return LINT_NA;
	if (!c->ku_ok || !(c->ku & SIGNET_KU_KEY_CERT_SIGN))
		return lint_fail(m, "CA certificate without keyUsage "
				    "keyCertSign");
	return LINT_PASS;
}

static int
ee_key_cert_sign(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->is_ca)
		return LINT_NA;
	if (c->ku_ok && (c->ku & SIGNET_KU_KEY_CERT_SIGN))
		return lint_fail(m,
		    "keyCertSign is asserted but basicConstraints cA is not "
		    "TRUE");
	return LINT_PASS;
}

static int
bc_pathlen(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->bc_ok)
		return LINT_NA;
	if (c->bc.path_len >= 0 &&
	    (!c->bc.ca || !(c->ku & SIGNET_KU_KEY_CERT_SIGN)))
		return lint_fail(m,
		    "pathLenConstraint without cA TRUE and keyCertSign");
	return LINT_PASS;
}

static int
bc_profile(const struct lint_cert *c, struct lint_msg *m)
{
	const struct signet_profile *p =
	    c->ctx != NULL ? c->ctx->profile : NULL;

	if (!c->parsed || p == NULL)
		return LINT_NA;
	if (!!p->is_ca != !!c->is_ca)
		return lint_fail(m,
		    "profile '%s' is %s but the certificate's cA is %s",
		    p->name != NULL ? p->name : "?",
		    p->is_ca ? "a CA profile" : "an end-entity profile",
		    c->is_ca ? "TRUE" : "not TRUE");
	return LINT_PASS;
}

static int
ku_critical(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->ku_ext == NULL)
		return LINT_NA;
	if (!c->ku_ext->critical)
		return lint_fail(m, "keyUsage is not critical");
	return LINT_PASS;
}

static int
ku_empty(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->ku_ok)
		return LINT_NA;
	if (c->ku == 0)
		return lint_fail(m, "keyUsage has no bit set");
	return LINT_PASS;
}

static int
ku_ec_encipherment(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->ku_ok || c->pub == NULL ||
	    !EVP_PKEY_is_a(c->pub, "EC"))
		return LINT_NA;
	if (c->ku & (SIGNET_KU_KEY_ENCIPHERMENT | SIGNET_KU_DATA_ENCIPHERMENT))
		return lint_fail(m, "EC key with keyEncipherment or "
				    "dataEncipherment");
	return LINT_PASS;
}

static int
ku_rsa_key_agreement(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->ku_ok || c->pub == NULL ||
	    !EVP_PKEY_is_a(c->pub, "RSA"))
		return LINT_NA;
	if (c->ku & SIGNET_KU_KEY_AGREEMENT)
		return lint_fail(m, "RSA key with keyAgreement");
	return LINT_PASS;
}

/* ---- what the issuer allows (RFC 5280 6.1.4) ---------------------------- */

/* The issuer is known from its certificate (not a root judged by itself). */
static int
issuer_cert_known(const struct lint_cert *c)
{
	return c->parsed && c->iss.known && c->iss.from_cert;
}

static int
issuer_ca(const struct lint_cert *c, struct lint_msg *m)
{
	if (!issuer_cert_known(c))
		return LINT_NA;
	if (!c->iss.is_ca)
		return lint_fail(m, "the issuer certificate's basicConstraints "
				    "cA is not TRUE: it may not issue "
				    "certificates");
	return LINT_PASS;
}

static int
issuer_key_cert_sign(const struct lint_cert *c, struct lint_msg *m)
{
	if (!issuer_cert_known(c) || !c->iss.has_ku)
		return LINT_NA;
	if (!(c->iss.ku & SIGNET_KU_KEY_CERT_SIGN))
		return lint_fail(m, "the issuer certificate's keyUsage lacks "
				    "keyCertSign: verifiers reject what it "
				    "signs");
	return LINT_PASS;
}

static int
issuer_pathlen(const struct lint_cert *c, struct lint_msg *m)
{
	/* Self-issued CA certificates do not count (RFC 5280 6.1.4 (l)). */
	if (!issuer_cert_known(c) || !c->is_ca || c->self_issued ||
	    c->iss.path_len < 0)
		return LINT_NA;
	if (c->iss.path_len == 0)
		return lint_fail(m,
		    "the issuer's pathLenConstraint is 0: it may issue no CA "
		    "certificate");
	if (!c->bc_ok || c->bc.path_len < 0)
		return lint_fail(m,
		    "CA certificate without pathLenConstraint under an issuer "
		    "whose pathLenConstraint is %ld: give it at most %ld",
		    c->iss.path_len, c->iss.path_len - 1);
	if (c->bc.path_len >= c->iss.path_len)
		return lint_fail(m,
		    "pathLenConstraint %ld is not below the issuer's %ld",
		    c->bc.path_len, c->iss.path_len);
	return LINT_PASS;
}

static void
eku_names(unsigned bits, char *out, size_t outsz)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ SIGNET_EKU_SERVER_AUTH, "serverAuth" },
		{ SIGNET_EKU_CLIENT_AUTH, "clientAuth" },
		{ SIGNET_EKU_CODE_SIGNING, "codeSigning" },
		{ SIGNET_EKU_EMAIL_PROTECTION, "emailProtection" },
		{ SIGNET_EKU_TIME_STAMPING, "timeStamping" },
		{ SIGNET_EKU_OCSP_SIGNING, "OCSPSigning" },
		{ X509_EKU_ANY, "anyExtendedKeyUsage" },
	};
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(bits & names[i].bit))
			continue;
		n = snprintf(out + used, outsz - used, "%s%s",
		    used > 0 ? ", " : "", names[i].name);
		if (n < 0 || (size_t)n >= outsz - used)
			break;
		used += (size_t)n;
	}
}

static int
issuer_eku(const struct lint_cert *c, struct lint_msg *m)
{
	char extra[160];
	unsigned more;

	/*
	 * An issuer with extKeyUsage limits what it may vouch for: verifiers
	 * (OpenSSL's purpose check, browsers' EKU chaining) want the issued
	 * usages to be among the issuer's, unless it has anyExtendedKeyUsage.
	 */
	if (!issuer_cert_known(c) || !c->iss.has_eku ||
	    (c->iss.eku & X509_EKU_ANY) || !c->eku_ok)
		return LINT_NA;
	if ((more = c->eku & ~c->iss.eku) == 0)
		return LINT_PASS;
	eku_names(more, extra, sizeof(extra));
	return lint_fail(m,
	    "extKeyUsage asserts %s, which the issuer's extKeyUsage does not",
	    extra);
}

/* ---- key identifiers --------------------------------------------------- */

static int
ski_missing_ca(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->is_ca)
		return LINT_NA;
	if (c->ski_ext == NULL)
		return lint_fail(m, "CA certificate without "
				    "subjectKeyIdentifier");
	return LINT_PASS;
}

static int
ski_critical(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->ski_ext == NULL)
		return LINT_NA;
	if (c->ski_ext->critical)
		return lint_fail(m, "subjectKeyIdentifier is critical");
	return LINT_PASS;
}

static int
aki_missing(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->self_issued)
		return LINT_NA;
	if (c->aki_ext == NULL || !c->aki_ok || !c->aki.has_key_id)
		return lint_fail(m, "authorityKeyIdentifier with a "
				    "keyIdentifier is missing");
	return LINT_PASS;
}

static int
aki_critical(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->aki_ext == NULL)
		return LINT_NA;
	if (c->aki_ext->critical)
		return lint_fail(m, "authorityKeyIdentifier is critical");
	return LINT_PASS;
}

/* ---- names ------------------------------------------------------------- */

static int
san_missing_tls(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->tls_server)
		return LINT_NA;
	if (c->san_ext == NULL)
		return lint_fail(m, "TLS server certificate without "
				    "subjectAltName");
	return LINT_PASS;
}

static int
san_empty(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->san_ext == NULL || c->san == NULL)
		return LINT_NA;
	if (sk_GENERAL_NAME_num(c->san) == 0)
		return lint_fail(m, "subjectAltName holds no names");
	return LINT_PASS;
}

static int
san_critical(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->san_ext == NULL)
		return LINT_NA;
	if (c->subject_empty && !c->san_ext->critical)
		return lint_fail(m, "subject is empty but subjectAltName is "
				    "not critical");
	if (!c->subject_empty && c->san_ext->critical)
		return lint_fail(m, "subject is not empty but subjectAltName "
				    "is critical");
	return LINT_PASS;
}

static int
subject_empty_no_san(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed)
		return LINT_NA;
	if (c->subject_empty && c->san_ext == NULL)
		return lint_fail(m, "subject is empty and there is no "
				    "subjectAltName");
	return LINT_PASS;
}

static int
cn_matches_san(const ASN1_STRING *cn, const GENERAL_NAMES *sans)
{
	unsigned char *u = NULL;
	const uint8_t *v;
	size_t vlen;
	int ulen, i, type, found = 0;

	if ((ulen = ASN1_STRING_to_UTF8(&u, cn)) < 0) {
		ERR_clear_error();
		return 0;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(sans) && !found; i++) {
		type = names_general_name(sk_GENERAL_NAME_value(sans, i), &v,
		    &vlen);
		found = type >= 0 && names_cn_matches((const char *)u,
					 (size_t)ulen, type, v, vlen);
	}
	OPENSSL_free(u);
	return found;
}

static int
cn_in_san(const struct lint_cert *c, struct lint_msg *m)
{
	int i = -1;
	X509_NAME_ENTRY *ne;

	if (!c->parsed || !c->tls_server || c->subject == NULL)
		return LINT_NA;
	while ((i = X509_NAME_get_index_by_NID(c->subject, NID_commonName,
		    i)) >= 0) {
		ne = X509_NAME_get_entry(c->subject, i);
		if (c->san == NULL ||
		    !cn_matches_san(X509_NAME_ENTRY_get_data(ne), c->san))
			return lint_fail(m,
			    "subject commonName is not one of the "
			    "subjectAltName values");
	}
	return LINT_PASS;
}

static int
san_dns_syntax(const struct lint_cert *c, struct lint_msg *m)
{
	const char *why;
	int i;

	if (!c->parsed || c->san == NULL)
		return LINT_NA;
	for (i = 0; i < sk_GENERAL_NAME_num(c->san); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(c->san, i);
		const char *s;
		int n;

		if (g->type != GEN_DNS)
			continue;
		s = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		n = ASN1_STRING_length(g->d.dNSName);
		if (!lint_dns_name_ok(s, (size_t)n, &why))
			return lint_fail(m, "dNSName '%.*s': %s",
			    n > 80 ? 80 : n, s, why);
	}
	return LINT_PASS;
}

static int
nc_critical(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->nc_ext == NULL)
		return LINT_NA;
	if (!c->nc_ext->critical)
		return lint_fail(m, "nameConstraints is not critical");
	return LINT_PASS;
}

static int
nc_on_ee(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || c->nc_ext == NULL)
		return LINT_NA;
	if (!c->is_ca)
		return lint_fail(m, "nameConstraints in a certificate that is "
				    "not a CA");
	return LINT_PASS;
}

static int
nc_one(const struct lint_cert *c, X509 *ca, struct lint_msg *m)
{
	NAME_CONSTRAINTS *nc;
	char why[256], who[128];
	int crit = 0, bad;

	if ((nc = X509_get_ext_d2i(ca, NID_name_constraints, &crit, NULL)) ==
	    NULL) {
		ERR_clear_error();
		return LINT_PASS;
	}
	bad = lint_nc_check(nc, c->san, c->subject, why, sizeof(why));
	if (!bad)
		bad =
		    lint_nc_dirname_check(nc, c->der, c->len, why, sizeof(why));
	NAME_CONSTRAINTS_free(nc);
	if (!bad)
		return LINT_PASS;
	X509_NAME_oneline(X509_get_subject_name(ca), who, sizeof(who));
	return lint_fail(m, "%s, outside the name constraints of %s", why, who);
}

static int
nc_violation(const struct lint_cert *c, struct lint_msg *m)
{
	int i;

	if (!c->parsed || c->ctx == NULL ||
	    (c->ctx->issuer == NULL && sk_X509_num(c->ctx->chain) == 0))
		return LINT_NA;
	if (c->ctx->issuer != NULL && nc_one(c, c->ctx->issuer, m) == LINT_FAIL)
		return LINT_FAIL;
	for (i = 0; i < sk_X509_num(c->ctx->chain); i++)
		if (nc_one(c, sk_X509_value(c->ctx->chain, i), m) == LINT_FAIL)
			return LINT_FAIL;
	return LINT_PASS;
}

/* ---- delegated OCSP responders (RFC 6960 4.2.2.2) ----------------------- */

/* Longest validity of a responder certificate nobody checks (nocheck). */
#define OCSP_RESPONDER_MAX_VALIDITY ((int64_t)90 * 86400)

static int
ocsp_responder_cert(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->eku_ok || !(c->eku & SIGNET_EKU_OCSP_SIGNING))
		return LINT_NA;
	if (x509_exts_find(&c->v.exts, X509_EXT_OCSP_NOCHECK) == NULL)
		return lint_fail(m, "an OCSPSigning certificate without "
				    "id-pkix-ocsp-nocheck: clients would "
				    "ask the responder about itself");
	if (c->eku != SIGNET_EKU_OCSP_SIGNING)
		return lint_fail(m, "OCSPSigning with other extended key "
				    "usages: a responder key signs responses "
				    "only");
	if (c->is_ca || !c->ku_ok || c->ku != SIGNET_KU_DIGITAL_SIGNATURE)
		return lint_fail(m, "a responder certificate is an end entity "
				    "with keyUsage digitalSignature only");
	return LINT_PASS;
}

static int
ocsp_responder_validity(const struct lint_cert *c, struct lint_msg *m)
{
	if (!c->parsed || !c->eku_ok || !(c->eku & SIGNET_EKU_OCSP_SIGNING) ||
	    !c->times_ok)
		return LINT_NA;
	/* nocheck: it cannot be revoked in effect, so it must be short. */
	if ((int64_t)(c->not_after - c->not_before) >
	    OCSP_RESPONDER_MAX_VALIDITY)
		return lint_fail(m,
		    "a responder certificate valid for %lld days; "
		    "at most 90 (it carries id-pkix-ocsp-nocheck)",
		    (long long)((c->not_after - c->not_before) / 86400));
	return LINT_PASS;
}

#define C SIGNET_LINT_CERT
#define E SIGNET_LINT_ERROR
#define W SIGNET_LINT_WARNING

const struct lint_def lint_cert_defs[] = {
	{ { "e_cert_version_v3", "RFC 5280 4.1.2.1; BR 7.1.1",
	      "the certificate is v3", E, C },
	    version_v3, NULL },
	{ { "e_serial_positive", "RFC 5280 4.1.2.2", "serialNumber is positive",
	      E, C },
	    serial_positive, NULL },
	{ { "e_serial_nonzero", "RFC 5280 4.1.2.2", "serialNumber is not zero",
	      E, C },
	    serial_nonzero, NULL },
	{ { "e_serial_length", "RFC 5280 4.1.2.2",
	      "serialNumber is at most 20 octets", E, C },
	    serial_length, NULL },
	{ { "e_serial_minimal", "RFC 5280 4.1.2.2; X.690 8.3.2",
	      "serialNumber is minimally encoded", E, C },
	    serial_minimal, NULL },
	{ { "w_serial_short", "BR 7.1",
	      "serialNumber is long enough for 64 random bits", W, C },
	    serial_short, NULL },
	{ { "e_unique_ids_absent", "RFC 5280 4.1.2.8; BR 7.1.2",
	      "no issuerUniqueID or subjectUniqueID", E, C },
	    unique_ids, NULL },
	{ { "e_key_allowed", "BR 6.1.5, 6.1.6",
	      "the key is RSA >= 2048 bits or EC P-256/P-384/P-521", E, C },
	    key_allowed, NULL },
	{ { "e_validity_order", "RFC 5280 4.1.2.5",
	      "notBefore is not after notAfter", E, C },
	    validity_order, NULL },
	{ { "e_validity_profile_max", "signet profile validity_max",
	      "the validity period is within the profile's maximum", E, C },
	    validity_profile, NULL },
	{ { "e_validity_tls_398", "BR 6.3.2",
	      "a TLS subscriber certificate is valid 398 days at most", E, C },
	    validity_tls_398, NULL },
	{ { "e_validity_tls_br", "BR 6.3.2",
	      "a TLS subscriber certificate is within the BR maximum for "
	      "its notBefore (200 days from 2026-03-15, 100 from "
	      "2027-03-15, 47 from 2029-03-15)",
	      E, C },
	    validity_tls_br, NULL },
	{ { "w_validity_exceeds_issuer", "RFC 5280 6.1.3",
	      "notAfter is not after the issuing CA's notAfter", W, C },
	    validity_issuer, NULL },
	{ { "e_bc_critical", "RFC 5280 4.2.1.9; BR 7.1.2.10.4",
	      "a CA certificate's basicConstraints is critical", E, C },
	    bc_critical, NULL },
	{ { "e_ca_key_cert_sign", "RFC 5280 4.2.1.3",
	      "a CA certificate has keyUsage with keyCertSign", E, C },
	    ca_key_cert_sign, NULL },
	{ { "e_ee_key_cert_sign", "RFC 5280 4.2.1.3, 4.2.1.9",
	      "keyCertSign only with basicConstraints cA TRUE", E, C },
	    ee_key_cert_sign, NULL },
	{ { "e_bc_pathlen_ee", "RFC 5280 4.2.1.9",
	      "pathLenConstraint only with cA TRUE and keyCertSign", E, C },
	    bc_pathlen, NULL },
	{ { "e_bc_profile", "signet profile is_ca",
	      "cA matches the profile (CA or end entity)", E, C },
	    bc_profile, NULL },
	{ { "e_ku_critical", "RFC 5280 4.2.1.3; BR 7.1.2.10.7",
	      "keyUsage is critical", E, C },
	    ku_critical, NULL },
	{ { "e_ku_empty", "RFC 5280 4.2.1.3",
	      "keyUsage has at least one bit set", E, C },
	    ku_empty, NULL },
	{ { "e_ku_ec_encipherment", "RFC 8813 3; BR 7.1.2.7.11",
	      "EC keys have no keyEncipherment or dataEncipherment", E, C },
	    ku_ec_encipherment, NULL },
	{ { "e_ku_rsa_key_agreement", "BR 7.1.2.7.11",
	      "RSA keys have no keyAgreement", E, C },
	    ku_rsa_key_agreement, NULL },
	{ { "e_issuer_ca", "RFC 5280 6.1.4 (k)",
	      "the issuer certificate is a CA (basicConstraints cA TRUE)", E,
	      C },
	    issuer_ca, NULL },
	{ { "e_issuer_keycertsign", "RFC 5280 4.2.1.3, 6.1.4 (n)",
	      "the issuer certificate's keyUsage (if any) has keyCertSign", E,
	      C },
	    issuer_key_cert_sign, NULL },
	{ { "e_issuer_pathlen", "RFC 5280 4.2.1.9, 6.1.4 (l), (m)",
	      "a CA certificate fits its issuer's pathLenConstraint (below "
	      "it; none under 0)",
	      E, C },
	    issuer_pathlen, NULL },
	{ { "e_issuer_eku",
	      "RFC 5280 4.2.1.12; EKU chaining (OpenSSL, browsers)",
	      "extKeyUsage is within the issuer's extKeyUsage (if it has one "
	      "without anyExtendedKeyUsage)",
	      E, C },
	    issuer_eku, NULL },
	{ { "e_ski_missing_ca", "RFC 5280 4.2.1.2",
	      "a CA certificate has subjectKeyIdentifier", E, C },
	    ski_missing_ca, NULL },
	{ { "e_ski_critical", "RFC 5280 4.2.1.2",
	      "subjectKeyIdentifier is not critical", E, C },
	    ski_critical, NULL },
	{ { "e_aki_missing", "RFC 5280 4.2.1.1",
	      "a certificate not self-issued has authorityKeyIdentifier", E,
	      C },
	    aki_missing, NULL },
	{ { "e_aki_critical", "RFC 5280 4.2.1.1",
	      "authorityKeyIdentifier is not critical", E, C },
	    aki_critical, NULL },
	{ { "e_san_missing_tls", "BR 7.1.2.7.12",
	      "a TLS server certificate has subjectAltName", E, C },
	    san_missing_tls, NULL },
	{ { "e_san_empty", "RFC 5280 4.2.1.6",
	      "subjectAltName holds at least one name", E, C },
	    san_empty, NULL },
	{ { "e_san_critical", "RFC 5280 4.2.1.6",
	      "subjectAltName is critical exactly when the subject is "
	      "empty",
	      E, C },
	    san_critical, NULL },
	{ { "e_subject_empty_no_san", "RFC 5280 4.1.2.6",
	      "an empty subject comes with subjectAltName", E, C },
	    subject_empty_no_san, NULL },
	{ { "e_cn_not_in_san", "BR 7.1.2.7.2",
	      "every commonName of a TLS certificate is one of its SANs", E,
	      C },
	    cn_in_san, NULL },
	{ { "e_san_dns_syntax", "RFC 5280 4.2.1.6; BR 7.1.2.7.12",
	      "dNSNames are in preferred name syntax, wildcards leftmost", E,
	      C },
	    san_dns_syntax, NULL },
	{ { "e_nc_critical", "RFC 5280 4.2.1.10; BR 7.1.2.10.8",
	      "nameConstraints is critical", E, C },
	    nc_critical, NULL },
	{ { "e_nc_on_ee", "RFC 5280 4.2.1.10",
	      "nameConstraints appears in CA certificates only", E, C },
	    nc_on_ee, NULL },
	{ { "e_nc_violation", "RFC 5280 4.2.1.10, 6.1.3",
	      "every name is within the issuing chain's name constraints", E,
	      C },
	    nc_violation, NULL },
	{ { "e_ocsp_responder_cert", "RFC 6960 4.2.2.2, 4.2.2.2.1",
	      "an OCSPSigning certificate has id-pkix-ocsp-nocheck, no other "
	      "extended key usage, keyUsage digitalSignature only",
	      E, C },
	    ocsp_responder_cert, NULL },
	{ { "e_ocsp_responder_validity", "RFC 6960 4.2.2.2.1",
	      "an OCSPSigning certificate is valid for at most 90 days", E, C },
	    ocsp_responder_validity, NULL },
};

const size_t lint_cert_ndefs =
    sizeof(lint_cert_defs) / sizeof(lint_cert_defs[0]);
