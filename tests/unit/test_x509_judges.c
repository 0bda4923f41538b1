/*
 * External judges on what signet builds: OpenSSL (verify -x509_strict,
 * crl, verify -crl_check, req -verify), GnuTLS certtool (verify-chain with
 * the medium profile, verify-crl), python3-cryptography's strict parser
 * (tests/unit/x509_judge.py) and dumpasn1. The "token" is a software
 * signer: the token module is tested on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fixture.h"
#include "signet/lint.h"
#include "signet/x509.h"
#include "x509_fixture.h"

#define PY "/usr/bin/python3"

static struct {
	struct tx_ca root, inter;
	char judge[1024];
} g;

static void
write_der(const char *name, const uint8_t *der, size_t len)
{
	fx_write(fx_path(name), der, len);
}

static int
setup(void **state)
{
	(void)state;
	tx_ca_root(&g.root, "P-384", NULL, "Signet Test Root");
	tx_ca_sub(&g.inter, &g.root, "P-256", NULL, "Signet Test Issuing CA");
	write_der("root.der", g.root.der, g.root.len);
	write_der("inter.der", g.inter.der, g.inter.len);
	tx_write_pem(fx_path("root.pem"), "CERTIFICATE", g.root.der,
	    g.root.len);
	tx_write_pem(fx_path("inter.pem"), "CERTIFICATE", g.inter.der,
	    g.inter.len);
	snprintf(g.judge, sizeof(g.judge), "%s '%s/tests/unit/x509_judge.py'",
	    PY, fx_source_dir());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tx_ca_free(&g.inter);
	tx_ca_free(&g.root);
	return 0;
}

/* Run a judge; on failure show what it said. */
static void
judge_ok(const char *what, const char *cmd)
{
	int st;
	char *out = fx_sh_output(&st, "%s 2>&1", cmd);

	if (st != 0)
		fail_msg("%s rejected it (exit %d):\n%s\n%s", what, st, cmd,
		    out);
	free(out);
}

static char *
judge_fails(const char *cmd)
{
	int st;
	char *out = fx_sh_output(&st, "%s 2>&1", cmd);

	if (st == 0)
		fail_msg("expected a rejection from: %s\n%s", cmd, out);
	return out;
}

static void
issue_leaf(const char *name, const struct signet_profile *p, const char *key,
    const char *cn, const char *const *names)
{
	struct signet_request *req = tx_request(p, tx_key(key), cn, names);
	uint8_t *der;
	size_t len;
	char file[128];

	if (tx_issue(&g.inter, req, NULL, &der, &len, NULL) != 0)
		fail_msg("issuing %s: %s", name, signet_error_message());
	snprintf(file, sizeof(file), "%s.der", name);
	write_der(file, der, len);
	snprintf(file, sizeof(file), "%s.pem", name);
	tx_write_pem(fx_path(file), "CERTIFICATE", der, len);
	free(der);
	tx_request_free(req);
}

static void
openssl_verify(const char *leaf, const char *purpose)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	    "openssl verify -x509_strict -purpose %s -CAfile '%s' "
	    "-untrusted '%s' '%s'",
	    purpose, fx_path("root.pem"), fx_path("inter.pem"), fx_path(leaf));
	judge_ok("openssl verify", cmd);
}

static void
certtool_chain(const char *leaf, const char *extra)
{
	char cmd[2048];

	fx_sh("cat '%s' '%s' '%s' > '%s'", fx_path(leaf), fx_path("inter.pem"),
	    fx_path("root.pem"), fx_path("chain.pem"));
	snprintf(cmd, sizeof(cmd),
	    "certtool --verify-chain --verify-profile=medium %s --infile '%s'",
	    extra, fx_path("chain.pem"));
	judge_ok("certtool --verify-chain", cmd);
}

static void
python_cert(const char *der, const char *issuer)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "%s cert '%s' '%s'", g.judge, fx_path(der),
	    fx_path(issuer));
	judge_ok("python3-cryptography", cmd);
}

/*
 * dumpasn1 flags DER errors; it also calls any time after 2038 an error
 * (its own 32-bit time_t), which is not one.
 */
static void
dumpasn1_clean(const char *der)
{
	char *out, *line, *save = NULL;
	int st, bad = 0;

	out = fx_sh_output(&st, "dumpasn1 -z '%s' 2>&1", fx_path(der));
	if (strstr(out, " warnings, ") == NULL)
		bad = 1;
	for (line = strtok_r(out, "\n", &save); line != NULL && !bad;
	     line = strtok_r(NULL, "\n", &save))
		if ((strstr(line, "Error:") != NULL ||
			strstr(line, "Warning:") != NULL) &&
		    strstr(line, "32-bit time_t") == NULL) {
			print_error("%s\n", line);
			bad = 1;
		}
	free(out);
	if (bad)
		fail_msg("dumpasn1 complains about %s", der);
}

static void
test_judges_ca_certificates(void **state)
{
	(void)state;
	{
		char cmd[2048];

		snprintf(cmd, sizeof(cmd),
		    "cd '%s' && openssl verify -x509_strict -check_ss_sig "
		    "-CAfile root.pem root.pem inter.pem",
		    fx_tmpdir());
		judge_ok("openssl verify (CAs)", cmd);
	}
	python_cert("root.der", "root.der");
	python_cert("inter.der", "root.der");
	dumpasn1_clean("root.der");
	dumpasn1_clean("inter.der");
}

static void
test_judges_server(void **state)
{
	static const char *const names[] = { "dns:www.example.com",
		"dns:example.com", "ip:10.20.30.40", NULL };

	(void)state;
	issue_leaf("server", tx_profile_server(), "P-256", "www.example.com",
	    names);
	openssl_verify("server.pem", "sslserver");
	certtool_chain("server.pem", "--verify-hostname=www.example.com "
				     "--verify-purpose=1.3.6.1.5.5.7.3.1");
	python_cert("server.der", "inter.der");
	dumpasn1_clean("server.der");
	/* An RSA subscriber key under the EC intermediate. */
	issue_leaf("server-rsa", tx_profile_server(), "RSA", "www.example.com",
	    names);
	openssl_verify("server-rsa.pem", "sslserver");
	certtool_chain("server-rsa.pem", "");
	python_cert("server-rsa.der", "inter.der");
}

static void
test_judges_client_and_mtls(void **state)
{
	static const char *const client_names[] = { "email:alice@example.com",
		NULL };
	static const char *const spiffe[] = {
		"uri:spiffe://example.org/ns/prod/sa/web", NULL
	};

	(void)state;
	issue_leaf("client", tx_profile_client(), "P-256", "alice",
	    client_names);
	openssl_verify("client.pem", "sslclient");
	certtool_chain("client.pem", "--verify-purpose=1.3.6.1.5.5.7.3.2");
	python_cert("client.der", "inter.der");

	issue_leaf("mtls", tx_profile_mtls(), "P-256", NULL, spiffe);
	openssl_verify("mtls.pem", "sslclient");
	openssl_verify("mtls.pem", "sslserver");
	certtool_chain("mtls.pem", "");
	python_cert("mtls.der", "inter.der");
	dumpasn1_clean("mtls.der");
}

/* An RSA chain signed with RSASSA-PSS throughout. */
static void
test_judges_rsa_pss_chain(void **state)
{
	static const char *const names[] = { "dns:pss.example.com", NULL };
	struct signet_profile *rp = tx_profile_dup(tx_profile_root());
	struct signet_profile *ip = tx_profile_dup(tx_profile_intermediate());
	struct signet_profile *lp = tx_profile_dup(tx_profile_server());
	struct tx_ca root, inter;
	struct signet_request *req;
	uint8_t *der;
	size_t len;
	char cmd[2048];

	(void)state;
	rp->rsa_pss = ip->rsa_pss = lp->rsa_pss = 1;
	tx_ca_root(&root, "RSA", rp, "PSS Root");
	tx_ca_sub(&inter, &root, "RSA", ip, "PSS Issuing CA");
	req = tx_request(lp, tx_key("P-256"), NULL, names);
	assert_int_equal(tx_issue(&inter, req, NULL, &der, &len, NULL), 0);
	tx_write_pem(fx_path("pss-root.pem"), "CERTIFICATE", root.der,
	    root.len);
	tx_write_pem(fx_path("pss-inter.pem"), "CERTIFICATE", inter.der,
	    inter.len);
	tx_write_pem(fx_path("pss-leaf.pem"), "CERTIFICATE", der, len);
	write_der("pss-root.der", root.der, root.len);
	write_der("pss-inter.der", inter.der, inter.len);
	write_der("pss-leaf.der", der, len);
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl verify -x509_strict -purpose sslserver "
	    "-CAfile pss-root.pem -untrusted pss-inter.pem pss-leaf.pem",
	    fx_tmpdir());
	judge_ok("openssl verify (PSS)", cmd);
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && cat pss-leaf.pem pss-inter.pem pss-root.pem > "
	    "pss-chain.pem && certtool --verify-chain --verify-profile=medium "
	    "--infile pss-chain.pem",
	    fx_tmpdir());
	judge_ok("certtool (PSS)", cmd);
	python_cert("pss-inter.der", "pss-root.der");
	python_cert("pss-leaf.der", "pss-inter.der");
	free(der);
	tx_request_free(req);
	tx_ca_free(&inter);
	tx_ca_free(&root);
	tx_profile_free(rp);
	tx_profile_free(ip);
	tx_profile_free(lp);
}

/*
 * A leaf outside the intermediate's name constraints: signet's lint
 * refuses it; the same certificate, signed anyway with the intermediate's
 * key, is refused by OpenSSL and GnuTLS too.
 */
static void
test_judges_name_constraints(void **state)
{
	static const char *const names[] = { "dns:www.example.com",
		"dns:www.evil.test", NULL };
	struct signet_request *req =
	    tx_request(tx_profile_server(), tx_key("P-256"), NULL, names);
	struct signet_cert_params params;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	const uint8_t *lint_der, *p;
	size_t lint_len;
	unsigned char *out = NULL;
	int n;
	X509 *x;
	char cmd[2048], *said;

	(void)state;
	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = g.inter.issuer;
	params.serial = tx_serial();
	assert_int_equal(signet_cert_prepare(&params, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), SIGNET_ERR_LINT);
	assert_non_null(signet_lint_report_find(rep, "e_nc_violation"));
	signet_lint_report_free(rep);
	/* Sign the lint certificate for real, bypassing signet. */
	lint_der = signet_tbs_get0_lint_der(tbs, &lint_len);
	p = lint_der;
	x = d2i_X509(NULL, &p, (long)lint_len);
	assert_non_null(x);
	assert_true(X509_sign(x, g.inter.key, EVP_sha256()) > 0);
	n = i2d_X509(x, &out);
	assert_true(n > 0);
	tx_write_pem(fx_path("outside.pem"), "CERTIFICATE", out, (size_t)n);
	snprintf(cmd, sizeof(cmd),
	    "openssl verify -x509_strict -purpose sslserver -CAfile '%s' "
	    "-untrusted '%s' '%s'",
	    fx_path("root.pem"), fx_path("inter.pem"), fx_path("outside.pem"));
	said = judge_fails(cmd);
	assert_non_null(strstr(said, "permitted subtree violation"));
	free(said);
	fx_sh("cat '%s' '%s' '%s' > '%s'", fx_path("outside.pem"),
	    fx_path("inter.pem"), fx_path("root.pem"), fx_path("bad.pem"));
	snprintf(cmd, sizeof(cmd),
	    "certtool --verify-chain --verify-profile=medium --infile '%s'",
	    fx_path("bad.pem"));
	free(judge_fails(cmd));
	OPENSSL_free(out);
	X509_free(x);
	signet_tbs_free(tbs);
	tx_request_free(req);
}

struct two {
	struct signet_crl_entry e[2];
	size_t i, n;
};

static int
two_next(void *arg, struct signet_crl_entry *e)
{
	struct two *t = arg;

	if (t->i == t->n)
		return 0;
	*e = t->e[t->i++];
	return 1;
}

static struct signet_serial
cert_serial(const char *pem)
{
	char cmd[512], *out, *eq;
	struct signet_serial s;
	int st;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -noout -serial",
	    fx_path(pem));
	out = fx_sh_output(&st, "%s", cmd);
	assert_int_equal(st, 0);
	eq = strchr(out, '=');
	assert_non_null(eq);
	eq[strcspn(eq, "\n")] = '\0';
	assert_int_equal(signet_serial_from_hex(eq + 1, &s), 0);
	free(out);
	return s;
}

static void
test_judges_crl(void **state)
{
	static const char *const names[] = { "dns:revoked.example.com", NULL };
	static const char *const names2[] = { "dns:fine.example.com", NULL };
	struct two t;
	struct signet_crl_params p;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t *der = NULL;
	size_t len;
	char cmd[8192], *said;

	(void)state;
	issue_leaf("revoked", tx_profile_server(), "P-256", NULL, names);
	issue_leaf("fine", tx_profile_server(), "P-256", NULL, names2);
	memset(&t, 0, sizeof(t));
	t.e[0].serial = cert_serial("revoked.pem");
	t.e[0].revoked_at = time(NULL) - 60;
	t.e[0].reason = SIGNET_CRL_REASON_KEY_COMPROMISE;
	t.e[0].invalidity_date = time(NULL) - 3600;
	t.n = 1;
	memset(&p, 0, sizeof(p));
	p.issuer = g.inter.issuer;
	p.next_update_in = 7 * 86400;
	p.crl_number = 3;
	p.freshest_url = "http://crl.example.com/delta.crl";
	p.next_entry = two_next;
	p.next_entry_arg = &t;
	assert_int_equal(signet_crl_prepare(&p, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	signet_lint_report_free(rep);
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len), 0);
	signet_tbs_free(tbs);
	write_der("crl.der", der, len);
	tx_write_pem(fx_path("crl.pem"), "X509 CRL", der, len);
	free(der);

	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl crl -in crl.pem "
	    "-CAfile inter.pem -noout",
	    fx_tmpdir());
	judge_ok("openssl crl", cmd);
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && certtool --verify-crl --load-ca-certificate inter.pem "
	    "--infile crl.pem",
	    fx_tmpdir());
	judge_ok("certtool --verify-crl", cmd);
	snprintf(cmd, sizeof(cmd), "%s crl '%s' '%s'", g.judge,
	    fx_path("crl.der"), fx_path("inter.der"));
	judge_ok("python3-cryptography (CRL)", cmd);
	dumpasn1_clean("crl.der");
	/* The revoked leaf is refused, the other one accepted. */
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl verify -x509_strict -crl_check -CRLfile "
	    "crl.pem -CAfile root.pem -untrusted inter.pem revoked.pem",
	    fx_tmpdir());
	said = judge_fails(cmd);
	assert_non_null(strstr(said, "certificate revoked"));
	free(said);
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl verify -x509_strict -crl_check -CRLfile "
	    "crl.pem -CAfile root.pem -untrusted inter.pem fine.pem",
	    fx_tmpdir());
	judge_ok("openssl verify -crl_check", cmd);

	/* A delta CRL over it. */
	t.i = 0;
	p.delta = 1;
	p.base_crl_number = 3;
	p.crl_number = 4;
	p.freshest_url = NULL;
	assert_int_equal(signet_crl_prepare(&p, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	signet_lint_report_free(rep);
	assert_int_equal(signet_tbs_sign(tbs, g.inter.signer, &der, &len), 0);
	signet_tbs_free(tbs);
	write_der("delta.der", der, len);
	tx_write_pem(fx_path("delta.pem"), "X509 CRL", der, len);
	free(der);
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && openssl crl -in delta.pem -CAfile inter.pem -noout "
	    "&& certtool --verify-crl --load-ca-certificate inter.pem "
	    "--infile delta.pem",
	    fx_tmpdir());
	judge_ok("openssl/certtool (delta CRL)", cmd);
	snprintf(cmd, sizeof(cmd), "%s crl '%s' '%s'", g.judge,
	    fx_path("delta.der"), fx_path("inter.der"));
	judge_ok("python3-cryptography (delta CRL)", cmd);
}

static void
test_judges_csr(void **state)
{
	X509_NAME *name = X509_NAME_new();
	uint8_t *der = NULL;
	size_t len;
	char cmd[8192];

	(void)state;
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Signet Issuing CA 2", -1, -1, 0));
	assert_int_equal(signet_csr_build(name, g.inter.signer, 0, &der, &len),
	    0);
	write_der("ca.csr.der", der, len);
	tx_write_pem(fx_path("ca.csr"), "CERTIFICATE REQUEST", der, len);
	snprintf(cmd, sizeof(cmd), "openssl req -in '%s' -verify -noout",
	    fx_path("ca.csr"));
	judge_ok("openssl req -verify", cmd);
	snprintf(cmd, sizeof(cmd), "%s csr '%s'", g.judge,
	    fx_path("ca.csr.der"));
	judge_ok("python3-cryptography (CSR)", cmd);
	dumpasn1_clean("ca.csr.der");
	free(der);
	X509_NAME_free(name);
}

/* The judges can say no: a flipped signature bit is caught by each. */
static void
test_judges_can_fail(void **state)
{
	uint8_t *der = malloc(g.inter.len);
	char cmd[8192];

	(void)state;
	assert_non_null(der);
	memcpy(der, g.inter.der, g.inter.len);
	der[g.inter.len - 3] ^= 0x01;
	write_der("broken.der", der, g.inter.len);
	tx_write_pem(fx_path("broken.pem"), "CERTIFICATE", der, g.inter.len);
	snprintf(cmd, sizeof(cmd), "%s cert '%s' '%s'", g.judge,
	    fx_path("broken.der"), fx_path("root.der"));
	free(judge_fails(cmd));
	snprintf(cmd, sizeof(cmd),
	    "openssl verify -x509_strict -CAfile '%s' '%s'",
	    fx_path("root.pem"), fx_path("broken.pem"));
	free(judge_fails(cmd));
	free(der);
}

/* ---- issuers that may not issue ------------------------------------------ */

static X509 *
load_pem_cert(const char *name)
{
	X509 *x = NULL;
	FILE *f = fopen(fx_path(name), "r");

	if (f == NULL || (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		fail_msg("cannot read %s", name);
	fclose(f);
	return x;
}

/*
 * Lint file (DER) with issuer (PEM) in the context: the finding for id
 * must be there.
 */
static void
lint_finds(const char *file, const char *issuer, int crl, const char *id)
{
	static const char *const issuer_lints[] = { "e_issuer_ca",
		"e_issuer_keycertsign", "e_issuer_pathlen", "e_issuer_eku",
		"e_crl_issuer_crlsign", "e_nc_violation" };
	size_t i;
	struct signet_lint_ctx *ctx = NULL;
	struct signet_lint_report *rep = NULL;
	X509 *x = load_pem_cert(issuer);
	uint8_t *der;
	size_t len;
	char *text;
	int r;

	der = fx_read(fx_path(file), &len);
	assert_non_null(der);
	assert_int_equal(signet_lint_ctx_new(&ctx), 0);
	assert_int_equal(signet_lint_ctx_set_issuer(ctx, x), 0);
	r = crl ? signet_lint_crl(ctx, der, len, &rep)
		: signet_lint_cert(ctx, der, len, &rep);
	text = signet_lint_report_text(rep);
	if (id != NULL &&
	    (signet_lint_report_find(rep, id) == NULL || r != SIGNET_ERR_LINT))
		fail_msg("%s under %s: want %s, got:\n%s", file, issuer, id,
		    text);
	/* The control: no issuer finding (other choices of the CLI aside). */
	for (i = 0;
	     id == NULL && i < sizeof(issuer_lints) / sizeof(issuer_lints[0]);
	     i++)
		if (signet_lint_report_find(rep, issuer_lints[i]) != NULL)
			fail_msg("%s under %s:\n%s", file, issuer, text);
	free(text);
	signet_lint_report_free(rep);
	signet_lint_ctx_free(ctx);
	X509_free(x);
	free(der);
}

/*
 * What the issuer lints refuse, openssl verify refuses too: chains made
 * by tests/unit/make-issuer-chains.sh with the openssl CLI, where a CA
 * issued beyond its pathLenConstraint, keyUsage or extKeyUsage, or signed
 * a CRL without cRLSign; and a control chain both accept.
 */
static void
test_judges_issuer_constraints(void **state)
{
	char cmd[4096], dir[1024], *out;

	(void)state;
	/* fx_path's buffers are reused: keep a copy. */
	snprintf(dir, sizeof(dir), "%s", fx_path("issuers"));
	if (fx_sh("mkdir -p '%s' && sh '%s/tests/unit/make-issuer-chains.sh' "
		  "'%s' >/dev/null 2>&1",
		dir, fx_source_dir(), dir) != 0)
		fail_msg("make-issuer-chains.sh failed");

	/* Each case: how openssl verify is run, what it says, what we say. */
	static const struct {
		const char *verify;  /* arguments, in dir */
		const char *refusal; /* NULL: it verifies */
		const char *linted, *issuer;
		int crl;
		const char *lint; /* NULL: no issuer finding */
	} t[] = {
		{ "-CAfile root0.pem -untrusted sub0.pem leaf0.pem",
		    "path length constraint exceeded", "sub0.der", "root0.pem",
		    0, "e_issuer_pathlen" },
		{ "-CAfile root.pem -untrusted nosign.pem leaf1.pem",
		    "key usage does not include certificate signing",
		    "leaf1.der", "nosign.pem", 0, "e_issuer_keycertsign" },
		{ "-purpose sslserver -CAfile root.pem -untrusted client.pem "
		  "leaf2.pem",
		    "unsuitable certificate purpose", "leaf2.der", "client.pem",
		    0, "e_issuer_eku" },
		{ "-crl_check -CRLfile nocrl.crl.pem -CAfile nocrl-chain.pem "
		  "leaf3.pem",
		    "key usage does not include CRL signing", "nocrl.crl",
		    "nocrl.pem", 1, "e_crl_issuer_crlsign" },
		/* directoryName: signet writes none, but lints them. */
		{ "-CAfile root.pem -untrusted dirca.pem leaf5.pem",
		    "permitted subtree violation", "leaf5.der", "dirca.pem", 0,
		    "e_nc_violation" },
		{ "-CAfile root.pem -untrusted dirca.pem leaf6.pem", NULL,
		    "leaf6.der", "dirca.pem", 0, NULL },
		/* The control: a CA that may do all of it. */
		{ "-purpose sslserver -crl_check -CRLfile goodca.crl.pem "
		  "-CAfile good-chain.pem leaf4.pem",
		    NULL, "leaf4.der", "goodca.pem", 0, NULL },
		{ "-crl_check -CRLfile goodca.crl.pem -CAfile good-chain.pem "
		  "leaf4.pem",
		    NULL, "goodca.crl", "goodca.pem", 1, NULL },
	};
	char linted[64], issuer[64];
	size_t i;

	if (fx_sh("cd '%s' && cat root.pem nocrl.pem >nocrl-chain.pem && "
		  "cat root.pem goodca.pem >good-chain.pem",
		dir) != 0)
		fail_msg("cannot write the chains");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cd '%s' && openssl verify %s", dir,
		    t[i].verify);
		if (t[i].refusal != NULL) {
			out = judge_fails(cmd);
			if (strstr(out, t[i].refusal) == NULL)
				fail_msg("%s: '%s' not in:\n%s", cmd,
				    t[i].refusal, out);
			free(out);
		} else
			judge_ok("openssl verify", cmd);
		snprintf(linted, sizeof(linted), "issuers/%s", t[i].linted);
		snprintf(issuer, sizeof(issuer), "issuers/%s", t[i].issuer);
		lint_finds(linted, issuer, t[i].crl, t[i].lint);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judges_ca_certificates),
		cmocka_unit_test(test_judges_server),
		cmocka_unit_test(test_judges_client_and_mtls),
		cmocka_unit_test(test_judges_rsa_pss_chain),
		cmocka_unit_test(test_judges_name_constraints),
		cmocka_unit_test(test_judges_crl),
		cmocka_unit_test(test_judges_csr),
		cmocka_unit_test(test_judges_can_fail),
		cmocka_unit_test(test_judges_issuer_constraints),
	};

	if (!fx_have("openssl") || !fx_have("certtool") ||
	    !fx_have("dumpasn1") || fx_sh("test -x " PY) != 0) {
		fprintf(stderr, "judges missing: run .ci/install-deps.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
