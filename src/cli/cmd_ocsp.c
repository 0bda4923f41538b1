/* signet ocsp signer status|rotate: the delegated OCSP responder. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "signet/ca.h"
#include "util/codec.h"

static void
ocsp_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet ocsp signer status [--json] [--config FILE]\n"
	    "       signet ocsp signer rotate [--json] [--config FILE]\n"
	    "\n"
	    "The delegated OCSP responder of signet serve "
	    "(serve.ocsp.signer: delegated):\n"
	    "a key on the CA's token and a certificate of the ocsp-responder "
	    "profile.\n"
	    "\n"
	    "  status         the current responder: certificate serial, key "
	    "label,\n"
	    "                 notBefore, notAfter and when the service "
	    "replaces it\n"
	    "  rotate         make a new key and certificate now; a running "
	    "service\n"
	    "                 signs every response again with them at its "
	    "next check\n"
	    "  --json         machine-readable result\n"
	    "  --config FILE  the instance\n"
	    "\n"
	    "Exit status: 0 done; 41 status without a responder; docs/cli.md "
	    "lists the rest.\n");
}

static void
print_responder(const struct signet_ca_ocsp_responder *r, int json)
{
	char nb[21], na[21], ra[21], *s;
	json_t *o;

	time_format((time_t)r->not_before, nb);
	time_format((time_t)r->not_after, na);
	time_format((time_t)r->rotate_at, ra);
	if (!json) {
		printf("serial:     %s\nkey:        %s\nnot before: %s\n"
		       "not after:  %s\nrotation:   %s\n",
		    r->serial, r->key_label, nb, na, ra);
		return;
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "serial", r->serial, "key_label",
	    r->key_label, "not_before", nb, "not_after", na, "rotate_at", ra);
	if (o != NULL &&
	    (s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) != NULL) {
		printf("%s\n", s);
		free(s);
	}
	json_decref(o);
}

int
cmd_ocsp(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *verb;
	struct signet_ca *ca = NULL;
	struct signet_ca_ocsp_responder info;
	int c, r, json = 0, st, rotate, found = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			ocsp_usage(stdout);
			return 0;
		default:
			return cli_usage("ocsp", "unknown option");
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "signer") != 0)
		return cli_usage("ocsp", "expected: signer status|rotate");
	verb = argv[optind + 1];
	if (strcmp(verb, "status") == 0)
		rotate = 0;
	else if (strcmp(verb, "rotate") == 0)
		rotate = 1;
	else
		return cli_usage("ocsp", "unknown verb '%s' (status, rotate)",
		    verb);
	if ((st = cli_ca_open(config,
		 SIGNET_CA_OPEN_SIGN | (rotate ? SIGNET_CA_OPEN_POLICY : 0),
		 &ca)) != 0)
		return st;
	if (rotate)
		r = signet_ca_ocsp_responder_make(ca, &info);
	else if ((r = signet_ca_ocsp_responder_load(ca, (int64_t)time(NULL),
		      &info, &found)) == 0 &&
		 !found)
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no OCSP responder: no unexpired certificate of profile "
		    "%s whose key is on the CA's token (signet serve makes "
		    "one; so does 'signet ocsp signer rotate')",
		    SIGNET_OCSP_RESPONDER_PROFILE);
	if (r != 0) {
		st = cli_fail(r);
		(void)cli_ca_close(ca);
		return st;
	}
	print_responder(&info, json);
	return cli_ca_close(ca);
}
