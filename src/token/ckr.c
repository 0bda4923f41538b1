/*
 * The border between PKCS#11 return values and signet's errors: every CK_RV
 * is classified and turned into a SIGNET_ERR_* here, and nowhere else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "token/token_int.h"

#define CKR_NAME(x)   \
	{             \
		x, #x \
	}

static const struct {
	CK_RV rv;
	const char *name;
} ckr_names[] = {
	CKR_NAME(CKR_OK),
	CKR_NAME(CKR_CANCEL),
	CKR_NAME(CKR_HOST_MEMORY),
	CKR_NAME(CKR_SLOT_ID_INVALID),
	CKR_NAME(CKR_GENERAL_ERROR),
	CKR_NAME(CKR_FUNCTION_FAILED),
	CKR_NAME(CKR_ARGUMENTS_BAD),
	CKR_NAME(CKR_NO_EVENT),
	CKR_NAME(CKR_NEED_TO_CREATE_THREADS),
	CKR_NAME(CKR_CANT_LOCK),
	CKR_NAME(CKR_ATTRIBUTE_READ_ONLY),
	CKR_NAME(CKR_ATTRIBUTE_SENSITIVE),
	CKR_NAME(CKR_ATTRIBUTE_TYPE_INVALID),
	CKR_NAME(CKR_ATTRIBUTE_VALUE_INVALID),
	CKR_NAME(CKR_ACTION_PROHIBITED),
	CKR_NAME(CKR_DATA_INVALID),
	CKR_NAME(CKR_DATA_LEN_RANGE),
	CKR_NAME(CKR_DEVICE_ERROR),
	CKR_NAME(CKR_DEVICE_MEMORY),
	CKR_NAME(CKR_DEVICE_REMOVED),
	CKR_NAME(CKR_ENCRYPTED_DATA_INVALID),
	CKR_NAME(CKR_ENCRYPTED_DATA_LEN_RANGE),
	CKR_NAME(CKR_FUNCTION_CANCELED),
	CKR_NAME(CKR_FUNCTION_NOT_PARALLEL),
	CKR_NAME(CKR_FUNCTION_NOT_SUPPORTED),
	CKR_NAME(CKR_KEY_HANDLE_INVALID),
	CKR_NAME(CKR_KEY_SIZE_RANGE),
	CKR_NAME(CKR_KEY_TYPE_INCONSISTENT),
	CKR_NAME(CKR_KEY_NOT_NEEDED),
	CKR_NAME(CKR_KEY_CHANGED),
	CKR_NAME(CKR_KEY_NEEDED),
	CKR_NAME(CKR_KEY_INDIGESTIBLE),
	CKR_NAME(CKR_KEY_FUNCTION_NOT_PERMITTED),
	CKR_NAME(CKR_KEY_NOT_WRAPPABLE),
	CKR_NAME(CKR_KEY_UNEXTRACTABLE),
	CKR_NAME(CKR_MECHANISM_INVALID),
	CKR_NAME(CKR_MECHANISM_PARAM_INVALID),
	CKR_NAME(CKR_OBJECT_HANDLE_INVALID),
	CKR_NAME(CKR_OPERATION_ACTIVE),
	CKR_NAME(CKR_OPERATION_NOT_INITIALIZED),
	CKR_NAME(CKR_PIN_INCORRECT),
	CKR_NAME(CKR_PIN_INVALID),
	CKR_NAME(CKR_PIN_LEN_RANGE),
	CKR_NAME(CKR_PIN_EXPIRED),
	CKR_NAME(CKR_PIN_LOCKED),
	CKR_NAME(CKR_SESSION_CLOSED),
	CKR_NAME(CKR_SESSION_COUNT),
	CKR_NAME(CKR_SESSION_HANDLE_INVALID),
	CKR_NAME(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	CKR_NAME(CKR_SESSION_READ_ONLY),
	CKR_NAME(CKR_SESSION_EXISTS),
	CKR_NAME(CKR_SESSION_READ_ONLY_EXISTS),
	CKR_NAME(CKR_SESSION_READ_WRITE_SO_EXISTS),
	CKR_NAME(CKR_SIGNATURE_INVALID),
	CKR_NAME(CKR_SIGNATURE_LEN_RANGE),
	CKR_NAME(CKR_TEMPLATE_INCOMPLETE),
	CKR_NAME(CKR_TEMPLATE_INCONSISTENT),
	CKR_NAME(CKR_TOKEN_NOT_PRESENT),
	CKR_NAME(CKR_TOKEN_NOT_RECOGNIZED),
	CKR_NAME(CKR_TOKEN_WRITE_PROTECTED),
	CKR_NAME(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	CKR_NAME(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
	CKR_NAME(CKR_USER_ALREADY_LOGGED_IN),
	CKR_NAME(CKR_USER_NOT_LOGGED_IN),
	CKR_NAME(CKR_USER_PIN_NOT_INITIALIZED),
	CKR_NAME(CKR_USER_TYPE_INVALID),
	CKR_NAME(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	CKR_NAME(CKR_USER_TOO_MANY_TYPES),
	CKR_NAME(CKR_WRAPPED_KEY_INVALID),
	CKR_NAME(CKR_WRAPPED_KEY_LEN_RANGE),
	CKR_NAME(CKR_WRAPPING_KEY_HANDLE_INVALID),
	CKR_NAME(CKR_WRAPPING_KEY_SIZE_RANGE),
	CKR_NAME(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	CKR_NAME(CKR_RANDOM_SEED_NOT_SUPPORTED),
	CKR_NAME(CKR_RANDOM_NO_RNG),
	CKR_NAME(CKR_DOMAIN_PARAMS_INVALID),
	CKR_NAME(CKR_CURVE_NOT_SUPPORTED),
	CKR_NAME(CKR_BUFFER_TOO_SMALL),
	CKR_NAME(CKR_SAVED_STATE_INVALID),
	CKR_NAME(CKR_INFORMATION_SENSITIVE),
	CKR_NAME(CKR_STATE_UNSAVEABLE),
	CKR_NAME(CKR_CRYPTOKI_NOT_INITIALIZED),
	CKR_NAME(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	CKR_NAME(CKR_MUTEX_BAD),
	CKR_NAME(CKR_MUTEX_NOT_LOCKED),
	CKR_NAME(CKR_NEW_PIN_MODE),
	CKR_NAME(CKR_NEXT_OTP),
	CKR_NAME(CKR_EXCEEDED_MAX_ITERATIONS),
	CKR_NAME(CKR_FIPS_SELF_TEST_FAILED),
	CKR_NAME(CKR_LIBRARY_LOAD_FAILED),
	CKR_NAME(CKR_PIN_TOO_WEAK),
	CKR_NAME(CKR_PUBLIC_KEY_INVALID),
	CKR_NAME(CKR_FUNCTION_REJECTED),
};

enum token_rv_class
token_rv_class(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return TOKEN_RV_OK;
	/*
	 * The session, the login or the token is gone (closed, logged out,
	 * removed, re-inserted with new handles): reopen and log in again.
	 */
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_USER_NOT_LOGGED_IN:
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_SLOT_ID_INVALID:
		return TOKEN_RV_LOST;
	case CKR_USER_ALREADY_LOGGED_IN:
		return TOKEN_RV_ALREADY_LOGGED_IN;
	case CKR_CRYPTOKI_ALREADY_INITIALIZED:
		return TOKEN_RV_ALREADY_INITIALIZED;
	case CKR_ATTRIBUTE_TYPE_INVALID:
	case CKR_ATTRIBUTE_SENSITIVE:
		return TOKEN_RV_ATTR_UNAVAILABLE;
	case CKR_SESSION_COUNT:
		return TOKEN_RV_SESSION_COUNT;
	case CKR_BUFFER_TOO_SMALL:
		return TOKEN_RV_BUFFER_TOO_SMALL;
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_CURVE_NOT_SUPPORTED:
	case CKR_DOMAIN_PARAMS_INVALID:
	case CKR_KEY_SIZE_RANGE:
		return TOKEN_RV_UNSUPPORTED;
	/*
	 * The module failed inside: SoftHSM reading a token file that
	 * another process is rewriting. Worth asking again, if the call
	 * only reads.
	 */
	case CKR_GENERAL_ERROR:
	case CKR_DEVICE_ERROR:
	case CKR_FUNCTION_FAILED:
		return TOKEN_RV_FAILED;
	default:
		return TOKEN_RV_OTHER;
	}
}

const char *
token_ckr_name(CK_RV rv, char buf[48])
{
	size_t i;

	for (i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++)
		if (ckr_names[i].rv == rv)
			return ckr_names[i].name;
	if ((rv & CKR_VENDOR_DEFINED) != 0)
		snprintf(buf, 48, "CKR_VENDOR_DEFINED+0x%lx",
		    (unsigned long)(rv & ~CKR_VENDOR_DEFINED));
	else
		snprintf(buf, 48, "CKR_0x%lx", (unsigned long)rv);
	return buf;
}

/* The signet error a CK_RV amounts to when nothing more precise is known. */
static int
ckr_code(CK_RV rv)
{
	switch (rv) {
	case CKR_HOST_MEMORY:
		return SIGNET_ERR_INTERNAL;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return SIGNET_ERR_PIN_INCORRECT;
	case CKR_PIN_LOCKED:
		return SIGNET_ERR_PIN_LOCKED;
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_SLOT_ID_INVALID:
		return SIGNET_ERR_TOKEN_NOT_FOUND;
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
		return SIGNET_ERR_KEY_NOT_FOUND;
	case CKR_LIBRARY_LOAD_FAILED:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
	case CKR_NEED_TO_CREATE_THREADS:
	case CKR_CANT_LOCK:
		return SIGNET_ERR_MODULE;
	default:
		return SIGNET_ERR_TOKEN;
	}
}

/* What an operator can do about some values. */
static const char *
ckr_hint(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return "the PIN is wrong; signet does not retry a failed "
		       "login: check the PIN source before trying again, as "
		       "each failure counts towards locking the PIN";
	case CKR_PIN_LOCKED:
		return "the user PIN is locked; the token's security officer "
		       "must unlock or reset it";
	case CKR_PIN_EXPIRED:
		return "the user PIN has expired; change it with the token's "
		       "own tools";
	case CKR_SESSION_COUNT:
		return "the token has no free sessions; lower max_sessions "
		       "or close other applications using it";
	case CKR_TOKEN_WRITE_PROTECTED:
		return "the token is write-protected";
	case CKR_USER_PIN_NOT_INITIALIZED:
		return "the user PIN is not set; initialise it with the "
		       "token's tools";
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
		return "check that the token is inserted and reachable";
	default:
		return NULL;
	}
}

int
token_error_ckr(int code, CK_RV rv, const char *fmt, ...)
{
	char msg[1024], buf[48];
	const char *hint = ckr_hint(rv);
	va_list ap;

	if (code == 0)
		code = ckr_code(rv);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (hint != NULL)
		signet_error_set(code, "%s: %s; %s", msg,
		    token_ckr_name(rv, buf), hint);
	else
		signet_error_set(code, "%s: %s", msg, token_ckr_name(rv, buf));
	signet_error_attach_ckr(rv);
	return code;
}

int
token_error_lost(void)
{
	const struct signet_error_info *e = signet_error_last();

	return e->has_ckr && token_rv_class((CK_RV)e->ckr) == TOKEN_RV_LOST;
}
