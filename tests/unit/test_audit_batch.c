/*
 * signet_audit_append_batch: the same chain as single appends, every entry
 * checked before any is written, checkpoints between entries, failing
 * closed on an unwritable log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "fixture.h"
#include "signet/audit.h"
#include "signet/signer.h"

static EVP_PKEY *key;
static struct signet_signer *signer;

static int
count_lines(const char *path, const char *needle)
{
	size_t len, i, start = 0;
	uint8_t *buf = fx_read(path, &len);
	int n = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = '\0';
		if (needle == NULL || strstr((char *)buf + start, needle))
			n++;
		start = i + 1;
	}
	free(buf);
	return n;
}

/*
 * The "n" of every entry's details, in file order (checkpoints and other
 * records carry none), into n[]; their number.
 */
static size_t
entry_numbers(const char *path, json_int_t *n, size_t max)
{
	size_t len, i, start = 0, count = 0;
	uint8_t *buf = fx_read(path, &len);

	for (i = 0; i < len; i++) {
		json_t *rec, *v;

		if (buf[i] != '\n')
			continue;
		assert_non_null(
		    rec = json_loadb((char *)buf + start, i - start, 0, NULL));
		v = json_object_get(json_object_get(rec, "details"), "n");
		if (v != NULL) {
			assert_true(json_is_integer(v) && count < max);
			n[count++] = json_integer_value(v);
		}
		json_decref(rec);
		start = i + 1;
	}
	free(buf);
	return count;
}

static void
verify_ok(const char *path)
{
	struct signet_audit_verifier *v = NULL;
	const struct signet_audit_summary *s;

	assert_int_equal(signet_audit_verifier_new(SIGNET_AUDIT_VERIFY_STRICT,
			     &v),
	    0);
	assert_int_equal(signet_audit_verifier_add_key(v, key), 0);
	assert_int_equal(signet_audit_verifier_add_file(v, path), 0);
	assert_int_equal(signet_audit_verifier_finish(v), 0);
	s = signet_audit_verifier_get0_summary(v);
	assert_false(s->failed);
	signet_audit_verifier_free(v);
}

static void
test_batch_chains(void **state)
{
	struct signet_audit_entry e[50];
	json_t *d[50];
	json_int_t order[60];
	struct signet_audit *log = NULL;
	const char *path = fx_path("batch.log");
	size_t i;

	(void)state;
	for (i = 0; i < 50; i++) {
		d[i] = json_pack("{s:I}", "n", (json_int_t)i);
		e[i].event = i % 2 ? SIGNET_AUDIT_EV_CERT_ISSUE
				   : SIGNET_AUDIT_EV_CERT_ISSUE_INTENT;
		e[i].outcome =
		    i % 2 ? SIGNET_AUDIT_SUCCESS : SIGNET_AUDIT_INTENT;
		e[i].details = d[i];
	}
	assert_int_equal(signet_audit_open(path, signer, SIGNET_AUDIT_CREATE,
			     &log),
	    0);
	/* Checkpoints fall between the entries of one batch. */
	signet_audit_set_checkpoint_interval(log, 20);
	assert_int_equal(signet_audit_append_batch(log, e, 50), 0);
	assert_int_equal(signet_audit_append_batch(log, e, 0), 0);
	assert_int_equal(signet_audit_sync(log), 0);
	assert_int_equal(signet_audit_close(log), 0);
	assert_int_equal(count_lines(path, "\"event\":\"cert.issue.intent\""),
	    25);
	assert_int_equal(count_lines(path, "\"event\":\"cert.issue\""), 25);
	assert_true(count_lines(path, "\"reason\":\"interval\"") >= 2);
	/* In the order given: entry k is the k-th in the file. */
	assert_int_equal(entry_numbers(path, order, 60), 50);
	for (i = 0; i < 50; i++)
		assert_int_equal(order[i], (json_int_t)i);
	verify_ok(path);
	for (i = 0; i < 50; i++)
		json_decref(d[i]);
}

static void
test_batch_refuses_whole(void **state)
{
	struct signet_audit_entry e[3];
	struct signet_audit *log = NULL;
	const char *path = fx_path("refuse.log");
	json_t *ok = json_pack("{s:s}", "serial", "01");
	json_t *secret = json_pack("{s:s}", "pin", "1234");
	int before;

	(void)state;
	assert_int_equal(signet_audit_open(path, signer, SIGNET_AUDIT_CREATE,
			     &log),
	    0);
	assert_int_equal(signet_audit_sync(log), 0);
	before = count_lines(path, NULL);
	e[0] = (struct signet_audit_entry){ SIGNET_AUDIT_EV_CERT_REVOKE,
		SIGNET_AUDIT_SUCCESS, ok };
	e[1] = (struct signet_audit_entry){ SIGNET_AUDIT_EV_CERT_REVOKE,
		SIGNET_AUDIT_SUCCESS, secret };
	e[2] = e[0];
	assert_int_equal(signet_audit_append_batch(log, e, 3),
	    SIGNET_ERR_INTERNAL);
	assert_non_null(strstr(signet_error_message(), "batch entry 1"));
	assert_int_equal(count_lines(path, NULL), before);
	/* An audit.* event is the log's own. */
	e[1].event = SIGNET_AUDIT_EV_AUDIT_CHECKPOINT;
	e[1].details = ok;
	assert_int_equal(signet_audit_append_batch(log, e, 3),
	    SIGNET_ERR_INTERNAL);
	assert_int_equal(count_lines(path, NULL), before);
	/* The handle is still usable. */
	e[1] = e[0];
	assert_int_equal(signet_audit_append_batch(log, e, 3), 0);
	assert_int_equal(signet_audit_close(log), 0);
	assert_int_equal(count_lines(path, "\"event\":\"cert.revoke\""), 3);
	verify_ok(path);
	json_decref(ok);
	json_decref(secret);
}

static void
test_batch_fails_closed(void **state)
{
	struct signet_audit_entry e = { SIGNET_AUDIT_EV_CERT_REVOKE,
		SIGNET_AUDIT_SUCCESS, NULL };
	struct signet_audit *log = NULL;
	const char *path = fx_path("gone.log");

	(void)state;
	assert_int_equal(signet_audit_open(path, signer, SIGNET_AUDIT_CREATE,
			     &log),
	    0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(signet_audit_append_batch(log, &e, 1),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "deleted"));
	assert_true(signet_audit_is_failed(log));
	assert_int_equal(signet_audit_append_batch(log, &e, 1),
	    SIGNET_ERR_AUDIT);
	signet_audit_free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_chains),
		cmocka_unit_test(test_batch_refuses_whole),
		cmocka_unit_test(test_batch_fails_closed),
	};
	int r;

	key = EVP_EC_gen("P-256");
	if (key == NULL || signet_soft_signer_new(key, &signer) != 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	signet_signer_free(signer);
	EVP_PKEY_free(key);
	return r;
}
