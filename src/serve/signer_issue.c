/*
 * ISSUE: the front end asks for a certificate. Of what it says, the
 * signer takes only who asks (the requester) and which identifiers it
 * validated; the CSR goes through the same pipeline as `signet issue`
 * (policy, the CSR's names against those identifiers, serial, lint,
 * intent logged before the token signs, recorded after), and the answer
 * is the certificate with its chain, or the refusal and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/signer_int.h"
#include "signet/ca.h"

static void
reply(struct signer *s, uint32_t id, const struct serve_issue_reply *a)
{
	struct serve_wbuf w;

	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	if (serve_issue_reply_encode(a, &w) == 0)
		(void)signer_send(s, SERVE_MSG_ISSUE_REPLY, id, w.p, w.len);
	else
		signer_say("cannot encode the answer to ISSUE %u", id);
	serve_wbuf_free(&w);
}

void
signer_issue(struct signer *s, const struct serve_msg *m)
{
	struct serve_issue *q = NULL;
	struct serve_issue_reply a;
	struct signet_ca_request req;
	struct signet_ca_result res;
	const char *ids[SERVE_ISSUE_MAX_IDS];
	char *pem = NULL;
	size_t i, pem_len = 0;
	int r;

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	if ((q = malloc(sizeof(*q))) == NULL) {
		a.status = SIGNET_ERR_INTERNAL;
		snprintf(a.message, sizeof(a.message), "out of memory");
		goto answer;
	}
	if (serve_issue_decode(m->body, m->len, q) != 0) {
		signer_kill_frontend(s, "ISSUE does not decode", m->type);
		goto out;
	}
	if (s->ca == NULL) {
		a.status = SIGNET_ERR_TOKEN;
		snprintf(a.message, sizeof(a.message),
		    "the CA is not open (a reload failed); try again later");
		goto answer;
	}
	for (i = 0; i < q->n_ids; i++)
		ids[i] = q->ids[i];
	memset(&req, 0, sizeof(req));
	req.name = q->requester;
	req.csr = q->csr;
	req.csr_len = q->csr_len;
	req.profile = q->profile;
	req.requester = q->requester;
	req.validated = ids;
	req.n_validated = q->n_ids;
	req.check_names = 1;
	r = signet_ca_issue(s->ca, &req, &res);
	if (r != 0) {
		a.status = r;
		snprintf(a.message, sizeof(a.message), "%s",
		    res.message != NULL ? res.message : signet_error_message());
		signer_count_error(s, r);
		if (signet_err_category(r) != SIGNET_CAT_POLICY)
			signer_say("ISSUE from %s refused: %s", q->requester,
			    a.message);
		goto answer;
	}
	if ((r = signet_ca_pem(s->ca, res.der, res.der_len, 1, &pem,
		 &pem_len)) != 0) {
		/* Issued and recorded: the requester can fetch it later. */
		a.status = r;
		snprintf(a.message, sizeof(a.message),
		    "certificate %s was issued but cannot be encoded: %s",
		    res.serial, signet_error_message());
		goto answer;
	}
	snprintf(a.serial, sizeof(a.serial), "%s", res.serial);
	a.not_before = res.not_before;
	a.not_after = res.not_after;
	a.chain = (const uint8_t *)pem;
	a.chain_len = pem_len;
answer:
	reply(s, m->id, &a);
out:
	free(pem);
	signet_ca_result_clear(&res);
	free(q);
}
