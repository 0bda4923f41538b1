/*
 * signet.yaml: defaults, relative paths, every rule with a passing and a
 * failing case (the failing ones name file:line and the reason), file and
 * directory permissions, and where signet looks for the file.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "signet/ca.h"

#define BASE                                         \
	"version: 1\n"                               \
	"token:\n"                                   \
	"  key: \"pkcs11:token=ca;object=ca-key\"\n" \
	"certificate: ca.pem\n"                      \
	"policy: policy.yaml\n"                      \
	"audit:\n"                                   \
	"  key: \"pkcs11:token=ca;object=audit-key\"\n"

static char dir[PATH_MAX];

static const char *
write_config(const char *name, const char *text)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fx_write(path, text, strlen(text));
	assert_int_equal(chmod(path, 0600), 0);
	return path;
}

static void
assert_message_has(const char *needle)
{
	if (strstr(signet_error_message(), needle) == NULL)
		fail_msg("'%s' not in: %s", needle, signet_error_message());
}

static void
test_defaults_and_paths(void **state)
{
	struct signet_ca_config *c = NULL;
	char want[PATH_MAX + 64];
	const char *path = write_config("ok.yaml",
	    BASE "  module: ./softhsm.so\n"
		 "  pin-source: file:audit.pin\n"
		 "chain: /etc/signet/chain.pem\n"
		 "database: sqlite:db/signet.db\n"
		 "crl:\n  next-update: 5d\n  delta-next-update: 12h\n"
		 "  freshest-url: http://pki.example.com/delta.crl\n"
		 "issuance:\n  serial-length: 16\n  batch-size: 64\n"
		 "  workers: 3\n");

	(void)state;
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	snprintf(want, sizeof(want), "%s/ca.pem", dir);
	assert_string_equal(c->certificate, want);
	assert_string_equal(c->chain, "/etc/signet/chain.pem");
	snprintf(want, sizeof(want), "sqlite:%s/db/signet.db", dir);
	assert_string_equal(c->database, want);
	snprintf(want, sizeof(want), "%s/audit.log", dir);
	assert_string_equal(c->audit_log, want);
	snprintf(want, sizeof(want), "%s/./softhsm.so", dir);
	assert_string_equal(c->audit_module, want);
	snprintf(want, sizeof(want), "file:%s/audit.pin", dir);
	assert_string_equal(c->audit_pin_source, want);
	assert_null(c->module);
	assert_null(c->pin_source);
	assert_int_equal(c->crl_next_update, 5 * 86400);
	assert_int_equal(c->crl_delta_next_update, 12 * 3600);
	assert_string_equal(c->crl_freshest_url,
	    "http://pki.example.com/delta.crl");
	assert_null(c->crl_idp_url);
	assert_int_equal(c->serial_length, 16);
	assert_int_equal(c->batch_size, 64);
	assert_int_equal(c->workers, 3);
	assert_int_equal(c->checkpoint_interval, 1000);
	assert_false(c->accept_restored_key);
	assert_false(c->audit_accept_restored_key);
	signet_ca_config_free(c);

	/* Restored keys: each key on its own say. */
	path =
	    write_config("restored.yaml", BASE "  accept-restored-key: true\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_false(c->accept_restored_key);
	assert_true(c->audit_accept_restored_key);
	signet_ca_config_free(c);
	path = write_config("restored.yaml",
	    "version: 1\ntoken:\n  key: \"pkcs11:object=k\"\n"
	    "  accept-restored-key: true\ncertificate: c\npolicy: p\n"
	    "audit:\n  key: \"pkcs11:object=a\"\n"
	    "  accept-restored-key: false\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_true(c->accept_restored_key);
	assert_false(c->audit_accept_restored_key);
	signet_ca_config_free(c);

	/* The defaults. */
	path = write_config("min.yaml", BASE);
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	snprintf(want, sizeof(want), "sqlite:%s/signet.db", dir);
	assert_string_equal(c->database, want);
	assert_int_equal(c->crl_next_update, 7 * 86400);
	assert_int_equal(c->crl_delta_next_update, 86400);
	assert_int_equal(c->serial_length, 20);
	assert_int_equal(c->batch_size, 128);
	assert_int_equal(c->workers, 0);
	signet_ca_config_free(c);
	signet_ca_config_free(NULL);
}

static void
test_pin_sources(void **state)
{
	static const struct {
		const char *spec, *want; /* want: NULL means refused */
	} t[] = {
		{ "env:SIGNET_PIN", "env:SIGNET_PIN" },
		{ "prompt", "prompt" },
		{ "file:/etc/signet/ca.pin", "file:/etc/signet/ca.pin" },
		{ "file:///etc/signet/ca.pin", "file:/etc/signet/ca.pin" },
		{ "123456", NULL },
		{ "env:", NULL },
		{ "file:", NULL },
	};
	struct signet_ca_config *c = NULL;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text),
		    "version: 1\ntoken:\n  key: \"pkcs11:object=k\"\n"
		    "  pin-source: \"%s\"\n"
		    "certificate: ca.pem\npolicy: p.yaml\n"
		    "audit:\n  key: \"pkcs11:object=a\"\n",
		    t[i].spec);
		if (t[i].want != NULL) {
			assert_int_equal(signet_ca_config_load(write_config("pi"
									    "n."
									    "ya"
									    "m"
									    "l",
								   text),
					     &c),
			    0);
			assert_string_equal(c->pin_source, t[i].want);
			signet_ca_config_free(c);
			continue;
		}
		assert_int_equal(signet_ca_config_load(write_config("pin.yaml",
							   text),
				     &c),
		    SIGNET_ERR_CONFIG);
		assert_message_has("pin.yaml:4:");
		assert_message_has("token.pin-source ");
		/* A PIN written there by mistake is never echoed. */
		if (strcmp(t[i].spec, "123456") == 0)
			assert_null(strstr(signet_error_message(), "123456"));
	}
}

static void
test_refusals(void **state)
{
	static const struct {
		const char *name, *text, *where, *why;
	} t[] = {
		/* Not at a line: about the file ("bad.yaml: ..."). */
		{ "no version", "token:\n  key: \"pkcs11:object=k\"\n", ": ",
		    "version: 1 is required" },
		{ "version 2", "version: 2\n", ":1:", "version 2" },
		{ "unknown key", BASE "colour: blue\n",
		    ":8:", "unknown key 'colour'" },
		{ "unknown nested key", BASE "crl:\n  next_update: 7d\n",
		    ":9:", "unknown key 'next_update'" },
		{ "duplicate key", BASE "policy: other.yaml\n",
		    ":8:", "duplicate key 'policy'" },
		{ "no token key",
		    "version: 1\ncertificate: c\npolicy: p\naudit:\n"
		    "  key: \"pkcs11:object=a\"\n",
		    ": ", "token.key is required" },
		{ "a PIN in the key URI",
		    "version: 1\ntoken:\n"
		    "  key: \"pkcs11:object=k?pin-value=1234\"\n",
		    ":3:", "token.key" },
		{ "not a URI",
		    "version: 1\ntoken:\n  key: \"ca-key\"\ncertificate: c\n",
		    ":3:", "token.key" },
		{ "no audit key",
		    "version: 1\ntoken:\n  key: \"pkcs11:object=k\"\n"
		    "certificate: c\npolicy: p\n",
		    ": ", "audit.key is required" },
		{ "no certificate",
		    "version: 1\ntoken:\n  key: \"pkcs11:object=k\"\n"
		    "policy: p\naudit:\n  key: \"pkcs11:object=a\"\n",
		    ": ", "certificate is required" },
		{ "no policy",
		    "version: 1\ntoken:\n  key: \"pkcs11:object=k\"\n"
		    "certificate: c\naudit:\n  key: \"pkcs11:object=a\"\n",
		    ": ", "policy is required" },
		{ "CRL valid too long", BASE "crl:\n  next-update: 11d\n",
		    ":9:", "10 days" },
		{ "CRL period not a duration",
		    BASE "crl:\n  next-update: soon\n",
		    ":9:", "not a duration" },
		{ "delta longer than full",
		    BASE "crl:\n  next-update: 2d\n  delta-next-update: 3d\n",
		    ":10:", "delta CRL is the short-lived one" },
		{ "https freshest URL",
		    BASE
		    "crl:\n  freshest-url: https://pki.example.com/d.crl\n",
		    ":9:", "not an http:// URL" },
		{ "a space in the IDP URL",
		    BASE "crl:\n  idp-url: \"http://pki.example.com/a b\"\n",
		    ":9:", "space" },
		{ "serials too short", BASE "issuance:\n  serial-length: 15\n",
		    ":9:", "outside 16..20" },
		{ "serials too long", BASE "issuance:\n  serial-length: 21\n",
		    ":9:", "outside 16..20" },
		{ "empty batches", BASE "issuance:\n  batch-size: 0\n",
		    ":9:", "outside 1..4096" },
		{ "too many workers", BASE "issuance:\n  workers: 999\n",
		    ":9:", "outside 0..256" },
		{ "a word for a number", BASE "issuance:\n  workers: many\n",
		    ":9:", "not a number" },
		{ "a list for a mapping", BASE "crl: [1, 2]\n",
		    ":8:", "expected keys and values" },
		{ "accept-restored-key neither true nor false",
		    BASE "  accept-restored-key: yes\n",
		    ":8:", "audit.accept-restored-key must be true or false" },
		{ "accept-restored-key empty",
		    "version: 1\ntoken:\n  key: \"pkcs11:object=k\"\n"
		    "  accept-restored-key: \"\"\ncertificate: c\npolicy: p\n"
		    "audit:\n  key: \"pkcs11:object=a\"\n",
		    ":4:", "token.accept-restored-key must be true or false" },
		/* libcyaml alone reads these as 20, 8, 16 and 1. */
		{ "digits and a word",
		    BASE "issuance:\n  serial-length: 20abc\n",
		    ":9:", "'20abc' is not a whole number" },
		{ "a leading zero (octal)", BASE "issuance:\n  workers: 010\n",
		    ":9:", "issuance.workers: '010' is not a whole number" },
		{ "hex", BASE "issuance:\n  batch-size: 0x10\n",
		    ":9:", "'0x10' is not a whole number" },
		{ "a fraction", "version: 1.9\n",
		    ":1:", "version: '1.9' is not a whole number" },
	};
	struct signet_ca_config *c = NULL;
	char where[PATH_MAX + 16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *path = write_config("bad.yaml", t[i].text);

		c = NULL;
		if (signet_ca_config_load(path, &c) != SIGNET_ERR_CONFIG)
			fail_msg("%s: loaded", t[i].name);
		assert_null(c);
		snprintf(where, sizeof(where), "bad.yaml%s", t[i].where);
		if (strstr(signet_error_message(), where) == NULL ||
		    strstr(signet_error_message(), t[i].why) == NULL)
			fail_msg("%s: want '%s' and '%s' in: %s", t[i].name,
			    where, t[i].why, signet_error_message());
	}
}

#define HTTPS                                                    \
	"  https:\n    listen: 127.0.0.1:8443\n    key: k.pem\n" \
	"    certificate: c.pem\n"

/* serve: (docs/serve.md): defaults, values, and what is refused. */
static void
test_serve_section(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		const char *why;
	} bad[] = {
		{ "root as the front end's user", "serve:\n  user: root\n",
		    "not root" },
		{ "no port", "serve:\n  listen: 127.0.0.1\n",
		    "is not ADDRESS:PORT" },
		{ "port 0", "serve:\n  listen: 127.0.0.1:0\n",
		    "is not ADDRESS:PORT" },
		{ "port too big", "serve:\n  listen: \"[::1]:65536\"\n",
		    "is not ADDRESS:PORT" },
		{ "an issuer name with a slash", "serve:\n  issuer-name: a/b\n",
		    "serve.issuer-name" },
		{ "an issuer name with dots", "serve:\n  issuer-name: ..ca\n",
		    "serve.issuer-name" },
		{ "upper case", "serve:\n  issuer-name: CA\n",
		    "serve.issuer-name" },
		{ "no threads", "serve:\n  threads: 0\n",
		    "serve.threads 0 is outside" },
		{ "tiny headers", "serve:\n  max-header-size: 100\n",
		    "serve.max-header-size 100 is outside" },
		{ "a check interval over a minute",
		    "serve:\n  crl:\n    check-interval: 2m\n",
		    "serve.crl.check-interval '2m' is not a duration" },
		{ "a CRL interval over 10 days",
		    "serve:\n  crl:\n    interval: 11d\n",
		    "serve.crl.interval '11d'" },
		{ "an unknown key", "serve:\n  port: 80\n", "port" },
		{ "an OCSP lifetime over ten days (BR 4.9.10)",
		    "serve:\n  ocsp:\n    lifetime: 11d\n",
		    "serve.ocsp.lifetime '11d'" },
		{ "an OCSP lifetime under an hour",
		    "serve:\n  ocsp:\n    lifetime: 59m\n",
		    "serve.ocsp.lifetime '59m'" },
		{ "an OCSP signer neither delegated nor ca",
		    "serve:\n  ocsp:\n    signer: root\n",
		    "serve.ocsp.signer 'root' is neither delegated" },
		{ "HTTPS without a certificate",
		    "serve:\n  https:\n    listen: 127.0.0.1:8443\n",
		    "needs certificate and key" },
		{ "an HTTPS key without listen",
		    "serve:\n  https:\n    key: k.pem\n    certificate: "
		    "c.pem\n",
		    "no listen" },
		{ "HTTPS on no port",
		    "serve:\n  https:\n    listen: localhost\n"
		    "    key: k.pem\n    certificate: c.pem\n",
		    "serve.https.listen 'localhost' is not ADDRESS:PORT" },
		{ "an ACME profile with a slash",
		    "serve:\n  acme:\n    profiles: a/b\n",
		    "serve.acme.profiles" },
		{ "an ACME range that is a name",
		    "serve:\n  acme:\n    validation-allow: localhost\n",
		    "serve.acme.validation-allow" },
		{ "an ACME resolve entry with a slash",
		    "serve:\n  acme:\n    resolve: a/b=1.2.3.4\n",
		    "serve.acme.resolve" },
		{ "a DNS server that is a name",
		    "serve:\n  acme:\n    dns-servers: ns.example.com\n",
		    "serve.acme.dns-servers" },
		{ "an EAB profile with a slash",
		    "serve:\n  acme:\n    profiles: a\n    eab-required: a/b\n",
		    "serve.acme.eab-required" },
		{ "http-01 on port 0",
		    "serve:\n  acme:\n    profiles: a\n    http-01-port: 0\n",
		    "serve.acme.http-01-port 0 is outside" },
		{ "no new orders at all",
		    "serve:\n  acme:\n    orders-per-hour: 0\n",
		    "serve.acme.orders-per-hour 0 is outside" },
		{ "no pending authorization at all",
		    "serve:\n  acme:\n    pending-authorizations: 0\n",
		    "serve.acme.pending-authorizations 0 is outside" },
		{ "no certificate per name",
		    "serve:\n  acme:\n    certificates-per-name-per-week: 0\n",
		    "serve.acme.certificates-per-name-per-week 0 is outside" },
		{ "more bad nonces than nonces",
		    "serve:\n  acme:\n    test-bad-nonce-percent: 101\n",
		    "serve.acme.test-bad-nonce-percent" },
		{ "tls-alpn-01 on port 65536",
		    "serve:\n  acme:\n    profiles: a\n"
		    "    tls-alpn-01-port: 65536\n",
		    "serve.acme.tls-alpn-01-port 65536 is outside" },
		{ "EST without HTTPS", "serve:\n  est:\n    - profile: mtls\n",
		    "serve.est needs serve.https" },
		{ "EST without a profile",
		    "serve:\n" HTTPS "  est:\n    - allow-key-reuse: true\n",
		    "needs a profile" },
		{ "EST with a profile not fit for a URL",
		    "serve:\n" HTTPS "  est:\n    - profile: a/b\n",
		    "needs a profile" },
		{ "EST naming a profile twice",
		    "serve:\n" HTTPS "  est:\n    - profile: mtls\n"
		    "    - profile: mtls\n",
		    "names profile mtls twice" },
		{ "EST with a flag that is not a boolean",
		    "serve:\n" HTTPS "  est:\n    - profile: mtls\n"
		    "      allow-key-reuse: yes\n",
		    "serve.est.allow-key-reuse must be true or false" },
		{ "EST with a grace over 30 days",
		    "serve:\n" HTTPS "  est:\n    - profile: mtls\n"
		    "      reenroll-grace: 31d\n",
		    "serve.est.reenroll-grace '31d'" },
		{ "EST with an unknown key",
		    "serve:\n" HTTPS "  est:\n    - profile: mtls\n"
		    "      renew: always\n",
		    "renew" },
	};
	struct signet_ca_config *c = NULL;
	char text[1024], want[PATH_MAX + 32];
	const char *path;
	size_t i;

	(void)state;
	path = write_config("serve.yaml", BASE);
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_string_equal(c->serve_user, "signet");
	assert_string_equal(c->serve_listen, "127.0.0.1:8080");
	assert_string_equal(c->serve_issuer_name, "ca");
	assert_null(c->serve_frontend);
	assert_int_equal(c->serve_threads, 4);
	assert_int_equal(c->serve_max_connections, 1024);
	assert_int_equal(c->serve_max_per_client, 32);
	assert_int_equal(c->serve_max_header, 8192);
	assert_int_equal(c->serve_idle_timeout, 10);
	assert_int_equal(c->serve_crl_interval, 86400);
	assert_int_equal(c->serve_crl_check, 30);
	assert_null(c->serve_https_listen);
	assert_int_equal(c->serve_ocsp, 0);
	signet_ca_config_free(c);

	/* OCSP: on with its section, even empty; default lifetime 4 days. */
	path = write_config("serve.yaml", BASE "serve:\n  ocsp: {}\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_int_equal(c->serve_ocsp, 1);
	assert_int_equal(c->serve_ocsp_lifetime, 4 * 86400);
	assert_int_equal(c->serve_ocsp_ca_signs, 0); /* delegated */
	signet_ca_config_free(c);
	path = write_config("serve.yaml",
	    BASE "serve:\n  ocsp:\n    signer: delegated\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_int_equal(c->serve_ocsp_ca_signs, 0);
	signet_ca_config_free(c);
	path = write_config("serve.yaml",
	    BASE "serve:\n  ocsp:\n    lifetime: 10d\n    signer: ca\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_int_equal(c->serve_ocsp_lifetime, 10 * 86400);
	assert_int_equal(c->serve_ocsp_ca_signs, 1);
	assert_null(c->serve_acme_profiles);
	assert_null(c->serve_acme_eab_required);
	assert_int_equal(c->serve_acme_http_port, 80);
	assert_int_equal(c->serve_acme_orders_per_hour, 300);
	assert_int_equal(c->serve_acme_pending_authz, 1000);
	assert_int_equal(c->serve_acme_certs_per_name, 50);
	assert_int_equal(c->serve_acme_test_bad_nonce, 0);
	assert_int_equal(c->serve_acme_tls_alpn_port, 443);
	signet_ca_config_free(c);

	path = write_config("serve.yaml",
	    BASE "serve:\n  acme:\n    profiles: tls-server, web\n"
		 "    http-01-port: 8080\n"
		 "    tls-alpn-01-port: 8443\n"
		 "    validation-allow: 10.0.0.0/8 ::1/128\n"
		 "    resolve: www.example.com=127.0.0.1\n"
		 "    dns-servers: 127.0.0.1:5353\n"
		 "    eab-required: web\n"
		 "    orders-per-hour: 20\n    pending-authorizations: 30\n"
		 "    certificates-per-name-per-week: 5\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_int_equal(c->serve_acme_orders_per_hour, 20);
	assert_int_equal(c->serve_acme_pending_authz, 30);
	assert_int_equal(c->serve_acme_certs_per_name, 5);
	assert_string_equal(c->serve_acme_profiles, "tls-server, web");
	assert_string_equal(c->serve_acme_eab_required, "web");
	assert_true(signet_ca_config_listed(c->serve_acme_eab_required, "web"));
	assert_false(signet_ca_config_listed(c->serve_acme_eab_required, "we"));
	assert_true(signet_ca_config_listed(c->serve_acme_profiles, "web"));
	assert_true(
	    signet_ca_config_listed(c->serve_acme_profiles, "tls-server"));
	assert_false(signet_ca_config_listed(NULL, "web"));
	assert_int_equal(c->serve_acme_http_port, 8080);
	assert_int_equal(c->serve_acme_tls_alpn_port, 8443);
	assert_string_equal(c->serve_acme_allow, "10.0.0.0/8 ::1/128");
	assert_string_equal(c->serve_acme_resolve, "www.example.com=127.0.0.1");
	assert_string_equal(c->serve_acme_dns, "127.0.0.1:5353");
	signet_ca_config_free(c);
	path = write_config("serve.yaml",
	    BASE "serve:\n  acme:\n    test-bad-nonce-percent: 30\n");
#ifdef SIGNET_TEST_HOOKS
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_int_equal(c->serve_acme_test_bad_nonce, 30);
#else
	assert_int_equal(signet_ca_config_load(path, &c), SIGNET_ERR_CONFIG);
	c = NULL;
#endif
	signet_ca_config_free(c);

	path = write_config("serve.yaml",
	    BASE "serve:\n  user: www\n  frontend: bin/fe\n"
		 "  listen: \"[::1]:8443\"\n  issuer-name: int-2026.a_b\n"
		 "  threads: 2\n  max-connections: 10\n"
		 "  max-connections-per-client: 3\n  max-header-size: 2048\n"
		 "  idle-timeout: 5\n  crl:\n    interval: 6h\n"
		 "    check-interval: 1s\n  https:\n    listen: 0.0.0.0:443\n"
		 "    certificate: /etc/tls/chain.pem\n    key: tls/key.pem\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_string_equal(c->serve_user, "www");
	snprintf(want, sizeof(want), "%s/bin/fe", dir);
	assert_string_equal(c->serve_frontend, want);
	assert_string_equal(c->serve_listen, "[::1]:8443");
	assert_string_equal(c->serve_issuer_name, "int-2026.a_b");
	assert_int_equal(c->serve_threads, 2);
	assert_int_equal(c->serve_max_connections, 10);
	assert_int_equal(c->serve_max_per_client, 3);
	assert_int_equal(c->serve_max_header, 2048);
	assert_int_equal(c->serve_idle_timeout, 5);
	assert_int_equal(c->serve_crl_interval, 6 * 3600);
	assert_int_equal(c->serve_crl_check, 1);
	snprintf(want, sizeof(want), "%s/tls/key.pem", dir);
	assert_string_equal(c->serve_https_key, want);
	assert_string_equal(c->serve_https_cert, "/etc/tls/chain.pem");
	assert_string_equal(c->serve_https_listen, "0.0.0.0:443");
	assert_int_equal(c->serve_n_est, 0);
	signet_ca_config_free(c);

	path = write_config("serve.yaml",
	    BASE "serve:\n" HTTPS "  est:\n    - profile: mtls\n"
		 "      revoke-superseded: true\n      reenroll-grace: 1h\n"
		 "    - profile: tls-client\n      allow-key-reuse: true\n"
		 "      allow-name-change: true\n");
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	assert_int_equal(c->serve_n_est, 2);
	assert_string_equal(c->serve_est[0].profile, "mtls");
	assert_int_equal(c->serve_est[0].revoke_superseded, 1);
	assert_int_equal(c->serve_est[0].allow_key_reuse, 0);
	assert_int_equal(c->serve_est[0].allow_name_change, 0);
	assert_int_equal(c->serve_est[0].reenroll_grace, 3600);
	assert_string_equal(c->serve_est[1].profile, "tls-client");
	assert_int_equal(c->serve_est[1].revoke_superseded, 0);
	assert_int_equal(c->serve_est[1].allow_key_reuse, 1);
	assert_int_equal(c->serve_est[1].allow_name_change, 1);
	assert_int_equal(c->serve_est[1].reenroll_grace, 0);
	signet_ca_config_free(c);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", BASE, bad[i].text);
		path = write_config("serve.yaml", text);
		c = NULL;
		if (signet_ca_config_load(path, &c) != SIGNET_ERR_CONFIG)
			fail_msg("%s: loaded", bad[i].name);
		assert_null(c);
		if (strstr(signet_error_message(), bad[i].why) == NULL)
			fail_msg("%s: want '%s' in: %s", bad[i].name,
			    bad[i].why, signet_error_message());
	}
}

static void
test_permissions(void **state)
{
	struct signet_ca_config *c = NULL;
	const char *path = write_config("perm.yaml", BASE);
	char open_dir[PATH_MAX + 16], inner[PATH_MAX + 32];

	(void)state;
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(signet_ca_config_load(path, &c), SIGNET_ERR_CONFIG);
	assert_message_has("chmod go-w");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(signet_ca_config_load(path, &c), 0);
	signet_ca_config_free(c);

	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	assert_int_equal(mkdir(open_dir, 0777), 0);
	assert_int_equal(chmod(open_dir, 0777), 0);
	snprintf(inner, sizeof(inner), "%s/signet.yaml", open_dir);
	fx_write(inner, BASE, strlen(BASE));
	assert_int_equal(chmod(inner, 0600), 0);
	assert_int_equal(signet_ca_config_load(inner, &c), SIGNET_ERR_CONFIG);
	assert_message_has("writable by its group and every user");
	assert_message_has("chmod go-w");
	/* The group may not write it either. */
	assert_int_equal(chmod(open_dir, 0770), 0);
	assert_int_equal(signet_ca_config_load(inner, &c), SIGNET_ERR_CONFIG);
	assert_message_has("is writable by its group (mode 0770)");
	/* Sticky, like /tmp: nobody else can rename what it holds. */
	assert_int_equal(chmod(open_dir, 01777), 0);
	assert_int_equal(signet_ca_config_load(inner, &c), 0);
	signet_ca_config_free(c);
	assert_int_equal(chmod(open_dir, 0755), 0);
	assert_int_equal(signet_ca_config_load(inner, &c), 0);
	signet_ca_config_free(c);
	/* Owned by another user: that user could change it. */
	if (geteuid() == 0) {
		assert_int_equal(chown(inner, 65534, 65534), 0);
		assert_int_equal(signet_ca_config_load(inner, &c),
		    SIGNET_ERR_CONFIG);
		assert_message_has("is owned by uid 65534");
		assert_int_equal(chown(inner, 0, 0), 0);
		assert_int_equal(chown(open_dir, 65534, 65534), 0);
		assert_int_equal(signet_ca_config_load(inner, &c),
		    SIGNET_ERR_CONFIG);
		assert_message_has("a directory above");
		assert_message_has("is owned by uid 65534");
		assert_int_equal(chown(open_dir, 0, 0), 0);
	}
}

static void
test_locate(void **state)
{
	char *p = NULL, cwd[PATH_MAX], want[PATH_MAX + 32];
	const char *given = write_config("given.yaml", BASE);

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	unsetenv(SIGNET_CA_CONFIG_ENV);
	assert_int_equal(chdir(dir), 0);

	/* Nothing anywhere. */
	assert_int_equal(signet_ca_config_locate(NULL, &p), SIGNET_ERR_CONFIG);
	assert_message_has("no CA configuration");
	assert_null(p);
	/* ./signet.yaml */
	write_config("signet.yaml", BASE);
	assert_int_equal(signet_ca_config_locate(NULL, &p), 0);
	snprintf(want, sizeof(want), "%s/signet.yaml", dir);
	assert_string_equal(p, want);
	free(p);
	/* $SIGNET_CONFIG wins over ./signet.yaml ... */
	setenv(SIGNET_CA_CONFIG_ENV, given, 1);
	assert_int_equal(signet_ca_config_locate(NULL, &p), 0);
	assert_string_equal(p, given);
	free(p);
	/* ... and --config over both. */
	assert_int_equal(signet_ca_config_locate("signet.yaml", &p), 0);
	assert_string_equal(p, want);
	free(p);
	assert_int_equal(signet_ca_config_locate("nope.yaml", &p),
	    SIGNET_ERR_CONFIG);
	assert_message_has("nope.yaml (--config)");
	setenv(SIGNET_CA_CONFIG_ENV, "/nonexistent/signet.yaml", 1);
	assert_int_equal(signet_ca_config_locate(NULL, &p), SIGNET_ERR_CONFIG);
	assert_message_has("$SIGNET_CONFIG");
	unsetenv(SIGNET_CA_CONFIG_ENV);
	assert_int_equal(chdir(cwd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_paths),
		cmocka_unit_test(test_pin_sources),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_serve_section),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_locate),
	};

	snprintf(dir, sizeof(dir), "%s", fx_path("conf"));
	if (mkdir(dir, 0700) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
