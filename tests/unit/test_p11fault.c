/*
 * Tests for tests/p11fault, the fault-injecting PKCS#11 module: driven
 * through its function list against a real SoftHSM token, with OpenSSL
 * checking the signatures that pass through it and OpenSC's pkcs11-tool as
 * a client that knows nothing of it.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "fixture.h"
#include "p11fault.h"

static CK_FUNCTION_LIST *p11;
static p11fault_set_rules_fn set_rules;
static p11fault_reset_fn reset;
static CK_SLOT_ID slot_t;     /* token "t", as the module shows it now */
static CK_SLOT_ID slot_first; /* its id before any reinsert */
static CK_UTF8CHAR serial[16];
static CK_UTF8CHAR pin[64];
static CK_ULONG pin_len;
static char log_path[4096];

static const CK_BYTE key_id[] = { 'p', 'f' };
static const uint8_t tbs[] = "to be signed through p11fault";

/* ---- helpers ----------------------------------------------------------- */

/* 1 and the slot if a listed slot holds the token with our serial. */
static int
find_token(CK_SLOT_ID *out)
{
	CK_SLOT_ID list[16];
	CK_ULONG n = 0, i;

	assert_int_equal(p11->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	assert_true(n <= 16);
	assert_int_equal(p11->C_GetSlotList(CK_TRUE, list, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;

		assert_int_equal(p11->C_GetTokenInfo(list[i], &ti), CKR_OK);
		if (memcmp(ti.serialNumber, serial, sizeof(serial)) == 0) {
			*out = list[i];
			return 1;
		}
	}
	return 0;
}

static int
slot_listed(CK_SLOT_ID slot, CK_BBOOL token_present)
{
	CK_SLOT_ID list[16];
	CK_ULONG n = 16, i;

	assert_int_equal(p11->C_GetSlotList(token_present, list, &n), CKR_OK);
	for (i = 0; i < n; i++)
		if (list[i] == slot)
			return 1;
	return 0;
}

static CK_SESSION_HANDLE
open_login(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;

	assert_int_equal(p11->C_OpenSession(slot,
			     CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
			     &s),
	    CKR_OK);
	assert_int_equal(p11->C_Login(s, CKU_USER, pin, pin_len), CKR_OK);
	return s;
}

static CK_OBJECT_HANDLE
find_key(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)key_id, sizeof(key_id) } };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	assert_int_equal(p11->C_FindObjectsInit(s, t, 2), CKR_OK);
	assert_int_equal(p11->C_FindObjects(s, &h, 1, &n), CKR_OK);
	assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(n, 1);
	return h;
}

/* An EC P-256 key pair; on the token (found again by CKA_ID) or not. */
static void
generate_key(CK_SESSION_HANDLE s, CK_BBOOL on_token, CK_OBJECT_HANDLE *pub,
    CK_OBJECT_HANDLE *priv)
{
	/* DER of the OID prime256v1 (1.2.840.10045.3.1.7). */
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pub_t[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_TOKEN, &on_token, sizeof(on_token) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ID, (void *)key_id, sizeof(key_id) } };
	CK_ATTRIBUTE priv_t[] = { { CKA_TOKEN, &on_token, sizeof(on_token) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_ID, (void *)key_id, sizeof(key_id) } };

	assert_int_equal(p11->C_GenerateKeyPair(s, &mech, pub_t, 4, priv_t, 5,
			     pub, priv),
	    CKR_OK);
}

/* ECDSA over the SHA-256 of tbs; returns the first call that failed. */
static CK_RV
sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, uint8_t *sig, size_t *siglen)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	uint8_t digest[32];
	unsigned int dlen = 0;
	CK_ULONG len = (CK_ULONG)*siglen;
	CK_RV rv;

	assert_int_equal(EVP_Digest(tbs, sizeof(tbs), digest, &dlen,
			     EVP_sha256(), NULL),
	    1);
	if ((rv = p11->C_SignInit(s, &mech, key)) != CKR_OK)
		return rv;
	rv = p11->C_Sign(s, digest, dlen, sig, &len);
	*siglen = len;
	return rv;
}

static EVP_PKEY *
public_key(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
	char group[] = "prime256v1";
	CK_BYTE der[128];
	CK_ATTRIBUTE a = { CKA_EC_POINT, der, sizeof(der) };
	const unsigned char *p = der;
	ASN1_OCTET_STRING *point = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	OSSL_PARAM params[3];

	assert_int_equal(p11->C_GetAttributeValue(s, pub, &a, 1), CKR_OK);
	/* CKA_EC_POINT holds the point as a DER OCTET STRING. */
	point = d2i_ASN1_OCTET_STRING(NULL, &p, (long)a.ulValueLen);
	assert_non_null(point);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    point->data, (size_t)point->length);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY,
			     params),
	    1);
	EVP_PKEY_CTX_free(ctx);
	ASN1_OCTET_STRING_free(point);
	return key;
}

/* 1 if OpenSSL accepts the raw r || s signature over data. */
static int
verify(EVP_PKEY *key, const uint8_t *data, size_t len, const uint8_t *raw,
    size_t rawlen)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)(rawlen / 2), NULL);
	BIGNUM *s = BN_bin2bn(raw + rawlen / 2, (int)(rawlen / 2), NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int derlen, ok;

	assert_non_null(sig);
	assert_non_null(md);
	assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
	derlen = i2d_ECDSA_SIG(sig, &der);
	assert_true(derlen > 0);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
			     key),
	    1);
	ok = EVP_DigestVerify(md, der, (size_t)derlen, data, len) == 1;
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(sig);
	return ok;
}

/* Sign tbs with the token key through the module and check it. */
static void
sign_and_check(CK_SESSION_HANDLE s)
{
	uint8_t sig[128];
	size_t siglen = sizeof(sig);
	EVP_PKEY *key = public_key(s, find_key(s, CKO_PUBLIC_KEY));

	assert_int_equal(sign(s, find_key(s, CKO_PRIVATE_KEY), sig, &siglen),
	    CKR_OK);
	assert_true(verify(key, tbs, sizeof(tbs), sig, siglen));
	EVP_PKEY_free(key);
}

/* Lines of the call log for func that contain needle (fixture.h). */
static int
log_count(const char *func, const char *needle)
{
	return fx_count_lines(log_path, func, needle);
}

/* Standard error goes to a file until stderr_release, which returns it. */
static int stderr_saved = -1;

static void
stderr_catch(void)
{
	int fd;

	fflush(stderr);
	stderr_saved = dup(2);
	fd = open(fx_path("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(stderr_saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static char *
stderr_release(void)
{
	size_t len;

	fflush(stderr);
	assert_int_equal(dup2(stderr_saved, 2), 2);
	close(stderr_saved);
	stderr_saved = -1;
	return (char *)fx_read(fx_path("stderr.txt"), &len);
}

/* Run set_rules with standard error caught; returns it and its text. */
static int
set_rules_capture(const char *rules, char **err)
{
	int r;

	stderr_catch();
	r = set_rules(rules);
	*err = stderr_release();
	return r;
}

/* The same for reset. */
static int
reset_capture(char **err)
{
	int r;

	stderr_catch();
	r = reset();
	*err = stderr_release();
	return r;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- setup ------------------------------------------------------------- */

static int
group_setup(void **state)
{
	const char *module = getenv("SIGNET_P11FAULT");
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_C_GetFunctionList get = NULL;
	CK_OBJECT_HANDLE pub, priv;
	CK_SESSION_HANDLE s;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID list[16];
	CK_ULONG n = 16, i;
	uint8_t *text;
	size_t len;
	void *handle;

	(void)state;
	if (module == NULL) {
		fprintf(stderr,
		    "SIGNET_P11FAULT is not set (run with ctest)\n");
		return -1;
	}
	fx_softhsm_tokens("t", NULL);
	text = fx_read(fx_pin_file("t"), &len);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len == 0 || len > sizeof(pin))
		return -1;
	memcpy(pin, text, len);
	pin_len = len;
	explicit_bzero(text, len);
	free(text);

	/* fx_path's buffer is reused; keep a copy. */
	snprintf(log_path, sizeof(log_path), "%s", fx_path("calls.log"));
	setenv("P11FAULT_MODULE", fx_softhsm_module(), 1);
	setenv("P11FAULT_LOG", log_path, 1);
	unsetenv("P11FAULT");
	unsetenv("P11FAULT_TOKEN_FLAGS");
	unsetenv("P11FAULT_MECHANISMS");
	if ((handle = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return -1;
	}
	*(void **)&get = dlsym(handle, "C_GetFunctionList");
	*(void **)&set_rules = dlsym(handle, "p11fault_set_rules");
	*(void **)&reset = dlsym(handle, "p11fault_reset");
	if (get == NULL || set_rules == NULL || reset == NULL ||
	    get(&p11) != CKR_OK || p11->C_Initialize(&init) != CKR_OK)
		return -1;

	/* The token key the tests sign with, made through the module. */
	if (p11->C_GetSlotList(CK_TRUE, list, &n) != CKR_OK)
		return -1;
	for (i = 0; i < n; i++) {
		if (p11->C_GetTokenInfo(list[i], &ti) == CKR_OK &&
		    memcmp(ti.label, "t ", 2) == 0) {
			slot_first = list[i];
			memcpy(serial, ti.serialNumber, sizeof(serial));
		}
	}
	if (slot_first == 0 && serial[0] == 0)
		return -1;
	s = open_login(slot_first);
	generate_key(s, CK_TRUE, &pub, &priv);
	return p11->C_CloseSession(s) == CKR_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	explicit_bzero(pin, sizeof(pin));
	if (p11 == NULL)
		return 0;
	return p11->C_Finalize(NULL) == CKR_OK ? 0 : -1;
}

/* Every test starts with no faults, all tokens in, and an empty log. */
static int
setup(void **state)
{
	(void)state;
	unsetenv("P11FAULT");
	unsetenv("P11FAULT_TOKEN_FLAGS");
	unsetenv("P11FAULT_MECHANISMS");
	if (reset() != 0 || p11->C_CloseAllSessions(slot_first) != CKR_OK)
		return -1;
	fx_write(log_path, "", 0);
	slot_t = slot_first;
	return 0;
}

/* ---- forwarding -------------------------------------------------------- */

static void
test_forwards_login_generate_sign(void **state)
{
	CK_SESSION_HANDLE s = open_login(slot_t);
	CK_OBJECT_HANDLE pub, priv;
	CK_SESSION_INFO si;
	EVP_PKEY *key;
	uint8_t sig[128] = { 0 };
	size_t siglen = sizeof(sig);
	char *log;
	size_t len;

	(void)state;
	generate_key(s, CK_FALSE, &pub, &priv);
	assert_int_equal(sign(s, priv, sig, &siglen), CKR_OK);
	assert_int_equal(siglen, 64);
	key = public_key(s, pub);
	assert_true(verify(key, tbs, sizeof(tbs), sig, siglen));
	/* The judge can say no: other data, or one flipped bit. */
	assert_false(verify(key, tbs, sizeof(tbs) - 1, sig, siglen));
	sig[10] ^= 1;
	assert_false(verify(key, tbs, sizeof(tbs), sig, siglen));
	EVP_PKEY_free(key);
	assert_int_equal(p11->C_GetSessionInfo(s, &si), CKR_OK);
	assert_int_equal(si.slotID, slot_t);
	assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);

	assert_int_equal(log_count("C_OpenSession", "CKR_OK"), 1);
	assert_int_equal(log_count("C_Login", "CKR_OK"), 1);
	assert_int_equal(log_count("C_GenerateKeyPair", "CKR_OK"), 1);
	assert_int_equal(log_count("C_Sign", "CKR_OK"), 1);
	assert_int_equal(log_count("C_Verify", NULL), 0);
	log = (char *)fx_read(log_path, &len);
	assert_null(strstr(log, "injected"));
	/* The PIN went through C_Login; it must not be in the log. */
	assert_null(memmem(log, len, pin, pin_len));
	free(log);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

static void
test_log_lines_name_slot_and_session(void **state)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	CK_INFO info;
	char want[64];

	(void)state;
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	assert_int_equal(p11->C_GetTokenInfo(slot_t, &ti), CKR_OK);
	assert_int_equal(p11->C_OpenSession(slot_t, CKF_SERIAL_SESSION, NULL,
			     NULL, &s),
	    CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID);

	assert_int_equal(log_count("C_GetInfo", "C_GetInfo - CKR_OK"), 1);
	snprintf(want, sizeof(want), "slot=%lu CKR_OK", (unsigned long)slot_t);
	assert_int_equal(log_count("C_GetTokenInfo", want), 1);
	assert_int_equal(log_count("C_OpenSession", want), 1);
	snprintf(want, sizeof(want), "session=%lu CKR_OK", (unsigned long)s);
	assert_int_equal(log_count("C_CloseSession", want), 1);
	/* A real failure is logged by name, and not as injected. */
	snprintf(want, sizeof(want), "session=%lu CKR_SESSION_HANDLE_INVALID\n",
	    (unsigned long)s);
	assert_int_equal(log_count("C_CloseSession", "INVALID"), 1);
	{
		size_t len;
		char *log = (char *)fx_read(log_path, &len);

		assert_non_null(strstr(log, want));
		free(log);
	}
}

/* ---- returning a CK_RV ------------------------------------------------- */

static void
test_rv_rules_fire_on_the_configured_calls(void **state)
{
	static const struct {
		const char *rules;
		CK_RV rv[6];
	} t[] = {
		{ "", { 0, 0, 0, 0, 0, 0 } },
		{ "C_GenerateRandom@3=CKR_DEVICE_ERROR",
		    { 0, 0, CKR_DEVICE_ERROR, 0, 0, 0 } },
		{ "C_GenerateRandom=CKR_FUNCTION_FAILED",
		    { CKR_FUNCTION_FAILED, 0, 0, 0, 0, 0 } },
		{ "C_GenerateRandom@2+=CKR_TOKEN_NOT_PRESENT",
		    { 0, CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_PRESENT,
			CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_PRESENT,
			CKR_TOKEN_NOT_PRESENT } },
		{ "C_GenerateRandom@*=0x30",
		    { CKR_DEVICE_ERROR, CKR_DEVICE_ERROR, CKR_DEVICE_ERROR,
			CKR_DEVICE_ERROR, CKR_DEVICE_ERROR,
			CKR_DEVICE_ERROR } },
		{ "C_GenerateRandom@2-4=CKR_GENERAL_ERROR",
		    { 0, CKR_GENERAL_ERROR, CKR_GENERAL_ERROR,
			CKR_GENERAL_ERROR, 0, 0 } },
		{ " C_GenerateRandom @ 5 = 0x80000001 , ",
		    { 0, 0, 0, 0, CKR_VENDOR_DEFINED | 1, 0 } },
		/* The first rule that returns wins; other functions: no. */
		{ "C_GenerateRandom@2=hang:1,C_GenerateRandom@2=CKR_PIN_LOCKED,"
		  "C_GenerateRandom@2-3=CKR_SESSION_HANDLE_INVALID,"
		  "C_GetInfo@*=CKR_GENERAL_ERROR,C_Login@*=CKR_PIN_INCORRECT",
		    { 0, CKR_PIN_LOCKED, CKR_SESSION_HANDLE_INVALID, 0, 0,
			0 } },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
		int failed = 0;

		assert_int_equal(p11->C_OpenSession(slot_t, CKF_SERIAL_SESSION,
				     NULL, NULL, &s),
		    CKR_OK);
		fx_write(log_path, "", 0);
		assert_int_equal(set_rules(t[i].rules), 0);
		for (j = 0; j < 6; j++) {
			CK_BYTE buf[8];

			if (p11->C_GenerateRandom(s, buf, sizeof(buf)) !=
			    t[i].rv[j])
				fail_msg("rules '%s': call %zu should give "
					 "0x%lx",
				    t[i].rules, j + 1,
				    (unsigned long)t[i].rv[j]);
			failed += t[i].rv[j] != CKR_OK;
		}
		assert_int_equal(log_count("C_GenerateRandom", NULL), 6);
		assert_int_equal(log_count("C_GenerateRandom", " injected"),
		    failed);
		assert_int_equal(p11->C_CloseSession(s), CKR_OK);
	}
}

static void
test_login_faults_do_not_reach_the_token(void **state)
{
	static const struct {
		const char *rules;
		CK_RV rv;
		const char *logged;
	} t[] = {
		{ "C_Login=CKR_PIN_LOCKED", CKR_PIN_LOCKED,
		    "CKR_PIN_LOCKED injected" },
		{ "C_Login=CKR_PIN_INCORRECT", CKR_PIN_INCORRECT,
		    "CKR_PIN_INCORRECT injected" },
		{ "C_Login=0xa4", CKR_PIN_LOCKED, "CKR_PIN_LOCKED injected" },
		{ "C_Login=0x80000123", CKR_VENDOR_DEFINED | 0x123,
		    "0x80000123 injected" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
		CK_SESSION_INFO si;

		fx_write(log_path, "", 0);
		assert_int_equal(set_rules(t[i].rules), 0);
		assert_int_equal(p11->C_OpenSession(slot_t, CKF_SERIAL_SESSION,
				     NULL, NULL, &s),
		    CKR_OK);
		assert_int_equal(p11->C_Login(s, CKU_USER, pin, pin_len),
		    t[i].rv);
		/* SoftHSM never saw it: still logged out. */
		assert_int_equal(p11->C_GetSessionInfo(s, &si), CKR_OK);
		assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
		/* The second login is the token's own. */
		assert_int_equal(p11->C_Login(s, CKU_USER, pin, pin_len),
		    CKR_OK);
		assert_int_equal(log_count("C_Login", NULL), 2);
		assert_int_equal(log_count("C_Login", t[i].logged), 1);
		assert_int_equal(log_count("C_Login", " CKR_OK\n"), 1);
		assert_int_equal(p11->C_CloseSession(s), CKR_OK);
	}
}

static void
test_failed_sign_ends_the_real_operation(void **state)
{
	static const char *const rules[] = { "C_Sign@3=CKR_DEVICE_REMOVED",
		"C_Sign@3=CKR_DEVICE_ERROR" };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	size_t i;

	(void)state;
	s = open_login(slot_t);
	key = find_key(s, CKO_PRIVATE_KEY);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		uint8_t sig[128];
		size_t siglen = sizeof(sig);
		CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
		CK_BYTE digest[32] = { 1 };
		CK_ULONG len = 0;
		CK_RV want = i == 0 ? CKR_DEVICE_REMOVED : CKR_DEVICE_ERROR;

		fx_write(log_path, "", 0);
		assert_int_equal(set_rules(rules[i]), 0);
		assert_int_equal(sign(s, key, sig, &siglen), CKR_OK);
		assert_int_equal(sign(s, key, sig, &siglen), CKR_OK);
		assert_int_equal(sign(s, key, sig, &siglen), want);
		/* A new operation starts: no CKR_OPERATION_ACTIVE. */
		sign_and_check(s);
		assert_int_equal(log_count("C_Sign", NULL), 4);
		assert_int_equal(log_count("C_Sign", "injected"), 1);
		assert_int_equal(log_count("C_SignInit", "CKR_OK"), 4);

		/* The same when the length query is the call that fails. */
		assert_int_equal(set_rules("C_Sign=CKR_DEVICE_ERROR"), 0);
		assert_int_equal(p11->C_SignInit(s, &mech, key), CKR_OK);
		assert_int_equal(p11->C_Sign(s, digest, 32, NULL, &len),
		    CKR_DEVICE_ERROR);
		sign_and_check(s);
	}
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

static void
test_bad_rules_are_refused_by_name(void **state)
{
	static const struct {
		const char *rules;
		const char *reason;
	} t[] = {
		{ "C_Sgn=CKR_DEVICE_ERROR", "unknown function 'C_Sgn'" },
		{ "C_Sign", "no '='" },
		{ "C_Sign@0=CKR_DEVICE_ERROR", "bad call selector '@0'" },
		{ "C_Sign@x=CKR_DEVICE_ERROR", "bad call selector '@x'" },
		{ "C_Sign@3-2=CKR_DEVICE_ERROR", "bad call selector '@3-2'" },
		{ "C_Sign@2++=CKR_DEVICE_ERROR", "bad call selector" },
		{ "C_Sign=CKR_DEVICE_EROR",
		    "unknown action 'CKR_DEVICE_EROR'" },
		{ "C_Sign=0x", "unknown action '0x'" },
		{ "C_Sign=", "unknown action ''" },
		{ "C_Sign=hang:", "bad hang time ''" },
		{ "C_Sign=hang:-5", "bad hang time '-5'" },
		{ "C_Sign=hang:600001", "bad hang time '600001'" },
		{ "C_Sign=flags:+CKF_USER_PIN_LOCKED",
		    "flags: only applies to C_GetTokenInfo" },
		{ "C_GetTokenInfo=flags:+CKF_USER_PIN_LOKED",
		    "unknown token flag 'CKF_USER_PIN_LOKED'" },
		{ "C_GetTokenInfo=flags:", "no flags given" },
		{ "C_Login=CKR_PIN_LOCKED,C_Sign@=CKR_OK",
		    "rule 'C_Sign@=CKR_OK'" },
	};
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_BYTE buf[8];
	size_t i;

	(void)state;
	assert_int_equal(p11->C_OpenSession(slot_t, CKF_SERIAL_SESSION, NULL,
			     NULL, &s),
	    CKR_OK);
	assert_int_equal(set_rules("C_GenerateRandom@*=CKR_DEVICE_ERROR"), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *err = NULL;

		assert_int_equal(set_rules_capture(t[i].rules, &err), -1);
		if (strstr(err, t[i].reason) == NULL ||
		    strncmp(err, "p11fault: ", 10) != 0)
			fail_msg("rules '%s': message '%s' does not say '%s'",
			    t[i].rules, err, t[i].reason);
		free(err);
		/* The rules in force stay. */
		assert_int_equal(p11->C_GenerateRandom(s, buf, sizeof(buf)),
		    CKR_DEVICE_ERROR);
	}
	/* More rules than the module holds. */
	{
		char many[4096];
		char *err = NULL;
		size_t used = 0;

		for (i = 0; i < 65; i++)
			used += (size_t)snprintf(many + used,
			    sizeof(many) - used, "C_GetInfo@1=CKR_OK,");
		assert_int_equal(set_rules_capture(many, &err), -1);
		assert_non_null(strstr(err, "more than 64 rules"));
		free(err);
	}
	assert_int_equal(set_rules(NULL), 0);
	assert_int_equal(p11->C_GenerateRandom(s, buf, sizeof(buf)), CKR_OK);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

/* ---- runtime and environment ------------------------------------------ */

static void
test_set_rules_restarts_the_count(void **state)
{
	CK_INFO info;
	int i;

	(void)state;
	assert_int_equal(set_rules("C_GetInfo@3=CKR_DEVICE_ERROR"), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	/* Replaced before the 3rd call: counting starts again. */
	assert_int_equal(set_rules("C_GetInfo@2=CKR_CANCEL"), 0);
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	assert_int_equal(p11->C_GetInfo(&info), CKR_CANCEL);
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	assert_int_equal(log_count("C_GetInfo", NULL), 5);
	assert_int_equal(log_count("C_GetInfo", "CKR_CANCEL injected"), 1);
}

static void
test_environment_is_read_on_reset(void **state)
{
	CK_INFO info;
	char *err = NULL;

	(void)state;
	setenv("P11FAULT", "C_GetInfo@2=CKR_DEVICE_ERROR", 1);
	assert_int_equal(reset(), 0);
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	assert_int_equal(p11->C_GetInfo(&info), CKR_DEVICE_ERROR);
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);

	/* A bad rule in the environment: refused, and no rules at all. */
	setenv("P11FAULT", "C_GetInfo@*=CKR_DEVICE_ERROR,C_GetInf=CKR_OK", 1);
	assert_int_equal(set_rules("C_GetInfo@*=CKR_CANCEL"), 0);
	assert_int_equal(reset_capture(&err), -1);
	assert_non_null(strstr(err, "P11FAULT: rule 'C_GetInf=CKR_OK'"));
	free(err);
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	unsetenv("P11FAULT");
}

/* ---- token flags ------------------------------------------------------- */

static CK_FLAGS
token_flags(void)
{
	CK_TOKEN_INFO ti;

	assert_int_equal(p11->C_GetTokenInfo(slot_t, &ti), CKR_OK);
	return ti.flags;
}

static void
test_token_flags_are_injected(void **state)
{
	/* A PIN running out, one call at a time. */
	static const char pin_running_out[] =
	    "C_GetTokenInfo@2=flags:+CKF_USER_PIN_COUNT_LOW,"
	    "C_GetTokenInfo@3=flags:+CKF_USER_PIN_FINAL_TRY|"
	    "CKF_USER_PIN_COUNT_LOW,"
	    "C_GetTokenInfo@4+=flags:+CKF_USER_PIN_LOCKED"
	    "-CKF_USER_PIN_INITIALIZED";
	const CK_FLAGS pin_flags = CKF_USER_PIN_COUNT_LOW |
				   CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;
	CK_FLAGS real, f;
	char *err = NULL;

	(void)state;
	real = token_flags();
	assert_int_equal(real & pin_flags, 0);
	assert_true(real & CKF_USER_PIN_INITIALIZED);

	assert_int_equal(set_rules(pin_running_out), 0);
	assert_int_equal(token_flags(), real);
	assert_int_equal(token_flags(), real | CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(token_flags(),
	    real | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
	f = token_flags();
	assert_int_equal(f & pin_flags, CKF_USER_PIN_LOCKED);
	assert_int_equal(f & CKF_USER_PIN_INITIALIZED, 0);
	assert_int_equal(token_flags(), f);

	/* From the environment, for every call until the next reset. */
	setenv("P11FAULT_TOKEN_FLAGS", "+CKF_USER_PIN_LOCKED", 1);
	assert_int_equal(reset(), 0);
	assert_int_equal(token_flags(), real | CKF_USER_PIN_LOCKED);
	assert_int_equal(token_flags(), real | CKF_USER_PIN_LOCKED);
	/* Rules add to it, and can take it away again. */
	assert_int_equal(set_rules("C_GetTokenInfo=flags:-CKF_USER_PIN_LOCKED"
				   "+CKF_USER_PIN_FINAL_TRY"),
	    0);
	assert_int_equal(token_flags(), real | CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(token_flags(), real | CKF_USER_PIN_LOCKED);
	setenv("P11FAULT_TOKEN_FLAGS", "CKF_USER_PIN_FINAL_TRY | 0x10000", 1);
	assert_int_equal(reset(), 0);
	assert_int_equal(token_flags(),
	    real | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW);
	/* A bad list: refused by name, and none of it in force. */
	setenv("P11FAULT_TOKEN_FLAGS",
	    "+CKF_USER_PIN_FINAL_TRY+CKF_USER_PIN_LOKED", 1);
	assert_int_equal(reset_capture(&err), -1);
	assert_non_null(strstr(err, "p11fault: P11FAULT_TOKEN_FLAGS: unknown "
				    "token flag 'CKF_USER_PIN_LOKED'"));
	free(err);
	assert_int_equal(token_flags(), real);
	unsetenv("P11FAULT_TOKEN_FLAGS");
	assert_int_equal(reset(), 0);
	assert_int_equal(token_flags(), real);
}

/* ---- mechanisms ------------------------------------------------------- */

#define MAX_MECHS 256

/* The token's mechanism list through the module; returns how many. */
static CK_ULONG
mech_list(CK_MECHANISM_TYPE *list)
{
	CK_ULONG n = 0, m;

	assert_int_equal(p11->C_GetMechanismList(slot_t, NULL, &n), CKR_OK);
	assert_true(n > 0 && n <= MAX_MECHS);
	m = n;
	assert_int_equal(p11->C_GetMechanismList(slot_t, list, &m), CKR_OK);
	assert_int_equal(m, n);
	return n;
}

static int
mech_listed(const CK_MECHANISM_TYPE *list, CK_ULONG n, CK_MECHANISM_TYPE type)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (list[i] == type)
			return 1;
	return 0;
}

static void
test_mechanisms_are_hidden_and_capped(void **state)
{
	CK_MECHANISM_TYPE list[MAX_MECHS], small[MAX_MECHS];
	CK_MECHANISM_INFO ec_real, rsa_real, sha_real, mi;
	CK_SESSION_HANDLE s;
	CK_ULONG n_real, n, short_n;
	char want[96];

	(void)state;
	n_real = mech_list(list);
	assert_true(mech_listed(list, n_real, CKM_ECDSA));
	assert_true(mech_listed(list, n_real, CKM_RSA_PKCS));
	assert_true(mech_listed(list, n_real, CKM_EC_KEY_PAIR_GEN));
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_EC_KEY_PAIR_GEN,
			     &ec_real),
	    CKR_OK);
	assert_int_equal(p11->C_GetMechanismInfo(slot_t,
			     CKM_RSA_PKCS_KEY_PAIR_GEN, &rsa_real),
	    CKR_OK);
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_SHA256_RSA_PKCS,
			     &sha_real),
	    CKR_OK);
	/* The cap below must be a real change. */
	assert_true(ec_real.ulMaxKeySize > 384 && ec_real.ulMinKeySize < 384);
	assert_true(rsa_real.ulMaxKeySize < 100000);

	setenv("P11FAULT_MECHANISMS",
	    " -CKM_ECDSA , CKM_EC_KEY_PAIR_GEN <= 384,-0x1,"
	    "CKM_RSA_PKCS_KEY_PAIR_GEN<=100000",
	    1);
	assert_int_equal(reset(), 0);
	fx_write(log_path, "", 0);

	/* Hidden: out of the list, and unknown to C_GetMechanismInfo. */
	n = mech_list(list);
	assert_int_equal(n, n_real - 2);
	assert_false(mech_listed(list, n, CKM_ECDSA));
	assert_false(mech_listed(list, n, CKM_RSA_PKCS));
	assert_true(mech_listed(list, n, CKM_EC_KEY_PAIR_GEN));
	assert_true(mech_listed(list, n, CKM_SHA256_RSA_PKCS));
	short_n = n - 1;
	assert_int_equal(p11->C_GetMechanismList(slot_t, small, &short_n),
	    CKR_BUFFER_TOO_SMALL);
	assert_int_equal(short_n, n);
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_ECDSA, &mi),
	    CKR_MECHANISM_INVALID);
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_RSA_PKCS, &mi),
	    CKR_MECHANISM_INVALID);
	snprintf(want, sizeof(want),
	    "slot=%lu CKR_MECHANISM_INVALID injected\n", (unsigned long)slot_t);
	assert_int_equal(log_count("C_GetMechanismInfo", want), 2);

	/* Capped: a smaller largest key, the rest as the token says. */
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_EC_KEY_PAIR_GEN,
			     &mi),
	    CKR_OK);
	assert_int_equal(mi.ulMaxKeySize, 384);
	assert_int_equal(mi.ulMinKeySize, ec_real.ulMinKeySize);
	assert_int_equal(mi.flags, ec_real.flags);
	/* A cap above what the token makes changes nothing. */
	assert_int_equal(p11->C_GetMechanismInfo(slot_t,
			     CKM_RSA_PKCS_KEY_PAIR_GEN, &mi),
	    CKR_OK);
	assert_memory_equal(&mi, &rsa_real, sizeof(mi));
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_SHA256_RSA_PKCS,
			     &mi),
	    CKR_OK);
	assert_memory_equal(&mi, &sha_real, sizeof(mi));
	assert_int_equal(log_count("C_GetMechanismInfo", "injected"), 2);

	/* What the token says changes, not what it does. */
	s = open_login(slot_t);
	sign_and_check(s);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);

	/* Rules come first, and set_rules leaves the mechanisms alone. */
	assert_int_equal(set_rules("C_GetMechanismList=CKR_DEVICE_ERROR"), 0);
	n = MAX_MECHS;
	assert_int_equal(p11->C_GetMechanismList(slot_t, list, &n),
	    CKR_DEVICE_ERROR);
	assert_int_equal(mech_list(list), n_real - 2);

	/* Gone with the variable. */
	unsetenv("P11FAULT_MECHANISMS");
	assert_int_equal(reset(), 0);
	assert_int_equal(mech_list(list), n_real);
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_ECDSA, &mi),
	    CKR_OK);
	assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_EC_KEY_PAIR_GEN,
			     &mi),
	    CKR_OK);
	assert_int_equal(mi.ulMaxKeySize, ec_real.ulMaxKeySize);
}

static void
test_bad_mechanisms_are_refused_by_name(void **state)
{
	static const struct {
		const char *mechs;
		const char *reason;
	} t[] = {
		{ "-CKM_ECDSB", "'-CKM_ECDSB': unknown mechanism 'CKM_ECDSB'" },
		{ "CKM_ECDSB<=256", "unknown mechanism 'CKM_ECDSB'" },
		{ "-", "unknown mechanism ''" },
		{ "-0x", "unknown mechanism '0x'" },
		{ "CKM_ECDSA", "'CKM_ECDSA': no change given" },
		{ "+CKM_ECDSA", "no change given" },
		{ "CKM_EC_KEY_PAIR_GEN<=", "bad key size ''" },
		{ "CKM_EC_KEY_PAIR_GEN<=0", "bad key size '0'" },
		{ "CKM_EC_KEY_PAIR_GEN<=-1", "bad key size '-1'" },
		{ "CKM_EC_KEY_PAIR_GEN<=38x", "bad key size '38x'" },
		{ "CKM_ECDSA_SHA256<=256,-CKM_ECDSA,CKM_ECDSA<=256",
		    "'CKM_ECDSA<=256': mechanism changed twice" },
		{ "-CKM_ECDSA,-0x1041", "'-0x1041': mechanism changed twice" },
	};
	CK_MECHANISM_INFO mi;
	char many[2048], prefix[160];
	char *err = NULL;
	size_t i, used = 0;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* Something in force before, so "none of it" can be seen. */
		setenv("P11FAULT_MECHANISMS", "-CKM_ECDSA", 1);
		assert_int_equal(reset(), 0);
		assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_ECDSA,
				     &mi),
		    CKR_MECHANISM_INVALID);

		setenv("P11FAULT_MECHANISMS", t[i].mechs, 1);
		assert_int_equal(reset_capture(&err), -1);
		snprintf(prefix, sizeof(prefix),
		    "p11fault: P11FAULT_MECHANISMS: ");
		if (strncmp(err, prefix, strlen(prefix)) != 0 ||
		    strstr(err, t[i].reason) == NULL)
			fail_msg("'%s': message '%s' does not say '%s'",
			    t[i].mechs, err, t[i].reason);
		free(err);
		/* A bad list hides nothing, not even its good part. */
		assert_int_equal(p11->C_GetMechanismInfo(slot_t, CKM_ECDSA,
				     &mi),
		    CKR_OK);
		assert_int_equal(p11->C_GetMechanismInfo(slot_t,
				     CKM_SHA256_RSA_PKCS, &mi),
		    CKR_OK);
	}
	/* More changes than the module holds; 32 is fine. */
	for (i = 0; i < 32; i++)
		used += (size_t)snprintf(many + used, sizeof(many) - used,
		    "-0x%zx,", 0x80001000 + i);
	setenv("P11FAULT_MECHANISMS", many, 1);
	assert_int_equal(reset(), 0);
	snprintf(many + used, sizeof(many) - used, "-CKM_ECDSA");
	setenv("P11FAULT_MECHANISMS", many, 1);
	assert_int_equal(reset_capture(&err), -1);
	assert_non_null(strstr(err, "more than 32 mechanisms"));
	free(err);
	unsetenv("P11FAULT_MECHANISMS");
	assert_int_equal(reset(), 0);
}

/* ---- sessions and tokens going away ------------------------------------ */

static void
test_close_sessions_loses_the_session(void **state)
{
	CK_SESSION_HANDLE s, s2 = CK_INVALID_HANDLE, s3 = CK_INVALID_HANDLE;
	CK_SESSION_INFO si;
	uint8_t sig[128];
	size_t siglen = sizeof(sig);
	char want[64];

	(void)state;
	s = open_login(slot_t);
	sign_and_check(s);
	assert_int_equal(set_rules("C_Sign@1=close-sessions"), 0);
	assert_int_equal(sign(s, find_key(s, CKO_PRIVATE_KEY), sig, &siglen),
	    CKR_SESSION_HANDLE_INVALID);
	/* The token said so, not p11fault. */
	snprintf(want, sizeof(want), "session=%lu CKR_SESSION_HANDLE_INVALID\n",
	    (unsigned long)s);
	assert_int_equal(log_count("C_Sign", want), 1);
	assert_int_equal(p11->C_GetSessionInfo(s, &si),
	    CKR_SESSION_HANDLE_INVALID);
	/* The login went with it. */
	s = open_login(slot_t);
	sign_and_check(s);

	/* On a slot call: the sessions go before the call runs. */
	assert_int_equal(set_rules("C_OpenSession@1=close-sessions"), 0);
	assert_int_equal(p11->C_OpenSession(slot_t, CKF_SERIAL_SESSION, NULL,
			     NULL, &s2),
	    CKR_OK);
	assert_int_equal(p11->C_GetSessionInfo(s, &si),
	    CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(p11->C_GetSessionInfo(s2, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	assert_int_equal(p11->C_OpenSession(slot_t, CKF_SERIAL_SESSION, NULL,
			     NULL, &s3),
	    CKR_OK);
	assert_int_equal(p11->C_GetSessionInfo(s2, &si), CKR_OK);
	assert_int_equal(p11->C_CloseAllSessions(slot_t), CKR_OK);
}

static void
test_remove_and_reinsert(void **state)
{
	CK_SESSION_HANDLE s, s2, dead = CK_INVALID_HANDLE;
	CK_SLOT_ID again = 0, third = 0;
	CK_SESSION_INFO si;
	CK_SLOT_INFO slot_info;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_TYPE mechs[128];
	CK_ULONG n = 128;
	CK_BYTE buf[8];
	uint8_t sig[128];
	size_t siglen = sizeof(sig);
	char want[64];

	(void)state;
	s = open_login(slot_t);
	assert_int_equal(set_rules("C_Sign=remove"), 0);
	assert_int_equal(sign(s, find_key(s, CKO_PRIVATE_KEY), sig, &siglen),
	    CKR_DEVICE_REMOVED);
	snprintf(want, sizeof(want), "session=%lu CKR_DEVICE_REMOVED injected",
	    (unsigned long)s);
	assert_int_equal(log_count("C_Sign", want), 1);

	/* Out: sessions report removal, the slot has no token. */
	assert_int_equal(p11->C_GenerateRandom(s, buf, sizeof(buf)),
	    CKR_DEVICE_REMOVED);
	assert_int_equal(p11->C_GetTokenInfo(slot_t, &ti),
	    CKR_TOKEN_NOT_PRESENT);
	snprintf(want, sizeof(want), "slot=%lu CKR_TOKEN_NOT_PRESENT injected",
	    (unsigned long)slot_t);
	assert_int_equal(log_count("C_GetTokenInfo", want), 1);
	assert_int_equal(p11->C_GetMechanismList(slot_t, mechs, &n),
	    CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(p11->C_OpenSession(slot_t, CKF_SERIAL_SESSION, NULL,
			     NULL, &dead),
	    CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(p11->C_GetSlotInfo(slot_t, &slot_info), CKR_OK);
	assert_int_equal(slot_info.flags & CKF_TOKEN_PRESENT, 0);
	assert_false(slot_listed(slot_t, CK_TRUE));
	assert_true(slot_listed(slot_t, CK_FALSE));
	assert_false(find_token(&again));

	/* Back in, under another id: found again by serial. */
	assert_int_equal(set_rules("C_GetSlotList=reinsert"), 0);
	assert_true(find_token(&again));
	assert_true(again != slot_t);
	assert_false(slot_listed(slot_t, CK_FALSE));
	assert_int_equal(p11->C_GetTokenInfo(slot_t, &ti), CKR_SLOT_ID_INVALID);
	assert_int_equal(p11->C_GetSlotInfo(again, &slot_info), CKR_OK);
	assert_true(slot_info.flags & CKF_TOKEN_PRESENT);
	/* The old session is gone, and so is the login (Login succeeds). */
	assert_int_equal(p11->C_GenerateRandom(s, buf, sizeof(buf)),
	    CKR_SESSION_HANDLE_INVALID);
	s2 = open_login(again);
	assert_int_equal(p11->C_GetSessionInfo(s2, &si), CKR_OK);
	assert_int_equal(si.slotID, again);
	sign_and_check(s2);

	/* Triggered by C_GetSlotList itself, twice over: a third id. */
	assert_int_equal(set_rules(
			     "C_GetSlotList@1=remove,C_GetSlotList@3=reinsert"),
	    0);
	assert_false(find_token(&third));
	assert_int_equal(p11->C_GenerateRandom(s2, buf, sizeof(buf)),
	    CKR_DEVICE_REMOVED);
	assert_true(find_token(&third));
	assert_true(third != again && third != slot_t);
	assert_int_equal(log_count("C_GetSlotList", "injected"), 0);

	/* reset puts every token back under its first id. */
	assert_int_equal(reset(), 0);
	assert_true(find_token(&again));
	assert_int_equal(again, slot_first);
	assert_int_equal(p11->C_GetTokenInfo(third, &ti), CKR_SLOT_ID_INVALID);
	s = open_login(slot_first);
	sign_and_check(s);
	assert_int_equal(p11->C_CloseSession(s), CKR_OK);
}

/* ---- hang -------------------------------------------------------------- */

static void
test_hang_delays_then_forwards(void **state)
{
	CK_INFO info;
	double t0, elapsed;

	(void)state;
	assert_int_equal(set_rules("C_GetInfo@2=hang:300"), 0);
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	t0 = now_ms();
	memset(&info, 0, sizeof(info));
	assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
	elapsed = now_ms() - t0;
	/* A lower bound only: the sleep is what is tested, not the speed. */
	if (elapsed < 300.0)
		fail_msg("C_GetInfo returned after %.0f ms, not 300", elapsed);
	assert_int_equal(info.cryptokiVersion.major, 2);
	assert_int_equal(log_count("C_GetInfo", "- CKR_OK\n"), 2);
	assert_int_equal(log_count("C_GetInfo", "injected"), 0);
}

/* ---- threads ----------------------------------------------------------- */

#define THREADS 4
#define CALLS 50

static void *
call_many(void *arg)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	long bad = 0;
	int i;

	(void)arg;
	if (p11->C_OpenSession(slot_first, CKF_SERIAL_SESSION, NULL, NULL,
		&s) != CKR_OK)
		return (void *)1L;
	for (i = 0; i < CALLS; i++) {
		CK_INFO info;
		CK_BYTE buf[4];

		bad += p11->C_GetInfo(&info) != CKR_OK;
		bad += p11->C_GenerateRandom(s, buf, sizeof(buf)) != CKR_OK;
	}
	bad += p11->C_CloseSession(s) != CKR_OK;
	return (void *)bad;
}

static void
test_log_counts_from_many_threads(void **state)
{
	pthread_t th[THREADS];
	void *bad;
	int i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, call_many, NULL),
		    0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_null(bad);
	}
	/* Every line whole: exact counts, nothing torn. */
	assert_int_equal(log_count("C_GetInfo", "C_GetInfo - CKR_OK\n"),
	    THREADS * CALLS);
	assert_int_equal(log_count("C_GenerateRandom", " CKR_OK\n"),
	    THREADS * CALLS);
	assert_int_equal(log_count("C_OpenSession", NULL), THREADS);
	assert_int_equal(log_count("C_CloseSession", NULL), THREADS);
	assert_int_equal(log_count("C_Sign", NULL), 0);
	assert_int_equal(log_count("C_Login", NULL), 0);
}

/* ---- an independent client --------------------------------------------- */

/*
 * Under the sanitizers the module needs their runtimes, and pkcs11-tool
 * is not built with them: preload the ones this process runs with, ASan's
 * first (it insists).
 */
static const char *
sanitizer_preload(void)
{
	static const char *const runtimes[] = { "/libasan.so", "/libubsan.so" };
	static char preload[4096];
	char line[4096];
	size_t i;

	if (preload[0] != '\0')
		return preload;
	snprintf(preload, sizeof(preload), "LD_PRELOAD=");
	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		FILE *maps = fopen("/proc/self/maps", "r");

		if (maps == NULL)
			break;
		while (fgets(line, sizeof(line), maps) != NULL) {
			char *path = strchr(line, '/');
			size_t used = strlen(preload);

			if (path == NULL || strstr(path, runtimes[i]) == NULL)
				continue;
			path[strcspn(path, "\n")] = '\0';
			snprintf(preload + used, sizeof(preload) - used, "%s%s",
			    preload[used - 1] == '=' ? "" : ":", path);
			break;
		}
		fclose(maps);
	}
	return preload;
}

/* pkcs11-tool ARGS through p11fault, with env added to its environment. */
static char *
pkcs11_tool_run(int *status, const char *env, const char *args)
{
	if (!fx_have("pkcs11-tool"))
		fail_msg("pkcs11-tool (package opensc) is not installed");
	return fx_sh_output(status,
	    "env -u P11FAULT -u P11FAULT_TOKEN_FLAGS -u P11FAULT_MECHANISMS %s "
	    "ASAN_OPTIONS=detect_leaks=0 P11FAULT_LOG='%s' %s "
	    "pkcs11-tool --module '%s' %s 2>&1",
	    sanitizer_preload(), fx_path("tool.log"), env,
	    getenv("SIGNET_P11FAULT"), args);
}

static char *
pkcs11_tool(int *status, const char *env)
{
	return pkcs11_tool_run(status, env, "--list-slots");
}

static void
test_pkcs11_tool_lists_slots_through_it(void **state)
{
	char want[64], *out;
	size_t len;
	int status = -1;

	(void)state;
	out = pkcs11_tool(&status, "");
	if (status != 0)
		fail_msg("pkcs11-tool failed (%d): %s", status, out);
	assert_non_null(strstr(out, "token label        : t\n"));
	snprintf(want, sizeof(want), "serial num         : %.16s\n",
	    (const char *)serial);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "(0x%lx)", (unsigned long)slot_first);
	assert_non_null(strstr(out, want));
	assert_null(strstr(out, "PIN locked"));
	free(out);
	/* Its calls are in the log its process was given. */
	out = (char *)fx_read(fx_path("tool.log"), &len);
	assert_non_null(strstr(out, "C_Initialize - CKR_OK\n"));
	assert_non_null(strstr(out, "C_GetSlotList - CKR_OK\n"));
	assert_null(strstr(out, "injected"));
	free(out);

	/* The environment reaches a client that knows nothing of p11fault. */
	out = pkcs11_tool(&status, "P11FAULT_TOKEN_FLAGS=+CKF_USER_PIN_LOCKED");
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "user PIN locked"));
	free(out);
	out = pkcs11_tool(&status, "P11FAULT=C_GetSlotList=CKR_DEVICE_ERROR");
	assert_int_not_equal(status, 0);
	assert_non_null(strstr(out, "CKR_DEVICE_ERROR"));
	free(out);
	/* A typo in the rules stops the module loading, and says why. */
	out = pkcs11_tool(&status, "P11FAULT=C_GetSlotLst=CKR_DEVICE_ERROR");
	assert_int_not_equal(status, 0);
	assert_non_null(strstr(out, "unknown function 'C_GetSlotLst'"));
	free(out);
	out = pkcs11_tool(&status, "P11FAULT_MODULE=/nonexistent/module.so");
	assert_int_not_equal(status, 0);
	assert_non_null(strstr(out, "cannot load the real module"));
	free(out);

	/* Hidden and capped mechanisms, as a client lists them. */
	out = pkcs11_tool_run(&status, "", "--token-label t --list-mechanisms");
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "\n  ECDSA, keySize="));
	assert_null(strstr(out, "ECDSA-KEY-PAIR-GEN, keySize={112,384}"));
	free(out);
	out = pkcs11_tool_run(&status,
	    "P11FAULT_MECHANISMS='-CKM_ECDSA,CKM_EC_KEY_PAIR_GEN<=384'",
	    "--token-label t --list-mechanisms");
	assert_int_equal(status, 0);
	assert_null(strstr(out, "\n  ECDSA, keySize="));
	assert_non_null(strstr(out, "ECDSA-KEY-PAIR-GEN, keySize={112,384}"));
	assert_non_null(strstr(out, "\n  SHA256-RSA-PKCS, keySize="));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_forwards_login_generate_sign,
		    setup),
		cmocka_unit_test_setup(test_log_lines_name_slot_and_session,
		    setup),
		cmocka_unit_test_setup(test_rv_rules_fire_on_the_configured_calls,
		    setup),
		cmocka_unit_test_setup(test_login_faults_do_not_reach_the_token,
		    setup),
		cmocka_unit_test_setup(test_failed_sign_ends_the_real_operation,
		    setup),
		cmocka_unit_test_setup(test_bad_rules_are_refused_by_name,
		    setup),
		cmocka_unit_test_setup(test_set_rules_restarts_the_count,
		    setup),
		cmocka_unit_test_setup(test_environment_is_read_on_reset,
		    setup),
		cmocka_unit_test_setup(test_token_flags_are_injected, setup),
		cmocka_unit_test_setup(test_mechanisms_are_hidden_and_capped,
		    setup),
		cmocka_unit_test_setup(test_bad_mechanisms_are_refused_by_name,
		    setup),
		cmocka_unit_test_setup(test_close_sessions_loses_the_session,
		    setup),
		cmocka_unit_test_setup(test_remove_and_reinsert, setup),
		cmocka_unit_test_setup(test_hang_delays_then_forwards, setup),
		cmocka_unit_test_setup(test_log_counts_from_many_threads,
		    setup),
		cmocka_unit_test_setup(test_pkcs11_tool_lists_slots_through_it,
		    setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
