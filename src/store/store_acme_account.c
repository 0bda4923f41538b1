/*
 * ACME accounts beyond registration (include/signet/store_acme_account.h):
 * external account binding keys, contact and key changes, orders lists,
 * authorization deactivation. As in store_acme.c, every change is one
 * unit of work whose UPDATE names the state it starts from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/store_acme_account.h"
#include "store/store_acme_int.h"
#include "store/store_int.h"
#include "util/secret.h"

static void
col_copy(struct store_q *q, int i, char *out, size_t cap)
{
	const char *v = store_q_col_text(q, i);

	snprintf(out, cap, "%s", v != NULL ? v : "");
}

/* An UPDATE ... RETURNING: *hit when a row changed. */
static int
step_hit(struct store_q *q, int *hit)
{
	int r;

	*hit = 0;
	while ((r = store_q_step(q)) == 1)
		*hit = 1;
	return r;
}

static int
key_text_check(const char *key)
{
	size_t i;

	if (key == NULL || strlen(key) != SIGNET_ACME_EAB_KEY_LEN)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an EAB MAC key is %d base64url characters",
		    SIGNET_ACME_EAB_KEY_LEN);
	for (i = 0; i < SIGNET_ACME_EAB_KEY_LEN; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') ||
			(key[i] >= 'a' && key[i] <= 'z') ||
			(key[i] >= '0' && key[i] <= '9') || key[i] == '-' ||
			key[i] == '_'))
			return signet_error_set(SIGNET_ERR_USAGE,
			    "an EAB MAC key is base64url");
	return 0;
}

/* ---- EAB keys ----------------------------------------------------------- */

#define EAB_COLUMNS                                                        \
	"SELECT kid, profile, comment, created_at, account_id, bound_at, " \
	"revoked_at, hmac_key FROM acme_eab_keys "

struct eab_arg {
	const char *kid;
	const char *hmac_key;
	const char *profile;
	const char *comment;
	const char *account;
	int64_t now;
	struct signet_acme_eab *e;
	char *key_out;
	signet_acme_eab_cb cb;
	void *cb_arg;
	struct signet_acme_account *a;
	int found;
	int created;
};

static void
eab_from_q(struct store_q *q, struct signet_acme_eab *e)
{
	memset(e, 0, sizeof(*e));
	col_copy(q, 0, e->kid, sizeof(e->kid));
	col_copy(q, 1, e->profile, sizeof(e->profile));
	col_copy(q, 2, e->comment, sizeof(e->comment));
	e->created_at = store_q_col_int(q, 3);
	col_copy(q, 4, e->account, sizeof(e->account));
	e->bound_at = store_q_col_is_null(q, 5) ? 0 : store_q_col_int(q, 5);
	e->revoked_at = store_q_col_is_null(q, 6) ? 0 : store_q_col_int(q, 6);
}

static int
eab_add_work(struct signet_store *st, void *argp)
{
	struct eab_arg *x = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "INSERT INTO acme_eab_keys (kid, hmac_key, profile, comment, "
		 "created_at) VALUES (?, ?, ?, ?, ?)",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->kid);
	store_q_text(&q, x->hmac_key);
	store_q_text(&q, x->profile);
	store_q_text(&q, x->comment);
	store_q_int(&q, x->now);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_acme_eab_add(struct signet_store *st, const char *kid,
    const char *hmac_key, const char *profile, const char *comment, int64_t now)
{
	struct eab_arg x;
	int r;

	if (store_acme_id_check("EAB key", kid) != 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an EAB key id is 32 lower-case hex digits");
	if ((r = key_text_check(hmac_key)) != 0 ||
	    (r = store_text_check("profile", profile, SIGNET_ACME_PROFILE_MAX,
		 0)) != 0 ||
	    (r = store_text_check("comment", comment,
		 SIGNET_ACME_EAB_COMMENT_MAX, 1)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.kid = kid;
	x.hmac_key = hmac_key;
	x.profile = profile;
	x.comment = comment;
	x.now = now;
	return store_write(st, eab_add_work, &x);
}

static int
eab_get_work(struct signet_store *st, void *argp)
{
	struct eab_arg *x = argp;
	struct store_q q = { 0 };
	int r;

	x->found = 0;
	if ((r = store_q_open(st, EAB_COLUMNS "WHERE kid = ?", &q)) != 0)
		return r;
	store_q_text(&q, x->kid);
	if ((r = store_q_step(&q)) == 1) {
		eab_from_q(&q, x->e);
		if (x->key_out != NULL)
			col_copy(&q, 7, x->key_out,
			    SIGNET_ACME_EAB_KEY_LEN + 1);
		x->found = 1;
		r = 0;
	}
	store_q_close(&q);
	return r;
}

int
signet_store_acme_eab_get(struct signet_store *st, const char *kid,
    struct signet_acme_eab *e, char hmac_key[SIGNET_ACME_EAB_KEY_LEN + 1])
{
	struct eab_arg x;
	int r;

	memset(e, 0, sizeof(*e));
	if (hmac_key != NULL)
		hmac_key[0] = '\0';
	if ((r = store_acme_id_check("EAB key", kid)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.kid = kid;
	x.e = e;
	x.key_out = hmac_key;
	if ((r = store_read(st, eab_get_work, &x)) != 0) {
		if (hmac_key != NULL)
			secret_wipe(hmac_key, SIGNET_ACME_EAB_KEY_LEN + 1);
		return r;
	}
	return x.found ? 0
		       : signet_error_set(SIGNET_ERR_NOT_FOUND, "no EAB key %s",
			     kid);
}

static int
eab_foreach_work(struct signet_store *st, void *argp)
{
	struct eab_arg *x = argp;
	struct signet_acme_eab e;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st, EAB_COLUMNS "ORDER BY id", &q)) != 0)
		return r;
	while ((r = store_q_step(&q)) == 1) {
		eab_from_q(&q, &e);
		if ((r = x->cb(&e, x->cb_arg)) != 0)
			break;
	}
	store_q_close(&q);
	return r;
}

int
signet_store_acme_eab_foreach(struct signet_store *st, signet_acme_eab_cb cb,
    void *arg)
{
	struct eab_arg x;

	memset(&x, 0, sizeof(x));
	x.cb = cb;
	x.cb_arg = arg;
	return store_read(st, eab_foreach_work, &x);
}

static int
eab_revoke_work(struct signet_store *st, void *argp)
{
	struct eab_arg *x = argp;
	struct signet_acme_eab e;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st,
		 "UPDATE acme_eab_keys SET revoked_at = ? "
		 "WHERE kid = ? AND revoked_at IS NULL RETURNING kid",
		 &q)) != 0)
		return r;
	store_q_int(&q, x->now);
	store_q_text(&q, x->kid);
	r = step_hit(&q, &hit);
	store_q_close(&q);
	if (r != 0 || hit)
		return r;
	x->e = &e;
	if ((r = eab_get_work(st, x)) != 0)
		return r;
	return x->found ? signet_error_set(SIGNET_ERR_CONFLICT,
			      "EAB key %s is already revoked", x->kid)
			: signet_error_set(SIGNET_ERR_NOT_FOUND,
			      "no EAB key %s", x->kid);
}

int
signet_store_acme_eab_revoke(struct signet_store *st, const char *kid,
    int64_t now)
{
	struct eab_arg x;
	int r;

	if ((r = store_acme_id_check("EAB key", kid)) != 0)
		return signet_error_set(r, "no EAB key %.40s", kid);
	memset(&x, 0, sizeof(x));
	x.kid = kid;
	x.now = now;
	return store_write(st, eab_revoke_work, &x);
}

static int
account_new_eab_work(struct signet_store *st, void *argp)
{
	struct eab_arg *x = argp;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_acme_account_new_in(st, x->a, x->now, &x->created)) != 0)
		return r;
	if ((r = store_q_open(st,
		 "UPDATE acme_eab_keys SET account_id = ?, bound_at = ? "
		 "WHERE kid = ? AND profile = ? AND revoked_at IS NULL "
		 "AND account_id IS NULL RETURNING kid",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->a->id);
	store_q_int(&q, x->now);
	store_q_text(&q, x->kid);
	store_q_text(&q, x->profile);
	r = step_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "EAB key %s is unknown, revoked, for another profile or "
		    "bound to an account already",
		    x->kid);
	return r;
}

int
signet_store_acme_account_new_eab(struct signet_store *st,
    struct signet_acme_account *a, const char *kid, const char *profile,
    int64_t now, int *created)
{
	struct eab_arg x;
	int r;

	*created = 0;
	if ((r = store_acme_id_check("EAB key", kid)) != 0)
		return r;
	if (strlen(a->thumbprint) != SIGNET_ACME_THUMB_LEN ||
	    strlen(a->spki_sha256) != 64 || a->jwk[0] == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an ACME account needs its key's thumbprint, SPKI hash "
		    "and JWK");
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.kid = kid;
	x.profile = profile;
	x.now = now;
	if ((r = store_write(st, account_new_eab_work, &x)) != 0)
		return r;
	*created = x.created;
	return 0;
}

static int
eab_bound_work(struct signet_store *st, void *argp)
{
	struct eab_arg *x = argp;
	struct store_q q = { 0 };
	int r;

	x->found = 0;
	if ((r = store_q_open(st,
		 "SELECT kid FROM acme_eab_keys WHERE account_id = ? "
		 "AND profile = ? AND revoked_at IS NULL",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->account);
	store_q_text(&q, x->profile);
	while ((r = store_q_step(&q)) == 1)
		x->found = 1;
	store_q_close(&q);
	return r;
}

int
signet_store_acme_account_eab_bound(struct signet_store *st,
    const char *account, const char *profile, int *bound)
{
	struct eab_arg x;
	int r;

	*bound = 0;
	if ((r = store_acme_id_check("account", account)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.account = account;
	x.profile = profile;
	if ((r = store_read(st, eab_bound_work, &x)) != 0)
		return r;
	*bound = x.found;
	return 0;
}

/* ---- account changes ----------------------------------------------------- */

struct change_arg {
	const char *id;
	const char *contact;
	const struct signet_acme_account *nk;
	char *other;
	const char *identifier;
	const char *account;
	int64_t now;
	int64_t start;
	char (*ids)[SIGNET_ACME_ID_LEN + 1];
	size_t n;
	int more;
	int found;
};

static int
contact_work(struct signet_store *st, void *argp)
{
	struct change_arg *x = argp;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st,
		 "UPDATE acme_accounts SET contact = ? WHERE id = ? "
		 "AND status = 'valid' RETURNING id",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->contact);
	store_q_text(&q, x->id);
	r = step_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "account %s is not valid", x->id);
	return r;
}

int
signet_store_acme_account_contact(struct signet_store *st, const char *id,
    const char *contact)
{
	struct change_arg x;
	int r;

	if ((r = store_acme_id_check("account", id)) != 0 ||
	    (r = store_text_check("contact", contact, SIGNET_ACME_CONTACT_MAX,
		 0)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.id = id;
	x.contact = contact;
	return store_write(st, contact_work, &x);
}

static int
rekey_work(struct signet_store *st, void *argp)
{
	struct change_arg *x = argp;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st,
		 "SELECT id FROM acme_accounts WHERE thumbprint = ?", &q)) != 0)
		return r;
	store_q_text(&q, x->nk->thumbprint);
	if ((r = store_q_step(&q)) == 1)
		col_copy(&q, 0, x->other, SIGNET_ACME_ID_LEN + 1);
	store_q_close(&q);
	if (r < 0)
		return r;
	if (x->other[0] != '\0')
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "the new key is the key of account %s", x->other);
	if ((r = store_q_open(st,
		 "UPDATE acme_accounts SET thumbprint = ?, spki_sha256 = ?, "
		 "jwk = ? WHERE id = ? AND status = 'valid' RETURNING id",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->nk->thumbprint);
	store_q_text(&q, x->nk->spki_sha256);
	store_q_text(&q, x->nk->jwk);
	store_q_text(&q, x->id);
	r = step_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "account %s is not valid", x->id);
	return r;
}

int
signet_store_acme_account_rekey(struct signet_store *st, const char *id,
    const struct signet_acme_account *nk, char other[SIGNET_ACME_ID_LEN + 1])
{
	struct change_arg x;
	int r;

	other[0] = '\0';
	if ((r = store_acme_id_check("account", id)) != 0)
		return r;
	if (strlen(nk->thumbprint) != SIGNET_ACME_THUMB_LEN ||
	    strlen(nk->spki_sha256) != 64 || nk->jwk[0] == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "a new account key needs its thumbprint, SPKI hash and "
		    "JWK");
	memset(&x, 0, sizeof(x));
	x.id = id;
	x.nk = nk;
	x.other = other;
	return store_write(st, rekey_work, &x);
}

/* ---- orders and authorizations -------------------------------------------
 */

static int
orders_work(struct signet_store *st, void *argp)
{
	struct change_arg *x = argp;
	struct store_q q = { 0 };
	int r;

	x->n = 0;
	x->more = 0;
	if ((r = store_q_open(st,
		 "SELECT id FROM acme_orders WHERE account_id = ? "
		 "ORDER BY created_at, id LIMIT ? OFFSET ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->account);
	store_q_int(&q, SIGNET_ACME_ORDERS_PAGE + 1);
	store_q_int(&q, x->start);
	while ((r = store_q_step(&q)) == 1) {
		if (x->n == SIGNET_ACME_ORDERS_PAGE) {
			x->more = 1;
			continue;
		}
		col_copy(&q, 0, x->ids[x->n], SIGNET_ACME_ID_LEN + 1);
		x->n++;
	}
	store_q_close(&q);
	return r;
}

int
signet_store_acme_orders_list(struct signet_store *st, const char *account,
    int64_t start, char ids[][SIGNET_ACME_ID_LEN + 1], size_t *n, int *more)
{
	struct change_arg x;
	int r;

	*n = 0;
	*more = 0;
	if ((r = store_acme_id_check("account", account)) != 0)
		return r;
	if (start < 0)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an orders list starts at 0 or later");
	memset(&x, 0, sizeof(x));
	x.account = account;
	x.start = start;
	x.ids = ids;
	if ((r = store_read(st, orders_work, &x)) != 0)
		return r;
	*n = x.n;
	*more = x.more;
	return 0;
}

static int
authz_deactivate_work(struct signet_store *st, void *argp)
{
	struct change_arg *x = argp;
	struct store_q q = { 0 };
	char order[SIGNET_ACME_ID_LEN + 1] = "";
	int r;

	if ((r = store_q_open(st,
		 "UPDATE acme_authzs SET status = 'deactivated' WHERE id = ? "
		 "AND status IN ('pending', 'valid') RETURNING order_id",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->id);
	while ((r = store_q_step(&q)) == 1)
		col_copy(&q, 0, order, sizeof(order));
	store_q_close(&q);
	if (r != 0)
		return r;
	if (order[0] == '\0')
		return signet_error_set(SIGNET_ERR_CONFLICT,
		    "authorization %s is neither pending nor valid", x->id);
	/* RFC 8555 7.1.6: an order with a deactivated authorization fails. */
	if ((r = store_q_open(st,
		 "UPDATE acme_orders SET status = 'invalid', updated_at = ?, "
		 "error = 'an authorization was deactivated' WHERE id = ? "
		 "AND status IN ('pending', 'ready') RETURNING id",
		 &q)) != 0)
		return r;
	store_q_int(&q, x->now);
	store_q_text(&q, order);
	while ((r = store_q_step(&q)) == 1)
		;
	store_q_close(&q);
	return r;
}

int
signet_store_acme_authz_deactivate(struct signet_store *st, const char *id,
    int64_t now)
{
	struct change_arg x;
	int r;

	if ((r = store_acme_id_check("authorization", id)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.id = id;
	x.now = now;
	return store_write(st, authz_deactivate_work, &x);
}

static int
authz_held_work(struct signet_store *st, void *argp)
{
	struct change_arg *x = argp;
	struct store_q q = { 0 };
	int r;

	x->found = 0;
	if ((r = store_q_open(st,
		 "SELECT z.id FROM acme_authzs z JOIN acme_orders o "
		 "ON o.id = z.order_id WHERE o.account_id = ? "
		 "AND z.identifier = ? AND z.status = 'valid' "
		 "AND z.expires > ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->account);
	store_q_text(&q, x->identifier);
	store_q_int(&q, x->now);
	while ((r = store_q_step(&q)) == 1)
		x->found = 1;
	store_q_close(&q);
	return r;
}

int
signet_store_acme_authz_held(struct signet_store *st, const char *account,
    const char *identifier, int64_t now, int *held)
{
	struct change_arg x;
	int r;

	*held = 0;
	if ((r = store_acme_id_check("account", account)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.account = account;
	x.identifier = identifier;
	x.now = now;
	if ((r = store_read(st, authz_held_work, &x)) != 0)
		return r;
	*held = x.found;
	return 0;
}
