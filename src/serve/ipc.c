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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "serve/ipc.h"
#include "signet/error.h"

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
	{ SERVE_MSG_ISSUE, "ISSUE", SERVE_FROM_FRONT, 4 + 4 + 4 + 4 + 1,
	    SERVE_IPC_MAX_TO_SIGNER, 1,
	    "fields decode, printable, within their limits; then the CA "
	    "pipeline as for signet issue: CSR signature and key, the "
	    "profile's rules, the CSR's names exactly the identifiers the "
	    "front end validated, serial, lint, audit intent before signing",
	    "ISSUE_REPLY: the chain, or the refusal and why" },
	{ SERVE_MSG_ISSUE_REPLY, "ISSUE_REPLY", SERVE_FROM_SIGNER,
	    4 + 4 + 4 + 8 + 8 + 4, SERVE_IPC_MAX_TO_FRONT, 1,
	    "the id of a waiting request", "none (a late answer is dropped)" },
	{ SERVE_MSG_OCSP_ISSUER, "OCSP_ISSUER", SERVE_FROM_SIGNER,
	    SERVE_OCSP_ISSUER_LEN, SERVE_OCSP_ISSUER_LEN, 0,
	    "four hashes of the right sizes",
	    "none: OCSP requests are compared with them from now on" },
	{ SERVE_MSG_OCSP_RESPONSES, "OCSP_RESPONSES", SERVE_FROM_SIGNER,
	    4 + 4 + 1 + 16 + 4 + 1, SERVE_OCSP_BATCH_BYTES, 0,
	    "count within 1..1024, every entry decodes within its limits",
	    "none: each replaces the response served for its serial" },
	{ SERVE_MSG_ACME, "ACME", SERVE_FROM_FRONT,
	    42 /* op, 6 empty strings, flags, reason, n, detail, der */,
	    SERVE_IPC_MAX_TO_SIGNER, 1,
	    "fields decode, printable, within their limits, a known op; "
	    "the nonce is spent in the store (once, unexpired); the account "
	    "exists, is valid and owns the order, authorization or "
	    "challenge; the state change is legal from the stored state; "
	    "finalize: order ready and all its authorizations valid, CSR "
	    "key not the account key, then the CA pipeline with the order's "
	    "identifiers as validated; revoke: the account ordered it; "
	    "newOrder: profile exposed, replaces a certificate of this "
	    "account not already replaced, the account within its rate "
	    "limits; ops 30-39 (renewal information, profiles): no nonce, "
	    "no account",
	    "ACME_REPLY: the object, or the problem type and why" },
	{ SERVE_MSG_ACME_REPLY, "ACME_REPLY", SERVE_FROM_SIGNER,
	    32 /* status, 5 empty fields, retry_after, limit */,
	    SERVE_IPC_MAX_TO_FRONT, 1, "the id of a waiting request",
	    "none (a late answer is dropped)" },
	{ SERVE_MSG_EST_CACERTS, "EST_CACERTS", SERVE_FROM_FRONT, 4 + 1,
	    4 + SERVE_ISSUE_NAME_MAX, 1, "a profile the signer exposes",
	    "EST_REPLY: the CA certificates as certs-only PKCS#7" },
	{ SERVE_MSG_EST_ENROLL, "EST_ENROLL", SERVE_FROM_FRONT,
	    4 + 1 + 4 + 4 + 1, SERVE_IPC_MAX_TO_SIGNER, 1,
	    "fields decode; the profile is exposed; the token is consumed in "
	    "the store (unused, unrevoked, unexpired, pinned to this "
	    "profile); then the CA pipeline with the token's names as the "
	    "validated identifiers",
	    "EST_REPLY: the certificate as certs-only PKCS#7, or the status "
	    "and why" },
	{ SERVE_MSG_EST_REENROLL, "EST_REENROLL", SERVE_FROM_FRONT,
	    4 + 1 + 4 + 4 + 1, SERVE_IPC_MAX_TO_SIGNER, 1,
	    "fields decode; the profile is exposed; the client certificate "
	    "is signed by the CA key, recorded as issued (not revoked, not "
	    "superseded), within its validity (plus the profile's grace), "
	    "of this profile; the CSR keeps subject and names (unless "
	    "allowed) and brings a new key (unless allowed); then the CA "
	    "pipeline with the old certificate's names as the validated "
	    "identifiers; the old one is marked superseded (and revoked if "
	    "the profile says so)",
	    "EST_REPLY: the certificate as certs-only PKCS#7, or the status "
	    "and why" },
	{ SERVE_MSG_EST_REPLY, "EST_REPLY", SERVE_FROM_SIGNER, 4 + 4 + 4 + 4,
	    SERVE_IPC_MAX_TO_FRONT, 1, "the id of a waiting request",
	    "none (a late answer is dropped)" },
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

int
serve_msg_is_answer(uint8_t type)
{
	const struct serve_msg_rule *rule = rule_find(type);

	return rule != NULL && rule->from == SERVE_FROM_SIGNER &&
	       rule->needs_id;
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

/* ---- fields -------------------------------------------------------------- */

void
serve_wbuf_init(struct serve_wbuf *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void
serve_wbuf_free(struct serve_wbuf *w)
{
	if (w->p != NULL)
		explicit_bzero(w->p, w->cap);
	free(w->p);
	serve_wbuf_init(w, w->max);
}

static uint8_t *
wbuf_room(struct serve_wbuf *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->err || n > w->max - w->len) {
		w->err = 1;
		return NULL;
	}
	if (w->cap - w->len < n) {
		cap = w->cap < 256 ? 256 : w->cap;
		while (cap - w->len < n)
			cap *= 2;
		if ((p = malloc(cap)) == NULL) {
			w->err = 1;
			return NULL;
		}
		if (w->p != NULL) {
			memcpy(p, w->p, w->len);
			explicit_bzero(w->p, w->cap);
			free(w->p);
		}
		w->p = p;
		w->cap = cap;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

void
serve_put_u8(struct serve_wbuf *w, uint8_t v)
{
	uint8_t *p = wbuf_room(w, 1);

	if (p != NULL)
		*p = v;
}

void
serve_put_u32(struct serve_wbuf *w, uint32_t v)
{
	uint8_t *p = wbuf_room(w, 4);

	if (p != NULL)
		put32(p, v);
}

void
serve_put_u64(struct serve_wbuf *w, uint64_t v)
{
	uint8_t *p = wbuf_room(w, 8);

	if (p != NULL)
		put64(p, v);
}

void
serve_put_bytes(struct serve_wbuf *w, const void *b, size_t n)
{
	uint8_t *p;

	if (n > UINT32_MAX) {
		w->err = 1;
		return;
	}
	serve_put_u32(w, (uint32_t)n);
	if (n > 0 && (p = wbuf_room(w, n)) != NULL)
		memcpy(p, b, n);
}

void
serve_put_str(struct serve_wbuf *w, const char *s)
{
	serve_put_bytes(w, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

void
serve_rbuf_init(struct serve_rbuf *r, const uint8_t *p, size_t n)
{
	r->p = p;
	r->left = n;
	r->err = 0;
}

static const uint8_t *
rbuf_take(struct serve_rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->err || r->left < n) {
		r->err = 1;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t
serve_get_u8(struct serve_rbuf *r)
{
	const uint8_t *p = rbuf_take(r, 1);

	return p != NULL ? *p : 0;
}

uint32_t
serve_get_u32(struct serve_rbuf *r)
{
	const uint8_t *p = rbuf_take(r, 4);

	return p != NULL ? get32(p) : 0;
}

uint64_t
serve_get_u64(struct serve_rbuf *r)
{
	const uint8_t *p = rbuf_take(r, 8);

	return p != NULL ? get64(p) : 0;
}

const uint8_t *
serve_get_bytes(struct serve_rbuf *r, size_t *n, size_t max)
{
	uint32_t len = serve_get_u32(r);
	const uint8_t *p;

	*n = 0;
	if (r->err || len > max) {
		r->err = 1;
		return NULL;
	}
	if ((p = rbuf_take(r, len)) != NULL)
		*n = len;
	return p;
}

void
serve_get_str(struct serve_rbuf *r, char *out, size_t max)
{
	const uint8_t *p;
	size_t n, i;

	out[0] = '\0';
	if ((p = serve_get_bytes(r, &n, max)) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e) {
			r->err = 1;
			return;
		}
	memcpy(out, p, n);
	out[n] = '\0';
}

int
serve_rbuf_end(const struct serve_rbuf *r)
{
	return r->err || r->left != 0 ? -1 : 0;
}

int
serve_issue_encode(const struct serve_issue *q, struct serve_wbuf *w)
{
	size_t i;

	if (q->n_ids > SERVE_ISSUE_MAX_IDS || q->csr_len == 0 ||
	    q->csr_len > SERVE_ISSUE_CSR_MAX)
		return -1;
	serve_put_str(w, q->profile);
	serve_put_str(w, q->requester);
	serve_put_u32(w, (uint32_t)q->n_ids);
	for (i = 0; i < q->n_ids; i++)
		serve_put_str(w, q->ids[i]);
	serve_put_bytes(w, q->csr, q->csr_len);
	return w->err ? -1 : 0;
}

int
serve_issue_decode(const uint8_t *p, size_t n, struct serve_issue *q)
{
	struct serve_rbuf r;
	uint32_t i, k;

	memset(q, 0, sizeof(*q));
	serve_rbuf_init(&r, p, n);
	serve_get_str(&r, q->profile, SERVE_ISSUE_NAME_MAX);
	serve_get_str(&r, q->requester, SERVE_ISSUE_NAME_MAX);
	k = serve_get_u32(&r);
	if (r.err || k > SERVE_ISSUE_MAX_IDS)
		return -1;
	for (i = 0; i < k; i++)
		serve_get_str(&r, q->ids[i], SERVE_ISSUE_ID_MAX);
	q->n_ids = k;
	q->csr = serve_get_bytes(&r, &q->csr_len, SERVE_ISSUE_CSR_MAX);
	if (serve_rbuf_end(&r) != 0 || q->profile[0] == '\0' ||
	    q->requester[0] == '\0' || q->csr_len == 0)
		return -1;
	return 0;
}

int
serve_status_transient(int status)
{
	switch (status) {
	case SIGNET_ERR_INTERNAL:
	case SIGNET_ERR_STORE:
	case SIGNET_ERR_IO:
	case SIGNET_ERR_AUDIT:
		return 1;
	default:
		/* The token's codes: -20 to -29. */
		return status <= -20 && status > -30;
	}
}

int
serve_issue_reply_encode(const struct serve_issue_reply *a,
    struct serve_wbuf *w)
{
	serve_put_u32(w, (uint32_t)-a->status);
	serve_put_str(w, a->serial);
	serve_put_str(w, a->message);
	serve_put_u64(w, (uint64_t)a->not_before);
	serve_put_u64(w, (uint64_t)a->not_after);
	serve_put_bytes(w, a->chain, a->chain_len);
	return w->err ? -1 : 0;
}

int
serve_issue_reply_decode(const uint8_t *p, size_t n,
    struct serve_issue_reply *a)
{
	struct serve_rbuf r;
	uint32_t st;

	memset(a, 0, sizeof(*a));
	serve_rbuf_init(&r, p, n);
	st = serve_get_u32(&r);
	serve_get_str(&r, a->serial, sizeof(a->serial) - 1);
	serve_get_str(&r, a->message, SERVE_ISSUE_MSG_MAX);
	a->not_before = (int64_t)serve_get_u64(&r);
	a->not_after = (int64_t)serve_get_u64(&r);
	a->chain = serve_get_bytes(&r, &a->chain_len, SERVE_ISSUE_CHAIN_MAX);
	if (serve_rbuf_end(&r) != 0 || st > 1000)
		return -1;
	a->status = -(int)st;
	/* Issued means a certificate; refused means none. */
	if ((a->status == 0) != (a->chain_len > 0))
		return -1;
	return 0;
}

/* 1..SERVE_ACME_OP_MAX, or SERVE_ACME_ARI_FIRST..SERVE_ACME_ARI_LAST. */
static int
serve_acme_op_known(uint8_t op)
{
	return (op >= 1 && op <= SERVE_ACME_OP_MAX) ||
	       (op >= SERVE_ACME_ARI_FIRST && op <= SERVE_ACME_ARI_LAST);
}

/* "" or an RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
static int
thumb_ok(const char *t)
{
	size_t n =
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_");

	return t[n] == '\0' && (n == 0 || n == SERVE_ACME_THUMB_MAX);
}

int
serve_acme_encode(const struct serve_acme *q, struct serve_wbuf *w)
{
	size_t i;

	if (!serve_acme_op_known(q->op) || q->n_ids > SERVE_ACME_MAX_IDS ||
	    q->der_len > SERVE_ACME_DER_MAX || !thumb_ok(q->thumb))
		return -1;
	serve_put_u8(w, q->op);
	serve_put_str(w, q->nonce);
	serve_put_str(w, q->account);
	serve_put_str(w, q->profile);
	serve_put_str(w, q->object);
	serve_put_str(w, q->jwk);
	serve_put_str(w, q->contact);
	serve_put_u8(w, q->flags);
	serve_put_u32(w, q->reason);
	serve_put_u32(w, (uint32_t)q->n_ids);
	for (i = 0; i < q->n_ids; i++)
		serve_put_str(w, q->ids[i]);
	serve_put_str(w, q->detail);
	serve_put_bytes(w, q->der, q->der_len);
	serve_put_str(w, q->thumb);
	return w->err ? -1 : 0;
}

int
serve_acme_decode(const uint8_t *p, size_t n, struct serve_acme *q)
{
	struct serve_rbuf r;
	uint32_t i, k;

	memset(q, 0, sizeof(*q));
	serve_rbuf_init(&r, p, n);
	q->op = serve_get_u8(&r);
	serve_get_str(&r, q->nonce, SERVE_ACME_FIELD_MAX);
	serve_get_str(&r, q->account, SERVE_ACME_FIELD_MAX);
	serve_get_str(&r, q->profile, SERVE_ACME_FIELD_MAX);
	serve_get_str(&r, q->object, SERVE_ACME_FIELD_MAX);
	serve_get_str(&r, q->jwk, SERVE_ACME_JWK_MAX);
	serve_get_str(&r, q->contact, SERVE_ACME_CONTACT_MAX);
	q->flags = serve_get_u8(&r);
	q->reason = serve_get_u32(&r);
	k = serve_get_u32(&r);
	if (r.err || k > SERVE_ACME_MAX_IDS)
		return -1;
	for (i = 0; i < k; i++)
		serve_get_str(&r, q->ids[i], SERVE_ISSUE_ID_MAX);
	q->n_ids = k;
	serve_get_str(&r, q->detail, SERVE_ACME_DETAIL_MAX);
	q->der = serve_get_bytes(&r, &q->der_len, SERVE_ACME_DER_MAX);
	serve_get_str(&r, q->thumb, SERVE_ACME_THUMB_MAX);
	if (serve_rbuf_end(&r) != 0 || !serve_acme_op_known(q->op) ||
	    !thumb_ok(q->thumb))
		return -1;
	return 0;
}

int
serve_acme_reply_encode(const struct serve_acme_reply *a, struct serve_wbuf *w)
{
	serve_put_u32(w, (uint32_t)-a->status);
	serve_put_str(w, a->problem);
	serve_put_str(w, a->detail);
	serve_put_str(w, a->nonce);
	serve_put_bytes(w, a->json, a->json_len);
	serve_put_bytes(w, a->pem, a->pem_len);
	serve_put_u32(w, a->retry_after);
	serve_put_str(w, a->limit);
	return w->err ? -1 : 0;
}

int
serve_acme_reply_decode(const uint8_t *p, size_t n, struct serve_acme_reply *a)
{
	struct serve_rbuf r;
	uint32_t st;

	memset(a, 0, sizeof(*a));
	serve_rbuf_init(&r, p, n);
	st = serve_get_u32(&r);
	serve_get_str(&r, a->problem, SERVE_ACME_PROBLEM_MAX);
	serve_get_str(&r, a->detail, SERVE_ACME_DETAIL_MAX);
	serve_get_str(&r, a->nonce, SERVE_ACME_FIELD_MAX);
	a->json = serve_get_bytes(&r, &a->json_len, SERVE_ACME_JSON_MAX);
	a->pem = serve_get_bytes(&r, &a->pem_len, SERVE_ISSUE_CHAIN_MAX);
	a->retry_after = serve_get_u32(&r);
	serve_get_str(&r, a->limit, SERVE_ACME_LIMIT_MAX);
	if (serve_rbuf_end(&r) != 0 || st > 1000)
		return -1;
	a->status = -(int)st;
	/* A refusal always says which problem it is. */
	if ((a->status == 0) != (a->problem[0] == '\0'))
		return -1;
	return 0;
}

int
serve_est_encode(uint8_t type, const struct serve_est *q, struct serve_wbuf *w)
{
	serve_put_str(w, q->profile);
	switch (type) {
	case SERVE_MSG_EST_CACERTS:
		break;
	case SERVE_MSG_EST_ENROLL:
		if (q->csr_len == 0 || q->csr_len > SERVE_EST_CSR_MAX)
			return -1;
		serve_put_str(w, q->token);
		serve_put_bytes(w, q->csr, q->csr_len);
		break;
	case SERVE_MSG_EST_REENROLL:
		if (q->csr_len == 0 || q->csr_len > SERVE_EST_CSR_MAX ||
		    q->cert_len > SERVE_EST_CERT_MAX)
			return -1;
		serve_put_bytes(w, q->cert, q->cert_len);
		serve_put_bytes(w, q->csr, q->csr_len);
		break;
	default:
		return -1;
	}
	return w->err ? -1 : 0;
}

int
serve_est_decode(uint8_t type, const uint8_t *p, size_t n, struct serve_est *q)
{
	struct serve_rbuf r;

	memset(q, 0, sizeof(*q));
	serve_rbuf_init(&r, p, n);
	serve_get_str(&r, q->profile, SERVE_ISSUE_NAME_MAX);
	switch (type) {
	case SERVE_MSG_EST_CACERTS:
		break;
	case SERVE_MSG_EST_ENROLL:
		serve_get_str(&r, q->token, SERVE_EST_TOKEN_MAX);
		q->csr = serve_get_bytes(&r, &q->csr_len, SERVE_EST_CSR_MAX);
		break;
	case SERVE_MSG_EST_REENROLL:
		q->cert = serve_get_bytes(&r, &q->cert_len, SERVE_EST_CERT_MAX);
		q->csr = serve_get_bytes(&r, &q->csr_len, SERVE_EST_CSR_MAX);
		break;
	default:
		return -1;
	}
	if (serve_rbuf_end(&r) != 0 || q->profile[0] == '\0' ||
	    (type != SERVE_MSG_EST_CACERTS && q->csr_len == 0))
		return -1;
	return 0;
}

int
serve_est_reply_encode(const struct serve_est_reply *a, struct serve_wbuf *w)
{
	serve_put_u32(w, a->http);
	serve_put_str(w, a->message);
	serve_put_str(w, a->serial);
	serve_put_bytes(w, a->body, a->body_len);
	return w->err ? -1 : 0;
}

int
serve_est_reply_decode(const uint8_t *p, size_t n, struct serve_est_reply *a)
{
	struct serve_rbuf r;

	memset(a, 0, sizeof(*a));
	serve_rbuf_init(&r, p, n);
	a->http = serve_get_u32(&r);
	serve_get_str(&r, a->message, SERVE_ISSUE_MSG_MAX);
	serve_get_str(&r, a->serial, sizeof(a->serial) - 1);
	a->body = serve_get_bytes(&r, &a->body_len, SERVE_EST_BODY_MAX);
	if (serve_rbuf_end(&r) != 0 || a->http < 200 || a->http > 599)
		return -1;
	/* A success carries the PKCS#7; a refusal nothing. */
	if ((a->http == 200) != (a->body_len > 0))
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
	free(r->in);
	serve_reader_init(r, r->max);
}

/* Read into dst (room bytes at most). >0 bytes, 0 none now, -1 end/error. */
static ssize_t
reader_fill(int fd, struct serve_reader *r, uint8_t *dst, size_t room)
{
	ssize_t got;

	for (;;) {
		got = read(fd, dst, room);
		if (got > 0) {
			r->drained = (size_t)got < room;
			return got;
		}
		if (got == 0) {
			errno = 0;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

int
serve_reader_read(int fd, struct serve_reader *r)
{
	uint8_t *p;
	size_t len, take;
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
		if (r->in_off < r->in_len) {
			take = r->in_len - r->in_off;
			if (take > r->need - r->have)
				take = r->need - r->have;
			memcpy(r->buf + r->have, r->in + r->in_off, take);
			r->have += take;
			r->in_off += take;
			continue;
		}
		if (r->drained) {
			r->drained = 0;
			return 0;
		}
		/* A big body goes straight where it belongs. */
		if (r->need - r->have >= SERVE_READER_CHUNK) {
			if ((got = reader_fill(fd, r, r->buf + r->have,
				 r->need - r->have)) <= 0)
				return (int)got;
			r->have += (size_t)got;
			continue;
		}
		if (r->in == NULL &&
		    (r->in = malloc(SERVE_READER_CHUNK)) == NULL)
			return -1;
		if ((got = reader_fill(fd, r, r->in, SERVE_READER_CHUNK)) <= 0)
			return (int)got;
		r->in_off = 0;
		r->in_len = (size_t)got;
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

int64_t
serve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send the header and the body in one sendmsg, so that the peer wakes up
 * once with the whole frame in its socket buffer (a frame sent in two
 * writes costs the reader a second wake-up); what a full buffer leaves
 * unsent goes on after poll, until the deadline.
 */
static int
send_all(int fd, struct iovec *iov, int n_iov, int64_t deadline)
{
	struct msghdr mh;
	struct pollfd pfd;
	ssize_t w;
	int64_t left;

	while (n_iov > 0) {
		if (iov->iov_len == 0) {
			iov++;
			n_iov--;
			continue;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n_iov;
		w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			/* Step over what went out. */
			while (n_iov > 0 && (size_t)w >= iov->iov_len) {
				w -= (ssize_t)iov->iov_len;
				iov++;
				n_iov--;
			}
			if (n_iov > 0) {
				iov->iov_base = (uint8_t *)iov->iov_base + w;
				iov->iov_len -= (size_t)w;
			}
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((left = deadline - serve_now_ms()) <= 0) {
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
	struct iovec iov[2];
	int64_t deadline = serve_now_ms() + timeout_ms;

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
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;
	return send_all(fd, iov, 2, deadline);
}

/* ---- OCSP ---------------------------------------------------------------- */

int
serve_ocsp_issuer_encode(const struct serve_ocsp_issuer *is,
    struct serve_wbuf *w)
{
	serve_put_bytes(w, is->sha1_name, sizeof(is->sha1_name));
	serve_put_bytes(w, is->sha1_key, sizeof(is->sha1_key));
	serve_put_bytes(w, is->sha256_name, sizeof(is->sha256_name));
	serve_put_bytes(w, is->sha256_key, sizeof(is->sha256_key));
	return w->err ? -1 : 0;
}

static int
get_exact(struct serve_rbuf *r, uint8_t *out, size_t want)
{
	size_t n = 0;
	const uint8_t *p = serve_get_bytes(r, &n, want);

	if (r->err || n != want)
		return -1;
	memcpy(out, p, n);
	return 0;
}

int
serve_ocsp_issuer_decode(const uint8_t *p, size_t n,
    struct serve_ocsp_issuer *is)
{
	struct serve_rbuf r;

	memset(is, 0, sizeof(*is));
	serve_rbuf_init(&r, p, n);
	if (get_exact(&r, is->sha1_name, 20) != 0 ||
	    get_exact(&r, is->sha1_key, 20) != 0 ||
	    get_exact(&r, is->sha256_name, 32) != 0 ||
	    get_exact(&r, is->sha256_key, 32) != 0)
		return -1;
	return serve_rbuf_end(&r);
}

void
serve_ocsp_batch_begin(struct serve_wbuf *w)
{
	serve_put_u32(w, 0); /* the count, fixed at the end */
}

void
serve_ocsp_batch_add(struct serve_wbuf *w, const struct serve_ocsp_entry *e)
{
	serve_put_bytes(w, e->serial, e->serial_len);
	serve_put_u64(w, (uint64_t)e->this_update);
	serve_put_u64(w, (uint64_t)e->next_update);
	serve_put_bytes(w, e->der, e->der_len);
}

int
serve_ocsp_batch_end(struct serve_wbuf *w, uint32_t n)
{
	if (w->err || w->len < 4 || n == 0 || n > SERVE_OCSP_BATCH_MAX)
		return -1;
	put32(w->p, n);
	return 0;
}

int
serve_ocsp_batch_next(struct serve_rbuf *r, struct serve_ocsp_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->serial = serve_get_bytes(r, &e->serial_len, 20);
	e->this_update = (int64_t)serve_get_u64(r);
	e->next_update = (int64_t)serve_get_u64(r);
	e->der = serve_get_bytes(r, &e->der_len, SERVE_OCSP_DER_MAX);
	if (r->err || e->serial_len == 0 || e->der_len == 0 ||
	    e->next_update <= e->this_update)
		return -1;
	return 0;
}

int
serve_ocsp_batch_check(const uint8_t *p, size_t n, uint32_t *count)
{
	struct serve_rbuf r;
	struct serve_ocsp_entry e;
	uint32_t i, k;

	*count = 0;
	serve_rbuf_init(&r, p, n);
	k = serve_get_u32(&r);
	if (r.err || k == 0 || k > SERVE_OCSP_BATCH_MAX)
		return -1;
	for (i = 0; i < k; i++)
		if (serve_ocsp_batch_next(&r, &e) != 0)
			return -1;
	if (serve_rbuf_end(&r) != 0)
		return -1;
	*count = k;
	return 0;
}

int
serve_acme_eab_encode(const uint8_t *input, size_t input_len,
    const uint8_t *mac, size_t mac_len, struct serve_wbuf *w)
{
	if (input_len == 0 || input_len > SERVE_ACME_EAB_INPUT_MAX ||
	    mac_len == 0 || mac_len > SERVE_ACME_EAB_MAC_MAX)
		return -1;
	serve_put_bytes(w, input, input_len);
	serve_put_bytes(w, mac, mac_len);
	return w->err ? -1 : 0;
}

int
serve_acme_eab_decode(const uint8_t *p, size_t n, const uint8_t **input,
    size_t *input_len, const uint8_t **mac, size_t *mac_len)
{
	struct serve_rbuf r;

	serve_rbuf_init(&r, p, n);
	*input = serve_get_bytes(&r, input_len, SERVE_ACME_EAB_INPUT_MAX);
	*mac = serve_get_bytes(&r, mac_len, SERVE_ACME_EAB_MAC_MAX);
	if (serve_rbuf_end(&r) != 0 || *input_len == 0 || *mac_len == 0)
		return -1;
	return 0;
}
