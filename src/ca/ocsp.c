/*
 * OCSP responses signed by the delegated responder or the CA key through
 * the same steps as a certificate: build, lint (the response's status
 * against the store's), sign in the token, verify the signature. Many at
 * once run as independent tasks on the CA's worker pool (pool.c), each
 * worker signing on a token session of its own, as batch issuance does.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "ca/ca_int.h"

struct ocsp_batch {
	struct signet_ca *ca;
	const struct signet_ca_ocsp_cert *v;
	int64_t this_update;
	struct signet_ca_ocsp_result *res;
};

int
signet_ca_ocsp_issuer_hashes(const struct signet_ca *ca, unsigned alg,
    uint8_t name_hash[32], uint8_t key_hash[32], size_t *len)
{
	return signet_ocsp_issuer_hashes(ca->issuer, alg, name_hash, key_hash,
	    len);
}

/* One response: build, lint, sign, verify (tbs.c), wrap. */
static int
ocsp_sign_one(struct signet_ca *ca, const struct signet_ca_ocsp_cert *c,
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

/* A worker's task: response i, its outcome in res[i] whatever happens. */
static void
ocsp_sign_task(void *arg, size_t i)
{
	struct ocsp_batch *b = arg;
	struct signet_ca_ocsp_result *res = &b->res[i];

	signet_error_clear();
	res->status = ocsp_sign_one(b->ca, &b->v[i], b->this_update, &res->der,
	    &res->der_len);
	if (res->status != 0)
		res->message = strdup(signet_error_message());
}

void
signet_ca_ocsp_result_clear(struct signet_ca_ocsp_result *res)
{
	if (res == NULL)
		return;
	free(res->der);
	free(res->message);
	memset(res, 0, sizeof(*res));
}

int
signet_ca_ocsp_sign_many(struct signet_ca *ca,
    const struct signet_ca_ocsp_cert *v, size_t n, int64_t this_update,
    struct signet_ca_ocsp_result *res)
{
	struct ocsp_batch b;
	struct ca_job *job = NULL;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		memset(&res[i], 0, sizeof(res[i]));
	if (ca->signer == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "OCSP responses need an instance opened with "
		    "SIGNET_CA_OPEN_SIGN");
	if (n > 1 && ca->pool == NULL &&
	    (r = ca_pool_new(ca->cfg->workers, &ca->pool)) != 0)
		return r;
	b.ca = ca;
	b.v = v;
	b.this_update = this_update;
	b.res = res;
	if (n > 1)
		job = ca_pool_start(ca->pool, ocsp_sign_task, &b, n, 1);
	if (job == NULL) /* one response, or out of memory: this thread */
		for (i = 0; i < n; i++)
			ocsp_sign_task(&b, i);
	ca_pool_wait(ca->pool, job);
	return 0;
}

int
signet_ca_ocsp_sign(struct signet_ca *ca, const struct signet_ca_ocsp_cert *c,
    int64_t this_update, uint8_t **der, size_t *der_len)
{
	struct signet_ca_ocsp_result res;
	int r;

	*der = NULL;
	*der_len = 0;
	if ((r = signet_ca_ocsp_sign_many(ca, c, 1, this_update, &res)) != 0)
		return r;
	if ((r = res.status) != 0)
		signet_error_set(r, "%s",
		    res.message != NULL ? res.message : signet_strerror(r));
	*der = res.der;
	*der_len = res.der_len;
	res.der = NULL;
	signet_ca_ocsp_result_clear(&res);
	return r;
}

/*
 * Take a response another process wrote (the store) only if this
 * instance would have signed it: for this certificate of this CA, with
 * the status the store has now, by the current signer (the loaded
 * responder, its certificate in certs; else the CA key, no certificate),
 * and its signature verifies.
 */
int
signet_ca_ocsp_check(struct signet_ca *ca, const struct signet_ca_ocsp_cert *c,
    const uint8_t *der, size_t len)
{
	int r = SIGNET_ERR_VERIFY;
	const uint8_t *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	const STACK_OF(X509) * certs;
	ASN1_INTEGER *want = NULL;
	ASN1_INTEGER *serial = NULL;
	struct signet_serial ser;
	uint8_t *cert_der = NULL;
	STACK_OF(X509) *only = NULL;
	X509_STORE *st = NULL;
	X509 *signer;
	ASN1_GENERALIZEDTIME *revtime;
	struct tm tm;
	int i, n, status, reason, len1;

	if (len > LONG_MAX || signet_serial_from_hex(c->serial, &ser) != 0 ||
	    (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
	    p != der + len ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out;
	certs = OCSP_resp_get0_certs(bs);
	if (ca->responder != NULL) {
		/* The current responder's certificate, byte for byte. */
		if (sk_X509_num(certs) != 1 ||
		    (len1 = i2d_X509(sk_X509_value(certs, 0), &cert_der)) <=
			0 ||
		    (size_t)len1 != ca->responder->cert_len ||
		    memcmp(cert_der, ca->responder->cert_der,
			ca->responder->cert_len) != 0)
			goto out;
		signer = sk_X509_value(certs, 0);
	} else {
		if (sk_X509_num(certs) != 0)
			goto out;
		signer = ca->cert;
	}
	/*
	 * The signature, by that signer only (the responderID must name it);
	 * whose certificate this is was decided above, not by a chain.
	 */
	if ((only = sk_X509_new_null()) == NULL ||
	    sk_X509_push(only, signer) != 1 ||
	    (st = X509_STORE_new()) == NULL ||
	    OCSP_basic_verify(bs, only, st, OCSP_NOINTERN | OCSP_NOVERIFY) != 1)
		goto out;
	if ((want = ASN1_INTEGER_new()) == NULL ||
	    ASN1_STRING_set(want, ser.v, (int)ser.len) != 1)
		goto out;
	n = OCSP_resp_count(bs);
	if (n < 1)
		goto out;
	for (i = 0; i < n; i++) {
		single = OCSP_resp_get0(bs, i);
		serial = NULL;
		if (OCSP_id_get0_info(NULL, NULL, NULL, &serial,
			(OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)) != 1 ||
		    serial == NULL || ASN1_INTEGER_cmp(serial, want) != 0)
			goto out;
		reason = -1;
		revtime = NULL;
		status = OCSP_single_get0_status(single, &reason, &revtime,
		    NULL, NULL);
		if (status != (c->revoked ? V_OCSP_CERTSTATUS_REVOKED
					  : V_OCSP_CERTSTATUS_GOOD))
			goto out;
		/* The same revocation: time and reason (none: unspecified). */
		if (c->revoked &&
		    (revtime == NULL || ASN1_TIME_to_tm(revtime, &tm) != 1 ||
			(int64_t)timegm(&tm) != c->revoked_at ||
			(reason == -1 ? SIGNET_CRL_REASON_NONE : reason) !=
			    (c->reason > 0 ? c->reason
					   : SIGNET_CRL_REASON_NONE)))
			goto out;
	}
	r = 0;
out:
	if (r != 0)
		ERR_clear_error();
	OPENSSL_free(cert_der);
	sk_X509_free(only);
	X509_STORE_free(st);
	ASN1_INTEGER_free(want);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return r;
}
