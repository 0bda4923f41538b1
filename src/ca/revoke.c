/*
 * Revocation: a cert.revoke.intent record, synced, before the database
 * changes (so that no revocation can exist that the log never mentions,
 * whatever crashes in between: fail closed, as issuance), then the
 * store's rules, and a cert.revoke record either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "util/codec.h"
#include "util/fault.h"

/* The details of every cert.revoke record (intent, outcome). */
static json_t *
revoke_details(const struct signet_ca *ca, const char *hex, int reason,
    const char *at)
{
	return json_pack("{s:s,s:s,s:i,s:s,s:s}", "serial", hex, "reason",
	    signet_crl_reason_name(reason), "reason_code", reason, "revoked_at",
	    at, "requester", ca->requester);
}

/*
 * What the certificate allows: a revocation time no earlier than its
 * notBefore (RFC 5280 5.1.2.6: the date it stopped being trustworthy, so
 * after it started), and the reasons for its kind (BR 7.2.2). A row that
 * holds no certificate is left to the store, which refuses it.
 */
static int
revoke_check_cert(struct signet_ca *ca, const char *hex, int reason,
    int64_t when, const char *at)
{
	struct signet_store_cert *cert = NULL;
	const unsigned char *p;
	X509 *x = NULL;
	char nb[21];
	int r = SIGNET_ERR_INTERNAL;

	if ((r = signet_store_cert_get(ca->store, ca->issuer_id, hex, &cert)) ==
	    SIGNET_ERR_NOT_FOUND) {
		signet_error_clear();
		return 0;
	}
	if (r != 0)
		goto out;
	if (cert->der == NULL || cert->der_len > 0x7fffffff) {
		r = 0;
		goto out;
	}
	if (when < cert->not_before) {
		time_format((time_t)cert->not_before, nb);
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "revocation time %s is before certificate %s was valid "
		    "(notBefore %s); give a time between its notBefore and "
		    "now, or leave --time out",
		    at, hex, nb);
		goto out;
	}
	p = cert->der;
	if ((x = d2i_X509(NULL, &p, (long)cert->der_len)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_STORE,
		    "certificate %s in the database does not parse", hex);
		goto out;
	}
	if ((r = signet_crl_reason_check(reason,
		 (X509_get_extension_flags(x) & EXFLAG_CA) != 0
		     ? SIGNET_CRL_SUBJECT_CA
		     : SIGNET_CRL_SUBJECT_SUBSCRIBER)) != 0)
		goto out;
	r = 0;
out:
	X509_free(x);
	signet_store_cert_free(cert);
	return r;
}

int
signet_ca_revoke(struct signet_ca *ca, const char *serial, int reason,
    const int64_t *when_given, int64_t *revoked_at)
{
	int r = SIGNET_ERR_INTERNAL, ar;
	int64_t now = (int64_t)time(NULL), when;
	struct signet_serial s;
	enum signet_audit_outcome outcome;
	json_t *details;
	char hex[41], at[21];
	char *why = NULL;

	if (revoked_at != NULL)
		*revoked_at = 0;
	if (ca->audit == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "revoking needs an instance opened with "
		    "SIGNET_CA_OPEN_AUDIT");
	if ((r = signet_serial_from_hex(serial != NULL ? serial : "", &s)) != 0)
		return signet_error_context(r, "serial '%.80s'",
		    serial != NULL ? serial : "");
	signet_serial_to_hex(&s, hex);
	when = when_given != NULL ? *when_given : now;
	/* Another machine's clock may be a little ahead: that is now. */
	if (when > now && when <= now + SIGNET_CA_REVOKE_SKEW)
		when = now;
	time_format((time_t)when, at);
	if ((r = ca_clock_check(ca, now)) != 0)
		goto refused;
	if (when > now) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "revocation time %s is in the future; give the time the "
		    "certificate stopped being trustworthy (it may be earlier "
		    "than now, BR 7.2.2), or leave --time out",
		    at);
		goto refused;
	}
	if ((r = revoke_check_cert(ca, hex, reason, when, at)) != 0)
		goto refused;
	if (ca_audit(ca, SIGNET_AUDIT_EV_CERT_REVOKE_INTENT,
		SIGNET_AUDIT_INTENT,
		revoke_details(ca, hex, reason, at)) != 0 ||
	    signet_audit_sync(ca->audit) != 0) {
		why = ca_error_dup();
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "certificate %s was not revoked: the audit log could not "
		    "record the revocation first: %s",
		    hex, why != NULL ? why : "?");
		goto out;
	}
	if ((r = SIGNET_FAULT("revoke.record")) != 0 ||
	    (r = signet_store_cert_revoke(ca->store, ca->issuer_id, hex, reason,
		 when)) != 0)
		goto refused;
	if (ca_audit(ca, SIGNET_AUDIT_EV_CERT_REVOKE, SIGNET_AUDIT_SUCCESS,
		revoke_details(ca, hex, reason, at)) != 0 ||
	    signet_audit_sync(ca->audit) != 0) {
		why = ca_error_dup();
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "certificate %s is revoked in the database, but the audit "
		    "log could not record it: %s",
		    hex, why != NULL ? why : "?");
		goto out;
	}
	if (revoked_at != NULL)
		*revoked_at = when;
	r = 0;
	goto out;
refused:
	/* Refusals are audited too; the refusal is what the caller sees. */
	why = ca_error_dup();
	outcome = r == SIGNET_ERR_STORE || r == SIGNET_ERR_INTERNAL
		      ? SIGNET_AUDIT_FAILURE
		      : SIGNET_AUDIT_DENIED;
	details = ca_details_add(revoke_details(ca, hex, reason, at), "error",
	    json_string(why != NULL ? why : "?"));
	ar = ca_audit(ca, SIGNET_AUDIT_EV_CERT_REVOKE, outcome, details);
	if (ar == 0)
		ar = signet_audit_sync(ca->audit);
	signet_error_set(r, "%s%s", why != NULL ? why : signet_strerror(r),
	    ar == 0 ? "" : " (the audit log could not record this refusal)");
out:
	free(why);
	return r;
}
