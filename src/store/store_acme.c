/*
 * ACME state (include/signet/store_acme.h): every change is one unit of
 * work whose UPDATE names the state it starts from, so that of two
 * processes (or two service nodes on one database) doing the same step,
 * exactly one succeeds and the other finds SIGNET_ERR_CONFLICT.
 *
 * Nonces, new orders, challenge progress and the claim of an order for
 * finalization are written lazily (store_write_lazy: the commit does not
 * wait for the disk). A power cut may lose the last of them, which only
 * takes state back to an earlier step: a nonce unknown (badNonce, the
 * client takes another), an order or a validation to do again. The next
 * durable commit (an issuance, an account change) makes them durable
 * too. Accounts and an order's certificate are written durably.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "signet/store_acme.h"
#include "store/store_acme_int.h"
#include "store/store_int.h"
#include "util/codec.h"

static int
random_id(char out[SIGNET_ACME_ID_LEN + 1])
{
	uint8_t b[SIGNET_ACME_ID_LEN / 2];

	if (RAND_bytes(b, (int)sizeof(b)) != 1)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "the random generator failed");
	hex_encode(b, sizeof(b), out);
	return 0;
}

/* 32 random bytes in base64url without padding (RFC 8555 8.3). */
static int
random_token(char out[SIGNET_ACME_TOKEN_LEN + 1])
{
	uint8_t b[32];
	char *t;
	size_t i;

	if (RAND_bytes(b, (int)sizeof(b)) != 1)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "the random generator failed");
	if ((t = base64_encode(b, sizeof(b))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < SIGNET_ACME_TOKEN_LEN; i++)
		if (t[i] == '+')
			out[i] = '-';
		else if (t[i] == '/')
			out[i] = '_';
		else
			out[i] = t[i];
	out[SIGNET_ACME_TOKEN_LEN] = '\0';
	free(t);
	return 0;
}

static void
copy_col(struct store_q *q, int i, char *out, size_t cap)
{
	const char *v = store_q_col_text(q, i);

	snprintf(out, cap, "%s", v != NULL ? v : "");
}

static int
id_check(const char *what, const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != SIGNET_ACME_ID_LEN)
		return signet_error_set(SIGNET_ERR_NOT_FOUND, "no such %s",
		    what);
	for (i = 0; i < SIGNET_ACME_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
			(id[i] >= 'a' && id[i] <= 'f')))
			return signet_error_set(SIGNET_ERR_NOT_FOUND,
			    "no such %s", what);
	return 0;
}

/* ---- nonces ------------------------------------------------------------- */

struct nonce_arg {
	const char *nonce; /* to spend */
	const char *fresh; /* to store */
	int64_t now;
	int64_t expires;
	int hit;
};

static int
nonce_new_work(struct signet_store *st, void *argp)
{
	struct nonce_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st, "DELETE FROM acme_nonces WHERE expires < ?",
		 &q)) != 0)
		return r;
	store_q_int(&q, a->now);
	r = store_q_exec(&q);
	store_q_close(&q);
	if (r != 0)
		return r;
	if ((r = store_q_open(st,
		 "INSERT INTO acme_nonces (nonce, expires) VALUES (?, ?)",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->fresh);
	store_q_int(&q, a->expires);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_acme_nonce_new(struct signet_store *st, int64_t now, int64_t ttl,
    char out[SIGNET_ACME_ID_LEN + 1])
{
	struct nonce_arg a;
	int r;

	if ((r = random_id(out)) != 0)
		return r;
	a.fresh = out;
	a.now = now;
	a.expires = now + ttl;
	return store_write_lazy(st, nonce_new_work, &a);
}

static int
nonce_use_work(struct signet_store *st, void *argp)
{
	struct nonce_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	a->hit = 0;
	if ((r = store_q_open(st,
		 "DELETE FROM acme_nonces WHERE nonce = ? AND expires >= ? "
		 "RETURNING nonce",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->nonce);
	store_q_int(&q, a->now);
	while ((r = store_q_step(&q)) == 1)
		a->hit = 1;
	store_q_close(&q);
	return r;
}

int
signet_store_acme_nonce_use(struct signet_store *st, const char *nonce,
    int64_t now)
{
	struct nonce_arg a;
	int r;

	if ((r = id_check("nonce", nonce)) != 0)
		return r;
	a.nonce = nonce;
	a.now = now;
	if ((r = store_write_lazy(st, nonce_use_work, &a)) != 0)
		return r;
	return a.hit ? 0
		     : signet_error_set(SIGNET_ERR_NOT_FOUND,
			   "the nonce is unknown, spent or expired");
}

static int
nonce_swap_work(struct signet_store *st, void *argp)
{
	struct nonce_arg *a = argp;
	int r;

	a->hit = 0;
	if (a->nonce != NULL && (r = nonce_use_work(st, a)) != 0)
		return r;
	return nonce_new_work(st, a);
}

int
signet_store_acme_nonce_swap(struct signet_store *st, const char *nonce,
    int64_t now, int64_t ttl, char out[SIGNET_ACME_ID_LEN + 1])
{
	struct nonce_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = random_id(out)) != 0)
		return r;
	a.nonce = id_check("nonce", nonce) == 0 ? nonce : NULL;
	a.fresh = out;
	a.now = now;
	a.expires = now + ttl;
	if ((r = store_write_lazy(st, nonce_swap_work, &a)) != 0) {
		out[0] = '\0';
		return r;
	}
	return a.hit ? 0
		     : signet_error_set(SIGNET_ERR_NOT_FOUND,
			   "the nonce is unknown, spent or expired");
}

/* ---- accounts ----------------------------------------------------------- */

#define ACCOUNT_COLUMNS                                              \
	"SELECT id, thumbprint, spki_sha256, status, jwk, contact, " \
	"created_at "                                                \
	"FROM acme_accounts WHERE "

struct account_arg {
	struct signet_acme_account *a;
	const char *id;
	const char *thumbprint;
	int64_t now;
	int found;
	int created;
};

static int
account_read(struct signet_store *st, struct account_arg *x)
{
	struct store_q q = { 0 };
	struct signet_acme_account *a = x->a;
	int r;

	x->found = 0;
	if ((r = store_q_open(st,
		 x->id != NULL ? ACCOUNT_COLUMNS "id = ?"
			       : ACCOUNT_COLUMNS "thumbprint = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->id != NULL ? x->id : x->thumbprint);
	if ((r = store_q_step(&q)) == 1) {
		copy_col(&q, 0, a->id, sizeof(a->id));
		copy_col(&q, 1, a->thumbprint, sizeof(a->thumbprint));
		copy_col(&q, 2, a->spki_sha256, sizeof(a->spki_sha256));
		copy_col(&q, 3, a->status, sizeof(a->status));
		copy_col(&q, 4, a->jwk, sizeof(a->jwk));
		copy_col(&q, 5, a->contact, sizeof(a->contact));
		a->created_at = store_q_col_int(&q, 6);
		x->found = 1;
		r = 0;
	}
	store_q_close(&q);
	return r;
}

static int
account_get_work(struct signet_store *st, void *argp)
{
	return account_read(st, argp);
}

static int
account_new_work(struct signet_store *st, void *argp)
{
	struct account_arg *x = argp;
	struct signet_acme_account *a = x->a;
	struct store_q q = { 0 };
	int r;

	x->created = 0;
	x->id = NULL;
	x->thumbprint = a->thumbprint;
	if ((r = account_read(st, x)) != 0 || x->found)
		return r;
	if ((r = random_id(a->id)) != 0)
		return r;
	snprintf(a->status, sizeof(a->status), "valid");
	a->created_at = x->now;
	if ((r = store_q_open(st,
		 "INSERT INTO acme_accounts (id, thumbprint, spki_sha256, "
		 "jwk, contact, status, created_at) "
		 "VALUES (?, ?, ?, ?, ?, ?, ?)",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->id);
	store_q_text(&q, a->thumbprint);
	store_q_text(&q, a->spki_sha256);
	store_q_text(&q, a->jwk);
	store_q_text(&q, a->contact);
	store_q_text(&q, a->status);
	store_q_int(&q, a->created_at);
	r = store_q_exec(&q);
	store_q_close(&q);
	x->created = r == 0;
	return r;
}

int
signet_store_acme_account_new(struct signet_store *st,
    struct signet_acme_account *a, int64_t now, int *created)
{
	struct account_arg x;
	int r;

	*created = 0;
	if (strlen(a->thumbprint) != SIGNET_ACME_THUMB_LEN ||
	    strlen(a->spki_sha256) != 64 || a->jwk[0] == '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an ACME account needs its key's thumbprint, SPKI hash "
		    "and JWK");
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.now = now;
	if ((r = store_write(st, account_new_work, &x)) != 0)
		return r;
	*created = x.created;
	return 0;
}

int
signet_store_acme_account_get(struct signet_store *st, const char *id,
    const char *thumbprint, struct signet_acme_account *a)
{
	/* id or thumbprint may point into *a: read into another. */
	struct signet_acme_account got;
	struct account_arg x;
	int r;

	if (id != NULL && (r = id_check("account", id)) != 0)
		return r;
	if (id == NULL && thumbprint == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an account is looked up by id or thumbprint");
	memset(&got, 0, sizeof(got));
	memset(&x, 0, sizeof(x));
	x.a = &got;
	x.id = id;
	x.thumbprint = thumbprint;
	r = store_read(st, account_get_work, &x);
	*a = got;
	if (r != 0)
		return r;
	return x.found
		   ? 0
		   : signet_error_set(SIGNET_ERR_NOT_FOUND, "no such account");
}

static int
account_deactivate_work(struct signet_store *st, void *argp)
{
	struct account_arg *x = argp;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st,
		 "UPDATE acme_accounts SET status = 'deactivated' "
		 "WHERE id = ? AND status = 'valid' RETURNING id",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->id);
	hit = 0;
	while ((r = store_q_step(&q)) == 1)
		hit = 1;
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "account %s is not valid", x->id);
	return r;
}

int
signet_store_acme_account_deactivate(struct signet_store *st, const char *id)
{
	struct account_arg x;
	int r;

	if ((r = id_check("account", id)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.id = id;
	return store_write(st, account_deactivate_work, &x);
}

/* ---- orders ------------------------------------------------------------- */

struct order_arg {
	struct signet_acme_order *o;
	const char *id;
	const char *serial;
	const char *error;
	int64_t now;
	int64_t ttl;
	int found;
};

/* "dns:a,ip:b" <-> the order's list. */
static int
ids_join(const struct signet_acme_order *o, char **out)
{
	size_t i, n = 1;
	char *s;

	for (i = 0; i < o->n_ids; i++)
		n += strlen(o->ids[i]) + 1;
	if ((s = calloc(1, n)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (n = 0, i = 0; i < o->n_ids; i++) {
		if (i > 0)
			s[n++] = ',';
		memcpy(s + n, o->ids[i], strlen(o->ids[i]));
		n += strlen(o->ids[i]);
	}
	*out = s;
	return 0;
}

static void
ids_split(const char *s, struct signet_acme_order *o)
{
	const char *p = s, *e;
	size_t n;

	o->n_ids = 0;
	while (p != NULL && *p != '\0' && o->n_ids < SIGNET_ACME_MAX_IDS) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > SIGNET_ACME_IDENT_MAX)
			n = SIGNET_ACME_IDENT_MAX;
		memcpy(o->ids[o->n_ids], p, n);
		o->ids[o->n_ids][n] = '\0';
		o->n_ids++;
		p = e != NULL ? e + 1 : NULL;
	}
}

static int
order_read(struct signet_store *st, struct order_arg *x)
{
	struct signet_acme_order *o = x->o;
	struct store_q q = { 0 };
	size_t i;
	int r;

	x->found = 0;
	if ((r = store_q_open(st,
		 x->id != NULL
		     ? "SELECT id, account_id, profile, status, identifiers, "
		       "expires, serial, error FROM acme_orders WHERE id = ?"
		     : "SELECT id, account_id, profile, status, identifiers, "
		       "expires, serial, error FROM acme_orders "
		       "WHERE serial = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->id != NULL ? x->id : x->serial);
	if ((r = store_q_step(&q)) == 1) {
		copy_col(&q, 0, o->id, sizeof(o->id));
		copy_col(&q, 1, o->account, sizeof(o->account));
		copy_col(&q, 2, o->profile, sizeof(o->profile));
		copy_col(&q, 3, o->status, sizeof(o->status));
		ids_split(store_q_col_text(&q, 4), o);
		o->expires = store_q_col_int(&q, 5);
		copy_col(&q, 6, o->serial, sizeof(o->serial));
		copy_col(&q, 7, o->error, sizeof(o->error));
		x->found = 1;
		r = 0;
	}
	store_q_close(&q);
	if (r != 0 || !x->found)
		return r;
	if ((r = store_q_open(st,
		 "SELECT id, position FROM acme_authzs WHERE order_id = ? "
		 "ORDER BY position",
		 &q)) != 0)
		return r;
	store_q_text(&q, o->id);
	for (i = 0; (r = store_q_step(&q)) == 1 && i < SIGNET_ACME_MAX_IDS; i++)
		copy_col(&q, 0, o->authz[i], sizeof(o->authz[i]));
	store_q_close(&q);
	return r;
}

static int
order_get_work(struct signet_store *st, void *argp)
{
	return order_read(st, argp);
}

/*
 * The challenges an identifier's authorization offers: a wildcard name
 * dns-01 only (RFC 8555 7.1.3), an IP address http-01 and tls-alpn-01
 * (RFC 8738 7: no dns-01), any other name all three.
 */
static const char *const *
challenge_types(const char *id)
{
	static const char *const wildcard[] = { "dns-01", NULL };
	static const char *const ip[] = { "http-01", "tls-alpn-01", NULL };
	static const char *const name[] = { "http-01", "dns-01", "tls-alpn-01",
		NULL };

	if (strncmp(id, "dns:*.", 6) == 0)
		return wildcard;
	return strncmp(id, "ip:", 3) == 0 ? ip : name;
}

static int
order_new_work(struct signet_store *st, void *argp)
{
	struct order_arg *x = argp;
	struct signet_acme_order *o = x->o;
	struct store_q q = { 0 };
	char *joined = NULL, chall[SIGNET_ACME_ID_LEN + 1];
	char token[SIGNET_ACME_TOKEN_LEN + 1];
	const char *const *types;
	size_t i, j;
	int r;

	if ((r = random_id(o->id)) != 0 || (r = ids_join(o, &joined)) != 0)
		return r;
	snprintf(o->status, sizeof(o->status), "pending");
	o->expires = x->now + x->ttl;
	o->serial[0] = o->error[0] = '\0';
	if ((r = store_q_open(st,
		 "INSERT INTO acme_orders (id, account_id, profile, status, "
		 "identifiers, expires, created_at, updated_at) "
		 "VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)",
		 &q)) != 0)
		goto out;
	store_q_text(&q, o->id);
	store_q_text(&q, o->account);
	store_q_text(&q, o->profile);
	store_q_text(&q, joined);
	store_q_int(&q, o->expires);
	store_q_int(&q, x->now);
	store_q_int(&q, x->now);
	r = store_q_exec(&q);
	store_q_close(&q);
	for (i = 0; r == 0 && i < o->n_ids; i++) {
		if ((r = random_id(o->authz[i])) != 0 ||
		    (r = store_q_open(st,
			 "INSERT INTO acme_authzs (id, order_id, position, "
			 "identifier, status, expires) "
			 "VALUES (?, ?, ?, ?, 'pending', ?)",
			 &q)) != 0)
			break;
		store_q_text(&q, o->authz[i]);
		store_q_text(&q, o->id);
		store_q_int(&q, (int64_t)i);
		store_q_text(&q, o->ids[i]);
		store_q_int(&q, o->expires);
		r = store_q_exec(&q);
		store_q_close(&q);
		types = challenge_types(o->ids[i]);
		for (j = 0; r == 0 && types[j] != NULL; j++) {
			if ((r = random_id(chall)) != 0 ||
			    (r = random_token(token)) != 0 ||
			    (r = store_q_open(st,
				 "INSERT INTO acme_challenges (id, authz_id, "
				 "type, token, status) VALUES (?, ?, ?, ?, "
				 "'pending')",
				 &q)) != 0)
				break;
			store_q_text(&q, chall);
			store_q_text(&q, o->authz[i]);
			store_q_text(&q, types[j]);
			store_q_text(&q, token);
			r = store_q_exec(&q);
			store_q_close(&q);
		}
	}
out:
	free(joined);
	return r;
}

int
signet_store_acme_order_new(struct signet_store *st,
    struct signet_acme_order *o, int64_t now, int64_t ttl)
{
	struct order_arg x;
	size_t i, j;
	int r;

	if (o->n_ids == 0 || o->n_ids > SIGNET_ACME_MAX_IDS)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an order holds 1 to %d identifiers", SIGNET_ACME_MAX_IDS);
	for (i = 0; i < o->n_ids; i++) {
		if (o->ids[i][0] == '\0' || strchr(o->ids[i], ',') != NULL)
			return signet_error_set(SIGNET_ERR_USAGE,
			    "identifier %zu of the order is empty or holds a "
			    "comma",
			    i + 1);
		for (j = 0; j < i; j++)
			if (strcmp(o->ids[i], o->ids[j]) == 0)
				return signet_error_set(SIGNET_ERR_USAGE,
				    "identifier %s is twice in the order",
				    o->ids[i]);
	}
	if ((r = id_check("account", o->account)) != 0 ||
	    (r = store_text_check("profile", o->profile,
		 SIGNET_ACME_PROFILE_MAX, 0)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.now = now;
	x.ttl = ttl;
	return store_write_lazy(st, order_new_work, &x);
}

static int
order_lookup(struct signet_store *st, const char *id, const char *serial,
    struct signet_acme_order *o)
{
	struct order_arg x;
	int r;

	memset(o, 0, sizeof(*o));
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.id = id;
	x.serial = serial;
	if ((r = store_read(st, order_get_work, &x)) != 0)
		return r;
	return x.found
		   ? 0
		   : signet_error_set(SIGNET_ERR_NOT_FOUND, "no such order");
}

int
signet_store_acme_order_get(struct signet_store *st, const char *id,
    struct signet_acme_order *o)
{
	int r;

	if ((r = id_check("order", id)) != 0)
		return r;
	return order_lookup(st, id, NULL, o);
}

int
signet_store_acme_order_by_serial(struct signet_store *st, const char *serial,
    struct signet_acme_order *o)
{
	if (serial == NULL || serial[0] == '\0')
		return signet_error_set(SIGNET_ERR_NOT_FOUND, "no such order");
	return order_lookup(st, NULL, serial, o);
}

/* Run an UPDATE ... RETURNING: *hit when a row changed. */
static int
exec_hit(struct store_q *q, int *hit)
{
	int r;

	*hit = 0;
	while ((r = store_q_step(q)) == 1)
		*hit = 1;
	return r;
}

static int
order_finalize_work(struct signet_store *st, void *argp)
{
	struct order_arg *x = argp;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st,
		 "UPDATE acme_orders SET status = 'processing', "
		 "updated_at = ? WHERE id = ? AND status = 'ready' "
		 "AND expires > ? AND NOT EXISTS (SELECT 1 FROM acme_authzs "
		 "WHERE order_id = ? AND status <> 'valid') RETURNING id",
		 &q)) != 0)
		return r;
	store_q_int(&q, x->now);
	store_q_text(&q, x->id);
	store_q_int(&q, x->now);
	store_q_text(&q, x->id);
	r = exec_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "order %s is not ready to be finalized", x->id);
	return r;
}

int
signet_store_acme_order_finalize(struct signet_store *st, const char *id,
    int64_t now)
{
	struct order_arg x;
	int r;

	if ((r = id_check("order", id)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.id = id;
	x.now = now;
	return store_write_lazy(st, order_finalize_work, &x);
}

static int
order_done_work(struct signet_store *st, void *argp)
{
	struct order_arg *x = argp;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st,
		 "UPDATE acme_orders SET status = ?, serial = ?, error = ?, "
		 "updated_at = ? WHERE id = ? AND status = 'processing' "
		 "RETURNING id",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->serial != NULL  ? "valid"
			 : x->error != NULL ? "invalid"
					    : "ready");
	store_q_text(&q, x->serial);
	store_q_text(&q, x->serial != NULL ? NULL : x->error);
	store_q_int(&q, x->now);
	store_q_text(&q, x->id);
	r = exec_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "order %s is not being processed", x->id);
	return r;
}

int
signet_store_acme_order_done(struct signet_store *st, const char *id,
    const char *serial, const char *error, int64_t now)
{
	struct order_arg x;
	int r;

	if ((r = id_check("order", id)) != 0)
		return r;
	if (serial == NULL && error != NULL &&
	    (r = store_text_check("order error", error, SIGNET_ACME_ERROR_MAX,
		 0)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.id = id;
	x.serial = serial;
	x.error = error;
	x.now = now;
	return store_write(st, order_done_work, &x);
}

/* ---- authorizations and challenges -------------------------------------- */

struct authz_arg {
	struct signet_acme_authz *a;
	const char *id;
	const char *chall;
	const char *error;
	int valid;
	int64_t now;
	int found;
};

static int
authz_get_work(struct signet_store *st, void *argp)
{
	struct authz_arg *x = argp;
	struct signet_acme_authz *a = x->a;
	struct signet_acme_challenge *c;
	struct store_q q = { 0 };
	int r;

	x->found = 0;
	if ((r = store_q_open(st,
		 x->id != NULL
		     ? "SELECT z.id, z.order_id, o.account_id, z.identifier, "
		       "z.status, z.expires FROM acme_authzs z JOIN "
		       "acme_orders o ON o.id = z.order_id WHERE z.id = ?"
		     : "SELECT z.id, z.order_id, o.account_id, z.identifier, "
		       "z.status, z.expires FROM acme_challenges c JOIN "
		       "acme_authzs z ON z.id = c.authz_id JOIN acme_orders o "
		       "ON o.id = z.order_id WHERE c.id = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->id != NULL ? x->id : x->chall);
	if ((r = store_q_step(&q)) == 1) {
		copy_col(&q, 0, a->id, sizeof(a->id));
		copy_col(&q, 1, a->order, sizeof(a->order));
		copy_col(&q, 2, a->account, sizeof(a->account));
		copy_col(&q, 3, a->identifier, sizeof(a->identifier));
		copy_col(&q, 4, a->status, sizeof(a->status));
		a->expires = store_q_col_int(&q, 5);
		x->found = 1;
		r = 0;
	}
	store_q_close(&q);
	if (r != 0 || !x->found)
		return r;
	if ((r = store_q_open(st,
		 "SELECT id, type, token, status, validated_at, error "
		 "FROM acme_challenges WHERE authz_id = ? ORDER BY type",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->id);
	a->n_chall = 0;
	while ((r = store_q_step(&q)) == 1 &&
	       a->n_chall < SIGNET_ACME_MAX_CHALLENGES) {
		c = &a->chall[a->n_chall++];
		copy_col(&q, 0, c->id, sizeof(c->id));
		copy_col(&q, 1, c->type, sizeof(c->type));
		copy_col(&q, 2, c->token, sizeof(c->token));
		copy_col(&q, 3, c->status, sizeof(c->status));
		c->validated_at =
		    store_q_col_is_null(&q, 4) ? 0 : store_q_col_int(&q, 4);
		copy_col(&q, 5, c->error, sizeof(c->error));
	}
	store_q_close(&q);
	return r;
}

int
signet_store_acme_authz_get(struct signet_store *st, const char *id,
    const char *chall_id, struct signet_acme_authz *a)
{
	struct authz_arg x;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = id_check(id != NULL ? "authorization" : "challenge",
		 id != NULL ? id : chall_id)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.id = id;
	x.chall = id != NULL ? NULL : chall_id;
	if ((r = store_read(st, authz_get_work, &x)) != 0)
		return r;
	return x.found ? 0
		       : signet_error_set(SIGNET_ERR_NOT_FOUND, "no such %s",
			     id != NULL ? "authorization" : "challenge");
}

static int
challenge_start_work(struct signet_store *st, void *argp)
{
	struct authz_arg *x = argp;
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st,
		 "UPDATE acme_challenges SET status = 'processing' "
		 "WHERE id = ? AND status = 'pending' AND authz_id IN "
		 "(SELECT id FROM acme_authzs WHERE status = 'pending' "
		 "AND expires > ?) RETURNING id",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->chall);
	store_q_int(&q, x->now);
	r = exec_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "challenge %s is not pending", x->chall);
	return r;
}

int
signet_store_acme_challenge_start(struct signet_store *st, const char *chall_id,
    int64_t now)
{
	struct authz_arg x;
	int r;

	if ((r = id_check("challenge", chall_id)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.chall = chall_id;
	x.now = now;
	return store_write_lazy(st, challenge_start_work, &x);
}

/* One UPDATE with text and id parameters, which must change a row. */
static int
step_update(struct signet_store *st, const char *sql, const char *a,
    const char *b, int64_t now, int must)
{
	struct store_q q = { 0 };
	int r, hit;

	if ((r = store_q_open(st, sql, &q)) != 0)
		return r;
	if (now != 0)
		store_q_int(&q, now);
	store_q_text(&q, a);
	if (b != NULL)
		store_q_text(&q, b);
	r = exec_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && must && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "the ACME object %s changed state meanwhile", b ? b : a);
	return r;
}

static int
challenge_finish_work(struct signet_store *st, void *argp)
{
	struct authz_arg *x = argp;
	struct signet_acme_authz a;
	struct authz_arg ax;
	struct store_q q = { 0 };
	int r, hit;

	memset(&ax, 0, sizeof(ax));
	ax.a = &a;
	ax.chall = x->chall;
	if ((r = authz_get_work(st, &ax)) != 0)
		return r;
	if (!ax.found)
		return signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "no such challenge");
	if ((r = store_q_open(st,
		 "UPDATE acme_challenges SET status = ?, validated_at = ?, "
		 "error = ? WHERE id = ? AND status = 'processing' "
		 "RETURNING id",
		 &q)) != 0)
		return r;
	store_q_text(&q, x->valid ? "valid" : "invalid");
	if (x->valid)
		store_q_int(&q, x->now);
	else
		store_q_text(&q, NULL);
	store_q_text(&q, x->valid ? NULL : x->error);
	store_q_text(&q, x->chall);
	r = exec_hit(&q, &hit);
	store_q_close(&q);
	if (r == 0 && !hit)
		r = signet_error_set(SIGNET_ERR_CONFLICT,
		    "challenge %s is not being processed", x->chall);
	if (r != 0)
		return r;
	if (!x->valid) {
		if ((r = step_update(st,
			 "UPDATE acme_authzs SET status = 'invalid' "
			 "WHERE id = ? AND status = 'pending' RETURNING id",
			 a.id, NULL, 0, 1)) != 0)
			return r;
		return step_update(st,
		    "UPDATE acme_orders SET updated_at = ?, "
		    "status = 'invalid', error = 'an authorization failed' "
		    "WHERE id = ? AND status IN ('pending', 'ready') "
		    "RETURNING id",
		    a.order, NULL, x->now, 0);
	}
	if ((r = step_update(st,
		 "UPDATE acme_authzs SET status = 'valid' "
		 "WHERE id = ? AND status = 'pending' RETURNING id",
		 a.id, NULL, 0, 1)) != 0)
		return r;
	return step_update(st,
	    "UPDATE acme_orders SET updated_at = ?, status = 'ready' "
	    "WHERE id = ? AND status = 'pending' AND NOT EXISTS "
	    "(SELECT 1 FROM acme_authzs WHERE order_id = ? "
	    "AND status <> 'valid') RETURNING id",
	    a.order, a.order, x->now, 0);
}

int
signet_store_acme_challenge_finish(struct signet_store *st,
    const char *chall_id, int valid, const char *error, int64_t now)
{
	struct authz_arg x;
	int r;

	if ((r = id_check("challenge", chall_id)) != 0)
		return r;
	if (!valid && (r = store_text_check("challenge error", error,
			   SIGNET_ACME_ERROR_MAX, 0)) != 0)
		return r;
	memset(&x, 0, sizeof(x));
	x.chall = chall_id;
	x.valid = valid;
	x.error = error;
	x.now = now;
	return store_write_lazy(st, challenge_finish_work, &x);
}

/* ---- for store_acme_account.c ------------------------------------------- */

int
store_acme_id_check(const char *what, const char *id)
{
	return id_check(what, id);
}

int
store_acme_account_new_in(struct signet_store *st,
    struct signet_acme_account *a, int64_t now, int *created)
{
	struct account_arg x;
	int r;

	memset(&x, 0, sizeof(x));
	x.a = a;
	x.now = now;
	r = account_new_work(st, &x);
	*created = x.created;
	return r;
}
