/*
 * The to-be-signed object: lint object, lint, token signature, checks.
 * The token only ever signs bytes that were linted: the TBS is encoded
 * once, wrapped with a throwaway signature for linting, and after the
 * token signs the same bytes the output is split back, its TBS compared
 * with the linted one and its signature verified before it is returned.
 *
 * A certificate's lint object is not parsed by OpenSSL: the lints read it
 * with signet's strict DER reader (x509_cert_view_parse, der_check), and
 * the subject key they judge is the one the policy engine decoded from the
 * same SPKI bytes. OpenSSL 3 decodes every public key it parses through
 * its provider decoders, which cost more than the token's signature.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "signet/x509.h"
#include "util/codec.h"
#include "util/fault.h"
#include "x509/lint_int.h"
#include "x509/x509_int.h"

#define TBS_HEADROOM 16

struct signet_tbs *
x509_tbs_new(enum x509_tbs_kind kind)
{
	struct signet_tbs *tbs = calloc(1, sizeof(*tbs));

	if (tbs == NULL) {
		(void)signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	tbs->kind = kind;
	tbs->headroom = TBS_HEADROOM;
	der_buf_init(&tbs->buf, TBS_HEADROOM);
	return tbs;
}

void
signet_tbs_free(struct signet_tbs *tbs)
{
	if (tbs == NULL)
		return;
	der_buf_free(&tbs->buf);
	EVP_PKEY_free(tbs->subject_pub);
	X509_REQ_free(tbs->lint_req);
	X509_free(tbs->cert);
	free(tbs->signed_der);
	free(tbs->ocsp_certs);
	EVP_PKEY_free(tbs->signer_pub);
	free(tbs);
}

static const char *
tbs_kind_name(const struct signet_tbs *tbs)
{
	switch (tbs->kind) {
	case X509_TBS_CERT:
		return "certificate";
	case X509_TBS_CRL:
		return "CRL";
	case X509_TBS_CSR:
		return "CSR";
	case X509_TBS_OCSP:
		return "OCSP response";
	default:
		return "object";
	}
}

void
x509_tbs_assemble(struct signet_tbs *tbs, const uint8_t *sig, size_t siglen)
{
	struct der_buf *b = &tbs->buf;

	/* Drop whatever surrounded the TBS, then wrap it anew. */
	b->head = tbs->tbs_off;
	b->len = tbs->tbs_off + tbs->tbs_len;
	x509_put_sig_alg(b, tbs->alg);
	der_put_bits(b, sig, siglen);
	/* BasicOCSPResponse certs [0] EXPLICIT SEQUENCE OF Certificate. */
	if (tbs->ocsp_certs != NULL) {
		size_t e = der_begin(b, DER_CONTEXT_CONS(0));
		size_t q = der_begin(b, DER_SEQUENCE);

		der_put_raw(b, tbs->ocsp_certs, tbs->ocsp_certs_len);
		der_end(b, q);
		der_end(b, e);
	}
	der_wrap(b, DER_SEQUENCE);
}

/*
 * SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }: where each part is.
 * with_certs: an OCSP response's certs [0] may follow.
 */
static int
tbs_split(const uint8_t *der, size_t len, int with_certs, struct x509_span *tbs,
    struct x509_span *alg, struct x509_span *sig)
{
	struct der_cur c;
	struct der_elem outer, t, a, s, certs;
	const char *why;

	der_cur_init(&c, der, len);
	if (der_expect(&c, DER_SEQUENCE, &outer, &why) != 0 ||
	    !der_cur_done(&c))
		return -1;
	der_cur_init(&c, outer.body, outer.len);
	if (der_expect(&c, DER_SEQUENCE, &t, &why) != 0 ||
	    der_expect(&c, DER_SEQUENCE, &a, &why) != 0 ||
	    der_expect(&c, DER_BIT_STRING, &s, &why) != 0)
		return -1;
	if (with_certs)
		(void)der_optional(&c, DER_CONTEXT_CONS(0), &certs);
	if (!der_cur_done(&c) || s.len < 1 || s.body[0] != 0)
		return -1;
	tbs->p = t.tlv;
	tbs->n = t.tlv_len;
	alg->p = a.tlv;
	alg->n = a.tlv_len;
	sig->p = s.body + 1;
	sig->n = s.len - 1;
	return 0;
}

int
x509_tbs_make_lint(struct signet_tbs *tbs, struct signet_signer *signer)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *sig = NULL;
	size_t siglen = 0, len;
	const uint8_t *p, *der;

	if ((r = der_buf_status(&tbs->buf)) != 0)
		goto out;
	tbs->tbs_off = tbs->buf.head;
	tbs->tbs_len = tbs->buf.len - tbs->buf.head;
	p = tbs->buf.p + tbs->tbs_off;
	if ((r = sha256(p, tbs->tbs_len, tbs->tbs_hash)) != 0)
		goto out;
	if (tbs->issuer != NULL && tbs->issuer->lint_sig != NULL) {
		/* The issuer's one throwaway signature fits every object. */
		x509_tbs_assemble(tbs, tbs->issuer->lint_sig,
		    tbs->issuer->lint_sig_len);
		r = der_buf_status(&tbs->buf);
		goto out;
	}
	if ((r = signet_signer_sign(signer, tbs->alg, p, tbs->tbs_len, &sig,
		 &siglen)) != 0) {
		r = signet_error_context(r, "signing the lint %s",
		    tbs_kind_name(tbs));
		goto out;
	}
	x509_tbs_assemble(tbs, sig, siglen);
	if ((r = der_buf_status(&tbs->buf)) != 0)
		goto out;
	der = der_buf_data(&tbs->buf, &len);
	p = der;
	if (tbs->kind == X509_TBS_CSR) {
		tbs->lint_req = d2i_X509_REQ(NULL, &p, (long)len);
		if (tbs->lint_req == NULL || p != der + len) {
			r = signet_error_ossl(SIGNET_ERR_INTERNAL,
			    "OpenSSL cannot parse the lint CSR signet built "
			    "(a bug; nothing was signed)");
			goto out;
		}
	}
	r = 0;
out:
	free(sig);
	return r;
}

int
signet_tbs_lint(struct signet_tbs *tbs, const struct signet_lint_ctx *ctx,
    struct signet_lint_report **report)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_lint_ctx *lctx = NULL;
	const uint8_t *der;
	size_t len;

	*report = NULL;
	tbs->lint_state = 0;
	if (tbs->spent || tbs->kind == X509_TBS_CSR) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "this %s cannot be linted (already signed)",
		    tbs_kind_name(tbs));
		goto out;
	}
	if ((r = lint_ctx_derive(ctx,
		 tbs->issuer != NULL ? tbs->issuer->cert : NULL, tbs->profile,
		 &lctx)) != 0)
		goto out;
	der = der_buf_data(&tbs->buf, &len);
	if (tbs->kind == X509_TBS_CERT)
		r = lint_cert_built(lctx, der, len, tbs->subject_pub, report);
	else if (tbs->kind == X509_TBS_OCSP) {
		tbs->ocsp_expect.serial = tbs->serial.v;
		tbs->ocsp_expect.serial_len = tbs->serial.len;
		r = signet_lint_ocsp(lctx, der, len, &tbs->ocsp_expect, report);
	} else
		r = signet_lint_crl(lctx, der, len, report);
	tbs->lint_state = r == 0 ? 1 : -1;
out:
	signet_lint_ctx_free(lctx);
	return r;
}

/* The bytes the token is to sign, checked against what was linted. */
static int
tbs_bytes_to_sign(struct signet_tbs *tbs)
{
	int r = SIGNET_ERR_INTERNAL, n = 0;
	unsigned char *re = NULL;
	uint8_t hash[32];
	const uint8_t *p = tbs->buf.p + tbs->tbs_off;

	/* The buffer still holds the lint object: nothing moved since. */
	if ((r = sha256(p, tbs->tbs_len, hash)) != 0)
		goto out;
	if (memcmp(hash, tbs->tbs_hash, sizeof(hash)) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the %s's to-be-signed bytes changed after linting; "
		    "refusing to sign",
		    tbs_kind_name(tbs));
		goto out;
	}
	/* OpenSSL must encode the parsed lint CSR to the same bytes. */
	if (tbs->kind != X509_TBS_CSR) {
		r = 0;
		goto out;
	}
	n = i2d_re_X509_REQ_tbs(tbs->lint_req, &re);
	if (n <= 0 || (size_t)n != tbs->tbs_len ||
	    memcmp(re, p, tbs->tbs_len) != 0) {
		r = signet_error_ossl(SIGNET_ERR_VERIFY,
		    "OpenSSL re-encodes the %s's to-be-signed part "
		    "differently from signet (not DER?); refusing to sign",
		    tbs_kind_name(tbs));
		goto out;
	}
	r = 0;
out:
	OPENSSL_free(re);
	return r;
}

/* Parse the signed object back, compare its TBS, verify its signature. */
static int
tbs_check_signed(struct signet_tbs *tbs, EVP_PKEY *pub)
{
	int r = SIGNET_ERR_INTERNAL;
	struct x509_span t, alg, sig;
	uint8_t hash[32];
	const uint8_t *der, *p;
	size_t len;
	X509_REQ *req = NULL;

	der = der_buf_data(&tbs->buf, &len);
	if (tbs_split(der, len, tbs->kind == X509_TBS_OCSP, &t, &alg, &sig) !=
	    0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the signed %s does not parse back; nothing was issued",
		    tbs_kind_name(tbs));
		goto out;
	}
	if ((r = sha256(t.p, t.n, hash)) != 0)
		goto out;
	if (t.n != tbs->tbs_len || memcmp(hash, tbs->tbs_hash, 32) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the signed %s's to-be-signed bytes differ from the "
		    "linted ones; nothing was issued",
		    tbs_kind_name(tbs));
		goto out;
	}
	if ((r = signet_verify(pub, tbs->alg, t.p, t.n, sig.p, sig.n)) != 0) {
		r = signet_error_context(r,
		    "the token's signature on the %s does not verify with "
		    "the issuer's public key; nothing was issued",
		    tbs_kind_name(tbs));
		goto out;
	}
	p = der;
	if (tbs->kind == X509_TBS_CERT) {
		/*
		 * These TBS bytes are the linted ones, and the signature over
		 * them verified above. Parsing the signed certificate with
		 * OpenSSL (about 100 us with OpenSSL 3's key decoders, as long
		 * as a token signature) would prove nothing more;
		 * signet_tbs_get1_cert parses it when asked.
		 */
		if ((tbs->signed_der = malloc(len)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		memcpy(tbs->signed_der, der, len);
		tbs->signed_len = len;
	} else if (tbs->kind == X509_TBS_CSR) {
		if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL ||
		    p != der + len || X509_REQ_verify(req, pub) != 1) {
			r = signet_error_ossl(SIGNET_ERR_VERIFY,
			    "OpenSSL does not read and verify the signed CSR");
			goto out;
		}
	}
	r = 0;
out:
	X509_REQ_free(req);
	return r;
}

int
signet_tbs_sign(struct signet_tbs *tbs, struct signet_signer *signer,
    uint8_t **der, size_t *len)
{
	int r = SIGNET_ERR_INTERNAL;
	EVP_PKEY *pub;
	uint8_t *sig = NULL, *shrunk;
	size_t siglen = 0, n;

	*der = NULL;
	*len = 0;
	if (tbs->spent) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "this %s was signed (or refused) already; prepare a new "
		    "one",
		    tbs_kind_name(tbs));
		goto out;
	}
	if (tbs->lint_state != 1) {
		r = signet_error_set(SIGNET_ERR_LINT,
		    tbs->lint_state == 0
			? "the %s has not been linted; refusing to sign"
			: "the %s failed its lints; refusing to sign",
		    tbs_kind_name(tbs));
		goto out;
	}
	pub = tbs->kind == X509_TBS_CSR ? signet_signer_get0_pubkey(signer)
	      : tbs->signer_pub != NULL ? tbs->signer_pub
					: tbs->issuer->pub;
	if (EVP_PKEY_eq(signet_signer_get0_pubkey(signer), pub) != 1) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the signer's key is not the issuer's key; refusing to "
		    "sign");
		goto out;
	}
	if ((r = tbs_bytes_to_sign(tbs)) != 0) {
		tbs->spent = 1;
		goto out;
	}
	if ((r = signet_signer_sign(signer, tbs->alg, tbs->buf.p + tbs->tbs_off,
		 tbs->tbs_len, &sig, &siglen)) != 0) {
		/* Nothing changed: the caller may try again. */
		r = signet_error_context(r, "signing the %s",
		    tbs_kind_name(tbs));
		goto out;
	}
	/* From here on a failure is final: never retry a mismatch. */
	tbs->spent = 1;
	if (SIGNET_FAULT("x509.tbs_tamper") != 0)
		tbs->buf.p[tbs->tbs_off + tbs->tbs_len - 1] ^= 0x01;
	x509_tbs_assemble(tbs, sig, siglen);
	if ((r = der_buf_status(&tbs->buf)) != 0 ||
	    (r = tbs_check_signed(tbs, pub)) != 0)
		goto out;
	/* Hand the buffer over: no copy of a large CRL. */
	n = tbs->buf.len - tbs->buf.head;
	memmove(tbs->buf.p, tbs->buf.p + tbs->buf.head, n);
	if ((shrunk = realloc(tbs->buf.p, n > 0 ? n : 1)) != NULL)
		tbs->buf.p = shrunk;
	*der = tbs->buf.p;
	*len = n;
	der_buf_init(&tbs->buf, 0);
	r = 0;
out:
	free(sig);
	return r;
}

const uint8_t *
signet_tbs_get0_tbs_der(const struct signet_tbs *tbs, size_t *len)
{
	if (tbs->buf.p == NULL) {
		*len = 0;
		return NULL;
	}
	*len = tbs->tbs_len;
	return tbs->buf.p + tbs->tbs_off;
}

const uint8_t *
signet_tbs_get0_lint_der(const struct signet_tbs *tbs, size_t *len)
{
	if (tbs->spent || tbs->buf.p == NULL) {
		*len = 0;
		return NULL;
	}
	return der_buf_data(&tbs->buf, len);
}

const struct signet_serial *
signet_tbs_get0_serial(const struct signet_tbs *tbs)
{
	return &tbs->serial;
}

const struct signet_validity *
signet_tbs_get0_validity(const struct signet_tbs *tbs)
{
	return &tbs->validity;
}

X509 *
signet_tbs_get1_cert(const struct signet_tbs *tbs)
{
	struct signet_tbs *t = (struct signet_tbs *)tbs;
	const uint8_t *p = tbs->signed_der;

	/* Parsed on demand (see tbs_check_signed); a cache, not a change. */
	if (t->cert == NULL && p != NULL) {
		t->cert = d2i_X509(NULL, &p, (long)tbs->signed_len);
		if (t->cert != NULL && p != tbs->signed_der + tbs->signed_len) {
			X509_free(t->cert);
			t->cert = NULL;
		}
	}
	if (t->cert == NULL || !X509_up_ref(t->cert))
		return NULL;
	return t->cert;
}

size_t
signet_tbs_crl_entries(const struct signet_tbs *tbs)
{
	return tbs->crl_entries;
}
