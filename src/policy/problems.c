/*
 * Reasons for refusing a request, collected; and the small text helpers
 * that keep untrusted bytes out of messages and check UTF-8.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

int
policy_vformat(char *out, size_t outsz, const char *fmt, va_list ap)
{
	/* Every caller has called va_start on ap. */
	return vsnprintf(out, outsz, fmt, ap); /* NOLINT */
}

void
policy_problem(struct policy_problems *pr, const char *fmt, ...)
{
	char item[512];
	size_t ilen, need;
	va_list ap;

	va_start(ap, fmt);
	policy_vformat(item, sizeof(item), fmt, ap);
	va_end(ap);
	ilen = strlen(item);
	need = ilen + (pr->count > 0 ? 2 : 0);
	/* Keep room for the " (and N more)" suffix. */
	if (pr->len + need + 24 >= sizeof(pr->text)) {
		pr->dropped++;
		pr->count++;
		return;
	}
	if (pr->count > 0) {
		memcpy(pr->text + pr->len, "; ", 2);
		pr->len += 2;
	}
	memcpy(pr->text + pr->len, item, ilen);
	pr->len += ilen;
	pr->text[pr->len] = '\0';
	pr->count++;
}

int
policy_problems_raise(const struct policy_problems *pr)
{
	if (pr->dropped > 0)
		return signet_error_set(SIGNET_ERR_POLICY, "%s (and %u more)",
		    pr->text, pr->dropped);
	return signet_error_set(SIGNET_ERR_POLICY, "%s", pr->text);
}

void
policy_escape(const void *data, size_t len, char out[POLICY_ESC_MAX])
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		/* Leave room for "\xNN", "..." and the NUL. */
		if (o + 4 + 3 + 1 > POLICY_ESC_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' &&
		    p[i] != '\'') {
			out[o++] = (char)p[i];
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 0xf];
	}
	out[o] = '\0';
}

/* Invisible characters that reorder or hide text (Unicode Cf, bidi). */
static int
utf8_is_invisible(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff || c == 0x00ad;
}

int
policy_utf8_check(const uint8_t *s, size_t len, char *why, size_t whysz)
{
	size_t i = 0, n, k;
	uint32_t c, min;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			n = 0;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
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
			goto bad;
		if (len - i - 1 < n)
			goto bad;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			goto bad;
		if (c == 0) {
			snprintf(why, whysz,
			    "contains a NUL byte at offset %zu", i);
			return -1;
		}
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
			snprintf(why, whysz,
			    "contains control character U+%04X at offset %zu",
			    (unsigned)c, i);
			return -1;
		}
		if (utf8_is_invisible(c)) {
			snprintf(why, whysz,
			    "contains invisible formatting character U+%04X at "
			    "offset %zu",
			    (unsigned)c, i);
			return -1;
		}
		i += n + 1;
	}
	return 0;
bad:
	snprintf(why, whysz, "is not valid UTF-8 (at offset %zu)", i);
	return -1;
}

int
policy_strlist_add(struct signet_strlist *l, const char *s)
{
	char **v;
	char *copy;

	if ((copy = strdup(s)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(copy);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	l->v = v;
	l->v[l->n++] = copy;
	return 0;
}

int
policy_strlist_addf(struct signet_strlist *l, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	policy_vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return policy_strlist_add(l, buf);
}

void
policy_strlist_clear(struct signet_strlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
