/*
 * Renewal over EST (docs/renewal.md): which certificate superseded which,
 * and the one-time enrollment tokens that authorise a first enrollment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/codec.h"

/* ---- supersession -------------------------------------------------------- */

struct supersede_arg {
	char issuer[65];
	char canon[41];
	char padded[41];
	char succ_canon[41];
	char succ_padded[41];
	int64_t now;
	char *found; /* successor lookups: out[41] */
};

/* Row id of an issued or revoked certificate. */
static int
signed_cert_id(struct signet_store *st, int64_t issuer_id, const char *padded,
    const char *issuer, int64_t *id)
{
	struct store_q q = { 0 };
	const char *status;
	int r;

	if ((r = store_q_open(st,
		 "SELECT id, status FROM certificates WHERE issuer_id = ? "
		 "AND serial = ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, issuer_id);
	store_q_text(&q, padded);
	if ((r = store_q_step(&q)) == 1) {
		*id = store_q_col_int(&q, 0);
		status = store_q_col_text(&q, 1);
		r = status != NULL && (strcmp(status, "issued") == 0 ||
					  strcmp(status, "revoked") == 0)
			? 0
			: signet_error_set(SIGNET_ERR_CONFLICT,
			      "certificate %s of issuer %s was never signed",
			      store_serial_canon(padded), issuer);
	} else if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no certificate %s of issuer %s",
		    store_serial_canon(padded), issuer);
	}
	store_q_close(&q);
	return r;
}

static int
supersede_work(struct signet_store *st, void *argp)
{
	struct supersede_arg *a = argp;
	struct store_q q = { 0 };
	int64_t issuer_id, old_id, new_id;
	int r;

	if ((r = store_issuer_id(st, a->issuer, 0, a->now, &issuer_id)) != 0 ||
	    (r = signed_cert_id(st, issuer_id, a->padded, a->issuer,
		 &old_id)) != 0 ||
	    (r = signed_cert_id(st, issuer_id, a->succ_padded, a->issuer,
		 &new_id)) != 0)
		return r;
	if (old_id == new_id)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "certificate %s cannot supersede itself", a->canon);
	if ((r = store_q_open(st,
		 "INSERT INTO supersessions (certificate_id, successor_id, "
		 "superseded_at) VALUES (?, ?, ?)",
		 &q)) != 0)
		return r;
	store_q_int(&q, old_id);
	store_q_int(&q, new_id);
	store_q_int(&q, a->now);
	r = store_q_exec(&q);
	store_q_close(&q);
	if (r == SIGNET_ERR_CONFLICT)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "certificate %s of issuer %s was already superseded (or "
		    "%s already supersedes another)",
		    a->canon, a->issuer, a->succ_canon);
	return r;
}

static int
supersede_prepare(struct supersede_arg *a, const char *issuer,
    const char *serial)
{
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = store_issuer_norm(issuer, a->issuer)) != 0 ||
	    (r = store_serial_norm(serial, a->canon, a->padded)) != 0)
		return r;
	return 0;
}

int
signet_store_cert_supersede(struct signet_store *st, const char *issuer,
    const char *serial, const char *successor, int64_t now)
{
	struct supersede_arg a;
	int r;

	if ((r = supersede_prepare(&a, issuer, serial)) != 0 ||
	    (r = store_serial_norm(successor, a.succ_canon, a.succ_padded)) !=
		0)
		return r;
	a.now = now;
	return store_write(st, supersede_work, &a);
}

static int
successor_work(struct signet_store *st, void *argp)
{
	struct supersede_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "SELECT n.serial FROM supersessions s "
		 "JOIN certificates c ON c.id = s.certificate_id "
		 "JOIN issuers i ON i.id = c.issuer_id "
		 "JOIN certificates n ON n.id = s.successor_id "
		 "WHERE i.issuer_key = ? AND c.serial = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->issuer);
	store_q_text(&q, a->padded);
	if ((r = store_q_step(&q)) == 1) {
		snprintf(a->found, 41, "%s",
		    store_serial_canon(store_q_col_text(&q, 0)));
		r = 0;
	} else if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "certificate %s of issuer %s was not superseded", a->canon,
		    a->issuer);
	}
	store_q_close(&q);
	return r;
}

int
signet_store_cert_successor(struct signet_store *st, const char *issuer,
    const char *serial, char successor[41])
{
	struct supersede_arg a;
	int r;

	successor[0] = '\0';
	if ((r = supersede_prepare(&a, issuer, serial)) != 0)
		return r;
	a.found = successor;
	return store_read(st, successor_work, &a);
}

/* ---- enrollment tokens --------------------------------------------------- */

static int
token_id_check(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != SIGNET_STORE_TOKEN_ID_LEN)
		goto bad;
	for (i = 0; i < SIGNET_STORE_TOKEN_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
			(id[i] >= 'a' && id[i] <= 'f')))
			goto bad;
	return 0;
bad:
	return signet_error_set(SIGNET_ERR_USAGE,
	    "'%.40s' is not a token id (16 lower-case hex digits, as `signet "
	    "est token list` shows)",
	    id != NULL ? id : "");
}

void
signet_store_est_token_free(struct signet_store_est_token *t)
{
	if (t == NULL)
		return;
	free((char *)t->token_id);
	free((char *)t->profile);
	free((char *)t->names);
	free(t);
}

#define TOKEN_COLUMNS                                                 \
	"token_id, profile, names, created_at, expires_at, used_at, " \
	"revoked_at"

static void
token_from_q(struct store_q *q, struct signet_store_est_token *t)
{
	t->token_id = store_q_col_text(q, 0);
	t->profile = store_q_col_text(q, 1);
	t->names = store_q_col_text(q, 2);
	t->created_at = store_q_col_int(q, 3);
	t->expires_at = store_q_col_int(q, 4);
	t->used_at = store_q_col_is_null(q, 5) ? 0 : store_q_col_int(q, 5);
	t->revoked_at = store_q_col_is_null(q, 6) ? 0 : store_q_col_int(q, 6);
}

static int
token_copy(const struct signet_store_est_token *in,
    struct signet_store_est_token **out)
{
	struct signet_store_est_token *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	*t = *in;
	t->token_id = strdup(in->token_id != NULL ? in->token_id : "");
	t->profile = strdup(in->profile != NULL ? in->profile : "");
	t->names = strdup(in->names != NULL ? in->names : "");
	if (t->token_id == NULL || t->profile == NULL || t->names == NULL) {
		signet_store_est_token_free(t);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	*out = t;
	return 0;
}

struct token_arg {
	const struct signet_store_est_token *t;
	char secret[65];
	const char *token_id;
	int64_t now;
	struct signet_store_est_token **out;
	signet_store_est_token_cb cb;
	void *cb_arg;
};

static int
token_add_work(struct signet_store *st, void *argp)
{
	struct token_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "INSERT INTO est_tokens (token_id, secret_sha256, profile, "
		 "names, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->t->token_id);
	store_q_text(&q, a->secret);
	store_q_text(&q, a->t->profile);
	store_q_text(&q, a->t->names);
	store_q_int(&q, a->t->created_at);
	store_q_int(&q, a->t->expires_at);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_est_token_add(struct signet_store *st,
    const struct signet_store_est_token *t, const uint8_t secret_sha256[32])
{
	struct token_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = token_id_check(t->token_id)) != 0 ||
	    (r = store_text_check("profile", t->profile, SIGNET_STORE_NAME_MAX,
		 0)) != 0 ||
	    (r = store_text_check("names", t->names, SIGNET_STORE_TEXT_MAX,
		 0)) != 0)
		return r;
	if (t->expires_at <= t->created_at)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a token must expire after it is made");
	a.t = t;
	hex_encode(secret_sha256, 32, a.secret);
	return store_write(st, token_add_work, &a);
}

/* Why a token that exists could not be used. */
static int
token_refusal(struct signet_store *st, struct token_arg *a)
{
	struct store_q q = { 0 };
	struct signet_store_est_token t;
	int r;

	if ((r = store_q_open(st,
		 "SELECT " TOKEN_COLUMNS
		 " FROM est_tokens WHERE secret_sha256 = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->secret);
	if ((r = store_q_step(&q)) == 1) {
		token_from_q(&q, &t);
		if (t.revoked_at != 0)
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "enrollment token %s was revoked", t.token_id);
		else if (t.used_at != 0)
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "enrollment token %s was already used", t.token_id);
		else
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "enrollment token %s expired", t.token_id);
	} else if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no such enrollment token");
	}
	store_q_close(&q);
	return r;
}

static int
token_use_work(struct signet_store *st, void *argp)
{
	struct token_arg *a = argp;
	struct store_q q = { 0 };
	struct signet_store_est_token t;
	int r;

	if ((r = store_q_open(st,
		 "UPDATE est_tokens SET used_at = ? WHERE secret_sha256 = ? "
		 "AND used_at IS NULL AND revoked_at IS NULL "
		 "AND expires_at > ? RETURNING " TOKEN_COLUMNS,
		 &q)) != 0)
		return r;
	store_q_int(&q, a->now);
	store_q_text(&q, a->secret);
	store_q_int(&q, a->now);
	if ((r = store_q_step(&q)) == 1) {
		token_from_q(&q, &t);
		r = token_copy(&t, a->out);
		/* RETURNING: the backend must see the statement end. */
		if (r == 0 && store_q_step(&q) < 0) {
			signet_store_est_token_free(*a->out);
			*a->out = NULL;
			r = SIGNET_ERR_STORE;
		}
		store_q_close(&q);
		return r;
	}
	store_q_close(&q);
	if (r < 0)
		return r;
	return token_refusal(st, a);
}

int
signet_store_est_token_use(struct signet_store *st,
    const uint8_t secret_sha256[32], int64_t now,
    struct signet_store_est_token **out)
{
	struct token_arg a;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	hex_encode(secret_sha256, 32, a.secret);
	a.now = now;
	a.out = out;
	return store_write(st, token_use_work, &a);
}

static int
token_release_work(struct signet_store *st, void *argp)
{
	struct token_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "UPDATE est_tokens SET used_at = NULL WHERE token_id = ? "
		 "AND used_at = ? AND revoked_at IS NULL",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->token_id);
	store_q_int(&q, a->now);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_est_token_release(struct signet_store *st, const char *token_id,
    int64_t used_at)
{
	struct token_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = token_id_check(token_id)) != 0)
		return r;
	a.token_id = token_id;
	a.now = used_at;
	return store_write(st, token_release_work, &a);
}

static int
token_revoke_work(struct signet_store *st, void *argp)
{
	struct token_arg *a = argp;
	struct store_q q = { 0 };
	int64_t used = 0, revoked = 0;
	int r;

	if ((r = store_q_open(st,
		 "SELECT used_at, revoked_at FROM est_tokens "
		 "WHERE token_id = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->token_id);
	if ((r = store_q_step(&q)) == 1) {
		used = store_q_col_is_null(&q, 0) ? 0 : store_q_col_int(&q, 0);
		revoked =
		    store_q_col_is_null(&q, 1) ? 0 : store_q_col_int(&q, 1);
		r = 0;
	} else if (r == 0) {
		r = signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no enrollment token %s", a->token_id);
	}
	store_q_close(&q);
	if (r != 0)
		return r;
	if (revoked != 0)
		return 0;
	if (used != 0)
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "enrollment token %s was already used; revoke the "
		    "certificate it got instead",
		    a->token_id);
	if ((r = store_q_open(st,
		 "UPDATE est_tokens SET revoked_at = ? WHERE token_id = ? "
		 "AND used_at IS NULL AND revoked_at IS NULL",
		 &q)) != 0)
		return r;
	store_q_int(&q, a->now);
	store_q_text(&q, a->token_id);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_est_token_revoke(struct signet_store *st, const char *token_id,
    int64_t now)
{
	struct token_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = token_id_check(token_id)) != 0)
		return r;
	a.token_id = token_id;
	a.now = now;
	return store_write(st, token_revoke_work, &a);
}

static int
token_foreach_work(struct signet_store *st, void *argp)
{
	struct token_arg *a = argp;
	struct store_q q = { 0 };
	struct signet_store_est_token t;
	int r;

	if ((r = store_q_open(st,
		 "SELECT " TOKEN_COLUMNS " FROM est_tokens ORDER BY id", &q)) !=
	    0)
		return r;
	while ((r = store_q_step(&q)) == 1) {
		token_from_q(&q, &t);
		st->in_callback = 1;
		r = a->cb(&t, a->cb_arg);
		st->in_callback = 0;
		if (r != 0)
			break;
	}
	store_q_close(&q);
	return r < 0 ? r : 0;
}

int
signet_store_est_token_foreach(struct signet_store *st,
    signet_store_est_token_cb cb, void *arg)
{
	struct token_arg a;

	memset(&a, 0, sizeof(a));
	a.cb = cb;
	a.cb_arg = arg;
	return store_read(st, token_foreach_work, &a);
}
