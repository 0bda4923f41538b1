/*
 * key-backup: copy a root key to a second token by wrapping, where the key
 * was made for it (docs/ceremony.md, "Backing up a root key"). The token
 * module does the wrapping (signet_key_backup); a key that cannot be
 * wrapped is refused before the plan, with the reason and the alternative.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ceremony/ceremony_int.h"

int
cer_backup_prepare(struct signet_ceremony *c)
{
	const struct cer_input *in = cer_input_get(c, "public-key");
	struct signet_token *src = NULL, *dst = NULL;
	struct signet_key *key = NULL;
	struct cer_text *t = &c->plan_body;
	EVP_PKEY *pub = NULL;
	int r;

	if ((r = cer_token_open(c, &c->token, &src)) != 0)
		return r;
	if ((r = cer_key_find(c, src, &c->key, "to back up", &key)) != 0)
		return signet_error_context(r, "finding the key to back up");
	c->transcript_key = key;
	cer_text_add(t, "\n");
	cer_plan_key(t, "Key to back up", src, key);
	if (in != NULL) {
		if ((r = cer_pubkey_parse(in->data, in->len,
			 "inputs.public-key", &pub)) != 0)
			return r;
		if (EVP_PKEY_eq(pub, signet_key_get0_pubkey(key)) != 1) {
			ERR_clear_error();
			EVP_PKEY_free(pub);
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "inputs.public-key (%s) is not the public key of "
			    "key '%s' on token '%s'; this is the wrong key or "
			    "the wrong token",
			    in->path, c->key.label, signet_token_label(src));
		}
		EVP_PKEY_free(pub);
		cer_step(c, "check-key",
		    "inputs.public-key matches the key to back up");
	}
	cer_text_add(t, "\n");
	if ((r = cer_token_open(c, &c->backup_token, &dst)) != 0)
		return r;
	if ((r = signet_key_backup_check(key, dst)) != 0)
		return r;
	cer_step(c, "prepare",
	    "key '%s' can be wrapped; token '%s' offers the mechanisms and "
	    "has room for the copy",
	    c->key.label, signet_token_label(dst));
	cer_text_add(t,
	    "\nBackup by wrapping (nothing leaves a token in the clear):\n"
	    "  1. token '%s' makes a one-time RSA-3072 transport key pair\n"
	    "  2. token '%s', logged in as its SECURITY OFFICER (SO PIN "
	    "from %s),\n"
	    "     marks the transport public key trusted and makes a "
	    "one-time\n"
	    "     AES-256 key, wrapped to the transport key (RSA-OAEP)\n"
	    "  3. logged in as the user again, it wraps key '%s' with the "
	    "AES key\n"
	    "     (AES key wrap with padding, RFC 5649)\n"
	    "  4. token '%s' unwraps both; the copy keeps label '%s' and "
	    "the same\n"
	    "     attributes, and signs a test message checked with the "
	    "key's\n"
	    "     public key; the one-time keys are destroyed\n",
	    signet_token_label(dst), signet_token_label(src),
	    c->token.so_pin_source != NULL ? c->token.so_pin_source : "prompt",
	    c->key.label, signet_token_label(dst), c->key.label);
	cer_text_add(t, "%-22s signed by key '%s'\n", "Transcript",
	    c->key.label);
	return 0;
}

int
cer_backup_execute(struct signet_ceremony *c)
{
	struct signet_backup_info info;
	struct signet_key *copy = NULL;
	struct signet_token *dst = c->tokens[1];
	int r;

	memset(&info, 0, sizeof(info));
	if ((r = signet_key_backup(c->transcript_key, c->token.so_pin_source,
		 dst, &copy, &info)) != 0)
		return r;
	json_object_set_new(c->extra, "transport_key_spki_sha256",
	    json_string(info.transport_spki_sha256));
	json_object_set_new(c->extra, "transport_mechanism",
	    json_string(info.transport_mechanism));
	json_object_set_new(c->extra, "wrap_mechanism",
	    json_string(info.wrap_mechanism));
	json_object_set_new(c->extra, "wrapped_key_bytes",
	    json_integer((json_int_t)info.wrapped_len));
	cer_step(c, "backup",
	    "key wrapped with %s under a one-time key sent with %s "
	    "(transport key SPKI SHA-256 %s); copy unwrapped on token '%s'",
	    info.wrap_mechanism, info.transport_mechanism,
	    info.transport_spki_sha256, signet_token_label(dst));
	if ((r = cer_key_add(c, dst, copy, "backup copy")) != 0)
		return r;
	cer_step(c, "check-copy",
	    "the copy signed a random message that verifies with the key's "
	    "public key");
	return 0;
}
