/*
 * signet renew: the client side of EST re-enrollment (RFC 7030 4.2.2,
 * docs/renewal.md). When the certificate's remaining lifetime falls below
 * the threshold, a CSR with the same subject and names and a new key is
 * sent to /simplereenroll over TLS with the current certificate and key as
 * the client certificate; the answer (base64 certs-only PKCS#7) must hold
 * a certificate for the new key. The previous pair is kept as FILE.prev,
 * the new key and certificate are written atomically, and only then is
 * the hook run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli/cli.h"
#include "util/codec.h"
#include "util/file.h"
#include "util/secret.h"

#define RENEW_FILE_MAX ((size_t)1024 * 1024)
#define RENEW_ANSWER_MAX ((size_t)1024 * 1024)
#define RENEW_TIMEOUT_S 60L

static void
renew_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet renew --server URL --cert FILE --key FILE "
	    "[--profile PROFILE]\n"
	    "                    [--new-key TYPE] [--before WHEN] [--cacert "
	    "FILE]\n"
	    "                    [--exec COMMAND] [--force]\n"
	    "\n"
	    "Renew a certificate over EST (RFC 7030 simplereenroll) when "
	    "its remaining\n"
	    "lifetime is below the threshold, proving possession of it: "
	    "FILE and KEY are\n"
	    "the TLS client certificate. The new key and certificate "
	    "replace FILE and KEY\n"
	    "atomically; the previous pair stays as FILE.prev and "
	    "KEY.prev.\n"
	    "\n"
	    "  --server URL      the EST server: with --profile, its base "
	    "URL (https://\n"
	    "                    ca.example.com:8443); without, the whole "
	    "EST path\n"
	    "                    (https://ca.example.com/.well-known/est/"
	    "mtls)\n"
	    "  --cert FILE       the current certificate (PEM, leaf first; "
	    "chain allowed)\n"
	    "  --key FILE        its private key (PEM, unencrypted)\n"
	    "  --profile PROFILE the EST profile (/.well-known/est/PROFILE/)\n"
	    "  --new-key TYPE    ec-p256 (default), ec-p384, rsa-2048, "
	    "rsa-3072, rsa-4096,\n"
	    "                    or keep (the same key, if the profile "
	    "allows it)\n"
	    "  --before WHEN     renew when the remaining lifetime is below "
	    "this part of\n"
	    "                    the whole (1/3, the default; 1/1 always) "
	    "or this long\n"
	    "                    (a duration: 2d, 12h)\n"
	    "  --cacert FILE     trust these CAs for the server's TLS "
	    "certificate\n"
	    "                    (default: the system's)\n"
	    "  --exec COMMAND    after a renewal, run COMMAND with /bin/sh "
	    "-c (nothing of\n"
	    "                    the certificate is put into it; "
	    "SIGNET_RENEW_CERT,\n"
	    "                    SIGNET_RENEW_KEY and SIGNET_RENEW_SERIAL "
	    "are set)\n"
	    "  --force           renew now, whatever the lifetime left\n"
	    "\n"
	    "Exit status: 0 renewed, or not due yet (it says which); 10 the "
	    "server refused\n"
	    "(4xx); 31 its answer\n"
	    "holds no certificate for the new key; 50 the server could not "
	    "be reached or\n"
	    "failed (5xx), a file could not be written, or COMMAND failed "
	    "after a renewal\n"
	    "(the message says the certificate was renewed); 2 bad "
	    "arguments.\n");
}

/* ---- the threshold ------------------------------------------------------- */

struct before {
	long num, den;   /* a part of the lifetime, or */
	int64_t seconds; /* a duration; 0: use the part */
};

static int
before_parse(const char *s, struct before *b)
{
	char *end;

	memset(b, 0, sizeof(*b));
	if (strchr(s, '/') != NULL) {
		errno = 0;
		b->num = strtol(s, &end, 10);
		if (errno != 0 || end == s || *end != '/')
			return -1;
		s = end + 1;
		b->den = strtol(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || b->num < 0 ||
		    b->den <= 0 || b->num > b->den)
			return -1;
		return 0;
	}
	if (duration_parse(s, &b->seconds) != 0 || b->seconds <= 0)
		return -1;
	return 0;
}

/* ---- the request ----------------------------------------------------------- */

static EVP_PKEY *
key_new(const char *type)
{
	if (strcmp(type, "ec-p256") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (strcmp(type, "ec-p384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (strcmp(type, "rsa-2048") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(type, "rsa-3072") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	if (strcmp(type, "rsa-4096") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	return NULL;
}

/* A CSR for key with cert's subject and subjectAltName, as base64. */
static int
csr_make(X509 *cert, EVP_PKEY *key, char **b64)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *san;
	X509_REQ *req = NULL;
	uint8_t *der = NULL;
	int len, idx, r = SIGNET_ERR_CRYPTO;

	*b64 = NULL;
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, X509_get_subject_name(cert)) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1)
		goto fail;
	idx = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
	if (idx >= 0) {
		if ((exts = sk_X509_EXTENSION_new_null()) == NULL ||
		    (san = X509_EXTENSION_dup(X509_get_ext(cert, idx))) == NULL)
			goto fail;
		if (sk_X509_EXTENSION_push(exts, san) == 0) {
			X509_EXTENSION_free(san);
			goto fail;
		}
		if (X509_REQ_add_extensions(req, exts) != 1)
			goto fail;
	}
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_REQ(req, &der)) <= 0)
		goto fail;
	if ((*b64 = malloc(4 * ((size_t)len / 3 + 1) + 1)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)*b64, der, len);
	r = 0;
	goto out;
fail:
	r = signet_error_ossl(SIGNET_ERR_CRYPTO, "cannot make the CSR");
out:
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return r;
}

/* ---- HTTP ------------------------------------------------------------------ */

struct answer {
	char *p;
	size_t len;
	int too_big;
};

static size_t
answer_add(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;
	char *p;

	if (len > RENEW_ANSWER_MAX - a->len) {
		a->too_big = 1;
		return 0;
	}
	if ((p = realloc(a->p, a->len + len + 1)) == NULL)
		return 0;
	memcpy(p + a->len, data, len);
	a->p = p;
	a->len += len;
	a->p[a->len] = '\0';
	return len;
}

static int
est_post(const char *url, const char *cert, const char *key, const char *cacert,
    const char *csr, struct answer *a)
{
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURL *c = NULL;
	CURLcode cr;
	int r;

	if ((c = curl_easy_init()) == NULL ||
	    (hdr = curl_slist_append(NULL,
		 "Content-Type: application/pkcs10")) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	(void)curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	(void)curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
	(void)curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	(void)curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	(void)curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	if (cacert != NULL)
		(void)curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, csr);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, answer_add);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT, RENEW_TIMEOUT_S);
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if ((cr = curl_easy_perform(c)) != CURLE_OK) {
		r = signet_error_set(SIGNET_ERR_IO, "%s: %s", url,
		    a->too_big          ? "the answer is too large"
		    : errbuf[0] != '\0' ? errbuf
					: curl_easy_strerror(cr));
		goto out;
	}
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		/* The server's text says why (RFC 7030 4.2.3). */
		if (a->p != NULL)
			a->p[strcspn(a->p, "\r\n")] = '\0';
		r = signet_error_set(code >= 400 && code < 500
					 ? SIGNET_ERR_POLICY
					 : SIGNET_ERR_IO,
		    "%s: HTTP %ld: %.300s", url, code,
		    a->p != NULL ? a->p : "");
		goto out;
	}
	r = 0;
out:
	curl_slist_free_all(hdr);
	if (c != NULL)
		curl_easy_cleanup(c);
	return r;
}

/*
 * The certificates of a base64 certs-only PKCS#7: the one for key first,
 * then the others (the chain), as PEM into *pem.
 */
static int
answer_certs(const struct answer *a, EVP_PKEY *key, char **pem, size_t *pem_len,
    X509 **leaf)
{
	STACK_OF(X509) *certs = NULL;
	BIO *b64 = NULL, *mem = NULL, *out = NULL;
	PKCS7 *p7 = NULL;
	X509 *c;
	char *data;
	long n;
	int i, r = SIGNET_ERR_VERIFY;

	*pem = NULL;
	*leaf = NULL;
	if ((b64 = BIO_new(BIO_f_base64())) == NULL ||
	    (mem = BIO_new_mem_buf(a->p, (int)a->len)) == NULL)
		goto bad;
	mem = BIO_push(b64, mem);
	b64 = NULL;
	if ((p7 = d2i_PKCS7_bio(mem, NULL)) == NULL ||
	    !PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    (certs = p7->d.sign->cert) == NULL || sk_X509_num(certs) == 0)
		goto bad;
	for (i = 0; i < sk_X509_num(certs) && *leaf == NULL; i++) {
		c = sk_X509_value(certs, i);
		if (EVP_PKEY_eq(X509_get0_pubkey(c), key) == 1 &&
		    X509_up_ref(c) == 1)
			*leaf = c;
	}
	if (*leaf == NULL) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the answer holds no certificate for the new key");
		goto out;
	}
	if ((out = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(out, *leaf) != 1)
		goto bad;
	for (i = 0; i < sk_X509_num(certs); i++) {
		c = sk_X509_value(certs, i);
		if (c != *leaf && PEM_write_bio_X509(out, c) != 1)
			goto bad;
	}
	if ((n = BIO_get_mem_data(out, &data)) <= 0 ||
	    (*pem = malloc((size_t)n)) == NULL)
		goto bad;
	memcpy(*pem, data, (size_t)n);
	*pem_len = (size_t)n;
	r = 0;
	goto out;
bad:
	r = signet_error_ossl(SIGNET_ERR_VERIFY,
	    "the answer is not a base64 certs-only PKCS#7 (RFC 7030 4.2.3)");
out:
	if (r != 0) {
		X509_free(*leaf);
		*leaf = NULL;
	}
	BIO_free_all(mem);
	BIO_free(b64);
	BIO_free(out);
	PKCS7_free(p7);
	return r;
}

/* ---- files ------------------------------------------------------------------
 */

static int
load_pair(const char *cert_path, const char *key_path, X509 **cert,
    EVP_PKEY **key)
{
	BIO *b = NULL;
	int r = SIGNET_ERR_CRYPTO;

	*cert = NULL;
	*key = NULL;
	if ((b = BIO_new_file(cert_path, "r")) == NULL ||
	    (*cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_IO,
		    "%s: cannot read a PEM certificate", cert_path);
		goto out;
	}
	BIO_free(b);
	if ((b = BIO_new_file(key_path, "r")) == NULL ||
	    (*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_IO,
		    "%s: cannot read an unencrypted PEM private key", key_path);
		goto out;
	}
	if (X509_check_private_key(*cert, *key) != 1) {
		r = signet_error_ossl(SIGNET_ERR_USAGE,
		    "%s is not the key of %s", key_path, cert_path);
		goto out;
	}
	r = 0;
out:
	BIO_free(b);
	if (r != 0) {
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
	}
	return r;
}

/* path.prev: a copy of path as it is now. */
static int
keep_previous(const char *path, mode_t mode)
{
	uint8_t *data = NULL;
	size_t len = 0, n = strlen(path) + sizeof(".prev");
	char *prev = NULL;
	int r;

	if ((prev = malloc(n)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	snprintf(prev, n, "%s.prev", path);
	if ((r = file_read(path, RENEW_FILE_MAX, &data, &len)) == 0)
		r = file_write_atomic(prev, data, len, mode);
	if (data != NULL)
		secret_wipe(data, len);
	free(data);
	free(prev);
	return r;
}

static int
key_pem(EVP_PKEY *key, char **pem, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int r = SIGNET_ERR_CRYPTO;

	*pem = NULL;
	if (b == NULL ||
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the new key");
		goto out;
	}
	if ((*pem = malloc((size_t)n)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	*len = (size_t)n;
	secret_wipe(data, (size_t)n);
	r = 0;
out:
	BIO_free(b);
	return r;
}

/* The hook: /bin/sh -c COMMAND, with the files named in the environment. */
static int
run_hook(const char *command, const char *cert, const char *key,
    const char *serial)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return signet_error_set(SIGNET_ERR_IO, "cannot fork: %s",
		    strerror(errno));
	if (pid == 0) {
		if (setenv("SIGNET_RENEW_CERT", cert, 1) != 0 ||
		    setenv("SIGNET_RENEW_KEY", key, 1) != 0 ||
		    setenv("SIGNET_RENEW_SERIAL", serial, 1) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return signet_error_set(SIGNET_ERR_IO,
			    "waiting for --exec: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return signet_error_set(SIGNET_ERR_IO,
	    "the certificate was renewed (serial %s), but --exec failed "
	    "(%s %d)",
	    serial, WIFEXITED(status) ? "exit status" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* ---- the command ------------------------------------------------------------
 */

struct renew_opts {
	const char *server, *cert, *key, *profile, *new_key, *cacert, *exec;
	struct before before;
	int force;
};

static int
due(X509 *cert, const struct renew_opts *o, int *is_due)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert);
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	time_t now = time(NULL);
	int64_t life, left, threshold;
	struct tm tb, ta;

	if (ASN1_TIME_to_tm(nb, &tb) != 1 || ASN1_TIME_to_tm(na, &ta) != 1)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "%s: unreadable validity", o->cert);
	life = (int64_t)timegm(&ta) - (int64_t)timegm(&tb);
	left = (int64_t)timegm(&ta) - (int64_t)now;
	threshold =
	    o->before.seconds != 0
		? o->before.seconds
		: life / o->before.den * o->before.num +
		      life % o->before.den * o->before.num / o->before.den;
	*is_due = o->force || left < threshold ||
		  (o->before.seconds == 0 && o->before.num == o->before.den);
	if (!*is_due)
		printf("not due: %s has %lldh left; renewal below %lldh\n",
		    o->cert, (long long)(left / 3600),
		    (long long)(threshold / 3600));
	else if (left < 0)
		fprintf(stderr, "signet renew: %s expired %lldh ago\n", o->cert,
		    (long long)(-left / 3600));
	return 0;
}

static int
renew(const struct renew_opts *o)
{
	X509 *cert = NULL, *leaf = NULL;
	EVP_PKEY *key = NULL, *new_key = NULL;
	struct answer a = { NULL, 0, 0 };
	char *url = NULL, *csr = NULL, *pem = NULL, *kpem = NULL;
	char serial[64] = "";
	size_t pem_len = 0, kpem_len = 0, n;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int r, is_due = 0;

	if ((r = load_pair(o->cert, o->key, &cert, &key)) != 0 ||
	    (r = due(cert, o, &is_due)) != 0 || !is_due)
		goto out;
	if (strcmp(o->new_key, "keep") == 0) {
		new_key = key;
		if (EVP_PKEY_up_ref(new_key) != 1) {
			new_key = NULL;
			r = signet_error_set(SIGNET_ERR_INTERNAL, "key");
			goto out;
		}
	} else if ((new_key = key_new(o->new_key)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "cannot make a %s key",
		    o->new_key);
		goto out;
	}
	if ((r = csr_make(cert, new_key, &csr)) != 0)
		goto out;
	n = strlen(o->server) + (o->profile != NULL ? strlen(o->profile) : 0) +
	    64;
	if ((url = malloc(n)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (o->profile != NULL)
		snprintf(url, n, "%s/.well-known/est/%s/simplereenroll",
		    o->server, o->profile);
	else
		snprintf(url, n, "%s/simplereenroll", o->server);
	if ((r = est_post(url, o->cert, o->key, o->cacert, csr, &a)) != 0 ||
	    (r = answer_certs(&a, new_key, &pem, &pem_len, &leaf)) != 0 ||
	    (r = key_pem(new_key, &kpem, &kpem_len)) != 0)
		goto out;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL)) !=
		NULL &&
	    (hex = BN_bn2hex(bn)) != NULL)
		snprintf(serial, sizeof(serial), "%s", hex);
	/* The old pair for rollback, then the key, then the certificate. */
	if ((r = keep_previous(o->cert, 0644)) != 0 ||
	    (r = keep_previous(o->key, 0600)) != 0 ||
	    (r = file_write_atomic(o->key, kpem, kpem_len, 0600)) != 0 ||
	    (r = file_write_atomic(o->cert, pem, pem_len, 0644)) != 0)
		goto out;
	printf("renewed %s: serial %s; the previous pair is in %s.prev and "
	       "%s.prev\n",
	    o->cert, serial, o->cert, o->key);
	if (o->exec != NULL)
		r = run_hook(o->exec, o->cert, o->key, serial);
out:
	OPENSSL_free(hex);
	BN_free(bn);
	if (kpem != NULL)
		secret_wipe(kpem, kpem_len);
	free(kpem);
	free(pem);
	free(csr);
	free(url);
	free(a.p);
	X509_free(leaf);
	X509_free(cert);
	EVP_PKEY_free(new_key);
	EVP_PKEY_free(key);
	return r;
}

int
cmd_renew(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "profile", required_argument, NULL, 'p' },
		{ "new-key", required_argument, NULL, 'n' },
		{ "before", required_argument, NULL, 'b' },
		{ "cacert", required_argument, NULL, 'a' },
		{ "exec", required_argument, NULL, 'e' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct renew_opts o;
	int c, r;

	memset(&o, 0, sizeof(o));
	o.new_key = "ec-p256";
	o.before.num = 1;
	o.before.den = 3;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.server = optarg;
			break;
		case 'c':
			o.cert = optarg;
			break;
		case 'k':
			o.key = optarg;
			break;
		case 'p':
			o.profile = optarg;
			break;
		case 'n':
			o.new_key = optarg;
			break;
		case 'b':
			if (before_parse(optarg, &o.before) != 0)
				return cli_usage("renew",
				    "--before '%s' is neither a part like 1/3 "
				    "nor a duration like 2d",
				    optarg);
			break;
		case 'a':
			o.cacert = optarg;
			break;
		case 'e':
			o.exec = optarg;
			break;
		case 'F':
			o.force = 1;
			break;
		case 'h':
			renew_usage(stdout);
			return 0;
		default:
			return cli_usage("renew", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("renew", "unexpected argument '%s'",
		    argv[optind]);
	if (o.server == NULL || o.cert == NULL || o.key == NULL)
		return cli_usage("renew",
		    "--server, --cert and --key are needed");
	if (strncmp(o.server, "https://", 8) != 0)
		return cli_usage("renew", "--server must be an https:// URL");
	if (o.profile == NULL && strstr(o.server, "/.well-known/est/") == NULL)
		return cli_usage("renew",
		    "without --profile, --server must be the EST path "
		    "(https://HOST/.well-known/est/PROFILE)");
	if (strcmp(o.new_key, "keep") != 0) {
		if (strcmp(o.new_key, "ec-p256") != 0 &&
		    strcmp(o.new_key, "ec-p384") != 0 &&
		    strcmp(o.new_key, "rsa-2048") != 0 &&
		    strcmp(o.new_key, "rsa-3072") != 0 &&
		    strcmp(o.new_key, "rsa-4096") != 0)
			return cli_usage("renew", "--new-key '%s' is unknown",
			    o.new_key);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return cli_fail(signet_error_set(SIGNET_ERR_INTERNAL,
		    "libcurl does not start"));
	r = renew(&o);
	curl_global_cleanup();
	if (r != 0)
		return cli_fail(r);
	return 0;
}
