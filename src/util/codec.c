#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/codec.h"

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

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, uint8_t *out, size_t max, size_t *len)
{
	size_t n = 0;
	int hi, lo;

	*len = 0;
	while (*in != '\0') {
		if (*in == ':' && n > 0) {
			in++;
			continue;
		}
		if ((hi = hex_nibble(in[0])) < 0 || in[1] == '\0' ||
		    (lo = hex_nibble(in[1])) < 0)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "'%s' is not an even number of hex digits", in);
		if (n == max)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "hex value longer than %zu bytes", max);
		out[n++] = (uint8_t)(hi << 4 | lo);
		in += 2;
	}
	*len = n;
	return 0;
}

int
sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) || n != 32)
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

void
time_format(time_t t, char out[21])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "invalid-time");
}

int
time_parse(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	if (strcmp(s, "now") == 0) {
		*out = time(NULL);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "'%s' is not a UTC time like 2026-01-31T12:00:00Z", s);
	*out = timegm(&tm);
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
