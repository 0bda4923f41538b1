/*
 * signet-frontend: the unprivileged process that speaks HTTP. It holds no
 * key, no PIN, no database and no audit log; it serves what the signer
 * handed it over the socketpair and asks the signer for everything else.
 */
#ifndef SIGNET_SERVE_FRONT_H
#define SIGNET_SERVE_FRONT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include <gnutls/abstract.h>

#include "serve/ipc.h"

struct front_opts {
	const char *listen;       /* ADDRESS:PORT */
	const char *https_listen; /* ADDRESS:PORT, or NULL */
	const char *user;
	const char *issuer; /* <issuer> in URLs */
	unsigned threads;
	unsigned max_connections;
	unsigned max_per_client;
	unsigned max_header;
	unsigned idle_timeout;
	unsigned max_rate; /* requests per second per client; 0: no limit */
	int log_json;      /* request log lines as JSON objects */
	/* ACME (front_acme.h) */
	const char *acme_profiles;
	unsigned acme_http_port;
	unsigned acme_tls_alpn_port;
	const char *acme_allow;
	const char *acme_resolve;
	const char *acme_dns;
	const char *acme_eab;
};

/* A document served from memory; shared, freed with its last user. */
struct front_doc {
	unsigned refs; /* under front.lock */
	uint8_t *der;
	size_t len;
	struct serve_crl_info crl; /* CRLs only */
	char etag[48];
	char last_modified[40];
};

/* A request waiting for the signer's answer. */
#define FRONT_WAITERS 64
struct front_waiter {
	uint32_t id; /* 0: free */
	int answered;
	uint8_t type;  /* of the answer */
	uint8_t *body; /* the answer's body, malloc'd */
	size_t len;
};

struct front {
	struct front_opts o;
	int ipc;
	int listen_fd;
	int https_fd; /* -1 without HTTPS */
	struct MHD_Daemon *https;
	pthread_mutex_t lock; /* everything below */
	pthread_mutex_t send_lock;
	pthread_cond_t answered;
	struct front_doc *crl;
	struct front_doc *ca_cert;
	struct front_waiter waiters[FRONT_WAITERS];
	uint32_t next_id;
	int signer_gone;
	/* metrics */
	uint64_t requests;
	uint64_t rate_limited;
	uint64_t signer_requests;
	uint64_t signer_timeouts;
	uint64_t signer_late;
	uint64_t signer_usec_sum;
	uint64_t signer_usec_last;
	struct serve_health last_health;
};

extern struct front front;

/* front_sandbox.c: after the listener is bound. 0 or -1 (message printed). */
int front_drop_privileges(const char *user);
int front_sandbox(void);

/* front_http.c */
struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;

/* One HTTP request, from its first line to the log line after it. */
struct front_req {
	int64_t start_usec;
	enum { REQ_NEW, REQ_ACCEPTED, REQ_ANSWERED } state;
	const struct front_route *route;
	unsigned status;
	size_t bytes;
	uint8_t *body; /* POST body so far */
	size_t body_len;
	int body_too_large;
	char method[16];
	char path[160];
	char client[INET6_ADDRSTRLEN + 8];
};

/* What a route's handler is given: the whole request. */
struct front_ctx {
	struct MHD_Connection *c;
	struct front_req *rq;
	const char *url;
	const char *method;
	const uint8_t *body; /* POST only; NULL otherwise */
	size_t body_len;
	int tls; /* arrived on the HTTPS listener */
};

typedef int front_handler_fn(struct front_ctx *x);

#define FRONT_GET 0x1 /* GET and HEAD */
#define FRONT_POST 0x2
#define FRONT_ON_HTTP 0x1
#define FRONT_ON_HTTPS 0x2
/*
 * The routing table (front_http.c): a path matched exactly, or as a
 * prefix when it ends in '/'; the methods and listeners it answers on
 * (others get 405, or 404 on the wrong listener); the largest POST body
 * it takes (413 beyond); the handler, which queues exactly one response
 * (front_send_*) and returns its MHD_Result.
 */
struct front_route {
	const char *path;
	unsigned methods;
	unsigned listeners;
	size_t max_body;
	front_handler_fn *fn;
};

/* Queue resp (destroyed here) with this status; bytes for the log. */
int front_send(struct front_ctx *x, unsigned status, struct MHD_Response *resp,
    size_t bytes);
/*
 * Queue resp, which stays the caller's (libmicrohttpd keeps its own
 * reference while sending): one prepared answer for many requests.
 */
int front_send_shared(struct front_ctx *x, unsigned status,
    struct MHD_Response *resp, size_t bytes);
/* A short text answer (copied). */
int front_send_text(struct front_ctx *x, unsigned status, const char *type,
    const char *text);
/* A body that is copied. */
int front_send_copy(struct front_ctx *x, unsigned status, const char *type,
    const void *data, size_t len);
/* Serve on fd; tls: HTTPS with the certificate front_tls_install set. */
struct MHD_Daemon *front_http_start(int fd, int tls);
/* Stop accepting connections (SIGTERM); open ones go on. */
void front_http_quiesce(struct MHD_Daemon *d);
/* How many connections are open. */
unsigned front_http_connections(struct MHD_Daemon *d);
void front_http_stop(struct MHD_Daemon *d);

/* front_est.c: EST (RFC 7030) under /.well-known/est/. */
int front_est_route(struct front_ctx *x);

/* front_tls.c: the HTTPS certificate and key (PEM), newest first. */
int front_tls_install(const uint8_t *cert, size_t cert_len, const uint8_t *key,
    size_t key_len);
void front_tls_free_all(void);
gnutls_certificate_retrieve_function2 *front_tls_retrieve(void);

/* front.c */
/*
 * Send the signer a request and wait up to timeout_ms for its answer.
 * 0 with the answer's type in *type and its body in *body (malloc'd,
 * free it; NULL when empty) and *len; -1 when the signer did not answer
 * in time, is gone, or too many requests wait (the caller answers 503).
 * Thread-safe; an answer that comes after the timeout is dropped.
 */
int front_call(uint8_t req, const void *req_body, size_t req_len, uint8_t *type,
    uint8_t **body, size_t *len, int timeout_ms);
/*
 * Ask the signer whether it is healthy; 0 and *h filled, or -1 when it
 * did not answer within timeout_ms (or is gone). Thread-safe.
 */
int front_health(struct serve_health *h, uint64_t *usec, int timeout_ms);
/*
 * Ask the signer for a certificate. 0 with *a filled (a->status says
 * issued or refused; a->chain points into *buf, free it), or -1 as for
 * front_call.
 */
int front_issue(const struct serve_issue *q, struct serve_issue_reply *a,
    uint8_t **buf, int timeout_ms);
/* Does an If-None-Match header name this ETag (or "*")? */
int front_etag_matches(const char *inm, const char *etag);

/* front_ocsp.c: OCSP_ISSUER and OCSP_RESPONSES from the signer; 0 or -1. */
int front_ocsp_msg(const struct serve_msg *m);
/* GET /ocsp/<base64 request>, POST /ocsp. */
int front_ocsp_route(struct front_ctx *x);
void front_ocsp_counts(size_t *responses, uint64_t *hits, uint64_t *misses);

/* Take a reference to the current CRL or CA certificate, or NULL. */
struct front_doc *front_doc_get(int crl);
void front_doc_put(struct front_doc *d);
void front_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SIGNET_SERVE_FRONT_H */
