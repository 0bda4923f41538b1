/*
 * A quorum's shares of a token's user PIN: split with Shamir's scheme
 * (libgfshare, GF(2^8)), each sealed in a file under its custodian's
 * passphrase (scrypt, AES-256-GCM), and combined again only after every
 * check that needs no token: the split, the list of shares every file
 * carries, each share's fingerprint, duplicates, the threshold, and the
 * PIN's check value. A share that fails any of them never costs the
 * token a PIN try.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libgfshare.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/secret.h"

#define SHARE_FORMAT "signet-quorum-share/1"
#define SHARE_SALT_LEN 16
#define SHARE_NONCE_LEN 12
#define SHARE_TAG_LEN 16
#define SHARE_KEY_LEN 32
/* scrypt: 128 MiB and a fraction of a second per share (RFC 7914). */
#define SHARE_SCRYPT_N ((uint64_t)1 << 17)
#define SHARE_SCRYPT_R 8
#define SHARE_SCRYPT_P 1
/* What a share file may ask for: 512 MiB (128 r N bytes), p <= 4. */
#define SHARE_SCRYPT_N_MAX ((uint64_t)1 << 20)
#define SHARE_SCRYPT_MAXMEM ((uint64_t)512 * 1024 * 1024)

/*
 * The scrypt cost written into new share files. Test builds may lower it
 * (SIGNET_TEST_SCRYPT_LOG2N, 10 to 20) so that suites opening dozens of
 * shares stay quick; files record their cost, so any file opens anywhere.
 */
static uint64_t
share_scrypt_n(void)
{
#ifdef SIGNET_TEST_HOOKS
	const char *v = getenv("SIGNET_TEST_SCRYPT_LOG2N");
	long k = v != NULL ? strtol(v, NULL, 10) : 0;

	if (k >= 10 && k <= 20)
		return (uint64_t)1 << k;
#endif
	return SHARE_SCRYPT_N;
}

/* ---- Randomness for libgfshare's coefficients ----------------------------- */

static int share_rand_failed;

static void
share_rand(unsigned char *buf, unsigned int len)
{
	if (RAND_priv_bytes(buf, (int)len) != 1)
		share_rand_failed = 1;
}

/* ---- Digests ----------------------------------------------------------------
 */

/* What a share is known by: it commits to the split, its number and value. */
int
cer_share_fingerprint(const char *split_id, unsigned id, const uint8_t *value,
    size_t len, char out[65])
{
	char hex[2 * CER_QUORUM_PIN_LEN + 1], *text = NULL;
	int r;

	hex_encode(value, len, hex);
	if (asprintf(&text, "signet-quorum-share/1\n%s\n%u\n%s\n", split_id, id,
		hex) == -1)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	r = sha256_hex(text, strlen(text), out);
	secret_wipe(hex, sizeof(hex));
	secret_wipe(text, strlen(text));
	free(text);
	return r;
}

/*
 * The PIN's check value: lets signet know a rebuilt PIN is the one that
 * was split before it tries it. The PIN has 128 random bits, so the hash
 * gives nothing away.
 */
static int
share_pin_check(const char *split_id, const char *pin, size_t len, char out[65])
{
	char buf[64 + CER_QUORUM_PIN_LEN + 1];
	int n, r;

	n = snprintf(buf, sizeof(buf), "signet-quorum-pin/1\n%s\n%.*s",
	    split_id, (int)len, pin);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return signet_error_set(SIGNET_ERR_INTERNAL, "PIN too long");
	r = sha256_hex(buf, (size_t)n, out);
	secret_wipe(buf, sizeof(buf));
	return r;
}

/* The split's digest: everything every share of it must agree on. */
static int
split_digest(const struct cer_split *sp, char out[65])
{
	struct cer_text t = { 0 };
	unsigned i;
	int r;

	cer_text_add(&t, "signet-quorum-split/1\n%s\n%s\n%u\n%u\n%s\n%s\n%s\n",
	    sp->id, sp->created, sp->threshold, sp->count, sp->token_label,
	    sp->token_serial, sp->pin_check);
	for (i = 0; i < sp->count; i++)
		cer_text_add(&t, "%u %s %s\n", sp->members[i].id,
		    sp->members[i].fingerprint, sp->members[i].name);
	if (t.failed)
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	else
		r = sha256_hex(t.s, t.len, out);
	cer_text_free(&t);
	return r;
}

/* ---- Splitting --------------------------------------------------------------
 */

void
cer_share_free(struct cer_share *sh)
{
	if (sh == NULL)
		return;
	secret_free(sh->value);
	free(sh);
}

const char *
cer_share_custodian(const struct cer_share *sh)
{
	return sh->split.members[sh->id - 1].name;
}

int
cer_split_make(int (*rng)(void *, uint8_t *, size_t), void *rng_arg, unsigned m,
    unsigned n, const char *const *names, const char *token_label,
    const char *token_serial, struct signet_secret **pin_out,
    struct cer_share **shares)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t raw[CER_QUORUM_PIN_LEN / 2], id[16];
	uint8_t sharenrs[CER_QUORUM_MAX], value[CER_QUORUM_PIN_LEN];
	char hexpin[CER_QUORUM_PIN_LEN + 1];
	struct signet_secret *pin = NULL;
	struct cer_split sp;
	gfshare_ctx *g = NULL;
	unsigned i, j;

	*pin_out = NULL;
	memset(&sp, 0, sizeof(sp));
	for (i = 0; i < n && i < CER_QUORUM_MAX; i++)
		shares[i] = NULL;
	if (m < 2 || m > n || n > CER_QUORUM_MAX)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "a quorum is M of N shares with 2 <= M <= N <= %d, not %u "
		    "of %u",
		    CER_QUORUM_MAX, m, n);
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return signet_error_set(SIGNET_ERR_CONFIG,
				    "custodian '%s' is named twice; each "
				    "share goes to another person",
				    names[i]);
	/* The PIN comes from the token's own generator, in hex for any token. */
	if ((r = rng(rng_arg, raw, sizeof(raw))) != 0 ||
	    (r = rng(rng_arg, id, sizeof(id))) != 0)
		goto out;
	hex_encode(raw, sizeof(raw), hexpin);
	if ((r = secret_from_bytes(hexpin, CER_QUORUM_PIN_LEN, &pin)) != 0)
		goto out;
	hex_encode(id, sizeof(id), sp.id);
	time_format(time(NULL), sp.created);
	sp.threshold = m;
	sp.count = n;
	snprintf(sp.token_label, sizeof(sp.token_label), "%s", token_label);
	snprintf(sp.token_serial, sizeof(sp.token_serial), "%s", token_serial);
	if ((r = share_pin_check(sp.id, hexpin, CER_QUORUM_PIN_LEN,
		 sp.pin_check)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		sharenrs[i] = (uint8_t)(i + 1);
	gfshare_fill_rand = share_rand;
	share_rand_failed = 0;
	if ((g = gfshare_ctx_init_enc(sharenrs, n, (unsigned char)m,
		 CER_QUORUM_PIN_LEN)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	gfshare_ctx_enc_setsecret(g, (unsigned char *)hexpin);
	for (i = 0; i < n; i++) {
		if ((shares[i] = calloc(1, sizeof(*shares[i]))) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		gfshare_ctx_enc_getshare(g, (unsigned char)i, value);
		shares[i]->id = i + 1;
		if ((r = secret_from_bytes(value, sizeof(value),
			 &shares[i]->value)) != 0 ||
		    (r = cer_share_fingerprint(sp.id, i + 1, value,
			 sizeof(value), shares[i]->fingerprint)) != 0)
			goto out;
		sp.members[i].id = i + 1;
		snprintf(sp.members[i].name, sizeof(sp.members[i].name), "%s",
		    names[i]);
		memcpy(sp.members[i].fingerprint, shares[i]->fingerprint, 65);
	}
	if (share_rand_failed) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "no random bytes for the shares");
		goto out;
	}
	if ((r = split_digest(&sp, sp.digest)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		shares[i]->split = sp;
	*pin_out = pin;
	pin = NULL;
	r = 0;
out:
	if (g != NULL)
		gfshare_ctx_free(g);
	secret_wipe(raw, sizeof(raw));
	secret_wipe(value, sizeof(value));
	secret_wipe(hexpin, sizeof(hexpin));
	secret_free(pin);
	if (r != 0)
		for (i = 0; i < n; i++) {
			cer_share_free(shares[i]);
			shares[i] = NULL;
		}
	return r;
}

/* ---- Sealing
 * ------------------------------------------------------------------ */

/* Everything in a share file but the sealed value: also the AEAD's AAD. */
static json_t *
share_header(const struct cer_share *sh, const char *salt, uint64_t n,
    unsigned r, unsigned p, const char *nonce)
{
	const struct cer_split *sp = &sh->split;
	json_t *root, *o, *a, *m;
	unsigned i;

	if ((root = json_object()) == NULL)
		return NULL;
	json_object_set_new(root, "format", json_string(SHARE_FORMAT));
	json_object_set_new(root, "custodian",
	    json_string(cer_share_custodian(sh)));
	json_object_set_new(root, "share_id", json_integer(sh->id));
	json_object_set_new(root, "fingerprint", json_string(sh->fingerprint));
	o = json_object();
	json_object_set_new(o, "id", json_string(sp->id));
	json_object_set_new(o, "created", json_string(sp->created));
	json_object_set_new(o, "threshold", json_integer(sp->threshold));
	json_object_set_new(o, "shares", json_integer(sp->count));
	json_object_set_new(o, "token_label", json_string(sp->token_label));
	json_object_set_new(o, "token_serial", json_string(sp->token_serial));
	json_object_set_new(o, "pin_check", json_string(sp->pin_check));
	a = json_array();
	for (i = 0; i < sp->count; i++) {
		m = json_object();
		json_object_set_new(m, "share_id",
		    json_integer(sp->members[i].id));
		json_object_set_new(m, "custodian",
		    json_string(sp->members[i].name));
		json_object_set_new(m, "fingerprint",
		    json_string(sp->members[i].fingerprint));
		json_array_append_new(a, m);
	}
	json_object_set_new(o, "custodians", a);
	json_object_set_new(o, "digest", json_string(sp->digest));
	json_object_set_new(root, "split", o);
	o = json_object();
	json_object_set_new(o, "kdf", json_string("scrypt"));
	json_object_set_new(o, "salt", json_string(salt));
	json_object_set_new(o, "n", json_integer((json_int_t)n));
	json_object_set_new(o, "r", json_integer(r));
	json_object_set_new(o, "p", json_integer(p));
	json_object_set_new(o, "cipher", json_string("aes-256-gcm"));
	json_object_set_new(o, "nonce", json_string(nonce));
	json_object_set_new(root, "encryption", o);
	return root;
}

static int
share_key(const char *pass, size_t plen, const uint8_t *salt, uint64_t n,
    unsigned r, unsigned p, uint8_t key[SHARE_KEY_LEN])
{
	if (EVP_PBE_scrypt(pass, plen, salt, SHARE_SALT_LEN, n, r, p,
		SHARE_SCRYPT_MAXMEM, key, SHARE_KEY_LEN) != 1)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "deriving a key from the passphrase (scrypt)");
	return 0;
}

/* AES-256-GCM either way; enc 0 fails (VERIFY) on a wrong key or tag. */
static int
share_gcm(int enc, const uint8_t key[SHARE_KEY_LEN], const uint8_t *nonce,
    const char *aad, size_t aad_len, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t tag[SHARE_TAG_LEN])
{
	int r = SIGNET_ERR_INTERNAL, outl = 0, finl = 0;
	EVP_CIPHER_CTX *x = NULL;

	if ((x = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) !=
		1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, SHARE_NONCE_LEN,
		NULL) != 1 ||
	    EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(x, NULL, &outl, (const unsigned char *)aad,
		(int)aad_len) != 1 ||
	    EVP_CipherUpdate(x, out, &outl, in, (int)len) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, SHARE_TAG_LEN,
			 tag) != 1)) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "AES-256-GCM");
		goto out;
	}
	if (EVP_CipherFinal_ex(x, out + outl, &finl) != 1) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "authentication failed");
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, SHARE_TAG_LEN,
		       tag) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "AES-256-GCM tag");
		goto out;
	}
	r = 0;
out:
	EVP_CIPHER_CTX_free(x);
	return r;
}

int
cer_share_seal(const struct cer_share *sh, const char *pass, size_t plen,
    uint8_t **out, size_t *outlen)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t salt[SHARE_SALT_LEN], nonce[SHARE_NONCE_LEN],
	    key[SHARE_KEY_LEN];
	uint8_t ct[CER_QUORUM_PIN_LEN], tag[SHARE_TAG_LEN];
	char salt_hex[2 * SHARE_SALT_LEN + 1],
	    nonce_hex[2 * SHARE_NONCE_LEN + 1];
	char ct_hex[2 * CER_QUORUM_PIN_LEN + 1], tag_hex[2 * SHARE_TAG_LEN + 1];
	char *aad = NULL, *text = NULL;
	const char *value;
	json_t *root = NULL;
	size_t aad_len = 0, vlen = 0, tlen = 0;

	*out = NULL;
	*outlen = 0;
	if (plen < CER_PASSPHRASE_MIN) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "the passphrase of custodian '%s' is shorter than %d "
		    "characters",
		    cer_share_custodian(sh), CER_PASSPHRASE_MIN);
		goto out;
	}
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    RAND_bytes(nonce, sizeof(nonce)) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "no random bytes");
		goto out;
	}
	hex_encode(salt, sizeof(salt), salt_hex);
	hex_encode(nonce, sizeof(nonce), nonce_hex);
	value = secret_get0(sh->value, &vlen);
	if (vlen != CER_QUORUM_PIN_LEN) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "share size");
		goto out;
	}
	if ((root = share_header(sh, salt_hex, share_scrypt_n(), SHARE_SCRYPT_R,
		 SHARE_SCRYPT_P, nonce_hex)) == NULL ||
	    (aad = cer_json_canonical(root, &aad_len)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = share_key(pass, plen, salt, share_scrypt_n(), SHARE_SCRYPT_R,
		 SHARE_SCRYPT_P, key)) != 0 ||
	    (r = share_gcm(1, key, nonce, aad, aad_len, (const uint8_t *)value,
		 vlen, ct, tag)) != 0)
		goto out;
	hex_encode(ct, sizeof(ct), ct_hex);
	hex_encode(tag, sizeof(tag), tag_hex);
	json_object_set_new(root, "ciphertext", json_string(ct_hex));
	json_object_set_new(root, "tag", json_string(tag_hex));
	if ((text = cer_json_canonical(root, &tlen)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	*out = (uint8_t *)text;
	*outlen = tlen;
	text = NULL;
	r = 0;
out:
	secret_wipe(key, sizeof(key));
	json_decref(root);
	free(aad);
	free(text);
	return r;
}

/* ---- Opening -------------------------------------------------------------- */

struct share_fields {
	const char *salt, *nonce, *ct, *tag;
	json_int_t n, r, p;
};

static const char *
jstring(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A string of exactly len characters (0: any length up to max). */
static int
copy_field(const json_t *o, const char *key, char *dst, size_t dstsz,
    size_t len)
{
	const char *v = jstring(o, key);

	if (v == NULL || strlen(v) >= dstsz || (len > 0 && strlen(v) != len))
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* The share file's fields, strictly: nothing missing, nothing more. */
static int
share_parse(const json_t *root, const char *what, struct cer_share *sh,
    struct share_fields *f)
{
	struct cer_split *sp = &sh->split;
	const json_t *o, *e, *a, *m;
	json_int_t v;
	size_t i;

	o = json_object_get(root, "split");
	e = json_object_get(root, "encryption");
	a = json_object_get(o, "custodians");
	if (json_object_size(root) != 8 ||
	    strcmp(jstring(root, "format") != NULL ? jstring(root, "format")
						   : "",
		SHARE_FORMAT) != 0 ||
	    !json_is_object(o) || json_object_size(o) != 9 ||
	    !json_is_object(e) || json_object_size(e) != 7 || !json_is_array(a))
		goto bad;
	v = json_integer_value(json_object_get(root, "share_id"));
	sp->threshold =
	    (unsigned)json_integer_value(json_object_get(o, "threshold"));
	sp->count = (unsigned)json_integer_value(json_object_get(o, "shares"));
	if (sp->count < 2 || sp->count > CER_QUORUM_MAX || sp->threshold < 2 ||
	    sp->threshold > sp->count || v < 1 || v > (json_int_t)sp->count ||
	    json_array_size(a) != sp->count)
		goto bad;
	sh->id = (unsigned)v;
	if (copy_field(root, "fingerprint", sh->fingerprint, 65, 64) != 0 ||
	    copy_field(o, "id", sp->id, sizeof(sp->id), 32) != 0 ||
	    copy_field(o, "created", sp->created, sizeof(sp->created), 20) !=
		0 ||
	    copy_field(o, "token_label", sp->token_label,
		sizeof(sp->token_label), 0) != 0 ||
	    copy_field(o, "token_serial", sp->token_serial,
		sizeof(sp->token_serial), 0) != 0 ||
	    copy_field(o, "pin_check", sp->pin_check, 65, 64) != 0 ||
	    copy_field(o, "digest", sp->digest, 65, 64) != 0)
		goto bad;
	for (i = 0; i < sp->count; i++) {
		m = json_array_get(a, i);
		if (json_object_size(m) != 3 ||
		    json_integer_value(json_object_get(m, "share_id")) !=
			(json_int_t)i + 1 ||
		    copy_field(m, "custodian", sp->members[i].name,
			sizeof(sp->members[i].name), 0) != 0 ||
		    sp->members[i].name[0] == '\0' ||
		    copy_field(m, "fingerprint", sp->members[i].fingerprint, 65,
			64) != 0)
			goto bad;
		sp->members[i].id = (unsigned)(i + 1);
	}
	if (jstring(root, "custodian") == NULL ||
	    strcmp(jstring(root, "custodian"), sp->members[sh->id - 1].name) !=
		0)
		goto bad;
	f->salt = jstring(e, "salt");
	f->nonce = jstring(e, "nonce");
	f->ct = jstring(root, "ciphertext");
	f->tag = jstring(root, "tag");
	f->n = json_integer_value(json_object_get(e, "n"));
	f->r = json_integer_value(json_object_get(e, "r"));
	f->p = json_integer_value(json_object_get(e, "p"));
	if (f->salt == NULL || f->nonce == NULL || f->ct == NULL ||
	    f->tag == NULL ||
	    strcmp(jstring(e, "kdf") != NULL ? jstring(e, "kdf") : "",
		"scrypt") != 0 ||
	    strcmp(jstring(e, "cipher") != NULL ? jstring(e, "cipher") : "",
		"aes-256-gcm") != 0 ||
	    f->n < 1024 || (uint64_t)f->n > SHARE_SCRYPT_N_MAX ||
	    (f->n & (f->n - 1)) != 0 || f->r < 1 || f->r > 32 || f->p < 1 ||
	    f->p > 4 ||
	    (uint64_t)128 * (uint64_t)f->r * (uint64_t)f->n >
		SHARE_SCRYPT_MAXMEM)
		goto bad;
	return 0;
bad:
	return signet_error_set(SIGNET_ERR_VERIFY,
	    "%s is not a signet quorum share file (or it was edited): a "
	    "field is missing, extra or out of range",
	    what);
}

int
cer_share_open(const uint8_t *data, size_t len, const char *what,
    const char *pass, size_t plen, struct cer_share **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct cer_share *sh = NULL;
	struct share_fields f = { 0 };
	json_t *root = NULL, *hdr = NULL;
	json_error_t jerr;
	uint8_t salt[SHARE_SALT_LEN], nonce[SHARE_NONCE_LEN],
	    key[SHARE_KEY_LEN];
	uint8_t ct[CER_QUORUM_PIN_LEN], tag[SHARE_TAG_LEN];
	uint8_t value[CER_QUORUM_PIN_LEN];
	char *aad = NULL, fp[65], digest[65];
	size_t aad_len = 0, l = 0;

	*out = NULL;
	if ((sh = calloc(1, sizeof(*sh))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES,
		 &jerr)) == NULL ||
	    !json_is_object(root)) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "%s is not a signet quorum share file (not JSON)", what);
		goto out;
	}
	if ((r = share_parse(root, what, sh, &f)) != 0)
		goto out;
	if (hex_decode(f.salt, salt, sizeof(salt), &l) != 0 ||
	    l != sizeof(salt) ||
	    hex_decode(f.nonce, nonce, sizeof(nonce), &l) != 0 ||
	    l != sizeof(nonce) || hex_decode(f.ct, ct, sizeof(ct), &l) != 0 ||
	    l != sizeof(ct) || hex_decode(f.tag, tag, sizeof(tag), &l) != 0 ||
	    l != sizeof(tag)) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "%s is not a signet quorum share file: bad hex", what);
		goto out;
	}
	/* The AAD is rebuilt from what was parsed: every field is covered. */
	if ((hdr = share_header(sh, f.salt, (uint64_t)f.n, (unsigned)f.r,
		 (unsigned)f.p, f.nonce)) == NULL ||
	    (aad = cer_json_canonical(hdr, &aad_len)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = share_key(pass, plen, salt, (uint64_t)f.n, (unsigned)f.r,
		 (unsigned)f.p, key)) != 0)
		goto out;
	if (share_gcm(0, key, nonce, aad, aad_len, ct, sizeof(ct), value,
		tag) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "cannot open %s (custodian '%s'): the passphrase is wrong, "
		    "or the file was altered",
		    what, cer_share_custodian(sh));
		goto out;
	}
	if ((r = cer_share_fingerprint(sh->split.id, sh->id, value,
		 sizeof(value), fp)) != 0 ||
	    (r = split_digest(&sh->split, digest)) != 0)
		goto out;
	if (strcmp(fp, sh->fingerprint) != 0 ||
	    strcmp(fp, sh->split.members[sh->id - 1].fingerprint) != 0 ||
	    strcmp(digest, sh->split.digest) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "%s (custodian '%s'): the share does not match its "
		    "fingerprint or its split's list of shares; it was "
		    "altered",
		    what, cer_share_custodian(sh));
		goto out;
	}
	if ((r = secret_from_bytes(value, sizeof(value), &sh->value)) != 0)
		goto out;
	*out = sh;
	sh = NULL;
	r = 0;
out:
	secret_wipe(key, sizeof(key));
	secret_wipe(value, sizeof(value));
	json_decref(root);
	json_decref(hdr);
	free(aad);
	cer_share_free(sh);
	return r;
}

/* ---- Combining --------------------------------------------------------------
 */

int
cer_shares_check(struct cer_share *const *shares, size_t n)
{
	const struct cer_split *sp;
	size_t i, j;

	if (n == 0)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "no custodian's share was given");
	sp = &shares[0]->split;
	for (i = 1; i < n; i++) {
		if (strcmp(shares[i]->split.id, sp->id) != 0)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "the share of '%s' (split %s) and the share of "
			    "'%s' (split %s) come from different splits; all "
			    "shares must come from the token's current split",
			    cer_share_custodian(shares[0]), sp->id,
			    cer_share_custodian(shares[i]),
			    shares[i]->split.id);
		/* Paper carries the digest's first 16 hex digits. */
		if (strncmp(shares[i]->split.digest, sp->digest,
			shares[i]->paper || shares[0]->paper ? 16 : 65) != 0)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "the shares of '%s' and '%s' claim split %s but "
			    "disagree on its list of shares: one of them was "
			    "altered",
			    cer_share_custodian(shares[0]),
			    cer_share_custodian(shares[i]), sp->id);
		for (j = 0; j < i; j++)
			if (shares[j]->id == shares[i]->id)
				return signet_error_set(SIGNET_ERR_VERIFY,
				    "share %u (custodian '%s') was given "
				    "twice; each of the %u custodians "
				    "brings their own",
				    shares[i]->id,
				    cer_share_custodian(shares[i]),
				    sp->threshold);
	}
	if (n < sp->threshold)
		return signet_error_set(SIGNET_ERR_VERIFY,
		    "%zu share%s of split %s given, and it takes %u of %u: "
		    "the token cannot be unlocked",
		    n, n == 1 ? "" : "s", sp->id, sp->threshold, sp->count);
	return 0;
}

const struct cer_share *
cer_shares_ref(struct cer_share *const *shares, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!shares[i]->paper)
			return shares[i];
	return shares[0];
}

int
cer_shares_combine(struct cer_share *const *shares, size_t n,
    struct signet_secret **pin_out)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t sharenrs[CER_QUORUM_MAX];
	uint8_t pin[CER_QUORUM_PIN_LEN];
	const struct cer_share *ref;
	const char *value;
	char check[65];
	gfshare_ctx *g = NULL;
	size_t i, vlen = 0;

	*pin_out = NULL;
	if ((r = cer_shares_check(shares, n)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		sharenrs[i] = (uint8_t)shares[i]->id;
	/* libgfshare scrubs its context with it when freed. */
	gfshare_fill_rand = share_rand;
	if ((g = gfshare_ctx_init_dec(sharenrs, (unsigned)n,
		 CER_QUORUM_PIN_LEN)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		value = secret_get0(shares[i]->value, &vlen);
		if (vlen != CER_QUORUM_PIN_LEN) {
			r = signet_error_set(SIGNET_ERR_INTERNAL, "share size");
			goto out;
		}
		gfshare_ctx_dec_giveshare(g, (unsigned char)i,
		    (unsigned char *)value);
	}
	gfshare_ctx_dec_extract(g, pin);
	if ((r = share_pin_check(shares[0]->split.id, (const char *)pin,
		 sizeof(pin), check)) != 0)
		goto out;
	ref = cer_shares_ref(shares, n);
	if (strlen(ref->split.pin_check) < 16 ||
	    strncmp(check, ref->split.pin_check,
		strlen(ref->split.pin_check)) != 0) {
		r = signet_error_set(SIGNET_ERR_VERIFY,
		    "the shares of split %s do not rebuild the PIN that was "
		    "split (its check value differs): a share was altered; no "
		    "login was tried",
		    shares[0]->split.id);
		goto out;
	}
	r = secret_from_bytes(pin, sizeof(pin), pin_out);
out:
	if (g != NULL)
		gfshare_ctx_free(g);
	secret_wipe(pin, sizeof(pin));
	return r;
}

int
cer_split_marker(const struct cer_split *sp, char *buf, size_t len)
{
	int n = snprintf(buf, len, "signet-quorum/1 split=%s digest=%s", sp->id,
	    sp->digest);

	if (n < 0 || (size_t)n >= len)
		return signet_error_set(SIGNET_ERR_INTERNAL, "marker too long");
	return 0;
}
