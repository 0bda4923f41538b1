/*
 * A certificate profile, as the policy engine compiles it from a policy
 * file (policies/NAME.yaml). src/policy fills it in and checks requests
 * against it; src/x509 builds and lints certificates from it. Nothing in a
 * certificate comes from anywhere but the profile and the normalised
 * request (include/signet/request.h).
 */
#ifndef SIGNET_PROFILE_H
#define SIGNET_PROFILE_H

#include <stddef.h>
#include <stdint.h>

/* Key usage bits, numbered as in RFC 5280 4.2.1.3 (bit n = 1 << n). */
enum signet_ku {
	SIGNET_KU_DIGITAL_SIGNATURE = 1 << 0,
	SIGNET_KU_CONTENT_COMMITMENT = 1 << 1,
	SIGNET_KU_KEY_ENCIPHERMENT = 1 << 2,
	SIGNET_KU_DATA_ENCIPHERMENT = 1 << 3,
	SIGNET_KU_KEY_AGREEMENT = 1 << 4,
	SIGNET_KU_KEY_CERT_SIGN = 1 << 5,
	SIGNET_KU_CRL_SIGN = 1 << 6,
};

/* Extended key usages (RFC 5280 4.2.1.12). */
enum signet_eku {
	SIGNET_EKU_SERVER_AUTH = 1 << 0,
	SIGNET_EKU_CLIENT_AUTH = 1 << 1,
	SIGNET_EKU_CODE_SIGNING = 1 << 2,
	SIGNET_EKU_EMAIL_PROTECTION = 1 << 3,
	SIGNET_EKU_TIME_STAMPING = 1 << 4,
	SIGNET_EKU_OCSP_SIGNING = 1 << 5,
};

/* Named curves a profile may allow. */
enum signet_curve {
	SIGNET_CURVE_P256 = 1 << 0,
	SIGNET_CURVE_P384 = 1 << 1,
	SIGNET_CURVE_P521 = 1 << 2,
};

enum signet_cn_rule {
	SIGNET_CN_FORBIDDEN = 0, /* no CN in the subject */
	SIGNET_CN_OPTIONAL, /* CN allowed; if present it is one of the SANs */
	SIGNET_CN_REQUIRED, /* CN required; it is one of the SANs */
};

struct signet_strlist {
	char **v;
	size_t n;
};

/* An IPv4 or IPv6 network. */
struct signet_cidr {
	uint8_t addr[16]; /* network address, host bits zero */
	uint8_t len;      /* 4 or 16 */
	uint8_t prefix;   /* 0..32 or 0..128 */
};

struct signet_cidrlist {
	struct signet_cidr *v;
	size_t n;
};

/*
 * Allow and deny lists for one kind of name. A name must match an allow
 * entry and no deny entry; an empty allow list allows nothing.
 *  - dns:   "host.example.com" exact; ".example.com" any name below it
 *  - email: "user@example.com" exact; "example.com" any mailbox there;
 *           ".example.com" any mailbox in a domain below it. A deny
 *           mailbox also covers its local part in any case and with any
 *           "+tag" subaddress (RFC 5233): mail to those reaches it.
 *  - uri:   on the normalised URI (RFC 3986 6.2.2 normal form,
 *           util/names.h) without its query and fragment: "x://h/p" that
 *           URI exactly, "x://h/p/" any URI below it. A deny entry without
 *           the '/' also covers "x://h/p;params" and "x://h/p/...": path
 *           parameters and sub-paths name parts of the same resource;
 *           a host entry "x://h" also covers "x://h:port...".
 * DNS deny entries are never wildcards: ".example.com" denies every name
 * below, and every wildcard that could match one of them.
 */
struct signet_name_rule {
	struct signet_strlist allow;
	struct signet_strlist deny;
};

struct signet_ip_rule {
	struct signet_cidrlist allow;
	struct signet_cidrlist deny;
	/* Private, loopback, link-local and other reserved ranges allowed. */
	int allow_private;
};

/*
 * RFC 5280 4.2.1.10, for CA profiles. Entries are normalised but keep
 * their RFC 5280 meaning, to be written into the certificate as they are:
 * dns "example.com" is that domain and every name below it (a leading dot
 * has no meaning for dNSName and is refused); email "example.com" every
 * mailbox at that domain, ".example.com" every mailbox in a domain below
 * it; uri entries are hosts or domains, ".example.com" hosts below it.
 */
struct signet_name_constraints {
	int present;
	int critical; /* always 1 when present (BR 7.1.2.10.8) */
	struct signet_strlist permitted_dns, excluded_dns;
	struct signet_strlist permitted_email, excluded_email;
	struct signet_strlist permitted_uri, excluded_uri;
	struct signet_cidrlist permitted_ip, excluded_ip;
};

/* A subject attribute the profile fixes, e.g. O=Example Corp. */
struct signet_subject_attr {
	int nid;     /* NID_organizationName, ... */
	char *value; /* UTF-8 */
};

struct signet_profile {
	char *name;
	char *description;

	/* Keys: the curves allowed, and the RSA modulus range (0, 0: none). */
	unsigned curves;
	unsigned rsa_min_bits;
	unsigned rsa_max_bits;

	/* Names. */
	struct signet_name_rule dns;
	int dns_wildcards; /* "*.example.com" allowed (leftmost label only) */
	struct signet_ip_rule ip;
	struct signet_name_rule email;
	struct signet_name_rule uri;
	/* URIs with a query ("?") or fragment ("#") allowed (names.uri). */
	int uri_query_fragment;
	size_t max_sans;
	int require_san; /* at least one SAN (always for TLS profiles) */
	enum signet_cn_rule cn;

	/*
	 * Subject: attributes taken from the CSR (checked, in the order they
	 * appear here), then attributes the profile fixes. Anything else in a
	 * CSR's subject is a rejection naming the attribute.
	 */
	int *subject_from_csr; /* NIDs */
	size_t n_subject_from_csr;
	struct signet_subject_attr *subject_fixed;
	size_t n_subject_fixed;

	/* Validity, in seconds. */
	int64_t validity_default;
	int64_t validity_max;
	int64_t backdate; /* notBefore = now - backdate */

	/* Extensions. */
	unsigned key_usage;     /* enum signet_ku bits */
	unsigned ext_key_usage; /* enum signet_eku bits; 0 = no extension */
	int is_ca;
	int path_len; /* -1: no pathLenConstraint */
	struct signet_name_constraints name_constraints;
	struct signet_strlist crl_urls;    /* CRL distribution points */
	struct signet_strlist aia_issuers; /* AIA caIssuers */
	struct signet_strlist aia_ocsp;    /* AIA OCSP */
	struct signet_strlist policy_oids; /* certificatePolicies */

	/* Signature: RSA issuers sign with RSASSA-PSS rather than PKCS#1 v1.5. */
	int rsa_pss;
};

#endif /* SIGNET_PROFILE_H */
