/*
 * OCSP response lints (RFC 6960 4.2, BR 4.9.9 and 4.9.10): a
 * BasicOCSPResponse checked from its bytes before the token signs it, as
 * certificates and CRLs are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/codec.h"
#include "x509/lint_int.h"

/* BR 4.9.10: nextUpdate at most ten days after thisUpdate. */
#define OCSP_MAX_LIFETIME ((int64_t)10 * 86400)

static const uint8_t oid_sha1[] = { 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const uint8_t oid_sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x01 };

static int
parse_time(const struct der_elem *e, time_t *t)
{
	const char *why;
	int year;

	if (e->id != DER_GENERALIZED_TIME)
		return -1;
	return der_time_parse(e->id, e->body, e->len, t, &year, &why);
}

/* SingleResponse (RFC 6960 4.2.1). */
static int
parse_single(struct lint_ocsp *o, const struct der_elem *single,
    const char **why)
{
	struct lint_ocsp_single *s;
	struct der_cur c, id, a;
	struct der_elem cid, alg, oid, par, nh, kh, ser, st, tu, nu, e, t;

	if (o->n_single == LINT_OCSP_MAX_SINGLE) {
		*why = "more SingleResponses than signet ever writes";
		return -1;
	}
	s = &o->single[o->n_single];
	memset(s, 0, sizeof(*s));
	s->reason = SIGNET_CRL_REASON_NONE;
	der_cur_init(&c, single->body, single->len);
	if (der_expect(&c, DER_SEQUENCE, &cid, why) != 0)
		return -1;
	der_cur_init(&id, cid.body, cid.len);
	if (der_expect(&id, DER_SEQUENCE, &alg, why) != 0 ||
	    der_expect(&id, DER_OCTET_STRING, &nh, why) != 0 ||
	    der_expect(&id, DER_OCTET_STRING, &kh, why) != 0 ||
	    der_expect(&id, DER_INTEGER, &ser, why) != 0 || !der_cur_done(&id))
		return -1;
	der_cur_init(&a, alg.body, alg.len);
	if (der_expect(&a, DER_OID, &oid, why) != 0)
		return -1;
	if (der_optional(&a, DER_NULL, &par) && par.len != 0) {
		*why = "hash algorithm parameters are not NULL";
		return -1;
	}
	if (!der_cur_done(&a)) {
		*why = "hash algorithm with parameters";
		return -1;
	}
	s->hash_oid.p = oid.body;
	s->hash_oid.n = oid.len;
	s->name_hash.p = nh.body;
	s->name_hash.n = nh.len;
	s->key_hash.p = kh.body;
	s->key_hash.n = kh.len;
	s->serial.p = ser.body;
	s->serial.n = ser.len;
	if (der_next(&c, &st, why) != 0)
		return -1;
	if (st.id == DER_CONTEXT(0) && st.len == 0)
		s->status = 0;
	else if (st.id == DER_CONTEXT(2) && st.len == 0)
		s->status = 2;
	else if (st.id == DER_CONTEXT_CONS(1)) {
		s->status = 1;
		der_cur_init(&id, st.body, st.len);
		if (der_next(&id, &t, why) != 0 ||
		    parse_time(&t, &s->revoked_at) != 0) {
			*why = "revocationTime is not a GeneralizedTime";
			return -1;
		}
		if (der_optional(&id, DER_CONTEXT_CONS(0), &e)) {
			struct der_cur rc;
			struct der_elem en;

			der_cur_init(&rc, e.body, e.len);
			if (der_expect(&rc, DER_ENUMERATED, &en, why) != 0 ||
			    !der_cur_done(&rc) || en.len != 1) {
				*why = "revocationReason is not a CRLReason";
				return -1;
			}
			s->reason = en.body[0];
		}
		if (!der_cur_done(&id)) {
			*why = "trailing data in RevokedInfo";
			return -1;
		}
	} else {
		*why = "certStatus is none of good, revoked, unknown";
		return -1;
	}
	if (der_next(&c, &tu, why) != 0 || parse_time(&tu, &s->this_update)) {
		*why = "thisUpdate is not a GeneralizedTime";
		return -1;
	}
	if (der_optional(&c, DER_CONTEXT_CONS(0), &nu)) {
		der_cur_init(&id, nu.body, nu.len);
		if (der_next(&id, &t, why) != 0 ||
		    parse_time(&t, &s->next_update) != 0 ||
		    !der_cur_done(&id)) {
			*why = "nextUpdate is not a GeneralizedTime";
			return -1;
		}
		s->has_next = 1;
	}
	(void)der_optional(&c, DER_CONTEXT_CONS(1), &e);
	if (!der_cur_done(&c)) {
		*why = "trailing data in a SingleResponse";
		return -1;
	}
	o->n_single++;
	return 0;
}

static int
parse_basic(struct lint_ocsp *o, const char **why)
{
	struct der_cur c, t, l;
	struct der_elem outer, tbs, alg, sig, e, certs, list, single, rid;

	der_cur_init(&c, o->der, o->len);
	if (der_expect(&c, DER_SEQUENCE, &outer, why) != 0)
		return -1;
	if (!der_cur_done(&c)) {
		*why = "trailing data after the response";
		return -1;
	}
	der_cur_init(&c, outer.body, outer.len);
	if (der_expect(&c, DER_SEQUENCE, &tbs, why) != 0 ||
	    der_expect(&c, DER_SEQUENCE, &alg, why) != 0 ||
	    der_expect(&c, DER_BIT_STRING, &sig, why) != 0)
		return -1;
	o->sig_alg.p = alg.tlv;
	o->sig_alg.n = alg.tlv_len;
	if (der_optional(&c, DER_CONTEXT_CONS(0), &certs)) {
		struct der_cur cc;
		struct der_elem seq, cert;

		der_cur_init(&cc, certs.body, certs.len);
		if (der_expect(&cc, DER_SEQUENCE, &seq, why) != 0)
			return -1;
		der_cur_init(&cc, seq.body, seq.len);
		if (der_expect(&cc, DER_SEQUENCE, &cert, why) != 0)
			return -1;
		o->responder_cert.p = cert.tlv;
		o->responder_cert.n = cert.tlv_len;
	}
	if (!der_cur_done(&c)) {
		*why = "trailing data in BasicOCSPResponse";
		return -1;
	}
	der_cur_init(&t, tbs.body, tbs.len);
	if (der_optional(&t, DER_CONTEXT_CONS(0), &e))
		o->version_encoded = 1;
	if (der_next(&t, &rid, why) != 0)
		return -1;
	o->rid_tag = rid.id;
	o->rid.p = rid.body;
	o->rid.n = rid.len;
	if (der_next(&t, &e, why) != 0 || parse_time(&e, &o->produced_at)) {
		*why = "producedAt is not a GeneralizedTime";
		return -1;
	}
	if (der_expect(&t, DER_SEQUENCE, &list, why) != 0)
		return -1;
	der_cur_init(&l, list.body, list.len);
	while (!der_cur_done(&l)) {
		if (der_expect(&l, DER_SEQUENCE, &single, why) != 0 ||
		    parse_single(o, &single, why) != 0)
			return -1;
	}
	if (der_optional(&t, DER_CONTEXT_CONS(1), &e))
		o->has_exts = 1;
	if (!der_cur_done(&t)) {
		*why = "trailing data in ResponseData";
		return -1;
	}
	if (o->n_single == 0) {
		*why = "no SingleResponse";
		return -1;
	}
	return 0;
}

int
lint_ocsp_prepare(struct lint_ocsp *o)
{
	const char *why = "malformed";
	struct x509_cert_view *v = NULL;
	int r;

	der_check(o->der, o->len, 0, &o->der_issues);
	if (parse_basic(o, &why) == 0)
		o->parsed = 1;
	else
		snprintf(o->parse_why, sizeof(o->parse_why), "%s", why);
	if (o->ctx == NULL || o->ctx->issuer == NULL)
		return 0;
	if ((r = lint_issuer_load(o->ctx->issuer, &o->iss)) != 0)
		return r;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (x509_cert_view_parse(o->iss.der, i2d_X509(o->ctx->issuer, NULL), v,
		&why) == 0 &&
	    x509_spki_key_bits(v->spki.p, v->spki.n, &o->iss_key) == 0)
		o->iss_key_ok = 1;
	free(v);
	return 0;
}

void
lint_ocsp_clear(struct lint_ocsp *o)
{
	lint_issuer_clear(&o->iss);
}

/* ---- the lints --------------------------------------------------------- */

static int
ocsp_der(const struct lint_ocsp *o, struct lint_msg *m)
{
	unsigned i;

	if (!o->parsed)
		return lint_fail(m, "not a BasicOCSPResponse: %s",
		    o->parse_why);
	for (i = 0; i < DER_ISSUE_COUNT; i++)
		if (o->der_issues.count[i] > 0)
			return lint_fail(m, "%s", o->der_issues.first[i]);
	if (o->version_encoded)
		return lint_fail(m, "version v1 (the DEFAULT) is written out");
	return LINT_PASS;
}

static int
ocsp_responder_id(const struct lint_ocsp *o, struct lint_msg *m)
{
	EVP_PKEY *pub = NULL;
	uint8_t h[20];
	unsigned n = 0;
	int res;

	if (!o->parsed || !o->iss.known)
		return LINT_NA;
	if (o->responder_cert.n > 0) {
		/* RFC 6960 4.2.2.3: a delegated responder, named byKey. */
		if (o->rid_tag != DER_CONTEXT_CONS(2))
			return lint_fail(m, "a response signed by a delegated "
					    "responder names it byKey");
		if (x509_ocsp_responder_key(o->responder_cert.p,
			o->responder_cert.n, &pub, h) != 0)
			return lint_fail(m, "the responder certificate's key "
					    "does not parse");
		EVP_PKEY_free(pub);
		res = o->rid.n == 22 && o->rid.p[0] == DER_OCTET_STRING &&
		      o->rid.p[1] == 20 && memcmp(o->rid.p + 2, h, 20) == 0;
		return res ? LINT_PASS
			   : lint_fail(m, "responderID byKey is not the SHA-1 "
					  "of the responder certificate's key");
	}
	if (o->rid_tag == DER_CONTEXT_CONS(1)) {
		if (o->rid.n != o->iss.subject.n ||
		    memcmp(o->rid.p, o->iss.subject.p, o->rid.n) != 0)
			return lint_fail(m, "responderID byName is not the "
					    "issuer's subject, byte for byte");
		return LINT_PASS;
	}
	if (o->rid_tag == DER_CONTEXT_CONS(2) && o->iss_key_ok) {
		if (EVP_Digest(o->iss_key.p, o->iss_key.n, h, &n, EVP_sha1(),
			NULL) != 1)
			return LINT_NA;
		if (o->rid.n != 22 || o->rid.p[0] != DER_OCTET_STRING ||
		    memcmp(o->rid.p + 2, h, 20) != 0)
			return lint_fail(m,
			    "responderID byKey is not the SHA-1 "
			    "of the issuer's key");
		return LINT_PASS;
	}
	return lint_fail(m, "responderID is neither byName [1] nor byKey [2]");
}

static int
ocsp_sig_alg(const struct lint_ocsp *o, struct lint_msg *m)
{
	enum signet_sig_alg have, want;
	uint8_t h[20];
	EVP_PKEY *pub = NULL;
	int r, res;

	if (!o->parsed)
		return LINT_NA;
	have = x509_sig_alg_from_der(o->sig_alg.p, o->sig_alg.n);
	if (have == SIGNET_SIG_NONE)
		return lint_fail(m, "the signature algorithm is not one BR "
				    "7.1.3.2 allows, encoded as it says");
	if (o->responder_cert.n > 0) {
		if (x509_ocsp_responder_key(o->responder_cert.p,
			o->responder_cert.n, &pub, h) != 0)
			return lint_fail(m, "the responder certificate's key "
					    "does not parse");
		r = signet_sig_alg_for_key(pub, signet_sig_alg_is_pss(have),
		    &want);
		EVP_PKEY_free(pub);
	} else if (!o->iss.known)
		return LINT_PASS;
	else
		r = signet_sig_alg_for_key(o->iss.pub,
		    signet_sig_alg_is_pss(have), &want);
	if (r != 0) {
		signet_error_clear();
		return lint_fail(m, "the signer's key signs with no algorithm "
				    "signet knows");
	}
	res = have == want
		  ? LINT_PASS
		  : lint_fail(m, "%s does not fit the signer's key (%s)",
			signet_sig_alg_name(have), signet_sig_alg_name(want));
	return res;
}

static int
ocsp_validity(const struct lint_ocsp *o, struct lint_msg *m)
{
	size_t i;
	const struct lint_ocsp_single *s;

	if (!o->parsed)
		return LINT_NA;
	for (i = 0; i < o->n_single; i++) {
		s = &o->single[i];
		if (!s->has_next)
			return lint_fail(m,
			    "SingleResponse %zu has no "
			    "nextUpdate (BR 4.9.10 requires it)",
			    i);
		if (s->next_update <= s->this_update)
			return lint_fail(m,
			    "SingleResponse %zu: nextUpdate "
			    "is not after thisUpdate",
			    i);
		if ((int64_t)(s->next_update - s->this_update) >
		    OCSP_MAX_LIFETIME)
			return lint_fail(m,
			    "SingleResponse %zu is valid for "
			    "%lld s, more than ten days",
			    i, (long long)(s->next_update - s->this_update));
		if (o->produced_at < s->this_update)
			return lint_fail(m, "producedAt is before thisUpdate");
		if (o->ctx != NULL && o->iss.has_not_after &&
		    s->this_update > o->iss.not_after)
			return lint_fail(m, "thisUpdate is after the issuer "
					    "expired");
	}
	return LINT_PASS;
}

static int
ocsp_cert_id(const struct lint_ocsp *o, struct lint_msg *m)
{
	const struct lint_ocsp_single *s;
	uint8_t nh[32], kh[32];
	const EVP_MD *md;
	unsigned n = 0;
	size_t i;

	if (!o->parsed)
		return LINT_NA;
	for (i = 0; i < o->n_single; i++) {
		s = &o->single[i];
		if (der_oid_eq(s->hash_oid.p, s->hash_oid.n, oid_sha1,
			sizeof(oid_sha1)))
			md = EVP_sha1();
		else if (der_oid_eq(s->hash_oid.p, s->hash_oid.n, oid_sha256,
			     sizeof(oid_sha256)))
			md = EVP_sha256();
		else
			return lint_fail(m,
			    "CertID %zu hashes with neither "
			    "SHA-1 nor SHA-256",
			    i);
		if (!o->iss.known || !o->iss_key_ok)
			continue;
		if (EVP_Digest(o->iss.subject.p, o->iss.subject.n, nh, &n, md,
			NULL) != 1 ||
		    EVP_Digest(o->iss_key.p, o->iss_key.n, kh, &n, md, NULL) !=
			1)
			return LINT_NA;
		if (s->name_hash.n != n || memcmp(s->name_hash.p, nh, n) != 0 ||
		    s->key_hash.n != n || memcmp(s->key_hash.p, kh, n) != 0)
			return lint_fail(m,
			    "CertID %zu does not name the "
			    "issuer (issuerNameHash or "
			    "issuerKeyHash differ)",
			    i);
	}
	return LINT_PASS;
}

static int
ocsp_status_store(const struct lint_ocsp *o, struct lint_msg *m)
{
	const struct signet_lint_ocsp_expect *x = o->expect;
	const struct lint_ocsp_single *s;
	size_t i;

	if (!o->parsed || x == NULL)
		return LINT_NA;
	for (i = 0; i < o->n_single; i++) {
		s = &o->single[i];
		if (s->serial.n != x->serial_len ||
		    memcmp(s->serial.p, x->serial, x->serial_len) != 0)
			return lint_fail(m,
			    "SingleResponse %zu is for another "
			    "serial than the store's",
			    i);
		if (s->status == 2)
			return lint_fail(m,
			    "SingleResponse %zu says unknown "
			    "for a certificate the store has",
			    i);
		if (s->status != (x->revoked ? 1 : 0))
			return lint_fail(m,
			    "SingleResponse %zu says %s, the "
			    "store says %s",
			    i, s->status ? "revoked" : "good",
			    x->revoked ? "revoked" : "good");
		if (x->revoked && ((int64_t)s->revoked_at != x->revoked_at ||
				      s->reason != x->reason))
			return lint_fail(m,
			    "SingleResponse %zu: revocation "
			    "time or reason differ from the "
			    "store's",
			    i);
	}
	return LINT_PASS;
}

static int
ocsp_responder_nocheck(const struct lint_ocsp *o, struct lint_msg *m)
{
	struct x509_cert_view *v;
	const struct x509_ext *e;
	unsigned eku = 0;
	const char *why;
	int res = LINT_PASS;

	if (!o->parsed || o->responder_cert.n == 0)
		return LINT_NA;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return LINT_NA;
	if (x509_cert_view_parse(o->responder_cert.p, o->responder_cert.n, v,
		&why) != 0)
		res = lint_fail(m,
		    "the responder certificate does not parse: "
		    "%s",
		    why);
	else if (x509_exts_find(&v->exts, X509_EXT_OCSP_NOCHECK) == NULL)
		res = lint_fail(m, "the responder certificate has no "
				   "id-pkix-ocsp-nocheck");
	else if ((e = x509_exts_find(&v->exts, X509_EXT_EKU)) == NULL ||
		 x509_eku_decode(e->value.p, e->value.n, &eku) != 0 ||
		 !(eku & SIGNET_EKU_OCSP_SIGNING))
		res = lint_fail(m, "the responder certificate lacks the "
				   "OCSPSigning extended key usage");
	/* RFC 6960 4.2.2.2: issued directly by the CA it answers for. */
	else if (o->iss.known &&
		 (v->issuer.n != o->iss.subject.n ||
		     memcmp(v->issuer.p, o->iss.subject.p, v->issuer.n) != 0))
		res = lint_fail(m, "the responder certificate was not issued "
				   "by the CA the response is for");
	free(v);
	return res;
}

#define L SIGNET_LINT_OCSP
#define E SIGNET_LINT_ERROR

const struct lint_ocsp_def lint_ocsp_defs[] = {
	{ { { "e_ocsp_der", "RFC 6960 4.2.1; X.690 10",
		"the response is a DER BasicOCSPResponse", E, L },
	      NULL, NULL },
	    ocsp_der },
	{ { { "e_ocsp_responder_id", "RFC 6960 4.2.2.3",
		"responderID names the issuer (byName or byKey), or the "
		"delegated responder byKey",
		E, L },
	      NULL, NULL },
	    ocsp_responder_id },
	{ { { "e_ocsp_sig_alg", "RFC 6960 4.3; BR 7.1.3.2",
		"the signature algorithm is allowed and fits the signer's key",
		E, L },
	      NULL, NULL },
	    ocsp_sig_alg },
	{ { { "e_ocsp_validity", "RFC 6960 4.2.2.1; BR 4.9.10",
		"every SingleResponse has nextUpdate after thisUpdate, at most "
		"ten days later, producedAt not before thisUpdate",
		E, L },
	      NULL, NULL },
	    ocsp_validity },
	{ { { "e_ocsp_cert_id", "RFC 6960 4.1.1",
		"every CertID hashes with SHA-1 or SHA-256 and names the "
		"issuer",
		E, L },
	      NULL, NULL },
	    ocsp_cert_id },
	{ { { "e_ocsp_status_store", "RFC 6960 2.2; BR 4.9.10",
		"the status is the store's: serial, good or revoked with its "
		"time and reason, never unknown",
		E, L },
	      NULL, NULL },
	    ocsp_status_store },
	{ { { "e_ocsp_responder_nocheck", "RFC 6960 4.2.2.2, 4.2.2.2.1",
		"a delegated responder certificate has OCSPSigning and "
		"id-pkix-ocsp-nocheck and was issued by the CA",
		E, L },
	      NULL, NULL },
	    ocsp_responder_nocheck },
};

const size_t lint_ocsp_ndefs =
    sizeof(lint_ocsp_defs) / sizeof(lint_ocsp_defs[0]);
