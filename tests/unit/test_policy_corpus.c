/*
 * The hostile CSR corpus (tests/data/csr/, made by
 * tests/data/make-csr-corpus.sh): every request is checked against its
 * profile in policies/default.yaml and must end as expected.txt says.
 * Requests expected to pass are also verified by openssl, as a judge.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "signet/policy.h"
#include "util/file.h"

struct corpus_row {
	char file[128];
	char profile[64];
	char result[16];
	char message[256];
};

static struct signet_policy *policy;

static int
setup(void **state)
{
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/policies/default.yaml",
	    fx_source_dir());
	if (signet_policy_load(path, &policy) != 0) {
		fprintf(stderr, "%s\n", signet_error_message());
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	signet_policy_free(policy);
	return 0;
}

static const char *
corpus_dir(void)
{
	static char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests/data/csr", fx_source_dir());
	return dir;
}

/* Rows of expected.txt; *n set. */
static struct corpus_row *
corpus_rows(size_t *n)
{
	char path[4200], line[600];
	struct corpus_row *rows = NULL;
	FILE *f;
	int used;

	*n = 0;
	snprintf(path, sizeof(path), "%s/expected.txt", corpus_dir());
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		struct corpus_row row;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		memset(&row, 0, sizeof(row));
		assert_int_equal(sscanf(line, "%127s %63s %15s %n", row.file,
				     row.profile, row.result, &used),
		    3);
		snprintf(row.message, sizeof(row.message), "%s", line + used);
		assert_non_null(rows = realloc(rows, (*n + 1) * sizeof(*rows)));
		rows[(*n)++] = row;
	}
	fclose(f);
	return rows;
}

static void
test_corpus_is_complete(void **state)
{
	struct corpus_row *rows;
	struct dirent *de;
	size_t n, i, files = 0;
	DIR *d;

	(void)state;
	rows = corpus_rows(&n);
	assert_true(n >= 60);
	assert_non_null(d = opendir(corpus_dir()));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "expected.txt") == 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(rows[i].file, de->d_name) == 0)
				break;
		if (i == n)
			fail_msg("%s has no line in expected.txt", de->d_name);
		files++;
	}
	closedir(d);
	assert_int_equal(files, n);
	free(rows);
}

static void
test_corpus_results(void **state)
{
	struct corpus_row *rows;
	size_t n, i, len, failures = 0, refused = 0;
	char path[4400];

	(void)state;
	rows = corpus_rows(&n);
	for (i = 0; i < n; i++) {
		const struct signet_profile *profile;
		struct signet_request *req = NULL;
		uint8_t *data;
		int r;

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(),
		    rows[i].file);
		assert_int_equal(signet_policy_find(policy, rows[i].profile,
				     &profile),
		    0);
		assert_int_equal(file_read(path, SIGNET_FILE_MAX_INPUT, &data,
				     &len),
		    0);
		r = signet_request_from_csr(profile, data, len, NULL, &req);
		free(data);
		if (strcmp(rows[i].result, "OK") == 0) {
			if (r != 0) {
				print_message("%s: expected OK, got %d: %s\n",
				    rows[i].file, r, signet_error_message());
				failures++;
			} else if (req->n_sans == 0 && !profile->is_ca) {
				print_message("%s: accepted without SANs\n",
				    rows[i].file);
				failures++;
			}
		} else {
			assert_string_equal(rows[i].result, "POLICY");
			refused++;
			if (r != SIGNET_ERR_POLICY ||
			    strstr(signet_error_message(), rows[i].message) ==
				NULL) {
				print_message("%s: expected refusal with "
					      "\"%s\", got %d: %s\n",
				    rows[i].file, rows[i].message, r,
				    signet_error_message());
				failures++;
			}
		}
		signet_request_free(req);
	}
	free(rows);
	assert_true(refused >= 50);
	assert_int_equal(failures, 0);
}

/* openssl agrees that the accepted requests are sound. */
static void
test_corpus_accepted_verify_with_openssl(void **state)
{
	struct corpus_row *rows;
	size_t n, i, judged = 0;
	char *out;
	int status;

	(void)state;
	if (!fx_have("openssl"))
		skip();
	rows = corpus_rows(&n);
	for (i = 0; i < n; i++) {
		const char *inform;

		if (strcmp(rows[i].result, "OK") != 0)
			continue;
		inform = strstr(rows[i].file, ".der") != NULL ? "DER" : "PEM";
		/* openssl 3.0 exits 0 either way: read what it says. */
		out = fx_sh_output(&status,
		    "openssl req -verify -noout -inform %s -in '%s/%s' 2>&1",
		    inform, corpus_dir(), rows[i].file);
		assert_non_null(out);
		if (strstr(out, "verify OK") == NULL)
			fail_msg("openssl rejects %s: %s", rows[i].file, out);
		free(out);
		judged++;
	}
	free(rows);
	assert_true(judged >= 8);
}

/* And that a refused one with a bad signature really is bad. */
static void
test_corpus_bad_signature_fails_openssl(void **state)
{
	char *out;
	int status;

	(void)state;
	if (!fx_have("openssl"))
		skip();
	out = fx_sh_output(&status,
	    "openssl req -verify -noout -inform DER -in '%s/sig-bad.der' 2>&1",
	    corpus_dir());
	assert_non_null(out);
	assert_non_null(strstr(out, "verify failure"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_is_complete),
		cmocka_unit_test(test_corpus_results),
		cmocka_unit_test(test_corpus_accepted_verify_with_openssl),
		cmocka_unit_test(test_corpus_bad_signature_fails_openssl),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
