/* Serial numbers (RFC 5280 4.1.2.2, BR 7.1). */
#include <string.h>

#include <openssl/rand.h>

#include "signet/x509.h"
#include "util/codec.h"
#include "x509/x509_int.h"

int
signet_random_openssl(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	if (len > 0x7fffffff || RAND_bytes(buf, (int)len) != 1)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "OpenSSL's random generator failed");
	return 0;
}

int
signet_serial_new(signet_random_fn random, void *arg, size_t octets,
    struct signet_serial *out)
{
	uint8_t buf[SIGNET_SERIAL_MAX];
	size_t i, same = 1;
	int r = SIGNET_ERR_INTERNAL, tries;

	memset(out, 0, sizeof(*out));
	if (octets == 0)
		octets = SIGNET_SERIAL_DEFAULT;
	if (octets < SIGNET_SERIAL_MIN_NEW || octets > SIGNET_SERIAL_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial length %zu octets: use %d to %d", octets,
		    SIGNET_SERIAL_MIN_NEW, SIGNET_SERIAL_MAX);
	if ((r = random(arg, buf, octets)) != 0)
		return signet_error_context(r, "drawing a serial number");
	/*
	 * The first octet loses only its sign bit and is redrawn while the
	 * rest of it is zero: it ends uniform over 0x01..0x7f, the INTEGER is
	 * positive and its minimal encoding is exactly octets long.
	 */
	for (tries = 0; (buf[0] & 0x7f) == 0; tries++) {
		if (tries == 32)
			return signet_error_set(SIGNET_ERR_CRYPTO,
			    "the random source returned 32 zero octets in a "
			    "row; refusing to make a serial number from it");
		if ((r = random(arg, buf, 1)) != 0)
			return signet_error_context(r,
			    "drawing a serial number");
	}
	buf[0] &= 0x7f;
	for (i = 1; i < octets; i++)
		if (buf[i] != buf[1])
			same = 0;
	if (same)
		return signet_error_set(SIGNET_ERR_CRYPTO,
		    "the random source returned %zu identical octets; "
		    "refusing to make a serial number from it (is the "
		    "token's generator broken?)",
		    octets - 1);
	memcpy(out->v, buf, octets);
	out->len = octets;
	return 0;
}

void
signet_serial_to_hex(const struct signet_serial *s, char out[41])
{
	size_t len = s->len > SIGNET_SERIAL_MAX ? SIGNET_SERIAL_MAX : s->len;

	hex_encode(s->v, len, out);
}

int
signet_serial_from_hex(const char *hex, struct signet_serial *out)
{
	uint8_t mag[SIGNET_SERIAL_MAX + 1];
	size_t len = 0, skip = 0;

	memset(out, 0, sizeof(*out));
	if (hex_decode(hex, mag, sizeof(mag), &len) != 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial '%s' is not hex of at most 20 octets", hex);
	while (skip < len && mag[skip] == 0)
		skip++;
	if (skip == len)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial '%s' is zero (or empty): serials are positive",
		    hex);
	if (mag[skip] & 0x80) {
		if (len - skip + 1 > SIGNET_SERIAL_MAX)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "serial '%s' needs more than 20 octets", hex);
		out->v[0] = 0;
		memcpy(out->v + 1, mag + skip, len - skip);
		out->len = len - skip + 1;
		return 0;
	}
	if (len - skip > SIGNET_SERIAL_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "serial '%s' needs more than 20 octets", hex);
	memcpy(out->v, mag + skip, len - skip);
	out->len = len - skip;
	return 0;
}

int
signet_serial_cmp(const struct signet_serial *a, const struct signet_serial *b)
{
	return x509_serial_bytes_cmp(a->v, a->len, b->v, b->len);
}
