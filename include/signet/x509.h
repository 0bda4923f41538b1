/*
 * Building certificates, CRLs and CSRs (RFC 5280, RFC 2986).
 *
 * Everything to be signed goes through one object, struct signet_tbs, in
 * three phases the caller keeps apart:
 *
 *   signet_cert_prepare / signet_crl_prepare
 *       encode the to-be-signed bytes and sign them with the issuer's
 *       throwaway software key: the "lint certificate" (or CRL), which has
 *       exactly the bytes the token will sign;
 *   signet_tbs_lint
 *       lint it (include/signet/lint.h); an error-level finding refuses;
 *   ... the caller reserves the serial, writes an audit record ...
 *   signet_tbs_sign
 *       the issuer's signer (the token) signs those exact bytes; the result
 *       is assembled, parsed back, its TBS compared with the linted one
 *       and its signature verified with the issuer's public key.
 *
 * Nothing in a certificate is copied from a CSR: the subject, names and key
 * come from the normalised request (include/signet/request.h), everything
 * else from the profile (include/signet/profile.h).
 */
#ifndef SIGNET_X509_H
#define SIGNET_X509_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "signet/crl_reason.h"
#include "signet/error.h"
#include "signet/lint.h"
#include "signet/profile.h"
#include "signet/request.h"
#include "signet/signer.h"

/* ---- serial numbers ---------------------------------------------------- */

#define SIGNET_SERIAL_MAX 20     /* RFC 5280 4.1.2.2 */
#define SIGNET_SERIAL_MIN_NEW 16 /* shortest serial signet_serial_new makes */
#define SIGNET_SERIAL_DEFAULT 20

/* A serial number: the content octets of a positive, minimal DER INTEGER. */
struct signet_serial {
	size_t len;
	uint8_t v[SIGNET_SERIAL_MAX];
};

/* A random source: fill buf with len random octets; 0 or a SIGNET_ERR_*. */
typedef int (*signet_random_fn)(void *arg, uint8_t *buf, size_t len);

/* OpenSSL's CSPRNG as a random source (tests, software-only tools). */
int signet_random_openssl(void *arg, uint8_t *buf, size_t len) SIGNET_WUR;

/*
 * A fresh serial of exactly octets octets (16..20; 0 means 20):
 *   - the first octet is drawn until it lies in 0x01..0x7f (rejection
 *     sampling: uniform over 127 values, about 6.99 bits), so the number is
 *     positive, non-zero and its minimal DER encoding is exactly octets
 *     long; no bit is forced to a constant except the sign bit;
 *   - the other octets - 1 octets are used as drawn.
 * Entropy: 8 * (octets - 1) + log2(127) bits: 126.99 at 16 octets, 158.99
 * at the default 20, far above BR 7.1's 64 bits. A source that returns all
 * identical octets, or never a usable first octet, is refused as broken.
 * In production random is the token's C_GenerateRandom.
 */
int signet_serial_new(signet_random_fn random, void *arg, size_t octets,
    struct signet_serial *out) SIGNET_WUR;

/* Lower-case hex of the content octets ("4f1c..."), into out[41]. */
void signet_serial_to_hex(const struct signet_serial *s, char out[41]);
/*
 * Parse hex (either case, optional ':') as a positive number; stored in
 * minimal form. SIGNET_ERR_USAGE if empty, zero or over 20 octets.
 */
int
signet_serial_from_hex(const char *hex, struct signet_serial *out) SIGNET_WUR;
/* Numeric order: <0, 0, >0. */
int
signet_serial_cmp(const struct signet_serial *a, const struct signet_serial *b);

/* ---- validity ---------------------------------------------------------- */

struct signet_validity {
	time_t not_before;
	time_t not_after;
	int clamped; /* not_after was cut to the issuer's notAfter */
};

/*
 * notBefore = now - profile->backdate; notAfter = notBefore + validity - 1,
 * where validity is requested (> 0) or the profile default. The period is
 * counted inclusively from notBefore, as BR 6.3.2 counts it, so the backdate
 * is part of it and notAfter - notBefore + 1 never exceeds what the profile
 * allows. A request above profile->validity_max is refused
 * (SIGNET_ERR_POLICY). notAfter is then cut to issuer_not_after when it
 * would pass it (clamped = 1: tell the requester); an expired issuer is
 * refused, and so is a backdate above half the validity (a profile error).
 * issuer_not_after 0 means no issuer limit (self-signed).
 */
int signet_validity_compute(const struct signet_profile *profile,
    int64_t requested, time_t now, time_t issuer_not_after,
    struct signet_validity *out) SIGNET_WUR;

/* ---- issuers ----------------------------------------------------------- */

/*
 * An issuer: a CA certificate (or, for a self-signed certificate, just a
 * public key) and a throwaway software key of the same algorithm, made
 * once here and used for every lint certificate and CRL of this issuer.
 */
struct signet_issuer;

/*
 * For issuing under a CA certificate. The certificate must be a CA
 * (basicConstraints cA, keyCertSign if it has keyUsage); its encoded
 * subject is kept byte for byte as the issuer name. A reference is taken.
 */
int signet_issuer_new(X509 *ca_cert, struct signet_issuer **out) SIGNET_WUR;
/* For self-signed certificates of key pub (a reference is taken). */
int
signet_issuer_new_self(EVP_PKEY *pub, struct signet_issuer **out) SIGNET_WUR;
void signet_issuer_free(struct signet_issuer *issuer);
EVP_PKEY *signet_issuer_get0_pubkey(const struct signet_issuer *issuer);

/* ---- the to-be-signed object ------------------------------------------- */

struct signet_tbs;

/*
 * Lint the lint certificate or CRL. ctx may be NULL; the issuer's
 * certificate and the profile are filled in from the tbs when ctx does not
 * set them. Returns 0 when no error-level lint failed (warnings may be in
 * the report), SIGNET_ERR_LINT listing every failed error-level lint
 * otherwise; *report is set in both cases (free it). Only a tbs whose
 * last lint passed can be signed.
 */
int signet_tbs_lint(struct signet_tbs *tbs, const struct signet_lint_ctx *ctx,
    struct signet_lint_report **report) SIGNET_WUR;

/*
 * Sign with the issuer's key in signer (whose public key must be the
 * issuer's), assemble, parse back, compare the TBS bytes with the linted
 * ones and verify the signature (SIGNET_ERR_VERIFY on any mismatch). Once
 * only. *der is freshly allocated (free()).
 */
int signet_tbs_sign(struct signet_tbs *tbs, struct signet_signer *signer,
    uint8_t **der, size_t *len) SIGNET_WUR;

void signet_tbs_free(struct signet_tbs *tbs);

/* The to-be-signed bytes (TBSCertificate or TBSCertList). */
const uint8_t *
signet_tbs_get0_tbs_der(const struct signet_tbs *tbs, size_t *len);
/* The lint certificate or CRL (signed by the throwaway key). */
const uint8_t *
signet_tbs_get0_lint_der(const struct signet_tbs *tbs, size_t *len);
/* Certificates: the serial and validity (clamped says notAfter was cut). */
const struct signet_serial *
signet_tbs_get0_serial(const struct signet_tbs *tbs);
const struct signet_validity *
signet_tbs_get0_validity(const struct signet_tbs *tbs);
/* Certificates, after signing: the parsed certificate (a new reference). */
X509 *signet_tbs_get1_cert(const struct signet_tbs *tbs);
/* CRLs: how many entries were listed. */
size_t signet_tbs_crl_entries(const struct signet_tbs *tbs);

/* ---- certificates ------------------------------------------------------ */

struct signet_cert_params {
	const struct signet_request *request; /* profile: request->profile */
	struct signet_issuer *issuer;
	struct signet_serial serial; /* from signet_serial_new */
	time_t now;                  /* 0: the current time */
};

/*
 * Verify a DER certificate's signature with its issuer's public key,
 * reading it with signet's strict reader: the outer and inner signature
 * algorithms must be the same one of signet's, and the signature must
 * verify over the TBS bytes. No OpenSSL parse (whose key decoders cost
 * more than the verification). SIGNET_ERR_VERIFY when it does not.
 */
int signet_cert_verify_der(const uint8_t *der, size_t len,
    const EVP_PKEY *issuer_key) SIGNET_WUR;
/* Same for a DER CRL: no object per entry (a million entries, 46 MB). */
int signet_crl_verify_der(const uint8_t *der, size_t len,
    const EVP_PKEY *issuer_key) SIGNET_WUR;

/*
 * Build the TBSCertificate: v3; serial; signature algorithm for the
 * issuer's key (signet_sig_alg_for_key, PSS if the profile says so);
 * issuer name = the CA certificate's encoded subject (or the request's
 * subject when self-signed); validity (signet_validity_compute, clamped to
 * the issuer); subject and key from the request; then extensions, always
 * in this order:
 *   basicConstraints  critical. CA profiles: cA TRUE and pathLen if set.
 *                     End-entity: present, cA FALSE, which DER encodes as
 *                     an empty SEQUENCE (BR 7.1.2.7.8 allows it; it says
 *                     plainly the key is no CA's).
 *   keyUsage          critical; keyEncipherment/dataEncipherment are
 *                     dropped for EC keys (RFC 8813 3), keyAgreement for
 *                     RSA keys (BR 7.1.2.7.11); omitted if no bits remain.
 *   extKeyUsage       non-critical, when the profile has any.
 *   subjectKeyIdentifier  CA certificates only (RFC 5280 4.2.1.2 MUST;
 *                     BR 7.1.2.7.6 says NOT RECOMMENDED for subscribers):
 *                     RFC 7093 section 2 method 1, the leftmost 160 bits
 *                     of SHA-256 over the subjectPublicKey BIT STRING.
 *   authorityKeyIdentifier  keyIdentifier only (BR 7.1.2.11.1): the CA
 *                     certificate's SKI (or, self-signed, our own SKI).
 *   subjectAltName    when the request has names; critical only when the
 *                     subject is empty (RFC 5280 4.2.1.6).
 *   nameConstraints   critical, CA profiles that have them.
 *   cRLDistributionPoints, authorityInfoAccess (OCSP, then caIssuers),
 *   certificatePolicies   non-critical, when the profile lists any.
 * Then the lint certificate is made. The profile's validity_max is
 * enforced (SIGNET_ERR_POLICY).
 */
int signet_cert_prepare(const struct signet_cert_params *params,
    struct signet_tbs **out) SIGNET_WUR;

/* ---- CRLs -------------------------------------------------------------- */

struct signet_crl_entry {
	struct signet_serial serial;
	time_t revoked_at;
	int reason;             /* enum signet_crl_reason */
	time_t invalidity_date; /* 0: none */
};

/*
 * The store's iterator: fill *entry and return 1, return 0 after the last
 * entry, or a negative SIGNET_ERR_* to abort. Entries must come in strictly
 * ascending serial order; anything else is refused.
 */
typedef int (*signet_crl_entry_fn)(void *arg, struct signet_crl_entry *entry);

/*
 * Call cb for each entry of a DER CRL, in the CRL's order, with its serial
 * and reason (SIGNET_CRL_REASON_NONE without a reasonCode); revoked_at is
 * not filled in. cb returns 0 to go on, a positive value to stop, or a
 * negative SIGNET_ERR_* to stop and return it. SIGNET_ERR_VERIFY for a
 * malformed CRL. The signature is not checked.
 */
int signet_crl_entries_foreach(const uint8_t *der, size_t len,
    signet_crl_entry_fn cb, void *arg) SIGNET_WUR;

struct signet_crl_params {
	struct signet_issuer *issuer; /* from signet_issuer_new (a CA cert) */
	time_t this_update;           /* 0: the current time */
	int64_t next_update_in;       /* seconds after thisUpdate, > 0 */
	/*
	 * CRL number (RFC 5280 5.2.3): the caller guarantees it grows with
	 * every CRL of this issuer (the store keeps the counter).
	 */
	uint64_t crl_number;
	int delta;                /* a delta CRL (RFC 5280 5.2.4) ... */
	uint64_t base_crl_number; /* ... over this full CRL */
	const char *freshest_url; /* full CRLs: Freshest CRL (5.2.6), or NULL */
	/* Issuing Distribution Point (5.2.5): present if idp_url is set. */
	const char *idp_url;
	int idp_only_user_certs;
	int idp_only_ca_certs;
	int rsa_pss;                    /* RSA issuers: sign with RSASSA-PSS */
	signet_crl_entry_fn next_entry; /* NULL: no entries */
	void *next_entry_arg;
};

/*
 * Build a v2 TBSCertList: issuer name byte-identical to the CA subject,
 * thisUpdate, nextUpdate, revokedCertificates (omitted when empty) with
 * reasonCode (never for unspecified; certificateHold is refused) and
 * invalidityDate, then crlExtensions: authorityKeyIdentifier, cRLNumber,
 * deltaCRLIndicator (critical, delta CRLs), issuingDistributionPoint
 * (critical), freshestCRL (full CRLs). Entries are streamed into one
 * buffer; memory is about the size of the encoded CRL.
 */
int signet_crl_prepare(const struct signet_crl_params *params,
    struct signet_tbs **out) SIGNET_WUR;

/* ---- OCSP responses (RFC 6960) ------------------------------------------ */

/* The CertID hash algorithms a response answers for (RFC 6960 4.1.1). */
#define SIGNET_OCSP_CERTID_SHA1 0x1
#define SIGNET_OCSP_CERTID_SHA256 0x2

struct signet_ocsp_params {
	struct signet_issuer *issuer; /* the CA; its key signs the response */
	struct signet_serial serial;
	int revoked;        /* 0: good */
	time_t revoked_at;  /* revoked: revocationTime */
	int reason;         /* revoked: CRLReason, or SIGNET_CRL_REASON_NONE */
	time_t this_update; /* on a whole minute */
	int64_t lifetime;   /* nextUpdate - thisUpdate, seconds, > 0 */
	unsigned certid_algs; /* SIGNET_OCSP_CERTID_*; 0: both */
	int rsa_pss;          /* RSA issuers: sign with RSASSA-PSS */
	/*
	 * A delegated responder (RFC 6960 4.2.2.2): its certificate, issued
	 * by the CA, and its public key. When set, the response names it
	 * byKey, carries the certificate in certs and must be signed by its
	 * key; when NULL, the CA key signs and the response names it byName.
	 */
	const uint8_t *responder_cert;
	size_t responder_cert_len;
	EVP_PKEY *responder_pub;
};

/*
 * Build the tbsResponseData of a BasicOCSPResponse signed by the CA key
 * itself (RFC 6960 4.2.2.2, first case): responderID byName (the CA
 * subject, byte-identical), producedAt = thisUpdate, one SingleResponse
 * per CertID hash algorithm asked for (same status, same times), no
 * extensions (a pre-signed response carries no nonce). Lint it with
 * signet_tbs_lint (the OCSP lints, including the status against params),
 * sign it with signet_tbs_sign: the result is the BasicOCSPResponse DER.
 */
int signet_ocsp_prepare(const struct signet_ocsp_params *params,
    struct signet_tbs **out) SIGNET_WUR;

/* Wrap a BasicOCSPResponse into a successful OCSPResponse (fresh). */
int signet_ocsp_response_wrap(const uint8_t *basic, size_t len, uint8_t **der,
    size_t *der_len) SIGNET_WUR;

/*
 * The CertID hashes of issuer for one algorithm: issuerNameHash over the
 * subject Name and issuerKeyHash over the subjectPublicKey bits. *len is
 * 20 (SHA-1) or 32 (SHA-256).
 */
int signet_ocsp_issuer_hashes(const struct signet_issuer *issuer, unsigned alg,
    uint8_t name_hash[32], uint8_t key_hash[32], size_t *len) SIGNET_WUR;

/* ---- CSRs -------------------------------------------------------------- */

/*
 * A PKCS#10 request for subject and signer's key, signed by signer (e.g. a
 * new intermediate's token key): built and signed with a throwaway key
 * first, then the same CertificationRequestInfo bytes are signed by
 * signer, parsed back, compared and verified. No attributes. *der is
 * freshly allocated.
 */
int signet_csr_build(const X509_NAME *subject, struct signet_signer *signer,
    int rsa_pss, uint8_t **der, size_t *len) SIGNET_WUR;

#endif /* SIGNET_X509_H */
