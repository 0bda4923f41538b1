/*
 * The audit log writer: appends records under an exclusive flock,
 * continuing the chain from the last line of the file, signs checkpoints,
 * rotates, and fails closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "signet/version.h"
#include "util/codec.h"
#include "util/fault.h"
#include "util/file.h"

/* The last record of the file, which the next one chains to. */
struct audit_head {
	uint64_t seq;
	uint8_t hash[32];
	enum signet_audit_event event;
	int retired; /* a rotation checkpoint: the file takes no more */
	char archive[AUDIT_NAME_MAX + 1];
};

struct signet_audit {
	pthread_mutex_t mutex; /* one thread at a time in a handle */
	char *path;
	int fd;
	struct signet_signer *signer; /* borrowed */
	enum signet_sig_alg alg;
	char key_id[65];
	json_t *actor;
	struct audit_head head;
	off_t end; /* file size when head was read or written; -1: unknown */
	uint64_t last_seq;
	unsigned interval;
	unsigned since_checkpoint;
	uint64_t rotate_size;
	int dirty; /* written since the last sync */
	int failed;
	char failure[1024];
};

/* ---- failing closed ----------------------------------------------------- */

/*
 * The handle is failed for good: keep the reason, and make it the error of
 * this call.
 */
static int
log_fail(struct signet_audit *a)
{
	if (!a->failed) {
		a->failed = 1;
		snprintf(a->failure, sizeof(a->failure), "%s",
		    signet_error_message());
	}
	return signet_error_set(SIGNET_ERR_AUDIT,
	    "%s; the audit log takes no more records and nothing may be "
	    "signed: fix the cause, then restart",
	    a->failure);
}

static int
log_check_usable(const struct signet_audit *a)
{
	if (a->failed)
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s failed earlier (%s); refusing to continue: "
		    "fix the cause, then restart",
		    a->path, a->failure);
	if (a->fd == -1)
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s is closed", a->path);
	return 0;
}

static int
lock_fd(int fd, const char *path)
{
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		return signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot lock audit log %s", path);
	}
	return 0;
}

static void
unlock_fd(int fd)
{
	/* Closing the descriptor releases the lock if this ever fails. */
	(void)flock(fd, LOCK_UN);
}

/* ---- the head of the chain ---------------------------------------------- */

static int
head_from_line(const char *line, size_t len, struct audit_head *h)
{
	struct audit_rec rec;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = audit_rec_parse(line, len, &rec)) != 0)
		return r;
	h->seq = rec.seq;
	memcpy(h->hash, rec.hash, 32);
	h->event = rec.event;
	if (rec.event == SIGNET_AUDIT_EV_AUDIT_CHECKPOINT &&
	    strcmp(rec.cp_reason, AUDIT_REASON_ROTATE) == 0) {
		h->retired = 1;
		snprintf(h->archive, sizeof(h->archive), "%s", rec.cp_archive);
	}
	audit_rec_clear(&rec);
	return 0;
}

/* The head a record just built will make, without parsing it back. */
static int
head_from_rec(const json_t *rec, const char *line, size_t len,
    struct audit_head *h)
{
	const json_t *details = json_object_get(rec, "details");
	const char *reason, *archive, *event;
	int r;

	memset(h, 0, sizeof(*h));
	if ((event = json_string_value(json_object_get(rec, "event"))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "audit record without an event");
	h->seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	if ((r = signet_audit_event_from_name(event, &h->event)) != 0)
		return r;
	reason = json_string_value(json_object_get(details, "reason"));
	archive = json_string_value(json_object_get(details, "archive"));
	if (h->event == SIGNET_AUDIT_EV_AUDIT_CHECKPOINT && reason != NULL &&
	    strcmp(reason, AUDIT_REASON_ROTATE) == 0 && archive != NULL) {
		h->retired = 1;
		snprintf(h->archive, sizeof(h->archive), "%s", archive);
	}
	return audit_line_hash(line, len, h->hash);
}

/* Read the last record of a->fd into a->head. */
static int
log_read_head(struct signet_audit *a)
{
	struct audit_tail t;
	int r;

	if ((r = audit_tail_read(a->fd, a->path, &t)) != 0)
		return r;
	if (t.torn_len > 0) {
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s ends with an incomplete record (%zu bytes "
		    "at offset %lld after the last complete line): a write "
		    "was interrupted. Run 'signet audit repair %s', which "
		    "records and removes them",
		    a->path, t.torn_len, (long long)t.torn_start, a->path);
		goto out;
	}
	if (t.line == NULL) {
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s is empty: a log always starts with its "
		    "audit.create record; restore it from a backup",
		    a->path);
		goto out;
	}
	if (head_from_line(t.line, t.len, &a->head) != 0) {
		r = audit_error_wrap(SIGNET_ERR_AUDIT,
		    "the last record of audit log %s (offset %lld) is not "
		    "valid; run 'signet audit verify %s'",
		    a->path, (long long)t.line_start, a->path);
		goto out;
	}
	a->end = t.size;
	r = 0;
out:
	audit_tail_clear(&t);
	return r;
}

/*
 * Write one record (stolen) at the end of the file, under the lock. A
 * record the verifier would refuse is not written: *refused is set and the
 * log stays as it was.
 */
static int
log_write_rec(struct signet_audit *a, json_t *rec, int *refused)
{
	int r = SIGNET_ERR_INTERNAL;
	char *line = NULL;
	size_t len = 0;
	struct audit_head h;

	*refused = 0;
	if ((r = audit_json_dump(rec, 1, &line, &len)) != 0)
		goto out;
	if (len > SIGNET_AUDIT_LINE_MAX) {
		*refused = 1;
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "audit record of %zu bytes is longer than the %d byte "
		    "limit: log counts and hashes of long lists",
		    len, SIGNET_AUDIT_LINE_MAX);
		goto out;
	}
	/*
	 * Never write what signet audit verify would reject. The record is
	 * built here from checked details, so the cheap checks suffice;
	 * test builds parse every line back as the verifier does.
	 */
	if (audit_line_prescan(line, len - 1) != 0 ||
	    head_from_rec(rec, line, len - 1, &h) != 0) {
		*refused = 1;
		r = audit_error_wrap(SIGNET_ERR_INTERNAL,
		    "audit record refused, it would not verify");
		goto out;
	}
#ifdef SIGNET_TEST_HOOKS
	{
		struct audit_head check;

		if (head_from_line(line, len - 1, &check) != 0 ||
		    memcmp(&check, &h, sizeof(h)) != 0) {
			*refused = 1;
			r = audit_error_wrap(SIGNET_ERR_INTERNAL,
			    "audit record refused, it does not verify");
			goto out;
		}
	}
#endif
	if ((r = SIGNET_FAULT("audit.write")) != 0)
		goto out;
	if (file_write_all(a->fd, line, len) != 0) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot write to audit log %s", a->path);
		/* Take back a partial line: the lock is ours. */
		if (ftruncate(a->fd, a->end) != 0)
			r = audit_error_wrap(SIGNET_ERR_AUDIT,
			    "a partial record is left at the end of %s",
			    a->path);
		goto out;
	}
	a->head = h;
	a->end += (off_t)len;
	a->last_seq = h.seq;
	a->dirty = 1;
	r = 0;
out:
	free(line);
	json_decref(rec);
	return r;
}

static int
log_append_locked(struct signet_audit *a, enum signet_audit_event event,
    enum signet_audit_outcome outcome, json_t *details, int *refused)
{
	json_t *rec = NULL;
	int r;

	*refused = 0;
	if ((r = audit_rec_build(a->head.seq + 1, a->head.hash, event, outcome,
		 a->actor, details, &rec)) != 0)
		return r;
	return log_write_rec(a, rec, refused);
}

/* A checkpoint, signed by the audit key over its own line. */
static int
log_checkpoint_locked(struct signet_audit *a, const char *reason,
    const char *archive)
{
	int r = SIGNET_ERR_INTERNAL;
	json_t *rec = NULL, *details = NULL;
	char *tbs = NULL, *b64 = NULL;
	size_t tbs_len = 0, sig_len = 0;
	uint8_t *sig = NULL;
	int refused = 0;

	if (archive == NULL &&
	    a->head.event == SIGNET_AUDIT_EV_AUDIT_CHECKPOINT)
		return 0;
	if ((details = json_object()) == NULL ||
	    json_object_set_new(details, "alg",
		json_string(signet_sig_alg_name(a->alg))) != 0 ||
	    json_object_set_new(details, "key", json_string(a->key_id)) != 0 ||
	    json_object_set_new(details, "reason", json_string(reason)) != 0 ||
	    json_object_set_new(details, "sig", json_string("")) != 0 ||
	    (archive != NULL && json_object_set_new(details, "archive",
				    json_string(archive)) != 0)) {
		json_decref(details);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	if ((r = audit_rec_build(a->head.seq + 1, a->head.hash,
		 SIGNET_AUDIT_EV_AUDIT_CHECKPOINT, SIGNET_AUDIT_SUCCESS,
		 a->actor, details, &rec)) != 0)
		goto out;
	/* With "sig" empty the serialisation is what the signature covers. */
	if ((r = audit_json_dump(rec, 0, &tbs, &tbs_len)) != 0)
		goto out;
	if ((r = signet_signer_sign(a->signer, a->alg, (uint8_t *)tbs, tbs_len,
		 &sig, &sig_len)) != 0 ||
	    (r = signet_verify(signet_signer_get0_pubkey(a->signer), a->alg,
		 (uint8_t *)tbs, tbs_len, sig, sig_len)) != 0) {
		r = signet_error_context(r, "signing an audit checkpoint");
		goto out;
	}
	if ((b64 = base64_encode(sig, sig_len)) == NULL ||
	    json_object_set_new(json_object_get(rec, "details"), "sig",
		json_string(b64)) != 0) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	r = log_write_rec(a, rec, &refused);
	rec = NULL;
	if (r == 0)
		a->since_checkpoint = 0;
out:
	json_decref(rec);
	free(tbs);
	free(sig);
	free(b64);
	return r;
}

/* ---- rotation ----------------------------------------------------------- */

/*
 * Write the first record of a new file at path, through util/file.h: a
 * temporary file, fsynced, then renamed over path (replace) or linked to
 * it (exclusive), and the directory synced, so path never holds a partial
 * first record. *created is 0 if exclusive and someone else was first.
 */
static int
log_new_file(struct signet_audit *a, json_t *first, int replace, int *created)
{
	int r = SIGNET_ERR_INTERNAL;
	char *line = NULL;
	size_t len = 0;

	*created = 0;
	if ((r = audit_json_dump(first, 1, &line, &len)) != 0)
		goto out;
	r = replace ? file_write_atomic(a->path, line, len, 0640)
		    : file_write_excl(a->path, line, len, 0640);
	if (r == SIGNET_ERR_CONFLICT && !replace) {
		r = 0; /* another writer created it first */
		goto out;
	}
	if (r != 0) {
		r = audit_error_wrap(SIGNET_ERR_AUDIT,
		    "cannot put a new audit log file at %s", a->path);
		goto out;
	}
	*created = 1;
	r = 0;
out:
	free(line);
	json_decref(first);
	return r;
}

/*
 * The file of a->fd ends with a rotation checkpoint but is still at path:
 * keep it under its archive name and put a new file, starting with an
 * "audit.rotate" record, at path. Run by the rotating writer, or by the
 * next writer after a crash half-way.
 */
static int
log_finish_rotation(struct signet_audit *a)
{
	int r = SIGNET_ERR_INTERNAL;
	char *dir = NULL, *archive = NULL;
	json_t *details = NULL, *first = NULL;
	struct stat ast, st;
	int created = 0;

	if ((dir = file_dirname(a->path)) == NULL ||
	    (archive = file_path_join(dir, a->head.archive)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (fstat(a->fd, &st) != 0) {
		r = signet_error_sys(SIGNET_ERR_AUDIT, "cannot stat %s",
		    a->path);
		goto out;
	}
	if (lstat(archive, &ast) == 0) {
		if (ast.st_dev != st.st_dev || ast.st_ino != st.st_ino) {
			r = signet_error_set(SIGNET_ERR_AUDIT,
			    "cannot rotate audit log %s: %s exists and is "
			    "another file",
			    a->path, archive);
			goto out;
		}
	} else if (errno != ENOENT || link(a->path, archive) != 0) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot keep rotated audit log %s as %s", a->path, archive);
		goto out;
	}
	if ((r = SIGNET_FAULT("audit.rotate.rename")) != 0)
		goto out;
	if ((details = json_pack("{s:s}", "previous_file", a->head.archive)) ==
	    NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = audit_rec_build(a->head.seq + 1, a->head.hash,
		 SIGNET_AUDIT_EV_AUDIT_ROTATE, SIGNET_AUDIT_SUCCESS, a->actor,
		 details, &first)) != 0)
		goto out;
	r = log_new_file(a, first, 1, &created);
	first = NULL;
out:
	json_decref(first);
	free(archive);
	free(dir);
	return r;
}

/*
 * Another writer rotated the file of a->fd away: move to the file now at
 * path, after checking that it continues this one.
 */
static int
log_follow(struct signet_audit *a)
{
	int r = SIGNET_ERR_INTERNAL;
	int fd = -1;
	char *line = NULL;
	size_t len = 0;
	struct audit_rec rec;

	memset(&rec, 0, sizeof(rec));
	/* What this handle wrote to the old file must be on disk first. */
	if (a->dirty && fdatasync(a->fd) != 0) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot sync rotated audit log %s", a->path);
		goto out;
	}
	a->dirty = 0;
	if ((fd = open(a->path, O_RDWR | O_APPEND | O_CLOEXEC)) == -1) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "audit log %s was rotated, but the new file cannot be "
		    "opened",
		    a->path);
		goto out;
	}
	if ((r = lock_fd(fd, a->path)) != 0 ||
	    (r = audit_head_read(fd, a->path, &line, &len)) != 0)
		goto out;
	if (audit_rec_parse(line, len, &rec) != 0 ||
	    rec.event != SIGNET_AUDIT_EV_AUDIT_ROTATE ||
	    rec.seq != a->head.seq + 1 ||
	    memcmp(rec.prev, a->head.hash, 32) != 0) {
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s was replaced by a file that does not "
		    "continue the rotated one (rotated twice while this "
		    "process waited?)",
		    a->path);
		goto out;
	}
	close(a->fd);
	a->fd = fd;
	fd = -1;
	a->end = -1;
	r = 0;
out:
	audit_rec_clear(&rec);
	free(line);
	if (fd != -1)
		close(fd);
	return r;
}

/*
 * With the lock held: make a->head the last record of the file at path,
 * following rotations and noticing a file deleted, replaced, truncated or
 * left with a torn record.
 */
static int
log_refresh(struct signet_audit *a)
{
	struct stat st, pst;
	int r, tries;

	for (tries = 0; tries < 4; tries++) {
		if (fstat(a->fd, &st) != 0)
			return signet_error_sys(SIGNET_ERR_AUDIT,
			    "cannot stat audit log %s", a->path);
		if (!S_ISREG(st.st_mode))
			return signet_error_set(SIGNET_ERR_AUDIT,
			    "audit log %s is not a regular file", a->path);
		if (a->end >= 0 && st.st_size < a->end)
			return signet_error_set(SIGNET_ERR_AUDIT,
			    "audit log %s shrank from %lld to %lld bytes: "
			    "someone truncated it",
			    a->path, (long long)a->end, (long long)st.st_size);
		if (st.st_size != a->end && (r = log_read_head(a)) != 0)
			return r;
		if (stat(a->path, &pst) != 0) {
			if (errno == ENOENT)
				return signet_error_set(SIGNET_ERR_AUDIT,
				    "audit log %s was deleted while open",
				    a->path);
			return signet_error_sys(SIGNET_ERR_AUDIT,
			    "cannot stat audit log %s", a->path);
		}
		if (pst.st_dev == st.st_dev && pst.st_ino == st.st_ino) {
			if (!a->head.retired)
				return 0;
			if ((r = log_finish_rotation(a)) != 0)
				return r;
			continue;
		}
		if (!a->head.retired)
			return signet_error_set(SIGNET_ERR_AUDIT,
			    "audit log %s was replaced by another file while "
			    "open",
			    a->path);
		if ((r = log_follow(a)) != 0)
			return r;
	}
	return signet_error_set(SIGNET_ERR_AUDIT,
	    "audit log %s keeps being replaced", a->path);
}

/* Lock the file and bring the head up to date; on failure, fail closed. */
static int
log_begin(struct signet_audit *a)
{
	int r;

	if ((r = log_check_usable(a)) != 0)
		return r;
	if (lock_fd(a->fd, a->path) != 0)
		return log_fail(a);
	if (log_refresh(a) != 0) {
		unlock_fd(a->fd);
		return log_fail(a);
	}
	return 0;
}

/* "<path>.<first seq, 12 digits>" for a rotation without a name. */
static int
log_default_archive(struct signet_audit *a, char **out)
{
	char *line = NULL;
	size_t len = 0;
	struct audit_rec rec;
	int r;

	*out = NULL;
	if ((r = audit_head_read(a->fd, a->path, &line, &len)) != 0)
		return r;
	r = audit_rec_parse(line, len, &rec);
	free(line);
	if (r != 0)
		return signet_error_context(SIGNET_ERR_AUDIT,
		    "first record of audit log %s", a->path);
	if (asprintf(out, "%s.%012llu", a->path, (unsigned long long)rec.seq) ==
	    -1) {
		*out = NULL;
		audit_rec_clear(&rec);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	audit_rec_clear(&rec);
	return 0;
}

/* Rotate with the lock held (a->head current). */
static int
log_rotate_locked(struct signet_audit *a, const char *archive_path)
{
	int r = SIGNET_ERR_INTERNAL;
	char *archive = NULL, *adir = NULL, *ldir = NULL, *base;

	if (archive_path == NULL) {
		if (log_default_archive(a, &archive) != 0 || archive == NULL)
			return log_fail(a);
	} else if ((archive = strdup(archive_path)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((adir = file_dirname(archive)) == NULL ||
	    (ldir = file_dirname(a->path)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	base =
	    strrchr(archive, '/') != NULL ? strrchr(archive, '/') + 1 : archive;
	if (strcmp(adir, ldir) != 0 || base[0] == '\0' ||
	    strlen(base) > AUDIT_NAME_MAX) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "rotated audit log %s must be kept in the log's own "
		    "directory %s",
		    archive, ldir);
		goto out;
	}
	if (file_exists(archive)) {
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "cannot rotate audit log %s to %s: it exists", a->path,
		    archive);
		goto out;
	}
	if (log_checkpoint_locked(a, AUDIT_REASON_ROTATE, base) != 0) {
		r = log_fail(a);
		goto out;
	}
	if (fdatasync(a->fd) != 0) {
		signet_error_sys(SIGNET_ERR_AUDIT, "cannot sync audit log %s",
		    a->path);
		r = log_fail(a);
		goto out;
	}
	a->dirty = 0;
	if (SIGNET_FAULT("audit.rotate.link") != 0 ||
	    log_finish_rotation(a) != 0 || log_refresh(a) != 0) {
		r = log_fail(a);
		goto out;
	}
	a->since_checkpoint = 0;
	r = 0;
out:
	free(ldir);
	free(adir);
	free(archive);
	return r;
}

/* ---- the public interface ----------------------------------------------- */

static int
log_create(struct signet_audit *a, int *created)
{
	int r;
	json_t *details = NULL, *first = NULL;
	static const uint8_t zero[32];

	if ((details = json_pack("{s:s,s:s,s:s}", "key", a->key_id, "alg",
		 signet_sig_alg_name(a->alg), "version", SIGNET_VERSION)) ==
	    NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((r = audit_rec_build(1, zero, SIGNET_AUDIT_EV_AUDIT_CREATE,
		 SIGNET_AUDIT_SUCCESS, a->actor, details, &first)) != 0)
		return r;
	return log_new_file(a, first, 0, created);
}

/*
 * Before the first record of this writer: read the log back to its last
 * checkpoint (and the anchor), refuse what cannot be extended, and say
 * in audit.open what could not be authenticated.
 */
static int
log_authenticate(struct signet_audit *a, const struct signet_audit_open_opts *o,
    struct signet_audit_open_info *info, json_t *open_details)
{
	int r = SIGNET_ERR_INTERNAL, refused = 0;
	struct audit_scan sc;
	char problem[1024] = "", anchor_hex[65] = "", cp_hex[65] = "";
	uint64_t first = 0, last = 0;
	json_t *d = NULL;

	memset(&sc, 0, sizeof(sc));
	sc.pub = signet_signer_get0_pubkey(a->signer);
	sc.alg = a->alg;
	sc.key_id = a->key_id;
	sc.anchor_seq = o->anchor_seq;
	memcpy(sc.anchor_hash, o->anchor_hash, 32);
	sc.whole = info != NULL;
	if (audit_scan_back(a->fd, a->path, a->end, &sc) != 0)
		return audit_error_wrap(SIGNET_ERR_AUDIT,
		    "refusing to extend audit log %s", a->path);
	hex_encode(o->anchor_hash, 32, anchor_hex);
	if (sc.cp_found)
		hex_encode(sc.cp_hash, 32, cp_hex);
	if (sc.cp_found && !sc.cp_ok)
		snprintf(problem, sizeof(problem),
		    "its last checkpoint (seq %llu) cannot be authenticated: "
		    "%s",
		    (unsigned long long)sc.cp_seq, sc.cp_why);
	else if (o->anchor_seq > 0 && sc.anchor_found && !sc.anchor_match)
		snprintf(problem, sizeof(problem),
		    "its record at seq %llu is not the checkpoint the "
		    "database recorded (SHA-256 %.16s...): this is another "
		    "log, or it was rewritten",
		    (unsigned long long)o->anchor_seq, anchor_hex);
	else if (o->anchor_seq > 0 && !sc.anchor_found && !sc.archive_missing)
		snprintf(problem, sizeof(problem),
		    "it ends at seq %llu, but the database recorded its "
		    "checkpoint at seq %llu (SHA-256 %.16s...): the log is "
		    "shorter than it was (cut, or restored from an older "
		    "copy)",
		    (unsigned long long)a->head.seq,
		    (unsigned long long)o->anchor_seq, anchor_hex);
	if (problem[0] != '\0' && o->accept_reason == NULL)
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "refusing to extend audit log %s: %s. Nothing was "
		    "written. Find out why (signet audit verify); if it is "
		    "expected (a log restored on purpose, a replaced audit "
		    "key), record that with: signet audit accept --reason "
		    "TEXT",
		    a->path, problem);
	/* What follows the last checkpoint, this writer cannot vouch for. */
	last = a->head.seq;
	first = sc.cp_found ? sc.cp_seq + 1 : sc.first_seq;
	if (first > 0 && first <= last) {
		if ((d = json_pack("{s:I,s:I}", "first_seq", (json_int_t)first,
			 "last_seq", (json_int_t)last)) == NULL ||
		    json_object_set_new(open_details, "unverified", d) != 0)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		if (info != NULL) {
			info->unverified_first = first;
			info->unverified_last = last;
		}
	}
	if (problem[0] != '\0') {
		if ((d = json_pack("{s:s,s:s,s:I,s:s,s:I,s:s,s:s,s:I}",
			 "reason", o->accept_reason, "problem", problem,
			 "anchor_seq", (json_int_t)o->anchor_seq,
			 "anchor_sha256", o->anchor_seq > 0 ? anchor_hex : "",
			 "checkpoint_seq", (json_int_t)sc.cp_seq,
			 "checkpoint_sha256", cp_hex, "checkpoint_key",
			 sc.cp_found ? sc.cp_key : "", "last_seq",
			 (json_int_t)last)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		if ((r = log_append_locked(a, SIGNET_AUDIT_EV_AUDIT_ACCEPT,
			 SIGNET_AUDIT_SUCCESS, d, &refused)) != 0)
			return r;
		if (info != NULL)
			info->accepted = 1;
	}
	if (info != NULL) {
		info->last_checkpoint_seq = sc.cp_found ? sc.cp_seq : 0;
		info->crl_number_max = sc.crl_max;
	}
	return 0;
}

int
signet_audit_open(const char *path, struct signet_signer *signer,
    unsigned flags, struct signet_audit **out)
{
	struct signet_audit_open_opts o;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	return signet_audit_open_with(path, signer, &o, NULL, out);
}

int
signet_audit_open_with(const char *path, struct signet_signer *signer,
    const struct signet_audit_open_opts *opts,
    struct signet_audit_open_info *info, struct signet_audit **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_audit *a = NULL;
	struct signet_audit_open_opts none;
	json_t *details = NULL;
	int created = 0, locked = 0, refused = 0;
	unsigned flags;
	struct stat st;

	*out = NULL;
	if (opts == NULL) {
		memset(&none, 0, sizeof(none));
		opts = &none;
	}
	flags = opts->flags;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (path == NULL || signer == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "signet_audit_open needs a path and an audit signer");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	pthread_mutex_init(&a->mutex, NULL);
	a->fd = -1;
	a->end = -1;
	a->signer = signer;
	a->interval = SIGNET_AUDIT_CHECKPOINT_DEFAULT;
	if ((a->path = strdup(path)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = signet_sig_alg_for_key(signet_signer_get0_pubkey(signer), 0,
		 &a->alg)) != 0 ||
	    (r = signet_audit_key_id(signet_signer_get0_pubkey(signer),
		 a->key_id)) != 0 ||
	    (r = audit_actor_new(NULL, 0, &a->actor)) != 0) {
		r = signet_error_context(r, "audit key");
		goto out;
	}
	while ((a->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) == -1) {
		if (errno != ENOENT || !(flags & SIGNET_AUDIT_CREATE) ||
		    created) {
			r = signet_error_sys(SIGNET_ERR_AUDIT,
			    "cannot open audit log %s", path);
			goto out;
		}
		if ((r = log_create(a, &created)) != 0)
			goto out;
		/* Someone else created it first: open theirs. */
		created = created ? 1 : 2;
	}
	if (fstat(a->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s is not a regular file: the chain needs a "
		    "file it can read back",
		    path);
		goto out;
	}
	if ((r = lock_fd(a->fd, path)) != 0)
		goto out;
	locked = 1;
	if ((r = log_refresh(a)) != 0)
		goto out;
	if (created == 1) {
		/* The audit.create record is this handle's. */
		a->last_seq = a->head.seq;
		a->since_checkpoint = 1;
		a->dirty = 1;
	} else {
		if ((details = json_pack("{s:s,s:s}", "version", SIGNET_VERSION,
			 "key", a->key_id)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		if ((r = log_authenticate(a, opts, info, details)) != 0)
			goto out;
		r = log_append_locked(a, SIGNET_AUDIT_EV_AUDIT_OPEN,
		    SIGNET_AUDIT_SUCCESS, details, &refused);
		details = NULL;
		if (r != 0)
			goto out;
		a->since_checkpoint = 1;
	}
	unlock_fd(a->fd);
	locked = 0;
	*out = a;
	a = NULL;
	r = 0;
out:
	json_decref(details);
	if (locked)
		unlock_fd(a->fd);
	signet_audit_free(a);
	return r;
}

void
signet_audit_set_checkpoint_interval(struct signet_audit *log, unsigned n)
{
	pthread_mutex_lock(&log->mutex);
	log->interval = n;
	pthread_mutex_unlock(&log->mutex);
}

void
signet_audit_set_rotate_size(struct signet_audit *log, uint64_t bytes)
{
	pthread_mutex_lock(&log->mutex);
	log->rotate_size = bytes;
	pthread_mutex_unlock(&log->mutex);
}

int
signet_audit_set_operators(struct signet_audit *log, const char *const *names,
    size_t n)
{
	json_t *actor = NULL;
	int r;

	if ((r = audit_actor_new(names, n, &actor)) != 0)
		return r;
	pthread_mutex_lock(&log->mutex);
	json_decref(log->actor);
	log->actor = actor;
	pthread_mutex_unlock(&log->mutex);
	return 0;
}

/* What signet_audit_append refuses before touching the file. */
static int
append_check(enum signet_audit_event event, enum signet_audit_outcome outcome,
    const json_t *details)
{
	int r;

	if (signet_audit_event_name(event) == NULL ||
	    event <= SIGNET_AUDIT_EV_AUDIT_REPAIR ||
	    event == SIGNET_AUDIT_EV_AUDIT_ACCEPT)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "audit event %d cannot be appended by a caller (audit.* "
		    "records are the log's own)",
		    (int)event);
	if (signet_audit_outcome_name(outcome) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "audit outcome %d is not in the vocabulary", (int)outcome);
	if ((r = audit_details_check(details)) != 0)
		return signet_error_context(r, "%s record",
		    signet_audit_event_name(event));
	return 0;
}

int
signet_audit_append(struct signet_audit *log, enum signet_audit_event event,
    enum signet_audit_outcome outcome, const json_t *details)
{
	int r = SIGNET_ERR_INTERNAL;
	json_t *copy = NULL;
	int refused = 0;

	if ((r = append_check(event, outcome, details)) != 0)
		return r;
	/* Shared, never changed: the record only serialises it. */
	if (details != NULL)
		copy = json_incref((json_t *)details);
	pthread_mutex_lock(&log->mutex);
	if ((r = log_begin(log)) != 0) {
		json_decref(copy);
		goto out;
	}
	r = log_append_locked(log, event, outcome, copy, &refused);
	if (r == 0 && log->interval > 0 &&
	    ++log->since_checkpoint >= log->interval)
		r = log_checkpoint_locked(log, AUDIT_REASON_INTERVAL, NULL);
	if (r == 0 && log->rotate_size > 0 &&
	    (uint64_t)log->end >= log->rotate_size)
		r = log_rotate_locked(log, NULL);
	unlock_fd(log->fd);
	/* Anything but a refused record leaves the log in doubt. */
	if (r != 0 && !refused)
		r = log_fail(log);
out:
	pthread_mutex_unlock(&log->mutex);
	return r;
}

int
signet_audit_append_batch(struct signet_audit *log,
    const struct signet_audit_entry *entries, size_t n)
{
	int r = SIGNET_ERR_INTERNAL;
	size_t i;
	int refused = 0;

	for (i = 0; i < n; i++)
		if ((r = append_check(entries[i].event, entries[i].outcome,
			 entries[i].details)) != 0)
			return signet_error_context(r, "batch entry %zu", i);
	if (n == 0)
		return 0;
	pthread_mutex_lock(&log->mutex);
	if ((r = log_begin(log)) != 0)
		goto out;
	for (i = 0; i < n && r == 0; i++) {
		/* Shared, never changed: the record only serialises it. */
		json_t *copy = entries[i].details != NULL
				   ? json_incref((json_t *)entries[i].details)
				   : NULL;

		r = log_append_locked(log, entries[i].event, entries[i].outcome,
		    copy, &refused);
		if (r == 0 && log->interval > 0 &&
		    ++log->since_checkpoint >= log->interval)
			r = log_checkpoint_locked(log, AUDIT_REASON_INTERVAL,
			    NULL);
		if (r == 0 && log->rotate_size > 0 &&
		    (uint64_t)log->end >= log->rotate_size)
			r = log_rotate_locked(log, NULL);
	}
	unlock_fd(log->fd);
	/* Anything but a refused record leaves the log in doubt. */
	if (r != 0 && !refused)
		r = log_fail(log);
out:
	pthread_mutex_unlock(&log->mutex);
	return r;
}

int
signet_audit_sync(struct signet_audit *log)
{
	int r = 0;

	pthread_mutex_lock(&log->mutex);
	if ((r = log_check_usable(log)) != 0)
		goto out;
	if (!log->dirty)
		goto out;
	if ((r = SIGNET_FAULT("audit.fsync")) != 0 ||
	    (fdatasync(log->fd) != 0 &&
		(r = signet_error_sys(SIGNET_ERR_AUDIT,
		     "cannot sync audit log %s", log->path)) != 0)) {
		r = log_fail(log);
		goto out;
	}
	log->dirty = 0;
out:
	pthread_mutex_unlock(&log->mutex);
	return r;
}

int
signet_audit_checkpoint(struct signet_audit *log)
{
	int r;

	pthread_mutex_lock(&log->mutex);
	if ((r = log_begin(log)) != 0)
		goto out;
	r = log_checkpoint_locked(log, AUDIT_REASON_REQUEST, NULL);
	unlock_fd(log->fd);
	if (r != 0)
		r = log_fail(log);
out:
	pthread_mutex_unlock(&log->mutex);
	return r;
}

int
signet_audit_rotate(struct signet_audit *log, const char *archive_path)
{
	int r;

	pthread_mutex_lock(&log->mutex);
	if ((r = log_begin(log)) != 0)
		goto out;
	r = log_rotate_locked(log, archive_path);
	unlock_fd(log->fd);
out:
	pthread_mutex_unlock(&log->mutex);
	return r;
}

int
signet_audit_seal(struct signet_audit *log, uint64_t *seq, uint8_t hash[32])
{
	int r;

	*seq = 0;
	memset(hash, 0, 32);
	pthread_mutex_lock(&log->mutex);
	if ((r = log_begin(log)) != 0)
		goto out;
	r = log_checkpoint_locked(log, AUDIT_REASON_CLOSE, NULL);
	if (r == 0) {
		*seq = log->head.seq;
		memcpy(hash, log->head.hash, 32);
	}
	unlock_fd(log->fd);
	if (r == 0 && log->dirty && fdatasync(log->fd) != 0)
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot sync audit log %s", log->path);
	if (r != 0)
		r = log_fail(log);
	else
		log->dirty = 0;
out:
	pthread_mutex_unlock(&log->mutex);
	return r;
}

int
signet_audit_close(struct signet_audit *log)
{
	uint8_t hash[32];
	uint64_t seq;
	int r;

	if (log == NULL)
		return 0;
	r = signet_audit_seal(log, &seq, hash);
	signet_audit_free(log);
	return r;
}

void
signet_audit_free(struct signet_audit *log)
{
	if (log == NULL)
		return;
	if (log->fd != -1)
		close(log->fd);
	json_decref(log->actor);
	free(log->path);
	pthread_mutex_destroy(&log->mutex);
	free(log);
}

int
signet_audit_is_failed(const struct signet_audit *log)
{
	return log->failed;
}

const char *
signet_audit_failure(const struct signet_audit *log)
{
	return log->failed ? log->failure : "";
}

uint64_t
signet_audit_last_seq(const struct signet_audit *log)
{
	return log->last_seq;
}

const char *
signet_audit_get0_path(const struct signet_audit *log)
{
	return log->path;
}

/* ---- repair ------------------------------------------------------------- */

int
signet_audit_repair(const char *path, size_t *removed)
{
	int r = SIGNET_ERR_INTERNAL;
	int fd = -1;
	struct audit_tail t;
	struct audit_head h;
	uint8_t *torn = NULL, md[32];
	char md_hex[65], *b64 = NULL, *line = NULL;
	size_t quoted, len = 0;
	json_t *actor = NULL, *details = NULL, *rec = NULL;
	ssize_t n;

	memset(&t, 0, sizeof(t));
	if (removed != NULL)
		*removed = 0;
	if ((fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) == -1) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot open audit log %s", path);
		goto out;
	}
	if ((r = lock_fd(fd, path)) != 0 ||
	    (r = audit_tail_read(fd, path, &t)) != 0)
		goto out;
	if (t.torn_len == 0) {
		r = 0;
		goto out;
	}
	if (t.line == NULL) {
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "%s holds no complete record before its last %zu bytes: "
		    "this is not a torn audit log, and it is left as it is",
		    path, t.torn_len);
		goto out;
	}
	if (head_from_line(t.line, t.len, &h) != 0 || h.retired) {
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "the last complete record of %s (offset %lld) is not a "
		    "valid record a writer could continue: the file is left "
		    "as it is; inspect it with 'signet audit verify'",
		    path, (long long)t.line_start);
		goto out;
	}
	if ((torn = malloc(t.torn_len)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	n = pread(fd, torn, t.torn_len, t.torn_start);
	if (n < 0 || (size_t)n != t.torn_len) {
		r = signet_error_sys(SIGNET_ERR_AUDIT, "cannot read %s", path);
		goto out;
	}
	quoted = t.torn_len < AUDIT_REPAIR_QUOTE_MAX ? t.torn_len
						     : AUDIT_REPAIR_QUOTE_MAX;
	if ((r = sha256(torn, t.torn_len, md)) != 0)
		goto out;
	hex_encode(md, sizeof(md), md_hex);
	if ((b64 = base64_encode(torn, quoted)) == NULL ||
	    (details = json_pack("{s:I,s:I,s:s,s:s,s:I}", "offset",
		 (json_int_t)t.torn_start, "removed_bytes",
		 (json_int_t)t.torn_len, "removed_sha256", md_hex,
		 "removed_base64", b64, "quoted_bytes", (json_int_t)quoted)) ==
		NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = audit_actor_new(NULL, 0, &actor)) != 0)
		goto out;
	r = audit_rec_build(h.seq + 1, h.hash, SIGNET_AUDIT_EV_AUDIT_REPAIR,
	    SIGNET_AUDIT_SUCCESS, actor, details, &rec);
	details = NULL;
	if (r != 0 || (r = audit_json_dump(rec, 1, &line, &len)) != 0)
		goto out;
	if (ftruncate(fd, t.torn_start) != 0 || fdatasync(fd) != 0 ||
	    file_write_all(fd, line, len) != 0 || fdatasync(fd) != 0) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot repair audit log %s", path);
		goto out;
	}
	if (removed != NULL)
		*removed = t.torn_len;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	audit_tail_clear(&t);
	json_decref(rec);
	json_decref(details);
	json_decref(actor);
	free(torn);
	free(b64);
	free(line);
	return r;
}
