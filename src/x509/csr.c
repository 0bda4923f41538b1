/* CSRs (RFC 2986) signed by a signer, e.g. a new intermediate's token key. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "x509/x509_int.h"

int
signet_csr_build(const X509_NAME *subject, struct signet_signer *signer,
    int rsa_pss, uint8_t **der, size_t *len)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_tbs *tbs = NULL;
	EVP_PKEY *pub = signet_signer_get0_pubkey(signer), *throwaway = NULL;
	struct signet_signer *lint_signer = NULL;
	uint8_t *spki = NULL, *name = NULL;
	size_t spki_len = 0, name_len = 0, seq;
	struct der_buf *b;

	*der = NULL;
	*len = 0;
	if ((tbs = x509_tbs_new(X509_TBS_CSR)) == NULL) {
		r = SIGNET_ERR_INTERNAL;
		goto out;
	}
	if ((r = signet_sig_alg_for_key(pub, rsa_pss, &tbs->alg)) != 0 ||
	    (r = x509_pubkey_der(pub, &spki, &spki_len)) != 0 ||
	    (r = x509_name_der(subject, &name, &name_len)) != 0)
		goto out;
	if (name_len == 2) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "a CSR needs a subject name");
		goto out;
	}
	if ((r = signet_throwaway_key_new(pub, &throwaway)) != 0 ||
	    (r = signet_soft_signer_new(throwaway, &lint_signer)) != 0)
		goto out;
	b = &tbs->buf;
	seq = der_begin(b, DER_SEQUENCE);
	der_put_uint(b, DER_INTEGER, 0); /* version 1 */
	der_put_raw(b, name, name_len);
	der_put_raw(b, spki, spki_len);
	der_put_tlv(b, DER_CONTEXT_CONS(0), NULL, 0); /* no attributes */
	der_end(b, seq);
	if ((r = x509_tbs_make_lint(tbs, lint_signer)) != 0)
		goto out;
	/* The lint CSR's signature is the throwaway key's: it must verify. */
	if (X509_REQ_verify(tbs->lint_req, throwaway) != 1) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL,
		    "the lint CSR does not verify (a bug; nothing was "
		    "signed)");
		goto out;
	}
	tbs->lint_state = 1;
	if ((r = signet_tbs_sign(tbs, signer, der, len)) != 0)
		goto out;
	r = 0;
out:
	free(spki);
	free(name);
	signet_signer_free(lint_signer);
	EVP_PKEY_free(throwaway);
	signet_tbs_free(tbs);
	return r;
}
