/*
 * PKCS#11 tokens: the only part of signet that talks to a token. Tokens and
 * keys are named by RFC 7512 PKCS#11 URIs.
 *
 * A signet_token is one loaded module, one token in it, and one login. Keys
 * found on it hand out signers (include/signet/signer.h) that sign in the
 * token with one session per concurrently signing thread, and that recover a
 * lost session or a re-inserted token by reopening and logging in again with
 * the PIN already given. A failed login is never retried by signet: a wrong
 * PIN must not burn the token's retry counter.
 */
#ifndef SIGNET_TOKEN_H
#define SIGNET_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "signet/error.h"
#include "signet/signer.h"

#define SIGNET_KEY_ID_MAX 64

/* ---- RFC 7512 URIs ---------------------------------------------------- */

struct signet_p11_uri;

/* Accept a pin-value attribute (with a warning); refused otherwise. */
#define SIGNET_URI_ALLOW_PIN_VALUE 0x01

/*
 * Parse "pkcs11:token=...;object=...;id=%01%02;type=private?module-path=...
 * &pin-source=file:...". Percent-encoding is decoded; unknown path
 * attributes and repeated attributes are refused (SIGNET_ERR_URI, naming
 * the attribute).
 */
int signet_uri_parse(const char *text, unsigned flags,
    struct signet_p11_uri **out) SIGNET_WUR;
void signet_uri_free(struct signet_p11_uri *uri);
/* A copy with the PIN value removed, for logs and messages. */
char *signet_uri_to_string(const struct signet_p11_uri *uri);

/* Borrowed attribute values; NULL when absent. */
const char *signet_uri_get0_token(const struct signet_p11_uri *uri);
const char *signet_uri_get0_serial(const struct signet_p11_uri *uri);
const char *signet_uri_get0_manufacturer(const struct signet_p11_uri *uri);
const char *signet_uri_get0_model(const struct signet_p11_uri *uri);
const char *signet_uri_get0_object(const struct signet_p11_uri *uri);
const char *signet_uri_get0_type(const struct signet_p11_uri *uri);
/* id bytes; *len set, NULL when absent. */
const uint8_t *
signet_uri_get0_id(const struct signet_p11_uri *uri, size_t *len);
const char *signet_uri_get0_module_path(const struct signet_p11_uri *uri);
const char *signet_uri_get0_pin_source(const struct signet_p11_uri *uri);
int signet_uri_has_pin_value(const struct signet_p11_uri *uri);

/* ---- Key types ---------------------------------------------------------- */

enum signet_key_type {
	SIGNET_KEY_NONE = 0,
	SIGNET_KEY_EC_P256,
	SIGNET_KEY_EC_P384,
	SIGNET_KEY_EC_P521,
	SIGNET_KEY_RSA_2048,
	SIGNET_KEY_RSA_3072,
	SIGNET_KEY_RSA_4096,
};

/* "ec-p256" ... "rsa-4096" and back; SIGNET_ERR_USAGE on unknown names. */
const char *signet_key_type_name(enum signet_key_type type);
int
signet_key_type_parse(const char *name, enum signet_key_type *out) SIGNET_WUR;

/* ---- Opening a token ---------------------------------------------------- */

struct signet_token_opts {
	/* Module to load when the URI has no module-path (or to override). */
	const char *module_path;
	/*
	 * Where the PIN comes from when the URI has no pin-source:
	 * "file:PATH", "env:NAME" or "prompt". NULL: prompt if a terminal is
	 * attached, else fail with SIGNET_ERR_PIN_SOURCE.
	 */
	const char *pin_source;
	/* Accept pin-value in the URI (the operator opted in, and was warned). */
	int allow_pin_in_uri;
	/* Most sessions the signer pool opens at once (0: 8). */
	unsigned max_sessions;
};

/* The module used when neither the URI nor the options name one. */
#define SIGNET_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

struct signet_token;

/*
 * Load the module, find the one token the URI's token attributes match, and
 * log in as user. Before logging in, the token's flags are checked:
 * CKF_USER_PIN_LOCKED fails with SIGNET_ERR_PIN_LOCKED; CKF_USER_PIN_FINAL_TRY
 * fails likewise unless the PIN comes from an interactive prompt.
 * More than one matching token is an error naming them.
 */
int signet_token_open(const struct signet_p11_uri *uri,
    const struct signet_token_opts *opts, struct signet_token **out) SIGNET_WUR;
/* Logs out, closes sessions, wipes the PIN, finalizes the module. */
void signet_token_free(struct signet_token *tok);

const char *signet_token_label(const struct signet_token *tok);
const char *signet_token_serial(const struct signet_token *tok);
const char *signet_token_model(const struct signet_token *tok);
const char *signet_token_manufacturer(const struct signet_token *tok);
/* Times a lost session or removed token was recovered from. */
unsigned long signet_token_recoveries(const struct signet_token *tok);

/* Random bytes from the token's generator (C_GenerateRandom). */
int signet_token_random(struct signet_token *tok, uint8_t *buf, size_t len)
    SIGNET_WUR;

/* ---- Keys ----------------------------------------------------------------- */

struct signet_key;

/*
 * Generate a key pair on the token: private key CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_SIGN; public key CKA_VERIFY; both
 * with label and id. Refuses (SIGNET_ERR_CONFLICT) if any object with that
 * label or id exists. After generation the attributes are read back and a
 * key that came out extractable or not sensitive is refused
 * (SIGNET_ERR_KEY_UNSAFE). id may be NULL: a random 16-byte id is chosen.
 */
int signet_key_generate(struct signet_token *tok, enum signet_key_type type,
    const char *label, const uint8_t *id, size_t id_len,
    struct signet_key **out) SIGNET_WUR;

/*
 * Find the one private key the URI's object/id attributes name. The key's
 * attributes are checked as after generation; an unsafe key is refused.
 */
int signet_key_find(struct signet_token *tok, const struct signet_p11_uri *uri,
    struct signet_key **out) SIGNET_WUR;
void signet_key_free(struct signet_key *key);

EVP_PKEY *signet_key_get0_pubkey(const struct signet_key *key);
enum signet_key_type signet_key_type(const struct signet_key *key);
const char *signet_key_label(const struct signet_key *key);
const uint8_t *signet_key_id(const struct signet_key *key, size_t *len);
/* "pkcs11:token=...;object=...;id=...;type=private", freshly allocated. */
char *signet_key_uri(const struct signet_key *key);

/*
 * A signer that signs in the token with this key (the key must outlive it).
 * Safe to use from several threads at once.
 */
int signet_key_signer(struct signet_key *key, struct signet_signer **out)
    SIGNET_WUR;

/* ---- Listing -------------------------------------------------------------- */

struct signet_token_info {
	unsigned long slot_id;
	char slot_description[65];
	int token_present;
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	int initialized;
	int login_required;
	int pin_locked;
	int pin_final_try;
	int pin_count_low;
};

struct signet_key_info {
	char label[129];
	uint8_t id[SIGNET_KEY_ID_MAX];
	size_t id_len;
	enum signet_key_type type; /* SIGNET_KEY_NONE if not one of ours */
	char type_name[32];        /* "ec-p256", "rsa-2048", or e.g. "ec" */
	unsigned bits;
	int sensitive;
	int extractable;
	int always_sensitive;
	int never_extractable;
};

typedef int (*signet_token_list_cb)(void *arg,
    const struct signet_token_info *token, const struct signet_key_info *key);

/*
 * Walk every slot of the module: cb is called once per slot with key NULL,
 * then once per private key on it if the token is open (logged in when a
 * PIN source is given in opts, else public objects only). A non-zero return
 * from cb stops the walk and is returned.
 */
int
signet_token_list(const char *module_path, const struct signet_token_opts *opts,
    signet_token_list_cb cb, void *arg) SIGNET_WUR;

#endif /* SIGNET_TOKEN_H */
