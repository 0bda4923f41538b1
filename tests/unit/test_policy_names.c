/*
 * Tests for the name rules of src/policy: matching names against allow and
 * deny entries, IP networks and reserved ranges, and the problem list.
 * The syntax of names is tested in test_names.c.
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
#include "util/names.h"

#define PY "/usr/bin/python3"

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
	char text[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = policy_cidr_parse(t[i].text, &net);
		const char *why = signet_error_message();

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
	size_t i, len;
	const char *what;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_not_equal(len = names_ip_parse(t[i].ip, ip), 0);
		what = policy_ip_reserved(ip, len);
		if (t[i].range == NULL && what != NULL)
			fail_msg("%s: reserved as %s", t[i].ip, what);
		if (t[i].range != NULL &&
		    (what == NULL || strcmp(what, t[i].range) != 0))
			fail_msg("%s: got %s, want %s", t[i].ip,
			    what != NULL ? what : "public", t[i].range);
	}
	/* A network wholly inside a reserved range, or not. */
	assert_int_equal(policy_cidr_parse("10.20.0.0/16", &net), 0);
	assert_string_equal(policy_cidr_reserved(&net), "private-use");
	assert_int_equal(policy_cidr_parse("0.0.0.0/0", &net), 0);
	assert_null(policy_cidr_reserved(&net));
	assert_int_equal(policy_cidr_parse("8.0.0.0/7", &net), 0);
	assert_null(policy_cidr_reserved(&net));
	/* Containment, at and off the prefix boundary. */
	assert_int_equal(policy_cidr_parse("198.51.100.128/25", &net), 0);
	names_ip_parse("198.51.100.200", ip);
	assert_true(policy_cidr_contains(&net, ip, 4));
	names_ip_parse("198.51.100.127", ip);
	assert_false(policy_cidr_contains(&net, ip, 4));
	names_ip_parse("::ffff:198.51.100.200", ip);
	assert_false(policy_cidr_contains(&net, ip, 16));
	assert_int_equal(policy_cidr_parse("2001:db8:8000::/33", &net), 0);
	names_ip_parse("2001:db8:ffff::1", ip);
	assert_true(policy_cidr_contains(&net, ip, 16));
	names_ip_parse("2001:db8:7fff::1", ip);
	assert_false(policy_cidr_contains(&net, ip, 16));
}

static void
test_email_and_uri_matching(void **state)
{
	(void)state;
	assert_true(policy_email_matches("example.com", "a@example.com"));
	assert_false(policy_email_matches("example.com", "a@x.example.com"));
	assert_true(policy_email_matches(".example.com", "a@x.example.com"));
	assert_false(policy_email_matches(".example.com", "a@example.com"));
	assert_true(policy_email_matches("a@example.com", "a@example.com"));
	/* Allow entries are exact: the local part is case-sensitive. */
	assert_false(policy_email_matches("a@example.com", "A@example.com"));
	/*
	 * Deny entries cover the mailbox in any case and any subaddress
	 * (RFC 5233), since mail to those reaches it.
	 */
	assert_true(
	    policy_email_denied("admin@example.com", "admin@example.com"));
	assert_true(
	    policy_email_denied("admin@example.com", "Admin@example.com"));
	assert_true(
	    policy_email_denied("admin@example.com", "ADMIN+x@example.com"));
	assert_false(
	    policy_email_denied("admin@example.com", "admins@example.com"));
	assert_false(
	    policy_email_denied("admin@example.com", "admin@x.example.com"));
	assert_false(
	    policy_email_denied("admin+x@example.com", "admin@example.com"));
	assert_true(
	    policy_email_denied("admin+x@example.com", "Admin+X@example.com"));
	assert_true(policy_email_denied("example.com", "a@example.com"));
	assert_true(policy_email_denied(".example.com", "a@x.example.com"));
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
	/* Query and fragment aside; deny entries cover ";..." and "/...". */
	{
		static const struct {
			const char *entry, *uri;
			int allowed, denied;
		} t[] = {
			{ "https://h/p", "https://h/p", 1, 1 },
			{ "https://h/p", "https://h/p?x", 1, 1 },
			{ "https://h/p", "https://h/p#x", 1, 1 },
			{ "https://h/p", "https://h/p;x", 0, 1 },
			{ "https://h/p", "https://h/p/", 0, 1 },
			{ "https://h/p", "https://h/p/x?y", 0, 1 },
			{ "https://h/p", "https://h/px", 0, 0 },
			{ "https://h/p", "https://h/p%3Bx", 0, 0 },
			{ "https://h/p", "https://h/?https://h/p", 0, 0 },
			{ "https://h/p/", "https://h/p/x#y", 1, 1 },
			{ "https://h/p/", "https://h/p?x", 0, 0 },
			{ "https://h", "https://h/p", 0, 1 },
			{ "https://h", "https://h.evil/p", 0, 0 },
			{ "https://h", "https://h:8443/p", 0, 1 },
			{ "https://h", "https://h:8443", 0, 1 },
			{ "https://h/p", "https://h:8443/p", 0, 0 },
			{ "spiffe://td/a", "spiffe://td/a/b", 0, 1 },
		};
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			if (policy_uri_matches(t[i].entry, t[i].uri) !=
				t[i].allowed ||
			    policy_uri_denied(t[i].entry, t[i].uri) !=
				t[i].denied)
				fail_msg("%s against %s", t[i].uri, t[i].entry);
		}
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
		cmocka_unit_test(test_dns_matching),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_ip_reserved_and_contains),
		cmocka_unit_test(test_email_and_uri_matching),
		cmocka_unit_test(test_escape_and_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
