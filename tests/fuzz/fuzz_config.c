/*
 * libFuzzer target: an instance's signet.yaml through
 * signet_ca_config_load, as every CA command reads it: the size cap, the
 * YAML pass, the schema, then every value (URIs, paths, durations, URLs,
 * ranges). The input is written to signet.yaml in a private directory of
 * the target's own, since the loader checks the file's and directory's
 * modes. A refusal must be a configuration error with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet/ca.h"
#include "signet/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096], path[4200];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void
setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/signet-fuzz-config.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/signet.yaml", dir);
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signet_ca_config *c = NULL;
	FILE *f;
	int r;

	if (dir[0] == '\0')
		setup();
	if ((f = fopen(path, "wb")) == NULL || fchmod(fileno(f), 0600) != 0 ||
	    fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	r = signet_ca_config_load(path, &c);
	if (r == 0) {
		signet_ca_config_free(c);
		return 0;
	}
	/* Every refusal is the file's fault, and says why. */
	if (c != NULL || (r != SIGNET_ERR_CONFIG && r != SIGNET_ERR_INTERNAL) ||
	    signet_error_message()[0] == '\0')
		abort();
	signet_error_clear();
	return 0;
}
