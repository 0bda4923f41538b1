#include <arpa/inet.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_fixture.h"
#include "util/codec.h"

static noreturn void
tp_die(const char *what)
{
	fprintf(stderr, "lint fixture: %s\n", what);
	abort();
}

void
tp_hex(struct tp *p, const char *hex)
{
	if (hex_decode(hex, p->b, sizeof(p->b), &p->n) != 0)
		tp_die("bad hex");
}

void
tp_from_buf(struct tp *p, const struct der_buf *b)
{
	size_t n;
	const uint8_t *d = der_buf_data(b, &n);

	if (b->failed || n > sizeof(p->b))
		tp_die("part too large");
	memcpy(p->b, d, n);
	p->n = n;
}

static void
tp_set(struct tp *p, const uint8_t *d, size_t n)
{
	if (n > sizeof(p->b))
		tp_die("part too large");
	memcpy(p->b, d, n);
	p->n = n;
}

void
tp_time(struct tp *p, uint8_t tag, const char *text)
{
	struct der_buf b;

	der_buf_init(&b, 0);
	der_put_tlv(&b, tag, text, strlen(text));
	tp_from_buf(p, &b);
	der_buf_free(&b);
}

void
tp_validity(struct tp_cert *c, const struct tp *nb, const struct tp *na)
{
	struct der_buf b;
	size_t m;

	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	der_put_raw(&b, nb->b, nb->n);
	der_put_raw(&b, na->b, na->n);
	der_end(&b, m);
	tp_from_buf(&c->validity, &b);
	der_buf_free(&b);
}

void
tp_validity_times(struct tp_cert *c, time_t nb, time_t na)
{
	struct der_buf b;
	size_t m;

	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	der_put_time(&b, nb);
	der_put_time(&b, na);
	der_end(&b, m);
	tp_from_buf(&c->validity, &b);
	der_buf_free(&b);
}

static void
tp_next(struct der_cur *cur, struct der_elem *e)
{
	const char *why;

	if (der_next(cur, e, &why) != 0)
		tp_die(why);
}

void
tp_cert_split(const uint8_t *der, size_t len, struct tp_cert *c)
{
	struct der_cur cur, t, x;
	struct der_elem outer, tbs, e, seq;

	memset(c, 0, sizeof(*c));
	der_cur_init(&cur, der, len);
	tp_next(&cur, &outer);
	der_cur_init(&cur, outer.body, outer.len);
	tp_next(&cur, &tbs);
	tp_next(&cur, &e);
	tp_set(&c->outer_alg, e.tlv, e.tlv_len);
	tp_next(&cur, &e);
	tp_set(&c->sig, e.tlv, e.tlv_len);
	der_cur_init(&t, tbs.body, tbs.len);
	tp_next(&t, &e);
	if (e.id == DER_CONTEXT_CONS(0)) {
		tp_set(&c->version, e.tlv, e.tlv_len);
		tp_next(&t, &e);
	}
	tp_set(&c->serial, e.tlv, e.tlv_len);
	tp_next(&t, &e);
	tp_set(&c->alg, e.tlv, e.tlv_len);
	tp_next(&t, &e);
	tp_set(&c->issuer, e.tlv, e.tlv_len);
	tp_next(&t, &e);
	tp_set(&c->validity, e.tlv, e.tlv_len);
	tp_next(&t, &e);
	tp_set(&c->subject, e.tlv, e.tlv_len);
	tp_next(&t, &e);
	tp_set(&c->spki, e.tlv, e.tlv_len);
	while (!der_cur_done(&t)) {
		tp_next(&t, &e);
		if (e.id != DER_CONTEXT_CONS(3))
			tp_die("unexpected field in a test certificate");
		c->exts_present = 1;
		der_cur_init(&x, e.body, e.len);
		tp_next(&x, &seq);
		der_cur_init(&x, seq.body, seq.len);
		while (!der_cur_done(&x)) {
			tp_next(&x, &e);
			tp_set(&c->ext[c->n_ext++], e.tlv, e.tlv_len);
		}
	}
}

uint8_t *
tp_cert_join(const struct tp_cert *c, size_t *len)
{
	struct der_buf b;
	size_t outer, tbs, w, s, i;
	uint8_t *out;
	const uint8_t *d;

	der_buf_init(&b, 0);
	outer = der_begin(&b, DER_SEQUENCE);
	tbs = der_begin(&b, DER_SEQUENCE);
	der_put_raw(&b, c->version.b, c->version.n);
	der_put_raw(&b, c->serial.b, c->serial.n);
	der_put_raw(&b, c->alg.b, c->alg.n);
	der_put_raw(&b, c->issuer.b, c->issuer.n);
	der_put_raw(&b, c->validity.b, c->validity.n);
	der_put_raw(&b, c->subject.b, c->subject.n);
	der_put_raw(&b, c->spki.b, c->spki.n);
	der_put_raw(&b, c->uids.b, c->uids.n);
	if (c->exts_present) {
		w = der_begin(&b, DER_CONTEXT_CONS(3));
		s = der_begin(&b, DER_SEQUENCE);
		for (i = 0; i < c->n_ext; i++)
			der_put_raw(&b, c->ext[i].b, c->ext[i].n);
		der_end(&b, s);
		der_end(&b, w);
	}
	der_end(&b, tbs);
	der_put_raw(&b, c->outer_alg.b, c->outer_alg.n);
	der_put_raw(&b, c->sig.b, c->sig.n);
	der_end(&b, outer);
	der_put_raw(&b, c->trailing.b, c->trailing.n);
	d = der_buf_data(&b, len);
	if (b.failed || (out = malloc(*len)) == NULL)
		tp_die("join");
	memcpy(out, d, *len);
	der_buf_free(&b);
	return out;
}

static void
ext_oid(enum x509_ext_id id, const char *oid_hex, uint8_t *oid, size_t *n)
{
	const struct x509_ext_def *d;

	if (oid_hex != NULL) {
		if (hex_decode(oid_hex, oid, 32, n) != 0)
			tp_die("bad OID hex");
		return;
	}
	if ((d = x509_ext_def_get(id)) == NULL)
		tp_die("unknown extension");
	memcpy(oid, d->oid, d->oid_len);
	*n = d->oid_len;
}

/* Index of the extension with this OID, or n. */
static size_t
ext_find(const struct tp *ext, size_t n, const uint8_t *oid, size_t oid_len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct der_cur c;
		struct der_elem seq, o;
		const char *why;

		der_cur_init(&c, ext[i].b, ext[i].n);
		if (der_next(&c, &seq, &why) != 0)
			continue;
		der_cur_init(&c, seq.body, seq.len);
		if (der_next(&c, &o, &why) == 0 &&
		    der_oid_eq(o.body, o.len, oid, oid_len))
			return i;
	}
	return n;
}

void
tp_ext_set(struct tp *ext, size_t *n, enum x509_ext_id id, const char *oid_hex,
    int critical, const char *value_hex)
{
	uint8_t oid[32], value[TP_MAX];
	size_t oid_len, vlen, i, m;
	struct der_buf b;
	static const uint8_t f = 0;

	ext_oid(id, oid_hex, oid, &oid_len);
	if (hex_decode(value_hex, value, sizeof(value), &vlen) != 0)
		tp_die("bad value hex");
	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	der_put_oid(&b, oid, oid_len);
	if (critical == 1)
		der_put_bool_true(&b);
	else if (critical == 2)
		der_put_tlv(&b, DER_BOOLEAN, &f, 1);
	der_put_tlv(&b, DER_OCTET_STRING, value, vlen);
	der_end(&b, m);
	i = ext_find(ext, *n, oid, oid_len);
	if (i == *n) {
		if (*n == TP_MAX_EXT)
			tp_die("too many extensions");
		(*n)++;
	}
	tp_from_buf(&ext[i], &b);
	der_buf_free(&b);
}

void
tp_ext_del(struct tp *ext, size_t *n, enum x509_ext_id id)
{
	uint8_t oid[32];
	size_t oid_len, i;

	ext_oid(id, NULL, oid, &oid_len);
	i = ext_find(ext, *n, oid, oid_len);
	if (i == *n)
		return;
	memmove(&ext[i], &ext[i + 1], (*n - i - 1) * sizeof(ext[0]));
	(*n)--;
}

void
tp_crl_split(const uint8_t *der, size_t len, struct tp_crl *c)
{
	struct der_cur cur, t, x;
	struct der_elem outer, tbs, e, seq;

	memset(c, 0, sizeof(*c));
	der_cur_init(&cur, der, len);
	tp_next(&cur, &outer);
	der_cur_init(&cur, outer.body, outer.len);
	tp_next(&cur, &tbs);
	tp_next(&cur, &e);
	tp_set(&c->outer_alg, e.tlv, e.tlv_len);
	tp_next(&cur, &e);
	tp_set(&c->sig, e.tlv, e.tlv_len);
	der_cur_init(&t, tbs.body, tbs.len);
	tp_next(&t, &e);
	if (e.id == DER_INTEGER) {
		tp_set(&c->version, e.tlv, e.tlv_len);
		tp_next(&t, &e);
	}
	tp_set(&c->alg, e.tlv, e.tlv_len);
	tp_next(&t, &e);
	tp_set(&c->issuer, e.tlv, e.tlv_len);
	tp_next(&t, &e);
	tp_set(&c->this_update, e.tlv, e.tlv_len);
	while (!der_cur_done(&t)) {
		tp_next(&t, &e);
		if (e.id == DER_UTC_TIME || e.id == DER_GENERALIZED_TIME)
			tp_set(&c->next_update, e.tlv, e.tlv_len);
		else if (e.id == DER_SEQUENCE) {
			c->revoked_present = 1;
			der_cur_init(&x, e.body, e.len);
			while (!der_cur_done(&x)) {
				if (c->n_entries == TP_MAX_ENTRIES)
					tp_die("too many entries");
				tp_next(&x, &e);
				tp_set(&c->entry[c->n_entries++], e.tlv,
				    e.tlv_len);
			}
		} else if (e.id == DER_CONTEXT_CONS(0)) {
			c->exts_present = 1;
			der_cur_init(&x, e.body, e.len);
			tp_next(&x, &seq);
			der_cur_init(&x, seq.body, seq.len);
			while (!der_cur_done(&x)) {
				tp_next(&x, &e);
				tp_set(&c->ext[c->n_ext++], e.tlv, e.tlv_len);
			}
		} else
			tp_die("unexpected field in a test CRL");
	}
}

uint8_t *
tp_crl_join(const struct tp_crl *c, size_t *len)
{
	struct der_buf b;
	size_t outer, tbs, w, s, i;
	uint8_t *out;
	const uint8_t *d;

	der_buf_init(&b, 0);
	outer = der_begin(&b, DER_SEQUENCE);
	tbs = der_begin(&b, DER_SEQUENCE);
	der_put_raw(&b, c->version.b, c->version.n);
	der_put_raw(&b, c->alg.b, c->alg.n);
	der_put_raw(&b, c->issuer.b, c->issuer.n);
	der_put_raw(&b, c->this_update.b, c->this_update.n);
	der_put_raw(&b, c->next_update.b, c->next_update.n);
	if (c->revoked_present) {
		s = der_begin(&b, DER_SEQUENCE);
		for (i = 0; i < c->n_entries; i++)
			der_put_raw(&b, c->entry[i].b, c->entry[i].n);
		der_end(&b, s);
	}
	if (c->exts_present) {
		w = der_begin(&b, DER_CONTEXT_CONS(0));
		s = der_begin(&b, DER_SEQUENCE);
		for (i = 0; i < c->n_ext; i++)
			der_put_raw(&b, c->ext[i].b, c->ext[i].n);
		der_end(&b, s);
		der_end(&b, w);
	}
	der_end(&b, tbs);
	der_put_raw(&b, c->outer_alg.b, c->outer_alg.n);
	der_put_raw(&b, c->sig.b, c->sig.n);
	der_end(&b, outer);
	d = der_buf_data(&b, len);
	if (b.failed || (out = malloc(*len)) == NULL)
		tp_die("join");
	memcpy(out, d, *len);
	der_buf_free(&b);
	return out;
}

void
tp_crl_entry(struct tp *e, const char *serial_hex, time_t when,
    const char *exts_hex)
{
	struct der_buf b;
	uint8_t s[64], x[TP_MAX];
	size_t sn, xn, m;

	if (hex_decode(serial_hex, s, sizeof(s), &sn) != 0 ||
	    hex_decode(exts_hex, x, sizeof(x), &xn) != 0)
		tp_die("bad hex");
	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	der_put_tlv(&b, DER_INTEGER, s, sn);
	der_put_time(&b, when);
	der_put_raw(&b, x, xn);
	der_end(&b, m);
	tp_from_buf(e, &b);
	der_buf_free(&b);
}

const char *
tp_reason_ext(int reason, int critical)
{
	static char buf[8][64];
	static unsigned next;
	char *o = buf[next++ % 8];

	/* SEQUENCE OF { SEQUENCE { reasonCode, [TRUE], OCTET { ENUM } } } */
	if (critical)
		snprintf(o, 64, "300f300d0603551d150101ff04030a01%02x",
		    reason & 0xff);
	else
		snprintf(o, 64, "300c300a0603551d1504030a01%02x",
		    reason & 0xff);
	return o;
}

static void
ext_value(const struct tp *ext, struct x509_span *value)
{
	struct der_cur c;
	struct der_elem seq, e;
	const char *why;

	der_cur_init(&c, ext->b, ext->n);
	if (der_next(&c, &seq, &why) != 0)
		tp_die(why);
	der_cur_init(&c, seq.body, seq.len);
	do {
		if (der_next(&c, &e, &why) != 0)
			tp_die(why);
	} while (e.id != DER_OCTET_STRING);
	value->p = e.body;
	value->n = e.len;
}

void
tp_ext_crit(struct tp *ext, size_t n, enum x509_ext_id id, int critical)
{
	uint8_t oid[32];
	size_t oid_len, i, m;
	struct x509_span v;
	struct der_buf b;
	struct tp copy;

	ext_oid(id, NULL, oid, &oid_len);
	if ((i = ext_find(ext, n, oid, oid_len)) == n)
		tp_die("no such extension to change");
	copy = ext[i];
	ext_value(&copy, &v);
	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	der_put_oid(&b, oid, oid_len);
	if (critical)
		der_put_bool_true(&b);
	der_put_tlv(&b, DER_OCTET_STRING, v.p, v.n);
	der_end(&b, m);
	tp_from_buf(&ext[i], &b);
	der_buf_free(&b);
}

void
tp_ext_san(struct tp *ext, size_t *n, int critical, const char *const *names)
{
	struct der_buf b;
	size_t m, i, vlen;
	const uint8_t *v;
	char hex[2 * TP_MAX + 1];

	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	for (i = 0; names[i] != NULL; i++) {
		const char *val = strchr(names[i], ':') + 1;
		uint8_t ip[16];

		if (strncmp(names[i], "dns:", 4) == 0)
			x509_put_general_name(&b, SIGNET_SAN_DNS, val, NULL, 0);
		else if (strncmp(names[i], "uri:", 4) == 0)
			x509_put_general_name(&b, SIGNET_SAN_URI, val, NULL, 0);
		else if (strncmp(names[i], "email:", 6) == 0)
			x509_put_general_name(&b, SIGNET_SAN_EMAIL, val, NULL,
			    0);
		else if (inet_pton(AF_INET, val, ip) == 1)
			x509_put_general_name(&b, SIGNET_SAN_IP, NULL, ip, 4);
		else if (inet_pton(AF_INET6, val, ip) == 1)
			x509_put_general_name(&b, SIGNET_SAN_IP, NULL, ip, 16);
		else
			tp_die("bad name");
	}
	der_end(&b, m);
	v = der_buf_data(&b, &vlen);
	hex_encode(v, vlen, hex);
	tp_ext_set(ext, n, X509_EXT_SAN, NULL, critical, hex);
	der_buf_free(&b);
}

void
tp_name(struct tp *p, const char *const *attrs)
{
	static const struct {
		const char *key;
		uint8_t oid[3];
	} keys[] = {
		{ "CN", { 0x55, 0x04, 0x03 } },
		{ "O", { 0x55, 0x04, 0x0a } },
		{ "C", { 0x55, 0x04, 0x06 } },
		{ "OU", { 0x55, 0x04, 0x0b } },
	};
	struct der_buf b;
	size_t m, set, atv, i, k;

	der_buf_init(&b, 0);
	m = der_begin(&b, DER_SEQUENCE);
	for (i = 0; attrs != NULL && attrs[i] != NULL; i++) {
		const char *eq = strchr(attrs[i], '=');

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strlen(keys[k].key) == (size_t)(eq - attrs[i]) &&
			    strncmp(attrs[i], keys[k].key,
				(size_t)(eq - attrs[i])) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0]))
			tp_die("unknown attribute");
		set = der_begin(&b, DER_SET);
		atv = der_begin(&b, DER_SEQUENCE);
		der_put_oid(&b, keys[k].oid, 3);
		der_put_tlv(&b, k == 2 ? DER_PRINTABLE_STRING : DER_UTF8_STRING,
		    eq + 1, strlen(eq + 1));
		der_end(&b, atv);
		der_end(&b, set);
	}
	der_end(&b, m);
	tp_from_buf(p, &b);
	der_buf_free(&b);
}
