/*
 * libFuzzer target: OCSP requests as the front end reads them from the
 * network (src/serve/front_ocsp_req.c): the DER parser, and the GET path
 * decoder (percent escapes, base64) feeding it. Whatever comes in is
 * answered with a status or one CertID that lies inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/front_ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const uint8_t *p, size_t n)
{
	struct ocsp_certid id;
	int r = ocsp_request_parse(p, n, &id);

	if (r != 0) {
		if (r != OCSP_MALFORMED_REQUEST)
			abort();
		return;
	}
	if (id.serial_len == 0 || id.serial < p ||
	    id.serial + id.serial_len > p + n || id.name_hash < p ||
	    id.name_hash + id.name_hash_len > p + n || id.key_hash < p ||
	    id.key_hash + id.key_hash_len > p + n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t der[OCSP_REQUEST_MAX];
	char *path;
	size_t n = 0;

	check(data, size);
	/* The same bytes as a GET path. */
	if (size > (size_t)4 * OCSP_REQUEST_MAX ||
	    (path = malloc(size + 1)) == NULL)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (ocsp_request_from_path(path, der, sizeof(der), &n) == 0) {
		if (n == 0 || n > sizeof(der))
			abort();
		check(der, n);
	}
	free(path);
	return 0;
}
