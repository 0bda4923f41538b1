/*
 * Tests for src/audit: the chain, checkpoints, every kind of tampering, the
 * verifier on hostile input, failing closed, concurrent writers, rotation
 * (including a crash half-way) and secrets kept out of the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit/audit_int.h"
#include "fixture.h"
#include "util/codec.h"
#include "signet/audit.h"
#include "signet/signer.h"
#include "util/file.h"
#include "util/secret.h"

/* The audit key of the tests, another key, and their signers. */
static EVP_PKEY *audit_key, *other_key;
static struct signet_signer *audit_signer, *other_signer;
static char self_exe[PATH_MAX];

/* ---- helpers ------------------------------------------------------------ */

struct lines {
	char **v; /* each with its LF */
	size_t n;
};

static void
lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static struct lines
lines_read(const char *path)
{
	struct lines l = { NULL, 0 };
	size_t len, i, start = 0;
	uint8_t *buf = fx_read(path, &len);

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		l.v = realloc(l.v, (l.n + 1) * sizeof(*l.v));
		assert_non_null(l.v);
		l.v[l.n] = strndup((char *)buf + start, i - start + 1);
		assert_non_null(l.v[l.n]);
		l.n++;
		start = i + 1;
	}
	assert_int_equal(start, len);
	free(buf);
	return l;
}

/* The lines joined, optionally without line skip, with line dup twice. */
static char *
lines_join(const struct lines *l, size_t *len)
{
	size_t i, n = 0;
	char *buf;

	for (i = 0; i < l->n; i++)
		n += strlen(l->v[i]);
	buf = malloc(n + 1);
	assert_non_null(buf);
	n = 0;
	for (i = 0; i < l->n; i++) {
		memcpy(buf + n, l->v[i], strlen(l->v[i]));
		n += strlen(l->v[i]);
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
write_pub(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	assert_int_equal(fclose(f), 0);
}

static void
write_priv(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL),
	    1);
	assert_int_equal(fclose(f), 0);
}

/* What a verification reported. */
struct vresult {
	int r;
	struct signet_audit_summary sum;
	char message[2048];
	char fail_file[256];
};

static struct vresult
verify_files(const char *const *files, size_t n, EVP_PKEY *key, unsigned flags)
{
	struct signet_audit_verifier *v = NULL;
	struct vresult res;
	size_t i;

	memset(&res, 0, sizeof(res));
	assert_int_equal(signet_audit_verifier_new(flags, &v), 0);
	if (key != NULL)
		assert_int_equal(signet_audit_verifier_add_key(v, key), 0);
	res.r = 0;
	for (i = 0; i < n && res.r == 0; i++)
		res.r = signet_audit_verifier_add_file(v, files[i]);
	if (res.r == 0)
		res.r = signet_audit_verifier_finish(v);
	res.sum = *signet_audit_verifier_get0_summary(v);
	if (res.sum.fail_file != NULL)
		snprintf(res.fail_file, sizeof(res.fail_file), "%s",
		    res.sum.fail_file);
	res.sum.fail_file = NULL;
	res.sum.fail_reason = NULL;
	res.sum.last_checkpoint_file = NULL;
	snprintf(res.message, sizeof(res.message), "%s",
	    res.r != 0 ? signet_error_message() : "");
	signet_audit_verifier_free(v);
	return res;
}

static struct vresult
verify_one(const char *path, EVP_PKEY *key, unsigned flags)
{
	return verify_files(&path, 1, key, flags);
}

static struct vresult
verify_buf(const char *buf, size_t len, EVP_PKEY *key, unsigned flags)
{
	struct signet_audit_verifier *v = NULL;
	struct vresult res;

	memset(&res, 0, sizeof(res));
	assert_int_equal(signet_audit_verifier_new(flags, &v), 0);
	if (key != NULL)
		assert_int_equal(signet_audit_verifier_add_key(v, key), 0);
	res.r = signet_audit_verifier_add_buf(v, "log", buf, len);
	if (res.r == 0)
		res.r = signet_audit_verifier_finish(v);
	res.sum = *signet_audit_verifier_get0_summary(v);
	res.sum.fail_file = NULL;
	res.sum.fail_reason = NULL;
	res.sum.last_checkpoint_file = NULL;
	snprintf(res.message, sizeof(res.message), "%s",
	    res.r != 0 ? signet_error_message() : "");
	signet_audit_verifier_free(v);
	return res;
}

static void
append_issue(struct signet_audit *log, int n)
{
	json_t *d =
	    json_pack("{s:s,s:s,s:[s,s],s:s,s:i}", "serial", "5f3a9c01d2",
		"subject", "CN=www.example.test", "sans", "www.example.test",
		"example.test", "profile", "tls-server", "n", n);

	assert_non_null(d);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, d),
	    0);
	json_decref(d);
}

/* A new log at path with n caller records, a checkpoint every interval. */
static void
make_log(const char *path, int n, unsigned interval)
{
	struct signet_audit *log = NULL;
	int i;

	unlink(path);
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	signet_audit_set_checkpoint_interval(log, interval);
	for (i = 0; i < n; i++)
		append_issue(log, i);
	assert_int_equal(signet_audit_close(log), 0);
}

static int
is_checkpoint_line(const char *line)
{
	return strstr(line, "\"event\":\"audit.checkpoint\"") != NULL;
}

/* "log:N " in the message: the verifier named line N. */
static void
assert_names_line(const struct vresult *res, const char *file, size_t line)
{
	char want[300], want2[300];

	/* "FILE:LINE (seq N): ..." or "FILE:LINE: ..." */
	snprintf(want, sizeof(want), "%s:%zu ", file, line);
	snprintf(want2, sizeof(want2), "%s:%zu: ", file, line);
	if (strstr(res->message, want) == NULL &&
	    strstr(res->message, want2) == NULL) {
		fprintf(stderr, "expected '%s' in: %s\n", want, res->message);
		fail();
	}
	assert_int_equal(res->sum.fail_line, line);
}

/* ---- vocabulary --------------------------------------------------------- */

static void
test_event_names(void **state)
{
	enum signet_audit_event ev;
	enum signet_audit_outcome oc;
	int i;

	(void)state;
	for (i = 1; i < SIGNET_AUDIT_EV_COUNT_; i++) {
		const char *name =
		    signet_audit_event_name((enum signet_audit_event)i);

		assert_non_null(name);
		assert_int_equal(signet_audit_event_from_name(name, &ev), 0);
		assert_int_equal(ev, i);
	}
	assert_null(signet_audit_event_name(SIGNET_AUDIT_EV_NONE));
	assert_null(signet_audit_event_name(SIGNET_AUDIT_EV_COUNT_));
	assert_string_equal(signet_audit_event_name(
				SIGNET_AUDIT_EV_CERT_ISSUE_INTENT),
	    "cert.issue.intent");
	assert_int_equal(signet_audit_event_from_name("cert.explode", &ev),
	    SIGNET_ERR_USAGE);
	assert_non_null(strstr(signet_error_message(), "cert.explode"));
	for (i = 1; i < SIGNET_AUDIT_OUTCOME_COUNT_; i++) {
		const char *name =
		    signet_audit_outcome_name((enum signet_audit_outcome)i);

		assert_non_null(name);
		assert_int_equal(signet_audit_outcome_from_name(name, &oc), 0);
		assert_int_equal(oc, i);
	}
	assert_int_equal(signet_audit_outcome_from_name("maybe", &oc),
	    SIGNET_ERR_USAGE);
}

/* ---- a clean log -------------------------------------------------------- */

static void
test_log_verifies(void **state)
{
	const char *path = fx_path("clean.log");
	struct lines l;
	struct vresult res;
	size_t i, cps = 0;

	(void)state;
	make_log(path, 50, 10);
	l = lines_read(path);
	/* audit.create, 50 records, a checkpoint after every 10. */
	for (i = 0; i < l.n; i++)
		cps += is_checkpoint_line(l.v[i]);
	assert_int_equal(l.n, 1 + 50 + cps);
	assert_true(cps >= 5);
	assert_true(is_checkpoint_line(l.v[l.n - 1]));
	assert_non_null(strstr(l.v[0], "\"event\":\"audit.create\""));
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.sum.records, l.n);
	assert_int_equal(res.sum.checkpoints, cps);
	assert_int_equal(res.sum.first_seq, 1);
	assert_int_equal(res.sum.last_seq, l.n);
	assert_int_equal(res.sum.uncovered, 0);
	assert_int_equal(res.sum.last_checkpoint_seq, l.n);
	assert_true(res.sum.signatures_checked);
	assert_true(strcmp(res.sum.first_time, res.sum.last_time) <= 0);
	/*
	 * Without a key anyone could have rebuilt the chain: refused, unless
	 * the caller asks for the chain alone (which strict refuses).
	 */
	res = verify_one(path, NULL, 0);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_non_null(strstr(res.message, "no trusted audit key"));
	assert_false(res.sum.signatures_checked);
	res = verify_one(path, NULL, SIGNET_AUDIT_VERIFY_NO_SIGNATURES);
	assert_int_equal(res.r, 0);
	assert_false(res.sum.signatures_checked);
	res = verify_one(path, NULL,
	    SIGNET_AUDIT_VERIFY_NO_SIGNATURES | SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_non_null(strstr(res.message, "no trusted audit key"));
	lines_free(&l);
}

static void
test_reopen_continues_chain(void **state)
{
	const char *path = fx_path("reopen.log");
	struct signet_audit *log = NULL;
	struct lines l;
	struct vresult res;
	const char *const ops[] = { "alice", "bob" };

	(void)state;
	make_log(path, 3, 0);
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &log), 0);
	assert_int_equal(signet_audit_last_seq(log), 6);
	assert_string_equal(signet_audit_get0_path(log), path);
	assert_int_equal(signet_audit_set_operators(log, ops, 2), 0);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CEREMONY_STEP,
			     SIGNET_AUDIT_SUCCESS, NULL),
	    0);
	assert_int_equal(signet_audit_last_seq(log), 7);
	/* An explicit checkpoint, then none twice in a row. */
	assert_int_equal(signet_audit_checkpoint(log), 0);
	assert_int_equal(signet_audit_checkpoint(log), 0);
	assert_int_equal(signet_audit_last_seq(log), 8);
	assert_int_equal(signet_audit_close(log), 0);
	l = lines_read(path);
	assert_int_equal(l.n, 8);
	assert_non_null(strstr(l.v[5], "\"event\":\"audit.open\""));
	assert_non_null(strstr(l.v[6], "\"operators\":[\"alice\",\"bob\"]"));
	assert_non_null(strstr(l.v[7], "\"reason\":\"request\""));
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.sum.records, 8);
	lines_free(&l);
	/* Bad operator names are refused. */
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &log), 0);
	{
		const char *const bad[] = { "carol", "" };

		assert_int_equal(signet_audit_set_operators(log, bad, 2),
		    SIGNET_ERR_USAGE);
	}
	signet_audit_free(log);
}

static void
test_open_refuses(void **state)
{
	struct signet_audit *log = NULL;

	(void)state;
	/* A missing log is only created on request. */
	assert_int_equal(signet_audit_open(fx_path("missing.log"), audit_signer,
			     0, &log),
	    SIGNET_ERR_AUDIT);
	assert_null(log);
	assert_non_null(strstr(signet_error_message(), "missing.log"));
	/* An empty file is not a log: it lost its records. */
	fx_write(fx_path("empty.log"), "", 0);
	assert_int_equal(signet_audit_open(fx_path("empty.log"), audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "is empty"));
	/* A last line that is not a record. */
	fx_write(fx_path("junk.log"), "hello\n", 6);
	assert_int_equal(signet_audit_open(fx_path("junk.log"), audit_signer, 0,
			     &log),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "not valid"));
	/* Not a regular file (writes to /dev/full would fail: ENOSPC). */
	assert_int_equal(signet_audit_open("/dev/full", audit_signer, 0, &log),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "not a regular file"));
	/* No directory to create it in. */
	assert_int_equal(signet_audit_open(fx_path("nodir/a.log"), audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    SIGNET_ERR_AUDIT);
	assert_null(log);
}

/* ---- tampering ---------------------------------------------------------- */

enum mutation { FLIP_HASH, FLIP_DETAILS, FLIP_SEQ, DELETE, DUPLICATE, SWAP };

static const char *const mutation_names[] = { "flip in prev", "flip in details",
	"flip in seq", "delete", "duplicate", "swap with next" };

/* Apply m to line i of l (0-based); returns the 1-based line to blame. */
static size_t
mutate(struct lines *l, enum mutation m, size_t i)
{
	char *line = l->v[i], *p, *tmp;

	switch (m) {
	case FLIP_HASH:
		p = strstr(line, "\"prev\":\"");
		assert_non_null(p);
		p[8 + 17] ^= 0x01;
		return i + 1;
	case FLIP_DETAILS:
		p = strstr(line, "\"details\":{\"");
		assert_non_null(p);
		/* The second character of the first string value. */
		p = strstr(p, "\":\"");
		assert_non_null(p);
		p[4] ^= 0x01;
		return i + 1;
	case FLIP_SEQ:
		p = strstr(line, "\"seq\":");
		assert_non_null(p);
		p[6] ^= 0x01;
		return i + 1;
	case DELETE:
		free(l->v[i]);
		memmove(&l->v[i], &l->v[i + 1],
		    (l->n - i - 1) * sizeof(char *));
		l->n--;
		return i + 1;
	case DUPLICATE:
		l->v = realloc(l->v, (l->n + 1) * sizeof(char *));
		assert_non_null(l->v);
		memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof(char *));
		l->v[i + 1] = strdup(l->v[i]);
		l->n++;
		return i + 2;
	case SWAP:
		tmp = l->v[i];
		l->v[i] = l->v[i + 1];
		l->v[i + 1] = tmp;
		return i + 1;
	default:
		fail();
		return 0;
	}
}

static void
test_tamper_every_record(void **state)
{
	const char *path = fx_path("tamper.log");
	struct lines orig, l;
	struct vresult res;
	size_t i, want, len, checked = 0, expected = 0;
	char *buf;
	int m;

	(void)state;
	make_log(path, 50, 10);
	orig = lines_read(path);
	for (i = 0; i < orig.n; i++) {
		for (m = FLIP_HASH; m <= SWAP; m++) {
			if (m == SWAP && i + 1 == orig.n)
				continue;
			expected++;
			l = lines_read(path);
			want = mutate(&l, (enum mutation)m, i);
			buf = lines_join(&l, &len);
			res = verify_buf(buf, len, audit_key, 0);
			if (m == DELETE && i + 1 == orig.n) {
				/*
				 * Without its last checkpoint the log still
				 * chains: only its records are uncovered.
				 */
				assert_int_equal(res.r, 0);
				assert_true(res.sum.uncovered > 0);
				res = verify_buf(buf, len, audit_key,
				    SIGNET_AUDIT_VERIFY_STRICT);
				assert_int_equal(res.r, SIGNET_ERR_VERIFY);
				assert_non_null(
				    strstr(res.message, "not yet covered"));
				want = res.sum.fail_line;
				assert_true(want < orig.n);
			}
			if (res.r != SIGNET_ERR_VERIFY ||
			    res.sum.fail_line != want)
				fprintf(stderr,
				    "line %zu, %s: r=%d line %llu, want %zu: "
				    "%s\n",
				    i + 1, mutation_names[m], res.r,
				    (unsigned long long)res.sum.fail_line, want,
				    res.message);
			assert_int_equal(res.r, SIGNET_ERR_VERIFY);
			assert_names_line(&res, "log", want);
			checked++;
			free(buf);
			lines_free(&l);
		}
	}
	assert_int_equal(checked, expected);
	assert_true(checked >= (size_t)6 * 50);
	lines_free(&orig);
}

static void
test_tamper_messages(void **state)
{
	const char *path = fx_path("msg.log");
	struct lines l;
	struct vresult res;
	size_t len;
	char *buf;

	(void)state;
	make_log(path, 12, 5);
	/* Deleting record 4: records missing. */
	l = lines_read(path);
	mutate(&l, DELETE, 3);
	buf = lines_join(&l, &len);
	res = verify_buf(buf, len, audit_key, 0);
	assert_non_null(strstr(res.message, "missing"));
	assert_int_equal(res.sum.fail_seq, 5);
	free(buf);
	lines_free(&l);
	/* A duplicate: replayed. */
	l = lines_read(path);
	mutate(&l, DUPLICATE, 3);
	buf = lines_join(&l, &len);
	res = verify_buf(buf, len, audit_key, 0);
	assert_non_null(strstr(res.message, "duplicated"));
	free(buf);
	lines_free(&l);
	/* A changed record: named as altered. */
	l = lines_read(path);
	mutate(&l, FLIP_DETAILS, 3);
	buf = lines_join(&l, &len);
	res = verify_buf(buf, len, audit_key, 0);
	assert_non_null(strstr(res.message, "altered"));
	assert_names_line(&res, "log", 4);
	free(buf);
	lines_free(&l);
	/* A space added: no longer canonical. */
	l = lines_read(path);
	l.v[2][1] = ' ';
	buf = lines_join(&l, &len);
	res = verify_buf(buf, len, audit_key, 0);
	assert_names_line(&res, "log", 3);
	free(buf);
	lines_free(&l);
}

static void
test_truncation(void **state)
{
	const char *path = fx_path("trunc.log");
	uint8_t *buf;
	size_t len, cut, line;
	struct vresult res;
	struct lines l;

	(void)state;
	make_log(path, 20, 10);
	buf = fx_read(path, &len);
	l = lines_read(path);
	/* Cut inside the last line, and inside a middle one. */
	for (cut = len - 10; cut > len / 2; cut -= len / 3) {
		size_t k;

		res = verify_buf((char *)buf, cut, audit_key, 0);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_non_null(strstr(res.message, "no newline"));
		/* The torn line is the one after the last LF. */
		for (k = 0, line = 1; k < cut; k++)
			line += buf[k] == '\n';
		assert_names_line(&res, "log", line);
	}
	/*
	 * Cut at the line boundary before the closing checkpoint: the chain
	 * holds, the last record is uncovered, which strict refuses.
	 */
	assert_true(is_checkpoint_line(l.v[l.n - 1]));
	assert_false(is_checkpoint_line(l.v[l.n - 2]));
	cut = len - strlen(l.v[l.n - 1]);
	res = verify_buf((char *)buf, cut, audit_key, 0);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.sum.uncovered, 1);
	res =
	    verify_buf((char *)buf, cut, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_names_line(&res, "log", l.n - 1);
	/* Nothing at all. */
	res = verify_buf((char *)buf, 0, audit_key, 0);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_non_null(strstr(res.message, "empty"));
	free(buf);
	lines_free(&l);
}

/*
 * A writer authenticates what it extends: the last checkpoint must be its
 * key's, the log must reach the anchor kept outside it; records after the
 * last checkpoint are named in audit.open and stay unverified unless
 * their own writer signs a checkpoint later. An operator's acceptance is
 * an audit.accept record.
 */
static void
test_writer_authenticates(void **state)
{
	const char *path = fx_path("auth.log");
	struct signet_audit_open_opts o;
	struct signet_audit_open_info info;
	struct signet_audit *log = NULL, *other = NULL;
	struct vresult res;
	uint8_t hash[32];
	uint64_t seq = 0;
	struct lines l;
	char *buf, *cut;
	size_t len;
	pid_t pid;
	int st;

	(void)state;
	unlink(path);
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	append_issue(log, 1);
	assert_int_equal(signet_audit_seal(log, &seq, hash), 0);
	assert_int_equal(signet_audit_close(log), 0);
	l = lines_read(path);
	assert_int_equal(seq, l.n);
	lines_free(&l);

	/* Another key's writer refuses the log, writing nothing. */
	assert_int_equal(signet_audit_open(path, other_signer, 0, &log),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "signet audit accept"));
	l = lines_read(path);
	assert_int_equal(l.n, seq);
	lines_free(&l);

	/* Cut back past the anchor: refused; the anchor itself: fine. */
	memset(&o, 0, sizeof(o));
	o.anchor_seq = seq;
	memcpy(o.anchor_hash, hash, 32);
	l = lines_read(path);
	buf = lines_join(&l, &len);
	cut = strdup(buf);
	assert_non_null(cut);
	*(strrchr(cut, '\n')) = '\0';
	*(strrchr(cut, '\n') + 1) = '\0';
	fx_write(path, cut, strlen(cut));
	assert_int_equal(signet_audit_open_with(path, audit_signer, &o, &info,
			     &log),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "shorter"));
	fx_write(path, buf, len);
	assert_int_equal(signet_audit_open_with(path, audit_signer, &o, &info,
			     &log),
	    0);
	assert_int_equal(info.last_checkpoint_seq, seq);
	assert_int_equal(info.unverified_first, 0);
	/* A second writer at work, its records after the checkpoint. */
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &other), 0);
	append_issue(log, 2);
	assert_int_equal(signet_audit_close(other), 0);
	assert_int_equal(signet_audit_close(log), 0);
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	if (res.r != 0)
		fprintf(stderr, "%s\n", res.message);
	assert_int_equal(res.r, 0);

	/* A crash leaves records no later checkpoint of their writer covers. */
	if ((pid = fork()) == 0) {
		/* Another process, which dies without a checkpoint. */
		if (signet_audit_open(path, audit_signer, 0, &log) != 0)
			_exit(1);
		append_issue(log, 3);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(signet_audit_open_with(path, audit_signer, NULL, &info,
			     &log),
	    0);
	assert_true(info.unverified_first > 0);
	assert_int_equal(signet_audit_close(log), 0);
	res = verify_one(path, audit_key, 0);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.sum.unverified, 2); /* its audit.open, issue */
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_non_null(strstr(res.message, "could not"));

	/* The operator accepts the cut log: said in the log, for good. */
	fx_write(path, cut, strlen(cut));
	o.accept_reason = "cut on purpose";
	assert_int_equal(signet_audit_open_with(path, audit_signer, &o, &info,
			     &log),
	    0);
	assert_int_equal(info.accepted, 1);
	assert_int_equal(signet_audit_close(log), 0);
	res = verify_one(path, audit_key, 0);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.sum.accepts, 1);
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	free(cut);
	free(buf);
	lines_free(&l);
}

static void
test_checkpoint_other_key(void **state)
{
	const char *path = fx_path("otherkey.log");
	struct signet_audit *log = NULL;
	struct vresult res;
	struct lines l;
	char key_id[65], other_id[65], *p;
	size_t i, len;
	char *buf;

	(void)state;
	unlink(path);
	assert_int_equal(signet_audit_open(path, other_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	signet_audit_set_checkpoint_interval(log, 4);
	for (i = 0; i < 10; i++)
		append_issue(log, (int)i);
	assert_int_equal(signet_audit_close(log), 0);
	res = verify_one(path, audit_key, 0);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_non_null(strstr(res.message, "not a trusted audit key"));
	assert_names_line(&res, path, 5);
	/* Claiming the trusted key's id does not help. */
	assert_int_equal(signet_audit_key_id(audit_key, key_id), 0);
	assert_int_equal(signet_audit_key_id(other_key, other_id), 0);
	l = lines_read(path);
	for (i = 0; i < l.n; i++)
		while (is_checkpoint_line(l.v[i]) &&
		       (p = strstr(l.v[i], other_id)) != NULL)
			memcpy(p, key_id, 64);
	buf = lines_join(&l, &len);
	res = verify_buf(buf, len, audit_key, 0);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_non_null(strstr(res.message, "does not verify"));
	assert_names_line(&res, "log", 5);
	/* Both keys trusted (an audit key was replaced): fine. */
	{
		struct signet_audit_verifier *v = NULL;

		assert_int_equal(signet_audit_verifier_new(0, &v), 0);
		assert_int_equal(signet_audit_verifier_add_key(v, audit_key),
		    0);
		assert_int_equal(signet_audit_verifier_add_key(v, other_key),
		    0);
		assert_int_equal(signet_audit_verifier_add_file(v, path), 0);
		assert_int_equal(signet_audit_verifier_finish(v), 0);
		signet_audit_verifier_free(v);
	}
	free(buf);
	lines_free(&l);
}

/* Re-sign checkpoint line i of l with the trusted key over a new prev. */
static void
forge_checkpoint(struct lines *l, size_t i)
{
	json_t *rec = json_loads(l->v[i], 0, NULL), *details;
	char *tbs = NULL, *b64, *line = NULL;
	size_t tbs_len = 0, len = 0, sig_len = 0;
	uint8_t *sig = NULL;
	enum signet_sig_alg alg;

	assert_non_null(rec);
	details = json_object_get(rec, "details");
	assert_int_equal(json_object_set_new(rec, "prev",
			     json_string(AUDIT_ZERO_HASH)),
	    0);
	assert_int_equal(json_object_set_new(details, "sig", json_string("")),
	    0);
	assert_int_equal(audit_json_dump(rec, 0, &tbs, &tbs_len), 0);
	assert_int_equal(signet_sig_alg_for_key(audit_key, 0, &alg), 0);
	assert_int_equal(signet_signer_sign(audit_signer, alg, (uint8_t *)tbs,
			     tbs_len, &sig, &sig_len),
	    0);
	b64 = base64_encode(sig, sig_len);
	assert_int_equal(json_object_set_new(details, "sig", json_string(b64)),
	    0);
	assert_int_equal(audit_json_dump(rec, 1, &line, &len), 0);
	free(l->v[i]);
	l->v[i] = line;
	free(b64);
	free(sig);
	free(tbs);
	json_decref(rec);
}

static void
test_checkpoint_over_another_head(void **state)
{
	const char *path = fx_path("head.log");
	struct lines l;
	struct vresult res;
	size_t i, len, first_cp = 0;
	char *buf;

	(void)state;
	make_log(path, 20, 10);
	l = lines_read(path);
	for (i = 0; i < l.n && first_cp == 0; i++)
		if (is_checkpoint_line(l.v[i]))
			first_cp = i;
	assert_true(first_cp > 0 && first_cp + 1 < l.n);
	/* A middle checkpoint whose signature is good, over another head. */
	forge_checkpoint(&l, first_cp);
	buf = lines_join(&l, &len);
	res = verify_buf(buf, len, audit_key, 0);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_names_line(&res, "log", first_cp + 1);
	free(buf);
	lines_free(&l);
	/*
	 * The last checkpoint: its good signature vouches for itself, so the
	 * record it does not cover is named, with the checkpoint.
	 */
	l = lines_read(path);
	forge_checkpoint(&l, l.n - 1);
	buf = lines_join(&l, &len);
	res = verify_buf(buf, len, audit_key, 0);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_names_line(&res, "log", l.n - 1);
	{
		char want[32];

		snprintf(want, sizeof(want), "log:%zu)", l.n);
		assert_non_null(strstr(res.message, want));
		assert_non_null(strstr(res.message, "checkpoint"));
	}
	free(buf);
	lines_free(&l);
}

static void
test_hostile_records(void **state)
{
	static const struct {
		const char *from, *to, *why;
	} edits[] = {
		{ "\"seq\":2", "\"seq\":\"2\"", "'seq' is not a non-negative" },
		{ "\"seq\":2", "\"seq\":-2", "'seq' is not a non-negative" },
		{ "\"seq\":2", "\"seq\":0", "start at 1" },
		{ "\"seq\":2", "\"seq\":99999999999999999999999", "JSON" },
		{ "\"seq\":2", "\"seq\":2.0", "'seq' is not a non-negative" },
		{ "\"v\":1", "\"v\":2", "format version" },
		{ "\"prev\":\"", "\"prev\":\"X", "'prev'" },
		{ "\"v\":1", "\"v\":\"1\"", "'v' is not a non-negative" },
		{ "\"event\":\"cert.issue\"", "\"event\":7",
		    "'event' is not a string" },
		{ "\"actor\":{", "\"actor\":1,\"actos\":{",
		    "'actor' is missing or not an object" },
		{ "\"event\":\"cert.issue\"", "\"event\":\"cert.forge\"",
		    "not an audit event" },
		{ "\"outcome\":\"success\"", "\"outcome\":\"great\"",
		    "'outcome'" },
		{ "\"uid\":", "\"uid\":\"0\",\"uie\":",
		    "'actor.uid' is not a non-negative" },
		{ "\"user\":", "\"user\":[],\"z\":", "'actor.user' is not a" },
		{ "\"user\":", "\"user\":\"\",\"z\":", "'actor.user' is empty" },
		{ "{\"actor\":", "{\"actor\":{},\"b\":", "missing" },
		{ "\"details\":{", "\"details\":{},\"e\":{",
		    "unknown member 'e'" },
		{ "\"details\":{", "\"details\":[{", "JSON" },
		{ "\"seq\":2,", "\"seq\":2,\"seq\":2,", "duplicate" },
		{ ",\"v\":1}", ",\"v\":1} ", "canonical" },
		{ ",\"v\":1}", ",\"v\":1}x", "JSON" },
		{ ",\"v\":1}", ",\"v\": 1}", "canonical" },
		{ "\"n\":0", "\"n\":\"\\u0000\"", "JSON" },
		{ "\"n\":0", "\"n\":\"\x01\"", "control character" },
		{ "\"n\":0", "\"n\":\"\xc3\xa9\"", "not ASCII" },
		{ "\"n\":0", "\"n\":\"\xff\"", "not ASCII" },
		{ "\"n\":0", "\"n\":\"\\ud800\"", "JSON" },
		{ "\"time\":\"", "\"time\":\"2026-02-30T00:00:00Z\",\"u\":\"",
		    "RFC 3339" },
	};
	const char *path = fx_path("hostile.log");
	struct lines l;
	struct vresult res;
	size_t i, len, k;
	char *buf, *p, *line;

	(void)state;
	make_log(path, 3, 0);
	for (k = 0; k < sizeof(edits) / sizeof(edits[0]); k++) {
		l = lines_read(path);
		p = strstr(l.v[1], edits[k].from);
		assert_non_null(p);
		assert_true(
		    asprintf(&line, "%.*s%s%s", (int)(p - l.v[1]), l.v[1],
			edits[k].to, p + strlen(edits[k].from)) > 0);
		free(l.v[1]);
		l.v[1] = line;
		buf = lines_join(&l, &len);
		res = verify_buf(buf, len, audit_key, 0);
		if (res.r != SIGNET_ERR_VERIFY ||
		    strstr(res.message, edits[k].why) == NULL)
			fprintf(stderr, "edit %zu: %s\n", k, res.message);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_non_null(strstr(res.message, edits[k].why));
		assert_names_line(&res, "log", 2);
		free(buf);
		lines_free(&l);
	}
	/* Dates are util's time_parse_rfc3339 (tests in test_util.c). */
	/* A huge line, deep nesting, NUL bytes, garbage: no crash. */
	{
		size_t big = SIGNET_AUDIT_LINE_MAX + 10;
		char *huge = malloc(big + 1);

		assert_non_null(huge);
		memset(huge, 'a', big);
		huge[big] = '\n';
		res = verify_buf(huge, big + 1, NULL, 0);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_non_null(strstr(res.message, "longer than"));
		memset(huge, '[', big);
		huge[100000] = '\n';
		res = verify_buf(huge, 100001, NULL, 0);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_non_null(strstr(res.message, "nested deeper"));
		memset(huge, 0, 100);
		huge[100] = '\n';
		res = verify_buf(huge, 101, NULL, 0);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_non_null(strstr(res.message, "NUL byte"));
		/* The same through the file reader. */
		memset(huge, 'a', big);
		fx_write(fx_path("huge.log"), huge, big);
		res = verify_one(fx_path("huge.log"), NULL,
		    SIGNET_AUDIT_VERIFY_NO_SIGNATURES);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_non_null(strstr(res.message, "longer than"));
		assert_names_line(&res, fx_path("huge.log"), 1);
		free(huge);
	}
	for (i = 0; i < 3; i++) {
		static const char *const junk[] = { "[]\n", "null\n",
			"{\"seq\":1}\n" };

		res = verify_buf(junk[i], strlen(junk[i]), NULL,
		    SIGNET_AUDIT_VERIFY_NO_SIGNATURES);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_names_line(&res, "log", 1);
	}
}

/* ---- rotation ----------------------------------------------------------- */

static void
test_rotation(void **state)
{
	const char *path = fx_path("rot.log");
	char a1[PATH_MAX], a2[PATH_MAX];
	struct signet_audit *log = NULL;
	struct vresult res;
	int i;

	(void)state;
	snprintf(a1, sizeof(a1), "%s.1", path);
	snprintf(a2, sizeof(a2), "%s.2", path);
	unlink(path);
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	signet_audit_set_checkpoint_interval(log, 7);
	for (i = 0; i < 10; i++)
		append_issue(log, i);
	assert_int_equal(signet_audit_rotate(log, a1), 0);
	for (i = 0; i < 10; i++)
		append_issue(log, i);
	/* An archive that exists is refused, and the log goes on. */
	assert_int_equal(signet_audit_rotate(log, a1), SIGNET_ERR_CONFLICT);
	assert_int_equal(signet_audit_rotate(log, "/elsewhere/x"),
	    SIGNET_ERR_USAGE);
	assert_int_equal(signet_audit_rotate(log, a2), 0);
	for (i = 0; i < 5; i++)
		append_issue(log, i);
	assert_int_equal(signet_audit_close(log), 0);
	{
		const char *const all[] = { a1, a2, path };
		const char *const reordered[] = { a2, a1, path };
		const char *const gap[] = { a1, path };
		const char *const tail[] = { a2, path };
		const char *const head[] = { a1, a2 };

		res =
		    verify_files(all, 3, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
		assert_int_equal(res.r, 0);
		assert_int_equal(res.sum.files, 3);
		assert_int_equal(res.sum.first_seq, 1);
		res = verify_files(reordered, 3, audit_key, 0);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_names_line(&res, a1, 1);
		assert_non_null(strstr(res.message, "out of order"));
		res = verify_files(gap, 2, audit_key, 0);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_names_line(&res, path, 1);
		assert_non_null(strstr(res.message, "missing"));
		/* Earlier files left out: a warning, strict refuses. */
		res = verify_files(tail, 2, audit_key, 0);
		assert_int_equal(res.r, 0);
		assert_true(res.sum.starts_mid_chain);
		res = verify_files(tail, 2, audit_key,
		    SIGNET_AUDIT_VERIFY_STRICT);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		assert_names_line(&res, a2, 1);
		/* The live file left out: the same. */
		res = verify_files(head, 2, audit_key, 0);
		assert_int_equal(res.r, 0);
		assert_true(res.sum.rotated_after);
		res = verify_files(head, 2, audit_key,
		    SIGNET_AUDIT_VERIFY_STRICT);
		assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		/* The same file twice. */
		{
			const char *const twice[] = { a1, a1 };

			res = verify_files(twice, 2, audit_key, 0);
			assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		}
	}
}

static void
test_rotation_by_size_and_other_writer(void **state)
{
	const char *path = fx_path("size.log");
	struct signet_audit *a = NULL, *b = NULL;
	const char *files[64];
	char *out, *name, *save = NULL;
	size_t n = 0;
	struct vresult res;
	int i, st;

	(void)state;
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &a),
	    0);
	/* A second writer on the same file, as another process would be. */
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &b), 0);
	signet_audit_set_rotate_size(a, 4000);
	for (i = 0; i < 40; i++) {
		append_issue(a, i);
		/* b follows every rotation a makes. */
		append_issue(b, i);
	}
	assert_int_equal(signet_audit_close(a), 0);
	assert_int_equal(signet_audit_close(b), 0);
	/* "<path>.<12-digit first seq>" sorts in order. */
	out = fx_sh_output(&st, "ls '%s'/size.log.0* | sort", fx_tmpdir());
	assert_int_equal(st, 0);
	for (name = strtok_r(out, "\n", &save); name != NULL && n < 62;
	     name = strtok_r(NULL, "\n", &save))
		files[n++] = name;
	assert_true(n >= 3);
	files[n++] = path;
	res = verify_files(files, n, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	if (res.r != 0)
		fprintf(stderr, "%s\n", res.message);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.sum.files, n);
	free(out);
}

/* Run this test binary as a helper with SIGNET_FAULT set; its status. */
static int
run_helper(const char *fault, const char *mode, const char *path,
    const char *arg)
{
	write_priv(audit_key, fx_path("helper-key.pem"));
	chmod(fx_path("helper-key.pem"), 0600);
	/* The shell reports a killed helper on stderr: keep that quiet. */
	return fx_sh("exec 2>/dev/null; SIGNET_FAULT='%s' '%s' --helper %s "
		     "'%s' '%s' '%s'",
	    fault, self_exe, mode, path, fx_path("helper-key.pem"),
	    arg != NULL ? arg : "-");
}

static void
test_rotation_crash_is_finished(void **state)
{
	static const char *const faults[] = { "kill:audit.rotate.link",
		"kill:audit.rotate.rename" };
	const char *path = fx_path("crash.log");
	char archive[PATH_MAX];
	struct signet_audit *log = NULL;
	struct vresult res;
	size_t k;

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip();
#endif
	snprintf(archive, sizeof(archive), "%s.old", path);
	for (k = 0; k < 2; k++) {
		unlink(archive);
		make_log(path, 2, 0);
		/* Killed half-way through a rotation (the shell: 128 + 9). */
		assert_int_equal(run_helper(faults[k], "rotate", path, archive),
		    128 + SIGKILL);
		assert_int_equal(file_exists(archive), k == 1);
		/* The next writer finishes it. */
		assert_int_equal(signet_audit_open(path, audit_signer, 0, &log),
		    0);
		append_issue(log, 1);
		assert_int_equal(signet_audit_close(log), 0);
		{
			const char *const files[] = { archive, path };

			res = verify_files(files, 2, audit_key,
			    SIGNET_AUDIT_VERIFY_STRICT);
			if (res.r != 0)
				fprintf(stderr, "%s\n", res.message);
			assert_int_equal(res.r, 0);
		}
	}
}

/* ---- failing closed ----------------------------------------------------- */

static void
assert_all_calls_fail(struct signet_audit *log)
{
	json_t *d = json_pack("{s:s}", "serial", "01");

	assert_true(signet_audit_is_failed(log));
	assert_string_not_equal(signet_audit_failure(log), "");
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "failed earlier"));
	assert_int_equal(signet_audit_sync(log), SIGNET_ERR_AUDIT);
	assert_int_equal(signet_audit_checkpoint(log), SIGNET_ERR_AUDIT);
	assert_int_equal(signet_audit_rotate(log, NULL), SIGNET_ERR_AUDIT);
	json_decref(d);
}

static void
test_deleted_log_is_detected(void **state)
{
	const char *path = fx_path("deleted.log");
	struct signet_audit *log = NULL;
	json_t *d = json_pack("{s:s}", "serial", "01");

	(void)state;
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	append_issue(log, 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "deleted"));
	assert_all_calls_fail(log);
	assert_int_equal(signet_audit_close(log), SIGNET_ERR_AUDIT);
	/* Replaced by another file. */
	make_log(path, 1, 0);
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &log), 0);
	make_log(fx_path("other.log"), 1, 0);
	assert_int_equal(rename(fx_path("other.log"), path), 0);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "replaced"));
	assert_all_calls_fail(log);
	signet_audit_free(log);
	/* Truncated under the handle. */
	make_log(path, 3, 0);
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &log), 0);
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "truncated"));
	assert_all_calls_fail(log);
	signet_audit_free(log);
	json_decref(d);
}

static void
test_full_disk_fails_closed(void **state)
{
	const char *path = fx_path("full.log");
	pid_t pid;
	int st;
	struct vresult res;

	(void)state;
	make_log(path, 2, 0);
	/*
	 * A file size limit makes write(2) fail for real (EFBIG) in the
	 * middle of a record, as a full disk does (ENOSPC), without needing
	 * to mount a small file system.
	 */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct signet_audit *log = NULL;
		struct rlimit rl;
		struct stat sb;
		int i, r = 0;

		signal(SIGXFSZ, SIG_IGN);
		if (signet_audit_open(path, audit_signer, 0, &log) != 0 ||
		    stat(path, &sb) != 0)
			_exit(10);
		rl.rlim_cur = rl.rlim_max = (rlim_t)sb.st_size + 1000;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(11);
		for (i = 0; i < 100 && r == 0; i++) {
			json_t *d =
			    json_pack("{s:s,s:i}", "serial", "0a", "n", i);

			r = signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			    SIGNET_AUDIT_SUCCESS, d);
			json_decref(d);
		}
		if (r != SIGNET_ERR_AUDIT || i < 2 || i == 100)
			_exit(12);
		if (strstr(signet_error_message(), "File too large") == NULL)
			_exit(13);
		if (!signet_audit_is_failed(log) ||
		    signet_audit_sync(log) != SIGNET_ERR_AUDIT ||
		    signet_audit_checkpoint(log) != SIGNET_ERR_AUDIT ||
		    signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			SIGNET_AUDIT_SUCCESS, NULL) != SIGNET_ERR_AUDIT)
			_exit(14);
		if (signet_audit_close(log) != SIGNET_ERR_AUDIT)
			_exit(15);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The partial record was taken back: the chain is intact. */
	res = verify_one(path, audit_key, 0);
	if (res.r != 0)
		fprintf(stderr, "%s\n", res.message);
	assert_int_equal(res.r, 0);
	assert_true(res.sum.uncovered > 0);
}

static void
test_sync_and_write_faults(void **state)
{
	const char *path = fx_path("fault.log");

	(void)state;
#ifndef SIGNET_TEST_HOOKS
	skip();
#endif
	make_log(path, 1, 0);
	assert_int_equal(run_helper("fail:audit.fsync", "fsync", path, NULL),
	    0);
	assert_int_equal(run_helper("fail:audit.write@2", "write", path, NULL),
	    0);
}

static void
test_permission_denied(void **state)
{
	const char *path = fx_path("ro.log");
	pid_t pid;
	int st;

	(void)state;
	make_log(path, 1, 0);
	assert_int_equal(chmod(path, 0400), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct signet_audit *log = NULL;

		/* root ignores modes: test as nobody. */
		if (geteuid() == 0 &&
		    (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(10);
		if (signet_audit_open(path, audit_signer, 0, &log) !=
		    SIGNET_ERR_AUDIT)
			_exit(11);
		if (strstr(signet_error_message(), "Permission denied") == NULL)
			_exit(12);
		_exit(log == NULL ? 0 : 13);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(chmod(path, 0640), 0);
}

static int
failing_sign(void *ctx, enum signet_sig_alg alg, const uint8_t *digest,
    size_t digest_len, uint8_t *sig, size_t *siglen)
{
	(void)ctx;
	(void)alg;
	(void)digest;
	(void)digest_len;
	(void)sig;
	(void)siglen;
	return signet_error_set(SIGNET_ERR_TOKEN, "token session lost (test)");
}

static const struct signet_signer_ops failing_ops = {
	.kind = "test",
	.hardware = 1,
	.sign_digest = failing_sign,
	.free = NULL,
};

static void
test_checkpoint_failure_fails_closed(void **state)
{
	const char *path = fx_path("nosign.log");
	struct signet_signer *bad = NULL;
	struct signet_audit *log = NULL;
	json_t *d = json_pack("{s:s}", "serial", "01");

	(void)state;
	make_log(path, 1, 0);
	assert_int_equal(signet_signer_new(&failing_ops, NULL, audit_key, &bad),
	    0);
	assert_int_equal(signet_audit_open(path, bad, 0, &log), 0);
	signet_audit_set_checkpoint_interval(log, 3);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, d),
	    0);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "session lost"));
	assert_all_calls_fail(log);
	signet_audit_free(log);
	signet_signer_free(bad);
	json_decref(d);
}

/* ---- torn tails --------------------------------------------------------- */

static void
test_torn_tail_and_repair(void **state)
{
	const char *path = fx_path("torn.log");
	static const char torn[] = "{\"actor\":{\"host\":\"x\",\"pid\":1";
	struct signet_audit *log = NULL, *live = NULL;
	struct vresult res;
	struct lines l;
	size_t removed = 99, before;
	uint8_t *buf;
	int fd;
	json_t *rec, *details;

	(void)state;
	make_log(path, 5, 0);
	assert_int_equal(signet_audit_repair(path, &removed), 0);
	assert_int_equal(removed, 0);
	/* Another process dies in the middle of a write. */
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &live), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, torn, strlen(torn)), (ssize_t)strlen(torn));
	close(fd);
	buf = fx_read(path, &before);
	free(buf);
	/* A writer that was open notices, and stops. */
	assert_int_equal(signet_audit_append(live, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_SUCCESS, NULL),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "incomplete record"));
	signet_audit_free(live);
	/* A new one refuses to start, and says what to do. */
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &log),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "signet audit repair"));
	res = verify_one(path, audit_key, 0);
	assert_int_equal(res.r, SIGNET_ERR_VERIFY);
	assert_non_null(strstr(res.message, "no newline"));
	/* The repair records what it removed. */
	assert_int_equal(signet_audit_repair(path, &removed), 0);
	assert_int_equal(removed, strlen(torn));
	l = lines_read(path);
	rec = json_loads(l.v[l.n - 1], 0, NULL);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "event")),
	    "audit.repair");
	details = json_object_get(rec, "details");
	assert_int_equal(json_integer_value(
			     json_object_get(details, "removed_bytes")),
	    strlen(torn));
	{
		uint8_t *quoted = NULL;
		size_t qlen = 0;

		const char *b64 = json_string_value(
		    json_object_get(details, "removed_base64"));

		assert_int_equal(base64_decode(b64, strlen(b64), 0, &quoted,
				     &qlen),
		    0);
		assert_int_equal(qlen, strlen(torn));
		assert_memory_equal(quoted, torn, qlen);
		free(quoted);
	}
	json_decref(rec);
	lines_free(&l);
	res = verify_one(path, audit_key, 0);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.sum.repairs, 1);
	/* And writing goes on. */
	assert_int_equal(signet_audit_open(path, audit_signer, 0, &log), 0);
	assert_int_equal(signet_audit_close(log), 0);
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, 0);
	/* A file with no complete record is not repaired. */
	fx_write(fx_path("torn-only.log"), torn, strlen(torn));
	assert_int_equal(signet_audit_repair(fx_path("torn-only.log"),
			     &removed),
	    SIGNET_ERR_AUDIT);
	assert_non_null(strstr(signet_error_message(), "left as it is"));
}

/* ---- concurrency -------------------------------------------------------- */

static void
append_many(const char *path, int worker, int n, int *ok)
{
	struct signet_audit *log = NULL;
	int i;

	*ok = 0;
	if (signet_audit_open(path, audit_signer, 0, &log) != 0)
		return;
	signet_audit_set_checkpoint_interval(log, 50);
	for (i = 0; i < n; i++) {
		json_t *d = json_pack("{s:i,s:i}", "worker", worker, "n", i);

		if (signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			SIGNET_AUDIT_SUCCESS, d) != 0) {
			json_decref(d);
			signet_audit_free(log);
			return;
		}
		json_decref(d);
		if (i % 20 == 0 && signet_audit_sync(log) != 0) {
			signet_audit_free(log);
			return;
		}
	}
	*ok = signet_audit_close(log) == 0;
}

static void
count_workers(const char *path, int counts[3])
{
	struct lines l = lines_read(path);
	size_t i;

	counts[0] = counts[1] = counts[2] = 0;
	for (i = 0; i < l.n; i++) {
		json_t *rec = json_loads(l.v[i], 0, NULL);
		json_t *w =
		    json_object_get(json_object_get(rec, "details"), "worker");

		if (json_is_integer(w) && json_integer_value(w) >= 0 &&
		    json_integer_value(w) < 3)
			counts[json_integer_value(w)]++;
		json_decref(rec);
	}
	lines_free(&l);
}

static void
test_two_processes_one_chain(void **state)
{
	const char *path = fx_path("concurrent.log");
	pid_t pids[2];
	int k, st, counts[3];
	struct vresult res;

	(void)state;
	make_log(path, 0, 0);
	for (k = 0; k < 2; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			int ok;

			append_many(path, k + 1, 200, &ok);
			_exit(ok ? 0 : 1);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	if (res.r != 0)
		fprintf(stderr, "%s\n", res.message);
	assert_int_equal(res.r, 0);
	assert_true(res.sum.records >= 400 + 2);
	count_workers(path, counts);
	assert_int_equal(counts[1], 200);
	assert_int_equal(counts[2], 200);
}

struct thread_arg {
	struct signet_audit *log;
	int worker;
	int ok;
};

static void *
thread_main(void *p)
{
	struct thread_arg *t = p;
	int i;

	t->ok = 1;
	for (i = 0; i < 200; i++) {
		json_t *d = json_pack("{s:i,s:i}", "worker", t->worker, "n", i);

		if (signet_audit_append(t->log, SIGNET_AUDIT_EV_CERT_ISSUE,
			SIGNET_AUDIT_SUCCESS, d) != 0)
			t->ok = 0;
		json_decref(d);
	}
	return NULL;
}

static void
test_threads_share_a_handle(void **state)
{
	const char *path = fx_path("threads.log");
	struct signet_audit *log = NULL;
	struct thread_arg args[2];
	pthread_t th[2];
	int k, counts[3];
	struct vresult res;

	(void)state;
	unlink(path);
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	signet_audit_set_checkpoint_interval(log, 64);
	for (k = 0; k < 2; k++) {
		args[k].log = log;
		args[k].worker = k + 1;
		assert_int_equal(pthread_create(&th[k], NULL, thread_main,
				     &args[k]),
		    0);
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(th[k], NULL), 0);
		assert_true(args[k].ok);
	}
	assert_int_equal(signet_audit_sync(log), 0);
	assert_int_equal(signet_audit_close(log), 0);
	res = verify_one(path, audit_key, SIGNET_AUDIT_VERIFY_STRICT);
	assert_int_equal(res.r, 0);
	count_workers(path, counts);
	assert_int_equal(counts[1], 200);
	assert_int_equal(counts[2], 200);
}

/* ---- secrets ------------------------------------------------------------ */

static void
test_refused_details(void **state)
{
	static const char *const secret_names[] = { "pin", "PIN", "user_pin",
		"soPin", "so-pin", "sopin", "password", "db.password",
		"passphrase", "private_key", "privateKey", "secret", "puk",
		"client_secret" };
	static const char *const fine_names[] = { "serial", "spki_sha256",
		"pinned", "spinner", "key_id", "keyid", "public_key_sha256",
		"private", "pin_attempts_left_hint" };
	const char *path = fx_path("refuse.log");
	struct signet_audit *log = NULL;
	struct stat before, after;
	json_t *d;
	size_t i;
	char *big;

	(void)state;
	unlink(path);
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	assert_int_equal(stat(path, &before), 0);
	for (i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++) {
		/* Nested, so the walk is tested too. */
		d = json_pack("{s:{s:s}}", "token", secret_names[i], "1234");
		assert_int_equal(signet_audit_append(log,
				     SIGNET_AUDIT_EV_TOKEN_LOGIN,
				     SIGNET_AUDIT_SUCCESS, d),
		    SIGNET_ERR_INTERNAL);
		assert_non_null(
		    strstr(signet_error_message(), secret_names[i]));
		assert_non_null(strstr(signet_error_message(), "secret"));
		json_decref(d);
	}
	/* pin_attempts_left_hint has the word "pin": refused too. */
	for (i = 0; i < sizeof(fine_names) / sizeof(fine_names[0]) - 1; i++) {
		d = json_pack("{s:s}", fine_names[i], "x");
		assert_int_equal(signet_audit_append(log,
				     SIGNET_AUDIT_EV_CONFIG_LOAD,
				     SIGNET_AUDIT_SUCCESS, d),
		    0);
		json_decref(d);
	}
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_size > before.st_size);
	before = after;
	/* Other refusals: nothing written, the handle stays usable. */
	d = json_pack("{s:s}", "csr",
	    "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n");
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_REQUEST,
			     SIGNET_AUDIT_DENIED, d),
	    SIGNET_ERR_INTERNAL);
	assert_non_null(strstr(signet_error_message(), "PEM private key"));
	json_decref(d);
	d = json_pack("{s:f}", "ratio", 0.5);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CONFIG_LOAD,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_INTERNAL);
	assert_non_null(strstr(signet_error_message(), "real number"));
	json_decref(d);
	d = json_pack("{s:s#}", "name", "a\0b", (size_t)3);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CONFIG_LOAD,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_INTERNAL);
	assert_non_null(strstr(signet_error_message(), "NUL"));
	json_decref(d);
	d = json_array();
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CONFIG_LOAD,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_INTERNAL);
	json_decref(d);
	d = json_object();
	{
		json_t *inner = d;

		for (i = 0; i < SIGNET_AUDIT_DEPTH_MAX; i++) {
			json_t *next = json_object();

			json_object_set_new(inner, "a", next);
			inner = next;
		}
	}
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CONFIG_LOAD,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_INTERNAL);
	assert_non_null(strstr(signet_error_message(), "deeper"));
	json_decref(d);
	big = malloc(SIGNET_AUDIT_LINE_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', SIGNET_AUDIT_LINE_MAX);
	big[SIGNET_AUDIT_LINE_MAX] = '\0';
	d = json_pack("{s:s}", "entries", big);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CRL_GENERATE,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_INTERNAL);
	assert_non_null(strstr(signet_error_message(), "limit"));
	json_decref(d);
	free(big);
	/* The log's own events cannot be forged through append. */
	assert_int_equal(signet_audit_append(log,
			     SIGNET_AUDIT_EV_AUDIT_CHECKPOINT,
			     SIGNET_AUDIT_SUCCESS, NULL),
	    SIGNET_ERR_INTERNAL);
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			     SIGNET_AUDIT_OUTCOME_NONE, NULL),
	    SIGNET_ERR_INTERNAL);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_false(signet_audit_is_failed(log));
	assert_int_equal(signet_audit_close(log), 0);
	assert_int_equal(verify_one(path, audit_key, 0).r, 0);
}

static void
test_no_pin_in_log(void **state)
{
	const char *path = fx_path("issuance.log");
	struct signet_audit *log = NULL;
	struct signet_secret *pin = NULL;
	const char *pin_value;
	size_t pin_len, len, i;
	uint8_t *buf;
	json_t *d;

	(void)state;
	fx_softhsm_tokens("auditpin", NULL);
	assert_int_equal(secret_from_file(fx_pin_file("auditpin"),
			     "PIN for token 'auditpin'", &pin),
	    0);
	pin_value = secret_get0(pin, &pin_len);
	assert_true(pin_len >= 8);
	unlink(path);
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	/* What issuance records, with the PIN in this process's memory. */
	d = json_pack("{s:s,s:s}", "token", "auditpin", "pin_source_kind",
	    "file");
	/* A member named after the PIN source is refused... */
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_TOKEN_LOGIN,
			     SIGNET_AUDIT_SUCCESS, d),
	    SIGNET_ERR_INTERNAL);
	json_decref(d);
	d = json_pack("{s:s,s:s}", "token", "auditpin", "login", "user");
	assert_int_equal(signet_audit_append(log, SIGNET_AUDIT_EV_TOKEN_LOGIN,
			     SIGNET_AUDIT_SUCCESS, d),
	    0);
	json_decref(d);
	/* ...and so is the PIN itself under any secret-like name. */
	d = json_pack("{s:s}", "user_pin", pin_value);
	assert_int_equal(signet_audit_append(log,
			     SIGNET_AUDIT_EV_TOKEN_LOGIN_FAILED,
			     SIGNET_AUDIT_FAILURE, d),
	    SIGNET_ERR_INTERNAL);
	json_decref(d);
	for (i = 0; i < 5; i++) {
		d = json_pack("{s:s,s:s,s:[s],s:s,s:s,s:s}", "serial",
		    "7c0ffee5", "subject", "CN=a.example.test", "sans",
		    "a.example.test", "profile", "tls-server", "spki_sha256",
		    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0"
		    "f00a08",
		    "requester", "alice");
		assert_int_equal(signet_audit_append(log,
				     SIGNET_AUDIT_EV_CERT_ISSUE_INTENT,
				     SIGNET_AUDIT_INTENT, d),
		    0);
		assert_int_equal(signet_audit_sync(log), 0);
		assert_int_equal(signet_audit_append(log,
				     SIGNET_AUDIT_EV_CERT_ISSUE,
				     SIGNET_AUDIT_SUCCESS, d),
		    0);
		json_decref(d);
	}
	assert_int_equal(signet_audit_close(log), 0);
	buf = fx_read(path, &len);
	assert_null(memmem(buf, len, pin_value, pin_len));
	free(buf);
	/* And grep, reading the PIN from its file, not from argv. */
	assert_int_equal(fx_sh("grep -qF -f '%s' '%s'", fx_pin_file("auditpin"),
			     path),
	    1);
	assert_int_equal(fx_sh("grep -qF -f '%s/hsm/auditpin.so-pin' '%s'",
			     fx_tmpdir(), path),
	    1);
	/* The check can fail: the PIN file's own line is found in itself. */
	assert_int_equal(fx_sh("grep -qF -f '%s' '%s'", fx_pin_file("auditpin"),
			     fx_pin_file("auditpin")),
	    0);
	secret_free(pin);
}

/* ---- external judges ---------------------------------------------------- */

static void
test_verify_by_hand(void **state)
{
	const char *path = fx_path("hand.log");
	const char *pub = fx_path("audit-pub.pem");
	struct lines l;
	size_t cp = 0, i;
	char key_id[65];

	(void)state;
	make_log(path, 15, 10);
	write_pub(audit_key, pub);
	l = lines_read(path);
	for (i = 1; i < l.n && cp == 0; i++)
		if (is_checkpoint_line(l.v[i]))
			cp = i + 1;
	assert_true(cp > 1);
	/* docs/audit.md: the chain with sed and sha256sum... */
	assert_int_equal(fx_sh("cd '%s' && h=$(sed -n %zup hand.log | "
			       "sha256sum | cut -d' ' -f1) && "
			       "sed -n %zup hand.log | grep -q "
			       "\"\\\"prev\\\":\\\"$h\\\"\"",
			     fx_tmpdir(), cp - 1, cp),
	    0);
	/* ...which fails for a line that is not the previous one. */
	assert_int_equal(fx_sh("cd '%s' && h=$(sed -n %zup hand.log | "
			       "sha256sum | cut -d' ' -f1) && "
			       "sed -n %zup hand.log | grep -q "
			       "\"\\\"prev\\\":\\\"$h\\\"\"",
			     fx_tmpdir(), cp - 2, cp),
	    1);
	/* ...a checkpoint with openssl... */
	assert_int_equal(fx_sh("cd '%s' && sed -n %zup hand.log | "
			       "sed 's/\"sig\":\"[^\"]*\"/\"sig\":\"\"/' | tr "
			       "-d '\\n' "
			       ">tbs && sed -n %zup hand.log | grep -o "
			       "'\"sig\":\"[^\"]*\"' "
			       "| cut -d'\"' -f4 | base64 -d >sig.der && "
			       "openssl dgst -sha256 -verify audit-pub.pem "
			       "-signature "
			       "sig.der tbs >/dev/null",
			     fx_tmpdir(), cp, cp),
	    0);
	/* ...and the key id. */
	assert_int_equal(signet_audit_key_id(audit_key, key_id), 0);
	assert_int_equal(fx_sh("cd '%s' && openssl pkey -pubin -in "
			       "audit-pub.pem -outform DER | sha256sum | "
			       "grep -q %s && grep -q %s hand.log",
			     fx_tmpdir(), key_id, key_id),
	    0);
	lines_free(&l);
}

static void
test_python_judge(void **state)
{
	const char *path = fx_path("judge.log");
	char archive[PATH_MAX], cmd[PATH_MAX];
	struct signet_audit *log = NULL;
	int i;

	(void)state;
	if (!fx_have("/usr/bin/python3") ||
	    fx_sh("/usr/bin/python3 -c 'import cryptography' 2>/dev/null") != 0)
		skip();
	snprintf(archive, sizeof(archive), "%s.1", path);
	write_pub(audit_key, fx_path("judge-pub.pem"));
	unlink(path);
	assert_int_equal(signet_audit_open(path, audit_signer,
			     SIGNET_AUDIT_CREATE, &log),
	    0);
	signet_audit_set_checkpoint_interval(log, 6);
	for (i = 0; i < 20; i++)
		append_issue(log, i);
	assert_int_equal(signet_audit_rotate(log, archive), 0);
	for (i = 0; i < 8; i++)
		append_issue(log, i);
	assert_int_equal(signet_audit_close(log), 0);
	snprintf(cmd, sizeof(cmd),
	    "/usr/bin/python3 '%s/tests/cli/audit_judge.py'", fx_source_dir());
	/* An independent implementation of docs/audit.md agrees... */
	assert_int_equal(fx_sh("%s verify '%s' '%s' '%s'", cmd,
			     fx_path("judge-pub.pem"), archive, path),
	    0);
	/* ...and is able to disagree. */
	assert_int_equal(fx_sh("sed -i '5s/\"n\":3/\"n\":4/' '%s' && %s verify "
			       "'%s' '%s' '%s' 2>/dev/null",
			     archive, cmd, fx_path("judge-pub.pem"), archive,
			     path),
	    1);
}

/* ---- the fuzz corpus ---------------------------------------------------- */

/* tests/fuzz/fuzz_audit_verify.c, linked in: run over its seed corpus. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
test_fuzz_corpus_does_not_crash(void **state)
{
	char *out, *name, *save = NULL, *base;
	int st, n = 0, ok = 0;
	uint8_t *buf;
	size_t len;

	(void)state;
	out = fx_sh_output(&st, "ls -d '%s'/tests/fuzz/corpus/audit/*",
	    fx_source_dir());
	assert_int_equal(st, 0);
	for (name = strtok_r(out, "\n", &save); name != NULL;
	     name = strtok_r(NULL, "\n", &save)) {
		struct vresult res;

		buf = fx_read(name, &len);
		assert_int_equal(LLVMFuzzerTestOneInput(buf, len), 0);
		res = verify_buf((char *)buf, len, NULL,
		    SIGNET_AUDIT_VERIFY_NO_SIGNATURES);
		base = strrchr(name, '/') + 1;
		/* Seeds named ok-* are good logs (one file: no form feed). */
		if (strncmp(base, "ok-", 3) == 0 &&
		    memchr(buf, '\f', len) == NULL) {
			assert_int_equal(res.r, 0);
			ok++;
		} else if (strncmp(base, "bad-", 4) == 0)
			assert_int_equal(res.r, SIGNET_ERR_VERIFY);
		free(buf);
		n++;
	}
	assert_true(n >= 10);
	assert_true(ok >= 3);
	free(out);
}

/* ---- helper mode: this binary run with SIGNET_FAULT set ----------------- */

static int
helper_main(int argc, char **argv)
{
	const char *mode = argv[2], *path = argv[3];
	struct signet_audit *log = NULL;
	EVP_PKEY *key;
	FILE *f;
	int r;

	if (argc != 6 || (f = fopen(argv[4], "r")) == NULL)
		return 20;
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL || signet_soft_signer_new(key, &audit_signer) != 0)
		return 21;
	if (signet_audit_open(path, audit_signer, 0, &log) != 0)
		return 22;
	if (strcmp(mode, "rotate") == 0) {
		append_issue(log, 0);
		if (signet_audit_rotate(log, argv[5]) != 0)
			return 23;
		return 24; /* the fault point kills before this */
	}
	if (strcmp(mode, "fsync") == 0) {
		/* An append is fine, its sync fails, and so does the rest. */
		if (signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			SIGNET_AUDIT_INTENT, NULL) != 0)
			return 31;
		if (signet_audit_sync(log) != SIGNET_ERR_AUDIT)
			return 25;
		r = signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
		    SIGNET_AUDIT_SUCCESS, NULL);
		r = r == SIGNET_ERR_AUDIT && signet_audit_is_failed(log) &&
			    signet_audit_close(log) == SIGNET_ERR_AUDIT
			? 0
			: 26;
		signet_signer_free(audit_signer);
		EVP_PKEY_free(key);
		return r;
	}
	if (strcmp(mode, "write") == 0) {
		if (signet_audit_append(log, SIGNET_AUDIT_EV_CERT_ISSUE,
			SIGNET_AUDIT_INTENT, NULL) != SIGNET_ERR_AUDIT)
			return 27;
		if (strstr(signet_error_message(), "audit.write") == NULL)
			return 28;
		r = signet_audit_sync(log);
		signet_audit_free(log);
		signet_signer_free(audit_signer);
		EVP_PKEY_free(key);
		return r == SIGNET_ERR_AUDIT ? 0 : 29;
	}
	return 30;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_log_verifies),
		cmocka_unit_test(test_reopen_continues_chain),
		cmocka_unit_test(test_open_refuses),
		cmocka_unit_test(test_tamper_every_record),
		cmocka_unit_test(test_tamper_messages),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_checkpoint_other_key),
		cmocka_unit_test(test_writer_authenticates),
		cmocka_unit_test(test_checkpoint_over_another_head),
		cmocka_unit_test(test_hostile_records),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_by_size_and_other_writer),
		cmocka_unit_test(test_rotation_crash_is_finished),
		cmocka_unit_test(test_deleted_log_is_detected),
		cmocka_unit_test(test_full_disk_fails_closed),
		cmocka_unit_test(test_sync_and_write_faults),
		cmocka_unit_test(test_permission_denied),
		cmocka_unit_test(test_checkpoint_failure_fails_closed),
		cmocka_unit_test(test_torn_tail_and_repair),
		cmocka_unit_test(test_two_processes_one_chain),
		cmocka_unit_test(test_threads_share_a_handle),
		cmocka_unit_test(test_refused_details),
		cmocka_unit_test(test_no_pin_in_log),
		cmocka_unit_test(test_verify_by_hand),
		cmocka_unit_test(test_python_judge),
		cmocka_unit_test(test_fuzz_corpus_does_not_crash),
	};
	ssize_t n;
	int r;

	if (argc > 1 && strcmp(argv[1], "--helper") == 0)
		return helper_main(argc, argv);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	audit_key = EVP_EC_gen("P-256");
	other_key = EVP_EC_gen("P-256");
	if (audit_key == NULL || other_key == NULL ||
	    signet_soft_signer_new(audit_key, &audit_signer) != 0 ||
	    signet_soft_signer_new(other_key, &other_signer) != 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	signet_signer_free(audit_signer);
	signet_signer_free(other_signer);
	EVP_PKEY_free(audit_key);
	EVP_PKEY_free(other_key);
	return r;
}
