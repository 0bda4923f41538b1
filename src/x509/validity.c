/* Validity periods (RFC 5280 4.1.2.5, BR 6.3.2). */
#include <inttypes.h>
#include <string.h>

#include "signet/x509.h"
#include "util/codec.h"

int
signet_validity_compute(const struct signet_profile *profile, int64_t requested,
    time_t now, time_t issuer_not_after, struct signet_validity *out)
{
	int64_t validity =
	    requested > 0 ? requested : profile->validity_default;
	char when[21];

	memset(out, 0, sizeof(*out));
	if (validity <= 0)
		return signet_error_set(SIGNET_ERR_POLICY,
		    "profile '%s' has no default validity and none was "
		    "requested",
		    profile->name != NULL ? profile->name : "?");
	if (profile->validity_max > 0 && validity > profile->validity_max)
		return signet_error_set(SIGNET_ERR_POLICY,
		    "requested validity of %" PRId64 " seconds exceeds "
		    "profile '%s' maximum of %" PRId64 " seconds",
		    validity, profile->name != NULL ? profile->name : "?",
		    profile->validity_max);
	if (profile->backdate < 0 || profile->backdate > validity / 2)
		return signet_error_set(SIGNET_ERR_POLICY,
		    "profile '%s' backdate of %" PRId64 " seconds must be "
		    "between 0 and half the validity",
		    profile->name != NULL ? profile->name : "?",
		    profile->backdate);
	if (issuer_not_after != 0 && issuer_not_after <= now) {
		time_format(issuer_not_after, when);
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the issuing CA certificate expired at %s; renew it "
		    "before issuing",
		    when);
	}
	out->not_before = now - (time_t)profile->backdate;
	/* Inclusive: the period from notBefore to notAfter is validity s. */
	out->not_after = out->not_before + (time_t)validity - 1;
	if (issuer_not_after != 0 && out->not_after > issuer_not_after) {
		out->not_after = issuer_not_after;
		out->clamped = 1;
	}
	return 0;
}
