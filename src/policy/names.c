/*
 * Names in profiles: matching requested names (in the normal form of
 * util/names.h) against a profile's allow and deny entries, and the IP
 * networks entries are written as.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy_int.h"
#include "util/names.h"

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

/* ---- IP networks ---------------------------------------------------------- */

int
policy_cidr_parse(const char *text, struct signet_cidr *out)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned long prefix;
	unsigned i;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr)) {
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "'%s' is not an address or network", text);
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if ((out->len = (uint8_t)names_ip_parse(addr, out->addr)) == 0) {
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "'%s' is not an IPv4 or IPv6 network like 192.0.2.0/24 "
		    "or 2001:db8::/32",
		    text);
	}
	if (slash == NULL) {
		out->prefix = (uint8_t)(out->len * 8);
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9' ||
	    (slash[1] == '0' && slash[2] != '\0')) {
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "'%s' has a malformed prefix length", text);
	}
	prefix = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || prefix > (unsigned long)out->len * 8) {
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "'%s' has a prefix length outside 0..%u", text,
		    out->len * 8u);
	}
	out->prefix = (uint8_t)prefix;
	for (i = 0; i < out->len * 8u; i++) {
		if (i < prefix)
			continue;
		if (out->addr[i / 8] & (0x80 >> (i % 8)))
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "'%s' has bits set after the prefix; write the "
			    "network address",
			    text);
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
	size_t i;

	for (i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]);
	     i++) {
		/* The table is ours and parses; skip an entry if not. */
		if (policy_cidr_parse(reserved_ranges[i].net, &net) != 0)
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

/* The local part of a mailbox, without a "+tag" subaddress. */
static size_t
email_local_base(const char *mailbox, const char *at)
{
	const char *plus = memchr(mailbox, '+', (size_t)(at - mailbox));

	return (size_t)((plus != NULL ? plus : at) - mailbox);
}

int
policy_email_denied(const char *entry, const char *mailbox)
{
	const char *eat = strchr(entry, '@'), *mat = strchr(mailbox, '@');
	size_t el, ml;

	if (eat == NULL || mat == NULL)
		return policy_email_matches(entry, mailbox);
	/*
	 * A deny entry stands for the mailbox, not its spelling: mail
	 * systems treat local parts without regard to case, and deliver
	 * "user+tag" to "user" (RFC 5233). So a deny entry without '+'
	 * matches any case and any subaddress of its local part.
	 */
	el = (size_t)(eat - entry);
	ml = memchr(entry, '+', el) != NULL ? (size_t)(mat - mailbox)
					    : email_local_base(mailbox, mat);
	return el == ml && strncasecmp(entry, mailbox, el) == 0 &&
	       strcasecmp(eat, mat) == 0;
}

/* ---- URIs ------------------------------------------------------------------ */

/* The length of a normalised URI without its query and fragment. */
static size_t
uri_resource_len(const char *uri)
{
	return strcspn(uri, "?#");
}

int
policy_uri_matches(const char *entry, const char *uri)
{
	size_t el = strlen(entry), ul = uri_resource_len(uri);

	if (el == ul && memcmp(entry, uri, el) == 0)
		return 1;
	/* Prefixes end in '/', so "https://a.example" never covers
	 * "https://a.example.evil". */
	return el > 0 && el <= ul && entry[el - 1] == '/' &&
	       memcmp(entry, uri, el) == 0;
}

int
policy_uri_denied(const char *entry, const char *uri)
{
	size_t el = strlen(entry), ul = uri_resource_len(uri);
	const char *auth = strstr(entry, "://");

	if (policy_uri_matches(entry, uri))
		return 1;
	/*
	 * "/admin;v=1" is /admin with a parameter (RFC 3986 3.3), and most
	 * servers route "/admin/" and "/admin/x" to /admin too: a denied
	 * resource stays denied whatever follows it. A host entry
	 * ("https://h") covers its paths and ports the same way, but not
	 * "https://h.evil": the next character must be ';' or '/', or ':'
	 * after a host.
	 */
	if (el >= ul || memcmp(entry, uri, el) != 0)
		return 0;
	if (uri[el] == ';' || uri[el] == '/')
		return 1;
	return uri[el] == ':' && auth != NULL && strchr(auth + 3, '/') == NULL;
}
