/*
 * Where the CA may write a certificate or a CRL: never over a file of the
 * instance (signet issue --out CA/signet.db once replaced the database),
 * and over an existing file only if it holds a certificate or CRL this CA
 * signed, that is one signet wrote, unless the operator forces it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/ca_int.h"
#include "util/file.h"

#define OUTPUT_SIDECARS 3

/* Does the file path names (if any) hold the node st is? */
static int
same_node(const char *path, const struct stat *st)
{
	struct stat other;

	return path != NULL && stat(path, &other) == 0 &&
	       other.st_dev == st->st_dev && other.st_ino == st->st_ino;
}

/* The file of a file: secret source, or NULL. */
static const char *
source_file(const char *spec)
{
	if (spec == NULL)
		return NULL;
	if (strncmp(spec, "file://", 7) == 0)
		return spec + 7;
	if (strncmp(spec, "file:", 5) == 0)
		return spec + 5;
	return NULL;
}

/* The instance file st is, or NULL: every file signet.yaml names or implies. */
static int
instance_file(const struct signet_ca *ca, const struct stat *st, char **which)
{
	static const char *const sidecars[OUTPUT_SIDECARS] = { "-wal", "-shm",
		"-journal" };
	const struct signet_ca_config *c = ca->cfg;
	const char *named[] = { c->path, c->certificate, c->chain, c->policy,
		c->audit_log, source_file(c->pin_source),
		source_file(c->audit_pin_source),
		source_file(c->database_password_source) };
	char *db = ca_store_file(c->database), *lock = NULL, *side = NULL;
	char **logs = NULL;
	size_t n_logs = 0, i;
	int r = 0;

	*which = NULL;
	for (i = 0; *which == NULL && i < sizeof(named) / sizeof(named[0]); i++)
		if (same_node(named[i], st) &&
		    (*which = strdup(named[i])) == NULL)
			goto oom;
	if (*which == NULL && db != NULL) {
		if (same_node(db, st) && (*which = strdup(db)) == NULL)
			goto oom;
		for (i = 0; *which == NULL && i < OUTPUT_SIDECARS; i++) {
			if (asprintf(&side, "%s%s", db, sidecars[i]) == -1) {
				side = NULL;
				goto oom;
			}
			if (same_node(side, st)) {
				*which = side;
				side = NULL;
			}
			free(side);
			side = NULL;
		}
	}
	if (*which == NULL) {
		if ((lock = file_path_join(c->dir, "signet.lock")) == NULL)
			goto oom;
		if (same_node(lock, st)) {
			*which = lock;
			lock = NULL;
		}
	}
	/* The audit log, and its rotated archives. */
	if (*which == NULL && ca_audit_files(c->audit_log, &logs, &n_logs) == 0)
		for (i = 0; *which == NULL && i < n_logs; i++)
			if (same_node(logs[i], st) &&
			    (*which = strdup(logs[i])) == NULL)
				goto oom;
	signet_error_clear();
	goto out;
oom:
	r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
out:
	for (i = 0; i < n_logs; i++)
		free(logs[i]);
	free(logs);
	free(db);
	free(lock);
	return r;
}

/* 1 if data holds (first) a certificate or a CRL signed by the CA's key. */
static int
signed_by_ca(const struct signet_ca *ca, const uint8_t *data, size_t len)
{
	EVP_PKEY *pub = X509_get0_pubkey(ca->cert);
	const unsigned char *p = data;
	X509_CRL *crl = NULL;
	X509 *x = NULL;
	BIO *bio;
	int ok = 0;

	if (pub == NULL || len > (size_t)SIGNET_FILE_MAX_INPUT)
		return 0;
	if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (x == NULL && BIO_reset(bio) == 1)
			crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (x == NULL && crl == NULL)
		x = d2i_X509(NULL, &p, (long)len);
	p = data;
	if (x == NULL && crl == NULL)
		crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (x != NULL)
		ok = X509_verify(x, pub) == 1;
	else if (crl != NULL)
		ok = X509_CRL_verify(crl, pub) == 1;
	ERR_clear_error();
	X509_free(x);
	X509_CRL_free(crl);
	return ok;
}

int
signet_ca_output_check(struct signet_ca *ca, const char *path, int force)
{
	int r = SIGNET_ERR_INTERNAL, fd = -1;
	char *which = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	struct stat st, opened;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return signet_error_sys(SIGNET_ERR_IO, "cannot look at %s",
		    path);
	}
	/* Devices and FIFOs are written in place; directories refused. */
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((r = instance_file(ca, &st, &which)) != 0)
		goto out;
	if (which != NULL) {
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s is %s, a file of the CA instance %s; refusing to "
		    "replace it: give another output path",
		    path, which, ca->cfg->path);
		goto out;
	}
	if (force) {
		r = 0;
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) ==
		-1 ||
	    fstat(fd, &opened) == -1) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot read %s", path);
		goto out;
	}
	if (!S_ISREG(opened.st_mode) || opened.st_dev != st.st_dev ||
	    opened.st_ino != st.st_ino ||
	    opened.st_size > (off_t)SIGNET_FILE_MAX_INPUT ||
	    file_read_fd(fd, path, SIGNET_FILE_MAX_INPUT, SIGNET_ERR_IO, &data,
		&len) != 0 ||
	    !signed_by_ca(ca, data, len)) {
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s exists and holds no certificate or CRL of this CA; "
		    "refusing to replace it (give --force to replace it "
		    "anyway)",
		    path);
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(data);
	free(which);
	return r;
}
