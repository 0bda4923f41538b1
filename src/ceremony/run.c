/*
 * Running a ceremony: open the tokens, prepare and lint, show the plan and
 * wait for the operators, then generate or sign, write the outputs and the
 * transcript. Nothing is generated or signed before the confirmation, and
 * nothing is written before everything else succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/fault.h"
#include "util/file.h"
#include "util/secret.h"

void
cer_step(struct signet_ceremony *c, const char *step, const char *fmt, ...)
{
	char detail[1024], when[21], line[1200];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	cer_vformat(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	time_format(time(NULL), when);
	if ((o = json_object()) != NULL) {
		json_object_set_new(o, "at", json_string(when));
		json_object_set_new(o, "step", json_string(step));
		json_object_set_new(o, "outcome", json_string("ok"));
		json_object_set_new(o, "detail", json_string(detail));
		json_array_append_new(c->steps, o);
	}
	if (c->progress != NULL) {
		snprintf(line, sizeof(line), "%s %s: %s", when, step, detail);
		c->progress(c->progress_arg, line);
	}
}

int
cer_token_random(void *arg, uint8_t *buf, size_t len)
{
	return signet_token_random(arg, buf, len);
}

int
cer_token_open(struct signet_ceremony *c, const struct cer_token_cfg *cfg,
    struct signet_token **out)
{
	struct signet_token_opts opts;
	struct signet_token *tok = NULL;
	struct signet_secret *pin = NULL;
	struct cer_text *t = &c->plan_body;
	struct cer_split split;
	int r;

	*out = NULL;
	if (c->n_tokens == CER_MAX_TOKENS)
		return signet_error_set(SIGNET_ERR_INTERNAL, "too many tokens");
	memset(&opts, 0, sizeof(opts));
	opts.module_path = cfg->module;
	opts.pin_source = cfg->pin_source != NULL ? cfg->pin_source : "prompt";
	/* Keys made for backup are extractable, but only under trust. */
	opts.allow_trusted_wrap = 1;
	if (cfg->quorum) {
		/* Every share checked, and the PIN rebuilt, before the token. */
		if ((r = cer_quorum_unlock(c, &pin, &split)) != 0)
			return r;
		opts.pin_source = NULL;
		opts.pin = secret_get0(pin, &opts.pin_len);
		opts.before_login = cer_quorum_before_login;
		opts.before_login_arg = &split;
	}
	r = signet_token_open(cfg->uri, &opts, &tok);
	secret_free(pin);
	if (r != 0)
		return signet_error_context(r, "opening the %s token %s",
		    cfg->role, cfg->uri_text);
	c->tokens[c->n_tokens] = tok;
	c->token_roles[c->n_tokens++] = cfg->role;
	cer_step(c, "token-open",
	    "%s token '%s' serial %s, model %s, manufacturer %s: logged in",
	    cfg->role, signet_token_label(tok), signet_token_serial(tok),
	    signet_token_model(tok), signet_token_manufacturer(tok));
	cer_text_add(t, "%-22s '%s', serial %s\n",
	    strcmp(cfg->role, "root") == 0     ? "Root token"
	    : strcmp(cfg->role, "online") == 0 ? "Online token"
					       : "Backup token",
	    signet_token_label(tok), signet_token_serial(tok));
	cer_text_add(t, "%-22s model %s, manufacturer %s\n", "",
	    signet_token_model(tok), signet_token_manufacturer(tok));
	cer_text_add(t, "%-22s module %s\n", "", signet_token_module_path(tok));
	if (cfg->quorum)
		cer_text_add(t,
		    "%-22s unlocked by %u of %u custodians, split %s\n", "",
		    split.threshold, split.count, split.id);
	*out = tok;
	return 0;
}

/* Percent-encode every byte that is not unreserved (RFC 3986 2.3). */
static char *
uri_pct(const uint8_t *v, size_t len, int all)
{
	static const char hexd[] = "0123456789ABCDEF";
	char *out, *p;
	size_t i;

	if ((out = malloc(3 * len + 1)) == NULL)
		return NULL;
	for (p = out, i = 0; i < len; i++) {
		unsigned char ch = v[i];

		if (!all &&
		    ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
			ch == '_' || ch == '~')) {
			*p++ = (char)ch;
			continue;
		}
		*p++ = '%';
		*p++ = hexd[ch >> 4];
		*p++ = hexd[ch & 15];
	}
	*p = '\0';
	return out;
}

int
cer_key_find(struct signet_ceremony *c, struct signet_token *tok,
    const struct cer_key_cfg *cfg, const char *role, struct signet_key **out)
{
	struct signet_p11_uri *uri = NULL;
	struct signet_key *key = NULL;
	char *label = NULL, *id = NULL, *text = NULL;
	int r = SIGNET_ERR_INTERNAL;

	*out = NULL;
	if ((label = uri_pct((const uint8_t *)cfg->label, strlen(cfg->label),
		 0)) == NULL ||
	    (id = uri_pct(cfg->id, cfg->id_len, 1)) == NULL ||
	    asprintf(&text, "pkcs11:object=%s%s%s;type=private", label,
		cfg->id_len > 0 ? ";id=" : "", id) == -1) {
		text = NULL;
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = signet_uri_parse(text, 0, &uri)) != 0 ||
	    (r = signet_key_find_flags(tok, uri,
		 c->token.accept_restored ? SIGNET_KEY_ACCEPT_RESTORED : 0,
		 &key)) != 0)
		goto out;
	if ((r = cer_key_add(c, tok, key, role)) != 0)
		goto out;
	*out = key;
	key = NULL;
	r = 0;
out:
	signet_key_free(key);
	signet_uri_free(uri);
	free(label);
	free(id);
	free(text);
	return r;
}

int
cer_key_add(struct signet_ceremony *c, struct signet_token *tok,
    struct signet_key *key, const char *role)
{
	const struct signet_key_info *ki = signet_key_get0_info(key);
	char id[2 * SIGNET_KEY_ID_MAX + 1], spki[65];

	if (c->n_keys == CER_MAX_KEYS) {
		signet_key_free(key);
		return signet_error_set(SIGNET_ERR_INTERNAL, "too many keys");
	}
	c->keys[c->n_keys].role = role;
	c->keys[c->n_keys].tok = tok;
	c->keys[c->n_keys++].key = key;
	hex_encode(ki->id, ki->id_len, id);
	if (cer_spki_sha256(signet_key_get0_pubkey(key), spki) != 0)
		snprintf(spki, sizeof(spki), "?");
	cer_step(c,
	    strcmp(role, "generated") == 0 || strcmp(role, "audit") == 0
		? "key-generate"
		: "key-find",
	    "%s key '%s' id %s (%s) on token '%s', SPKI SHA-256 %s", role,
	    ki->label, id, ki->type_name, signet_token_label(tok), spki);
	if (signet_key_restored(key) != NULL)
		cer_step(c, "key-restored", "WARNING: %s key '%s' %s; %s", role,
		    ki->label, signet_key_restored(key),
		    strcmp(role, "backup copy") == 0
			? "it is the copy this ceremony unwrapped: a ceremony "
			  "that signs with it needs token.accept-restored-key: "
			  "true"
			: "accepted because token.accept-restored-key is true");
	return 0;
}

struct absent_req {
	const struct cer_key_cfg *cfg;
	const char *token;
};

static int
absent_cb(void *arg, const struct signet_key_info *ki)
{
	const struct absent_req *req = arg;
	char id[2 * SIGNET_KEY_ID_MAX + 1];

	if (strcmp(ki->label, req->cfg->label) == 0)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "token '%s' already holds a private key labelled '%s'; a "
		    "ceremony never replaces a key: choose another label "
		    "(and id)",
		    req->token, ki->label);
	if (req->cfg->id_len > 0 && ki->id_len == req->cfg->id_len &&
	    memcmp(ki->id, req->cfg->id, ki->id_len) == 0) {
		hex_encode(ki->id, ki->id_len, id);
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "token '%s' already holds a private key with id %s "
		    "('%s'); a ceremony never replaces a key: choose another "
		    "id",
		    req->token, id, ki->label);
	}
	return 0;
}

int
cer_key_absent(struct signet_token *tok, const struct cer_key_cfg *cfg)
{
	struct absent_req req = { cfg, signet_token_label(tok) };

	/* Early word only: key generation itself refuses any such object. */
	return signet_key_list(tok, absent_cb, &req);
}

/* ---- The run --------------------------------------------------------------- */

static int
run_prepare(struct signet_ceremony *c)
{
	switch (c->type) {
	case SIGNET_CEREMONY_ROOT_KEY:
	case SIGNET_CEREMONY_INTERMEDIATE_KEY:
		return cer_key_prepare(c);
	case SIGNET_CEREMONY_ROOT_CERT:
	case SIGNET_CEREMONY_INTERMEDIATE_CERT:
	case SIGNET_CEREMONY_CROSS_CERT:
		return cer_cert_prepare(c);
	case SIGNET_CEREMONY_ROOT_CRL:
		return cer_crl_prepare(c);
	case SIGNET_CEREMONY_KEY_BACKUP:
		return cer_backup_prepare(c);
	case SIGNET_CEREMONY_QUORUM_SPLIT:
		return cer_quorum_prepare(c);
	case SIGNET_CEREMONY_NONE:
	default:
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "no ceremony type");
	}
}

static int
run_execute(struct signet_ceremony *c)
{
	switch (c->type) {
	case SIGNET_CEREMONY_ROOT_KEY:
	case SIGNET_CEREMONY_INTERMEDIATE_KEY:
		return cer_key_execute(c);
	case SIGNET_CEREMONY_ROOT_CERT:
	case SIGNET_CEREMONY_INTERMEDIATE_CERT:
	case SIGNET_CEREMONY_CROSS_CERT:
		return cer_cert_execute(c);
	case SIGNET_CEREMONY_ROOT_CRL:
		return cer_crl_execute(c);
	case SIGNET_CEREMONY_KEY_BACKUP:
		return cer_backup_execute(c);
	case SIGNET_CEREMONY_QUORUM_SPLIT:
		return cer_quorum_execute(c);
	case SIGNET_CEREMONY_NONE:
	default:
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "no ceremony type");
	}
}

/* Each output on its own, atomically, refusing to replace anything. */
static int
run_write_outputs(struct signet_ceremony *c)
{
	struct cer_output *o;
	size_t i;
	int r;

	for (i = 0; i < c->n_outputs; i++) {
		o = &c->outputs[i];
		if (o->data == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "output %s was not made", o->pub.name);
	}
	for (i = 0; i < c->n_outputs; i++) {
		o = &c->outputs[i];
		if ((r = SIGNET_FAULT("ceremony.write")) != 0 ||
		    (r = file_write_excl(o->full, o->data, o->len, 0644)) != 0)
			return signet_error_context(r, "writing output %s",
			    o->pub.name);
		o->pub.written = 1;
		cer_step(c, "write", "%s %s, SHA-256 %s", o->pub.name, o->path,
		    o->pub.sha256);
	}
	return 0;
}

int
signet_ceremony_run(struct signet_ceremony *c,
    const struct signet_ceremony_run_opts *opts)
{
	static const struct signet_ceremony_run_opts no_opts;
	char message[sizeof(((struct signet_error_info *)0)->message)];
	int r = SIGNET_ERR_INTERNAL, rr;
	size_t i;

	if (opts == NULL)
		opts = &no_opts;
	if (c->ran)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "this ceremony has run already; load the file again");
	c->ran = 1;
	c->started = time(NULL);
	c->assume_yes = opts->assume_yes;
	c->progress = opts->progress;
	c->progress_arg = opts->progress_arg;
	if ((c->steps = json_array()) == NULL ||
	    (c->lint = json_array()) == NULL ||
	    (c->extra = json_object()) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	c->step = "start";
	cer_step(c, "start", "%s ceremony from %s (SHA-256 %s)",
	    signet_ceremony_type_name(c->type), c->file, c->sha256);
	if (c->n_operators == 0) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "no operators are named: list them under operators: in "
		    "the ceremony file, or give them at the prompt");
		goto out;
	}
	c->step = "prepare";
	if ((r = run_prepare(c)) != 0)
		goto out;
	c->step = "confirm";
	if ((c->plan = cer_plan_build(c)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (opts->show_plan != NULL)
		opts->show_plan(opts->show_plan_arg, c->plan);
	if (opts->assume_yes) {
		cer_step(c, "confirm",
		    "skipped: --yes was given, no operator confirmed the plan "
		    "(for CI only)");
	} else if (opts->confirm == NULL) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "no way to ask the operators to confirm the plan");
		goto out;
	} else if (opts->confirm(opts->confirm_arg, c->plan) != 0) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "the operators did not confirm the plan; nothing was "
		    "generated or signed");
		goto out;
	} else {
		c->confirmed = 1;
		cer_step(c, "confirm",
		    "an operator typed the confirmation code %s",
		    c->confirm_code);
	}
	c->past_plan = 1;
	c->step = "execute";
	if ((r = run_execute(c)) != 0)
		goto out;
	for (i = 0; i < c->n_outputs; i++)
		if (c->outputs[i].data != NULL &&
		    (r = sha256_hex(c->outputs[i].data, c->outputs[i].len,
			 c->outputs[i].pub.sha256)) != 0)
			goto out;
	c->step = "write";
	if ((r = run_write_outputs(c)) != 0)
		goto out;
	c->step = "done";
	r = 0;
out:
	snprintf(message, sizeof(message), "%s", signet_error_message());
	if (r == 0)
		cer_step(c, "done", "ceremony completed");
	rr = cer_transcript_write(c, r, r != 0 ? message : NULL);
	if (r != 0) {
		/* The ceremony's own failure is what the operator must see. */
		if (rr == 0)
			signet_error_set(r,
			    "%s (the transcript %s records "
			    "where and why)",
			    message, c->transcript_written);
		else
			signet_error_set(r,
			    "%s (and no transcript could be written)", message);
		return r;
	}
	if (rr != 0)
		return signet_error_context(rr,
		    "the ceremony completed and its outputs are written, but "
		    "its transcript is not");
	return 0;
}

const char *
signet_ceremony_transcript_path(const struct signet_ceremony *c)
{
	return c->transcript_written;
}

int
signet_ceremony_transcript_signed(const struct signet_ceremony *c)
{
	return c->transcript_signed;
}

size_t
signet_ceremony_output_count(const struct signet_ceremony *c)
{
	return c->n_outputs;
}

const struct signet_ceremony_output *
signet_ceremony_output_get(const struct signet_ceremony *c, size_t i)
{
	return i < c->n_outputs ? &c->outputs[i].pub : NULL;
}
