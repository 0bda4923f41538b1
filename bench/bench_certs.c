/* Shared by the store benchmarks: see bench_certs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bench_certs.h"
#include "util/codec.h"

struct bench_template tpl;

uint64_t rng_state;

/* splitmix64: fast, good enough to spread serials over the index. */
uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
die(const char *what)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, signet_error_message());
	exit(1);
}

static double
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

double
now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

/* CPU time: what the store itself spends, without waiting for the disk. */
double
cpu_us(void)
{
	return clock_us(CLOCK_PROCESS_CPUTIME_ID);
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL ||
	    !X509_add_ext(x, ext, -1))
		die("extension");
	X509_EXTENSION_free(ext);
}

/*
 * A realistic TLS server certificate, once; rows get copies with their
 * own serial written in (the store parses each DER but verifies no
 * signature on issue, so patching the serial keeps it acceptable).
 */
void
template_make(void)
{
	EVP_PKEY *ca = EVP_EC_gen("prime256v1"),
		 *leaf = EVP_EC_gen("prime256v1");
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	uint8_t serial[SERIAL_LEN], *spki = NULL, *p;
	BIGNUM *bn;
	ASN1_INTEGER *ai;
	size_t i;
	int len;

	if (ca == NULL || leaf == NULL || x == NULL)
		die("keys");
	RAND_bytes(serial, sizeof(serial));
	serial[0] = 0x40 | (serial[0] & 0x3f);
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	X509_set_version(x, 2);
	X509_set_serialNumber(x, ai);
	X509_NAME_add_entry_by_txt(iss, "C", MBSTRING_ASC,
	    (const unsigned char *)"DE", -1, -1, 0);
	X509_NAME_add_entry_by_txt(iss, "O", MBSTRING_ASC,
	    (const unsigned char *)"Example Benchmark Org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Example Issuing CA 1", -1, -1, 0);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)"www.service-042.example.com", -1, -1, 0);
	X509_set_issuer_name(x, iss);
	X509_set_subject_name(x, subj);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)T0);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T0 + LIFETIME));
	X509_set_pubkey(x, leaf);
	add_ext(x, x, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(x, x, NID_key_usage, "critical,digitalSignature");
	add_ext(x, x, NID_ext_key_usage, "serverAuth,clientAuth");
	add_ext(x, x, NID_subject_key_identifier, "hash");
	add_ext(x, x, NID_subject_alt_name,
	    "DNS:www.service-042.example.com,DNS:service-042.example.com,"
	    "DNS:api.service-042.example.com,DNS:internal.service-042.example."
	    "com");
	add_ext(x, x, NID_crl_distribution_points,
	    "URI:http://crl.example.com/issuing-ca-1.crl");
	add_ext(x, x, NID_info_access,
	    "caIssuers;URI:http://pki.example.com/issuing-ca-1.der");
	if (X509_sign(x, ca, EVP_sha256()) <= 0)
		die("sign");
	tpl.der = NULL;
	if ((len = i2d_X509(x, &tpl.der)) <= 0)
		die("encode");
	tpl.der_len = (size_t)len;
	for (i = 0; i + SERIAL_LEN <= tpl.der_len; i++)
		if (memcmp(tpl.der + i, serial, SERIAL_LEN) == 0)
			break;
	tpl.serial_off = i;
	p = NULL;
	len = i2d_PUBKEY(leaf, &p);
	spki = p;
	if (sha256(spki, (size_t)len, tpl.spki_sha256) != 0)
		die("hash");
	OPENSSL_free(spki);
	p = NULL;
	len = i2d_PUBKEY(ca, &p);
	{
		uint8_t d[32];

		if (sha256(p, (size_t)len, d) != 0)
			die("hash");
		hex_encode(d, 32, tpl.issuer);
	}
	OPENSSL_free(p);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	X509_free(x);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(leaf);
}

/* A fresh random serial: bytes for the DER, hex for the store. */
void
serial_next(uint8_t out[SERIAL_LEN], char hex[2 * SERIAL_LEN + 1])
{
	uint64_t a = rng_next(), b = rng_next();

	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
	out[0] = 0x40 | (out[0] & 0x3f);
	hex_encode(out, SERIAL_LEN, hex);
}

void
reserve(struct signet_store *st, const char *hex)
{
	struct signet_store_cert_new c;

	memset(&c, 0, sizeof(c));
	c.issuer = tpl.issuer;
	c.serial = hex;
	c.subject = "CN=www.service-042.example.com";
	c.sans = "DNS:www.service-042.example.com,DNS:service-042.example.com,"
		 "DNS:api.service-042.example.com,"
		 "DNS:internal.service-042.example.com";
	memcpy(c.spki_sha256, tpl.spki_sha256, 32);
	c.not_before = T0;
	c.not_after = T0 + LIFETIME;
	c.profile = "tls-server";
	c.requester = "svc-deploy";
	if (signet_store_cert_reserve(st, &c, T0) != 0)
		die("reserve");
}

void
issue(struct signet_store *st, const uint8_t *der, const char *hex)
{
	if (signet_store_cert_issue(st, tpl.issuer, hex, der, tpl.der_len,
		T0) != 0)
		die("issue");
}

/*
 * Issue n certificates the way batch issuance does: reserve per_txn
 * serials in one transaction (committed before anything is signed), then
 * mark them issued in another. per_txn 1: each call its own transaction.
 */
void
insert_rows(struct signet_store *st, size_t n, size_t per_txn,
    void (*keep)(const char *hex))
{
	uint8_t *ders = malloc(per_txn * tpl.der_len);
	char(*hex)[2 * SERIAL_LEN + 1] = malloc(per_txn * sizeof(*hex));
	size_t done, k, batch;

	if (ders == NULL || hex == NULL)
		die("memory");
	for (done = 0; done < n; done += batch) {
		batch = n - done < per_txn ? n - done : per_txn;
		if (per_txn > 1 && signet_store_begin(st) != 0)
			die("begin");
		for (k = 0; k < batch; k++) {
			uint8_t *der = ders + k * tpl.der_len;

			memcpy(der, tpl.der, tpl.der_len);
			serial_next(der + tpl.serial_off, hex[k]);
			reserve(st, hex[k]);
		}
		if (per_txn > 1 && signet_store_commit(st) != 0)
			die("commit");
		if (per_txn > 1 && signet_store_begin(st) != 0)
			die("begin");
		for (k = 0; k < batch; k++) {
			issue(st, ders + k * tpl.der_len, hex[k]);
			if (keep != NULL)
				keep(hex[k]);
		}
		if (per_txn > 1 && signet_store_commit(st) != 0)
			die("commit");
	}
	free(ders);
	free(hex);
}
