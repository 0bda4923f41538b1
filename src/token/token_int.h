/*
 * Internals of src/token: the only code in signet that includes pkcs11.h.
 *
 * Locking (session.c): a token's gen_lock is held shared by every thread
 * that uses one of its sessions, and exclusively by recovery, which closes
 * and reopens them; so no thread ever holds a session handle that recovery
 * has closed (and the module may have handed out again). pool_lock guards
 * the idle sessions and counters; a key's lock guards its object handle.
 */
#ifndef SIGNET_TOKEN_INT_H
#define SIGNET_TOKEN_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include "signet/token.h"
#include "util/secret.h"

/* ---- CK_RV adapter (ckr.c): the only code that looks at CK_RV values ---- */

enum token_rv_class {
	TOKEN_RV_OK,
	TOKEN_RV_LOST,              /* session, login or token gone: recover */
	TOKEN_RV_ALREADY_LOGGED_IN, /* C_Login: success */
	TOKEN_RV_ALREADY_INITIALIZED, /* C_Initialize: someone else did */
	TOKEN_RV_ATTR_UNAVAILABLE,    /* attribute absent or sensitive */
	TOKEN_RV_SESSION_COUNT,       /* the token has no more sessions */
	TOKEN_RV_BUFFER_TOO_SMALL,
	TOKEN_RV_UNSUPPORTED, /* mechanism, curve or size not offered */
	TOKEN_RV_FAILED,      /* the module failed inside: a read may retry */
	TOKEN_RV_OTHER,
};

enum token_rv_class token_rv_class(CK_RV rv);
/* "CKR_PIN_INCORRECT", or "CKR_VENDOR_DEFINED+0x12" / "CKR_0x1234". */
const char *token_ckr_name(CK_RV rv, char buf[48]);
/*
 * Record a failure caused by rv: the message is fmt followed by the CKR_*
 * name and, for some values, what to do; the CK_RV is attached to the
 * error record. code 0 derives the SIGNET_ERR_* from rv. Returns the code.
 */
int
token_error_ckr(int code, CK_RV rv, const char *fmt, ...) SIGNET_PRINTF(3, 4);

/*
 * 1 if the failure recorded last on this thread came from a CK_RV that
 * means a lost session, login or token.
 */
int token_error_lost(void);

/* In a function with `int r` and `out:`: fail on anything but CKR_OK. */
#define TOKEN_CHECK(call, ...)                                          \
	do {                                                            \
		CK_RV token_rv_ = (call);                               \
		if (token_rv_class(token_rv_) != TOKEN_RV_OK) {         \
			r = token_error_ckr(0, token_rv_, __VA_ARGS__); \
			goto out;                                       \
		}                                                       \
	} while (0)

/* ---- URIs (uri.c) ------------------------------------------------------ */

struct signet_p11_uri {
	char *token, *manufacturer, *serial, *model;
	char *object, *type;
	uint8_t *id;
	size_t id_len;
	int has_id;
	char *library_manufacturer, *library_description, *library_version;
	char *slot_description, *slot_manufacturer;
	char *slot_id_text;
	unsigned long slot_id;
	int has_slot_id;
	char *module_path, *pin_source;
	struct signet_secret *pin_value;
};

/* Percent-encode a URI attribute value for where it goes. */
enum token_uri_enc {
	TOKEN_URI_PATH,  /* path values: escape what RFC 7512 requires */
	TOKEN_URI_QUERY, /* query values: '/' may stay */
	TOKEN_URI_ALL,   /* every byte (ids, as RFC 7512 suggests) */
};
char *token_uri_encode(const uint8_t *in, size_t len, enum token_uri_enc enc);

/* ---- Modules (module.c) ----------------------------------------------- */

struct token_module {
	char *path; /* as given, or resolved by realpath */
	void *dl;   /* kept loaded for the life of the process */
	CK_FUNCTION_LIST *fl;
	unsigned refs;
	int owns_init; /* our C_Initialize succeeded: we finalize */
	pid_t pid;     /* the process that initialised it */
	/* token_module_lock(): recursive in the process, flock across. */
	pthread_mutex_t lock_mutex;
	int lock_init;
	unsigned lock_depth;
	int lock_fd;
	struct token_module *next;
};

/* Load and initialise (or take another reference to) a module. */
int token_module_get(const char *path, struct token_module **out) SIGNET_WUR;
/* Drop a reference; the last one finalizes. NULL is a no-op. */
void token_module_put(struct token_module *mod);

/*
 * Serialise, across every process that loads this module, the calls that
 * read or rewrite the state of its tokens: C_Initialize, C_GetTokenInfo,
 * C_Login, key generation (docs/hsm.md). Nests within a thread; every
 * successful lock is paired with one unlock.
 */
int token_module_lock(struct token_module *mod) SIGNET_WUR;
void token_module_unlock(struct token_module *mod);
/* C_GetTokenInfo, asked again a few times if the module fails inside. */
CK_RV
token_info_read(struct token_module *mod, CK_SLOT_ID slot, CK_TOKEN_INFO *ti);

/* Copy a blank-padded PKCS#11 text field into a C string, trimmed. */
void token_field_copy(char *dst, size_t dstlen, const unsigned char *src,
    size_t srclen);

/* The token attributes a URI or a recovery selects a token by. */
struct token_match {
	const char *label, *manufacturer, *serial, *model;
	const char *slot_description, *slot_manufacturer;
	int has_slot_id;
	CK_SLOT_ID slot_id;
};

/*
 * Find the one initialised token matching m; describe (for messages) names
 * what was asked for ("token 'root'").
 */
int token_slot_find(struct token_module *mod, const struct token_match *m,
    const char *describe, CK_SLOT_ID *slot, CK_TOKEN_INFO *info) SIGNET_WUR;
/* Fill a signet_token_info from a slot. */
int token_info_fill(struct token_module *mod, CK_SLOT_ID slot,
    struct signet_token_info *out) SIGNET_WUR;
/* Check the module's library-* attributes against a URI. */
int token_library_match(struct token_module *mod,
    const struct signet_p11_uri *uri) SIGNET_WUR;

/* ---- Tokens, sessions and login (session.c) ---------------------------- */

#define TOKEN_MECH_CACHE 16

struct signet_token {
	struct token_module *mod;
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slot;
	char label[33], manufacturer[33], model[17], serial[17];
	struct signet_secret *pin; /* NULL when the token needs no login */
	int login_required;
	int login_failed;       /* a login failed: never log in again */
	int allow_trusted_wrap; /* accept CKA_WRAP_WITH_TRUSTED keys */
	pid_t pid;

	pthread_rwlock_t gen_lock;
	unsigned long generation; /* bumped when recovery drops sessions */

	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	CK_SESSION_HANDLE *idle;
	size_t n_idle;
	unsigned n_open;
	unsigned cap;          /* may shrink below max on CKR_SESSION_COUNT */
	unsigned max_sessions; /* size of idle[] */
	int broken;            /* sessions dropped, recovery not yet done */
	unsigned long recoveries;
	int lock_init;

	/* Mechanisms the token said it offers (mech.c). */
	pthread_mutex_t mech_lock;
	struct token_mech_ok {
		CK_MECHANISM_TYPE type;
		CK_FLAGS flags;
		unsigned bits;
	} mech_ok[TOKEN_MECH_CACHE];
	size_t n_mech_ok;
};

/* Refuse to work in a process forked after the token was opened. */
int token_check_pid(const struct signet_token *tok) SIGNET_WUR;

/*
 * An operation on a session, run by token_with_session. A failure whose
 * recorded CK_RV means a lost session (token_error_lost) leads to recovery.
 */
typedef int (*token_session_fn)(struct signet_token *tok,
    CK_SESSION_HANDLE session, unsigned long generation, void *arg);

/*
 * Run fn on a pooled session. If it fails with a lost session (or token, or
 * login), recover once -- drop every session, find the token again by
 * serial and label, reopen, log in again with the kept PIN -- and run fn
 * once more.
 * A failed login during recovery is final: it is reported and never retried.
 */
int token_with_session(struct signet_token *tok, token_session_fn fn, void *arg)
    SIGNET_WUR;

/*
 * Sole use of a token for a security officer login (key backup): takes
 * gen_lock exclusively, closes the pool's sessions (which ends the user's
 * login) and opens one read-write session. token_exclusive_end logs the
 * user in again on it with the kept PIN, gives it to the pool and releases
 * the lock; the caller must have logged the SO out. Keys find their object
 * handles again, as after a recovery.
 */
int token_exclusive_begin(struct signet_token *tok, CK_SESSION_HANDLE *out)
    SIGNET_WUR;
int
token_exclusive_end(struct signet_token *tok, CK_SESSION_HANDLE s) SIGNET_WUR;
/* Within that: log the user in on s (after the SO logged out). */
int
token_exclusive_login(struct signet_token *tok, CK_SESSION_HANDLE s) SIGNET_WUR;

/* Refuse (SIGNET_ERR_CONFLICT) any object with this label or id (keygen.c). */
int token_conflict_check(struct signet_token *tok, CK_SESSION_HANDLE s,
    const char *label, const uint8_t *id, size_t id_len) SIGNET_WUR;

/* A read-write session outside the pool (key generation), and back. */
int token_rw_session_open(struct signet_token *tok, CK_SESSION_HANDLE *out)
    SIGNET_WUR;
void token_rw_session_close(struct signet_token *tok, CK_SESSION_HANDLE s);

/* ---- Keys (key.c, keygen.c, pubkey.c) ---------------------------------- */

/* Room for what a key's history says (signet_key_restored). */
#define TOKEN_HISTORY_MAX 256

/* What a private key is found again by after a recovery. */
struct token_key_ref {
	char label[SIGNET_KEY_LABEL_MAX + 1];
	int has_label;
	uint8_t id[SIGNET_KEY_ID_MAX];
	size_t id_len;
	int has_id;
};

struct signet_key {
	struct signet_token *tok;
	struct token_key_ref ref;
	struct signet_key_info info;
	EVP_PKEY *pub; /* as first found: a key found again must have it */
	CK_KEY_TYPE ck_type;
	size_t sig_len; /* raw signature size the token produces */
	unsigned flags; /* SIGNET_KEY_ACCEPT_RESTORED */
	char restored[TOKEN_HISTORY_MAX]; /* signet_key_restored, or "" */

	pthread_mutex_t lock;
	CK_OBJECT_HANDLE handle;
	unsigned long handle_gen;
};

/*
 * Find objects of a class (or any class when cls is -1) matching ref;
 * at most max handles into out, *n set to how many matched in total.
 */
int token_objects_find(struct signet_token *tok, CK_SESSION_HANDLE s, long cls,
    const struct token_key_ref *ref, CK_OBJECT_HANDLE *out, size_t max,
    size_t *n) SIGNET_WUR;

/*
 * Read a private key's attributes into info; token_key_check_safe refuses
 * (KEY_UNSAFE) one that is extractable or not sensitive, what naming it --
 * unless allow_trusted_wrap and the key is extractable only under a trusted
 * wrapping key.
 */
int token_key_read_info(struct signet_token *tok, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE h, struct signet_key_info *info, CK_KEY_TYPE *ck_type)
    SIGNET_WUR;
int token_key_check_safe(const struct signet_key_info *info,
    int allow_trusted_wrap, const char *what) SIGNET_WUR;

/*
 * Read an attribute of unknown length into a fresh buffer; *absent set
 * (and 0 returned) when the token has no such attribute or will not say.
 */
int token_attr_get(struct signet_token *tok, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, uint8_t **out, size_t *len,
    int *absent) SIGNET_WUR;

/*
 * The key's public key as an EVP_PKEY (public object, else private one),
 * checked to be the kind of key info says.
 */
int token_key_pubkey(struct signet_token *tok, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE priv, const struct token_key_ref *ref,
    const struct signet_key_info *info, CK_KEY_TYPE kt, EVP_PKEY **out)
    SIGNET_WUR;

/* DER OIDs of the named curves (CKA_EC_PARAMS) and their key types. */
enum signet_key_type token_curve_from_params(const uint8_t *der, size_t len);
const uint8_t *token_curve_params(enum signet_key_type type, size_t *len);

/*
 * The key's object handle, found again if sessions were recovered since;
 * one found again must be the same key (its public key), and pass the
 * same checks.
 */
int token_key_handle(struct signet_key *key, CK_SESSION_HANDLE s,
    unsigned long generation, CK_OBJECT_HANDLE *out) SIGNET_WUR;

/*
 * A signet_key around a private key handle, its info read and checked;
 * flags as signet_key_find_flags takes them.
 */
int token_key_new(struct signet_token *tok, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE h, unsigned long generation, unsigned flags,
    struct signet_key **out) SIGNET_WUR;

/* ---- Capabilities (mech.c) ---------------------------------------------- */

enum token_mech_verdict {
	TOKEN_MECH_OK,
	TOKEN_MECH_ABSENT,  /* not listed, or no information on it */
	TOKEN_MECH_NO_FLAG, /* offered, but not for this use */
	TOKEN_MECH_SIZE,    /* offered, but not for keys of this size */
};

/* "CKM_ECDSA", or "mechanism 0x..." in buf. */
const char *token_mech_name(CK_MECHANISM_TYPE m, char buf[32]);
/*
 * Does the token offer m with the flags need, for keys of type (or any
 * size: SIGNET_KEY_NONE)? mi gets the token's answer. Answers that allow
 * are remembered for the token's life.
 */
enum token_mech_verdict
token_mech_ask(struct signet_token *tok, CK_MECHANISM_TYPE m, CK_FLAGS need,
    enum signet_key_type type, CK_MECHANISM_INFO *mi);
/*
 * The same, as an error (SIGNET_ERR_TOKEN) naming the mechanism, the use
 * or the key size the token lacks: "token 'x' does not offer CKM_ECDSA
 * with P-521 keys (...), so it cannot <purpose>".
 */
int token_mech_require(struct signet_token *tok, CK_MECHANISM_TYPE m,
    CK_FLAGS need, enum signet_key_type type, const char *purpose) SIGNET_WUR;

/*
 * Can this token wrap a key out in a backup (wrap.c): CKM_AES_KEY_GEN,
 * CKM_AES_KEY_WRAP_PAD and CKM_RSA_PKCS_OAEP for wrapping.
 */
int token_backup_source_check(struct signet_token *tok) SIGNET_WUR;

#endif /* SIGNET_TOKEN_INT_H */
