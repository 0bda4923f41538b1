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

#include "signet/store.h"
#include "util/codec.h"

#define SERIAL_LEN 16
#define BATCH 10000
#define SAMPLES_READ 2000
#define SAMPLES_WRITE 300

/* 2026-01-01T00:00:00Z; certificates live 90 days. */
#define T0 INT64_C(1767225600)
#define LIFETIME (90 * INT64_C(86400))

static struct {
	uint8_t *der; /* template certificate */
	size_t der_len;
	size_t serial_off; /* where its serial's content octets are */
	uint8_t spki_sha256[32];
	char issuer[65];
} tpl;

static uint64_t rng_state;

/* splitmix64: fast, good enough to spread serials over the index. */
static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, signet_error_message());
	exit(1);
}

static double
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double
now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

/* CPU time: what the store itself spends, without waiting for the disk. */
static double
cpu_us(void)
{
	return clock_us(CLOCK_PROCESS_CPUTIME_ID);
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL ||
	    !X509_add_ext(x, ext, -1))
		die("extension");
	X509_EXTENSION_free(ext);
}

/*
 * A realistic TLS server certificate, once; rows get copies with their
 * own serial written in (the store parses each DER but verifies no
 * signature on issue, so patching the serial keeps it acceptable).
 */
static void
template_make(void)
{
	EVP_PKEY *ca = EVP_EC_gen("prime256v1"),
		 *leaf = EVP_EC_gen("prime256v1");
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	uint8_t serial[SERIAL_LEN], *spki = NULL, *p;
	BIGNUM *bn;
	ASN1_INTEGER *ai;
	size_t i;
	int len;

	if (ca == NULL || leaf == NULL || x == NULL)
		die("keys");
	RAND_bytes(serial, sizeof(serial));
	serial[0] = 0x40 | (serial[0] & 0x3f);
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	X509_set_version(x, 2);
	X509_set_serialNumber(x, ai);
	X509_NAME_add_entry_by_txt(iss, "C", MBSTRING_ASC,
	    (const unsigned char *)"DE", -1, -1, 0);
	X509_NAME_add_entry_by_txt(iss, "O", MBSTRING_ASC,
	    (const unsigned char *)"Example Benchmark Org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Example Issuing CA 1", -1, -1, 0);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)"www.service-042.example.com", -1, -1, 0);
	X509_set_issuer_name(x, iss);
	X509_set_subject_name(x, subj);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)T0);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T0 + LIFETIME));
	X509_set_pubkey(x, leaf);
	add_ext(x, x, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(x, x, NID_key_usage, "critical,digitalSignature");
	add_ext(x, x, NID_ext_key_usage, "serverAuth,clientAuth");
	add_ext(x, x, NID_subject_key_identifier, "hash");
	add_ext(x, x, NID_subject_alt_name,
	    "DNS:www.service-042.example.com,DNS:service-042.example.com,"
	    "DNS:api.service-042.example.com,DNS:internal.service-042.example."
	    "com");
	add_ext(x, x, NID_crl_distribution_points,
	    "URI:http://crl.example.com/issuing-ca-1.crl");
	add_ext(x, x, NID_info_access,
	    "caIssuers;URI:http://pki.example.com/issuing-ca-1.der");
	if (X509_sign(x, ca, EVP_sha256()) <= 0)
		die("sign");
	tpl.der = NULL;
	if ((len = i2d_X509(x, &tpl.der)) <= 0)
		die("encode");
	tpl.der_len = (size_t)len;
	for (i = 0; i + SERIAL_LEN <= tpl.der_len; i++)
		if (memcmp(tpl.der + i, serial, SERIAL_LEN) == 0)
			break;
	tpl.serial_off = i;
	p = NULL;
	len = i2d_PUBKEY(leaf, &p);
	spki = p;
	if (sha256(spki, (size_t)len, tpl.spki_sha256) != 0)
		die("hash");
	OPENSSL_free(spki);
	p = NULL;
	len = i2d_PUBKEY(ca, &p);
	{
		uint8_t d[32];

		if (sha256(p, (size_t)len, d) != 0)
			die("hash");
		hex_encode(d, 32, tpl.issuer);
	}
	OPENSSL_free(p);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	X509_free(x);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(leaf);
}

/* A fresh random serial: bytes for the DER, hex for the store. */
static void
serial_next(uint8_t out[SERIAL_LEN], char hex[2 * SERIAL_LEN + 1])
{
	uint64_t a = rng_next(), b = rng_next();

	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
	out[0] = 0x40 | (out[0] & 0x3f);
	hex_encode(out, SERIAL_LEN, hex);
}

static void
reserve(struct signet_store *st, const char *hex)
{
	struct signet_store_cert_new c;

	memset(&c, 0, sizeof(c));
	c.issuer = tpl.issuer;
	c.serial = hex;
	c.subject = "CN=www.service-042.example.com";
	c.sans = "DNS:www.service-042.example.com,DNS:service-042.example.com,"
		 "DNS:api.service-042.example.com,"
		 "DNS:internal.service-042.example.com";
	memcpy(c.spki_sha256, tpl.spki_sha256, 32);
	c.not_before = T0;
	c.not_after = T0 + LIFETIME;
	c.profile = "tls-server";
	c.requester = "svc-deploy";
	if (signet_store_cert_reserve(st, &c, T0) != 0)
		die("reserve");
}

static void
issue(struct signet_store *st, const uint8_t *der, const char *hex)
{
	if (signet_store_cert_issue(st, tpl.issuer, hex, der, tpl.der_len,
		T0) != 0)
		die("issue");
}

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

/*
 * Issue n certificates the way batch issuance does: reserve per_txn
 * serials in one transaction (committed before anything is signed), then
 * mark them issued in another. per_txn 1: each call its own transaction.
 */
static void
insert_rows(struct signet_store *st, size_t n, size_t per_txn, int keep)
{
	uint8_t *ders = malloc(per_txn * tpl.der_len);
	char(*hex)[2 * SERIAL_LEN + 1] = malloc(per_txn * sizeof(*hex));
	size_t done, k, batch;

	if (ders == NULL || hex == NULL)
		die("memory");
	for (done = 0; done < n; done += batch) {
		batch = n - done < per_txn ? n - done : per_txn;
		if (per_txn > 1 && signet_store_begin(st) != 0)
			die("begin");
		for (k = 0; k < batch; k++) {
			uint8_t *der = ders + k * tpl.der_len;

			memcpy(der, tpl.der, tpl.der_len);
			serial_next(der + tpl.serial_off, hex[k]);
			reserve(st, hex[k]);
		}
		if (per_txn > 1 && signet_store_commit(st) != 0)
			die("commit");
		if (per_txn > 1 && signet_store_begin(st) != 0)
			die("begin");
		for (k = 0; k < batch; k++) {
			issue(st, ders + k * tpl.der_len, hex[k]);
			if (keep)
				keep_serial(hex[k]);
		}
		if (per_txn > 1 && signet_store_commit(st) != 0)
			die("commit");
	}
	free(ders);
	free(hex);
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
		    SIGNET_REASON_SUPERSEDED, T0 + 1);
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
	insert_rows(st, 10000, BATCH, 1);
	single_ops(st, small);

	/* 1: fill to ROWS in batches. */
	t = now_us();
	insert_rows(st, rows - n_serials, BATCH, 1);
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
		insert_rows(st, 10000, per_txn[i], 0);
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
