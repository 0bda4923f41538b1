/*
 * ACME accounts in the front end (docs/acme.md):
 *
 *   newAccount's externalAccountBinding (RFC 8555 7.3.4): the inner JWS
 *     taken apart and checked here (HS256/384/512, url, payload = the
 *     outer jwk); the MAC is checked by the signer, which alone holds
 *     the key.
 *   POST .../acct/<id> {"contact": [...]}      account update (7.3.2)
 *   POST .../key-change                        key rollover (7.3.5)
 *   POST .../acct/<id>/orders[/<position>]     orders list (7.1.2.1)
 *   POST .../authz/<id> {"status": "deactivated"}          (7.5.2)
 *   POST .../revoke-cert signed with the certificate's key (7.6)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/front_acme_int.h"

#define EAB_KID_MAX SERVE_ACME_FIELD_MAX

/* A flattened JWS that is a member of a payload (EAB, keyChange's inner). */
struct inner_jws {
	json_t *hdr;
	json_t *payload; /* NULL if empty */
	uint8_t *input;
	size_t input_len;
	uint8_t *sig;
	size_t sig_len;
};

static void
inner_free(struct inner_jws *w)
{
	json_decref(w->hdr);
	json_decref(w->payload);
	free(w->input);
	free(w->sig);
	memset(w, 0, sizeof(*w));
}

/*
 * Take obj apart: exactly protected, payload and signature, base64url;
 * a protected header whose members are only those in allowed (each
 * present); the payload a JSON object. 0, or -1 with *why.
 */
static int
inner_parse(const json_t *obj, const char *const *allowed, size_t n_allowed,
    struct inner_jws *w, const char **why)
{
	const char *prot, *pay, *sig, *k;
	uint8_t *raw = NULL;
	size_t raw_len, i, plen;
	json_t *v;

	memset(w, 0, sizeof(*w));
	*why = "a JWS object has exactly protected, payload and signature";
	prot = json_string_value(json_object_get(obj, "protected"));
	pay = json_string_value(json_object_get(obj, "payload"));
	sig = json_string_value(json_object_get(obj, "signature"));
	if (!json_is_object(obj) || json_object_size(obj) != 3 ||
	    prot == NULL || pay == NULL || sig == NULL)
		return -1;
	*why = "a JWS member is not base64url";
	if (acme_b64url_decode(prot, strlen(prot), &raw, &raw_len) != 0)
		return -1;
	w->hdr = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES,
	    NULL);
	free(raw);
	raw = NULL;
	if (acme_b64url_decode(sig, strlen(sig), &w->sig, &w->sig_len) != 0 ||
	    acme_b64url_decode(pay, strlen(pay), &raw, &raw_len) != 0)
		goto fail;
	if (raw_len > 0)
		w->payload = json_loadb((const char *)raw, raw_len,
		    JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	*why = "the protected header or the payload is not a JSON object";
	if (!json_is_object(w->hdr) || !json_is_object(w->payload))
		goto fail;
	*why = "the protected header has members it may not have, or lacks "
	       "some";
	if (json_object_size(w->hdr) != n_allowed)
		goto fail;
	json_object_foreach(w->hdr, k, v)
	{
		for (i = 0; i < n_allowed && strcmp(k, allowed[i]) != 0; i++)
			;
		if (i == n_allowed)
			goto fail;
	}
	plen = strlen(prot);
	w->input_len = plen + 1 + strlen(pay);
	if ((w->input = malloc(w->input_len)) == NULL)
		goto fail;
	memcpy(w->input, prot, plen);
	w->input[plen] = '.';
	memcpy(w->input + plen + 1, pay, strlen(pay));
	return 0;
fail:
	inner_free(w);
	return -1;
}

static const char *
hstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

/* ---- newAccount's externalAccountBinding ---------------------------------
 */

int
front_acme_eab(struct acme_req *rq, const json_t *payload, struct serve_acme *q,
    uint8_t **der, int *ret)
{
	static const char *const members[] = { "alg", "kid", "url" };
	const json_t *eab = json_object_get(payload, "externalAccountBinding");
	struct inner_jws w;
	struct serve_wbuf wb;
	const char *why, *alg;

	*der = NULL;
	/* onlyReturnExisting looks an account up: nothing is bound. */
	if (q->flags & SERVE_ACME_FLAG_ONLY_EXISTING)
		return 0;
	if (eab == NULL)
		return 0; /* the signer refuses where one is required */
	if (inner_parse(eab, members, 3, &w, &why) != 0) {
		*ret = front_acme_problem(rq, "malformed", why);
		return -1;
	}
	alg = hstr(w.hdr, "alg");
	if (strcmp(alg, "HS256") != 0 && strcmp(alg, "HS384") != 0 &&
	    strcmp(alg, "HS512") != 0) {
		*ret = front_acme_problem(rq, "badSignatureAlgorithm",
		    "the external account binding is signed with HS256, "
		    "HS384 or HS512");
		goto fail;
	}
	if (strcmp(hstr(w.hdr, "url"), rq->j.url) != 0) {
		*ret = front_acme_problem(rq, "unauthorized",
		    "the external account binding's url is not the "
		    "newAccount URL");
		goto fail;
	}
	/* RFC 8555 7.3.4: its payload is the account key. */
	if (!json_equal(w.payload, rq->j.jwk)) {
		*ret = front_acme_problem(rq, "malformed",
		    "the external account binding's payload is not the JWS's "
		    "jwk");
		goto fail;
	}
	if (hstr(w.hdr, "kid")[0] == '\0' ||
	    strlen(hstr(w.hdr, "kid")) > EAB_KID_MAX) {
		*ret = front_acme_problem(rq, "unauthorized",
		    "the external account binding's kid is not a key id "
		    "of this CA");
		goto fail;
	}
	serve_wbuf_init(&wb, SERVE_ACME_DER_MAX);
	if (serve_acme_eab_encode(w.input, w.input_len, w.sig, w.sig_len,
		&wb) != 0) {
		serve_wbuf_free(&wb);
		*ret = front_acme_problem(rq, "malformed",
		    "the external account binding is too long, or its MAC "
		    "is empty");
		goto fail;
	}
	q->op = SERVE_ACME_ACCOUNT_NEW_EAB;
	snprintf(q->object, sizeof(q->object), "%s", hstr(w.hdr, "kid"));
	snprintf(q->detail, sizeof(q->detail), "%s", alg);
	*der = wb.p;
	q->der = wb.p;
	q->der_len = wb.len;
	inner_free(&w);
	return 0;
fail:
	inner_free(&w);
	return -1;
}

/* ---- account changes ------------------------------------------------------
 */

/* One request to the signer whose answer is an account. */
static int
account_answer(struct acme_req *rq, struct serve_acme *q)
{
	char loc[ACME_URL_MAX + 128];
	json_t *obj = NULL;
	int r, ret;

	r = front_acme_ask(rq, q, &obj, &ret);
	free(q);
	if (r != 0)
		return ret;
	snprintf(loc, sizeof(loc), "%sacct/%s", rq->base, rq->account);
	ret = front_acme_send_json(rq, 200, front_acme_render_account(rq, obj),
	    loc, NULL);
	json_decref(obj);
	return ret;
}

int
front_acme_account_update(struct acme_req *rq, const char *id)
{
	struct serve_acme *q;
	const char *k;
	json_t *v;
	char contact[SERVE_ACME_CONTACT_MAX + 1];
	int ret;

	(void)id; /* the caller checked it is the kid's account */
	json_object_foreach(rq->j.payload, k, v)
	{
		if (strcmp(k, "contact") != 0 &&
		    strcmp(k, "termsOfServiceAgreed") != 0)
			return front_acme_problem(rq, "malformed",
			    "an account update changes contact (or status "
			    "to deactivated) only");
	}
	if (json_object_get(rq->j.payload, "contact") == NULL)
		return front_acme_problem(rq, "malformed",
		    "an account update changes contact (or status to "
		    "deactivated) only");
	if (front_acme_contact(rq, rq->j.payload, contact, sizeof(contact),
		&ret) != 0)
		return ret;
	if ((q = front_acme_new_q(rq, SERVE_ACME_ACCOUNT_UPDATE)) == NULL)
		return front_acme_problem(rq, "serverInternal",
		    "out of memory");
	/* An empty list is kept as "[]", which is no contact. */
	snprintf(q->contact, sizeof(q->contact), "%s",
	    contact[0] != '\0' ? contact : "[]");
	return account_answer(rq, q);
}

/*
 * RFC 8555 7.3.5: the outer JWS is the account's (kid); its payload a
 * JWS signed by the new key (jwk), with the same url and no nonce, whose
 * payload names the account and its current key.
 */
int
front_acme_key_change(struct acme_req *rq)
{
	static const char *const members[] = { "alg", "jwk", "url" };
	struct serve_acme *q;
	struct inner_jws w;
	EVP_PKEY *key = NULL;
	json_t *obj = NULL, *cur = NULL;
	const char *why;
	char kid[ACME_URL_MAX + 128], thumb[ACME_THUMB_LEN + 1];
	char otext[ACME_JWK_TEXT_MAX + 1], ntext[ACME_JWK_TEXT_MAX + 1];
	char othumb[ACME_THUMB_LEN + 1], loc[ACME_URL_MAX + 128];
	int ret, r;

	if (front_acme_verify(rq, 0, &ret) != 0)
		return ret;
	if (rq->j.payload == NULL ||
	    inner_parse(rq->j.payload, members, 3, &w, &why) != 0)
		return front_acme_problem(rq, "malformed",
		    "keyChange's payload is a JWS signed by the new key, with "
		    "alg, jwk and url only");
	if (strcmp(hstr(w.hdr, "url"), rq->j.url) != 0) {
		ret = front_acme_problem(rq, "malformed",
		    "the inner JWS's url is not the outer one's");
		goto out;
	}
	if (acme_jwk_load(json_object_get(w.hdr, "jwk"), &key, thumb, ntext,
		&why) != 0) {
		ret = front_acme_problem(rq, "badPublicKey", why);
		goto out;
	}
	if (acme_jws_verify(key, hstr(w.hdr, "alg"), w.input, w.input_len,
		w.sig, w.sig_len, &why) != 0) {
		ret = front_acme_problem(rq, "malformed",
		    "the inner JWS is not signed by its jwk, the new key");
		goto out;
	}
	snprintf(kid, sizeof(kid), "%sacct/%s", rq->base, rq->account);
	if (json_object_size(w.payload) != 2 ||
	    strcmp(hstr(w.payload, "account"), kid) != 0 ||
	    strcmp(rq->j.kid, kid) != 0) {
		ret = front_acme_problem(rq, "malformed",
		    "the inner payload is {account, oldKey}, account being "
		    "the outer kid");
		goto out;
	}
	EVP_PKEY_free(key);
	key = NULL;
	/* oldKey must be the key the outer JWS was verified with. */
	if ((cur = json_object_get(w.payload, "oldKey")) == NULL ||
	    acme_jwk_load(cur, &key, othumb, otext, &why) != 0 ||
	    strcmp(othumb, rq->thumb) != 0) {
		ret = front_acme_problem(rq, "malformed",
		    "oldKey is not the account's current key");
		goto out;
	}
	if (strcmp(thumb, rq->thumb) == 0) {
		ret = front_acme_problem(rq, "malformed",
		    "the new key is the current key");
		goto out;
	}
	if ((q = front_acme_new_q(rq, SERVE_ACME_KEY_CHANGE)) == NULL) {
		ret = front_acme_problem(rq, "serverInternal", "out of memory");
		goto out;
	}
	snprintf(q->jwk, sizeof(q->jwk), "%s", ntext);
	r = front_acme_ask(rq, q, &obj, &ret);
	free(q);
	if (r != 0)
		goto out;
	if (hstr(obj, "conflict")[0] != '\0') {
		struct MHD_Response *resp;
		static const char body[] =
		    "{\"type\":\"urn:ietf:params:acme:error:malformed\","
		    "\"detail\":\"the new key is already the key of another "
		    "account\",\"status\":409}";

		snprintf(loc, sizeof(loc), "%sacct/%s", rq->base,
		    hstr(obj, "conflict"));
		resp = MHD_create_response_from_buffer(sizeof(body) - 1,
		    (void *)body, MHD_RESPMEM_PERSISTENT);
		if (resp == NULL) {
			ret = MHD_NO;
			goto out;
		}
		(void)MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
		    loc);
		front_acme_headers(rq, resp);
		ret = front_send(rq->x, 409, resp, sizeof(body) - 1);
		goto out;
	}
	snprintf(loc, sizeof(loc), "%sacct/%s", rq->base, rq->account);
	ret = front_acme_send_json(rq, 200, front_acme_render_account(rq, obj),
	    loc, NULL);
out:
	json_decref(obj);
	EVP_PKEY_free(key);
	inner_free(&w);
	return ret;
}

/* ---- orders list, authorization deactivation ------------------------------
 */

int
front_acme_orders_path(const char *rest)
{
	size_t k;

	if (strncmp(rest, "acct/", 5) != 0)
		return 0;
	k = strcspn(rest + 5, "/");
	return k > 0 && k <= SERVE_ACME_FIELD_MAX &&
	       (strcmp(rest + 5 + k, "/orders") == 0 ||
		   (strncmp(rest + 5 + k, "/orders/", 8) == 0 &&
		       rest[5 + k + 8] != '\0'));
}

/* acct/<id>/orders, then acct/<id>/orders/<position> for the next pages. */
int
front_acme_orders(struct acme_req *rq)
{
	char id[SERVE_ACME_FIELD_MAX + 1];
	const char *cursor;
	struct serve_acme *q;
	struct MHD_Response *resp;
	json_t *obj = NULL, *urls, *v;
	char url[ACME_URL_MAX + 128], *text, *end;
	unsigned long start = 0;
	size_t i, k, len;
	int ret, r;

	if (front_acme_verify(rq, 0, &ret) != 0)
		return ret;
	if (rq->j.payload != NULL)
		return front_acme_problem(rq, "malformed",
		    "the orders list is read with POST-as-GET");
	k = strcspn(rq->rest + 5, "/");
	memcpy(id, rq->rest + 5, k);
	id[k] = '\0';
	cursor = rq->rest[5 + k + 7] == '/' ? rq->rest + 5 + k + 8 : NULL;
	if (cursor != NULL) {
		start = strtoul(cursor, &end, 10);
		if (*cursor == '\0' || *end != '\0' || start > 1000000)
			return front_acme_problem(rq, "malformed",
			    "the orders list's position is a number");
	}
	if (strcmp(id, rq->account) != 0)
		return front_acme_problem(rq, "unauthorized",
		    "the JWS kid is another account");
	if ((q = front_acme_new_q(rq, SERVE_ACME_ORDERS_LIST)) == NULL)
		return front_acme_problem(rq, "serverInternal",
		    "out of memory");
	snprintf(q->object, sizeof(q->object), "%s", id);
	q->reason = (uint32_t)start;
	r = front_acme_ask(rq, q, &obj, &ret);
	free(q);
	if (r != 0)
		return ret;
	urls = json_array();
	json_array_foreach(json_object_get(obj, "orders"), i, v)
	{
		snprintf(url, sizeof(url), "%sorder/%s", rq->base,
		    json_string_value(v));
		json_array_append_new(urls, json_string(url));
	}
	v = json_pack("{s:o}", "orders", urls);
	text = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (text == NULL) {
		json_decref(obj);
		return front_acme_problem(rq, "serverInternal",
		    "out of memory");
	}
	len = strlen(text);
	resp =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		json_decref(obj);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	front_acme_headers(rq, resp);
	if (json_integer_value(json_object_get(obj, "next")) > 0) {
		snprintf(url, sizeof(url),
		    "<%sacct/%s/orders/%lld>;rel=\"next\"", rq->base, id,
		    (long long)json_integer_value(
			json_object_get(obj, "next")));
		(void)MHD_add_response_header(resp, "Link", url);
	}
	json_decref(obj);
	return front_send(rq->x, 200, resp, len);
}

int
front_acme_authz_deactivate(struct acme_req *rq, const char *id)
{
	struct serve_acme *q;
	json_t *obj = NULL;
	int ret, r;

	if (json_object_size(rq->j.payload) != 1 ||
	    strcmp(hstr(rq->j.payload, "status"), "deactivated") != 0)
		return front_acme_problem(rq, "malformed",
		    "an authorization is read with POST-as-GET or "
		    "deactivated with {\"status\": \"deactivated\"}");
	if ((q = front_acme_new_q(rq, SERVE_ACME_AUTHZ_DEACTIVATE)) == NULL)
		return front_acme_problem(rq, "serverInternal",
		    "out of memory");
	snprintf(q->object, sizeof(q->object), "%s", id);
	r = front_acme_ask(rq, q, &obj, &ret);
	free(q);
	if (r != 0)
		return ret;
	ret = front_acme_send_json(rq, 200, front_acme_render_authz(rq, obj),
	    NULL, NULL);
	json_decref(obj);
	return ret;
}

/* ---- revocation by the certificate's key ----------------------------------
 */

int
front_acme_revoke_by_key(struct acme_req *rq, struct serve_acme *q, int *ret)
{
	char *text = json_dumps(rq->j.jwk, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (text == NULL || strlen(text) > SERVE_ACME_JWK_MAX) {
		free(text);
		*ret = front_acme_problem(rq, "badPublicKey",
		    "the jwk is too long");
		return -1;
	}
	q->op = SERVE_ACME_REVOKE_BY_KEY;
	q->account[0] = '\0';
	snprintf(q->jwk, sizeof(q->jwk), "%s", text);
	free(text);
	return 0;
}
