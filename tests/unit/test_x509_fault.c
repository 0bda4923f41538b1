/*
 * The last line of defence: if the bytes that go out after the token signs
 * are not the bytes that were linted, nothing is issued. A fault point
 * (test builds only) flips a bit of the TBS after the token signed it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/x509.h"
#include "x509_fixture.h"

#ifdef SIGNET_TEST_HOOKS

static void
test_tampered_tbs_is_refused(void **state)
{
	static const char *const names[] = { "dns:www.example.com", NULL };
	struct tx_ca root, inter;
	struct signet_request *req;
	struct signet_crl_params p;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t *der = NULL;
	size_t len = 0;

	(void)state;
	/* Signatures 1 and 2: the root and the intermediate. */
	tx_ca_root(&root, "P-256", NULL, "Fault Root");
	tx_ca_sub(&inter, &root, "P-256", NULL, "Fault Intermediate");
	req = tx_request(tx_profile_server(), tx_key("P-256"), NULL, names);
	/* Signature 3 is tampered with. */
	assert_int_equal(tx_issue(&inter, req, NULL, &der, &len, NULL),
	    SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(),
	    "differ from the linted ones; nothing was issued"));
	assert_null(der);
	/* Signature 4 is not. */
	assert_int_equal(tx_issue(&inter, req, NULL, &der, &len, NULL), 0);
	free(der);
	/* Signature 5, a CRL, is tampered with. */
	memset(&p, 0, sizeof(p));
	p.issuer = inter.issuer;
	p.next_update_in = 86400;
	p.crl_number = 1;
	assert_int_equal(signet_crl_prepare(&p, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	signet_lint_report_free(rep);
	der = NULL;
	assert_int_equal(signet_tbs_sign(tbs, inter.signer, &der, &len),
	    SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "CRL's to-be-signed"));
	assert_null(der);
	signet_tbs_free(tbs);
	tx_request_free(req);
	tx_ca_free(&inter);
	tx_ca_free(&root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tampered_tbs_is_refused),
	};

	setenv("SIGNET_FAULT", "fail:x509.tbs_tamper@3,fail:x509.tbs_tamper@5",
	    1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

static void
test_needs_hooks(void **state)
{
	(void)state;
	skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needs_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
