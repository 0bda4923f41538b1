/*
 * Opening a token: PIN, login, the session pool and recovery from lost
 * sessions.
 *
 * Login state in PKCS#11 belongs to the application and the token, not to a
 * session: one C_Login serves every session of the process on that token,
 * and lasts until its last session closes. So the pool keeps its sessions
 * open, logs in once, and after losing its sessions (token pulled out, HSM
 * restarted, network partition) logs in once more with the PIN it kept --
 * but never again after a login failed: a wrong PIN retried automatically
 * would lock the token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "token/token_int.h"

#define TOKEN_DEFAULT_SESSIONS 8
#define TOKEN_MAX_SESSIONS 256

int
token_check_pid(const struct signet_token *tok)
{
	if (tok->pid == getpid())
		return 0;
	return signet_error_set(SIGNET_ERR_TOKEN,
	    "token '%s' was opened before this process forked; PKCS#11 "
	    "modules do not survive fork(): open the token in the child",
	    tok->label);
}

/* Copy the identity of a token from its info. */
static void
token_identity_set(struct signet_token *tok, const CK_TOKEN_INFO *ti)
{
	token_field_copy(tok->label, sizeof(tok->label), ti->label,
	    sizeof(ti->label));
	token_field_copy(tok->manufacturer, sizeof(tok->manufacturer),
	    ti->manufacturerID, sizeof(ti->manufacturerID));
	token_field_copy(tok->model, sizeof(tok->model), ti->model,
	    sizeof(ti->model));
	token_field_copy(tok->serial, sizeof(tok->serial), ti->serialNumber,
	    sizeof(ti->serialNumber));
}

/*
 * The PIN flags a login must respect. interactive: the PIN was typed by a
 * person now, who may spend the token's final try.
 */
static int
token_pin_flags_check(const struct signet_token *tok, CK_FLAGS flags,
    int interactive)
{
	if (flags & CKF_USER_PIN_LOCKED)
		return signet_error_set(SIGNET_ERR_PIN_LOCKED,
		    "the user PIN of token '%s' (serial %s) is locked; the "
		    "token's security officer must unlock or reset it before "
		    "signet can log in",
		    tok->label, tok->serial);
	if ((flags & CKF_USER_PIN_FINAL_TRY) && !interactive)
		return signet_error_set(SIGNET_ERR_PIN_LOCKED,
		    "token '%s' (serial %s) allows only one more PIN attempt "
		    "before locking; signet will not spend it with a PIN from "
		    "a file, the environment or a lost session's login, "
		    "because a wrong one would lock the token: log in once "
		    "at an interactive prompt, or have the security officer "
		    "reset the PIN",
		    tok->label, tok->serial);
	return 0;
}

static int
token_flags_get(struct signet_token *tok, CK_FLAGS *flags)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_TOKEN_INFO ti;

	TOKEN_CHECK(token_info_read(tok->mod, tok->slot, &ti),
	    "cannot read the state of token '%s'", tok->label);
	*flags = ti.flags;
	r = 0;
out:
	return r;
}

/*
 * One C_Login, never repeated: any failure marks the token so that nothing
 * in signet tries the PIN again while it is open. Under the module's lock:
 * SoftHSM rewrites the token's file on login.
 */
static int
token_login(struct signet_token *tok, CK_SESSION_HANDLE s, int interactive)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_FLAGS flags = 0;
	const char *pin;
	size_t pin_len = 0;
	CK_RV rv;
	int locked = 0;

	if (tok->login_failed) {
		r = signet_error_set(SIGNET_ERR_PIN_INCORRECT,
		    "an earlier login to token '%s' failed; signet does not "
		    "try a PIN twice: check the PIN and restart",
		    tok->label);
		goto out;
	}
	if ((r = token_module_lock(tok->mod)) != 0)
		goto out;
	locked = 1;
	if ((r = token_flags_get(tok, &flags)) != 0)
		goto out;
	if ((r = token_pin_flags_check(tok, flags, interactive)) != 0)
		goto out;
	pin = secret_get0(tok->pin, &pin_len);
	rv = tok->fl->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin_len);
	switch (token_rv_class(rv)) {
	case TOKEN_RV_OK:
	case TOKEN_RV_ALREADY_LOGGED_IN:
		break;
	default:
		tok->login_failed = 1;
		r = token_error_ckr(0, rv,
		    "logging in to token '%s' (serial %s)", tok->label,
		    tok->serial);
		goto out;
	}
	r = 0;
out:
	if (locked)
		token_module_unlock(tok->mod);
	return r;
}

/* Open one pool session; caller holds pool_lock. */
static CK_RV
pool_session_open_rv(struct signet_token *tok, CK_SESSION_HANDLE *out)
{
	CK_RV rv;

	/* Read-only: signing needs no more, and some tokens ration R/W. */
	rv = tok->fl->C_OpenSession(tok->slot, CKF_SERIAL_SESSION, NULL, NULL,
	    out);
	if (token_rv_class(rv) == TOKEN_RV_OK)
		tok->n_open++;
	return rv;
}

static int
pool_session_open(struct signet_token *tok, CK_SESSION_HANDLE *out, int *lost)
{
	CK_RV rv = pool_session_open_rv(tok, out);

	if (token_rv_class(rv) == TOKEN_RV_OK)
		return 0;
	if (token_rv_class(rv) == TOKEN_RV_LOST)
		*lost = 1;
	return token_error_ckr(0, rv, "cannot open a session on token '%s'",
	    tok->label);
}

/*
 * Take a session from the pool, opening one if fewer than cap are open,
 * else waiting for one. Caller holds gen_lock shared.
 */
static int
pool_session_get(struct signet_token *tok, CK_SESSION_HANDLE *out, int *lost)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_RV rv;

	pthread_mutex_lock(&tok->pool_lock);
	for (;;) {
		if (tok->broken) {
			*lost = 1;
			r = signet_error_set(SIGNET_ERR_TOKEN,
			    "token '%s' (serial %s) lost its sessions and has "
			    "not been recovered yet",
			    tok->label, tok->serial);
			goto out;
		}
		if (tok->n_idle > 0) {
			*out = tok->idle[--tok->n_idle];
			r = 0;
			goto out;
		}
		if (tok->n_open < tok->cap) {
			rv = pool_session_open_rv(tok, out);
			/*
			 * The token has fewer sessions than we hoped for
			 * (YubiHSM 2: 16 for everyone): make do with ours.
			 */
			if (token_rv_class(rv) == TOKEN_RV_SESSION_COUNT &&
			    tok->n_open > 0) {
				tok->cap = tok->n_open;
				continue;
			}
			if (token_rv_class(rv) == TOKEN_RV_LOST)
				*lost = 1;
			if (token_rv_class(rv) != TOKEN_RV_OK)
				r = token_error_ckr(0, rv,
				    "cannot open a session on token '%s'",
				    tok->label);
			else
				r = 0;
			goto out;
		}
		pthread_cond_wait(&tok->pool_cond, &tok->pool_lock);
	}
out:
	pthread_mutex_unlock(&tok->pool_lock);
	return r;
}

static void
pool_session_put(struct signet_token *tok, CK_SESSION_HANDLE s)
{
	pthread_mutex_lock(&tok->pool_lock);
	/* idle[] has room for every session the pool may open. */
	if (tok->n_idle < tok->max_sessions)
		tok->idle[tok->n_idle++] = s;
	pthread_cond_signal(&tok->pool_cond);
	pthread_mutex_unlock(&tok->pool_lock);
}

/* Close every pool session; caller holds gen_lock exclusively. */
static void
pool_drop(struct signet_token *tok)
{
	size_t i;

	pthread_mutex_lock(&tok->pool_lock);
	/*
	 * Only our own sessions: C_CloseAllSessions would also close those
	 * of another signet_token open on the same token.
	 */
	for (i = 0; i < tok->n_idle; i++)
		(void)tok->fl->C_CloseSession(tok->idle[i]);
	tok->n_idle = 0;
	tok->n_open = 0;
	tok->cap = tok->max_sessions;
	pthread_cond_broadcast(&tok->pool_cond);
	pthread_mutex_unlock(&tok->pool_lock);
}

/*
 * Recover from a lost session seen in generation gen. Caller holds no lock.
 * Only the first thread to see a loss recovers; the others find the
 * generation moved on and simply retry.
 */
static int
token_recover(struct signet_token *tok, unsigned long gen)
{
	int r = SIGNET_ERR_INTERNAL;
	struct token_match m;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	char describe[128];
	int lost = 0;

	pthread_rwlock_wrlock(&tok->gen_lock);
	if (tok->generation != gen) {
		r = 0;
		goto out;
	}
	pool_drop(tok);
	pthread_mutex_lock(&tok->pool_lock);
	tok->broken = 1;
	pthread_mutex_unlock(&tok->pool_lock);
	tok->generation++;
	if (tok->login_failed) {
		r = signet_error_set(SIGNET_ERR_PIN_INCORRECT,
		    "token '%s' lost its session, and an earlier login "
		    "failed; signet does not try a PIN twice: check the PIN "
		    "and restart",
		    tok->label);
		goto out;
	}
	/* Slot ids may change when a token is re-inserted: find it again. */
	memset(&m, 0, sizeof(m));
	m.serial = tok->serial;
	m.manufacturer = tok->manufacturer;
	m.model = tok->model;
	snprintf(describe, sizeof(describe), "serial %s (token '%s')",
	    tok->serial, tok->label);
	if ((r = token_slot_find(tok->mod, &m, describe, &slot, &ti)) != 0) {
		signet_error_context(r,
		    "token '%s' lost its session and is not back yet",
		    tok->label);
		goto out;
	}
	pthread_mutex_lock(&tok->pool_lock);
	tok->slot = slot;
	r = pool_session_open(tok, &s, &lost);
	pthread_mutex_unlock(&tok->pool_lock);
	if (r != 0)
		goto out;
	if (tok->login_required) {
		if ((r = token_login(tok, s, 0)) != 0) {
			signet_error_context(r,
			    "logging in again after a lost session");
			goto out;
		}
	}
	pthread_mutex_lock(&tok->pool_lock);
	tok->idle[tok->n_idle++] = s;
	s = CK_INVALID_HANDLE;
	tok->broken = 0;
	tok->recoveries++;
	pthread_mutex_unlock(&tok->pool_lock);
	r = 0;
out:
	if (s != CK_INVALID_HANDLE) {
		(void)tok->fl->C_CloseSession(s);
		pthread_mutex_lock(&tok->pool_lock);
		tok->n_open--;
		pthread_mutex_unlock(&tok->pool_lock);
	}
	pthread_rwlock_unlock(&tok->gen_lock);
	return r;
}

/* One attempt at fn on a pooled session; *gen set to its generation. */
static int
token_attempt(struct signet_token *tok, token_session_fn fn, void *arg,
    unsigned long *gen, int *lost)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	int got = 0;

	pthread_rwlock_rdlock(&tok->gen_lock);
	*gen = tok->generation;
	if ((r = pool_session_get(tok, &s, lost)) != 0)
		goto out;
	got = 1;
	if ((r = fn(tok, s, *gen, arg)) != 0)
		*lost = token_error_lost();
out:
	if (got)
		pool_session_put(tok, s);
	pthread_rwlock_unlock(&tok->gen_lock);
	return r;
}

int
token_with_session(struct signet_token *tok, token_session_fn fn, void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	unsigned long gen = 0;
	int lost = 0, rr;

	if ((r = token_check_pid(tok)) != 0)
		return r;
	r = token_attempt(tok, fn, arg, &gen, &lost);
	if (r == 0 || !lost)
		return r;
	/* Once: recover, then retry this one operation. */
	if ((rr = token_recover(tok, gen)) != 0)
		return signet_error_context(rr,
		    "recovering token '%s' (serial %s) after a lost session",
		    tok->label, tok->serial);
	lost = 0;
	return token_attempt(tok, fn, arg, &gen, &lost);
}

int
token_exclusive_begin(struct signet_token *tok, CK_SESSION_HANDLE *out)
{
	int r = SIGNET_ERR_INTERNAL;

	*out = CK_INVALID_HANDLE;
	if ((r = token_check_pid(tok)) != 0)
		return r;
	pthread_rwlock_wrlock(&tok->gen_lock);
	/*
	 * PKCS#11 C_Login: no security officer login while the application
	 * has a read-only session open, and the pool's are read-only.
	 * Closing them ends the user's login too; the handles of private
	 * objects die with it, hence the new generation.
	 */
	pool_drop(tok);
	tok->generation++;
	pthread_mutex_lock(&tok->pool_lock);
	r = 0;
	if (token_rv_class(tok->fl->C_OpenSession(tok->slot,
		CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, out)) !=
	    TOKEN_RV_OK) {
		tok->broken = 1;
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "cannot open a read-write session on token '%s'",
		    tok->label);
	} else {
		tok->n_open++;
	}
	pthread_mutex_unlock(&tok->pool_lock);
	if (r != 0)
		pthread_rwlock_unlock(&tok->gen_lock);
	return r;
}

int
token_exclusive_login(struct signet_token *tok, CK_SESSION_HANDLE s)
{
	return tok->login_required ? token_login(tok, s, 0) : 0;
}

int
token_exclusive_end(struct signet_token *tok, CK_SESSION_HANDLE s)
{
	int r = 0;

	/* The user's login again (once, never retried), on the pool's session. */
	if (tok->login_required)
		r = token_login(tok, s, 0);
	pthread_mutex_lock(&tok->pool_lock);
	if (r == 0) {
		tok->idle[tok->n_idle++] = s;
	} else {
		(void)tok->fl->C_CloseSession(s);
		tok->n_open--;
		tok->broken = 1;
	}
	pthread_mutex_unlock(&tok->pool_lock);
	pthread_rwlock_unlock(&tok->gen_lock);
	return r;
}

int
token_rw_session_open(struct signet_token *tok, CK_SESSION_HANDLE *out)
{
	int r = SIGNET_ERR_INTERNAL;

	if ((r = token_check_pid(tok)) != 0)
		return r;
	TOKEN_CHECK(tok->fl->C_OpenSession(tok->slot,
			CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, out),
	    "cannot open a read-write session on token '%s'", tok->label);
	r = 0;
out:
	return r;
}

void
token_rw_session_close(struct signet_token *tok, CK_SESSION_HANDLE s)
{
	if (s != CK_INVALID_HANDLE)
		(void)tok->fl->C_CloseSession(s);
}

/* Where the PIN comes from: exactly one source, or a prompt. */
static int
token_pin_read(struct signet_token *tok, const struct signet_p11_uri *uri,
    const struct signet_token_opts *opts, CK_FLAGS flags, int *interactive)
{
	int r = SIGNET_ERR_INTERNAL;
	const char *spec = NULL;
	char what[96];
	int sources = 0;

	snprintf(what, sizeof(what), "PIN for token '%s'", tok->label);
	if (uri->pin_value != NULL)
		sources++;
	if (uri->pin_source != NULL) {
		spec = uri->pin_source;
		sources++;
	}
	if (opts->pin_source != NULL) {
		spec = opts->pin_source;
		sources++;
	}
	if (opts->pin != NULL)
		sources++;
	if (sources > 1) {
		r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "two PIN sources for token '%s' (the URI's pin-source or "
		    "pin-value, and another given separately); give one",
		    tok->label);
		goto out;
	}
	if (uri->pin_value != NULL && !opts->allow_pin_in_uri) {
		r = signet_error_set(SIGNET_ERR_URI,
		    "the token URI holds a PIN (pin-value) but using one was "
		    "not allowed; use pin-source=file:PATH");
		goto out;
	}
	if (opts->pin != NULL) {
		/* Rebuilt by the caller: nobody typed it, and none may retry. */
		*interactive = 0;
		if ((r = token_pin_flags_check(tok, flags, 0)) != 0)
			goto out;
		r = secret_from_bytes(opts->pin, opts->pin_len, &tok->pin);
		goto out;
	}
	if (uri->pin_value == NULL && spec == NULL) {
		if (!secret_can_prompt()) {
			r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
			    "token '%s' needs a PIN, none was given and there "
			    "is no terminal to ask on: add "
			    "pin-source=file:PATH to the token URI (file mode "
			    "0600), or use --pin-env NAME",
			    tok->label);
			goto out;
		}
		spec = "prompt";
	}
	*interactive = spec != NULL && strcmp(spec, "prompt") == 0;
	/* Refuse before asking: the answer could not be used anyway. */
	if ((r = token_pin_flags_check(tok, flags, *interactive)) != 0)
		goto out;
	if (uri->pin_value != NULL) {
		const char *v;
		size_t len = 0;

		v = secret_get0(uri->pin_value, &len);
		r = secret_from_bytes(v, len, &tok->pin);
	} else if (spec[0] == '/') {
		r = secret_from_file(spec, what, &tok->pin);
	} else {
		r = secret_from_spec(spec, what, &tok->pin);
	}
	if (r != 0)
		goto out;
	r = 0;
out:
	return r;
}

static int
token_locks_init(struct signet_token *tok)
{
	pthread_rwlockattr_t attr;

	if (pthread_rwlockattr_init(&attr) != 0)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise a lock");
	/*
	 * Recovery must not wait behind a stream of new signatures, all of
	 * which would fail on the lost sessions anyway.
	 */
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&tok->gen_lock, &attr) != 0) {
		pthread_rwlockattr_destroy(&attr);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise a lock");
	}
	pthread_rwlockattr_destroy(&attr);
	if (pthread_mutex_init(&tok->pool_lock, NULL) != 0) {
		pthread_rwlock_destroy(&tok->gen_lock);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise a lock");
	}
	if (pthread_cond_init(&tok->pool_cond, NULL) != 0) {
		pthread_mutex_destroy(&tok->pool_lock);
		pthread_rwlock_destroy(&tok->gen_lock);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise a lock");
	}
	tok->lock_init = 1;
	return 0;
}

/* "token 'root', serial 1234" from the URI's token attributes. */
static void
uri_describe(const struct signet_p11_uri *uri, char *buf, size_t len)
{
	char *s = signet_uri_to_string(uri);

	if (uri->token == NULL && uri->serial == NULL &&
	    uri->manufacturer == NULL && uri->model == NULL &&
	    uri->slot_description == NULL && uri->slot_manufacturer == NULL &&
	    !uri->has_slot_id)
		snprintf(buf, len, "any initialised token");
	else
		snprintf(buf, len, "%s", s != NULL ? s : "the URI");
	free(s);
}

int
signet_token_open(const struct signet_p11_uri *uri,
    const struct signet_token_opts *opts, struct signet_token **out)
{
	int r = SIGNET_ERR_INTERNAL;
	static const struct signet_token_opts no_opts;
	struct signet_token *tok = NULL;
	const char *module_path;
	struct token_match m;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	char describe[512];
	int lost = 0, interactive = 0;

	*out = NULL;
	if (opts == NULL)
		opts = &no_opts;
	module_path = opts->module_path;
	if (uri->module_path != NULL) {
		if (module_path != NULL &&
		    strcmp(module_path, uri->module_path) != 0) {
			r = signet_error_set(SIGNET_ERR_URI,
			    "the token URI names module %s but module %s was "
			    "also given; give one",
			    uri->module_path, module_path);
			goto out;
		}
		module_path = uri->module_path;
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	tok->pid = getpid();
	tok->allow_trusted_wrap = opts->allow_trusted_wrap;
	tok->max_sessions = opts->max_sessions > 0 ? opts->max_sessions
						   : TOKEN_DEFAULT_SESSIONS;
	if (tok->max_sessions > TOKEN_MAX_SESSIONS)
		tok->max_sessions = TOKEN_MAX_SESSIONS;
	tok->cap = tok->max_sessions;
	if ((tok->idle = calloc(tok->max_sessions, sizeof(*tok->idle))) ==
	    NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = token_locks_init(tok)) != 0)
		goto out;
	if ((r = token_module_get(module_path, &tok->mod)) != 0)
		goto out;
	tok->fl = tok->mod->fl;
	if ((r = token_library_match(tok->mod, uri)) != 0)
		goto out;
	memset(&m, 0, sizeof(m));
	m.label = uri->token;
	m.manufacturer = uri->manufacturer;
	m.serial = uri->serial;
	m.model = uri->model;
	m.slot_description = uri->slot_description;
	m.slot_manufacturer = uri->slot_manufacturer;
	m.has_slot_id = uri->has_slot_id;
	m.slot_id = uri->slot_id;
	uri_describe(uri, describe, sizeof(describe));
	if ((r = token_slot_find(tok->mod, &m, describe, &tok->slot, &ti)) != 0)
		goto out;
	token_identity_set(tok, &ti);
	tok->login_required = (ti.flags & CKF_LOGIN_REQUIRED) != 0;
	if (tok->login_required && !(ti.flags & CKF_USER_PIN_INITIALIZED)) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' has no user PIN set; initialise it with the "
		    "token's tools first",
		    tok->label);
		goto out;
	}
	if (opts->before_login != NULL &&
	    (r = opts->before_login(opts->before_login_arg, tok)) != 0)
		goto out;
	pthread_mutex_lock(&tok->pool_lock);
	r = pool_session_open(tok, &s, &lost);
	pthread_mutex_unlock(&tok->pool_lock);
	if (r != 0)
		goto out;
	if (tok->login_required) {
		if ((r = token_pin_read(tok, uri, opts, ti.flags,
			 &interactive)) != 0)
			goto out;
		if ((r = token_login(tok, s, interactive)) != 0)
			goto out;
	}
	tok->idle[tok->n_idle++] = s;
	s = CK_INVALID_HANDLE;
	*out = tok;
	tok = NULL;
	r = 0;
out:
	if (s != CK_INVALID_HANDLE && tok != NULL) {
		(void)tok->fl->C_CloseSession(s);
		tok->n_open--;
	}
	signet_token_free(tok);
	return r;
}

void
signet_token_free(struct signet_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->lock_init) {
		/* In a forked child the sessions are not ours to close. */
		if (tok->mod != NULL && tok->pid == getpid()) {
			pthread_rwlock_wrlock(&tok->gen_lock);
			pool_drop(tok);
			pthread_rwlock_unlock(&tok->gen_lock);
		}
		pthread_cond_destroy(&tok->pool_cond);
		pthread_mutex_destroy(&tok->pool_lock);
		pthread_rwlock_destroy(&tok->gen_lock);
	}
	if (tok->pid == getpid())
		token_module_put(tok->mod);
	secret_free(tok->pin);
	free(tok->idle);
	free(tok);
}

const char *
signet_token_label(const struct signet_token *tok)
{
	return tok->label;
}

const char *
signet_token_serial(const struct signet_token *tok)
{
	return tok->serial;
}

const char *
signet_token_model(const struct signet_token *tok)
{
	return tok->model;
}

const char *
signet_token_manufacturer(const struct signet_token *tok)
{
	return tok->manufacturer;
}

const char *
signet_token_module_path(const struct signet_token *tok)
{
	return tok->mod->path;
}

unsigned long
signet_token_recoveries(const struct signet_token *tok)
{
	struct signet_token *t = (struct signet_token *)tok;
	unsigned long n;

	pthread_mutex_lock(&t->pool_lock);
	n = t->recoveries;
	pthread_mutex_unlock(&t->pool_lock);
	return n;
}

struct random_req {
	uint8_t *buf;
	size_t len;
};

static int
random_fn(struct signet_token *tok, CK_SESSION_HANDLE s, unsigned long gen,
    void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	struct random_req *req = arg;
	size_t done = 0, n;

	/* Some tokens cap one request; ask in small pieces. */
	while (done < req->len) {
		n = req->len - done > 256 ? 256 : req->len - done;
		TOKEN_CHECK(tok->fl->C_GenerateRandom(s, req->buf + done, n),
		    "token '%s' cannot generate random bytes", tok->label);
		done += n;
	}
	r = 0;
out:
	return r;
}

int
signet_token_random(struct signet_token *tok, uint8_t *buf, size_t len)
{
	struct random_req req = { buf, len };
	int r;

	if ((r = token_with_session(tok, random_fn, &req)) != 0)
		secret_wipe(buf, len);
	return r;
}

int
signet_token_get_info(struct signet_token *tok, struct signet_token_info *out)
{
	int r;

	if ((r = token_check_pid(tok)) != 0)
		return r;
	pthread_rwlock_rdlock(&tok->gen_lock);
	r = token_info_fill(tok->mod, tok->slot, out);
	pthread_rwlock_unlock(&tok->gen_lock);
	return r;
}
