/* Internals of the policy engine, shared by the files of src/policy. */
#ifndef SIGNET_POLICY_INT_H
#define SIGNET_POLICY_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "signet/error.h"
#include "signet/policy.h"
#include "signet/profile.h"
#include "signet/request.h"

/* ---- Collected reasons for refusing a request (problems.c) -------------- */

/*
 * Every rule a request breaks is recorded, so that one refusal tells the
 * requester everything to fix. The text must fit the error record.
 */
#define POLICY_PROBLEMS_MAX 1900

struct policy_problems {
	char text[POLICY_PROBLEMS_MAX];
	size_t len;
	unsigned count;
	unsigned dropped; /* problems that did not fit */
};

void policy_problem(struct policy_problems *pr, const char *fmt, ...)
    SIGNET_PRINTF(2, 3);
/* vsnprintf, in one place (the analyzer misreads va_list use inline). */
int policy_vformat(char *out, size_t outsz, const char *fmt, va_list ap)
    SIGNET_PRINTF(3, 0);
/* Record the problems as the current error; returns SIGNET_ERR_POLICY. */
int policy_problems_raise(const struct policy_problems *pr);

/*
 * Untrusted bytes made printable for a message: printable ASCII as is,
 * anything else as \xNN, cut to fit with "...".
 */
#define POLICY_ESC_MAX 100
void policy_escape(const void *data, size_t len, char out[POLICY_ESC_MAX]);

int policy_strlist_add(struct signet_strlist *l, const char *s) SIGNET_WUR;
int policy_strlist_addf(struct signet_strlist *l, const char *fmt, ...)
    SIGNET_PRINTF(2, 3) SIGNET_WUR;
void policy_strlist_clear(struct signet_strlist *l);

/* ---- Names (names.c; their syntax is util/names.h) ----------------------- */

/*
 * Parse an IP network entry "192.0.2.0/24" (or one address); host bits
 * must be zero. SIGNET_ERR_CONFIG naming the text otherwise.
 */
int policy_cidr_parse(const char *text, struct signet_cidr *out) SIGNET_WUR;
int policy_cidr_contains(const struct signet_cidr *net, const uint8_t *ip,
    size_t len);
/* The special-purpose range ip lies in ("loopback", ...), or NULL. */
const char *policy_ip_reserved(const uint8_t *ip, size_t len);
/* The special-purpose range the whole of net lies in, or NULL. */
const char *policy_cidr_reserved(const struct signet_cidr *net);
void policy_cidr_format(const struct signet_cidr *net, char out[64]);

/* Allow/deny entry matching (see signet/profile.h for the syntax). */
int policy_dns_matches(const char *entry, const char *name);
/* A wildcard name "*.B" is denied if any name it covers would be. */
int policy_dns_wildcard_denied(const char *entry, const char *wildcard);
int policy_email_matches(const char *entry, const char *mailbox);
/*
 * Deny entries: a mailbox entry without '+' also covers its local part in
 * any case and with any "+tag" subaddress (RFC 5233), since mail to those
 * reaches the same mailbox; domain entries as policy_email_matches.
 */
int policy_email_denied(const char *entry, const char *mailbox);
/*
 * URI entries against a normalised URI, its query and fragment aside:
 * equal, or below an entry ending in '/'. Deny entries also cover the
 * entry's path parameters (";...") and sub-paths ("/..."), with or
 * without the '/', and a host entry its other ports.
 */
int policy_uri_matches(const char *entry, const char *uri);
int policy_uri_denied(const char *entry, const char *uri);

/* ---- Subject attributes, key usages (tables.c) --------------------------- */

struct policy_attr {
	const char *name; /* "CN", as written in policy files */
	size_t max_len;   /* RFC 5280 Appendix A upper bound, in characters */
	int nid;
	int printable; /* encoded as PrintableString */
};

/* In the order a subject is built (most significant first). */
extern const struct policy_attr policy_attrs[];
extern const size_t policy_n_attrs;
const struct policy_attr *policy_attr_by_name(const char *name);
const struct policy_attr *policy_attr_by_nid(int nid);

/* Names as written in policy files; NULL for an unknown bit. */
const char *policy_ku_name(unsigned bit);
const char *policy_eku_name(unsigned bit);
int policy_ku_parse(const char *name, unsigned *bit);
int policy_eku_parse(const char *name, unsigned *bit);
/* EKU bit for an OID's NID, 0 if none of ours. */
unsigned policy_eku_from_nid(int nid);
/* Write "digitalSignature, keyEncipherment" for bits. */
void policy_ku_format(unsigned bits, char *out, size_t outsz);
void policy_eku_format(unsigned bits, char *out, size_t outsz);

/* "200d", "1d12h", "90s": seconds written as a policy file would. */
void policy_duration_format(int64_t seconds, char out[48]);

/* Key usages each key algorithm may assert (RFC 5480 3, RFC 3279 2.3.1). */
#define POLICY_KU_EC                                                  \
	(SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_CONTENT_COMMITMENT | \
	    SIGNET_KU_KEY_AGREEMENT | SIGNET_KU_KEY_CERT_SIGN |       \
	    SIGNET_KU_CRL_SIGN)
#define POLICY_KU_RSA                                                  \
	(SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_CONTENT_COMMITMENT |  \
	    SIGNET_KU_KEY_ENCIPHERMENT | SIGNET_KU_DATA_ENCIPHERMENT | \
	    SIGNET_KU_KEY_CERT_SIGN | SIGNET_KU_CRL_SIGN)

/* ---- Policy file reading (policy_yaml.c) ------------------------------------
 */

struct yaml_lines;

/* What the YAML says, before it is checked and compiled into profiles. */
struct yaml_rule {
	char **allow;
	unsigned allow_count;
	char **deny;
	unsigned deny_count;
	bool *wildcards;      /* dns only */
	bool *private_;       /* ip only */
	bool *query_fragment; /* uri only */
};

struct yaml_names {
	unsigned *max;
	bool *required;
	struct yaml_rule *dns;
	struct yaml_rule *ip;
	struct yaml_rule *email;
	struct yaml_rule *uri;
};

/* One member per entry of policy_attrs, in the same order. */
struct yaml_fixed {
	char *c, *st, *l, *street, *postal_code, *o, *ou, *title;
	char *serial_number, *given_name, *surname, *cn;
};

struct yaml_subject {
	char **from_csr;
	unsigned from_csr_count;
	struct yaml_fixed *fixed;
};

struct yaml_validity {
	char *default_;
	char *max;
	char *backdate;
};

struct yaml_basic_constraints {
	bool *ca;
	int *path_len;
};

struct yaml_subtrees {
	char **dns;
	unsigned dns_count;
	char **ip;
	unsigned ip_count;
	char **email;
	unsigned email_count;
	char **uri;
	unsigned uri_count;
};

struct yaml_name_constraints {
	struct yaml_subtrees *permitted;
	struct yaml_subtrees *excluded;
};

struct yaml_aia {
	char **ca_issuers;
	unsigned ca_issuers_count;
	char **ocsp;
	unsigned ocsp_count;
};

struct yaml_profile {
	char *name;
	char *description;
	char **keys;
	unsigned keys_count;
	struct yaml_names *names;
	char *common_name;
	struct yaml_subject *subject;
	struct yaml_validity *validity;
	char **key_usage;
	unsigned key_usage_count;
	char **ext_key_usage;
	unsigned ext_key_usage_count;
	struct yaml_basic_constraints *basic_constraints;
	struct yaml_name_constraints *name_constraints;
	char **crl_urls;
	unsigned crl_urls_count;
	struct yaml_aia *aia;
	char **policies;
	unsigned policies_count;
	bool *rsa_pss;
};

struct yaml_policy {
	unsigned *version;
	struct yaml_profile *profiles;
	unsigned profiles_count;
};

/*
 * Parse text with libyaml, recording lines; then load it with libcyaml.
 * Syntax and schema errors fail with SIGNET_ERR_CONFIG "name:line: ...".
 */
int policy_yaml_load(const char *name, const uint8_t *text, size_t len,
    struct yaml_policy **out, struct yaml_lines **lines) SIGNET_WUR;
void policy_yaml_free(struct yaml_policy *yp);

/* ---- Keys (keycheck.c) ------------------------------------------------------
 */

/*
 * Check a SubjectPublicKeyInfo against profile: algorithm, curve or
 * modulus size, exponent, and the known weaknesses (ROCA, small factors,
 * close primes). Problems are added to pr; *out gets the decoded key when
 * it could be decoded at all. Returns a negative code only for internal
 * failures.
 */
int policy_key_check(const struct signet_profile *profile, X509_PUBKEY *spki,
    struct policy_problems *pr, EVP_PKEY **out) SIGNET_WUR;

/* The RSA modulus tests alone, for tests: 0 or the reason. */
const char *policy_rsa_modulus_weakness(const BIGNUM *n, int *internal_error);

/* ---- CSR decoding (csr.c)
 * ----------------------------------------------------- */

/*
 * One CSR from PEM or DER: size cap, one object, strict DER shape, no
 * trailing bytes. SIGNET_ERR_POLICY naming what is wrong.
 */
int policy_csr_decode(const uint8_t *in, size_t len, size_t max, X509_REQ **out)
    SIGNET_WUR;

#endif /* SIGNET_POLICY_INT_H */
