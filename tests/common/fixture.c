#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

static char tmpdir[PATH_MAX];
static int keep;

static void
fx_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	if (tmpdir[0] == '\0' || keep)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "fixture: could not remove %s\n", tmpdir);
}

static void fx_die(const char *) __attribute__((noreturn));

static void
fx_die(const char *what)
{
	fprintf(stderr, "fixture: %s\n", what);
	abort();
}

const char *
fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0] != '\0')
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/signet-test.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		fx_die("mkdtemp failed");
	keep = getenv("SIGNET_KEEP_TMP") != NULL;
	if (keep)
		fprintf(stderr, "fixture: keeping %s\n", tmpdir);
	atexit(fx_cleanup);
	return tmpdir;
}

const char *
fx_path(const char *name)
{
	static char bufs[8][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", fx_tmpdir(), name);
	return b;
}

const char *
fx_source_dir(void)
{
	const char *d = getenv("SIGNET_SOURCE_DIR");

	if (d == NULL)
		fx_die("SIGNET_SOURCE_DIR is not set (run tests with ctest)");
	return d;
}

const char *
fx_signet_bin(void)
{
	const char *b = getenv("SIGNET_BIN");

	if (b == NULL)
		fx_die("SIGNET_BIN is not set (run tests with ctest)");
	return b;
}

const char *
fx_softhsm_module(void)
{
	const char *m = getenv("SIGNET_SOFTHSM_MODULE");

	return m != NULL ? m : "/usr/lib/softhsm/libsofthsm2.so";
}

void
fx_softhsm_tokens(const char *label, ...)
{
	char cmd[8192], conf[PATH_MAX];
	size_t used;
	va_list ap;

	used = (size_t)snprintf(cmd, sizeof(cmd), "'%s/hsm/mktoken.sh' '%s' ",
	    fx_source_dir(), fx_path("hsm"));
	va_start(ap, label);
	for (; label != NULL; label = va_arg(ap, const char *))
		used += (size_t)snprintf(cmd + used, sizeof(cmd) - used,
		    "'%s' ", label);
	va_end(ap);
	if (used >= sizeof(cmd))
		fx_die("too many tokens");
	strncat(cmd, ">/dev/null", sizeof(cmd) - strlen(cmd) - 1);
	if (system(cmd) != 0)
		fx_die("hsm/mktoken.sh failed");
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", fx_path("hsm"));
	setenv("SOFTHSM2_CONF", conf, 1);
}

void
fx_softhsm_import_key(const char *token, const char *pin_file,
    const char *label, const char *id)
{
	const char *key = fx_path("import.der"), *pub = fx_path("import.pub");

	/* The PIN goes through the environment, never on a command line. */
	if (fx_sh("openssl genpkey -algorithm EC -pkeyopt "
		  "ec_paramgen_curve:P-256 -outform DER -out '%s' 2>/dev/null "
		  "&& openssl pkey -inform DER -in '%s' -pubout -outform DER "
		  "-out '%s' && SIGNET_TEST_PIN=$(cat '%s') && "
		  "export SIGNET_TEST_PIN && "
		  "pkcs11-tool --module '%s' --token-label '%s' --login --pin "
		  "env:SIGNET_TEST_PIN --write-object '%s' --type privkey "
		  "--label '%s' --id '%s' --sensitive --usage-sign "
		  ">/dev/null 2>&1 && "
		  "pkcs11-tool --module '%s' --token-label '%s' --login --pin "
		  "env:SIGNET_TEST_PIN --write-object '%s' --type pubkey "
		  "--label '%s' --id '%s' >/dev/null 2>&1; st=$?; "
		  "rm -f '%s' '%s'; exit $st",
		key, key, pub, pin_file, fx_softhsm_module(), token, key, label,
		id, fx_softhsm_module(), token, pub, label, id, key, pub) != 0)
		fx_die("importing a key with pkcs11-tool");
}

const char *
fx_pin_file(const char *label)
{
	static char bufs[4][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/hsm/%s.pin", fx_tmpdir(), label);
	return b;
}

const char *
fx_pin_source(const char *label)
{
	static char bufs[4][PATH_MAX + 8];
	static unsigned next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX + 8, "file:%s", fx_pin_file(label));
	return b;
}

int
fx_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		fx_die("out of memory");
	va_end(ap);
	st = system(cmd);
	free(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

char *
fx_sh_output(int *status, const char *fmt, ...)
{
	char *cmd = NULL, *out = NULL;
	size_t cap = 0, used = 0, n;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		fx_die("out of memory");
	va_end(ap);
	if ((p = popen(cmd, "r")) == NULL)
		fx_die("popen failed");
	for (;;) {
		if (cap - used < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((out = realloc(out, cap)) == NULL)
				fx_die("out of memory");
		}
		n = fread(out + used, 1, cap - used - 1, p);
		if (n == 0)
			break;
		used += n;
	}
	if (out == NULL && (out = malloc(1)) == NULL)
		fx_die("out of memory");
	out[used] = '\0';
	st = pclose(p);
	free(cmd);
	if (status != NULL)
		*status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
	return out;
}

int
fx_have(const char *command)
{
	return fx_sh("command -v '%s' >/dev/null 2>&1", command) == 0;
}

void
fx_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fx_die("cannot write a test file");
}

uint8_t *
fx_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n = 0;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fx_die("cannot read a test file");
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		fx_die("cannot read a test file");
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int
fx_count_lines(const char *path, const char *first, const char *needle)
{
	size_t len = 0, flen = strlen(first);
	char *text = (char *)fx_read(path, &len), *line, *next;
	int n = 0;

	for (line = text; *line != '\0'; line = next) {
		/* A torn line would make every count a guess. */
		if ((next = strchr(line, '\n')) == NULL)
			fx_die("a line without its newline in a counted file");
		/* Keep the newline in the line while matching. */
		next++;
		if (strncmp(line, first, flen) != 0 || line[flen] != ' ')
			continue;
		if (needle == NULL || memmem(line, (size_t)(next - line),
					  needle, strlen(needle)) != NULL)
			n++;
	}
	free(text);
	return n;
}
