/*
 * The socketpair between the signer and its front end: versioned,
 * length-prefixed frames, a fixed set of message types, each with a size
 * limit and a direction (the table in ipc.c). Shared by the signer, which
 * is libsignet, and by signet-frontend, which links nothing else of it.
 *
 *   frame := version u8 | type u8 | flags u16 (0) | id u32 | length u32
 *            | body[length]                      (big-endian integers)
 */
#ifndef SIGNET_SERVE_IPC_H
#define SIGNET_SERVE_IPC_H

#include <stddef.h>
#include <stdint.h>

#define SERVE_IPC_VERSION 1
#define SERVE_IPC_HEADER 12
/* What the front end may send: small requests, nothing bulky. */
#define SERVE_IPC_MAX_TO_SIGNER ((size_t)64 * 1024)
/* What the signer sends: a CRL of a few million entries fits. */
#define SERVE_IPC_MAX_TO_FRONT ((size_t)64 * 1024 * 1024)
/* The descriptor the front end finds its end of the socketpair on. */
#define SERVE_IPC_FD 3
/* Longest reason text in a HEALTH_REPLY. */
#define SERVE_IPC_REASON_MAX 512

enum serve_msg_type {
	SERVE_MSG_READY = 1,        /* front end: sandboxed, listening */
	SERVE_MSG_HEALTH = 2,       /* front end: is everything working? */
	SERVE_MSG_HEALTH_REPLY = 3, /* signer: yes or why not, counters */
	SERVE_MSG_CRL = 4,          /* signer: the CRL to serve */
	SERVE_MSG_CA_CERT = 5,      /* signer: the CA certificate to serve */
	SERVE_MSG_TLS = 6,          /* signer: the HTTPS certificate and key */
};

enum serve_peer {
	SERVE_FROM_FRONT = 1,
	SERVE_FROM_SIGNER = 2,
};

struct serve_msg {
	uint8_t type;
	uint32_t id; /* request id: answers carry the request's */
	const uint8_t *body;
	size_t len;
};

/* HEALTH_REPLY body. */
struct serve_health {
	uint8_t ok;            /* 1: token and store answered */
	uint32_t restarts;     /* front-end restarts since start */
	uint32_t token_errors; /* failed token operations */
	uint32_t crl_failures; /* CRL generations that failed */
	uint64_t check_usec;   /* how long the signer's check took */
	char reason[SERVE_IPC_REASON_MAX + 1]; /* why not ok; "" when ok */
};

/* CRL body: the numbers, then the DER. */
#define SERVE_CRL_FIXED 32
struct serve_crl_info {
	int64_t number;
	int64_t this_update;
	int64_t next_update;
	int64_t made; /* when the signer made or loaded it */
};

/* TLS body: cert_len u32, certificate chain PEM, private key PEM. */
#define SERVE_TLS_MAX ((size_t)256 * 1024)
/* The body in a fresh buffer of *n bytes (wipe it after use), or NULL. */
uint8_t *serve_tls_encode(const uint8_t *cert, size_t cert_len,
    const uint8_t *key, size_t key_len, size_t *n);
int serve_tls_decode(const uint8_t *p, size_t n, const uint8_t **cert,
    size_t *cert_len, const uint8_t **key, size_t *key_len);

/* Name of a type for logs, "unknown" for others. */
const char *serve_msg_name(uint8_t type);

/*
 * Check a whole frame from peer `from` against the message table: version,
 * flags, length within the cap, a type that peer may send, the body's
 * size rules. 0 and *m filled (body points into frame), or -1 with *why
 * saying what was wrong. The signer runs every frame through this before
 * acting on it; a failure means the front end is killed.
 */
int serve_msg_check(const uint8_t *frame, size_t n, enum serve_peer from,
    struct serve_msg *m, const char **why);

/* Encoders and decoders of the bodies. Decoders: 0 or -1. */
size_t
serve_health_encode(const struct serve_health *h, uint8_t *out, size_t cap);
int serve_health_decode(const uint8_t *p, size_t n, struct serve_health *h);
void serve_crl_info_encode(const struct serve_crl_info *c,
    uint8_t out[SERVE_CRL_FIXED]);
int serve_crl_info_decode(const uint8_t *p, size_t n, struct serve_crl_info *c);

/* ---- transport --------------------------------------------------------- */

/* Incremental reader for a non-blocking descriptor. */
struct serve_reader {
	uint8_t *buf;
	size_t have;
	size_t need; /* header, then header + body */
	size_t max;  /* body cap for this direction */
};

void serve_reader_init(struct serve_reader *r, size_t max);
void serve_reader_free(struct serve_reader *r);
/*
 * Read what is there. 1: a whole frame is in r->buf (r->have bytes; call
 * serve_reader_next after handling it); 0: need more; -1: end of file or
 * error (errno; 0 at end of file); -2: the header announces more than max
 * or a wrong version (the peer is broken or hostile).
 */
int serve_reader_read(int fd, struct serve_reader *r);
/* Drop the frame just handled. */
void serve_reader_next(struct serve_reader *r);

/*
 * Send one frame, waiting at most timeout_ms for the peer to make room.
 * 0, or -1 (errno; ETIMEDOUT when the peer did not read).
 */
int serve_send(int fd, uint8_t type, uint32_t id, const void *body, size_t len,
    int timeout_ms);

#endif /* SIGNET_SERVE_IPC_H */
