/*
 * Tests for requests: CSRs made here with OpenSSL, one table row per rule
 * (a passing and a failing case each), checked against a test policy;
 * then the options (validity, size cap, compromised keys, the CA's own
 * key) and requests from a public key and names (key ceremonies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fixture.h"
#include "signet/policy.h"
#include "util/codec.h"

static const char test_policy[] =
    "version: 1\n"
    "profiles:\n"
    "  - name: srv\n"
    "    keys: [ec-p256, ec-p384, rsa-2048..3072]\n"
    "    names:\n"
    "      max: 3\n"
    "      dns:\n"
    "        allow: [example.com, .example.com]\n"
    "        deny: [.bad.example.com, evil.example.com]\n"
    "        wildcards: true\n"
    "      ip:\n"
    "        allow: [93.184.216.0/24, \"2606:2800::/32\"]\n"
    "        deny: [93.184.216.66]\n"
    "    common-name: optional\n"
    "    subject:\n"
    "      from-csr: [CN, L]\n"
    "      fixed: {O: Example Corp, C: US}\n"
    "    validity: {default: 90d, max: 199d, backdate: 5m}\n"
    "    key-usage: [digitalSignature, keyEncipherment]\n"
    "    extended-key-usage: [serverAuth]\n"
    "  - name: priv\n"
    "    keys: [ec-p256]\n"
    "    names:\n"
    "      dns: {allow: [.internal]}\n"
    "      ip: {allow: [10.0.0.0/8, \"2001:db8::/32\"], private: true}\n"
    "    validity: {max: 30d}\n"
    "    key-usage: [digitalSignature]\n"
    "    extended-key-usage: [clientAuth]\n"
    "  - name: cli\n"
    "    keys: [ec-p256, rsa-2048]\n"
    "    names:\n"
    "      email: {allow: [example.com], deny: [root@example.com]}\n"
    "      uri:\n"
    "        allow: [spiffe://example.com/, \"https://example.com/u/\",\n"
    "                \"https://example.com/tenant-a/\"]\n"
    "        deny: [\"https://example.com/tenant-a/admin\"]\n"
    "    common-name: required\n"
    "    validity: {max: 30d}\n"
    "    key-usage: [digitalSignature]\n"
    "    extended-key-usage: [clientAuth]\n"
    "  - name: cliq\n"
    "    keys: [ec-p256]\n"
    "    names:\n"
    "      uri:\n"
    "        allow: [\"https://example.com/tenant-a/\"]\n"
    "        deny: [\"https://example.com/tenant-a/admin\"]\n"
    "        query-and-fragment: true\n"
    "    common-name: required\n"
    "    validity: {max: 30d}\n"
    "    key-usage: [digitalSignature]\n"
    "    extended-key-usage: [clientAuth]\n"
    "  - name: nosan\n"
    "    keys: [ec-p256]\n"
    "    names: {required: false}\n"
    "    validity: {max: 30d}\n"
    "    key-usage: [digitalSignature]\n"
    "    extended-key-usage: [clientAuth]\n"
    "  - name: ca\n"
    "    keys: [ec-p256, rsa-2048]\n"
    "    common-name: required\n"
    "    subject: {from-csr: [CN, OU], fixed: {O: Example Corp}}\n"
    "    validity: {max: 3650d}\n"
    "    key-usage: [keyCertSign, cRLSign]\n"
    "    basic-constraints: {ca: true, path-len: 1}\n";

static struct signet_policy *policy;
static EVP_PKEY *k_ec256, *k_ec384, *k_ec521, *k_rsa, *k_rsa_e3, *k_other;

static EVP_PKEY *
key_ec(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);

	assert_non_null(k);
	return k;
}

static EVP_PKEY *
key_rsa(unsigned bits, unsigned e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	BIGNUM *bn = BN_new();

	assert_non_null(ctx);
	assert_non_null(bn);
	assert_true(BN_set_word(bn, e));
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static int
setup(void **state)
{
	(void)state;
	if (signet_policy_load_mem("test-policy", test_policy,
		strlen(test_policy), &policy) != 0) {
		fprintf(stderr, "%s\n", signet_error_message());
		return -1;
	}
	k_ec256 = key_ec("P-256");
	k_ec384 = key_ec("P-384");
	k_ec521 = key_ec("P-521");
	k_other = key_ec("P-256");
	k_rsa = key_rsa(2048, 65537);
	k_rsa_e3 = key_rsa(2048, 3);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	signet_policy_free(policy);
	EVP_PKEY_free(k_ec256);
	EVP_PKEY_free(k_ec384);
	EVP_PKEY_free(k_ec521);
	EVP_PKEY_free(k_other);
	EVP_PKEY_free(k_rsa);
	EVP_PKEY_free(k_rsa_e3);
	return 0;
}

static const struct signet_profile *
profile(const char *name)
{
	const struct signet_profile *p = NULL;

	assert_int_equal(signet_policy_find(policy, name, &p), 0);
	return p;
}

/* ---- Making CSRs
 * -------------------------------------------------------------------- */

struct csr_spec {
	EVP_PKEY **key;      /* NULL: k_ec256 */
	const char *subject; /* "CN=a;L=b", '+' joins an RDN; NULL: empty */
	const char *san;     /* "DNS:a,IP:1.2.3.4", or NULL */
	const char *ext[3];  /* "keyUsage=critical,digitalSignature" */
	const char *md;      /* NULL: SHA256 */
	int der;
	int tamper; /* flip a bit of the signature */
};

static void
csr_subject(X509_NAME *name, const char *spec)
{
	char buf[1024], *item, *save = NULL, *eq;
	int set = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (item = strtok_r(buf, ";", &save); item != NULL;
	     item = strtok_r(NULL, ";", &save)) {
		char *plus;

		do {
			plus = strchr(item, '+');
			if (plus != NULL)
				*plus = '\0';
			assert_non_null(eq = strchr(item, '='));
			*eq = '\0';
			/* Raw UTF8String: no length limits, as a hostile CSR. */
			assert_int_equal(X509_NAME_add_entry_by_txt(name, item,
					     V_ASN1_UTF8STRING,
					     (unsigned char *)eq + 1, -1, -1,
					     set),
			    1);
			set = plus != NULL ? -1 : 0;
			item = plus != NULL ? plus + 1 : NULL;
		} while (item != NULL);
	}
}

static uint8_t *
csr_make(const struct csr_spec *s, size_t *len)
{
	EVP_PKEY *key = s->key != NULL ? *s->key : k_ec256;
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_REQ *req = X509_REQ_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	unsigned char *der = NULL;
	uint8_t *out;
	char buf[512];
	size_t i;
	int n;

	assert_non_null(req);
	assert_non_null(exts);
	assert_int_equal(X509_REQ_set_version(req, X509_REQ_VERSION_1), 1);
	if (s->subject != NULL)
		csr_subject(X509_REQ_get_subject_name(req), s->subject);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
	if (s->san != NULL) {
		assert_non_null(ext = X509V3_EXT_nconf(NULL, &ctx,
				    "subjectAltName", s->san));
		sk_X509_EXTENSION_push(exts, ext);
	}
	for (i = 0; i < 3 && s->ext[i] != NULL; i++) {
		char *eq;

		snprintf(buf, sizeof(buf), "%s", s->ext[i]);
		assert_non_null(eq = strchr(buf, '='));
		*eq = '\0';
		assert_non_null(
		    ext = X509V3_EXT_nconf(NULL, &ctx, buf, eq + 1));
		sk_X509_EXTENSION_push(exts, ext);
	}
	if (sk_X509_EXTENSION_num(exts) > 0)
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(
	    X509_REQ_sign(req, key,
		EVP_get_digestbyname(s->md != NULL ? s->md : "SHA256")) > 0);
	if (s->der || s->tamper) {
		assert_true((n = i2d_X509_REQ(req, &der)) > 0);
		if (s->tamper)
			der[n - 1] ^= 0x01;
		assert_non_null(out = malloc((size_t)n));
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
		OPENSSL_free(der);
	} else {
		BIO *bio = BIO_new(BIO_s_mem());
		char *data;
		long blen;

		assert_non_null(bio);
		assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
		blen = BIO_get_mem_data(bio, &data);
		assert_non_null(out = malloc((size_t)blen));
		memcpy(out, data, (size_t)blen);
		*len = (size_t)blen;
		BIO_free(bio);
	}
	X509_REQ_free(req);
	return out;
}

/* "a b c" from the request's SAN values. */
static void
sans_format(const struct signet_request *req, char *out, size_t outsz)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < req->n_sans && used < outsz; i++)
		used += (size_t)snprintf(out + used, outsz - used, "%s%s",
		    i > 0 ? " " : "", req->sans[i].value);
}

/* ---- Rules, one row each
 * ------------------------------------------------------------------ */

struct req_case {
	const char *what;
	const char *profile;
	struct csr_spec csr;
	int want; /* 0 or SIGNET_ERR_POLICY */
	/* Refusal: substrings of the message. Success: a note substring. */
	const char *msg[2];
	const char *sans;    /* success: SANs in order */
	const char *subject; /* success: X509_NAME_oneline */
	unsigned ku;         /* success: key usage, if non-zero */
};

#define EXAMPLE_SUBJECT "/C=US/O=Example Corp"
#define SRV_OK(cn) EXAMPLE_SUBJECT "/CN=" cn

static const struct req_case req_cases[] = {
	/* Containers and signatures. */
	{ "PEM", "srv",
	    { NULL, "CN=www.example.com", "DNS:www.example.com", { NULL }, NULL,
		0, 0 },
	    0, { NULL }, "www.example.com", SRV_OK("www.example.com"),
	    SIGNET_KU_DIGITAL_SIGNATURE },
	{ "DER", "srv",
	    { NULL, "CN=www.example.com", "DNS:www.example.com", { NULL }, NULL,
		1, 0 },
	    0, { NULL }, "www.example.com", NULL, 0 },
	{ "tampered signature", "srv",
	    { NULL, "CN=www.example.com", "DNS:www.example.com", { NULL }, NULL,
		0, 1 },
	    SIGNET_ERR_POLICY, { "signature does not verify", NULL }, NULL,
	    NULL, 0 },
	{ "SHA-384", "srv",
	    { &k_ec384, NULL, "DNS:a.example.com", { NULL }, "SHA384", 0, 0 },
	    0, { NULL }, "a.example.com", EXAMPLE_SUBJECT, 0 },
	{ "SHA-1 refused", "srv",
	    { NULL, NULL, "DNS:a.example.com", { NULL }, "SHA1", 0, 0 },
	    SIGNET_ERR_POLICY, { "signed with ecdsa-with-SHA1", NULL }, NULL,
	    NULL, 0 },
	{ "SHA-224 refused", "srv",
	    { &k_rsa, NULL, "DNS:a.example.com", { NULL }, "SHA224", 0, 0 },
	    SIGNET_ERR_POLICY, { "signed with sha224WithRSAEncryption", NULL },
	    NULL, NULL, 0 },

	/* Keys. */
	{ "RSA 2048 keeps keyEncipherment", "srv",
	    { &k_rsa, NULL, "DNS:a.example.com", { NULL }, NULL, 0, 0 }, 0,
	    { NULL }, "a.example.com", NULL,
	    SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_KEY_ENCIPHERMENT },
	{ "P-521 not in profile", "srv",
	    { &k_ec521, NULL, "DNS:a.example.com", { NULL }, "SHA512", 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "key type ec-p521 is not allowed by profile srv (allowed: "
	      "ec-p256, ec-p384, rsa-2048..3072)",
		NULL },
	    NULL, NULL, 0 },
	{ "RSA e=3", "srv",
	    { &k_rsa_e3, NULL, "DNS:a.example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "RSA public exponent 3 is not 65537", NULL },
	    NULL, NULL, 0 },
	{ "RSA on an EC-only profile", "priv",
	    { &k_rsa, NULL, "DNS:a.internal", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "key type rsa-2048 is not allowed by profile priv (allowed: "
	      "ec-p256)",
		NULL },
	    NULL, NULL, 0 },

	/* DNS names. */
	{ "exact DNS entry", "srv",
	    { NULL, NULL, "DNS:example.com", { NULL }, NULL, 0, 0 }, 0,
	    { NULL }, "example.com", NULL, 0 },
	{ "DNS suffix entry", "srv",
	    { NULL, NULL, "DNS:a.b.example.com", { NULL }, NULL, 0, 0 }, 0,
	    { NULL }, "a.b.example.com", NULL, 0 },
	{ "DNS not allowed", "srv",
	    { NULL, NULL, "DNS:other.org", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "dNSName 'other.org' is not allowed by profile srv", NULL }, NULL,
	    NULL, 0 },
	{ "DNS denied by suffix", "srv",
	    { NULL, NULL, "DNS:x.bad.example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "dNSName 'x.bad.example.com' is denied by profile srv (deny "
	      "entry '.bad.example.com')",
		NULL },
	    NULL, NULL, 0 },
	{ "DNS denied exactly", "srv",
	    { NULL, NULL, "DNS:evil.example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "deny entry 'evil.example.com'", NULL }, NULL,
	    NULL, 0 },
	{ "wildcard allowed", "srv",
	    { NULL, "CN=*.ok.example.com", "DNS:*.ok.example.com", { NULL },
		NULL, 0, 0 },
	    0, { NULL }, "*.ok.example.com", SRV_OK("*.ok.example.com"), 0 },
	{ "wildcard covering a denied name", "srv",
	    { NULL, NULL, "DNS:*.example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "dNSName '*.example.com' is denied by profile srv (deny entry "
	      "'evil.example.com')",
		NULL },
	    NULL, NULL, 0 },
	{ "wildcard on a profile without wildcards", "priv",
	    { NULL, NULL, "DNS:*.a.internal", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "dNSName '*.a.internal' is a wildcard, which profile priv does "
	      "not allow",
		NULL },
	    NULL, NULL, 0 },
	{ "upper case normalised", "srv",
	    { NULL, "CN=WWW.Example.COM", "DNS:WWW.EXAMPLE.COM", { NULL }, NULL,
		0, 0 },
	    0, { NULL }, "www.example.com", SRV_OK("www.example.com"), 0 },
	{ "duplicates removed, with a note", "srv",
	    { NULL, NULL, "DNS:a.example.com,DNS:A.example.com", { NULL }, NULL,
		0, 0 },
	    0, { "duplicate dNSName 'a.example.com' removed", NULL },
	    "a.example.com", NULL, 0 },
	{ "max SANs", "srv",
	    { NULL, NULL,
		"DNS:a.example.com,DNS:b.example.com,DNS:c.example.com",
		{ NULL }, NULL, 0, 0 },
	    0, { NULL }, "a.example.com b.example.com c.example.com", NULL, 0 },
	{ "one SAN over max", "srv",
	    { NULL, NULL,
		"DNS:a.example.com,DNS:b.example.com,DNS:c.example.com,DNS:d."
		"example.com",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "4 SANs requested; profile srv allows at most 3", NULL }, NULL,
	    NULL, 0 },
	{ "SAN required", "srv",
	    { NULL, "CN=a.example.com", NULL, { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "the request has no subjectAltName, and profile srv requires "
	      "one",
		NULL },
	    NULL, NULL, 0 },
	{ "no SAN where none is required", "nosan",
	    { NULL, NULL, NULL, { NULL }, NULL, 0, 0 }, 0, { NULL }, "", "",
	    0 },

	/* IP addresses. */
	{ "IP allowed", "srv",
	    { NULL, NULL, "IP:93.184.216.34", { NULL }, NULL, 0, 0 }, 0,
	    { NULL }, "93.184.216.34", NULL, 0 },
	{ "IPv6 allowed", "srv",
	    { NULL, NULL, "IP:2606:2800:220:1:0:0:0:1", { NULL }, NULL, 0, 0 },
	    0, { NULL }, "2606:2800:220:1::1", NULL, 0 },
	{ "IP denied", "srv",
	    { NULL, NULL, "IP:93.184.216.66", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "iPAddress 93.184.216.66 is denied by profile srv (deny entry "
	      "93.184.216.66/32)",
		NULL },
	    NULL, NULL, 0 },
	{ "IP not in any allowed network", "srv",
	    { NULL, NULL, "IP:93.184.217.1", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "iPAddress 93.184.217.1 is not allowed by profile srv", NULL },
	    NULL, NULL, 0 },
	{ "private IP refused", "srv",
	    { NULL, NULL, "IP:10.0.0.1", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "iPAddress 10.0.0.1 is in the private-use range", NULL }, NULL,
	    NULL, 0 },
	{ "private IP where private: true", "priv",
	    { NULL, NULL, "IP:10.1.2.3,IP:2001:DB8:0::1", { NULL }, NULL, 0,
		0 },
	    0, { NULL }, "10.1.2.3 2001:db8::1", NULL, 0 },
	{ "private IP outside the allowed networks", "priv",
	    { NULL, NULL, "IP:192.168.1.1", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "iPAddress 192.168.1.1 is not allowed by profile priv", NULL },
	    NULL, NULL, 0 },

	/* Mailboxes and URIs. */
	{ "mailbox allowed", "cli",
	    { NULL, "CN=a@Example.com", "email:a@Example.COM", { NULL }, NULL,
		0, 0 },
	    0, { NULL }, "a@example.com", "/CN=a@example.com", 0 },
	{ "mailbox denied", "cli",
	    { NULL, "CN=root@example.com", "email:root@example.com", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "rfc822Name 'root@example.com' is denied by profile cli", NULL },
	    NULL, NULL, 0 },
	{ "mailbox in a subdomain not allowed", "cli",
	    { NULL, "CN=a@sub.example.com", "email:a@sub.example.com", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "rfc822Name 'a@sub.example.com' is not allowed by profile cli",
		NULL },
	    NULL, NULL, 0 },
	{ "SPIFFE ID allowed", "cli",
	    { NULL, "CN=spiffe://example.com/ns/a",
		"URI:spiffe://example.com/ns/a", { NULL }, NULL, 0, 0 },
	    0, { NULL }, "spiffe://example.com/ns/a", NULL, 0 },
	{ "SPIFFE ID of another trust domain", "cli",
	    { NULL, "CN=x", "URI:spiffe://example.org/ns/a", { NULL }, NULL, 0,
		0 },
	    SIGNET_ERR_POLICY,
	    { "uniformResourceIdentifier 'spiffe://example.org/ns/a' is not "
	      "allowed by profile cli",
		NULL },
	    NULL, NULL, 0 },
	{ "URI prefix, host normalised", "cli",
	    { NULL, "CN=https://example.com/u/bob",
		"URI:HTTPS://EXAMPLE.com/u/bob", { NULL }, NULL, 0, 0 },
	    0, { NULL }, "https://example.com/u/bob", NULL, 0 },
	{ "URI beside the prefix", "cli",
	    { NULL, "CN=x", "URI:https://example.com/uber", { NULL }, NULL, 0,
		0 },
	    SIGNET_ERR_POLICY, { "is not allowed by profile cli", NULL }, NULL,
	    NULL, 0 },
	{ "mailbox denied in another case", "cli",
	    { NULL, "CN=Root@example.com", "email:Root@example.com", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "rfc822Name 'Root@example.com' is denied by profile cli (deny "
	      "entry 'root@example.com')",
		NULL },
	    NULL, NULL, 0 },
	{ "mailbox denied with a subaddress", "cli",
	    { NULL, "CN=x", "email:ROOT+x@example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "rfc822Name 'ROOT+x@example.com' is denied by profile cli",
		NULL },
	    NULL, NULL, 0 },
	{ "URI escaping its prefix with escaped dots", "cli",
	    { NULL, "CN=x",
		"URI:https://example.com/tenant-a/%2e%2e/tenant-b/x", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "'https://example.com/tenant-a/%2e%2e/tenant-b/x' has a '.' or "
	      "'..' path segment",
		NULL },
	    NULL, NULL, 0 },
	{ "URI escaping its prefix with a path parameter", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/..;/tenant-b/x",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "'.' or '..' path segment", NULL }, NULL, NULL,
	    0 },
	{ "URI denied, spelt with an escape", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/%61dmin",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "'https://example.com/tenant-a/admin' is denied by profile cli",
		NULL },
	    NULL, NULL, 0 },
	{ "URI denied, spelt with an empty segment", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a//admin", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "empty path segment ('//')", NULL }, NULL,
	    NULL, 0 },
	{ "URI with an escaped slash", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/b%2Fc", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "escaped '/' (%2F) in its path", NULL }, NULL,
	    NULL, 0 },
	{ "URI in its normal form in the certificate", "cliq",
	    { NULL, "CN=https://example.com/tenant-a/~bob?q=%3D",
		"URI:HTTPS://Example.COM:443/tenant-a/%7ebob?q=%3d", { NULL },
		NULL, 0, 0 },
	    0, { NULL }, "https://example.com/tenant-a/~bob?q=%3D",
	    "/CN=https:\\/\\/example.com\\/tenant-a\\/~bob?q=%3D", 0 },
	{ "URI deny entry: a fragment is refused", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/admin#x",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "has a fragment, which profile cli does not allow", NULL }, NULL,
	    NULL, 0 },
	{ "URI deny entry: a query is refused", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/admin?x",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "has a query, which profile cli does not allow", NULL }, NULL,
	    NULL, 0 },
	{ "URI deny entry: with path parameters", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/admin;x",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "'https://example.com/tenant-a/admin;x' is denied by profile cli",
		NULL },
	    NULL, NULL, 0 },
	{ "URI deny entry: below it", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/admin/x",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "'https://example.com/tenant-a/admin/x' is denied by profile cli",
		NULL },
	    NULL, NULL, 0 },
	{ "URI deny entry: a trailing slash", "cli",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/admin/", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "'https://example.com/tenant-a/admin/' is denied by profile cli",
		NULL },
	    NULL, NULL, 0 },
	{ "URI deny entry: a longer name is another", "cli",
	    { NULL, "CN=https://example.com/tenant-a/administrator",
		"URI:https://example.com/tenant-a/administrator", { NULL },
		NULL, 0, 0 },
	    0, { NULL }, "https://example.com/tenant-a/administrator", NULL,
	    0 },
	{ "URI deny entry: a query where allowed", "cliq",
	    { NULL, "CN=x", "URI:https://example.com/tenant-a/admin?x",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "'https://example.com/tenant-a/admin?x' is denied by profile "
	      "cliq",
		NULL },
	    NULL, NULL, 0 },
	{ "URI deny entry: a fragment where allowed", "cliq",
	    { NULL, "CN=x", "URI:https://EXAMPLE.com:443/tenant-a/%61dmin#x",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "'https://example.com/tenant-a/admin#x' is denied by profile "
	      "cliq",
		NULL },
	    NULL, NULL, 0 },
	{ "URI deny entry: an escaped parameter", "cliq",
	    { NULL, "CN=https://example.com/tenant-a/admin%3bx?y",
		"URI:https://example.com/tenant-a/admin%3bx?y", { NULL }, NULL,
		0, 0 },
	    0, { NULL }, "https://example.com/tenant-a/admin%3Bx?y", NULL, 0 },
	{ "two SPIFFE IDs", "cli",
	    { NULL, "CN=x",
		"URI:spiffe://example.com/a,URI:spiffe://example.com/admin",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "2 SPIFFE IDs requested; an X509-SVID carries exactly one",
		NULL },
	    NULL, NULL, 0 },
	{ "a SPIFFE ID beside another URI", "cli",
	    { NULL, "CN=x",
		"URI:spiffe://example.com/a,URI:https://example.com/u/a",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "a SPIFFE ID and 1 other URI requested", NULL }, NULL, NULL, 0 },
	{ "one SPIFFE ID", "cli",
	    { NULL, "CN=spiffe://example.com/a",
		"URI:spiffe://example.com/a,email:a@example.com", { NULL },
		NULL, 0, 0 },
	    0, { NULL }, "spiffe://example.com/a a@example.com", NULL, 0 },
	{ "two non-SPIFFE URIs", "cli",
	    { NULL, "CN=https://example.com/u/a",
		"URI:https://example.com/u/a,URI:https://example.com/u/b",
		{ NULL }, NULL, 0, 0 },
	    0, { NULL }, "https://example.com/u/a https://example.com/u/b",
	    NULL, 0 },

	/* Common name. */
	{ "CN not among the SANs", "srv",
	    { NULL, "CN=x.example.com", "DNS:a.example.com", { NULL }, NULL, 0,
		0 },
	    SIGNET_ERR_POLICY,
	    { "subject CN 'x.example.com' is not one of the accepted SANs",
		NULL },
	    NULL, NULL, 0 },
	{ "CN as an IP SAN", "srv",
	    { NULL, "CN=93.184.216.34", "IP:93.184.216.34", { NULL }, NULL, 0,
		0 },
	    0, { NULL }, "93.184.216.34", SRV_OK("93.184.216.34"), 0 },
	{ "CN on a profile that forbids it", "priv",
	    { NULL, "CN=a.internal", "DNS:a.internal", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "subject attribute CN is not allowed by profile priv", NULL },
	    NULL, NULL, 0 },
	{ "CN required but missing", "cli",
	    { NULL, NULL, "email:a@example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "profile cli requires a subject CN", NULL },
	    NULL, NULL, 0 },
	{ "CN optional and absent", "srv",
	    { NULL, NULL, "DNS:a.example.com", { NULL }, NULL, 0, 0 }, 0,
	    { NULL }, "a.example.com", EXAMPLE_SUBJECT, 0 },

	/* Subject attributes. */
	{ "attribute taken from the CSR", "srv",
	    { NULL, "L=Berlin;CN=a.example.com", "DNS:a.example.com", { NULL },
		NULL, 0, 0 },
	    0, { NULL }, "a.example.com",
	    "/C=US/L=Berlin/O=Example Corp/CN=a.example.com", 0 },
	{ "attribute the profile does not take", "srv",
	    { NULL, "OU=Web;CN=a.example.com", "DNS:a.example.com", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "subject attribute OU is not allowed by profile srv", NULL },
	    NULL, NULL, 0 },
	{ "fixed attribute repeated exactly", "srv",
	    { NULL, "C=US;O=Example Corp;CN=a.example.com", "DNS:a.example.com",
		{ NULL }, NULL, 0, 0 },
	    0, { NULL }, "a.example.com", SRV_OK("a.example.com"), 0 },
	{ "fixed attribute with another value", "srv",
	    { NULL, "O=Evil Corp;CN=a.example.com", "DNS:a.example.com",
		{ NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "subject attribute O 'Evil Corp' differs from the value profile "
	      "srv fixes",
		NULL },
	    NULL, NULL, 0 },
	{ "attribute twice", "srv",
	    { NULL, "L=A;L=B", "DNS:a.example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "subject attribute L appears more than once", NULL }, NULL, NULL,
	    0 },
	{ "unknown attribute", "srv",
	    { NULL, "1.3.6.1.4.1.55555.7=x", "DNS:a.example.com", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "subject attribute 1.3.6.1.4.1.55555.7 is not allowed", NULL },
	    NULL, NULL, 0 },
	{ "multi-valued RDN", "srv",
	    { NULL, "CN=a.example.com+L=Berlin", "DNS:a.example.com", { NULL },
		NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "multi-valued RDN", NULL }, NULL, NULL, 0 },
	{ "attribute too long", "srv",
	    { NULL,
		"L=llllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
		"llllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
		"lllllllll",
		"DNS:a.example.com", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY, { "longer than 128 characters", NULL }, NULL,
	    NULL, 0 },

	/* Requested extensions. */
	{ "cA=TRUE on an end-entity profile", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "basicConstraints=critical,CA:TRUE" }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "basicConstraints requests cA=TRUE, but profile srv issues "
	      "end-entity certificates",
		NULL },
	    NULL, NULL, 0 },
	{ "cA=TRUE on a CA profile", "ca",
	    { NULL, "CN=Example Sub CA", NULL,
		{ "basicConstraints=critical,CA:TRUE,pathlen:1" }, NULL, 0, 0 },
	    0, { NULL }, "", "/O=Example Corp/CN=Example Sub CA",
	    SIGNET_KU_KEY_CERT_SIGN | SIGNET_KU_CRL_SIGN },
	{ "pathLenConstraint above the profile's", "ca",
	    { NULL, "CN=Example Sub CA", NULL,
		{ "basicConstraints=critical,CA:TRUE,pathlen:2" }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "requests pathLenConstraint 2, more than profile ca grants (1)",
		NULL },
	    NULL, NULL, 0 },
	{ "cA=FALSE on a CA profile is noted", "ca",
	    { NULL, "CN=Example Sub CA", NULL, { "basicConstraints=CA:FALSE" },
		NULL, 0, 0 },
	    0, { "cA=FALSE ignored", NULL }, "", NULL, 0 },
	{ "key usage within the profile", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "keyUsage=critical,digitalSignature" }, NULL, 0, 0 },
	    0, { NULL }, "a.example.com", NULL, 0 },
	{ "keyEncipherment for an EC key", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "keyUsage=digitalSignature,keyEncipherment" }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "keyUsage requests keyEncipherment, which profile srv does not "
	      "grant for this key (it grants digitalSignature)",
		NULL },
	    NULL, NULL, 0 },
	{ "keyEncipherment for an RSA key", "srv",
	    { &k_rsa, NULL, "DNS:a.example.com",
		{ "keyUsage=digitalSignature,keyEncipherment" }, NULL, 0, 0 },
	    0, { NULL }, "a.example.com", NULL, 0 },
	{ "keyCertSign on an end-entity profile", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "keyUsage=critical,digitalSignature,keyCertSign" }, NULL, 0,
		0 },
	    SIGNET_ERR_POLICY,
	    { "keyUsage requests keyCertSign, but profile srv issues "
	      "end-entity certificates",
		NULL },
	    NULL, NULL, 0 },
	{ "keyCertSign on a CA profile", "ca",
	    { NULL, "CN=Example Sub CA", NULL,
		{ "keyUsage=critical,keyCertSign,cRLSign" }, NULL, 0, 0 },
	    0, { NULL }, "", NULL, 0 },
	{ "EKU within the profile", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "extendedKeyUsage=serverAuth" }, NULL, 0, 0 },
	    0, { NULL }, "a.example.com", NULL, 0 },
	{ "EKU beyond the profile", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "extendedKeyUsage=serverAuth,clientAuth" }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "extendedKeyUsage requests clientAuth, which profile srv does "
	      "not grant",
		NULL },
	    NULL, NULL, 0 },
	{ "anyExtendedKeyUsage", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "extendedKeyUsage=anyExtendedKeyUsage" }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "extendedKeyUsage requests anyExtendedKeyUsage", NULL }, NULL,
	    NULL, 0 },
	{ "unknown critical extension", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "1.3.6.1.4.1.55555.9=critical,DER:0500" }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "critical extension 1.3.6.1.4.1.55555.9, which signet cannot "
	      "honour",
		NULL },
	    NULL, NULL, 0 },
	{ "unknown non-critical extension is noted", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "1.3.6.1.4.1.55555.9=DER:0500" }, NULL, 0, 0 },
	    0, { "requested extension 1.3.6.1.4.1.55555.9 ignored", NULL },
	    "a.example.com", NULL, 0 },
	{ "subjectKeyIdentifier is noted", "srv",
	    { NULL, NULL, "DNS:a.example.com",
		{ "subjectKeyIdentifier=0102030405" }, NULL, 0, 0 },
	    0, { "requested extension subjectKeyIdentifier ignored", NULL },
	    "a.example.com", NULL, 0 },

	/* Every problem is named, not just the first. */
	{ "problems are collected", "srv",
	    { &k_rsa_e3, "OU=Web;CN=a.example.com",
		"DNS:a.example.com,DNS:x.evil.org", { NULL }, NULL, 0, 0 },
	    SIGNET_ERR_POLICY,
	    { "RSA public exponent 3 is not 65537; dNSName 'x.evil.org' is "
	      "not allowed by profile srv; subject attribute OU is not allowed",
		NULL },
	    NULL, NULL, 0 },
};

static void
test_request_rules(void **state)
{
	char sans[1024], subject[512];
	size_t i, j, len;

	(void)state;
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];
		struct signet_request *req = NULL;
		uint8_t *csr = csr_make(&c->csr, &len);
		int r;

		r = signet_request_from_csr(profile(c->profile), csr, len, NULL,
		    &req);
		free(csr);
		if (r != c->want)
			fail_msg("%s: got %d (%s), want %d", c->what, r,
			    r != 0 ? signet_error_message() : "accepted",
			    c->want);
		if (r != 0) {
			assert_null(req);
			for (j = 0; j < 2 && c->msg[j] != NULL; j++)
				if (strstr(signet_error_message(), c->msg[j]) ==
				    NULL)
					fail_msg("%s: \"%s\" lacks \"%s\"",
					    c->what, signet_error_message(),
					    c->msg[j]);
			continue;
		}
		assert_ptr_equal(req->profile, profile(c->profile));
		assert_non_null(req->pubkey);
		assert_non_null(req->subject);
		sans_format(req, sans, sizeof(sans));
		if (c->sans != NULL && strcmp(sans, c->sans) != 0)
			fail_msg("%s: SANs \"%s\", want \"%s\"", c->what, sans,
			    c->sans);
		X509_NAME_oneline(req->subject, subject, sizeof(subject));
		if (c->subject != NULL &&
		    strcmp(subject, c->subject[0] != '\0' ? c->subject : "/") !=
			0 &&
		    !(c->subject[0] == '\0' &&
			X509_NAME_entry_count(req->subject) == 0))
			fail_msg("%s: subject \"%s\", want \"%s\"", c->what,
			    subject, c->subject);
		if (c->ku != 0 && req->key_usage != c->ku)
			fail_msg("%s: key usage %#x, want %#x", c->what,
			    req->key_usage, c->ku);
		if (c->msg[0] != NULL) {
			for (j = 0; j < req->notes.n; j++)
				if (strstr(req->notes.v[j], c->msg[0]) != NULL)
					break;
			if (j == req->notes.n)
				fail_msg("%s: no note \"%s\"", c->what,
				    c->msg[0]);
		} else if (req->notes.n != 0)
			fail_msg("%s: unexpected note \"%s\"", c->what,
			    req->notes.v[0]);
		assert_int_equal(req->validity,
		    profile(c->profile)->validity_default);
		signet_request_free(req);
	}
}

/* ---- Options
 * --------------------------------------------------------------------------------
 */

static const struct csr_spec plain_csr = { NULL, "CN=a.example.com",
	"DNS:a.example.com", { NULL }, NULL, 0, 0 };

static int
run_csr(const struct csr_spec *spec, const struct signet_request_opts *opts,
    struct signet_request **req)
{
	size_t len;
	uint8_t *csr = csr_make(spec, &len);
	int r;

	r = signet_request_from_csr(profile("srv"), csr, len, opts, req);
	free(csr);
	return r;
}

static void
test_request_validity(void **state)
{
	static const struct {
		int64_t asked, got;
		const char *msg;
	} t[] = {
		{ 0, 90 * 86400, NULL },
		{ 3600, 3600, NULL },
		{ 199 * 86400, 199 * 86400, NULL },
		{ 199 * 86400 + 1, 0,
		    "requested validity 199d1s is longer than profile srv "
		    "allows (199d)" },
		{ 398 * 86400, 0, "requested validity 398d" },
		{ -1, 0, "the requested validity is negative" },
	};
	struct signet_request_opts opts;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct signet_request *req = NULL;
		int r;

		memset(&opts, 0, sizeof(opts));
		opts.validity = t[i].asked;
		r = run_csr(&plain_csr, &opts, &req);
		if (t[i].msg == NULL) {
			if (r != 0)
				fail_msg("%lld: %s", (long long)t[i].asked,
				    signet_error_message());
			assert_int_equal(req->validity, t[i].got);
		} else {
			assert_int_equal(r, SIGNET_ERR_POLICY);
			assert_non_null(
			    strstr(signet_error_message(), t[i].msg));
		}
		signet_request_free(req);
	}
}

static void
test_request_size_cap(void **state)
{
	struct signet_request_opts opts;
	struct signet_request *req = NULL;
	uint8_t *csr, *big;
	size_t len;

	(void)state;
	memset(&opts, 0, sizeof(opts));
	csr = csr_make(&plain_csr, &len);
	opts.max_csr_size = len - 1;
	assert_int_equal(signet_request_from_csr(profile("srv"), csr, len,
			     &opts, &req),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "byte limit"));
	opts.max_csr_size = len;
	assert_int_equal(signet_request_from_csr(profile("srv"), csr, len,
			     &opts, &req),
	    0);
	signet_request_free(req);
	/* The default cap is 64 KiB: pad a PEM request with whitespace. */
	assert_non_null(big = malloc(SIGNET_CSR_MAX_DEFAULT + 1));
	memset(big, '\n', SIGNET_CSR_MAX_DEFAULT + 1);
	memcpy(big, csr, len);
	req = NULL;
	assert_int_equal(signet_request_from_csr(profile("srv"), big,
			     SIGNET_CSR_MAX_DEFAULT, NULL, &req),
	    0);
	signet_request_free(req);
	req = NULL;
	assert_int_equal(signet_request_from_csr(profile("srv"), big,
			     SIGNET_CSR_MAX_DEFAULT + 1, NULL, &req),
	    SIGNET_ERR_POLICY);
	assert_null(req);
	assert_non_null(strstr(signet_error_message(), "65536 byte limit"));
	free(big);
	free(csr);
}

/* Offset of needle in a DER buffer (the test's own CSR: present once). */
static size_t
find_bytes(const uint8_t *der, size_t len, const uint8_t *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(der + i, needle, n) == 0)
			return i;
	fail_msg("bytes not found");
	return 0;
}

static void
expect_key_refused(uint8_t *csr, size_t len, const char *msg)
{
	struct signet_request *req = NULL;

	assert_int_equal(signet_request_from_csr(profile("srv"), csr, len, NULL,
			     &req),
	    SIGNET_ERR_POLICY);
	assert_null(req);
	if (msg != NULL && strstr(signet_error_message(), msg) == NULL)
		fail_msg("'%s' not in: %s", msg, signet_error_message());
}

/*
 * The key is built from its numbers (keycheck.c), not by OpenSSL's
 * decoders: what they refused is refused here too.
 */
static void
test_request_key_numbers(void **state)
{
	static const uint8_t ec_point[] = { 0x03, 0x42, 0x00, 0x04 };
	static const uint8_t rsa_e[] = { 0x02, 0x03, 0x01, 0x00, 0x01 };
	static const uint8_t rsa_n[] = { 0x02, 0x82, 0x01, 0x01, 0x00 };
	struct csr_spec s = plain_csr;
	uint8_t *csr;
	size_t len, at;

	(void)state;
	s.der = 1;
	/* A point off the curve: y changed. */
	csr = csr_make(&s, &len);
	at = find_bytes(csr, len, ec_point, sizeof(ec_point));
	csr[at + sizeof(ec_point) + 63] ^= 0x01;
	expect_key_refused(csr, len, "is not a point on ec-p256");
	free(csr);
	/* RSA: a negative exponent, a modulus with a needless zero octet. */
	s.key = &k_rsa;
	csr = csr_make(&s, &len);
	at = find_bytes(csr, len, rsa_e, sizeof(rsa_e));
	csr[at + 2] = 0x81;
	expect_key_refused(csr, len, "the RSA public key does not decode");
	free(csr);
	csr = csr_make(&s, &len);
	at = find_bytes(csr, len, rsa_n, sizeof(rsa_n));
	csr[at + sizeof(rsa_n)] &= 0x7f;
	expect_key_refused(csr, len, NULL);
	free(csr);
}

/*
 * EC keys are copies of their curve's parameters with the point set
 * (keycheck.c): the key a request carries is the CSR's own, on every
 * curve, and a point off a curve other than P-256 is refused as well.
 */
static void
test_request_key_curve_templates(void **state)
{
	static const uint8_t ec384_point[] = { 0x03, 0x62, 0x00, 0x04 };
	struct csr_spec s = plain_csr;
	struct signet_request *req = NULL;
	uint8_t *csr;
	size_t len, at;
	int round;

	(void)state;
	s.der = 1;
	s.key = &k_ec384;
	s.md = "SHA384";
	/* Twice: the first builds the templates, the second copies them. */
	for (round = 0; round < 2; round++) {
		csr = csr_make(&s, &len);
		assert_int_equal(signet_request_from_csr(profile("srv"), csr,
				     len, NULL, &req),
		    0);
		assert_int_equal(EVP_PKEY_eq(req->pubkey, k_ec384), 1);
		assert_int_equal(EVP_PKEY_get_bits(req->pubkey), 384);
		signet_request_free(req);
		req = NULL;
		free(csr);
	}
	csr = csr_make(&s, &len);
	at = find_bytes(csr, len, ec384_point, sizeof(ec384_point));
	csr[at + sizeof(ec384_point) + 95] ^= 0x01;
	expect_key_refused(csr, len, "is not a point on ec-p384");
	free(csr);
}

struct blocked_arg {
	uint8_t hash[32];
	int answer;
	unsigned calls;
};

static int
blocked_cb(void *arg, const uint8_t spki_sha256[32])
{
	struct blocked_arg *b = arg;

	b->calls++;
	memcpy(b->hash, spki_sha256, 32);
	if (b->answer < 0)
		return signet_error_set(b->answer, "the key store is down");
	return b->answer;
}

static void
test_request_blocked_keys(void **state)
{
	struct signet_request_opts opts;
	struct signet_request *req = NULL;
	struct blocked_arg arg;
	unsigned char *der = NULL;
	uint8_t want[32];
	char hex[65];
	int len;

	(void)state;
	assert_true((len = i2d_PUBKEY(k_ec256, &der)) > 0);
	assert_int_equal(sha256(der, (size_t)len, want), 0);
	OPENSSL_free(der);
	hex_encode(want, 32, hex);

	memset(&opts, 0, sizeof(opts));
	memset(&arg, 0, sizeof(arg));
	opts.is_blocked = blocked_cb;
	opts.is_blocked_arg = &arg;
	assert_int_equal(run_csr(&plain_csr, &opts, &req), 0);
	assert_int_equal(arg.calls, 1);
	assert_memory_equal(arg.hash, want, 32);
	assert_memory_equal(req->spki_sha256, want, 32);
	signet_request_free(req);

	arg.answer = 1;
	req = NULL;
	assert_int_equal(run_csr(&plain_csr, &opts, &req), SIGNET_ERR_POLICY);
	assert_null(req);
	assert_non_null(strstr(signet_error_message(),
	    "the public key is on the compromised-key list"));
	assert_non_null(strstr(signet_error_message(), hex));

	/* If the list cannot be read, nothing is issued. */
	arg.answer = SIGNET_ERR_STORE;
	assert_int_equal(run_csr(&plain_csr, &opts, &req), SIGNET_ERR_STORE);
	assert_null(req);
	assert_non_null(strstr(signet_error_message(),
	    "checking the compromised-key list: the key store is down"));
}

static void
test_request_ca_key_refused(void **state)
{
	struct signet_request_opts opts;
	struct signet_request *req = NULL;
	EVP_PKEY *ca_keys[2] = { k_other, NULL };

	(void)state;
	memset(&opts, 0, sizeof(opts));
	opts.ca_keys = ca_keys;
	opts.n_ca_keys = 1;
	assert_int_equal(run_csr(&plain_csr, &opts, &req), 0);
	signet_request_free(req);
	req = NULL;
	ca_keys[1] = k_ec256;
	opts.n_ca_keys = 2;
	assert_int_equal(run_csr(&plain_csr, &opts, &req), SIGNET_ERR_POLICY);
	assert_null(req);
	assert_non_null(strstr(signet_error_message(),
	    "the public key is the CA's own key"));
}

/* ---- Requests from a key and names (ceremonies)
 * ------------------------------------------- */

static X509_NAME *
name_of(const char *spec)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	csr_subject(n, spec);
	return n;
}

static void
test_request_from_key(void **state)
{
	const struct signet_san sans[] = {
		{ SIGNET_SAN_DNS, (char *)"Svc.Example.com", { 0 }, 0 },
		{ SIGNET_SAN_IP, (char *)"2606:2800:0220:0001::0001", { 0 },
		    0 },
	};
	const struct signet_san bad_ip[] = {
		{ SIGNET_SAN_IP, (char *)"93.184.216", { 0 }, 0 },
	};
	struct signet_request *req = NULL;
	X509_NAME *subject = name_of("CN=svc.example.com;L=Berlin");
	char text[512];

	(void)state;
	if (signet_request_from_key(profile("srv"), k_ec256, subject, sans, 2,
		NULL, &req) != 0)
		fail_msg("%s", signet_error_message());
	assert_int_equal(req->n_sans, 2);
	assert_int_equal(req->sans[0].type, SIGNET_SAN_DNS);
	assert_string_equal(req->sans[0].value, "svc.example.com");
	assert_int_equal(req->sans[1].type, SIGNET_SAN_IP);
	assert_string_equal(req->sans[1].value, "2606:2800:220:1::1");
	assert_int_equal(req->sans[1].ip_len, 16);
	assert_int_equal(req->sans[1].ip[0], 0x26);
	assert_int_equal(req->sans[1].ip[15], 0x01);
	X509_NAME_oneline(req->subject, text, sizeof(text));
	assert_string_equal(text,
	    "/C=US/L=Berlin/O=Example Corp/CN=svc.example.com");
	assert_int_equal(EVP_PKEY_eq(req->pubkey, k_ec256), 1);
	signet_request_free(req);
	req = NULL;

	assert_int_equal(signet_request_from_key(profile("srv"), k_ec256,
			     subject, bad_ip, 1, NULL, &req),
	    SIGNET_ERR_POLICY);
	assert_null(req);
	assert_non_null(strstr(signet_error_message(),
	    "iPAddress '93.184.216' is not an IPv4 or IPv6 address"));

	/* The same key checks as for a CSR. */
	assert_int_equal(signet_request_from_key(profile("srv"), k_rsa_e3,
			     subject, sans, 2, NULL, &req),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(),
	    "RSA public exponent 3 is not 65537"));
	assert_int_equal(signet_request_from_key(profile("srv"), k_ec521,
			     subject, sans, 2, NULL, &req),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "ec-p521"));
	assert_int_equal(signet_request_from_key(profile("srv"), NULL, subject,
			     sans, 2, NULL, &req),
	    SIGNET_ERR_USAGE);
	X509_NAME_free(subject);
}

/* Over the hard limit the message quotes the limit, not a profile's max. */
static void
test_request_san_limit(void **state)
{
	struct signet_san *many = calloc(1001, sizeof(*many));
	struct signet_request *req = NULL;
	size_t i;

	(void)state;
	assert_non_null(many);
	for (i = 0; i < 1001; i++) {
		many[i].type = SIGNET_SAN_DNS;
		many[i].value = (char *)"a.example.com";
	}
	assert_int_equal(signet_request_from_key(profile("srv"), k_ec256, NULL,
			     many, 1001, NULL, &req),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(),
	    "1001 SANs requested; no profile allows more than 1000"));
	assert_null(req);
	free(many);
}

static void
test_request_from_key_ca(void **state)
{
	struct signet_request_opts opts;
	struct signet_request *req = NULL;
	X509_NAME *subject = name_of("O=Example Corp;OU=PKI;CN=Example Root");
	EVP_PKEY *ca_keys[1] = { k_rsa };
	char text[256];

	(void)state;
	memset(&opts, 0, sizeof(opts));
	opts.validity = 3650 * 86400LL;
	if (signet_request_from_key(profile("ca"), k_rsa, subject, NULL, 0,
		&opts, &req) != 0)
		fail_msg("%s", signet_error_message());
	X509_NAME_oneline(req->subject, text, sizeof(text));
	assert_string_equal(text, "/O=Example Corp/OU=PKI/CN=Example Root");
	assert_int_equal(req->n_sans, 0);
	assert_int_equal(req->validity, 3650 * 86400LL);
	assert_int_equal(req->key_usage,
	    SIGNET_KU_KEY_CERT_SIGN | SIGNET_KU_CRL_SIGN);
	signet_request_free(req);
	req = NULL;

	/* A CA profile still wants its CN. */
	assert_int_equal(signet_request_from_key(profile("ca"), k_rsa, NULL,
			     NULL, 0, NULL, &req),
	    SIGNET_ERR_POLICY);
	assert_non_null(
	    strstr(signet_error_message(), "profile ca requires a subject CN"));
	/* Nor may a subordinate reuse the issuer's key. */
	opts.ca_keys = ca_keys;
	opts.n_ca_keys = 1;
	assert_int_equal(signet_request_from_key(profile("ca"), k_rsa, subject,
			     NULL, 0, &opts, &req),
	    SIGNET_ERR_POLICY);
	assert_non_null(strstr(signet_error_message(), "CA's own key"));
	X509_NAME_free(subject);
	signet_request_free(NULL);
	assert_string_equal(signet_san_type_name(SIGNET_SAN_URI),
	    "uniformResourceIdentifier");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_rules),
		cmocka_unit_test(test_request_validity),
		cmocka_unit_test(test_request_size_cap),
		cmocka_unit_test(test_request_key_numbers),
		cmocka_unit_test(test_request_key_curve_templates),
		cmocka_unit_test(test_request_blocked_keys),
		cmocka_unit_test(test_request_ca_key_refused),
		cmocka_unit_test(test_request_from_key),
		cmocka_unit_test(test_request_san_limit),
		cmocka_unit_test(test_request_from_key_ca),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
