/*
 * RFC 7512 PKCS#11 URIs, parsed strictly: a URI names the token that holds
 * a CA's key, so anything ambiguous (an unknown or repeated attribute, a
 * character that should have been escaped) is refused with a message naming
 * the attribute rather than guessed at. A pin-value is never quoted back.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "token/token_int.h"
#include "util/text.h"

#define URI_MAX 4096

enum uri_attr {
	A_TOKEN,
	A_MANUFACTURER,
	A_SERIAL,
	A_MODEL,
	A_OBJECT,
	A_ID,
	A_TYPE,
	A_LIB_MANUFACTURER,
	A_LIB_DESCRIPTION,
	A_LIB_VERSION,
	A_SLOT_ID,
	A_SLOT_DESCRIPTION,
	A_SLOT_MANUFACTURER,
	A_MODULE_PATH,
	A_MODULE_NAME,
	A_PIN_SOURCE,
	A_PIN_VALUE,
};

/* Attributes, their part of the URI and the longest decoded value. */
static const struct uri_attr_def {
	const char *name;
	enum uri_attr attr;
	int query;
	size_t max; /* bytes; PKCS#11 field sizes where there is one */
} uri_attrs[] = {
	{ "token", A_TOKEN, 0, 32 },
	{ "manufacturer", A_MANUFACTURER, 0, 32 },
	{ "serial", A_SERIAL, 0, 16 },
	{ "model", A_MODEL, 0, 16 },
	{ "object", A_OBJECT, 0, SIGNET_KEY_LABEL_MAX },
	{ "id", A_ID, 0, SIGNET_KEY_ID_MAX },
	{ "type", A_TYPE, 0, 16 },
	{ "library-manufacturer", A_LIB_MANUFACTURER, 0, 32 },
	{ "library-description", A_LIB_DESCRIPTION, 0, 32 },
	{ "library-version", A_LIB_VERSION, 0, 16 },
	{ "slot-id", A_SLOT_ID, 0, 20 },
	{ "slot-description", A_SLOT_DESCRIPTION, 0, 64 },
	{ "slot-manufacturer", A_SLOT_MANUFACTURER, 0, 32 },
	{ "module-path", A_MODULE_PATH, 1, PATH_MAX },
	{ "module-name", A_MODULE_NAME, 1, 255 },
	{ "pin-source", A_PIN_SOURCE, 1, PATH_MAX },
	{ "pin-value", A_PIN_VALUE, 1, SECRET_MAX },
};

#define N_ATTRS (sizeof(uri_attrs) / sizeof(uri_attrs[0]))

static int
is_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 7512 pk11-res-avail: allowed unescaped in path and query values. */
static int
is_res_avail(int c)
{
	return c != '\0' && strchr(":[]@!$'()*+,=", c) != NULL;
}

static int
is_value_char(int c, int query)
{
	if (is_unreserved(c) || is_res_avail(c))
		return 1;
	if (query)
		return c == '/' || c == '?' || c == '|';
	return c == '&';
}

/*
 * Decode a value of n characters. The result is NUL-terminated (the NUL not
 * counted) so that text attributes can be used as C strings.
 */
static int
uri_decode(const char *s, size_t n, const struct uri_attr_def *def,
    uint8_t **out, size_t *outlen)
{
	int secret = def->attr == A_PIN_VALUE;
	uint8_t *buf;
	size_t i, len = 0;
	int hi, lo;

	*out = NULL;
	if ((buf = malloc(n + 1)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || (hi = text_hex_value(s[i + 1])) < 0 ||
			    (lo = text_hex_value(s[i + 2])) < 0) {
				secret_wipe(buf, n + 1);
				free(buf);
				return signet_error_set(SIGNET_ERR_URI,
				    "attribute '%s': '%%' must be followed by "
				    "two hex digits",
				    def->name);
			}
			buf[len++] = (uint8_t)(hi << 4 | lo);
			i += 2;
			continue;
		}
		if (!is_value_char(c, def->query)) {
			secret_wipe(buf, n + 1);
			free(buf);
			if (secret)
				return signet_error_set(SIGNET_ERR_URI,
				    "attribute 'pin-value' holds a character "
				    "that must be percent-encoded");
			if (isgraph(c) || c == ' ')
				return signet_error_set(SIGNET_ERR_URI,
				    "attribute '%s': character '%c' must be "
				    "percent-encoded as %%%02X",
				    def->name, c, c);
			return signet_error_set(SIGNET_ERR_URI,
			    "attribute '%s': byte 0x%02x must be "
			    "percent-encoded as %%%02X",
			    def->name, c, c);
		}
		buf[len++] = c;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static int
check_text(const struct uri_attr_def *def, const uint8_t *v, size_t len)
{
	if (memchr(v, '\0', len) != NULL)
		return signet_error_set(SIGNET_ERR_URI,
		    "attribute '%s' holds a NUL byte (%%00)", def->name);
	return 0;
}

static int
check_digits(const char *v, int dots_allowed)
{
	int dots = 0, digits = 0;

	for (; *v != '\0'; v++) {
		if (*v == '.' && dots_allowed && digits > 0 && dots == 0) {
			dots++;
			digits = 0;
			continue;
		}
		if (!isdigit((unsigned char)*v))
			return -1;
		digits++;
	}
	return digits > 0 ? 0 : -1;
}

static const char *const uri_types[] = { "public", "private", "cert",
	"secret-key", "data" };

/* Store one decoded attribute value, taking ownership of v. */
static int
uri_set(struct signet_p11_uri *uri, const struct uri_attr_def *def, uint8_t *v,
    size_t len)
{
	int r = SIGNET_ERR_INTERNAL;
	char **slot = NULL;
	size_t i;

	if (len == 0) {
		r = signet_error_set(SIGNET_ERR_URI,
		    "attribute '%s' has an empty value", def->name);
		goto out;
	}
	if (len > def->max) {
		if (def->attr == A_PIN_VALUE)
			r = signet_error_set(SIGNET_ERR_URI,
			    "attribute 'pin-value' is longer than %zu bytes",
			    def->max);
		else
			r = signet_error_set(SIGNET_ERR_URI,
			    "attribute '%s' is %zu bytes long; at most %zu "
			    "are allowed",
			    def->name, len, def->max);
		goto out;
	}
	if (def->attr != A_ID && def->attr != A_PIN_VALUE &&
	    (r = check_text(def, v, len)) != 0)
		goto out;
	switch (def->attr) {
	case A_TOKEN:
		slot = &uri->token;
		break;
	case A_MANUFACTURER:
		slot = &uri->manufacturer;
		break;
	case A_SERIAL:
		slot = &uri->serial;
		break;
	case A_MODEL:
		slot = &uri->model;
		break;
	case A_OBJECT:
		slot = &uri->object;
		break;
	case A_TYPE:
		for (i = 0; i < sizeof(uri_types) / sizeof(uri_types[0]); i++)
			if (strcmp((char *)v, uri_types[i]) == 0)
				break;
		if (i == sizeof(uri_types) / sizeof(uri_types[0])) {
			r = signet_error_set(SIGNET_ERR_URI,
			    "attribute 'type' must be public, private, cert, "
			    "secret-key or data, not '%s'",
			    (char *)v);
			goto out;
		}
		slot = &uri->type;
		break;
	case A_LIB_MANUFACTURER:
		slot = &uri->library_manufacturer;
		break;
	case A_LIB_DESCRIPTION:
		slot = &uri->library_description;
		break;
	case A_LIB_VERSION:
		if (check_digits((char *)v, 1) != 0) {
			r = signet_error_set(SIGNET_ERR_URI,
			    "attribute 'library-version' must be MAJOR or "
			    "MAJOR.MINOR in digits, not '%s'",
			    (char *)v);
			goto out;
		}
		slot = &uri->library_version;
		break;
	case A_SLOT_ID:
		errno = 0;
		if (check_digits((char *)v, 0) != 0 ||
		    (uri->slot_id = strtoul((char *)v, NULL, 10),
			errno == ERANGE)) {
			r = signet_error_set(SIGNET_ERR_URI,
			    "attribute 'slot-id' must be a decimal number, "
			    "not '%s'",
			    (char *)v);
			goto out;
		}
		uri->has_slot_id = 1;
		slot = &uri->slot_id_text;
		break;
	case A_SLOT_DESCRIPTION:
		slot = &uri->slot_description;
		break;
	case A_SLOT_MANUFACTURER:
		slot = &uri->slot_manufacturer;
		break;
	case A_MODULE_PATH:
		if (v[0] != '/') {
			r = signet_error_set(SIGNET_ERR_URI,
			    "attribute 'module-path' must be an absolute path, "
			    "not '%s'",
			    (char *)v);
			goto out;
		}
		slot = &uri->module_path;
		break;
	case A_MODULE_NAME:
		r = signet_error_set(SIGNET_ERR_URI,
		    "attribute 'module-name' is not supported: name the "
		    "module by its file with module-path=/path/to/module.so");
		goto out;
	case A_PIN_SOURCE:
		if (strncmp((char *)v, "file:", 5) != 0 &&
		    strncmp((char *)v, "env:", 4) != 0 &&
		    strcmp((char *)v, "prompt") != 0 && v[0] != '/') {
			r = signet_error_set(SIGNET_ERR_URI,
			    "attribute 'pin-source' must be file:PATH, an "
			    "absolute path, env:NAME or prompt, not '%s'",
			    (char *)v);
			goto out;
		}
		slot = &uri->pin_source;
		break;
	case A_ID:
		uri->id = v;
		uri->id_len = len;
		uri->has_id = 1;
		v = NULL;
		r = 0;
		goto out;
	case A_PIN_VALUE:
		r = secret_from_bytes(v, len, &uri->pin_value);
		goto out;
	default:
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "unhandled attribute");
		goto out;
	}
	*slot = (char *)v;
	v = NULL;
	r = 0;
out:
	if (v != NULL) {
		secret_wipe(v, len);
		free(v);
	}
	return r;
}

/* Parse one "name=value" component of the path or the query. */
static int
uri_attr_parse(struct signet_p11_uri *uri, const char *s, size_t n, int query,
    unsigned flags, unsigned *seen)
{
	const char *eq = memchr(s, '=', n);
	const struct uri_attr_def *def = NULL;
	const char *part = query ? "query" : "path";
	uint8_t *v = NULL;
	size_t i, namelen, len = 0;
	int r;

	if (n == 0)
		return signet_error_set(SIGNET_ERR_URI,
		    "empty attribute in the URI %s (a stray '%c')", part,
		    query ? '&' : ';');
	if (eq == NULL)
		return signet_error_set(SIGNET_ERR_URI,
		    "URI %s component '%.*s' is not name=value", part,
		    (int)(n > 64 ? 64 : n), s);
	namelen = (size_t)(eq - s);
	for (i = 0; i < N_ATTRS; i++)
		if (strlen(uri_attrs[i].name) == namelen &&
		    memcmp(uri_attrs[i].name, s, namelen) == 0) {
			def = &uri_attrs[i];
			break;
		}
	if (def == NULL)
		return signet_error_set(SIGNET_ERR_URI,
		    "unknown attribute '%.*s' in the URI %s; known: %s",
		    (int)(namelen > 64 ? 64 : namelen), s, part,
		    query ? "module-path, pin-source, pin-value"
			  : "token, manufacturer, serial, model, object, id, "
			    "type, library-manufacturer, library-description, "
			    "library-version, slot-id, slot-description, "
			    "slot-manufacturer");
	if (def->query != query)
		return signet_error_set(SIGNET_ERR_URI,
		    "attribute '%s' belongs in the URI %s (%s), not the %s",
		    def->name, def->query ? "query" : "path",
		    def->query ? "after '?'" : "before '?'", part);
	if ((*seen & (1u << def->attr)) != 0)
		return signet_error_set(SIGNET_ERR_URI,
		    "attribute '%s' appears more than once", def->name);
	*seen |= 1u << def->attr;
	if (def->attr == A_PIN_VALUE && !(flags & SIGNET_URI_ALLOW_PIN_VALUE))
		return signet_error_set(SIGNET_ERR_URI,
		    "the URI holds a PIN (pin-value), which ends up in shell "
		    "history, process lists and logs; use "
		    "pin-source=file:PATH instead, or accept the risk "
		    "explicitly (--insecure-pin-in-uri)");
	if ((r = uri_decode(eq + 1, n - namelen - 1, def, &v, &len)) != 0)
		return r;
	return uri_set(uri, def, v, len);
}

/* Split s (n chars) on sep and parse each component. */
static int
uri_part_parse(struct signet_p11_uri *uri, const char *s, size_t n, char sep,
    int query, unsigned flags, unsigned *seen)
{
	const char *end = s + n, *p;
	int r;

	for (;;) {
		p = memchr(s, sep, (size_t)(end - s));
		if (p == NULL)
			p = end;
		if ((r = uri_attr_parse(uri, s, (size_t)(p - s), query, flags,
			 seen)) != 0)
			return r;
		if (p == end)
			return 0;
		s = p + 1;
	}
}

int
signet_uri_parse(const char *text, unsigned flags, struct signet_p11_uri **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_p11_uri *uri = NULL;
	const char *path, *q;
	unsigned seen = 0;
	size_t len;

	*out = NULL;
	if (text == NULL)
		return signet_error_set(SIGNET_ERR_URI, "no PKCS#11 URI given");
	len = strnlen(text, URI_MAX + 1);
	if (len > URI_MAX)
		return signet_error_set(SIGNET_ERR_URI,
		    "PKCS#11 URI longer than %d characters", URI_MAX);
	if (strncasecmp(text, "pkcs11:", 7) != 0)
		return signet_error_set(SIGNET_ERR_URI,
		    "not a PKCS#11 URI: it must start with 'pkcs11:' "
		    "(for example pkcs11:token=root;object=root-key)");
	if ((uri = calloc(1, sizeof(*uri))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	path = text + 7;
	q = strchr(path, '?');
	if (q == NULL)
		q = text + len;
	if (q > path && (r = uri_part_parse(uri, path, (size_t)(q - path), ';',
			     0, flags, &seen)) != 0)
		goto out;
	if (*q == '?') {
		if (q[1] == '\0') {
			r = signet_error_set(SIGNET_ERR_URI,
			    "empty query after '?' in the URI");
			goto out;
		}
		if ((r = uri_part_parse(uri, q + 1, strlen(q + 1), '&', 1,
			 flags, &seen)) != 0)
			goto out;
	}
	if (uri->pin_value != NULL && uri->pin_source != NULL) {
		r = signet_error_set(SIGNET_ERR_URI,
		    "the URI has both pin-value and pin-source; give one");
		goto out;
	}
	*out = uri;
	uri = NULL;
	r = 0;
out:
	signet_uri_free(uri);
	return r;
}

void
signet_uri_free(struct signet_p11_uri *uri)
{
	if (uri == NULL)
		return;
	free(uri->token);
	free(uri->manufacturer);
	free(uri->serial);
	free(uri->model);
	free(uri->object);
	free(uri->type);
	free(uri->id);
	free(uri->library_manufacturer);
	free(uri->library_description);
	free(uri->library_version);
	free(uri->slot_description);
	free(uri->slot_manufacturer);
	free(uri->slot_id_text);
	free(uri->module_path);
	free(uri->pin_source);
	secret_free(uri->pin_value);
	free(uri);
}

char *
token_uri_encode(const uint8_t *in, size_t len, enum token_uri_enc enc)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out, *p;
	size_t i;

	if ((out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < len; i++) {
		if (enc != TOKEN_URI_ALL &&
		    (is_unreserved(in[i]) || is_res_avail(in[i]) ||
			(enc == TOKEN_URI_QUERY && in[i] == '/'))) {
			*p++ = (char)in[i];
			continue;
		}
		*p++ = '%';
		*p++ = hex[in[i] >> 4];
		*p++ = hex[in[i] & 15];
	}
	*p = '\0';
	return out;
}

struct uri_buf {
	char *s;
	size_t len, cap;
	int failed;
};

static void
ub_add(struct uri_buf *b, const char *text)
{
	size_t n = strlen(text);
	char *ns;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;

		if ((ns = realloc(b->s, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, text, n + 1);
	b->len += n;
}

/* Append sep name=encoded(value), if value is set. */
static void
ub_attr(struct uri_buf *b, int *first, char sep, const char *name,
    const void *value, size_t len, enum token_uri_enc enc)
{
	char *text;
	char s[2] = { sep, '\0' };

	if (value == NULL)
		return;
	if ((text = token_uri_encode(value, len, enc)) == NULL) {
		b->failed = 1;
		return;
	}
	if (!*first)
		ub_add(b, s);
	*first = 0;
	ub_add(b, name);
	ub_add(b, "=");
	ub_add(b, text);
	free(text);
}

#define UB_TEXT(b, first, sep, name, v)                              \
	ub_attr(b, first, sep, name, v, (v) != NULL ? strlen(v) : 0, \
	    (sep) == '&' ? TOKEN_URI_QUERY : TOKEN_URI_PATH)

char *
signet_uri_to_string(const struct signet_p11_uri *uri)
{
	struct uri_buf b = { NULL, 0, 0, 0 };
	int first = 1;

	ub_add(&b, "pkcs11:");
	UB_TEXT(&b, &first, ';', "token", uri->token);
	UB_TEXT(&b, &first, ';', "manufacturer", uri->manufacturer);
	UB_TEXT(&b, &first, ';', "serial", uri->serial);
	UB_TEXT(&b, &first, ';', "model", uri->model);
	UB_TEXT(&b, &first, ';', "object", uri->object);
	if (uri->has_id)
		ub_attr(&b, &first, ';', "id", uri->id, uri->id_len,
		    TOKEN_URI_ALL);
	UB_TEXT(&b, &first, ';', "type", uri->type);
	UB_TEXT(&b, &first, ';', "library-manufacturer",
	    uri->library_manufacturer);
	UB_TEXT(&b, &first, ';', "library-description",
	    uri->library_description);
	UB_TEXT(&b, &first, ';', "library-version", uri->library_version);
	UB_TEXT(&b, &first, ';', "slot-id", uri->slot_id_text);
	UB_TEXT(&b, &first, ';', "slot-description", uri->slot_description);
	UB_TEXT(&b, &first, ';', "slot-manufacturer", uri->slot_manufacturer);
	/* The query; pin-value is never written out. */
	if (uri->module_path != NULL || uri->pin_source != NULL) {
		first = 1;
		ub_add(&b, "?");
		UB_TEXT(&b, &first, '&', "module-path", uri->module_path);
		UB_TEXT(&b, &first, '&', "pin-source", uri->pin_source);
	}
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

const char *
signet_uri_get0_token(const struct signet_p11_uri *uri)
{
	return uri->token;
}

const char *
signet_uri_get0_serial(const struct signet_p11_uri *uri)
{
	return uri->serial;
}

const char *
signet_uri_get0_manufacturer(const struct signet_p11_uri *uri)
{
	return uri->manufacturer;
}

const char *
signet_uri_get0_model(const struct signet_p11_uri *uri)
{
	return uri->model;
}

const char *
signet_uri_get0_object(const struct signet_p11_uri *uri)
{
	return uri->object;
}

const char *
signet_uri_get0_type(const struct signet_p11_uri *uri)
{
	return uri->type;
}

const uint8_t *
signet_uri_get0_id(const struct signet_p11_uri *uri, size_t *len)
{
	*len = uri->has_id ? uri->id_len : 0;
	return uri->has_id ? uri->id : NULL;
}

const char *
signet_uri_get0_module_path(const struct signet_p11_uri *uri)
{
	return uri->module_path;
}

const char *
signet_uri_get0_pin_source(const struct signet_p11_uri *uri)
{
	return uri->pin_source;
}

int
signet_uri_has_pin_value(const struct signet_p11_uri *uri)
{
	return uri->pin_value != NULL;
}
