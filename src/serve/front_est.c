/*
 * EST (RFC 7030) in the front end, on the HTTPS listener only:
 *
 *   GET  /.well-known/est/<profile>/cacerts         CA certificates
 *   GET  /.well-known/est/<profile>/csrattrs        204: none asked for
 *   POST /.well-known/est/<profile>/simpleenroll    Authorization: Bearer
 *   POST /.well-known/est/<profile>/simplereenroll  TLS client certificate
 *
 * Only HTTP happens here: the request body (base64 PKCS#10), the token
 * and the DER of the client's TLS certificate go to the signer as they
 * came, and the signer answers with the status and the base64 PKCS#7.
 * docs/renewal.md describes the endpoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "serve/front.h"

#define EST_PREFIX "/.well-known/est/"
#define EST_TIMEOUT_MS 30000
#define EST_PKCS7_TYPE "application/pkcs7-mime; smime-type=certs-only"

enum est_op { EST_CACERTS, EST_CSRATTRS, EST_ENROLL, EST_REENROLL };

static const struct {
	const char *name;
	enum est_op op;
	int post;
} est_ops[] = {
	{ "cacerts", EST_CACERTS, 0 },
	{ "csrattrs", EST_CSRATTRS, 0 },
	{ "simpleenroll", EST_ENROLL, 1 },
	{ "simplereenroll", EST_REENROLL, 1 },
};

static int
est_text(struct front_ctx *x, unsigned status, const char *text)
{
	struct MHD_Response *resp;
	char line[SERVE_ISSUE_MSG_MAX + 2];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s\n", text);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	resp = MHD_create_response_from_buffer(n, line, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	/* RFC 6750 3: which scheme authenticates a first enrollment. */
	if (status == MHD_HTTP_UNAUTHORIZED)
		(void)MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"est\"");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    "30");
	return front_send(x, status, resp, n);
}

/* "/.well-known/est/<profile>/<op>": the profile into out, the op. */
static int
est_parse(const char *url, char *profile, size_t cap, int *op)
{
	const char *p = url + strlen(EST_PREFIX), *slash;
	size_t n, i;

	if ((slash = strchr(p, '/')) == NULL)
		return -1;
	n = (size_t)(slash - p);
	if (n == 0 || n >= cap || n > 64)
		return -1;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
			(p[i] >= '0' && p[i] <= '9') || p[i] == '-' ||
			p[i] == '_' || p[i] == '.'))
			return -1;
	memcpy(profile, p, n);
	profile[n] = '\0';
	for (i = 0; i < sizeof(est_ops) / sizeof(est_ops[0]); i++)
		if (strcmp(slash + 1, est_ops[i].name) == 0) {
			*op = (int)i;
			return 0;
		}
	return -1;
}

/* "Bearer TOKEN" (RFC 6750 2.1): the token into out[cap], or -1. */
static int
est_bearer(struct front_ctx *x, char *out, size_t cap)
{
	const char *h = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n, i;

	out[0] = '\0';
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && h[n - 1] == ' ')
		n--;
	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++)
		if (h[i] <= 0x20 || h[i] > 0x7e)
			return -1;
	memcpy(out, h, n);
	out[n] = '\0';
	return 0;
}

/* The DER of the client's TLS certificate, or NULL when none was sent. */
static const gnutls_datum_t *
est_peer_cert(struct front_ctx *x)
{
	const union MHD_ConnectionInfo *ci;
	unsigned n = 0;
	const gnutls_datum_t *certs;

	ci = MHD_get_connection_info(x->c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return NULL;
	certs =
	    gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
	if (certs == NULL || n == 0)
		return NULL;
	/* The first is the client's own (RFC 8446 4.4.2). */
	return &certs[0];
}

int
front_est_route(struct front_ctx *x)
{
	static const uint8_t msg_type[] = { SERVE_MSG_EST_CACERTS, 0,
		SERVE_MSG_EST_ENROLL, SERVE_MSG_EST_REENROLL };
	struct serve_est *q = NULL;
	struct serve_est_reply a;
	struct serve_wbuf w;
	struct MHD_Response *resp;
	const gnutls_datum_t *peer;
	uint8_t type = 0, *body = NULL;
	size_t len = 0;
	int op, ret;

	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		ret = est_text(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
		goto out;
	}
	if (est_parse(x->url, q->profile, sizeof(q->profile), &op) != 0) {
		ret = est_text(x, MHD_HTTP_NOT_FOUND, "not found");
		goto out;
	}
	if ((strcmp(x->method, "POST") == 0) != est_ops[op].post) {
		ret = est_text(x, MHD_HTTP_METHOD_NOT_ALLOWED,
		    est_ops[op].post ? "use POST" : "use GET");
		goto out;
	}
	switch (est_ops[op].op) {
	case EST_CSRATTRS:
		/* RFC 7030 4.5.2: no attributes asked for. */
		ret = front_send_copy(x, MHD_HTTP_NO_CONTENT, "text/plain", "",
		    0);
		goto out;
	case EST_ENROLL:
		if (est_bearer(x, q->token, sizeof(q->token)) != 0) {
			ret = est_text(x, MHD_HTTP_UNAUTHORIZED,
			    "an enrollment token is required "
			    "(Authorization: Bearer TOKEN)");
			goto out;
		}
		break;
	case EST_REENROLL:
		if ((peer = est_peer_cert(x)) == NULL) {
			ret = est_text(x, MHD_HTTP_UNAUTHORIZED,
			    "re-enrollment needs the current certificate as "
			    "the TLS client certificate");
			goto out;
		}
		if (peer->size > SERVE_EST_CERT_MAX) {
			ret = est_text(x, MHD_HTTP_FORBIDDEN,
			    "the client certificate is too large");
			goto out;
		}
		q->cert = peer->data;
		q->cert_len = peer->size;
		break;
	case EST_CACERTS:
	default:
		break;
	}
	if (est_ops[op].post) {
		if (x->body == NULL || x->body_len == 0 ||
		    x->body_len > SERVE_EST_CSR_MAX) {
			ret = est_text(x, MHD_HTTP_BAD_REQUEST,
			    "the body must be a base64 PKCS#10 CSR "
			    "(RFC 7030 4.2.1)");
			goto out;
		}
		q->csr = x->body;
		q->csr_len = x->body_len;
	}
	if (serve_est_encode(msg_type[op], q, &w) != 0 ||
	    front_call(msg_type[op], w.p, w.len, &type, &body, &len,
		EST_TIMEOUT_MS) != 0) {
		ret = est_text(x, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the signer did not answer; try again later");
		goto out;
	}
	if (type != SERVE_MSG_EST_REPLY ||
	    serve_est_reply_decode(body, len, &a) != 0) {
		front_log("the signer's answer to %s does not decode",
		    serve_msg_name(msg_type[op]));
		ret = est_text(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal error");
		goto out;
	}
	if (a.http != MHD_HTTP_OK) {
		ret = est_text(x, a.http, a.message);
		goto out;
	}
	resp = MHD_create_response_from_buffer(a.body_len, (void *)a.body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL) {
		ret = MHD_NO;
		goto out;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    EST_PKCS7_TYPE);
	(void)MHD_add_response_header(resp, "Content-Transfer-Encoding",
	    "base64");
	ret = front_send(x, MHD_HTTP_OK, resp, a.body_len);
out:
	serve_wbuf_free(&w);
	free(body);
	free(q);
	return ret;
}
