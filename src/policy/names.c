/*
 * Names: checking and normalising DNS names, IP addresses and networks,
 * mailboxes and URIs, and matching them against a profile's allow and
 * deny entries. The same checks serve requests (untrusted) and policy
 * files (entries), so that an entry can never be written in a form no
 * request could match.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

#define WHY(...) snprintf(why, whysz, __VA_ARGS__)

/* ---- DNS names ------------------------------------------------------------ */

/*
 * Code points IDNA2008 (RFC 5892) never allows in a label, as far as can
 * be told without the Unicode tables: symbols and punctuation blocks,
 * private use, noncharacters, and the upper-case letters of the common
 * alphabets (U-labels are lower-case).
 */
static int
dns_ulabel_char_bad(uint32_t c)
{
	if (c < 0x80)
		return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 c == '-');
	if (c < 0xc0 || c == 0xd7 || c == 0xf7)
		return 1;
	if (c >= 0xc0 && c <= 0xde)
		return 1; /* Latin-1 capitals */
	if (c >= 0x391 && c <= 0x3a9)
		return 1; /* Greek capitals */
	if (c >= 0x400 && c <= 0x42f)
		return 1; /* Cyrillic capitals */
	if (c >= 0x2000 && c <= 0x2bff)
		return 1; /* punctuation, symbols, arrows, shapes */
	if (c >= 0x3000 && c <= 0x303f)
		return 1; /* CJK punctuation, ideographic space */
	if (c >= 0xd800 && c <= 0xf8ff)
		return 1; /* surrogates, private use */
	if (c >= 0xfdd0 && c <= 0xfdef)
		return 1; /* noncharacters */
	if (c >= 0xfe00 && c <= 0xfe0f)
		return 1; /* variation selectors */
	if (c >= 0xff00 && c <= 0xffff)
		return 1; /* full-width forms map to ASCII; specials */
	if ((c & 0xfffe) == 0xfffe)
		return 1; /* plane noncharacters */
	if (c >= 0x1f000 && c <= 0x1faff)
		return 1; /* emoji, game symbols */
	if (c >= 0xe0000)
		return 1; /* tags, private use planes */
	return 0;
}

/* An "xn--" label: valid Punycode, canonical, not all ASCII. */
static int
dns_alabel_check(const char *label, size_t len, char *why, size_t whysz)
{
	uint32_t cps[64];
	char again[64];
	size_t n = sizeof(cps) / sizeof(cps[0]), alen = sizeof(again), i;
	int non_ascii = 0;

	if (len <= 4 ||
	    policy_punycode_decode(label + 4, len - 4, cps, &n) != 0) {
		WHY("has label '%.*s', which is not valid Punycode", (int)len,
		    label);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (cps[i] >= 0x80)
			non_ascii = 1;
		if (dns_ulabel_char_bad(cps[i])) {
			WHY("has label '%.*s', which decodes to U+%04X, not "
			    "allowed in a host name (IDNA2008)",
			    (int)len, label, (unsigned)cps[i]);
			return -1;
		}
	}
	if (!non_ascii) {
		WHY("has label '%.*s', which decodes to plain ASCII; write "
		    "it as such",
		    (int)len, label);
		return -1;
	}
	if (policy_punycode_encode(cps, n, again, &alen) != 0 ||
	    alen != len - 4 || memcmp(again, label + 4, alen) != 0) {
		WHY("has label '%.*s', which is not the canonical Punycode "
		    "of its characters",
		    (int)len, label);
		return -1;
	}
	return 0;
}

static int
dns_label_check(const char *label, size_t len, char *why, size_t whysz)
{
	size_t i;

	if (len == 0) {
		WHY("has an empty label");
		return -1;
	}
	if (len > 63) {
		WHY("has a label longer than 63 characters");
		return -1;
	}
	for (i = 0; i < len; i++) {
		char c = label[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-')
			continue;
		if (c == '*') {
			WHY("has '*' other than as the whole leftmost label");
			return -1;
		}
		if (c == '_') {
			/* BR 7.1.4.2.1: no underscores in dNSName. */
			WHY("contains '_', which host names may not contain");
			return -1;
		}
		WHY("contains '%c'; only letters, digits and '-' are allowed",
		    c);
		return -1;
	}
	if (label[0] == '-' || label[len - 1] == '-') {
		WHY("has a label that starts or ends with '-'");
		return -1;
	}
	if (len >= 4 && label[2] == '-' && label[3] == '-') {
		if (label[0] == 'x' && label[1] == 'n')
			return dns_alabel_check(label, len, why, whysz);
		/* RFC 5891 4.2.3.1: "??--" labels are reserved. */
		WHY("has label '%.*s' with '--' in the third and fourth "
		    "positions, which is reserved for IDNA (RFC 5891 4.2.3.1)",
		    (int)len, label);
		return -1;
	}
	return 0;
}

int
policy_dns_normalise(const uint8_t *in, size_t len, unsigned flags, char *out,
    char *why, size_t whysz)
{
	char buf[POLICY_DNS_MAX + 1];
	uint8_t ip[16];
	const char *p, *dot, *last;
	size_t i, start = 0, nlabels = 0;
	int wildcard = 0;

	if (len == 0) {
		WHY("is empty");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (in[i] == 0) {
			WHY("contains a NUL byte");
			return -1;
		}
		if (in[i] < 0x20 || in[i] == 0x7f) {
			WHY("contains control character 0x%02x", in[i]);
			return -1;
		}
		if (in[i] >= 0x80) {
			WHY("contains raw non-ASCII bytes; internationalised "
			    "names must be written as xn-- A-labels");
			return -1;
		}
	}
	if (len > POLICY_DNS_MAX) {
		WHY("is longer than %d characters", POLICY_DNS_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		buf[i] =
		    (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	buf[len] = '\0';
	if (policy_ip_parse(buf, ip) != 0) {
		WHY("is an IP address written as a DNS name; use an iPAddress "
		    "name");
		return -1;
	}
	if (buf[0] == '.') {
		if (!(flags & POLICY_DNS_SUFFIX)) {
			WHY("starts with a dot");
			return -1;
		}
		start = 1;
	}
	if (buf[len - 1] == '.') {
		WHY("ends with a dot");
		return -1;
	}
	if (buf[start] == '*' &&
	    (buf[start + 1] == '.' || buf[start + 1] == '\0')) {
		if (!(flags & POLICY_DNS_WILDCARD) || start != 0) {
			WHY("is a wildcard, which is not allowed here");
			return -1;
		}
		wildcard = 1;
		start += 2;
		if (start >= len) {
			WHY("is a bare wildcard");
			return -1;
		}
	}
	for (p = buf + start;; p = dot + 1) {
		dot = strchr(p, '.');
		if (dns_label_check(p,
			dot != NULL ? (size_t)(dot - p) : strlen(p), why,
			whysz) != 0)
			return -1;
		nlabels++;
		last = p;
		if (dot == NULL)
			break;
	}
	/* RFC 3696 2: a top-level label is never all digits. */
	if (strspn(last, "0123456789") == strlen(last)) {
		WHY("ends in an all-numeric label, like an IP address; use an "
		    "iPAddress name for addresses");
		return -1;
	}
	if (wildcard && nlabels < 2) {
		/* "*.com" would cover a whole top-level domain. */
		WHY("is a wildcard directly under a top-level label");
		return -1;
	}
	memcpy(out, buf, len + 1);
	return wildcard;
}

int
policy_dns_matches(const char *entry, const char *name)
{
	size_t el = strlen(entry), nl = strlen(name);

	if (entry[0] == '.')
		return nl > el && strcmp(name + nl - el, entry) == 0;
	return strcmp(entry, name) == 0;
}

int
policy_dns_wildcard_denied(const char *entry, const char *wildcard)
{
	const char *base = wildcard + 1; /* ".example.com" */
	size_t el = strlen(entry), bl = strlen(base);

	if (policy_dns_matches(entry, wildcard))
		return 1;
	/* An exact entry one label below the wildcard's base. */
	return entry[0] != '.' && el > bl &&
	       strcmp(entry + el - bl, base) == 0 &&
	       memchr(entry, '.', el - bl) == NULL;
}

/* ---- IP addresses ---------------------------------------------------------- */

size_t
policy_ip_parse(const char *text, uint8_t ip[16])
{
	if (strchr(text, ':') == NULL) {
		/* inet_pton accepts only dotted quads, no octal or short forms.
		 */
		if (inet_pton(AF_INET, text, ip) == 1)
			return 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, ip) == 1)
		return 16;
	return 0;
}

int
policy_cidr_parse(const char *text, struct signet_cidr *out, char *why,
    size_t whysz)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned long prefix;
	unsigned i;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr)) {
		WHY("'%s' is not an address or network", text);
		return -1;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if ((out->len = (uint8_t)policy_ip_parse(addr, out->addr)) == 0) {
		WHY("'%s' is not an IPv4 or IPv6 network like 192.0.2.0/24 "
		    "or 2001:db8::/32",
		    text);
		return -1;
	}
	if (slash == NULL) {
		out->prefix = (uint8_t)(out->len * 8);
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9' ||
	    (slash[1] == '0' && slash[2] != '\0')) {
		WHY("'%s' has a malformed prefix length", text);
		return -1;
	}
	prefix = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || prefix > (unsigned long)out->len * 8) {
		WHY("'%s' has a prefix length outside 0..%u", text,
		    out->len * 8u);
		return -1;
	}
	out->prefix = (uint8_t)prefix;
	for (i = 0; i < out->len * 8u; i++) {
		if (i < prefix)
			continue;
		if (out->addr[i / 8] & (0x80 >> (i % 8))) {
			WHY("'%s' has bits set after the prefix; write the "
			    "network address",
			    text);
			return -1;
		}
	}
	return 0;
}

int
policy_cidr_contains(const struct signet_cidr *net, const uint8_t *ip,
    size_t len)
{
	unsigned full = net->prefix / 8, rest = net->prefix % 8;

	if (len != net->len)
		return 0;
	if (memcmp(net->addr, ip, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->addr[full] ^ ip[full]) & (0xff << (8 - rest))) == 0;
}

/*
 * The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
 * later): BR 7.1.2.7.12 forbids every address in them ("Reserved IP
 * Address") in publicly trusted certificates; multicast is added.
 */
static const struct {
	const char *net;
	const char *what;
} reserved_ranges[] = {
	{ "0.0.0.0/8", "this-network" },
	{ "10.0.0.0/8", "private-use" },
	{ "100.64.0.0/10", "shared address space" },
	{ "127.0.0.0/8", "loopback" },
	{ "169.254.0.0/16", "link-local" },
	{ "172.16.0.0/12", "private-use" },
	{ "192.0.0.0/24", "IETF protocol assignments" },
	{ "192.0.2.0/24", "documentation" },
	{ "192.31.196.0/24", "AS112" },
	{ "192.52.193.0/24", "AMT" },
	{ "192.88.99.0/24", "6to4 relay anycast" },
	{ "192.168.0.0/16", "private-use" },
	{ "192.175.48.0/24", "AS112" },
	{ "198.18.0.0/15", "benchmarking" },
	{ "198.51.100.0/24", "documentation" },
	{ "203.0.113.0/24", "documentation" },
	{ "224.0.0.0/4", "multicast" },
	{ "240.0.0.0/4", "reserved" },
	{ "::/128", "unspecified" },
	{ "::1/128", "loopback" },
	{ "::ffff:0:0/96", "IPv4-mapped" },
	{ "64:ff9b::/96", "IPv4/IPv6 translation" },
	{ "64:ff9b:1::/48", "IPv4/IPv6 translation" },
	{ "100::/64", "discard-only" },
	{ "2001::/23", "IETF protocol assignments" },
	{ "2001:db8::/32", "documentation" },
	{ "2002::/16", "6to4" },
	{ "2620:4f:8000::/48", "AS112" },
	{ "3fff::/20", "documentation" },
	{ "5f00::/16", "segment routing" },
	{ "fc00::/7", "unique-local" },
	{ "fe80::/10", "link-local" },
	{ "ff00::/8", "multicast" },
};

static const char *
ip_reserved_by(const uint8_t *ip, size_t len, unsigned prefix)
{
	struct signet_cidr net;
	char why[8];
	size_t i;

	for (i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]);
	     i++) {
		if (policy_cidr_parse(reserved_ranges[i].net, &net, why,
			sizeof(why)) != 0)
			continue;
		if (net.prefix > prefix)
			continue;
		if (policy_cidr_contains(&net, ip, len))
			return reserved_ranges[i].what;
	}
	return NULL;
}

const char *
policy_ip_reserved(const uint8_t *ip, size_t len)
{
	return ip_reserved_by(ip, len, (unsigned)len * 8);
}

const char *
policy_cidr_reserved(const struct signet_cidr *net)
{
	return ip_reserved_by(net->addr, net->len, net->prefix);
}

void
policy_cidr_format(const struct signet_cidr *net, char out[64])
{
	char addr[INET6_ADDRSTRLEN];

	if (inet_ntop(net->len == 4 ? AF_INET : AF_INET6, net->addr, addr,
		sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	snprintf(out, 64, "%s/%u", addr, net->prefix);
}

/* ---- Mailboxes ------------------------------------------------------------ */

/* RFC 5322 3.2.3 atext. */
static int
email_is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
policy_email_normalise(const uint8_t *in, size_t len, unsigned flags, char *out,
    char *why, size_t whysz)
{
	char domain[POLICY_DNS_MAX + 1];
	const uint8_t *at = NULL;
	size_t i, local_len;

	for (i = 0; i < len; i++) {
		if (in[i] == 0 || in[i] < 0x20 || in[i] == 0x7f) {
			WHY("contains control character 0x%02x", in[i]);
			return -1;
		}
		if (in[i] >= 0x80) {
			WHY("contains non-ASCII bytes (internationalised "
			    "mailboxes are not supported)");
			return -1;
		}
		if (in[i] == '@') {
			if (at != NULL) {
				WHY("contains more than one '@'");
				return -1;
			}
			at = in + i;
		}
	}
	if (len == 0 || len > POLICY_EMAIL_MAX) {
		WHY("is empty or longer than %d characters", POLICY_EMAIL_MAX);
		return -1;
	}
	if (at == NULL) {
		if (!(flags & POLICY_EMAIL_DOMAIN)) {
			WHY("is not a mailbox (local@domain)");
			return -1;
		}
		return policy_dns_normalise(in, len, POLICY_DNS_SUFFIX, out,
			   why, whysz) < 0
			   ? -1
			   : 0;
	}
	local_len = (size_t)(at - in);
	if (local_len == 0 || local_len > 64) {
		WHY("has a local part that is empty or longer than 64 "
		    "characters");
		return -1;
	}
	for (i = 0; i < local_len; i++) {
		if (in[i] == '.') {
			if (i == 0 || i == local_len - 1 || in[i + 1] == '.') {
				WHY("has a local part with a leading, trailing "
				    "or doubled '.'");
				return -1;
			}
			continue;
		}
		if (!email_is_atext((char)in[i])) {
			WHY("has '%c' in its local part (quoted local parts "
			    "are not supported)",
			    in[i]);
			return -1;
		}
	}
	if (policy_dns_normalise(at + 1, len - local_len - 1, 0, domain, why,
		whysz) < 0) {
		char inner[256];

		snprintf(inner, sizeof(inner), "%s", why);
		WHY("has a domain that %s", inner);
		return -1;
	}
	memcpy(out, in, local_len);
	out[local_len] = '@';
	memcpy(out + local_len + 1, domain, strlen(domain) + 1);
	return 0;
}

int
policy_email_matches(const char *entry, const char *mailbox)
{
	const char *domain = strchr(mailbox, '@');
	size_t el = strlen(entry), dl;

	if (strchr(entry, '@') != NULL)
		return strcmp(entry, mailbox) == 0;
	if (domain == NULL)
		return 0;
	domain++;
	dl = strlen(domain);
	if (entry[0] == '.')
		return dl > el && strcmp(domain + dl - el, entry) == 0;
	return strcmp(entry, domain) == 0;
}

/* ---- URIs ------------------------------------------------------------------ */

static int
uri_is_unreserved(char c)
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

static int
uri_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Path, query and fragment characters, with well-formed %XX escapes. */
static int
uri_tail_check(const char *s, size_t len, char *why, size_t whysz)
{
	size_t i;
	int fragment = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (i + 2 >= len || !uri_is_hex(s[i + 1]) ||
			    !uri_is_hex(s[i + 2])) {
				WHY("has a malformed %%-escape");
				return -1;
			}
			i += 2;
			continue;
		}
		if (s[i] == '#') {
			if (fragment) {
				WHY("has more than one '#'");
				return -1;
			}
			fragment = 1;
			continue;
		}
		if (!uri_is_unreserved(s[i]) && !uri_is_pchar_other(s[i])) {
			WHY("contains '%c', which must be %%-encoded", s[i]);
			return -1;
		}
	}
	return 0;
}

/* "/a/./b" and "/a/../b" name something else once resolved. */
static int
uri_has_dot_segment(const char *path, size_t len)
{
	size_t i = 0, seg;

	while (i < len) {
		if (path[i] == '?' || path[i] == '#')
			return 0;
		if (path[i] == '/') {
			i++;
			continue;
		}
		seg = i;
		while (i < len && path[i] != '/' && path[i] != '?' &&
		       path[i] != '#')
			i++;
		if ((i - seg == 1 && path[seg] == '.') ||
		    (i - seg == 2 && path[seg] == '.' && path[seg + 1] == '.'))
			return 1;
	}
	return 0;
}

/* SPIFFE ID (SPIFFE-ID specification 2): stricter than RFC 3986. */
static int
uri_spiffe_check(const char *s, size_t len, char *why, size_t whysz)
{
	const char *td = s + strlen("spiffe://"), *end = s + len, *p, *seg;

	if (len < strlen("spiffe://") ||
	    memcmp(s, "spiffe://", strlen("spiffe://")) != 0) {
		WHY("is a SPIFFE ID without '//' and a trust domain");
		return -1;
	}
	for (p = td; p < end && *p != '/'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-' || *p == '_')
			continue;
		if (*p >= 'A' && *p <= 'Z') {
			WHY("has a SPIFFE trust domain with upper-case "
			    "letters; it must be lower-case");
			return -1;
		}
		if (*p == ':' || *p == '@') {
			WHY("has a port or userinfo in its SPIFFE trust "
			    "domain");
			return -1;
		}
		WHY("has '%c' in its SPIFFE trust domain", *p);
		return -1;
	}
	if (p == td) {
		WHY("has an empty SPIFFE trust domain");
		return -1;
	}
	while (p < end) {
		seg = ++p;
		while (p < end && *p != '/') {
			if (!((*p >= 'a' && *p <= 'z') ||
				(*p >= 'A' && *p <= 'Z') ||
				(*p >= '0' && *p <= '9') || *p == '.' ||
				*p == '-' || *p == '_')) {
				if (*p == '?' || *p == '#')
					WHY("has a query or fragment, which "
					    "SPIFFE IDs may not have");
				else
					WHY("has '%c' in its SPIFFE path", *p);
				return -1;
			}
			p++;
		}
		if (p == seg) {
			WHY("has an empty SPIFFE path segment (or a trailing "
			    "'/')");
			return -1;
		}
		if ((p - seg == 1 && seg[0] == '.') ||
		    (p - seg == 2 && seg[0] == '.' && seg[1] == '.')) {
			WHY("has a '.' or '..' SPIFFE path segment");
			return -1;
		}
	}
	return 0;
}

int
policy_uri_normalise(const uint8_t *in, size_t len, unsigned flags, char *out,
    char *why, size_t whysz)
{
	char buf[POLICY_URI_MAX + 1], host[POLICY_DNS_MAX + 1];
	uint8_t ip[16];
	size_t i, scheme_len, auth, auth_end, host_end;
	char *colon;

	if (len == 0 || len > POLICY_URI_MAX) {
		WHY("is empty or longer than %d characters", POLICY_URI_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (in[i] == 0 || in[i] <= 0x20 || in[i] >= 0x7f) {
			WHY("contains byte 0x%02x (URIs are printable ASCII "
			    "without spaces; %%-encode the rest)",
			    in[i]);
			return -1;
		}
		buf[i] = (char)in[i];
	}
	buf[len] = '\0';
	for (i = 0; i < len && buf[i] != ':'; i++) {
		char c = buf[i];

		if ((c >= 'A' && c <= 'Z'))
			buf[i] = (char)(c + 32);
		else if (!((c >= 'a' && c <= 'z') ||
			     (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
					   c == '-' || c == '.')))) {
			WHY("does not start with a scheme like https: or "
			    "spiffe:");
			return -1;
		}
	}
	if (i == 0 || i == len || i + 1 == len) {
		WHY("is not an absolute URI (scheme:rest)");
		return -1;
	}
	scheme_len = i;
	if ((flags & POLICY_URI_HTTP) &&
	    !(scheme_len == 4 && strncmp(buf, "http", 4) == 0)) {
		WHY("is not an http:// URL");
		return -1;
	}
	if (scheme_len == 6 && strncmp(buf, "spiffe", 6) == 0) {
		if (uri_spiffe_check(buf, len, why, whysz) != 0)
			return -1;
		memcpy(out, buf, len + 1);
		return 0;
	}
	if (len < scheme_len + 3 || buf[scheme_len + 1] != '/' ||
	    buf[scheme_len + 2] != '/') {
		if (flags & POLICY_URI_HTTP) {
			WHY("has no //host");
			return -1;
		}
		/* No authority (urn:, ...): only the characters are checked. */
		if (uri_tail_check(buf + scheme_len + 1, len - scheme_len - 1,
			why, whysz) != 0)
			return -1;
		memcpy(out, buf, len + 1);
		return 0;
	}
	auth = scheme_len + 3;
	for (auth_end = auth; auth_end < len && buf[auth_end] != '/' &&
			      buf[auth_end] != '?' && buf[auth_end] != '#';
	     auth_end++)
		;
	if (memchr(buf + auth, '@', auth_end - auth) != NULL) {
		WHY("has userinfo before its host, which is not allowed");
		return -1;
	}
	host_end = auth_end;
	if (buf[auth] == '[') {
		char *close = memchr(buf + auth, ']', auth_end - auth);
		char lit[INET6_ADDRSTRLEN + 1];
		size_t ll;

		if (close == NULL) {
			WHY("has an unterminated [IPv6] host");
			return -1;
		}
		ll = (size_t)(close - (buf + auth + 1));
		if (ll >= sizeof(lit)) {
			WHY("has a malformed [IPv6] host");
			return -1;
		}
		memcpy(lit, buf + auth + 1, ll);
		lit[ll] = '\0';
		if (inet_pton(AF_INET6, lit, ip) != 1) {
			WHY("has a malformed [IPv6] host");
			return -1;
		}
		for (i = auth + 1; i < (size_t)(close - buf); i++)
			if (buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (char)(buf[i] + 32);
		host_end = (size_t)(close - buf) + 1;
		if (host_end != auth_end && buf[host_end] != ':') {
			WHY("has a malformed [IPv6] host");
			return -1;
		}
	} else {
		colon = memchr(buf + auth, ':', auth_end - auth);
		if (colon != NULL)
			host_end = (size_t)(colon - buf);
		if (host_end == auth) {
			WHY("has an empty host");
			return -1;
		}
		if (host_end - auth > POLICY_DNS_MAX) {
			WHY("has a host longer than %d characters",
			    POLICY_DNS_MAX);
			return -1;
		}
		memcpy(host, buf + auth, host_end - auth);
		host[host_end - auth] = '\0';
		if (policy_ip_parse(host, ip) == 0) {
			char inner[256];

			if (policy_dns_normalise((const uint8_t *)host,
				host_end - auth, 0, host, inner,
				sizeof(inner)) < 0) {
				WHY("has a host that %s", inner);
				return -1;
			}
			memcpy(buf + auth, host, host_end - auth);
		}
	}
	if (host_end < auth_end) {
		/* ":port": 1..65535, digits only. */
		size_t plen = auth_end - host_end - 1;
		unsigned long port = 0;

		if (plen == 0 || plen > 5 ||
		    strspn(buf + host_end + 1, "0123456789") < plen) {
			WHY("has a malformed port");
			return -1;
		}
		for (i = host_end + 1; i < auth_end; i++)
			port = port * 10 + (unsigned long)(buf[i] - '0');
		if (port == 0 || port > 65535) {
			WHY("has a port outside 1..65535");
			return -1;
		}
	}
	if (uri_tail_check(buf + auth_end, len - auth_end, why, whysz) != 0)
		return -1;
	if (uri_has_dot_segment(buf + auth_end, len - auth_end)) {
		WHY("has a '.' or '..' path segment");
		return -1;
	}
	memcpy(out, buf, len + 1);
	return 0;
}

int
policy_uri_matches(const char *entry, const char *uri)
{
	size_t el = strlen(entry);

	if (strcmp(entry, uri) == 0)
		return 1;
	/* Prefixes end in '/', so "https://a.example" never covers
	 * "https://a.example.evil". */
	return el > 0 && entry[el - 1] == '/' && strncmp(entry, uri, el) == 0;
}
