/*
 * libFuzzer target: ceremony files through signet_ceremony_load, what
 * `signet ceremony check` does before any token is opened: the YAML
 * pass, the schema, every value, the policy and profile, and the input
 * files. The inputs the examples in ceremony/ name (public keys, root
 * certificates, a CSR, PIN files, policies/default.yaml) are made once in
 * the target's directory, so that mutations of the examples get past
 * their inputs to the checks behind them. A refusal must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "signet/ceremony.h"
#include "signet/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096];

static const char *const made[] = {
	"fuzz.yaml",
	"policies/default.yaml",
	"hsm/root.pin",
	"hsm/root.so-pin",
	"hsm/root-backup.pin",
	"hsm/online.pin",
	"root-key.pub.pem",
	"root2-key.pub.pem",
	"intermediate.pub.pem",
	"audit.pub.pem",
	"root.pem",
	"root2.pem",
	"intermediate.csr",
};

static const char *
at(const char *name)
{
	static char path[4300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void
cleanup(void)
{
	size_t i;

	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		unlink(at(made[i]));
	rmdir(at("hsm"));
	rmdir(at("policies"));
	rmdir(dir);
}

static void
put(const char *name, const void *text, size_t len, mode_t mode)
{
	FILE *f;

	if ((f = fopen(at(name), "wb")) == NULL ||
	    fchmod(fileno(f), mode) != 0 || fwrite(text, 1, len, f) != len ||
	    fclose(f) != 0)
		abort();
}

static void
put_pubkey(const char *name, EVP_PKEY *key)
{
	FILE *f;

	if ((f = fopen(at(name), "wb")) == NULL ||
	    PEM_write_PUBKEY(f, key) != 1 || fclose(f) != 0)
		abort();
}

/* A self-signed CA certificate for key. */
static void
put_root(const char *name, const char *cn, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	FILE *f;

	if (x == NULL || n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
		(const unsigned char *)"Example Corp", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_set_subject_name(x, n) || !X509_set_issuer_name(x, n) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 20L * 365 * 86400) == NULL ||
	    !X509_set_pubkey(x, key))
		abort();
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
		 "critical,CA:TRUE")) == NULL ||
	    !X509_add_ext(x, ext, -1))
		abort();
	X509_EXTENSION_free(ext);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
		 "critical,keyCertSign,cRLSign")) == NULL ||
	    !X509_add_ext(x, ext, -1))
		abort();
	X509_EXTENSION_free(ext);
	if (X509_sign(x, key, EVP_sha384()) <= 0 ||
	    (f = fopen(at(name), "wb")) == NULL || PEM_write_X509(f, x) != 1 ||
	    fclose(f) != 0)
		abort();
	X509_NAME_free(n);
	X509_free(x);
}

static void
put_csr(const char *name, EVP_PKEY *key)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	FILE *f;

	if (req == NULL || n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		(const unsigned char *)"Example Intermediate", -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, n) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (f = fopen(at(name), "wb")) == NULL ||
	    PEM_write_X509_REQ(f, req) != 1 || fclose(f) != 0)
		abort();
	X509_NAME_free(n);
	X509_REQ_free(req);
}

static void
setup(void)
{
	const char *base = getenv("TMPDIR");
	const char *const pins[] = { "hsm/root.pin", "hsm/root.so-pin",
		"hsm/root-backup.pin", "hsm/online.pin" };
	EVP_PKEY *root, *root2, *inter, *audit;
	FILE *f;
	char *policy;
	long len;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/signet-fuzz-ceremony.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL || mkdir(at("hsm"), 0700) != 0 ||
	    mkdir(at("policies"), 0700) != 0)
		abort();
	atexit(cleanup);
	if ((f = fopen(SIGNET_FUZZ_POLICY_DEFAULT, "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (policy = malloc((size_t)len)) == NULL ||
	    fread(policy, 1, (size_t)len, f) != (size_t)len)
		abort();
	fclose(f);
	put("policies/default.yaml", policy, (size_t)len, 0644);
	free(policy);
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		put(pins[i], "1234\n", 5, 0600);
	if ((root = EVP_EC_gen("P-384")) == NULL ||
	    (root2 = EVP_EC_gen("P-384")) == NULL ||
	    (inter = EVP_EC_gen("P-256")) == NULL ||
	    (audit = EVP_EC_gen("P-256")) == NULL)
		abort();
	put_pubkey("root-key.pub.pem", root);
	put_pubkey("root2-key.pub.pem", root2);
	put_pubkey("intermediate.pub.pem", inter);
	put_pubkey("audit.pub.pem", audit);
	put_root("root.pem", "Example Root R1", root);
	put_root("root2.pem", "Example Root R2", root2);
	put_csr("intermediate.csr", inter);
	EVP_PKEY_free(root);
	EVP_PKEY_free(root2);
	EVP_PKEY_free(inter);
	EVP_PKEY_free(audit);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signet_ceremony *c = NULL;
	char *text;
	int r;

	if (dir[0] == '\0')
		setup();
	put("fuzz.yaml", data, size, 0600);
	r = signet_ceremony_load(at("fuzz.yaml"), dir, &c);
	if (r == 0) {
		/* What `signet ceremony check` prints. */
		text = signet_ceremony_describe(c);
		if (text == NULL || signet_ceremony_confirm_code(c) == NULL ||
		    strlen(signet_ceremony_sha256(c)) != 64)
			abort();
		free(text);
		signet_ceremony_free(c);
		return 0;
	}
	if (c != NULL || signet_error_message()[0] == '\0')
		abort();
	signet_error_clear();
	return 0;
}
