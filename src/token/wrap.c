/*
 * Backing a key up to another token by wrapping (include/signet/token.h,
 * "Key backup"). The trust decision belongs to the source token's security
 * officer: only a key the SO marks CKA_TRUSTED may wrap a key generated
 * with CKA_WRAP_WITH_TRUSTED (PKCS#11 2.40 4.9), so a user PIN alone can
 * never get the key out. Every one-time key is a session object and is
 * destroyed before returning; a copy that fails a check is destroyed too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "token/token_int.h"
#include "util/codec.h"

#define TRANSPORT_BITS 3072
#define BACKUP_AES_BYTES 32
#define WRAPPED_MAX ((CK_ULONG)64 * 1024)

static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static const uint8_t f4[] = { 0x01, 0x00, 0x01 }; /* e = 65537 */

/* OAEP as SoftHSM and most HSMs take it for key transport. */
static CK_RSA_PKCS_OAEP_PARAMS oaep_params = { CKM_SHA_1, CKG_MGF1_SHA1,
	CKZ_DATA_SPECIFIED, NULL, 0 };

struct attrs {
	CK_ATTRIBUTE v[20];
	CK_ULONG n;
};

static void
attr_add(struct attrs *a, CK_ATTRIBUTE_TYPE type, const void *v, size_t len)
{
	/* Templates here are fixed and small; sizes are checked by design. */
	a->v[a->n].type = type;
	a->v[a->n].pValue = (void *)v;
	a->v[a->n].ulValueLen = (CK_ULONG)len;
	a->n++;
}

static int
mech_check(struct signet_token *tok, CK_MECHANISM_TYPE m, CK_FLAGS need,
    enum signet_key_type type, const char *why)
{
	char purpose[160];

	snprintf(purpose, sizeof(purpose),
	    "%s in a backup by wrapping; use the HSM vendor's own backup "
	    "protocol",
	    why);
	return token_mech_require(tok, m, need, type, purpose);
}

int
token_backup_source_check(struct signet_token *tok)
{
	int r;

	if ((r = mech_check(tok, CKM_AES_KEY_GEN, CKF_GENERATE, SIGNET_KEY_NONE,
		 "make the one-time wrapping key")) != 0 ||
	    (r = mech_check(tok, CKM_AES_KEY_WRAP_PAD, CKF_WRAP,
		 SIGNET_KEY_NONE, "wrap the key")) != 0 ||
	    (r = mech_check(tok, CKM_RSA_PKCS_OAEP, CKF_WRAP, SIGNET_KEY_NONE,
		 "wrap the one-time key")) != 0)
		return r;
	return 0;
}

/* What a key made for backup must be; anything else is explained. */
static int
backup_key_check(const struct signet_key *key)
{
	const struct signet_key_info *ki = &key->info;

	if (!ki->extractable)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "key '%s' on token '%s' is not extractable "
		    "(CKA_EXTRACTABLE "
		    "false%s): no token will wrap it, by design, so signet "
		    "cannot back it up. Back it up with the HSM vendor's own "
		    "protocol (a backup HSM, token cloning, or key shares on "
		    "smart cards), or, where wrapping is wanted, generate keys "
		    "with 'backup: wrap-with-trusted' on a token that honours "
		    "CKA_WRAP_WITH_TRUSTED (docs/ceremony.md)",
		    ki->label, key->tok->label,
		    ki->never_extractable ? ", and never was" : "");
	if (!ki->wrap_with_trusted || !ki->sensitive)
		return signet_error_set(SIGNET_ERR_KEY_UNSAFE,
		    "key '%s' on token '%s' is extractable without "
		    "CKA_WRAP_WITH_TRUSTED%s: anyone with the user PIN could "
		    "wrap it to a key of their own; signet does not use such "
		    "keys",
		    ki->label, key->tok->label,
		    ki->sensitive ? "" : " and not sensitive");
	if (key->ck_type != CKK_EC && key->ck_type != CKK_RSA)
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "key '%s' is neither EC nor RSA", ki->label);
	return 0;
}

struct conflict_req {
	const struct signet_key *key;
};

static int
conflict_fn(struct signet_token *tok, CK_SESSION_HANDLE s, unsigned long gen,
    void *arg)
{
	const struct signet_key *key = ((struct conflict_req *)arg)->key;

	(void)gen;
	return token_conflict_check(tok, s, key->info.label, key->info.id,
	    key->info.id_len);
}

int
signet_key_backup_check(struct signet_key *key, struct signet_token *dst)
{
	struct signet_token *src = key->tok;
	struct conflict_req req = { key };
	int r;

	if ((r = token_check_pid(src)) != 0 || (r = token_check_pid(dst)) != 0)
		return r;
	if ((r = backup_key_check(key)) != 0)
		return r;
	if (src == dst ||
	    (strcmp(src->serial, dst->serial) == 0 &&
		strcmp(src->model, dst->model) == 0 &&
		strcmp(src->manufacturer, dst->manufacturer) == 0))
		return signet_error_set(SIGNET_ERR_USAGE,
		    "the backup token is the key's own token '%s'; a backup "
		    "goes to another token",
		    src->label);
	if (!dst->allow_trusted_wrap)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "the backup token must be opened with allow_trusted_wrap "
		    "to hold a copy that can be restored the same way");
	if ((r = token_backup_source_check(src)) != 0 ||
	    (r = mech_check(dst, CKM_RSA_PKCS_KEY_PAIR_GEN,
		 CKF_GENERATE_KEY_PAIR, SIGNET_KEY_RSA_3072,
		 "make the transport key")) != 0 ||
	    (r = mech_check(dst, CKM_RSA_PKCS_OAEP, CKF_UNWRAP, SIGNET_KEY_NONE,
		 "unwrap the one-time key")) != 0 ||
	    (r = mech_check(dst, CKM_AES_KEY_WRAP_PAD, CKF_UNWRAP,
		 SIGNET_KEY_NONE, "unwrap the key")) != 0)
		return r;
	/* The copy keeps the key's label and id: they must be free there. */
	if ((r = token_with_session(dst, conflict_fn, &req)) != 0)
		return signet_error_context(r, "backup token '%s'", dst->label);
	return 0;
}

/* C_WrapKey into a fresh buffer (size first, then the bytes). */
static int
wrap_key(struct signet_token *tok, CK_SESSION_HANDLE s, CK_MECHANISM *m,
    CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key, const char *what,
    uint8_t **out, size_t *len)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_ULONG n = 0;
	uint8_t *buf = NULL;

	*out = NULL;
	*len = 0;
	TOKEN_CHECK(tok->fl->C_WrapKey(s, m, wrapping, key, NULL, &n),
	    "token '%s' refuses to wrap %s", tok->label, what);
	if (n == 0 || n > WRAPPED_MAX) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' gives an implausible size (%lu) for %s",
		    tok->label, (unsigned long)n, what);
		goto out;
	}
	if ((buf = malloc(n)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	TOKEN_CHECK(tok->fl->C_WrapKey(s, m, wrapping, key, buf, &n),
	    "token '%s' refuses to wrap %s", tok->label, what);
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

/* The key's public half in PKCS#11 attributes, for the copy's public key. */
struct pub_attrs {
	uint8_t point[140]; /* DER OCTET STRING of the uncompressed point */
	size_t point_len;
	uint8_t n[512], e[16];
	size_t n_len, e_len;
};

static int
pub_attrs_get(const struct signet_key *key, struct pub_attrs *pa)
{
	uint8_t raw[136];
	size_t raw_len = 0;
	BIGNUM *n = NULL, *e = NULL;
	int r = SIGNET_ERR_CRYPTO;

	memset(pa, 0, sizeof(*pa));
	if (key->ck_type == CKK_EC) {
		if (!EVP_PKEY_get_octet_string_param(key->pub,
			OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw, sizeof(raw),
			&raw_len) ||
		    raw_len > 133)
			goto fail;
		/* PKCS#11 2.40 2.3.3: CKA_EC_POINT is DER OCTET STRING. */
		pa->point[0] = 0x04;
		if (raw_len < 0x80) {
			pa->point[1] = (uint8_t)raw_len;
			memcpy(pa->point + 2, raw, raw_len);
			pa->point_len = raw_len + 2;
		} else {
			pa->point[1] = 0x81;
			pa->point[2] = (uint8_t)raw_len;
			memcpy(pa->point + 3, raw, raw_len);
			pa->point_len = raw_len + 3;
		}
		return 0;
	}
	if (!EVP_PKEY_get_bn_param(key->pub, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key->pub, OSSL_PKEY_PARAM_RSA_E, &e) ||
	    BN_num_bytes(n) > (int)sizeof(pa->n) ||
	    BN_num_bytes(e) > (int)sizeof(pa->e))
		goto fail;
	pa->n_len = (size_t)BN_bn2bin(n, pa->n);
	pa->e_len = (size_t)BN_bn2bin(e, pa->e);
	r = 0;
fail:
	if (r != 0)
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot read the public key of key '%s'", key->info.label);
	BN_free(n);
	BN_free(e);
	return r;
}

/* An RSA public key from its modulus and exponent (the transport key). */
static int
rsa_spki_sha256(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
    char out[65])
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	unsigned char *der = NULL;
	int len, r = SIGNET_ERR_CRYPTO;

	if ((bn = BN_bin2bn(n, (int)n_len, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)e_len, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0 ||
	    (len = i2d_PUBKEY(pkey, &der)) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot read the transport key");
		goto out;
	}
	r = sha256_hex(der, (size_t)len, out);
out:
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return r;
}

/* State of one backup, so that every path cleans up the same way. */
struct backup {
	struct signet_key *key;
	struct signet_token *src, *dst;
	struct signet_secret *so_pin;
	CK_SESSION_HANDLE t; /* on dst */
	CK_OBJECT_HANDLE tpub, tpriv, aes_dst, copy_priv, copy_pub;
	uint8_t n[TRANSPORT_BITS / 8 + 8], e[16];
	CK_ULONG n_len, e_len;
	uint8_t *wrapped_aes, *wrapped_key;
	size_t wrapped_aes_len, wrapped_key_len;
	struct signet_backup_info info;
};

static void
destroy(struct signet_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *h)
{
	if (*h != CK_INVALID_HANDLE)
		(void)tok->fl->C_DestroyObject(s, *h);
	*h = CK_INVALID_HANDLE;
}

/* On the backup token: a one-time RSA transport key pair. */
static int
backup_transport(struct backup *b)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_token *dst = b->dst;
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = TRANSPORT_BITS;
	CK_ATTRIBUTE get[2];
	struct attrs pub = { .n = 0 }, priv = { .n = 0 };

	attr_add(&pub, CKA_TOKEN, &no, sizeof(no));
	attr_add(&pub, CKA_PRIVATE, &no, sizeof(no));
	attr_add(&pub, CKA_WRAP, &yes, sizeof(yes));
	attr_add(&pub, CKA_ENCRYPT, &no, sizeof(no));
	attr_add(&pub, CKA_VERIFY, &no, sizeof(no));
	attr_add(&pub, CKA_MODULUS_BITS, &bits, sizeof(bits));
	attr_add(&pub, CKA_PUBLIC_EXPONENT, f4, sizeof(f4));
	attr_add(&priv, CKA_TOKEN, &no, sizeof(no));
	attr_add(&priv, CKA_PRIVATE, &yes, sizeof(yes));
	attr_add(&priv, CKA_SENSITIVE, &yes, sizeof(yes));
	attr_add(&priv, CKA_EXTRACTABLE, &no, sizeof(no));
	attr_add(&priv, CKA_UNWRAP, &yes, sizeof(yes));
	attr_add(&priv, CKA_DECRYPT, &no, sizeof(no));
	attr_add(&priv, CKA_SIGN, &no, sizeof(no));
	TOKEN_CHECK(dst->fl->C_GenerateKeyPair(b->t, &m, pub.v, pub.n, priv.v,
			priv.n, &b->tpub, &b->tpriv),
	    "backup token '%s' cannot make a transport key", dst->label);
	get[0].type = CKA_MODULUS;
	get[0].pValue = b->n;
	get[0].ulValueLen = sizeof(b->n);
	get[1].type = CKA_PUBLIC_EXPONENT;
	get[1].pValue = b->e;
	get[1].ulValueLen = sizeof(b->e);
	TOKEN_CHECK(dst->fl->C_GetAttributeValue(b->t, b->tpub, get, 2),
	    "cannot read the transport key on token '%s'", dst->label);
	b->n_len = get[0].ulValueLen;
	b->e_len = get[1].ulValueLen;
	if ((r = rsa_spki_sha256(b->n, b->n_len, b->e, b->e_len,
		 b->info.transport_spki_sha256)) != 0)
		goto out;
	r = 0;
out:
	return r;
}

/*
 * On the source token: as its security officer, trust the transport key
 * and make the one-time AES key; as the user again, wrap the key with it.
 * The session stays the only one open throughout: the one-time keys are
 * its session objects and die with it.
 */
static int
backup_wrap(struct backup *b)
{
	int r = SIGNET_ERR_INTERNAL, rr;
	struct signet_token *src = b->src;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE wpub = CK_INVALID_HANDLE, aes = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE found[2];
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_MECHANISM oaep = { CKM_RSA_PKCS_OAEP, &oaep_params,
		sizeof(oaep_params) };
	CK_MECHANISM kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY, sec_class = CKO_SECRET_KEY;
	CK_KEY_TYPE rsa = CKK_RSA, aes_type = CKK_AES;
	CK_ULONG aes_len = BACKUP_AES_BYTES;
	struct attrs wt = { .n = 0 }, at = { .n = 0 };
	struct signet_key_info info;
	CK_KEY_TYPE kt;
	const char *pin;
	size_t pin_len = 0, n = 0;
	int so_in = 0;
	CK_RV rv;

	if ((r = token_exclusive_begin(src, &s)) != 0)
		return r;
	pin = secret_get0(b->so_pin, &pin_len);
	if ((r = token_module_lock(src->mod)) != 0)
		goto out;
	rv = src->fl->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)pin, pin_len);
	token_module_unlock(src->mod);
	if (token_rv_class(rv) != TOKEN_RV_OK) {
		/* Never retried: a wrong SO PIN must not be tried again. */
		r = token_error_ckr(0, rv,
		    "logging in to token '%s' (serial %s) as its security "
		    "officer",
		    src->label, src->serial);
		goto out;
	}
	so_in = 1;
	attr_add(&wt, CKA_CLASS, &pub_class, sizeof(pub_class));
	attr_add(&wt, CKA_KEY_TYPE, &rsa, sizeof(rsa));
	attr_add(&wt, CKA_TOKEN, &no, sizeof(no));
	attr_add(&wt, CKA_PRIVATE, &no, sizeof(no));
	attr_add(&wt, CKA_WRAP, &yes, sizeof(yes));
	attr_add(&wt, CKA_ENCRYPT, &no, sizeof(no));
	attr_add(&wt, CKA_VERIFY, &no, sizeof(no));
	attr_add(&wt, CKA_TRUSTED, &yes, sizeof(yes));
	attr_add(&wt, CKA_MODULUS, b->n, b->n_len);
	attr_add(&wt, CKA_PUBLIC_EXPONENT, b->e, b->e_len);
	TOKEN_CHECK(src->fl->C_CreateObject(s, wt.v, wt.n, &wpub),
	    "token '%s' will not take the transport key as trusted",
	    src->label);
	attr_add(&at, CKA_CLASS, &sec_class, sizeof(sec_class));
	attr_add(&at, CKA_KEY_TYPE, &aes_type, sizeof(aes_type));
	attr_add(&at, CKA_VALUE_LEN, &aes_len, sizeof(aes_len));
	attr_add(&at, CKA_TOKEN, &no, sizeof(no));
	attr_add(&at, CKA_PRIVATE, &no, sizeof(no));
	attr_add(&at, CKA_SENSITIVE, &yes, sizeof(yes));
	attr_add(&at, CKA_EXTRACTABLE, &yes, sizeof(yes));
	attr_add(&at, CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes));
	attr_add(&at, CKA_TRUSTED, &yes, sizeof(yes));
	attr_add(&at, CKA_WRAP, &yes, sizeof(yes));
	attr_add(&at, CKA_UNWRAP, &no, sizeof(no));
	attr_add(&at, CKA_ENCRYPT, &no, sizeof(no));
	attr_add(&at, CKA_DECRYPT, &no, sizeof(no));
	TOKEN_CHECK(src->fl->C_GenerateKey(s, &gen, at.v, at.n, &aes),
	    "token '%s' cannot make the one-time wrapping key", src->label);
	if ((r = wrap_key(src, s, &oaep, wpub, aes, "the one-time AES key",
		 &b->wrapped_aes, &b->wrapped_aes_len)) != 0)
		goto out;
	TOKEN_CHECK(src->fl->C_Logout(s),
	    "logging the security officer out of token '%s'", src->label);
	so_in = 0;
	/* Public session objects survive the logout; the user logs in again. */
	if ((r = token_exclusive_login(src, s)) != 0)
		goto out;
	/* Private handles died with the logout: find the key again. */
	if ((r = token_objects_find(src, s, CKO_PRIVATE_KEY, &b->key->ref,
		 found, 2, &n)) != 0)
		goto out;
	if (n != 1) {
		r = signet_error_set(SIGNET_ERR_KEY_NOT_FOUND,
		    "%zu keys on token '%s' match key '%s' after the security "
		    "officer's login; expected exactly one",
		    n, src->label, b->key->info.label);
		goto out;
	}
	if ((r = token_key_read_info(src, s, found[0], &info, &kt)) != 0)
		goto out;
	if (kt != b->key->ck_type || info.type != b->key->info.type) {
		r = signet_error_set(SIGNET_ERR_KEY_NOT_FOUND,
		    "key '%s' on token '%s' changed kind during the backup",
		    info.label, src->label);
		goto out;
	}
	if ((r = wrap_key(src, s, &kwp, aes, found[0], "the key",
		 &b->wrapped_key, &b->wrapped_key_len)) != 0)
		goto out;
	r = 0;
out:
	if (so_in)
		(void)src->fl->C_Logout(s);
	destroy(src, s, &aes);
	destroy(src, s, &wpub);
	/* The user is logged in again (once) whatever happened above. */
	if ((rr = token_exclusive_end(src, s)) != 0 && r == 0)
		r = rr;
	return r;
}

/* On the backup token: unwrap the one-time key, then the key, beside its
 * public key object. */
static int
backup_unwrap(struct backup *b)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_token *dst = b->dst;
	const struct signet_key_info *ki = &b->key->info;
	CK_MECHANISM oaep = { CKM_RSA_PKCS_OAEP, &oaep_params,
		sizeof(oaep_params) };
	CK_MECHANISM kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_CLASS sec_class = CKO_SECRET_KEY,
			priv_class = CKO_PRIVATE_KEY;
	CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
	CK_KEY_TYPE aes_type = CKK_AES, kt = b->key->ck_type;
	struct attrs at = { .n = 0 }, pt = { .n = 0 }, ut = { .n = 0 };
	struct pub_attrs pa;
	const uint8_t *params;
	size_t params_len = 0, label_len = strlen(ki->label);

	if ((r = pub_attrs_get(b->key, &pa)) != 0)
		goto out;
	attr_add(&at, CKA_CLASS, &sec_class, sizeof(sec_class));
	attr_add(&at, CKA_KEY_TYPE, &aes_type, sizeof(aes_type));
	attr_add(&at, CKA_TOKEN, &no, sizeof(no));
	attr_add(&at, CKA_PRIVATE, &yes, sizeof(yes));
	attr_add(&at, CKA_SENSITIVE, &yes, sizeof(yes));
	attr_add(&at, CKA_EXTRACTABLE, &no, sizeof(no));
	attr_add(&at, CKA_UNWRAP, &yes, sizeof(yes));
	attr_add(&at, CKA_WRAP, &no, sizeof(no));
	attr_add(&at, CKA_ENCRYPT, &no, sizeof(no));
	attr_add(&at, CKA_DECRYPT, &no, sizeof(no));
	TOKEN_CHECK(dst->fl->C_UnwrapKey(b->t, &oaep, b->tpriv, b->wrapped_aes,
			b->wrapped_aes_len, at.v, at.n, &b->aes_dst),
	    "backup token '%s' cannot unwrap the one-time key", dst->label);
	/* The copy is what the key was: sensitive, wrappable only under trust. */
	attr_add(&pt, CKA_CLASS, &priv_class, sizeof(priv_class));
	attr_add(&pt, CKA_KEY_TYPE, &kt, sizeof(kt));
	attr_add(&pt, CKA_TOKEN, &yes, sizeof(yes));
	attr_add(&pt, CKA_PRIVATE, &yes, sizeof(yes));
	attr_add(&pt, CKA_SENSITIVE, &yes, sizeof(yes));
	attr_add(&pt, CKA_EXTRACTABLE, &yes, sizeof(yes));
	attr_add(&pt, CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes));
	attr_add(&pt, CKA_SIGN, &yes, sizeof(yes));
	attr_add(&pt, CKA_DECRYPT, &no, sizeof(no));
	attr_add(&pt, CKA_UNWRAP, &no, sizeof(no));
	attr_add(&pt, CKA_DERIVE, &no, sizeof(no));
	attr_add(&pt, CKA_LABEL, ki->label, label_len);
	attr_add(&pt, CKA_ID, ki->id, ki->id_len);
	TOKEN_CHECK(dst->fl->C_UnwrapKey(b->t, &kwp, b->aes_dst, b->wrapped_key,
			b->wrapped_key_len, pt.v, pt.n, &b->copy_priv),
	    "backup token '%s' cannot unwrap the key", dst->label);
	attr_add(&ut, CKA_CLASS, &pub_class, sizeof(pub_class));
	attr_add(&ut, CKA_KEY_TYPE, &kt, sizeof(kt));
	attr_add(&ut, CKA_TOKEN, &yes, sizeof(yes));
	attr_add(&ut, CKA_PRIVATE, &no, sizeof(no));
	attr_add(&ut, CKA_VERIFY, &yes, sizeof(yes));
	attr_add(&ut, CKA_ENCRYPT, &no, sizeof(no));
	attr_add(&ut, CKA_WRAP, &no, sizeof(no));
	attr_add(&ut, CKA_LABEL, ki->label, label_len);
	attr_add(&ut, CKA_ID, ki->id, ki->id_len);
	if (kt == CKK_EC) {
		params = token_curve_params(ki->type, &params_len);
		if (params == NULL) {
			r = signet_error_set(SIGNET_ERR_TOKEN,
			    "key '%s' is on a curve signet does not know",
			    ki->label);
			goto out;
		}
		attr_add(&ut, CKA_EC_PARAMS, params, params_len);
		attr_add(&ut, CKA_EC_POINT, pa.point, pa.point_len);
	} else {
		attr_add(&ut, CKA_MODULUS, pa.n, pa.n_len);
		attr_add(&ut, CKA_PUBLIC_EXPONENT, pa.e, pa.e_len);
	}
	TOKEN_CHECK(dst->fl->C_CreateObject(b->t, ut.v, ut.n, &b->copy_pub),
	    "backup token '%s' will not store the public key", dst->label);
	r = 0;
out:
	return r;
}

/* The copy signs a random message; the key's public key must verify it. */
static int
backup_selftest(struct signet_key *copy, const struct signet_key *key)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_signer *signer = NULL;
	enum signet_sig_alg alg = SIGNET_SIG_NONE;
	uint8_t msg[32], *sig = NULL;
	size_t siglen = 0;

	if (EVP_PKEY_eq(copy->pub, key->pub) != 1) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the copy on token '%s' has another public key than key "
		    "'%s'",
		    copy->tok->label, key->info.label);
		goto out;
	}
	if ((r = signet_token_random(copy->tok, msg, sizeof(msg))) != 0 ||
	    (r = signet_sig_alg_for_key(key->pub, 0, &alg)) != 0 ||
	    (r = signet_key_signer(copy, &signer)) != 0 ||
	    (r = signet_signer_sign(signer, alg, msg, sizeof(msg), &sig,
		 &siglen)) != 0 ||
	    (r = signet_verify(key->pub, alg, msg, sizeof(msg), sig, siglen)) !=
		0) {
		signet_error_context(r, "test signature with the copy");
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	free(sig);
	signet_signer_free(signer);
	return r;
}

int
signet_key_backup(struct signet_key *key, const char *so_pin_source,
    struct signet_token *dst, struct signet_key **copy,
    struct signet_backup_info *info)
{
	int r = SIGNET_ERR_INTERNAL;
	struct backup b;
	struct signet_key *k = NULL;
	unsigned long gen = 0;
	int locked = 0;
	char what[96];

	*copy = NULL;
	memset(&b, 0, sizeof(b));
	b.key = key;
	b.src = key->tok;
	b.dst = dst;
	b.t = CK_INVALID_HANDLE;
	b.tpub = b.tpriv = b.aes_dst = CK_INVALID_HANDLE;
	b.copy_priv = b.copy_pub = CK_INVALID_HANDLE;
	snprintf(b.info.transport_mechanism, sizeof(b.info.transport_mechanism),
	    "CKM_RSA_PKCS_OAEP (SHA-1, MGF1-SHA-1), RSA-%d", TRANSPORT_BITS);
	snprintf(b.info.wrap_mechanism, sizeof(b.info.wrap_mechanism),
	    "CKM_AES_KEY_WRAP_PAD (RFC 5649), AES-%d", 8 * BACKUP_AES_BYTES);
	if ((r = signet_key_backup_check(key, dst)) != 0)
		goto out;
	snprintf(what, sizeof(what), "SO PIN for token '%s'", b.src->label);
	if (so_pin_source == NULL || strcmp(so_pin_source, "prompt") == 0)
		r = secret_prompt(what, &b.so_pin);
	else
		r = secret_from_spec(so_pin_source, what, &b.so_pin);
	if (r != 0)
		goto out;
	/* The backup token's sessions stay as they are while we work. */
	pthread_rwlock_rdlock(&dst->gen_lock);
	locked = 1;
	gen = dst->generation;
	if ((r = token_rw_session_open(dst, &b.t)) != 0 ||
	    (r = backup_transport(&b)) != 0 || (r = backup_wrap(&b)) != 0 ||
	    (r = backup_unwrap(&b)) != 0)
		goto out;
	destroy(dst, b.t, &b.aes_dst);
	destroy(dst, b.t, &b.tpriv);
	destroy(dst, b.t, &b.tpub);
	/*
	 * Unwrapped, the copy is not CKA_ALWAYS_SENSITIVE on any token; it is
	 * the key signet just checked, so it is accepted (as restored).
	 */
	if ((r = token_key_new(dst, b.t, b.copy_priv, gen,
		 SIGNET_KEY_ACCEPT_RESTORED, &k)) != 0)
		goto out;
	pthread_rwlock_unlock(&dst->gen_lock);
	locked = 0;
	if ((r = backup_selftest(k, key)) != 0)
		goto out;
	b.info.wrapped_len = b.wrapped_key_len;
	if (info != NULL)
		*info = b.info;
	*copy = k;
	k = NULL;
	b.copy_priv = b.copy_pub = CK_INVALID_HANDLE;
	r = 0;
out:
	if (b.t != CK_INVALID_HANDLE) {
		if (b.copy_priv != CK_INVALID_HANDLE)
			signet_error_context(r,
			    "key backup (the incomplete copy was destroyed)");
		destroy(dst, b.t, &b.copy_priv);
		destroy(dst, b.t, &b.copy_pub);
		destroy(dst, b.t, &b.aes_dst);
		destroy(dst, b.t, &b.tpriv);
		destroy(dst, b.t, &b.tpub);
		token_rw_session_close(dst, b.t);
	}
	if (locked)
		pthread_rwlock_unlock(&dst->gen_lock);
	signet_key_free(k);
	secret_free(b.so_pin);
	if (b.wrapped_key != NULL)
		secret_wipe(b.wrapped_key, b.wrapped_key_len);
	if (b.wrapped_aes != NULL)
		secret_wipe(b.wrapped_aes, b.wrapped_aes_len);
	free(b.wrapped_key);
	free(b.wrapped_aes);
	return r;
}
