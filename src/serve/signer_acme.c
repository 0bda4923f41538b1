/*
 * ACME: the signer's side (docs/acme.md). The front end has parsed the
 * HTTP request and checked the JWS; here each request spends its nonce
 * in the store (once, whichever node asks), the account must exist, be
 * valid and own what it touches, and every state change is one store
 * transaction from the state it must start from. Finalize issues through
 * signet_ca_issue like `signet issue`, with the order's identifiers as
 * the validated names and "acme:<account id>" as the requester.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "serve/acme_jwk.h"
#include "serve/signer_acme_int.h"
#include "serve/signer_acme_ari.h"
#include "serve/signer_int.h"
#include "signet/ca.h"
#include "signet/policy.h"
#include "signet/store.h"
#include "signet/store_acme.h"
#include "util/codec.h"

#define NONCE_TTL 3600
#define ORDER_TTL ((int64_t)7 * 86400)

/* Refuse with an RFC 8555 problem type; returns -1 for the caller. */
static int problem(struct acme_ctx *x, int status, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
problem(struct acme_ctx *x, int status, const char *type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	signer_acme_vproblem(x, status, type, fmt, ap);
	va_end(ap);
	return -1;
}

/* A store failure that is not the client's doing. */
static int
internal(struct acme_ctx *x, int r)
{
	signer_say("ACME: %s", signet_error_message());
	return problem(x, r, "serverInternal",
	    "the server could not complete the request; try again later");
}

static int
profile_exposed(const struct signet_ca_config *c, const char *profile)
{
	const char *p = c->serve_acme_profiles;
	size_t n = strlen(profile), k;

	while (p != NULL && *p != '\0') {
		while (*p == ',' || *p == ' ')
			p++;
		k = strcspn(p, ", ");
		if (k == n && n > 0 && strncmp(p, profile, n) == 0)
			return 1;
		p += k;
	}
	return 0;
}

static int
account_load(struct acme_ctx *x)
{
	int r = 0;

	if (!x->acct_read)
		r = signet_store_acme_account_get(x->st, x->q->account, NULL,
		    &x->acct);
	if (r == SIGNET_ERR_NOT_FOUND)
		return problem(x, r, "accountDoesNotExist",
		    "no account %s here", x->q->account);
	if (r != 0)
		return internal(x, r);
	if (strcmp(x->acct.status, "valid") != 0)
		return problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "account %s is %s", x->acct.id, x->acct.status);
	return 0;
}

static json_t *
account_json(const struct signet_acme_account *a)
{
	json_t *contact = json_loads(a->contact, 0, NULL);

	return json_pack("{s:s, s:s, s:o}", "id", a->id, "status", a->status,
	    "contact", contact != NULL ? contact : json_array());
}

static json_t *
order_json(const struct signet_acme_order *o)
{
	json_t *ids = json_array(), *authz = json_array();
	size_t i;

	for (i = 0; i < o->n_ids; i++) {
		json_array_append_new(ids, json_string(o->ids[i]));
		json_array_append_new(authz, json_string(o->authz[i]));
	}
	return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s}", "id",
	    o->id, "status", o->status, "profile", o->profile, "expires",
	    (json_int_t)o->expires, "identifiers", ids, "authorizations", authz,
	    "serial", o->serial, "error", o->error);
}

static json_t *
authz_json(const struct signet_acme_authz *z)
{
	json_t *ch = json_array();
	size_t i;

	for (i = 0; i < z->n_chall; i++)
		json_array_append_new(ch,
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "id",
			z->chall[i].id, "type", z->chall[i].type, "token",
			z->chall[i].token, "status", z->chall[i].status,
			"validated", (json_int_t)z->chall[i].validated_at,
			"error", z->chall[i].error));
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "id", z->id, "order",
	    z->order, "identifier", z->identifier, "status", z->status,
	    "expires", (json_int_t)z->expires, "challenges", ch);
}

static int
account_new(struct acme_ctx *x)
{
	struct signet_acme_account *a = &x->acct;
	json_t *jwk;
	EVP_PKEY *key = NULL;
	const char *why = NULL;
	char text[ACME_JWK_TEXT_MAX + 1];
	int r, created = 0;

	memset(a, 0, sizeof(*a));
	jwk = json_loads(x->q->jwk, 0, NULL);
	r = acme_jwk_load(jwk, &key, a->thumbprint, text, &why);
	json_decref(jwk);
	if (r != 0)
		return problem(x, SIGNET_ERR_USAGE, "badPublicKey", "%s", why);
	r = spki_sha256_hex(key, a->spki_sha256);
	EVP_PKEY_free(key);
	if (r != 0)
		return internal(x, r);
	snprintf(a->jwk, sizeof(a->jwk), "%s", text);
	snprintf(a->contact, sizeof(a->contact), "%s",
	    x->q->contact[0] != '\0' ? x->q->contact : "[]");
	if (x->q->flags & SERVE_ACME_FLAG_ONLY_EXISTING) {
		r = signet_store_acme_account_get(x->st, NULL, a->thumbprint,
		    a);
		if (r == SIGNET_ERR_NOT_FOUND)
			return problem(x, r, "accountDoesNotExist",
			    "no account has this key");
	} else
		r = signet_store_acme_account_new(x->st, a, x->now, &created);
	if (r != 0)
		return internal(x, r);
	x->obj = account_json(a);
	json_object_set_new(x->obj, "created", json_boolean(created));
	return 0;
}

/* Does the order's profile allow wildcard names (names.dns.wildcards)? */
static int
wildcards_allowed(const struct acme_ctx *x)
{
	const struct signet_profile *p = NULL;

	return signet_policy_find(signet_ca_get0_policy(x->s->ca),
		   x->q->profile, &p) == 0 &&
	       p->dns_wildcards;
}

static int
order_new(struct acme_ctx *x)
{
	struct signet_acme_order o;
	size_t i;
	int r;

	if (!profile_exposed(x->s->cfg, x->q->profile))
		return problem(x, SIGNET_ERR_POLICY, "malformed",
		    "profile '%s' is not offered over ACME", x->q->profile);
	if (x->q->n_ids == 0 || x->q->n_ids > SIGNET_ACME_MAX_IDS)
		return problem(x, SIGNET_ERR_USAGE, "malformed",
		    "an order holds 1 to %d identifiers", SIGNET_ACME_MAX_IDS);
	if (signer_acme_order_check(x) != 0)
		return -1;
	memset(&o, 0, sizeof(o));
	for (i = 0; i < x->q->n_ids; i++) {
		if (strncmp(x->q->ids[i], "dns:", 4) != 0 &&
		    strncmp(x->q->ids[i], "ip:", 3) != 0)
			return problem(x, SIGNET_ERR_USAGE,
			    "unsupportedIdentifier",
			    "identifier %s is neither dns nor ip",
			    x->q->ids[i]);
		/* Wildcards where the profile allows them (names.dns). */
		if (strncmp(x->q->ids[i], "dns:*.", 6) == 0 &&
		    !wildcards_allowed(x))
			return problem(x, SIGNET_ERR_POLICY,
			    "rejectedIdentifier",
			    "profile %s does not allow wildcard names",
			    x->q->profile);
		snprintf(o.ids[i], sizeof(o.ids[i]), "%s", x->q->ids[i]);
	}
	o.n_ids = x->q->n_ids;
	snprintf(o.account, sizeof(o.account), "%s", x->acct.id);
	snprintf(o.profile, sizeof(o.profile), "%s", x->q->profile);
	r = signet_store_acme_order_new(x->st, &o, x->now, ORDER_TTL);
	if (r == SIGNET_ERR_USAGE)
		return problem(x, r, "malformed", "%s", signet_error_message());
	if (r != 0)
		return internal(x, r);
	x->obj = order_json(&o);
	return 0;
}

static int
order_owned(struct acme_ctx *x, const char *id, struct signet_acme_order *o)
{
	int r = signet_store_acme_order_get(x->st, id, o);

	if (r == SIGNET_ERR_NOT_FOUND)
		return problem(x, r, "malformed", "no order %s", id);
	if (r != 0)
		return internal(x, r);
	if (strcmp(o->account, x->acct.id) != 0)
		return problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "order %s belongs to another account", id);
	return 0;
}

static int
authz_owned(struct acme_ctx *x, const char *id, const char *chall,
    struct signet_acme_authz *z)
{
	int r = signet_store_acme_authz_get(x->st, id, chall, z);

	if (r == SIGNET_ERR_NOT_FOUND)
		return problem(x, r, "malformed", "%s", signet_error_message());
	if (r != 0)
		return internal(x, r);
	if (strcmp(z->account, x->acct.id) != 0)
		return problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "the authorization belongs to another account");
	return 0;
}

static int
chall_start(struct acme_ctx *x)
{
	struct signet_acme_authz z;
	int r;

	if (authz_owned(x, NULL, x->q->object, &z) != 0)
		return -1;
	r = signet_store_acme_challenge_start(x->st, x->q->object, x->now);
	if (r != 0 && r != SIGNET_ERR_CONFLICT)
		return internal(x, r);
	/* Asked again: the challenge as it stands, nothing to check. */
	if (authz_owned(x, NULL, x->q->object, &z) != 0)
		return -1;
	x->obj = authz_json(&z);
	json_object_set_new(x->obj, "validate", json_boolean(r == 0));
	json_object_set_new(x->obj, "thumbprint",
	    json_string(x->acct.thumbprint));
	return 0;
}

static int
chall_result(struct acme_ctx *x)
{
	struct signet_acme_authz z;
	int r, valid = (x->q->flags & SERVE_ACME_FLAG_VALID) != 0;

	if (authz_owned(x, NULL, x->q->object, &z) != 0)
		return -1;
	r = signet_store_acme_challenge_finish(x->st, x->q->object, valid,
	    x->q->detail[0] != '\0' ? x->q->detail : "validation failed",
	    x->now);
	if (r == SIGNET_ERR_CONFLICT)
		return problem(x, r, "malformed", "%s", signet_error_message());
	if (r != 0)
		return internal(x, r);
	if (authz_owned(x, NULL, x->q->object, &z) != 0)
		return -1;
	x->obj = authz_json(&z);
	return 0;
}

/* Lower-case canonical hex of a certificate's serial. */
static int
cert_serial(X509 *cert, char out[41])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	size_t i, n;
	int r = -1;

	if (hex != NULL && (n = strlen(hex)) > 0 && n <= 40 && hex[0] != '-') {
		for (i = 0; i <= n; i++)
			out[i] = (char)tolower((unsigned char)hex[i]);
		r = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return r;
}

static int
finalize(struct acme_ctx *x)
{
	struct signet_acme_order o;
	struct signet_ca_request req;
	struct signet_ca_result res;
	const uint8_t *p = x->q->der;
	const char *ids[SIGNET_ACME_MAX_IDS];
	char requester[64], spki[65];
	X509_REQ *csr = NULL;
	EVP_PKEY *key;
	size_t i;
	int r, ret = -1;

	memset(&res, 0, sizeof(res));
	if (order_owned(x, x->q->object, &o) != 0)
		return -1;
	if (strcmp(o.status, "ready") != 0)
		return problem(x, SIGNET_ERR_CONFLICT, "orderNotReady",
		    "order %s is %s, not ready", o.id, o.status);
	if ((csr = d2i_X509_REQ(NULL, &p, (long)x->q->der_len)) == NULL ||
	    p != x->q->der + x->q->der_len ||
	    (key = X509_REQ_get0_pubkey(csr)) == NULL) {
		X509_REQ_free(csr);
		return problem(x, SIGNET_ERR_USAGE, "badCSR",
		    "the CSR is not DER a PKCS#10 request");
	}
	r = spki_sha256_hex(key, spki);
	X509_REQ_free(csr);
	if (r != 0)
		return internal(x, r);
	if (strcmp(spki, x->acct.spki_sha256) == 0)
		return problem(x, SIGNET_ERR_POLICY, "badCSR",
		    "the CSR's key is the account key; use another key for "
		    "the certificate");
	r = signet_store_acme_order_finalize(x->st, o.id, x->now);
	if (r == SIGNET_ERR_CONFLICT)
		return problem(x, r, "orderNotReady", "%s",
		    signet_error_message());
	if (r != 0)
		return internal(x, r);
	for (i = 0; i < o.n_ids; i++)
		ids[i] = o.ids[i];
	snprintf(requester, sizeof(requester), "acme:%s", x->acct.id);
	memset(&req, 0, sizeof(req));
	req.name = requester;
	req.csr = x->q->der;
	req.csr_len = x->q->der_len;
	req.profile = o.profile;
	req.requester = requester;
	req.validated = ids;
	req.n_validated = o.n_ids;
	req.check_names = 1;
	r = signet_ca_issue(x->s->ca, &req, &res);
	if (r != 0) {
		signer_count_error(x->s, r);
		problem(x, r,
		    signet_err_category(r) == SIGNET_CAT_POLICY
			? "badCSR"
			: "serverInternal",
		    "%s",
		    res.message != NULL ? res.message : signet_error_message());
		/* Refused: the order is ready again for a better CSR. */
		if (signet_store_acme_order_done(x->st, o.id, NULL, NULL,
			x->now) != 0)
			signer_say("ACME: order %s: %s", o.id,
			    signet_error_message());
		goto out;
	}
	if ((r = signet_store_acme_order_done(x->st, o.id, res.serial, NULL,
		 x->now)) != 0) {
		signer_say("ACME: certificate %s was issued but order %s "
			   "cannot record it: %s",
		    res.serial, o.id, signet_error_message());
		internal(x, r);
		goto out;
	}
	if (order_owned(x, x->q->object, &o) != 0)
		goto out;
	x->obj = order_json(&o);
	ret = 0;
out:
	signet_ca_result_clear(&res);
	return ret;
}

static int
cert_get(struct acme_ctx *x)
{
	struct signet_acme_order o;
	struct signet_store_cert *c = NULL;
	int r;

	if (order_owned(x, x->q->object, &o) != 0)
		return -1;
	if (strcmp(o.status, "valid") != 0)
		return problem(x, SIGNET_ERR_NOT_FOUND, "malformed",
		    "order %s has no certificate", o.id);
	r = signet_store_cert_get(x->st, signet_ca_issuer_id(x->s->ca),
	    o.serial, &c);
	if (r == 0)
		r = signet_ca_pem(x->s->ca, c->der, c->der_len, 1, &x->pem,
		    &x->pem_len);
	signet_store_cert_free(c);
	if (r != 0)
		return internal(x, r);
	x->obj = order_json(&o);
	return 0;
}

static int
revoke(struct acme_ctx *x)
{
	struct signet_acme_order o;
	const uint8_t *p = x->q->der;
	X509 *cert;
	char serial[41];
	int r;

	cert = d2i_X509(NULL, &p, (long)x->q->der_len);
	r = cert != NULL && p == x->q->der + x->q->der_len
		? cert_serial(cert, serial)
		: -1;
	X509_free(cert);
	if (r != 0)
		return problem(x, SIGNET_ERR_USAGE, "malformed",
		    "the certificate does not parse");
	/* RFC 8555 7.6 with BR 7.2.2: what a subscriber may say. */
	if (x->q->reason != 0 && x->q->reason != 1 && x->q->reason != 4 &&
	    x->q->reason != 5)
		return problem(x, SIGNET_ERR_USAGE, "badRevocationReason",
		    "reason %u: only unspecified (0), keyCompromise (1), "
		    "superseded (4) and cessationOfOperation (5)",
		    x->q->reason);
	r = signet_store_acme_order_by_serial(x->st, serial, &o);
	if (r != 0 && r != SIGNET_ERR_NOT_FOUND)
		return internal(x, r);
	if ((r != 0 || strcmp(o.account, x->acct.id) != 0) &&
	    signer_acme_revoke_authorized(x, serial) != 0)
		return -1;
	r = signet_ca_revoke(x->s->ca, serial, (int)x->q->reason, NULL, NULL);
	if (r == SIGNET_ERR_CONFLICT || r == SIGNET_ERR_USAGE)
		return problem(x, r, "alreadyRevoked", "%s",
		    signet_error_message());
	if (r != 0)
		return internal(x, r);
	signer_acme_audit(x, SIGNET_AUDIT_EV_ACME_REVOKE, serial);
	x->obj = json_object();
	return 0;
}

/* The operations a JWS signed for an account (kid) asks for. */
static int
signed_by_account(int op)
{
	switch (op) {
	case SERVE_ACME_ACCOUNT_GET:
	case SERVE_ACME_ORDER_NEW:
	case SERVE_ACME_ORDER_GET:
	case SERVE_ACME_AUTHZ_GET:
	case SERVE_ACME_CHALL_START:
	case SERVE_ACME_FINALIZE:
	case SERVE_ACME_CERT_GET:
	case SERVE_ACME_REVOKE:
	case SERVE_ACME_ACCOUNT_DEACTIVATE:
	case SERVE_ACME_KEY_CHANGE:
	case SERVE_ACME_ACCOUNT_UPDATE:
	case SERVE_ACME_ORDERS_LIST:
	case SERVE_ACME_AUTHZ_DEACTIVATE:
		return 1;
	default:
		return 0;
	}
}

/*
 * The front end verified the JWS with a key it may hold from an earlier
 * request; it must be the account's key now. Refused before the nonce is
 * spent, so that the front end can look the key up again and retry with
 * the same request. An unknown account is answered after the nonce, as
 * before.
 */
static int
key_check(struct acme_ctx *x)
{
	int r;

	r = signet_store_acme_account_get(x->st, x->q->account, NULL, &x->acct);
	if (r == SIGNET_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return internal(x, r);
	x->acct_read = 1;
	if (x->q->thumb[0] == '\0' ||
	    strcmp(x->acct.thumbprint, x->q->thumb) != 0)
		return problem(x, SIGNET_ERR_POLICY, SERVE_ACME_STALE_KEY,
		    "the request is not signed with account %s's key",
		    x->acct.id);
	return 0;
}

static int
dispatch(struct acme_ctx *x)
{
	struct signet_acme_order o;
	struct signet_acme_authz z;
	int r, op = x->q->op;

	if (op >= SERVE_ACME_ARI_FIRST && op <= SERVE_ACME_ARI_LAST)
		return signer_acme_ari_op(x->s, x->st, x->q, x->now, &x->a,
		    &x->obj);
	if (signed_by_account(op) && key_check(x) != 0)
		return -1;
	if (op != SERVE_ACME_NONCE && op != SERVE_ACME_ACCOUNT_KEY &&
	    op != SERVE_ACME_CHALL_RESULT) {
		/* The answer's nonce is made in the same transaction. */
		r = signet_store_acme_nonce_swap(x->st, x->q->nonce, x->now,
		    NONCE_TTL, x->a.nonce);
		if (r == SIGNET_ERR_NOT_FOUND)
			return problem(x, r, "badNonce",
			    "the nonce is unknown, spent or expired; take the "
			    "one in this answer");
		if (r != 0)
			return internal(x, r);
		if (signer_acme_ari_nonce_refused(x->s))
			return problem(x, SIGNET_ERR_NOT_FOUND, "badNonce",
			    "test setting: a valid nonce refused; take the "
			    "one in this answer");
	}
	if (op == SERVE_ACME_NONCE)
		return 0;
	if (op == SERVE_ACME_ACCOUNT_NEW) {
		if (signer_acme_eab_check(x) != 0 || account_new(x) != 0)
			return -1;
		signer_acme_audit(x, SIGNET_AUDIT_EV_ACME_ACCOUNT_NEW, NULL);
		return 0;
	}
	if (op >= SERVE_ACME_ACCOUNT_NEW_EAB)
		return signer_acme_account_dispatch(x);
	if (account_load(x) != 0)
		return -1;
	switch (op) {
	case SERVE_ACME_ACCOUNT_KEY:
		x->obj = json_pack("{s:s, s:s, s:s}", "id", x->acct.id,
		    "status", x->acct.status, "jwk", x->acct.jwk);
		return 0;
	case SERVE_ACME_ACCOUNT_GET:
		x->obj = account_json(&x->acct);
		return 0;
	case SERVE_ACME_ACCOUNT_DEACTIVATE:
		if ((r = signet_store_acme_account_deactivate(x->st,
			 x->acct.id)) != 0)
			return internal(x, r);
		snprintf(x->acct.status, sizeof(x->acct.status), "deactivated");
		x->obj = account_json(&x->acct);
		signer_acme_audit(x, SIGNET_AUDIT_EV_ACME_ACCOUNT_DEACTIVATE,
		    NULL);
		return 0;
	case SERVE_ACME_ORDER_NEW:
		if (signer_acme_ari_order_check(x->s, x->st, x->q, &x->acct,
			x->now, &x->a) != 0 ||
		    order_new(x) != 0)
			return -1;
		return signer_acme_ari_order_made(x->s, x->st, x->q,
		    json_string_value(json_object_get(x->obj, "id")), x->now,
		    &x->a);
	case SERVE_ACME_ORDER_GET:
		if (order_owned(x, x->q->object, &o) != 0)
			return -1;
		x->obj = order_json(&o);
		return 0;
	case SERVE_ACME_AUTHZ_GET:
		if (authz_owned(x, x->q->object, NULL, &z) != 0)
			return -1;
		x->obj = authz_json(&z);
		return 0;
	case SERVE_ACME_CHALL_START:
		return chall_start(x);
	case SERVE_ACME_CHALL_RESULT:
		return chall_result(x);
	case SERVE_ACME_FINALIZE:
		if (finalize(x) != 0)
			return -1;
		signer_acme_ari_finalized(x->s, x->st, x->q->object, x->now);
		return 0;
	case SERVE_ACME_CERT_GET:
		return cert_get(x);
	case SERVE_ACME_REVOKE:
		return revoke(x);
	default:
		return problem(x, SIGNET_ERR_USAGE, "malformed",
		    "unknown operation");
	}
}

void
signer_acme(struct signer *s, const struct serve_msg *m)
{
	struct serve_acme *q;
	struct acme_ctx x;
	struct serve_wbuf w;
	char *json = NULL;

	if ((q = malloc(sizeof(*q))) == NULL) {
		signer_say("ACME: out of memory");
		return;
	}
	if (serve_acme_decode(m->body, m->len, q) != 0) {
		signer_kill_frontend(s, "ACME does not decode", m->type);
		free(q);
		return;
	}
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.q = q;
	x.now = (int64_t)time(NULL);
	if (s->ca == NULL) {
		problem(&x, SIGNET_ERR_TOKEN, "serverInternal",
		    "the CA is not open (a reload failed); try again later");
		goto answer;
	}
	x.st = signet_ca_get0_store(s->ca);
	(void)dispatch(&x);
	/*
	 * Every answer carries a fresh nonce (RFC 8555 6.5; made where the
	 * request's was spent, else here), but for the steps inside one HTTP
	 * request (the account's key, a challenge's outcome, a refused stale
	 * key), whose request's answer has its own.
	 */
	if (q->op != SERVE_ACME_ACCOUNT_KEY &&
	    q->op != SERVE_ACME_CHALL_RESULT && q->op < SERVE_ACME_ARI_FIRST &&
	    strcmp(x.a.problem, SERVE_ACME_STALE_KEY) != 0 &&
	    x.a.nonce[0] == '\0' &&
	    signet_store_acme_nonce_new(x.st, x.now, NONCE_TTL, x.a.nonce) != 0)
		signer_say("ACME: cannot make a nonce: %s",
		    signet_error_message());
answer:
	if (x.a.status == 0 && x.obj != NULL &&
	    (json = json_dumps(x.obj, JSON_COMPACT | JSON_ENSURE_ASCII)) !=
		NULL) {
		x.a.json = (const uint8_t *)json;
		x.a.json_len = strlen(json);
	}
	x.a.pem = (const uint8_t *)x.pem;
	x.a.pem_len = x.a.status == 0 ? x.pem_len : 0;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	if (serve_acme_reply_encode(&x.a, &w) == 0)
		(void)signer_send(s, SERVE_MSG_ACME_REPLY, m->id, w.p, w.len);
	else
		signer_say("cannot encode the answer to ACME %u", m->id);
	serve_wbuf_free(&w);
	free(json);
	free(x.pem);
	json_decref(x.obj);
	free(q);
}

/* ---- for signer_acme_account.c ------------------------------------------ */

void
signer_acme_vproblem(struct acme_ctx *x, int status, const char *type,
    const char *fmt, va_list ap)
{
	x->a.status = status != 0 ? status : SIGNET_ERR_INTERNAL;
	snprintf(x->a.problem, sizeof(x->a.problem), "%s", type);
	vsnprintf(x->a.detail, sizeof(x->a.detail), fmt, ap);
}

int
signer_acme_problem(struct acme_ctx *x, int status, const char *type,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	signer_acme_vproblem(x, status, type, fmt, ap);
	va_end(ap);
	return -1;
}

int
signer_acme_internal(struct acme_ctx *x, int r)
{
	return internal(x, r);
}

int
signer_acme_account_load(struct acme_ctx *x)
{
	return account_load(x);
}

json_t *
signer_acme_account_json(const struct signet_acme_account *a)
{
	return account_json(a);
}

json_t *
signer_acme_authz_json(const struct signet_acme_authz *z)
{
	return authz_json(z);
}

int
signer_acme_cert_serial(X509 *cert, char out[41])
{
	return cert_serial(cert, out);
}
