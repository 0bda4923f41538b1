/*
 * OCSP in the front end: the pre-signed responses the signer pushes, in a
 * hash table keyed by serial (the issuer is checked first: one CA per
 * service), and the GET /ocsp/<base64> and POST /ocsp routes answering
 * from it. Nothing is signed here: a request for a certificate without a
 * response (unknown, not issued by this CA, expired) is `unauthorized`,
 * never `good`; a nonce in the request is not echoed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <microhttpd.h>

#include "serve/front.h"
#include "serve/front_ocsp.h"

struct ocsp_resp {
	struct ocsp_resp *next; /* in its bucket */
	uint8_t serial[20];
	size_t serial_len;
	int64_t this_update;
	int64_t next_update;
	char etag[48];
	uint8_t *der;
	size_t len;
	/*
	 * The 200 answer with its headers, built at most once a second
	 * (max-age counts down) and queued on every connection asking in
	 * that second: libmicrohttpd counts its users, so replacing or
	 * freeing it here never pulls it from under a connection.
	 */
	pthread_mutex_t lock;
	struct MHD_Response *answer;
	int64_t answer_at;
};

static struct {
	pthread_rwlock_t lock;
	int have_issuer;
	struct serve_ocsp_issuer issuer;
	struct ocsp_resp **bucket;
	size_t nbuckets; /* a power of two */
	size_t n;
	uint64_t hits, misses;
} ocsp = { PTHREAD_RWLOCK_INITIALIZER, 0, { { 0 }, { 0 }, { 0 }, { 0 } }, NULL,
	0, 0, 0, 0 };

static size_t
serial_hash(const uint8_t *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct ocsp_resp **
slot(const uint8_t *serial, size_t n)
{
	struct ocsp_resp **pp;

	if (ocsp.nbuckets == 0)
		return NULL;
	pp = &ocsp.bucket[serial_hash(serial, n) & (ocsp.nbuckets - 1)];
	while (*pp != NULL && ((*pp)->serial_len != n ||
				  memcmp((*pp)->serial, serial, n) != 0))
		pp = &(*pp)->next;
	return pp;
}

/* Under the write lock: twice the buckets when as many entries. */
static int
grow(void)
{
	size_t nb = ocsp.nbuckets == 0 ? 1024 : ocsp.nbuckets * 2, i;
	struct ocsp_resp **b, *e, *next;

	if (ocsp.n < ocsp.nbuckets)
		return 0;
	if ((b = calloc(nb, sizeof(struct ocsp_resp *))) == NULL)
		return -1;
	for (i = 0; i < ocsp.nbuckets; i++)
		for (e = ocsp.bucket[i]; e != NULL; e = next) {
			next = e->next;
			e->next =
			    b[serial_hash(e->serial, e->serial_len) & (nb - 1)];
			b[serial_hash(e->serial, e->serial_len) & (nb - 1)] = e;
		}
	free(ocsp.bucket);
	ocsp.bucket = b;
	ocsp.nbuckets = nb;
	return 0;
}

static struct ocsp_resp *
resp_new(const struct serve_ocsp_entry *e)
{
	struct ocsp_resp *r = calloc(1, sizeof(*r));
	uint8_t h[32];
	size_t i;

	if (r == NULL || (r->der = malloc(e->der_len)) == NULL) {
		free(r);
		return NULL;
	}
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r->der);
		free(r);
		return NULL;
	}
	memcpy(r->der, e->der, e->der_len);
	r->len = e->der_len;
	memcpy(r->serial, e->serial, e->serial_len);
	r->serial_len = e->serial_len;
	r->this_update = e->this_update;
	r->next_update = e->next_update;
	/* The ETag names the bytes: a new response is a new tag. */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, r->der, r->len, h) != 0)
		memset(h, 0, sizeof(h));
	r->etag[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(r->etag + 1 + 2 * i, 3, "%02x", h[i]);
	r->etag[33] = '"';
	r->etag[34] = '\0';
	return r;
}

static void
resp_free(struct ocsp_resp *r)
{
	if (r->answer != NULL)
		MHD_destroy_response(r->answer);
	pthread_mutex_destroy(&r->lock);
	free(r->der);
	free(r);
}

int
front_ocsp_msg(const struct serve_msg *m)
{
	struct serve_ocsp_issuer is;
	struct serve_ocsp_entry e;
	struct serve_rbuf rb;
	struct ocsp_resp *r, **pp;
	uint32_t n, i;

	if (m->type == SERVE_MSG_OCSP_ISSUER) {
		if (serve_ocsp_issuer_decode(m->body, m->len, &is) != 0)
			return -1;
		pthread_rwlock_wrlock(&ocsp.lock);
		ocsp.issuer = is;
		ocsp.have_issuer = 1;
		pthread_rwlock_unlock(&ocsp.lock);
		return 0;
	}
	if (serve_ocsp_batch_check(m->body, m->len, &n) != 0)
		return -1;
	serve_rbuf_init(&rb, m->body, m->len);
	(void)serve_get_u32(&rb);
	pthread_rwlock_wrlock(&ocsp.lock);
	for (i = 0; i < n; i++) {
		if (serve_ocsp_batch_next(&rb, &e) != 0 || grow() != 0 ||
		    (r = resp_new(&e)) == NULL)
			break;
		pp = slot(e.serial, e.serial_len);
		if (*pp != NULL) {
			r->next = (*pp)->next;
			resp_free(*pp);
		} else
			ocsp.n++;
		*pp = r;
	}
	pthread_rwlock_unlock(&ocsp.lock);
	return i == n ? 0 : -1;
}

static const uint8_t status_body[][5] = {
	{ 0x30, 0x03, 0x0a, 0x01, OCSP_MALFORMED_REQUEST },
	{ 0x30, 0x03, 0x0a, 0x01, OCSP_TRY_LATER },
	{ 0x30, 0x03, 0x0a, 0x01, OCSP_UNAUTHORIZED },
};

/*
 * An OCSPResponse with only a status (RFC 6960 4.2.1), never cached by
 * clients: three answers made once and shared by every request.
 */
static struct MHD_Response *status_resp[3];
static pthread_once_t status_once = PTHREAD_ONCE_INIT;

static void
status_init(void)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		status_resp[i] = MHD_create_response_from_buffer(5,
		    (void *)status_body[i], MHD_RESPMEM_PERSISTENT);
		if (status_resp[i] == NULL)
			continue;
		(void)MHD_add_response_header(status_resp[i],
		    MHD_HTTP_HEADER_CONTENT_TYPE, "application/ocsp-response");
		(void)MHD_add_response_header(status_resp[i],
		    MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
}

static int
send_status(struct front_ctx *x, int status)
{
	int i = status == OCSP_MALFORMED_REQUEST ? 0
		: status == OCSP_TRY_LATER       ? 1
						 : 2;

	(void)pthread_once(&status_once, status_init);
	if (status_resp[i] == NULL)
		return MHD_NO;
	return front_send_shared(x, MHD_HTTP_OK, status_resp[i], 5);
}

static void
http_date(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	out[0] = '\0';
	if (gmtime_r(&tt, &tm) != NULL)
		strftime(out, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* The issuer's hashes for the request's algorithm, or NULL. */
static int
issuer_matches(const struct ocsp_certid *id)
{
	const uint8_t *nh, *kh;
	size_t n;

	if (id->hash == OCSP_HASH_SHA1) {
		nh = ocsp.issuer.sha1_name;
		kh = ocsp.issuer.sha1_key;
		n = 20;
	} else if (id->hash == OCSP_HASH_SHA256) {
		nh = ocsp.issuer.sha256_name;
		kh = ocsp.issuer.sha256_key;
		n = 32;
	} else
		return 0;
	return id->name_hash_len == n && id->key_hash_len == n &&
	       memcmp(id->name_hash, nh, n) == 0 &&
	       memcmp(id->key_hash, kh, n) == 0;
}

/* The 200 answer of r as of now: a copy of the DER and its headers. */
static struct MHD_Response *
answer_build(const struct ocsp_resp *r, int64_t now)
{
	struct MHD_Response *resp;
	char cc[128], lm[40], ex[40];

	resp = MHD_create_response_from_buffer(r->len, r->der,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return NULL;
	snprintf(cc, sizeof(cc),
	    "max-age=%lld, public, no-transform, must-revalidate",
	    (long long)(r->next_update - now));
	http_date(r->this_update, lm, sizeof(lm));
	http_date(r->next_update, ex, sizeof(ex));
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		"application/ocsp-response") != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc) !=
		MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lm) !=
		MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, ex) !=
		MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag) !=
		MHD_YES) {
		MHD_destroy_response(resp);
		return NULL;
	}
	return resp;
}

/* 304 Not Modified: the same caching headers, no body. */
static int
send_not_modified(struct front_ctx *x, const struct ocsp_resp *r, int64_t now)
{
	struct MHD_Response *resp;
	char cc[128], lm[40], ex[40];

	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	snprintf(cc, sizeof(cc),
	    "max-age=%lld, public, no-transform, must-revalidate",
	    (long long)(r->next_update - now));
	http_date(r->this_update, lm, sizeof(lm));
	http_date(r->next_update, ex, sizeof(ex));
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, ex);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	return front_send(x, MHD_HTTP_NOT_MODIFIED, resp, 0);
}

static int
answer(struct front_ctx *x, const uint8_t *req, size_t req_len)
{
	struct ocsp_certid id;
	struct ocsp_resp **pp, *r;
	int64_t now = (int64_t)time(NULL);
	size_t len;
	int st, ret;

	if ((st = ocsp_request_parse(req, req_len, &id)) != 0)
		return send_status(x, st);
	pthread_rwlock_rdlock(&ocsp.lock);
	if (!ocsp.have_issuer) {
		pthread_rwlock_unlock(&ocsp.lock);
		return send_status(x, OCSP_TRY_LATER);
	}
	/* Not this CA, a hash it does not use, or no response: not ours. */
	if (!issuer_matches(&id) || id.serial_len > 20 ||
	    (pp = slot(id.serial, id.serial_len)) == NULL ||
	    (r = *pp) == NULL || now >= r->next_update) {
		__atomic_fetch_add(&ocsp.misses, 1, __ATOMIC_RELAXED);
		pthread_rwlock_unlock(&ocsp.lock);
		return send_status(x, OCSP_UNAUTHORIZED);
	}
	__atomic_fetch_add(&ocsp.hits, 1, __ATOMIC_RELAXED);
	if (strcmp(x->method, "GET") == 0 &&
	    front_etag_matches(MHD_lookup_connection_value(x->c,
				   MHD_HEADER_KIND,
				   MHD_HTTP_HEADER_IF_NONE_MATCH),
		r->etag)) {
		ret = send_not_modified(x, r, now);
		pthread_rwlock_unlock(&ocsp.lock);
		return ret;
	}
	/* The read lock keeps r; its own lock, its answer. */
	pthread_mutex_lock(&r->lock);
	if (r->answer == NULL || r->answer_at != now) {
		struct MHD_Response *fresh = answer_build(r, now);

		if (fresh != NULL) {
			if (r->answer != NULL)
				MHD_destroy_response(r->answer);
			r->answer = fresh;
			r->answer_at = now;
		}
	}
	len = r->len;
	ret = r->answer != NULL && r->answer_at == now
		  ? front_send_shared(x, MHD_HTTP_OK, r->answer, len)
		  : MHD_NO;
	pthread_mutex_unlock(&r->lock);
	pthread_rwlock_unlock(&ocsp.lock);
	return ret;
}

int
front_ocsp_route(struct front_ctx *x)
{
	uint8_t buf[OCSP_REQUEST_MAX];
	size_t n = 0;

	if (x->body != NULL || strcmp(x->method, "POST") == 0)
		return answer(x, x->body, x->body_len);
	/* GET /ocsp/<base64 DER> (RFC 6960 A.1). */
	if (strncmp(x->url, "/ocsp/", 6) != 0 ||
	    ocsp_request_from_path(x->url + 6, buf, sizeof(buf), &n) != 0)
		return send_status(x, OCSP_MALFORMED_REQUEST);
	return answer(x, buf, n);
}

void
front_ocsp_counts(size_t *responses, uint64_t *hits, uint64_t *misses)
{
	pthread_rwlock_rdlock(&ocsp.lock);
	*responses = ocsp.n;
	*hits = __atomic_load_n(&ocsp.hits, __ATOMIC_RELAXED);
	*misses = __atomic_load_n(&ocsp.misses, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&ocsp.lock);
}
