/*
 * signet audit verify|show|repair: check the audit log's chain and
 * checkpoint signatures, read it, and cut a torn last record.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "cli/cli.h"
#include "signet/audit.h"
#include "signet/ca.h"
#include "util/codec.h"
#include "util/file.h"

#define MAX_FILES 4096

static const char audit_usage[] =
    "usage: signet audit verify --key AUDIT-PUB.pem... [--strict] [--json] "
    "FILE...\n"
    "       signet audit verify --no-signatures [--strict] [--json] "
    "FILE...\n"
    "       signet audit show [--since TIME] [--event TYPE] [--serial S] "
    "[--json] FILE...\n"
    "       signet audit repair FILE\n"
    "       signet audit accept --reason TEXT [--config FILE]\n"
    "\n"
    "verify  check every record, the hash chain across the files (oldest\n"
    "        first, the live log last) and every checkpoint signature with\n"
    "        the audit public key. Exit 0 if intact, 31 on tampering.\n"
    "        --key is required: without it the chain is only self-\n"
    "        consistent, and anyone could have rebuilt it.\n"
    "        --no-signatures checks the chain alone, and says so loudly.\n"
    "        --strict also fails on warnings: records not yet covered by a\n"
    "        checkpoint (a live log always has some), no signatures\n"
    "        checked, files missing at either end.\n"
    "        A log cut exactly after a checkpoint looks complete: compare\n"
    "        the last seq with the one kept elsewhere (docs/audit.md).\n"
    "show    one line per record. --since 2026-11-01T00:00:00Z or 24h\n"
    "        (that long ago); --event cert.issue (that event), or cert\n"
    "        (every cert.* event);\n"
    "        --serial HEX; --json prints the records as they are stored.\n"
    "repair  cut an incomplete last record left by a crash and record what\n"
    "        was removed in an audit.repair record.\n"
    "accept  let the CA extend its audit log although the log no longer\n"
    "        reaches the checkpoint the database recorded (cut, or an\n"
    "        older copy restored) or its last checkpoint is not signed by\n"
    "        the audit key (the key was replaced), after finding out why:\n"
    "        an audit.accept record with the reason says so for good,\n"
    "        and verify reports it. Logs in to the audit key.\n"
    "\n"
    "docs/audit.md describes the format and how to check it by hand.\n";

/* ---- verify ------------------------------------------------------------- */

static int
load_pubkey(const char *path, EVP_PKEY **out)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;

	*out = NULL;
	if ((r = file_read(path, (size_t)SIGNET_FILE_MAX_INPUT, &pem, &len)) !=
	    0)
		goto out;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_INTERNAL, "BIO_new_mem_buf");
		goto out;
	}
	if ((*out = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_USAGE,
		    "%s is not a PEM public key (make one with 'openssl pkey "
		    "-pubout')",
		    path);
		goto out;
	}
	r = 0;
out:
	BIO_free(bio);
	free(pem);
	return r;
}

static json_t *
summary_json(const struct signet_audit_summary *s, const char *const *files,
    size_t nfiles, json_t *warnings)
{
	json_t *o = json_object(), *fl = json_array(), *cp = json_null();
	json_t *err = json_null();
	size_t i;

	for (i = 0; i < nfiles; i++)
		json_array_append_new(fl, json_string(files[i]));
	if (s->last_checkpoint_seq > 0) {
		json_decref(cp);
		cp = json_pack("{s:I,s:s,s:I}", "seq",
		    (json_int_t)s->last_checkpoint_seq, "file",
		    s->last_checkpoint_file, "line",
		    (json_int_t)s->last_checkpoint_line);
	}
	if (s->failed) {
		json_decref(err);
		err = json_pack("{s:s,s:I,s:I,s:s}", "file", s->fail_file,
		    "line", (json_int_t)s->fail_line, "seq",
		    (json_int_t)s->fail_seq, "reason", s->fail_reason);
	}
	json_object_set_new(o, "ok", json_boolean(!s->failed));
	json_object_set_new(o, "files", fl);
	json_object_set_new(o, "records", json_integer((json_int_t)s->records));
	json_object_set_new(o, "checkpoints",
	    json_integer((json_int_t)s->checkpoints));
	json_object_set_new(o, "repairs", json_integer((json_int_t)s->repairs));
	json_object_set_new(o, "first_seq",
	    json_integer((json_int_t)s->first_seq));
	json_object_set_new(o, "last_seq",
	    json_integer((json_int_t)s->last_seq));
	json_object_set_new(o, "first_time", json_string(s->first_time));
	json_object_set_new(o, "last_time", json_string(s->last_time));
	json_object_set_new(o, "last_checkpoint", cp);
	json_object_set_new(o, "uncovered",
	    json_integer((json_int_t)s->uncovered));
	json_object_set_new(o, "unverified",
	    json_integer((json_int_t)s->unverified));
	json_object_set_new(o, "accepts", json_integer((json_int_t)s->accepts));
	json_object_set_new(o, "signatures_checked",
	    json_boolean(s->signatures_checked));
	json_object_set_new(o, "warnings", json_incref(warnings));
	json_object_set_new(o, "error", err);
	return o;
}

static void
add_warning(json_t *warnings, const char *fmt, ...) SIGNET_PRINTF(2, 3);

static void
add_warning(json_t *warnings, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(warnings, json_string(buf));
}

static int
audit_verify(int argc, char **argv)
{
	int r = SIGNET_ERR_INTERNAL, i, json = 0;
	unsigned flags = 0;
	struct signet_audit_verifier *v = NULL;
	const struct signet_audit_summary *s;
	EVP_PKEY *key = NULL;
	const char *files[MAX_FILES], *keys[16];
	size_t nfiles = 0, nkeys = 0, k;
	json_t *warnings = NULL, *out = NULL;
	int status;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			flags |= SIGNET_AUDIT_VERIFY_STRICT;
		else if (strcmp(argv[i], "--no-signatures") == 0)
			flags |= SIGNET_AUDIT_VERIFY_NO_SIGNATURES;
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--key") == 0) {
			if (argv[i + 1] == NULL || nkeys == 16)
				return cli_usage("audit verify",
				    "--key needs a PEM public key file (at "
				    "most 16)");
			keys[nkeys++] = argv[++i];
		} else if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc && nfiles < MAX_FILES; i++)
				files[nfiles++] = argv[i];
			break;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("audit verify", "unknown option %s",
			    argv[i]);
		else if (nfiles < MAX_FILES)
			files[nfiles++] = argv[i];
		else
			return cli_usage("audit verify", "more than %d files",
			    MAX_FILES);
	}
	if (nfiles == 0)
		return cli_usage("audit verify",
		    "name the log files, oldest first");
	/* Without a key anyone could have rebuilt the chain. */
	if (nkeys == 0 && !(flags & SIGNET_AUDIT_VERIFY_NO_SIGNATURES))
		return cli_usage("audit verify",
		    "give the audit public key with --key AUDIT-PUB.pem "
		    "(or --no-signatures to check the chain alone, which "
		    "proves nothing against someone who can rewrite it)");
	if (nkeys > 0 && (flags & SIGNET_AUDIT_VERIFY_NO_SIGNATURES))
		return cli_usage("audit verify",
		    "--key and --no-signatures contradict each other");
	if ((r = signet_audit_verifier_new(flags, &v)) != 0)
		goto out;
	for (k = 0; k < nkeys; k++) {
		if ((r = load_pubkey(keys[k], &key)) != 0 ||
		    (r = signet_audit_verifier_add_key(v, key)) != 0)
			goto out;
		EVP_PKEY_free(key);
		key = NULL;
	}
	r = 0;
	for (k = 0; k < nfiles && r == 0; k++)
		r = signet_audit_verifier_add_file(v, files[k]);
	if (r == 0)
		r = signet_audit_verifier_finish(v);
	if (r != 0 && r != SIGNET_ERR_VERIFY)
		goto out;
	s = signet_audit_verifier_get0_summary(v);
	if ((warnings = json_array()) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (!s->signatures_checked)
		add_warning(warnings,
		    "checkpoint signatures were NOT checked (--no-signatures): "
		    "this shows only that the chain is self-consistent, which "
		    "anyone able to rewrite the log can arrange; verify with "
		    "--key AUDIT-PUB.pem");
	if (s->uncovered > 0 && s->last_checkpoint_seq > 0)
		add_warning(warnings,
		    "%llu record(s) after seq %llu are not yet covered by a "
		    "checkpoint",
		    (unsigned long long)s->uncovered,
		    (unsigned long long)s->last_checkpoint_seq);
	else if (s->uncovered > 0)
		add_warning(warnings,
		    "no checkpoint: none of the %llu record(s) is covered by "
		    "a signature",
		    (unsigned long long)s->uncovered);
	if (s->starts_mid_chain)
		add_warning(warnings,
		    "the log starts at seq %llu (audit.rotate): the files "
		    "before it were not given",
		    (unsigned long long)s->first_seq);
	if (s->rotated_after)
		add_warning(warnings,
		    "the last file was rotated: the file that continues it "
		    "was not given");
	if (s->unverified > 0)
		add_warning(warnings,
		    "%llu record(s), from seq %llu on, were after the last "
		    "checkpoint when a writer opened the log: it could not "
		    "authenticate them (a crash, a writer at work, or records "
		    "someone appended); signet db check compares them with "
		    "the database (signet audit show --event audit.open)",
		    (unsigned long long)s->unverified,
		    (unsigned long long)s->unverified_first_seq);
	if (s->accepts > 0)
		add_warning(warnings,
		    "%llu audit.accept record(s): an operator let a writer "
		    "extend a log it refused (signet audit show --event "
		    "audit.accept)",
		    (unsigned long long)s->accepts);
	if (s->repairs > 0)
		add_warning(warnings,
		    "%llu audit.repair record(s): torn writes were cut "
		    "(signet audit show --event audit.repair)",
		    (unsigned long long)s->repairs);
	if (json) {
		out = summary_json(s, files, nfiles, warnings);
		if (json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) !=
		    0)
			r = signet_error_set(SIGNET_ERR_IO,
			    "cannot write to standard output");
		putchar('\n');
	} else {
		printf("%llu record(s) in %llu file(s), %llu checkpoint(s)",
		    (unsigned long long)s->records,
		    (unsigned long long)s->files,
		    (unsigned long long)s->checkpoints);
		if (s->records > 0)
			printf(", seq %llu to %llu, %s to %s",
			    (unsigned long long)s->first_seq,
			    (unsigned long long)s->last_seq, s->first_time,
			    s->last_time);
		printf("\n");
		if (s->last_checkpoint_seq > 0)
			printf("last checkpoint: seq %llu (%s:%llu)%s\n",
			    (unsigned long long)s->last_checkpoint_seq,
			    s->last_checkpoint_file,
			    (unsigned long long)s->last_checkpoint_line,
			    s->signatures_checked
				? ", signed by a trusted audit key"
				: "");
		fflush(stdout);
		/* After a failure the warnings are noise. */
		for (k = 0; !s->failed && k < json_array_size(warnings); k++)
			cli_warn("%s",
			    json_string_value(json_array_get(warnings, k)));
		if (!s->failed)
			printf("ok: the chain is intact\n");
		else
			printf("FAILED at %s:%llu\n", s->fail_file,
			    (unsigned long long)s->fail_line);
	}
out:
	status = r == 0 ? 0 : cli_fail(r);
	EVP_PKEY_free(key);
	json_decref(out);
	json_decref(warnings);
	signet_audit_verifier_free(v);
	return status;
}

/* ---- show --------------------------------------------------------------- */

struct show_filter {
	int64_t since; /* INT64_MIN: no filter */
	const char *event;
	int event_exact; /* an event's name, else a family: "cert" */
	char serial[128];
	int json;
};

/* Print s as is if it is plain, else as an escaped JSON string. */
static void
print_safe(const char *s)
{
	const char *p;
	json_t *j;
	char *q;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr("._:/@+-,*#", *p) == NULL)
			break;
	if (*p == '\0' && p != s) {
		fputs(s, stdout);
		return;
	}
	j = json_string(s);
	q = j != NULL ? json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII)
		      : NULL;
	fputs(q != NULL ? q : "\"?\"", stdout);
	free(q);
	json_decref(j);
}

static void
print_value(const json_t *v)
{
	char *q;

	if (json_is_string(v)) {
		print_safe(json_string_value(v));
		return;
	}
	q = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS |
			      JSON_ENSURE_ASCII);
	fputs(q != NULL ? q : "?", stdout);
	free(q);
}

static void
print_record(const json_t *rec)
{
	const json_t *actor = json_object_get(rec, "actor");
	const json_t *details = json_object_get(rec, "details");
	const json_t *ops = json_object_get(actor, "operators");
	const char *event = json_string_value(json_object_get(rec, "event"));
	const char *key;
	json_t *m;
	size_t i;
	void *iter;
	const char **keys = NULL;
	size_t n = json_object_size(details), k = 0;

	printf("%s #%lld %s %s ",
	    json_string_value(json_object_get(rec, "time")),
	    (long long)json_integer_value(json_object_get(rec, "seq")), event,
	    json_string_value(json_object_get(rec, "outcome")));
	print_safe(json_string_value(json_object_get(actor, "user")));
	putchar('@');
	print_safe(json_string_value(json_object_get(actor, "host")));
	if (ops != NULL) {
		fputs(" operators=", stdout);
		json_array_foreach(ops, i, m)
		{
			if (i > 0)
				putchar(',');
			print_safe(json_string_value(m));
		}
	}
	/* Details in sorted order, as they are stored. */
	if (n > 0 && (keys = calloc(n, sizeof(*keys))) != NULL) {
		for (iter = json_object_iter((json_t *)details);
		     iter != NULL && k < n;
		     iter = json_object_iter_next((json_t *)details, iter))
			keys[k++] = json_object_iter_key(iter);
		for (i = 0; i < k; i++) {
			size_t j;

			for (j = i + 1; j < k; j++)
				if (strcmp(keys[j], keys[i]) < 0) {
					key = keys[i];
					keys[i] = keys[j];
					keys[j] = key;
				}
		}
		for (i = 0; i < k; i++) {
			if (strcmp(event, "audit.checkpoint") == 0 &&
			    strcmp(keys[i], "sig") == 0)
				continue;
			putchar(' ');
			print_safe(keys[i]);
			putchar('=');
			print_value(json_object_get(details, keys[i]));
		}
	}
	free(keys);
	putchar('\n');
}

/* Lower-case hex without colons or leading zeros. */
static void
serial_normalise(const char *in, char *out, size_t max)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < max; in++) {
		if (*in == ':')
			continue;
		if (n == 0 && *in == '0')
			continue;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
}

static int
show_match(const struct show_filter *f, const json_t *rec)
{
	const char *event = json_string_value(json_object_get(rec, "event"));
	const json_t *serial;
	char norm[128];
	int64_t t;
	size_t n;

	if (f->since != INT64_MIN &&
	    (time_parse_rfc3339(json_string_value(json_object_get(rec, "time")),
		 &t) != 0 ||
		t < f->since))
		return 0;
	if (f->event != NULL) {
		n = strlen(f->event);
		if (f->event_exact ? strcmp(event, f->event) != 0
				   : !(strncmp(event, f->event, n) == 0 &&
					 event[n] == '.'))
			return 0;
	}
	if (f->serial[0] != '\0') {
		serial =
		    json_object_get(json_object_get(rec, "details"), "serial");
		if (!json_is_string(serial))
			return 0;
		serial_normalise(json_string_value(serial), norm, sizeof(norm));
		if (strcmp(norm, f->serial) != 0)
			return 0;
	}
	return 1;
}

static int
event_filter_known(const char *name)
{
	size_t n = strlen(name);
	int i;
	const char *ev;

	for (i = 1; i < SIGNET_AUDIT_EV_COUNT_; i++) {
		ev = signet_audit_event_name((enum signet_audit_event)i);
		if (strcmp(ev, name) == 0 ||
		    (strncmp(ev, name, n) == 0 && ev[n] == '.'))
			return 1;
	}
	return 0;
}

static int
show_file(const struct show_filter *f, const char *path, int *bad)
{
	struct signet_audit_records *it = NULL;
	const json_t *rec;
	const char *line;
	size_t len;
	int n, r;

	if ((r = signet_audit_records_open(path, &it)) != 0)
		return r;
	while ((n = signet_audit_records_next(it, &line, &len, &rec)) != 0) {
		if (n < 0 && n != SIGNET_ERR_VERIFY) {
			signet_audit_records_free(it);
			return n;
		}
		if (n < 0 || rec == NULL) {
			*bad = 1;
			fflush(stdout);
			fprintf(stderr,
			    "signet: %s:%llu: unreadable record: %s\n", path,
			    (unsigned long long)signet_audit_records_lineno(it),
			    signet_error_message());
			if (n < 0)
				break;
			continue;
		}
		if (show_match(f, rec)) {
			if (f->json)
				printf("%.*s\n", (int)len, line);
			else
				print_record(rec);
		}
	}
	signet_audit_records_free(it);
	return 0;
}

static int
audit_show(int argc, char **argv)
{
	struct show_filter f;
	int i, r, bad = 0, nfiles = 0;
	int64_t d;
	time_t t;
	const char *arg;
	enum signet_audit_event ev;

	memset(&f, 0, sizeof(f));
	f.since = INT64_MIN;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			f.json = 1;
			continue;
		}
		if (strcmp(argv[i], "--since") != 0 &&
		    strcmp(argv[i], "--event") != 0 &&
		    strcmp(argv[i], "--serial") != 0) {
			if (argv[i][0] == '-' && argv[i][1] != '\0')
				return cli_usage("audit show",
				    "unknown option %s", argv[i]);
			argv[++nfiles] = argv[i];
			continue;
		}
		if ((arg = argv[i + 1]) == NULL)
			return cli_usage("audit show", "%s needs a value",
			    argv[i]);
		if (strcmp(argv[i], "--since") == 0) {
			if (duration_parse(arg, &d) == 0)
				f.since = (int64_t)time(NULL) - d;
			else if (time_parse(arg, &t) == 0)
				f.since = (int64_t)t;
			else
				return cli_usage("audit show",
				    "--since takes a UTC time like "
				    "2026-11-01T00:00:00Z or a duration like "
				    "24h");
		} else if (strcmp(argv[i], "--event") == 0) {
			if (!event_filter_known(arg))
				return cli_usage("audit show",
				    "'%s' is no audit event or event family "
				    "(docs/audit.md lists them)",
				    arg);
			f.event = arg;
			f.event_exact =
			    signet_audit_event_from_name(arg, &ev) == 0;
		} else {
			serial_normalise(arg, f.serial, sizeof(f.serial));
			if (f.serial[0] == '\0' ||
			    strspn(f.serial, "0123456789abcdef") !=
				strlen(f.serial))
				return cli_usage("audit show",
				    "--serial takes a hexadecimal serial");
		}
		i++;
	}
	if (nfiles == 0)
		return cli_usage("audit show", "name the log files");
	signet_error_clear();
	for (i = 1; i <= nfiles; i++)
		if ((r = show_file(&f, argv[i], &bad)) != 0)
			return cli_fail(r);
	if (bad) {
		fprintf(stderr,
		    "signet: some records could not be read; run 'signet "
		    "audit verify' on these files\n");
		return signet_exit_code(SIGNET_ERR_VERIFY);
	}
	return 0;
}

/* ---- repair ------------------------------------------------------------- */

static int
audit_repair(int argc, char **argv)
{
	size_t removed = 0;
	int r;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage("audit repair", "name one log file");
	if ((r = signet_audit_repair(argv[1], &removed)) != 0)
		return cli_fail(r);
	if (removed == 0)
		printf("%s ends with a complete record: nothing to repair\n",
		    argv[1]);
	else
		printf("%s: removed %zu bytes of an incomplete record, "
		       "recorded in an audit.repair record\n",
		    argv[1], removed);
	return 0;
}

/* ---- accept ------------------------------------------------------------- */

static int
audit_accept(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL, *config = NULL;
	char *path = NULL;
	int c, r, accepted = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			reason = optarg;
			break;
		case 'f':
			config = optarg;
			break;
		default:
			return cli_usage("audit accept", "unknown option");
		}
	}
	if (optind != argc || reason == NULL || *reason == '\0')
		return cli_usage("audit accept",
		    "say why with --reason TEXT (it goes into the log)");
	if ((r = signet_ca_config_locate(config, &path)) != 0)
		return cli_fail(r);
	r = signet_ca_audit_accept(path, reason, &accepted);
	free(path);
	if (r != 0)
		return cli_fail(r);
	printf("%s\n", accepted ? "accepted: an audit.accept record with the "
				  "reason is in the log, and the database "
				  "records its new last checkpoint"
				: "the audit log opened normally: nothing to "
				  "accept");
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(audit_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? signet_exit_code(SIGNET_ERR_USAGE) : 0;
	}
	if (argc > 2 &&
	    (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(audit_usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return audit_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "repair") == 0)
		return audit_repair(argc - 1, argv + 1);
	if (strcmp(argv[1], "accept") == 0)
		return audit_accept(argc - 1, argv + 1);
	return cli_usage("audit", "unknown subcommand '%s'", argv[1]);
}
