/*
 * `signet db check`: the store's own consistency check, with every row a
 * crash left pending looked up in the audit log, and an answer to what
 * the operator should do about it.
 *
 * Why resolving a pending row as FAILED is safe: issuance writes the
 * certificate's DER to the store (ISSUED) before it writes any file or
 * returns the certificate to anyone. A row still PENDING therefore never
 * had its certificate stored, and so never had it delivered: if the token
 * signed it before the crash, that signature died with the process. The
 * serial stays reserved (FAILED rows are never reused).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca_int.h"
#include "util/file.h"

struct found {
	enum signet_store_problem_kind kind;
	char *issuer;
	char *serial;
	int64_t crl_number;
	char *detail;
};

/* What the log says about one serial or CRL number. */
struct trace {
	const char *key; /* serial, or CRL number as text */
	int intent;
	int success;
	int failure;
	long pid;
	int here; /* the intent was written on this host */
};

struct check_ctx {
	struct found *v;
	size_t n, cap;
	/* Findings the audit log says nothing about go straight to cb. */
	signet_ca_finding_fn cb;
	void *arg;
	struct signet_ca_check_summary *sum;
	int cb_r; /* what cb returned, when it stopped the check */
};

static int
found_cb(const struct signet_store_problem *p, void *arg)
{
	struct check_ctx *c = arg;
	struct found *v, *f;
	struct signet_ca_finding fd;

	/* Not kept: a million altered rows need no memory. */
	if (p->kind != SIGNET_PROBLEM_PENDING &&
	    p->kind != SIGNET_PROBLEM_CRL_UNRECORDED) {
		memset(&fd, 0, sizeof(fd));
		fd.problem = p;
		fd.advice = p->detail != NULL ? p->detail : "";
		c->sum->problems++;
		c->sum->unresolved++;
		if (c->cb != NULL && (c->cb_r = c->cb(&fd, c->arg)) != 0)
			return c->cb_r;
		return 0;
	}

	if (c->n == c->cap) {
		size_t cap = c->cap == 0 ? 16 : c->cap * 2;

		if ((v = realloc(c->v, cap * sizeof(*v))) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		c->v = v;
		c->cap = cap;
	}
	f = &c->v[c->n];
	memset(f, 0, sizeof(*f));
	f->kind = p->kind;
	f->crl_number = p->crl_number;
	if ((p->issuer != NULL && (f->issuer = strdup(p->issuer)) == NULL) ||
	    (p->serial != NULL && (f->serial = strdup(p->serial)) == NULL) ||
	    (f->detail = strdup(p->detail != NULL ? p->detail : "")) == NULL) {
		free(f->issuer);
		free(f->serial);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	c->n++;
	return 0;
}

static int
trace_cmp(const void *a, const void *b)
{
	return strcmp(((const struct trace *)a)->key,
	    ((const struct trace *)b)->key);
}

/* Archives "<log>.<12 digits>" sort by first sequence number. */
static int
archive_name(const char *name, const char *base)
{
	size_t bl = strlen(base), i;

	if (strncmp(name, base, bl) != 0 || name[bl] != '.' ||
	    strlen(name + bl + 1) != 12)
		return 0;
	for (i = bl + 1; name[i] != '\0'; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ca_audit_files(const char *log, char ***files_out, size_t *n_out)
{
	int r = SIGNET_ERR_INTERNAL;
	char *dir = NULL, *base, *slash, **files = NULL, **grown;
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = NULL;

	*files_out = NULL;
	*n_out = 0;
	slash = strrchr(log, '/');
	base = slash != NULL ? slash + 1 : (char *)log;
	if ((dir = file_dirname(log)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		r = signet_error_sys(SIGNET_ERR_AUDIT,
		    "cannot read the audit log's directory %s", dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (!archive_name(de->d_name, base))
			continue;
		if ((grown = realloc(files, (n + 2) * sizeof(*files))) ==
		    NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		files = grown;
		if ((files[n] = file_path_join(dir, de->d_name)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(files, n, sizeof(*files), str_cmp);
	if ((grown = realloc(files, (n + 1) * sizeof(*files))) == NULL ||
	    (grown[n] = strdup(log)) == NULL) {
		if (grown != NULL)
			files = grown;
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	files = grown;
	n++;
	*files_out = files;
	*n_out = n;
	files = NULL;
	n = 0;
	r = 0;
out:
	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
	if (d != NULL)
		closedir(d);
	free(dir);
	return r;
}

/* Apply one record of the log to the traces it concerns. */
static void
trace_record(const char *line, size_t len, struct trace *certs, size_t n_certs,
    struct trace *crls, size_t n_crls, const char *host)
{
	json_t *rec, *details, *actor;
	const char *event, *outcome, *key, *h;
	struct trace probe, *t;
	char num[32];
	json_error_t err;
	int is_cert;

	if ((rec = json_loadb(line, len, 0, &err)) == NULL)
		return;
	event = json_string_value(json_object_get(rec, "event"));
	outcome = json_string_value(json_object_get(rec, "outcome"));
	details = json_object_get(rec, "details");
	actor = json_object_get(rec, "actor");
	if (event == NULL || outcome == NULL || details == NULL)
		goto out;
	is_cert = strncmp(event, "cert.issue", 10) == 0;
	if (is_cert) {
		key = json_string_value(json_object_get(details, "serial"));
	} else {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(
			json_object_get(details, "crl_number")));
		key = num;
	}
	if (key == NULL)
		goto out;
	probe.key = key;
	if (is_cert)
		t = n_certs > 0 ? bsearch(&probe, certs, n_certs,
				      sizeof(*certs), trace_cmp)
				: NULL;
	else
		t = n_crls > 0 ? bsearch(&probe, crls, n_crls, sizeof(*crls),
				     trace_cmp)
			       : NULL;
	if (t == NULL)
		goto out;
	if (strcmp(outcome, "intent") == 0) {
		t->intent = 1;
		t->pid =
		    (long)json_integer_value(json_object_get(actor, "pid"));
		h = json_string_value(json_object_get(actor, "host"));
		t->here = h != NULL && strcmp(h, host) == 0;
	} else if (strcmp(outcome, "success") == 0)
		t->success = 1;
	else
		t->failure = 1;
out:
	json_decref(rec);
}

int
ca_audit_lines(const char *log, const char *const *events, ca_line_fn fn,
    void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	char **files = NULL, *line = NULL;
	size_t n_files = 0, i, k, cap = 0;
	ssize_t len;
	FILE *f;

	if ((r = ca_audit_files(log, &files, &n_files)) != 0)
		return r;
	for (i = 0; i < n_files; i++) {
		if ((f = fopen(files[i], "r")) == NULL) {
			r = signet_error_sys(SIGNET_ERR_AUDIT,
			    "cannot read audit log %s", files[i]);
			goto out;
		}
		while ((len = getline(&line, &cap, f)) > 0) {
			/* Canonical JSON: cheap to skip the other events. */
			for (k = 0; events[k] != NULL; k++)
				if (strstr(line, events[k]) != NULL)
					break;
			if (events[k] == NULL)
				continue;
			if ((r = fn(line, (size_t)len, arg)) != 0) {
				fclose(f);
				goto out;
			}
		}
		fclose(f);
	}
	r = 0;
out:
	free(line);
	for (i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	return r;
}

struct scan_arg {
	struct trace *certs, *crls;
	size_t n_certs, n_crls;
	char host[256];
};

static int
scan_line(const char *line, size_t len, void *arg)
{
	struct scan_arg *a = arg;

	trace_record(line, len, a->certs, a->n_certs, a->crls, a->n_crls,
	    a->host);
	return 0;
}

static int
audit_scan(const char *log, struct trace *certs, size_t n_certs,
    struct trace *crls, size_t n_crls)
{
	static const char *const events[] = { "\"event\":\"cert.issue",
		"\"event\":\"crl.generate", NULL };
	struct scan_arg a;

	if (n_certs == 0 && n_crls == 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.certs = certs;
	a.crls = crls;
	a.n_certs = n_certs;
	a.n_crls = n_crls;
	if (gethostname(a.host, sizeof(a.host)) != 0)
		a.host[0] = '\0';
	a.host[sizeof(a.host) - 1] = '\0';
	return ca_audit_lines(log, events, scan_line, &a);
}

static int
pid_alive(long pid)
{
	if (pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int
resolve_pending(struct signet_ca *ca, const char *serial, const char *state)
{
	char reason[256];
	int r;

	snprintf(reason, sizeof(reason),
	    "abandoned after a crash (%s); resolved by signet db check "
	    "--resolve",
	    state);
	if ((r = signet_store_cert_fail(ca->store, ca->issuer_id, serial,
		 reason, (int64_t)time(NULL))) != 0)
		return r;
	if ((r = ca_audit(ca, SIGNET_AUDIT_EV_CERT_ISSUE, SIGNET_AUDIT_FAILURE,
		 json_pack("{s:s,s:s,s:s,s:s}", "serial", serial, "reason",
		     reason, "resolution", "db check --resolve", "requester",
		     ca->requester))) != 0)
		return r;
	return 0;
}

int
signet_ca_check(struct signet_ca *ca, const struct signet_ca_check_opts *o,
    signet_ca_finding_fn cb, void *arg, struct signet_ca_check_summary *sum)
{
	int r = SIGNET_ERR_INTERNAL, any_resolved = 0;
	struct signet_store_check_opts so;
	struct check_ctx c;
	struct trace *certs = NULL, *crls = NULL, probe, *t;
	struct signet_ca_finding fd;
	struct signet_store_problem p;
	EVP_PKEY *key = X509_get0_pubkey(ca->cert);
	char(*nums)[32] = NULL;
	size_t n_certs = 0, n_crls = 0, i, n_problems = 0;
	char advice[1024];

	memset(&c, 0, sizeof(c));
	memset(sum, 0, sizeof(*sum));
	if (o->resolve && ca->audit == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "resolving needs an instance opened with "
		    "SIGNET_CA_OPEN_AUDIT");
	/* Every row is read once: at 1,000,000 rows, 237 MB -> 184 MB. */
	if ((r = signet_store_set_scan(ca->store)) != 0)
		return r;
	memset(&so, 0, sizeof(so));
	so.now = (int64_t)time(NULL);
	/*
	 * The store skips rows younger than grace seconds (created_at <
	 * now - grace, in whole seconds): grace 0 means every row, including
	 * those of the current second.
	 */
	so.grace = o->grace > 0 ? o->grace : -1;
	so.issuer_keys = &key;
	so.n_issuer_keys = key != NULL ? 1 : 0;
	c.cb = cb;
	c.arg = arg;
	c.sum = sum;
	if ((r = signet_store_check(ca->store, &so, found_cb, &c,
		 &n_problems)) != 0 ||
	    (r = c.cb_r) != 0)
		goto out;
	if (c.n > 0 && ((certs = calloc(c.n, sizeof(*certs))) == NULL ||
			   (crls = calloc(c.n, sizeof(*crls))) == NULL ||
			   (nums = calloc(c.n, sizeof(*nums))) == NULL)) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		if (c.v[i].issuer == NULL ||
		    strcmp(c.v[i].issuer, ca->issuer_id) != 0)
			continue;
		if (c.v[i].kind == SIGNET_PROBLEM_PENDING &&
		    c.v[i].serial != NULL)
			certs[n_certs++].key = c.v[i].serial;
		else if (c.v[i].kind == SIGNET_PROBLEM_CRL_UNRECORDED) {
			snprintf(nums[n_crls], sizeof(nums[n_crls]), "%lld",
			    (long long)c.v[i].crl_number);
			crls[n_crls].key = nums[n_crls];
			n_crls++;
		}
	}
	if (n_certs > 1)
		qsort(certs, n_certs, sizeof(*certs), trace_cmp);
	if (n_crls > 1)
		qsort(crls, n_crls, sizeof(*crls), trace_cmp);
	if ((r = audit_scan(ca->cfg->audit_log, certs, n_certs, crls,
		 n_crls)) != 0)
		goto out;

	for (i = 0; i < c.n; i++) {
		struct found *f = &c.v[i];

		memset(&fd, 0, sizeof(fd));
		memset(&p, 0, sizeof(p));
		p.kind = f->kind;
		p.issuer = f->issuer;
		p.serial = f->serial;
		p.crl_number = f->crl_number;
		p.detail = f->detail;
		fd.problem = &p;
		advice[0] = '\0';
		sum->problems++;
		t = NULL;
		if (f->kind == SIGNET_PROBLEM_PENDING && f->serial != NULL &&
		    f->issuer != NULL &&
		    strcmp(f->issuer, ca->issuer_id) == 0) {
			sum->pending++;
			probe.key = f->serial;
			t = n_certs > 0 ? bsearch(&probe, certs, n_certs,
					      sizeof(*certs), trace_cmp)
					: NULL;
		}
		if (t != NULL) {
			fd.intent_pid = (int)t->pid;
			if (t->success) {
				fd.audit = SIGNET_CA_AUDIT_ISSUED;
				snprintf(advice, sizeof(advice),
				    "the audit log records certificate %s as "
				    "issued, but the database holds no "
				    "certificate for it: the database lost a "
				    "committed change (restored from an older "
				    "backup?). Investigate before anything "
				    "else; --resolve leaves it alone",
				    f->serial);
			} else if (t->intent && t->here && pid_alive(t->pid) &&
				   t->pid != getpid()) {
				fd.audit = SIGNET_CA_AUDIT_INTENT_ONLY;
				fd.notice = 1;
				snprintf(advice, sizeof(advice),
				    "process %ld on this host announced it "
				    "for signing and is still running: it is "
				    "probably being issued right now; check "
				    "again later",
				    t->pid);
			} else {
				fd.resolvable = 1;
				if (t->failure)
					fd.audit = SIGNET_CA_AUDIT_FAILED;
				else if (t->intent)
					fd.audit = SIGNET_CA_AUDIT_INTENT_ONLY;
				else
					fd.audit = SIGNET_CA_AUDIT_NO_INTENT;
				snprintf(advice, sizeof(advice), "%s",
				    fd.audit == SIGNET_CA_AUDIT_NO_INTENT
					? "no cert.issue.intent in the audit "
					  "log: the issuing process stopped "
					  "before announcing it, so the token "
					  "never signed it. Mark it failed: "
					  "signet db check --resolve"
				    : fd.audit == SIGNET_CA_AUDIT_INTENT_ONLY
					? "the audit log announced it for "
					  "signing but has no outcome: the "
					  "process stopped before recording "
					  "it. Whatever the token signed was "
					  "never stored nor delivered, so no "
					  "one holds the certificate. Mark it "
					  "failed: signet db check --resolve"
					: "the audit log records that its "
					  "issuance failed, but the row was "
					  "not marked. Mark it failed: signet "
					  "db check --resolve");
			}
		} else if (f->kind == SIGNET_PROBLEM_CRL_UNRECORDED &&
			   f->issuer != NULL &&
			   strcmp(f->issuer, ca->issuer_id) == 0) {
			char num[32];

			snprintf(num, sizeof(num), "%lld",
			    (long long)f->crl_number);
			probe.key = num;
			t = n_crls > 0 ? bsearch(&probe, crls, n_crls,
					     sizeof(*crls), trace_cmp)
				       : NULL;
			if (t != NULL && t->success)
				snprintf(advice, sizeof(advice),
				    "the audit log records CRL %lld as "
				    "generated, but the database lost it: "
				    "restore the database, or record the "
				    "published CRL",
				    (long long)f->crl_number);
			else {
				fd.notice = 1;
				snprintf(advice, sizeof(advice),
				    "the run that allocated it stopped before "
				    "recording a signed CRL, so no CRL with "
				    "this number was published. Nothing to "
				    "do: CRL numbers may skip (RFC 5280 "
				    "5.2.3); the next CRL takes a higher one");
			}
		} else {
			snprintf(advice, sizeof(advice), "%s", f->detail);
		}
		fd.advice = advice;
		if (fd.resolvable && o->resolve) {
			if ((r = resolve_pending(ca, f->serial,
				 fd.audit == SIGNET_CA_AUDIT_NO_INTENT
				     ? "no intent in the audit log"
				 : fd.audit == SIGNET_CA_AUDIT_INTENT_ONLY
				     ? "intent logged, no outcome"
				     : "failure logged")) != 0)
				goto out;
			fd.resolved = 1;
			any_resolved = 1;
			sum->resolved++;
		}
		if (fd.notice)
			sum->notices++;
		else if (!fd.resolved)
			sum->unresolved++;
		if (cb != NULL && (r = cb(&fd, arg)) != 0)
			goto out;
	}
	if ((r = ca_reconcile(ca, o->grace, cb, arg, sum)) != 0)
		goto out;
	r = 0;
out:
	if (any_resolved && ca->audit != NULL &&
	    signet_audit_sync(ca->audit) != 0 && r == 0)
		r = SIGNET_ERR_AUDIT;
	for (i = 0; i < c.n; i++) {
		free(c.v[i].issuer);
		free(c.v[i].serial);
		free(c.v[i].detail);
	}
	free(c.v);
	free(certs);
	free(crls);
	free(nums);
	return r;
}
