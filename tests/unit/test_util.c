/* Tests for src/util (errors, files, secrets, codecs) and the signer API. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "fixture.h"
#include "signet/error.h"
#include "signet/signer.h"
#include "util/codec.h"
#include "util/file.h"
#include "util/secret.h"

/* ---- errors ------------------------------------------------------------ */

static void
test_error_codes_are_distinct_exit_statuses(void **state)
{
	static const int codes[] = { SIGNET_ERR_INTERNAL, SIGNET_ERR_USAGE,
		SIGNET_ERR_CONFIG, SIGNET_ERR_URI, SIGNET_ERR_POLICY,
		SIGNET_ERR_LINT, SIGNET_ERR_TOKEN, SIGNET_ERR_MODULE,
		SIGNET_ERR_TOKEN_NOT_FOUND, SIGNET_ERR_KEY_NOT_FOUND,
		SIGNET_ERR_PIN_INCORRECT, SIGNET_ERR_PIN_LOCKED,
		SIGNET_ERR_PIN_SOURCE, SIGNET_ERR_KEY_UNSAFE, SIGNET_ERR_CRYPTO,
		SIGNET_ERR_VERIFY, SIGNET_ERR_STORE, SIGNET_ERR_NOT_FOUND,
		SIGNET_ERR_CONFLICT, SIGNET_ERR_IO, SIGNET_ERR_AUDIT };
	size_t i, j;

	(void)state;
	assert_int_equal(signet_exit_code(SIGNET_OK), 0);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		int e = signet_exit_code(codes[i]);

		assert_true(e > 0 && e < 126);
		assert_string_not_equal(signet_strerror(codes[i]),
		    "unknown error");
		for (j = 0; j < i; j++)
			assert_int_not_equal(e, signet_exit_code(codes[j]));
	}
}

static void
test_error_categories(void **state)
{
	static const struct {
		int code;
		const char *cat;
	} t[] = {
		{ SIGNET_ERR_USAGE, "usage" },
		{ SIGNET_ERR_URI, "usage" },
		{ SIGNET_ERR_POLICY, "policy" },
		{ SIGNET_ERR_LINT, "policy" },
		{ SIGNET_ERR_PIN_INCORRECT, "token" },
		{ SIGNET_ERR_CRYPTO, "crypto" },
		{ SIGNET_ERR_CONFLICT, "store" },
		{ SIGNET_ERR_AUDIT, "io" },
		{ SIGNET_ERR_INTERNAL, "internal" },
		{ 7, "internal" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(signet_err_category_name(t[i].code),
		    t[i].cat);
}

static void
test_error_context_prefixes_message(void **state)
{
	int r;

	(void)state;
	r = signet_error_set(SIGNET_ERR_POLICY, "dNSName '%s' not allowed",
	    "a.test");
	r = signet_error_context(r, "request %d", 3);
	assert_int_equal(r, SIGNET_ERR_POLICY);
	assert_string_equal(signet_error_message(),
	    "request 3: dNSName 'a.test' not allowed");
	/* Context for a failure nobody described still says something. */
	signet_error_clear();
	r = signet_error_context(SIGNET_ERR_IO, "writing x");
	assert_string_equal(signet_error_message(), "writing x: I/O error");
	assert_int_equal(signet_error_context(0, "unused"), 0);
}

static void
test_error_sys_keeps_errno(void **state)
{
	(void)state;
	errno = ENOSPC;
	assert_int_equal(signet_error_sys(SIGNET_ERR_IO, "writing"),
	    SIGNET_ERR_IO);
	assert_int_equal(signet_error_last()->sys_errno, ENOSPC);
	assert_non_null(strstr(signet_error_message(), "No space left"));
}

/* ---- files ------------------------------------------------------------- */

static void
test_file_atomic_write_and_read(void **state)
{
	const char *p = fx_path("atomic.txt");
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;

	(void)state;
	assert_int_equal(file_write_atomic(p, "one", 3, 0600), 0);
	assert_int_equal(file_write_atomic(p, "second", 6, 0640), 0);
	assert_int_equal(file_read(p, 100, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "second", 6);
	free(buf);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* No temporary file left behind. */
	assert_int_equal(fx_sh("ls '%s' | grep -q tmp", fx_tmpdir()), 1);
}

static void
test_file_read_limits(void **state)
{
	const char *p = fx_path("big.bin");
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;

	(void)state;
	fx_write(p, "0123456789", 10);
	assert_int_equal(file_read(p, 9, &buf, &len), SIGNET_ERR_IO);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_non_null(strstr(signet_error_message(), "9 byte limit"));
	assert_int_equal(file_read(p, 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	free(buf);
	assert_int_equal(file_read(fx_path("missing"), 10, &buf, &len),
	    SIGNET_ERR_IO);
	assert_non_null(strstr(signet_error_message(), "missing"));
}

static void
test_file_excl_refuses_existing(void **state)
{
	const char *p = fx_path("excl.txt");
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(file_write_excl(p, "first", 5, 0600), 0);
	assert_int_equal(file_write_excl(p, "again", 5, 0600),
	    SIGNET_ERR_CONFLICT);
	assert_non_null(strstr(signet_error_message(), "refusing"));
	assert_int_equal(file_read(p, 100, &buf, &len), 0);
	assert_memory_equal(buf, "first", 5);
	free(buf);
}

static void
test_file_write_to_full_disk_leaves_nothing(void **state)
{
	(void)state;
	/* /dev/full is not a directory: no temp file can be made there. */
	assert_int_equal(file_write_atomic("/dev/full/x", "a", 1, 0600),
	    SIGNET_ERR_IO);
	assert_int_equal(file_write_atomic("/nonexistent-dir/x", "a", 1, 0600),
	    SIGNET_ERR_IO);
	assert_non_null(strstr(signet_error_message(), "nonexistent-dir"));
}

static void
test_file_check_private(void **state)
{
	const char *p = fx_path("conf.yaml");

	(void)state;
	fx_write(p, "x", 1);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(file_check_private(p, 1), 0);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(file_check_private(p, 0), 0);
	assert_int_equal(file_check_private(p, 1), SIGNET_ERR_IO);
	assert_int_equal(chmod(p, 0666), 0);
	assert_int_equal(file_check_private(p, 0), SIGNET_ERR_IO);
	assert_non_null(strstr(signet_error_message(), "chmod"));
}

/* ---- secrets ------------------------------------------------------------ */

static void
test_secret_from_file(void **state)
{
	const char *p = fx_path("pin");
	struct signet_secret *s = NULL;
	size_t len;

	(void)state;
	fx_write(p, "123456\nsecond line\n", 19);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(secret_from_spec(fx_path("pin") - 0, "PIN", &s),
	    SIGNET_ERR_PIN_SOURCE); /* a bare path is not a spec */
	assert_null(s);
	assert_int_equal(secret_from_file(p, "PIN", &s), 0);
	assert_string_equal(secret_get0(s, &len), "123456");
	assert_int_equal(len, 6);
	secret_free(s);
	s = NULL;

	/* A PIN file others can read is refused, and the PIN not shown. */
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(secret_from_file(p, "PIN", &s), SIGNET_ERR_PIN_SOURCE);
	assert_null(s);
	assert_null(strstr(signet_error_message(), "123456"));
	assert_non_null(strstr(signet_error_message(), "chmod 600"));

	fx_write(p, "\n", 1);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(secret_from_file(p, "PIN", &s), SIGNET_ERR_PIN_SOURCE);
	assert_non_null(strstr(signet_error_message(), "empty"));
	assert_int_equal(secret_from_file(fx_path("nopin"), "PIN", &s),
	    SIGNET_ERR_PIN_SOURCE);
}

static void
test_secret_from_env_is_wiped(void **state)
{
	struct signet_secret *s = NULL;

	(void)state;
	setenv("SIGNET_TEST_PIN", "987654", 1);
	assert_int_equal(secret_from_spec("env:SIGNET_TEST_PIN", "PIN", &s), 0);
	assert_string_equal(secret_get0(s, NULL), "987654");
	assert_null(getenv("SIGNET_TEST_PIN"));
	secret_free(s);
	s = NULL;
	assert_int_equal(secret_from_spec("env:SIGNET_TEST_PIN", "PIN", &s),
	    SIGNET_ERR_PIN_SOURCE);
	assert_non_null(strstr(signet_error_message(), "SIGNET_TEST_PIN"));
	assert_int_equal(secret_from_spec("ldap:x", "PIN", &s),
	    SIGNET_ERR_PIN_SOURCE);
	secret_free(NULL);
}

/* ---- codecs ------------------------------------------------------------- */

static void
test_hex(void **state)
{
	uint8_t out[4];
	size_t len;
	char text[9];

	(void)state;
	assert_int_equal(hex_decode("0aFF:10", out, sizeof(out), &len), 0);
	assert_int_equal(len, 3);
	hex_encode(out, len, text);
	assert_string_equal(text, "0aff10");
	assert_int_equal(hex_decode("abc", out, sizeof(out), &len),
	    SIGNET_ERR_USAGE);
	assert_int_equal(hex_decode("zz", out, sizeof(out), &len),
	    SIGNET_ERR_USAGE);
	assert_int_equal(hex_decode("0102030405", out, sizeof(out), &len),
	    SIGNET_ERR_USAGE);
	assert_int_equal(hex_decode(":01", out, sizeof(out), &len),
	    SIGNET_ERR_USAGE);
}

static void
test_durations(void **state)
{
	static const struct {
		const char *in;
		int64_t secs;
		int ok;
	} t[] = {
		{ "90d", 90 * 86400, 1 },
		{ "12h", 12 * 3600, 1 },
		{ "1d12h30m5s", 86400 + 12 * 3600 + 30 * 60 + 5, 1 },
		{ "0s", 0, 1 },
		{ "", 0, 0 },
		{ "90", 0, 0 },
		{ "d", 0, 0 },
		{ "-5d", 0, 0 },
		{ "5y", 0, 0 },
		{ "99999999999999999d", 0, 0 },
	};
	size_t i;
	int64_t v;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = duration_parse(t[i].in, &v);

		if (t[i].ok) {
			assert_int_equal(r, 0);
			assert_int_equal(v, t[i].secs);
		} else
			assert_int_equal(r, SIGNET_ERR_USAGE);
	}
}

static void
test_times(void **state)
{
	time_t t;
	char buf[21];

	(void)state;
	assert_int_equal(time_parse("2050-01-01T00:00:00Z", &t), 0);
	assert_int_equal((long long)t, 2524608000LL);
	time_format(t, buf);
	assert_string_equal(buf, "2050-01-01T00:00:00Z");
	assert_int_equal(time_parse("2050-01-01 00:00:00", &t),
	    SIGNET_ERR_USAGE);
	assert_int_equal(time_parse("2050-01-01T00:00:00Zjunk", &t),
	    SIGNET_ERR_USAGE);
}

/* ---- signers ------------------------------------------------------------ */

static EVP_PKEY *
make_key(const char *spec)
{
	if (strncmp(spec, "rsa", 3) == 0)
		return EVP_RSA_gen(2048);
	return EVP_EC_gen(spec);
}

static void
test_soft_signer_roundtrip(void **state)
{
	static const struct {
		const char *key;
		int pss;
		enum signet_sig_alg alg;
	} t[] = {
		{ "prime256v1", 0, SIGNET_SIG_ECDSA_SHA256 },
		{ "secp384r1", 0, SIGNET_SIG_ECDSA_SHA384 },
		{ "secp521r1", 0, SIGNET_SIG_ECDSA_SHA512 },
		{ "rsa", 0, SIGNET_SIG_RSA_PKCS1_SHA256 },
		{ "rsa", 1, SIGNET_SIG_RSA_PSS_SHA256 },
	};
	static const uint8_t tbs[] = "to be signed";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		EVP_PKEY *k = make_key(t[i].key), *other;
		struct signet_signer *s = NULL;
		enum signet_sig_alg alg;
		uint8_t *sig = NULL;
		size_t siglen = 0;

		assert_non_null(k);
		assert_int_equal(signet_sig_alg_for_key(k, t[i].pss, &alg), 0);
		assert_int_equal(alg, t[i].alg);
		assert_int_equal(signet_soft_signer_new(k, &s), 0);
		assert_false(signet_signer_is_hardware(s));
		assert_string_equal(signet_signer_kind(s), "software");
		assert_int_equal(signet_signer_sign(s, alg, tbs, sizeof(tbs),
				     &sig, &siglen),
		    0);
		assert_int_equal(signet_verify(k, alg, tbs, sizeof(tbs), sig,
				     siglen),
		    0);
		/* One changed byte of the data, or another key: refused. */
		assert_int_equal(signet_verify(k, alg, tbs, sizeof(tbs) - 1,
				     sig, siglen),
		    SIGNET_ERR_VERIFY);
		assert_int_equal(signet_throwaway_key_new(k, &other), 0);
		assert_int_equal(signet_verify(other, alg, tbs, sizeof(tbs),
				     sig, siglen),
		    SIGNET_ERR_VERIFY);
		/* The throwaway key signs with the same algorithm. */
		{
			enum signet_sig_alg oalg;

			assert_int_equal(signet_sig_alg_for_key(other, t[i].pss,
					     &oalg),
			    0);
			assert_int_equal(oalg, alg);
		}
		EVP_PKEY_free(other);
		free(sig);
		signet_signer_free(s);
		EVP_PKEY_free(k);
	}
}

static void
test_signer_rejects_wrong_digest_length(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("prime256v1");
	struct signet_signer *s = NULL;
	uint8_t digest[20] = { 0 }, sig[SIGNET_SIG_MAX];
	size_t siglen = sizeof(sig);

	(void)state;
	assert_int_equal(signet_soft_signer_new(k, &s), 0);
	assert_int_equal(signet_signer_sign_digest(s, SIGNET_SIG_ECDSA_SHA256,
			     digest, sizeof(digest), sig, &siglen),
	    SIGNET_ERR_INTERNAL);
	signet_signer_free(s);
	signet_signer_free(NULL);
	EVP_PKEY_free(k);
}

static void
test_sig_alg_refuses_other_curves(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("secp256k1");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	enum signet_sig_alg alg;

	(void)state;
	assert_int_equal(signet_sig_alg_for_key(k, 0, &alg), SIGNET_ERR_CRYPTO);
	assert_non_null(strstr(signet_error_message(), "secp256k1"));
	assert_int_equal(signet_sig_alg_for_key(ed, 0, &alg),
	    SIGNET_ERR_CRYPTO);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_codes_are_distinct_exit_statuses),
		cmocka_unit_test(test_error_categories),
		cmocka_unit_test(test_error_context_prefixes_message),
		cmocka_unit_test(test_error_sys_keeps_errno),
		cmocka_unit_test(test_file_atomic_write_and_read),
		cmocka_unit_test(test_file_read_limits),
		cmocka_unit_test(test_file_excl_refuses_existing),
		cmocka_unit_test(test_file_write_to_full_disk_leaves_nothing),
		cmocka_unit_test(test_file_check_private),
		cmocka_unit_test(test_secret_from_file),
		cmocka_unit_test(test_secret_from_env_is_wiped),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_soft_signer_roundtrip),
		cmocka_unit_test(test_signer_rejects_wrong_digest_length),
		cmocka_unit_test(test_sig_alg_refuses_other_curves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
