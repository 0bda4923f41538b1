/* Tests for the RFC 7512 PKCS#11 URI parser (src/token/uri.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/token.h"
#include "util/codec.h"

/* ---- URIs that parse ------------------------------------------------------ */

struct uri_ok {
	const char *text;
	unsigned long flags;
	const char *token, *serial, *manufacturer, *model, *object, *type;
	const char *id_hex; /* NULL: no id */
	const char *module_path, *pin_source;
	long has_pin;
	const char *canonical; /* signet_uri_to_string */
};

static const struct uri_ok ok_cases[] = {
	{ "pkcs11:", 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
	    "pkcs11:" },
	{ "PKCS11:token=root", 0, "root", NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, 0, "pkcs11:token=root" },
	{ "pkcs11:token=root;object=root-key;type=private", 0, "root", NULL,
	    NULL, NULL, "root-key", "private", NULL, NULL, NULL, 0,
	    "pkcs11:token=root;object=root-key;type=private" },
	{ "pkcs11:object=k;id=%01%02%ff", 0, NULL, NULL, NULL, NULL, "k", NULL,
	    "0102ff", NULL, NULL, 0, "pkcs11:object=k;id=%01%02%FF" },
	/* id in plain characters is the bytes of those characters */
	{ "pkcs11:id=AB", 0, NULL, NULL, NULL, NULL, NULL, NULL, "4142", NULL,
	    NULL, 0, "pkcs11:id=%41%42" },
	{ "pkcs11:id=%00", 0, NULL, NULL, NULL, NULL, NULL, NULL, "00", NULL,
	    NULL, 0, "pkcs11:id=%00" },
	{ "pkcs11:token=My%20Token;serial=0123456789abcdef;manufacturer="
	  "SoftHSM%20project;model=SoftHSM%20v2",
	    0, "My Token", "0123456789abcdef", "SoftHSM project", "SoftHSM v2",
	    NULL, NULL, NULL, NULL, NULL, 0,
	    "pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;serial="
	    "0123456789abcdef;model=SoftHSM%20v2" },
	/* characters RFC 7512 allows unescaped in a path value */
	{ "pkcs11:object=a:b[c]@d!e$f'g(h)i*j+k,l=m&n~o.p_q-r", 0, NULL, NULL,
	    NULL, NULL, "a:b[c]@d!e$f'g(h)i*j+k,l=m&n~o.p_q-r", NULL, NULL,
	    NULL, NULL, 0,
	    "pkcs11:object=a:b[c]@d!e$f'g(h)i*j+k,l=m%26n~o.p_q-r" },
	{ "pkcs11:token=root?module-path=/usr/lib/softhsm/libsofthsm2.so&"
	  "pin-source=file:/etc/signet/root.pin",
	    0, "root", NULL, NULL, NULL, NULL, NULL, NULL,
	    "/usr/lib/softhsm/libsofthsm2.so", "file:/etc/signet/root.pin", 0,
	    "pkcs11:token=root?module-path=/usr/lib/softhsm/libsofthsm2.so&"
	    "pin-source=file:/etc/signet/root.pin" },
	{ "pkcs11:token=a?pin-source=file%3A%2Fetc%2Fpin", 0, "a", NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL, "file:/etc/pin", 0,
	    "pkcs11:token=a?pin-source=file:/etc/pin" },
	{ "pkcs11:token=a?pin-source=/etc/pin", 0, "a", NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, "/etc/pin", 0,
	    "pkcs11:token=a?pin-source=/etc/pin" },
	{ "pkcs11:token=a?pin-source=env:ROOT_PIN", 0, "a", NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, "env:ROOT_PIN", 0,
	    "pkcs11:token=a?pin-source=env:ROOT_PIN" },
	/* pin-value, opted in: kept, and never written back out */
	{ "pkcs11:token=a?pin-value=s3cr%65t", SIGNET_URI_ALLOW_PIN_VALUE, "a",
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1,
	    "pkcs11:token=a" },
	{ "pkcs11:slot-id=3;slot-description=Slot%201;library-version=2.6;"
	  "library-manufacturer=SoftHSM",
	    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
	    "pkcs11:library-manufacturer=SoftHSM;library-version=2.6;slot-id=3;"
	    "slot-description=Slot%201" },
	{ "pkcs11:type=cert", 0, NULL, NULL, NULL, NULL, NULL, "cert", NULL,
	    NULL, NULL, 0, "pkcs11:type=cert" },
	/* a label of the longest length PKCS#11 allows */
	{ "pkcs11:token=abcdefghijklmnopqrstuvwxyz012345", 0,
	    "abcdefghijklmnopqrstuvwxyz012345", NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0,
	    "pkcs11:token=abcdefghijklmnopqrstuvwxyz012345" },
	/* UTF-8, percent-encoded */
	{ "pkcs11:object=cl%C3%A9", 0, NULL, NULL, NULL, NULL, "cl\xc3\xa9",
	    NULL, NULL, NULL, NULL, 0, "pkcs11:object=cl%C3%A9" },
};

static void
check_str(const char *want, const char *have)
{
	if (want == NULL)
		assert_null(have);
	else {
		assert_non_null(have);
		assert_string_equal(want, have);
	}
}

static void
test_uri_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct uri_ok *t = &ok_cases[i];
		struct signet_p11_uri *uri = NULL, *again = NULL;
		const uint8_t *id;
		size_t id_len = 0;
		char hex[256], *s, *s2;
		int r;

		r = signet_uri_parse(t->text, (unsigned)t->flags, &uri);
		if (r != 0)
			fail_msg("case %zu (%s): %s", i, t->text,
			    signet_error_message());
		check_str(t->token, signet_uri_get0_token(uri));
		check_str(t->serial, signet_uri_get0_serial(uri));
		check_str(t->manufacturer, signet_uri_get0_manufacturer(uri));
		check_str(t->model, signet_uri_get0_model(uri));
		check_str(t->object, signet_uri_get0_object(uri));
		check_str(t->type, signet_uri_get0_type(uri));
		check_str(t->module_path, signet_uri_get0_module_path(uri));
		check_str(t->pin_source, signet_uri_get0_pin_source(uri));
		assert_int_equal(signet_uri_has_pin_value(uri),
		    (int)t->has_pin);
		id = signet_uri_get0_id(uri, &id_len);
		if (t->id_hex == NULL) {
			assert_null(id);
		} else {
			assert_non_null(id);
			hex_encode(id, id_len, hex);
			assert_string_equal(hex, t->id_hex);
		}
		s = signet_uri_to_string(uri);
		assert_non_null(s);
		assert_string_equal(s, t->canonical);
		/* The canonical form parses back to the same thing. */
		assert_int_equal(signet_uri_parse(s, 0, &again), 0);
		s2 = signet_uri_to_string(again);
		assert_string_equal(s, s2);
		free(s);
		free(s2);
		signet_uri_free(again);
		signet_uri_free(uri);
	}
}

/* ---- URIs that do not --------------------------------------------------- */

struct uri_bad {
	const char *text;
	unsigned flags;
	const char *reason; /* must appear in the message */
};

static const struct uri_bad bad_cases[] = {
	{ "", 0, "must start with 'pkcs11:'" },
	{ "pkcs11", 0, "must start with 'pkcs11:'" },
	{ "pkcs12:token=a", 0, "must start with 'pkcs11:'" },
	{ "http://example.com/", 0, "must start with 'pkcs11:'" },
	{ " pkcs11:token=a", 0, "must start with 'pkcs11:'" },
	{ "pkcs11:tokn=root", 0, "unknown attribute 'tokn'" },
	{ "pkcs11:x-vendor=1", 0, "unknown attribute 'x-vendor'" },
	{ "pkcs11:Token=root", 0, "unknown attribute 'Token'" },
	{ "pkcs11:token=a?foo=bar", 0, "unknown attribute 'foo'" },
	{ "pkcs11:token=a;token=b", 0, "'token' appears more than once" },
	{ "pkcs11:id=%01;id=%02", 0, "'id' appears more than once" },
	{ "pkcs11:token=a?pin-source=file:/x&pin-source=file:/y", 0,
	    "'pin-source' appears more than once" },
	{ "pkcs11:token", 0, "is not name=value" },
	{ "pkcs11:token=", 0, "'token' has an empty value" },
	{ "pkcs11:object=", 0, "'object' has an empty value" },
	{ "pkcs11:token=a;", 0, "empty attribute in the URI path" },
	{ "pkcs11:;token=a", 0, "empty attribute in the URI path" },
	{ "pkcs11:token=a;;object=b", 0, "empty attribute in the URI path" },
	{ "pkcs11:token=a?", 0, "empty query" },
	{ "pkcs11:token=a?pin-source=file:/x&", 0,
	    "empty attribute in the URI query" },
	{ "pkcs11:token=a%", 0, "'token': '%' must be followed by two hex" },
	{ "pkcs11:token=a%4", 0, "'token': '%' must be followed by two hex" },
	{ "pkcs11:token=a%4g", 0, "'token': '%' must be followed by two hex" },
	{ "pkcs11:id=%zz", 0, "'id': '%' must be followed by two hex" },
	{ "pkcs11:token=a b", 0,
	    "character ' ' must be percent-encoded as %20" },
	{ "pkcs11:token=a/b", 0,
	    "character '/' must be percent-encoded as %2F" },
	{ "pkcs11:token=a\"b", 0, "character '\"' must be percent-encoded" },
	{ "pkcs11:token=a#b", 0, "character '#' must be percent-encoded" },
	{ "pkcs11:token=a\nb", 0, "byte 0x0a must be percent-encoded" },
	{ "pkcs11:token=cl\xc3\xa9", 0, "byte 0xc3 must be percent-encoded" },
	{ "pkcs11:token=a?module-path=/x y", 0,
	    "'module-path': character ' '" },
	{ "pkcs11:token=%00x", 0, "'token' holds a NUL byte" },
	{ "pkcs11:token=abcdefghijklmnopqrstuvwxyz0123456", 0,
	    "'token' is 33 bytes long; at most 32" },
	{ "pkcs11:serial=0123456789abcdef0", 0,
	    "'serial' is 17 bytes long; at most 16" },
	{ "pkcs11:model=0123456789abcdef0", 0, "'model' is 17 bytes long" },
	{ "pkcs11:id=%00%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12"
	  "%13%14%15%16%17%18%19%1a%1b%1c%1d%1e%1f%20%21%22%23%24%25%26%27%28"
	  "%29%2a%2b%2c%2d%2e%2f%30%31%32%33%34%35%36%37%38%39%3a%3b%3c%3d%3e"
	  "%3f%40",
	    0, "'id' is 65 bytes long; at most 64" },
	{ "pkcs11:type=secret", 0, "'type' must be public, private, cert" },
	{ "pkcs11:type=PRIVATE", 0, "'type' must be public, private, cert" },
	{ "pkcs11:slot-id=abc", 0, "'slot-id' must be a decimal number" },
	{ "pkcs11:slot-id=-1", 0, "'slot-id' must be a decimal number" },
	{ "pkcs11:slot-id=99999999999999999999", 0,
	    "'slot-id' must be a decimal number" },
	{ "pkcs11:slot-id=999999999999999999999", 0,
	    "'slot-id' is 21 bytes long" },
	{ "pkcs11:library-version=1.2.3", 0,
	    "'library-version' must be MAJOR or MAJOR.MINOR" },
	{ "pkcs11:library-version=.2", 0, "'library-version' must be MAJOR" },
	{ "pkcs11:module-path=/x.so", 0,
	    "'module-path' belongs in the URI query" },
	{ "pkcs11:pin-source=file:/x", 0,
	    "'pin-source' belongs in the URI query" },
	{ "pkcs11:token=a?token=b", 0, "'token' belongs in the URI path" },
	{ "pkcs11:token=a?module-path=libsofthsm2.so", 0,
	    "'module-path' must be an absolute path" },
	{ "pkcs11:token=a?module-name=softhsm2", 0,
	    "'module-name' is not supported" },
	{ "pkcs11:token=a?pin-source=|/bin/cat", 0,
	    "'pin-source' must be file:PATH" },
	{ "pkcs11:token=a?pin-source=http://x", 0,
	    "'pin-source' must be file:PATH" },
	{ "pkcs11:token=a?pin-value=1234", 0, "use pin-source=file:PATH" },
	{ "pkcs11:token=a?pin-value=1234", 0, "--insecure-pin-in-uri" },
	{ "pkcs11:token=a?pin-value=1234&pin-source=file:/x",
	    SIGNET_URI_ALLOW_PIN_VALUE, "both pin-value and pin-source" },
	{ "pkcs11:token=a?pin-value=", SIGNET_URI_ALLOW_PIN_VALUE,
	    "'pin-value' has an empty value" },
};

/* PINs in the bad cases: none may ever appear in a message. */
static const char *const pins[] = { "1234", "s3cr", "hunter2" };

static void
test_uri_bad(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct uri_bad *t = &bad_cases[i];
		struct signet_p11_uri *uri = (struct signet_p11_uri *)1;
		int r;

		signet_error_clear();
		r = signet_uri_parse(t->text, (unsigned)t->flags, &uri);
		if (r != SIGNET_ERR_URI)
			fail_msg("case %zu (%s): expected SIGNET_ERR_URI, got "
				 "%d",
			    i, t->text, r);
		assert_null(uri);
		if (strstr(signet_error_message(), t->reason) == NULL)
			fail_msg("case %zu (%s): message '%s' does not say "
				 "'%s'",
			    i, t->text, signet_error_message(), t->reason);
		for (j = 0; j < sizeof(pins) / sizeof(pins[0]); j++)
			assert_null(strstr(signet_error_message(), pins[j]));
	}
}

/* Malformed PIN values are refused without quoting any of the PIN. */
static void
test_uri_pin_never_quoted(void **state)
{
	static const char *const texts[] = {
		"pkcs11:token=a?pin-value=hunter2%zz",
		"pkcs11:token=a?pin-value=hunter2 x",
		"pkcs11:token=a?pin-value=hunter2%",
		"pkcs11:token=a?pin-value=hunter2&pin-value=hunter2",
	};
	struct signet_p11_uri *uri = NULL;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(signet_uri_parse(texts[i],
				     SIGNET_URI_ALLOW_PIN_VALUE, &uri),
		    SIGNET_ERR_URI);
		assert_null(strstr(signet_error_message(), "hunter2"));
		assert_null(strstr(signet_error_message(), "hunt"));
	}
	assert_int_equal(signet_uri_parse("pkcs11:token=a;object=k?"
					  "pin-value=hunter2",
			     SIGNET_URI_ALLOW_PIN_VALUE, &uri),
	    0);
	s = signet_uri_to_string(uri);
	assert_non_null(s);
	assert_null(strstr(s, "hunter2"));
	assert_null(strstr(s, "pin-value"));
	free(s);
	signet_uri_free(uri);
}

static void
test_uri_too_long(void **state)
{
	struct signet_p11_uri *uri = NULL;
	char *text = malloc(5000);

	(void)state;
	assert_non_null(text);
	memcpy(text, "pkcs11:object=", 14);
	memset(text + 14, 'a', 5000 - 15);
	text[4999] = '\0';
	assert_int_equal(signet_uri_parse(text, 0, &uri), SIGNET_ERR_URI);
	assert_non_null(strstr(signet_error_message(), "longer than 4096"));
	/* Just inside the cap, the object label itself is too long. */
	text[4000] = '\0';
	assert_int_equal(signet_uri_parse(text, 0, &uri), SIGNET_ERR_URI);
	assert_non_null(strstr(signet_error_message(), "'object' is 3986"));
	assert_int_equal(signet_uri_parse(NULL, 0, &uri), SIGNET_ERR_URI);
	free(text);
}

static void
test_key_type_names(void **state)
{
	static const char *const names[] = { "ec-p256", "ec-p384", "ec-p521",
		"rsa-2048", "rsa-3072", "rsa-4096" };
	enum signet_key_type t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(signet_key_type_parse(names[i], &t), 0);
		assert_string_equal(signet_key_type_name(t), names[i]);
	}
	assert_int_equal(signet_key_type_parse("ec-p224", &t),
	    SIGNET_ERR_USAGE);
	assert_int_equal(t, SIGNET_KEY_NONE);
	assert_non_null(strstr(signet_error_message(), "'ec-p224'"));
	assert_int_equal(signet_key_type_parse("rsa-1024", &t),
	    SIGNET_ERR_USAGE);
	assert_int_equal(signet_key_type_parse(NULL, &t), SIGNET_ERR_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_ok),
		cmocka_unit_test(test_uri_bad),
		cmocka_unit_test(test_uri_pin_never_quoted),
		cmocka_unit_test(test_uri_too_long),
		cmocka_unit_test(test_key_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
