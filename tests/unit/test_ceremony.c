/*
 * Key ceremonies on real SoftHSM tokens ("root", "online", "root-backup"),
 * run from the shipped example files in ceremony/ in a fresh workspace:
 * the hierarchy judged by openssl, GnuTLS certtool and NSS vfychain; name
 * constraints enforced on a leaf the intermediate key signs; transcripts
 * that verify, and that fail on any changed byte or changed file; failed
 * ceremonies that leave a transcript and nothing half-written; key backup
 * by wrapping, and its refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fixture.h"
#include "signet/ceremony.h"
#include "signet/policy.h"
#include "signet/token.h"
#include "signet/x509.h"
#include "util/file.h"
#include "x509_fixture.h"

/* ---- helpers -------------------------------------------------------------- */

struct confirm_want {
	const char *const *want; /* substrings the plan must show */
	int answer;              /* what the "operator" answers */
	int called;
};

static int
confirm_cb(void *arg, const char *plan)
{
	struct confirm_want *cw = arg;
	size_t i;

	cw->called++;
	for (i = 0; cw->want != NULL && cw->want[i] != NULL; i++) {
		if (strstr(plan, cw->want[i]) == NULL)
			fprintf(stderr, "plan lacks '%s':\n%s\n", cw->want[i],
			    plan);
		assert_non_null(strstr(plan, cw->want[i]));
	}
	return cw->answer;
}

/*
 * Run ceremony file (relative to the workspace) with an operator who
 * checks the plan for want[] and confirms; returns the run's result.
 * *transcript (if not NULL) gets a copy of the transcript path.
 */
static int
run_file(const char *file, const char *const *want, int answer,
    char **transcript)
{
	struct signet_ceremony *c = NULL;
	struct signet_ceremony_run_opts opts;
	struct confirm_want cw = { want, answer, 0 };
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s", fx_path(file));
	if ((r = signet_ceremony_load(path, fx_tmpdir(), &c)) != 0)
		return r;
	/* The plan names the file's hash, which the operator types. */
	if (want != NULL)
		assert_non_null(signet_ceremony_sha256(c));
	memset(&opts, 0, sizeof(opts));
	opts.confirm = confirm_cb;
	opts.confirm_arg = &cw;
	r = signet_ceremony_run(c, &opts);
	assert_int_equal(cw.called, r == 0 || cw.called ? 1 : 0);
	if (transcript != NULL)
		*transcript = signet_ceremony_transcript_path(c) != NULL
				  ? strdup(signet_ceremony_transcript_path(c))
				  : NULL;
	signet_ceremony_free(c);
	return r;
}

static EVP_PKEY *
cert_key(const char *name)
{
	size_t len = 0;
	uint8_t *pem = fx_read(fx_path(name), &len);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	EVP_PKEY *k;

	assert_non_null(x);
	k = X509_get_pubkey(x);
	X509_free(x);
	BIO_free(b);
	free(pem);
	return k;
}

static EVP_PKEY *
pub_key(const char *name)
{
	size_t len = 0;
	uint8_t *pem = fx_read(fx_path(name), &len);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);

	assert_non_null(k);
	BIO_free(b);
	free(pem);
	return k;
}

static X509 *
load_cert(const char *name)
{
	size_t len = 0;
	uint8_t *pem = fx_read(fx_path(name), &len);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	assert_non_null(x);
	BIO_free(b);
	free(pem);
	return x;
}

static void
judge(const char *what, int want_ok, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = fx_sh("%s >'%s' 2>&1", cmd, fx_path("judge.out"));
	if ((st == 0) != want_ok) {
		size_t len = 0;
		uint8_t *out = fx_read(fx_path("judge.out"), &len);

		fprintf(stderr, "%s: exit %d\n%s\n%s\n", what, st, cmd,
		    (char *)out);
		free(out);
	}
	assert_int_equal(st == 0, want_ok);
}

static int
judge_output_has(const char *needle)
{
	size_t len = 0;
	uint8_t *out = fx_read(fx_path("judge.out"), &len);
	int has = strstr((char *)out, needle) != NULL;

	free(out);
	return has;
}

static json_t *
transcript_json(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);

	assert_non_null(j);
	return j;
}

/* The detail of the transcript's first step named step, or NULL. */
static const char *
step_detail(json_t *j, const char *step)
{
	json_t *steps = json_object_get(j, "steps"), *s;
	size_t i;

	for (i = 0; i < json_array_size(steps); i++) {
		s = json_array_get(steps, i);
		if (strcmp(json_string_value(json_object_get(s, "step")),
			step) == 0)
			return json_string_value(json_object_get(s, "detail"));
	}
	return NULL;
}

static int
verify_with(const char *transcript, EVP_PKEY *pub, const char *base,
    struct signet_transcript_report **rep)
{
	struct signet_transcript_report *tmp = NULL;
	int r = signet_transcript_verify(transcript, pub, base,
	    rep != NULL ? rep : &tmp);

	signet_transcript_report_free(tmp);
	return r;
}

/* ---- the workspace ------------------------------------------------------- */

static int
setup(void **state)
{
	(void)state;
	fx_softhsm_tokens("root", "online", "root-backup", NULL);
	/* A fresh workspace: the examples and the policy, nothing else. */
	if (fx_sh("cp -r '%s/ceremony' '%s/policies' '%s'", fx_source_dir(),
		fx_source_dir(), fx_tmpdir()) != 0)
		return -1;
	return 0;
}

/* ---- the hierarchy
 * ----------------------------------------------------------- */

static void
test_hierarchy(void **state)
{
	static const char *const w_key[] = { "Ceremony               root-key",
		"'root', serial",
		"Key to generate        'root-key' id 01, "
		"ec-p384",
		"never extractable", "root-key.pub.pem", NULL };
	static const char *const w_cert[] = { "Signing key", "root-ca",
		"O=Example Corp, CN=Example Corp Root CA R1",
		"(self-signed: the subject)", "TBS SHA-256",
		"lints run: 0 errors", "keyCertSign, cRLSign",
		"root-key.pub.pem", "ecdsa-with-SHA384", NULL };
	static const char *const w_ikey[] = { "Online token",
		"'intermediate-key' id 11, ec-p256",
		"'audit-key' id 12, ec-p256", "CN=Example Corp Issuing CA 1",
		NULL };
	static const char *const w_icert[] = { "pathLen 0",
		"permitted dns       example.com", "0.0.0.0/0, ::/0",
		"http://pki.example.com/root.crl",
		"http://pki.example.com/root.crt", "intermediate.csr",
		"issuer               O=Example Corp, CN=Example Corp Root CA "
		"R1",
		NULL };
	static const char *const w_crl[] = { "CRL number           1",
		"no previous CRL given", "revoked              0", "nextUpdate",
		NULL };
	char *t = NULL;

	(void)state;
	assert_int_equal(run_file("ceremony/01-root-key.yaml", w_key, 0, &t),
	    0);
	assert_non_null(strstr(t, "01-root-key.transcript.json"));
	free(t);
	assert_int_equal(run_file("ceremony/02-root-cert.yaml", w_cert, 0,
			     NULL),
	    0);
	assert_int_equal(run_file("ceremony/03-intermediate-key.yaml", w_ikey,
			     0, NULL),
	    0);
	assert_int_equal(run_file("ceremony/04-intermediate-cert.yaml", w_icert,
			     0, NULL),
	    0);
	assert_int_equal(run_file("ceremony/05-root-crl.yaml", w_crl, 0, NULL),
	    0);
	assert_true(file_exists(fx_path("root.pem")));
	assert_true(file_exists(fx_path("intermediate.pem")));
	assert_true(file_exists(fx_path("audit.pub.pem")));
	assert_true(file_exists(fx_path("root-crl-1.crl")));
	assert_true(file_exists(fx_path("05-root-crl.transcript.json.sig")));
}

/* DER length octets. */
static size_t
der_len(uint8_t *out, size_t n)
{
	if (n < 0x80) {
		out[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		out[0] = 0x81;
		out[1] = (uint8_t)n;
		return 2;
	}
	out[0] = 0x82;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	return 3;
}

/* Length of the DER element at p (header and content). */
static size_t
der_elem(const uint8_t *p)
{
	size_t n, i, k;

	if (p[1] < 0x80)
		return 2 + p[1];
	k = p[1] & 0x7f;
	for (n = 0, i = 0; i < k; i++)
		n = (n << 8) | p[2 + i];
	return 2 + k + n;
}

struct online {
	struct signet_token *tok;
	struct signet_key *key;
	struct signet_signer *signer;
	struct signet_issuer *issuer;
	X509 *inter;
};

static void
online_open(struct online *o)
{
	struct signet_token_opts opts;
	struct signet_p11_uri *uri = NULL;

	memset(o, 0, sizeof(*o));
	memset(&opts, 0, sizeof(opts));
	opts.pin_source = fx_pin_source("online");
	assert_int_equal(signet_uri_parse("pkcs11:token=online", 0, &uri), 0);
	assert_int_equal(signet_token_open(uri, &opts, &o->tok), 0);
	signet_uri_free(uri);
	assert_int_equal(signet_uri_parse("pkcs11:object=intermediate-key", 0,
			     &uri),
	    0);
	assert_int_equal(signet_key_find(o->tok, uri, &o->key), 0);
	signet_uri_free(uri);
	assert_int_equal(signet_key_signer(o->key, &o->signer), 0);
	o->inter = load_cert("intermediate.pem");
	assert_int_equal(signet_issuer_new(o->inter, &o->issuer), 0);
}

static void
online_close(struct online *o)
{
	signet_issuer_free(o->issuer);
	X509_free(o->inter);
	signet_signer_free(o->signer);
	signet_key_free(o->key);
	signet_token_free(o->tok);
}

/* A leaf inside the name constraints, through the shipped policy. */
static void
issue_good_leaf(struct online *o)
{
	struct signet_policy *pol = NULL;
	const struct signet_profile *prof = NULL;
	struct signet_request *req = NULL;
	struct signet_cert_params params;
	struct signet_lint_report *rep = NULL;
	struct signet_tbs *tbs = NULL;
	struct signet_san san = { SIGNET_SAN_DNS, (char *)"www.example.com",
		{ 0 }, 0 };
	X509_NAME *subject = X509_NAME_new();
	EVP_PKEY *leaf = tx_key_new("P-256");
	uint8_t *der = NULL;
	size_t len = 0;

	assert_int_equal(signet_policy_load(fx_path("policies/default.yaml"),
			     &pol),
	    0);
	assert_int_equal(signet_policy_find(pol, "tls-server", &prof), 0);
	assert_true(
	    X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
		(const unsigned char *)"www.example.com", -1, -1, 0));
	assert_int_equal(signet_request_from_key(prof, leaf, subject, &san, 1,
			     NULL, &req),
	    0);
	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = o->issuer;
	assert_int_equal(signet_serial_new(signet_random_openssl, NULL, 0,
			     &params.serial),
	    0);
	assert_int_equal(signet_cert_prepare(&params, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), 0);
	assert_int_equal(signet_tbs_sign(tbs, o->signer, &der, &len), 0);
	tx_write_pem(fx_path("leaf.pem"), "CERTIFICATE", der, len);
	free(der);
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	signet_request_free(req);
	X509_NAME_free(subject);
	EVP_PKEY_free(leaf);
	signet_policy_free(pol);
}

/*
 * A leaf outside the name constraints (www.example.org). signet's lint
 * refuses it, so the test signs the linted TBS itself with the
 * intermediate's token key and assembles the certificate, for openssl to
 * judge.
 */
static void
issue_bad_leaf(struct online *o)
{
	static const char *const names[] = { "dns:www.example.org", NULL };
	struct signet_request *req = tx_request(tx_profile_server(),
	    tx_key("P-256"), "www.example.org", names);
	struct signet_cert_params params;
	struct signet_lint_report *rep = NULL;
	struct signet_tbs *tbs = NULL;
	enum signet_sig_alg alg = SIGNET_SIG_NONE;
	const uint8_t *lint, *p;
	uint8_t *sig = NULL, cert[4096], body[4096];
	size_t lint_len = 0, tbs_len, alg_len, siglen = 0, n = 0, m;

	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = o->issuer;
	params.serial = tx_serial();
	assert_int_equal(signet_cert_prepare(&params, &tbs), 0);
	assert_int_equal(signet_tbs_lint(tbs, NULL, &rep), SIGNET_ERR_LINT);
	assert_non_null(signet_lint_report_find(rep, "e_nc_violation"));
	lint = signet_tbs_get0_lint_der(tbs, &lint_len);
	p = lint + (lint[1] < 0x80 ? 2 : 2 + (lint[1] & 0x7f));
	tbs_len = der_elem(p);
	alg_len = der_elem(p + tbs_len);
	assert_int_equal(signet_sig_alg_for_key(X509_get0_pubkey(o->inter), 0,
			     &alg),
	    0);
	assert_int_equal(signet_signer_sign(o->signer, alg, p, tbs_len, &sig,
			     &siglen),
	    0);
	memcpy(body, p, tbs_len + alg_len);
	m = tbs_len + alg_len;
	body[m++] = 0x03;
	m += der_len(body + m, siglen + 1);
	body[m++] = 0x00;
	memcpy(body + m, sig, siglen);
	m += siglen;
	cert[n++] = 0x30;
	n += der_len(cert + n, m);
	memcpy(cert + n, body, m);
	n += m;
	tx_write_pem(fx_path("bad-leaf.pem"), "CERTIFICATE", cert, n);
	free(sig);
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	tx_request_free(req);
}

static void
test_judges(void **state)
{
	struct online o;

	(void)state;
	if (!fx_have("openssl") || !fx_have("certtool") ||
	    !fx_have("certutil") || !fx_have("vfychain")) {
		fprintf(stderr, "judges missing: run .ci/install-deps.sh\n");
		fail();
	}
	/* The intermediate under the root. */
	judge("openssl verify", 1,
	    "openssl verify -x509_strict -CAfile '%s' '%s'",
	    fx_path("root.pem"), fx_path("intermediate.pem"));
	/* Its name constraints, critical, as the profile says. */
	judge("openssl x509", 1, "openssl x509 -noout -text -in '%s'",
	    fx_path("intermediate.pem"));
	assert_true(judge_output_has("X509v3 Name Constraints: critical"));
	assert_true(judge_output_has("DNS:example.com"));
	assert_true(judge_output_has("IP:0.0.0.0/0.0.0.0"));
	assert_true(judge_output_has("pathlen:0"));
	assert_true(judge_output_has("URI:http://pki.example.com/root.crl"));
	assert_true(judge_output_has("CA Issuers - "
				     "URI:http://pki.example.com/root.crt"));

	online_open(&o);
	issue_good_leaf(&o);
	issue_bad_leaf(&o);
	online_close(&o);

	judge("openssl verify leaf", 1,
	    "openssl verify -x509_strict -purpose sslserver -CAfile '%s' "
	    "-untrusted '%s' '%s'",
	    fx_path("root.pem"), fx_path("intermediate.pem"),
	    fx_path("leaf.pem"));
	judge("openssl verify, CRL", 1,
	    "openssl verify -x509_strict -crl_check -CRLfile '%s' -CAfile "
	    "'%s' '%s'",
	    fx_path("root-crl-1.crl.pem"), fx_path("root.pem"),
	    fx_path("intermediate.pem"));
	/* The name constraints are enforced on a leaf outside them. */
	judge("openssl verify bad leaf", 0,
	    "openssl verify -x509_strict -purpose sslserver -CAfile '%s' "
	    "-untrusted '%s' '%s'",
	    fx_path("root.pem"), fx_path("intermediate.pem"),
	    fx_path("bad-leaf.pem"));
	assert_true(judge_output_has("permitted subtree violation"));
	/* Otherwise sound: its signature is the intermediate key's. */
	{
		X509 *bad = load_cert("bad-leaf.pem");
		X509 *inter = load_cert("intermediate.pem");

		assert_int_equal(X509_verify(bad, X509_get0_pubkey(inter)), 1);
		X509_free(bad);
		X509_free(inter);
	}

	fx_sh("cat '%s' '%s' '%s' > '%s'", fx_path("leaf.pem"),
	    fx_path("intermediate.pem"), fx_path("root.pem"),
	    fx_path("chain.pem"));
	judge("certtool --verify-chain", 1,
	    "certtool --verify-chain --verify-profile=medium "
	    "--verify-hostname=www.example.com --infile '%s'",
	    fx_path("chain.pem"));
	judge("certtool --verify-crl", 1,
	    "certtool --verify-crl --load-ca-certificate '%s' --infile '%s'",
	    fx_path("root.pem"), fx_path("root-crl-1.crl.pem"));

	judge("certutil", 1,
	    "mkdir -p '%s' && certutil -N -d 'sql:%s' --empty-password && "
	    "certutil -A -d 'sql:%s' -n root -t C,, -a -i '%s'",
	    fx_path("nss"), fx_path("nss"), fx_path("nss"),
	    fx_path("root.pem"));
	judge("vfychain (SSL server)", 1,
	    "vfychain -d 'sql:%s' -u 1 -a '%s' '%s'", fx_path("nss"),
	    fx_path("leaf.pem"), fx_path("intermediate.pem"));
	assert_true(judge_output_has("Chain is good!"));
	judge("vfychain (SSL CA)", 1, "vfychain -d 'sql:%s' -u 3 -a '%s'",
	    fx_path("nss"), fx_path("intermediate.pem"));
	judge("vfychain bad leaf", 0, "vfychain -d 'sql:%s' -u 1 -a '%s' '%s'",
	    fx_path("nss"), fx_path("bad-leaf.pem"),
	    fx_path("intermediate.pem"));

	/* Transcripts check with openssl alone (docs/ceremony.md). */
	judge("openssl dgst, root transcript", 1,
	    "openssl x509 -in '%s' -pubkey -noout > '%s' && openssl dgst "
	    "-sha384 -verify '%s' -signature '%s.sig' '%s'",
	    fx_path("root.pem"), fx_path("root.pub"), fx_path("root.pub"),
	    fx_path("04-intermediate-cert.transcript.json"),
	    fx_path("04-intermediate-cert.transcript.json"));
	judge("openssl dgst, intermediate-key transcript", 1,
	    "openssl dgst -sha256 -verify '%s' -signature '%s.sig' '%s'",
	    fx_path("intermediate.pub.pem"),
	    fx_path("03-intermediate-key.transcript.json"),
	    fx_path("03-intermediate-key.transcript.json"));
	/* And standard tools check the outputs it lists. */
	if (fx_have("jq"))
		judge("sha256sum -c", 1,
		    "cd '%s' && jq -r '.outputs[] | \"\\(.sha256)  "
		    "\\(.path)\"' 04-intermediate-cert.transcript.json | "
		    "sha256sum -c",
		    fx_tmpdir());
}

/* ---- transcripts
 * ------------------------------------------------------------- */

static const struct {
	const char *transcript;
	const char *key; /* certificate or public key that signs it */
	int is_cert;
} transcripts[] = {
	{ "01-root-key.transcript.json", "root-key.pub.pem", 0 },
	{ "02-root-cert.transcript.json", "root.pem", 1 },
	{ "03-intermediate-key.transcript.json", "intermediate.pub.pem", 0 },
	{ "04-intermediate-cert.transcript.json", "root.pem", 1 },
	{ "05-root-crl.transcript.json", "root.pem", 1 },
};

#define N_TRANSCRIPTS (sizeof(transcripts) / sizeof(transcripts[0]))

static EVP_PKEY *
transcript_key(size_t i)
{
	return transcripts[i].is_cert ? cert_key(transcripts[i].key)
				      : pub_key(transcripts[i].key);
}

static void
test_transcripts_verify(void **state)
{
	EVP_PKEY *wrong = pub_key("intermediate.pub.pem");
	size_t i;

	(void)state;
	for (i = 0; i < N_TRANSCRIPTS; i++) {
		struct signet_transcript_report *rep = NULL;
		EVP_PKEY *pub = transcript_key(i);
		json_t *j;

		assert_int_equal(verify_with(fx_path(transcripts[i].transcript),
				     pub, NULL, &rep),
		    0);
		assert_string_equal(signet_transcript_report_outcome(rep),
		    "completed");
		assert_int_equal(signet_transcript_report_changed(rep), 0);
		assert_int_equal(signet_transcript_report_missing(rep), 0);
		assert_non_null(strstr(signet_transcript_report_text(rep),
		    "ok: signature"));
		signet_transcript_report_free(rep);
		/* What the transcript records. */
		j = transcript_json(fx_path(transcripts[i].transcript));
		assert_string_equal(json_string_value(
					json_object_get(j, "format")),
		    "signet-ceremony-transcript/1");
		assert_true(json_is_false(
		    json_object_get(json_object_get(j, "confirmation"),
			"assume_yes")));
		assert_true(json_is_true(
		    json_object_get(json_object_get(j, "confirmation"),
			"confirmed")));
		assert_int_equal(json_array_size(
				     json_object_get(j, "operators")),
		    2);
		assert_true(json_array_size(json_object_get(j, "steps")) >= 4);
		assert_non_null(json_string_value(
		    json_object_get(json_object_get(j, "host"), "hostname")));
		assert_true(
		    strlen(json_string_value(
			json_object_get(json_array_get(json_object_get(j,
							   "tokens"),
					    0),
			    "serial"))) > 0);
		json_decref(j);
		/* Checked with the wrong key: refused, naming the signer. */
		if (EVP_PKEY_eq(pub, wrong) != 1) {
			assert_int_equal(verify_with(fx_path(transcripts[i]
								 .transcript),
					     wrong, NULL, NULL),
			    SIGNET_ERR_VERIFY);
			assert_non_null(strstr(signet_error_message(),
			    "not by the key given"));
		}
		EVP_PKEY_free(pub);
	}
	/* Certificates and CRLs carry their fingerprints and lint results. */
	{
		json_t *j = transcript_json(
		    fx_path("04-intermediate-cert.transcript.json"));
		json_t *facts =
		    json_object_get(json_array_get(json_object_get(j,
						       "outputs"),
					0),
			"facts");
		json_t *lint = json_array_get(json_object_get(j, "lint"), 0);

		assert_int_equal(strlen(json_string_value(json_object_get(facts,
				     "sha256_fingerprint"))),
		    64);
		assert_non_null(
		    json_string_value(json_object_get(facts, "serial")));
		assert_true(json_integer_value(
				json_object_get(lint, "lints_run")) > 20);
		assert_int_equal(json_integer_value(
				     json_object_get(lint, "errors")),
		    0);
		json_decref(j);
	}
	EVP_PKEY_free(wrong);
}

/* Flip byte i of a copy of the transcript (or of its signature). */
static int
verify_flipped(const uint8_t *text, size_t len, const uint8_t *sig,
    size_t siglen, int in_sig, size_t i, EVP_PKEY *pub)
{
	uint8_t *t = malloc(in_sig ? siglen : len);

	assert_non_null(t);
	/* Only the file that changes is written; the other is in place. */
	if (in_sig) {
		memcpy(t, sig, siglen);
		t[i] ^= 0x01;
		fx_write(fx_path("tamper/t.json.sig"), t, siglen);
	} else {
		memcpy(t, text, len);
		t[i] ^= 0x01;
		fx_write(fx_path("tamper/t.json"), t, len);
	}
	free(t);
	return verify_with(fx_path("tamper/t.json"), pub, fx_path("tamper"),
	    NULL);
}

/*
 * Every byte of one transcript (the intermediate key's) and of every
 * signature, and every 31st byte of the others: each change is detected.
 */
static void
test_tamper_transcript(void **state)
{
	size_t i, k, checked = 0;

	(void)state;
	fx_sh("mkdir -p '%s'", fx_path("tamper"));
	for (k = 0; k < N_TRANSCRIPTS; k++) {
		size_t len = 0, siglen = 0, step = k == 2 ? 1 : 31;
		char sigpath[4096];
		uint8_t *text =
		    fx_read(fx_path(transcripts[k].transcript), &len);
		uint8_t *sig;
		EVP_PKEY *pub = transcript_key(k);

		snprintf(sigpath, sizeof(sigpath), "%s.sig",
		    fx_path(transcripts[k].transcript));
		sig = fx_read(sigpath, &siglen);
		/* The untouched copy verifies: the flips below are the cause. */
		fx_write(fx_path("tamper/t.json"), text, len);
		fx_write(fx_path("tamper/t.json.sig"), sig, siglen);
		assert_int_equal(verify_with(fx_path("tamper/t.json"), pub,
				     fx_path("tamper"), NULL),
		    0);
		for (i = 0; i < len; i += step) {
			int r =
			    verify_flipped(text, len, sig, siglen, 0, i, pub);

			if (r != SIGNET_ERR_VERIFY)
				fprintf(stderr, "%s: byte %zu flipped: %d\n",
				    transcripts[k].transcript, i, r);
			assert_int_equal(r, SIGNET_ERR_VERIFY);
			checked++;
		}
		fx_write(fx_path("tamper/t.json"), text, len);
		for (i = 0; i < siglen; i++) {
			assert_int_equal(verify_flipped(text, len, sig, siglen,
					     1, i, pub),
			    SIGNET_ERR_VERIFY);
			checked++;
		}
		fx_write(fx_path("tamper/t.json.sig"), sig, siglen);
		/* Truncated, extended, and without its signature. */
		fx_write(fx_path("tamper/t.json"), text, len - 1);
		assert_int_equal(verify_with(fx_path("tamper/t.json"), pub,
				     fx_path("tamper"), NULL),
		    SIGNET_ERR_VERIFY);
		fx_write(fx_path("tamper/t.json"), text, len);
		fx_sh("echo >> '%s'", fx_path("tamper/t.json"));
		assert_int_equal(verify_with(fx_path("tamper/t.json"), pub,
				     fx_path("tamper"), NULL),
		    SIGNET_ERR_VERIFY);
		fx_write(fx_path("tamper/t.json"), text, len);
		unlink(fx_path("tamper/t.json.sig"));
		assert_int_equal(verify_with(fx_path("tamper/t.json"), pub,
				     fx_path("tamper"), NULL),
		    SIGNET_ERR_VERIFY);
		assert_non_null(strstr(signet_error_message(), ".sig"));
		EVP_PKEY_free(pub);
		free(text);
		free(sig);
	}
	fprintf(stderr, "transcript tampering: %zu changed bytes detected\n",
	    checked);
}

/* A byte changed in any output or input a transcript lists is named. */
static void
test_tamper_files(void **state)
{
	size_t k, i, files = 0;

	(void)state;
	for (k = 0; k < N_TRANSCRIPTS; k++) {
		json_t *j = transcript_json(fx_path(transcripts[k].transcript));
		const char *lists[] = { "outputs", "inputs" };
		EVP_PKEY *pub = transcript_key(k);
		size_t l;

		for (l = 0; l < 2; l++) {
			json_t *a = json_object_get(j, lists[l]);

			for (i = 0; i < json_array_size(a); i++) {
				const char *p = json_string_value(
				    json_object_get(json_array_get(a, i),
					"path"));
				struct signet_transcript_report *rep = NULL;
				size_t len = 0;
				uint8_t *data = fx_read(fx_path(p), &len);

				data[len / 2] ^= 0x20;
				fx_write(fx_path(p), data, len);
				assert_int_equal(verify_with(fx_path(
								 transcripts[k]
								     .transcript),
						     pub, NULL, &rep),
				    SIGNET_ERR_VERIFY);
				assert_non_null(
				    strstr(signet_error_message(), p));
				assert_non_null(strstr(signet_error_message(),
				    "has changed since the ceremony"));
				assert_int_equal(signet_transcript_report_changed(
						     rep),
				    1);
				signet_transcript_report_free(rep);
				/* Missing: reported, not a failure. */
				unlink(fx_path(p));
				rep = NULL;
				assert_int_equal(verify_with(fx_path(
								 transcripts[k]
								     .transcript),
						     pub, NULL, &rep),
				    0);
				assert_int_equal(signet_transcript_report_missing(
						     rep),
				    1);
				assert_non_null(
				    strstr(signet_transcript_report_text(rep),
					"missing"));
				signet_transcript_report_free(rep);
				data[len / 2] ^= 0x20;
				fx_write(fx_path(p), data, len);
				free(data);
				assert_int_equal(verify_with(fx_path(
								 transcripts[k]
								     .transcript),
						     pub, NULL, NULL),
				    0);
				files++;
			}
		}
		EVP_PKEY_free(pub);
		json_decref(j);
	}
	assert_true(files >= 12);
}

/* ---- failures
 * ------------------------------------------------------------------ */

static void
write_file(const char *name, const char *text)
{
	fx_write(fx_path(name), text, strlen(text));
}

#define ROOT_TOKEN                          \
	"token:\n"                          \
	"  uri: \"pkcs11:token=root\"\n"    \
	"  pin-source: file:hsm/root.pin\n" \
	"key:\n"                            \
	"  label: root-key\n"               \
	"  id: \"01\"\n"

static void
test_failed_lint(void **state)
{
	char *t = NULL;
	json_t *j, *f;

	(void)state;
	/* BR 4.9.7: at most twelve months; the lint refuses 400 days. */
	write_file("f-crl.yaml",
	    "ceremony: root-crl\noperators: [Tess]\n" ROOT_TOKEN
	    "crl:\n  number: 2\n  next-update: 400d\n"
	    "inputs:\n  issuer-certificate: root.pem\n"
	    "outputs:\n  crl: f.crl\n  crl-pem: f.crl.pem\n");
	assert_int_equal(run_file("f-crl.yaml", NULL, 0, &t), SIGNET_ERR_LINT);
	assert_non_null(
	    strstr(signet_error_message(), "e_crl_next_update_max"));
	assert_non_null(
	    strstr(signet_error_message(), "records where and why"));
	/* Nothing written, the failure recorded and signed by the root. */
	assert_false(file_exists(fx_path("f.crl")));
	assert_false(file_exists(fx_path("f.crl.pem")));
	assert_false(file_exists(fx_path("f-crl.transcript.json")));
	assert_non_null(t);
	assert_non_null(strstr(t, "f-crl.transcript.failed-"));
	j = transcript_json(t);
	assert_string_equal(json_string_value(json_object_get(j, "outcome")),
	    "failed");
	f = json_object_get(j, "failure");
	assert_string_equal(json_string_value(json_object_get(f, "step")),
	    "prepare");
	assert_non_null(strstr(json_string_value(json_object_get(f, "error")),
	    "e_crl_next_update_max"));
	assert_int_equal(json_integer_value(json_object_get(f, "exit_status")),
	    11);
	assert_true(json_is_true(json_object_get(f, "before_confirmation")));
	assert_false(json_is_true(
	    json_object_get(json_array_get(json_object_get(j, "outputs"), 0),
		"written")));
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(json_object_get(j,
								"lint"),
						 0),
				 "errors")),
	    1);
	json_decref(j);
	{
		struct signet_transcript_report *rep = NULL;
		EVP_PKEY *pub = cert_key("root.pem");

		assert_int_equal(verify_with(t, pub, NULL, &rep), 0);
		assert_string_equal(signet_transcript_report_outcome(rep),
		    "failed");
		assert_non_null(strstr(signet_transcript_report_text(rep),
		    "FAILED at step 'prepare'"));
		signet_transcript_report_free(rep);
		EVP_PKEY_free(pub);
	}
	free(t);
}

static void
test_failed_declined(void **state)
{
	char *t = NULL;
	json_t *j;

	(void)state;
	write_file("f-key.yaml",
	    "ceremony: root-key\noperators: [Tess]\n"
	    "token:\n  uri: \"pkcs11:token=root\"\n"
	    "  pin-source: file:hsm/root.pin\n"
	    "key:\n  type: ec-p256\n  label: declined\n  id: \"d1\"\n"
	    "outputs:\n  public-key: declined.pem\n");
	/* The operator does not type the code: nothing is generated. */
	assert_int_equal(run_file("f-key.yaml", NULL, -1, &t),
	    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "did not confirm"));
	assert_false(file_exists(fx_path("declined.pem")));
	j = transcript_json(t);
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(j, "failure"),
				    "step")),
	    "confirm");
	/* No key yet: unsigned, and verify says so. */
	assert_true(json_is_false(
	    json_object_get(json_object_get(j, "signature"), "signed")));
	assert_int_equal(json_array_size(json_object_get(j, "keys")), 0);
	json_decref(j);
	{
		EVP_PKEY *pub = cert_key("root.pem");

		assert_int_equal(verify_with(t, pub, NULL, NULL),
		    SIGNET_ERR_VERIFY);
		assert_non_null(strstr(signet_error_message(), "not signed"));
		EVP_PKEY_free(pub);
	}
	free(t);
	/* The label is still free: the same file now runs to the end. */
	assert_int_equal(run_file("f-key.yaml", NULL, 0, NULL), 0);
	assert_true(file_exists(fx_path("declined.pem")));
}

static void
test_failed_pin(void **state)
{
	char *t = NULL;
	json_t *j;

	(void)state;
	/* A PIN file with the wrong PIN (mode 0600, as required). */
	fx_sh("umask 077 && echo 000000 > '%s'", fx_path("hsm/wrong.pin"));
	write_file("f-pin.yaml",
	    "ceremony: root-cert\noperators: [Tess]\n"
	    "token:\n  uri: \"pkcs11:token=root\"\n"
	    "  pin-source: file:hsm/wrong.pin\n"
	    "key:\n  label: root-key\n"
	    "policy: policies/default.yaml\nprofile: root-ca\n"
	    "subject:\n  CN: X\ninputs:\n  public-key: root-key.pub.pem\n"
	    "outputs:\n  certificate: f-pin.pem\n");
	assert_int_equal(run_file("f-pin.yaml", NULL, 0, &t),
	    SIGNET_ERR_PIN_INCORRECT);
	assert_non_null(strstr(signet_error_message(), "CKR_PIN_INCORRECT"));
	assert_null(strstr(signet_error_message(), "000000"));
	assert_false(file_exists(fx_path("f-pin.pem")));
	j = transcript_json(t);
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(j, "failure"),
				    "step")),
	    "prepare");
	assert_true(json_is_false(
	    json_object_get(json_object_get(j, "signature"), "signed")));
	json_decref(j);
	free(t);
}

/* ---- second root, cross-certificate, backup
 * ------------------------------------ */

static void
test_cross_and_backup(void **state)
{
	static const char *const w_backup[] = { "SECURITY OFFICER",
		"Backup token           'root-backup'",
		"extractable only under a trusted wrapping key", NULL };
	static const char *const w_restored[] = { "Signing key",
		"WARNING: the key was not always sensitive; it may exist "
		"outside the token (CKA_ALWAYS_SENSITIVE is false); used only "
		"because token.accept-restored-key is true",
		NULL };
	struct signet_token_opts opts;
	struct signet_p11_uri *uri = NULL;
	struct signet_token *tok = NULL;
	struct signet_key *copy = NULL;
	struct signet_signer *signer = NULL;
	EVP_PKEY *r2 = NULL, *got = NULL;
	uint8_t msg[] = "backup", *sig = NULL;
	size_t siglen = 0;
	char *t = NULL;
	json_t *j;

	(void)state;
	assert_int_equal(run_file("ceremony/06-root2-key.yaml", NULL, 0, NULL),
	    0);
	assert_int_equal(run_file("ceremony/07-root2-cert.yaml", NULL, 0, NULL),
	    0);
	assert_int_equal(run_file("ceremony/08-cross-cert.yaml", NULL, 0, NULL),
	    0);
	judge("openssl verify cross", 1,
	    "openssl verify -x509_strict -CAfile '%s' '%s'",
	    fx_path("root.pem"), fx_path("root2-cross.pem"));
	judge("openssl x509 cross", 1,
	    "openssl x509 -noout -subject -issuer -ext basicConstraints -in "
	    "'%s'",
	    fx_path("root2-cross.pem"));
	assert_true(judge_output_has("CN = Example Corp Root CA R2"));
	assert_true(judge_output_has("CN = Example Corp Root CA R1"));
	assert_true(judge_output_has("pathlen:1"));

	/* A wrong SO PIN: refused, and the root token still signs after. */
	fx_sh("umask 077 && echo 12345678 > '%s'", fx_path("hsm/wrong.so-pin"));
	fx_sh("sed 's|hsm/root.so-pin|hsm/wrong.so-pin|' '%s' > '%s'",
	    fx_path("ceremony/09-key-backup.yaml"), fx_path("f-so.yaml"));
	assert_int_equal(run_file("f-so.yaml", NULL, 0, &t),
	    SIGNET_ERR_PIN_INCORRECT);
	assert_non_null(strstr(signet_error_message(), "security officer"));
	j = transcript_json(t);
	assert_true(json_is_true(
	    json_object_get(json_object_get(j, "signature"), "signed")));
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(j, "failure"),
				    "step")),
	    "execute");
	json_decref(j);
	free(t);

	/* R1 is non-extractable: the clear refusal, before the plan. */
	fx_sh("sed -e 's/root2-key.pub.pem/root-key.pub.pem/' -e "
	      "'s/root2-key/root-key/' -e 's/\"02\"/\"01\"/' '%s' > '%s'",
	    fx_path("ceremony/09-key-backup.yaml"), fx_path("f-r1.yaml"));
	assert_int_equal(run_file("f-r1.yaml", NULL, 0, NULL),
	    SIGNET_ERR_CONFLICT);
	assert_non_null(strstr(signet_error_message(), "not extractable"));
	assert_non_null(strstr(signet_error_message(), "by design"));
	assert_non_null(strstr(signet_error_message(), "vendor"));

	/* R2 was made for backup: it goes to root-backup. */
	assert_int_equal(run_file("ceremony/09-key-backup.yaml", w_backup, 0,
			     &t),
	    0);
	j = transcript_json(t);
	assert_int_equal(strlen(json_string_value(
			     json_object_get(json_object_get(j, "details"),
				 "transport_key_spki_sha256"))),
	    64);
	/* The copy was unwrapped: the transcript warns what it is. */
	assert_non_null(step_detail(j, "key-restored"));
	assert_non_null(strstr(step_detail(j, "key-restored"),
	    "WARNING: backup copy key 'root2-key' was not always sensitive"));
	assert_non_null(strstr(step_detail(j, "key-restored"),
	    "needs token.accept-restored-key: true"));
	json_decref(j);
	r2 = cert_key("root2.pem");
	assert_int_equal(verify_with(t, r2, NULL, NULL), 0);
	free(t);

	/* The copy signs for R2's public key, on the backup token. */
	memset(&opts, 0, sizeof(opts));
	opts.pin_source = fx_pin_source("root-backup");
	opts.allow_trusted_wrap = 1;
	assert_int_equal(signet_uri_parse("pkcs11:token=root-backup", 0, &uri),
	    0);
	assert_int_equal(signet_token_open(uri, &opts, &tok), 0);
	signet_uri_free(uri);
	assert_int_equal(signet_uri_parse("pkcs11:object=root2-key;id=%02", 0,
			     &uri),
	    0);
	/* Unwrapped, it is not CKA_ALWAYS_SENSITIVE: only with the opt-in. */
	assert_int_equal(signet_key_find(tok, uri, &copy),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_null(copy);
	assert_non_null(strstr(signet_error_message(),
	    "key 'root2-key' (id 02) on token 'root-backup' was not always "
	    "sensitive; it may exist outside the token (CKA_ALWAYS_SENSITIVE "
	    "is false)"));
	assert_non_null(strstr(signet_error_message(), "accept-restored-key"));
	assert_int_equal(signet_key_find_flags(tok, uri,
			     SIGNET_KEY_ACCEPT_RESTORED, &copy),
	    0);
	signet_uri_free(uri);
	assert_non_null(signet_key_restored(copy));
	assert_non_null(
	    strstr(signet_key_restored(copy), "CKA_ALWAYS_SENSITIVE is false"));
	assert_false(signet_key_get0_info(copy)->always_sensitive);
	assert_true(signet_key_get0_info(copy)->sensitive);
	assert_true(signet_key_get0_info(copy)->wrap_with_trusted);
	assert_int_equal(EVP_PKEY_eq(signet_key_get0_pubkey(copy), r2), 1);
	assert_int_equal(signet_key_signer(copy, &signer), 0);
	assert_int_equal(signet_signer_sign(signer, SIGNET_SIG_ECDSA_SHA384,
			     msg, sizeof(msg), &sig, &siglen),
	    0);
	assert_int_equal(signet_verify(r2, SIGNET_SIG_ECDSA_SHA384, msg,
			     sizeof(msg), sig, siglen),
	    0);
	free(sig);
	signet_signer_free(signer);
	signet_key_free(copy);
	/*
	 * Without allow_trusted_wrap, the copy is refused as unsafe: accepting
	 * a restored key does not accept an extractable one.
	 */
	signet_token_free(tok);
	opts.allow_trusted_wrap = 0;
	assert_int_equal(signet_uri_parse("pkcs11:token=root-backup", 0, &uri),
	    0);
	assert_int_equal(signet_token_open(uri, &opts, &tok), 0);
	signet_uri_free(uri);
	assert_int_equal(signet_uri_parse("pkcs11:object=root2-key", 0, &uri),
	    0);
	assert_int_equal(signet_key_find_flags(tok, uri,
			     SIGNET_KEY_ACCEPT_RESTORED, &copy),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_non_null(strstr(signet_error_message(),
	    "extractable (CKA_EXTRACTABLE true)"));
	signet_uri_free(uri);
	signet_token_free(tok);

	/*
	 * A ceremony that signs with the copy (R2 re-signed from the backup
	 * token) says so: refused before the plan, then accepted with a
	 * warning in the plan and the transcript.
	 */
	fx_sh("sed -e 's/token=root\"/token=root-backup\"/' -e "
	      "'s|hsm/root.pin|hsm/root-backup.pin|' -e "
	      "'s/root2.pem/root2-again.pem/' '%s' > '%s'",
	    fx_path("ceremony/07-root2-cert.yaml"), fx_path("f-copy.yaml"));
	assert_int_equal(run_file("f-copy.yaml", NULL, 0, NULL),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_non_null(strstr(signet_error_message(), "accept-restored-key"));
	assert_false(file_exists(fx_path("root2-again.pem")));
	fx_sh("sed '/root-backup.pin/a\\  accept-restored-key: true' '%s' "
	      "> '%s'",
	    fx_path("f-copy.yaml"), fx_path("f-copy-ok.yaml"));
	assert_int_equal(run_file("f-copy-ok.yaml", w_restored, 0, &t), 0);
	j = transcript_json(t);
	assert_non_null(step_detail(j, "key-restored"));
	assert_non_null(strstr(step_detail(j, "key-restored"),
	    "accepted because token.accept-restored-key is true"));
	json_decref(j);
	free(t);
	got = cert_key("root2-again.pem");
	assert_int_equal(EVP_PKEY_eq(got, r2), 1);
	/* Self-signed by R2's key, which is now the copy's. */
	judge("openssl verify R2 signed by its copy", 1,
	    "openssl verify -x509_strict -CAfile '%s' '%s'",
	    fx_path("root2-again.pem"), fx_path("root2-again.pem"));
	EVP_PKEY_free(got);

	/*
	 * Restoring is the backup the other way round: the copy (a restored
	 * key) goes back to a token, here "online", only with the opt-in.
	 */
	fx_sh("printf '%%s\n' 'ceremony: key-backup' "
	      "'operators: [Alice Example, Bob Example]' 'token:' "
	      "'  uri: \"pkcs11:token=root-backup\"' "
	      "'  pin-source: file:hsm/root-backup.pin' "
	      "'  so-pin-source: file:hsm/root-backup.so-pin' "
	      "'key: {label: root2-key, id: \"02\"}' 'backup-token:' "
	      "'  uri: \"pkcs11:token=online\"' "
	      "'  pin-source: file:hsm/online.pin' > '%s'",
	    fx_path("f-restore.yaml"));
	assert_int_equal(run_file("f-restore.yaml", NULL, 0, NULL),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_non_null(
	    strstr(signet_error_message(), "CKA_ALWAYS_SENSITIVE is false"));
	fx_sh("sed '/so-pin-source/a\\  accept-restored-key: true' '%s' > "
	      "'%s'",
	    fx_path("f-restore.yaml"), fx_path("f-restore-ok.yaml"));
	assert_int_equal(run_file("f-restore-ok.yaml", NULL, 0, &t), 0);
	j = transcript_json(t);
	assert_non_null(strstr(step_detail(j, "key-restored"),
	    "accepted because token.accept-restored-key is true"));
	json_decref(j);
	assert_int_equal(verify_with(t, r2, NULL, NULL), 0);
	free(t);

	/* A second backup to the same token: the label is taken. */
	fx_sh("sed 's/^  transcript:.*//' '%s' > '%s'",
	    fx_path("ceremony/09-key-backup.yaml"), fx_path("f-again.yaml"));
	assert_int_equal(run_file("f-again.yaml", NULL, 0, NULL),
	    SIGNET_ERR_CONFLICT);
	assert_non_null(strstr(signet_error_message(), "root2-key"));
	EVP_PKEY_free(r2);
}

/*
 * test_ceremony_tamper.c builds this file again with CEREMONY_TAMPER: the
 * hierarchy, then every byte of the transcripts, in a process of its own
 * (it is the slow part).
 */
#ifdef CEREMONY_TAMPER
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hierarchy),
		cmocka_unit_test(test_tamper_transcript),
	};

	(void)test_judges;
	(void)test_transcripts_verify;
	(void)test_tamper_files;
	(void)test_failed_lint;
	(void)test_failed_declined;
	(void)test_failed_pin;
	(void)test_cross_and_backup;
	return cmocka_run_group_tests(tests, setup, NULL);
}
#else
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hierarchy),
		cmocka_unit_test(test_judges),
		cmocka_unit_test(test_transcripts_verify),
		cmocka_unit_test(test_tamper_files),
		cmocka_unit_test(test_failed_lint),
		cmocka_unit_test(test_failed_declined),
		cmocka_unit_test(test_failed_pin),
		cmocka_unit_test(test_cross_and_backup),
	};

	(void)test_tamper_transcript;
	return cmocka_run_group_tests(tests, setup, NULL);
}
#endif
