/*
 * Tools for bench/run-issue-bench.sh, which measures the online CA against
 * the token's raw signing rate and against `openssl ca`:
 *
 *   bench_issue raw CONFIG N          the CA key's raw signing rate through
 *                                     signet_key_signer, 1 and nproc threads
 *                                     (the algorithm signet uses with it)
 *   bench_issue csrs DIR N            N P-256 CSRs (distinct keys, names
 *                                     hostN.example.com) as DIR/cNNNNNN.csr
 *   bench_issue populate CONFIG N TEMPLATE.pem [INDEX]
 *                                     N revoked certificates of the CA in its
 *                                     database, by SQL (copies of TEMPLATE
 *                                     with their own serials); with INDEX,
 *                                     the same entries as an `openssl ca`
 *                                     index.txt appended to INDEX
 *   bench_issue time N -- COMMAND...  run COMMAND N times: wall time (min,
 *                                     median, max) and peak RSS
 *   bench_issue stages POLICY CSR CA.pem CA.key N
 *                                     what each step of issuance costs in
 *                                     CPU, with a software CA key (no
 *                                     token): policy, build, lint, sign and
 *                                     check; then the whole, on 1 and nproc
 *                                     threads
 *
 * It measures; it asserts nothing about time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "ca/ca_int.h"
#include "signet/ca.h"
#include "signet/policy.h"
#include "signet/x509.h"
#include "signet/token.h"
#include "util/codec.h"
#include "util/file.h"

static void
die(const char *what)
{
	fprintf(stderr, "bench_issue: %s: %s\n", what, signet_error_message());
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the calling thread: robust to a machine shared with others. */
static double
thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of the whole process so far. */
static double
process_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static unsigned
cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* ---- raw signing rate ----------------------------------------------------- */

struct raw_arg {
	struct signet_signer *signer;
	enum signet_sig_alg alg;
	size_t n;
	int failed;
};

static void *
raw_thread(void *argp)
{
	struct raw_arg *a = argp;
	uint8_t digest[64], sig[SIGNET_SIG_MAX];
	size_t i, len,
	    dlen = (size_t)EVP_MD_get_size(signet_sig_alg_md(a->alg));

	RAND_bytes(digest, sizeof(digest));
	for (i = 0; i < a->n; i++) {
		len = sizeof(sig);
		if (signet_signer_sign_digest(a->signer, a->alg, digest, dlen,
			sig, &len) != 0) {
			a->failed = 1;
			break;
		}
	}
	return NULL;
}

static double
raw_rate(struct signet_signer *signer, unsigned threads, size_t total)
{
	struct raw_arg a[256];
	pthread_t t[256];
	double t0;
	unsigned i;

	for (i = 0; i < threads; i++) {
		a[i].signer = signer;
		a[i].n = total / threads;
		a[i].failed = 0;
		/* The CA key's algorithm: ECDSA or RSA PKCS#1 v1.5. */
		if (signet_sig_alg_for_key(signet_signer_get0_pubkey(signer), 0,
			&a[i].alg) != 0)
			die("key algorithm");
	}
	t0 = now();
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, raw_thread, &a[i]) != 0)
			die("pthread_create");
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		if (a[i].failed)
			die("signing");
	}
	return (double)(total / threads * threads) / (now() - t0);
}

static int
cmd_raw(const char *config, size_t n)
{
	struct signet_ca_config *c = NULL;
	struct signet_p11_uri *uri = NULL;
	struct signet_token_opts opts;
	struct signet_token *tok = NULL;
	struct signet_key *key = NULL;
	struct signet_signer *signer = NULL;
	unsigned threads = cpus();
	double c0;

	if (signet_ca_config_load(config, &c) != 0)
		die("config");
	if (signet_uri_parse(c->key_uri, 0, &uri) != 0)
		die("key URI");
	memset(&opts, 0, sizeof(opts));
	opts.module_path = c->module;
	opts.pin_source = c->pin_source;
	opts.max_sessions = threads > 8 ? threads : 8;
	if (signet_token_open(uri, &opts, &tok) != 0 ||
	    signet_key_find(tok, uri, &key) != 0 ||
	    signet_key_signer(key, &signer) != 0)
		die("token");
	(void)raw_rate(signer, 1, n / 10); /* warm up the sessions */
	c0 = process_cpu();
	printf("raw_1 %.0f\n", raw_rate(signer, 1, n));
	/* What one signature costs the host's CPUs (SoftHSM: all of it). */
	printf("raw_cpu_us %.1f\n", (process_cpu() - c0) / (double)n * 1e6);
	printf("raw_n %.0f\n", raw_rate(signer, threads, n));
	printf("threads %u\n", threads);
	signet_signer_free(signer);
	signet_key_free(key);
	signet_token_free(tok);
	signet_uri_free(uri);
	signet_ca_config_free(c);
	return 0;
}

/* ---- CSRs ----------------------------------------------------------------- */

struct csr_arg {
	const char *dir;
	size_t from, to;
};

static void *
csr_thread(void *argp)
{
	struct csr_arg *a = argp;
	char name[64], path[4096], san[96];
	size_t i;

	for (i = a->from; i < a->to; i++) {
		EVP_PKEY *k = EVP_EC_gen("P-256");
		X509_REQ *r = X509_REQ_new();
		X509_NAME *n = X509_NAME_new();
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *e;
		FILE *f;

		snprintf(name, sizeof(name), "host%zu.example.com", i);
		snprintf(san, sizeof(san), "DNS:%s", name);
		if (k == NULL || r == NULL || n == NULL || exts == NULL ||
		    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
			(const unsigned char *)name, -1, -1, 0) ||
		    !X509_REQ_set_subject_name(r, n) ||
		    !X509_REQ_set_pubkey(r, k) ||
		    (e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
			 san)) == NULL ||
		    !sk_X509_EXTENSION_push(exts, e) ||
		    !X509_REQ_add_extensions(r, exts) ||
		    X509_REQ_sign(r, k, EVP_sha256()) <= 0)
			die("CSR");
		snprintf(path, sizeof(path), "%s/c%07zu.csr", a->dir, i);
		if ((f = fopen(path, "w")) == NULL ||
		    !PEM_write_X509_REQ(f, r) || fclose(f) != 0)
			die(path);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		X509_NAME_free(n);
		X509_REQ_free(r);
		EVP_PKEY_free(k);
	}
	return NULL;
}

static int
cmd_csrs(const char *dir, size_t n)
{
	struct csr_arg a[64];
	pthread_t t[64];
	unsigned threads = cpus() > 64 ? 64 : cpus(), i;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die(dir);
	for (i = 0; i < threads; i++) {
		a[i].dir = dir;
		a[i].from = n * i / threads;
		a[i].to = n * (i + 1) / threads;
		if (pthread_create(&t[i], NULL, csr_thread, &a[i]) != 0)
			die("pthread_create");
	}
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("csrs %zu\n", n);
	return 0;
}

/* ---- populating the database
 * ------------------------------------------------- */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
sql(sqlite3 *db, const char *s)
{
	char *err = NULL;

	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "bench_issue: %s: %s\n", s, err);
		exit(1);
	}
}

static void
asn1_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	/* index.txt's UTCTime: two-digit years (RFC 5280 4.1.2.5.1). */
	gmtime_r(&tt, &tm);
	snprintf(out, 32, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
cmd_populate(const char *config, size_t n, const char *template_pem,
    const char *index)
{
	struct signet_ca *ca = NULL;
	const struct signet_ca_config *c;
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *q = NULL;
	X509 *x = NULL;
	FILE *f, *idx = NULL;
	uint8_t *der = NULL, serial[20], hash[32];
	char *file, hex[41], padded[41], hash_hex[65], spki[65];
	char na[32], ra[32], issuer[65];
	int len, s;
	size_t off = 0, i, k, slen;
	int64_t issuer_id = 0, seq = 0, t0 = (int64_t)time(NULL);
	const ASN1_INTEGER *ai;
	double started = now();

	/* Serials differ from run to run (populate is called twice). */
	if (RAND_bytes((unsigned char *)&rng_state, sizeof(rng_state)) != 1)
		die("RAND_bytes");
	if (signet_ca_open(config, 0, &ca) != 0)
		die("open");
	c = signet_ca_get0_config(ca);
	if ((f = fopen(template_pem, "r")) == NULL ||
	    (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		die("template");
	fclose(f);
	if ((len = i2d_X509(x, &der)) <= 0)
		die("template DER");
	/* Where the template's serial is, to write each row's own. */
	ai = X509_get0_serialNumber(x);
	slen = (size_t)ASN1_STRING_length(ai);
	for (off = 0; off + slen <= (size_t)len; off++)
		if (memcmp(der + off, ASN1_STRING_get0_data(ai), slen) == 0)
			break;
	if (slen != 20 || off + slen > (size_t)len)
		die("template serial (want 20 octets)");
	{
		uint8_t *p = NULL;
		int l = i2d_PUBKEY(X509_get0_pubkey(x), &p);

		if (l <= 0 || sha256(p, (size_t)l, hash) != 0)
			die("template key");
		hex_encode(hash, 32, spki);
		OPENSSL_free(p);
	}
	if ((file = ca_store_file(c->database)) == NULL)
		die("database URL (sqlite only)");
	snprintf(issuer, sizeof(issuer), "%s", signet_ca_issuer_id(ca));
	signet_ca_free(ca);
	if (sqlite3_open(file, &db) != SQLITE_OK)
		die(file);
	free(file);
	sqlite3_busy_timeout(db, 60000);
	sql(db, "PRAGMA synchronous=OFF");
	sql(db, "BEGIN IMMEDIATE");
	if (sqlite3_prepare_v2(db,
		"SELECT id, revocation_seq FROM issuers WHERE issuer_key = ?",
		-1, &q, NULL) != SQLITE_OK)
		die("prepare");
	sqlite3_bind_text(q, 1, issuer, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW)
		die("no issuer row: issue one certificate first");
	issuer_id = sqlite3_column_int64(q, 0);
	seq = sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db,
		"INSERT INTO certificates (issuer_id, serial, status, subject, "
		"sans, spki_sha256, not_before, not_after, profile, requester, "
		"created_at, updated_at, issued_at, der, cert_sha256, "
		"revoked_at, revocation_reason, revocation_seq) VALUES "
		"(?, ?, 'revoked', 'CN=bench.example.com', "
		"'DNS:bench.example.com', ?, ?, ?, 'tls-server', 'bench', ?, "
		"?, ?, ?, ?, ?, ?, ?)",
		-1, &ins, NULL) != SQLITE_OK)
		die("prepare");
	if (index != NULL && (idx = fopen(index, "a")) == NULL)
		die(index);
	asn1_time(t0 + 80 * 86400, na);
	for (i = 0; i < n; i++) {
		uint64_t a = rng_next(), b = rng_next(), d = rng_next();

		memcpy(serial, &a, 8);
		memcpy(serial + 8, &b, 8);
		memcpy(serial + 16, &d, 4);
		serial[0] = (uint8_t)(0x01 + serial[0] % 0x7f);
		memcpy(der + off, serial, 20);
		hex_encode(serial, 20, hex);
		memcpy(padded, hex, 41);
		if (sha256(der, (size_t)len, hash) != 0)
			die("hash");
		hex_encode(hash, 32, hash_hex);
		k = 1;
		sqlite3_bind_int64(ins, k++, issuer_id);
		sqlite3_bind_text(ins, k++, padded, 40, SQLITE_STATIC);
		sqlite3_bind_text(ins, k++, spki, 64, SQLITE_STATIC);
		sqlite3_bind_int64(ins, k++, t0 - 10 * 86400);
		sqlite3_bind_int64(ins, k++, t0 + 80 * 86400);
		sqlite3_bind_int64(ins, k++, t0 - 10 * 86400);
		sqlite3_bind_int64(ins, k++, t0 - 86400);
		sqlite3_bind_int64(ins, k++, t0 - 10 * 86400);
		sqlite3_bind_blob(ins, k++, der, len, SQLITE_STATIC);
		sqlite3_bind_text(ins, k++, hash_hex, 64, SQLITE_STATIC);
		sqlite3_bind_int64(ins, k++, t0 - 86400 - (int64_t)(i % 86400));
		/* superseded, keyCompromise, unspecified, in turn */
		sqlite3_bind_int64(ins, k++,
		    i % 3 == 0   ? 4
		    : i % 3 == 1 ? 1
				 : 0);
		sqlite3_bind_int64(ins, k++, ++seq);
		if ((s = sqlite3_step(ins)) != SQLITE_DONE) {
			fprintf(stderr, "bench_issue: insert: %s\n",
			    sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_reset(ins);
		if (idx != NULL) {
			asn1_time(t0 - 86400 - (int64_t)(i % 86400), ra);
			for (k = 0; k < 40; k++)
				if (hex[k] >= 'a' && hex[k] <= 'f')
					hex[k] = (char)(hex[k] - 'a' + 'A');
			fprintf(idx, "R\t%s\t%s%s\t%s\tunknown\t/CN=bench\n",
			    na, ra,
			    i % 3 == 0   ? ",superseded"
			    : i % 3 == 1 ? ",keyCompromise"
					 : "",
			    hex);
		}
	}
	sqlite3_finalize(ins);
	if (sqlite3_prepare_v2(db,
		"UPDATE issuers SET revocation_seq = ? WHERE id = ?", -1, &q,
		NULL) != SQLITE_OK)
		die("prepare");
	sqlite3_bind_int64(q, 1, seq);
	sqlite3_bind_int64(q, 2, issuer_id);
	if (sqlite3_step(q) != SQLITE_DONE)
		die("issuer counter");
	sqlite3_finalize(q);
	sql(db, "COMMIT");
	sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	if (idx != NULL && fclose(idx) != 0)
		die(index);
	printf("populated %zu %.1f\n", n, now() - started);
	X509_free(x);
	OPENSSL_free(der);
	return 0;
}

/* ---- timing a command
 * ----------------------------------------------------------- */

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmd_time(size_t n, char **argv)
{
	double *t = calloc(n, sizeof(*t)), t0;
	long maxrss = 0;
	struct rusage ru;
	size_t i;
	pid_t pid;
	int st;

	if (t == NULL)
		die("memory");
	for (i = 0; i < n; i++) {
		t0 = now();
		if ((pid = fork()) == 0) {
			if (freopen("/dev/null", "w", stdout) == NULL)
				_exit(126);
			execvp(argv[0], argv);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
			die("fork");
		t[i] = now() - t0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "bench_issue: %s exited %d\n", argv[0],
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			exit(1);
		}
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	qsort(t, n, sizeof(*t), dbl_cmp);
	printf("min_ms %.1f\nmedian_ms %.1f\nmax_ms %.1f\nmaxrss_kb %ld\n",
	    t[0] * 1e3, t[n / 2] * 1e3, t[n - 1] * 1e3, maxrss);
	free(t);
	return 0;
}

/* ---- the cost of each step
 * ------------------------------------------------------ */

struct stages {
	const struct signet_profile *profile;
	uint8_t *csr;
	size_t csr_len;
	struct signet_issuer *issuer;
	struct signet_signer *signer;
	struct signet_lint_ctx *lint;
	size_t n;
	double t[5]; /* policy, build, lint, key signs, check: thread CPU */
};

/*
 * The CA key behind a signer that counts the CPU the key itself takes, so
 * that what stays with signet (the check after signing) is told apart
 * from what the token would do.
 */
static __thread double stages_sign_cpu;

static int
timed_sign_digest(void *ctx, enum signet_sig_alg alg, const uint8_t *digest,
    size_t digest_len, uint8_t *sig, size_t *siglen)
{
	double t0 = thread_cpu();
	int r = signet_signer_sign_digest(ctx, alg, digest, digest_len, sig,
	    siglen);

	stages_sign_cpu += thread_cpu() - t0;
	return r;
}

static void
timed_free(void *ctx)
{
	signet_signer_free(ctx);
}

static const struct signet_signer_ops timed_ops = { "software", 0,
	timed_sign_digest, timed_free };

static void *
stages_thread(void *argp)
{
	struct stages *s = argp;
	struct signet_request *rq;
	struct signet_cert_params p;
	struct signet_tbs *tbs;
	struct signet_lint_report *rep;
	uint8_t *der;
	size_t i, len;
	double t0, t1, t2, t3, t4, key;

	for (i = 0; i < s->n; i++) {
		t0 = thread_cpu();
		if (signet_request_from_csr(s->profile, s->csr, s->csr_len,
			NULL, &rq) != 0)
			die("policy");
		t1 = thread_cpu();
		memset(&p, 0, sizeof(p));
		p.request = rq;
		p.issuer = s->issuer;
		if (signet_serial_new(signet_random_openssl, NULL, 20,
			&p.serial) != 0 ||
		    signet_cert_prepare(&p, &tbs) != 0)
			die("build");
		t2 = thread_cpu();
		if (signet_tbs_lint(tbs, s->lint, &rep) != 0)
			die("lint");
		signet_lint_report_free(rep);
		t3 = thread_cpu();
		key = stages_sign_cpu;
		if (signet_tbs_sign(tbs, s->signer, &der, &len) != 0)
			die("sign");
		t4 = thread_cpu();
		key = stages_sign_cpu - key;
		free(der);
		signet_tbs_free(tbs);
		signet_request_free(rq);
		s->t[0] += t1 - t0;
		s->t[1] += t2 - t1;
		s->t[2] += t3 - t2;
		s->t[3] += key;
		s->t[4] += t4 - t3 - key;
	}
	return NULL;
}

static int
cmd_stages(const char *policy_path, const char *csr, const char *ca_pem,
    const char *ca_key, size_t n)
{
	struct signet_policy *policy = NULL;
	struct stages base, s[64];
	pthread_t t[64];
	unsigned threads = cpus() > 64 ? 64 : cpus(), i;
	X509 *cert;
	EVP_PKEY *key, *pub = NULL;
	struct signet_signer *soft = NULL;
	FILE *f;
	double t0, c0, us[5];
	size_t k;

	memset(&base, 0, sizeof(base));
	if (signet_policy_load(policy_path, &policy) != 0 ||
	    signet_policy_find(policy, "tls-server", &base.profile) != 0)
		die("policy");
	if (file_read(csr, 65536, &base.csr, &base.csr_len) != 0)
		die("CSR");
	if ((f = fopen(ca_pem, "r")) == NULL ||
	    (cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		die(ca_pem);
	fclose(f);
	if ((f = fopen(ca_key, "r")) == NULL ||
	    (key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		die(ca_key);
	fclose(f);
	if (signet_issuer_new(cert, &base.issuer) != 0 ||
	    signet_soft_signer_new(key, &soft) != 0 ||
	    (pub = signet_signer_get0_pubkey(soft)) == NULL ||
	    signet_signer_new(&timed_ops, soft, pub, &base.signer) != 0 ||
	    signet_lint_ctx_new(&base.lint) != 0 ||
	    signet_lint_ctx_set_issuer(base.lint, cert) != 0)
		die("issuer");
	base.n = n;
	s[0] = base;
	(void)stages_thread(&s[0]); /* warm up */
	s[0] = base;
	t0 = now();
	c0 = thread_cpu();
	(void)stages_thread(&s[0]);
	for (k = 0; k < 5; k++)
		us[k] = s[0].t[k] / (double)n * 1e6;
	/* CPU of this thread, in microseconds per certificate. */
	printf("stage_policy_us %.0f\nstage_build_us %.0f\n"
	       "stage_lint_us %.0f\nstage_key_sign_us %.0f\n"
	       "stage_check_us %.0f\n",
	    us[0], us[1], us[2], us[3], us[4]);
	printf("stage_outside_key_us %.0f\n", us[0] + us[1] + us[2] + us[4]);
	printf("stage_total_us %.0f\n", (thread_cpu() - c0) / (double)n * 1e6);
	printf("stages_1 %.0f\n", (double)n / (now() - t0));
	for (i = 0; i < threads; i++) {
		s[i] = base;
		s[i].n = n / threads;
	}
	t0 = now();
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, stages_thread, &s[i]) != 0)
			die("pthread_create");
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("stages_n %.0f\n",
	    (double)(n / threads * threads) / (now() - t0));
	signet_lint_ctx_free(base.lint);
	signet_signer_free(base.signer);
	signet_issuer_free(base.issuer);
	signet_policy_free(policy);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(base.csr);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "raw") == 0)
		return cmd_raw(argv[2], strtoul(argv[3], NULL, 10));
	if (argc >= 4 && strcmp(argv[1], "csrs") == 0)
		return cmd_csrs(argv[2], strtoul(argv[3], NULL, 10));
	if (argc >= 5 && strcmp(argv[1], "populate") == 0)
		return cmd_populate(argv[2], strtoul(argv[3], NULL, 10),
		    argv[4], argc >= 6 ? argv[5] : NULL);
	if (argc >= 5 && strcmp(argv[1], "time") == 0 &&
	    strcmp(argv[3], "--") == 0)
		return cmd_time(strtoul(argv[2], NULL, 10), argv + 4);
	if (argc >= 7 && strcmp(argv[1], "stages") == 0)
		return cmd_stages(argv[2], argv[3], argv[4], argv[5],
		    strtoul(argv[6], NULL, 10));
	fprintf(stderr, "usage: bench_issue raw CONFIG N | csrs DIR N |\n"
			"       populate CONFIG N TEMPLATE.pem [INDEX] |\n"
			"       stages POLICY CSR CA.pem CA.key N |\n"
			"       time N -- COMMAND...\n");
	return 2;
}
