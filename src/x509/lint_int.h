/* Internals of the linter (src/x509/lint*.c). */
#ifndef SIGNET_X509_LINT_INT_H
#define SIGNET_X509_LINT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "signet/lint.h"
#include "x509/x509_int.h"

#define LINT_DEFAULT_CRL_MAX_NEXT_UPDATE ((int64_t)10 * 86400)

struct signet_lint_ctx {
	X509 *issuer;
	STACK_OF(X509) * chain;
	const struct signet_profile *profile;
	int64_t crl_max_next_update;
	unsigned char *disabled; /* one flag per lint, table order */
};

/*
 * A copy of base (which may be NULL) with issuer and profile filled in
 * where base leaves them unset.
 */
int lint_ctx_derive(const struct signet_lint_ctx *base, X509 *issuer,
    const struct signet_profile *profile, struct signet_lint_ctx **out)
    SIGNET_WUR;

enum lint_result {
	LINT_PASS = 0,
	LINT_FAIL = 1,
	LINT_NA = 2, /* does not apply, or cannot be judged */
};

struct lint_msg {
	char text[512];
};

/* Set m's text and return LINT_FAIL. */
int lint_fail(struct lint_msg *m, const char *fmt, ...) SIGNET_PRINTF(2, 3);

/* The first of possibly many problems of one kind, and how many. */
struct lint_note {
	unsigned count;
	char first[256];
};

void
lint_note_add(struct lint_note *n, const char *fmt, ...) SIGNET_PRINTF(2, 3);
/* LINT_FAIL with the note's text (and count), or LINT_PASS. */
int lint_note_result(const struct lint_note *n, struct lint_msg *m);

/* What is known about the issuer of the object linted. */
struct lint_issuer {
	int known;
	uint8_t *der; /* the issuer certificate, owned */
	struct x509_span subject;
	uint8_t key_id[64];
	size_t key_id_len;
	EVP_PKEY *pub; /* a reference */
	time_t not_after;
	int has_not_after;
	/* From an issuer certificate (not a self-issued object's own). */
	int from_cert;
	int is_ca;     /* basicConstraints cA TRUE */
	long path_len; /* -1: no pathLenConstraint */
	int has_ku;    /* keyUsage present and decoded */
	unsigned ku;
	int has_eku;  /* extKeyUsage present and decoded */
	unsigned eku; /* enum signet_eku bits and X509_EKU_ANY */
};

/* Load what lints need from an issuer certificate (0 or an error). */
int lint_issuer_load(X509 *x, struct lint_issuer *out) SIGNET_WUR;
void lint_issuer_clear(struct lint_issuer *iss);

/* Everything the certificate lints look at, prepared once. */
struct lint_cert {
	const struct signet_lint_ctx *ctx;
	const uint8_t *der;
	size_t len;
	EVP_PKEY *given;     /* the key in the SPKI, decoded already, or NULL */
	int parsed;          /* the view parsed */
	char parse_why[200]; /* why not, or why OpenSSL cannot */
	struct x509_cert_view v;
	struct der_issues der_issues;
	struct lint_note default_encoded; /* DEFAULT values written out */
	struct lint_note named_bits;      /* trailing zero bits */
	struct lint_note bool_encoding;   /* context-tagged BOOLEANs */
	EVP_PKEY *pub;
	X509_NAME *subject;
	int subject_empty;
	int self_issued;
	const struct x509_ext *bc_ext, *ku_ext, *eku_ext, *ski_ext, *aki_ext,
	    *san_ext, *nc_ext;
	struct x509_bc bc;
	int bc_ok;
	int is_ca;
	unsigned ku;
	int ku_ok;
	unsigned eku;
	int eku_ok;
	int tls_server; /* a TLS subscriber certificate (BR) */
	GENERAL_NAMES *san;
	struct x509_aki aki;
	int aki_ok;
	time_t not_before, not_after;
	int times_ok;
	struct lint_issuer iss;
};

/* Facts about a CRL gathered in one pass over its entries. */
struct lint_crl_facts {
	size_t entries;
	struct lint_note structure;
	struct lint_note unsorted;
	struct lint_note duplicate;
	struct lint_note unspecified;
	struct lint_note hold;
	struct lint_note bad_reason;
	struct lint_note bad_serial;
	struct lint_note ext_critical;
	struct lint_note ext_duplicate;
	struct lint_note ext_unknown_critical;
	struct lint_note ext_malformed;
	struct lint_note time_encoding;
	struct lint_note time_format;
};

struct lint_crl {
	const struct signet_lint_ctx *ctx;
	const uint8_t *der;
	size_t len;
	int parsed;
	char parse_why[200];
	struct x509_crl_view v;
	struct der_issues der_issues;
	struct lint_note default_encoded;
	struct lint_note named_bits;
	struct lint_note bool_encoding;
	int is_delta;
	time_t this_update, next_update;
	int this_ok, next_ok;
	struct lint_crl_facts f;
	struct lint_issuer iss;
};

#define LINT_OCSP_MAX_SINGLE 4

struct lint_ocsp_single {
	struct x509_span hash_oid, name_hash, key_hash, serial;
	int status; /* 0 good, 1 revoked, 2 unknown */
	time_t revoked_at;
	int reason; /* SIGNET_CRL_REASON_NONE when absent */
	time_t this_update, next_update;
	int has_next;
};

/* A BasicOCSPResponse (RFC 6960 4.2.1), parsed from its bytes. */
struct lint_ocsp {
	const struct signet_lint_ctx *ctx;
	const struct signet_lint_ocsp_expect *expect;
	const uint8_t *der;
	size_t len;
	int parsed;
	char parse_why[200];
	struct der_issues der_issues;
	int version_encoded;
	uint8_t rid_tag;
	struct x509_span rid; /* responderID contents */
	time_t produced_at;
	struct x509_span sig_alg;        /* TLV */
	struct x509_span responder_cert; /* the first of certs, TLV */
	int has_exts;
	size_t n_single;
	struct lint_ocsp_single single[LINT_OCSP_MAX_SINGLE];
	struct lint_issuer iss;
	struct x509_span iss_key; /* the issuer's subjectPublicKey bits */
	int iss_key_ok;
};

struct lint_def {
	struct signet_lint_info info;
	int (*cert)(const struct lint_cert *c, struct lint_msg *m);
	int (*crl)(const struct lint_crl *c, struct lint_msg *m);
};

/* OCSP lints: a lint_def (no certificate or CRL check) and their own. */
struct lint_ocsp_def {
	struct lint_def base;
	int (*ocsp)(const struct lint_ocsp *o, struct lint_msg *m);
};

/* The table, in segments: common (DER, shared), certificates, CRLs. */
extern const struct lint_def lint_common_defs[];
extern const size_t lint_common_ndefs;
extern const struct lint_def lint_cert_defs[];
extern const size_t lint_cert_ndefs;
extern const struct lint_def lint_crl_defs[];
extern const size_t lint_crl_ndefs;
extern const struct lint_ocsp_def lint_ocsp_defs[];
extern const size_t lint_ocsp_ndefs;

/* Preparation (lint_cert.c, lint_crl.c). */
int lint_cert_prepare(struct lint_cert *c) SIGNET_WUR;
/*
 * signet_lint_cert for a certificate signet built, whose SPKI encodes pub
 * (decoded already): neither the certificate nor its key is parsed by
 * OpenSSL, whose key decoders cost about 100 us, as much as a token
 * signature. pub NULL: as signet_lint_cert.
 */
int lint_cert_built(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, EVP_PKEY *pub, struct signet_lint_report **report) SIGNET_WUR;
void lint_cert_clear(struct lint_cert *c);
int lint_crl_prepare(struct lint_crl *c) SIGNET_WUR;
void lint_crl_clear(struct lint_crl *c);
int lint_ocsp_prepare(struct lint_ocsp *o) SIGNET_WUR;
void lint_ocsp_clear(struct lint_ocsp *o);

/* Shared helpers (lint_common.c). */
/* 1 if an extension's value decodes as its type should (OpenSSL). */
int lint_ext_decodes(const struct x509_ext *e);
/* The year a Time element names, from its digits; -1 if unreadable. */
int lint_time_year(const struct der_elem *e);
/* RFC 5280 4.1.2.5: the tag a time in year must have. */
int lint_time_check(const struct der_elem *e, const char *field,
    struct lint_note *encoding, struct lint_note *format);

/* Names (lint_names.c). */
/* 1 if a dNSName is in preferred name syntax (wildcard leftmost only). */
int lint_dns_name_ok(const char *s, size_t n, const char **why);
/*
 * Check every name in sans (and subject email addresses) against nc.
 * Returns 0, or 1 with the first violation described in why.
 */
int lint_nc_check(const NAME_CONSTRAINTS *nc, const GENERAL_NAMES *sans,
    const X509_NAME *subject, char *why, size_t whylen);
/*
 * Same for nc's directoryName subtrees against the subject of the DER
 * certificate der (parsed only when nc has such subtrees).
 */
int lint_nc_dirname_check(const NAME_CONSTRAINTS *nc, const uint8_t *der,
    size_t len, char *why, size_t whylen);

#endif /* SIGNET_X509_LINT_INT_H */
