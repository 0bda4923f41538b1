/*
 * Inside the signer: its state and the pieces its message handlers share
 * (signer.c runs the loop; signer_<topic>.c answer one family of
 * messages each).
 */
#ifndef SIGNET_SERVE_SIGNER_INT_H
#define SIGNET_SERVE_SIGNER_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "serve/ipc.h"
#include "signet/audit.h"

#define OPEN_FLAGS (SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
/* A front end that lived this long starts the backoff over. */
#define STABLE_MS 60000
#define SEND_TIMEOUT_MS 5000
#define STOP_WAIT_MS 8000
#define HEALTH_CACHE_MS 1000

struct signer {
	const char *config_path;
	int log_json; /* --log-format: 1 json, 0 text, -1 the config's */
	struct signet_ca_config *cfg; /* as loaded at start or last reload */
	struct signet_ca *ca;         /* NULL after a failed reload */
	char *frontend;

	pid_t front_pid;
	int front_fd;
	int front_ready;
	int64_t front_started;
	struct serve_reader rd;
	unsigned restarts;
	int64_t backoff_ms;
	int64_t restart_at; /* 0: none due */

	uint32_t token_errors;
	uint32_t crl_failures;

	/* The last check, answered again for a second (a flood of /health
	 * must not become a flood of token operations). */
	struct serve_health health;
	int64_t health_at;
#ifdef SIGNET_TEST_HOOKS
	/* SIGNET_TEST_SERVE_SLOW_HEALTH=N: the first N answers come late. */
	int test_slow_health;
#endif

	uint8_t *crl_der;
	size_t crl_len;
	struct serve_crl_info crl;
	int64_t crl_seq;
	uint8_t *ca_der;
	int ca_len;
	uint8_t *tls; /* TLS message body: certificate chain and key */
	size_t tls_len;
	int64_t next_check;
	struct signer_ocsp *ocsp; /* signer_ocsp.c; NULL until first used */
};

int64_t signer_mono_ms(void);
void signer_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Audit a service event; a failure is reported, never fatal here. */
void signer_audit(struct signer *s, enum signet_audit_event ev,
    enum signet_audit_outcome outcome, json_t *details);
/* Count a failure for /health and /metrics (token errors). */
void signer_count_error(struct signer *s, int r);
/*
 * Send the front end a message; one that does not take it within
 * SEND_TIMEOUT_MS is killed (and restarted). 0 or -1.
 */
int signer_send(struct signer *s, uint8_t type, uint32_t id, const void *body,
    size_t len);
/* A front end that broke the protocol: kill it now, restart it later. */
void signer_kill_frontend(struct signer *s, const char *why, uint8_t type);

/* signer_issue.c: answer ISSUE. */
void signer_issue(struct signer *s, const struct serve_msg *m);
/* signer_acme.c: answer ACME. */
void signer_acme(struct signer *s, const struct serve_msg *m);

/*
 * signer_ocsp.c: pre-sign OCSP responses for what changed or falls due
 * (a bounded number per call); 1 when more work is waiting.
 */
int signer_ocsp_check(struct signer *s);
/* Send the front end the CA's CertID hashes and every response. */
void signer_ocsp_push_all(struct signer *s);
void signer_ocsp_free(struct signer *s);
/* signer_est.c: answer EST_CACERTS, EST_ENROLL and EST_REENROLL. */
void signer_est(struct signer *s, const struct serve_msg *m);

#endif /* SIGNET_SERVE_SIGNER_INT_H */
