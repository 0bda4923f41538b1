/*
 * libFuzzer target: an untrusted CSR through parsing and the policy
 * checks of policies/default.yaml's tls-server profile, as a CA would see
 * it. SIGNET_FUZZ_POLICY names another policy file.
 *
 * A mutated CSR almost never carries a valid signature, and nothing after
 * the proof-of-possession check would be reached. So every input that
 * parses is also re-signed with a key of the harness and checked again:
 * the first pass fuzzes decoding, keys and signatures, the second the
 * extensions, names and subject behind them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signet/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct signet_policy *policy;
static const struct signet_profile *profile;
static EVP_PKEY *harness_key;

static void
fuzz_setup(void)
{
	const char *path = getenv("SIGNET_FUZZ_POLICY");

	if (path == NULL)
		path = SIGNET_FUZZ_POLICY_DEFAULT;
	if (signet_policy_load(path, &policy) != 0 ||
	    signet_policy_find(policy, "tls-server", &profile) != 0) {
		fprintf(stderr, "fuzz_csr: %s\n", signet_error_message());
		abort();
	}
	if ((harness_key = EVP_EC_gen("P-256")) == NULL)
		abort();
}

static void
check_one(const uint8_t *data, size_t size)
{
	struct signet_request *req = NULL;
	size_t i;

	if (signet_request_from_csr(profile, data, size, NULL, &req) != 0)
		return;
	/* What was accepted must hold together. */
	if (req->pubkey == NULL || req->subject == NULL ||
	    req->n_sans > profile->max_sans)
		abort();
	for (i = 0; i < req->n_sans; i++)
		if (req->sans[i].value == NULL)
			abort();
	signet_request_free(req);
}

/* The same request, signed by the harness key. */
static void
check_resigned(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	unsigned char *der = NULL;
	X509_REQ *req;
	int len;

	if ((req = d2i_X509_REQ(NULL, &p, (long)size)) == NULL)
		return;
	if (X509_REQ_set_pubkey(req, harness_key) == 1 &&
	    X509_REQ_sign(req, harness_key, EVP_sha256()) > 0 &&
	    (len = i2d_X509_REQ(req, &der)) > 0)
		check_one(der, (size_t)len);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (profile == NULL)
		fuzz_setup();
	check_one(data, size);
	check_resigned(data, size);
	ERR_clear_error();
	return 0;
}
