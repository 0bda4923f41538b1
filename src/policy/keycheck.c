/*
 * Subject public keys: the algorithm and size a profile allows, and the
 * known ways RSA moduli come out weak (BR 6.1.1.3): small factors, the
 * Infineon ROCA structure, primes close enough for Fermat's method.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "policy/policy_int.h"
#include "util/der.h"
#include "util/pkey.h"

/* Trial division bound, ROCA prime bound, Fermat rounds. */
#define KEY_SMALL_PRIME_LIMIT 16384
#define KEY_ROCA_PRIME_LIMIT 701
#define KEY_FERMAT_ROUNDS 256
/* No modulus larger than this gets the arithmetic tests (or a certificate). */
#define KEY_RSA_BITS_LIMIT 16384

/* "ec-p256, rsa-2048..4096": the key types profile p allows. */
static void
keys_format(const struct signet_profile *p, char *out, size_t outsz)
{
	static const struct {
		unsigned bit;
		const char *name;
	} curves[] = { { SIGNET_CURVE_P256, "ec-p256" },
		{ SIGNET_CURVE_P384, "ec-p384" },
		{ SIGNET_CURVE_P521, "ec-p521" } };
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i <= sizeof(curves) / sizeof(curves[0]); i++) {
		/* Stop at the first that does not fit: used stays < outsz. */
		if (i < sizeof(curves) / sizeof(curves[0])) {
			if (!(p->curves & curves[i].bit))
				continue;
			n = snprintf(out + used, outsz - used, "%s%s",
			    used > 0 ? ", " : "", curves[i].name);
		} else if (p->rsa_min_bits != 0)
			n = snprintf(out + used, outsz - used, "%srsa-%u..%u",
			    used > 0 ? ", " : "", p->rsa_min_bits,
			    p->rsa_max_bits);
		else
			break;
		if (n < 0 || (size_t)n >= outsz - used)
			break;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(out, outsz, "none");
}

/* ---- RSA modulus ----------------------------------------------------------- */

/* Odd primes below KEY_SMALL_PRIME_LIMIT, sieved once per process. */
static unsigned small_primes[KEY_SMALL_PRIME_LIMIT / 2];
static size_t n_small_primes;
static pthread_once_t small_primes_once = PTHREAD_ONCE_INIT;

static void
small_primes_sieve(void)
{
	static unsigned char composite[KEY_SMALL_PRIME_LIMIT];
	unsigned i, j;

	for (i = 3; i < KEY_SMALL_PRIME_LIMIT; i += 2) {
		if (composite[i])
			continue;
		small_primes[n_small_primes++] = i;
		for (j = i * i; j < KEY_SMALL_PRIME_LIMIT; j += 2 * i)
			composite[j] = 1;
	}
}

/*
 * ROCA (Nemec et al., CCS 2017): Infineon primes have the form
 * k * M + (65537^a mod M), with M the product of the first primes, so for
 * every small prime r dividing M the modulus mod r lies in the subgroup
 * of (Z/rZ)* that 65537 generates. Testing the primes up to 701 (which
 * divide M for every key size from 1984 bits up) leaves a chance of about
 * 2^-167 that a sound key is refused.
 */
static int
rsa_roca_fingerprint(const BIGNUM *n, const unsigned *primes, size_t nprimes)
{
	size_t i;

	for (i = 0; i < nprimes && primes[i] <= KEY_ROCA_PRIME_LIMIT; i++) {
		unsigned r = primes[i], g = 65537 % r, x = 1, order = 0;
		BN_ULONG res = BN_mod_word(n, r);
		int member = 0;

		if (res == (BN_ULONG)-1)
			return -1;
		do {
			if (x == res)
				member = 1;
			x = (unsigned)((unsigned long)x * g % r);
			order++;
		} while (x != 1);
		/* 65537 generating the whole group tells nothing. */
		if (order == r - 1)
			continue;
		if (!member)
			return 0;
	}
	return 1;
}

static int
is_residue_square(unsigned long m, unsigned mod)
{
	unsigned k;

	for (k = 0; k < mod; k++)
		if ((unsigned long)k * k % mod == m % mod)
			return 1;
	return 0;
}

/* r = floor(sqrt(x)) by Newton's method. */
static int
bn_isqrt(BIGNUM *r, const BIGNUM *x, BN_CTX *ctx)
{
	BIGNUM *y, *q;
	int ok = 0;

	if (BN_is_zero(x)) {
		BN_zero(r);
		return 1;
	}
	BN_CTX_start(ctx);
	y = BN_CTX_get(ctx);
	q = BN_CTX_get(ctx);
	/* Start above the root; each step then decreases until it stops. */
	if (q == NULL || !BN_set_word(r, 0) ||
	    !BN_set_bit(r, (BN_num_bits(x) + 2) / 2))
		goto out;
	for (;;) {
		if (!BN_div(q, NULL, x, r, ctx) || !BN_add(y, r, q) ||
		    !BN_rshift1(y, y))
			goto out;
		if (BN_cmp(y, r) >= 0)
			break;
		if (!BN_copy(r, y))
			goto out;
	}
	ok = 1;
out:
	BN_CTX_end(ctx);
	return ok;
}

static int
bn_is_square(const BIGNUM *x, BN_CTX *ctx, int *out)
{
	BIGNUM *s, *s2;
	BN_ULONG m;
	int ok = 0;

	*out = 0;
	/* Squares mod 64, 63, 65 and 11 weed out almost every non-square. */
	if ((m = BN_mod_word(x, 64UL * 63 * 65 * 11)) == (BN_ULONG)-1)
		return 0;
	if (!is_residue_square(m, 64) || !is_residue_square(m, 63) ||
	    !is_residue_square(m, 65) || !is_residue_square(m, 11))
		return 1;
	BN_CTX_start(ctx);
	s = BN_CTX_get(ctx);
	s2 = BN_CTX_get(ctx);
	if (s2 == NULL || !bn_isqrt(s, x, ctx) || !BN_sqr(s2, s, ctx))
		goto out;
	*out = BN_cmp(s2, x) == 0;
	ok = 1;
out:
	BN_CTX_end(ctx);
	return ok;
}

/*
 * Fermat: n = a^2 - b^2 = (a - b)(a + b), starting from a = ceil(sqrt(n)).
 * Primes that share their top half of bits are found in the first rounds.
 */
static int
rsa_fermat_close(const BIGNUM *n, int *out)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *a, *b2;
	int ok = 0, square;
	unsigned i;

	*out = 0;
	if (ctx == NULL)
		return 0;
	BN_CTX_start(ctx);
	a = BN_CTX_get(ctx);
	b2 = BN_CTX_get(ctx);
	if (b2 == NULL || !bn_isqrt(a, n, ctx) || !BN_sqr(b2, a, ctx))
		goto out;
	if (BN_cmp(b2, n) < 0 && (!BN_add_word(a, 1) || !BN_sqr(b2, a, ctx)))
		goto out;
	if (!BN_sub(b2, b2, n))
		goto out;
	for (i = 0; i < KEY_FERMAT_ROUNDS; i++) {
		if (!bn_is_square(b2, ctx, &square))
			goto out;
		if (square) {
			*out = 1;
			break;
		}
		/* (a + 1)^2 - n = a^2 - n + 2a + 1 */
		if (!BN_add(b2, b2, a) || !BN_add(b2, b2, a) ||
		    !BN_add_word(b2, 1) || !BN_add_word(a, 1))
			goto out;
	}
	ok = 1;
out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return ok;
}

const char *
policy_rsa_modulus_weakness(const BIGNUM *n, int *internal_error)
{
	static _Thread_local char reason[96];
	size_t i;
	int close, roca;

	*internal_error = 0;
	if (!BN_is_odd(n) || BN_is_negative(n))
		return "the modulus is even";
	if (pthread_once(&small_primes_once, small_primes_sieve) != 0)
		goto internal;
	for (i = 0; i < n_small_primes; i++) {
		BN_ULONG r = BN_mod_word(n, small_primes[i]);

		if (r == (BN_ULONG)-1)
			goto internal;
		if (r == 0) {
			snprintf(reason, sizeof(reason),
			    "the modulus has the small factor %u",
			    small_primes[i]);
			return reason;
		}
	}
	roca = rsa_roca_fingerprint(n, small_primes, n_small_primes);
	if (roca < 0)
		goto internal;
	if (roca)
		return "the modulus has the ROCA fingerprint of a weak "
		       "Infineon key (CVE-2017-15361)";
	if (!rsa_fermat_close(n, &close))
		goto internal;
	if (close)
		return "the prime factors are so close that Fermat's method "
		       "factors the modulus";
	return NULL;
internal:
	*internal_error = 1;
	return NULL;
}

/*
 * Public keys are built from their numbers (util/pkey.h), not decoded by
 * d2i: OpenSSL 3 sets up its provider decoders for every key it decodes,
 * under global locks, which costs more than checking the CSR's
 * signature. The numbers come from signet's strict DER reader.
 */

/* A positive INTEGER's magnitude (DER: minimal, no sign bit set). */
static BIGNUM *
der_positive(struct der_cur *c)
{
	struct der_elem e;
	const char *why;

	if (der_expect(c, 0x02, &e, &why) != 0 || e.len == 0 ||
	    (e.body[0] & 0x80) ||
	    (e.len > 1 && e.body[0] == 0 && !(e.body[1] & 0x80)))
		return NULL;
	return BN_bin2bn(e.body, (int)e.len, NULL);
}

/* RSAPublicKey (RFC 8017 A.1.1) as the subjectPublicKey bits hold it. */
static EVP_PKEY *
rsa_key_decode(const unsigned char *pk, int pklen)
{
	struct der_cur c;
	struct der_elem seq;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;
	const char *why;

	der_cur_init(&c, pk, (size_t)pklen);
	if (der_expect(&c, 0x30, &seq, &why) != 0 || !der_cur_done(&c) ||
	    seq.long_len)
		goto out;
	der_cur_init(&c, seq.body, seq.len);
	if ((n = der_positive(&c)) == NULL || (e = der_positive(&c)) == NULL ||
	    !der_cur_done(&c) || BN_is_zero(n) || BN_is_zero(e))
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	pkey = pkey_from_params("RSA", params, EVP_PKEY_PUBLIC_KEY);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static int
rsa_check(const struct signet_profile *profile, const X509_ALGOR *alg,
    const unsigned char *pk, int pklen, struct policy_problems *pr,
    EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;
	const char *weak;
	char allowed[128];
	int ptype, bits, internal;

	X509_ALGOR_get0(NULL, &ptype, NULL, alg);
	if (ptype != V_ASN1_NULL) {
		policy_problem(pr,
		    "the RSA public key's algorithm parameters are not NULL "
		    "(RFC 3279 2.3.1)");
		r = 0;
		goto out;
	}
	if ((pkey = rsa_key_decode(pk, pklen)) == NULL) {
		ERR_clear_error();
		policy_problem(pr, "the RSA public key does not decode");
		r = 0;
		goto out;
	}
	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot read the RSA public key");
		goto out;
	}
	bits = BN_num_bits(n);
	keys_format(profile, allowed, sizeof(allowed));
	if (bits < 2048)
		policy_problem(pr,
		    "RSA key of %d bits is too small (at least 2048, BR "
		    "6.1.5)",
		    bits);
	else if (bits % 8 != 0)
		policy_problem(pr,
		    "RSA modulus of %d bits is not a multiple of 8 (BR "
		    "6.1.5)",
		    bits);
	else if (profile->rsa_min_bits == 0 ||
		 (unsigned)bits < profile->rsa_min_bits ||
		 (unsigned)bits > profile->rsa_max_bits)
		policy_problem(pr,
		    "key type rsa-%d is not allowed by profile %s (allowed: "
		    "%s)",
		    bits, profile->name, allowed);
	if (!BN_is_word(e, 65537)) {
		char *dec = BN_bn2dec(e);

		policy_problem(pr, "RSA public exponent %s is not 65537",
		    dec != NULL && strlen(dec) < 40 ? dec : "(large)");
		OPENSSL_free(dec);
	}
	if (bits >= 2048 && bits <= KEY_RSA_BITS_LIMIT) {
		weak = policy_rsa_modulus_weakness(n, &internal);
		if (internal) {
			r = signet_error_ossl(SIGNET_ERR_CRYPTO,
			    "cannot test the RSA modulus");
			goto out;
		}
		if (weak != NULL)
			policy_problem(pr, "the RSA key is weak: %s", weak);
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
out:
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pkey);
	return r;
}

static int
ec_check(const struct signet_profile *profile, const X509_ALGOR *alg,
    const unsigned char *pk, int pklen, struct policy_problems *pr,
    EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	const ASN1_OBJECT *curve;
	const void *pval;
	char allowed[128], name[80];
	const char *type, *group;
	unsigned bit;
	int ptype, nid, flen;

	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype == V_ASN1_SEQUENCE) {
		policy_problem(pr,
		    "the EC public key has explicit curve parameters; only "
		    "named curves are accepted (RFC 5480 2.1.1)");
		return 0;
	}
	if (ptype != V_ASN1_OBJECT) {
		policy_problem(pr, "the EC public key names no curve");
		return 0;
	}
	curve = pval;
	switch ((nid = OBJ_obj2nid(curve))) {
	case NID_X9_62_prime256v1:
		bit = SIGNET_CURVE_P256, flen = 32, type = "ec-p256";
		group = "prime256v1";
		break;
	case NID_secp384r1:
		bit = SIGNET_CURVE_P384, flen = 48, type = "ec-p384";
		group = "secp384r1";
		break;
	case NID_secp521r1:
		bit = SIGNET_CURVE_P521, flen = 66, type = "ec-p521";
		group = "secp521r1";
		break;
	default:
		if (nid != NID_undef)
			snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(name, sizeof(name), curve, 1) <= 0)
			snprintf(name, sizeof(name), "(unreadable)");
		policy_problem(pr,
		    "EC curve %s is not accepted (only P-256, P-384 and "
		    "P-521, BR 6.1.5)",
		    name);
		return 0;
	}
	keys_format(profile, allowed, sizeof(allowed));
	if (!(profile->curves & bit))
		policy_problem(pr,
		    "key type %s is not allowed by profile %s (allowed: %s)",
		    type, profile->name, allowed);
	if (pklen != 1 + 2 * flen || pk[0] != 0x04) {
		policy_problem(pr,
		    "the EC public key is not an uncompressed point on its "
		    "curve");
		return 0;
	}
	if ((pkey = pkey_ec_from_point(group, pk, (size_t)pklen)) == NULL) {
		ERR_clear_error();
		policy_problem(pr, "the EC public key is not a point on %s",
		    type);
		r = 0;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot check the EC public key");
		goto out;
	}
	/*
	 * P-256, P-384 and P-521 have cofactor 1: a point on the curve
	 * that is not the point at infinity has order n, so the partial
	 * check (SP 800-56A rev. 3, 5.6.2.3.4) is the full validation, and
	 * spares the scalar multiplication EVP_PKEY_public_check adds.
	 */
	if (EVP_PKEY_public_check_quick(ctx) != 1) {
		ERR_clear_error();
		policy_problem(pr,
		    "the EC public key is not a valid point on "
		    "%s",
		    type);
		r = 0;
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}

int
policy_key_check(const struct signet_profile *profile, X509_PUBKEY *spki,
    struct policy_problems *pr, EVP_PKEY **out)
{
	ASN1_OBJECT *alg_obj = NULL;
	const unsigned char *pk = NULL;
	X509_ALGOR *alg = NULL;
	char name[80];
	int pklen = 0;

	*out = NULL;
	if (!X509_PUBKEY_get0_param(&alg_obj, &pk, &pklen, &alg, spki) ||
	    alg == NULL || pk == NULL) {
		policy_problem(pr, "the public key is unreadable");
		return 0;
	}
	switch (OBJ_obj2nid(alg_obj)) {
	case NID_X9_62_id_ecPublicKey:
		return ec_check(profile, alg, pk, pklen, pr, out);
	case NID_rsaEncryption:
		return rsa_check(profile, alg, pk, pklen, pr, out);
	case NID_rsassaPss:
		policy_problem(pr,
		    "RSASSA-PSS-only public keys are not accepted; use an "
		    "rsaEncryption key (it can still sign with PSS)");
		return 0;
	default:
		if (OBJ_obj2txt(name, sizeof(name), alg_obj, 0) <= 0)
			snprintf(name, sizeof(name), "(unreadable)");
		policy_problem(pr,
		    "public key algorithm %s is not accepted (only EC and "
		    "RSA)",
		    name);
		return 0;
	}
}
