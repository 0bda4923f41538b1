/*
 * CRLReason (RFC 5280 5.3.1): the one enum, name table and set of rules
 * for every module that revokes, stores or encodes a revocation (src/ca,
 * src/store, src/x509, src/ceremony, the CLI).
 */
#ifndef SIGNET_CRL_REASON_H
#define SIGNET_CRL_REASON_H

#include "signet/error.h"

/* NONE and UNSPECIFIED put no reasonCode in a CRL entry. */
enum signet_crl_reason {
	SIGNET_CRL_REASON_NONE = -1,
	SIGNET_CRL_REASON_UNSPECIFIED = 0,
	SIGNET_CRL_REASON_KEY_COMPROMISE = 1,
	SIGNET_CRL_REASON_CA_COMPROMISE = 2, /* CA certificates only */
	SIGNET_CRL_REASON_AFFILIATION_CHANGED = 3,
	SIGNET_CRL_REASON_SUPERSEDED = 4,
	SIGNET_CRL_REASON_CESSATION_OF_OPERATION = 5,
	SIGNET_CRL_REASON_CERTIFICATE_HOLD = 6, /* always refused */
	SIGNET_CRL_REASON_REMOVE_FROM_CRL = 8,  /* delta CRLs only */
	SIGNET_CRL_REASON_PRIVILEGE_WITHDRAWN = 9,
	SIGNET_CRL_REASON_AA_COMPROMISE = 10, /* CA certificates only */
};

/* Whose certificate is revoked: the reasons it may have differ. */
enum signet_crl_subject {
	SIGNET_CRL_SUBJECT_SUBSCRIBER = 0, /* end-entity certificates */
	SIGNET_CRL_SUBJECT_CA,             /* basicConstraints cA TRUE */
};

/* RFC 5280 names: "keyCompromise", ...; "unknown" otherwise. */
const char *signet_crl_reason_name(int reason);

/*
 * Parse a reason name (case-insensitive, as signet_crl_reason_name prints
 * it) or its number. SIGNET_ERR_USAGE for anything else, and for
 * certificateHold and removeFromCRL, which signet never revokes with.
 */
int signet_crl_reason_parse(const char *name, int *reason) SIGNET_WUR;

/*
 * May a certificate of this kind be revoked with this reason? 0, or
 * SIGNET_ERR_USAGE saying why not:
 *  - certificateHold, removeFromCRL and codes RFC 5280 does not define:
 *    never (BR 7.2.2; removeFromCRL only in delta CRLs, signet's own);
 *  - subscriber certificates: unspecified (no reasonCode), keyCompromise,
 *    affiliationChanged, superseded, cessationOfOperation and
 *    privilegeWithdrawn (BR 7.2.2); cACompromise and aACompromise name a
 *    CA's or attribute authority's key, not a subscriber's;
 *  - CA certificates: every RFC 5280 reason but the two above.
 * SIGNET_CRL_REASON_NONE is an encoding, not a reason: refused.
 */
int
signet_crl_reason_check(int reason, enum signet_crl_subject subject) SIGNET_WUR;

#endif /* SIGNET_CRL_REASON_H */
