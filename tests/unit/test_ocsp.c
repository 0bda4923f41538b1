/*
 * OCSP responses: built, linted against the store's status, signed and
 * read back by OpenSSL's OCSP code (the client side nginx and openssl
 * ocsp use), for SHA-1 and SHA-256 CertIDs; and the lints failing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "fixture.h"
#include "signet/lint.h"
#include "signet/signer.h"
#include "signet/x509.h"
#include "util/der.h"
#include "x509_fixture.h"

#define DAY ((int64_t)86400)
#define T0 ((time_t)1790000040) /* a whole minute */

static struct {
	struct tx_ca root;
	struct tx_ca other; /* another CA, same key type */
	struct tx_ca rsa;   /* another CA, RSA */
	X509 *leaf;
	uint8_t *leaf_der;
	size_t leaf_len;
	/* A delegated responder under root, and one without nocheck. */
	struct signet_profile *resp_profile;
	EVP_PKEY *resp_key;
	struct signet_signer *resp_signer;
	uint8_t *resp_der, *resp_bad_der;
	size_t resp_len, resp_bad_len;
} g;

static void
issue_responder(int nocheck, uint8_t **der, size_t *len)
{
	static const char *const none[] = { NULL };
	struct signet_request *req;

	g.resp_profile->ext_key_usage =
	    nocheck ? SIGNET_EKU_OCSP_SIGNING : SIGNET_EKU_CODE_SIGNING;
	req = tx_request(g.resp_profile, g.resp_key, "OCSP Responder", none);
	if (tx_issue(&g.root, req, g.root.signer, der, len, NULL) != 0)
		fail_msg("issuing the responder: %s", signet_error_message());
	tx_request_free(req);
}

static int
setup(void **state)
{
	struct signet_request *req;
	uint8_t *der = NULL;
	const uint8_t *p;
	size_t len = 0;
	EVP_PKEY *key;
	static const char *const names[] = { "dns:www.example.com", NULL };

	(void)state;
	tx_ca_root(&g.root, "P-256", NULL, "OCSP Root");
	key = tx_key("P-256");
	req = tx_request(tx_profile_server(), key, "www.example.com", names);
	if (tx_issue(&g.root, req, g.root.signer, &der, &len, NULL) != 0)
		fail_msg("issue: %s", signet_error_message());
	p = der;
	g.leaf = d2i_X509(NULL, &p, (long)len);
	assert_non_null(g.leaf);
	g.leaf_der = der;
	g.leaf_len = len;
	tx_ca_root(&g.other, "P-256", NULL, "Other Root");
	tx_ca_root(&g.rsa, "RSA", NULL, "RSA Root");
	tx_request_free(req);
	g.resp_profile = tx_profile_dup(tx_profile_mtls());
	g.resp_profile->require_san = 0;
	g.resp_profile->cn = SIGNET_CN_OPTIONAL;
	g.resp_profile->crl_urls.n = 0;
	g.resp_key = tx_key("P-256");
	if (signet_soft_signer_new(g.resp_key, &g.resp_signer) != 0)
		fail_msg("signer: %s", signet_error_message());
	issue_responder(1, &g.resp_der, &g.resp_len);
	/* codeSigning instead: no OCSPSigning, no nocheck. */
	issue_responder(0, &g.resp_bad_der, &g.resp_bad_len);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(g.leaf);
	free(g.leaf_der);
	tx_ca_free(&g.root);
	tx_ca_free(&g.other);
	tx_ca_free(&g.rsa);
	signet_signer_free(g.resp_signer);
	EVP_PKEY_free(g.resp_key);
	free(g.resp_der);
	free(g.resp_bad_der);
	tx_profile_free(g.resp_profile);
	return 0;
}

static struct signet_ocsp_params
params(int revoked)
{
	struct signet_ocsp_params p;
	const ASN1_INTEGER *s = X509_get0_serialNumber(g.leaf);

	memset(&p, 0, sizeof(p));
	p.issuer = g.root.issuer;
	p.serial.len = (size_t)s->length;
	memcpy(p.serial.v, s->data, p.serial.len);
	p.this_update = T0;
	p.lifetime = 4 * DAY;
	p.reason = SIGNET_CRL_REASON_NONE;
	if (revoked) {
		p.revoked = 1;
		p.revoked_at = T0 - 3600;
		p.reason = SIGNET_CRL_REASON_KEY_COMPROMISE;
	}
	return p;
}

static int
build(const struct signet_ocsp_params *p, uint8_t **der, size_t *len,
    struct signet_lint_report **rep)
{
	struct signet_tbs *tbs = NULL;
	uint8_t *basic = NULL;
	size_t blen = 0;
	int r;

	*der = NULL;
	if ((r = signet_ocsp_prepare(p, &tbs)) != 0)
		return r;
	if ((r = signet_tbs_lint(tbs, NULL, rep)) == 0 &&
	    (r = signet_tbs_sign(tbs,
		 p->responder_cert != NULL ? g.resp_signer : g.root.signer,
		 &basic, &blen)) == 0)
		r = signet_ocsp_response_wrap(basic, blen, der, len);
	free(basic);
	signet_tbs_free(tbs);
	return r;
}

/* What OpenSSL's client makes of it, for one CertID hash. */
static int
openssl_status(const uint8_t *der, size_t len, const EVP_MD *md, int *reason,
    ASN1_GENERALIZEDTIME **rev)
{
	const uint8_t *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	X509_STORE *st = X509_STORE_new();
	ASN1_GENERALIZEDTIME *tu = NULL, *nu = NULL;
	STACK_OF(X509) * certs;
	int status = -1;

	assert_non_null(resp);
	assert_true(p == der + len);
	assert_int_equal(OCSP_response_status(resp),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	X509_STORE_add_cert(st, g.root.cert);
	/* The CA signs: its certificate is the signer, not in the response. */
	certs = sk_X509_new_null();
	sk_X509_push(certs, g.root.cert);
	assert_int_equal(OCSP_basic_verify(bs, certs, st, 0), 1);
	sk_X509_free(certs);
	id = OCSP_cert_id_new(md, X509_get_subject_name(g.root.cert),
	    X509_get0_pubkey_bitstr(g.root.cert),
	    X509_get0_serialNumber(g.leaf));
	if (OCSP_resp_find_status(bs, id, &status, reason, rev, &tu, &nu) != 1)
		status = -1;
	else {
		int days = 0, secs = 0;

		assert_int_equal(ASN1_TIME_diff(&days, &secs, tu, nu), 1);
		assert_int_equal(days, 4);
		assert_int_equal(secs, 0);
		*rev = *rev != NULL ? ASN1_STRING_dup(*rev) : NULL;
	}
	OCSP_CERTID_free(id);
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return status;
}

static void
test_ocsp_good_and_revoked(void **state)
{
	struct signet_ocsp_params p;
	struct signet_lint_report *rep = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int reason = -2;
	time_t t;

	(void)state;
	p = params(0);
	assert_int_equal(build(&p, &der, &len, &rep), 0);
	signet_lint_report_free(rep);
	assert_int_equal(openssl_status(der, len, EVP_sha1(), &reason, &rev),
	    V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(openssl_status(der, len, EVP_sha256(), &reason, &rev),
	    V_OCSP_CERTSTATUS_GOOD);
	/* A hash the response does not carry finds nothing. */
	assert_int_equal(openssl_status(der, len, EVP_sha384(), &reason, &rev),
	    -1);
	free(der);

	p = params(1);
	assert_int_equal(build(&p, &der, &len, &rep), 0);
	signet_lint_report_free(rep);
	assert_int_equal(openssl_status(der, len, EVP_sha256(), &reason, &rev),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	assert_non_null(rev);
	assert_int_equal(ASN1_TIME_to_tm(rev, NULL), 1);
	{
		struct tm tm;

		assert_int_equal(ASN1_TIME_to_tm(rev, &tm), 1);
		t = timegm(&tm);
		assert_int_equal(t, T0 - 3600);
	}
	ASN1_STRING_free(rev);
	free(der);
}

static void
test_ocsp_refuses_bad_params(void **state)
{
	struct signet_ocsp_params p;
	struct signet_tbs *tbs = NULL;

	(void)state;
	p = params(0);
	p.this_update = T0 + 1; /* not a whole minute */
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	p = params(0);
	p.lifetime = 0;
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	p = params(1);
	p.reason = SIGNET_CRL_REASON_CERTIFICATE_HOLD;
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	p = params(0);
	p.serial.len = 0;
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	assert_null(tbs);
}

/* Lint a response against an expectation; 1 if lint id failed. */
static int lint_fails_as(X509 *issuer, const uint8_t *basic, size_t len,
    const struct signet_lint_ocsp_expect *x, const char *id);

static int
lint_fails(const uint8_t *basic, size_t len,
    const struct signet_lint_ocsp_expect *x, const char *id)
{
	return lint_fails_as(g.root.cert, basic, len, x, id);
}

static int
lint_fails_as(X509 *issuer, const uint8_t *basic, size_t len,
    const struct signet_lint_ocsp_expect *x, const char *id)
{
	struct signet_lint_ctx *ctx = NULL;
	struct signet_lint_report *rep = NULL;
	int failed, r;

	assert_int_equal(signet_lint_ctx_new(&ctx), 0);
	assert_int_equal(signet_lint_ctx_set_issuer(ctx, issuer), 0);
	r = signet_lint_ocsp(ctx, basic, len, x, &rep);
	assert_non_null(rep);
	assert_true(r == 0 || r == SIGNET_ERR_LINT);
	failed = signet_lint_report_find(rep, id) != NULL;
	assert_true(signet_lint_report_ran(rep, id) || !failed);
	signet_lint_report_free(rep);
	signet_lint_ctx_free(ctx);
	return failed;
}

static void
test_ocsp_lints(void **state)
{
	struct signet_ocsp_params p = params(0);
	struct signet_lint_ocsp_expect x;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	const uint8_t *lint;
	uint8_t *copy;
	size_t len;

	(void)state;
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), 0);
	lint = signet_tbs_get0_lint_der(tbs, &len);
	assert_non_null(lint);
	memset(&x, 0, sizeof(x));
	x.serial = p.serial.v;
	x.serial_len = p.serial.len;
	x.reason = SIGNET_CRL_REASON_NONE;
	assert_false(lint_fails(lint, len, &x, "e_ocsp_status_store"));
	assert_false(lint_fails(lint, len, &x, "e_ocsp_responder_id"));
	assert_false(lint_fails(lint, len, &x, "e_ocsp_cert_id"));
	assert_false(lint_fails(lint, len, &x, "e_ocsp_validity"));
	assert_false(lint_fails(lint, len, &x, "e_ocsp_sig_alg"));
	assert_false(lint_fails(lint, len, &x, "e_ocsp_der"));
	/* The store says revoked: a good response must not be signed. */
	x.revoked = 1;
	x.revoked_at = T0;
	assert_true(lint_fails(lint, len, &x, "e_ocsp_status_store"));
	x.revoked = 0;
	x.serial_len--;
	assert_true(lint_fails(lint, len, &x, "e_ocsp_status_store"));
	x.serial_len++;
	/* Trailing bytes, truncation. */
	copy = malloc(len + 1);
	memcpy(copy, lint, len);
	copy[len] = 0;
	assert_true(lint_fails(copy, len + 1, &x, "e_ocsp_der"));
	assert_true(lint_fails(copy, len - 3, &x, "e_ocsp_der"));
	free(copy);

	/* Judged as another CA's: neither its name nor its key. */
	assert_true(
	    lint_fails_as(g.other.cert, lint, len, &x, "e_ocsp_responder_id"));
	assert_true(
	    lint_fails_as(g.other.cert, lint, len, &x, "e_ocsp_cert_id"));
	assert_false(
	    lint_fails_as(g.other.cert, lint, len, &x, "e_ocsp_sig_alg"));
	/* An ECDSA signature for an RSA issuer. */
	assert_true(lint_fails_as(g.rsa.cert, lint, len, &x, "e_ocsp_sig_alg"));
	/* A responder certificate without OCSPSigning and nocheck. */
	{
		struct der_buf b;
		const uint8_t *d;
		size_t dl, outer, c0, seq;

		der_buf_init(&b, 0);
		outer = der_begin(&b, DER_SEQUENCE);
		/* The lint object's contents: after its 4-byte header. */
		assert_true(len > 4 && lint[1] == 0x82);
		der_put_raw(&b, lint + 4, len - 4);
		c0 = der_begin(&b, DER_CONTEXT_CONS(0));
		seq = der_begin(&b, DER_SEQUENCE);
		der_put_raw(&b, g.leaf_der, g.leaf_len);
		der_end(&b, seq);
		der_end(&b, c0);
		der_end(&b, outer);
		d = der_buf_data(&b, &dl);
		assert_false(
		    lint_fails(lint, len, &x, "e_ocsp_responder_nocheck"));
		assert_true(lint_fails(d, dl, &x, "e_ocsp_responder_nocheck"));
		der_buf_free(&b);
	}
	signet_tbs_free(tbs);
	tbs = NULL;

	/* Too long a lifetime fails e_ocsp_validity and is not signed. */
	p = params(0);
	p.lifetime = 11 * DAY;
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), SIGNET_ERR_LINT);
	assert_non_null(signet_lint_report_find(rep, "e_ocsp_validity"));
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
}

/* A delegated responder: byKey, its certificate in certs, its key signs. */
static void
test_ocsp_delegated(void **state)
{
	struct signet_ocsp_params p;
	struct signet_lint_report *rep = NULL;
	struct signet_tbs *tbs = NULL;
	uint8_t *der = NULL, *basic = NULL;
	size_t len = 0, blen = 0;
	const uint8_t *q;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	const ASN1_OCTET_STRING *kid = NULL;
	const X509_NAME *rname = NULL;
	X509_STORE *st;
	OCSP_CERTID *id;
	int status = -1;

	(void)state;
	p = params(1);
	p.responder_cert = g.resp_der;
	p.responder_cert_len = g.resp_len;
	p.responder_pub = g.resp_key;
	assert_int_equal(build(&p, &der, &len, &rep), 0);
	signet_lint_report_free(rep);
	rep = NULL;
	q = der;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &q, (long)len));
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	/* byKey, and OpenSSL finds the signer in certs. */
	assert_int_equal(OCSP_resp_get0_id(bs, &kid, &rname), 1);
	assert_non_null(kid);
	assert_null(rname);
	assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	st = X509_STORE_new();
	X509_STORE_add_cert(st, g.root.cert);
	/* Chain to the root, OCSPSigning checked: no flags, no extra certs. */
	assert_int_equal(OCSP_basic_verify(bs, NULL, st, 0), 1);
	id = OCSP_cert_id_new(EVP_sha256(), X509_get_subject_name(g.root.cert),
	    X509_get0_pubkey_bitstr(g.root.cert),
	    X509_get0_serialNumber(g.leaf));
	assert_int_equal(OCSP_resp_find_status(bs, id, &status, NULL, NULL,
			     NULL, NULL),
	    1);
	assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
	OCSP_CERTID_free(id);
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	free(der);

	/* The CA's signer does not fit a delegated response. */
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	signet_lint_report_free(rep);
	rep = NULL;
	assert_int_equal(signet_tbs_sign(tbs, g.root.signer, &basic, &blen),
	    SIGNET_ERR_VERIFY);
	signet_tbs_free(tbs);
	tbs = NULL;

	/* A certificate for another key is refused before anything. */
	p.responder_pub = g.root.key;
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), SIGNET_ERR_USAGE);
	assert_null(tbs);

	/* No OCSPSigning, no nocheck: e_ocsp_responder_nocheck. */
	p.responder_pub = g.resp_key;
	p.responder_cert = g.resp_bad_der;
	p.responder_cert_len = g.resp_bad_len;
	assert_int_equal(signet_ocsp_prepare(&p, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), SIGNET_ERR_LINT);
	assert_non_null(
	    signet_lint_report_find(rep, "e_ocsp_responder_nocheck"));
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ocsp_good_and_revoked),
		cmocka_unit_test(test_ocsp_delegated),
		cmocka_unit_test(test_ocsp_refuses_bad_params),
		cmocka_unit_test(test_ocsp_lints),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
