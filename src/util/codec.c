#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/codec.h"
#include "util/text.h"

void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

char *
hex_encode_new(const uint8_t *in, size_t len)
{
	char *out;

	if ((out = malloc(2 * len + 1)) == NULL)
		return NULL;
	hex_encode(in, len, out);
	return out;
}

int
hex_decode(const char *in, uint8_t *out, size_t max, size_t *len)
{
	const char *p = in;
	size_t n = 0;
	int hi, lo;

	*len = 0;
	while (*p != '\0') {
		/* A ':' only between two byte pairs: "01:02", not "01::02:". */
		if (*p == ':' && n > 0 && p[-1] != ':' && p[1] != '\0') {
			p++;
			continue;
		}
		if ((hi = text_hex_value(p[0])) < 0 || p[1] == '\0' ||
		    (lo = text_hex_value(p[1])) < 0)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "'%s' is not hex: pairs of hex digits, optionally "
			    "with one ':' between pairs",
			    in);
		if (n == max)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "hex value longer than %zu bytes", max);
		out[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*len = n;
	return 0;
}

char *
base64_encode(const uint8_t *in, size_t len)
{
	char *out;

	if (len > INT_MAX / 2 ||
	    (out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(const char *in, size_t len, unsigned flags, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t i, n = 0, o = 0, pad = 0;
	int v;

	*out = NULL;
	*outlen = 0;
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < len; i++) {
		char c = in[i];

		if ((flags & BASE64_SPACE) &&
		    (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			continue;
		if (c == '=') {
			pad++;
			n++;
			continue;
		}
		if (pad > 0 || (v = base64_value(c)) < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		if (++n % 4 == 0) {
			buf[o++] = (uint8_t)(acc >> 16);
			buf[o++] = (uint8_t)(acc >> 8);
			buf[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (n % 4 != 0 || pad > 2)
		goto bad;
	if (pad > 0) {
		/* The last quantum: 2 or 3 characters and padding. */
		acc <<= 6 * pad;
		/* Bits beyond the data must be zero (RFC 4648 3.5). */
		if ((pad == 2 && (acc & 0xffff) != 0) ||
		    (pad == 1 && (acc & 0xff) != 0))
			goto bad;
		buf[o++] = (uint8_t)(acc >> 16);
		if (pad == 1)
			buf[o++] = (uint8_t)(acc >> 8);
	}
	*out = buf;
	*outlen = o;
	return 0;
bad:
	free(buf);
	return signet_error_set(SIGNET_ERR_USAGE,
	    "not canonical base64 (RFC 4648 4: the standard alphabet, "
	    "padding only at the end, zero padding bits)");
}

/*
 * EVP_sha256() and its kind make OpenSSL 3 look the digest up again, under
 * its global locks, every time it is used: a few of those per certificate
 * add up. Fetched once, they are read-only and shared between threads.
 */
static EVP_MD *sha2_fetched[3];
static pthread_once_t sha2_once = PTHREAD_ONCE_INIT;

static void
sha2_fetch(void)
{
	sha2_fetched[0] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	sha2_fetched[1] = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	sha2_fetched[2] = EVP_MD_fetch(NULL, "SHA2-512", NULL);
}

const EVP_MD *
sha2_md(unsigned bits)
{
	(void)pthread_once(&sha2_once, sha2_fetch);
	switch (bits) {
	case 256:
		return sha2_fetched[0] != NULL ? sha2_fetched[0] : EVP_sha256();
	case 384:
		return sha2_fetched[1] != NULL ? sha2_fetched[1] : EVP_sha384();
	case 512:
		return sha2_fetched[2] != NULL ? sha2_fetched[2] : EVP_sha512();
	default:
		return NULL;
	}
}

int
sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, out, &n, sha2_md(256), NULL) || n != 32)
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256 failed");
	return 0;
}

int
sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[32];
	int r;

	if ((r = sha256(data, len, md)) != 0)
		return r;
	hex_encode(md, sizeof(md), out);
	return 0;
}

int
spki_sha256_hex(const EVP_PKEY *pub, char out[65])
{
	unsigned char *der = NULL;
	int len, r;

	out[0] = '\0';
	if ((len = i2d_PUBKEY(pub, &der)) <= 0)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode a public key");
	r = sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
	return r;
}

/* H. Hinnant's days_from_civil and civil_from_days. */
int64_t
time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
time_civil_valid(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
    unsigned s)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);

	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap ? 1u : 0u))
		return 0;
	return h <= 23 && mi <= 59 && s <= 59;
}

int64_t
time_from_civil(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
    unsigned s)
{
	return time_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	       (int64_t)mi * 60 + s;
}

void
time_format(time_t t, char out[21])
{
	struct tm tm;
	char buf[64];

	/* Four-digit years always (strftime's %Y writes year 1 as "1"). */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		snprintf(out, 21, "invalid-time");
		return;
	}
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	memcpy(out, buf, 20);
	out[20] = '\0';
}

int
time_parse_rfc3339(const char *s, int64_t *out)
{
	unsigned y, mo, d, h, mi, sec;
	const char *p;
	int frac = 0;

	*out = 0;
	/* Every digit is checked before the separator after it is read. */
	if (text_digits(s, 4, &y) != 0 || s[4] != '-' ||
	    text_digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    text_digits(s + 8, 2, &d) != 0 || s[10] != 'T' ||
	    text_digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    text_digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
	    text_digits(s + 17, 2, &sec) != 0)
		goto bad;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			frac++;
		if (frac < 1 || frac > 9)
			goto bad;
	}
	if (p[0] != 'Z' || p[1] != '\0' ||
	    !time_civil_valid(y, mo, d, h, mi, sec))
		goto bad;
	*out = time_from_civil(y, mo, d, h, mi, sec);
	return 0;
bad:
	return signet_error_set(SIGNET_ERR_USAGE,
	    "'%.40s' is not a UTC time like 2026-01-31T12:00:00Z (RFC 3339, "
	    "a date that exists)",
	    s);
}

int
time_parse(const char *s, time_t *out)
{
	int64_t t;
	int r;

	*out = 0;
	if (strcmp(s, "now") == 0) {
		*out = time(NULL);
		return 0;
	}
	if ((r = time_parse_rfc3339(s, &t)) != 0)
		return r;
	*out = (time_t)t;
	return 0;
}

int
duration_parse(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t total = 0, n, unit;
	char *end;

	*out = 0;
	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			goto bad;
		n = strtoll(p, &end, 10);
		switch (*end) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		default:
			goto bad;
		}
		if (n < 0 || n > INT64_MAX / unit / 4 || total > INT64_MAX / 4)
			goto bad;
		total += n * unit;
		p = end + 1;
	}
	*out = total;
	return 0;
bad:
	return signet_error_set(SIGNET_ERR_USAGE,
	    "'%s' is not a duration like 90d, 12h, 30m or 1d12h", s);
}
