/*
 * Getting one PKCS#10 request (RFC 2986) out of untrusted bytes: PEM or
 * DER, exactly one object, strict DER, nothing before or after it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "policy/policy_int.h"
#include "util/codec.h"
#include "util/der.h"
#include "util/pem.h"

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const uint8_t *
find(const uint8_t *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	if (len < nl)
		return NULL;
	return memmem(hay, len, needle, nl);
}

/* The request's PEM labels: RFC 7468 5.1, and the one of older tools. */
static const char *const csr_labels[] = { "CERTIFICATE REQUEST",
	"NEW CERTIFICATE REQUEST", NULL };

/*
 * The library context a CSR is parsed in: only OpenSSL's null provider, so
 * no key decoder. d2i would otherwise set up OpenSSL 3's provider decoders
 * for the public key (under global locks, slower than verifying the CSR's
 * signature); policy_key_check builds the key from its numbers instead,
 * and the signature is verified in the default context.
 */
static OSSL_LIB_CTX *csr_libctx;
static pthread_once_t csr_libctx_once = PTHREAD_ONCE_INIT;

static void
csr_libctx_init(void)
{
	OSSL_LIB_CTX *ctx;

	if ((ctx = OSSL_LIB_CTX_new()) == NULL)
		return;
	if (OSSL_PROVIDER_load(ctx, "null") == NULL) {
		OSSL_LIB_CTX_free(ctx);
		return;
	}
	csr_libctx = ctx;
}

int
policy_csr_decode(const uint8_t *in, size_t len, size_t max, X509_REQ **out)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *pem_der = NULL;
	const uint8_t *der = in, *p;
	size_t derlen = len, i = 0;
	X509_REQ *req = NULL;

	*out = NULL;
	if (len == 0) {
		r = signet_error_set(SIGNET_ERR_POLICY, "the CSR is empty");
		goto out;
	}
	if (len > max) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR is %zu bytes, more than the %zu byte limit", len,
		    max);
		goto out;
	}
	while (i < len && is_space(in[i]))
		i++;
	if (i < len && in[i] == '-') {
		const struct pem_want want = { csr_labels, "the CSR",
			SIGNET_ERR_POLICY, 0 };

		if ((r = pem_decode(in, len, &want, NULL, &pem_der, &derlen)) !=
		    0)
			goto out;
		der = pem_der;
	} else if (in[0] != 0x30) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    find(in, len, "-----BEGIN") != NULL
			? "the CSR file has text before its PEM block"
			: "the CSR is neither PEM nor DER");
		goto out;
	}
	if (der_check_strict(der, derlen) != 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", signet_error_message());
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR is not DER (X.690 10, 11): %s", why);
		goto out;
	}
	p = der;
	/* Without that context (out of memory?), the slow way. */
	(void)pthread_once(&csr_libctx_once, csr_libctx_init);
	if ((req = (X509_REQ *)ASN1_item_d2i_ex(NULL, &p, (long)derlen,
		 ASN1_ITEM_rptr(X509_REQ), csr_libctx, NULL)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_POLICY,
		    "the CSR is not a PKCS#10 certification request");
		goto out;
	}
	if (p != der + derlen) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "%zu bytes follow the CSR", (size_t)(der + derlen - p));
		goto out;
	}
	*out = req;
	req = NULL;
	r = 0;
out:
	X509_REQ_free(req);
	free(pem_der);
	return r;
}
