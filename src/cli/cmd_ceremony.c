/*
 * signet ceremony: run, check and verify key ceremonies (docs/ceremony.md).
 * The library does the work; this file talks to the operators: the plan on
 * standard output, names and the confirmation read from the terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "signet/ceremony.h"
#include "util/file.h"

static void
ceremony_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet ceremony run FILE [--dir DIR] [--yes]\n"
	    "       signet ceremony check FILE [--dir DIR]\n"
	    "       signet ceremony verify TRANSCRIPT (--cert CA.pem | --key "
	    "PUB.pem)\n"
	    "                              [--dir DIR]\n"
	    "\n"
	    "Key ceremonies for an offline root CA, one reviewed YAML file "
	    "each\n"
	    "(root-key, root-cert, intermediate-key, intermediate-cert, "
	    "cross-cert,\n"
	    "root-crl, key-backup, quorum-split; examples in ceremony/, "
	    "runbook in\n"
	    "docs/ceremony.md).\n"
	    "\n"
	    "  run     check the file, open the tokens, prepare and lint "
	    "everything,\n"
	    "          print the plan, and ask an operator to type the first "
	    "8 hex\n"
	    "          digits of the file's SHA-256 before anything is "
	    "generated or\n"
	    "          signed. Outputs are never written over existing "
	    "files. A\n"
	    "          transcript, signed by the key the ceremony used, is "
	    "left beside\n"
	    "          them (also when the ceremony fails: it says where "
	    "and why).\n"
	    "  check   parse and check the file and its inputs, print what "
	    "it would do;\n"
	    "          no token is opened.\n"
	    "  verify  check a transcript's signature with the root "
	    "certificate (or\n"
	    "          the public key the transcript names) alone, and the "
	    "outputs\n"
	    "          and inputs it lists: a changed file is named; missing "
	    "ones are\n"
	    "          listed.\n"
	    "\n"
	    "  --dir DIR   relative paths in the file are taken from DIR "
	    "(default: .);\n"
	    "              for verify, where the listed files are (default: "
	    "found from\n"
	    "              the transcript's place)\n"
	    "  --yes       do not ask for confirmation. FOR CI ONLY: no "
	    "operator\n"
	    "              confirms the plan, and the transcript records "
	    "that.\n"
	    "  --cert F    verify with the key of certificate F\n"
	    "  --key F     verify with public key F (PEM)\n"
	    "\n"
	    "PINs come from the terminal or the pin-source the file names "
	    "(file: or\n"
	    "env:); a PIN in the file is refused. pin-source: quorum "
	    "rebuilds the PIN\n"
	    "from M custodians' shares (passphrases from the terminal, or "
	    "file:/env:).\n"
	    "Exit status: 0 success, 3 bad file,\n"
	    "11 lint failure, 2x token, 31 verification failed, 42 output "
	    "or key exists.\n");
}

/* The terminal, for names and the confirmation; never standard input. */
static FILE *
tty_open(void)
{
	return fopen("/dev/tty", "r+");
}

static int
tty_line(FILE *tty, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, tty) == NULL)
		return -1;
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int
ask_operators(struct signet_ceremony *c)
{
	FILE *tty = tty_open();
	char line[256];
	int r = 0;

	if (tty == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "the ceremony file names no operators and there is no "
		    "terminal to ask on: list them under operators:");
	fprintf(tty,
	    "Operators present: type each name on its own line, an empty "
	    "line ends.\n");
	for (;;) {
		fprintf(tty, "name> ");
		fflush(tty);
		if (tty_line(tty, line, sizeof(line)) != 0 || line[0] == '\0')
			break;
		if ((r = signet_ceremony_add_operator(c, line)) != 0)
			break;
	}
	fclose(tty);
	return r;
}

static void
show_plan_cb(void *arg, const char *plan)
{
	(void)arg;
	fputs("\n==================== PLAN ====================\n", stdout);
	fputs(plan, stdout);
	fputs("==============================================\n", stdout);
	fflush(stdout);
}

static int
confirm_cb(void *arg, const char *plan)
{
	const char *code = arg;
	FILE *tty = tty_open();
	char line[128];
	int ok;

	if (tty == NULL) {
		fprintf(stderr,
		    "signet: no terminal to confirm the plan on; run the "
		    "ceremony at a terminal (--yes is for CI only)\n");
		return -1;
	}
	/* The operator must see what they confirm, even with stdout elsewhere. */
	if (!isatty(STDOUT_FILENO))
		fputs(plan, tty);
	fprintf(tty,
	    "\nCheck the plan against the reviewed ceremony file. To go on, "
	    "type\nthe first 8 hex digits of the file's SHA-256 (%s...); "
	    "anything else stops.\nconfirm> ",
	    code);
	fflush(tty);
	ok = tty_line(tty, line, sizeof(line)) == 0 && strcmp(line, code) == 0;
	if (!ok)
		fprintf(tty, "Not confirmed: nothing will be generated or "
			     "signed.\n");
	fclose(tty);
	return ok ? 0 : -1;
}

static void
progress_cb(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "  %s\n", line);
}

static int
ceremony_run(const char *file, const char *dir, int yes)
{
	struct signet_ceremony *c = NULL;
	struct signet_ceremony_run_opts opts;
	const struct signet_ceremony_output *o;
	int r = SIGNET_ERR_INTERNAL;
	size_t i;

	if ((r = signet_ceremony_load(file, dir, &c)) != 0)
		goto out;
	if (signet_ceremony_operator_count(c) == 0 &&
	    (r = ask_operators(c)) != 0)
		goto out;
	memset(&opts, 0, sizeof(opts));
	opts.show_plan = show_plan_cb;
	opts.confirm = confirm_cb;
	opts.confirm_arg = (void *)signet_ceremony_confirm_code(c);
	opts.assume_yes = yes;
	opts.progress = progress_cb;
	if (yes)
		cli_warn("--yes: the plan is not confirmed by an operator (for "
			 "CI only); the transcript records this");
	if ((r = signet_ceremony_run(c, &opts)) != 0)
		goto out;
	printf("\nCeremony %s completed.\n",
	    signet_ceremony_type_name(signet_ceremony_get_type(c)));
	for (i = 0; i < signet_ceremony_output_count(c); i++) {
		o = signet_ceremony_output_get(c, i);
		printf("  %-18s %s\n  %-18s SHA-256 %s\n", o->name, o->path, "",
		    o->sha256);
		if (o->fingerprint[0] != '\0')
			printf("  %-18s fingerprint (SHA-256 of the DER) %s\n",
			    "", o->fingerprint);
	}
	printf("  %-18s %s%s\n", "transcript",
	    signet_ceremony_transcript_path(c),
	    signet_ceremony_transcript_signed(c) ? " (+ .sig)" : " (unsigned)");
	r = 0;
out:
	signet_ceremony_free(c);
	return r == 0 ? 0 : cli_fail(r);
}

static int
ceremony_check(const char *file, const char *dir)
{
	struct signet_ceremony *c = NULL;
	char *text = NULL;
	int r = SIGNET_ERR_INTERNAL;

	if ((r = signet_ceremony_load(file, dir, &c)) != 0)
		goto out;
	if ((text = signet_ceremony_describe(c)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	fputs(text, stdout);
	printf("\n%s: the file is well-formed and its inputs are readable; "
	       "confirmation code %s\n",
	    file, signet_ceremony_confirm_code(c));
	r = 0;
out:
	free(text);
	signet_ceremony_free(c);
	return r == 0 ? 0 : cli_fail(r);
}

/* The key to verify with: a certificate's, or a PEM public key. */
static int
load_verify_key(const char *cert, const char *key, EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x = NULL;

	*out = NULL;
	if ((r = file_read(cert != NULL ? cert : key, (size_t)1024 * 1024,
		 &data, &len)) != 0)
		goto out;
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (cert != NULL) {
		if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
		    (*out = X509_get_pubkey(x)) == NULL) {
			r = signet_error_ossl(SIGNET_ERR_USAGE,
			    "%s is not a PEM certificate", cert);
			goto out;
		}
	} else if ((*out = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_USAGE,
		    "%s is not a PEM public key", key);
		goto out;
	}
	r = 0;
out:
	X509_free(x);
	BIO_free(b);
	free(data);
	return r;
}

static int
ceremony_verify(const char *transcript, const char *cert, const char *key,
    const char *dir)
{
	struct signet_transcript_report *rep = NULL;
	EVP_PKEY *pub = NULL;
	int r = SIGNET_ERR_INTERNAL;

	if ((r = load_verify_key(cert, key, &pub)) != 0)
		goto out;
	r = signet_transcript_verify(transcript, pub, dir, &rep);
	if (rep != NULL)
		fputs(signet_transcript_report_text(rep), stdout);
	if (r != 0)
		goto out;
	if (signet_transcript_report_missing(rep) > 0)
		cli_warn("%zu file(s) the transcript lists are missing and "
			 "were not checked",
		    signet_transcript_report_missing(rep));
	if (strcmp(signet_transcript_report_outcome(rep), "completed") != 0)
		cli_warn("the transcript is authentic, and records a ceremony "
			 "that FAILED");
	r = 0;
out:
	signet_transcript_report_free(rep);
	EVP_PKEY_free(pub);
	return r == 0 ? 0 : cli_fail(r);
}

int
cmd_ceremony(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "yes", no_argument, NULL, 'y' },
		{ "dir", required_argument, NULL, 'd' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb, *dir = NULL, *cert = NULL, *key = NULL;
	int ch, yes = 0;

	if (argc < 2) {
		ceremony_usage(stderr);
		return signet_exit_code(SIGNET_ERR_USAGE);
	}
	verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 ||
	    strcmp(verb, "help") == 0) {
		ceremony_usage(stdout);
		return 0;
	}
	optind = 1;
	while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			ceremony_usage(stdout);
			return 0;
		case 'y':
			yes = 1;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		default:
			return cli_usage("ceremony", "unknown option");
		}
	}
	if (optind != argc - 2)
		return cli_usage("ceremony", "%s needs exactly one file", verb);
	if (strcmp(verb, "run") == 0) {
		if (cert != NULL || key != NULL)
			return cli_usage("ceremony",
			    "--cert and --key are for verify");
		return ceremony_run(argv[optind + 1], dir, yes);
	}
	if (strcmp(verb, "check") == 0) {
		if (cert != NULL || key != NULL || yes)
			return cli_usage("ceremony", "check takes only --dir");
		return ceremony_check(argv[optind + 1], dir);
	}
	if (strcmp(verb, "verify") == 0) {
		if (yes)
			return cli_usage("ceremony", "--yes is for run");
		if ((cert == NULL) == (key == NULL))
			return cli_usage("ceremony",
			    "verify needs --cert CA.pem or --key PUB.pem (one "
			    "of them): the key the transcript was signed by");
		return ceremony_verify(argv[optind + 1], cert, key, dir);
	}
	return cli_usage("ceremony", "unknown verb '%s': run, check or verify",
	    verb);
}
