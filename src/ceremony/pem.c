/* PEM and DER for ceremony inputs and outputs, and the facts recorded of them. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"
#include "util/pem.h"

int
cer_pem_encode(const char *type, const uint8_t *der, size_t len, uint8_t **out,
    size_t *outlen)
{
	char *pem = NULL;
	int r;

	*out = NULL;
	if ((r = pem_encode(type, der, len, &pem, outlen)) == 0)
		*out = (uint8_t *)pem;
	return r;
}

int
cer_pubkey_pem(const EVP_PKEY *pub, uint8_t **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int len, r;

	*out = NULL;
	*outlen = 0;
	if ((len = i2d_PUBKEY(pub, &der)) <= 0)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode a public key");
	r = cer_pem_encode("PUBLIC KEY", der, (size_t)len, out, outlen);
	OPENSSL_free(der);
	return r;
}

int
cer_spki_sha256(const EVP_PKEY *pub, char out[65])
{
	return spki_sha256_hex(pub, out);
}

/*
 * DER, or one PEM block of type (text around it is skipped): *der set to
 * the DER bytes.
 */
static int
pem_or_der(const uint8_t *data, size_t len, const char *type, const char *what,
    uint8_t **der, long *der_len)
{
	const char *labels[] = { type, NULL, NULL };
	const struct pem_want want = { labels, what, SIGNET_ERR_CONFIG,
		PEM_TEXT_AROUND };
	size_t n = 0;
	int r;

	*der = NULL;
	*der_len = 0;
	if (len > 0 && data[0] == 0x30) {
		if ((*der = malloc(len)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		memcpy(*der, data, len);
		*der_len = (long)len;
		return 0;
	}
	if (strcmp(type, "CERTIFICATE REQUEST") == 0)
		labels[1] = "NEW CERTIFICATE REQUEST";
	if ((r = pem_decode(data, len, &want, NULL, der, &n)) != 0)
		return r;
	*der_len = (long)n;
	return 0;
}

int
cer_pubkey_parse(const uint8_t *data, size_t len, const char *what,
    EVP_PKEY **out)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	long n = 0;
	int r;

	*out = NULL;
	if ((r = pem_or_der(data, len, "PUBLIC KEY", what, &der, &n)) != 0)
		return r;
	p = der;
	if ((*out = d2i_PUBKEY(NULL, &p, n)) == NULL || p != der + n) {
		EVP_PKEY_free(*out);
		*out = NULL;
		r = signet_error_ossl(SIGNET_ERR_CONFIG,
		    "%s is not a public key (SubjectPublicKeyInfo)", what);
	}
	free(der);
	return r;
}

int
cer_cert_parse(const uint8_t *data, size_t len, const char *what, X509 **out)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	long n = 0;
	int r;

	*out = NULL;
	if ((r = pem_or_der(data, len, "CERTIFICATE", what, &der, &n)) != 0)
		return r;
	p = der;
	if ((*out = d2i_X509(NULL, &p, n)) == NULL || p != der + n) {
		X509_free(*out);
		*out = NULL;
		r = signet_error_ossl(SIGNET_ERR_CONFIG,
		    "%s is not a certificate", what);
	}
	free(der);
	return r;
}

int
cer_crl_parse(const uint8_t *data, size_t len, const char *what, X509_CRL **out)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	long n = 0;
	int r;

	*out = NULL;
	if ((r = pem_or_der(data, len, "X509 CRL", what, &der, &n)) != 0)
		return r;
	p = der;
	if ((*out = d2i_X509_CRL(NULL, &p, n)) == NULL || p != der + n) {
		X509_CRL_free(*out);
		*out = NULL;
		r = signet_error_ossl(SIGNET_ERR_CONFIG, "%s is not a CRL",
		    what);
	}
	free(der);
	return r;
}

static void
json_set_time(json_t *o, const char *key, const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32];

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, key, json_string(buf));
}

json_t *
cer_cert_facts(const uint8_t *der, size_t len, char fp[65])
{
	const unsigned char *p = der;
	X509 *x = NULL;
	json_t *o = NULL;
	char *subject = NULL, *issuer = NULL, spki[65];
	const ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	char *hex = NULL;

	fp[0] = '\0';
	if (sha256_hex(der, len, fp) != 0 ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    (o = json_object()) == NULL)
		goto out;
	subject = cer_name_text(X509_get_subject_name(x));
	issuer = cer_name_text(X509_get_issuer_name(x));
	sn = X509_get0_serialNumber(x);
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL)
		hex = BN_bn2hex(bn);
	json_object_set_new(o, "sha256_fingerprint", json_string(fp));
	if (hex != NULL) {
		char *q;

		for (q = hex; *q != '\0'; q++)
			if (*q >= 'A' && *q <= 'F')
				*q = (char)(*q - 'A' + 'a');
		json_object_set_new(o, "serial", json_string(hex));
	}
	json_object_set_new(o, "subject",
	    json_string(subject != NULL ? subject : "?"));
	json_object_set_new(o, "issuer",
	    json_string(issuer != NULL ? issuer : "?"));
	json_set_time(o, "not_before", X509_get0_notBefore(x));
	json_set_time(o, "not_after", X509_get0_notAfter(x));
	if (cer_spki_sha256(X509_get0_pubkey(x), spki) == 0)
		json_object_set_new(o, "spki_sha256", json_string(spki));
out:
	ERR_clear_error();
	OPENSSL_free(hex);
	BN_free(bn);
	free(subject);
	free(issuer);
	X509_free(x);
	return o;
}
