/* Internals of the audit log shared by the writer, the verifier and the CLI. */
#ifndef SIGNET_AUDIT_INT_H
#define SIGNET_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "signet/audit.h"

/* The "v" member of every record. */
#define AUDIT_FORMAT_VERSION 1
/*
 * The one serialisation of a record: compact, keys sorted, everything
 * outside printable ASCII escaped. A line is this, then one LF.
 */
#define AUDIT_JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
/* "prev" of the first record of a chain. */
#define AUDIT_ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* Longest user, host, operator and archive names kept in a record. */
#define AUDIT_NAME_MAX 255
/* Removed bytes an "audit.repair" record quotes (base64). */
#define AUDIT_REPAIR_QUOTE_MAX 4096

/* Why a checkpoint was written ("reason" in its details). */
#define AUDIT_REASON_INTERVAL "interval"
#define AUDIT_REASON_CLOSE "close"
#define AUDIT_REASON_ROTATE "rotate"
#define AUDIT_REASON_REQUEST "request"

/* One record, parsed and checked for form (audit_rec_parse). */
struct audit_rec {
	json_t *root; /* owned */
	uint64_t seq;
	uint8_t prev[32];
	uint8_t hash[32]; /* SHA-256 of the line and its LF */
	enum signet_audit_event event;
	enum signet_audit_outcome outcome;
	const char *time; /* borrowed from root */
	/* checkpoints only (borrowed from root) */
	const char *cp_alg, *cp_key, *cp_reason, *cp_sig, *cp_archive;
};

/*
 * Parse a line (without its LF) and check its form: size, bytes, nesting,
 * JSON, canonical serialisation, members and their types. Sets *rec (clear
 * it with audit_rec_clear). SIGNET_ERR_VERIFY with a message naming the
 * problem otherwise.
 */
int
audit_rec_parse(const char *line, size_t len, struct audit_rec *rec) SIGNET_WUR;
void audit_rec_clear(struct audit_rec *rec);

/*
 * Record code with the message "<fmt>: <the message of the last failure>",
 * whatever code that failure had. Returns code.
 */
int audit_error_wrap(int code, const char *fmt, ...) SIGNET_PRINTF(2, 3);

/*
 * The checks of a line that need no JSON parser: printable ASCII only, and
 * objects and arrays nested at most SIGNET_AUDIT_DEPTH_MAX deep.
 * SIGNET_ERR_VERIFY naming the column otherwise.
 */
int audit_line_prescan(const char *line, size_t len) SIGNET_WUR;

/* SHA-256 of line followed by one LF (the chain hash of a record line). */
int audit_line_hash(const char *line, size_t len, uint8_t out[32]) SIGNET_WUR;

/* The canonical serialisation of rec, with a trailing LF if newline. */
int audit_json_dump(const json_t *rec, int newline, char **out, size_t *len)
    SIGNET_WUR;

/* Now, as RFC 3339 UTC with microseconds: "2026-11-23T09:44:00.123456Z". */
void audit_time_now(char out[40]);
/* Record times are parsed with time_parse_rfc3339 (util/codec.h). */

/*
 * Check caller details: an object (or NULL), no reals, no NUL in strings,
 * nesting within bounds, no member named like a secret, no PEM private key.
 * SIGNET_ERR_INTERNAL naming the member otherwise.
 */
int audit_details_check(const json_t *details) SIGNET_WUR;

/* A new actor object: effective user, uid, pid, host, operators. */
int audit_actor_new(const char *const *operators, size_t n, json_t **out)
    SIGNET_WUR;

/*
 * A record object with the members every record has; details is stolen
 * (an empty object if NULL).
 */
int audit_rec_build(uint64_t seq, const uint8_t prev[32],
    enum signet_audit_event event, enum signet_audit_outcome outcome,
    const json_t *actor, json_t *details, json_t **out) SIGNET_WUR;

/*
 * What a checkpoint's signature covers: the canonical serialisation of the
 * record (no LF) with the value of details.sig replaced by "".
 */
int audit_checkpoint_tbs(const json_t *rec, char **out, size_t *len) SIGNET_WUR;

/* The signature algorithm named by name (signet_sig_alg_name). */
int
audit_sig_alg_from_name(const char *name, enum signet_sig_alg *out) SIGNET_WUR;

/* Signatures and quoted bytes are base64 (util/codec.h, no line breaks). */

/* ---- the end of a log file --------------------------------------------- */

/* What the end of a log file holds (audit_tail_read). */
struct audit_tail {
	off_t size;
	char *line;       /* the last complete line, no LF; NULL if none */
	size_t len;       /* its length */
	off_t line_start; /* its offset */
	off_t torn_start; /* offset of bytes after the last LF */
	size_t torn_len;  /* how many (0: the file ends with a LF) */
};

/*
 * Read the last complete line of the open file fd (named path in messages)
 * from its end, without reading the rest. Lines longer than
 * SIGNET_AUDIT_LINE_MAX are refused (SIGNET_ERR_AUDIT).
 */
int audit_tail_read(int fd, const char *path, struct audit_tail *t) SIGNET_WUR;
void audit_tail_clear(struct audit_tail *t);

/* The first line of fd (no LF) into a fresh buffer; *len 0 if empty. */
int
audit_head_read(int fd, const char *path, char **line, size_t *len) SIGNET_WUR;

/* ---- reading a log back before extending it (audit_scan.c) ------------- */

struct audit_scan {
	/* in: the writer's key, and what it must reach */
	EVP_PKEY *pub;
	enum signet_sig_alg alg;
	const char *key_id;
	uint64_t anchor_seq; /* 0: none */
	uint8_t anchor_hash[32];
	int whole; /* without an anchor, read to the start of the log */
	/* out */
	int cp_found; /* the last checkpoint */
	uint64_t cp_seq;
	uint8_t cp_hash[32];
	char cp_key[65];
	int cp_ok;        /* signed by the writer's key */
	char cp_why[256]; /* why not */
	int anchor_found, anchor_match;
	int64_t crl_max;     /* highest crl_number read */
	uint64_t first_seq;  /* the earliest record read */
	int reached_start;   /* the start of the log (or of the file list) */
	int archive_missing; /* a rotated file it continues is gone */
};

/*
 * Read the log at fd (named path) backward from end, through the rotated
 * files it continues, checking that each record chains to the next,
 * until the last checkpoint and (with an anchor) the anchor's seq have
 * been read. SIGNET_ERR_AUDIT for a broken chain or an invalid record.
 */
int audit_scan_back(int fd, const char *path, off_t end, struct audit_scan *s)
    SIGNET_WUR;

/* ---- reading a log file line by line ----------------------------------- */

struct audit_reader;

/* Open path for audit_reader_next; SIGNET_ERR_IO if it cannot be read. */
int audit_reader_open(const char *path, struct audit_reader **out) SIGNET_WUR;
/*
 * The next line (no LF) in *line, valid until the next call; *complete is 0
 * for a last line without LF. Returns 1 for a line, 0 at the end, or an
 * error: SIGNET_ERR_IO, or SIGNET_ERR_VERIFY for a line longer than
 * SIGNET_AUDIT_LINE_MAX (which ends the reading).
 */
int audit_reader_next(struct audit_reader *r, const char **line, size_t *len,
    int *complete) SIGNET_WUR;
/* 1-based number of the line last returned. */
uint64_t audit_reader_lineno(const struct audit_reader *r);
void audit_reader_free(struct audit_reader *r);

#endif /* SIGNET_AUDIT_INT_H */
