/*
 * JWKs and JWS signatures for ACME accounts (acme_jwk.h), on OpenSSL 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "serve/acme_jwk.h"
#include "util/pkey.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
acme_b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static int
b64url_val(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64url, c)) == NULL)
		return -1;
	return (int)(p - b64url);
}

int
acme_b64url_decode(const char *in, size_t len, uint8_t **out, size_t *n)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	*out = NULL;
	*n = 0;
	if (len % 4 == 1)
		return -1;
	if ((buf = malloc(len * 3 / 4 + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64url_val(in[i])) < 0) {
			free(buf);
			return -1;
		}
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The leftover bits must be zero: one encoding per byte string. */
	if ((acc & ((1u << bits) - 1)) != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*n = o;
	return 0;
}

/* A base64url member of the JWK, decoded. */
static int
member(const json_t *jwk, const char *name, uint8_t **out, size_t *n)
{
	const json_t *v = json_object_get(jwk, name);

	if (!json_is_string(v))
		return -1;
	return acme_b64url_decode(json_string_value(v), json_string_length(v),
	    out, n);
}

static void
thumbprint(const char *canonical, char thumb[ACME_THUMB_LEN + 1])
{
	uint8_t d[SHA256_DIGEST_LENGTH];

	SHA256((const uint8_t *)canonical, strlen(canonical), d);
	acme_b64url_encode(d, sizeof(d), thumb);
}

static int
load_ec(const json_t *jwk, EVP_PKEY **key, char *text, const char **why)
{
	static const struct {
		const char *crv, *group;
		size_t len;
	} curves[] = { { "P-256", "prime256v1", 32 },
		{ "P-384", "secp384r1", 48 }, { "P-521", "secp521r1", 66 } };
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	uint8_t *x = NULL, *y = NULL, point[1 + 2 * 66];
	size_t xn = 0, yn = 0, i;
	const char *xs, *ys;
	int r = -1;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (crv != NULL && strcmp(crv, curves[i].crv) == 0)
			break;
	if (i == sizeof(curves) / sizeof(curves[0])) {
		*why = "EC keys must be on P-256, P-384 or P-521";
		return -1;
	}
	if (member(jwk, "x", &x, &xn) != 0 || member(jwk, "y", &y, &yn) != 0 ||
	    xn != curves[i].len || yn != curves[i].len) {
		*why = "the EC key's x and y are not coordinates of its curve";
		goto out;
	}
	point[0] = 4;
	memcpy(point + 1, x, xn);
	memcpy(point + 1 + xn, y, yn);
	if ((*key = pkey_ec_from_point(curves[i].group, point, 1 + xn + yn)) ==
	    NULL) {
		*why = "the EC key is not a point of its curve";
		goto out;
	}
	xs = json_string_value(json_object_get(jwk, "x"));
	ys = json_string_value(json_object_get(jwk, "y"));
	if ((size_t)snprintf(text, ACME_JWK_TEXT_MAX + 1,
		"{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		curves[i].crv, xs, ys) > ACME_JWK_TEXT_MAX) {
		*why = "the key is too long";
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	free(x);
	free(y);
	return r;
}

static int
load_rsa(const json_t *jwk, EVP_PKEY **key, char *text, const char **why)
{
	uint8_t *n = NULL, *e = NULL;
	size_t nn = 0, en = 0;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	int r = -1, bits;

	if (member(jwk, "n", &n, &nn) != 0 || member(jwk, "e", &e, &en) != 0 ||
	    nn == 0 || en == 0 || n[0] == 0 || e[0] == 0 || en > 8) {
		*why = "the RSA key's n and e are malformed";
		goto out;
	}
	if ((bn = BN_bin2bn(n, (int)nn, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)en, NULL)) == NULL)
		goto out;
	bits = BN_num_bits(bn);
	if (bits < 2048 || bits > 8192 || !BN_is_odd(be) || BN_is_one(be)) {
		*why = "RSA account keys must have 2048 to 8192 bits and an "
		       "odd exponent";
		goto out;
	}
	if ((b = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (*key = pkey_from_params("RSA", params, EVP_PKEY_PUBLIC_KEY)) ==
		NULL) {
		*why = "the RSA key cannot be used";
		goto out;
	}
	if ((size_t)snprintf(text, ACME_JWK_TEXT_MAX + 1,
		"{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
		json_string_value(json_object_get(jwk, "e")),
		json_string_value(json_object_get(jwk, "n"))) >
	    ACME_JWK_TEXT_MAX) {
		*why = "the key is too long";
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return r;
}

int
acme_jwk_load(const json_t *jwk, EVP_PKEY **key, char thumb[ACME_THUMB_LEN + 1],
    char text[ACME_JWK_TEXT_MAX + 1], const char **why)
{
	const char *kty;
	int r;

	*key = NULL;
	*why = "the jwk is not a JSON object";
	if (!json_is_object(jwk))
		return -1;
	kty = json_string_value(json_object_get(jwk, "kty"));
	if (kty != NULL && strcmp(kty, "EC") == 0)
		r = load_ec(jwk, key, text, why);
	else if (kty != NULL && strcmp(kty, "RSA") == 0)
		r = load_rsa(jwk, key, text, why);
	else {
		*why = "account keys must be EC or RSA";
		return -1;
	}
	if (r == 0)
		thumbprint(text, thumb);
	return r;
}

/* The digest of an ECDSA JWS algorithm on a curve of bits, or NULL. */
static const EVP_MD *
ec_md(const char *alg, int bits, size_t *half)
{
	static const struct {
		const char *alg;
		int bits;
		size_t half;
	} t[] = { { "ES256", 256, 32 }, { "ES384", 384, 48 },
		{ "ES512", 521, 66 } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(alg, t[i].alg) == 0 && bits == t[i].bits) {
			*half = t[i].half;
			return i == 0   ? EVP_sha256()
			       : i == 1 ? EVP_sha384()
					: EVP_sha512();
		}
	return NULL;
}

int
acme_jws_verify(EVP_PKEY *key, const char *alg, const uint8_t *input,
    size_t input_len, const uint8_t *sig, size_t sig_len, const char **why)
{
	const EVP_MD *md;
	EVP_MD_CTX *mc = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	uint8_t *der = NULL;
	const uint8_t *s = sig;
	size_t s_len = sig_len, half = 0;
	int r = -1, der_len, bits = EVP_PKEY_get_bits(key);

	*why = "the signature algorithm does not fit the key";
	md = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA
		 ? (strcmp(alg, "RS256") == 0 ? EVP_sha256() : NULL)
	     : EVP_PKEY_get_base_id(key) == EVP_PKEY_EC
		 ? ec_md(alg, bits, &half)
		 : NULL;
	if (md == NULL)
		return -1;
	if (half != 0) {
		/* JWS carries r || s; OpenSSL wants DER. */
		*why = "the signature has the wrong length for its algorithm";
		if (sig_len != 2 * half)
			return -1;
		if ((es = ECDSA_SIG_new()) == NULL ||
		    (br = BN_bin2bn(sig, (int)half, NULL)) == NULL ||
		    (bs = BN_bin2bn(sig + half, (int)half, NULL)) == NULL ||
		    ECDSA_SIG_set0(es, br, bs) != 1)
			goto out;
		br = bs = NULL;
		if ((der_len = i2d_ECDSA_SIG(es, &der)) <= 0)
			goto out;
		s = der;
		s_len = (size_t)der_len;
	}
	*why = "the JWS signature does not verify";
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mc, NULL, md, NULL, key) != 1 ||
	    EVP_DigestVerify(mc, s, s_len, input, input_len) != 1)
		goto out;
	r = 0;
out:
	EVP_MD_CTX_free(mc);
	ECDSA_SIG_free(es);
	BN_free(br);
	BN_free(bs);
	OPENSSL_free(der);
	return r;
}
