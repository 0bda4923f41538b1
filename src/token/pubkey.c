/*
 * A token key's public half as an OpenSSL EVP_PKEY, read from the public
 * key object (CKA_EC_PARAMS + CKA_EC_POINT, or CKA_MODULUS +
 * CKA_PUBLIC_EXPONENT), or from the private key object's public attributes
 * when the token keeps no public object.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "token/token_int.h"

/* DER OIDs (RFC 5480 2.1.1.1), as CKA_EC_PARAMS holds them. */
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };

static const struct {
	enum signet_key_type type;
	const uint8_t *der;
	size_t len;
	const char *group;
	size_t point_len; /* uncompressed: 04 || X || Y */
} curves[] = {
	{ SIGNET_KEY_EC_P256, oid_p256, sizeof(oid_p256), "P-256", 65 },
	{ SIGNET_KEY_EC_P384, oid_p384, sizeof(oid_p384), "P-384", 97 },
	{ SIGNET_KEY_EC_P521, oid_p521, sizeof(oid_p521), "P-521", 133 },
};

#define N_CURVES (sizeof(curves) / sizeof(curves[0]))

enum signet_key_type
token_curve_from_params(const uint8_t *der, size_t len)
{
	size_t i;

	for (i = 0; i < N_CURVES; i++)
		if (len == curves[i].len &&
		    memcmp(der, curves[i].der, len) == 0)
			return curves[i].type;
	return SIGNET_KEY_NONE;
}

const uint8_t *
token_curve_params(enum signet_key_type type, size_t *len)
{
	size_t i;

	for (i = 0; i < N_CURVES; i++)
		if (curves[i].type == type) {
			*len = curves[i].len;
			return curves[i].der;
		}
	*len = 0;
	return NULL;
}

/*
 * The uncompressed point in CKA_EC_POINT: PKCS#11 says a DER OCTET STRING,
 * some tokens give the bare point. The expected length tells them apart.
 */
static const uint8_t *
ec_point_unwrap(const uint8_t *v, size_t len, size_t point_len, size_t *out)
{
	size_t hdr, clen;

	if (len >= 2 && v[0] == 0x04) {
		if (v[1] < 0x80) {
			hdr = 2;
			clen = v[1];
		} else if (v[1] == 0x81 && len >= 3) {
			hdr = 3;
			clen = v[2];
		} else {
			hdr = 0;
			clen = 0;
		}
		if (hdr > 0 && hdr + clen == len && clen == point_len &&
		    v[hdr] == 0x04) {
			*out = clen;
			return v + hdr;
		}
	}
	if (len == point_len && v[0] == 0x04) {
		*out = len;
		return v;
	}
	return NULL;
}

static int
pkey_from_params(const char *alg, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	EVP_PKEY *pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "the token's %s public key is malformed", alg);
		goto out;
	}
	if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "the token's %s public key is not valid", alg);
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	return r;
}

static int
pkey_ec(const uint8_t *params, size_t params_len, const uint8_t *point,
    size_t point_len, EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	OSSL_PARAM_BLD *bld = NULL;
	const uint8_t *p;
	size_t i, plen = 0;

	*out = NULL;
	for (i = 0; i < N_CURVES; i++)
		if (params_len == curves[i].len &&
		    memcmp(params, curves[i].der, params_len) == 0)
			break;
	if (i == N_CURVES) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "the key's curve (CKA_EC_PARAMS) is not P-256, P-384 or "
		    "P-521");
		goto out;
	}
	if ((p = ec_point_unwrap(point, point_len, curves[i].point_len,
		 &plen)) == NULL) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "the key's CKA_EC_POINT (%zu bytes) is not an "
		    "uncompressed %s point",
		    point_len, curves[i].group);
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		curves[i].group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, p,
		plen)) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "OSSL_PARAM_BLD");
		goto out;
	}
	r = pkey_from_params("EC", bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
pkey_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
    EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *be = NULL;

	*out = NULL;
	if ((bn = BN_bin2bn(n, (int)n_len, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)e_len, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "OSSL_PARAM_BLD");
		goto out;
	}
	r = pkey_from_params("RSA", bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return r;
}

/*
 * The public key from one object's attributes; *absent when the object
 * does not carry them.
 */
static int
pkey_read(struct signet_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_KEY_TYPE kt, EVP_PKEY **out, int *absent)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0;
	const uint8_t *p;
	int a_absent = 0, b_absent = 0;

	*out = NULL;
	*absent = 0;
	/* SubjectPublicKeyInfo, where a token keeps one (PKCS#11 2.40). */
	if ((r = token_attr_get(tok, s, h, CKA_PUBLIC_KEY_INFO, &a, &a_len,
		 &a_absent)) != 0)
		goto out;
	if (!a_absent && a_len > 0) {
		p = a;
		if ((*out = d2i_PUBKEY(NULL, &p, (long)a_len)) == NULL ||
		    p != a + a_len) {
			EVP_PKEY_free(*out);
			*out = NULL;
			r = signet_error_ossl(SIGNET_ERR_TOKEN,
			    "the key's CKA_PUBLIC_KEY_INFO is malformed");
			goto out;
		}
		r = 0;
		goto out;
	}
	free(a);
	a = NULL;
	switch (kt) {
	case CKK_EC:
		if ((r = token_attr_get(tok, s, h, CKA_EC_PARAMS, &a, &a_len,
			 &a_absent)) != 0 ||
		    (r = token_attr_get(tok, s, h, CKA_EC_POINT, &b, &b_len,
			 &b_absent)) != 0)
			goto out;
		if (a_absent || b_absent) {
			*absent = 1;
			r = 0;
			goto out;
		}
		r = pkey_ec(a, a_len, b, b_len, out);
		break;
	case CKK_RSA:
		if ((r = token_attr_get(tok, s, h, CKA_MODULUS, &a, &a_len,
			 &a_absent)) != 0 ||
		    (r = token_attr_get(tok, s, h, CKA_PUBLIC_EXPONENT, &b,
			 &b_len, &b_absent)) != 0)
			goto out;
		if (a_absent || b_absent) {
			*absent = 1;
			r = 0;
			goto out;
		}
		r = pkey_rsa(a, a_len, b, b_len, out);
		break;
	default:
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "unsupported key type 0x%lx", (unsigned long)kt);
		break;
	}
out:
	free(a);
	free(b);
	return r;
}

/* The public key object that goes with ref: by id and label, else either. */
static int
pub_object_find(struct signet_token *tok, CK_SESSION_HANDLE s,
    const struct token_key_ref *ref, CK_OBJECT_HANDLE *h, int *found)
{
	struct token_key_ref by = *ref;
	CK_OBJECT_HANDLE hs[2];
	size_t n = 0;
	int r;

	*found = 0;
	if (!ref->has_id && !ref->has_label)
		return 0;
	if ((r = token_objects_find(tok, s, CKO_PUBLIC_KEY, &by, hs, 2, &n)) !=
	    0)
		return r;
	if (n == 0 && ref->has_id && ref->has_label) {
		/* Some tools label the public object differently. */
		by.has_label = 0;
		if ((r = token_objects_find(tok, s, CKO_PUBLIC_KEY, &by, hs, 2,
			 &n)) != 0)
			return r;
	}
	if (n == 1) {
		*h = hs[0];
		*found = 1;
	}
	return 0;
}

/* The public key must be the kind of key the private key says it is. */
static int
pkey_check(const EVP_PKEY *pub, const struct signet_key_info *info)
{
	int bits = EVP_PKEY_get_bits(pub);
	int ok;

	switch (info->type) {
	case SIGNET_KEY_EC_P256:
	case SIGNET_KEY_EC_P384:
	case SIGNET_KEY_EC_P521:
	case SIGNET_KEY_RSA_2048:
	case SIGNET_KEY_RSA_3072:
	case SIGNET_KEY_RSA_4096:
		ok = EVP_PKEY_is_a(pub,
			 info->type >= SIGNET_KEY_RSA_2048 ? "RSA" : "EC") &&
		     bits == (int)info->bits;
		break;
	case SIGNET_KEY_NONE:
	default:
		ok = 0;
		break;
	}
	if (!ok)
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "the public key object (%s, %d bits) does not go with the "
		    "private key (%s)",
		    EVP_PKEY_get0_type_name(pub), bits, info->type_name);
	return 0;
}

int
token_key_pubkey(struct signet_token *tok, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE priv, const struct token_key_ref *ref,
    const struct signet_key_info *info, CK_KEY_TYPE kt, EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	EVP_PKEY *pub = NULL;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	int found = 0, absent = 1;

	*out = NULL;
	if ((r = pub_object_find(tok, s, ref, &h, &found)) != 0)
		goto out;
	if (found && (r = pkey_read(tok, s, h, kt, &pub, &absent)) != 0)
		goto out;
	if (absent && (r = pkey_read(tok, s, priv, kt, &pub, &absent)) != 0)
		goto out;
	if (absent) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "the token has no public key object for the key, and the "
		    "private key does not carry its public key; import the "
		    "public key into the token with the same CKA_ID");
		goto out;
	}
	if ((r = pkey_check(pub, info)) != 0)
		goto out;
	*out = pub;
	pub = NULL;
	r = 0;
out:
	EVP_PKEY_free(pub);
	return r;
}
