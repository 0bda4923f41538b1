/*
 * How long a CRL with many entries takes, and how much memory:
 *
 *   bench_crl [ENTRIES] [--openssl] [--keep DIR]
 *
 * In a child process per measurement (so peak RSS is that run's alone):
 *  1. signet: stream ENTRIES sorted entries from an iterator into a
 *     TBSCertList, sign it with the throwaway key (the lint CRL), lint it,
 *     sign it with the CA's signer (a software key standing in for the
 *     token), parse back, compare, verify.
 *  2. with --openssl: `openssl ca -gencrl` over an index.txt with the same
 *     revoked serials, dates and reasons, with the CA key in a file.
 * Default 1,000,000 entries; P-256 keys; reasons as a store might hold
 * them (a third keyCompromise, a third superseded, a third none).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "signet/x509.h"

#define DAY 86400

static size_t entries = 1000000;
static const time_t revoked_base = 1790000000;

/* Serial i: 20 octets, sorted by i, spread over the upper 64 bits. */
static void
serial_at(size_t i, struct signet_serial *s)
{
	static const uint8_t prefix[12] = { 0x5a, 0x17, 0x93, 0xc4, 0x0e, 0x61,
		0xb8, 0x2d, 0x7f, 0x30, 0x45, 0x9e };
	uint64_t stride = UINT64_MAX / (entries + 1);
	uint64_t v = (uint64_t)i * stride +
		     (((uint64_t)i * 2654435761u) % (stride > 1 ? stride : 1));
	int k;

	s->len = 20;
	memcpy(s->v, prefix, sizeof(prefix));
	for (k = 0; k < 8; k++)
		s->v[12 + k] = (uint8_t)(v >> (56 - 8 * k));
}

static int
reason_at(size_t i)
{
	switch (i % 3) {
	case 0:
		return SIGNET_CRL_REASON_KEY_COMPROMISE;
	case 1:
		return SIGNET_CRL_REASON_SUPERSEDED;
	default:
		return SIGNET_CRL_REASON_NONE;
	}
}

struct iter {
	size_t i;
};

static int
next_entry(void *arg, struct signet_crl_entry *e)
{
	struct iter *it = arg;

	if (it->i == entries)
		return 0;
	memset(e, 0, sizeof(*e));
	serial_at(it->i, &e->serial);
	e->revoked_at = revoked_base + (time_t)(it->i % 86400);
	e->reason = reason_at(it->i);
	it->i++;
	return 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_crl: %s: %s\n", what, signet_error_message());
	exit(1);
}

/* A self-signed P-256 CA made with signet, written out for openssl ca. */
static void
make_ca(const char *dir, EVP_PKEY **key, X509 **cert)
{
	static struct signet_profile root = {
		.name = (char *)"bench-root",
		.validity_default = 10 * 365 * DAY,
		.key_usage = SIGNET_KU_KEY_CERT_SIGN | SIGNET_KU_CRL_SIGN,
		.is_ca = 1,
		.path_len = -1,
	};
	struct signet_request req;
	struct signet_cert_params params;
	struct signet_issuer *self = NULL;
	struct signet_signer *signer = NULL;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t *der = NULL;
	size_t len;
	const unsigned char *p;
	char path[4096];
	FILE *f;

	*key = EVP_EC_gen("prime256v1");
	memset(&req, 0, sizeof(req));
	req.profile = &root;
	req.subject = X509_NAME_new();
	X509_NAME_add_entry_by_txt(req.subject, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Bench CRL CA", -1, -1, 0);
	req.pubkey = *key;
	memset(&params, 0, sizeof(params));
	params.request = &req;
	if (signet_issuer_new_self(*key, &self) != 0 ||
	    signet_soft_signer_new(*key, &signer) != 0)
		die("CA setup");
	params.issuer = self;
	if (signet_serial_new(signet_random_openssl, NULL, 0, &params.serial) !=
		0 ||
	    signet_cert_prepare(&params, &tbs) != 0 ||
	    signet_tbs_lint(tbs, NULL, &rep) != 0 ||
	    signet_tbs_sign(tbs, signer, &der, &len) != 0)
		die("CA certificate");
	p = der;
	*cert = d2i_X509(NULL, &p, (long)len);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	if ((f = fopen(path, "w")) == NULL || !PEM_write_X509(f, *cert) ||
	    fclose(f) != 0)
		die("writing ca.pem");
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	if ((f = fopen(path, "w")) == NULL ||
	    !PEM_write_PrivateKey(f, *key, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f) != 0)
		die("writing ca.key");
	free(der);
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	signet_signer_free(signer);
	signet_issuer_free(self);
	X509_NAME_free(req.subject);
}

/* The signet run, in the child: prints its own phase times. */
static int
run_signet(X509 *cert, EVP_PKEY *key, const char *dir)
{
	struct signet_issuer *is = NULL;
	struct signet_signer *signer = NULL;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	struct signet_crl_params p;
	struct iter it = { 0 };
	uint8_t *der = NULL;
	size_t len = 0;
	double t0, t1, t2, t3;
	char path[4096];
	FILE *f;

	if (signet_issuer_new(cert, &is) != 0 ||
	    signet_soft_signer_new(key, &signer) != 0)
		die("issuer");
	memset(&p, 0, sizeof(p));
	p.issuer = is;
	p.next_update_in = 7 * DAY;
	p.crl_number = 42;
	p.next_entry = next_entry;
	p.next_entry_arg = &it;
	t0 = now_s();
	if (signet_crl_prepare(&p, &tbs) != 0)
		die("prepare");
	t1 = now_s();
	if (signet_tbs_lint(tbs, NULL, &rep) != 0)
		die("lint");
	t2 = now_s();
	if (signet_tbs_sign(tbs, signer, &der, &len) != 0)
		die("sign");
	t3 = now_s();
	printf("  signet: prepare (stream, encode, lint CRL) %.3f s, lint "
	       "%.3f s (%zu lints), sign+parse back+verify %.3f s\n",
	    t1 - t0, t2 - t1, signet_lint_report_lints_run(rep), t3 - t2);
	printf("  signet: %zu entries, %zu bytes DER\n",
	    signet_tbs_crl_entries(tbs), len);
	snprintf(path, sizeof(path), "%s/signet.crl", dir);
	if ((f = fopen(path, "wb")) == NULL || fwrite(der, 1, len, f) != len ||
	    fclose(f) != 0)
		die("writing signet.crl");
	free(der);
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	signet_signer_free(signer);
	signet_issuer_free(is);
	return 0;
}

/* UTCTime text as index.txt holds it: YYMMDDHHMMSSZ. */
static void
utc_time(time_t t, char out[64])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 64, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
write_openssl_ca(const char *dir)
{
	char path[4096], rev[64], exp[64], hex[41];
	struct signet_serial s;
	time_t when;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/index.txt", dir);
	if ((f = fopen(path, "w")) == NULL)
		die("index.txt");
	for (i = 0; i < entries; i++) {
		serial_at(i, &s);
		signet_serial_to_hex(&s, hex);
		when = revoked_base + (time_t)(i % 86400);
		utc_time(when, rev);
		utc_time(when + 365 * DAY, exp);
		fprintf(f, "R\t%s\t%s%s\t%s\tunknown\t/CN=leaf%zu\n", exp, rev,
		    reason_at(i) == SIGNET_CRL_REASON_KEY_COMPROMISE
			? ",keyCompromise"
		    : reason_at(i) == SIGNET_CRL_REASON_SUPERSEDED
			? ",superseded"
			: "",
		    hex, i);
	}
	if (fclose(f) != 0)
		die("index.txt");
	snprintf(path, sizeof(path), "%s/crlnumber", dir);
	if ((f = fopen(path, "w")) == NULL || fputs("2A\n", f) < 0 ||
	    fclose(f) != 0)
		die("crlnumber");
	snprintf(path, sizeof(path), "%s/ca.cnf", dir);
	if ((f = fopen(path, "w")) == NULL)
		die("ca.cnf");
	fprintf(f, "[ ca ]\ndefault_ca = bench\n[ bench ]\n"
		   "database = index.txt\ncrlnumber = crlnumber\n"
		   "unique_subject = no\ndefault_md = sha256\n"
		   "default_crl_days = 7\ncrl_extensions = crl_ext\n"
		   "[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n");
	if (fclose(f) != 0)
		die("ca.cnf");
}

/* Run fn or a command in a child; report wall time and its peak RSS. */
static void
measure(const char *name, X509 *cert, EVP_PKEY *key, const char *dir,
    const char *cmd)
{
	struct rusage ru;
	double t0 = now_s(), t;
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if (cmd != NULL) {
			if (chdir(dir) != 0)
				_exit(127);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		st = run_signet(cert, key, dir);
		fflush(stdout);
		_exit(st);
	}
	if (wait4(pid, &st, 0, &ru) < 0) {
		perror("wait4");
		exit(1);
	}
	t = now_s() - t0;
	printf("%-34s %8.2f s  peak RSS %7.1f MB  %s\n", name, t,
	    (double)ru.ru_maxrss / 1024.0,
	    WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "FAILED");
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/signet-bench.XXXXXX", *keep = NULL, cmd[8192];
	int openssl = 0, i;
	EVP_PKEY *key;
	X509 *cert;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--openssl") == 0)
			openssl = 1;
		else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
			keep = argv[++i];
		else
			entries = strtoul(argv[i], NULL, 10);
	}
	if (entries == 0) {
		fprintf(stderr, "usage: bench_crl [ENTRIES] [--openssl] "
				"[--keep DIR]\n");
		return 2;
	}
	if (keep != NULL) {
		if (mkdir(keep, 0700) != 0 && errno != EEXIST) {
			perror(keep);
			return 1;
		}
	} else if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	make_ca(keep != NULL ? keep : dir, &key, &cert);
	printf("CRL with %zu revoked entries, P-256 CA (%s)\n", entries,
	    keep != NULL ? keep : dir);
	measure("signet crl (prepare/lint/sign)", cert, key,
	    keep != NULL ? keep : dir, NULL);
	if (openssl) {
		write_openssl_ca(keep != NULL ? keep : dir);
		snprintf(cmd, sizeof(cmd),
		    "openssl ca -batch -config ca.cnf -gencrl -keyfile ca.key "
		    "-cert ca.pem -out openssl.pem 2>/dev/null");
		measure("openssl ca -gencrl (key file)", cert, key,
		    keep != NULL ? keep : dir, cmd);
		snprintf(cmd, sizeof(cmd),
		    "cd '%s' && openssl crl -in openssl.pem -outform DER -out "
		    "openssl.crl && ls -l signet.crl openssl.crl | awk '{print "
		    "\"  \" $5 \" bytes DER  \" $9}'",
		    keep != NULL ? keep : dir);
		fflush(stdout);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_crl: could not list sizes\n");
	}
	if (keep == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_crl: could not remove %s\n",
			    dir);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}
