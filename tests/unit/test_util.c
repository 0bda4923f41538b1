/* Tests for src/util (errors, files, secrets, codecs) and the signer API. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "fixture.h"
#include "signet/crl_reason.h"
#include "signet/error.h"
#include "signet/signer.h"
#include "util/codec.h"
#include "util/file.h"
#include "util/pem.h"
#include "util/secret.h"
#include "util/text.h"

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
test_file_path_join(void **state)
{
	static const struct {
		const char *dir, *name, *want;
	} cases[] = {
		{ "certs", "a.crt", "certs/a.crt" },
		/* A directory given as "certs/" on a command line. */
		{ "certs/", "a.crt", "certs/a.crt" },
		{ "/", "a.crt", "/a.crt" },
		{ "certs", "/abs/a.crt", "/abs/a.crt" },
		{ "", "a.crt", "a.crt" },
		{ NULL, "a.crt", "a.crt" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = file_path_join(cases[i].dir, cases[i].name);

		assert_non_null(p);
		assert_string_equal(p, cases[i].want);
		free(p);
	}
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

/*
 * A device or FIFO is written in place: renaming a temporary file over it
 * would replace the node (as root, /dev/full itself). Symbolic links in
 * the test's directory stand for the nodes, so a regression replaces only
 * the link.
 */
static void
test_file_write_to_device_keeps_the_node(void **state)
{
	const char *null_link = fx_path("null-link");
	const char *full_link = fx_path("full-link");
	struct stat st;

	(void)state;
	assert_int_equal(symlink("/dev/null", null_link), 0);
	assert_int_equal(symlink("/dev/full", full_link), 0);
	assert_int_equal(file_write_atomic(null_link, "cert", 4, 0644), 0);
	assert_int_equal(lstat(null_link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(file_write_atomic(full_link, "cert", 4, 0644),
	    SIGNET_ERR_IO);
	assert_int_equal(signet_error_last()->sys_errno, ENOSPC);
	assert_non_null(strstr(signet_error_message(), "cannot write"));
	assert_non_null(strstr(signet_error_message(), full_link));
	assert_int_equal(lstat(full_link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A directory is refused, not renamed over. */
	assert_int_equal(file_write_atomic(fx_tmpdir(), "x", 1, 0644),
	    SIGNET_ERR_IO);
	assert_non_null(strstr(signet_error_message(), "a directory"));
	assert_int_equal(fx_sh("ls '%s' | grep -q tmp", fx_tmpdir()), 1);
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

/* ---- CRL reasons ---------------------------------------------------------- */

/* Which reasons each kind of certificate may be revoked for (BR 7.2.2). */
static void
test_crl_reason_check(void **state)
{
	static const struct {
		int reason;
		int subscriber, ca; /* allowed */
	} t[] = {
		{ SIGNET_CRL_REASON_UNSPECIFIED, 1, 1 },
		{ SIGNET_CRL_REASON_KEY_COMPROMISE, 1, 1 },
		{ SIGNET_CRL_REASON_CA_COMPROMISE, 0, 1 },
		{ SIGNET_CRL_REASON_AFFILIATION_CHANGED, 1, 1 },
		{ SIGNET_CRL_REASON_SUPERSEDED, 1, 1 },
		{ SIGNET_CRL_REASON_CESSATION_OF_OPERATION, 1, 1 },
		{ SIGNET_CRL_REASON_CERTIFICATE_HOLD, 0, 0 },
		{ 7, 0, 0 },
		{ SIGNET_CRL_REASON_REMOVE_FROM_CRL, 0, 0 },
		{ SIGNET_CRL_REASON_PRIVILEGE_WITHDRAWN, 1, 1 },
		{ SIGNET_CRL_REASON_AA_COMPROMISE, 0, 1 },
		{ SIGNET_CRL_REASON_NONE, 0, 0 },
		{ 11, 0, 0 },
	};
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(signet_crl_reason_check(t[i].reason,
				     SIGNET_CRL_SUBJECT_SUBSCRIBER),
		    t[i].subscriber ? 0 : SIGNET_ERR_USAGE);
		assert_int_equal(signet_crl_reason_check(t[i].reason,
				     SIGNET_CRL_SUBJECT_CA),
		    t[i].ca ? 0 : SIGNET_ERR_USAGE);
	}
	assert_int_equal(signet_crl_reason_check(SIGNET_CRL_REASON_CA_COMPROMISE,
			     SIGNET_CRL_SUBJECT_SUBSCRIBER),
	    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "BR 7.2.2"));
	/* Every name parses back to its code; the unusable ones do not. */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(signet_crl_reason_name(t[i].reason), "unknown") == 0)
			continue;
		assert_int_equal(signet_crl_reason_parse(signet_crl_reason_name(
							     t[i].reason),
				     &r),
		    t[i].ca ? 0 : SIGNET_ERR_USAGE);
		if (t[i].ca)
			assert_int_equal(r, t[i].reason);
	}
	assert_int_equal(signet_crl_reason_parse("aacompromise", &r), 0);
	assert_int_equal(r, SIGNET_CRL_REASON_AA_COMPROMISE);
}

/*
 * Trusted files (StrictModes): each case sets the file's and its
 * directory's mode and owner, and says whether the file is trusted.
 */
static void
test_file_open_trusted(void **state)
{
	static const struct {
		const char *what;
		mode_t file_mode, dir_mode;
		uid_t file_uid, dir_uid; /* 0: as made; else chown (root) */
		unsigned how;
		int want;
		const char *says;
	} cases[] = {
		{ "private", 0600, 0700, 0, 0, 0, 0, NULL },
		{ "readable", 0644, 0755, 0, 0, 0, 0, NULL },
		{ "group-writable file", 0664, 0700, 0, 0, 0, SIGNET_ERR_CONFIG,
		    "writable by others (mode 0664)" },
		{ "world-writable file", 0666, 0700, 0, 0, 0, SIGNET_ERR_CONFIG,
		    "chmod go-w" },
		{ "group-writable directory", 0600, 0770, 0, 0, 0,
		    SIGNET_ERR_CONFIG, "writable by its group (mode 0770)" },
		{ "world-writable directory", 0600, 0707, 0, 0, 0,
		    SIGNET_ERR_CONFIG, "writable by every user (mode 0707)" },
		{ "sticky directory", 0600, 01777, 0, 0, 0, 0, NULL },
		{ "secret readable", 0640, 0700, 0, 0, FILE_TRUST_SECRET,
		    SIGNET_ERR_CONFIG, "readable or writable by others" },
		{ "file of another user", 0600, 0700, 65534, 0, 0,
		    SIGNET_ERR_CONFIG, "is owned by uid 65534" },
		{ "directory of another user", 0600, 0755, 0, 65534, 0,
		    SIGNET_ERR_CONFIG, "a directory above" },
	};
	char dir[PATH_MAX], file[PATH_MAX + 16], link[PATH_MAX + 16];
	struct stat st;
	size_t i;
	int fd, r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((cases[i].file_uid != 0 || cases[i].dir_uid != 0) &&
		    geteuid() != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/trust%zu", fx_tmpdir(), i);
		snprintf(file, sizeof(file), "%s/f", dir);
		assert_int_equal(mkdir(dir, 0700), 0);
		fx_write(file, "x", 1);
		assert_int_equal(chmod(file, cases[i].file_mode), 0);
		assert_int_equal(chmod(dir, cases[i].dir_mode), 0);
		if (cases[i].file_uid != 0)
			assert_int_equal(chown(file, cases[i].file_uid, 0), 0);
		if (cases[i].dir_uid != 0)
			assert_int_equal(chown(dir, cases[i].dir_uid, 0), 0);
		r = file_open_trusted(file, cases[i].how, SIGNET_ERR_CONFIG,
		    &fd, &st);
		if (r != cases[i].want)
			fail_msg("%s: %d, expected %d (%s)", cases[i].what, r,
			    cases[i].want, signet_error_message());
		if (r == 0) {
			assert_true(fd >= 0);
			assert_int_equal(st.st_size, 1);
			close(fd);
		} else {
			assert_int_equal(fd, -1);
			if (strstr(signet_error_message(), cases[i].says) ==
			    NULL)
				fail_msg("%s: '%s' not in: %s", cases[i].what,
				    cases[i].says, signet_error_message());
		}
	}
	/* Absent: refused, unless it may be (its directories still judged). */
	snprintf(file, sizeof(file), "%s/trust0/absent", fx_tmpdir());
	assert_int_equal(file_open_trusted(file, 0, SIGNET_ERR_IO, &fd, NULL),
	    SIGNET_ERR_IO);
	assert_int_equal(file_open_trusted(file, FILE_TRUST_MAY_BE_ABSENT,
			     SIGNET_ERR_IO, &fd, NULL),
	    0);
	assert_int_equal(fd, -1);
	snprintf(file, sizeof(file), "%s/trust4/absent", fx_tmpdir());
	assert_int_equal(file_open_trusted(file, FILE_TRUST_MAY_BE_ABSENT,
			     SIGNET_ERR_IO, &fd, NULL),
	    SIGNET_ERR_IO);
	/* A link is judged where it leads; a FIFO is no file to trust. */
	snprintf(file, sizeof(file), "%s/trust4/f", fx_tmpdir());
	snprintf(link, sizeof(link), "%s/link", fx_tmpdir());
	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(file_open_trusted(link, 0, SIGNET_ERR_IO, &fd, NULL),
	    SIGNET_ERR_IO);
	assert_non_null(strstr(signet_error_message(), "trust4"));
	snprintf(file, sizeof(file), "%s/trust0/fifo", fx_tmpdir());
	assert_int_equal(mkfifo(file, 0600), 0);
	assert_int_equal(file_open_trusted(file, 0, SIGNET_ERR_IO, &fd, NULL),
	    SIGNET_ERR_IO);
	assert_non_null(strstr(signet_error_message(), "not a regular file"));
}

struct link_flipper {
	const char *link, *a, *b;
	volatile int stop;
};

static void *
link_flip(void *arg)
{
	struct link_flipper *f = arg;
	char tmp[PATH_MAX + 8];
	unsigned long n;

	snprintf(tmp, sizeof(tmp), "%s.new", f->link);
	for (n = 0; !f->stop; n++) {
		(void)unlink(tmp);
		if (symlink(n % 2 ? f->a : f->b, tmp) == 0)
			(void)rename(tmp, f->link);
	}
	return NULL;
}

/*
 * Writing to a device is decided on the node that was looked at: a path
 * turned from /dev/null to a regular file meanwhile gets its name
 * replaced, but the file it led to is never written in place.
 */
static void
test_file_write_stream_decided_on_descriptor(void **state)
{
	struct link_flipper f;
	char victim[PATH_MAX], link[PATH_MAX];
	pthread_t t;
	uint8_t *buf;
	size_t len;
	int i;

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", fx_tmpdir());
	snprintf(link, sizeof(link), "%s/out-link", fx_tmpdir());
	fx_write(victim, "original", 8);
	memset(&f, 0, sizeof(f));
	f.link = link;
	f.a = "/dev/null";
	f.b = victim;
	assert_int_equal(pthread_create(&t, NULL, link_flip, &f), 0);
	for (i = 0; i < 20000; i++)
		if (file_write_atomic(link, "XXXXXXXX", 8, 0600) != 0)
			signet_error_clear();
	f.stop = 1;
	pthread_join(t, NULL);
	assert_int_equal(file_read(victim, 100, &buf, &len), 0);
	assert_memory_equal(buf, "original", 8);
	free(buf);
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

/*
 * An environment variable is read as a file is: its first line, which
 * must not be empty. A value starting with a line ending is refused, not
 * turned into an empty PIN that a token counts as a wrong one.
 */
static void
test_secret_from_env_first_line(void **state)
{
	static const struct {
		const char *value, *pin; /* pin NULL: refused */
	} t[] = {
		{ "1234\n", "1234" },
		{ "1234\r\nrest", "1234" },
		{ "\n1234", NULL },
		{ "\r\n1234", NULL },
		{ "\n", NULL },
		{ "", NULL },
	};
	struct signet_secret *s = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("SIGNET_TEST_PIN", t[i].value, 1);
		if (t[i].pin != NULL) {
			assert_int_equal(secret_from_env("SIGNET_TEST_PIN",
					     "PIN", &s),
			    0);
			assert_string_equal(secret_get0(s, NULL), t[i].pin);
			secret_free(s);
			s = NULL;
		} else {
			assert_int_equal(secret_from_env("SIGNET_TEST_PIN",
					     "PIN", &s),
			    SIGNET_ERR_PIN_SOURCE);
			assert_null(s);
			assert_non_null(
			    strstr(signet_error_message(), "is empty"));
			assert_null(strstr(signet_error_message(), "1234"));
		}
		assert_null(getenv("SIGNET_TEST_PIN"));
	}
}

/* No core dump, and no unprivileged ptrace, may ever see a PIN. */
static void
test_secret_harden_process(void **state)
{
	struct rlimit rl;
	pid_t pid;
	int st = 0;

	(void)state;
	/* In a child: the test process itself stays dumpable. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		(void)setrlimit(RLIMIT_CORE, &rl);
		secret_harden_process();
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 ||
		    rl.rlim_max != 0)
			_exit(1);
		/* The hard limit is 0 too: it cannot be raised again. */
		rl.rlim_cur = rl.rlim_max = 1024;
		if (geteuid() != 0 && setrlimit(RLIMIT_CORE, &rl) == 0)
			_exit(2);
		_exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 3);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- codecs ------------------------------------------------------------- */

static void
test_hex(void **state)
{
	static const struct {
		const char *in;
		size_t len; /* bytes, or 0 for a refusal */
	} t[] = {
		{ "0aFF:10", 3 },
		{ "0aff10", 3 },
		{ "01:0203", 3 },
		{ "", 0 },
		{ "abc", 0 },
		{ "zz", 0 },
		{ "0102030405", 0 }, /* longer than the buffer */
		{ ":01", 0 },
		{ "01::02", 0 },
		{ "01:02:", 0 },
		{ "0:102", 0 },
		{ "01:", 0 },
		{ ":", 0 },
	};
	uint8_t out[4];
	size_t len, i;
	char text[9];
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = hex_decode(t[i].in, out, sizeof(out), &len);
		if (t[i].len == 0 && t[i].in[0] == '\0') {
			assert_int_equal(r, 0);
			assert_int_equal(len, 0);
			continue;
		}
		if ((r == 0) != (t[i].len != 0))
			fail_msg("'%s': %d", t[i].in, r);
		if (r == 0)
			assert_int_equal(len, t[i].len);
		else
			assert_int_equal(r, SIGNET_ERR_USAGE);
	}
	assert_int_equal(hex_decode("0aFF:10", out, sizeof(out), &len), 0);
	hex_encode(out, len, text);
	assert_string_equal(text, "0aff10");
	assert_int_equal(hex_decode("01::02", out, sizeof(out), &len),
	    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "01::02"));
}

static void
test_base64(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *bytes; /* NULL: refused */
	} t[] = {
		{ "", 0, "" },
		{ "Zg==", 0, "f" },
		{ "Zm8=", 0, "fo" },
		{ "Zm9v", 0, "foo" },
		{ "Zm9vYmFy", 0, "foobar" },
		{ "Zm9v\nYmFy\n", BASE64_SPACE, "foobar" },
		{ " Zm 9v ", BASE64_SPACE, "foo" },
		{ "Zm9v\nYmFy", 0, NULL }, /* whitespace not allowed */
		{ "Zh==", 0, NULL },       /* padding bits set */
		{ "Zm9=", 0, NULL },       /* padding bits set */
		{ "Zg=", 0, NULL },        /* short */
		{ "Zg", 0, NULL },         /* unpadded */
		{ "Z===", 0, NULL },       /* too much padding */
		{ "Zg==Zg==", 0, NULL },   /* padding inside */
		{ "Zm9v-_==", 0, NULL },   /* URL alphabet */
		{ "Zm9v\x80", 0, NULL },
	};
	uint8_t *out = NULL;
	size_t len = 0, i;
	char *enc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = base64_decode(t[i].in, strlen(t[i].in), t[i].flags,
		    &out, &len);

		if ((r == 0) != (t[i].bytes != NULL))
			fail_msg("'%s': %d", t[i].in, r);
		if (r == 0) {
			assert_int_equal(len, strlen(t[i].bytes));
			assert_memory_equal(out, t[i].bytes, len);
			if (t[i].flags == 0) {
				enc = base64_encode(out, len);
				assert_string_equal(enc, t[i].in);
				free(enc);
			}
		} else {
			assert_int_equal(r, SIGNET_ERR_USAGE);
			assert_null(out);
		}
		free(out);
		out = NULL;
	}
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
	static const struct {
		const char *in;
		long long t; /* -1: refused */
	} t[] = {
		{ "2050-01-01T00:00:00Z", 2524608000LL },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2024-02-29T12:00:00Z", 1709208000LL },
		{ "2026-02-28T00:00:00.5Z", 1772236800LL },
		{ "2026-02-28T00:00:00.123456789Z", 1772236800LL },
		{ "2000-02-29T00:00:00Z", 951782400LL },
		{ "2026-02-31T00:00:00Z", -1 }, /* not March 3rd */
		{ "2026-02-29T00:00:00Z", -1 },
		{ "2100-02-29T00:00:00Z", -1 },
		{ "2026-04-31T00:00:00Z", -1 },
		{ "2026-13-01T00:00:00Z", -1 },
		{ "2026-00-01T00:00:00Z", -1 },
		{ "2026-01-00T00:00:00Z", -1 },
		{ "2026-01-01T24:00:00Z", -1 },
		{ "2026-01-01T23:60:00Z", -1 },
		{ "2026-12-31T23:59:60Z", -1 }, /* no leap seconds */
		{ "2026-02-28T00:00:00.Z", -1 },
		{ "2026-02-28T00:00:00.1234567890Z", -1 },
		{ "2050-01-01 00:00:00", -1 },
		{ "2050-01-01T00:00:00Zjunk", -1 },
		{ "2050-01-01T00:00:00+01:00", -1 },
		{ "2050-1-01T00:00:00Z", -1 },
		{ "+050-01-01T00:00:00Z", -1 },
		{ "", -1 },
	};
	time_t tt;
	int64_t v;
	char buf[21];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = time_parse_rfc3339(t[i].in, &v);

		if ((r == 0) != (t[i].t != -1))
			fail_msg("'%s': %d", t[i].in, r);
		if (r == 0)
			assert_int_equal((long long)v, t[i].t);
		else {
			assert_int_equal(r, SIGNET_ERR_USAGE);
			assert_int_equal(time_parse(t[i].in, &tt),
			    SIGNET_ERR_USAGE);
		}
	}
	assert_int_equal(time_parse("2050-01-01T00:00:00Z", &tt), 0);
	assert_int_equal((long long)tt, 2524608000LL);
	time_format(tt, buf);
	assert_string_equal(buf, "2050-01-01T00:00:00Z");
	/* Years before 1000 keep four digits, as RFC 3339 writes them. */
	assert_int_equal(time_parse("0001-01-01T00:00:00Z", &tt), 0);
	time_format(tt, buf);
	assert_string_equal(buf, "0001-01-01T00:00:00Z");
	time_format((time_t)0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_int_equal(time_parse("now", &tt), 0);
	assert_true(tt > 2524608000LL / 2);
	assert_int_equal(time_parse("2026-02-31T00:00:00Z", &tt),
	    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "2026-02-31"));
}

/* The calendar against the C library, over four centuries and more. */
static void
test_calendar(void **state)
{
	int64_t day, y;
	unsigned m, d;
	struct tm tm;
	time_t t;

	(void)state;
	for (day = -1000; day < 4 * 146097; day += 7) {
		t = (time_t)(day * 86400);
		assert_non_null(gmtime_r(&t, &tm));
		time_civil_from_days(day, &y, &m, &d);
		assert_int_equal(y, tm.tm_year + 1900);
		assert_int_equal(m, (unsigned)tm.tm_mon + 1);
		assert_int_equal(d, (unsigned)tm.tm_mday);
		assert_int_equal(time_days_from_civil(y, m, d), day);
		assert_true(time_civil_valid(y, m, d, 23, 59, 59));
	}
	assert_false(time_civil_valid(2023, 2, 29, 0, 0, 0));
	assert_true(time_civil_valid(2024, 2, 29, 0, 0, 0));
	assert_int_equal(time_from_civil(1970, 1, 2, 0, 0, 1), 86401);
}

/* ---- characters --------------------------------------------------------- */

static void
test_text(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int utf8;        /* text_utf8_valid */
		const char *why; /* text_display_check, NULL if fine */
	} t[] = {
		{ "Example Corp", 0, 1, NULL },
		{ "M\xc3\xbcnchen \xe6\x9d\xb1 \xf0\x9f\x98\x80", 0, 1, NULL },
		{ "a\0b", 3, 1, "NUL byte at offset 1" },
		{ "a\nb", 0, 1, "control character U+000A" },
		{ "a\xc2\x85", 0, 1, "control character U+0085" },
		{ "a\xe2\x80\xae", 0, 1,
		    "invisible formatting character U+202E" },
		{ "\xc0\xaf", 0, 0, "not valid UTF-8 (at offset 0)" },
		{ "a\xe0\x80\xaf", 0, 0, "not valid UTF-8 (at offset 1)" },
		{ "\xed\xa0\x80", 0, 0, "not valid UTF-8" },
		{ "\xf4\x90\x80\x80", 0, 0, "not valid UTF-8" },
		{ "\xc3", 0, 0, "not valid UTF-8" },
		{ "\xff", 0, 0, "not valid UTF-8" },
	};
	size_t i, len;
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = t[i].len != 0 ? t[i].len : strlen(t[i].s);
		assert_int_equal(text_utf8_valid((const uint8_t *)t[i].s, len),
		    t[i].utf8);
		r = text_display_check((const uint8_t *)t[i].s, len);
		if ((r == 0) != (t[i].why == NULL))
			fail_msg("case %zu: %d", i, r);
		if (r != 0 && strstr(signet_error_message(), t[i].why) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i,
			    signet_error_message(), t[i].why);
	}
	assert_true(text_printable((const uint8_t *)"Example (UK) Ltd.", 17));
	assert_false(text_printable((const uint8_t *)"a@b", 3));
	assert_false(text_printable((const uint8_t *)"a*", 2));
	assert_false(text_printable_char('\0'));
	assert_false(text_printable_char(0xc3));
	assert_int_equal(text_hex_value('7'), 7);
	assert_int_equal(text_hex_value('B'), 11);
	assert_int_equal(text_hex_value('f'), 15);
	assert_int_equal(text_hex_value('g'), -1);
	assert_int_equal(text_hex_value(':'), -1);
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

/* ---- PEM ------------------------------------------------------------------ */

static void
test_pem_roundtrip(void **state)
{
	static const char *const labels[] = { "X509 CRL", NULL };
	const struct pem_want want = { labels, "the CRL", SIGNET_ERR_CONFIG,
		0 };
	uint8_t der[100], *back = NULL;
	char *pem = NULL, *label = NULL;
	size_t len = 0, back_len = 0, i, lens[] = { 1, 47, 48, 49, 100 };
	size_t k;

	(void)state;
	for (i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)(i * 7 + 3);
	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		assert_int_equal(pem_encode("X509 CRL", der, lens[k], &pem,
				     &len),
		    0);
		assert_int_equal(strlen(pem), len);
		assert_true(
		    strncmp(pem, "-----BEGIN X509 CRL-----\n", 25) == 0);
		assert_string_equal(pem + len - 23, "-----END X509 CRL-----\n");
		/* RFC 7468 2: lines of 64 characters, the last shorter. */
		assert_true(strchr(pem + 25, '\n') - (pem + 25) ==
			    (lens[k] >= 48 ? 64 : (long)(lens[k] + 2) / 3 * 4));
		assert_int_equal(pem_decode((uint8_t *)pem, len, &want, &label,
				     &back, &back_len),
		    0);
		assert_string_equal(label, "X509 CRL");
		assert_int_equal(back_len, lens[k]);
		assert_memory_equal(back, der, lens[k]);
		free(label);
		free(back);
		free(pem);
	}
}

static void
test_pem_decode_refuses(void **state)
{
	static const char *const csr[] = { "CERTIFICATE REQUEST",
		"NEW CERTIFICATE REQUEST", NULL };
	static const struct {
		const char *in;
		size_t len; /* 0: strlen(in) */
		unsigned flags;
		const char *why; /* NULL: accepted */
	} t[] = {
		{ "  -----BEGIN NEW CERTIFICATE REQUEST-----\nAAEC\n"
		  "-----END NEW CERTIFICATE REQUEST-----\n\n",
		    0, 0, NULL },
		{ "-----BEGIN CERTIFICATE-----\nAAEC\n-----END "
		  "CERTIFICATE-----\n",
		    0, 0, "is not a CERTIFICATE REQUEST" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nAAEC\n", 0, 0,
		    "no END line" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nAAEC\n-----END "
		  "CERTIFICATE-----\n",
		    0, 0, "no END line" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\n-----BEGIN X-----\n"
		  "-----END CERTIFICATE REQUEST-----\n",
		    0, 0, "nested or unterminated" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nProc-Type: 4\n\nAAEC\n"
		  "-----END CERTIFICATE REQUEST-----\n",
		    0, 0, "not valid base64" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nAA\0EC\n"
		  "-----END CERTIFICATE REQUEST-----\n",
		    76, 0, "not valid base64" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\n\n"
		  "-----END CERTIFICATE REQUEST-----\n",
		    0, 0, "is empty" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nAAEC\n"
		  "-----END CERTIFICATE REQUEST-----\ntrailing\n",
		    0, 0, "text after its PEM block" },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nAAEC\n"
		  "-----END CERTIFICATE REQUEST-----\n"
		  "-----BEGIN CERTIFICATE REQUEST-----\n",
		    0, 0, "more than one PEM block" },
		{ "Certificate Request:\n    Data: ...\n"
		  "-----BEGIN CERTIFICATE REQUEST-----\nAAEC\n"
		  "-----END CERTIFICATE REQUEST-----\ntrailing\n",
		    0, PEM_TEXT_AROUND, NULL },
		{ "Certificate Request:\n", 0, PEM_TEXT_AROUND,
		    "no PEM block" },
	};
	uint8_t *der = NULL;
	size_t i, len = 0, n;
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct pem_want want = { csr, "the CSR",
			SIGNET_ERR_POLICY, t[i].flags };

		/* A NUL ends the C string early: the real length. */
		n = t[i].len != 0 ? t[i].len : strlen(t[i].in);
		r = pem_decode((const uint8_t *)t[i].in, n, &want, NULL, &der,
		    &len);
		if (t[i].why == NULL) {
			if (r != 0)
				fail_msg("case %zu: %s", i,
				    signet_error_message());
			assert_int_equal(len, 3);
			free(der);
			continue;
		}
		if (r != SIGNET_ERR_POLICY ||
		    strstr(signet_error_message(), t[i].why) == NULL)
			fail_msg("case %zu: %d %s (want %s)", i, r,
			    signet_error_message(), t[i].why);
		assert_null(der);
	}
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
		cmocka_unit_test(test_file_path_join),
		cmocka_unit_test(test_file_write_to_full_disk_leaves_nothing),
		cmocka_unit_test(test_file_write_to_device_keeps_the_node),
		cmocka_unit_test(test_file_check_private),
		cmocka_unit_test(test_file_open_trusted),
		cmocka_unit_test(test_file_write_stream_decided_on_descriptor),
		cmocka_unit_test(test_secret_from_file),
		cmocka_unit_test(test_crl_reason_check),
		cmocka_unit_test(test_secret_from_env_is_wiped),
		cmocka_unit_test(test_secret_from_env_first_line),
		cmocka_unit_test(test_secret_harden_process),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_pem_roundtrip),
		cmocka_unit_test(test_pem_decode_refuses),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_soft_signer_roundtrip),
		cmocka_unit_test(test_signer_rejects_wrong_digest_length),
		cmocka_unit_test(test_sig_alg_refuses_other_curves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
