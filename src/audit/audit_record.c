/*
 * Audit records: the event vocabulary, building a record, its one
 * serialisation, and parsing a line back with every check of its form.
 */
#include <ctype.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit/audit_int.h"
#include "util/codec.h"

static const char *const event_names[SIGNET_AUDIT_EV_COUNT_] = {
	[SIGNET_AUDIT_EV_AUDIT_CREATE] = "audit.create",
	[SIGNET_AUDIT_EV_AUDIT_OPEN] = "audit.open",
	[SIGNET_AUDIT_EV_AUDIT_CHECKPOINT] = "audit.checkpoint",
	[SIGNET_AUDIT_EV_AUDIT_ROTATE] = "audit.rotate",
	[SIGNET_AUDIT_EV_AUDIT_REPAIR] = "audit.repair",
	[SIGNET_AUDIT_EV_KEY_GENERATE] = "key.generate",
	[SIGNET_AUDIT_EV_KEY_BACKUP] = "key.backup",
	[SIGNET_AUDIT_EV_KEY_RESTORE] = "key.restore",
	[SIGNET_AUDIT_EV_KEY_DESTROY] = "key.destroy",
	[SIGNET_AUDIT_EV_CERT_REQUEST] = "cert.request",
	[SIGNET_AUDIT_EV_CERT_ISSUE_INTENT] = "cert.issue.intent",
	[SIGNET_AUDIT_EV_CERT_ISSUE] = "cert.issue",
	[SIGNET_AUDIT_EV_CERT_REVOKE] = "cert.revoke",
	[SIGNET_AUDIT_EV_CERT_REVOKE_INTENT] = "cert.revoke.intent",
	[SIGNET_AUDIT_EV_CRL_GENERATE_INTENT] = "crl.generate.intent",
	[SIGNET_AUDIT_EV_CRL_GENERATE] = "crl.generate",
	[SIGNET_AUDIT_EV_TOKEN_LOGIN] = "token.login",
	[SIGNET_AUDIT_EV_TOKEN_LOGIN_FAILED] = "token.login.failed",
	[SIGNET_AUDIT_EV_TOKEN_LOGOUT] = "token.logout",
	[SIGNET_AUDIT_EV_TOKEN_SESSION_LOST] = "token.session.lost",
	[SIGNET_AUDIT_EV_TOKEN_SESSION_RECOVERED] = "token.session.recovered",
	[SIGNET_AUDIT_EV_CONFIG_LOAD] = "config.load",
	[SIGNET_AUDIT_EV_CONFIG_CHANGE] = "config.change",
	[SIGNET_AUDIT_EV_POLICY_LOAD] = "policy.load",
	[SIGNET_AUDIT_EV_POLICY_CHANGE] = "policy.change",
	[SIGNET_AUDIT_EV_CEREMONY_START] = "ceremony.start",
	[SIGNET_AUDIT_EV_CEREMONY_STEP] = "ceremony.step",
	[SIGNET_AUDIT_EV_CEREMONY_END] = "ceremony.end",
	[SIGNET_AUDIT_EV_SERVE_START] = "serve.start",
	[SIGNET_AUDIT_EV_SERVE_STOP] = "serve.stop",
	[SIGNET_AUDIT_EV_SERVE_FRONTEND] = "serve.frontend",
	[SIGNET_AUDIT_EV_AUDIT_ACCEPT] = "audit.accept",
	[SIGNET_AUDIT_EV_CRL_NUMBER_ADVANCE] = "crl.number.advance",
	[SIGNET_AUDIT_EV_EST_TOKEN_ADD] = "est.token.add",
	[SIGNET_AUDIT_EV_EST_TOKEN_REVOKE] = "est.token.revoke",
	[SIGNET_AUDIT_EV_ACME_EAB_ADD] = "acme.eab.add",
	[SIGNET_AUDIT_EV_ACME_EAB_REVOKE] = "acme.eab.revoke",
	[SIGNET_AUDIT_EV_ACME_ACCOUNT_NEW] = "acme.account.new",
	[SIGNET_AUDIT_EV_ACME_ACCOUNT_UPDATE] = "acme.account.update",
	[SIGNET_AUDIT_EV_ACME_ACCOUNT_DEACTIVATE] = "acme.account.deactivate",
	[SIGNET_AUDIT_EV_ACME_ACCOUNT_KEY_CHANGE] = "acme.account.key-change",
	[SIGNET_AUDIT_EV_ACME_REVOKE] = "acme.revoke",
	[SIGNET_AUDIT_EV_ACME_RENEW_EARLY] = "acme.renew-early",
};

static const char *const outcome_names[SIGNET_AUDIT_OUTCOME_COUNT_] = {
	[SIGNET_AUDIT_SUCCESS] = "success",
	[SIGNET_AUDIT_FAILURE] = "failure",
	[SIGNET_AUDIT_INTENT] = "intent",
	[SIGNET_AUDIT_DENIED] = "denied",
};

const char *
signet_audit_event_name(enum signet_audit_event event)
{
	if ((int)event <= SIGNET_AUDIT_EV_NONE ||
	    (int)event >= SIGNET_AUDIT_EV_COUNT_)
		return NULL;
	return event_names[event];
}

int
signet_audit_event_from_name(const char *name, enum signet_audit_event *out)
{
	int i;

	*out = SIGNET_AUDIT_EV_NONE;
	if (name == NULL)
		return signet_error_set(SIGNET_ERR_USAGE, "no audit event");
	for (i = 1; i < SIGNET_AUDIT_EV_COUNT_; i++)
		if (strcmp(name, event_names[i]) == 0) {
			*out = (enum signet_audit_event)i;
			return 0;
		}
	return signet_error_set(SIGNET_ERR_USAGE,
	    "'%.64s' is not an audit event (docs/audit.md lists them)", name);
}

const char *
signet_audit_outcome_name(enum signet_audit_outcome outcome)
{
	if ((int)outcome <= SIGNET_AUDIT_OUTCOME_NONE ||
	    (int)outcome >= SIGNET_AUDIT_OUTCOME_COUNT_)
		return NULL;
	return outcome_names[outcome];
}

int
signet_audit_outcome_from_name(const char *name, enum signet_audit_outcome *out)
{
	int i;

	*out = SIGNET_AUDIT_OUTCOME_NONE;
	if (name == NULL)
		return signet_error_set(SIGNET_ERR_USAGE, "no audit outcome");
	for (i = 1; i < SIGNET_AUDIT_OUTCOME_COUNT_; i++)
		if (strcmp(name, outcome_names[i]) == 0) {
			*out = (enum signet_audit_outcome)i;
			return 0;
		}
	return signet_error_set(SIGNET_ERR_USAGE,
	    "'%.64s' is not an audit outcome "
	    "(success, failure, intent, denied)",
	    name);
}

int
audit_error_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[1024];
	va_list ap;

	snprintf(old, sizeof(old), "%s", signet_error_message());
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return signet_error_set(code, "%s: %s", prefix, old);
}

/* ---- serialisation and hashing ----------------------------------------- */

int
audit_json_dump(const json_t *rec, int newline, char **out, size_t *len)
{
	size_t cap = 2048, n;
	char *buf, *tmp;

	*out = NULL;
	*len = 0;
	/* One pass for the usual record; a second one for a long record. */
	if ((buf = malloc(cap + 2)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	n = json_dumpb(rec, buf, cap, AUDIT_JSON_FLAGS);
	if (n > cap) {
		if ((tmp = realloc(buf, n + 2)) == NULL) {
			/*
			 * A failed realloc leaves buf allocated; cppcheck 2.10
			 * takes it as freed and reports a double free.
			 */
			/* cppcheck-suppress doubleFree */
			free(buf);
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		}
		buf = tmp;
		if (json_dumpb(rec, buf, n, AUDIT_JSON_FLAGS) != n)
			n = 0;
	}
	if (n == 0) {
		free(buf);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot serialise an audit record");
	}
	if (newline)
		buf[n++] = '\n';
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
audit_line_hash(const char *line, size_t len, uint8_t out[32])
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return signet_error_ossl(SIGNET_ERR_INTERNAL, "EVP_MD_CTX_new");
	ok = EVP_DigestInit_ex(ctx, sha2_md(256), NULL) &&
	     EVP_DigestUpdate(ctx, line, len) &&
	     EVP_DigestUpdate(ctx, "\n", 1) &&
	     EVP_DigestFinal_ex(ctx, out, &n) && n == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256 failed");
	return 0;
}

/* ---- times -------------------------------------------------------------- */

void
audit_time_now(char out[40])
{
	struct timespec ts;
	struct tm tm;
	char base[26];

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		/* Cannot happen on Linux; a visible, still valid time. */
		snprintf(out, 40, "1970-01-01T00:00:00.000000Z");
		return;
	}
	snprintf(out, 40, "%s.%06uZ", base,
	    (unsigned)(ts.tv_nsec / 1000) % 1000000u);
}

/* ---- details ------------------------------------------------------------ */

/*
 * Words that name a secret. A member is refused if one of the words of its
 * name (split at non-letters and at lower-to-upper case changes) is one of
 * these, or if it contains "private" followed by "key".
 */
static const char *const secret_words[] = { "pin", "pins", "puk", "sopin",
	"userpin", "password", "passwords", "passwd", "passphrase", "secret",
	"secrets", "privkey", "privatekey", "seed", NULL };

static int
name_is_secret(const char *name)
{
	char word[64], last[64];
	size_t i, n = 0;
	int j;

	last[0] = '\0';
	for (i = 0;; i++) {
		unsigned char c = (unsigned char)name[i];
		int boundary = c == '\0' || !isalnum(c) ||
			       (n > 0 && isupper(c) &&
				   islower((unsigned char)name[i - 1]));

		if (boundary && n > 0) {
			word[n] = '\0';
			for (j = 0; secret_words[j] != NULL; j++)
				if (strcmp(word, secret_words[j]) == 0)
					return 1;
			if (strcmp(last, "private") == 0 &&
			    strcmp(word, "key") == 0)
				return 1;
			memcpy(last, word, n + 1);
			n = 0;
		}
		if (c == '\0')
			return 0;
		if (isalnum(c) && n + 1 < sizeof(word))
			word[n++] = (char)tolower(c);
	}
}

/*
 * Walk details; where is the path of v for messages, or NULL for the fast
 * first pass, which only says whether something is wrong.
 */
static int
details_walk(const json_t *v, const char *where, int depth)
{
	const char *key, *s;
	json_t *m;
	size_t i;
	char sub[160];

	if (depth > SIGNET_AUDIT_DEPTH_MAX)
		return where == NULL
			   ? SIGNET_ERR_INTERNAL
			   : signet_error_set(SIGNET_ERR_INTERNAL,
				 "audit details nest deeper than %d levels at "
				 "'%s'",
				 SIGNET_AUDIT_DEPTH_MAX - 1, where);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, m)
		{
			if (where != NULL)
				snprintf(sub, sizeof(sub), "%s.%.100s", where,
				    key);
			if (name_is_secret(key))
				return where == NULL
					   ? SIGNET_ERR_INTERNAL
					   : signet_error_set(SIGNET_ERR_INTERNAL,
						 "audit details member '%s' is "
						 "named like a secret: PINs, "
						 "passwords and key material "
						 "never go into the audit log",
						 sub);
			if (details_walk(m, where != NULL ? sub : NULL,
				depth + 1) != 0)
				return SIGNET_ERR_INTERNAL;
		}
		return 0;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++) {
			if (where != NULL)
				snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
			if (details_walk(json_array_get(v, i),
				where != NULL ? sub : NULL, depth + 1) != 0)
				return SIGNET_ERR_INTERNAL;
		}
		return 0;
	case JSON_STRING:
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v))
			return where == NULL
				   ? SIGNET_ERR_INTERNAL
				   : signet_error_set(SIGNET_ERR_INTERNAL,
					 "audit details member '%s' holds a "
					 "NUL character",
					 where);
		if (strstr(s, "PRIVATE KEY-----") != NULL)
			return where == NULL
				   ? SIGNET_ERR_INTERNAL
				   : signet_error_set(SIGNET_ERR_INTERNAL,
					 "audit details member '%s' holds a "
					 "PEM private key: key material never "
					 "goes into the audit log",
					 where);
		return 0;
	case JSON_REAL:
		return where == NULL
			   ? SIGNET_ERR_INTERNAL
			   : signet_error_set(SIGNET_ERR_INTERNAL,
				 "audit details member '%s' is a real "
				 "number: write it as a string or an integer",
				 where);
	case JSON_INTEGER:
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		return 0;
	default:
		return where == NULL
			   ? SIGNET_ERR_INTERNAL
			   : signet_error_set(SIGNET_ERR_INTERNAL,
				 "audit details member '%s' has an unknown "
				 "type",
				 where);
	}
}

int
audit_details_check(const json_t *details)
{
	if (details == NULL)
		return 0;
	if (!json_is_object(details))
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "audit details must be a JSON object");
	/* The record is level 1, its details level 2. */
	if (details_walk(details, NULL, 2) == 0)
		return 0;
	/* Walk again, naming the member this time. */
	return details_walk(details, "details", 2);
}

/* ---- building ----------------------------------------------------------- */

int
audit_actor_new(const char *const *operators, size_t n, json_t **out)
{
	int r = SIGNET_ERR_INTERNAL;
	json_t *actor = NULL, *ops = NULL;
	struct passwd pw, *res = NULL;
	char buf[4096], user[AUDIT_NAME_MAX + 1], host[AUDIT_NAME_MAX + 1];
	uid_t uid = geteuid();
	size_t i;

	*out = NULL;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
	    res->pw_name[0] != '\0')
		snprintf(user, sizeof(user), "%s", res->pw_name);
	else
		snprintf(user, sizeof(user), "uid-%lu", (unsigned long)uid);
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if ((actor = json_object()) == NULL ||
	    json_object_set_new(actor, "user", json_string(user)) != 0 ||
	    json_object_set_new(actor, "uid", json_integer(uid)) != 0 ||
	    json_object_set_new(actor, "pid", json_integer(getpid())) != 0 ||
	    json_object_set_new(actor, "host", json_string(host)) != 0)
		goto oom;
	if (n > 0) {
		if ((ops = json_array()) == NULL)
			goto oom;
		for (i = 0; i < n; i++) {
			if (operators[i] == NULL || operators[i][0] == '\0' ||
			    strlen(operators[i]) > AUDIT_NAME_MAX) {
				r = signet_error_set(SIGNET_ERR_USAGE,
				    "operator name %zu is empty or longer "
				    "than %d bytes",
				    i + 1, AUDIT_NAME_MAX);
				goto out;
			}
			if (json_array_append_new(ops,
				json_string(operators[i])) != 0) {
				r = signet_error_set(SIGNET_ERR_USAGE,
				    "operator name %zu is not valid UTF-8",
				    i + 1);
				goto out;
			}
		}
		if (json_object_set_new(actor, "operators", ops) != 0) {
			ops = NULL;
			goto oom;
		}
		ops = NULL;
	}
	*out = actor;
	actor = NULL;
	r = 0;
	goto out;
oom:
	r = signet_error_set(SIGNET_ERR_INTERNAL,
	    "out of memory building the audit actor");
out:
	json_decref(ops);
	json_decref(actor);
	return r;
}

int
audit_rec_build(uint64_t seq, const uint8_t prev[32],
    enum signet_audit_event event, enum signet_audit_outcome outcome,
    const json_t *actor, json_t *details, json_t **out)
{
	json_t *rec = NULL;
	char prev_hex[65], now[40];
	const char *ev = signet_audit_event_name(event);
	const char *oc = signet_audit_outcome_name(outcome);

	*out = NULL;
	if (ev == NULL || oc == NULL) {
		json_decref(details);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "audit event %d or outcome %d is not in the vocabulary",
		    (int)event, (int)outcome);
	}
	if (details == NULL && (details = json_object()) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	hex_encode(prev, 32, prev_hex);
	audit_time_now(now);
	if ((rec = json_object()) == NULL ||
	    json_object_set_new(rec, "v", json_integer(AUDIT_FORMAT_VERSION)) !=
		0 ||
	    json_object_set_new(rec, "seq", json_integer((json_int_t)seq)) !=
		0 ||
	    json_object_set_new(rec, "prev", json_string(prev_hex)) != 0 ||
	    json_object_set_new(rec, "time", json_string(now)) != 0 ||
	    json_object_set_new(rec, "event", json_string(ev)) != 0 ||
	    json_object_set_new(rec, "outcome", json_string(oc)) != 0 ||
	    json_object_set(rec, "actor", (json_t *)actor) != 0) {
		json_decref(rec);
		json_decref(details);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "out of memory building an audit record");
	}
	if (json_object_set_new(rec, "details", details) != 0) {
		json_decref(rec);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "out of memory building an audit record");
	}
	*out = rec;
	return 0;
}

int
audit_checkpoint_tbs(const json_t *rec, char **out, size_t *len)
{
	json_t *copy = NULL, *details;
	int r;

	*out = NULL;
	*len = 0;
	if ((copy = json_deep_copy(rec)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	details = json_object_get(copy, "details");
	if (!json_is_object(details) ||
	    json_object_set_new(details, "sig", json_string("")) != 0) {
		json_decref(copy);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "checkpoint without details");
	}
	r = audit_json_dump(copy, 0, out, len);
	json_decref(copy);
	return r;
}

int
audit_sig_alg_from_name(const char *name, enum signet_sig_alg *out)
{
	static const enum signet_sig_alg algs[] = { SIGNET_SIG_ECDSA_SHA256,
		SIGNET_SIG_ECDSA_SHA384, SIGNET_SIG_ECDSA_SHA512,
		SIGNET_SIG_RSA_PKCS1_SHA256, SIGNET_SIG_RSA_PKCS1_SHA384,
		SIGNET_SIG_RSA_PKCS1_SHA512, SIGNET_SIG_RSA_PSS_SHA256,
		SIGNET_SIG_RSA_PSS_SHA384, SIGNET_SIG_RSA_PSS_SHA512 };
	size_t i;

	*out = SIGNET_SIG_NONE;
	if (name == NULL)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "no signature algorithm");
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(name, signet_sig_alg_name(algs[i])) == 0) {
			*out = algs[i];
			return 0;
		}
	return signet_error_set(SIGNET_ERR_VERIFY,
	    "unknown signature algorithm '%.64s'", name);
}

int
signet_audit_key_id(const EVP_PKEY *pub, char out[65])
{
	return spki_sha256_hex(pub, out);
}

/* ---- parsing ------------------------------------------------------------ */

#define fail(...) signet_error_set(SIGNET_ERR_VERIFY, __VA_ARGS__)

int
audit_line_prescan(const char *line, size_t len)
{
	size_t i;
	int depth = 0, in_string = 0, escaped = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == 0)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "NUL byte at column %zu", i + 1);
		if (c < 0x20)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "control character 0x%02x at column %zu", c, i + 1);
		if (c >= 0x80)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "byte 0x%02x at column %zu is not ASCII (records "
			    "escape every other character as \\uXXXX)",
			    c, i + 1);
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		else if (c == '{' || c == '[') {
			if (++depth > SIGNET_AUDIT_DEPTH_MAX)
				return signet_error_set(SIGNET_ERR_VERIFY,
				    "nested deeper than %d levels at column "
				    "%zu",
				    SIGNET_AUDIT_DEPTH_MAX, i + 1);
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 0;
}

static int
is_hex64(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* Refuse members of obj not in allowed (NULL-terminated). */
static int
only_members(const json_t *obj, const char *where, const char *const *allowed)
{
	const char *key;
	json_t *m;
	size_t i;

	json_object_foreach((json_t *)obj, key, m)
	{
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "unknown member '%s%.64s'", where, key);
	}
	return 0;
}

static int
get_string(const json_t *obj, const char *where, const char *name, size_t max,
    const char **out)
{
	json_t *m = json_object_get(obj, name);
	const char *s;

	*out = NULL;
	if (m == NULL)
		return fail("member '%s%s' is missing", where, name);
	if (!json_is_string(m))
		return fail("member '%s%s' is not a string", where, name);
	s = json_string_value(m);
	if (strlen(s) != json_string_length(m) || s[0] == '\0' ||
	    strlen(s) > max)
		return fail("member '%s%s' is empty, too long or holds a NUL",
		    where, name);
	*out = s;
	return 0;
}

static int
get_uint(const json_t *obj, const char *where, const char *name, uint64_t *out)
{
	json_t *m = json_object_get(obj, name);

	*out = 0;
	if (m == NULL)
		return fail("member '%s%s' is missing", where, name);
	if (!json_is_integer(m) || json_integer_value(m) < 0)
		return fail("member '%s%s' is not a non-negative integer",
		    where, name);
	*out = (uint64_t)json_integer_value(m);
	return 0;
}

static int
check_actor(const json_t *actor)
{
	static const char *const allowed[] = { "user", "uid", "pid", "host",
		"operators", NULL };
	const char *s;
	uint64_t u;
	json_t *ops, *op;
	size_t i;
	int r;

	if (!json_is_object(actor))
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'actor' is missing or not an object");
	if ((r = get_string(actor, "actor.", "user", AUDIT_NAME_MAX, &s)) !=
		0 ||
	    (r = get_string(actor, "actor.", "host", AUDIT_NAME_MAX, &s)) !=
		0 ||
	    (r = get_uint(actor, "actor.", "uid", &u)) != 0 ||
	    (r = get_uint(actor, "actor.", "pid", &u)) != 0)
		return r;
	if ((ops = json_object_get(actor, "operators")) == NULL)
		return only_members(actor, "actor.", allowed);
	if (!json_is_array(ops) || json_array_size(ops) == 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'actor.operators' is not a non-empty array");
	json_array_foreach(ops, i, op)
	{
		if (!json_is_string(op) || json_string_length(op) == 0 ||
		    json_string_length(op) > AUDIT_NAME_MAX ||
		    strlen(json_string_value(op)) != json_string_length(op))
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "actor.operators[%zu] is not a name", i);
	}
	return only_members(actor, "actor.", allowed);
}

static int
check_checkpoint(struct audit_rec *rec, const json_t *details)
{
	static const char *const allowed[] = { "alg", "key", "reason", "sig",
		"archive", NULL };
	enum signet_sig_alg alg;
	const char *w = "details.";
	int r;

	if (rec->outcome != SIGNET_AUDIT_SUCCESS)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "a checkpoint's outcome must be 'success'");
	if ((r = only_members(details, w, allowed)) != 0 ||
	    (r = get_string(details, w, "alg", 64, &rec->cp_alg)) != 0 ||
	    (r = get_string(details, w, "key", 64, &rec->cp_key)) != 0 ||
	    (r = get_string(details, w, "reason", 16, &rec->cp_reason)) != 0 ||
	    (r = get_string(details, w, "sig", (size_t)4 * SIGNET_SIG_MAX,
		 &rec->cp_sig)) != 0)
		return r;
	if ((r = audit_sig_alg_from_name(rec->cp_alg, &alg)) != 0)
		return signet_error_context(r, "member 'details.alg'");
	if (!is_hex64(rec->cp_key))
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'details.key' is not a SHA-256 in lower-case hex");
	if (rec->cp_reason == NULL)
		return SIGNET_ERR_VERIFY;
	if (strcmp(rec->cp_reason, AUDIT_REASON_ROTATE) == 0) {
		if ((r = get_string(details, w, "archive", AUDIT_NAME_MAX,
			 &rec->cp_archive)) != 0)
			return r;
		if (rec->cp_archive == NULL ||
		    strchr(rec->cp_archive, '/') != NULL)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "member 'details.archive' is not a file name");
	} else if (strcmp(rec->cp_reason, AUDIT_REASON_INTERVAL) != 0 &&
		   strcmp(rec->cp_reason, AUDIT_REASON_CLOSE) != 0 &&
		   strcmp(rec->cp_reason, AUDIT_REASON_REQUEST) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'details.reason' is '%.16s', not interval, close, "
		    "rotate or request",
		    rec->cp_reason);
	else if (json_object_get(details, "archive") != NULL)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'details.archive' outside a rotation checkpoint");
	return 0;
}

void
audit_rec_clear(struct audit_rec *rec)
{
	json_decref(rec->root);
	memset(rec, 0, sizeof(*rec));
}

int
audit_rec_parse(const char *line, size_t len, struct audit_rec *rec)
{
	static const char *const allowed[] = { "v", "seq", "prev", "time",
		"event", "outcome", "actor", "details", NULL };
	int r = SIGNET_ERR_INTERNAL;
	json_error_t jerr;
	char *canon = NULL;
	size_t clen = 0, plen = 0;
	const char *s;
	uint64_t v;
	int64_t t;
	json_t *details;

	memset(rec, 0, sizeof(*rec));
	if (len >= SIGNET_AUDIT_LINE_MAX) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "record is longer than the %d byte limit",
		    SIGNET_AUDIT_LINE_MAX - 1);
		goto out;
	}
	if ((r = audit_line_prescan(line, len)) != 0)
		goto out;
	rec->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (rec->root == NULL) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "not valid JSON: %s (column %d)", jerr.text, jerr.column);
		goto out;
	}
	if (!json_is_object(rec->root)) {
		r = signet_error_set(SIGNET_ERR_VERIFY, "not a JSON object");
		goto out;
	}
	if ((r = audit_json_dump(rec->root, 0, &canon, &clen)) != 0)
		goto out;
	if (canon == NULL || clen != len || memcmp(canon, line, len) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "not in the canonical form (compact, sorted keys, ASCII "
		    "only): the line was edited");
		goto out;
	}
	if ((r = get_uint(rec->root, "", "v", &v)) != 0)
		goto out;
	if (v != AUDIT_FORMAT_VERSION) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "format version %llu is not %d: this signet cannot read "
		    "it",
		    (unsigned long long)v, AUDIT_FORMAT_VERSION);
		goto out;
	}
	if ((r = get_uint(rec->root, "", "seq", &rec->seq)) != 0)
		goto out;
	if (rec->seq == 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'seq' is 0: sequence numbers start at 1");
		goto out;
	}
	if ((r = get_string(rec->root, "", "prev", 64, &s)) != 0)
		goto out;
	if (!is_hex64(s) || hex_decode(s, rec->prev, 32, &plen) != 0 ||
	    plen != 32) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'prev' is not a SHA-256 in lower-case hex");
		goto out;
	}
	if ((r = get_string(rec->root, "", "time", 39, &rec->time)) != 0)
		goto out;
	if (time_parse_rfc3339(rec->time, &t) != 0) {
		r = audit_error_wrap(SIGNET_ERR_VERIFY, "member 'time'");
		goto out;
	}
	if ((r = get_string(rec->root, "", "event", 64, &s)) != 0)
		goto out;
	if (signet_audit_event_from_name(s, &rec->event) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'event': '%.64s' is not an audit event", s);
		goto out;
	}
	if ((r = get_string(rec->root, "", "outcome", 16, &s)) != 0)
		goto out;
	if (signet_audit_outcome_from_name(s, &rec->outcome) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'outcome': '%.16s' is not success, failure, "
		    "intent or denied",
		    s);
		goto out;
	}
	if ((r = check_actor(json_object_get(rec->root, "actor"))) != 0)
		goto out;
	details = json_object_get(rec->root, "details");
	if (!json_is_object(details)) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "member 'details' is missing or not an object");
		goto out;
	}
	if (rec->event == SIGNET_AUDIT_EV_AUDIT_CHECKPOINT &&
	    (r = check_checkpoint(rec, details)) != 0)
		goto out;
	if ((r = only_members(rec->root, "", allowed)) != 0)
		goto out;
	if ((r = audit_line_hash(line, len, rec->hash)) != 0)
		goto out;
	r = 0;
out:
	free(canon);
	if (r != 0)
		audit_rec_clear(rec);
	return r;
}
