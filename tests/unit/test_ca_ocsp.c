/*
 * OCSP pre-signing through the online CA's API on SoftHSM (tests/common/
 * ca_fixture.c): several responses signed in one call on the worker
 * threads, good and revoked, each judged by OpenSSL's OCSP client code
 * (parsed, signature verified with the CA certificate, status, time and
 * reason); one refused item (a serial that is not hex) and one whose
 * signature is tampered with after signing (fault point, in a child
 * process) fail alone, the others are signed.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca_fixture.h"
#include "fixture.h"
#include "signet/ca.h"

#define N_ITEMS 6
#define BAD_ITEM 3 /* a serial that is not hex */

static char self_exe[PATH_MAX];
static char config[PATH_MAX + 32];
static char ca_pem[PATH_MAX + 32];

static const char *const serials[N_ITEMS] = { "1a01", "1a02", "1a03", "1a04",
	"1a05", "1a06" };

/* Items: good and revoked (keyCompromise, an hour ago) in turn. */
static void
items(struct signet_ca_ocsp_cert *v, int64_t tu, int bad)
{
	size_t i;

	memset(v, 0, N_ITEMS * sizeof(*v));
	for (i = 0; i < N_ITEMS; i++) {
		v[i].serial = bad && i == BAD_ITEM ? "not-hex" : serials[i];
		v[i].revoked = (int)(i & 1);
		v[i].revoked_at = v[i].revoked ? tu - 3600 : 0;
		v[i].reason = v[i].revoked ? 1 : SIGNET_CRL_REASON_NONE;
	}
}

static X509 *
ca_cert_load(void)
{
	FILE *f = fopen(ca_pem, "r");
	X509 *x = NULL;

	if (f != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return x;
}

/*
 * OpenSSL's judgement of one response: 0 if it parses, its signature
 * verifies with the CA certificate, and its one certificate has c's
 * serial and status; else a distinct number.
 */
static int
judge(const struct signet_ca_ocsp_cert *c, int64_t tu, const uint8_t *der,
    size_t len)
{
	const uint8_t *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	STACK_OF(X509) *certs = NULL;
	X509_STORE *st = NULL;
	X509 *ca = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *this_upd = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	struct tm tm;
	int i, reason = -1, ret = 1;

	if (der == NULL ||
	    (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
	    p != der + len)
		goto out;
	ret = 2;
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out;
	ret = 3;
	if ((ca = ca_cert_load()) == NULL ||
	    (certs = sk_X509_new_null()) == NULL || !sk_X509_push(certs, ca) ||
	    (st = X509_STORE_new()) == NULL ||
	    OCSP_basic_verify(bs, certs, st, OCSP_NOVERIFY) != 1)
		goto out;
	ret = 4;
	/* SHA-1 and SHA-256 CertIDs, the same certificate. */
	if (OCSP_resp_count(bs) != 2)
		goto out;
	for (i = 0; i < 2; i++) {
		single = OCSP_resp_get0(bs, i);
		ret = 5;
		if (OCSP_id_get0_info(NULL, NULL, NULL, &serial,
			(OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)) != 1 ||
		    (bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL ||
		    (hex = BN_bn2hex(bn)) == NULL ||
		    OPENSSL_strcasecmp(hex, c->serial) != 0)
			goto out;
		BN_free(bn);
		OPENSSL_free(hex);
		bn = NULL;
		hex = NULL;
		ret = 6;
		if (OCSP_single_get0_status(single, &reason, &rev, &this_upd,
			NULL) != (c->revoked ? V_OCSP_CERTSTATUS_REVOKED
					     : V_OCSP_CERTSTATUS_GOOD) ||
		    ASN1_TIME_to_tm(this_upd, &tm) != 1 ||
		    (int64_t)timegm(&tm) != tu)
			goto out;
		ret = 7;
		if (c->revoked &&
		    (reason != c->reason || ASN1_TIME_to_tm(rev, &tm) != 1 ||
			(int64_t)timegm(&tm) != c->revoked_at))
			goto out;
	}
	ret = 0;
out:
	BN_free(bn);
	OPENSSL_free(hex);
	X509_STORE_free(st);
	sk_X509_free(certs);
	X509_free(ca);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return ret;
}

static int64_t
whole_minute(void)
{
	int64_t now = (int64_t)time(NULL);

	return now - now % 60;
}

/* Several in one call; the refused one fails alone. */
static void
test_ocsp_many(void **state)
{
	struct signet_ca_ocsp_cert v[N_ITEMS];
	struct signet_ca_ocsp_result res[N_ITEMS];
	struct signet_ca *ca = NULL;
	int64_t tu = whole_minute();
	uint8_t *der = NULL;
	size_t i, len = 0;
	int r;

	(void)state;
	if (signet_ca_open(config, SIGNET_CA_OPEN_SIGN, &ca) != 0)
		fail_msg("open: %s", signet_error_message());
	items(v, tu, 1);
	assert_int_equal(signet_ca_ocsp_sign_many(ca, v, N_ITEMS, tu, res), 0);
	for (i = 0; i < N_ITEMS; i++) {
		if (i == BAD_ITEM) {
			assert_int_not_equal(res[i].status, 0);
			assert_null(res[i].der);
			assert_non_null(res[i].message);
			assert_non_null(strstr(res[i].message, "not-hex"));
		} else if (res[i].status != 0)
			fail_msg("response %zu: %s", i, res[i].message);
		else if ((r = judge(&v[i], tu, res[i].der, res[i].der_len)) !=
			 0)
			fail_msg("response %zu: OpenSSL's judgement %d", i, r);
		signet_ca_ocsp_result_clear(&res[i]);
	}
	/* One at a time: the same path, the error on this thread. */
	assert_int_equal(signet_ca_ocsp_sign(ca, &v[0], tu, &der, &len), 0);
	assert_int_equal(judge(&v[0], tu, der, len), 0);
	free(der);
	assert_int_not_equal(signet_ca_ocsp_sign(ca, &v[BAD_ITEM], tu, &der,
				 &len),
	    0);
	assert_null(der);
	assert_non_null(strstr(signet_error_message(), "not-hex"));
	assert_int_equal(signet_ca_ocsp_sign_many(ca, v, 0, tu, res), 0);
	signet_ca_free(ca);
	/* Without SIGNET_CA_OPEN_SIGN nothing is attempted. */
	if (signet_ca_open(config, 0, &ca) != 0)
		fail_msg("open: %s", signet_error_message());
	assert_int_equal(signet_ca_ocsp_sign_many(ca, v, N_ITEMS, tu, res),
	    SIGNET_ERR_USAGE);
	for (i = 0; i < N_ITEMS; i++)
		assert_null(res[i].der);
	signet_ca_free(ca);
}

/*
 * In a child (fault points read SIGNET_FAULT once per process): the third
 * signature is tampered with; its verification after signing refuses that
 * response alone. The exit status says what went wrong.
 */
static int
case_tamper(void)
{
	struct signet_ca_ocsp_cert v[N_ITEMS];
	struct signet_ca_ocsp_result res[N_ITEMS];
	struct signet_ca *ca = NULL;
	int64_t tu = whole_minute();
	size_t i, refused = 0;
	int ret = 0;

	if (signet_ca_open(config, SIGNET_CA_OPEN_SIGN, &ca) != 0)
		return 10;
	items(v, tu, 0);
	if (signet_ca_ocsp_sign_many(ca, v, N_ITEMS, tu, res) != 0)
		ret = 11;
	for (i = 0; ret == 0 && i < N_ITEMS; i++) {
		if (res[i].status == SIGNET_ERR_VERIFY && res[i].der == NULL)
			refused++;
		else if (res[i].status != 0 ||
			 judge(&v[i], tu, res[i].der, res[i].der_len) != 0) {
			fprintf(stderr, "response %zu: %s\n", i,
			    res[i].message != NULL ? res[i].message : "?");
			ret = 12;
		}
	}
	for (i = 0; i < N_ITEMS; i++)
		signet_ca_ocsp_result_clear(&res[i]);
	if (ret == 0 && refused != 1)
		ret = 13;
	signet_ca_free(ca);
	return ret;
}

static void
test_ocsp_many_tamper(void **state)
{
	pid_t pid;
	int st;

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip(); /* the fault point x509.tbs_tamper */
#endif
	fflush(NULL);
	if ((pid = fork()) == 0) {
		setenv("SIGNET_FAULT", "fail:x509.tbs_tamper@3", 1);
		execl(self_exe, self_exe, "--case", config, ca_pem,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ocsp_many),
		cmocka_unit_test(test_ocsp_many_tamper),
	};
	ssize_t n;

	if (argc == 4 && strcmp(argv[1], "--case") == 0) {
		snprintf(config, sizeof(config), "%s", argv[2]);
		snprintf(ca_pem, sizeof(ca_pem), "%s", argv[3]);
		return case_tamper();
	}
	if ((n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1)) <=
	    0)
		return 1;
	self_exe[n] = '\0';
	snprintf(config, sizeof(config), "%s", fx_ca_instance("ocsp", NULL));
	snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", fx_ca_dir());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
