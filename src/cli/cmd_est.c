/*
 * signet est token add|list|revoke: the one-time enrollment tokens that
 * authorise a first EST enrollment (docs/renewal.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "signet/ca.h"
#include "util/codec.h"
#include "util/secret.h"

#define TTL_DEFAULT ((int64_t)24 * 3600)
#define TTL_MAX ((int64_t)30 * 86400)

static void
est_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet est token add --profile PROFILE --names LIST "
	    "[--ttl DURATION]\n"
	    "                            [--config FILE]\n"
	    "       signet est token list [--config FILE]\n"
	    "       signet est token revoke ID [--config FILE]\n"
	    "\n"
	    "One-time enrollment tokens for EST /simpleenroll "
	    "(docs/renewal.md). 'add'\n"
	    "prints the token once, on standard output; the database keeps "
	    "only its\n"
	    "SHA-256. A token is used up by the first certificate issued "
	    "with it.\n"
	    "\n"
	    "  --profile PROFILE  the profile it enrolls in (one of "
	    "serve.est)\n"
	    "  --names LIST       what the certificate names, exactly: "
	    "dns:NAME,\n"
	    "                     ip:ADDRESS and uri:URI (a SPIFFE ID), "
	    "comma-separated\n"
	    "  --ttl DURATION     how long it can be used (default 24h, at "
	    "most 30d)\n"
	    "  --config FILE      the instance\n"
	    "\n"
	    "Exit status: 0 done; 2 bad arguments; 41 no such token; 42 "
	    "revoking a used\n"
	    "token; docs/cli.md lists the rest.\n");
}

static int
names_ok(const char *list)
{
	const char *p = list, *end;
	size_t n;

	if (*list == '\0' || strlen(list) > 4096)
		return 0;
	while (*p != '\0') {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (!((n > 4 && strncmp(p, "dns:", 4) == 0) ||
			(n > 3 && strncmp(p, "ip:", 3) == 0) ||
			(n > 4 && strncmp(p, "uri:", 4) == 0)))
			return 0;
		p += n;
		if (*p == ',' && *++p == '\0')
			return 0;
	}
	return 1;
}

static int
profile_exposed(struct signet_ca *ca, const char *profile)
{
	const struct signet_ca_config *cfg = signet_ca_get0_config(ca);
	size_t i;

	for (i = 0; cfg->serve_est != NULL && i < cfg->serve_n_est; i++)
		if (cfg->serve_est[i].profile != NULL &&
		    strcmp(cfg->serve_est[i].profile, profile) == 0)
			return 1;
	return 0;
}

static int
token_add(struct signet_ca *ca, const char *profile, const char *names,
    int64_t ttl)
{
	struct signet_store_est_token t;
	uint8_t id[8], secret[32], hash[32];
	char id_hex[17], token[17 + 1 + 64 + 1];
	int r = SIGNET_ERR_INTERNAL;

	if (profile == NULL || names == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a token needs a profile and names");
	if (!profile_exposed(ca, profile))
		return signet_error_set(SIGNET_ERR_USAGE,
		    "profile %s is not served over EST (serve.est in "
		    "signet.yaml)",
		    profile);
	if (RAND_bytes(id, sizeof(id)) != 1 ||
	    RAND_bytes(secret, sizeof(secret)) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "random token");
		goto out;
	}
	hex_encode(id, sizeof(id), id_hex);
	hex_encode(id, sizeof(id), token);
	token[16] = '.';
	hex_encode(secret, sizeof(secret), token + 17);
	if (EVP_Digest(token, strlen(token), hash, NULL, EVP_sha256(), NULL) !=
	    1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
		goto out;
	}
	memset(&t, 0, sizeof(t));
	t.token_id = id_hex;
	t.profile = profile;
	t.names = names;
	t.created_at = (int64_t)time(NULL);
	t.expires_at = t.created_at + ttl;
	if ((r = signet_store_est_token_add(signet_ca_get0_store(ca), &t,
		 hash)) != 0)
		goto out;
	/* A credential that authorises issuance: on record, or not at all. */
	if ((r = signet_ca_audit(ca, SIGNET_AUDIT_EV_EST_TOKEN_ADD,
		 SIGNET_AUDIT_SUCCESS,
		 json_pack("{s:s, s:s, s:s, s:I}", "token_id", id_hex,
		     "profile", profile, "names", names, "expires_at",
		     (json_int_t)t.expires_at))) != 0) {
		if (signet_store_est_token_revoke(signet_ca_get0_store(ca),
			id_hex, t.created_at) != 0)
			cli_warn("token %s is in the database but not in the "
				 "audit log: revoke it",
			    id_hex);
		goto out;
	}
	printf("%s\n", token);
	fprintf(stderr,
	    "enrollment token %s for profile %s (%s), valid for %llds; it "
	    "is shown only now\n",
	    id_hex, profile, names, (long long)ttl);
	r = 0;
out:
	secret_wipe(secret, sizeof(secret));
	secret_wipe(token, sizeof(token));
	return r;
}

static int
token_print(const struct signet_store_est_token *t, void *arg)
{
	char created[21], expires[21], at[21];
	int64_t now = *(const int64_t *)arg;
	const char *state = "unused";

	time_format((time_t)t->created_at, created);
	time_format((time_t)t->expires_at, expires);
	at[0] = '\0';
	if (t->revoked_at != 0) {
		state = "revoked";
		time_format((time_t)t->revoked_at, at);
	} else if (t->used_at != 0) {
		state = "used";
		time_format((time_t)t->used_at, at);
	} else if (t->expires_at <= now) {
		state = "expired";
	}
	printf("%s  %-8s %-16s created %s  expires %s%s%s  %s\n", t->token_id,
	    state, t->profile, created, expires, at[0] != '\0' ? "  at " : "",
	    at, t->names);
	return 0;
}

int
cmd_est(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "names", required_argument, NULL, 'n' },
		{ "ttl", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *names = NULL, *config = NULL, *verb;
	struct signet_ca *ca = NULL;
	int64_t ttl = TTL_DEFAULT, now;
	int c, r, st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile = optarg;
			break;
		case 'n':
			names = optarg;
			break;
		case 't':
			if (duration_parse(optarg, &ttl) != 0 || ttl <= 0 ||
			    ttl > TTL_MAX)
				return cli_usage("est",
				    "--ttl '%s' is not a duration from 1s to "
				    "30d (like 1h or 7d)",
				    optarg);
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			est_usage(stdout);
			return 0;
		default:
			return cli_usage("est", "unknown option");
		}
	}
	if (optind + 2 > argc || strcmp(argv[optind], "token") != 0)
		return cli_usage("est",
		    "say 'signet est token add|list|revoke'");
	verb = argv[optind + 1];
	if (strcmp(verb, "add") == 0) {
		if (optind + 2 != argc || profile == NULL || names == NULL)
			return cli_usage("est",
			    "token add needs --profile and --names");
		if (!names_ok(names))
			return cli_usage("est",
			    "--names is a comma-separated list of dns:NAME, "
			    "ip:ADDRESS and uri:URI");
	} else if (strcmp(verb, "list") == 0) {
		if (optind + 2 != argc)
			return cli_usage("est", "token list takes no argument");
	} else if (strcmp(verb, "revoke") == 0) {
		if (optind + 3 != argc)
			return cli_usage("est", "token revoke needs the ID");
	} else {
		return cli_usage("est", "unknown verb '%s'", verb);
	}
	/* add and revoke are audited: they open the audit log. */
	if ((st = cli_ca_open(config,
		 strcmp(verb, "list") == 0 ? 0 : SIGNET_CA_OPEN_AUDIT, &ca)) !=
	    0)
		return st;
	now = (int64_t)time(NULL);
	if (strcmp(verb, "add") == 0)
		r = token_add(ca, profile, names, ttl);
	else if (strcmp(verb, "list") == 0)
		r = signet_store_est_token_foreach(signet_ca_get0_store(ca),
		    token_print, &now);
	else if ((r = signet_store_est_token_revoke(signet_ca_get0_store(ca),
		      argv[optind + 2], now)) == 0 &&
		 (r = signet_ca_audit(ca, SIGNET_AUDIT_EV_EST_TOKEN_REVOKE,
		      SIGNET_AUDIT_SUCCESS,
		      json_pack("{s:s}", "token_id", argv[optind + 2]))) == 0)
		printf("enrollment token %s revoked\n", argv[optind + 2]);
	if (r != 0) {
		st = cli_fail(r);
		(void)cli_ca_close(ca);
		return st;
	}
	return cli_ca_close(ca);
}
