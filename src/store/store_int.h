/*
 * Inside the certificate store: the backend interface and the handle.
 *
 * All SQL lives in the backend-independent files (store.c, store_cert.c,
 * store_crl.c, store_check.c) and is written once, portably: '?'
 * placeholders (numbered in order of appearance; a backend that wants $1
 * rewrites them), BIGINT seconds for times, TEXT hex for hashes and
 * serials, INSERT ... ON CONFLICT DO NOTHING, UPDATE ... RETURNING, and
 * no engine-specific functions. Schema text uses tokens a backend
 * replaces: {ID} (an auto-assigned BIGINT primary key), {BLOB}, and {HEX}
 * (TEXT ordered byte by byte: PostgreSQL wants COLLATE "C").
 *
 * A backend only moves statements and values between that SQL and its
 * engine, and maps its errors: a unique violation is SIGNET_ERR_CONFLICT,
 * everything else SIGNET_ERR_STORE, with retryable() telling whether the
 * failed transaction is worth running again (lock or serialisation).
 */
#ifndef SIGNET_STORE_INT_H
#define SIGNET_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "signet/store.h"
#include "util/der.h"

struct store_stmt; /* defined by each backend */

struct store_backend {
	const char *name;
	const char *type_id;   /* replaces {ID} */
	const char *type_blob; /* replaces {BLOB} */
	const char *type_hex;  /* replaces {HEX} */
	/* SELECT counting tables named by the one parameter. */
	const char *sql_table_exists;
	/* SELECT counting all tables of the database, signet's or not. */
	const char *sql_table_count;
	/*
	 * Settings for a connection that reads the database through once
	 * (signet_store_set_scan), without results; NULL: none.
	 */
	const char *sql_scan;

	/*
	 * Connect to target: what follows "sqlite:", or the whole URL for a
	 * server. o is never NULL.
	 */
	int (*open)(const char *target, const struct signet_store_options *o,
	    void **db);
	/*
	 * Per-connection settings that may write to the database (SQLite:
	 * journal_mode=WAL): called only after the schema version was found
	 * acceptable, so a newer database is never touched. May be NULL.
	 */
	int (*setup)(void *db);
	void (*close)(void *db);

	/* Run statements without parameters or results (DDL). */
	int (*exec)(void *db, const char *sql);
	int (*prepare)(void *db, const char *sql, struct store_stmt **out);
	/* Parameters are numbered from 1. bind_text(NULL) binds NULL. */
	int (*bind_int64)(struct store_stmt *s, int i, int64_t v);
	int (*bind_text)(struct store_stmt *s, int i, const char *v);
	int (*bind_blob)(struct store_stmt *s, int i, const void *p, size_t n);
	/* 1: a row is ready; 0: done; negative: error (recorded). */
	int (*step)(struct store_stmt *s);
	/* Columns are numbered from 0, valid until the next step or reset. */
	int (*column_is_null)(struct store_stmt *s, int i);
	int64_t (*column_int64)(struct store_stmt *s, int i);
	const char *(*column_text)(struct store_stmt *s, int i);
	const uint8_t *(*column_blob)(struct store_stmt *s, int i, size_t *n);
	/* Make a statement ready to run again, clearing its parameters. */
	void (*reset)(struct store_stmt *s);
	void (*finalize)(struct store_stmt *s);

	/* Start a write transaction, waiting for other writers. */
	int (*begin)(void *db);
	/*
	 * The same, for a transaction whose commit may return before it is
	 * on disk: a power cut can lose it (and only it, with the ones
	 * after it), never the database's consistency. Commit and rollback
	 * end it as any other.
	 */
	int (*begin_lazy)(void *db);
	/*
	 * Start a read-only transaction that sees one snapshot of the whole
	 * database (copy, export); ended with rollback.
	 */
	int (*begin_read)(void *db);
	int (*commit)(void *db);
	int (*rollback)(void *db);
	/* 1 if the last failure was a lock or serialisation conflict. */
	int (*retryable)(void *db);
	/*
	 * 1 if the last commit failed in a way that leaves its outcome
	 * unknown (the connection was lost after COMMIT was sent, and the
	 * server could not tell what became of it). NULL: never.
	 */
	int (*commit_unknown)(void *db);
	/*
	 * Inside the migration's transaction, before the schema version is
	 * read: make other processes migrating the same database wait until
	 * this transaction ends. NULL when begin() already excludes them.
	 */
	int (*lock_schema)(void *db);
	/*
	 * The engine's own consistency check, calling problem for each
	 * finding; NULL if the engine has none worth running.
	 */
	int (*integrity)(void *db,
	    void (*problem)(const char *detail, void *arg), void *arg);
};

extern const struct store_backend store_sqlite_backend;
#ifdef SIGNET_HAVE_LIBPQ
extern const struct store_backend store_pg_backend;
#endif

#define STORE_STMT_CACHE 48

struct store_cached_stmt {
	char *sql;
	struct store_stmt *stmt;
	int in_use;
};

struct signet_store {
	const struct store_backend *be;
	void *db;
	char *url;
	int version;
	int in_txn;           /* inside signet_store_begin */
	int no_migrate;       /* opened with an older schema left as it is */
	int commit_uncertain; /* the last commit's outcome is unknown */
	int in_callback;      /* inside an iteration callback */
	unsigned savepoint;
	struct store_cached_stmt cache[STORE_STMT_CACHE];
	/* issuer id -> row id, filled only from committed rows */
	struct {
		char key[65];
		int64_t id;
	} issuers[8];
	size_t n_issuers;
};

/* ---- statements (store.c) ------------------------------------------------ */

/*
 * A statement being run: parameters are bound in order with q_int, q_text,
 * q_blob; the first binding error is kept and returned by q_step.
 */
struct store_q {
	struct signet_store *st;
	struct store_stmt *stmt;
	int slot; /* cache slot, or -1 for a one-off statement */
	int nbind;
	int err;
};

int store_q_open(struct signet_store *st, const char *sql, struct store_q *q)
    SIGNET_WUR;
void store_q_int(struct store_q *q, int64_t v);
void store_q_text(struct store_q *q, const char *v);
void store_q_blob(struct store_q *q, const void *p, size_t n);
/* 1 row, 0 done, negative error. */
int store_q_step(struct store_q *q) SIGNET_WUR;
/* Run to completion, expecting no row. */
int store_q_exec(struct store_q *q) SIGNET_WUR;
int64_t store_q_col_int(struct store_q *q, int i);
const char *store_q_col_text(struct store_q *q, int i); /* NULL for NULL */
const uint8_t *store_q_col_blob(struct store_q *q, int i, size_t *n);
int store_q_col_is_null(struct store_q *q, int i);
/* Release the statement (reset, back to the cache); safe to repeat. */
void store_q_close(struct store_q *q);

/*
 * Run fn as one unit of work: its own transaction outside
 * signet_store_begin (retried while other processes hold locks), a
 * savepoint inside one, so that a failing fn never leaves partial work.
 */
typedef int (*store_work_fn)(struct signet_store *st, void *arg);
int
store_write(struct signet_store *st, store_work_fn fn, void *arg) SIGNET_WUR;
/*
 * store_write for state a power cut may lose without harm (ACME nonces:
 * a lost one is refused as unknown, and the client takes a new one): the
 * commit does not wait for the disk. Never for certificates, revocations
 * or anything the audit log or a client relies on being kept. Inside
 * signet_store_begin it is an ordinary savepoint of that transaction.
 */
int store_write_lazy(struct signet_store *st, store_work_fn fn, void *arg)
    SIGNET_WUR;
/* Run fn for reading; refuses calls from inside a callback. */
int store_read(struct signet_store *st, store_work_fn fn, void *arg) SIGNET_WUR;
/* Guard for public entry points: refuses calls from inside a callback. */
int store_guard(struct signet_store *st) SIGNET_WUR;

/* ---- values (store.c) ----------------------------------------------------- */

/* Validate an issuer id and lower-case it into out[65]. */
int store_issuer_norm(const char *issuer, char out[65]) SIGNET_WUR;
/*
 * Parse a serial: canonical hex into canon (2 * 20 + 1), the 40-digit
 * zero-padded form the database keys on (so that text order is numeric
 * order) into padded[41].
 */
int store_serial_norm(const char *serial, char canon[41], char padded[41])
    SIGNET_WUR;
/* The canonical form of a padded serial from the database. */
const char *store_serial_canon(const char *padded);
/* Check a string field's presence and size, naming it in the error. */
int store_text_check(const char *field, const char *v, size_t max,
    int may_be_empty) SIGNET_WUR;
/*
 * Row id of an issuer; SIGNET_ERR_NOT_FOUND if it has no rows yet, unless
 * create, which registers it (inside the current write).
 */
int store_issuer_id(struct signet_store *st, const char *issuer, int create,
    int64_t now, int64_t *id) SIGNET_WUR;
/* Status name <-> enum, as stored. */
const char *store_status_sql(enum signet_cert_status s);
int store_status_parse(const char *s);

/* ---- DER (store.c) -------------------------------------------------------- */

/*
 * A UTCTime or GeneralizedTime in DER form (RFC 5280 4.1.2.5) at c, as
 * seconds since the epoch: 1 if read, 0 if the next element is not a time
 * (c unchanged), -1 if it is a malformed one.
 */
int store_der_time(struct der_cur *c, int64_t *out);

/* ---- certificate DER checks (store_cert.c) -------------------------------- */

struct store_cert_expect {
	const char *serial_padded;
	int64_t not_before;
	int64_t not_after;
	const char *spki_sha256; /* hex */
};
/*
 * Compare a DER certificate with what its row says; on a mismatch returns
 * SIGNET_ERR_VERIFY with a message naming the field. If issuer_key is not
 * NULL, the signature is verified with it too.
 */
int store_cert_der_check(const uint8_t *der, size_t der_len,
    const struct store_cert_expect *e, EVP_PKEY *issuer_key) SIGNET_WUR;
/* Fill a row from a SELECT of STORE_CERT_COLUMNS. */
void store_cert_from_q(struct store_q *q, struct signet_store_cert *c,
    const char *issuer, int with_der);
#define STORE_CERT_COLUMNS_NODER                                            \
	"c.serial, c.status, c.subject, c.sans, c.spki_sha256, "            \
	"c.not_before, c.not_after, c.profile, c.requester, c.created_at, " \
	"c.issued_at, c.cert_sha256, c.failure, c.revoked_at, "             \
	"c.revocation_reason, i.issuer_key"
#define STORE_CERT_COLUMNS STORE_CERT_COLUMNS_NODER ", c.der"

/* ---- CRL DER checks (store_crl.c) ----------------------------------------- */

int store_crl_der_check(const uint8_t *der, size_t der_len, int64_t number,
    int64_t base, int64_t this_update, int64_t next_update,
    EVP_PKEY *issuer_key) SIGNET_WUR;

/* ---- moving records (store_copy.c, store_export.c) ------------------------ */

enum store_col_type {
	STORE_COL_INT = 1,
	STORE_COL_TEXT,
	STORE_COL_BLOB,
};

/* A column as copied and exported; natural keys, never row ids. */
struct store_col {
	const char *name;
	enum store_col_type type;
	int nullable;
	size_t max; /* bytes, for text and blobs read from an export */
};

#define STORE_COLS_MAX 20

/*
 * A table as moved between databases: how to read it in canonical order
 * (issuers, certificates and CRLs in row order, which is reservation and
 * allocation order; keys by value) and how to write a row of it.
 */
struct store_table {
	const char *name;
	const struct store_col *cols;
	size_t ncols;
	const char *select;
	const char *insert;
	const char *count;
};

/* One value of a row; p points into the statement or the parsed line. */
struct store_val {
	int null;
	int64_t i;
	const void *p; /* text (NUL-terminated) or blob */
	size_t n;
};

extern const struct store_table store_tables[];
extern const size_t store_n_tables;

typedef int (*store_row_fn)(const struct store_table *t,
    const struct store_val *v, void *arg);

/* Every row of t in canonical order, streaming. */
int store_rows_read(struct signet_store *st, const struct store_table *t,
    store_row_fn fn, void *arg) SIGNET_WUR;
/* Write one row into t (inside the caller's transaction). */
int store_row_insert(struct signet_store *st, const struct store_table *t,
    const struct store_val *v) SIGNET_WUR;

/* The content hash: SHA-256 over a canonical encoding of every row. */
struct store_digest;
struct store_digest *store_digest_new(void);
void store_digest_free(struct store_digest *dg);
void store_digest_table(struct store_digest *dg, const struct store_table *t);
void store_digest_row(struct store_digest *dg, const struct store_table *t,
    const struct store_val *v);
/* Folds the row counts in and writes the hex hash. */
int store_digest_final(struct store_digest *dg,
    const struct signet_store_inventory *rows, char hash[65]) SIGNET_WUR;
/* Counts and hash of st as it is seen now (in the current transaction). */
int
store_content_read(struct signet_store *st, struct signet_store_inventory *rows,
    char hash[65], signet_store_progress_cb cb, void *arg) SIGNET_WUR;
/* Rows of each table; refuses with SIGNET_ERR_CONFLICT unless all are 0. */
int store_require_empty(struct signet_store *st) SIGNET_WUR;
/* The inventory field of table number i. */
int64_t *store_inventory_slot(struct signet_store_inventory *rows, size_t i);
/* Call a progress callback with the stores marked as in a callback. */
int store_progress(struct signet_store *st, signet_store_progress_cb cb,
    void *arg, const char *table, int64_t done, int64_t total) SIGNET_WUR;

/* ---- for tests only ------------------------------------------------------- */

/*
 * Open with the schema brought to version target at most (tests build
 * an older database to migrate from); target 0 only connects, looking
 * at no schema at all (tests empty a server database with it).
 */
int store_open_version(const char *url, int target, struct signet_store **out)
    SIGNET_WUR;
/* Run SQL directly (tests tamper with rows as an intruder would). */
int store_exec_raw(struct signet_store *st, const char *sql) SIGNET_WUR;
/* Drop every signet table (tests reuse one server database). */
int store_drop_all(struct signet_store *st) SIGNET_WUR;

#endif /* SIGNET_STORE_INT_H */
