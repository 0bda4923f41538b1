#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fault.h"
#include "util/file.h"

int
file_read_fd(int fd, const char *path, size_t max, int code, uint8_t **out,
    size_t *len)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *buf = NULL, *tmp;
	size_t cap = 0, used = 0;
	ssize_t n;

	*out = NULL;
	*len = 0;
	for (;;) {
		if (used == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > max + 1)
				cap = max + 1;
			if ((tmp = realloc(buf, cap + 1)) == NULL) {
				r = signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory reading %s", path);
				goto out;
			}
			buf = tmp;
		}
		n = read(fd, buf + used, cap - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = signet_error_sys(code, "cannot read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			r = signet_error_set(code,
			    "%s is larger than the %zu byte limit", path, max);
			goto out;
		}
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

int
file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int fd, r;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		return file_read_fd(STDIN_FILENO, path, max, SIGNET_ERR_IO, out,
		    len);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return signet_error_sys(SIGNET_ERR_IO, "cannot open %s", path);
	r = file_read_fd(fd, path, max, SIGNET_ERR_IO, out, len);
	close(fd);
	return r;
}

int
file_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			/* No progress and no error: do not spin. */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *
file_dirname(const char *path)
{
	char *copy, *dir;

	if ((copy = strdup(path)) == NULL)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

char *
file_path_join(const char *dir, const char *name)
{
	char *p = NULL;

	if (name[0] == '/' || dir == NULL || dir[0] == '\0')
		return strdup(name);
	/* "certs/" and "certs" name the same directory: one separator. */
	if (asprintf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
		name) == -1)
		return NULL;
	return p;
}

int
file_sync_dir(const char *path)
{
	char *dir;
	int fd, r = 0;

	if ((dir = file_dirname(path)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot open directory %s",
		    dir);
		free(dir);
		return r;
	}
	if (fsync(fd) == -1)
		r = signet_error_sys(SIGNET_ERR_IO, "cannot sync directory %s",
		    dir);
	close(fd);
	free(dir);
	return r;
}

/*
 * Write data to a fresh temporary file beside path; return its name.
 * sync: fsync it (file batches sync their whole file system at once).
 */
static int
write_temp(const char *path, const void *data, size_t len, mode_t mode,
    int sync, char **tmp_out)
{
	int r = SIGNET_ERR_INTERNAL;
	char *tmp = NULL;
	int fd = -1;

	*tmp_out = NULL;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) == -1) {
		tmp = NULL;
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO,
		    "cannot create a temporary file for %s", path);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot set mode of %s",
		    tmp);
		goto out;
	}
	if (file_write_all(fd, data, len) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot write %s", path);
		goto out;
	}
	if (sync && fsync(fd) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot sync %s", path);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		r = signet_error_sys(SIGNET_ERR_IO, "cannot close %s", path);
		goto out;
	}
	fd = -1;
	*tmp_out = tmp;
	tmp = NULL;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return r;
}

/*
 * A character device or a FIFO (/dev/stdout, /dev/null, a pipe) cannot be
 * replaced atomically, and renaming a file over it would destroy the node
 * (as root, /dev/full or /dev/stdout for everyone): write to it in place.
 * node is an O_PATH descriptor of it; it is opened for writing through
 * /proc/self/fd, so that what is written to is the node that was judged,
 * whatever path names now.
 */
static int
write_stream(int node, const struct stat *judged, const char *path,
    const void *data, size_t len)
{
	char self[64];
	struct stat st;
	int fd, r = 0;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", node);
	if ((fd = open(self, O_WRONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return signet_error_sys(SIGNET_ERR_IO, "cannot open %s", path);
	if (fstat(fd, &st) == -1 || st.st_dev != judged->st_dev ||
	    st.st_ino != judged->st_ino) {
		close(fd);
		return signet_error_set(SIGNET_ERR_IO,
		    "%s changed while it was being opened; not written", path);
	}
	if (file_write_all(fd, data, len) == -1)
		r = signet_error_sys(SIGNET_ERR_IO, "cannot write %s", path);
	/* Streams have nothing to sync: EINVAL says so. */
	else if (fsync(fd) == -1 && errno != EINVAL && errno != ENOTSUP)
		r = signet_error_sys(SIGNET_ERR_IO, "cannot sync %s", path);
	if (close(fd) == -1 && r == 0)
		r = signet_error_sys(SIGNET_ERR_IO, "cannot close %s", path);
	return r;
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	int r, node;
	char *tmp = NULL;
	struct stat st;

	/*
	 * O_PATH looks at what path names (links followed, for /dev/stdout)
	 * without opening a device or waiting for a FIFO's reader; what is
	 * decided below is decided on that descriptor.
	 */
	if ((node = open(path, O_PATH | O_CLOEXEC)) != -1) {
		if (fstat(node, &st) == -1) {
			r = signet_error_sys(SIGNET_ERR_IO, "cannot stat %s",
			    path);
			close(node);
			return r;
		}
		if (!S_ISREG(st.st_mode)) {
			if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
				r = write_stream(node, &st, path, data, len);
			else
				r = signet_error_set(SIGNET_ERR_IO,
				    "%s is %s, not a file; give the path of a "
				    "file to write",
				    path,
				    S_ISDIR(st.st_mode) ? "a directory"
							: "a special file");
			close(node);
			return r;
		}
		close(node);
	}
	/* A regular file, or none: its name is replaced, never written. */
	if ((r = write_temp(path, data, len, mode, 1, &tmp)) != 0)
		return r;
	if ((r = SIGNET_FAULT("file.before_rename")) != 0) {
		unlink(tmp);
		free(tmp);
		return r;
	}
	if (rename(tmp, path) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot rename %s to %s",
		    tmp, path);
		unlink(tmp);
		free(tmp);
		return r;
	}
	free(tmp);
	return file_sync_dir(path);
}

int
file_write_excl(const char *path, const void *data, size_t len, mode_t mode)
{
	int r;
	char *tmp = NULL;

	if (file_exists(path))
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s already exists; refusing to overwrite it", path);
	if ((r = write_temp(path, data, len, mode, 1, &tmp)) != 0)
		return r;
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "%s already exists; refusing to overwrite it",
			    path);
		else
			r = signet_error_sys(SIGNET_ERR_IO, "cannot create %s",
			    path);
		unlink(tmp);
		free(tmp);
		return r;
	}
	unlink(tmp);
	free(tmp);
	return file_sync_dir(path);
}

int
file_mkdir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return signet_error_sys(SIGNET_ERR_IO, "cannot create directory %s",
	    path);
}

int
file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- files signet trusts ------------------------------------------------ */

/*
 * Judge one step of the walk: a directory on the way (file NULL) or the
 * file itself. Its owner must be root or the user signet runs as. The file
 * must not be writable (FILE_TRUST_SECRET: accessible) by group or others;
 * a directory must not be writable by them unless it is sticky (/tmp),
 * where nobody but an entry's owner (checked next) can rename or remove it.
 */
static int
trust_judge(const char *step, const char *file, const struct stat *st,
    unsigned how, int code)
{
	unsigned long uid = (unsigned long)geteuid();
	unsigned mode = (unsigned)(st->st_mode & 07777);
	mode_t bad = (how & FILE_TRUST_SECRET) ? 0077 : 0022;

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		if (file == NULL)
			return signet_error_set(code,
			    "%s is owned by uid %lu, neither root nor the user "
			    "signet runs as (uid %lu), who could change it; "
			    "run: chown %lu %s",
			    step, (unsigned long)st->st_uid, uid, uid, step);
		return signet_error_set(code,
		    "%s, a directory above %s, is owned by uid %lu, neither "
		    "root nor the user signet runs as (uid %lu), who could "
		    "replace the file; run: chown %lu %s",
		    step, file, (unsigned long)st->st_uid, uid, uid, step);
	}
	if (file == NULL && (st->st_mode & bad) != 0)
		return signet_error_set(code,
		    "%s is %s by others (mode %04o); run: chmod %s %s", step,
		    (how & FILE_TRUST_SECRET) ? "readable or writable"
					      : "writable",
		    mode, (how & FILE_TRUST_SECRET) ? "600" : "go-w", step);
	if (file != NULL && (st->st_mode & 0022) != 0 &&
	    (st->st_mode & S_ISVTX) == 0)
		return signet_error_set(code,
		    "%s, a directory above %s, is writable by %s (mode %04o), "
		    "who could replace the file; run: chmod go-w %s",
		    step, file,
		    (st->st_mode & 0022) == 0022 ? "its group and every user"
		    : (st->st_mode & S_IWOTH)    ? "every user"
						 : "its group",
		    mode, step);
	return 0;
}

/* The canonical path of path, which may be absent (then its directory not). */
static int
trust_realpath(const char *path, unsigned how, int code, char real[PATH_MAX])
{
	const char *base = strrchr(path, '/');
	char *dir;
	size_t used;
	int ok;

	if (realpath(path, real) != NULL)
		return 0;
	if (errno != ENOENT || !(how & FILE_TRUST_MAY_BE_ABSENT))
		return signet_error_sys(code, "cannot open %s", path);
	base = base != NULL ? base + 1 : path;
	if ((dir = file_dirname(path)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	ok = realpath(dir, real) != NULL;
	free(dir);
	if (!ok)
		return signet_error_sys(code, "cannot open the directory of %s",
		    path);
	used = strlen(real);
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0 ||
	    snprintf(real + used, PATH_MAX - used, "%s%s",
		strcmp(real, "/") == 0 ? "" : "/",
		base) >= (int)(PATH_MAX - used))
		return signet_error_set(code, "%s names no file", path);
	return 0;
}

int
file_open_trusted(const char *path, unsigned how, int code, int *fd_out,
    struct stat *st_out)
{
	int r = SIGNET_ERR_INTERNAL;
	char real[PATH_MAX], *comp, *next;
	int dir = -1, sub, fd = -1;
	struct stat st;

	*fd_out = -1;
	if ((r = trust_realpath(path, how, code, real)) != 0)
		goto out;
	/*
	 * From / down, each directory is opened below the one before
	 * without following links, and judged by its descriptor: a path
	 * changed after realpath() fails here rather than passing.
	 */
	if ((dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(dir, &st) == -1) {
		r = signet_error_sys(code, "cannot open /");
		goto out;
	}
	if ((r = trust_judge("/", path, &st, how, code)) != 0)
		goto out;
	for (comp = real + 1; (next = strchr(comp, '/')) != NULL;
	     comp = next + 1) {
		*next = '\0';
		sub = openat(dir, comp,
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1 || fstat(sub, &st) == -1) {
			r = signet_error_sys(code, "cannot open directory %s",
			    real);
			if (sub != -1)
				close(sub);
			goto out;
		}
		close(dir);
		dir = sub;
		if ((r = trust_judge(real, path, &st, how, code)) != 0)
			goto out;
		*next = '/';
	}
	fd = openat(dir, comp,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && (how & FILE_TRUST_MAY_BE_ABSENT)) {
		r = 0;
		goto out;
	}
	if (fd == -1) {
		r = signet_error_sys(code, "cannot open %s", path);
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = signet_error_sys(code, "cannot stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = signet_error_set(code, "%s is not a regular file", path);
		goto out;
	}
	if ((r = trust_judge(path, NULL, &st, how, code)) != 0)
		goto out;
	if (st_out != NULL)
		*st_out = st;
	*fd_out = fd;
	fd = -1;
	r = 0;
out:
	if (dir != -1)
		close(dir);
	if (fd != -1)
		close(fd);
	return r;
}

int
file_read_trusted(const char *path, size_t max, unsigned how, int code,
    uint8_t **out, size_t *len)
{
	int fd, r;

	*out = NULL;
	*len = 0;
	if ((r = file_open_trusted(path, how & ~FILE_TRUST_MAY_BE_ABSENT, code,
		 &fd, NULL)) != 0)
		return r;
	r = file_read_fd(fd, path, max, code, out, len);
	close(fd);
	return r;
}

int
file_check_private(const char *path, int no_group_read)
{
	int fd, r;

	r = file_open_trusted(path, no_group_read ? FILE_TRUST_SECRET : 0,
	    SIGNET_ERR_IO, &fd, NULL);
	if (fd != -1)
		close(fd);
	return r;
}

/* ---- batches ------------------------------------------------------------ */

struct file_batch_entry {
	char *path;
	char *tmp; /* a named temporary beside path, or NULL ... */
	int fd;    /* ... an unnamed one (O_TMPFILE), or -1 */
	int placed;
	char *error;
};

/*
 * Unnamed temporaries (O_TMPFILE) need /proc to be given a name without
 * privileges (linkat of /proc/self/fd/N); checked once.
 */
static int batch_unnamed_ok;
static pthread_once_t batch_unnamed_once = PTHREAD_ONCE_INIT;

static void
batch_unnamed_check(void)
{
	batch_unnamed_ok = access("/proc/self/fd", X_OK) == 0;
}

/*
 * The content of a batch file in an unnamed file of path's directory:
 * creating it takes no lock on the directory (several threads write at
 * once), and commit names it with one link instead of a create and a
 * rename. Returns the descriptor, or -1 (errno set) to use a named one.
 */
static int
batch_write_unnamed(const char *path, const void *data, size_t len, mode_t mode)
{
	char *dir;
	int fd, e;

	(void)pthread_once(&batch_unnamed_once, batch_unnamed_check);
	if (!batch_unnamed_ok) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if ((dir = file_dirname(path)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	free(dir);
	if (fd == -1)
		return -1;
	if (fchmod(fd, mode) == -1 || file_write_all(fd, data, len) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * Give entry e's unnamed file its path: a link if the path is free, else
 * a link to a temporary name renamed over it (replacing is atomic).
 */
static int
batch_place_unnamed(struct file_batch_entry *e, size_t index)
{
	char proc[64], *tmp = NULL;
	int r;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", e->fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, e->path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != EEXIST)
		return signet_error_sys(SIGNET_ERR_IO, "cannot create %s",
		    e->path);
	if (asprintf(&tmp, "%s.tmp.%ld.%zu", e->path, (long)getpid(), index) ==
	    -1)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	(void)unlink(tmp); /* a leftover of a crashed process of this pid */
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot create %s", tmp);
		free(tmp);
		return r;
	}
	if (rename(tmp, e->path) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot rename %s to %s",
		    tmp, e->path);
		unlink(tmp);
		free(tmp);
		return r;
	}
	free(tmp);
	return 0;
}

struct file_batch {
	pthread_mutex_t lock;
	struct file_batch_entry *v;
	size_t n, cap;
};

int
file_batch_new(struct file_batch **out)
{
	struct file_batch *b;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	pthread_mutex_init(&b->lock, NULL);
	*out = b;
	return 0;
}

int
file_batch_add(struct file_batch *b, const char *path, const void *data,
    size_t len, mode_t mode, size_t *index)
{
	struct file_batch_entry *v, e;
	int r;

	memset(&e, 0, sizeof(e));
	if ((e.path = strdup(path)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((e.fd = batch_write_unnamed(path, data, len, mode)) == -1 &&
	    (r = write_temp(path, data, len, mode, 0, &e.tmp)) != 0) {
		free(e.path);
		return r;
	}
	pthread_mutex_lock(&b->lock);
	if (b->n == b->cap) {
		size_t cap = b->cap == 0 ? 64 : b->cap * 2;

		if ((v = realloc(b->v, cap * sizeof(*v))) == NULL) {
			pthread_mutex_unlock(&b->lock);
			if (e.fd != -1)
				close(e.fd);
			else
				unlink(e.tmp);
			free(e.tmp);
			free(e.path);
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		}
		b->v = v;
		b->cap = cap;
	}
	if (index != NULL)
		*index = b->n;
	b->v[b->n++] = e;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* The distinct directories of the batch's paths. */
static int
batch_dirs(struct file_batch *b, char ***dirs_out, size_t *n_out)
{
	char **dirs = NULL, *d;
	size_t n = 0, i, k;

	*dirs_out = NULL;
	*n_out = 0;
	if (b->n > 0 && (dirs = calloc(b->n, sizeof(*dirs))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < b->n; i++) {
		if ((d = file_dirname(b->v[i].path)) == NULL) {
			for (k = 0; k < n; k++)
				free(dirs[k]);
			free(dirs);
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		}
		for (k = 0; k < n && strcmp(dirs[k], d) != 0; k++)
			;
		if (k < n)
			free(d);
		else
			dirs[n++] = d;
	}
	*dirs_out = dirs;
	*n_out = n;
	return 0;
}

static void
batch_fail_all(struct file_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].error == NULL)
			b->v[i].error = strdup(signet_error_message());
}

int
file_batch_commit(struct file_batch *b)
{
	int r = SIGNET_ERR_INTERNAL, first = 0, fd;
	char **dirs = NULL;
	size_t n_dirs = 0, i, k;
	dev_t *devs = NULL;
	size_t n_devs = 0;
	struct stat st;

	if (b->n == 0)
		return 0;
	if ((r = batch_dirs(b, &dirs, &n_dirs)) != 0 ||
	    (devs = calloc(n_dirs, sizeof(*devs))) == NULL) {
		if (r == 0)
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		batch_fail_all(b);
		goto out;
	}
	/* One syncfs per file system makes every temporary file durable. */
	for (i = 0; i < n_dirs; i++) {
		if ((fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		    -1) {
			r = signet_error_sys(SIGNET_ERR_IO,
			    "cannot open directory %s", dirs[i]);
			batch_fail_all(b);
			goto out;
		}
		if (fstat(fd, &st) == 0) {
			for (k = 0; k < n_devs && devs[k] != st.st_dev; k++)
				;
			if (k == n_devs) {
				devs[n_devs++] = st.st_dev;
				if (syncfs(fd) == -1) {
					r = signet_error_sys(SIGNET_ERR_IO,
					    "cannot sync the file system of "
					    "%s",
					    dirs[i]);
					close(fd);
					batch_fail_all(b);
					goto out;
				}
			}
		}
		close(fd);
	}
	if ((r = SIGNET_FAULT("file.batch.before_rename")) != 0) {
		batch_fail_all(b);
		goto out;
	}
	/* Only now may a name point at the new content. */
	for (i = 0; i < b->n; i++) {
		if (b->v[i].error != NULL)
			continue;
		if (b->v[i].fd != -1)
			r = batch_place_unnamed(&b->v[i], i);
		else if ((r = rename(b->v[i].tmp, b->v[i].path)) == -1)
			r = signet_error_sys(SIGNET_ERR_IO,
			    "cannot rename %s to %s", b->v[i].tmp,
			    b->v[i].path);
		if (r != 0) {
			if (first == 0)
				first = r;
			b->v[i].error = strdup(signet_error_message());
			continue;
		}
		b->v[i].placed = 1;
	}
	for (i = 0; i < n_dirs; i++) {
		if ((fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
			-1 ||
		    fsync(fd) == -1) {
			r = signet_error_sys(SIGNET_ERR_IO,
			    "cannot sync directory %s", dirs[i]);
			if (fd != -1)
				close(fd);
			/* Renamed, but perhaps not durably: say so. */
			for (k = 0; k < b->n; k++)
				if (b->v[k].placed && b->v[k].error == NULL) {
					b->v[k].placed = 0;
					b->v[k].error =
					    strdup(signet_error_message());
				}
			if (first == 0)
				first = r;
			continue;
		}
		close(fd);
	}
	r = first;
out:
	for (i = 0; i < n_dirs; i++)
		free(dirs[i]);
	free(dirs);
	free(devs);
	return r;
}

int
file_batch_placed(const struct file_batch *b, size_t index, const char **error)
{
	if (error != NULL)
		*error = NULL;
	if (index >= b->n)
		return 0;
	if (error != NULL)
		*error = b->v[index].error != NULL ? b->v[index].error
						   : "not written";
	return b->v[index].placed;
}

size_t
file_batch_count(const struct file_batch *b)
{
	return b->n;
}

void
file_batch_free(struct file_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		if (b->v[i].fd != -1)
			close(b->v[i].fd);
		else if (!b->v[i].placed && b->v[i].tmp != NULL)
			unlink(b->v[i].tmp);
		free(b->v[i].path);
		free(b->v[i].tmp);
		free(b->v[i].error);
	}
	free(b->v);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
