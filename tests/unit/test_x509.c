/*
 * Certificate building: serials, validity, issuers, extensions for each
 * kind of profile, signature algorithms, and the lint-then-sign flow with
 * signers that misbehave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fixture.h"
#include "signet/x509.h"
#include "util/codec.h"
#include "x509/x509_int.h"
#include "x509_fixture.h"

#define DAY 86400
#define YEAR (365 * DAY)

static struct {
	struct tx_ca root, inter;
} g;

static int
setup(void **state)
{
	(void)state;
	tx_ca_root(&g.root, "P-384", NULL, "X509 Root");
	tx_ca_sub(&g.inter, &g.root, "P-256", NULL, "X509 Intermediate");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tx_ca_free(&g.inter);
	tx_ca_free(&g.root);
	return 0;
}

/* ---- serial numbers ------------------------------------------------------ */

static int
cmp_serial(const void *a, const void *b)
{
	return signet_serial_cmp(a, b);
}

static void
test_serial_properties(void **state)
{
	enum { N = 4000 };
	struct signet_serial *s = calloc(N, sizeof(*s));
	unsigned bits[16] = { 0 };
	size_t i, b;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < N; i++) {
		assert_int_equal(signet_serial_new(signet_random_openssl, NULL,
				     0, &s[i]),
		    0);
		/* 20 octets, positive, non-zero, minimal. */
		assert_int_equal(s[i].len, 20);
		assert_true(s[i].v[0] >= 0x01 && s[i].v[0] <= 0x7f);
		for (b = 0; b < 8; b++) {
			if (s[i].v[0] & (1u << b))
				bits[b]++;
			if (s[i].v[1] & (1u << b))
				bits[8 + b]++;
		}
	}
	/*
	 * The top octet is uniform over 1..127: each of its seven low bits
	 * is set about half the time (64/127), the sign bit never. The
	 * bounds are over 20 standard deviations apart from a forced bit.
	 */
	for (b = 0; b < 7; b++)
		if (bits[b] < N * 40 / 100 || bits[b] > N * 60 / 100)
			fail_msg("bit %zu of the first octet set %u of %d "
				 "times",
			    b, bits[b], N);
	assert_int_equal(bits[7], 0);
	for (b = 8; b < 16; b++)
		assert_true(bits[b] > N * 40 / 100 && bits[b] < N * 60 / 100);
	/* All distinct. */
	qsort(s, N, sizeof(*s), cmp_serial);
	for (i = 1; i < N; i++)
		assert_true(signet_serial_cmp(&s[i - 1], &s[i]) < 0);
	/* Other lengths. */
	for (b = 16; b <= 20; b++) {
		assert_int_equal(signet_serial_new(signet_random_openssl, NULL,
				     b, &s[0]),
		    0);
		assert_int_equal(s[0].len, b);
	}
	free(s);
}

struct fake_rng {
	const uint8_t *script; /* bytes handed out in order, then 0x5a.. */
	size_t n, used;
	int fail;
	int constant; /* >= 0: every octet is this value */
};

static int
fake_random(void *arg, uint8_t *buf, size_t len)
{
	struct fake_rng *f = arg;
	size_t i;

	if (f->fail)
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "C_GenerateRandom failed");
	for (i = 0; i < len; i++) {
		if (f->constant >= 0)
			buf[i] = (uint8_t)f->constant;
		else if (f->used < f->n)
			buf[i] = f->script[f->used++];
		else
			buf[i] = (uint8_t)(0x5a + i);
	}
	return 0;
}

static void
test_serial_refuses_bad_sources(void **state)
{
	static const uint8_t zero_then_80[] = { 0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		10, 11, 12, 13, 14, 15, 0x00, 0x80, 0x33 };
	struct fake_rng f = { NULL, 0, 0, 0, -1 };
	struct signet_serial s;

	(void)state;
	assert_int_equal(signet_serial_new(fake_random, &f, 15, &s),
	    SIGNET_ERR_USAGE);
	assert_int_equal(signet_serial_new(fake_random, &f, 21, &s),
	    SIGNET_ERR_USAGE);
	f.fail = 1;
	assert_int_equal(signet_serial_new(fake_random, &f, 0, &s),
	    SIGNET_ERR_TOKEN);
	assert_non_null(strstr(signet_error_message(),
	    "drawing a serial number: C_GenerateRandom failed"));
	f.fail = 0;
	f.constant = 0;
	assert_int_equal(signet_serial_new(fake_random, &f, 0, &s),
	    SIGNET_ERR_CRYPTO);
	assert_non_null(strstr(signet_error_message(), "zero octets"));
	f.constant = 0x41;
	assert_int_equal(signet_serial_new(fake_random, &f, 0, &s),
	    SIGNET_ERR_CRYPTO);
	assert_non_null(strstr(signet_error_message(), "identical"));
	/*
	 * A first octet of 0x80 (0 without its sign bit) is drawn again:
	 * 0x00 is refused as well, 0x80 again, then 0x33 is taken.
	 */
	f.constant = -1;
	f.script = zero_then_80;
	f.n = sizeof(zero_then_80);
	assert_int_equal(signet_serial_new(fake_random, &f, 16, &s), 0);
	assert_int_equal(s.len, 16);
	assert_int_equal(s.v[0], 0x33);
	assert_int_equal(s.v[1], 1);
	assert_int_equal(f.used, 19);
}

static void
test_serial_hex(void **state)
{
	static const struct {
		const char *in, *out;
		int r;
	} t[] = {
		{ "01", "01", 0 },
		{ "0001", "01", 0 },
		{ "80", "0080", 0 },
		{ "7F:AB", "7fab", 0 },
		{ "00", NULL, SIGNET_ERR_USAGE },
		{ "", NULL, SIGNET_ERR_USAGE },
		{ "xyz", NULL, SIGNET_ERR_USAGE },
		{ "7f0102030405060708090a0b0c0d0e0f10111213",
		    "7f0102030405060708090a0b0c0d0e0f10111213", 0 },
		{ "ff0102030405060708090a0b0c0d0e0f10111213", NULL,
		    SIGNET_ERR_USAGE },
	};
	struct signet_serial s, a, b;
	char hex[41];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(signet_serial_from_hex(t[i].in, &s), t[i].r);
		if (t[i].r != 0)
			continue;
		signet_serial_to_hex(&s, hex);
		assert_string_equal(hex, t[i].out);
	}
	assert_int_equal(signet_serial_from_hex("ff", &a), 0);
	assert_int_equal(signet_serial_from_hex("0100", &b), 0);
	assert_true(signet_serial_cmp(&a, &b) < 0);
	assert_true(signet_serial_cmp(&b, &a) > 0);
	assert_int_equal(signet_serial_cmp(&a, &a), 0);
}

/* ---- validity ------------------------------------------------------------ */

static void
test_validity(void **state)
{
	struct signet_profile *p = tx_profile_dup(tx_profile_server());
	struct signet_validity v;
	const time_t now = 1800000000;

	(void)state;
	/* Default: 90 days counted inclusively from notBefore. */
	assert_int_equal(signet_validity_compute(p, 0, now, 0, &v), 0);
	assert_int_equal(v.not_before, now - 3600);
	assert_int_equal(v.not_after - v.not_before + 1, 90 * DAY);
	assert_false(v.clamped);
	/* Requested, up to the maximum. */
	assert_int_equal(signet_validity_compute(p, 200 * DAY, now, 0, &v), 0);
	assert_int_equal(v.not_after - v.not_before + 1, 200 * DAY);
	assert_int_equal(signet_validity_compute(p, 200 * DAY + 1, now, 0, &v),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "exceeds profile"));
	/* Clamped to the issuer, and the caller is told. */
	assert_int_equal(signet_validity_compute(p, 0, now, now + 10 * DAY, &v),
	    0);
	assert_true(v.clamped);
	assert_int_equal(v.not_after, now + 10 * DAY);
	/* An expired issuer issues nothing. */
	assert_int_equal(signet_validity_compute(p, 0, now, now - 1, &v),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "expired"));
	/* No default and no request; a silly backdate. */
	p->validity_default = 0;
	assert_int_equal(signet_validity_compute(p, 0, now, 0, &v),
	    SIGNET_ERR_POLICY);
	p->validity_default = DAY;
	p->backdate = DAY;
	assert_int_equal(signet_validity_compute(p, 0, now, 0, &v),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "backdate"));
	tx_profile_free(p);
}

/* ---- building ------------------------------------------------------------ */

static X509 *
parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	assert_non_null(x);
	return x;
}

/* The extension ids in order, as in the certificate. */
static size_t
ext_order(const uint8_t *der, size_t len, enum x509_ext_id *out)
{
	struct x509_cert_view *v = malloc(sizeof(*v));
	const char *why;
	size_t i, n;

	assert_non_null(v);
	assert_int_equal(x509_cert_view_parse(der, len, v, &why), 0);
	for (i = 0; i < v->exts.n; i++)
		out[i] = v->exts.v[i].id;
	n = v->exts.n;
	free(v);
	return n;
}

static const struct x509_ext *
view_ext(struct x509_cert_view *v, const uint8_t *der, size_t len,
    enum x509_ext_id id)
{
	const char *why;

	assert_int_equal(x509_cert_view_parse(der, len, v, &why), 0);
	return x509_exts_find(&v->exts, id);
}

static void
test_cert_server(void **state)
{
	static const char *const names[] = { "dns:www.example.com",
		"dns:api.example.com", "ip:10.1.2.3", "ip:10.1.2.4", NULL };
	static const enum x509_ext_id order[] = { X509_EXT_BC, X509_EXT_KU,
		X509_EXT_EKU, X509_EXT_AKI, X509_EXT_SAN, X509_EXT_CDP,
		X509_EXT_AIA, X509_EXT_CP };
	struct signet_request *req = tx_request(tx_profile_server(),
	    tx_key("P-256"), "www.example.com", names);
	struct x509_cert_view *v = malloc(sizeof(*v));
	enum x509_ext_id got[X509_MAX_EXTS];
	const struct x509_ext *e;
	uint8_t *der;
	size_t len, n, i;
	X509 *x;
	const ASN1_OCTET_STRING *issuer_ski;
	unsigned ku;
	int tz;

	(void)state;
	assert_non_null(v);
	assert_int_equal(tx_issue(&g.inter, req, NULL, &der, &len, NULL), 0);
	n = ext_order(der, len, got);
	assert_int_equal(n, sizeof(order) / sizeof(order[0]));
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], order[i]);
	x = parse(der, len);
	assert_int_equal(X509_get_version(x), 2);
	/* End entity: basicConstraints critical, an empty SEQUENCE. */
	e = view_ext(v, der, len, X509_EXT_BC);
	assert_true(e->critical);
	assert_int_equal(e->value.n, 2);
	assert_memory_equal(e->value.p, "\x30\x00", 2);
	/* The profile's keyEncipherment is dropped for an EC key. */
	e = view_ext(v, der, len, X509_EXT_KU);
	assert_true(e->critical);
	assert_int_equal(x509_ku_decode(e->value.p, e->value.n, &ku, &tz), 0);
	assert_int_equal(ku, SIGNET_KU_DIGITAL_SIGNATURE);
	/* No SKI for a subscriber; AKI = the intermediate's SKI. */
	assert_null(view_ext(v, der, len, X509_EXT_SKI));
	issuer_ski = X509_get0_subject_key_id(g.inter.cert);
	assert_non_null(issuer_ski);
	assert_int_equal(ASN1_STRING_length(X509_get0_authority_key_id(x)),
	    ASN1_STRING_length(issuer_ski));
	assert_int_equal(ASN1_STRING_cmp(X509_get0_authority_key_id(x),
			     issuer_ski),
	    0);
	/* SAN not critical beside a subject. */
	assert_false(view_ext(v, der, len, X509_EXT_SAN)->critical);
	/* Issuer name: the CA's encoded subject, byte for byte. */
	{
		const uint8_t *a, *b;
		size_t al, bl;

		assert_true(
		    X509_NAME_get0_der(X509_get_issuer_name(x), &a, &al));
		assert_true(
		    X509_NAME_get0_der(X509_get_subject_name(g.inter.cert), &b,
			&bl));
		assert_int_equal(al, bl);
		assert_memory_equal(a, b, al);
	}
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(g.inter.cert)), 1);
	X509_free(x);
	free(der);
	free(v);
	tx_request_free(req);
}

static void
test_cert_rsa_subject_keeps_key_encipherment(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("RSA"), NULL, names);
	struct x509_cert_view *v = malloc(sizeof(*v));
	const struct x509_ext *e;
	uint8_t *der;
	size_t len;
	unsigned ku;
	int tz;

	(void)state;
	assert_int_equal(tx_issue(&g.inter, req, NULL, &der, &len, NULL), 0);
	e = view_ext(v, der, len, X509_EXT_KU);
	assert_int_equal(x509_ku_decode(e->value.p, e->value.n, &ku, &tz), 0);
	assert_int_equal(ku,
	    SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_KEY_ENCIPHERMENT);
	/* No subject at all: SAN becomes critical (RFC 5280 4.2.1.6). */
	assert_true(view_ext(v, der, len, X509_EXT_SAN)->critical);
	free(der);
	free(v);
	tx_request_free(req);
}

static void
test_cert_mtls_spiffe(void **state)
{
	static const char *const names[] = {
		"uri:spiffe://example.org/ns/prod/sa/web", NULL
	};
	struct signet_request *req =
	    tx_request(tx_profile_mtls(), tx_key("P-256"), NULL, names);
	uint8_t *der;
	size_t len;
	X509 *x;
	GENERAL_NAMES *san;
	int crit;

	(void)state;
	assert_int_equal(tx_issue(&g.inter, req, NULL, &der, &len, NULL), 0);
	x = parse(der, len);
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	assert_non_null(san);
	assert_int_equal(crit, 1);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_URI);
	assert_int_equal(X509_get_extended_key_usage(x),
	    XKU_SSL_SERVER | XKU_SSL_CLIENT);
	GENERAL_NAMES_free(san);
	X509_free(x);
	free(der);
	tx_request_free(req);
}

/* keyUsage is the request's (narrowed by the policy engine), not the profile's.
 */
static void
test_cert_key_usage_from_request(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("RSA"), NULL, names);
	uint8_t *der;
	size_t len;
	X509 *x;

	(void)state;
	/* The profile grants digitalSignature and keyEncipherment. */
	assert_true(
	    tx_profile_server()->key_usage & SIGNET_KU_KEY_ENCIPHERMENT);
	req->key_usage = SIGNET_KU_DIGITAL_SIGNATURE;
	assert_int_equal(tx_issue(&g.inter, req, NULL, &der, &len, NULL), 0);
	x = parse(der, len);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	X509_free(x);
	free(der);
	tx_request_free(req);
}

/*
 * A dNSName constraint ".corp.example.com" has no RFC 5280 meaning; writing
 * it as "corp.example.com" would widen it to the apex: refused.
 */
static void
test_cert_nc_dns_leading_dot_refused(void **state)
{
	static char *dot[] = { (char *)".corp.example.com" };
	struct signet_profile *p = tx_profile_dup(tx_profile_intermediate());
	struct signet_request *req;
	uint8_t *der = NULL;
	size_t len;

	(void)state;
	p->name_constraints.permitted_dns.v = dot;
	p->name_constraints.permitted_dns.n = 1;
	req = tx_request(p, tx_key("P-256"), "Dot CA", NULL);
	assert_int_equal(tx_issue(&g.root, req, NULL, &der, &len, NULL),
	    SIGNET_ERR_CONFIG);
	assert_non_null(strstr(signet_error_message(),
	    "'.corp.example.com' starts with a dot; write 'corp.example.com'"));
	assert_null(der);
	tx_request_free(req);
	tx_profile_free(p);
}

static void
test_cert_intermediate_and_root(void **state)
{
	static const enum x509_ext_id inter_order[] = { X509_EXT_BC,
		X509_EXT_KU, X509_EXT_EKU, X509_EXT_SKI, X509_EXT_AKI,
		X509_EXT_NC, X509_EXT_CDP, X509_EXT_AIA, X509_EXT_CP };
	static const enum x509_ext_id root_order[] = { X509_EXT_BC, X509_EXT_KU,
		X509_EXT_SKI, X509_EXT_AKI };
	enum x509_ext_id got[X509_MAX_EXTS];
	struct x509_cert_view *v = malloc(sizeof(*v));
	const struct x509_ext *e;
	struct x509_bc bc;
	size_t n, i;
	NAME_CONSTRAINTS *nc;
	int crit;
	uint8_t key_id[20];

	(void)state;
	n = ext_order(g.inter.der, g.inter.len, got);
	assert_int_equal(n, sizeof(inter_order) / sizeof(inter_order[0]));
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], inter_order[i]);
	e = view_ext(v, g.inter.der, g.inter.len, X509_EXT_BC);
	assert_int_equal(x509_bc_decode(e->value.p, e->value.n, &bc), 0);
	assert_true(bc.ca);
	assert_int_equal(bc.path_len, 0);
	/* SKI by RFC 7093 method 1 (SHA-256, 160 bits). */
	e = view_ext(v, g.inter.der, g.inter.len, X509_EXT_SKI);
	assert_int_equal(x509_key_id(v->spki.p, v->spki.n, key_id), 0);
	assert_int_equal(e->value.n, 22);
	assert_memory_equal(e->value.p + 2, key_id, 20);
	nc = X509_get_ext_d2i(g.inter.cert, NID_name_constraints, &crit, NULL);
	assert_non_null(nc);
	assert_int_equal(crit, 1);
	/* dns x2, email, uri (host), ip */
	assert_int_equal(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 5);
	assert_int_equal(sk_GENERAL_SUBTREE_num(nc->excludedSubtrees), 1);
	NAME_CONSTRAINTS_free(nc);
	assert_int_equal(X509_get_signature_nid(g.inter.cert),
	    NID_ecdsa_with_SHA384); /* signed by the P-384 root */

	n = ext_order(g.root.der, g.root.len, got);
	assert_int_equal(n, sizeof(root_order) / sizeof(root_order[0]));
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], root_order[i]);
	/* Self-signed: issuer = subject, AKI = own SKI. */
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(g.root.cert),
			     X509_get_subject_name(g.root.cert)),
	    0);
	assert_int_equal(ASN1_STRING_cmp(X509_get0_authority_key_id(
					     g.root.cert),
			     X509_get0_subject_key_id(g.root.cert)),
	    0);
	assert_int_equal(X509_verify(g.root.cert,
			     X509_get0_pubkey(g.root.cert)),
	    1);
	free(v);
}

static void
test_cert_signature_algorithms(void **state)
{
	static const struct {
		const char *key;
		int pss;
		int nid;
	} t[] = {
		{ "P-256", 0, NID_ecdsa_with_SHA256 },
		{ "P-384", 0, NID_ecdsa_with_SHA384 },
		{ "P-521", 0, NID_ecdsa_with_SHA512 },
		{ "RSA", 0, NID_sha256WithRSAEncryption },
		{ "RSA", 1, NID_rsassaPss },
	};
	struct signet_profile *p = tx_profile_dup(tx_profile_root());
	struct tx_ca root;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p->rsa_pss = t[i].pss;
		tx_ca_root(&root, t[i].key, p, "Algorithm Root");
		assert_int_equal(X509_get_signature_nid(root.cert), t[i].nid);
		assert_int_equal(X509_verify(root.cert,
				     X509_get0_pubkey(root.cert)),
		    1);
		tx_ca_free(&root);
	}
	tx_profile_free(p);
}

/* BR 7.1.3.2 spells these out byte for byte. */
static void
test_sig_alg_encodings(void **state)
{
	static const struct {
		enum signet_sig_alg alg;
		const char *hex;
	} t[] = {
		{ SIGNET_SIG_ECDSA_SHA256, "300a06082a8648ce3d040302" },
		{ SIGNET_SIG_ECDSA_SHA384, "300a06082a8648ce3d040303" },
		{ SIGNET_SIG_RSA_PKCS1_SHA256,
		    "300d06092a864886f70d01010b0500" },
		{ SIGNET_SIG_RSA_PSS_SHA256,
		    "304106092a864886f70d01010a3034a00f300d0609608648016503"
		    "0402010500a11c301a06092a864886f70d010108300d0609608648"
		    "0165030402010500a203020120" },
		{ SIGNET_SIG_RSA_PSS_SHA384,
		    "304106092a864886f70d01010a3034a00f300d0609608648016503"
		    "0402020500a11c301a06092a864886f70d010108300d0609608648"
		    "0165030402020500a203020130" },
	};
	struct der_buf b;
	uint8_t want[128];
	size_t i, n, wn;
	const uint8_t *d;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		der_buf_init(&b, 0);
		x509_put_sig_alg(&b, t[i].alg);
		d = der_buf_data(&b, &n);
		assert_int_equal(hex_decode(t[i].hex, want, sizeof(want), &wn),
		    0);
		assert_int_equal(n, wn);
		assert_memory_equal(d, want, n);
		assert_int_equal(x509_sig_alg_from_der(d, n), t[i].alg);
		der_buf_free(&b);
	}
}

static void
test_cert_generalized_time_after_2049(void **state)
{
	struct signet_profile *p = tx_profile_dup(tx_profile_root());
	struct tx_ca root;

	(void)state;
	/* 2026 + 30 years: notAfter in 2056. */
	p->validity_default = 30 * YEAR;
	tx_ca_root(&root, "P-256", p, "Long Root");
	assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(root.cert)),
	    V_ASN1_GENERALIZEDTIME);
	assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(root.cert)),
	    V_ASN1_UTCTIME);
	tx_ca_free(&root);
	tx_profile_free(p);
}

/* ---- prepare refusals ----------------------------------------------------- */

static void
test_prepare_refusals(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("P-256"), NULL, names);
	struct signet_cert_params params;
	struct signet_tbs *tbs = NULL;
	struct signet_issuer *self = NULL;
	static const char *const bad_serials[] = { "80", "00", "0001" };
	size_t i;

	(void)state;
	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = g.inter.issuer;
	/* Serials that are not positive minimal INTEGERs. */
	for (i = 0; i < 3; i++) {
		size_t n;

		assert_int_equal(hex_decode(bad_serials[i], params.serial.v, 20,
				     &n),
		    0);
		params.serial.len = n;
		assert_int_equal(signet_cert_prepare(&params, &tbs),
		    SIGNET_ERR_USAGE);
		assert_non_null(strstr(signet_error_message(), "serial"));
	}
	params.serial.len = 0;
	assert_int_equal(signet_cert_prepare(&params, &tbs), SIGNET_ERR_USAGE);
	params.serial = tx_serial();
	/* More than the profile allows. */
	req->validity = 201 * DAY;
	assert_int_equal(signet_cert_prepare(&params, &tbs), SIGNET_ERR_POLICY);
	req->validity = 0;
	/* Self-signed, but for another key / not a CA profile. */
	assert_int_equal(signet_issuer_new_self(tx_key("P-384"), &self), 0);
	params.issuer = self;
	assert_int_equal(signet_cert_prepare(&params, &tbs), SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "own key"));
	signet_issuer_free(self);
	assert_int_equal(signet_issuer_new_self(tx_key("P-256"), &self), 0);
	params.issuer = self;
	assert_int_equal(signet_cert_prepare(&params, &tbs), SIGNET_ERR_POLICY);
	signet_issuer_free(self);
	/* The issuer expired. */
	params.issuer = g.inter.issuer;
	params.now = time(NULL) + 20 * YEAR;
	assert_int_equal(signet_cert_prepare(&params, &tbs), SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "expired"));
	assert_null(tbs);
	tx_request_free(req);
}

static void
test_prepare_clamps_to_issuer(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("P-256"), NULL, names);
	struct signet_cert_params params;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	const struct signet_validity *v;
	X509 *x;
	const uint8_t *ld;
	size_t ll;
	int day, sec;

	(void)state;
	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = g.inter.issuer;
	params.serial = tx_serial();
	/* 30 days before the intermediate expires, ask for 90. */
	params.now = g.inter.issuer->not_after - 30 * DAY;
	assert_int_equal(signet_cert_prepare(&params, &tbs), 0);
	v = signet_tbs_get0_validity(tbs);
	assert_true(v->clamped);
	assert_int_equal(v->not_after, g.inter.issuer->not_after);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	signet_lint_report_free(rep);
	ld = signet_tbs_get0_lint_der(tbs, &ll);
	x = parse(ld, ll);
	assert_true(ASN1_TIME_diff(&day, &sec, X509_get0_notAfter(x),
	    X509_get0_notAfter(g.inter.cert)));
	assert_int_equal(day, 0);
	assert_int_equal(sec, 0);
	X509_free(x);
	signet_tbs_free(tbs);
	tx_request_free(req);
}

static void
test_issuer_must_be_ca(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("P-256"), NULL, names);
	struct signet_issuer *is = NULL;
	uint8_t *der;
	size_t len;
	X509 *x;

	(void)state;
	assert_int_equal(tx_issue(&g.inter, req, NULL, &der, &len, NULL), 0);
	x = parse(der, len);
	assert_int_equal(signet_issuer_new(x, &is), SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "not a CA"));
	assert_null(is);
	X509_free(x);
	free(der);
	tx_request_free(req);
}

/* ---- the sign flow ------------------------------------------------------- */

enum evil_mode { EVIL_OTHER_DIGEST, EVIL_FAIL, EVIL_PLAIN };

struct evil {
	struct signet_signer *inner;
	enum evil_mode mode;
};

static int
evil_sign(void *ctx, enum signet_sig_alg alg, const uint8_t *digest,
    size_t digest_len, uint8_t *sig, size_t *siglen)
{
	struct evil *e = ctx;
	uint8_t other[EVP_MAX_MD_SIZE];

	switch (e->mode) {
	case EVIL_FAIL:
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "the token was removed");
	case EVIL_OTHER_DIGEST:
		memcpy(other, digest, digest_len);
		other[0] ^= 0xff;
		return signet_signer_sign_digest(e->inner, alg, other,
		    digest_len, sig, siglen);
	case EVIL_PLAIN:
	default:
		return signet_signer_sign_digest(e->inner, alg, digest,
		    digest_len, sig, siglen);
	}
}

static void
evil_free(void *ctx)
{
	struct evil *e = ctx;

	signet_signer_free(e->inner);
	free(e);
}

static const struct signet_signer_ops evil_ops = {
	.kind = "test",
	.hardware = 0,
	.sign_digest = evil_sign,
	.free = evil_free,
};

/* A signer that claims pub but signs with key, as mode says. */
static struct signet_signer *
evil_signer(EVP_PKEY *pub, EVP_PKEY *key, enum evil_mode mode)
{
	struct evil *e = calloc(1, sizeof(*e));
	struct signet_signer *s = NULL;

	assert_non_null(e);
	assert_int_equal(signet_soft_signer_new(key, &e->inner), 0);
	e->mode = mode;
	assert_int_equal(signet_signer_new(&evil_ops, e, pub, &s), 0);
	return s;
}

static struct signet_tbs *
linted_tbs(struct signet_request *req)
{
	struct signet_cert_params params;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;

	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = g.inter.issuer;
	params.serial = tx_serial();
	assert_int_equal(signet_cert_prepare(&params, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	signet_lint_report_free(rep);
	return tbs;
}

static void
test_sign_refuses_misbehaving_signers(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("P-256"), NULL, names);
	EVP_PKEY *pub = X509_get0_pubkey(g.inter.cert);
	EVP_PKEY *other = tx_key_new("P-256");
	struct signet_signer *s;
	struct signet_tbs *tbs;
	uint8_t *der = NULL;
	size_t len = 0;
	X509 *x;

	(void)state;
	/* A signer for another key is refused before it signs. */
	tbs = linted_tbs(req);
	assert_int_equal(signet_tbs_sign(tbs, g.root.signer, &der, &len),
	    SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "not the issuer"));
	signet_tbs_free(tbs);

	/* Claims the issuer's key, signs with another: verification fails. */
	tbs = linted_tbs(req);
	s = evil_signer(pub, other, EVIL_PLAIN);
	assert_int_equal(signet_tbs_sign(tbs, s, &der, &len),
	    SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "does not verify"));
	assert_null(der);
	/* And the tbs is spent: no retry after a mismatch. */
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len),
	    SIGNET_ERR_USAGE);
	signet_signer_free(s);
	signet_tbs_free(tbs);

	/* The right key, but over something else. */
	tbs = linted_tbs(req);
	s = evil_signer(pub, g.inter.key, EVIL_OTHER_DIGEST);
	assert_int_equal(signet_tbs_sign(tbs, s, &der, &len),
	    SIGNET_ERR_VERIFY);
	assert_null(der);
	signet_signer_free(s);
	signet_tbs_free(tbs);

	/* A failing token: nothing spent, a retry succeeds. */
	tbs = linted_tbs(req);
	s = evil_signer(pub, g.inter.key, EVIL_FAIL);
	assert_int_equal(signet_tbs_sign(tbs, s, &der, &len), SIGNET_ERR_TOKEN);
	assert_non_null(strstr(signet_error_message(),
	    "signing the certificate: the token was removed"));
	assert_null(signet_tbs_get1_cert(tbs));
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len), 0);
	x = signet_tbs_get1_cert(tbs);
	assert_non_null(x);
	assert_int_equal(X509_verify(x, pub), 1);
	assert_null(signet_tbs_get0_lint_der(tbs, &len));
	X509_free(x);
	free(der);
	signet_signer_free(s);
	signet_tbs_free(tbs);
	EVP_PKEY_free(other);
	tx_request_free(req);
}

static void
test_sign_requires_passing_lint(void **state)
{
	static const char *const names[] = { "dns:www.example.com",
		"dns:www.evil.test", NULL };
	struct signet_profile *p = tx_profile_dup(tx_profile_server());
	struct signet_request *req;
	struct signet_cert_params params;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t *der = NULL;
	size_t len;

	(void)state;
	/* A name outside the intermediate's constraints. */
	req = tx_request(p, tx_key("P-256"), NULL, names);
	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = g.inter.issuer;
	params.serial = tx_serial();
	assert_int_equal(signet_cert_prepare(&params, &tbs), 0);
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len),
	    SIGNET_ERR_LINT);
	assert_non_null(strstr(signet_error_message(), "not been linted"));
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), SIGNET_ERR_LINT);
	assert_non_null(strstr(signet_error_message(), "e_nc_violation"));
	assert_non_null(signet_lint_report_find(rep, "e_nc_violation"));
	signet_lint_report_free(rep);
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len),
	    SIGNET_ERR_LINT);
	assert_non_null(strstr(signet_error_message(), "failed its lints"));
	assert_null(der);
	signet_tbs_free(tbs);
	tx_request_free(req);

	/* A profile that allows more than the BRs: the lint refuses. */
	p->validity_max = 300 * DAY;
	req = tx_request(p, tx_key("P-256"), NULL, names);
	req->n_sans = 1;
	req->validity = 250 * DAY;
	params.request = req;
	assert_int_equal(signet_cert_prepare(&params, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), SIGNET_ERR_LINT);
	assert_non_null(signet_lint_report_find(rep, "e_validity_tls_br"));
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	req->n_sans = 2;
	tx_request_free(req);
	tx_profile_free(p);
}

static void
test_tbs_accessors(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("P-256"), NULL, names);
	struct signet_tbs *tbs = linted_tbs(req);
	const uint8_t *tbs_der, *lint_der;
	size_t tbs_len, lint_len;
	X509 *x;
	unsigned char *re = NULL;
	int n;

	(void)state;
	tbs_der = signet_tbs_get0_tbs_der(tbs, &tbs_len);
	lint_der = signet_tbs_get0_lint_der(tbs, &lint_len);
	assert_non_null(tbs_der);
	assert_true(lint_len > tbs_len);
	/* The lint certificate's TBS is exactly the TBS. */
	x = parse(lint_der, lint_len);
	n = i2d_re_X509_tbs(x, &re);
	assert_int_equal((size_t)n, tbs_len);
	assert_memory_equal(re, tbs_der, tbs_len);
	/* Signed by the throwaway key, not the intermediate's. */
	assert_int_not_equal(X509_verify(x, X509_get0_pubkey(g.inter.cert)), 1);
	OPENSSL_free(re);
	X509_free(x);
	assert_int_equal(signet_tbs_get0_serial(tbs)->len, 20);
	signet_tbs_free(tbs);
	signet_tbs_free(NULL);
	tx_request_free(req);
}

/* ---- CSRs ---------------------------------------------------------------- */

static void
test_csr_build(void **state)
{
	static const char *const keys[] = { "P-256", "P-384", "RSA" };
	X509_NAME *name = X509_NAME_new();
	struct signet_signer *s = NULL;
	uint8_t *der = NULL;
	size_t len = 0, i;
	const unsigned char *p;
	X509_REQ *req;

	(void)state;
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Signet Intermediate 2", -1, -1, 0));
	for (i = 0; i < 3; i++) {
		assert_int_equal(signet_soft_signer_new(tx_key(keys[i]), &s),
		    0);
		assert_int_equal(signet_csr_build(name, s, i == 2, &der, &len),
		    0);
		p = der;
		req = d2i_X509_REQ(NULL, &p, (long)len);
		assert_non_null(req);
		assert_int_equal(X509_REQ_verify(req, tx_key(keys[i])), 1);
		assert_int_equal(X509_NAME_cmp(X509_REQ_get_subject_name(req),
				     name),
		    0);
		if (i == 2)
			assert_int_equal(X509_REQ_get_signature_nid(req),
			    NID_rsassaPss);
		X509_REQ_free(req);
		free(der);
		signet_signer_free(s);
	}
	/* The signer must sign with its own key. */
	s = evil_signer(tx_key("P-256"), tx_key("P-384"), EVIL_PLAIN);
	assert_int_not_equal(signet_csr_build(name, s, 0, &der, &len), 0);
	assert_null(der);
	signet_signer_free(s);
	/* No subject, no CSR. */
	assert_int_equal(signet_soft_signer_new(tx_key("P-256"), &s), 0);
	X509_NAME_free(name);
	name = X509_NAME_new();
	assert_int_equal(signet_csr_build(name, s, 0, &der, &len),
	    SIGNET_ERR_USAGE);
	signet_signer_free(s);
	X509_NAME_free(name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_properties),
		cmocka_unit_test(test_serial_refuses_bad_sources),
		cmocka_unit_test(test_serial_hex),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_cert_server),
		cmocka_unit_test(test_cert_rsa_subject_keeps_key_encipherment),
		cmocka_unit_test(test_cert_mtls_spiffe),
		cmocka_unit_test(test_cert_key_usage_from_request),
		cmocka_unit_test(test_cert_nc_dns_leading_dot_refused),
		cmocka_unit_test(test_cert_intermediate_and_root),
		cmocka_unit_test(test_cert_signature_algorithms),
		cmocka_unit_test(test_sig_alg_encodings),
		cmocka_unit_test(test_cert_generalized_time_after_2049),
		cmocka_unit_test(test_prepare_refusals),
		cmocka_unit_test(test_prepare_clamps_to_issuer),
		cmocka_unit_test(test_issuer_must_be_ca),
		cmocka_unit_test(test_sign_refuses_misbehaving_signers),
		cmocka_unit_test(test_sign_requires_passing_lint),
		cmocka_unit_test(test_tbs_accessors),
		cmocka_unit_test(test_csr_build),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
