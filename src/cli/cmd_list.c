/* signet list: the certificates the CA reserved, issued, revoked. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* A JSON string (RFC 8259 7), escaped as jansson escapes it. */
static void
list_json_string(const char *v)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)(v != NULL ? v : ""); *p != '\0'; p++)
		switch (*p) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\b':
			fputs("\\b", stdout);
			break;
		case '\f':
			fputs("\\f", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
			break;
		}
	putchar('"');
}

/*
 * One row: for --jsonl a compact object on a line, for --json an element
 * of the array laid out as json_dumps(JSON_INDENT(2) | JSON_SORT_KEYS)
 * lays out a whole array. Written directly, members in name order: the
 * rows are streamed, and building a jansson object per row cost more than
 * reading it.
 */
static void
list_put_json(struct list_ctx *l, const char *const (*m)[2], size_t n)
{
	const char *sep = l->format == LIST_JSONL ? "," : ",\n    ";
	size_t i;

	if (l->format == LIST_JSON)
		fputs(l->n == 0 ? "[\n  {\n    " : ",\n  {\n    ", stdout);
	else
		putchar('{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs(sep, stdout);
		list_json_string(m[i][0]);
		fputs(l->format == LIST_JSONL ? ":" : ": ", stdout);
		list_json_string(m[i][1]);
	}
	fputs(l->format == LIST_JSONL ? "}\n" : "\n  }", stdout);
	l->n++;
}

static int
list_cb(const struct signet_store_cert *c, void *arg)
{
	struct list_ctx *l = arg;
	int64_t now = (int64_t)time(NULL);
	char na[21], nb[21], ra[21];
	const char *m[12][2];
	size_t n = 0;

	time_format((time_t)c->not_after, na);
	if (l->format == LIST_TEXT) {
		l->n++;
		printf("%-40s %-8s %s %-12s %s\n", c->serial, status_of(c, now),
		    na, c->profile,
		    c->subject[0] != '\0' ? c->subject : "(empty subject)");
		return 0;
	}
	time_format((time_t)c->not_before, nb);
	/* In name order. */
#define MEMBER(k, v) (m[n][0] = (k), m[n][1] = (v), n++)
	if (c->cert_sha256 != NULL)
		MEMBER("cert_sha256", c->cert_sha256);
	if (c->failure != NULL)
		MEMBER("failure", c->failure);
	MEMBER("not_after", na);
	MEMBER("not_before", nb);
	MEMBER("profile", c->profile);
	MEMBER("requester", c->requester);
	if (c->status == SIGNET_CERT_REVOKED) {
		time_format((time_t)c->revoked_at, ra);
		MEMBER("revocation_reason",
		    signet_crl_reason_name(c->revocation_reason));
		MEMBER("revoked_at", ra);
	}
	MEMBER("sans", c->sans);
	MEMBER("serial", c->serial);
	MEMBER("status", status_of(c, now));
	MEMBER("subject", c->subject);
#undef MEMBER
	list_put_json(l, (const char *const(*)[2])m, n);
	return 0;
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
