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
/* What one read of a serve_reader takes at most into its own buffer. */
#define SERVE_READER_CHUNK 16384
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
	SERVE_MSG_ISSUE = 7,        /* front end: issue a certificate */
	SERVE_MSG_ISSUE_REPLY = 8,  /* signer: the certificate, or why not */
	SERVE_MSG_OCSP_ISSUER = 16, /* signer: the CA's CertID hashes */
	SERVE_MSG_OCSP_RESPONSES = 17, /* signer: pre-signed OCSP responses */
	SERVE_MSG_ACME = 32,           /* front end: an ACME state change */
	SERVE_MSG_ACME_REPLY = 33,     /* signer: the object, or the problem */
	SERVE_MSG_EST_CACERTS = 64,    /* front end: EST /cacerts */
	SERVE_MSG_EST_ENROLL = 65,     /* front end: /simpleenroll, a token */
	SERVE_MSG_EST_REENROLL = 66,   /* front end: /simplereenroll, mTLS */
	SERVE_MSG_EST_REPLY = 67,      /* signer: PKCS#7 certs-only, or why */
	/* Numbers by family: 16-31 OCSP, 32-63 ACME, 64-79 EST. */
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

/*
 * Bodies are sequences of fields, big-endian: u8, u32, u64, and strings
 * or byte strings as u32 length + bytes. The writer grows its buffer; the
 * reader never reads past the body and fails from the first short field
 * on, so a decoder checks r.err once at the end.
 */
struct serve_wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int err; /* out of memory or over max */
	size_t max;
};

void serve_wbuf_init(struct serve_wbuf *w, size_t max);
/* Wipes before it frees: bodies may hold keys. */
void serve_wbuf_free(struct serve_wbuf *w);
void serve_put_u8(struct serve_wbuf *w, uint8_t v);
void serve_put_u32(struct serve_wbuf *w, uint32_t v);
void serve_put_u64(struct serve_wbuf *w, uint64_t v);
void serve_put_bytes(struct serve_wbuf *w, const void *p, size_t n);
/* NULL is written as the empty string. */
void serve_put_str(struct serve_wbuf *w, const char *s);

struct serve_rbuf {
	const uint8_t *p;
	size_t left;
	int err;
};

void serve_rbuf_init(struct serve_rbuf *r, const uint8_t *p, size_t n);
uint8_t serve_get_u8(struct serve_rbuf *r);
uint32_t serve_get_u32(struct serve_rbuf *r);
uint64_t serve_get_u64(struct serve_rbuf *r);
/* A byte string of at most max bytes: points into the body. */
const uint8_t *serve_get_bytes(struct serve_rbuf *r, size_t *n, size_t max);
/*
 * A string of at most max bytes, printable ASCII only (it may end up in
 * a log line or an HTTP body), copied NUL-terminated into out[max + 1].
 */
void serve_get_str(struct serve_rbuf *r, char *out, size_t max);
/* 0 when every field was there and nothing is left over, else -1. */
int serve_rbuf_end(const struct serve_rbuf *r);

/*
 * ISSUE: the front end asks for a certificate. What the signer trusts
 * of it is who asks (requester) and which identifiers the front end says
 * it validated; it re-runs everything else (CSR, profile, lint) itself.
 *   profile str | requester str | n u32 | n x identifier str | csr bytes
 * An identifier is "dns:NAME", "ip:ADDRESS" or "uri:URI".
 */
#define SERVE_ISSUE_MAX_IDS 100
#define SERVE_ISSUE_ID_MAX 260
#define SERVE_ISSUE_NAME_MAX 256 /* profile, requester */
#define SERVE_ISSUE_CSR_MAX ((size_t)32 * 1024)
struct serve_issue {
	char profile[SERVE_ISSUE_NAME_MAX + 1];
	char requester[SERVE_ISSUE_NAME_MAX + 1];
	size_t n_ids;
	char ids[SERVE_ISSUE_MAX_IDS][SERVE_ISSUE_ID_MAX + 1];
	const uint8_t *csr; /* DER, points into the body */
	size_t csr_len;
};
/* The body in w (serve_wbuf_free it); 0 or -1. */
int serve_issue_encode(const struct serve_issue *q, struct serve_wbuf *w);
int serve_issue_decode(const uint8_t *p, size_t n, struct serve_issue *q);

/*
 * ISSUE_REPLY:
 *   status u32 (0, or -SIGNET_ERR_*) | serial str | message str |
 *   not_before u64 | not_after u64 | chain bytes (PEM: certificate and
 *   the CA chain above it without the root; empty when refused)
 */
#define SERVE_ISSUE_MSG_MAX 1024
#define SERVE_ISSUE_CHAIN_MAX ((size_t)256 * 1024)
struct serve_issue_reply {
	int status;
	char serial[41];
	char message[SERVE_ISSUE_MSG_MAX + 1];
	int64_t not_before;
	int64_t not_after;
	const uint8_t *chain; /* points into the body */
	size_t chain_len;
};
/*
 * A refusal the client may retry as it is (503 with Retry-After): the
 * token, the store, the audit log or the signer failed, not the request.
 * Anything else (policy, lint, a bad CSR) is the request's fault.
 */
int serve_status_transient(int status);
int serve_issue_reply_encode(const struct serve_issue_reply *a,
    struct serve_wbuf *w);
int serve_issue_reply_decode(const uint8_t *p, size_t n,
    struct serve_issue_reply *a);

/*
 * OCSP_ISSUER: the CA's CertID hashes (RFC 6960 4.1.1), which the front
 * end compares requests with.
 *   sha1_name bytes(20) | sha1_key bytes(20) | sha256_name bytes(32) |
 *   sha256_key bytes(32)
 */
#define SERVE_OCSP_ISSUER_LEN (4 * 4 + 2 * 20 + 2 * 32)
struct serve_ocsp_issuer {
	uint8_t sha1_name[20], sha1_key[20];
	uint8_t sha256_name[32], sha256_key[32];
};
int serve_ocsp_issuer_encode(const struct serve_ocsp_issuer *is,
    struct serve_wbuf *w);
int serve_ocsp_issuer_decode(const uint8_t *p, size_t n,
    struct serve_ocsp_issuer *is);

/*
 * OCSP_RESPONSES: a batch of pre-signed responses, each replacing the one
 * the front end had for its serial.
 *   n u32 (1..SERVE_OCSP_BATCH_MAX) | n x ( serial bytes (1..20) |
 *   this_update u64 | next_update u64 | response bytes (DER OCSPResponse,
 *   1..SERVE_OCSP_DER_MAX) )
 */
#define SERVE_OCSP_BATCH_MAX 1024
#define SERVE_OCSP_DER_MAX 4096
#define SERVE_OCSP_BATCH_BYTES              \
	(4 + (size_t)SERVE_OCSP_BATCH_MAX * \
		 (4 + 20 + 16 + 4 + SERVE_OCSP_DER_MAX))
struct serve_ocsp_entry {
	const uint8_t *serial; /* INTEGER content octets; into the body */
	size_t serial_len;
	int64_t this_update;
	int64_t next_update;
	const uint8_t *der; /* into the body */
	size_t der_len;
};
/* Start a batch in w; add entries; serve_ocsp_batch_end fixes the count. */
void serve_ocsp_batch_begin(struct serve_wbuf *w);
void
serve_ocsp_batch_add(struct serve_wbuf *w, const struct serve_ocsp_entry *e);
int serve_ocsp_batch_end(struct serve_wbuf *w, uint32_t n);
/*
 * Check a whole batch body: 0 and *n, or -1. Then read the entries with
 * serve_ocsp_batch_next (r positioned after the count by the check).
 */
int serve_ocsp_batch_check(const uint8_t *p, size_t n, uint32_t *count);
int serve_ocsp_batch_next(struct serve_rbuf *r, struct serve_ocsp_entry *e);

/*
 * ACME (docs/acme.md): one request per verified JWS (the front end has
 * parsed the HTTP request, checked the JWS signature and the url header);
 * the signer spends the nonce, checks the account owns what it touches,
 * moves the state in the store and answers with the object as JSON.
 *   op u8 | nonce str | account str | profile str | object str |
 *   jwk str | contact str | flags u8 | reason u32 | n u32 |
 *   n x identifier str | detail str | der bytes | thumb str
 * thumb: for the operations a kid JWS makes (every one with an account
 * but CHALL_RESULT and ACCOUNT_KEY), the RFC 7638 thumbprint of the key
 * the front end verified the JWS with; "" or 43 base64url characters.
 * The signer refuses the operation, before spending the nonce, unless
 * it is the account's stored key (problem SERVE_ACME_STALE_KEY: the
 * front end looks the key up again and retries once).
 */
enum serve_acme_op {
	SERVE_ACME_NONCE = 1,        /* a fresh nonce only */
	SERVE_ACME_ACCOUNT_NEW = 2,  /* jwk, contact, flags: only existing */
	SERVE_ACME_ACCOUNT_KEY = 3,  /* account: its JWK, to verify a kid JWS */
	SERVE_ACME_ACCOUNT_GET = 4,  /* account */
	SERVE_ACME_ORDER_NEW = 5,    /* account, profile, identifiers */
	SERVE_ACME_ORDER_GET = 6,    /* account, object = order */
	SERVE_ACME_AUTHZ_GET = 7,    /* account, object = authorization */
	SERVE_ACME_CHALL_START = 8,  /* account, object = challenge */
	SERVE_ACME_CHALL_RESULT = 9, /* object, flags 1: valid, or detail */
	SERVE_ACME_FINALIZE = 10,    /* account, object = order, der = CSR */
	SERVE_ACME_CERT_GET = 11,    /* account, object = order */
	SERVE_ACME_REVOKE = 12,      /* account, der = certificate, reason */
	SERVE_ACME_ACCOUNT_DEACTIVATE = 13, /* account */
	/* 14-23: accounts (signer_acme_account.c, front_acme_account.c) */
	SERVE_ACME_ACCOUNT_NEW_EAB = 14,  /* as 2; object = EAB kid, detail =
					     alg, der = serve_acme_eab body */
	SERVE_ACME_KEY_CHANGE = 15,       /* account, jwk = the new key */
	SERVE_ACME_ACCOUNT_UPDATE = 16,   /* account, contact */
	SERVE_ACME_ORDERS_LIST = 17,      /* account, object = account in the
					     URL, reason = first position */
	SERVE_ACME_AUTHZ_DEACTIVATE = 18, /* account, object = authorization */
	SERVE_ACME_REVOKE_BY_KEY = 19,    /* jwk = the certificate's key,
					     der = certificate, reason */
};
#define SERVE_ACME_OP_MAX 19
/*
 * Renewal information and profiles (RFC 9773, draft-aaron-acme-profiles;
 * signer_acme_ari.c), numbered 30-39:
 *   RENEWAL_INFO: object = serial (hex), detail = authority key id (hex);
 *     no nonce, no account (renewalInfo is a plain GET)
 *   PROFILES: nothing; the answer maps exposed profiles to descriptions
 */
enum serve_acme_ari_op {
	SERVE_ACME_RENEWAL_INFO = 30,
	SERVE_ACME_PROFILES = 31,
};
#define SERVE_ACME_ARI_FIRST 30
#define SERVE_ACME_ARI_LAST 31
/* ORDER_NEW carries "replaces" as object = serial, detail = key id. */
#define SERVE_ACME_FIELD_MAX 64 /* nonce, account, profile, object */
#define SERVE_ACME_JWK_MAX 2048
#define SERVE_ACME_CONTACT_MAX 512
#define SERVE_ACME_MAX_IDS 20
#define SERVE_ACME_DETAIL_MAX 512
#define SERVE_ACME_DER_MAX ((size_t)32 * 1024)
#define SERVE_ACME_FLAG_ONLY_EXISTING 0x1
#define SERVE_ACME_FLAG_VALID 0x1
#define SERVE_ACME_THUMB_MAX 43
/* The problem of a refusal for a thumb that is not the account's key. */
#define SERVE_ACME_STALE_KEY "signet:staleAccountKey"
struct serve_acme {
	uint8_t op;
	char nonce[SERVE_ACME_FIELD_MAX + 1];
	char account[SERVE_ACME_FIELD_MAX + 1];
	char profile[SERVE_ACME_FIELD_MAX + 1];
	char object[SERVE_ACME_FIELD_MAX + 1];
	char jwk[SERVE_ACME_JWK_MAX + 1];
	char contact[SERVE_ACME_CONTACT_MAX + 1];
	uint8_t flags;
	uint32_t reason;
	size_t n_ids;
	char ids[SERVE_ACME_MAX_IDS][SERVE_ISSUE_ID_MAX + 1];
	char detail[SERVE_ACME_DETAIL_MAX + 1];
	const uint8_t *der; /* points into the body */
	size_t der_len;
	char thumb[SERVE_ACME_THUMB_MAX + 1];
};
int serve_acme_encode(const struct serve_acme *q, struct serve_wbuf *w);
int serve_acme_decode(const uint8_t *p, size_t n, struct serve_acme *q);
/*
 * The der of ACCOUNT_NEW_EAB: the externalAccountBinding JWS's signing
 * input (protected "." payload, RFC 7515 5.1) and its MAC.
 *   input bytes | mac bytes
 */
#define SERVE_ACME_EAB_INPUT_MAX ((size_t)8 * 1024)
#define SERVE_ACME_EAB_MAC_MAX ((size_t)64)
int serve_acme_eab_encode(const uint8_t *input, size_t input_len,
    const uint8_t *mac, size_t mac_len, struct serve_wbuf *w);
int serve_acme_eab_decode(const uint8_t *p, size_t n, const uint8_t **input,
    size_t *input_len, const uint8_t **mac, size_t *mac_len);

/*
 * ACME_REPLY:
 *   status u32 (0, or -SIGNET_ERR_*) | problem str (the RFC 8555 error
 *   type after urn:ietf:params:acme:error:, "" when ok) | detail str |
 *   nonce str (a fresh one for Replay-Nonce) | json bytes (the object) |
 *   pem bytes (the certificate chain for CERT_GET) | retry_after u32
 *   (seconds, for Retry-After; 0: none) | limit str (the rate limit a
 *   rateLimited problem hit, for /metrics)
 */
#define SERVE_ACME_PROBLEM_MAX 64
#define SERVE_ACME_JSON_MAX ((size_t)64 * 1024)
#define SERVE_ACME_LIMIT_MAX 32
struct serve_acme_reply {
	int status;
	char problem[SERVE_ACME_PROBLEM_MAX + 1];
	char detail[SERVE_ACME_DETAIL_MAX + 1];
	char nonce[SERVE_ACME_FIELD_MAX + 1];
	const uint8_t *json; /* points into the body */
	size_t json_len;
	const uint8_t *pem;
	size_t pem_len;
	uint32_t retry_after;
	char limit[SERVE_ACME_LIMIT_MAX + 1];
};
int
serve_acme_reply_encode(const struct serve_acme_reply *a, struct serve_wbuf *w);
int
serve_acme_reply_decode(const uint8_t *p, size_t n, struct serve_acme_reply *a);

/*
 * EST (RFC 7030; docs/renewal.md). The front end passes on what the
 * client sent, undecoded; the signer decides everything.
 *   EST_CACERTS:  profile str
 *   EST_ENROLL:   profile str | token str | csr bytes
 *   EST_REENROLL: profile str | certificate bytes | csr bytes
 * csr is the request body as received (base64 PKCS#10, RFC 7030 4.2.1);
 * certificate the DER of the TLS client certificate, empty when the
 * client presented none.
 */
#define SERVE_EST_TOKEN_MAX 128
#define SERVE_EST_CSR_MAX ((size_t)32 * 1024)
#define SERVE_EST_CERT_MAX ((size_t)16 * 1024)
struct serve_est {
	char profile[SERVE_ISSUE_NAME_MAX + 1];
	char token[SERVE_EST_TOKEN_MAX + 1];
	const uint8_t *cert; /* points into the body */
	size_t cert_len;
	const uint8_t *csr; /* points into the body */
	size_t csr_len;
};
/* type is one of the three above; 0 or -1. */
int
serve_est_encode(uint8_t type, const struct serve_est *q, struct serve_wbuf *w);
int
serve_est_decode(uint8_t type, const uint8_t *p, size_t n, struct serve_est *q);

/*
 * EST_REPLY:
 *   http u32 (the status to answer with) | message str | serial str |
 *   body bytes (200: base64 of a certs-only PKCS#7, RFC 7030 4.1.3 and
 *   4.2.3; else empty and message is the error text)
 */
#define SERVE_EST_BODY_MAX ((size_t)512 * 1024)
struct serve_est_reply {
	unsigned http;
	char message[SERVE_ISSUE_MSG_MAX + 1];
	char serial[41];
	const uint8_t *body; /* points into the body */
	size_t body_len;
};
int
serve_est_reply_encode(const struct serve_est_reply *a, struct serve_wbuf *w);
int
serve_est_reply_decode(const uint8_t *p, size_t n, struct serve_est_reply *a);

/* Name of a type for logs, "unknown" for others. */
const char *serve_msg_name(uint8_t type);
/* 1 for a signer's answer to a request (carries the request's id). */
int serve_msg_is_answer(uint8_t type);

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
/*
 * Frames from a stream socket. What one read brings beyond the frame being
 * assembled waits in `in` for the next: a small frame costs one read, not
 * one for its header, one for its body and one to find nothing more.
 */
struct serve_reader {
	uint8_t *buf;
	size_t have;
	size_t need; /* header, then header + body */
	size_t max;  /* body cap for this direction */
	uint8_t *in; /* SERVE_READER_CHUNK bytes, read but not yet framed */
	size_t in_off, in_len;
	int drained; /* the last read left the socket empty */
};

void serve_reader_init(struct serve_reader *r, size_t max);
void serve_reader_free(struct serve_reader *r);
/*
 * Read what is there. 1: a whole frame is in r->buf (r->have bytes; call
 * serve_reader_next after handling it); 0: need more; -1: end of file or
 * error (errno; 0 at end of file); -2: the header announces more than max
 * or a wrong version (the peer is broken or hostile). A read that left
 * the socket empty is not followed by another that would find nothing:
 * 0 then means "poll the descriptor" (poll is level-triggered, so bytes
 * that came in between wake it at once).
 */
int serve_reader_read(int fd, struct serve_reader *r);
/* Drop the frame just handled. */
void serve_reader_next(struct serve_reader *r);

/*
 * Send one frame, waiting at most timeout_ms for the peer to make room.
 * 0, or -1 (errno; ETIMEDOUT when the peer did not read).
 */
/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
int64_t serve_now_ms(void);
int serve_send(int fd, uint8_t type, uint32_t id, const void *body, size_t len,
    int timeout_ms);

#endif /* SIGNET_SERVE_IPC_H */
