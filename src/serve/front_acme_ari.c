/*
 * ACME renewal information, profiles and rate-limit counts in the front
 * end (front_acme_ari.h, docs/acme.md).
 *
 *   GET /acme/<profile>/renewal-info/<certID>    RFC 9773 4.1
 *
 * certID is base64url(authorityKeyIdentifier's keyIdentifier) "."
 * base64url(the serial's DER content octets), no padding. Parsed here;
 * the signer looks the certificate up and computes the window.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "serve/acme_jwk.h"
#include "serve/acme_jws.h"
#include "serve/front_acme.h"
#include "serve/front_acme_ari.h"
#include "signet/error.h"

#define KEY_ID_MAX 64 /* bytes of keyIdentifier taken */
#define SERIAL_MAX 20 /* RFC 5280 4.1.2.2 */

static const char hexdigits[] = "0123456789abcdef";

static void
to_hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/*
 * certID into the key id and the serial as hex: 0, or -1 with why.
 * The serial is a DER INTEGER's content: minimal, positive, not zero.
 */
static int
cert_id_parse(const char *id, char key_hex[2 * KEY_ID_MAX + 1],
    char serial_hex[2 * SERIAL_MAX + 1], const char **why)
{
	const char *dot = strchr(id, '.');
	uint8_t *key = NULL, *ser = NULL;
	size_t klen = 0, slen = 0, skip = 0;
	int r = -1;

	*why = "a certID is base64url(key identifier).base64url(serial), "
	       "without padding";
	if (dot == NULL || dot == id || dot[1] == '\0' ||
	    strchr(dot + 1, '.') != NULL ||
	    acme_b64url_decode(id, (size_t)(dot - id), &key, &klen) != 0 ||
	    acme_b64url_decode(dot + 1, strlen(dot + 1), &ser, &slen) != 0 ||
	    klen == 0 || slen == 0)
		goto out;
	*why = "the key identifier in the certID is too long";
	if (klen > KEY_ID_MAX)
		goto out;
	*why = "the serial in the certID is not a positive DER INTEGER";
	if ((ser[0] & 0x80) != 0 ||
	    (slen > 1 && ser[0] == 0 && (ser[1] & 0x80) == 0))
		goto out;
	if (slen > 1 && ser[0] == 0)
		skip = 1;
	*why = "the serial in the certID is zero or longer than 20 octets";
	if (slen - skip > SERIAL_MAX || (slen == 1 && ser[0] == 0))
		goto out;
	to_hex(key, klen, key_hex);
	to_hex(ser + skip, slen - skip, serial_hex);
	r = 0;
out:
	free(key);
	free(ser);
	return r;
}

static void
rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* A problem document with its own status (404 has no ACME type). */
static int
send_problem(struct front_ctx *x, unsigned status, const char *type,
    const char *detail)
{
	char urn[96], *text;
	json_t *o;
	int ret;

	snprintf(urn, sizeof(urn), "urn:ietf:params:acme:error:%s", type);
	o = json_pack("{s:s, s:s, s:i}", "type", urn, "detail", detail,
	    "status", (int)status);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return front_send_text(x, 500, "text/plain", "out of memory\n");
	ret = front_send_copy(x, status, "application/problem+json", text,
	    strlen(text));
	free(text);
	return ret;
}

int
front_acme_ari_renewal_info(struct front_ctx *x, const char *cert_id)
{
	struct serve_acme *q;
	struct serve_acme_reply a;
	struct MHD_Response *resp;
	uint8_t *buf = NULL;
	json_t *obj = NULL, *out = NULL;
	char start[32], end[32], retry[16], *text = NULL;
	const char *why;
	int ret;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return front_send_text(x, 500, "text/plain", "out of memory\n");
	if (cert_id_parse(cert_id, q->detail, q->object, &why) != 0) {
		free(q);
		return send_problem(x, 400, "malformed", why);
	}
	q->op = SERVE_ACME_RENEWAL_INFO;
	if (front_acme_roundtrip(q, &a, &buf) != 0) {
		free(q);
		return send_problem(x, 500, "serverInternal",
		    "the signer did not answer; try again later");
	}
	free(q);
	if (a.status != 0) {
		ret = send_problem(x,
		    a.status == SIGNET_ERR_NOT_FOUND
			? 404
			: front_acme_problem_status(a.problem),
		    a.problem, a.detail);
		free(buf);
		return ret;
	}
	obj = json_loadb((const char *)a.json, a.json_len, 0, NULL);
	rfc3339(json_integer_value(json_object_get(obj, "start")), start);
	rfc3339(json_integer_value(json_object_get(obj, "end")), end);
	snprintf(retry, sizeof(retry), "%u", a.retry_after);
	free(buf);
	json_decref(obj);
	out = json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", start,
	    "end", end);
	text = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	if (text == NULL ||
	    (resp = MHD_create_response_from_buffer(strlen(text), text,
		 MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(text);
		return front_send_text(x, 500, "text/plain", "out of memory\n");
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	return front_send(x, 200, resp, strlen(text));
}

void
front_acme_ari_directory(json_t *dir, const char *base)
{
	struct serve_acme *q = calloc(1, sizeof(*q));
	struct serve_acme_reply a;
	char url[ACME_URL_MAX + 32];
	uint8_t *buf = NULL;
	json_t *obj, *profiles;

	snprintf(url, sizeof(url), "%srenewal-info", base);
	json_object_set_new(dir, "renewalInfo", json_string(url));
	if (q == NULL)
		return;
	q->op = SERVE_ACME_PROFILES;
	if (front_acme_roundtrip(q, &a, &buf) == 0 && a.status == 0 &&
	    (obj = json_loadb((const char *)a.json, a.json_len, 0, NULL)) !=
		NULL) {
		profiles = json_object_get(obj, "profiles");
		if (json_is_object(profiles) &&
		    json_object_size(profiles) > 0 &&
		    json_is_object(json_object_get(dir, "meta")))
			json_object_set(json_object_get(dir, "meta"),
			    "profiles", profiles);
		json_decref(obj);
	}
	free(buf);
	free(q);
}

int
front_acme_ari_order(const json_t *payload, struct serve_acme *q,
    const char **problem_type, const char **why)
{
	const json_t *profile = json_object_get(payload, "profile");
	const json_t *replaces = json_object_get(payload, "replaces");

	*problem_type = "malformed";
	if (profile != NULL) {
		*why = "profile is the name of a profile in the directory's "
		       "meta.profiles";
		if (!json_is_string(profile) ||
		    json_string_length(profile) == 0 ||
		    json_string_length(profile) > SERVE_ACME_FIELD_MAX)
			return -1;
		*problem_type = "invalidProfile";
		*why = "that profile is not offered here; the directory's "
		       "meta.profiles lists those that are";
		if (!front_acme_profile_exposed(json_string_value(profile)))
			return -1;
		snprintf(q->profile, sizeof(q->profile), "%s",
		    json_string_value(profile));
	}
	*problem_type = "malformed";
	if (replaces != NULL) {
		*why = "replaces is the certID of the certificate this order "
		       "replaces (RFC 9773)";
		if (!json_is_string(replaces) ||
		    json_string_length(replaces) > 256 ||
		    cert_id_parse(json_string_value(replaces), q->detail,
			q->object, why) != 0)
			return -1;
	}
	return 0;
}

/* rateLimited answers by limit (the names the signer gives). */
static const char *const limit_names[] = { "orders-per-hour",
	"pending-authorizations", "certificates-per-name-per-week" };
static atomic_uint_fast64_t limit_counts[3];

void
front_acme_ari_count(const struct serve_acme_reply *a)
{
	size_t i;

	if (strcmp(a->problem, "rateLimited") != 0)
		return;
	for (i = 0; i < 3; i++)
		if (strcmp(a->limit, limit_names[i]) == 0)
			atomic_fetch_add(&limit_counts[i], 1);
}

size_t
front_acme_ari_metrics(char *buf, size_t off, size_t cap)
{
	size_t i;
	int n;

	n = snprintf(buf + off, cap - off,
	    "# HELP signet_acme_rate_limited_total ACME requests refused "
	    "by a per-account limit.\n"
	    "# TYPE signet_acme_rate_limited_total counter\n");
	if (n < 0 || (size_t)n >= cap - off)
		return off;
	off += (size_t)n;
	for (i = 0; i < 3; i++) {
		n = snprintf(buf + off, cap - off,
		    "signet_acme_rate_limited_total{limit=\"%s\"} %llu\n",
		    limit_names[i],
		    (unsigned long long)atomic_load(&limit_counts[i]));
		if (n < 0 || (size_t)n >= cap - off)
			return off;
		off += (size_t)n;
	}
	return off;
}
