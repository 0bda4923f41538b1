/*
 * Pre-signing OCSP responses, as signet serve's signer does it:
 *
 *   bench_ocsp CONFIG SERIAL N
 *
 * opens the CA of CONFIG and signs N responses for certificate SERIAL
 * with signet_ca_ocsp_sign (build, lint, token signature, verification,
 * wrapping), alternating good and revoked, and prints responses per
 * second and the size of one. The signer is the delegated responder when
 * the instance has one (signet serve made it), else the CA key, as
 * signet serve does with serve.ocsp.signer delegated and ca. Compare with
 * `bench_issue raw CONFIG N` (raw_1: the token's one-thread signing rate) in
 * the same run. It measures; it asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signet/ca.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct signet_ca *ca = NULL;
	struct signet_ca_ocsp_cert c;
	struct signet_ca_ocsp_responder resp;
	uint8_t *der = NULL;
	int found = 0;
	size_t len = 0, i, n;
	int64_t tu;
	double t0, dt;

	if (argc != 4 || (n = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: bench_ocsp CONFIG SERIAL N\n");
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
	memset(&c, 0, sizeof(c));
	c.serial = argv[2];
	c.reason = -1;
	t0 = now();
	for (i = 0; i < n; i++) {
		c.revoked = (int)(i & 1);
		c.revoked_at = c.revoked ? tu - 3600 : 0;
		c.reason = c.revoked ? 1 : -1;
		free(der);
		der = NULL;
		if (signet_ca_ocsp_sign(ca, &c, tu, &der, &len) != 0) {
			fprintf(stderr, "bench_ocsp: %s\n",
			    signet_error_message());
			return 1;
		}
	}
	dt = now() - t0;
	printf("presign %.0f\n", (double)n / dt);
	printf("response_bytes %zu\n", len);
	free(der);
	return signet_ca_close(ca) == 0 ? 0 : 1;
}
