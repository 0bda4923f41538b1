/* signet serve: the online service (docs/serve.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/serve.h"
#include "signet/ca.h"

static void
serve_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet serve [--config FILE] [--log-format text|json]\n"
	    "\n"
	    "Run the instance's online service in the foreground: this "
	    "process (the\n"
	    "signer) holds the token sessions and writes the database and "
	    "the audit log;\n"
	    "it starts signet-frontend, an unprivileged sandboxed process "
	    "that answers\n"
	    "HTTP on serve.listen:\n"
	    "\n"
	    "  GET /crl/NAME.crl  the latest full CRL (NAME: "
	    "serve.issuer-name)\n"
	    "  GET /ca/NAME.crt   the CA certificate\n"
	    "  GET /health        200 when the token and the database "
	    "answer\n"
	    "  GET /metrics       Prometheus metrics\n"
	    "\n"
	    "CRLs are made at start, every serve.crl.interval and soon after "
	    "any\n"
	    "revocation. SIGTERM stops (exit 0); SIGHUP reloads "
	    "signet.yaml and the\n"
	    "policy.\n"
	    "\n"
	    "  --config FILE             the instance\n"
	    "  --log-format text|json   one request per line as text or "
	    "as a JSON object\n"
	    "                           (default: serve.log-format, "
	    "text)\n");
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "log-format", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	char *path = NULL;
	int c, r, log_json = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			config = optarg;
			break;
		case 'L':
			if (strcmp(optarg, "text") == 0)
				log_json = 0;
			else if (strcmp(optarg, "json") == 0)
				log_json = 1;
			else
				return cli_usage("serve",
				    "--log-format is text or json, not '%s'",
				    optarg);
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			return cli_usage("serve", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("serve", "unexpected argument '%s'",
		    argv[optind]);
	if ((r = signet_ca_config_locate(config, &path)) != 0)
		return cli_fail(r);
	r = serve_run(path, log_json);
	free(path);
	if (r != 0)
		return cli_fail(r);
	return 0;
}
