/* signet lint: lint a certificate or CRL (PEM or DER) from any source. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "signet/lint.h"
#include "util/codec.h"
#include "util/file.h"

/* CRLs can be large: a million entries is about 60 MB. */
#define LINT_MAX_INPUT ((size_t)512 * 1024 * 1024)

static void
lint_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet lint [--json] [--issuer CA.pem] [--chain "
	    "CA.pem]...\n"
	    "                   [--max-next-update DURATION] FILE\n"
	    "       signet lint --list\n"
	    "\n"
	    "Lint a certificate or a CRL (PEM or DER, told apart by content;\n"
	    "FILE '-' reads standard input) with signet's pre-issuance\n"
	    "lints. One line per failed lint; --json for machines.\n"
	    "  --issuer CA.pem     the issuing CA: enables issuer name, AKI,\n"
	    "                      signature algorithm and name constraint "
	    "lints\n"
	    "  --chain CA.pem      a further CA up the chain (name "
	    "constraints)\n"
	    "  --max-next-update D longest CRL nextUpdate - thisUpdate\n"
	    "                      (default 10d; CA CRLs up to 365d)\n"
	    "  --list              print every lint and exit\n"
	    "Exit status: 0 if no error-level lint failed (warnings may "
	    "have),\n"
	    "11 if one did, other codes if the input could not be read.\n");
}

static int
load_cert(const char *path, X509 **out)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	const unsigned char *p;

	*out = NULL;
	if ((r = file_read(path, SIGNET_FILE_MAX_INPUT, &data, &len)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "BIO_new_mem_buf");
		goto out;
	}
	if ((*out = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		p = data;
		*out = d2i_X509(NULL, &p, (long)len);
	}
	if (*out == NULL) {
		r = signet_error_ossl(SIGNET_ERR_USAGE,
		    "%s is not a certificate (PEM or DER)", path);
		goto out;
	}
	r = 0;
out:
	BIO_free(bio);
	free(data);
	return r;
}

static void
print_list(void)
{
	size_t i, n = signet_lint_count();

	for (i = 0; i < n; i++) {
		const struct signet_lint_info *l = signet_lint_get(i);

		printf("%-28s %-7s %-4s %s [%s]\n", l->id,
		    signet_lint_severity_name(l->severity),
		    l->applies == (SIGNET_LINT_CERT | SIGNET_LINT_CRL) ? "both"
		    : l->applies == SIGNET_LINT_CRL                    ? "crl"
		    : l->applies == SIGNET_LINT_OCSP                   ? "ocsp"
								       : "cert",
		    l->description, l->source);
	}
}

int
cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "chain", required_argument, NULL, 'c' },
		{ "max-next-update", required_argument, NULL, 'm' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct signet_lint_ctx *ctx = NULL;
	struct signet_lint_report *rep = NULL;
	X509 *x = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char *out = NULL;
	int json = 0, c, r = SIGNET_ERR_INTERNAL, status;
	int64_t max_next = 0;

	if ((r = signet_lint_ctx_new(&ctx)) != 0)
		return cli_fail(r);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'i':
		case 'c':
			if ((r = load_cert(optarg, &x)) != 0)
				goto fail;
			r = c == 'i' ? signet_lint_ctx_set_issuer(ctx, x)
				     : signet_lint_ctx_add_chain(ctx, x);
			X509_free(x);
			x = NULL;
			if (r != 0)
				goto fail;
			break;
		case 'm':
			if (duration_parse(optarg, &max_next) != 0 ||
			    max_next <= 0) {
				status = cli_usage("lint",
				    "--max-next-update '%s' is not a duration "
				    "like 10d",
				    optarg);
				goto done;
			}
			signet_lint_ctx_set_crl_max_next_update(ctx, max_next);
			break;
		case 'l':
			print_list();
			status = 0;
			goto done;
		case 'h':
			lint_usage(stdout);
			status = 0;
			goto done;
		default:
			status = cli_usage("lint", "unknown option");
			goto done;
		}
	}
	if (optind != argc - 1) {
		status = cli_usage("lint", "give exactly one FILE to lint");
		goto done;
	}
	if ((r = file_read(argv[optind], LINT_MAX_INPUT, &data, &len)) != 0)
		goto fail;
	r = signet_lint_data(ctx, data, len, &rep);
	if (r != 0 && r != SIGNET_ERR_LINT)
		goto fail;
	if (json) {
		if ((out = signet_lint_report_json(rep)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto fail;
		}
		printf("%s\n", out);
	} else {
		if ((out = signet_lint_report_text(rep)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto fail;
		}
		fputs(out, stdout);
		printf("%s: %s: %zu error(s), %zu warning(s), %zu notice(s); "
		       "%zu lints run\n",
		    argv[optind], signet_lint_report_kind(rep),
		    signet_lint_report_tally(rep, SIGNET_LINT_ERROR),
		    signet_lint_report_tally(rep, SIGNET_LINT_WARNING),
		    signet_lint_report_tally(rep, SIGNET_LINT_NOTICE),
		    signet_lint_report_lints_run(rep));
	}
	status = signet_exit_code(r);
	goto done;
fail:
	status = cli_fail(r);
done:
	free(out);
	free(data);
	signet_lint_report_free(rep);
	signet_lint_ctx_free(ctx);
	return status;
}
