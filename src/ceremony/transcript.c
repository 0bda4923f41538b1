/*
 * The transcript: what a ceremony did, as JSON, signed by the key the
 * ceremony used (docs/ceremony.md describes the format).
 *
 * The signature is detached (NAME.transcript.json.sig) and covers the
 * exact bytes of the JSON file, so `openssl dgst -verify` checks it with
 * nothing but the root certificate's key. Those bytes are the canonical
 * serialisation below, which verify re-creates from the parsed document:
 * a transcript that is not byte for byte what signet writes is refused,
 * so what the signature covers and what an auditor reads are the same.
 *
 * A transcript starts with '{', never with a DER SEQUENCE (0x30): its
 * signature cannot be passed off as a certificate's or a CRL's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ceremony/ceremony_int.h"
#include "signet/version.h"
#include "util/codec.h"
#include "util/file.h"

#define TRANSCRIPT_FORMAT "signet-ceremony-transcript/1"

char *
cer_json_canonical(const json_t *root, size_t *len)
{
	/*
	 * Two-space indentation, members in the order written, every
	 * non-ASCII character as \uXXXX, a final newline: one byte sequence
	 * per document, readable by people and by any JSON tool.
	 */
	char *s = json_dumps(root,
	    JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	char *out;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if ((out = realloc(s, n + 2)) == NULL) {
		free(s);
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	*len = n + 1;
	return out;
}

static json_t *
str_or_null(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

static json_t *
key_json(const struct cer_key_use *u)
{
	const struct signet_key_info *ki = signet_key_get0_info(u->key);
	char id[2 * SIGNET_KEY_ID_MAX + 1], spki[65];
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	hex_encode(ki->id, ki->id_len, id);
	json_object_set_new(o, "role", json_string(u->role));
	json_object_set_new(o, "token",
	    str_or_null(signet_token_label(u->tok)));
	json_object_set_new(o, "token_serial",
	    str_or_null(signet_token_serial(u->tok)));
	json_object_set_new(o, "label", str_or_null(ki->label));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "type", json_string(ki->type_name));
	if (cer_spki_sha256(signet_key_get0_pubkey(u->key), spki) == 0)
		json_object_set_new(o, "spki_sha256", json_string(spki));
	json_object_set_new(o, "sensitive", json_boolean(ki->sensitive));
	json_object_set_new(o, "extractable", json_boolean(ki->extractable));
	json_object_set_new(o, "always_sensitive",
	    json_boolean(ki->always_sensitive));
	json_object_set_new(o, "never_extractable",
	    json_boolean(ki->never_extractable));
	json_object_set_new(o, "wrap_with_trusted",
	    json_boolean(ki->wrap_with_trusted));
	if (cer_pubkey_pem(signet_key_get0_pubkey(u->key), &pem, &pem_len) == 0)
		json_object_set_new(o, "public_key_pem",
		    json_stringn((const char *)pem, pem_len));
	free(pem);
	return o;
}

static json_t *
token_json(const struct signet_ceremony *c, size_t i)
{
	struct signet_token *tok = c->tokens[i];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "role", json_string(c->token_roles[i]));
	json_object_set_new(o, "label", str_or_null(signet_token_label(tok)));
	json_object_set_new(o, "serial", str_or_null(signet_token_serial(tok)));
	json_object_set_new(o, "model", str_or_null(signet_token_model(tok)));
	json_object_set_new(o, "manufacturer",
	    str_or_null(signet_token_manufacturer(tok)));
	json_object_set_new(o, "module",
	    str_or_null(signet_token_module_path(tok)));
	return o;
}

static json_t *
host_json(void)
{
	struct utsname u;
	char host[256], sys[600];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	if (uname(&u) == 0)
		snprintf(sys, sizeof(sys), "%s %s %s", u.sysname, u.release,
		    u.machine);
	else
		snprintf(sys, sizeof(sys), "?");
	json_object_set_new(o, "hostname", str_or_null(host));
	json_object_set_new(o, "system", str_or_null(sys));
	return o;
}

/* Which key signs, named before the bytes are signed. */
static json_t *
signature_json(const struct signet_ceremony *c, const char *sig_rel,
    enum signet_sig_alg *alg)
{
	const struct signet_key *key = c->transcript_key;
	const struct signet_key_info *ki;
	const char *role = "signing", *token = "?";
	char id[2 * SIGNET_KEY_ID_MAX + 1], spki[65];
	json_t *o = json_object();
	size_t i;

	*alg = SIGNET_SIG_NONE;
	if (o == NULL)
		return NULL;
	if (key == NULL ||
	    signet_sig_alg_for_key(signet_key_get0_pubkey(key), 0, alg) != 0 ||
	    cer_spki_sha256(signet_key_get0_pubkey(key), spki) != 0) {
		*alg = SIGNET_SIG_NONE;
		json_object_set_new(o, "signed", json_false());
		json_object_set_new(o, "reason",
		    json_string("the ceremony ended before any key it uses "
				"was available to sign its transcript"));
		return o;
	}
	ki = signet_key_get0_info(key);
	for (i = 0; i < c->n_keys; i++)
		if (c->keys[i].key == key) {
			role = c->keys[i].role;
			token = signet_token_label(c->keys[i].tok);
		}
	hex_encode(ki->id, ki->id_len, id);
	json_object_set_new(o, "signed", json_true());
	json_object_set_new(o, "file", json_string(sig_rel));
	json_object_set_new(o, "algorithm",
	    json_string(signet_sig_alg_name(*alg)));
	json_object_set_new(o, "digest",
	    json_string(EVP_MD_get0_name(signet_sig_alg_md(*alg))));
	json_object_set_new(o, "key_role", json_string(role));
	json_object_set_new(o, "token", str_or_null(token));
	json_object_set_new(o, "key_label", str_or_null(ki->label));
	json_object_set_new(o, "key_id", json_string(id));
	json_object_set_new(o, "spki_sha256", json_string(spki));
	return o;
}

static json_t *
outputs_json(const struct signet_ceremony *c)
{
	json_t *a = json_array(), *o;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < c->n_outputs; i++) {
		const struct cer_output *out = &c->outputs[i];

		if ((o = json_object()) == NULL)
			continue;
		json_object_set_new(o, "name", json_string(out->pub.name));
		json_object_set_new(o, "path", str_or_null(out->path));
		json_object_set_new(o, "written",
		    json_boolean(out->pub.written));
		if (out->pub.written)
			json_object_set_new(o, "sha256",
			    json_string(out->pub.sha256));
		if (out->pub.written && out->details != NULL)
			json_object_set(o, "facts", out->details);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
transcript_build(const struct signet_ceremony *c, const char *rel,
    const char *sig_rel, int failure_code, const char *failure_message,
    enum signet_sig_alg *alg)
{
	json_t *root = json_object(), *o, *a;
	char when[21];
	size_t i;

	if (root == NULL)
		return NULL;
	json_object_set_new(root, "format", json_string(TRANSCRIPT_FORMAT));
	o = json_object();
	json_object_set_new(o, "type",
	    json_string(signet_ceremony_type_name(c->type)));
	json_object_set_new(o, "file", str_or_null(c->file));
	json_object_set_new(o, "sha256", json_string(c->sha256));
	json_object_set_new(o, "text",
	    json_stringn((const char *)c->text, c->text_len));
	json_object_set_new(o, "description", str_or_null(c->description));
	json_object_set_new(root, "ceremony", o);
	json_object_set_new(root, "outcome",
	    json_string(failure_code == 0 ? "completed" : "failed"));
	if (failure_code != 0) {
		o = json_object();
		json_object_set_new(o, "step", str_or_null(c->step));
		json_object_set_new(o, "error", str_or_null(failure_message));
		json_object_set_new(o, "exit_status",
		    json_integer(signet_exit_code(failure_code)));
		/* Before the confirmation nothing is generated or signed. */
		json_object_set_new(o, "before_confirmation",
		    json_boolean(!c->past_plan));
		json_object_set_new(root, "failure", o);
	}
	time_format(c->started, when);
	json_object_set_new(root, "started", json_string(when));
	time_format(time(NULL), when);
	json_object_set_new(root, "finished", json_string(when));
	a = json_array();
	for (i = 0; i < c->n_operators; i++)
		json_array_append_new(a, str_or_null(c->operators[i]));
	json_object_set_new(root, "operators", a);
	o = json_object();
	json_object_set_new(o, "assume_yes", json_boolean(c->assume_yes));
	json_object_set_new(o, "confirmed", json_boolean(c->confirmed));
	json_object_set_new(o, "how",
	    json_string(
		c->assume_yes ? "--yes: no operator confirmed the plan (for CI "
				"only)"
		: c->confirmed ? "an operator typed the first 8 hex digits of "
				 "the ceremony file's SHA-256"
			       : "not confirmed"));
	json_object_set_new(root, "confirmation", o);
	json_object_set_new(root, "host", host_json());
	o = json_object();
	json_object_set_new(o, "signet", json_string(SIGNET_VERSION));
	json_object_set_new(o, "openssl",
	    str_or_null(OpenSSL_version(OPENSSL_VERSION)));
	json_object_set_new(root, "software", o);
	o = json_object();
	json_object_set_new(o, "dir", str_or_null(c->dir));
	json_object_set_new(o, "path", str_or_null(rel));
	json_object_set_new(root, "transcript", o);
	a = json_array();
	for (i = 0; i < c->n_tokens; i++)
		json_array_append_new(a, token_json(c, i));
	json_object_set_new(root, "tokens", a);
	a = json_array();
	for (i = 0; i < c->n_keys; i++)
		json_array_append_new(a, key_json(&c->keys[i]));
	json_object_set_new(root, "keys", a);
	a = json_array();
	for (i = 0; i < c->n_inputs; i++) {
		o = json_object();
		json_object_set_new(o, "name", json_string(c->inputs[i].name));
		json_object_set_new(o, "path", str_or_null(c->inputs[i].path));
		json_object_set_new(o, "sha256",
		    json_string(c->inputs[i].sha256));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "inputs", a);
	if (c->quorum != NULL)
		json_object_set(root, "quorum", c->quorum);
	json_object_set_new(root, "plan", str_or_null(c->plan));
	json_object_set(root, "lint", c->lint);
	json_object_set(root, "steps", c->steps);
	json_object_set(root, "details", c->extra);
	json_object_set_new(root, "outputs", outputs_json(c));
	json_object_set_new(root, "signature", signature_json(c, sig_rel, alg));
	return root;
}

/*
 * Where the transcript goes: the file's name when the ceremony completed;
 * NAME.failed-TIME[-N].json beside it otherwise, so that failed attempts
 * are kept and never overwrite anything.
 */
static int
transcript_name(const struct signet_ceremony *c, int failed, char **rel,
    char **full)
{
	char stamp[32], *base = NULL;
	struct tm tm;
	size_t n;
	unsigned k;

	*rel = *full = NULL;
	if (!failed) {
		if ((*rel = strdup(c->transcript_path)) == NULL ||
		    (*full = strdup(c->transcript_full)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		return 0;
	}
	n = strlen(c->transcript_path);
	if (n > 5 && strcmp(c->transcript_path + n - 5, ".json") == 0)
		n -= 5;
	gmtime_r(&c->started, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (k = 1; k < 100; k++) {
		char *sig = NULL;
		int taken;

		free(base);
		base = NULL;
		if ((k == 1 ? asprintf(&base, "%.*s.failed-%s.json", (int)n,
				  c->transcript_path, stamp)
			    : asprintf(&base, "%.*s.failed-%s-%u.json", (int)n,
				  c->transcript_path, stamp, k)) == -1) {
			base = NULL;
			break;
		}
		free(*full);
		if ((*full = file_path_join(c->dir, base)) == NULL ||
		    asprintf(&sig, "%s.sig", *full) == -1)
			break;
		taken = file_exists(*full) || file_exists(sig);
		free(sig);
		if (!taken) {
			*rel = base;
			return 0;
		}
	}
	free(base);
	free(*full);
	*full = NULL;
	return signet_error_set(SIGNET_ERR_IO,
	    "no free name for the transcript of the failed ceremony beside "
	    "%s",
	    c->transcript_full);
}

int
cer_transcript_write(struct signet_ceremony *c, int failure_code,
    const char *failure_message)
{
	int r = SIGNET_ERR_INTERNAL;
	char *rel = NULL, *full = NULL, *sig_rel = NULL, *sig_path = NULL;
	char *text = NULL;
	size_t len = 0, siglen = 0;
	struct signet_signer *signer = NULL;
	enum signet_sig_alg alg = SIGNET_SIG_NONE;
	uint8_t *sig = NULL;
	json_t *root = NULL, *unsigned_sig;
	char sign_error[512];

	if ((r = transcript_name(c, failure_code != 0, &rel, &full)) != 0)
		goto out;
	if (asprintf(&sig_rel, "%s.sig", rel) == -1 ||
	    asprintf(&sig_path, "%s.sig", full) == -1) {
		sig_rel = sig_path = NULL;
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((root = transcript_build(c, rel, sig_rel, failure_code,
		 failure_message, &alg)) == NULL ||
	    (text = cer_json_canonical(root, &len)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot serialise the transcript");
		goto out;
	}
	if (alg != SIGNET_SIG_NONE) {
		/* Signed in the token, then checked with the public key. */
		r = signet_key_signer(c->transcript_key, &signer);
		if (r == 0)
			r = signet_signer_sign(signer, alg, (uint8_t *)text,
			    len, &sig, &siglen);
		if (r == 0)
			r = signet_verify(signet_key_get0_pubkey(
					      c->transcript_key),
			    alg, (uint8_t *)text, len, sig, siglen);
		if (r != 0) {
			/* Keep the record, unsigned, saying why. */
			snprintf(sign_error, sizeof(sign_error),
			    "signing the transcript failed: %s",
			    signet_error_message());
			free(sig);
			sig = NULL;
			free(text);
			text = NULL;
			if ((unsigned_sig = json_object()) == NULL) {
				r = SIGNET_ERR_INTERNAL;
				goto out;
			}
			json_object_set_new(unsigned_sig, "signed",
			    json_false());
			json_object_set_new(unsigned_sig, "reason",
			    json_string(sign_error));
			json_object_set_new(root, "signature", unsigned_sig);
			if ((text = cer_json_canonical(root, &len)) == NULL) {
				r = signet_error_set(SIGNET_ERR_INTERNAL,
				    "cannot serialise the transcript");
				goto out;
			}
		}
	}
	if ((r = file_write_excl(full, text, len, 0644)) != 0) {
		signet_error_context(r, "writing the transcript");
		goto out;
	}
	c->transcript_written = full;
	full = NULL;
	if (sig != NULL) {
		if ((r = file_write_excl(sig_path, sig, siglen, 0644)) != 0) {
			signet_error_context(r,
			    "writing the transcript's signature");
			goto out;
		}
		c->transcript_signed = 1;
	}
	r = 0;
out:
	json_decref(root);
	signet_signer_free(signer);
	free(sig);
	free(text);
	free(rel);
	free(full);
	free(sig_rel);
	free(sig_path);
	return r;
}
