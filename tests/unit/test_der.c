/* The DER toolkit: writer, reader, strictness checker, times, OIDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/codec.h"
#include "util/der.h"

static char *
hex_of(const struct der_buf *b)
{
	size_t n;
	const uint8_t *d = der_buf_data(b, &n);
	char *h = hex_encode_new(d, n);

	assert_non_null(h);
	return h;
}

static void
test_der_integers(void **state)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} t[] = {
		{ 0, "020100" },
		{ 1, "020101" },
		{ 0x7f, "02017f" },
		{ 0x80, "02020080" },
		{ 0xff, "020200ff" },
		{ 0x100, "02020100" },
		{ 0x7fffffffffffffffULL, "02087fffffffffffffff" },
		{ 0x8000000000000000ULL, "0209008000000000000000" },
	};
	struct der_buf b;
	size_t i;
	char *h;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		der_buf_init(&b, 0);
		der_put_uint(&b, DER_INTEGER, t[i].v);
		h = hex_of(&b);
		assert_string_equal(h, t[i].hex);
		free(h);
		der_buf_free(&b);
	}
	der_buf_init(&b, 0);
	der_put_uint_bytes(&b, (const uint8_t *)"\x00\x00\x80\x01", 4);
	der_put_uint_bytes(&b, (const uint8_t *)"\x00\x00", 2);
	der_put_uint_bytes(&b, (const uint8_t *)"\x12", 1);
	h = hex_of(&b);
	assert_string_equal(h, "020300800102010002011"
			       "2");
	free(h);
	der_buf_free(&b);
}

/* Lengths that need 0, 1, 2 and 3 extra octets, and moving contents. */
static void
test_der_lengths(void **state)
{
	static const size_t sizes[] = { 0, 127, 128, 255, 256, 65535, 65536,
		200000 };
	struct der_buf b;
	struct der_cur c;
	struct der_elem e;
	const char *why;
	uint8_t *body;
	size_t i, m, n;
	const uint8_t *d;
	struct der_issues iss;

	(void)state;
	body = malloc(200000);
	assert_non_null(body);
	memset(body, 0x41, 200000);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		der_buf_init(&b, 8);
		m = der_begin(&b, DER_SEQUENCE);
		der_put_tlv(&b, DER_OCTET_STRING, body, sizes[i]);
		der_end(&b, m);
		der_wrap(&b, DER_SEQUENCE);
		assert_int_equal(der_buf_status(&b), 0);
		d = der_buf_data(&b, &n);
		der_cur_init(&c, d, n);
		assert_int_equal(der_next(&c, &e, &why), 0);
		assert_true(der_cur_done(&c));
		assert_false(e.long_len);
		der_cur_init(&c, e.body, e.len);
		assert_int_equal(der_next(&c, &e, &why), 0);
		der_cur_init(&c, e.body, e.len);
		assert_int_equal(der_next(&c, &e, &why), 0);
		assert_int_equal(e.len, sizes[i]);
		assert_int_equal(e.id, DER_OCTET_STRING);
		memset(&iss, 0, sizeof(iss));
		der_check(d, n, 0, &iss);
		for (m = 0; m < DER_ISSUE_COUNT; m++)
			assert_int_equal(iss.count[m], 0);
		der_buf_free(&b);
	}
	free(body);
	assert_int_equal(der_header_len(127), 2);
	assert_int_equal(der_header_len(128), 3);
	assert_int_equal(der_header_len(65536), 5);
}

/*
 * Sizes near SIZE_MAX: header plus body must not wrap into a small
 * allocation followed by a huge copy. The writer fails and stays failed;
 * nothing is read from the (small) source.
 */
static void
test_der_huge_sizes(void **state)
{
	static const uint8_t src[4] = { 0x80, 1, 2, 3 };
	static const size_t sizes[] = { SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 9,
		SIZE_MAX / 2 + 1, DER_MAX_SIZE + 1 };
	struct der_buf b;
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (k = 0; k < 3; k++) {
			der_buf_init(&b, 0);
			der_put_tlv(&b, DER_OCTET_STRING, src, 2);
			if (k == 0)
				der_put_tlv(&b, DER_OCTET_STRING, src,
				    sizes[i]);
			else if (k == 1)
				der_put_uint_bytes(&b, src, sizes[i]);
			else
				der_put_bits(&b, src, sizes[i]);
			assert_int_equal(der_buf_status(&b),
			    SIGNET_ERR_INTERNAL);
			/* Later writes do not undo the failure. */
			der_put_tlv(&b, DER_NULL, NULL, 0);
			assert_int_equal(der_buf_status(&b),
			    SIGNET_ERR_INTERNAL);
			(void)der_buf_data(&b, &n);
			assert_true(n <= 4);
			der_buf_free(&b);
		}
	signet_error_clear();
}

static void
test_der_named_bits_and_times(void **state)
{
	static const struct {
		unsigned bits;
		const char *hex;
	} nb[] = {
		{ 0, "030100" },
		{ 1u << 0, "03020780" },
		{ (1u << 5) | (1u << 6), "03020106" },
		{ 1u << 7, "03020001" },
		{ 1u << 8, "0303070080" },
	};
	static const struct {
		time_t t;
		const char *hex;
	} tt[] = {
		/* 1950-01-01: UTCTime "500101000000Z" */
		{ -631152000, "170d3530303130313030303030305a" },
		/* 2049-12-31 23:59:59: still UTCTime */
		{ 2524607999, "170d3439313233313233353935395a" },
		/* 2050-01-01: GeneralizedTime */
		{ 2524608000, "180f32303530303130313030303030305a" },
		/* 1949-12-31 23:59:59: GeneralizedTime */
		{ -631152001, "180f31393439313233313233353935395a" },
	};
	struct der_buf b;
	size_t i;
	char *h;

	(void)state;
	for (i = 0; i < sizeof(nb) / sizeof(nb[0]); i++) {
		der_buf_init(&b, 0);
		der_put_named_bits(&b, DER_BIT_STRING, nb[i].bits);
		h = hex_of(&b);
		assert_string_equal(h, nb[i].hex);
		free(h);
		der_buf_free(&b);
	}
	for (i = 0; i < sizeof(tt) / sizeof(tt[0]); i++) {
		der_buf_init(&b, 0);
		der_put_time(&b, tt[i].t);
		h = hex_of(&b);
		assert_string_equal(h, tt[i].hex);
		free(h);
		der_buf_free(&b);
	}
}

static void
test_der_time_parse(void **state)
{
	static const struct {
		uint8_t id;
		const char *s;
		time_t t;
		const char *why;
	} t[] = {
		{ DER_UTC_TIME, "491231235959Z", 2524607999, NULL },
		{ DER_UTC_TIME, "500101000000Z", -631152000, NULL },
		{ DER_GENERALIZED_TIME, "20240229120000Z", 1709208000, NULL },
		{ DER_GENERALIZED_TIME, "20230229120000Z", 0, "valid date" },
		{ DER_GENERALIZED_TIME, "21000229120000Z", 0, "valid date" },
		{ DER_UTC_TIME, "2601010000Z", 0, "no seconds" },
		{ DER_UTC_TIME, "260101000000", 0, "Z" },
		{ DER_UTC_TIME, "260101000000+0000", 0, "Z" },
		{ DER_GENERALIZED_TIME, "20260101000000.0Z", 0, "fractional" },
		{ DER_UTC_TIME, "261301000000Z", 0, "valid date" },
		{ DER_UTC_TIME, "260101240000Z", 0, "valid date" },
		{ DER_UTC_TIME, "26010100000aZ", 0, "non-digit" },
		{ DER_UTC_TIME, "2601010000000Z", 0, "wrong length" },
		{ DER_INTEGER, "260101000000Z", 0, "not a UTCTime" },
	};
	size_t i;
	time_t when;
	int year;
	const char *why;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = der_time_parse(t[i].id, (const uint8_t *)t[i].s,
		    strlen(t[i].s), &when, &year, &why);

		if (t[i].why == NULL) {
			assert_int_equal(r, 0);
			assert_int_equal(when, t[i].t);
		} else {
			assert_int_equal(r, -1);
			if (strstr(why, t[i].why) == NULL)
				fail_msg("%s: '%s' lacks '%s'", t[i].s, why,
				    t[i].why);
		}
	}
}

static void
test_der_oids(void **state)
{
	static const struct {
		const char *text;
		const char *hex;
	} t[] = {
		{ "2.23.140.1.2.1", "67810c010201" },
		{ "1.2.840.113549.1.1.11", "2a864886f70d01010b" },
		{ "2.5.29.37.0", "551d2500" },
		{ "0.9", "09" },
		{ "2.999", "8837" },
		{ "1.3.6.1.4.1.11129.2.4.3", "2b06010401d679020403" },
	};
	static const char *const bad[] = { "", "1", "3.1", "1.40", "1..2",
		"1.2.", "a.b", "1.02", "-1.2" };
	uint8_t oid[64], want[64];
	char text[128];
	size_t i, n, wn;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(der_oid_from_text(t[i].text, oid, &n), 0);
		assert_int_equal(hex_decode(t[i].hex, want, sizeof(want), &wn),
		    0);
		assert_int_equal(n, wn);
		assert_memory_equal(oid, want, n);
		der_oid_to_text(oid, n, text, sizeof(text));
		assert_string_equal(text, t[i].text);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(der_oid_from_text(bad[i], oid, &n),
		    SIGNET_ERR_CONFIG);
		assert_non_null(strstr(signet_error_message(), "object "
							       "identifier"));
	}
	der_oid_to_text((const uint8_t *)"\x2a\x86", 2, text, sizeof(text));
	assert_string_equal(text, "(bad OID)");
}

/* Each input must raise exactly the issue named (or none). */
static void
test_der_check(void **state)
{
	static const struct {
		const char *name;
		const char *hex;
		int issue; /* -1: none */
	} t[] = {
		{ "good", "300602010102017f", -1 },
		{ "empty SEQUENCE", "3000", -1 },
		{ "indefinite length",
		    "3080020101"
		    "0000",
		    DER_ISSUE_STRUCTURE },
		{ "truncated", "300602010102", DER_ISSUE_STRUCTURE },
		{ "trailing", "300002", DER_ISSUE_STRUCTURE },
		{ "long form for 3", "30810302017f", DER_ISSUE_LENGTH },
		{ "leading zero length", "3082000302017f", DER_ISSUE_LENGTH },
		{ "high tag form for 16", "3f1003020101", DER_ISSUE_LENGTH },
		{ "integer 00 7f",
		    "3004"
		    "0202007f",
		    DER_ISSUE_INTEGER },
		{ "integer ff 80",
		    "3004"
		    "0202ff80",
		    DER_ISSUE_INTEGER },
		{ "empty integer", "30020200", DER_ISSUE_INTEGER },
		{ "integer 00 80 is fine",
		    "3004"
		    "02020080",
		    -1 },
		{ "boolean 01", "3003010101", DER_ISSUE_BOOLEAN },
		{ "boolean ff", "30030101ff", -1 },
		{ "boolean too long", "3004010200ff", DER_ISSUE_BOOLEAN },
		{ "bit string unused 8", "3003030108", DER_ISSUE_BITSTRING },
		{ "bit string empty unused 1", "3003030101",
		    DER_ISSUE_BITSTRING },
		{ "bit string padding", "300403020181", DER_ISSUE_BITSTRING },
		{ "bit string ok", "300403020180", -1 },
		{ "set unsorted",
		    "3108"
		    "020102"
		    "020101"
		    "0500",
		    DER_ISSUE_SET_ORDER },
		{ "set sorted",
		    "3108"
		    "020101"
		    "020102"
		    "0500",
		    -1 },
		{ "set by length",
		    "3107"
		    "02020100"
		    "020102",
		    DER_ISSUE_SET_ORDER },
		{ "printable bad", "3003130140", DER_ISSUE_STRING },
		{ "printable NUL", "300413024100", DER_ISSUE_STRING },
		{ "printable ok", "3003130141", -1 },
		{ "ia5 8-bit", "3003160180", DER_ISSUE_STRING },
		{ "utf8 overlong", "30040c02c0af", DER_ISSUE_STRING },
		{ "utf8 surrogate", "30050c03eda080", DER_ISSUE_STRING },
		{ "utf8 ok", "30040c02c3a4", -1 },
		{ "bmp odd", "30031e0100", DER_ISSUE_STRING },
		{ "constructed octet string",
		    "3006"
		    "2404"
		    "04020102",
		    DER_ISSUE_STRING },
		{ "primitive sequence", "1000", DER_ISSUE_STRUCTURE },
		{ "null with content",
		    "30030501"
		    "00",
		    DER_ISSUE_STRUCTURE },
		{ "oid 0x80", "300406028001", DER_ISSUE_OID },
		{ "oid truncated", "3003060181", DER_ISSUE_OID },
		{ "time without seconds", "300d170b323630313031303030305a",
		    DER_ISSUE_TIME },
		{ "context tags are opaque", "30038101ff", -1 },
	};
	struct der_issues iss;
	uint8_t buf[256];
	size_t i, n, k;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(hex_decode(t[i].hex, buf, sizeof(buf), &n), 0);
		memset(&iss, 0, sizeof(iss));
		der_check(buf, n, 0, &iss);
		for (k = 0; k < DER_ISSUE_COUNT; k++) {
			int want = (int)k == t[i].issue;

			if ((iss.count[k] > 0) != want)
				fail_msg("%s: issue %zu count %u (%s)",
				    t[i].name, k, iss.count[k], iss.first[k]);
		}
		if (t[i].issue >= 0)
			assert_non_null(
			    strstr(iss.first[t[i].issue], "offset"));
	}
}

/*
 * Deep nesting is cut off, not followed into a stack overflow: SEQUENCEs
 * nested levels deep (short definite lengths); der_check accepts 41 levels
 * (depths 0 to 40) and reports anything deeper, once.
 */
static void
test_der_check_depth(void **state)
{
	static const struct {
		size_t levels;
		int issues;
	} t[] = { { 1, 0 }, { 41, 0 }, { 42, 1 }, { 60, 1 } };
	uint8_t buf[2 * 60];
	struct der_issues iss;
	size_t i, k;

	(void)state;
	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		for (i = 0; i < t[k].levels; i++) {
			buf[2 * i] = 0x30;
			buf[2 * i + 1] = (uint8_t)(2 * (t[k].levels - i - 1));
		}
		memset(&iss, 0, sizeof(iss));
		der_check(buf, 2 * t[k].levels, 0, &iss);
		assert_int_equal(iss.count[DER_ISSUE_STRUCTURE], t[k].issues);
		if (t[k].issues > 0)
			assert_non_null(strstr(iss.first[DER_ISSUE_STRUCTURE],
			    "deeper than 40"));
	}
}

static void
test_der_reader(void **state)
{
	static const struct {
		const char *hex;
		int ok;
		const char *why;
	} t[] = {
		{ "", 0, "missing" },
		{ "30", 0, "truncated" },
		{ "3080", 0, "indefinite" },
		{ "3085000000000100", 0, "more than 4" },
		{ "308201", 0, "truncated length" },
		{ "3005", 0, "longer than" },
		{ "1f80", 0, "leading zero" },
		{ "1f8181818101", 0, "oversized" },
		{ "1f1f00", 1, NULL },
	};
	uint8_t buf[64];
	size_t i, n;
	struct der_cur c;
	struct der_elem e;
	const char *why;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(hex_decode(t[i].hex, buf, sizeof(buf), &n), 0);
		der_cur_init(&c, buf, n);
		if (t[i].ok) {
			assert_int_equal(der_next(&c, &e, &why), 0);
			continue;
		}
		assert_int_equal(der_next(&c, &e, &why), -1);
		if (strstr(why, t[i].why) == NULL)
			fail_msg("%s: '%s' lacks '%s'", t[i].hex, why,
			    t[i].why);
	}
	/* der_expect leaves the cursor alone on a mismatch. */
	assert_int_equal(hex_decode("020101", buf, sizeof(buf), &n), 0);
	der_cur_init(&c, buf, n);
	assert_int_equal(der_expect(&c, DER_SEQUENCE, &e, &why), -1);
	assert_ptr_equal(c.p, buf);
	assert_int_equal(der_optional(&c, DER_INTEGER, &e), 1);
	assert_true(der_cur_done(&c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_der_integers),
		cmocka_unit_test(test_der_lengths),
		cmocka_unit_test(test_der_huge_sizes),
		cmocka_unit_test(test_der_named_bits_and_times),
		cmocka_unit_test(test_der_time_parse),
		cmocka_unit_test(test_der_oids),
		cmocka_unit_test(test_der_check),
		cmocka_unit_test(test_der_check_depth),
		cmocka_unit_test(test_der_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
