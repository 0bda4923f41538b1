/* Small encoders: hex, SHA-256 fingerprints, times and durations. */
#ifndef SIGNET_UTIL_CODEC_H
#define SIGNET_UTIL_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signet/error.h"

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Fresh lower-case hex string, or NULL when out of memory. */
char *hex_encode_new(const uint8_t *in, size_t len);
/*
 * Decode hex (either case, optional ':' between bytes) into out, at most
 * max bytes; sets *len. Returns SIGNET_ERR_USAGE on anything else.
 */
int
hex_decode(const char *in, uint8_t *out, size_t max, size_t *len) SIGNET_WUR;

/* SHA-256 of data into out[32]. */
int sha256(const void *data, size_t len, uint8_t out[32]) SIGNET_WUR;
/* Lower-case hex SHA-256 of data into out[65]. */
int sha256_hex(const void *data, size_t len, char out[65]) SIGNET_WUR;

/* RFC 3339 UTC, "2026-11-23T09:44:00Z", into out[21]. */
void time_format(time_t t, char out[21]);
/* Parse RFC 3339 UTC ("...Z" only) or "now"; SIGNET_ERR_USAGE otherwise. */
int time_parse(const char *s, time_t *out) SIGNET_WUR;
/*
 * Parse a duration "90d", "12h", "30m", "45s" or a sum "1d12h" into
 * seconds; SIGNET_ERR_USAGE otherwise.
 */
int duration_parse(const char *s, int64_t *out) SIGNET_WUR;

#endif /* SIGNET_UTIL_CODEC_H */
