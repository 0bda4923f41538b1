/*
 * Quorum shares (src/ceremony/share.c), without a token: a PIN split M of
 * N comes back from every M-subset of its sealed shares; fewer than M, a
 * share given twice, shares of two splits, a wrong passphrase and every
 * kind of altered share are refused, each with a message naming the
 * problem and never the PIN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/secret.h"

#define PASS "correct horse battery"

static int
test_rng(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : SIGNET_ERR_CRYPTO;
}

static const char *const names[] = { "Alice", "Bob", "Carol", "Dave", "Erin" };

struct sealed {
	unsigned m, n;
	struct signet_secret *pin;
	uint8_t *file[CER_QUORUM_MAX];
	size_t len[CER_QUORUM_MAX];
};

static void
split_and_seal(unsigned m, unsigned n, struct sealed *s)
{
	struct cer_share *shares[CER_QUORUM_MAX];
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->n = n;
	assert_int_equal(cer_split_make(test_rng, NULL, m, n, names, "root",
			     "0123456789abcdef", &s->pin, shares),
	    0);
	for (i = 0; i < n; i++) {
		assert_int_equal(cer_share_seal(shares[i], PASS, strlen(PASS),
				     &s->file[i], &s->len[i]),
		    0);
		cer_share_free(shares[i]);
	}
}

static void
sealed_free(struct sealed *s)
{
	unsigned i;

	secret_free(s->pin);
	for (i = 0; i < s->n; i++)
		free(s->file[i]);
}

static struct cer_share *
open_ok(const struct sealed *s, unsigned i)
{
	struct cer_share *sh = NULL;

	assert_int_equal(cer_share_open(s->file[i], s->len[i], "share", PASS,
			     strlen(PASS), &sh),
	    0);
	return sh;
}

/* The PIN must not appear in the last error message. */
static void
assert_no_pin(const struct sealed *s)
{
	size_t len = 0;
	const char *pin = secret_get0(s->pin, &len);

	assert_null(strstr(signet_error_message(), pin));
}

/* Every subset of size k of the n shares (bit masks), combined. */
static void
every_subset(struct sealed *s, struct cer_share **opened)
{
	struct cer_share *pick[CER_QUORUM_MAX];
	struct signet_secret *pin = NULL;
	const char *a, *b;
	size_t la = 0, lb = 0, k;
	unsigned mask, i, ok = 0, refused = 0;

	for (mask = 1; mask < (1u << s->n); mask++) {
		for (k = 0, i = 0; i < s->n; i++)
			if (mask & (1u << i))
				pick[k++] = opened[i];
		if (k >= s->m) {
			assert_int_equal(cer_shares_combine(pick, k, &pin), 0);
			a = secret_get0(pin, &la);
			b = secret_get0(s->pin, &lb);
			assert_int_equal(la, CER_QUORUM_PIN_LEN);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
			secret_free(pin);
			pin = NULL;
			ok++;
		} else {
			assert_int_equal(cer_shares_combine(pick, k, &pin),
			    SIGNET_ERR_VERIFY);
			assert_null(pin);
			assert_non_null(strstr(signet_error_message(),
			    "cannot be unlocked"));
			assert_no_pin(s);
			refused++;
		}
	}
	assert_true(ok > 0);
	assert_true(refused > 0);
}

static void
test_subsets(unsigned m, unsigned n)
{
	struct cer_share *opened[CER_QUORUM_MAX];
	struct sealed s;
	unsigned i;

	split_and_seal(m, n, &s);
	for (i = 0; i < n; i++) {
		opened[i] = open_ok(&s, i);
		assert_string_equal(cer_share_custodian(opened[i]), names[i]);
		assert_int_equal(opened[i]->id, i + 1);
	}
	every_subset(&s, opened);
	for (i = 0; i < n; i++)
		cer_share_free(opened[i]);
	sealed_free(&s);
}

static void
test_2_of_3(void **state)
{
	(void)state;
	test_subsets(2, 3);
}

static void
test_3_of_4(void **state)
{
	(void)state;
	test_subsets(3, 4);
}

static void
test_bounds(void **state)
{
	static const unsigned bad[][2] = { { 1, 3 }, { 4, 3 }, { 2, 17 },
		{ 0, 0 } };
	struct cer_share *shares[CER_QUORUM_MAX];
	struct signet_secret *pin = NULL;
	const char *dup[] = { "Alice", "Bob", "Alice" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cer_split_make(test_rng, NULL, bad[i][0],
				     bad[i][1], names, "root", "1", &pin,
				     shares),
		    SIGNET_ERR_CONFIG);
	assert_int_equal(cer_split_make(test_rng, NULL, 2, 3, dup, "root", "1",
			     &pin, shares),
	    SIGNET_ERR_CONFIG);
	assert_non_null(strstr(signet_error_message(), "named twice"));
	assert_null(pin);
}

static void
test_duplicate_and_mixed(void **state)
{
	struct cer_share *a, *b, *other, *pick[3];
	struct signet_secret *pin = NULL;
	struct sealed s, t;

	(void)state;
	split_and_seal(2, 3, &s);
	split_and_seal(2, 3, &t);
	a = open_ok(&s, 0);
	b = open_ok(&s, 0);
	other = open_ok(&t, 1);
	pick[0] = a;
	pick[1] = b;
	assert_int_equal(cer_shares_combine(pick, 2, &pin), SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "given twice"));
	assert_no_pin(&s);
	pick[1] = other;
	assert_int_equal(cer_shares_combine(pick, 2, &pin), SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "different splits"));
	assert_null(pin);
	cer_share_free(a);
	cer_share_free(b);
	cer_share_free(other);
	sealed_free(&s);
	sealed_free(&t);
}

/* Replace the first occurrence of from in a sealed file (same length). */
static uint8_t *
edited(const struct sealed *s, unsigned i, const char *from, const char *to)
{
	uint8_t *copy = malloc(s->len[i] + 1);
	char *p;

	assert_non_null(copy);
	memcpy(copy, s->file[i], s->len[i]);
	copy[s->len[i]] = '\0';
	p = strstr((char *)copy, from);
	assert_non_null(p);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
	return copy;
}

static void
test_tampered(void **state)
{
	struct cer_share *sh = NULL;
	struct sealed s;
	uint8_t *bad;
	char *p, hex[3];

	(void)state;
	split_and_seal(2, 3, &s);
	/* Wrong passphrase. */
	assert_int_equal(cer_share_open(s.file[0], s.len[0], "share",
			     "wrong passphrase", 16, &sh),
	    SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "passphrase is wrong"));
	/* The custodian's name, changed in the file and in its list. */
	bad = edited(&s, 0, "Alice", "Mallo");
	assert_int_equal(cer_share_open(bad, s.len[0], "share", PASS,
			     strlen(PASS), &sh),
	    SIGNET_ERR_VERIFY);
	free(bad);
	/* The threshold lowered. */
	bad = edited(&s, 1, "\"threshold\": 2", "\"threshold\": 3");
	assert_int_equal(cer_share_open(bad, s.len[1], "share", PASS,
			     strlen(PASS), &sh),
	    SIGNET_ERR_VERIFY);
	free(bad);
	/* One byte of the sealed share. */
	p = strstr((char *)s.file[2], "\"ciphertext\": \"");
	assert_non_null(p);
	p += strlen("\"ciphertext\": \"");
	snprintf(hex, sizeof(hex), "%c%c", p[0], p[1]);
	bad = edited(&s, 2, hex, hex[0] == '0' ? "1f" : "0f");
	assert_int_equal(cer_share_open(bad, s.len[2], "share", PASS,
			     strlen(PASS), &sh),
	    SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "altered"));
	free(bad);
	/* Not JSON, and a truncated file. */
	assert_int_equal(cer_share_open((const uint8_t *)"{", 1, "share", PASS,
			     strlen(PASS), &sh),
	    SIGNET_ERR_VERIFY);
	assert_int_equal(cer_share_open(s.file[0], s.len[0] / 2, "share", PASS,
			     strlen(PASS), &sh),
	    SIGNET_ERR_VERIFY);
	assert_null(sh);
	sealed_free(&s);
}

/*
 * A custodian who knows their passphrase alters their own share and
 * seals it again: refused by the fingerprint the other shares list, or,
 * if the list is changed too, by the split's digest the others carry.
 */
static void
test_forged_by_custodian(void **state)
{
	struct cer_share *a, *b, *pick[2];
	struct signet_secret *pin = NULL, *v = NULL;
	uint8_t value[CER_QUORUM_PIN_LEN], *file = NULL;
	size_t len = 0;
	struct sealed s;

	(void)state;
	split_and_seal(2, 3, &s);
	a = open_ok(&s, 0);
	b = open_ok(&s, 1);
	memcpy(value, secret_get0(a->value, NULL), sizeof(value));
	value[0] ^= 1;
	assert_int_equal(secret_from_bytes(value, sizeof(value), &v), 0);
	secret_free(a->value);
	a->value = v;
	assert_int_equal(cer_share_seal(a, PASS, strlen(PASS), &file, &len), 0);
	cer_share_free(a);
	a = NULL;
	assert_int_equal(cer_share_open(file, len, "forged", PASS, strlen(PASS),
			     &a),
	    SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "fingerprint"));
	free(file);
	/* Combined without the checks of opening: the PIN check refuses. */
	a = open_ok(&s, 0);
	memcpy(value, secret_get0(a->value, NULL), sizeof(value));
	value[5] ^= 0x40;
	assert_int_equal(secret_from_bytes(value, sizeof(value), &v), 0);
	secret_free(a->value);
	a->value = v;
	pick[0] = a;
	pick[1] = b;
	assert_int_equal(cer_shares_combine(pick, 2, &pin), SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "check value"));
	assert_null(pin);
	/* The list changed too: the digests disagree. */
	a->split.members[0].fingerprint[0] ^= 1;
	a->split.digest[0] = a->split.digest[0] == 'a' ? 'b' : 'a';
	assert_int_equal(cer_shares_combine(pick, 2, &pin), SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "disagree"));
	cer_share_free(a);
	cer_share_free(b);
	sealed_free(&s);
}

/* Without the test hook's cheaper cost: scrypt N = 2^17, r = 8, p = 1. */
static void
test_default_cost(void **state)
{
	struct sealed s;
	struct cer_share *sh;

	(void)state;
	unsetenv("SIGNET_TEST_SCRYPT_LOG2N");
	split_and_seal(2, 2, &s);
	setenv("SIGNET_TEST_SCRYPT_LOG2N", "12", 1);
	assert_non_null(strstr((char *)s.file[0], "\"n\": 131072,"));
	assert_non_null(strstr((char *)s.file[0], "\"r\": 8,"));
	assert_non_null(strstr((char *)s.file[0], "\"p\": 1,"));
	sh = open_ok(&s, 0);
	cer_share_free(sh);
	sealed_free(&s);
}

/* On paper: 36 words, back to the same share; a misread word is caught. */
static void
test_words(void **state)
{
	struct cer_share *a, *b, *w = NULL, *pick[2];
	struct signet_secret *words = NULL, *pin = NULL;
	char line[512], *p;
	size_t len = 0, i;
	struct sealed s, t;

	(void)state;
	split_and_seal(2, 3, &s);
	split_and_seal(2, 3, &t);
	a = open_ok(&s, 0);
	b = open_ok(&s, 1);
	assert_int_equal(cer_share_words(a, &words), 0);
	snprintf(line, sizeof(line), "%s", secret_get0(words, &len));
	for (p = line; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	assert_int_equal(cer_share_from_words(line, strlen(line), "Alice", &w),
	    0);
	assert_string_equal(w->fingerprint, a->fingerprint);
	assert_int_equal(w->id, 1);
	assert_true(w->paper);
	/* Words and a file together rebuild the PIN. */
	pick[0] = w;
	pick[1] = b;
	assert_int_equal(cer_shares_combine(pick, 2, &pin), 0);
	assert_memory_equal(secret_get0(pin, NULL), secret_get0(s.pin, NULL),
	    CER_QUORUM_PIN_LEN);
	secret_free(pin);
	pin = NULL;
	cer_share_free(w);
	w = NULL;
	/* Each word changed in turn: the checksum refuses it. */
	for (i = 0; i + 5 <= strlen(line); i += 6) {
		char saved = line[i];

		line[i] = line[i] == 'b' ? 'd' : 'b';
		assert_int_equal(cer_share_from_words(line, strlen(line),
				     "Alice", &w),
		    SIGNET_ERR_VERIFY);
		assert_null(w);
		line[i] = saved;
	}
	/* Too few words, and not words. */
	assert_int_equal(cer_share_from_words(line, 30, "Alice", &w),
	    SIGNET_ERR_VERIFY);
	assert_int_equal(cer_share_from_words("hello world", 11, "Alice", &w),
	    SIGNET_ERR_VERIFY);
	/* Words of one split with a file of another: refused. */
	assert_int_equal(cer_share_from_words(line, strlen(line), "Alice", &w),
	    0);
	cer_share_free(b);
	b = open_ok(&t, 1);
	pick[0] = w;
	pick[1] = b;
	assert_int_equal(cer_shares_combine(pick, 2, &pin), SIGNET_ERR_VERIFY);
	assert_non_null(strstr(signet_error_message(), "different splits"));
	cer_share_free(w);
	cer_share_free(a);
	cer_share_free(b);
	secret_free(words);
	sealed_free(&s);
	sealed_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_cost),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_2_of_3),
		cmocka_unit_test(test_3_of_4),
		cmocka_unit_test(test_duplicate_and_mixed),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_forged_by_custodian),
		cmocka_unit_test(test_words),
	};

	setenv("SIGNET_TEST_SCRYPT_LOG2N", "12", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
