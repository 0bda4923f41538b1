/*
 * Certificate lints: every lint has a case that fails with its id and is
 * seen passing on a good certificate. Bad certificates are made by taking a
 * good one signet issued apart and putting in the bad encoding (see
 * lint_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fixture.h"
#include "lint_fixture.h"
#include "signet/lint.h"
#include "util/codec.h"
#include "x509_fixture.h"

#define DAY 86400

/*
 * The certificates linted, each with its context. The last three judge
 * issuers: the mTLS leaf as if a server leaf had issued it, the
 * intermediate (pathLen 0) as if issued by itself and by a root whose
 * pathLen is 2.
 */
enum base {
	B_LEAF,
	B_INTER,
	B_ROOT,
	B_MTLS,
	B_RSA,
	B_UNDER_LEAF,
	B_INTER_UNDER_PATHLEN0,
	B_INTER_UNDER_PATHLEN2,
	B_OCSP,
	B_COUNT
};

static struct {
	struct tx_ca root, inter, root2;
	struct signet_profile *root2_profile;
	struct signet_profile *ocsp_profile;
	uint8_t *der[B_COUNT];
	size_t len[B_COUNT];
	struct signet_lint_ctx *ctx[B_COUNT];
	EVP_PKEY *k256k1;
} g;

static unsigned char *seen_fail, *seen_pass;

static void
issue(enum base b, const struct signet_profile *p, EVP_PKEY *key,
    const char *cn, const char *const *names)
{
	struct signet_request *req = tx_request(p, key, cn, names);

	if (tx_issue(&g.inter, req, NULL, &g.der[b], &g.len[b], NULL) != 0)
		fail_msg("issuing a base certificate: %s",
		    signet_error_message());
	tx_request_free(req);
}

static int
setup(void **state)
{
	static const char *const leaf_names[] = { "dns:www.example.com",
		"dns:example.com", "ip:10.1.2.3", NULL };
	static const char *const mtls_names[] = {
		"uri:spiffe://example.org/ns/prod/sa/web", NULL
	};
	size_t i;

	(void)state;
	tx_ca_root(&g.root, "P-256", NULL, "Lint Root");
	tx_ca_sub(&g.inter, &g.root, "P-256", NULL, "Test Intermediate");
	issue(B_LEAF, tx_profile_server(), tx_key("P-256"), "www.example.com",
	    leaf_names);
	issue(B_MTLS, tx_profile_mtls(), tx_key("P-256"), NULL, mtls_names);
	issue(B_RSA, tx_profile_server(), tx_key("RSA"), "www.example.com",
	    leaf_names);
	/* A delegated OCSP responder, as policies/default.yaml makes one. */
	g.ocsp_profile = tx_profile_dup(tx_profile_mtls());
	g.ocsp_profile->name = (char *)"ocsp-responder";
	g.ocsp_profile->require_san = 0;
	g.ocsp_profile->ext_key_usage = SIGNET_EKU_OCSP_SIGNING;
	g.ocsp_profile->crl_urls.n = 0;
	g.ocsp_profile->cn = SIGNET_CN_OPTIONAL;
	{
		/* Under the root: the intermediate here limits its EKUs. */
		static const char *const ocsp_names[] = { NULL };
		struct signet_request *req = tx_request(g.ocsp_profile,
		    tx_key("P-256"), "OCSP Responder", ocsp_names);

		if (tx_issue(&g.root, req, NULL, &g.der[B_OCSP], &g.len[B_OCSP],
			NULL) != 0)
			fail_msg("issuing the OCSP responder: %s",
			    signet_error_message());
		tx_request_free(req);
	}
	g.root2_profile = tx_profile_dup(tx_profile_root());
	g.root2_profile->path_len = 2;
	tx_ca_root(&g.root2, "P-256", g.root2_profile, "Lint Root 2");
	g.der[B_INTER] = g.inter.der;
	g.len[B_INTER] = g.inter.len;
	g.der[B_UNDER_LEAF] = g.der[B_MTLS];
	g.len[B_UNDER_LEAF] = g.len[B_MTLS];
	g.der[B_INTER_UNDER_PATHLEN0] = g.inter.der;
	g.len[B_INTER_UNDER_PATHLEN0] = g.inter.len;
	g.der[B_INTER_UNDER_PATHLEN2] = g.inter.der;
	g.len[B_INTER_UNDER_PATHLEN2] = g.inter.len;
	g.der[B_ROOT] = g.root.der;
	g.len[B_ROOT] = g.root.len;
	for (i = 0; i < B_COUNT; i++)
		if (signet_lint_ctx_new(&g.ctx[i]) != 0)
			return -1;
	/* Leaves under the intermediate, which is under the root. */
	if (signet_lint_ctx_set_issuer(g.ctx[B_LEAF], g.inter.cert) != 0 ||
	    signet_lint_ctx_add_chain(g.ctx[B_LEAF], g.root.cert) != 0 ||
	    signet_lint_ctx_set_issuer(g.ctx[B_MTLS], g.inter.cert) != 0 ||
	    signet_lint_ctx_set_issuer(g.ctx[B_RSA], g.inter.cert) != 0 ||
	    signet_lint_ctx_set_issuer(g.ctx[B_OCSP], g.root.cert) != 0 ||
	    signet_lint_ctx_set_issuer(g.ctx[B_INTER], g.root.cert) != 0)
		return -1;
	/* Issuers that may not issue what is linted. */
	{
		X509 *leaf = NULL;
		const unsigned char *p = g.der[B_LEAF];

		if ((leaf = d2i_X509(NULL, &p, (long)g.len[B_LEAF])) == NULL ||
		    signet_lint_ctx_set_issuer(g.ctx[B_UNDER_LEAF], leaf) !=
			0 ||
		    signet_lint_ctx_set_issuer(g.ctx[B_INTER_UNDER_PATHLEN0],
			g.inter.cert) != 0 ||
		    signet_lint_ctx_set_issuer(g.ctx[B_INTER_UNDER_PATHLEN2],
			g.root2.cert) != 0)
			return -1;
		X509_free(leaf);
	}
	signet_lint_ctx_set_profile(g.ctx[B_LEAF], tx_profile_server());
	signet_lint_ctx_set_profile(g.ctx[B_RSA], tx_profile_server());
	signet_lint_ctx_set_profile(g.ctx[B_MTLS], tx_profile_mtls());
	signet_lint_ctx_set_profile(g.ctx[B_OCSP], g.ocsp_profile);
	signet_lint_ctx_set_profile(g.ctx[B_INTER], tx_profile_intermediate());
	signet_lint_ctx_set_profile(g.ctx[B_ROOT], tx_profile_root());
	g.k256k1 = EVP_EC_gen("secp256k1");
	seen_fail = calloc(signet_lint_count(), 1);
	seen_pass = calloc(signet_lint_count(), 1);
	return g.k256k1 != NULL && seen_fail != NULL && seen_pass != NULL ? 0
									  : -1;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < B_COUNT; i++)
		signet_lint_ctx_free(g.ctx[i]);
	free(g.der[B_LEAF]);
	free(g.der[B_MTLS]);
	free(g.der[B_RSA]);
	tx_ca_free(&g.inter);
	tx_ca_free(&g.root);
	tx_ca_free(&g.root2);
	tx_profile_free(g.root2_profile);
	tx_profile_free(g.ocsp_profile);
	EVP_PKEY_free(g.k256k1);
	free(seen_fail);
	free(seen_pass);
	return 0;
}

/* ---- mutations ----------------------------------------------------------- */

static void
m_trailing(struct tp_cert *c)
{
	tp_hex(&c->trailing, "00");
}

static void
m_serial_long_length(struct tp_cert *c)
{
	/* The same serial, its length in the long form: 02 81 14 ... */
	struct tp s = c->serial;

	c->serial.b[0] = 0x02;
	c->serial.b[1] = 0x81;
	memcpy(c->serial.b + 2, s.b + 1, s.n - 1);
	c->serial.n = s.n + 1;
}

static void
m_bc_pathlen_padded(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_BC, NULL, 1,
	    "30070101ff02020000");
}

static void
m_bc_pathlen_2(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_BC, NULL, 1, "30060101ff020102");
}

static void
m_bc_no_pathlen(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_BC, NULL, 1, "30030101ff");
}

static void
m_bc_true_01(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_BC, NULL, 1,
	    "30060101010201"
	    "00");
}

static void
m_eku_false_written(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_EKU, NULL, 2,
	    "300a06082b06010505070301");
}

static void
m_bc_ca_false_written(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_BC, NULL, 1, "3003010100");
}

static void
m_version_v1_written(struct tp_cert *c)
{
	tp_hex(&c->version, "a003020100");
}

static void
m_ku_padding(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_KU, NULL, 1, "03020781");
}

static void
m_ku_trailing_zero(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_KU, NULL, 1, "03020680");
}

static void
m_subject_unsorted_set(struct tp_cert *c)
{
	struct der_buf b;
	size_t m, set, atv;
	static const uint8_t cn[] = { 0x55, 0x04, 0x03 },
			     o[] = { 0x55, 0x04, 0x0a };

	/* One RDN { CN, O } with the longer encoding first. */
	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	set = der_begin(&b, DER_SET);
	atv = der_begin(&b, DER_SEQUENCE);
	der_put_oid(&b, cn, 3);
	der_put_tlv(&b, DER_UTF8_STRING, "Test Intermediate", 17);
	der_end(&b, atv);
	atv = der_begin(&b, DER_SEQUENCE);
	der_put_oid(&b, o, 3);
	der_put_tlv(&b, DER_UTF8_STRING, "Org", 3);
	der_end(&b, atv);
	der_end(&b, set);
	der_end(&b, m);
	tp_from_buf(&c->subject, &b);
	der_buf_free(&b);
}

static void
m_subject_printable_at(struct tp_cert *c)
{
	/* CN as a PrintableString holding '@'. */
	tp_hex(&c->subject, "3010310e300c060355040313056140622e63");
}

static void
m_subject_bad_utf8(struct tp_cert *c)
{
	/* CN as a UTF8String with an overlong encoding of '/'. */
	tp_hex(&c->subject, "300f310d300b06035504030c04412fc0af");
}

static void
m_oid_leading_zero(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_UNKNOWN, "2b0601048001", 0,
	    "0500");
}

static void
m_time_gt_2026(struct tp_cert *c)
{
	struct tp nb, na;

	tp_time(&nb, DER_GENERALIZED_TIME, "20261120000000Z");
	tp_time(&na, DER_UTC_TIME, "261231000000Z");
	tp_validity(c, &nb, &na);
}

static void
m_time_gt_2050(struct tp_cert *c)
{
	struct tp nb, na;

	tp_time(&nb, DER_UTC_TIME, "261120000000Z");
	tp_time(&na, DER_GENERALIZED_TIME, "20500101000000Z");
	tp_validity(c, &nb, &na);
}

static void
m_time_no_seconds(struct tp_cert *c)
{
	struct tp nb, na;

	tp_time(&nb, DER_UTC_TIME, "261120000000Z");
	tp_time(&na, DER_UTC_TIME, "2612310000Z");
	tp_validity(c, &nb, &na);
}

static void
m_time_fraction(struct tp_cert *c)
{
	struct tp nb, na;

	tp_time(&nb, DER_GENERALIZED_TIME, "20500101000000.5Z");
	tp_time(&na, DER_GENERALIZED_TIME, "20510101000000Z");
	tp_validity(c, &nb, &na);
}

static void
m_time_local(struct tp_cert *c)
{
	struct tp nb, na;

	tp_time(&nb, DER_UTC_TIME, "261120000000+0100");
	tp_time(&na, DER_UTC_TIME, "261231000000Z");
	tp_validity(c, &nb, &na);
}

static void
m_inner_alg_sha384(struct tp_cert *c)
{
	tp_hex(&c->alg, "300a06082a8648ce3d040303");
}

static void
m_alg_sha224(struct tp_cert *c)
{
	tp_hex(&c->alg, "300a06082a8648ce3d040301");
	c->outer_alg = c->alg;
}

static void
m_alg_sha384(struct tp_cert *c)
{
	tp_hex(&c->alg, "300a06082a8648ce3d040303");
	c->outer_alg = c->alg;
}

static void
m_issuer_printable(struct tp_cert *c)
{
	/* "CN=Test Intermediate" again, but as a PrintableString. */
	tp_hex(&c->issuer, "301c311a301806035504031311"
			   "5465737420496e7465726d656469617465");
}

static void
m_ext_duplicate(struct tp_cert *c)
{
	c->ext[c->n_ext] = c->ext[c->n_ext - 1];
	c->n_ext++;
}

static void
m_ext_unknown_critical(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_UNKNOWN, "2a0304", 1, "0500");
}

static void
m_ext_unknown_noncritical(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_UNKNOWN, "2a0304", 0, "0500");
}

static void
m_ext_empty(struct tp_cert *c)
{
	c->n_ext = 0;
}

static void
m_san_null(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_SAN, NULL, 0, "0500");
}

static void
m_aki_with_serial(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_AKI, NULL, 0,
	    "3006800101820101");
}

static void
m_aki_other(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_AKI, NULL, 0,
	    "3016801411111111111111111111111111111111111111"
	    "11");
}

static void
m_version_v2(struct tp_cert *c)
{
	tp_hex(&c->version, "a003020101");
}

static void
m_serial_negative(struct tp_cert *c)
{
	c->serial.b[2] |= 0x80;
}

static void
m_serial_zero(struct tp_cert *c)
{
	tp_hex(&c->serial, "020100");
}

static void
m_serial_21(struct tp_cert *c)
{
	tp_hex(&c->serial, "0215"
			   "010203040506070809101112131415161718192021");
}

static void
m_serial_padded(struct tp_cert *c)
{
	tp_hex(&c->serial, "020a00010203040506070809");
}

static void
m_serial_8(struct tp_cert *c)
{
	/* 63 bits: the EJBCA mistake. */
	tp_hex(&c->serial, "02087f01020304050607");
}

static void
m_serial_9(struct tp_cert *c)
{
	tp_hex(&c->serial, "020900ff01020304050607");
}

static void
m_unique_id(struct tp_cert *c)
{
	tp_hex(&c->uids, "81020001");
}

static void
m_key_secp256k1(struct tp_cert *c)
{
	unsigned char *p = c->spki.b;
	int n = i2d_PUBKEY(g.k256k1, NULL);

	if (n <= 0 || (size_t)n > sizeof(c->spki.b))
		fail();
	c->spki.n = (size_t)i2d_PUBKEY(g.k256k1, &p);
}

static time_t
at(int y, int m, int d)
{
	return (time_t)time_days_from_civil(y, (unsigned)m, (unsigned)d) * DAY;
}

static void
m_validity_reversed(struct tp_cert *c)
{
	tp_validity_times(c, at(2026, 12, 1), at(2026, 11, 1));
}

static void
m_validity_10d(struct tp_cert *c)
{
	tp_validity_times(c, at(2026, 11, 20), at(2026, 11, 30));
}

static void
m_validity_400d_2025(struct tp_cert *c)
{
	tp_validity_times(c, at(2025, 1, 1), at(2025, 1, 1) + 400 * DAY - 1);
}

static void
m_ocsp_no_nocheck(struct tp_cert *c)
{
	tp_ext_del(c->ext, &c->n_ext, X509_EXT_OCSP_NOCHECK);
}

static void
m_ocsp_also_server(struct tp_cert *c)
{
	/* serverAuth, OCSPSigning */
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_EKU, NULL, 0,
	    "301406082b0601050507030106082b06010505070309");
}

static void
m_ocsp_100d(struct tp_cert *c)
{
	tp_validity_times(c, at(2026, 11, 1), at(2026, 11, 1) + 100 * DAY);
}

static void
m_validity_300d_2025(struct tp_cert *c)
{
	/* Before 2026-03-15 the BRs allow 398 days: passes. */
	tp_validity_times(c, at(2025, 6, 1), at(2025, 6, 1) + 300 * DAY - 1);
}

static void
m_validity_250d_2026(struct tp_cert *c)
{
	tp_validity_times(c, at(2026, 6, 1), at(2026, 6, 1) + 250 * DAY - 1);
}

static void
m_validity_200d_2026(struct tp_cert *c)
{
	/* Exactly 200 days counted inclusively: passes. */
	tp_validity_times(c, at(2026, 6, 1), at(2026, 6, 1) + 200 * DAY - 1);
}

static void
m_validity_200d_plus_1s(struct tp_cert *c)
{
	tp_validity_times(c, at(2026, 6, 1), at(2026, 6, 1) + 200 * DAY);
}

static void
m_validity_150d_2027(struct tp_cert *c)
{
	tp_validity_times(c, at(2027, 6, 1), at(2027, 6, 1) + 150 * DAY - 1);
}

static void
m_validity_2040(struct tp_cert *c)
{
	tp_validity_times(c, at(2026, 11, 20), at(2040, 1, 1));
}

static void
m_bc_noncritical(struct tp_cert *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_BC, 0);
}

static void
m_ku_ds_crl(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_KU, NULL, 1, "03020182");
}

static void
m_ku_ds_certsign(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_KU, NULL, 1, "03020284");
}

static void
m_bc_pathlen_ee(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_BC, NULL, 1, "3003020100");
}

static void
m_bc_ca_true(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_BC, NULL, 1, "30030101ff");
}

static void
m_ku_noncritical(struct tp_cert *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_KU, 0);
}

static void
m_ku_empty(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_KU, NULL, 1, "030100");
}

static void
m_ku_ds_ke(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_KU, NULL, 1, "030205a0");
}

static void
m_ku_ds_ka(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_KU, NULL, 1, "03020388");
}

static void
m_ski_del(struct tp_cert *c)
{
	tp_ext_del(c->ext, &c->n_ext, X509_EXT_SKI);
}

static void
m_ski_critical(struct tp_cert *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_SKI, 1);
}

static void
m_aki_del(struct tp_cert *c)
{
	tp_ext_del(c->ext, &c->n_ext, X509_EXT_AKI);
}

static void
m_aki_critical(struct tp_cert *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_AKI, 1);
}

static void
m_san_del(struct tp_cert *c)
{
	tp_ext_del(c->ext, &c->n_ext, X509_EXT_SAN);
}

static void
m_san_empty(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_SAN, NULL, 0, "3000");
}

static void
m_san_critical(struct tp_cert *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_SAN, 1);
}

static void
m_san_noncritical(struct tp_cert *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_SAN, 0);
}

static void
m_cn_other(struct tp_cert *c)
{
	static const char *const a[] = { "CN=other.example.com", NULL };

	tp_name(&c->subject, a);
}

static void
m_cn_ip(struct tp_cert *c)
{
	static const char *const a[] = { "CN=10.1.2.3", NULL };

	tp_name(&c->subject, a);
}

static void
m_cn_upper(struct tp_cert *c)
{
	static const char *const a[] = { "CN=WWW.Example.COM", "O=Example",
		NULL };

	tp_name(&c->subject, a);
}

/*
 * An address as the only SAN and as the CN: OpenSSL takes the CN for a
 * host name, outside the intermediate's DNS subtrees.
 */
static void
m_cn_ip_only(struct tp_cert *c)
{
	static const char *const a[] = { "CN=10.1.2.3", NULL };
	static const char *const n[] = { "ip:10.1.2.3", NULL };

	tp_name(&c->subject, a);
	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_san_underscore(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"dns:a_b.example.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_san_bad_wildcard(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"dns:w*.example.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

/* The lint holds dNSNames to the rules requests meet (util/names.h). */
static void
m_san_dns_upper(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"dns:WWW.Example.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_san_dns_ip(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com", "dns:1.2.3.4",
		NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_san_dns_bad_alabel(struct tp_cert *c)
{
	/* U+0100, an upper-case letter: not a valid U-label. */
	static const char *const n[] = { "dns:www.example.com",
		"dns:xn--bc-8ka.example.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_san_wildcard(struct tp_cert *c)
{
	/* Not "*.example.com": that reaches the excluded secret.example.com. */
	static const char *const n[] = { "dns:www.example.com",
		"dns:*.www.example.com", "ip:10.9.9.9", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_nc_noncritical(struct tp_cert *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_NC, 0);
}

static void
m_nc_on_leaf(struct tp_cert *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_NC, NULL, 1,
	    "3011a00f300d820b6578616d706c652e636f6d");
}

static void
m_nc_dns_outside(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"dns:www.evil.test", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_nc_dns_suffix_trick(struct tp_cert *c)
{
	/* "badexample.com" is not below "example.com". */
	static const char *const n[] = { "dns:www.example.com",
		"dns:badexample.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

/* "*.example.com" covers secret.example.com, an excluded subtree. */
static void
m_nc_wildcard_excluded(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"dns:*.example.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_nc_dns_excluded(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"dns:db.secret.example.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_nc_ip_outside(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"ip:192.168.1.1", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_nc_email_inside(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"email:ops@example.com", "dns:api.example.org", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_nc_email_outside(struct tp_cert *c)
{
	static const char *const n[] = { "dns:www.example.com",
		"email:ops@mail.example.com", NULL };

	tp_ext_san(c->ext, &c->n_ext, 0, n);
}

static void
m_nc_uri_outside(struct tp_cert *c)
{
	static const char *const n[] = { "uri:spiffe://evil.test/ns/x", NULL };

	tp_ext_san(c->ext, &c->n_ext, 1, n);
}

struct lcase {
	const char *name;
	enum base base;
	void (*mutate)(struct tp_cert *c);
	const char *expect; /* NULL: no finding at all */
};

static const struct lcase cases[] = {
	/* Good certificates signet issued: nothing to report. */
	{ "leaf", B_LEAF, NULL, NULL },
	{ "intermediate", B_INTER, NULL, NULL },
	{ "delegated OCSP responder", B_OCSP, NULL, NULL },
	{ "OCSP responder without nocheck", B_OCSP, m_ocsp_no_nocheck,
	    "e_ocsp_responder_cert" },
	{ "OCSP responder that is a TLS server too", B_OCSP, m_ocsp_also_server,
	    "e_ocsp_responder_cert" },
	{ "OCSP responder valid for 100 days", B_OCSP, m_ocsp_100d,
	    "e_ocsp_responder_validity" },
	/* Another root: its name does not match, but pathLen 0 < 2 passes. */
	{ "intermediate under a root with pathLen 2", B_INTER_UNDER_PATHLEN2,
	    NULL, "e_issuer_dn_match" },
	{ "root", B_ROOT, NULL, NULL },
	{ "mtls, empty subject", B_MTLS, NULL, NULL },
	{ "rsa leaf", B_RSA, NULL, NULL },
	{ "wildcard and ip SANs", B_LEAF, m_san_wildcard, NULL },
	{ "CN is an IP SAN", B_LEAF, m_cn_ip, NULL },
	{ "CN is the only SAN, an IP address", B_LEAF, m_cn_ip_only,
	    "e_nc_violation" },
	{ "CN differs in case only", B_LEAF, m_cn_upper, NULL },
	{ "email and dns inside name constraints", B_LEAF, m_nc_email_inside,
	    NULL },
	{ "unknown non-critical extension", B_LEAF, m_ext_unknown_noncritical,
	    NULL },
	{ "GeneralizedTime from 2050", B_ROOT, m_time_gt_2050, NULL },
	{ "serial of 9 octets", B_LEAF, m_serial_9, NULL },

	/* DER. */
	{ "trailing data", B_LEAF, m_trailing, "e_der_valid" },
	{ "long-form length", B_LEAF, m_serial_long_length,
	    "e_der_length_minimal" },
	{ "padded pathLen", B_INTER, m_bc_pathlen_padded,
	    "e_der_integer_minimal" },
	{ "BOOLEAN 01", B_INTER, m_bc_true_01, "e_der_boolean_encoding" },
	{ "critical FALSE written", B_LEAF, m_eku_false_written,
	    "e_der_default_omitted" },
	{ "cA FALSE written", B_LEAF, m_bc_ca_false_written,
	    "e_der_default_omitted" },
	{ "version v1 written", B_LEAF, m_version_v1_written,
	    "e_der_default_omitted" },
	{ "keyUsage padding bit", B_LEAF, m_ku_padding,
	    "e_der_bitstring_padding" },
	{ "keyUsage trailing zero", B_LEAF, m_ku_trailing_zero,
	    "e_der_named_bits_minimal" },
	{ "unsorted RDN", B_INTER, m_subject_unsorted_set, "e_der_set_sorted" },
	{ "PrintableString '@'", B_INTER, m_subject_printable_at,
	    "e_der_string_charset" },
	{ "overlong UTF-8", B_INTER, m_subject_bad_utf8,
	    "e_der_string_charset" },
	{ "OID 0x80 subidentifier", B_LEAF, m_oid_leading_zero,
	    "e_der_oid_encoding" },

	/* Times. */
	{ "GeneralizedTime in 2026", B_LEAF, m_time_gt_2026,
	    "e_time_encoding" },
	{ "UTCTime without seconds", B_LEAF, m_time_no_seconds,
	    "e_time_format" },
	{ "fractional seconds", B_ROOT, m_time_fraction, "e_time_format" },
	{ "local time offset", B_LEAF, m_time_local, "e_time_format" },

	/* Signature algorithm, issuer, extensions. */
	{ "inner/outer algorithm differ", B_LEAF, m_inner_alg_sha384,
	    "e_sig_alg_match" },
	{ "ecdsa-with-SHA224", B_LEAF, m_alg_sha224, "e_sig_alg_allowed" },
	{ "SHA-384 from a P-256 issuer", B_LEAF, m_alg_sha384,
	    "e_sig_alg_issuer_key" },
	{ "issuer re-encoded", B_LEAF, m_issuer_printable,
	    "e_issuer_dn_match" },
	{ "duplicate extension", B_LEAF, m_ext_duplicate, "e_ext_duplicate" },
	{ "unknown critical extension", B_LEAF, m_ext_unknown_critical,
	    "e_ext_unknown_critical" },
	{ "empty extensions", B_LEAF, m_ext_empty, "e_ext_empty" },
	{ "SAN is NULL", B_LEAF, m_san_null, "e_ext_malformed" },
	{ "AKI with serial", B_LEAF, m_aki_with_serial, "e_aki_keyid_only" },
	{ "AKI of another CA", B_LEAF, m_aki_other, "e_aki_issuer_match" },

	/* Certificate structure and serial. */
	{ "v2", B_LEAF, m_version_v2, "e_cert_version_v3" },
	{ "negative serial", B_LEAF, m_serial_negative, "e_serial_positive" },
	{ "zero serial", B_LEAF, m_serial_zero, "e_serial_nonzero" },
	{ "21-octet serial", B_LEAF, m_serial_21, "e_serial_length" },
	{ "padded serial", B_LEAF, m_serial_padded, "e_serial_minimal" },
	{ "63-bit serial", B_LEAF, m_serial_8, "w_serial_short" },
	{ "issuerUniqueID", B_LEAF, m_unique_id, "e_unique_ids_absent" },
	{ "secp256k1 key", B_LEAF, m_key_secp256k1, "e_key_allowed" },

	/* Validity. */
	{ "reversed validity", B_LEAF, m_validity_reversed,
	    "e_validity_order" },
	{ "over the profile maximum", B_MTLS, m_validity_10d,
	    "e_validity_profile_max" },
	{ "400 days", B_LEAF, m_validity_400d_2025, "e_validity_tls_398" },
	{ "300 days in 2025", B_MTLS, m_validity_300d_2025,
	    "e_validity_profile_max" },
	{ "250 days in 2026", B_LEAF, m_validity_250d_2026,
	    "e_validity_tls_br" },
	{ "200 days in 2026", B_LEAF, m_validity_200d_2026, NULL },
	{ "200 days + 1 s in 2026", B_LEAF, m_validity_200d_plus_1s,
	    "e_validity_tls_br" },
	{ "150 days in 2027", B_LEAF, m_validity_150d_2027,
	    "e_validity_tls_br" },
	{ "past the issuer", B_LEAF, m_validity_2040,
	    "w_validity_exceeds_issuer" },

	/* basicConstraints, keyUsage. */
	{ "CA basicConstraints not critical", B_INTER, m_bc_noncritical,
	    "e_bc_critical" },
	{ "CA without keyCertSign", B_INTER, m_ku_ds_crl,
	    "e_ca_key_cert_sign" },
	{ "leaf with keyCertSign", B_LEAF, m_ku_ds_certsign,
	    "e_ee_key_cert_sign" },
	{ "pathLen on a leaf", B_LEAF, m_bc_pathlen_ee, "e_bc_pathlen_ee" },

	/* What the issuer allows (RFC 5280 6.1.4). */
	{ "issued by a certificate that is no CA", B_UNDER_LEAF, NULL,
	    "e_issuer_ca" },
	{ "issuer without keyCertSign", B_UNDER_LEAF, NULL,
	    "e_issuer_keycertsign" },
	{ "EKU beyond the issuer's", B_UNDER_LEAF, NULL, "e_issuer_eku" },
	{ "CA under an issuer with pathLen 0", B_INTER_UNDER_PATHLEN0, NULL,
	    "e_issuer_pathlen" },
	{ "pathLen not below the issuer's", B_INTER_UNDER_PATHLEN2,
	    m_bc_pathlen_2, "e_issuer_pathlen" },
	{ "no pathLen under an issuer with one", B_INTER_UNDER_PATHLEN2,
	    m_bc_no_pathlen, "e_issuer_pathlen" },
	{ "leaf says cA", B_LEAF, m_bc_ca_true, "e_bc_profile" },
	{ "keyUsage not critical", B_LEAF, m_ku_noncritical, "e_ku_critical" },
	{ "keyUsage empty", B_LEAF, m_ku_empty, "e_ku_empty" },
	{ "EC with keyEncipherment", B_LEAF, m_ku_ds_ke,
	    "e_ku_ec_encipherment" },
	{ "RSA with keyEncipherment", B_RSA, m_ku_ds_ke, NULL },
	{ "RSA with keyAgreement", B_RSA, m_ku_ds_ka,
	    "e_ku_rsa_key_agreement" },

	/* Key identifiers. */
	{ "CA without SKI", B_INTER, m_ski_del, "e_ski_missing_ca" },
	{ "SKI critical", B_INTER, m_ski_critical, "e_ski_critical" },
	{ "leaf without AKI", B_LEAF, m_aki_del, "e_aki_missing" },
	{ "root without AKI", B_ROOT, m_aki_del, NULL },
	{ "AKI critical", B_LEAF, m_aki_critical, "e_aki_critical" },

	/* Names. */
	{ "TLS leaf without SAN", B_LEAF, m_san_del, "e_san_missing_tls" },
	{ "SAN without names", B_LEAF, m_san_empty, "e_san_empty" },
	{ "SAN critical beside a subject", B_LEAF, m_san_critical,
	    "e_san_critical" },
	{ "SAN not critical, empty subject", B_MTLS, m_san_noncritical,
	    "e_san_critical" },
	{ "empty subject, no SAN", B_MTLS, m_san_del,
	    "e_subject_empty_no_san" },
	{ "CN not a SAN", B_LEAF, m_cn_other, "e_cn_not_in_san" },
	{ "underscore in dNSName", B_LEAF, m_san_underscore,
	    "e_san_dns_syntax" },
	{ "wildcard inside a label", B_LEAF, m_san_bad_wildcard,
	    "e_san_dns_syntax" },
	{ "upper-case dNSName", B_LEAF, m_san_dns_upper, "e_san_dns_syntax" },
	{ "IP address as dNSName", B_LEAF, m_san_dns_ip, "e_san_dns_syntax" },
	{ "invalid A-label", B_LEAF, m_san_dns_bad_alabel, "e_san_dns_syntax" },
	{ "nameConstraints not critical", B_INTER, m_nc_noncritical,
	    "e_nc_critical" },
	{ "nameConstraints on a leaf", B_LEAF, m_nc_on_leaf, "e_nc_on_ee" },
	{ "dNSName outside", B_LEAF, m_nc_dns_outside, "e_nc_violation" },
	{ "dNSName suffix trick", B_LEAF, m_nc_dns_suffix_trick,
	    "e_nc_violation" },
	{ "dNSName excluded", B_LEAF, m_nc_dns_excluded, "e_nc_violation" },
	{ "wildcard covering an excluded name", B_LEAF, m_nc_wildcard_excluded,
	    "e_nc_violation" },
	{ "IP outside", B_LEAF, m_nc_ip_outside, "e_nc_violation" },
	{ "email outside", B_LEAF, m_nc_email_outside, "e_nc_violation" },
	{ "URI outside", B_MTLS, m_nc_uri_outside, "e_nc_violation" },
};

static void
record(const struct signet_lint_report *rep)
{
	size_t i, n = signet_lint_count();

	for (i = 0; i < n; i++) {
		const char *id = signet_lint_get(i)->id;

		if (signet_lint_report_ran(rep, id) &&
		    signet_lint_report_find(rep, id) == NULL)
			seen_pass[i] = 1;
	}
}

static void
test_lint_cases(void **state)
{
	size_t i, k, len;
	uint8_t *der;
	struct tp_cert *c = malloc(sizeof(*c));
	int r, bad = 0;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lcase *t = &cases[i];
		struct signet_lint_report *rep = NULL;
		const struct signet_lint_finding *f;
		char *text;

		tp_cert_split(g.der[t->base], g.len[t->base], c);
		if (t->mutate != NULL)
			t->mutate(c);
		der = tp_cert_join(c, &len);
		r = signet_lint_cert(g.ctx[t->base], der, len, &rep);
		free(der);
		assert_non_null(rep);
		record(rep);
		text = signet_lint_report_text(rep);
		if (getenv("SIGNET_TEST_VERBOSE") != NULL)
			print_message("-- %s\n%s", t->name, text);
		if (t->expect == NULL) {
			if (signet_lint_report_count(rep) != 0 || r != 0) {
				print_error("case '%s' should be clean:\n%s",
				    t->name, text);
				bad++;
			}
		} else if ((f = signet_lint_report_find(rep, t->expect)) ==
			   NULL) {
			print_error("case '%s' should fail %s:\n%s", t->name,
			    t->expect, text);
			bad++;
		} else {
			for (k = 0; k < signet_lint_count(); k++)
				if (signet_lint_get(k) == f->lint)
					seen_fail[k] = 1;
			assert_true(strlen(f->detail) > 0);
			if (f->lint->severity == SIGNET_LINT_ERROR) {
				assert_int_equal(r, SIGNET_ERR_LINT);
				assert_non_null(
				    strstr(signet_error_message(), t->expect));
			}
		}
		free(text);
		signet_lint_report_free(rep);
	}
	free(c);
	assert_int_equal(bad, 0);
}

/* Every certificate lint failed in some case and passed in another. */
static void
test_lint_table_covered(void **state)
{
	size_t i, n = signet_lint_count(), missing = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		const struct signet_lint_info *l = signet_lint_get(i);

		if (!(l->applies & SIGNET_LINT_CERT))
			continue;
		if (!seen_fail[i]) {
			print_error("no failing certificate case for %s\n",
			    l->id);
			missing++;
		}
		if (!seen_pass[i]) {
			print_error("no passing certificate case for %s\n",
			    l->id);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static void
test_lint_table_well_formed(void **state)
{
	size_t i, j, n = signet_lint_count();

	(void)state;
	assert_true(n >= 60);
	for (i = 0; i < n; i++) {
		const struct signet_lint_info *l = signet_lint_get(i);
		char want = l->severity == SIGNET_LINT_ERROR     ? 'e'
			    : l->severity == SIGNET_LINT_WARNING ? 'w'
								 : 'n';

		assert_int_equal(l->id[0], want);
		assert_int_equal(l->id[1], '_');
		assert_true(strlen(l->source) > 0);
		assert_true(strlen(l->description) > 0);
		assert_true(l->applies != 0);
		assert_ptr_equal(signet_lint_find(l->id), l);
		for (j = 0; j < i; j++)
			assert_string_not_equal(l->id, signet_lint_get(j)->id);
	}
	assert_null(signet_lint_find("e_no_such_lint"));
	assert_null(signet_lint_get(n));
}

static void
test_lint_ctx_disable(void **state)
{
	struct signet_lint_ctx *ctx = NULL;
	struct signet_lint_report *rep = NULL;
	struct tp_cert *c = malloc(sizeof(*c));
	uint8_t *der;
	size_t len;

	(void)state;
	assert_non_null(c);
	assert_int_equal(signet_lint_ctx_new(&ctx), 0);
	/* Profiles cannot silence error-level lints. */
	assert_int_equal(signet_lint_ctx_disable(ctx, "e_serial_positive"),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "cannot be disabled"));
	assert_int_equal(signet_lint_ctx_disable(ctx, "e_bogus"),
	    SIGNET_ERR_USAGE);
	assert_int_equal(signet_lint_ctx_disable(ctx, "w_serial_short"), 0);

	tp_cert_split(g.der[B_LEAF], g.len[B_LEAF], c);
	m_serial_8(c);
	der = tp_cert_join(c, &len);
	/* A warning alone does not refuse... */
	assert_int_equal(signet_lint_cert(NULL, der, len, &rep), 0);
	assert_non_null(signet_lint_report_find(rep, "w_serial_short"));
	assert_int_equal(signet_lint_report_tally(rep, SIGNET_LINT_WARNING), 1);
	signet_lint_report_free(rep);
	/* ... and a disabled one does not run. */
	assert_int_equal(signet_lint_cert(ctx, der, len, &rep), 0);
	assert_null(signet_lint_report_find(rep, "w_serial_short"));
	assert_false(signet_lint_report_ran(rep, "w_serial_short"));
	signet_lint_report_free(rep);
	free(der);
	free(c);
	signet_lint_ctx_free(ctx);
	signet_lint_ctx_free(NULL);
}

/* Several failures: every error-level id is in the report and message. */
static void
test_lint_reports_every_failure(void **state)
{
	struct signet_lint_report *rep = NULL;
	struct tp_cert *c = malloc(sizeof(*c));
	uint8_t *der;
	size_t len;
	char *text, *js;
	json_t *root, *arr;
	json_error_t jerr;

	(void)state;
	assert_non_null(c);
	tp_cert_split(g.der[B_LEAF], g.len[B_LEAF], c);
	m_serial_zero(c);
	m_ku_noncritical(c);
	m_aki_del(c);
	der = tp_cert_join(c, &len);
	assert_int_equal(signet_lint_cert(g.ctx[B_LEAF], der, len, &rep),
	    SIGNET_ERR_LINT);
	assert_non_null(strstr(signet_error_message(), "e_serial_nonzero"));
	assert_non_null(strstr(signet_error_message(), "e_ku_critical"));
	assert_non_null(strstr(signet_error_message(), "e_aki_missing"));
	assert_true(signet_lint_report_tally(rep, SIGNET_LINT_ERROR) >= 3);
	text = signet_lint_report_text(rep);
	assert_non_null(strstr(text, "error e_ku_critical [RFC 5280 4.2.1.3"));
	assert_int_equal(strcmp(signet_lint_report_kind(rep), "certificate"),
	    0);
	js = signet_lint_report_json(rep);
	assert_non_null(root = json_loads(js, 0, &jerr));
	assert_string_equal(json_string_value(json_object_get(root, "kind")),
	    "certificate");
	assert_int_equal(json_integer_value(json_object_get(root, "errors")),
	    (json_int_t)signet_lint_report_tally(rep, SIGNET_LINT_ERROR));
	arr = json_object_get(root, "findings");
	assert_int_equal(json_array_size(arr), signet_lint_report_count(rep));
	assert_non_null(json_object_get(json_array_get(arr, 0), "detail"));
	json_decref(root);
	free(js);
	free(text);
	free(der);
	free(c);
	signet_lint_report_free(rep);
}

static void
test_lint_data_detects_format(void **state)
{
	struct signet_lint_report *rep = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	(void)state;
	/* DER certificate. */
	assert_int_equal(signet_lint_data(NULL, g.der[B_LEAF], g.len[B_LEAF],
			     &rep),
	    0);
	assert_string_equal(signet_lint_report_kind(rep), "certificate");
	signet_lint_report_free(rep);
	/* PEM certificate, after some blank lines. */
	BIO_puts(bio, "\n\n");
	assert_true(PEM_write_bio(bio, "CERTIFICATE", "", g.der[B_INTER],
	    (long)g.len[B_INTER]));
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(signet_lint_data(NULL, (const uint8_t *)pem, (size_t)n,
			     &rep),
	    0);
	assert_string_equal(signet_lint_report_kind(rep), "certificate");
	assert_true(signet_lint_report_lints_run(rep) > 30);
	signet_lint_report_free(rep);
	BIO_free(bio);
	/* Not PEM of a certificate. */
	bio = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio(bio, "PRIVATE KEY", "",
	    (const unsigned char *)"x", 1));
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(signet_lint_data(NULL, (const uint8_t *)pem, (size_t)n,
			     &rep),
	    SIGNET_ERR_LINT);
	assert_string_equal(signet_lint_report_kind(rep), "unknown");
	assert_non_null(signet_lint_report_find(rep, "e_der_valid"));
	assert_non_null(
	    strstr(signet_lint_report_get(rep, 0)->detail, "PRIVATE KEY"));
	signet_lint_report_free(rep);
	BIO_free(bio);
	/* Garbage, and nothing at all. */
	assert_int_equal(signet_lint_data(NULL, (const uint8_t *)"hello", 5,
			     &rep),
	    SIGNET_ERR_LINT);
	assert_non_null(signet_lint_report_find(rep, "e_der_valid"));
	signet_lint_report_free(rep);
	assert_int_equal(signet_lint_data(NULL, (const uint8_t *)"", 0, &rep),
	    SIGNET_ERR_LINT);
	signet_lint_report_free(rep);
	/* Truncated DER: still a certificate, reported as such. */
	assert_int_equal(signet_lint_cert(NULL, g.der[B_LEAF],
			     g.len[B_LEAF] - 10, &rep),
	    SIGNET_ERR_LINT);
	assert_non_null(signet_lint_report_find(rep, "e_der_valid"));
	signet_lint_report_free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint_table_well_formed),
		cmocka_unit_test(test_lint_cases),
		cmocka_unit_test(test_lint_table_covered),
		cmocka_unit_test(test_lint_ctx_disable),
		cmocka_unit_test(test_lint_reports_every_failure),
		cmocka_unit_test(test_lint_data_detects_format),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
