/*
 * Generating a CA key pair on the token. The private key is created
 * sensitive and non-extractable, so it never exists outside the token;
 * what the token made is read back and checked rather than trusted, and
 * a first signature is verified with the public key before the key is
 * handed out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "token/token_int.h"

#define KEYGEN_ID_LEN 16

static int
keygen_mechanism_check(struct signet_token *tok, enum signet_key_type type,
    int wrappable)
{
	int r = SIGNET_ERR_INTERNAL;
	int ec = type <= SIGNET_KEY_EC_P521;
	char purpose[96];

	snprintf(purpose, sizeof(purpose), "generate %s keys",
	    signet_key_type_name(type));
	if ((r = token_mech_require(tok,
		 ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN,
		 CKF_GENERATE_KEY_PAIR, type, purpose)) != 0)
		goto out;
	snprintf(purpose, sizeof(purpose), "sign with %s keys",
	    signet_key_type_name(type));
	if ((r = token_mech_require(tok, ec ? CKM_ECDSA : CKM_RSA_PKCS,
		 CKF_SIGN, type, purpose)) != 0)
		goto out;
	/* A key made for backup that the token could never wrap out. */
	if (wrappable && (r = token_backup_source_check(tok)) != 0) {
		signet_error_context(r,
		    "generating a key for backup by wrapping");
		goto out;
	}
	r = 0;
out:
	return r;
}

/* Refuse a label or id already in use by any object on the token. */
int
token_conflict_check(struct signet_token *tok, CK_SESSION_HANDLE s,
    const char *label, const uint8_t *id, size_t id_len)
{
	struct token_key_ref ref;
	CK_OBJECT_HANDLE h;
	char hex[2 * SIGNET_KEY_ID_MAX + 1];
	size_t n = 0, i;
	int r;

	memset(&ref, 0, sizeof(ref));
	snprintf(ref.label, sizeof(ref.label), "%s", label);
	ref.has_label = 1;
	if ((r = token_objects_find(tok, s, -1, &ref, &h, 1, &n)) != 0)
		return r;
	if (n > 0)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "token '%s' already holds an object labelled '%s'; signet "
		    "never replaces a key: choose another label",
		    tok->label, label);
	memset(&ref, 0, sizeof(ref));
	memcpy(ref.id, id, id_len);
	ref.id_len = id_len;
	ref.has_id = 1;
	if ((r = token_objects_find(tok, s, -1, &ref, &h, 1, &n)) != 0)
		return r;
	if (n > 0) {
		for (i = 0; i < id_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		hex[2 * id_len] = '\0';
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "token '%s' already holds an object with id %s; signet "
		    "never replaces a key: choose another id",
		    tok->label, hex);
	}
	return 0;
}

static int
label_check(const char *label)
{
	size_t i, len;

	if (label == NULL || (len = strlen(label)) == 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a key needs a label (--label NAME)");
	if (len > SIGNET_KEY_LABEL_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "key label is %zu bytes long; at most %d are allowed", len,
		    SIGNET_KEY_LABEL_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "key label holds a control character");
	return 0;
}

/* Sign a fresh random message and verify it with the public key alone. */
static int
keygen_selftest(struct signet_key *key)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_signer *signer = NULL;
	enum signet_sig_alg alg = SIGNET_SIG_NONE;
	uint8_t msg[32], *sig = NULL;
	size_t siglen = 0;

	if ((r = signet_token_random(key->tok, msg, sizeof(msg))) != 0 ||
	    (r = signet_sig_alg_for_key(key->pub, 0, &alg)) != 0 ||
	    (r = signet_key_signer(key, &signer)) != 0 ||
	    (r = signet_signer_sign(signer, alg, msg, sizeof(msg), &sig,
		 &siglen)) != 0 ||
	    (r = signet_verify(key->pub, alg, msg, sizeof(msg), sig, siglen)) !=
		0) {
		signet_error_context(r, "test signature with the new key");
		goto out;
	}
	r = 0;
out:
	free(sig);
	signet_signer_free(signer);
	return r;
}

int
signet_key_generate(struct signet_token *tok, enum signet_key_type type,
    const char *label, const uint8_t *id, size_t id_len,
    struct signet_key **out)
{
	return signet_key_generate_flags(tok, type, label, id, id_len, 0, out);
}

int
signet_key_generate_flags(struct signet_token *tok, enum signet_key_type type,
    const char *label, const uint8_t *id, size_t id_len, unsigned flags,
    struct signet_key **out)
{
	int r = SIGNET_ERR_INTERNAL;
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static const uint8_t f4[] = { 0x01, 0x00, 0x01 }; /* e = 65537 */
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE pubh = CK_INVALID_HANDLE, privh = CK_INVALID_HANDLE;
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_ULONG modulus_bits = 0;
	CK_ATTRIBUTE pub[10], priv[11];
	int wrappable = (flags & SIGNET_KEYGEN_TRUSTED_WRAP) != 0;
	CK_ULONG npub = 0, npriv = 0;
	struct signet_key_info info;
	struct signet_key *key = NULL;
	uint8_t rid[KEYGEN_ID_LEN];
	const uint8_t *params;
	size_t params_len = 0, label_len;
	unsigned long gen = 0;
	CK_KEY_TYPE kt;
	CK_RV rv;
	int locked = 0;
	char what[256];

	*out = NULL;
	if ((r = label_check(label)) != 0)
		goto out;
	if ((flags & ~(unsigned)SIGNET_KEYGEN_TRUSTED_WRAP) != 0) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "unknown key generation flags 0x%x", flags);
		goto out;
	}
	if (wrappable && !tok->allow_trusted_wrap) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "a key for backup needs the token opened with "
		    "allow_trusted_wrap");
		goto out;
	}
	label_len = strlen(label);
	if (id != NULL && (id_len == 0 || id_len > SIGNET_KEY_ID_MAX)) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "a key id must be 1 to %d bytes, not %zu",
		    SIGNET_KEY_ID_MAX, id_len);
		goto out;
	}
	switch (type) {
	case SIGNET_KEY_EC_P256:
	case SIGNET_KEY_EC_P384:
	case SIGNET_KEY_EC_P521:
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		params = token_curve_params(type, &params_len);
		break;
	case SIGNET_KEY_RSA_2048:
	case SIGNET_KEY_RSA_3072:
	case SIGNET_KEY_RSA_4096:
		modulus_bits = type == SIGNET_KEY_RSA_2048   ? 2048
			       : type == SIGNET_KEY_RSA_3072 ? 3072
							     : 4096;
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		params = NULL;
		break;
	case SIGNET_KEY_NONE:
	default:
		r = signet_error_set(SIGNET_ERR_USAGE, "no key type chosen");
		goto out;
	}
	if ((r = token_check_pid(tok)) != 0)
		goto out;
	/* Recovery must not reopen sessions under a generation in progress. */
	pthread_rwlock_rdlock(&tok->gen_lock);
	locked = 1;
	gen = tok->generation;
	if ((r = keygen_mechanism_check(tok, type, wrappable)) != 0)
		goto out;
	if ((r = token_rw_session_open(tok, &s)) != 0)
		goto out;
	if (id == NULL) {
		TOKEN_CHECK(tok->fl->C_GenerateRandom(s, rid, sizeof(rid)),
		    "token '%s' cannot generate a key id", tok->label);
		id = rid;
		id_len = sizeof(rid);
	}
	if ((r = token_conflict_check(tok, s, label, id, id_len)) != 0)
		goto out;

#define ATTR(t, a, v, l)                        \
	do {                                    \
		(t)[n##t].type = (a);           \
		(t)[n##t].pValue = (void *)(v); \
		(t)[n##t].ulValueLen = (l);     \
		n##t++;                         \
	} while (0)
	/*
	 * The public key's usage (CKA_VERIFY, CKA_ENCRYPT) is left to the
	 * token: signet verifies in software, and some tokens derive it from
	 * the private key's (tpm2-pkcs11 refuses a template that sets them
	 * apart). What protects the key is asked of the private key below.
	 */
	ATTR(pub, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(pub, CKA_PRIVATE, &no, sizeof(no));
	/* Nothing is wrapped to a CA key. */
	ATTR(pub, CKA_WRAP, &no, sizeof(no));
	ATTR(pub, CKA_LABEL, label, label_len);
	ATTR(pub, CKA_ID, id, id_len);
	if (params != NULL) {
		ATTR(pub, CKA_EC_PARAMS, params, params_len);
	} else {
		ATTR(pub, CKA_MODULUS_BITS, &modulus_bits,
		    sizeof(modulus_bits));
		ATTR(pub, CKA_PUBLIC_EXPONENT, f4, sizeof(f4));
	}
	ATTR(priv, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(priv, CKA_PRIVATE, &yes, sizeof(yes));
	ATTR(priv, CKA_SENSITIVE, &yes, sizeof(yes));
	ATTR(priv, CKA_EXTRACTABLE, wrappable ? &yes : &no, sizeof(no));
	if (wrappable)
		ATTR(priv, CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes));
	ATTR(priv, CKA_SIGN, &yes, sizeof(yes));
	ATTR(priv, CKA_DECRYPT, &no, sizeof(no));
	ATTR(priv, CKA_UNWRAP, &no, sizeof(no));
	ATTR(priv, CKA_DERIVE, &no, sizeof(no));
	ATTR(priv, CKA_LABEL, label, label_len);
	ATTR(priv, CKA_ID, id, id_len);
#undef ATTR

	/* New objects on a file-backed token: under the module's lock. */
	if ((r = token_module_lock(tok->mod)) != 0)
		goto out;
	rv = tok->fl->C_GenerateKeyPair(s, &mech, pub, npub, priv, npriv, &pubh,
	    &privh);
	token_module_unlock(tok->mod);
	TOKEN_CHECK(rv, "token '%s' failed to generate a %s key pair",
	    tok->label, signet_key_type_name(type));
	/* Trust what the token reports, not what was asked for. */
	if ((r = token_key_read_info(tok, s, privh, &info, &kt)) != 0)
		goto out;
	snprintf(what, sizeof(what), "the new key '%s' on token '%s'", label,
	    tok->label);
	if ((r = token_key_check_safe(&info, wrappable, what)) != 0)
		goto out;
	if (wrappable && !info.wrap_with_trusted) {
		r = signet_error_set(SIGNET_ERR_KEY_UNSAFE,
		    "%s came out extractable without CKA_WRAP_WITH_TRUSTED: "
		    "the token does not keep the attribute, so it could "
		    "not limit who wraps the key; generate keys "
		    "non-extractable and back them up with the HSM vendor's "
		    "own protocol",
		    what);
		goto out;
	}
	if (info.type != type) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' made a %s key when asked for %s", tok->label,
		    info.type_name, signet_key_type_name(type));
		goto out;
	}
	if ((r = token_key_new(tok, s, privh, gen, 0, &key)) != 0)
		goto out;
	pthread_rwlock_unlock(&tok->gen_lock);
	locked = 0;
	if ((r = keygen_selftest(key)) != 0)
		goto out;
	*out = key;
	key = NULL;
	pubh = privh = CK_INVALID_HANDLE;
	r = 0;
out:
	/*
	 * A key pair made here and refused is not left behind; a token that
	 * will not destroy it is named, never said to have.
	 */
	if (s != CK_INVALID_HANDLE) {
		if (privh != CK_INVALID_HANDLE) {
			CK_RV drv = tok->fl->C_DestroyObject(s, privh);
			char ckr[48];

			if (pubh != CK_INVALID_HANDLE)
				(void)tok->fl->C_DestroyObject(s, pubh);
			if (token_rv_class(drv) == TOKEN_RV_OK)
				signet_error_context(r,
				    "%s (the key pair was destroyed)",
				    "key generation");
			else
				signet_error_context(r,
				    "key generation (the token would not "
				    "destroy the refused key '%s': %s; remove "
				    "it with the token's own tools)",
				    label, token_ckr_name(drv, ckr));
		} else if (pubh != CK_INVALID_HANDLE) {
			(void)tok->fl->C_DestroyObject(s, pubh);
		}
		token_rw_session_close(tok, s);
	}
	if (locked)
		pthread_rwlock_unlock(&tok->gen_lock);
	signet_key_free(key);
	return r;
}
