/*
 * The HTTP side of the front end, on libmicrohttpd (a thread pool over
 * epoll; connection, per-client, header-size and idle limits are its own):
 *
 *   GET /crl/<issuer>.crl   the latest full CRL (DER), from memory
 *   GET /ca/<issuer>.crt    the CA certificate (DER)
 *   GET /health             200 when the signer, its token and store answer
 *   GET /metrics            Prometheus text
 *   GET /ocsp/<base64>, POST /ocsp   OCSP (front_ocsp.c), plain HTTP only
 *
 * <issuer> is serve.issuer-name. One line per request on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "serve/front.h"
#include "serve/front_ocsp.h"
#include "serve/front_acme.h"
#include "serve/front_acme_ari.h"
#include "serve/front_acme_int.h"

#define SIGNER_TIMEOUT_MS 2000

#ifdef SIGNET_TEST_HOOKS
static int test_hooks;
#endif

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Printable ASCII only, cut short: the log is for people. */
static void
copy_clean(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < cap; i++)
		if (src[i] > 0x20 && src[i] < 0x7f)
			dst[i] = src[i];
		else
			dst[i] = '?';
	dst[i] = '\0';
}

static void *
uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct front_req *rq = calloc(1, sizeof(*rq));
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	if (rq == NULL)
		return NULL;
	rq->start_usec = mono_usec();
	copy_clean(rq->path, sizeof(rq->path), uri);
	strcpy(rq->method, "-");
	strcpy(rq->client, "-");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && (sa = ci->client_addr) != NULL) {
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
			    &((const struct sockaddr_in *)(const void *)sa)
				 ->sin_addr,
			    rq->client, sizeof(rq->client));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((const struct sockaddr_in6 *)(const void *)sa)
				 ->sin6_addr,
			    rq->client, sizeof(rq->client));
	}
	return rq;
}

/* The request's log line as one JSON object (serve.log-format: json). */
static void
log_json(const char *when, const struct front_req *rq, const char *status)
{
	json_t *o;
	char *line = NULL;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:f}", "time", when, "client",
	    rq->client, "method", rq->method, "path", rq->path, "status",
	    status, "bytes", (json_int_t)rq->bytes, "ms",
	    (double)(mono_usec() - rq->start_usec) / 1000.0);
	if (o != NULL)
		line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	/* No prefix: one JSON object per line, for log collectors. */
	if (line != NULL) {
		size_t n = strlen(line);

		line[n] = '\n';
		(void)!write(STDERR_FILENO, line, n + 1);
		line[n] = '\0';
	}
	free(line);
	json_decref(o);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct front_req *rq = *con_cls;
	/* Formatted once a second per thread (gmtime_r takes glibc's lock). */
	static __thread time_t when_at = -1;
	static __thread char when[32];
	char status[16];
	struct tm tm;
	time_t now = time(NULL);

	if (rq == NULL)
		return;
	if (now != when_at) {
		when[0] = '\0';
		if (gmtime_r(&now, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		when_at = now;
	}
	if (rq->status != 0)
		snprintf(status, sizeof(status), "%u", rq->status);
	else
		/* Refused by libmicrohttpd itself (limits, malformed). */
		snprintf(status, sizeof(status), "%s",
		    toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
								  : "error");
	if (front.o.log_json)
		log_json(when, rq, status);
	else
		front_log("%s %s %s %s %s %zu %.3fms", when, rq->client,
		    rq->method, rq->path, status, rq->bytes,
		    (double)(mono_usec() - rq->start_usec) / 1000.0);
	if (rq->body != NULL)
		explicit_bzero(rq->body, rq->body_len);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, struct front_req *rq, unsigned status,
    const char *type, const char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = strlen(text);

	resp = MHD_create_response_from_buffer(len, (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    rq->route != NULL && (rq->route->methods & FRONT_POST)
			? ((rq->route->methods & FRONT_GET) ? "GET, HEAD, POST"
							    : "POST")
			: "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    "5");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    "1");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	rq->status = status;
	rq->bytes = len;
	return ret;
}

static void
doc_release(void *cls)
{
	front_doc_put(cls);
}

int
front_etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = inm;

	if (inm == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p == '*')
			return 1;
		if (strncmp(p, etag, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return 0;
}

static enum MHD_Result
send_doc(struct MHD_Connection *c, struct front_req *rq, int crl)
{
	struct front_doc *d = front_doc_get(crl);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	char cc[64];
	int64_t age;

	if (d == NULL)
		return send_text(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "text/plain",
		    crl ? "no CRL yet\n" : "no certificate yet\n");
	if (crl &&
	    front_etag_matches(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
				   MHD_HTTP_HEADER_IF_NONE_MATCH),
		d->etag)) {
		status = MHD_HTTP_NOT_MODIFIED;
		resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
		front_doc_put(d);
		d = NULL;
	} else
		resp =
		    MHD_create_response_from_buffer_with_free_callback_cls(d->len,
			d->der, doc_release, d);
	if (resp == NULL) {
		front_doc_put(d);
		return MHD_NO;
	}
	if (crl) {
		struct front_doc *cur = front_doc_get(1);

		if (cur != NULL) {
			/* Caches may keep it until nextUpdate, no longer. */
			age = cur->crl.next_update - (int64_t)time(NULL);
			snprintf(cc, sizeof(cc), "public, max-age=%lld",
			    (long long)(age > 0 ? age : 0));
			(void)MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_CACHE_CONTROL, cc);
			(void)MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_ETAG, cur->etag);
			(void)MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_LAST_MODIFIED, cur->last_modified);
			front_doc_put(cur);
		}
	}
	if (status == MHD_HTTP_OK) {
		(void)MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_CONTENT_TYPE,
		    crl ? "application/pkix-crl" : "application/pkix-cert");
		rq->bytes = d->len;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	rq->status = status;
	return ret;
}

static enum MHD_Result
send_health(struct MHD_Connection *c, struct front_req *rq)
{
	struct serve_health h;
	uint64_t usec;
	char text[SERVE_IPC_REASON_MAX + 32];

	if (front_health(&h, &usec, SIGNER_TIMEOUT_MS) != 0)
		return send_text(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "text/plain", "signer not answering\n");
	if (!h.ok) {
		snprintf(text, sizeof(text), "degraded: %s\n", h.reason);
		return send_text(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "text/plain", text);
	}
	return send_text(c, rq, MHD_HTTP_OK, "text/plain", "ok\n");
}

#define METRIC(buf, off, cap, ...)                                            \
	do {                                                                  \
		int n_ = snprintf((buf) + (off), (cap) - (off), __VA_ARGS__); \
		if (n_ > 0 && (size_t)n_ < (cap) - (off))                     \
			(off) += (size_t)n_;                                  \
	} while (0)

static enum MHD_Result
send_metrics(struct MHD_Connection *c, struct front_req *rq)
{
	struct serve_health h;
	struct front_doc *d;
	uint64_t usec, requests, limited, sreq, stimeout, slate, usum;
	char buf[8192];
	size_t off = 0;
	int up;

	up = front_health(&h, &usec, SIGNER_TIMEOUT_MS) == 0 && h.ok;
	pthread_mutex_lock(&front.lock);
	requests = front.requests;
	limited = front.rate_limited;
	sreq = front.signer_requests;
	stimeout = front.signer_timeouts;
	slate = front.signer_late;
	usum = front.signer_usec_sum;
	usec = front.signer_usec_last;
	h = front.last_health;
	pthread_mutex_unlock(&front.lock);
	METRIC(buf, off, sizeof(buf),
	    "# HELP signet_up 1 when the signer, its token and its store "
	    "answered.\n# TYPE signet_up gauge\nsignet_up %d\n",
	    up);
	if ((d = front_doc_get(1)) != NULL) {
		METRIC(buf, off, sizeof(buf),
		    "# HELP signet_crl_number CRL number of the served CRL.\n"
		    "# TYPE signet_crl_number gauge\n"
		    "signet_crl_number{issuer=\"%s\"} %lld\n"
		    "# HELP signet_crl_age_seconds Seconds since its "
		    "thisUpdate.\n# TYPE signet_crl_age_seconds gauge\n"
		    "signet_crl_age_seconds{issuer=\"%s\"} %lld\n"
		    "# HELP signet_crl_next_update_seconds Seconds until its "
		    "nextUpdate.\n# TYPE signet_crl_next_update_seconds "
		    "gauge\nsignet_crl_next_update_seconds{issuer=\"%s\"} "
		    "%lld\n",
		    front.o.issuer, (long long)d->crl.number, front.o.issuer,
		    (long long)((int64_t)time(NULL) - d->crl.this_update),
		    front.o.issuer,
		    (long long)(d->crl.next_update - (int64_t)time(NULL)));
		front_doc_put(d);
	}
	METRIC(buf, off, sizeof(buf),
	    "# HELP signet_signer_latency_seconds Round trip of the last "
	    "question to the signer.\n"
	    "# TYPE signet_signer_latency_seconds gauge\n"
	    "signet_signer_latency_seconds %.6f\n"
	    "# HELP signet_signer_latency_seconds_sum Sum of all round "
	    "trips.\n# TYPE signet_signer_latency_seconds_sum counter\n"
	    "signet_signer_latency_seconds_sum %.6f\n"
	    "# HELP signet_signer_requests_total Questions to the signer.\n"
	    "# TYPE signet_signer_requests_total counter\n"
	    "signet_signer_requests_total %" PRIu64 "\n"
	    "# HELP signet_signer_timeouts_total Questions it did not "
	    "answer in time.\n# TYPE signet_signer_timeouts_total counter\n"
	    "signet_signer_timeouts_total %" PRIu64 "\n"
	    "# HELP signet_signer_late_answers_total Answers that came "
	    "after their timeout (dropped).\n"
	    "# TYPE signet_signer_late_answers_total counter\n"
	    "signet_signer_late_answers_total %" PRIu64 "\n",
	    (double)usec / 1e6, (double)usum / 1e6, sreq, stimeout, slate);
	METRIC(buf, off, sizeof(buf),
	    "# HELP signet_frontend_restarts_total Front ends the signer "
	    "restarted.\n# TYPE signet_frontend_restarts_total counter\n"
	    "signet_frontend_restarts_total %u\n"
	    "# HELP signet_token_errors_total Failed token operations.\n"
	    "# TYPE signet_token_errors_total counter\n"
	    "signet_token_errors_total %u\n"
	    "# HELP signet_crl_failures_total CRL generations that failed.\n"
	    "# TYPE signet_crl_failures_total counter\n"
	    "signet_crl_failures_total %u\n"
	    "# HELP signet_http_requests_total Requests this front end "
	    "answered.\n# TYPE signet_http_requests_total counter\n"
	    "signet_http_requests_total %" PRIu64 "\n"
	    "# HELP signet_http_rate_limited_total Requests refused with 429 "
	    "(serve.max-request-rate).\n"
	    "# TYPE signet_http_rate_limited_total counter\n"
	    "signet_http_rate_limited_total %" PRIu64 "\n",
	    h.restarts, h.token_errors, h.crl_failures, requests, limited);
	off = front_acme_ari_metrics(buf, off, sizeof(buf));
	(void)front_acme_key_metrics(buf, off, sizeof(buf));
	return send_text(c, rq, MHD_HTTP_OK,
	    "text/plain; version=0.0.4; charset=utf-8", buf);
}

/* "/<dir>/<issuer><ext>" exactly. */
static int
route_is(const char *url, const char *dir, const char *ext)
{
	size_t dl = strlen(dir), il = strlen(front.o.issuer);

	return strncmp(url, dir, dl) == 0 &&
	       strncmp(url + dl, front.o.issuer, il) == 0 &&
	       strcmp(url + dl + il, ext) == 0;
}

#ifdef SIGNET_TEST_HOOKS
/*
 * POST /test/issue?profile=P&requester=R&ids=dns:a,ip:b with a DER CSR:
 * the ISSUE message as the enrollment protocols will send it, for the
 * tests of the signer's side and the IPC benchmark.
 */
static int
test_issue(struct front_ctx *x)
{
	struct serve_issue *q;
	struct serve_issue_reply a;
	const char *profile, *requester, *ids;
	uint8_t *buf = NULL;
	char text[SERVE_ISSUE_MSG_MAX + 64], *list, *tok, *save;
	int ret;

	profile =
	    MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, "profile");
	requester = MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND,
	    "requester");
	ids = MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, "ids");
	if (x->body == NULL || profile == NULL || requester == NULL ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return front_send_text(x, MHD_HTTP_BAD_REQUEST, "text/plain",
		    "POST a DER CSR with profile and requester\n");
	snprintf(q->profile, sizeof(q->profile), "%s", profile);
	snprintf(q->requester, sizeof(q->requester), "%s", requester);
	if (ids != NULL && (list = strdup(ids)) != NULL) {
		for (tok = strtok_r(list, ",", &save);
		     tok != NULL && q->n_ids < SERVE_ISSUE_MAX_IDS;
		     tok = strtok_r(NULL, ",", &save))
			snprintf(q->ids[q->n_ids++], sizeof(q->ids[0]), "%s",
			    tok);
		free(list);
	}
	q->csr = x->body;
	q->csr_len = x->body_len;
	if (front_issue(q, &a, &buf, 30000) != 0)
		ret = front_send_text(x, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "text/plain", "signer not answering\n");
	else if (a.status != 0) {
		snprintf(text, sizeof(text), "refused (%d): %s\n", a.status,
		    a.message);
		ret = front_send_text(x,
		    serve_status_transient(a.status)
			? MHD_HTTP_SERVICE_UNAVAILABLE
			: MHD_HTTP_FORBIDDEN,
		    "text/plain", text);
	} else
		ret = front_send_copy(x, MHD_HTTP_OK,
		    "application/pem-certificate-chain", a.chain, a.chain_len);
	free(buf);
	free(q);
	return ret;
}

static int
test_hook(struct front_ctx *x)
{
	static const uint8_t garbage[SERVE_IPC_HEADER] = { SERVE_IPC_VERSION,
		0x7f };

	if (strcmp(x->url, "/test/issue") == 0 && x->body != NULL)
		return test_issue(x);
	if (strcmp(x->url, "/test/forbidden-syscall") == 0) {
		/*
		 * Debugging another process: never needed here (sockets
		 * are, for ACME validation).
		 */
		(void)syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
		return front_send_text(x, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "text/plain", "still alive\n");
	}
	if (strcmp(x->url, "/test/open") == 0) {
		/* Opening a file is refused with EACCES, not killed. */
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		int err = errno;

		if (fd >= 0)
			close(fd);
		return front_send_text(x, MHD_HTTP_OK, "text/plain",
		    fd >= 0         ? "opened\n"
		    : err == EACCES ? "EACCES\n"
				    : "another error\n");
	}
	if (strcmp(x->url, "/test/ipc-bad-issue") == 0) {
		/* A well-formed frame whose ISSUE body does not decode. */
		static const uint8_t bad[17] = { 0xff, 0xff, 0xff, 0xff };

		pthread_mutex_lock(&front.send_lock);
		(void)serve_send(front.ipc, SERVE_MSG_ISSUE, 1, bad,
		    sizeof(bad), 1000);
		pthread_mutex_unlock(&front.send_lock);
		return front_send_text(x, MHD_HTTP_OK, "text/plain", "sent\n");
	}
	if (strcmp(x->url, "/test/ipc-garbage") == 0) {
		pthread_mutex_lock(&front.send_lock);
		(void)!write(front.ipc, garbage, sizeof(garbage));
		pthread_mutex_unlock(&front.send_lock);
		return front_send_text(x, MHD_HTTP_OK, "text/plain", "sent\n");
	}
	return front_send_text(x, MHD_HTTP_NOT_FOUND, "text/plain",
	    "not found\n");
}
#endif

int
front_send(struct front_ctx *x, unsigned status, struct MHD_Response *resp,
    size_t bytes)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(x->c, status, resp);
	MHD_destroy_response(resp);
	x->rq->status = status;
	x->rq->bytes = bytes;
	return ret;
}

int
front_send_shared(struct front_ctx *x, unsigned status,
    struct MHD_Response *resp, size_t bytes)
{
	enum MHD_Result ret;

	ret = MHD_queue_response(x->c, status, resp);
	x->rq->status = status;
	x->rq->bytes = bytes;
	return ret;
}

int
front_send_text(struct front_ctx *x, unsigned status, const char *type,
    const char *text)
{
	return send_text(x->c, x->rq, status, type, text);
}

int
front_send_copy(struct front_ctx *x, unsigned status, const char *type,
    const void *data, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *)data,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return front_send(x, status, resp, len);
}

static int
route_crl(struct front_ctx *x)
{
	if (!route_is(x->url, "/crl/", ".crl"))
		return send_text(x->c, x->rq, MHD_HTTP_NOT_FOUND, "text/plain",
		    "not found\n");
	return send_doc(x->c, x->rq, 1);
}

static int
route_ca(struct front_ctx *x)
{
	if (!route_is(x->url, "/ca/", ".crt"))
		return send_text(x->c, x->rq, MHD_HTTP_NOT_FOUND, "text/plain",
		    "not found\n");
	return send_doc(x->c, x->rq, 0);
}

static int
route_health(struct front_ctx *x)
{
	return send_health(x->c, x->rq);
}

static int
route_metrics(struct front_ctx *x)
{
	return send_metrics(x->c, x->rq);
}

#ifdef SIGNET_TEST_HOOKS
static int
route_test(struct front_ctx *x)
{
	if (!test_hooks)
		return send_text(x->c, x->rq, MHD_HTTP_NOT_FOUND, "text/plain",
		    "not found\n");
	return test_hook(x);
}
#endif

#define ANY_LISTENER (FRONT_ON_HTTP | FRONT_ON_HTTPS)
static const struct front_route routes[] = {
	{ "/crl/", FRONT_GET, ANY_LISTENER, 0, route_crl },
	{ "/ca/", FRONT_GET, ANY_LISTENER, 0, route_ca },
	{ "/health", FRONT_GET, ANY_LISTENER, 0, route_health },
	{ "/metrics", FRONT_GET, ANY_LISTENER, 0, route_metrics },
	{ "/ocsp/", FRONT_GET | FRONT_POST, FRONT_ON_HTTP, OCSP_REQUEST_MAX,
	    front_ocsp_route },
	{ "/ocsp", FRONT_POST, FRONT_ON_HTTP, OCSP_REQUEST_MAX,
	    front_ocsp_route },
	/* ACME (front_acme.c): HTTPS only; JWS bodies are small. */
	{ "/acme/", FRONT_GET | FRONT_POST, FRONT_ON_HTTPS, (size_t)64 * 1024,
	    front_acme_route },
	{ "/.well-known/est/", FRONT_GET | FRONT_POST, FRONT_ON_HTTPS,
	    SERVE_EST_CSR_MAX, front_est_route },
#ifdef SIGNET_TEST_HOOKS
	{ "/test/", FRONT_GET | FRONT_POST, ANY_LISTENER, (size_t)64 * 1024,
	    route_test },
#endif
};

static const struct front_route *
route_find(const char *url)
{
	size_t i, n;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		n = strlen(routes[i].path);
		if (routes[i].path[n - 1] == '/'
			? strncmp(url, routes[i].path, n) == 0
			: strcmp(url, routes[i].path) == 0)
			return &routes[i];
	}
	return NULL;
}

/*
 * Requests per second per client address (serve.max-request-rate): a
 * token bucket per address, holding up to two seconds' worth, in a
 * fixed table; addresses that collide share a bucket, which errs on the
 * side of refusing. 1 when this request may go on.
 */
#define RATE_SLOTS 4096
struct rate_slot {
	char client[INET6_ADDRSTRLEN + 8];
	double tokens;
	int64_t at; /* usec of the last refill */
};
static struct rate_slot rate_slots[RATE_SLOTS];
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

static int
rate_allow(const char *client)
{
	struct rate_slot *sl;
	uint32_t h = 2166136261u; /* FNV-1a */
	double burst = 2.0 * front.o.max_rate;
	int64_t now = mono_usec();
	const char *p;
	int ok;

	if (front.o.max_rate == 0)
		return 1;
	for (p = client; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	pthread_mutex_lock(&rate_lock);
	sl = &rate_slots[h % RATE_SLOTS];
	if (strcmp(sl->client, client) != 0) {
		snprintf(sl->client, sizeof(sl->client), "%s", client);
		sl->tokens = burst;
		sl->at = now;
	}
	sl->tokens += (double)(now - sl->at) / 1e6 * front.o.max_rate;
	if (sl->tokens > burst)
		sl->tokens = burst;
	sl->at = now;
	ok = sl->tokens >= 1.0;
	if (ok)
		sl->tokens -= 1.0;
	pthread_mutex_unlock(&rate_lock);
	return ok;
}

/* The first call for a request: its headers are in. */
static enum MHD_Result
request_start(struct MHD_Connection *c, struct front_req *rq, const char *url,
    const char *method, int tls)
{
	const struct front_route *rt;
	const char *cl, *te;
	unsigned long long len = 0;
	char *end;
	int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	rq->state = REQ_ACCEPTED;
	copy_clean(rq->method, sizeof(rq->method), method);
	pthread_mutex_lock(&front.lock);
	front.requests++;
	pthread_mutex_unlock(&front.lock);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (cl != NULL) {
		len = strtoull(cl, &end, 10);
		if (*cl == '\0' || *end != '\0')
			len = ULLONG_MAX;
	}
	if (!rate_allow(rq->client)) {
		rq->state = REQ_ANSWERED;
		pthread_mutex_lock(&front.lock);
		front.rate_limited++;
		pthread_mutex_unlock(&front.lock);
		return send_text(c, rq, MHD_HTTP_TOO_MANY_REQUESTS,
		    "text/plain", "too many requests from this address\n");
	}
	rt = route_find(url);
	if (rt == NULL ||
	    (rt->listeners & (tls ? FRONT_ON_HTTPS : FRONT_ON_HTTP)) == 0) {
		rq->state = REQ_ANSWERED;
		return send_text(c, rq, MHD_HTTP_NOT_FOUND, "text/plain",
		    "not found\n");
	}
	rq->route = rt;
	/* Refused at once; the connection is closed after. */
	if (!((post && (rt->methods & FRONT_POST)) ||
		((strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		     strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) &&
		    (rt->methods & FRONT_GET)))) {
		rq->state = REQ_ANSWERED;
		return send_text(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "text/plain", "method not allowed here\n");
	}
	if (!post && (len != 0 || te != NULL)) {
		rq->state = REQ_ANSWERED;
		return send_text(c, rq, MHD_HTTP_CONTENT_TOO_LARGE,
		    "text/plain", "no request body here\n");
	}
	if (post && len > rt->max_body && cl != NULL) {
		rq->state = REQ_ANSWERED;
		return send_text(c, rq, MHD_HTTP_CONTENT_TOO_LARGE,
		    "text/plain", "request body too large\n");
	}
	/*
	 * Answer on the last call, when the request is complete: a
	 * response queued earlier makes libmicrohttpd close the
	 * connection instead of keeping it alive.
	 */
	return MHD_YES;
}

static void
body_append(struct front_req *rq, const char *data, size_t n)
{
	uint8_t *p;

	if (rq->body_too_large || n > rq->route->max_body - rq->body_len) {
		rq->body_too_large = 1;
		return;
	}
	if ((p = malloc(rq->body_len + n)) == NULL) {
		rq->body_too_large = 1;
		return;
	}
	if (rq->body != NULL) {
		memcpy(p, rq->body, rq->body_len);
		explicit_bzero(rq->body, rq->body_len);
		free(rq->body);
	}
	memcpy(p + rq->body_len, data, n);
	rq->body = p;
	rq->body_len += n;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size,
    void **con_cls)
{
	struct front_req *rq = *con_cls;
	struct front_ctx x;
	int gone, tls = cls != NULL;

	if (rq == NULL)
		return MHD_NO; /* out of memory in uri_seen: drop */
	if (rq->state == REQ_ANSWERED) {
		/* A body we refused already: discard it. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->state == REQ_NEW)
		return request_start(c, rq, url, method, tls);
	if (*upload_data_size != 0) {
		body_append(rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	rq->state = REQ_ANSWERED;
	if (rq->body_too_large)
		return send_text(c, rq, MHD_HTTP_CONTENT_TOO_LARGE,
		    "text/plain", "request body too large\n");
	pthread_mutex_lock(&front.lock);
	gone = front.signer_gone;
	pthread_mutex_unlock(&front.lock);
	if (gone)
		return send_text(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "text/plain", "signer unavailable\n");
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.rq = rq;
	x.url = url;
	x.method = method;
	x.tls = tls;
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
		x.body = rq->body != NULL ? rq->body : (const uint8_t *)"";
		x.body_len = rq->body_len;
	}
	return rq->route->fn(&x) == MHD_YES ? MHD_YES : MHD_NO;
}

struct MHD_Daemon *
front_http_start(int fd, int tls)
{
	struct MHD_Daemon *d;
	/* ITC: so that the daemon can be quiesced to drain (SIGTERM). */
	unsigned flags =
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;

#ifdef SIGNET_TEST_HOOKS
	test_hooks = getenv("SIGNET_TEST_SERVE_HOOKS") != NULL;
#endif
	if (tls)
		/* TLS 1.2 and 1.3 only; certificates from the callback. */
		d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handle,
		    (void *)&front, MHD_OPTION_LISTEN_SOCKET, fd,
		    MHD_OPTION_HTTPS_PRIORITIES,
		    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		    MHD_OPTION_HTTPS_CERT_CALLBACK, front_tls_retrieve(),
		    MHD_OPTION_THREAD_POOL_SIZE, front.o.threads,
		    MHD_OPTION_CONNECTION_LIMIT, front.o.max_connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, front.o.max_per_client,
		    MHD_OPTION_CONNECTION_TIMEOUT, front.o.idle_timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)front.o.max_header, MHD_OPTION_URI_LOG_CALLBACK,
		    uri_seen, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed,
		    NULL, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
		    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
		    front.o.threads, MHD_OPTION_CONNECTION_LIMIT,
		    front.o.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		    front.o.max_per_client, MHD_OPTION_CONNECTION_TIMEOUT,
		    front.o.idle_timeout,
		    /* Request line and headers must fit in this. */
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)front.o.max_header, MHD_OPTION_URI_LOG_CALLBACK,
		    uri_seen, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed,
		    NULL,
		    /* Bare CR, LF folding and other ambiguities are refused. */
		    MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
	if (d == NULL)
		front_log("cannot start the %s server on %s",
		    tls ? "HTTPS" : "HTTP",
		    tls ? front.o.https_listen : front.o.listen);
	return d;
}

void
front_http_quiesce(struct MHD_Daemon *d)
{
	MHD_socket fd;

	if (d != NULL && (fd = MHD_quiesce_daemon(d)) != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned
front_http_connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info;

	if (d == NULL)
		return 0;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info != NULL ? info->num_connections : 0;
}

void
front_http_stop(struct MHD_Daemon *d)
{
	if (d != NULL)
		MHD_stop_daemon(d);
}
