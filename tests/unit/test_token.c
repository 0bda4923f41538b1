/*
 * Tests for src/token against real SoftHSM tokens: key generation, key
 * checks, signing, login rules, session recovery and threads. The test
 * talks to SoftHSM through its own PKCS#11 handle to check what signet did
 * independently, and loads signet through p11fault (tests/p11fault) to
 * count logins and signatures in its call log, and to inject PIN states,
 * missing mechanisms and failures.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <p11-kit/pkcs11.h>

#include "fixture.h"
#include "p11fault.h"
#include "signet/signer.h"
#include "signet/token.h"
#include "util/codec.h"

/* ---- The test's own view of the token ------------------------------------ */

struct raw {
	void *dl;
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	int owns_init;
};

/* The PIN of a fixture token, read from its file (never printed). */
static void
pin_read(const char *label, char *pin, size_t len)
{
	size_t n = 0;
	uint8_t *data = fx_read(fx_pin_file(label), &n);

	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	assert_true(n < len);
	memcpy(pin, data, n);
	pin[n] = '\0';
	free(data);
}

static void
raw_open(struct raw *raw, const char *label, int login)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR) = NULL;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;
	char pin[64];

	memset(raw, 0, sizeof(*raw));
	raw->dl = dlopen(fx_softhsm_module(), RTLD_NOW | RTLD_LOCAL);
	assert_non_null(raw->dl);
	*(void **)&get = dlsym(raw->dl, "C_GetFunctionList");
	assert_non_null(get);
	assert_int_equal(get(&raw->fl), CKR_OK);
	rv = raw->fl->C_Initialize(NULL);
	assert_true(rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED);
	raw->owns_init = rv == CKR_OK;
	assert_int_equal(raw->fl->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(raw->fl->C_GetTokenInfo(slots[i], &ti),
		    CKR_OK);
		if (strncmp((char *)ti.label, label, strlen(label)) == 0 &&
		    ti.label[strlen(label)] == ' ')
			break;
	}
	assert_true(i < n);
	raw->slot = slots[i];
	assert_int_equal(raw->fl->C_OpenSession(raw->slot,
			     CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
			     &raw->s),
	    CKR_OK);
	if (login) {
		pin_read(label, pin, sizeof(pin));
		rv = raw->fl->C_Login(raw->s, CKU_USER, (CK_UTF8CHAR_PTR)pin,
		    strlen(pin));
		memset(pin, 0, sizeof(pin));
		assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
	}
}

static void
raw_close(struct raw *raw)
{
	if (raw->s != CK_INVALID_HANDLE)
		(void)raw->fl->C_CloseSession(raw->s);
	if (raw->owns_init)
		(void)raw->fl->C_Finalize(NULL);
	dlclose(raw->dl);
	memset(raw, 0, sizeof(*raw));
}

/* Objects of a class with this label: how many, the first max in h. */
static CK_ULONG
raw_find_all(struct raw *raw, CK_OBJECT_CLASS cls, const char *label,
    CK_OBJECT_HANDLE *h, CK_ULONG max)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ULONG n = 0;

	assert_int_equal(raw->fl->C_FindObjectsInit(raw->s, t, 2), CKR_OK);
	assert_int_equal(raw->fl->C_FindObjects(raw->s, h, max, &n), CKR_OK);
	assert_int_equal(raw->fl->C_FindObjectsFinal(raw->s), CKR_OK);
	return n;
}

/* The one object of a class with this label. */
static CK_OBJECT_HANDLE
raw_find(struct raw *raw, CK_OBJECT_CLASS cls, const char *label)
{
	CK_OBJECT_HANDLE h[2];

	assert_int_equal(raw_find_all(raw, cls, label, h, 2), 1);
	return h[0];
}

static int
raw_bool(struct raw *raw, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };

	assert_int_equal(raw->fl->C_GetAttributeValue(raw->s, h, &a, 1),
	    CKR_OK);
	return v == CK_TRUE;
}

static void
raw_set_bool(struct raw *raw, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    int value)
{
	CK_BBOOL v = value ? CK_TRUE : CK_FALSE;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };

	assert_int_equal(raw->fl->C_SetAttributeValue(raw->s, h, &a, 1),
	    CKR_OK);
}

/* Destroy the key pair labelled label (both halves). */
static void
raw_destroy_pair(struct raw *raw, const char *label)
{
	assert_int_equal(raw->fl->C_DestroyObject(raw->s,
			     raw_find(raw, CKO_PRIVATE_KEY, label)),
	    CKR_OK);
	assert_int_equal(raw->fl->C_DestroyObject(raw->s,
			     raw_find(raw, CKO_PUBLIC_KEY, label)),
	    CKR_OK);
}

/* A P-256 key pair made by the test itself, with the given flags. */
static void
raw_keygen(struct raw *raw, const char *label, const uint8_t *id, size_t id_len,
    int sensitive, int extractable)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE, sens = sensitive ? CK_TRUE : CK_FALSE;
	CK_BBOOL extr = extractable ? CK_TRUE : CK_FALSE;
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_EXTRACTABLE, &extr, sizeof(extr) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_OBJECT_HANDLE hpub, hpriv;

	assert_int_equal(raw->fl->C_GenerateKeyPair(raw->s, &mech, pub, 5, priv,
			     7, &hpub, &hpriv),
	    CKR_OK);
}

/* ---- p11fault ----------------------------------------------------------- */

/*
 * signet opens SIGNET_P11FAULT as its module; the test loads the same file
 * (dlopen hands back the same copy) to change the faults between steps,
 * and reads the calls signet made in its log.
 */
static p11fault_set_rules_fn fault_set_rules;
static p11fault_reset_fn fault_reset;
static char fault_log[PATH_MAX];

static const char *
fault_module(void)
{
	const char *p = getenv("SIGNET_P11FAULT");

	assert_non_null(p);
	return p;
}

/* p11fault with no faults, over SoftHSM, logging to an empty log. */
static void
fault_load(void)
{
	void *dl;

	snprintf(fault_log, sizeof(fault_log), "%s", fx_path("p11fault.log"));
	setenv("P11FAULT_MODULE", fx_softhsm_module(), 1);
	setenv("P11FAULT_LOG", fault_log, 1);
	unsetenv("P11FAULT");
	unsetenv("P11FAULT_TOKEN_FLAGS");
	unsetenv("P11FAULT_MECHANISMS");
	if (fault_reset == NULL) {
		/* Never closed: signet may hold the module open, too. */
		dl = dlopen(fault_module(), RTLD_NOW | RTLD_LOCAL);
		assert_non_null(dl);
		*(void **)&fault_set_rules = dlsym(dl, "p11fault_set_rules");
		*(void **)&fault_reset = dlsym(dl, "p11fault_reset");
		assert_non_null(fault_set_rules);
		assert_non_null(fault_reset);
	}
	assert_int_equal(fault_reset(), 0);
	fx_write(fault_log, "", 0);
}

/* Set (value NULL: unset) a P11FAULT_ variable and have it read. */
static void
fault_env(const char *name, const char *value)
{
	if (value != NULL)
		assert_int_equal(setenv(name, value, 1), 0);
	else
		assert_int_equal(unsetenv(name), 0);
	assert_int_equal(fault_reset(), 0);
}

static void
fault_rules(const char *rules)
{
	assert_int_equal(fault_set_rules(rules), 0);
}

/* Calls to func in the log since it was last emptied. */
static int
fault_calls(const char *func)
{
	return fx_count_lines(fault_log, func, NULL);
}

static void
fault_log_clear(void)
{
	fx_write(fault_log, "", 0);
}

/* ---- Helpers --------------------------------------------------------------- */

static int
token_open_with(const char *uri_text, const char *module,
    const char *pin_source, struct signet_token **tok)
{
	struct signet_p11_uri *uri = NULL;
	struct signet_token_opts opts;
	int r;

	memset(&opts, 0, sizeof(opts));
	opts.module_path = module;
	opts.pin_source = pin_source;
	if ((r = signet_uri_parse(uri_text, 0, &uri)) != 0)
		return r;
	r = signet_token_open(uri, &opts, tok);
	signet_uri_free(uri);
	return r;
}

static struct signet_token *
token_open_ok(const char *label, const char *module)
{
	struct signet_token *tok = NULL;
	char uri[128];
	int r;

	snprintf(uri, sizeof(uri), "pkcs11:token=%s", label);
	r = token_open_with(uri, module, fx_pin_source(label), &tok);
	if (r != 0)
		fail_msg("opening token %s: %s", label, signet_error_message());
	return tok;
}

static struct signet_key *
keygen_ok(struct signet_token *tok, enum signet_key_type type,
    const char *label)
{
	struct signet_key *key = NULL;

	if (signet_key_generate(tok, type, label, NULL, 0, &key) != 0)
		fail_msg("generating %s: %s", label, signet_error_message());
	return key;
}

static struct signet_key *
find_ok(struct signet_token *tok, const char *uri_text)
{
	struct signet_p11_uri *uri = NULL;
	struct signet_key *key = NULL;

	assert_int_equal(signet_uri_parse(uri_text, 0, &uri), 0);
	if (signet_key_find(tok, uri, &key) != 0)
		fail_msg("finding %s: %s", uri_text, signet_error_message());
	signet_uri_free(uri);
	return key;
}

static int
find_code(struct signet_token *tok, const char *uri_text)
{
	struct signet_p11_uri *uri = NULL;
	struct signet_key *key = NULL;
	int r;

	assert_int_equal(signet_uri_parse(uri_text, 0, &uri), 0);
	r = signet_key_find(tok, uri, &key);
	if (r == 0)
		assert_non_null(key);
	else
		assert_null(key);
	signet_key_free(key);
	signet_uri_free(uri);
	return r;
}

static void
assert_message_has(const char *want)
{
	if (strstr(signet_error_message(), want) == NULL)
		fail_msg("message '%s' does not say '%s'",
		    signet_error_message(), want);
}

/* Sign a fresh message with the signer and verify it with pub alone. */
static int
sign_verify(struct signet_signer *signer, enum signet_sig_alg alg)
{
	uint8_t tbs[100], *sig = NULL;
	size_t siglen = 0;
	int r;

	assert_int_equal(RAND_bytes(tbs, sizeof(tbs)), 1);
	if ((r = signet_signer_sign(signer, alg, tbs, sizeof(tbs), &sig,
		 &siglen)) != 0)
		return r;
	r = signet_verify(signet_signer_get0_pubkey(signer), alg, tbs,
	    sizeof(tbs), sig, siglen);
	free(sig);
	return r;
}

static const char *
alg_digest(enum signet_sig_alg alg)
{
	return EVP_MD_get0_name(signet_sig_alg_md(alg));
}

/*
 * Verify with the openssl command line and an exported public key, and
 * check that the same judge rejects a tampered message.
 */
static void
openssl_verify(EVP_PKEY *pub, enum signet_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, const uint8_t *sig, size_t siglen)
{
	char pss[160] = "";
	FILE *f;
	uint8_t bad[256];
	int st;

	f = fopen(fx_path("judge.pub.pem"), "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, pub), 1);
	fclose(f);
	fx_write(fx_path("judge.tbs"), tbs, tbs_len);
	fx_write(fx_path("judge.sig"), sig, siglen);
	if (signet_sig_alg_is_pss(alg))
		snprintf(pss, sizeof(pss),
		    "-sigopt rsa_padding_mode:pss -sigopt "
		    "rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:%s",
		    alg_digest(alg));
	st = fx_sh("openssl dgst -%s %s -verify '%s' -signature '%s' '%s' "
		   ">/dev/null 2>&1",
	    alg_digest(alg), pss, fx_path("judge.pub.pem"),
	    fx_path("judge.sig"), fx_path("judge.tbs"));
	assert_int_equal(st, 0);
	assert_true(tbs_len <= sizeof(bad));
	memcpy(bad, tbs, tbs_len);
	bad[0] ^= 1;
	fx_write(fx_path("judge.tbs"), bad, tbs_len);
	st = fx_sh("openssl dgst -%s %s -verify '%s' -signature '%s' '%s' "
		   ">/dev/null 2>&1",
	    alg_digest(alg), pss, fx_path("judge.pub.pem"),
	    fx_path("judge.sig"), fx_path("judge.tbs"));
	assert_int_not_equal(st, 0);
}

/* ---- Key generation ---------------------------------------------------------
 */

static const struct keygen_case {
	const char *label;
	const char *ossl_type;
	enum signet_key_type type;
	int bits;
	enum signet_sig_alg algs[2];
} keygen_cases[] = {
	{ "k-ec-p256", "EC", SIGNET_KEY_EC_P256, 256,
	    { SIGNET_SIG_ECDSA_SHA256, SIGNET_SIG_ECDSA_SHA384 } },
	{ "k-ec-p384", "EC", SIGNET_KEY_EC_P384, 384,
	    { SIGNET_SIG_ECDSA_SHA384, SIGNET_SIG_NONE } },
	{ "k-ec-p521", "EC", SIGNET_KEY_EC_P521, 521,
	    { SIGNET_SIG_ECDSA_SHA512, SIGNET_SIG_ECDSA_SHA256 } },
	{ "k-rsa-2048", "RSA", SIGNET_KEY_RSA_2048, 2048,
	    { SIGNET_SIG_RSA_PKCS1_SHA256, SIGNET_SIG_RSA_PSS_SHA256 } },
	{ "k-rsa-3072", "RSA", SIGNET_KEY_RSA_3072, 3072,
	    { SIGNET_SIG_RSA_PKCS1_SHA384, SIGNET_SIG_RSA_PSS_SHA512 } },
	{ "k-rsa-4096", "RSA", SIGNET_KEY_RSA_4096, 4096,
	    { SIGNET_SIG_RSA_PKCS1_SHA512, SIGNET_SIG_RSA_PSS_SHA384 } },
};

static void
check_raw_attributes(struct raw *raw, const struct keygen_case *t,
    const struct signet_key *key)
{
	CK_OBJECT_HANDLE priv = raw_find(raw, CKO_PRIVATE_KEY, t->label);
	CK_OBJECT_HANDLE pub = raw_find(raw, CKO_PUBLIC_KEY, t->label);
	uint8_t value[1024], id[SIGNET_KEY_ID_MAX];
	CK_ATTRIBUTE secret = { t->ossl_type[0] == 'E' ? CKA_VALUE
						       : CKA_PRIVATE_EXPONENT,
		value, sizeof(value) };
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
	const uint8_t *kid;
	size_t kid_len = 0;

	assert_true(raw_bool(raw, priv, CKA_TOKEN));
	assert_true(raw_bool(raw, priv, CKA_PRIVATE));
	assert_true(raw_bool(raw, priv, CKA_SENSITIVE));
	assert_false(raw_bool(raw, priv, CKA_EXTRACTABLE));
	assert_true(raw_bool(raw, priv, CKA_ALWAYS_SENSITIVE));
	assert_true(raw_bool(raw, priv, CKA_NEVER_EXTRACTABLE));
	assert_true(raw_bool(raw, priv, CKA_SIGN));
	assert_false(raw_bool(raw, priv, CKA_DECRYPT));
	assert_false(raw_bool(raw, priv, CKA_UNWRAP));
	assert_true(raw_bool(raw, pub, CKA_TOKEN));
	assert_false(raw_bool(raw, pub, CKA_WRAP));
	/* The token will not hand the private value out. */
	assert_int_equal(raw->fl->C_GetAttributeValue(raw->s, priv, &secret, 1),
	    CKR_ATTRIBUTE_SENSITIVE);
	/* Both halves carry the id signet reports. */
	assert_int_equal(raw->fl->C_GetAttributeValue(raw->s, priv, &ida, 1),
	    CKR_OK);
	kid = signet_key_id(key, &kid_len);
	assert_int_equal(ida.ulValueLen, kid_len);
	assert_memory_equal(id, kid, kid_len);
	ida.ulValueLen = sizeof(id);
	assert_int_equal(raw->fl->C_GetAttributeValue(raw->s, pub, &ida, 1),
	    CKR_OK);
	assert_int_equal(ida.ulValueLen, kid_len);
	assert_memory_equal(id, kid, kid_len);
}

static void
test_keygen_every_type(void **state)
{
	struct signet_token *tok;
	struct raw raw;
	size_t i, j;

	(void)state;
	tok = token_open_ok("keygen", NULL);
	for (i = 0; i < sizeof(keygen_cases) / sizeof(keygen_cases[0]); i++) {
		const struct keygen_case *t = &keygen_cases[i];
		struct signet_key *key, *found;
		struct signet_signer *signer = NULL;
		const struct signet_key_info *info;
		EVP_PKEY *pub;
		char *uri;

		key = keygen_ok(tok, t->type, t->label);
		info = signet_key_get0_info(key);
		assert_int_equal(signet_key_type(key), t->type);
		assert_string_equal(signet_key_label(key), t->label);
		assert_string_equal(info->type_name,
		    signet_key_type_name(t->type));
		assert_int_equal(info->bits, t->bits);
		assert_true(info->sensitive && !info->extractable);
		assert_true(info->always_sensitive && info->never_extractable);
		assert_true(info->sign);
		assert_int_equal(info->id_len, 16);
		pub = signet_key_get0_pubkey(key);
		assert_true(EVP_PKEY_is_a(pub, t->ossl_type));
		assert_int_equal(EVP_PKEY_get_bits(pub), t->bits);

		/* A separate read through the test's own handle. */
		raw_open(&raw, "keygen", 1);
		check_raw_attributes(&raw, t, key);
		raw_close(&raw);

		assert_int_equal(signet_key_signer(key, &signer), 0);
		assert_true(signet_signer_is_hardware(signer));
		assert_string_equal(signet_signer_kind(signer), "pkcs11");
		for (j = 0; j < 2 && t->algs[j] != SIGNET_SIG_NONE; j++) {
			uint8_t tbs[64], *sig = NULL;
			size_t siglen = 0;

			assert_int_equal(RAND_bytes(tbs, sizeof(tbs)), 1);
			if (signet_signer_sign(signer, t->algs[j], tbs,
				sizeof(tbs), &sig, &siglen) != 0)
				fail_msg("%s %s: %s", t->label,
				    signet_sig_alg_name(t->algs[j]),
				    signet_error_message());
			assert_int_equal(signet_verify(pub, t->algs[j], tbs,
					     sizeof(tbs), sig, siglen),
			    0);
			openssl_verify(pub, t->algs[j], tbs, sizeof(tbs), sig,
			    siglen);
			/* And the signature is bound to the message. */
			tbs[5] ^= 0x80;
			assert_int_equal(signet_verify(pub, t->algs[j], tbs,
					     sizeof(tbs), sig, siglen),
			    SIGNET_ERR_VERIFY);
			free(sig);
		}
		signet_signer_free(signer);

		/* The key's URI finds the same key again. */
		uri = signet_key_uri(key);
		assert_non_null(uri);
		assert_non_null(strstr(uri, "type=private"));
		found = find_ok(tok, uri);
		assert_int_equal(EVP_PKEY_eq(signet_key_get0_pubkey(found),
				     pub),
		    1);
		free(uri);
		signet_key_free(found);
		signet_key_free(key);
	}
	signet_token_free(tok);
}

static void
test_keygen_conflicts(void **state)
{
	static const uint8_t id[] = { 0x0a, 0x0b };
	static const uint8_t id2[] = { 0x0c };
	struct signet_token *tok;
	struct signet_key *key = NULL, *k2 = NULL;
	struct raw raw;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE obj[] = {
		{ CKA_CLASS, &data, sizeof(data) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_LABEL, "taken-by-data", 13 },
	};
	CK_OBJECT_HANDLE h;

	(void)state;
	tok = token_open_ok("conflict", NULL);
	assert_int_equal(signet_key_generate(tok, SIGNET_KEY_EC_P256, "dup", id,
			     sizeof(id), &key),
	    0);
	/* Same label, another id. */
	assert_int_equal(signet_key_generate(tok, SIGNET_KEY_EC_P256, "dup",
			     id2, sizeof(id2), &k2),
	    SIGNET_ERR_CONFLICT);
	assert_null(k2);
	assert_message_has("already holds an object labelled 'dup'");
	/* Same id, another label. */
	assert_int_equal(signet_key_generate(tok, SIGNET_KEY_RSA_2048, "dup2",
			     id, sizeof(id), &k2),
	    SIGNET_ERR_CONFLICT);
	assert_message_has("already holds an object with id 0a0b");
	/* Any object's label counts, not only keys. */
	raw_open(&raw, "conflict", 1);
	assert_int_equal(raw.fl->C_CreateObject(raw.s, obj, 3, &h), CKR_OK);
	raw_close(&raw);
	assert_int_equal(signet_key_generate(tok, SIGNET_KEY_EC_P256,
			     "taken-by-data", NULL, 0, &k2),
	    SIGNET_ERR_CONFLICT);
	/* Nothing was created by the refusals: only "dup" is a key. */
	assert_int_equal(find_code(tok, "pkcs11:object=dup2"),
	    SIGNET_ERR_KEY_NOT_FOUND);
	assert_int_equal(find_code(tok, "pkcs11:object=taken-by-data"),
	    SIGNET_ERR_KEY_NOT_FOUND);
	assert_int_equal(find_code(tok, "pkcs11:id=%0a%0b"), 0);
	/* A different label and id is fine. */
	assert_int_equal(signet_key_generate(tok, SIGNET_KEY_EC_P256, "dup2",
			     id2, sizeof(id2), &k2),
	    0);
	signet_key_free(k2);
	signet_key_free(key);
	signet_token_free(tok);
}

static void
test_keygen_bad_arguments(void **state)
{
	static const struct {
		enum signet_key_type type;
		const char *label;
		size_t id_len;
		const char *reason;
	} t[] = {
		{ SIGNET_KEY_EC_P256, "", 0, "needs a label" },
		{ SIGNET_KEY_EC_P256, NULL, 0, "needs a label" },
		{ SIGNET_KEY_EC_P256, "bad\nlabel", 0, "control character" },
		{ SIGNET_KEY_EC_P256, "ok", 65, "1 to 64 bytes" },
		{ SIGNET_KEY_NONE, "ok", 0, "no key type" },
		{ (enum signet_key_type)77, "ok", 0, "no key type" },
	};
	uint8_t id[80];
	char long_label[200];
	struct signet_token *tok;
	struct signet_key *key = NULL;
	size_t i;

	(void)state;
	memset(id, 1, sizeof(id));
	tok = token_open_ok("conflict", NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(signet_key_generate(tok, t[i].type, t[i].label,
				     t[i].id_len ? id : NULL, t[i].id_len,
				     &key),
		    SIGNET_ERR_USAGE);
		assert_null(key);
		assert_message_has(t[i].reason);
	}
	memset(long_label, 'x', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	assert_int_equal(signet_key_generate(tok, SIGNET_KEY_EC_P256,
			     long_label, NULL, 0, &key),
	    SIGNET_ERR_USAGE);
	assert_message_has("at most 128");
	signet_token_free(tok);
}

/* A token without a mechanism, curve or size says so before generating. */
static void
test_keygen_unsupported(void **state)
{
	static const struct {
		const char *mechanisms; /* P11FAULT_MECHANISMS */
		enum signet_key_type type;
		const char *reason;
	} t[] = {
		{ "-CKM_EC_KEY_PAIR_GEN", SIGNET_KEY_EC_P521,
		    "does not offer CKM_EC_KEY_PAIR_GEN, so it cannot generate "
		    "ec-p521 keys" },
		{ "CKM_EC_KEY_PAIR_GEN<=384", SIGNET_KEY_EC_P521,
		    "does not offer CKM_EC_KEY_PAIR_GEN with P-521 keys (it "
		    "takes keys of 112 to 384 bits), so it cannot generate "
		    "ec-p521" },
		{ "CKM_RSA_PKCS_KEY_PAIR_GEN<=2048", SIGNET_KEY_RSA_4096,
		    "cannot generate rsa-4096 keys" },
		{ "-CKM_ECDSA", SIGNET_KEY_EC_P256,
		    "does not offer CKM_ECDSA, so it cannot sign" },
		{ "CKM_ECDSA<=256", SIGNET_KEY_EC_P384,
		    "does not offer CKM_ECDSA with P-384 keys" },
		{ "-CKM_RSA_PKCS", SIGNET_KEY_RSA_2048,
		    "does not offer CKM_RSA_PKCS" },
	};
	struct signet_token *tok;
	struct signet_key *key = NULL;
	size_t i;

	(void)state;
	fault_load();
	tok = token_open_ok("conflict", fault_module());
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fault_env("P11FAULT_MECHANISMS", t[i].mechanisms);
		assert_int_equal(signet_key_generate(tok, t[i].type,
				     "unsupported", NULL, 0, &key),
		    SIGNET_ERR_TOKEN);
		assert_null(key);
		assert_message_has(t[i].reason);
	}
	/* Within the limit, the same token generates. */
	fault_env("P11FAULT_MECHANISMS", "CKM_EC_KEY_PAIR_GEN<=384");
	key = keygen_ok(tok, SIGNET_KEY_EC_P384, "supported");
	fault_env("P11FAULT_MECHANISMS", NULL);
	assert_int_equal(find_code(tok, "pkcs11:object=unsupported"),
	    SIGNET_ERR_KEY_NOT_FOUND);
	signet_key_free(key);
	signet_token_free(tok);
}

/*
 * A key the token cannot sign with is refused when its signer is made, and
 * a mechanism the token lacks when a signature asks for it: never by the
 * token, inside C_SignInit.
 */
static void
test_sign_unsupported(void **state)
{
	struct signet_token *tok;
	struct signet_key *ec = NULL, *rsa = NULL;
	struct signet_signer *signer = NULL;

	(void)state;
	fault_load();
	/* What a token offers is remembered: ask a fresh one. */
	tok = token_open_ok("recover", fault_module());
	signet_key_free(keygen_ok(tok, SIGNET_KEY_EC_P384, "unsupported-ec"));
	signet_key_free(keygen_ok(tok, SIGNET_KEY_RSA_2048, "unsupported-rsa"));
	signet_token_free(tok);
	tok = token_open_ok("recover", fault_module());
	ec = find_ok(tok, "pkcs11:object=unsupported-ec");
	rsa = find_ok(tok, "pkcs11:object=unsupported-rsa");
	fault_log_clear();

	fault_env("P11FAULT_MECHANISMS", "CKM_ECDSA<=256");
	assert_int_equal(signet_key_signer(ec, &signer), SIGNET_ERR_TOKEN);
	assert_null(signer);
	assert_message_has("token 'recover' does not offer CKM_ECDSA with "
			   "P-384 keys (it takes keys of ");
	assert_message_has("so it cannot sign with key 'unsupported-ec'");
	fault_env("P11FAULT_MECHANISMS", "-CKM_ECDSA");
	assert_int_equal(signet_key_signer(ec, &signer), SIGNET_ERR_TOKEN);
	assert_message_has("does not offer CKM_ECDSA, so it cannot sign");

	/* RSA: either padding will do for the signer; PSS is asked for. */
	fault_env("P11FAULT_MECHANISMS", "-CKM_RSA_PKCS_PSS,-CKM_RSA_PKCS");
	assert_int_equal(signet_key_signer(rsa, &signer), SIGNET_ERR_TOKEN);
	assert_message_has("does not offer CKM_RSA_PKCS, so it cannot sign");
	fault_env("P11FAULT_MECHANISMS", "-CKM_RSA_PKCS_PSS");
	assert_int_equal(signet_key_signer(rsa, &signer), 0);
	assert_int_equal(sign_verify(signer, SIGNET_SIG_RSA_PSS_SHA256),
	    SIGNET_ERR_TOKEN);
	assert_message_has("does not offer CKM_RSA_PKCS_PSS, so it cannot "
			   "sign with key 'unsupported-rsa'");
	assert_int_equal(sign_verify(signer, SIGNET_SIG_RSA_PKCS1_SHA256), 0);
	/* The token was never asked to sign what it does not offer. */
	assert_int_equal(fault_calls("C_SignInit"), 1);
	fault_env("P11FAULT_MECHANISMS", NULL);
	assert_int_equal(sign_verify(signer, SIGNET_SIG_RSA_PSS_SHA256), 0);
	signet_signer_free(signer);
	signet_key_free(ec);
	signet_key_free(rsa);
	signet_token_free(tok);
}

/*
 * A new key whose test signature fails is destroyed, and the message says
 * so; a token that will not destroy it is named instead (tpm2-pkcs11 does
 * that after a failed signature).
 */
static void
test_keygen_selftest_fails(void **state)
{
	static const struct {
		const char *rules;
		const char *says;
		size_t left; /* objects labelled so after the refusal */
	} t[] = {
		{ "C_Sign@1=CKR_GENERAL_ERROR", "(the key pair was destroyed)",
		    0 },
		{ "C_Sign@1=CKR_GENERAL_ERROR,C_DestroyObject@1=CKR_FUNCTION_"
		  "FAILED",
		    "the token would not destroy the refused key 'selftest': "
		    "CKR_FUNCTION_FAILED; remove it with the token's own tools",
		    1 },
	};
	struct signet_token *tok;
	struct signet_key *key = NULL;
	CK_OBJECT_HANDLE h[4];
	struct raw raw;
	size_t i;

	(void)state;
	fault_load();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tok = token_open_ok("conflict", fault_module());
		fault_rules(t[i].rules);
		assert_int_equal(signet_key_generate(tok, SIGNET_KEY_EC_P256,
				     "selftest", NULL, 0, &key),
		    SIGNET_ERR_TOKEN);
		assert_null(key);
		assert_message_has("test signature with the new key");
		assert_message_has(t[i].says);
		fault_rules(NULL);
		signet_token_free(tok);
		raw_open(&raw, "conflict", 1);
		assert_int_equal(raw_find_all(&raw, CKO_PRIVATE_KEY, "selftest",
				     h, 4),
		    t[i].left);
		if (t[i].left > 0)
			assert_int_equal(raw.fl->C_DestroyObject(raw.s,
					     raw_find(&raw, CKO_PRIVATE_KEY,
						 "selftest")),
			    CKR_OK);
		raw_close(&raw);
	}
}

/* A key for backup on a token that cannot wrap is refused before keygen. */
static void
test_keygen_backup_unwrappable(void **state)
{
	/*
	 * In the order signet asks (what a token offers is remembered); hex:
	 * p11fault names the signing mechanisms only.
	 */
	static const char *const hidden[] = { "-0x1080", "-0x210a", "-0x9" };
	static const char *const said[] = { "CKM_AES_KEY_GEN",
		"CKM_AES_KEY_WRAP_PAD", "CKM_RSA_PKCS_OAEP" };
	struct signet_p11_uri *uri = NULL;
	struct signet_token_opts opts;
	struct signet_token *tok = NULL;
	struct signet_key *key = NULL;
	size_t i;

	(void)state;
	fault_load();
	memset(&opts, 0, sizeof(opts));
	opts.module_path = fault_module();
	opts.pin_source = fx_pin_source("conflict");
	opts.allow_trusted_wrap = 1;
	assert_int_equal(signet_uri_parse("pkcs11:token=conflict", 0, &uri), 0);
	assert_int_equal(signet_token_open(uri, &opts, &tok), 0);
	fault_log_clear();
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		fault_env("P11FAULT_MECHANISMS", hidden[i]);
		assert_int_equal(signet_key_generate_flags(tok,
				     SIGNET_KEY_EC_P256, "unwrappable", NULL, 0,
				     SIGNET_KEYGEN_TRUSTED_WRAP, &key),
		    SIGNET_ERR_TOKEN);
		assert_null(key);
		assert_message_has("generating a key for backup by wrapping");
		assert_message_has(said[i]);
		assert_message_has("use the HSM vendor's own backup protocol");
	}
	assert_int_equal(fault_calls("C_GenerateKeyPair"), 0);
	fault_env("P11FAULT_MECHANISMS", NULL);
	signet_uri_free(uri);
	signet_token_free(tok);
}

/* ---- Keys that must be refused ----------------------------------------------
 */

static void
test_find_refuses_unsafe_keys(void **state)
{
	static const struct {
		const char *label;
		int sensitive, extractable;
		int code;
		const char *reason;
	} t[] = {
		{ "raw-extractable", 1, 1, SIGNET_ERR_KEY_UNSAFE,
		    "extractable (CKA_EXTRACTABLE true)" },
		{ "raw-not-sensitive", 0, 0, SIGNET_ERR_KEY_UNSAFE,
		    "not sensitive (CKA_SENSITIVE false)" },
		{ "raw-both", 0, 1, SIGNET_ERR_KEY_UNSAFE,
		    "extractable (CKA_EXTRACTABLE true) and not sensitive" },
		/* The control: the same recipe, made safe, is accepted. */
		{ "raw-safe", 1, 0, 0, NULL },
	};
	struct signet_token *tok;
	struct raw raw;
	char uri[128], pin_env[128];
	size_t i;
	uint8_t id;
	int st;

	(void)state;
	raw_open(&raw, "unsafe", 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		id = (uint8_t)(0x40 + i);
		raw_keygen(&raw, t[i].label, &id, 1, t[i].sensitive,
		    t[i].extractable);
	}
	raw_close(&raw);

	/* An independent tool makes an extractable key, too. */
	pin_read("unsafe", pin_env, sizeof(pin_env));
	setenv("SIGNET_TEST_PIN", pin_env, 1);
	memset(pin_env, 0, sizeof(pin_env));
	st = fx_sh("pkcs11-tool --module '%s' --token-label unsafe --login "
		   "--pin env:SIGNET_TEST_PIN --keypairgen --key-type "
		   "EC:prime256v1 --label tool-extractable --id 77 "
		   "--usage-sign --extractable >/dev/null 2>&1",
	    fx_softhsm_module());
	unsetenv("SIGNET_TEST_PIN");
	assert_int_equal(st, 0);

	tok = token_open_ok("unsafe", NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(uri, sizeof(uri), "pkcs11:object=%s", t[i].label);
		assert_int_equal(find_code(tok, uri), t[i].code);
		if (t[i].reason != NULL) {
			assert_message_has(t[i].reason);
			assert_message_has(t[i].label);
		}
	}
	assert_int_equal(find_code(tok, "pkcs11:object=tool-extractable"),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_message_has("extractable");
	signet_token_free(tok);
}

/*
 * Keys that are safe now but were not always: refused, unless the caller
 * accepts restored keys, which then says why the key may exist elsewhere.
 * Each key is made safe after the fact with C_SetAttributeValue (SoftHSM
 * keeps CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE as they were), or
 * imported by pkcs11-tool from a key file.
 */
static void
test_find_restored_keys(void **state)
{
	static const struct {
		const char *label;
		int sensitive, extractable; /* at generation; then safe */
		int code;                   /* without the opt-in */
		const char *reason;
		int always_sensitive, never_extractable; /* as the token says */
		int imported; /* by pkcs11-tool from a key file instead */
	} t[] = {
		{ "hist-extractable", 1, 1, SIGNET_ERR_KEY_UNSAFE,
		    "was extractable at some point; it may exist outside the "
		    "token (CKA_NEVER_EXTRACTABLE is false)",
		    1, 0, 0 },
		{ "hist-readable", 0, 0, SIGNET_ERR_KEY_UNSAFE,
		    "was not always sensitive; it may exist outside the token "
		    "(CKA_ALWAYS_SENSITIVE is false)",
		    0, 1, 0 },
		{ "hist-both", 0, 1, SIGNET_ERR_KEY_UNSAFE,
		    "was not always sensitive and was extractable at some "
		    "point; it may exist outside the token "
		    "(CKA_ALWAYS_SENSITIVE "
		    "and CKA_NEVER_EXTRACTABLE are false)",
		    0, 0, 0 },
		/* A key imported from a file by an independent tool. */
		{ "hist-imported", 1, 0, SIGNET_ERR_KEY_UNSAFE,
		    "was not always sensitive and was extractable at some "
		    "point; it may exist outside the token "
		    "(CKA_ALWAYS_SENSITIVE "
		    "and CKA_NEVER_EXTRACTABLE are false)",
		    0, 0, 1 },
		/* The control: safe from birth, accepted either way. */
		{ "hist-clean", 1, 0, 0, NULL, 1, 1, 0 },
	};
	struct signet_p11_uri *uri = NULL;
	struct signet_token *tok;
	struct signet_key *key = NULL;
	struct signet_signer *signer = NULL;
	struct raw raw;
	CK_OBJECT_HANDLE h;
	char text[128];
	size_t i;
	uint8_t id;

	(void)state;
	fx_softhsm_import_key("unsafe", fx_pin_file("unsafe"), "hist-imported",
	    "5e");
	raw_open(&raw, "unsafe", 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		id = (uint8_t)(0x50 + i);
		if (!t[i].imported)
			raw_keygen(&raw, t[i].label, &id, 1, t[i].sensitive,
			    t[i].extractable);
		h = raw_find(&raw, CKO_PRIVATE_KEY, t[i].label);
		if (t[i].extractable)
			raw_set_bool(&raw, h, CKA_EXTRACTABLE, 0);
		if (!t[i].sensitive)
			raw_set_bool(&raw, h, CKA_SENSITIVE, 1);
		/* What the token says, not what the test hopes. */
		assert_true(raw_bool(&raw, h, CKA_SENSITIVE));
		assert_false(raw_bool(&raw, h, CKA_EXTRACTABLE));
		assert_int_equal(raw_bool(&raw, h, CKA_ALWAYS_SENSITIVE),
		    t[i].always_sensitive);
		assert_int_equal(raw_bool(&raw, h, CKA_NEVER_EXTRACTABLE),
		    t[i].never_extractable);
	}
	/* One that is still extractable: the opt-in does not cover it. */
	id = 0x5f;
	raw_keygen(&raw, "hist-still-extractable", &id, 1, 1, 1);
	raw_close(&raw);

	tok = token_open_ok("unsafe", NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "pkcs11:object=%s", t[i].label);
		assert_int_equal(signet_uri_parse(text, 0, &uri), 0);
		signet_error_clear();
		assert_int_equal(signet_key_find(tok, uri, &key), t[i].code);
		if (t[i].code != 0) {
			assert_null(key);
			assert_message_has(t[i].reason);
			assert_message_has(t[i].label);
			assert_message_has("accept-restored-key");
		} else {
			assert_null(signet_key_restored(key));
			signet_key_free(key);
		}
		/* With the opt-in: accepted, saying why, and it signs. */
		if (signet_key_find_flags(tok, uri, SIGNET_KEY_ACCEPT_RESTORED,
			&key) != 0)
			fail_msg("%s: %s", t[i].label, signet_error_message());
		if (t[i].reason != NULL)
			assert_string_equal(signet_key_restored(key),
			    t[i].reason);
		else
			assert_null(signet_key_restored(key));
		assert_int_equal(signet_key_signer(key, &signer), 0);
		assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256),
		    0);
		signet_signer_free(signer);
		signer = NULL;
		signet_key_free(key);
		key = NULL;
		signet_uri_free(uri);
	}

	/* Unknown flags are refused, not ignored. */
	assert_int_equal(signet_uri_parse("pkcs11:object=hist-clean", 0, &uri),
	    0);
	assert_int_equal(signet_key_find_flags(tok, uri, 0x80, &key),
	    SIGNET_ERR_USAGE);
	assert_null(key);
	signet_uri_free(uri);

	assert_int_equal(signet_uri_parse("pkcs11:object=hist-still-"
					  "extractable",
			     0, &uri),
	    0);
	assert_int_equal(signet_key_find_flags(tok, uri,
			     SIGNET_KEY_ACCEPT_RESTORED, &key),
	    SIGNET_ERR_KEY_UNSAFE);
	assert_null(key);
	assert_message_has("extractable (CKA_EXTRACTABLE true)");
	signet_uri_free(uri);
	signet_token_free(tok);
}

static void
test_find_errors(void **state)
{
	static const uint8_t id1[] = { 1 }, id2[] = { 2 };
	static const struct {
		const char *uri;
		int code;
		const char *reason;
	} t[] = {
		{ "pkcs11:object=no-such-key", SIGNET_ERR_KEY_NOT_FOUND,
		    "private keys there: " },
		{ "pkcs11:object=no-such-key", SIGNET_ERR_KEY_NOT_FOUND,
		    "'finder'" },
		{ "pkcs11:id=%ff%ff", SIGNET_ERR_KEY_NOT_FOUND,
		    "no private key on token 'finder'" },
		{ "pkcs11:object=finder;id=%ff", SIGNET_ERR_KEY_NOT_FOUND,
		    "no private key" },
		{ "pkcs11:token=finder", SIGNET_ERR_URI, "names no key" },
		{ "pkcs11:object=finder;type=cert", SIGNET_ERR_URI,
		    "type=cert" },
		{ "pkcs11:object=finder;type=public", SIGNET_ERR_URI,
		    "signet signs with private keys" },
		{ "pkcs11:object=twin", SIGNET_ERR_URI,
		    "2 private keys on token 'finder' match" },
		{ "pkcs11:object=twin;id=%02", 0, NULL },
		{ "pkcs11:object=finder;type=private", 0, NULL },
	};
	struct signet_token *tok;
	struct signet_key *key;
	struct raw raw;
	size_t i;

	(void)state;
	tok = token_open_ok("finder", NULL);
	key = keygen_ok(tok, SIGNET_KEY_EC_P256, "finder");
	signet_key_free(key);
	raw_open(&raw, "finder", 1);
	raw_keygen(&raw, "twin", id1, 1, 1, 0);
	raw_keygen(&raw, "twin", id2, 1, 1, 0);
	raw_close(&raw);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		signet_error_clear();
		if (find_code(tok, t[i].uri) != t[i].code)
			fail_msg("%s: expected %d: %s", t[i].uri, t[i].code,
			    signet_error_message());
		if (t[i].reason != NULL)
			assert_message_has(t[i].reason);
	}
	signet_token_free(tok);
}

/* A public key is still found when the token keeps no public object. */
static void
test_pubkey_from_private_object(void **state)
{
	struct signet_token *tok;
	struct signet_key *key, *found;
	struct signet_signer *signer = NULL;
	struct raw raw;
	EVP_PKEY *pub;

	(void)state;
	tok = token_open_ok("finder", NULL);
	key = keygen_ok(tok, SIGNET_KEY_RSA_2048, "lonely-rsa");
	pub = signet_key_get0_pubkey(key);
	raw_open(&raw, "finder", 1);
	assert_int_equal(raw.fl->C_DestroyObject(raw.s,
			     raw_find(&raw, CKO_PUBLIC_KEY, "lonely-rsa")),
	    CKR_OK);
	raw_close(&raw);
	found = find_ok(tok, "pkcs11:object=lonely-rsa");
	assert_int_equal(EVP_PKEY_eq(signet_key_get0_pubkey(found), pub), 1);
	assert_int_equal(signet_key_signer(found, &signer), 0);
	assert_int_equal(sign_verify(signer, SIGNET_SIG_RSA_PKCS1_SHA256), 0);
	signet_signer_free(signer);
	signet_key_free(found);
	signet_key_free(key);
	signet_token_free(tok);
}

/* ---- Opening tokens: bad input ------------------------------------------- */

static void
test_open_errors(void **state)
{
	struct case_t {
		const char *uri;
		const char *module;
		const char *pin_source; /* BAD, GOOD, OPEN: files made here */
		int code;
		const char *reason;
	};
	const struct case_t t[] = {
		{ "pkcs11:token=errors", NULL, "BAD", SIGNET_ERR_PIN_INCORRECT,
		    "CKR_PIN_INCORRECT" },
		{ "pkcs11:token=no-such-token", NULL, "GOOD",
		    SIGNET_ERR_TOKEN_NOT_FOUND, "tokens there: " },
		{ "pkcs11:token=no-such-token", NULL, "GOOD",
		    SIGNET_ERR_TOKEN_NOT_FOUND, "'errors' (serial " },
		{ "pkcs11:serial=0000000000000000", NULL, "GOOD",
		    SIGNET_ERR_TOKEN_NOT_FOUND, "no token matches" },
		{ "pkcs11:token=errors", "/lib/x86_64-linux-gnu/libc.so.6",
		    "GOOD", SIGNET_ERR_MODULE, "no C_GetFunctionList" },
		{ "pkcs11:token=errors", "/nonexistent/pkcs11.so", "GOOD",
		    SIGNET_ERR_MODULE, "No such file or directory" },
		{ "pkcs11:token=errors", "/tmp", "GOOD", SIGNET_ERR_MODULE,
		    "not a regular file" },
		{ "pkcs11:token=errors", NULL, "OPEN", SIGNET_ERR_PIN_SOURCE,
		    "chmod 600" },
		{ "pkcs11:token=errors", NULL, "env:SIGNET_TEST_UNSET_PIN",
		    SIGNET_ERR_PIN_SOURCE, "SIGNET_TEST_UNSET_PIN" },
		{ "pkcs11:token=errors", NULL, "carrier-pigeon",
		    SIGNET_ERR_PIN_SOURCE,
		    "use file:PATH, env:NAME or prompt" },
		{ "pkcs11:token=errors?pin-source=file:/x", NULL, "GOOD",
		    SIGNET_ERR_PIN_SOURCE, "two PIN sources" },
		{ "pkcs11:token=errors?module-path=/usr/lib/other.so",
		    "/usr/lib/softhsm/libsofthsm2.so", "GOOD", SIGNET_ERR_URI,
		    "give one" },
		{ "pkcs11:token=errors;library-manufacturer=Nobody", NULL,
		    "GOOD", SIGNET_ERR_TOKEN_NOT_FOUND,
		    "library-* attributes do not match" },
		{ "pkcs11:", NULL, "GOOD", SIGNET_ERR_URI,
		    "add serial=... to the URI" },
	};
	char bad[PATH_MAX + 8], good[PATH_MAX + 8], open[PATH_MAX + 8];
	struct signet_token *tok = NULL;
	size_t i;

	(void)state;
	fault_load();
	fx_write(fx_path("wrong.pin"), "WrOnGpIn\n", 9);
	chmod(fx_path("wrong.pin"), 0600);
	fx_write(fx_path("open.pin"), "WrOnGpIn\n", 9);
	chmod(fx_path("open.pin"), 0644);
	snprintf(bad, sizeof(bad), "file:%s", fx_path("wrong.pin"));
	snprintf(open, sizeof(open), "file:%s", fx_path("open.pin"));
	snprintf(good, sizeof(good), "%s", fx_pin_source("errors"));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *src = t[i].pin_source;
		const char *module = t[i].module;
		int r;

		if (strcmp(src, "BAD") == 0)
			src = bad;
		else if (strcmp(src, "GOOD") == 0)
			src = good;
		else if (strcmp(src, "OPEN") == 0)
			src = open;
		/* Through p11fault, so that logins are counted. */
		if (module == NULL)
			module = fault_module();
		fault_log_clear();
		signet_error_clear();
		r = token_open_with(t[i].uri, module, src, &tok);
		if (r != t[i].code)
			fail_msg("case %zu: expected %d, got %d: %s", i,
			    t[i].code, r, signet_error_message());
		assert_null(tok);
		assert_message_has(t[i].reason);
		assert_null(strstr(signet_error_message(), "WrOnGpIn"));
		/* One login attempt at most, and only for the wrong PIN. */
		assert_int_equal(fault_calls("C_Login"),
		    t[i].code == SIGNET_ERR_PIN_INCORRECT ? 1 : 0);
	}
}

/* With no terminal and no PIN source, say how to give one. */
static void
test_no_pin_source_without_terminal(void **state)
{
	pid_t pid;
	int st = 0;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct signet_token *tok = NULL;
		int r;

		/* A new session has no controlling terminal. */
		if (setsid() == -1)
			_exit(10);
		r = token_open_with("pkcs11:token=errors", NULL, NULL, &tok);
		if (r != SIGNET_ERR_PIN_SOURCE)
			_exit(11);
		if (strstr(signet_error_message(), "no terminal") == NULL ||
		    strstr(signet_error_message(), "pin-source=file:") == NULL)
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_pin_value_needs_both_opt_ins(void **state)
{
	struct signet_p11_uri *uri = NULL;
	struct signet_token_opts opts;
	struct signet_token *tok = NULL;
	char pin[64], text[256];

	(void)state;
	pin_read("errors", pin, sizeof(pin));
	snprintf(text, sizeof(text), "pkcs11:token=errors?pin-value=%s", pin);
	assert_int_equal(signet_uri_parse(text, 0, &uri), SIGNET_ERR_URI);
	assert_int_equal(signet_uri_parse(text, SIGNET_URI_ALLOW_PIN_VALUE,
			     &uri),
	    0);
	memset(&opts, 0, sizeof(opts));
	assert_int_equal(signet_token_open(uri, &opts, &tok), SIGNET_ERR_URI);
	assert_null(strstr(signet_error_message(), pin));
	opts.allow_pin_in_uri = 1;
	assert_int_equal(signet_token_open(uri, &opts, &tok), 0);
	assert_string_equal(signet_token_label(tok), "errors");
	signet_token_free(tok);
	signet_uri_free(uri);
	memset(pin, 0, sizeof(pin));
	memset(text, 0, sizeof(text));
}

/* Locked and final-try PINs are refused before any login is attempted. */
static void
test_pin_flags(void **state)
{
	static const struct {
		const char *flags; /* P11FAULT_TOKEN_FLAGS */
		int count_low;
		int code;
		const char *reason;
	} t[] = {
		{ "+CKF_USER_PIN_LOCKED", 0, SIGNET_ERR_PIN_LOCKED,
		    "security officer must unlock" },
		{ "+CKF_USER_PIN_FINAL_TRY", 0, SIGNET_ERR_PIN_LOCKED,
		    "only one more PIN attempt" },
		{ "+CKF_USER_PIN_FINAL_TRY|CKF_USER_PIN_COUNT_LOW", 1,
		    SIGNET_ERR_PIN_LOCKED, "would lock the token" },
		{ "+CKF_USER_PIN_COUNT_LOW", 1, 0, NULL },
		{ NULL, 0, 0, NULL },
	};
	struct signet_token *tok = NULL;
	struct signet_token_info info;
	size_t i;

	(void)state;
	fault_load();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fault_env("P11FAULT_TOKEN_FLAGS", t[i].flags);
		fault_log_clear();
		assert_int_equal(token_open_with("pkcs11:token=errors",
				     fault_module(), fx_pin_source("errors"),
				     &tok),
		    t[i].code);
		/* The flags were read, so a missing login means something. */
		assert_true(fault_calls("C_GetTokenInfo") > 0);
		if (t[i].code != 0) {
			assert_null(tok);
			assert_message_has(t[i].reason);
			assert_int_equal(fault_calls("C_Login"), 0);
			continue;
		}
		assert_int_equal(fault_calls("C_Login"), 1);
		assert_int_equal(signet_token_get_info(tok, &info), 0);
		assert_int_equal(info.pin_count_low, t[i].count_low);
		signet_token_free(tok);
		tok = NULL;
	}
	fault_env("P11FAULT_TOKEN_FLAGS", NULL);
}

/*
 * A PIN from an environment variable whose first line is empty is refused
 * before C_Login: an empty PIN would cost one of the token's tries.
 */
static void
test_pin_env_empty_first_line(void **state)
{
	struct signet_token *tok = NULL;

	(void)state;
	fault_load();
	fault_log_clear();
	setenv("SIGNET_TEST_PIN_ENV", "\n1234", 1);
	assert_int_equal(token_open_with("pkcs11:token=errors", fault_module(),
			     "env:SIGNET_TEST_PIN_ENV", &tok),
	    SIGNET_ERR_PIN_SOURCE);
	assert_null(tok);
	assert_int_equal(fault_calls("C_Login"), 0);
	assert_null(getenv("SIGNET_TEST_PIN_ENV"));
}

/* ---- Recovery -------------------------------------------------------------- */

static void
close_all_sessions(const char *label)
{
	struct raw raw;

	raw_open(&raw, label, 0);
	assert_int_equal(raw.fl->C_CloseAllSessions(raw.slot), CKR_OK);
	raw.s = CK_INVALID_HANDLE; /* closed with the rest */
	raw_close(&raw);
}

static void
test_recover_lost_session(void **state)
{
	struct signet_token *tok;
	struct signet_key *key;
	struct signet_signer *signer = NULL;
	uint8_t rnd[32];

	(void)state;
	fault_load();
	tok = token_open_ok("recover", fault_module());
	key = keygen_ok(tok, SIGNET_KEY_EC_P256, "recover-key");
	assert_int_equal(signet_key_signer(key, &signer), 0);
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256), 0);
	assert_int_equal(signet_token_recoveries(tok), 0);

	/* Someone closes every session of this application on the token. */
	fault_log_clear();
	close_all_sessions("recover");
	if (sign_verify(signer, SIGNET_SIG_ECDSA_SHA256) != 0)
		fail_msg("after a lost session: %s", signet_error_message());
	assert_int_equal(signet_token_recoveries(tok), 1);
	assert_int_equal(fault_calls("C_Login"), 1);
	/* Recovered for good: no more recoveries, no more logins. */
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA384), 0);
	assert_int_equal(signet_token_random(tok, rnd, sizeof(rnd)), 0);
	assert_int_equal(signet_token_recoveries(tok), 1);
	assert_int_equal(fault_calls("C_Login"), 1);

	/* The random generator recovers, too. */
	close_all_sessions("recover");
	assert_int_equal(signet_token_random(tok, rnd, sizeof(rnd)), 0);
	assert_int_equal(signet_token_recoveries(tok), 2);
	signet_signer_free(signer);
	signet_key_free(key);
	signet_token_free(tok);
}

/* A login that fails after a lost session is reported, never retried. */
static void
test_recover_wrong_pin_not_retried(void **state)
{
	struct signet_token *tok;
	struct signet_key *key;
	struct signet_signer *signer = NULL;
	struct raw raw;
	char pin[64];

	(void)state;
	fault_load();
	tok = token_open_ok("badrecover", fault_module());
	key = keygen_ok(tok, SIGNET_KEY_EC_P256, "key");
	assert_int_equal(signet_key_signer(key, &signer), 0);
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256), 0);

	/* The PIN changes behind signet's back, then the sessions go. */
	pin_read("badrecover", pin, sizeof(pin));
	raw_open(&raw, "badrecover", 0);
	assert_int_equal(raw.fl->C_SetPIN(raw.s, (CK_UTF8CHAR_PTR)pin,
			     strlen(pin), (CK_UTF8CHAR_PTR) "changed-pin", 11),
	    CKR_OK);
	assert_int_equal(raw.fl->C_CloseAllSessions(raw.slot), CKR_OK);
	raw.s = CK_INVALID_HANDLE;
	raw_close(&raw);

	fault_log_clear();
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256),
	    SIGNET_ERR_PIN_INCORRECT);
	assert_message_has("after a lost session");
	assert_message_has("CKR_PIN_INCORRECT");
	assert_null(strstr(signet_error_message(), pin));
	assert_int_equal(fault_calls("C_Login"), 1);
	/* Later signatures fail without trying the PIN again. */
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256),
	    SIGNET_ERR_PIN_INCORRECT);
	assert_message_has("does not try a PIN twice");
	assert_int_equal(signet_token_random(tok, (uint8_t *)pin, 8),
	    SIGNET_ERR_PIN_INCORRECT);
	assert_int_equal(fault_calls("C_Login"), 1);
	assert_int_equal(signet_token_recoveries(tok), 0);
	memset(pin, 0, sizeof(pin));
	signet_signer_free(signer);
	signet_key_free(key);
	signet_token_free(tok);
}

/* A key on token "recover" through p11fault, and its signer. */
struct signing {
	struct signet_token *tok;
	struct signet_key *key;
	struct signet_signer *signer;
};

/* Open the key labelled label (made first if generate); sign once. */
static void
signing_open(struct signing *sg, const char *label, int generate)
{
	char uri[128];

	memset(sg, 0, sizeof(*sg));
	fault_load();
	sg->tok = token_open_ok("recover", fault_module());
	snprintf(uri, sizeof(uri), "pkcs11:object=%s", label);
	sg->key = generate ? keygen_ok(sg->tok, SIGNET_KEY_EC_P256, label)
			   : find_ok(sg->tok, uri);
	assert_int_equal(signet_key_signer(sg->key, &sg->signer), 0);
	assert_int_equal(sign_verify(sg->signer, SIGNET_SIG_ECDSA_SHA256), 0);
}

static void
signing_close(struct signing *sg)
{
	fault_rules(NULL);
	signet_signer_free(sg->signer);
	signet_key_free(sg->key);
	signet_token_free(sg->tok);
	memset(sg, 0, sizeof(*sg));
}

/*
 * A PIN that locked, or came down to its final try, while signet ran: the
 * login after a lost session is not attempted.
 */
static void
test_recover_respects_pin_flags(void **state)
{
	static const struct {
		const char *rules;
		const char *reason;
	} t[] = {
		{ "C_GetTokenInfo@*=flags:+CKF_USER_PIN_LOCKED",
		    "security officer must unlock" },
		{ "C_GetTokenInfo@*=flags:+CKF_USER_PIN_FINAL_TRY",
		    "only one more PIN attempt" },
	};
	struct signing sg;
	size_t i;

	(void)state;
	signing_open(&sg, "pin-flags-key", 1);
	signing_close(&sg);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		signing_open(&sg, "pin-flags-key", 0);
		fault_rules(t[i].rules);
		fault_log_clear();
		close_all_sessions("recover");
		assert_int_equal(sign_verify(sg.signer,
				     SIGNET_SIG_ECDSA_SHA256),
		    SIGNET_ERR_PIN_LOCKED);
		assert_message_has("after a lost session");
		assert_message_has(t[i].reason);
		/* The flags were read, and the PIN was not tried. */
		assert_true(fault_calls("C_GetTokenInfo") > 0);
		assert_int_equal(fault_calls("C_Login"), 0);
		signing_close(&sg);
	}
}

/* Failures other than a lost session are reported and not retried. */
static void
test_sign_failures(void **state)
{
	struct signet_token *tok;
	struct signet_key *key;
	struct signet_signer *signer = NULL;

	(void)state;
	fault_load();
	tok = token_open_ok("recover", fault_module());
	key = keygen_ok(tok, SIGNET_KEY_EC_P256, "failures-key");
	assert_int_equal(signet_key_signer(key, &signer), 0);

	/* set_rules counts afresh: C_Sign@1 is the next signature. */
	fault_log_clear();
	fault_rules("C_Sign@1=CKR_DEVICE_ERROR");
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256),
	    SIGNET_ERR_TOKEN);
	assert_message_has("CKR_DEVICE_ERROR");
	assert_true(signet_error_last()->has_ckr);
	assert_int_equal(signet_error_last()->ckr, CKR_DEVICE_ERROR);
	assert_int_equal(fault_calls("C_Sign"), 1);
	assert_int_equal(signet_token_recoveries(tok), 0);
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256), 0);

	/* A lost session seen once: recovered and retried once. */
	fault_log_clear();
	fault_rules("C_Sign@1=CKR_SESSION_HANDLE_INVALID");
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256), 0);
	assert_int_equal(fault_calls("C_Sign"), 2);
	assert_int_equal(signet_token_recoveries(tok), 1);
	assert_int_equal(fault_calls("C_Login"), 1);

	/* Still lost after recovering: one retry only, then the error. */
	fault_log_clear();
	fault_rules("C_Sign@*=CKR_DEVICE_REMOVED");
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256),
	    SIGNET_ERR_TOKEN);
	assert_message_has("CKR_DEVICE_REMOVED");
	assert_int_equal(fault_calls("C_Sign"), 2);
	assert_int_equal(signet_token_recoveries(tok), 2);
	fault_rules(NULL);
	assert_int_equal(sign_verify(signer, SIGNET_SIG_ECDSA_SHA256), 0);

	/* A key of one kind cannot make another kind's signatures. */
	assert_int_equal(sign_verify(signer, SIGNET_SIG_RSA_PKCS1_SHA256),
	    SIGNET_ERR_INTERNAL);
	assert_message_has("cannot make sha256WithRSAEncryption");
	signet_signer_free(signer);
	signet_key_free(key);
	signet_token_free(tok);
}

/*
 * After a lost session the key is found again by label and id; it must be
 * the key signet opened. Each case loses the session one way, and either
 * leaves the key alone (found again, signs) or replaces it with another of
 * the same label and id (refused before any C_SignInit on it).
 */
static void
test_recover_refuses_another_key(void **state)
{
	static const struct {
		const char *label;
		const char *lose;     /* p11fault rules for the signature */
		const char *reinsert; /* rules before the next one, or NULL */
		int replace;
		int code; /* of the signature after the loss */
	} t[] = {
		/* The token pulled out and put back, same key: signs. */
		{ "swap-back", "C_Sign@1=remove", "C_GetSlotList@1=reinsert", 0,
		    0 },
		/* Pulled out; back with another key under the same name. */
		{ "swap-removed", "C_Sign@1=remove", "C_GetSlotList@1=reinsert",
		    1, SIGNET_ERR_KEY_NOT_FOUND },
		/* The sessions stay; the key is destroyed and made again. */
		{ "swap-remade", NULL, NULL, 1, SIGNET_ERR_KEY_NOT_FOUND },
	};
	struct signing sg;
	struct raw raw;
	const uint8_t *id;
	size_t i, id_len = 0;
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		signing_open(&sg, t[i].label, 1);
		id = signet_key_id(sg.key, &id_len);
		if (t[i].lose != NULL) {
			/* The token goes; signet cannot find it yet. */
			fault_rules(t[i].lose);
			assert_int_not_equal(sign_verify(sg.signer,
						 SIGNET_SIG_ECDSA_SHA256),
			    0);
		}
		if (t[i].replace) {
			raw_open(&raw, "recover", 1);
			raw_destroy_pair(&raw, t[i].label);
			raw_keygen(&raw, t[i].label, id, id_len, 1, 0);
			raw_close(&raw);
		}
		fault_rules(t[i].reinsert);
		fault_log_clear();
		signet_error_clear();
		r = sign_verify(sg.signer, SIGNET_SIG_ECDSA_SHA256);
		if (r != t[i].code)
			fail_msg("%s: expected %d, got %d: %s", t[i].label,
			    t[i].code, r, signet_error_message());
		assert_int_equal(signet_token_recoveries(sg.tok), 1);
		if (t[i].code != 0) {
			assert_message_has("the key found after reconnecting "
					   "is not the one signet opened");
			assert_message_has(t[i].label);
			assert_message_has("public key SHA-256");
			/* The other key never started a signature. */
			assert_int_equal(fault_calls("C_Sign"), 0);
			assert_int_equal(fault_calls("C_SignInit"),
			    t[i].lose == NULL ? 1 : 0);
			/* Nor does it later. */
			fault_log_clear();
			assert_int_equal(sign_verify(sg.signer,
					     SIGNET_SIG_ECDSA_SHA256),
			    t[i].code);
			assert_int_equal(fault_calls("C_SignInit"), 0);
			assert_int_equal(signet_token_recoveries(sg.tok), 1);
		}
		signing_close(&sg);
	}
}

/* ---- Threads ------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 50

struct thread_arg {
	struct signet_signer *signer;
	pthread_barrier_t *barrier;
	int failures;
	char error[256];
};

static void *
sign_thread(void *p)
{
	struct thread_arg *a = p;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		/* Halfway, wait while the test drops every session. */
		if (a->barrier != NULL && i == PER_THREAD / 2) {
			pthread_barrier_wait(a->barrier);
			pthread_barrier_wait(a->barrier);
		}
		if (sign_verify(a->signer, SIGNET_SIG_ECDSA_SHA256) != 0) {
			a->failures++;
			snprintf(a->error, sizeof(a->error), "%s",
			    signet_error_message());
		}
	}
	return NULL;
}

static void
run_threads(struct signet_signer *signer, int lose_sessions)
{
	struct thread_arg args[THREADS];
	pthread_t th[THREADS];
	pthread_barrier_t barrier;
	int i;

	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS + 1), 0);
	for (i = 0; i < THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].signer = signer;
		args[i].barrier = lose_sessions ? &barrier : NULL;
		assert_int_equal(pthread_create(&th[i], NULL, sign_thread,
				     &args[i]),
		    0);
	}
	if (lose_sessions) {
		pthread_barrier_wait(&barrier);
		close_all_sessions("threads");
		pthread_barrier_wait(&barrier);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (args[i].failures != 0)
			fail_msg("thread %d: %d failures, last: %s", i,
			    args[i].failures, args[i].error);
	}
	pthread_barrier_destroy(&barrier);
}

static void
test_threads(void **state)
{
	struct signet_token *tok, *small = NULL;
	struct signet_p11_uri *uri = NULL;
	struct signet_token_opts opts;
	struct signet_key *key, *key2;
	struct signet_signer *signer = NULL, *signer2 = NULL;

	(void)state;
	tok = token_open_ok("threads", NULL);
	key = keygen_ok(tok, SIGNET_KEY_EC_P256, "threads-key");
	assert_int_equal(signet_key_signer(key, &signer), 0);
	run_threads(signer, 0);
	assert_int_equal(signet_token_recoveries(tok), 0);
	/* All threads lose their sessions at once: one recovery. */
	run_threads(signer, 1);
	assert_int_equal(signet_token_recoveries(tok), 1);

	/* Fewer sessions than threads: they take turns. */
	memset(&opts, 0, sizeof(opts));
	opts.pin_source = fx_pin_source("threads");
	opts.max_sessions = 2;
	assert_int_equal(signet_uri_parse("pkcs11:token=threads", 0, &uri), 0);
	assert_int_equal(signet_token_open(uri, &opts, &small), 0);
	key2 = find_ok(small, "pkcs11:object=threads-key");
	assert_int_equal(signet_key_signer(key2, &signer2), 0);
	run_threads(signer2, 0);
	assert_int_equal(signet_token_recoveries(small), 0);
	signet_signer_free(signer2);
	signet_key_free(key2);
	signet_token_free(small);
	signet_uri_free(uri);
	signet_signer_free(signer);
	signet_key_free(key);
	signet_token_free(tok);
}

/* ---- Several tokens, listing, random, fork ------------------------------- */

static void
test_several_tokens_one_module(void **state)
{
	struct signet_token *a, *b, *c;
	struct signet_key *ka, *kb, *kc;
	struct signet_signer *sa = NULL, *sb = NULL, *sc = NULL;

	(void)state;
	a = token_open_ok("conflict", NULL);
	b = token_open_ok("finder", NULL);
	ka = keygen_ok(a, SIGNET_KEY_EC_P384, "shared-a");
	kb = keygen_ok(b, SIGNET_KEY_EC_P256, "shared-b");
	assert_int_equal(signet_key_signer(ka, &sa), 0);
	assert_int_equal(signet_key_signer(kb, &sb), 0);
	assert_int_equal(sign_verify(sa, SIGNET_SIG_ECDSA_SHA384), 0);
	assert_int_equal(sign_verify(sb, SIGNET_SIG_ECDSA_SHA256), 0);
	/* A second object on the same token: the login is shared. */
	c = token_open_ok("finder", NULL);
	kc = find_ok(c, "pkcs11:object=shared-b");
	assert_int_equal(signet_key_signer(kc, &sc), 0);
	/* Closing one token leaves the others working. */
	signet_signer_free(sa);
	signet_key_free(ka);
	signet_token_free(a);
	assert_int_equal(sign_verify(sb, SIGNET_SIG_ECDSA_SHA256), 0);
	signet_signer_free(sb);
	signet_key_free(kb);
	signet_token_free(b);
	assert_int_equal(sign_verify(sc, SIGNET_SIG_ECDSA_SHA256), 0);
	signet_signer_free(sc);
	signet_key_free(kc);
	signet_token_free(c);
	/* The module was finalised; it initialises again. */
	a = token_open_ok("conflict", NULL);
	signet_token_free(a);
	signet_token_free(NULL);
	signet_key_free(NULL);
	signet_uri_free(NULL);
}

struct seen {
	int conflict, finder, uninitialised, final_try, calls;
};

static int
list_cb(void *arg, const struct signet_token_info *t)
{
	struct seen *s = arg;

	s->calls++;
	if (!t->token_present)
		return 0;
	if (strcmp(t->label, "conflict") == 0) {
		s->conflict++;
		assert_true(t->initialized && t->login_required);
		assert_true(t->user_pin_initialized);
		assert_string_equal(t->model, "SoftHSM v2");
		assert_int_equal(strlen(t->serial), 16);
	}
	if (strcmp(t->label, "finder") == 0) {
		s->finder++;
		s->final_try = t->pin_final_try;
	}
	if (!t->initialized)
		s->uninitialised++;
	return 0;
}

static int
stop_cb(void *arg, const struct signet_token_info *t)
{
	(void)t;
	(*(int *)arg)++;
	return 42;
}

static void
test_token_list(void **state)
{
	struct seen s;
	int calls = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(signet_token_list(NULL, list_cb, &s), 0);
	assert_int_equal(s.conflict, 1);
	assert_int_equal(s.finder, 1);
	assert_int_equal(s.uninitialised, 1); /* SoftHSM's free slot */
	assert_int_equal(s.final_try, 0);
	/* The PIN state shows without a login. */
	fault_load();
	fault_env("P11FAULT_TOKEN_FLAGS", "+CKF_USER_PIN_FINAL_TRY");
	memset(&s, 0, sizeof(s));
	assert_int_equal(signet_token_list(fault_module(), list_cb, &s), 0);
	fault_env("P11FAULT_TOKEN_FLAGS", NULL);
	assert_int_equal(s.final_try, 1);
	assert_int_equal(signet_token_list(NULL, stop_cb, &calls), 42);
	assert_int_equal(calls, 1);
	assert_int_equal(signet_token_list("/lib/x86_64-linux-gnu/libc.so.6",
			     list_cb, &s),
	    SIGNET_ERR_MODULE);
}

struct key_seen {
	int safe_ec, safe_rsa, unsafe, n;
};

static int
key_cb(void *arg, const struct signet_key_info *k)
{
	struct key_seen *s = arg;

	s->n++;
	if (strcmp(k->label, "list-ec") == 0) {
		assert_string_equal(k->type_name, "ec-p521");
		assert_int_equal(k->bits, 521);
		s->safe_ec = k->sensitive && !k->extractable && k->sign;
	}
	if (strcmp(k->label, "list-rsa") == 0) {
		assert_int_equal(k->type, SIGNET_KEY_RSA_2048);
		s->safe_rsa = k->sensitive && !k->extractable;
	}
	if (strcmp(k->label, "list-unsafe") == 0) {
		assert_int_equal(k->id_len, 1);
		assert_int_equal(k->id[0], 0x99);
		s->unsafe =
		    k->extractable && !k->sensitive && !k->never_extractable;
	}
	return 0;
}

static void
test_key_list(void **state)
{
	static const uint8_t id = 0x99;
	struct signet_token *tok;
	struct signet_key *k1, *k2;
	struct key_seen s;
	struct raw raw;

	(void)state;
	tok = token_open_ok("list", NULL);
	k1 = keygen_ok(tok, SIGNET_KEY_EC_P521, "list-ec");
	k2 = keygen_ok(tok, SIGNET_KEY_RSA_2048, "list-rsa");
	raw_open(&raw, "list", 1);
	raw_keygen(&raw, "list-unsafe", &id, 1, 0, 1);
	raw_close(&raw);
	memset(&s, 0, sizeof(s));
	assert_int_equal(signet_key_list(tok, key_cb, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(s.safe_ec);
	assert_true(s.safe_rsa);
	assert_true(s.unsafe);
	signet_key_free(k1);
	signet_key_free(k2);
	signet_token_free(tok);
}

static void
test_random(void **state)
{
	struct signet_token *tok;
	uint8_t a[1000], b[1000], zero[1000];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	tok = token_open_ok("list", NULL);
	assert_int_equal(signet_token_random(tok, a, sizeof(a)), 0);
	assert_int_equal(signet_token_random(tok, b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	/* The last piece of a multi-request fill is filled too. */
	assert_memory_not_equal(a + 990, zero, 10);
	assert_memory_not_equal(a, b, sizeof(a));
	signet_token_free(tok);
}

/* An inherited token refuses to work in a forked child. */
static void
test_fork_refused(void **state)
{
	struct signet_token *tok;
	pid_t pid;
	int st = 0;
	uint8_t buf[8];

	(void)state;
	tok = token_open_ok("list", NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r = signet_token_random(tok, buf, sizeof(buf));

		_exit(r == SIGNET_ERR_TOKEN &&
			      strstr(signet_error_message(), "fork") != NULL
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The parent's token still works. */
	assert_int_equal(signet_token_random(tok, buf, sizeof(buf)), 0);
	signet_token_free(tok);
}

/*
 * Several processes opening one SoftHSM token at once. SoftHSM rewrites the
 * token's file on every login; without the module lock another process's
 * C_Initialize or C_GetTokenInfo reads it half written and the token is
 * "not there" or fails with CKR_GENERAL_ERROR (most rounds fail so).
 */
#define SHARE_PROCS 3
#define SHARE_ROUNDS 40

static int
share_rounds(void)
{
	struct signet_token_info info;
	struct signet_token *tok;
	int i, failed = 0;

	for (i = 0; i < SHARE_ROUNDS; i++) {
		tok = NULL;
		if (token_open_with("pkcs11:token=list", NULL,
			fx_pin_source("list"), &tok) != 0 ||
		    signet_token_get_info(tok, &info) != 0) {
			if (failed++ == 0)
				fprintf(stderr, "round %d: %s\n", i,
				    signet_error_message());
		}
		signet_token_free(tok);
	}
	return failed;
}

static void
test_processes_share_a_token(void **state)
{
	pid_t pids[SHARE_PROCS];
	int i, st, failed = 0;

	(void)state;
	for (i = 0; i < SHARE_PROCS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(share_rounds() > 0);
	}
	for (i = 0; i < SHARE_PROCS; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	assert_int_equal(failed, 0);
}

/* OpenSC's pkcs11-tool, as an independent judge of what was generated. */
static void
test_pkcs11_tool_sees_attributes(void **state)
{
	struct signet_token *tok;
	struct signet_key *k1, *k2;
	char pin[64], *out;
	int st = 0;

	(void)state;
	if (!fx_have("pkcs11-tool"))
		fail_msg("pkcs11-tool (OpenSC) is not installed");
	tok = token_open_ok("judge", NULL);
	k1 = keygen_ok(tok, SIGNET_KEY_EC_P256, "judge-ec");
	k2 = keygen_ok(tok, SIGNET_KEY_RSA_2048, "judge-rsa");
	signet_key_free(k1);
	signet_key_free(k2);
	signet_token_free(tok);

	pin_read("judge", pin, sizeof(pin));
	setenv("SIGNET_TEST_PIN", pin, 1);
	out = fx_sh_output(&st,
	    "pkcs11-tool --module '%s' --token-label judge --login --pin "
	    "env:SIGNET_TEST_PIN --list-objects 2>&1",
	    fx_softhsm_module());
	unsetenv("SIGNET_TEST_PIN");
	assert_int_equal(st, 0);
	assert_null(strstr(out, pin));
	memset(pin, 0, sizeof(pin));
	assert_non_null(strstr(out, "Private Key Object; EC"));
	assert_non_null(strstr(out, "Private Key Object; RSA"));
	assert_non_null(strstr(out, "Public Key Object; RSA 2048 bits"));
	assert_non_null(strstr(out, "label:      judge-ec"));
	assert_non_null(strstr(out, "label:      judge-rsa"));
	/* Both private keys: for signing only, and locked in. */
	{
		const char *p = out;
		int privs = 0;

		while ((p = strstr(p, "Private Key Object")) != NULL) {
			const char *eol = strchr(p, '\n');
			const char *next = eol ? strstr(eol, "Object;") : NULL;
			const char *usage = strstr(p, "Usage:      sign\n");
			const char *access = strstr(p,
			    "Access:     sensitive, always sensitive, never "
			    "extractable, local");

			assert_non_null(usage);
			assert_non_null(access);
			if (next != NULL) {
				assert_true(usage < next);
				assert_true(access < next);
			}
			privs++;
			p++;
		}
		assert_int_equal(privs, 2);
	}
	assert_null(strstr(out, "decrypt"));
	assert_null(strstr(out, "unwrap"));
	free(out);
}

static int
group_setup(void **state)
{
	(void)state;
	fx_softhsm_tokens("keygen", "conflict", "unsafe", "finder", "errors",
	    "recover", "badrecover", "threads", "list", "judge", NULL);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_every_type),
		cmocka_unit_test(test_keygen_conflicts),
		cmocka_unit_test(test_keygen_bad_arguments),
		cmocka_unit_test(test_keygen_unsupported),
		cmocka_unit_test(test_sign_unsupported),
		cmocka_unit_test(test_keygen_backup_unwrappable),
		cmocka_unit_test(test_keygen_selftest_fails),
		cmocka_unit_test(test_find_refuses_unsafe_keys),
		cmocka_unit_test(test_find_restored_keys),
		cmocka_unit_test(test_find_errors),
		cmocka_unit_test(test_pubkey_from_private_object),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_no_pin_source_without_terminal),
		cmocka_unit_test(test_pin_value_needs_both_opt_ins),
		cmocka_unit_test(test_pin_flags),
		cmocka_unit_test(test_pin_env_empty_first_line),
		cmocka_unit_test(test_recover_lost_session),
		cmocka_unit_test(test_recover_wrong_pin_not_retried),
		cmocka_unit_test(test_recover_respects_pin_flags),
		cmocka_unit_test(test_sign_failures),
		cmocka_unit_test(test_recover_refuses_another_key),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_several_tokens_one_module),
		cmocka_unit_test(test_token_list),
		cmocka_unit_test(test_key_list),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_fork_refused),
		cmocka_unit_test(test_processes_share_a_token),
		cmocka_unit_test(test_pkcs11_tool_sees_attributes),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
