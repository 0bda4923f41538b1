/*
 * bench_store: how the certificate store behaves with a million rows.
 *
 *   bench_store [-n ROWS] [-u URL] [-k]
 *
 * 1. Fill the store with ROWS issued certificates (random 128-bit serials,
 *    ~600 byte DER) in transactions of 10,000 rows: rows/s, file size.
 * 2. At 10,000 rows and again at ROWS: single operations, each in its own
 *    durable transaction where it writes: reserve+issue, lookup by serial
 *    (with and without the issuer), revoke. Median and p99 in us.
 * 3. Group commit: 10,000 certificates, reserving N serials in one
 *    transaction and marking them issued in another, N = 1, 100, 1000:
 *    rows/s.
 *
 * The default store is a fresh SQLite file under $TMPDIR, removed at the
 * end unless -k.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bench_certs.h"
#include "signet/store.h"
#include "util/codec.h"

#define BATCH 10000
#define SAMPLES_READ 2000
#define SAMPLES_WRITE 300

/* Issued serials, kept to look them up and revoke them later. */
static char (*serials)[2 * SERIAL_LEN + 1];
static size_t n_serials, cap_serials;

static void
keep_serial(const char *hex)
{
	char(*grown)[2 * SERIAL_LEN + 1];

	if (n_serials == cap_serials) {
		cap_serials = cap_serials ? cap_serials * 2 : 1 << 16;
		if ((grown = realloc(serials,
			 cap_serials * sizeof(*serials))) == NULL)
			die("memory");
		serials = grown;
	}
	memcpy(serials[n_serials++], hex, 2 * SERIAL_LEN + 1);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat_line {
	double median;
	double p99;
	double cpu_median;
};

static struct stat_line
summarise(double *v, double *cpu, size_t n)
{
	struct stat_line s;

	qsort(v, n, sizeof(double), cmp_double);
	qsort(cpu, n, sizeof(double), cmp_double);
	s.median = v[n / 2];
	s.p99 = v[(n * 99) / 100];
	s.cpu_median = cpu[n / 2];
	return s;
}

enum { OP_RESERVE_ISSUE, OP_GET, OP_GET_ANY, OP_REVOKE, OP_COUNT };
static const char *const op_names[OP_COUNT] = {
	"reserve+issue (2 durable txns)",
	"lookup by issuer+serial",
	"lookup by serial only",
	"revoke (durable txn)",
};

static void
single_ops(struct signet_store *st, struct stat_line out[OP_COUNT])
{
	double v[SAMPLES_READ], cpu[SAMPLES_READ], t, c0;
	struct signet_store_cert *c;
	uint8_t *der = malloc(tpl.der_len);
	char hex[2 * SERIAL_LEN + 1];
	size_t i, k;

	if (der == NULL)
		die("memory");
	memcpy(der, tpl.der, tpl.der_len);
	for (i = 0; i < SAMPLES_WRITE; i++) {
		serial_next(der + tpl.serial_off, hex);
		t = now_us();
		c0 = cpu_us();
		reserve(st, hex);
		issue(st, der, hex);
		cpu[i] = cpu_us() - c0;
		v[i] = now_us() - t;
	}
	out[OP_RESERVE_ISSUE] = summarise(v, cpu, SAMPLES_WRITE);
	for (i = 0; i < SAMPLES_READ; i++) {
		k = (size_t)(rng_next() % n_serials);
		t = now_us();
		c0 = cpu_us();
		if (signet_store_cert_get(st, tpl.issuer, serials[k], &c) != 0)
			die("get");
		cpu[i] = cpu_us() - c0;
		v[i] = now_us() - t;
		signet_store_cert_free(c);
	}
	out[OP_GET] = summarise(v, cpu, SAMPLES_READ);
	for (i = 0; i < SAMPLES_READ; i++) {
		k = (size_t)(rng_next() % n_serials);
		t = now_us();
		c0 = cpu_us();
		if (signet_store_cert_get(st, NULL, serials[k], &c) != 0)
			die("get");
		cpu[i] = cpu_us() - c0;
		v[i] = now_us() - t;
		signet_store_cert_free(c);
	}
	out[OP_GET_ANY] = summarise(v, cpu, SAMPLES_READ);
	for (i = 0; i < SAMPLES_WRITE; i++) {
		int r;

		k = (size_t)(rng_next() % n_serials);
		t = now_us();
		c0 = cpu_us();
		r = signet_store_cert_revoke(st, tpl.issuer, serials[k],
		    SIGNET_CRL_REASON_SUPERSEDED, T0 + 1);
		cpu[i] = cpu_us() - c0;
		v[i] = now_us() - t;
		if (r != 0 && r != SIGNET_ERR_CONFLICT) /* drawn twice */
			die("revoke");
	}
	out[OP_REVOKE] = summarise(v, cpu, SAMPLES_WRITE);
	free(der);
}

static long long
file_size(const char *url)
{
	const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
	char wal[4200];
	struct stat sb;
	long long n = 0;

	if (stat(path, &sb) == 0)
		n += sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0)
		n += sb.st_size;
	return n;
}

int
main(int argc, char **argv)
{
	struct stat_line small[OP_COUNT], big[OP_COUNT];
	struct signet_store *st = NULL;
	const char *url = NULL, *base = getenv("TMPDIR");
	char dir[4096], own_url[4200];
	size_t rows = 1000000, per_txn[] = { 1, 100, 1000 }, i;
	double t;
	int opt, keep = 0;

	while ((opt = getopt(argc, argv, "n:u:k")) != -1) {
		switch (opt) {
		case 'n':
			rows = strtoul(optarg, NULL, 10);
			break;
		case 'u':
			url = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			fprintf(stderr, "usage: bench_store [-n ROWS] [-u URL] "
					"[-k]\n");
			return 2;
		}
	}
	if (rows < 20000)
		rows = 20000;
	rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	snprintf(dir, sizeof(dir), "%s/signet-bench.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (url == NULL) {
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			return 1;
		}
		snprintf(own_url, sizeof(own_url), "sqlite:%s/ca.db", dir);
		url = own_url;
	}
	template_make();
	printf("store %s; certificate DER %zu bytes\n", url, tpl.der_len);
	if (signet_store_open(url, &st) != 0)
		die("open");

	/* 2a: single operations on a small table. */
	insert_rows(st, 10000, BATCH, keep_serial);
	single_ops(st, small);

	/* 1: fill to ROWS in batches. */
	t = now_us();
	insert_rows(st, rows - n_serials, BATCH, keep_serial);
	t = now_us() - t;
	printf("\n1. insert %zu issued certificates, %d per transaction:\n"
	       "   %.0f rows/s (%.1f s), database %.1f MB (%.0f bytes/row)\n",
	    rows - 10000, BATCH, (double)(rows - 10000) / (t / 1e6), t / 1e6,
	    (double)file_size(url) / 1e6,
	    (double)file_size(url) / (double)n_serials);

	/* 2b: the same single operations on the big table. */
	single_ops(st, big);
	printf("\n2. single operations, us: wall median / p99 / CPU median\n"
	       "   %-30s %22s   %22s\n",
	    "", "at 10k rows", "at full size");
	for (i = 0; i < OP_COUNT; i++)
		printf("   %-30s %7.0f %7.0f %6.0f   %7.0f %7.0f %6.0f\n",
		    op_names[i], small[i].median, small[i].p99,
		    small[i].cpu_median, big[i].median, big[i].p99,
		    big[i].cpu_median);

	/* 3: group commit. */
	printf("\n3. group commit, 10,000 certificates (reserve N in one "
	       "transaction, issue N in another):\n");
	for (i = 0; i < sizeof(per_txn) / sizeof(per_txn[0]); i++) {
		t = now_us();
		insert_rows(st, 10000, per_txn[i], NULL);
		t = now_us() - t;
		printf("   %4zu per transaction: %8.0f rows/s\n", per_txn[i],
		    10000 / (t / 1e6));
	}
	signet_store_free(st);
	free(serials);
	OPENSSL_free(tpl.der);
	if (!keep && url == own_url) {
		static const char *const files[] = { "ca.db", "ca.db-wal",
			"ca.db-shm" };
		char path[4200];

		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			if (unlink(path) == -1 && errno != ENOENT)
				perror(path);
		}
		if (rmdir(dir) == -1)
			perror(dir);
	} else
		printf("kept %s\n", url);
	return 0;
}
