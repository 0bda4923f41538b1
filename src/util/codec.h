/* Small encoders: hex, base64, SHA-256 fingerprints, times and durations. */
#ifndef SIGNET_UTIL_CODEC_H
#define SIGNET_UTIL_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

#include "signet/error.h"

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Fresh lower-case hex string, or NULL when out of memory. */
char *hex_encode_new(const uint8_t *in, size_t len);
/*
 * Decode hex (either case) into out, at most max bytes; sets *len. A ':'
 * may stand between two byte pairs ("01:02"), nowhere else.
 * SIGNET_ERR_USAGE on anything else.
 */
int
hex_decode(const char *in, uint8_t *out, size_t max, size_t *len) SIGNET_WUR;

/* Base64 (RFC 4648 4, padded, no line breaks) of len bytes, fresh string. */
char *base64_encode(const uint8_t *in, size_t len);

/* base64_decode flags. */
#define BASE64_SPACE 0x01 /* whitespace between characters (PEM bodies) */

/*
 * Decode len characters of base64 into a fresh buffer (*out, free()).
 * Strict: the standard alphabet, padding only at the end, zero padding
 * bits (RFC 4648 3.5), so every byte string has one encoding.
 * SIGNET_ERR_USAGE otherwise.
 */
int base64_decode(const char *in, size_t len, unsigned flags, uint8_t **out,
    size_t *outlen) SIGNET_WUR;

/*
 * SHA-256, SHA-384 or SHA-512 (bits), fetched from the default library
 * context once per process; NULL for other sizes.
 */
const EVP_MD *sha2_md(unsigned bits);
/* SHA-256 of data into out[32]. */
int sha256(const void *data, size_t len, uint8_t out[32]) SIGNET_WUR;
/* Lower-case hex SHA-256 of data into out[65]. */
int sha256_hex(const void *data, size_t len, char out[65]) SIGNET_WUR;
/*
 * A public key's fingerprint: lower-case hex SHA-256 of its DER
 * SubjectPublicKeyInfo into out[65] ("" on failure).
 */
int spki_sha256_hex(const EVP_PKEY *pub, char out[65]) SIGNET_WUR;

/* ---- times ---------------------------------------------------------------- */

/* Days from 1970-01-01 of a proleptic Gregorian date (any year). */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The date of a day counted from 1970-01-01. */
void time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/*
 * 1 if the date exists (month 1..12, day within that month of that year)
 * and the time of day is 00:00:00..23:59:59; 0 otherwise. No leap seconds:
 * neither ASN.1 times (RFC 5280 4.1.2.5) nor POSIX time have them.
 */
int time_civil_valid(int64_t y, unsigned mo, unsigned d, unsigned h,
    unsigned mi, unsigned s);
/* Seconds since the epoch of a valid UTC date and time. */
int64_t time_from_civil(int64_t y, unsigned mo, unsigned d, unsigned h,
    unsigned mi, unsigned s);

/* RFC 3339 UTC, "2026-11-23T09:44:00Z", into out[21]. */
void time_format(time_t t, char out[21]);
/*
 * Parse an RFC 3339 UTC time, "2026-11-23T09:44:00Z", optionally with a
 * fraction of a second ("09:44:00.123456Z", 1 to 9 digits, dropped), into
 * seconds since the epoch. The date must exist. SIGNET_ERR_USAGE otherwise.
 */
int time_parse_rfc3339(const char *s, int64_t *out) SIGNET_WUR;
/* time_parse_rfc3339, or "now"; SIGNET_ERR_USAGE otherwise. */
int time_parse(const char *s, time_t *out) SIGNET_WUR;
/*
 * Parse a duration "90d", "12h", "30m", "45s" or a sum "1d12h" into
 * seconds; SIGNET_ERR_USAGE otherwise.
 */
int duration_parse(const char *s, int64_t *out) SIGNET_WUR;

#endif /* SIGNET_UTIL_CODEC_H */
