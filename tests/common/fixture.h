/*
 * Test fixtures: a private temporary directory per test process, throwaway
 * SoftHSM tokens in it (made by hsm/mktoken.sh), and helpers to run the
 * external tools that judge what signet emits.
 */
#ifndef SIGNET_TEST_FIXTURE_H
#define SIGNET_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

/* The test's temporary directory, made on first use; removed at exit. */
const char *fx_tmpdir(void);
/* tmpdir/name, in a static rotating buffer (valid for a few calls). */
const char *fx_path(const char *name);
/* The repository root, and the signet binary. */
const char *fx_source_dir(void);
const char *fx_signet_bin(void);
/* SoftHSM's module path. */
const char *fx_softhsm_module(void);

/*
 * Make SoftHSM tokens with these labels (NULL-terminated) in the tmpdir and
 * point SOFTHSM2_CONF at them. PINs are in fx_pin_file(label).
 */
void fx_softhsm_tokens(const char *label, ...);
const char *fx_pin_file(const char *label);
/* "file:<pin file>" for a label. */
const char *fx_pin_source(const char *label);

/*
 * Import a fresh P-256 key pair (made by openssl, file then removed) into
 * a SoftHSM token with pkcs11-tool: sensitive and not extractable, but,
 * having been outside the token, CKA_ALWAYS_SENSITIVE and
 * CKA_NEVER_EXTRACTABLE false. id is hex. Aborts on failure.
 */
void fx_softhsm_import_key(const char *token, const char *pin_file,
    const char *label, const char *id);

/* Run a shell command; returns its exit status (-1 if it did not exit). */
int fx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, capturing standard output (and error, if merge) into a fresh string. */
char *fx_sh_output(int *status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* 1 if command is on PATH. */
int fx_have(const char *command);

/* Write or read a whole file; abort the test on failure. */
void fx_write(const char *path, const void *data, size_t len);
uint8_t *fx_read(const char *path, size_t *len);

/*
 * Lines of a text file that start with the word first and contain needle
 * (NULL: any); a needle ending in a newline must end the line. Made for
 * p11fault's call log (P11FAULT_LOG): fx_count_lines(log, "C_Login", NULL)
 * is the number of C_Login calls. Aborts on a line without its newline.
 */
int fx_count_lines(const char *path, const char *first, const char *needle);

#endif /* SIGNET_TEST_FIXTURE_H */
