/* The per-thread error record behind include/signet/error.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#define SIGNET_ERROR_IMPL /* the real functions, not the analyzer's view */
#include "signet/error.h"

static _Thread_local struct signet_error_info last_error;

const char *
signet_strerror(int code)
{
	switch (code) {
	case SIGNET_OK:
		return "success";
	case SIGNET_ERR_INTERNAL:
		return "internal error";
	case SIGNET_ERR_USAGE:
		return "usage error";
	case SIGNET_ERR_CONFIG:
		return "malformed configuration";
	case SIGNET_ERR_URI:
		return "malformed PKCS#11 URI";
	case SIGNET_ERR_POLICY:
		return "refused by policy";
	case SIGNET_ERR_LINT:
		return "lint failed";
	case SIGNET_ERR_TOKEN:
		return "token error";
	case SIGNET_ERR_MODULE:
		return "PKCS#11 module unusable";
	case SIGNET_ERR_TOKEN_NOT_FOUND:
		return "token not found";
	case SIGNET_ERR_KEY_NOT_FOUND:
		return "key not found";
	case SIGNET_ERR_PIN_INCORRECT:
		return "PIN incorrect";
	case SIGNET_ERR_PIN_LOCKED:
		return "PIN locked or at its final try";
	case SIGNET_ERR_PIN_SOURCE:
		return "no usable PIN source";
	case SIGNET_ERR_KEY_UNSAFE:
		return "key is, or was once, extractable or not sensitive";
	case SIGNET_ERR_CRYPTO:
		return "cryptographic operation failed";
	case SIGNET_ERR_VERIFY:
		return "verification failed";
	case SIGNET_ERR_STORE:
		return "database error";
	case SIGNET_ERR_NOT_FOUND:
		return "not found";
	case SIGNET_ERR_CONFLICT:
		return "conflict with existing state";
	case SIGNET_ERR_IO:
		return "I/O error";
	case SIGNET_ERR_AUDIT:
		return "audit log unavailable";
	default:
		return "unknown error";
	}
}

enum signet_err_category
signet_err_category(int code)
{
	if (code == 0)
		return SIGNET_CAT_OK;
	if (code > 0 || code < -59)
		return SIGNET_CAT_INTERNAL;
	switch (-code / 10) {
	case 0:
		return code == SIGNET_ERR_INTERNAL ? SIGNET_CAT_INTERNAL
						   : SIGNET_CAT_USAGE;
	case 1:
		return SIGNET_CAT_POLICY;
	case 2:
		return SIGNET_CAT_TOKEN;
	case 3:
		return SIGNET_CAT_CRYPTO;
	case 4:
		return SIGNET_CAT_STORE;
	case 5:
		return SIGNET_CAT_IO;
	default:
		return SIGNET_CAT_INTERNAL;
	}
}

const char *
signet_err_category_name(int code)
{
	switch (signet_err_category(code)) {
	case SIGNET_CAT_OK:
		return "ok";
	case SIGNET_CAT_USAGE:
		return "usage";
	case SIGNET_CAT_POLICY:
		return "policy";
	case SIGNET_CAT_TOKEN:
		return "token";
	case SIGNET_CAT_CRYPTO:
		return "crypto";
	case SIGNET_CAT_STORE:
		return "store";
	case SIGNET_CAT_IO:
		return "io";
	case SIGNET_CAT_INTERNAL:
	default:
		return "internal";
	}
}

int
signet_exit_code(int code)
{
	if (code == 0)
		return 0;
	if (code > 0 || code < -125)
		return 1;
	return -code;
}

static void error_vset(int, const char *, va_list) SIGNET_PRINTF(2, 0);

static void
error_vset(int code, const char *fmt, va_list ap)
{
	memset(&last_error, 0, sizeof(last_error));
	last_error.code = code;
	vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap);
}

static void
error_append(const char *suffix)
{
	size_t len = strlen(last_error.message);

	if (suffix == NULL || *suffix == '\0')
		return;
	snprintf(last_error.message + len, sizeof(last_error.message) - len,
	    ": %s", suffix);
}

int
signet_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int
signet_error_ossl(int code, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	char buf[256];

	va_start(ap, fmt);
	error_vset(code, fmt, ap);
	va_end(ap);
	/* The first error is the root cause; later ones are call sites. */
	e = ERR_get_error();
	last_error.ossl_error = e;
	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		error_append(buf);
	}
	ERR_clear_error();
	return code;
}

int
signet_error_sys(int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	error_vset(code, fmt, ap);
	va_end(ap);
	last_error.sys_errno = saved;
	error_append(strerror(saved));
	errno = saved;
	return code;
}

int
signet_error_recode(int code, const char *fmt, ...)
{
	char prefix[512];
	char old[sizeof(last_error.message)];
	va_list ap;

	snprintf(old, sizeof(old), "%s", signet_error_message());
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return signet_error_set(code, "%s: %s", prefix, old);
}

int
signet_error_context(int code, const char *fmt, ...)
{
	va_list ap;
	char prefix[512];
	char old[sizeof(last_error.message)];
	size_t plen, olen, room;

	if (code == 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (last_error.code != code || last_error.message[0] == '\0') {
		/* Nothing recorded for this failure: say what we know. */
		last_error.code = code;
		last_error.has_ckr = 0;
		last_error.ossl_error = 0;
		last_error.sys_errno = 0;
		snprintf(last_error.message, sizeof(last_error.message),
		    "%s: %s", prefix, signet_strerror(code));
		return code;
	}
	memcpy(old, last_error.message, sizeof(old));
	plen = strlen(prefix);
	if (plen + 2 >= sizeof(last_error.message))
		plen = sizeof(last_error.message) - 3;
	memcpy(last_error.message, prefix, plen);
	memcpy(last_error.message + plen, ": ", 2);
	/* Truncate the old message if it no longer fits. */
	room = sizeof(last_error.message) - plen - 3;
	olen = strlen(old);
	if (olen > room)
		olen = room;
	memcpy(last_error.message + plen + 2, old, olen);
	last_error.message[plen + 2 + olen] = '\0';
	return code;
}

void
signet_error_attach_ckr(unsigned long ckr)
{
	last_error.ckr = ckr;
	last_error.has_ckr = 1;
}

const struct signet_error_info *
signet_error_last(void)
{
	return &last_error;
}

const char *
signet_error_message(void)
{
	if (last_error.message[0] == '\0')
		return signet_strerror(last_error.code);
	return last_error.message;
}

void
signet_error_clear(void)
{
	memset(&last_error, 0, sizeof(last_error));
}
