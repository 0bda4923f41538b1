/*
 * signet-frontend: started by `signet serve` (the signer) with its end of
 * the socketpair on descriptor 3. It binds its listener, drops to the
 * service user, locks itself into a seccomp allowlist, and only then
 * accepts connections. When the signer goes away it answers 503 for a
 * moment and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "serve/front.h"
#include "serve/front_acme.h"

struct front front = {
	.ipc = -1,
	.listen_fd = -1,
	.https_fd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.send_lock = PTHREAD_MUTEX_INITIALIZER,
	.answered = PTHREAD_COND_INITIALIZER,
};

void
front_log(const char *fmt, ...)
{
	/* getpid() is a system call, once per request line otherwise. */
	static long pid;
	char line[1024];
	va_list ap;
	long me;
	int n;

	va_start(ap, fmt);
	if ((me = __atomic_load_n(&pid, __ATOMIC_RELAXED)) == 0) {
		me = (long)getpid();
		__atomic_store_n(&pid, me, __ATOMIC_RELAXED);
	}
	n = snprintf(line, sizeof(line), "signet-frontend[%ld]: ", me);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line: lines of several threads never interleave. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* ---- documents ----------------------------------------------------------- */

struct front_doc *
front_doc_get(int crl)
{
	struct front_doc *d;

	pthread_mutex_lock(&front.lock);
	d = crl ? front.crl : front.ca_cert;
	if (d != NULL)
		d->refs++;
	pthread_mutex_unlock(&front.lock);
	return d;
}

static void
doc_free(struct front_doc *d)
{
	if (d == NULL)
		return;
	free(d->der);
	free(d);
}

void
front_doc_put(struct front_doc *d)
{
	int last;

	if (d == NULL)
		return;
	pthread_mutex_lock(&front.lock);
	last = --d->refs == 0;
	pthread_mutex_unlock(&front.lock);
	if (last)
		doc_free(d);
}

static void
doc_install(struct front_doc *d, int crl)
{
	struct front_doc *old;

	d->refs = 1;
	pthread_mutex_lock(&front.lock);
	old = crl ? front.crl : front.ca_cert;
	if (crl)
		front.crl = d;
	else
		front.ca_cert = d;
	pthread_mutex_unlock(&front.lock);
	front_doc_put(old);
}

static int
doc_from_msg(const struct serve_msg *m)
{
	struct front_doc *d;
	struct tm tm;
	time_t t;
	size_t off = 0;
	int crl = m->type == SERVE_MSG_CRL;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	if (crl) {
		if (serve_crl_info_decode(m->body, m->len, &d->crl) != 0) {
			free(d);
			return -1;
		}
		off = SERVE_CRL_FIXED;
		/* CRL numbers strictly increase: the number is the version. */
		snprintf(d->etag, sizeof(d->etag), "\"crl-%lld\"",
		    (long long)d->crl.number);
		t = (time_t)d->crl.this_update;
		if (gmtime_r(&t, &tm) != NULL)
			strftime(d->last_modified, sizeof(d->last_modified),
			    "%a, %d %b %Y %H:%M:%S GMT", &tm);
	}
	d->len = m->len - off;
	if ((d->der = malloc(d->len)) == NULL) {
		free(d);
		return -1;
	}
	memcpy(d->der, m->body + off, d->len);
	doc_install(d, crl);
	if (crl)
		front_log("serving CRL number %lld (%zu bytes)",
		    (long long)d->crl.number, d->len);
	return 0;
}

/* ---- asking the signer --------------------------------------------------- */

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
front_call(uint8_t req, const void *req_body, size_t req_len, uint8_t *type,
    uint8_t **body, size_t *len, int timeout_ms)
{
	struct front_waiter *w = NULL;
	struct timespec deadline;
	int64_t start = mono_usec();
	uint64_t usec;
	uint32_t id;
	size_t i;
	int r = -1, sent;

	*type = 0;
	*body = NULL;
	*len = 0;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&front.lock);
	if (front.signer_gone)
		goto out;
	for (i = 0; i < FRONT_WAITERS; i++)
		if (front.waiters[i].id == 0) {
			w = &front.waiters[i];
			break;
		}
	if (w == NULL)
		goto out; /* too many questions at once: answer 503 */
	if (++front.next_id == 0)
		front.next_id = 1;
	id = front.next_id;
	w->id = id;
	w->answered = 0;
	w->body = NULL;
	w->len = 0;
	front.signer_requests++;
	pthread_mutex_unlock(&front.lock);

	pthread_mutex_lock(&front.send_lock);
	sent = serve_send(front.ipc, req, id, req_body, req_len, 1000);
	pthread_mutex_unlock(&front.send_lock);

	pthread_mutex_lock(&front.lock);
	while (sent == 0 && !w->answered && !front.signer_gone)
		if (pthread_cond_timedwait(&front.answered, &front.lock,
			&deadline) == ETIMEDOUT)
			break;
	if (w->answered) {
		*type = w->type;
		*body = w->body;
		*len = w->len;
		usec = (uint64_t)(mono_usec() - start);
		front.signer_usec_sum += usec;
		front.signer_usec_last = usec;
		r = 0;
	} else
		front.signer_timeouts++;
	/* Free the slot: an answer arriving later finds no one and is dropped. */
	w->id = 0;
	w->body = NULL;
out:
	pthread_mutex_unlock(&front.lock);
	return r;
}

int
front_health(struct serve_health *h, uint64_t *usec, int timeout_ms)
{
	int64_t start = mono_usec();
	uint8_t type, *body;
	size_t len;
	int r = -1;

	memset(h, 0, sizeof(*h));
	*usec = 0;
	if (front_call(SERVE_MSG_HEALTH, NULL, 0, &type, &body, &len,
		timeout_ms) != 0)
		return -1;
	if (type == SERVE_MSG_HEALTH_REPLY &&
	    serve_health_decode(body, len, h) == 0) {
		*usec = (uint64_t)(mono_usec() - start);
		pthread_mutex_lock(&front.lock);
		front.last_health = *h;
		pthread_mutex_unlock(&front.lock);
		r = 0;
	}
	free(body);
	return r;
}

int
front_issue(const struct serve_issue *q, struct serve_issue_reply *a,
    uint8_t **buf, int timeout_ms)
{
	struct serve_wbuf w;
	uint8_t type;
	size_t len;
	int r = -1;

	*buf = NULL;
	memset(a, 0, sizeof(*a));
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	if (serve_issue_encode(q, &w) != 0)
		goto out;
	if (front_call(SERVE_MSG_ISSUE, w.p, w.len, &type, buf, &len,
		timeout_ms) != 0)
		goto out;
	if (type != SERVE_MSG_ISSUE_REPLY ||
	    serve_issue_reply_decode(*buf, len, a) != 0) {
		front_log("the signer's answer to ISSUE does not decode");
		free(*buf);
		*buf = NULL;
		goto out;
	}
	r = 0;
out:
	serve_wbuf_free(&w);
	return r;
}

/* Hand an answer to the request waiting for it; a late one is dropped. */
static void
answer(const struct serve_msg *m)
{
	uint8_t *copy = NULL;
	size_t i;
	int found = 0;

	if (m->len > 0 && (copy = malloc(m->len)) == NULL)
		return; /* the request times out */
	if (m->len > 0)
		memcpy(copy, m->body, m->len);
	pthread_mutex_lock(&front.lock);
	for (i = 0; i < FRONT_WAITERS; i++)
		if (front.waiters[i].id == m->id &&
		    !front.waiters[i].answered) {
			front.waiters[i].type = m->type;
			front.waiters[i].body = copy;
			front.waiters[i].len = m->len;
			front.waiters[i].answered = 1;
			copy = NULL;
			found = 1;
			break;
		}
	if (!found)
		front.signer_late++;
	pthread_cond_broadcast(&front.answered);
	pthread_mutex_unlock(&front.lock);
	free(copy);
}

/* ---- the loop ------------------------------------------------------------ */

/* A certificate that does not parse is logged; the old one stays. */
static int
tls_from_msg(const struct serve_msg *m)
{
	const uint8_t *cert, *key;
	size_t cert_len, key_len;

	if (serve_tls_decode(m->body, m->len, &cert, &cert_len, &key,
		&key_len) != 0)
		return -1;
	if (front.https_fd < 0 ||
	    front_tls_install(cert, cert_len, key, key_len) != 0)
		return 0;
	if (front.https == NULL &&
	    (front.https = front_http_start(front.https_fd, 1)) != NULL)
		front_log("listening on %s (HTTPS)", front.o.https_listen);
	return 0;
}

static int
handle(const uint8_t *frame, size_t n)
{
	struct serve_msg m;
	const char *why;

	if (serve_msg_check(frame, n, SERVE_FROM_SIGNER, &m, &why) != 0) {
		front_log("the signer sent a bad message (%s)", why);
		return -1;
	}
	if (serve_msg_is_answer(m.type)) {
		answer(&m);
		return 0;
	}
	switch (m.type) {
	case SERVE_MSG_CRL:
	case SERVE_MSG_CA_CERT:
		return doc_from_msg(&m);
	case SERVE_MSG_TLS:
		return tls_from_msg(&m);
	case SERVE_MSG_OCSP_ISSUER:
	case SERVE_MSG_OCSP_RESPONSES:
		return front_ocsp_msg(&m);
	default:
		return -1;
	}
}

static void
signer_gone(void)
{
	pthread_mutex_lock(&front.lock);
	front.signer_gone = 1;
	pthread_cond_broadcast(&front.answered);
	pthread_mutex_unlock(&front.lock);
}

/* How long open connections may take to finish after SIGTERM. */
#define DRAIN_MS 5000

static int
connections(struct MHD_Daemon *http)
{
	return front_http_connections(http) +
		   front_http_connections(front.https) >
	       0;
}

/*
 * Until the signer's end closes, or SIGTERM and the drain after it: no
 * new connections, while the open ones finish (answers from the signer
 * still arrive) for up to DRAIN_MS. 0 after a drain, 1 when the signer
 * went away.
 */
static int
loop(int sigfd, struct MHD_Daemon *http)
{
	struct serve_reader rd;
	struct pollfd p[2];
	struct signalfd_siginfo si;
	int64_t drain_until = 0;
	int r, rc = 1;

	serve_reader_init(&rd, SERVE_IPC_MAX_TO_FRONT);
	for (;;) {
		if (drain_until != 0 &&
		    (!connections(http) || mono_usec() >= drain_until)) {
			rc = 0;
			break;
		}
		p[0].fd = front.ipc;
		p[0].events = POLLIN;
		p[1].fd = sigfd;
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, drain_until != 0 ? 50 : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((p[1].revents & POLLIN) &&
		    read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
		    si.ssi_signo != SIGHUP && drain_until == 0) {
			front_log("signal %u: draining, then stopping",
			    (unsigned)si.ssi_signo);
			front_http_quiesce(front.https);
			front_http_quiesce(http);
			drain_until = mono_usec() + (int64_t)DRAIN_MS * 1000;
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		while ((r = serve_reader_read(front.ipc, &rd)) == 1) {
			if (handle(rd.buf, rd.have) != 0)
				goto out;
			serve_reader_next(&rd);
		}
		if (r < 0) {
			front_log("the signer is gone (%s): answering 503, "
				  "then exiting",
			    r == -2      ? "bad frame"
			    : errno != 0 ? strerror(errno)
					 : "connection closed");
			break;
		}
	}
out:
	serve_reader_free(&rd);
	return rc;
}

/* ---- start --------------------------------------------------------------- */

static int
listen_open(const char *spec)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], *colon;
	const char *h;
	int fd = -1, one = 1, e;

	if (snprintf(host, sizeof(host), "%s", spec) >= (int)sizeof(host))
		return -1;
	if ((colon = strrchr(host, ':')) == NULL)
		return -1;
	*colon = '\0';
	h = host;
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		h = host + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((e = getaddrinfo(h, colon + 1, &hints, &ai)) != 0) {
		front_log("serve.listen %s: %s", spec, gai_strerror(e));
		return -1;
	}
	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 256) != 0) {
		front_log("cannot listen on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int
opt_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > UINT_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "https-listen", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "max-per-client", required_argument, NULL, 'p' },
		{ "max-header", required_argument, NULL, 'H' },
		{ "idle-timeout", required_argument, NULL, 'T' },
		{ "max-rate", required_argument, NULL, 'M' },
		{ "log-json", no_argument, NULL, 'J' },
		{ "acme-profiles", required_argument, NULL, 'A' },
		{ "acme-http-port", required_argument, NULL, 'P' },
		{ "acme-allow", required_argument, NULL, 'W' },
		{ "acme-resolve", required_argument, NULL, 'R' },
		{ "acme-dns-servers", required_argument, NULL, 'D' },
		{ "acme-eab-required", required_argument, NULL, 'E' },
		{ "acme-tls-alpn-port", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct MHD_Daemon *d = NULL;
	struct front_acme_opts acme;
	sigset_t mask;
	int c, sigfd, bad = 0, r;
	unsigned *u;

	front.o.threads = 4;
	front.o.max_connections = 1024;
	front.o.max_per_client = 32;
	front.o.max_header = 8192;
	front.o.idle_timeout = 10;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		u = NULL;
		switch (c) {
		case 'l':
			front.o.listen = optarg;
			break;
		case 's':
			front.o.https_listen = optarg;
			break;
		case 'u':
			front.o.user = optarg;
			break;
		case 'i':
			front.o.issuer = optarg;
			break;
		case 't':
			u = &front.o.threads;
			break;
		case 'c':
			u = &front.o.max_connections;
			break;
		case 'p':
			u = &front.o.max_per_client;
			break;
		case 'H':
			u = &front.o.max_header;
			break;
		case 'T':
			u = &front.o.idle_timeout;
			break;
		case 'M':
			u = &front.o.max_rate;
			break;
		case 'J':
			front.o.log_json = 1;
			break;
		case 'A':
			front.o.acme_profiles = optarg;
			break;
		case 'P':
			u = &front.o.acme_http_port;
			break;
		case 'W':
			front.o.acme_allow = optarg;
			break;
		case 'R':
			front.o.acme_resolve = optarg;
			break;
		case 'D':
			front.o.acme_dns = optarg;
			break;
		case 'E':
			front.o.acme_eab = optarg;
			break;
		case 'L':
			u = &front.o.acme_tls_alpn_port;
			break;
		default:
			bad = 1;
			break;
		}
		if (u != NULL && opt_uint(optarg, u) != 0)
			bad = 1;
	}
	if (bad || optind != argc || front.o.listen == NULL ||
	    front.o.user == NULL || front.o.issuer == NULL ||
	    front.o.threads == 0) {
		front_log("usage: signet-frontend --listen ADDR:PORT --user "
			  "NAME --issuer NAME [limits] (started by 'signet "
			  "serve', with the signer on descriptor 3)");
		return 2;
	}
	front.ipc = SERVE_IPC_FD;
	if (fcntl(front.ipc, F_GETFD) == -1) {
		front_log("no signer on descriptor %d", SERVE_IPC_FD);
		return 2;
	}
	if (fcntl(front.ipc, F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(front.ipc, F_SETFL, O_NONBLOCK) != 0)
		return 1;
	/* Signals arrive through the loop's signalfd, in every thread. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Whatever is read once is read now, before the sandbox: the time
	 * zone, and jansson's hash seed (from /dev/urandom).
	 */
	tzset();
	json_object_seed(0);
	if ((front.listen_fd = listen_open(front.o.listen)) < 0)
		return 1;
	if (front.o.https_listen != NULL &&
	    (front.https_fd = listen_open(front.o.https_listen)) < 0)
		return 1;
	acme.profiles = front.o.acme_profiles;
	acme.http_port = front.o.acme_http_port;
	acme.tls_alpn_port = front.o.acme_tls_alpn_port;
	acme.allow = front.o.acme_allow;
	acme.resolve = front.o.acme_resolve;
	acme.dns_servers = front.o.acme_dns;
	acme.eab_required = front.o.acme_eab;
	if (front_acme_init(&acme) != 0)
		return 1;
	if (front_drop_privileges(front.o.user) != 0 || front_sandbox() != 0)
		return 1;
	/* From here on, no syscall outside the allowlist. */
	if ((d = front_http_start(front.listen_fd, 0)) == NULL)
		return 1;
	front_log("listening on %s as %s", front.o.listen, front.o.user);
	pthread_mutex_lock(&front.send_lock);
	r = serve_send(front.ipc, SERVE_MSG_READY, 0, NULL, 0, 2000);
	pthread_mutex_unlock(&front.send_lock);
	r = r == 0 ? loop(sigfd, d) : 1;
	if (r != 0) {
		/* The signer is gone: tell clients so while they drain. */
		signer_gone();
		sleep(1);
	}
	front_http_stop(front.https);
	front_http_stop(d);
	front_tls_free_all();
	return r == 0 ? 0 : 1;
}
