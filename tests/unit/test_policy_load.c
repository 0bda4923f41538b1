/*
 * Tests for policy files: the shipped policies/default.yaml compiles into
 * the profiles it documents; every malformed or contradictory policy in
 * tests/data/policy/bad-*.yaml fails with file:line and its reason; each
 * rule also has a policy that passes it. And the blocklist file.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/objects.h>

#include "fixture.h"
#include "policy/policy_int.h"
#include "signet/policy.h"
#include "util/codec.h"

static const char *
source_path(const char *rel)
{
	static char bufs[4][4096];
	static unsigned next;
	char *b = bufs[next++ % 4];

	snprintf(b, 4096, "%s/%s", fx_source_dir(), rel);
	return b;
}

static int
strlist_has(const struct signet_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* ---- The shipped policy
 * ----------------------------------------------------------- */

static void
test_default_policy_profiles(void **state)
{
	struct signet_policy *policy = NULL;
	const struct signet_profile *p;
	char cidr[64];

	(void)state;
	if (signet_policy_load(source_path("policies/default.yaml"), &policy) !=
	    0)
		fail_msg("%s", signet_error_message());
	assert_int_equal(signet_policy_profile_count(policy), 6);
	assert_string_equal(signet_policy_get0_profile(policy, 0)->name,
	    "root-ca");
	assert_null(signet_policy_get0_profile(policy, 6));

	/* The delegated OCSP responder (RFC 6960 4.2.2.2). */
	assert_int_equal(signet_policy_find(policy, "ocsp-responder", &p), 0);
	assert_int_equal(p->ext_key_usage, SIGNET_EKU_OCSP_SIGNING);
	assert_int_equal(p->key_usage, SIGNET_KU_DIGITAL_SIGNATURE);
	assert_false(p->is_ca);
	assert_false(p->require_san);
	assert_true(p->validity_max + p->backdate <= 90 * 86400);
	assert_int_equal(p->n_subject_fixed, 2);

	assert_int_equal(signet_policy_find(policy, "tls-server", &p), 0);
	assert_int_equal(p->curves, SIGNET_CURVE_P256 | SIGNET_CURVE_P384);
	assert_int_equal(p->rsa_min_bits, 2048);
	assert_int_equal(p->rsa_max_bits, 4096);
	assert_int_equal(p->validity_default, 90 * 86400);
	assert_int_equal(p->validity_max, 199 * 86400);
	assert_int_equal(p->backdate, 5 * 60);
	assert_true(p->validity_max + p->backdate < 200 * 86400);
	assert_int_equal(p->key_usage,
	    SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_KEY_ENCIPHERMENT);
	assert_int_equal(p->ext_key_usage, SIGNET_EKU_SERVER_AUTH);
	assert_false(p->is_ca);
	assert_int_equal(p->path_len, -1);
	assert_true(p->require_san);
	assert_true(p->dns_wildcards);
	assert_int_equal(p->max_sans, 100);
	assert_true(strlist_has(&p->dns.allow, ".example.com"));
	assert_true(strlist_has(&p->dns.allow, "example.com"));
	assert_int_equal(p->ip.allow.n, 0);
	assert_int_equal(p->cn, SIGNET_CN_OPTIONAL);
	assert_int_equal(p->n_subject_from_csr, 1);
	assert_int_equal(p->subject_from_csr[0], NID_commonName);
	assert_false(p->name_constraints.present);
	assert_true(strlist_has(&p->crl_urls,
	    "http://pki.example.com/intermediate.crl"));

	assert_int_equal(signet_policy_find(policy, "mtls", &p), 0);
	assert_int_equal(p->ext_key_usage,
	    SIGNET_EKU_SERVER_AUTH | SIGNET_EKU_CLIENT_AUTH);
	assert_true(strlist_has(&p->uri.allow, "spiffe://example.com/"));
	assert_true(p->validity_max + p->backdate < 200 * 86400);

	assert_int_equal(signet_policy_find(policy, "tls-client", &p), 0);
	assert_int_equal(p->ext_key_usage, SIGNET_EKU_CLIENT_AUTH);
	assert_true(strlist_has(&p->email.allow, "example.com"));

	assert_int_equal(signet_policy_find(policy, "intermediate-ca", &p), 0);
	assert_true(p->is_ca);
	assert_int_equal(p->path_len, 0);
	assert_int_equal(p->ext_key_usage, 0);
	assert_true(p->key_usage & SIGNET_KU_KEY_CERT_SIGN);
	assert_true(p->name_constraints.present);
	assert_true(p->name_constraints.critical);
	assert_true(
	    strlist_has(&p->name_constraints.permitted_dns, "example.com"));
	assert_true(
	    strlist_has(&p->name_constraints.permitted_uri, "example.com"));
	assert_int_equal(p->name_constraints.excluded_ip.n, 2);
	policy_cidr_format(&p->name_constraints.excluded_ip.v[0], cidr);
	assert_string_equal(cidr, "0.0.0.0/0");
	policy_cidr_format(&p->name_constraints.excluded_ip.v[1], cidr);
	assert_string_equal(cidr, "::/0");
	assert_int_equal(p->cn, SIGNET_CN_REQUIRED);
	assert_int_equal(p->n_subject_fixed, 1);
	assert_int_equal(p->subject_fixed[0].nid, NID_organizationName);
	assert_string_equal(p->subject_fixed[0].value, "Example Corp");

	assert_int_equal(signet_policy_find(policy, "root-ca", &p), 0);
	assert_true(p->is_ca);
	assert_int_equal(p->path_len, -1);
	assert_false(p->require_san);
	assert_false(p->name_constraints.present);
	signet_policy_free(policy);
}

/* The recorded hash is the file's, as sha256sum sees it. */
static void
test_policy_sha256_matches_sha256sum(void **state)
{
	struct signet_policy *policy = NULL;
	char hex[65], *out;
	int status;

	(void)state;
	assert_int_equal(signet_policy_load(source_path(
						"policies/default.yaml"),
			     &policy),
	    0);
	hex_encode(signet_policy_sha256(policy), 32, hex);
	out = fx_sh_output(&status, "sha256sum '%s'",
	    source_path("policies/default.yaml"));
	assert_int_equal(status, 0);
	assert_non_null(out);
	assert_memory_equal(out, hex, 64);
	assert_string_equal(signet_policy_source(policy),
	    source_path("policies/default.yaml"));
	free(out);
	signet_policy_free(policy);
}

static void
test_policy_find_names_choices(void **state)
{
	struct signet_policy *policy = NULL;
	const struct signet_profile *p = (void *)1;

	(void)state;
	assert_int_equal(signet_policy_load(source_path(
						"policies/default.yaml"),
			     &policy),
	    0);
	assert_int_equal(signet_policy_find(policy, "tls-sever", &p),
	    SIGNET_ERR_NOT_FOUND);
	assert_null(p);
	assert_non_null(
	    strstr(signet_error_message(), "no profile 'tls-sever'"));
	assert_non_null(
	    strstr(signet_error_message(), "tls-server, tls-client"));
	signet_policy_free(policy);
}

static void
test_policy_file_errors(void **state)
{
	struct signet_policy *policy = (void *)1;
	char *big;

	(void)state;
	assert_int_equal(signet_policy_load(fx_path("missing.yaml"), &policy),
	    SIGNET_ERR_IO);
	assert_null(policy);
	assert_non_null(strstr(signet_error_message(), "missing.yaml"));
	assert_non_null(big = calloc(1, SIGNET_POLICY_MAX_SIZE + 2));
	memset(big, '#', SIGNET_POLICY_MAX_SIZE + 1);
	assert_int_equal(signet_policy_load_mem("big.yaml", big,
			     SIGNET_POLICY_MAX_SIZE + 1, &policy),
	    SIGNET_ERR_CONFIG);
	assert_non_null(strstr(signet_error_message(), "big.yaml: larger"));
	free(big);
}

/* ---- Malformed and contradictory policies
 * ------------------------------------------- */

static const struct {
	const char *file;
	unsigned line;
	const char *reason;
} bad_policies[] = {
	{ "bad-alias.yaml", 8, "YAML aliases are not supported" },
	{ "bad-anypolicy-ee.yaml", 12,
	    "anyPolicy is for CA certificates only" },
	{ "bad-backdate.yaml", 10, "backdate 3d is more than 48 hours" },
	{ "bad-bool.yaml", 10, "'maybe' is neither true nor false" },
	{ "bad-ca-eku.yaml", 9,
	    "signet issues CA certificates without extended-key-usage" },
	{ "bad-ca-no-keycertsign.yaml", 8, "a CA profile needs keyCertSign" },
	{ "bad-cidr-host-bits.yaml", 9, "bits set after the prefix" },
	{ "bad-cidr-private.yaml", 9,
	    "lies in the private-use range, which private: false refuses" },
	{ "bad-cidr.yaml", 9, "prefix length outside 0..32" },
	{ "bad-cn-forbidden-from-csr.yaml", 10,
	    "CN is taken from the CSR, but common-name is forbidden" },
	{ "bad-cn-no-san.yaml", 7,
	    "common-name is required but no SAN type is allowed" },
	{ "bad-common-name-value.yaml", 8, "common-name is 'sometimes'" },
	{ "bad-dns-entry.yaml", 7, "DNS entry 'exa_mple.com' contains '_'" },
	{ "bad-duplicate-key.yaml", 8, "duplicate key 'keys'" },
	{ "bad-duplicate-profile.yaml", 12, "profile name 'p' is used twice" },
	{ "bad-duration.yaml", 9, "'90days' is not a duration" },
	{ "bad-ee-keycertsign.yaml", 10, "keyCertSign is for CA certificates" },
	{ "bad-eku-name.yaml", 11, "unknown extended key usage 'anyThing'" },
	{ "bad-email-entry.yaml", 9, "email entry '@example.com'" },
	{ "bad-empty.yaml", 1, "the file is empty" },
	{ "bad-fixed-both.yaml", 15, "O is both fixed and taken from the CSR" },
	{ "bad-fixed-cn.yaml", 14, "CN cannot be fixed" },
	{ "bad-fixed-country.yaml", 14, "C must be a two-letter upper-case" },
	{ "bad-from-csr-unknown.yaml", 10,
	    "unknown subject attribute 'emailAddress'" },
	{ "bad-key-type.yaml", 6, "unknown key type 'ed25519'" },
	{ "bad-keyagreement-rsa.yaml", 10, "keyAgreement needs EC keys" },
	{ "bad-keyencipherment-ec.yaml", 10,
	    "keyEncipherment and dataEncipherment need RSA keys" },
	{ "bad-ku-empty.yaml", 10, "key-usage must list at least one usage" },
	{ "bad-ku-name.yaml", 12, "unknown key usage 'signEverything'" },
	{ "bad-max-sans.yaml", 6, "max must be between 1 and 1000" },
	{ "bad-nc-ee.yaml", 12, "name-constraints belong in CA certificates" },
	{ "bad-nc-empty.yaml", 11, "name-constraints is empty" },
	/* RFC 5280 gives ".x" no meaning for dNSName: write "x". */
	{ "bad-nc-dns-leading-dot.yaml", 15,
	    "DNS name constraint '.corp.example.com' starts with a dot" },
	/* signet writes no directoryName constraints (and lints those of
	 * other issuers). */
	{ "bad-nc-directory-name.yaml", 14, "unknown key 'directory-name'" },
	{ "bad-deny-wildcard.yaml", 9,
	    "write '.internal.example.com' to deny every name below" },
	{ "bad-nc-uri.yaml", 13,
	    "URI constraint 'spiffe://example.com' must name a host" },
	/* libcyaml alone reads these as 8 and 1. */
	{ "bad-number-exponent.yaml", 6,
	    "profiles[0].names.max: '1e3' is not a whole number" },
	{ "bad-number-octal.yaml", 6,
	    "profiles[0].names.max: '010' is not a whole number" },
	{ "bad-no-eku-ee.yaml", 3, "needs extended-key-usage" },
	{ "bad-no-keys.yaml", 3, "keys must list the key types" },
	{ "bad-no-profiles.yaml", 2, "the policy has no profiles" },
	{ "bad-no-validity.yaml", 3, "validity.max is required" },
	{ "bad-ocsp-signing-long.yaml", 8,
	    "validity.max + backdate at most 90d" },
	{ "bad-ocsp-signing-mixed.yaml", 10,
	    "an OCSPSigning profile has no other extended key usage" },
	{ "bad-oid.yaml", 14, "'1.2.x' is not a dotted-decimal OID" },
	{ "bad-pathlen-ee.yaml", 14,
	    "path-len is only meaningful with ca: true" },
	{ "bad-pathlen-negative.yaml", 11,
	    "path-len must be between 0 and 16" },
	{ "bad-profile-name.yaml", 3,
	    "profile name 'TLS Server' may only use" },
	{ "bad-rsa-range.yaml", 4, "RSA range 'rsa-4096..2048' ends below" },
	{ "bad-rsa-size.yaml", 4, "unknown key type 'rsa-1024'" },
	{ "bad-san-required-none.yaml", 3,
	    "a SAN is required but names allows none" },
	{ "bad-serverauth-no-san.yaml", 6,
	    "TLS server certificates must carry a SAN" },
	{ "bad-syntax.yaml", 5, "did not find expected ',' or ']'" },
	{ "bad-tls-no-digitalsignature.yaml", 10,
	    "TLS certificates need digitalSignature" },
	{ "bad-two-docs.yaml", 12, "only one YAML document is allowed" },
	{ "bad-two-rsa.yaml", 6, "only one rsa entry is allowed" },
	{ "bad-type.yaml", 4, "expected a list here" },
	{ "bad-unknown-key.yaml", 8, "unknown key 'colour'" },
	{ "bad-unknown-top-key.yaml", 2, "unknown key 'profile'" },
	{ "bad-uri-allow.yaml", 9, "trust domain with upper-case letters" },
	{ "bad-uri-deny-fragment.yaml", 10,
	    "has a query or fragment; entries match URIs without them" },
	{ "bad-url-malformed.yaml", 13, "contains byte 0x20" },
	{ "bad-url.yaml", 12, "is not an http:// URL" },
	{ "bad-validity-default.yaml", 9,
	    "default validity 300d is longer than the max 199d" },
	{ "bad-validity-tls-backdate.yaml", 9,
	    "max 200d plus backdate 5m is too long" },
	{ "bad-validity-tls.yaml", 9, "less than 200 days (BR 6.3.2)" },
	{ "bad-version.yaml", 1, "version: 1 is required" },
	{ "bad-wildcard-entry.yaml", 7, "set wildcards: true" },
	{ "bad-wildcards-no-allow.yaml", 8,
	    "wildcards: true, but names.dns.allow is empty" },
};

#define N_BAD (sizeof(bad_policies) / sizeof(bad_policies[0]))

static void
test_bad_policies_fail_with_line_and_reason(void **state)
{
	char path[4096], want[4200];
	size_t i;

	(void)state;
	for (i = 0; i < N_BAD; i++) {
		struct signet_policy *policy = (void *)1;
		const char *msg;
		int r;

		snprintf(path, sizeof(path), "%s/tests/data/policy/%s",
		    fx_source_dir(), bad_policies[i].file);
		r = signet_policy_load(path, &policy);
		msg = signet_error_message();
		if (r != SIGNET_ERR_CONFIG || policy != NULL)
			fail_msg("%s: loaded (r=%d)", bad_policies[i].file, r);
		snprintf(want, sizeof(want), "%s:%u: ", path,
		    bad_policies[i].line);
		if (strncmp(msg, want, strlen(want)) != 0 ||
		    strstr(msg, bad_policies[i].reason) == NULL)
			fail_msg("%s: got \"%s\", want line %u and \"%s\"",
			    bad_policies[i].file, msg, bad_policies[i].line,
			    bad_policies[i].reason);
	}
}

/* No bad policy file goes untested. */
static void
test_bad_policies_all_listed(void **state)
{
	struct dirent *de;
	size_t i, files = 0;
	DIR *d;

	(void)state;
	assert_non_null(d = opendir(source_path("tests/data/policy")));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "bad-", 4) != 0)
			continue;
		for (i = 0; i < N_BAD; i++)
			if (strcmp(bad_policies[i].file, de->d_name) == 0)
				break;
		if (i == N_BAD)
			fail_msg("%s is not in the test table", de->d_name);
		files++;
	}
	closedir(d);
	assert_int_equal(files, N_BAD);
}

/* ---- The passing side of each rule
 * ------------------------------------------------------ */

#define EE_HEAD        \
	"version: 1\n" \
	"profiles:\n"  \
	"  - name: p\n"
#define EE_TAIL                      \
	"    validity: {max: 90d}\n" \
	"    extended-key-usage: [serverAuth]\n"
#define EE_NAMES       \
	"    names:\n" \
	"      dns: {allow: [.example.com]}\n"

static const struct {
	const char *what;
	const char *yaml;
} good_policies[] = {
	{ "minimal TLS profile",
	    EE_HEAD "    keys: [ec-p256]\n" EE_NAMES
		    "    key-usage: [digitalSignature]\n" EE_TAIL },
	{ "keyEncipherment with RSA allowed besides EC", EE_HEAD
	    "    keys: [ec-p256, rsa-2048]\n" EE_NAMES
	    "    key-usage: [digitalSignature, keyEncipherment]\n" EE_TAIL },
	{ "keyAgreement with EC", EE_HEAD
	    "    keys: [ec-p384]\n" EE_NAMES
	    "    key-usage: [digitalSignature, keyAgreement]\n" EE_TAIL },
	{ "nonRepudiation spelled the old way", EE_HEAD
	    "    keys: [ec-p384]\n" EE_NAMES
	    "    key-usage: [digitalSignature, nonRepudiation]\n" EE_TAIL },
	{ "wildcards with an allow entry",
	    EE_HEAD "    keys: [ec-p256]\n"
		    "    names:\n"
		    "      dns: {allow: [\"*.example.com\", .example.com], "
		    "wildcards: true}\n"
		    "    key-usage: [digitalSignature]\n" EE_TAIL },
	{ "private IP ranges when private: true",
	    EE_HEAD "    keys: [ec-p256]\n"
		    "    names:\n"
		    "      ip: {allow: [10.0.0.0/8, \"fd00::/8\"], deny: "
		    "[10.9.0.0/16], private: true}\n"
		    "    key-usage: [digitalSignature]\n" EE_TAIL },
	{ "public IP range with private: false",
	    EE_HEAD "    keys: [ec-p256]\n"
		    "    names:\n"
		    "      ip: {allow: [0.0.0.0/0, 8.8.8.0/24]}\n"
		    "    key-usage: [digitalSignature]\n" EE_TAIL },
	{ "email and URI entries",
	    EE_HEAD "    keys: [ec-p256]\n"
		    "    names:\n"
		    "      email: {allow: [a@example.com, example.com, "
		    ".example.com]}\n"
		    "      uri: {allow: [spiffe://example.com/, "
		    "\"https://example.com/svc/\"]}\n"
		    "    key-usage: [digitalSignature]\n"
		    "    validity: {max: 90d}\n"
		    "    extended-key-usage: [clientAuth]\n" },
	{ "CN optional, taken from the CSR", EE_HEAD
	    "    keys: [ec-p256]\n" EE_NAMES "    common-name: optional\n"
	    "    subject: {from-csr: [CN, O, L], fixed: {C: DE, ST: "
	    "Bayern}}\n"
	    "    key-usage: [digitalSignature]\n" EE_TAIL },
	{ "validity at the BR limit with backdate", EE_HEAD
	    "    keys: [ec-p256]\n" EE_NAMES
	    "    key-usage: [digitalSignature]\n"
	    "    validity: {default: 90d, max: 199d, backdate: 23h59m}\n"
	    "    extended-key-usage: [serverAuth]\n" },
	{ "client certificates without SAN and a long validity",
	    EE_HEAD "    keys: [rsa-3072..4096]\n"
		    "    names: {required: false, max: 1}\n"
		    "    key-usage: [digitalSignature]\n"
		    "    validity: {default: 1d, max: 730d, backdate: 48h}\n"
		    "    extended-key-usage: [clientAuth, emailProtection]\n" },
	{ "CRL, AIA and policy OIDs", EE_HEAD
	    "    keys: [ec-p256]\n" EE_NAMES
	    "    key-usage: [digitalSignature]\n"
	    "    crl-distribution-points: [http://pki.example.com/a.crl]\n"
	    "    aia: {ca-issuers: [http://pki.example.com/a.crt], ocsp: "
	    "[\"http://ocsp.example.com:8080/\"]}\n"
	    "    certificate-policies: [2.23.140.1.2.1, "
	    "1.3.6.1.4.1.55555.1.2]\n"
	    "    rsa-pss: true\n" EE_TAIL },
	{ "CA with path-len, name constraints and anyPolicy",
	    "version: 1\n"
	    "profiles:\n"
	    "  - name: sub-ca\n"
	    "    keys: [ec-p384, rsa-4096]\n"
	    "    common-name: required\n"
	    "    validity: {max: 3650d}\n"
	    "    key-usage: [keyCertSign, cRLSign, digitalSignature]\n"
	    "    basic-constraints: {ca: true, path-len: 1}\n"
	    "    name-constraints:\n"
	    "      permitted: {dns: [example.com, example.net], email: "
	    "[example.com], uri: [.example.com], ip: [192.0.2.0/24]}\n"
	    "      excluded: {dns: [secret.example.com], ip: [0.0.0.0/0, "
	    "\"::/0\"]}\n"
	    "    certificate-policies: [2.5.29.32.0]\n" },
};

static void
test_good_policies_load(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_policies) / sizeof(good_policies[0]); i++) {
		struct signet_policy *policy = NULL;

		if (signet_policy_load_mem("good.yaml", good_policies[i].yaml,
			strlen(good_policies[i].yaml), &policy) != 0)
			fail_msg("%s: %s", good_policies[i].what,
			    signet_error_message());
		assert_int_equal(signet_policy_profile_count(policy), 1);
		signet_policy_free(policy);
	}
}

/* Entries are stored in their normal form; defaults are deny-leaning. */
static void
test_policy_normalises_entries_and_defaults(void **state)
{
	static const char yaml[] =
	    "version: 1\n"
	    "profiles:\n"
	    "  - name: p\n"
	    "    keys: [ec-p256]\n"
	    "    names:\n"
	    "      dns: {allow: [.Example.COM]}\n"
	    "      uri: {allow: [\"SPIFFE://example.com/NS/\"]}\n"
	    "      email: {allow: [Bob@Example.com]}\n"
	    "    key-usage: [digitalSignature]\n"
	    "    validity: {max: 30d}\n"
	    "    extended-key-usage: [clientAuth]\n";
	struct signet_policy *policy = NULL;
	const struct signet_profile *p;

	(void)state;
	assert_int_equal(signet_policy_load_mem("n.yaml", yaml, strlen(yaml),
			     &policy),
	    0);
	p = signet_policy_get0_profile(policy, 0);
	assert_string_equal(p->dns.allow.v[0], ".example.com");
	assert_string_equal(p->uri.allow.v[0], "spiffe://example.com/NS/");
	assert_string_equal(p->email.allow.v[0], "Bob@example.com");
	assert_int_equal(p->validity_default, p->validity_max);
	assert_int_equal(p->backdate, 0);
	assert_int_equal(p->cn, SIGNET_CN_FORBIDDEN);
	assert_int_equal(p->n_subject_from_csr, 0);
	assert_true(p->require_san);
	assert_int_equal(p->max_sans, 100);
	assert_false(p->dns_wildcards);
	assert_false(p->ip.allow_private);
	assert_false(p->rsa_pss);
	signet_policy_free(policy);
}

/* A policy given from memory is named in its messages. */
static void
test_policy_mem_name_in_messages(void **state)
{
	static const char yaml[] = "version: 1\nprofiles:\n  - name: p\n"
				   "    keys: [ec-p999]\n";
	struct signet_policy *policy = NULL;

	(void)state;
	assert_int_equal(signet_policy_load_mem("inline-policy", yaml,
			     strlen(yaml), &policy),
	    SIGNET_ERR_CONFIG);
	assert_non_null(strstr(signet_error_message(),
	    "inline-policy:4: profile 'p': unknown key type 'ec-p999'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_policy_profiles),
		cmocka_unit_test(test_policy_sha256_matches_sha256sum),
		cmocka_unit_test(test_policy_find_names_choices),
		cmocka_unit_test(test_policy_file_errors),
		cmocka_unit_test(test_bad_policies_fail_with_line_and_reason),
		cmocka_unit_test(test_bad_policies_all_listed),
		cmocka_unit_test(test_good_policies_load),
		cmocka_unit_test(test_policy_normalises_entries_and_defaults),
		cmocka_unit_test(test_policy_mem_name_in_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
