/*
 * A software signer: throwaway lint keys and tests only. Nothing in a
 * configuration or ceremony file can select one for a CA key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "signet/signer.h"

static int
soft_sign_digest(void *ctx, enum signet_sig_alg alg, const uint8_t *digest,
    size_t digest_len, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY *priv = ctx;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = signet_sig_alg_md(alg);
	int r = SIGNET_ERR_INTERNAL;

	if ((pctx = EVP_PKEY_CTX_new(priv, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, md) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot set up software signature");
		goto out;
	}
	if (EVP_PKEY_is_a(priv, "RSA") &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, signet_sig_alg_is_pss(alg)
						   ? RSA_PKCS1_PSS_PADDING
						   : RSA_PKCS1_PADDING) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "cannot set padding");
		goto out;
	}
	if (signet_sig_alg_is_pss(alg) &&
	    (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <=
		    0 ||
		EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot set up RSA-PSS");
		goto out;
	}
	if (EVP_PKEY_sign(pctx, sig, siglen, digest, digest_len) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "software signature failed");
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	return r;
}

static void
soft_free(void *ctx)
{
	EVP_PKEY_free(ctx);
}

static const struct signet_signer_ops soft_ops = {
	.kind = "software",
	.hardware = 0,
	.sign_digest = soft_sign_digest,
	.free = soft_free,
};

int
signet_soft_signer_new(EVP_PKEY *priv, struct signet_signer **out)
{
	*out = NULL;
	if (!EVP_PKEY_up_ref(priv))
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "EVP_PKEY_up_ref");
	return signet_signer_new(&soft_ops, priv, priv, out);
}

int
signet_throwaway_key_new(const EVP_PKEY *pub, EVP_PKEY **out)
{
	char curve[64];
	size_t len = 0;

	*out = NULL;
	if (EVP_PKEY_is_a(pub, "RSA")) {
		/*
		 * The signature algorithm identifier does not depend on the
		 * modulus size, so a 2048-bit key makes a lint certificate
		 * whose TBS bytes equal the real one's.
		 */
		if ((*out = EVP_RSA_gen(2048)) == NULL)
			return signet_error_ossl(SIGNET_ERR_CRYPTO,
			    "cannot generate a throwaway RSA key");
		return 0;
	}
	if (!EVP_PKEY_is_a(pub, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
		curve, sizeof(curve), &len))
		return signet_error_set(SIGNET_ERR_CRYPTO,
		    "cannot make a throwaway key like a %s key",
		    EVP_PKEY_get0_type_name(pub));
	if ((*out = EVP_EC_gen(curve)) == NULL)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot generate a throwaway %s key", curve);
	return 0;
}
