/*
 * Private keys on a token: finding them, reading and checking their
 * attributes, and listing them. A CA key must be sensitive and
 * non-extractable, and must always have been (CKA_ALWAYS_SENSITIVE,
 * CKA_NEVER_EXTRACTABLE): one that is not could have left the token, so
 * signet refuses to sign with it unless the operator accepts a key
 * restored from a backup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "token/token_int.h"
#include "util/codec.h"

static const struct {
	enum signet_key_type type;
	const char *name;
} key_type_names[] = {
	{ SIGNET_KEY_EC_P256, "ec-p256" },
	{ SIGNET_KEY_EC_P384, "ec-p384" },
	{ SIGNET_KEY_EC_P521, "ec-p521" },
	{ SIGNET_KEY_RSA_2048, "rsa-2048" },
	{ SIGNET_KEY_RSA_3072, "rsa-3072" },
	{ SIGNET_KEY_RSA_4096, "rsa-4096" },
};

#define N_KEY_TYPES (sizeof(key_type_names) / sizeof(key_type_names[0]))

const char *
signet_key_type_name(enum signet_key_type type)
{
	size_t i;

	for (i = 0; i < N_KEY_TYPES; i++)
		if (key_type_names[i].type == type)
			return key_type_names[i].name;
	return "none";
}

int
signet_key_type_parse(const char *name, enum signet_key_type *out)
{
	size_t i;

	*out = SIGNET_KEY_NONE;
	for (i = 0; name != NULL && i < N_KEY_TYPES; i++)
		if (strcmp(key_type_names[i].name, name) == 0) {
			*out = key_type_names[i].type;
			return 0;
		}
	return signet_error_set(SIGNET_ERR_USAGE,
	    "unknown key type '%s': use ec-p256, ec-p384, ec-p521, rsa-2048, "
	    "rsa-3072 or rsa-4096",
	    name != NULL ? name : "");
}

int
token_attr_get(struct signet_token *tok, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, uint8_t **out, size_t *len,
    int *absent)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_ATTRIBUTE a = { type, NULL, 0 };
	uint8_t *buf = NULL;
	CK_RV rv;

	*out = NULL;
	*len = 0;
	*absent = 0;
	rv = tok->fl->C_GetAttributeValue(s, h, &a, 1);
	if (token_rv_class(rv) == TOKEN_RV_ATTR_UNAVAILABLE ||
	    (token_rv_class(rv) == TOKEN_RV_OK &&
		a.ulValueLen == CK_UNAVAILABLE_INFORMATION)) {
		*absent = 1;
		r = 0;
		goto out;
	}
	TOKEN_CHECK(rv,
	    "cannot read attribute 0x%lx of an object on token "
	    "'%s'",
	    (unsigned long)type, tok->label);
	if (a.ulValueLen > 64UL * 1024) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "attribute 0x%lx of an object on token '%s' is "
		    "implausibly large (%lu bytes)",
		    (unsigned long)type, tok->label,
		    (unsigned long)a.ulValueLen);
		goto out;
	}
	if ((buf = calloc(1, a.ulValueLen + 1)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	a.pValue = buf;
	TOKEN_CHECK(tok->fl->C_GetAttributeValue(s, h, &a, 1),
	    "cannot read attribute 0x%lx of an object on token '%s'",
	    (unsigned long)type, tok->label);
	*out = buf;
	*len = a.ulValueLen;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

/* A CK_BBOOL attribute; *val = dflt when the token does not say. */
static int
attr_bool(struct signet_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, int dflt, int *val)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int absent = 0, r;

	*val = dflt;
	if ((r = token_attr_get(tok, s, h, type, &v, &len, &absent)) != 0)
		return r;
	if (!absent && len == sizeof(CK_BBOOL))
		*val = *(CK_BBOOL *)v != CK_FALSE;
	free(v);
	return 0;
}

static int
attr_ulong(struct signet_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, CK_ULONG *val, int *absent)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int r;

	*val = 0;
	if ((r = token_attr_get(tok, s, h, type, &v, &len, absent)) != 0)
		return r;
	if (!*absent && len == sizeof(CK_ULONG))
		memcpy(val, v, sizeof(*val));
	else
		*absent = 1;
	free(v);
	return 0;
}

int
token_objects_find(struct signet_token *tok, CK_SESSION_HANDLE s, long cls,
    const struct token_key_ref *ref, CK_OBJECT_HANDLE *out, size_t max,
    size_t *n)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_OBJECT_CLASS oc = (CK_OBJECT_CLASS)cls;
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG nt = 0, got = 0;
	CK_OBJECT_HANDLE batch[16];
	int active = 0;
	size_t i;

	*n = 0;
	if (cls >= 0) {
		tmpl[nt].type = CKA_CLASS;
		tmpl[nt].pValue = &oc;
		tmpl[nt++].ulValueLen = sizeof(oc);
	}
	if (ref->has_label) {
		tmpl[nt].type = CKA_LABEL;
		tmpl[nt].pValue = (void *)ref->label;
		tmpl[nt++].ulValueLen = strlen(ref->label);
	}
	if (ref->has_id) {
		tmpl[nt].type = CKA_ID;
		tmpl[nt].pValue = (void *)ref->id;
		tmpl[nt++].ulValueLen = ref->id_len;
	}
	TOKEN_CHECK(tok->fl->C_FindObjectsInit(s, nt > 0 ? tmpl : NULL, nt),
	    "cannot search token '%s'", tok->label);
	active = 1;
	for (;;) {
		TOKEN_CHECK(tok->fl->C_FindObjects(s, batch, 16, &got),
		    "cannot search token '%s'", tok->label);
		if (got == 0)
			break;
		for (i = 0; i < got; i++, (*n)++)
			if (*n < max)
				out[*n] = batch[i];
	}
	r = 0;
out:
	if (active)
		(void)tok->fl->C_FindObjectsFinal(s);
	return r;
}

/* Bits in a big-endian unsigned integer. */
static unsigned
bignum_bits(const uint8_t *v, size_t len)
{
	unsigned bits;
	uint8_t top;

	while (len > 0 && v[0] == 0) {
		v++;
		len--;
	}
	if (len == 0)
		return 0;
	bits = (unsigned)(len - 1) * 8;
	for (top = v[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

/* Name the key type from CKA_KEY_TYPE and its parameters. */
static int
key_type_read(struct signet_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_KEY_TYPE kt, struct signet_key_info *info)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int absent = 0, r;

	switch (kt) {
	case CKK_EC:
		snprintf(info->type_name, sizeof(info->type_name), "ec");
		if ((r = token_attr_get(tok, s, h, CKA_EC_PARAMS, &v, &len,
			 &absent)) != 0)
			return r;
		if (!absent)
			info->type = token_curve_from_params(v, len);
		info->bits = info->type == SIGNET_KEY_EC_P256   ? 256
			     : info->type == SIGNET_KEY_EC_P384 ? 384
			     : info->type == SIGNET_KEY_EC_P521 ? 521
								: 0;
		break;
	case CKK_RSA:
		snprintf(info->type_name, sizeof(info->type_name), "rsa");
		if ((r = token_attr_get(tok, s, h, CKA_MODULUS, &v, &len,
			 &absent)) != 0)
			return r;
		if (!absent)
			info->bits = bignum_bits(v, len);
		info->type = info->bits == 2048   ? SIGNET_KEY_RSA_2048
			     : info->bits == 3072 ? SIGNET_KEY_RSA_3072
			     : info->bits == 4096 ? SIGNET_KEY_RSA_4096
						  : SIGNET_KEY_NONE;
		break;
	case CKK_EC_EDWARDS:
		snprintf(info->type_name, sizeof(info->type_name), "ed");
		break;
	default:
		snprintf(info->type_name, sizeof(info->type_name),
		    "key-type-0x%lx", (unsigned long)kt);
		break;
	}
	if (info->type != SIGNET_KEY_NONE)
		snprintf(info->type_name, sizeof(info->type_name), "%s",
		    signet_key_type_name(info->type));
	free(v);
	return 0;
}

int
token_key_read_info(struct signet_token *tok, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE h, struct signet_key_info *info, CK_KEY_TYPE *ck_type)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *v = NULL;
	size_t len = 0;
	CK_ULONG kt = 0;
	int absent = 0;

	memset(info, 0, sizeof(*info));
	*ck_type = (CK_KEY_TYPE)-1;
	if ((r = token_attr_get(tok, s, h, CKA_LABEL, &v, &len, &absent)) != 0)
		goto out;
	if (!absent && v != NULL) {
		if (len > SIGNET_KEY_LABEL_MAX)
			len = SIGNET_KEY_LABEL_MAX;
		memcpy(info->label, v, len);
		info->label[len] = '\0';
	}
	free(v);
	v = NULL;
	if ((r = token_attr_get(tok, s, h, CKA_ID, &v, &len, &absent)) != 0)
		goto out;
	if (!absent && v != NULL) {
		if (len > SIGNET_KEY_ID_MAX)
			len = SIGNET_KEY_ID_MAX;
		memcpy(info->id, v, len);
		info->id_len = len;
	}
	/*
	 * A token that will not say whether a key is sensitive or
	 * extractable is taken at its worst.
	 */
	if ((r = attr_bool(tok, s, h, CKA_SENSITIVE, 0, &info->sensitive)) !=
		0 ||
	    (r = attr_bool(tok, s, h, CKA_EXTRACTABLE, 1,
		 &info->extractable)) != 0 ||
	    (r = attr_bool(tok, s, h, CKA_ALWAYS_SENSITIVE, 0,
		 &info->always_sensitive)) != 0 ||
	    (r = attr_bool(tok, s, h, CKA_NEVER_EXTRACTABLE, 0,
		 &info->never_extractable)) != 0 ||
	    (r = attr_bool(tok, s, h, CKA_WRAP_WITH_TRUSTED, 0,
		 &info->wrap_with_trusted)) != 0 ||
	    (r = attr_bool(tok, s, h, CKA_SIGN, 0, &info->sign)) != 0)
		goto out;
	if ((r = attr_ulong(tok, s, h, CKA_KEY_TYPE, &kt, &absent)) != 0)
		goto out;
	if (absent) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "key '%s' on token '%s' has no CKA_KEY_TYPE", info->label,
		    tok->label);
		goto out;
	}
	*ck_type = kt;
	if ((r = key_type_read(tok, s, h, kt, info)) != 0)
		goto out;
	r = 0;
out:
	free(v);
	return r;
}

int
token_key_check_safe(const struct signet_key_info *info, int allow_trusted_wrap,
    const char *what)
{
	/*
	 * PKCS#11 2.40 4.9: a key with CKA_WRAP_WITH_TRUSTED leaves the token
	 * only wrapped by a key the security officer marked CKA_TRUSTED.
	 */
	if (allow_trusted_wrap && info->extractable &&
	    info->wrap_with_trusted && info->sensitive)
		return 0;
	if (info->extractable || !info->sensitive)
		return signet_error_set(SIGNET_ERR_KEY_UNSAFE,
		    "%s is %s%s%s: its private key can be read out of the "
		    "token, so it is not fit to be a CA key; generate a new "
		    "key with 'signet token keygen'",
		    what,
		    info->extractable ? "extractable (CKA_EXTRACTABLE true)"
				      : "",
		    info->extractable && !info->sensitive ? " and " : "",
		    !info->sensitive ? "not sensitive (CKA_SENSITIVE false)"
				     : "");
	return 0;
}

/* "key 'label' (id 0102) on token 'root'" for messages. */
static void
key_describe(const struct signet_token *tok, const struct signet_key_info *info,
    char *buf, size_t len)
{
	char id[2 * 16 + 4];
	size_t i, n = info->id_len > 16 ? 16 : info->id_len;

	for (i = 0; i < n; i++)
		snprintf(id + 2 * i, 3, "%02x", info->id[i]);
	snprintf(id + 2 * n, sizeof(id) - 2 * n, "%s",
	    info->id_len > 16 ? "..." : "");
	snprintf(buf, len, "key '%s' (id %s) on token '%s'", info->label,
	    n > 0 ? id : "none", tok->label);
}

/*
 * What CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE say of the key's past
 * (PKCS#11 2.40 4.9), as a phrase to follow its name, or "" when it was
 * always sensitive and never extractable. Tokens set both false on a key
 * that was unwrapped or imported: its value came from outside.
 */
static void
key_history(const struct signet_key_info *info, int allow_trusted_wrap,
    char *buf, size_t len)
{
	int readable = !info->always_sensitive;
	/* Extractable under a trusted wrapping key by design (backup). */
	int extractable = !info->never_extractable &&
			  !(allow_trusted_wrap && info->wrap_with_trusted);
	int both = readable && extractable;

	buf[0] = '\0';
	if (!readable && !extractable)
		return;
	snprintf(buf, len,
	    "%s%s%s; it may exist outside the token (%s%s%s %s false)",
	    readable ? "was not always sensitive" : "", both ? " and " : "",
	    extractable ? "was extractable at some point" : "",
	    readable ? "CKA_ALWAYS_SENSITIVE" : "", both ? " and " : "",
	    extractable ? "CKA_NEVER_EXTRACTABLE" : "", both ? "are" : "is");
}

/*
 * Check what a signing key must be: safe now, safe in its past unless
 * SIGNET_KEY_ACCEPT_RESTORED (restored then says why it may not be), able
 * to sign, and of a type signet signs with.
 */
static int
key_check_usable(const struct signet_token *tok,
    const struct signet_key_info *info, unsigned flags, const char *what,
    char restored[TOKEN_HISTORY_MAX])
{
	int r;

	if ((r = token_key_check_safe(info, tok->allow_trusted_wrap, what)) !=
	    0)
		return r;
	key_history(info, tok->allow_trusted_wrap, restored, TOKEN_HISTORY_MAX);
	if (restored[0] != '\0' && !(flags & SIGNET_KEY_ACCEPT_RESTORED))
		return signet_error_set(SIGNET_ERR_KEY_UNSAFE,
		    "%s %s, so it is not fit to be a CA key. A key restored "
		    "from a backup (unwrapped) or imported looks like this: if "
		    "this is one and it is to be used, say so with "
		    "accept-restored-key: true (signet.yaml, token: or audit:; "
		    "or the ceremony file's token:; docs/hsm.md); otherwise "
		    "generate a new key with 'signet token keygen'",
		    what, restored);
	if (!info->sign)
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "%s cannot sign (CKA_SIGN is false)", what);
	if (info->type == SIGNET_KEY_NONE)
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "%s is a %s key of %u bits; signet signs with ec-p256, "
		    "ec-p384, ec-p521, rsa-2048, rsa-3072 or rsa-4096 keys",
		    what, info->type_name, info->bits);
	return 0;
}

static void
key_ref_from_info(struct token_key_ref *ref, const struct signet_key_info *info)
{
	memset(ref, 0, sizeof(*ref));
	if (info->label[0] != '\0') {
		memcpy(ref->label, info->label, sizeof(ref->label));
		ref->has_label = 1;
	}
	if (info->id_len > 0) {
		memcpy(ref->id, info->id, info->id_len);
		ref->id_len = info->id_len;
		ref->has_id = 1;
	}
}

int
token_key_new(struct signet_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    unsigned long generation, unsigned flags, struct signet_key **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_key *key = NULL;
	char what[256];

	*out = NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (pthread_mutex_init(&key->lock, NULL) != 0) {
		free(key);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise a lock");
	}
	key->tok = tok;
	key->flags = flags;
	if ((r = token_key_read_info(tok, s, h, &key->info, &key->ck_type)) !=
	    0)
		goto out;
	key_describe(tok, &key->info, what, sizeof(what));
	if ((r = key_check_usable(tok, &key->info, flags, what,
		 key->restored)) != 0)
		goto out;
	key_ref_from_info(&key->ref, &key->info);
	if ((r = token_key_pubkey(tok, s, h, &key->ref, &key->info,
		 key->ck_type, &key->pub)) != 0) {
		signet_error_context(r, "%s", what);
		goto out;
	}
	if (key->ck_type == CKK_EC)
		key->sig_len = 2 * (((size_t)key->info.bits + 7) / 8);
	else
		key->sig_len = ((size_t)key->info.bits + 7) / 8;
	key->handle = h;
	key->handle_gen = generation;
	*out = key;
	key = NULL;
	r = 0;
out:
	signet_key_free(key);
	return r;
}

int
token_key_handle(struct signet_key *key, CK_SESSION_HANDLE s,
    unsigned long generation, CK_OBJECT_HANDLE *out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_token *tok = key->tok;
	struct signet_key_info info;
	CK_OBJECT_HANDLE found[2];
	CK_KEY_TYPE kt;
	EVP_PKEY *pub = NULL;
	char what[256], restored[TOKEN_HISTORY_MAX], fp_now[65], fp_then[65];
	size_t n = 0;

	pthread_mutex_lock(&key->lock);
	if (key->handle_gen == generation) {
		*out = key->handle;
		r = 0;
		goto out;
	}
	/*
	 * Sessions were recovered since this handle was found, perhaps on a
	 * re-inserted token: find the key again and check it again.
	 */
	key_describe(tok, &key->info, what, sizeof(what));
	if ((r = token_objects_find(tok, s, CKO_PRIVATE_KEY, &key->ref, found,
		 2, &n)) != 0)
		goto out;
	if (n != 1) {
		r = signet_error_set(SIGNET_ERR_KEY_NOT_FOUND,
		    "%s: %zu keys match it after the token's sessions were "
		    "recovered; expected exactly one",
		    what, n);
		goto out;
	}
	if ((r = token_key_read_info(tok, s, found[0], &info, &kt)) != 0)
		goto out;
	/* A removed token may come back as another one, or with a new key. */
	if (kt != key->ck_type || info.type != key->info.type) {
		r = signet_error_set(SIGNET_ERR_KEY_NOT_FOUND,
		    "the key found after reconnecting is not the one signet "
		    "opened: %s is now a %s key, and was a %s key; signet will "
		    "not sign with another key: put back the token it opened",
		    what, info.type_name, key->info.type_name);
		goto out;
	}
	if ((r = token_key_pubkey(tok, s, found[0], &key->ref, &info, kt,
		 &pub)) != 0) {
		signet_error_context(r, "%s, found again after reconnecting",
		    what);
		goto out;
	}
	if (EVP_PKEY_eq(pub, key->pub) != 1) {
		ERR_clear_error();
		if (spki_sha256_hex(pub, fp_now) != 0 ||
		    spki_sha256_hex(key->pub, fp_then) != 0) {
			r = SIGNET_ERR_CRYPTO;
			goto out;
		}
		r = signet_error_set(SIGNET_ERR_KEY_NOT_FOUND,
		    "the key found after reconnecting is not the one signet "
		    "opened: %s now has public key SHA-256 %s, and had %s; "
		    "signet will not sign with another key: put back the "
		    "token it opened",
		    what, fp_now, fp_then);
		goto out;
	}
	if ((r = key_check_usable(tok, &info, key->flags, what, restored)) !=
	    0) {
		signet_error_context(r, "found again after reconnecting");
		goto out;
	}
	key->info = info;
	memcpy(key->restored, restored, sizeof(key->restored));
	key->handle = found[0];
	key->handle_gen = generation;
	*out = found[0];
	r = 0;
out:
	pthread_mutex_unlock(&key->lock);
	EVP_PKEY_free(pub);
	return r;
}

/* The names of up to a few private keys, for "no such key" messages. */
static void
keys_describe(struct signet_token *tok, CK_SESSION_HANDLE s, char *buf,
    size_t len)
{
	struct token_key_ref none;
	CK_OBJECT_HANDLE found[8];
	struct signet_key_info info;
	CK_KEY_TYPE kt;
	size_t n = 0, i, used;

	memset(&none, 0, sizeof(none));
	buf[0] = '\0';
	if (token_objects_find(tok, s, CKO_PRIVATE_KEY, &none, found, 8, &n) !=
	    0) {
		snprintf(buf, len, "(cannot list them)");
		return;
	}
	for (i = 0; i < n && i < 8; i++) {
		if (token_key_read_info(tok, s, found[i], &info, &kt) != 0)
			continue;
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s'%s'", used > 0 ? ", " : "",
		    info.label);
	}
	if (n > 8) {
		used = strlen(buf);
		snprintf(buf + used, len - used, " and %zu more", n - 8);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
}

struct find_req {
	const struct signet_p11_uri *uri;
	unsigned flags;
	struct signet_key *key;
};

static int
find_fn(struct signet_token *tok, CK_SESSION_HANDLE s, unsigned long gen,
    void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	struct find_req *req = arg;
	const struct signet_p11_uri *uri = req->uri;
	struct token_key_ref ref;
	CK_OBJECT_HANDLE found[2];
	char *text = NULL, keys[512];
	size_t n = 0;

	memset(&ref, 0, sizeof(ref));
	if (uri->object != NULL) {
		snprintf(ref.label, sizeof(ref.label), "%s", uri->object);
		ref.has_label = 1;
	}
	if (uri->has_id) {
		memcpy(ref.id, uri->id, uri->id_len);
		ref.id_len = uri->id_len;
		ref.has_id = 1;
	}
	if ((r = token_objects_find(tok, s, CKO_PRIVATE_KEY, &ref, found, 2,
		 &n)) != 0)
		goto out;
	text = signet_uri_to_string(uri);
	if (n == 0) {
		keys_describe(tok, s, keys, sizeof(keys));
		r = signet_error_set(SIGNET_ERR_KEY_NOT_FOUND,
		    "no private key on token '%s' matches %s; private keys "
		    "there: %s",
		    tok->label, text != NULL ? text : "the URI", keys);
		goto out;
	}
	if (n > 1) {
		r = signet_error_set(SIGNET_ERR_URI,
		    "%zu private keys on token '%s' match %s; add id=... to "
		    "the URI to choose one",
		    n, tok->label, text != NULL ? text : "the URI");
		goto out;
	}
	r = token_key_new(tok, s, found[0], gen, req->flags, &req->key);
out:
	free(text);
	return r;
}

int
signet_key_find(struct signet_token *tok, const struct signet_p11_uri *uri,
    struct signet_key **out)
{
	return signet_key_find_flags(tok, uri, 0, out);
}

int
signet_key_find_flags(struct signet_token *tok,
    const struct signet_p11_uri *uri, unsigned flags, struct signet_key **out)
{
	struct find_req req = { uri, flags, NULL };
	int r;

	*out = NULL;
	if ((flags & ~(unsigned)SIGNET_KEY_ACCEPT_RESTORED) != 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "unknown key search flags 0x%x", flags);
	if (uri->type != NULL && strcmp(uri->type, "private") != 0)
		return signet_error_set(SIGNET_ERR_URI,
		    "the key URI has type=%s; signet signs with private keys "
		    "(type=private, or leave type out)",
		    uri->type);
	if (uri->object == NULL && !uri->has_id)
		return signet_error_set(SIGNET_ERR_URI,
		    "the key URI names no key: add object=LABEL and/or id=... "
		    "('signet token list --token URI' shows the keys)");
	if ((r = token_with_session(tok, find_fn, &req)) != 0)
		return r;
	*out = req.key;
	return 0;
}

void
signet_key_free(struct signet_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pub);
	pthread_mutex_destroy(&key->lock);
	free(key);
}

EVP_PKEY *
signet_key_get0_pubkey(const struct signet_key *key)
{
	return key->pub;
}

enum signet_key_type
signet_key_type(const struct signet_key *key)
{
	return key->info.type;
}

const char *
signet_key_label(const struct signet_key *key)
{
	return key->info.label;
}

const uint8_t *
signet_key_id(const struct signet_key *key, size_t *len)
{
	*len = key->info.id_len;
	return key->info.id;
}

const struct signet_key_info *
signet_key_get0_info(const struct signet_key *key)
{
	return &key->info;
}

const char *
signet_key_restored(const struct signet_key *key)
{
	return key->restored[0] != '\0' ? key->restored : NULL;
}

char *
signet_token_key_uri(const struct signet_token *tok,
    const struct signet_key_info *key)
{
	char *label = NULL, *serial = NULL, *object = NULL, *id = NULL;
	char *uri = NULL;

	label = token_uri_encode((const uint8_t *)tok->label,
	    strlen(tok->label), TOKEN_URI_PATH);
	serial = token_uri_encode((const uint8_t *)tok->serial,
	    strlen(tok->serial), TOKEN_URI_PATH);
	object = token_uri_encode((const uint8_t *)key->label,
	    strlen(key->label), TOKEN_URI_PATH);
	id = token_uri_encode(key->id, key->id_len, TOKEN_URI_ALL);
	if (label == NULL || serial == NULL || object == NULL || id == NULL)
		goto out;
	if (asprintf(&uri, "pkcs11:token=%s;serial=%s%s%s%s%s;type=private",
		label, serial, object[0] != '\0' ? ";object=" : "", object,
		id[0] != '\0' ? ";id=" : "", id) == -1)
		uri = NULL;
out:
	free(label);
	free(serial);
	free(object);
	free(id);
	return uri;
}

char *
signet_key_uri(const struct signet_key *key)
{
	return signet_token_key_uri(key->tok, &key->info);
}

struct list_req {
	struct signet_key_info *keys;
	size_t n;
};

static int
list_fn(struct signet_token *tok, CK_SESSION_HANDLE s, unsigned long gen,
    void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	struct list_req *req = arg;
	struct token_key_ref none;
	CK_OBJECT_HANDLE *found = NULL;
	CK_KEY_TYPE kt;
	size_t n = 0, max = 1024, i;

	memset(&none, 0, sizeof(none));
	if ((found = calloc(max, sizeof(*found))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = token_objects_find(tok, s, CKO_PRIVATE_KEY, &none, found, max,
		 &n)) != 0)
		goto out;
	if (n > max)
		n = max;
	free(req->keys);
	req->n = 0;
	if ((req->keys = calloc(n + 1, sizeof(*req->keys))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = token_key_read_info(tok, s, found[i],
			 &req->keys[req->n], &kt)) != 0)
			goto out;
		req->n++;
	}
	r = 0;
out:
	free(found);
	return r;
}

int
signet_key_list(struct signet_token *tok, signet_key_list_cb cb, void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	struct list_req req = { NULL, 0 };
	size_t i;

	if ((r = token_with_session(tok, list_fn, &req)) != 0)
		goto out;
	/* Outside the token's locks: cb may call back into the token. */
	for (i = 0; i < req.n; i++)
		if ((r = cb(arg, &req.keys[i])) != 0)
			goto out;
	r = 0;
out:
	free(req.keys);
	return r;
}
