/*
 * Pre-issuance linting (CA/B Forum BR 4.3.1.2) of certificates and CRLs.
 *
 * Lints run on the raw DER of a lint certificate or CRL before a token
 * signs anything, and on any file through `signet lint`. Each lint has an
 * id (e_ error, w_ warning, n_ notice), the RFC 5280 / X.690 / CA/B Forum
 * section it comes from, and a severity. A failed error-level lint refuses
 * issuance; error-level lints cannot be turned off.
 */
#ifndef SIGNET_LINT_H
#define SIGNET_LINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "signet/error.h"
#include "signet/profile.h"

enum signet_lint_severity {
	SIGNET_LINT_NOTICE = 1,
	SIGNET_LINT_WARNING = 2,
	SIGNET_LINT_ERROR = 3,
};

/* What a lint applies to (bits). */
#define SIGNET_LINT_CERT 0x1
#define SIGNET_LINT_CRL 0x2
#define SIGNET_LINT_OCSP 0x4

struct signet_lint_info {
	const char *id;          /* "e_serial_positive" */
	const char *source;      /* "RFC 5280 4.1.2.2" */
	const char *description; /* what a passing object does */
	enum signet_lint_severity severity;
	unsigned applies; /* SIGNET_LINT_CERT | _CRL | _OCSP */
};

/* The lint table. */
size_t signet_lint_count(void);
const struct signet_lint_info *signet_lint_get(size_t i);
const struct signet_lint_info *signet_lint_find(const char *id);
/* "error", "warning", "notice" */
const char *signet_lint_severity_name(enum signet_lint_severity s);

/* ---- context ----------------------------------------------------------- */

struct signet_lint_ctx;

int signet_lint_ctx_new(struct signet_lint_ctx **out) SIGNET_WUR;
void signet_lint_ctx_free(struct signet_lint_ctx *ctx);
/*
 * The issuing CA's certificate (a reference is taken): enables the lints
 * that compare with the issuer (issuer name bytes, AKI, signature
 * algorithm, validity, name constraints).
 */
int signet_lint_ctx_set_issuer(struct signet_lint_ctx *ctx, X509 *issuer)
    SIGNET_WUR;
/* Further CA certificates up the chain, for their name constraints. */
int signet_lint_ctx_add_chain(struct signet_lint_ctx *ctx, X509 *ca) SIGNET_WUR;
/* The profile the object was issued under (borrowed): validity maximum. */
void signet_lint_ctx_set_profile(struct signet_lint_ctx *ctx,
    const struct signet_profile *profile);
/*
 * Longest nextUpdate - thisUpdate a CRL may have, in seconds. Default 10
 * days (BR 4.9.7, CRLs for subscriber certificates); CA CRLs may use up
 * to 12 months.
 */
void signet_lint_ctx_set_crl_max_next_update(struct signet_lint_ctx *ctx,
    int64_t seconds);
/*
 * Skip a warning or notice lint. Error-level lints cannot be skipped
 * (SIGNET_ERR_POLICY); an unknown id is SIGNET_ERR_USAGE.
 */
int
signet_lint_ctx_disable(struct signet_lint_ctx *ctx, const char *id) SIGNET_WUR;

/* ---- reports ----------------------------------------------------------- */

struct signet_lint_finding {
	const struct signet_lint_info *lint;
	const char *detail; /* what is wrong, naming the field */
};

struct signet_lint_report;

void signet_lint_report_free(struct signet_lint_report *report);
/* "certificate", "crl", "ocsp", or "unknown" when the input was none. */
const char *signet_lint_report_kind(const struct signet_lint_report *report);
/* Lints that applied and ran. */
size_t signet_lint_report_lints_run(const struct signet_lint_report *report);
/* 1 if lint id applied to the object and ran (passed or failed). */
int
signet_lint_report_ran(const struct signet_lint_report *report, const char *id);
/* Failed lints, in table order. */
size_t signet_lint_report_count(const struct signet_lint_report *report);
const struct signet_lint_finding *
signet_lint_report_get(const struct signet_lint_report *report, size_t i);
/* Failed lints of one severity. */
size_t signet_lint_report_tally(const struct signet_lint_report *report,
    enum signet_lint_severity severity);
/* The finding for lint id, or NULL if it passed or did not apply. */
const struct signet_lint_finding *
signet_lint_report_find(const struct signet_lint_report *report,
    const char *id);
/*
 * One line per finding: "error e_serial_positive [RFC 5280 4.1.2.2]:
 * detail". Freshly allocated; NULL when out of memory.
 */
char *signet_lint_report_text(const struct signet_lint_report *report);
/* {"kind":..,"lints_run":..,"errors":..,"warnings":..,"notices":..,
 * "findings":[{"id","severity","source","description","detail"}]} */
char *signet_lint_report_json(const struct signet_lint_report *report);

/* ---- linting ----------------------------------------------------------- */

/*
 * Lint one DER certificate / CRL. ctx may be NULL (no issuer, no profile,
 * defaults). Returns 0 when no error-level lint failed, SIGNET_ERR_LINT
 * (message listing every failed error-level lint) otherwise; *report is set
 * in both cases. Other codes mean the lint itself could not run.
 */
int signet_lint_cert(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, struct signet_lint_report **report) SIGNET_WUR;
int signet_lint_crl(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, struct signet_lint_report **report) SIGNET_WUR;
/*
 * What an OCSP response must say, from the store: the certificate's serial
 * and status. With expect NULL, e_ocsp_status_store does not apply.
 */
struct signet_lint_ocsp_expect {
	const uint8_t *serial; /* INTEGER content octets */
	size_t serial_len;
	int revoked;
	int64_t revoked_at;
	int reason; /* SIGNET_CRL_REASON_NONE: no reason */
};

/*
 * Lint one DER BasicOCSPResponse (RFC 6960 4.2.1), as signed by the
 * issuer set in ctx (the CA key signs it). Results as signet_lint_cert.
 */
int signet_lint_ocsp(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, const struct signet_lint_ocsp_expect *expect,
    struct signet_lint_report **report) SIGNET_WUR;
/*
 * Any input: PEM (the first CERTIFICATE or X509 CRL block) or DER, a
 * certificate or a CRL (told apart by structure). Input that is neither is
 * reported as e_der_valid.
 */
int signet_lint_data(const struct signet_lint_ctx *ctx, const uint8_t *data,
    size_t len, struct signet_lint_report **report) SIGNET_WUR;

#endif /* SIGNET_LINT_H */
