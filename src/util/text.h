/*
 * Character checks, one of each: UTF-8, PrintableString characters and hex
 * digits. Used on untrusted names, subject attributes and policy files.
 */
#ifndef SIGNET_UTIL_TEXT_H
#define SIGNET_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "signet/error.h"

/*
 * Decode the code point at s[*i] (of len bytes) into *cp and move *i past
 * it. Shortest form only, no surrogates, at most U+10FFFF (RFC 3629 3).
 * Returns 0, or -1 (leaving *i) if the bytes there are not UTF-8.
 */
int text_utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp)
    SIGNET_WUR;
/* 1 if s is UTF-8 throughout, else 0. */
int text_utf8_valid(const uint8_t *s, size_t len);
/*
 * Text a person will read: UTF-8, without NUL, control characters (C0,
 * DEL, C1) or invisible characters that reorder or hide text (bidi
 * controls, zero-width characters, BOM, soft hyphen). SIGNET_ERR_USAGE
 * otherwise, with the reason as a phrase to follow what the text is
 * ("contains control character U+000A at offset 3").
 */
int text_display_check(const uint8_t *s, size_t len) SIGNET_WUR;

/* 1 if c may appear in a PrintableString (X.680 41.4), else 0. */
int text_printable_char(int c);
/* 1 if every byte of s may appear in a PrintableString, else 0. */
int text_printable(const uint8_t *s, size_t len);

/* The number n decimal digits at s spell; -1 if one is not a digit. */
int text_digits(const char *s, size_t n, unsigned *out) SIGNET_WUR;

/* The value of hex digit c (either case), or -1. */
int text_hex_value(int c);

#endif /* SIGNET_UTIL_TEXT_H */
