/*
 * The tamper-evident audit log (CA/Browser Forum Baseline Requirements
 * 5.4.1): an append-only file of JSON Lines, one record per line, each
 * carrying a sequence number and the SHA-256 of the previous line, with
 * checkpoints signed by a dedicated audit key. docs/audit.md describes the
 * format for auditors.
 *
 * Writers: open a handle, append records, sync before anything irreversible
 * (a token signature), close. The handle fails closed: once a record cannot
 * be written or synced, every later call returns SIGNET_ERR_AUDIT, so the
 * caller cannot sign anything the log does not show.
 *
 *	signet_audit_open(path, audit_signer, 0, &log);
 *	signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE_INTENT,
 *	    SIGNET_AUDIT_INTENT, details);
 *	signet_audit_sync(log);           <- before the token signs
 *	... sign ...
 *	signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
 *	    SIGNET_AUDIT_SUCCESS, details);
 *	signet_audit_close(log);          <- checkpoint, sync, free
 *
 * Secrets: details are built by the caller and must never hold a PIN, a
 * password or private key material. The API takes no secret type, and
 * signet_audit_append refuses details whose member names look like secrets
 * ("pin", "password", "secret", "private_key", ...) or whose strings hold a
 * PEM private key.
 *
 * Readers: a verifier checks the chain and every checkpoint signature with
 * the audit public key alone.
 */
#ifndef SIGNET_AUDIT_H
#define SIGNET_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "signet/error.h"
#include "signet/signer.h"

/* The longest record line, newline included; longer lines are refused. */
#define SIGNET_AUDIT_LINE_MAX 1048576
/* The deepest nesting of a record (the record object counts as 1). */
#define SIGNET_AUDIT_DEPTH_MAX 16
/* Records between automatic checkpoints unless set otherwise. */
#define SIGNET_AUDIT_CHECKPOINT_DEFAULT 1000

/*
 * What happened. The names (signet_audit_event_name) are what the log
 * holds; they are fixed: new events are added, names never change.
 */
enum signet_audit_event {
	SIGNET_AUDIT_EV_NONE = 0,
	/* the audit log itself */
	SIGNET_AUDIT_EV_AUDIT_CREATE,     /* "audit.create": chain starts */
	SIGNET_AUDIT_EV_AUDIT_OPEN,       /* "audit.open": a writer opened */
	SIGNET_AUDIT_EV_AUDIT_CHECKPOINT, /* "audit.checkpoint": signed head */
	SIGNET_AUDIT_EV_AUDIT_ROTATE,     /* "audit.rotate": file continues */
	SIGNET_AUDIT_EV_AUDIT_REPAIR,     /* "audit.repair": torn tail cut */
	/* CA keys (BR 5.4.1: generation, backup, storage, recovery, ...) */
	SIGNET_AUDIT_EV_KEY_GENERATE, /* "key.generate" */
	SIGNET_AUDIT_EV_KEY_BACKUP,   /* "key.backup" */
	SIGNET_AUDIT_EV_KEY_RESTORE,  /* "key.restore" */
	SIGNET_AUDIT_EV_KEY_DESTROY,  /* "key.destroy" */
	/* certificates and CRLs */
	SIGNET_AUDIT_EV_CERT_REQUEST,      /* "cert.request": policy decision */
	SIGNET_AUDIT_EV_CERT_ISSUE_INTENT, /* "cert.issue.intent": pre-sign */
	SIGNET_AUDIT_EV_CERT_ISSUE,        /* "cert.issue" */
	SIGNET_AUDIT_EV_CERT_REVOKE,       /* "cert.revoke" */
	SIGNET_AUDIT_EV_CRL_GENERATE_INTENT, /* "crl.generate.intent" */
	SIGNET_AUDIT_EV_CRL_GENERATE,        /* "crl.generate" */
	SIGNET_AUDIT_EV_CERT_REVOKE_INTENT, /* "cert.revoke.intent": pre-commit */
	/* tokens */
	SIGNET_AUDIT_EV_TOKEN_LOGIN,             /* "token.login" */
	SIGNET_AUDIT_EV_TOKEN_LOGIN_FAILED,      /* "token.login.failed" */
	SIGNET_AUDIT_EV_TOKEN_LOGOUT,            /* "token.logout" */
	SIGNET_AUDIT_EV_TOKEN_SESSION_LOST,      /* "token.session.lost" */
	SIGNET_AUDIT_EV_TOKEN_SESSION_RECOVERED, /* "token.session.recovered" */
	/* configuration */
	SIGNET_AUDIT_EV_CONFIG_LOAD,   /* "config.load" */
	SIGNET_AUDIT_EV_CONFIG_CHANGE, /* "config.change" */
	SIGNET_AUDIT_EV_POLICY_LOAD,   /* "policy.load" */
	SIGNET_AUDIT_EV_POLICY_CHANGE, /* "policy.change" */
	/* ceremonies */
	SIGNET_AUDIT_EV_CEREMONY_START, /* "ceremony.start" */
	SIGNET_AUDIT_EV_CEREMONY_STEP,  /* "ceremony.step" */
	SIGNET_AUDIT_EV_CEREMONY_END,   /* "ceremony.end" */
	/* the online service (signet serve) */
	SIGNET_AUDIT_EV_SERVE_START,    /* "serve.start" */
	SIGNET_AUDIT_EV_SERVE_STOP,     /* "serve.stop" */
	SIGNET_AUDIT_EV_SERVE_FRONTEND, /* "serve.frontend": died, killed */
	/* the audit log itself, continued */
	SIGNET_AUDIT_EV_AUDIT_ACCEPT, /* "audit.accept": operator override */
	/* CRLs, continued */
	SIGNET_AUDIT_EV_CRL_NUMBER_ADVANCE, /* "crl.number.advance" */
	/* EST enrollment tokens (docs/renewal.md) */
	SIGNET_AUDIT_EV_EST_TOKEN_ADD,    /* "est.token.add" */
	SIGNET_AUDIT_EV_EST_TOKEN_REVOKE, /* "est.token.revoke" */
	/* ACME accounts and external account binding (docs/acme.md) */
	SIGNET_AUDIT_EV_ACME_EAB_ADD,            /* "acme.eab.add" */
	SIGNET_AUDIT_EV_ACME_EAB_REVOKE,         /* "acme.eab.revoke" */
	SIGNET_AUDIT_EV_ACME_ACCOUNT_NEW,        /* "acme.account.new" */
	SIGNET_AUDIT_EV_ACME_ACCOUNT_UPDATE,     /* "acme.account.update" */
	SIGNET_AUDIT_EV_ACME_ACCOUNT_DEACTIVATE, /* "acme.account.deactivate" */
	SIGNET_AUDIT_EV_ACME_ACCOUNT_KEY_CHANGE, /* "acme.account.key-change" */
	SIGNET_AUDIT_EV_ACME_REVOKE,             /* "acme.revoke": who asked */
	SIGNET_AUDIT_EV_ACME_RENEW_EARLY,        /* "acme.renew-early" */
	SIGNET_AUDIT_EV_COUNT_                   /* not an event */
};

/* How it ended. */
enum signet_audit_outcome {
	SIGNET_AUDIT_OUTCOME_NONE = 0,
	SIGNET_AUDIT_SUCCESS, /* "success" */
	SIGNET_AUDIT_FAILURE, /* "failure": tried and failed */
	SIGNET_AUDIT_INTENT,  /* "intent": about to happen (before signing) */
	SIGNET_AUDIT_DENIED,  /* "denied": refused by policy or a check */
	SIGNET_AUDIT_OUTCOME_COUNT_
};

/* "cert.issue"; NULL for a value outside the enum. */
const char *signet_audit_event_name(enum signet_audit_event event);
/* The event named name; SIGNET_ERR_USAGE (naming it) if there is none. */
int signet_audit_event_from_name(const char *name, enum signet_audit_event *out)
    SIGNET_WUR;
/* "success"; NULL for a value outside the enum. */
const char *signet_audit_outcome_name(enum signet_audit_outcome outcome);
int signet_audit_outcome_from_name(const char *name,
    enum signet_audit_outcome *out) SIGNET_WUR;

/* ---- Writing ------------------------------------------------------------ */

struct signet_audit;

/* signet_audit_open flags. */
#define SIGNET_AUDIT_CREATE 0x01 /* start a new chain if path is missing */

/*
 * Open the log at path for appending and record an "audit.open" event.
 * With SIGNET_AUDIT_CREATE and no file at path, start a new chain instead:
 * the file appears with its "audit.create" record already in it, never
 * empty. Without the flag a missing log is an error.
 *
 * signer is the audit key that signs checkpoints: in production a key in
 * the token, never a CA key. It is borrowed and must outlive the handle.
 * The actor of every record is the effective OS user (getpwuid), the
 * process id and the host name.
 *
 * The last record is read from the end of the file to continue the chain.
 * SIGNET_ERR_AUDIT for a path that is not a regular file, an empty file, a
 * last line that is not a valid record, or a last line cut short by a
 * crash (run signet_audit_repair after looking at it). A rotation that a
 * crashed writer left half-done is finished.
 *
 * A handle may be shared by the threads of a process, not across fork():
 * a child opens its own.
 */
int signet_audit_open(const char *path, struct signet_signer *signer,
    unsigned flags, struct signet_audit **out) SIGNET_WUR;

/*
 * What a writer knows of a log from outside it: the last checkpoint
 * someone recorded elsewhere (the CA database keeps one per log), and
 * what to do when the log does not reach it.
 */
struct signet_audit_open_opts {
	unsigned flags; /* SIGNET_AUDIT_CREATE */
	/*
	 * The sequence number and chain hash (SHA-256 of the line and its
	 * LF) of a checkpoint this log held earlier; anchor_seq 0: none.
	 */
	uint64_t anchor_seq;
	uint8_t anchor_hash[32];
	/*
	 * Not NULL: open a log that fails the checks below anyway, and say
	 * so in an "audit.accept" record holding this reason (an operator's
	 * words: `signet audit accept`). NULL: refuse such a log.
	 */
	const char *accept_reason;
};

/* What opening found (signet_audit_open_with). */
struct signet_audit_open_info {
	uint64_t last_checkpoint_seq; /* 0: the log holds no checkpoint */
	/* Records after the last checkpoint: first and last seq (0: none). */
	uint64_t unverified_first, unverified_last;
	/*
	 * The highest "crl_number" of the crl.generate.intent,
	 * crl.generate and crl.number.advance records after the anchor (the
	 * whole log without one); 0 if none.
	 */
	int64_t crl_number_max;
	int accepted; /* an audit.accept record was written */
};

/*
 * signet_audit_open, authenticating what it extends. Before a writer
 * chains anything to a log it reads back from the end of the file (into
 * rotated files if need be) and refuses, with SIGNET_ERR_AUDIT and a
 * message naming `signet audit accept`:
 *  - a chain that breaks between the last checkpoint and the end;
 *  - a last checkpoint that is not signed by this signer's key (another
 *    key, or a bad signature);
 *  - with an anchor: a log whose record at anchor_seq is missing (the
 *    log is shorter: cut, or restored from an older copy) or is not the
 *    anchor (another log).
 * Records after the last checkpoint cannot be authenticated (a crash, a
 * writer still at work, or someone who appended them): they are named in
 * the "unverified" member of this writer's audit.open record, signed with
 * its next checkpoint, and the verifier reports them from then on.
 * o and info may be NULL.
 */
int signet_audit_open_with(const char *path, struct signet_signer *signer,
    const struct signet_audit_open_opts *o, struct signet_audit_open_info *info,
    struct signet_audit **out) SIGNET_WUR;

/*
 * Write a closing checkpoint (unless the last record of the file is one)
 * and sync, leaving the handle open; *seq and hash are then the sequence
 * number and chain hash of that checkpoint, the anchor to keep outside
 * the log.
 */
int signet_audit_seal(struct signet_audit *log, uint64_t *seq, uint8_t hash[32])
    SIGNET_WUR;

/*
 * Write a checkpoint automatically after every n records this handle
 * appends (default SIGNET_AUDIT_CHECKPOINT_DEFAULT; 0: only on close,
 * rotation and signet_audit_checkpoint).
 */
void signet_audit_set_checkpoint_interval(struct signet_audit *log, unsigned n);

/*
 * Rotate automatically (as signet_audit_rotate with a NULL archive path)
 * once the file reaches bytes (0, the default: never).
 */
void signet_audit_set_rotate_size(struct signet_audit *log, uint64_t bytes);

/*
 * Name the people present (ceremony operators) in the actor of every
 * following record; n == 0 clears the list. Names are copied.
 */
int signet_audit_set_operators(struct signet_audit *log,
    const char *const *names, size_t n) SIGNET_WUR;

/*
 * Append one record: event, outcome, and details, a JSON object the caller
 * builds (NULL for none; it is copied, never stolen). Details may hold
 * objects, arrays, strings, integers, booleans and null, nested at most
 * SIGNET_AUDIT_DEPTH_MAX - 1 levels; no reals (write them as strings), no
 * NUL in strings, and no member whose name looks like a secret.
 *
 * The line is written with one write(2) under an exclusive flock, after
 * re-reading the last record if another process appended meanwhile. It is
 * not yet on disk: call signet_audit_sync before anything that must not
 * happen unrecorded. Several appends may share one sync (batch issuance).
 *
 * SIGNET_ERR_INTERNAL for details the log refuses (nothing written, the
 * handle stays usable); SIGNET_ERR_AUDIT when the log cannot be written,
 * after which the handle is failed for good.
 */
int signet_audit_append(struct signet_audit *log, enum signet_audit_event event,
    enum signet_audit_outcome outcome, const json_t *details) SIGNET_WUR;

/* One record of a batch (signet_audit_append_batch). */
struct signet_audit_entry {
	enum signet_audit_event event;
	enum signet_audit_outcome outcome;
	const json_t *details; /* may be NULL */
};

/*
 * Append n records as n signet_audit_append calls would, in order, but
 * under one lock and one look at the end of the file (batch issuance
 * logs hundreds of intents at once). Every entry is checked before any is
 * written: one the log refuses (SIGNET_ERR_INTERNAL) writes none. Each
 * record is still one write(2); automatic checkpoints and rotation happen
 * between them as usual. Not synced: call signet_audit_sync.
 */
int signet_audit_append_batch(struct signet_audit *log,
    const struct signet_audit_entry *entries, size_t n) SIGNET_WUR;

/*
 * Make every record appended so far durable (fdatasync). Call after an
 * intent record and before the token signs. SIGNET_ERR_AUDIT on failure
 * (and the handle is failed).
 */
int signet_audit_sync(struct signet_audit *log) SIGNET_WUR;

/*
 * Append a checkpoint now: an "audit.checkpoint" record signed by the audit
 * key over its own line, which holds the hash of the previous line, so it
 * covers the whole chain before it. Skipped when the last record of the
 * file is already a checkpoint. Not synced: call signet_audit_sync.
 */
int signet_audit_checkpoint(struct signet_audit *log) SIGNET_WUR;

/*
 * End the current file with a checkpoint, keep it as archive_path (which
 * must not exist; NULL: "<path>.<first sequence number, 12 digits>" beside
 * it) and continue at path with a new file whose first record, an
 * "audit.rotate", carries the sequence number and hash that follow the
 * archive's last record. Writers in other processes follow to the new
 * file. A crash half-way is completed by the next writer to open the log.
 */
int signet_audit_rotate(struct signet_audit *log, const char *archive_path)
    SIGNET_WUR;

/*
 * Write a closing checkpoint (unless the last record is one), sync, and
 * free the handle whatever the outcome. Returns 0 or SIGNET_ERR_AUDIT.
 */
int signet_audit_close(struct signet_audit *log) SIGNET_WUR;

/*
 * Release the handle without a checkpoint or a sync (error paths). The
 * records it wrote are covered by the next checkpoint any writer makes.
 * NULL is a no-op.
 */
void signet_audit_free(struct signet_audit *log);

/* 1 if the handle has failed closed; its message says why. */
int signet_audit_is_failed(const struct signet_audit *log);
/* Why the handle failed ("" if it has not). */
const char *signet_audit_failure(const struct signet_audit *log);
/* Sequence number of the last record this handle wrote (0 if none). */
uint64_t signet_audit_last_seq(const struct signet_audit *log);
/* The log's path as given to signet_audit_open. */
const char *signet_audit_get0_path(const struct signet_audit *log);

/*
 * Cut an incomplete last line (a write interrupted by a crash or a full
 * disk) and record what was removed, its offset, length, SHA-256 and first
 * bytes, in an "audit.repair" record, so the cut is itself audited. Does
 * nothing if the file ends cleanly (*removed = 0). Refuses anything but a
 * torn tail after a valid record. removed may be NULL.
 */
int signet_audit_repair(const char *path, size_t *removed) SIGNET_WUR;

/* ---- Verifying ---------------------------------------------------------- */

struct signet_audit_verifier;

/* signet_audit_verifier_new flags. */
#define SIGNET_AUDIT_VERIFY_STRICT 0x01 /* warnings are failures */
/*
 * Check the chain alone, without checkpoint signatures. Without a trusted
 * key a chain is only self-consistent (anyone can rebuild one), so
 * signet_audit_verifier_finish fails when no key was added, unless this
 * flag says that is what the caller wants.
 */
#define SIGNET_AUDIT_VERIFY_NO_SIGNATURES 0x02

/*
 * What a verification found. Strings are owned by the verifier. fail_*
 * name the first bad record: the file, its 1-based line, and the sequence
 * number it carries (0 if unreadable); the reason is the error message.
 */
struct signet_audit_summary {
	uint64_t files;
	uint64_t records;
	uint64_t checkpoints;
	uint64_t repairs; /* "audit.repair" records: a torn write was cut */
	uint64_t first_seq, last_seq;
	char first_time[40], last_time[40];
	uint64_t last_checkpoint_seq; /* 0 if none */
	const char *last_checkpoint_file;
	uint64_t last_checkpoint_line;
	uint64_t uncovered;     /* records after the last checkpoint */
	int signatures_checked; /* a trusted key was given */
	int starts_mid_chain;   /* the first file continues an earlier one */
	int rotated_after;      /* the last file was rotated: one follows */
	/*
	 * Records a writer found after the last checkpoint when it opened
	 * the log, and could not authenticate (audit.open "unverified").
	 */
	uint64_t unverified;
	uint64_t unverified_first_seq; /* of the first such range */
	uint64_t accepts; /* audit.accept records: an operator overrode */
	int failed;
	const char *fail_file;
	uint64_t fail_line;
	uint64_t fail_seq;
	const char *fail_reason;
};

int signet_audit_verifier_new(unsigned flags,
    struct signet_audit_verifier **out) SIGNET_WUR;
void signet_audit_verifier_free(struct signet_audit_verifier *v);

/*
 * Trust checkpoints signed by pub (a reference is taken); may be called
 * for each audit key the log has used. Without any key the verification
 * fails, unless SIGNET_AUDIT_VERIFY_NO_SIGNATURES was given (then the
 * signatures are not checked; still a failure under
 * SIGNET_AUDIT_VERIFY_STRICT).
 */
int signet_audit_verifier_add_key(struct signet_audit_verifier *v,
    EVP_PKEY *pub) SIGNET_WUR;

/*
 * Verify the next file of the log, continuing the chain of those added
 * before (the oldest first). Reads it as a stream, line by line.
 * SIGNET_ERR_VERIFY on the first bad record, with a message
 * "FILE:LINE (seq N): why"; every later call returns it again.
 * SIGNET_ERR_IO if the file cannot be read.
 */
int signet_audit_verifier_add_file(struct signet_audit_verifier *v,
    const char *path) SIGNET_WUR;
/* Same for a file already in memory; name is used in messages. */
int signet_audit_verifier_add_buf(struct signet_audit_verifier *v,
    const char *name, const void *buf, size_t len) SIGNET_WUR;

/*
 * Finish: settle the last record, check that the log ends cleanly, refuse
 * a verification without a trusted key (see the flags), and apply the
 * strict flag to warnings. 0 or SIGNET_ERR_VERIFY.
 */
int signet_audit_verifier_finish(struct signet_audit_verifier *v) SIGNET_WUR;

const struct signet_audit_summary *
signet_audit_verifier_get0_summary(const struct signet_audit_verifier *v);

/* ---- Reading records (audit show) --------------------------------------- */

/*
 * A log file's records one by one, in file order, parsed but not verified
 * (signet_audit_verifier is what checks them).
 */
struct signet_audit_records;

/* SIGNET_ERR_IO if path cannot be read. */
int signet_audit_records_open(const char *path,
    struct signet_audit_records **out) SIGNET_WUR;
/*
 * The next line. 1: *line and *len are its text (no LF) and *rec the
 * record parsed from it, both valid until the next call; *rec is NULL for
 * a line that is no record (torn or malformed: the reason is in
 * signet_error_message()), and reading goes on. 0 at the end.
 * SIGNET_ERR_VERIFY for a line that cannot be read at all (reading stops
 * there), SIGNET_ERR_IO for a read error.
 */
int signet_audit_records_next(struct signet_audit_records *it,
    const char **line, size_t *len, const json_t **rec) SIGNET_WUR;
/* 1-based number of the line last returned. */
uint64_t signet_audit_records_lineno(const struct signet_audit_records *it);
void signet_audit_records_free(struct signet_audit_records *it);

/* SHA-256 of the DER SubjectPublicKeyInfo of pub, lower-case hex. */
int signet_audit_key_id(const EVP_PKEY *pub, char out[65]) SIGNET_WUR;

#endif /* SIGNET_AUDIT_H */
