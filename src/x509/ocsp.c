/*
 * OCSP responses (RFC 6960 4.2): a BasicOCSPResponse for one certificate,
 * signed by the CA key itself, in the same prepare / lint / sign steps as
 * certificates and CRLs. The lint object is the BasicOCSPResponse with the
 * issuer's throwaway signature, shaped as a certificate is (tbs, algorithm,
 * BIT STRING), so signet_tbs_sign assembles and checks it the same way.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "x509/x509_int.h"

/* 1.3.14.3.2.26, 2.16.840.1.101.3.4.2.1, 1.3.6.1.5.5.7.48.1.1 */
static const uint8_t oid_sha1[] = { 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const uint8_t oid_sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x01 };
static const uint8_t oid_ocsp_basic[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	0x30, 0x01, 0x01 };

int
signet_ocsp_issuer_hashes(const struct signet_issuer *issuer, unsigned alg,
    uint8_t name_hash[32], uint8_t key_hash[32], size_t *len)
{
	const EVP_MD *md;
	unsigned n = 0;

	*len = 0;
	if (alg == SIGNET_OCSP_CERTID_SHA1)
		md = EVP_sha1();
	else if (alg == SIGNET_OCSP_CERTID_SHA256)
		md = EVP_sha256();
	else
		return signet_error_set(SIGNET_ERR_USAGE,
		    "unknown CertID hash algorithm %u", alg);
	if (issuer == NULL || issuer->cert_der == NULL ||
	    issuer->key_bits.p == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "OCSP responses need the issuer's CA certificate");
	/* RFC 6960 4.1.1: the DER Name, and the key without tag or length. */
	if (EVP_Digest(issuer->subject.p, issuer->subject.n, name_hash, &n, md,
		NULL) != 1 ||
	    EVP_Digest(issuer->key_bits.p, issuer->key_bits.n, key_hash, &n, md,
		NULL) != 1)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "hashing the issuer");
	*len = n;
	return 0;
}

static int
ocsp_check_params(const struct signet_ocsp_params *p)
{
	if (p->issuer == NULL || p->issuer->cert == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an OCSP response needs its issuer's CA certificate "
		    "(signet_issuer_new)");
	if (p->serial.len == 0 || p->serial.len > SIGNET_SERIAL_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an OCSP response needs the certificate's serial");
	if (p->this_update <= 0 || p->this_update % 60 != 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "thisUpdate must fall on a whole minute");
	if (p->lifetime <= 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "nextUpdate must come after thisUpdate (RFC 6960 4.2.2.1)");
	if (p->revoked && (p->revoked_at <= 0 ||
			      p->reason == SIGNET_CRL_REASON_CERTIFICATE_HOLD ||
			      p->reason == SIGNET_CRL_REASON_REMOVE_FROM_CRL ||
			      p->reason < SIGNET_CRL_REASON_NONE ||
			      p->reason > SIGNET_CRL_REASON_AA_COMPROMISE))
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a revoked status needs a revocation time and a reason "
		    "a CRL could carry");
	return 0;
}

static int
ocsp_put_single(struct der_buf *b, const struct signet_ocsp_params *p,
    unsigned alg)
{
	uint8_t nh[32], kh[32];
	size_t n = 0, single, id, a, st, e;
	int r;

	if ((r = signet_ocsp_issuer_hashes(p->issuer, alg, nh, kh, &n)) != 0)
		return r;
	single = der_begin(b, DER_SEQUENCE);
	id = der_begin(b, DER_SEQUENCE);
	/* NULL parameters, as OpenSSL's clients write and compare them. */
	a = der_begin(b, DER_SEQUENCE);
	if (alg == SIGNET_OCSP_CERTID_SHA1)
		der_put_oid(b, oid_sha1, sizeof(oid_sha1));
	else
		der_put_oid(b, oid_sha256, sizeof(oid_sha256));
	der_put_null(b);
	der_end(b, a);
	der_put_tlv(b, DER_OCTET_STRING, nh, n);
	der_put_tlv(b, DER_OCTET_STRING, kh, n);
	der_put_tlv(b, DER_INTEGER, p->serial.v, p->serial.len);
	der_end(b, id);
	if (!p->revoked) {
		der_put_tlv(b, DER_CONTEXT(0), NULL, 0); /* good [0] NULL */
	} else {
		st = der_begin(b, DER_CONTEXT_CONS(1));
		der_put_generalized_time(b, p->revoked_at);
		/* RFC 5280 5.3.1: no reason for unspecified, as on the CRL. */
		if (p->reason > 0) {
			e = der_begin(b, DER_CONTEXT_CONS(0));
			der_put_uint(b, DER_ENUMERATED, (uint64_t)p->reason);
			der_end(b, e);
		}
		der_end(b, st);
	}
	der_put_generalized_time(b, p->this_update);
	e = der_begin(b, DER_CONTEXT_CONS(0));
	der_put_generalized_time(b, p->this_update + (time_t)p->lifetime);
	der_end(b, e);
	der_end(b, single);
	return 0;
}

/*
 * A responder certificate's public key and the SHA-1 of its key bits
 * (byKey). Decoding a key with OpenSSL 3 costs about as much as a token
 * signature, and every response of a responder carries the same
 * certificate: the last one is remembered (bytes compared in full).
 */
static struct {
	pthread_mutex_t lock;
	uint8_t *der;
	size_t len;
	EVP_PKEY *pub;
	uint8_t key_hash[20];
} responder_memo = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, NULL, { 0 } };

int
x509_ocsp_responder_key(const uint8_t *der, size_t len, EVP_PKEY **pub,
    uint8_t key_hash[20])
{
	int r = -1;
	struct x509_cert_view *v = NULL;
	struct x509_span bits;
	const uint8_t *q = der;
	X509 *cert = NULL;
	EVP_PKEY *k = NULL;
	uint8_t h[20], *copy = NULL;
	const char *why;
	unsigned n = 0;

	*pub = NULL;
	pthread_mutex_lock(&responder_memo.lock);
	if (responder_memo.der != NULL && responder_memo.len == len &&
	    memcmp(responder_memo.der, der, len) == 0 &&
	    EVP_PKEY_up_ref(responder_memo.pub) == 1) {
		*pub = responder_memo.pub;
		memcpy(key_hash, responder_memo.key_hash, 20);
		pthread_mutex_unlock(&responder_memo.lock);
		return 0;
	}
	pthread_mutex_unlock(&responder_memo.lock);
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    x509_cert_view_parse(der, len, v, &why) != 0 ||
	    x509_spki_key_bits(v->spki.p, v->spki.n, &bits) != 0 ||
	    EVP_Digest(bits.p, bits.n, h, &n, EVP_sha1(), NULL) != 1 ||
	    len > LONG_MAX || (cert = d2i_X509(NULL, &q, (long)len)) == NULL ||
	    q != der + len || (k = X509_get_pubkey(cert)) == NULL)
		goto out;
	if ((copy = malloc(len)) != NULL && EVP_PKEY_up_ref(k) == 1) {
		memcpy(copy, der, len);
		pthread_mutex_lock(&responder_memo.lock);
		free(responder_memo.der);
		EVP_PKEY_free(responder_memo.pub);
		responder_memo.der = copy;
		responder_memo.len = len;
		responder_memo.pub = k;
		memcpy(responder_memo.key_hash, h, 20);
		pthread_mutex_unlock(&responder_memo.lock);
		copy = NULL;
	}
	memcpy(key_hash, h, 20);
	*pub = k;
	k = NULL;
	r = 0;
out:
	ERR_clear_error();
	free(copy);
	EVP_PKEY_free(k);
	X509_free(cert);
	free(v);
	return r;
}

/*
 * A delegated responder: its certificate must carry the key given, and
 * the response will carry the certificate. key_hash: SHA-1 of the key.
 */
static int
ocsp_responder_set(struct signet_tbs *tbs, const struct signet_ocsp_params *p,
    uint8_t key_hash[20])
{
	EVP_PKEY *cert_pub = NULL;
	int eq;

	if (p->responder_pub == NULL || p->responder_cert_len == 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a delegated responder needs its certificate and key");
	if (x509_ocsp_responder_key(p->responder_cert, p->responder_cert_len,
		&cert_pub, key_hash) != 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "the OCSP responder certificate does not parse");
	eq = EVP_PKEY_eq(cert_pub, p->responder_pub);
	EVP_PKEY_free(cert_pub);
	if (eq != 1)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "the OCSP responder certificate is not for the "
		    "responder's key");
	if ((tbs->ocsp_certs = malloc(p->responder_cert_len)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	memcpy(tbs->ocsp_certs, p->responder_cert, p->responder_cert_len);
	tbs->ocsp_certs_len = p->responder_cert_len;
	if (EVP_PKEY_up_ref(p->responder_pub) != 1)
		return signet_error_ossl(SIGNET_ERR_INTERNAL,
		    "EVP_PKEY_up_ref");
	tbs->signer_pub = p->responder_pub;
	return 0;
}

int
signet_ocsp_prepare(const struct signet_ocsp_params *params,
    struct signet_tbs **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_tbs *tbs = NULL;
	struct der_buf *b;
	uint8_t key_hash[20];
	unsigned algs;
	size_t seq, rid, list;

	*out = NULL;
	if ((r = ocsp_check_params(params)) != 0)
		goto out;
	algs = params->certid_algs != 0
		   ? params->certid_algs
		   : SIGNET_OCSP_CERTID_SHA1 | SIGNET_OCSP_CERTID_SHA256;
	if ((tbs = x509_tbs_new(X509_TBS_OCSP)) == NULL) {
		r = SIGNET_ERR_INTERNAL;
		goto out;
	}
	tbs->issuer = params->issuer;
	tbs->serial = params->serial;
	tbs->ocsp_expect.revoked = params->revoked;
	tbs->ocsp_expect.revoked_at = params->revoked_at;
	tbs->ocsp_expect.reason = params->reason;
	if (params->responder_cert != NULL &&
	    (r = ocsp_responder_set(tbs, params, key_hash)) != 0)
		goto out;
	if ((r = signet_sig_alg_for_key(tbs->signer_pub != NULL
					    ? tbs->signer_pub
					    : params->issuer->pub,
		 params->rsa_pss, &tbs->alg)) != 0)
		goto out;
	b = &tbs->buf;
	seq = der_begin(b, DER_SEQUENCE);
	/*
	 * version v1 is the DEFAULT: absent. responderID byName [1] for the
	 * CA, byKey [2] for a delegated responder (RFC 6960 4.2.2.3: the
	 * SHA-1 of its subjectPublicKey, as RFC 5019 2.2.3 recommends).
	 */
	if (tbs->signer_pub != NULL) {
		rid = der_begin(b, DER_CONTEXT_CONS(2));
		der_put_tlv(b, DER_OCTET_STRING, key_hash, 20);
	} else {
		rid = der_begin(b, DER_CONTEXT_CONS(1));
		der_put_raw(b, params->issuer->subject.p,
		    params->issuer->subject.n);
	}
	der_end(b, rid);
	der_put_generalized_time(b, params->this_update);
	list = der_begin(b, DER_SEQUENCE);
	if (((algs & SIGNET_OCSP_CERTID_SHA1) &&
		(r = ocsp_put_single(b, params, SIGNET_OCSP_CERTID_SHA1)) !=
		    0) ||
	    ((algs & SIGNET_OCSP_CERTID_SHA256) &&
		(r = ocsp_put_single(b, params, SIGNET_OCSP_CERTID_SHA256)) !=
		    0))
		goto out;
	der_end(b, list);
	der_end(b, seq);
	if ((r = x509_tbs_make_lint(tbs, params->issuer->throwaway_signer)) !=
	    0)
		goto out;
	*out = tbs;
	tbs = NULL;
	r = 0;
out:
	signet_tbs_free(tbs);
	return r;
}

int
signet_ocsp_response_wrap(const uint8_t *basic, size_t len, uint8_t **der,
    size_t *der_len)
{
	struct der_buf b;
	size_t outer, rb, seq;
	const uint8_t *p;
	int r;

	*der = NULL;
	*der_len = 0;
	der_buf_init(&b, 0);
	outer = der_begin(&b, DER_SEQUENCE);
	der_put_uint(&b, DER_ENUMERATED, 0); /* successful */
	rb = der_begin(&b, DER_CONTEXT_CONS(0));
	seq = der_begin(&b, DER_SEQUENCE);
	der_put_oid(&b, oid_ocsp_basic, sizeof(oid_ocsp_basic));
	der_put_tlv(&b, DER_OCTET_STRING, basic, len);
	der_end(&b, seq);
	der_end(&b, rb);
	der_end(&b, outer);
	if ((r = der_buf_status(&b)) != 0)
		goto out;
	p = der_buf_data(&b, der_len);
	if ((*der = malloc(*der_len)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		*der_len = 0;
		goto out;
	}
	memcpy(*der, p, *der_len);
	r = 0;
out:
	der_buf_free(&b);
	return r;
}
