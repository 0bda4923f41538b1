/*
 * The answer section of a DNS message, walked for dns-01
 * (front_acme_dns.h): resource records one by one, every length checked
 * against the message, names expanded by c-ares.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <arpa/nameser.h>

#include "serve/front_acme_dns.h"

struct answer {
	const uint8_t *buf;
	size_t len;
};

/* One resource record of an answer section. */
struct rr {
	char owner[ACME_DNS_NAME_MAX + 2];
	unsigned type, class;
	const unsigned char *data;
	size_t data_len;
};

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int
expand(const unsigned char *at, const struct answer *r, char *out, size_t cap,
    long *used)
{
	char *s = NULL;
	int ok;

	if (ares_expand_name(at, r->buf, (int)r->len, &s, used) != ARES_SUCCESS)
		return -1;
	ok = strlen(s) < cap;
	if (ok)
		memcpy(out, s, strlen(s) + 1);
	ares_free_string(s);
	return ok ? 0 : -1;
}

/* Where the walk of an answer section stands. */
struct walk {
	const struct answer *r;
	size_t off;    /* of the next record */
	unsigned left; /* records still to read */
};

/* Skip the header and the questions: 0, or -1 if malformed. */
static int
walk_start(const struct answer *r, struct walk *w)
{
	char skip[ACME_DNS_NAME_MAX + 2];
	unsigned qd, i;
	long used;

	if (r->len < HFIXEDSZ)
		return -1;
	w->r = r;
	w->off = HFIXEDSZ;
	qd = get16(r->buf + 4);
	w->left = get16(r->buf + 6);
	for (i = 0; i < qd; i++) {
		if (expand(r->buf + w->off, r, skip, sizeof(skip), &used) !=
			0 ||
		    r->len - w->off < (size_t)used + QFIXEDSZ)
			return -1;
		w->off += (size_t)used + QFIXEDSZ;
	}
	return 0;
}

/* The next answer record into *rr: 1, 0 after the last, -1 if malformed. */
static int
walk_next(struct walk *w, struct rr *rr)
{
	const struct answer *r = w->r;
	const uint8_t *p;
	long used;

	if (w->left == 0)
		return 0;
	w->left--;
	if (w->off >= r->len ||
	    expand(r->buf + w->off, r, rr->owner, sizeof(rr->owner), &used) !=
		0 ||
	    r->len - w->off < (size_t)used + RRFIXEDSZ)
		return -1;
	p = r->buf + w->off + used;
	rr->type = get16(p);
	rr->class = get16(p + 2);
	rr->data_len = get16(p + 8);
	w->off += (size_t)used + RRFIXEDSZ;
	if (r->len - w->off < rr->data_len)
		return -1;
	rr->data = r->buf + w->off;
	w->off += rr->data_len;
	return 1;
}

/* The strings of a TXT record's data, joined, into value; -1 if too long. */
static int
txt_value(const struct rr *rr, char *value, size_t cap)
{
	size_t n = 0, off, k;

	for (off = 0; off < rr->data_len; off += 1 + k) {
		k = rr->data[off];
		if (off + 1 + k > rr->data_len || n + k >= cap)
			return -1;
		memcpy(value + n, rr->data + off + 1, k);
		n += k;
	}
	value[n] = '\0';
	return 0;
}

int
acme_dns_txt_match(const uint8_t *msg, size_t len, char *name, unsigned *hops,
    const char *expected, unsigned *n_txt, char *why, size_t cap)
{
	const struct answer r = { msg, len };
	struct walk w;
	struct rr rr;
	char value[256];
	long used;
	int g, moved;

	/* Along the CNAMEs, in whatever order the records come. */
	do {
		moved = 0;
		if (walk_start(&r, &w) != 0)
			goto malformed;
		while ((g = walk_next(&w, &rr)) == 1) {
			if (rr.class != ns_c_in || rr.type != ns_t_cname ||
			    strcasecmp(rr.owner, name) != 0)
				continue;
			if (*hops >= ACME_DNS_MAX_CNAMES) {
				snprintf(why, cap,
				    "more than %d CNAMEs on the way to the "
				    "TXT record",
				    ACME_DNS_MAX_CNAMES);
				return -1;
			}
			if (expand(rr.data, &r, name, ACME_DNS_NAME_MAX + 2,
				&used) != 0)
				goto malformed;
			++*hops;
			moved = 1;
			break;
		}
		if (g < 0)
			goto malformed;
	} while (moved);
	if (walk_start(&r, &w) != 0)
		goto malformed;
	while ((g = walk_next(&w, &rr)) == 1) {
		if (rr.class != ns_c_in || rr.type != ns_t_txt ||
		    strcasecmp(rr.owner, name) != 0)
			continue;
		++*n_txt;
		if (txt_value(&rr, value, sizeof(value)) == 0 &&
		    strcmp(value, expected) == 0)
			return 1;
	}
	if (g == 0)
		return 0;
malformed:
	snprintf(why, cap, "the DNS answer is malformed");
	return -1;
}
