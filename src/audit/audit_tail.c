/*
 * Reading log files: the last line from the end (to continue the chain
 * without reading the whole file), the first line, and a capped line
 * reader for the verifier.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_int.h"

#define CHUNK 65536

static int
pread_all(int fd, const char *path, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return signet_error_sys(SIGNET_ERR_AUDIT,
			    "cannot read audit log %s", path);
		if (n == 0)
			return signet_error_set(SIGNET_ERR_AUDIT,
			    "audit log %s shrank while being read", path);
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * The offset of the last LF before end, looking back at most limit bytes:
 * *pos is -1 when the file start is reached first. Returns 1 (not an
 * error) when limit bytes hold no LF.
 */
static int
find_lf_before(int fd, const char *path, off_t end, size_t limit, off_t *pos)
{
	char buf[CHUNK];
	off_t lo;
	size_t n, seen = 0;
	char *lf;
	int r;

	*pos = -1;
	while (end > 0) {
		n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		lo = end - (off_t)n;
		if ((r = pread_all(fd, path, buf, n, lo)) != 0)
			return r;
		if ((lf = memrchr(buf, '\n', n)) != NULL) {
			*pos = lo + (lf - buf);
			return 0;
		}
		seen += n;
		if (seen > limit)
			return 1;
		end = lo;
	}
	return 0;
}

void
audit_tail_clear(struct audit_tail *t)
{
	free(t->line);
	memset(t, 0, sizeof(*t));
}

int
audit_tail_read(int fd, const char *path, struct audit_tail *t)
{
	int r = SIGNET_ERR_INTERNAL;
	struct stat st;
	off_t last_lf, prev_lf;
	size_t len;

	memset(t, 0, sizeof(*t));
	if (fstat(fd, &st) == -1)
		return signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot stat audit log %s", path);
	t->size = st.st_size;
	if (st.st_size == 0)
		return 0;
	if ((r = find_lf_before(fd, path, st.st_size, SIGNET_AUDIT_LINE_MAX,
		 &last_lf)) < 0)
		return r;
	if (r == 1)
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s: its last %d bytes hold no line break: "
		    "this is not an audit log",
		    path, SIGNET_AUDIT_LINE_MAX);
	t->torn_start = last_lf + 1;
	t->torn_len = (size_t)(st.st_size - t->torn_start);
	if (last_lf < 0)
		return 0;
	if ((r = find_lf_before(fd, path, last_lf, SIGNET_AUDIT_LINE_MAX,
		 &prev_lf)) < 0)
		return r;
	len = (size_t)(last_lf - prev_lf - 1);
	if (r == 1 || len >= SIGNET_AUDIT_LINE_MAX)
		return signet_error_set(SIGNET_ERR_AUDIT,
		    "audit log %s: the last record is longer than the %d "
		    "byte limit",
		    path, SIGNET_AUDIT_LINE_MAX - 1);
	if ((t->line = malloc(len + 1)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((r = pread_all(fd, path, t->line, len, prev_lf + 1)) != 0) {
		audit_tail_clear(t);
		return r;
	}
	t->line[len] = '\0';
	t->len = len;
	t->line_start = prev_lf + 1;
	return 0;
}

int
audit_head_read(int fd, const char *path, char **line, size_t *len)
{
	char *buf = NULL, *lf, *tmp;
	size_t used = 0, cap = 0;
	ssize_t n;

	*line = NULL;
	*len = 0;
	for (;;) {
		if (cap - used < CHUNK) {
			cap += CHUNK;
			if ((tmp = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
			}
			buf = tmp;
		}
		n = pread(fd, buf + used, CHUNK, (off_t)used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return signet_error_sys(SIGNET_ERR_AUDIT,
			    "cannot read audit log %s", path);
		}
		if ((lf = memchr(buf + used, '\n', (size_t)n)) != NULL) {
			used = (size_t)(lf - buf);
			break;
		}
		used += (size_t)n;
		if (n == 0)
			break;
		if (used >= SIGNET_AUDIT_LINE_MAX) {
			free(buf);
			return signet_error_set(SIGNET_ERR_AUDIT,
			    "audit log %s: the first record is longer than "
			    "the %d byte limit",
			    path, SIGNET_AUDIT_LINE_MAX - 1);
		}
	}
	buf[used] = '\0';
	*line = buf;
	*len = used;
	return 0;
}

/* ---- line reader -------------------------------------------------------- */

struct audit_reader {
	int fd;
	char *path;
	char *buf;
	size_t cap;   /* allocated */
	size_t start; /* first byte not yet returned */
	size_t end;   /* bytes in buf */
	int eof;
	uint64_t lineno;
};

int
audit_reader_open(const char *path, struct audit_reader **out)
{
	struct audit_reader *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		free(r);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		int e = signet_error_sys(SIGNET_ERR_IO,
		    "cannot open audit log %s", path);

		free(r->path);
		free(r);
		return e;
	}
	*out = r;
	return 0;
}

int
audit_reader_next(struct audit_reader *r, const char **line, size_t *len,
    int *complete)
{
	char *lf, *tmp;
	size_t scanned = 0, want;
	ssize_t n;

	*line = NULL;
	*len = 0;
	*complete = 0;
	for (;;) {
		lf = NULL;
		if (r->end > r->start + scanned)
			lf = memchr(r->buf + r->start + scanned, '\n',
			    r->end - r->start - scanned);
		if (lf != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(lf - *line);
			*complete = 1;
			r->start += *len + 1;
			r->lineno++;
			return 1;
		}
		scanned = r->end - r->start;
		if (scanned >= SIGNET_AUDIT_LINE_MAX) {
			r->lineno++;
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "line is longer than the %d byte limit",
			    SIGNET_AUDIT_LINE_MAX - 1);
		}
		if (r->eof) {
			if (scanned == 0)
				return 0;
			*line = r->buf + r->start;
			*len = scanned;
			r->start = r->end;
			r->lineno++;
			return 1;
		}
		/* Move the partial line to the front, grow if needed. */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, scanned);
			r->end = scanned;
			r->start = 0;
		}
		if (r->cap - r->end < CHUNK / 2) {
			want = r->cap == 0 ? CHUNK : r->cap * 2;
			if (want > SIGNET_AUDIT_LINE_MAX + CHUNK)
				want = SIGNET_AUDIT_LINE_MAX + CHUNK;
			if ((tmp = realloc(r->buf, want)) == NULL)
				return signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
			r->buf = tmp;
			r->cap = want;
		}
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return signet_error_sys(SIGNET_ERR_IO,
			    "cannot read audit log %s", r->path);
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

uint64_t
audit_reader_lineno(const struct audit_reader *r)
{
	return r->lineno;
}

void
audit_reader_free(struct audit_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	free(r->buf);
	free(r->path);
	free(r);
}
