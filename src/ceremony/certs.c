/*
 * Signing ceremonies: root-cert (self-signed), intermediate-cert (the root
 * signs the online CA's CSR), cross-cert (the root signs another root's
 * key) and root-crl. Each is prepared and linted before the plan is shown
 * (src/x509: prepare -> lint), and signed by the root token only after the
 * operators confirmed it (sign compares the TBS bytes with the linted ones
 * and verifies the signature).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"

/* ---- Shared: the root key, and the issuer certificate ------------------- */

static int
open_signing_key(struct signet_ceremony *c, struct signet_key **key)
{
	struct signet_token *tok = NULL;
	int r;

	if ((r = cer_token_open(c, &c->token, &tok)) != 0)
		return r;
	if ((r = cer_key_find(c, tok, &c->key, "signing", key)) != 0)
		return signet_error_context(r, "finding the signing key");
	/* The key is usable: even a failure from here on is signed. */
	c->transcript_key = *key;
	cer_text_add(&c->plan_body, "\n");
	cer_plan_key(&c->plan_body, "Signing key", tok, *key);
	return 0;
}

/* The issuer certificate input, which must be the token key's. */
static int
load_issuer_cert(struct signet_ceremony *c, const struct signet_key *key)
{
	const struct cer_input *in = cer_input_get(c, "issuer-certificate");
	char a[65], b[65];
	int r;

	if ((r = cer_cert_parse(in->data, in->len, "inputs.issuer-certificate",
		 &c->issuer_cert)) != 0)
		return r;
	if (EVP_PKEY_eq(X509_get0_pubkey(c->issuer_cert),
		signet_key_get0_pubkey(key)) != 1) {
		ERR_clear_error();
		if (cer_spki_sha256(X509_get0_pubkey(c->issuer_cert), a) != 0 ||
		    cer_spki_sha256(signet_key_get0_pubkey(key), b) != 0)
			return SIGNET_ERR_CRYPTO;
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "inputs.issuer-certificate (%s) is not the certificate of "
		    "key '%s' on the token: its key has SPKI SHA-256 %s, the "
		    "token key %s; bring the right certificate or the right "
		    "token",
		    in->path, c->key.label, a, b);
	}
	if ((r = signet_issuer_new(c->issuer_cert, &c->issuer)) != 0)
		return signet_error_context(r, "inputs.issuer-certificate");
	return 0;
}

/* ---- Certificates ------------------------------------------------------- */

/* Validity as the file asks: the request's seconds and the "now" to use. */
static int
cert_validity(struct signet_ceremony *c, int64_t *validity, time_t *now)
{
	const struct signet_profile *p = &c->profile;

	*validity = 0;
	*now = c->started;
	if (c->not_before != 0)
		/* notBefore = now - backdate: put it where the file says. */
		*now = c->not_before + (time_t)p->backdate;
	if (c->not_after != 0)
		/* Inclusive, as BR 6.3.2 counts it. */
		*validity = (int64_t)(c->not_after - c->not_before) + 1;
	else if (c->duration != 0)
		*validity = c->duration;
	return 0;
}

/* Root: the public key input must be the token key's. */
static int
root_cert_subject_key(struct signet_ceremony *c, const struct signet_key *key)
{
	const struct cer_input *in = cer_input_get(c, "public-key");
	EVP_PKEY *pub = NULL;
	char a[65], b[65];
	int r;

	if ((r = cer_pubkey_parse(in->data, in->len, "inputs.public-key",
		 &pub)) != 0)
		return r;
	if (EVP_PKEY_eq(pub, signet_key_get0_pubkey(key)) != 1) {
		ERR_clear_error();
		r = SIGNET_ERR_CRYPTO;
		if (cer_spki_sha256(pub, a) == 0 &&
		    cer_spki_sha256(signet_key_get0_pubkey(key), b) == 0)
			r = signet_error_set(SIGNET_ERR_VERIFY,
			    "inputs.public-key (%s, SPKI SHA-256 %s) is not "
			    "the public key of key '%s' on the token (SPKI "
			    "SHA-256 %s); this is the wrong key or the wrong "
			    "token: stop and find out why",
			    in->path, a, c->key.label, b);
		EVP_PKEY_free(pub);
		return r;
	}
	c->subject_pub = pub;
	cer_step(c, "check-key",
	    "inputs.public-key matches the token key, SPKI SHA-256 %s",
	    (cer_spki_sha256(pub, a) == 0) ? a : "?");
	if ((r = signet_issuer_new_self(pub, &c->issuer)) != 0)
		return r;
	return 0;
}

/* Intermediate: proof of possession from the CSR; the subject is the file's. */
static int
intermediate_subject_key(struct signet_ceremony *c, EVP_PKEY *root_pub)
{
	const struct cer_input *csr = cer_input_get(c, "csr");
	const struct cer_input *pk = cer_input_get(c, "public-key");
	struct signet_request_opts opts;
	struct signet_request *csr_req = NULL;
	EVP_PKEY *pub = NULL;
	char fp[65], *name = NULL;
	int r = SIGNET_ERR_INTERNAL;

	memset(&opts, 0, sizeof(opts));
	opts.ca_keys = &root_pub;
	opts.n_ca_keys = 1;
	/*
	 * The policy engine checks the CSR's signature (proof of
	 * possession) and its key; the certificate's subject comes from the
	 * reviewed ceremony file, never from the CSR.
	 */
	if ((r = signet_request_from_csr(&c->profile, csr->data, csr->len,
		 &opts, &csr_req)) != 0) {
		signet_error_context(r, "inputs.csr (%s)", csr->path);
		goto out;
	}
	if (pk != NULL) {
		if ((r = cer_pubkey_parse(pk->data, pk->len,
			 "inputs.public-key", &pub)) != 0)
			goto out;
		if (EVP_PKEY_eq(pub, csr_req->pubkey) != 1) {
			ERR_clear_error();
			r = signet_error_set(SIGNET_ERR_VERIFY,
			    "inputs.csr (%s) is for another key than "
			    "inputs.public-key (%s); bring the CSR the "
			    "intermediate-key ceremony made",
			    csr->path, pk->path);
			goto out;
		}
		EVP_PKEY_free(pub);
		pub = NULL;
	}
	hex_encode(csr_req->spki_sha256, 32, fp);
	name = cer_name_text(csr_req->subject);
	cer_step(c, "check-csr",
	    "CSR signature verifies with its key (SPKI SHA-256 %s); its "
	    "subject %s is not used",
	    fp, name != NULL ? name : "?");
	if (!EVP_PKEY_up_ref(csr_req->pubkey)) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	c->subject_pub = csr_req->pubkey;
	r = 0;
out:
	free(name);
	EVP_PKEY_free(pub);
	signet_request_free(csr_req);
	return r;
}

/* Cross: subject and key from the other root's certificate. */
static int
cross_subject_key(struct signet_ceremony *c)
{
	const struct cer_input *in = cer_input_get(c, "subject-certificate");
	X509 *other = NULL;
	int r = SIGNET_ERR_INTERNAL;

	if ((r = cer_cert_parse(in->data, in->len, "inputs.subject-certificate",
		 &other)) != 0)
		goto out;
	if (X509_check_ca(other) == 0) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "inputs.subject-certificate (%s) is not a CA "
		    "certificate; a cross-certificate is for another CA's "
		    "key",
		    in->path);
		goto out;
	}
	if (X509_verify(other, X509_get0_pubkey(other)) != 1) {
		ERR_clear_error();
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "inputs.subject-certificate (%s) is not self-signed by "
		    "its own key (no proof that its owner holds the key)",
		    in->path);
		goto out;
	}
	if ((c->subject = X509_NAME_dup(X509_get_subject_name(other))) ==
		NULL ||
	    (c->subject_pub = X509_get_pubkey(other)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot read inputs.subject-certificate");
		goto out;
	}
	r = 0;
out:
	X509_free(other);
	return r;
}

static int
name_der_eq(const X509_NAME *a, const X509_NAME *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la, lb, eq;

	la = i2d_X509_NAME(a, &da);
	lb = i2d_X509_NAME(b, &db);
	eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

static void
plan_lint(struct signet_ceremony *c, const struct signet_lint_report *rep)
{
	char *text = signet_lint_report_text(rep);

	cer_text_add(&c->plan_body,
	    "  %-20s %zu lints run: %zu errors, %zu warnings, %zu notices\n",
	    "lint", signet_lint_report_lints_run(rep),
	    signet_lint_report_tally(rep, SIGNET_LINT_ERROR),
	    signet_lint_report_tally(rep, SIGNET_LINT_WARNING),
	    signet_lint_report_tally(rep, SIGNET_LINT_NOTICE));
	if (text != NULL && text[0] != '\0')
		cer_text_add(&c->plan_body, "%s%s", text,
		    text[strlen(text) - 1] == '\n' ? "" : "\n");
	free(text);
}

/* Lint the prepared object; the report goes into the transcript either way. */
static int
run_lint(struct signet_ceremony *c, struct signet_lint_ctx *ctx,
    const char *what)
{
	struct signet_lint_report *rep = NULL;
	json_t *j = NULL;
	char *json = NULL, tbs_hash[65];
	const uint8_t *tbs;
	size_t tbs_len = 0;
	int r, lr;

	tbs = signet_tbs_get0_tbs_der(c->tbs, &tbs_len);
	if ((r = sha256_hex(tbs, tbs_len, tbs_hash)) != 0)
		return r;
	lr = signet_tbs_lint(c->tbs, ctx, &rep);
	if (rep == NULL)
		return lr;
	if ((json = signet_lint_report_json(rep)) != NULL &&
	    (j = json_loads(json, 0, NULL)) != NULL) {
		json_object_set_new(j, "object", json_string(what));
		json_object_set_new(j, "tbs_sha256", json_string(tbs_hash));
		json_array_append_new(c->lint, j);
	}
	free(json);
	cer_text_add(&c->plan_body, "  %-20s %s\n", "TBS SHA-256", tbs_hash);
	plan_lint(c, rep);
	if (lr == 0)
		cer_step(c, "lint",
		    "%s: %zu lints run, no errors (%zu warnings); TBS SHA-256 "
		    "%s",
		    what, signet_lint_report_lints_run(rep),
		    signet_lint_report_tally(rep, SIGNET_LINT_WARNING),
		    tbs_hash);
	signet_lint_report_free(rep);
	if (lr != 0)
		return signet_error_context(lr,
		    "the %s failed its pre-issuance lint; nothing was signed",
		    what);
	return 0;
}

static void
plan_cert(struct signet_ceremony *c)
{
	struct cer_text *t = &c->plan_body;
	const struct signet_validity *v = signet_tbs_get0_validity(c->tbs);
	const struct signet_serial *sn = signet_tbs_get0_serial(c->tbs);
	enum signet_sig_alg alg = SIGNET_SIG_NONE;
	char *subject = cer_name_text(c->request->subject), *issuer = NULL;
	char a[21], b[21], hex[41], spki[65];

	if (c->issuer_cert != NULL)
		issuer = cer_name_text(X509_get_subject_name(c->issuer_cert));
	signet_serial_to_hex(sn, hex);
	time_format(v->not_before, a);
	time_format(v->not_after, b);
	if (signet_sig_alg_for_key(signet_issuer_get0_pubkey(c->issuer),
		c->profile.rsa_pss, &alg) != 0)
		alg = SIGNET_SIG_NONE;
	if (cer_spki_sha256(c->request->pubkey, spki) != 0)
		snprintf(spki, sizeof(spki), "?");
	cer_text_add(t, "\nCertificate to be signed:\n");
	cer_text_add(t, "  %-20s %s\n", "subject", subject ? subject : "?");
	cer_text_add(t, "  %-20s %s\n", "issuer",
	    issuer != NULL ? issuer : "(self-signed: the subject)");
	cer_text_add(t, "  %-20s %s\n", "subject key SPKI", spki);
	cer_text_add(t, "  %-20s %s (from the token's generator)\n", "serial",
	    hex);
	cer_text_add(t, "  %-20s %s\n  %-20s %s (%" PRId64 " days)\n",
	    "notBefore", a, "notAfter", b,
	    (int64_t)(v->not_after - v->not_before + 1) / 86400);
	if (v->clamped)
		cer_text_add(t,
		    "  %-20s notAfter cut to the issuer's notAfter\n", "note");
	cer_plan_profile(t, &c->profile);
	cer_text_add(t, "  %-20s %s\n", "signature", signet_sig_alg_name(alg));
	free(subject);
	free(issuer);
}

int
cer_cert_prepare(struct signet_ceremony *c)
{
	struct signet_key *key = NULL;
	struct signet_request_opts opts;
	struct signet_cert_params params;
	struct signet_lint_ctx *ctx = NULL;
	EVP_PKEY *issuer_pub = NULL;
	struct signet_token *tok;
	char a[21];
	int r = SIGNET_ERR_INTERNAL;

	memset(&params, 0, sizeof(params));
	if ((r = open_signing_key(c, &key)) != 0)
		goto out;
	tok = c->tokens[0];
	switch (c->type) {
	case SIGNET_CEREMONY_ROOT_CERT:
		r = root_cert_subject_key(c, key);
		break;
	case SIGNET_CEREMONY_INTERMEDIATE_CERT:
		if ((r = load_issuer_cert(c, key)) == 0)
			r = intermediate_subject_key(c,
			    signet_key_get0_pubkey(key));
		break;
	case SIGNET_CEREMONY_CROSS_CERT:
		if ((r = load_issuer_cert(c, key)) == 0)
			r = cross_subject_key(c);
		break;
	case SIGNET_CEREMONY_NONE:
	case SIGNET_CEREMONY_ROOT_KEY:
	case SIGNET_CEREMONY_INTERMEDIATE_KEY:
	case SIGNET_CEREMONY_ROOT_CRL:
	case SIGNET_CEREMONY_KEY_BACKUP:
	case SIGNET_CEREMONY_QUORUM_SPLIT:
	default:
		r = signet_error_set(SIGNET_ERR_INTERNAL, "not a certificate");
		break;
	}
	if (r != 0)
		goto out;
	memset(&opts, 0, sizeof(opts));
	issuer_pub = signet_key_get0_pubkey(key);
	if (c->type != SIGNET_CEREMONY_ROOT_CERT) {
		/* No certificate for the root's own key under itself. */
		opts.ca_keys = &issuer_pub;
		opts.n_ca_keys = 1;
	}
	if ((r = cert_validity(c, &opts.validity, &params.now)) != 0)
		goto out;
	if ((r = signet_request_from_key(&c->profile, c->subject_pub,
		 c->subject, NULL, 0, &opts, &c->request)) != 0) {
		signet_error_context(r, "profile '%s' refuses the certificate",
		    c->profile.name);
		goto out;
	}
	if (c->type == SIGNET_CEREMONY_CROSS_CERT &&
	    !name_der_eq(c->request->subject, c->subject)) {
		char *want = cer_name_text(c->subject);
		char *got = cer_name_text(c->request->subject);

		r = signet_error_set(SIGNET_ERR_POLICY,
		    "profile '%s' would make the subject %s, not the other "
		    "root's subject %s byte for byte; a cross-certificate "
		    "must carry the other root's subject exactly, or paths "
		    "will not build: use a profile that takes these "
		    "attributes as they are",
		    c->profile.name, got != NULL ? got : "?",
		    want != NULL ? want : "?");
		free(want);
		free(got);
		goto out;
	}
	params.request = c->request;
	params.issuer = c->issuer;
	/* 20 octets from the token's generator (BR 7.1: >= 64 bits). */
	if ((r = signet_serial_new(cer_token_random, tok, 0, &params.serial)) !=
		0 ||
	    (r = signet_cert_prepare(&params, &c->tbs)) != 0)
		goto out;
	if (signet_tbs_get0_validity(c->tbs)->clamped && c->not_after != 0) {
		time_format(c->not_after, a);
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "validity.not-after %s is after the issuer's notAfter; a "
		    "certificate cannot outlive its issuer: choose an earlier "
		    "not-after",
		    a);
		goto out;
	}
	plan_cert(c);
	if ((r = signet_lint_ctx_new(&ctx)) != 0)
		goto out;
	signet_lint_ctx_set_profile(ctx, &c->profile);
	if (c->issuer_cert != NULL &&
	    (r = signet_lint_ctx_set_issuer(ctx, c->issuer_cert)) != 0)
		goto out;
	if ((r = run_lint(c, ctx, "certificate")) != 0)
		goto out;
	r = 0;
out:
	signet_lint_ctx_free(ctx);
	return r;
}

int
cer_cert_execute(struct signet_ceremony *c)
{
	struct signet_signer *signer = NULL;
	struct cer_output *o = cer_output_get(c, "certificate");
	uint8_t *der = NULL;
	size_t len = 0;
	int r = SIGNET_ERR_INTERNAL;

	if ((r = signet_key_signer(c->transcript_key, &signer)) != 0 ||
	    (r = signet_tbs_sign(c->tbs, signer, &der, &len)) != 0)
		goto out;
	if ((o->details = cer_cert_facts(der, len, o->pub.fingerprint)) ==
	    NULL) {
		r = signet_error_set(SIGNET_ERR_CRYPTO,
		    "cannot read back the signed certificate");
		goto out;
	}
	cer_step(c, "sign",
	    "certificate signed by the token; TBS identical to the linted "
	    "one, signature verified; SHA-256 fingerprint %s",
	    o->pub.fingerprint);
	if ((r = cer_pem_encode("CERTIFICATE", der, len, &o->data, &o->len)) !=
	    0)
		goto out;
	r = 0;
out:
	free(der);
	signet_signer_free(signer);
	return r;
}

/* ---- CRLs --------------------------------------------------------------- */

/* BR 4.9.7: a CA CRL's nextUpdate is at most twelve months on. */
static int64_t
twelve_months(time_t from)
{
	struct tm tm;

	if (gmtime_r(&from, &tm) == NULL)
		return (int64_t)365 * 86400;
	tm.tm_year += 1;
	return (int64_t)(timegm(&tm) - from);
}

static int
previous_crl(struct signet_ceremony *c, time_t this_update)
{
	const struct cer_input *in = cer_input_get(c, "previous-crl");
	X509_CRL *prev = NULL;
	ASN1_INTEGER *num = NULL;
	uint64_t n = 0;
	struct tm tm;
	time_t prev_this;
	char a[21];
	int r = SIGNET_ERR_INTERNAL, crit = 0;

	if (in == NULL) {
		cer_step(c, "check-crl-number",
		    "no previous CRL given: this is the root's first CRL");
		return 0;
	}
	if ((r = cer_crl_parse(in->data, in->len, "inputs.previous-crl",
		 &prev)) != 0)
		goto out;
	if (X509_NAME_cmp(X509_CRL_get_issuer(prev),
		X509_get_subject_name(c->issuer_cert)) != 0 ||
	    X509_CRL_verify(prev, X509_get0_pubkey(c->issuer_cert)) != 1) {
		ERR_clear_error();
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "inputs.previous-crl (%s) was not issued and signed by "
		    "this root; give the root's last CRL",
		    in->path);
		goto out;
	}
	if ((num = X509_CRL_get_ext_d2i(prev, NID_crl_number, &crit, NULL)) ==
		NULL ||
	    !ASN1_INTEGER_get_uint64(&n, num)) {
		ERR_clear_error();
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "inputs.previous-crl (%s) has no CRL number signet can "
		    "read",
		    in->path);
		goto out;
	}
	c->previous_crl_number = n;
	c->has_previous_crl = 1;
	/* RFC 5280 5.2.3: CRL numbers increase strictly. */
	if (c->crl_number <= n) {
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "crl.number %" PRIu64 " is not greater than the number "
		    "of the previous CRL (%" PRIu64 ", inputs.previous-crl "
		    "%s); CRL numbers must strictly increase (RFC 5280 "
		    "5.2.3): use %" PRIu64 " or more",
		    c->crl_number, n, in->path, n + 1);
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_CRL_get0_lastUpdate(prev), &tm)) {
		prev_this = timegm(&tm);
		if (this_update <= prev_this) {
			time_format(prev_this, a);
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "thisUpdate is not after the previous CRL's "
			    "(%s)",
			    a);
			goto out;
		}
	}
	json_object_set_new(c->extra, "previous_crl_number",
	    json_integer((json_int_t)n));
	cer_step(c, "check-crl-number",
	    "previous CRL %s is this root's, number %" PRIu64
	    "; the new number %" PRIu64 " is greater",
	    in->path, n, c->crl_number);
	r = 0;
out:
	ASN1_INTEGER_free(num);
	X509_CRL_free(prev);
	return r;
}

struct crl_iter {
	const struct cer_revoked *v;
	size_t n, next;
};

static int
crl_next(void *arg, struct signet_crl_entry *entry)
{
	struct crl_iter *it = arg;

	if (it->next == it->n)
		return 0;
	*entry = it->v[it->next++].entry;
	return 1;
}

int
cer_crl_prepare(struct signet_ceremony *c)
{
	struct signet_key *key = NULL;
	struct signet_crl_params params;
	struct signet_lint_ctx *ctx = NULL;
	struct crl_iter it;
	struct cer_text *t = &c->plan_body;
	time_t this_update = c->this_update != 0 ? c->this_update : c->started;
	char a[21], b[21], hex[41], *issuer = NULL;
	size_t i;
	int r = SIGNET_ERR_INTERNAL;

	if ((r = open_signing_key(c, &key)) != 0 ||
	    (r = load_issuer_cert(c, key)) != 0 ||
	    (r = previous_crl(c, this_update)) != 0)
		goto out;
	memset(&params, 0, sizeof(params));
	params.issuer = c->issuer;
	params.this_update = this_update;
	params.next_update_in = c->next_update != 0
				    ? (int64_t)(c->next_update - this_update)
				    : c->next_update_in;
	if (params.next_update_in <= 0) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "crl.next-update is not after thisUpdate");
		goto out;
	}
	for (i = 0; i < c->n_revoked; i++)
		if (c->revoked[i].entry.revoked_at > this_update) {
			signet_serial_to_hex(&c->revoked[i].entry.serial, hex);
			r = signet_error_set(SIGNET_ERR_CONFIG,
			    "%s:%u: serial %s is revoked after thisUpdate; a "
			    "CRL lists only what is revoked by its time",
			    c->file, c->revoked[i].line, hex);
			goto out;
		}
	params.crl_number = c->crl_number;
	it.v = c->revoked;
	it.n = c->n_revoked;
	it.next = 0;
	params.next_entry = crl_next;
	params.next_entry_arg = &it;
	if ((r = signet_crl_prepare(&params, &c->tbs)) != 0)
		goto out;
	issuer = cer_name_text(X509_get_subject_name(c->issuer_cert));
	time_format(this_update, a);
	time_format(this_update + (time_t)params.next_update_in, b);
	cer_text_add(t, "\nCRL to be signed:\n");
	cer_text_add(t, "  %-20s %s\n", "issuer", issuer ? issuer : "?");
	cer_text_add(t, "  %-20s %" PRIu64 "%s\n", "CRL number", c->crl_number,
	    c->has_previous_crl ? " (greater than the previous CRL's)"
				: " (no previous CRL given)");
	cer_text_add(t, "  %-20s %s\n  %-20s %s\n", "thisUpdate", a,
	    "nextUpdate", b);
	cer_text_add(t, "  %-20s %zu\n", "revoked", c->n_revoked);
	for (i = 0; i < c->n_revoked; i++) {
		signet_serial_to_hex(&c->revoked[i].entry.serial, hex);
		time_format(c->revoked[i].entry.revoked_at, a);
		cer_text_add(t, "    serial %s, revoked %s, reason %s\n", hex,
		    a, cer_crl_reason_name(c->revoked[i].entry.reason));
	}
	if ((r = signet_lint_ctx_new(&ctx)) != 0 ||
	    (r = signet_lint_ctx_set_issuer(ctx, c->issuer_cert)) != 0)
		goto out;
	signet_lint_ctx_set_crl_max_next_update(ctx,
	    twelve_months(this_update));
	if ((r = run_lint(c, ctx, "CRL")) != 0)
		goto out;
	r = 0;
out:
	free(issuer);
	signet_lint_ctx_free(ctx);
	return r;
}

int
cer_crl_execute(struct signet_ceremony *c)
{
	struct signet_signer *signer = NULL;
	struct cer_output *o = cer_output_get(c, "crl");
	struct cer_output *pem = cer_output_get(c, "crl-pem");
	uint8_t *der = NULL;
	size_t len = 0;
	json_t *d = NULL;
	int r = SIGNET_ERR_INTERNAL;

	if ((r = signet_key_signer(c->transcript_key, &signer)) != 0 ||
	    (r = signet_tbs_sign(c->tbs, signer, &der, &len)) != 0 ||
	    (r = sha256_hex(der, len, o->pub.fingerprint)) != 0)
		goto out;
	if ((d = json_object()) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	json_object_set_new(d, "sha256_fingerprint",
	    json_string(o->pub.fingerprint));
	json_object_set_new(d, "crl_number",
	    json_integer((json_int_t)c->crl_number));
	json_object_set_new(d, "entries",
	    json_integer((json_int_t)signet_tbs_crl_entries(c->tbs)));
	json_object_set_new(d, "format", json_string("DER"));
	cer_step(c, "sign",
	    "CRL %" PRIu64 " signed by the token; TBS identical to the "
	    "linted one, signature verified; SHA-256 fingerprint %s",
	    c->crl_number, o->pub.fingerprint);
	if (pem != NULL) {
		if ((r = cer_pem_encode("X509 CRL", der, len, &pem->data,
			 &pem->len)) != 0)
			goto out;
		memcpy(pem->pub.fingerprint, o->pub.fingerprint, 65);
		pem->details = json_deep_copy(d);
		json_object_set_new(pem->details, "format", json_string("PEM"));
	}
	o->details = d;
	d = NULL;
	o->data = der;
	o->len = len;
	der = NULL;
	r = 0;
out:
	json_decref(d);
	free(der);
	signet_signer_free(signer);
	return r;
}
