/*
 * Ceremony files: the schema, and the checks that turn a file into a
 * struct signet_ceremony. Everything that can be checked without a token
 * is checked here, each failure placed at its file:line, so that
 * `signet ceremony check` finds a reviewer's mistakes before the root
 * token leaves the safe.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cyaml/cyaml.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/file.h"
#include "util/yaml.h"

#define CY_STRING_MAX 4096
#define CY_LIST_MAX 64
#define CY_REVOKED_MAX 1000

/* ---- The schema ---------------------------------------------------------- */

#define Y_OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define Y_STR(key, st, m) \
	CYAML_FIELD_STRING_PTR(key, Y_OPT, st, m, 0, CY_STRING_MAX)
#define Y_MAP(key, st, m, fields) \
	CYAML_FIELD_MAPPING_PTR(key, Y_OPT, st, m, fields)

static const cyaml_schema_value_t y_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CY_STRING_MAX),
};

static const cyaml_schema_field_t y_token_fields[] = {
	Y_STR("uri", struct cy_token, uri),
	Y_STR("module", struct cy_token, module),
	Y_STR("pin-source", struct cy_token, pin_source),
	Y_STR("so-pin-source", struct cy_token, so_pin_source),
	Y_STR("accept-restored-key", struct cy_token, accept_restored_key),
	Y_STR("pin", struct cy_token, pin),
	Y_STR("pin-value", struct cy_token, pin_value),
	Y_STR("so-pin", struct cy_token, so_pin),
	Y_STR("user-pin", struct cy_token, user_pin),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_custodian_fields[] = {
	Y_STR("name", struct cy_custodian, name),
	Y_STR("share", struct cy_custodian, share),
	Y_STR("passphrase-source", struct cy_custodian, passphrase_source),
	Y_STR("words-source", struct cy_custodian, words_source),
	Y_STR("paper", struct cy_custodian, paper),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t y_custodian = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct cy_custodian,
	    y_custodian_fields),
};

static const cyaml_schema_field_t y_quorum_fields[] = {
	Y_STR("threshold", struct cy_quorum, threshold),
	CYAML_FIELD_SEQUENCE_COUNT("custodians", Y_OPT, struct cy_quorum,
	    custodians, custodians_count, &y_custodian, 0, CER_QUORUM_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_key_fields[] = {
	Y_STR("type", struct cy_key, type),
	Y_STR("label", struct cy_key, label),
	Y_STR("id", struct cy_key, id),
	Y_STR("backup", struct cy_key, backup),
	CYAML_FIELD_END,
};

/* Keys as in the policy file's subject.fixed. */
static const cyaml_schema_field_t y_subject_fields[] = {
	Y_STR("C", struct cy_subject, c),
	Y_STR("ST", struct cy_subject, st),
	Y_STR("L", struct cy_subject, l),
	Y_STR("street", struct cy_subject, street),
	Y_STR("postalCode", struct cy_subject, postal_code),
	Y_STR("O", struct cy_subject, o),
	Y_STR("OU", struct cy_subject, ou),
	Y_STR("title", struct cy_subject, title),
	Y_STR("serialNumber", struct cy_subject, serial_number),
	Y_STR("givenName", struct cy_subject, given_name),
	Y_STR("surname", struct cy_subject, surname),
	Y_STR("CN", struct cy_subject, cn),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_validity_fields[] = {
	Y_STR("not-before", struct cy_validity, not_before),
	Y_STR("not-after", struct cy_validity, not_after),
	Y_STR("duration", struct cy_validity, duration),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_revoked_fields[] = {
	Y_STR("serial", struct cy_revoked, serial),
	Y_STR("reason", struct cy_revoked, reason),
	Y_STR("date", struct cy_revoked, date),
	Y_STR("invalidity-date", struct cy_revoked, invalidity_date),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t y_revoked = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct cy_revoked,
	    y_revoked_fields),
};

static const cyaml_schema_field_t y_crl_fields[] = {
	Y_STR("number", struct cy_crl, number),
	Y_STR("this-update", struct cy_crl, this_update),
	Y_STR("next-update", struct cy_crl, next_update),
	CYAML_FIELD_SEQUENCE_COUNT("revoked", Y_OPT, struct cy_crl, revoked,
	    revoked_count, &y_revoked, 0, CY_REVOKED_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_inputs_fields[] = {
	Y_STR("public-key", struct cy_inputs, public_key),
	Y_STR("issuer-certificate", struct cy_inputs, issuer_certificate),
	Y_STR("csr", struct cy_inputs, csr),
	Y_STR("subject-certificate", struct cy_inputs, subject_certificate),
	Y_STR("previous-crl", struct cy_inputs, previous_crl),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_outputs_fields[] = {
	Y_STR("public-key", struct cy_outputs, public_key),
	Y_STR("fingerprint", struct cy_outputs, fingerprint),
	Y_STR("certificate", struct cy_outputs, certificate),
	Y_STR("csr", struct cy_outputs, csr),
	Y_STR("audit-public-key", struct cy_outputs, audit_public_key),
	Y_STR("crl", struct cy_outputs, crl),
	Y_STR("crl-pem", struct cy_outputs, crl_pem),
	Y_STR("transcript", struct cy_outputs, transcript),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_ceremony_fields[] = {
	Y_STR("ceremony", struct cy_ceremony, ceremony),
	Y_STR("description", struct cy_ceremony, description),
	CYAML_FIELD_SEQUENCE_COUNT("operators", Y_OPT, struct cy_ceremony,
	    operators, operators_count, &y_string, 0, CY_LIST_MAX),
	Y_MAP("token", struct cy_ceremony, token, y_token_fields),
	Y_MAP("backup-token", struct cy_ceremony, backup_token, y_token_fields),
	Y_MAP("quorum", struct cy_ceremony, quorum, y_quorum_fields),
	Y_MAP("split", struct cy_ceremony, split, y_quorum_fields),
	Y_MAP("key", struct cy_ceremony, key, y_key_fields),
	Y_MAP("audit-key", struct cy_ceremony, audit_key, y_key_fields),
	Y_STR("policy", struct cy_ceremony, policy),
	Y_STR("profile", struct cy_ceremony, profile),
	Y_STR("path-len", struct cy_ceremony, path_len),
	Y_MAP("subject", struct cy_ceremony, subject, y_subject_fields),
	Y_MAP("validity", struct cy_ceremony, validity, y_validity_fields),
	Y_MAP("crl", struct cy_ceremony, crl, y_crl_fields),
	Y_MAP("inputs", struct cy_ceremony, inputs, y_inputs_fields),
	Y_MAP("outputs", struct cy_ceremony, outputs, y_outputs_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t y_ceremony = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct cy_ceremony,
	    y_ceremony_fields),
};

/* ---- Which keys each ceremony takes ---------------------------------------- */

#define T(x) (1u << SIGNET_CEREMONY_##x)
#define T_ALL                                                    \
	(T(ROOT_KEY) | T(ROOT_CERT) | T(INTERMEDIATE_KEY) |      \
	    T(INTERMEDIATE_CERT) | T(CROSS_CERT) | T(ROOT_CRL) | \
	    T(KEY_BACKUP) | T(QUORUM_SPLIT))
#define T_KEYED (T_ALL & ~T(QUORUM_SPLIT))
#define T_GEN (T(ROOT_KEY) | T(INTERMEDIATE_KEY))
#define T_CERT (T(ROOT_CERT) | T(INTERMEDIATE_CERT) | T(CROSS_CERT))
#define T_ISSUED (T(INTERMEDIATE_CERT) | T(CROSS_CERT) | T(ROOT_CRL))

/*
 * A key written in the file must be allowed for the ceremony's type; a
 * required one must be written. Parents come before their children, so a
 * missing section is reported before its keys.
 */
static const struct {
	const char *path;
	unsigned allowed;
	unsigned required;
} cer_keys[] = {
	{ "description", T_ALL, 0 },
	{ "operators", T_ALL, 0 },
	{ "token", T_ALL, T_ALL },
	{ "token.uri", T_ALL, T_ALL },
	{ "token.module", T_ALL, 0 },
	{ "token.pin-source", T_ALL, 0 },
	{ "token.so-pin-source", T(KEY_BACKUP), 0 },
	/* Ceremonies that sign with (or back up) a key already there. */
	{ "token.accept-restored-key",
	    T_CERT | T(ROOT_CRL) | T(KEY_BACKUP) | T(QUORUM_SPLIT), 0 },
	/* The shares that unlock the token (token.pin-source: quorum). */
	{ "quorum", T_ALL, 0 },
	{ "quorum.custodians", T_ALL, T_ALL },
	{ "quorum.threshold", 0, 0 },
	{ "split", T(QUORUM_SPLIT), T(QUORUM_SPLIT) },
	{ "split.threshold", T(QUORUM_SPLIT), T(QUORUM_SPLIT) },
	{ "split.custodians", T(QUORUM_SPLIT), T(QUORUM_SPLIT) },
	{ "backup-token", T(KEY_BACKUP), T(KEY_BACKUP) },
	{ "backup-token.uri", T(KEY_BACKUP), T(KEY_BACKUP) },
	{ "backup-token.module", T(KEY_BACKUP), 0 },
	{ "backup-token.pin-source", T(KEY_BACKUP), 0 },
	{ "key", T_ALL, T_KEYED },
	{ "key.type", T_GEN, T_GEN },
	{ "key.label", T_ALL, T_ALL },
	{ "key.id", T_ALL, T_GEN },
	{ "key.backup", T(ROOT_KEY), 0 },
	{ "audit-key", T(INTERMEDIATE_KEY), 0 },
	{ "audit-key.type", T(INTERMEDIATE_KEY), 0 },
	{ "audit-key.label", T(INTERMEDIATE_KEY), 0 },
	{ "audit-key.id", T(INTERMEDIATE_KEY), 0 },
	{ "policy", T_CERT, T_CERT },
	{ "profile", T_CERT, T_CERT },
	{ "path-len", T_CERT, 0 },
	{ "subject", T(ROOT_CERT) | T(INTERMEDIATE_KEY) | T(INTERMEDIATE_CERT),
	    T(ROOT_CERT) | T(INTERMEDIATE_KEY) | T(INTERMEDIATE_CERT) },
	{ "validity", T_CERT, 0 },
	{ "crl", T(ROOT_CRL), T(ROOT_CRL) },
	{ "crl.number", T(ROOT_CRL), T(ROOT_CRL) },
	{ "crl.this-update", T(ROOT_CRL), 0 },
	{ "crl.next-update", T(ROOT_CRL), T(ROOT_CRL) },
	{ "crl.revoked", T(ROOT_CRL), 0 },
	{ "inputs", T(ROOT_CERT) | T_ISSUED | T(KEY_BACKUP),
	    T(ROOT_CERT) | T_ISSUED },
	{ "inputs.public-key",
	    T(ROOT_CERT) | T(INTERMEDIATE_CERT) | T(KEY_BACKUP), T(ROOT_CERT) },
	{ "inputs.issuer-certificate", T_ISSUED, T_ISSUED },
	{ "inputs.csr", T(INTERMEDIATE_CERT), T(INTERMEDIATE_CERT) },
	{ "inputs.subject-certificate", T(CROSS_CERT), T(CROSS_CERT) },
	{ "inputs.previous-crl", T(ROOT_CRL), 0 },
	{ "outputs", T_ALL, T_KEYED & ~T(KEY_BACKUP) },
	{ "outputs.public-key", T_GEN, T_GEN },
	{ "outputs.fingerprint", T_GEN, 0 },
	{ "outputs.certificate", T_CERT, T_CERT },
	{ "outputs.csr", T(INTERMEDIATE_KEY), T(INTERMEDIATE_KEY) },
	{ "outputs.audit-public-key", T(INTERMEDIATE_KEY), 0 },
	{ "outputs.crl", T(ROOT_CRL), T(ROOT_CRL) },
	{ "outputs.crl-pem", T(ROOT_CRL), 0 },
	{ "outputs.transcript", T_ALL, 0 },
};

#define N_CER_KEYS (sizeof(cer_keys) / sizeof(cer_keys[0]))

static const struct {
	enum signet_ceremony_type type;
	const char *name;
} type_names[] = {
	{ SIGNET_CEREMONY_ROOT_KEY, "root-key" },
	{ SIGNET_CEREMONY_ROOT_CERT, "root-cert" },
	{ SIGNET_CEREMONY_INTERMEDIATE_KEY, "intermediate-key" },
	{ SIGNET_CEREMONY_INTERMEDIATE_CERT, "intermediate-cert" },
	{ SIGNET_CEREMONY_CROSS_CERT, "cross-cert" },
	{ SIGNET_CEREMONY_ROOT_CRL, "root-crl" },
	{ SIGNET_CEREMONY_KEY_BACKUP, "key-backup" },
	{ SIGNET_CEREMONY_QUORUM_SPLIT, "quorum-split" },
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *
signet_ceremony_type_name(enum signet_ceremony_type type)
{
	size_t i;

	for (i = 0; i < N_TYPES; i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "none";
}

/* ---- Checking, with the line of each problem ------------------------------ */

struct loader {
	struct signet_ceremony *c;
	const struct yaml_lines *lines;
	const char *name; /* the file, as given */
};

static int ld_err(const struct loader *ld, const char *path, int code,
    const char *fmt, ...) SIGNET_PRINTF(4, 5);

static int
ld_err(const struct loader *ld, const char *path, int code, const char *fmt,
    ...)
{
	char msg[1400];
	va_list ap;

	va_start(ap, fmt);
	cer_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return signet_error_set(code, "%s:%u: %s: %s", ld->name,
	    yaml_lines_find(ld->lines, path), path, msg);
}

/* YAML's empty and null scalars: a key written with no value. */
static int
value_missing(const char *v)
{
	return v == NULL || v[0] == '\0' || strcmp(v, "~") == 0 ||
	       strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

/* A written value: present and not empty. */
static int
ld_value(const struct loader *ld, const char *path, const char *v)
{
	if (value_missing(v))
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "no value given; write one, or leave the key out");
	return 0;
}

/* Text shown to operators: printable, no control characters. */
static int
ld_text(const struct loader *ld, const char *path, const char *v)
{
	const unsigned char *p;
	int r;

	if ((r = ld_value(ld, path, v)) != 0)
		return r;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "holds a control character");
	return 0;
}

static int
ld_strdup(const struct loader *ld, const char *path, const char *v, char **out)
{
	int r;

	/* A missing value is refused by ld_value; said here for the analyzer. */
	if (v == NULL)
		return ld_value(ld, path, v);
	if ((r = ld_text(ld, path, v)) != 0)
		return r;
	if ((*out = strdup(v)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	return 0;
}

/* Every key written must belong to this type; every required one be there. */
static int
ld_keys_check(const struct loader *ld)
{
	enum signet_ceremony_type t = ld->c->type;
	const char *tn = signet_ceremony_type_name(t);
	unsigned bit = 1u << t;
	size_t i;

	for (i = 0; i < N_CER_KEYS; i++) {
		int has = yaml_lines_has(ld->lines, cer_keys[i].path);

		if (has && !(cer_keys[i].allowed & bit))
			return ld_err(ld, cer_keys[i].path, SIGNET_ERR_CONFIG,
			    "does not belong in a %s ceremony", tn);
		if (!has && (cer_keys[i].required & bit)) {
			const char *dot = strrchr(cer_keys[i].path, '.');
			char parent[64];

			/* A missing section is reported once, by itself. */
			if (dot != NULL) {
				snprintf(parent, sizeof(parent), "%.*s",
				    (int)(dot - cer_keys[i].path),
				    cer_keys[i].path);
				if (!yaml_lines_has(ld->lines, parent))
					continue;
			}
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "%s:%u: a %s ceremony needs %s", ld->name,
			    dot != NULL
				? yaml_lines_find(ld->lines, cer_keys[i].path)
				: 1,
			    tn, cer_keys[i].path);
		}
	}
	return 0;
}

/* ---- Tokens -----------------------------------------------------------------
 */

/* "file:REL" is taken from dir; env: and prompt as they are. */
static int
ld_pin_source(const struct loader *ld, const char *path, const char *v,
    char **out)
{
	int r;

	*out = NULL;
	if ((r = ld_text(ld, path, v)) != 0)
		return r;
	if (strcmp(v, "prompt") == 0 || strncmp(v, "env:", 4) == 0) {
		if (strncmp(v, "env:", 4) == 0 && v[4] == '\0')
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "env: needs the name of a variable");
		*out = strdup(v);
	} else if (strncmp(v, "file:", 5) == 0) {
		const char *p = v + 5;
		char *joined;

		if (strncmp(p, "//", 2) == 0)
			p += 2;
		if (*p == '\0')
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "file: needs a path");
		if ((joined = file_path_join(ld->c->dir, p)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		if (asprintf(out, "file:%s", joined) == -1)
			*out = NULL;
		free(joined);
	} else {
		/* Never echo the value: it may be the PIN itself. */
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "must be prompt, file:PATH or env:NAME; a PIN itself never "
		    "goes in a ceremony file");
	}
	if (*out == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	return 0;
}

static int
ld_token(const struct loader *ld, const char *sec, const struct cy_token *y,
    const char *role, struct cer_token_cfg *cfg)
{
	static const char *const pin_keys[] = { "pin", "pin-value", "so-pin",
		"user-pin" };
	char path[64];
	size_t i, idl = 0;
	int r;

	if (y == NULL)
		return 0;
	/* Refused before anything else, naming only the key, never the value. */
	for (i = 0; i < sizeof(pin_keys) / sizeof(pin_keys[0]); i++) {
		snprintf(path, sizeof(path), "%s.%s", sec, pin_keys[i]);
		if (yaml_lines_has(ld->lines, path))
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "a PIN never goes in a ceremony file, which is "
			    "reviewed, copied and kept with the transcript; "
			    "use pin-source: prompt, file:PATH or env:NAME");
	}
	cfg->present = 1;
	cfg->role = role;
	snprintf(path, sizeof(path), "%s.uri", sec);
	if ((r = ld_text(ld, path, y->uri)) != 0)
		return r;
	/* Named before parsing, so that no message can quote the PIN. */
	if (strstr(y->uri, "pin-value") != NULL)
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "holds a PIN (pin-value); a PIN never goes in a ceremony "
		    "file: use %s.pin-source: prompt, file:PATH or env:NAME",
		    sec);
	if (signet_uri_parse(y->uri, 0, &cfg->uri) != 0)
		return ld_err(ld, path, SIGNET_ERR_CONFIG, "%s",
		    signet_error_message());
	if (signet_uri_get0_pin_source(cfg->uri) != NULL ||
	    signet_uri_get0_module_path(cfg->uri) != NULL)
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "give the PIN source and module as %s.pin-source and "
		    "%s.module, not in the URI",
		    sec, sec);
	if (signet_uri_get0_object(cfg->uri) != NULL ||
	    signet_uri_get0_type(cfg->uri) != NULL ||
	    signet_uri_get0_id(cfg->uri, &idl) != NULL)
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "names a key (object=, id= or type=); the token URI "
		    "names only the token, the key goes under key:");
	if ((cfg->uri_text = signet_uri_to_string(cfg->uri)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (y->module != NULL) {
		snprintf(path, sizeof(path), "%s.module", sec);
		if ((r = ld_strdup(ld, path, y->module, &cfg->module)) != 0)
			return r;
	}
	if (y->pin_source != NULL && strcmp(y->pin_source, "quorum") == 0) {
		if (strcmp(sec, "token") != 0)
			return ld_err(ld, "backup-token.pin-source",
			    SIGNET_ERR_CONFIG,
			    "quorum unlocks only the ceremony's token:");
		cfg->quorum = 1;
	} else if (y->pin_source != NULL) {
		snprintf(path, sizeof(path), "%s.pin-source", sec);
		if ((r = ld_pin_source(ld, path, y->pin_source,
			 &cfg->pin_source)) != 0)
			return r;
	}
	if (y->so_pin_source != NULL) {
		snprintf(path, sizeof(path), "%s.so-pin-source", sec);
		if ((r = ld_pin_source(ld, path, y->so_pin_source,
			 &cfg->so_pin_source)) != 0)
			return r;
	}
	if (y->accept_restored_key != NULL) {
		snprintf(path, sizeof(path), "%s.accept-restored-key", sec);
		if (strcmp(y->accept_restored_key, "true") == 0)
			cfg->accept_restored = 1;
		else if (strcmp(y->accept_restored_key, "false") != 0)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "must be true or false (true: sign with a key "
			    "restored from a backup; docs/ceremony.md)");
	}
	return 0;
}

/* ---- Quorums ------------------------------------------------------------- */

static int ld_u64(const char *v, uint64_t *out);

/* The directory exists and the file does not: as for outputs. */
static int
ld_share_out(const struct loader *ld, const char *path, const char *full)
{
	char *parent;
	int r = 0;

	if ((parent = file_dirname(full)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (!file_exists(parent))
		r = ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "the directory %s does not exist; create it first", parent);
	else if (file_exists(full))
		r = ld_err(ld, path, SIGNET_ERR_CONFLICT,
		    "%s exists already; a ceremony never overwrites a file: "
		    "move it away, or name another share file",
		    full);
	free(parent);
	return r;
}

static int
ld_quorum(const struct loader *ld, const char *sec, const struct cy_quorum *y,
    int split, struct cer_quorum_cfg *q)
{
	struct cer_custodian *cu;
	char path[96];
	uint64_t m;
	size_t i, j;
	int r;

	if (y == NULL)
		return 0;
	q->present = 1;
	if (y->custodians_count == 0 || (split && y->custodians_count < 2))
		return ld_err(ld, sec, SIGNET_ERR_CONFIG,
		    "needs custodians: %s",
		    split ? "at least 2, each with name and share"
			  : "each with name and share");
	for (i = 0; i < y->custodians_count; i++) {
		const struct cy_custodian *yc = &y->custodians[i];

		cu = &q->custodians[q->n++];
		snprintf(path, sizeof(path), "%s.custodians[%zu].name", sec, i);
		if ((r = ld_strdup(ld, path, yc->name, &cu->name)) != 0)
			return r;
		if (strlen(cu->name) > 255)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "is longer than 255 bytes");
		snprintf(path, sizeof(path), "%s.custodians[%zu].words-source",
		    sec, i);
		if (yc->words_source != NULL && split)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "is for unlocking; a new share is put on paper "
			    "with paper: true");
		if (yc->words_source != NULL) {
			if (yc->share != NULL || yc->passphrase_source != NULL)
				return ld_err(ld, path, SIGNET_ERR_CONFIG,
				    "a custodian brings their share file (and "
				    "passphrase) or their words, not both");
			if ((r = ld_pin_source(ld, path, yc->words_source,
				 &cu->words_source)) != 0)
				return r;
		}
		snprintf(path, sizeof(path), "%s.custodians[%zu].paper", sec,
		    i);
		if (yc->paper != NULL) {
			if (!split)
				return ld_err(ld, path, SIGNET_ERR_CONFIG,
				    "is for a new split; to unlock with "
				    "words, give words-source");
			if (strcmp(yc->paper, "true") == 0)
				cu->paper = 1;
			else if (strcmp(yc->paper, "false") != 0)
				return ld_err(ld, path, SIGNET_ERR_CONFIG,
				    "must be true or false");
		}
		snprintf(path, sizeof(path), "%s.custodians[%zu].share", sec,
		    i);
		if (cu->words_source != NULL) {
			/* Named for the plan; never read. */
			if ((cu->share = strdup("(words)")) == NULL ||
			    (cu->share_full = strdup("(words)")) == NULL ||
			    (cu->passphrase_source = strdup("none")) == NULL)
				return signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
			goto next;
		}
		if ((r = ld_strdup(ld, path, yc->share, &cu->share)) != 0)
			return r;
		if ((cu->share_full = file_path_join(ld->c->dir, cu->share)) ==
		    NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		snprintf(path, sizeof(path),
		    "%s.custodians[%zu].passphrase-source", sec, i);
		if ((r = ld_pin_source(ld, path,
			 yc->passphrase_source != NULL ? yc->passphrase_source
						       : "prompt",
			 &cu->passphrase_source)) != 0)
			return r;
	next:
		for (j = 0; j + 1 < q->n; j++) {
			if (strcmp(q->custodians[j].name, cu->name) == 0)
				return ld_err(ld, path, SIGNET_ERR_CONFIG,
				    "custodian '%s' is listed twice", cu->name);
			if (cu->words_source == NULL &&
			    strcmp(q->custodians[j].share_full,
				cu->share_full) == 0)
				return ld_err(ld, path, SIGNET_ERR_CONFIG,
				    "share file %s is listed twice", cu->share);
		}
		if (split) {
			snprintf(path, sizeof(path), "%s.custodians[%zu].share",
			    sec, i);
			if ((r = ld_share_out(ld, path, cu->share_full)) != 0)
				return r;
		}
	}
	if (split) {
		snprintf(path, sizeof(path), "%s.threshold", sec);
		if ((r = ld_value(ld, path, y->threshold)) != 0)
			return r;
		if (ld_u64(y->threshold, &m) != 0 || m < 2 || m > q->n)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "must be a whole number from 2 to the number of "
			    "custodians (%zu): M of N, 2 <= M <= N <= %d",
			    q->n, CER_QUORUM_MAX);
		q->threshold = (unsigned)m;
	}
	return 0;
}

void
cer_quorum_cfg_clear(struct cer_quorum_cfg *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->custodians[i].name);
		free(q->custodians[i].share);
		free(q->custodians[i].share_full);
		free(q->custodians[i].passphrase_source);
		free(q->custodians[i].words_source);
	}
	memset(q, 0, sizeof(*q));
}

/* ---- Keys -------------------------------------------------------------------
 */

static int
ld_key(const struct loader *ld, const char *sec, const struct cy_key *y,
    struct cer_key_cfg *cfg)
{
	char path[64];
	int r;

	if (y == NULL)
		return 0;
	cfg->present = 1;
	if (y->type != NULL) {
		snprintf(path, sizeof(path), "%s.type", sec);
		if ((r = ld_value(ld, path, y->type)) != 0)
			return r;
		if (signet_key_type_parse(y->type, &cfg->type) != 0)
			return ld_err(ld, path, SIGNET_ERR_CONFIG, "%s",
			    signet_error_message());
	}
	snprintf(path, sizeof(path), "%s.label", sec);
	if ((r = ld_strdup(ld, path, y->label, &cfg->label)) != 0)
		return r;
	if (strlen(cfg->label) > SIGNET_KEY_LABEL_MAX)
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "is longer than %d bytes", SIGNET_KEY_LABEL_MAX);
	if (y->id != NULL) {
		snprintf(path, sizeof(path), "%s.id", sec);
		if ((r = ld_value(ld, path, y->id)) != 0)
			return r;
		if (hex_decode(y->id, cfg->id, sizeof(cfg->id), &cfg->id_len) !=
			0 ||
		    cfg->id_len == 0)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "must be 1 to %d bytes in hex, quoted (id: \"01\")",
			    SIGNET_KEY_ID_MAX);
	}
	if (y->backup != NULL) {
		snprintf(path, sizeof(path), "%s.backup", sec);
		if ((r = ld_value(ld, path, y->backup)) != 0)
			return r;
		if (strcmp(y->backup, "none") == 0)
			cfg->backup = CER_BACKUP_NONE;
		else if (strcmp(y->backup, "wrap-with-trusted") == 0)
			cfg->backup = CER_BACKUP_TRUSTED_WRAP;
		else
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "must be none (the key never leaves the token) or "
			    "wrap-with-trusted (docs/ceremony.md, key backup)");
	}
	return 0;
}

/* ---- Subjects ---------------------------------------------------------------
 */

static int
ld_subject(const struct loader *ld, const struct cy_subject *y, X509_NAME **out)
{
	const struct {
		const char *key;
		int nid;
		const char *v;
	} attrs[] = {
		{ "C", NID_countryName, y->c },
		{ "ST", NID_stateOrProvinceName, y->st },
		{ "L", NID_localityName, y->l },
		{ "street", NID_streetAddress, y->street },
		{ "postalCode", NID_postalCode, y->postal_code },
		{ "O", NID_organizationName, y->o },
		{ "OU", NID_organizationalUnitName, y->ou },
		{ "title", NID_title, y->title },
		{ "serialNumber", NID_serialNumber, y->serial_number },
		{ "givenName", NID_givenName, y->given_name },
		{ "surname", NID_surname, y->surname },
		{ "CN", NID_commonName, y->cn },
	};
	X509_NAME *name = NULL;
	char path[64];
	size_t i;
	int r = SIGNET_ERR_INTERNAL;

	*out = NULL;
	if ((name = X509_NAME_new()) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot make a subject name");
		goto out;
	}
	/* Most significant first; the policy engine checks each one. */
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].v == NULL)
			continue;
		snprintf(path, sizeof(path), "subject.%s", attrs[i].key);
		if ((r = ld_text(ld, path, attrs[i].v)) != 0)
			goto out;
		if (!X509_NAME_add_entry_by_NID(name, attrs[i].nid,
			MBSTRING_UTF8, (const unsigned char *)attrs[i].v, -1,
			-1, 0)) {
			r = ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "cannot be put in a name (too long, or not "
			    "UTF-8)");
			ERR_clear_error();
			goto out;
		}
	}
	if (X509_NAME_entry_count(name) == 0) {
		r = ld_err(ld, "subject", SIGNET_ERR_CONFIG,
		    "names no attribute; give at least CN");
		goto out;
	}
	*out = name;
	name = NULL;
	r = 0;
out:
	X509_NAME_free(name);
	return r;
}

/* ---- Times ------------------------------------------------------------------
 */

static int
ld_time(const struct loader *ld, const char *path, const char *v, time_t *out)
{
	int r;

	if ((r = ld_value(ld, path, v)) != 0)
		return r;
	if (strcmp(v, "now") == 0 || time_parse(v, out) != 0)
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "'%s' is not a UTC time like 2026-01-01T00:00:00Z", v);
	return 0;
}

static int
ld_duration(const struct loader *ld, const char *path, const char *v,
    int64_t *out)
{
	int r;

	if ((r = ld_value(ld, path, v)) != 0)
		return r;
	if (duration_parse(v, out) != 0 || *out <= 0)
		return ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "'%s' is not a duration like 7300d, 12h or 1d12h", v);
	return 0;
}

static int
ld_validity(const struct loader *ld, const struct cy_validity *y)
{
	struct signet_ceremony *c = ld->c;
	int r;

	if (y == NULL)
		return 0;
	if (y->not_before != NULL && (r = ld_time(ld, "validity.not-before",
					  y->not_before, &c->not_before)) != 0)
		return r;
	if (y->not_after != NULL && (r = ld_time(ld, "validity.not-after",
					 y->not_after, &c->not_after)) != 0)
		return r;
	if (y->duration != NULL && (r = ld_duration(ld, "validity.duration",
					y->duration, &c->duration)) != 0)
		return r;
	if (y->not_after != NULL && y->duration != NULL)
		return ld_err(ld, "validity.duration", SIGNET_ERR_CONFIG,
		    "give not-after or duration, not both");
	if (y->not_after != NULL && y->not_before == NULL)
		return ld_err(ld, "validity.not-after", SIGNET_ERR_CONFIG,
		    "needs not-before too (or use duration)");
	if (y->not_before == NULL && y->not_after == NULL &&
	    y->duration == NULL)
		return ld_err(ld, "validity", SIGNET_ERR_CONFIG,
		    "give not-before and not-after, or duration");
	if (c->not_after != 0 && c->not_after <= c->not_before)
		return ld_err(ld, "validity.not-after", SIGNET_ERR_CONFIG,
		    "is not after not-before");
	return 0;
}

/* ---- CRLs -------------------------------------------------------------------
 */

const char *
cer_crl_reason_name(int reason)
{
	if (reason == SIGNET_CRL_REASON_NONE)
		return "unspecified (no reasonCode, RFC 5280 5.3.1)";
	return signet_crl_reason_name(reason);
}

static int
ld_u64(const char *v, uint64_t *out)
{
	char *end = NULL;
	unsigned long long n;

	if (v[0] < '0' || v[0] > '9' || (v[0] == '0' && v[1] != '\0'))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (uint64_t)n;
	return 0;
}

static int
revoked_cmp(const void *a, const void *b)
{
	const struct cer_revoked *x = a, *y = b;

	return signet_serial_cmp(&x->entry.serial, &y->entry.serial);
}

static int
ld_crl(const struct loader *ld, const struct cy_crl *y)
{
	struct signet_ceremony *c = ld->c;
	char path[64];
	size_t i;
	int r;

	if (y == NULL)
		return 0;
	if ((r = ld_value(ld, "crl.number", y->number)) != 0)
		return r;
	if (ld_u64(y->number, &c->crl_number) != 0 || c->crl_number == 0)
		return ld_err(ld, "crl.number", SIGNET_ERR_CONFIG,
		    "must be a whole number from 1 up, in decimal");
	if (y->this_update != NULL &&
	    (r = ld_time(ld, "crl.this-update", y->this_update,
		 &c->this_update)) != 0)
		return r;
	if ((r = ld_value(ld, "crl.next-update", y->next_update)) != 0)
		return r;
	/* A duration after thisUpdate, or a time. */
	if (duration_parse(y->next_update, &c->next_update_in) != 0 ||
	    c->next_update_in <= 0) {
		c->next_update_in = 0;
		if (time_parse(y->next_update, &c->next_update) != 0 ||
		    strcmp(y->next_update, "now") == 0)
			return ld_err(ld, "crl.next-update", SIGNET_ERR_CONFIG,
			    "'%s' is neither a duration (365d) nor a UTC "
			    "time (2027-01-01T00:00:00Z)",
			    y->next_update);
		if (c->this_update != 0 && c->next_update <= c->this_update)
			return ld_err(ld, "crl.next-update", SIGNET_ERR_CONFIG,
			    "is not after this-update");
	}
	if (y->revoked_count == 0)
		return 0;
	if ((c->revoked = calloc(y->revoked_count, sizeof(*c->revoked))) ==
	    NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < y->revoked_count; i++) {
		const struct cy_revoked *e = &y->revoked[i];
		struct cer_revoked *out = &c->revoked[i];

		snprintf(path, sizeof(path), "crl.revoked[%zu]", i);
		out->line = yaml_lines_find(ld->lines, path);
		snprintf(path, sizeof(path), "crl.revoked[%zu].serial", i);
		if ((r = ld_value(ld, path, e->serial)) != 0)
			return r;
		if (signet_serial_from_hex(e->serial, &out->entry.serial) != 0)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "'%s' is not a positive serial number in hex "
			    "(up to 20 octets)",
			    e->serial);
		snprintf(path, sizeof(path), "crl.revoked[%zu].date", i);
		if ((r = ld_time(ld, path, e->date, &out->entry.revoked_at)) !=
		    0)
			return r;
		snprintf(path, sizeof(path), "crl.revoked[%zu].reason", i);
		if ((r = ld_value(ld, path, e->reason)) != 0)
			return r;
		/* The exact RFC 5280 name; a root CRL revokes CA certificates. */
		if (signet_crl_reason_parse(e->reason, &out->entry.reason) !=
			0 ||
		    strcmp(signet_crl_reason_name(out->entry.reason),
			e->reason) != 0 ||
		    signet_crl_reason_check(out->entry.reason,
			SIGNET_CRL_SUBJECT_CA) != 0)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "'%s' is not a reason a CA CRL may give: "
			    "unspecified, keyCompromise, cACompromise, "
			    "affiliationChanged, superseded, "
			    "cessationOfOperation, privilegeWithdrawn or "
			    "aACompromise (certificateHold is never allowed, "
			    "BR 7.2.2)",
			    e->reason);
		/* RFC 5280 5.3.1: no reasonCode for unspecified. */
		if (out->entry.reason == SIGNET_CRL_REASON_UNSPECIFIED)
			out->entry.reason = SIGNET_CRL_REASON_NONE;
		if (e->invalidity_date != NULL) {
			snprintf(path, sizeof(path),
			    "crl.revoked[%zu].invalidity-date", i);
			if ((r = ld_time(ld, path, e->invalidity_date,
				 &out->entry.invalidity_date)) != 0)
				return r;
		}
	}
	c->n_revoked = y->revoked_count;
	qsort(c->revoked, c->n_revoked, sizeof(*c->revoked), revoked_cmp);
	for (i = 1; i < c->n_revoked; i++)
		if (signet_serial_cmp(&c->revoked[i - 1].entry.serial,
			&c->revoked[i].entry.serial) == 0) {
			char hex[41];

			signet_serial_to_hex(&c->revoked[i].entry.serial, hex);
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "%s:%u: crl.revoked: serial %s is listed twice "
			    "(also on line %u)",
			    ld->name,
			    c->revoked[i].line > c->revoked[i - 1].line
				? c->revoked[i].line
				: c->revoked[i - 1].line,
			    hex,
			    c->revoked[i].line > c->revoked[i - 1].line
				? c->revoked[i - 1].line
				: c->revoked[i].line);
		}
	return 0;
}

/* ---- Inputs and outputs -----------------------------------------------------
 */

static int
ld_input(const struct loader *ld, const char *path, const char *name,
    const char *v, size_t max)
{
	struct signet_ceremony *c = ld->c;
	struct cer_input *in;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ld_value(ld, path, v)) != 0)
		return r;
	if (c->n_inputs == CER_MAX_INPUTS)
		return signet_error_set(SIGNET_ERR_INTERNAL, "too many inputs");
	in = &c->inputs[c->n_inputs++];
	in->name = name;
	if ((in->path = strdup(v)) == NULL ||
	    (in->full = file_path_join(c->dir, v)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((r = file_read(in->full, max, &in->data, &in->len)) != 0)
		return ld_err(ld, path, r, "%s", signet_error_message());
	if ((r = sha256_hex(in->data, in->len, in->sha256)) != 0)
		return r;
	return 0;
}

static int
ld_output(const struct loader *ld, const char *path, const char *name,
    const char *v)
{
	struct signet_ceremony *c = ld->c;
	struct cer_output *o;
	char *parent;
	size_t i;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ld_text(ld, path, v)) != 0)
		return r;
	if (c->n_outputs == CER_MAX_OUTPUTS)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "too many outputs");
	for (i = 0; i < c->n_outputs; i++)
		if (strcmp(c->outputs[i].path, v) == 0)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "'%s' is also output %s", v,
			    c->outputs[i].pub.name);
	o = &c->outputs[c->n_outputs++];
	o->pub.name = name;
	if ((o->path = strdup(v)) == NULL ||
	    (o->full = file_path_join(c->dir, v)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	o->pub.path = o->path;
	for (i = 0; i < c->n_inputs; i++)
		if (strcmp(c->inputs[i].full, o->full) == 0)
			return ld_err(ld, path, SIGNET_ERR_CONFIG,
			    "'%s' is also input %s", v, c->inputs[i].name);
	if ((parent = file_dirname(o->full)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (!file_exists(parent)) {
		r = ld_err(ld, path, SIGNET_ERR_CONFIG,
		    "the directory %s does not exist; create it first", parent);
		free(parent);
		return r;
	}
	free(parent);
	/* Checked again, atomically, when written: this is the early word. */
	if (file_exists(o->full))
		return ld_err(ld, path, SIGNET_ERR_CONFLICT,
		    "%s exists already; a ceremony never overwrites a file: "
		    "move it away, or name another output",
		    o->full);
	return 0;
}

/* The transcript's default name: the ceremony file's, in dir. */
static int
ld_transcript(const struct loader *ld, const struct cy_outputs *y)
{
	struct signet_ceremony *c = ld->c;
	const char *base, *v = y != NULL ? y->transcript : NULL;
	char *sig = NULL;
	size_t n;
	int r;

	if (v != NULL) {
		if ((r = ld_text(ld, "outputs.transcript", v)) != 0)
			return r;
		if ((c->transcript_path = strdup(v)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
	} else {
		base = strrchr(c->file, '/');
		base = base != NULL ? base + 1 : c->file;
		n = strlen(base);
		if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
			n -= 5;
		else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
			n -= 4;
		if (asprintf(&c->transcript_path, "%.*s.transcript.json",
			(int)n, base) == -1) {
			c->transcript_path = NULL;
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		}
	}
	if ((c->transcript_full = file_path_join(c->dir, c->transcript_path)) ==
		NULL ||
	    asprintf(&sig, "%s.sig", c->transcript_full) == -1)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	r = 0;
	if (file_exists(c->transcript_full) || file_exists(sig))
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s:%u: the transcript %s (or its .sig) exists already: "
		    "this ceremony has been run; a ceremony never overwrites "
		    "its record",
		    ld->name,
		    v != NULL ? yaml_lines_find(ld->lines, "outputs.transcript")
			      : 1,
		    c->transcript_full);
	free(sig);
	return r;
}

const struct cer_input *
cer_input_get(const struct signet_ceremony *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_inputs; i++)
		if (strcmp(c->inputs[i].name, name) == 0)
			return &c->inputs[i];
	return NULL;
}

struct cer_output *
cer_output_get(struct signet_ceremony *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_outputs; i++)
		if (strcmp(c->outputs[i].pub.name, name) == 0)
			return &c->outputs[i];
	return NULL;
}

/* ---- Policy -----------------------------------------------------------------
 */

static int
ld_policy(const struct loader *ld, const struct cy_ceremony *y)
{
	struct signet_ceremony *c = ld->c;
	const struct cer_input *in;
	uint64_t n;
	int r;

	if (y->policy == NULL)
		return 0;
	if ((r = ld_input(ld, "policy", "policy", y->policy,
		 SIGNET_POLICY_MAX_SIZE)) != 0)
		return r;
	in = cer_input_get(c, "policy");
	/* The bytes hashed are the bytes loaded. */
	if ((r = signet_policy_load_mem(in->full, in->data, in->len,
		 &c->policy)) != 0)
		return ld_err(ld, "policy", r, "%s", signet_error_message());
	if ((r = ld_value(ld, "profile", y->profile)) != 0)
		return r;
	if (signet_policy_find(c->policy, y->profile, &c->base_profile) != 0)
		return ld_err(ld, "profile", SIGNET_ERR_CONFIG, "%s",
		    signet_error_message());
	if (!c->base_profile->is_ca)
		return ld_err(ld, "profile", SIGNET_ERR_CONFIG,
		    "profile '%s' is not a CA profile; ceremonies make only "
		    "CA certificates",
		    y->profile);
	c->profile = *c->base_profile;
	c->path_len = -1;
	if (y->path_len != NULL) {
		if ((r = ld_value(ld, "path-len", y->path_len)) != 0)
			return r;
		if (ld_u64(y->path_len, &n) != 0 || n > 32)
			return ld_err(ld, "path-len", SIGNET_ERR_CONFIG,
			    "must be a whole number from 0 to 32");
		/* A ceremony may narrow its profile, never widen it. */
		if (c->base_profile->path_len >= 0 &&
		    (int)n > c->base_profile->path_len)
			return ld_err(ld, "path-len", SIGNET_ERR_CONFIG,
			    "%" PRIu64 " is more than profile '%s' allows "
			    "(%d); a ceremony may only narrow its profile",
			    n, c->base_profile->name,
			    c->base_profile->path_len);
		c->path_len = (int)n;
		c->profile.path_len = (int)n;
	}
	return 0;
}

/* ---- The whole file ---------------------------------------------------------
 */

static int
ld_type(const struct loader *ld, const char *v)
{
	size_t i;
	int r;

	if ((r = ld_value(ld, "ceremony", v)) != 0)
		return r;
	for (i = 0; i < N_TYPES; i++)
		if (strcmp(type_names[i].name, v) == 0) {
			ld->c->type = type_names[i].type;
			return 0;
		}
	return ld_err(ld, "ceremony", SIGNET_ERR_CONFIG,
	    "'%s' is not a ceremony: root-key, root-cert, intermediate-key, "
	    "intermediate-cert, cross-cert, root-crl, key-backup or "
	    "quorum-split",
	    v);
}

static int
ld_all(struct loader *ld, const struct cy_ceremony *y)
{
	struct signet_ceremony *c = ld->c;
	const struct cy_inputs *yi = y->inputs;
	const struct cy_outputs *yo = y->outputs;
	size_t i;
	int r;

	if (!yaml_lines_has(ld->lines, "ceremony"))
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "%s:1: the file does not say which ceremony it is "
		    "(ceremony: root-key, root-cert, ...)",
		    ld->name);
	if ((r = ld_type(ld, y->ceremony)) != 0 || (r = ld_keys_check(ld)) != 0)
		return r;
	if (y->description != NULL &&
	    (r = ld_strdup(ld, "description", y->description,
		 &c->description)) != 0)
		return r;
	if (y->operators_count > 0 && (c->operators = calloc(y->operators_count,
					   sizeof(*c->operators))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < y->operators_count; i++) {
		char path[32];

		snprintf(path, sizeof(path), "operators[%zu]", i);
		if ((r = ld_strdup(ld, path, y->operators[i],
			 &c->operators[c->n_operators])) != 0)
			return r;
		c->n_operators++;
	}
	if ((r = ld_token(ld, "token", y->token,
		 c->type == SIGNET_CEREMONY_INTERMEDIATE_KEY ? "online"
							     : "root",
		 &c->token)) != 0 ||
	    (r = ld_token(ld, "backup-token", y->backup_token, "backup",
		 &c->backup_token)) != 0 ||
	    (r = ld_key(ld, "key", y->key, &c->key)) != 0 ||
	    (r = ld_key(ld, "audit-key", y->audit_key, &c->audit_key)) != 0)
		return r;
	if ((r = ld_quorum(ld, "quorum", y->quorum, 0, &c->unlock)) != 0 ||
	    (r = ld_quorum(ld, "split", y->split, 1, &c->split)) != 0)
		return r;
	if (c->token.quorum && !c->unlock.present)
		return ld_err(ld, "token.pin-source", SIGNET_ERR_CONFIG,
		    "is quorum, but the file has no quorum: section listing "
		    "the custodians and their share files");
	if (c->unlock.present && !c->token.quorum)
		return ld_err(ld, "quorum", SIGNET_ERR_CONFIG,
		    "is used only with token.pin-source: quorum");
	for (i = 0; i < c->split.n; i++) {
		size_t j;

		for (j = 0; j < c->unlock.n; j++)
			if (strcmp(c->split.custodians[i].share_full,
				c->unlock.custodians[j].share_full) == 0)
				return ld_err(ld, "split", SIGNET_ERR_CONFIG,
				    "share file %s is also one that unlocks "
				    "the token; the new shares go to new files",
				    c->split.custodians[i].share);
	}
	if (c->audit_key.present) {
		if (c->audit_key.type == SIGNET_KEY_NONE ||
		    c->audit_key.id_len == 0)
			return ld_err(ld, "audit-key", SIGNET_ERR_CONFIG,
			    "needs type, label and id");
		if (yo == NULL || yo->audit_public_key == NULL)
			return ld_err(ld, "audit-key", SIGNET_ERR_CONFIG,
			    "needs outputs.audit-public-key");
		if (strcmp(c->audit_key.label, c->key.label) == 0 ||
		    (c->audit_key.id_len == c->key.id_len &&
			memcmp(c->audit_key.id, c->key.id, c->key.id_len) == 0))
			return ld_err(ld, "audit-key", SIGNET_ERR_CONFIG,
			    "needs its own label and id, not the "
			    "intermediate key's");
	} else if (yo != NULL && yo->audit_public_key != NULL) {
		return ld_err(ld, "outputs.audit-public-key", SIGNET_ERR_CONFIG,
		    "is written only with an audit-key");
	}
	if (y->subject != NULL &&
	    (r = ld_subject(ld, y->subject, &c->subject)) != 0)
		return r;
	if ((r = ld_validity(ld, y->validity)) != 0 ||
	    (r = ld_crl(ld, y->crl)) != 0 || (r = ld_policy(ld, y)) != 0)
		return r;
	if (yi != NULL) {
		if ((r = ld_input(ld, "inputs.public-key", "public-key",
			 yi->public_key, CER_INPUT_MAX)) != 0 ||
		    (r = ld_input(ld, "inputs.issuer-certificate",
			 "issuer-certificate", yi->issuer_certificate,
			 CER_INPUT_MAX)) != 0 ||
		    (r = ld_input(ld, "inputs.csr", "csr", yi->csr,
			 SIGNET_CSR_MAX_DEFAULT)) != 0 ||
		    (r = ld_input(ld, "inputs.subject-certificate",
			 "subject-certificate", yi->subject_certificate,
			 CER_INPUT_MAX)) != 0 ||
		    (r = ld_input(ld, "inputs.previous-crl", "previous-crl",
			 yi->previous_crl, CER_INPUT_MAX)) != 0)
			return r;
	}
	if (yo != NULL) {
		if ((r = ld_output(ld, "outputs.public-key", "public-key",
			 yo->public_key)) != 0 ||
		    (r = ld_output(ld, "outputs.fingerprint", "fingerprint",
			 yo->fingerprint)) != 0 ||
		    (r = ld_output(ld, "outputs.certificate", "certificate",
			 yo->certificate)) != 0 ||
		    (r = ld_output(ld, "outputs.csr", "csr", yo->csr)) != 0 ||
		    (r = ld_output(ld, "outputs.audit-public-key",
			 "audit-public-key", yo->audit_public_key)) != 0 ||
		    (r = ld_output(ld, "outputs.crl", "crl", yo->crl)) != 0 ||
		    (r = ld_output(ld, "outputs.crl-pem", "crl-pem",
			 yo->crl_pem)) != 0)
			return r;
	}
	if ((r = ld_transcript(ld, yo)) != 0)
		return r;
	for (i = 0; i < c->n_outputs; i++)
		if (strcmp(c->outputs[i].full, c->transcript_full) == 0)
			return ld_err(ld, "outputs.transcript",
			    SIGNET_ERR_CONFIG, "is also output %s",
			    c->outputs[i].pub.name);
	if (c->type == SIGNET_CEREMONY_KEY_BACKUP &&
	    strcmp(c->token.uri_text, c->backup_token.uri_text) == 0)
		return ld_err(ld, "backup-token.uri", SIGNET_ERR_CONFIG,
		    "names the same token as token.uri; a backup goes to "
		    "another token");
	return 0;
}

int
signet_ceremony_load(const char *path, const char *dir,
    struct signet_ceremony **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_ceremony *c = NULL;
	struct yaml_lines *lines = NULL;
	struct cy_ceremony *y = NULL;
	void *doc = NULL;
	struct loader ld;
	uint8_t digest[32];

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	c->path_len = -1;
	if ((c->file = strdup(path)) == NULL ||
	    (c->dir = strdup(dir != NULL ? dir : ".")) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* Unreadable or too large: a configuration error, as signet.yaml's. */
	if (file_read(path, SIGNET_CEREMONY_FILE_MAX, &c->text, &c->text_len) !=
	    0) {
		r = signet_error_recode(SIGNET_ERR_CONFIG,
		    "reading the ceremony file");
		goto out;
	}
	if ((r = sha256(c->text, c->text_len, digest)) != 0)
		goto out;
	hex_encode(digest, sizeof(digest), c->sha256);
	memcpy(c->confirm_code, c->sha256, 8);
	c->confirm_code[8] = '\0';
	if ((r = yaml_doc_load(path, c->text, c->text_len, &y_ceremony, &doc,
		 &lines)) != 0)
		goto out;
	y = doc;
	ld.c = c;
	ld.lines = lines;
	ld.name = path;
	if ((r = ld_all(&ld, y)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	yaml_doc_free(&y_ceremony, doc);
	yaml_lines_free(lines);
	signet_ceremony_free(c);
	return r;
}

static void
token_cfg_clear(struct cer_token_cfg *t)
{
	signet_uri_free(t->uri);
	free(t->uri_text);
	free(t->module);
	free(t->pin_source);
	free(t->so_pin_source);
}

void
signet_ceremony_free(struct signet_ceremony *c)
{
	size_t i;

	if (c == NULL)
		return;
	signet_tbs_free(c->tbs);
	signet_request_free(c->request);
	signet_issuer_free(c->issuer);
	X509_free(c->issuer_cert);
	EVP_PKEY_free(c->subject_pub);
	for (i = 0; i < c->n_keys; i++)
		signet_key_free(c->keys[i].key);
	for (i = 0; i < c->n_tokens; i++)
		signet_token_free(c->tokens[i]);
	json_decref(c->steps);
	json_decref(c->lint);
	json_decref(c->extra);
	cer_text_free(&c->plan_body);
	free(c->plan);
	free(c->transcript_written);
	for (i = 0; i < c->n_inputs; i++) {
		free(c->inputs[i].path);
		free(c->inputs[i].full);
		free(c->inputs[i].data);
	}
	for (i = 0; i < c->n_outputs; i++) {
		free(c->outputs[i].path);
		free(c->outputs[i].full);
		free(c->outputs[i].data);
		json_decref(c->outputs[i].details);
	}
	free(c->transcript_path);
	free(c->transcript_full);
	free(c->revoked);
	signet_policy_free(c->policy);
	X509_NAME_free(c->subject);
	token_cfg_clear(&c->token);
	token_cfg_clear(&c->backup_token);
	cer_quorum_cfg_clear(&c->unlock);
	cer_quorum_cfg_clear(&c->split);
	json_decref(c->quorum);
	free(c->key.label);
	free(c->audit_key.label);
	for (i = 0; i < c->n_operators; i++)
		free(c->operators[i]);
	free(c->operators);
	free(c->description);
	free(c->file);
	free(c->dir);
	free(c->text);
	free(c);
}

enum signet_ceremony_type
signet_ceremony_get_type(const struct signet_ceremony *c)
{
	return c->type;
}

const char *
signet_ceremony_sha256(const struct signet_ceremony *c)
{
	return c->sha256;
}

const char *
signet_ceremony_confirm_code(const struct signet_ceremony *c)
{
	return c->confirm_code;
}

size_t
signet_ceremony_operator_count(const struct signet_ceremony *c)
{
	return c->n_operators;
}

int
signet_ceremony_add_operator(struct signet_ceremony *c, const char *name)
{
	char **v;
	const unsigned char *p;

	if (name == NULL || name[0] == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an operator needs a name");
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "an operator's name holds a control character");
	if (c->n_operators >= CY_LIST_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "more than %d operators", CY_LIST_MAX);
	if ((v = realloc(c->operators, (c->n_operators + 1) * sizeof(*v))) ==
	    NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	c->operators = v;
	if ((v[c->n_operators] = strdup(name)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	c->n_operators++;
	return 0;
}
