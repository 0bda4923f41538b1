/*
 * libFuzzer target for `signet lint` input: PEM or DER, certificate, CRL
 * or neither, through signet_lint_data and both report formats. A
 * certificate that OpenSSL parses is linted a second time with itself as
 * the issuer, so the issuer lints (names, key identifiers, name
 * constraints) see hostile input too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "signet/error.h"
#include "signet/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
lint_once(const struct signet_lint_ctx *ctx, const uint8_t *data, size_t size)
{
	struct signet_lint_report *rep = NULL;
	char *out;
	int r;

	/* Refusals are expected; only crashes and leaks matter here. */
	r = signet_lint_data(ctx, data, size, &rep);
	(void)r;
	if (rep != NULL) {
		out = signet_lint_report_text(rep);
		free(out);
		out = signet_lint_report_json(rep);
		free(out);
	}
	signet_lint_report_free(rep);
	signet_error_clear();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signet_lint_ctx *ctx = NULL;
	const unsigned char *p = data;
	X509 *self;

	lint_once(NULL, data, size);
	if (size > 0x7fffffff ||
	    (self = d2i_X509(NULL, &p, (long)size)) == NULL)
		return 0;
	if (signet_lint_ctx_new(&ctx) == 0 &&
	    signet_lint_ctx_set_issuer(ctx, self) == 0 &&
	    signet_lint_ctx_add_chain(ctx, self) == 0)
		lint_once(ctx, data, size);
	signet_lint_ctx_free(ctx);
	X509_free(self);
	signet_error_clear();
	return 0;
}
