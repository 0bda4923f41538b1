/*
 * CRLs: building (entries streamed from an iterator, sorted, reasons),
 * the lint-then-sign flow, and every CRL lint failing and passing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fixture.h"
#include "lint_fixture.h"
#include "signet/lint.h"
#include "util/codec.h"
#include "x509_fixture.h"

#define DAY 86400

static struct {
	struct tx_ca root, inter;
	struct tx_ca nocrl; /* a CA whose keyUsage lacks cRLSign */
	struct signet_profile *nocrl_profile;
	struct signet_lint_ctx *nocrl_ctx;
	uint8_t *full, *delta, *empty;
	size_t full_len, delta_len, empty_len;
	struct signet_lint_ctx *ctx;
} g;

static unsigned char *seen_fail, *seen_pass;

/* ---- an iterator over a fixed list ------------------------------------- */

struct list_iter {
	const struct signet_crl_entry *v;
	size_t n, i;
	int fail_at; /* return an error at this index (-1 never) */
};

static int
list_next(void *arg, struct signet_crl_entry *e)
{
	struct list_iter *it = arg;

	if (it->fail_at >= 0 && it->i == (size_t)it->fail_at)
		return signet_error_set(SIGNET_ERR_STORE,
		    "the store went away");
	if (it->i == it->n)
		return 0;
	*e = it->v[it->i++];
	return 1;
}

static struct signet_crl_entry
entry(const char *hex, int reason, time_t invalidity)
{
	struct signet_crl_entry e;

	memset(&e, 0, sizeof(e));
	if (signet_serial_from_hex(hex, &e.serial) != 0)
		fail_msg("bad serial %s", hex);
	e.revoked_at = 1790000000;
	e.reason = reason;
	e.invalidity_date = invalidity;
	return e;
}

static int
crl_build(struct signet_crl_params *p, const struct signet_crl_entry *v,
    size_t n, uint8_t **der, size_t *len, struct signet_lint_report **rep)
{
	struct list_iter it = { v, n, 0, -1 };
	struct signet_tbs *tbs = NULL;
	int r;

	*der = NULL;
	*rep = NULL;
	p->next_entry = list_next;
	p->next_entry_arg = &it;
	if ((r = signet_crl_prepare(p, &tbs)) != 0)
		return r;
	if ((r = signet_tbs_lint(tbs, NULL, rep)) == 0)
		r = signet_tbs_sign(tbs, g.inter.signer, der, len);
	signet_tbs_free(tbs);
	return r;
}

static struct signet_crl_params
params(void)
{
	struct signet_crl_params p;

	memset(&p, 0, sizeof(p));
	p.issuer = g.inter.issuer;
	p.next_update_in = 7 * DAY;
	p.crl_number = 7;
	return p;
}

static const struct signet_crl_entry full_entries[] = {
	{ { 1, { 0x05 } }, 1790000000, SIGNET_CRL_REASON_KEY_COMPROMISE, 0 },
	{ { 2, { 0x40, 0x01 } }, 1790000100, SIGNET_CRL_REASON_NONE,
	    1780000000 },
	{ { 3, { 0x00, 0x80, 0x01 } }, 1790000200,
	    SIGNET_CRL_REASON_UNSPECIFIED, 0 },
	{ { 18, { 0x40 } }, 1790000300, SIGNET_CRL_REASON_SUPERSEDED, 0 },
	{ { 20, { 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		    17, 18, 19 } },
	    1790000400, SIGNET_CRL_REASON_CESSATION_OF_OPERATION, 0 },
};

static int
setup(void **state)
{
	struct signet_crl_params p;
	struct signet_lint_report *rep = NULL;
	struct signet_crl_entry delta[2];

	(void)state;
	tx_ca_root(&g.root, "P-256", NULL, "CRL Root");
	tx_ca_sub(&g.inter, &g.root, "P-256", NULL, "Test Intermediate");
	p = params();
	p.freshest_url = "http://crl.example.com/delta.crl";
	p.idp_url = "http://crl.example.com/int.crl";
	p.idp_only_user_certs = 1;
	if (crl_build(&p, full_entries,
		sizeof(full_entries) / sizeof(full_entries[0]), &g.full,
		&g.full_len, &rep) != 0)
		fail_msg("full CRL: %s", signet_error_message());
	signet_lint_report_free(rep);
	delta[0] = entry("0a", SIGNET_CRL_REASON_REMOVE_FROM_CRL, 0);
	delta[1] = entry("0b", SIGNET_CRL_REASON_KEY_COMPROMISE, 0);
	p = params();
	p.delta = 1;
	p.crl_number = 9;
	p.base_crl_number = 7;
	if (crl_build(&p, delta, 2, &g.delta, &g.delta_len, &rep) != 0)
		fail_msg("delta CRL: %s", signet_error_message());
	signet_lint_report_free(rep);
	p = params();
	if (crl_build(&p, NULL, 0, &g.empty, &g.empty_len, &rep) != 0)
		fail_msg("empty CRL: %s", signet_error_message());
	signet_lint_report_free(rep);
	if (signet_lint_ctx_new(&g.ctx) != 0 ||
	    signet_lint_ctx_set_issuer(g.ctx, g.inter.cert) != 0)
		return -1;
	g.nocrl_profile = tx_profile_dup(tx_profile_intermediate());
	g.nocrl_profile->key_usage =
	    SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_KEY_CERT_SIGN;
	tx_ca_sub(&g.nocrl, &g.root, "P-256", g.nocrl_profile, "No CRL Sign");
	if (signet_lint_ctx_new(&g.nocrl_ctx) != 0 ||
	    signet_lint_ctx_set_issuer(g.nocrl_ctx, g.nocrl.cert) != 0)
		return -1;
	seen_fail = calloc(signet_lint_count(), 1);
	seen_pass = calloc(signet_lint_count(), 1);
	return seen_fail != NULL && seen_pass != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	free(g.full);
	free(g.delta);
	free(g.empty);
	signet_lint_ctx_free(g.ctx);
	signet_lint_ctx_free(g.nocrl_ctx);
	tx_ca_free(&g.nocrl);
	tx_profile_free(g.nocrl_profile);
	tx_ca_free(&g.inter);
	tx_ca_free(&g.root);
	free(seen_fail);
	free(seen_pass);
	return 0;
}

/* ---- building ------------------------------------------------------------ */

static X509_CRL *
parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

	assert_non_null(crl);
	assert_ptr_equal(p, der + len);
	return crl;
}

static void
test_crl_full_contents(void **state)
{
	X509_CRL *crl = parse(g.full, g.full_len);
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
	ASN1_ENUMERATED *reason;
	ASN1_INTEGER *num;
	int i, crit;

	(void)state;
	assert_int_equal(X509_CRL_get_version(crl), 1);
	assert_int_equal(sk_X509_REVOKED_num(rev),
	    (int)(sizeof(full_entries) / sizeof(full_entries[0])));
	/* Sorted by serial, as given. */
	for (i = 1; i < sk_X509_REVOKED_num(rev); i++)
		assert_true(
		    ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(
					 sk_X509_REVOKED_value(rev, i - 1)),
			X509_REVOKED_get0_serialNumber(
			    sk_X509_REVOKED_value(rev, i))) < 0);
	/* keyCompromise carried; unspecified and none carry no reasonCode. */
	reason = X509_REVOKED_get_ext_d2i(sk_X509_REVOKED_value(rev, 0),
	    NID_crl_reason, &crit, NULL);
	assert_non_null(reason);
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	assert_int_equal(crit, 0); /* found, not critical */
	ASN1_ENUMERATED_free(reason);
	assert_null(X509_REVOKED_get_ext_d2i(sk_X509_REVOKED_value(rev, 1),
	    NID_crl_reason, &crit, NULL));
	assert_null(X509_REVOKED_get_ext_d2i(sk_X509_REVOKED_value(rev, 2),
	    NID_crl_reason, &crit, NULL));
	assert_int_equal(crit, -1);
	/* invalidityDate on the second. */
	assert_true(X509_REVOKED_get_ext_by_NID(sk_X509_REVOKED_value(rev, 1),
			NID_invalidity_date, -1) >= 0);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	assert_int_equal(crit, 0);
	ASN1_INTEGER_free(num);
	assert_true(X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) < 0);
	assert_true(X509_CRL_get_ext_by_NID(crl, NID_freshest_crl, -1) >= 0);
	assert_true(X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point,
			-1) >= 0);
	/* The issuer is the CA's subject, byte for byte. */
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
			     X509_get_subject_name(g.inter.cert)),
	    0);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(g.inter.cert)),
	    1);
	X509_CRL_free(crl);
}

static void
test_crl_delta_and_empty(void **state)
{
	X509_CRL *crl = parse(g.delta, g.delta_len);
	ASN1_INTEGER *base;
	int crit;

	(void)state;
	base = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
	assert_non_null(base);
	assert_int_equal(ASN1_INTEGER_get(base), 7);
	assert_int_equal(crit, 1);
	ASN1_INTEGER_free(base);
	X509_CRL_free(crl);
	/* An empty CRL has no revokedCertificates at all (5.1.2.6). */
	crl = parse(g.empty, g.empty_len);
	assert_true(X509_CRL_get_REVOKED(crl) == NULL ||
		    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) == 0);
	X509_CRL_free(crl);
	assert_int_equal(x509_der_kind(g.empty, g.empty_len), 2);
	assert_int_equal(x509_der_kind(g.inter.der, g.inter.len), 1);
}

static void
test_crl_refuses_bad_entries(void **state)
{
	static const struct {
		const char *name;
		const char *serials[3];
		int reason[3];
		int delta;
		int code;
		const char *msg;
	} t[] = {
		{ "unsorted", { "05", "04", NULL }, { -1, -1 }, 0,
		    SIGNET_ERR_USAGE, "sorted" },
		{ "duplicate", { "05", "05", NULL }, { -1, -1 }, 0,
		    SIGNET_ERR_USAGE, "unique" },
		{ "numeric order", { "ff", "0100", "80" }, { -1, -1, -1 }, 0,
		    SIGNET_ERR_USAGE, "serial 0080" },
		{ "hold", { "05", NULL }, { 6 }, 0, SIGNET_ERR_POLICY,
		    "certificateHold" },
		{ "removeFromCRL in a full CRL", { "05", NULL }, { 8 }, 0,
		    SIGNET_ERR_POLICY, "delta CRLs only" },
		{ "reason 7", { "05", NULL }, { 7 }, 0, SIGNET_ERR_USAGE,
		    "not a CRL reason" },
		{ "reason 11", { "05", NULL }, { 11 }, 1, SIGNET_ERR_USAGE,
		    "not a CRL reason" },
	};
	struct signet_crl_entry e[3];
	struct signet_crl_params p;
	struct signet_lint_report *rep;
	uint8_t *der;
	size_t i, n, len;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (n = 0; n < 3 && t[i].serials[n] != NULL; n++)
			e[n] = entry(t[i].serials[n], t[i].reason[n], 0);
		p = params();
		if (t[i].delta) {
			p.delta = 1;
			p.base_crl_number = 1;
		}
		assert_int_equal(crl_build(&p, e, n, &der, &len, &rep),
		    t[i].code);
		if (strstr(signet_error_message(), t[i].msg) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", t[i].name,
			    signet_error_message(), t[i].msg);
		assert_null(der);
	}
	/* An iterator error comes through with context. */
	{
		struct list_iter it = { full_entries, 5, 0, 2 };
		struct signet_tbs *tbs = NULL;

		p = params();
		p.next_entry = list_next;
		p.next_entry_arg = &it;
		assert_int_equal(signet_crl_prepare(&p, &tbs),
		    SIGNET_ERR_STORE);
		assert_null(tbs);
		assert_non_null(strstr(signet_error_message(),
		    "reading revoked certificates: the store went away"));
	}
}

static void
test_crl_refuses_bad_params(void **state)
{
	struct signet_crl_params p;
	struct signet_tbs *tbs = NULL;
	struct signet_issuer *self = NULL;

	(void)state;
	p = params();
	p.next_update_in = 0;
	assert_int_equal(signet_crl_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "nextUpdate"));
	p = params();
	p.delta = 1;
	p.base_crl_number = 7;
	assert_int_equal(signet_crl_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "greater than"));
	p = params();
	p.delta = 1;
	p.base_crl_number = 1;
	p.freshest_url = "http://x/";
	assert_int_equal(signet_crl_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "Freshest"));
	p = params();
	p.idp_url = "http://x/";
	p.idp_only_ca_certs = 1;
	p.idp_only_user_certs = 1;
	assert_int_equal(signet_crl_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	p = params();
	p.idp_url = "http://ex\xc3\xa4mple/";
	assert_int_equal(signet_crl_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	assert_int_equal(signet_issuer_new_self(g.inter.key, &self), 0);
	p = params();
	p.issuer = self;
	assert_int_equal(signet_crl_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "CA certificate"));
	assert_null(tbs);
	signet_issuer_free(self);
	/* RFC 5280 4.2.1.3: only a key with cRLSign signs CRLs. */
	p = params();
	p.issuer = g.nocrl.issuer;
	assert_int_equal(signet_crl_prepare(&p, &tbs), SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "lacks cRLSign"));
	assert_null(tbs);
}

static void
test_crl_number_and_times(void **state)
{
	struct signet_crl_params p = params();
	struct signet_lint_report *rep;
	uint8_t *der;
	size_t len;
	X509_CRL *crl;
	ASN1_INTEGER *num;
	BIGNUM *bn;
	char *dec;

	(void)state;
	/* A CRL number above 2^63 needs a sign octet. */
	p.crl_number = ((uint64_t)1 << 63) + 5;
	p.this_update = (time_t)time_days_from_civil(2051, 1, 1) * DAY;
	assert_int_equal(crl_build(&p, NULL, 0, &der, &len, &rep), 0);
	signet_lint_report_free(rep);
	crl = parse(der, len);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	bn = ASN1_INTEGER_to_BN(num, NULL);
	dec = BN_bn2dec(bn);
	assert_string_equal(dec, "9223372036854775813");
	/* From 2050 on, GeneralizedTime (RFC 5280 5.1.2.4). */
	assert_int_equal(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)),
	    V_ASN1_GENERALIZEDTIME);
	OPENSSL_free(dec);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	free(der);
}

static void
test_crl_sign_checks(void **state)
{
	struct signet_crl_params p = params();
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t *der = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(signet_crl_prepare(&p, &tbs), 0);
	/* Not linted yet: refused. */
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len),
	    SIGNET_ERR_LINT);
	assert_non_null(strstr(signet_error_message(), "not been linted"));
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	signet_lint_report_free(rep);
	/* The root's key is not this CRL's issuer's. */
	assert_int_equal(signet_tbs_sign(tbs, g.root.signer, &der, &len),
	    SIGNET_ERR_VERIFY);
	assert_null(der);
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len), 0);
	assert_non_null(der);
	assert_int_equal(signet_tbs_crl_entries(tbs), 0);
	/* Once only. */
	free(der);
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len),
	    SIGNET_ERR_USAGE);
	signet_tbs_free(tbs);
}

struct seq_iter {
	size_t i, n;
};

static int
seq_next(void *arg, struct signet_crl_entry *e)
{
	struct seq_iter *it = arg;
	size_t k;

	if (it->i == it->n)
		return 0;
	memset(e, 0, sizeof(*e));
	e->serial.len = 18;
	e->serial.v[0] = 0x40;
	for (k = 0; k < 8; k++)
		e->serial.v[17 - k] = (uint8_t)(it->i >> (8 * k));
	e->revoked_at = 1790000000 + (time_t)it->i;
	e->reason = it->i % 4 == 0 ? SIGNET_CRL_REASON_KEY_COMPROMISE
				   : SIGNET_CRL_REASON_NONE;
	it->i++;
	return 1;
}

/* Enough entries that every length is in long form. */
static void
test_crl_many_entries(void **state)
{
	struct seq_iter it = { 0, 20000 };
	struct signet_crl_params p = params();
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	X509_CRL *crl;

	(void)state;
	p.next_entry = seq_next;
	p.next_entry_arg = &it;
	assert_int_equal(signet_crl_prepare(&p, &tbs), 0);
	assert_int_equal(signet_tbs_crl_entries(tbs), 20000);
	assert_int_equal(signet_tbs_lint(tbs, g.ctx, &rep), 0);
	assert_int_equal(signet_lint_report_count(rep), 0);
	signet_lint_report_free(rep);
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len), 0);
	crl = parse(der, len);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 20000);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(g.inter.cert)),
	    1);
	/* signet's own check (db check) agrees, without OpenSSL's objects. */
	assert_int_equal(signet_crl_verify_der(der, len,
			     X509_get0_pubkey(g.inter.cert)),
	    0);
	assert_int_equal(signet_crl_verify_der(der, len,
			     X509_get0_pubkey(g.root.cert)),
	    SIGNET_ERR_VERIFY);
	der[len - 1] ^= 0x01;
	assert_int_equal(signet_crl_verify_der(der, len,
			     X509_get0_pubkey(g.inter.cert)),
	    SIGNET_ERR_VERIFY);
	der[len - 1] ^= 0x01;
	assert_int_equal(signet_crl_verify_der(der, len - 1,
			     X509_get0_pubkey(g.inter.cert)),
	    SIGNET_ERR_VERIFY);
	X509_CRL_free(crl);
	free(der);
	signet_tbs_free(tbs);
}

/* ---- lints --------------------------------------------------------------- */

/* C_NOCRL: the full CRL judged as if a CA without cRLSign had issued it. */
enum cbase { C_FULL, C_DELTA, C_EMPTY, C_CA, C_NOCRL };

static time_t
at(int y, int m, int d)
{
	return (time_t)time_days_from_civil(y, (unsigned)m, (unsigned)d) * DAY;
}

static void
set_time(struct tp *t, time_t when)
{
	struct der_buf b;

	der_buf_init(&b, 0);
	der_put_time(&b, when);
	tp_from_buf(t, &b);
	der_buf_free(&b);
}

static void
m_v1(struct tp_crl *c)
{
	c->version.n = 0;
}

static void
m_no_next(struct tp_crl *c)
{
	c->next_update.n = 0;
}

static void
m_next_before(struct tp_crl *c)
{
	set_time(&c->this_update, at(2026, 11, 20));
	set_time(&c->next_update, at(2026, 11, 19));
}

static void
m_next_11d(struct tp_crl *c)
{
	set_time(&c->this_update, at(2026, 11, 20));
	set_time(&c->next_update, at(2026, 12, 1));
}

static void
m_next_300d(struct tp_crl *c)
{
	set_time(&c->this_update, at(2026, 11, 20));
	set_time(&c->next_update, at(2026, 11, 20) + 300 * DAY);
}

static void
m_next_400d(struct tp_crl *c)
{
	set_time(&c->this_update, at(2026, 11, 20));
	set_time(&c->next_update, at(2026, 11, 20) + 400 * DAY);
}

static void
m_number_del(struct tp_crl *c)
{
	tp_ext_del(c->ext, &c->n_ext, X509_EXT_CRL_NUMBER);
}

static void
m_number_critical(struct tp_crl *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_CRL_NUMBER, 1);
}

static void
m_number_negative(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_CRL_NUMBER, NULL, 0, "0201ff");
}

static void
m_number_21(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_CRL_NUMBER, NULL, 0,
	    "0215010203040506070809101112131415161718192021");
}

static void
m_number_padded(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_CRL_NUMBER, NULL, 0, "02020007");
}

static void
m_number_false_written(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_CRL_NUMBER, NULL, 2, "020107");
}

static void
m_number_null(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_CRL_NUMBER, NULL, 0, "0500");
}

static void
m_number_twice(struct tp_crl *c)
{
	c->ext[c->n_ext] = c->ext[1];
	c->n_ext++;
}

static void
m_aki_del(struct tp_crl *c)
{
	tp_ext_del(c->ext, &c->n_ext, X509_EXT_AKI);
}

static void
m_aki_serial(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_AKI, NULL, 0,
	    "3006800101820101");
}

static void
m_aki_other(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_AKI, NULL, 0,
	    "30168014111111111111111111111111111111111111"
	    "1111");
}

static void
m_revoked_empty(struct tp_crl *c)
{
	c->revoked_present = 1;
	c->n_entries = 0;
}

static void
m_swap(struct tp_crl *c)
{
	struct tp t = c->entry[0];

	c->entry[0] = c->entry[1];
	c->entry[1] = t;
}

static void
m_dup(struct tp_crl *c)
{
	c->entry[1] = c->entry[0];
}

static void
m_serial_negative(struct tp_crl *c)
{
	tp_crl_entry(&c->entry[0], "ff", at(2026, 11, 1), "");
}

static void
m_serial_zero(struct tp_crl *c)
{
	tp_crl_entry(&c->entry[0], "00", at(2026, 11, 1), "");
}

static void
m_reason(struct tp_crl *c, int reason, int critical)
{
	tp_crl_entry(&c->entry[0], "01", at(2026, 11, 1),
	    tp_reason_ext(reason, critical));
}

static void
m_unspecified(struct tp_crl *c)
{
	m_reason(c, 0, 0);
}

static void
m_hold(struct tp_crl *c)
{
	m_reason(c, 6, 0);
}

static void
m_reason_7(struct tp_crl *c)
{
	m_reason(c, 7, 0);
}

static void
m_remove_in_full(struct tp_crl *c)
{
	m_reason(c, 8, 0);
}

static void
m_reason_critical(struct tp_crl *c)
{
	m_reason(c, 1, 1);
}

static void
m_reason_twice(struct tp_crl *c)
{
	char x[128];

	/* Two reasonCode extensions in one entry. */
	snprintf(x, sizeof(x), "3018%s%s", "300a0603551d1504030a0101",
	    "300a0603551d1504030a0104");
	tp_crl_entry(&c->entry[0], "01", at(2026, 11, 1), x);
}

static void
m_entry_unknown_critical(struct tp_crl *c)
{
	tp_crl_entry(&c->entry[0], "01", at(2026, 11, 1),
	    "300d300b06022a030101ff04020500");
}

static void
m_reason_bool_01(struct tp_crl *c)
{
	tp_crl_entry(&c->entry[0], "01", at(2026, 11, 1),
	    "300f300d0603551d1501010104030a0101");
}

static void
m_entry_no_serial(struct tp_crl *c)
{
	tp_hex(&c->entry[0], "300f170d3236313130313030303030305a");
}

static void
m_entry_long_length(struct tp_crl *c)
{
	tp_hex(&c->entry[0], "30811202010117"
			     "0d3236313130313030303030305a");
}

static void
m_entry_gt_2026(struct tp_crl *c)
{
	tp_hex(&c->entry[0], "30140201011"
			     "80f32303236313130313030303030305a");
}

static void
m_this_gt(struct tp_crl *c)
{
	tp_time(&c->this_update, DER_GENERALIZED_TIME, "20261120000000Z");
}

static void
m_next_no_seconds(struct tp_crl *c)
{
	tp_time(&c->next_update, DER_UTC_TIME, "2611270000Z");
}

static void
m_delta_noncritical(struct tp_crl *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_DELTA_CRL, 0);
}

static void
m_idp_noncritical(struct tp_crl *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_IDP, 0);
}

static void
m_idp_false_written(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_IDP, NULL, 1, "3003810100");
}

static void
m_idp_reasons_trailing_zero(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_IDP, NULL, 1, "300483020540");
}

static void
m_freshest_in_delta(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_FRESHEST_CRL, NULL, 0,
	    "3011300fa00da00b8609687474703a2f2f782f");
}

static void
m_freshest_critical(struct tp_crl *c)
{
	tp_ext_crit(c->ext, c->n_ext, X509_EXT_FRESHEST_CRL, 1);
}

static void
m_sig_padding(struct tp_crl *c)
{
	tp_hex(&c->sig, "03020781");
}

static void
m_issuer_unsorted(struct tp_crl *c)
{
	tp_hex(&c->issuer, "301b3119300b06035504030c0454657374"
			   "300a060355040a0c034f7267");
}

static void
m_issuer_printable_at(struct tp_crl *c)
{
	tp_hex(&c->issuer, "3010310e300c060355040313056140622e63");
}

static void
m_issuer_printable(struct tp_crl *c)
{
	tp_hex(&c->issuer, "301c311a301806035504031311"
			   "5465737420496e7465726d656469617465");
}

static void
m_oid_leading_zero(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_UNKNOWN, "2b0601048001", 0,
	    "0500");
}

static void
m_unknown_critical(struct tp_crl *c)
{
	tp_ext_set(c->ext, &c->n_ext, X509_EXT_UNKNOWN, "2a0304", 1, "0500");
}

static void
m_ext_empty(struct tp_crl *c)
{
	c->n_ext = 0;
}

static void
m_inner_alg(struct tp_crl *c)
{
	tp_hex(&c->alg, "300a06082a8648ce3d040303");
}

static void
m_alg_224(struct tp_crl *c)
{
	tp_hex(&c->alg, "300a06082a8648ce3d040301");
	c->outer_alg = c->alg;
}

static void
m_alg_384(struct tp_crl *c)
{
	tp_hex(&c->alg, "300a06082a8648ce3d040303");
	c->outer_alg = c->alg;
}

struct ccase {
	const char *name;
	enum cbase base;
	void (*mutate)(struct tp_crl *c);
	const char *expect;
};

static const struct ccase cases[] = {
	{ "full", C_FULL, NULL, NULL },
	{ "delta", C_DELTA, NULL, NULL },
	{ "empty", C_EMPTY, NULL, NULL },
	{ "CA CRL, 300 days, 365 allowed", C_CA, m_next_300d, NULL },

	{ "v1", C_FULL, m_v1, "e_crl_version_v2" },
	{ "no nextUpdate", C_FULL, m_no_next, "e_crl_next_update_missing" },
	{ "nextUpdate first", C_FULL, m_next_before,
	    "e_crl_next_update_order" },
	{ "11 days", C_FULL, m_next_11d, "e_crl_next_update_max" },
	{ "CA CRL, 400 days", C_CA, m_next_400d, "e_crl_next_update_max" },
	{ "no cRLNumber", C_FULL, m_number_del, "e_crl_number_missing" },
	{ "cRLNumber critical", C_FULL, m_number_critical,
	    "e_crl_number_critical" },
	{ "cRLNumber negative", C_FULL, m_number_negative,
	    "e_crl_number_range" },
	{ "cRLNumber 21 octets", C_FULL, m_number_21, "e_crl_number_range" },
	{ "no AKI", C_FULL, m_aki_del, "e_crl_aki_missing" },
	{ "empty revokedCertificates", C_FULL, m_revoked_empty,
	    "e_crl_revoked_empty" },
	{ "unsorted", C_FULL, m_swap, "e_crl_entries_sorted" },
	{ "duplicate", C_FULL, m_dup, "e_crl_entries_unique" },
	{ "negative serial", C_FULL, m_serial_negative, "e_crl_entry_serial" },
	{ "zero serial", C_FULL, m_serial_zero, "e_crl_entry_serial" },
	{ "unspecified", C_FULL, m_unspecified, "e_crl_reason_unspecified" },
	{ "certificateHold", C_FULL, m_hold, "e_crl_certificate_hold" },
	{ "reason 7", C_FULL, m_reason_7, "e_crl_reason_invalid" },
	{ "removeFromCRL in a full CRL", C_FULL, m_remove_in_full,
	    "e_crl_reason_invalid" },
	{ "removeFromCRL in a delta CRL", C_DELTA, m_remove_in_full, NULL },
	{ "reasonCode critical", C_FULL, m_reason_critical,
	    "e_crl_entry_ext_critical" },
	{ "delta indicator not critical", C_DELTA, m_delta_noncritical,
	    "e_crl_delta_critical" },
	{ "IDP not critical", C_FULL, m_idp_noncritical, "e_crl_idp_critical" },
	{ "freshest in a delta", C_DELTA, m_freshest_in_delta,
	    "e_crl_freshest" },
	{ "freshest critical", C_FULL, m_freshest_critical, "e_crl_freshest" },

	{ "entry without serial", C_FULL, m_entry_no_serial, "e_der_valid" },
	{ "long-form entry length", C_FULL, m_entry_long_length,
	    "e_der_length_minimal" },
	{ "padded cRLNumber", C_FULL, m_number_padded,
	    "e_der_integer_minimal" },
	{ "reason critical 01", C_FULL, m_reason_bool_01,
	    "e_der_boolean_encoding" },
	{ "cRLNumber critical FALSE written", C_FULL, m_number_false_written,
	    "e_der_default_omitted" },
	{ "IDP onlyContainsUserCerts FALSE written", C_FULL,
	    m_idp_false_written, "e_der_default_omitted" },
	{ "signature padding bits", C_FULL, m_sig_padding,
	    "e_der_bitstring_padding" },
	{ "IDP reasons trailing zero", C_FULL, m_idp_reasons_trailing_zero,
	    "e_der_named_bits_minimal" },
	{ "issuer RDN unsorted", C_FULL, m_issuer_unsorted,
	    "e_der_set_sorted" },
	{ "issuer PrintableString '@'", C_FULL, m_issuer_printable_at,
	    "e_der_string_charset" },
	{ "OID 0x80", C_FULL, m_oid_leading_zero, "e_der_oid_encoding" },
	{ "thisUpdate GeneralizedTime 2026", C_FULL, m_this_gt,
	    "e_time_encoding" },
	{ "revocationDate GeneralizedTime 2026", C_FULL, m_entry_gt_2026,
	    "e_time_encoding" },
	{ "nextUpdate without seconds", C_FULL, m_next_no_seconds,
	    "e_time_format" },
	{ "inner algorithm differs", C_FULL, m_inner_alg, "e_sig_alg_match" },
	{ "SHA-224", C_FULL, m_alg_224, "e_sig_alg_allowed" },
	{ "SHA-384 from P-256", C_FULL, m_alg_384, "e_sig_alg_issuer_key" },
	{ "issuer re-encoded", C_FULL, m_issuer_printable,
	    "e_issuer_dn_match" },
	{ "cRLNumber twice", C_FULL, m_number_twice, "e_ext_duplicate" },
	{ "reasonCode twice", C_FULL, m_reason_twice, "e_ext_duplicate" },
	{ "unknown critical", C_FULL, m_unknown_critical,
	    "e_ext_unknown_critical" },
	{ "entry unknown critical", C_FULL, m_entry_unknown_critical,
	    "e_ext_unknown_critical" },
	{ "empty crlExtensions", C_FULL, m_ext_empty, "e_ext_empty" },
	{ "cRLNumber NULL", C_FULL, m_number_null, "e_ext_malformed" },
	{ "AKI with serial", C_FULL, m_aki_serial, "e_aki_keyid_only" },
	{ "AKI of another CA", C_FULL, m_aki_other, "e_aki_issuer_match" },
	{ "issuer without cRLSign", C_NOCRL, NULL, "e_crl_issuer_crlsign" },
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
test_crl_lint_cases(void **state)
{
	struct tp_crl *c = malloc(sizeof(*c));
	struct signet_lint_ctx *ca_ctx = NULL;
	size_t i, k, len;
	uint8_t *der;
	int r, bad = 0;

	(void)state;
	assert_non_null(c);
	assert_int_equal(signet_lint_ctx_new(&ca_ctx), 0);
	assert_int_equal(signet_lint_ctx_set_issuer(ca_ctx, g.inter.cert), 0);
	signet_lint_ctx_set_crl_max_next_update(ca_ctx, 365 * DAY);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ccase *t = &cases[i];
		struct signet_lint_report *rep = NULL;
		const struct signet_lint_finding *f;
		char *text;

		if (t->base == C_DELTA)
			tp_crl_split(g.delta, g.delta_len, c);
		else if (t->base == C_EMPTY)
			tp_crl_split(g.empty, g.empty_len, c);
		else
			tp_crl_split(g.full, g.full_len, c);
		if (t->mutate != NULL)
			t->mutate(c);
		der = tp_crl_join(c, &len);
		r = signet_lint_crl(t->base == C_CA      ? ca_ctx
				    : t->base == C_NOCRL ? g.nocrl_ctx
							 : g.ctx,
		    der, len, &rep);
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
			assert_int_equal(r, SIGNET_ERR_LINT);
			assert_non_null(
			    strstr(signet_error_message(), t->expect));
		}
		free(text);
		signet_lint_report_free(rep);
	}
	signet_lint_ctx_free(ca_ctx);
	free(c);
	assert_int_equal(bad, 0);
}

/*
 * issuingDistributionPoint onlySomeReasons: the named-bit decoder that
 * keyUsage uses. An unused-bits octet over 7 is a malformed BIT STRING
 * (and must not be used as a shift count), not a list ending in zeros.
 */
static void
test_crl_lint_idp_reasons(void **state)
{
	static const struct {
		const char *reasons; /* [3] element, hex */
		const char *expect;  /* NULL: clean */
		const char *absent;
	} t[] = {
		{ "83020640", NULL, NULL },
		{ "8303077f80", NULL, NULL },
		{ "830700ffffffffffff", NULL, NULL },
		{ "830100", NULL, NULL }, /* no reason at all */
		{ "83020540", "e_der_named_bits_minimal", "e_ext_malformed" },
		{ "8302c840", "e_ext_malformed", "e_der_named_bits_minimal" },
		{ "8302ff00", "e_ext_malformed", "e_der_named_bits_minimal" },
		{ "83020840", "e_ext_malformed", "e_der_named_bits_minimal" },
		{ "830107", "e_ext_malformed", "e_der_named_bits_minimal" },
		{ "8300", "e_ext_malformed", "e_der_named_bits_minimal" },
	};
	/* fullName http://x/a */
	static const char full_name[] = "a00ea00c860a687474703a2f2f782f61";
	struct tp_crl *c = malloc(sizeof(*c));
	struct signet_lint_report *rep = NULL;
	char value[256];
	size_t i, len;
	uint8_t *der;
	char *text;
	int r;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t body = (strlen(full_name) + strlen(t[i].reasons)) / 2;

		snprintf(value, sizeof(value), "30%02zx%s%s", body, full_name,
		    t[i].reasons);
		tp_crl_split(g.full, g.full_len, c);
		tp_ext_set(c->ext, &c->n_ext, X509_EXT_IDP, NULL, 1, value);
		der = tp_crl_join(c, &len);
		r = signet_lint_crl(g.ctx, der, len, &rep);
		free(der);
		assert_int_equal(r, t[i].expect == NULL ? 0 : SIGNET_ERR_LINT);
		assert_non_null(rep);
		text = signet_lint_report_text(rep);
		if (t[i].expect == NULL
			? signet_lint_report_count(rep) != 0
			: signet_lint_report_find(rep, t[i].expect) == NULL ||
			      signet_lint_report_find(rep, t[i].absent) != NULL)
			fail_msg("onlySomeReasons %s:\n%s", t[i].reasons, text);
		free(text);
		signet_lint_report_free(rep);
		rep = NULL;
	}
	free(c);
	signet_error_clear();
}

static void
test_crl_lint_table_covered(void **state)
{
	size_t i, n = signet_lint_count(), missing = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		const struct signet_lint_info *l = signet_lint_get(i);

		if (!(l->applies & SIGNET_LINT_CRL))
			continue;
		if (!seen_fail[i]) {
			print_error("no failing CRL case for %s\n", l->id);
			missing++;
		}
		if (!seen_pass[i]) {
			print_error("no passing CRL case for %s\n", l->id);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crl_full_contents),
		cmocka_unit_test(test_crl_delta_and_empty),
		cmocka_unit_test(test_crl_refuses_bad_entries),
		cmocka_unit_test(test_crl_refuses_bad_params),
		cmocka_unit_test(test_crl_number_and_times),
		cmocka_unit_test(test_crl_sign_checks),
		cmocka_unit_test(test_crl_many_entries),
		cmocka_unit_test(test_crl_lint_cases),
		cmocka_unit_test(test_crl_lint_idp_reasons),
		cmocka_unit_test(test_crl_lint_table_covered),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
