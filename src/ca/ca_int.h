/* Inside the online CA: the instance handle and helpers shared by its files. */
#ifndef SIGNET_CA_INT_H
#define SIGNET_CA_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "signet/audit.h"
#include "signet/ca.h"
#include "signet/lint.h"
#include "signet/policy.h"
#include "signet/store.h"
#include "signet/token.h"
#include "signet/x509.h"

/* Defaults of signet.yaml (docs/ca.md). */
#define CA_DEFAULT_DATABASE "sqlite:signet.db"
#define CA_DEFAULT_AUDIT_LOG "audit.log"
#define CA_DEFAULT_CRL_NEXT_UPDATE ((int64_t)7 * 86400)
#define CA_DEFAULT_CRL_DELTA_NEXT_UPDATE ((int64_t)86400)
/* BR 4.9.7: a CRL for subscriber certificates is good for 10 days at most. */
#define CA_CRL_NEXT_UPDATE_MAX ((int64_t)10 * 86400)
#define CA_DEFAULT_BATCH 128
#define CA_BATCH_MAX 4096
#define CA_WORKERS_MAX 256

struct ca_pool;

struct signet_ca {
	struct signet_ca_config *cfg;
	unsigned flags;
	char requester[SIGNET_STORE_NAME_MAX + 1];

	struct signet_store *store;
	/*
	 * A second connection for the compromised-key lookups the policy
	 * engine makes from worker threads (a store handle belongs to one
	 * thread at a time); readers never wait for the writer under WAL.
	 */
	struct signet_store *reader;
	pthread_mutex_t reader_lock;
	int reader_lock_init;

	struct signet_policy *policy;
	X509 *cert;
	STACK_OF(X509) * chain; /* above the CA certificate, as configured */
	char *chain_pem;        /* CA certificate + non-root chain, PEM */
	size_t chain_pem_len;
	struct signet_issuer *issuer;
	struct signet_lint_ctx *lint;
	char issuer_id[65];
	/* Keys no request may carry: the CA's, the audit key, the chain's. */
	EVP_PKEY **own_keys;
	size_t n_own_keys;

	struct signet_token *tok;       /* the CA key's token */
	struct signet_token *audit_tok; /* the audit key's (may be tok) */
	struct signet_key *key;
	struct signet_key *audit_key;
	struct signet_signer *signer;
	struct signet_signer *audit_signer;
	struct signet_audit *audit;
	const char *accept_reason; /* signet audit accept */
	int accepted;
	char audit_id[65];      /* the database's name for the log */
	char audit_where[1024]; /* host:path */
	/* The highest CRL number the log records past the database's head. */
	int64_t log_crl_max;
	unsigned long recoveries; /* of tok, as last audited */
	unsigned long audit_recoveries;
	char warnings[2][1024]; /* signet_ca_warning */
	size_t n_warnings;

	struct ca_pool *pool;
	struct ca_ocsp_responder *responder; /* NULL: the CA key signs OCSP */
};

/* A delegated OCSP responder in use (ocsp_responder.c). */
struct ca_ocsp_responder {
	struct signet_key *key;
	struct signet_signer *signer;
	uint8_t *cert_der;
	size_t cert_len;
	EVP_PKEY *pub; /* borrowed from key */
	struct signet_ca_ocsp_responder info;
};
void ca_ocsp_responder_free(struct ca_ocsp_responder *r);

/* ---- config.c ------------------------------------------------------------ */

/* The file path of a sqlite store URL (freshly allocated), or NULL. */
char *ca_store_file(const char *url);

/* ---- ca.c ---------------------------------------------------------------- */

/*
 * Append a record (details are stolen). NULL details, what a failed
 * json_pack or ca_details_add leaves, are refused: the record is not
 * written. Without an audit log (a read-only open) this is an error.
 */
int ca_audit(struct signet_ca *ca, enum signet_audit_event event,
    enum signet_audit_outcome outcome, json_t *details) SIGNET_WUR;
/*
 * details with key set to value (stolen); on any failure, details NULL or
 * value NULL (its constructor ran out of memory) included, both are freed
 * and NULL is returned, so that a chain of these ends in one NULL check.
 */
json_t *ca_details_add(json_t *details, const char *key, json_t *value);
/* Record lost and recovered token sessions since the last call. */
int ca_audit_recoveries(struct signet_ca *ca) SIGNET_WUR;
/* signet_error_recode, by its older name. */
#define ca_error_recode signet_error_recode
/* The last error message as a fresh string (never NULL unless OOM). */
char *ca_error_dup(void);
/* Refuse to sign when the clock reads earlier than the store's latest. */
int ca_clock_check(struct signet_ca *ca, int64_t now) SIGNET_WUR;
/* PEM of a DER certificate, followed by extra (may be NULL). */
int ca_pem_cert(const uint8_t *der, size_t len, const char *extra,
    size_t extra_len, char **pem, size_t *pem_len) SIGNET_WUR;

/* ---- pool.c: worker threads ------------------------------------------------ */

typedef void (*ca_task_fn)(void *arg, size_t i);
struct ca_job;

/* n worker threads (0: one per CPU). */
int ca_pool_new(unsigned n, struct ca_pool **out) SIGNET_WUR;
void ca_pool_free(struct ca_pool *p);
unsigned ca_pool_size(const struct ca_pool *p);
/*
 * Queue fn(arg, i) for i in [0, n). Jobs with a higher priority are
 * served first. Returns NULL when out of memory (then nothing runs).
 */
struct ca_job *ca_pool_start(struct ca_pool *p, ca_task_fn fn, void *arg,
    size_t n, int priority);
/* Help run the job on the calling thread, wait for it, free it. */
void ca_pool_wait(struct ca_pool *p, struct ca_job *job);

/* ---- check.c ----------------------------------------------------------------
 */

/*
 * The database against the audit log and the last signed CRL (reconcile.c):
 * each difference as a finding, counted in sum. Rows reserved less than
 * grace seconds ago are left out (they may be in the middle of issuance).
 */
int ca_reconcile(struct signet_ca *ca, int64_t grace, signet_ca_finding_fn cb,
    void *arg, struct signet_ca_check_summary *sum) SIGNET_WUR;

/* Rotated archives of the audit log, oldest first, then the log itself. */
int ca_audit_files(const char *log, char ***files, size_t *n) SIGNET_WUR;
/*
 * Call fn for each line (with its LF) of the log and its archives, oldest
 * first, that holds one of the strings in events (NULL-terminated); fn
 * returns 0 to go on, an error to stop with it.
 */
typedef int (*ca_line_fn)(const char *line, size_t len, void *arg);
int ca_audit_lines(const char *log, const char *const *events, ca_line_fn fn,
    void *arg) SIGNET_WUR;

#endif /* SIGNET_CA_INT_H */
