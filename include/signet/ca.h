/*
 * The online issuing CA: one instance is a directory holding signet.yaml,
 * the CA certificate, the policy, the certificate database and the audit
 * log; its keys (the CA key and the audit key) live in PKCS#11 tokens.
 * This module ties the others together in the order that keeps the
 * invariant an issuing CA lives by: no certificate the token signed can
 * exist without a record of it.
 *
 *   policy  -> serial (token RNG) -> build + lint -> store: reserve PENDING
 *   -> audit: intent, synced -> token signs -> store: ISSUED
 *   -> audit: outcome -> certificate file (atomic)
 *
 * A crash anywhere leaves a PENDING row and, past the intent, an audit
 * record saying what was about to be signed; `signet db check` reports
 * both and resolves them (signet_ca_check). docs/ca.md describes the
 * instance and signet.yaml; docs/cli.md the commands.
 */
#ifndef SIGNET_CA_H
#define SIGNET_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "signet/audit.h"
#include "signet/error.h"
#include "signet/policy.h"
#include "signet/store.h"

/* ---- configuration (signet.yaml) ----------------------------------------- */

#define SIGNET_CA_CONFIG_NAME "signet.yaml"
/* The environment variable naming the configuration file. */
#define SIGNET_CA_CONFIG_ENV "SIGNET_CONFIG"
/* Largest signet.yaml accepted. */
#define SIGNET_CA_CONFIG_MAX ((size_t)256 * 1024)

/* serve.est: one profile exposed over EST (docs/renewal.md). */
#define SIGNET_CA_EST_PROFILES_MAX 32
#define SIGNET_CA_EST_GRACE_MAX ((int64_t)30 * 86400)
struct signet_ca_est_profile {
	char *profile;
	int allow_name_change;  /* a renewal may change subject and names */
	int allow_key_reuse;    /* a renewal may keep the key */
	int revoke_superseded;  /* revoke the old one (superseded) */
	int64_t reenroll_grace; /* seconds past notAfter still renewable */
};

/*
 * A loaded signet.yaml. Paths are absolute: relative ones in the file are
 * resolved against the file's directory. Read-only for callers.
 */
struct signet_ca_config {
	char *path;         /* the file */
	char *dir;          /* its directory */
	uint8_t sha256[32]; /* of the file's bytes */

	/* token: the CA key */
	char *key_uri;     /* RFC 7512 URI of the CA's private key */
	char *module;      /* PKCS#11 module; NULL: URI or default */
	char *pin_source;  /* file:PATH | env:NAME | prompt; NULL: URI */
	unsigned sessions; /* most token sessions at once (0: default) */
	/* accept-restored-key: a CA key that may have been outside a token */
	int accept_restored_key;

	char *certificate; /* the CA certificate (PEM) */
	char *chain;       /* the certificates above it (PEM), or NULL */
	char *policy;      /* policy file */
	char *database;    /* store URL */
	char *database_password_source; /* PostgreSQL: file:PATH | env:NAME */

	/* audit */
	char *audit_log;
	char *audit_key_uri;
	char *audit_module;     /* NULL: module */
	char *audit_pin_source; /* NULL: pin_source */
	unsigned checkpoint_interval;
	int audit_accept_restored_key;

	/* crl */
	int64_t crl_next_update;       /* seconds, full CRLs */
	int64_t crl_delta_next_update; /* seconds, delta CRLs */
	char *crl_freshest_url;        /* Freshest CRL in full CRLs, or NULL */
	char *crl_idp_url;             /* Issuing Distribution Point, or NULL */

	/* issuance */
	unsigned serial_length; /* octets, 16..20 */
	unsigned batch_size;    /* requests per group commit */
	unsigned workers;       /* worker threads (0: one per CPU) */

	/* serve (docs/serve.md) */
	char *serve_user;         /* the front end runs as this user */
	char *serve_frontend;     /* its executable; NULL: installed default */
	char *serve_listen;       /* plain HTTP, "ADDRESS:PORT" */
	char *serve_issuer_name;  /* <issuer> in /crl/<issuer>.crl */
	char *serve_https_listen; /* HTTPS, "ADDRESS:PORT", or NULL */
	char *serve_https_cert;   /* its certificate chain (PEM) */
	char *serve_https_key;    /* its private key (PEM, private file) */
	unsigned serve_threads;   /* HTTP worker threads */
	unsigned serve_max_connections;
	unsigned serve_max_per_client; /* connections per client address */
	unsigned serve_max_header;     /* bytes of request line + headers */
	unsigned serve_idle_timeout;   /* seconds */
	unsigned serve_max_rate;       /* requests/s per client; 0: no limit */
	int serve_log_json;            /* request log lines as JSON */
	int64_t serve_crl_interval;    /* seconds between full CRLs */
	int64_t serve_crl_check;       /* seconds between revocation polls */
	int serve_ocsp;                /* serve.ocsp present: pre-sign, serve */
	int64_t serve_ocsp_lifetime;   /* nextUpdate - thisUpdate, seconds */
	int serve_ocsp_ca_signs; /* serve.ocsp.signer: ca (else delegated) */
	/* ACME (docs/acme.md) */
	char *serve_acme_profiles;     /* exposed profiles, comma/space list */
	unsigned serve_acme_http_port; /* where http-01 is fetched */
	unsigned serve_acme_tls_alpn_port; /* where tls-alpn-01 connects */
	char *serve_acme_allow;        /* address ranges validation may reach */
	char *serve_acme_resolve;      /* NAME=ADDRESS pairs for validation */
	char *serve_acme_dns;          /* DNS servers the validator asks */
	char *serve_acme_eab_required; /* profiles whose accounts need EAB */
	/* per-account limits (signer_acme_ari.c) */
	unsigned serve_acme_orders_per_hour;
	unsigned serve_acme_pending_authz;
	unsigned serve_acme_certs_per_name;      /* per name, per week */
	unsigned serve_acme_test_bad_nonce;      /* test builds: % refused */
	struct signet_ca_est_profile *serve_est; /* serve.est */
	size_t serve_n_est;
};

/* 1 if word is one of the words of list (a setting separated by commas
 * or spaces, like serve.acme.profiles); list may be NULL. */
int signet_ca_config_listed(const char *list, const char *word);

/*
 * Which file to use: given (--config) if not NULL, else $SIGNET_CONFIG,
 * else ./signet.yaml. *path is freshly allocated. SIGNET_ERR_CONFIG when
 * none exists, saying where signet looked.
 */
int signet_ca_config_locate(const char *given, char **path) SIGNET_WUR;

/*
 * Read and check signet.yaml: unknown keys, bad values and missing
 * required keys are SIGNET_ERR_CONFIG "file:line: reason". A file (or its
 * directory) that others may write is refused (SIGNET_ERR_CONFIG).
 */
int signet_ca_config_load(const char *path, struct signet_ca_config **out)
    SIGNET_WUR;
void signet_ca_config_free(struct signet_ca_config *cfg);

/*
 * Open the database cfg names, with its password source (PostgreSQL). An
 * older schema is migrated unless no_migrate (signet_store_options).
 */
int signet_ca_store_open(const struct signet_ca_config *cfg, int no_migrate,
    struct signet_store **out) SIGNET_WUR;

/* ---- creating an instance (signet init) ---------------------------------- */

struct signet_ca_init_params {
	const char *dir;           /* made 0700 if missing */
	const char *ca_cert;       /* copied to DIR/ca.pem */
	const char *chain;         /* copied to DIR/chain.pem; may be NULL */
	const char *key_uri;       /* the CA key on its token */
	const char *audit_key_uri; /* the audit key: another key */
	const char *policy;        /* copied to DIR/policy.yaml */
	const char *database;      /* NULL: sqlite:signet.db in DIR */
	const char *database_password_source; /* PostgreSQL; may be NULL */
	const char *pin_source; /* NULL: none written; a relative file: path
				 * is the current directory's, written absolute
				 * (so is database_password_source's) */
	const char *module;     /* NULL: none written */
};

/*
 * Write DIR/signet.yaml (0600), copy the certificate, chain and policy
 * into DIR, create the database and the audit log (0600), then open the
 * instance with every check signet_ca_open makes. Refuses
 * (SIGNET_ERR_CONFLICT) if DIR holds an instance, or any of the files
 * init would write; on failure removes what it created. *config_path
 * (may be NULL) receives the new file's path.
 */
int signet_ca_init(const struct signet_ca_init_params *p, char **config_path)
    SIGNET_WUR;

/* ---- opening ----------------------------------------------------------- */

/* signet_ca_open flags. Without any: the store only, for reading. */
#define SIGNET_CA_OPEN_AUDIT 0x01  /* open the audit log (audit key login) */
#define SIGNET_CA_OPEN_SIGN 0x02   /* log in to the CA key; implies AUDIT */
#define SIGNET_CA_OPEN_POLICY 0x04 /* load the policy */
#define SIGNET_CA_OPEN_CREATE 0x08 /* create database and log (init) */

struct signet_ca;

/*
 * Open the instance configured in config_path, checking, each with its own
 * error:
 *  - the configuration (config.load is audited with its SHA-256);
 *  - POLICY: the policy loads (policy.load, with its SHA-256);
 *  - AUDIT: the audit key's token logs in (token.login) and the log opens;
 *  - SIGN: the CA key's token logs in (token.login, or token.login.failed);
 *    the key is sensitive and not extractable, and always was unless
 *    token.accept-restored-key (SIGNET_ERR_KEY_UNSAFE; the same for the
 *    audit key and audit.accept-restored-key), and
 *    its public key is the CA certificate's (SIGNET_ERR_CONFIG); the
 *    certificate is a CA certificate and valid now (SIGNET_ERR_CONFIG);
 *    the audit key is another key (SIGNET_ERR_CONFIG); and the clock is
 *    not earlier than the latest time the database recorded
 *    (SIGNET_ERR_CONFLICT: the clock went backwards).
 * Without CREATE a missing database is SIGNET_ERR_STORE.
 */
int signet_ca_open(const char *config_path, unsigned flags,
    struct signet_ca **out) SIGNET_WUR;
/*
 * Write a checkpoint to the audit log, sync it, and record it in the
 * database as the log's last checkpoint, which the next writer's log must
 * still reach (docs/audit.md). signet_ca_close does it; a long-running
 * process calls it now and then, so that a cut is noticed sooner.
 */
int signet_ca_audit_seal(struct signet_ca *ca) SIGNET_WUR;
/*
 * `signet audit accept`: open the instance's audit log although its writer
 * refuses it (it no longer reaches the checkpoint the database recorded,
 * or its last checkpoint is not signed by the audit key), record that in
 * an audit.accept record with the operator's reason, and seal it, so the
 * database records the new head. *accepted is 0 when there was nothing
 * to accept (the log opened normally).
 */
int signet_ca_audit_accept(const char *config_path, const char *reason,
    int *accepted) SIGNET_WUR;
/*
 * Close: audit lost token sessions, write the closing checkpoint and sync
 * the audit log, free. Returns 0 or SIGNET_ERR_AUDIT. NULL is a no-op.
 */
int signet_ca_close(struct signet_ca *ca) SIGNET_WUR;
/* Free without the closing checkpoint (error paths). NULL is a no-op. */
void signet_ca_free(struct signet_ca *ca);

const struct signet_ca_config *
signet_ca_get0_config(const struct signet_ca *ca);
/* The store, for listings (signet list, show). */
struct signet_store *signet_ca_get0_store(struct signet_ca *ca);
/* The CA's issuer id in the store: hex SHA-256 of its DER SPKI. */
const char *signet_ca_issuer_id(const struct signet_ca *ca);
X509 *signet_ca_get0_cert(const struct signet_ca *ca);
/* NULL unless opened with SIGNET_CA_OPEN_POLICY. */
const struct signet_policy *signet_ca_get0_policy(const struct signet_ca *ca);
/*
 * PEM of a certificate (DER), followed with chain by the CA certificate
 * and the chain above it, without the root: what a TLS server sends.
 * *pem is freshly allocated and NUL-terminated.
 */
int signet_ca_pem(const struct signet_ca *ca, const uint8_t *der, size_t len,
    int chain, char **pem, size_t *pem_len) SIGNET_WUR;
/*
 * What the operator must be told on every use, i from 0; NULL past the
 * last: a CA or audit key used only because accept-restored-key is true
 * (it may exist outside its token; its token.login record says so too).
 */
const char *signet_ca_warning(const struct signet_ca *ca, size_t i);

/* ---- issuance ------------------------------------------------------------ */

/* One certificate request. */
struct signet_ca_request {
	const char *name;     /* for messages and the log (the CSR file) */
	const char *csr_path; /* read the CSR (PEM or DER) from here, or */
	const uint8_t *csr;   /* ... take it from memory */
	size_t csr_len;
	const char *profile;
	int64_t validity;     /* seconds; 0: the profile's default */
	const char *out_path; /* PEM written here once recorded; NULL: none */
	int out_chain;        /* the file holds leaf + CA chain (no root) */
	/*
	 * The service (signet serve): who asked, recorded as the requester
	 * in the store and the log (NULL: the OS user running signet), and,
	 * with check_names set, the identifiers the requester proved
	 * ("dns:NAME", "ip:ADDRESS", "uri:URI"; logged with the intent): the
	 * CSR's subjectAltNames must be exactly these, or it is refused.
	 */
	const char *requester;
	const char *const *validated;
	size_t n_validated;
	int check_names;
};

/* What became of a request. */
struct signet_ca_result {
	/*
	 * 0: issued, recorded and (if asked) written. Otherwise the code that
	 * stopped it: SIGNET_ERR_POLICY or SIGNET_ERR_LINT for a refusal
	 * (nothing reserved, nothing signed); SIGNET_ERR_IO with recorded set
	 * when only the file could not be written.
	 */
	int status;
	char *message;   /* why, when status != 0 */
	char serial[41]; /* hex; "" if no serial was reserved */
	uint8_t *der;    /* the certificate, once signed */
	size_t der_len;
	int64_t not_before;
	int64_t not_after;
	int clamped;  /* notAfter was cut to the CA certificate's */
	int recorded; /* ISSUED in the store */
	int written;  /* out_path holds it */
};

void signet_ca_result_clear(struct signet_ca_result *res);

/* Called after each group: how many requests are decided, of total. */
typedef void (*signet_ca_progress_fn)(void *arg, size_t done, size_t total);

/*
 * Issue one certificate (SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY).
 * Returns res->status.
 */
int signet_ca_issue(struct signet_ca *ca, const struct signet_ca_request *req,
    struct signet_ca_result *res) SIGNET_WUR;

/*
 * Issue n certificates in groups of the configured batch size: each
 * group's requests are checked, built and linted on worker threads,
 * reserved in one store transaction, their intents logged with one sync,
 * signed on worker threads (one token session each), recorded in one
 * transaction, their outcomes logged with one sync, and their files
 * written with one sync pass. Refused requests do not stop the batch.
 * Returns 0 when every request was decided (see each res[i].status), or
 * the error that stopped the batch (audit log, store or token failure);
 * requests it did not reach have that status too.
 */
int signet_ca_issue_batch(struct signet_ca *ca,
    const struct signet_ca_request *reqs, size_t n,
    struct signet_ca_result *res, signet_ca_progress_fn progress, void *arg)
    SIGNET_WUR;

/* ---- revocation and CRLs ---------------------------------------------- */

/* How far past this machine's clock a revocation time is taken as now. */
#define SIGNET_CA_REVOKE_SKEW 300

/*
 * Revoke the certificate with this serial (hex) for reason (RFC 5280
 * CRLReason, signet_crl_reason_parse) as of *when (NULL: now). The time
 * must lie between the certificate's notBefore and now; up to
 * SIGNET_CA_REVOKE_SKEW seconds past now counts as now, later is refused.
 * cACompromise and aACompromise are for CA certificates only
 * (signet_crl_reason_check). Then the store's rules apply (a second
 * revocation only to escalate to keyCompromise, which also blocks the
 * key; the store keeps the earlier revocation time). A time or reason
 * refused is SIGNET_ERR_USAGE. Audited as cert.revoke, refusals too. On
 * success *revoked_at (if not NULL) is the time this revocation gave.
 * Needs SIGNET_CA_OPEN_AUDIT.
 */
int signet_ca_revoke(struct signet_ca *ca, const char *serial, int reason,
    const int64_t *when, int64_t *revoked_at) SIGNET_WUR;

struct signet_ca_crl_result {
	int64_t number;
	int64_t base; /* delta CRLs: the full CRL it extends; else 0 */
	size_t entries;
	int64_t this_update;
	int64_t next_update;
	uint8_t *der;
	size_t der_len;
	int written;
};
void signet_ca_crl_result_clear(struct signet_ca_crl_result *res);

/*
 * Make, lint, sign (in the token), record and write a full CRL, or with
 * delta a delta CRL over the latest recorded full CRL
 * (SIGNET_ERR_NOT_FOUND if there is none). out_path NULL: not written;
 * pem: PEM instead of DER. Audited as crl.generate intent and outcome.
 * Needs SIGNET_CA_OPEN_SIGN.
 */
int signet_ca_crl(struct signet_ca *ca, int delta, const char *out_path,
    int pem, struct signet_ca_crl_result *res) SIGNET_WUR;

/* One certificate's OCSP status, as the store has it. */
struct signet_ca_ocsp_cert {
	const char *serial; /* canonical hex */
	int revoked;
	int64_t revoked_at;
	int reason; /* SIGNET_CRL_REASON_NONE: none */
};

/*
 * Pre-sign one certificate's OCSP response (RFC 6960) with the loaded
 * delegated responder (signet_ca_ocsp_responder_load), else the CA key:
 * thisUpdate = this_update (a whole minute), nextUpdate = thisUpdate +
 * serve.ocsp.lifetime, SHA-1 and SHA-256 CertIDs in one response. The
 * response is built, linted (the OCSP lints, the status against c),
 * signed by the token and its signature verified, as certificates are;
 * it is not audited one by one (a responder re-signs every certificate
 * every few days). *der: a complete OCSPResponse, freshly allocated.
 * Needs SIGNET_CA_OPEN_SIGN.
 */
int
signet_ca_ocsp_sign(struct signet_ca *ca, const struct signet_ca_ocsp_cert *c,
    int64_t this_update, uint8_t **der, size_t *der_len) SIGNET_WUR;

/* One response of signet_ca_ocsp_sign_many. */
struct signet_ca_ocsp_result {
	int status;    /* 0, or a negative SIGNET_ERR_* */
	char *message; /* why not (status != 0); may be NULL (out of memory) */
	uint8_t *der;  /* a complete OCSPResponse (status 0) */
	size_t der_len;
};
void signet_ca_ocsp_result_clear(struct signet_ca_ocsp_result *res);

/*
 * Pre-sign n responses, v[i]'s in res[i], each as signet_ca_ocsp_sign
 * does (build, lint, token signature, verification), as independent
 * tasks on the CA's worker threads (issuance.workers, 0: one per CPU),
 * each on a token session of its own. One failing leaves the others
 * signed. Returns 0 when every response was attempted (see each
 * status), else an error and none was (res cleared). Needs
 * SIGNET_CA_OPEN_SIGN.
 */
int signet_ca_ocsp_sign_many(struct signet_ca *ca,
    const struct signet_ca_ocsp_cert *v, size_t n, int64_t this_update,
    struct signet_ca_ocsp_result *res) SIGNET_WUR;

/*
 * Would this instance serve der as c's response now? Only if it is a
 * successful OCSPResponse whose every SingleResponse is for c's serial
 * with c's status, signed by the current signer (the loaded delegated
 * responder, its certificate in certs; else the CA key, no certificate).
 * 0, or SIGNET_ERR_VERIFY without a message (the caller says why it
 * asked). For responses read back from the store.
 */
int
signet_ca_ocsp_check(struct signet_ca *ca, const struct signet_ca_ocsp_cert *c,
    const uint8_t *der, size_t len) SIGNET_WUR;

/* ---- the delegated OCSP responder (RFC 6960 4.2.2.2) ---------------------- */

/* The profile of responder certificates (policies/default.yaml). */
#define SIGNET_OCSP_RESPONDER_PROFILE "ocsp-responder"
/* Labels of responder keys on the token: this, then the time made. */
#define SIGNET_OCSP_RESPONDER_LABEL "signet-ocsp-"

struct signet_ca_ocsp_responder {
	char serial[41];     /* hex */
	char key_label[128]; /* on the CA's token */
	int64_t not_before;
	int64_t not_after;
	int64_t rotate_at; /* when the service makes the next one */
};

/*
 * Load the current responder: the unexpired certificate of profile
 * ocsp-responder of this CA that expires last (issued, not revoked), and
 * its key on the CA's token, found by its public key among the keys
 * labelled SIGNET_OCSP_RESPONDER_LABEL*. From then on signet_ca_ocsp_sign
 * signs with it. *found 0 (and 0 returned) when there is none, or its key
 * is not on this token. Needs SIGNET_CA_OPEN_SIGN.
 */
int signet_ca_ocsp_responder_load(struct signet_ca *ca, int64_t now,
    struct signet_ca_ocsp_responder *info, int *found) SIGNET_WUR;
/*
 * Make a new responder: a key pair of the CA key's type generated on the
 * CA's token (sensitive, never extractable), a CSR it signs, and a
 * certificate issued by signet_ca_issue under the ocsp-responder profile
 * (linted, recorded, audited as any issuance); then load it. Needs
 * SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY.
 */
int signet_ca_ocsp_responder_make(struct signet_ca *ca,
    struct signet_ca_ocsp_responder *info) SIGNET_WUR;
/*
 * When a responder valid from not_before to not_after is replaced: two
 * response lifetimes before it expires, so that every response it signed
 * expires before it does; but not before half its validity (a profile
 * too short for serve.ocsp.lifetime must not rotate at every check).
 */
int64_t signet_ca_ocsp_responder_rotate_at(const struct signet_ca *ca,
    int64_t not_before, int64_t not_after);
/* Sign with the CA key again (serve.ocsp.signer: ca). */
void signet_ca_ocsp_responder_drop(struct signet_ca *ca);

/*
 * The CertID hashes of this CA (RFC 6960 4.1.1) for SHA-1 (alg 1) or
 * SHA-256 (alg 2): issuerNameHash and issuerKeyHash, *len bytes each.
 */
int signet_ca_ocsp_issuer_hashes(const struct signet_ca *ca, unsigned alg,
    uint8_t name_hash[32], uint8_t key_hash[32], size_t *len) SIGNET_WUR;

/*
 * May a certificate or CRL be written to path? Never over a file of the
 * instance (the same device and inode as signet.yaml, the certificate,
 * chain, policy, database and its journals, the audit log and its
 * archives, the lock or a file: secret source): SIGNET_ERR_CONFLICT,
 * whatever force says. Over another existing regular file only if it holds
 * a certificate or a CRL signed by this CA's key, unless force. An absent
 * path, a device or a FIFO may be written.
 */
int signet_ca_output_check(struct signet_ca *ca, const char *path, int force)
    SIGNET_WUR;

/* ---- the online service (signet serve, docs/serve.md) --------------------- */

/*
 * Append a record to the instance's audit log and sync it (details are
 * stolen; NULL for none): the service's own events, which are rare.
 * Needs SIGNET_CA_OPEN_AUDIT.
 */
int signet_ca_audit(struct signet_ca *ca, enum signet_audit_event event,
    enum signet_audit_outcome outcome, json_t *details) SIGNET_WUR;
/*
 * Whether the instance can work now: the CA key's token answers (one
 * random byte) and the store answers (one indexed read). 0, or the error
 * of the first that does not. Needs SIGNET_CA_OPEN_SIGN.
 */
int signet_ca_health(struct signet_ca *ca) SIGNET_WUR;

/* ---- checking (signet db check) ----------------------------------------- */

/* What the audit log says about a pending row. */
enum signet_ca_audit_state {
	SIGNET_CA_AUDIT_NA = 0,      /* not a pending certificate */
	SIGNET_CA_AUDIT_NO_INTENT,   /* reserved; never about to be signed */
	SIGNET_CA_AUDIT_INTENT_ONLY, /* about to be signed; no outcome */
	SIGNET_CA_AUDIT_FAILED,      /* the outcome was a failure */
	SIGNET_CA_AUDIT_ISSUED,      /* the log says issued: investigate */
};

struct signet_ca_finding {
	const struct signet_store_problem *problem;
	enum signet_ca_audit_state audit; /* pending rows */
	int intent_pid;                   /* pid of the intent's writer */
	const char *advice;               /* what the operator should do */
	int resolvable;                   /* --resolve would mark it failed */
	int resolved;                     /* ... and did */
	/*
	 * Nothing is wrong, only worth knowing: a CRL number allocated by a
	 * run that stopped before signing (numbers may skip, RFC 5280
	 * 5.2.3), or a pending row a running process still owns.
	 */
	int notice;
};

typedef int (
    *signet_ca_finding_fn)(const struct signet_ca_finding *f, void *arg);

struct signet_ca_check_opts {
	/*
	 * Mark resolvable pending rows FAILED (needs SIGNET_CA_OPEN_AUDIT;
	 * each resolution is audited).
	 */
	int resolve;
	/* Rows younger than this may belong to a running process: skipped. */
	int64_t grace;
};

struct signet_ca_check_summary {
	size_t problems; /* everything the store check found */
	size_t pending;
	size_t resolved;
	size_t notices;
	size_t unresolved; /* problems - resolved - notices: exit non-zero */
};

/*
 * signet_store_check over this CA's rows (signatures verified with the CA
 * key), with every pending row looked up in the audit log (the live file
 * and its rotated archives): was there a cert.issue.intent, an outcome?
 * cb is called once per finding.
 */
int signet_ca_check(struct signet_ca *ca, const struct signet_ca_check_opts *o,
    signet_ca_finding_fn cb, void *arg, struct signet_ca_check_summary *sum)
    SIGNET_WUR;

#endif /* SIGNET_CA_H */
