/*
 * A share on paper: what a custodian writes down instead of (or beside)
 * their share file. 72 bytes as 36 proquints (pronounceable five-letter
 * words, 16 bits each: consonant, vowel, consonant, vowel, consonant):
 *
 *   version (1), share id, M, N (1 each), split id (16),
 *   the split's digest, first 8 bytes, the PIN's check value, first 8,
 *   the share (32), SHA-256 of all of that, first 4 (the checksum)
 *
 * The words are not encrypted: paper is kept like a key, in a safe. A
 * mistyped or misread word fails the checksum; a share of another split
 * fails the same checks as a file's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/secret.h"

#define PAPER_VERSION 1
#define PAPER_LEN 72
#define PAPER_BODY (PAPER_LEN - 4)

static const char consonants[] = "bdfghjklmnprstvz";

/* The first n bytes of a hex string. */
static int
hex_prefix(const char *hex, uint8_t *out, size_t n)
{
	char buf[65];
	size_t len = 0;

	if (n > 32 || strlen(hex) < 2 * n)
		return -1;
	memcpy(buf, hex, 2 * n);
	buf[2 * n] = '\0';
	if (hex_decode(buf, out, n, &len) != 0 || len != n)
		return -1;
	return 0;
}
static const char vowels[] = "aiou";

static void
word_put(uint16_t v, char *out)
{
	out[0] = consonants[(v >> 12) & 15];
	out[1] = vowels[(v >> 10) & 3];
	out[2] = consonants[(v >> 6) & 15];
	out[3] = vowels[(v >> 4) & 3];
	out[4] = consonants[v & 15];
}

static int
word_get(const char *w, uint16_t *v)
{
	const char *c[5];
	int i;

	for (i = 0; i < 5; i++) {
		c[i] = strchr(i % 2 == 0 ? consonants : vowels,
		    tolower((unsigned char)w[i]));
		if (w[i] == '\0' || c[i] == NULL)
			return -1;
	}
	*v = (uint16_t)(((c[0] - consonants) << 12) | ((c[1] - vowels) << 10) |
			(int)((c[2] - consonants) << 6) |
			(int)((c[3] - vowels) << 4) | (int)(c[4] - consonants));
	return 0;
}

int
cer_share_words(const struct cer_share *sh, struct signet_secret **out)
{
	uint8_t b[PAPER_LEN], d[32];
	char text[PAPER_LEN / 2 * 6 + 1];
	const char *value;
	size_t vlen = 0, i, n = 0;
	int r;

	*out = NULL;
	value = secret_get0(sh->value, &vlen);
	if (vlen != CER_QUORUM_PIN_LEN ||
	    hex_decode(sh->split.id, b + 4, 16, &i) != 0 || i != 16)
		return signet_error_set(SIGNET_ERR_INTERNAL, "share to words");
	b[0] = PAPER_VERSION;
	b[1] = (uint8_t)sh->id;
	b[2] = (uint8_t)sh->split.threshold;
	b[3] = (uint8_t)sh->split.count;
	if (hex_prefix(sh->split.digest, b + 20, 8) != 0 ||
	    hex_prefix(sh->split.pin_check, b + 28, 8) != 0)
		return signet_error_set(SIGNET_ERR_INTERNAL, "share to words");
	memcpy(b + 36, value, CER_QUORUM_PIN_LEN);
	if ((r = sha256(b, PAPER_BODY, d)) != 0)
		goto out;
	memcpy(b + PAPER_BODY, d, 4);
	for (i = 0; i < PAPER_LEN; i += 2) {
		word_put((uint16_t)(b[i] << 8 | b[i + 1]), text + n);
		n += 5;
		/* Six words a line, as they are written down. */
		text[n++] = (i / 2) % 6 == 5 ? '\n' : ' ';
	}
	text[n] = '\0';
	r = secret_from_bytes(text, n, out);
out:
	secret_wipe(b, sizeof(b));
	secret_wipe(text, sizeof(text));
	return r;
}

int
cer_share_from_words(const char *words, size_t len, const char *custodian,
    struct cer_share **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct cer_share *sh = NULL;
	uint8_t b[PAPER_LEN], d[32];
	char w[6];
	size_t i = 0, n = 0, k;
	uint16_t v;

	*out = NULL;
	while (i < len) {
		if (isspace((unsigned char)words[i]) || words[i] == '-') {
			i++;
			continue;
		}
		for (k = 0;
		     k < 5 && i < len && isalpha((unsigned char)words[i]); k++)
			w[k] = words[i++];
		w[k] = '\0';
		if (k != 5 || (i < len && isalpha((unsigned char)words[i])) ||
		    word_get(w, &v) != 0 || n == PAPER_LEN) {
			r = signet_error_set(SIGNET_ERR_VERIFY,
			    "the words of custodian '%s' are not %d share "
			    "words (five letters each: consonant, vowel, "
			    "consonant, vowel, consonant)",
			    custodian, PAPER_LEN / 2);
			goto out;
		}
		b[n++] = (uint8_t)(v >> 8);
		b[n++] = (uint8_t)v;
	}
	if (n != PAPER_LEN) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "custodian '%s' gave %zu words; a share on paper has %d",
		    custodian, n / 2, PAPER_LEN / 2);
		goto out;
	}
	if ((r = sha256(b, PAPER_BODY, d)) != 0)
		goto out;
	if (memcmp(d, b + PAPER_BODY, 4) != 0 || b[0] != PAPER_VERSION ||
	    b[3] < 2 || b[3] > CER_QUORUM_MAX || b[2] < 2 || b[2] > b[3] ||
	    b[1] < 1 || b[1] > b[3]) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the words of custodian '%s' fail their checksum: a word "
		    "was misread or mistyped; no login was tried",
		    custodian);
		goto out;
	}
	if ((sh = calloc(1, sizeof(*sh))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	sh->paper = 1;
	sh->id = b[1];
	sh->split.threshold = b[2];
	sh->split.count = b[3];
	hex_encode(b + 4, 16, sh->split.id);
	hex_encode(b + 20, 8, sh->split.digest);
	hex_encode(b + 28, 8, sh->split.pin_check);
	snprintf(sh->split.members[sh->id - 1].name,
	    sizeof(sh->split.members[0].name), "%s", custodian);
	sh->split.members[sh->id - 1].id = sh->id;
	if ((r = cer_share_fingerprint(sh->split.id, sh->id, b + 36,
		 CER_QUORUM_PIN_LEN, sh->fingerprint)) != 0 ||
	    (r = secret_from_bytes(b + 36, CER_QUORUM_PIN_LEN, &sh->value)) !=
		0)
		goto out;
	memcpy(sh->split.members[sh->id - 1].fingerprint, sh->fingerprint, 65);
	*out = sh;
	sh = NULL;
	r = 0;
out:
	secret_wipe(b, sizeof(b));
	cer_share_free(sh);
	return r;
}
