/*
 * bench_store_pg: the certificate store on PostgreSQL next to SQLite, in
 * one run, on the same machine.
 *
 *   bench_store_pg [-u URL] [-n CERTS] [-p NODES] [-c CRL_ROWS]
 *
 * URL names a PostgreSQL database the benchmark may empty (default
 * $SIGNET_TEST_STORE_URL, which tests/pg/pg-server.sh run sets; start that
 * server with SIGNET_PG_FSYNC=on so that commits reach the disk as they
 * do in SQLite with synchronous=FULL).
 *
 * 1. Batch issuance in one process: CERTS certificates (default 3000),
 *    reserving N serials in one transaction and marking them issued in
 *    another, N = 1, 100, 1000: rows/s for each backend.
 * 2. NODES processes (default 3) issuing at once, N = 100: rows/s over
 *    all of them (SQLite serialises writers; PostgreSQL runs them side by
 *    side).
 * 3. With -c: CRL_ROWS revoked certificates (default none; try 1000000),
 *    walked in serial order by signet_store_crl_revoked_foreach: rows/s
 *    and how much the peak RSS grew (the walk streams; it must not grow
 *    with the number of rows).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bench_certs.h"
#include "signet/store.h"
#include "store/store_int.h"

enum { B_SQLITE, B_PG, B_COUNT };
static const char *const backend_names[B_COUNT] = { "sqlite", "postgresql" };
static char urls[B_COUNT][4300];
static char dir[4096];

static void
pg_empty(void)
{
	struct signet_store *st = NULL;

	if (store_open_version(urls[B_PG], 0, &st) != 0 ||
	    store_drop_all(st) != 0)
		die("emptying the PostgreSQL database");
	signet_store_free(st);
}

/* A fresh, empty store for backend b. */
static struct signet_store *
fresh(int b)
{
	struct signet_store *st = NULL;
	char path[4200];

	if (b == B_SQLITE) {
		snprintf(path, sizeof(path), "%s/ca.db", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/ca.db-wal", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/ca.db-shm", dir);
		unlink(path);
	} else
		pg_empty();
	if (signet_store_open(urls[b], &st) != 0)
		die("open");
	return st;
}

static double
batch_rate(int b, size_t n, size_t per_txn)
{
	struct signet_store *st = fresh(b);
	double t;

	/* The issuer row and the statements exist before the clock runs. */
	insert_rows(st, per_txn < 10 ? 10 : per_txn, per_txn, NULL);
	t = now_us();
	insert_rows(st, n, per_txn, NULL);
	t = now_us() - t;
	signet_store_free(st);
	return (double)n / (t / 1e6);
}

static double
nodes_rate(int b, size_t n, int nodes)
{
	struct signet_store *st = fresh(b);
	int go[2], status, i;
	pid_t pid[64];
	size_t done;
	double t;
	char c;

	insert_rows(st, 100, 100, NULL);
	signet_store_free(st);
	if (pipe(go) != 0)
		die("pipe");
	for (i = 0; i < nodes; i++) {
		if ((pid[i] = fork()) < 0)
			die("fork");
		if (pid[i] == 0) {
			close(go[1]);
			rng_state ^= (uint64_t)getpid() << 20;
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			if (signet_store_open(urls[b], &st) != 0)
				die("open");
			insert_rows(st, n / (size_t)nodes, 100, NULL);
			signet_store_free(st);
			_exit(0);
		}
	}
	close(go[0]);
	/* Connecting is part of each node's cost, as in real life. */
	t = now_us();
	close(go[1]);
	for (i = 0; i < nodes; i++)
		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("a node failed");
	t = now_us() - t;
	done = n / (size_t)nodes * (size_t)nodes;
	return (double)done / (t / 1e6);
}

static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
count_entry(const struct signet_store_revoked *e, void *arg)
{
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

/* Revoked rows written by the database itself, then one CRL's walk. */
static void
crl_walk(int b, size_t rows, double *rate, double *rss_mb, double *fill_s)
{
	struct signet_store *st = fresh(b);
	char sql[2048];
	int64_t number;
	size_t seen = 0;
	long before;
	double t;

	insert_rows(st, 10, 1, NULL);
	if (b == B_SQLITE)
		snprintf(sql, sizeof(sql),
		    "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
		    "FROM g WHERE x < %zu) "
		    "INSERT INTO certificates (issuer_id, serial, status, "
		    "subject, sans, spki_sha256, not_before, not_after, "
		    "profile, requester, created_at, updated_at, issued_at, "
		    "der, cert_sha256, revoked_at, revocation_reason, "
		    "revocation_seq) "
		    "SELECT (SELECT id FROM issuers), printf('%%040x', x), "
		    "'revoked', 'CN=x', '', hex(zeroblob(32)), %lld, %lld, "
		    "'p', 'r', %lld, %lld, %lld, X'30', hex(zeroblob(32)), "
		    "%lld, 4, x FROM g",
		    rows, (long long)T0, (long long)(T0 + LIFETIME),
		    (long long)T0, (long long)T0, (long long)T0,
		    (long long)T0 + 1);
	else
		snprintf(sql, sizeof(sql),
		    "INSERT INTO certificates (issuer_id, serial, status, "
		    "subject, sans, spki_sha256, not_before, not_after, "
		    "profile, requester, created_at, updated_at, issued_at, "
		    "der, cert_sha256, revoked_at, revocation_reason, "
		    "revocation_seq) "
		    "SELECT (SELECT id FROM issuers), lpad(to_hex(g), 40, "
		    "'0'), 'revoked', 'CN=x', '', repeat('0', 64), %lld, %lld, "
		    "'p', 'r', %lld, %lld, %lld, '\\x30'::bytea, "
		    "repeat('0', 64), %lld, 4, g "
		    "FROM generate_series(1, %zu) g",
		    (long long)T0, (long long)(T0 + LIFETIME), (long long)T0,
		    (long long)T0, (long long)T0, (long long)T0 + 1, rows);
	t = now_us();
	if (store_exec_raw(st, sql) != 0 ||
	    store_exec_raw(st, b == B_SQLITE ? "ANALYZE"
					     : "ANALYZE "
					       "certificates") != 0)
		die("filling");
	*fill_s = (now_us() - t) / 1e6;
	if (signet_store_crl_allocate(st, tpl.issuer, SIGNET_CRL_FULL, 0,
		T0 + 2, T0 + 86400, &number) != 0)
		die("allocate");
	before = peak_rss_kb();
	t = now_us();
	if (signet_store_crl_revoked_foreach(st, tpl.issuer, number,
		count_entry, &seen) != 0)
		die("walk");
	t = now_us() - t;
	if (seen != rows)
		die("the walk missed rows");
	*rate = (double)rows / (t / 1e6);
	*rss_mb = (double)(peak_rss_kb() - before) / 1024.0;
	signet_store_free(st);
}

int
main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR"), *env;
	size_t n = 3000, crl_rows = 0, per_txn[] = { 1, 100, 1000 }, i;
	double r[B_COUNT], rss[B_COUNT], fill[B_COUNT];
	int opt, nodes = 3, b;
	char path[4200];

	env = getenv("SIGNET_TEST_STORE_URL");
	if (env != NULL)
		snprintf(urls[B_PG], sizeof(urls[B_PG]), "%s", env);
	while ((opt = getopt(argc, argv, "u:n:p:c:")) != -1) {
		switch (opt) {
		case 'u':
			snprintf(urls[B_PG], sizeof(urls[B_PG]), "%s", optarg);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			nodes = (int)strtol(optarg, NULL, 10);
			break;
		case 'c':
			crl_rows = strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (urls[B_PG][0] == '\0' || n < 100 || nodes < 1 || nodes > 64)
		goto usage;
	rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	snprintf(dir, sizeof(dir), "%s/signet-bench.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(urls[B_SQLITE], sizeof(urls[B_SQLITE]), "sqlite:%s/ca.db",
	    dir);
	template_make();
	printf("sqlite %s\npostgresql %s\ncertificate DER %zu bytes\n\n",
	    urls[B_SQLITE], urls[B_PG], tpl.der_len);

	printf("1. batch issuance, %zu certificates, one process (rows/s):\n"
	       "   %-18s %12s %12s\n",
	    n, "per transaction", backend_names[0], backend_names[1]);
	for (i = 0; i < sizeof(per_txn) / sizeof(per_txn[0]); i++) {
		for (b = 0; b < B_COUNT; b++)
			r[b] = batch_rate(b, n, per_txn[i]);
		printf("   %-18zu %12.0f %12.0f\n", per_txn[i], r[0], r[1]);
	}
	for (b = 0; b < B_COUNT; b++)
		r[b] = nodes_rate(b, n, nodes);
	printf("\n2. %d processes at once, 100 per transaction (rows/s over "
	       "all):\n   %-18s %12.0f %12.0f\n",
	    nodes, "", r[0], r[1]);
	if (crl_rows > 0) {
		for (b = 0; b < B_COUNT; b++)
			crl_walk(b, crl_rows, &r[b], &rss[b], &fill[b]);
		printf("\n3. one CRL's entries, %zu revoked certificates:\n"
		       "   %-18s %12.0f %12.0f rows/s\n"
		       "   %-18s %12.1f %12.1f MB\n"
		       "   %-18s %12.1f %12.1f s\n",
		    crl_rows, "walk", r[0], r[1], "peak RSS growth", rss[0],
		    rss[1], "(filling took)", fill[0], fill[1]);
	}
	pg_empty(); /* leave nothing behind on the server */
	snprintf(path, sizeof(path), "%s/ca.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ca.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ca.db-shm", dir);
	unlink(path);
	rmdir(dir);
	OPENSSL_free(tpl.der);
	return 0;
usage:
	fprintf(stderr, "usage: bench_store_pg [-u POSTGRESQL-URL] [-n CERTS "
			"(>= 100)] [-p NODES] [-c CRL_ROWS]\n"
			"(the URL defaults to $SIGNET_TEST_STORE_URL)\n");
	return 2;
}
