#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "util/file.h"
#include "util/secret.h"

struct signet_secret {
	size_t len;
	size_t map_len;
	char value[]; /* NUL-terminated for modules that want a C string */
};

void
secret_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

static struct signet_secret *
secret_alloc(void)
{
	struct signet_secret *s;
	size_t map_len = (size_t)sysconf(_SC_PAGESIZE);

	s = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return NULL;
	/* Best effort: an unprivileged process may have a small mlock limit. */
	(void)mlock(s, map_len);
	(void)madvise(s, map_len, MADV_DONTDUMP);
	s->len = 0;
	s->map_len = map_len;
	return s;
}

void
secret_free(struct signet_secret *s)
{
	size_t map_len;

	if (s == NULL)
		return;
	map_len = s->map_len;
	secret_wipe(s, map_len);
	(void)munlock(s, map_len);
	munmap(s, map_len);
}

const char *
secret_get0(const struct signet_secret *s, size_t *len)
{
	if (len != NULL)
		*len = s->len;
	return s->value;
}

int
secret_from_bytes(const void *bytes, size_t len, struct signet_secret **out)
{
	struct signet_secret *s;

	*out = NULL;
	if (len > SECRET_MAX)
		return signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "secret is longer than %d bytes", SECRET_MAX);
	if ((s = secret_alloc()) == NULL)
		return signet_error_sys(SIGNET_ERR_INTERNAL,
		    "cannot allocate secret memory");
	memcpy(s->value, bytes, len);
	s->value[len] = '\0';
	s->len = len;
	*out = s;
	return 0;
}

/* Keep the first line only, without its line ending. */
static size_t
first_line(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			return i;
	return len;
}

int
secret_from_file(const char *path, const char *what, struct signet_secret **out)
{
	int r = SIGNET_ERR_INTERNAL;
	int fd = -1;
	char buf[SECRET_MAX + 2];
	ssize_t n;
	size_t used = 0;

	*out = NULL;
	/* Whoever can replace the file chooses the PIN signet logs in with. */
	if ((r = file_open_trusted(path, FILE_TRUST_SECRET,
		 SIGNET_ERR_PIN_SOURCE, &fd, NULL)) != 0) {
		r = signet_error_context(r, "the %s file", what);
		goto out;
	}
	while (used < sizeof(buf)) {
		n = read(fd, buf + used, sizeof(buf) - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = signet_error_sys(SIGNET_ERR_PIN_SOURCE,
			    "cannot read the %s file %s", what, path);
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	used = first_line(buf, used);
	if (used > SECRET_MAX) {
		r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "the %s file %s holds more than %d bytes", what, path,
		    SECRET_MAX);
		goto out;
	}
	if (used == 0) {
		r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "the %s file %s is empty", what, path);
		goto out;
	}
	r = secret_from_bytes(buf, used, out);
out:
	secret_wipe(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return r;
}

int
secret_from_env(const char *name, const char *what, struct signet_secret **out)
{
	char *value;
	size_t len, used;
	int r;

	*out = NULL;
	if ((value = getenv(name)) == NULL)
		return signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "the %s was to come from the environment variable %s, "
		    "which is not set",
		    what, name);
	len = strlen(value);
	/* As for files: only the first line counts, and it must not be empty. */
	used = first_line(value, len);
	if (used == 0)
		r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "the environment variable %s (%s) is empty%s", name, what,
		    len > 0 ? " on its first line" : "");
	else
		r = secret_from_bytes(value, used, out);
	/* Leave no copy in this process's environment. */
	secret_wipe(value, len);
	unsetenv(name);
	return r;
}

int
secret_can_prompt(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

/* The prompt itself; an empty answer is *out NULL when allow_empty. */
static int
secret_prompt_read(const char *what, int allow_empty,
    struct signet_secret **out)
{
	int r = SIGNET_ERR_INTERNAL;
	int fd = -1, restore = 0;
	struct termios old, noecho;
	char buf[SECRET_MAX + 2];
	size_t used = 0;
	ssize_t n;
	char c;

	*out = NULL;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1) {
		r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "no %s source configured and no terminal to prompt on; "
		    "give one with pin-source=file:PATH in the URI, or "
		    "--pin-env NAME",
		    what);
		goto out;
	}
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		noecho.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0)
			restore = 1;
	}
	dprintf(fd, "Enter %s: ", what);
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (used < sizeof(buf))
			buf[used++] = c;
	}
	c = 0;
	dprintf(fd, "\n");
	if (used > SECRET_MAX) {
		r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "the %s entered is longer than %d bytes", what, SECRET_MAX);
		goto out;
	}
	if (used == 0) {
		r = allow_empty ? 0
				: signet_error_set(SIGNET_ERR_PIN_SOURCE,
				      "no %s entered", what);
		goto out;
	}
	r = secret_from_bytes(buf, used, out);
out:
	secret_wipe(buf, sizeof(buf));
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (fd != -1)
		close(fd);
	return r;
}

int
secret_prompt(const char *what, struct signet_secret **out)
{
	return secret_prompt_read(what, 0, out);
}

int
secret_prompt_optional(const char *what, struct signet_secret **out)
{
	return secret_prompt_read(what, 1, out);
}

int
secret_prompt_twice(const char *what, struct signet_secret **out)
{
	struct signet_secret *a = NULL, *b = NULL;
	const char *va, *vb;
	size_t la = 0, lb = 0;
	char again[160];
	int r, tries;

	*out = NULL;
	snprintf(again, sizeof(again), "%s again", what);
	for (tries = 0; tries < 3; tries++) {
		if ((r = secret_prompt(what, &a)) != 0 ||
		    (r = secret_prompt(again, &b)) != 0)
			goto out;
		va = secret_get0(a, &la);
		vb = secret_get0(b, &lb);
		if (la == lb && CRYPTO_memcmp(va, vb, la) == 0) {
			*out = a;
			a = NULL;
			r = 0;
			goto out;
		}
		secret_free(a);
		secret_free(b);
		a = b = NULL;
		secret_prompt_notice("The two entries differ; once more.");
	}
	r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
	    "the %s was typed differently three times", what);
out:
	secret_free(a);
	secret_free(b);
	return r;
}

void
secret_prompt_notice(const char *line)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd == -1)
		return;
	dprintf(fd, "%s\n", line);
	close(fd);
}

int
secret_from_spec(const char *spec, const char *what, struct signet_secret **out)
{
	*out = NULL;
	if (spec == NULL || *spec == '\0' || strcmp(spec, "prompt") == 0)
		return secret_prompt(what, out);
	if (strncmp(spec, "file://", 7) == 0)
		return secret_from_file(spec + 7, what, out);
	if (strncmp(spec, "file:", 5) == 0)
		return secret_from_file(spec + 5, what, out);
	if (strncmp(spec, "env:", 4) == 0)
		return secret_from_env(spec + 4, what, out);
	return signet_error_set(SIGNET_ERR_PIN_SOURCE,
	    "unknown %s source '%s': use file:PATH, env:NAME or prompt", what,
	    spec);
}

void
secret_harden_process(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
