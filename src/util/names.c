/*
 * Names: the syntax and normal form of DNS names (with IDNA2008
 * A-labels), IP addresses in text, mailboxes and URIs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "util/names.h"
#include "util/text.h"

/* One range of the generated tables (idna_table.h). */
struct idna_range {
	uint32_t lo, hi;
	uint8_t prop;
};

enum {
	IDNA_PVALID = 1,
	IDNA_CONTEXTJ = 2,
	IDNA_CONTEXTO = 3,
	IDNA_UNASSIGNED = 4,
	IDNA_MARK = 0x80,
};

#include "util/idna_table.h"

#define WHY(...) signet_error_set(SIGNET_ERR_USAGE, __VA_ARGS__)

/* ---- DNS names ------------------------------------------------------------ */

/* The table entry holding c, or NULL (DISALLOWED). */
static const struct idna_range *
idna_lookup(const struct idna_range *t, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c < t[mid].lo)
			hi = mid;
		else if (c > t[mid].hi)
			lo = mid + 1;
		else
			return &t[mid];
	}
	return NULL;
}

static int
idna_prop(uint32_t c)
{
	const struct idna_range *r = idna_lookup(idna_table,
	    sizeof(idna_table) / sizeof(idna_table[0]), c);

	return r != NULL ? r->prop : 0;
}

static int
idna_is_virama(uint32_t c)
{
	return idna_lookup(idna_virama,
		   sizeof(idna_virama) / sizeof(idna_virama[0]), c) != NULL;
}

/* 1 if any of the n code points lies in [lo, hi]. */
static int
idna_has(const uint32_t *cps, size_t n, uint32_t lo, uint32_t hi)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cps[i] >= lo && cps[i] <= hi)
			return 1;
	return 0;
}

/*
 * RFC 5892 Appendix A, the rules signet implements: ZERO WIDTH JOINER and
 * NON-JOINER after a virama (A.1, A.2; the joining-type alternative of A.1
 * needs ArabicShaping data, so a ZWNJ elsewhere is refused), MIDDLE DOT
 * between two 'l' (A.3), and the two sets of Arabic-Indic digits not
 * mixed (A.8, A.9). Greek KERAIA, Hebrew GERESH and GERSHAYIM and
 * KATAKANA MIDDLE DOT (A.4-A.7) need script data and are refused.
 */
static int
idna_context_ok(const uint32_t *cps, size_t n, size_t i)
{
	uint32_t c = cps[i];

	switch (c) {
	case 0x200c:
	case 0x200d:
		return i > 0 && idna_is_virama(cps[i - 1]);
	case 0x00b7:
		return i > 0 && i + 1 < n && cps[i - 1] == 'l' &&
		       cps[i + 1] == 'l';
	default:
		break;
	}
	if (c >= 0x0660 && c <= 0x0669)
		return !idna_has(cps, n, 0x06f0, 0x06f9);
	if (c >= 0x06f0 && c <= 0x06f9)
		return !idna_has(cps, n, 0x0660, 0x0669);
	return 0;
}

/* The code points of a U-label (RFC 5891 4.2.3, 5.4; RFC 5892). */
static int
dns_ulabel_check(const char *label, size_t len, const uint32_t *cps, size_t n)
{
	size_t i;
	int prop;

	if (n > 0 && (idna_prop(cps[0]) & IDNA_MARK))
		return WHY("has label '%.*s', which starts with combining mark "
			   "U+%04X (RFC 5891 4.2.3.2)",
		    (int)len, label, (unsigned)cps[0]);
	if (n > 0 && (cps[0] == '-' || cps[n - 1] == '-' ||
			 (n >= 4 && cps[2] == '-' && cps[3] == '-')))
		return WHY("has label '%.*s', whose characters start or end "
			   "with '-' or have '--' in the third and fourth "
			   "positions (RFC 5891 4.2.3.1)",
		    (int)len, label);
	for (i = 0; i < n; i++) {
		prop = idna_prop(cps[i]) & ~IDNA_MARK;
		switch (prop) {
		case IDNA_PVALID:
			continue;
		case IDNA_CONTEXTJ:
		case IDNA_CONTEXTO:
			if (idna_context_ok(cps, n, i))
				continue;
			return WHY("has label '%.*s', which decodes to U+%04X, "
				   "allowed only in a context (RFC 5892 "
				   "Appendix A) that this label does not have "
				   "or that signet cannot check",
			    (int)len, label, (unsigned)cps[i]);
		case IDNA_UNASSIGNED:
			return WHY("has label '%.*s', which decodes to U+%04X, "
				   "unassigned in "
				   "Unicode " IDNA_UNICODE_VERSION,
			    (int)len, label, (unsigned)cps[i]);
		default:
			return WHY("has label '%.*s', which decodes to U+%04X, "
				   "not allowed in a host name (IDNA2008, RFC "
				   "5892)",
			    (int)len, label, (unsigned)cps[i]);
		}
	}
	return 0;
}

/* An "xn--" label: valid Punycode, canonical, a valid U-label. */
static int
dns_alabel_check(const char *label, size_t len)
{
	uint32_t cps[64];
	char again[64];
	size_t n = sizeof(cps) / sizeof(cps[0]), alen = sizeof(again), i;
	int non_ascii = 0, r;

	if (len <= 4 || names_punycode_decode(label + 4, len - 4, cps, &n) != 0)
		return WHY("has label '%.*s', which is not valid Punycode",
		    (int)len, label);
	for (i = 0; i < n; i++)
		if (cps[i] >= 0x80)
			non_ascii = 1;
	if (!non_ascii)
		return WHY("has label '%.*s', which decodes to plain ASCII; "
			   "write it as such",
		    (int)len, label);
	if ((r = dns_ulabel_check(label, len, cps, n)) != 0)
		return r;
	if (names_punycode_encode(cps, n, again, &alen) != 0 ||
	    alen != len - 4 || memcmp(again, label + 4, alen) != 0)
		return WHY("has label '%.*s', which is not the canonical "
			   "Punycode of its characters",
		    (int)len, label);
	return 0;
}

static int
dns_label_check(const char *label, size_t len)
{
	size_t i;

	if (len == 0)
		return WHY("has an empty label");
	if (len > 63)
		return WHY("has a label longer than 63 characters");
	for (i = 0; i < len; i++) {
		char c = label[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-')
			continue;
		if (c == '*')
			return WHY("has '*' other than as the whole leftmost "
				   "label");
		/* BR 7.1.4.2.1: no underscores in dNSName. */
		if (c == '_')
			return WHY("contains '_', which host names may not "
				   "contain");
		return WHY("contains '%c'; only letters, digits and '-' are "
			   "allowed",
		    c);
	}
	if (label[0] == '-' || label[len - 1] == '-')
		return WHY("has a label that starts or ends with '-'");
	if (len >= 4 && label[2] == '-' && label[3] == '-') {
		if (label[0] == 'x' && label[1] == 'n')
			return dns_alabel_check(label, len);
		/* RFC 5891 4.2.3.1: "??--" labels are reserved. */
		return WHY("has label '%.*s' with '--' in the third and "
			   "fourth positions, which is reserved for IDNA (RFC "
			   "5891 4.2.3.1)",
		    (int)len, label);
	}
	return 0;
}

int
names_dns_normalise(const uint8_t *in, size_t len, unsigned flags,
    char out[NAMES_DNS_MAX + 1])
{
	char buf[NAMES_DNS_MAX + 1];
	uint8_t ip[16];
	const char *p, *dot, *last;
	size_t i, start = 0, nlabels = 0;
	int wildcard = 0, r;

	out[0] = '\0';
	if (len == 0)
		return WHY("is empty");
	for (i = 0; i < len; i++) {
		if (in[i] == 0)
			return WHY("contains a NUL byte");
		if (in[i] < 0x20 || in[i] == 0x7f)
			return WHY("contains control character 0x%02x", in[i]);
		if (in[i] >= 0x80)
			return WHY("contains raw non-ASCII bytes; "
				   "internationalised names must be written "
				   "as xn-- A-labels");
	}
	if (len > NAMES_DNS_MAX)
		return WHY("is longer than %d characters", NAMES_DNS_MAX);
	for (i = 0; i < len; i++)
		buf[i] =
		    (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	buf[len] = '\0';
	if (names_ip_parse(buf, ip) != 0)
		return WHY("is an IP address written as a DNS name; use an "
			   "iPAddress name");
	if (buf[0] == '.') {
		if (!(flags & NAMES_DNS_SUFFIX))
			return WHY("starts with a dot");
		start = 1;
	}
	if (buf[len - 1] == '.')
		return WHY("ends with a dot");
	if (buf[start] == '*' &&
	    (buf[start + 1] == '.' || buf[start + 1] == '\0')) {
		if (!(flags & NAMES_DNS_WILDCARD) || start != 0)
			return WHY("is a wildcard, which is not allowed here");
		wildcard = 1;
		start += 2;
		if (start >= len)
			return WHY("is a bare wildcard");
	}
	for (p = buf + start;; p = dot + 1) {
		dot = strchr(p, '.');
		if ((r = dns_label_check(p,
			 dot != NULL ? (size_t)(dot - p) : strlen(p))) != 0)
			return r;
		nlabels++;
		last = p;
		if (dot == NULL)
			break;
	}
	/* RFC 3696 2: a top-level label is never all digits. */
	if (strspn(last, "0123456789") == strlen(last))
		return WHY("ends in an all-numeric label, like an IP address; "
			   "use an iPAddress name for addresses");
	/* "*.com" would cover a whole top-level domain. */
	if (wildcard && nlabels < 2)
		return WHY("is a wildcard directly under a top-level label");
	memcpy(out, buf, len + 1);
	return wildcard;
}

/* ---- IP addresses ---------------------------------------------------------- */

size_t
names_ip_parse(const char *text, uint8_t ip[16])
{
	if (strchr(text, ':') == NULL) {
		/* inet_pton takes dotted quads only: no octal, no short forms. */
		if (inet_pton(AF_INET, text, ip) == 1)
			return 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, ip) == 1)
		return 16;
	return 0;
}

/* ---- Mailboxes ------------------------------------------------------------- */

/* RFC 5322 3.2.3 atext. */
static int
email_is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
names_email_normalise(const uint8_t *in, size_t len, unsigned flags,
    char out[NAMES_EMAIL_MAX + 1])
{
	char domain[NAMES_DNS_MAX + 1], inner[256];
	const uint8_t *at = NULL;
	size_t i, local_len;

	out[0] = '\0';
	for (i = 0; i < len; i++) {
		if (in[i] < 0x20 || in[i] == 0x7f)
			return WHY("contains control character 0x%02x", in[i]);
		if (in[i] >= 0x80)
			return WHY(
			    "contains non-ASCII bytes (internationalised "
			    "mailboxes are not supported)");
		if (in[i] == '@') {
			if (at != NULL)
				return WHY("contains more than one '@'");
			at = in + i;
		}
	}
	if (len == 0 || len > NAMES_EMAIL_MAX)
		return WHY("is empty or longer than %d characters",
		    NAMES_EMAIL_MAX);
	if (at == NULL) {
		if (!(flags & NAMES_EMAIL_DOMAIN))
			return WHY("is not a mailbox (local@domain)");
		return names_dns_normalise(in, len, NAMES_DNS_SUFFIX, out) < 0
			   ? SIGNET_ERR_USAGE
			   : 0;
	}
	local_len = (size_t)(at - in);
	if (local_len == 0 || local_len > 64)
		return WHY("has a local part that is empty or longer than 64 "
			   "characters");
	for (i = 0; i < local_len; i++) {
		if (in[i] == '.') {
			if (i == 0 || i == local_len - 1 || in[i + 1] == '.')
				return WHY("has a local part with a leading, "
					   "trailing or doubled '.'");
			continue;
		}
		if (!email_is_atext((char)in[i]))
			return WHY("has '%c' in its local part (quoted local "
				   "parts are not supported)",
			    in[i]);
	}
	if (names_dns_normalise(at + 1, len - local_len - 1, 0, domain) < 0) {
		snprintf(inner, sizeof(inner), "%s", signet_error_message());
		return WHY("has a domain that %s", inner);
	}
	memcpy(out, in, local_len);
	out[local_len] = '@';
	memcpy(out + local_len + 1, domain, strlen(domain) + 1);
	return 0;
}

/* ---- URIs ------------------------------------------------------------------ */

static int
uri_is_unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static int
uri_is_pchar_other(char c)
{
	/* sub-delims, ':' and '@' (RFC 3986 3.3), plus '/' and '?'. */
	return c != '\0' && strchr("!$&'()*+,;=:@/?", c) != NULL;
}

int
names_uri_parse(const char *uri, size_t len, struct names_uri *out)
{
	size_t i, auth, end, host_end;
	const char *close, *colon;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len && uri[i] != ':'; i++) {
		char c = uri[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
				      c == '-' || c == '.'))))
			return WHY("does not start with a scheme like https: "
				   "or spiffe:");
	}
	if (i == 0 || i == len || i + 1 == len)
		return WHY("is not an absolute URI (scheme:rest)");
	out->scheme.len = i;
	i++;
	if (len - i >= 2 && uri[i] == '/' && uri[i + 1] == '/') {
		out->has_authority = 1;
		auth = i + 2;
		for (end = auth; end < len && uri[end] != '/' &&
				 uri[end] != '?' && uri[end] != '#';
		     end++)
			;
		/* userinfo ends at the last '@' of the authority. */
		for (i = end; i > auth && uri[i - 1] != '@'; i--)
			;
		if (i > auth) {
			out->has_userinfo = 1;
			out->userinfo.off = auth;
			out->userinfo.len = i - 1 - auth;
			auth = i;
		}
		host_end = end;
		if (auth < end && uri[auth] == '[') {
			close = memchr(uri + auth, ']', end - auth);
			if (close == NULL)
				return WHY("has an unterminated [IPv6] host");
			out->host_is_ip_literal = 1;
			out->host.off = auth + 1;
			out->host.len = (size_t)(close - uri) - auth - 1;
			host_end = (size_t)(close - uri) + 1;
			if (host_end != end && uri[host_end] != ':')
				return WHY("has a malformed [IPv6] host");
		} else {
			colon = memchr(uri + auth, ':', end - auth);
			if (colon != NULL)
				host_end = (size_t)(colon - uri);
			out->host.off = auth;
			out->host.len = host_end - auth;
		}
		if (host_end < end) {
			out->has_port = 1;
			out->port.off = host_end + 1;
			out->port.len = end - host_end - 1;
		}
		i = end;
	}
	out->path.off = i;
	while (i < len && uri[i] != '?' && uri[i] != '#')
		i++;
	out->path.len = i - out->path.off;
	if (i < len && uri[i] == '?') {
		out->has_query = 1;
		out->query.off = ++i;
		while (i < len && uri[i] != '#')
			i++;
		out->query.len = i - out->query.off;
	}
	if (i < len && uri[i] == '#') {
		out->has_fragment = 1;
		out->fragment.off = i + 1;
		out->fragment.len = len - i - 1;
	}
	return 0;
}

/*
 * Path, query or fragment text into out with %-escapes normalised (RFC
 * 3986 6.2.2.1, 6.2.2.2). in_path: refuse escaped separators.
 */
static int
uri_tail_normalise(const char *s, size_t len, int in_path, char *out, size_t *o)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int hi, lo, v;

	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			if (!uri_is_unreserved(s[i]) &&
			    !uri_is_pchar_other(s[i]))
				return WHY("contains '%c', which must be "
					   "%%-encoded",
				    s[i]);
			out[(*o)++] = s[i];
			continue;
		}
		if (i + 2 >= len || (hi = text_hex_value(s[i + 1])) < 0 ||
		    (lo = text_hex_value(s[i + 2])) < 0)
			return WHY("has a malformed %%-escape");
		v = hi << 4 | lo;
		if (v < 0x20 || v == 0x7f)
			return WHY("has %%-escape %%%c%c of a control "
				   "character",
			    s[i + 1], s[i + 2]);
		if (in_path && (v == '/' || v == '\\'))
			return WHY("has an escaped '%c' (%%%c%c) in its path, "
				   "which servers may take for a separator",
			    v, s[i + 1], s[i + 2]);
		i += 2;
		if (uri_is_unreserved(v)) {
			out[(*o)++] = (char)v;
			continue;
		}
		out[(*o)++] = '%';
		out[(*o)++] = hex[v >> 4];
		out[(*o)++] = hex[v & 0xf];
	}
	return 0;
}

/* Segments of a normalised hierarchical path: no dot or empty ones. */
static int
uri_path_check(const char *path, size_t len)
{
	size_t i = 0, seg, name;

	while (i < len) {
		if (path[i] != '/') {
			i++;
			continue;
		}
		seg = ++i;
		while (i < len && path[i] != '/')
			i++;
		if (i == seg && i < len)
			return WHY("has an empty path segment ('//')");
		/* "..;x" is ".." to servers that strip path parameters. */
		for (name = seg; name < i && path[name] != ';'; name++)
			;
		if ((name - seg == 1 && path[seg] == '.') ||
		    (name - seg == 2 && path[seg] == '.' &&
			path[seg + 1] == '.'))
			return WHY("has a '.' or '..' path segment (after "
				   "%%-decoding)");
	}
	return 0;
}

/* SPIFFE ID (SPIFFE-ID specification 2): stricter than RFC 3986. */
static int
uri_spiffe_check(const char *s, size_t len)
{
	const char *td = s + strlen("spiffe://"), *end = s + len, *p, *seg;

	if (len < strlen("spiffe://") ||
	    memcmp(s, "spiffe://", strlen("spiffe://")) != 0)
		return WHY("is a SPIFFE ID without '//' and a trust domain");
	for (p = td; p < end && *p != '/'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-' || *p == '_')
			continue;
		if (*p >= 'A' && *p <= 'Z')
			return WHY("has a SPIFFE trust domain with upper-case "
				   "letters; it must be lower-case");
		if (*p == ':' || *p == '@')
			return WHY("has a port or userinfo in its SPIFFE trust "
				   "domain");
		return WHY("has '%c' in its SPIFFE trust domain", *p);
	}
	if (p == td)
		return WHY("has an empty SPIFFE trust domain");
	while (p < end) {
		seg = ++p;
		while (p < end && *p != '/') {
			if (!((*p >= 'a' && *p <= 'z') ||
				(*p >= 'A' && *p <= 'Z') ||
				(*p >= '0' && *p <= '9') || *p == '.' ||
				*p == '-' || *p == '_')) {
				if (*p == '?' || *p == '#')
					return WHY("has a query or fragment, "
						   "which SPIFFE IDs may not "
						   "have");
				return WHY("has '%c' in its SPIFFE path", *p);
			}
			p++;
		}
		if (p == seg)
			return WHY("has an empty SPIFFE path segment (or a "
				   "trailing '/')");
		if ((p - seg == 1 && seg[0] == '.') ||
		    (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return WHY("has a '.' or '..' SPIFFE path segment");
	}
	return 0;
}

/* The host of u (in buf) normalised into out at *o. */
static int
uri_host_normalise(const char *buf, const struct names_uri *u, char *out,
    size_t *o)
{
	char host[NAMES_DNS_MAX + 1], inner[256];
	char lit[INET6_ADDRSTRLEN + 1];
	uint8_t ip[16];
	size_t i;

	if (u->host_is_ip_literal) {
		if (u->host.len >= sizeof(lit))
			return WHY("has a malformed [IPv6] host");
		memcpy(lit, buf + u->host.off, u->host.len);
		lit[u->host.len] = '\0';
		if (inet_pton(AF_INET6, lit, ip) != 1)
			return WHY("has a malformed [IPv6] host");
		out[(*o)++] = '[';
		for (i = 0; i < u->host.len; i++) {
			char c = lit[i];

			out[(*o)++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		out[(*o)++] = ']';
		return 0;
	}
	if (u->host.len == 0)
		return WHY("has an empty host");
	if (u->host.len > NAMES_DNS_MAX)
		return WHY("has a host longer than %d characters",
		    NAMES_DNS_MAX);
	memcpy(host, buf + u->host.off, u->host.len);
	host[u->host.len] = '\0';
	if (names_ip_parse(host, ip) == 0 &&
	    names_dns_normalise((const uint8_t *)buf + u->host.off, u->host.len,
		0, host) < 0) {
		snprintf(inner, sizeof(inner), "%s", signet_error_message());
		return WHY("has a host that %s", inner);
	}
	memcpy(out + *o, host, u->host.len);
	*o += u->host.len;
	return 0;
}

/* ":port": 1..65535, digits only; 0 if it is the scheme's default. */
static int
uri_port(const char *buf, const struct names_uri *u, unsigned long *port)
{
	size_t i;

	*port = 0;
	if (u->port.len == 0 || u->port.len > 5 ||
	    strspn(buf + u->port.off, "0123456789") < u->port.len)
		return WHY("has a malformed port");
	for (i = 0; i < u->port.len; i++)
		*port =
		    *port * 10 + (unsigned long)(buf[u->port.off + i] - '0');
	if (*port == 0 || *port > 65535)
		return WHY("has a port outside 1..65535");
	/* RFC 3986 6.2.3: the default port is the same as none. */
	if ((u->scheme.len == 4 && memcmp(buf, "http", 4) == 0 &&
		*port == 80) ||
	    (u->scheme.len == 5 && memcmp(buf, "https", 5) == 0 &&
		*port == 443))
		*port = 0;
	return 0;
}

int
names_uri_normalise(const uint8_t *in, size_t len, unsigned flags,
    char out[NAMES_URI_MAX + 1])
{
	/* Escapes only shrink, so the normal form fits where the text did. */
	char buf[NAMES_URI_MAX + 1];
	struct names_uri u;
	unsigned long port;
	size_t i, o = 0;
	int r;

	out[0] = '\0';
	if (len == 0 || len > NAMES_URI_MAX)
		return WHY("is empty or longer than %d characters",
		    NAMES_URI_MAX);
	for (i = 0; i < len; i++) {
		if (in[i] <= 0x20 || in[i] >= 0x7f)
			return WHY("contains byte 0x%02x (URIs are printable "
				   "ASCII without spaces; %%-encode the rest)",
			    in[i]);
		buf[i] = (char)in[i];
	}
	buf[len] = '\0';
	if ((r = names_uri_parse(buf, len, &u)) != 0)
		return r;
	for (i = 0; i < u.scheme.len; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] + 32);
	if ((flags & NAMES_URI_HTTP) &&
	    !(u.scheme.len == 4 && memcmp(buf, "http", 4) == 0))
		return WHY("is not an http:// URL");
	if (u.scheme.len == 6 && memcmp(buf, "spiffe", 6) == 0) {
		if ((r = uri_spiffe_check(buf, len)) != 0)
			return r;
		memcpy(out, buf, len + 1);
		return 0;
	}
	memcpy(out, buf, u.scheme.len + 1);
	o = u.scheme.len + 1;
	if (!u.has_authority && (flags & NAMES_URI_HTTP))
		return WHY("has no //host");
	if (u.has_authority) {
		if (u.has_userinfo)
			return WHY("has userinfo before its host, which is "
				   "not allowed");
		out[o++] = '/';
		out[o++] = '/';
		if ((r = uri_host_normalise(buf, &u, out, &o)) != 0)
			return r;
		if (u.has_port) {
			if ((r = uri_port(buf, &u, &port)) != 0)
				return r;
			if (port != 0)
				o += (size_t)snprintf(out + o, 7, ":%lu", port);
		}
	}
	i = o;
	if ((r = uri_tail_normalise(buf + u.path.off, u.path.len,
		 u.has_authority, out, &o)) != 0)
		return r;
	/* Without an authority (urn:, ...) there is no hierarchy. */
	if (u.has_authority && (r = uri_path_check(out + i, o - i)) != 0)
		return r;
	if (u.has_query) {
		out[o++] = '?';
		if ((r = uri_tail_normalise(buf + u.query.off, u.query.len, 0,
			 out, &o)) != 0)
			return r;
	}
	if (u.has_fragment) {
		out[o++] = '#';
		if (memchr(buf + u.fragment.off, '#', u.fragment.len) != NULL)
			return WHY("has more than one '#'");
		if ((r = uri_tail_normalise(buf + u.fragment.off,
			 u.fragment.len, 0, out, &o)) != 0)
			return r;
	}
	out[o] = '\0';
	return 0;
}

int
names_uri_host(const char *uri, size_t len, char *out, size_t outlen,
    int *is_ip)
{
	struct names_uri u;
	uint8_t ip[16];
	size_t i;
	int r;

	*is_ip = 0;
	if (outlen > 0)
		out[0] = '\0';
	if ((r = names_uri_parse(uri, len, &u)) != 0)
		return r;
	if (!u.has_authority || u.host.len == 0)
		return WHY("has no host");
	if (u.host.len >= outlen)
		return WHY("has a host too long to check");
	for (i = 0; i < u.host.len; i++) {
		char c = uri[u.host.off + i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[u.host.len] = '\0';
	*is_ip = u.host_is_ip_literal || names_ip_parse(out, ip) != 0;
	return 0;
}

/* ---- GeneralNames (RFC 5280 4.2.1.6) ----------------------------------------
 */

int
names_general_name(const GENERAL_NAME *g, const uint8_t **data, size_t *len)
{
	const ASN1_STRING *v;
	int type;

	switch (g->type) {
	case GEN_DNS:
		type = NAMES_DNS;
		v = g->d.dNSName;
		break;
	case GEN_IPADD:
		type = NAMES_IP;
		v = g->d.iPAddress;
		break;
	case GEN_EMAIL:
		type = NAMES_EMAIL;
		v = g->d.rfc822Name;
		break;
	case GEN_URI:
		type = NAMES_URI;
		v = g->d.uniformResourceIdentifier;
		break;
	default:
		return -1;
	}
	*data = ASN1_STRING_get0_data(v);
	*len = (size_t)ASN1_STRING_length(v);
	return type;
}

/* ---- Subject common names ---------------------------------------------------
 */

static char
ascii_lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c + ('a' - 'A'));
	return c;
}

static int
ascii_case_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return 0;
	return 1;
}

int
names_cn_matches(const char *cn, size_t cn_len, enum names_kind san_kind,
    const uint8_t *san, size_t san_len)
{
	char text[NAMES_URI_MAX + 1], a[NAMES_URI_MAX + 1],
	    b[NAMES_URI_MAX + 1];
	uint8_t ip[16];
	const char *at, *sat;
	size_t ip_len;

	if (cn_len > NAMES_URI_MAX || memchr(cn, '\0', cn_len) != NULL)
		return 0;
	memcpy(text, cn, cn_len);
	text[cn_len] = '\0';
	switch (san_kind) {
	case NAMES_IP:
		ip_len = names_ip_parse(text, ip);
		return ip_len != 0 && ip_len == san_len &&
		       memcmp(ip, san, ip_len) == 0;
	case NAMES_DNS:
		return cn_len == san_len &&
		       ascii_case_eq(cn, (const char *)san, cn_len);
	case NAMES_EMAIL:
		/* RFC 5321 2.4: the local part as is, the domain in any case. */
		at = memchr(cn, '@', cn_len);
		sat = memchr(san, '@', san_len);
		return at != NULL && sat != NULL && cn_len == san_len &&
		       at - cn == sat - (const char *)san &&
		       memcmp(cn, san, (size_t)(at - cn)) == 0 &&
		       ascii_case_eq(at, sat, cn_len - (size_t)(at - cn));
	case NAMES_URI:
		return names_uri_normalise((const uint8_t *)cn, cn_len, 0, a) ==
			   0 &&
		       names_uri_normalise(san, san_len, 0, b) == 0 &&
		       strcmp(a, b) == 0;
	default:
		return 0;
	}
}
