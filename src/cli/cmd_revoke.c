/* signet revoke: revoke a certificate by serial. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "signet/ca.h"
#include "signet/x509.h"
#include "util/codec.h"

static void
revoke_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet revoke SERIAL --reason REASON [--time TIME] "
	    "[--config FILE]\n"
	    "\n"
	    "Revoke the certificate with this serial (hex, as 'signet list' "
	    "shows it).\n"
	    "The next CRL lists it. Revoking twice is refused, except to "
	    "escalate to\n"
	    "keyCompromise, which also blocks the certificate's key: no "
	    "certificate\n"
	    "will be issued for it again.\n"
	    "\n"
	    "  --reason REASON  unspecified, keyCompromise, "
	    "affiliationChanged, "
	    "superseded,\n"
	    "                   cessationOfOperation or privilegeWithdrawn; "
	    "for CA\n"
	    "                   certificates also cACompromise or "
	    "aACompromise (BR 7.2.2)\n"
	    "  --time TIME      when it stopped being trustworthy (RFC 3339, "
	    "UTC, e.g.\n"
	    "                   2026-03-01T12:00:00Z); default now; between "
	    "the\n"
	    "                   certificate's notBefore and now (5 minutes "
	    "ahead is now)\n"
	    "  --config FILE    the instance\n"
	    "\n"
	    "Exit status: 0 revoked; 41 no such serial; 42 already revoked "
	    "(or not\n"
	    "issued); 2 bad reason or time; docs/cli.md lists the rest.\n");
}

int
cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason_name = NULL, *config = NULL, *serial;
	struct signet_ca *ca = NULL;
	struct signet_serial canon;
	int64_t when = 0, revoked_at = 0;
	time_t t;
	char at[21], hex[41];
	int c, r, reason, st, have_time = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			reason_name = optarg;
			break;
		case 't':
			if (time_parse(optarg, &t) != 0)
				return cli_usage("revoke",
				    "--time '%s' is not RFC 3339 UTC like "
				    "2026-03-01T12:00:00Z",
				    optarg);
			/* "now" is what no --time means. */
			have_time = strcmp(optarg, "now") != 0;
			when = (int64_t)t;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			revoke_usage(stdout);
			return 0;
		default:
			return cli_usage("revoke", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("revoke", "give exactly one SERIAL");
	serial = argv[optind];
	if (reason_name == NULL)
		return cli_usage("revoke", "--reason is required");
	if ((r = signet_crl_reason_parse(reason_name, &reason)) != 0)
		return cli_fail(r);
	if ((st = cli_ca_open(config, SIGNET_CA_OPEN_AUDIT, &ca)) != 0)
		return st;
	if ((r = signet_ca_revoke(ca, serial, reason, have_time ? &when : NULL,
		 &revoked_at)) != 0) {
		st = cli_fail(r);
		(void)cli_ca_close(ca);
		return st;
	}
	time_format((time_t)revoked_at, at);
	/* As signet list prints it. */
	if (signet_serial_from_hex(serial, &canon) == 0)
		signet_serial_to_hex(&canon, hex);
	else
		snprintf(hex, sizeof(hex), "%.40s", serial);
	printf("revoked certificate %s (%s) as of %s; the next CRL lists it\n",
	    hex, signet_crl_reason_name(reason), at);
	return cli_ca_close(ca);
}
