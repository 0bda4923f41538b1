/* signet init: create an online CA instance. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "signet/ca.h"

static void
init_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet init --dir DIR --ca-cert FILE [--chain FILE] "
	    "--key URI\n"
	    "                   --audit-key URI --policy FILE [--database "
	    "URL]\n"
	    "                   [--database-password-source SPEC]\n"
	    "                   [--pin-source SPEC] [--module PATH]\n"
	    "\n"
	    "Create a CA instance in DIR (made mode 0700): DIR/signet.yaml, "
	    "copies of the\n"
	    "CA certificate, chain and policy, the database and the audit "
	    "log (0600).\n"
	    "Before anything is kept, the instance is opened as 'signet "
	    "issue' would\n"
	    "open it: both keys log in, the CA key must match the "
	    "certificate and be\n"
	    "non-extractable, the audit key must be another key. Refuses to "
	    "overwrite\n"
	    "an instance; on failure removes what it created.\n"
	    "\n"
	    "  --dir DIR          the instance directory\n"
	    "  --ca-cert FILE     the CA certificate (PEM), issued to the "
	    "token key\n"
	    "  --chain FILE       the certificates above it, up to the root "
	    "(PEM)\n"
	    "  --key URI          PKCS#11 URI of the CA key, e.g. "
	    "'pkcs11:token=ca;object=ca-key'\n"
	    "  --audit-key URI    PKCS#11 URI of the key that signs audit "
	    "checkpoints\n"
	    "  --policy FILE      the policy (profiles) to issue under\n"
	    "  --database URL     default sqlite:signet.db in DIR; or "
	    "postgresql://...\n"
	    "  --database-password-source SPEC\n"
	    "                     PostgreSQL: file:PATH or env:NAME (never "
	    "in the URL)\n"
	    "  --pin-source SPEC  file:PATH, env:NAME or prompt (never the "
	    "PIN itself)\n"
	    "  --module PATH      PKCS#11 module (default %s)\n"
	    "\n"
	    "docs/ca.md describes signet.yaml; docs/cli.md the exit "
	    "statuses.\n",
	    "/usr/lib/softhsm/libsofthsm2.so");
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "ca-cert", required_argument, NULL, 'c' },
		{ "chain", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'k' },
		{ "audit-key", required_argument, NULL, 'a' },
		{ "policy", required_argument, NULL, 'p' },
		{ "database", required_argument, NULL, 'D' },
		{ "database-password-source", required_argument, NULL, 'P' },
		{ "pin-source", required_argument, NULL, 's' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct signet_ca_init_params p;
	char *config = NULL;
	int c, r;

	memset(&p, 0, sizeof(p));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			p.dir = optarg;
			break;
		case 'c':
			p.ca_cert = optarg;
			break;
		case 'C':
			p.chain = optarg;
			break;
		case 'k':
			p.key_uri = optarg;
			break;
		case 'a':
			p.audit_key_uri = optarg;
			break;
		case 'p':
			p.policy = optarg;
			break;
		case 'D':
			p.database = optarg;
			break;
		case 'P':
			p.database_password_source = optarg;
			break;
		case 's':
			p.pin_source = optarg;
			break;
		case 'm':
			p.module = optarg;
			break;
		case 'h':
			init_usage(stdout);
			return 0;
		default:
			return cli_usage("init", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("init", "unexpected argument '%s'",
		    argv[optind]);
	if (p.dir == NULL || p.ca_cert == NULL || p.key_uri == NULL ||
	    p.audit_key_uri == NULL || p.policy == NULL)
		return cli_usage("init",
		    "--dir, --ca-cert, --key, --audit-key and --policy are "
		    "required");
	if ((r = signet_ca_init(&p, &config)) != 0)
		return cli_fail(r);
	printf("created CA instance %s\n  configuration: %s\n"
	       "  next: signet issue --config %s --profile NAME --csr FILE\n",
	    p.dir, config, config);
	free(config);
	return 0;
}
