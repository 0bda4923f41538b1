/*
 * signet issue: one certificate from a CSR, or every CSR of a directory
 * in one process (group commit, worker threads).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "signet/ca.h"
#include "util/codec.h"
#include "util/file.h"

/* The names a CSR file may end in; the certificate is <stem>.crt. */
static const char *const csr_suffixes[] = { ".csr.pem", ".req.pem", ".csr",
	".req", ".pem", ".der" };

static void
issue_usage(FILE *f)
{
	fprintf(f,
	    "usage: signet issue --profile NAME --csr FILE [--out FILE] "
	    "[--chain]\n"
	    "                    [--days N] [--force] [--json] [--config "
	    "FILE]\n"
	    "       signet issue --profile NAME --batch DIR --out-dir DIR "
	    "[--chain]\n"
	    "                    [--days N] [--force] [--json] [--config "
	    "FILE]\n"
	    "\n"
	    "Check each CSR against the profile, and issue: the serial is "
	    "reserved in the\n"
	    "database and the intent logged before the token signs; the "
	    "certificate file\n"
	    "is written (atomically) only once the database records it.\n"
	    "\n"
	    "  --profile NAME  a profile of the instance's policy\n"
	    "  --csr FILE      the request (PEM or DER; '-' reads standard "
	    "input)\n"
	    "  --out FILE      where the certificate goes (PEM); '-' is "
	    "standard output.\n"
	    "                  Default: <CSR name without .csr/.req/.pem/"
	    ".der>.crt beside\n"
	    "                  the CSR (standard output for --csr -)\n"
	    "  --batch DIR     every *.csr, *.req, *.pem and *.der file of "
	    "DIR, in one run;\n"
	    "                  rejected CSRs are reported, one per line, and "
	    "do not stop it\n"
	    "  --out-dir DIR   where --batch writes <stem>.crt for each "
	    "CSR\n"
	    "  --chain         the file holds the certificate and the CA "
	    "chain above it\n"
	    "                  (not the root): what a TLS server sends\n"
	    "  --days N        validity in days (default: the profile's)\n"
	    "  --force         replace an existing output that is not a "
	    "certificate of\n"
	    "                  this CA (a file of the instance is never "
	    "replaced)\n"
	    "  --json          machine-readable result on standard output\n"
	    "  --config FILE   the instance (default $SIGNET_CONFIG or "
	    "./signet.yaml)\n"
	    "\n"
	    "Exit status: 0 all issued; 10 a CSR was refused by the policy "
	    "(11: a lint);\n"
	    "with --batch, 10 when any CSR was rejected and the rest issued; "
	    "50 issued and\n"
	    "recorded but a file could not be written (signet show SERIAL "
	    "--pem fetches\n"
	    "it); other statuses stop the run (docs/cli.md).\n");
}

struct issue_args {
	const char *profile;
	const char *csr;
	const char *batch;
	const char *out;
	const char *out_dir;
	const char *config;
	int chain;
	int json;
	int force;
	int64_t validity;
};

/* The CSR file name without its directory and CSR suffix. */
static char *
csr_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len, i, sl;
	char *s;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	for (i = 0; i < sizeof(csr_suffixes) / sizeof(csr_suffixes[0]); i++) {
		sl = strlen(csr_suffixes[i]);
		if (len > sl && strcmp(base + len - sl, csr_suffixes[i]) == 0) {
			len -= sl;
			break;
		}
	}
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, base, len);
	s[len] = '\0';
	return s;
}

static int
is_csr_name(const char *name)
{
	size_t len = strlen(name), sl, i;

	if (name[0] == '.')
		return 0;
	for (i = 0; i < sizeof(csr_suffixes) / sizeof(csr_suffixes[0]); i++) {
		sl = strlen(csr_suffixes[i]);
		if (len > sl && strcmp(name + len - sl, csr_suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

static void
fmt_time(int64_t t, char out[21])
{
	time_format((time_t)t, out);
}

static json_t *
result_json(const struct signet_ca_request *req,
    const struct signet_ca_result *res)
{
	json_t *o = json_object();
	char nb[21], na[21];

	json_object_set_new(o, "csr",
	    json_string(req->name != NULL ? req->name : ""));
	json_object_set_new(o, "issued", json_boolean(res->recorded));
	if (res->serial[0] != '\0')
		json_object_set_new(o, "serial", json_string(res->serial));
	if (res->recorded) {
		fmt_time(res->not_before, nb);
		fmt_time(res->not_after, na);
		json_object_set_new(o, "not_before", json_string(nb));
		json_object_set_new(o, "not_after", json_string(na));
		json_object_set_new(o, "clamped", json_boolean(res->clamped));
		json_object_set_new(o, "file",
		    req->out_path != NULL && res->written
			? json_string(req->out_path)
			: json_null());
	}
	if (res->status != 0) {
		json_object_set_new(o, "status",
		    json_integer(signet_exit_code(res->status)));
		json_object_set_new(o, "error",
		    json_string(res->message != NULL
				    ? res->message
				    : signet_strerror(res->status)));
	} else
		json_object_set_new(o, "status", json_integer(0));
	return o;
}

static void
json_print(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* ---- one CSR ------------------------------------------------------------- */

static int
issue_one(const struct issue_args *a)
{
	struct signet_ca *ca = NULL;
	struct signet_ca_request req;
	struct signet_ca_result res;
	char *stem = NULL, *dir = NULL, *out = NULL, *pem = NULL;
	size_t pem_len = 0;
	char na[21];
	int to_stdout, st, r, cr;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	to_stdout = (a->out != NULL && strcmp(a->out, "-") == 0) ||
		    (a->out == NULL && strcmp(a->csr, "-") == 0);
	if (!to_stdout && a->out == NULL &&
	    ((stem = csr_stem(a->csr)) == NULL ||
		(dir = file_dirname(a->csr)) == NULL ||
		asprintf(&out, "%s/%s.crt", dir, stem) == -1)) {
		out = NULL;
		signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		st = cli_fail(SIGNET_ERR_INTERNAL);
		goto out;
	}
	req.name = a->csr;
	req.csr_path = a->csr;
	req.profile = a->profile;
	req.validity = a->validity;
	req.out_path = to_stdout ? NULL : (a->out != NULL ? a->out : out);
	req.out_chain = a->chain;
	if ((st = cli_ca_open(a->config,
		 SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY, &ca)) != 0)
		goto out;
	/* Before anything is reserved or signed. */
	if (req.out_path != NULL &&
	    (r = signet_ca_output_check(ca, req.out_path, a->force)) != 0) {
		st = cli_fail(r);
		goto close;
	}
	r = signet_ca_issue(ca, &req, &res);
	if (a->json && !to_stdout) {
		json_t *o = result_json(&req, &res);

		json_print(o);
		json_decref(o);
	}
	if (r != 0) {
		/* The message names the reason, and the fetch command. */
		st = cli_fail(r);
		goto close;
	}
	fmt_time(res.not_after, na);
	if (to_stdout) {
		if (signet_ca_pem(ca, res.der, res.der_len, a->chain, &pem,
			&pem_len) != 0 ||
		    fwrite(pem, 1, pem_len, stdout) != pem_len ||
		    fflush(stdout) != 0) {
			signet_error_set(SIGNET_ERR_IO,
			    "certificate %s was issued and recorded, but could "
			    "not be written to standard output; fetch it with: "
			    "signet show %s --pem",
			    res.serial, res.serial);
			st = cli_fail(SIGNET_ERR_IO);
			goto close;
		}
		fprintf(stderr,
		    "signet: issued certificate %s (profile %s), valid until "
		    "%s%s\n",
		    res.serial, a->profile, na,
		    res.clamped ? " (cut to the CA certificate's end)" : "");
	} else if (!a->json)
		printf("issued certificate %s (profile %s), valid until %s%s\n"
		       "  written to %s\n",
		    res.serial, a->profile, na,
		    res.clamped ? " (cut to the CA certificate's end)" : "",
		    req.out_path);
	st = 0;
close:
	/* A failing close (the audit log) is reported after the rest. */
	if ((cr = cli_ca_close(ca)) != 0 && st == 0)
		st = cr;
out:
	free(pem);
	signet_ca_result_clear(&res);
	free(stem);
	free(dir);
	free(out);
	return st;
}

/* ---- a directory of CSRs ----------------------------------------------------
 */

struct batch {
	char **names;  /* CSR paths */
	char **outs;   /* certificate paths */
	int *collides; /* output name taken by an earlier CSR */
	size_t n;
	int progress;
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct out_ref {
	const char *out;
	size_t i; /* position in the batch */
};

static int
out_ref_cmp(const void *a, const void *b)
{
	const struct out_ref *x = a, *y = b;
	int c = strcmp(x->out, y->out);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * a.csr and a.pem would both write a.crt: every CSR whose output name an
 * earlier CSR of the batch takes is marked. Sorted, not pairwise: a
 * batch of 10,000 CSRs would otherwise make 50 million comparisons.
 */
static int
batch_mark_collisions(struct batch *b)
{
	struct out_ref *refs;
	size_t i;

	if (b->n < 2)
		return 0;
	if ((refs = calloc(b->n, sizeof(*refs))) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		refs[i].out = b->outs[i];
		refs[i].i = i;
	}
	qsort(refs, b->n, sizeof(*refs), out_ref_cmp);
	for (i = 1; i < b->n; i++)
		if (strcmp(refs[i - 1].out, refs[i].out) == 0)
			b->collides[refs[i].i] = 1;
	free(refs);
	return 0;
}

static void
batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->names[i]);
		/* Not made yet when the scan ran out of memory. */
		if (b->outs != NULL)
			free(b->outs[i]);
	}
	free(b->names);
	free(b->outs);
	free(b->collides);
}

static int
batch_scan(const char *dir, const char *out_dir, struct batch *b)
{
	int r = SIGNET_ERR_INTERNAL;
	struct dirent *de;
	struct stat st;
	char *path, *stem, **grown;
	size_t cap = 0, i;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return signet_error_sys(SIGNET_ERR_IO,
		    "cannot read directory %s (--batch)", dir);
	while ((de = readdir(d)) != NULL) {
		if (!is_csr_name(de->d_name))
			continue;
		if ((path = file_path_join(dir, de->d_name)) == NULL)
			goto oom;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (b->n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((grown = realloc(b->names, cap * sizeof(*grown))) ==
			    NULL) {
				free(path);
				goto oom;
			}
			b->names = grown;
		}
		b->names[b->n++] = path;
	}
	closedir(d);
	d = NULL;
	if (b->n > 1)
		qsort(b->names, b->n, sizeof(*b->names), name_cmp);
	if ((b->outs = calloc(b->n + 1, sizeof(*b->outs))) == NULL ||
	    (b->collides = calloc(b->n + 1, sizeof(*b->collides))) == NULL)
		goto oom;
	for (i = 0; i < b->n; i++) {
		if ((stem = csr_stem(b->names[i])) == NULL ||
		    asprintf(&b->outs[i], "%s/%s.crt", out_dir, stem) == -1) {
			b->outs[i] = NULL;
			free(stem);
			goto oom;
		}
		free(stem);
	}
	if (batch_mark_collisions(b) != 0)
		goto oom;
	return 0;
oom:
	r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (d != NULL)
		closedir(d);
	return r;
}

static void
progress_cb(void *arg, size_t done, size_t total)
{
	struct batch *b = arg;
	int width = 40, fill;

	if (!b->progress || total == 0)
		return;
	fill = (int)((double)done / (double)total * width);
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu", fill,
	    "########################################", width - fill, "", done,
	    total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int
issue_batch(const struct issue_args *a)
{
	struct signet_ca *ca = NULL;
	struct signet_ca_request *reqs = NULL;
	struct signet_ca_result *res = NULL;
	struct batch b;
	size_t i, issued = 0, rejected = 0, unwritten = 0;
	int st = 0, r, cr;
	json_t *list = NULL, *o;

	memset(&b, 0, sizeof(b));
	b.progress = cli_interactive() && !a->json;
	if (file_mkdir(a->out_dir, 0755) != 0)
		return cli_fail(SIGNET_ERR_IO);
	if ((r = batch_scan(a->batch, a->out_dir, &b)) != 0) {
		st = cli_fail(r);
		goto out;
	}
	if (b.n == 0) {
		signet_error_set(SIGNET_ERR_USAGE,
		    "no CSR files (*.csr, *.req, *.pem, *.der) in %s",
		    a->batch);
		st = cli_fail(SIGNET_ERR_USAGE);
		goto out;
	}
	if ((reqs = calloc(b.n, sizeof(*reqs))) == NULL ||
	    (res = calloc(b.n, sizeof(*res))) == NULL) {
		signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		st = cli_fail(SIGNET_ERR_INTERNAL);
		goto out;
	}
	for (i = 0; i < b.n; i++) {
		reqs[i].name = b.names[i];
		reqs[i].csr_path = b.names[i];
		reqs[i].profile = a->profile;
		reqs[i].validity = a->validity;
		reqs[i].out_path = b.outs[i];
		reqs[i].out_chain = a->chain;
	}
	/* Colliding outputs are left out before anything is reserved. */
	for (i = 0; i < b.n; i++)
		if (b.collides[i])
			reqs[i].csr_path = NULL;
	if ((st = cli_ca_open(a->config,
		 SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY, &ca)) != 0)
		goto out;
	/* Every output is judged before anything is reserved or signed. */
	for (i = 0; i < b.n; i++)
		if (!b.collides[i] && (r = signet_ca_output_check(ca, b.outs[i],
					   a->force)) != 0) {
			st = cli_fail(r);
			(void)cli_ca_close(ca);
			goto out;
		}
	r = signet_ca_issue_batch(ca, reqs, b.n, res, progress_cb, &b);
	if (a->json)
		list = json_array();
	for (i = 0; i < b.n; i++) {
		if (b.collides[i]) {
			free(res[i].message);
			if (asprintf(&res[i].message,
				"its certificate would be %s, which another "
				"CSR of the batch writes; rename one",
				b.outs[i]) == -1)
				res[i].message = NULL;
			res[i].status = SIGNET_ERR_USAGE;
		}
		if (res[i].recorded)
			issued++;
		if (res[i].recorded && !res[i].written)
			unwritten++;
		if (!res[i].recorded && r == 0)
			rejected++;
		if (list != NULL) {
			json_array_append_new(list,
			    result_json(&reqs[i], &res[i]));
			continue;
		}
		if (res[i].recorded && res[i].written)
			printf("%s %s\n", res[i].serial, b.outs[i]);
		else if (res[i].status != 0 && (r == 0 || res[i].recorded))
			fprintf(stderr, "signet: %s %s: %s\n",
			    res[i].recorded ? "not written" : "rejected",
			    b.names[i],
			    res[i].message != NULL ? res[i].message : "?");
	}
	if (list != NULL) {
		o = json_pack("{s:I,s:I,s:I,s:o}", "issued", (json_int_t)issued,
		    "rejected", (json_int_t)rejected, "unwritten",
		    (json_int_t)unwritten, "results", list);
		json_print(o);
		json_decref(o);
	} else
		fprintf(stderr,
		    "signet: issued %zu of %zu certificates into %s%s\n",
		    issued, b.n, a->out_dir,
		    rejected > 0 ? " (rejected CSRs are listed above)" : "");
	if (r != 0)
		st = cli_fail(r);
	else if (unwritten > 0)
		st = signet_exit_code(SIGNET_ERR_IO);
	else if (rejected > 0)
		st = signet_exit_code(SIGNET_ERR_POLICY);
	if ((cr = cli_ca_close(ca)) != 0 && st == 0)
		st = cr;
out:
	if (res != NULL)
		for (i = 0; i < b.n; i++)
			signet_ca_result_clear(&res[i]);
	free(res);
	free(reqs);
	batch_free(&b);
	return st;
}

int
cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "csr", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "out", required_argument, NULL, 'o' },
		{ "out-dir", required_argument, NULL, 'O' },
		{ "chain", no_argument, NULL, 'C' },
		{ "days", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'F' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct issue_args a;
	char *end;
	long days;
	int c;

	memset(&a, 0, sizeof(a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a.profile = optarg;
			break;
		case 'c':
			a.csr = optarg;
			break;
		case 'b':
			a.batch = optarg;
			break;
		case 'o':
			a.out = optarg;
			break;
		case 'O':
			a.out_dir = optarg;
			break;
		case 'C':
			a.chain = 1;
			break;
		case 'd':
			errno = 0;
			days = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || days < 1 ||
			    days > 36500)
				return cli_usage("issue",
				    "--days '%s' is not a number of days",
				    optarg);
			a.validity = (int64_t)days * 86400;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'F':
			a.force = 1;
			break;
		case 'f':
			a.config = optarg;
			break;
		case 'h':
			issue_usage(stdout);
			return 0;
		default:
			return cli_usage("issue", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("issue", "unexpected argument '%s'",
		    argv[optind]);
	if (a.profile == NULL)
		return cli_usage("issue", "--profile is required");
	if ((a.csr == NULL) == (a.batch == NULL))
		return cli_usage("issue", "give either --csr FILE or --batch "
					  "DIR");
	if (a.batch != NULL && (a.out_dir == NULL || a.out != NULL))
		return cli_usage("issue",
		    "--batch writes into --out-dir DIR (not --out)");
	if (a.csr != NULL && a.out_dir != NULL)
		return cli_usage("issue", "--out-dir goes with --batch; use "
					  "--out FILE with --csr");
	return a.batch != NULL ? issue_batch(&a) : issue_one(&a);
}
