/*
 * What the socketpair between signet serve's front end and its signer
 * costs per issuance:
 *
 *   bench_ipc CONFIG CSR IDS N [ROUNDS]
 *
 * opens the CA of CONFIG and issues N certificates for the CSR (PEM or
 * DER; IDS its names as "dns:a,dns:b") six ways, ROUNDS times (default
 * 5) in turn, and prints the median time per request of each.
 *
 * As a service, which is how signet serve runs: a client process sends
 * each request (the ISSUE message) over a socket and waits for the
 * certificate, one at a time, and
 *   one process  this process decodes it, issues in process and
 *                answers: a CA without privilege separation;
 *   with signer  a front-end process decodes it, encodes it again for
 *                the signer (this process), which issues and answers;
 *                the front end passes the answer on: signet serve's
 *                split, with one more hop and one more process to wake.
 * The difference between the two is what the separation costs a request
 * (given as the median of the differences of the rounds, in which the two
 * run back to back).
 *
 * As a loop, with no request to wait for:
 *   in-process   signet_ca_issue and the PEM chain, back to back on one
 *                thread, caches warm: no service runs this way;
 *   over IPC     the same, each request from a forked process over the
 *                ISSUE / ISSUE_REPLY codec (serve_send, serve_reader,
 *                serve_msg_check: the code signet serve runs), answered on
 *                this process's main thread;
 *   IPC, 8 busy  the same with 8 requests in flight, as when the
 *                front end's threads wait on several issuances at once:
 *                the signer finds the next request waiting, and does not
 *                sleep between them;
 *   IPC alone    the round trip with a fixed answer and no issuance.
 * Each is given in wall time and in CPU time (user + system of every
 * process, from getrusage): on a busy machine the wall time carries the
 * scheduler's wake-up latency and other people's work, the CPU time only
 * what the processes themselves spend. It measures; it asserts nothing
 * about time.
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

static void
fail(const char *what)
{
	fprintf(stderr, "bench_ipc: %s\n", what);
	exit(1);
}

/* The request every client sends: the bench's CSR and names. */
static void
request_make(struct serve_issue *q)
{
	unsigned i;

	memset(q, 0, sizeof(*q));
	snprintf(q->profile, sizeof(q->profile), "tls-server");
	snprintf(q->requester, sizeof(q->requester), "bench");
	for (i = 0; i < n_ids; i++)
		snprintf(q->ids[i], sizeof(q->ids[i]), "%s", ids[i]);
	q->n_ids = n_ids;
	q->csr = csr;
	q->csr_len = csr_len;
}

/* Encode and send one ISSUE; exits on failure. */
static void
send_issue(int fd, const struct serve_issue *q, uint32_t id)
{
	struct serve_wbuf w;

	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	if (serve_issue_encode(q, &w) != 0 ||
	    serve_send(fd, SERVE_MSG_ISSUE, id, w.p, w.len, 5000) != 0)
		fail("cannot send a request");
	serve_wbuf_free(&w);
}

/* Encode and send one ISSUE_REPLY; exits on failure. */
static void
send_reply(int fd, const struct serve_issue_reply *a, uint32_t id)
{
	struct serve_wbuf w;

	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	if (serve_issue_reply_encode(a, &w) != 0 ||
	    serve_send(fd, SERVE_MSG_ISSUE_REPLY, id, w.p, w.len, 5000) != 0)
		fail("cannot answer");
	serve_wbuf_free(&w);
}

/* Read and check one ISSUE_REPLY for id; exits on failure. */
static void
read_reply(int fd, struct serve_reader *rd, uint32_t id,
    struct serve_issue_reply *a)
{
	struct serve_msg m;
	const char *why;

	if (read_frame(fd, rd) != 0 ||
	    serve_msg_check(rd->buf, rd->have, SERVE_FROM_SIGNER, &m, &why) !=
		0 ||
	    m.id != id || serve_issue_reply_decode(m.body, m.len, a) != 0 ||
	    a->status != 0)
		fail("a round trip failed");
}

static void *
signer_thread(void *p)
{
	struct signer_arg *a = p;
	struct serve_reader rd;
	static struct serve_issue q;
	struct serve_issue_reply ans;
	struct serve_msg m;
	const char *why;
	char *pem = NULL, canned[1400];
	size_t pem_len = 0;

	memset(canned, 'A', sizeof(canned));
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_SIGNER);
	while (read_frame(a->fd, &rd) == 0) {
		if (serve_msg_check(rd.buf, rd.have, SERVE_FROM_FRONT, &m,
			&why) != 0 ||
		    serve_issue_decode(m.body, m.len, &q) != 0)
			fail("bad frame");
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
		send_reply(a->fd, &ans, m.id);
		free(pem);
		pem = NULL;
		serve_reader_next(&rd);
	}
	serve_reader_free(&rd);
	return NULL;
}

/* A non-blocking socketpair, as both sides of signet serve use. */
static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) != 0) {
		perror("socketpair");
		exit(1);
	}
}

static pid_t
fork_or_die(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	return pid;
}

/*
 * The client: n requests on fd, up to depth in flight (one sent per
 * answer); writes the seconds per request to tp and exits.
 */
static void
client(int fd, unsigned n, unsigned depth, int tp)
{
	static struct serve_issue q;
	struct serve_issue_reply ans;
	struct serve_reader rd;
	unsigned i, sent;
	double t0;

	request_make(&q);
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_FRONT);
	t0 = now();
	for (sent = 0, i = 0; i < n; i++) {
		for (; sent < n && sent - i < depth; sent++)
			send_issue(fd, &q, sent + 1);
		read_reply(fd, &rd, i + 1, &ans);
		serve_reader_next(&rd);
	}
	t0 = (now() - t0) / n;
	_exit(write(tp, &t0, sizeof(t0)) == (ssize_t)sizeof(t0) ? 0 : 1);
}

/*
 * The front end of the "with signer" service: each request from the
 * client decoded, encoded again for the signer, its answer decoded and
 * passed back. Exits when the client closes its end.
 */
static void
front_end(int cfd, int sfd)
{
	static struct serve_issue q;
	struct serve_issue_reply ans;
	struct serve_reader crd, srd;
	struct serve_msg m;
	const char *why;

	serve_reader_init(&crd, SERVE_IPC_MAX_TO_SIGNER);
	serve_reader_init(&srd, SERVE_IPC_MAX_TO_FRONT);
	while (read_frame(cfd, &crd) == 0) {
		if (serve_msg_check(crd.buf, crd.have, SERVE_FROM_FRONT, &m,
			&why) != 0 ||
		    serve_issue_decode(m.body, m.len, &q) != 0)
			fail("bad frame from the client");
		send_issue(sfd, &q, m.id);
		read_reply(sfd, &srd, m.id, &ans);
		send_reply(cfd, &ans, m.id);
		serve_reader_next(&srd);
		serve_reader_next(&crd);
	}
	_exit(0);
}

/* Reap a child; exits when it failed. */
static void
reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fail("a child process failed");
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
	struct signer_arg arg;
	int sv[2], tp[2];
	double t0, c0;
	pid_t pid;

	pair(sv);
	if (pipe(tp) != 0)
		fail("pipe");
	c0 = cpu();
	if ((pid = fork_or_die()) == 0) {
		close(sv[1]);
		close(tp[0]);
		client(sv[0], n, depth, tp[1]);
	}
	close(sv[0]);
	close(tp[1]);
	arg.fd = sv[1];
	arg.canned = canned;
	(void)signer_thread(&arg); /* until the front end closes its end */
	close(sv[1]);
	if (read(tp[0], &t0, sizeof(t0)) != (ssize_t)sizeof(t0))
		fail("the front end failed");
	reap(pid);
	*cpu_per = (cpu() - c0) / n;
	close(tp[0]);
	return t0;
}

/*
 * N requests from a client process, one at a time; seconds per request.
 * split 0: this process is the server and issues in process. split 1:
 * a front-end process between them, and this process is the signer.
 */
static double
service(unsigned n, int split, double *cpu_per)
{
	struct signer_arg arg;
	int cl[2], sg[2] = { -1, -1 }, tp[2];
	double t0, c0;
	pid_t client_pid, front_pid = -1;

	pair(cl);
	if (split)
		pair(sg);
	if (pipe(tp) != 0)
		fail("pipe");
	c0 = cpu();
	if ((client_pid = fork_or_die()) == 0) {
		close(cl[1]);
		close(tp[0]);
		if (split) {
			close(sg[0]);
			close(sg[1]);
		}
		client(cl[0], n, 1, tp[1]);
	}
	close(cl[0]);
	close(tp[1]);
	if (split && (front_pid = fork_or_die()) == 0) {
		close(tp[0]);
		close(sg[1]);
		front_end(cl[1], sg[0]);
	}
	arg.canned = 0;
	if (split) {
		close(cl[1]);
		close(sg[0]);
		arg.fd = sg[1];
	} else
		arg.fd = cl[1];
	(void)signer_thread(&arg); /* until the other end closes */
	close(arg.fd);
	if (read(tp[0], &t0, sizeof(t0)) != (ssize_t)sizeof(t0))
		fail("the client failed");
	reap(client_pid);
	if (split)
		reap(front_pid);
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
	printf("  %-11s %8.1f us (min %7.1f, max %7.1f)  %8.1f us (min %7.1f, "
	       "max %7.1f)\n",
	    what, wall[rounds / 2] * 1e6, wall[0] * 1e6, wall[rounds - 1] * 1e6,
	    cpus[rounds / 2] * 1e6, cpus[0] * 1e6, cpus[rounds - 1] * 1e6);
}

int
main(int argc, char **argv)
{
	double a[64], b[64], c[64], d[64], e[64], f[64];
	double ca_[64], cb[64], cc[64], cd[64], ce[64], cf[64], g[64], cg[64];
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
	(void)service(n / 10 + 1, 1, &cb[0]);
	for (i = 0; i < rounds; i++) {
		/* Each first in every other round: drift falls on both. */
		if (i % 2 == 0) {
			e[i] = service(n, 0, &ce[i]);
			f[i] = service(n, 1, &cf[i]);
		} else {
			f[i] = service(n, 1, &cf[i]);
			e[i] = service(n, 0, &ce[i]);
		}
		g[i] = f[i] - e[i];
		cg[i] = cf[i] - ce[i];
		a[i] = in_process(n, &ca_[i]);
		b[i] = over_ipc(n, 0, 1, &cb[i]);
		d[i] = over_ipc(n, 0, DEPTH, &cd[i]);
		c[i] = over_ipc(n, 1, 1, &cc[i]);
	}
	printf("%u rounds of %u requests, median per request:\n", rounds, n);
	printf("              wall time                          CPU time\n");
	printf(" as a service (a client process sends each request):\n");
	row("one process", e, ce, rounds);
	row("with signer", f, cf, rounds);
	/*
	 * The two ran back to back in each round: the median of the rounds'
	 * differences is steadier than the difference of the medians when
	 * the machine's load drifts.
	 */
	row("separation", g, cg, rounds);
	printf(" as a loop (no request to wait for):\n");
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
