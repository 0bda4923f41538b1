/*
 * OCSP responses signed by the delegated responder or the CA key, one
 * certificate at a time, through
 * the same steps as a certificate: build, lint (the response's status
 * against the store's), sign in the token, verify the signature.
 */
#include <stdlib.h>
#include <string.h>

#include "ca/ca_int.h"

int
signet_ca_ocsp_issuer_hashes(const struct signet_ca *ca, unsigned alg,
    uint8_t name_hash[32], uint8_t key_hash[32], size_t *len)
{
	return signet_ocsp_issuer_hashes(ca->issuer, alg, name_hash, key_hash,
	    len);
}

int
signet_ca_ocsp_sign(struct signet_ca *ca, const struct signet_ca_ocsp_cert *c,
    int64_t this_update, uint8_t **der, size_t *der_len)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_ocsp_params p;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t *basic = NULL;
	size_t basic_len = 0;
	char *text = NULL;

	*der = NULL;
	*der_len = 0;
	if (ca->signer == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "OCSP responses need an instance opened with "
		    "SIGNET_CA_OPEN_SIGN");
	memset(&p, 0, sizeof(p));
	if ((r = signet_serial_from_hex(c->serial, &p.serial)) != 0)
		goto out;
	p.issuer = ca->issuer;
	if (ca->responder != NULL) {
		p.responder_cert = ca->responder->cert_der;
		p.responder_cert_len = ca->responder->cert_len;
		p.responder_pub = ca->responder->pub;
	}
	p.revoked = c->revoked;
	p.revoked_at = (time_t)c->revoked_at;
	p.reason = c->revoked ? c->reason : SIGNET_CRL_REASON_NONE;
	p.this_update = (time_t)this_update;
	p.lifetime = ca->cfg->serve_ocsp_lifetime > 0
			 ? ca->cfg->serve_ocsp_lifetime
			 : (int64_t)4 * 86400;
	if ((r = signet_ocsp_prepare(&p, &tbs)) != 0)
		goto out;
	if ((r = signet_tbs_lint(tbs, ca->lint, &rep)) != 0) {
		if (r == SIGNET_ERR_LINT && rep != NULL &&
		    (text = signet_lint_report_text(rep)) != NULL)
			signet_error_set(r,
			    "the OCSP response for %s failed pre-signing "
			    "lints; nothing was signed: %s",
			    c->serial, text);
		goto out;
	}
	if ((r = signet_tbs_sign(tbs,
		 ca->responder != NULL ? ca->responder->signer : ca->signer,
		 &basic, &basic_len)) != 0 ||
	    (r = signet_ocsp_response_wrap(basic, basic_len, der, der_len)) !=
		0)
		goto out;
	r = 0;
out:
	free(basic);
	free(text);
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	return r;
}
