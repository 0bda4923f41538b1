/*
 * Public keys from their numbers (util/pkey.h).
 */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "util/pkey.h"

EVP_PKEY *
pkey_from_params(const char *type, const OSSL_PARAM *params, int selection)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, (OSSL_PARAM *)params) <=
		0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/*
 * The domain parameters of each common curve, built once: a key is then
 * a copy of its curve's template with the point set, which spares
 * building the group (its Montgomery constants, its generator) per key.
 * Only read after the once-routine, so shared between threads.
 */
static const char *const ec_groups[] = { "prime256v1", "secp384r1",
	"secp521r1" };
static EVP_PKEY *ec_templates[sizeof(ec_groups) / sizeof(ec_groups[0])];
static pthread_once_t ec_templates_once = PTHREAD_ONCE_INIT;

static void
ec_templates_build(void)
{
	OSSL_PARAM params[2];
	size_t i;

	for (i = 0; i < sizeof(ec_groups) / sizeof(ec_groups[0]); i++) {
		params[0] =
		    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
			(char *)ec_groups[i], 0);
		params[1] = OSSL_PARAM_construct_end();
		/* Without a template, keys are built from their numbers. */
		ec_templates[i] =
		    pkey_from_params("EC", params, EVP_PKEY_KEY_PARAMETERS);
	}
	ERR_clear_error();
}

EVP_PKEY *
pkey_ec_from_point(const char *group, const unsigned char *pk, size_t len)
{
	OSSL_PARAM params[3];
	EVP_PKEY *pkey = NULL;
	size_t i;

	(void)pthread_once(&ec_templates_once, ec_templates_build);
	for (i = 0; i < sizeof(ec_groups) / sizeof(ec_groups[0]); i++)
		if (strcmp(ec_groups[i], group) == 0 && ec_templates[i] != NULL)
			break;
	if (i < sizeof(ec_groups) / sizeof(ec_groups[0])) {
		if ((pkey = EVP_PKEY_dup(ec_templates[i])) == NULL ||
		    !EVP_PKEY_set1_encoded_public_key(pkey, pk, len)) {
			EVP_PKEY_free(pkey);
			return NULL;
		}
		return pkey;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)pk, len);
	params[2] = OSSL_PARAM_construct_end();
	return pkey_from_params("EC", params, EVP_PKEY_PUBLIC_KEY);
}
