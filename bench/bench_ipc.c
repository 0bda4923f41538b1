/*
 * What the socketpair between signet serve's front end and its signer
 * costs per issuance:
 *
 *   bench_ipc CONFIG CSR IDS N [ROUNDS]
 *
 * opens the CA of CONFIG and issues N certificates for the CSR (PEM or
 * DER; IDS its names as "dns:a,dns:b") three ways, ROUNDS times (default
 * 5) in turn, and prints the median time per request of each:
 *   in-process   signet_ca_issue and the PEM chain, as the signer does;
 *   over IPC     the same, with the request and the answer going through
 *                the ISSUE / ISSUE_REPLY codec and a socketpair from a
 *                forked process that plays the front end (serve_send,
 *                serve_reader, serve_msg_check: the code signet serve
 *                runs), answered on this process's main thread;
 *   IPC, 8 busy  the same with 8 requests in flight, as when the
 *                front end's threads wait on several issuances at once:
 *                the signer finds the next request waiting, and does not
 *                sleep between them;
 *   IPC alone    the round trip with a fixed answer and no issuance.
 * The overhead is "over IPC" minus "in-process". Each is given in wall
 * time and in CPU time (user + system of both processes, from getrusage):
 * on a busy machine the wall time carries the scheduler's wake-up latency
 * and other people's work, the CPU time only what the IPC itself costs.
 * It measures; it asserts nothing about time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "serve/ipc.h"
#include "signet/ca.h"
#include "util/file.h"

/* Requests in flight in the second IPC mode, as under load. */
#define DEPTH 8

static struct signet_ca *ca;
static uint8_t *csr;
static size_t csr_len;
static const char *ids[SERVE_ISSUE_MAX_IDS];
static size_t n_ids;

static void
die(const char *what)
{
	fprintf(stderr, "bench_ipc: %s: %s\n", what, signet_error_message());
	exit(1);
}

/* CPU seconds (user + system) of this process and its reaped children. */
static double
cpu(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec +
			c.ru_utime.tv_sec + c.ru_stime.tv_sec) +
	       (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec +
			c.ru_utime.tv_usec + c.ru_stime.tv_usec) /
		   1e6;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the signer does for one request: issue, then the PEM chain. */
static int
issue_one(char **pem, size_t *pem_len)
{
	struct signet_ca_request req;
	struct signet_ca_result res;
	int r;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.name = "bench";
	req.csr = csr;
	req.csr_len = csr_len;
	req.profile = "tls-server";
	req.requester = "bench";
	req.validated = ids;
	req.n_validated = n_ids;
	req.check_names = 1;
	if ((r = signet_ca_issue(ca, &req, &res)) == 0)
		r = signet_ca_pem(ca, res.der, res.der_len, 1, pem, pem_len);
	signet_ca_result_clear(&res);
	return r;
}

/* Read one whole frame, polling while there is none. 0 or -1. */
static int
read_frame(int fd, struct serve_reader *rd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	while ((r = serve_reader_read(fd, rd)) == 0)
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
	return r == 1 ? 0 : -1;
}

struct signer_arg {
	int fd;
	int canned; /* answer with a fixed chain, issue nothing */
};

static void *
signer_thread(void *p)
{
	struct signer_arg *a = p;
	struct serve_reader rd;
	static struct serve_issue q;
	struct serve_issue_reply ans;
	struct serve_wbuf w;
	struct serve_msg m;
	const char *why;
	char *pem = NULL, canned[1400];
	size_t pem_len = 0;

	memset(canned, 'A', sizeof(canned));
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_SIGNER);
	while (read_frame(a->fd, &rd) == 0) {
		if (serve_msg_check(rd.buf, rd.have, SERVE_FROM_FRONT, &m,
			&why) != 0 ||
		    serve_issue_decode(m.body, m.len, &q) != 0) {
			fprintf(stderr, "bench_ipc: bad frame\n");
			exit(1);
		}
		memset(&ans, 0, sizeof(ans));
		if (a->canned) {
			ans.chain = (const uint8_t *)canned;
			ans.chain_len = sizeof(canned);
		} else if (issue_one(&pem, &pem_len) != 0)
			die("issuing over IPC");
		else {
			ans.chain = (const uint8_t *)pem;
			ans.chain_len = pem_len;
		}
		serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
		if (serve_issue_reply_encode(&ans, &w) != 0 ||
		    serve_send(a->fd, SERVE_MSG_ISSUE_REPLY, m.id, w.p, w.len,
			5000) != 0) {
			fprintf(stderr, "bench_ipc: cannot answer\n");
			exit(1);
		}
		serve_wbuf_free(&w);
		free(pem);
		pem = NULL;
		serve_reader_next(&rd);
	}
	serve_reader_free(&rd);
	return NULL;
}

/*
 * N requests over a socketpair; seconds per request. As in signet serve,
 * the front end is another process (forked here, holding nothing of the
 * token) and the signer answers on this process's main thread, where
 * in_process() issues too.
 */
static double
over_ipc(unsigned n, int canned, unsigned depth, double *cpu_per)
{
	static struct serve_issue q;
	struct serve_issue_reply ans;
	struct serve_reader rd;
	struct signer_arg arg;
	struct serve_wbuf w;
	struct serve_msg m;
	const char *why;
	int sv[2], tp[2], status;
	unsigned i, sent;
	double t0, c0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe(tp) != 0) {
		perror("socketpair");
		exit(1);
	}
	/* Non-blocking, read after poll, as both sides of signet serve are. */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) != 0) {
		perror("fcntl");
		exit(1);
	}
	c0 = cpu();
	if ((pid = fork()) < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		/* The front end: requests, then the time per request. */
		close(sv[1]);
		close(tp[0]);
		memset(&q, 0, sizeof(q));
		snprintf(q.profile, sizeof(q.profile), "tls-server");
		snprintf(q.requester, sizeof(q.requester), "bench");
		for (i = 0; i < n_ids; i++)
			snprintf(q.ids[i], sizeof(q.ids[i]), "%s", ids[i]);
		q.n_ids = n_ids;
		q.csr = csr;
		q.csr_len = csr_len;
		serve_reader_init(&rd, SERVE_IPC_MAX_TO_FRONT);
		t0 = now();
		/* Up to depth requests in flight; one sent per answer. */
		for (sent = 0, i = 0; i < n; i++) {
			while (sent < n && sent - i < depth) {
				serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
				if (serve_issue_encode(&q, &w) != 0 ||
				    serve_send(sv[0], SERVE_MSG_ISSUE, sent + 1,
					w.p, w.len, 5000) != 0) {
					fprintf(stderr,
					    "bench_ipc: request %u failed\n",
					    sent);
					_exit(1);
				}
				serve_wbuf_free(&w);
				sent++;
			}
			if (read_frame(sv[0], &rd) != 0 ||
			    serve_msg_check(rd.buf, rd.have, SERVE_FROM_SIGNER,
				&m, &why) != 0 ||
			    m.id != i + 1 ||
			    serve_issue_reply_decode(m.body, m.len, &ans) !=
				0 ||
			    ans.status != 0) {
				fprintf(stderr,
				    "bench_ipc: round trip %u failed\n", i);
				_exit(1);
			}
			serve_reader_next(&rd);
		}
		t0 = (now() - t0) / n;
		_exit(write(tp[1], &t0, sizeof(t0)) == (ssize_t)sizeof(t0) ? 0
									   : 1);
	}
	close(sv[0]);
	close(tp[1]);
	arg.fd = sv[1];
	arg.canned = canned;
	(void)signer_thread(&arg); /* until the front end closes its end */
	close(sv[1]);
	if (read(tp[0], &t0, sizeof(t0)) != (ssize_t)sizeof(t0) ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_ipc: the front end failed\n");
		exit(1);
	}
	*cpu_per = (cpu() - c0) / n;
	close(tp[0]);
	return t0;
}

static double
in_process(unsigned n, double *cpu_per)
{
	char *pem = NULL;
	size_t pem_len;
	unsigned i;
	double t0 = now(), c0 = cpu();

	for (i = 0; i < n; i++) {
		if (issue_one(&pem, &pem_len) != 0)
			die("issuing in process");
		free(pem);
	}
	*cpu_per = (cpu() - c0) / n;
	return (now() - t0) / n;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One line: the medians (and spread) of wall and CPU time; sorts both. */
static void
row(const char *what, double *wall, double *cpus, unsigned rounds)
{
	qsort(wall, rounds, sizeof(wall[0]), cmp);
	qsort(cpus, rounds, sizeof(cpus[0]), cmp);
	printf("  %-10s  %8.1f us (min %7.1f, max %7.1f)  %8.1f us (min %7.1f, "
	       "max %7.1f)\n",
	    what, wall[rounds / 2] * 1e6, wall[0] * 1e6, wall[rounds - 1] * 1e6,
	    cpus[rounds / 2] * 1e6, cpus[0] * 1e6, cpus[rounds - 1] * 1e6);
}

int
main(int argc, char **argv)
{
	double a[64], b[64], c[64], d[64], ca_[64], cb[64], cc[64], cd[64];
	unsigned n, rounds, i;
	uint8_t *buf = NULL;
	size_t len;
	char *list, *tok, *save;
	BIO *bio;
	X509_REQ *req;
	unsigned char *der = NULL;
	int dl;

	if (argc < 5) {
		fprintf(stderr, "usage: bench_ipc CONFIG CSR IDS N [ROUNDS]\n");
		return 2;
	}
	n = (unsigned)strtoul(argv[4], NULL, 10);
	rounds = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 5;
	if (n == 0 || rounds == 0 || rounds > 64)
		return 2;
	if (file_read(argv[2], 64 * 1024, &buf, &len) != 0)
		die(argv[2]);
	bio = BIO_new_mem_buf(buf, (int)len);
	if ((req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL)) != NULL) {
		if ((dl = i2d_X509_REQ(req, &der)) <= 0)
			return 1;
		csr = der;
		csr_len = (size_t)dl;
		X509_REQ_free(req);
	} else {
		csr = buf;
		csr_len = len;
	}
	BIO_free(bio);
	list = strdup(argv[3]);
	for (tok = strtok_r(list, ",", &save);
	     tok != NULL && n_ids < SERVE_ISSUE_MAX_IDS;
	     tok = strtok_r(NULL, ",", &save))
		ids[n_ids++] = tok;
	if (signet_ca_open(argv[1], SIGNET_CA_OPEN_SIGN | SIGNET_CA_OPEN_POLICY,
		&ca) != 0)
		die(argv[1]);
	/* Warm up: sessions, caches. */
	(void)in_process(n / 10 + 1, &ca_[0]);
	(void)over_ipc(n / 10 + 1, 0, 1, &cb[0]);
	for (i = 0; i < rounds; i++) {
		a[i] = in_process(n, &ca_[i]);
		b[i] = over_ipc(n, 0, 1, &cb[i]);
		d[i] = over_ipc(n, 0, DEPTH, &cd[i]);
		c[i] = over_ipc(n, 1, 1, &cc[i]);
	}
	printf("%u rounds of %u requests, median per request:\n", rounds, n);
	printf("              wall time                          CPU time\n");
	row("in-process", a, ca_, rounds);
	row("over IPC", b, cb, rounds);
	row("IPC, 8 busy", d, cd, rounds);
	row("IPC alone", c, cc, rounds);
	printf("  overhead    %8.1f us (over IPC - in-process)    %8.1f us\n",
	    (b[rounds / 2] - a[rounds / 2]) * 1e6,
	    (cb[rounds / 2] - ca_[rounds / 2]) * 1e6);
	printf("  overhead    %8.1f us (8 in flight - in-process) %8.1f us\n",
	    (d[rounds / 2] - a[rounds / 2]) * 1e6,
	    (cd[rounds / 2] - ca_[rounds / 2]) * 1e6);
	if (signet_ca_close(ca) != 0)
		die("closing");
	free(list);
	free(buf);
	OPENSSL_free(der);
	return 0;
}
