/*
 * The audit log verifier: checks the form of every record, the sequence
 * numbers, the hash chain within and across rotated files, and every
 * checkpoint signature with the trusted audit keys alone. Its input is
 * untrusted: every line is capped and parsed defensively.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "util/codec.h"

#define KEYS_MAX 16
/* Writers told apart in the records after one checkpoint. */
#define ACTORS_MAX 32

/* A writer (host, pid) and records of it a later writer could not vouch for. */
struct vactor {
	char host[64];
	long pid;
	uint64_t records;
	uint64_t first_seq;
};

/* What the verifier keeps of a record once parsed. */
struct vrec {
	const char *file; /* an entry of v->files */
	uint64_t line;
	uint64_t seq;
	uint8_t prev[32];
	uint8_t hash[32];
	enum signet_audit_event event;
	int checkpoint;
	int signed_ok; /* a checkpoint whose signature verified */
	int retires;   /* a rotation checkpoint */
	char time[40];
};

struct signet_audit_verifier {
	unsigned flags;
	EVP_PKEY *keys[KEYS_MAX];
	char key_ids[KEYS_MAX][65];
	size_t nkeys;
	char **files;
	size_t nfiles;
	struct signet_audit_summary sum;
	struct vrec cur; /* the last record accepted */
	int have_cur;
	struct vrec pending; /* a record whose link to cur failed */
	int have_pending;
	int file_first;        /* the next record starts a file */
	struct vrec uncovered; /* the first record after the last checkpoint */
	/* writers of the records since the last checkpoint */
	struct vactor window[ACTORS_MAX];
	size_t n_window;
	int window_full; /* more writers than the window holds */
	/* writers of records named unverified, until they sign a checkpoint */
	struct vactor unvouched[ACTORS_MAX + 1];
	size_t n_unvouched;
	struct vrec unverified; /* the first audit.open naming unverified ones */
	struct vrec accept;     /* the first audit.accept */
	int have_unverified;
	int result; /* sticky failure */
	char *reason;
};

int
signet_audit_verifier_new(unsigned flags, struct signet_audit_verifier **out)
{
	struct signet_audit_verifier *v;

	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	v->flags = flags;
	*out = v;
	return 0;
}

void
signet_audit_verifier_free(struct signet_audit_verifier *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nkeys; i++)
		EVP_PKEY_free(v->keys[i]);
	for (i = 0; i < v->nfiles; i++)
		free(v->files[i]);
	free(v->files);
	free(v->reason);
	free(v);
}

int
signet_audit_verifier_add_key(struct signet_audit_verifier *v, EVP_PKEY *pub)
{
	enum signet_sig_alg alg;
	int r;

	if (v->nkeys == KEYS_MAX)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "at most %d audit keys can be trusted at once", KEYS_MAX);
	if ((r = signet_sig_alg_for_key(pub, 0, &alg)) != 0 ||
	    (r = signet_audit_key_id(pub, v->key_ids[v->nkeys])) != 0)
		return signet_error_context(r, "audit public key");
	if (!EVP_PKEY_up_ref(pub))
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "EVP_PKEY_up_ref");
	v->keys[v->nkeys++] = pub;
	v->sum.signatures_checked = 1;
	return 0;
}

const struct signet_audit_summary *
signet_audit_verifier_get0_summary(const struct signet_audit_verifier *v)
{
	return &v->sum;
}

/*
 * Record the first failure: "FILE:LINE (seq N): why", where why is the
 * current error message if fmt is NULL.
 */
static int
vfail_at(struct signet_audit_verifier *v, const char *file, uint64_t line,
    uint64_t seq, const char *why)
{
	char where[512];

	if (seq > 0)
		snprintf(where, sizeof(where), "%s:%llu (seq %llu)", file,
		    (unsigned long long)line, (unsigned long long)seq);
	else
		snprintf(where, sizeof(where), "%s:%llu", file,
		    (unsigned long long)line);
	signet_error_set(SIGNET_ERR_VERIFY, "%s: %s", where, why);
	free(v->reason);
	v->reason = strdup(why);
	v->sum.failed = 1;
	v->sum.fail_file = file;
	v->sum.fail_line = line;
	v->sum.fail_seq = seq;
	v->sum.fail_reason = v->reason != NULL ? v->reason : "";
	v->result = SIGNET_ERR_VERIFY;
	return v->result;
}

static int vfail(struct signet_audit_verifier *v, const struct vrec *at,
    const char *fmt, ...) SIGNET_PRINTF(3, 4);

static int
vfail(struct signet_audit_verifier *v, const struct vrec *at, const char *fmt,
    ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return vfail_at(v, at->file, at->line, at->seq, why);
}

static unsigned long long
ull(uint64_t x)
{
	return (unsigned long long)x;
}

/*
 * A link failed between cur and pending; next (NULL at the end) tells
 * which of the two lines changed: if next chains to pending, pending is
 * intact and cur was altered; otherwise pending is the bad one.
 */
static int
blame(struct signet_audit_verifier *v, const uint8_t *next_prev)
{
	const struct vrec *c = &v->cur, *p = &v->pending;

	if (next_prev != NULL && memcmp(next_prev, p->hash, 32) == 0)
		return vfail(v, c,
		    "this record was altered: its SHA-256 is not the prev of "
		    "the next record (%s:%llu), which is itself intact",
		    p->file, ull(p->line));
	if (next_prev == NULL && p->signed_ok)
		return vfail(v, c,
		    "this record was altered: its SHA-256 is not the head "
		    "signed by the checkpoint that follows it (%s:%llu)",
		    p->file, ull(p->line));
	if (next_prev != NULL)
		return vfail(v, p,
		    "prev is not the SHA-256 of the record before it "
		    "(%s:%llu): this record was altered, or one was inserted "
		    "or removed before it",
		    c->file, ull(c->line));
	return vfail(v, p,
	    "prev is not the SHA-256 of the record before it (%s:%llu): "
	    "one of the two was altered",
	    c->file, ull(c->line));
}

static int
check_checkpoint(struct signet_audit_verifier *v, struct vrec *vr,
    const struct audit_rec *rec)
{
	enum signet_sig_alg alg, key_alg;
	uint8_t *sig = NULL;
	size_t sig_len = 0, tbs_len = 0, i;
	char *tbs = NULL;
	int r;

	if (v->nkeys == 0)
		return 0;
	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->key_ids[i], rec->cp_key) == 0)
			break;
	if (i == v->nkeys)
		return vfail(v, vr,
		    "checkpoint signed by key %.64s, which is not a trusted "
		    "audit key (%s%s)",
		    rec->cp_key, v->key_ids[0], v->nkeys > 1 ? ", ..." : "");
	if (audit_sig_alg_from_name(rec->cp_alg, &alg) != 0 ||
	    signet_sig_alg_for_key(v->keys[i], 0, &key_alg) != 0)
		return vfail(v, vr, "checkpoint: %s", signet_error_message());
	if (alg != key_alg)
		return vfail(v, vr,
		    "checkpoint algorithm %s does not suit the trusted key "
		    "(%s)",
		    rec->cp_alg, signet_sig_alg_name(key_alg));
	if (base64_decode(rec->cp_sig, strlen(rec->cp_sig), 0, &sig,
		&sig_len) != 0) {
		r = vfail(v, vr, "checkpoint signature is not base64");
		goto out;
	}
	if (audit_checkpoint_tbs(rec->root, &tbs, &tbs_len) != 0) {
		r = vfail(v, vr, "checkpoint: %s", signet_error_message());
		goto out;
	}
	if (signet_verify(v->keys[i], alg, (uint8_t *)tbs, tbs_len, sig,
		sig_len) != 0) {
		r = vfail(v, vr,
		    "checkpoint signature does not verify with audit key "
		    "%.16s...: the checkpoint or the chain it covers was "
		    "altered",
		    rec->cp_key);
		goto out;
	}
	vr->signed_ok = 1;
	r = 0;
out:
	free(sig);
	free(tbs);
	return r;
}

/* The record is in its place: count it. */
static void
accept(struct signet_audit_verifier *v, const struct vrec *vr)
{
	struct signet_audit_summary *s = &v->sum;

	if (s->records == 0) {
		s->first_seq = vr->seq;
		snprintf(s->first_time, sizeof(s->first_time), "%s", vr->time);
	}
	s->records++;
	s->last_seq = vr->seq;
	snprintf(s->last_time, sizeof(s->last_time), "%s", vr->time);
	if (vr->event == SIGNET_AUDIT_EV_AUDIT_REPAIR)
		s->repairs++;
	if (vr->checkpoint) {
		s->checkpoints++;
		s->last_checkpoint_seq = vr->seq;
		s->last_checkpoint_file = vr->file;
		s->last_checkpoint_line = vr->line;
		s->uncovered = 0;
	} else {
		if (s->uncovered == 0)
			v->uncovered = *vr;
		s->uncovered++;
	}
	v->cur = *vr;
	v->have_cur = 1;
	v->file_first = 0;
}

/* Where a record may stand: sequence, first records, rotation. */
static int
check_place(struct signet_audit_verifier *v, const struct vrec *vr)
{
	const struct vrec *c = &v->cur;
	static const uint8_t zero[32];

	if (!v->have_cur) {
		if (vr->seq == 1) {
			if (vr->event != SIGNET_AUDIT_EV_AUDIT_CREATE ||
			    memcmp(vr->prev, zero, 32) != 0)
				return vfail(v, vr,
				    "the first record of a log must be "
				    "audit.create with a prev of 64 zeros");
			return 0;
		}
		if (vr->event == SIGNET_AUDIT_EV_AUDIT_ROTATE &&
		    v->file_first) {
			v->sum.starts_mid_chain = 1;
			return 0;
		}
		return vfail(v, vr,
		    "the log starts at seq %llu: the records before it are "
		    "missing (the first file must start with audit.create, "
		    "or with audit.rotate if earlier files are left out)",
		    ull(vr->seq));
	}
	if (vr->seq != c->seq + 1) {
		if (v->file_first)
			return vfail(v, vr,
			    "this file starts at seq %llu but %s ends at seq "
			    "%llu: the files are out of order, or one between "
			    "them is missing",
			    ull(vr->seq), c->file, ull(c->seq));
		if (vr->seq <= c->seq)
			return vfail(v, vr,
			    "seq %llu after seq %llu (%s:%llu): a record was "
			    "duplicated, reordered or replayed",
			    ull(vr->seq), ull(c->seq), c->file, ull(c->line));
		if (vr->seq == c->seq + 2)
			return vfail(v, vr,
			    "seq %llu after seq %llu (%s:%llu): record %llu "
			    "is missing or out of order",
			    ull(vr->seq), ull(c->seq), c->file, ull(c->line),
			    ull(c->seq + 1));
		return vfail(v, vr,
		    "seq %llu after seq %llu (%s:%llu): records %llu to %llu "
		    "are missing or out of order",
		    ull(vr->seq), ull(c->seq), c->file, ull(c->line),
		    ull(c->seq + 1), ull(vr->seq - 1));
	}
	if (vr->event == SIGNET_AUDIT_EV_AUDIT_CREATE)
		return vfail(v, vr,
		    "audit.create in the middle of a log: only the first "
		    "record of a log may start a chain");
	if (v->file_first) {
		if (!c->retires)
			return vfail(v, vr,
			    "this file follows %s, which does not end with a "
			    "rotation checkpoint: records were cut from its "
			    "end, or the files are out of order",
			    c->file);
		if (vr->event != SIGNET_AUDIT_EV_AUDIT_ROTATE)
			return vfail(v, vr,
			    "a file that continues a rotated one must start "
			    "with audit.rotate");
		return 0;
	}
	if (c->retires)
		return vfail(v, vr,
		    "record after the rotation checkpoint on line %llu: a "
		    "rotated file ends there",
		    ull(c->line));
	if (vr->event == SIGNET_AUDIT_EV_AUDIT_ROTATE)
		return vfail(v, vr,
		    "audit.rotate in the middle of a file: it only starts a "
		    "file");
	return 0;
}

static void
actor_of(const struct audit_rec *rec, struct vactor *a)
{
	const json_t *actor = json_object_get(rec->root, "actor");
	const char *host = json_string_value(json_object_get(actor, "host"));

	memset(a, 0, sizeof(*a));
	snprintf(a->host, sizeof(a->host), "%s", host != NULL ? host : "");
	a->pid = (long)json_integer_value(json_object_get(actor, "pid"));
}

static struct vactor *
actor_find(struct vactor *v, size_t n, const struct vactor *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].pid == a->pid && strcmp(v[i].host, a->host) == 0)
			return &v[i];
	return NULL;
}

/*
 * What writers said they could not vouch for: records found after the last
 * checkpoint when they opened the log (audit.open "unverified"). Such a
 * record stays unverified until the process that wrote it (its actor's host
 * and pid) signs a checkpoint of its own later on: then it was a writer at
 * work, not a crash or someone appending by hand. And logs an operator
 * accepted (audit.accept).
 */
static void
note_overrides(struct signet_audit_verifier *v, const struct vrec *vr,
    const struct audit_rec *rec)
{
	struct signet_audit_summary *s = &v->sum;
	struct vactor a, *p;
	const json_t *u;
	size_t i;

	actor_of(rec, &a);
	if (vr->checkpoint) {
		for (i = 0; i < v->n_unvouched; i++)
			if (v->unvouched[i].pid == a.pid &&
			    strcmp(v->unvouched[i].host, a.host) == 0)
				v->unvouched[i] =
				    v->unvouched[--v->n_unvouched];
		v->n_window = 0;
		v->window_full = 0;
		return;
	}
	if (vr->event == SIGNET_AUDIT_EV_AUDIT_ACCEPT && s->accepts++ == 0)
		v->accept = *vr;
	u = vr->event == SIGNET_AUDIT_EV_AUDIT_OPEN
		? json_object_get(json_object_get(rec->root, "details"),
		      "unverified")
		: NULL;
	if (u != NULL) {
		if (!v->have_unverified) {
			v->unverified = *vr;
			v->have_unverified = 1;
		}
		for (i = 0; i < v->n_window; i++) {
			p = actor_find(v->unvouched, v->n_unvouched,
			    &v->window[i]);
			if (p == NULL && v->n_unvouched < ACTORS_MAX)
				v->unvouched[v->n_unvouched++] = v->window[i];
			else if (p != NULL)
				p->records += v->window[i].records;
		}
		/* Writers beyond the window can never vouch. */
		if (v->window_full && v->n_unvouched <= ACTORS_MAX) {
			memset(&v->unvouched[v->n_unvouched], 0,
			    sizeof(v->unvouched[0]));
			v->unvouched[v->n_unvouched].pid = -1;
			v->unvouched[v->n_unvouched].records = 1;
			v->unvouched[v->n_unvouched].first_seq =
			    (uint64_t)json_integer_value(
				json_object_get(u, "first_seq"));
			v->n_unvouched++;
		}
		v->n_window = 0;
		v->window_full = 0;
	}
	if ((p = actor_find(v->window, v->n_window, &a)) == NULL) {
		if (v->n_window == ACTORS_MAX) {
			v->window_full = 1;
			return;
		}
		p = &v->window[v->n_window++];
		*p = a;
		p->first_seq = vr->seq;
	}
	p->records++;
}

/* Records named unverified whose writer never signed a checkpoint after. */
static void
settle_unverified(struct signet_audit_verifier *v)
{
	struct signet_audit_summary *s = &v->sum;
	size_t i;

	s->unverified = 0;
	s->unverified_first_seq = 0;
	for (i = 0; i < v->n_unvouched; i++) {
		s->unverified += v->unvouched[i].records;
		if (s->unverified_first_seq == 0 ||
		    v->unvouched[i].first_seq < s->unverified_first_seq)
			s->unverified_first_seq = v->unvouched[i].first_seq;
	}
}

static int
verify_line(struct signet_audit_verifier *v, const char *file, uint64_t line,
    const char *text, size_t len, int complete)
{
	struct audit_rec rec;
	struct vrec vr;
	char why[1024];
	int r;

	if (v->result != 0)
		return v->result;
	if (!complete) {
		if (v->have_pending)
			return blame(v, NULL);
		return vfail_at(v, file, line, 0,
		    "the last line has no newline: a write was interrupted, "
		    "or the file was cut short ('signet audit repair' "
		    "records and removes a torn record)");
	}
	if (audit_rec_parse(text, len, &rec) != 0) {
		if (v->have_pending)
			return blame(v, NULL);
		snprintf(why, sizeof(why), "%s", signet_error_message());
		return vfail_at(v, file, line, 0, why);
	}
	memset(&vr, 0, sizeof(vr));
	vr.file = file;
	vr.line = line;
	vr.seq = rec.seq;
	memcpy(vr.prev, rec.prev, 32);
	memcpy(vr.hash, rec.hash, 32);
	vr.event = rec.event;
	vr.checkpoint = rec.event == SIGNET_AUDIT_EV_AUDIT_CHECKPOINT;
	vr.retires =
	    vr.checkpoint && strcmp(rec.cp_reason, AUDIT_REASON_ROTATE) == 0;
	snprintf(vr.time, sizeof(vr.time), "%s", rec.time);
	if (v->have_pending) {
		audit_rec_clear(&rec);
		return blame(v, vr.prev);
	}
	if ((r = check_place(v, &vr)) != 0 ||
	    (vr.checkpoint && (r = check_checkpoint(v, &vr, &rec)) != 0)) {
		audit_rec_clear(&rec);
		return r;
	}
	note_overrides(v, &vr, &rec);
	audit_rec_clear(&rec);
	if (v->have_cur && memcmp(vr.prev, v->cur.hash, 32) != 0) {
		/* Which side changed is known from the next record. */
		v->pending = vr;
		v->have_pending = 1;
		return 0;
	}
	accept(v, &vr);
	return 0;
}

static int
add_file_name(struct signet_audit_verifier *v, const char *name,
    const char **out)
{
	char **tmp;

	if ((tmp = realloc(v->files, (v->nfiles + 1) * sizeof(*tmp))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	v->files = tmp;
	if ((v->files[v->nfiles] = strdup(name)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	*out = v->files[v->nfiles++];
	v->sum.files++;
	v->file_first = 1;
	return 0;
}

static int
empty_file(struct signet_audit_verifier *v, const char *name)
{
	return vfail_at(v, name, 0, 0,
	    "the file is empty: every audit log file holds at least one "
	    "record");
}

int
signet_audit_verifier_add_buf(struct signet_audit_verifier *v, const char *name,
    const void *buf, size_t len)
{
	const char *p = buf, *end = p + len, *lf, *file = NULL;
	uint64_t line = 0;
	int r;

	if (v->result != 0)
		return v->result;
	if ((r = add_file_name(v, name, &file)) != 0)
		return r;
	if (len == 0)
		return empty_file(v, file);
	while (p < end) {
		line++;
		lf = memchr(p, '\n', (size_t)(end - p));
		if ((lf == NULL ? (size_t)(end - p) : (size_t)(lf - p)) >=
		    SIGNET_AUDIT_LINE_MAX)
			return vfail_at(v, file, line, 0,
			    "line is longer than the record size limit");
		if ((r = verify_line(v, file, line, p,
			 lf == NULL ? (size_t)(end - p) : (size_t)(lf - p),
			 lf != NULL)) != 0)
			return r;
		if (lf == NULL)
			break;
		p = lf + 1;
	}
	return 0;
}

int
signet_audit_verifier_add_file(struct signet_audit_verifier *v,
    const char *path)
{
	struct audit_reader *rd = NULL;
	const char *line, *file = NULL;
	size_t len;
	int complete, r, n;
	char why[1024];

	if (v->result != 0)
		return v->result;
	if ((r = audit_reader_open(path, &rd)) != 0)
		return r;
	if ((r = add_file_name(v, path, &file)) != 0)
		goto out;
	while ((n = audit_reader_next(rd, &line, &len, &complete)) == 1)
		if ((r = verify_line(v, file, audit_reader_lineno(rd), line,
			 len, complete)) != 0)
			goto out;
	if (n == SIGNET_ERR_VERIFY) {
		snprintf(why, sizeof(why), "%s", signet_error_message());
		r = vfail_at(v, file, audit_reader_lineno(rd), 0, why);
		goto out;
	}
	if (n < 0) {
		r = n;
		goto out;
	}
	if (audit_reader_lineno(rd) == 0) {
		r = empty_file(v, file);
		goto out;
	}
	r = 0;
out:
	audit_reader_free(rd);
	return r;
}

int
signet_audit_verifier_finish(struct signet_audit_verifier *v)
{
	struct signet_audit_summary *s = &v->sum;
	const struct vrec *at = &v->cur;

	if (v->result != 0)
		return v->result;
	if (v->have_pending)
		return blame(v, NULL);
	if (!v->have_cur) {
		v->result = signet_error_set(SIGNET_ERR_VERIFY,
		    "no audit log file was given");
		return v->result;
	}
	s->rotated_after = v->cur.retires;
	settle_unverified(v);
	if (!s->signatures_checked &&
	    !(v->flags & SIGNET_AUDIT_VERIFY_NO_SIGNATURES))
		return vfail(v, at,
		    "no trusted audit key was given: without checking the "
		    "checkpoint signatures the chain is only self-consistent, "
		    "and anyone could have rebuilt it");
	if (!(v->flags & SIGNET_AUDIT_VERIFY_STRICT))
		return 0;
	if (!s->signatures_checked)
		return vfail(v, at,
		    "no trusted audit key was given: checkpoint signatures "
		    "were not checked (--strict)");
	if (s->uncovered > 0)
		return vfail(v, &v->uncovered,
		    "this record and the %llu after it are not yet covered by "
		    "a checkpoint (--strict)",
		    ull(s->uncovered - 1));
	if (s->unverified > 0)
		return vfail(v, &v->unverified,
		    "a writer that opened the log found %llu record(s), from "
		    "seq %llu on, after the last checkpoint and could not "
		    "authenticate them, and no process that wrote them signed "
		    "a checkpoint later (a crash, or records someone "
		    "appended); compare them with the database: signet db "
		    "check (--strict)",
		    ull(s->unverified), ull(s->unverified_first_seq));
	if (s->accepts > 0)
		return vfail(v, &v->accept,
		    "an operator accepted a log its writer refused "
		    "(audit.accept; signet audit show --event audit.accept) "
		    "(--strict)");
	if (s->starts_mid_chain)
		return vfail_at(v, v->files[0], 1, s->first_seq,
		    "the log does not start at its audit.create record: "
		    "earlier files were not given (--strict)");
	if (s->rotated_after)
		return vfail(v, at,
		    "the log was rotated after this record, but the file "
		    "that continues it was not given (--strict)");
	return 0;
}
