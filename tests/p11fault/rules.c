/*
 * The P11FAULT rule language and P11FAULT_MECHANISMS (README.md): parsing,
 * and the names of functions, return values, token flags and mechanisms
 * they understand.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11fault_int.h"

#define PF_MAX_TEXT 8192
#define PF_MAX_HANG_MS 600000UL /* ten minutes: longer is a typo */

struct pf_name {
	const char *name;
	unsigned long value;
};

static const char *const pf_func_names[PF_NFUNC] = {
#define PF_NAME(name) #name,
	PF_FUNCTIONS(PF_NAME)
#undef PF_NAME
};

#define PF_N(x)       \
	{             \
#x, x \
	}
static const struct pf_name pf_rvs[] = { PF_N(CKR_OK), PF_N(CKR_CANCEL),
	PF_N(CKR_HOST_MEMORY), PF_N(CKR_SLOT_ID_INVALID),
	PF_N(CKR_GENERAL_ERROR), PF_N(CKR_FUNCTION_FAILED),
	PF_N(CKR_ARGUMENTS_BAD), PF_N(CKR_NO_EVENT),
	PF_N(CKR_NEED_TO_CREATE_THREADS), PF_N(CKR_CANT_LOCK),
	PF_N(CKR_ATTRIBUTE_READ_ONLY), PF_N(CKR_ATTRIBUTE_SENSITIVE),
	PF_N(CKR_ATTRIBUTE_TYPE_INVALID), PF_N(CKR_ATTRIBUTE_VALUE_INVALID),
	PF_N(CKR_ACTION_PROHIBITED), PF_N(CKR_DATA_INVALID),
	PF_N(CKR_DATA_LEN_RANGE), PF_N(CKR_DEVICE_ERROR),
	PF_N(CKR_DEVICE_MEMORY), PF_N(CKR_DEVICE_REMOVED),
	PF_N(CKR_ENCRYPTED_DATA_INVALID), PF_N(CKR_ENCRYPTED_DATA_LEN_RANGE),
	PF_N(CKR_FUNCTION_CANCELED), PF_N(CKR_FUNCTION_NOT_PARALLEL),
	PF_N(CKR_FUNCTION_NOT_SUPPORTED), PF_N(CKR_KEY_HANDLE_INVALID),
	PF_N(CKR_KEY_SIZE_RANGE), PF_N(CKR_KEY_TYPE_INCONSISTENT),
	PF_N(CKR_KEY_NOT_NEEDED), PF_N(CKR_KEY_CHANGED), PF_N(CKR_KEY_NEEDED),
	PF_N(CKR_KEY_INDIGESTIBLE), PF_N(CKR_KEY_FUNCTION_NOT_PERMITTED),
	PF_N(CKR_KEY_NOT_WRAPPABLE), PF_N(CKR_KEY_UNEXTRACTABLE),
	PF_N(CKR_MECHANISM_INVALID), PF_N(CKR_MECHANISM_PARAM_INVALID),
	PF_N(CKR_OBJECT_HANDLE_INVALID), PF_N(CKR_OPERATION_ACTIVE),
	PF_N(CKR_OPERATION_NOT_INITIALIZED), PF_N(CKR_PIN_INCORRECT),
	PF_N(CKR_PIN_INVALID), PF_N(CKR_PIN_LEN_RANGE), PF_N(CKR_PIN_EXPIRED),
	PF_N(CKR_PIN_LOCKED), PF_N(CKR_SESSION_CLOSED), PF_N(CKR_SESSION_COUNT),
	PF_N(CKR_SESSION_HANDLE_INVALID),
	PF_N(CKR_SESSION_PARALLEL_NOT_SUPPORTED), PF_N(CKR_SESSION_READ_ONLY),
	PF_N(CKR_SESSION_EXISTS), PF_N(CKR_SESSION_READ_ONLY_EXISTS),
	PF_N(CKR_SESSION_READ_WRITE_SO_EXISTS), PF_N(CKR_SIGNATURE_INVALID),
	PF_N(CKR_SIGNATURE_LEN_RANGE), PF_N(CKR_TEMPLATE_INCOMPLETE),
	PF_N(CKR_TEMPLATE_INCONSISTENT), PF_N(CKR_TOKEN_NOT_PRESENT),
	PF_N(CKR_TOKEN_NOT_RECOGNIZED), PF_N(CKR_TOKEN_WRITE_PROTECTED),
	PF_N(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	PF_N(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
	PF_N(CKR_USER_ALREADY_LOGGED_IN), PF_N(CKR_USER_NOT_LOGGED_IN),
	PF_N(CKR_USER_PIN_NOT_INITIALIZED), PF_N(CKR_USER_TYPE_INVALID),
	PF_N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), PF_N(CKR_USER_TOO_MANY_TYPES),
	PF_N(CKR_WRAPPED_KEY_INVALID), PF_N(CKR_WRAPPED_KEY_LEN_RANGE),
	PF_N(CKR_WRAPPING_KEY_HANDLE_INVALID),
	PF_N(CKR_WRAPPING_KEY_SIZE_RANGE),
	PF_N(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	PF_N(CKR_RANDOM_SEED_NOT_SUPPORTED), PF_N(CKR_RANDOM_NO_RNG),
	PF_N(CKR_DOMAIN_PARAMS_INVALID), PF_N(CKR_CURVE_NOT_SUPPORTED),
	PF_N(CKR_BUFFER_TOO_SMALL), PF_N(CKR_SAVED_STATE_INVALID),
	PF_N(CKR_INFORMATION_SENSITIVE), PF_N(CKR_STATE_UNSAVEABLE),
	PF_N(CKR_CRYPTOKI_NOT_INITIALIZED),
	PF_N(CKR_CRYPTOKI_ALREADY_INITIALIZED), PF_N(CKR_MUTEX_BAD),
	PF_N(CKR_MUTEX_NOT_LOCKED), PF_N(CKR_NEW_PIN_MODE), PF_N(CKR_NEXT_OTP),
	PF_N(CKR_EXCEEDED_MAX_ITERATIONS), PF_N(CKR_FIPS_SELF_TEST_FAILED),
	PF_N(CKR_LIBRARY_LOAD_FAILED), PF_N(CKR_PIN_TOO_WEAK),
	PF_N(CKR_PUBLIC_KEY_INVALID), PF_N(CKR_FUNCTION_REJECTED),
	PF_N(CKR_VENDOR_DEFINED) };

/* The CK_TOKEN_INFO flags (PKCS#11 2.40 section 3.2). */
static const struct pf_name pf_token_flags[] = { PF_N(CKF_RNG),
	PF_N(CKF_WRITE_PROTECTED), PF_N(CKF_LOGIN_REQUIRED),
	PF_N(CKF_USER_PIN_INITIALIZED), PF_N(CKF_RESTORE_KEY_NOT_NEEDED),
	PF_N(CKF_CLOCK_ON_TOKEN), PF_N(CKF_PROTECTED_AUTHENTICATION_PATH),
	PF_N(CKF_DUAL_CRYPTO_OPERATIONS), PF_N(CKF_TOKEN_INITIALIZED),
	PF_N(CKF_SECONDARY_AUTHENTICATION), PF_N(CKF_USER_PIN_COUNT_LOW),
	PF_N(CKF_USER_PIN_FINAL_TRY), PF_N(CKF_USER_PIN_LOCKED),
	PF_N(CKF_USER_PIN_TO_BE_CHANGED), PF_N(CKF_SO_PIN_COUNT_LOW),
	PF_N(CKF_SO_PIN_FINAL_TRY), PF_N(CKF_SO_PIN_LOCKED),
	PF_N(CKF_SO_PIN_TO_BE_CHANGED) };

/* The mechanisms a CA's tests talk about; any other by 0x hex. */
static const struct pf_name pf_mech_names[] = { PF_N(CKM_RSA_PKCS_KEY_PAIR_GEN),
	PF_N(CKM_RSA_PKCS), PF_N(CKM_RSA_X_509), PF_N(CKM_RSA_PKCS_OAEP),
	PF_N(CKM_RSA_PKCS_PSS), PF_N(CKM_SHA1_RSA_PKCS),
	PF_N(CKM_SHA256_RSA_PKCS), PF_N(CKM_SHA384_RSA_PKCS),
	PF_N(CKM_SHA512_RSA_PKCS), PF_N(CKM_SHA256_RSA_PKCS_PSS),
	PF_N(CKM_SHA384_RSA_PKCS_PSS), PF_N(CKM_SHA512_RSA_PKCS_PSS),
	PF_N(CKM_EC_KEY_PAIR_GEN), PF_N(CKM_ECDSA), PF_N(CKM_ECDSA_SHA1),
	PF_N(CKM_ECDSA_SHA224), PF_N(CKM_ECDSA_SHA256), PF_N(CKM_ECDSA_SHA384),
	PF_N(CKM_ECDSA_SHA512), PF_N(CKM_ECDH1_DERIVE), PF_N(CKM_SHA_1),
	PF_N(CKM_SHA256), PF_N(CKM_SHA384), PF_N(CKM_SHA512),
	PF_N(CKM_GENERIC_SECRET_KEY_GEN), PF_N(CKM_AES_KEY_GEN),
	PF_N(CKM_AES_CBC), PF_N(CKM_AES_GCM) };
#undef PF_N

#define PF_COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *
pf_func_name(enum pf_func fn)
{
	if ((unsigned)fn >= PF_NFUNC)
		return NULL;
	return pf_func_names[fn];
}

const char *
pf_rv_name(CK_RV rv)
{
	size_t i;

	for (i = 0; i < PF_COUNT(pf_rvs); i++)
		if (pf_rvs[i].value == rv)
			return pf_rvs[i].name;
	return NULL;
}

static int
pf_lookup(const struct pf_name *t, size_t n, const char *name,
    unsigned long *value)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			*value = t[i].value;
			return 0;
		}
	}
	return -1;
}

/* A whole string of digits in base 10 (or 16 after "0x"), no sign. */
static int
pf_number(const char *s, int base, unsigned long *out)
{
	char *end = NULL;

	if (!isxdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	return 0;
}

static int
pf_hex(const char *s, unsigned long *out)
{
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	return pf_number(s + 2, 16, out);
}

/* Drop leading and trailing white space in place. */
static char *
pf_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int
pf_flags_parse(const char *text, CK_FLAGS *set, CK_FLAGS *clear, char *err,
    size_t errlen)
{
	char name[128];
	const char *p = text;

	*set = 0;
	*clear = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		snprintf(err, errlen, "no flags given (write +CKF_NAME)");
		return -1;
	}
	while (*p != '\0') {
		unsigned long v;
		int minus = 0;
		size_t n = 0;

		if (*p == '+' || *p == '|' || *p == '-') {
			minus = *p == '-';
			p++;
		}
		while (isspace((unsigned char)*p))
			p++;
		while (*p != '\0' && *p != '+' && *p != '|' && *p != '-' &&
		       !isspace((unsigned char)*p)) {
			if (n + 1 >= sizeof(name)) {
				snprintf(err, errlen, "flag name too long");
				return -1;
			}
			name[n++] = *p++;
		}
		name[n] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (pf_lookup(pf_token_flags, PF_COUNT(pf_token_flags), name,
			&v) != 0 &&
		    pf_hex(name, &v) != 0) {
			snprintf(err, errlen,
			    "unknown token flag '%s' (write a CKF_ name of "
			    "CK_TOKEN_INFO, or 0x hex)",
			    name);
			return -1;
		}
		if (minus)
			*clear |= v;
		else
			*set |= v;
	}
	return 0;
}

static int
pf_which_parse(const char *which, struct pf_rule *r, char *err, size_t errlen)
{
	char buf[64];
	char *dash;
	size_t n = strlen(which);

	if (strcmp(which, "*") == 0) {
		r->first = 1;
		r->last = ULONG_MAX;
		return 0;
	}
	if (n == 0 || n >= sizeof(buf))
		goto bad;
	memcpy(buf, which, n + 1);
	if (buf[n - 1] == '+') {
		buf[n - 1] = '\0';
		if (pf_number(buf, 10, &r->first) != 0)
			goto bad;
		r->last = ULONG_MAX;
	} else if ((dash = strchr(buf, '-')) != NULL) {
		*dash = '\0';
		if (pf_number(buf, 10, &r->first) != 0 ||
		    pf_number(dash + 1, 10, &r->last) != 0)
			goto bad;
	} else {
		if (pf_number(buf, 10, &r->first) != 0)
			goto bad;
		r->last = r->first;
	}
	if (r->first == 0 || r->last < r->first)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
	    "bad call selector '@%s' (write @N, @N+, @N-M or @* with N >= 1)",
	    which);
	return -1;
}

static int
pf_action_parse(const char *action, struct pf_rule *r, char *err, size_t errlen)
{
	unsigned long v;

	if (strcmp(action, "close-sessions") == 0) {
		r->kind = PF_ACT_CLOSE_SESSIONS;
		return 0;
	}
	if (strcmp(action, "remove") == 0) {
		r->kind = PF_ACT_REMOVE;
		return 0;
	}
	if (strcmp(action, "reinsert") == 0) {
		r->kind = PF_ACT_REINSERT;
		return 0;
	}
	if (strncmp(action, "hang:", 5) == 0) {
		if (pf_number(action + 5, 10, &v) != 0 || v > PF_MAX_HANG_MS) {
			snprintf(err, errlen,
			    "bad hang time '%s' (write hang:MS, at most %lu)",
			    action + 5, PF_MAX_HANG_MS);
			return -1;
		}
		r->kind = PF_ACT_HANG;
		r->hang_ms = v;
		return 0;
	}
	if (strncmp(action, "flags:", 6) == 0) {
		if (r->fn != PF_C_GetTokenInfo) {
			snprintf(err, errlen,
			    "flags: only applies to C_GetTokenInfo");
			return -1;
		}
		r->kind = PF_ACT_FLAGS;
		return pf_flags_parse(action + 6, &r->flags_set,
		    &r->flags_clear, err, errlen);
	}
	if (pf_lookup(pf_rvs, PF_COUNT(pf_rvs), action, &v) == 0 ||
	    pf_hex(action, &v) == 0) {
		r->kind = PF_ACT_RV;
		r->rv = v;
		return 0;
	}
	snprintf(err, errlen,
	    "unknown action '%s' (write a CKR_ name, 0x hex, hang:MS, "
	    "close-sessions, remove, reinsert or flags:+CKF_...)",
	    action);
	return -1;
}

static int
pf_rule_parse(char *text, struct pf_rule *r, char *err, size_t errlen)
{
	char *eq, *at, *fn, *which = NULL, *action;
	size_t i;

	memset(r, 0, sizeof(*r));
	if ((eq = strchr(text, '=')) == NULL) {
		snprintf(err, errlen, "no '=' (write FUNCTION[@WHICH]=ACTION)");
		return -1;
	}
	*eq = '\0';
	action = pf_trim(eq + 1);
	if ((at = strchr(text, '@')) != NULL) {
		*at = '\0';
		which = pf_trim(at + 1);
	}
	fn = pf_trim(text);
	for (i = 0; i < PF_NFUNC; i++)
		if (strcmp(pf_func_names[i], fn) == 0)
			break;
	if (i == PF_NFUNC) {
		snprintf(err, errlen,
		    "unknown function '%s' (write a PKCS#11 2.40 name such "
		    "as C_Sign)",
		    fn);
		return -1;
	}
	r->fn = (enum pf_func)i;
	r->first = r->last = 1;
	if (which != NULL && pf_which_parse(which, r, err, errlen) != 0)
		return -1;
	return pf_action_parse(action, r, err, errlen);
}

int
pf_rules_parse(const char *text, struct pf_rules *rules, char *err,
    size_t errlen)
{
	char why[256];
	char *copy = NULL, *cur, *next;
	int r = -1;

	rules->n = 0;
	if (text == NULL)
		return 0;
	if (strlen(text) > PF_MAX_TEXT) {
		snprintf(err, errlen, "rule list longer than %d characters",
		    PF_MAX_TEXT);
		return -1;
	}
	if ((copy = strdup(text)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (cur = copy; cur != NULL; cur = next) {
		char *rule;

		if ((next = strchr(cur, ',')) != NULL)
			*next++ = '\0';
		rule = pf_trim(cur);
		if (*rule == '\0')
			continue;
		if (rules->n == PF_MAX_RULES) {
			snprintf(err, errlen, "more than %d rules",
			    PF_MAX_RULES);
			goto out;
		}
		/* The message quotes the rule, so keep it before parsing. */
		snprintf(err, errlen, "rule '%s'", rule);
		if (pf_rule_parse(rule, &rules->rule[rules->n], why,
			sizeof(why)) != 0) {
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, ": %s", why);
			goto out;
		}
		rules->n++;
	}
	err[0] = '\0';
	r = 0;
out:
	if (r != 0)
		rules->n = 0;
	free(copy);
	return r;
}

/* One change of P11FAULT_MECHANISMS: "-MECH" or "MECH<=BITS". */
static int
pf_mech_parse(char *text, struct pf_mech *m, char *err, size_t errlen)
{
	char *name = text, *le;

	memset(m, 0, sizeof(*m));
	if (*name == '-') {
		m->hidden = 1;
		name = pf_trim(name + 1);
	} else if ((le = strstr(name, "<=")) != NULL) {
		const char *bits = pf_trim(le + 2);

		*le = '\0';
		name = pf_trim(name);
		if (pf_number(bits, 10, &m->max_bits) != 0 ||
		    m->max_bits == 0) {
			snprintf(err, errlen,
			    "bad key size '%s' (write MECH<=BITS with BITS >= "
			    "1)",
			    bits);
			return -1;
		}
	} else {
		snprintf(err, errlen,
		    "no change given (write -MECH to hide it, MECH<=BITS to "
		    "cap its key size)");
		return -1;
	}
	if (pf_lookup(pf_mech_names, PF_COUNT(pf_mech_names), name, &m->type) !=
		0 &&
	    pf_hex(name, &m->type) != 0) {
		snprintf(err, errlen,
		    "unknown mechanism '%s' (write a CKM_ name such as "
		    "CKM_ECDSA, or 0x hex)",
		    name);
		return -1;
	}
	return 0;
}

int
pf_mechs_parse(const char *text, struct pf_mechs *mechs, char *err,
    size_t errlen)
{
	char why[256];
	char *copy = NULL, *cur, *next;
	size_t i;
	int r = -1;

	mechs->n = 0;
	if (text == NULL)
		return 0;
	if (strlen(text) > PF_MAX_TEXT) {
		snprintf(err, errlen, "longer than %d characters", PF_MAX_TEXT);
		return -1;
	}
	if ((copy = strdup(text)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (cur = copy; cur != NULL; cur = next) {
		struct pf_mech *m = &mechs->mech[mechs->n];
		char *change;

		if ((next = strchr(cur, ',')) != NULL)
			*next++ = '\0';
		change = pf_trim(cur);
		if (*change == '\0')
			continue;
		if (mechs->n == PF_MAX_MECHS) {
			snprintf(err, errlen, "more than %d mechanisms",
			    PF_MAX_MECHS);
			goto out;
		}
		snprintf(err, errlen, "'%s'", change);
		if (pf_mech_parse(change, m, why, sizeof(why)) != 0) {
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, ": %s", why);
			goto out;
		}
		/* Two changes to one mechanism: which one did the test mean? */
		for (i = 0; i < mechs->n; i++) {
			if (mechs->mech[i].type == m->type) {
				size_t used = strlen(err);

				snprintf(err + used, errlen - used,
				    ": mechanism changed twice (one change "
				    "per mechanism)");
				goto out;
			}
		}
		mechs->n++;
	}
	err[0] = '\0';
	r = 0;
out:
	if (r != 0)
		mechs->n = 0;
	free(copy);
	return r;
}
