/*
 * signet token: look at a module's tokens and keys, and generate keys on a
 * token. PINs are never taken as arguments (docs/hsm.md lists the sources).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "signet/token.h"
#include "util/codec.h"
#include "util/file.h"

static void
token_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet token list [--module PATH] [--token URI] "
	    "[--pin-env NAME] [--json]\n"
	    "       signet token keygen --token URI --label NAME --type TYPE\n"
	    "                           [--id HEX] [--module PATH] "
	    "[--pin-env NAME]\n"
	    "                           [--pubout FILE] "
	    "[--insecure-pin-in-uri]\n"
	    "       signet token check URI [--type TYPE] [--module PATH] "
	    "[--pin-env NAME]\n"
	    "                          [--insecure-pin-in-uri]\n"
	    "\n"
	    "  list     the slots and tokens of a PKCS#11 module (no login);\n"
	    "           with --token, that token's private keys (logs in)\n"
	    "  keygen   generate a sensitive, non-extractable key pair on "
	    "the token\n"
	    "  check    what the token offers, and a sign/verify round trip "
	    "on a\n           throwaway key\n"
	    "\n"
	    "'signet token list --help', 'signet token keygen --help' and "
	    "'signet token\ncheck --help' describe the options. See "
	    "docs/hsm.md.\n");
}

static void
list_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet token list [--module PATH] [--token URI] "
	    "[--pin-env NAME] [--json]\n"
	    "\n"
	    "Without --token: every slot of the module, its token and the "
	    "token's PIN\nstate, without logging in. With --token: log in "
	    "to that token and list its\nprivate keys with their "
	    "attributes; if the URI names a key (object= or id=),\n"
	    "find and check that key as a CA would (it must be sensitive and "
	    "not\nextractable).\n"
	    "\n"
	    "  --module PATH    PKCS#11 module (default %s,\n"
	    "                   or the URI's module-path)\n"
	    "  --token URI      RFC 7512 URI of one token, e.g. "
	    "pkcs11:token=root\n"
	    "  --pin-env NAME   read the PIN from environment variable NAME\n"
	    "                   (otherwise the URI's pin-source, or a prompt "
	    "on the terminal)\n"
	    "  --json           machine-readable output\n"
	    "  --insecure-pin-in-uri  accept a pin-value in the URI "
	    "(visible to other users)\n",
	    SIGNET_DEFAULT_MODULE);
}

static void
keygen_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet token keygen --token URI --label NAME --type TYPE\n"
	    "                           [--id HEX] [--module PATH] "
	    "[--pin-env NAME]\n"
	    "                           [--pubout FILE] "
	    "[--insecure-pin-in-uri]\n"
	    "\n"
	    "Generate a key pair on the token: the private key sensitive, "
	    "non-extractable\nand for signing only. Refuses a label or id "
	    "already in use. Prints the key's\nURI, the SHA-256 fingerprint "
	    "of its SubjectPublicKeyInfo and its attributes.\n"
	    "\n"
	    "  --token URI      RFC 7512 URI of the token, e.g. "
	    "pkcs11:token=root\n"
	    "  --label NAME     the key's CKA_LABEL\n"
	    "  --type TYPE      ec-p256, ec-p384, ec-p521, rsa-2048, "
	    "rsa-3072 or rsa-4096\n"
	    "  --id HEX         the key's CKA_ID (default: 16 random bytes "
	    "from the token)\n"
	    "  --module PATH    PKCS#11 module (default %s)\n"
	    "  --pin-env NAME   read the PIN from environment variable NAME\n"
	    "  --pubout FILE    also write the public key (PEM) to FILE, "
	    "which must not exist\n"
	    "  --insecure-pin-in-uri  accept a pin-value in the URI "
	    "(visible to other users)\n",
	    SIGNET_DEFAULT_MODULE);
}

static void
check_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet token check URI [--type TYPE] [--module PATH] "
	    "[--pin-env NAME]\n"
	    "                          [--insecure-pin-in-uri]\n"
	    "\n"
	    "Run signet's capability checks on the token and print one line "
	    "per check:\nthe sessions it allows; for each key type, whether "
	    "it generates and signs\nwith such keys (mechanisms and key "
	    "sizes); RSA-PSS; wrapping for key backup.\nThen log in, "
	    "generate a throwaway key pair, sign random messages with it\n"
	    "(at most 50, or 2 seconds), verify each with the public key "
	    "alone, and\ndestroy the pair. Each line: the check, then info, "
	    "yes, no, ok or FAIL.\nExit 0 when the round trip worked; what "
	    "the token does not offer is reported,\nnot a failure.\n"
	    "\n"
	    "  URI              RFC 7512 URI of the token, e.g. "
	    "pkcs11:token=root\n"
	    "  --type TYPE      the throwaway key's type (default ec-p256)\n"
	    "  --module PATH    PKCS#11 module (default %s)\n"
	    "  --pin-env NAME   read the PIN from environment variable NAME\n"
	    "  --insecure-pin-in-uri  accept a pin-value in the URI "
	    "(visible to other users)\n",
	    SIGNET_DEFAULT_MODULE);
}

/* Options the subcommands share. */
struct token_args {
	const char *module;
	const char *token;
	const char *pin_env;
	int insecure_pin;
	char *pin_source; /* "env:NAME" */
};

static int
token_args_open(struct token_args *a, struct signet_p11_uri **uri,
    struct signet_token **tok)
{
	struct signet_token_opts opts;
	unsigned flags = a->insecure_pin ? SIGNET_URI_ALLOW_PIN_VALUE : 0;
	int r;

	*uri = NULL;
	*tok = NULL;
	if ((r = signet_uri_parse(a->token, flags, uri)) != 0) {
		signet_error_context(r, "--token");
		return cli_fail(r);
	}
	if (signet_uri_has_pin_value(*uri))
		cli_warn("the token URI holds a PIN (--insecure-pin-in-uri): "
			 "other users can read it in the process list, and "
			 "it stays in shell history");
	memset(&opts, 0, sizeof(opts));
	opts.module_path = a->module;
	opts.allow_pin_in_uri = a->insecure_pin;
	if (a->pin_env != NULL) {
		if (asprintf(&a->pin_source, "env:%s", a->pin_env) == -1) {
			a->pin_source = NULL;
			signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
			return cli_fail(SIGNET_ERR_INTERNAL);
		}
		opts.pin_source = a->pin_source;
	}
	if ((r = signet_token_open(*uri, &opts, tok)) != 0)
		return cli_fail(r);
	return 0;
}

static void
flags_text(const struct signet_token_info *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s",
	    t->initialized ? "initialized" : "not initialized",
	    t->login_required ? ", login required" : "",
	    t->user_pin_initialized ? ", user PIN set" : ", no user PIN",
	    t->pin_count_low ? ", PIN count low" : "",
	    t->pin_final_try ? ", PIN FINAL TRY" : "",
	    t->pin_locked ? ", PIN LOCKED" : "");
}

static json_t *
token_json(const struct signet_token_info *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "slot_id", json_integer((json_int_t)t->slot_id));
	json_object_set_new(o, "slot_description",
	    json_string(t->slot_description));
	json_object_set_new(o, "token_present", json_boolean(t->token_present));
	if (!t->token_present)
		return o;
	json_object_set_new(o, "label", json_string(t->label));
	json_object_set_new(o, "manufacturer", json_string(t->manufacturer));
	json_object_set_new(o, "model", json_string(t->model));
	json_object_set_new(o, "serial", json_string(t->serial));
	json_object_set_new(o, "initialized", json_boolean(t->initialized));
	json_object_set_new(o, "login_required",
	    json_boolean(t->login_required));
	json_object_set_new(o, "user_pin_initialized",
	    json_boolean(t->user_pin_initialized));
	json_object_set_new(o, "pin_count_low", json_boolean(t->pin_count_low));
	json_object_set_new(o, "pin_final_try", json_boolean(t->pin_final_try));
	json_object_set_new(o, "pin_locked", json_boolean(t->pin_locked));
	return o;
}

static void
token_print(const struct signet_token_info *t)
{
	char flags[160];

	printf("slot %lu: %s\n", t->slot_id, t->slot_description);
	if (!t->token_present) {
		printf("  no token\n");
		return;
	}
	flags_text(t, flags, sizeof(flags));
	printf("  token: '%s'\n  manufacturer: %s\n  model: %s\n"
	       "  serial: %s\n  flags: %s\n",
	    t->label, t->manufacturer, t->model, t->serial, flags);
}

struct list_ctx {
	int json;
	json_t *array;
	struct signet_token *tok;
};

static int
list_slot_cb(void *arg, const struct signet_token_info *t)
{
	struct list_ctx *c = arg;

	if (c->json)
		json_array_append_new(c->array, token_json(t));
	else
		token_print(t);
	return 0;
}

static int
list_key_cb(void *arg, const struct signet_key_info *k)
{
	struct list_ctx *c = arg;
	char id[2 * SIGNET_KEY_ID_MAX + 1];
	char *uri = signet_token_key_uri(c->tok, k);
	json_t *o;

	hex_encode(k->id, k->id_len, id);
	if (c->json) {
		o = json_object();
		json_object_set_new(o, "label", json_string(k->label));
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(o, "uri", json_string(uri ? uri : ""));
		json_object_set_new(o, "type", json_string(k->type_name));
		json_object_set_new(o, "bits", json_integer(k->bits));
		json_object_set_new(o, "sign", json_boolean(k->sign));
		json_object_set_new(o, "sensitive", json_boolean(k->sensitive));
		json_object_set_new(o, "extractable",
		    json_boolean(k->extractable));
		json_object_set_new(o, "always_sensitive",
		    json_boolean(k->always_sensitive));
		json_object_set_new(o, "never_extractable",
		    json_boolean(k->never_extractable));
		json_object_set_new(o, "wrap_with_trusted",
		    json_boolean(k->wrap_with_trusted));
		json_array_append_new(c->array, o);
	} else {
		printf("key '%s'\n  uri: %s\n  type: %s (%u bits)\n  id: %s\n"
		       "  sign: %s\n  sensitive: %s\n  extractable: %s\n"
		       "  always-sensitive: %s\n  never-extractable: %s\n",
		    k->label, uri ? uri : "?", k->type_name, k->bits,
		    id[0] ? id : "(none)", k->sign ? "yes" : "no",
		    k->sensitive ? "yes" : "NO",
		    !k->extractable ? "no"
		    : k->wrap_with_trusted
			? "only wrapped by a key the SO trusts "
			  "(CKA_WRAP_WITH_TRUSTED, for backup)"
			: "YES (unsafe for a CA key)",
		    k->always_sensitive ? "yes" : "no",
		    k->never_extractable ? "yes" : "no");
	}
	free(uri);
	return 0;
}

static int
json_print(json_t *o)
{
	if (json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		signet_error_set(SIGNET_ERR_IO, "cannot write JSON output");
		return cli_fail(SIGNET_ERR_IO);
	}
	putchar('\n');
	return 0;
}

enum {
	OPT_MODULE = 256,
	OPT_TOKEN,
	OPT_PIN_ENV,
	OPT_JSON,
	OPT_INSECURE_PIN,
	OPT_LABEL,
	OPT_TYPE,
	OPT_ID,
	OPT_PUBOUT,
	OPT_HELP,
};

static const struct option token_options[] = {
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "pin-env", required_argument, NULL, OPT_PIN_ENV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "insecure-pin-in-uri", no_argument, NULL, OPT_INSECURE_PIN },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "id", required_argument, NULL, OPT_ID },
	{ "pubout", required_argument, NULL, OPT_PUBOUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct token_cmdline {
	struct token_args a;
	int json;
	const char *label, *type, *id, *pubout;
	int help;
};

/* 1 if word is one of the space-separated words in list. */
static int
word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * Parse argv (argv[0] is the subcommand); allowed: options it accepts;
 * operand: where its one operand goes, or NULL if it takes none.
 */
static int
token_getopt(int argc, char **argv, const char *cmd, const char *allowed,
    const char **operand, struct token_cmdline *c)
{
	int ch;

	memset(c, 0, sizeof(*c));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", token_options, NULL)) != -1) {
		const char *name = NULL;
		size_t i;

		for (i = 0; token_options[i].name != NULL; i++)
			if (token_options[i].val == ch)
				name = token_options[i].name;
		if (ch == '?')
			return cli_usage(cmd, "unknown option '%s'",
			    argv[optind - 1]);
		if (ch == ':')
			return cli_usage(cmd, "option '%s' needs a value",
			    argv[optind - 1]);
		if (name == NULL || !word_in(allowed, name))
			return cli_usage(cmd,
			    "option '--%s' does not apply here",
			    name != NULL ? name : "?");
		switch (ch) {
		case OPT_MODULE:
			c->a.module = optarg;
			break;
		case OPT_TOKEN:
			c->a.token = optarg;
			break;
		case OPT_PIN_ENV:
			c->a.pin_env = optarg;
			break;
		case OPT_JSON:
			c->json = 1;
			break;
		case OPT_INSECURE_PIN:
			c->a.insecure_pin = 1;
			break;
		case OPT_LABEL:
			c->label = optarg;
			break;
		case OPT_TYPE:
			c->type = optarg;
			break;
		case OPT_ID:
			c->id = optarg;
			break;
		case OPT_PUBOUT:
			c->pubout = optarg;
			break;
		case OPT_HELP:
			c->help = 1;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (operand != NULL && optind < argc)
		*operand = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int
token_list(int argc, char **argv)
{
	int r = SIGNET_ERR_INTERNAL, st = 1;
	struct token_cmdline c;
	struct signet_p11_uri *uri = NULL;
	struct signet_token *tok = NULL;
	struct signet_token_info info;
	struct list_ctx ctx = { 0, NULL, NULL };
	struct signet_key *key = NULL;
	json_t *root = NULL;
	size_t id_len = 0;

	if ((st = token_getopt(argc, argv, "token list",
		 "module token pin-env json insecure-pin-in-uri help", NULL,
		 &c)) != 0)
		goto out;
	if (c.help) {
		list_usage(stdout);
		st = 0;
		goto out;
	}
	ctx.json = c.json;
	if (c.json) {
		root = json_object();
		ctx.array = json_array();
	}
	if (c.a.token == NULL) {
		if (c.a.pin_env != NULL || c.a.insecure_pin) {
			st = cli_usage("token list",
			    "--pin-env and --insecure-pin-in-uri apply only "
			    "with --token (listing slots needs no login)");
			goto out;
		}
		if (!c.json)
			printf("module: %s\n",
			    c.a.module ? c.a.module : SIGNET_DEFAULT_MODULE);
		if ((r = signet_token_list(c.a.module, list_slot_cb, &ctx)) !=
		    0) {
			st = cli_fail(r);
			goto out;
		}
		if (c.json) {
			json_object_set_new(root, "module",
			    json_string(c.a.module ? c.a.module
						   : SIGNET_DEFAULT_MODULE));
			json_object_set(root, "slots", ctx.array);
			st = json_print(root);
			goto out;
		}
		st = 0;
		goto out;
	}
	if ((st = token_args_open(&c.a, &uri, &tok)) != 0)
		goto out;
	ctx.tok = tok;
	/* A URI that names a key: find and check it as a CA would. */
	if ((signet_uri_get0_object(uri) != NULL ||
		signet_uri_get0_id(uri, &id_len) != NULL) &&
	    (r = signet_key_find(tok, uri, &key)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if ((r = signet_token_get_info(tok, &info)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if (c.json) {
		json_object_set_new(root, "module",
		    json_string(signet_token_module_path(tok)));
		json_object_set_new(root, "token", token_json(&info));
	} else {
		printf("module: %s\n", signet_token_module_path(tok));
		token_print(&info);
	}
	if (key != NULL)
		(void)list_key_cb(&ctx, signet_key_get0_info(key));
	else if ((r = signet_key_list(tok, list_key_cb, &ctx)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if (c.json) {
		json_object_set(root, "keys", ctx.array);
		st = json_print(root);
		goto out;
	}
	st = 0;
out:
	json_decref(ctx.array);
	json_decref(root);
	signet_key_free(key);
	signet_token_free(tok);
	signet_uri_free(uri);
	free(c.a.pin_source);
	return st;
}

/* The public key in PEM, for --pubout. */
static int
pubkey_write(EVP_PKEY *pub, const char *path)
{
	int r = SIGNET_ERR_INTERNAL;
	BIO *bio = NULL;
	char *pem = NULL;
	long len;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PUBKEY(bio, pub) ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the public key");
		goto out;
	}
	if ((r = file_write_excl(path, pem, (size_t)len, 0644)) != 0)
		goto out;
	r = 0;
out:
	BIO_free(bio);
	return r;
}

static int
token_keygen(int argc, char **argv)
{
	int r = SIGNET_ERR_INTERNAL, st = 1;
	struct token_cmdline c;
	struct signet_p11_uri *uri = NULL;
	struct signet_token *tok = NULL;
	struct signet_key *key = NULL;
	const struct signet_key_info *info;
	enum signet_key_type type = SIGNET_KEY_NONE;
	uint8_t id[SIGNET_KEY_ID_MAX], *spki = NULL;
	char idhex[2 * SIGNET_KEY_ID_MAX + 1], fp[65];
	char *key_uri = NULL;
	size_t id_len = 0;
	int spki_len;

	if ((st = token_getopt(argc, argv, "token keygen",
		 "module token pin-env insecure-pin-in-uri label type id "
		 "pubout help",
		 NULL, &c)) != 0)
		goto out;
	if (c.help) {
		keygen_usage(stdout);
		st = 0;
		goto out;
	}
	if (c.a.token == NULL || c.label == NULL || c.type == NULL) {
		st = cli_usage("token keygen",
		    "--token, --label and --type are required");
		goto out;
	}
	if (signet_key_type_parse(c.type, &type) != 0) {
		st = cli_usage("token keygen", "%s", signet_error_message());
		goto out;
	}
	if (c.id != NULL &&
	    (hex_decode(c.id, id, sizeof(id), &id_len) != 0 || id_len == 0)) {
		st = cli_usage("token keygen",
		    "--id must be 1 to %d bytes in hex, e.g. --id 01a2",
		    SIGNET_KEY_ID_MAX);
		goto out;
	}
	if (c.pubout != NULL && file_exists(c.pubout)) {
		signet_error_set(SIGNET_ERR_CONFLICT,
		    "%s exists already; --pubout never overwrites a file",
		    c.pubout);
		st = cli_fail(SIGNET_ERR_CONFLICT);
		goto out;
	}
	if ((st = token_args_open(&c.a, &uri, &tok)) != 0)
		goto out;
	if ((r = signet_key_generate(tok, type, c.label,
		 c.id != NULL ? id : NULL, id_len, &key)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	info = signet_key_get0_info(key);
	if ((spki_len = i2d_PUBKEY(signet_key_get0_pubkey(key), &spki)) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the public key");
		st = cli_fail(r);
		goto out;
	}
	if ((r = sha256_hex(spki, (size_t)spki_len, fp)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if ((key_uri = signet_key_uri(key)) == NULL) {
		signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		st = cli_fail(SIGNET_ERR_INTERNAL);
		goto out;
	}
	hex_encode(info->id, info->id_len, idhex);
	printf("uri: %s\n"
	       "type: %s\n"
	       "id: %s\n"
	       "spki-sha256: %s\n"
	       "sign: %s\n"
	       "sensitive: %s\n"
	       "extractable: %s\n"
	       "always-sensitive: %s\n"
	       "never-extractable: %s\n",
	    key_uri, info->type_name, idhex, fp, info->sign ? "yes" : "no",
	    info->sensitive ? "yes" : "no", info->extractable ? "yes" : "no",
	    info->always_sensitive ? "yes" : "no",
	    info->never_extractable ? "yes" : "no");
	if (c.pubout != NULL) {
		if ((r = pubkey_write(signet_key_get0_pubkey(key), c.pubout)) !=
		    0) {
			st = cli_fail(r);
			goto out;
		}
		printf("public-key: %s\n", c.pubout);
	}
	st = 0;
out:
	OPENSSL_free(spki);
	free(key_uri);
	signet_key_free(key);
	signet_token_free(tok);
	signet_uri_free(uri);
	free(c.a.pin_source);
	return st;
}

static void
check_print(void *arg, const struct signet_check_line *line)
{
	static const char *const words[] = { "info", "yes", "no", "ok",
		"FAIL" };

	(void)arg;
	printf("%-10s %-4s %s\n", line->name,
	    (size_t)line->verdict < sizeof(words) / sizeof(words[0])
		? words[line->verdict]
		: "?",
	    line->text);
	fflush(stdout);
}

static int
token_check(int argc, char **argv)
{
	int r = SIGNET_ERR_INTERNAL, st = 1;
	struct token_cmdline c;
	struct signet_p11_uri *uri = NULL;
	struct signet_token *tok = NULL;
	enum signet_key_type type = SIGNET_KEY_EC_P256;
	const char *operand = NULL;

	if ((st = token_getopt(argc, argv, "token check",
		 "module pin-env insecure-pin-in-uri type help", &operand,
		 &c)) != 0)
		goto out;
	if (c.help) {
		check_usage(stdout);
		st = 0;
		goto out;
	}
	if (operand == NULL) {
		st = cli_usage("token check",
		    "name the token: signet token check URI");
		goto out;
	}
	c.a.token = operand;
	if (c.type != NULL && signet_key_type_parse(c.type, &type) != 0) {
		st = cli_usage("token check", "%s", signet_error_message());
		goto out;
	}
	if ((st = token_args_open(&c.a, &uri, &tok)) != 0)
		goto out;
	if ((r = signet_token_check(tok, type, check_print, NULL)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	st = 0;
out:
	signet_token_free(tok);
	signet_uri_free(uri);
	free(c.a.pin_source);
	return st;
}

int
cmd_token(int argc, char **argv)
{
	if (argc < 2) {
		token_usage(stderr);
		return signet_exit_code(SIGNET_ERR_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		token_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "list") == 0)
		return token_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "keygen") == 0)
		return token_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return token_check(argc - 1, argv + 1);
	return cli_usage("token",
	    "unknown subcommand '%s' (list, keygen, check)", argv[1]);
}
