/*
 * Opening an instance: configuration, store, audit log, policy, tokens,
 * and every check that must pass before the CA signs anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "util/codec.h"
#include "util/file.h"
#include "util/pem.h"

/* ---- small helpers ------------------------------------------------------- */

char *
ca_error_dup(void)
{
	return strdup(signet_error_message());
}

int
ca_audit(struct signet_ca *ca, enum signet_audit_event event,
    enum signet_audit_outcome outcome, json_t *details)
{
	int r;

	if (ca->audit == NULL) {
		json_decref(details);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "no audit log is open (a read-only instance)");
	}
	/* A record without its details would not say what happened. */
	if (details == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "out of memory building an audit record");
	r = signet_audit_append(ca->audit, event, outcome, details);
	json_decref(details);
	return r;
}

json_t *
ca_details_add(json_t *details, const char *key, json_t *value)
{
	if (details == NULL || value == NULL) {
		json_decref(details);
		json_decref(value);
		return NULL;
	}
	/* json_object_set_new takes value, even when it fails. */
	if (json_object_set_new(details, key, value) != 0) {
		json_decref(details);
		return NULL;
	}
	return details;
}

static int
ca_audit_recoveries_of(struct signet_ca *ca, struct signet_token *tok,
    unsigned long *seen)
{
	unsigned long now;
	int r;

	if (tok == NULL)
		return 0;
	now = signet_token_recoveries(tok);
	if (now == *seen)
		return 0;
	/*
	 * The token module recovers inside a signature; what the log can
	 * say is how many sessions were lost and got back since last time.
	 */
	if ((r = ca_audit(ca, SIGNET_AUDIT_EV_TOKEN_SESSION_LOST,
		 SIGNET_AUDIT_FAILURE,
		 json_pack("{s:s,s:s,s:I}", "token", signet_token_label(tok),
		     "serial", signet_token_serial(tok), "count",
		     (json_int_t)(now - *seen)))) != 0 ||
	    (r = ca_audit(ca, SIGNET_AUDIT_EV_TOKEN_SESSION_RECOVERED,
		 SIGNET_AUDIT_SUCCESS,
		 json_pack("{s:s,s:s,s:I}", "token", signet_token_label(tok),
		     "serial", signet_token_serial(tok), "recoveries",
		     (json_int_t)now))) != 0)
		return r;
	*seen = now;
	return 0;
}

int
ca_audit_recoveries(struct signet_ca *ca)
{
	int r;

	if (ca->audit == NULL)
		return 0;
	if ((r = ca_audit_recoveries_of(ca, ca->tok, &ca->recoveries)) != 0)
		return r;
	if (ca->audit_tok != ca->tok)
		return ca_audit_recoveries_of(ca, ca->audit_tok,
		    &ca->audit_recoveries);
	return 0;
}

int
ca_clock_check(struct signet_ca *ca, int64_t now)
{
	int64_t last = 0;
	char a[21], b[21];
	int r;

	if ((r = signet_store_clock_last(ca->store, &last)) != 0)
		return r;
	if (now >= last)
		return 0;
	time_format((time_t)now, a);
	time_format((time_t)last, b);
	return signet_error_set(SIGNET_ERR_CONFLICT,
	    "the system clock reads %s, earlier than %s, the latest time "
	    "recorded in the database %s: the clock went backwards; "
	    "refusing to sign until it is set right (certificates and CRLs "
	    "would carry wrong dates)",
	    a, b, ca->cfg->database);
}

int
ca_pem_cert(const uint8_t *der, size_t len, const char *extra, size_t extra_len,
    char **pem, size_t *pem_len)
{
	char *p = NULL, *grown;
	size_t off = 0;
	int r;

	*pem = NULL;
	*pem_len = 0;
	if ((r = pem_encode("CERTIFICATE", der, len, &p, &off)) != 0)
		return r;
	if (extra != NULL && extra_len > 0) {
		if ((grown = realloc(p, off + extra_len + 1)) == NULL) {
			free(p);
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		}
		p = grown;
		memcpy(p + off, extra, extra_len);
		off += extra_len;
		p[off] = '\0';
	}
	*pem = p;
	*pem_len = off;
	return 0;
}

/* ---- certificates -------------------------------------------------------- */

static int
load_pem_certs(const char *path, const char *what, STACK_OF(X509) * *out)
{
	int r = SIGNET_ERR_INTERNAL;
	STACK_OF(X509) *sk = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x;

	*out = NULL;
	/* Whoever can replace the chain chooses what issue --chain serves. */
	if ((r = file_read_trusted(path, SIGNET_FILE_MAX_INPUT, 0,
		 SIGNET_ERR_CONFIG, &data, &len)) != 0) {
		r = signet_error_context(r, "%s", what);
		goto out;
	}
	if ((sk = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			r = signet_error_ossl(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "%s %s holds no PEM certificate", what, path);
		goto out;
	}
	*out = sk;
	sk = NULL;
	r = 0;
out:
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	free(data);
	return r;
}

static int
is_self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

static int
der_of(X509 *x, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n;

	*der = NULL;
	*len = 0;
	if ((n = i2d_X509(x, &p)) <= 0)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode a certificate");
	*der = p;
	*len = (size_t)n;
	return 0;
}

/* The CA certificate and the chain above it (without the root), in PEM. */
static int
chain_pem_build(struct signet_ca *ca)
{
	int r = SIGNET_ERR_INTERNAL;
	char *pem = NULL, *part = NULL, *grown;
	size_t pem_len = 0, part_len = 0;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int i, n = ca->chain != NULL ? sk_X509_num(ca->chain) : 0;
	X509 *x;

	for (i = -1; i < n; i++) {
		x = i < 0 ? ca->cert : sk_X509_value(ca->chain, i);
		/* A server does not send the root (RFC 8446 4.4.2). */
		if (i >= 0 && is_self_signed(x))
			continue;
		if ((r = der_of(x, &der, &der_len)) != 0 ||
		    (r = ca_pem_cert(der, der_len, NULL, 0, &part,
			 &part_len)) != 0)
			goto out;
		if ((grown = realloc(pem, pem_len + part_len + 1)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		pem = grown;
		memcpy(pem + pem_len, part, part_len + 1);
		pem_len += part_len;
		OPENSSL_free(der);
		der = NULL;
		free(part);
		part = NULL;
	}
	ca->chain_pem = pem;
	ca->chain_pem_len = pem_len;
	pem = NULL;
	r = 0;
out:
	OPENSSL_free(der);
	free(part);
	free(pem);
	return r;
}

static int
own_key_add(struct signet_ca *ca, EVP_PKEY *pub)
{
	EVP_PKEY **v;

	if (pub == NULL)
		return 0;
	if ((v = realloc(ca->own_keys,
		 (ca->n_own_keys + 1) * sizeof(EVP_PKEY *))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	ca->own_keys = v;
	if (!EVP_PKEY_up_ref(pub))
		return signet_error_ossl(SIGNET_ERR_INTERNAL,
		    "EVP_PKEY_up_ref");
	ca->own_keys[ca->n_own_keys++] = pub;
	return 0;
}

static void
subject_of(X509 *x, char *buf, size_t len)
{
	if (X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len) == NULL)
		snprintf(buf, len, "?");
}

/*
 * What issue --chain serves must be a chain: each certificate of chain:
 * signed the one below it, the first the CA certificate, and the last is
 * a self-signed root. RFC 5280 4.2.1.2: the CA certificate names its key
 * (subjectKeyIdentifier), which its certificates' authorityKeyIdentifier
 * repeats; without it openssl verify -x509_strict refuses them.
 */
static int
chain_check(struct signet_ca *ca)
{
	const char *chain = ca->cfg->chain;
	int i, n = ca->chain != NULL ? sk_X509_num(ca->chain) : 0;
	X509 *below = ca->cert, *above;
	char a[256], b[256];

	if (X509_get0_subject_key_id(ca->cert) == NULL)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "the CA certificate %s has no subjectKeyIdentifier, so the "
		    "certificates it issues could not name its key (RFC 5280 "
		    "4.2.1.1); reissue it with one",
		    ca->cfg->certificate);
	for (i = 0; i < n; i++) {
		above = sk_X509_value(ca->chain, i);
		subject_of(below, b, sizeof(b));
		subject_of(above, a, sizeof(a));
		if (is_self_signed(below))
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "chain %s: certificate %d (%s) follows %s, which "
			    "is self-signed; nothing goes above a root",
			    chain, i + 1, a, b);
		if (X509_check_issued(above, below) != X509_V_OK ||
		    X509_check_ca(above) == 0 ||
		    X509_verify(below, X509_get0_pubkey(above)) != 1) {
			ERR_clear_error();
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "chain %s: certificate %d (%s) did not issue %s; "
			    "the chain holds the certificates above the CA "
			    "certificate, each the issuer of the one before, "
			    "up to the root",
			    chain, i + 1, a, b);
		}
		below = above;
	}
	if (n > 0 && (!is_self_signed(below) ||
			 X509_verify(below, X509_get0_pubkey(below)) != 1)) {
		ERR_clear_error();
		subject_of(below, b, sizeof(b));
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "chain %s ends at %s, which is not a self-signed root; "
		    "end it with the root",
		    chain, b);
	}
	return 0;
}

static int
load_certs(struct signet_ca *ca)
{
	int r = SIGNET_ERR_INTERNAL;
	STACK_OF(X509) *sk = NULL;

	if ((r = load_pem_certs(ca->cfg->certificate, "CA certificate", &sk)) !=
	    0)
		goto out;
	if (sk_X509_num(sk) != 1) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "CA certificate %s holds %d certificates; put the one "
		    "CA certificate there and the rest in 'chain'",
		    ca->cfg->certificate, sk_X509_num(sk));
		goto out;
	}
	ca->cert = sk_X509_shift(sk);
	if (ca->cfg->chain != NULL &&
	    (r = load_pem_certs(ca->cfg->chain, "chain", &ca->chain)) != 0)
		goto out;
	if ((r = chain_check(ca)) != 0)
		goto out;
	if ((r = signet_audit_key_id(X509_get0_pubkey(ca->cert),
		 ca->issuer_id)) != 0 ||
	    (r = chain_pem_build(ca)) != 0)
		goto out;
	r = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	return r;
}

/*
 * Token logins of the instance's processes, one at a time, under a lock on
 * DIR/signet.lock. Held for the login only, not while signing. (Processes
 * of other instances on the same token are kept apart by src/token's lock
 * on the module.)
 */
static int
token_lock(struct signet_ca *ca)
{
	char *path;
	int fd;

	if ((path = file_path_join(ca->cfg->dir, "signet.lock")) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		signet_error_sys(SIGNET_ERR_IO, "cannot open %s", path);
		free(path);
		return -1;
	}
	free(path);
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static void
token_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the lock */
}

/* ---- tokens -------------------------------------------------------------- */

static int
open_token(const char *uri_text, const char *module, const char *pin_source,
    unsigned sessions, struct signet_p11_uri **uri, struct signet_token **tok)
{
	struct signet_token_opts opts;

	*tok = NULL;
	if (signet_uri_parse(uri_text, 0, uri) != 0)
		return SIGNET_ERR_URI;
	memset(&opts, 0, sizeof(opts));
	opts.module_path = module;
	opts.pin_source = pin_source;
	opts.max_sessions = sessions;
	return signet_token_open(*uri, &opts, tok);
}

static json_t *
login_details(struct signet_token *tok, struct signet_key *key,
    const char *purpose)
{
	json_t *d = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "token",
	    signet_token_label(tok), "serial", signet_token_serial(tok),
	    "module", signet_token_module_path(tok), "login", "user", "key",
	    key != NULL ? signet_key_label(key) : "", "purpose", purpose);

	/* Accepted by accept-restored-key: the key may exist elsewhere. */
	if (key != NULL && signet_key_restored(key) != NULL)
		d = ca_details_add(d, "restored_key",
		    json_string(signet_key_restored(key)));
	return d;
}

/* A key searched for as the configuration says restored keys may be. */
static int
find_key(struct signet_ca *ca, struct signet_token *tok,
    const struct signet_p11_uri *uri, int accept_restored, const char *what,
    const char *option, struct signet_key **out)
{
	int r;

	if ((r = signet_key_find_flags(tok, uri,
		 accept_restored ? SIGNET_KEY_ACCEPT_RESTORED : 0, out)) != 0)
		return r;
	if (signet_key_restored(*out) != NULL &&
	    ca->n_warnings < sizeof(ca->warnings) / sizeof(ca->warnings[0]))
		snprintf(ca->warnings[ca->n_warnings++],
		    sizeof(ca->warnings[0]),
		    "%s '%s' on token '%s' %s; signet uses it because %s is "
		    "true",
		    what, signet_key_label(*out), signet_token_label(tok),
		    signet_key_restored(*out), option);
	return 0;
}

/*
 * The database's name for this audit log: SHA-256 of the host name and the
 * log's absolute path (several nodes may share one database, each with a
 * log of its own), and the same in words.
 */
static int
audit_log_id(struct signet_ca *ca)
{
	char host[256], dirpath[PATH_MAX], path[PATH_MAX + 256], *text = NULL,
								 *dir = NULL;
	const char *base;
	int n, r;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* The directory exists even before init creates the log. */
	if ((dir = file_dirname(ca->cfg->audit_log)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	base = strrchr(ca->cfg->audit_log, '/');
	base = base != NULL ? base + 1 : ca->cfg->audit_log;
	if (realpath(dir, dirpath) == NULL) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot resolve the audit log's directory %s", dir);
		free(dir);
		return r;
	}
	free(dir);
	n = snprintf(path, sizeof(path), "%s/%s", dirpath, base);
	if (n < 0 || (size_t)n >= sizeof(path))
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "the audit log's path is too long");
	n = snprintf(ca->audit_where, sizeof(ca->audit_where), "%s:%s", host,
	    path);
	if (n < 0 || (size_t)n >= sizeof(ca->audit_where))
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "the audit log's path is too long");
	if (asprintf(&text, "%s\n%s", host, path) == -1)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	r = sha256_hex((const uint8_t *)text, strlen(text), ca->audit_id);
	free(text);
	return r;
}

/* Keep the log's last checkpoint in the database (docs/audit.md). */
int
signet_ca_audit_seal(struct signet_ca *ca)
{
	uint64_t seq = 0;
	uint8_t hash[32];
	int r;

	if (ca->audit == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "sealing the audit log needs an instance opened with "
		    "SIGNET_CA_OPEN_AUDIT");
	if ((r = signet_audit_seal(ca->audit, &seq, hash)) != 0)
		return r;
	if ((r = signet_store_audit_head_set(ca->store, ca->audit_id,
		 ca->audit_where, seq, hash, ca->accepted)) != 0)
		return signet_error_context(r,
		    "recording the audit log's last checkpoint in the "
		    "database");
	return 0;
}

static int
open_audit(struct signet_ca *ca)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_p11_uri *uri = NULL;
	const struct signet_ca_config *c = ca->cfg;
	struct signet_audit_open_opts ao;
	struct signet_audit_open_info info;
	char hash[65];
	int fd;

	if ((r = open_token(c->audit_key_uri,
		 c->audit_module != NULL ? c->audit_module : c->module,
		 c->audit_pin_source != NULL ? c->audit_pin_source
					     : c->pin_source,
		 c->sessions, &uri, &ca->audit_tok)) != 0) {
		/* Nothing can be logged without the audit key. */
		r = signet_error_context(r,
		    "the audit key's token (audit.key; the audit log cannot "
		    "record this failure)");
		goto out;
	}
	if ((r = find_key(ca, ca->audit_tok, uri, c->audit_accept_restored_key,
		 "the audit key", "audit.accept-restored-key",
		 &ca->audit_key)) != 0 ||
	    (r = signet_key_signer(ca->audit_key, &ca->audit_signer)) != 0) {
		r = signet_error_context(r, "the audit key (audit.key)");
		goto out;
	}
	ca->audit_recoveries = signet_token_recoveries(ca->audit_tok);
	if (EVP_PKEY_eq(signet_key_get0_pubkey(ca->audit_key),
		X509_get0_pubkey(ca->cert)) == 1) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "audit.key names the CA key itself; the audit log must be "
		    "signed by a key of its own, so that a stolen audit "
		    "key cannot sign certificates (generate one with signet "
		    "token keygen)");
		goto out;
	}
	/*
	 * A log others may write, others may cut short or fill with junk.
	 * The log module opens it by its path, which is safe once every
	 * directory above it is.
	 */
	if ((r = file_open_trusted(c->audit_log, FILE_TRUST_MAY_BE_ABSENT,
		 SIGNET_ERR_AUDIT, &fd, NULL)) != 0) {
		r = signet_error_context(r, "refusing audit log (audit.log)");
		goto out;
	}
	if (fd != -1)
		close(fd);
	memset(&ao, 0, sizeof(ao));
	ao.flags =
	    (ca->flags & SIGNET_CA_OPEN_CREATE) ? SIGNET_AUDIT_CREATE : 0;
	ao.accept_reason = ca->accept_reason;
	if ((r = audit_log_id(ca)) != 0)
		goto out;
	/* The log must still reach the checkpoint the database last saw. */
	r = signet_store_audit_head_get(ca->store, ca->audit_id, &ao.anchor_seq,
	    ao.anchor_hash);
	if (r == SIGNET_ERR_NOT_FOUND)
		signet_error_clear();
	else if (r != 0)
		goto out;
	if (signet_audit_open_with(c->audit_log, ca->audit_signer, &ao, &info,
		&ca->audit) != 0) {
		/* Whatever the cause, no log means nothing may be signed. */
		r = ca_error_recode(SIGNET_ERR_AUDIT, "audit log (audit.log)");
		goto out;
	}
	ca->log_crl_max = info.crl_number_max;
	ca->accepted = info.accepted;
	signet_audit_set_checkpoint_interval(ca->audit, c->checkpoint_interval);
	hex_encode(c->sha256, 32, hash);
	if ((r = ca_audit(ca, SIGNET_AUDIT_EV_CONFIG_LOAD, SIGNET_AUDIT_SUCCESS,
		 json_pack("{s:s,s:s}", "file", c->path, "sha256", hash))) != 0)
		goto out;
	r = 0;
out:
	signet_uri_free(uri);
	return r;
}

/* Does uri name the token tok is? Only when it says which by label or serial. */
static int
same_token(const struct signet_p11_uri *uri, struct signet_token *tok,
    const char *module)
{
	const char *label = signet_uri_get0_token(uri);
	const char *serial = signet_uri_get0_serial(uri);
	const char *manuf = signet_uri_get0_manufacturer(uri);
	const char *model = signet_uri_get0_model(uri);
	const char *umod = signet_uri_get0_module_path(uri);
	char a[PATH_MAX], b[PATH_MAX];

	if (label == NULL && serial == NULL)
		return 0;
	if ((label != NULL && strcmp(label, signet_token_label(tok)) != 0) ||
	    (serial != NULL && strcmp(serial, signet_token_serial(tok)) != 0) ||
	    (manuf != NULL &&
		strcmp(manuf, signet_token_manufacturer(tok)) != 0) ||
	    (model != NULL && strcmp(model, signet_token_model(tok)) != 0))
		return 0;
	if (module == NULL)
		module = umod != NULL ? umod : SIGNET_DEFAULT_MODULE;
	if (realpath(module, a) == NULL ||
	    realpath(signet_token_module_path(tok), b) == NULL)
		return 0;
	return strcmp(a, b) == 0;
}

static int
open_signing_key(struct signet_ca *ca)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_p11_uri *uri = NULL;
	const struct signet_ca_config *c = ca->cfg;
	struct signet_token_opts opts;
	char *fail = NULL;
	int logged;

	if ((r = signet_uri_parse(c->key_uri, 0, &uri)) != 0)
		goto out;
	if (ca->audit_tok != NULL &&
	    same_token(uri, ca->audit_tok, c->module)) {
		ca->tok = ca->audit_tok;
	} else {
		memset(&opts, 0, sizeof(opts));
		opts.module_path = c->module;
		opts.pin_source = c->pin_source;
		opts.max_sessions = c->sessions;
		if ((r = signet_token_open(uri, &opts, &ca->tok)) != 0) {
			/* BR 5.4.1: failed logins are audited too. */
			fail = ca_error_dup();
			logged = r != SIGNET_ERR_PIN_INCORRECT &&
				 r != SIGNET_ERR_PIN_LOCKED &&
				 r != SIGNET_ERR_PIN_SOURCE;
			if (!logged)
				logged =
				    ca_audit(ca,
					SIGNET_AUDIT_EV_TOKEN_LOGIN_FAILED,
					SIGNET_AUDIT_FAILURE,
					json_pack("{s:s,s:s,s:s}", "key",
					    c->key_uri, "purpose", "ca",
					    "reason",
					    fail != NULL ? fail : "?")) == 0;
			signet_error_set(r,
			    "the CA key's token (token.key): %s%s",
			    fail != NULL ? fail : signet_strerror(r),
			    logged ? ""
				   : " (the audit log could not record this "
				     "failed login)");
			goto out;
		}
	}
	if ((r = find_key(ca, ca->tok, uri, c->accept_restored_key,
		 "the CA key", "token.accept-restored-key", &ca->key)) != 0) {
		r = signet_error_context(r, "the CA key (token.key)");
		goto out;
	}
	if ((r = signet_key_signer(ca->key, &ca->signer)) != 0)
		goto out;
	ca->recoveries = signet_token_recoveries(ca->tok);
	r = 0;
out:
	free(fail);
	signet_uri_free(uri);
	return r;
}

static int
check_signing(struct signet_ca *ca)
{
	const struct signet_ca_config *c = ca->cfg;
	EVP_PKEY *cert_pub = X509_get0_pubkey(ca->cert);
	char fp_key[65], fp_cert[65];
	time_t now = time(NULL);
	int r, i;

	if (cert_pub == NULL)
		return signet_error_ossl(SIGNET_ERR_CONFIG,
		    "the CA certificate %s has an unusable public key",
		    c->certificate);
	if (EVP_PKEY_eq(signet_key_get0_pubkey(ca->key), cert_pub) != 1) {
		if (signet_audit_key_id(signet_key_get0_pubkey(ca->key),
			fp_key) != 0)
			snprintf(fp_key, sizeof(fp_key), "?");
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "the CA key '%s' on the token (public key SHA-256 %s) is "
		    "not the key of the CA certificate %s (SHA-256 %s): "
		    "token.key names the wrong key, or certificate the "
		    "wrong certificate",
		    signet_key_label(ca->key), fp_key, c->certificate,
		    ca->issuer_id);
	}
	if (signet_issuer_new(ca->cert, &ca->issuer) != 0)
		return ca_error_recode(SIGNET_ERR_CONFIG, "CA certificate %s",
		    c->certificate);
	if (X509_cmp_time(X509_get0_notBefore(ca->cert), &now) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(ca->cert), &now) < 0) {
		if (signet_audit_key_id(cert_pub, fp_cert) != 0)
			snprintf(fp_cert, sizeof(fp_cert), "?");
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "the CA certificate %s is not valid now (it is %s); "
		    "install a current CA certificate",
		    c->certificate,
		    X509_cmp_time(X509_get0_notBefore(ca->cert), &now) > 0
			? "not yet valid"
			: "expired");
	}
	if ((r = signet_lint_ctx_new(&ca->lint)) != 0 ||
	    (r = signet_lint_ctx_set_issuer(ca->lint, ca->cert)) != 0)
		return r;
	for (i = 0; ca->chain != NULL && i < sk_X509_num(ca->chain); i++)
		if ((r = signet_lint_ctx_add_chain(ca->lint,
			 sk_X509_value(ca->chain, i))) != 0)
			return r;
	if ((r = own_key_add(ca, cert_pub)) != 0 ||
	    (r = own_key_add(ca, signet_key_get0_pubkey(ca->audit_key))) != 0)
		return r;
	for (i = 0; ca->chain != NULL && i < sk_X509_num(ca->chain); i++)
		if ((r = own_key_add(ca,
			 X509_get0_pubkey(sk_X509_value(ca->chain, i)))) != 0)
			return r;
	return ca_clock_check(ca, (int64_t)time(NULL));
}

static int
open_store(struct signet_ca *ca)
{
	char *file = ca_store_file(ca->cfg->database);
	int r = SIGNET_ERR_INTERNAL, fd = -1;

	if (file != NULL) {
		if (!(ca->flags & SIGNET_CA_OPEN_CREATE) &&
		    !file_exists(file)) {
			r = signet_error_set(SIGNET_ERR_STORE,
			    "no database at %s (database: in %s); is this the "
			    "right instance? 'signet init' creates one",
			    file, ca->cfg->path);
			goto out;
		}
		/* Before SQLite creates it: its directory, and those above. */
		if ((r = file_open_trusted(file, FILE_TRUST_MAY_BE_ABSENT,
			 SIGNET_ERR_STORE, &fd, NULL)) != 0) {
			r = signet_error_context(r, "database");
			goto out;
		}
		if (fd != -1)
			close(fd);
	}
	if ((r = signet_ca_store_open(ca->cfg, 0, &ca->store)) != 0)
		goto out;
	r = 0;
out:
	free(file);
	return r;
}

int
signet_ca_store_open(const struct signet_ca_config *cfg, int no_migrate,
    struct signet_store **out)
{
	struct signet_store_options o;

	memset(&o, 0, sizeof(o));
	o.password_source = cfg->database_password_source;
	o.no_migrate = no_migrate;
	return signet_store_open_with(cfg->database, &o, out);
}

/*
 * Whoever can edit the policy decides what the CA signs: it is read from
 * the descriptor that was judged. A policy that cannot be read is a
 * configuration error, as a configuration that cannot be.
 */
static int
policy_load(struct signet_ca *ca)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int r;

	if ((r = file_read_trusted(ca->cfg->policy, SIGNET_POLICY_MAX_SIZE, 0,
		 SIGNET_ERR_CONFIG, &text, &len)) != 0)
		r = signet_error_context(r, "refusing policy (policy)");
	else
		r = signet_policy_load_mem(ca->cfg->policy, text, len,
		    &ca->policy);
	free(text);
	return r;
}

static void
requester_set(struct signet_ca *ca)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		snprintf(ca->requester, sizeof(ca->requester), "%s",
		    pw->pw_name);
	else
		snprintf(ca->requester, sizeof(ca->requester), "uid:%lu",
		    (unsigned long)geteuid());
}

static int
ca_open(const char *config_path, unsigned flags, const char *accept_reason,
    struct signet_ca **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_ca *ca = NULL;
	char hash[65];
	int lock = -1;

	*out = NULL;
	if (flags & SIGNET_CA_OPEN_SIGN)
		flags |= SIGNET_CA_OPEN_AUDIT;
	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	ca->flags = flags;
	ca->accept_reason = accept_reason;
	if (pthread_mutex_init(&ca->reader_lock, NULL) != 0) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot make a mutex");
		goto out;
	}
	ca->reader_lock_init = 1;
	requester_set(ca);
	if ((r = signet_ca_config_load(config_path, &ca->cfg)) != 0)
		goto out;
	if ((r = load_certs(ca)) != 0)
		goto out;
	if ((r = open_store(ca)) != 0)
		goto out;
	if ((flags & (SIGNET_CA_OPEN_AUDIT | SIGNET_CA_OPEN_SIGN)) &&
	    (lock = token_lock(ca)) < 0) {
		r = SIGNET_ERR_IO;
		goto out;
	}
	if ((flags & SIGNET_CA_OPEN_AUDIT) && (r = open_audit(ca)) != 0)
		goto out;
	if (ca->audit != NULL &&
	    (r = ca_audit(ca, SIGNET_AUDIT_EV_TOKEN_LOGIN, SIGNET_AUDIT_SUCCESS,
		 login_details(ca->audit_tok, ca->audit_key, "audit"))) != 0)
		goto out;
	if (flags & SIGNET_CA_OPEN_POLICY) {
		if ((r = policy_load(ca)) != 0) {
			char *why = ca_error_dup();

			/* A failure to log this is secondary to the cause. */
			if (ca->audit != NULL &&
			    ca_audit(ca, SIGNET_AUDIT_EV_POLICY_LOAD,
				SIGNET_AUDIT_FAILURE,
				json_pack("{s:s,s:s}", "file", ca->cfg->policy,
				    "reason", why != NULL ? why : "?")) != 0)
				signet_error_clear();
			signet_error_set(r, "%s", why != NULL ? why : "policy");
			free(why);
			goto out;
		}
		hex_encode(signet_policy_sha256(ca->policy), 32, hash);
		if (ca->audit != NULL &&
		    (r = ca_audit(ca, SIGNET_AUDIT_EV_POLICY_LOAD,
			 SIGNET_AUDIT_SUCCESS,
			 json_pack("{s:s,s:s,s:I}", "file", ca->cfg->policy,
			     "sha256", hash, "profiles",
			     (json_int_t)signet_policy_profile_count(
				 ca->policy)))) != 0)
			goto out;
	}
	if (flags & SIGNET_CA_OPEN_SIGN) {
		if ((r = open_signing_key(ca)) != 0)
			goto out;
		token_unlock(lock);
		lock = -1;
		/* A shared login is logged once, unless a key needs a word. */
		if ((ca->tok != ca->audit_tok ||
			signet_key_restored(ca->key) != NULL) &&
		    (r = ca_audit(ca, SIGNET_AUDIT_EV_TOKEN_LOGIN,
			 SIGNET_AUDIT_SUCCESS,
			 login_details(ca->tok, ca->key, "ca"))) != 0)
			goto out;
		if ((r = check_signing(ca)) != 0)
			goto out;
	}
	*out = ca;
	ca = NULL;
	r = 0;
out:
	token_unlock(lock);
	signet_ca_free(ca);
	return r;
}

int
signet_ca_open(const char *config_path, unsigned flags, struct signet_ca **out)
{
	return ca_open(config_path, flags, NULL, out);
}

int
signet_ca_audit_accept(const char *config_path, const char *reason,
    int *accepted)
{
	struct signet_ca *ca = NULL;
	int r;

	*accepted = 0;
	if (reason == NULL || *reason == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "say why the audit log is accepted (--reason)");
	if ((r = ca_open(config_path, SIGNET_CA_OPEN_AUDIT, reason, &ca)) != 0)
		return r;
	*accepted = ca->accepted;
	return signet_ca_close(ca);
}

const struct signet_ca_config *
signet_ca_get0_config(const struct signet_ca *ca)
{
	return ca->cfg;
}

struct signet_store *
signet_ca_get0_store(struct signet_ca *ca)
{
	return ca->store;
}

const char *
signet_ca_issuer_id(const struct signet_ca *ca)
{
	return ca->issuer_id;
}

X509 *
signet_ca_get0_cert(const struct signet_ca *ca)
{
	return ca->cert;
}

const struct signet_policy *
signet_ca_get0_policy(const struct signet_ca *ca)
{
	return ca->policy;
}

int
signet_ca_pem(const struct signet_ca *ca, const uint8_t *der, size_t len,
    int chain, char **pem, size_t *pem_len)
{
	return ca_pem_cert(der, len, chain ? ca->chain_pem : NULL,
	    chain ? ca->chain_pem_len : 0, pem, pem_len);
}

const char *
signet_ca_warning(const struct signet_ca *ca, size_t i)
{
	return i < ca->n_warnings ? ca->warnings[i] : NULL;
}

int
signet_ca_audit(struct signet_ca *ca, enum signet_audit_event event,
    enum signet_audit_outcome outcome, json_t *details)
{
	int r;

	if ((r = ca_audit(ca, event, outcome, details)) != 0)
		return r;
	return signet_audit_sync(ca->audit);
}

int
signet_ca_health(struct signet_ca *ca)
{
	uint8_t byte;
	int64_t seq;
	int r;

	if (ca->tok == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "the instance was opened without its CA key");
	if ((r = signet_token_random(ca->tok, &byte, 1)) != 0)
		return signet_error_context(r, "the CA key's token");
	if ((r = signet_store_revocation_seq(ca->store, ca->issuer_id, &seq)) !=
	    0)
		return signet_error_context(r, "the database");
	return 0;
}

void
signet_ca_free(struct signet_ca *ca)
{
	size_t i;

	if (ca == NULL)
		return;
	ca_pool_free(ca->pool);
	ca_ocsp_responder_free(ca->responder);
	/* The log before its key, and the key before its token. */
	signet_audit_free(ca->audit);
	signet_signer_free(ca->signer);
	signet_signer_free(ca->audit_signer);
	signet_key_free(ca->key);
	signet_key_free(ca->audit_key);
	if (ca->tok != NULL || ca->audit_tok != NULL) {
		int lock = ca->cfg != NULL ? token_lock(ca) : -1;

		if (ca->tok != ca->audit_tok)
			signet_token_free(ca->tok);
		signet_token_free(ca->audit_tok);
		token_unlock(lock);
	}
	signet_store_free(ca->reader);
	signet_store_free(ca->store);
	signet_policy_free(ca->policy);
	signet_lint_ctx_free(ca->lint);
	signet_issuer_free(ca->issuer);
	for (i = 0; i < ca->n_own_keys; i++)
		EVP_PKEY_free(ca->own_keys[i]);
	free(ca->own_keys);
	free(ca->chain_pem);
	X509_free(ca->cert);
	sk_X509_pop_free(ca->chain, X509_free);
	signet_ca_config_free(ca->cfg);
	if (ca->reader_lock_init)
		pthread_mutex_destroy(&ca->reader_lock);
	free(ca);
}

int
signet_ca_close(struct signet_ca *ca)
{
	int r = 0;

	if (ca == NULL)
		return 0;
	if (ca->audit != NULL) {
		r = ca_audit_recoveries(ca);
		if (r == 0)
			r = signet_ca_audit_seal(ca);
		if (signet_audit_close(ca->audit) != 0 && r == 0)
			r = SIGNET_ERR_AUDIT;
		ca->audit = NULL;
	}
	signet_ca_free(ca);
	return r;
}
