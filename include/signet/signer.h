/*
 * The signer interface: what src/x509 calls to sign a to-be-signed
 * structure. The token module implements it for keys in a PKCS#11 token;
 * a software signer exists for the throwaway keys that sign lint
 * certificates, and for tests. Configuration only ever names a token key,
 * so a CA cannot be pointed at a software key.
 */
#ifndef SIGNET_SIGNER_H
#define SIGNET_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "signet/error.h"

/* The largest signature any supported key makes (RSA 4096 is 512 bytes). */
#define SIGNET_SIG_MAX 1024

enum signet_sig_alg {
	SIGNET_SIG_NONE = 0,
	SIGNET_SIG_ECDSA_SHA256,
	SIGNET_SIG_ECDSA_SHA384,
	SIGNET_SIG_ECDSA_SHA512,
	SIGNET_SIG_RSA_PKCS1_SHA256,
	SIGNET_SIG_RSA_PKCS1_SHA384,
	SIGNET_SIG_RSA_PKCS1_SHA512,
	SIGNET_SIG_RSA_PSS_SHA256, /* MGF1 with the same hash, salt = hash size */
	SIGNET_SIG_RSA_PSS_SHA384,
	SIGNET_SIG_RSA_PSS_SHA512,
};

/* "ecdsa-with-SHA256", ... */
const char *signet_sig_alg_name(enum signet_sig_alg alg);
const EVP_MD *signet_sig_alg_md(enum signet_sig_alg alg);
int signet_sig_alg_is_pss(enum signet_sig_alg alg);
int signet_sig_alg_is_ecdsa(enum signet_sig_alg alg);

/*
 * The algorithm a CA key signs with: ECDSA P-256 with SHA-256, P-384 with
 * SHA-384, P-521 with SHA-512; RSA with SHA-256, PKCS#1 v1.5 or, if pss,
 * RSASSA-PSS.
 */
int signet_sig_alg_for_key(const EVP_PKEY *pub, int pss,
    enum signet_sig_alg *out) SIGNET_WUR;

/*
 * What an implementation provides. sign_digest receives the digest of the
 * to-be-signed bytes under alg's hash and writes the signature in the form
 * X.509 carries it (DER ECDSA-Sig-Value for ECDSA) into sig, at most
 * *siglen bytes, setting *siglen to the length written.
 */
struct signet_signer_ops {
	const char *kind; /* "pkcs11", "software" */
	int hardware;     /* 1 if the private key is in a token */
	int (*sign_digest)(void *ctx, enum signet_sig_alg alg,
	    const uint8_t *digest, size_t digest_len, uint8_t *sig,
	    size_t *siglen);
	void (*free)(void *ctx);
};

struct signet_signer;

/* Takes ownership of ctx (freed with ops->free) and a reference to pub. */
int signet_signer_new(const struct signet_signer_ops *ops, void *ctx,
    EVP_PKEY *pub, struct signet_signer **out) SIGNET_WUR;
void signet_signer_free(struct signet_signer *signer);

EVP_PKEY *signet_signer_get0_pubkey(const struct signet_signer *signer);
int signet_signer_is_hardware(const struct signet_signer *signer);
const char *signet_signer_kind(const struct signet_signer *signer);

/* Sign a digest already computed with alg's hash. */
int signet_signer_sign_digest(struct signet_signer *signer,
    enum signet_sig_alg alg, const uint8_t *digest, size_t digest_len,
    uint8_t *sig, size_t *siglen) SIGNET_WUR;

/* Hash tbs with alg's hash and sign it; the signature is freshly allocated. */
int signet_signer_sign(struct signet_signer *signer, enum signet_sig_alg alg,
    const uint8_t *tbs, size_t tbs_len, uint8_t **sig, size_t *siglen)
    SIGNET_WUR;

/* Verify sig over tbs with pub alone (used after every token signature). */
int
signet_verify(const EVP_PKEY *pub, enum signet_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, const uint8_t *sig, size_t siglen) SIGNET_WUR;

/*
 * A software signer over priv (a reference is taken). For throwaway lint
 * keys and tests only: nothing in configuration can select one.
 */
int
signet_soft_signer_new(EVP_PKEY *priv, struct signet_signer **out) SIGNET_WUR;

/*
 * A fresh throwaway software key of the same algorithm as pub (same curve;
 * RSA 2048 for any RSA key, which yields the same signature algorithm
 * identifier), for lint certificates.
 */
int signet_throwaway_key_new(const EVP_PKEY *pub, EVP_PKEY **out) SIGNET_WUR;

#endif /* SIGNET_SIGNER_H */
