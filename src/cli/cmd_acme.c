/*
 * signet acme VERB ...: the operator's side of the ACME service
 * (docs/acme.md). One function per verb, each in its cmd_acme_<verb>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} verbs[] = {
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
