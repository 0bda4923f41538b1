/*
 * The ACME front end's request parser (src/serve/acme_jws.c) and the JWK
 * loader behind it (acme_jwk.c): any body either parses into a JWS whose
 * invariants hold, or is refused with a problem type and a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/acme_jwk.h"
#include "serve/acme_jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_jws j;
	const char *problem, *detail, *why;
	char thumb[ACME_THUMB_LEN + 1], text[ACME_JWK_TEXT_MAX + 1];
	EVP_PKEY *key = NULL;

	if (acme_jws_parse(data, size, &j, &problem, &detail) != 0) {
		if (problem == NULL || detail == NULL)
			abort(); /* a refusal always says why */
		acme_jws_free(&j);
		return 0;
	}
	if ((strcmp(j.alg, "ES256") != 0 && strcmp(j.alg, "ES384") != 0 &&
		strcmp(j.alg, "ES512") != 0 && strcmp(j.alg, "RS256") != 0) ||
	    j.nonce[0] == '\0' || j.url[0] == '\0' ||
	    (j.kid[0] != '\0') == (j.jwk != NULL) || j.input_len == 0 ||
	    j.sig_len == 0 || (j.payload != NULL && !json_is_object(j.payload)))
		abort();
	if (j.jwk != NULL &&
	    acme_jwk_load(j.jwk, &key, thumb, text, &why) == 0) {
		if (strlen(thumb) != ACME_THUMB_LEN || text[0] != '{')
			abort();
		(void)acme_jws_verify(key, j.alg, j.input, j.input_len, j.sig,
		    j.sig_len, &why);
		EVP_PKEY_free(key);
	}
	acme_jws_free(&j);
	return 0;
}
