/* Character checks: UTF-8, PrintableString characters, hex digits. */
#include <string.h>

#include "util/text.h"

int
text_utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp)
{
	size_t n, k, at = *i;
	uint32_t c, min;

	if (at >= len)
		return -1;
	c = s[at];
	if (c < 0x80) {
		*cp = c;
		*i = at + 1;
		return 0;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len - at - 1 < n)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[at + k] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[at + k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*i = at + n + 1;
	return 0;
}

int
text_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len)
		if (text_utf8_next(s, len, &i, &cp) != 0)
			return 0;
	return 1;
}

/* Invisible characters that reorder or hide text (Unicode Cf, bidi). */
static int
text_is_invisible(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff || c == 0x00ad;
}

int
text_display_check(const uint8_t *s, size_t len)
{
	size_t i = 0, at;
	uint32_t c;

	while (i < len) {
		at = i;
		if (text_utf8_next(s, len, &i, &c) != 0)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "is not valid UTF-8 (at offset %zu)", at);
		if (c == 0)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "contains a NUL byte at offset %zu", at);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			return signet_error_set(SIGNET_ERR_USAGE,
			    "contains control character U+%04X at offset %zu",
			    (unsigned)c, at);
		if (text_is_invisible(c))
			return signet_error_set(SIGNET_ERR_USAGE,
			    "contains invisible formatting character U+%04X at "
			    "offset %zu",
			    (unsigned)c, at);
	}
	return 0;
}

int
text_printable_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr(" '()+,-./:=?", c) != NULL);
}

int
text_printable(const uint8_t *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!text_printable_char(s[i]))
			return 0;
	return 1;
}

int
text_digits(const char *s, size_t n, unsigned *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int
text_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
