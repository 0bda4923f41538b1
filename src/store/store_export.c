/*
 * Export and import: a whole store as one JSON Lines file, for moving a CA
 * between machines or backends when the two databases cannot be reached
 * from one place, and for an archive an auditor can read.
 *
 *   {"format":"signet-store-export","version":1,"schema_version":2,...}
 *   {"t":"issuers","issuer_key":"...","crl_number":7,...}
 *   {"t":"certificates","issuer":"...","serial":"00..0a",...,"der":"MII..."}
 *   ...
 *   {"t":"end","rows":{"meta":0,"issuers":1,...},"sha256":"..."}
 *
 * Tables come in the order of store_tables (meta, issuers, certificates,
 * crls, blocked_keys), rows in canonical order, every column by name,
 * NULL as null, blobs in base64. The trailer's hash is the content hash
 * (signet_store_content_hash), so an import proves it holds exactly what
 * the export read. The file is untrusted input to the import: every line,
 * member and size is checked, and the error names the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "store/store_int.h"
#include "util/file.h"

#define EXPORT_FORMAT "signet-store-export"
#define EXPORT_VERSION 1
/* The longest line: a CRL of SIGNET_STORE_CRL_MAX in base64, and room. */
#define EXPORT_LINE_MAX (SIGNET_STORE_CRL_MAX / 3 * 4 + (size_t)65536)

/* ---- export ------------------------------------------------------------- */

struct export_arg {
	struct signet_store *st;
	FILE *f;
	const char *path;
	struct store_digest *dg;
	struct signet_store_inventory rows;
	int64_t *count;
	int64_t table_total;
	signet_store_progress_cb cb;
	void *cb_arg;
	char *b64;
	size_t b64_cap;
};

static int
export_line(struct export_arg *a, json_t *obj)
{
	char *line;
	int r = 0;

	if ((line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot encode an export line (out of memory, or text "
		    "that is not UTF-8)");
	if (fputs(line, a->f) == EOF || fputc('\n', a->f) == EOF)
		r = signet_error_sys(SIGNET_ERR_IO, "cannot write %s", a->path);
	free(line);
	return r;
}

static json_t *
export_blob(struct export_arg *a, const void *p, size_t n)
{
	size_t need = (n + 2) / 3 * 4 + 1;
	char *tmp;

	if (need > a->b64_cap) {
		if ((tmp = realloc(a->b64, need)) == NULL)
			return NULL;
		a->b64 = tmp;
		a->b64_cap = need;
	}
	EVP_EncodeBlock((unsigned char *)a->b64, p, (int)n);
	return json_string(a->b64);
}

static int
export_row(const struct store_table *t, const struct store_val *v, void *argp)
{
	struct export_arg *a = argp;
	json_t *obj = NULL, *val;
	size_t i;
	int r = SIGNET_ERR_INTERNAL;

	store_digest_row(a->dg, t, v);
	if ((obj = json_object()) == NULL ||
	    json_object_set_new(obj, "t", json_string(t->name)) != 0)
		goto oom;
	for (i = 0; i < t->ncols; i++) {
		if (v[i].null)
			val = json_null();
		else if (t->cols[i].type == STORE_COL_INT)
			val = json_integer((json_int_t)v[i].i);
		else if (t->cols[i].type == STORE_COL_TEXT) {
			if ((val = json_stringn(v[i].p, v[i].n)) == NULL) {
				r = signet_error_set(SIGNET_ERR_STORE,
				    "%s row %lld: %s is not UTF-8 text; the "
				    "row was edited by hand",
				    t->name, (long long)*a->count + 1,
				    t->cols[i].name);
				goto out;
			}
		} else
			val = export_blob(a, v[i].p, v[i].n);
		if (val == NULL ||
		    json_object_set_new(obj, t->cols[i].name, val) != 0)
			goto oom;
	}
	if ((r = export_line(a, obj)) != 0)
		goto out;
	(*a->count)++;
	r = 0;
	if (*a->count % 1000 == 0)
		r = store_progress(a->st, a->cb, a->cb_arg, t->name, *a->count,
		    a->table_total);
	goto out;
oom:
	r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
out:
	json_decref(obj);
	return r;
}

static int
export_header(struct export_arg *a)
{
	json_t *h;
	int r;

	h = json_pack("{s:s, s:i, s:i, s:s, s:I}", "format", EXPORT_FORMAT,
	    "version", EXPORT_VERSION, "schema_version",
	    SIGNET_STORE_SCHEMA_VERSION, "source", a->st->be->name,
	    "exported_at", (json_int_t)time(NULL));
	if (h == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	r = export_line(a, h);
	json_decref(h);
	return r;
}

static int
export_trailer(struct export_arg *a, const char *hash)
{
	json_t *rows, *tr;
	size_t i;
	int r;

	if ((rows = json_object()) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < store_n_tables; i++)
		if (json_object_set_new(rows, store_tables[i].name,
			json_integer(*store_inventory_slot(&a->rows, i))) !=
		    0) {
			json_decref(rows);
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		}
	if ((tr = json_pack("{s:s, s:o, s:s}", "t", "end", "rows", rows,
		 "sha256", hash)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	r = export_line(a, tr);
	json_decref(tr);
	return r;
}

static int
export_rows(struct export_arg *a)
{
	struct signet_store_inventory total;
	char hash[65];
	size_t i;
	int r;

	memset(&total, 0, sizeof(total));
	for (i = 0; i < store_n_tables; i++) {
		struct store_q q = { 0 };

		if ((r = store_q_open(a->st, store_tables[i].count, &q)) != 0)
			return r;
		if ((r = store_q_step(&q)) == 1)
			*store_inventory_slot(&total, i) =
			    store_q_col_int(&q, 0);
		store_q_close(&q);
		if (r < 0)
			return r;
	}
	if ((a->dg = store_digest_new()) == NULL)
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
	if ((r = export_header(a)) != 0)
		return r;
	for (i = 0; i < store_n_tables; i++) {
		a->count = store_inventory_slot(&a->rows, i);
		a->table_total = *store_inventory_slot(&total, i);
		store_digest_table(a->dg, &store_tables[i]);
		if ((r = store_rows_read(a->st, &store_tables[i], export_row,
			 a)) != 0)
			return r;
		if ((r = store_progress(a->st, a->cb, a->cb_arg,
			 store_tables[i].name, *a->count, a->table_total)) != 0)
			return r;
	}
	if ((r = store_digest_final(a->dg, &a->rows, hash)) != 0)
		return r;
	return export_trailer(a, hash);
}

int
signet_store_export(struct signet_store *st, const char *path,
    signet_store_progress_cb cb, void *arg)
{
	struct export_arg a;
	char *tmp = NULL;
	size_t n;
	int r = SIGNET_ERR_INTERNAL, r2, fd = -1, reading = 0, linked = 0;

	memset(&a, 0, sizeof(a));
	if ((r = store_guard(st)) != 0)
		return r;
	if (path == NULL || *path == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no export file given");
	if (st->in_txn)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "cannot export while a store transaction is open");
	if (file_exists(path))
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "export file %s exists; exports never overwrite: choose "
		    "a new name",
		    path);
	n = strlen(path) + 16;
	if ((tmp = malloc(n)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	/* mkstemp makes it 0600: the inventory of a CA is not for all. */
	if ((fd = mkstemp(tmp)) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO,
		    "cannot create a file next to %s", path);
		free(tmp);
		return r;
	}
	if ((a.f = fdopen(fd, "w")) == NULL) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot write %s", tmp);
		close(fd);
		goto out;
	}
	a.st = st;
	a.path = path;
	a.cb = cb;
	a.cb_arg = arg;
	if ((r = st->be->begin_read(st->db)) != 0)
		goto out;
	reading = 1;
	if ((r = export_rows(&a)) != 0)
		goto out;
	if (fflush(a.f) != 0 || fsync(fileno(a.f)) != 0) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot write %s", path);
		goto out;
	}
	/* link(2) refuses an existing path: never overwrite. */
	if (link(tmp, path) == -1) {
		r = signet_error_sys(errno == EEXIST ? SIGNET_ERR_CONFLICT
						     : SIGNET_ERR_IO,
		    "cannot create %s", path);
		goto out;
	}
	linked = 1;
	if ((r = file_sync_dir(path)) != 0)
		goto out;
	r = 0;
out:
	if (reading && (r2 = st->be->rollback(st->db)) != 0 && r == 0)
		r = r2;
	if (a.f != NULL)
		fclose(a.f);
	unlink(tmp);
	if (r != 0 && linked)
		unlink(path);
	free(tmp);
	free(a.b64);
	store_digest_free(a.dg);
	return r;
}

/* ---- import ------------------------------------------------------------- */

struct import_arg {
	struct signet_store *st;
	const char *path;
	FILE *f;
	signet_store_progress_cb cb;
	void *cb_arg;
	/* the line being read */
	char *line;
	size_t cap;
	size_t len;
	long lineno;
	uint8_t *blobs[STORE_COLS_MAX];
};

/* Read one line (without its newline); 0 at the end of the file. */
static int
import_getline(struct import_arg *a)
{
	int c;
	char *tmp;

	a->len = 0;
	/* Room for the NUL of an empty line too. */
	if (a->line == NULL) {
		if ((a->line = malloc(4096)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		a->cap = 4096;
	}
	for (;;) {
		c = getc_unlocked(a->f);
		if (c == EOF) {
			if (ferror(a->f))
				return signet_error_sys(SIGNET_ERR_IO,
				    "cannot read %s", a->path);
			if (a->len == 0)
				return 0;
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "%s line %ld: the file ends without a newline "
			    "(cut short?)",
			    a->path, a->lineno + 1);
		}
		if (c == '\n')
			break;
		if (a->len + 1 >= a->cap) {
			size_t cap = a->cap == 0 ? 4096 : a->cap * 2;

			if (cap > EXPORT_LINE_MAX + 1)
				cap = EXPORT_LINE_MAX + 1;
			if (a->len + 1 >= cap)
				return signet_error_set(SIGNET_ERR_CONFIG,
				    "%s line %ld is longer than %zu bytes",
				    a->path, a->lineno + 1, EXPORT_LINE_MAX);
			if ((tmp = realloc(a->line, cap)) == NULL)
				return signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
			a->line = tmp;
			a->cap = cap;
		}
		a->line[a->len++] = (char)c;
	}
	a->line[a->len] = '\0';
	a->lineno++;
	return 1;
}

static int
import_bad(struct import_arg *a, const char *what, const char *field)
{
	return signet_error_set(SIGNET_ERR_CONFIG, "%s line %ld: %s%s%s",
	    a->path, a->lineno, field != NULL ? field : "",
	    field != NULL ? ": " : "", what);
}

static int
import_parse(struct import_arg *a, json_t **out)
{
	json_error_t err;

	*out = json_loadb(a->line, a->len, JSON_REJECT_DUPLICATES, &err);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return import_bad(a, "not a JSON object", NULL);
	}
	return 0;
}

static int
import_header(struct import_arg *a)
{
	json_t *h = NULL;
	const char *fmt;
	json_int_t version = 0, schema = 0;
	int r, is_export;

	if ((r = import_getline(a)) <= 0)
		return r < 0 ? r
			     : signet_error_set(SIGNET_ERR_CONFIG,
				   "%s is empty, not a signet store export",
				   a->path);
	if (import_parse(a, &h) != 0)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "%s is not a signet store export (line 1 is not its "
		    "header)",
		    a->path);
	fmt = json_string_value(json_object_get(h, "format"));
	is_export = fmt != NULL && strcmp(fmt, EXPORT_FORMAT) == 0;
	if (json_is_integer(json_object_get(h, "version")))
		version = json_integer_value(json_object_get(h, "version"));
	if (json_is_integer(json_object_get(h, "schema_version")))
		schema =
		    json_integer_value(json_object_get(h, "schema_version"));
	json_decref(h);
	if (!is_export)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "%s is not a signet store export (no format '%s' on line "
		    "1)",
		    a->path, EXPORT_FORMAT);
	if (version != EXPORT_VERSION)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "%s is export format version %lld; this signet reads "
		    "version %d",
		    a->path, (long long)version, EXPORT_VERSION);
	if (schema != SIGNET_STORE_SCHEMA_VERSION)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "%s was exported from schema version %lld; this signet "
		    "imports version %d (export it again with a matching "
		    "signet)",
		    a->path, (long long)schema, SIGNET_STORE_SCHEMA_VERSION);
	return 0;
}

/* The values of one row line of table t, checked against its columns. */
static int
import_values(struct import_arg *a, const struct store_table *t, json_t *obj,
    struct store_val *v)
{
	const struct store_col *c;
	json_t *m;
	const char *s;
	size_t i, n, pad;
	int len;

	/* "t" and every column, nothing else. */
	if (json_object_size(obj) != t->ncols + 1)
		return import_bad(a, "unexpected or missing members", t->name);
	for (i = 0; i < t->ncols; i++) {
		c = &t->cols[i];
		memset(&v[i], 0, sizeof(v[i]));
		if ((m = json_object_get(obj, c->name)) == NULL)
			return import_bad(a, "missing", c->name);
		if (json_is_null(m)) {
			if (!c->nullable)
				return import_bad(a, "must not be null",
				    c->name);
			v[i].null = 1;
			continue;
		}
		switch (c->type) {
		case STORE_COL_INT:
			if (!json_is_integer(m))
				return import_bad(a, "not an integer", c->name);
			v[i].i = (int64_t)json_integer_value(m);
			break;
		case STORE_COL_TEXT:
			if (!json_is_string(m))
				return import_bad(a, "not a string", c->name);
			n = json_string_length(m);
			s = json_string_value(m);
			if (n > c->max || strlen(s) != n)
				return import_bad(a,
				    "too long, or holds a NUL byte", c->name);
			v[i].p = s;
			v[i].n = n;
			break;
		case STORE_COL_BLOB:
			if (!json_is_string(m))
				return import_bad(a, "not base64", c->name);
			n = json_string_length(m);
			s = json_string_value(m);
			if (n % 4 != 0 || n / 4 * 3 > c->max + 2)
				return import_bad(a,
				    "not base64, or larger than allowed",
				    c->name);
			free(a->blobs[i]);
			if ((a->blobs[i] = malloc(n / 4 * 3 + 1)) == NULL)
				return signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
			len = EVP_DecodeBlock(a->blobs[i],
			    (const unsigned char *)s, (int)n);
			pad = (n > 0 && s[n - 1] == '=') +
			      (n > 1 && s[n - 2] == '=');
			if (len < 0 || (size_t)len < pad ||
			    (size_t)len - pad > c->max)
				return import_bad(a, "not base64", c->name);
			v[i].p = a->blobs[i];
			v[i].n = (size_t)len - pad;
			break;
		default:
			return import_bad(a, "unknown column type", c->name);
		}
	}
	return 0;
}

/* The trailer: counts and hash as the file claims them. */
static int
import_trailer(struct import_arg *a, json_t *obj,
    struct signet_store_inventory *rows, char hash[65])
{
	json_t *m, *counts = json_object_get(obj, "rows");
	const char *h = json_string_value(json_object_get(obj, "sha256"));
	size_t i;

	memset(rows, 0, sizeof(*rows));
	if (!json_is_object(counts) || h == NULL || strlen(h) != 64 ||
	    json_object_size(obj) != 3)
		return import_bad(a, "the end line needs rows and sha256",
		    NULL);
	for (i = 0; i < store_n_tables; i++) {
		m = json_object_get(counts, store_tables[i].name);
		if (!json_is_integer(m))
			return import_bad(a, "no count", store_tables[i].name);
		*store_inventory_slot(rows, i) = json_integer_value(m);
	}
	snprintf(hash, 65, "%s", h);
	return 0;
}

static int
import_work(struct signet_store *st, void *argp)
{
	struct import_arg *a = argp;
	struct store_val v[STORE_COLS_MAX] = { { 0 } };
	struct signet_store_inventory rows, claimed, got;
	struct store_digest *dg = NULL;
	json_t *obj = NULL;
	const char *t;
	char hash[65], claimed_hash[65], dst_hash[65];
	size_t cur = 0, i;
	int64_t done = 0;
	int r = SIGNET_ERR_INTERNAL, ended = 0;

	memset(&rows, 0, sizeof(rows));
	if ((r = store_require_empty(st)) != 0)
		return r;
	/* Again from the start if store_write retries. */
	rewind(a->f);
	a->lineno = 0;
	if ((r = import_header(a)) != 0)
		return r;
	if ((dg = store_digest_new()) == NULL)
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
	store_digest_table(dg, &store_tables[0]);
	while ((r = import_getline(a)) == 1) {
		if (ended) {
			r = import_bad(a, "data after the end line", NULL);
			goto out;
		}
		if ((r = import_parse(a, &obj)) != 0)
			goto out;
		if ((t = json_string_value(json_object_get(obj, "t"))) ==
		    NULL) {
			r = import_bad(a, "no table name (\"t\")", NULL);
			goto out;
		}
		if (strcmp(t, "end") == 0) {
			if ((r = import_trailer(a, obj, &claimed,
				 claimed_hash)) != 0)
				goto out;
			ended = 1;
			json_decref(obj);
			obj = NULL;
			continue;
		}
		/* Tables in order: a later one opens, an earlier never. */
		for (i = cur; i < store_n_tables; i++)
			if (strcmp(t, store_tables[i].name) == 0)
				break;
		if (i == store_n_tables) {
			r = import_bad(a,
			    "unknown table, or a table out of order", t);
			goto out;
		}
		for (; cur < i; cur++)
			store_digest_table(dg, &store_tables[cur + 1]);
		if ((r = import_values(a, &store_tables[cur], obj, v)) != 0)
			goto out;
		store_digest_row(dg, &store_tables[cur], v);
		if ((r = store_row_insert(st, &store_tables[cur], v)) != 0) {
			r = signet_error_context(r, "%s line %ld", a->path,
			    a->lineno);
			goto out;
		}
		(*store_inventory_slot(&rows, cur))++;
		json_decref(obj);
		obj = NULL;
		if (++done % 1000 == 0 &&
		    (r = store_progress(st, a->cb, a->cb_arg,
			 store_tables[cur].name, done, -1)) != 0)
			goto out;
	}
	if (r < 0)
		goto out;
	if (!ended) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "%s has no end line: the export was cut short; nothing "
		    "was imported",
		    a->path);
		goto out;
	}
	for (; cur + 1 < store_n_tables; cur++)
		store_digest_table(dg, &store_tables[cur + 1]);
	if ((r = store_digest_final(dg, &rows, hash)) != 0)
		goto out;
	if (memcmp(&rows, &claimed, sizeof(rows)) != 0 ||
	    strcmp(hash, claimed_hash) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "%s does not hold what its end line says (%lld "
		    "certificates read, %lld announced; content hash %.16s... "
		    "instead of %.16s...): the file was altered or damaged; "
		    "nothing was imported",
		    a->path, (long long)rows.certificates,
		    (long long)claimed.certificates, hash, claimed_hash);
		goto out;
	}
	if ((r = store_content_read(st, &got, dst_hash, a->cb, a->cb_arg)) != 0)
		goto out;
	if (memcmp(&got, &rows, sizeof(got)) != 0 ||
	    strcmp(dst_hash, hash) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the import into %s does not read back as %s (content "
		    "hash %.16s... instead of %.16s...); nothing was written",
		    st->url, a->path, dst_hash, hash);
		goto out;
	}
	r = 0;
out:
	json_decref(obj);
	store_digest_free(dg);
	return r;
}

int
signet_store_import(struct signet_store *st, const char *path,
    signet_store_progress_cb cb, void *arg)
{
	struct import_arg a;
	size_t i;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = store_guard(st)) != 0)
		return r;
	if (path == NULL || *path == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no export file given");
	if (st->in_txn)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "cannot import while a store transaction is open");
	if (st->version != SIGNET_STORE_SCHEMA_VERSION)
		return signet_error_set(SIGNET_ERR_STORE,
		    "%s has schema version %d; migrate it to %d first", st->url,
		    st->version, SIGNET_STORE_SCHEMA_VERSION);
	if ((a.f = fopen(path, "r")) == NULL)
		return signet_error_sys(SIGNET_ERR_IO, "cannot open %s", path);
	a.st = st;
	a.path = path;
	a.cb = cb;
	a.cb_arg = arg;
	r = store_write(st, import_work, &a);
	fclose(a.f);
	free(a.line);
	for (i = 0; i < STORE_COLS_MAX; i++)
		free(a.blobs[i]);
	return r;
}
