/*
 * signet acme renew-early --serial S | --all [--profile P]: ask ACME
 * clients to replace certificates now. Their renewalInfo (RFC 9773)
 * answers with a window that has begun; clients that use ARI renew at
 * their next check (docs/acme.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "signet/ca.h"
#include "signet/store_acme_ari.h"

static void
renew_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet acme renew-early --serial SERIAL [--config FILE]\n"
	    "       signet acme renew-early --all [--profile PROFILE] "
	    "[--config FILE]\n"
	    "\n"
	    "Ask ACME clients to renew now: the renewalInfo (RFC 9773) of "
	    "the\n"
	    "certificates named gets a window that has begun. Clients "
	    "that do not\n"
	    "use renewalInfo are not told.\n"
	    "\n"
	    "  --serial SERIAL    one issued, unexpired certificate (hex)\n"
	    "  --all              every issued, unexpired certificate of "
	    "the CA\n"
	    "  --profile PROFILE  with --all: only those of this profile\n"
	    "  --config FILE      the instance\n"
	    "\n"
	    "Exit status: 0 done; 2 bad arguments; 41 no such certificate; "
	    "42 revoked\n"
	    "or expired; docs/cli.md lists the rest.\n");
}

int
cmd_acme_renew_early(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "serial", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *serial = NULL, *profile = NULL, *config = NULL;
	struct signet_ca *ca = NULL;
	int64_t marked = 0;
	int c, r, st, all = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			serial = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'p':
			profile = optarg;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			renew_usage(stdout);
			return 0;
		default:
			return cli_usage("acme renew-early", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("acme renew-early", "unexpected argument '%s'",
		    argv[optind]);
	if ((serial != NULL) == all)
		return cli_usage("acme renew-early",
		    "say --serial SERIAL or --all");
	if (profile != NULL && !all)
		return cli_usage("acme renew-early",
		    "--profile goes with --all");
	/* Audited: it opens the audit log. */
	if ((st = cli_ca_open(config, SIGNET_CA_OPEN_AUDIT, &ca)) != 0)
		return st;
	if ((r = signet_store_acme_renew_early(signet_ca_get0_store(ca),
		 signet_ca_issuer_id(ca), serial, profile, (int64_t)time(NULL),
		 &marked)) == 0 &&
	    (r = signet_ca_audit(ca, SIGNET_AUDIT_EV_ACME_RENEW_EARLY,
		 SIGNET_AUDIT_SUCCESS,
		 serial != NULL
		     ? json_pack("{s:s, s:I}", "serial", serial, "marked",
			   (json_int_t)marked)
		     : json_pack("{s:b, s:s?, s:I}", "all", 1, "profile",
			   profile, "marked", (json_int_t)marked))) != 0)
		cli_warn("the renewal was asked for, but the audit log does "
			 "not record it");
	if (r != 0) {
		st = cli_fail(r);
		(void)cli_ca_close(ca);
		return st;
	}
	if (serial != NULL)
		printf("certificate %s: renewal asked for%s\n", serial,
		    marked == 0 ? " (already)" : "");
	else
		printf("%lld certificates: renewal asked for\n",
		    (long long)marked);
	return cli_ca_close(ca);
}
