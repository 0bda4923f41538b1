/*
 * PostgreSQL's own cases for src/store (the common ones are in
 * test_store.c, which runs against PostgreSQL too): several nodes at once,
 * lost connections, a server restart, concurrent migrations, TLS, password
 * sources, a lost COMMIT, lock waits, and streaming of large results.
 *
 * Runs under tests/pg/pg-server.sh run, which provides a fresh database in
 * SIGNET_TEST_STORE_URL and the server's details in SIGNET_TEST_PG_*. An
 * admin connection (libpq, over the server's Unix socket) plays the
 * database administrator: it kills sessions, holds locks and looks at
 * pg_stat_activity.
 */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "fixture.h"
#include "signet/error.h"
#include "signet/store.h"
#include "store/store_int.h"
#include "util/codec.h"

#define T0 INT64_C(1767225600)
#define DAY INT64_C(86400)

static const char *url;      /* the test database, TLS verify-full */
static const char *db_name;  /* its name */
static const char *hostport; /* 127.0.0.1:PORT */
static const char *pg_dir;   /* the fixture's directory */
static const char *ca_file;  /* the server's CA */
static const char *pw_file;  /* the test role's password */
static const char *pgpass;   /* the same in libpq's passfile format */
static char admin_url[1024]; /* superuser, Unix socket, this database */
static char self_exe[4096];
static char test_dir[4096];
static unsigned test_seq;

static EVP_PKEY *issuer_key, *subject_key;
static char issuer_id[65];
static uint8_t subject_spki[32];

/* ---- helpers ------------------------------------------------------------- */

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

static struct signet_store *
open_store(const char *u)
{
	struct signet_store *st = NULL;

	if (signet_store_open(u, &st) != 0)
		fail_msg("opening %s: %s", u, signet_error_message());
	return st;
}

static PGconn *
admin(void)
{
	PGconn *c = PQconnectdb(admin_url);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("admin connection: %s", PQerrorMessage(c));
	return c;
}

static void
admin_exec(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("admin: %s: %s", sql, PQerrorMessage(c));
	PQclear(res);
}

/* The first column of the first row, as text (static, rotating). */
static const char *
admin_value(PGconn *c, const char *sql)
{
	static char buf[4][256];
	static int next;
	PGresult *res = PQexec(c, sql);
	char *out = buf[next++ % 4];

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
		fail_msg("admin: %s: %s", sql, PQerrorMessage(c));
	snprintf(out, 256, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

static int64_t
admin_int(PGconn *c, const char *sql)
{
	return strtoll(admin_value(c, sql), NULL, 10);
}

/* Kill every signet session on the test database, and wait for it. */
static void
kill_sessions(void)
{
	PGconn *c = admin();
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "SELECT count(pg_terminate_backend(pid, 10000)) "
	    "FROM pg_stat_activity WHERE datname = '%s' "
	    "AND application_name = 'signet'",
	    db_name);
	assert_true(admin_int(c, sql) >= 1);
	PQfinish(c);
}

static void
serial_random(char out[33])
{
	uint8_t rnd[16];

	assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);
	rnd[0] = (uint8_t)((rnd[0] & 0x7f) | 0x01);
	hex_encode(rnd, sizeof(rnd), out);
}

static void
fill_new(struct signet_store_cert_new *c, const char *serial)
{
	memset(c, 0, sizeof(*c));
	c->issuer = issuer_id;
	c->serial = serial;
	c->subject = "CN=node.example.test";
	c->sans = "DNS:node.example.test";
	memcpy(c->spki_sha256, subject_spki, 32);
	c->not_before = T0;
	c->not_after = T0 + 90 * DAY;
	c->profile = "tls-server";
	c->requester = "node";
}

static int
reserve(struct signet_store *st, const char *serial)
{
	struct signet_store_cert_new c;

	fill_new(&c, serial);
	return signet_store_cert_reserve(st, &c, T0);
}

static uint8_t *
make_cert(const char *serial_hex, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai;
	uint8_t *der = NULL;
	int n;

	assert_true(BN_hex2bn(&bn, serial_hex) > 0);
	assert_non_null(ai = BN_to_ASN1_INTEGER(bn, NULL));
	assert_true(X509_set_version(x, 2));
	assert_true(X509_set_serialNumber(x, ai));
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"node.example.test", -1, -1, 0));
	assert_true(X509_set_subject_name(x, name));
	assert_true(X509_set_issuer_name(x, name));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)T0));
	assert_non_null(
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T0 + 90 * DAY)));
	assert_true(X509_set_pubkey(x, subject_key));
	assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	assert_true((n = i2d_X509(x, &der)) > 0);
	*len = (size_t)n;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	return der;
}

static int64_t
pending_count(struct signet_store *st)
{
	struct signet_store_counts n;

	if (signet_store_counts(st, NULL, &n) != 0)
		fail_msg("counts: %s", signet_error_message());
	return n.pending;
}

/* Run this binary again as a child with SIGNET_FAULT set. */
static int
run_child(const char *fault, const char *scenario)
{
	return fx_sh("SIGNET_FAULT='%s' '%s' --child %s", fault, self_exe,
	    scenario);
}

static int
setup(void **state)
{
	struct signet_store *st;

	(void)state;
	snprintf(test_dir, sizeof(test_dir), "%s/t%u", fx_tmpdir(), ++test_seq);
	if (mkdir(test_dir, 0700) != 0)
		return -1;
	if (store_open_version(url, 0, &st) != 0 || store_drop_all(st) != 0)
		return -1;
	signet_store_free(st);
	return 0;
}

/* ---- several nodes ------------------------------------------------------- */

#define NODES 3
#define NODE_CERTS 500
#define NODE_BATCH 50
#define NODE_CRLS 50

/*
 * One node: batches of NODE_BATCH reservations in one transaction, then
 * their issues in another (as batch issuance does), CRL numbers in
 * between, and a revocation per batch.
 */
static int
node_main(int go_fd, int out_fd)
{
	struct signet_store *st = NULL;
	char serials[NODE_BATCH][33];
	uint8_t *der;
	int64_t number, last = 0;
	size_t len, b, i, crls = 0;
	int r;
	char go;

	if (read(go_fd, &go, 1) < 0)
		return 10;
	if (signet_store_open(url, &st) != 0) {
		fprintf(stderr, "node open: %s\n", signet_error_message());
		return 11;
	}
	for (b = 0; b < NODE_CERTS / NODE_BATCH; b++) {
		if (signet_store_begin(st) != 0)
			return 12;
		for (i = 0; i < NODE_BATCH; i++) {
			do
				serial_random(serials[i]);
			while ((r = reserve(st, serials[i])) ==
			       SIGNET_ERR_CONFLICT);
			if (r != 0) {
				fprintf(stderr, "node reserve: %s\n",
				    signet_error_message());
				return 13;
			}
		}
		if (signet_store_commit(st) != 0 || signet_store_begin(st) != 0)
			return 14;
		for (i = 0; i < NODE_BATCH; i++) {
			der = make_cert(serials[i], &len);
			r = signet_store_cert_issue(st, issuer_id, serials[i],
			    der, len, T0);
			OPENSSL_free(der);
			if (r != 0) {
				fprintf(stderr, "node issue: %s\n",
				    signet_error_message());
				return 15;
			}
		}
		if (signet_store_commit(st) != 0) {
			fprintf(stderr, "node commit: %s\n",
			    signet_error_message());
			return 16;
		}
		if (signet_store_cert_revoke(st, issuer_id, serials[0],
			SIGNET_CRL_REASON_SUPERSEDED, T0 + DAY) != 0) {
			fprintf(stderr, "node revoke: %s\n",
			    signet_error_message());
			return 17;
		}
		for (i = 0; i < NODE_CRLS * NODE_BATCH / NODE_CERTS; i++) {
			if (signet_store_crl_allocate(st, issuer_id,
				SIGNET_CRL_FULL, 0, T0 + DAY, T0 + 2 * DAY,
				&number) != 0) {
				fprintf(stderr, "node CRL: %s\n",
				    signet_error_message());
				return 18;
			}
			if (number <= last)
				return 19;
			last = number;
			if (write(out_fd, &number, sizeof(number)) !=
			    sizeof(number))
				return 20;
			crls++;
		}
	}
	signet_store_free(st);
	return crls == NODE_CRLS ? 0 : 21;
}

static void
test_three_nodes_concurrently(void **state)
{
	int go[2], nums[2], status;
	pid_t pids[NODES];
	int64_t n;
	uint8_t seen[NODES * NODE_CRLS + 1];
	size_t i, count = 0;
	struct signet_store *st;
	struct signet_store_counts c;
	PGconn *a;

	(void)state;
	/* The schema exists before the nodes start: they race on rows. */
	signet_store_free(open_store(url));
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(nums), 0);
	for (i = 0; i < NODES; i++) {
		assert_true((pids[i] = fork()) >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			close(nums[0]);
			_exit(node_main(go[0], nums[1]));
		}
	}
	close(go[0]);
	close(nums[1]);
	close(go[1]);
	memset(seen, 0, sizeof(seen));
	while (read(nums[0], &n, sizeof(n)) == sizeof(n)) {
		assert_true(n >= 1 && n <= (int64_t)NODES * NODE_CRLS);
		assert_int_equal(seen[n], 0); /* no number twice */
		seen[n] = 1;
		count++;
	}
	close(nums[0]);
	for (i = 0; i < NODES; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("node %zu failed with status %d", i, status);
	}
	assert_int_equal(count, NODES * NODE_CRLS);

	st = open_store(url);
	assert_int_equal(signet_store_counts(st, NULL, &c), 0);
	assert_int_equal(c.issued + c.revoked, NODES * NODE_CERTS);
	assert_int_equal(c.revoked, NODES * NODE_CERTS / NODE_BATCH);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.crls, NODES * NODE_CRLS);
	signet_store_free(st);

	a = admin();
	/* The constraint held: no serial twice. */
	assert_int_equal(admin_int(a, "SELECT count(*) - count(DISTINCT "
				      "serial) FROM certificates"),
	    0);
	/* One sequence: numbers grow in the order rows were written. */
	assert_int_equal(admin_int(a,
			     "SELECT count(*) FROM (SELECT crl_number, "
			     "lag(crl_number) OVER (ORDER BY id) AS prev "
			     "FROM crls) x WHERE prev >= crl_number"),
	    0);
	assert_int_equal(admin_int(a, "SELECT max(crl_number) FROM crls"),
	    NODES * NODE_CRLS);
	assert_int_equal(admin_int(a, "SELECT crl_number FROM issuers"),
	    NODES * NODE_CRLS);
	/* Every revocation has a number of its own (delta CRLs). */
	assert_int_equal(admin_int(a, "SELECT count(*) - count(DISTINCT "
				      "revocation_seq) FROM certificates "
				      "WHERE status = 'revoked'"),
	    0);
	PQfinish(a);
}

/* ---- lost connections ---------------------------------------------------- */

static void
test_connection_killed_mid_transaction(void **state)
{
	struct signet_store *st;
	struct signet_store_counts c;
	char s[33];
	int64_t n;

	(void)state;
	st = open_store(url);
	assert_int_equal(signet_store_begin(st), 0);
	serial_random(s);
	assert_int_equal(reserve(st, s), 0);
	kill_sessions();
	/* The next call in the transaction: a clear error naming the
	 * server, and nothing done behind the caller's back. */
	serial_random(s);
	assert_error(reserve(st, s), SIGNET_ERR_STORE, hostport);
	assert_non_null(strstr(signet_error_message(), "lost the connection"));
	assert_error(reserve(st, s), SIGNET_ERR_STORE, "roll it back");
	assert_error(signet_store_commit(st), SIGNET_ERR_STORE,
	    "nothing of the transaction was written");
	assert_int_equal(signet_store_commit_uncertain(st), 0);
	/* The next call reconnects. */
	serial_random(s);
	assert_int_equal(reserve(st, s), 0);
	assert_int_equal(pending_count(st), 1);

	/* Killed while idle: nobody notices but the server. */
	kill_sessions();
	assert_int_equal(signet_store_crl_allocate(st, issuer_id,
			     SIGNET_CRL_FULL, 0, T0, T0 + DAY, &n),
	    0);
	assert_int_equal(n, 1);
	kill_sessions();
	assert_int_equal(signet_store_counts(st, NULL, &c), 0);
	assert_int_equal(c.pending, 1);
	kill_sessions();
	assert_int_equal(signet_store_begin(st), 0);
	assert_int_equal(signet_store_rollback(st), 0);

	/* Killed while a transaction is open, then rolled back. */
	assert_int_equal(signet_store_begin(st), 0);
	serial_random(s);
	assert_int_equal(reserve(st, s), 0);
	kill_sessions();
	assert_int_equal(signet_store_rollback(st), 0);
	assert_int_equal(pending_count(st), 1);
	signet_store_free(st);
}

static void
restart_server(void)
{
	int r = fx_sh("sh '%s/tests/pg/pg-server.sh' restart '%s'",
	    fx_source_dir(), pg_dir);

	if (r != 0)
		fail_msg("restarting the server failed (%d)", r);
}

static int
batch(struct signet_store *st, int n)
{
	char s[33];
	int i, r;

	if ((r = signet_store_begin(st)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		serial_random(s);
		if ((r = reserve(st, s)) != 0) {
			if (signet_store_rollback(st) != 0)
				return SIGNET_ERR_INTERNAL;
			return r;
		}
	}
	return signet_store_commit(st);
}

static void
test_server_restart_is_survived(void **state)
{
	struct signet_store *st;
	char s[33];
	int i;

	(void)state;
	st = open_store(url);
	assert_int_equal(batch(st, 20), 0);
	restart_server();
	/* Between two batches: the next one reconnects. */
	if (batch(st, 20) != 0)
		fail_msg("batch after restart: %s", signet_error_message());
	assert_int_equal(pending_count(st), 40);

	/* During a batch: that batch fails clearly, the next succeeds. */
	assert_int_equal(signet_store_begin(st), 0);
	for (i = 0; i < 10; i++) {
		serial_random(s);
		assert_int_equal(reserve(st, s), 0);
	}
	restart_server();
	serial_random(s);
	assert_error(reserve(st, s), SIGNET_ERR_STORE, "lost the connection");
	assert_int_equal(signet_store_rollback(st), 0);
	assert_int_equal(pending_count(st), 40);
	if (batch(st, 10) != 0)
		fail_msg("batch after restart: %s", signet_error_message());
	assert_int_equal(pending_count(st), 50);
	signet_store_free(st);
}

/* ---- migrations ---------------------------------------------------------- */

#define SCHEMA_LOCK "7308326827597201409"

static void
test_migration_by_two_processes(void **state)
{
	static const struct signet_store_options no_migrate = { NULL, 1 };
	struct signet_store *st;
	PGconn *a;
	pid_t pids[2];
	int status, i, tries;
	char s[33];

	(void)state;
	assert_int_equal(store_open_version(url, 1, &st), 0);
	serial_random(s);
	assert_int_equal(reserve(st, s), 0);
	signet_store_free(st);

	/* Another node is migrating: it holds the lock. */
	a = admin();
	admin_exec(a, "BEGIN");
	admin_exec(a, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")");
	for (i = 0; i < 2; i++) {
		assert_true((pids[i] = fork()) >= 0);
		if (pids[i] == 0) {
			/* One opens (migrating implicitly), one asks. */
			if (i == 0 && signet_store_open(url, &st) != 0)
				_exit(10);
			if (i == 1 &&
			    (signet_store_open_with(url, &no_migrate, &st) !=
				    0 ||
				signet_store_schema_version(st) != 1 ||
				signet_store_migrate(st) != 0)) {
				fprintf(stderr, "%s\n", signet_error_message());
				_exit(11);
			}
			if (signet_store_schema_version(st) !=
				SIGNET_STORE_SCHEMA_VERSION ||
			    pending_count(st) != 1)
				_exit(12);
			signet_store_free(st);
			_exit(0);
		}
	}
	/* Both wait for the lock (a wait, not a timed assertion). */
	for (tries = 0; tries < 6000; tries++) {
		if (admin_int(a, "SELECT count(*) FROM pg_locks "
				 "WHERE locktype = 'advisory' "
				 "AND NOT granted") == 2)
			break;
		usleep(10000);
	}
	assert_int_equal(admin_int(a, "SELECT count(*) FROM pg_locks WHERE "
				      "locktype = 'advisory' AND NOT granted"),
	    2);
	assert_string_equal(admin_value(a, "SELECT value FROM meta WHERE "
					   "name = 'schema_version'"),
	    "1");
	admin_exec(a, "COMMIT");
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("migrating process %d failed: %d", i, status);
	}
	assert_string_equal(admin_value(a, "SELECT value FROM meta WHERE "
					   "name = 'schema_version'"),
	    "4");
	assert_int_equal(admin_int(a, "SELECT count(*) FROM pg_tables WHERE "
				      "tablename = 'crls'"),
	    1);
	PQfinish(a);
}

/* ---- TLS ------------------------------------------------------------------- */

/* A CA of our own that never signed the server's certificate. */
static void
write_wrong_ca(const char *path)
{
	EVP_PKEY *k = EVP_EC_gen("prime256v1");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	FILE *f;

	assert_non_null(k);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 7));
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"not the database CA", -1, -1, 0));
	assert_true(X509_set_subject_name(x, name));
	assert_true(X509_set_issuer_name(x, name));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, k));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_non_null(f = fopen(path, "w"));
	assert_true(PEM_write_X509(f, x));
	assert_int_equal(fclose(f), 0);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_tls_verify_full(void **state)
{
	struct signet_store *st = NULL;
	char u[4400], wrong[4300];
	PGconn *a;
	char sql[512];

	(void)state;
	/* The suite's own URL: verify-full with the right CA, and TLS it
	 * is. */
	st = open_store(url);
	assert_non_null(strstr(url, "sslmode=verify-full"));
	a = admin();
	snprintf(sql, sizeof(sql),
	    "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity p "
	    "USING (pid) WHERE p.datname = '%s' "
	    "AND p.application_name = 'signet'",
	    db_name);
	assert_string_equal(admin_value(a, sql), "t");
	PQfinish(a);
	signet_store_free(st);

	/* localhost: the certificate names it too. */
	snprintf(u, sizeof(u),
	    "postgresql://signet@localhost:%s/%s?sslmode=verify-full&"
	    "sslrootcert=%s",
	    strchr(hostport, ':') + 1, db_name, ca_file);
	signet_store_free(open_store(u));

	/* Another CA: refused, saying what to check. */
	snprintf(wrong, sizeof(wrong), "%s/wrong-ca.crt", test_dir);
	write_wrong_ca(wrong);
	snprintf(u, sizeof(u),
	    "postgresql://signet@%s/%s?sslmode=verify-full&sslrootcert=%s",
	    hostport, db_name, wrong);
	assert_error(signet_store_open(u, &st), SIGNET_ERR_STORE,
	    "certificate verify failed");
	assert_non_null(strstr(signet_error_message(), "sslrootcert"));
	assert_non_null(strstr(signet_error_message(), hostport));
	assert_null(st);

	/* The right CA, but a name the certificate does not carry. */
	snprintf(u, sizeof(u),
	    "postgresql://signet@db.wrong.example/%s?hostaddr=127.0.0.1&"
	    "port=%s&sslmode=verify-full&sslrootcert=%s",
	    db_name, strchr(hostport, ':') + 1, ca_file);
	assert_error(signet_store_open(u, &st), SIGNET_ERR_STORE,
	    "does not match host name");
	assert_non_null(
	    strstr(signet_error_message(), "does not name the host"));
	/* A CA file that is not there. */
	snprintf(u, sizeof(u),
	    "postgresql://signet@%s/%s?sslmode=verify-full&"
	    "sslrootcert=%s/missing.crt",
	    hostport, db_name, test_dir);
	assert_error(signet_store_open(u, &st), SIGNET_ERR_STORE,
	    "missing.crt");
}

/* ---- passwords ------------------------------------------------------------ */

static void
write_secret(const char *path, const char *text, mode_t mode)
{
	fx_write(path, text, strlen(text));
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_password_sources(void **state)
{
	struct signet_store_options o;
	struct signet_store *st = NULL;
	char *saved, u[4400], bad[4300], loose[4300], spec[4400];
	const char *env;
	uint8_t *pw;
	size_t len;

	(void)state;
	env = getenv("SIGNET_PG_PASSWORD_SOURCE");
	if (env == NULL || (saved = strdup(env)) == NULL) {
		fail_msg("SIGNET_PG_PASSWORD_SOURCE is not set");
		return;
	}
	unsetenv("SIGNET_PG_PASSWORD_SOURCE");
	/* No ~/.pgpass of whoever runs the tests. */
	setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
	memset(&o, 0, sizeof(o));

	/* None at all: told where to put it. */
	assert_error(signet_store_open(url, &st), SIGNET_ERR_STORE,
	    "password-source: file:PATH");
	assert_null(st);

	/* The API option (signet.yaml's password-source). */
	snprintf(spec, sizeof(spec), "file:%s", pw_file);
	o.password_source = spec;
	assert_int_equal(signet_store_open_with(url, &o, &st), 0);
	signet_store_free(st);

	/* The environment variable. */
	setenv("SIGNET_PG_PASSWORD_SOURCE", spec, 1);
	signet_store_free(open_store(url));
	unsetenv("SIGNET_PG_PASSWORD_SOURCE");

	/* env:NAME is read once, then wiped from the environment. */
	pw = fx_read(pw_file, &len);
	while (len > 0 && (pw[len - 1] == '\n' || pw[len - 1] == '\r'))
		pw[--len] = '\0';
	setenv("SIGNET_TEST_DB_PASSWORD", (char *)pw, 1);
	o.password_source = "env:SIGNET_TEST_DB_PASSWORD";
	assert_int_equal(signet_store_open_with(url, &o, &st), 0);
	assert_null(getenv("SIGNET_TEST_DB_PASSWORD"));
	signet_store_free(st);

	/* libpq's own passfile, in the URL or the environment. */
	snprintf(u, sizeof(u), "%s&passfile=%s", url, pgpass);
	signet_store_free(open_store(u));
	setenv("PGPASSFILE", pgpass, 1);
	signet_store_free(open_store(url));
	setenv("PGPASSFILE", "/nonexistent/pgpass", 1);

	/* A file others can read is refused before it is read. */
	snprintf(loose, sizeof(loose), "%s/loose-password", test_dir);
	write_secret(loose, (char *)pw, 0644);
	snprintf(spec, sizeof(spec), "file:%s", loose);
	o.password_source = spec;
	assert_error(signet_store_open_with(url, &o, &st), SIGNET_ERR_CONFIG,
	    loose);
	assert_non_null(strstr(signet_error_message(), "chmod"));
	/* A wrong password: refused by the server, and never echoed. */
	snprintf(bad, sizeof(bad), "%s/wrong-password", test_dir);
	write_secret(bad, "not-the-password-1234\n", 0600);
	snprintf(spec, sizeof(spec), "file:%s", bad);
	assert_error(signet_store_open_with(url, &o, &st), SIGNET_ERR_STORE,
	    "password authentication failed");
	assert_non_null(strstr(signet_error_message(), "was refused"));
	assert_null(strstr(signet_error_message(), "not-the-password"));
	assert_null(strstr(signet_error_message(), (char *)pw));
	/* Only files and the environment. */
	o.password_source = "prompt";
	assert_error(signet_store_open_with(url, &o, &st), SIGNET_ERR_CONFIG,
	    "file:PATH or env:NAME");
	o.password_source = "env:SIGNET_TEST_NO_SUCH_VARIABLE";
	assert_error(signet_store_open_with(url, &o, &st), SIGNET_ERR_CONFIG,
	    "SIGNET_TEST_NO_SUCH_VARIABLE");

	unsetenv("PGPASSFILE");
	setenv("SIGNET_PG_PASSWORD_SOURCE", saved, 1);
	free(saved);
	free(pw);
}

/* ---- a COMMIT whose answer is lost ------------------------------------------
 */

static int
child_main(const char *scenario)
{
	struct signet_store *st = NULL;
	char s[33];
	int r, status = 90;

	if (signet_store_open(url, &st) != 0) {
		fprintf(stderr, "%s\n", signet_error_message());
		return 99;
	}
	serial_random(s);
	if (strcmp(scenario, "commit-resolved") == 0) {
		/* The server committed; asking it after reconnecting says
		 * so: a success, and a certain one. */
		status = 10;
		if (reserve(st, "0c") != 0)
			fprintf(stderr, "%s\n", signet_error_message());
		else if (signet_store_commit_uncertain(st) == 0 &&
			 reserve(st, s) == 0)
			status = 0;
	} else if (strcmp(scenario, "commit-never-sent") == 0) {
		/* The server never saw COMMIT: it says it rolled back. */
		status = 15;
		r = reserve(st, "0f");
		if (r != SIGNET_ERR_STORE ||
		    strstr(signet_error_message(), "rolled back") == NULL ||
		    signet_store_commit_uncertain(st) != 0)
			fprintf(stderr, "%d %s\n", r, signet_error_message());
		else if (reserve(st, s) == 0)
			status = 0;
	} else if (strcmp(scenario, "commit-unknown") == 0) {
		status = 20;
		r = reserve(st, "0d");
		if (r != SIGNET_ERR_STORE ||
		    strstr(signet_error_message(), "is unknown") == NULL ||
		    strstr(signet_error_message(), "signet db check") == NULL ||
		    strstr(signet_error_message(), "rolled back") != NULL ||
		    signet_store_commit_uncertain(st) != 1)
			fprintf(stderr, "%d %s\n", r, signet_error_message());
		/* The next call works and is certain again. */
		else if (reserve(st, s) == 0 &&
			 signet_store_commit_uncertain(st) == 0)
			status = 0;
	} else if (strcmp(scenario, "commit-unknown-txn") == 0) {
		status = 30;
		if (signet_store_begin(st) == 0 && reserve(st, "0e") == 0) {
			r = signet_store_commit(st);
			if (r != SIGNET_ERR_STORE ||
			    strstr(signet_error_message(), "is unknown") ==
				NULL ||
			    strstr(signet_error_message(), "rolled back") !=
				NULL ||
			    signet_store_commit_uncertain(st) != 1)
				fprintf(stderr, "%d %s\n", r,
				    signet_error_message());
			else
				status = 0;
		}
	}
	signet_store_free(st);
	return status;
}

static int
collect_pending(const struct signet_store_problem *p, void *arg)
{
	char *out = arg;

	if (p->kind == SIGNET_PROBLEM_PENDING && p->serial != NULL)
		snprintf(out + strlen(out), 64, "%s,", p->serial);
	return 0;
}

static void
test_lost_commit(void **state)
{
	struct signet_store *st;
	struct signet_store_check_opts o;
	char found[256] = "";
	size_t n;

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip();
#endif
	signet_store_free(open_store(url));
	assert_int_equal(run_child("fail:store.pg.commit_lost",
			     "commit-resolved"),
	    0);
	assert_int_equal(run_child("fail:store.pg.commit_lost_before",
			     "commit-never-sent"),
	    0);
	assert_int_equal(run_child("fail:store.pg.commit_lost,"
				   "fail:store.pg.commit_unresolved",
			     "commit-unknown"),
	    0);
	assert_int_equal(run_child("fail:store.pg.commit_lost,"
				   "fail:store.pg.commit_unresolved",
			     "commit-unknown-txn"),
	    0);
	/* The unknown commits did happen: db check finds their rows; the
	 * one never sent did not. */
	st = open_store(url);
	assert_int_equal(pending_count(st), 6);
	memset(&o, 0, sizeof(o));
	o.now = T0 + DAY;
	assert_int_equal(signet_store_check(st, &o, collect_pending, found, &n),
	    0);
	assert_non_null(strstr(found, "0c,"));
	assert_non_null(strstr(found, "0d,"));
	assert_non_null(strstr(found, "0e,"));
	assert_null(strstr(found, "0f,"));
	assert_int_equal(signet_store_cert_fail(st, issuer_id, "0d",
			     "abandoned: commit outcome was unknown", T0 + DAY),
	    0);
	signet_store_free(st);
}

/* ---- lock waits ------------------------------------------------------------ */

static void
test_lock_wait_is_retried(void **state)
{
	struct signet_store *st;
	int p[2], status;
	char u[4400], b;
	int64_t n;
	pid_t pid;

	(void)state;
	st = open_store(url);
	assert_int_equal(signet_store_crl_allocate(st, issuer_id,
			     SIGNET_CRL_FULL, 0, T0, T0 + DAY, &n),
	    0);
	signet_store_free(st);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		/* Another node holds the issuer row for a while. */
		PGconn *a = PQconnectdb(admin_url);
		PGresult *res;

		res = PQexec(a, "BEGIN; SELECT id FROM issuers FOR UPDATE");
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			_exit(1);
		PQclear(res);
		if (write(p[1], "L", 1) != 1)
			_exit(2);
		usleep(1500 * 1000);
		PQclear(PQexec(a, "COMMIT"));
		PQfinish(a);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(read(p[0], &b, 1), 1);
	/* lock_timeout far shorter than the hold: each attempt times out,
	 * and the unit of work runs again until the lock is free. */
	snprintf(u, sizeof(u), "%s&options=-c%%20lock_timeout%%3D100ms", url);
	st = open_store(u);
	if (signet_store_crl_allocate(st, issuer_id, SIGNET_CRL_FULL, 0, T0,
		T0 + DAY, &n) != 0)
		fail_msg("allocate under a lock: %s", signet_error_message());
	assert_int_equal(n, 2);
	signet_store_free(st);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[0]);
	close(p[1]);
}

/* A standby (here: a session that may only read) says what to do. */
static void
test_read_only_server_is_named(void **state)
{
	struct signet_store *st;
	char u[4400], s[33];

	(void)state;
	signet_store_free(open_store(url));
	snprintf(u, sizeof(u),
	    "%s&options=-c%%20default_transaction_read_only%%3Don", url);
	st = open_store(u);
	serial_random(s);
	assert_error(reserve(st, s), SIGNET_ERR_STORE, "target_session_attrs");
	assert_non_null(strstr(signet_error_message(), "25006"));
	assert_non_null(strstr(signet_error_message(), hostport));
	assert_int_equal(pending_count(st), 0);
	signet_store_free(st);
}

/* ---- streaming ------------------------------------------------------------- */

#define BIG_ROWS 250000

struct stream_state {
	int64_t rows;
	char last[41];
	int checked;
	int server_busy;
	int64_t stop_after;
};

/* Is the store's session still sending its result (not done with it)? */
static int
server_still_sending(void)
{
	PGconn *a = admin();
	char sql[512];
	const char *state;
	int busy;

	snprintf(sql, sizeof(sql),
	    "SELECT coalesce(max(state), 'none') FROM pg_stat_activity "
	    "WHERE datname = '%s' AND application_name = 'signet'",
	    db_name);
	state = admin_value(a, sql);
	busy = strcmp(state, "active") == 0;
	PQfinish(a);
	return busy;
}

static int
stream_entry(const struct signet_store_revoked *e, void *arg)
{
	struct stream_state *s = arg;

	if (!s->checked) {
		s->checked = 1;
		s->server_busy = server_still_sending();
	}
	if (strlen(e->serial) != 6 || strcmp(e->serial, s->last) <= 0)
		return SIGNET_ERR_INTERNAL;
	snprintf(s->last, sizeof(s->last), "%s", e->serial);
	s->rows++;
	return s->stop_after > 0 && s->rows >= s->stop_after ? 1 : 0;
}

static int
stream_cert(const struct signet_store_cert *c, void *arg)
{
	struct stream_state *s = arg;

	if (!s->checked) {
		s->checked = 1;
		s->server_busy = server_still_sending();
	}
	if (c->status != SIGNET_CERT_REVOKED)
		return SIGNET_ERR_INTERNAL;
	s->rows++;
	return 0;
}

static void
test_large_results_stream(void **state)
{
	struct signet_store *st;
	struct stream_state s;
	struct signet_store_filter f;
	char sql[2048];
	int64_t n;

	(void)state;
	st = open_store(url);
	assert_int_equal(reserve(st, "01"), 0);
	/* Many revoked rows, written by the server itself. Serials
	 * 0x100000.. are six hex digits, so text order is numeric order;
	 * 25 MB on the wire, far more than socket buffers hold (bench_store
	 * -c walks a million). */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO certificates (issuer_id, serial, status, subject, "
	    "sans, spki_sha256, not_before, not_after, profile, requester, "
	    "created_at, updated_at, issued_at, der, cert_sha256, "
	    "revoked_at, revocation_reason, revocation_seq) "
	    "SELECT (SELECT id FROM issuers), "
	    "lpad(to_hex(1048576 + %d - g), 40, '0'), 'revoked', 'CN=x', "
	    "'', repeat('a', 64), %lld, %lld, 'p', 'r', %lld, %lld, %lld, "
	    "'\\x30'::bytea, repeat('b', 64), %lld, 4, g "
	    "FROM generate_series(1, %d) g",
	    BIG_ROWS, (long long)T0, (long long)(T0 + 90 * DAY), (long long)T0,
	    (long long)T0, (long long)T0, (long long)(T0 + DAY), BIG_ROWS);
	if (store_exec_raw(st, sql) != 0)
		fail_msg("filling: %s", signet_error_message());
	assert_int_equal(store_exec_raw(st, "ANALYZE certificates"), 0);
	assert_int_equal(signet_store_crl_allocate(st, issuer_id,
			     SIGNET_CRL_FULL, 0, T0 + 2 * DAY, T0 + 9 * DAY,
			     &n),
	    0);

	/*
	 * The first entry reaches the callback while the server is still
	 * sending the rest: rows stream, the result is never held whole.
	 */
	memset(&s, 0, sizeof(s));
	if (signet_store_crl_revoked_foreach(st, issuer_id, n, stream_entry,
		&s) != 0)
		fail_msg("entries: %s", signet_error_message());
	assert_int_equal(s.rows, BIG_ROWS);
	assert_true(s.server_busy);
	/* 0x100000 + BIG_ROWS - 1 */
	assert_string_equal(s.last, "13d08f");

	/* Stopping early leaves the connection usable. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 10;
	assert_int_equal(signet_store_crl_revoked_foreach(st, issuer_id, n,
			     stream_entry, &s),
	    0);
	assert_int_equal(s.rows, 10);
	assert_int_equal(pending_count(st), 1);

	/* Listings stream too. */
	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	f.select = SIGNET_SELECT_REVOKED;
	assert_int_equal(signet_store_cert_foreach(st, &f, stream_cert, &s), 0);
	assert_int_equal(s.rows, BIG_ROWS);
	assert_true(s.server_busy);
	signet_store_free(st);
}

/* ---- main ------------------------------------------------------------------ */

static void
keys_init(void)
{
	const char *path = getenv("SIGNET_TEST_PG_KEYS");
	uint8_t *der = NULL;
	FILE *f;
	int len;

	if (path != NULL) {
		if ((f = fopen(path, "r")) == NULL ||
		    (issuer_key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) ==
			NULL ||
		    (subject_key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) ==
			NULL)
			abort();
		fclose(f);
	} else {
		path = fx_path("keys.pem");
		if ((f = fopen(path, "w")) == NULL ||
		    (issuer_key = EVP_EC_gen("prime256v1")) == NULL ||
		    (subject_key = EVP_EC_gen("prime256v1")) == NULL ||
		    !PEM_write_PrivateKey(f, issuer_key, NULL, NULL, 0, NULL,
			NULL) ||
		    !PEM_write_PrivateKey(f, subject_key, NULL, NULL, 0, NULL,
			NULL) ||
		    fclose(f) != 0 || setenv("SIGNET_TEST_PG_KEYS", path, 1))
			abort();
	}
	if ((len = i2d_PUBKEY(issuer_key, &der)) <= 0 ||
	    sha256(der, (size_t)len, subject_spki) != 0)
		abort();
	hex_encode(subject_spki, 32, issuer_id);
	OPENSSL_free(der);
	der = NULL;
	if ((len = i2d_PUBKEY(subject_key, &der)) <= 0 ||
	    sha256(der, (size_t)len, subject_spki) != 0)
		abort();
	OPENSSL_free(der);
}

static const char *
need_env(const char *name)
{
	const char *v = getenv(name), *optional = getenv("SIGNET_PG_OPTIONAL");

	if (v == NULL || *v == '\0') {
		fprintf(stderr,
		    "test_store_pg: %s is not set; run it through "
		    "tests/pg/pg-server.sh run (ctest does)\n",
		    name);
		exit(optional != NULL && strcmp(optional, "1") == 0 ? 77 : 1);
	}
	return v;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_three_nodes_concurrently, setup),
		cmocka_unit_test_setup(test_connection_killed_mid_transaction,
		    setup),
		cmocka_unit_test_setup(test_server_restart_is_survived, setup),
		cmocka_unit_test_setup(test_migration_by_two_processes, setup),
		cmocka_unit_test_setup(test_tls_verify_full, setup),
		cmocka_unit_test_setup(test_password_sources, setup),
		cmocka_unit_test_setup(test_lost_commit, setup),
		cmocka_unit_test_setup(test_lock_wait_is_retried, setup),
		cmocka_unit_test_setup(test_read_only_server_is_named, setup),
		cmocka_unit_test_setup(test_large_results_stream, setup),
	};
	ssize_t n;
	int r;

	url = need_env("SIGNET_TEST_STORE_URL");
	db_name = need_env("SIGNET_TEST_PG_DB");
	hostport = need_env("SIGNET_TEST_PG_HOSTPORT");
	pg_dir = need_env("SIGNET_TEST_PG_DIR");
	ca_file = need_env("SIGNET_TEST_PG_CA");
	pw_file = need_env("SIGNET_TEST_PG_PASSWORD_FILE");
	pgpass = need_env("SIGNET_TEST_PG_PGPASS");
	snprintf(admin_url, sizeof(admin_url),
	    "postgresql://signet_admin@/%s?host=%s&port=%s&"
	    "application_name=signet-test",
	    db_name, need_env("SIGNET_TEST_PG_SOCKET"),
	    need_env("SIGNET_TEST_PG_PORT"));
	keys_init();
	if ((n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1)) <=
	    0)
		abort();
	self_exe[n] = '\0';
	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		r = child_main(argv[2]);
	else {
		/* SIGNET_TEST_FILTER=test_tls* runs some (for developers). */
		if (getenv("SIGNET_TEST_FILTER") != NULL)
			cmocka_set_test_filter(getenv("SIGNET_TEST_FILTER"));
		r = cmocka_run_group_tests(tests, NULL, NULL);
	}
	EVP_PKEY_free(issuer_key);
	EVP_PKEY_free(subject_key);
	return r;
}
