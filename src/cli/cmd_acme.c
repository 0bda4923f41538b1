/*
 * signet acme VERB ...: the operator's side of the ACME service
 * (docs/acme.md). One function per verb:
 *   signet acme eab add --profile P [--comment TEXT]
 *   signet acme eab list [--json]
 *   signet acme eab revoke KID
 *   signet acme renew-early --serial S | --all [--profile P]
 *     (cmd_acme_renew.c)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "signet/ca.h"
#include "signet/store_acme_account.h"
#include "util/codec.h"
#include "util/secret.h"

static void
eab_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet acme eab add --profile PROFILE [--comment TEXT] "
	    "[--config FILE]\n"
	    "       signet acme eab list [--json] [--config FILE]\n"
	    "       signet acme eab revoke KID [--config FILE]\n"
	    "\n"
	    "External account binding keys for ACME newAccount (RFC 8555 "
	    "7.3.4,\n"
	    "docs/acme.md). 'add' prints the key id and the MAC key once, "
	    "on standard\n"
	    "output, for a client's --eab-kid and --eab-hmac-key; the key "
	    "binds one\n"
	    "account to the profile. A revoked key binds no new account, "
	    "and its\n"
	    "account can no longer order in a directory that requires "
	    "EAB.\n"
	    "\n"
	    "  --profile PROFILE  the directory it is for (one of "
	    "serve.acme.profiles)\n"
	    "  --comment TEXT     a note for the operator (who it is for)\n"
	    "  --json             list as JSON\n"
	    "  --config FILE      the instance\n"
	    "\n"
	    "Exit status: 0 done; 2 bad arguments; 41 no such key; 42 "
	    "revoked already;\n"
	    "docs/cli.md lists the rest.\n");
}

/* 32 random bytes as base64url without padding (43 characters). */
static int
eab_key_make(char out[SIGNET_ACME_EAB_KEY_LEN + 1])
{
	uint8_t raw[32];
	char *b = NULL;
	size_t i;
	int r = SIGNET_ERR_INTERNAL;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "random EAB key");
		goto out;
	}
	if ((b = base64_encode(raw, sizeof(raw))) == NULL ||
	    strlen(b) < SIGNET_ACME_EAB_KEY_LEN) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < SIGNET_ACME_EAB_KEY_LEN; i++) {
		out[i] = b[i];
		if (b[i] == '+')
			out[i] = '-';
		else if (b[i] == '/')
			out[i] = '_';
	}
	out[SIGNET_ACME_EAB_KEY_LEN] = '\0';
	r = 0;
out:
	secret_wipe(raw, sizeof(raw));
	if (b != NULL)
		secret_wipe(b, strlen(b));
	free(b);
	return r;
}

static int
eab_add(struct signet_ca *ca, const char *profile, const char *comment)
{
	struct signet_store *st = signet_ca_get0_store(ca);
	char kid[SIGNET_ACME_EAB_KID_LEN + 1];
	char key[SIGNET_ACME_EAB_KEY_LEN + 1];
	uint8_t id[SIGNET_ACME_EAB_KID_LEN / 2];
	int64_t now = (int64_t)time(NULL);
	int r = SIGNET_ERR_INTERNAL;

	memset(key, 0, sizeof(key));
	if (!signet_ca_config_listed(signet_ca_get0_config(ca)
					 ->serve_acme_profiles,
		profile)) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "profile %s is not offered over ACME "
		    "(serve.acme.profiles in signet.yaml)",
		    profile);
		goto out;
	}
	if (RAND_bytes(id, sizeof(id)) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "random key id");
		goto out;
	}
	hex_encode(id, sizeof(id), kid);
	if ((r = eab_key_make(key)) != 0 ||
	    (r = signet_store_acme_eab_add(st, kid, key, profile, comment,
		 now)) != 0)
		goto out;
	/* A credential that lets accounts in: on record, or not at all. */
	if ((r = signet_ca_audit(ca, SIGNET_AUDIT_EV_ACME_EAB_ADD,
		 SIGNET_AUDIT_SUCCESS,
		 json_pack("{s:s, s:s, s:s}", "kid", kid, "profile", profile,
		     "comment", comment))) != 0) {
		if (signet_store_acme_eab_revoke(st, kid, now) != 0)
			cli_warn("EAB key %s is in the database but not in "
				 "the audit log: revoke it",
			    kid);
		goto out;
	}
	printf("eab-kid: %s\neab-hmac-key: %s\n", kid, key);
	fprintf(stderr,
	    "EAB key %s for ACME profile %s; the MAC key is shown only now\n",
	    kid, profile);
	r = 0;
out:
	secret_wipe(key, sizeof(key));
	return r;
}

static const char *
eab_state(const struct signet_acme_eab *e)
{
	if (e->revoked_at != 0)
		return "revoked";
	return e->account[0] != '\0' ? "bound" : "unused";
}

static int
eab_print(const struct signet_acme_eab *e, void *arg)
{
	json_t *list = arg, *o;
	char created[21], at[21];

	if (list != NULL) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "kid", e->kid,
		    "state", eab_state(e), "profile", e->profile, "comment",
		    e->comment, "created_at", (json_int_t)e->created_at);
		if (o == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		json_object_set_new(o, "account",
		    e->account[0] != '\0' ? json_string(e->account)
					  : json_null());
		json_object_set_new(o, "bound_at",
		    e->bound_at != 0 ? json_integer(e->bound_at) : json_null());
		json_object_set_new(o, "revoked_at",
		    e->revoked_at != 0 ? json_integer(e->revoked_at)
				       : json_null());
		json_array_append_new(list, o);
		return 0;
	}
	time_format((time_t)e->created_at, created);
	at[0] = '\0';
	if (e->revoked_at != 0)
		time_format((time_t)e->revoked_at, at);
	printf("%s  %-8s %-16s created %s%s%s%s%s  %s\n", e->kid, eab_state(e),
	    e->profile, created, at[0] != '\0' ? "  revoked " : "", at,
	    e->account[0] != '\0' ? "  account " : "", e->account, e->comment);
	return 0;
}

static int
eab_list(struct signet_ca *ca, int json)
{
	json_t *list = NULL;
	int r;

	if (json && (list = json_array()) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	r = signet_store_acme_eab_foreach(signet_ca_get0_store(ca), eab_print,
	    list);
	if (r == 0 && json) {
		if (json_dumpf(list, stdout, JSON_INDENT(2)) != 0)
			r = signet_error_set(SIGNET_ERR_IO,
			    "cannot write the list");
		else
			putchar('\n');
	}
	json_decref(list);
	return r;
}

static int
eab_revoke(struct signet_ca *ca, const char *kid)
{
	int r;

	if ((r = signet_store_acme_eab_revoke(signet_ca_get0_store(ca), kid,
		 (int64_t)time(NULL))) != 0)
		return r;
	if ((r = signet_ca_audit(ca, SIGNET_AUDIT_EV_ACME_EAB_REVOKE,
		 SIGNET_AUDIT_SUCCESS, json_pack("{s:s}", "kid", kid))) != 0)
		return r;
	printf("EAB key %s revoked\n", kid);
	return 0;
}

/* signet acme eab add|list|revoke */
static int
acme_eab(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "comment", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *comment = "", *config = NULL, *verb;
	struct signet_ca *ca = NULL;
	int c, r, st, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile = optarg;
			break;
		case 'c':
			comment = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			eab_usage(stdout);
			return 0;
		default:
			return cli_usage("acme", "unknown option");
		}
	}
	if (optind + 1 > argc)
		return cli_usage("acme",
		    "say 'signet acme eab add|list|revoke'");
	verb = argv[optind];
	if (strcmp(verb, "add") == 0) {
		if (optind + 1 != argc || profile == NULL)
			return cli_usage("acme", "eab add needs --profile");
		if (strlen(comment) > SIGNET_ACME_EAB_COMMENT_MAX)
			return cli_usage("acme",
			    "--comment is at most %d bytes",
			    SIGNET_ACME_EAB_COMMENT_MAX);
	} else if (strcmp(verb, "list") == 0) {
		if (optind + 1 != argc)
			return cli_usage("acme", "eab list takes no argument");
	} else if (strcmp(verb, "revoke") == 0) {
		if (optind + 2 != argc)
			return cli_usage("acme", "eab revoke needs the KID");
	} else {
		return cli_usage("acme", "unknown verb '%s'", verb);
	}
	/* add and revoke are audited: they open the audit log. */
	if ((st = cli_ca_open(config,
		 strcmp(verb, "list") == 0 ? 0 : SIGNET_CA_OPEN_AUDIT, &ca)) !=
	    0)
		return st;
	if (strcmp(verb, "add") == 0)
		r = eab_add(ca, profile, comment);
	else if (strcmp(verb, "list") == 0)
		r = eab_list(ca, json);
	else
		r = eab_revoke(ca, argv[optind + 1]);
	if (r != 0) {
		st = cli_fail(r);
		(void)cli_ca_close(ca);
		return st;
	}
	return cli_ca_close(ca);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} verbs[] = {
	{ "eab", acme_eab },
	{ "renew-early", cmd_acme_renew_early },
};

static void
acme_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: signet acme VERB [OPTIONS]\n\n"
		   "The ACME service's operator side (docs/acme.md):\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  signet acme %s --help\n", verbs[i].name);
}

int
cmd_acme(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cli_usage("acme", "say which: signet acme VERB");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		acme_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	return cli_usage("acme", "unknown verb '%s'", argv[1]);
}
