/*
 * Verifying a transcript with the signing key alone: the detached
 * signature over the file's bytes, the canonical form, the recorded
 * ceremony text, and every output and input still present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/file.h"

/* Outputs may be large CRLs. */
#define VERIFY_FILE_MAX ((size_t)256 * 1024 * 1024)

struct signet_transcript_report {
	struct cer_text text;
	char outcome[16];
	size_t changed;
	size_t missing;
	int failed;       /* a check failed */
	char first[1600]; /* the first failure, for the error */
};

static void rep_fail(struct signet_transcript_report *rep, const char *fmt, ...)
    SIGNET_PRINTF(2, 3);

static void
rep_fail(struct signet_transcript_report *rep, const char *fmt, ...)
{
	char msg[1600];
	va_list ap;

	va_start(ap, fmt);
	cer_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cer_text_add(&rep->text, "FAILED: %s\n", msg);
	if (!rep->failed)
		snprintf(rep->first, sizeof(rep->first), "%s", msg);
	rep->failed = 1;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/*
 * Where the files lie now: the transcript records its path relative to
 * the ceremony's directory; strip that from where it is found.
 */
static char *
base_find(const char *path, const char *rel)
{
	size_t n = strlen(path), m = strlen(rel);

	if (m > 0 && rel[0] != '/' && n >= m &&
	    strcmp(path + n - m, rel) == 0) {
		if (n == m)
			return strdup(".");
		if (path[n - m - 1] == '/') {
			char *b = strndup(path, n - m - 1);

			if (b != NULL && b[0] == '\0') {
				free(b);
				return strdup("/");
			}
			return b;
		}
	}
	return file_dirname(path);
}

/* Hash the file a transcript lists, if it is there. */
static void
check_file(struct signet_transcript_report *rep, const char *base,
    const char *kind, const json_t *entry)
{
	const char *name = jstr(entry, "name"), *path = jstr(entry, "path");
	const char *want = jstr(entry, "sha256");
	char *full = NULL, got[65];
	uint8_t *data = NULL;
	size_t len = 0;

	if (path[0] == '\0' || want[0] == '\0') {
		rep_fail(rep, "%s %s has no path or hash in the transcript",
		    kind, name);
		return;
	}
	if ((full = file_path_join(base, path)) == NULL) {
		rep_fail(rep, "out of memory");
		return;
	}
	if (!file_exists(full)) {
		rep->missing++;
		cer_text_add(&rep->text,
		    "missing: %s %s (%s) is not there; not checked\n", kind,
		    name, full);
	} else if (file_read(full, VERIFY_FILE_MAX, &data, &len) != 0 ||
		   sha256_hex(data, len, got) != 0) {
		rep_fail(rep, "%s %s (%s) cannot be read: %s", kind, name, full,
		    signet_error_message());
	} else if (strcmp(got, want) != 0) {
		rep->changed++;
		rep_fail(rep,
		    "%s %s (%s) has changed since the ceremony: its SHA-256 "
		    "is %s, the transcript records %s",
		    kind, name, full, got, want);
	} else {
		cer_text_add(&rep->text, "ok: %s %s (%s), SHA-256 %s\n", kind,
		    name, path, got);
	}
	free(data);
	free(full);
}

static void
check_signature(struct signet_transcript_report *rep, const json_t *root,
    const char *path, const uint8_t *text, size_t len, const EVP_PKEY *pub)
{
	const json_t *sig = json_object_get(root, "signature");
	enum signet_sig_alg alg = SIGNET_SIG_NONE;
	char spki[65], *sig_path = NULL;
	uint8_t *sigbuf = NULL;
	size_t siglen = 0;

	if (!json_is_object(sig)) {
		rep_fail(rep, "the transcript has no signature section");
		return;
	}
	if (!json_is_true(json_object_get(sig, "signed"))) {
		rep_fail(rep,
		    "the transcript is not signed (%s); nothing vouches for "
		    "it",
		    jstr(sig, "reason"));
		return;
	}
	if (cer_spki_sha256(pub, spki) != 0) {
		rep_fail(rep, "cannot read the key given");
		return;
	}
	if (strcmp(spki, jstr(sig, "spki_sha256")) != 0) {
		rep_fail(rep,
		    "the transcript was signed by key '%s' (SPKI SHA-256 %s), "
		    "not by the key given (SPKI SHA-256 %s): check it with "
		    "the right certificate or public key",
		    jstr(sig, "key_label"), jstr(sig, "spki_sha256"), spki);
		return;
	}
	if (signet_sig_alg_for_key(pub, 0, &alg) != 0 ||
	    strcmp(signet_sig_alg_name(alg), jstr(sig, "algorithm")) != 0) {
		rep_fail(rep,
		    "the transcript names signature algorithm '%s', which is "
		    "not what its key signs with",
		    jstr(sig, "algorithm"));
		return;
	}
	if (asprintf(&sig_path, "%s.sig", path) == -1) {
		rep_fail(rep, "out of memory");
		return;
	}
	if (file_read(sig_path, SIGNET_SIG_MAX, &sigbuf, &siglen) != 0) {
		rep_fail(rep, "cannot read the signature %s: %s", sig_path,
		    signet_error_message());
	} else if (signet_verify(pub, alg, text, len, sigbuf, siglen) != 0) {
		rep_fail(rep,
		    "the signature %s does not verify: the transcript (or its "
		    "signature) was changed after the ceremony",
		    sig_path);
	} else {
		cer_text_add(&rep->text,
		    "ok: signature (%s) by key '%s' id %s on token '%s', SPKI "
		    "SHA-256 %s\n",
		    jstr(sig, "algorithm"), jstr(sig, "key_label"),
		    jstr(sig, "key_id"), jstr(sig, "token"), spki);
	}
	free(sigbuf);
	free(sig_path);
}

static void
check_ceremony(struct signet_transcript_report *rep, const json_t *root)
{
	const json_t *cer = json_object_get(root, "ceremony");
	const json_t *text = json_object_get(cer, "text");
	const json_t *failure = json_object_get(root, "failure");
	char got[65];

	if (!json_is_string(text) ||
	    sha256_hex(json_string_value(text), json_string_length(text),
		got) != 0 ||
	    strcmp(got, jstr(cer, "sha256")) != 0) {
		rep_fail(rep,
		    "the ceremony file's text in the transcript does not "
		    "match its recorded SHA-256");
		return;
	}
	cer_text_add(&rep->text, "ok: ceremony %s from %s, SHA-256 %s\n",
	    jstr(cer, "type"), jstr(cer, "file"), got);
	snprintf(rep->outcome, sizeof(rep->outcome), "%s",
	    jstr(root, "outcome"));
	if (strcmp(rep->outcome, "completed") == 0)
		cer_text_add(&rep->text, "outcome: completed (%s to %s)\n",
		    jstr(root, "started"), jstr(root, "finished"));
	else
		cer_text_add(&rep->text, "outcome: FAILED at step '%s': %s\n",
		    jstr(failure, "step"), jstr(failure, "error"));
	cer_text_add(&rep->text, "confirmation: %s\n",
	    jstr(json_object_get(root, "confirmation"), "how"));
}

static void
list_operators(struct signet_transcript_report *rep, const json_t *root)
{
	const json_t *ops = json_object_get(root, "operators");
	size_t i;

	cer_text_add(&rep->text, "operators: ");
	for (i = 0; i < json_array_size(ops); i++)
		cer_text_add(&rep->text, "%s%s", i > 0 ? "; " : "",
		    json_string_value(json_array_get(ops, i)) != NULL
			? json_string_value(json_array_get(ops, i))
			: "?");
	cer_text_add(&rep->text, "\n");
}

/* One quorum member of the transcript: who, in force, and which shares. */
static void
list_quorum_part(struct signet_transcript_report *rep, const json_t *q,
    const char *what)
{
	const json_t *a = json_object_get(q, "custodians"), *e;
	size_t i;

	if (!json_is_object(q))
		return;
	cer_text_add(&rep->text,
	    "quorum: %s: split %s of token '%s' (serial "
	    "%s), %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	    " custodians\n",
	    what, jstr(q, "split_id"), jstr(q, "token_label"),
	    jstr(q, "token_serial"),
	    json_integer_value(json_object_get(q, "threshold")),
	    json_integer_value(json_object_get(q, "shares")));
	for (i = 0; i < json_array_size(a); i++) {
		e = json_array_get(a, i);
		cer_text_add(&rep->text,
		    "quorum:   %s, share %" JSON_INTEGER_FORMAT
		    ", fingerprint %s%s%s\n",
		    jstr(e, "name"),
		    json_integer_value(json_object_get(e, "share_id")),
		    jstr(e, "share_fingerprint"),
		    json_object_get(e, "file") != NULL ? ", file " : "",
		    json_object_get(e, "file") != NULL ? jstr(e, "file") : "");
	}
}

static void
list_quorum(struct signet_transcript_report *rep, const json_t *root)
{
	const json_t *q = json_object_get(root, "quorum");

	if (q == NULL)
		return;
	list_quorum_part(rep, json_object_get(q, "unlock"),
	    json_is_true(
		json_object_get(json_object_get(q, "unlock"), "rebuilt"))
		? "unlocked by"
		: "REFUSED unlock by");
	list_quorum_part(rep, json_object_get(q, "split"),
	    json_is_true(
		json_object_get(json_object_get(q, "split"), "pin_set"))
		? "new split, shares to"
		: "split NOT in force (PIN unchanged), shares for");
}

int
signet_transcript_verify(const char *path, const EVP_PKEY *pub,
    const char *base_dir, struct signet_transcript_report **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_transcript_report *rep = NULL;
	uint8_t *text = NULL;
	char *canon = NULL, *base = NULL;
	size_t len = 0, clen = 0, i;
	json_t *root = NULL, *a;
	json_error_t jerr;

	*out = NULL;
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	snprintf(rep->outcome, sizeof(rep->outcome), "unknown");
	if ((r = file_read(path, SIGNET_TRANSCRIPT_MAX, &text, &len)) != 0) {
		signet_error_context(r, "reading the transcript");
		goto out;
	}
	cer_text_add(&rep->text, "transcript: %s\n", path);
	if ((root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES,
		 &jerr)) == NULL ||
	    !json_is_object(root)) {
		rep_fail(rep,
		    "%s is not a transcript (line %d: %s): it was changed or "
		    "damaged",
		    path, jerr.line,
		    root == NULL ? jerr.text : "not an object");
		goto done;
	}
	if (strcmp(jstr(root, "format"), "signet-ceremony-transcript/1") != 0) {
		rep_fail(rep,
		    "%s is not a signet ceremony transcript (format "
		    "'%s')",
		    path, jstr(root, "format"));
		goto done;
	}
	/* The signature first: it says whether anything else can be trusted. */
	check_signature(rep, root, path, text, len, pub);
	if (rep->failed) {
		snprintf(rep->outcome, sizeof(rep->outcome), "%s",
		    jstr(root, "outcome"));
		cer_text_add(&rep->text,
		    "nothing else checked: an unauthenticated transcript "
		    "vouches for nothing\n");
		goto done;
	}
	if ((canon = cer_json_canonical(root, &clen)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (clen != len || memcmp(canon, text, len) != 0)
		rep_fail(rep,
		    "%s is not in the canonical form signet writes: it was "
		    "edited",
		    path);
	check_ceremony(rep, root);
	list_operators(rep, root);
	list_quorum(rep, root);
	if (base_dir != NULL)
		base = strdup(base_dir);
	else
		base = base_find(path,
		    jstr(json_object_get(root, "transcript"), "path"));
	if (base == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	cer_text_add(&rep->text, "files relative to: %s\n", base);
	a = json_object_get(root, "outputs");
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *o = json_array_get(a, i);

		if (!json_is_true(json_object_get(o, "written"))) {
			cer_text_add(&rep->text,
			    "not written: output %s (%s)\n", jstr(o, "name"),
			    jstr(o, "path"));
			continue;
		}
		check_file(rep, base, "output", o);
	}
	a = json_object_get(root, "inputs");
	for (i = 0; i < json_array_size(a); i++)
		check_file(rep, base, "input", json_array_get(a, i));
done:
	if (rep->failed) {
		r = signet_error_set(SIGNET_ERR_VERIFY, "%s: %s", path,
		    rep->first);
		goto out;
	}
	cer_text_add(&rep->text, "verified%s\n",
	    rep->missing > 0 ? " (some files were missing and not checked)"
			     : "");
	r = 0;
out:
	if (rep->text.failed && r == 0)
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (r == 0 || rep->text.s != NULL) {
		*out = rep;
		rep = NULL;
	}
	signet_transcript_report_free(rep);
	json_decref(root);
	free(canon);
	free(base);
	free(text);
	return r;
}

void
signet_transcript_report_free(struct signet_transcript_report *rep)
{
	if (rep == NULL)
		return;
	cer_text_free(&rep->text);
	free(rep);
}

const char *
signet_transcript_report_text(const struct signet_transcript_report *rep)
{
	return rep->text.s != NULL ? rep->text.s : "";
}

const char *
signet_transcript_report_outcome(const struct signet_transcript_report *rep)
{
	return rep->outcome;
}

size_t
signet_transcript_report_changed(const struct signet_transcript_report *rep)
{
	return rep->changed;
}

size_t
signet_transcript_report_missing(const struct signet_transcript_report *rep)
{
	return rep->missing;
}
