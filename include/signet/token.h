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
 *
 * Modules are loaded with dlopen and initialised (C_Initialize with
 * CKF_OS_LOCKING_OK) on the first open of a module path, and finalised when
 * the last token and listing on that path is done; any number of
 * signet_token objects, on the same token or on different ones, may be open
 * at once.
 *
 * fork(): PKCS#11 modules do not survive fork() after C_Initialize. A process
 * must not fork while a token is open, or must open its tokens again in the
 * child (after closing every inherited one in the parent): an inherited
 * token refuses to work in the child, with an error saying so.
 */
#ifndef SIGNET_TOKEN_H
#define SIGNET_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "signet/error.h"
#include "signet/signer.h"

#define SIGNET_KEY_ID_MAX 64
#define SIGNET_KEY_LABEL_MAX 128

/* ---- RFC 7512 URIs ---------------------------------------------------- */

struct signet_p11_uri;

/* Accept a pin-value attribute; refused otherwise (SIGNET_ERR_URI). */
#define SIGNET_URI_ALLOW_PIN_VALUE 0x01

/*
 * Parse "pkcs11:token=...;object=...;id=%01%02;type=private?module-path=...
 * &pin-source=file:...". Path attributes: token, manufacturer, serial,
 * model, object, id, type, library-manufacturer, library-description,
 * library-version, slot-id, slot-description, slot-manufacturer. Query
 * attributes: module-path, pin-source, pin-value (only with
 * SIGNET_URI_ALLOW_PIN_VALUE). Percent-encoding is decoded; unknown and
 * repeated attributes, empty values, characters RFC 7512 requires to be
 * escaped and malformed escapes are refused (SIGNET_ERR_URI, naming the
 * attribute; a PIN is never quoted).
 */
int signet_uri_parse(const char *text, unsigned flags,
    struct signet_p11_uri **out) SIGNET_WUR;
void signet_uri_free(struct signet_p11_uri *uri);
/*
 * The URI in canonical form without any pin-value, for logs and messages;
 * freshly allocated, NULL when out of memory.
 */
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

struct signet_token;

struct signet_token_opts {
	/*
	 * Module to load when the URI has no module-path (NULL:
	 * SIGNET_DEFAULT_MODULE). A URI module-path naming another module
	 * is refused rather than silently preferred.
	 */
	const char *module_path;
	/*
	 * Where the PIN comes from when the URI has neither pin-source nor
	 * pin-value: "file:PATH", "env:NAME" or "prompt". NULL: prompt if a
	 * terminal is attached, else fail with SIGNET_ERR_PIN_SOURCE. Two
	 * sources at once are refused.
	 */
	const char *pin_source;
	/*
	 * Use a pin-value in the URI (which the parser accepts only with
	 * SIGNET_URI_ALLOW_PIN_VALUE): both opt-ins are needed, so a URI
	 * parsed leniently elsewhere cannot slip a PIN in.
	 */
	int allow_pin_in_uri;
	/* Most sessions the signer pool opens at once (0: 8). */
	unsigned max_sessions;
	/*
	 * Accept private keys that are extractable only under a trusted
	 * wrapping key (CKA_WRAP_WITH_TRUSTED, as signet_key_generate_flags
	 * makes them for backup), which are otherwise refused as unsafe.
	 * For key ceremonies; the online CA leaves it 0.
	 */
	int allow_trusted_wrap;
	/*
	 * A PIN the caller holds in locked memory (a quorum's, rebuilt from
	 * custodians' shares): one more PIN source, exclusive with the
	 * others. Copied; the caller wipes its own.
	 */
	const char *pin;
	size_t pin_len;
	/*
	 * Called once the token is found and before any PIN is read or any
	 * login tried; label and serial are known and signet_token_data_get
	 * works. A non-zero return (an error set) stops the open there.
	 */
	int (*before_login)(void *arg, struct signet_token *tok);
	void *before_login_arg;
};

/* The module used when neither the URI nor the options name one. */
#define SIGNET_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

/*
 * Load the module, find the one initialised token the URI's token
 * attributes match, and log in as user (if the token requires a login).
 * Before logging in, the token's flags are checked: CKF_USER_PIN_LOCKED
 * fails with SIGNET_ERR_PIN_LOCKED; CKF_USER_PIN_FINAL_TRY fails likewise
 * unless the PIN comes from an interactive prompt. No token matching is
 * SIGNET_ERR_TOKEN_NOT_FOUND listing the tokens there are; several is
 * SIGNET_ERR_URI naming them. The PIN is kept in locked memory while the
 * token is open, to log in again after a lost session.
 */
int signet_token_open(const struct signet_p11_uri *uri,
    const struct signet_token_opts *opts, struct signet_token **out) SIGNET_WUR;
/*
 * Closes this token's sessions (the module logs the application out when
 * its last session on the token closes), wipes the PIN, and finalizes the
 * module if nothing else in the process uses it.
 */
void signet_token_free(struct signet_token *tok);

const char *signet_token_label(const struct signet_token *tok);
const char *signet_token_serial(const struct signet_token *tok);
const char *signet_token_model(const struct signet_token *tok);
const char *signet_token_manufacturer(const struct signet_token *tok);
const char *signet_token_module_path(const struct signet_token *tok);
/* Times a lost session or removed token was recovered from. */
unsigned long signet_token_recoveries(const struct signet_token *tok);

/* Random bytes from the token's generator (C_GenerateRandom). */
int signet_token_random(struct signet_token *tok, uint8_t *buf, size_t len)
    SIGNET_WUR;

/* ---- PIN change and public data objects (pin.c) ----------------------- */

/*
 * Change the user PIN of the open token to pin (C_SetPIN with the PIN it
 * was opened with); a later login after a lost session uses the new one.
 * A length outside the token's ulMinPinLen..ulMaxPinLen is refused before
 * the call. The caller keeps pin in locked memory and wipes it.
 */
int signet_token_set_pin(struct signet_token *tok, const char *pin, size_t len)
    SIGNET_WUR;
/*
 * The value of the public data object (CKO_DATA, CKA_PRIVATE false)
 * labelled label: freshly allocated into *out, or *out NULL when the token
 * has none. Needs no login (usable from before_login).
 */
int signet_token_data_get(struct signet_token *tok, const char *label,
    uint8_t **out, size_t *len) SIGNET_WUR;
/*
 * Replace the public data objects labelled label by one holding value
 * (application "signet"); value NULL only removes them.
 */
int signet_token_data_set(struct signet_token *tok, const char *label,
    const uint8_t *value, size_t len) SIGNET_WUR;

/* ---- Keys ----------------------------------------------------------------- */

struct signet_key;

/* What signet knows of a private key on a token. */
struct signet_key_info {
	char label[SIGNET_KEY_LABEL_MAX + 1];
	uint8_t id[SIGNET_KEY_ID_MAX];
	size_t id_len;
	enum signet_key_type type; /* SIGNET_KEY_NONE if not one of ours */
	char type_name[32];        /* "ec-p256", "rsa-2048", or e.g. "ec" */
	unsigned bits;
	int sign;
	int sensitive;
	int extractable;
	int always_sensitive;
	int never_extractable;
	int wrap_with_trusted; /* CKA_WRAP_WITH_TRUSTED */
};

/*
 * Generate a key pair on the token: private key CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_SIGN, not CKA_DECRYPT or
 * CKA_UNWRAP; public key CKA_TOKEN, CKA_VERIFY; both with label and id.
 * Refuses (SIGNET_ERR_CONFLICT) if any object with that label or id exists.
 * After generation the attributes are read back and a key that came out
 * extractable or not sensitive is destroyed and refused
 * (SIGNET_ERR_KEY_UNSAFE). id may be NULL: a random 16-byte id from the
 * token is chosen. A type the token's mechanisms do not allow is
 * SIGNET_ERR_TOKEN naming the mechanism or curve.
 */
int signet_key_generate(struct signet_token *tok, enum signet_key_type type,
    const char *label, const uint8_t *id, size_t id_len,
    struct signet_key **out) SIGNET_WUR;

/*
 * Generate a key that can be backed up: CKA_SENSITIVE, CKA_EXTRACTABLE and
 * CKA_WRAP_WITH_TRUSTED, so the token lets it out only wrapped by a key its
 * security officer marked CKA_TRUSTED (signet_key_backup). The token must
 * have been opened with allow_trusted_wrap. A token that does not keep
 * CKA_WRAP_WITH_TRUSTED set is refused and the key pair destroyed
 * (SIGNET_ERR_KEY_UNSAFE).
 */
#define SIGNET_KEYGEN_TRUSTED_WRAP 0x01
int signet_key_generate_flags(struct signet_token *tok,
    enum signet_key_type type, const char *label, const uint8_t *id,
    size_t id_len, unsigned flags, struct signet_key **out) SIGNET_WUR;

/*
 * Find the one private key the URI's object/id attributes name (type, if
 * given, must be "private"). None is SIGNET_ERR_KEY_NOT_FOUND naming the
 * keys there are; several is SIGNET_ERR_URI. The public key comes from the
 * public key object with the same id (or label), else from the private
 * key's own public attributes.
 *
 * A CA key must be sensitive and non-extractable for its whole life: a key
 * that is extractable or not sensitive now, or whose CKA_ALWAYS_SENSITIVE
 * or CKA_NEVER_EXTRACTABLE is false (it was readable or extractable at some
 * point, so it may exist outside the token), is refused with
 * SIGNET_ERR_KEY_UNSAFE naming the attribute. Keys extractable only under
 * a trusted wrapping key pass on a token opened with allow_trusted_wrap.
 *
 * The key is found again after a lost session (token_with_session); one
 * whose public key is not the one found here is refused
 * (SIGNET_ERR_KEY_NOT_FOUND): a replaced key or token never signs.
 */
int signet_key_find(struct signet_token *tok, const struct signet_p11_uri *uri,
    struct signet_key **out) SIGNET_WUR;

/*
 * signet_key_find_flags: accept a key that is sensitive and not extractable
 * now but was not always so, as a key restored from a backup (unwrapped
 * with C_UnwrapKey) or imported is on most tokens. For an operator's
 * explicit decision only (accept-restored-key in signet.yaml or a ceremony
 * file); signet_key_restored then says why the key may exist outside the
 * token, and the caller records and shows it as a warning.
 */
#define SIGNET_KEY_ACCEPT_RESTORED 0x01
int signet_key_find_flags(struct signet_token *tok,
    const struct signet_p11_uri *uri, unsigned flags, struct signet_key **out)
    SIGNET_WUR;
/*
 * NULL for a key that was always sensitive and never extractable; for one
 * accepted with SIGNET_KEY_ACCEPT_RESTORED (or a copy signet_key_backup
 * made), what its attributes say, as a phrase to follow the key's name:
 * "was extractable at some point; it may exist outside the token
 * (CKA_NEVER_EXTRACTABLE is false)".
 */
const char *signet_key_restored(const struct signet_key *key);
void signet_key_free(struct signet_key *key);

EVP_PKEY *signet_key_get0_pubkey(const struct signet_key *key);
enum signet_key_type signet_key_type(const struct signet_key *key);
const char *signet_key_label(const struct signet_key *key);
const uint8_t *signet_key_id(const struct signet_key *key, size_t *len);
/* The attributes as last read from the token. */
const struct signet_key_info *
signet_key_get0_info(const struct signet_key *key);
/*
 * "pkcs11:token=...;serial=...;object=...;id=...;type=private", freshly
 * allocated (NULL when out of memory).
 */
char *signet_key_uri(const struct signet_key *key);

/*
 * A signer that signs in the token with this key (the key and its token
 * must outlive it). Safe to use from several threads at once.
 */
int signet_key_signer(struct signet_key *key, struct signet_signer **out)
    SIGNET_WUR;

/* ---- Key backup (wrap.c) --------------------------------------------------- */

/*
 * Backing a key up by wrapping (PKCS#11 C_WrapKey / C_UnwrapKey). Only a
 * key made with SIGNET_KEYGEN_TRUSTED_WRAP can be backed up this way: a
 * non-extractable key cannot be wrapped by any token, by design; such keys
 * are backed up with the HSM vendor's own protocol (backup HSMs, cloning,
 * key shares on smart cards).
 *
 * The backup token makes a one-time RSA-3072 transport key pair (session
 * objects). On the source token, as its security officer, signet imports
 * the transport public key marked CKA_TRUSTED and makes a one-time AES-256
 * key (CKA_TRUSTED, CKA_WRAP_WITH_TRUSTED, session object), wraps the AES
 * key to the transport key (CKM_RSA_PKCS_OAEP) and, logged in as the user
 * again, wraps the key with the AES key (CKM_AES_KEY_WRAP_PAD, RFC 5649).
 * The backup token unwraps both; the copy is a token object with the same
 * label, id and attributes (sensitive, extractable only under a trusted
 * key), beside its public key object. Key material is never in the clear
 * outside a token, and both the SO PIN and the user PIN are needed.
 */
struct signet_backup_info {
	char transport_spki_sha256[65]; /* the one-time transport key */
	char transport_mechanism[64];
	char wrap_mechanism[64];
	size_t wrapped_len; /* bytes of the wrapped key that crossed over */
};

/*
 * Whether key can be backed up to dst, changing nothing: the key's
 * attributes (a non-extractable key is SIGNET_ERR_CONFLICT, saying why and
 * what to do instead), the mechanisms both tokens offer (SIGNET_ERR_TOKEN
 * naming the one missing), no object with the key's label or id on dst
 * (SIGNET_ERR_CONFLICT), and dst opened with allow_trusted_wrap.
 */
int signet_key_backup_check(struct signet_key *key, struct signet_token *dst)
    SIGNET_WUR;

/*
 * Copy key to dst as described above. so_pin_source says where the source
 * token's security officer PIN comes from ("file:PATH", "env:NAME",
 * "prompt"); a wrong SO PIN is SIGNET_ERR_PIN_INCORRECT and the user is
 * logged in again. The copy is found again on dst, must have the key's
 * public key, and signs a random message that verifies with it; a copy that
 * fails any check is destroyed. *copy is the copy on dst; info (may be
 * NULL) says what was used. The copy was unwrapped, so its
 * CKA_ALWAYS_SENSITIVE is false: it is accepted here (signet_key_restored
 * says so), and finding it later takes SIGNET_KEY_ACCEPT_RESTORED.
 */
int signet_key_backup(struct signet_key *key, const char *so_pin_source,
    struct signet_token *dst, struct signet_key **copy,
    struct signet_backup_info *info) SIGNET_WUR;

/* ---- Listing -------------------------------------------------------------- */

/*
 * Two kinds of listing, so that looking at a module never needs a PIN:
 *
 * signet_token_list() walks every slot of a module without opening a
 * session or logging in: slots, tokens and their flags.
 *
 * signet_key_list() walks the private keys of one open (so logged-in)
 * token; signet_token_get_info() gives that token's current flags.
 */

struct signet_token_info {
	unsigned long slot_id;
	char slot_description[65];
	char slot_manufacturer[33];
	int token_present;
	/* The rest is set only when token_present. */
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	int initialized;
	int login_required;
	int user_pin_initialized;
	int pin_locked;
	int pin_final_try;
	int pin_count_low;
};

/* A non-zero return stops the walk and is returned. */
typedef int (
    *signet_token_list_cb)(void *arg, const struct signet_token_info *token);
typedef int (*signet_key_list_cb)(void *arg, const struct signet_key_info *key);

/* Every slot of the module at module_path (NULL: SIGNET_DEFAULT_MODULE). */
int signet_token_list(const char *module_path, signet_token_list_cb cb,
    void *arg) SIGNET_WUR;
/* The open token's slot, labels and current flags. */
int signet_token_get_info(struct signet_token *tok,
    struct signet_token_info *out) SIGNET_WUR;
/*
 * The URI of a listed key on this token ("pkcs11:token=...;serial=...;
 * object=...;id=...;type=private"), freshly allocated (NULL when out of
 * memory).
 */
char *signet_token_key_uri(const struct signet_token *tok,
    const struct signet_key_info *key);
/* Every private key on the open token, in the order the token gives. */
int signet_key_list(struct signet_token *tok, signet_key_list_cb cb, void *arg)
    SIGNET_WUR;

#endif /* SIGNET_TOKEN_H */
