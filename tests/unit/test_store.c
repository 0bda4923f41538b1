/*
 * Tests for src/store: the certificate database.
 *
 * Every test runs against the database named by SIGNET_TEST_STORE_URL, or
 * by default a fresh SQLite file in its own directory. A server database
 * (PostgreSQL: ctest runs this suite again as test_store_on_pg) is emptied
 * before each test; tests about files, modes and SQLite itself are skipped
 * there. PostgreSQL's own cases are in test_store_pg.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fixture.h"
#include "signet/error.h"
#include "signet/store.h"
#include "signet/store_acme.h"
#include "signet/store_acme_account.h"
#include "signet/store_acme_ari.h"
#include "store/store_int.h"
#include "util/codec.h"

/* 2026-01-01T00:00:00Z and friends: tests never read the clock. */
#define T0 INT64_C(1767225600)
#define DAY INT64_C(86400)

static char test_dir[4096];
static char test_url[4200];
static char self_exe[4096];
static unsigned test_seq;

/* ---- keys, certificates and CRLs ---------------------------------------- */

static EVP_PKEY *issuer_a, *issuer_b, *subject_key, *other_key;
static char issuer_a_id[65], issuer_b_id[65];

static void
key_id(EVP_PKEY *k, char out[65])
{
	uint8_t *der = NULL, digest[32];
	int len = i2d_PUBKEY(k, &der);

	assert_true(len > 0);
	assert_int_equal(sha256(der, (size_t)len, digest), 0);
	hex_encode(digest, 32, out);
	OPENSSL_free(der);
}

static void
key_sha256(EVP_PKEY *k, uint8_t out[32])
{
	uint8_t *der = NULL;
	int len = i2d_PUBKEY(k, &der);

	assert_true(len > 0);
	assert_int_equal(sha256(der, (size_t)len, out), 0);
	OPENSSL_free(der);
}

static void
set_time(ASN1_TIME *t, int64_t v)
{
	assert_non_null(ASN1_TIME_set(t, (time_t)v));
}

/* A certificate as the issuance code would sign it. */
static uint8_t *
make_cert(EVP_PKEY *signer, EVP_PKEY *pub, const char *serial_hex,
    int64_t not_before, int64_t not_after, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai;
	uint8_t *der = NULL;
	int n;

	assert_non_null(x);
	assert_true(BN_hex2bn(&bn, serial_hex) > 0);
	assert_non_null(ai = BN_to_ASN1_INTEGER(bn, NULL));
	assert_true(X509_set_version(x, 2));
	assert_true(X509_set_serialNumber(x, ai));
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"store test", -1, -1, 0));
	assert_true(X509_set_subject_name(x, name));
	assert_true(X509_set_issuer_name(x, name));
	set_time(X509_getm_notBefore(x), not_before);
	set_time(X509_getm_notAfter(x), not_after);
	assert_true(X509_set_pubkey(x, pub));
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	assert_true((n = i2d_X509(x, &der)) > 0);
	*len = (size_t)n;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	return der;
}

static uint8_t *
make_crl(EVP_PKEY *signer, int64_t number, int64_t base, int64_t this_update,
    int64_t next_update, size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *t = ASN1_TIME_new();
	ASN1_INTEGER *ai = ASN1_INTEGER_new();
	uint8_t *der = NULL;
	int n;

	assert_true(X509_CRL_set_version(crl, 1));
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"store test", -1, -1, 0));
	assert_true(X509_CRL_set_issuer_name(crl, name));
	set_time(t, this_update);
	assert_true(X509_CRL_set1_lastUpdate(crl, t));
	set_time(t, next_update);
	assert_true(X509_CRL_set1_nextUpdate(crl, t));
	assert_true(ASN1_INTEGER_set_int64(ai, number));
	assert_true(X509_CRL_add1_ext_i2d(crl, NID_crl_number, ai, 0, 0));
	if (base > 0) {
		assert_true(ASN1_INTEGER_set_int64(ai, base));
		assert_true(
		    X509_CRL_add1_ext_i2d(crl, NID_delta_crl, ai, 1, 0));
	}
	assert_true(X509_CRL_sign(crl, signer, EVP_sha256()) > 0);
	assert_true((n = i2d_X509_CRL(crl, &der)) > 0);
	*len = (size_t)n;
	ASN1_INTEGER_free(ai);
	ASN1_TIME_free(t);
	X509_NAME_free(name);
	X509_CRL_free(crl);
	return der;
}

/* ---- the store under test ------------------------------------------------ */

static int
url_is_sqlite(void)
{
	const char *env = getenv("SIGNET_TEST_STORE_URL");

	return env == NULL || strncmp(env, "sqlite:", 7) == 0;
}

/* Each test gets its own directory and (SQLite) database. */
static int
setup(void **state)
{
	const char *env = getenv("SIGNET_TEST_STORE_URL");
	struct signet_store *st;

	(void)state;
	snprintf(test_dir, sizeof(test_dir), "%s/t%u", fx_tmpdir(), ++test_seq);
	if (mkdir(test_dir, 0700) != 0)
		return -1;
	if (env == NULL) {
		snprintf(test_url, sizeof(test_url), "sqlite:%s/ca.db",
		    test_dir);
		return 0;
	}
	snprintf(test_url, sizeof(test_url), "%s", env);
	/* A shared server database: start from nothing, whatever the last
	 * test left (a newer schema, a foreign table). */
	if (store_open_version(test_url, 0, &st) != 0 ||
	    store_drop_all(st) != 0 ||
	    store_exec_raw(st, "DROP TABLE IF EXISTS accounts") != 0)
		return -1;
	signet_store_free(st);
	return 0;
}

static const char *
db_path(void)
{
	return test_url + strlen("sqlite:");
}

static struct signet_store *
open_store(void)
{
	struct signet_store *st = NULL;
	int r = signet_store_open(test_url, &st);

	if (r != 0)
		fail_msg("opening %s: %s", test_url, signet_error_message());
	return st;
}

static void
fill_new(struct signet_store_cert_new *c, const char *issuer,
    const char *serial, int64_t not_before, int64_t not_after)
{
	memset(c, 0, sizeof(*c));
	c->issuer = issuer;
	c->serial = serial;
	c->subject = "CN=www.example.test,O=Example";
	c->sans = "DNS:www.example.test,DNS:example.test";
	key_sha256(subject_key, c->spki_sha256);
	c->not_before = not_before;
	c->not_after = not_after;
	c->profile = "tls-server";
	c->requester = "alice";
}

/* Reserve and issue one certificate of subject_key, signed by issuer a. */
static void
issue_one(struct signet_store *st, const char *serial, int64_t not_before,
    int64_t not_after)
{
	struct signet_store_cert_new c;
	uint8_t *der;
	size_t len;

	fill_new(&c, issuer_a_id, serial, not_before, not_after);
	if (signet_store_cert_reserve(st, &c, not_before) != 0)
		fail_msg("reserve %s: %s", serial, signet_error_message());
	der = make_cert(issuer_a, subject_key, serial, not_before, not_after,
	    &len);
	if (signet_store_cert_issue(st, issuer_a_id, serial, der, len,
		not_before) != 0)
		fail_msg("issue %s: %s", serial, signet_error_message());
	OPENSSL_free(der);
}

static void
assert_error(int r, int code, const char *needle)
{
	if (r != code)
		fail_msg("expected %d, got %d (%s)", code, r,
		    signet_error_message());
	if (needle != NULL && strstr(signet_error_message(), needle) == NULL)
		fail_msg("message '%s' lacks '%s'", signet_error_message(),
		    needle);
}

static struct signet_store_counts
counts(struct signet_store *st, const char *issuer)
{
	struct signet_store_counts n;

	assert_int_equal(signet_store_counts(st, issuer, &n), 0);
	return n;
}

static int
count_cb(const struct signet_store_cert *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int
count_select(struct signet_store *st, enum signet_store_select sel,
    const char *profile, int64_t now, int64_t expiring_within)
{
	struct signet_store_filter f;
	int n = 0;

	memset(&f, 0, sizeof(f));
	f.select = sel;
	f.profile = profile;
	f.now = now;
	f.expiring_within = expiring_within;
	if (signet_store_cert_foreach(st, &f, count_cb, &n) != 0)
		fail_msg("listing: %s", signet_error_message());
	return n;
}

/*
 * Run this test binary again as a child with SIGNET_FAULT set (fault
 * points read it once per process); returns its exit status.
 */
static int
run_child(const char *fault, const char *scenario, const char *arg)
{
	return fx_sh("SIGNET_FAULT='%s' '%s' --child %s '%s' '%s'", fault,
	    self_exe, scenario, test_url, arg);
}

/* ---- opening --------------------------------------------------------- */

/*
 * Does another process see a lock on the byte of the -shm file SQLite's
 * unix VFS holds read-locked while a connection has the WAL index open
 * (UNIX_SHM_DMS: (22 + 8) * 4 + 8 = 128)? 1 yes, 0 no.
 */
static int
shm_held_elsewhere(const char *shm)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct flock fl;
		int fd = open(shm, O_RDWR | O_CLOEXEC);

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = 128;
		fl.l_len = 1;
		if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 2)
		fail_msg("cannot ask another process about %s", shm);
	return WEXITSTATUS(status) == 0;
}

/*
 * A second connection in the same process (the batch's reader) must not
 * drop the locks the first holds: POSIX locks go with any close() of the
 * file, and other processes would then take the WAL index for abandoned
 * ("locking protocol", SIGBUS on a truncated -shm).
 */
static void
test_second_connection_keeps_locks(void **state)
{
	struct signet_store *a, *b;
	char shm[4300];

	(void)state;
	if (!url_is_sqlite())
		skip();
	snprintf(shm, sizeof(shm), "%s-shm", db_path());
	a = open_store();
	issue_one(a, "01", T0, T0 + 90 * DAY);
	assert_true(shm_held_elsewhere(shm));
	b = open_store();
	issue_one(b, "02", T0, T0 + 90 * DAY);
	assert_true(shm_held_elsewhere(shm));
	signet_store_free(b);
	assert_true(shm_held_elsewhere(shm));
	issue_one(a, "03", T0, T0 + 90 * DAY);
	signet_store_free(a);
}

static void
test_open_creates_private_wal_database(void **state)
{
	struct signet_store *st;
	struct stat sb;
	char wal[4300];

	(void)state;
	if (!url_is_sqlite())
		skip();
	st = open_store();
	assert_string_equal(signet_store_backend(st), "sqlite");
	assert_int_equal(signet_store_schema_version(st),
	    SIGNET_STORE_SCHEMA_VERSION);
	issue_one(st, "01", T0, T0 + 90 * DAY);
	assert_int_equal(stat(db_path(), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* WAL journal: the -wal file exists while open, private too. */
	snprintf(wal, sizeof(wal), "%s-wal", db_path());
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	signet_store_free(st);

	/* A plain path is the same database. */
	assert_int_equal(signet_store_open(db_path(), &st), 0);
	assert_int_equal(counts(st, NULL).issued, 1);
	signet_store_free(st);
	signet_store_free(NULL);
}

/* SQLite's page cache for the connection of db check. */
static int64_t
cache_size(struct signet_store *st)
{
	struct store_q q;
	int64_t v;

	assert_int_equal(store_q_open(st, "PRAGMA cache_size", &q), 0);
	assert_int_equal(store_q_step(&q), 1);
	v = store_q_col_int(&q, 0);
	store_q_close(&q);
	return v;
}

/*
 * A connection that reads the database through once keeps a small cache
 * (SQLite), and works as before; PostgreSQL has nothing to set.
 */
static void
test_set_scan(void **state)
{
	struct signet_store *st;

	(void)state;
	st = open_store();
	if (url_is_sqlite())
		assert_int_equal(cache_size(st), -65536);
	assert_int_equal(signet_store_set_scan(st), 0);
	if (url_is_sqlite())
		assert_int_equal(cache_size(st), -8192);
	issue_one(st, "01", T0, T0 + 90 * DAY);
	assert_int_equal(counts(st, NULL).issued, 1);
	signet_store_free(st);
}

static void
test_open_url_errors(void **state)
{
	static const struct {
		const char *url;
		int code;
		const char *needle;
	} t[] = {
#ifdef SIGNET_HAVE_LIBPQ
		/* Port 1: refused at once, no DNS, no waiting. */
		{ "postgresql://signet@127.0.0.1:1/signet", SIGNET_ERR_STORE,
		    "cannot connect to PostgreSQL signet@127.0.0.1:1/signet" },
		{ "postgres://127.0.0.1:1/signet?connect_timeout=5",
		    SIGNET_ERR_STORE, "server running" },
		/* Passwords never in a URL; the message does not echo it. */
		{ "postgresql://signet:hunter2@127.0.0.1:1/signet",
		    SIGNET_ERR_USAGE, "carries a password" },
		{ "postgresql://127.0.0.1:1/signet?password=hunter2",
		    SIGNET_ERR_USAGE, "password-source: file:PATH" },
		{ "postgresql://127.0.0.1:1/signet?sslpassword=hunter2",
		    SIGNET_ERR_USAGE, "carries a password" },
		{ "postgresql://127.0.0.1:1/signet?nosuchoption=1",
		    SIGNET_ERR_USAGE, "malformed PostgreSQL URL" },
#else
		{ "postgresql://db.example/signet", SIGNET_ERR_STORE,
		    "not built with PostgreSQL" },
		{ "postgres://db.example/signet", SIGNET_ERR_STORE,
		    "PostgreSQL" },
#endif
		{ "mysql://db.example/signet", SIGNET_ERR_USAGE,
		    "unknown database URL" },
		{ "", SIGNET_ERR_USAGE, "no database" },
		{ "sqlite:", SIGNET_ERR_USAGE, "without a path" },
		{ "sqlite:/nonexistent-signet-dir/ca.db", SIGNET_ERR_STORE,
		    "/nonexistent-signet-dir/ca.db" },
	};
	struct signet_store *st = (struct signet_store *)1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_error(signet_store_open(t[i].url, &st), t[i].code,
		    t[i].needle);
		assert_null(st);
		assert_null(strstr(signet_error_message(), "hunter2"));
	}
	assert_error(signet_store_open(NULL, &st), SIGNET_ERR_USAGE, NULL);
}

static void
test_open_refuses_unsafe_files(void **state)
{
	struct signet_store *st = NULL;
	char sub[4200];

	(void)state;
	if (!url_is_sqlite())
		skip();
	signet_store_free(open_store());
	/* Writable by others or group: anyone could forge records. */
	assert_int_equal(chmod(db_path(), 0666), 0);
	assert_error(signet_store_open(test_url, &st), SIGNET_ERR_STORE,
	    "chmod");
	assert_null(st);
	assert_int_equal(chmod(db_path(), 0620), 0);
	assert_error(signet_store_open(test_url, &st), SIGNET_ERR_STORE,
	    "writable by others");
	/* Read-only: refused with a clear message, even for root. */
	assert_int_equal(chmod(db_path(), 0400), 0);
	assert_error(signet_store_open(test_url, &st), SIGNET_ERR_STORE,
	    "read-only (mode 0400)");
	assert_non_null(strstr(signet_error_message(), "chmod 600"));
	assert_int_equal(chmod(db_path(), 0600), 0);
	signet_store_free(open_store());

	/* A symbolic link, even to the right file. */
	snprintf(sub, sizeof(sub), "sqlite:%s/link.db", test_dir);
	assert_int_equal(symlink(db_path(), sub + 7), 0);
	assert_error(signet_store_open(sub, &st), SIGNET_ERR_STORE,
	    "symbolic link");
	/* A directory where the file should be. */
	snprintf(sub, sizeof(sub), "sqlite:%s/dir.db", test_dir);
	assert_int_equal(mkdir(sub + 7, 0700), 0);
	assert_error(signet_store_open(sub, &st), SIGNET_ERR_STORE,
	    "not a regular file");
	/* A file that is not a database. */
	snprintf(sub, sizeof(sub), "sqlite:%s/junk.db", test_dir);
	fx_write(sub + 7, "this is not a database, just some text.....\n", 45);
	assert_int_equal(chmod(sub + 7, 0600), 0);
	assert_error(signet_store_open(sub, &st), SIGNET_ERR_STORE,
	    "not an SQLite database");
}

/* The directory is not writable: SQLite cannot make its -wal file. */
static void
test_open_directory_not_writable(void **state)
{
	char dir[4200], url[4300];
	struct signet_store *st;
	pid_t pid;
	int status, r;

	(void)state;
	if (!url_is_sqlite())
		skip();
	snprintf(dir, sizeof(dir), "%s/ro", test_dir);
	snprintf(url, sizeof(url), "sqlite:%s/ca.db", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(signet_store_open(url, &st), 0);
	signet_store_free(st);
	if (geteuid() == 0) {
		/* root writes anywhere: be nobody for this test. */
		assert_int_equal(chmod(fx_tmpdir(), 0711), 0);
		assert_int_equal(chmod(test_dir, 0711), 0);
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(chown(url + 7, 65534, 65534), 0);
	}
	assert_int_equal(chmod(dir, 0500), 0);
	if ((pid = fork()) == 0) {
		if (geteuid() == 0 &&
		    (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(90);
		r = signet_store_open(url, &st);
		if (r == SIGNET_ERR_STORE &&
		    strstr(signet_error_message(), "not writable") != NULL &&
		    strstr(signet_error_message(), dir) != NULL)
			_exit(0);
		fprintf(stderr, "open in a read-only directory: %d %s\n", r,
		    signet_error_message());
		_exit(1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_open_refuses_foreign_database(void **state)
{
	struct signet_store *st;

	(void)state;
	st = open_store();
	assert_int_equal(store_drop_all(st), 0);
	assert_int_equal(store_exec_raw(st, "CREATE TABLE accounts (id INT)"),
	    0);
	signet_store_free(st);
	assert_error(signet_store_open(test_url, &st), SIGNET_ERR_STORE,
	    "not a signet database");
}

/* ---- schema versions ------------------------------------------------- */

static void
test_newer_schema_refused_untouched(void **state)
{
	struct signet_store *st;
	uint8_t *before = NULL, *after;
	size_t blen = 0, alen;

	(void)state;
	st = open_store();
	issue_one(st, "0a", T0, T0 + DAY);
	assert_int_equal(store_exec_raw(st, "UPDATE meta SET value = '99' "
					    "WHERE name = 'schema_version'"),
	    0);
	signet_store_free(st);
	if (url_is_sqlite())
		before = fx_read(db_path(), &blen);
	assert_error(signet_store_open(test_url, &st), SIGNET_ERR_STORE,
	    "schema version 99");
	assert_non_null(strstr(signet_error_message(), "upgrade signet"));
	if (url_is_sqlite()) {
		after = fx_read(db_path(), &alen);
		assert_int_equal(alen, blen);
		assert_memory_equal(after, before, blen);
		free(after);
		free(before);
	}
}

static void
test_migration_from_v1(void **state)
{
	struct signet_store *st;
	struct signet_store_cert *c = NULL;
	int64_t n;

	(void)state;
	assert_int_equal(store_open_version(test_url, 1, &st), 0);
	assert_int_equal(signet_store_schema_version(st), 1);
	issue_one(st, "0b", T0, T0 + 30 * DAY);
	/* Version 1 has no CRL table yet. */
	assert_int_equal(store_exec_raw(st, "SELECT count(*) FROM crls"),
	    SIGNET_ERR_STORE);
	signet_store_free(st);

	st = open_store();
	assert_int_equal(signet_store_schema_version(st),
	    SIGNET_STORE_SCHEMA_VERSION);
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "0b", &c), 0);
	assert_int_equal(c->status, SIGNET_CERT_ISSUED);
	signet_store_cert_free(c);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "0b",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + DAY),
	    0);
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0 + DAY, T0 + 8 * DAY, &n),
	    0);
	assert_int_equal(n, 1);
	signet_store_free(st);
	/* Opening a current database again changes nothing. */
	st = open_store();
	assert_int_equal(counts(st, NULL).revoked, 1);
	signet_store_free(st);
}

static void
test_migration_failure_rolls_back(void **state)
{
	struct signet_store *st;

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip(); /* the fault point store.migrate */
#endif
	assert_int_equal(store_open_version(test_url, 1, &st), 0);
	issue_one(st, "0c", T0, T0 + 30 * DAY);
	signet_store_free(st);
	/* The child's migration fails after creating the v2 tables. */
	assert_int_equal(run_child("fail:store.migrate", "open", "-"),
	    -SIGNET_ERR_IO);
	assert_int_equal(store_open_version(test_url, 1, &st), 0);
	assert_int_equal(store_exec_raw(st, "SELECT count(*) FROM crls"),
	    SIGNET_ERR_STORE);
	assert_int_equal(count_select(st, SIGNET_SELECT_ALL, NULL, T0, 0), 1);
	signet_store_free(st);
	/* Without the fault the same migration succeeds. */
	st = open_store();
	assert_int_equal(signet_store_schema_version(st),
	    SIGNET_STORE_SCHEMA_VERSION);
	signet_store_free(st);
}

/* ---- issuance -------------------------------------------------------- */

static void
test_reserve_issue_fail_lifecycle(void **state)
{
	struct signet_store *st;
	struct signet_store_cert_new c;
	struct signet_store_cert *row = NULL;
	struct signet_store_counts n;
	uint8_t *der, digest[32];
	char hash[65];
	size_t len;

	(void)state;
	st = open_store();
	fill_new(&c, issuer_a_id, "7F:01:02", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "7f0102", &row),
	    0);
	assert_int_equal(row->status, SIGNET_CERT_PENDING);
	assert_string_equal(row->serial, "7f0102");
	assert_string_equal(row->issuer, issuer_a_id);
	assert_string_equal(row->subject, c.subject);
	assert_string_equal(row->sans, c.sans);
	assert_string_equal(row->profile, "tls-server");
	assert_string_equal(row->requester, "alice");
	assert_int_equal(row->not_after, T0 + 90 * DAY);
	assert_int_equal(row->created_at, T0);
	assert_null(row->der);
	assert_null(row->cert_sha256);
	assert_int_equal(row->revocation_reason, -1);
	signet_store_cert_free(row);

	der =
	    make_cert(issuer_a, subject_key, "7f0102", T0, T0 + 90 * DAY, &len);
	assert_int_equal(signet_store_cert_issue(st, issuer_a_id, "7f0102", der,
			     len, T0 + 5),
	    0);
	assert_int_equal(signet_store_cert_get(st, NULL, "007F0102", &row), 0);
	assert_int_equal(row->status, SIGNET_CERT_ISSUED);
	assert_int_equal(row->issued_at, T0 + 5);
	assert_int_equal(row->der_len, len);
	assert_memory_equal(row->der, der, len);
	assert_int_equal(sha256(der, len, digest), 0);
	hex_encode(digest, 32, hash);
	assert_string_equal(row->cert_sha256, hash);
	signet_store_cert_free(row);
	/* Issued is final for issue and fail. */
	assert_error(signet_store_cert_issue(st, issuer_a_id, "7f0102", der,
			 len, T0 + 6),
	    SIGNET_ERR_CONFLICT, "issued, not pending");
	assert_error(signet_store_cert_fail(st, issuer_a_id, "7f0102", "lint",
			 T0 + 6),
	    SIGNET_ERR_CONFLICT, "not pending");
	OPENSSL_free(der);

	/* A lint failure: the serial stays taken, the reason is kept. */
	fill_new(&c, issuer_a_id, "7f0103", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(signet_store_cert_fail(st, issuer_a_id, "7f0103",
			     "lint: SAN missing", T0 + 1),
	    0);
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "7f0103", &row),
	    0);
	assert_int_equal(row->status, SIGNET_CERT_FAILED);
	assert_string_equal(row->failure, "lint: SAN missing");
	signet_store_cert_free(row);
	assert_error(signet_store_cert_reserve(st, &c, T0 + 2),
	    SIGNET_ERR_CONFLICT, "already used");
	der =
	    make_cert(issuer_a, subject_key, "7f0103", T0, T0 + 90 * DAY, &len);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "7f0103", der,
			 len, T0 + 6),
	    SIGNET_ERR_CONFLICT, "failed, not pending");
	OPENSSL_free(der);
	assert_error(signet_store_cert_fail(st, issuer_a_id, "7f0199", "x", T0),
	    SIGNET_ERR_NOT_FOUND, "7f0199");
	assert_error(signet_store_cert_fail(st, issuer_a_id, "7f0103", "", T0),
	    SIGNET_ERR_USAGE, "failure reason");

	n = counts(st, NULL);
	assert_int_equal(n.issued, 1);
	assert_int_equal(n.failed, 1);
	assert_int_equal(n.pending, 0);
	assert_int_equal(n.revoked, 0);
	assert_int_equal(counts(st, issuer_b_id).issued, 0);
	signet_store_free(st);
}

static void
test_issue_checks_der_against_reservation(void **state)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct signet_store *st;
	struct signet_store_cert_new c;
	uint8_t *der;
	size_t len;

	(void)state;
	st = open_store();
	fill_new(&c, issuer_a_id, "4242", T0, T0 + 10 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	/* Wrong serial, wrong validity, wrong key, not a certificate. */
	der = make_cert(issuer_a, subject_key, "4243", T0, T0 + 10 * DAY, &len);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4242", der, len,
			 T0),
	    SIGNET_ERR_VERIFY, "serial is 4243");
	OPENSSL_free(der);
	der = make_cert(issuer_a, subject_key, "4242", T0, T0 + 11 * DAY, &len);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4242", der, len,
			 T0),
	    SIGNET_ERR_VERIFY, "notAfter");
	OPENSSL_free(der);
	der = make_cert(issuer_a, other_key, "4242", T0, T0 + 10 * DAY, &len);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4242", der, len,
			 T0),
	    SIGNET_ERR_VERIFY, "public key");
	OPENSSL_free(der);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4242", junk,
			 sizeof(junk), T0),
	    SIGNET_ERR_VERIFY, "not a well-formed X.509 certificate");
	/* The right certificate, truncated or with bytes after it. */
	der = make_cert(issuer_a, subject_key, "4242", T0, T0 + 10 * DAY, &len);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4242", der,
			 len - 1, T0),
	    SIGNET_ERR_VERIFY, "not an X.509 certificate");
	der = OPENSSL_realloc(der, len + 1);
	der[len] = 0;
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4242", der,
			 len + 1, T0),
	    SIGNET_ERR_VERIFY, "1 bytes after the certificate");
	OPENSSL_free(der);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4242", junk, 0,
			 T0),
	    SIGNET_ERR_USAGE, "DER missing");
	/* Still pending after all that. */
	assert_int_equal(counts(st, NULL).pending, 1);
	assert_error(signet_store_cert_issue(st, issuer_a_id, "4244", junk,
			 sizeof(junk), T0),
	    SIGNET_ERR_NOT_FOUND, "4244");
	assert_error(signet_store_cert_issue(st, issuer_b_id, "4242", junk,
			 sizeof(junk), T0),
	    SIGNET_ERR_NOT_FOUND, "no certificates");
	signet_store_free(st);
}

static void
test_serial_unique_per_issuer(void **state)
{
	struct signet_store *st;
	struct signet_store_cert_new c;
	struct signet_store_cert *row = NULL;

	(void)state;
	st = open_store();
	fill_new(&c, issuer_a_id, "00aa:bb", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	/* The same number spelt differently is the same serial. */
	c.serial = "AABB";
	assert_error(signet_store_cert_reserve(st, &c, T0), SIGNET_ERR_CONFLICT,
	    "draw a new random serial");
	c.serial = "0000aabb";
	assert_error(signet_store_cert_reserve(st, &c, T0), SIGNET_ERR_CONFLICT,
	    "aabb");
	/* Another issuer may use it. */
	c.issuer = issuer_b_id;
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(counts(st, issuer_a_id).pending, 1);
	assert_int_equal(counts(st, issuer_b_id).pending, 1);
	/* Looking it up without an issuer is now ambiguous. */
	assert_error(signet_store_cert_get(st, NULL, "aabb", &row),
	    SIGNET_ERR_CONFLICT, "more than one issuer");
	assert_null(row);
	assert_int_equal(signet_store_cert_get(st, issuer_b_id, "aabb", &row),
	    0);
	assert_string_equal(row->issuer, issuer_b_id);
	signet_store_cert_free(row);
	assert_error(signet_store_cert_get(st, NULL, "aabc", &row),
	    SIGNET_ERR_NOT_FOUND, "aabc");
	signet_store_free(st);
}

static void
test_reserve_validates_fields(void **state)
{
	static char big[SIGNET_STORE_TEXT_MAX + 2];
	static const struct {
		const char *issuer;
		const char *serial;
		const char *profile;
		int swap_times;
		int big_subject;
		const char *needle;
	} t[] = {
		{ "abcd", "01", "p", 0, 0, "not 64 hex digits" },
		{ NULL, "01", "p", 0, 0, "issuer" },
		{ "", "0", "p", 0, 0, "is zero" },
		{ "", "-01", "p", 0, 0, "negative" },
		{ "", "0g", "p", 0, 0, "hex" },
		{ "", "", "p", 0, 0, "no serial" },
		/* 21 octets; and 20 octets with the top bit set (a sign
		 * octet would make 21) */
		{ "", "010000000000000000000000000000000000000000", "p", 0, 0,
		    "20 octets" },
		{ "", "8000000000000000000000000000000000000000", "p", 0, 0,
		    "20 octets" },
		{ "", "01", "", 0, 0, "no profile" },
		{ "", "01", "p", 1, 0, "notAfter is before notBefore" },
		{ "", "01", "p", 0, 1, "subject is longer" },
	};
	struct signet_store *st;
	struct signet_store_cert_new c;
	char bad_issuer[80];
	size_t i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	st = open_store();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fill_new(&c, issuer_a_id, t[i].serial, T0, T0 + DAY);
		if (t[i].issuer == NULL)
			c.issuer = NULL;
		else if (*t[i].issuer != '\0') {
			snprintf(bad_issuer, sizeof(bad_issuer), "%s",
			    t[i].issuer);
			c.issuer = bad_issuer;
		}
		c.profile = t[i].profile;
		if (t[i].swap_times) {
			c.not_before = T0 + DAY;
			c.not_after = T0;
		}
		if (t[i].big_subject)
			c.subject = big;
		assert_error(signet_store_cert_reserve(st, &c, T0),
		    SIGNET_ERR_USAGE, t[i].needle);
	}
	/* Upper-case issuer ids and the largest serial are fine. */
	fill_new(&c, issuer_a_id, "7fffffffffffffffffffffffffffffffffffffff",
	    T0, T0 + DAY);
	for (i = 0; i < 64; i++)
		bad_issuer[i] = (char)toupper((unsigned char)issuer_a_id[i]);
	bad_issuer[64] = '\0';
	c.issuer = bad_issuer;
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(counts(st, issuer_a_id).pending, 1);
	assert_int_equal(counts(st, NULL).pending, 1);
	signet_store_free(st);
}

/* ---- revocation ------------------------------------------------------ */

static void
test_revoke_rules(void **state)
{
	struct signet_store *st;
	struct signet_store_cert_new c;
	struct signet_store_cert *row = NULL;
	uint8_t spki[32], other[32];
	int blocked = 1;

	(void)state;
	st = open_store();
	issue_one(st, "10", T0, T0 + 90 * DAY);
	issue_one(st, "11", T0, T0 + 90 * DAY);
	fill_new(&c, issuer_a_id, "12", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	fill_new(&c, issuer_a_id, "13", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(signet_store_cert_fail(st, issuer_a_id, "13", "token",
			     T0),
	    0);
	key_sha256(subject_key, spki);
	key_sha256(other_key, other);

	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "10",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + 10 * DAY),
	    0);
	assert_int_equal(signet_store_key_blocked(st, spki, &blocked), 0);
	assert_int_equal(blocked, 0);
	/* Twice with an ordinary reason: refused, nothing changes. */
	assert_error(signet_store_cert_revoke(st, issuer_a_id, "10",
			 SIGNET_CRL_REASON_CESSATION_OF_OPERATION,
			 T0 + 11 * DAY),
	    SIGNET_ERR_CONFLICT, "already revoked (superseded");
	/* Escalation to keyCompromise: reason updated, the date only moves
	 * back (BR 7.2.2), the key blocked. */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "10",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + 12 * DAY),
	    0);
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "10", &row), 0);
	assert_int_equal(row->status, SIGNET_CERT_REVOKED);
	assert_int_equal(row->revocation_reason,
	    SIGNET_CRL_REASON_KEY_COMPROMISE);
	assert_int_equal(row->revoked_at, T0 + 10 * DAY);
	signet_store_cert_free(row);
	assert_int_equal(signet_store_key_blocked(st, spki, &blocked), 0);
	assert_int_equal(blocked, 1);
	assert_int_equal(signet_store_key_blocked(st, other, &blocked), 0);
	assert_int_equal(blocked, 0);
	/* Already keyCompromise: nothing left to escalate. */
	assert_error(signet_store_cert_revoke(st, issuer_a_id, "10",
			 SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + 13 * DAY),
	    SIGNET_ERR_CONFLICT, "keyCompromise");

	/* An escalation with an earlier compromise date moves it back. */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "11",
			     SIGNET_CRL_REASON_AFFILIATION_CHANGED,
			     T0 + 20 * DAY),
	    0);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "11",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + 15 * DAY),
	    0);
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "11", &row), 0);
	assert_int_equal(row->revoked_at, T0 + 15 * DAY);
	signet_store_cert_free(row);

	assert_error(signet_store_cert_revoke(st, issuer_a_id, "99",
			 SIGNET_CRL_REASON_UNSPECIFIED, T0),
	    SIGNET_ERR_NOT_FOUND, "no certificate with serial 99");
	assert_error(signet_store_cert_revoke(st, issuer_b_id, "10",
			 SIGNET_CRL_REASON_UNSPECIFIED, T0),
	    SIGNET_ERR_NOT_FOUND, issuer_b_id);
	assert_error(signet_store_cert_revoke(st, issuer_a_id, "12",
			 SIGNET_CRL_REASON_UNSPECIFIED, T0),
	    SIGNET_ERR_CONFLICT, "pending");
	assert_error(signet_store_cert_revoke(st, issuer_a_id, "13",
			 SIGNET_CRL_REASON_KEY_COMPROMISE, T0),
	    SIGNET_ERR_CONFLICT, "never issued");
	assert_error(signet_store_cert_revoke(st, issuer_a_id, "12",
			 SIGNET_CRL_REASON_CERTIFICATE_HOLD, T0),
	    SIGNET_ERR_USAGE, "holds are not supported");
	assert_error(signet_store_cert_revoke(st, issuer_a_id, "12", 7, T0),
	    SIGNET_ERR_USAGE, "not an RFC 5280 CRLReason");
	assert_int_equal(counts(st, NULL).revoked, 2);
	assert_int_equal(counts(st, NULL).blocked_keys, 1);

	/* Blocking by hand, twice. */
	assert_int_equal(signet_store_key_block(st, other, "reported", T0), 0);
	assert_int_equal(signet_store_key_block(st, other, "again", T0), 0);
	assert_int_equal(signet_store_key_blocked(st, other, &blocked), 0);
	assert_int_equal(blocked, 1);
	assert_error(signet_store_key_block(st, other, "", T0),
	    SIGNET_ERR_USAGE, "block reason");
	signet_store_free(st);
}

static void
test_reason_names(void **state)
{
	static const struct {
		const char *in;
		int code;
	} ok[] = {
		{ "keyCompromise", 1 },
		{ "KEYCOMPROMISE", 1 },
		{ "superseded", 4 },
		{ "10", 10 },
		{ "0", 0 },
	};
	static const char *const bad[] = { "certificateHold", "6",
		"removeFromCRL", "7", "compromised", "" };
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(signet_crl_reason_parse(ok[i].in, &r), 0);
		assert_int_equal(r, ok[i].code);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(signet_crl_reason_parse(bad[i], &r),
		    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "no revocation reason"));
	assert_int_equal(signet_crl_reason_parse("6", &r), SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "not allowed"));
	assert_string_equal(signet_crl_reason_name(2), "cACompromise");
	assert_string_equal(signet_crl_reason_name(7), "unknown");
	assert_string_equal(signet_cert_status_name(SIGNET_CERT_FAILED),
	    "failed");
}

/* ---- CRLs ------------------------------------------------------------ */

struct entries {
	char serial[64][41];
	int reason[64];
	int64_t revoked_at[64];
	size_t n;
};

static int
collect_entry(const struct signet_store_revoked *e, void *arg)
{
	struct entries *out = arg;

	assert_true(out->n < 64);
	snprintf(out->serial[out->n], 41, "%s", e->serial);
	out->reason[out->n] = e->reason;
	out->revoked_at[out->n] = e->revoked_at;
	out->n++;
	return 0;
}

static struct entries *
crl_entries(struct signet_store *st, int64_t number)
{
	static struct entries e;

	memset(&e, 0, sizeof(e));
	if (signet_store_crl_revoked_foreach(st, issuer_a_id, number,
		collect_entry, &e) != 0)
		fail_msg("CRL %lld entries: %s", (long long)number,
		    signet_error_message());
	return &e;
}

/* Allocate, "sign" and record a CRL; returns its number. */
static int64_t
publish_crl(struct signet_store *st, enum signet_crl_kind kind, int64_t base,
    int64_t this_update)
{
	uint8_t *der;
	size_t len;
	int64_t n;

	if (signet_store_crl_allocate(st, issuer_a_id, kind, base, this_update,
		this_update + 7 * DAY, &n) != 0)
		fail_msg("allocate: %s", signet_error_message());
	der = make_crl(issuer_a, n, base, this_update, this_update + 7 * DAY,
	    &len);
	if (signet_store_crl_record(st, issuer_a_id, n, der, len) != 0)
		fail_msg("record: %s", signet_error_message());
	OPENSSL_free(der);
	return n;
}

/* The CRL row check walks the DER itself: malformed input is refused. */
static void
test_crl_record_malformed(void **state)
{
	struct signet_store *st;
	uint8_t *der, *copy;
	int64_t n;
	size_t len;

	(void)state;
	st = open_store();
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0, T0 + DAY, &n),
	    0);
	der = make_crl(issuer_a, n, 0, T0, T0 + 2 * DAY, &len);
	assert_error(signet_store_crl_record(st, issuer_a_id, n, der, len),
	    SIGNET_ERR_VERIFY, "nextUpdate");
	OPENSSL_free(der);
	der = make_crl(issuer_a, n, 0, T0, T0 + DAY, &len);
	assert_non_null(copy = malloc(len + 1));
	memcpy(copy, der, len);
	copy[len] = 0;
	assert_error(signet_store_crl_record(st, issuer_a_id, n, copy, len + 1),
	    SIGNET_ERR_VERIFY, "bytes after the CRL");
	assert_error(signet_store_crl_record(st, issuer_a_id, n, copy, len - 1),
	    SIGNET_ERR_VERIFY, "not an X.509 CRL");
	/* A TBS cut short inside: the outer lengths no longer agree. */
	copy[3] ^= 0x01;
	assert_int_equal(signet_store_crl_record(st, issuer_a_id, n, copy, len),
	    SIGNET_ERR_VERIFY);
	assert_error(signet_store_crl_record(st, issuer_a_id, n,
			 (const uint8_t *)"\x30\x03\x02\x01\x01", 5),
	    SIGNET_ERR_VERIFY, "not a well-formed X.509 CRL");
	free(copy);
	assert_int_equal(signet_store_crl_record(st, issuer_a_id, n, der, len),
	    0);
	OPENSSL_free(der);
	signet_store_free(st);
}

/* Version 4 adds supersessions and enrollment tokens to a v3 database. */
static void
test_migration_to_v4(void **state)
{
	struct signet_store *st;
	char succ[41];

	(void)state;
	assert_int_equal(store_open_version(test_url, 3, &st), 0);
	assert_int_equal(signet_store_schema_version(st), 3);
	issue_one(st, "0e", T0, T0 + 30 * DAY);
	issue_one(st, "0f", T0, T0 + 30 * DAY);
	signet_store_free(st);
	st = open_store();
	assert_int_equal(signet_store_schema_version(st),
	    SIGNET_STORE_SCHEMA_VERSION);
	assert_int_equal(signet_store_cert_supersede(st, issuer_a_id, "0e",
			     "0f", T0 + DAY),
	    0);
	assert_int_equal(signet_store_cert_successor(st, issuer_a_id, "0e",
			     succ),
	    0);
	assert_string_equal(succ, "0f");
	signet_store_free(st);
}

/* A certificate is superseded once, by a signed certificate of its CA. */
static void
test_supersede_rules(void **state)
{
	struct signet_store *st = open_store();
	struct signet_store_cert_new c;
	char succ[41];

	(void)state;
	issue_one(st, "10", T0, T0 + 30 * DAY);
	issue_one(st, "11", T0, T0 + 30 * DAY);
	issue_one(st, "12", T0, T0 + 30 * DAY);
	fill_new(&c, issuer_a_id, "13", T0, T0 + 30 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_error(signet_store_cert_successor(st, issuer_a_id, "10", succ),
	    SIGNET_ERR_NOT_FOUND, "not superseded");
	assert_error(signet_store_cert_supersede(st, issuer_a_id, "10", "10",
			 T0),
	    SIGNET_ERR_USAGE, "itself");
	assert_error(signet_store_cert_supersede(st, issuer_a_id, "10", "99",
			 T0),
	    SIGNET_ERR_NOT_FOUND, "no certificate 99");
	assert_error(signet_store_cert_supersede(st, issuer_a_id, "10", "13",
			 T0),
	    SIGNET_ERR_CONFLICT, "never signed");
	assert_int_equal(signet_store_cert_supersede(st, issuer_a_id, "10",
			     "11", T0),
	    0);
	/* Twice: neither the old one again, nor the new one for another. */
	assert_error(signet_store_cert_supersede(st, issuer_a_id, "10", "12",
			 T0),
	    SIGNET_ERR_CONFLICT, "already superseded");
	assert_error(signet_store_cert_supersede(st, issuer_a_id, "12", "11",
			 T0),
	    SIGNET_ERR_CONFLICT, "already superseded");
	/* A revoked certificate may still be superseded (and succeed). */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "11",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + 10),
	    0);
	assert_int_equal(signet_store_cert_supersede(st, issuer_a_id, "11",
			     "12", T0 + 20),
	    0);
	assert_int_equal(signet_store_cert_successor(st, issuer_a_id, "11",
			     succ),
	    0);
	assert_string_equal(succ, "12");
	signet_store_free(st);
}

static int
count_token(const struct signet_store_est_token *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

/* One use each; used, revoked, expired and unknown tokens are refused. */
static void
test_est_tokens(void **state)
{
	struct signet_store *st = open_store();
	struct signet_store_est_token t, *got = NULL;
	uint8_t s1[32], s2[32], s3[32], s4[32];
	int n = 0;

	(void)state;
	memset(s1, 1, sizeof(s1));
	memset(s2, 2, sizeof(s2));
	memset(s3, 3, sizeof(s3));
	memset(s4, 4, sizeof(s4));
	memset(&t, 0, sizeof(t));
	t.token_id = "0123456789abcdef";
	t.profile = "service";
	t.names = "dns:a.example";
	t.created_at = T0;
	t.expires_at = T0 + 3600;
	assert_int_equal(signet_store_est_token_add(st, &t, s1), 0);
	assert_error(signet_store_est_token_add(st, &t, s2),
	    SIGNET_ERR_CONFLICT, NULL);
	t.token_id = "0123456789ABCDEF";
	assert_error(signet_store_est_token_add(st, &t, s2), SIGNET_ERR_USAGE,
	    "not a token id");
	t.token_id = "1111111111111111";
	t.expires_at = T0;
	assert_error(signet_store_est_token_add(st, &t, s2), SIGNET_ERR_USAGE,
	    "expire");
	t.expires_at = T0 + 60;
	assert_int_equal(signet_store_est_token_add(st, &t, s2), 0);
	t.token_id = "2222222222222222";
	t.expires_at = T0 + 3600;
	assert_int_equal(signet_store_est_token_add(st, &t, s3), 0);

	assert_error(signet_store_est_token_use(st, s4, T0 + 1, &got),
	    SIGNET_ERR_NOT_FOUND, "no such");
	assert_int_equal(signet_store_est_token_use(st, s1, T0 + 1, &got), 0);
	assert_string_equal(got->token_id, "0123456789abcdef");
	assert_string_equal(got->profile, "service");
	assert_string_equal(got->names, "dns:a.example");
	assert_int_equal(got->used_at, T0 + 1);
	signet_store_est_token_free(got);
	got = NULL;
	assert_error(signet_store_est_token_use(st, s1, T0 + 2, &got),
	    SIGNET_ERR_CONFLICT, "already used");
	assert_null(got);
	/* Given back after a failed issuance, it can be used again. */
	assert_int_equal(signet_store_est_token_release(st, "0123456789abcdef",
			     T0 + 1),
	    0);
	assert_int_equal(signet_store_est_token_use(st, s1, T0 + 3, &got), 0);
	signet_store_est_token_free(got);
	got = NULL;
	assert_error(signet_store_est_token_revoke(st, "0123456789abcdef",
			 T0 + 4),
	    SIGNET_ERR_CONFLICT, "already used");

	assert_error(signet_store_est_token_use(st, s2, T0 + 60, &got),
	    SIGNET_ERR_CONFLICT, "expired");
	assert_int_equal(signet_store_est_token_revoke(st, "2222222222222222",
			     T0 + 5),
	    0);
	assert_int_equal(signet_store_est_token_revoke(st, "2222222222222222",
			     T0 + 6),
	    0);
	assert_error(signet_store_est_token_use(st, s3, T0 + 7, &got),
	    SIGNET_ERR_CONFLICT, "revoked");
	assert_error(signet_store_est_token_revoke(st, "3333333333333333",
			 T0 + 8),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_est_token_foreach(st, count_token, &n),
	    0);
	assert_int_equal(n, 3);
	signet_store_free(st);
}

/* OCSP responses: the latest per certificate, read by thisUpdate. */
struct ocsp_seen {
	char serial[4][41];
	int64_t this_update[4];
	uint8_t first[4];
	int n;
};

static int
ocsp_collect(const struct signet_store_ocsp *r, void *arg)
{
	struct ocsp_seen *s = arg;

	if (s->n == 4)
		return -1;
	snprintf(s->serial[s->n], sizeof(s->serial[0]), "%s", r->serial);
	s->this_update[s->n] = r->this_update;
	s->first[s->n] = r->der[r->der_len - 1];
	s->n++;
	return 0;
}

static void
test_ocsp_responses(void **state)
{
	struct signet_store *st = open_store();
	static const uint8_t r1[] = { 0x30, 0x03, 0x0a, 0x01, 0x01 };
	static const uint8_t r2[] = { 0x30, 0x03, 0x0a, 0x01, 0x02 };
	static const uint8_t r3[] = { 0x30, 0x03, 0x0a, 0x01, 0x03 };
	struct signet_store_ocsp v[2] = {
		{ "0c01", T0, T0 + 4 * DAY, r1, sizeof(r1) },
		{ "0c02", T0, T0 + 4 * DAY, r1, sizeof(r1) },
	};
	struct signet_store_ocsp later = { "0c01", T0 + 120, T0 + 5 * DAY, r2,
		sizeof(r2) };
	struct signet_store_ocsp older = { "0c01", T0 + 60, T0 + 5 * DAY, r3,
		sizeof(r3) };
	struct signet_store_cert_new c;
	struct ocsp_seen seen;

	(void)state;
	issue_one(st, "0c01", T0, T0 + 90 * DAY);
	issue_one(st, "0c02", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_ocsp_put(st, issuer_a_id, v, 2), 0);
	/* A later one replaces it; an older one does not. */
	assert_int_equal(signet_store_ocsp_put(st, issuer_a_id, &later, 1), 0);
	assert_int_equal(signet_store_ocsp_put(st, issuer_a_id, &older, 1), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(signet_store_ocsp_foreach(st, issuer_a_id, 0, T0,
			     ocsp_collect, &seen),
	    0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.serial[0], "0c02"); /* thisUpdate order */
	assert_string_equal(seen.serial[1], "0c01");
	assert_int_equal(seen.this_update[1], T0 + 120);
	assert_int_equal(seen.first[1], 0x02);
	/* Only what came after a thisUpdate, and is not stale at now. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(signet_store_ocsp_foreach(st, issuer_a_id, T0, T0,
			     ocsp_collect, &seen),
	    0);
	assert_int_equal(seen.n, 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(signet_store_ocsp_foreach(st, issuer_a_id, 0,
			     T0 + 4 * DAY, ocsp_collect, &seen),
	    0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.serial[0], "0c01");
	/* Another issuer has none; an unknown issuer neither. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(signet_store_ocsp_foreach(st, issuer_b_id, 0, T0,
			     ocsp_collect, &seen),
	    0);
	assert_int_equal(seen.n, 0);
	/* A callback may stop the walk, or fail it. */
	memset(&seen, 0, sizeof(seen));
	seen.n = 4;
	assert_int_equal(signet_store_ocsp_foreach(st, issuer_a_id, 0, T0,
			     ocsp_collect, &seen),
	    -1);

	/* Refused: a serial never signed, bad times, no DER. */
	v[0].serial = "0c03";
	assert_error(signet_store_ocsp_put(st, issuer_a_id, v, 1),
	    SIGNET_ERR_NOT_FOUND, "0c03");
	fill_new(&c, issuer_a_id, "0c04", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	v[0].serial = "0c04"; /* reserved, not signed */
	assert_error(signet_store_ocsp_put(st, issuer_a_id, v, 1),
	    SIGNET_ERR_NOT_FOUND, "0c04");
	v[0].serial = "0c01";
	v[0].next_update = T0;
	assert_error(signet_store_ocsp_put(st, issuer_a_id, v, 1),
	    SIGNET_ERR_USAGE, "nextUpdate");
	v[0].next_update = T0 + DAY;
	v[0].der_len = 0;
	assert_error(signet_store_ocsp_put(st, issuer_a_id, v, 1),
	    SIGNET_ERR_USAGE, NULL);
	/* The whole batch or nothing. */
	v[0].der_len = sizeof(r3);
	v[0].der = r3;
	v[0].this_update = T0 + 180;
	v[1].serial = "0c03";
	assert_error(signet_store_ocsp_put(st, issuer_a_id, v, 2),
	    SIGNET_ERR_NOT_FOUND, NULL);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(signet_store_ocsp_foreach(st, issuer_a_id, T0 + 120,
			     T0, ocsp_collect, &seen),
	    0);
	assert_int_equal(seen.n, 0);
	signet_store_free(st);
}

/* Version 6 adds OCSP responses to a v5 database. */
static void
test_migration_to_v6(void **state)
{
	struct signet_store *st;
	static const uint8_t r1[] = { 0x30, 0x03, 0x0a, 0x01, 0x01 };
	struct signet_store_ocsp o = { "0e01", T0, T0 + DAY, r1, sizeof(r1) };

	(void)state;
	assert_int_equal(store_open_version(test_url, 5, &st), 0);
	assert_int_equal(signet_store_schema_version(st), 5);
	issue_one(st, "0e01", T0, T0 + 30 * DAY);
	signet_store_free(st);
	st = open_store();
	assert_int_equal(signet_store_schema_version(st),
	    SIGNET_STORE_SCHEMA_VERSION);
	assert_int_equal(signet_store_ocsp_put(st, issuer_a_id, &o, 1), 0);
	signet_store_free(st);
}

/* Version 3 lists CRL entries from an index that holds their columns. */
static void
test_migration_to_v3(void **state)
{
	struct signet_store *st;

	(void)state;
	assert_int_equal(store_open_version(test_url, 2, &st), 0);
	assert_int_equal(signet_store_schema_version(st), 2);
	issue_one(st, "0d", T0, T0 + 30 * DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "0d",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY),
	    0);
	signet_store_free(st);
	st = open_store();
	assert_int_equal(signet_store_schema_version(st),
	    SIGNET_STORE_SCHEMA_VERSION);
	/* SQLite can be told to use the index, and fails if it is absent. */
	if (url_is_sqlite())
		assert_int_equal(store_exec_raw(st,
				     "SELECT serial, revoked_at, "
				     "revocation_reason, not_after FROM "
				     "certificates INDEXED BY "
				     "certificates_revoked_entries WHERE "
				     "issuer_id = 1 AND status = 'revoked' "
				     "ORDER BY serial"),
		    0);
	/* The index it replaces is gone. */
	assert_int_equal(store_exec_raw(st, "DROP INDEX certificates_revoked"),
	    SIGNET_ERR_STORE);
	assert_int_equal(counts(st, NULL).revoked, 1);
	signet_store_free(st);
}

static void
test_crl_numbers_and_records(void **state)
{
	struct signet_store *st;
	struct signet_store_crl *crl = NULL;
	int64_t n, last, tu;
	uint8_t *der, digest[32];
	char hash[65];
	size_t len;
	int i;

	(void)state;
	st = open_store();
	assert_error(signet_store_crl_last_full(st, issuer_a_id, &n, &tu),
	    SIGNET_ERR_NOT_FOUND, "no recorded full CRL");
	last = 0;
	for (i = 0; i < 5; i++) {
		assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
				     SIGNET_CRL_FULL, 0, T0 + i, T0 + DAY, &n),
		    0);
		assert_true(n > last);
		last = n;
	}
	assert_int_equal(last, 5);
	/* Numbers are per issuer. */
	assert_int_equal(signet_store_crl_allocate(st, issuer_b_id,
			     SIGNET_CRL_FULL, 0, T0, T0 + DAY, &n),
	    0);
	assert_int_equal(n, 1);

	/* Record number 5: DER must carry its number and times. */
	der = make_crl(issuer_a, 4, 0, T0 + 4, T0 + DAY, &len);
	assert_error(signet_store_crl_record(st, issuer_a_id, 5, der, len),
	    SIGNET_ERR_VERIFY, "cRLNumber");
	OPENSSL_free(der);
	der = make_crl(issuer_a, 5, 0, T0 + 3, T0 + DAY, &len);
	assert_error(signet_store_crl_record(st, issuer_a_id, 5, der, len),
	    SIGNET_ERR_VERIFY, "thisUpdate");
	OPENSSL_free(der);
	der = make_crl(issuer_a, 5, 2, T0 + 4, T0 + DAY, &len);
	assert_error(signet_store_crl_record(st, issuer_a_id, 5, der, len),
	    SIGNET_ERR_VERIFY, "deltaCRLIndicator");
	OPENSSL_free(der);
	der = make_crl(issuer_a, 5, 0, T0 + 4, T0 + DAY, &len);
	assert_int_equal(signet_store_crl_record(st, issuer_a_id, 5, der, len),
	    0);
	assert_error(signet_store_crl_record(st, issuer_a_id, 5, der, len),
	    SIGNET_ERR_CONFLICT, "already recorded");
	assert_error(signet_store_crl_record(st, issuer_a_id, 77, der, len),
	    SIGNET_ERR_NOT_FOUND, "no CRL number 77");
	assert_int_equal(signet_store_crl_last_full(st, issuer_a_id, &n, &tu),
	    0);
	assert_int_equal(n, 5);
	assert_int_equal(tu, T0 + 4);
	assert_int_equal(signet_store_crl_get(st, issuer_a_id, 5, &crl), 0);
	assert_int_equal(crl->kind, SIGNET_CRL_FULL);
	assert_int_equal(crl->base, 0);
	assert_int_equal(crl->this_update, T0 + 4);
	assert_int_equal(crl->next_update, T0 + DAY);
	assert_int_equal(crl->der_len, len);
	assert_memory_equal(crl->der, der, len);
	assert_int_equal(sha256(der, len, digest), 0);
	hex_encode(digest, 32, hash);
	assert_string_equal(crl->der_sha256, hash);
	signet_store_crl_free(crl);
	OPENSSL_free(der);
	assert_int_equal(signet_store_crl_get(st, issuer_a_id, 4, &crl), 0);
	assert_null(crl->der);
	signet_store_crl_free(crl);
	assert_error(signet_store_crl_get(st, issuer_a_id, 6, &crl),
	    SIGNET_ERR_NOT_FOUND, "no CRL number 6");

	/* Deltas need a recorded full base. */
	assert_error(signet_store_crl_allocate(st, issuer_a_id,
			 SIGNET_CRL_DELTA, 4, T0 + 5, T0 + DAY, &n),
	    SIGNET_ERR_CONFLICT, "not a recorded full CRL");
	assert_error(signet_store_crl_allocate(st, issuer_a_id,
			 SIGNET_CRL_DELTA, 40, T0 + 5, T0 + DAY, &n),
	    SIGNET_ERR_NOT_FOUND, "no CRL number 40");
	assert_error(signet_store_crl_allocate(st, issuer_a_id,
			 SIGNET_CRL_DELTA, 0, T0 + 5, T0 + DAY, &n),
	    SIGNET_ERR_USAGE, "number of its base");
	assert_error(signet_store_crl_allocate(st, issuer_a_id, SIGNET_CRL_FULL,
			 3, T0 + 5, T0 + DAY, &n),
	    SIGNET_ERR_USAGE, "no base");
	assert_error(signet_store_crl_allocate(st, issuer_a_id, SIGNET_CRL_FULL,
			 0, T0 + 5, T0 + 5, &n),
	    SIGNET_ERR_USAGE, "nextUpdate");
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_DELTA, 5, T0 + 5, T0 + DAY, &n),
	    0);
	assert_int_equal(n, 6);
	/* A delta does not become the last full CRL. */
	der = make_crl(issuer_a, 6, 5, T0 + 5, T0 + DAY, &len);
	assert_int_equal(signet_store_crl_record(st, issuer_a_id, 6, der, len),
	    0);
	OPENSSL_free(der);
	assert_int_equal(signet_store_crl_last_full(st, issuer_a_id, &n, NULL),
	    0);
	assert_int_equal(n, 5);
	assert_int_equal(counts(st, issuer_a_id).crls, 6);
	signet_store_free(st);
}

static void
test_crl_entries_in_serial_order(void **state)
{
	/* Numeric order differs from text order of the unpadded hex. */
	static const char *const serials[] = { "0100", "ff", "02",
		"7fabcdef0123456789abcdef0123456789abcdef", "1000", "0a" };
	static const char *const sorted[] = { "02", "0a", "ff", "0100", "1000",
		"7fabcdef0123456789abcdef0123456789abcdef" };
	struct signet_store *st;
	struct entries *e;
	int64_t n;
	size_t i;

	(void)state;
	st = open_store();
	for (i = 0; i < 6; i++)
		issue_one(st, serials[i], T0, T0 + 90 * DAY);
	issue_one(st, "05", T0, T0 + 90 * DAY); /* never revoked */
	for (i = 0; i < 6; i++)
		assert_int_equal(signet_store_cert_revoke(st, issuer_a_id,
				     serials[i],
				     i == 2 ? SIGNET_CRL_REASON_KEY_COMPROMISE
					    : SIGNET_CRL_REASON_SUPERSEDED,
				     T0 + DAY + (int64_t)i),
		    0);
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0 + 2 * DAY, T0 + 9 * DAY,
			     &n),
	    0);
	e = crl_entries(st, n);
	assert_int_equal(e->n, 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(e->serial[i], sorted[i]);
	assert_int_equal(e->reason[0], SIGNET_CRL_REASON_KEY_COMPROMISE);
	assert_int_equal(e->revoked_at[0], T0 + DAY + 2);
	assert_int_equal(e->reason[1], SIGNET_CRL_REASON_SUPERSEDED);
	assert_error(signet_store_crl_revoked_foreach(st, issuer_a_id, 99,
			 collect_entry, e),
	    SIGNET_ERR_NOT_FOUND, "99");
	signet_store_free(st);
}

/*
 * RFC 5280 3.3: an expired revoked certificate stays on the next full CRL
 * issued after its expiry, then leaves.
 */
static void
test_crl_expired_entry_kept_for_one_more_crl(void **state)
{
	struct signet_store *st;
	struct entries *e;
	int64_t n1, n2, n3, n4;

	(void)state;
	st = open_store();
	/* "0e" expires at T0 + 10 days, "0f" lives on. */
	issue_one(st, "0e", T0, T0 + 10 * DAY);
	issue_one(st, "0f", T0, T0 + 100 * DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "0e",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY),
	    0);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "0f",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY),
	    0);

	/* Weekly CRLs: T0+7 (before expiry), T0+14 (first after it), T0+21. */
	n1 = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 7 * DAY);
	e = crl_entries(st, n1);
	assert_int_equal(e->n, 2);
	n2 = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 14 * DAY);
	e = crl_entries(st, n2);
	assert_int_equal(e->n, 2); /* the one CRL issued after expiry */
	assert_string_equal(e->serial[0], "0e");
	n3 = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 21 * DAY);
	e = crl_entries(st, n3);
	assert_int_equal(e->n, 1); /* now dropped */
	assert_string_equal(e->serial[0], "0f");

	/*
	 * A number allocated but never recorded (crashed signing) does not
	 * count as "the previous CRL": the entry is not dropped because of
	 * a CRL nobody saw.
	 */
	issue_one(st, "1e", T0, T0 + 24 * DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "1e",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + 22 * DAY),
	    0);
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0 + 28 * DAY, T0 + 35 * DAY,
			     &n4),
	    0); /* never recorded */
	n4 = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 35 * DAY);
	e = crl_entries(st, n4);
	/* previous recorded thisUpdate is T0+21 <= T0+24: kept once */
	assert_int_equal(e->n, 2);
	assert_string_equal(e->serial[1], "1e");
	n4 = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 42 * DAY);
	e = crl_entries(st, n4);
	assert_int_equal(e->n, 1);
	signet_store_free(st);
}

static void
test_crl_delta_lists_changes_since_base(void **state)
{
	struct signet_store *st;
	struct entries *e;
	int64_t base, delta, delta2, n;

	(void)state;
	st = open_store();
	issue_one(st, "21", T0, T0 + 90 * DAY);
	issue_one(st, "22", T0, T0 + 90 * DAY);
	issue_one(st, "23", T0, T0 + 90 * DAY);
	issue_one(st, "24", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "21",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY),
	    0);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "22",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY),
	    0);
	base = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 2 * DAY);
	assert_int_equal(crl_entries(st, base)->n, 2);
	/* After the base: a new revocation and an escalation. */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "24",
			     SIGNET_CRL_REASON_CESSATION_OF_OPERATION,
			     T0 + 3 * DAY),
	    0);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "22",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + 3 * DAY),
	    0);
	assert_int_equal(signet_store_crl_last_full(st, issuer_a_id, &n, NULL),
	    0);
	assert_int_equal(n, base);
	delta = publish_crl(st, SIGNET_CRL_DELTA, base, T0 + 4 * DAY);
	e = crl_entries(st, delta);
	assert_int_equal(e->n, 2);
	assert_string_equal(e->serial[0], "22");
	assert_int_equal(e->reason[0], SIGNET_CRL_REASON_KEY_COMPROMISE);
	assert_string_equal(e->serial[1], "24");
	/* A later delta on the same base is cumulative. */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "23",
			     SIGNET_CRL_REASON_UNSPECIFIED, T0 + 5 * DAY),
	    0);
	delta2 = publish_crl(st, SIGNET_CRL_DELTA, base, T0 + 6 * DAY);
	assert_true(delta2 > delta);
	assert_int_equal(crl_entries(st, delta2)->n, 3);
	/* A new full base resets the deltas. */
	base = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 7 * DAY);
	assert_int_equal(crl_entries(st, base)->n, 4);
	delta = publish_crl(st, SIGNET_CRL_DELTA, base, T0 + 8 * DAY);
	assert_int_equal(crl_entries(st, delta)->n, 0);
	signet_store_free(st);
}

/* ---- listings -------------------------------------------------------- */

struct listing {
	char serial[16][41];
	int64_t not_after[16];
	int with_der;
	size_t n;
	int stop_at;   /* stop after this many rows... */
	int stop_code; /* ...returning this */
	struct signet_store *st;
	int reentry;
};

static int
collect_cert(const struct signet_store_cert *c, void *arg)
{
	struct listing *l = arg;
	struct signet_store_cert *x = NULL;

	assert_true(l->n < 16);
	snprintf(l->serial[l->n], 41, "%s", c->serial);
	l->not_after[l->n] = c->not_after;
	if (c->der != NULL)
		l->with_der++;
	l->n++;
	if (l->st != NULL)
		l->reentry = signet_store_cert_get(l->st, NULL, c->serial, &x);
	if (l->stop_at != 0 && (int)l->n == l->stop_at)
		return l->stop_code;
	return 0;
}

static struct listing *
list(struct signet_store *st, enum signet_store_select sel, const char *profile,
    int64_t now, int64_t within, int with_der)
{
	static struct listing l;
	struct signet_store_filter f;

	memset(&l, 0, sizeof(l));
	memset(&f, 0, sizeof(f));
	f.select = sel;
	f.profile = profile;
	f.now = now;
	f.expiring_within = within;
	f.with_der = with_der;
	if (signet_store_cert_foreach(st, &f, collect_cert, &l) != 0)
		fail_msg("listing: %s", signet_error_message());
	return &l;
}

static void
test_listing_filters(void **state)
{
	struct signet_store *st;
	struct signet_store_cert_new c;
	struct signet_store_filter f;
	struct listing *l;
	int64_t now = T0 + 50 * DAY;

	(void)state;
	st = open_store();
	issue_one(st, "31", T0, T0 + 100 * DAY); /* valid */
	issue_one(st, "32", T0, T0 + 60 * DAY);  /* valid, expiring */
	issue_one(st, "33", T0, T0 + 40 * DAY);  /* expired */
	issue_one(st, "34", T0, T0 + 55 * DAY);  /* revoked below */
	issue_one(st, "35", T0, T0 + 50 * DAY);  /* expires this second */
	fill_new(&c, issuer_a_id, "36", T0, T0 + 70 * DAY);
	c.profile = "tls-client";
	assert_int_equal(signet_store_cert_reserve(st, &c, T0),
	    0); /* pending */
	fill_new(&c, issuer_a_id, "37", T0, T0 + 70 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(signet_store_cert_fail(st, issuer_a_id, "37", "lint",
			     T0),
	    0);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "34",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY),
	    0);

	/* Valid, in notAfter order; notAfter itself is still valid. */
	l = list(st, SIGNET_SELECT_VALID, NULL, now, 0, 0);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->serial[0], "35");
	assert_string_equal(l->serial[1], "32");
	assert_string_equal(l->serial[2], "31");
	assert_int_equal(l->with_der, 0);
	l = list(st, SIGNET_SELECT_EXPIRED, NULL, now, 0, 1);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->serial[0], "33");
	assert_int_equal(l->with_der, 1);
	l = list(st, SIGNET_SELECT_REVOKED, NULL, now, 0, 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->serial[0], "34");
	l = list(st, SIGNET_SELECT_PENDING, NULL, now, 0, 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->serial[0], "36");
	l = list(st, SIGNET_SELECT_FAILED, NULL, now, 0, 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->serial[0], "37");
	/* Everything, in reservation order. */
	l = list(st, SIGNET_SELECT_ALL, NULL, now, 0, 0);
	assert_int_equal(l->n, 7);
	assert_string_equal(l->serial[0], "31");
	assert_string_equal(l->serial[6], "37");
	/* Expiring within 15 days: notAfter in [now, now + 15d). */
	l = list(st, SIGNET_SELECT_VALID, NULL, now, 15 * DAY, 0);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->serial[0], "35");
	assert_string_equal(l->serial[1], "32");
	assert_int_equal(list(st, SIGNET_SELECT_VALID, NULL, now, 10 * DAY, 0)
			     ->n,
	    1);
	assert_int_equal(list(st, SIGNET_SELECT_ALL, NULL, now, 6 * DAY, 0)->n,
	    2);
	/* Profiles. */
	assert_int_equal(list(st, SIGNET_SELECT_ALL, "tls-client", now, 0, 0)->n,
	    1);
	assert_int_equal(list(st, SIGNET_SELECT_VALID, "tls-server", now, 0, 0)
			     ->n,
	    3);
	assert_int_equal(list(st, SIGNET_SELECT_VALID, "none", now, 0, 0)->n,
	    0);

	/* Issuer filter, and an issuer without rows. */
	memset(&f, 0, sizeof(f));
	f.select = SIGNET_SELECT_ALL;
	f.issuer = issuer_b_id;
	l = list(st, SIGNET_SELECT_ALL, NULL, now, 0, 0);
	l->n = 0;
	assert_int_equal(signet_store_cert_foreach(st, &f, collect_cert, l), 0);
	assert_int_equal(l->n, 0);
	f.issuer = issuer_a_id;
	assert_int_equal(signet_store_cert_foreach(st, &f, collect_cert, l), 0);
	assert_int_equal(l->n, 7);

	/* Stopping: positive is a clean stop, negative an error. */
	memset(l, 0, sizeof(*l));
	f.issuer = NULL;
	l->stop_at = 2;
	l->stop_code = 1;
	assert_int_equal(signet_store_cert_foreach(st, &f, collect_cert, l), 0);
	assert_int_equal(l->n, 2);
	memset(l, 0, sizeof(*l));
	l->stop_at = 3;
	l->stop_code = SIGNET_ERR_POLICY;
	assert_int_equal(signet_store_cert_foreach(st, &f, collect_cert, l),
	    SIGNET_ERR_POLICY);
	assert_int_equal(l->n, 3);
	/* Calling the store from a callback is refused, not corrupted. */
	memset(l, 0, sizeof(*l));
	l->st = st;
	assert_int_equal(signet_store_cert_foreach(st, &f, collect_cert, l), 0);
	assert_int_equal(l->reentry, SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "callback"));
	/* Contradictions are refused. */
	f.select = SIGNET_SELECT_EXPIRED;
	f.expiring_within = DAY;
	assert_error(signet_store_cert_foreach(st, &f, collect_cert, l),
	    SIGNET_ERR_USAGE, "expiring");
	signet_store_free(st);
}

/*
 * No single-certificate operation and no CRL or status listing may scan
 * the certificates table or sort it: every statement the store prepared
 * during a full workload is checked with EXPLAIN QUERY PLAN (SQLite's
 * planner does not depend on table size without ANALYZE, so a small
 * table shows the plan a million rows get).
 */
static void
test_statements_use_indexes(void **state)
{
	struct signet_store *st;
	struct signet_store_cert_new c;
	struct signet_store_cert *row = NULL;
	struct signet_store_counts n;
	struct entries e;
	sqlite3 *db = NULL;
	sqlite3_stmt *s;
	char plan[4096];
	size_t i, used, checked = 0;
	int64_t full, delta;
	int blocked;
	uint8_t spki[32];

	(void)state;
	if (!url_is_sqlite())
		skip();
	st = open_store();
	issue_one(st, "91", T0, T0 + 90 * DAY);
	issue_one(st, "92", T0, T0 + 90 * DAY);
	fill_new(&c, issuer_a_id, "93", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(signet_store_cert_fail(st, issuer_a_id, "93", "x", T0),
	    0);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "91",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + 1),
	    0);
	full = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 2);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "91",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + 3),
	    0);
	delta = publish_crl(st, SIGNET_CRL_DELTA, full, T0 + 4);
	memset(&e, 0, sizeof(e));
	assert_int_equal(signet_store_crl_revoked_foreach(st, issuer_a_id, full,
			     collect_entry, &e),
	    0);
	assert_int_equal(signet_store_crl_revoked_foreach(st, issuer_a_id,
			     delta, collect_entry, &e),
	    0);
	assert_int_equal(signet_store_crl_last_full(st, issuer_a_id, &full,
			     NULL),
	    0);
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "92", &row), 0);
	signet_store_cert_free(row);
	assert_int_equal(signet_store_cert_get(st, NULL, "92", &row), 0);
	signet_store_cert_free(row);
	key_sha256(subject_key, spki);
	assert_int_equal(signet_store_key_blocked(st, spki, &blocked), 0);
	assert_int_equal(signet_store_clock_last(st, &full), 0);
	list(st, SIGNET_SELECT_VALID, NULL, T0, 0, 0);
	list(st, SIGNET_SELECT_VALID, NULL, T0, 30 * DAY, 0);
	list(st, SIGNET_SELECT_REVOKED, "tls-server", T0, 0, 0);
	list(st, SIGNET_SELECT_EXPIRED, NULL, T0, 0, 0);
	list(st, SIGNET_SELECT_PENDING, NULL, T0, 0, 0);
	n = counts(st, issuer_a_id);
	assert_int_equal(n.revoked, 1);

	assert_int_equal(sqlite3_open_v2(db_path(), &db, SQLITE_OPEN_READONLY,
			     NULL),
	    SQLITE_OK);
	for (i = 0; i < STORE_STMT_CACHE; i++) {
		const char *sql = st->cache[i].sql;
		char *eqp;

		if (sql == NULL || strstr(sql, "certificates") == NULL)
			continue;
		/* Counting all rows reads an index by design. */
		if (strstr(sql, "count(*)") != NULL)
			continue;
		assert_non_null(
		    eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql));
		assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &s, NULL),
		    SQLITE_OK);
		plan[0] = '\0';
		used = 0;
		while (sqlite3_step(s) == SQLITE_ROW && used < sizeof(plan)) {
			used += (size_t)snprintf(plan + used,
			    used < sizeof(plan) ? sizeof(plan) - used : 0,
			    "%s;", (const char *)sqlite3_column_text(s, 3));
		}
		sqlite3_finalize(s);
		sqlite3_free(eqp);
		if ((strstr(plan, "SCAN c") != NULL &&
			strstr(plan, "SCAN c USING") == NULL) ||
		    (strstr(plan, "SCAN certificates") != NULL &&
			strstr(plan, "SCAN certificates USING") == NULL) ||
		    strstr(plan, "TEMP B-TREE") != NULL)
			fail_msg("%s\nis planned as %s", sql, plan);
		checked++;
	}
	sqlite3_close(db);
	/* reserve, issue, fail, revoke, get, CRL entries, listings... */
	assert_true(checked >= 15);
	signet_store_free(st);
}

/* ---- db check ---------------------------------------------------------- */

struct problems {
	int kinds[16];
	char serial[16][41];
	int64_t crl[16];
	char detail[16][512];
	size_t n;
};

static int
collect_problem(const struct signet_store_problem *p, void *arg)
{
	struct problems *out = arg;

	if (out->n >= 16)
		return 1;
	out->kinds[out->n] = p->kind;
	snprintf(out->serial[out->n], 41, "%s", p->serial ? p->serial : "");
	out->crl[out->n] = p->crl_number;
	snprintf(out->detail[out->n], 512, "%s", p->detail);
	out->n++;
	return 0;
}

static struct problems *
check(struct signet_store *st, int64_t now, EVP_PKEY *key)
{
	static struct problems p;
	struct signet_store_check_opts o;
	size_t n = 99;

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	o.now = now;
	o.grace = 600;
	o.issuer_keys = &key;
	o.n_issuer_keys = key != NULL ? 1 : 0;
	if (signet_store_check(st, &o, collect_problem, &p, &n) != 0)
		fail_msg("check: %s", signet_error_message());
	assert_int_equal(n, p.n);
	return &p;
}

static int
has_problem(struct problems *p, int kind, const char *serial,
    const char *needle)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->kinds[i] == kind &&
		    (serial == NULL || strcmp(p->serial[i], serial) == 0) &&
		    (needle == NULL || strstr(p->detail[i], needle) != NULL))
			return 1;
	return 0;
}

/*
 * Replace a row's DER as an intruder with write access would, keeping the
 * recorded hash (hash NULL: making it match the new DER). Parameters keep
 * this independent of the backend's literal syntax.
 */
static void
tamper(struct signet_store *st, const char *serial, const uint8_t *der,
    size_t len, const char *hash)
{
	struct store_q q;
	char canon[41], padded[41], fresh[65];
	uint8_t digest[32];

	assert_int_equal(store_serial_norm(serial, canon, padded), 0);
	if (hash == NULL) {
		assert_int_equal(sha256(der, len, digest), 0);
		hex_encode(digest, 32, fresh);
		hash = fresh;
	}
	assert_int_equal(store_q_open(st,
			     "UPDATE certificates SET der = ?, cert_sha256 = ? "
			     "WHERE serial = ?",
			     &q),
	    0);
	store_q_blob(&q, der, len);
	store_q_text(&q, hash);
	store_q_text(&q, padded);
	assert_int_equal(store_q_exec(&q), 0);
	store_q_close(&q);
}

static void
test_check_finds_problems(void **state)
{
	struct signet_store *st;
	struct signet_store_cert_new c;
	struct signet_store_cert *row = NULL;
	struct store_q q;
	struct problems *p;
	uint8_t *der;
	size_t len;
	int64_t n;

	(void)state;
	st = open_store();
	issue_one(st, "41", T0, T0 + 90 * DAY);
	issue_one(st, "42", T0, T0 + 90 * DAY);
	issue_one(st, "43", T0, T0 + 90 * DAY);
	issue_one(st, "44", T0, T0 + 90 * DAY);
	publish_crl(st, SIGNET_CRL_FULL, 0, T0 + DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "44",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + DAY),
	    0);
	/* A clean database has nothing to report, signatures included. */
	p = check(st, T0 + 2 * DAY, issuer_a);
	if (p->n != 0)
		fail_msg("unexpected problem: %s", p->detail[0]);

	/* A reservation left behind by a crash: reported once old. */
	fill_new(&c, issuer_a_id, "45", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0 + 2 * DAY), 0);
	assert_int_equal(check(st, T0 + 2 * DAY + 60, NULL)->n, 0);
	p = check(st, T0 + 3 * DAY, NULL);
	assert_int_equal(p->n, 1);
	assert_true(has_problem(p, SIGNET_PROBLEM_PENDING, "45", "mark it"));

	/* Tampering: a flipped byte in a stored DER. */
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "41", &row), 0);
	der = OPENSSL_memdup(row->der, row->der_len);
	der[100] ^= 0x01;
	tamper(st, "41", der, row->der_len, row->cert_sha256);
	OPENSSL_free(der);
	signet_store_cert_free(row);
	/* Another certificate's DER, with its hash made to match. */
	der = make_cert(issuer_a, subject_key, "4299", T0, T0 + 90 * DAY, &len);
	tamper(st, "42", der, len, NULL);
	OPENSSL_free(der);
	/* A consistent row whose certificate another key signed. */
	der = make_cert(other_key, subject_key, "43", T0, T0 + 90 * DAY, &len);
	tamper(st, "43", der, len, NULL);
	OPENSSL_free(der);
	/* A keyCompromise whose key left the blocklist. */
	assert_int_equal(store_exec_raw(st, "DELETE FROM blocked_keys"), 0);
	/* A CRL number whose signing never finished. */
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0 + 2 * DAY, T0 + 9 * DAY,
			     &n),
	    0);
	/* A tampered CRL. */
	assert_int_equal(store_q_open(st,
			     "UPDATE crls SET der = ? WHERE crl_number = 1",
			     &q),
	    0);
	store_q_blob(&q, "\x30\x00", 2);
	assert_int_equal(store_q_exec(&q), 0);
	store_q_close(&q);

	p = check(st, T0 + 3 * DAY, issuer_a);
	assert_true(has_problem(p, SIGNET_PROBLEM_PENDING, "45", NULL));
	assert_true(
	    has_problem(p, SIGNET_PROBLEM_CERT_MISMATCH, "41", "hashes to"));
	assert_true(has_problem(p, SIGNET_PROBLEM_CERT_MISMATCH, "42",
	    "serial is 4299"));
	assert_true(
	    has_problem(p, SIGNET_PROBLEM_CERT_MISMATCH, "43", "signature"));
	assert_true(
	    has_problem(p, SIGNET_PROBLEM_KEY_NOT_BLOCKED, "44", "block it"));
	assert_true(has_problem(p, SIGNET_PROBLEM_CRL_UNRECORDED, "", NULL));
	assert_true(has_problem(p, SIGNET_PROBLEM_CRL_MISMATCH, "", "altered"));
	assert_int_equal(p->n, 7);
	/* Without the issuer key the forged signature goes unnoticed. */
	assert_int_equal(check(st, T0 + 3 * DAY, NULL)->n, 6);

	/* The clock went back: rows from the future. */
	p = check(st, T0 - DAY, NULL);
	assert_true(has_problem(p, SIGNET_PROBLEM_FUTURE, "41", "clock"));

	/* Resolving the pending row clears that finding. */
	assert_int_equal(signet_store_cert_fail(st, issuer_a_id, "45",
			     "abandoned after a crash", T0 + 3 * DAY),
	    0);
	assert_false(has_problem(check(st, T0 + 3 * DAY, NULL),
	    SIGNET_PROBLEM_PENDING, NULL, NULL));
	signet_store_free(st);
}

/*
 * The audit log's last checkpoint, kept per log: never backwards unless
 * replaced on purpose; and the CRL counter moved past numbers the log
 * holds (a database restored from a backup).
 */
static void
test_audit_heads_and_crl_advance(void **state)
{
	static const char log1[] =
	    "1111111111111111111111111111111111111111111111111111111111111111";
	static const char log2[] =
	    "2222222222222222222222222222222222222222222222222222222222222222";
	struct signet_store *st;
	uint8_t h1[32], h2[32], got[32];
	uint64_t seq = 0;
	int64_t n = 0, was = 0;

	(void)state;
	memset(h1, 0xa1, sizeof(h1));
	memset(h2, 0xb2, sizeof(h2));
	st = open_store();
	assert_error(signet_store_audit_head_get(st, log1, &seq, got),
	    SIGNET_ERR_NOT_FOUND, "no checkpoint");
	assert_error(signet_store_audit_head_set(st, "12", "h:/a", 5, h1, 0),
	    SIGNET_ERR_USAGE, "64 lower-case hex");
	assert_int_equal(signet_store_audit_head_set(st, log1,
			     "ca1:/srv/audit.log", 5, h1, 0),
	    0);
	assert_int_equal(signet_store_audit_head_get(st, log1, &seq, got), 0);
	assert_int_equal(seq, 5);
	assert_memory_equal(got, h1, 32);
	/* An earlier head (a slower writer) is ignored ... */
	assert_int_equal(signet_store_audit_head_set(st, log1, "x", 3, h2, 0),
	    0);
	assert_int_equal(signet_store_audit_head_get(st, log1, &seq, got), 0);
	assert_int_equal(seq, 5);
	assert_memory_equal(got, h1, 32);
	/* ... unless an operator accepted a shorter log. */
	assert_int_equal(signet_store_audit_head_set(st, log1, "x", 3, h2, 1),
	    0);
	assert_int_equal(signet_store_audit_head_get(st, log1, &seq, got), 0);
	assert_int_equal(seq, 3);
	assert_memory_equal(got, h2, 32);
	assert_int_equal(signet_store_audit_head_set(st, log1, "x", 9, h1, 0),
	    0);
	assert_int_equal(signet_store_audit_head_get(st, log1, &seq, got), 0);
	assert_int_equal(seq, 9);
	assert_int_equal(signet_store_audit_head_count(st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(signet_store_audit_head_set(st, log2, "ca2:/a", 1, h2,
			     0),
	    0);
	assert_int_equal(signet_store_audit_head_count(st, &n), 0);
	assert_int_equal(n, 2);

	/* CRL numbers: past what the log recorded, never back. */
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0, T0 + DAY, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(signet_store_crl_advance(st, issuer_a_id, 10, &was),
	    0);
	assert_int_equal(was, 1);
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0, T0 + DAY, &n),
	    0);
	assert_int_equal(n, 11);
	assert_int_equal(signet_store_crl_advance(st, issuer_a_id, 5, &was), 0);
	assert_int_equal(was, 11);
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0, T0 + DAY, &n),
	    0);
	assert_int_equal(n, 12);
	signet_store_free(st);
}

/* A blocked key whose keyCompromise row was flipped or downgraded. */
static void
test_check_blocked_key_rows(void **state)
{
	struct signet_store *st;
	struct problems *p;

	(void)state;
	st = open_store();
	issue_one(st, "51", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "51",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + DAY),
	    0);
	assert_false(has_problem(check(st, T0 + 2 * DAY, NULL),
	    SIGNET_PROBLEM_KEY_BLOCKED_UNREVOKED, NULL, NULL));
	assert_int_equal(store_exec_raw(st,
			     "UPDATE certificates SET revocation_reason = 4"),
	    0);
	p = check(st, T0 + 2 * DAY, NULL);
	assert_true(has_problem(p, SIGNET_PROBLEM_KEY_BLOCKED_UNREVOKED, "51",
	    "for reason superseded"));
	assert_int_equal(store_exec_raw(st,
			     "UPDATE certificates SET status = 'issued', "
			     "revoked_at = NULL, revocation_reason = NULL, "
			     "revocation_seq = NULL"),
	    0);
	p = check(st, T0 + 2 * DAY, NULL);
	assert_true(has_problem(p, SIGNET_PROBLEM_KEY_BLOCKED_UNREVOKED, "51",
	    "its row says issued"));
	signet_store_free(st);
}

/* A process killed between reserve and issue: durable, resolvable. */
static void
test_crash_after_reserve_is_resolvable(void **state)
{
	struct signet_store *st;
	struct problems *p;
	uint8_t *der;
	size_t len;

	(void)state;
	/* The shell reports the SIGKILL as 128 + 9. */
	assert_int_equal(run_child("", "reserve-and-die", "5a"), 128 + SIGKILL);
	st = open_store();
	assert_int_equal(counts(st, NULL).pending, 1);
	p = check(st, T0 + DAY, NULL);
	assert_int_equal(p->n, 1);
	assert_true(has_problem(p, SIGNET_PROBLEM_PENDING, "5a", NULL));
	/* It had been signed after all: record it. */
	der = make_cert(issuer_a, subject_key, "5a", T0, T0 + 90 * DAY, &len);
	assert_int_equal(signet_store_cert_issue(st, issuer_a_id, "5a", der,
			     len, T0 + DAY),
	    0);
	OPENSSL_free(der);
	assert_int_equal(check(st, T0 + DAY, issuer_a)->n, 0);
	signet_store_free(st);
}

/* ---- transactions ------------------------------------------------------ */

static void
test_transactions_roll_back(void **state)
{
	struct signet_store *st;
	struct signet_store_cert_new c;
	struct signet_store_counts n;

	(void)state;
	st = open_store();
	assert_error(signet_store_commit(st), SIGNET_ERR_USAGE, "no store");
	assert_error(signet_store_rollback(st), SIGNET_ERR_USAGE, "no store");
	assert_int_equal(signet_store_begin(st), 0);
	assert_error(signet_store_begin(st), SIGNET_ERR_USAGE, "already open");
	fill_new(&c, issuer_a_id, "61", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	fill_new(&c, issuer_a_id, "62", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	/* A failing call inside leaves the transaction usable... */
	assert_error(signet_store_cert_reserve(st, &c, T0), SIGNET_ERR_CONFLICT,
	    "62");
	assert_int_equal(counts(st, NULL).pending, 2);
	/* ...and a rollback leaves nothing, not even the new issuer. */
	assert_int_equal(signet_store_rollback(st), 0);
	n = counts(st, NULL);
	assert_int_equal(n.pending, 0);
	assert_error(signet_store_crl_last_full(st, issuer_a_id, &n.crls, NULL),
	    SIGNET_ERR_NOT_FOUND, NULL);

	/* Commit keeps both; the cached issuer of the rolled back work is
	 * gone and registered afresh. */
	assert_int_equal(signet_store_begin(st), 0);
	fill_new(&c, issuer_a_id, "61", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	fill_new(&c, issuer_a_id, "63", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	assert_int_equal(signet_store_commit(st), 0);
	assert_int_equal(counts(st, NULL).pending, 2);

	/* An open transaction is rolled back when the store is closed. */
	assert_int_equal(signet_store_begin(st), 0);
	fill_new(&c, issuer_a_id, "64", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	signet_store_free(st);
	st = open_store();
	assert_int_equal(counts(st, NULL).pending, 2);
	signet_store_free(st);
}

/* A failure between two statements of one call leaves neither. */
static void
test_partial_revocation_is_undone(void **state)
{
	struct signet_store *st;
	struct signet_store_cert *row = NULL;
	uint8_t spki[32];
	int blocked = 1;

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip(); /* the fault point store.revoke.before_block */
#endif
	st = open_store();
	issue_one(st, "71", T0, T0 + 90 * DAY);
	signet_store_free(st);
	/* The child fails after the UPDATE, before the blocklist INSERT. */
	assert_int_equal(run_child("fail:store.revoke.before_block", "revoke",
			     "71"),
	    -SIGNET_ERR_IO);
	assert_int_equal(run_child("fail:store.revoke.before_block",
			     "revoke-in-txn", "71"),
	    0);
	st = open_store();
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "71", &row), 0);
	assert_int_equal(row->status, SIGNET_CERT_ISSUED);
	assert_int_equal(row->revocation_reason, -1);
	signet_store_cert_free(row);
	key_sha256(subject_key, spki);
	assert_int_equal(signet_store_key_blocked(st, spki, &blocked), 0);
	assert_int_equal(blocked, 0);
	/* The transaction's other work was committed. */
	assert_int_equal(counts(st, NULL).pending, 1);
	/* No revocation number was used up either. */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "71",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + DAY),
	    0);
	assert_int_equal(signet_store_key_blocked(st, spki, &blocked), 0);
	assert_int_equal(blocked, 1);
	signet_store_free(st);
}

static void
test_clock_last(void **state)
{
	struct signet_store *st;
	int64_t last = -1;

	(void)state;
	st = open_store();
	assert_int_equal(signet_store_clock_last(st, &last), 0);
	assert_int_equal(last, 0);
	issue_one(st, "81", T0, T0 + 90 * DAY);
	assert_int_equal(signet_store_clock_last(st, &last), 0);
	assert_int_equal(last, T0);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "81",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + 3 * DAY),
	    0);
	assert_int_equal(signet_store_clock_last(st, &last), 0);
	assert_int_equal(last, T0 + 3 * DAY);
	publish_crl(st, SIGNET_CRL_FULL, 0, T0 + 4 * DAY);
	assert_int_equal(signet_store_clock_last(st, &last), 0);
	assert_int_equal(last, T0 + 4 * DAY);
	/* A backdated keyCompromise date does not move the clock back. */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "81",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + DAY),
	    0);
	assert_int_equal(signet_store_clock_last(st, &last), 0);
	assert_int_equal(last, T0 + 4 * DAY);
	signet_store_free(st);
}

/* ---- moving a CA between databases ------------------------------------ */

/*
 * A store with something in every place: two issuers, certificates in
 * every status, CRLs full, delta and unrecorded, keys blocked by
 * revocation and by hand, a meta row.
 */
static void
populate(struct signet_store *st)
{
	struct signet_store_cert_new c;
	uint8_t spki[32];
	uint8_t *der;
	size_t len;
	int64_t full, n;

	issue_one(st, "0a01", T0, T0 + 90 * DAY);
	issue_one(st, "0a02", T0, T0 + 90 * DAY);
	issue_one(st, "0a03", T0, T0 + 2 * DAY);
	issue_one(st, "7fffffffffffffffffffffffffffffffffffff01", T0,
	    T0 + 90 * DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "0a02",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY),
	    0);
	full = publish_crl(st, SIGNET_CRL_FULL, 0, T0 + DAY);
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id, "0a03",
			     SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + 2 * DAY),
	    0);
	(void)publish_crl(st, SIGNET_CRL_DELTA, full, T0 + 2 * DAY);
	/* allocated, never signed */
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0 + 3 * DAY, T0 + 9 * DAY,
			     &n),
	    0);
	fill_new(&c, issuer_a_id, "0b01", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0 + DAY), 0);
	fill_new(&c, issuer_a_id, "0b02", T0, T0 + DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0 + DAY), 0);
	assert_int_equal(signet_store_cert_fail(st, issuer_a_id, "0b02",
			     "lint: name \"x\" not allowed\n", T0 + DAY),
	    0);
	/* The same serial under the second issuer. */
	fill_new(&c, issuer_b_id, "0a01", T0, T0 + 30 * DAY);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	der = make_cert(issuer_b, subject_key, "0a01", T0, T0 + 30 * DAY, &len);
	assert_int_equal(signet_store_cert_issue(st, issuer_b_id, "0a01", der,
			     len, T0),
	    0);
	OPENSSL_free(der);
	key_sha256(other_key, spki);
	assert_int_equal(signet_store_key_block(st, spki,
			     "reported compromised by its owner", T0 + DAY),
	    0);
	assert_int_equal(store_exec_raw(st,
			     "INSERT INTO meta (name, value) "
			     "VALUES ('ca_note', 'moved twice')"),
	    0);
	{
		static const uint8_t resp_a[] = { 0x30, 0x03, 0x0a, 0x01,
			0x00 };
		static const uint8_t resp_b[] = { 0x30, 0x03, 0x0a, 0x01,
			0x01 };
		struct signet_store_ocsp o = { "0a01", T0 + 60, T0 + 4 * DAY,
			resp_a, sizeof(resp_a) };

		assert_int_equal(signet_store_ocsp_put(st, issuer_a_id, &o, 1),
		    0);
		o.der = resp_b;
		assert_int_equal(signet_store_ocsp_put(st, issuer_b_id, &o, 1),
		    0);
	}
}

static void
content_hash(struct signet_store *st, struct signet_store_inventory *rows,
    char hash[65])
{
	if (signet_store_content_hash(st, rows, hash) != 0)
		fail_msg("content hash: %s", signet_error_message());
}

struct progress_log {
	int calls;
	int64_t certificates;
	int stop_at;
};

static int
progress_cb(const char *table, int64_t done, int64_t total, void *arg)
{
	struct progress_log *p = arg;

	p->calls++;
	if (strcmp(table, "certificates") == 0) {
		p->certificates = done;
		assert_true(total == -1 || done <= total);
	}
	if (p->stop_at > 0 && p->calls >= p->stop_at)
		return SIGNET_ERR_USAGE;
	return 0;
}

/* What a CA does with the moved records must work the same. */
static void
assert_same_behaviour(struct signet_store *st, int64_t next_crl)
{
	struct signet_store_cert *c = NULL;
	struct entries *e;
	uint8_t spki[32];
	int64_t n, this_update;
	int blocked = 0;

	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "0a03", &c), 0);
	assert_int_equal(c->status, SIGNET_CERT_REVOKED);
	assert_int_equal(c->revocation_reason,
	    SIGNET_CRL_REASON_KEY_COMPROMISE);
	assert_non_null(c->der);
	signet_store_cert_free(c);
	assert_int_equal(signet_store_cert_get(st, issuer_a_id, "0b02", &c), 0);
	assert_string_equal(c->failure, "lint: name \"x\" not allowed\n");
	signet_store_cert_free(c);
	assert_error(signet_store_cert_get(st, NULL, "0a01", &c),
	    SIGNET_ERR_CONFLICT, "more than one issuer");
	key_sha256(subject_key, spki);
	assert_int_equal(signet_store_key_blocked(st, spki, &blocked), 0);
	assert_int_equal(blocked, 1);
	key_sha256(other_key, spki);
	assert_int_equal(signet_store_key_blocked(st, spki, &blocked), 0);
	assert_int_equal(blocked, 1);
	assert_int_equal(signet_store_crl_last_full(st, issuer_a_id, &n,
			     &this_update),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(this_update, T0 + DAY);
	/* The delta lists exactly the revocation after its base. */
	e = crl_entries(st, 2);
	assert_int_equal(e->n, 1);
	assert_string_equal(e->serial[0], "0a03");
	/* Serial order across the whole range. */
	assert_int_equal(signet_store_cert_revoke(st, issuer_a_id,
			     "7fffffffffffffffffffffffffffffffffffff01",
			     SIGNET_CRL_REASON_SUPERSEDED, T0 + 3 * DAY),
	    0);
	/* CRL numbers go on from where the source stopped. */
	assert_int_equal(signet_store_crl_allocate(st, issuer_a_id,
			     SIGNET_CRL_FULL, 0, T0 + 4 * DAY, T0 + 9 * DAY,
			     &n),
	    0);
	assert_int_equal(n, next_crl);
	e = crl_entries(st, n);
	assert_int_equal(e->n, 3);
	assert_string_equal(e->serial[0], "0a02");
	assert_string_equal(e->serial[1], "0a03");
	assert_string_equal(e->serial[2],
	    "7fffffffffffffffffffffffffffffffffffff01");
	/* db check finds the pending row and the unsigned CRL, as before. */
	assert_true(has_problem(check(st, T0 + 5 * DAY, NULL),
	    SIGNET_PROBLEM_PENDING, "0b01", NULL));
}

/*
 * SQLite -> the store under test (PostgreSQL in its run) -> SQLite again,
 * then through an export file: nothing lost, nothing changed.
 */
static void
test_copy_between_backends(void **state)
{
	struct signet_store *src, *dst, *back, *imp;
	struct signet_store_inventory r1, r2, r3;
	struct progress_log pl;
	char h1[65], h2[65], h3[65], url[4300], path[4300];
	uint8_t *text;
	char *p;
	size_t len;

	(void)state;
	snprintf(url, sizeof(url), "sqlite:%s/src.db", test_dir);
	assert_int_equal(signet_store_open(url, &src), 0);
	populate(src);
	/* EAB keys travel with the CA (docs/store-export.md). */
	assert_int_equal(signet_store_acme_eab_add(src,
			     "0123456789abcdef0123456789abcdef",
			     "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
			     "server", "copied", T0),
	    0);
	assert_int_equal(signet_store_acme_eab_revoke(src,
			     "0123456789abcdef0123456789abcdef", T0 + 1),
	    0);
	content_hash(src, &r1, h1);
	assert_int_equal(r1.issuers, 2);
	assert_int_equal(r1.certificates, 7);
	assert_int_equal(r1.crls, 3);
	assert_int_equal(r1.blocked_keys, 2);
	assert_int_equal(r1.meta, 1);
	assert_int_equal(r1.acme_eab_keys, 1);

	dst = open_store();
	memset(&pl, 0, sizeof(pl));
	if (signet_store_copy(src, dst, progress_cb, &pl) != 0)
		fail_msg("copy: %s", signet_error_message());
	assert_true(pl.calls > 0);
	assert_int_equal(pl.certificates, 7);
	content_hash(dst, &r2, h2);
	assert_memory_equal(&r1, &r2, sizeof(r1));
	assert_string_equal(h1, h2);
	/* A second copy would mix two CAs: refused, nothing changed. */
	assert_error(signet_store_copy(src, dst, NULL, NULL),
	    SIGNET_ERR_CONFLICT, "not empty");
	assert_error(signet_store_copy(dst, dst, NULL, NULL), SIGNET_ERR_USAGE,
	    "onto itself");

	/* And back, into a fresh SQLite file. */
	snprintf(url, sizeof(url), "sqlite:%s/back.db", test_dir);
	assert_int_equal(signet_store_open(url, &back), 0);
	/* A callback that stops the copy leaves the destination empty. */
	memset(&pl, 0, sizeof(pl));
	pl.stop_at = 2;
	assert_error(signet_store_copy(dst, back, progress_cb, &pl),
	    SIGNET_ERR_USAGE, NULL);
	content_hash(back, &r3, h3);
	assert_int_equal(r3.certificates + r3.issuers + r3.crls, 0);
	assert_int_equal(signet_store_copy(dst, back, NULL, NULL), 0);
	content_hash(back, &r3, h3);
	assert_string_equal(h1, h3);

	/* Export and import: the same content through a file. */
	snprintf(path, sizeof(path), "%s/ca.jsonl", test_dir);
	memset(&pl, 0, sizeof(pl));
	if (signet_store_export(dst, path, progress_cb, &pl) != 0)
		fail_msg("export: %s", signet_error_message());
	assert_int_equal(pl.certificates, 7);
	assert_error(signet_store_export(dst, path, NULL, NULL),
	    SIGNET_ERR_CONFLICT, "exists");
	snprintf(url, sizeof(url), "sqlite:%s/imp.db", test_dir);
	assert_int_equal(signet_store_open(url, &imp), 0);
	if (signet_store_import(imp, path, NULL, NULL) != 0)
		fail_msg("import: %s", signet_error_message());
	content_hash(imp, &r3, h3);
	assert_string_equal(h1, h3);
	assert_error(signet_store_import(imp, path, NULL, NULL),
	    SIGNET_ERR_CONFLICT, "not empty");

	/* Each copy behaves as the source: same lookups, entries, numbers. */
	assert_same_behaviour(src, 4);
	assert_same_behaviour(dst, 4);
	assert_same_behaviour(back, 4);
	assert_same_behaviour(imp, 4);
	signet_store_free(imp);
	signet_store_free(back);
	signet_store_free(dst);
	signet_store_free(src);

	/* An altered export is refused as a whole. */
	text = fx_read(path, &len);
	p = strstr((char *)text, "\"revocation_reason\":4");
	assert_non_null(p);
	p[strlen("\"revocation_reason\":")] = '5';
	snprintf(path, sizeof(path), "%s/altered.jsonl", test_dir);
	fx_write(path, text, len);
	snprintf(url, sizeof(url), "sqlite:%s/imp2.db", test_dir);
	assert_int_equal(signet_store_open(url, &imp), 0);
	assert_error(signet_store_import(imp, path, NULL, NULL),
	    SIGNET_ERR_VERIFY, "altered or damaged");
	content_hash(imp, &r3, h3);
	assert_int_equal(r3.certificates + r3.issuers + r3.crls, 0);
	/* Cut short: no end line. */
	p = strstr((char *)text, "{\"t\":\"end\"");
	assert_non_null(p);
	snprintf(path, sizeof(path), "%s/short.jsonl", test_dir);
	fx_write(path, text, (size_t)(p - (char *)text));
	assert_error(signet_store_import(imp, path, NULL, NULL),
	    SIGNET_ERR_CONFIG, "cut short");
	signet_store_free(imp);
	free(text);
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* Hostile or broken export files: refused, naming the line. */
static void
test_import_rejects_malformed_lines(void **state)
{
	static const char header[] =
	    "{\"format\":\"signet-store-export\",\"version\":1,"
	    "\"schema_version\":" STR(SIGNET_STORE_SCHEMA_VERSION) "}\n";
	static const char issuer[] =
	    "{\"t\":\"issuers\",\"issuer_key\":\"%s\",\"crl_number\":0,"
	    "\"revocation_seq\":0,\"created_at\":1}\n";
	static const struct {
		const char *body;
		int code;
		const char *needle;
	} t[] = {
		{ "", SIGNET_ERR_CONFIG, "is empty" },
		{ "not json\n", SIGNET_ERR_CONFIG,
		    "not a signet store export" },
		{ "{\"format\":\"other\"}\n", SIGNET_ERR_CONFIG, "no format" },
		{ "{\"format\":\"signet-store-export\",\"version\":9,"
		  "\"schema_version\":8}\n",
		    SIGNET_ERR_CONFIG, "format version 9" },
		{ "{\"format\":\"signet-store-export\",\"version\":1,"
		  "\"schema_version\":1}\n",
		    SIGNET_ERR_CONFIG, "schema version 1" },
		{ "H{\"t\":\"nosuch\"}\n", SIGNET_ERR_CONFIG,
		    "line 2: nosuch: unknown table" },
		{ "H{\"t\":\"issuers\",\"issuer_key\":\"ab\"}\n",
		    SIGNET_ERR_CONFIG,
		    "line 2: issuers: unexpected or missing" },
		{ "H{\"t\":\"issuers\",\"issuer_key\":7,\"crl_number\":0,"
		  "\"revocation_seq\":0,\"created_at\":1}\n",
		    SIGNET_ERR_CONFIG, "issuer_key: not a string" },
		{ "H{\"t\":\"issuers\",\"issuer_key\":null,\"crl_number\":0,"
		  "\"revocation_seq\":0,\"created_at\":1}\n",
		    SIGNET_ERR_CONFIG, "issuer_key: must not be null" },
		{ "H{\"t\":\"issuers\",\"issuer_key\":\"a\",\"crl_number\":"
		  "\"x\","
		  "\"revocation_seq\":0,\"created_at\":1}\n",
		    SIGNET_ERR_CONFIG, "crl_number: not an integer" },
		/* the database's own constraint: 64 hex digits */
		{ "H{\"t\":\"issuers\",\"issuer_key\":\"a\",\"crl_number\":0,"
		  "\"revocation_seq\":0,\"created_at\":1}\n",
		    SIGNET_ERR_STORE, "line 2" },
		{ "HI{\"t\":\"meta\",\"name\":\"a\",\"value\":\"b\"}\n",
		    SIGNET_ERR_CONFIG,
		    "line 3: meta: unknown table, or a table "
		    "out of order" },
		{ "HI{\"t\":\"blocked_keys\",\"spki_sha256\":\"ab\","
		  "\"blocked_at\":1,\"reason\":\"r\",\"cert_issuer\":null,"
		  "\"cert_serial\":null,\"extra\":1}\n",
		    SIGNET_ERR_CONFIG, "unexpected or missing members" },
		{ "HI{\"t\":\"crls\",\"issuer\":\"I\",\"crl_number\":1,"
		  "\"kind\":\"full\",\"base_number\":null,\"this_update\":1,"
		  "\"next_update\":2,\"revocation_seq\":0,\"der\":\"@@@@\","
		  "\"der_sha256\":null}\n",
		    SIGNET_ERR_CONFIG, "der: not base64" },
		{ "HI", SIGNET_ERR_CONFIG, "no end line" },
		{ "HI{\"t\":\"end\",\"rows\":{},\"sha256\":\"x\"}\n",
		    SIGNET_ERR_CONFIG, "the end line needs rows" },
		{ "HI{\"t\":\"issuers\"", SIGNET_ERR_CONFIG,
		    "without a newline" },
	};
	struct signet_store *st;
	char path[4300], url[4300], line[512], *buf;
	size_t i, used, cap = 4096;
	const char *b;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_non_null(buf = malloc(cap));
		used = 0;
		/* H: the header; I: one good issuer line; I in JSON: its id */
		for (b = t[i].body; *b != '\0'; b++) {
			if (*b == 'H' && (b == t[i].body || b[-1] == '\n')) {
				used += (size_t)snprintf(buf + used, cap - used,
				    "%s", header);
			} else if (*b == 'I' && b[-1] == 'H') {
				snprintf(line, sizeof(line), issuer,
				    issuer_a_id);
				used += (size_t)snprintf(buf + used, cap - used,
				    "%s", line);
			} else if (*b == 'I' && b[-1] == '"') {
				used += (size_t)snprintf(buf + used, cap - used,
				    "%s", issuer_a_id);
			} else
				buf[used++] = *b;
		}
		snprintf(path, sizeof(path), "%s/bad%zu.jsonl", test_dir, i);
		fx_write(path, buf, used);
		free(buf);
		snprintf(url, sizeof(url), "sqlite:%s/bad%zu.db", test_dir, i);
		assert_int_equal(signet_store_open(url, &st), 0);
		assert_error(signet_store_import(st, path, NULL, NULL),
		    t[i].code, t[i].needle);
		signet_store_free(st);
	}
	assert_int_equal(signet_store_open(test_url, &st), 0);
	assert_error(signet_store_import(st, "/nonexistent/x.jsonl", NULL,
			 NULL),
	    SIGNET_ERR_IO, "/nonexistent/x.jsonl");
	signet_store_free(st);
}

/*
 * An export written from docs/store-export.md alone (by
 * tests/fuzz/make-import-corpus.py, with its own content hash) imports,
 * and the database then hashes as the file says: the format is what the
 * documentation says it is.
 */
static void
test_import_documented_format(void **state)
{
	static const char *const files[] = { "valid-full.jsonl",
		"valid-empty.jsonl", "valid-issuers-only.jsonl" };
	struct signet_store *st;
	struct signet_store_inventory rows;
	struct signet_store_cert *c = NULL;
	char path[4300], url[4300], hash[65], *want;
	uint8_t *text;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path),
		    "%s/tests/fuzz/corpus/store_import/%s", fx_source_dir(),
		    files[i]);
		snprintf(url, sizeof(url), "sqlite:%s/doc%zu.db", test_dir, i);
		assert_int_equal(signet_store_open(url, &st), 0);
		if (signet_store_import(st, path, NULL, NULL) != 0)
			fail_msg("%s: %s", files[i], signet_error_message());
		content_hash(st, &rows, hash);
		text = fx_read(path, &len);
		assert_non_null(want = strstr((char *)text, "\"sha256\": \""));
		assert_memory_equal(want + 11, hash, 64);
		free(text);
		if (i == 0) {
			assert_int_equal(rows.certificates, 3);
			assert_int_equal(signet_store_cert_get(st, NULL, "0c",
					     &c),
			    0);
			assert_string_equal(c->failure, "lint: \xc3\xa9"
							"chec \"quoted\"\n");
			signet_store_cert_free(c);
		}
		signet_store_free(st);
	}
}

/* `signet db migrate`: an older schema is left alone until asked. */
static void
test_explicit_migration(void **state)
{
	static const struct signet_store_options no_migrate = { NULL, 1 };
	struct signet_store *st;
	struct signet_store_cert_new c;

	(void)state;
	assert_int_equal(store_open_version(test_url, 1, &st), 0);
	issue_one(st, "0d01", T0, T0 + DAY);
	signet_store_free(st);
	assert_int_equal(signet_store_open_with(test_url, &no_migrate, &st), 0);
	assert_int_equal(signet_store_schema_version(st), 1);
	fill_new(&c, issuer_a_id, "0d02", T0, T0 + DAY);
	assert_error(signet_store_cert_reserve(st, &c, T0), SIGNET_ERR_STORE,
	    "run `signet db migrate`");
	assert_int_equal(signet_store_migrate(st), 0);
	assert_int_equal(signet_store_schema_version(st),
	    SIGNET_STORE_SCHEMA_VERSION);
	assert_int_equal(signet_store_cert_reserve(st, &c, T0), 0);
	/* Nothing to do is not an error. */
	assert_int_equal(signet_store_migrate(st), 0);
	signet_store_free(st);
	/* A current database opens as usual with no_migrate. */
	assert_int_equal(signet_store_open_with(test_url, &no_migrate, &st), 0);
	assert_int_equal(counts(st, NULL).issued, 1);
	signet_store_free(st);
	/* A newer one is refused by migrate too. */
	st = open_store();
	assert_int_equal(store_exec_raw(st, "UPDATE meta SET value = '99' "
					    "WHERE name = 'schema_version'"),
	    0);
	signet_store_free(st);
	assert_error(signet_store_open_with(test_url, &no_migrate, &st),
	    SIGNET_ERR_STORE, "upgrade signet");
}

/* ---- several processes at once --------------------------------------- */

#define CONC_CHILDREN ((size_t)4)
#define CONC_CERTS ((size_t)500)
#define CONC_CRLS ((size_t)50)

/* One child: reserve and issue CONC_CERTS, allocate CONC_CRLS numbers. */
static int
conc_child(int go_fd, int out_fd)
{
	struct signet_store *st = NULL;
	struct signet_store_cert_new c;
	uint8_t rnd[16], *der;
	char serial[33];
	int64_t number, last = 0;
	size_t len, i, crls = 0;
	int r;
	char b;

	/* Wait until every child is ready, then start together. */
	if (read(go_fd, &b, 1) < 0)
		return 20;
	if (signet_store_open(test_url, &st) != 0) {
		fprintf(stderr, "child open: %s\n", signet_error_message());
		return 21;
	}
	for (i = 0; i < CONC_CERTS; i++) {
		do {
			if (RAND_bytes(rnd, sizeof(rnd)) != 1)
				return 22;
			rnd[0] &= 0x7f;
			rnd[0] |= 0x01;
			hex_encode(rnd, sizeof(rnd), serial);
			fill_new(&c, issuer_a_id, serial, T0, T0 + 90 * DAY);
		} while ((r = signet_store_cert_reserve(st, &c, T0)) ==
			 SIGNET_ERR_CONFLICT);
		if (r != 0) {
			fprintf(stderr, "child reserve: %s\n",
			    signet_error_message());
			return 23;
		}
		der = make_cert(issuer_a, subject_key, serial, T0,
		    T0 + 90 * DAY, &len);
		r = signet_store_cert_issue(st, issuer_a_id, serial, der, len,
		    T0);
		OPENSSL_free(der);
		if (r != 0) {
			fprintf(stderr, "child issue: %s\n",
			    signet_error_message());
			return 24;
		}
		if (i % (CONC_CERTS / CONC_CRLS) != 0)
			continue;
		if (signet_store_crl_allocate(st, issuer_a_id, SIGNET_CRL_FULL,
			0, T0, T0 + DAY, &number) != 0) {
			fprintf(stderr, "child CRL: %s\n",
			    signet_error_message());
			return 25;
		}
		/* Each process sees its own numbers strictly increase. */
		if (number <= last)
			return 26;
		der = make_crl(issuer_a, number, 0, T0, T0 + DAY, &len);
		r = signet_store_crl_record(st, issuer_a_id, number, der, len);
		OPENSSL_free(der);
		if (r != 0) {
			fprintf(stderr, "child CRL record: %s\n",
			    signet_error_message());
			return 29;
		}
		last = number;
		if (write(out_fd, &number, sizeof(number)) != sizeof(number))
			return 27;
		crls++;
	}
	signet_store_free(st);
	return crls == CONC_CRLS ? 0 : 28;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
collect_serial(const struct signet_store_cert *c, void *arg)
{
	char ***next = arg;

	**next = strdup(c->serial);
	(*next)++;
	return 0;
}

static void
test_concurrent_processes(void **state)
{
	int go[2], nums[2], status;
	size_t i;
	pid_t pids[CONC_CHILDREN];
	int64_t got[CONC_CHILDREN * CONC_CRLS], n;
	char *serials[CONC_CHILDREN * CONC_CERTS], **next = serials;
	struct signet_store *st;
	struct signet_store_filter f;
	size_t count = 0, k;

	(void)state;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(nums), 0);
	/* The children even create the database together. */
	for (i = 0; i < CONC_CHILDREN; i++) {
		assert_true((pids[i] = fork()) >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			close(nums[0]);
			_exit(conc_child(go[0], nums[1]));
		}
	}
	close(go[0]);
	close(nums[1]);
	close(go[1]); /* start */
	while (read(nums[0], &n, sizeof(n)) == sizeof(n)) {
		assert_true(count < CONC_CHILDREN * CONC_CRLS);
		got[count++] = n;
	}
	close(nums[0]);
	for (i = 0; i < CONC_CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("child %zu failed with status %d", i, status);
	}
	/* CRL numbers: no duplicates, no gaps: exactly 1..200. */
	assert_int_equal(count, CONC_CHILDREN * CONC_CRLS);
	{
		uint8_t seen[CONC_CHILDREN * CONC_CRLS + 1];

		memset(seen, 0, sizeof(seen));
		for (k = 0; k < count; k++) {
			assert_true(got[k] >= 1 && got[k] <= (int64_t)count);
			assert_int_equal(seen[got[k]], 0);
			seen[got[k]] = 1;
		}
	}
	/* Every certificate issued once; no serial twice. */
	st = open_store();
	assert_int_equal(counts(st, NULL).issued, CONC_CHILDREN * CONC_CERTS);
	assert_int_equal(counts(st, NULL).pending, 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(signet_store_cert_foreach(st, &f, collect_serial,
			     &next),
	    0);
	assert_int_equal(next - serials, CONC_CHILDREN * CONC_CERTS);
	qsort(serials, CONC_CHILDREN * CONC_CERTS, sizeof(char *), cmp_str);
	for (k = 1; k < CONC_CHILDREN * CONC_CERTS; k++)
		assert_string_not_equal(serials[k - 1], serials[k]);
	for (k = 0; k < CONC_CHILDREN * CONC_CERTS; k++)
		free(serials[k]);
	assert_int_equal(check(st, T0 + DAY, issuer_a)->n, 0);
	signet_store_free(st);
}

/* ---- child scenarios (run_child) -------------------------------------- */

static int
child_main(const char *scenario, const char *url, const char *arg)
{
	struct signet_store *st = NULL;
	struct signet_store_cert_new c;
	int r;

	snprintf(test_url, sizeof(test_url), "%s", url);
	if (strcmp(scenario, "open") == 0) {
		r = signet_store_open(url, &st);
		if (r != 0)
			fprintf(stderr, "%s\n", signet_error_message());
		signet_store_free(st);
		return -r;
	}
	if (signet_store_open(url, &st) != 0) {
		fprintf(stderr, "%s\n", signet_error_message());
		return 99;
	}
	if (strcmp(scenario, "reserve-and-die") == 0) {
		fill_new(&c, issuer_a_id, arg, T0, T0 + 90 * DAY);
		if (signet_store_cert_reserve(st, &c, T0) != 0)
			return 98;
		/* No close, no issue: as if killed while signing. */
		kill(getpid(), SIGKILL);
	}
	if (strcmp(scenario, "revoke") == 0) {
		r = signet_store_cert_revoke(st, issuer_a_id, arg,
		    SIGNET_CRL_REASON_KEY_COMPROMISE, T0 + DAY);
		signet_store_free(st);
		return -r;
	}
	if (strcmp(scenario, "revoke-in-txn") == 0) {
		/* Work before the failing call survives it. */
		fill_new(&c, issuer_a_id, "72", T0, T0 + DAY);
		if (signet_store_begin(st) != 0 ||
		    signet_store_cert_reserve(st, &c, T0) != 0)
			return 97;
		if (signet_store_cert_revoke(st, issuer_a_id, arg,
			SIGNET_CRL_REASON_KEY_COMPROMISE,
			T0 + DAY) != SIGNET_ERR_IO ||
		    strstr(signet_error_message(), "fault injected") == NULL)
			return 96;
		if (signet_store_commit(st) != 0)
			return 95;
		signet_store_free(st);
		return 0;
	}
	return 90;
}

/*
 * The keys are made once and shared with child processes (run_child)
 * through a file named in the environment, so both sides agree on the
 * issuer ids.
 */
static void
keys_init(void)
{
	EVP_PKEY **keys[] = { &issuer_a, &issuer_b, &subject_key, &other_key };
	const char *path = getenv("SIGNET_TEST_STORE_KEYS");
	FILE *f;
	size_t i;

	if (path != NULL) {
		if ((f = fopen(path, "r")) == NULL)
			abort();
		for (i = 0; i < 4; i++)
			if ((*keys[i] = PEM_read_PrivateKey(f, NULL, NULL,
				 NULL)) == NULL)
				abort();
		fclose(f);
	} else {
		path = fx_path("keys.pem");
		if ((f = fopen(path, "w")) == NULL)
			abort();
		for (i = 0; i < 4; i++)
			if ((*keys[i] = EVP_EC_gen("prime256v1")) == NULL ||
			    !PEM_write_PrivateKey(f, *keys[i], NULL, NULL, 0,
				NULL, NULL))
				abort();
		if (fclose(f) != 0 || setenv("SIGNET_TEST_STORE_KEYS", path, 1))
			abort();
	}
	key_id(issuer_a, issuer_a_id);
	key_id(issuer_b, issuer_b_id);
}

static void
keys_free(void)
{
	EVP_PKEY_free(issuer_a);
	EVP_PKEY_free(issuer_b);
	EVP_PKEY_free(subject_key);
	EVP_PKEY_free(other_key);
}

/* ---- ACME state ----------------------------------------------------------- */

static void
acme_account(struct signet_store *st, const char *thumb,
    struct signet_acme_account *a)
{
	int created = 0;

	memset(a, 0, sizeof(*a));
	snprintf(a->thumbprint, sizeof(a->thumbprint), "%s", thumb);
	memset(a->spki_sha256, 'a', 64);
	snprintf(a->jwk, sizeof(a->jwk), "{\"kty\":\"EC\"}");
	snprintf(a->contact, sizeof(a->contact), "[]");
	assert_int_equal(signet_store_acme_account_new(st, a, T0, &created), 0);
	assert_int_equal(created, 1);
}

#define EAB_KEY "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

static int
eab_count(const struct signet_acme_eab *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

/*
 * EAB keys: made, listed, looked up with their MAC key, bound to one
 * account for their profile only, revoked; a refused binding creates no
 * account.
 */
static void
test_acme_eab_keys(void **state)
{
	struct signet_store *st = open_store();
	struct signet_acme_account a, b, got;
	struct signet_acme_eab e;
	char kid[] = "0123456789abcdef0123456789abcdef";
	char kid2[] = "fedcba9876543210fedcba9876543210";
	char key[SIGNET_ACME_EAB_KEY_LEN + 1];
	int created = 0, bound = 0, n = 0;

	(void)state;
	assert_int_equal(signet_store_acme_eab_add(st, kid, EAB_KEY, "server",
			     "team a", T0),
	    0);
	assert_error(signet_store_acme_eab_add(st, kid, EAB_KEY, "server", "",
			 T0),
	    SIGNET_ERR_CONFLICT, NULL);
	assert_error(signet_store_acme_eab_add(st, kid2, "short", "server", "",
			 T0),
	    SIGNET_ERR_USAGE, "base64url");
	assert_error(signet_store_acme_eab_add(st, "KID", EAB_KEY, "server", "",
			 T0),
	    SIGNET_ERR_USAGE, "hex");
	assert_int_equal(signet_store_acme_eab_add(st, kid2, EAB_KEY, "other",
			     "", T0),
	    0);
	assert_int_equal(signet_store_acme_eab_foreach(st, eab_count, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(signet_store_acme_eab_get(st, kid, &e, key), 0);
	assert_string_equal(key, EAB_KEY);
	assert_string_equal(e.profile, "server");
	assert_string_equal(e.comment, "team a");
	assert_string_equal(e.account, "");
	assert_error(signet_store_acme_eab_get(st,
			 "00000000000000000000000000000000", &e, NULL),
	    SIGNET_ERR_NOT_FOUND, NULL);

	/* A key for another profile binds nothing, and creates nothing. */
	memset(&a, 0, sizeof(a));
	snprintf(a.thumbprint, sizeof(a.thumbprint),
	    "eabeabeabeabeabeabeabeabeabeabeabeabeabeabe");
	memset(a.spki_sha256, 'b', 64);
	snprintf(a.jwk, sizeof(a.jwk), "{\"kty\":\"EC\"}");
	snprintf(a.contact, sizeof(a.contact), "[]");
	assert_error(signet_store_acme_account_new_eab(st, &a, kid2, "server",
			 T0, &created),
	    SIGNET_ERR_CONFLICT, "another profile");
	assert_error(signet_store_acme_account_get(st, NULL, a.thumbprint,
			 &got),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_acme_account_new_eab(st, &a, kid,
			     "server", T0 + 1, &created),
	    0);
	assert_int_equal(created, 1);
	assert_int_equal(signet_store_acme_eab_get(st, kid, &e, NULL), 0);
	assert_string_equal(e.account, a.id);
	assert_true(e.bound_at == T0 + 1);
	assert_int_equal(signet_store_acme_account_eab_bound(st, a.id, "server",
			     &bound),
	    0);
	assert_int_equal(bound, 1);
	assert_int_equal(signet_store_acme_account_eab_bound(st, a.id, "other",
			     &bound),
	    0);
	assert_int_equal(bound, 0);
	/* One account per key. */
	acme_account(st, "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE", &b);
	assert_error(signet_store_acme_account_new_eab(st, &b, kid, "server",
			 T0, &created),
	    SIGNET_ERR_CONFLICT, "bound");
	/* Revoked: no longer binds the account to the profile. */
	assert_int_equal(signet_store_acme_eab_revoke(st, kid, T0 + 2), 0);
	assert_error(signet_store_acme_eab_revoke(st, kid, T0 + 2),
	    SIGNET_ERR_CONFLICT, "already revoked");
	assert_error(signet_store_acme_eab_revoke(st,
			 "00000000000000000000000000000000", T0),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_acme_account_eab_bound(st, a.id, "server",
			     &bound),
	    0);
	assert_int_equal(bound, 0);
	assert_int_equal(signet_store_acme_eab_add(st,
			     "11111111111111111111111111111111", EAB_KEY,
			     "other", "", T0),
	    0);
	/* An existing account can be bound, and keeps its id. */
	assert_int_equal(signet_store_acme_account_new_eab(st, &b,
			     "11111111111111111111111111111111", "other", T0,
			     &created),
	    0);
	assert_int_equal(created, 0);
	assert_int_equal(signet_store_acme_account_eab_bound(st, b.id, "other",
			     &bound),
	    0);
	assert_int_equal(bound, 1);
	signet_store_free(st);
}

static void
acme_order_one(struct signet_store *st, const char *account, const char *id,
    struct signet_acme_order *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->account, sizeof(o->account), "%s", account);
	snprintf(o->profile, sizeof(o->profile), "server");
	o->n_ids = 1;
	snprintf(o->ids[0], sizeof(o->ids[0]), "%s", id);
	assert_int_equal(signet_store_acme_order_new(st, o, T0, DAY), 0);
}

/*
 * Contact updates, key changes (a key another account holds is refused,
 * naming it), orders lists in pages, authorization deactivation, and the
 * authorizations an account holds.
 */
static void
test_acme_account_changes(void **state)
{
	struct signet_store *st = open_store();
	struct signet_acme_account a, b, nk, got;
	struct signet_acme_order o, first;
	struct signet_acme_authz z;
	char other[SIGNET_ACME_ID_LEN + 1];
	char ids[SIGNET_ACME_ORDERS_PAGE][SIGNET_ACME_ID_LEN + 1];
	size_t n, i;
	int more, held;

	(void)state;
	acme_account(st, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &a);
	acme_account(st, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &b);
	assert_int_equal(signet_store_acme_account_contact(st, a.id,
			     "[\"mailto:x@example.com\"]"),
	    0);
	assert_int_equal(signet_store_acme_account_get(st, a.id, NULL, &got),
	    0);
	assert_string_equal(got.contact, "[\"mailto:x@example.com\"]");

	nk = b;
	assert_error(signet_store_acme_account_rekey(st, a.id, &nk, other),
	    SIGNET_ERR_CONFLICT, b.id);
	assert_string_equal(other, b.id);
	snprintf(nk.thumbprint, sizeof(nk.thumbprint),
	    "ccccccccccccccccccccccccccccccccccccccccccc");
	memset(nk.spki_sha256, 'c', 64);
	assert_int_equal(signet_store_acme_account_rekey(st, a.id, &nk, other),
	    0);
	assert_string_equal(other, "");
	assert_int_equal(signet_store_acme_account_get(st, NULL, nk.thumbprint,
			     &got),
	    0);
	assert_string_equal(got.id, a.id);
	assert_error(signet_store_acme_account_get(st, NULL,
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &got),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_acme_account_deactivate(st, b.id), 0);
	assert_error(signet_store_acme_account_contact(st, b.id, "[]"),
	    SIGNET_ERR_CONFLICT, "not valid");

	/* Orders: one page of SIGNET_ACME_ORDERS_PAGE, then the rest. */
	acme_order_one(st, a.id, "dns:a.example.com", &first);
	for (i = 1; i < SIGNET_ACME_ORDERS_PAGE + 2; i++)
		acme_order_one(st, a.id, "dns:b.example.com", &o);
	assert_int_equal(signet_store_acme_orders_list(st, a.id, 0, ids, &n,
			     &more),
	    0);
	assert_int_equal(n, SIGNET_ACME_ORDERS_PAGE);
	assert_int_equal(more, 1);
	assert_int_equal(signet_store_acme_orders_list(st, a.id,
			     SIGNET_ACME_ORDERS_PAGE, ids, &n, &more),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(more, 0);
	assert_int_equal(signet_store_acme_orders_list(st, b.id, 0, ids, &n,
			     &more),
	    0);
	assert_int_equal(n, 0);

	/* Held authorizations; deactivation fails the order. */
	assert_int_equal(signet_store_acme_authz_get(st, first.authz[0], NULL,
			     &z),
	    0);
	assert_int_equal(signet_store_acme_challenge_start(st, z.chall[0].id,
			     T0),
	    0);
	assert_int_equal(signet_store_acme_challenge_finish(st, z.chall[0].id,
			     1, NULL, T0),
	    0);
	assert_int_equal(signet_store_acme_authz_held(st, a.id,
			     "dns:a.example.com", T0 + 1, &held),
	    0);
	assert_int_equal(held, 1);
	assert_int_equal(signet_store_acme_authz_held(st, a.id,
			     "dns:a.example.com", T0 + DAY + 1, &held),
	    0);
	assert_int_equal(held, 0);
	assert_int_equal(signet_store_acme_authz_held(st, b.id,
			     "dns:a.example.com", T0 + 1, &held),
	    0);
	assert_int_equal(held, 0);
	assert_int_equal(signet_store_acme_authz_held(st, a.id,
			     "dns:b.example.com", T0 + 1, &held),
	    0);
	assert_int_equal(held, 0);
	assert_int_equal(signet_store_acme_authz_deactivate(st, first.authz[0],
			     T0 + 2),
	    0);
	assert_error(signet_store_acme_authz_deactivate(st, first.authz[0],
			 T0 + 2),
	    SIGNET_ERR_CONFLICT, NULL);
	assert_int_equal(signet_store_acme_authz_held(st, a.id,
			     "dns:a.example.com", T0 + 1, &held),
	    0);
	assert_int_equal(held, 0);
	assert_int_equal(signet_store_acme_order_get(st, first.id, &o), 0);
	assert_string_equal(o.status, "invalid");
	signet_store_free(st);
}

/* A nonce is spent once; unknown and expired ones are refused. */
static void
test_acme_nonces(void **state)
{
	struct signet_store *st = open_store();
	char n1[SIGNET_ACME_ID_LEN + 1], n2[SIGNET_ACME_ID_LEN + 1];
	char n3[SIGNET_ACME_ID_LEN + 1];

	(void)state;
	assert_int_equal(signet_store_acme_nonce_new(st, T0, 60, n1), 0);
	assert_int_equal(signet_store_acme_nonce_new(st, T0, 60, n2), 0);
	assert_string_not_equal(n1, n2);
	assert_int_equal(signet_store_acme_nonce_use(st, n1, T0 + 1), 0);
	assert_error(signet_store_acme_nonce_use(st, n1, T0 + 1),
	    SIGNET_ERR_NOT_FOUND, "spent");
	assert_error(signet_store_acme_nonce_use(st, n2, T0 + 61),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_error(signet_store_acme_nonce_use(st, "x'; DROP", T0),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_error(signet_store_acme_nonce_use(st,
			 "0123456789abcdef0123456789abcdef", T0),
	    SIGNET_ERR_NOT_FOUND, NULL);
	/* Spent and replaced in one go; a bad one is replaced all the same. */
	assert_int_equal(signet_store_acme_nonce_new(st, T0, 60, n1), 0);
	assert_int_equal(signet_store_acme_nonce_swap(st, n1, T0, 60, n2), 0);
	assert_string_not_equal(n1, n2);
	assert_error(signet_store_acme_nonce_swap(st, n1, T0, 60, n3),
	    SIGNET_ERR_NOT_FOUND, "spent");
	assert_int_equal(strlen(n3), SIGNET_ACME_ID_LEN);
	assert_int_equal(signet_store_acme_nonce_use(st, n3, T0 + 1), 0);
	assert_error(signet_store_acme_nonce_swap(st, "x'; DROP", T0, 60, n3),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_acme_nonce_use(st, n2, T0 + 1), 0);
	assert_int_equal(signet_store_acme_nonce_use(st, n3, T0 + 1), 0);
	signet_store_free(st);
}

/*
 * SQLite syncs its WAL with fdatasync; this definition takes the place of
 * libc's for libsqlite3 too, and counts the calls.
 */
static unsigned fdatasyncs;

int
fdatasync(int fd)
{
	fdatasyncs++;
	return (int)syscall(SYS_fdatasync, fd);
}

/*
 * Nonces are written lazily (no sync), and the durable writes before and
 * after them still sync: the lazy setting never outlives its transaction.
 */
static void
test_acme_lazy_writes(void **state)
{
	struct signet_store *st;
	struct signet_acme_account a;
	char n[SIGNET_ACME_ID_LEN + 1];
	unsigned before;

	(void)state;
	if (!url_is_sqlite())
		skip();
	st = open_store();
	acme_account(st, "lazy-0123456789abcdefghijklmnopqrstuvwxyzAB", &a);
	before = fdatasyncs;
	assert_int_equal(signet_store_acme_nonce_new(st, T0, 60, n), 0);
	assert_int_equal(signet_store_acme_nonce_use(st, n, T0), 0);
	assert_int_equal(fdatasyncs, before);
	assert_int_equal(signet_store_acme_account_deactivate(st, a.id), 0);
	assert_true(fdatasyncs > before);
	before = fdatasyncs;
	assert_int_equal(signet_store_acme_nonce_new(st, T0, 60, n), 0);
	assert_int_equal(fdatasyncs, before);
	acme_account(st, "lazy-1123456789abcdefghijklmnopqrstuvwxyzAB", &a);
	assert_true(fdatasyncs > before);
	signet_store_free(st);
}

/* One account per key; looked up by id and thumbprint. */
static void
test_acme_accounts(void **state)
{
	struct signet_store *st = open_store();
	struct signet_acme_account a, b;
	const char *thumb = "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";
	int created = 1;

	(void)state;
	acme_account(st, thumb, &a);
	assert_string_equal(a.status, "valid");
	assert_int_equal(strlen(a.id), SIGNET_ACME_ID_LEN);
	memset(&b, 0, sizeof(b));
	snprintf(b.thumbprint, sizeof(b.thumbprint), "%s", thumb);
	memset(b.spki_sha256, 'b', 64);
	snprintf(b.jwk, sizeof(b.jwk), "{}");
	assert_int_equal(signet_store_acme_account_new(st, &b, T0, &created),
	    0);
	assert_int_equal(created, 0);
	assert_string_equal(b.id, a.id);
	assert_int_equal(signet_store_acme_account_get(st, a.id, NULL, &b), 0);
	assert_string_equal(b.thumbprint, thumb);
	assert_string_equal(b.jwk, "{\"kty\":\"EC\"}");
	assert_int_equal(signet_store_acme_account_get(st, NULL, thumb, &b), 0);
	assert_string_equal(b.id, a.id);
	/* The thumbprint may be the output's own (onlyReturnExisting). */
	assert_int_equal(signet_store_acme_account_get(st, NULL, b.thumbprint,
			     &b),
	    0);
	assert_string_equal(b.id, a.id);
	assert_error(signet_store_acme_account_get(st,
			 "0123456789abcdef0123456789abcdef", NULL, &b),
	    SIGNET_ERR_NOT_FOUND, "no such account");
	assert_int_equal(signet_store_acme_account_deactivate(st, a.id), 0);
	assert_error(signet_store_acme_account_deactivate(st, a.id),
	    SIGNET_ERR_CONFLICT, "not valid");
	assert_int_equal(signet_store_acme_account_get(st, a.id, NULL, &b), 0);
	assert_string_equal(b.status, "deactivated");
	signet_store_free(st);
}

/*
 * An order: pending until every authorization is valid, then ready,
 * finalized once, then valid with its serial; a failed challenge makes
 * the order invalid.
 */
static void
test_acme_order_flow(void **state)
{
	struct signet_store *st = open_store();
	struct signet_acme_account acct;
	struct signet_acme_order o, got;
	struct signet_acme_authz z;
	char chall[SIGNET_ACME_ID_LEN + 1];
	size_t i;

	(void)state;
	acme_account(st, "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE", &acct);
	memset(&o, 0, sizeof(o));
	snprintf(o.account, sizeof(o.account), "%s", acct.id);
	snprintf(o.profile, sizeof(o.profile), "server");
	o.n_ids = 2;
	snprintf(o.ids[0], sizeof(o.ids[0]), "dns:www.example.com");
	snprintf(o.ids[1], sizeof(o.ids[1]), "ip:127.0.0.1");
	assert_int_equal(signet_store_acme_order_new(st, &o, T0, DAY), 0);
	assert_string_equal(o.status, "pending");
	assert_int_equal(signet_store_acme_order_get(st, o.id, &got), 0);
	assert_int_equal(got.n_ids, 2);
	assert_string_equal(got.ids[1], "ip:127.0.0.1");
	assert_string_equal(got.account, acct.id);
	assert_error(signet_store_acme_order_finalize(st, o.id, T0),
	    SIGNET_ERR_CONFLICT, "not ready");
	for (i = 0; i < 2; i++) {
		assert_int_equal(signet_store_acme_authz_get(st, got.authz[i],
				     NULL, &z),
		    0);
		assert_string_equal(z.identifier, o.ids[i]);
		assert_string_equal(z.account, acct.id);
		/* A name: all three challenges; an address: no dns-01. */
		assert_int_equal(z.n_chall, i == 0 ? 3 : 2);
		assert_string_equal(z.chall[0].type,
		    i == 0 ? "dns-01" : "http-01");
		assert_string_equal(z.chall[1].type,
		    i == 0 ? "http-01" : "tls-alpn-01");
		assert_int_equal(strlen(z.chall[0].token),
		    SIGNET_ACME_TOKEN_LEN);
		assert_string_not_equal(z.chall[0].token, z.chall[1].token);
		assert_error(signet_store_acme_challenge_finish(st,
				 z.chall[0].id, 1, NULL, T0),
		    SIGNET_ERR_CONFLICT, "not being processed");
		assert_int_equal(signet_store_acme_challenge_start(st,
				     z.chall[0].id, T0),
		    0);
		assert_error(signet_store_acme_challenge_start(st,
				 z.chall[0].id, T0),
		    SIGNET_ERR_CONFLICT, "not pending");
		assert_int_equal(signet_store_acme_challenge_finish(st,
				     z.chall[0].id, 1, NULL, T0 + 1),
		    0);
		assert_int_equal(signet_store_acme_order_get(st, o.id, &got),
		    0);
		assert_string_equal(got.status, i == 0 ? "pending" : "ready");
	}
	snprintf(chall, sizeof(chall), "%s", z.chall[0].id);
	assert_int_equal(signet_store_acme_authz_get(st, NULL, chall, &z), 0);
	assert_string_equal(z.status, "valid");
	assert_int_equal(z.chall[0].validated_at, T0 + 1);
	assert_int_equal(signet_store_acme_order_finalize(st, o.id, T0 + 2), 0);
	assert_error(signet_store_acme_order_finalize(st, o.id, T0 + 2),
	    SIGNET_ERR_CONFLICT, NULL);
	/* A refused CSR: ready again, for a better one. */
	assert_int_equal(signet_store_acme_order_done(st, o.id, NULL, NULL,
			     T0 + 2),
	    0);
	assert_int_equal(signet_store_acme_order_get(st, o.id, &got), 0);
	assert_string_equal(got.status, "ready");
	assert_int_equal(signet_store_acme_order_finalize(st, o.id, T0 + 2), 0);
	assert_int_equal(signet_store_acme_order_done(st, o.id, "0a1b", NULL,
			     T0 + 3),
	    0);
	assert_error(signet_store_acme_order_done(st, o.id, "0a1b", NULL,
			 T0 + 3),
	    SIGNET_ERR_CONFLICT, NULL);
	assert_int_equal(signet_store_acme_order_by_serial(st, "0a1b", &got),
	    0);
	assert_string_equal(got.id, o.id);
	assert_string_equal(got.status, "valid");

	/* A second order whose challenge fails. */
	memset(&o, 0, sizeof(o));
	snprintf(o.account, sizeof(o.account), "%s", acct.id);
	snprintf(o.profile, sizeof(o.profile), "server");
	o.n_ids = 1;
	snprintf(o.ids[0], sizeof(o.ids[0]), "dns:a.example.com");
	assert_int_equal(signet_store_acme_order_new(st, &o, T0, DAY), 0);
	assert_int_equal(signet_store_acme_authz_get(st, o.authz[0], NULL, &z),
	    0);
	assert_int_equal(signet_store_acme_challenge_start(st, z.chall[0].id,
			     T0),
	    0);
	assert_int_equal(signet_store_acme_challenge_finish(st, z.chall[0].id,
			     0, "connection refused", T0),
	    0);
	assert_int_equal(signet_store_acme_order_get(st, o.id, &got), 0);
	assert_string_equal(got.status, "invalid");
	snprintf(chall, sizeof(chall), "%s", z.chall[0].id);
	assert_int_equal(signet_store_acme_authz_get(st, NULL, chall, &z), 0);
	assert_string_equal(z.chall[0].status, "invalid");
	assert_string_equal(z.chall[0].error, "connection refused");

	/* A wildcard: dns-01 only (RFC 8555 7.1.3). */
	snprintf(o.ids[0], sizeof(o.ids[0]), "dns:*.example.com");
	assert_int_equal(signet_store_acme_order_new(st, &o, T0, DAY), 0);
	assert_int_equal(signet_store_acme_authz_get(st, o.authz[0], NULL, &z),
	    0);
	assert_string_equal(z.identifier, "dns:*.example.com");
	assert_int_equal(z.n_chall, 1);
	assert_string_equal(z.chall[0].type, "dns-01");

	/* Expired authorizations take no challenge. */
	assert_int_equal(signet_store_acme_order_new(st, &o, T0, DAY), 0);
	assert_int_equal(signet_store_acme_authz_get(st, o.authz[0], NULL, &z),
	    0);
	assert_error(signet_store_acme_challenge_start(st, z.chall[0].id,
			 T0 + DAY + 1),
	    SIGNET_ERR_CONFLICT, NULL);
	/* Refused outright: nothing is created. */
	o.n_ids = 2;
	snprintf(o.ids[1], sizeof(o.ids[1]), "%s", o.ids[0]);
	assert_error(signet_store_acme_order_new(st, &o, T0, DAY),
	    SIGNET_ERR_USAGE, "twice");
	o.n_ids = 0;
	assert_error(signet_store_acme_order_new(st, &o, T0, DAY),
	    SIGNET_ERR_USAGE, NULL);
	signet_store_free(st);
}

/* A pending order of acct for one name. */
static void
acme_order(struct signet_store *st, const char *account, const char *id,
    struct signet_acme_order *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->account, sizeof(o->account), "%s", account);
	snprintf(o->profile, sizeof(o->profile), "tls-server");
	o->n_ids = 1;
	snprintf(o->ids[0], sizeof(o->ids[0]), "%s", id);
	assert_int_equal(signet_store_acme_order_new(st, o, T0, DAY), 0);
}

/*
 * RFC 9773: early renewal asked for one certificate or all of a profile;
 * an order replaces a certificate once; the counts the rate limits use.
 */
static void
test_acme_ari(void **state)
{
	struct signet_store *st;
	struct signet_acme_account acct;
	struct signet_acme_order o1, o2, o3, got;
	struct signet_acme_authz z;
	struct signet_acme_renewal info;
	struct signet_acme_usage u;
	const char *ids[] = { "dns:www.example.com", "dns:other.example.com" };
	char serial[41];
	int64_t n = -1;

	(void)state;
	/* Written on a version 5 database, read after the migration. */
	assert_int_equal(store_open_version(test_url, 5, &st), 0);
	issue_one(st, "20", T0, T0 + 30 * DAY);
	signet_store_free(st);
	st = open_store();
	issue_one(st, "21", T0, T0 + 30 * DAY);
	issue_one(st, "22", T0, T0 + 30 * DAY);
	issue_one(st, "23", T0 - 30 * DAY, T0 - DAY);
	assert_int_equal(signet_store_acme_renewal_get(st, issuer_a_id, "20",
			     &info),
	    0);
	assert_int_equal(info.not_before, T0);
	assert_int_equal(info.not_after, T0 + 30 * DAY);
	assert_int_equal(info.renew_early_at, 0);
	assert_string_equal(info.status, "issued");
	assert_string_equal(info.successor, "");
	assert_error(signet_store_acme_renewal_get(st, issuer_a_id, "99",
			 &info),
	    SIGNET_ERR_NOT_FOUND, "no certificate 99");
	assert_error(signet_store_acme_renewal_get(st, issuer_b_id, "20",
			 &info),
	    SIGNET_ERR_NOT_FOUND, NULL);

	/* renew-early: one, then all of a profile; twice counts once. */
	assert_int_equal(signet_store_acme_renew_early(st, issuer_a_id, "20",
			     NULL, T0 + DAY, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(signet_store_acme_renew_early(st, issuer_a_id, "20",
			     NULL, T0 + 2 * DAY, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(signet_store_acme_renewal_get(st, issuer_a_id, "20",
			     &info),
	    0);
	assert_int_equal(info.renew_early_at, T0 + DAY);
	assert_error(signet_store_acme_renew_early(st, issuer_a_id, "23", NULL,
			 T0, &n),
	    SIGNET_ERR_CONFLICT, "expired");
	assert_error(signet_store_acme_renew_early(st, issuer_a_id, "99", NULL,
			 T0, &n),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_acme_renew_early(st, issuer_a_id, NULL,
			     "other", T0, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(signet_store_acme_renew_early(st, issuer_a_id, NULL,
			     "tls-server", T0, &n),
	    0);
	assert_int_equal(n, 2); /* 21 and 22; 20 was asked, 23 expired */
	assert_int_equal(signet_store_acme_renew_early(st, issuer_a_id, NULL,
			     NULL, T0, &n),
	    0);
	assert_int_equal(n, 0);

	/* replaces: once, by one order that is not invalid. */
	acme_account(st, "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE", &acct);
	acme_order(st, acct.id, ids[0], &o1);
	acme_order(st, acct.id, ids[0], &o2);
	assert_int_equal(signet_store_acme_replaces_claim(st, o1.id,
			     issuer_a_id, "20", T0),
	    0);
	assert_error(signet_store_acme_replaces_claim(st, o2.id, issuer_a_id,
			 "20", T0),
	    SIGNET_ERR_CONFLICT, "already replaced");
	assert_error(signet_store_acme_replaces_claim(st, o2.id, issuer_a_id,
			 "99", T0),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_cert_supersede(st, issuer_a_id, "21",
			     "22", T0),
	    0);
	assert_error(signet_store_acme_replaces_claim(st, o2.id, issuer_a_id,
			 "21", T0),
	    SIGNET_ERR_CONFLICT, "already replaced");
	assert_int_equal(signet_store_acme_renewal_get(st, issuer_a_id, "21",
			     &info),
	    0);
	assert_string_equal(info.successor, "22");
	assert_int_equal(signet_store_acme_replaces_get(st, o1.id, serial), 0);
	assert_string_equal(serial, "20");
	assert_error(signet_store_acme_replaces_get(st, o2.id, serial),
	    SIGNET_ERR_NOT_FOUND, "replaces no certificate");

	/* Counts: two orders, two pending authorizations, no certificate. */
	assert_int_equal(signet_store_acme_usage(st, acct.id, ids, 2, T0 + 10,
			     3600, 7 * DAY, &u),
	    0);
	assert_int_equal(u.orders, 2);
	assert_int_equal(u.oldest_order, T0);
	assert_int_equal(u.pending_authz, 2);
	assert_int_equal(u.next_authz_expiry, T0 + DAY);
	assert_int_equal(u.certs, 0);
	/* A discarded order leaves nothing, its claim included. */
	assert_int_equal(signet_store_acme_order_discard(st, o1.id), 0);
	assert_error(signet_store_acme_order_get(st, o1.id, &got),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_error(signet_store_acme_replaces_get(st, o1.id, serial),
	    SIGNET_ERR_NOT_FOUND, NULL);
	assert_int_equal(signet_store_acme_replaces_claim(st, o2.id,
			     issuer_a_id, "20", T0),
	    0);
	/* An order made valid counts for its name in the window. */
	acme_order(st, acct.id, ids[1], &o3);
	assert_int_equal(signet_store_acme_authz_get(st, o3.authz[0], NULL, &z),
	    0);
	assert_int_equal(signet_store_acme_challenge_start(st, z.chall[0].id,
			     T0),
	    0);
	assert_int_equal(signet_store_acme_challenge_finish(st, z.chall[0].id,
			     1, NULL, T0),
	    0);
	assert_int_equal(signet_store_acme_order_finalize(st, o3.id, T0 + 1),
	    0);
	assert_int_equal(signet_store_acme_order_done(st, o3.id, "22", NULL,
			     T0 + 2),
	    0);
	assert_int_equal(signet_store_acme_usage(st, acct.id, ids, 2, T0 + 10,
			     3600, 7 * DAY, &u),
	    0);
	assert_int_equal(u.orders, 2);
	assert_int_equal(u.pending_authz, 1);
	assert_int_equal(u.certs, 1);
	assert_int_equal(u.oldest_cert, T0 + 2);
	assert_string_equal(u.name, "dns:other.example.com");
	/* Outside the windows: nothing. */
	assert_int_equal(signet_store_acme_usage(st, acct.id, ids, 2,
			     T0 + 8 * DAY, 3600, 7 * DAY, &u),
	    0);
	assert_int_equal(u.orders, 0);
	assert_int_equal(u.pending_authz, 0);
	assert_int_equal(u.certs, 0);
	signet_store_free(st);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_open_creates_private_wal_database,
		    setup),
		cmocka_unit_test_setup(test_set_scan, setup),
		cmocka_unit_test_setup(test_open_url_errors, setup),
		cmocka_unit_test_setup(test_second_connection_keeps_locks,
		    setup),
		cmocka_unit_test_setup(test_open_refuses_unsafe_files, setup),
		cmocka_unit_test_setup(test_open_directory_not_writable, setup),
		cmocka_unit_test_setup(test_open_refuses_foreign_database,
		    setup),
		cmocka_unit_test_setup(test_newer_schema_refused_untouched,
		    setup),
		cmocka_unit_test_setup(test_migration_from_v1, setup),
		cmocka_unit_test_setup(test_migration_to_v3, setup),
		cmocka_unit_test_setup(test_migration_to_v4, setup),
		cmocka_unit_test_setup(test_supersede_rules, setup),
		cmocka_unit_test_setup(test_est_tokens, setup),
		cmocka_unit_test_setup(test_ocsp_responses, setup),
		cmocka_unit_test_setup(test_migration_to_v6, setup),
		cmocka_unit_test_setup(test_crl_record_malformed, setup),
		cmocka_unit_test_setup(test_migration_failure_rolls_back,
		    setup),
		cmocka_unit_test_setup(test_reserve_issue_fail_lifecycle,
		    setup),
		cmocka_unit_test_setup(test_issue_checks_der_against_reservation,
		    setup),
		cmocka_unit_test_setup(test_serial_unique_per_issuer, setup),
		cmocka_unit_test_setup(test_reserve_validates_fields, setup),
		cmocka_unit_test_setup(test_revoke_rules, setup),
		cmocka_unit_test_setup(test_reason_names, setup),
		cmocka_unit_test_setup(test_crl_numbers_and_records, setup),
		cmocka_unit_test_setup(test_crl_entries_in_serial_order, setup),
		cmocka_unit_test_setup(test_crl_expired_entry_kept_for_one_more_crl,
		    setup),
		cmocka_unit_test_setup(test_crl_delta_lists_changes_since_base,
		    setup),
		cmocka_unit_test_setup(test_listing_filters, setup),
		cmocka_unit_test_setup(test_statements_use_indexes, setup),
		cmocka_unit_test_setup(test_check_finds_problems, setup),
		cmocka_unit_test_setup(test_audit_heads_and_crl_advance, setup),
		cmocka_unit_test_setup(test_check_blocked_key_rows, setup),
		cmocka_unit_test_setup(test_crash_after_reserve_is_resolvable,
		    setup),
		cmocka_unit_test_setup(test_transactions_roll_back, setup),
		cmocka_unit_test_setup(test_partial_revocation_is_undone,
		    setup),
		cmocka_unit_test_setup(test_clock_last, setup),
		cmocka_unit_test_setup(test_concurrent_processes, setup),
		cmocka_unit_test_setup(test_copy_between_backends, setup),
		cmocka_unit_test_setup(test_import_rejects_malformed_lines,
		    setup),
		cmocka_unit_test_setup(test_import_documented_format, setup),
		cmocka_unit_test_setup(test_explicit_migration, setup),
		cmocka_unit_test_setup(test_acme_nonces, setup),
		cmocka_unit_test_setup(test_acme_lazy_writes, setup),
		cmocka_unit_test_setup(test_acme_accounts, setup),
		cmocka_unit_test_setup(test_acme_order_flow, setup),
		cmocka_unit_test_setup(test_acme_eab_keys, setup),
		cmocka_unit_test_setup(test_acme_account_changes, setup),
		cmocka_unit_test_setup(test_acme_ari, setup),
	};
	ssize_t n;
	int r;

	keys_init();
	if ((n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1)) <=
	    0)
		abort();
	self_exe[n] = '\0';
	if (argc == 5 && strcmp(argv[1], "--child") == 0)
		r = child_main(argv[2], argv[3], argv[4]);
	else {
		/* SIGNET_TEST_FILTER=test_crl* runs some (for developers). */
		if (getenv("SIGNET_TEST_FILTER") != NULL)
			cmocka_set_test_filter(getenv("SIGNET_TEST_FILTER"));
		r = cmocka_run_group_tests(tests, NULL, NULL);
	}
	keys_free();
	return r;
}
