/*
 * Pre-signing OCSP responses, as signet serve's signer does it:
 *
 *   bench_ocsp CONFIG SERIAL N [THREADS]
 *
 * opens the CA of CONFIG and signs N responses for certificate SERIAL
 * (build, lint, token signature, verification, wrapping), alternating good
 * and revoked, and prints responses per second and the size of one.
 * THREADS 1: one at a time on this thread (signet_ca_ocsp_sign); more:
 * signet_ca_ocsp_sign_many in turns of 256, as the signer does, on that
 * many worker threads (issuance.workers) with this thread helping; 0 or
 * none: one worker per CPU, the service's default. The signer is the
 * delegated responder when the instance has one (signet serve made it),
 * else the CA key, as signet serve does with serve.ocsp.signer delegated
 * and ca. Compare with `bench_issue raw CONFIG N` (raw_1, raw_n: the
 * token's signing rate on one thread and on one per CPU) in the same run.
 * It measures; it asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/ca_int.h"
#include "signet/ca.h"

#define TURN 256 /* OCSP_SIGN_PER_TURN in src/serve/signer_ocsp.c */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
item(struct signet_ca_ocsp_cert *c, const char *serial, size_t i, int64_t tu)
{
	memset(c, 0, sizeof(*c));
	c->serial = serial;
	c->revoked = (int)(i & 1);
	c->revoked_at = c->revoked ? tu - 3600 : 0;
	c->reason = c->revoked ? 1 : SIGNET_CRL_REASON_NONE;
}

/* One at a time on this thread; the size of the last response. */
static int
sign_one_by_one(struct signet_ca *ca, const char *serial, size_t n, int64_t tu,
    size_t *len)
{
	struct signet_ca_ocsp_cert c;
	uint8_t *der = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		item(&c, serial, i, tu);
		free(der);
		der = NULL;
		if (signet_ca_ocsp_sign(ca, &c, tu, &der, len) != 0)
			return -1;
	}
	free(der);
	return 0;
}

/* In turns of TURN on the worker threads. */
static int
sign_in_turns(struct signet_ca *ca, const char *serial, size_t n, int64_t tu,
    size_t *len)
{
	struct signet_ca_ocsp_cert c[TURN];
	struct signet_ca_ocsp_result res[TURN];
	size_t i, k, done;
	int r = 0;

	for (done = 0; r == 0 && done < n; done += k) {
		k = n - done < TURN ? n - done : TURN;
		for (i = 0; i < k; i++)
			item(&c[i], serial, done + i, tu);
		if (signet_ca_ocsp_sign_many(ca, c, k, tu, res) != 0)
			return -1;
		for (i = 0; i < k; i++) {
			if (res[i].status != 0 && r == 0) {
				fprintf(stderr, "bench_ocsp: %s\n",
				    res[i].message != NULL ? res[i].message
							   : "?");
				r = -1;
			}
			*len = res[i].der_len;
			signet_ca_ocsp_result_clear(&res[i]);
		}
	}
	return r;
}

int
main(int argc, char **argv)
{
	struct signet_ca *ca = NULL;
	struct signet_ca_ocsp_responder resp;
	int found = 0, r;
	size_t len = 0, n;
	unsigned long threads = 0;
	int64_t tu;
	double t0, dt;

	if ((argc != 4 && argc != 5) || (n = strtoul(argv[3], NULL, 10)) == 0 ||
	    (argc == 5 &&
		(threads = strtoul(argv[4], NULL, 10)) > CA_WORKERS_MAX)) {
		fprintf(stderr,
		    "usage: bench_ocsp CONFIG SERIAL N [THREADS]\n");
		return 2;
	}
	if (signet_ca_open(argv[1], SIGNET_CA_OPEN_SIGN, &ca) != 0) {
		fprintf(stderr, "bench_ocsp: %s\n", signet_error_message());
		return 1;
	}
	tu = (int64_t)time(NULL);
	if (signet_ca_ocsp_responder_load(ca, tu, &resp, &found) != 0) {
		fprintf(stderr, "bench_ocsp: %s\n", signet_error_message());
		return 1;
	}
	printf("signer %s\n", found ? "delegated" : "ca");
	tu -= tu % 60;
	/* The pool starts with the first turn, with this many workers. */
	ca->cfg->workers = (unsigned)threads;
	t0 = now();
	r = threads == 1 ? sign_one_by_one(ca, argv[2], n, tu, &len)
			 : sign_in_turns(ca, argv[2], n, tu, &len);
	dt = now() - t0;
	if (r != 0) {
		fprintf(stderr, "bench_ocsp: %s\n", signet_error_message());
		return 1;
	}
	printf("threads %u\n",
	    threads == 1 || ca->pool == NULL ? 1 : ca_pool_size(ca->pool));
	printf("presign %.0f\n", (double)n / dt);
	printf("seconds %.1f\n", dt);
	printf("response_bytes %zu\n", len);
	return signet_ca_close(ca) == 0 ? 0 : 1;
}
