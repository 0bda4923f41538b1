/*
 * Multi-person control of a token (CA/B Forum BR 6.2.2): its user PIN is
 * known to no one, only split among N custodians, M of whom unlock it.
 *
 * Unlocking (token.pin-source: quorum): each custodian present opens
 * their share file with their passphrase; signet checks the shares among
 * themselves (share.c), rebuilds the PIN in locked memory, then, before
 * any login, checks that the token is the split's and still under that
 * split (its public marker object); only then logs in, once.
 *
 * quorum-split: a new PIN from the token's generator replaces the current
 * one (C_SetPIN), split into new shares sealed under each custodian's
 * passphrase; the marker then names the new split, so the old shares are
 * refused before any login.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/fault.h"
#include "util/file.h"
#include "util/secret.h"

#define MARKER_MAX 256

/* The custodian's passphrase; *out NULL: absent (an empty line typed). */
static int
passphrase_get(const struct cer_custodian *cu, int twice,
    struct signet_secret **out)
{
	char what[512];

	*out = NULL;
	snprintf(what, sizeof(what), "passphrase of custodian '%s' (%s)%s",
	    cu->name, cu->share, twice ? "" : ", or an empty line if absent");
	if (strcmp(cu->passphrase_source, "prompt") != 0)
		return secret_from_spec(cu->passphrase_source, what, out);
	if (!secret_can_prompt())
		return signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "custodian '%s' is to type their passphrase, and there is "
		    "no terminal to ask on: run the ceremony at a terminal",
		    cu->name);
	return twice ? secret_prompt_twice(what, out)
		     : secret_prompt_optional(what, out);
}

/* A share on paper; *out NULL: absent (an empty line typed). */
static int
words_get(const struct cer_custodian *cu, struct cer_share **out)
{
	struct signet_secret *words = NULL;
	char what[512];
	const char *w;
	size_t len = 0;
	int r;

	*out = NULL;
	snprintf(what, sizeof(what),
	    "share words of custodian '%s', all on one line%s", cu->name,
	    strcmp(cu->words_source, "prompt") == 0 ? " (empty if absent)"
						    : "");
	if (strcmp(cu->words_source, "prompt") != 0)
		r = secret_from_spec(cu->words_source, what, &words);
	else if (!secret_can_prompt())
		r = signet_error_set(SIGNET_ERR_PIN_SOURCE,
		    "custodian '%s' is to type their share words, and there "
		    "is no terminal to ask on",
		    cu->name);
	else
		r = secret_prompt_optional(what, &words);
	if (r != 0 || words == NULL)
		return r;
	w = secret_get0(words, &len);
	r = cer_share_from_words(w, len, cu->name, out);
	secret_free(words);
	return r;
}

static json_t *
quorum_json_get(struct signet_ceremony *c, const char *member)
{
	json_t *o;

	if (c->quorum == NULL && (c->quorum = json_object()) == NULL)
		return NULL;
	if ((o = json_object_get(c->quorum, member)) == NULL) {
		o = json_object();
		json_object_set_new(c->quorum, member, o);
	}
	return o;
}

static void
split_json(json_t *o, const struct cer_split *sp)
{
	json_object_set_new(o, "split_id", json_string(sp->id));
	json_object_set_new(o, "split_created", json_string(sp->created));
	json_object_set_new(o, "threshold", json_integer(sp->threshold));
	json_object_set_new(o, "shares", json_integer(sp->count));
	json_object_set_new(o, "token_label", json_string(sp->token_label));
	json_object_set_new(o, "token_serial", json_string(sp->token_serial));
}

static json_t *
custodian_json(const struct cer_share *sh)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(cer_share_custodian(sh)));
	json_object_set_new(o, "share_id", json_integer(sh->id));
	json_object_set_new(o, "share_fingerprint",
	    json_string(sh->fingerprint));
	return o;
}

/* Who took part, even in a refused unlock; never a share or the PIN. */
static void
unlock_record(struct signet_ceremony *c, struct cer_share *const *shares,
    size_t n, int ok)
{
	json_t *o = quorum_json_get(c, "unlock"), *a;
	size_t i;

	if (o == NULL)
		return;
	if (n > 0)
		split_json(o, &shares[0]->split);
	json_object_set_new(o, "rebuilt", json_boolean(ok));
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, custodian_json(shares[i]));
	json_object_set_new(o, "custodians", a);
}

int
cer_quorum_unlock(struct signet_ceremony *c, struct signet_secret **pin,
    struct cer_split *split)
{
	int r = SIGNET_ERR_INTERNAL;
	struct cer_share *shares[CER_QUORUM_MAX] = { 0 };
	struct signet_secret *pass = NULL;
	const struct cer_custodian *cu;
	uint8_t *data = NULL;
	size_t n = 0, len = 0, i, plen = 0;
	unsigned need = 0;
	const char *p;

	*pin = NULL;
	for (i = 0; i < c->unlock.n && (need == 0 || n < need); i++) {
		cu = &c->unlock.custodians[i];
		if (cu->words_source != NULL) {
			if ((r = words_get(cu, &shares[n])) != 0)
				goto out;
			if (shares[n] == NULL) {
				cer_step(c, "quorum-absent",
				    "custodian '%s' is not present", cu->name);
				continue;
			}
			cer_step(c, "quorum-share",
			    "custodian '%s' gave share %u of %u of split %s "
			    "on paper (fingerprint %s)",
			    cu->name, shares[n]->id, shares[n]->split.count,
			    shares[n]->split.id, shares[n]->fingerprint);
			if (need == 0)
				need = shares[n]->split.threshold;
			n++;
			continue;
		}
		if ((r = passphrase_get(cu, 0, &pass)) != 0)
			goto out;
		if (pass == NULL) {
			cer_step(c, "quorum-absent",
			    "custodian '%s' is not present", cu->name);
			continue;
		}
		if ((r = file_read(cu->share_full, CER_SHARE_FILE_MAX, &data,
			 &len)) != 0) {
			signet_error_context(r,
			    "the share file of custodian '%s'", cu->name);
			goto out;
		}
		p = secret_get0(pass, &plen);
		if ((r = cer_share_open(data, len, cu->share, p, plen,
			 &shares[n])) != 0)
			goto out;
		free(data);
		data = NULL;
		secret_free(pass);
		pass = NULL;
		if (strcmp(cer_share_custodian(shares[n]), cu->name) != 0) {
			r = signet_error_set(SIGNET_ERR_VERIFY,
			    "%s is the share of custodian '%s', not of '%s': "
			    "each custodian brings their own share",
			    cu->share, cer_share_custodian(shares[n]),
			    cu->name);
			cer_share_free(shares[n]);
			shares[n] = NULL;
			goto out;
		}
		cer_step(c, "quorum-share",
		    "custodian '%s' opened share %u of %u of split %s "
		    "(fingerprint %s)",
		    cu->name, shares[n]->id, shares[n]->split.count,
		    shares[n]->split.id, shares[n]->fingerprint);
		if (need == 0)
			need = shares[n]->split.threshold;
		n++;
	}
	if ((r = cer_shares_combine(shares, n, pin)) != 0)
		goto out;
	*split = cer_shares_ref(shares, n)->split;
	cer_step(c, "quorum-unlock",
	    "%zu of %u custodians rebuilt the PIN of split %s (needs %u); "
	    "its check value matches",
	    n, shares[0]->split.count, shares[0]->split.id,
	    shares[0]->split.threshold);
	r = 0;
out:
	unlock_record(c, shares, n, r == 0);
	if (r != 0)
		signet_error_context(r,
		    "unlocking the token with its custodians' shares (no "
		    "login was tried)");
	free(data);
	secret_free(pass);
	for (i = 0; i < n; i++)
		cer_share_free(shares[i]);
	return r;
}

int
cer_quorum_before_login(void *arg, struct signet_token *tok)
{
	const struct cer_split *sp = arg;
	char want[MARKER_MAX], have[MARKER_MAX], id[33] = "";
	uint8_t *value = NULL;
	size_t len = 0;
	int r;

	if (sp->token_serial[0] != '\0' &&
	    strcmp(signet_token_serial(tok), sp->token_serial) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "the shares are of token '%s' serial %s, and this is token "
		    "'%s' serial %s; no login was tried",
		    sp->token_label, sp->token_serial, signet_token_label(tok),
		    signet_token_serial(tok));
	if ((r = cer_split_marker(sp, want, sizeof(want))) != 0 ||
	    (r = signet_token_data_get(tok, CER_QUORUM_MARKER_LABEL, &value,
		 &len)) != 0)
		return r;
	/* No marker: a split that never finished, or a token split by hand. */
	if (value == NULL)
		return 0;
	snprintf(have, sizeof(have), "%.*s",
	    (int)(len < sizeof(have) ? len : sizeof(have) - 1),
	    (const char *)value);
	free(value);
	if (len == strlen(want) && strcmp(have, want) == 0)
		return 0;
	/* Shares on paper only: their digest is abridged. */
	if (strlen(sp->digest) < 64 && strncmp(have, want, strlen(want)) == 0)
		return 0;
	if (sscanf(have, "signet-quorum/1 split=%32[0-9a-f]", id) != 1)
		snprintf(id, sizeof(id), "?");
	return signet_error_set(SIGNET_ERR_VERIFY,
	    "token '%s' is under split %s, and these shares are of split %s: "
	    "the custodians were changed since (quorum-split), and the shares "
	    "of an earlier split no longer open the token; no login was tried",
	    signet_token_label(tok), id, sp->id);
}

/* ---- quorum-split -------------------------------------------------------- */

int
cer_quorum_prepare(struct signet_ceremony *c)
{
	struct cer_text *t = &c->plan_body;
	struct signet_token *tok = NULL;
	struct signet_key *key = NULL;
	size_t i;
	int r;

	if ((r = cer_token_open(c, &c->token, &tok)) != 0)
		return r;
	if (c->key.present) {
		if ((r = cer_key_find(c, tok, &c->key, "signing", &key)) != 0)
			return r;
		c->transcript_key = key;
		cer_plan_key(t, "Transcript signed by", tok, key);
	}
	for (i = 0; i < c->split.n; i++)
		if (c->split.custodians[i].paper && !secret_can_prompt())
			return signet_error_set(SIGNET_ERR_USAGE,
			    "custodian '%s' is to write their share down as "
			    "words, and there is no terminal to show them on",
			    c->split.custodians[i].name);
	cer_text_add(t, "%-22s %u of %zu custodians (2 <= M <= N <= %d)\n",
	    "Quorum to set up", c->split.threshold, c->split.n, CER_QUORUM_MAX);
	cer_text_add(t,
	    "%-22s a new user PIN from the token's generator "
	    "replaces the current one,\n%-22s which stops working; "
	    "no one sees the new PIN\n",
	    "", "");
	if (c->token.quorum)
		cer_text_add(t, "%-22s the shares of split %s stop working\n",
		    "",
		    json_string_value(
			json_object_get(json_object_get(c->quorum, "unlock"),
			    "split_id")));
	for (i = 0; i < c->split.n; i++)
		cer_text_add(t,
		    "%-22s share %zu: %s -> %s (passphrase: %s)%s\n",
		    i == 0 ? "Custodians" : "", i + 1,
		    c->split.custodians[i].name, c->split.custodians[i].share,
		    c->split.custodians[i].passphrase_source,
		    c->split.custodians[i].paper ? ", and on paper" : "");
	return 0;
}

/*
 * The share as words, on the terminal only: never standard output, a
 * log or the transcript.
 */
static int
words_show(struct signet_ceremony *c, const struct cer_share *sh)
{
	struct signet_secret *words = NULL;
	char head[512];
	int r;

	if ((r = cer_share_words(sh, &words)) != 0)
		return r;
	snprintf(head, sizeof(head),
	    "\nShare %u of %u for custodian '%s', on paper: write these %d "
	    "words down,\nread them back, and keep them as safe as the "
	    "share file. They are shown once.",
	    sh->id, sh->split.count, cer_share_custodian(sh), 36);
	secret_prompt_notice(head);
	secret_prompt_notice(secret_get0(words, NULL));
	secret_free(words);
	cer_step(c, "quorum-paper",
	    "share %u shown as words to custodian '%s' at the terminal", sh->id,
	    cer_share_custodian(sh));
	return 0;
}

/* Remove share files written by a split that did not take. */
static void
split_unwind(struct signet_ceremony *c, const int *written)
{
	size_t i;

	for (i = 0; i < c->split.n; i++)
		if (written[i])
			(void)unlink(c->split.custodians[i].share_full);
}

int
cer_quorum_execute(struct signet_ceremony *c)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_token *tok = c->tokens[0];
	struct cer_share *shares[CER_QUORUM_MAX] = { 0 };
	uint8_t *files[CER_QUORUM_MAX] = { 0 };
	size_t lens[CER_QUORUM_MAX] = { 0 };
	int written[CER_QUORUM_MAX] = { 0 };
	const char *names[CER_QUORUM_MAX];
	struct signet_secret *pin = NULL, *pass = NULL;
	char marker[MARKER_MAX], sha[65];
	const char *p;
	json_t *o, *a, *e;
	size_t i, plen = 0, n = c->split.n;
	int pin_set = 0;

	for (i = 0; i < n; i++)
		names[i] = c->split.custodians[i].name;
	if ((r = cer_split_make(cer_token_random, tok, c->split.threshold,
		 (unsigned)n, names, signet_token_label(tok),
		 signet_token_serial(tok), &pin, shares)) != 0)
		goto out;
	cer_step(c, "quorum-split",
	    "split %s: a new PIN from the token's generator, in %zu shares, "
	    "%u needed",
	    shares[0]->split.id, n, c->split.threshold);
	/* Every passphrase before anything is written or changed. */
	for (i = 0; i < n; i++) {
		if ((r = passphrase_get(&c->split.custodians[i], 1, &pass)) !=
		    0)
			goto out;
		p = secret_get0(pass, &plen);
		if ((r = cer_share_seal(shares[i], p, plen, &files[i],
			 &lens[i])) != 0)
			goto out;
		secret_free(pass);
		pass = NULL;
	}
	/* The shares exist before the PIN they hold does. */
	for (i = 0; i < n; i++) {
		if ((r = SIGNET_FAULT("quorum.write")) != 0 ||
		    (r = file_write_excl(c->split.custodians[i].share_full,
			 files[i], lens[i], 0600)) != 0) {
			signet_error_context(r, "writing the share of '%s'",
			    names[i]);
			goto out;
		}
		written[i] = 1;
		if ((r = sha256_hex(files[i], lens[i], sha)) != 0)
			goto out;
		cer_step(c, "write",
		    "share %zu of custodian '%s': %s, SHA-256 %s", i + 1,
		    names[i], c->split.custodians[i].share, sha);
	}
	if ((r = cer_split_marker(&shares[0]->split, marker, sizeof(marker))) !=
		0 ||
	    (r = signet_token_data_set(tok, CER_QUORUM_MARKER_LABEL, NULL,
		 0)) != 0 ||
	    (r = SIGNET_FAULT("quorum.setpin")) != 0)
		goto out;
	p = secret_get0(pin, &plen);
	if ((r = signet_token_set_pin(tok, p, plen)) != 0)
		goto out;
	pin_set = 1;
	cer_step(c, "set-pin",
	    "the token's user PIN is now the split's; the former PIN and "
	    "shares no longer open it");
	if ((r = signet_token_data_set(tok, CER_QUORUM_MARKER_LABEL,
		 (const uint8_t *)marker, strlen(marker))) != 0) {
		signet_error_context(r,
		    "the new PIN is set and the new shares open the token, "
		    "but the marker naming split %s could not be written, so "
		    "old shares are not refused before a login",
		    shares[0]->split.id);
		goto out;
	}
	cer_step(c, "quorum-marker", "token object '%s': %s",
	    CER_QUORUM_MARKER_LABEL, marker);
	for (i = 0; i < n; i++)
		if (c->split.custodians[i].paper &&
		    (r = words_show(c, shares[i])) != 0)
			goto out;
	r = 0;
out:
	if (r != 0 && !pin_set)
		split_unwind(c, written);
	if (shares[0] != NULL && (o = quorum_json_get(c, "split")) != NULL) {
		split_json(o, &shares[0]->split);
		json_object_set_new(o, "pin_set", json_boolean(pin_set));
		a = json_array();
		for (i = 0; i < n; i++) {
			e = custodian_json(shares[i]);
			json_object_set_new(e, "file",
			    json_string(c->split.custodians[i].share));
			json_object_set_new(e, "written",
			    json_boolean(written[i] && (pin_set || r == 0)));
			if (files[i] != NULL &&
			    sha256_hex(files[i], lens[i], sha) == 0)
				json_object_set_new(e, "file_sha256",
				    json_string(sha));
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "custodians", a);
	}
	secret_free(pin);
	secret_free(pass);
	for (i = 0; i < n; i++) {
		cer_share_free(shares[i]);
		free(files[i]);
	}
	return r;
}
