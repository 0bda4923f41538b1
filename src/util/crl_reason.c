/* CRLReason names and the rules for using them (include/signet/crl_reason.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signet/crl_reason.h"

static const struct {
	int code;
	const char *name;
	int subscriber; /* BR 7.2.2 allows it for subscriber certificates */
	int usable;     /* signet revokes with it at all */
} reasons[] = {
	{ SIGNET_CRL_REASON_UNSPECIFIED, "unspecified", 1, 1 },
	{ SIGNET_CRL_REASON_KEY_COMPROMISE, "keyCompromise", 1, 1 },
	{ SIGNET_CRL_REASON_CA_COMPROMISE, "cACompromise", 0, 1 },
	{ SIGNET_CRL_REASON_AFFILIATION_CHANGED, "affiliationChanged", 1, 1 },
	{ SIGNET_CRL_REASON_SUPERSEDED, "superseded", 1, 1 },
	{ SIGNET_CRL_REASON_CESSATION_OF_OPERATION, "cessationOfOperation", 1,
	    1 },
	{ SIGNET_CRL_REASON_CERTIFICATE_HOLD, "certificateHold", 0, 0 },
	{ SIGNET_CRL_REASON_REMOVE_FROM_CRL, "removeFromCRL", 0, 0 },
	{ SIGNET_CRL_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn", 1, 1 },
	{ SIGNET_CRL_REASON_AA_COMPROMISE, "aACompromise", 0, 1 },
};

#define SUBSCRIBER_REASONS                                             \
	"unspecified, keyCompromise, affiliationChanged, superseded, " \
	"cessationOfOperation or privilegeWithdrawn"

static int
reason_index(int code)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return (int)i;
	return -1;
}

const char *
signet_crl_reason_name(int reason)
{
	int i = reason_index(reason);

	return i >= 0 ? reasons[i].name : "unknown";
}

int
signet_crl_reason_check(int reason, enum signet_crl_subject subject)
{
	int i;

	if ((i = reason_index(reason)) < 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "%d is not an RFC 5280 CRLReason", reason);
	/* BR 7.2.2: no certificateHold; removeFromCRL only undoes a hold. */
	if (!reasons[i].usable)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "revocation reason %s is not allowed (certificate holds "
		    "are not supported, BR 7.2.2)",
		    reasons[i].name);
	if (subject == SIGNET_CRL_SUBJECT_SUBSCRIBER && !reasons[i].subscriber)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "revocation reason %s is for CA certificates; a "
		    "subscriber certificate is revoked for " SUBSCRIBER_REASONS
		    " (BR 7.2.2)",
		    reasons[i].name);
	return 0;
}

int
signet_crl_reason_parse(const char *name, int *reason)
{
	size_t i;
	char *end;
	long n;

	*reason = SIGNET_CRL_REASON_NONE;
	if (name == NULL || *name == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no revocation reason given");
	n = strtol(name, &end, 10);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcasecmp(name, reasons[i].name) != 0 &&
		    !(*end == '\0' && n == reasons[i].code))
			continue;
		if (!reasons[i].usable)
			return signet_crl_reason_check(reasons[i].code,
			    SIGNET_CRL_SUBJECT_CA);
		*reason = reasons[i].code;
		return 0;
	}
	return signet_error_set(SIGNET_ERR_USAGE,
	    "unknown revocation reason '%s'; use one of " SUBSCRIBER_REASONS
	    " (and, for CA certificates, cACompromise or aACompromise)",
	    name);
}
