/* Name checks for lints: DNS syntax and name constraints (RFC 5280). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "util/names.h"
#include "x509/lint_int.h"

int
lint_dns_name_ok(const char *s, size_t n, const char **why)
{
	static __thread char reason[256];
	char norm[NAMES_DNS_MAX + 1];

	/* The rules requests were checked by (util/names.h), not weaker. */
	if (names_dns_normalise((const uint8_t *)s, n, NAMES_DNS_WILDCARD,
		norm) < 0) {
		snprintf(reason, sizeof(reason), "%s", signet_error_message());
		*why = reason;
		return 0;
	}
	if (strlen(norm) != n || memcmp(norm, s, n) != 0) {
		*why = "is not in lower case (the normal form signet issues)";
		return 0;
	}
	return 1;
}

static int
ci_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) !=
		    tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* RFC 5280 4.2.1.10: zero or more labels added on the left. */
static int
dns_match(const char *n, size_t nlen, const char *c, size_t clen)
{
	if (clen == 0)
		return 1;
	if (c[0] == '.')
		return nlen > clen && ci_eq(n + nlen - clen, c, clen);
	if (nlen == clen)
		return ci_eq(n, c, clen);
	return nlen > clen && n[nlen - clen - 1] == '.' &&
	       ci_eq(n + nlen - clen, c, clen);
}

/*
 * A wildcard "*.B" reaches an excluded subtree "L.B" (one label below B)
 * even though the two names differ: "*.B" covers L.B. Treat it as in the
 * subtree, as Chromium does; a subtree at or above B already matches.
 */
static int
dns_wildcard_reaches(const char *n, size_t nlen, const char *c, size_t clen)
{
	size_t blen;

	if (nlen < 3 || n[0] != '*' || n[1] != '.' || clen == 0 || c[0] == '.')
		return 0;
	blen = nlen - 2;
	return clen > blen + 1 && c[clen - blen - 1] == '.' &&
	       ci_eq(c + clen - blen, n + 2, blen) &&
	       memchr(c, '.', clen - blen - 1) == NULL;
}

static int
email_match(const char *n, size_t nlen, const char *c, size_t clen)
{
	const char *at = NULL, *dom;
	size_t i, dlen;

	for (i = 0; i < nlen; i++)
		if (n[i] == '@')
			at = n + i;
	if (at == NULL)
		return 0;
	dom = at + 1;
	dlen = nlen - (size_t)(dom - n);
	if (memchr(c, '@', clen) != NULL) {
		/* A mailbox: local part exact, host case-insensitive. */
		const char *cat = memchr(c, '@', clen);
		size_t llen = (size_t)(cat - c);

		return (size_t)(at - n) == llen && memcmp(n, c, llen) == 0 &&
		       dlen == clen - llen - 1 && ci_eq(dom, cat + 1, dlen);
	}
	if (clen > 0 && c[0] == '.')
		return dlen > clen && ci_eq(dom + dlen - clen, c, clen);
	return dlen == clen && ci_eq(dom, c, clen);
}

static int
uri_match(const char *n, size_t nlen, const char *c, size_t clen)
{
	char host[256];
	size_t hlen;
	int is_ip;

	/* The host after any userinfo (RFC 3986 3.2), as verifiers see it. */
	if (names_uri_host(n, nlen, host, sizeof(host), &is_ip) != 0 || is_ip)
		return 0;
	hlen = strlen(host);
	if (clen > 0 && c[0] == '.')
		return hlen > clen && ci_eq(host + hlen - clen, c, clen);
	return hlen == clen && ci_eq(host, c, clen);
}

static int
ip_match(const uint8_t *n, size_t nlen, const uint8_t *c, size_t clen)
{
	size_t i;

	if (clen != 2 * nlen)
		return 0;
	for (i = 0; i < nlen; i++)
		if ((n[i] & c[nlen + i]) != (c[i] & c[nlen + i]))
			return 0;
	return 1;
}

static int
name_match(const GENERAL_NAME *base, int type, const ASN1_STRING *name)
{
	const ASN1_STRING *b;
	const char *n = (const char *)ASN1_STRING_get0_data(name);
	size_t nlen = (size_t)ASN1_STRING_length(name);

	if (base->type != type)
		return 0;
	switch (type) {
	case GEN_DNS:
		b = base->d.dNSName;
		return dns_match(n, nlen,
		    (const char *)ASN1_STRING_get0_data(b),
		    (size_t)ASN1_STRING_length(b));
	case GEN_EMAIL:
		b = base->d.rfc822Name;
		return email_match(n, nlen,
		    (const char *)ASN1_STRING_get0_data(b),
		    (size_t)ASN1_STRING_length(b));
	case GEN_URI:
		b = base->d.uniformResourceIdentifier;
		return uri_match(n, nlen,
		    (const char *)ASN1_STRING_get0_data(b),
		    (size_t)ASN1_STRING_length(b));
	case GEN_IPADD:
		b = base->d.iPAddress;
		return ip_match((const uint8_t *)n, nlen,
		    ASN1_STRING_get0_data(b), (size_t)ASN1_STRING_length(b));
	default:
		return 0;
	}
}

static void
name_text(int type, const ASN1_STRING *name, char *out, size_t outlen)
{
	const unsigned char *d = ASN1_STRING_get0_data(name);
	int len = ASN1_STRING_length(name);

	if (type == GEN_IPADD) {
		char ip[INET6_ADDRSTRLEN];

		if ((len == 4 || len == 16) &&
		    inet_ntop(len == 4 ? AF_INET : AF_INET6, d, ip,
			sizeof(ip)) != NULL)
			snprintf(out, outlen, "IP address %s", ip);
		else
			snprintf(out, outlen, "IP address of %d octets", len);
		return;
	}
	snprintf(out, outlen, "%s '%.*s'",
	    type == GEN_DNS     ? "dNSName"
	    : type == GEN_EMAIL ? "rfc822Name"
				: "URI",
	    len > 100 ? 100 : len, (const char *)d);
}

/* 1 with why set if name violates nc. */
static int
nc_name(const NAME_CONSTRAINTS *nc, int type, const ASN1_STRING *name,
    char *why, size_t whylen)
{
	int i, have = 0, ok = 0;
	char text[160];

	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		const GENERAL_SUBTREE *t =
		    sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);

		if (t->base->type != type)
			continue;
		have = 1;
		if (name_match(t->base, type, name))
			ok = 1;
	}
	if (have && !ok) {
		name_text(type, name, text, sizeof(text));
		snprintf(why, whylen, "%s is in no permitted subtree", text);
		return 1;
	}
	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); i++) {
		const GENERAL_SUBTREE *t =
		    sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i);

		if (name_match(t->base, type, name) ||
		    (type == GEN_DNS && t->base->type == GEN_DNS &&
			dns_wildcard_reaches((const char *)
						 ASN1_STRING_get0_data(name),
			    (size_t)ASN1_STRING_length(name),
			    (const char *)ASN1_STRING_get0_data(
				t->base->d.dNSName),
			    (size_t)ASN1_STRING_length(t->base->d.dNSName)))) {
			name_text(type, name, text, sizeof(text));
			snprintf(why, whylen, "%s is in an excluded subtree",
			    text);
			return 1;
		}
	}
	return 0;
}

/* The directoryName subtrees of nc alone (borrowed), or NULL if none. */
static STACK_OF(GENERAL_SUBTREE) *
    dirname_subtrees(STACK_OF(GENERAL_SUBTREE) * all, int *failed)
{
	STACK_OF(GENERAL_SUBTREE) *out = NULL;
	int i;

	for (i = 0; i < sk_GENERAL_SUBTREE_num(all); i++) {
		GENERAL_SUBTREE *t = sk_GENERAL_SUBTREE_value(all, i);

		if (t->base->type != GEN_DIRNAME)
			continue;
		if ((out == NULL &&
			(out = sk_GENERAL_SUBTREE_new_null()) == NULL) ||
		    !sk_GENERAL_SUBTREE_push(out, t)) {
			*failed = 1;
			break;
		}
	}
	return out;
}

int
lint_nc_dirname_check(const NAME_CONSTRAINTS *nc, const uint8_t *der,
    size_t len, char *why, size_t whylen)
{
	NAME_CONSTRAINTS only = { NULL, NULL };
	const unsigned char *p = der;
	X509 *x = NULL;
	int failed = 0, rc = X509_V_OK;

	/*
	 * RFC 5280 4.2.1.10: the subject must lie in a permitted
	 * directoryName subtree and in no excluded one; compared as OpenSSL
	 * compares them (canonical encodings), the verifier most use.
	 */
	only.permittedSubtrees =
	    dirname_subtrees(nc->permittedSubtrees, &failed);
	only.excludedSubtrees = dirname_subtrees(nc->excludedSubtrees, &failed);
	/*
	 * Parsed only when there is a directoryName subtree: OpenSSL 3's key
	 * decoders make a parse cost as much as a token signature.
	 */
	if (!failed &&
	    (only.permittedSubtrees != NULL || only.excludedSubtrees != NULL) &&
	    (x = d2i_X509(NULL, &p, (long)len)) != NULL)
		rc = NAME_CONSTRAINTS_check(x, &only);
	X509_free(x);
	sk_GENERAL_SUBTREE_free(only.permittedSubtrees);
	sk_GENERAL_SUBTREE_free(only.excludedSubtrees);
	ERR_clear_error();
	if (failed) {
		snprintf(why, whylen,
		    "out of memory checking directoryName "
		    "constraints");
		return 1;
	}
	if (rc == X509_V_OK)
		return 0;
	snprintf(why, whylen,
	    "the subject is outside the directoryName "
	    "constraints (%s)",
	    X509_verify_cert_error_string(rc));
	return 1;
}

/*
 * 1 if a commonName looks like a host name the way OpenSSL decides it
 * (cn2dnsid in v3_ncons.c): letters, digits, '_', and '-' and '.' inside
 * labels only, with at least two labels.
 */
static int
cn_is_hostname(const ASN1_STRING *s)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int i, n = ASN1_STRING_length(s), dots = 0;

	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		int first = i == 0, last = i == n - 1;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')
			continue;
		if (c == '-' && !first && !last && p[i - 1] != '.' &&
		    p[i + 1] != '.')
			continue;
		if (c == '.' && !first && !last && p[i - 1] != '.' &&
		    p[i - 1] != '-' && p[i + 1] != '.' && p[i + 1] != '-') {
			dots++;
			continue;
		}
		return 0;
	}
	return dots > 0;
}

int
lint_nc_check(const NAME_CONSTRAINTS *nc, const GENERAL_NAMES *sans,
    const X509_NAME *subject, char *why, size_t whylen)
{
	int i, has_dns = 0;

	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const ASN1_STRING *s;

		switch (g->type) {
		case GEN_DNS:
			s = g->d.dNSName;
			has_dns = 1;
			break;
		case GEN_EMAIL:
			s = g->d.rfc822Name;
			break;
		case GEN_URI:
			s = g->d.uniformResourceIdentifier;
			break;
		case GEN_IPADD:
			s = g->d.iPAddress;
			break;
		default:
			continue;
		}
		if (nc_name(nc, g->type, s, why, whylen))
			return 1;
	}
	/* RFC 5280 4.2.1.10: email addresses in the subject count too. */
	i = -1;
	while (subject != NULL && (i = X509_NAME_get_index_by_NID(subject,
				       NID_pkcs9_emailAddress, i)) >= 0) {
		const ASN1_STRING *s =
		    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));

		if (nc_name(nc, GEN_EMAIL, s, why, whylen))
			return 1;
	}
	/*
	 * Without a dNSName, OpenSSL holds every commonName that looks like
	 * a host name ("127.0.0.1" does) to the DNS constraints too: such a
	 * certificate would not verify there.
	 */
	i = -1;
	while (
	    !has_dns && subject != NULL &&
	    (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0) {
		const ASN1_STRING *s =
		    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));

		if (cn_is_hostname(s) && nc_name(nc, GEN_DNS, s, why, whylen))
			return 1;
	}
	return 0;
}
