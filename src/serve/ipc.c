/*
 * The signer <-> front end protocol. The table below is the whole of it:
 * a message not in it, sent by the wrong side, or breaking its size rule
 * is a broken or compromised front end, which the signer kills, restarts
 * and audits (signer.c). docs/serve.md repeats it for operators.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve/ipc.h"

struct serve_msg_rule {
	uint8_t type;
	const char *name;
	enum serve_peer from;
	size_t min_len; /* body bytes */
	size_t max_len;
	int needs_id; /* a request the other side answers by id */
	/* For readers: what the receiver checks, and what it answers. */
	const char *checks;
	const char *answer;
};

static const struct serve_msg_rule serve_msg_table[] = {
	{ SERVE_MSG_READY, "READY", SERVE_FROM_FRONT, 0, 0, 0,
	    "empty body; the front end is the one the signer started",
	    "CA_CERT and the current CRL" },
	{ SERVE_MSG_HEALTH, "HEALTH", SERVE_FROM_FRONT, 0, 0, 1,
	    "empty body; request id not 0",
	    "HEALTH_REPLY: token (one random byte) and store (one read) "
	    "checked now, with the service counters" },
	{ SERVE_MSG_HEALTH_REPLY, "HEALTH_REPLY", SERVE_FROM_SIGNER, 25,
	    25 + SERVE_IPC_REASON_MAX, 1, "the id of a waiting request",
	    "none (a late answer is dropped)" },
	{ SERVE_MSG_CRL, "CRL", SERVE_FROM_SIGNER, SERVE_CRL_FIXED + 1,
	    SERVE_IPC_MAX_TO_FRONT, 0, "numbers and DER present",
	    "none: served from memory from now on" },
	{ SERVE_MSG_CA_CERT, "CA_CERT", SERVE_FROM_SIGNER, 1,
	    SERVE_IPC_MAX_TO_FRONT, 0, "DER present",
	    "none: served from memory from now on" },
	{ SERVE_MSG_TLS, "TLS", SERVE_FROM_SIGNER, 6, SERVE_TLS_MAX, 0,
	    "certificate chain and key parse",
	    "none: new HTTPS handshakes use them" },
};

#define N_RULES (sizeof(serve_msg_table) / sizeof(serve_msg_table[0]))

static const struct serve_msg_rule *
rule_find(uint8_t type)
{
	size_t i;

	for (i = 0; i < N_RULES; i++)
		if (serve_msg_table[i].type == type)
			return &serve_msg_table[i];
	return NULL;
}

const char *
serve_msg_name(uint8_t type)
{
	const struct serve_msg_rule *rule = rule_find(type);

	return rule != NULL ? rule->name : "unknown";
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

int
serve_msg_check(const uint8_t *frame, size_t n, enum serve_peer from,
    struct serve_msg *m, const char **why)
{
	const struct serve_msg_rule *rule;
	size_t len, cap = from == SERVE_FROM_FRONT ? SERVE_IPC_MAX_TO_SIGNER
						   : SERVE_IPC_MAX_TO_FRONT;

	memset(m, 0, sizeof(*m));
	*why = NULL;
	if (n < SERVE_IPC_HEADER) {
		*why = "short header";
		return -1;
	}
	if (frame[0] != SERVE_IPC_VERSION) {
		*why = "wrong protocol version";
		return -1;
	}
	if (frame[2] != 0 || frame[3] != 0) {
		*why = "flags set";
		return -1;
	}
	len = get32(frame + 8);
	if (len > cap) {
		*why = "message over the size limit";
		return -1;
	}
	if (n != SERVE_IPC_HEADER + len) {
		*why = "length does not match the frame";
		return -1;
	}
	if ((rule = rule_find(frame[1])) == NULL) {
		*why = "unknown message type";
		return -1;
	}
	if (rule->from != from) {
		*why = "message type not allowed from this side";
		return -1;
	}
	if (len < rule->min_len || len > rule->max_len) {
		*why = "body size outside the message's limits";
		return -1;
	}
	m->type = frame[1];
	m->id = get32(frame + 4);
	if (rule->needs_id && m->id == 0) {
		*why = "request without an id";
		return -1;
	}
	m->body = frame + SERVE_IPC_HEADER;
	m->len = len;
	return 0;
}

/* ---- bodies -------------------------------------------------------------- */

size_t
serve_health_encode(const struct serve_health *h, uint8_t *out, size_t cap)
{
	size_t rlen = strnlen(h->reason, SERVE_IPC_REASON_MAX);

	if (cap < 25 + rlen)
		return 0;
	out[0] = h->ok ? 1 : 0;
	put32(out + 1, h->restarts);
	put32(out + 5, h->token_errors);
	put32(out + 9, h->crl_failures);
	put64(out + 13, h->check_usec);
	put32(out + 21, (uint32_t)rlen);
	memcpy(out + 25, h->reason, rlen);
	return 25 + rlen;
}

int
serve_health_decode(const uint8_t *p, size_t n, struct serve_health *h)
{
	uint32_t rlen;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (n < 25 || p[0] > 1)
		return -1;
	rlen = get32(p + 21);
	if (rlen > SERVE_IPC_REASON_MAX || n != 25 + (size_t)rlen)
		return -1;
	h->ok = p[0];
	h->restarts = get32(p + 1);
	h->token_errors = get32(p + 5);
	h->crl_failures = get32(p + 9);
	h->check_usec = get64(p + 13);
	/* Printable ASCII only: it ends up in an HTTP body. */
	for (i = 0; i < rlen; i++) {
		uint8_t c = p[25 + i];

		if (c >= 0x20 && c < 0x7f)
			h->reason[i] = (char)c;
		else
			h->reason[i] = '?';
	}
	h->reason[rlen] = '\0';
	return 0;
}

uint8_t *
serve_tls_encode(const uint8_t *cert, size_t cert_len, const uint8_t *key,
    size_t key_len, size_t *n)
{
	uint8_t *p;

	*n = 0;
	if (cert_len == 0 || key_len == 0 || cert_len > SERVE_TLS_MAX ||
	    key_len > SERVE_TLS_MAX - 4 - cert_len)
		return NULL;
	if ((p = malloc(4 + cert_len + key_len)) == NULL)
		return NULL;
	put32(p, (uint32_t)cert_len);
	memcpy(p + 4, cert, cert_len);
	memcpy(p + 4 + cert_len, key, key_len);
	*n = 4 + cert_len + key_len;
	return p;
}

int
serve_tls_decode(const uint8_t *p, size_t n, const uint8_t **cert,
    size_t *cert_len, const uint8_t **key, size_t *key_len)
{
	uint32_t cl;

	*cert = *key = NULL;
	*cert_len = *key_len = 0;
	if (n < 4)
		return -1;
	cl = get32(p);
	if (cl == 0 || cl >= n - 4)
		return -1;
	*cert = p + 4;
	*cert_len = cl;
	*key = p + 4 + cl;
	*key_len = n - 4 - cl;
	return 0;
}

void
serve_crl_info_encode(const struct serve_crl_info *c,
    uint8_t out[SERVE_CRL_FIXED])
{
	put64(out, (uint64_t)c->number);
	put64(out + 8, (uint64_t)c->this_update);
	put64(out + 16, (uint64_t)c->next_update);
	put64(out + 24, (uint64_t)c->made);
}

int
serve_crl_info_decode(const uint8_t *p, size_t n, struct serve_crl_info *c)
{
	memset(c, 0, sizeof(*c));
	if (n < SERVE_CRL_FIXED)
		return -1;
	c->number = (int64_t)get64(p);
	c->this_update = (int64_t)get64(p + 8);
	c->next_update = (int64_t)get64(p + 16);
	c->made = (int64_t)get64(p + 24);
	if (c->number < 0 || c->this_update < 0 ||
	    c->next_update < c->this_update)
		return -1;
	return 0;
}

/* ---- transport ----------------------------------------------------------- */

void
serve_reader_init(struct serve_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->need = SERVE_IPC_HEADER;
	r->max = max;
}

void
serve_reader_free(struct serve_reader *r)
{
	free(r->buf);
	serve_reader_init(r, r->max);
}

int
serve_reader_read(int fd, struct serve_reader *r)
{
	uint8_t *p;
	size_t len;
	ssize_t got;

	for (;;) {
		if (r->have == r->need) {
			if (r->need > SERVE_IPC_HEADER ||
			    get32(r->buf + 8) == 0)
				return 1;
			/* The header is in: now the body. */
			if (r->buf[0] != SERVE_IPC_VERSION)
				return -2;
			len = get32(r->buf + 8);
			if (len > r->max)
				return -2;
			if ((p = realloc(r->buf, SERVE_IPC_HEADER + len)) ==
			    NULL)
				return -1;
			r->buf = p;
			r->need = SERVE_IPC_HEADER + len;
			continue;
		}
		if (r->buf == NULL &&
		    (r->buf = malloc(SERVE_IPC_HEADER)) == NULL)
			return -1;
		got = read(fd, r->buf + r->have, r->need - r->have);
		if (got == 0) {
			errno = 0;
			return -1;
		}
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		r->have += (size_t)got;
	}
}

void
serve_reader_next(struct serve_reader *r)
{
	r->have = 0;
	r->need = SERVE_IPC_HEADER;
	/* A big CRL's buffer is not kept between frames. */
	free(r->buf);
	r->buf = NULL;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	struct pollfd pfd;
	ssize_t w;
	int64_t left;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

int
serve_send(int fd, uint8_t type, uint32_t id, const void *body, size_t len,
    int timeout_ms)
{
	uint8_t hdr[SERVE_IPC_HEADER];
	int64_t deadline = now_ms() + timeout_ms;

	if (len > SERVE_IPC_MAX_TO_FRONT) {
		errno = EMSGSIZE;
		return -1;
	}
	hdr[0] = SERVE_IPC_VERSION;
	hdr[1] = type;
	hdr[2] = 0;
	hdr[3] = 0;
	put32(hdr + 4, id);
	put32(hdr + 8, (uint32_t)len);
	if (send_all(fd, hdr, sizeof(hdr), deadline) != 0)
		return -1;
	return len == 0 ? 0 : send_all(fd, body, len, deadline);
}
