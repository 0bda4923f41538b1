#include <stdio.h>

#include "cli/cli.h"

int
cmd_token(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage("token", "not implemented yet");
}
