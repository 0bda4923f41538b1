/*
 * `signet init`: a new instance directory. signet.yaml is created first
 * and exclusively (two inits cannot both win), the inputs are copied in,
 * then the instance is opened with every check a signing command makes,
 * creating the database and the audit log. Any failure removes what this
 * run created, so the operator fixes the cause and runs it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca/ca_int.h"
#include "util/file.h"

#define INIT_FILES_MAX 10

struct init_ctx {
	char *created[INIT_FILES_MAX];
	size_t n;
	char *dir;
	int made_dir;
};

static int
remember(struct init_ctx *c, const char *path)
{
	if (c->n == INIT_FILES_MAX)
		return signet_error_set(SIGNET_ERR_INTERNAL, "too many files");
	if ((c->created[c->n] = strdup(path)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	c->n++;
	return 0;
}

static void
undo(struct init_ctx *c)
{
	char side[4096];
	size_t i;

	for (i = c->n; i > 0; i--) {
		unlink(c->created[i - 1]);
		/* SQLite's journal files beside the database. */
		snprintf(side, sizeof(side), "%s-wal", c->created[i - 1]);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", c->created[i - 1]);
		unlink(side);
	}
	if (c->made_dir)
		rmdir(c->dir);
}

/* An input of init; one that cannot be read is a configuration error. */
static int
read_input(const char *from, size_t max, const char *what, uint8_t **data,
    size_t *len)
{
	if (file_read(from, max, data, len) != 0)
		return signet_error_recode(SIGNET_ERR_CONFIG, "%s", what);
	return 0;
}

/* Write bytes read before into the instance, refusing to overwrite. */
static int
keep(struct init_ctx *c, const char *name, const uint8_t *data, size_t len)
{
	int r;
	char *to;

	if ((to = file_path_join(c->dir, name)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((r = file_write_excl(to, data, len, 0600)) == 0)
		r = remember(c, to);
	free(to);
	return r;
}

/* Copy an input into the instance. */
static int
copy_in(struct init_ctx *c, const char *from, const char *name, size_t max,
    const char *what)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if ((r = read_input(from, max, what, &data, &len)) == 0)
		r = keep(c, name, data, len);
	free(data);
	return r;
}

/* YAML double-quoted scalar: the values are URIs and paths. */
static int
yaml_quote(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "'%s' holds a control character", s);
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
	return 0;
}

static int
config_text(const struct signet_ca_init_params *p, char **text, size_t *len)
{
	FILE *f;
	int r = 0;

	*text = NULL;
	*len = 0;
	if ((f = open_memstream(text, len)) == NULL)
		return signet_error_sys(SIGNET_ERR_INTERNAL, "open_memstream");
	fprintf(f,
	    "# signet CA instance, written by 'signet init'.\n"
	    "# docs/ca.md describes every key. Relative paths are relative "
	    "to this file.\n"
	    "version: 1\n\n"
	    "token:\n  key: ");
	r |= yaml_quote(f, p->key_uri);
	fputc('\n', f);
	if (p->module != NULL) {
		fprintf(f, "  module: ");
		r |= yaml_quote(f, p->module);
		fputc('\n', f);
	}
	if (p->pin_source != NULL) {
		fprintf(f, "  pin-source: ");
		r |= yaml_quote(f, p->pin_source);
		fputc('\n', f);
	}
	fprintf(f, "\ncertificate: ca.pem\n");
	if (p->chain != NULL)
		fprintf(f, "chain: chain.pem\n");
	fprintf(f, "policy: policy.yaml\ndatabase: ");
	r |= yaml_quote(f,
	    p->database != NULL ? p->database : CA_DEFAULT_DATABASE);
	if (p->database_password_source != NULL) {
		fprintf(f, "\ndatabase-password-source: ");
		r |= yaml_quote(f, p->database_password_source);
	}
	fprintf(f, "\n\naudit:\n  log: %s\n  key: ", CA_DEFAULT_AUDIT_LOG);
	r |= yaml_quote(f, p->audit_key_uri);
	fprintf(f,
	    "\n  checkpoint-interval: %u\n\n"
	    "crl:\n  next-update: 7d\n  delta-next-update: 1d\n\n"
	    "issuance:\n  serial-length: %u\n  batch-size: %u\n"
	    "  workers: 0\n",
	    (unsigned)SIGNET_AUDIT_CHECKPOINT_DEFAULT,
	    (unsigned)SIGNET_SERIAL_DEFAULT, (unsigned)CA_DEFAULT_BATCH);
	if (fclose(f) != 0 && r == 0)
		r = signet_error_sys(SIGNET_ERR_INTERNAL, "open_memstream");
	if (r != 0) {
		free(*text);
		*text = NULL;
		return r < 0 ? r : SIGNET_ERR_USAGE;
	}
	return 0;
}

/*
 * A file: source given to init is relative to the current directory, as the
 * certificate, chain and policy paths are. signet.yaml takes relative paths
 * from its own directory, so such a source is written absolute. *out stays
 * NULL when spec needs no change.
 */
static int
source_absolute(const char *spec, char **out)
{
	int r = SIGNET_ERR_INTERNAL;
	char *cwd = NULL, *path = NULL;

	*out = NULL;
	if (spec == NULL || strncmp(spec, "file:", 5) != 0 || spec[5] == '/' ||
	    spec[5] == '\0')
		return 0;
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		r = signet_error_sys(SIGNET_ERR_IO,
		    "cannot resolve %s: the current directory is unknown",
		    spec);
		goto out;
	}
	if ((path = file_path_join(cwd, spec + 5)) == NULL ||
	    asprintf(out, "file:%s", path) == -1) {
		*out = NULL;
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	r = 0;
out:
	free(cwd);
	free(path);
	return r;
}

static int
init_params_check(const struct signet_ca_init_params *p)
{
	if (p->dir == NULL || p->ca_cert == NULL || p->key_uri == NULL ||
	    p->audit_key_uri == NULL || p->policy == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "init needs a directory, the CA certificate, the CA key's "
		    "URI, the audit key's URI and a policy file");
	if (strcmp(p->key_uri, p->audit_key_uri) == 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "the audit key must be another key than the CA key");
	return 0;
}

int
signet_ca_init(const struct signet_ca_init_params *p, char **config_path)
{
	int r = SIGNET_ERR_INTERNAL;
	struct init_ctx c;
	struct signet_ca *ca = NULL;
	char *config = NULL, *text = NULL, *db = NULL, *log = NULL;
	char *lock = NULL, *pin_source = NULL, *password_source = NULL;
	struct signet_ca_init_params written;
	struct signet_policy *policy = NULL;
	uint8_t *policy_text = NULL;
	size_t len = 0, policy_len = 0;
	struct stat st;

	memset(&c, 0, sizeof(c));
	if (config_path != NULL)
		*config_path = NULL;
	if ((r = init_params_check(p)) != 0)
		return r;
	/*
	 * The policy is judged before anything is made, as every later open
	 * will judge it, and the bytes judged are the bytes kept.
	 */
	if ((r = read_input(p->policy, SIGNET_POLICY_MAX_SIZE, "policy",
		 &policy_text, &policy_len)) != 0 ||
	    (r = signet_policy_load_mem(p->policy, policy_text, policy_len,
		 &policy)) != 0)
		goto out;
	if ((c.dir = strdup(p->dir)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (mkdir(c.dir, 0700) == 0)
		c.made_dir = 1;
	else if (errno != EEXIST) {
		r = signet_error_sys(SIGNET_ERR_IO,
		    "cannot create directory %s", c.dir);
		goto out;
	}
	if (stat(c.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		r = signet_error_set(SIGNET_ERR_IO, "%s is not a directory",
		    c.dir);
		goto out;
	}
	if ((st.st_mode & 0077) != 0) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "directory %s is open to other users (mode %04o); an "
		    "instance directory must be private: run chmod 700 %s",
		    c.dir, (unsigned)(st.st_mode & 07777), c.dir);
		goto out;
	}
	if ((config = file_path_join(c.dir, SIGNET_CA_CONFIG_NAME)) == NULL ||
	    (log = file_path_join(c.dir, CA_DEFAULT_AUDIT_LOG)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (file_exists(config)) {
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s holds a CA instance already (%s); refusing to "
		    "overwrite it",
		    c.dir, config);
		goto out;
	}
	/* Leftovers of another instance would be adopted silently. */
	if (file_exists(log)) {
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s exists already; init does not adopt another "
		    "instance's audit log: use an empty directory",
		    log);
		goto out;
	}
	if ((r = source_absolute(p->pin_source, &pin_source)) != 0 ||
	    (r = source_absolute(p->database_password_source,
		 &password_source)) != 0)
		goto out;
	written = *p;
	if (pin_source != NULL)
		written.pin_source = pin_source;
	if (password_source != NULL)
		written.database_password_source = password_source;
	if ((r = config_text(&written, &text, &len)) != 0)
		goto out;
	if ((r = file_write_excl(config, text, len, 0600)) != 0)
		goto out;
	if ((r = remember(&c, config)) != 0)
		goto out;
	if ((r = copy_in(&c, p->ca_cert, "ca.pem", SIGNET_FILE_MAX_INPUT,
		 "CA certificate")) != 0 ||
	    (p->chain != NULL && (r = copy_in(&c, p->chain, "chain.pem",
				      SIGNET_FILE_MAX_INPUT, "chain")) != 0) ||
	    (r = keep(&c, "policy.yaml", policy_text, policy_len)) != 0)
		goto out;
	if ((db = ca_store_file(
		 p->database != NULL ? p->database : CA_DEFAULT_DATABASE)) !=
	    NULL) {
		char *abs = file_path_join(c.dir, db);

		free(db);
		db = abs;
		if (db == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		if (file_exists(db)) {
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "database %s exists already; init does not adopt "
			    "another instance's database",
			    db);
			goto out;
		}
		if ((r = remember(&c, db)) != 0)
			goto out;
	}
	if ((r = remember(&c, log)) != 0)
		goto out;
	if ((lock = file_path_join(c.dir, "signet.lock")) == NULL ||
	    (r = remember(&c, lock)) != 0) {
		if (lock == NULL)
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		goto out;
	}
	if ((r = signet_ca_open(config,
		 SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY |
		     SIGNET_CA_OPEN_CREATE,
		 &ca)) != 0)
		goto out;
	if ((r = signet_ca_close(ca)) != 0) {
		ca = NULL;
		goto out;
	}
	ca = NULL;
	/* The log module makes logs 0640 for an auditors' group; an
	 * instance is one user's until its operator decides otherwise. */
	if (chmod(log, 0600) != 0) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot chmod %s", log);
		goto out;
	}
	if (config_path != NULL) {
		*config_path = config;
		config = NULL;
	}
	r = 0;
out:
	signet_ca_free(ca);
	if (r != 0) {
		/* Keep the message: undoing must not lose it. */
		char why[sizeof(((struct signet_error_info *)0)->message)];

		snprintf(why, sizeof(why), "%s", signet_error_message());
		undo(&c);
		signet_error_set(r, "%s", why);
	}
	while (c.n > 0)
		free(c.created[--c.n]);
	free(c.dir);
	free(config);
	free(text);
	free(db);
	free(log);
	free(lock);
	free(pin_source);
	free(password_source);
	signet_policy_free(policy);
	free(policy_text);
	return r;
}
