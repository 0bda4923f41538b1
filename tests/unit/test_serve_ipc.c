/*
 * The signer <-> front end protocol (src/serve/ipc.c): the message table
 * applied to frames from each side, the bodies' encoders and decoders, and
 * the incremental reader fed one byte at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "serve/ipc.h"

/* A frame: header fields as given, then len body bytes (all 'x'). */
static size_t
frame(uint8_t *out, uint8_t version, uint8_t type, uint16_t flags, uint32_t id,
    uint32_t len, size_t body)
{
	out[0] = version;
	out[1] = type;
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	out[4] = (uint8_t)(id >> 24);
	out[5] = (uint8_t)(id >> 16);
	out[6] = (uint8_t)(id >> 8);
	out[7] = (uint8_t)id;
	out[8] = (uint8_t)(len >> 24);
	out[9] = (uint8_t)(len >> 16);
	out[10] = (uint8_t)(len >> 8);
	out[11] = (uint8_t)len;
	memset(out + SERVE_IPC_HEADER, 'x', body);
	return SERVE_IPC_HEADER + body;
}

static void
test_table(void **state)
{
	static const struct {
		const char *name;
		enum serve_peer from;
		uint8_t version, type;
		uint16_t flags;
		uint32_t id, len;
		size_t body;
		const char *why; /* NULL: accepted */
	} t[] = {
		{ "READY", SERVE_FROM_FRONT, 1, SERVE_MSG_READY, 0, 0, 0, 0,
		    NULL },
		{ "HEALTH", SERVE_FROM_FRONT, 1, SERVE_MSG_HEALTH, 0, 7, 0, 0,
		    NULL },
		{ "HEALTH without an id", SERVE_FROM_FRONT, 1, SERVE_MSG_HEALTH,
		    0, 0, 0, 0, "request without an id" },
		{ "HEALTH with a body", SERVE_FROM_FRONT, 1, SERVE_MSG_HEALTH,
		    0, 7, 1, 1, "body size outside" },
		{ "READY with a body", SERVE_FROM_FRONT, 1, SERVE_MSG_READY, 0,
		    0, 3, 3, "body size outside" },
		{ "an unknown type", SERVE_FROM_FRONT, 1, 0x7f, 0, 0, 0, 0,
		    "unknown message type" },
		{ "type 0", SERVE_FROM_FRONT, 1, 0, 0, 0, 0, 0,
		    "unknown message type" },
		{ "a CRL from the front end", SERVE_FROM_FRONT, 1,
		    SERVE_MSG_CRL, 0, 0, 40, 40, "not allowed from this side" },
		{ "a reply from the front end", SERVE_FROM_FRONT, 1,
		    SERVE_MSG_HEALTH_REPLY, 0, 1, 25, 25,
		    "not allowed from this side" },
		{ "TLS from the front end", SERVE_FROM_FRONT, 1, SERVE_MSG_TLS,
		    0, 0, 10, 10, "not allowed from this side" },
		{ "version 2", SERVE_FROM_FRONT, 2, SERVE_MSG_READY, 0, 0, 0, 0,
		    "wrong protocol version" },
		{ "version 0", SERVE_FROM_FRONT, 0, SERVE_MSG_READY, 0, 0, 0, 0,
		    "wrong protocol version" },
		{ "flags", SERVE_FROM_FRONT, 1, SERVE_MSG_READY, 0x100, 0, 0, 0,
		    "flags set" },
		{ "over 64 KiB from the front end", SERVE_FROM_FRONT, 1,
		    SERVE_MSG_HEALTH, 0, 1, 64 * 1024 + 1, 0,
		    "over the size limit" },
		{ "length beyond the frame", SERVE_FROM_FRONT, 1,
		    SERVE_MSG_HEALTH, 0, 1, 4, 2, "does not match" },
		{ "a HEALTH from the signer", SERVE_FROM_SIGNER, 1,
		    SERVE_MSG_HEALTH, 0, 1, 0, 0,
		    "not allowed from this side" },
		{ "a CRL from the signer", SERVE_FROM_SIGNER, 1, SERVE_MSG_CRL,
		    0, 0, 40, 40, NULL },
		{ "a CRL without DER", SERVE_FROM_SIGNER, 1, SERVE_MSG_CRL, 0,
		    0, 32, 32, "body size outside" },
		{ "a reply without an id", SERVE_FROM_SIGNER, 1,
		    SERVE_MSG_HEALTH_REPLY, 0, 0, 25, 25,
		    "request without an id" },
		{ "an empty CA certificate", SERVE_FROM_SIGNER, 1,
		    SERVE_MSG_CA_CERT, 0, 0, 0, 0, "body size outside" },
	};
	uint8_t buf[SERVE_IPC_HEADER + 64];
	struct serve_msg m;
	const char *why;
	size_t i, n;
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = frame(buf, t[i].version, t[i].type, t[i].flags, t[i].id,
		    t[i].len, t[i].body);
		r = serve_msg_check(buf, n, t[i].from, &m, &why);
		if (t[i].why == NULL) {
			if (r != 0)
				fail_msg("%s: refused (%s)", t[i].name, why);
			assert_int_equal(m.type, t[i].type);
			assert_int_equal(m.id, t[i].id);
			assert_int_equal(m.len, t[i].body);
			assert_ptr_equal(m.body, buf + SERVE_IPC_HEADER);
		} else if (r == 0)
			fail_msg("%s: accepted", t[i].name);
		else if (why == NULL || strstr(why, t[i].why) == NULL)
			fail_msg("%s: want '%s', got '%s'", t[i].name, t[i].why,
			    why != NULL ? why : "(none)");
	}
	/* Shorter than a header. */
	assert_int_equal(serve_msg_check(buf, 5, SERVE_FROM_FRONT, &m, &why),
	    -1);
	assert_string_equal(why, "short header");
}

static void
test_bodies(void **state)
{
	struct serve_health h, back;
	struct serve_crl_info c, cback;
	uint8_t buf[25 + SERVE_IPC_REASON_MAX], fixed[SERVE_CRL_FIXED];
	const uint8_t *cert, *key;
	size_t n, cert_len, key_len;
	uint8_t *tls;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.ok = 0;
	h.restarts = 3;
	h.token_errors = 70000;
	h.crl_failures = 1;
	h.check_usec = 1234567890123ULL;
	strcpy(h.reason, "the CA key's token: \x01gone");
	n = serve_health_encode(&h, buf, sizeof(buf));
	assert_int_equal(n, 25 + strlen(h.reason));
	assert_int_equal(serve_health_decode(buf, n, &back), 0);
	assert_int_equal(back.restarts, 3);
	assert_int_equal(back.token_errors, 70000);
	assert_int_equal(back.check_usec, 1234567890123ULL);
	/* Control characters never reach an HTTP body. */
	assert_string_equal(back.reason, "the CA key's token: ?gone");
	/* Failures: a reason length that lies, an ok byte out of range. */
	assert_int_equal(serve_health_decode(buf, n - 1, &back), -1);
	assert_int_equal(serve_health_decode(buf, 24, &back), -1);
	buf[0] = 2;
	assert_int_equal(serve_health_decode(buf, n, &back), -1);
	assert_int_equal(serve_health_encode(&h, buf, 10), 0);

	c.number = 42;
	c.this_update = 1796640000;
	c.next_update = 1797244800;
	c.made = 1796640001;
	serve_crl_info_encode(&c, fixed);
	assert_int_equal(serve_crl_info_decode(fixed, sizeof(fixed), &cback),
	    0);
	assert_memory_equal(&c, &cback, sizeof(c));
	assert_int_equal(serve_crl_info_decode(fixed, 31, &cback), -1);
	c.next_update = c.this_update - 1; /* nextUpdate before thisUpdate */
	serve_crl_info_encode(&c, fixed);
	assert_int_equal(serve_crl_info_decode(fixed, sizeof(fixed), &cback),
	    -1);

	tls = serve_tls_encode((const uint8_t *)"CERT", 4,
	    (const uint8_t *)"KEY", 3, &n);
	assert_non_null(tls);
	assert_int_equal(n, 11);
	assert_int_equal(serve_tls_decode(tls, n, &cert, &cert_len, &key,
			     &key_len),
	    0);
	assert_int_equal(cert_len, 4);
	assert_memory_equal(cert, "CERT", 4);
	assert_int_equal(key_len, 3);
	assert_memory_equal(key, "KEY", 3);
	/* A certificate length that leaves no key, or overruns. */
	assert_int_equal(serve_tls_decode(tls, 8, &cert, &cert_len, &key,
			     &key_len),
	    -1);
	tls[3] = 200;
	assert_int_equal(serve_tls_decode(tls, n, &cert, &cert_len, &key,
			     &key_len),
	    -1);
	free(tls);
	assert_null(serve_tls_encode((const uint8_t *)"C", 0,
	    (const uint8_t *)"K", 1, &n));
}

static void
test_issue_bodies(void **state)
{
	static struct serve_issue q, back;
	struct serve_issue_reply a, aback;
	struct serve_wbuf w;
	size_t cut;

	(void)state;
	memset(&q, 0, sizeof(q));
	strcpy(q.profile, "tls-server");
	strcpy(q.requester, "acme:account/7");
	q.n_ids = 2;
	strcpy(q.ids[0], "dns:www.example.com");
	strcpy(q.ids[1], "ip:192.0.2.1");
	q.csr = (const uint8_t *)"\x30\x03\x02\x01\x00";
	q.csr_len = 5;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_issue_encode(&q, &w), 0);
	assert_int_equal(serve_issue_decode(w.p, w.len, &back), 0);
	assert_string_equal(back.profile, "tls-server");
	assert_string_equal(back.requester, "acme:account/7");
	assert_int_equal(back.n_ids, 2);
	assert_string_equal(back.ids[1], "ip:192.0.2.1");
	assert_int_equal(back.csr_len, 5);
	assert_memory_equal(back.csr, q.csr, 5);
	/* Every truncation, and one byte too many, is refused. */
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_issue_decode(w.p, cut, &back), -1);
	serve_put_u8(&w, 0);
	assert_int_equal(serve_issue_decode(w.p, w.len, &back), -1);
	serve_wbuf_free(&w);

	/* A control character in a field: it would reach the log. */
	strcpy(q.requester, "acme:\nforged line");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_issue_encode(&q, &w), 0);
	assert_int_equal(serve_issue_decode(w.p, w.len, &back), -1);
	serve_wbuf_free(&w);
	/* No CSR, too many identifiers, a cap on the writer. */
	q.csr_len = 0;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_issue_encode(&q, &w), -1);
	serve_wbuf_free(&w);
	q.csr_len = 5;
	q.n_ids = SERVE_ISSUE_MAX_IDS + 1;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_issue_encode(&q, &w), -1);
	serve_wbuf_free(&w);
	q.n_ids = 1;
	serve_wbuf_init(&w, 16);
	assert_int_equal(serve_issue_encode(&q, &w), -1);
	serve_wbuf_free(&w);

	memset(&a, 0, sizeof(a));
	strcpy(a.serial, "0a1b");
	a.not_before = 1796640000;
	a.not_after = 1797244800;
	a.chain = (const uint8_t *)"-----BEGIN CERTIFICATE-----";
	a.chain_len = 27;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_issue_reply_encode(&a, &w), 0);
	assert_int_equal(serve_issue_reply_decode(w.p, w.len, &aback), 0);
	assert_int_equal(aback.status, 0);
	assert_string_equal(aback.serial, "0a1b");
	assert_int_equal(aback.not_after, 1797244800);
	assert_int_equal(aback.chain_len, 27);
	serve_wbuf_free(&w);
	/* Issued without a certificate, refused with one: both lies. */
	a.status = -10;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_issue_reply_encode(&a, &w), 0);
	assert_int_equal(serve_issue_reply_decode(w.p, w.len, &aback), -1);
	serve_wbuf_free(&w);
	a.chain_len = 0;
	strcpy(a.message, "the profile does not allow it");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_issue_reply_encode(&a, &w), 0);
	assert_int_equal(serve_issue_reply_decode(w.p, w.len, &aback), 0);
	assert_int_equal(aback.status, -10);
	assert_string_equal(aback.message, "the profile does not allow it");
	serve_wbuf_free(&w);
}

static void
test_acme_bodies(void **state)
{
	static struct serve_acme q, back;
	struct serve_acme_reply a, aback;
	struct serve_wbuf w;
	size_t cut;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.op = SERVE_ACME_FINALIZE;
	strcpy(q.nonce, "0123456789abcdef0123456789abcdef");
	strcpy(q.account, "fedcba9876543210fedcba9876543210");
	strcpy(q.object, "00112233445566778899aabbccddeeff");
	q.n_ids = 1;
	strcpy(q.ids[0], "dns:www.example.com");
	q.der = (const uint8_t *)"\x30\x03\x02\x01\x00";
	q.der_len = 5;
	strcpy(q.thumb, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), 0);
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), 0);
	assert_string_equal(back.thumb, q.thumb);
	/* A thumbprint is 43 base64url characters or nothing. */
	w.p[w.len - 1] = '=';
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), -1);
	w.p[w.len - 1] = 's';
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), 0);
	assert_int_equal(back.op, SERVE_ACME_FINALIZE);
	assert_string_equal(back.nonce, q.nonce);
	assert_string_equal(back.object, q.object);
	assert_string_equal(back.ids[0], "dns:www.example.com");
	assert_int_equal(back.der_len, 5);
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_acme_decode(w.p, cut, &back), -1);
	serve_put_u8(&w, 0);
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), -1);
	serve_wbuf_free(&w);
	strcpy(q.thumb, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9X");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), -1);
	serve_wbuf_free(&w);
	q.thumb[0] = '\0';
	/* An unknown operation, a control character. */
	q.op = SERVE_ACME_OP_MAX + 1;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), -1);
	serve_wbuf_free(&w);
	q.op = SERVE_ACME_NONCE;
	strcpy(q.contact, "[\"mailto:a\nb\"]");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), 0);
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), -1);
	serve_wbuf_free(&w);

	memset(&a, 0, sizeof(a));
	snprintf(a.nonce, sizeof(a.nonce), "%s", q.nonce);
	a.json = (const uint8_t *)"{\"status\":\"valid\"}";
	a.json_len = 18;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_acme_reply_encode(&a, &w), 0);
	assert_int_equal(serve_acme_reply_decode(w.p, w.len, &aback), 0);
	assert_int_equal(aback.json_len, 18);
	assert_string_equal(aback.nonce, q.nonce);
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_acme_reply_decode(w.p, cut, &aback), -1);
	serve_wbuf_free(&w);
	/* Refused without a problem type, or ok with one: both lies. */
	a.status = -41;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_acme_reply_encode(&a, &w), 0);
	assert_int_equal(serve_acme_reply_decode(w.p, w.len, &aback), -1);
	serve_wbuf_free(&w);
	strcpy(a.problem, "badNonce");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_acme_reply_encode(&a, &w), 0);
	assert_int_equal(serve_acme_reply_decode(w.p, w.len, &aback), 0);
	assert_string_equal(aback.problem, "badNonce");
	serve_wbuf_free(&w);
	a.status = 0;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_acme_reply_encode(&a, &w), 0);
	assert_int_equal(serve_acme_reply_decode(w.p, w.len, &aback), -1);
	serve_wbuf_free(&w);
}

/*
 * ACME account operations (14-19): an EAB binding inside
 * ACCOUNT_NEW_EAB round-trips, and is refused cut short, with bytes left
 * over, empty, or over its limits; the operations past the last are not
 * sent.
 */
static void
test_acme_account_bodies(void **state)
{
	static const uint8_t input[] = "eyJhbGciOiJIUzI1NiJ9.e30";
	static const uint8_t mac[32] = { 1, 2, 3 };
	static uint8_t big[SERVE_ACME_EAB_INPUT_MAX + 1];
	static struct serve_acme q, back;
	const uint8_t *pi, *pm;
	struct serve_wbuf w, e;
	size_t ni, nm, cut;

	(void)state;
	serve_wbuf_init(&e, SERVE_ACME_DER_MAX);
	assert_int_equal(serve_acme_eab_encode(input, sizeof(input) - 1, mac,
			     sizeof(mac), &e),
	    0);
	assert_int_equal(serve_acme_eab_decode(e.p, e.len, &pi, &ni, &pm, &nm),
	    0);
	assert_int_equal(ni, sizeof(input) - 1);
	assert_memory_equal(pi, input, ni);
	assert_int_equal(nm, sizeof(mac));
	for (cut = 0; cut < e.len; cut++)
		assert_int_equal(serve_acme_eab_decode(e.p, cut, &pi, &ni, &pm,
				     &nm),
		    -1);
	memset(&q, 0, sizeof(q));
	q.op = SERVE_ACME_ACCOUNT_NEW_EAB;
	strcpy(q.nonce, "0123456789abcdef0123456789abcdef");
	strcpy(q.profile, "tls-server");
	strcpy(q.object, "00112233445566778899aabbccddeeff");
	strcpy(q.jwk, "{\"kty\":\"EC\"}");
	strcpy(q.detail, "HS256");
	q.der = e.p;
	q.der_len = e.len;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), 0);
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), 0);
	assert_int_equal(back.op, SERVE_ACME_ACCOUNT_NEW_EAB);
	assert_string_equal(back.detail, "HS256");
	assert_int_equal(serve_acme_eab_decode(back.der, back.der_len, &pi, &ni,
			     &pm, &nm),
	    0);
	assert_memory_equal(pm, mac, sizeof(mac));
	serve_wbuf_free(&w);
	serve_put_u8(&e, 0);
	assert_int_equal(serve_acme_eab_decode(e.p, e.len, &pi, &ni, &pm, &nm),
	    -1);
	serve_wbuf_free(&e);
	/* Empty or oversized parts are not encoded. */
	serve_wbuf_init(&e, SERVE_ACME_DER_MAX);
	assert_int_equal(serve_acme_eab_encode(input, 0, mac, sizeof(mac), &e),
	    -1);
	assert_int_equal(serve_acme_eab_encode(input, sizeof(input) - 1, mac, 0,
			     &e),
	    -1);
	assert_int_equal(serve_acme_eab_encode(big, sizeof(big), mac,
			     sizeof(mac), &e),
	    -1);
	assert_int_equal(serve_acme_eab_encode(input, sizeof(input) - 1, big,
			     SERVE_ACME_EAB_MAC_MAX + 1, &e),
	    -1);
	serve_wbuf_free(&e);
	/* Each new operation round-trips; the one after the last does not. */
	for (q.op = SERVE_ACME_ACCOUNT_NEW_EAB; q.op <= SERVE_ACME_OP_MAX;
	     q.op++) {
		q.der = NULL;
		q.der_len = 0;
		serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
		assert_int_equal(serve_acme_encode(&q, &w), 0);
		assert_int_equal(serve_acme_decode(w.p, w.len, &back), 0);
		assert_int_equal(back.op, q.op);
		serve_wbuf_free(&w);
	}
	assert_int_equal(SERVE_ACME_REVOKE_BY_KEY, SERVE_ACME_OP_MAX);
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), -1);
	serve_wbuf_free(&w);
}

/* Renewal information and profiles (ops 30-39), Retry-After, limit. */
static void
test_acme_ari_bodies(void **state)
{
	static struct serve_acme q, back;
	struct serve_acme_reply a, aback;
	struct serve_wbuf w;
	size_t cut;
	uint8_t op;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.op = SERVE_ACME_RENEWAL_INFO;
	strcpy(q.object, "69a0d5bdae4f3b5744b7f8a86f476af2");
	strcpy(q.detail, "2bdc2c9ec19242c7ca1d50c413716555ee8e6760");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), 0);
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), 0);
	assert_int_equal(back.op, SERVE_ACME_RENEWAL_INFO);
	assert_string_equal(back.object, q.object);
	assert_string_equal(back.detail, q.detail);
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_acme_decode(w.p, cut, &back), -1);
	serve_wbuf_free(&w);
	/* 30 and 31 are known; 14-29 and 32 not (on this branch). */
	for (op = SERVE_ACME_OP_MAX + 1; op <= SERVE_ACME_ARI_LAST + 1; op++) {
		q.op = op;
		serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
		assert_int_equal(serve_acme_encode(&q, &w),
		    op >= SERVE_ACME_ARI_FIRST && op <= SERVE_ACME_ARI_LAST
			? 0
			: -1);
		serve_wbuf_free(&w);
	}
	/* A hand-made body with op 32 is refused by the decoder too. */
	q.op = SERVE_ACME_PROFILES;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_acme_encode(&q, &w), 0);
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), 0);
	w.p[0] = SERVE_ACME_ARI_LAST + 1;
	assert_int_equal(serve_acme_decode(w.p, w.len, &back), -1);
	serve_wbuf_free(&w);

	memset(&a, 0, sizeof(a));
	a.status = -10;
	strcpy(a.problem, "rateLimited");
	strcpy(a.detail, "150 orders in the last hour");
	a.retry_after = 3599;
	strcpy(a.limit, "orders-per-hour");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_acme_reply_encode(&a, &w), 0);
	assert_int_equal(serve_acme_reply_decode(w.p, w.len, &aback), 0);
	assert_int_equal(aback.retry_after, 3599);
	assert_string_equal(aback.limit, "orders-per-hour");
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_acme_reply_decode(w.p, cut, &aback), -1);
	serve_wbuf_free(&w);
	/* A limit name past its size is refused. */
	memset(a.limit, 'x', SERVE_ACME_LIMIT_MAX);
	a.limit[SERVE_ACME_LIMIT_MAX] = '\0';
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_acme_reply_encode(&a, &w), 0);
	assert_int_equal(serve_acme_reply_decode(w.p, w.len, &aback), 0);
	serve_wbuf_free(&w);
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	serve_put_u32(&w, 10);
	serve_put_str(&w, "rateLimited");
	serve_put_str(&w, "");
	serve_put_str(&w, "");
	serve_put_bytes(&w, NULL, 0);
	serve_put_bytes(&w, NULL, 0);
	serve_put_u32(&w, 1);
	serve_put_str(&w, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); /* 33 */
	assert_int_equal(serve_acme_reply_decode(w.p, w.len, &aback), -1);
	serve_wbuf_free(&w);
}

/* EST requests and answers: round trips, truncations, lies. */
static void
test_est_bodies(void **state)
{
	static const uint8_t types[] = { SERVE_MSG_EST_CACERTS,
		SERVE_MSG_EST_ENROLL, SERVE_MSG_EST_REENROLL };
	static struct serve_est q, back;
	struct serve_est_reply a, aback;
	struct serve_wbuf w;
	size_t cut, i;

	(void)state;
	memset(&q, 0, sizeof(q));
	strcpy(q.profile, "mtls");
	strcpy(q.token, "0123456789abcdef.00ff");
	q.cert = (const uint8_t *)"\x30\x03\x02\x01\x01";
	q.cert_len = 5;
	q.csr = (const uint8_t *)"MIIB";
	q.csr_len = 4;
	for (i = 0; i < sizeof(types); i++) {
		serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
		assert_int_equal(serve_est_encode(types[i], &q, &w), 0);
		assert_int_equal(serve_est_decode(types[i], w.p, w.len, &back),
		    0);
		assert_string_equal(back.profile, "mtls");
		if (types[i] == SERVE_MSG_EST_ENROLL)
			assert_string_equal(back.token, q.token);
		if (types[i] == SERVE_MSG_EST_REENROLL)
			assert_memory_equal(back.cert, q.cert, 5);
		if (types[i] != SERVE_MSG_EST_CACERTS)
			assert_memory_equal(back.csr, "MIIB", 4);
		for (cut = 0; cut < w.len; cut++)
			assert_int_equal(serve_est_decode(types[i], w.p, cut,
					     &back),
			    -1);
		serve_put_u8(&w, 0);
		assert_int_equal(serve_est_decode(types[i], w.p, w.len, &back),
		    -1);
		serve_wbuf_free(&w);
	}
	/* A body of one type read as another, and no type at all. */
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_est_encode(SERVE_MSG_EST_ENROLL, &q, &w), 0);
	assert_int_equal(serve_est_decode(SERVE_MSG_EST_CACERTS, w.p, w.len,
			     &back),
	    -1);
	assert_int_equal(serve_est_decode(SERVE_MSG_ISSUE, w.p, w.len, &back),
	    -1);
	serve_wbuf_free(&w);
	/* A token with a line end would reach the log: refused. */
	strcpy(q.token, "abc\ndef");
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_est_encode(SERVE_MSG_EST_ENROLL, &q, &w), 0);
	assert_int_equal(serve_est_decode(SERVE_MSG_EST_ENROLL, w.p, w.len,
			     &back),
	    -1);
	serve_wbuf_free(&w);
	/* No CSR. */
	q.csr_len = 0;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_SIGNER);
	assert_int_equal(serve_est_encode(SERVE_MSG_EST_REENROLL, &q, &w), -1);
	serve_wbuf_free(&w);

	memset(&a, 0, sizeof(a));
	a.http = 200;
	strcpy(a.serial, "0a1b");
	a.body = (const uint8_t *)"MIIE3QYJ";
	a.body_len = 8;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_est_reply_encode(&a, &w), 0);
	assert_int_equal(serve_est_reply_decode(w.p, w.len, &aback), 0);
	assert_int_equal(aback.http, 200);
	assert_string_equal(aback.serial, "0a1b");
	assert_int_equal(aback.body_len, 8);
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_est_reply_decode(w.p, cut, &aback), -1);
	serve_wbuf_free(&w);
	/* A refusal with a body, a success without one, a bad status. */
	a.http = 403;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_est_reply_encode(&a, &w), 0);
	assert_int_equal(serve_est_reply_decode(w.p, w.len, &aback), -1);
	serve_wbuf_free(&w);
	a.http = 200;
	a.body_len = 0;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_est_reply_encode(&a, &w), 0);
	assert_int_equal(serve_est_reply_decode(w.p, w.len, &aback), -1);
	serve_wbuf_free(&w);
	a.http = 99;
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	assert_int_equal(serve_est_reply_encode(&a, &w), 0);
	assert_int_equal(serve_est_reply_decode(w.p, w.len, &aback), -1);
	serve_wbuf_free(&w);
}

/* The reader on a non-blocking socket, fed one byte at a time. */
static void
test_ocsp_bodies(void **state)
{
	struct serve_ocsp_issuer is, isback;
	struct serve_ocsp_entry e, eback;
	struct serve_rbuf r;
	struct serve_wbuf w;
	static const uint8_t serial[] = { 0x4f, 0x01, 0x02 };
	static const uint8_t der[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };
	uint32_t n = 0, i;
	size_t cut;

	(void)state;
	memset(&is, 0x5a, sizeof(is));
	serve_wbuf_init(&w, SERVE_OCSP_ISSUER_LEN);
	assert_int_equal(serve_ocsp_issuer_encode(&is, &w), 0);
	assert_int_equal(w.len, SERVE_OCSP_ISSUER_LEN);
	assert_int_equal(serve_ocsp_issuer_decode(w.p, w.len, &isback), 0);
	assert_memory_equal(&isback, &is, sizeof(is));
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_ocsp_issuer_decode(w.p, cut, &isback),
		    -1);
	serve_wbuf_free(&w);

	memset(&e, 0, sizeof(e));
	e.serial = serial;
	e.serial_len = sizeof(serial);
	e.this_update = 1797000000;
	e.next_update = 1797000000 + 4 * 86400;
	e.der = der;
	e.der_len = sizeof(der);
	serve_wbuf_init(&w, SERVE_OCSP_BATCH_BYTES);
	serve_ocsp_batch_begin(&w);
	serve_ocsp_batch_add(&w, &e);
	serve_ocsp_batch_add(&w, &e);
	assert_int_equal(serve_ocsp_batch_end(&w, 2), 0);
	assert_int_equal(serve_ocsp_batch_check(w.p, w.len, &n), 0);
	assert_int_equal(n, 2);
	serve_rbuf_init(&r, w.p, w.len);
	(void)serve_get_u32(&r);
	for (i = 0; i < n; i++) {
		assert_int_equal(serve_ocsp_batch_next(&r, &eback), 0);
		assert_int_equal(eback.serial_len, sizeof(serial));
		assert_memory_equal(eback.serial, serial, sizeof(serial));
		assert_int_equal(eback.next_update, e.next_update);
		assert_memory_equal(eback.der, der, sizeof(der));
	}
	/* The frame rule takes it from the signer, never from a front end. */
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(serve_ocsp_batch_check(w.p, cut, &n), -1);
	serve_put_u8(&w, 0);
	assert_int_equal(serve_ocsp_batch_check(w.p, w.len, &n), -1);
	serve_wbuf_free(&w);
	/* An empty batch, a count over the maximum, nextUpdate not later. */
	serve_wbuf_init(&w, SERVE_OCSP_BATCH_BYTES);
	serve_ocsp_batch_begin(&w);
	assert_int_equal(serve_ocsp_batch_end(&w, 0), -1);
	assert_int_equal(serve_ocsp_batch_end(&w, SERVE_OCSP_BATCH_MAX + 1),
	    -1);
	e.next_update = e.this_update;
	serve_ocsp_batch_add(&w, &e);
	assert_int_equal(serve_ocsp_batch_end(&w, 1), 0);
	assert_int_equal(serve_ocsp_batch_check(w.p, w.len, &n), -1);
	serve_wbuf_free(&w);
}

/* The id of the frame a reader holds. */
static uint32_t
frame_id(const struct serve_reader *rd)
{
	return (uint32_t)rd->buf[4] << 24 | (uint32_t)rd->buf[5] << 16 |
	       (uint32_t)rd->buf[6] << 8 | rd->buf[7];
}

static void
test_reader_buffered(void **state)
{
	static uint8_t buf[4 * SERVE_READER_CHUNK];
	size_t big = 3 * SERVE_READER_CHUNK + 5, n = 0, i;
	struct serve_reader rd;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
			     sv),
	    0);
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_FRONT);
	/* Three frames in one write: each whole, in order, then nothing. */
	for (i = 0; i < 3; i++)
		n += frame(buf + n, 1, SERVE_MSG_CA_CERT, 0, (uint32_t)i + 1,
		    (uint32_t)(i * 7 + 1), i * 7 + 1);
	assert_int_equal(write(sv[1], buf, n), (ssize_t)n);
	for (i = 0; i < 3; i++) {
		assert_int_equal(serve_reader_read(sv[0], &rd), 1);
		assert_int_equal(frame_id(&rd), i + 1);
		assert_int_equal(rd.have, SERVE_IPC_HEADER + i * 7 + 1);
		serve_reader_next(&rd);
	}
	assert_int_equal(serve_reader_read(sv[0], &rd), 0);
	/*
	 * A read that emptied the socket is not followed by another: bytes
	 * sent since wait for the next call (the caller polls in between).
	 */
	n = frame(buf, 1, SERVE_MSG_CA_CERT, 0, 4, 8, 8);
	assert_int_equal(write(sv[1], buf, n), (ssize_t)n);
	assert_int_equal(serve_reader_read(sv[0], &rd), 1);
	serve_reader_next(&rd);
	n = frame(buf, 1, SERVE_MSG_CA_CERT, 0, 5, 8, 8);
	assert_int_equal(write(sv[1], buf, n), (ssize_t)n);
	assert_int_equal(serve_reader_read(sv[0], &rd), 0);
	assert_int_equal(serve_reader_read(sv[0], &rd), 1);
	assert_int_equal(frame_id(&rd), 5);
	serve_reader_next(&rd);
	/* A body larger than the reader's buffer, then a small frame. */
	n = frame(buf, 1, SERVE_MSG_CA_CERT, 0, 6, (uint32_t)big, big);
	n += frame(buf + n, 1, SERVE_MSG_CA_CERT, 0, 7, 3, 3);
	for (i = 0; i < n; i += 1000)
		assert_int_equal(write(sv[1], buf + i,
				     n - i < 1000 ? n - i : 1000),
		    (ssize_t)(n - i < 1000 ? n - i : 1000));
	/* The read that brought frame 5 emptied the socket. */
	assert_int_equal(serve_reader_read(sv[0], &rd), 0);
	assert_int_equal(serve_reader_read(sv[0], &rd), 1);
	assert_int_equal(frame_id(&rd), 6);
	assert_int_equal(rd.have, SERVE_IPC_HEADER + big);
	for (i = SERVE_IPC_HEADER; i < rd.have; i++)
		if (rd.buf[i] != 'x')
			fail_msg("byte %zu of the big body is wrong", i);
	serve_reader_next(&rd);
	assert_int_equal(serve_reader_read(sv[0], &rd), 1);
	assert_int_equal(frame_id(&rd), 7);
	serve_reader_next(&rd);
	/* The peer gone: end of file once the bytes are used up. */
	close(sv[1]);
	while (serve_reader_read(sv[0], &rd) == 0)
		;
	assert_int_equal(errno, 0);
	serve_reader_free(&rd);
	close(sv[0]);
}

static void
test_reader(void **state)
{
	uint8_t buf[2 * SERVE_IPC_HEADER + 8];
	struct serve_reader rd;
	struct serve_msg m;
	const char *why;
	size_t n, i;
	int sv[2], r, frames = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
			     sv),
	    0);
	n = frame(buf, 1, SERVE_MSG_READY, 0, 0, 0, 0);
	n += frame(buf + n, 1, SERVE_MSG_CA_CERT, 0, 0, 8, 8);
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_FRONT);
	for (i = 0; i < n; i++) {
		assert_int_equal(write(sv[1], buf + i, 1), 1);
		while ((r = serve_reader_read(sv[0], &rd)) == 1) {
			assert_int_equal(serve_msg_check(rd.buf, rd.have,
					     SERVE_FROM_SIGNER, &m, &why) == 0,
			    frames == 1);
			frames++;
			serve_reader_next(&rd);
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(frames, 2);
	/* A header announcing more than the cap: refused before any read. */
	serve_reader_free(&rd);
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_SIGNER);
	n = frame(buf, 1, SERVE_MSG_HEALTH, 0, 1, 0x7fffffff, 0);
	assert_int_equal(write(sv[1], buf, n), (ssize_t)n);
	assert_int_equal(serve_reader_read(sv[0], &rd), -2);
	serve_reader_free(&rd);
	/* The other end closed: -1 with errno 0. */
	serve_reader_init(&rd, SERVE_IPC_MAX_TO_SIGNER);
	close(sv[1]);
	assert_int_equal(serve_reader_read(sv[0], &rd), -1);
	assert_int_equal(errno, 0);
	serve_reader_free(&rd);
	close(sv[0]);
}

/* serve_send waits for room, then gives up with ETIMEDOUT. */
static void
test_send_timeout(void **state)
{
	static uint8_t big[256 * 1024];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
			     sv),
	    0);
	assert_int_equal(serve_send(sv[0], SERVE_MSG_READY, 0, NULL, 0, 100),
	    0);
	/* Nobody reads sv[1]: a big CRL cannot go through. */
	assert_int_equal(serve_send(sv[0], SERVE_MSG_CRL, 0, big, sizeof(big),
			     100),
	    -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_issue_bodies),
		cmocka_unit_test(test_ocsp_bodies),
		cmocka_unit_test(test_acme_bodies),
		cmocka_unit_test(test_acme_account_bodies),
		cmocka_unit_test(test_acme_ari_bodies),
		cmocka_unit_test(test_est_bodies),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_reader_buffered),
		cmocka_unit_test(test_send_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
