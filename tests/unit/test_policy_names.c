/*
 * Tests for the name checks of src/policy: DNS names (with Punycode),
 * IP addresses and networks, mailboxes, URIs and SPIFFE IDs, and matching
 * against allow and deny entries. Python's punycode codec judges ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "policy/policy_int.h"

#define PY "/usr/bin/python3"

/* ---- DNS
 * ---------------------------------------------------------------------- */

struct dns_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	unsigned flags;
	int rc;             /* -1, 0, or 1 for a wildcard */
	const char *expect; /* normal form, or a substring of the reason */
};

static const struct dns_case dns_cases[] = {
	{ "www.example.com", 0, 0, 0, "www.example.com" },
	{ "WWW.Example.COM", 0, 0, 0, "www.example.com" },
	{ "a-b.1.example.com", 0, 0, 0, "a-b.1.example.com" },
	{ "localhost", 0, 0, 0, "localhost" },
	{ "*.example.com", 0, POLICY_DNS_WILDCARD, 1, "*.example.com" },
	{ "*.Example.com", 0, POLICY_DNS_WILDCARD, 1, "*.example.com" },
	{ ".example.com", 0, POLICY_DNS_SUFFIX, 0, ".example.com" },
	{ "xn--mnchen-3ya.example.com", 0, 0, 0, "xn--mnchen-3ya.example.com" },
	{ "XN--MNCHEN-3YA.example.com", 0, 0, 0, "xn--mnchen-3ya.example.com" },
	{ "xn--ihqwcrb4cv8a8dqg056pqjye.cn", 0, 0, 0,
	    "xn--ihqwcrb4cv8a8dqg056pqjye.cn" },
	{ "", 0, 0, -1, "is empty" },
	{ "a\0b.example.com", 15, 0, -1, "NUL byte" },
	{ "a\tb.example.com", 0, 0, -1, "control character 0x09" },
	{ "a\x7f.example.com", 0, 0, -1, "control character 0x7f" },
	{ "m\xc3\xbcnchen.example.com", 0, 0, -1, "raw non-ASCII" },
	{ "192.0.2.1", 0, 0, -1, "IP address written as a DNS name" },
	{ "2001:db8::1", 0, 0, -1, "IP address written as a DNS name" },
	{ "host.123", 0, 0, -1, "all-numeric label" },
	{ "127.1", 0, 0, -1, "all-numeric label" },
	{ ".example.com", 0, 0, -1, "starts with a dot" },
	{ "example.com.", 0, 0, -1, "ends with a dot" },
	{ "a..example.com", 0, 0, -1, "empty label" },
	{ "*.example.com", 0, 0, -1, "wildcard, which is not allowed here" },
	{ ".*.example.com", 0, POLICY_DNS_SUFFIX | POLICY_DNS_WILDCARD, -1,
	    "wildcard, which is not allowed here" },
	{ "*.com", 0, POLICY_DNS_WILDCARD, -1,
	    "wildcard directly under a top-level label" },
	{ "*", 0, POLICY_DNS_WILDCARD, -1, "bare wildcard" },
	{ "a.*.example.com", 0, POLICY_DNS_WILDCARD, -1,
	    "'*' other than as the whole leftmost label" },
	{ "w*.example.com", 0, POLICY_DNS_WILDCARD, -1,
	    "'*' other than as the whole leftmost label" },
	{ "**.example.com", 0, POLICY_DNS_WILDCARD, -1,
	    "'*' other than as the whole leftmost label" },
	{ "-a.example.com", 0, 0, -1, "starts or ends with '-'" },
	{ "a-.example.com", 0, 0, -1, "starts or ends with '-'" },
	{ "_dmarc.example.com", 0, 0, -1, "contains '_'" },
	{ "a!b.example.com", 0, 0, -1, "contains '!'" },
	{ "a b.example.com", 0, 0, -1, "contains ' '" },
	{ "ab--cd.example.com", 0, 0, -1, "reserved for IDNA" },
	{ "xn--99999999.example.com", 0, 0, -1, "not valid Punycode" },
	{ "xn--ls8h.example.com", 0, 0, -1, "decodes to U+1F4A9" },
	{ "xn--mnchen-psa.example.com", 0, 0, -1, "decodes to U+00DC" },
	{ "xn--tda.example.com", 0, 0, 0, "xn--tda.example.com" },
	{ "xn--a.example.com", 0, 0, -1, "label 'xn--a'" },
};

static void
test_dns_normalise(void **state)
{
	char out[POLICY_DNS_MAX + 1], why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dns_cases) / sizeof(dns_cases[0]); i++) {
		const struct dns_case *c = &dns_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->in);
		int rc;

		why[0] = '\0';
		rc = policy_dns_normalise((const uint8_t *)c->in, len, c->flags,
		    out, why, sizeof(why));
		if (rc != c->rc)
			fail_msg("'%s': rc %d, want %d (%s)", c->in, rc, c->rc,
			    why);
		if (rc >= 0)
			assert_string_equal(out, c->expect);
		else if (strstr(why, c->expect) == NULL)
			fail_msg("'%s': reason '%s' lacks '%s'", c->in, why,
			    c->expect);
	}
}

static void
test_dns_lengths(void **state)
{
	char name[300], out[POLICY_DNS_MAX + 1], why[256];
	size_t i;

	(void)state;
	/* A 63-character label is fine; 64 is not. */
	memset(name, 'a', 63);
	strcpy(name + 63, ".example.com");
	assert_int_equal(policy_dns_normalise((uint8_t *)name, strlen(name), 0,
			     out, why, sizeof(why)),
	    0);
	memset(name, 'a', 64);
	strcpy(name + 64, ".example.com");
	assert_int_equal(policy_dns_normalise((uint8_t *)name, strlen(name), 0,
			     out, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "longer than 63"));
	/* 253 characters in all is the most; 254 is one too many. */
	for (i = 0; i < 253; i++)
		name[i] = i % 2 == 0 ? 'a' : '.';
	name[252] = 'z';
	name[253] = '\0';
	assert_int_equal(policy_dns_normalise((uint8_t *)name, 253, 0, out, why,
			     sizeof(why)),
	    0);
	name[253] = 'z';
	name[254] = '\0';
	assert_int_equal(policy_dns_normalise((uint8_t *)name, 254, 0, out, why,
			     sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "longer than 253"));
}

static void
test_dns_matching(void **state)
{
	static const struct {
		const char *entry, *name;
		int match;
	} t[] = {
		{ "example.com", "example.com", 1 },
		{ "example.com", "www.example.com", 0 },
		{ ".example.com", "www.example.com", 1 },
		{ ".example.com", "a.b.example.com", 1 },
		{ ".example.com", "example.com", 0 },
		{ ".example.com", "wwwexample.com", 0 },
		{ ".example.com", "*.example.com", 1 },
		{ ".a.example.com", "*.example.com", 0 },
		{ "*.example.com", "*.example.com", 1 },
		{ "*.example.com", "www.example.com", 0 },
	};
	static const struct {
		const char *entry, *wildcard;
		int denied;
	} w[] = {
		{ "bad.example.com", "*.example.com", 1 },
		{ "a.bad.example.com", "*.example.com", 0 },
		{ ".example.com", "*.example.com", 1 },
		{ ".com", "*.example.com", 1 },
		{ ".bad.example.com", "*.example.com", 0 },
		{ "example.com", "*.example.com", 0 },
		{ "*.example.com", "*.example.com", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (policy_dns_matches(t[i].entry, t[i].name) != t[i].match)
			fail_msg("entry '%s' vs '%s': want %d", t[i].entry,
			    t[i].name, t[i].match);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (policy_dns_wildcard_denied(w[i].entry, w[i].wildcard) !=
		    w[i].denied)
			fail_msg("deny '%s' vs '%s': want %d", w[i].entry,
			    w[i].wildcard, w[i].denied);
}

/* ---- Punycode
 * --------------------------------------------------------------------- */

/* RFC 3492 7.1 samples (A), (B), (L) and simple ones. */
static const struct {
	uint32_t cp[24];
	size_t n;
	const char *puny;
} puny_samples[] = {
	{ { 0x644, 0x64a, 0x647, 0x645, 0x627, 0x628, 0x62a, 0x643, 0x644,
	      0x645, 0x648, 0x634, 0x639, 0x631, 0x628, 0x64a, 0x61f },
	    17, "egbpdaj6bu4bxfgehfvwxn" },
	{ { 0x4ed6, 0x4eec, 0x4e3a, 0x4ec0, 0x4e48, 0x4e0d, 0x8bf4, 0x4e2d,
	      0x6587 },
	    9, "ihqwcrb4cv8a8dqg056pqjye" },
	{ { '3', 0x5e74, 'B', 0x7d44, 0x91d1, 0x516b, 0x5148, 0x751f }, 8,
	    "3B-ww4c5e180e575a65lsy2b" },
	{ { 'm', 0xfc, 'n', 'c', 'h', 'e', 'n' }, 7, "mnchen-3ya" },
	{ { 0xfc }, 1, "tda" },
};

static void
test_punycode_rfc3492_samples(void **state)
{
	uint32_t cp[64];
	char text[128];
	size_t i, n, len;

	(void)state;
	for (i = 0; i < sizeof(puny_samples) / sizeof(puny_samples[0]); i++) {
		len = sizeof(text);
		assert_int_equal(policy_punycode_encode(puny_samples[i].cp,
				     puny_samples[i].n, text, &len),
		    0);
		assert_int_equal(len, strlen(puny_samples[i].puny));
		assert_memory_equal(text, puny_samples[i].puny, len);
		n = 64;
		assert_int_equal(policy_punycode_decode(puny_samples[i].puny,
				     strlen(puny_samples[i].puny), cp, &n),
		    0);
		assert_int_equal(n, puny_samples[i].n);
		assert_memory_equal(cp, puny_samples[i].cp, n * sizeof(cp[0]));
	}
}

static void
test_punycode_rejects_malformed(void **state)
{
	static const char *const bad[] = { "99999999", "-abc", "abc-9", "abc!",
		"zzzzzzzzzzzzzzzzzzzzzzzz" };
	uint32_t cp[8];
	char text[4];
	size_t i, n, len;
	const uint32_t big[] = { 0x4ed6, 0x4eec, 0x4e3a };

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 8;
		if (policy_punycode_decode(bad[i], strlen(bad[i]), cp, &n) == 0)
			fail_msg("'%s' decoded", bad[i]);
	}
	/* Output limits are honoured. */
	n = 2;
	assert_int_equal(policy_punycode_decode("mnchen-3ya", 10, cp, &n), -1);
	len = sizeof(text);
	assert_int_equal(policy_punycode_encode(big, 3, text, &len), -1);
}

/* Our encoder and decoder against Python's codec, on random strings. */
static void
test_punycode_matches_python(void **state)
{
	char *out, *line, *save = NULL;
	int status, checked = 0;

	(void)state;
	if (!fx_have(PY))
		skip();
	out = fx_sh_output(&status,
	    PY " -c 'import random\n"
	       "r = random.Random(3492)\n"
	       "for _ in range(300):\n"
	       "    n = r.randrange(1, 12)\n"
	       "    s = \"\".join(chr(r.choice([r.randrange(0x61, 0x7b), "
	       "r.randrange(0xa0, 0x800), r.randrange(0x800, 0xd800), "
	       "r.randrange(0x10000, 0x20000)])) for _ in range(n))\n"
	       "    print(\" \".join(\"%%x\" %% ord(c) for c in s), "
	       "s.encode(\"punycode\").decode())\n'");
	assert_int_equal(status, 0);
	assert_non_null(out);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		uint32_t cp[16], back[16];
		char text[128], *p = line, *end;
		size_t n = 0, len = sizeof(text), m = 16;
		const char *want;

		/* "61 fc 6e ... <punycode>": code points, then the text. */
		want = strrchr(line, ' ') + 1;
		while (p < want - 1) {
			cp[n++] = (uint32_t)strtoul(p, &end, 16);
			p = end;
		}
		assert_int_equal(policy_punycode_encode(cp, n, text, &len), 0);
		if (len != strlen(want) || memcmp(text, want, len) != 0)
			fail_msg("encode: got %.*s, python %s", (int)len, text,
			    want);
		assert_int_equal(policy_punycode_decode(want, strlen(want),
				     back, &m),
		    0);
		assert_int_equal(m, n);
		assert_memory_equal(back, cp, n * sizeof(cp[0]));
		checked++;
	}
	free(out);
	assert_int_equal(checked, 300);
}

/* ---- IP
 * ------------------------------------------------------------------------------
 */

static void
test_cidr_parse(void **state)
{
	static const struct {
		const char *text;
		int ok;
		const char *expect; /* formatted, or reason */
	} t[] = {
		{ "192.0.2.0/24", 1, "192.0.2.0/24" },
		{ "10.0.0.0/8", 1, "10.0.0.0/8" },
		{ "0.0.0.0/0", 1, "0.0.0.0/0" },
		{ "::/0", 1, "::/0" },
		{ "2001:DB8::/32", 1, "2001:db8::/32" },
		{ "198.51.100.7", 1, "198.51.100.7/32" },
		{ "fe80::1", 1, "fe80::1/128" },
		{ "192.0.2.0/33", 0, "prefix length outside 0..32" },
		{ "2001:db8::/129", 0, "prefix length outside 0..128" },
		{ "10.1.0.0/8", 0, "bits set after the prefix" },
		{ "10.0.0.0/08", 0, "malformed prefix" },
		{ "10.0.0.0/", 0, "malformed prefix" },
		{ "10.0.0/8", 0, "is not an IPv4 or IPv6 network" },
		{ "010.0.0.0/8", 0, "is not an IPv4 or IPv6 network" },
		{ "example.com/8", 0, "is not an IPv4 or IPv6 network" },
		{ "/8", 0, "is not an address" },
	};
	struct signet_cidr net;
	char why[256], text[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = policy_cidr_parse(t[i].text, &net, why, sizeof(why));

		if ((rc == 0) != t[i].ok)
			fail_msg("'%s': rc %d", t[i].text, rc);
		if (rc == 0) {
			policy_cidr_format(&net, text);
			assert_string_equal(text, t[i].expect);
		} else if (strstr(why, t[i].expect) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", t[i].text, why,
			    t[i].expect);
	}
}

static void
test_ip_reserved_and_contains(void **state)
{
	static const struct {
		const char *ip;
		const char *range; /* NULL: public */
	} t[] = {
		{ "10.1.2.3", "private-use" },
		{ "172.31.255.255", "private-use" },
		{ "172.32.0.1", NULL },
		{ "192.168.0.1", "private-use" },
		{ "127.0.0.1", "loopback" },
		{ "169.254.1.1", "link-local" },
		{ "100.64.0.1", "shared address space" },
		{ "192.0.2.5", "documentation" },
		{ "224.0.0.1", "multicast" },
		{ "255.255.255.255", "reserved" },
		{ "0.1.2.3", "this-network" },
		{ "8.8.8.8", NULL },
		{ "93.184.216.34", NULL },
		{ "::1", "loopback" },
		{ "::", "unspecified" },
		{ "::ffff:8.8.8.8", "IPv4-mapped" },
		{ "fe80::1", "link-local" },
		{ "fd00::1", "unique-local" },
		{ "2001:db8::1", "documentation" },
		{ "ff02::1", "multicast" },
		{ "2606:4700::1111", NULL },
	};
	struct signet_cidr net;
	uint8_t ip[16];
	char why[64];
	size_t i, len;
	const char *what;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_not_equal(len = policy_ip_parse(t[i].ip, ip), 0);
		what = policy_ip_reserved(ip, len);
		if (t[i].range == NULL && what != NULL)
			fail_msg("%s: reserved as %s", t[i].ip, what);
		if (t[i].range != NULL &&
		    (what == NULL || strcmp(what, t[i].range) != 0))
			fail_msg("%s: got %s, want %s", t[i].ip,
			    what != NULL ? what : "public", t[i].range);
	}
	/* A network wholly inside a reserved range, or not. */
	assert_int_equal(policy_cidr_parse("10.20.0.0/16", &net, why, 64), 0);
	assert_string_equal(policy_cidr_reserved(&net), "private-use");
	assert_int_equal(policy_cidr_parse("0.0.0.0/0", &net, why, 64), 0);
	assert_null(policy_cidr_reserved(&net));
	assert_int_equal(policy_cidr_parse("8.0.0.0/7", &net, why, 64), 0);
	assert_null(policy_cidr_reserved(&net));
	/* Containment, at and off the prefix boundary. */
	assert_int_equal(policy_cidr_parse("198.51.100.128/25", &net, why, 64),
	    0);
	policy_ip_parse("198.51.100.200", ip);
	assert_true(policy_cidr_contains(&net, ip, 4));
	policy_ip_parse("198.51.100.127", ip);
	assert_false(policy_cidr_contains(&net, ip, 4));
	policy_ip_parse("::ffff:198.51.100.200", ip);
	assert_false(policy_cidr_contains(&net, ip, 16));
	assert_int_equal(policy_cidr_parse("2001:db8:8000::/33", &net, why, 64),
	    0);
	policy_ip_parse("2001:db8:ffff::1", ip);
	assert_true(policy_cidr_contains(&net, ip, 16));
	policy_ip_parse("2001:db8:7fff::1", ip);
	assert_false(policy_cidr_contains(&net, ip, 16));
}

/* ---- Mail
 * ---------------------------------------------------------------------------- */

static void
test_email_normalise(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		int ok;
		const char *expect;
	} t[] = {
		{ "Alice@Example.COM", 0, 1, "Alice@example.com" },
		{ "first.last+tag@mail.example.com", 0, 1,
		    "first.last+tag@mail.example.com" },
		{ "example.com", POLICY_EMAIL_DOMAIN, 1, "example.com" },
		{ ".Example.com", POLICY_EMAIL_DOMAIN, 1, ".example.com" },
		{ "example.com", 0, 0, "is not a mailbox" },
		{ "a@@example.com", 0, 0, "more than one '@'" },
		{ "@example.com", 0, 0, "local part that is empty" },
		{ ".a@example.com", 0, 0, "leading, trailing or doubled '.'" },
		{ "a..b@example.com", 0, 0, "leading, trailing or doubled" },
		{ "\"a b\"@example.com", 0, 0, "quoted local parts" },
		{ "a@exa_mple.com", 0, 0, "has a domain that contains '_'" },
		{ "a@[192.0.2.1]", 0, 0, "has a domain that" },
		{ "a@192.0.2.1", 0, 0, "IP address written as a DNS name" },
		{ "j\xc3\xb6rg@example.com", 0, 0, "non-ASCII" },
		{ "a\r@example.com", 0, 0, "control character 0x0d" },
	};
	char out[POLICY_EMAIL_MAX + 1], why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = policy_email_normalise((const uint8_t *)t[i].in,
		    strlen(t[i].in), t[i].flags, out, why, sizeof(why));

		if ((rc == 0) != t[i].ok)
			fail_msg("'%s': rc %d (%s)", t[i].in, rc, why);
		if (rc == 0)
			assert_string_equal(out, t[i].expect);
		else if (strstr(why, t[i].expect) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", t[i].in, why,
			    t[i].expect);
	}
	assert_true(policy_email_matches("example.com", "a@example.com"));
	assert_false(policy_email_matches("example.com", "a@x.example.com"));
	assert_true(policy_email_matches(".example.com", "a@x.example.com"));
	assert_false(policy_email_matches(".example.com", "a@example.com"));
	assert_true(policy_email_matches("a@example.com", "a@example.com"));
	assert_false(policy_email_matches("a@example.com", "A@example.com"));
}

/* ---- URIs
 * ------------------------------------------------------------------------------
 */

static void
test_uri_normalise(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		int ok;
		const char *expect;
	} t[] = {
		{ "spiffe://example.com/ns/prod/sa/web", 0, 1,
		    "spiffe://example.com/ns/prod/sa/web" },
		{ "SPIFFE://example.com/a", 0, 1, "spiffe://example.com/a" },
		{ "spiffe://example.com", 0, 1, "spiffe://example.com" },
		{ "HTTPS://WWW.Example.com:8443/Path?q=1#Frag", 0, 1,
		    "https://www.example.com:8443/Path?q=1#Frag" },
		{ "https://[2001:DB8::1]/x", 0, 1, "https://[2001:db8::1]/x" },
		{ "https://192.0.2.1/", 0, 1, "https://192.0.2.1/" },
		{ "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", 0, 1,
		    "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6" },
		{ "http://pki.example.com/ca.crl", POLICY_URI_HTTP, 1,
		    "http://pki.example.com/ca.crl" },
		{ "https://pki.example.com/ca.crl", POLICY_URI_HTTP, 0,
		    "not an http:// URL" },
		{ "spiffe://example.com/a", POLICY_URI_HTTP, 0,
		    "not an http:// URL" },
		{ "http:pki.example.com", POLICY_URI_HTTP, 0, "has no //host" },
		{ "spiffe://Example.com/a", 0, 0, "must be lower-case" },
		{ "spiffe://example.com:443/a", 0, 0, "port or userinfo" },
		{ "spiffe://u@example.com/a", 0, 0, "port or userinfo" },
		{ "spiffe://example.com/a?b", 0, 0, "query or fragment" },
		{ "spiffe://example.com/a#b", 0, 0, "query or fragment" },
		{ "spiffe://example.com/", 0, 0, "empty SPIFFE path segment" },
		{ "spiffe://example.com//a", 0, 0,
		    "empty SPIFFE path segment" },
		{ "spiffe://example.com/a/./b", 0, 0, "'.' or '..'" },
		{ "spiffe://example.com/a/..", 0, 0, "'.' or '..'" },
		{ "spiffe://example.com/a%20b", 0, 0,
		    "'%' in its SPIFFE path" },
		{ "spiffe://", 0, 0, "empty SPIFFE trust domain" },
		{ "spiffe:example.com", 0, 0, "without '//'" },
		{ "https://user:pw@example.com/", 0, 0, "userinfo" },
		{ "https:///x", 0, 0, "empty host" },
		{ "https://example.com:0/", 0, 0, "port outside 1..65535" },
		{ "https://example.com:65536/", 0, 0, "port outside" },
		{ "https://example.com:8x/", 0, 0, "malformed port" },
		{ "https://exa_mple.com/", 0, 0,
		    "has a host that contains '_'" },
		{ "https://[::1/", 0, 0, "unterminated [IPv6]" },
		{ "https://[zz::1]/", 0, 0, "malformed [IPv6]" },
		{ "https://example.com/a b", 0, 0, "byte 0x20" },
		{ "https://example.com/\xc3\xa9", 0, 0, "byte 0xc3" },
		{ "https://example.com/%zz", 0, 0, "malformed %-escape" },
		{ "https://example.com/%4", 0, 0, "malformed %-escape" },
		{ "https://example.com/a/../b", 0, 0, "'.' or '..' path" },
		{ "https://example.com/a<b", 0, 0, "contains '<'" },
		{ "https://example.com/#a#b", 0, 0, "more than one '#'" },
		{ "example.com/a", 0, 0, "does not start with a scheme" },
		{ "1http://example.com", 0, 0, "does not start with a scheme" },
		{ "https:", 0, 0, "not an absolute URI" },
		{ "", 0, 0, "is empty" },
	};
	char out[POLICY_URI_MAX + 1], why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = policy_uri_normalise((const uint8_t *)t[i].in,
		    strlen(t[i].in), t[i].flags, out, why, sizeof(why));

		if ((rc == 0) != t[i].ok)
			fail_msg("'%s': rc %d (%s)", t[i].in, rc, why);
		if (rc == 0)
			assert_string_equal(out, t[i].expect);
		else if (strstr(why, t[i].expect) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", t[i].in, why,
			    t[i].expect);
	}
	assert_true(policy_uri_matches("spiffe://example.com/",
	    "spiffe://example.com/ns/a"));
	assert_false(policy_uri_matches("spiffe://example.com/",
	    "spiffe://example.com.evil/ns/a"));
	assert_false(policy_uri_matches("spiffe://example.com",
	    "spiffe://example.com.evil/ns/a"));
	assert_true(
	    policy_uri_matches("spiffe://example.com", "spiffe://example.com"));
	assert_true(policy_uri_matches("spiffe://example.com/ns/",
	    "spiffe://example.com/ns/a"));
	assert_false(policy_uri_matches("spiffe://example.com/ns/",
	    "spiffe://example.com/nsx/a"));
}

/* ---- Text
 * ---------------------------------------------------------------------------------
 */

static void
test_utf8_check(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int ok;
		const char *why;
	} t[] = {
		{ "Example Corp", 0, 1, NULL },
		{ "M\xc3\xbcnchen \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80", 0,
		    1, NULL },
		{ "a\0b", 3, 0, "NUL byte at offset 1" },
		{ "a\nb", 0, 0, "control character U+000A" },
		{ "a\x7f", 0, 0, "control character U+007F" },
		{ "a\xc2\x85", 0, 0, "control character U+0085" },
		{ "a\xe2\x80\xae", 0, 0,
		    "invisible formatting character U+202E" },
		{ "a\xef\xbb\xbf", 0, 0, "U+FEFF" },
		{ "\xc0\xaf", 0, 0, "not valid UTF-8" },
		{ "\xe0\x80\xaf", 0, 0, "not valid UTF-8" },
		{ "\xed\xa0\x80", 0, 0, "not valid UTF-8" },
		{ "\xf4\x90\x80\x80", 0, 0, "not valid UTF-8" },
		{ "\xc3", 0, 0, "not valid UTF-8" },
		{ "\x80", 0, 0, "not valid UTF-8" },
		{ "\xff", 0, 0, "not valid UTF-8" },
	};
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = t[i].len != 0 ? t[i].len : strlen(t[i].s);
		int rc = policy_utf8_check((const uint8_t *)t[i].s, len, why,
		    sizeof(why));

		if ((rc == 0) != t[i].ok)
			fail_msg("case %zu: rc %d", i, rc);
		if (rc != 0 && strstr(why, t[i].why) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, why, t[i].why);
	}
}

static void
test_escape_and_problems(void **state)
{
	struct policy_problems pr;
	char esc[POLICY_ESC_MAX], big[400];
	unsigned i;

	(void)state;
	policy_escape("a\0b'\\\xff", 6, esc);
	assert_string_equal(esc, "a\\x00b\\x27\\x5c\\xff");
	memset(big, 'x', sizeof(big));
	policy_escape(big, sizeof(big), esc);
	assert_true(strlen(esc) < POLICY_ESC_MAX);
	assert_non_null(strstr(esc, "..."));

	memset(&pr, 0, sizeof(pr));
	policy_problem(&pr, "first %d", 1);
	policy_problem(&pr, "second");
	assert_int_equal(policy_problems_raise(&pr), SIGNET_ERR_POLICY);
	assert_string_equal(signet_error_message(), "first 1; second");
	/* Too many to show: the rest are counted. */
	for (i = 0; i < 200; i++)
		policy_problem(&pr, "problem number %u is here", i);
	assert_int_equal(policy_problems_raise(&pr), SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "more)"));
	assert_true(strlen(signet_error_message()) < 2048);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_normalise),
		cmocka_unit_test(test_dns_lengths),
		cmocka_unit_test(test_dns_matching),
		cmocka_unit_test(test_punycode_rfc3492_samples),
		cmocka_unit_test(test_punycode_rejects_malformed),
		cmocka_unit_test(test_punycode_matches_python),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_ip_reserved_and_contains),
		cmocka_unit_test(test_email_normalise),
		cmocka_unit_test(test_uri_normalise),
		cmocka_unit_test(test_utf8_check),
		cmocka_unit_test(test_escape_and_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
