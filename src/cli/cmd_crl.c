/* signet crl: generate a full or a delta CRL. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "signet/ca.h"
#include "util/codec.h"

static void
crl_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet crl [--delta] --out FILE [--pem] [--force] "
	    "[--json]\n"
	    "                  [--config FILE]\n"
	    "\n"
	    "Make a CRL of every revoked certificate (or with --delta, of "
	    "the revocations\n"
	    "since the latest full CRL), lint it, have the token sign it, "
	    "record it in\n"
	    "the database, then write it. CRL numbers strictly increase, "
	    "even across\n"
	    "processes; nextUpdate comes from crl: in signet.yaml.\n"
	    "\n"
	    "  --delta        a delta CRL over the latest full CRL\n"
	    "  --out FILE     where it goes (DER unless --pem), written "
	    "atomically\n"
	    "  --pem          PEM instead of DER\n"
	    "  --force        replace an existing --out that is not a CRL or "
	    "certificate\n"
	    "                 of this CA (a file of the instance is never "
	    "replaced)\n"
	    "  --json         machine-readable result\n"
	    "  --config FILE  the instance\n"
	    "\n"
	    "Exit status: 0 done; 41 --delta without a full CRL; 11 a lint "
	    "failed;\n"
	    "50 signed and recorded but not written; docs/cli.md lists the "
	    "rest.\n");
}

int
cmd_crl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delta", no_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "pem", no_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *config = NULL;
	struct signet_ca *ca = NULL;
	struct signet_ca_crl_result res;
	int c, r, delta = 0, pem = 0, json = 0, force = 0, st;
	char tu[21], nu[21], *s;
	json_t *o;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			delta = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pem = 1;
			break;
		case 'F':
			force = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			crl_usage(stdout);
			return 0;
		default:
			return cli_usage("crl", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("crl", "unexpected argument '%s'",
		    argv[optind]);
	if (out == NULL)
		return cli_usage("crl", "--out FILE is required");
	if ((st = cli_ca_open(config, SIGNET_CA_OPEN_SIGN, &ca)) != 0)
		return st;
	memset(&res, 0, sizeof(res));
	/* Before a CRL number is taken or anything signed. */
	if ((r = signet_ca_output_check(ca, out, force)) != 0 ||
	    (r = signet_ca_crl(ca, delta, out, pem, &res)) != 0) {
		st = cli_fail(r);
		(void)cli_ca_close(ca);
		return st;
	}
	time_format((time_t)res.this_update, tu);
	time_format((time_t)res.next_update, nu);
	if (json) {
		o = json_pack("{s:I,s:s,s:I,s:I,s:s,s:s,s:s,s:I}", "crl_number",
		    (json_int_t)res.number, "kind", delta ? "delta" : "full",
		    "base_crl_number", (json_int_t)res.base, "entries",
		    (json_int_t)res.entries, "this_update", tu, "next_update",
		    nu, "file", out, "bytes", (json_int_t)res.der_len);
		if (o != NULL &&
		    (s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) !=
			NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(o);
	} else if (delta)
		printf("delta CRL number %lld over full CRL %lld: %zu "
		       "entries, next update %s\n  written to %s\n",
		    (long long)res.number, (long long)res.base, res.entries, nu,
		    out);
	else
		printf("CRL number %lld: %zu entries, next update %s\n"
		       "  written to %s\n",
		    (long long)res.number, res.entries, nu, out);
	signet_ca_crl_result_clear(&res);
	return cli_ca_close(ca);
}
