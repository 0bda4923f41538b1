/*
 * Key ceremonies: root-key (the root key pair on the root token) and
 * intermediate-key (the online CA's key, its CSR, and optionally its audit
 * key, on the online token). The token module generates and checks the
 * keys and refuses a label or id in use; this file decides what to make and
 * records it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"

static void
plan_generate(struct signet_ceremony *c, const char *what,
    const struct cer_key_cfg *k)
{
	char id[2 * SIGNET_KEY_ID_MAX + 1];

	hex_encode(k->id, k->id_len, id);
	cer_text_add(&c->plan_body, "%-22s '%s' id %s, %s\n", what, k->label,
	    id, signet_key_type_name(k->type));
	cer_text_add(&c->plan_body, "%-22s %s\n", "",
	    k->backup == CER_BACKUP_TRUSTED_WRAP
		? "sensitive; extractable only when wrapped by a key the "
		  "token's security officer marked trusted (for key-backup)"
		: "sensitive, never extractable: it cannot leave the token");
}

int
cer_key_prepare(struct signet_ceremony *c)
{
	struct signet_token *tok = NULL;
	char *name;
	int r;

	if ((r = cer_token_open(c, &c->token, &tok)) != 0)
		return r;
	/* The token module refuses too; this says so before anyone confirms. */
	if ((r = cer_key_absent(tok, &c->key)) != 0)
		return r;
	if (c->audit_key.present &&
	    (r = cer_key_absent(tok, &c->audit_key)) != 0)
		return r;
	cer_text_add(&c->plan_body, "\n");
	plan_generate(c, "Key to generate", &c->key);
	if (c->audit_key.present)
		plan_generate(c, "Audit key to generate", &c->audit_key);
	if (c->type == SIGNET_CEREMONY_INTERMEDIATE_KEY) {
		name = cer_name_text(c->subject);
		cer_text_add(&c->plan_body,
		    "%-22s subject %s, signed by the new key\n", "CSR",
		    name != NULL ? name : "?");
		free(name);
	}
	cer_text_add(&c->plan_body, "%-22s signed by the new %s key\n",
	    "Transcript",
	    c->type == SIGNET_CEREMONY_ROOT_KEY ? "root" : "intermediate");
	cer_step(c, "prepare", "label%s and id%s free on token '%s'",
	    c->audit_key.present ? "s" : "", c->audit_key.present ? "s" : "",
	    signet_token_label(tok));
	return 0;
}

/* The public key PEM output (name) and its facts. */
static int
key_output_pubkey(struct signet_ceremony *c, const char *name,
    const struct signet_key *key)
{
	struct cer_output *o = cer_output_get(c, name);
	const struct signet_key_info *ki = signet_key_get0_info(key);
	char id[2 * SIGNET_KEY_ID_MAX + 1];
	int r;

	if (o == NULL)
		return 0;
	if ((r = cer_pubkey_pem(signet_key_get0_pubkey(key), &o->data,
		 &o->len)) != 0 ||
	    (r = cer_spki_sha256(signet_key_get0_pubkey(key),
		 o->pub.fingerprint)) != 0)
		return r;
	hex_encode(ki->id, ki->id_len, id);
	if ((o->details = json_object()) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	json_object_set_new(o->details, "spki_sha256",
	    json_string(o->pub.fingerprint));
	json_object_set_new(o->details, "key_label", json_string(ki->label));
	json_object_set_new(o->details, "key_id", json_string(id));
	json_object_set_new(o->details, "key_type", json_string(ki->type_name));
	return 0;
}

static int
key_generate(struct signet_ceremony *c, struct signet_token *tok,
    const struct cer_key_cfg *cfg, const char *role, struct signet_key **out)
{
	struct signet_key *key = NULL;
	unsigned flags = cfg->backup == CER_BACKUP_TRUSTED_WRAP
			     ? SIGNET_KEYGEN_TRUSTED_WRAP
			     : 0;
	int r;

	*out = NULL;
	if ((r = signet_key_generate_flags(tok, cfg->type, cfg->label, cfg->id,
		 cfg->id_len, flags, &key)) != 0)
		return r;
	/* Recorded (and owned) by the ceremony from here on. */
	if ((r = cer_key_add(c, tok, key, role)) != 0)
		return r;
	*out = key;
	return 0;
}

int
cer_key_execute(struct signet_ceremony *c)
{
	struct signet_token *tok = c->tokens[0];
	struct signet_key *key = NULL, *audit = NULL;
	struct signet_signer *signer = NULL;
	struct cer_output *o;
	uint8_t *der = NULL;
	size_t len = 0;
	char *line = NULL;
	int r = SIGNET_ERR_INTERNAL;

	if ((r = key_generate(c, tok, &c->key, "generated", &key)) != 0)
		goto out;
	/* From here on the transcript can be signed by the new key. */
	c->transcript_key = key;
	if ((r = key_output_pubkey(c, "public-key", key)) != 0)
		goto out;
	if ((o = cer_output_get(c, "fingerprint")) != NULL) {
		const struct cer_output *pk = cer_output_get(c, "public-key");

		if (asprintf(&line, "%s  SPKI SHA-256 of key '%s' (%s)\n",
			pk->pub.fingerprint, c->key.label, pk->path) == -1) {
			line = NULL;
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		o->data = (uint8_t *)line;
		o->len = strlen(line);
		line = NULL;
	}
	if (c->type == SIGNET_CEREMONY_INTERMEDIATE_KEY) {
		o = cer_output_get(c, "csr");
		if ((r = signet_key_signer(key, &signer)) != 0 ||
		    (r = signet_csr_build(c->subject, signer, 0, &der, &len)) !=
			0 ||
		    (r = cer_pem_encode("CERTIFICATE REQUEST", der, len,
			 &o->data, &o->len)) != 0 ||
		    (r = sha256_hex(der, len, o->pub.fingerprint)) != 0)
			goto out;
		cer_step(c, "csr",
		    "CSR signed by the new key and verified with its public "
		    "key; DER SHA-256 %s",
		    o->pub.fingerprint);
		if (c->audit_key.present) {
			if ((r = key_generate(c, tok, &c->audit_key, "audit",
				 &audit)) != 0 ||
			    (r = key_output_pubkey(c, "audit-public-key",
				 audit)) != 0)
				goto out;
		}
	}
	r = 0;
out:
	free(line);
	free(der);
	signet_signer_free(signer);
	return r;
}
