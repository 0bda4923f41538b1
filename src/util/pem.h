/*
 * PEM (RFC 7468): the one encoder and the one decoder of signet. Every
 * certificate, CRL, request and key signet writes as PEM, and every PEM
 * block it reads, goes through here.
 */
#ifndef SIGNET_UTIL_PEM_H
#define SIGNET_UTIL_PEM_H

#include <stddef.h>
#include <stdint.h>

#include "signet/error.h"

/*
 * "-----BEGIN label-----", the base64 of der in 64-character lines,
 * "-----END label-----", each line ending in '\n' (RFC 7468 2, the strict
 * form), into a fresh NUL-terminated buffer (*out, free(); *outlen without
 * the NUL).
 */
int pem_encode(const char *label, const uint8_t *der, size_t len, char **out,
    size_t *outlen) SIGNET_WUR;

/* pem_decode flags. */
/*
 * Skip text before the first block and ignore everything after it (RFC
 * 7468 2: "explanatory text", as `openssl x509 -text` writes it). Without
 * this, only whitespace may surround the one block.
 */
#define PEM_TEXT_AROUND 0x01

struct pem_want {
	const char *const *labels; /* accepted, NULL-terminated; NULL: any */
	const char *what;          /* "the CSR", for messages */
	int code;                  /* SIGNET_ERR_* for input that is not */
	unsigned flags;
};

/*
 * The PEM block of in: its DER (*der, free()) and, if label is not NULL,
 * its label (*label, free()). Strict: a BEGIN line whose label is one of
 * want->labels, a base64 body (whitespace allowed, no headers, not empty),
 * the END line of the same label; want->code with a message naming
 * want->what otherwise. The accepted labels are checked first, so a block
 * of another kind is reported as such whatever else is wrong with it.
 */
int pem_decode(const uint8_t *in, size_t len, const struct pem_want *want,
    char **label, uint8_t **der, size_t *derlen) SIGNET_WUR;

#endif /* SIGNET_UTIL_PEM_H */
