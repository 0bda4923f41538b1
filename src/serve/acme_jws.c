/*
 * Flattened JWS JSON for ACME requests (acme_jws.h).
 */
#include <stdlib.h>
#include <string.h>

#include "serve/acme_jwk.h"
#include "serve/acme_jws.h"

#define FAIL(p, d)              \
	do {                    \
		*problem = (p); \
		*detail = (d);  \
		goto out;       \
	} while (0)

void
acme_jws_free(struct acme_jws *j)
{
	json_decref(j->jwk);
	json_decref(j->payload);
	free(j->input);
	free(j->sig);
	memset(j, 0, sizeof(*j));
}

static int
copy_str(const json_t *v, char *out, size_t max)
{
	size_t n;

	if (!json_is_string(v) || (n = json_string_length(v)) == 0 || n > max ||
	    strlen(json_string_value(v)) != n)
		return -1;
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

int
acme_jws_parse(const uint8_t *body, size_t len, struct acme_jws *j,
    const char **problem, const char **detail)
{
	json_t *root = NULL, *hdr = NULL, *v;
	const char *prot, *pay, *sig, *key;
	uint8_t *raw = NULL;
	size_t raw_len = 0, pl, pyl;
	int r = -1;

	memset(j, 0, sizeof(*j));
	*problem = "malformed";
	*detail = NULL;
	root =
	    json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root) || json_object_size(root) != 3)
		FAIL("malformed", "the body is not a flattened JWS: an object "
				  "with protected, payload and signature");
	prot = json_string_value(json_object_get(root, "protected"));
	pay = json_string_value(json_object_get(root, "payload"));
	sig = json_string_value(json_object_get(root, "signature"));
	if (prot == NULL || pay == NULL || sig == NULL)
		FAIL("malformed", "the JWS needs protected, payload and "
				  "signature as strings");
	pl = strlen(prot);
	pyl = strlen(pay);
	if (acme_b64url_decode(prot, pl, &raw, &raw_len) != 0 ||
	    (hdr = json_loadb((const char *)raw, raw_len,
		 JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(hdr))
		FAIL("malformed", "the protected header is not base64url "
				  "JSON");
	json_object_foreach(hdr, key, v)
	{
		if (strcmp(key, "alg") != 0 && strcmp(key, "nonce") != 0 &&
		    strcmp(key, "url") != 0 && strcmp(key, "jwk") != 0 &&
		    strcmp(key, "kid") != 0)
			FAIL("malformed", "the protected header has a member "
					  "this server does not understand");
	}
	if (copy_str(json_object_get(hdr, "alg"), j->alg, sizeof(j->alg) - 1) !=
		0 ||
	    (strcmp(j->alg, "ES256") != 0 && strcmp(j->alg, "ES384") != 0 &&
		strcmp(j->alg, "ES512") != 0 && strcmp(j->alg, "RS256") != 0))
		FAIL("badSignatureAlgorithm",
		    "alg must be ES256, ES384, ES512 or RS256");
	if (copy_str(json_object_get(hdr, "nonce"), j->nonce, ACME_NONCE_MAX) !=
	    0)
		FAIL("badNonce", "the protected header has no nonce");
	if (copy_str(json_object_get(hdr, "url"), j->url, ACME_URL_MAX) != 0)
		FAIL("malformed", "the protected header has no url");
	v = json_object_get(hdr, "kid");
	if ((v != NULL) == (json_object_get(hdr, "jwk") != NULL))
		FAIL("malformed", "the protected header needs jwk or kid, "
				  "not both");
	if (v != NULL && copy_str(v, j->kid, ACME_URL_MAX) != 0)
		FAIL("malformed", "kid is not an account URL");
	if (v == NULL) {
		j->jwk = json_incref(json_object_get(hdr, "jwk"));
		if (!json_is_object(j->jwk))
			FAIL("malformed", "jwk is not an object");
	}
	free(raw);
	raw = NULL;
	if (pyl > 0) {
		if (acme_b64url_decode(pay, pyl, &raw, &raw_len) != 0 ||
		    (j->payload = json_loadb((const char *)raw, raw_len,
			 JSON_REJECT_DUPLICATES, NULL)) == NULL ||
		    !json_is_object(j->payload))
			FAIL("malformed", "the payload is not base64url of a "
					  "JSON object");
	}
	if (acme_b64url_decode(sig, strlen(sig), &j->sig, &j->sig_len) != 0 ||
	    j->sig_len == 0)
		FAIL("malformed", "the signature is not base64url");
	if ((j->input = malloc(pl + 1 + pyl)) == NULL)
		FAIL("serverInternal", "out of memory");
	memcpy(j->input, prot, pl);
	j->input[pl] = '.';
	memcpy(j->input + pl + 1, pay, pyl);
	j->input_len = pl + 1 + pyl;
	r = 0;
out:
	free(raw);
	json_decref(hdr);
	json_decref(root);
	return r;
}
