/*
 * PKCS#11 modules: loading, C_Initialize/C_Finalize counted per module path
 * so that any number of tokens on one module can be open at once, and
 * finding the one token a URI names.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "token/token_int.h"

/*
 * Every module this process has loaded. Modules stay mapped once loaded:
 * some register atexit handlers or thread-local destructors that would
 * run in unmapped code after dlclose.
 */
static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct token_module *modules;

void
token_field_copy(char *dst, size_t dstlen, const unsigned char *src,
    size_t srclen)
{
	size_t n = srclen;

	/* PKCS#11 text fields are blank padded, not NUL-terminated. */
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
module_load(struct token_module *mod)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR) = NULL;
	CK_FUNCTION_LIST_PTR fl = NULL;
	const char *err;
	struct stat st;
	CK_RV rv;

	if (stat(mod->path, &st) == -1)
		return signet_error_sys(SIGNET_ERR_MODULE,
		    "cannot use PKCS#11 module %s (check --module or the "
		    "URI's module-path)",
		    mod->path);
	if (!S_ISREG(st.st_mode))
		return signet_error_set(SIGNET_ERR_MODULE,
		    "PKCS#11 module %s is not a regular file", mod->path);
	dlerror();
	if ((mod->dl = dlopen(mod->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		return signet_error_set(SIGNET_ERR_MODULE,
		    "cannot load PKCS#11 module %s: %s", mod->path,
		    err != NULL ? err : "dlopen failed");
	}
	*(void **)&get_list = dlsym(mod->dl, "C_GetFunctionList");
	if (get_list == NULL)
		return signet_error_set(SIGNET_ERR_MODULE,
		    "%s is not a PKCS#11 module: it has no C_GetFunctionList",
		    mod->path);
	rv = get_list(&fl);
	if (token_rv_class(rv) != TOKEN_RV_OK || fl == NULL)
		return token_error_ckr(SIGNET_ERR_MODULE, rv,
		    "PKCS#11 module %s: C_GetFunctionList failed", mod->path);
	/* 3.x lists begin with the 2.x functions, which is all signet uses. */
	if (fl->version.major < 2)
		return signet_error_set(SIGNET_ERR_MODULE,
		    "PKCS#11 module %s implements Cryptoki %u.%u; signet "
		    "needs 2.20 or later",
		    mod->path, fl->version.major, fl->version.minor);
	mod->fl = fl;
	return 0;
}

/*
 * The cross-process lock. SoftHSM keeps a token's flags and PIN counters in
 * one file (token.object) and rewrites it in place on every C_Login; a
 * process reading it at that moment -- C_Initialize scanning the tokens, or
 * C_GetTokenInfo -- finds the token missing or fails with
 * CKR_GENERAL_ERROR. SoftHSM's own fcntl locks do not prevent it. signet
 * therefore takes an flock on the module file itself around those calls:
 * the same file for every process that loads the module, whichever token
 * it wants (C_Initialize reads them all), and no new file to create or
 * trust. Signing, finding objects and logging out do not race (docs/hsm.md)
 * and run unlocked. A process that holds the lock longer than
 * MODULE_LOCK_WAIT_MS makes the others fail rather than hang.
 */
#define MODULE_LOCK_WAIT_MS 120000
#define MODULE_LOCK_POLL_MS 10

int
token_module_lock(struct token_module *mod)
{
	const struct timespec poll = { 0, MODULE_LOCK_POLL_MS * 1000000L };
	unsigned long waited = 0;
	int fd;

	pthread_mutex_lock(&mod->lock_mutex);
	if (mod->lock_depth > 0) {
		mod->lock_depth++;
		return 0;
	}
	if ((fd = open(mod->path, O_RDONLY | O_CLOEXEC)) == -1) {
		pthread_mutex_unlock(&mod->lock_mutex);
		return signet_error_sys(SIGNET_ERR_MODULE,
		    "cannot open PKCS#11 module %s to lock it", mod->path);
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= MODULE_LOCK_WAIT_MS) {
			int e = errno;

			close(fd);
			pthread_mutex_unlock(&mod->lock_mutex);
			errno = e;
			if (e == EWOULDBLOCK)
				return signet_error_set(SIGNET_ERR_TOKEN,
				    "another process has held the lock on "
				    "PKCS#11 module %s for %d seconds; find it "
				    "with 'fuser %s'",
				    mod->path, MODULE_LOCK_WAIT_MS / 1000,
				    mod->path);
			return signet_error_sys(SIGNET_ERR_MODULE,
			    "cannot lock PKCS#11 module %s", mod->path);
		}
		nanosleep(&poll, NULL);
		waited += MODULE_LOCK_POLL_MS;
	}
	mod->lock_fd = fd;
	mod->lock_depth = 1;
	return 0;
}

void
token_module_unlock(struct token_module *mod)
{
	if (--mod->lock_depth == 0) {
		close(mod->lock_fd); /* releases the flock */
		mod->lock_fd = -1;
	}
	pthread_mutex_unlock(&mod->lock_mutex);
}

/*
 * C_GetTokenInfo only reads: asking again is safe. A module that failed
 * inside (SoftHSM reading a token file another program is rewriting) gets
 * two more tries, 20 ms apart.
 */
CK_RV
token_info_read(struct token_module *mod, CK_SLOT_ID slot, CK_TOKEN_INFO *ti)
{
	const struct timespec pause = { 0, 20 * 1000000L };
	CK_RV rv;
	int tries;

	for (tries = 1;; tries++) {
		rv = mod->fl->C_GetTokenInfo(slot, ti);
		if (token_rv_class(rv) != TOKEN_RV_FAILED || tries == 3)
			return rv;
		nanosleep(&pause, NULL);
	}
}

static int
module_init(struct token_module *mod)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	/* The module may use its own threads and the OS's locks. */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if (token_module_lock(mod) != 0)
		return SIGNET_ERR_MODULE;
	rv = mod->fl->C_Initialize(&args);
	token_module_unlock(mod);
	/*
	 * A module built on OpenSSL (SoftHSM) may leave its own failures in
	 * this thread's error queue (an engine it could not load); left
	 * there, they would be reported as the cause of our next failure.
	 */
	ERR_clear_error();
	switch (token_rv_class(rv)) {
	case TOKEN_RV_OK:
		mod->owns_init = 1;
		break;
	case TOKEN_RV_ALREADY_INITIALIZED:
		/*
		 * Initialised by other code in this process: usable, and
		 * not ours to finalize.
		 */
		mod->owns_init = 0;
		break;
	default:
		return token_error_ckr(SIGNET_ERR_MODULE, rv,
		    "PKCS#11 module %s: C_Initialize failed", mod->path);
	}
	mod->pid = getpid();
	return 0;
}

/* Recursive: a locked caller may call another function that locks. */
static int
module_lock_init(struct token_module *mod)
{
	pthread_mutexattr_t attr;
	int e;

	if (pthread_mutexattr_init(&attr) != 0)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise a lock");
	e = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	if (e == 0)
		e = pthread_mutex_init(&mod->lock_mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	if (e != 0)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise a lock");
	mod->lock_init = 1;
	return 0;
}

int
token_module_get(const char *path, struct token_module **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct token_module *mod = NULL, *fresh = NULL;
	char resolved[PATH_MAX];

	*out = NULL;
	if (path == NULL || *path == '\0')
		path = SIGNET_DEFAULT_MODULE;
	/* One entry per file, however it is spelt. */
	if (realpath(path, resolved) != NULL)
		path = resolved;
	pthread_mutex_lock(&modules_lock);
	for (mod = modules; mod != NULL; mod = mod->next)
		if (strcmp(mod->path, path) == 0)
			break;
	if (mod == NULL) {
		if ((fresh = calloc(1, sizeof(*fresh))) == NULL ||
		    (fresh->path = strdup(path)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		fresh->lock_fd = -1;
		if ((r = module_lock_init(fresh)) != 0)
			goto out;
		if ((r = module_load(fresh)) != 0)
			goto out;
		fresh->next = modules;
		modules = fresh;
		mod = fresh;
		fresh = NULL;
	}
	if (mod->refs > 0 && mod->pid != getpid()) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "PKCS#11 module %s was initialised before this process "
		    "forked; close every token before fork() and open them "
		    "in the child",
		    mod->path);
		goto out;
	}
	if (mod->refs == 0 && (r = module_init(mod)) != 0)
		goto out;
	mod->refs++;
	*out = mod;
	r = 0;
out:
	pthread_mutex_unlock(&modules_lock);
	if (fresh != NULL) {
		/* A file that is no PKCS#11 module is not kept mapped. */
		if (fresh->dl != NULL)
			dlclose(fresh->dl);
		if (fresh->lock_init)
			pthread_mutex_destroy(&fresh->lock_mutex);
		free(fresh->path);
		free(fresh);
	}
	return r;
}

void
token_module_put(struct token_module *mod)
{
	if (mod == NULL)
		return;
	pthread_mutex_lock(&modules_lock);
	if (mod->refs > 0 && --mod->refs == 0 && mod->owns_init &&
	    mod->pid == getpid()) {
		(void)mod->fl->C_Finalize(NULL);
		mod->owns_init = 0;
	}
	pthread_mutex_unlock(&modules_lock);
}

/* Slots with a token present, freshly asked for (tokens come and go). */
static int
slot_list(struct token_module *mod, int present, CK_SLOT_ID **out, CK_ULONG *n)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG count = 0;
	int tries;

	*out = NULL;
	*n = 0;
	/* The list may grow between the two calls: ask again. */
	for (tries = 0; tries < 4; tries++) {
		CK_RV rv;

		TOKEN_CHECK(mod->fl->C_GetSlotList(present ? CK_TRUE : CK_FALSE,
				NULL, &count),
		    "PKCS#11 module %s: cannot list slots", mod->path);
		free(slots);
		if ((slots = calloc(count + 1, sizeof(*slots))) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		rv = mod->fl->C_GetSlotList(present ? CK_TRUE : CK_FALSE, slots,
		    &count);
		if (token_rv_class(rv) == TOKEN_RV_BUFFER_TOO_SMALL)
			continue;
		TOKEN_CHECK(rv, "PKCS#11 module %s: cannot list slots",
		    mod->path);
		*out = slots;
		*n = count;
		slots = NULL;
		r = 0;
		goto out;
	}
	r = signet_error_set(SIGNET_ERR_TOKEN,
	    "PKCS#11 module %s: the slot list keeps changing", mod->path);
out:
	free(slots);
	return r;
}

static int
field_match(const char *want, const unsigned char *field, size_t len)
{
	char have[80];

	if (want == NULL)
		return 1;
	token_field_copy(have, sizeof(have), field, len);
	return strcmp(want, have) == 0;
}

static int
slot_matches(const struct token_match *m, CK_SLOT_ID slot,
    const CK_SLOT_INFO *si, const CK_TOKEN_INFO *ti)
{
	return (!m->has_slot_id || m->slot_id == slot) &&
	       field_match(m->slot_description, si->slotDescription,
		   sizeof(si->slotDescription)) &&
	       field_match(m->slot_manufacturer, si->manufacturerID,
		   sizeof(si->manufacturerID)) &&
	       field_match(m->label, ti->label, sizeof(ti->label)) &&
	       field_match(m->manufacturer, ti->manufacturerID,
		   sizeof(ti->manufacturerID)) &&
	       field_match(m->serial, ti->serialNumber,
		   sizeof(ti->serialNumber)) &&
	       field_match(m->model, ti->model, sizeof(ti->model));
}

/* Append "'label' (serial S, slot N)" to a list for messages. */
static void
describe_append(char *buf, size_t len, CK_SLOT_ID slot, const CK_TOKEN_INFO *ti)
{
	char label[33], serial[17];
	size_t used = strlen(buf);

	token_field_copy(label, sizeof(label), ti->label, sizeof(ti->label));
	token_field_copy(serial, sizeof(serial), ti->serialNumber,
	    sizeof(ti->serialNumber));
	snprintf(buf + used, len - used, "%s'%s' (serial %s, slot %lu)",
	    used > 0 ? ", " : "", label, serial, (unsigned long)slot);
}

int
token_slot_find(struct token_module *mod, const struct token_match *m,
    const char *describe, CK_SLOT_ID *slot, CK_TOKEN_INFO *info)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	char found[512] = "", all[512] = "";
	size_t matches = 0;
	int locked = 0;

	if ((r = token_module_lock(mod)) != 0)
		goto out;
	locked = 1;
	if ((r = slot_list(mod, 1, &slots, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		CK_RV rv = mod->fl->C_GetSlotInfo(slots[i], &si);

		if (token_rv_class(rv) != TOKEN_RV_OK)
			continue;
		/* A token pulled out between the two calls is not there. */
		rv = token_info_read(mod, slots[i], &ti);
		if (token_rv_class(rv) != TOKEN_RV_OK)
			continue;
		/* Uninitialised tokens (SoftHSM's free slot) hold no keys. */
		if (!(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		describe_append(all, sizeof(all), slots[i], &ti);
		if (!slot_matches(m, slots[i], &si, &ti))
			continue;
		describe_append(found, sizeof(found), slots[i], &ti);
		if (matches++ == 0) {
			*slot = slots[i];
			*info = ti;
		}
	}
	if (matches == 0) {
		r = signet_error_set(SIGNET_ERR_TOKEN_NOT_FOUND,
		    "no token matches %s in PKCS#11 module %s; tokens there: "
		    "%s",
		    describe, mod->path, all[0] != '\0' ? all : "none");
		goto out;
	}
	if (matches > 1) {
		r = signet_error_set(SIGNET_ERR_URI,
		    "%zu tokens match %s: %s; add serial=... to the URI to "
		    "choose one",
		    matches, describe, found);
		goto out;
	}
	r = 0;
out:
	if (locked)
		token_module_unlock(mod);
	free(slots);
	return r;
}

int
token_library_match(struct token_module *mod, const struct signet_p11_uri *uri)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_INFO info;
	char version[16], major[8];

	if (uri->library_manufacturer == NULL &&
	    uri->library_description == NULL && uri->library_version == NULL)
		return 0;
	TOKEN_CHECK(mod->fl->C_GetInfo(&info),
	    "PKCS#11 module %s: C_GetInfo failed", mod->path);
	snprintf(version, sizeof(version), "%u.%u", info.libraryVersion.major,
	    info.libraryVersion.minor);
	snprintf(major, sizeof(major), "%u", info.libraryVersion.major);
	if (!field_match(uri->library_manufacturer, info.manufacturerID,
		sizeof(info.manufacturerID)) ||
	    !field_match(uri->library_description, info.libraryDescription,
		sizeof(info.libraryDescription)) ||
	    (uri->library_version != NULL &&
		strcmp(uri->library_version,
		    strchr(uri->library_version, '.') != NULL ? version
							      : major) != 0)) {
		char manuf[33], desc[33];

		token_field_copy(manuf, sizeof(manuf), info.manufacturerID,
		    sizeof(info.manufacturerID));
		token_field_copy(desc, sizeof(desc), info.libraryDescription,
		    sizeof(info.libraryDescription));
		r = signet_error_set(SIGNET_ERR_TOKEN_NOT_FOUND,
		    "PKCS#11 module %s is '%s' by '%s', version %s, which "
		    "the URI's library-* attributes do not match",
		    mod->path, desc, manuf, version);
		goto out;
	}
	r = 0;
out:
	return r;
}

int
token_info_fill(struct token_module *mod, CK_SLOT_ID slot,
    struct signet_token_info *out)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	int locked = 0;

	memset(out, 0, sizeof(*out));
	out->slot_id = slot;
	if ((r = token_module_lock(mod)) != 0)
		goto out;
	locked = 1;
	TOKEN_CHECK(mod->fl->C_GetSlotInfo(slot, &si),
	    "PKCS#11 module %s: cannot read slot %lu", mod->path,
	    (unsigned long)slot);
	token_field_copy(out->slot_description, sizeof(out->slot_description),
	    si.slotDescription, sizeof(si.slotDescription));
	token_field_copy(out->slot_manufacturer, sizeof(out->slot_manufacturer),
	    si.manufacturerID, sizeof(si.manufacturerID));
	out->token_present = (si.flags & CKF_TOKEN_PRESENT) != 0;
	if (!out->token_present) {
		r = 0;
		goto out;
	}
	TOKEN_CHECK(token_info_read(mod, slot, &ti),
	    "PKCS#11 module %s: cannot read the token in slot %lu", mod->path,
	    (unsigned long)slot);
	token_field_copy(out->label, sizeof(out->label), ti.label,
	    sizeof(ti.label));
	token_field_copy(out->manufacturer, sizeof(out->manufacturer),
	    ti.manufacturerID, sizeof(ti.manufacturerID));
	token_field_copy(out->model, sizeof(out->model), ti.model,
	    sizeof(ti.model));
	token_field_copy(out->serial, sizeof(out->serial), ti.serialNumber,
	    sizeof(ti.serialNumber));
	out->initialized = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
	out->login_required = (ti.flags & CKF_LOGIN_REQUIRED) != 0;
	out->user_pin_initialized = (ti.flags & CKF_USER_PIN_INITIALIZED) != 0;
	out->pin_locked = (ti.flags & CKF_USER_PIN_LOCKED) != 0;
	out->pin_final_try = (ti.flags & CKF_USER_PIN_FINAL_TRY) != 0;
	out->pin_count_low = (ti.flags & CKF_USER_PIN_COUNT_LOW) != 0;
	r = 0;
out:
	if (locked)
		token_module_unlock(mod);
	return r;
}

int
signet_token_list(const char *module_path, signet_token_list_cb cb, void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	struct token_module *mod = NULL;
	struct signet_token_info info;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;

	if ((r = token_module_get(module_path, &mod)) != 0)
		goto out;
	if ((r = slot_list(mod, 0, &slots, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = token_info_fill(mod, slots[i], &info)) != 0)
			goto out;
		if ((r = cb(arg, &info)) != 0)
			goto out;
	}
	r = 0;
out:
	free(slots);
	token_module_put(mod);
	return r;
}
