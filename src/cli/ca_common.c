/* Opening and closing the online CA instance for its commands. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "signet/ca.h"

int
cli_ca_open(const char *config, unsigned flags, struct signet_ca **out)
{
	char *path = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = signet_ca_config_locate(config, &path)) != 0)
		return cli_fail(r);
	r = signet_ca_open(path, flags, out);
	free(path);
	if (r != 0)
		return cli_fail(r);
	for (i = 0; signet_ca_warning(*out, i) != NULL; i++)
		cli_warn("%s", signet_ca_warning(*out, i));
	return 0;
}

int
cli_ca_close(struct signet_ca *ca)
{
	int r;

	if ((r = signet_ca_close(ca)) != 0)
		return cli_fail(r);
	return 0;
}
