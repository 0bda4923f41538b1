/*
 * The validator's DNS (docs/acme.md): one c-ares channel pointed at
 * serve.acme.dns-servers, for the addresses of the names http-01 and
 * tls-alpn-01 connect to, and for dns-01 (RFC 8555 8.4): the TXT records
 * of _acme-challenge.<name> must hold base64url(SHA-256(key
 * authorization)). c-ares was chosen because it is small, asynchronous,
 * and can be pointed at given servers without /etc/resolv.conf; its
 * channel is made before the sandbox and looks in DNS only, never in
 * files, which the sandbox forbids.
 *
 * Bounds: an answer longer than DNS_MAX_ANSWER bytes is refused (c-ares
 * retries a truncated UDP answer over TCP, where up to 64 KiB may come);
 * CNAMEs are followed, in the answer as a recursive resolver gives them
 * and by asking again for a target the answer does not cover, at most
 * ACME_DNS_MAX_CNAMES of them (the walk of the answer is in
 * front_acme_dns_answer.c); each lookup has DNS_TIMEOUT_MS in all.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>
#include <arpa/nameser.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "serve/acme_jwk.h"
#include "serve/front_acme_dns.h"
#include "serve/front_acme.h"

#define DNS_TIMEOUT_MS 5000
#define DNS_MAX_ANSWER ACME_DNS_MAX_ANSWER
#define DNS_NAME_MAX ACME_DNS_NAME_MAX

/* One channel, one lookup at a time: c-ares channels are not shared. */
static ares_channel dns;
static pthread_mutex_t dns_lock = PTHREAD_MUTEX_INITIALIZER;

int
front_acme_dns_init(const char *servers)
{
	struct ares_options ao;
	char csv[512];
	size_t i, n = 0;
	int r;

	/* "a, b c" -> "a,b,c" for ares_set_servers_ports_csv. */
	for (i = 0; servers[i] != '\0' && n + 1 < sizeof(csv); i++)
		if (servers[i] == ' ' || servers[i] == ',') {
			if (n > 0 && csv[n - 1] != ',')
				csv[n++] = ',';
		} else
			csv[n++] = servers[i];
	while (n > 0 && csv[n - 1] == ',')
		n--;
	csv[n] = '\0';
	memset(&ao, 0, sizeof(ao));
	ao.lookups = (char *)"b"; /* DNS only: no hosts file */
	ao.timeout = DNS_TIMEOUT_MS / 2;
	ao.tries = 2;
	ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS ||
	    (r = ares_init_options(&dns, &ao,
		 ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
		     ARES_OPT_FLAGS)) != ARES_SUCCESS ||
	    (r = ares_set_servers_ports_csv(dns, csv)) != ARES_SUCCESS) {
		front_log("serve.acme.dns-servers '%s': %s", servers,
		    ares_strerror(r));
		return -1;
	}
	return 0;
}

/*
 * Run the channel until *done or the deadline (then the query is
 * cancelled, which calls its callback). poll, not select: the front
 * end's descriptors may be above FD_SETSIZE.
 */
static void
dns_run(const int *done, int64_t deadline)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval max, tv, *tvp;
	int64_t left;
	unsigned bits, rd, wr;
	int i, n, wait;

	while (!*done && (left = deadline - serve_now_ms()) > 0) {
		/* ares_getsock's bits, read without its macros' 1 << 31. */
		bits = (unsigned)ares_getsock(dns, socks, ARES_GETSOCK_MAXNUM);
		for (i = n = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			rd = bits & (1u << i);
			wr = bits & (1u << (i + ARES_GETSOCK_MAXNUM));
			if (!rd && !wr)
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events =
			    (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
			pfd[n++].revents = 0;
		}
		if (n == 0)
			break;
		max.tv_sec = (time_t)(left / 1000);
		max.tv_usec = (suseconds_t)(left % 1000) * 1000;
		tvp = ares_timeout(dns, &max, &tv);
		wait = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
		if (poll(pfd, (nfds_t)n, wait > 0 ? wait : 1) <= 0) {
			/* A timeout: let c-ares retry or give up. */
			ares_process_fd(dns, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++)
			ares_process_fd(dns,
			    pfd[i].revents & (POLLIN | POLLERR | POLLHUP)
				? pfd[i].fd
				: ARES_SOCKET_BAD,
			    pfd[i].revents & POLLOUT ? pfd[i].fd
						     : ARES_SOCKET_BAD);
	}
	if (!*done)
		ares_cancel(dns);
}

struct dns_address {
	int done;
	int status;
	char addr[INET6_ADDRSTRLEN];
};

static void
address_done(void *arg, int status, int timeouts, struct hostent *h)
{
	struct dns_address *a = arg;

	(void)timeouts;
	a->done = 1;
	a->status = status;
	if (status == ARES_SUCCESS && h != NULL && h->h_addr_list[0] != NULL)
		inet_ntop(h->h_addrtype, h->h_addr_list[0], a->addr,
		    sizeof(a->addr));
	else if (status == ARES_SUCCESS)
		a->status = ARES_ENODATA;
}

int
front_acme_dns_address(const char *name, char out[INET6_ADDRSTRLEN], char *why,
    size_t cap)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct dns_address a;
	int64_t deadline = serve_now_ms() + DNS_TIMEOUT_MS;
	size_t f;

	if (dns == NULL) {
		snprintf(why, cap,
		    "no address for %s (neither serve.acme.resolve nor "
		    "serve.acme.dns-servers has one)",
		    name);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	pthread_mutex_lock(&dns_lock);
	for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		memset(&a, 0, sizeof(a));
		ares_gethostbyname(dns, name, families[f], address_done, &a);
		dns_run(&a.done, deadline);
		if (a.done && a.status == ARES_SUCCESS)
			break;
	}
	pthread_mutex_unlock(&dns_lock);
	if (!a.done || a.status != ARES_SUCCESS) {
		snprintf(why, cap, "cannot resolve %s: %s", name,
		    a.done ? ares_strerror(a.status) : "no answer");
		return -1;
	}
	memcpy(out, a.addr, sizeof(a.addr));
	return 0;
}

/* ---- dns-01 ----------------------------------------------------------- */

struct dns_reply {
	int done;
	int status;
	int len; /* of buf, or of the refused answer */
	int too_long;
	unsigned char buf[DNS_MAX_ANSWER];
};

static void
reply_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_reply *r = arg;

	(void)timeouts;
	r->done = 1;
	r->status = status;
	r->len = alen;
	if (status != ARES_SUCCESS || abuf == NULL || alen <= 0)
		return;
	if (alen > DNS_MAX_ANSWER) {
		r->too_long = 1;
		return;
	}
	memcpy(r->buf, abuf, (size_t)alen);
}

/* Ask for the TXT records of name into r (under dns_lock). */
static int
txt_query(const char *name, struct dns_reply *r, int64_t deadline, char *why,
    size_t cap)
{
	memset(r, 0, sizeof(*r));
	ares_query(dns, name, ns_c_in, ns_t_txt, reply_done, r);
	dns_run(&r->done, deadline);
	if (r->too_long) {
		snprintf(why, cap,
		    "the DNS answer for %s is %d bytes, more than %d", name,
		    r->len, DNS_MAX_ANSWER);
		return -1;
	}
	if (r->status != ARES_SUCCESS) {
		snprintf(why, cap, "no TXT record for %s: %s", name,
		    r->done ? ares_strerror(r->status) : "no answer");
		return -1;
	}
	return 0;
}

int
front_acme_dns01(const char *identifier, const char *token,
    const char *thumbprint, char *why, size_t why_cap)
{
	struct dns_reply *r = NULL;
	const char *host = identifier;
	char query[DNS_NAME_MAX + 2], name[DNS_NAME_MAX + 2];
	char ka[200], expected[ACME_THUMB_LEN + 1], msg[640];
	uint8_t digest[32];
	unsigned hops = 0, n_txt = 0, asked;
	int64_t deadline = serve_now_ms() + DNS_TIMEOUT_MS;
	int m = 0, ret = -1;

	if (strncmp(host, "dns:", 4) == 0)
		host += 4;
	/* A wildcard's record is the base domain's (RFC 8555 8.4). */
	if (strncmp(host, "*.", 2) == 0)
		host += 2;
	if (snprintf(query, sizeof(query), "_acme-challenge.%s", host) >
	    DNS_NAME_MAX) {
		snprintf(why, why_cap, "_acme-challenge.%s is too long", host);
		return -1;
	}
	snprintf(ka, sizeof(ka), "%s.%s", token, thumbprint);
	if (EVP_Digest(ka, strlen(ka), digest, NULL, EVP_sha256(), NULL) != 1) {
		snprintf(why, why_cap, "cannot hash the key authorization");
		return -1;
	}
	acme_b64url_encode(digest, sizeof(digest), expected);
	if (dns == NULL) {
		snprintf(why, why_cap,
		    "dns-01 needs serve.acme.dns-servers, which is not set");
		return -1;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		snprintf(why, why_cap, "out of memory");
		return -1;
	}
	snprintf(name, sizeof(name), "%s", query);
	pthread_mutex_lock(&dns_lock);
	/* Ask again for a CNAME target the answer does not cover. */
	do {
		asked = hops;
		if (txt_query(name, r, deadline, msg, sizeof(msg)) != 0) {
			snprintf(why, why_cap, "%s", msg);
			goto out;
		}
		if ((m = acme_dns_txt_match(r->buf, (size_t)r->len, name, &hops,
			 expected, &n_txt, msg, sizeof(msg))) < 0) {
			snprintf(why, why_cap, "%s: %s", query, msg);
			goto out;
		}
	} while (m == 0 && n_txt == 0 && hops > asked);
	if (m == 0) {
		snprintf(why, why_cap,
		    "%s: none of its %u TXT records is the key "
		    "authorization's digest",
		    query, n_txt);
		goto out;
	}
	ret = 0;
out:
	pthread_mutex_unlock(&dns_lock);
	free(r);
	return ret;
}
