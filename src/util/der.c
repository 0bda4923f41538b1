/* DER writing, reading and strictness checks (X.690). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"
#include "util/der.h"
#include "util/text.h"

/* ---- writing ----------------------------------------------------------- */

void
der_buf_init(struct der_buf *b, size_t headroom)
{
	memset(b, 0, sizeof(*b));
	b->head = headroom;
	b->len = headroom;
}

void
der_buf_free(struct der_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
der_buf_status(const struct der_buf *b)
{
	if (b->failed)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "out of memory while encoding (or the encoding exceeds "
		    "%zu bytes)",
		    DER_MAX_SIZE);
	return 0;
}

const uint8_t *
der_buf_data(const struct der_buf *b, size_t *len)
{
	*len = b->len - b->head;
	return b->p != NULL ? b->p + b->head : (const uint8_t *)"";
}

static int
der_grow(struct der_buf *b, size_t need)
{
	size_t cap;
	uint8_t *np;

	if (b->failed)
		return -1;
	if (need > DER_MAX_SIZE || b->len > DER_MAX_SIZE - need) {
		b->failed = 1;
		return -1;
	}
	if (b->p != NULL && b->len + need <= b->cap)
		return 0;
	cap = b->cap < 256 ? 256 : b->cap;
	while (cap < b->len + need)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

size_t
der_header_len(size_t n)
{
	size_t k = 0;

	if (n < 0x80)
		return 2;
	while (n > 0) {
		k++;
		n >>= 8;
	}
	return 2 + k;
}

/* Write a header for body length n at dst (der_header_len(n) bytes). */
static void
der_header_write(uint8_t *dst, uint8_t tag, size_t n)
{
	size_t hl = der_header_len(n), i;

	dst[0] = tag;
	if (hl == 2) {
		dst[1] = (uint8_t)n;
		return;
	}
	dst[1] = (uint8_t)(0x80 | (hl - 2));
	for (i = hl - 1; i >= 2; i--) {
		dst[i] = (uint8_t)(n & 0xff);
		n >>= 8;
	}
}

void
der_put_raw(struct der_buf *b, const void *data, size_t n)
{
	if (n == 0 || der_grow(b, n) != 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/*
 * Write a header for a body of pad + n octets and make room for the body;
 * the caller writes it. pad is what an encoder puts before the caller's n
 * octets (a zero for INTEGER sign or BIT STRING unused bits). The size is
 * checked before anything is added to it, so that no n wraps.
 */
static int
der_put_header(struct der_buf *b, uint8_t tag, size_t pad, size_t n)
{
	size_t hl;

	if (b->failed)
		return -1;
	if (n > DER_MAX_SIZE - pad) {
		b->failed = 1;
		return -1;
	}
	hl = der_header_len(pad + n);
	if (der_grow(b, hl + pad + n) != 0)
		return -1;
	der_header_write(b->p + b->len, tag, pad + n);
	b->len += hl;
	return 0;
}

void
der_put_tlv(struct der_buf *b, uint8_t tag, const void *body, size_t n)
{
	if (der_put_header(b, tag, 0, n) != 0)
		return;
	if (n > 0)
		memcpy(b->p + b->len, body, n);
	b->len += n;
}

size_t
der_begin(struct der_buf *b, uint8_t tag)
{
	size_t mark = b->len;

	if (der_grow(b, 2) != 0)
		return mark;
	b->p[b->len++] = tag;
	b->p[b->len++] = 0;
	return mark;
}

void
der_end(struct der_buf *b, size_t mark)
{
	size_t n, hl;

	if (b->failed || b->len < mark + 2)
		return;
	n = b->len - mark - 2;
	hl = der_header_len(n);
	if (hl > 2) {
		/* The length needs more octets: move the body up. */
		if (der_grow(b, hl - 2) != 0)
			return;
		memmove(b->p + mark + hl, b->p + mark + 2, n);
		b->len += hl - 2;
	}
	der_header_write(b->p + mark, b->p[mark], n);
}

void
der_wrap(struct der_buf *b, uint8_t tag)
{
	size_t n = b->len - b->head, hl = der_header_len(n);

	if (b->failed || der_grow(b, 0) != 0)
		return;
	if (hl > b->head) {
		size_t more = hl - b->head;

		if (der_grow(b, more) != 0)
			return;
		memmove(b->p + b->head + more, b->p + b->head, n);
		b->head += more;
		b->len += more;
	}
	b->head -= hl;
	der_header_write(b->p + b->head, tag, n);
}

void
der_put_bool_true(struct der_buf *b)
{
	static const uint8_t t = 0xff;

	der_put_tlv(b, DER_BOOLEAN, &t, 1);
}

void
der_put_null(struct der_buf *b)
{
	der_put_tlv(b, DER_NULL, NULL, 0);
}

void
der_put_uint(struct der_buf *b, uint8_t tag, uint64_t v)
{
	uint8_t mag[9];
	size_t n = 0, i;

	for (i = 0; i < 8; i++)
		mag[i] = (uint8_t)(v >> (56 - 8 * i));
	/* Minimal: drop leading zero octets, keep one if the next is >= 0x80. */
	while (n < 7 && mag[n] == 0 && (mag[n + 1] & 0x80) == 0)
		n++;
	if (mag[n] & 0x80) {
		uint8_t body[9];

		body[0] = 0;
		memcpy(body + 1, mag + n, 8 - n);
		der_put_tlv(b, tag, body, 9 - n);
		return;
	}
	der_put_tlv(b, tag, mag + n, 8 - n);
}

void
der_put_uint_bytes(struct der_buf *b, const uint8_t *mag, size_t n)
{
	static const uint8_t zero = 0;

	while (n > 0 && mag[0] == 0) {
		mag++;
		n--;
	}
	if (n == 0) {
		der_put_tlv(b, DER_INTEGER, &zero, 1);
		return;
	}
	if ((mag[0] & 0x80) == 0) {
		der_put_tlv(b, DER_INTEGER, mag, n);
		return;
	}
	if (der_put_header(b, DER_INTEGER, 1, n) != 0)
		return;
	b->p[b->len++] = 0;
	memcpy(b->p + b->len, mag, n);
	b->len += n;
}

void
der_put_oid(struct der_buf *b, const uint8_t *oid, size_t n)
{
	der_put_tlv(b, DER_OID, oid, n);
}

static char *
der_digits2(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/*
 * Encode without gmtime/snprintf: a CRL writes a million of these.
 * generalized < 0: choose by the RFC 5280 rule.
 */
static void
der_put_time_as(struct der_buf *b, time_t t, int generalized)
{
	int64_t days = (int64_t)t / 86400, secs = (int64_t)t % 86400, y;
	unsigned m, d;
	char s[16], *p = s;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	time_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		b->failed = 1;
		return;
	}
	if (generalized < 0)
		generalized = y < 1950 || y > 2049;
	if (generalized)
		p = der_digits2(p, (unsigned)(y / 100));
	p = der_digits2(p, (unsigned)(y % 100));
	p = der_digits2(p, m);
	p = der_digits2(p, d);
	p = der_digits2(p, (unsigned)(secs / 3600));
	p = der_digits2(p, (unsigned)(secs / 60 % 60));
	p = der_digits2(p, (unsigned)(secs % 60));
	*p++ = 'Z';
	der_put_tlv(b, generalized ? DER_GENERALIZED_TIME : DER_UTC_TIME, s,
	    (size_t)(p - s));
}

void
der_put_time(struct der_buf *b, time_t t)
{
	/* RFC 5280 4.1.2.5: UTCTime for 1950-2049, GeneralizedTime else. */
	der_put_time_as(b, t, -1);
}

void
der_put_generalized_time(struct der_buf *b, time_t t)
{
	der_put_time_as(b, t, 1);
}

void
der_put_bits(struct der_buf *b, const uint8_t *data, size_t n)
{
	if (der_put_header(b, DER_BIT_STRING, 1, n) != 0)
		return;
	b->p[b->len++] = 0;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

void
der_put_named_bits(struct der_buf *b, uint8_t tag, unsigned bits)
{
	uint8_t body[5] = { 0 };
	int high = -1, n;

	for (n = 0; n < 32; n++)
		if (bits & (1u << n)) {
			high = n;
			body[1 + n / 8] |= (uint8_t)(0x80 >> (n % 8));
		}
	if (high < 0) {
		/* X.690 11.2.2: an empty named bit list is 03 01 00. */
		der_put_tlv(b, tag, body, 1);
		return;
	}
	body[0] = (uint8_t)(7 - high % 8);
	der_put_tlv(b, tag, body, (size_t)high / 8 + 2);
}

static size_t
der_put_base128(uint8_t *out, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0, i;

	do {
		tmp[n++] = (uint8_t)(v & 0x7f);
		v >>= 7;
	} while (v > 0);
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(tmp[n - 1 - i] | (i + 1 < n ? 0x80 : 0));
	return n;
}

int
der_oid_from_text(const char *text, uint8_t out[64], size_t *len)
{
	uint64_t arcs[32];
	size_t narcs = 0, n = 0, i;
	const char *s = text;

	*len = 0;
	for (;;) {
		uint64_t v = 0;
		const char *start = s;

		if (narcs == 32)
			goto bad;
		while (*s >= '0' && *s <= '9') {
			if (v > (UINT64_MAX >> 8) / 10)
				goto bad;
			v = v * 10 + (uint64_t)(*s - '0');
			s++;
		}
		if (s == start || (s - start > 1 && *start == '0'))
			goto bad;
		arcs[narcs++] = v;
		if (*s == '\0')
			break;
		if (*s++ != '.')
			goto bad;
	}
	if (narcs < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) ||
	    arcs[1] > (UINT64_MAX >> 8) - 80)
		goto bad;
	n = der_put_base128(out, arcs[0] * 40 + arcs[1]);
	for (i = 2; i < narcs; i++) {
		if (n + 10 > 64)
			goto bad;
		n += der_put_base128(out + n, arcs[i]);
	}
	*len = n;
	return 0;
bad:
	return signet_error_set(SIGNET_ERR_CONFIG,
	    "'%s' is not an object identifier (dotted decimal, e.g. "
	    "2.23.140.1.2.1)",
	    text);
}

void
der_oid_to_text(const uint8_t *oid, size_t n, char *out, size_t outlen)
{
	size_t i, used = 0;
	uint64_t v = 0;
	int first = 1, w;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (n == 0 || (oid[n - 1] & 0x80))
		goto bad;
	for (i = 0; i < n; i++) {
		if (v == 0 && oid[i] == 0x80)
			goto bad;
		if (v > (UINT64_MAX >> 7))
			goto bad;
		v = (v << 7) | (oid[i] & 0x7f);
		if (oid[i] & 0x80)
			continue;
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;

			w = snprintf(out + used, outlen - used, "%u.%llu", a,
			    (unsigned long long)(v - 40ULL * a));
			first = 0;
		} else
			w = snprintf(out + used, outlen - used, ".%llu",
			    (unsigned long long)v);
		if (w < 0 || (size_t)w >= outlen - used)
			return;
		used += (size_t)w;
		v = 0;
	}
	return;
bad:
	snprintf(out, outlen, "(bad OID)");
}

/* ---- reading ----------------------------------------------------------- */

void
der_cur_init(struct der_cur *c, const uint8_t *p, size_t n)
{
	c->p = p;
	c->end = p + n;
}

int
der_cur_done(const struct der_cur *c)
{
	return c->p >= c->end;
}

int
der_next(struct der_cur *c, struct der_elem *e, const char **why)
{
	const uint8_t *p = c->p;
	size_t avail = (size_t)(c->end - c->p), i = 1, len, k, j;

	memset(e, 0, sizeof(*e));
	if (avail < 2) {
		*why = avail == 0 ? "missing element" : "truncated element";
		return -1;
	}
	e->id = p[0];
	e->cls = p[0] >> 6;
	e->cons = (p[0] >> 5) & 1;
	e->tag = p[0] & 0x1f;
	if (e->tag == 0x1f) {
		uint32_t t = 0;

		/* High-tag form: base 128, first octet not 0x80 (8.1.2.4.2). */
		if (p[1] == 0x80) {
			*why = "tag number with a leading zero octet";
			return -1;
		}
		for (;;) {
			if (i >= avail || i > 4) {
				*why = "truncated or oversized tag";
				return -1;
			}
			t = (t << 7) | (p[i] & 0x7f);
			if ((p[i++] & 0x80) == 0)
				break;
		}
		e->tag = t;
		e->long_tag = t < 31;
	}
	if (i >= avail) {
		*why = "truncated length";
		return -1;
	}
	len = p[i++];
	if (len == 0x80) {
		*why = "indefinite length (BER, not DER)";
		return -1;
	}
	if (len > 0x80) {
		k = len & 0x7f;
		if (k > 4 || k == 0x7f) {
			*why = "length of more than 4 octets";
			return -1;
		}
		if (avail - i < k) {
			*why = "truncated length";
			return -1;
		}
		len = 0;
		for (j = 0; j < k; j++)
			len = (len << 8) | p[i + j];
		e->long_len = len < 0x80 || p[i] == 0;
		i += k;
	}
	if (len > avail - i) {
		*why = "element longer than the data around it";
		return -1;
	}
	e->tlv = p;
	e->tlv_len = i + len;
	e->body = p + i;
	e->len = len;
	c->p = p + i + len;
	return 0;
}

int
der_expect(struct der_cur *c, uint8_t id, struct der_elem *e, const char **why)
{
	struct der_cur save = *c;

	if (der_next(c, e, why) != 0)
		return -1;
	if (e->id != id || e->long_tag) {
		*c = save;
		*why = "unexpected element";
		return -1;
	}
	return 0;
}

int
der_optional(struct der_cur *c, uint8_t id, struct der_elem *e)
{
	struct der_cur save = *c;
	const char *why;

	if (der_cur_done(c) || c->p[0] != id)
		return 0;
	if (der_next(c, e, &why) != 0) {
		*c = save;
		return 0;
	}
	return 1;
}

int
der_oid_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* ---- time -------------------------------------------------------------- */

int
der_time_parse(uint8_t id, const uint8_t *body, size_t len, time_t *t,
    int *year, const char **why)
{
	size_t ylen, want;
	unsigned y, mo, d, h, mi, s;

	if (id == DER_UTC_TIME)
		ylen = 2;
	else if (id == DER_GENERALIZED_TIME)
		ylen = 4;
	else {
		*why = "not a UTCTime or GeneralizedTime";
		return -1;
	}
	want = ylen + 11;
	if (len == 0 || body[len - 1] != 'Z') {
		*why = "time does not end in Z (UTC)";
		return -1;
	}
	if (memchr(body, '.', len) != NULL || memchr(body, ',', len) != NULL) {
		*why = "time has fractional seconds";
		return -1;
	}
	if (len == want - 2) {
		*why = "time has no seconds";
		return -1;
	}
	if (len != want) {
		*why = "time has the wrong length";
		return -1;
	}
	if (text_digits((const char *)body, ylen, &y) != 0 ||
	    text_digits((const char *)body + ylen, 2, &mo) != 0 ||
	    text_digits((const char *)body + ylen + 2, 2, &d) != 0 ||
	    text_digits((const char *)body + ylen + 4, 2, &h) != 0 ||
	    text_digits((const char *)body + ylen + 6, 2, &mi) != 0 ||
	    text_digits((const char *)body + ylen + 8, 2, &s) != 0) {
		*why = "time has a non-digit character";
		return -1;
	}
	if (ylen == 2)
		y += y >= 50 ? 1900 : 2000; /* RFC 5280 4.1.2.5.1 */
	if (!time_civil_valid(y, mo, d, h, mi, s)) {
		*why = "time is not a valid date and time of day";
		return -1;
	}
	*year = (int)y;
	*t = (time_t)time_from_civil(y, mo, d, h, mi, s);
	return 0;
}

/* ---- strictness -------------------------------------------------------- */

void
der_issue_add(struct der_issues *out, enum der_issue kind, const char *fmt, ...)
{
	va_list ap;

	if (out->count[kind]++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(out->first[kind], sizeof(out->first[kind]), fmt, ap);
	va_end(ap);
}

struct der_walk {
	const uint8_t *origin;
	size_t base;
	struct der_issues *out;
};

static size_t
der_off(const struct der_walk *w, const uint8_t *p)
{
	return w->base + (size_t)(p - w->origin);
}

static void
der_check_string(const struct der_walk *w, const struct der_elem *e)
{
	size_t i, off = der_off(w, e->tlv);
	const char *name = NULL;
	int ok = 1;

	switch (e->tag) {
	case 12:
		name = "UTF8String";
		ok = text_utf8_valid(e->body, e->len);
		break;
	case 19:
		name = "PrintableString";
		for (i = 0; i < e->len && ok; i++)
			ok = text_printable_char(e->body[i]);
		break;
	case 22:
		name = "IA5String";
		for (i = 0; i < e->len && ok; i++)
			ok = e->body[i] < 0x80;
		break;
	case 26:
		name = "VisibleString";
		for (i = 0; i < e->len && ok; i++)
			ok = e->body[i] >= 0x20 && e->body[i] < 0x7f;
		break;
	case 28:
		name = "UniversalString";
		ok = e->len % 4 == 0;
		break;
	case 30:
		name = "BMPString";
		ok = e->len % 2 == 0;
		break;
	default:
		return;
	}
	if (!ok)
		der_issue_add(w->out, DER_ISSUE_STRING,
		    "%s at offset %zu holds characters it cannot", name, off);
}

static void
der_check_primitive(const struct der_walk *w, const struct der_elem *e)
{
	size_t off = der_off(w, e->tlv), i;
	const char *why = NULL;
	time_t t;
	int year;

	if (e->cls != 0)
		return; /* context-specific: the type is not known here */
	switch (e->tag) {
	case 0:
		der_issue_add(w->out, DER_ISSUE_STRUCTURE,
		    "end-of-contents octets at offset %zu", off);
		break;
	case 1:
		if (e->len != 1 || (e->body[0] != 0 && e->body[0] != 0xff))
			der_issue_add(w->out, DER_ISSUE_BOOLEAN,
			    "BOOLEAN at offset %zu is not 00 or FF", off);
		break;
	case 2:
	case 10:
		if (e->len == 0)
			der_issue_add(w->out, DER_ISSUE_INTEGER,
			    "empty INTEGER at offset %zu", off);
		else if (e->len > 1 &&
			 ((e->body[0] == 0 && !(e->body[1] & 0x80)) ||
			     (e->body[0] == 0xff && (e->body[1] & 0x80))))
			der_issue_add(w->out, DER_ISSUE_INTEGER,
			    "INTEGER at offset %zu has a redundant leading "
			    "octet",
			    off);
		break;
	case 3:
		if (e->len == 0 || e->body[0] > 7 ||
		    (e->len == 1 && e->body[0] != 0))
			der_issue_add(w->out, DER_ISSUE_BITSTRING,
			    "BIT STRING at offset %zu has a bad unused-bits "
			    "octet",
			    off);
		else if (e->len > 1 &&
			 (e->body[e->len - 1] & ((1u << e->body[0]) - 1)) != 0)
			der_issue_add(w->out, DER_ISSUE_BITSTRING,
			    "BIT STRING at offset %zu has non-zero padding "
			    "bits",
			    off);
		break;
	case 5:
		if (e->len != 0)
			der_issue_add(w->out, DER_ISSUE_STRUCTURE,
			    "NULL at offset %zu has contents", off);
		break;
	case 6:
		if (e->len == 0 || (e->body[e->len - 1] & 0x80))
			der_issue_add(w->out, DER_ISSUE_OID,
			    "truncated OBJECT IDENTIFIER at offset %zu", off);
		for (i = 0; i < e->len; i++)
			if (e->body[i] == 0x80 &&
			    (i == 0 || !(e->body[i - 1] & 0x80))) {
				der_issue_add(w->out, DER_ISSUE_OID,
				    "OBJECT IDENTIFIER at offset %zu has a "
				    "subidentifier with a leading zero",
				    off);
				break;
			}
		break;
	case 16:
	case 17:
		der_issue_add(w->out, DER_ISSUE_STRUCTURE,
		    "primitive SEQUENCE or SET at offset %zu", off);
		break;
	case 23:
	case 24:
		if (der_time_parse(e->id, e->body, e->len, &t, &year, &why) !=
		    0)
			der_issue_add(w->out, DER_ISSUE_TIME,
			    "%s at offset %zu: %s",
			    e->tag == 23 ? "UTCTime" : "GeneralizedTime", off,
			    why);
		break;
	default:
		der_check_string(w, e);
		break;
	}
}

/* X.690 11.6: SET OF components in ascending order of their encodings. */
static int
der_set_order_ok(const struct der_elem *a, const struct der_elem *b)
{
	size_t n = a->tlv_len < b->tlv_len ? a->tlv_len : b->tlv_len, i;
	int c = memcmp(a->tlv, b->tlv, n);

	if (c != 0)
		return c < 0;
	/* The shorter is padded with zero octets at its end. */
	for (i = n; i < a->tlv_len; i++)
		if (a->tlv[i] != 0)
			return 0;
	return 1;
}

static void
der_check_elem(const struct der_walk *w, const struct der_elem *e, int depth)
{
	size_t off = der_off(w, e->tlv);
	struct der_cur c;
	struct der_elem child, prev = { 0 };
	const char *why;
	int have_prev = 0;

	if (e->long_len)
		der_issue_add(w->out, DER_ISSUE_LENGTH,
		    "length at offset %zu is not in minimal form", off);
	if (e->long_tag)
		der_issue_add(w->out, DER_ISSUE_LENGTH,
		    "tag at offset %zu is not in minimal form", off);
	if (!e->cons) {
		der_check_primitive(w, e);
		return;
	}
	if (e->cls == 0 && e->tag != 16 && e->tag != 17 && e->tag != 8 &&
	    e->tag != 11 && e->tag != 29) {
		der_issue_add(w->out, DER_ISSUE_STRING,
		    "constructed encoding of universal type %u at offset %zu "
		    "(DER requires primitive)",
		    e->tag, off);
		return;
	}
	if (depth > 40) {
		der_issue_add(w->out, DER_ISSUE_STRUCTURE,
		    "nesting deeper than 40 levels at offset %zu", off);
		return;
	}
	der_cur_init(&c, e->body, e->len);
	while (!der_cur_done(&c)) {
		if (der_next(&c, &child, &why) != 0) {
			der_issue_add(w->out, DER_ISSUE_STRUCTURE,
			    "at offset %zu: %s", der_off(w, c.p), why);
			return;
		}
		der_check_elem(w, &child, depth + 1);
		if (e->cls == 0 && e->tag == 17 && have_prev &&
		    !der_set_order_ok(&prev, &child))
			der_issue_add(w->out, DER_ISSUE_SET_ORDER,
			    "SET OF at offset %zu is not in ascending order",
			    off);
		prev = child;
		have_prev = 1;
	}
}

void
der_check(const uint8_t *p, size_t n, size_t base, struct der_issues *out)
{
	struct der_walk w = { p, base, out };
	struct der_cur c;
	struct der_elem e;
	const char *why;

	der_cur_init(&c, p, n);
	if (der_next(&c, &e, &why) != 0) {
		der_issue_add(out, DER_ISSUE_STRUCTURE, "at offset %zu: %s",
		    base, why);
		return;
	}
	der_check_elem(&w, &e, 0);
	if (!der_cur_done(&c))
		der_issue_add(out, DER_ISSUE_STRUCTURE,
		    "%zu bytes of trailing data after offset %zu",
		    (size_t)(c.end - c.p), der_off(&w, c.p));
}

int
der_check_strict(const uint8_t *p, size_t n)
{
	struct der_issues issues;
	unsigned kind;

	memset(&issues, 0, sizeof(issues));
	der_check(p, n, 0, &issues);
	for (kind = 0; kind < DER_ISSUE_COUNT; kind++)
		if (issues.count[kind] > 0)
			return signet_error_set(SIGNET_ERR_USAGE, "%s",
			    issues.first[kind]);
	return 0;
}
