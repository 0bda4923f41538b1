/*
 * Reasons for refusing a request, collected; and the small text helpers
 * that keep untrusted bytes out of messages.
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
