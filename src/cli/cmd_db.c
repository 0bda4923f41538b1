/*
 * signet db: check the database against itself and the audit log; bring
 * its schema forward; export it, import it, copy it to another database.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	    "       signet db migrate [--config FILE]\n"
	    "       signet db export FILE [--config FILE]\n"
	    "       signet db import FILE [--config FILE]\n"
	    "       signet db copy --to URL [--to-password-source SRC] "
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
	    "needs attention.\n"
	    "\n"
	    "migrate brings the database's schema to this signet's version "
	    "in one\n"
	    "transaction (other commands do it on their own for SQLite; "
	    "run it once,\n"
	    "deliberately, when several nodes share a PostgreSQL "
	    "database).\n"
	    "export writes every record to a new file (JSON Lines, mode "
	    "0600) with row\n"
	    "counts and a content hash; import loads such a file into the "
	    "configured\n"
	    "database, which must be empty; copy writes the configured "
	    "database into\n"
	    "another one (e.g. from SQLite to PostgreSQL), which must be "
	    "empty. Both\n"
	    "commit only if the destination, read back, has the source's "
	    "counts and hash.\n"
	    "Stop issuing while they run.\n",
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
	case SIGNET_PROBLEM_KEY_BLOCKED_UNREVOKED:
		return "key-blocked-unrevoked";
	case SIGNET_PROBLEM_AUDIT_MISMATCH:
		return "audit-mismatch";

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

/* Progress on stderr when it is a terminal, every 10,000 rows. */
static int
progress_cb(const char *table, int64_t done, int64_t total, void *arg)
{
	(void)arg;
	if (done % 10000 != 0 && done != total)
		return 0;
	if (total >= 0)
		fprintf(stderr, "\r%s: %lld of %lld", table, (long long)done,
		    (long long)total);
	else
		fprintf(stderr, "\r%s: %lld", table, (long long)done);
	if (done == total)
		fputc('\n', stderr);
	return 0;
}

static void
print_inventory(const char *what, struct signet_store *st)
{
	struct signet_store_inventory inv = { 0 };
	char hash[65];

	if (signet_store_content_hash(st, &inv, hash) != 0)
		return;
	printf("%s: %lld issuer(s), %lld certificate(s), %lld CRL(s), "
	       "%lld blocked key(s); content sha256 %s\n",
	    what, (long long)inv.issuers, (long long)inv.certificates,
	    (long long)inv.crls, (long long)inv.blocked_keys, hash);
}

/* signet db migrate | export FILE | import FILE | copy --to URL */
static int
db_move(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "to-password-source", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct signet_store_options dst_opts;
	struct signet_ca_config *cfg = NULL;
	struct signet_store *st = NULL, *dst = NULL;
	const char *sub = argv[0], *config = NULL, *to = NULL, *file = NULL;
	const char *to_pw = NULL;
	signet_store_progress_cb cb;
	char *path = NULL;
	int c, r, before;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			config = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'p':
			to_pw = optarg;
			break;
		case 'h':
			db_usage(stdout);
			return 0;
		default:
			return cli_usage("db", "unknown option");
		}
	}
	if (strcmp(sub, "export") == 0 || strcmp(sub, "import") == 0) {
		if (optind + 1 != argc)
			return cli_usage("db", "%s needs one FILE", sub);
		file = argv[optind];
	} else if (optind != argc)
		return cli_usage("db", "unexpected argument '%s'",
		    argv[optind]);
	if ((to != NULL || to_pw != NULL) != (strcmp(sub, "copy") == 0))
		return cli_usage("db",
		    strcmp(sub, "copy") == 0
			? "copy needs --to URL"
			: "--to and --to-password-source are for copy");
	cb = isatty(STDERR_FILENO) ? progress_cb : NULL;
	if ((r = signet_ca_config_locate(config, &path)) != 0 ||
	    (r = signet_ca_config_load(path, &cfg)) != 0 ||
	    (r = signet_ca_store_open(cfg, strcmp(sub, "migrate") == 0, &st)) !=
		0)
		goto out;
	if (strcmp(sub, "migrate") == 0) {
		before = signet_store_schema_version(st);
		if ((r = signet_store_migrate(st)) != 0)
			goto out;
		if (before == signet_store_schema_version(st))
			printf("%s is at schema version %d: nothing to do\n",
			    cfg->database, before);
		else
			printf("%s: schema version %d -> %d\n", cfg->database,
			    before, signet_store_schema_version(st));
	} else if (strcmp(sub, "export") == 0) {
		if ((r = signet_store_export(st, file, cb, NULL)) != 0)
			goto out;
		print_inventory(file, st);
	} else if (strcmp(sub, "import") == 0) {
		if ((r = signet_store_import(st, file, cb, NULL)) != 0)
			goto out;
		print_inventory(cfg->database, st);
	} else {
		memset(&dst_opts, 0, sizeof(dst_opts));
		dst_opts.password_source = to_pw;
		if ((r = signet_store_open_with(to, &dst_opts, &dst)) != 0 ||
		    (r = signet_store_copy(st, dst, cb, NULL)) != 0)
			goto out;
		print_inventory(to, dst);
	}
	r = 0;
out:
	signet_store_free(dst);
	signet_store_free(st);
	signet_ca_config_free(cfg);
	free(path);
	return r == 0 ? 0 : cli_fail(r);
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
	if (strcmp(argv[1], "migrate") == 0 || strcmp(argv[1], "export") == 0 ||
	    strcmp(argv[1], "import") == 0 || strcmp(argv[1], "copy") == 0)
		return db_move(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") != 0)
		return cli_usage("db",
		    "unknown subcommand '%s' (check, migrate, export, "
		    "import, copy)",
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
