/*
 * signet_token_check: what an operator runs on a new HSM before trusting a
 * CA key to it (docs/hsm.md). Asks the token what it offers for every key
 * type signet makes, for RSA-PSS and for key backup, and how many sessions
 * it allows; then generates a throwaway key pair, signs with it, verifies
 * the signatures with the public key alone, and destroys the pair.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "token/token_int.h"

/* The signing round trip: at most this many signatures, or this long. */
#define CHECK_SIGNATURES 50
#define CHECK_SECONDS 2.0

struct check {
	struct signet_token *tok;
	signet_check_cb cb;
	void *arg;
	int failed;
};

static void SIGNET_PRINTF(4, 5) check_line(struct check *c, const char *name,
    enum signet_check_verdict v, const char *fmt, ...)
{
	struct signet_check_line line;
	va_list ap;

	memset(&line, 0, sizeof(line));
	line.name = name;
	line.verdict = v;
	va_start(ap, fmt);
	vsnprintf(line.text, sizeof(line.text), fmt, ap);
	va_end(ap);
	if (v == SIGNET_CHECK_FAIL)
		c->failed = 1;
	c->cb(c->arg, &line);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A session limit as CK_TOKEN_INFO gives it. */
static void
session_count(CK_ULONG n, char *buf, size_t len)
{
	if (n == CK_EFFECTIVELY_INFINITE)
		snprintf(buf, len, "no limit");
	else if (n == CK_UNAVAILABLE_INFORMATION)
		snprintf(buf, len, "not given");
	else
		snprintf(buf, len, "%lu", (unsigned long)n);
}

/* How many sessions the token allows, beside how many signet opens. */
static void
check_sessions(struct check *c)
{
	CK_TOKEN_INFO ti;
	CK_RV rv;
	char total[32], rw[32];

	pthread_rwlock_rdlock(&c->tok->gen_lock);
	rv = token_info_read(c->tok->mod, c->tok->slot, &ti);
	pthread_rwlock_unlock(&c->tok->gen_lock);
	if (token_rv_class(rv) != TOKEN_RV_OK) {
		char ckr[48];

		check_line(c, "sessions", SIGNET_CHECK_FAIL,
		    "C_GetTokenInfo failed: %s", token_ckr_name(rv, ckr));
		return;
	}
	session_count(ti.ulMaxSessionCount, total, sizeof(total));
	session_count(ti.ulMaxRwSessionCount, rw, sizeof(rw));
	check_line(c, "sessions", SIGNET_CHECK_INFO,
	    "sessions: %s, read-write: %s; signet opens up to %u to sign "
	    "(max_sessions) and one more to generate",
	    total, rw, c->tok->max_sessions);
}

/* One line per key type: can the token generate it and sign with it? */
static void
check_key_types(struct check *c)
{
	enum signet_key_type t;
	char purpose[64];
	int ec;

	for (t = SIGNET_KEY_EC_P256; t <= SIGNET_KEY_RSA_4096; t++) {
		ec = t <= SIGNET_KEY_EC_P521;
		snprintf(purpose, sizeof(purpose), "generate %s keys",
		    signet_key_type_name(t));
		if (token_mech_require(c->tok,
			ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN,
			CKF_GENERATE_KEY_PAIR, t, purpose) != 0) {
			check_line(c, signet_key_type_name(t), SIGNET_CHECK_NO,
			    "%s", signet_error_message());
			continue;
		}
		snprintf(purpose, sizeof(purpose), "sign with %s keys",
		    signet_key_type_name(t));
		if (token_mech_require(c->tok, ec ? CKM_ECDSA : CKM_RSA_PKCS,
			CKF_SIGN, t, purpose) != 0) {
			check_line(c, signet_key_type_name(t), SIGNET_CHECK_NO,
			    "%s", signet_error_message());
			continue;
		}
		check_line(c, signet_key_type_name(t), SIGNET_CHECK_YES,
		    "offered: %s and %s",
		    ec ? "CKM_EC_KEY_PAIR_GEN" : "CKM_RSA_PKCS_KEY_PAIR_GEN",
		    ec ? "CKM_ECDSA" : "CKM_RSA_PKCS");
	}
	if (token_mech_require(c->tok, CKM_RSA_PKCS_PSS, CKF_SIGN,
		SIGNET_KEY_NONE, "make RSA-PSS signatures") != 0)
		check_line(c, "rsa-pss", SIGNET_CHECK_NO, "%s",
		    signet_error_message());
	else
		check_line(c, "rsa-pss", SIGNET_CHECK_YES,
		    "offered: CKM_RSA_PKCS_PSS");
	if (token_backup_source_check(c->tok) != 0)
		check_line(c, "backup", SIGNET_CHECK_NO, "%s",
		    signet_error_message());
	else
		check_line(c, "backup", SIGNET_CHECK_YES,
		    "offered: CKM_AES_KEY_GEN, CKM_AES_KEY_WRAP_PAD and "
		    "CKM_RSA_PKCS_OAEP for wrapping (whether the token "
		    "honours CKA_WRAP_WITH_TRUSTED is not checked)");
}

/*
 * Destroy the key pair the check made (the private key and its public) on
 * a read-write session of its own: the pool's are read-only.
 */
static int
check_destroy(struct signet_token *tok, const struct token_key_ref *ref)
{
	int r = SIGNET_ERR_INTERNAL;
	static const long classes[] = { CKO_PUBLIC_KEY, CKO_PRIVATE_KEY };
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE h[4];
	size_t n = 0, i, k;

	if ((r = token_rw_session_open(tok, &s)) != 0)
		goto out;
	for (k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
		if ((r = token_objects_find(tok, s, classes[k], ref, h, 4,
			 &n)) != 0)
			goto out;
		for (i = 0; i < n && i < 4; i++)
			TOKEN_CHECK(tok->fl->C_DestroyObject(s, h[i]),
			    "token '%s' would not destroy the check's key "
			    "'%s'; remove it with the token's own tools",
			    tok->label, ref->label);
	}
	r = 0;
out:
	if (s != CK_INVALID_HANDLE)
		token_rw_session_close(tok, s);
	return r;
}

/* Sign random messages with the new key; verify each with pub alone. */
static int
check_sign(struct check *c, struct signet_key *key)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_signer *signer = NULL;
	enum signet_sig_alg alg = SIGNET_SIG_NONE;
	uint8_t msg[64], *sig = NULL;
	size_t siglen = 0;
	unsigned n = 0;
	double t0, dt;

	if ((r = signet_sig_alg_for_key(key->pub, 0, &alg)) != 0 ||
	    (r = signet_key_signer(key, &signer)) != 0)
		goto out;
	t0 = now();
	do {
		if ((r = signet_token_random(c->tok, msg, sizeof(msg))) != 0 ||
		    (r = signet_signer_sign(signer, alg, msg, sizeof(msg), &sig,
			 &siglen)) != 0 ||
		    (r = signet_verify(key->pub, alg, msg, sizeof(msg), sig,
			 siglen)) != 0)
			goto out;
		free(sig);
		sig = NULL;
		n++;
		dt = now() - t0;
	} while (n < CHECK_SIGNATURES && dt < CHECK_SECONDS);
	check_line(c, "sign", SIGNET_CHECK_OK,
	    "%u %s signatures made by the token and verified with the "
	    "public key, %.1f per second%s",
	    n, signet_sig_alg_name(alg), dt > 0 ? n / dt : 0.0,
	    signet_token_recoveries(c->tok) > 0
		? "; a lost session was recovered"
		: "");
	r = 0;
out:
	if (r != 0)
		check_line(c, "sign", SIGNET_CHECK_FAIL, "%s",
		    signet_error_message());
	free(sig);
	signet_signer_free(signer);
	return r;
}

int
signet_token_check(struct signet_token *tok, enum signet_key_type type,
    signet_check_cb cb, void *arg)
{
	int r = SIGNET_ERR_INTERNAL, first = 0;
	struct check c = { tok, cb, arg, 0 };
	struct signet_key *key = NULL;
	struct token_key_ref ref;
	uint8_t rnd[8];
	char label[32];
	size_t i;

	if ((r = token_check_pid(tok)) != 0)
		return r;
	check_line(&c, "token", SIGNET_CHECK_INFO,
	    "'%s', serial %s, model %s, manufacturer %s, module %s", tok->label,
	    tok->serial, tok->model, tok->manufacturer, tok->mod->path);
	check_sessions(&c);
	check_key_types(&c);

	/* The round trip, on a key of its own. */
	if ((r = signet_token_random(tok, rnd, sizeof(rnd))) != 0) {
		check_line(&c, "random", SIGNET_CHECK_FAIL, "%s",
		    signet_error_message());
		goto out;
	}
	check_line(&c, "random", SIGNET_CHECK_OK,
	    "C_GenerateRandom gave %zu bytes", sizeof(rnd));
	memcpy(label, "signet-check-", 13);
	for (i = 0; i < sizeof(rnd) / 2; i++)
		snprintf(label + 13 + 2 * i, 3, "%02x", rnd[i]);
	if ((r = signet_key_generate(tok, type, label, NULL, 0, &key)) != 0) {
		check_line(&c, "keygen", SIGNET_CHECK_FAIL, "%s",
		    signet_error_message());
		goto out;
	}
	check_line(&c, "keygen", SIGNET_CHECK_OK,
	    "a throwaway %s key pair '%s': sensitive, never extractable, "
	    "and it signed a test message",
	    signet_key_type_name(type), label);
	memset(&ref, 0, sizeof(ref));
	ref = key->ref;
	if ((r = check_sign(&c, key)) != 0)
		first = r;
	signet_key_free(key);
	key = NULL;
	if ((r = check_destroy(tok, &ref)) != 0) {
		check_line(&c, "destroy", SIGNET_CHECK_FAIL, "%s",
		    signet_error_message());
		goto out;
	}
	check_line(&c, "destroy", SIGNET_CHECK_OK,
	    "the throwaway key pair '%s' was destroyed", label);
	r = first;
out:
	signet_key_free(key);
	/* The lines said what failed; the error says only that it did. */
	if (r != 0 || c.failed)
		r = signet_error_set(r != 0 ? r : SIGNET_ERR_TOKEN,
		    "token '%s' failed the check (the FAIL line above)",
		    tok->label);
	return r;
}
