/* PEM (RFC 7468): encoding and strict decoding of one block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/codec.h"
#include "util/pem.h"

#define PEM_LABEL_MAX 64

int
pem_encode(const char *label, const uint8_t *der, size_t len, char **out,
    size_t *outlen)
{
	size_t label_len = strlen(label), cap, off = 0, i, n;
	char *p;

	*out = NULL;
	*outlen = 0;
	/* 48 bytes make one 64-character line of base64. */
	cap = 2 * (label_len + 16) + (len + 47) / 48 * 65 + 1;
	if ((p = malloc(cap)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	off += (size_t)snprintf(p, cap, "-----BEGIN %s-----\n", label);
	for (i = 0; i < len; i += 48) {
		n = len - i < 48 ? len - i : 48;
		off += (size_t)EVP_EncodeBlock((unsigned char *)p + off,
		    der + i, (int)n);
		p[off++] = '\n';
	}
	off +=
	    (size_t)snprintf(p + off, cap - off, "-----END %s-----\n", label);
	*out = p;
	*outlen = off;
	return 0;
}

static int
pem_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const uint8_t *
pem_find(const uint8_t *hay, const uint8_t *end, const char *needle)
{
	size_t nl = strlen(needle);

	if ((size_t)(end - hay) < nl)
		return NULL;
	return memmem(hay, (size_t)(end - hay), needle, nl);
}

/*
 * The label of the BEGIN line at p into label[]; *body just after the
 * line's "-----". 0, or -1 if p holds no BEGIN line of a wanted label.
 */
static int
pem_begin(const uint8_t *p, const uint8_t *end, const struct pem_want *want,
    char label[PEM_LABEL_MAX + 1], const uint8_t **body)
{
	const uint8_t *l = p + 11, *stop;
	size_t n, i;

	if ((size_t)(end - p) < 11 || memcmp(p, "-----BEGIN ", 11) != 0)
		return -1;
	if ((stop = pem_find(l, end, "-----")) == NULL ||
	    (n = (size_t)(stop - l)) == 0 || n > PEM_LABEL_MAX)
		return -1;
	/* RFC 7468 3: printable characters, no hyphen-minus. */
	for (i = 0; i < n; i++)
		if (l[i] < 0x20 || l[i] > 0x7e || l[i] == '-')
			return -1;
	memcpy(label, l, n);
	label[n] = '\0';
	*body = stop + 5;
	if (want->labels == NULL)
		return 0;
	for (i = 0; want->labels[i] != NULL; i++)
		if (strcmp(label, want->labels[i]) == 0)
			return 0;
	return -1;
}

int
pem_decode(const uint8_t *in, size_t len, const struct pem_want *want,
    char **label_out, uint8_t **der, size_t *derlen)
{
	const uint8_t *p = in, *end = in + len, *body = NULL, *stop, *after;
	char label[PEM_LABEL_MAX + 1], endline[PEM_LABEL_MAX + 16];
	const char *what = want->what;

	*der = NULL;
	*derlen = 0;
	if (label_out != NULL)
		*label_out = NULL;
	if (want->flags & PEM_TEXT_AROUND) {
		if ((p = pem_find(in, end, "-----BEGIN ")) == NULL)
			return signet_error_set(want->code,
			    "%s holds no PEM block", what);
	} else {
		while (p < end && pem_space(*p))
			p++;
	}
	if (pem_begin(p, end, want, label, &body) != 0) {
		if (want->labels != NULL)
			return signet_error_set(want->code,
			    "%s's PEM block is not a %s", what,
			    want->labels[0]);
		return signet_error_set(want->code,
		    "%s's PEM block has no valid BEGIN line", what);
	}
	snprintf(endline, sizeof(endline), "-----END %s-----", label);
	if ((stop = pem_find(body, end, endline)) == NULL)
		return signet_error_set(want->code,
		    "%s's PEM block has no END line", what);
	if (pem_find(body, stop, "-----") != NULL)
		return signet_error_set(want->code,
		    "%s's PEM block is malformed (nested or unterminated "
		    "blocks)",
		    what);
	after = stop + strlen(endline);
	for (p = after; !(want->flags & PEM_TEXT_AROUND) && p < end; p++) {
		if (pem_space(*p))
			continue;
		if (pem_find(p, end, "-----BEGIN") != NULL)
			return signet_error_set(want->code,
			    "%s file holds more than one PEM block; give "
			    "exactly one",
			    what);
		return signet_error_set(want->code,
		    "%s file has text after its PEM block", what);
	}
	if (base64_decode((const char *)body, (size_t)(stop - body),
		BASE64_SPACE, der, derlen) != 0)
		return signet_error_set(want->code,
		    "%s's PEM block is not valid base64 (PEM headers are not "
		    "accepted)",
		    what);
	if (*derlen == 0) {
		free(*der);
		*der = NULL;
		return signet_error_set(want->code, "%s's PEM block is empty",
		    what);
	}
	if (label_out != NULL && (*label_out = strdup(label)) == NULL) {
		free(*der);
		*der = NULL;
		*derlen = 0;
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	return 0;
}
