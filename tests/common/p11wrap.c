/*
 * A PKCS#11 module for tests: it forwards every call to a real module
 * (P11WRAP_MODULE, default SoftHSM) and lets a test see and bend what
 * signet does, which SoftHSM alone cannot show:
 *
 *   - C_Login calls are counted (p11wrap_login_count(), and one line per
 *     call appended to the file P11WRAP_LOGIN_LOG if set), so a test can
 *     prove a failed login is never retried;
 *   - token flags can be added to C_GetTokenInfo (P11WRAP_TOKEN_FLAGS =
 *     "locked", "final_try", "count_low", comma-separated, or
 *     p11wrap_set_token_flags()), since SoftHSM never locks a PIN;
 *   - a mechanism can be hidden, or its largest key size lowered
 *     (p11wrap_mech_limit()), to stand for tokens that lack a curve or size;
 *   - C_Sign can be made to fail with a chosen CK_RV a number of times
 *     (p11wrap_sign_fail()), after the real module has signed, so the
 *     module's own state stays consistent; C_Sign calls are counted.
 *
 * Loaded into a test process it shares the real module with the test's
 * own handle on it (same dlopen handle, same state).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define P11WRAP_EXPORT __attribute__((visibility("default")))

static pthread_mutex_t wrap_lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST_PTR real;
static CK_FUNCTION_LIST wrapped;
static unsigned long login_count, sign_count;
static CK_RV sign_fail_rv;
static long sign_fail_times;
static CK_FLAGS extra_flags;
static int extra_flags_set;
static CK_MECHANISM_TYPE limit_mech;
static CK_ULONG limit_max;
static int limit_set;

P11WRAP_EXPORT unsigned long p11wrap_login_count(void);
P11WRAP_EXPORT unsigned long p11wrap_sign_count(void);
P11WRAP_EXPORT void p11wrap_sign_fail(CK_RV rv, long times);
P11WRAP_EXPORT void p11wrap_set_token_flags(CK_FLAGS flags);
P11WRAP_EXPORT void
p11wrap_mech_limit(int on, CK_MECHANISM_TYPE mech, CK_ULONG max);
P11WRAP_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

unsigned long
p11wrap_login_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&wrap_lock);
	n = login_count;
	pthread_mutex_unlock(&wrap_lock);
	return n;
}

unsigned long
p11wrap_sign_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&wrap_lock);
	n = sign_count;
	pthread_mutex_unlock(&wrap_lock);
	return n;
}

/* Fail the next `times` C_Sign calls with rv (times < 0: every call). */
void
p11wrap_sign_fail(CK_RV rv, long times)
{
	pthread_mutex_lock(&wrap_lock);
	sign_fail_rv = rv;
	sign_fail_times = times;
	pthread_mutex_unlock(&wrap_lock);
}

void
p11wrap_set_token_flags(CK_FLAGS flags)
{
	pthread_mutex_lock(&wrap_lock);
	extra_flags = flags;
	extra_flags_set = 1;
	pthread_mutex_unlock(&wrap_lock);
}

/*
 * While on: mech is missing (max 0) or offers keys of at most max bits.
 */
void
p11wrap_mech_limit(int on, CK_MECHANISM_TYPE mech, CK_ULONG max)
{
	pthread_mutex_lock(&wrap_lock);
	limit_set = on;
	limit_mech = mech;
	limit_max = max;
	pthread_mutex_unlock(&wrap_lock);
}

static CK_RV
wrap_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE mech,
    CK_MECHANISM_INFO_PTR info)
{
	CK_RV rv = real->C_GetMechanismInfo(slot, mech, info);

	pthread_mutex_lock(&wrap_lock);
	if (rv == CKR_OK && limit_set && mech == limit_mech) {
		if (limit_max == 0)
			rv = CKR_MECHANISM_INVALID;
		else
			info->ulMaxKeySize = limit_max;
	}
	pthread_mutex_unlock(&wrap_lock);
	return rv;
}

static CK_FLAGS
env_flags(void)
{
	const char *f = getenv("P11WRAP_TOKEN_FLAGS");
	CK_FLAGS flags = 0;

	if (f == NULL)
		return 0;
	if (strstr(f, "locked") != NULL)
		flags |= CKF_USER_PIN_LOCKED;
	if (strstr(f, "final_try") != NULL)
		flags |= CKF_USER_PIN_FINAL_TRY;
	if (strstr(f, "count_low") != NULL)
		flags |= CKF_USER_PIN_COUNT_LOW;
	return flags;
}

static CK_RV
wrap_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv = real->C_GetTokenInfo(slot, info);

	if (rv == CKR_OK && (info->flags & CKF_TOKEN_INITIALIZED)) {
		pthread_mutex_lock(&wrap_lock);
		info->flags |= extra_flags_set ? extra_flags : env_flags();
		pthread_mutex_unlock(&wrap_lock);
	}
	return rv;
}

static CK_RV
wrap_Login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
    CK_ULONG pin_len)
{
	const char *log = getenv("P11WRAP_LOGIN_LOG");
	int fd;

	pthread_mutex_lock(&wrap_lock);
	login_count++;
	pthread_mutex_unlock(&wrap_lock);
	if (log != NULL &&
	    (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600)) != -1) {
		/* Never the PIN: only that a login was attempted. */
		if (write(fd, "C_Login\n", 8) != 8)
			fprintf(stderr, "p11wrap: cannot write %s\n", log);
		close(fd);
	}
	return real->C_Login(s, user, pin, pin_len);
}

static CK_RV
wrap_Sign(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
    CK_ULONG_PTR siglen)
{
	CK_RV rv = real->C_Sign(s, data, len, sig, siglen);

	pthread_mutex_lock(&wrap_lock);
	sign_count++;
	if (rv == CKR_OK && sig != NULL && sign_fail_times != 0) {
		rv = sign_fail_rv;
		if (sign_fail_times > 0)
			sign_fail_times--;
	}
	pthread_mutex_unlock(&wrap_lock);
	return rv;
}

static CK_RV
wrap_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	*list = &wrapped;
	return CKR_OK;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	const char *path = getenv("P11WRAP_MODULE");
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR) = NULL;
	void *dl;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&wrap_lock);
	if (real == NULL) {
		if (path == NULL)
			path = "/usr/lib/softhsm/libsofthsm2.so";
		if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
		*(void **)&get = dlsym(dl, "C_GetFunctionList");
		if (get == NULL || (rv = get(&real)) != CKR_OK) {
			real = NULL;
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
		wrapped = *real;
		wrapped.C_GetFunctionList = wrap_GetFunctionList;
		wrapped.C_GetTokenInfo = wrap_GetTokenInfo;
		wrapped.C_GetMechanismInfo = wrap_GetMechanismInfo;
		wrapped.C_Login = wrap_Login;
		wrapped.C_Sign = wrap_Sign;
	}
	*list = &wrapped;
out:
	pthread_mutex_unlock(&wrap_lock);
	return rv;
}
