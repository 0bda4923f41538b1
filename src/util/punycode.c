/*
 * Punycode (RFC 3492), written from the RFC's description: the decoder
 * checks that an "xn--" label is what it claims to be, and the encoder
 * checks that the label is the one canonical encoding of its code points.
 */
#include <stdint.h>

#include "util/names.h"

/* RFC 3492 5: parameter values for Punycode. */
#define PUNY_BASE 36
#define PUNY_TMIN 1
#define PUNY_TMAX 26
#define PUNY_SKEW 38
#define PUNY_DAMP 700
#define PUNY_INITIAL_BIAS 72
#define PUNY_INITIAL_N 128
#define PUNY_MAXINT 0xffffffffULL

/* RFC 3492 6.1: bias adaptation. */
static uint64_t
puny_adapt(uint64_t delta, uint64_t numpoints, int firsttime)
{
	uint64_t k = 0;

	delta = firsttime ? delta / PUNY_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
		delta /= PUNY_BASE - PUNY_TMIN;
		k += PUNY_BASE;
	}
	return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

static int
puny_digit_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	return -1;
}

static int
puny_bad(const char *what)
{
	return signet_error_set(SIGNET_ERR_USAGE, "%s", what);
}

static char
puny_digit_char(uint64_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

static uint64_t
puny_threshold(uint64_t k, uint64_t bias)
{
	if (k <= bias)
		return PUNY_TMIN;
	if (k >= bias + PUNY_TMAX)
		return PUNY_TMAX;
	return k - bias;
}

int
names_punycode_decode(const char *in, size_t len, uint32_t *out, size_t *n)
{
	uint64_t code = PUNY_INITIAL_N, i = 0, bias = PUNY_INITIAL_BIAS;
	uint64_t oldi, w, k, t;
	size_t cap = *n, outlen = 0, b = 0, pos, j;
	int digit;

	*n = 0;
	/* Basic code points are those before the last delimiter. */
	for (j = 0; j < len; j++)
		if (in[j] == '-')
			b = j;
	if (b > 0) {
		if (b > cap)
			return puny_bad("is not valid Punycode (RFC 3492)");
		for (j = 0; j < b; j++) {
			if ((unsigned char)in[j] >= 0x80)
				return puny_bad(
				    "is not valid Punycode (RFC 3492)");
			out[outlen++] = (unsigned char)in[j];
		}
		pos = b + 1;
	} else
		pos = 0;
	while (pos < len) {
		oldi = i;
		w = 1;
		for (k = PUNY_BASE;; k += PUNY_BASE) {
			if (pos >= len)
				return puny_bad(
				    "is not valid Punycode (RFC 3492)");
			if ((digit = puny_digit_value(in[pos++])) < 0)
				return puny_bad(
				    "is not valid Punycode (RFC 3492)");
			if ((uint64_t)digit > (PUNY_MAXINT - i) / w)
				return puny_bad(
				    "is not valid Punycode (RFC 3492)");
			i += (uint64_t)digit * w;
			t = puny_threshold(k, bias);
			if ((uint64_t)digit < t)
				break;
			if (w > PUNY_MAXINT / (PUNY_BASE - t))
				return puny_bad(
				    "is not valid Punycode (RFC 3492)");
			w *= PUNY_BASE - t;
		}
		bias = puny_adapt(i - oldi, outlen + 1, oldi == 0);
		if (i / (outlen + 1) > PUNY_MAXINT - code)
			return puny_bad("is not valid Punycode (RFC 3492)");
		code += i / (outlen + 1);
		i %= outlen + 1;
		/* Basic code points must be written literally, not encoded. */
		if (code < 0x80 || code > 0x10ffff || outlen >= cap)
			return puny_bad("is not valid Punycode (RFC 3492)");
		for (j = outlen; j > i; j--)
			out[j] = out[j - 1];
		out[i++] = (uint32_t)code;
		outlen++;
	}
	*n = outlen;
	return 0;
}

int
names_punycode_encode(const uint32_t *in, size_t n, char *out, size_t *len)
{
	uint64_t code = PUNY_INITIAL_N, delta = 0, bias = PUNY_INITIAL_BIAS;
	uint64_t m, q, k, t, h, b = 0;
	size_t cap = *len, o = 0, j;

	*len = 0;
	for (j = 0; j < n; j++) {
		if (in[j] >= 0x80)
			continue;
		if (o >= cap)
			return puny_bad("does not fit as Punycode");
		out[o++] = (char)in[j];
		b++;
	}
	h = b;
	if (b > 0) {
		if (o >= cap)
			return puny_bad("does not fit as Punycode");
		out[o++] = '-';
	}
	while (h < n) {
		m = PUNY_MAXINT;
		for (j = 0; j < n; j++)
			if (in[j] >= code && in[j] < m)
				m = in[j];
		if ((m - code) > (PUNY_MAXINT - delta) / (h + 1))
			return puny_bad("does not fit as Punycode");
		delta += (m - code) * (h + 1);
		code = m;
		for (j = 0; j < n; j++) {
			if (in[j] < code && ++delta > PUNY_MAXINT)
				return puny_bad("does not fit as Punycode");
			if (in[j] != code)
				continue;
			q = delta;
			for (k = PUNY_BASE;; k += PUNY_BASE) {
				t = puny_threshold(k, bias);
				if (q < t)
					break;
				if (o >= cap)
					return puny_bad(
					    "does not fit as Punycode");
				out[o++] = puny_digit_char(
				    t + (q - t) % (PUNY_BASE - t));
				q = (q - t) / (PUNY_BASE - t);
			}
			if (o >= cap)
				return puny_bad("does not fit as Punycode");
			out[o++] = puny_digit_char(q);
			bias = puny_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		code++;
	}
	*len = o;
	return 0;
}
