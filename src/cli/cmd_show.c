/* signet show: one certificate by serial. */
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
show_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet show SERIAL [--pem] [--chain] [--json] [--config "
	    "FILE]\n"
	    "\n"
	    "What the database holds for this serial: status, subject, "
	    "names, validity,\n"
	    "profile, who asked, when, and why it failed or was revoked. "
	    "Needs no PIN.\n"
	    "\n"
	    "  --pem          print the certificate (PEM) instead\n"
	    "  --chain        with --pem: followed by the CA chain (no "
	    "root)\n"
	    "  --json         machine-readable, with the certificate as PEM\n"
	    "  --config FILE  the instance\n"
	    "\n"
	    "Exit status: 0; 41 no such serial; 42 --pem for a certificate "
	    "that was never\n"
	    "signed (pending or failed).\n");
}

static void
put_time(json_t *o, const char *key, int64_t t)
{
	char buf[21];

	time_format((time_t)t, buf);
	json_object_set_new(o, key, json_string(buf));
}

int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pem", no_argument, NULL, 'p' },
		{ "chain", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct signet_ca *ca = NULL;
	struct signet_store_cert *cert = NULL;
	const char *config = NULL;
	char *pem = NULL, *s, t1[21], t2[21];
	size_t pem_len = 0;
	int c, r, st, want_pem = 0, chain = 0, json = 0;
	int64_t now = (int64_t)time(NULL);
	json_t *o = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			want_pem = 1;
			break;
		case 'C':
			chain = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			show_usage(stdout);
			return 0;
		default:
			return cli_usage("show", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("show", "give exactly one SERIAL");
	if ((st = cli_ca_open(config, 0, &ca)) != 0)
		return st;
	if ((r = signet_store_cert_get(signet_ca_get0_store(ca),
		 signet_ca_issuer_id(ca), argv[optind], &cert)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if (cert->der != NULL &&
	    (r = signet_ca_pem(ca, cert->der, cert->der_len, chain, &pem,
		 &pem_len)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if (want_pem) {
		if (pem == NULL) {
			signet_error_set(SIGNET_ERR_CONFLICT,
			    "certificate %s is %s: it was never signed, so "
			    "there is no certificate to show%s%s",
			    cert->serial, signet_cert_status_name(cert->status),
			    cert->failure != NULL ? " (" : "",
			    cert->failure != NULL ? cert->failure : "");
			st = cli_fail(SIGNET_ERR_CONFLICT);
			goto out;
		}
		fwrite(pem, 1, pem_len, stdout);
		st = 0;
		goto out;
	}
	if (json) {
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "serial",
		    cert->serial, "status",
		    cert->status == SIGNET_CERT_ISSUED && cert->not_after < now
			? "expired"
			: signet_cert_status_name(cert->status),
		    "subject", cert->subject, "sans", cert->sans, "profile",
		    cert->profile, "requester", cert->requester, "spki_sha256",
		    cert->spki_sha256);
		put_time(o, "not_before", cert->not_before);
		put_time(o, "not_after", cert->not_after);
		put_time(o, "reserved_at", cert->created_at);
		if (cert->issued_at != 0)
			put_time(o, "issued_at", cert->issued_at);
		if (cert->cert_sha256 != NULL)
			json_object_set_new(o, "cert_sha256",
			    json_string(cert->cert_sha256));
		if (cert->failure != NULL)
			json_object_set_new(o, "failure",
			    json_string(cert->failure));
		if (cert->status == SIGNET_CERT_REVOKED) {
			put_time(o, "revoked_at", cert->revoked_at);
			json_object_set_new(o, "revocation_reason",
			    json_string(signet_crl_reason_name(
				cert->revocation_reason)));
		}
		if (pem != NULL)
			json_object_set_new(o, "pem", json_string(pem));
		if ((s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) !=
		    NULL)
			printf("%s\n", s);
		free(s);
		st = 0;
		goto out;
	}
	time_format((time_t)cert->not_before, t1);
	time_format((time_t)cert->not_after, t2);
	printf("serial:      %s\nstatus:      %s\nsubject:     %s\n"
	       "names:       %s\nprofile:     %s\nvalidity:    %s .. %s\n"
	       "requester:   %s\n",
	    cert->serial,
	    cert->status == SIGNET_CERT_ISSUED && cert->not_after < now
		? "expired"
		: signet_cert_status_name(cert->status),
	    cert->subject[0] != '\0' ? cert->subject : "(empty)",
	    cert->sans[0] != '\0' ? cert->sans : "(none)", cert->profile, t1,
	    t2, cert->requester);
	time_format((time_t)cert->created_at, t1);
	printf("reserved:    %s\n", t1);
	if (cert->issued_at != 0) {
		time_format((time_t)cert->issued_at, t1);
		printf("issued:      %s\nsha256:      %s\n", t1,
		    cert->cert_sha256 != NULL ? cert->cert_sha256 : "?");
	}
	if (cert->status == SIGNET_CERT_REVOKED) {
		time_format((time_t)cert->revoked_at, t1);
		printf("revoked:     %s (%s)\n", t1,
		    signet_crl_reason_name(cert->revocation_reason));
	}
	if (cert->failure != NULL)
		printf("failure:     %s\n", cert->failure);
	st = 0;
out:
	json_decref(o);
	free(pem);
	signet_store_cert_free(cert);
	signet_ca_free(ca);
	return st;
}
