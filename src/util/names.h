/*
 * The syntax of names: DNS names (with IDNA2008 A-labels), IP addresses in
 * text, mailboxes and URIs, checked and put in one normal form. The policy
 * engine checks requests and policy entries with these; src/x509 builds
 * and lints certificates with the same rules, so the second line of
 * defence is never weaker than the first. Allow and deny matching is the
 * policy engine's.
 *
 * The checking functions return 0 (or a small positive result) or
 * SIGNET_ERR_USAGE, recording the reason as a phrase to follow the name
 * ("has an empty label"): callers say what the name is ("dNSName 'a..b'",
 * "DNS entry ...") and re-code the failure as their context requires.
 */
#ifndef SIGNET_UTIL_NAMES_H
#define SIGNET_UTIL_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "signet/error.h"

#define NAMES_DNS_MAX 253   /* RFC 1035 2.3.4, in text form */
#define NAMES_EMAIL_MAX 320 /* RFC 5321 4.5.3.1: 64 + '@' + 255 */
#define NAMES_URI_MAX 2048

/* ---- DNS names ------------------------------------------------------------ */

/* Flags for names_dns_normalise. */
#define NAMES_DNS_WILDCARD 0x01 /* "*.example.com" is acceptable */
#define NAMES_DNS_SUFFIX 0x02   /* ".example.com" is acceptable (entries) */

/*
 * Check a DNS name in preferred name syntax (RFC 1034 3.5, RFC 5890 2.3.1:
 * letters, digits, '-', labels of 1..63, no trailing dot, not all-numeric
 * at the top, no IP address, no '_' (BR 7.1.4.2.1)), where every "xn--"
 * label is a valid A-label: canonical Punycode of a U-label whose code
 * points IDNA2008 allows (RFC 5892, Unicode IDNA_UNICODE_VERSION; the
 * CONTEXTJ and CONTEXTO rules signet implements, the others refused; no
 * leading combining mark; RFC 5891 4.2.3 hyphen rules). The Bidi rule
 * (RFC 5893) and NFC are not checked. Writes the normal form (lower case)
 * into out. Returns 0, 1 for a wildcard, or SIGNET_ERR_USAGE.
 */
int names_dns_normalise(const uint8_t *in, size_t len, unsigned flags,
    char out[NAMES_DNS_MAX + 1]) SIGNET_WUR;

/* Punycode (RFC 3492). Decode len characters into at most *n code points. */
int names_punycode_decode(const char *in, size_t len, uint32_t *out, size_t *n)
    SIGNET_WUR;
/* Encode n code points into at most *len characters; sets *len. */
int names_punycode_encode(const uint32_t *in, size_t n, char *out, size_t *len)
    SIGNET_WUR;

/* ---- IP addresses ---------------------------------------------------------- */

/*
 * Parse "192.0.2.1" (dotted quad only: no octal, no short forms) or
 * "2001:db8::1"; returns 4 or 16, or 0 if text is neither.
 */
size_t names_ip_parse(const char *text, uint8_t ip[16]);

/* ---- Mailboxes ------------------------------------------------------------- */

/* Flags for names_email_normalise. */
#define NAMES_EMAIL_DOMAIN 0x01 /* "example.com", ".example.com" (entries) */

/*
 * A mailbox "local@domain": dot-atom local part (RFC 5322 3.2.3; no quoted
 * local parts, ASCII only), domain as names_dns_normalise. The normal form
 * keeps the local part as given (RFC 5321 2.4: it is case-sensitive) and
 * lower-cases the domain. 0 or SIGNET_ERR_USAGE.
 */
int names_email_normalise(const uint8_t *in, size_t len, unsigned flags,
    char out[NAMES_EMAIL_MAX + 1]) SIGNET_WUR;

/* ---- URIs ------------------------------------------------------------------ */

/* Where the parts of a URI are (RFC 3986 3): offsets into the text. */
struct names_span {
	size_t off;
	size_t len;
};

struct names_uri {
	struct names_span scheme;
	int has_authority; /* "//" follows the scheme */
	int has_userinfo;
	struct names_span userinfo;
	struct names_span host; /* without the brackets of an IP literal */
	int host_is_ip_literal; /* "[...]" */
	int has_port;
	struct names_span port;
	struct names_span path;
	int has_query;
	struct names_span query;
	int has_fragment;
	struct names_span fragment;
};

/*
 * Split an absolute URI into its parts (RFC 3986 3), checking only that
 * there is a scheme. 0 or SIGNET_ERR_USAGE.
 */
int
names_uri_parse(const char *uri, size_t len, struct names_uri *out) SIGNET_WUR;

/* Flags for names_uri_normalise. */
#define NAMES_URI_HTTP 0x01 /* only http:// URLs (CRL DP, AIA) */

/*
 * Check a URI and write its normal form (RFC 3986 6.2.2, 6.2.3) into out:
 * scheme and host in lower case, %-escapes of unreserved characters
 * decoded and the hex of the rest in upper case, default ports (http 80,
 * https 443) dropped. The host is a DNS name (names_dns_normalise), an
 * IPv4 address or an [IPv6] literal; userinfo is refused. In a
 * hierarchical path, once decoded, no segment may be '.' or '..' (not
 * even before a ';' parameter) and none but the last may be empty ("//"):
 * a relying party resolving them would see another path than the one the
 * policy matched. Refused anywhere: %-escapes of NUL and other control
 * characters; in the path: escaped '/' (%2F) and '\' (%5C), which servers
 * decode into separators. SPIFFE IDs follow their own, stricter rules
 * (SPIFFE-ID 2). 0 or SIGNET_ERR_USAGE.
 */
int names_uri_normalise(const uint8_t *in, size_t len, unsigned flags,
    char out[NAMES_URI_MAX + 1]) SIGNET_WUR;

/*
 * The host of a URI with an authority, in lower case, without userinfo,
 * port or the brackets of an IP literal (what RFC 5280 4.2.1.10 URI
 * constraints apply to). *is_ip says whether it is an IP address.
 * SIGNET_ERR_USAGE if the URI has no authority or the host does not fit.
 */
int names_uri_host(const char *uri, size_t len, char *out, size_t outlen,
    int *is_ip) SIGNET_WUR;

/* ---- GeneralNames (RFC 5280 4.2.1.6) ----------------------------------------
 */

typedef struct GENERAL_NAME_st GENERAL_NAME;

/* The kinds of name signet issues (src/policy keeps its own in this order). */
enum names_kind {
	NAMES_DNS,
	NAMES_IP,
	NAMES_EMAIL,
	NAMES_URI,
};

/*
 * The kind and the value (text, or the 4 or 16 octets of an iPAddress) of
 * a dNSName, iPAddress, rfc822Name or URI GeneralName; -1 for the other
 * kinds, which signet never issues.
 */
int
names_general_name(const GENERAL_NAME *g, const uint8_t **data, size_t *len);

/* ---- Subject common names ---------------------------------------------------
 */

/*
 * 1 if a subject commonName (UTF-8 text) names the same thing as a
 * subjectAltName of kind san_kind: an IP address in text
 * against the 4 or 16 octets of an iPAddress; a DNS name compared without
 * regard to ASCII case (RFC 4343); a mailbox with its domain compared so;
 * a URI by its normal form. 0 otherwise (BR 7.1.4.3: the CN is one of the
 * SANs).
 */
int names_cn_matches(const char *cn, size_t cn_len, enum names_kind san_kind,
    const uint8_t *san, size_t san_len);

#endif /* SIGNET_UTIL_NAMES_H */
