/* signet db check: the database against itself and the audit log. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "signet/ca.h"

#define DB_GRACE_DEFAULT 600

static void
db_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet db check [--resolve] [--grace SECONDS] [--json] "
	    "[--config FILE]\n"
	    "\n"
	    "Check the database: rows a crash left pending, certificates and "
	    "CRLs whose\n"
	    "stored DER disagrees with their rows (or, with the CA key, "
	    "does not verify),\n"
	    "CRL numbers allocated but never recorded, keyCompromise without "
	    "a blocked key,\n"
	    "times later than now, and the database engine's own check. "
	    "Every pending\n"
	    "row is looked up in the audit log (was its issuance announced? "
	    "did it end?)\n"
	    "and comes with what to do.\n"
	    "\n"
	    "  --resolve        mark the pending rows whose issuance never "
	    "completed as\n"
	    "                   failed (audited; logs in to the audit key). "
	    "Safe: a\n"
	    "                   certificate is written anywhere only after "
	    "its row is\n"
	    "                   ISSUED, so a pending one was never "
	    "delivered\n"
	    "  --grace SECONDS  leave rows younger than this alone: they may "
	    "belong to an\n"
	    "                   issuance running now (default %d)\n"
	    "  --json           machine-readable\n"
	    "  --config FILE    the instance\n"
	    "\n"
	    "Exit status: 0 nothing wrong (notices aside); 31 something "
	    "needs attention.\n",
	    DB_GRACE_DEFAULT);
}

static const char *
kind_name(enum signet_store_problem_kind k)
{
	switch (k) {
	case SIGNET_PROBLEM_PENDING:
		return "pending";
	case SIGNET_PROBLEM_CERT_MISMATCH:
		return "certificate-mismatch";
	case SIGNET_PROBLEM_CRL_UNRECORDED:
		return "crl-unrecorded";
	case SIGNET_PROBLEM_CRL_MISMATCH:
		return "crl-mismatch";
	case SIGNET_PROBLEM_KEY_NOT_BLOCKED:
		return "key-not-blocked";
	case SIGNET_PROBLEM_FUTURE:
		return "future";
	case SIGNET_PROBLEM_INTEGRITY:
		return "integrity";
	default:
		return "unknown";
	}
}

static const char *
audit_name(enum signet_ca_audit_state s)
{
	switch (s) {
	case SIGNET_CA_AUDIT_NO_INTENT:
		return "no-intent";
	case SIGNET_CA_AUDIT_INTENT_ONLY:
		return "intent-only";
	case SIGNET_CA_AUDIT_FAILED:
		return "failed";
	case SIGNET_CA_AUDIT_ISSUED:
		return "issued";
	case SIGNET_CA_AUDIT_NA:
	default:
		return NULL;
	}
}

static int
finding_cb(const struct signet_ca_finding *fd, void *arg)
{
	json_t *list = arg, *o;
	const struct signet_store_problem *p = fd->problem;
	const char *a = audit_name(fd->audit);

	if (list != NULL) {
		o = json_pack("{s:s,s:s,s:s,s:b,s:b,s:b}", "kind",
		    kind_name(p->kind), "detail", p->detail, "advice",
		    fd->advice, "resolvable", fd->resolvable, "resolved",
		    fd->resolved, "notice", fd->notice);
		if (o == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		if (p->serial != NULL)
			json_object_set_new(o, "serial",
			    json_string(p->serial));
		if (p->crl_number != 0)
			json_object_set_new(o, "crl_number",
			    json_integer(p->crl_number));
		if (a != NULL)
			json_object_set_new(o, "audit", json_string(a));
		json_array_append_new(list, o);
		return 0;
	}
	printf("%s %s%s%s\n  %s\n",
	    fd->notice ? "notice:" : "PROBLEM:", kind_name(p->kind),
	    p->serial != NULL    ? " serial "
	    : p->crl_number != 0 ? " CRL "
				 : "",
	    p->serial != NULL ? p->serial : "", p->detail);
	if (p->serial == NULL && p->crl_number != 0)
		printf("  CRL number %lld\n", (long long)p->crl_number);
	if (a != NULL)
		printf("  audit log: %s\n", a);
	printf("  %s: %s\n", fd->resolved ? "resolved" : "do", fd->advice);
	return 0;
}

int
cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resolve", no_argument, NULL, 'r' },
		{ "grace", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct signet_ca_check_opts o;
	struct signet_ca_check_summary sum;
	struct signet_ca *ca = NULL;
	const char *config = NULL;
	json_t *list = NULL, *out;
	int c, r, st, json = 0;
	char *end, *s;
	long grace;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		db_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? signet_exit_code(SIGNET_ERR_USAGE) : 0;
	}
	if (strcmp(argv[1], "check") != 0)
		return cli_usage("db", "unknown subcommand '%s' (check)",
		    argv[1]);
	memset(&o, 0, sizeof(o));
	o.grace = DB_GRACE_DEFAULT;
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.resolve = 1;
			break;
		case 'g':
			errno = 0;
			grace = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || grace < 0)
				return cli_usage("db check",
				    "--grace '%s' is not a number of seconds",
				    optarg);
			o.grace = grace;
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			db_usage(stdout);
			return 0;
		default:
			return cli_usage("db check", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("db check", "unexpected argument '%s'",
		    argv[optind]);
	if ((st = cli_ca_open(config, o.resolve ? SIGNET_CA_OPEN_AUDIT : 0,
		 &ca)) != 0)
		return st;
	if (json && (list = json_array()) == NULL) {
		signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		st = cli_fail(SIGNET_ERR_INTERNAL);
		goto out;
	}
	if ((r = signet_ca_check(ca, &o, finding_cb, list, &sum)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if (json) {
		out = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:O}", "ok",
		    sum.unresolved == 0, "problems", (json_int_t)sum.problems,
		    "pending", (json_int_t)sum.pending, "resolved",
		    (json_int_t)sum.resolved, "notices",
		    (json_int_t)sum.notices, "unresolved",
		    (json_int_t)sum.unresolved, "findings", list);
		if (out != NULL &&
		    (s = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS)) !=
			NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(out);
	} else if (sum.unresolved == 0)
		printf("ok: the database is consistent (%zu finding(s): %zu "
		       "resolved, %zu notice(s))\n",
		    sum.problems, sum.resolved, sum.notices);
	else
		printf("FAILED: %zu problem(s) need attention (%zu resolved, "
		       "%zu notice(s))\n",
		    sum.unresolved, sum.resolved, sum.notices);
	st = sum.unresolved == 0 ? 0 : signet_exit_code(SIGNET_ERR_VERIFY);
out:
	json_decref(list);
	if (ca != NULL) {
		r = cli_ca_close(ca);
		if (st == 0)
			st = r;
	}
	return st;
}
