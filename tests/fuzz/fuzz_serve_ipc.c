/*
 * libFuzzer target: bytes from a front end, as the signer reads them
 * (src/serve/ipc.c): the incremental frame reader on a non-blocking pipe,
 * then the message table check for each frame, then the body decoders.
 * A front end is untrusted: whatever it sends must be refused cleanly,
 * never read out of bounds.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_frame(const uint8_t *frame, size_t n)
{
	struct serve_msg m;
	struct serve_health h;
	struct serve_crl_info c;
	static struct serve_issue q;
	struct serve_issue_reply a;
	static struct serve_acme aq;
	struct serve_acme_reply ar;
	static struct serve_est e;
	struct serve_est_reply ea;
	struct serve_msg back;
	struct serve_ocsp_issuer is;
	uint32_t count;
	const char *why;
	const uint8_t *input, *mac;
	size_t input_len, mac_len;

	if (serve_msg_check(frame, n, SERVE_FROM_FRONT, &m, &why) != 0) {
		if (why == NULL)
			abort(); /* a refusal always says why */
	} else {
		/* No message type may be sent by both sides. */
		if (serve_msg_check(frame, n, SERVE_FROM_SIGNER, &back, &why) ==
		    0)
			abort();
		if (m.type == SERVE_MSG_ISSUE &&
		    serve_issue_decode(m.body, m.len, &q) == 0 &&
		    (q.n_ids > SERVE_ISSUE_MAX_IDS || q.csr_len == 0))
			abort();
		if (m.type == SERVE_MSG_ACME &&
		    serve_acme_decode(m.body, m.len, &aq) == 0 &&
		    (aq.op == 0 ||
			(aq.op > SERVE_ACME_OP_MAX &&
			    (aq.op < SERVE_ACME_ARI_FIRST ||
				aq.op > SERVE_ACME_ARI_LAST)) ||
			aq.n_ids > SERVE_ACME_MAX_IDS))
			abort();
		/* The binding inside ACCOUNT_NEW_EAB, as the signer reads it. */
		if (m.type == SERVE_MSG_ACME &&
		    serve_acme_decode(m.body, m.len, &aq) == 0 &&
		    aq.op == SERVE_ACME_ACCOUNT_NEW_EAB &&
		    serve_acme_eab_decode(aq.der, aq.der_len, &input,
			&input_len, &mac, &mac_len) == 0 &&
		    (input_len == 0 || input_len > SERVE_ACME_EAB_INPUT_MAX ||
			mac_len == 0 || mac_len > SERVE_ACME_EAB_MAC_MAX))
			abort();
		if ((m.type == SERVE_MSG_EST_CACERTS ||
			m.type == SERVE_MSG_EST_ENROLL ||
			m.type == SERVE_MSG_EST_REENROLL) &&
		    serve_est_decode(m.type, m.body, m.len, &e) == 0 &&
		    (e.csr_len > SERVE_EST_CSR_MAX ||
			e.cert_len > SERVE_EST_CERT_MAX ||
			(m.type != SERVE_MSG_EST_CACERTS && e.csr_len == 0)))
			abort();
	}
	/* The front end's side of the same bytes. */
	if (serve_msg_check(frame, n, SERVE_FROM_SIGNER, &m, &why) == 0) {
		if (m.type == SERVE_MSG_HEALTH_REPLY)
			(void)serve_health_decode(m.body, m.len, &h);
		if (m.type == SERVE_MSG_CRL)
			(void)serve_crl_info_decode(m.body, m.len, &c);
		if (m.type == SERVE_MSG_ISSUE_REPLY)
			(void)serve_issue_reply_decode(m.body, m.len, &a);
		if (m.type == SERVE_MSG_OCSP_ISSUER)
			(void)serve_ocsp_issuer_decode(m.body, m.len, &is);
		if (m.type == SERVE_MSG_OCSP_RESPONSES &&
		    serve_ocsp_batch_check(m.body, m.len, &count) == 0 &&
		    (count == 0 || count > SERVE_OCSP_BATCH_MAX))
			abort();
		if (m.type == SERVE_MSG_ACME_REPLY &&
		    serve_acme_reply_decode(m.body, m.len, &ar) == 0 &&
		    ((ar.status == 0) != (ar.problem[0] == '\0') ||
			strlen(ar.limit) > SERVE_ACME_LIMIT_MAX))
			abort();
		if (m.type == SERVE_MSG_EST_REPLY)
			(void)serve_est_reply_decode(m.body, m.len, &ea);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_reader rd;
	int p[2], r;

	/* A pipe holds 64 KiB without a reader; inputs are smaller. */
	if (size > 60000 || pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
		return 0;
	if (size > 0 && write(p[1], data, size) != (ssize_t)size)
		abort();
	close(p[1]);
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_SIGNER);
	while ((r = serve_reader_read(p[0], &rd)) == 1) {
		check_frame(rd.buf, rd.have);
		serve_reader_next(&rd);
	}
	serve_reader_free(&rd);
	close(p[0]);
	return 0;
}
