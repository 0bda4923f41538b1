/* Internals of src/ceremony, shared by its files. */
#ifndef SIGNET_CEREMONY_INT_H
#define SIGNET_CEREMONY_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "signet/ceremony.h"
#include "signet/lint.h"
#include "signet/policy.h"
#include "signet/token.h"
#include "signet/x509.h"

struct yaml_lines;

/* Largest input file (public keys, certificates, CRLs). */
#define CER_INPUT_MAX ((size_t)1024 * 1024)

/* vsnprintf, in one place (the analyzer misreads va_list use inline). */
int cer_vformat(char *out, size_t outsz, const char *fmt, va_list ap)
    SIGNET_PRINTF(3, 0);

/* ---- Text built piece by piece (plan.c) ---------------------------------- */

struct cer_text {
	char *s;
	size_t len, cap;
	int failed; /* out of memory: the text is incomplete */
};

void cer_text_add(struct cer_text *t, const char *fmt, ...) SIGNET_PRINTF(2, 3);
void cer_text_free(struct cer_text *t);

/* ---- The ceremony file as libcyaml reads it (load.c) -------------------- */

struct cy_token {
	char *uri;
	char *module;
	char *pin_source;
	char *so_pin_source;
	char *accept_restored_key;
	/* Refused with their line: PINs never go in a ceremony file. */
	char *pin;
	char *pin_value;
	char *so_pin;
	char *user_pin;
};

struct cy_custodian {
	char *name;
	char *share;
	char *passphrase_source;
	char *words_source;
	char *paper;
};

/* quorum: (the shares that unlock the token) and split: (the new ones). */
struct cy_quorum {
	char *threshold;
	struct cy_custodian *custodians;
	unsigned custodians_count;
};

struct cy_key {
	char *type;
	char *label;
	char *id;
	char *backup;
};

struct cy_subject {
	char *c, *st, *l, *street, *postal_code, *o, *ou, *title;
	char *serial_number, *given_name, *surname, *cn;
};

struct cy_validity {
	char *not_before;
	char *not_after;
	char *duration;
};

struct cy_revoked {
	char *serial;
	char *reason;
	char *date;
	char *invalidity_date;
};

struct cy_crl {
	char *number;
	char *this_update;
	char *next_update;
	struct cy_revoked *revoked;
	unsigned revoked_count;
};

struct cy_inputs {
	char *public_key;
	char *issuer_certificate;
	char *csr;
	char *subject_certificate;
	char *previous_crl;
};

struct cy_outputs {
	char *public_key;
	char *fingerprint;
	char *certificate;
	char *csr;
	char *audit_public_key;
	char *crl;
	char *crl_pem;
	char *transcript;
};

struct cy_ceremony {
	char *ceremony;
	char *description;
	char **operators;
	unsigned operators_count;
	struct cy_token *token;
	struct cy_token *backup_token;
	struct cy_quorum *quorum;
	struct cy_quorum *split;
	struct cy_key *key;
	struct cy_key *audit_key;
	char *policy;
	char *profile;
	char *path_len;
	struct cy_subject *subject;
	struct cy_validity *validity;
	struct cy_crl *crl;
	struct cy_inputs *inputs;
	struct cy_outputs *outputs;
};

/* ---- The checked ceremony ------------------------------------------------- */

#define CER_MAX_INPUTS 8
#define CER_MAX_OUTPUTS 8
#define CER_MAX_KEYS 4
#define CER_MAX_TOKENS 2

struct cer_token_cfg {
	int present;
	const char *role; /* "root", "online", "backup" */
	struct signet_p11_uri *uri;
	char *uri_text;      /* canonical, no PIN */
	char *module;        /* NULL: the default module */
	char *pin_source;    /* resolved against dir; NULL: prompt */
	char *so_pin_source; /* key-backup only */
	/* accept-restored-key: the key may have been outside the token */
	int accept_restored;
	/* pin-source: quorum: the PIN is rebuilt from custodians' shares */
	int quorum;
};

/* ---- Quorums: M of N custodians' shares of a token's PIN ---------------- */

#define CER_QUORUM_MAX 16
/* A quorum's PIN: 32 hex characters, 128 bits from the token's generator. */
#define CER_QUORUM_PIN_LEN 32
#define CER_SHARE_FILE_MAX ((size_t)64 * 1024)
#define CER_PASSPHRASE_MIN 8
/* The public data object on the token naming its current split. */
#define CER_QUORUM_MARKER_LABEL "signet-quorum"

struct cer_custodian {
	char *name;
	char *share;             /* as in the file */
	char *share_full;        /* joined with dir */
	char *passphrase_source; /* prompt, file:PATH (resolved) or env:NAME */
	char *words_source;      /* unlock: the share on paper, instead */
	int paper;               /* split: also shown as words to write down */
};

struct cer_quorum_cfg {
	int present;
	unsigned threshold; /* split: only */
	struct cer_custodian custodians[CER_QUORUM_MAX];
	size_t n;
};

struct cer_split_member {
	unsigned id;
	char name[256];
	char fingerprint[65];
};

/* What every share of one split carries, and must agree on. */
struct cer_split {
	char id[33]; /* 16 random bytes, hex */
	char created[21];
	unsigned threshold, count;
	char token_label[33], token_serial[17];
	char pin_check[65]; /* SHA-256 binding the PIN to the split */
	char digest[65];    /* SHA-256 of all of the above and members */
	struct cer_split_member members[CER_QUORUM_MAX];
};

struct signet_secret;

struct cer_share {
	struct cer_split split;
	unsigned id; /* 1..count: libgfshare's share number */
	char fingerprint[65];
	struct signet_secret *value; /* the share itself, locked memory */
	int paper; /* from words: split digest and check value abridged */
};

/* How a generated key may leave its token. */
enum cer_backup {
	CER_BACKUP_NONE = 0,     /* never: non-extractable */
	CER_BACKUP_TRUSTED_WRAP, /* only wrapped by an SO-trusted key */
};

struct cer_key_cfg {
	int present;
	enum signet_key_type type; /* generation only */
	char *label;
	uint8_t id[SIGNET_KEY_ID_MAX];
	size_t id_len;
	enum cer_backup backup;
};

struct cer_input {
	const char *name; /* "public-key", "policy", ... */
	char *path;       /* as in the file */
	char *full;       /* joined with dir */
	uint8_t *data;
	size_t len;
	char sha256[65];
};

struct cer_output {
	struct signet_ceremony_output pub;
	char *path;
	char *full;
	uint8_t *data; /* what will be written; NULL until made */
	size_t len;
	json_t *details; /* certificate/CRL/key facts for the transcript */
};

struct cer_revoked {
	struct signet_crl_entry entry;
	unsigned line;
};

/* A key in use during a run, for the plan and the transcript. */
struct cer_key_use {
	const char *role; /* "signing", "generated", "audit", "backup copy" */
	struct signet_token *tok;
	struct signet_key *key; /* owned */
};

struct signet_ceremony {
	enum signet_ceremony_type type;
	char *file; /* as given */
	char *dir;  /* base of relative paths */
	uint8_t *text;
	size_t text_len;
	char sha256[65];
	char confirm_code[9];
	char *description;
	char **operators;
	size_t n_operators;

	struct cer_token_cfg token;
	struct cer_token_cfg backup_token;
	struct cer_key_cfg key;
	struct cer_key_cfg audit_key;
	struct cer_quorum_cfg unlock; /* quorum: */
	struct cer_quorum_cfg split;  /* split: (quorum-split) */

	struct signet_policy *policy;
	const struct signet_profile *base_profile;
	struct signet_profile profile; /* a copy: path-len may narrow it */
	int path_len;                  /* -1: as the profile says */
	X509_NAME *subject;

	/* Validity: explicit bounds, or a duration from the run's time. */
	time_t not_before; /* 0: now - backdate */
	time_t not_after;  /* 0: from duration */
	int64_t duration;  /* 0: profile default (when not_after is 0) */

	/* CRLs. */
	uint64_t crl_number;
	time_t this_update; /* 0: the run's time */
	int64_t next_update_in;
	time_t next_update; /* explicit, or 0 */
	struct cer_revoked *revoked;
	size_t n_revoked;

	struct cer_input inputs[CER_MAX_INPUTS];
	size_t n_inputs;
	struct cer_output outputs[CER_MAX_OUTPUTS];
	size_t n_outputs;
	char *transcript_path; /* as in the file, relative to dir */
	char *transcript_full;

	/* ---- the run ---- */
	int ran;
	time_t started;
	const char *step; /* the step under way, for a failure */
	json_t *steps;
	json_t *lint;   /* lint results */
	json_t *extra;  /* type-specific facts for the transcript */
	json_t *quorum; /* the quorum that unlocked, the split made; or NULL */
	struct cer_text plan_body;
	char *plan;
	int assume_yes;
	int confirmed; /* an operator typed the confirmation code */
	int past_plan; /* beyond the confirmation: generating or signing */
	struct signet_token *tokens[CER_MAX_TOKENS];
	const char *token_roles[CER_MAX_TOKENS];
	size_t n_tokens;
	struct cer_key_use keys[CER_MAX_KEYS];
	size_t n_keys;
	/* The key that signs the transcript, once usable (borrowed). */
	struct signet_key *transcript_key;

	/* Type-specific state. */
	EVP_PKEY *subject_pub; /* the key a certificate is for */
	X509 *issuer_cert;     /* parent CA certificate */
	struct signet_issuer *issuer;
	struct signet_request *request;
	struct signet_tbs *tbs;
	uint64_t previous_crl_number;
	int has_previous_crl;

	char *transcript_written;
	int transcript_signed;
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
};

/* ---- load.c -------------------------------------------------------------- */

/* An input by name, or NULL. */
const struct cer_input *
cer_input_get(const struct signet_ceremony *c, const char *name);
/* "keyCompromise", ...; NONE is "unspecified". */
const char *cer_crl_reason_name(int reason);
/* An output by name, or NULL. */
struct cer_output *cer_output_get(struct signet_ceremony *c, const char *name);

/* ---- run.c --------------------------------------------------------------- */

/* Record a step of the run (and tell the operator). */
void cer_step(struct signet_ceremony *c, const char *step, const char *fmt, ...)
    SIGNET_PRINTF(3, 4);
/* Open the token cfg describes, as role; kept in c until the end. */
int cer_token_open(struct signet_ceremony *c, const struct cer_token_cfg *cfg,
    struct signet_token **out) SIGNET_WUR;
/* Find the key cfg names on tok; recorded as a key in use (role). */
int cer_key_find(struct signet_ceremony *c, struct signet_token *tok,
    const struct cer_key_cfg *cfg, const char *role, struct signet_key **out)
    SIGNET_WUR;
/* Record a key generated in the run. */
int cer_key_add(struct signet_ceremony *c, struct signet_token *tok,
    struct signet_key *key, const char *role) SIGNET_WUR;
/* Fail unless no private key on tok has cfg's label or id. */
int cer_key_absent(struct signet_token *tok, const struct cer_key_cfg *cfg)
    SIGNET_WUR;
/* Random bytes from the token, for serials. */
int cer_token_random(void *arg, uint8_t *buf, size_t len);

/* ---- keys.c: root-key, intermediate-key, key-backup ---------------------- */

int cer_key_prepare(struct signet_ceremony *c) SIGNET_WUR;
int cer_key_execute(struct signet_ceremony *c) SIGNET_WUR;
int cer_backup_prepare(struct signet_ceremony *c) SIGNET_WUR;
int cer_backup_execute(struct signet_ceremony *c) SIGNET_WUR;

/* ---- certs.c: root-cert, intermediate-cert, cross-cert, root-crl -------- */

int cer_cert_prepare(struct signet_ceremony *c) SIGNET_WUR;
int cer_cert_execute(struct signet_ceremony *c) SIGNET_WUR;
int cer_crl_prepare(struct signet_ceremony *c) SIGNET_WUR;
int cer_crl_execute(struct signet_ceremony *c) SIGNET_WUR;

/* ---- share.c: splitting, sealing, opening and combining shares --------- */

/*
 * Draw a PIN (CER_QUORUM_PIN_LEN hex characters) and a split id from rng,
 * and split the PIN into n shares, m of which rebuild it (libgfshare);
 * names[i] is share i+1's custodian. shares[] gets n fresh shares.
 */
int cer_split_make(int (*rng)(void *, uint8_t *, size_t), void *rng_arg,
    unsigned m, unsigned n, const char *const *names, const char *token_label,
    const char *token_serial, struct signet_secret **pin,
    struct cer_share **shares) SIGNET_WUR;
/* The share file: JSON, the share sealed under the passphrase. */
int cer_share_seal(const struct cer_share *sh, const char *pass, size_t plen,
    uint8_t **out, size_t *outlen) SIGNET_WUR;
/*
 * Open a share file (what names it in messages): SIGNET_ERR_VERIFY for a
 * wrong passphrase, an altered file, or a share that does not match its
 * fingerprint or its split's list.
 */
int cer_share_open(const uint8_t *data, size_t len, const char *what,
    const char *pass, size_t plen, struct cer_share **out) SIGNET_WUR;
void cer_share_free(struct cer_share *sh);
const char *cer_share_custodian(const struct cer_share *sh);
/* SHA-256 over the split id, the share's number and value (hex). */
int cer_share_fingerprint(const char *split_id, unsigned id,
    const uint8_t *value, size_t len, char out[65]) SIGNET_WUR;
/* The share that says most about the split (a file's, if any). */
const struct cer_share *
cer_shares_ref(struct cer_share *const *shares, size_t n);
/* paper.c: the share as 36 words with a checksum, and back. */
int cer_share_words(const struct cer_share *sh, struct signet_secret **out)
    SIGNET_WUR;
int cer_share_from_words(const char *words, size_t len, const char *custodian,
    struct cer_share **out) SIGNET_WUR;
/* Same split, same list, no share twice, at least the threshold. */
int cer_shares_check(struct cer_share *const *shares, size_t n) SIGNET_WUR;
/* cer_shares_check, then the PIN, checked against the split's value. */
int cer_shares_combine(struct cer_share *const *shares, size_t n,
    struct signet_secret **pin) SIGNET_WUR;
/* The text of the token's marker object for a split. */
int
cer_split_marker(const struct cer_split *sp, char *buf, size_t len) SIGNET_WUR;

/* ---- quorum.c: unlocking with a quorum, and the quorum-split ceremony --- */

/*
 * Rebuild the PIN of the token cfg names from the custodians' shares
 * (every check done before any login) into *pin; *split says which split.
 */
int cer_quorum_unlock(struct signet_ceremony *c, struct signet_secret **pin,
    struct cer_split *split) SIGNET_WUR;
/* Before the login: the token is the split's, and under this split. */
int cer_quorum_before_login(void *arg, struct signet_token *tok);
int cer_quorum_prepare(struct signet_ceremony *c) SIGNET_WUR;
int cer_quorum_execute(struct signet_ceremony *c) SIGNET_WUR;
void cer_quorum_cfg_clear(struct cer_quorum_cfg *q);

/* ---- plan.c -------------------------------------------------------------- */

/* "O=Example Corp, CN=Root" (RFC 2253 order reversed for reading). */
char *cer_name_text(const X509_NAME *name);
/* The key facts: type, label, id, SPKI SHA-256, attributes. */
void cer_plan_key(struct cer_text *t, const char *what,
    const struct signet_token *tok, const struct signet_key *key);
/* The profile's values that go into a certificate. */
void cer_plan_profile(struct cer_text *t, const struct signet_profile *p);
/* The full plan: the file's facts, then what prepare found. */
char *cer_plan_build(const struct signet_ceremony *c);

/* ---- pem.c: PEM/DER helpers --------------------------------------------- */

/* PEM text of DER under type ("CERTIFICATE"); fresh buffer. */
int cer_pem_encode(const char *type, const uint8_t *der, size_t len,
    uint8_t **out, size_t *outlen) SIGNET_WUR;
/* A public key as PEM SubjectPublicKeyInfo. */
int
cer_pubkey_pem(const EVP_PKEY *pub, uint8_t **out, size_t *outlen) SIGNET_WUR;
/* SHA-256 hex of a public key's DER SubjectPublicKeyInfo. */
int cer_spki_sha256(const EVP_PKEY *pub, char out[65]) SIGNET_WUR;
/* Parse a PEM (or DER) public key, certificate, CSR or CRL; what names it. */
int cer_pubkey_parse(const uint8_t *data, size_t len, const char *what,
    EVP_PKEY **out) SIGNET_WUR;
int cer_cert_parse(const uint8_t *data, size_t len, const char *what,
    X509 **out) SIGNET_WUR;
int cer_crl_parse(const uint8_t *data, size_t len, const char *what,
    X509_CRL **out) SIGNET_WUR;
/* Facts of a certificate for the transcript (fingerprint into fp). */
json_t *cer_cert_facts(const uint8_t *der, size_t len, char fp[65]);

/* ---- transcript.c -------------------------------------------------------- */

/*
 * Build, serialise, sign (when c->transcript_key is set) and write the
 * transcript of the run; failure_code 0 for a completed ceremony.
 */
int cer_transcript_write(struct signet_ceremony *c, int failure_code,
    const char *failure_message) SIGNET_WUR;
/* The canonical form: what is signed, and what verify re-creates. */
char *cer_json_canonical(const json_t *root, size_t *len);

#endif /* SIGNET_CEREMONY_INT_H */
