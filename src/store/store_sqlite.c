/*
 * The SQLite backend: a database file shared by the signet processes of
 * one machine. WAL journal so readers never wait for the writer,
 * synchronous=FULL so a committed row survives a power cut, BEGIN
 * IMMEDIATE so writers queue on the lock (with a busy timeout) instead of
 * failing halfway, and file modes checked before SQLite opens anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_int.h"
#include "util/file.h"

/* How long one attempt waits for another process's lock. */
#define SQ_BUSY_TIMEOUT_MS 10000

/*
 * Statements kept prepared after use, per connection: most requests run
 * the same few statements, and preparing one (parsing the SQL, planning)
 * cost more than running it. A statement is taken out while in use, so
 * two uses of the same SQL at once each have their own.
 */
#define SQ_KEPT 64

struct sq_db {
	sqlite3 *db;
	struct store_stmt *kept[SQ_KEPT];
	unsigned kept_next; /* the slot to reuse when all are taken */
	char *path;
	int busy;  /* the last failure was a lock conflict */
	int lazy;  /* synchronous=NORMAL for a lazy transaction */
	dev_t dev; /* the database file, while registered below */
	ino_t ino;
	int registered;
};

/*
 * Databases this process has open. POSIX record locks belong to the
 * process, and closing any descriptor of a file drops all of them: the
 * checks below open and close the database and its -wal and -shm, which
 * would drop the locks an open connection holds on them, and other
 * processes would then take the WAL index for abandoned (SQLite's
 * "locking protocol" errors, SIGBUS when its -shm is truncated under a
 * mapping). So a second connection to a database this process already
 * has open, checked when the first was opened, is not checked again.
 */
static pthread_mutex_t sq_open_lock = PTHREAD_MUTEX_INITIALIZER;
struct sq_open_file {
	dev_t dev;
	ino_t ino;
	unsigned refs;
};
#define SQ_OPEN_MAX 16
static struct sq_open_file sq_open_files[SQ_OPEN_MAX];

/* 1 when (dev, ino) is open here; with add, count one more user. */
static int
sq_open_note(dev_t dev, ino_t ino, int add)
{
	size_t i, free_slot = SQ_OPEN_MAX;
	int found = 0;

	pthread_mutex_lock(&sq_open_lock);
	for (i = 0; i < SQ_OPEN_MAX; i++) {
		if (sq_open_files[i].refs > 0 && sq_open_files[i].dev == dev &&
		    sq_open_files[i].ino == ino) {
			found = 1;
			if (add)
				sq_open_files[i].refs++;
			break;
		}
		if (sq_open_files[i].refs == 0 && free_slot == SQ_OPEN_MAX)
			free_slot = i;
	}
	if (!found && add && free_slot < SQ_OPEN_MAX) {
		sq_open_files[free_slot].dev = dev;
		sq_open_files[free_slot].ino = ino;
		sq_open_files[free_slot].refs = 1;
	}
	pthread_mutex_unlock(&sq_open_lock);
	return found;
}

static void
sq_open_forget(struct sq_db *d)
{
	size_t i;

	if (!d->registered)
		return;
	pthread_mutex_lock(&sq_open_lock);
	for (i = 0; i < SQ_OPEN_MAX; i++)
		if (sq_open_files[i].refs > 0 &&
		    sq_open_files[i].dev == d->dev &&
		    sq_open_files[i].ino == d->ino) {
			sq_open_files[i].refs--;
			break;
		}
	pthread_mutex_unlock(&sq_open_lock);
	d->registered = 0;
}

struct store_stmt {
	struct sq_db *d;
	sqlite3_stmt *stmt;
};

/* A hint for the operator when the file or its directory is the cause. */
static const char *
sq_hint(struct sq_db *d, int rc, char *buf, size_t len)
{
	char *dir;

	buf[0] = '\0';
	switch (rc & 0xff) {
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		if ((dir = file_dirname(d->path)) == NULL)
			break;
		if (access(d->path, R_OK | W_OK) == -1 && errno != ENOENT)
			snprintf(buf, len,
			    "; %s is not readable and writable by this user",
			    d->path);
		else if (access(dir, W_OK | X_OK) == -1)
			snprintf(buf, len,
			    "; directory %s is not writable by this user, and "
			    "SQLite keeps its -wal and -shm files there",
			    dir);
		else
			snprintf(buf, len,
			    "; the database file and its directory must be "
			    "writable by the signet user");
		free(dir);
		break;
	case SQLITE_FULL:
		snprintf(buf, len, "; the disk is full");
		break;
	case SQLITE_IOERR:
		/* "disk I/O error" alone does not say a disk is full. */
		if (d->db != NULL && sqlite3_system_errno(d->db) == ENOSPC)
			snprintf(buf, len, "; the disk is full (%s)",
			    strerror(ENOSPC));
		else if (d->db != NULL && sqlite3_system_errno(d->db) != 0)
			snprintf(buf, len, " (%s)",
			    strerror(sqlite3_system_errno(d->db)));
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		snprintf(buf, len,
		    "; %s is damaged or not an SQLite database (restore it "
		    "from a backup)",
		    d->path);
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_PROTOCOL:
		snprintf(buf, len,
		    "; another process held the database lock for too long");
		break;
	default:
		break;
	}
	return buf;
}

/* Record an SQLite failure; a unique violation is a conflict. */
static int
sq_err(struct sq_db *d, int rc, const char *what)
{
	char hint[512];
	int code = SIGNET_ERR_STORE;

	/*
	 * SQLITE_PROTOCOL: in WAL mode, another process kept changing the
	 * WAL index while SQLite tried to take a read lock; like BUSY, the
	 * unit of work can run again (store.c bounds the retries).
	 */
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ||
	    (rc & 0xff) == SQLITE_PROTOCOL)
		d->busy = 1;
	if (rc == SQLITE_CONSTRAINT_UNIQUE ||
	    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		code = SIGNET_ERR_CONFLICT;
	return signet_error_set(code, "%s %s: %s%s", what, d->path,
	    d->db != NULL ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc),
	    sq_hint(d, rc, hint, sizeof(hint)));
}

/* A file-level refusal, keeping the reason util/file.c gave. */
static int
sq_refuse(const char *path, const char *why)
{
	char reason[sizeof(((struct signet_error_info *)0)->message)];

	snprintf(reason, sizeof(reason), "%s", signet_error_message());
	return signet_error_set(SIGNET_ERR_STORE,
	    "refusing database %s (%s): %s", path, why, reason);
}

/*
 * Before SQLite sees the path: create a missing database 0600 ourselves
 * (SQLite would use the umask), refuse one others can write, and give a
 * clear message for a file this user cannot write.
 */
static int
sq_file_check(struct sq_db *d)
{
	static const char *const sidecars[] = { "-wal", "-shm" };
	char side[4096];
	struct stat st;
	size_t i;
	int fd;

	/* Open here already: checked then, and its locks must stay. */
	if (lstat(d->path, &st) == 0 && S_ISREG(st.st_mode) &&
	    sq_open_note(st.st_dev, st.st_ino, 0))
		return 0;
	fd = open(d->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd >= 0) {
		close(fd);
		if (file_sync_dir(d->path) != 0)
			return sq_refuse(d->path, "cannot sync its directory");
	} else if (errno != EEXIST)
		return signet_error_sys(SIGNET_ERR_STORE,
		    "cannot create database %s", d->path);
	if (lstat(d->path, &st) == -1)
		return signet_error_sys(SIGNET_ERR_STORE,
		    "cannot open database %s", d->path);
	if (S_ISLNK(st.st_mode))
		return signet_error_set(SIGNET_ERR_STORE,
		    "database %s is a symbolic link; give signet the real "
		    "path (a link could be turned to another file)",
		    d->path);
	if (!S_ISREG(st.st_mode))
		return signet_error_set(SIGNET_ERR_STORE,
		    "database %s is not a regular file", d->path);
	if (file_check_private(d->path, 0) != 0)
		return sq_refuse(d->path, "anyone who can write it can forge "
					  "the CA's records");
	/* Even root must not write a file its owner marked read-only. */
	if ((st.st_mode & S_IWUSR) == 0)
		return signet_error_set(SIGNET_ERR_STORE,
		    "database %s is read-only (mode %04o); signet records "
		    "every issuance in it: run chmod 600 %s",
		    d->path, (unsigned)(st.st_mode & 07777), d->path);
	if (access(d->path, R_OK | W_OK) == -1)
		return signet_error_sys(SIGNET_ERR_STORE,
		    "cannot open database %s for reading and writing", d->path);
	for (i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", d->path, sidecars[i]);
		if (file_exists(side) && file_check_private(side, 0) != 0)
			return sq_refuse(d->path, "its journal is not private");
	}
	return 0;
}

/* Between attempts at a statement a lock refused: 1, 2, 4 ... 100 ms. */
static void
sq_pause(unsigned attempt)
{
	struct timespec pause = { 0, 0 };

	pause.tv_nsec = (long)(attempt < 7 ? 1L << attempt : 100) * 1000000L;
	while (nanosleep(&pause, &pause) == -1 && errno == EINTR)
		;
}

static int
sq_pragma_once(struct sq_db *d, const char *sql, int64_t *v)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*v = -1;
	if ((rc = sqlite3_prepare_v2(d->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return sq_err(d, rc, "cannot configure");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		rc = sq_err(d, rc, "cannot configure");
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return 0;
}

/*
 * A PRAGMA at open reads the schema, which under many writers may meet
 * the lock errors a unit of work would retry (BUSY beyond the busy
 * timeout, PROTOCOL): retry it too, for up to about a minute.
 */
static int
sq_pragma_int(struct sq_db *d, const char *sql, int64_t *v)
{
	unsigned attempt;
	int r;

	for (attempt = 0;; attempt++) {
		d->busy = 0;
		if ((r = sq_pragma_once(d, sql, v)) == 0 || !d->busy ||
		    attempt >= 600)
			return r;
		sq_pause(attempt);
	}
}

static void
sq_kept_free(struct sq_db *d)
{
	size_t i;

	for (i = 0; i < SQ_KEPT; i++)
		if (d->kept[i] != NULL) {
			sqlite3_finalize(d->kept[i]->stmt);
			free(d->kept[i]);
			d->kept[i] = NULL;
		}
}

static void
sq_close(void *db)
{
	struct sq_db *d = db;

	if (d == NULL)
		return;
	sq_kept_free(d);
	if (d->db != NULL)
		sqlite3_close_v2(d->db);
	sq_open_forget(d);
	free(d->path);
	free(d);
}

static int
sq_open(const char *target, const struct signet_store_options *o, void **out)
{
	struct sq_db *d = NULL;
	int64_t v;
	int r = SIGNET_ERR_INTERNAL, rc;

	(void)o;
	*out = NULL;
	if (*target == '\0') {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "sqlite: URL without a path");
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->path = strdup(target)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = sq_file_check(d)) != 0)
		goto out;
	rc = sqlite3_open_v2(d->path, &d->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		r = sq_err(d, rc, "cannot open database");
		goto out;
	}
	{
		struct stat st;

		if (lstat(d->path, &st) == 0) {
			d->dev = st.st_dev;
			d->ino = st.st_ino;
			d->registered = 1;
			(void)sq_open_note(st.st_dev, st.st_ino, 1);
		}
	}
	sqlite3_extended_result_codes(d->db, 1);
	sqlite3_busy_timeout(d->db, SQ_BUSY_TIMEOUT_MS);
	/* No schema tricks: the file is data, not code. */
	sqlite3_db_config(d->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(d->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if ((r = sq_pragma_int(d, "PRAGMA cache_size = -65536", &v)) != 0 ||
	    (r = sq_pragma_int(d, "PRAGMA foreign_keys = ON", &v)) != 0 ||
	    (r = sq_pragma_int(d, "PRAGMA foreign_keys", &v)) != 0)
		goto out;
	if (v != 1) {
		r = signet_error_set(SIGNET_ERR_STORE,
		    "this SQLite cannot enforce foreign keys");
		goto out;
	}
	*out = d;
	d = NULL;
	r = 0;
out:
	sq_close(d);
	return r;
}

/* Called once the schema version is known to be one we may write. */
static int
sq_setup(void *db)
{
	struct sq_db *d = db;
	sqlite3_stmt *s = NULL;
	const char *mode;
	int64_t v;
	int r, rc;

	d->busy = 0;
	if ((rc = sqlite3_prepare_v2(d->db, "PRAGMA journal_mode = WAL", -1, &s,
		 NULL)) != SQLITE_OK)
		return sq_err(d, rc, "cannot configure");
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		r = sq_err(d, rc, "cannot switch to WAL journal mode on");
		sqlite3_finalize(s);
		return r;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		r = signet_error_set(SIGNET_ERR_STORE,
		    "cannot switch %s to WAL journal mode (it stays in '%s'); "
		    "the database and its directory must be writable",
		    d->path, mode != NULL ? mode : "?");
		sqlite3_finalize(s);
		return r;
	}
	sqlite3_finalize(s);
	/* FULL: WAL is synced at every commit; NORMAL could lose the last. */
	if ((r = sq_pragma_int(d, "PRAGMA synchronous = FULL", &v)) != 0 ||
	    (r = sq_pragma_int(d, "PRAGMA synchronous", &v)) != 0)
		return r;
	if (v != 2)
		return signet_error_set(SIGNET_ERR_STORE,
		    "cannot set synchronous=FULL on %s", d->path);
	return 0;
}

static int
sq_exec(void *db, const char *sql)
{
	struct sq_db *d = db;
	int rc;

	if ((rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return sq_err(d, rc, "database");
	return 0;
}

static int
sq_prepare(void *db, const char *sql, struct store_stmt **out)
{
	struct sq_db *d = db;
	struct store_stmt *s;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < SQ_KEPT; i++)
		if (d->kept[i] != NULL &&
		    strcmp(sqlite3_sql(d->kept[i]->stmt), sql) == 0) {
			*out = d->kept[i];
			d->kept[i] = NULL;
			return 0;
		}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	s->d = d;
	rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->stmt, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return sq_err(d, rc, "cannot query");
	}
	*out = s;
	return 0;
}

static int
sq_bind_int64(struct store_stmt *s, int i, int64_t v)
{
	int rc;

	if ((rc = sqlite3_bind_int64(s->stmt, i, v)) != SQLITE_OK)
		return sq_err(s->d, rc, "cannot query");
	return 0;
}

static int
sq_bind_text(struct store_stmt *s, int i, const char *v)
{
	int rc;

	rc = v == NULL ? sqlite3_bind_null(s->stmt, i)
		       : sqlite3_bind_text(s->stmt, i, v, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return sq_err(s->d, rc, "cannot query");
	return 0;
}

static int
sq_bind_blob(struct store_stmt *s, int i, const void *p, size_t n)
{
	int rc;

	rc = sqlite3_bind_blob64(s->stmt, i, p != NULL ? p : "", n,
	    SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return sq_err(s->d, rc, "cannot query");
	return 0;
}

static int
sq_step(struct store_stmt *s)
{
	int rc = sqlite3_step(s->stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = sq_err(s->d, rc, "database");
	sqlite3_reset(s->stmt);
	return rc;
}

static int
sq_column_is_null(struct store_stmt *s, int i)
{
	return sqlite3_column_type(s->stmt, i) == SQLITE_NULL;
}

static int64_t
sq_column_int64(struct store_stmt *s, int i)
{
	return sqlite3_column_int64(s->stmt, i);
}

static const char *
sq_column_text(struct store_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s->stmt, i);

	return t != NULL ? (const char *)t : "";
}

static const uint8_t *
sq_column_blob(struct store_stmt *s, int i, size_t *n)
{
	const void *p = sqlite3_column_blob(s->stmt, i);

	*n = (size_t)sqlite3_column_bytes(s->stmt, i);
	return p;
}

static void
sq_reset(struct store_stmt *s)
{
	sqlite3_reset(s->stmt);
	sqlite3_clear_bindings(s->stmt);
}

/* Back among the kept statements, reset, its parameters cleared. */
static void
sq_finalize(struct store_stmt *s)
{
	struct sq_db *d;
	struct store_stmt *old;
	size_t i;

	if (s == NULL)
		return;
	d = s->d;
	sqlite3_reset(s->stmt);
	sqlite3_clear_bindings(s->stmt);
	for (i = 0; i < SQ_KEPT; i++)
		if (d->kept[i] == NULL) {
			d->kept[i] = s;
			return;
		}
	i = d->kept_next++ % SQ_KEPT;
	old = d->kept[i];
	d->kept[i] = s;
	sqlite3_finalize(old->stmt);
	free(old);
}

/*
 * IMMEDIATE takes the write lock now, waiting under the busy timeout; a
 * deferred transaction would find the lock taken only at its first write
 * and fail there, after work was done.
 */
/*
 * One statement without results through the kept statements: the
 * transaction control of every unit of work (BEGIN, COMMIT, the lazy
 * transactions' PRAGMA synchronous) is prepared once per connection.
 */
static int
sq_run(struct sq_db *d, const char *sql)
{
	struct store_stmt *s;
	int r;

	if ((r = sq_prepare(d, sql, &s)) != 0)
		return r;
	while ((r = sq_step(s)) == 1)
		;
	sq_finalize(s);
	return r;
}

/*
 * After a lazy transaction ended: back to synchronous=FULL. 0, or an error
 * (then d->lazy stays set and the next begin tries again).
 */
static int
sq_lazy_end(struct sq_db *d)
{
	int r;

	if (!d->lazy || !sqlite3_get_autocommit(d->db))
		return 0;
	if ((r = sq_run(d, "PRAGMA synchronous = FULL")) != 0)
		return r;
	d->lazy = 0;
	return 0;
}

static int
sq_begin(void *db)
{
	struct sq_db *d = db;
	int r;

	d->busy = 0;
	/* A lazy transaction's setting never outlives it. */
	if ((r = sq_lazy_end(d)) != 0)
		return r;
	return sq_run(d, "BEGIN IMMEDIATE");
}

/*
 * In WAL mode, synchronous=NORMAL commits without syncing the WAL: a power
 * cut may lose the last transactions, never consistency. The next
 * synchronous=FULL commit syncs the WAL, and these with it.
 */
static int
sq_begin_lazy(void *db)
{
	struct sq_db *d = db;
	int r;

	d->busy = 0;
	if ((r = sq_run(d, "PRAGMA synchronous = NORMAL")) != 0)
		return r;
	d->lazy = 1;
	if ((r = sq_run(d, "BEGIN IMMEDIATE")) != 0)
		(void)sq_lazy_end(d);
	return r;
}

/* Deferred: the first read takes the snapshot, and writers go on. */
static int
sq_begin_read(void *db)
{
	struct sq_db *d = db;

	d->busy = 0;
	return sq_run(d, "BEGIN DEFERRED");
}

static int
sq_commit(void *db)
{
	struct sq_db *d = db;
	unsigned attempt;
	int r;

	/*
	 * A COMMIT refused for a lock (BUSY, or PROTOCOL: the WAL index kept
	 * changing under many writers) leaves the transaction open, as
	 * SQLite documents: try it again, for up to about a minute, rather
	 * than throw away work another process only delayed.
	 */
	for (attempt = 0;; attempt++) {
		d->busy = 0;
		if ((r = sq_run(d, "COMMIT")) == 0 || !d->busy ||
		    sqlite3_get_autocommit(d->db) || attempt >= 600) {
			/* Its outcome stands; a failure here is retried. */
			(void)sq_lazy_end(d);
			return r;
		}
		sq_pause(attempt);
	}
}

static int
sq_rollback(void *db)
{
	struct sq_db *d = db;
	int r = 0;

	/* Nothing to undo when SQLite already rolled back (I/O errors). */
	if (!sqlite3_get_autocommit(d->db))
		r = sq_run(d, "ROLLBACK");
	(void)sq_lazy_end(d);
	return r;
}

static int
sq_retryable(void *db)
{
	struct sq_db *d = db;

	return d->busy;
}

static int
sq_integrity(void *db, void (*problem)(const char *detail, void *arg),
    void *arg)
{
	struct sq_db *d = db;
	sqlite3_stmt *s = NULL;
	const char *msg;
	int rc, r = 0;

	if ((rc = sqlite3_prepare_v2(d->db, "PRAGMA quick_check", -1, &s,
		 NULL)) != SQLITE_OK)
		return sq_err(d, rc, "cannot check");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		msg = (const char *)sqlite3_column_text(s, 0);
		if (msg != NULL && strcmp(msg, "ok") != 0)
			problem(msg, arg);
	}
	if (rc != SQLITE_DONE)
		r = sq_err(d, rc, "cannot check");
	sqlite3_finalize(s);
	if (r != 0)
		return r;
	if ((rc = sqlite3_prepare_v2(d->db, "PRAGMA foreign_key_check", -1, &s,
		 NULL)) != SQLITE_OK)
		return sq_err(d, rc, "cannot check");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char buf[256];

		snprintf(buf, sizeof(buf),
		    "row %lld of table %s refers to a missing row of %s",
		    (long long)sqlite3_column_int64(s, 1),
		    (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 2));
		problem(buf, arg);
	}
	if (rc != SQLITE_DONE)
		r = sq_err(d, rc, "cannot check");
	sqlite3_finalize(s);
	return r;
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	/* INTEGER PRIMARY KEY is the rowid: compact, assigned on insert. */
	.type_id = "INTEGER PRIMARY KEY",
	.type_blob = "BLOB",
	/* SQLite's default collation, BINARY, compares bytes. */
	.type_hex = "TEXT",
	.sql_table_exists = "SELECT count(*) FROM sqlite_master "
			    "WHERE type = 'table' AND name = ?",
	.sql_table_count = "SELECT count(*) FROM sqlite_master "
			   "WHERE type = 'table'",
	/* 8 MB instead of 64: a page read once gains nothing from a cache. */
	.sql_scan = "PRAGMA cache_size = -8192",
	.open = sq_open,
	.setup = sq_setup,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.step = sq_step,
	.column_is_null = sq_column_is_null,
	.column_int64 = sq_column_int64,
	.column_text = sq_column_text,
	.column_blob = sq_column_blob,
	.reset = sq_reset,
	.finalize = sq_finalize,
	.begin = sq_begin,
	.begin_lazy = sq_begin_lazy,
	.begin_read = sq_begin_read,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.retryable = sq_retryable,
	.integrity = sq_integrity,
};
