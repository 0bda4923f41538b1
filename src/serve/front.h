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
	struct serve_health health;
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
/* Serve on fd; tls: HTTPS with the certificate front_tls_install set. */
struct MHD_Daemon *front_http_start(int fd, int tls);
/* Stop accepting, let open connections finish for up to seconds. */
void front_http_drain(struct MHD_Daemon *d, unsigned seconds);
void front_http_stop(struct MHD_Daemon *d);

/* front_tls.c: the HTTPS certificate and key (PEM), newest first. */
int front_tls_install(const uint8_t *cert, size_t cert_len, const uint8_t *key,
    size_t key_len);
void front_tls_free_all(void);
gnutls_certificate_retrieve_function2 *front_tls_retrieve(void);

/* front.c */
/*
 * Ask the signer whether it is healthy; 0 and *h filled, or -1 when it
 * did not answer within timeout_ms (or is gone). Thread-safe.
 */
int front_health(struct serve_health *h, uint64_t *usec, int timeout_ms);
/* Take a reference to the current CRL or CA certificate, or NULL. */
struct front_doc *front_doc_get(int crl);
void front_doc_put(struct front_doc *d);
void front_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SIGNET_SERVE_FRONT_H */
