/*
 * The PostgreSQL backend: one database shared by the signet nodes that
 * issue under one CA.
 *
 * - Transactions are READ COMMITTED. Every invariant that matters is a
 *   constraint (serial unique per issuer) or a row lock taken by an
 *   UPDATE ... RETURNING on the issuer row (CRL numbers, revocation
 *   numbers): a second node waits for the lock and then sees the first
 *   one's committed value. Deadlocks, serialisation failures and lock
 *   timeouts (lock_timeout 10 s, like SQLite's busy timeout) are reported
 *   as retryable, and store.c runs the unit of work again.
 * - Statements are prepared once per connection and run in single-row
 *   mode, so a listing or the entries of a CRL with a million rows stream
 *   one row at a time instead of arriving as one result.
 * - store.c puts every call inside a transaction under a savepoint. Those
 *   SAVEPOINT and RELEASE commands are not sent on their own: they travel
 *   in one pipeline with the call's first statement, so that a call costs
 *   the round trips of its statements only (batch issuance).
 * - A lost connection is reported naming the server and reopened at the
 *   next call, never in the middle of a transaction. A connection lost
 *   after COMMIT was sent is resolved by asking the server, after
 *   reconnecting, what became of the transaction id (txid_status); if it
 *   cannot be asked, the commit is reported as of unknown outcome, never
 *   as a success.
 * - Passwords come from a file or the environment (util/secret.h) or
 *   libpq's passfile, never from the URL.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"
#include "store/store_pq.h"
#include "util/fault.h"
#include "util/secret.h"

/* How long a lock held by another node is waited for, per attempt. */
#define PG_LOCK_TIMEOUT "10s"
/* How long reconnecting keeps trying (a server restart takes seconds). */
#define PG_RECONNECT_MS 15000
/* How long a lost COMMIT's transaction may stay "in progress". */
#define PG_RESOLVE_MS 10000
/* Oldest server: identity columns and txid_status came in 10. */
#define PG_MIN_SERVER 100000
/* Unused prepared statements are dropped in batches of this many. */
#define PG_DEALLOC_BATCH 32
/*
 * The key of the advisory lock that orders migrations: "signet" and a
 * version of the lock's meaning, as a 64-bit number.
 */
#define PG_SCHEMA_LOCK "7308326827597201409"

/* The savepoint store.c wraps each call of a transaction in. */
#define PG_SAVEPOINT "SAVEPOINT signet_work"
#define PG_RELEASE "RELEASE SAVEPOINT signet_work"
#define PG_ROLLBACK_TO "ROLLBACK TO SAVEPOINT signet_work"

/* The binary type oids results may carry (pg_type.h). */
#define PG_OID_BOOL 16
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23

struct pg_db {
	PGconn *conn;
	char where[512];            /* user@host:port/db, for messages */
	unsigned gen;               /* bumped at every reconnect */
	unsigned next_name;         /* prepared statement names */
	int in_block;               /* BEGIN sent, no COMMIT or ROLLBACK yet */
	int broken;                 /* the connection was lost */
	int retry;                  /* the last failure is worth retrying */
	int commit_unknown;         /* the last COMMIT's outcome is unknown */
	int own_lock_timeout;       /* the URL's options set lock_timeout */
	char xid[24];               /* the open transaction's id, as text */
	struct store_stmt *running; /* whose results are being read */
	int piped; /* in pipeline mode until the sync is read */
	/* Savepoint commands owed to the server, sent with the next one. */
	enum { PG_SP_NONE, PG_SP_PENDING, PG_SP_LIVE } sp;
	int owe_release;
	char (*dealloc)[16]; /* names of finalized statements */
	size_t n_dealloc, cap_dealloc;
};

enum pg_state {
	PG_IDLE,     /* not sent */
	PG_RUNNING,  /* sent; results are read from the connection */
	PG_BUFFERED, /* sent; results were set aside (another statement ran) */
	PG_DONE,     /* all results read */
};

/* A result set aside (pg_spill). */
struct pg_held {
	PGresult *res;
};

struct store_stmt {
	struct pg_db *d;
	char *sql;     /* with $n placeholders */
	int is_select; /* may run again after a reconnect */
	char name[16]; /* server-side prepared statement */
	unsigned gen;  /* connection generation it was prepared in, or 0 */
	int nparams;
	const char **values;
	int *lengths;
	int *formats;
	char (*ints)[24]; /* text of integer parameters */
	enum pg_state state;
	int64_t rows;        /* rows handed out since it was sent */
	PGresult *row;       /* the current row */
	struct pg_held *buf; /* BUFFERED results */
	size_t nbuf, ibuf;
	char (*num)[24]; /* integer columns read as text */
	int nnum;
};

/* ---- errors --------------------------------------------------------------- */

static int64_t
pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pg_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* libpq's message for the connection, on one line. */
static const char *
pg_conn_message(struct pg_db *d, char *buf, size_t len)
{
	const char *m = d->conn != NULL ? PQerrorMessage(d->conn) : NULL;
	size_t i, n;

	snprintf(buf, len, "%s",
	    m != NULL && *m != '\0' ? m : "no message from libpq");
	n = strlen(buf);
	for (i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = i + 1 < n ? ' ' : '\0';
	return buf;
}

static int
pg_lost(struct pg_db *d)
{
	return d->conn == NULL || PQstatus(d->conn) == CONNECTION_BAD;
}

/* Connection-level SQLSTATEs: the session is over or about to be. */
static int
pg_state_fatal(const char *state)
{
	return state != NULL &&
	       (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
		   strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0);
}

/*
 * Record a failure of what (a short phrase). res may be NULL (the failure
 * is then the connection's). A unique violation is a conflict; a lost
 * connection says whether a transaction went with it.
 */
static int
pg_fail_state(struct pg_db *d, const char *state, const char *msg,
    const char *what)
{
	const char *hint = "";
	char buf[1024];
	int code = SIGNET_ERR_STORE;

	if (msg == NULL || *msg == '\0')
		msg = pg_conn_message(d, buf, sizeof(buf));
	if (pg_lost(d) || pg_state_fatal(state)) {
		d->broken = 1;
		return signet_error_set(SIGNET_ERR_STORE,
		    "lost the connection to PostgreSQL %s (%s)%s; signet "
		    "reconnects at the next call",
		    d->where, msg,
		    d->in_block ? ": the open transaction was not committed "
				  "(the server rolls it back)"
				: "");
	}
	if (state != NULL) {
		if (strcmp(state, "23505") == 0)
			code = SIGNET_ERR_CONFLICT;
		/* serialization_failure, deadlock_detected,
		 * lock_not_available (lock_timeout) */
		if (strcmp(state, "40001") == 0 ||
		    strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
			d->retry = 1;
		if (strcmp(state, "25006") == 0)
			hint =
			    "; this server only reads (a standby?): name the "
			    "primary, or add target_session_attrs=read-write "
			    "to a URL that lists several hosts";
		if (strcmp(state, "42501") == 0)
			hint = "; the database role lacks a privilege: let it "
			       "own the database or the schema signet uses";
	}
	return signet_error_set(code, "%s PostgreSQL %s: %s (SQLSTATE %s)%s",
	    what, d->where, msg, state != NULL ? state : "none", hint);
}

static int
pg_fail(struct pg_db *d, const PGresult *res, const char *what)
{
	const char *state = NULL, *msg = NULL;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	return pg_fail_state(d, state, msg, what);
}

/*
 * After a pipeline's last query: read up to its sync and leave pipeline
 * mode. Two NULLs in a row mean nothing more is queued.
 */
static void
pg_pipeline_end(struct pg_db *d)
{
	PGresult *res;
	int nulls = 0, synced = 0, tries;

	if (!d->piped)
		return;
	d->piped = 0;
	for (tries = 0; tries < 2; tries++) {
		while (!synced && nulls < 2 && !pg_lost(d)) {
			if ((res = PQgetResult(d->conn)) == NULL) {
				nulls++;
				continue;
			}
			nulls = 0;
			synced = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
			PQclear(res);
		}
		if (PQexitPipelineMode(d->conn) || pg_lost(d))
			return;
		/* A sync that was never sent (a send failed halfway). */
		if (!PQpipelineSync(d->conn))
			break;
		nulls = synced = 0;
	}
	d->broken = 1;
}

/* Read and drop whatever results are left of the last command. */
static void
pg_drain(struct pg_db *d)
{
	PGresult *res;

	while ((res = PQgetResult(d->conn)) != NULL)
		PQclear(res);
	pg_pipeline_end(d);
}

/* The library never prints: notices (DROP ... IF EXISTS) are dropped. */
static void
pg_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

/* ---- connecting ----------------------------------------------------------- */

/* Settings of each session, again after every reconnect. */
static int
pg_session_init(struct pg_db *d)
{
	PGresult *res;
	int r = 0;

	if (d->own_lock_timeout)
		return 0;
	res = PQexec(d->conn, "SET lock_timeout = '" PG_LOCK_TIMEOUT "'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = pg_fail(d, res, "cannot configure the session on");
	PQclear(res);
	return r;
}

/*
 * Reconnect with the parameters of the first connection (libpq keeps
 * them, the password included), trying for a while: a restarting server
 * refuses connections for a few seconds.
 */
static int
pg_reconnect(struct pg_db *d)
{
	int64_t deadline = pg_now_ms() + PG_RECONNECT_MS;
	long pause = 100;
	char buf[1024];

	for (;;) {
		PQreset(d->conn);
		if (PQstatus(d->conn) == CONNECTION_OK)
			break;
		if (pg_now_ms() > deadline)
			return signet_error_set(SIGNET_ERR_STORE,
			    "cannot reconnect to PostgreSQL %s: %s", d->where,
			    pg_conn_message(d, buf, sizeof(buf)));
		pg_sleep_ms(pause);
		pause = pause < 1000 ? pause * 2 : 1000;
	}
	/* Prepared statements died with the old session. */
	d->gen++;
	d->n_dealloc = 0;
	d->broken = 0;
	d->in_block = 0;
	d->piped = 0;
	d->sp = PG_SP_NONE;
	d->owe_release = 0;
	return pg_session_init(d);
}

/* Add key=value unless the URL set key itself. */
static int
pg_param_default(PQconninfoOption *opts, const char *key, const char *value,
    const char **keys, const char **values, size_t *n)
{
	PQconninfoOption *o;

	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL &&
		    *o->val != '\0')
			return 0;
	keys[*n] = key;
	values[*n] = value;
	(*n)++;
	return 0;
}

static const char *
pg_opt(PQconninfoOption *opts, const char *key)
{
	PQconninfoOption *o;

	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL &&
		    *o->val != '\0')
			return o->val;
	return NULL;
}

/* What a failed connection most likely needs, for the operator. */
static const char *
pg_connect_hint(const char *msg, int have_password)
{
	if (strstr(msg, "certificate verify failed") != NULL ||
	    strstr(msg, "root certificate file") != NULL)
		return "; the server's certificate must chain to the CA file "
		       "given as sslrootcert (and name the host for "
		       "sslmode=verify-full)";
	if (strstr(msg, "does not match host name") != NULL)
		return "; the server's certificate does not name the host "
		       "of the URL (sslmode=verify-full)";
	if (strstr(msg, "no password supplied") != NULL ||
	    (strstr(msg, "password authentication failed") != NULL &&
		!have_password))
		return "; give the password in a file: password-source: "
		       "file:PATH in signet.yaml, SIGNET_PG_PASSWORD_SOURCE="
		       "file:PATH, or passfile= in the URL";
	if (strstr(msg, "password authentication failed") != NULL)
		return "; the password from the password source was refused";
	if (strstr(msg, "Connection refused") != NULL)
		return "; is the server running and listening there?";
	if (strstr(msg, "server does not support SSL") != NULL)
		return "; the server has ssl=off: turn it on, or use another "
		       "sslmode only on a trusted network";
	return "";
}

static void
pg_where(PQconninfoOption *opts, char *out, size_t len)
{
	const char *user = pg_opt(opts, "user"), *host = pg_opt(opts, "host"),
		   *hostaddr = pg_opt(opts, "hostaddr"),
		   *port = pg_opt(opts, "port"), *db = pg_opt(opts, "dbname");

	if (host == NULL)
		host = hostaddr != NULL ? hostaddr : "localhost";
	snprintf(out, len, "%s%s%.200s:%s/%.100s", user != NULL ? user : "",
	    user != NULL ? "@" : "", host, port != NULL ? port : "5432",
	    db != NULL ? db : (user != NULL ? user : "postgres"));
}

static void pg_close(void *db);

/* Whether server options (-c name=value ...) set lock_timeout. */
static int
pg_sets_lock_timeout(const char *options)
{
	const char *p = options;

	while (p != NULL && (p = strstr(p, "lock_timeout")) != NULL) {
		/* not deadlock_timeout or any other *_lock_timeout */
		if (p == options || p[-1] == ' ' || p[-1] == 'c')
			return 1;
		p++;
	}
	return 0;
}

static int
pg_open(const char *url, const struct signet_store_options *o, void **out)
{
	/* dbname (the URL), up to 8 defaults, password, NULL */
	const char *keys[12], *values[12];
	struct pg_db *d = NULL;
	struct signet_secret *password = NULL;
	PQconninfoOption *opts = NULL;
	const char *source, *pw;
	char *perr = NULL, buf[1024], what[600];
	size_t n = 0;
	int r = SIGNET_ERR_INTERNAL;

	*out = NULL;
	if ((r = store_pq_load()) != 0)
		return r;
	if ((opts = PQconninfoParse(url, &perr)) == NULL) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "malformed PostgreSQL URL: %s",
		    perr != NULL ? perr : "out of memory");
		goto out;
	}
	/* Secrets in a URL end up in argv, configs, logs and ps. */
	if (pg_opt(opts, "password") != NULL ||
	    pg_opt(opts, "sslpassword") != NULL) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "the PostgreSQL URL carries a password; URLs end up in "
		    "command lines and logs: put the password in a file "
		    "(mode 0600) and name it with password-source: file:PATH "
		    "in signet.yaml, SIGNET_PG_PASSWORD_SOURCE=file:PATH or "
		    "passfile=PATH in the URL");
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	d->gen = 1;
	pg_where(opts, d->where, sizeof(d->where));
	/* options=-c lock_timeout=... in the URL wins over the default. */
	d->own_lock_timeout = pg_sets_lock_timeout(pg_opt(opts, "options"));

	source = o->password_source;
	if (source == NULL || *source == '\0')
		source = getenv("SIGNET_PG_PASSWORD_SOURCE");
	if (source != NULL && *source != '\0') {
		if (strncmp(source, "file:", 5) != 0 &&
		    strncmp(source, "env:", 4) != 0) {
			r = signet_error_set(SIGNET_ERR_CONFIG,
			    "PostgreSQL password source '%.100s' is not "
			    "file:PATH or env:NAME",
			    source);
			goto out;
		}
		snprintf(what, sizeof(what), "password for PostgreSQL %s",
		    d->where);
		if (secret_from_spec(source, what, &password) != 0) {
			snprintf(buf, sizeof(buf), "%s",
			    signet_error_message());
			r = signet_error_set(SIGNET_ERR_CONFIG, "%s", buf);
			goto out;
		}
	}

	keys[n] = "dbname";
	values[n++] = url;
	/* Bounded waits: a dead server must not hang issuance forever. */
	(void)pg_param_default(opts, "connect_timeout", "10", keys, values, &n);
	(void)pg_param_default(opts, "keepalives_idle", "30", keys, values, &n);
	(void)pg_param_default(opts, "keepalives_interval", "10", keys, values,
	    &n);
	(void)pg_param_default(opts, "keepalives_count", "3", keys, values, &n);
	(void)pg_param_default(opts, "application_name", "signet", keys, values,
	    &n);
	keys[n] = "client_encoding";
	values[n++] = "UTF8";
	if (password != NULL && (pw = secret_get0(password, NULL)) != NULL) {
		keys[n] = "password";
		values[n++] = pw;
	}
	keys[n] = NULL;
	values[n] = NULL;

	d->conn = PQconnectdbParams(keys, values, 1);
	if (d->conn == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (PQstatus(d->conn) != CONNECTION_OK) {
		pg_conn_message(d, buf, sizeof(buf));
		r = signet_error_set(SIGNET_ERR_STORE,
		    "cannot connect to PostgreSQL %s: %s%s", d->where, buf,
		    pg_connect_hint(buf, password != NULL));
		goto out;
	}
	PQsetNoticeReceiver(d->conn, pg_notice, NULL);
	if (PQserverVersion(d->conn) < PG_MIN_SERVER) {
		r = signet_error_set(SIGNET_ERR_STORE,
		    "PostgreSQL %s is version %d; signet needs 10 or later",
		    d->where, PQserverVersion(d->conn));
		goto out;
	}
	if ((r = pg_session_init(d)) != 0)
		goto out;
	*out = d;
	d = NULL;
	r = 0;
out:
	secret_free(password);
	PQconninfoFree(opts);
	PQfreemem(perr);
	pg_close(d);
	return r;
}

static void
pg_close(void *db)
{
	struct pg_db *d = db;

	if (d == NULL)
		return;
	/* Closing the session rolls back and drops its statements. */
	if (d->conn != NULL)
		PQfinish(d->conn);
	free(d->dealloc);
	free(d);
}

/* ---- statements ----------------------------------------------------------- */

static void stmt_results_clear(struct store_stmt *s);

/*
 * Set aside the rest of a statement still being read, so that another
 * command can use the connection (nothing in the store nests statements
 * today; this keeps it correct if something does).
 */
static void
pg_spill(struct pg_db *d)
{
	struct store_stmt *s = d->running;
	struct pg_held *tmp;
	PGresult *res;
	size_t cap = 0;

	if (s == NULL)
		return;
	d->running = NULL;
	s->nbuf = s->ibuf = 0;
	while ((res = PQgetResult(d->conn)) != NULL) {
		if (s->nbuf == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((tmp = realloc(s->buf, cap * sizeof(*tmp))) ==
			    NULL) {
				PQclear(res);
				pg_drain(d);
				break;
			}
			s->buf = tmp;
		}
		s->buf[s->nbuf++].res = res;
	}
	pg_pipeline_end(d);
	s->state = PG_BUFFERED;
}

static void
pg_dealloc_flush(struct pg_db *d)
{
	char sql[PG_DEALLOC_BATCH * 32];
	size_t i, used = 0;

	if (d->n_dealloc < PG_DEALLOC_BATCH || d->in_block || d->broken)
		return;
	for (i = 0; i < d->n_dealloc; i++) {
		used += (size_t)snprintf(sql + used, sizeof(sql) - used,
		    "DEALLOCATE %s;", d->dealloc[i]);
		if (used + 32 < sizeof(sql) && i + 1 < d->n_dealloc)
			continue;
		/* A failure costs only server memory until we disconnect. */
		PQclear(PQexec(d->conn, sql));
		used = 0;
	}
	d->n_dealloc = 0;
}

/*
 * Make the connection ready for a new command: set aside a statement being
 * read, and reconnect a lost connection unless a transaction died with it.
 */
static int
pg_ready(struct pg_db *d)
{
	pg_spill(d);
	if (d->broken || pg_lost(d)) {
		if (d->in_block)
			return signet_error_set(SIGNET_ERR_STORE,
			    "the connection to PostgreSQL %s was lost during "
			    "this transaction; nothing of it was committed: "
			    "roll it back and start again",
			    d->where);
		return pg_reconnect(d);
	}
	pg_dealloc_flush(d);
	return 0;
}

/*
 * The savepoint commands of store.c, kept back: SAVEPOINT goes out with
 * the next statement, RELEASE with the one after; a savepoint nothing
 * happened under is never sent at all. 1 if sql was one of them.
 */
static int
pg_savepoint_defer(struct pg_db *d, const char *sql)
{
	if (!d->in_block || d->broken)
		return 0;
	if (strcmp(sql, PG_SAVEPOINT) == 0 && d->sp == PG_SP_NONE) {
		d->sp = PG_SP_PENDING;
		return 1;
	}
	if (strcmp(sql, PG_RELEASE) == 0 && d->sp != PG_SP_NONE) {
		if (d->sp == PG_SP_LIVE)
			d->owe_release = 1;
		d->sp = PG_SP_NONE;
		return 1;
	}
	/* Nothing ran since the savepoint: nothing to undo. */
	if (strcmp(sql, PG_ROLLBACK_TO) == 0 && d->sp == PG_SP_PENDING)
		return 1;
	return 0;
}

/* What the server is owed, to go before the next simple query. */
static void
pg_savepoint_prefix(struct pg_db *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", d->owe_release ? PG_RELEASE "; " : "",
	    d->sp == PG_SP_PENDING ? PG_SAVEPOINT "; " : "");
	d->owe_release = 0;
	if (d->sp == PG_SP_PENDING)
		d->sp = PG_SP_LIVE;
}

static int
pg_exec(void *db, const char *sql)
{
	struct pg_db *d = db;
	PGresult *res;
	char prefix[128], *full = NULL;
	size_t n;
	int r = 0;

	if (pg_savepoint_defer(d, sql))
		return 0;
	if ((r = pg_ready(d)) != 0)
		return r;
	pg_savepoint_prefix(d, prefix, sizeof(prefix));
	if (prefix[0] != '\0') {
		n = strlen(prefix) + strlen(sql) + 1;
		if ((full = malloc(n)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		snprintf(full, n, "%s%s", prefix, sql);
		sql = full;
	}
	res = PQexec(d->conn, sql);
	free(full);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		break;
	default:
		r = pg_fail(d, res, "query on");
		break;
	}
	PQclear(res);
	return r;
}

/* '?' placeholders to $1, $2, ... outside quotes; counts them. */
static char *
pg_sql_number(const char *sql, int *nparams)
{
	size_t len = strlen(sql), cap = len * 4 + 1, used = 0;
	char *out = malloc(cap), quote = 0;
	const char *p;
	int n = 0;

	*nparams = 0;
	if (out == NULL)
		return NULL;
	for (p = sql; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '?') {
			used += (size_t)snprintf(out + used, cap - used, "$%d",
			    ++n);
			continue;
		}
		out[used++] = *p;
	}
	out[used] = '\0';
	*nparams = n;
	return out;
}

static void pg_finalize(struct store_stmt *s);

static int
pg_prepare(void *db, const char *sql, struct store_stmt **out)
{
	struct pg_db *d = db;
	struct store_stmt *s;
	const char *p = sql;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	s->d = d;
	if ((s->sql = pg_sql_number(sql, &s->nparams)) == NULL)
		goto oom;
	while (isspace((unsigned char)*p))
		p++;
	s->is_select = strncmp(p, "SELECT", 6) == 0;
	if (s->nparams > 0 &&
	    ((s->values = calloc((size_t)s->nparams, sizeof(*s->values))) ==
		    NULL ||
		(s->lengths = calloc((size_t)s->nparams,
		     sizeof(*s->lengths))) == NULL ||
		(s->formats = calloc((size_t)s->nparams,
		     sizeof(*s->formats))) == NULL ||
		(s->ints = calloc((size_t)s->nparams, sizeof(*s->ints))) ==
		    NULL))
		goto oom;
	snprintf(s->name, sizeof(s->name), "signet_%u", ++d->next_name);
	s->state = PG_IDLE;
	*out = s;
	return 0;
oom:
	pg_finalize(s);
	return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
}

static int
pg_bind_check(struct store_stmt *s, int i)
{
	if (i < 1 || i > s->nparams)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "parameter %d of a statement with %d", i, s->nparams);
	return 0;
}

static int
pg_bind_int64(struct store_stmt *s, int i, int64_t v)
{
	int r;

	if ((r = pg_bind_check(s, i)) != 0)
		return r;
	snprintf(s->ints[i - 1], sizeof(s->ints[0]), "%lld", (long long)v);
	s->values[i - 1] = s->ints[i - 1];
	s->lengths[i - 1] = 0;
	s->formats[i - 1] = 0;
	return 0;
}

/* Like SQLite's SQLITE_STATIC: the value must live until the first step. */
static int
pg_bind_text(struct store_stmt *s, int i, const char *v)
{
	int r;

	if ((r = pg_bind_check(s, i)) != 0)
		return r;
	s->values[i - 1] = v;
	s->lengths[i - 1] = 0;
	s->formats[i - 1] = 0;
	return 0;
}

static int
pg_bind_blob(struct store_stmt *s, int i, const void *p, size_t n)
{
	int r;

	if ((r = pg_bind_check(s, i)) != 0)
		return r;
	if (n > (size_t)0x7fffffff)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a value of %zu bytes is too large", n);
	s->values[i - 1] = p != NULL ? p : "";
	s->lengths[i - 1] = (int)n;
	s->formats[i - 1] = 1; /* binary: bytea as it is */
	return 0;
}

/*
 * Send the statement. What must go before it (a savepoint owed to the
 * server, preparing it on this connection) goes in the same pipeline, so
 * that all of it costs one round trip.
 */
static int
pg_send(struct store_stmt *s)
{
	struct pg_db *d = s->d;
	const char *pre[2];
	char state[6] = "", msg[1024] = "";
	const char *f;
	PGresult *res;
	int npre = 0, prep = s->gen != d->gen, i, sp_sent = 0, failed = -1;

	if (d->owe_release)
		pre[npre++] = PG_RELEASE;
	if (d->sp == PG_SP_PENDING) {
		sp_sent = npre;
		pre[npre++] = PG_SAVEPOINT;
	}
	if (npre == 0 && !prep) {
		/* Results in binary: bytea as it is, integers as such. */
		if (!PQsendQueryPrepared(d->conn, s->name, s->nparams,
			s->values, s->lengths, s->formats, 1))
			return pg_fail(d, NULL, "cannot send a query to");
		(void)PQsetSingleRowMode(d->conn);
		s->state = PG_RUNNING;
		d->running = s;
		return 0;
	}
	if (!PQenterPipelineMode(d->conn))
		return pg_fail(d, NULL, "cannot send a query to");
	d->piped = 1;
	for (i = 0; i < npre; i++)
		if (!PQsendQueryParams(d->conn, pre[i], 0, NULL, NULL, NULL,
			NULL, 0))
			goto send_failed;
	if (prep && !PQsendPrepare(d->conn, s->name, s->sql, 0, NULL))
		goto send_failed;
	if (!PQsendQueryPrepared(d->conn, s->name, s->nparams, s->values,
		s->lengths, s->formats, 1) ||
	    !PQpipelineSync(d->conn))
		goto send_failed;
	d->owe_release = 0;
	if (d->sp == PG_SP_PENDING)
		d->sp = PG_SP_LIVE;
	/* The answers to what went before the statement, in order. */
	for (i = 0; i < npre + prep; i++) {
		res = PQgetResult(d->conn);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && failed < 0) {
			failed = i;
			if (res != NULL && (f = PQresultErrorField(res,
						PG_DIAG_SQLSTATE)) != NULL)
				snprintf(state, sizeof(state), "%s", f);
			if (res != NULL &&
			    (f = PQresultErrorField(res,
				 PG_DIAG_MESSAGE_PRIMARY)) != NULL)
				snprintf(msg, sizeof(msg), "%s", f);
		}
		PQclear(res);
		while ((res = PQgetResult(d->conn)) != NULL)
			PQclear(res);
	}
	if (failed >= 0) {
		/* The statement was not run: read on to the sync. */
		pg_drain(d);
		if (npre > 0 && failed == sp_sent && d->sp == PG_SP_LIVE)
			d->sp = PG_SP_NONE;
		return pg_fail_state(d, state[0] != '\0' ? state : NULL, msg,
		    failed < npre ? "cannot set a savepoint on"
				  : "cannot prepare a query on");
	}
	if (prep)
		s->gen = d->gen;
	/* The statement is the pipeline's current query now. */
	(void)PQsetSingleRowMode(d->conn);
	s->state = PG_RUNNING;
	d->running = s;
	return 0;
send_failed : {
	int r = pg_fail(d, NULL, "cannot send a query to");

	pg_pipeline_end(d);
	return r;
}
}

static PGresult *
pg_next_result(struct store_stmt *s)
{
	if (s->state == PG_BUFFERED)
		return s->ibuf < s->nbuf ? s->buf[s->ibuf++].res : NULL;
	return PQgetResult(s->d->conn);
}

/* The statement has no more results: give the connection back. */
static void
pg_stmt_done(struct store_stmt *s)
{
	struct pg_db *d = s->d;

	if (s->state == PG_RUNNING) {
		pg_drain(d);
		if (d->running == s)
			d->running = NULL;
	}
	stmt_results_clear(s);
	s->state = PG_DONE;
}

/*
 * A read outside a transaction that fails because the connection died
 * while idle (a server restart between two calls) runs once more on a new
 * connection, provided it handed out no row yet.
 */
static int
pg_may_resend(struct store_stmt *s)
{
	struct pg_db *d = s->d;

	return pg_lost(d) && !d->in_block && s->is_select && s->rows == 0;
}

static int
pg_step(struct store_stmt *s)
{
	struct pg_db *d = s->d;
	PGresult *res;
	char state[6] = "", msg[1024] = "";
	const char *f;
	int r, attempt;

	PQclear(s->row);
	s->row = NULL;
	for (attempt = 0;; attempt++) {
		if (s->state == PG_DONE)
			return 0;
		if (s->state == PG_IDLE) {
			s->rows = 0;
			if ((r = pg_ready(d)) != 0)
				return r;
			if ((r = pg_send(s)) != 0) {
				if (attempt == 0 && pg_may_resend(s)) {
					d->broken = 1;
					signet_error_clear();
					continue;
				}
				return r;
			}
		}
		res = pg_next_result(s);
		/* No result at all: the statement is over, unless the
		 * connection went with it. */
		if (res == NULL && !pg_lost(d)) {
			pg_stmt_done(s);
			return 0;
		}
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			s->row = res;
			s->rows++;
			return 1;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			PQclear(res);
			pg_stmt_done(s);
			return 0;
		default:
			break;
		}
		/* Keep the reason, then read the connection to its end. */
		if (res != NULL) {
			if ((f = PQresultErrorField(res, PG_DIAG_SQLSTATE)) !=
			    NULL)
				snprintf(state, sizeof(state), "%s", f);
			if ((f = PQresultErrorField(res,
				 PG_DIAG_MESSAGE_PRIMARY)) != NULL)
				snprintf(msg, sizeof(msg), "%s", f);
		}
		PQclear(res);
		pg_stmt_done(s);
		if (attempt == 0 && pg_may_resend(s)) {
			s->state = PG_IDLE;
			d->broken = 1;
			continue;
		}
		return pg_fail_state(d, state[0] != '\0' ? state : NULL, msg,
		    "query on");
	}
}

static int
pg_column_is_null(struct store_stmt *s, int i)
{
	return s->row == NULL || PQgetisnull(s->row, 0, i);
}

static int64_t
pg_be(const uint8_t *p, int n)
{
	uint64_t v = (p[0] & 0x80) != 0 ? ~UINT64_C(0) : 0;
	int k;

	for (k = 0; k < n; k++)
		v = (v << 8) | p[k];
	return (int64_t)v;
}

static int64_t
pg_column_int64(struct store_stmt *s, int i)
{
	const uint8_t *p;
	int len;

	if (pg_column_is_null(s, i))
		return 0;
	p = (const uint8_t *)PQgetvalue(s->row, 0, i);
	len = PQgetlength(s->row, 0, i);
	switch (PQftype(s->row, i)) {
	case PG_OID_INT8:
	case PG_OID_INT4:
	case PG_OID_INT2:
	case PG_OID_BOOL:
		return len >= 1 && len <= 8 ? pg_be(p, len) : 0;
	default:
		/* Text of a number (a TEXT column holding one). */
		return strtoll((const char *)p, NULL, 10);
	}
}

static const char *
pg_column_text(struct store_stmt *s, int i)
{
	int n;

	if (pg_column_is_null(s, i))
		return "";
	switch (PQftype(s->row, i)) {
	case PG_OID_INT8:
	case PG_OID_INT4:
	case PG_OID_INT2:
		n = PQnfields(s->row);
		if (s->num == NULL || s->nnum < n) {
			free(s->num);
			s->nnum = 0;
			if ((s->num = calloc((size_t)n, sizeof(*s->num))) ==
			    NULL)
				return "";
			s->nnum = n;
		}
		snprintf(s->num[i], sizeof(s->num[0]), "%lld",
		    (long long)pg_column_int64(s, i));
		return s->num[i];
	default:
		/* libpq ends every value, binary ones too, with a NUL. */
		return PQgetvalue(s->row, 0, i);
	}
}

static const uint8_t *
pg_column_blob(struct store_stmt *s, int i, size_t *n)
{
	*n = 0;
	if (pg_column_is_null(s, i))
		return NULL;
	*n = (size_t)PQgetlength(s->row, 0, i);
	return (const uint8_t *)PQgetvalue(s->row, 0, i);
}

static void
stmt_results_clear(struct store_stmt *s)
{
	size_t i;

	PQclear(s->row);
	s->row = NULL;
	for (i = s->ibuf; i < s->nbuf; i++)
		PQclear(s->buf[i].res);
	s->nbuf = s->ibuf = 0;
}

static void
pg_reset(struct store_stmt *s)
{
	int i;

	/* Results not read are read and dropped (there is no safe cancel). */
	if (s->state == PG_RUNNING || s->state == PG_BUFFERED)
		pg_stmt_done(s);
	stmt_results_clear(s);
	for (i = 0; i < s->nparams && s->values != NULL; i++) {
		s->values[i] = NULL;
		s->lengths[i] = 0;
		s->formats[i] = 0;
	}
	s->state = PG_IDLE;
}

static void
pg_finalize(struct store_stmt *s)
{
	struct pg_db *d;
	void *tmp;

	if (s == NULL)
		return;
	d = s->d;
	pg_reset(s);
	/* Dropped on the server later, in a batch, outside transactions. */
	if (s->gen == d->gen && !d->broken) {
		if (d->n_dealloc == d->cap_dealloc &&
		    (tmp = realloc(d->dealloc,
			 (d->cap_dealloc + PG_DEALLOC_BATCH) *
			     sizeof(*d->dealloc))) != NULL) {
			d->dealloc = tmp;
			d->cap_dealloc += PG_DEALLOC_BATCH;
		}
		if (d->n_dealloc < d->cap_dealloc)
			snprintf(d->dealloc[d->n_dealloc++],
			    sizeof(d->dealloc[0]), "%s", s->name);
	}
	free(s->buf);
	free(s->num);
	free(s->sql);
	free(s->values);
	free(s->lengths);
	free(s->formats);
	free(s->ints);
	free(s);
}

/* ---- transactions --------------------------------------------------------- */

static int
pg_begin_as(struct pg_db *d, const char *sql, int want_xid)
{
	PGresult *res;
	int r, attempt;

	d->retry = 0;
	d->commit_unknown = 0;
	d->xid[0] = '\0';
	d->sp = PG_SP_NONE;
	d->owe_release = 0;
	if (d->in_block)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "a PostgreSQL transaction is already open");
	for (attempt = 0;; attempt++) {
		if ((r = pg_ready(d)) != 0)
			return r;
		res = PQexec(d->conn, sql);
		if (PQresultStatus(res) ==
			(want_xid ? PGRES_TUPLES_OK : PGRES_COMMAND_OK) &&
		    (!want_xid || PQntuples(res) == 1)) {
			if (want_xid)
				snprintf(d->xid, sizeof(d->xid), "%s",
				    PQgetvalue(res, 0, 0));
			PQclear(res);
			d->in_block = 1;
			return 0;
		}
		/* A connection that died while idle: nothing was done. */
		if (pg_lost(d) && attempt == 0) {
			PQclear(res);
			d->broken = 1;
			continue;
		}
		r = pg_fail(d, res, "cannot start a transaction on");
		PQclear(res);
		if (!pg_lost(d) && PQtransactionStatus(d->conn) != PQTRANS_IDLE)
			PQclear(PQexec(d->conn, "ROLLBACK"));
		return r;
	}
}

/*
 * The transaction id is taken at once (one round trip with BEGIN) so that
 * a COMMIT whose answer is lost can be looked up afterwards.
 */
static int
pg_begin(void *db)
{
	return pg_begin_as(db,
	    "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT txid_current()", 1);
}

/*
 * synchronous_commit off for this transaction only: its COMMIT returns
 * before the WAL is flushed; a server crash may lose it, never
 * consistency.
 */
static int
pg_begin_lazy(void *db)
{
	return pg_begin_as(db,
	    "BEGIN ISOLATION LEVEL READ COMMITTED; "
	    "SET LOCAL synchronous_commit = off; SELECT txid_current()",
	    1);
}

static int
pg_begin_read(void *db)
{
	return pg_begin_as(db,
	    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0);
}

/*
 * After a COMMIT whose answer was lost: reconnect and ask the server what
 * became of the transaction. 1 committed, 0 rolled back, -1 unknown (why
 * in why).
 */
static int
pg_commit_resolve(struct pg_db *d, char *why, size_t len)
{
	int64_t deadline = pg_now_ms() + PG_RESOLVE_MS;
	const char *params[1] = { d->xid };
	PGresult *res;
	const char *v;
	char buf[1024];
	int outcome = -1;

	d->broken = 1;
	d->in_block = 0;
	if (SIGNET_FAULT("store.pg.commit_unresolved") != 0) {
		snprintf(why, len, "%s", signet_error_message());
		return -1;
	}
	if (d->xid[0] == '\0') {
		snprintf(why, len, "no transaction id was taken");
		return -1;
	}
	if (pg_reconnect(d) != 0) {
		snprintf(why, len, "%s", signet_error_message());
		return -1;
	}
	for (;;) {
		res = PQexecParams(d->conn, "SELECT txid_status($1::bigint)", 1,
		    NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != 1) {
			snprintf(why, len, "asking the server failed: %s",
			    pg_conn_message(d, buf, sizeof(buf)));
			PQclear(res);
			return -1;
		}
		v = PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0);
		if (strcmp(v, "committed") == 0)
			outcome = 1;
		else if (strcmp(v, "aborted") == 0)
			outcome = 0;
		else if (strcmp(v, "in progress") != 0) {
			snprintf(why, len,
			    "the server no longer knows transaction %s",
			    d->xid);
			PQclear(res);
			return -1;
		}
		PQclear(res);
		if (outcome >= 0)
			return outcome;
		/* Its session has not noticed yet that we are gone. */
		if (pg_now_ms() > deadline) {
			snprintf(why, len,
			    "transaction %s is still in progress on the "
			    "server",
			    d->xid);
			return -1;
		}
		pg_sleep_ms(200);
	}
}

#ifdef SIGNET_TEST_HOOKS
/*
 * Tests: cut the connection under libpq, as a network failure would, by
 * putting a socket whose peer is gone where its socket was. With
 * wait_answer, only once the server's answer has arrived (so the server
 * surely committed).
 */
static void
pg_test_cut(struct pg_db *d, int wait_answer)
{
	struct pollfd p;
	int sv[2];

	p.fd = PQsocket(d->conn);
	p.events = POLLIN;
	p.revents = 0;
	if (wait_answer)
		(void)poll(&p, 1, 10000);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return;
	(void)dup2(sv[0], p.fd);
	close(sv[0]);
	close(sv[1]);
}
#endif

static int
pg_commit(void *db)
{
	struct pg_db *d = db;
	PGresult *res;
	char why[1200], msg[1024] = "", state[6] = "";
	const char *f;
	int ok = 0, outcome;

	d->commit_unknown = 0;
	pg_spill(d);
	/* COMMIT ends every savepoint: nothing owed needs sending. */
	d->sp = PG_SP_NONE;
	d->owe_release = 0;
	if (!d->in_block)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "no PostgreSQL transaction is open to commit");
	if (d->broken || pg_lost(d)) {
		/* Never sent: the server rolls the transaction back. */
		d->in_block = 0;
		d->broken = 1;
		return signet_error_set(SIGNET_ERR_STORE,
		    "lost the connection to PostgreSQL %s before COMMIT: "
		    "nothing of the transaction was written; signet "
		    "reconnects at the next call",
		    d->where);
	}
#ifdef SIGNET_TEST_HOOKS
	/* Tests: COMMIT never reaches the server. */
	if (SIGNET_FAULT("store.pg.commit_lost_before") != 0) {
		signet_error_clear();
		pg_test_cut(d, 0);
	}
#endif
	if (!PQsendQuery(d->conn, "COMMIT"))
		goto lost;
#ifdef SIGNET_TEST_HOOKS
	/* Tests: the answer to COMMIT is lost on the way back. */
	if (SIGNET_FAULT("store.pg.commit_lost") != 0) {
		signet_error_clear();
		(void)PQflush(d->conn);
		pg_test_cut(d, 1);
	}
#endif
	while ((res = PQgetResult(d->conn)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
			/* COMMIT of a failed transaction answers ROLLBACK. */
			ok = strcmp(PQcmdStatus(res), "COMMIT") == 0;
			if (!ok)
				snprintf(msg, sizeof(msg),
				    "the transaction had failed and was "
				    "rolled back");
			break;
		default:
			if ((f = PQresultErrorField(res, PG_DIAG_SQLSTATE)) !=
			    NULL)
				snprintf(state, sizeof(state), "%s", f);
			if ((f = PQresultErrorField(res,
				 PG_DIAG_MESSAGE_PRIMARY)) != NULL)
				snprintf(msg, sizeof(msg), "%s", f);
			break;
		}
		PQclear(res);
	}
	/*
	 * No answer from the server (a libpq error has no SQLSTATE): the
	 * COMMIT may or may not have been carried out.
	 */
	if (pg_lost(d) || pg_state_fatal(state[0] != '\0' ? state : NULL) ||
	    (!ok && state[0] == '\0' && msg[0] == '\0'))
		goto lost;
	d->in_block = 0;
	if (ok)
		return 0;
	/* The server answered: the transaction is rolled back. */
	if (state[0] != '\0')
		return pg_fail_state(d, state, msg, "cannot commit to");
	return signet_error_set(SIGNET_ERR_STORE,
	    "cannot commit to PostgreSQL %s: %s", d->where, msg);
lost:
	pg_conn_message(d, msg, sizeof(msg));
	outcome = pg_commit_resolve(d, why, sizeof(why));
	if (outcome == 1) {
		signet_error_clear();
		return 0;
	}
	if (outcome == 0)
		return signet_error_set(SIGNET_ERR_STORE,
		    "lost the connection to PostgreSQL %s during COMMIT (%s); "
		    "the server reports the transaction rolled back: "
		    "nothing of it was written",
		    d->where, msg);
	d->commit_unknown = 1;
	return signet_error_set(SIGNET_ERR_STORE,
	    "lost the connection to PostgreSQL %s during COMMIT (%s), and "
	    "whether the transaction was committed is unknown (%s): treat "
	    "its work as possibly written (a reserved serial as used, a "
	    "certificate as maybe recorded) and run `signet db check` "
	    "when the database is reachable",
	    d->where, msg, why);
}

static int
pg_rollback(void *db)
{
	struct pg_db *d = db;
	PGresult *res;
	int r = 0;

	pg_spill(d);
	d->sp = PG_SP_NONE;
	d->owe_release = 0;
	if (!d->in_block)
		return 0;
	d->in_block = 0;
	/* A lost session's transaction is rolled back by the server. */
	if (d->broken || pg_lost(d)) {
		d->broken = 1;
		return 0;
	}
	res = PQexec(d->conn, "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK && !pg_lost(d))
		r = pg_fail(d, res, "cannot roll back on");
	if (pg_lost(d))
		d->broken = 1;
	PQclear(res);
	return r;
}

static int
pg_retryable(void *db)
{
	struct pg_db *d = db;

	return d->retry;
}

static int
pg_commit_unknown(void *db)
{
	struct pg_db *d = db;

	return d->commit_unknown;
}

/*
 * Migrations wait for each other on a transaction-scoped advisory lock,
 * without lock_timeout: a long migration is waited for, not failed on.
 */
static int
pg_lock_schema(void *db)
{
	return pg_exec(db, "SET LOCAL lock_timeout = 0; "
			   "SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK ")");
}

const struct store_backend store_pg_backend = {
	.name = "postgresql",
	/* BY DEFAULT, not ALWAYS: a copy may write ids of its own. */
	.type_id = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	.type_blob = "BYTEA",
	/* Byte order whatever the database's locale: serials sort as
	 * numbers only so. */
	.type_hex = "TEXT COLLATE \"C\"",
	.sql_table_exists = "SELECT count(*) FROM pg_catalog.pg_tables "
			    "WHERE schemaname = current_schema() "
			    "AND tablename = ?",
	.sql_table_count = "SELECT count(*) FROM pg_catalog.pg_tables "
			   "WHERE schemaname = current_schema()",
	.open = pg_open,
	.setup = NULL,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.step = pg_step,
	.column_is_null = pg_column_is_null,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.begin = pg_begin,
	.begin_lazy = pg_begin_lazy,
	.begin_read = pg_begin_read,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.retryable = pg_retryable,
	.commit_unknown = pg_commit_unknown,
	.lock_schema = pg_lock_schema,
	.integrity = NULL,
};
