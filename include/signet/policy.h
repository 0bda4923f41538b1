/*
 * The policy engine: policy files (policies/NAME.yaml) compiled into
 * certificate profiles (signet/profile.h), and untrusted certificate
 * requests turned into normalised, validated requests (signet/request.h).
 *
 * Everything is denied unless a profile allows it. A policy file that is
 * malformed or contradicts itself does not load (SIGNET_ERR_CONFIG, with
 * "file:line: reason"); a request that breaks a rule is refused
 * (SIGNET_ERR_POLICY) with a message naming every failing field and why.
 * A loaded policy is immutable and may be shared between threads.
 */
#ifndef SIGNET_POLICY_H
#define SIGNET_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signet/error.h"
#include "signet/profile.h"
#include "signet/request.h"

/* ---- Policy files ------------------------------------------------------ */

struct signet_policy;

/* Largest policy file accepted. */
#define SIGNET_POLICY_MAX_SIZE ((size_t)1024 * 1024)

/* Load and check a policy file. */
int signet_policy_load(const char *path, struct signet_policy **out) SIGNET_WUR;
/* Same, from memory; name is used in messages in place of a file name. */
int signet_policy_load_mem(const char *name, const void *text, size_t len,
    struct signet_policy **out) SIGNET_WUR;
void signet_policy_free(struct signet_policy *policy);

/* SHA-256 of the file's bytes (32 bytes), for the audit log. */
const uint8_t *signet_policy_sha256(const struct signet_policy *policy);
/* The path (or name) it was loaded from. */
const char *signet_policy_source(const struct signet_policy *policy);

size_t signet_policy_profile_count(const struct signet_policy *policy);
/* Profile i, in file order; NULL if out of range. Borrowed. */
const struct signet_profile *
signet_policy_get0_profile(const struct signet_policy *policy, size_t i);
/* The profile called name; SIGNET_ERR_NOT_FOUND naming the choices. */
int signet_policy_find(const struct signet_policy *policy, const char *name,
    const struct signet_profile **out) SIGNET_WUR;

/* ---- Requests ------------------------------------------------------------ */

/* Default cap on the size of a CSR, PEM or DER. */
#define SIGNET_CSR_MAX_DEFAULT ((size_t)64 * 1024)

/*
 * Is a public key known to be compromised? Called with the SHA-256 of its
 * DER SubjectPublicKeyInfo; returns 1 if blocked, 0 if not, or a negative
 * SIGNET_ERR_* (with the error recorded) if it cannot tell, which fails
 * the request.
 */
typedef int (*signet_key_blocked_fn)(void *arg, const uint8_t spki_sha256[32]);

struct signet_request_opts {
	/* Requested validity in seconds; 0: the profile's default. */
	int64_t validity;
	/* Compromised-key lookup; NULL: none. */
	signet_key_blocked_fn is_blocked;
	void *is_blocked_arg;
	/* The CA's own public keys, which no request may carry. */
	EVP_PKEY *const *ca_keys;
	size_t n_ca_keys;
	/* Largest CSR accepted, in bytes; 0: SIGNET_CSR_MAX_DEFAULT. */
	size_t max_csr_size;
};

/*
 * Check an untrusted CSR (PEM or DER, one object) against profile and make
 * a request from it. opts may be NULL (all defaults). The CSR's own
 * extensions are never copied: only its subject (as far as the profile
 * takes it), its SANs and its public key are used.
 */
int signet_request_from_csr(const struct signet_profile *profile,
    const uint8_t *csr, size_t len, const struct signet_request_opts *opts,
    struct signet_request **out) SIGNET_WUR;

/*
 * Same checks for a public key and names given by a reviewed file (key
 * ceremonies), except proof of possession. sans[i].type and sans[i].value
 * (text; IP addresses in inet_pton form) are read; the rest is ignored.
 * subject may be NULL (empty).
 */
int signet_request_from_key(const struct signet_profile *profile,
    const EVP_PKEY *pubkey, const X509_NAME *subject,
    const struct signet_san *sans, size_t n_sans,
    const struct signet_request_opts *opts, struct signet_request **out)
    SIGNET_WUR;

/*
 * Whether profile allows these names (type and text value, as for
 * signet_request_from_key), before there is a key or a CSR: an ACME
 * newOrder's identifiers. 0, or SIGNET_ERR_POLICY naming what is refused.
 */
int signet_profile_names_check(const struct signet_profile *profile,
    const struct signet_san *sans, size_t n_sans) SIGNET_WUR;

/* "dNSName", "iPAddress", "rfc822Name", "uniformResourceIdentifier". */
const char *signet_san_type_name(enum signet_san_type type);

#endif /* SIGNET_POLICY_H */
