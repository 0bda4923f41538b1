/*
 * libp11fault: a PKCS#11 module that forwards every call to a real one
 * (SoftHSM) and fails the calls a test chooses. This file holds the state:
 * the real module, the rules and their call counters, the call log, and the
 * two extra functions tests reach with dlsym. README.md has the rules.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p11fault.h"
#include "p11fault_int.h"

#define PF_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

CK_FUNCTION_LIST *pf_real;

static pthread_mutex_t pf_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pf_once = PTHREAD_ONCE_INIT;
static int pf_init_result = -1;

/* All below under pf_mutex. */
static struct pf_rules pf_active;
static unsigned long pf_calls[PF_NFUNC]; /* since the rules were set */
static CK_FLAGS pf_env_set, pf_env_clear;
static CK_ULONG pf_env_max_sessions;
static struct pf_mechs pf_env_mechs;
static char pf_log_path[PATH_MAX];

void
pf_lock(void)
{
	(void)pthread_mutex_lock(&pf_mutex);
}

void
pf_unlock(void)
{
	(void)pthread_mutex_unlock(&pf_mutex);
}

/* The test tool's only voice: a misconfigured test should fail loudly. */
static void
pf_complain(const char *what, const char *detail)
{
	fprintf(stderr, "p11fault: %s: %s\n", what, detail);
}

static int
pf_load_module(void)
{
	const char *path = getenv("P11FAULT_MODULE");
	CK_C_GetFunctionList get = NULL;
	void *handle;

	if (path == NULL || *path == '\0')
		path = PF_DEFAULT_MODULE;
	/* RTLD_LOCAL: its C_ symbols must not shadow anyone else's. */
	if ((handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		pf_complain("cannot load the real module (P11FAULT_MODULE)",
		    dlerror());
		return -1;
	}
	*(void **)&get = dlsym(handle, "C_GetFunctionList");
	if (get == NULL) {
		pf_complain(path, "has no C_GetFunctionList; is it a PKCS#11 "
				  "module?");
		dlclose(handle);
		return -1;
	}
	if (get(&pf_real) != CKR_OK || pf_real == NULL) {
		pf_complain(path, "C_GetFunctionList failed");
		pf_real = NULL;
		dlclose(handle);
		return -1;
	}
	/* Never unloaded: a client may call in until the process exits. */
	return 0;
}

/*
 * Read P11FAULT, P11FAULT_TOKEN_FLAGS, P11FAULT_MECHANISMS,
 * P11FAULT_MAX_SESSIONS and P11FAULT_LOG;
 * with pf_mutex.
 */
static int
pf_read_env_locked(void)
{
	const char *rules = getenv("P11FAULT");
	const char *flags = getenv("P11FAULT_TOKEN_FLAGS");
	const char *mechs = getenv("P11FAULT_MECHANISMS");
	const char *log = getenv("P11FAULT_LOG");
	const char *sessions = getenv("P11FAULT_MAX_SESSIONS");
	char err[512], *end = NULL;
	unsigned long n;
	int r = 0;

	memset(pf_calls, 0, sizeof(pf_calls));
	if (pf_rules_parse(rules, &pf_active, err, sizeof(err)) != 0) {
		pf_complain("P11FAULT", err);
		r = -1;
	}
	pf_env_set = pf_env_clear = 0;
	if (flags != NULL && *flags != '\0' &&
	    pf_flags_parse(flags, &pf_env_set, &pf_env_clear, err,
		sizeof(err)) != 0) {
		pf_complain("P11FAULT_TOKEN_FLAGS", err);
		/* None of a bad list, not the part before the typo. */
		pf_env_set = pf_env_clear = 0;
		r = -1;
	}
	if (pf_mechs_parse(mechs, &pf_env_mechs, err, sizeof(err)) != 0) {
		pf_complain("P11FAULT_MECHANISMS", err);
		r = -1;
	}
	pf_env_max_sessions = 0;
	if (sessions != NULL && *sessions != '\0') {
		n = strtoul(sessions, &end, 10);
		if (*end != '\0' || n == 0 || n > 1000000) {
			pf_complain("P11FAULT_MAX_SESSIONS",
			    "a number of sessions, 1 to 1000000");
			r = -1;
		} else {
			pf_env_max_sessions = n;
		}
	}
	pf_log_path[0] = '\0';
	if (log != NULL && strlen(log) >= sizeof(pf_log_path)) {
		pf_complain("P11FAULT_LOG", "path too long");
		r = -1;
	} else if (log != NULL) {
		memcpy(pf_log_path, log, strlen(log) + 1);
	}
	return r;
}

static void
pf_init_once(void)
{
	int env;

	pf_lock();
	env = pf_read_env_locked();
	pf_unlock();
	pf_init_result = (pf_load_module() == 0 && env == 0) ? 0 : -1;
}

int
pf_init(void)
{
	(void)pthread_once(&pf_once, pf_init_once);
	return pf_init_result;
}

void
pf_call_init(struct pf_call *c, enum pf_func fn, enum pf_target target,
    CK_ULONG handle)
{
	memset(c, 0, sizeof(*c));
	c->fn = fn;
	c->target = target;
	c->handle = handle;
}

const struct pf_mech *
pf_mechs_find(const struct pf_mechs *mechs, CK_MECHANISM_TYPE type)
{
	size_t i;

	for (i = 0; i < mechs->n; i++)
		if (mechs->mech[i].type == type)
			return &mechs->mech[i];
	return NULL;
}

void
pf_mechs_get(struct pf_mechs *out)
{
	pf_lock();
	*out = pf_env_mechs;
	pf_unlock();
}

static void
pf_sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/* Where the call points: its real slot, and whether the token is out. */
static CK_RV
pf_resolve_locked(struct pf_call *c)
{
	int dead = 0;

	c->slot_removed = 0;
	switch (c->target) {
	case PF_TARGET_SLOT:
		c->have_slot = 1;
		switch (pf_slot_resolve_locked(c->handle, &c->real_slot)) {
		case PF_SLOT_RETIRED:
			return CKR_SLOT_ID_INVALID;
		case PF_SLOT_REMOVED:
			c->slot_removed = 1;
			/* Only C_GetSlotInfo works on an empty slot. */
			return c->fn == PF_C_GetSlotInfo
				   ? CKR_OK
				   : CKR_TOKEN_NOT_PRESENT;
		default:
			return CKR_OK;
		}
	case PF_TARGET_SESSION:
		c->have_slot =
		    pf_session_find_locked(c->handle, &c->real_slot, &dead);
		return dead ? CKR_DEVICE_REMOVED : CKR_OK;
	default:
		return CKR_OK;
	}
}

static void
pf_apply(struct pf_call *c, const struct pf_rule *r)
{
	int all = !c->have_slot;

	switch (r->kind) {
	case PF_ACT_HANG:
		pf_sleep_ms(r->hang_ms);
		break;
	case PF_ACT_CLOSE_SESSIONS:
		pf_slots_close_sessions(all, c->real_slot);
		break;
	case PF_ACT_REMOVE:
		pf_slots_remove(all, c->real_slot);
		break;
	case PF_ACT_REINSERT:
		pf_slots_reinsert(all, c->real_slot);
		break;
	case PF_ACT_FLAGS:
		c->flags_set = (c->flags_set & ~r->flags_clear) | r->flags_set;
		c->flags_clear =
		    (c->flags_clear & ~r->flags_set) | r->flags_clear;
		break;
	default:
		break;
	}
}

int
pf_enter(struct pf_call *c, CK_RV *rv)
{
	struct pf_rule matched[PF_MAX_RULES];
	size_t n = 0, i;
	unsigned long nth;

	if (pf_init() != 0 && pf_real == NULL) {
		*rv = CKR_GENERAL_ERROR;
		c->injected = 1;
		return 0;
	}
	pf_lock();
	nth = ++pf_calls[c->fn];
	for (i = 0; i < pf_active.n; i++) {
		const struct pf_rule *r = &pf_active.rule[i];

		if (r->fn == c->fn && nth >= r->first && nth <= r->last)
			matched[n++] = *r;
	}
	c->flags_set = pf_env_set;
	c->flags_clear = pf_env_clear;
	c->max_sessions = pf_env_max_sessions;
	(void)pf_resolve_locked(c);
	pf_unlock();

	/*
	 * Rules run in the order written; the first that returns a CK_RV
	 * ends the call. The rest act (outside the lock: hang must not stop
	 * other threads) and let the call go on.
	 */
	for (i = 0; i < n; i++) {
		if (matched[i].kind == PF_ACT_RV) {
			*rv = matched[i].rv;
			c->injected = 1;
			return 0;
		}
		pf_apply(c, &matched[i]);
	}
	/* An action may have pulled the token out: look again. */
	pf_lock();
	*rv = pf_resolve_locked(c);
	pf_unlock();
	if (*rv != CKR_OK) {
		c->injected = 1;
		return 0;
	}
	return 1;
}

CK_RV
pf_leave(const struct pf_call *c, CK_RV rv)
{
	char line[256], rvbuf[32];
	const char *rvname = pf_rv_name(rv);
	int len, fd;

	if (rvname == NULL) {
		snprintf(rvbuf, sizeof(rvbuf), "0x%lx", (unsigned long)rv);
		rvname = rvbuf;
	}
	switch (c->target) {
	case PF_TARGET_SLOT:
		len = snprintf(line, sizeof(line), "%s slot=%lu %s%s\n",
		    pf_func_name(c->fn), (unsigned long)c->handle, rvname,
		    c->injected ? " injected" : "");
		break;
	case PF_TARGET_SESSION:
		len = snprintf(line, sizeof(line), "%s session=%lu %s%s\n",
		    pf_func_name(c->fn), (unsigned long)c->handle, rvname,
		    c->injected ? " injected" : "");
		break;
	default:
		len = snprintf(line, sizeof(line), "%s - %s%s\n",
		    pf_func_name(c->fn), rvname,
		    c->injected ? " injected" : "");
		break;
	}
	pf_lock();
	/* Opened per line so a test may truncate or remove the log. */
	if (pf_log_path[0] != '\0' && len > 0 &&
	    (fd = open(pf_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		 0600)) != -1) {
		if (write(fd, line, (size_t)len) != len)
			pf_complain(pf_log_path, "short write to the call log");
		close(fd);
	}
	pf_unlock();
	return rv;
}

PF_EXPORT int
p11fault_set_rules(const char *rules)
{
	struct pf_rules parsed;
	char err[512];

	(void)pf_init();
	if (pf_rules_parse(rules, &parsed, err, sizeof(err)) != 0) {
		pf_complain("p11fault_set_rules", err);
		return -1;
	}
	pf_lock();
	pf_active = parsed;
	memset(pf_calls, 0, sizeof(pf_calls));
	pf_unlock();
	return 0;
}

PF_EXPORT int
p11fault_reset(void)
{
	int r;

	(void)pf_init();
	pf_lock();
	r = pf_read_env_locked();
	pf_slots_reset_locked();
	pf_unlock();
	return r;
}
