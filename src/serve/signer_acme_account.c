/*
 * ACME accounts, the signer's side (docs/acme.md): external account
 * binding (RFC 8555 7.3.4; the MAC is checked here, the front end never
 * holds an EAB key), contact updates, key changes, orders lists,
 * authorization deactivation, and the two ways to revoke besides the
 * ordering account: by an account holding authorizations for every name
 * of the certificate, and by the certificate's own key (then the reason
 * is keyCompromise and the key is blocked). newOrder asks the policy
 * engine whether the profile allows the identifiers.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/x509v3.h>

#include "serve/acme_jwk.h"
#include "serve/signer_acme_int.h"
#include "signet/ca.h"
#include "signet/policy.h"
#include "signet/store_acme_account.h"
#include "util/codec.h"
#include "util/secret.h"

static int
eab_required(const struct acme_ctx *x)
{
	return signet_ca_config_listed(x->s->cfg->serve_acme_eab_required,
	    x->q->profile);
}

void
signer_acme_audit(struct acme_ctx *x, enum signet_audit_event ev,
    const char *serial)
{
	json_t *d = json_pack("{s:s, s:s}", "account", x->acct.id, "profile",
	    x->q->profile);

	if (d == NULL)
		return;
	if (ev == SIGNET_AUDIT_EV_ACME_ACCOUNT_NEW &&
	    !json_is_true(json_object_get(x->obj, "created"))) {
		json_decref(d);
		return;
	}
	if (ev == SIGNET_AUDIT_EV_ACME_ACCOUNT_NEW ||
	    ev == SIGNET_AUDIT_EV_ACME_ACCOUNT_KEY_CHANGE)
		json_object_set_new(d, "thumbprint",
		    json_string(x->acct.thumbprint));
	if (x->q->op == SERVE_ACME_ACCOUNT_NEW_EAB)
		json_object_set_new(d, "eab_kid", json_string(x->q->object));
	if (ev == SIGNET_AUDIT_EV_ACME_ACCOUNT_UPDATE)
		json_object_set_new(d, "contact", json_string(x->acct.contact));
	if (serial != NULL) {
		json_object_set_new(d, "serial", json_string(serial));
		json_object_set_new(d, "reason", json_integer(x->q->reason));
		json_object_set_new(d, "by",
		    json_string(x->q->op == SERVE_ACME_REVOKE_BY_KEY
				    ? "certificate key"
				    : "account"));
		if (x->q->op == SERVE_ACME_REVOKE_BY_KEY)
			json_object_set(d, "account", json_null());
	}
	signer_audit(x->s, ev, SIGNET_AUDIT_SUCCESS, d);
}

/* The key of a JWK text: thumbprint, SPKI hash, canonical JWK into a. */
static int
key_of(struct acme_ctx *x, const char *jwk_text, struct signet_acme_account *a)
{
	json_t *jwk = json_loads(jwk_text, 0, NULL);
	EVP_PKEY *key = NULL;
	const char *why = "the jwk is not JSON";
	char text[ACME_JWK_TEXT_MAX + 1];
	int r;

	r = jwk != NULL ? acme_jwk_load(jwk, &key, a->thumbprint, text, &why)
			: -1;
	json_decref(jwk);
	if (r != 0)
		return signer_acme_problem(x, SIGNET_ERR_USAGE, "badPublicKey",
		    "%s", why);
	r = spki_sha256_hex(key, a->spki_sha256);
	EVP_PKEY_free(key);
	if (r != 0)
		return signer_acme_internal(x, r);
	snprintf(a->jwk, sizeof(a->jwk), "%s", text);
	return 0;
}

/* ---- external account binding --------------------------------------------
 */

int
signer_acme_eab_check(struct acme_ctx *x)
{
	struct signet_acme_account a;
	int r;

	if (!eab_required(x) || (x->q->flags & SERVE_ACME_FLAG_ONLY_EXISTING))
		return 0;
	/* RFC 8555 7.3.1: a key already registered gets its account. */
	memset(&a, 0, sizeof(a));
	if (key_of(x, x->q->jwk, &a) != 0)
		return -1;
	r = signet_store_acme_account_get(x->st, NULL, a.thumbprint, &a);
	if (r == 0)
		return 0;
	if (r != SIGNET_ERR_NOT_FOUND)
		return signer_acme_internal(x, r);
	return signer_acme_problem(x, SIGNET_ERR_POLICY,
	    "externalAccountRequired",
	    "the %s directory requires external account binding: register "
	    "with the key id and MAC key the CA's operator gave you",
	    x->q->profile);
}

static const EVP_MD *
eab_md(const char *alg)
{
	if (strcmp(alg, "HS256") == 0)
		return EVP_sha256();
	if (strcmp(alg, "HS384") == 0)
		return EVP_sha384();
	if (strcmp(alg, "HS512") == 0)
		return EVP_sha512();
	return NULL;
}

/* The MAC of the binding with the stored key: 0, or the problem. */
static int
eab_mac_check(struct acme_ctx *x, const char *key_text)
{
	const uint8_t *input, *mac;
	uint8_t *key = NULL, want[EVP_MAX_MD_SIZE];
	size_t input_len, mac_len, key_len = 0;
	unsigned want_len = 0;
	const EVP_MD *md = eab_md(x->q->detail);
	int r = -1;

	if (md == NULL || serve_acme_eab_decode(x->q->der, x->q->der_len,
			      &input, &input_len, &mac, &mac_len) != 0)
		return signer_acme_problem(x, SIGNET_ERR_USAGE, "malformed",
		    "the external account binding is not an HS256, HS384 "
		    "or HS512 JWS");
	if (acme_b64url_decode(key_text, strlen(key_text), &key, &key_len) !=
		0 ||
	    HMAC(md, key, (int)key_len, input, input_len, want, &want_len) ==
		NULL) {
		r = signer_acme_internal(x,
		    signet_error_set(SIGNET_ERR_CRYPTO,
			"EAB key %s cannot be used", x->q->object));
		goto out;
	}
	if (mac_len != want_len || CRYPTO_memcmp(mac, want, mac_len) != 0) {
		r = signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "the external account binding's MAC does not verify "
		    "with key %s",
		    x->q->object);
		goto out;
	}
	r = 0;
out:
	secret_wipe(want, sizeof(want));
	if (key != NULL)
		secret_wipe(key, key_len);
	free(key);
	return r;
}

static int
account_new_eab(struct acme_ctx *x)
{
	struct signet_acme_account *a = &x->acct, old;
	struct signet_acme_eab e;
	char key[SIGNET_ACME_EAB_KEY_LEN + 1];
	int r, created = 0;

	memset(a, 0, sizeof(*a));
	r = signet_store_acme_eab_get(x->st, x->q->object, &e, key);
	if (r == SIGNET_ERR_NOT_FOUND)
		return signer_acme_problem(x, r, "unauthorized",
		    "no external account binding key %s", x->q->object);
	if (r != 0)
		return signer_acme_internal(x, r);
	r = eab_mac_check(x, key);
	secret_wipe(key, sizeof(key));
	if (r != 0)
		return -1;
	/* The MAC is right: now the key's state may be told. */
	if (e.revoked_at != 0)
		return signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "external account binding key %s is revoked", e.kid);
	if (strcmp(e.profile, x->q->profile) != 0)
		return signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "external account binding key %s is for another "
		    "directory",
		    e.kid);
	if (key_of(x, x->q->jwk, a) != 0)
		return -1;
	snprintf(a->contact, sizeof(a->contact), "%s",
	    x->q->contact[0] != '\0' ? x->q->contact : "[]");
	r = signet_store_acme_account_get(x->st, NULL, a->thumbprint, &old);
	if (r != 0 && r != SIGNET_ERR_NOT_FOUND)
		return signer_acme_internal(x, r);
	/* A deactivated account stays so (RFC 8555 7.3.6): no key for it. */
	if (r == 0 && strcmp(old.status, "valid") != 0)
		return signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "account %s is %s", old.id, old.status);
	if (e.account[0] != '\0') {
		/* Bound already: only to this very key's account. */
		if (r != 0 || strcmp(old.id, e.account) != 0)
			return signer_acme_problem(x, SIGNET_ERR_POLICY,
			    "unauthorized",
			    "external account binding key %s is bound to "
			    "another account already",
			    e.kid);
		*a = old;
	} else {
		r = signet_store_acme_account_new_eab(x->st, a, e.kid,
		    x->q->profile, x->now, &created);
		if (r == SIGNET_ERR_CONFLICT)
			return signer_acme_problem(x, r, "unauthorized", "%s",
			    signet_error_message());
		if (r != 0)
			return signer_acme_internal(x, r);
	}
	if ((x->obj = signer_acme_account_json(a)) == NULL)
		return signer_acme_internal(x,
		    signet_error_set(SIGNET_ERR_INTERNAL, "out of memory"));
	json_object_set_new(x->obj, "created", json_boolean(created));
	signer_acme_audit(x, SIGNET_AUDIT_EV_ACME_ACCOUNT_NEW, NULL);
	return 0;
}

/* ---- newOrder -------------------------------------------------------------
 */

int
signer_acme_order_check(struct acme_ctx *x)
{
	const struct signet_profile *profile = NULL;
	struct signet_san sans[SERVE_ACME_MAX_IDS];
	size_t i;
	int r, bound = 0;

	if (eab_required(x)) {
		r = signet_store_acme_account_eab_bound(x->st, x->acct.id,
		    x->q->profile, &bound);
		if (r != 0)
			return signer_acme_internal(x, r);
		if (!bound)
			return signer_acme_problem(x, SIGNET_ERR_POLICY,
			    "unauthorized",
			    "the %s directory requires external account "
			    "binding, and account %s holds no unrevoked key "
			    "for it",
			    x->q->profile, x->acct.id);
	}
	if ((r = signet_policy_find(signet_ca_get0_policy(x->s->ca),
		 x->q->profile, &profile)) != 0)
		return signer_acme_internal(x, r);
	memset(sans, 0, sizeof(sans));
	for (i = 0; i < x->q->n_ids && i < SERVE_ACME_MAX_IDS; i++) {
		if (strncmp(x->q->ids[i], "ip:", 3) == 0) {
			sans[i].type = SIGNET_SAN_IP;
			sans[i].value = (char *)(uintptr_t)(x->q->ids[i] + 3);
		} else {
			sans[i].type = SIGNET_SAN_DNS;
			sans[i].value = (char *)(uintptr_t)(x->q->ids[i] + 4);
		}
	}
	r = signet_profile_names_check(profile, sans, i);
	if (r == 0)
		return 0;
	if (signet_err_category(r) == SIGNET_CAT_POLICY)
		return signer_acme_problem(x, r, "rejectedIdentifier", "%s",
		    signet_error_message());
	return signer_acme_internal(x, r);
}

/* ---- revocation -----------------------------------------------------------
 */

/*
 * The certificate the client sent, if it is the one this CA issued under
 * that serial (a client could send any DER with a serial of ours).
 */
static int
cert_ours(struct acme_ctx *x, X509 **out, char serial[41])
{
	const uint8_t *p = x->q->der;
	struct signet_store_cert *c = NULL;
	X509 *cert;
	int r;

	*out = NULL;
	cert = d2i_X509(NULL, &p, (long)x->q->der_len);
	if (cert == NULL || p != x->q->der + x->q->der_len ||
	    signer_acme_cert_serial(cert, serial) != 0) {
		X509_free(cert);
		return signer_acme_problem(x, SIGNET_ERR_USAGE, "malformed",
		    "the certificate does not parse");
	}
	r = signet_store_cert_get(x->st, signet_ca_issuer_id(x->s->ca), serial,
	    &c);
	if (r == 0 && (c->der_len != x->q->der_len ||
			  memcmp(c->der, x->q->der, c->der_len) != 0))
		r = SIGNET_ERR_NOT_FOUND;
	/*
	 * Only certificates of this directory's profile: what the front end
	 * checks (the JWS) must not reach certificates issued otherwise.
	 */
	if (r == 0 && strcmp(c->profile, x->q->profile) != 0)
		r = SIGNET_ERR_POLICY;
	signet_store_cert_free(c);
	if (r == SIGNET_ERR_NOT_FOUND) {
		X509_free(cert);
		return signer_acme_problem(x, r, "malformed",
		    "certificate %s was not issued by this CA", serial);
	}
	if (r == SIGNET_ERR_POLICY) {
		X509_free(cert);
		return signer_acme_problem(x, r, "unauthorized",
		    "certificate %s is not of the %s profile; revoke it where "
		    "it was issued",
		    serial, x->q->profile);
	}
	if (r != 0) {
		X509_free(cert);
		return signer_acme_internal(x, r);
	}
	*out = cert;
	return 0;
}

int
signer_acme_revoke_authorized(struct acme_ctx *x, const char *serial)
{
	GENERAL_NAMES *gens = NULL;
	const GENERAL_NAME *g;
	X509 *cert = NULL;
	char id[SIGNET_ACME_IDENT_MAX + 1], text[64], got[41];
	int i, n, r, held = 0, ret = -1;

	if (cert_ours(x, &cert, got) != 0)
		return -1;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0, held = n > 0; i < n && held; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			snprintf(id, sizeof(id), "dns:%.*s",
			    ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD &&
			 (ASN1_STRING_length(g->d.iPAddress) == 4 ||
			     ASN1_STRING_length(g->d.iPAddress) == 16) &&
			 inet_ntop(ASN1_STRING_length(g->d.iPAddress) == 4
				       ? AF_INET
				       : AF_INET6,
			     ASN1_STRING_get0_data(g->d.iPAddress), text,
			     sizeof(text)) != NULL)
			snprintf(id, sizeof(id), "ip:%s", text);
		else {
			held = 0;
			break;
		}
		if ((r = signet_store_acme_authz_held(x->st, x->acct.id, id,
			 x->now, &held)) != 0) {
			signer_acme_internal(x, r);
			goto out;
		}
	}
	if (!held) {
		signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "account %s neither ordered certificate %s nor holds valid "
		    "authorizations for all of its names",
		    x->acct.id, serial);
		goto out;
	}
	ret = 0;
out:
	GENERAL_NAMES_free(gens);
	X509_free(cert);
	return ret;
}

/* RFC 8555 7.6: a request signed with the certificate's own key. */
static int
revoke_by_key(struct acme_ctx *x)
{
	struct signet_acme_account k;
	X509 *cert = NULL;
	char serial[41], spki[65];
	int r;

	memset(&k, 0, sizeof(k));
	if (key_of(x, x->q->jwk, &k) != 0 || cert_ours(x, &cert, serial) != 0)
		return -1;
	r = spki_sha256_hex(X509_get0_pubkey(cert), spki);
	X509_free(cert);
	if (r != 0)
		return signer_acme_internal(x, r);
	if (strcmp(spki, k.spki_sha256) != 0)
		return signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "the request is signed neither by an account nor by "
		    "certificate %s's key",
		    serial);
	/* Whoever holds the key says it is compromised: block it too. */
	r = signet_ca_revoke(x->s->ca, serial, 1, NULL, NULL);
	if (r == SIGNET_ERR_CONFLICT || r == SIGNET_ERR_USAGE)
		return signer_acme_problem(x, r, "alreadyRevoked", "%s",
		    signet_error_message());
	if (r != 0)
		return signer_acme_internal(x, r);
	signer_acme_audit(x, SIGNET_AUDIT_EV_ACME_REVOKE, serial);
	x->obj = json_object();
	return 0;
}

/* ---- account changes -------------------------------------------------------
 */

static int
key_change(struct acme_ctx *x)
{
	struct signet_acme_account nk;
	char other[SIGNET_ACME_ID_LEN + 1];
	int r;

	memset(&nk, 0, sizeof(nk));
	if (key_of(x, x->q->jwk, &nk) != 0)
		return -1;
	r = signet_store_acme_account_rekey(x->st, x->acct.id, &nk, other);
	if (r == SIGNET_ERR_CONFLICT && other[0] != '\0') {
		/*
		 * Nothing changed; the front end answers 409 with the other
		 * account's URL in Location (RFC 8555 7.3.5).
		 */
		x->obj = json_pack("{s:s}", "conflict", other);
		return 0;
	}
	if (r != 0)
		return signer_acme_internal(x, r);
	snprintf(x->acct.thumbprint, sizeof(x->acct.thumbprint), "%s",
	    nk.thumbprint);
	signer_acme_audit(x, SIGNET_AUDIT_EV_ACME_ACCOUNT_KEY_CHANGE, NULL);
	x->obj = signer_acme_account_json(&x->acct);
	return 0;
}

static int
account_update(struct acme_ctx *x)
{
	int r;

	r = signet_store_acme_account_contact(x->st, x->acct.id,
	    x->q->contact[0] != '\0' ? x->q->contact : "[]");
	if (r == SIGNET_ERR_USAGE)
		return signer_acme_problem(x, r, "malformed", "%s",
		    signet_error_message());
	if (r != 0)
		return signer_acme_internal(x, r);
	snprintf(x->acct.contact, sizeof(x->acct.contact), "%s",
	    x->q->contact[0] != '\0' ? x->q->contact : "[]");
	signer_acme_audit(x, SIGNET_AUDIT_EV_ACME_ACCOUNT_UPDATE, NULL);
	x->obj = signer_acme_account_json(&x->acct);
	return 0;
}

static int
orders_list(struct acme_ctx *x)
{
	char ids[SIGNET_ACME_ORDERS_PAGE][SIGNET_ACME_ID_LEN + 1];
	json_t *list;
	size_t i, n = 0;
	int r, more = 0;

	if (strcmp(x->q->object, x->acct.id) != 0)
		return signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "the orders of another account");
	r = signet_store_acme_orders_list(x->st, x->acct.id,
	    (int64_t)x->q->reason, ids, &n, &more);
	if (r != 0)
		return signer_acme_internal(x, r);
	if ((list = json_array()) == NULL)
		return signer_acme_internal(x,
		    signet_error_set(SIGNET_ERR_INTERNAL, "out of memory"));
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_string(ids[i]));
	x->obj = json_pack("{s:o, s:I}", "orders", list, "next",
	    more ? (json_int_t)x->q->reason + (json_int_t)n : (json_int_t)0);
	return 0;
}

static int
authz_deactivate(struct acme_ctx *x)
{
	struct signet_acme_authz z;
	int r;

	r = signet_store_acme_authz_get(x->st, x->q->object, NULL, &z);
	if (r == SIGNET_ERR_NOT_FOUND)
		return signer_acme_problem(x, r, "malformed", "%s",
		    signet_error_message());
	if (r != 0)
		return signer_acme_internal(x, r);
	if (strcmp(z.account, x->acct.id) != 0)
		return signer_acme_problem(x, SIGNET_ERR_POLICY, "unauthorized",
		    "the authorization belongs to another account");
	r = signet_store_acme_authz_deactivate(x->st, z.id, x->now);
	if (r == SIGNET_ERR_CONFLICT)
		return signer_acme_problem(x, r, "malformed", "%s",
		    signet_error_message());
	if (r != 0)
		return signer_acme_internal(x, r);
	/* Read it back by its id (z is cleared first: not z.id). */
	if ((r = signet_store_acme_authz_get(x->st, x->q->object, NULL, &z)) !=
	    0)
		return signer_acme_internal(x, r);
	x->obj = signer_acme_authz_json(&z);
	return 0;
}

int
signer_acme_account_dispatch(struct acme_ctx *x)
{
	switch (x->q->op) {
	case SERVE_ACME_ACCOUNT_NEW_EAB:
		return account_new_eab(x);
	case SERVE_ACME_REVOKE_BY_KEY:
		return revoke_by_key(x);
	default:
		break;
	}
	if (signer_acme_account_load(x) != 0)
		return -1;
	switch (x->q->op) {
	case SERVE_ACME_KEY_CHANGE:
		return key_change(x);
	case SERVE_ACME_ACCOUNT_UPDATE:
		return account_update(x);
	case SERVE_ACME_ORDERS_LIST:
		return orders_list(x);
	case SERVE_ACME_AUTHZ_DEACTIVATE:
		return authz_deactivate(x);
	default:
		return signer_acme_problem(x, SIGNET_ERR_USAGE, "malformed",
		    "unknown operation");
	}
}
