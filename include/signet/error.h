/*
 * signet: one error type for the whole project.
 *
 * Every fallible function returns 0 on success or a negative SIGNET_ERR_*
 * code, and records a message a person can act on in a per-thread error
 * record. The CLI prints that message and exits with signet_exit_code(r).
 * The library never exits and never prints.
 */
#ifndef SIGNET_ERROR_H
#define SIGNET_ERROR_H

#include <stddef.h>

#define SIGNET_WUR __attribute__((warn_unused_result))
#define SIGNET_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Codes are grouped by tens into categories; the exit status of the CLI is
 * the negated code, so every condition an operator may script against has
 * its own exit status (docs/cli.md lists them).
 */
enum signet_err {
	SIGNET_OK = 0,

	SIGNET_ERR_INTERNAL = -1, /* a bug or resource exhaustion */

	SIGNET_ERR_USAGE = -2,  /* bad command line */
	SIGNET_ERR_CONFIG = -3, /* malformed config, policy or ceremony file */
	SIGNET_ERR_URI = -4,    /* malformed PKCS#11 URI */

	SIGNET_ERR_POLICY = -10, /* request refused by policy */
	SIGNET_ERR_LINT = -11,   /* to-be-signed object failed a lint */

	SIGNET_ERR_TOKEN = -20,           /* other token failure */
	SIGNET_ERR_MODULE = -21,          /* not a usable PKCS#11 module */
	SIGNET_ERR_TOKEN_NOT_FOUND = -22, /* no token matches the URI */
	SIGNET_ERR_KEY_NOT_FOUND = -23,   /* no key matches the URI */
	SIGNET_ERR_PIN_INCORRECT = -24,   /* wrong PIN */
	SIGNET_ERR_PIN_LOCKED = -25,      /* PIN locked, or one try left */
	SIGNET_ERR_PIN_SOURCE = -26,      /* no PIN source, or unreadable */
	SIGNET_ERR_KEY_UNSAFE = -27,      /* key may exist outside the token */

	SIGNET_ERR_CRYPTO = -30, /* OpenSSL failure */
	SIGNET_ERR_VERIFY = -31, /* a signature, hash chain or check failed */

	SIGNET_ERR_STORE = -40,     /* database failure */
	SIGNET_ERR_NOT_FOUND = -41, /* no such record (serial, CRL) */
	SIGNET_ERR_CONFLICT = -42,  /* already exists, or state forbids it */

	SIGNET_ERR_IO = -50,    /* file system failure */
	SIGNET_ERR_AUDIT = -51, /* audit log unwritable: refusing to sign */
};

enum signet_err_category {
	SIGNET_CAT_OK,
	SIGNET_CAT_INTERNAL,
	SIGNET_CAT_USAGE,
	SIGNET_CAT_POLICY,
	SIGNET_CAT_TOKEN,
	SIGNET_CAT_CRYPTO,
	SIGNET_CAT_STORE,
	SIGNET_CAT_IO,
};

/* What the last failure on this thread was, and why. */
struct signet_error_info {
	int code;
	char message[2048];
	unsigned long ossl_error; /* first OpenSSL error code, 0 if none */
	unsigned long ckr;        /* PKCS#11 CK_RV, valid if has_ckr */
	int has_ckr;
	int sys_errno; /* errno, 0 if none */
};

/* Short, fixed description of a code ("PIN incorrect"). */
const char *signet_strerror(int code);
/* "token", "policy", ... */
const char *signet_err_category_name(int code);
enum signet_err_category signet_err_category(int code);
/* Exit status for a code: 0 for success, else -code. */
int signet_exit_code(int code);

/* Record a failure; returns code so that `return signet_error_set(...)`. */
int signet_error_set(int code, const char *fmt, ...) SIGNET_PRINTF(2, 3);
/* Same, appending the reason at the top of the OpenSSL error queue. */
int signet_error_ossl(int code, const char *fmt, ...) SIGNET_PRINTF(2, 3);
/* Same, appending strerror(errno). */
int signet_error_sys(int code, const char *fmt, ...) SIGNET_PRINTF(2, 3);
/*
 * Prefix the recorded message with context as a failure travels up:
 * "loading policy p.yaml: line 4: ...". Returns code unchanged.
 */
int signet_error_context(int code, const char *fmt, ...) SIGNET_PRINTF(2, 3);

/*
 * Record the last failure again under another code, prefixed with context
 * ("prefix: old message"): a file that cannot be read is a configuration
 * error when it is the configuration. Returns code.
 */
int signet_error_recode(int code, const char *fmt, ...) SIGNET_PRINTF(2, 3);

/* Record the PKCS#11 return value that caused the current failure. */
void signet_error_attach_ckr(unsigned long ckr);

/*
 * clang's static analyzer reads one file at a time and cannot see that
 * these return their code: without this it follows "failure returned 0"
 * paths that do not exist. Analysis builds only; error.c defines them.
 */
#if defined(__clang_analyzer__) && !defined(SIGNET_ERROR_IMPL)
#define signet_error_set(code, ...) \
	((void)signet_error_set(code, __VA_ARGS__), (code))
#define signet_error_ossl(code, ...) \
	((void)signet_error_ossl(code, __VA_ARGS__), (code))
#define signet_error_sys(code, ...) \
	((void)signet_error_sys(code, __VA_ARGS__), (code))
#define signet_error_context(code, ...) \
	((void)signet_error_context(code, __VA_ARGS__), (code))
#define signet_error_recode(code, ...) \
	((void)signet_error_recode(code, __VA_ARGS__), (code))
#endif

const struct signet_error_info *signet_error_last(void);
/* The message of the last failure, or its code's description. */
const char *signet_error_message(void);
void signet_error_clear(void);

#endif /* SIGNET_ERROR_H */
