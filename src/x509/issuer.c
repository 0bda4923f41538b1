/* Issuers: a CA certificate (or a key, self-signed) and its lint key. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "x509/x509_int.h"

static int
issuer_throwaway(struct signet_issuer *is)
{
	int r = SIGNET_ERR_INTERNAL;
	enum signet_sig_alg alg;

	/* One throwaway key per issuer, not per certificate. */
	if ((r = signet_throwaway_key_new(is->pub, &is->throwaway)) != 0)
		return signet_error_context(r, "making the lint key");
	if ((r = signet_soft_signer_new(is->throwaway,
		 &is->throwaway_signer)) != 0)
		return r;
	/*
	 * One throwaway signature too: a lint object needs a signature of
	 * the right shape, and nothing verifies it (nobody has the key).
	 */
	if ((r = signet_sig_alg_for_key(is->pub, 0, &alg)) != 0 ||
	    (r = signet_signer_sign(is->throwaway_signer, alg,
		 (const uint8_t *)"lint", 4, &is->lint_sig,
		 &is->lint_sig_len)) != 0)
		return signet_error_context(r, "signing with the lint key");
	return 0;
}

int
signet_issuer_new(X509 *ca_cert, struct signet_issuer **out)
{
	int r = SIGNET_ERR_INTERNAL, n;
	struct signet_issuer *is = NULL;
	struct x509_cert_view *v = NULL;
	const struct x509_ext *ext;
	struct x509_bc bc;
	struct x509_span ski;
	unsigned char *p;
	unsigned ku;
	int tz, year;
	const char *why = NULL;

	*out = NULL;
	if ((is = calloc(1, sizeof(*is))) == NULL ||
	    (v = malloc(sizeof(*v))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((n = i2d_X509(ca_cert, NULL)) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the CA certificate");
		goto out;
	}
	if ((is->cert_der = malloc((size_t)n)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	p = is->cert_der;
	if (i2d_X509(ca_cert, &p) != n) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the CA certificate");
		goto out;
	}
	is->cert_len = (size_t)n;
	if (x509_cert_view_parse(is->cert_der, is->cert_len, v, &why) != 0) {
		r = signet_error_set(SIGNET_ERR_CRYPTO,
		    "CA certificate is malformed: %s", why);
		goto out;
	}
	/* RFC 5280 4.1.2.4: the issuer name is the CA's subject, as encoded. */
	is->subject = v->subject;
	if ((ext = x509_exts_find(&v->exts, X509_EXT_BC)) == NULL ||
	    x509_bc_decode(ext->value.p, ext->value.n, &bc) != 0 || !bc.ca) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "the issuer certificate is not a CA certificate "
		    "(basicConstraints cA is not TRUE)");
		goto out;
	}
	if ((ext = x509_exts_find(&v->exts, X509_EXT_KU)) != NULL &&
	    (x509_ku_decode(ext->value.p, ext->value.n, &ku, &tz) != 0 ||
		!(ku & SIGNET_KU_KEY_CERT_SIGN))) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "the issuer certificate's keyUsage lacks keyCertSign");
		goto out;
	}
	if (ext != NULL) {
		is->has_ku = 1;
		is->ku = ku;
	}
	if (der_time_parse(v->not_after.id, v->not_after.body, v->not_after.len,
		&is->not_after, &year, &why) != 0) {
		r = signet_error_set(SIGNET_ERR_CRYPTO,
		    "the issuer certificate's notAfter is malformed: %s", why);
		goto out;
	}
	if ((ext = x509_exts_find(&v->exts, X509_EXT_SKI)) != NULL &&
	    x509_octets_decode(ext->value.p, ext->value.n, &ski) == 0 &&
	    ski.n > 0 && ski.n <= sizeof(is->key_id)) {
		memcpy(is->key_id, ski.p, ski.n);
		is->key_id_len = ski.n;
	} else {
		/* No SKI (RFC 5280 says MUST): derive one as we would. */
		if ((r = x509_key_id(v->spki.p, v->spki.n, is->key_id)) != 0)
			goto out;
		is->key_id_len = 20;
	}
	/* For OCSP CertIDs (RFC 6960 4.1.1). */
	if (x509_spki_key_bits(v->spki.p, v->spki.n, &is->key_bits) != 0) {
		r = signet_error_set(SIGNET_ERR_CRYPTO,
		    "the issuer certificate's public key is malformed");
		goto out;
	}
	if ((is->pub = X509_get_pubkey(ca_cert)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "the issuer certificate's public key is unusable");
		goto out;
	}
	if (!X509_up_ref(ca_cert)) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "X509_up_ref");
		goto out;
	}
	is->cert = ca_cert;
	if ((r = issuer_throwaway(is)) != 0)
		goto out;
	*out = is;
	is = NULL;
	r = 0;
out:
	free(v);
	signet_issuer_free(is);
	return r;
}

int
signet_issuer_new_self(EVP_PKEY *pub, struct signet_issuer **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_issuer *is = NULL;
	uint8_t *spki = NULL;
	size_t spki_len = 0;

	*out = NULL;
	if ((is = calloc(1, sizeof(*is))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (!EVP_PKEY_up_ref(pub)) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "EVP_PKEY_up_ref");
		goto out;
	}
	is->pub = pub;
	if ((r = x509_pubkey_der(pub, &spki, &spki_len)) != 0 ||
	    (r = x509_key_id(spki, spki_len, is->key_id)) != 0)
		goto out;
	is->key_id_len = 20;
	if ((r = issuer_throwaway(is)) != 0)
		goto out;
	*out = is;
	is = NULL;
	r = 0;
out:
	free(spki);
	signet_issuer_free(is);
	return r;
}

void
signet_issuer_free(struct signet_issuer *issuer)
{
	if (issuer == NULL)
		return;
	X509_free(issuer->cert);
	free(issuer->cert_der);
	EVP_PKEY_free(issuer->pub);
	signet_signer_free(issuer->throwaway_signer);
	free(issuer->lint_sig);
	EVP_PKEY_free(issuer->throwaway);
	free(issuer);
}

EVP_PKEY *
signet_issuer_get0_pubkey(const struct signet_issuer *issuer)
{
	return issuer->pub;
}
