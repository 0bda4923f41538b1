/*
 * ACME renewal information, profiles and rate limits: the signer's side
 * (signer_acme_ari.h, docs/acme.md).
 *
 * renewalInfo (RFC 9773 4.2): the suggested window lies in the last third
 * of the certificate's validity, from 2/3 to 5/6 of it, so that a client
 * renewing at a random point in it still has a sixth of the lifetime
 * left; for a certificate `signet acme renew-early` marked, or one that
 * was revoked, the window starts at the mark (a window in the past:
 * clients renew at once). Rate limits are counted in the store, so every
 * node behind one address sees the same counts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "serve/signer_acme_ari.h"
#include "signet/ca.h"
#include "signet/policy.h"
#include "signet/store_acme_ari.h"
#include "util/codec.h"

#define HOUR ((int64_t)3600)
#define WEEK ((int64_t)7 * 86400)
/* How long a client waits before asking renewalInfo again (4.3). */
#define RETRY_MAX ((int64_t)6 * 3600)
#define RETRY_MIN ((int64_t)60)

static int refuse(struct serve_acme_reply *a, int status, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
refuse(struct serve_acme_reply *a, int status, const char *type,
    const char *fmt, ...)
{
	va_list ap;

	a->status = status != 0 ? status : SIGNET_ERR_INTERNAL;
	snprintf(a->problem, sizeof(a->problem), "%s", type);
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	return -1;
}

static int
store_failed(struct serve_acme_reply *a, int r)
{
	signer_say("ACME: %s", signet_error_message());
	return refuse(a, r, "serverInternal",
	    "the server could not complete the request; try again later");
}

/* Call fn for each name in serve.acme.profiles; stops at nonzero. */
static int
exposed_each(const struct signet_ca_config *c,
    int (*fn)(const char *name, size_t n, void *arg), void *arg)
{
	const char *p = c->serve_acme_profiles;
	size_t k;
	int r;

	while (p != NULL && *p != '\0') {
		while (*p == ',' || *p == ' ')
			p++;
		k = strcspn(p, ", ");
		if (k > 0 && (r = fn(p, k, arg)) != 0)
			return r;
		p += k;
	}
	return 0;
}

static int
is_name(const char *name, size_t n, void *arg)
{
	const char *want = arg;

	return strlen(want) == n && strncmp(name, want, n) == 0;
}

struct profiles_arg {
	const struct signet_policy *policy;
	json_t *map;
};

static int
add_profile(const char *name, size_t n, void *argp)
{
	struct profiles_arg *a = argp;
	const struct signet_profile *p = NULL;
	char key[SERVE_ACME_FIELD_MAX + 1];

	if (n > SERVE_ACME_FIELD_MAX)
		return 0;
	memcpy(key, name, n);
	key[n] = '\0';
	if (a->policy == NULL || signet_policy_find(a->policy, key, &p) != 0) {
		signet_error_clear();
		return 0; /* not in the policy: not offered */
	}
	json_object_set_new(a->map, key,
	    json_string(p->description != NULL ? p->description : key));
	return 0;
}

/* The CA certificate's subjectKeyIdentifier as lower-case hex. */
static int
ca_key_id(struct signer *s, char *out, size_t cap)
{
	X509 *ca = signet_ca_get0_cert(s->ca);
	const ASN1_OCTET_STRING *ski =
	    ca != NULL ? X509_get0_subject_key_id(ca) : NULL;
	size_t n = ski != NULL ? (size_t)ASN1_STRING_length(ski) : 0;

	if (n == 0 || 2 * n + 1 > cap)
		return -1;
	hex_encode(ASN1_STRING_get0_data(ski), n, out);
	return 0;
}

static int
same_ca(struct signer *s, const char *key_id)
{
	char mine[2 * 64 + 1];

	return ca_key_id(s, mine, sizeof(mine)) == 0 &&
	       strcmp(mine, key_id) == 0;
}

static int
renewal_info(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, int64_t now, struct serve_acme_reply *a,
    json_t **obj)
{
	struct signet_acme_renewal info;
	int64_t life, start, end, retry;
	int r;

	if (!same_ca(s, q->detail))
		return refuse(a, SIGNET_ERR_NOT_FOUND, "malformed",
		    "no certificate of this CA has that certID");
	r = signet_store_acme_renewal_get(st, signet_ca_issuer_id(s->ca),
	    q->object, &info);
	if (r == SIGNET_ERR_NOT_FOUND || r == SIGNET_ERR_USAGE)
		return refuse(a, SIGNET_ERR_NOT_FOUND, "malformed",
		    "no certificate of this CA has that certID");
	if (r != 0)
		return store_failed(a, r);
	life = info.not_after - info.not_before;
	start = info.not_before + life / 3 * 2;
	end = info.not_before + life / 6 * 5;
	if (info.renew_early_at != 0 || strcmp(info.status, "revoked") == 0) {
		start = info.renew_early_at != 0 ? info.renew_early_at : now;
		end = start + RETRY_MIN;
	}
	if (end <= start)
		end = start + 1;
	retry = life / 24;
	retry = retry > RETRY_MAX ? RETRY_MAX : retry;
	retry = retry < RETRY_MIN ? RETRY_MIN : retry;
	a->retry_after = (uint32_t)retry;
	*obj = json_pack("{s:I, s:I}", "start", (json_int_t)start, "end",
	    (json_int_t)end);
	return *obj != NULL ? 0
			    : refuse(a, SIGNET_ERR_INTERNAL, "serverInternal",
				  "out of memory");
}

int
signer_acme_ari_op(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, int64_t now, struct serve_acme_reply *a,
    json_t **obj)
{
	struct profiles_arg pa;

	switch (q->op) {
	case SERVE_ACME_RENEWAL_INFO:
		return renewal_info(s, st, q, now, a, obj);
	case SERVE_ACME_PROFILES:
		pa.policy = signet_ca_get0_policy(s->ca);
		pa.map = json_object();
		(void)exposed_each(s->cfg, add_profile, &pa);
		*obj = json_pack("{s:o}", "profiles", pa.map);
		return 0;
	default:
		return refuse(a, SIGNET_ERR_USAGE, "malformed",
		    "unknown operation");
	}
}

/*
 * Spread evenly rather than drawn at random: at 50% or less no two
 * nonces in a row are refused, so a client that retries a badNonce once
 * (as RFC 8555 6.5 asks, and as certbot does) always gets through.
 */
int
signer_acme_ari_nonce_refused(const struct signer *s)
{
#ifdef SIGNET_TEST_HOOKS
	static unsigned share;

	if (s->cfg->serve_acme_test_bad_nonce == 0)
		return 0;
	share += s->cfg->serve_acme_test_bad_nonce;
	if (share < 100)
		return 0;
	share -= 100;
	return 1;
#else
	(void)s;
	return 0;
#endif
}

static int limited(struct serve_acme_reply *a, const char *limit, int64_t retry,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
limited(struct serve_acme_reply *a, const char *limit, int64_t retry,
    const char *fmt, ...)
{
	va_list ap;

	a->status = SIGNET_ERR_POLICY;
	snprintf(a->problem, sizeof(a->problem), "rateLimited");
	snprintf(a->limit, sizeof(a->limit), "%s", limit);
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	a->retry_after = (uint32_t)(retry < 1 ? 1 : retry);
	return -1;
}

/* RFC 9773 5: the certificate named by replaces, checked. */
static int
replaces_check(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, const struct signet_acme_account *acct,
    struct serve_acme_reply *a)
{
	struct signet_acme_order old;
	struct signet_acme_renewal info;
	size_t i, j;
	int r, shared = 0;

	if (!same_ca(s, q->detail))
		return refuse(a, SIGNET_ERR_USAGE, "malformed",
		    "replaces names a certificate of another CA");
	r = signet_store_acme_order_by_serial(st, q->object, &old);
	if (r == SIGNET_ERR_NOT_FOUND ||
	    (r == 0 && strcmp(old.account, acct->id) != 0))
		return refuse(a, SIGNET_ERR_POLICY, "unauthorized",
		    "replaces: certificate %s was not ordered by this account",
		    q->object);
	if (r != 0)
		return store_failed(a, r);
	for (i = 0; i < old.n_ids; i++)
		for (j = 0; j < q->n_ids; j++)
			if (strcmp(old.ids[i], q->ids[j]) == 0)
				shared = 1;
	if (!shared)
		return refuse(a, SIGNET_ERR_USAGE, "malformed",
		    "replaces: certificate %s shares no identifier with this "
		    "order",
		    q->object);
	r = signet_store_acme_renewal_get(st, signet_ca_issuer_id(s->ca),
	    q->object, &info);
	if (r != 0)
		return store_failed(a, r);
	if (info.successor[0] != '\0')
		return refuse(a, SIGNET_ERR_CONFLICT, "alreadyReplaced",
		    "certificate %s was already replaced by %s", q->object,
		    info.successor);
	return 0;
}

int
signer_acme_ari_order_check(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, const struct signet_acme_account *acct,
    int64_t now, struct serve_acme_reply *a)
{
	const struct signet_ca_config *c = s->cfg;
	struct signet_acme_usage u;
	const char *ids[SERVE_ACME_MAX_IDS];
	size_t i;
	int r;

	if (!exposed_each(c, is_name, (void *)q->profile))
		return refuse(a, SIGNET_ERR_POLICY, "invalidProfile",
		    "profile '%s' is not offered over ACME", q->profile);
	if (q->object[0] != '\0' && replaces_check(s, st, q, acct, a) != 0)
		return -1;
	for (i = 0; i < q->n_ids; i++)
		ids[i] = q->ids[i];
	if ((r = signet_store_acme_usage(st, acct->id, ids, q->n_ids, now, HOUR,
		 WEEK, &u)) != 0)
		return store_failed(a, r);
	if (u.orders >= c->serve_acme_orders_per_hour)
		return limited(a, "orders-per-hour",
		    u.oldest_order + HOUR - now,
		    "this account made %lld orders in the last hour; the "
		    "limit is %u",
		    (long long)u.orders, c->serve_acme_orders_per_hour);
	if (u.pending_authz + (int64_t)q->n_ids > c->serve_acme_pending_authz)
		return limited(a, "pending-authorizations",
		    u.next_authz_expiry - now,
		    "this account has %lld pending authorizations; the limit "
		    "is %u: complete or let some expire",
		    (long long)u.pending_authz, c->serve_acme_pending_authz);
	/* A renewal that names what it replaces (RFC 9773) is not limited. */
	if (q->object[0] == '\0' && u.certs >= c->serve_acme_certs_per_name)
		return limited(a, "certificates-per-name-per-week",
		    u.oldest_cert + WEEK - now,
		    "this account was issued %lld certificates for %s in the "
		    "last week; the limit is %u",
		    (long long)u.certs, u.name, c->serve_acme_certs_per_name);
	return 0;
}

int
signer_acme_ari_order_made(struct signer *s, struct signet_store *st,
    const struct serve_acme *q, const char *order_id, int64_t now,
    struct serve_acme_reply *a)
{
	int r;

	if (q->object[0] == '\0')
		return 0;
	r = signet_store_acme_replaces_claim(st, order_id,
	    signet_ca_issuer_id(s->ca), q->object, now);
	if (r == 0)
		return 0;
	if (signet_store_acme_order_discard(st, order_id) != 0)
		signer_say("ACME: order %s could not be removed: %s", order_id,
		    signet_error_message());
	if (r == SIGNET_ERR_CONFLICT)
		return refuse(a, r, "alreadyReplaced",
		    "certificate %s is already replaced, or another order "
		    "replaces it",
		    q->object);
	return store_failed(a, r);
}

void
signer_acme_ari_finalized(struct signer *s, struct signet_store *st,
    const char *order_id, int64_t now)
{
	struct signet_acme_order o;
	char old[41];
	int r;

	r = signet_store_acme_replaces_get(st, order_id, old);
	if (r == SIGNET_ERR_NOT_FOUND) {
		signet_error_clear();
		return;
	}
	if (r != 0 || signet_store_acme_order_get(st, order_id, &o) != 0 ||
	    strcmp(o.status, "valid") != 0 ||
	    signet_store_cert_supersede(st, signet_ca_issuer_id(s->ca), old,
		o.serial, now) != 0)
		signer_say("ACME: order %s replaces certificate %s, but the "
			   "link was not recorded: %s",
		    order_id, old, signet_error_message());
}
