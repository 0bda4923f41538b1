/*
 * The certificate database: every serial a CA reserved, every certificate
 * it issued or failed to issue, every revocation and every CRL number.
 *
 * A store is opened from a URL: a plain path or "sqlite:PATH" (SQLite, the
 * default), or a libpq connection URI "postgresql://user@host:port/db?..."
 * (PostgreSQL, when built with libpq; docs/store-postgresql.md). Several
 * signet processes
 * may share one database; every rule that matters (serials unique per
 * issuer, CRL numbers never reused, one state per certificate) is a
 * constraint in the schema, not only a check in this code.
 *
 * Issuance follows this order, so that a crash at any point leaves a row
 * that `signet db check` can report and resolve:
 *   1. signet_store_cert_reserve()  the serial and the request, PENDING
 *   2. build, lint, audit intent, sign in the token (the caller)
 *   3. signet_store_cert_issue()    the DER, ISSUED
 *   4. write the certificate file (the caller)
 * A failure between 1 and 3 is recorded with signet_store_cert_fail().
 *
 * Every call outside signet_store_begin()/commit() is its own durable
 * transaction; batch issuance wraps N reservations (and N issues) in one
 * transaction to pay for one sync instead of N.
 *
 * Conventions: functions return 0 or a negative SIGNET_ERR_* with a message
 * (signet/error.h). An issuer is named by its issuer id: 64 hex digits, the
 * SHA-256 of the issuer's DER SubjectPublicKeyInfo. A serial is given as
 * hex (either case, ':' separators and leading zeros allowed) and returned
 * in canonical form: lower case, whole bytes, no leading zero bytes. Times
 * are seconds since the epoch, UTC. A handle belongs to one thread and
 * must not be used across fork(); open one per process.
 */
#ifndef SIGNET_STORE_H
#define SIGNET_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "signet/crl_reason.h"
#include "signet/error.h"

/* The schema version this build creates and understands. */
#define SIGNET_STORE_SCHEMA_VERSION 8

/* Longest serial: RFC 5280 4.1.2.2 allows 20 octets of DER content. */
#define SIGNET_STORE_SERIAL_MAX 20
/* Size limits on what is stored, so a hostile request cannot bloat it. */
#define SIGNET_STORE_TEXT_MAX 65536 /* subject, SANs, failure reasons */
#define SIGNET_STORE_NAME_MAX 256   /* profile, requester */
#define SIGNET_STORE_DER_MAX ((size_t)1024 * 1024) /* a certificate */
/* A CRL: ~2 million entries (vault #9176: 16.9k entries were 650 KB). */
#define SIGNET_STORE_CRL_MAX ((size_t)64 * 1024 * 1024)
#define SIGNET_STORE_OCSP_MAX ((size_t)64 * 1024) /* an OCSP response */

struct signet_store;

enum signet_cert_status {
	SIGNET_CERT_PENDING = 1, /* serial reserved, not signed (yet) */
	SIGNET_CERT_ISSUED,      /* signed; the DER is stored */
	SIGNET_CERT_REVOKED,     /* issued, then revoked */
	SIGNET_CERT_FAILED,      /* never signed; the reason is stored */
};

enum signet_crl_kind {
	SIGNET_CRL_FULL = 1,
	SIGNET_CRL_DELTA,
};

/* "pending", "issued", "revoked", "failed"; "unknown" otherwise. */
const char *signet_cert_status_name(int status);

/* ---- opening ----------------------------------------------------------- */

/*
 * Open (creating it if need be) the database at url and bring its schema
 * to SIGNET_STORE_SCHEMA_VERSION.
 *
 * SQLite: a missing file is created with mode 0600; a file writable by
 * group or others, or one without owner write permission, is refused;
 * a symbolic link is refused; WAL journal, synchronous=FULL, foreign keys
 * on. Other processes holding the lock are waited for (up to about two
 * minutes per call) rather than failed on.
 *
 * A database with a newer schema than this build is refused and left
 * untouched (upgrade signet); an older one is migrated forward in one
 * transaction. Errors: SIGNET_ERR_USAGE (bad URL), SIGNET_ERR_STORE.
 */
int signet_store_open(const char *url, struct signet_store **out) SIGNET_WUR;

/* How to open a store; zero everything for the defaults. */
struct signet_store_options {
	/*
	 * PostgreSQL: where the password comes from, "file:PATH" (its first
	 * line; mode 0600 or stricter) or "env:NAME" (read once, then
	 * wiped and unset): signet.yaml's password-source. NULL: the
	 * SIGNET_PG_PASSWORD_SOURCE environment variable, else libpq's own
	 * passfile (passfile= in the URL, PGPASSFILE, ~/.pgpass), else no
	 * password (client certificates, peer). A password in the URL
	 * itself is refused: URLs end up in argv, logs and ps listings.
	 */
	const char *password_source;
	/*
	 * Leave a database with an older schema as it is instead of
	 * migrating it: signet_store_migrate() brings it forward, and every
	 * other call fails until then (for `signet db migrate`, so that the
	 * nodes sharing a database are upgraded deliberately).
	 */
	int no_migrate;
};
/* signet_store_open with options; o may be NULL. */
int signet_store_open_with(const char *url,
    const struct signet_store_options *o, struct signet_store **out) SIGNET_WUR;
/* Close the store, rolling back an open transaction. NULL is a no-op. */
void signet_store_free(struct signet_store *st);
/* "sqlite" or "postgresql". */
const char *signet_store_backend(const struct signet_store *st);
/* The schema version of the open database. */
int signet_store_schema_version(const struct signet_store *st);
/*
 * This connection reads the whole database through once (signet db
 * check): SQLite keeps a page cache of 8 MB instead of 64 MB, which at a
 * million rows would fill with pages never read again. Nothing for
 * PostgreSQL, whose cache is the server's.
 */
int signet_store_set_scan(struct signet_store *st) SIGNET_WUR;

/*
 * Bring the database's schema to SIGNET_STORE_SCHEMA_VERSION, in one
 * transaction. Safe while other processes use or migrate the same
 * database: one migrates, the others wait for it and find the work done.
 * A newer schema is refused (SIGNET_ERR_STORE, "upgrade signet") and left
 * untouched. 0 also when there was nothing to do.
 */
int signet_store_migrate(struct signet_store *st) SIGNET_WUR;

/* ---- transactions ------------------------------------------------------ */

/*
 * Start a write transaction, waiting for other writers. Until commit or
 * rollback, calls join it instead of committing each on its own. A call
 * that fails inside a transaction changes nothing (its partial work is
 * undone) and leaves the transaction open: the caller decides whether to
 * go on, commit or roll back. SIGNET_ERR_USAGE if one is already open.
 */
int signet_store_begin(struct signet_store *st) SIGNET_WUR;
/*
 * Commit durably (one sync for the whole transaction). On failure the
 * work is rolled back, except in one case: the connection to a server
 * was lost after COMMIT was sent and the server could not be asked
 * afterwards whether it committed. Then SIGNET_ERR_STORE says "outcome
 * unknown" and signet_store_commit_uncertain() is 1 until the next commit:
 * treat every row of the transaction as possibly written (a reserved
 * serial as used, an issued certificate as maybe recorded) and resolve
 * with signet_store_check() once the database is reachable.
 */
int signet_store_commit(struct signet_store *st) SIGNET_WUR;
/*
 * 1 if the last commit, explicit or that of a single call, failed with
 * its outcome unknown (see signet_store_commit); 0 otherwise.
 */
int signet_store_commit_uncertain(const struct signet_store *st);
/* Undo everything since signet_store_begin. */
int signet_store_rollback(struct signet_store *st) SIGNET_WUR;

/* ---- certificates ------------------------------------------------------ */

/* What is recorded when a serial is reserved. Strings are UTF-8. */
struct signet_store_cert_new {
	const char *issuer;      /* issuer id */
	const char *serial;      /* hex; positive, < 2^159 (RFC 5280) */
	const char *subject;     /* RFC 2253 text */
	const char *sans;        /* e.g. "DNS:a.example,IP:192.0.2.1" */
	uint8_t spki_sha256[32]; /* SHA-256 of the subject's DER SPKI */
	int64_t not_before;
	int64_t not_after;
	const char *profile;   /* profile name */
	const char *requester; /* OS user or the name given */
};

/*
 * A certificate row. In callbacks the pointers are borrowed and valid
 * until the callback returns; signet_store_cert_get hands out a copy
 * freed with signet_store_cert_free.
 */
struct signet_store_cert {
	const char *issuer;
	const char *serial; /* canonical hex */
	enum signet_cert_status status;
	const char *subject;
	const char *sans;
	const char *spki_sha256; /* hex */
	int64_t not_before;
	int64_t not_after;
	const char *profile;
	const char *requester;
	int64_t created_at;      /* when the serial was reserved */
	int64_t issued_at;       /* issued and revoked rows, else 0 */
	const uint8_t *der;      /* issued and revoked rows, else NULL */
	size_t der_len;          /* (NULL in listings that did not ask) */
	const char *cert_sha256; /* hex SHA-256 of der, or NULL */
	const char *failure;     /* failed rows: why; else NULL */
	int64_t revoked_at;      /* revoked rows: revocationDate, else 0 */
	int revocation_reason;   /* revoked rows: CRLReason, else -1 */
};

/*
 * Callbacks return 0 to go on, a negative SIGNET_ERR_* to stop and make
 * the iteration return it, or a positive value to stop and return 0. They
 * must not call signet_store functions on the same handle (those fail with
 * SIGNET_ERR_USAGE): collect what you need, act after the iteration.
 */
typedef int (
    *signet_store_cert_cb)(const struct signet_store_cert *cert, void *arg);

/*
 * Step 1 of issuance: reserve c->serial under c->issuer and record the
 * request as PENDING, created at now. The first row for an issuer also
 * registers the issuer. SIGNET_ERR_CONFLICT if the serial is already used
 * under this issuer (draw a new random serial and retry); the same serial
 * under another issuer is fine. SIGNET_ERR_USAGE for a malformed field
 * (named in the message).
 */
int signet_store_cert_reserve(struct signet_store *st,
    const struct signet_store_cert_new *c, int64_t now) SIGNET_WUR;

/*
 * Step 3: mark a PENDING row ISSUED with its signed DER at now. The DER
 * must be one certificate whose serial, notBefore, notAfter and public key
 * are those reserved (else SIGNET_ERR_VERIFY, naming the field). Also
 * resolves a row left pending by a crash when the certificate was signed.
 * SIGNET_ERR_NOT_FOUND: no such serial; SIGNET_ERR_CONFLICT: not pending.
 */
int signet_store_cert_issue(struct signet_store *st, const char *issuer,
    const char *serial, const uint8_t *der, size_t der_len, int64_t now)
    SIGNET_WUR;

/*
 * Mark a PENDING row FAILED with a reason ("lint: ...", "token: ...", or
 * "abandoned after a crash" when `signet db check` resolves it). The
 * serial stays reserved: it is never used again under this issuer.
 * SIGNET_ERR_NOT_FOUND, or SIGNET_ERR_CONFLICT when not pending.
 */
int signet_store_cert_fail(struct signet_store *st, const char *issuer,
    const char *serial, const char *reason, int64_t now) SIGNET_WUR;

/*
 * Revoke an ISSUED certificate with an RFC 5280 reason at when (the
 * revocationDate; normally now).
 *  - certificateHold, removeFromCRL and unknown codes: SIGNET_ERR_USAGE.
 *  - unknown serial: SIGNET_ERR_NOT_FOUND; pending or failed row:
 *    SIGNET_ERR_CONFLICT (there is no certificate to revoke).
 *  - already revoked: SIGNET_ERR_CONFLICT, except that a new reason of
 *    keyCompromise replaces any other reason. The revocationDate then
 *    becomes the earlier of the two: the first revocation stays on record,
 *    and BR 7.2.2 asks a CA to move the date back when it learns the key
 *    was compromised before it (pass that date as when).
 *  - keyCompromise also puts the certificate's key on the blocklist.
 * Every change is numbered so that delta CRLs list it.
 */
int signet_store_cert_revoke(struct signet_store *st, const char *issuer,
    const char *serial, int reason, int64_t when) SIGNET_WUR;

/*
 * One certificate by serial. issuer may be NULL: the serial is then
 * searched under every issuer, and SIGNET_ERR_CONFLICT returned if more
 * than one has it. SIGNET_ERR_NOT_FOUND if none. The copy includes the
 * DER.
 */
int signet_store_cert_get(struct signet_store *st, const char *issuer,
    const char *serial, struct signet_store_cert **out) SIGNET_WUR;
void signet_store_cert_free(struct signet_store_cert *cert);

/* Which rows a listing selects. */
enum signet_store_select {
	SIGNET_SELECT_ALL = 0,
	SIGNET_SELECT_VALID,   /* issued and not_after >= now */
	SIGNET_SELECT_EXPIRED, /* issued and not_after < now */
	SIGNET_SELECT_REVOKED, /* revoked, expired or not */
	SIGNET_SELECT_PENDING,
	SIGNET_SELECT_FAILED,
};

struct signet_store_filter {
	enum signet_store_select select;
	const char *issuer;  /* NULL: every issuer */
	const char *profile; /* NULL: every profile */
	int64_t now;         /* the time VALID, EXPIRED and expiring refer to */
	/* > 0: only not_after in [now, now + expiring_within) */
	int64_t expiring_within;
	int with_der; /* also load the DER (slower) */
};

/*
 * Call cb for each certificate f selects, streaming (rows are read as they
 * are handed out, through an index). Order: not_after, ties in reservation
 * order; SIGNET_SELECT_ALL without expiring_within: reservation order.
 */
int signet_store_cert_foreach(struct signet_store *st,
    const struct signet_store_filter *f, signet_store_cert_cb cb, void *arg)
    SIGNET_WUR;

/* Rows per status (and CRLs and blocked keys), for reports and tests. */
struct signet_store_counts {
	int64_t pending;
	int64_t issued;
	int64_t revoked;
	int64_t failed;
	int64_t crls;
	int64_t blocked_keys;
};
/* issuer NULL: all issuers. */
int signet_store_counts(struct signet_store *st, const char *issuer,
    struct signet_store_counts *out) SIGNET_WUR;

/* ---- blocked keys ------------------------------------------------------ */

/*
 * Whether a public key (SHA-256 of its DER SPKI) is blocked: it belonged to
 * a certificate revoked for keyCompromise, or was blocked by hand. For the
 * policy engine, which must refuse such keys (BR 6.1.1.3).
 */
int signet_store_key_blocked(struct signet_store *st,
    const uint8_t spki_sha256[32], int *blocked) SIGNET_WUR;
/* Block a key reported compromised; blocking it again is not an error. */
int signet_store_key_block(struct signet_store *st,
    const uint8_t spki_sha256[32], const char *reason, int64_t now) SIGNET_WUR;

/* ---- renewal over EST (docs/renewal.md) ---------------------------------- */

/*
 * Record that the certificate serial was replaced by successor (both of
 * issuer, both issued or revoked) at now. A certificate is superseded
 * once: SIGNET_ERR_CONFLICT if it already was (or successor already
 * replaces another); SIGNET_ERR_NOT_FOUND if either is unknown.
 */
int signet_store_cert_supersede(struct signet_store *st, const char *issuer,
    const char *serial, const char *successor, int64_t now) SIGNET_WUR;
/*
 * The serial (canonical hex, into successor[41]) that replaced serial, or
 * SIGNET_ERR_NOT_FOUND when it was not superseded.
 */
int signet_store_cert_successor(struct signet_store *st, const char *issuer,
    const char *serial, char successor[41]) SIGNET_WUR;

/* An enrollment token's public id: 16 lower-case hex digits. */
#define SIGNET_STORE_TOKEN_ID_LEN 16

/* A one-time enrollment token (the secret itself is never stored). */
struct signet_store_est_token {
	const char *token_id;
	const char *profile;
	const char *names; /* "dns:a,ip:b": what a certificate may name */
	int64_t created_at;
	int64_t expires_at;
	int64_t used_at;    /* 0: not used */
	int64_t revoked_at; /* 0: not revoked */
};
typedef int (*signet_store_est_token_cb)(const struct signet_store_est_token *t,
    void *arg);

/*
 * Record a new token: its public id, the SHA-256 of its secret, the
 * profile and names it is pinned to, valid from created_at until
 * expires_at. SIGNET_ERR_CONFLICT if the id or secret exists.
 */
int signet_store_est_token_add(struct signet_store *st,
    const struct signet_store_est_token *t, const uint8_t secret_sha256[32])
    SIGNET_WUR;
/*
 * Use the token whose secret hashes to secret_sha256, at now: it is
 * marked used in the same statement that finds it unused, unrevoked and
 * unexpired, so two requests never both get it. *out is a copy (free
 * with signet_store_est_token_free). SIGNET_ERR_NOT_FOUND: no such
 * token; SIGNET_ERR_CONFLICT: used, revoked or expired (the message says
 * which).
 */
int signet_store_est_token_use(struct signet_store *st,
    const uint8_t secret_sha256[32], int64_t now,
    struct signet_store_est_token **out) SIGNET_WUR;
/*
 * Give a token used at used_at back (the certificate it was used for
 * could not be issued), unless it was revoked meanwhile.
 */
int signet_store_est_token_release(struct signet_store *st,
    const char *token_id, int64_t used_at) SIGNET_WUR;
/* Revoke an unused token. SIGNET_ERR_NOT_FOUND, or CONFLICT if used. */
int signet_store_est_token_revoke(struct signet_store *st, const char *token_id,
    int64_t now) SIGNET_WUR;
/* Every token, oldest first. */
int signet_store_est_token_foreach(struct signet_store *st,
    signet_store_est_token_cb cb, void *arg) SIGNET_WUR;
void signet_store_est_token_free(struct signet_store_est_token *t);

/* ---- CRLs -------------------------------------------------------------- */

/*
 * Step 1 of CRL generation: take the issuer's next CRL number, strictly
 * greater than any number handed out before, even to other processes
 * (RFC 5280 5.2.3, BR 7.2.2), and record the CRL's kind and times. For a
 * delta CRL base is the number of a recorded full CRL (its DeltaCRLIndicator,
 * RFC 5280 5.2.4); 0 for a full CRL. A number whose CRL is never recorded
 * (a crash) is simply skipped: numbers need not be contiguous.
 */
int signet_store_crl_allocate(struct signet_store *st, const char *issuer,
    enum signet_crl_kind kind, int64_t base, int64_t this_update,
    int64_t next_update, int64_t *number) SIGNET_WUR;

/*
 * Step 3, after signing: store the CRL's DER and its SHA-256. The DER must
 * carry the allocated number, times and (for a delta) base (else
 * SIGNET_ERR_VERIFY). SIGNET_ERR_CONFLICT if already recorded.
 */
int signet_store_crl_record(struct signet_store *st, const char *issuer,
    int64_t number, const uint8_t *der, size_t der_len) SIGNET_WUR;

/*
 * The number and thisUpdate of the issuer's latest recorded full CRL, the
 * base a delta CRL points to. SIGNET_ERR_NOT_FOUND if there is none.
 */
int signet_store_crl_last_full(struct signet_store *st, const char *issuer,
    int64_t *number, int64_t *this_update) SIGNET_WUR;

/* ---- OCSP responses ---------------------------------------------------------
 */

/*
 * The latest pre-signed OCSP response of a certificate (schema 6), shared
 * by the nodes of a database so that a restart or another node need not
 * sign everything again.
 */
struct signet_store_ocsp {
	const char *serial; /* canonical hex */
	int64_t this_update;
	int64_t next_update; /* after this_update */
	const uint8_t *der;  /* the OCSPResponse, 1..SIGNET_STORE_OCSP_MAX */
	size_t der_len;
};

/*
 * Keep these responses for certificates of issuer (issued or revoked
 * ones: SIGNET_ERR_NOT_FOUND naming another), in one transaction. Each
 * replaces the stored one unless that has a later thisUpdate.
 */
int signet_store_ocsp_put(struct signet_store *st, const char *issuer,
    const struct signet_store_ocsp *v, size_t n) SIGNET_WUR;

typedef int (
    *signet_store_ocsp_cb)(const struct signet_store_ocsp *r, void *arg);
/*
 * Call cb (as signet_store_cert_foreach does) for each stored response of
 * issuer with thisUpdate after `after` and nextUpdate after now, in
 * thisUpdate order, streaming.
 */
int signet_store_ocsp_foreach(struct signet_store *st, const char *issuer,
    int64_t after, int64_t now, signet_store_ocsp_cb cb, void *arg) SIGNET_WUR;

/* One revokedCertificates entry. */
struct signet_store_revoked {
	const char *serial; /* canonical hex */
	int64_t revoked_at; /* revocationDate */
	int reason;         /* CRLReason */
	int64_t not_after;
};
typedef int (
    *signet_store_revoked_cb)(const struct signet_store_revoked *e, void *arg);

/*
 * Step 2: call cb for each entry of the allocated CRL number, in ascending
 * serial order, streaming.
 *
 * Full CRL: every certificate of the issuer revoked so far, except those
 * that expired before the thisUpdate of the previous recorded full CRL.
 * So an expired entry appears on exactly one more full CRL issued after its
 * expiry (the first whose predecessor was issued after it), then is
 * dropped, as RFC 5280 3.3 requires. Revocations made after the number
 * was allocated may appear too; they are also in the next delta.
 *
 * Delta CRL: every revocation, and every reason change, made after the
 * base CRL's number was allocated (RFC 5280 5.2.4).
 */
int
signet_store_crl_revoked_foreach(struct signet_store *st, const char *issuer,
    int64_t number, signet_store_revoked_cb cb, void *arg) SIGNET_WUR;

/*
 * The issuer's revocation counter: it grows with every revocation and
 * every reason change (0 for an issuer without rows). One indexed read,
 * cheap enough to poll: a CRL publisher compares it with the value it
 * read before making its last CRL to learn that a newer one is due.
 */
int signet_store_revocation_seq(struct signet_store *st, const char *issuer,
    int64_t *seq) SIGNET_WUR;

struct signet_store_crl {
	const char *issuer;
	int64_t number;
	enum signet_crl_kind kind;
	int64_t base; /* delta: the base CRL number; full: 0 */
	int64_t this_update;
	int64_t next_update;
	const uint8_t *der; /* NULL until recorded */
	size_t der_len;
	const char *der_sha256; /* hex, NULL until recorded */
};
/* One CRL by number; SIGNET_ERR_NOT_FOUND if never allocated. */
int signet_store_crl_get(struct signet_store *st, const char *issuer,
    int64_t number, struct signet_store_crl **out) SIGNET_WUR;
void signet_store_crl_free(struct signet_store_crl *crl);

/*
 * Raise the issuer's CRL counter so that the next number allocated is
 * above past (when the audit log records numbers the database does not:
 * a database restored from a backup). *was is the counter before; nothing
 * changes when it is already at or above past.
 */
int signet_store_crl_advance(struct signet_store *st, const char *issuer,
    int64_t past, int64_t *was) SIGNET_WUR;

/* ---- audit log heads ----------------------------------------------------- */

/*
 * The last checkpoint a writer sealed in the audit log named log_id (64
 * hex: the CA's name for one log file on one host), so that the next
 * writer can refuse a log that no longer reaches it. SIGNET_ERR_NOT_FOUND
 * when none was recorded.
 */
int signet_store_audit_head_get(struct signet_store *st, const char *log_id,
    uint64_t *seq, uint8_t hash[32]) SIGNET_WUR;
/*
 * Record a later checkpoint (seq, chain hash) of log_id; where says in
 * words which log it is (host and path). An earlier one than recorded is
 * ignored, heads never go back, unless replace (an operator accepted a
 * shorter log: `signet audit accept`).
 */
int signet_store_audit_head_set(struct signet_store *st, const char *log_id,
    const char *where, uint64_t seq, const uint8_t hash[32], int replace)
    SIGNET_WUR;
/* How many audit logs have recorded a head here (nodes sharing a store). */
int
signet_store_audit_head_count(struct signet_store *st, int64_t *n) SIGNET_WUR;

/* ---- clock sanity ------------------------------------------------------ */

/*
 * The latest time recorded in the database: any certificate change, CRL
 * thisUpdate, or key block (0 if empty). A CA refuses to sign
 * when its clock reads earlier than this: the clock went backwards.
 */
int signet_store_clock_last(struct signet_store *st, int64_t *last) SIGNET_WUR;

/* ---- consistency (`signet db check`) ------------------------------------ */

enum signet_store_problem_kind {
	SIGNET_PROBLEM_PENDING = 1,     /* reserved, never issued nor failed */
	SIGNET_PROBLEM_CERT_MISMATCH,   /* stored DER disagrees with its row */
	SIGNET_PROBLEM_CRL_UNRECORDED,  /* CRL number allocated, never signed */
	SIGNET_PROBLEM_CRL_MISMATCH,    /* stored CRL DER disagrees with row */
	SIGNET_PROBLEM_KEY_NOT_BLOCKED, /* keyCompromise without blocklist */
	SIGNET_PROBLEM_FUTURE,    /* recorded later than now: clock went back */
	SIGNET_PROBLEM_INTEGRITY, /* the database engine's own check failed */
	/* a key blocked for a keyCompromise row that no longer says so */
	SIGNET_PROBLEM_KEY_BLOCKED_UNREVOKED,
	/*
	 * Found by `signet db check` beyond the store (src/ca/reconcile.c):
	 * rows that the audit log or the last signed CRL contradict.
	 */
	SIGNET_PROBLEM_AUDIT_MISMATCH,
};

struct signet_store_problem {
	enum signet_store_problem_kind kind;
	const char *issuer; /* NULL for INTEGRITY */
	const char *serial; /* certificate problems, else NULL */
	int64_t crl_number; /* CRL problems, else 0 */
	const char *detail; /* what is wrong, for an operator */
};
typedef int (
    *signet_store_problem_cb)(const struct signet_store_problem *p, void *arg);

struct signet_store_check_opts {
	int64_t now;
	/*
	 * Pending rows and unrecorded CRL numbers younger than this many
	 * seconds may belong to a process issuing right now: not reported.
	 */
	int64_t grace;
	/*
	 * Optional issuer public keys: certificates and CRLs of an issuer
	 * whose id matches one of these keys also have their signature
	 * verified with it.
	 */
	EVP_PKEY *const *issuer_keys;
	size_t n_issuer_keys;
};

/*
 * Look for everything a crash, a bad clock or a hand edit leaves behind,
 * calling cb for each problem, and set *n_problems. Reads every row (and
 * parses every stored certificate and CRL): for `signet db check`, not for
 * the issuance path. Resolve a PENDING problem with signet_store_cert_fail
 * or, if the signed certificate exists, signet_store_cert_issue.
 */
int signet_store_check(struct signet_store *st,
    const struct signet_store_check_opts *opts, signet_store_problem_cb cb,
    void *arg, size_t *n_problems) SIGNET_WUR;

/* ---- moving a CA between databases ------------------------------------ */

/*
 * Progress of a copy, export or import: table is "meta", "issuers",
 * "certificates", "crls" or "blocked_keys", then "verify"; done of total
 * rows (total is -1 when unknown, as in an import). Return 0 to go on, a
 * negative SIGNET_ERR_* to stop (nothing is written then). May be NULL.
 */
typedef int (*signet_store_progress_cb)(const char *table, int64_t done,
    int64_t total, void *arg);

/*
 * Copy every record of src into dst, which must be empty (no
 * certificates, issuers, CRLs, blocked keys or meta rows; else
 * SIGNET_ERR_CONFLICT) and may use another backend: issuers with their
 * CRL and revocation counters, certificates with every column, CRLs,
 * blocked keys and meta rows, in their original order. src is read from
 * one snapshot; dst is written in one transaction, which is committed only
 * after the row counts and the content hash (signet_store_content_hash)
 * of dst, read back inside it, equal those of src (else SIGNET_ERR_VERIFY
 * and nothing is written). Both must be at SIGNET_STORE_SCHEMA_VERSION.
 * Stop the CA's other processes first: issuance into src after its
 * snapshot was taken is not copied.
 */
int signet_store_copy(struct signet_store *src, struct signet_store *dst,
    signet_store_progress_cb cb, void *arg) SIGNET_WUR;

/*
 * What a database holds, independent of its backend and row ids: rows per
 * table, and a SHA-256 over every column of every row in a canonical
 * order (hex into hash[65]). Two databases with equal hashes hold the
 * same records.
 */
struct signet_store_inventory {
	int64_t meta; /* rows besides the schema version */
	int64_t issuers;
	int64_t certificates;
	int64_t crls;
	int64_t blocked_keys;
	int64_t supersessions;
	int64_t est_tokens;
	int64_t ocsp_responses;
	int64_t acme_eab_keys;
	int64_t acme_renew_early;
};
int signet_store_content_hash(struct signet_store *st,
    struct signet_store_inventory *rows, char hash[65]) SIGNET_WUR;

/*
 * Write every record of st to a new file at path (refused if it exists;
 * mode 0600, written to a temporary file, synced, then linked in place):
 * JSON Lines, one header line, one line per row (DER in base64), and a
 * trailer with the row counts and the content hash (docs/store-export.md).
 */
int signet_store_export(struct signet_store *st, const char *path,
    signet_store_progress_cb cb, void *arg) SIGNET_WUR;
/*
 * Load an export into dst, which must be empty (SIGNET_ERR_CONFLICT), in
 * one transaction. Every line is checked (SIGNET_ERR_CONFIG naming the
 * line and field for a malformed one); the transaction is committed only
 * if the counts and the content hash of the file, and of dst read back,
 * equal the trailer's (else SIGNET_ERR_VERIFY, nothing written).
 */
int signet_store_import(struct signet_store *dst, const char *path,
    signet_store_progress_cb cb, void *arg) SIGNET_WUR;

#endif /* SIGNET_STORE_H */
