/* signet list: the certificates the CA reserved, issued, revoked. */
#include <errno.h>
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
list_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet list [--status STATUS] [--expiring DAYS] "
	    "[--profile NAME]\n"
	    "                   [--json | --jsonl] [--config FILE]\n"
	    "\n"
	    "One line per certificate: serial, status, notAfter, profile, "
	    "subject. Needs\n"
	    "no PIN. Without options: every certificate in the order they "
	    "were reserved.\n"
	    "\n"
	    "  --status STATUS  valid (issued, not expired), revoked, "
	    "expired, pending\n"
	    "                   (reserved, never signed or not yet) or "
	    "failed\n"
	    "  --expiring DAYS  valid certificates whose notAfter falls "
	    "within DAYS days\n"
	    "  --profile NAME   only this profile\n"
	    "  --json           one JSON array, written as the rows are read\n"
	    "  --jsonl          one JSON object per line (JSON Lines)\n"
	    "  --config FILE    the instance\n");
}

enum list_format { LIST_TEXT, LIST_JSON, LIST_JSONL };

/* Rows are written as they are read: a million rows need no more memory. */
struct list_ctx {
	enum list_format format;
	size_t n;
};

static const char *
status_of(const struct signet_store_cert *c, int64_t now)
{
	if (c->status == SIGNET_CERT_ISSUED && c->not_after < now)
		return "expired";
	if (c->status == SIGNET_CERT_ISSUED)
		return "valid";
	return signet_cert_status_name(c->status);
}

/*
 * One row of the listing: for --json an element of the array, laid out as
 * json_dumps lays out a whole array (two more spaces per line).
 */
static int
list_put_json(struct list_ctx *l, const json_t *o)
{
	char *s, *p;

	if ((s = json_dumps(o, l->format == LIST_JSONL
				   ? JSON_COMPACT | JSON_SORT_KEYS
				   : JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (l->format == LIST_JSONL)
		printf("%s\n", s);
	else {
		fputs(l->n == 0 ? "[\n  " : ",\n  ", stdout);
		for (p = s; *p != '\0'; p++) {
			putchar(*p);
			if (*p == '\n')
				fputs("  ", stdout);
		}
	}
	l->n++;
	free(s);
	return 0;
}

static int
list_cb(const struct signet_store_cert *c, void *arg)
{
	struct list_ctx *l = arg;
	int64_t now = (int64_t)time(NULL);
	char na[21], nb[21], ra[21];
	json_t *o;
	int r;

	time_format((time_t)c->not_after, na);
	if (l->format == LIST_TEXT) {
		l->n++;
		printf("%-40s %-8s %s %-12s %s\n", c->serial, status_of(c, now),
		    na, c->profile,
		    c->subject[0] != '\0' ? c->subject : "(empty subject)");
		return 0;
	}
	time_format((time_t)c->not_before, nb);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "serial", c->serial,
	    "status", status_of(c, now), "subject", c->subject, "sans", c->sans,
	    "profile", c->profile, "not_before", nb, "not_after", na,
	    "requester", c->requester);
	if (o == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (c->cert_sha256 != NULL)
		json_object_set_new(o, "cert_sha256",
		    json_string(c->cert_sha256));
	if (c->status == SIGNET_CERT_REVOKED) {
		time_format((time_t)c->revoked_at, ra);
		json_object_set_new(o, "revoked_at", json_string(ra));
		json_object_set_new(o, "revocation_reason",
		    json_string(signet_crl_reason_name(c->revocation_reason)));
	}
	if (c->failure != NULL)
		json_object_set_new(o, "failure", json_string(c->failure));
	r = list_put_json(l, o);
	json_decref(o);
	return r;
}

int
cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "expiring", required_argument, NULL, 'e' },
		{ "profile", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "jsonl", no_argument, NULL, 'l' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		enum signet_store_select select;
	} statuses[] = {
		{ "valid", SIGNET_SELECT_VALID },
		{ "revoked", SIGNET_SELECT_REVOKED },
		{ "expired", SIGNET_SELECT_EXPIRED },
		{ "pending", SIGNET_SELECT_PENDING },
		{ "failed", SIGNET_SELECT_FAILED },
	};
	struct signet_store_filter f;
	struct signet_ca *ca = NULL;
	struct list_ctx l;
	const char *config = NULL;
	int c, r, st, have_status = 0;
	size_t i;
	long days;
	char *end;

	memset(&f, 0, sizeof(f));
	memset(&l, 0, sizeof(l));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]);
			     i++)
				if (strcmp(optarg, statuses[i].name) == 0)
					break;
			if (i == sizeof(statuses) / sizeof(statuses[0]))
				return cli_usage("list",
				    "--status '%s' is not valid, revoked, "
				    "expired, pending or failed",
				    optarg);
			f.select = statuses[i].select;
			have_status = 1;
			break;
		case 'e':
			errno = 0;
			days = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || days < 1 ||
			    days > 36500)
				return cli_usage("list",
				    "--expiring '%s' is not a number of days",
				    optarg);
			f.expiring_within = (int64_t)days * 86400;
			break;
		case 'p':
			f.profile = optarg;
			break;
		case 'j':
		case 'l':
			if (l.format != LIST_TEXT)
				return cli_usage("list",
				    "give --json or --jsonl, not both");
			l.format = c == 'j' ? LIST_JSON : LIST_JSONL;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			list_usage(stdout);
			return 0;
		default:
			return cli_usage("list", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("list", "unexpected argument '%s'",
		    argv[optind]);
	/* Expiring means still valid, unless a status says otherwise. */
	if (f.expiring_within > 0 && !have_status)
		f.select = SIGNET_SELECT_VALID;
	if ((st = cli_ca_open(config, 0, &ca)) != 0)
		return st;
	f.issuer = signet_ca_issuer_id(ca);
	f.now = (int64_t)time(NULL);
	if (l.format == LIST_TEXT)
		printf("%-40s %-8s %-20s %-12s %s\n", "SERIAL", "STATUS",
		    "NOT AFTER", "PROFILE", "SUBJECT");
	if ((r = signet_store_cert_foreach(signet_ca_get0_store(ca), &f,
		 list_cb, &l)) != 0) {
		/* A --json array stays open: no reader takes it as whole. */
		fflush(stdout);
		st = cli_fail(r);
		goto out;
	}
	if (l.format == LIST_JSON)
		fputs(l.n == 0 ? "[]\n" : "\n]\n", stdout);
	st = 0;
out:
	signet_ca_free(ca);
	return st;
}
