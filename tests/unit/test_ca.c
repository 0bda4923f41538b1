/*
 * The online CA through its library API, on SoftHSM (tests/common/
 * ca_fixture.c): what opening checks, issuing one certificate and a
 * pipelined batch with refusals in it, what each failing step leaves
 * (fault points, a token that fails to sign, a lost session), db check and
 * --resolve, revocation and CRLs. Fault cases run in a fresh process each
 * (fault points and p11fault read their settings once per process).
 */
#include <limits.h>
#include <setjmp.h>
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

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca_fixture.h"
#include "fixture.h"
#include "signet/ca.h"
#include "util/codec.h"
#include "util/file.h"

static char self_exe[PATH_MAX];
static char config[PATH_MAX + 32];

static void
assert_message_has(const char *needle)
{
	if (strstr(signet_error_message(), needle) == NULL)
		fail_msg("'%s' not in: %s", needle, signet_error_message());
}

static struct signet_ca *
open_ok(const char *path, unsigned flags)
{
	struct signet_ca *ca = NULL;

	if (signet_ca_open(path, flags, &ca) != 0)
		fail_msg("open: %s", signet_error_message());
	return ca;
}

static int
count_status(struct signet_ca *ca, int status)
{
	struct signet_store_counts c;

	assert_int_equal(signet_store_counts(signet_ca_get0_store(ca),
			     signet_ca_issuer_id(ca), &c),
	    0);
	switch (status) {
	case SIGNET_CERT_PENDING:
		return (int)c.pending;
	case SIGNET_CERT_ISSUED:
		return (int)c.issued;
	case SIGNET_CERT_FAILED:
		return (int)c.failed;
	default:
		return (int)c.revoked;
	}
}

static int
log_count(const char *needle)
{
	char path[PATH_MAX + 32], *dir = strdup(config), *slash;
	size_t len, i, start = 0;
	uint8_t *buf;
	int n = 0;

	assert_non_null(dir);
	slash = strrchr(dir, '/');
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	free(dir);
	buf = fx_read(path, &len);
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = '\0';
		if (strstr((char *)buf + start, needle) != NULL)
			n++;
		start = i + 1;
	}
	free(buf);
	return n;
}

static void
set_config(const char *key_line, const char *value_line)
{
	/* Replace the line holding key_line (sed is enough for tests). */
	assert_int_equal(fx_sh("sed -i 's|^%s.*|%s|' '%s'", key_line,
			     value_line, config),
	    0);
}

/* ---- opening ------------------------------------------------------------- */

static void
test_open(void **state)
{
	struct signet_ca *ca;
	char *want;
	int st;

	(void)state;
	/* Read-only: no PIN needed, nothing to sign with. */
	ca = open_ok(config, 0);
	assert_null(signet_ca_get0_policy(ca));
	assert_int_equal(signet_ca_revoke(ca, "01", 1, NULL, NULL),
	    SIGNET_ERR_USAGE);
	want = fx_sh_output(&st,
	    "openssl x509 -in '%s/ca.pem' -pubkey -noout | openssl pkey "
	    "-pubin -outform DER | sha256sum | cut -c1-64",
	    fx_ca_dir());
	assert_int_equal(st, 0);
	assert_int_equal(strncmp(signet_ca_issuer_id(ca), want, 64), 0);
	free(want);
	assert_int_equal(signet_ca_close(ca), 0);
	assert_int_equal(signet_ca_close(NULL), 0);
	signet_ca_free(NULL);

	ca = open_ok(config, SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY);
	assert_non_null(signet_ca_get0_policy(ca));
	assert_string_equal(signet_ca_get0_config(ca)->path, config);
	assert_int_equal(signet_ca_close(ca), 0);
	assert_true(log_count("\"event\":\"token.login\"") >= 2);
	assert_true(log_count("\"event\":\"policy.load\"") >= 1);
	assert_true(log_count("\"event\":\"config.load\"") >= 2);
}

/* ---- issuance ------------------------------------------------------------- */

static void
test_issue_one(void **state)
{
	struct signet_ca *ca;
	struct signet_ca_request req;
	struct signet_ca_result res;
	struct signet_store_cert *row = NULL;
	const char *csr = fx_path("one.csr"), *out = fx_path("one.crt");
	const unsigned char *p;
	uint8_t *pem;
	size_t len;
	X509 *x;
	BIO *bio;

	(void)state;
	fx_ca_csr(csr, "/CN=one.example.com", "DNS:one.example.com");
	ca = open_ok(config, SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY);
	memset(&req, 0, sizeof(req));
	req.name = "one.csr";
	req.csr = fx_read(csr, &req.csr_len);
	req.profile = "tls-server";
	req.out_path = out;
	assert_int_equal(signet_ca_issue(ca, &req, &res), 0);
	assert_true(res.recorded && res.written);
	assert_null(res.message);
	/* 20 octets from the token's RNG, positive. */
	assert_int_equal(strlen(res.serial), 40);
	assert_true(strchr("01234567", res.serial[0]) != NULL);
	p = res.der;
	assert_non_null(x = d2i_X509(NULL, &p, (long)res.der_len));
	assert_int_equal(X509_verify(x,
			     X509_get0_pubkey(signet_ca_get0_cert(ca))),
	    1);
	X509_free(x);
	/* The file is the same certificate, in PEM. */
	pem = fx_read(out, &len);
	assert_non_null(bio = BIO_new_mem_buf(pem, (int)len));
	assert_non_null(x = PEM_read_bio_X509(bio, NULL, NULL, NULL));
	BIO_free(bio);
	free(pem);
	{
		unsigned char *file_der = NULL;
		int file_len = i2d_X509(x, &file_der);

		assert_true(file_len > 0);
		assert_int_equal((size_t)file_len, res.der_len);
		assert_memory_equal(file_der, res.der, res.der_len);
		OPENSSL_free(file_der);
	}
	X509_free(x);
	assert_int_equal(signet_store_cert_get(signet_ca_get0_store(ca),
			     signet_ca_issuer_id(ca), res.serial, &row),
	    0);
	assert_int_equal(row->status, SIGNET_CERT_ISSUED);
	assert_int_equal(row->der_len, res.der_len);
	assert_memory_equal(row->der, res.der, res.der_len);
	assert_string_equal(row->profile, "tls-server");
	assert_string_equal(row->sans, "DNS:one.example.com");
	signet_store_cert_free(row);
	assert_int_equal(signet_ca_close(ca), 0);
	assert_true(log_count(res.serial) >= 2); /* intent and outcome */
	signet_ca_result_clear(&res);
	free((void *)req.csr);
}

struct progress {
	size_t calls, last;
	int monotonic;
};

static void
progress_cb(void *arg, size_t done, size_t total)
{
	struct progress *p = arg;

	p->calls++;
	if (done < p->last || done > total)
		p->monotonic = 0;
	p->last = done;
}

static void
test_issue_batch(void **state)
{
	static const struct {
		const char *cn, *san, *profile;
		int status;
	} t[] = {
		{ "/CN=b1.example.com", "DNS:b1.example.com", "tls-server", 0 },
		{ "/CN=b2.example.org", "DNS:b2.example.org", "tls-server",
		    SIGNET_ERR_POLICY },
		{ "/CN=b3.example.com", "DNS:b3.example.com", "tls-server", 0 },
		{ "/CN=b4.example.com", "DNS:b4.example.com", "nope",
		    SIGNET_ERR_NOT_FOUND },
		{ "/CN=b5.example.com", "DNS:b5.example.com", "mtls", 0 },
		{ "/CN=b6.example.com", "DNS:b6.example.com", "tls-server", 0 },
		{ "/CN=b7@example.com", "email:b7@example.com", "tls-client",
		    0 },
	};
	struct signet_ca_request req[7];
	struct signet_ca_result res[7];
	struct progress pr = { 0, 0, 1 };
	struct signet_ca *ca;
	char name[64], *path;
	int denied = log_count("\"event\":\"cert.request\"");
	size_t i;

	(void)state;
	/* Groups of two: the pipeline holds three at once. */
	set_config("  batch-size:", "  batch-size: 2");
	set_config("  workers:", "  workers: 2");
	memset(req, 0, sizeof(req));
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "b%zu.csr", i + 1);
		fx_ca_csr(fx_path(name), t[i].cn, t[i].san);
		req[i].csr_path = path = strdup(fx_path(name));
		req[i].name = path;
		req[i].profile = t[i].profile;
		snprintf(name, sizeof(name), "b%zu.crt", i + 1);
		req[i].out_path = strdup(fx_path(name));
	}
	ca = open_ok(config, SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY);
	assert_int_equal(signet_ca_issue_batch(ca, req, 7, res, progress_cb,
			     &pr),
	    0);
	for (i = 0; i < 7; i++) {
		if (res[i].status != t[i].status)
			fail_msg("%s: status %d, want %d (%s)", t[i].cn,
			    res[i].status, t[i].status,
			    res[i].message ? res[i].message : "");
		assert_int_equal(res[i].recorded, t[i].status == 0);
		assert_int_equal(res[i].written, t[i].status == 0);
		assert_int_equal(file_exists(req[i].out_path),
		    t[i].status == 0);
		if (t[i].status != 0) {
			assert_non_null(res[i].message);
			assert_string_equal(res[i].serial, "");
		}
	}
	assert_non_null(strstr(res[1].message, "b2.example.org"));
	assert_non_null(strstr(res[3].message, "nope"));
	assert_int_equal(pr.calls, 4);
	assert_int_equal(pr.last, 7);
	assert_true(pr.monotonic);
	assert_int_equal(count_status(ca, SIGNET_CERT_PENDING), 0);
	assert_int_equal(signet_ca_close(ca), 0);
	assert_int_equal(log_count("\"event\":\"cert.request\"") - denied, 2);
	for (i = 0; i < 7; i++) {
		signet_ca_result_clear(&res[i]);
		free((void *)req[i].csr_path);
		free((void *)req[i].out_path);
	}
	set_config("  batch-size:", "  batch-size: 128");
}

/* ---- failures, each in its own process ------------------------------------ */

/* Run a case of this test program in a child with extra environment. */
static int
run_case(const char *name, const char *fault, const char *p11fault)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (fault != NULL)
			setenv("SIGNET_FAULT", fault, 1);
		if (p11fault != NULL)
			setenv("P11FAULT", p11fault, 1);
		execl(self_exe, self_exe, "--case", name, config, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * The cases: issue what the file names say and report through the exit
 * status (0 as expected, else a distinct failure number).
 */
static int
case_issue(const char *cfg, size_t n, int want_r, int want_issued,
    int want_failed, int want_pending)
{
	struct signet_ca_request req[8];
	struct signet_ca_result res[8];
	struct signet_ca *ca = NULL;
	char name[PATH_MAX + 64], base[PATH_MAX + 32];
	size_t i;
	int r, issued0, failed0, pending0, ret = 0;

	if (signet_ca_open(cfg, SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY,
		&ca) != 0) {
		fprintf(stderr, "open: %s\n", signet_error_message());
		return 10;
	}
	issued0 = count_status(ca, SIGNET_CERT_ISSUED);
	failed0 = count_status(ca, SIGNET_CERT_FAILED);
	pending0 = count_status(ca, SIGNET_CERT_PENDING);
	memset(req, 0, sizeof(req));
	/* The parent's temporary directory: two levels above the config. */
	snprintf(base, sizeof(base), "%s", cfg);
	*strrchr(base, '/') = '\0';
	*strrchr(base, '/') = '\0';
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/f%zu.csr", base, i);
		req[i].csr_path = strdup(name);
		req[i].name = req[i].csr_path;
		req[i].profile = "tls-server";
	}
	r = signet_ca_issue_batch(ca, req, n, res, NULL, NULL);
	if (r != want_r) {
		fprintf(stderr, "batch: %d, want %d: %s\n", r, want_r,
		    signet_error_message());
		ret = 11;
	} else if (count_status(ca, SIGNET_CERT_ISSUED) - issued0 !=
		       want_issued ||
		   count_status(ca, SIGNET_CERT_FAILED) - failed0 !=
		       want_failed ||
		   count_status(ca, SIGNET_CERT_PENDING) - pending0 !=
		       want_pending) {
		fprintf(stderr, "rows: +%d issued, +%d failed, +%d pending\n",
		    count_status(ca, SIGNET_CERT_ISSUED) - issued0,
		    count_status(ca, SIGNET_CERT_FAILED) - failed0,
		    count_status(ca, SIGNET_CERT_PENDING) - pending0);
		ret = 12;
	}
	for (i = 0; i < n; i++) {
		if (ret == 0 && res[i].status != 0 && res[i].message == NULL)
			ret = 13;
		signet_ca_result_clear(&res[i]);
		free((void *)req[i].csr_path);
	}
	if (signet_ca_close(ca) != 0 && ret == 0)
		ret = 14;
	return ret;
}

/* The tbs_sha256 of the last cert.issue.intent in the audit log. */
static int
last_intent_tbs(char out[65])
{
	char path[PATH_MAX + 32], *dir = strdup(config), *line, *h;
	size_t len;
	uint8_t *buf;
	int found = 0;

	if (dir == NULL)
		return 0;
	*strrchr(dir, '/') = '\0';
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	free(dir);
	buf = fx_read(path, &len);
	for (line = strtok((char *)buf, "\n"); line != NULL;
	     line = strtok(NULL, "\n"))
		if (strstr(line, "\"event\":\"cert.issue.intent\"") != NULL &&
		    (h = strstr(line, "\"tbs_sha256\":\"")) != NULL &&
		    strlen(h) >= 14 + 64) {
			memcpy(out, h + 14, 64);
			out[64] = '\0';
			found = 1;
		}
	free(buf);
	return found;
}

/* The SHA-256 of a certificate's tbsCertificate (short-form lengths). */
static int
cert_tbs_hash(const uint8_t *der, size_t len, char out[65])
{
	size_t off = 2, tlen;

	if (len < 4 || der[0] != 0x30)
		return -1;
	if (der[1] & 0x80)
		off += der[1] & 0x7f;
	/* tbsCertificate: SEQUENCE, its own length field */
	if (der[off] != 0x30)
		return -1;
	if (der[off + 1] & 0x80) {
		size_t i, nl = der[off + 1] & 0x7f;

		for (tlen = 0, i = 0; i < nl; i++)
			tlen = tlen << 8 | der[off + 2 + i];
		tlen += 2 + nl;
	} else
		tlen = 2 + der[off + 1];
	if (off + tlen > len)
		return -1;
	return sha256_hex(der + off, tlen, out);
}

/*
 * A serial collision (the store refuses the first serial): the TBS is
 * rebuilt for a new serial, and the intent must name those bytes, the ones
 * the token signed.
 */
static int
case_collide(const char *cfg)
{
	struct signet_ca_request req;
	struct signet_ca_result res;
	struct signet_ca *ca = NULL;
	char csr[PATH_MAX + 32], logged[65], signed_tbs[65];
	int ret = 0;

	if (signet_ca_open(cfg, SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY,
		&ca) != 0)
		return 10;
	snprintf(csr, sizeof(csr), "%s", cfg);
	*strrchr(csr, '/') = '\0';
	*strrchr(csr, '/') = '\0';
	strcat(csr, "/f0.csr");
	memset(&req, 0, sizeof(req));
	req.csr_path = csr;
	req.profile = "tls-server";
	if (signet_ca_issue(ca, &req, &res) != 0) {
		fprintf(stderr, "issue: %s\n", signet_error_message());
		ret = 11;
	} else if (!last_intent_tbs(logged) ||
		   cert_tbs_hash(res.der, res.der_len, signed_tbs) != 0)
		ret = 12;
	else if (strcmp(logged, signed_tbs) != 0) {
		fprintf(stderr, "intent tbs_sha256 %s, signed %s\n", logged,
		    signed_tbs);
		ret = 13;
	}
	signet_ca_result_clear(&res);
	if (signet_ca_close(ca) != 0 && ret == 0)
		ret = 14;
	return ret;
}

/* A CRL whose making fails after its number was allocated. */
static int
case_crl(const char *cfg)
{
	struct signet_ca_crl_result res;
	struct signet_ca *ca = NULL;
	int r, ret = 0;

	if (signet_ca_open(cfg, SIGNET_CA_OPEN_SIGN, &ca) != 0) {
		fprintf(stderr, "open: %s\n", signet_error_message());
		return 10;
	}
	if ((r = signet_ca_crl(ca, 0, NULL, 0, &res)) != SIGNET_ERR_IO) {
		fprintf(stderr, "crl: %d: %s\n", r, signet_error_message());
		ret = 20;
	}
	signet_ca_crl_result_clear(&res);
	if (signet_ca_close(ca) != 0 && ret == 0)
		ret = 14;
	return ret;
}

/*
 * The reader connection fails to open for a batch: the pool stays, and the
 * next batch on the same handle must open its reader before the workers
 * look up blocked keys (they never touch the main connection).
 */
static int
case_reader(const char *cfg)
{
	struct signet_ca_request req[3];
	struct signet_ca_result res[3];
	struct signet_ca *ca = NULL;
	char csr[3][PATH_MAX + 32];
	size_t i;
	int r, ret = 0, issued0;

	if (signet_ca_open(cfg, SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY,
		&ca) != 0)
		return 10;
	issued0 = count_status(ca, SIGNET_CERT_ISSUED);
	memset(req, 0, sizeof(req));
	for (i = 0; i < 3; i++) {
		snprintf(csr[i], sizeof(csr[i]), "%s", cfg);
		*strrchr(csr[i], '/') = '\0';
		*strrchr(csr[i], '/') = '\0';
		snprintf(csr[i] + strlen(csr[i]), 32, "/f%zu.csr", i);
		req[i].csr_path = csr[i];
		req[i].profile = "tls-server";
	}
	if ((r = signet_ca_issue_batch(ca, req, 3, res, NULL, NULL)) !=
	    SIGNET_ERR_IO)
		ret = 11;
	for (i = 0; i < 3; i++)
		signet_ca_result_clear(&res[i]);
	if (ret == 0 &&
	    (r = signet_ca_issue_batch(ca, req, 3, res, NULL, NULL)) != 0) {
		fprintf(stderr, "second batch: %s\n", signet_error_message());
		ret = 12;
	}
	for (i = 0; i < 3; i++) {
		if (ret == 0 && res[i].status != 0) {
			fprintf(stderr, "request %zu: %s\n", i,
			    res[i].message != NULL ? res[i].message : "?");
			ret = 13;
		}
		signet_ca_result_clear(&res[i]);
	}
	if (ret == 0 && count_status(ca, SIGNET_CERT_ISSUED) - issued0 != 3)
		ret = 14;
	if (signet_ca_close(ca) != 0 && ret == 0)
		ret = 15;
	return ret;
}

static int
case_main(const char *name, const char *cfg)
{
	snprintf(config, sizeof(config), "%s", cfg);
	/* name: fault point; the expected result is fixed per case. */
	if (strcmp(name, "policy") == 0)
		return case_issue(cfg, 1, 0, 0, 0, 0);
	if (strcmp(name, "reserve") == 0)
		return case_issue(cfg, 1, SIGNET_ERR_IO, 0, 0, 1);
	if (strcmp(name, "intent") == 0)
		return case_issue(cfg, 1, SIGNET_ERR_AUDIT, 0, 1, 0);
	if (strcmp(name, "record") == 0)
		return case_issue(cfg, 1, SIGNET_ERR_IO, 1, 0, 0);
	if (strcmp(name, "token") == 0)
		/* Groups of two: sign #2 fails; group 2 is never signed. */
		return case_issue(cfg, 4, SIGNET_ERR_TOKEN, 1, 3, 0);
	if (strcmp(name, "lost") == 0)
		return case_issue(cfg, 4, 0, 4, 0, 0);
	if (strcmp(name, "collide") == 0)
		return case_collide(cfg);
	if (strcmp(name, "reader") == 0)
		return case_reader(cfg);
	if (strcmp(name, "crl") == 0)
		return case_crl(cfg);
	return 99;
}

static void
test_failures(void **state)
{
	static const struct {
		const char *name, *fault;
		int failed, pending;
	} t[] = {
		/* A refusal: nothing reserved. */
		{ "policy", "fail:issue.policy", 0, 0 },
		/* Reserved, then stopped: the row stays pending. */
		{ "reserve", "fail:issue.reserve", 0, 1 },
		/* The intent never became durable: failed, never signed. */
		{ "intent", "fail:issue.intent", 1, 0 },
		/* Signed and recorded: issued, whatever came after. */
		{ "record", "fail:issue.record", 0, 0 },
	};
	struct signet_ca *ca;
	char name[32];
	size_t i;

	(void)state;
	/* test_token_failures uses these too. */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "f%zu.csr", i);
		fx_ca_csr(fx_path(name), "/CN=f.example.com",
		    "DNS:f.example.com");
	}
#ifndef SIGNET_TEST_HOOKS
	skip(); /* fault points */
#endif
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (run_case(t[i].name, t[i].fault, NULL) != 0)
			fail_msg("case %s failed", t[i].name);
	ca = open_ok(config, 0);
	/* The pending row of "reserve" is what db check resolves. */
	assert_int_equal(count_status(ca, SIGNET_CERT_PENDING), 1);
	signet_ca_free(ca);
}

/* Issue 14: a collision's intent, a batch after its reader failed. */
static void
test_batch_hooks(void **state)
{
	(void)state;
	/* The CSRs of test_failures. */
	assert_int_equal(run_case("collide", "fail:issue.collide", NULL), 0);
	assert_int_equal(run_case("reader", "fail:issue.reader", NULL), 0);
}

/* A CRL number allocated and then not used is accounted for in the log. */
static void
test_crl_failure_audited(void **state)
{
	int before;

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip(); /* the fault point crl.allocate */
#endif
	before = log_count("\"event\":\"crl.generate\"");
	assert_int_equal(run_case("crl", "fail:crl.allocate", NULL), 0);
	assert_int_equal(log_count("\"event\":\"crl.generate\""), before + 1);
	assert_int_equal(log_count("fault injected at crl.allocate"), 1);
}

struct findings {
	int pending, resolvable, resolved, no_intent;
};

static int
finding_cb(const struct signet_ca_finding *f, void *arg)
{
	struct findings *c = arg;

	if (f->problem->kind == SIGNET_PROBLEM_PENDING)
		c->pending++;
	c->resolvable += f->resolvable;
	c->resolved += f->resolved;
	c->no_intent += f->audit == SIGNET_CA_AUDIT_NO_INTENT;
	if (f->advice == NULL || *f->advice == '\0')
		return SIGNET_ERR_INTERNAL;
	return 0;
}

static void
test_check_resolve(void **state)
{
	struct signet_ca_check_opts o = { 0, 0 };
	struct signet_ca_check_summary sum;
	struct findings c;
	struct signet_ca *ca;
	int failures = log_count("\"resolution\":\"db check --resolve\"");

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip(); /* fault points */
#endif
	/* Read-only: reported, not resolved. */
	ca = open_ok(config, 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(signet_ca_check(ca, &o, finding_cb, &c, &sum), 0);
	assert_int_equal(c.pending, 1);
	assert_int_equal(c.no_intent, 1);
	assert_int_equal(c.resolvable, 1);
	assert_int_equal(sum.unresolved, 1);
	o.resolve = 1;
	assert_int_equal(signet_ca_check(ca, &o, finding_cb, &c, &sum),
	    SIGNET_ERR_USAGE);
	signet_ca_free(ca);
	/* A grace period hides it (it may be running right now). */
	ca = open_ok(config, SIGNET_CA_OPEN_AUDIT);
	o.grace = 3600;
	memset(&c, 0, sizeof(c));
	assert_int_equal(signet_ca_check(ca, &o, finding_cb, &c, &sum), 0);
	assert_int_equal(sum.problems, 0);
	o.grace = 0;
	assert_int_equal(signet_ca_check(ca, &o, finding_cb, &c, &sum), 0);
	assert_int_equal(c.resolved, 1);
	assert_int_equal(sum.resolved, 1);
	assert_int_equal(sum.unresolved, 0);
	assert_int_equal(count_status(ca, SIGNET_CERT_PENDING), 0);
	assert_int_equal(signet_ca_close(ca), 0);
	assert_int_equal(log_count("\"resolution\":\"db check --resolve\"") -
			     failures,
	    1);
}

static void
test_token_failures(void **state)
{
	char p11[PATH_MAX + 32], log[PATH_MAX + 32];
	const char *softhsm = "/usr/lib/softhsm/libsofthsm2.so";
	int lost0 = log_count("\"event\":\"token.session.lost\"");

	(void)state;
	/* The CA key through p11fault; the audit key around it. */
	snprintf(p11, sizeof(p11), "  module: \"%s\"",
	    getenv("SIGNET_P11FAULT"));
	assert_int_equal(fx_sh("sed -i -e 's|^  key: \"pkcs11:token=ca;object="
			       "ca-key\"$|&\\n%s|' -e 's|^  key: \"pkcs11:"
			       "token=ca;object=audit-key\"$|&\\n  module: "
			       "\"%s\"|' -e 's|^  batch-size: .*|  batch-size: "
			       "2|' '%s'",
			     p11, softhsm, config),
	    0);
	snprintf(log, sizeof(log), "%s", fx_path("p11.log"));
	setenv("P11FAULT_LOG", log, 1);
	/* The second signature fails: that row fails, the rest is not
	 * signed, the batch stops. */
	assert_int_equal(run_case("token", NULL, "C_Sign@2=CKR_DEVICE_ERROR"),
	    0);
	assert_int_equal(fx_count_lines(log, "C_Sign", "CKR_OK"), 1);
	assert_true(log_count("\"event\":\"cert.issue\",\"outcome\":"
			      "\"failure\"") >= 3);
	/*
	 * A lost session is recovered, and audited. One request per group
	 * signs on one thread: SoftHSM frees what a C_Sign in flight on
	 * another thread uses when its sessions are closed under it.
	 */
	set_config("  batch-size:", "  batch-size: 1");
	assert_int_equal(run_case("lost", NULL, "C_Sign@2=close-sessions"), 0);
	assert_true(log_count("\"event\":\"token.session.lost\"") > lost0);
	assert_true(log_count("\"event\":\"token.session.recovered\"") > 0);
	unsetenv("P11FAULT_LOG");
}

/* ---- keys that were outside their token ---------------------------------- */

static void
sed_config(const char *path, const char *script)
{
	assert_int_equal(fx_sh("sed -i -e '%s' '%s'", script, path), 0);
}

/*
 * A key imported from a file (as a restored key would be) is refused as the
 * audit key and as the CA key, each until its own accept-restored-key says
 * otherwise; then the CLI warns on every use, and the log records it.
 */
static void
test_restored_keys(void **state)
{
	char path[PATH_MAX + 32], pin[PATH_MAX + 32], *out;
	struct signet_ca *ca = NULL;
	int st, accepted = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s", fx_ca_instance("restored", NULL));
	snprintf(pin, sizeof(pin), "%s/hsm/ca.pin", fx_ca_dir());
	fx_softhsm_import_key("ca", pin, "restored-audit", "7a");
	fx_softhsm_import_key("ca", pin, "restored-ca", "7b");

	sed_config(path, "s|object=audit-key\"|object=restored-audit\"|");
	assert_int_equal(signet_ca_open(path, SIGNET_CA_OPEN_SIGN, &ca),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_null(ca);
	assert_message_has("the audit key (audit.key)");
	assert_message_has("'restored-audit'");
	assert_message_has("was not always sensitive and was extractable at "
			   "some point; it may exist outside the token");
	assert_message_has("accept-restored-key");
	/* The CA key's opt-in is not the audit key's. */
	sed_config(path, "/object=ca-key\"$/a\\  accept-restored-key: true");
	assert_int_equal(signet_ca_open(path, SIGNET_CA_OPEN_SIGN, &ca),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_message_has("the audit key (audit.key)");
	/* Its own: accepted, and said on every use. */
	sed_config(path,
	    "/object=restored-audit\"$/a\\  accept-restored-key: true");
	/*
	 * Another audit key than the one that signed the log's last
	 * checkpoint: refused until an operator accepts the change.
	 */
	assert_int_equal(signet_ca_open(path, SIGNET_CA_OPEN_SIGN, &ca),
	    SIGNET_ERR_AUDIT);
	assert_message_has("signet audit accept");
	assert_int_equal(signet_ca_audit_accept(path, "audit key replaced",
			     &accepted),
	    0);
	assert_int_equal(accepted, 1);
	ca = open_ok(path, SIGNET_CA_OPEN_SIGN);
	assert_non_null(signet_ca_warning(ca, 0));
	assert_non_null(strstr(signet_ca_warning(ca, 0),
	    "the audit key 'restored-audit' on token 'ca' was not always "
	    "sensitive"));
	assert_non_null(strstr(signet_ca_warning(ca, 0),
	    "because audit.accept-restored-key is true"));
	assert_null(signet_ca_warning(ca, 1));
	assert_int_equal(signet_ca_close(ca), 0);
	out = fx_sh_output(&st, "'%s' crl --out '%s' --config '%s' 2>&1",
	    fx_signet_bin(), fx_path("restored.crl"), path);
	if (st != 0 || strstr(out, "signet: warning: the audit key "
				   "'restored-audit'") == NULL)
		fail_msg("signet crl (exit %d): %s", st, out);
	free(out);
	/* The log says it each time the key is opened. */
	assert_int_equal(fx_sh("test $(grep -c '\"purpose\":\"audit\",\""
			       "restored_key\":\"was not always sensitive' "
			       "'%s/restored/audit.log') -ge 2",
			     fx_tmpdir()),
	    0);

	/* The CA key: refused without its opt-in, passed with it. */
	sed_config(path, "/object=ca-key\"$/{n;d}");
	sed_config(path, "s|object=ca-key\"|object=restored-ca\"|");
	assert_int_equal(signet_ca_open(path, SIGNET_CA_OPEN_SIGN, &ca),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_message_has("the CA key (token.key)");
	assert_message_has("'restored-ca'");
	sed_config(path,
	    "/object=restored-ca\"$/a\\  accept-restored-key: true");
	/* Past the key check: it is not the CA certificate's key. */
	assert_int_equal(signet_ca_open(path, SIGNET_CA_OPEN_SIGN, &ca),
	    SIGNET_ERR_CONFIG);
	assert_message_has("is not the key of the CA certificate");
}

/* ---- revocation and CRLs
 * ----------------------------------------------------- */

/* Open the CA for signing and issue one tls-server certificate for host. */
static struct signet_ca *
issue_one(const char *host, struct signet_ca_result *res)
{
	struct signet_ca_request req;
	struct signet_ca *ca;
	char subject[128], san[128];
	const char *csr = fx_path("one.csr");

	snprintf(subject, sizeof(subject), "/CN=%s", host);
	snprintf(san, sizeof(san), "DNS:%s", host);
	fx_ca_csr(csr, subject, san);
	ca = open_ok(config, SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY);
	memset(&req, 0, sizeof(req));
	req.csr_path = csr;
	req.profile = "tls-server";
	assert_int_equal(signet_ca_issue(ca, &req, res), 0);
	return ca;
}

/*
 * The revocation time lies between the certificate's notBefore and now
 * (a few minutes ahead count as now); "not given" is not a time (1970 is
 * a time, and refused); a subscriber certificate is never revoked for
 * cACompromise or aACompromise. Every refusal leaves it unrevoked.
 */
static void
test_revoke_bounds(void **state)
{
	struct signet_ca_result res;
	struct signet_store_cert *cert = NULL;
	struct signet_ca *ca;
	int64_t when, got, before;
	static const struct {
		int64_t offset; /* from notBefore; INT64_MIN: literal below */
		int64_t literal;
		int reason;
		const char *message;
	} refused[] = {
		{ INT64_MIN, -62135596800, 1, "0001-01-01T00:00:00Z" },
		{ INT64_MIN, 0, 1, "1970-01-01T00:00:00Z" },
		{ -1, 0, 1, "notBefore" },
		{ 0, 0, SIGNET_CRL_REASON_CA_COMPROMISE, "cACompromise" },
		{ 0, 0, SIGNET_CRL_REASON_AA_COMPROMISE, "aACompromise" },
		{ 0, 0, SIGNET_CRL_REASON_CERTIFICATE_HOLD, "certificateHold" },
		{ 0, 0, 7, "not an RFC 5280 CRLReason" },
	};
	size_t i;

	(void)state;
	ca = issue_one("rb.example.com", &res);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		when = refused[i].offset == INT64_MIN
			   ? refused[i].literal
			   : res.not_before + refused[i].offset;
		got = -1;
		assert_int_equal(signet_ca_revoke(ca, res.serial,
				     refused[i].reason, &when, &got),
		    SIGNET_ERR_USAGE);
		assert_message_has(refused[i].message);
		assert_int_equal(got, 0);
	}
	/* Nothing was revoked. */
	assert_int_equal(signet_store_cert_get(signet_ca_get0_store(ca), NULL,
			     res.serial, &cert),
	    0);
	assert_int_equal(cert->status, SIGNET_CERT_ISSUED);
	signet_store_cert_free(cert);
	cert = NULL;

	/* A minute ahead of this clock is now, and says so. */
	before = (int64_t)time(NULL);
	when = before + 60;
	assert_int_equal(signet_ca_revoke(ca, res.serial,
			     SIGNET_CRL_REASON_SUPERSEDED, &when, &got),
	    0);
	assert_true(got >= before && got <= (int64_t)time(NULL));
	/* Escalating to keyCompromise at notBefore itself is the bound. */
	when = res.not_before;
	assert_int_equal(signet_ca_revoke(ca, res.serial,
			     SIGNET_CRL_REASON_KEY_COMPROMISE, &when, &got),
	    0);
	assert_int_equal(got, res.not_before);
	assert_int_equal(signet_store_cert_get(signet_ca_get0_store(ca), NULL,
			     res.serial, &cert),
	    0);
	assert_int_equal(cert->status, SIGNET_CERT_REVOKED);
	assert_int_equal(cert->revoked_at, res.not_before);
	assert_int_equal(cert->revocation_reason,
	    SIGNET_CRL_REASON_KEY_COMPROMISE);
	signet_store_cert_free(cert);
	assert_int_equal(signet_ca_close(ca), 0);
	signet_ca_result_clear(&res);
}

static void
test_revoke_crl(void **state)
{
	struct signet_ca_result res;
	struct signet_ca_crl_result full, delta;
	struct signet_ca *ca;
	int64_t later;

	(void)state;
	ca = issue_one("r.example.com", &res);
	assert_false(res.written);
	assert_int_equal(signet_ca_crl(ca, 1, NULL, 0, &delta),
	    SIGNET_ERR_NOT_FOUND);
	assert_message_has("no full CRL");
	assert_int_equal(signet_ca_crl(ca, 0, fx_path("a.crl"), 0, &full), 0);
	assert_int_equal(full.entries, 0);
	assert_true(full.written);
	assert_int_equal(signet_ca_revoke(ca, res.serial, 4, NULL, NULL), 0);
	assert_int_equal(signet_ca_revoke(ca, res.serial, 4, NULL, NULL),
	    SIGNET_ERR_CONFLICT);
	later = (int64_t)time(NULL) + 3600;
	assert_int_equal(signet_ca_revoke(ca, res.serial, 1, &later, NULL),
	    SIGNET_ERR_USAGE);
	assert_message_has("future");
	assert_int_equal(signet_ca_revoke(ca, "", 1, NULL, NULL),
	    SIGNET_ERR_USAGE);
	assert_int_equal(signet_ca_crl(ca, 1, fx_path("d.crl"), 1, &delta), 0);
	assert_int_equal(delta.entries, 1);
	assert_int_equal(delta.base, full.number);
	assert_true(delta.number > full.number);
	assert_int_equal(fx_sh("grep -q 'BEGIN X509 CRL' '%s'",
			     fx_path("d.crl")),
	    0);
	signet_ca_crl_result_clear(&full);
	assert_int_equal(signet_ca_crl(ca, 0, NULL, 0, &full), 0);
	assert_int_equal(full.entries, 1);
	assert_true(full.number > delta.number);
	assert_int_equal(signet_ca_close(ca), 0);
	assert_true(log_count("\"event\":\"cert.revoke\"") >= 3);
	signet_ca_result_clear(&res);
	signet_ca_crl_result_clear(&full);
	signet_ca_crl_result_clear(&delta);
	signet_ca_crl_result_clear(NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_issue_one),
		cmocka_unit_test(test_issue_batch),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_crl_failure_audited),
		cmocka_unit_test(test_check_resolve),
		cmocka_unit_test(test_batch_hooks),
		cmocka_unit_test(test_revoke_crl),
		cmocka_unit_test(test_revoke_bounds),
		cmocka_unit_test(test_token_failures),
		cmocka_unit_test(test_restored_keys),
	};
	ssize_t n;

	if (argc == 4 && strcmp(argv[1], "--case") == 0)
		return case_main(argv[2], argv[3]);
	if ((n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1)) <=
	    0)
		return 1;
	self_exe[n] = '\0';
	snprintf(config, sizeof(config), "%s", fx_ca_instance("ca", NULL));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
