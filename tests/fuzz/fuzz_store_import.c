/*
 * libFuzzer target: store export files through signet_store_import. An
 * export is carried between machines and may be damaged or forged: it must
 * be refused with a message (never a crash), and a refused import must
 * leave the database empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signet/store.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct signet_store *st;
static char dir[4096], input[4200], url[4200];

static void
cleanup(void)
{
	char path[4300];

	signet_store_free(st);
	unlink(input);
	snprintf(path, sizeof(path), "%s/ca.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ca.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ca.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

static void
store_reopen(void)
{
	signet_store_free(st);
	st = NULL;
	if (signet_store_open(url, &st) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signet_store_inventory rows;
	char hash[65];
	FILE *f;
	int r;

	if (st == NULL) {
		const char *base = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/signet-fuzz-import.XXXXXX",
		    base != NULL ? base : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(input, sizeof(input), "%s/in.jsonl", dir);
		snprintf(url, sizeof(url), "sqlite:%s/ca.db", dir);
		store_reopen();
		atexit(cleanup);
	}
	if ((f = fopen(input, "w")) == NULL ||
	    fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	r = signet_store_import(st, input, NULL, NULL);
	if (r == 0) {
		/* A consistent export: start the next input from nothing. */
		if (store_drop_all(st) != 0)
			abort();
		store_reopen();
		return 0;
	}
	switch (r) {
	case SIGNET_ERR_CONFIG:   /* malformed line */
	case SIGNET_ERR_VERIFY:   /* counts or hash differ */
	case SIGNET_ERR_STORE:    /* a row the schema refuses */
	case SIGNET_ERR_CONFLICT: /* a key twice */
	case SIGNET_ERR_INTERNAL: /* out of memory */
		break;
	default:
		abort();
	}
	if (signet_error_message()[0] == '\0')
		abort();
	/* Nothing of a refused import stays. */
	if (signet_store_content_hash(st, &rows, hash) != 0 ||
	    rows.meta + rows.issuers + rows.certificates + rows.crls +
		    rows.blocked_keys !=
		0)
		abort();
	return 0;
}
