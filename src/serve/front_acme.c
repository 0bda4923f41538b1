/*
 * ACME (RFC 8555) in the front end, on the HTTPS listener only:
 *
 *   GET  /acme/<profile>/directory
 *   HEAD|GET /acme/<profile>/new-nonce
 *   POST /acme/<profile>/new-account | new-order | revoke-cert
 *   POST /acme/<profile>/acct/<id> | order/<id> | order/<id>/finalize
 *        | authz/<id> | chall/<id> | cert/<id>
 *
 * Here: HTTP, the JWS (structure, algorithm, url header, the signature
 * with the request's jwk or the account's stored key), the payload's
 * JSON, and the http-01 check (front_acme_http01.c). The signer spends
 * the nonce, checks ownership and state, and issues (signer_acme.c).
 * Every refusal is a problem document (RFC 7807, RFC 8555 6.7).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "serve/acme_jwk.h"
#include "serve/acme_jws.h"
#include "serve/front.h"
#include "serve/front_acme.h"
#include "serve/front_acme_int.h"
#include "serve/front_acme_ari.h"

#define ACME_SIGNER_TIMEOUT_MS 30000
#define ACME_PREFIX "/acme/"

static const struct {
	const char *type;
	unsigned status;
} problem_status[] = {
	{ "badNonce", 400 },
	{ "malformed", 400 },
	{ "badCSR", 400 },
	{ "badPublicKey", 400 },
	{ "badSignatureAlgorithm", 400 },
	{ "badRevocationReason", 400 },
	{ "unsupportedIdentifier", 400 },
	{ "rejectedIdentifier", 400 },
	{ "accountDoesNotExist", 400 },
	{ "alreadyRevoked", 400 },
	{ "externalAccountRequired", 400 },
	{ "unauthorized", 403 },
	{ "orderNotReady", 403 },
	{ "incorrectResponse", 403 },
	{ "connection", 400 },
	{ "unsupportedContact", 400 },
	{ "rateLimited", 429 },
	{ "invalidProfile", 400 },
	{ "alreadyReplaced", 409 },
	{ "serverInternal", 500 },
};

unsigned
front_acme_problem_status(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(problem_status) / sizeof(problem_status[0]); i++)
		if (strcmp(problem_status[i].type, type) == 0)
			return problem_status[i].status;
	return 400;
}

#ifdef SIGNET_TEST_HOOKS
/*
 * A front end that names a key other than the one it verified with
 * (SIGNET_TEST_SERVE_ACME_THUMB=empty|wrong, tests/cli/acme_accounts.sh):
 * the signer must refuse every operation for an account.
 */
static const struct serve_acme *
test_thumb(const struct serve_acme *q, struct serve_acme *copy)
{
	const char *t = getenv("SIGNET_TEST_SERVE_ACME_THUMB");

	if (t == NULL || q->thumb[0] == '\0')
		return q;
	*copy = *q;
	if (strcmp(t, "empty") == 0)
		copy->thumb[0] = '\0';
	else if (strcmp(t, "wrong") == 0) {
		memset(copy->thumb, 'A', ACME_THUMB_LEN);
		copy->thumb[ACME_THUMB_LEN] = '\0';
	}
	return copy;
}
#endif

/* One round trip to the signer; -1 when it did not answer. */
static int
acme_call(const struct serve_acme *q, struct serve_acme_reply *a, uint8_t **buf)
{
	struct serve_wbuf w;
	uint8_t type;
	size_t len;
	int r = -1;
#ifdef SIGNET_TEST_HOOKS
	struct serve_acme *copy = malloc(sizeof(*copy));

	if (copy != NULL)
		q = test_thumb(q, copy);
#endif

	*buf = NULL;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	if (serve_acme_encode(q, &w) != 0)
		goto out;
	if (front_call(SERVE_MSG_ACME, w.p, w.len, &type, buf, &len,
		ACME_SIGNER_TIMEOUT_MS) != 0)
		goto out;
	if (type != SERVE_MSG_ACME_REPLY ||
	    serve_acme_reply_decode(*buf, len, a) != 0) {
		front_log("the signer's answer to ACME does not decode");
		free(*buf);
		*buf = NULL;
		goto out;
	}
	r = 0;
out:
	serve_wbuf_free(&w);
#ifdef SIGNET_TEST_HOOKS
	free(copy);
#endif
	return r;
}

int
front_acme_roundtrip(const struct serve_acme *q, struct serve_acme_reply *a,
    uint8_t **buf)
{
	return acme_call(q, a, buf);
}

/* A fresh nonce from the signer into rq->nonce ("" if none came). */
static void
fresh_nonce(struct acme_req *rq)
{
	struct serve_acme *q = calloc(1, sizeof(*q));
	struct serve_acme_reply a;
	uint8_t *buf = NULL;

	if (q == NULL)
		return;
	q->op = SERVE_ACME_NONCE;
	if (acme_call(q, &a, &buf) == 0)
		snprintf(rq->nonce, sizeof(rq->nonce), "%s", a.nonce);
	free(buf);
	free(q);
}

static void
common_headers(struct acme_req *rq, struct MHD_Response *resp)
{
	char link[ACME_URL_MAX + 32];

	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (rq->nonce[0] != '\0')
		(void)MHD_add_response_header(resp, "Replay-Nonce", rq->nonce);
	if (rq->retry_after != 0) {
		snprintf(link, sizeof(link), "%u", (unsigned)rq->retry_after);
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    link);
	}
	snprintf(link, sizeof(link), "<%sdirectory>;rel=\"index\"", rq->base);
	(void)MHD_add_response_header(resp, "Link", link);
}

static int
send_body(struct acme_req *rq, unsigned status, const char *type,
    const void *body, size_t len, const char *location, const char *up)
{
	struct MHD_Response *resp;
	char link[ACME_URL_MAX + 32];

	resp = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (type != NULL)
		(void)MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_CONTENT_TYPE, type);
	common_headers(rq, resp);
	if (location != NULL)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
		    location);
	if (up != NULL) {
		snprintf(link, sizeof(link), "<%s>;rel=\"up\"", up);
		(void)MHD_add_response_header(resp, "Link", link);
	}
	return front_send(rq->x, status, resp, len);
}

static int
send_json(struct acme_req *rq, unsigned status, json_t *obj,
    const char *location, const char *up)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	int ret;

	json_decref(obj);
	if (text == NULL)
		return front_send_text(rq->x, 500, "text/plain",
		    "out of memory\n");
	ret = send_body(rq, status, "application/json", text, strlen(text),
	    location, up);
	free(text);
	return ret;
}

static int problem(struct acme_req *rq, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
problem(struct acme_req *rq, const char *type, const char *fmt, ...)
{
	char detail[SERVE_ACME_DETAIL_MAX + 1], urn[128];
	unsigned status = front_acme_problem_status(type);
	va_list ap;
	json_t *o;
	char *text;
	int ret;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* Clients retry badNonce with the nonce of the error answer. */
	if (rq->nonce[0] == '\0')
		fresh_nonce(rq);
	snprintf(urn, sizeof(urn), "urn:ietf:params:acme:error:%s", type);
	o = json_pack("{s:s, s:s, s:i}", "type", urn, "detail", detail,
	    "status", (int)status);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return front_send_text(rq->x, 500, "text/plain",
		    "out of memory\n");
	ret = send_body(rq, status, "application/problem+json", text,
	    strlen(text), NULL, NULL);
	free(text);
	return ret;
}

/* ---- rendering the signer's objects ---------------------------------- */

static void
rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
	else
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

static json_t *
identifier_json(const char *id)
{
	if (strncmp(id, "ip:", 3) == 0)
		return json_pack("{s:s, s:s}", "type", "ip", "value", id + 3);
	return json_pack("{s:s, s:s}", "type", "dns", "value",
	    strncmp(id, "dns:", 4) == 0 ? id + 4 : id);
}

static json_t *
problem_json(const char *type, const char *detail)
{
	char urn[128];

	snprintf(urn, sizeof(urn), "urn:ietf:params:acme:error:%s", type);
	return json_pack("{s:s, s:s, s:i}", "type", urn, "detail", detail,
	    "status", (int)front_acme_problem_status(type));
}

static json_t *
render_order(struct acme_req *rq, const json_t *o)
{
	json_t *ids = json_array(), *authz = json_array(), *out, *v;
	char url[ACME_URL_MAX + 128], when[32];
	size_t i;

	v = json_object_get(o, "identifiers");
	for (i = 0; i < json_array_size(v); i++)
		json_array_append_new(ids,
		    identifier_json(json_string_value(json_array_get(v, i))));
	json_array_foreach(json_object_get(o, "authorizations"), i, v)
	{
		snprintf(url, sizeof(url), "%sauthz/%s", rq->base,
		    json_string_value(v));
		json_array_append_new(authz, json_string(url));
	}
	rfc3339(json_integer_value(json_object_get(o, "expires")), when);
	snprintf(url, sizeof(url), "%sorder/%s/finalize", rq->base,
	    jstr(o, "id"));
	out = json_pack("{s:s, s:s, s:o, s:o, s:s}", "status",
	    jstr(o, "status"), "expires", when, "identifiers", ids,
	    "authorizations", authz, "finalize", url);
	/* draft-aaron-acme-profiles: the profile the order is for. */
	if (out != NULL && jstr(o, "profile")[0] != '\0')
		json_object_set_new(out, "profile",
		    json_string(jstr(o, "profile")));
	if (out != NULL && strcmp(jstr(o, "status"), "valid") == 0) {
		snprintf(url, sizeof(url), "%scert/%s", rq->base,
		    jstr(o, "id"));
		json_object_set_new(out, "certificate", json_string(url));
	}
	if (out != NULL && strcmp(jstr(o, "status"), "invalid") == 0)
		json_object_set_new(out, "error",
		    problem_json("unauthorized", jstr(o, "error")));
	return out;
}

static json_t *
render_challenge(struct acme_req *rq, const json_t *c)
{
	char url[ACME_URL_MAX + 128], when[32];
	json_t *out;

	snprintf(url, sizeof(url), "%schall/%s", rq->base, jstr(c, "id"));
	out = json_pack("{s:s, s:s, s:s, s:s}", "type", jstr(c, "type"), "url",
	    url, "token", jstr(c, "token"), "status", jstr(c, "status"));
	if (out != NULL && strcmp(jstr(c, "status"), "valid") == 0) {
		rfc3339(json_integer_value(json_object_get(c, "validated")),
		    when);
		json_object_set_new(out, "validated", json_string(when));
	}
	if (out != NULL && strcmp(jstr(c, "status"), "invalid") == 0)
		json_object_set_new(out, "error",
		    problem_json("incorrectResponse", jstr(c, "error")));
	return out;
}

static json_t *
render_authz(struct acme_req *rq, const json_t *z)
{
	json_t *ch = json_array(), *v, *out;
	char when[32], id[SERVE_ISSUE_ID_MAX + 1];
	size_t i;
	int wildcard;

	v = json_object_get(z, "challenges");
	for (i = 0; i < json_array_size(v); i++)
		json_array_append_new(ch,
		    render_challenge(rq, json_array_get(v, i)));
	rfc3339(json_integer_value(json_object_get(z, "expires")), when);
	/* A wildcard's authorization is for the base name (RFC 8555 7.1.4). */
	wildcard = strncmp(jstr(z, "identifier"), "dns:*.", 6) == 0;
	if (wildcard)
		snprintf(id, sizeof(id), "dns:%s", jstr(z, "identifier") + 6);
	out = json_pack("{s:s, s:s, s:o, s:o}", "status", jstr(z, "status"),
	    "expires", when, "identifier",
	    identifier_json(wildcard ? id : jstr(z, "identifier")),
	    "challenges", ch);
	if (out != NULL && wildcard)
		json_object_set_new(out, "wildcard", json_true());
	return out;
}

static json_t *
render_account(struct acme_req *rq, const json_t *a)
{
	char url[ACME_URL_MAX + 128];
	json_t *contact = json_object_get(a, "contact");

	snprintf(url, sizeof(url), "%sacct/%s/orders", rq->base, jstr(a, "id"));
	return json_pack("{s:s, s:O, s:s}", "status", jstr(a, "status"),
	    "contact", contact != NULL ? contact : json_array(), "orders", url);
}

/* ---- requests --------------------------------------------------------- */

/*
 * Ask the signer; a refusal is answered here (1), a success leaves the
 * parsed object in *obj (0). -1: answered with 503 or 500.
 */
static int key_verify(struct acme_req *rq, int cached, int *ret);

static int
ask(struct acme_req *rq, struct serve_acme *q, json_t **obj, char **pem,
    size_t *pem_len, int *ret)
{
	struct serve_acme_reply a;
	uint8_t *buf = NULL;
	int tries = 0;

	*obj = NULL;
again:
	if (acme_call(q, &a, &buf) != 0) {
		*ret = problem(rq, "serverInternal",
		    "the signer did not answer; try again later");
		return -1;
	}
	if (a.nonce[0] != '\0')
		snprintf(rq->nonce, sizeof(rq->nonce), "%s", a.nonce);
	/*
	 * The key this request was verified with (from the cache) is no
	 * longer the account's: the signer spent nothing. Verify again with
	 * the account's key as the signer has it now, and ask once more.
	 */
	if (a.status != 0 && strcmp(a.problem, SERVE_ACME_STALE_KEY) == 0) {
		free(buf);
		buf = NULL;
		if (tries++ > 0) {
			*ret = problem(rq, "unauthorized",
			    "the account's key changed during the request; "
			    "sign with its current key");
			return 1;
		}
		front_acme_key_drop(rq->account, rq->thumb, 1);
		if (key_verify(rq, 0, ret) != 0)
			return 1;
		snprintf(q->thumb, sizeof(q->thumb), "%s", rq->thumb);
		goto again;
	}
	if (a.status != 0) {
		rq->retry_after = a.retry_after;
		front_acme_ari_count(&a);
		*ret = problem(rq, a.problem, "%s", a.detail);
		free(buf);
		return 1;
	}
	if (a.json_len > 0)
		*obj = json_loadb((const char *)a.json, a.json_len, 0, NULL);
	if (*obj == NULL)
		*obj = json_object();
	if (pem != NULL && a.pem_len > 0 &&
	    (*pem = malloc(a.pem_len)) != NULL) {
		memcpy(*pem, a.pem, a.pem_len);
		*pem_len = a.pem_len;
	}
	free(buf);
	return 0;
}

static struct serve_acme *
new_q(struct acme_req *rq, uint8_t op)
{
	struct serve_acme *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->op = op;
	snprintf(q->nonce, sizeof(q->nonce), "%s", rq->j.nonce);
	snprintf(q->account, sizeof(q->account), "%s", rq->account);
	snprintf(q->profile, sizeof(q->profile), "%s", rq->profile);
	snprintf(q->thumb, sizeof(q->thumb), "%s", rq->thumb);
	return q;
}

/*
 * The account's key from the signer (SERVE_ACME_ACCOUNT_KEY) into *key
 * and rq->thumb, and into the cache. 0, or -1 answered.
 */
static int
key_lookup(struct acme_req *rq, EVP_PKEY **key, int *ret)
{
	char text[ACME_JWK_TEXT_MAX + 1];
	const char *detail;
	struct serve_acme *q;
	json_t *obj = NULL, *jwk;
	int r;

	if ((q = new_q(rq, SERVE_ACME_ACCOUNT_KEY)) == NULL) {
		*ret = problem(rq, "serverInternal", "out of memory");
		return -1;
	}
	q->nonce[0] = '\0';
	q->thumb[0] = '\0';
	r = ask(rq, q, &obj, NULL, NULL, ret);
	free(q);
	if (r != 0)
		return -1;
	/* The answer's nonce is for this request's answer. */
	jwk = json_loads(jstr(obj, "jwk"), 0, NULL);
	r = acme_jwk_load(jwk, key, rq->thumb, text, &detail);
	json_decref(jwk);
	json_decref(obj);
	if (r != 0) {
		*ret = problem(rq, "serverInternal",
		    "the account's key cannot be used");
		return -1;
	}
	front_acme_key_put(rq->account, *key, rq->thumb);
	return 0;
}

/*
 * The signature of a kid JWS with the account's key: the cached one
 * first if cached is 1 (and the signer's if it does not verify: the
 * account may have changed keys since), else the signer's. 0, or -1
 * answered.
 */
static int
key_verify(struct acme_req *rq, int cached, int *ret)
{
	EVP_PKEY *key = NULL;
	const char *detail;
	int r;

	if (!cached || front_acme_key_get(rq->account, &key, rq->thumb) != 0) {
		cached = 0;
		if (key_lookup(rq, &key, ret) != 0)
			return -1;
	}
	r = acme_jws_verify(key, rq->j.alg, rq->j.input, rq->j.input_len,
	    rq->j.sig, rq->j.sig_len, &detail);
	EVP_PKEY_free(key);
	if (r != 0 && cached) {
		front_acme_key_drop(rq->account, rq->thumb, 0);
		return key_verify(rq, 0, ret);
	}
	if (r != 0) {
		*ret = problem(rq, "malformed", "%s", detail);
		return -1;
	}
	return 0;
}

/* Check the JWS: structure, url, key, signature; the account behind kid. */
static int
verify(struct acme_req *rq, int want_jwk, int *ret)
{
	const struct front_ctx *x = rq->x;
	const char *ct, *problem_type, *detail, *host;
	char url[ACME_URL_MAX + 1], text[ACME_JWK_TEXT_MAX + 1];
	EVP_PKEY *key = NULL;
	size_t blen = strlen(rq->base) + 5; /* "acct/" */
	int r;

	ct = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct == NULL || strcmp(ct, "application/jose+json") != 0) {
		*ret = problem(rq, "malformed",
		    "Content-Type must be application/jose+json");
		return -1;
	}
	if (acme_jws_parse(x->body, x->body_len, &rq->j, &problem_type,
		&detail) != 0) {
		*ret = problem(rq, problem_type, "%s", detail);
		return -1;
	}
	host = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	snprintf(url, sizeof(url), "https://%s%s", host != NULL ? host : "",
	    x->url);
	if (strcmp(rq->j.url, url) != 0) {
		*ret = problem(rq, "unauthorized",
		    "the JWS url header is not this request's URL");
		return -1;
	}
	if (want_jwk == 1 && rq->j.jwk == NULL) {
		*ret = problem(rq, "malformed", "this request takes a jwk");
		return -1;
	}
	if (want_jwk == 0 && rq->j.jwk != NULL) {
		*ret = problem(rq, "malformed",
		    "this request takes a kid (the account URL)");
		return -1;
	}
	if (rq->j.jwk != NULL) {
		if (acme_jwk_load(rq->j.jwk, &key, rq->thumb, text, &detail) !=
		    0) {
			*ret = problem(rq, "badPublicKey", "%s", detail);
			return -1;
		}
	} else {
		if (strncmp(rq->j.kid, rq->base, blen - 5) != 0 ||
		    strncmp(rq->j.kid + blen - 5, "acct/", 5) != 0 ||
		    strlen(rq->j.kid + blen) == 0 ||
		    strlen(rq->j.kid + blen) > SERVE_ACME_FIELD_MAX) {
			*ret = problem(rq, "accountDoesNotExist",
			    "kid is not an account URL of this directory");
			return -1;
		}
		snprintf(rq->account, sizeof(rq->account), "%s",
		    rq->j.kid + blen);
		return key_verify(rq, 1, ret);
	}
	r = acme_jws_verify(key, rq->j.alg, rq->j.input, rq->j.input_len,
	    rq->j.sig, rq->j.sig_len, &detail);
	EVP_PKEY_free(key);
	if (r != 0) {
		*ret = problem(rq, "malformed", "%s", detail);
		return -1;
	}
	return 0;
}

/* contact (RFC 8555 7.3): up to 4 mailto: URLs; "" when absent. */
int
front_acme_contact(struct acme_req *rq, const json_t *p, char *out, size_t cap,
    int *ret)
{
	const json_t *contact = json_object_get(p, "contact"), *v;
	char *text;
	size_t i;

	out[0] = '\0';
	if (contact == NULL)
		return 0;
	if (!json_is_array(contact) || json_array_size(contact) > 4) {
		*ret = problem(rq, "malformed",
		    "contact is a list of at most 4 URLs");
		return -1;
	}
	json_array_foreach(contact, i, v)
	{
		if (!json_is_string(v) ||
		    strncmp(json_string_value(v), "mailto:", 7) != 0) {
			*ret = problem(rq, "unsupportedContact",
			    "only mailto: contacts");
			return -1;
		}
	}
	text = json_dumps(contact, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text == NULL || strlen(text) >= cap) {
		free(text);
		*ret = problem(rq, "malformed", "contact is too long");
		return -1;
	}
	snprintf(out, cap, "%s", text);
	free(text);
	return 0;
}

static int
new_account(struct acme_req *rq)
{
	struct serve_acme *q;
	json_t *p, *obj = NULL, *v;
	char loc[ACME_URL_MAX + 128], *ctext = NULL;
	char contact[SERVE_ACME_CONTACT_MAX + 1];
	uint8_t *eab = NULL;
	int ret, r;

	if (verify(rq, 1, &ret) != 0)
		return ret;
	if ((p = rq->j.payload) == NULL)
		return problem(rq, "malformed", "newAccount takes a payload");
	if (front_acme_contact(rq, p, contact, sizeof(contact), &ret) != 0)
		return ret;
	v = json_object_get(p, "onlyReturnExisting");
	if ((v != NULL && !json_is_boolean(v)) ||
	    (json_object_get(p, "termsOfServiceAgreed") != NULL &&
		!json_is_boolean(json_object_get(p, "termsOfServiceAgreed"))))
		return problem(rq, "malformed",
		    "onlyReturnExisting and termsOfServiceAgreed are booleans");
	if ((q = new_q(rq, SERVE_ACME_ACCOUNT_NEW)) == NULL)
		return problem(rq, "serverInternal", "out of memory");
	if (json_is_true(v))
		q->flags |= SERVE_ACME_FLAG_ONLY_EXISTING;
	snprintf(q->contact, sizeof(q->contact), "%s", contact);
	ctext = json_dumps(rq->j.jwk, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (ctext == NULL || strlen(ctext) > SERVE_ACME_JWK_MAX) {
		free(ctext);
		free(q);
		return problem(rq, "badPublicKey", "the jwk is too long");
	}
	snprintf(q->jwk, sizeof(q->jwk), "%s", ctext);
	free(ctext);
	if (front_acme_eab(rq, p, q, &eab, &ret) != 0) {
		free(q);
		return ret;
	}
	r = ask(rq, q, &obj, NULL, NULL, &ret);
	free(q);
	free(eab);
	if (r != 0)
		return ret;
	snprintf(loc, sizeof(loc), "%sacct/%s", rq->base, jstr(obj, "id"));
	r = json_is_true(json_object_get(obj, "created")) ? 201 : 200;
	ret = send_json(rq, (unsigned)r, render_account(rq, obj), loc, NULL);
	json_decref(obj);
	return ret;
}

/*
 * An identifier from newOrder as "dns:name" or "ip:address": lower-case
 * LDH names without a wildcard, addresses in their canonical text.
 */
static int
identifier_parse(const json_t *id, char out[SERVE_ISSUE_ID_MAX + 1],
    const char **problem_type, const char **why)
{
	const char *type = json_string_value(json_object_get(id, "type"));
	const char *value = json_string_value(json_object_get(id, "value"));
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN];
	size_t i, n, label = 0;
	int wildcard;

	*problem_type = "malformed";
	*why = "an identifier is an object with type and value";
	if (!json_is_object(id) || json_object_size(id) != 2 || type == NULL ||
	    value == NULL)
		return -1;
	if (strcmp(type, "ip") == 0) {
		*why = "an ip identifier is an IPv4 or IPv6 address";
		if (inet_pton(AF_INET, value, addr) == 1)
			inet_ntop(AF_INET, addr, text, sizeof(text));
		else if (inet_pton(AF_INET6, value, addr) == 1)
			inet_ntop(AF_INET6, addr, text, sizeof(text));
		else
			return -1;
		snprintf(out, SERVE_ISSUE_ID_MAX + 1, "ip:%s", text);
		return 0;
	}
	if (strcmp(type, "dns") != 0) {
		*problem_type = "unsupportedIdentifier";
		*why = "identifiers are of type dns or ip";
		return -1;
	}
	*problem_type = "rejectedIdentifier";
	*why = "a dns identifier is a lower-case host name of letters, "
	       "digits and hyphens, or *. and one";
	/* A wildcard: "*." and a name (validated by dns-01 only). */
	wildcard = strncmp(value, "*.", 2) == 0;
	if (wildcard)
		value += 2;
	n = strlen(value);
	if (n == 0 || n + (wildcard ? 2 : 0) > 253 || value[0] == '.' ||
	    value[n - 1] == '.')
		return -1;
	for (i = 0; i < n; i++) {
		char c = value[i];

		if (c == '.') {
			if (label == 0 || value[i - 1] == '-')
				return -1;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			(c == '-' && label > 0)) ||
		    ++label > 63)
			return -1;
	}
	if (value[n - 1] == '-')
		return -1;
	snprintf(out, SERVE_ISSUE_ID_MAX + 1, "dns:%s%s", wildcard ? "*." : "",
	    value);
	return 0;
}

static int
new_order(struct acme_req *rq)
{
	struct serve_acme *q;
	json_t *p, *ids, *v, *obj = NULL;
	const char *pt, *why;
	char loc[ACME_URL_MAX + 128];
	size_t i;
	int ret, r;

	if (verify(rq, 0, &ret) != 0)
		return ret;
	p = rq->j.payload;
	ids = json_object_get(p, "identifiers");
	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > SERVE_ACME_MAX_IDS)
		return problem(rq, "malformed",
		    "newOrder takes 1 to %d identifiers", SERVE_ACME_MAX_IDS);
	if (json_object_get(p, "notBefore") != NULL ||
	    json_object_get(p, "notAfter") != NULL)
		return problem(rq, "malformed",
		    "notBefore and notAfter are set by the profile");
	if ((q = new_q(rq, SERVE_ACME_ORDER_NEW)) == NULL)
		return problem(rq, "serverInternal", "out of memory");
	json_array_foreach(ids, i, v)
	{
		if (identifier_parse(v, q->ids[i], &pt, &why) != 0) {
			free(q);
			return problem(rq, pt, "%s", why);
		}
	}
	q->n_ids = json_array_size(ids);
	if (front_acme_ari_order(p, q, &pt, &why) != 0) {
		free(q);
		return problem(rq, pt, "%s", why);
	}
	r = ask(rq, q, &obj, NULL, NULL, &ret);
	free(q);
	if (r != 0)
		return ret;
	snprintf(loc, sizeof(loc), "%sorder/%s", rq->base, jstr(obj, "id"));
	ret = send_json(rq, 201, render_order(rq, obj), loc, NULL);
	json_decref(obj);
	return ret;
}

/* POST-as-GET, or the payload a resource takes. */
static int
simple(struct acme_req *rq, uint8_t op, const char *id)
{
	struct serve_acme *q;
	json_t *obj = NULL, *out;
	char *pem = NULL, loc[ACME_URL_MAX + 128];
	size_t pem_len = 0;
	int ret, r;

	if (verify(rq, 0, &ret) != 0)
		return ret;
	if (rq->j.payload != NULL && op == SERVE_ACME_AUTHZ_GET)
		return front_acme_authz_deactivate(rq, id);
	if (rq->j.payload != NULL && op != SERVE_ACME_ACCOUNT_GET)
		return problem(rq, "malformed",
		    "this resource is read with POST-as-GET (empty payload)");
	if (op == SERVE_ACME_ACCOUNT_GET && strcmp(id, rq->account) != 0)
		return problem(rq, "unauthorized",
		    "the JWS kid is another account");
	/* The one account update: {"status": "deactivated"}. */
	if (rq->j.payload != NULL && json_object_size(rq->j.payload) == 1 &&
	    strcmp(jstr(rq->j.payload, "status"), "deactivated") == 0)
		op = SERVE_ACME_ACCOUNT_DEACTIVATE;
	else if (rq->j.payload != NULL && json_object_size(rq->j.payload) != 0)
		return front_acme_account_update(rq, id);
	if ((q = new_q(rq, op)) == NULL)
		return problem(rq, "serverInternal", "out of memory");
	snprintf(q->object, sizeof(q->object), "%s", id);
	r = ask(rq, q, &obj, &pem, &pem_len, &ret);
	free(q);
	if (r != 0)
		return ret;
	switch (op) {
	case SERVE_ACME_ACCOUNT_GET:
	case SERVE_ACME_ACCOUNT_DEACTIVATE:
		out = render_account(rq, obj);
		break;
	case SERVE_ACME_ORDER_GET:
		out = render_order(rq, obj);
		break;
	case SERVE_ACME_AUTHZ_GET:
		out = render_authz(rq, obj);
		break;
	default:
		if (pem == NULL) {
			json_decref(obj);
			return problem(rq, "serverInternal",
			    "no certificate came back");
		}
		ret = send_body(rq, 200, "application/pem-certificate-chain",
		    pem, pem_len, NULL, NULL);
		free(pem);
		json_decref(obj);
		return ret;
	}
	snprintf(loc, sizeof(loc), "%s%s", rq->base, rq->rest);
	json_decref(obj);
	free(pem);
	return send_json(rq, 200, out,
	    op == SERVE_ACME_ACCOUNT_GET || op == SERVE_ACME_ACCOUNT_DEACTIVATE
		? loc
		: NULL,
	    NULL);
}

static int
challenge(struct acme_req *rq, const char *id)
{
	struct serve_acme *q;
	json_t *obj = NULL, *c = NULL, *v;
	char authz[ACME_URL_MAX + 128], ident[SERVE_ISSUE_ID_MAX + 1];
	char token[64], detail[SERVE_ACME_DETAIL_MAX + 1];
	size_t i;
	int ret, r, ok;

	if (verify(rq, 0, &ret) != 0)
		return ret;
	if (rq->j.payload != NULL && json_object_size(rq->j.payload) != 0)
		return problem(rq, "malformed",
		    "a challenge is answered with {}");
	if ((q = new_q(rq, SERVE_ACME_CHALL_START)) == NULL)
		return problem(rq, "serverInternal", "out of memory");
	snprintf(q->object, sizeof(q->object), "%s", id);
	r = ask(rq, q, &obj, NULL, NULL, &ret);
	if (r != 0) {
		free(q);
		return ret;
	}
	if (rq->j.payload != NULL &&
	    json_is_true(json_object_get(obj, "validate"))) {
		json_array_foreach(json_object_get(obj, "challenges"), i, v)
		{
			if (strcmp(jstr(v, "id"), id) == 0)
				c = v;
		}
		snprintf(ident, sizeof(ident), "%s", jstr(obj, "identifier"));
		snprintf(token, sizeof(token), "%s", jstr(c, "token"));
		ok = c != NULL &&
		     front_acme_validate(jstr(c, "type"), ident, token,
			 jstr(obj, "thumbprint"), detail, sizeof(detail)) == 0;
		json_decref(obj);
		obj = NULL;
		q->op = SERVE_ACME_CHALL_RESULT;
		q->nonce[0] = '\0';
		q->flags = ok ? SERVE_ACME_FLAG_VALID : 0;
		snprintf(q->detail, sizeof(q->detail), "%s", ok ? "" : detail);
		r = ask(rq, q, &obj, NULL, NULL, &ret);
		if (r != 0) {
			free(q);
			return ret;
		}
	}
	free(q);
	c = NULL;
	json_array_foreach(json_object_get(obj, "challenges"), i, v)
	{
		if (strcmp(jstr(v, "id"), id) == 0)
			c = v;
	}
	snprintf(authz, sizeof(authz), "%sauthz/%s", rq->base, jstr(obj, "id"));
	ret = c != NULL
		  ? send_json(rq, 200, render_challenge(rq, c), NULL, authz)
		  : problem(rq, "serverInternal", "challenge lost");
	json_decref(obj);
	return ret;
}

static int
finalize(struct acme_req *rq, const char *id)
{
	struct serve_acme *q;
	json_t *obj = NULL;
	const char *csr =
	    json_string_value(json_object_get(rq->j.payload, "csr"));
	uint8_t *der = NULL;
	size_t der_len = 0;
	char loc[ACME_URL_MAX + 128];
	int ret, r;

	if (csr == NULL ||
	    acme_b64url_decode(csr, strlen(csr), &der, &der_len) != 0 ||
	    der_len == 0 || der_len > SERVE_ACME_DER_MAX) {
		free(der);
		return problem(rq, "badCSR",
		    "finalize takes csr: base64url of a DER PKCS#10 request");
	}
	if ((q = new_q(rq, SERVE_ACME_FINALIZE)) == NULL) {
		free(der);
		return problem(rq, "serverInternal", "out of memory");
	}
	snprintf(q->object, sizeof(q->object), "%s", id);
	q->der = der;
	q->der_len = der_len;
	r = ask(rq, q, &obj, NULL, NULL, &ret);
	free(q);
	free(der);
	if (r != 0)
		return ret;
	snprintf(loc, sizeof(loc), "%sorder/%s", rq->base, id);
	ret = send_json(rq, 200, render_order(rq, obj), loc, NULL);
	json_decref(obj);
	return ret;
}

static int
revoke_cert(struct acme_req *rq)
{
	struct serve_acme *q;
	json_t *obj = NULL, *reason;
	const char *cert;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int ret, r;

	if (verify(rq, 2, &ret) != 0)
		return ret;
	cert = json_string_value(json_object_get(rq->j.payload, "certificate"));
	reason = json_object_get(rq->j.payload, "reason");
	if (cert == NULL ||
	    acme_b64url_decode(cert, strlen(cert), &der, &der_len) != 0 ||
	    der_len == 0 || der_len > SERVE_ACME_DER_MAX) {
		free(der);
		return problem(rq, "malformed",
		    "revokeCert takes certificate: base64url DER");
	}
	if (reason != NULL &&
	    (!json_is_integer(reason) || json_integer_value(reason) < 0 ||
		json_integer_value(reason) > 10)) {
		free(der);
		return problem(rq, "badRevocationReason",
		    "reason is a CRLReason code");
	}
	if ((q = new_q(rq, SERVE_ACME_REVOKE)) == NULL) {
		free(der);
		return problem(rq, "serverInternal", "out of memory");
	}
	q->der = der;
	q->der_len = der_len;
	q->reason = reason != NULL ? (uint32_t)json_integer_value(reason) : 0;
	if (rq->j.jwk != NULL && front_acme_revoke_by_key(rq, q, &ret) != 0) {
		free(q);
		free(der);
		return ret;
	}
	r = ask(rq, q, &obj, NULL, NULL, &ret);
	free(q);
	free(der);
	if (r != 0)
		return ret;
	json_decref(obj);
	return send_body(rq, 200, NULL, "", 0, NULL, NULL);
}

static int
directory(struct acme_req *rq)
{
	char nn[ACME_URL_MAX + 32], na[ACME_URL_MAX + 32];
	char no[ACME_URL_MAX + 32], rc[ACME_URL_MAX + 32];
	char kc[ACME_URL_MAX + 32];
	json_t *dir;

	snprintf(nn, sizeof(nn), "%snew-nonce", rq->base);
	snprintf(na, sizeof(na), "%snew-account", rq->base);
	snprintf(no, sizeof(no), "%snew-order", rq->base);
	snprintf(rc, sizeof(rc), "%srevoke-cert", rq->base);
	snprintf(kc, sizeof(kc), "%skey-change", rq->base);
	dir = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:b}}", "newNonce", nn,
	    "newAccount", na, "newOrder", no, "revokeCert", rc, "keyChange", kc,
	    "meta", "externalAccountRequired",
	    front_acme_eab_required(rq->profile));

	if (dir != NULL)
		front_acme_ari_directory(dir, rq->base);
	return send_json(rq, 200, dir, NULL, NULL);
}

/* "<what>/<id>" or "<what>/<id>/<tail>": the id, or NULL. */
static const char *
path_id(const char *rest, const char *what, const char *tail, char *id,
    size_t cap)
{
	size_t n = strlen(what), k;

	if (strncmp(rest, what, n) != 0 || rest[n] != '/')
		return NULL;
	rest += n + 1;
	k = strcspn(rest, "/");
	if (k == 0 || k >= cap)
		return NULL;
	if (tail == NULL ? rest[k] != '\0'
			 : rest[k] != '/' || strcmp(rest + k + 1, tail) != 0)
		return NULL;
	memcpy(id, rest, k);
	id[k] = '\0';
	return id;
}

int
front_acme_route(struct front_ctx *x)
{
	struct acme_req *rq;
	const char *host, *slash;
	char id[SERVE_ACME_FIELD_MAX + 1];
	size_t n;
	int post = x->body != NULL, ret;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return front_send_text(x, 500, "text/plain", "out of memory\n");
	rq->x = x;
	slash = strchr(x->url + strlen(ACME_PREFIX), '/');
	n = slash != NULL ? (size_t)(slash - x->url - strlen(ACME_PREFIX)) : 0;
	host = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	if (n == 0 || n >= sizeof(rq->profile) || host == NULL ||
	    strlen(host) > 200) {
		free(rq);
		return front_send_text(x, 404, "text/plain", "not found\n");
	}
	memcpy(rq->profile, x->url + strlen(ACME_PREFIX), n);
	rq->profile[n] = '\0';
	if (!front_acme_profile_exposed(rq->profile)) {
		free(rq);
		return front_send_text(x, 404, "text/plain",
		    "no ACME directory for this profile\n");
	}
	rq->rest = slash + 1;
	snprintf(rq->base, sizeof(rq->base), "https://%s/acme/%s/", host,
	    rq->profile);
	if (strcmp(rq->rest, "directory") == 0 && !post)
		ret = directory(rq);
	else if (strcmp(rq->rest, "new-nonce") == 0 && !post) {
		fresh_nonce(rq);
		ret = rq->nonce[0] == '\0'
			  ? problem(rq, "serverInternal", "no nonce")
			  : send_body(rq,
				strcmp(x->method, "HEAD") == 0 ? 200 : 204,
				NULL, "", 0, NULL, NULL);
	} else if (!post && strncmp(rq->rest, "renewal-info/", 13) == 0)
		ret = front_acme_ari_renewal_info(x, rq->rest + 13);
	else if (!post)
		ret = problem(rq, "malformed",
		    "ACME resources other than the directory and new-nonce "
		    "take POST");
	else if (strcmp(rq->rest, "new-account") == 0)
		ret = new_account(rq);
	else if (strcmp(rq->rest, "new-order") == 0)
		ret = new_order(rq);
	else if (strcmp(rq->rest, "revoke-cert") == 0)
		ret = revoke_cert(rq);
	else if (strcmp(rq->rest, "key-change") == 0)
		ret = front_acme_key_change(rq);
	else if (front_acme_orders_path(rq->rest))
		ret = front_acme_orders(rq);
	else if (path_id(rq->rest, "acct", NULL, id, sizeof(id)) != NULL)
		ret = simple(rq, SERVE_ACME_ACCOUNT_GET, id);
	else if (path_id(rq->rest, "order", NULL, id, sizeof(id)) != NULL)
		ret = simple(rq, SERVE_ACME_ORDER_GET, id);
	else if (path_id(rq->rest, "authz", NULL, id, sizeof(id)) != NULL)
		ret = simple(rq, SERVE_ACME_AUTHZ_GET, id);
	else if (path_id(rq->rest, "cert", NULL, id, sizeof(id)) != NULL)
		ret = simple(rq, SERVE_ACME_CERT_GET, id);
	else if (path_id(rq->rest, "chall", NULL, id, sizeof(id)) != NULL)
		ret = challenge(rq, id);
	else if (path_id(rq->rest, "order", "finalize", id, sizeof(id)) !=
		 NULL) {
		if (verify(rq, 0, &ret) == 0)
			ret = finalize(rq, id);
	} else
		ret = problem(rq, "malformed", "no such ACME resource");
	acme_jws_free(&rq->j);
	free(rq);
	return ret;
}

/* ---- for front_acme_account.c ------------------------------------------- */

int
front_acme_problem(struct acme_req *rq, const char *type, const char *detail)
{
	return problem(rq, type, "%s", detail);
}

int
front_acme_verify(struct acme_req *rq, int want_jwk, int *ret)
{
	return verify(rq, want_jwk, ret);
}

int
front_acme_ask(struct acme_req *rq, struct serve_acme *q, json_t **obj,
    int *ret)
{
	return ask(rq, q, obj, NULL, NULL, ret);
}

struct serve_acme *
front_acme_new_q(struct acme_req *rq, uint8_t op)
{
	return new_q(rq, op);
}

int
front_acme_send_json(struct acme_req *rq, unsigned status, json_t *obj,
    const char *location, const char *up)
{
	return send_json(rq, status, obj, location, up);
}

void
front_acme_headers(struct acme_req *rq, struct MHD_Response *resp)
{
	if (rq->nonce[0] == '\0')
		fresh_nonce(rq);
	common_headers(rq, resp);
}

json_t *
front_acme_render_account(struct acme_req *rq, const json_t *a)
{
	return render_account(rq, a);
}

json_t *
front_acme_render_authz(struct acme_req *rq, const json_t *z)
{
	return render_authz(rq, z);
}
