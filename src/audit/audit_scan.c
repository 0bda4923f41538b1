/*
 * What a writer reads back before it extends a log: the records from the
 * end of the file to the last checkpoint (and on to a checkpoint recorded
 * outside the log), chained and with the checkpoint's signature checked,
 * into the rotated files the log continues. Read backward, so that a long
 * log costs only its tail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "util/codec.h"
#include "util/file.h"

#define CHUNK 65536

/* Lines of one file, last first. */
struct back_reader {
	int fd;
	const char *path;
	off_t lim; /* offset of the LF that ends the next line; -1: done */
	char *buf; /* holds the file's bytes [off, lim) */
	off_t off; /* file offset of buf[0] */
	size_t cap;
};

static int
back_pread(struct back_reader *b, char *to, size_t len, off_t at)
{
	ssize_t n;

	while (len > 0) {
		n = pread(b->fd, to, len, at);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return signet_error_sys(SIGNET_ERR_AUDIT,
			    "cannot read audit log %s", b->path);
		to += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

/*
 * The previous line (no LF) in *line, valid until the next call: 1, or 0
 * at the start of the file.
 */
static int
back_prev(struct back_reader *b, const char **line, size_t *len)
{
	char *lf, *grown;
	size_t have, more;
	off_t lo;
	int r;

	for (;;) {
		if (b->lim < 0)
			return 0;
		have = (size_t)(b->lim - b->off);
		lf = have > 0 ? memrchr(b->buf, '\n', have) : NULL;
		if (lf != NULL || b->off == 0) {
			lo = lf != NULL ? b->off + (lf - b->buf) + 1 : 0;
			*line = b->buf + (lo - b->off);
			*len = (size_t)(b->lim - lo);
			b->lim = lo - 1;
			return 1;
		}
		if (have >= SIGNET_AUDIT_LINE_MAX)
			return signet_error_set(SIGNET_ERR_AUDIT,
			    "audit log %s: a record before offset %lld is "
			    "longer than the %d byte limit",
			    b->path, (long long)b->lim,
			    SIGNET_AUDIT_LINE_MAX - 1);
		more = b->off < CHUNK ? (size_t)b->off : CHUNK;
		if (have + more > b->cap) {
			if ((grown = realloc(b->buf, have + more)) == NULL)
				return signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
			b->buf = grown;
			b->cap = have + more;
		}
		memmove(b->buf + more, b->buf, have);
		b->off -= (off_t)more;
		if ((r = back_pread(b, b->buf, more, b->off)) != 0)
			return r;
	}
}

/* Start reading fd backward from end, which must follow a LF. */
static int
back_start(struct back_reader *b, int fd, const char *path, off_t end)
{
	char c;

	b->fd = fd;
	b->path = path;
	b->off = end;
	b->lim = end - 1;
	if (end <= 0)
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s is empty", path);
	if (back_pread(b, &c, 1, end - 1) != 0)
		return SIGNET_ERR_AUDIT;
	if (c != '\n')
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s ends with an incomplete record; run "
		    "'signet audit repair %s'",
		    path, path);
	b->off = end - 1;
	return 0;
}

/* Does a checkpoint verify with the writer's key? why says if not. */
static int
checkpoint_ok(const struct audit_rec *rec, const struct audit_scan *s,
    char *why, size_t n)
{
	enum signet_sig_alg alg;
	uint8_t *sig = NULL;
	size_t sig_len = 0, tbs_len = 0;
	char *tbs = NULL;
	int ok = 0;

	if (strcmp(rec->cp_key, s->key_id) != 0) {
		snprintf(why, n,
		    "it is signed by audit key %.16s..., not by this writer's "
		    "audit key %.16s...",
		    rec->cp_key, s->key_id);
		goto out;
	}
	if (audit_sig_alg_from_name(rec->cp_alg, &alg) != 0 || alg != s->alg ||
	    base64_decode(rec->cp_sig, strlen(rec->cp_sig), 0, &sig,
		&sig_len) != 0 ||
	    audit_checkpoint_tbs(rec->root, &tbs, &tbs_len) != 0 ||
	    signet_verify(s->pub, alg, (uint8_t *)tbs, tbs_len, sig, sig_len) !=
		0) {
		signet_error_clear();
		snprintf(why, n,
		    "its signature does not verify with the audit key: the "
		    "checkpoint or the chain before it was altered");
		goto out;
	}
	ok = 1;
out:
	free(sig);
	free(tbs);
	return ok;
}

/* Follow an audit.rotate record to the file it continues. */
static int
open_previous(const char *path, const struct audit_rec *rec, int *fd,
    char **prev_path, off_t *size)
{
	const char *name = json_string_value(
	    json_object_get(json_object_get(rec->root, "details"),
		"previous_file"));
	char *dir = NULL;
	struct stat st;
	int r = SIGNET_ERR_INTERNAL;

	*fd = -1;
	*prev_path = NULL;
	if (name == NULL || strchr(name, '/') != NULL)
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s starts with an audit.rotate record that "
		    "names no previous file",
		    path);
	if ((dir = file_dirname(path)) == NULL ||
	    (*prev_path = file_path_join(dir, name)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((*fd = open(*prev_path, O_RDONLY | O_CLOEXEC)) == -1) {
		r = errno == ENOENT
			? 1
			: signet_error_sys(SIGNET_ERR_AUDIT,
			      "cannot open rotated audit log %s", *prev_path);
		goto out;
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = signet_error_set(SIGNET_ERR_AUDIT,
		    "rotated audit log %s is not a regular file", *prev_path);
		goto out;
	}
	*size = st.st_size;
	r = 0;
out:
	if (r != 0) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		free(*prev_path);
		*prev_path = NULL;
	}
	free(dir);
	return r;
}

static void
note_crl_number(const struct audit_rec *rec, struct audit_scan *s)
{
	json_int_t n;

	if (rec->event != SIGNET_AUDIT_EV_CRL_GENERATE_INTENT &&
	    rec->event != SIGNET_AUDIT_EV_CRL_GENERATE &&
	    rec->event != SIGNET_AUDIT_EV_CRL_NUMBER_ADVANCE)
		return;
	n = json_integer_value(
	    json_object_get(json_object_get(rec->root, "details"),
		"crl_number"));
	if (n > s->crl_max)
		s->crl_max = (int64_t)n;
}

int
audit_scan_back(int fd, const char *path, off_t end, struct audit_scan *s)
{
	int r = SIGNET_ERR_INTERNAL, cur_fd = fd, more;
	struct back_reader b;
	struct audit_rec rec, next;
	char *cur_path = NULL, *prev_path = NULL;
	const char *line = NULL;
	size_t len = 0;
	off_t size = 0;

	memset(&b, 0, sizeof(b));
	memset(&rec, 0, sizeof(rec));
	memset(&next, 0, sizeof(next));
	s->cp_found = s->cp_ok = s->anchor_found = s->anchor_match = 0;
	s->reached_start = s->archive_missing = 0;
	s->crl_max = 0;
	s->first_seq = 0;
	s->cp_why[0] = '\0';
	if ((r = back_start(&b, fd, path, end)) != 0)
		goto out;
	for (;;) {
		if ((more = back_prev(&b, &line, &len)) < 0) {
			r = more;
			goto out;
		}
		if (more == 0) {
			/* The start of a file: the one it continues. */
			if (next.root == NULL ||
			    next.event != SIGNET_AUDIT_EV_AUDIT_ROTATE) {
				s->reached_start = 1;
				break;
			}
			if (cur_fd != fd)
				close(cur_fd);
			cur_fd = -1;
			r = open_previous(b.path, &next, &cur_fd, &prev_path,
			    &size);
			if (r == 1) {
				s->archive_missing = 1;
				break;
			}
			if (r != 0)
				goto out;
			free(cur_path);
			cur_path = prev_path;
			prev_path = NULL;
			free(b.buf);
			memset(&b, 0, sizeof(b));
			if ((r = back_start(&b, cur_fd, cur_path, size)) != 0)
				goto out;
			continue;
		}
		if (audit_rec_parse(line, len, &rec) != 0) {
			r = audit_error_wrap(SIGNET_ERR_AUDIT,
			    "audit log %s: a record before offset %lld is not "
			    "valid; run 'signet audit verify'",
			    b.path, (long long)b.lim + 1);
			goto out;
		}
		if (next.root != NULL &&
		    (rec.seq + 1 != next.seq ||
			memcmp(rec.hash, next.prev, 32) != 0)) {
			r = signet_error_set(SIGNET_ERR_AUDIT,
			    "audit log %s: the chain is broken between seq "
			    "%llu and seq %llu; run 'signet audit verify'",
			    b.path, (unsigned long long)rec.seq,
			    (unsigned long long)next.seq);
			goto out;
		}
		s->first_seq = rec.seq;
		note_crl_number(&rec, s);
		if (!s->cp_found &&
		    rec.event == SIGNET_AUDIT_EV_AUDIT_CHECKPOINT) {
			s->cp_found = 1;
			s->cp_seq = rec.seq;
			memcpy(s->cp_hash, rec.hash, 32);
			snprintf(s->cp_key, sizeof(s->cp_key), "%s",
			    rec.cp_key);
			s->cp_ok = checkpoint_ok(&rec, s, s->cp_why,
			    sizeof(s->cp_why));
		}
		if (s->anchor_seq > 0 && rec.seq == s->anchor_seq) {
			s->anchor_found = 1;
			s->anchor_match =
			    memcmp(rec.hash, s->anchor_hash, 32) == 0;
		}
		audit_rec_clear(&next);
		next = rec;
		memset(&rec, 0, sizeof(rec));
		if (s->cp_found &&
		    (s->anchor_seq > 0 ? next.seq <= s->anchor_seq : !s->whole))
			break;
	}
	r = 0;
out:
	audit_rec_clear(&rec);
	audit_rec_clear(&next);
	if (cur_fd != fd && cur_fd != -1)
		close(cur_fd);
	free(cur_path);
	free(prev_path);
	free(b.buf);
	return r;
}
