/* signet: a certificate authority whose keys never leave the token. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "signet/version.h"
#include "util/secret.h"

static const struct cli_command commands[] = {
	{ "token", "list tokens and keys, generate keys, check a token",
	    cmd_token },
	{ "audit", "verify and read the tamper-evident audit log", cmd_audit },
	{ "lint", "lint a certificate or CRL (PEM or DER)", cmd_lint },
	{ "ceremony", "run, check and verify offline root key ceremonies",
	    cmd_ceremony },
	{ "init", "create an online CA instance (signet.yaml, database, log)",
	    cmd_init },
	{ "issue", "issue certificates from CSRs, one or a directory of them",
	    cmd_issue },
	{ "revoke", "revoke a certificate by serial", cmd_revoke },
	{ "crl", "generate a full or delta CRL", cmd_crl },
	{ "list", "list the certificates the CA issued", cmd_list },
	{ "show", "show one certificate by serial", cmd_show },
	{ "db", "check the database against the audit log", cmd_db },
	{ "serve", "run the online service (CRLs over HTTP)", cmd_serve },
	{ "ocsp", "status and rotation of the delegated OCSP responder",
	    cmd_ocsp },
	{ "est", "one-time enrollment tokens for EST", cmd_est },
	{ "acme", "ACME external account binding keys", cmd_acme },
	{ "renew", "renew a certificate over EST with the current one",
	    cmd_renew },
	{ "acme", "the ACME service: ask clients to renew early", cmd_acme },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: signet COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f,
	    "\n'signet COMMAND --help' describes a command. PINs are never\n"
	    "taken as arguments: see docs/hsm.md for PIN sources.\n"
	    "Exit status: 0 success, 2 usage, 3 configuration, 10 policy,\n"
	    "11 lint, 20-27 token, 30-31 crypto, 40-42 store, 50-51 I/O and\n"
	    "audit (docs/cli.md lists every code).\n");
}

/*
 * What went to standard output is only out once it is flushed: a listing,
 * certificate or export cut short by a full disk must not exit 0.
 */
static int
stdout_finish(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	fprintf(stderr, "signet: cannot write standard output: %s\n",
	    errno != 0 ? strerror(errno) : "write error");
	return status != 0 ? status : signet_exit_code(SIGNET_ERR_IO);
}

int
main(int argc, char **argv)
{
	size_t i;

	/* No core dump may ever hold a PIN or a session. */
	secret_harden_process();
	if (argc < 2) {
		usage(stderr);
		return signet_exit_code(SIGNET_ERR_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return stdout_finish(0);
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("signet %s (%s)\n", SIGNET_VERSION,
		    OpenSSL_version(OPENSSL_VERSION));
		return stdout_finish(0);
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return stdout_finish(
			    commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "signet: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return signet_exit_code(SIGNET_ERR_USAGE);
}
