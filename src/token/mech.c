/*
 * What a token can do, asked before it is asked to do it: its mechanism
 * list, and each mechanism's flags and key sizes (C_GetMechanismList,
 * C_GetMechanismInfo). A refusal names the mechanism and the key size,
 * where a token asked blindly fails deep inside a signature or a key
 * generation with CKR_MECHANISM_INVALID, or worse CKR_GENERAL_ERROR.
 *
 * An answer that allows is kept for the life of the token object, so the
 * signing path asks the module once; a refusal is asked again next time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token/token_int.h"

static const struct {
	CK_MECHANISM_TYPE type;
	const char *name;
} mech_names[] = {
	{ CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN" },
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN" },
	{ CKM_ECDSA, "CKM_ECDSA" },
	{ CKM_RSA_PKCS, "CKM_RSA_PKCS" },
	{ CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS" },
	{ CKM_RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP" },
	{ CKM_AES_KEY_GEN, "CKM_AES_KEY_GEN" },
	{ CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD" },
};

static const struct {
	CK_FLAGS flag;
	const char *name, *use;
} flag_names[] = {
	{ CKF_SIGN, "CKF_SIGN", "signing" },
	{ CKF_GENERATE_KEY_PAIR, "CKF_GENERATE_KEY_PAIR",
	    "key pair generation" },
	{ CKF_GENERATE, "CKF_GENERATE", "key generation" },
	{ CKF_WRAP, "CKF_WRAP", "wrapping" },
	{ CKF_UNWRAP, "CKF_UNWRAP", "unwrapping" },
};

const char *
token_mech_name(CK_MECHANISM_TYPE m, char buf[32])
{
	size_t i;

	for (i = 0; i < sizeof(mech_names) / sizeof(mech_names[0]); i++)
		if (mech_names[i].type == m)
			return mech_names[i].name;
	snprintf(buf, 32, "mechanism 0x%lx", (unsigned long)m);
	return buf;
}

/* Key sizes as PKCS#11 gives them: EC field bits, RSA modulus bits. */
static unsigned
type_bits(enum signet_key_type type, int *ec)
{
	*ec = 1;
	switch (type) {
	case SIGNET_KEY_EC_P256:
		return 256;
	case SIGNET_KEY_EC_P384:
		return 384;
	case SIGNET_KEY_EC_P521:
		return 521;
	case SIGNET_KEY_RSA_2048:
		*ec = 0;
		return 2048;
	case SIGNET_KEY_RSA_3072:
		*ec = 0;
		return 3072;
	case SIGNET_KEY_RSA_4096:
		*ec = 0;
		return 4096;
	case SIGNET_KEY_NONE:
	default:
		*ec = 0;
		return 0;
	}
}

/* "P-521 keys", "3072-bit RSA keys". */
static void
type_describe(enum signet_key_type type, char *buf, size_t len)
{
	int ec;
	unsigned bits = type_bits(type, &ec);

	if (ec)
		snprintf(buf, len, "P-%u keys", bits);
	else
		snprintf(buf, len, "%u-bit RSA keys", bits);
}

/*
 * Within the sizes the token gives? A maximum of 0 means the token did not
 * say. A few tokens give EC sizes in bytes rather than field bits: a
 * maximum below the smallest curve in bits is read as bytes.
 */
static int
size_allowed(const CK_MECHANISM_INFO *mi, unsigned bits, int ec)
{
	CK_ULONG size = bits;

	if (bits == 0 || mi->ulMaxKeySize == 0)
		return 1;
	if (ec && mi->ulMaxKeySize < 160)
		size = (bits + 7) / 8;
	return size >= mi->ulMinKeySize && size <= mi->ulMaxKeySize;
}

/* 1 if the token listed m, 0 if not, -1 if it would not give its list. */
static int
mech_listed(struct signet_token *tok, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_TYPE *list = NULL;
	CK_ULONG n = 0, i;
	int found = -1;

	if (token_rv_class(tok->fl->C_GetMechanismList(tok->slot, NULL, &n)) !=
	    TOKEN_RV_OK)
		return -1;
	if (n == 0)
		return 0;
	if (n > 4096 || (list = calloc(n, sizeof(*list))) == NULL)
		return -1;
	if (token_rv_class(tok->fl->C_GetMechanismList(tok->slot, list, &n)) ==
	    TOKEN_RV_OK) {
		found = 0;
		for (i = 0; i < n; i++)
			if (list[i] == m)
				found = 1;
	}
	free(list);
	return found;
}

static int
cache_has(struct signet_token *tok, CK_MECHANISM_TYPE m, CK_FLAGS need,
    unsigned bits)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&tok->mech_lock);
	for (i = 0; i < tok->n_mech_ok && !found; i++)
		found = tok->mech_ok[i].type == m &&
			(tok->mech_ok[i].flags & need) == need &&
			tok->mech_ok[i].bits == bits;
	pthread_mutex_unlock(&tok->mech_lock);
	return found;
}

static void
cache_add(struct signet_token *tok, CK_MECHANISM_TYPE m, CK_FLAGS need,
    unsigned bits)
{
	pthread_mutex_lock(&tok->mech_lock);
	if (tok->n_mech_ok < TOKEN_MECH_CACHE) {
		tok->mech_ok[tok->n_mech_ok].type = m;
		tok->mech_ok[tok->n_mech_ok].flags = need;
		tok->mech_ok[tok->n_mech_ok].bits = bits;
		tok->n_mech_ok++;
	}
	pthread_mutex_unlock(&tok->mech_lock);
}

enum token_mech_verdict
token_mech_ask(struct signet_token *tok, CK_MECHANISM_TYPE m, CK_FLAGS need,
    enum signet_key_type type, CK_MECHANISM_INFO *mi)
{
	int ec;
	unsigned bits = type_bits(type, &ec);
	CK_RV rv;

	memset(mi, 0, sizeof(*mi));
	if (cache_has(tok, m, need, bits))
		return TOKEN_MECH_OK;
	/* Not every module lists what it answers for; a list is final. */
	if (mech_listed(tok, m) == 0)
		return TOKEN_MECH_ABSENT;
	rv = tok->fl->C_GetMechanismInfo(tok->slot, m, mi);
	if (token_rv_class(rv) != TOKEN_RV_OK)
		return TOKEN_MECH_ABSENT;
	if ((mi->flags & need) != need)
		return TOKEN_MECH_NO_FLAG;
	if (!size_allowed(mi, bits, ec))
		return TOKEN_MECH_SIZE;
	cache_add(tok, m, need, bits);
	return TOKEN_MECH_OK;
}

int
token_mech_require(struct signet_token *tok, CK_MECHANISM_TYPE m, CK_FLAGS need,
    enum signet_key_type type, const char *purpose)
{
	CK_MECHANISM_INFO mi;
	char mbuf[32], kinds[48], lacking[96] = "";
	const char *name = token_mech_name(m, mbuf);
	size_t i;
	int ec;

	(void)type_bits(type, &ec);

	switch (token_mech_ask(tok, m, need, type, &mi)) {
	case TOKEN_MECH_OK:
		return 0;
	case TOKEN_MECH_ABSENT:
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' does not offer %s, so it cannot %s", tok->label,
		    name, purpose);
	case TOKEN_MECH_NO_FLAG:
		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if ((need & flag_names[i].flag) != 0 &&
			    (mi.flags & flag_names[i].flag) == 0) {
				snprintf(lacking, sizeof(lacking), "%s (%s)",
				    flag_names[i].use, flag_names[i].name);
				break;
			}
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' offers %s but not for %s, so it cannot %s",
		    tok->label, name, lacking[0] ? lacking : "this use",
		    purpose);
	case TOKEN_MECH_SIZE:
		type_describe(type, kinds, sizeof(kinds));
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' does not offer %s with %s (it takes keys of "
		    "%lu to %lu %s), so it cannot %s",
		    tok->label, name, kinds, (unsigned long)mi.ulMinKeySize,
		    (unsigned long)mi.ulMaxKeySize,
		    ec && mi.ulMaxKeySize < 160 ? "bytes" : "bits", purpose);
	default:
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "unexpected answer about %s", name);
	}
}
