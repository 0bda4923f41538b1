/*
 * The token signer (include/signet/signer.h): a digest in, a signature in
 * the form X.509 carries out. Safe from several threads at once: each
 * signature takes a session from the token's pool.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "token/token_int.h"

/*
 * DER DigestInfo prefixes for EMSA-PKCS1-v1_5 (RFC 8017 9.2, note 1): the
 * token's CKM_RSA_PKCS pads whatever it is given, so signet supplies the
 * DigestInfo itself.
 */
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
	0x20 };
static const uint8_t di_sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
	0x30 };
static const uint8_t di_sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
	0x40 };

struct sign_req {
	struct signet_key *key;
	CK_MECHANISM mech;
	const uint8_t *in;
	size_t in_len;
	uint8_t raw[SIGNET_SIG_MAX];
	CK_ULONG raw_len;
};

static int
sign_fn(struct signet_token *tok, CK_SESSION_HANDLE s, unsigned long gen,
    void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	struct sign_req *req = arg;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	if ((r = token_key_handle(req->key, s, gen, &h)) != 0)
		goto out;
	TOKEN_CHECK(tok->fl->C_SignInit(s, &req->mech, h),
	    "token '%s' cannot start signing with key '%s'", tok->label,
	    req->key->info.label);
	req->raw_len = sizeof(req->raw);
	TOKEN_CHECK(tok->fl->C_Sign(s, (CK_BYTE_PTR)req->in, req->in_len,
			req->raw, &req->raw_len),
	    "token '%s' failed to sign with key '%s'", tok->label,
	    req->key->info.label);
	r = 0;
out:
	return r;
}

/* r || s, as CKM_ECDSA gives it, to a DER ECDSA-Sig-Value (RFC 5480). */
static int
ecdsa_der(const uint8_t *raw, size_t raw_len, uint8_t *sig, size_t *siglen)
{
	int r = SIGNET_ERR_INTERNAL;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *p = sig;
	int len;

	if (raw_len == 0 || raw_len % 2 != 0) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "the token returned a %zu-byte ECDSA signature; expected "
		    "r || s of equal halves",
		    raw_len);
		goto out;
	}
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(raw, (int)(raw_len / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + raw_len / 2, (int)(raw_len / 2), NULL)) ==
		NULL ||
	    !ECDSA_SIG_set0(es, br, bs)) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL,
		    "cannot build an ECDSA signature");
		goto out;
	}
	br = bs = NULL;
	if ((len = i2d_ECDSA_SIG(es, NULL)) <= 0 || (size_t)len > *siglen) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "no room for a %d-byte ECDSA signature", len);
		goto out;
	}
	if (i2d_ECDSA_SIG(es, &p) != len) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL,
		    "cannot encode an ECDSA signature");
		goto out;
	}
	*siglen = (size_t)len;
	r = 0;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

static int
hash_mech(const EVP_MD *md, CK_MECHANISM_TYPE *hash, CK_RSA_PKCS_MGF_TYPE *mgf,
    const uint8_t **di, size_t *di_len)
{
	switch (EVP_MD_get_type(md)) {
	case NID_sha256:
		*hash = CKM_SHA256;
		*mgf = CKG_MGF1_SHA256;
		*di = di_sha256;
		*di_len = sizeof(di_sha256);
		return 0;
	case NID_sha384:
		*hash = CKM_SHA384;
		*mgf = CKG_MGF1_SHA384;
		*di = di_sha384;
		*di_len = sizeof(di_sha384);
		return 0;
	case NID_sha512:
		*hash = CKM_SHA512;
		*mgf = CKG_MGF1_SHA512;
		*di = di_sha512;
		*di_len = sizeof(di_sha512);
		return 0;
	default:
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "unsupported digest %s", EVP_MD_get0_name(md));
	}
}

/* The token signs with this mechanism and this key's size (mech.c). */
static int
sign_mech_check(struct signet_key *key, CK_MECHANISM_TYPE m)
{
	char purpose[SIGNET_KEY_LABEL_MAX + 64];

	snprintf(purpose, sizeof(purpose), "sign with key '%s'",
	    key->info.label);
	return token_mech_require(key->tok, m, CKF_SIGN, key->info.type,
	    purpose);
}

static int
token_sign_digest(void *ctx, enum signet_sig_alg alg, const uint8_t *digest,
    size_t digest_len, uint8_t *sig, size_t *siglen)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_key *key = ctx;
	struct sign_req *req = NULL;
	const EVP_MD *md = signet_sig_alg_md(alg);
	CK_RSA_PKCS_PSS_PARAMS pss;
	CK_MECHANISM_TYPE hash = 0;
	CK_RSA_PKCS_MGF_TYPE mgf = 0;
	const uint8_t *di = NULL;
	uint8_t info[19 + EVP_MAX_MD_SIZE];
	size_t di_len = 0;

	if (md == NULL || (size_t)EVP_MD_get_size(md) != digest_len) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "digest length %zu does not suit %s", digest_len,
		    signet_sig_alg_name(alg));
		goto out;
	}
	if ((r = hash_mech(md, &hash, &mgf, &di, &di_len)) != 0)
		goto out;
	if ((signet_sig_alg_is_ecdsa(alg) != 0) != (key->ck_type == CKK_EC)) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "key '%s' is %s and cannot make %s signatures",
		    key->info.label, key->info.type_name,
		    signet_sig_alg_name(alg));
		goto out;
	}
	/* Heap: the request holds a signature-sized buffer. */
	if ((req = calloc(1, sizeof(*req))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	req->key = key;
	if (signet_sig_alg_is_ecdsa(alg)) {
		/* CKM_ECDSA signs the hash as given (truncated by the token). */
		req->mech.mechanism = CKM_ECDSA;
		req->in = digest;
		req->in_len = digest_len;
	} else if (signet_sig_alg_is_pss(alg)) {
		/* RSASSA-PSS, MGF1 with the same hash, salt = hash length. */
		pss.hashAlg = hash;
		pss.mgf = mgf;
		pss.sLen = digest_len;
		req->mech.mechanism = CKM_RSA_PKCS_PSS;
		req->mech.pParameter = &pss;
		req->mech.ulParameterLen = sizeof(pss);
		req->in = digest;
		req->in_len = digest_len;
	} else {
		if (di == NULL || di_len + digest_len > sizeof(info)) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "no DigestInfo for %s", signet_sig_alg_name(alg));
			goto out;
		}
		memcpy(info, di, di_len);
		memcpy(info + di_len, digest, digest_len);
		req->mech.mechanism = CKM_RSA_PKCS;
		req->in = info;
		req->in_len = di_len + digest_len;
	}
	if ((r = sign_mech_check(key, req->mech.mechanism)) != 0 ||
	    (r = token_with_session(key->tok, sign_fn, req)) != 0)
		goto out;
	if (signet_sig_alg_is_ecdsa(alg)) {
		if ((r = ecdsa_der(req->raw, req->raw_len, sig, siglen)) != 0)
			goto out;
	} else {
		if (req->raw_len > *siglen) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "no room for a %lu-byte signature",
			    (unsigned long)req->raw_len);
			goto out;
		}
		memcpy(sig, req->raw, req->raw_len);
		*siglen = req->raw_len;
	}
	r = 0;
out:
	free(req);
	return r;
}

static void
token_signer_free(void *ctx)
{
	/* The key belongs to the caller. */
	(void)ctx;
}

static const struct signet_signer_ops token_signer_ops = {
	.kind = "pkcs11",
	.hardware = 1,
	.sign_digest = token_sign_digest,
	.free = token_signer_free,
};

int
signet_key_signer(struct signet_key *key, struct signet_signer **out)
{
	CK_MECHANISM_INFO mi;
	int r;

	*out = NULL;
	/*
	 * Refuse a key the token cannot sign with now, not at the first
	 * signature (after a serial was reserved, or half a ceremony). An
	 * RSA key needs one of PKCS#1 v1.5 and PSS; the other is checked
	 * when a signature asks for it.
	 */
	if (key->ck_type == CKK_EC)
		r = sign_mech_check(key, CKM_ECDSA);
	else if (token_mech_ask(key->tok, CKM_RSA_PKCS_PSS, CKF_SIGN,
		     key->info.type, &mi) == TOKEN_MECH_OK)
		r = 0;
	else
		r = sign_mech_check(key, CKM_RSA_PKCS);
	if (r != 0)
		return r;
	return signet_signer_new(&token_signer_ops, key, key->pub, out);
}
