/*
 * Getting one PKCS#10 request (RFC 2986) out of untrusted bytes: PEM or
 * DER, exactly one object, strict DER, nothing before or after it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "policy/policy_int.h"

#define DER_DEPTH_MAX 32

/* ---- DER shape
 * --------------------------------------------------------------- */

/* Read one tag and length; *hdr gets the header size. */
static int
der_header(const uint8_t *p, size_t len, uint8_t *tag, size_t *hdr,
    size_t *vlen, const char **why)
{
	size_t i = 1, n, k;

	if (p == NULL || len < 2) {
		*why = "it is truncated";
		return -1;
	}
	*tag = p[0];
	if ((p[0] & 0x1f) == 0x1f) {
		/* High tag numbers: base 128, minimal, at most 4 bytes. */
		if (p[1] == 0x80) {
			*why = "a tag number is not minimally encoded";
			return -1;
		}
		while (i < len && (p[i] & 0x80) && i < 5)
			i++;
		if (i >= len || i >= 5) {
			*why = "a tag number is too long";
			return -1;
		}
		i++;
	}
	if (i >= len) {
		*why = "it is truncated";
		return -1;
	}
	if (p[i] < 0x80) {
		*vlen = p[i];
		i++;
	} else if (p[i] == 0x80) {
		*why = "it uses an indefinite length (BER, not DER)";
		return -1;
	} else {
		n = p[i] & 0x7f;
		i++;
		if (n > 4 || len - i < n) {
			*why =
			    n > 4 ? "a length is too large" : "it is truncated";
			return -1;
		}
		if (p[i] == 0) {
			*why = "a length is not minimally encoded";
			return -1;
		}
		*vlen = 0;
		for (k = 0; k < n; k++)
			*vlen = (*vlen << 8) | p[i + k];
		if (*vlen < 0x80) {
			*why = "a length is not minimally encoded";
			return -1;
		}
		i += n;
	}
	if (*vlen > len - i) {
		*why = "it is truncated";
		return -1;
	}
	*hdr = i;
	return 0;
}

static int
der_walk(const uint8_t *p, size_t len, int depth, const char **why)
{
	size_t hdr, vlen;
	uint8_t tag;
	const uint8_t *v;

	if (depth > DER_DEPTH_MAX) {
		*why = "it is nested too deeply";
		return -1;
	}
	if (p == NULL && len > 0) {
		*why = "it is truncated";
		return -1;
	}
	while (len > 0) {
		if (der_header(p, len, &tag, &hdr, &vlen, why) != 0)
			return -1;
		v = p + hdr;
		if (tag & 0x20) {
			/* Universal types other than SEQUENCE and SET are
			 * primitive in DER. */
			if ((tag & 0xc0) == 0 && tag != 0x30 && tag != 0x31) {
				*why = "it has a constructed string (BER, not "
				       "DER)";
				return -1;
			}
			if (der_walk(v, vlen, depth + 1, why) != 0)
				return -1;
		} else if (tag == 0x01 &&
			   (vlen != 1 || (v[0] != 0x00 && v[0] != 0xff))) {
			*why = "it has a BOOLEAN that is not 00 or FF";
			return -1;
		} else if (tag == 0x02 &&
			   (vlen == 0 ||
			       (vlen > 1 &&
				   ((v[0] == 0x00 && !(v[1] & 0x80)) ||
				       (v[0] == 0xff && (v[1] & 0x80)))))) {
			*why = "it has an INTEGER that is not minimally "
			       "encoded";
			return -1;
		}
		p += hdr + vlen;
		len -= hdr + vlen;
	}
	return 0;
}

int
policy_der_check(const uint8_t *der, size_t len, const char **why)
{
	size_t hdr, vlen;
	uint8_t tag;

	if (der_header(der, len, &tag, &hdr, &vlen, why) != 0)
		return -1;
	if (hdr + vlen != len) {
		*why = "bytes follow it";
		return -1;
	}
	return der_walk(der, len, 0, why);
}

/* ---- PEM
 * ------------------------------------------------------------------------ */

static int
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Strict base64: whitespace between characters, padding only at the end. */
static int
b64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	uint32_t acc = 0;
	size_t i, n = 0, o = 0, pad = 0;
	int v;

	for (i = 0; i < len; i++) {
		if (is_space(in[i]))
			continue;
		if (in[i] == '=') {
			pad++;
			n++;
			continue;
		}
		if (pad > 0 || (v = b64_value(in[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		n++;
		if (n % 4 == 0) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (n % 4 != 0 || pad > 2)
		return -1;
	if (pad > 0) {
		/* The last quantum: 2 or 3 characters and padding. */
		acc <<= 6 * pad;
		out[o++] = (uint8_t)(acc >> 16);
		if (pad == 1)
			out[o++] = (uint8_t)(acc >> 8);
		/* Bits beyond the data must be zero (RFC 4648 3.5). */
		if ((pad == 2 && (acc & 0xffff) != 0) ||
		    (pad == 1 && (acc & 0xff) != 0))
			return -1;
	}
	*outlen = o;
	return 0;
}

static const uint8_t *
find(const uint8_t *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	if (len < nl)
		return NULL;
	return memmem(hay, len, needle, nl);
}

static int
pem_decode(const uint8_t *in, size_t len, uint8_t **der, size_t *derlen)
{
	static const char *const labels[] = { "CERTIFICATE REQUEST",
		"NEW CERTIFICATE REQUEST" };
	const uint8_t *p = in, *end = in + len, *body, *stop, *after;
	char begin[64], endline[64];
	size_t i;

	*der = NULL;
	while (p < end && is_space(*p))
		p++;
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		snprintf(begin, sizeof(begin), "-----BEGIN %s-----", labels[i]);
		if ((size_t)(end - p) >= strlen(begin) &&
		    memcmp(p, begin, strlen(begin)) == 0)
			break;
	}
	if (i == sizeof(labels) / sizeof(labels[0]))
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR's PEM block is not a CERTIFICATE REQUEST");
	snprintf(endline, sizeof(endline), "-----END %s-----", labels[i]);
	body = p + strlen(begin);
	if ((stop = find(body, (size_t)(end - body), endline)) == NULL)
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR's PEM block has no END line");
	if (find(body, (size_t)(stop - body), "-----") != NULL)
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR's PEM block is malformed (nested or unterminated "
		    "blocks)");
	after = stop + strlen(endline);
	for (p = after; p < end; p++) {
		if (is_space(*p))
			continue;
		if (find(p, (size_t)(end - p), "-----BEGIN") != NULL)
			return signet_error_set(SIGNET_ERR_POLICY,
			    "the CSR file holds more than one PEM block; "
			    "give exactly one request");
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR file has text after its PEM block");
	}
	if ((*der = malloc((size_t)(stop - body) / 4 * 3 + 3)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (b64_decode(body, (size_t)(stop - body), *der, derlen) != 0) {
		free(*der);
		*der = NULL;
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR's PEM block is not valid base64 (PEM headers "
		    "are not accepted)");
	}
	return 0;
}

int
policy_csr_decode(const uint8_t *in, size_t len, size_t max, X509_REQ **out)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *pem_der = NULL;
	const uint8_t *der = in, *p;
	size_t derlen = len, i = 0;
	X509_REQ *req = NULL;
	const char *why = NULL;

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
		if ((r = pem_decode(in, len, &pem_der, &derlen)) != 0)
			goto out;
		der = pem_der;
	} else if (in[0] != 0x30) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    find(in, len, "-----BEGIN") != NULL
			? "the CSR file has text before its PEM block"
			: "the CSR is neither PEM nor DER");
		goto out;
	}
	if (policy_der_check(der, derlen, &why) != 0) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR is not a single DER object: %s", why);
		goto out;
	}
	p = der;
	if ((req = d2i_X509_REQ(NULL, &p, (long)derlen)) == NULL) {
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
