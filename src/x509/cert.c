/* Certificates (RFC 5280 4.1): the TBSCertificate from profile + request. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "x509/x509_int.h"

static int
cert_check_serial(const struct signet_serial *s)
{
	if (s->len == 0 || s->len > SIGNET_SERIAL_MAX || (s->v[0] & 0x80) ||
	    (s->len > 1 && s->v[0] == 0 && !(s->v[1] & 0x80)) ||
	    (s->len == 1 && s->v[0] == 0))
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial number is not a positive, minimal INTEGER of at "
		    "most 20 octets (use signet_serial_new)");
	return 0;
}

int
x509_name_der(const X509_NAME *name, uint8_t **der, size_t *len)
{
	unsigned char *p;
	int n;

	*der = NULL;
	*len = 0;
	if (name == NULL) {
		/* An empty Name: SEQUENCE {} */
		if ((*der = malloc(2)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		(*der)[0] = DER_SEQUENCE;
		(*der)[1] = 0;
		*len = 2;
		return 0;
	}
	if ((n = i2d_X509_NAME(name, NULL)) <= 0)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the subject name");
	if ((*der = malloc((size_t)n)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	p = *der;
	if (i2d_X509_NAME(name, &p) != n) {
		free(*der);
		*der = NULL;
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the subject name");
	}
	*len = (size_t)n;
	return 0;
}

int
signet_cert_prepare(const struct signet_cert_params *params,
    struct signet_tbs **out)
{
	int r = SIGNET_ERR_INTERNAL;
	const struct signet_request *req = params->request;
	const struct signet_profile *profile;
	struct signet_issuer *is = params->issuer;
	struct signet_tbs *tbs = NULL;
	struct x509_ext_input in;
	struct der_buf *b;
	uint8_t *spki = NULL, *subject = NULL, ski[20];
	size_t spki_len = 0, subject_len = 0, seq, m;
	time_t now = params->now != 0 ? params->now : time(NULL);
	int self;

	*out = NULL;
	if (req == NULL || (profile = req->profile) == NULL || is == NULL ||
	    req->pubkey == NULL) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "certificate parameters need a request with a profile "
		    "and a public key, and an issuer");
		goto out;
	}
	if ((r = cert_check_serial(&params->serial)) != 0)
		goto out;
	self = is->cert == NULL;
	if (self && EVP_PKEY_eq(is->pub, req->pubkey) != 1) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "a self-signed certificate must be for the issuer's own "
		    "key, and the request has another");
		goto out;
	}
	if (self && !profile->is_ca) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "profile '%s' is not a CA profile; signet self-signs "
		    "only CA (root) certificates",
		    profile->name != NULL ? profile->name : "?");
		goto out;
	}
	if ((tbs = x509_tbs_new(X509_TBS_CERT)) == NULL) {
		r = SIGNET_ERR_INTERNAL;
		goto out;
	}
	tbs->issuer = is;
	tbs->profile = profile;
	tbs->serial = params->serial;
	if ((r = signet_validity_compute(profile, req->validity, now,
		 self ? 0 : is->not_after, &tbs->validity)) != 0)
		goto out;
	if ((r = signet_sig_alg_for_key(is->pub, profile->rsa_pss,
		 &tbs->alg)) != 0)
		goto out;
	/* The policy engine's encoding, when it kept one (the same bytes). */
	if (req->spki_der != NULL && req->spki_der_len > 0) {
		if ((spki = malloc(req->spki_der_len)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		memcpy(spki, req->spki_der, req->spki_der_len);
		spki_len = req->spki_der_len;
	} else if ((r = x509_pubkey_der(req->pubkey, &spki, &spki_len)) != 0)
		goto out;
	if ((r = x509_name_der(req->subject, &subject, &subject_len)) != 0 ||
	    (r = x509_key_id(spki, spki_len, ski)) != 0)
		goto out;

	b = &tbs->buf;
	seq = der_begin(b, DER_SEQUENCE);
	m = der_begin(b, DER_CONTEXT_CONS(0));
	der_put_uint(b, DER_INTEGER, 2); /* v3 */
	der_end(b, m);
	der_put_tlv(b, DER_INTEGER, tbs->serial.v, tbs->serial.len);
	x509_put_sig_alg(b, tbs->alg);
	if (self)
		der_put_raw(b, subject, subject_len);
	else
		der_put_raw(b, is->subject.p, is->subject.n);
	m = der_begin(b, DER_SEQUENCE);
	der_put_time(b, tbs->validity.not_before);
	der_put_time(b, tbs->validity.not_after);
	der_end(b, m);
	der_put_raw(b, subject, subject_len);
	der_put_raw(b, spki, spki_len);

	memset(&in, 0, sizeof(in));
	in.profile = profile;
	in.req = req;
	if (profile->is_ca) {
		in.ski = ski;
		in.ski_len = sizeof(ski);
	}
	/* Self-signed: our own key identifier (is->key_id is the same). */
	in.aki = is->key_id;
	in.aki_len = is->key_id_len;
	in.subject_empty = subject_len == 2;
	m = der_begin(b, DER_CONTEXT_CONS(3));
	{
		size_t exts = der_begin(b, DER_SEQUENCE);

		if ((r = x509_put_cert_extensions(b, &in)) != 0)
			goto out;
		der_end(b, exts);
	}
	der_end(b, m);
	der_end(b, seq);
	if ((r = x509_tbs_make_lint(tbs, is->throwaway_signer)) != 0)
		goto out;
	/* The lints judge the key the policy engine decoded from the SPKI. */
	if (!EVP_PKEY_up_ref(req->pubkey)) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "EVP_PKEY_up_ref");
		goto out;
	}
	tbs->subject_pub = req->pubkey;
	*out = tbs;
	tbs = NULL;
	r = 0;
out:
	free(spki);
	free(subject);
	signet_tbs_free(tbs);
	return r;
}

/* The signature of a SIGNED{} object, both algorithm fields checked. */
static int
signed_verify(const char *what, const struct x509_span *tbs,
    const struct x509_span *alg_outer, const struct x509_span *alg_inner,
    const struct x509_span *sig, const EVP_PKEY *issuer_key)
{
	enum signet_sig_alg alg;

	if (alg_outer->n != alg_inner->n ||
	    memcmp(alg_outer->p, alg_inner->p, alg_outer->n) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the %s's two signature algorithms differ", what);
	if ((alg = x509_sig_alg_from_der(alg_outer->p, alg_outer->n)) ==
	    SIGNET_SIG_NONE)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the %s's signature algorithm is not one signet uses",
		    what);
	/* The BIT STRING's contents: no unused bits, then the signature. */
	if (sig->n < 2 || sig->p[0] != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the %s's signature is not whole octets", what);
	return signet_verify(issuer_key, alg, tbs->p, tbs->n, sig->p + 1,
	    sig->n - 1);
}

int
signet_cert_verify_der(const uint8_t *der, size_t len,
    const EVP_PKEY *issuer_key)
{
	struct x509_cert_view v;
	const char *why = NULL;

	if (x509_cert_view_parse(der, len, &v, &why) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the DER is not an X.509 certificate: %s", why);
	return signed_verify("certificate", &v.tbs, &v.sig_alg, &v.tbs_sig_alg,
	    &v.sig, issuer_key);
}

int
signet_crl_verify_der(const uint8_t *der, size_t len,
    const EVP_PKEY *issuer_key)
{
	struct x509_crl_view v;
	const char *why = NULL;

	if (x509_crl_view_parse(der, len, &v, &why) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the DER is not an X.509 CRL: %s", why);
	return signed_verify("CRL", &v.tbs, &v.sig_alg, &v.tbs_sig_alg, &v.sig,
	    issuer_key);
}
