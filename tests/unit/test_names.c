/*
 * Tests for util/names.h: DNS names (Punycode and the IDNA2008 table, with
 * Python's punycode codec and python3-idna as judges), mailboxes, URIs and
 * their normal form, SPIFFE IDs, and CN-to-SAN matching.
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
#include "signet/request.h"
#include "util/names.h"

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
	{ "*.example.com", 0, NAMES_DNS_WILDCARD, 1, "*.example.com" },
	{ "*.Example.com", 0, NAMES_DNS_WILDCARD, 1, "*.example.com" },
	{ ".example.com", 0, NAMES_DNS_SUFFIX, 0, ".example.com" },
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
	{ ".*.example.com", 0, NAMES_DNS_SUFFIX | NAMES_DNS_WILDCARD, -1,
	    "wildcard, which is not allowed here" },
	{ "*.com", 0, NAMES_DNS_WILDCARD, -1,
	    "wildcard directly under a top-level label" },
	{ "*", 0, NAMES_DNS_WILDCARD, -1, "bare wildcard" },
	{ "a.*.example.com", 0, NAMES_DNS_WILDCARD, -1,
	    "'*' other than as the whole leftmost label" },
	{ "w*.example.com", 0, NAMES_DNS_WILDCARD, -1,
	    "'*' other than as the whole leftmost label" },
	{ "**.example.com", 0, NAMES_DNS_WILDCARD, -1,
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
	char out[NAMES_DNS_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dns_cases) / sizeof(dns_cases[0]); i++) {
		const struct dns_case *c = &dns_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->in);
		int rc;

		signet_error_clear();
		rc = names_dns_normalise((const uint8_t *)c->in, len, c->flags,
		    out);
		if (rc != (c->rc < 0 ? SIGNET_ERR_USAGE : c->rc))
			fail_msg("'%s': rc %d, want %d (%s)", c->in, rc, c->rc,
			    signet_error_message());
		if (rc >= 0)
			assert_string_equal(out, c->expect);
		else if (strstr(signet_error_message(), c->expect) == NULL)
			fail_msg("'%s': reason '%s' lacks '%s'", c->in,
			    signet_error_message(), c->expect);
	}
}

static void
test_dns_lengths(void **state)
{
	char name[300], out[NAMES_DNS_MAX + 1];
	size_t i;

	(void)state;
	/* A 63-character label is fine; 64 is not. */
	memset(name, 'a', 63);
	strcpy(name + 63, ".example.com");
	assert_int_equal(names_dns_normalise((uint8_t *)name, strlen(name), 0,
			     out),
	    0);
	memset(name, 'a', 64);
	strcpy(name + 64, ".example.com");
	assert_int_equal(names_dns_normalise((uint8_t *)name, strlen(name), 0,
			     out),
	    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "longer than 63"));
	/* 253 characters in all is the most; 254 is one too many. */
	for (i = 0; i < 253; i++)
		name[i] = i % 2 == 0 ? 'a' : '.';
	name[252] = 'z';
	name[253] = '\0';
	assert_int_equal(names_dns_normalise((uint8_t *)name, 253, 0, out), 0);
	name[253] = 'z';
	name[254] = '\0';
	assert_int_equal(names_dns_normalise((uint8_t *)name, 254, 0, out),
	    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "longer than 253"));
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
		assert_int_equal(names_punycode_encode(puny_samples[i].cp,
				     puny_samples[i].n, text, &len),
		    0);
		assert_int_equal(len, strlen(puny_samples[i].puny));
		assert_memory_equal(text, puny_samples[i].puny, len);
		n = 64;
		assert_int_equal(names_punycode_decode(puny_samples[i].puny,
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
		if (names_punycode_decode(bad[i], strlen(bad[i]), cp, &n) == 0)
			fail_msg("'%s' decoded", bad[i]);
	}
	/* Output limits are honoured. */
	n = 2;
	assert_int_equal(names_punycode_decode("mnchen-3ya", 10, cp, &n),
	    SIGNET_ERR_USAGE);
	len = sizeof(text);
	assert_int_equal(names_punycode_encode(big, 3, text, &len),
	    SIGNET_ERR_USAGE);
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
		assert_int_equal(names_punycode_encode(cp, n, text, &len), 0);
		if (len != strlen(want) || memcmp(text, want, len) != 0)
			fail_msg("encode: got %.*s, python %s", (int)len, text,
			    want);
		assert_int_equal(names_punycode_decode(want, strlen(want), back,
				     &m),
		    0);
		assert_int_equal(m, n);
		assert_memory_equal(back, cp, n * sizeof(cp[0]));
		checked++;
	}
	free(out);
	assert_int_equal(checked, 300);
}

/* A name in, its normal form or a part of the reason it is refused. */
struct norm_case {
	const char *in;
	unsigned flags;
	int ok;
	const char *expect;
};

static void
run_norm_cases(int (*normalise)(const uint8_t *, size_t, unsigned, char *),
    const struct norm_case *t, size_t n)
{
	char out[NAMES_URI_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = normalise((const uint8_t *)t[i].in, strlen(t[i].in),
		    t[i].flags, out);
		const char *why = signet_error_message();

		if ((rc == 0) != t[i].ok)
			fail_msg("'%s': rc %d (%s)", t[i].in, rc, why);
		if (rc == 0)
			assert_string_equal(out, t[i].expect);
		else if (strstr(why, t[i].expect) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", t[i].in, why,
			    t[i].expect);
	}
}

/* ---- Mail
 * ---------------------------------------------------------------------------- */

static void
test_email_normalise(void **state)
{
	static const struct norm_case t[] = {
		{ "Alice@Example.COM", 0, 1, "Alice@example.com" },
		{ "first.last+tag@mail.example.com", 0, 1,
		    "first.last+tag@mail.example.com" },
		{ "example.com", NAMES_EMAIL_DOMAIN, 1, "example.com" },
		{ ".Example.com", NAMES_EMAIL_DOMAIN, 1, ".example.com" },
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
	(void)state;
	run_norm_cases(names_email_normalise, t, sizeof(t) / sizeof(t[0]));
}

/* ---- URIs
 * ------------------------------------------------------------------------------
 */

static void
test_uri_normalise(void **state)
{
	static const struct norm_case t[] = {
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
		{ "http://pki.example.com/ca.crl", NAMES_URI_HTTP, 1,
		    "http://pki.example.com/ca.crl" },
		{ "https://pki.example.com/ca.crl", NAMES_URI_HTTP, 0,
		    "not an http:// URL" },
		{ "spiffe://example.com/a", NAMES_URI_HTTP, 0,
		    "not an http:// URL" },
		{ "http:pki.example.com", NAMES_URI_HTTP, 0, "has no //host" },
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
	(void)state;
	run_norm_cases(names_uri_normalise, t, sizeof(t) / sizeof(t[0]));
}

/* ---- URI normal form (RFC 3986 6.2.2, 6.2.3) ------------------------------ */

static void
test_uri_normal_form(void **state)
{
	static const struct {
		const char *in;
		const char *expect; /* normal form, or a part of the reason */
		int ok;
	} t[] = {
		{ "https://example.com/%61dmin", "https://example.com/admin",
		    1 },
		{ "HTTPS://EXAMPLE.COM/A%7e", "https://example.com/A~", 1 },
		{ "https://example.com/a%c3%a9", "https://example.com/a%C3%A9",
		    1 },
		{ "https://example.com/a%3f?b=%3d",
		    "https://example.com/a%3F?b=%3D", 1 },
		{ "https://example.com:443/x", "https://example.com/x", 1 },
		{ "http://example.com:80/x", "http://example.com/x", 1 },
		{ "http://example.com:0080/x", "http://example.com/x", 1 },
		{ "https://example.com:80/x", "https://example.com:80/x", 1 },
		{ "https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x", 1 },
		{ "https://example.com", "https://example.com", 1 },
		{ "https://example.com/a/", "https://example.com/a/", 1 },
		{ "https://example.com/a;b/c", "https://example.com/a;b/c", 1 },
		{ "https://example.com/a#%2e%2e", "https://example.com/a#..",
		    1 },
		{ "urn:example:%41%2f", "urn:example:A%2F", 1 },
		{ "https://example.com/tenant-a/%2e%2e/tenant-b/x",
		    "'.' or '..' path segment", 0 },
		{ "https://example.com/tenant-a/%2E/x", "'.' or '..' path", 0 },
		{ "https://example.com/a/.%2e/b", "'.' or '..' path", 0 },
		{ "https://example.com/a/..;x/b", "'.' or '..' path", 0 },
		{ "https://example.com/a/..", "'.' or '..' path", 0 },
		{ "https://example.com//admin", "empty path segment", 0 },
		{ "https://example.com/a//b", "empty path segment", 0 },
		{ "https://example.com/a%2fb", "escaped '/' (%2f)", 0 },
		{ "https://example.com/a%5Cb", "escaped '\\' (%5C)", 0 },
		{ "https://example.com/a%00b", "control character", 0 },
		{ "https://example.com/a?x=%0a", "control character", 0 },
		{ "https://example.com/a#%7F", "control character", 0 },
		{ "https://user@example.com/", "userinfo", 0 },
		{ "https://ex%61mple.com/", "has a host that contains '%'", 0 },
	};
	char out[NAMES_URI_MAX + 1], again[NAMES_URI_MAX + 1];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = names_uri_normalise((const uint8_t *)t[i].in,
		    strlen(t[i].in), 0, out);
		if ((rc == 0) != t[i].ok)
			fail_msg("'%s': rc %d (%s)", t[i].in, rc,
			    signet_error_message());
		if (rc != 0) {
			assert_int_equal(rc, SIGNET_ERR_USAGE);
			if (strstr(signet_error_message(), t[i].expect) == NULL)
				fail_msg("'%s': '%s' lacks '%s'", t[i].in,
				    signet_error_message(), t[i].expect);
			continue;
		}
		assert_string_equal(out, t[i].expect);
		/* The normal form is its own normal form. */
		assert_int_equal(names_uri_normalise((const uint8_t *)out,
				     strlen(out), 0, again),
		    0);
		assert_string_equal(again, out);
	}
}

static void
test_uri_parse_and_host(void **state)
{
	struct names_uri u;
	char host[64];
	int is_ip;
	const char *s = "https://user:pw@Example.COM:8443/p/q?x=1#f";

	(void)state;
	assert_int_equal(names_uri_parse(s, strlen(s), &u), 0);
	assert_int_equal(u.scheme.len, 5);
	assert_true(u.has_authority && u.has_userinfo && u.has_port);
	assert_memory_equal(s + u.userinfo.off, "user:pw", u.userinfo.len);
	assert_memory_equal(s + u.host.off, "Example.COM", u.host.len);
	assert_memory_equal(s + u.port.off, "8443", u.port.len);
	assert_memory_equal(s + u.path.off, "/p/q", u.path.len);
	assert_memory_equal(s + u.query.off, "x=1", u.query.len);
	assert_memory_equal(s + u.fragment.off, "f", u.fragment.len);
	/* Constraints see the host after any userinfo (RFC 3986 3.2). */
	assert_int_equal(names_uri_host(s, strlen(s), host, sizeof(host),
			     &is_ip),
	    0);
	assert_string_equal(host, "example.com");
	assert_false(is_ip);
	s = "https://good.example@evil.example/";
	assert_int_equal(names_uri_host(s, strlen(s), host, sizeof(host),
			     &is_ip),
	    0);
	assert_string_equal(host, "evil.example");
	s = "https://[2001:db8::1]/";
	assert_int_equal(names_uri_host(s, strlen(s), host, sizeof(host),
			     &is_ip),
	    0);
	assert_string_equal(host, "2001:db8::1");
	assert_true(is_ip);
	s = "urn:example:a";
	assert_int_equal(names_uri_host(s, strlen(s), host, sizeof(host),
			     &is_ip),
	    SIGNET_ERR_USAGE);
	s = "no scheme";
	assert_int_equal(names_uri_parse(s, strlen(s), &u), SIGNET_ERR_USAGE);
}

/* ---- IDNA2008 (RFC 5891, RFC 5892) --------------------------------------- */

static void
test_idna_labels(void **state)
{
	static const struct {
		const char *label; /* an A-label, under .example.com */
		const char *what;
		const char *why; /* NULL: accepted */
	} t[] = {
		{ "xn--mnchen-3ya", "münchen", NULL },
		{ "xn--bc-cla", "ābc", NULL },
		{ "xn--y9ac", "Armenian lower case", NULL },
		{ "xn--lod", "Georgian Mkhedruli", NULL },
		{ "xn--rkj", "Georgian Nuskhuri", NULL },
		{ "xn--strae-oqa", "straße (exception PVALID)", NULL },
		{ "xn--hxargifdar2c", "Greek with final sigma", NULL },
		{ "xn--11b2e", "Devanagari", NULL },
		{ "xn--11b2ezcw70k", "ZWJ after a virama (A.2)", NULL },
		{ "xn--11b2ezcs70k", "ZWNJ after a virama (A.1)", NULL },
		{ "xn--collega-xma", "col·lega (A.3)", NULL },
		{ "xn--8hbc", "Arabic-Indic digits (A.8)", NULL },
		{ "xn--bc-8ka", "U+0100, upper case Latin Extended-A",
		    "decodes to U+0100, not allowed" },
		{ "xn--l8a2h", "Armenian capitals",
		    "decodes to U+0531, not allowed" },
		{ "xn--j4f", "Georgian Mtavruli capital",
		    "decodes to U+1C90, not allowed" },
		{ "xn--7md", "Georgian Asomtavruli capital",
		    "decodes to U+10A0, not allowed" },
		{ "xn--pwac", "Greek capitals", "decodes to U+0391" },
		{ "xn--wca", "Ü", "decodes to U+00DC" },
		{ "xn--a-iv3s", "emoji", "decodes to U+1F600" },
		{ "xn--a-pib", "unassigned U+0378",
		    "unassigned in Unicode 14.0.0" },
		{ "xn--a-wbb", "a leading combining mark",
		    "starts with combining mark U+0301" },
		{ "xn--11b2er09f", "ZWJ without a virama",
		    "U+200D, allowed only" },
		{ "xn--abc-bn0a", "ZWNJ between Latin letters",
		    "U+200C, allowed only" },
		{ "xn--ab-0ea", "a middle dot not between two l",
		    "U+00B7, allowed only" },
		{ "xn--8hb20a", "mixed Arabic-Indic digits (A.8, A.9)",
		    "U+0660, allowed only" },
		{ "xn--ccke4x", "KATAKANA MIDDLE DOT (A.7, not implemented)",
		    "U+30FB, allowed only" },
		{ "xn--wva4j", "GREEK KERAIA (A.4, not implemented)",
		    "U+0375, allowed only" },
	};
	char name[128], out[NAMES_DNS_MAX + 1];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "%s.example.com", t[i].label);
		rc = names_dns_normalise((const uint8_t *)name, strlen(name), 0,
		    out);
		if ((rc == 0) != (t[i].why == NULL))
			fail_msg("%s (%s): rc %d (%s)", t[i].label, t[i].what,
			    rc, signet_error_message());
		if (rc != 0 && strstr(signet_error_message(), t[i].why) == NULL)
			fail_msg("%s (%s): '%s' lacks '%s'", t[i].label,
			    t[i].what, signet_error_message(), t[i].why);
	}
}

/*
 * The generated table against python3-idna's (the IANA-style tables of
 * the same Unicode version): for 3000 code points, "x" followed by the
 * code point is accepted exactly when python3-idna calls it PVALID, or
 * it is an Arabic-Indic digit whose context rule holds.
 */
static void
test_idna_table_matches_python(void **state)
{
	char *out, *line, *save = NULL, name[128], norm[NAMES_DNS_MAX + 1];
	int status, checked = 0, pvalid = 0, rc;

	(void)state;
	if (!fx_have(PY))
		skip();
	out = fx_sh_output(&status,
	    PY " -c 'import random, unicodedata\n"
	       "import idna.idnadata as d\n"
	       "from idna.intranges import intranges_contain as has\n"
	       "assert d.__version__ == unicodedata.unidata_version, "
	       "d.__version__\n"
	       "r = random.Random(5892)\n"
	       "cps = [r.randrange(0x80, 0x30000) for _ in range(2500)]\n"
	       "cps += [r.randrange(0x80, 0x3000) for _ in range(500)]\n"
	       "for cp in cps:\n"
	       "    if 0xd800 <= cp <= 0xdfff: cp = 0xe9\n"
	       "    ok = has(cp, d.codepoint_classes[\"PVALID\"]) or "
	       "0x660 <= cp <= 0x669 or 0x6f0 <= cp <= 0x6f9\n"
	       "    s = (\"x\" + chr(cp)).encode(\"punycode\").decode()\n"
	       "    print(\"%%x xn--%%s %%d\" %% (cp, s, ok))\n' 2>&1");
	assert_non_null(out);
	if (status != 0 && strstr(out, "No module named 'idna'") != NULL) {
		free(out);
		skip(); /* .ci/install-deps.sh installs python3-idna */
	}
	assert_int_equal(status, 0);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char label[96];
		unsigned cp;
		int want;

		if (sscanf(line, "%x %95s %d", &cp, label, &want) != 3)
			fail_msg("python3: %s", line);
		snprintf(name, sizeof(name), "%s.example.com", label);
		rc = names_dns_normalise((const uint8_t *)name, strlen(name), 0,
		    norm);
		if ((rc == 0) != want)
			fail_msg("U+%04X (%s): python3-idna says %s, signet "
				 "says %s",
			    cp, label, want ? "valid" : "invalid",
			    rc == 0 ? "valid" : signet_error_message());
		pvalid += want;
		checked++;
	}
	free(out);
	assert_int_equal(checked, 3000);
	/* Both kinds were drawn. */
	assert_true(pvalid > 300 && pvalid < 2700);
}

/* ---- CN against SANs (BR 7.1.4.3) ------------------------------------------ */

static void
test_cn_matches(void **state)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 1 };
	static const struct {
		const char *cn;
		int type;
		const char *san; /* NULL: the IP above of the type's length */
		int match;
	} t[] = {
		{ "www.example.com", NAMES_DNS, "www.example.com", 1 },
		{ "WWW.Example.COM", NAMES_DNS, "www.example.com", 1 },
		{ "www.example.com", NAMES_DNS, "www.example.co", 0 },
		{ "*.example.com", NAMES_DNS, "*.example.com", 1 },
		{ "192.0.2.1", NAMES_IP, NULL, 1 },
		{ "192.0.2.2", NAMES_IP, NULL, 0 },
		{ "2001:DB8::1", NAMES_IP, NULL, 1 },
		{ "192.0.2.1", NAMES_DNS, "192.0.2.1", 1 },
		{ "a@Example.com", NAMES_EMAIL, "a@example.com", 1 },
		{ "A@example.com", NAMES_EMAIL, "a@example.com", 0 },
		{ "HTTPS://Example.com:443/%7e", NAMES_URI,
		    "https://example.com/~", 1 },
		{ "https://example.com/a", NAMES_URI, "https://example.com/b",
		    0 },
		{ "www.example.com", NAMES_URI, "www.example.com", 0 },
	};
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].san == NULL)
			got = names_cn_matches(t[i].cn, strlen(t[i].cn),
			    t[i].type, strchr(t[i].cn, ':') ? v6 : v4,
			    strchr(t[i].cn, ':') ? 16 : 4);
		else
			got = names_cn_matches(t[i].cn, strlen(t[i].cn),
			    t[i].type, (const uint8_t *)t[i].san,
			    strlen(t[i].san));
		if (got != t[i].match)
			fail_msg("CN '%s' vs '%s': %d", t[i].cn,
			    t[i].san != NULL ? t[i].san : "(IP)", got);
	}
	/* A NUL in the CN never matches. */
	assert_false(
	    names_cn_matches("a\0b", 3, NAMES_DNS, (const uint8_t *)"a", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_normalise),
		cmocka_unit_test(test_dns_lengths),
		cmocka_unit_test(test_punycode_rfc3492_samples),
		cmocka_unit_test(test_punycode_rejects_malformed),
		cmocka_unit_test(test_punycode_matches_python),
		cmocka_unit_test(test_email_normalise),
		cmocka_unit_test(test_uri_normalise),
		cmocka_unit_test(test_uri_normal_form),
		cmocka_unit_test(test_uri_parse_and_host),
		cmocka_unit_test(test_idna_labels),
		cmocka_unit_test(test_idna_table_matches_python),
		cmocka_unit_test(test_cn_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
