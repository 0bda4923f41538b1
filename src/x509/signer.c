/* The signer interface (include/signet/signer.h) and signature checks. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "signet/signer.h"
#include "util/codec.h"

struct signet_signer {
	const struct signet_signer_ops *ops;
	void *ctx;
	EVP_PKEY *pub;
};

const char *
signet_sig_alg_name(enum signet_sig_alg alg)
{
	switch (alg) {
	case SIGNET_SIG_ECDSA_SHA256:
		return "ecdsa-with-SHA256";
	case SIGNET_SIG_ECDSA_SHA384:
		return "ecdsa-with-SHA384";
	case SIGNET_SIG_ECDSA_SHA512:
		return "ecdsa-with-SHA512";
	case SIGNET_SIG_RSA_PKCS1_SHA256:
		return "sha256WithRSAEncryption";
	case SIGNET_SIG_RSA_PKCS1_SHA384:
		return "sha384WithRSAEncryption";
	case SIGNET_SIG_RSA_PKCS1_SHA512:
		return "sha512WithRSAEncryption";
	case SIGNET_SIG_RSA_PSS_SHA256:
		return "rsassaPss-SHA256";
	case SIGNET_SIG_RSA_PSS_SHA384:
		return "rsassaPss-SHA384";
	case SIGNET_SIG_RSA_PSS_SHA512:
		return "rsassaPss-SHA512";
	case SIGNET_SIG_NONE:
	default:
		return "none";
	}
}

const EVP_MD *
signet_sig_alg_md(enum signet_sig_alg alg)
{
	switch (alg) {
	case SIGNET_SIG_ECDSA_SHA256:
	case SIGNET_SIG_RSA_PKCS1_SHA256:
	case SIGNET_SIG_RSA_PSS_SHA256:
		return sha2_md(256);
	case SIGNET_SIG_ECDSA_SHA384:
	case SIGNET_SIG_RSA_PKCS1_SHA384:
	case SIGNET_SIG_RSA_PSS_SHA384:
		return sha2_md(384);
	case SIGNET_SIG_ECDSA_SHA512:
	case SIGNET_SIG_RSA_PKCS1_SHA512:
	case SIGNET_SIG_RSA_PSS_SHA512:
		return sha2_md(512);
	case SIGNET_SIG_NONE:
	default:
		return NULL;
	}
}

int
signet_sig_alg_is_pss(enum signet_sig_alg alg)
{
	return alg == SIGNET_SIG_RSA_PSS_SHA256 ||
	       alg == SIGNET_SIG_RSA_PSS_SHA384 ||
	       alg == SIGNET_SIG_RSA_PSS_SHA512;
}

int
signet_sig_alg_is_ecdsa(enum signet_sig_alg alg)
{
	return alg == SIGNET_SIG_ECDSA_SHA256 ||
	       alg == SIGNET_SIG_ECDSA_SHA384 || alg == SIGNET_SIG_ECDSA_SHA512;
}

int
signet_sig_alg_for_key(const EVP_PKEY *pub, int pss, enum signet_sig_alg *out)
{
	char curve[64];
	size_t len = 0;

	*out = SIGNET_SIG_NONE;
	if (EVP_PKEY_is_a(pub, "RSA")) {
		*out = pss ? SIGNET_SIG_RSA_PSS_SHA256
			   : SIGNET_SIG_RSA_PKCS1_SHA256;
		return 0;
	}
	if (!EVP_PKEY_is_a(pub, "EC"))
		return signet_error_set(SIGNET_ERR_CRYPTO,
		    "unsupported key algorithm %s: signet signs with EC "
		    "P-256/P-384/P-521 or RSA keys",
		    EVP_PKEY_get0_type_name(pub));
	if (!EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
		curve, sizeof(curve), &len))
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "EC key without a named curve");
	if (strcmp(curve, "prime256v1") == 0)
		*out = SIGNET_SIG_ECDSA_SHA256;
	else if (strcmp(curve, "secp384r1") == 0)
		*out = SIGNET_SIG_ECDSA_SHA384;
	else if (strcmp(curve, "secp521r1") == 0)
		*out = SIGNET_SIG_ECDSA_SHA512;
	else
		return signet_error_set(SIGNET_ERR_CRYPTO,
		    "unsupported curve %s: use P-256, P-384 or P-521", curve);
	return 0;
}

int
signet_signer_new(const struct signet_signer_ops *ops, void *ctx, EVP_PKEY *pub,
    struct signet_signer **out)
{
	struct signet_signer *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		if (ops->free != NULL)
			ops->free(ctx);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	if (!EVP_PKEY_up_ref(pub)) {
		free(s);
		if (ops->free != NULL)
			ops->free(ctx);
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "EVP_PKEY_up_ref");
	}
	s->ops = ops;
	s->ctx = ctx;
	s->pub = pub;
	*out = s;
	return 0;
}

void
signet_signer_free(struct signet_signer *signer)
{
	if (signer == NULL)
		return;
	if (signer->ops->free != NULL)
		signer->ops->free(signer->ctx);
	EVP_PKEY_free(signer->pub);
	free(signer);
}

EVP_PKEY *
signet_signer_get0_pubkey(const struct signet_signer *signer)
{
	return signer->pub;
}

int
signet_signer_is_hardware(const struct signet_signer *signer)
{
	return signer->ops->hardware;
}

const char *
signet_signer_kind(const struct signet_signer *signer)
{
	return signer->ops->kind;
}

int
signet_signer_sign_digest(struct signet_signer *signer, enum signet_sig_alg alg,
    const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t *siglen)
{
	const EVP_MD *md = signet_sig_alg_md(alg);

	if (md == NULL || (size_t)EVP_MD_get_size(md) != digest_len)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "digest length %zu does not suit %s", digest_len,
		    signet_sig_alg_name(alg));
	return signer->ops->sign_digest(signer->ctx, alg, digest, digest_len,
	    sig, siglen);
}

int
signet_signer_sign(struct signet_signer *signer, enum signet_sig_alg alg,
    const uint8_t *tbs, size_t tbs_len, uint8_t **sig, size_t *siglen)
{
	int r = SIGNET_ERR_INTERNAL;
	const EVP_MD *md = signet_sig_alg_md(alg);
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	uint8_t *buf = NULL;
	size_t len = SIGNET_SIG_MAX;

	*sig = NULL;
	*siglen = 0;
	if (md == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "no signature algorithm chosen");
		goto out;
	}
	if (!EVP_Digest(tbs, tbs_len, digest, &dlen, md, NULL)) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "cannot hash");
		goto out;
	}
	if ((buf = malloc(len)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = signet_signer_sign_digest(signer, alg, digest, dlen, buf,
		 &len)) != 0)
		goto out;
	*sig = buf;
	*siglen = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

int
signet_verify(const EVP_PKEY *pub, enum signet_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, const uint8_t *sig, size_t siglen)
{
	int r = SIGNET_ERR_INTERNAL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = signet_sig_alg_md(alg);

	if (md == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "no signature algorithm chosen");
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "EVP_MD_CTX_new");
		goto out;
	}
	if (!EVP_DigestVerifyInit(mctx, &pctx, md, NULL, (EVP_PKEY *)pub)) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot set up verification");
		goto out;
	}
	if (signet_sig_alg_is_pss(alg) &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) <= 0 ||
		EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot set up RSA-PSS");
		goto out;
	}
	/* One verification per context: no copy of it to finalise. */
	EVP_MD_CTX_set_flags(mctx, EVP_MD_CTX_FLAG_FINALISE);
	if (EVP_DigestVerify(mctx, sig, siglen, tbs, tbs_len) != 1) {
		r = signet_error_ossl(SIGNET_ERR_VERIFY,
		    "%s signature does not verify with the public key",
		    signet_sig_alg_name(alg));
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(mctx);
	return r;
}
