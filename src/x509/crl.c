/* CRLs (RFC 5280 5): a v2 TBSCertList streamed into one buffer. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "x509/x509_int.h"

static int
crl_check_params(const struct signet_crl_params *p)
{
	if (p->issuer == NULL || p->issuer->cert == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a CRL needs its issuer's CA certificate "
		    "(signet_issuer_new)");
	/* RFC 5280 4.2.1.3, 6.3.3 (f): a CRL's signer asserts cRLSign. */
	if (!p->issuer->has_ku || !(p->issuer->ku & SIGNET_KU_CRL_SIGN))
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the issuer certificate %s cRLSign in its keyUsage (RFC "
		    "5280 4.2.1.3): verifiers would reject its CRLs; sign CRLs "
		    "with a CA certificate whose keyUsage has cRLSign",
		    p->issuer->has_ku ? "lacks" : "has no keyUsage, so no");
	if (p->next_update_in <= 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "nextUpdate must come after thisUpdate (RFC 5280 "
		    "5.1.2.5): give a positive next_update_in");
	if (p->delta && p->base_crl_number >= p->crl_number)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "delta CRL number %" PRIu64 " must be greater than its "
		    "base CRL number %" PRIu64 " (RFC 5280 5.2.4)",
		    p->crl_number, p->base_crl_number);
	if (p->delta && p->freshest_url != NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a delta CRL cannot carry a Freshest CRL pointer (RFC "
		    "5280 5.2.6)");
	if (p->idp_only_user_certs && p->idp_only_ca_certs)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an issuing distribution point cannot be both only-user "
		    "and only-CA (RFC 5280 5.2.5)");
	if ((p->idp_url != NULL &&
		!x509_ia5_ok(p->idp_url, strlen(p->idp_url))) ||
	    (p->freshest_url != NULL &&
		!x509_ia5_ok(p->freshest_url, strlen(p->freshest_url))))
		return signet_error_set(SIGNET_ERR_USAGE,
		    "CRL URLs must be ASCII");
	return 0;
}

static int
crl_check_entry(const struct signet_crl_params *p,
    const struct signet_crl_entry *e, const struct signet_crl_entry *prev,
    size_t n)
{
	const struct signet_serial *s = &e->serial;
	char hex[41];

	if (s->len == 0 || s->len > SIGNET_SERIAL_MAX || (s->v[0] & 0x80) ||
	    (s->len > 1 && s->v[0] == 0 && !(s->v[1] & 0x80)))
		return signet_error_set(SIGNET_ERR_USAGE,
		    "revoked entry %zu: serial is not a positive, minimal "
		    "INTEGER of at most 20 octets",
		    n);
	signet_serial_to_hex(s, hex);
	if (prev != NULL && signet_serial_cmp(&prev->serial, s) >= 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "revoked entry %zu (serial %s) is not after the one "
		    "before it: CRL entries must come sorted by serial and "
		    "unique",
		    n, hex);
	switch (e->reason) {
	case SIGNET_CRL_REASON_NONE:
	case SIGNET_CRL_REASON_UNSPECIFIED:
	case SIGNET_CRL_REASON_KEY_COMPROMISE:
	case SIGNET_CRL_REASON_CA_COMPROMISE:
	case SIGNET_CRL_REASON_AFFILIATION_CHANGED:
	case SIGNET_CRL_REASON_SUPERSEDED:
	case SIGNET_CRL_REASON_CESSATION_OF_OPERATION:
	case SIGNET_CRL_REASON_PRIVILEGE_WITHDRAWN:
	case SIGNET_CRL_REASON_AA_COMPROMISE:
		break;
	case SIGNET_CRL_REASON_CERTIFICATE_HOLD:
		return signet_error_set(SIGNET_ERR_POLICY,
		    "serial %s: certificateHold is not allowed (BR 7.2.2); "
		    "revoke for good or not at all",
		    hex);
	case SIGNET_CRL_REASON_REMOVE_FROM_CRL:
		if (p->delta)
			break;
		return signet_error_set(SIGNET_ERR_POLICY,
		    "serial %s: removeFromCRL belongs in delta CRLs only "
		    "(RFC 5280 5.3.1)",
		    hex);
	default:
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial %s: %d is not a CRL reason code", hex, e->reason);
	}
	return 0;
}

static void
crl_put_entry(struct der_buf *b, const struct signet_crl_entry *e)
{
	size_t ent, exts, x, o;
	int reason = e->reason > 0;

	ent = der_begin(b, DER_SEQUENCE);
	der_put_tlv(b, DER_INTEGER, e->serial.v, e->serial.len);
	der_put_time(b, e->revoked_at);
	if (reason || e->invalidity_date != 0) {
		exts = der_begin(b, DER_SEQUENCE);
		/* RFC 5280 5.3.1: no reasonCode for unspecified. */
		if (reason) {
			x = der_begin(b, DER_SEQUENCE);
			x509_put_ext_oid(b, X509_EXT_REASON);
			o = der_begin(b, DER_OCTET_STRING);
			der_put_uint(b, DER_ENUMERATED, (uint64_t)e->reason);
			der_end(b, o);
			der_end(b, x);
		}
		if (e->invalidity_date != 0) {
			x = der_begin(b, DER_SEQUENCE);
			x509_put_ext_oid(b, X509_EXT_INVALIDITY_DATE);
			o = der_begin(b, DER_OCTET_STRING);
			/* RFC 5280 5.3.2: always GeneralizedTime. */
			der_put_generalized_time(b, e->invalidity_date);
			der_end(b, o);
			der_end(b, x);
		}
		der_end(b, exts);
	}
	der_end(b, ent);
}

static int
crl_put_entries(struct der_buf *b, const struct signet_crl_params *p,
    size_t *count)
{
	struct signet_crl_entry cur, prev;
	size_t rev = 0;
	int r;

	*count = 0;
	if (p->next_entry == NULL)
		return 0;
	for (;;) {
		memset(&cur, 0, sizeof(cur));
		cur.reason = SIGNET_CRL_REASON_NONE;
		r = p->next_entry(p->next_entry_arg, &cur);
		if (r < 0)
			return signet_error_context(r,
			    "reading revoked certificates");
		if (r == 0)
			break;
		if ((r = crl_check_entry(p, &cur, *count > 0 ? &prev : NULL,
			 *count)) != 0)
			return r;
		/* RFC 5280 5.1.2.6: no empty list; open it on the first. */
		if (*count == 0)
			rev = der_begin(b, DER_SEQUENCE);
		crl_put_entry(b, &cur);
		if (b->failed)
			return der_buf_status(b);
		prev = cur;
		(*count)++;
	}
	if (*count > 0)
		der_end(b, rev);
	return 0;
}

static void
crl_put_dp_uri(struct der_buf *b, const char *url)
{
	size_t dpn = der_begin(b, DER_CONTEXT_CONS(0));
	size_t full = der_begin(b, DER_CONTEXT_CONS(0));

	der_put_tlv(b, DER_CONTEXT(6), url, strlen(url));
	der_end(b, full);
	der_end(b, dpn);
}

static void
crl_put_extensions(struct der_buf *b, const struct signet_crl_params *p)
{
	const struct signet_issuer *is = p->issuer;
	size_t w, seq, x, o, s, d;
	static const uint8_t t = 0xff;

	w = der_begin(b, DER_CONTEXT_CONS(0));
	seq = der_begin(b, DER_SEQUENCE);

	x = der_begin(b, DER_SEQUENCE);
	x509_put_ext_oid(b, X509_EXT_AKI);
	o = der_begin(b, DER_OCTET_STRING);
	s = der_begin(b, DER_SEQUENCE);
	der_put_tlv(b, DER_CONTEXT(0), is->key_id, is->key_id_len);
	der_end(b, s);
	der_end(b, o);
	der_end(b, x);

	x = der_begin(b, DER_SEQUENCE);
	x509_put_ext_oid(b, X509_EXT_CRL_NUMBER);
	o = der_begin(b, DER_OCTET_STRING);
	der_put_uint(b, DER_INTEGER, p->crl_number);
	der_end(b, o);
	der_end(b, x);

	if (p->delta) {
		x = der_begin(b, DER_SEQUENCE);
		x509_put_ext_oid(b, X509_EXT_DELTA_CRL);
		der_put_bool_true(b); /* RFC 5280 5.2.4: critical */
		o = der_begin(b, DER_OCTET_STRING);
		der_put_uint(b, DER_INTEGER, p->base_crl_number);
		der_end(b, o);
		der_end(b, x);
	}

	if (p->idp_url != NULL || p->idp_only_user_certs ||
	    p->idp_only_ca_certs) {
		x = der_begin(b, DER_SEQUENCE);
		x509_put_ext_oid(b, X509_EXT_IDP);
		der_put_bool_true(b); /* RFC 5280 5.2.5: critical */
		o = der_begin(b, DER_OCTET_STRING);
		s = der_begin(b, DER_SEQUENCE);
		if (p->idp_url != NULL)
			crl_put_dp_uri(b, p->idp_url);
		/* DEFAULT FALSE booleans appear only when TRUE. */
		if (p->idp_only_user_certs)
			der_put_tlv(b, DER_CONTEXT(1), &t, 1);
		if (p->idp_only_ca_certs)
			der_put_tlv(b, DER_CONTEXT(2), &t, 1);
		der_end(b, s);
		der_end(b, o);
		der_end(b, x);
	}

	if (!p->delta && p->freshest_url != NULL) {
		x = der_begin(b, DER_SEQUENCE);
		x509_put_ext_oid(b, X509_EXT_FRESHEST_CRL);
		o = der_begin(b, DER_OCTET_STRING);
		s = der_begin(b, DER_SEQUENCE);
		d = der_begin(b, DER_SEQUENCE);
		crl_put_dp_uri(b, p->freshest_url);
		der_end(b, d);
		der_end(b, s);
		der_end(b, o);
		der_end(b, x);
	}

	der_end(b, seq);
	der_end(b, w);
}

int
signet_crl_prepare(const struct signet_crl_params *params,
    struct signet_tbs **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_tbs *tbs = NULL;
	struct der_buf *b;
	time_t this_update;
	size_t seq;

	*out = NULL;
	if ((r = crl_check_params(params)) != 0)
		goto out;
	this_update =
	    params->this_update != 0 ? params->this_update : time(NULL);
	if ((tbs = x509_tbs_new(X509_TBS_CRL)) == NULL) {
		r = SIGNET_ERR_INTERNAL;
		goto out;
	}
	tbs->issuer = params->issuer;
	if ((r = signet_sig_alg_for_key(params->issuer->pub, params->rsa_pss,
		 &tbs->alg)) != 0)
		goto out;
	b = &tbs->buf;
	seq = der_begin(b, DER_SEQUENCE);
	der_put_uint(b, DER_INTEGER, 1); /* v2 */
	x509_put_sig_alg(b, tbs->alg);
	der_put_raw(b, params->issuer->subject.p, params->issuer->subject.n);
	der_put_time(b, this_update);
	der_put_time(b, this_update + (time_t)params->next_update_in);
	if ((r = crl_put_entries(b, params, &tbs->crl_entries)) != 0)
		goto out;
	crl_put_extensions(b, params);
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
