/*
 * libFuzzer target: the audit log verifier (signet audit verify) on
 * hostile input. The input is one log, or several files separated by a
 * line holding only a form feed ("\f\n"), so that rotation across files is
 * exercised too. Odd-sized inputs are verified with --strict.
 *
 * The seed corpus (tests/fuzz/corpus/audit/) was written by signet with a
 * test-only P-256 key whose public half is below, so that the seeds'
 * checkpoint signatures verify and the fuzzer starts from the paths a real
 * log takes. Its private half was not kept: to add seeds with valid
 * checkpoints, make a new key, write logs with signet_audit_open/append/
 * close and a software signer, and replace the key below.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "signet/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char corpus_key_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWp7Ah8++Z0iwHKbM6PTYsJ314FPz\n"
    "dW6Z+oWsthN+8Y0eAu/0c+WyP3toYKZL7T6Bk7xnYmU9cNMP0cX4SzcvYQ==\n"
    "-----END PUBLIC KEY-----\n";

static EVP_PKEY *
corpus_key(void)
{
	static EVP_PKEY *key;
	BIO *bio;

	if (key != NULL)
		return key;
	bio = BIO_new_mem_buf(corpus_key_pem, -1);
	if (bio != NULL)
		key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return key;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n\f\n";
	struct signet_audit_verifier *v = NULL;
	const struct signet_audit_summary *s;
	const uint8_t *p = data, *end = data + size, *cut;
	char name[32];
	int r = 0, files = 0;
	EVP_PKEY *key = corpus_key();
	unsigned flags = size & 1 ? SIGNET_AUDIT_VERIFY_STRICT : 0;

	/* Without the corpus key, the chain alone. */
	if (key == NULL)
		flags |= SIGNET_AUDIT_VERIFY_NO_SIGNATURES;
	if (signet_audit_verifier_new(flags, &v) != 0)
		return 0;
	if (key != NULL && signet_audit_verifier_add_key(v, key) != 0)
		goto out;
	while (r == 0 && p <= end && files < 64) {
		cut = memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1);
		snprintf(name, sizeof(name), "file%d", files++);
		if (cut == NULL) {
			r = signet_audit_verifier_add_buf(v, name, p,
			    (size_t)(end - p));
			break;
		}
		/* The LF before the separator ends the last record. */
		r = signet_audit_verifier_add_buf(v, name, p,
		    (size_t)(cut - p) + 1);
		p = cut + sizeof(sep) - 1;
	}
	if (r == 0)
		r = signet_audit_verifier_finish(v);
	s = signet_audit_verifier_get0_summary(v);
	/* A failure must always say where. */
	if (r != 0 && s->failed &&
	    (s->fail_file == NULL || s->fail_reason == NULL))
		__builtin_trap();
out:
	signet_audit_verifier_free(v);
	return 0;
}
