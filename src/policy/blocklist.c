/*
 * A file of compromised keys, by the SHA-256 of their DER
 * SubjectPublicKeyInfo, looked up by binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"
#include "util/codec.h"
#include "util/file.h"

#define BLOCKLIST_MAX_SIZE ((size_t)64 * 1024 * 1024)

struct signet_blocklist {
	uint8_t (*hashes)[32];
	size_t n;
};

static int
hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

void
signet_blocklist_free(struct signet_blocklist *bl)
{
	if (bl == NULL)
		return;
	free(bl->hashes);
	free(bl);
}

size_t
signet_blocklist_count(const struct signet_blocklist *bl)
{
	return bl->n;
}

int
signet_blocklist_load(const char *path, struct signet_blocklist **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_blocklist *bl = NULL;
	uint8_t *text = NULL, (*v)[32];
	char *line, *next, *hash;
	size_t len = 0, cap = 0, got, lineno = 0;

	*out = NULL;
	if ((r = file_read(path, BLOCKLIST_MAX_SIZE, &text, &len)) != 0)
		goto out;
	if ((bl = calloc(1, sizeof(*bl))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (line = (char *)text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "#")] = '\0';
		hash = line + strspn(line, " \t\r");
		hash[strcspn(hash, " \t\r")] = '\0';
		if (*hash == '\0')
			continue;
		if (bl->n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((v = realloc(bl->hashes, cap * 32)) == NULL) {
				r = signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
				goto out;
			}
			bl->hashes = v;
		}
		if (hex_decode(hash, bl->hashes[bl->n], 32, &got) != 0 ||
		    got != 32) {
			r = signet_error_set(SIGNET_ERR_CONFIG,
			    "%s:%zu: not a hex SHA-256 of a public key", path,
			    lineno);
			goto out;
		}
		bl->n++;
	}
	if (bl->n > 0)
		qsort(bl->hashes, bl->n, 32, hash_cmp);
	*out = bl;
	bl = NULL;
	r = 0;
out:
	signet_blocklist_free(bl);
	free(text);
	return r;
}

int
signet_blocklist_is_blocked(void *arg, const uint8_t spki_sha256[32])
{
	const struct signet_blocklist *bl = arg;

	if (bl == NULL || bl->n == 0)
		return 0;
	return bsearch(spki_sha256, bl->hashes, bl->n, 32, hash_cmp) != NULL;
}
