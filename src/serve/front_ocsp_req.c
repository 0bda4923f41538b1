/*
 * OCSP requests from the network, read by a small strict DER reader
 * rather than libcrypto: the front end stays free of OpenSSL (and of its
 * syscalls under seccomp), and the grammar is a handful of fixed fields.
 * Anything but DER is refused: definite minimal lengths, low tag numbers,
 * minimal INTEGERs, no trailing bytes.
 */
#include <string.h>

#include "serve/front_ocsp.h"

struct tlv {
	uint8_t tag;
	const uint8_t *body;
	size_t len;
};

struct cur {
	const uint8_t *p;
	const uint8_t *end;
};

/* Nesting is fixed and shallow; no recursion anywhere. */
static int
next(struct cur *c, struct tlv *t)
{
	size_t left = (size_t)(c->end - c->p), len, i, nlen;

	if (left < 2)
		return -1;
	t->tag = c->p[0];
	if ((t->tag & 0x1f) == 0x1f) /* high tag numbers: never in OCSP */
		return -1;
	len = c->p[1];
	i = 2;
	if (len & 0x80) {
		nlen = len & 0x7f;
		/* 0x80 is BER's indefinite length; at most 3 octets here. */
		if (nlen == 0 || nlen > 3 || left < 2 + nlen || c->p[2] == 0)
			return -1;
		len = 0;
		for (i = 0; i < nlen; i++)
			len = len << 8 | c->p[2 + i];
		if (len < 0x80) /* not minimal */
			return -1;
		i = 2 + nlen;
	}
	if (len > left - i)
		return -1;
	t->body = c->p + i;
	t->len = len;
	c->p += i + len;
	return 0;
}

static int
expect(struct cur *c, uint8_t tag, struct tlv *t)
{
	return next(c, t) == 0 && t->tag == tag ? 0 : -1;
}

static int
optional(struct cur *c, uint8_t tag, struct tlv *t)
{
	struct cur save = *c;

	if (c->p < c->end && c->p[0] == tag)
		return next(c, t) == 0 ? 1 : -1;
	*c = save;
	return 0;
}

static void
init(struct cur *c, const uint8_t *p, size_t n)
{
	c->p = p;
	c->end = p + n;
}

static int
done(const struct cur *c)
{
	return c->p == c->end;
}

/* 1.3.14.3.2.26 and 2.16.840.1.101.3.4.2.1 */
static const uint8_t oid_sha1[] = { 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const uint8_t oid_sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x01 };

static int
certid_parse(const struct tlv *seq, struct ocsp_certid *id)
{
	struct cur c, a;
	struct tlv alg, oid, par, nh, kh, ser;
	int r;

	init(&c, seq->body, seq->len);
	if (expect(&c, 0x30, &alg) != 0 || expect(&c, 0x04, &nh) != 0 ||
	    expect(&c, 0x04, &kh) != 0 || expect(&c, 0x02, &ser) != 0 ||
	    !done(&c))
		return -1;
	init(&a, alg.body, alg.len);
	if (expect(&a, 0x06, &oid) != 0 || oid.len == 0)
		return -1;
	if ((r = optional(&a, 0x05, &par)) < 0 || (r == 1 && par.len != 0) ||
	    !done(&a))
		return -1;
	/* A positive, minimal INTEGER (RFC 5280 4.1.2.2 serials). */
	if (ser.len == 0 || (ser.body[0] & 0x80) ||
	    (ser.len > 1 && ser.body[0] == 0 && !(ser.body[1] & 0x80)))
		return -1;
	id->hash = 0;
	if (oid.len == sizeof(oid_sha1) &&
	    memcmp(oid.body, oid_sha1, oid.len) == 0)
		id->hash = OCSP_HASH_SHA1;
	else if (oid.len == sizeof(oid_sha256) &&
		 memcmp(oid.body, oid_sha256, oid.len) == 0)
		id->hash = OCSP_HASH_SHA256;
	id->name_hash = nh.body;
	id->name_hash_len = nh.len;
	id->key_hash = kh.body;
	id->key_hash_len = kh.len;
	id->serial = ser.body;
	id->serial_len = ser.len;
	return 0;
}

int
ocsp_request_parse(const uint8_t *p, size_t n, struct ocsp_certid *id)
{
	struct cur c, t, l, rq;
	struct tlv outer, tbs, v, list, req, cid, x;
	int have = 0;

	memset(id, 0, sizeof(*id));
	if (p == NULL || n == 0 || n > OCSP_REQUEST_MAX)
		return OCSP_MALFORMED_REQUEST;
	init(&c, p, n);
	if (expect(&c, 0x30, &outer) != 0 || !done(&c))
		return OCSP_MALFORMED_REQUEST;
	init(&c, outer.body, outer.len);
	if (expect(&c, 0x30, &tbs) != 0 || optional(&c, 0xa0, &x) < 0 ||
	    !done(&c))
		return OCSP_MALFORMED_REQUEST;
	init(&t, tbs.body, tbs.len);
	/* version: only v1, which DER leaves out; tolerate it written. */
	if (optional(&t, 0xa0, &v) == 1 &&
	    (v.len != 3 || memcmp(v.body, "\x02\x01\x00", 3) != 0))
		return OCSP_MALFORMED_REQUEST;
	if (optional(&t, 0xa1, &x) < 0 || expect(&t, 0x30, &list) != 0 ||
	    optional(&t, 0xa2, &x) < 0 || !done(&t))
		return OCSP_MALFORMED_REQUEST;
	init(&l, list.body, list.len);
	while (!done(&l)) {
		/* RFC 5019 2.1.1: one Request per OCSPRequest. */
		if (have++ > 0 || expect(&l, 0x30, &req) != 0)
			return OCSP_MALFORMED_REQUEST;
		init(&rq, req.body, req.len);
		if (expect(&rq, 0x30, &cid) != 0 ||
		    optional(&rq, 0xa0, &x) < 0 || !done(&rq) ||
		    certid_parse(&cid, id) != 0)
			return OCSP_MALFORMED_REQUEST;
	}
	return have == 1 ? 0 : OCSP_MALFORMED_REQUEST;
}

static int
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-' || ch == ' ') /* ' ': a '+' made a space */
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
ocsp_request_from_path(const char *path, uint8_t *out, size_t cap, size_t *n)
{
	uint32_t acc = 0;
	int bits = 0, v, hi, lo, pad = 0;
	size_t i;
	char ch;

	*n = 0;
	for (i = 0; path[i] != '\0'; i++) {
		ch = path[i];
		/* nginx escapes '+', '/' and '=' (%2B %2F %3D). */
		if (ch == '%') {
			if ((hi = hex_value(path[i + 1])) < 0 ||
			    (lo = hex_value(path[i + 2])) < 0)
				return -1;
			ch = (char)(hi << 4 | lo);
			i += 2;
		}
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(ch)) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (*n == cap)
				return -1;
			out[(*n)++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Left-over bits must be padding zeros, and at most two '='. */
	if (pad > 2 || bits >= 6 || acc != 0 || *n == 0)
		return -1;
	return 0;
}
