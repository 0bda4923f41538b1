/*
 * Issuance. The order is the invariant: nothing reaches the token that is
 * not reserved in the store and announced, durably, in the audit log; no
 * certificate file exists before the store says ISSUED.
 *
 *   prepare (workers, per request):  policy -> serial -> build + lint
 *   announce (this thread, per group): reserve all (one transaction)
 *                                 -> intents (one audit sync)
 *   sign (workers, per request):     token signs, signature checked
 *   deliver (this thread, per group):  record all (one transaction)
 *                                 -> outcomes (one audit sync)
 *                                 -> files (one sync pass)
 *
 * A fault point follows every step (SIGNET_FAULT "issue.<step>"), so the
 * crash tests can stop the process there and check what it left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "ca/ca_int.h"
#include "util/codec.h"
#include "util/names.h"
#include "util/fault.h"
#include "util/file.h"
#include "util/secret.h"

/* A serial collision with 126+ bits of entropy is a broken RNG after this. */
#define ISSUE_SERIAL_TRIES 8

/*
 * The life of one request in a batch. Every move goes through item_move,
 * which refuses (asserts) any move not in item_moves below.
 *
 *   NEW -> READY       checked by the policy, built and linted
 *   NEW -> REFUSED     refused by the policy, the build or the lint
 *   READY -> RESERVED  PENDING in the store (the intent is logged next)
 *   READY -> REFUSED   the store refused the serial (late refusal)
 *   RESERVED -> READY  the reservation's transaction did not commit
 *   RESERVED -> SIGNED the token signed it, the signature verified
 *   RESERVED -> FAILED not signed (token, log), the row marked FAILED
 *   RESERVED -> STOPPED not signed, and the row could not be marked
 *   SIGNED -> RECORDED ISSUED in the store
 *   SIGNED -> FAILED   could not be recorded; discarded, row FAILED
 *   SIGNED -> STOPPED  neither recorded nor marked: the row stays PENDING
 *   RECORDED, FAILED -> STOPPED  their transaction did not commit
 *
 * REFUSED, RECORDED, FAILED and STOPPED end the item's part in the batch;
 * a STOPPED row is PENDING until 'signet db check --resolve'.
 */
enum item_stage {
	ITEM_NEW = 0,
	ITEM_REFUSED,  /* refused before any reservation */
	ITEM_READY,    /* built and linted */
	ITEM_RESERVED, /* PENDING in the store, intent logged */
	ITEM_SIGNED,
	ITEM_FAILED,   /* reserved, then failed (row marked FAILED) */
	ITEM_RECORDED, /* ISSUED in the store */
	ITEM_STOPPED,  /* reserved, then the batch stopped (row PENDING) */
	ITEM_STAGES
};

#define MOVE(s) (1u << (s))
static const unsigned item_moves[ITEM_STAGES] = {
	[ITEM_NEW] = MOVE(ITEM_READY) | MOVE(ITEM_REFUSED),
	[ITEM_REFUSED] = 0,
	[ITEM_READY] = MOVE(ITEM_RESERVED) | MOVE(ITEM_REFUSED),
	[ITEM_RESERVED] = MOVE(ITEM_READY) | MOVE(ITEM_SIGNED) |
			  MOVE(ITEM_FAILED) | MOVE(ITEM_STOPPED),
	[ITEM_SIGNED] =
	    MOVE(ITEM_RECORDED) | MOVE(ITEM_FAILED) | MOVE(ITEM_STOPPED),
	[ITEM_FAILED] = MOVE(ITEM_STOPPED),
	[ITEM_RECORDED] = MOVE(ITEM_STOPPED),
	[ITEM_STOPPED] = 0,
};
#undef MOVE

struct ca_item {
	const struct signet_ca_request *req;
	struct signet_ca_result *res;
	const struct signet_profile *profile;
	struct signet_request *rq;
	struct signet_tbs *tbs;
	struct signet_serial serial;
	char *subject; /* RFC 2253 */
	char *sans;    /* "DNS:a.example.com,IP:192.0.2.1" */
	json_t *details;
	char spki_hex[65];
	enum item_stage stage;
	int status;
	char *message;
	uint8_t *der;
	size_t der_len;
	size_t file_index;
	int file_added;
	int late_refusal; /* refused at reservation, not yet audited */
};

struct ca_group {
	struct signet_ca *ca;
	struct ca_item *items;
	size_t n;
	time_t now;
	struct file_batch *files;
	/*
	 * Random octets for the group's serials, drawn from the token in one
	 * call instead of one per certificate; handed out under rand_lock.
	 */
	uint8_t *rand;
	size_t rand_len, rand_used;
	pthread_mutex_t rand_lock;
};

/* ---- helpers ------------------------------------------------------------- */

/*
 * The one place an item changes stage: only along item_moves. Any other
 * move is a bug that could sign what was never announced, so it stops the
 * process in every build (assert would vanish under NDEBUG).
 */
static void
item_move(struct ca_item *it, enum item_stage to)
{
	if (it->stage >= ITEM_STAGES || to >= ITEM_STAGES ||
	    !(item_moves[it->stage] & (1u << to))) {
		fprintf(stderr,
		    "signet: internal error: issuance item moved from stage "
		    "%d to %d\n",
		    (int)it->stage, (int)to);
		abort();
	}
	it->stage = to;
}

static void
item_fail(struct ca_item *it, int status, const char *prefix)
{
	const char *m = signet_error_message();

	it->status = status;
	free(it->message);
	it->message = NULL;
	if (prefix != NULL) {
		if (asprintf(&it->message, "%s: %s", prefix, m) == -1)
			it->message = NULL;
	} else
		it->message = strdup(m);
}

static int
ca_random(void *arg, uint8_t *buf, size_t len)
{
	struct signet_ca *ca = arg;

	return signet_token_random(ca->tok, buf, len);
}

/* Octets a serial takes on average: its length, and a few rejections. */
#define GROUP_RAND_PER_ITEM 32

/* The group's share of the token's random octets, then the token again. */
static int
group_random(void *arg, uint8_t *buf, size_t len)
{
	struct ca_group *g = arg;
	int have = 0;

	pthread_mutex_lock(&g->rand_lock);
	if (g->rand != NULL && g->rand_len - g->rand_used >= len) {
		memcpy(buf, g->rand + g->rand_used, len);
		/* Each octet is handed out once. */
		secret_wipe(g->rand + g->rand_used, len);
		g->rand_used += len;
		have = 1;
	}
	pthread_mutex_unlock(&g->rand_lock);
	return have ? 0 : signet_token_random(g->ca->tok, buf, len);
}

static int
group_random_fill(struct ca_group *g)
{
	size_t len = g->n * GROUP_RAND_PER_ITEM;

	free(g->rand);
	g->rand = NULL;
	g->rand_len = g->rand_used = 0;
	if (g->n <= 1)
		return 0; /* one serial: one call either way */
	if ((g->rand = malloc(len)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (signet_token_random(g->ca->tok, g->rand, len) != 0) {
		free(g->rand);
		g->rand = NULL;
		return SIGNET_ERR_TOKEN;
	}
	g->rand_len = len;
	return 0;
}

/* The policy engine's compromised-key lookup (BR 6.1.1.3). */
static int
ca_key_blocked(void *arg, const uint8_t spki_sha256[32])
{
	struct signet_ca *ca = arg;
	int blocked = 0, r;

	if (ca->reader == NULL) {
		/* store.h: a handle belongs to one thread; workers need theirs.
		 */
		if (ca->pool != NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "no reader connection for the worker threads");
		r = signet_store_key_blocked(ca->store, spki_sha256, &blocked);
	} else {
		pthread_mutex_lock(&ca->reader_lock);
		r = signet_store_key_blocked(ca->reader, spki_sha256, &blocked);
		pthread_mutex_unlock(&ca->reader_lock);
	}
	return r != 0 ? r : blocked;
}

static char *
name_text(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if (name != NULL &&
	    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(bio);
		return NULL;
	}
	n = BIO_get_mem_data(bio, &p);
	if ((s = malloc((size_t)n + 1)) != NULL) {
		/* An empty subject leaves the BIO without a buffer (p NULL). */
		if (n > 0)
			memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(bio);
	return s;
}

static const char *
san_prefix(enum signet_san_type t)
{
	switch (t) {
	case SIGNET_SAN_DNS:
		return "DNS";
	case SIGNET_SAN_IP:
		return "IP";
	case SIGNET_SAN_EMAIL:
		return "email";
	case SIGNET_SAN_URI:
		return "URI";
	default:
		return "other";
	}
}

/* The request's names as text for the store and a list for the log. */
static int
item_names(struct ca_item *it, json_t **list)
{
	const struct signet_request *rq = it->rq;
	size_t i, len = 0, off = 0;
	char *s;

	*list = json_array();
	if (*list == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < rq->n_sans; i++)
		len += strlen(san_prefix(rq->sans[i].type)) +
		       strlen(rq->sans[i].value) + 2;
	if ((s = malloc(len + 1)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	s[0] = '\0';
	for (i = 0; i < rq->n_sans; i++) {
		off += (size_t)snprintf(s + off, len + 1 - off, "%s%s:%s",
		    i > 0 ? "," : "", san_prefix(rq->sans[i].type),
		    rq->sans[i].value);
		if (json_array_append_new(*list,
			json_string(rq->sans[i].value)) != 0) {
			free(s);
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		}
	}
	it->sans = s;
	return 0;
}

/*
 * The names a requester proved against the request's: the same set,
 * each in its normal form (DNS names in lower case, IP addresses as
 * bytes). The CSR may list them in any order; duplicates were removed.
 */
static int
item_names_validated(const struct signet_ca_request *req,
    const struct signet_request *rq)
{
	char dns[NAMES_DNS_MAX + 1], uri[NAMES_URI_MAX + 1];
	uint8_t ip[16], *used;
	size_t i, j, iplen;
	const char *v = "";
	int found, r = 0;

	if ((used = calloc(rq->n_sans + 1, 1)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < req->n_validated && r == 0; i++) {
		v = req->validated[i];
		found = 0;
		if (strncmp(v, "dns:", 4) == 0) {
			if (names_dns_normalise((const uint8_t *)v + 4,
				strlen(v + 4), NAMES_DNS_WILDCARD, dns) < 0)
				goto bad;
			for (j = 0; j < rq->n_sans && !found; j++)
				if (rq->sans[j].type == SIGNET_SAN_DNS &&
				    strcmp(rq->sans[j].value, dns) == 0)
					found = used[j] = 1;
		} else if (strncmp(v, "ip:", 3) == 0) {
			if ((iplen = names_ip_parse(v + 3, ip)) == 0)
				goto bad;
			for (j = 0; j < rq->n_sans && !found; j++)
				if (rq->sans[j].type == SIGNET_SAN_IP &&
				    rq->sans[j].ip_len == iplen &&
				    memcmp(rq->sans[j].ip, ip, iplen) == 0)
					found = used[j] = 1;
		} else if (strncmp(v, "uri:", 4) == 0) {
			/* A SPIFFE ID or other URI, in its normal form. */
			if (names_uri_normalise((const uint8_t *)v + 4,
				strlen(v + 4), 0, uri) != 0)
				goto bad;
			for (j = 0; j < rq->n_sans && !found; j++)
				if (rq->sans[j].type == SIGNET_SAN_URI &&
				    strcmp(rq->sans[j].value, uri) == 0)
					found = used[j] = 1;
		} else
			goto bad;
		if (!found)
			r = signet_error_set(SIGNET_ERR_POLICY,
			    "the CSR does not ask for %s, which the requester "
			    "validated: it must name exactly the validated "
			    "identifiers",
			    v);
	}
	for (j = 0; j < rq->n_sans && r == 0; j++)
		if (!used[j])
			r = signet_error_set(SIGNET_ERR_POLICY,
			    "the CSR asks for %s:%s, which the requester did "
			    "not validate",
			    san_prefix(rq->sans[j].type), rq->sans[j].value);
	free(used);
	return r;
bad:
	free(used);
	return signet_error_set(SIGNET_ERR_USAGE,
	    "validated identifier '%.80s' is neither dns:NAME nor ip:ADDRESS "
	    "nor uri:URI",
	    v);
}

static const char *
item_requester(const struct signet_ca *ca, const struct ca_item *it)
{
	return it->req->requester != NULL ? it->req->requester : ca->requester;
}

/* Prepare and lint the certificate for the item's serial. */
static int
item_build(struct signet_ca *ca, struct ca_item *it, time_t now)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_cert_params params;
	struct signet_lint_report *rep = NULL;
	char *text = NULL;

	signet_tbs_free(it->tbs);
	it->tbs = NULL;
	memset(&params, 0, sizeof(params));
	params.request = it->rq;
	params.issuer = ca->issuer;
	params.serial = it->serial;
	params.now = now;
	if ((r = signet_cert_prepare(&params, &it->tbs)) != 0)
		goto out;
	if ((r = signet_tbs_lint(it->tbs, ca->lint, &rep)) != 0) {
		/* Name every failed lint: the operator fixes the profile. */
		if (r == SIGNET_ERR_LINT && rep != NULL &&
		    (text = signet_lint_report_text(rep)) != NULL)
			signet_error_set(r,
			    "the certificate failed pre-issuance lints; "
			    "nothing "
			    "was signed: %s",
			    text);
		goto out;
	}
	r = 0;
out:
	free(text);
	signet_lint_report_free(rep);
	return r;
}

/*
 * What the audit intent says of the bytes the token will sign: set again
 * whenever the TBS is rebuilt (a new serial after a collision).
 */
static int
item_describe_tbs(struct ca_item *it)
{
	const struct signet_validity *v = signet_tbs_get0_validity(it->tbs);
	const uint8_t *tbs;
	char hash[65], nb[21], na[21];
	size_t len;

	tbs = signet_tbs_get0_tbs_der(it->tbs, &len);
	if (sha256_hex(tbs, len, hash) != 0)
		return SIGNET_ERR_INTERNAL;
	time_format(v->not_before, nb);
	time_format(v->not_after, na);
	if (json_object_set_new(it->details, "tbs_sha256", json_string(hash)) !=
		0 ||
	    json_object_set_new(it->details, "not_before", json_string(nb)) !=
		0 ||
	    json_object_set_new(it->details, "not_after", json_string(na)) != 0)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	return 0;
}

/* ---- phase 1: policy, serial, build, lint (workers) ---------------------- */

static void
prep_task(void *arg, size_t i)
{
	struct ca_group *g = arg;
	struct signet_ca *ca = g->ca;
	struct ca_item *it = &g->items[i];
	const struct signet_ca_request *req = it->req;
	struct signet_request_opts opts;
	uint8_t *buf = NULL, spki_hash[32];
	const uint8_t *csr = req->csr;
	size_t len = req->csr_len;
	json_t *names = NULL;
	int r;

	signet_error_clear();
	if (csr == NULL) {
		if (req->csr_path == NULL) {
			signet_error_set(SIGNET_ERR_USAGE, "no CSR given");
			item_fail(it, SIGNET_ERR_USAGE, NULL);
			goto refused;
		}
		/* A larger file is refused against the CSR limit itself. */
		if ((r = file_read(req->csr_path, SIGNET_CSR_MAX_DEFAULT, &buf,
			 &len)) != 0) {
			item_fail(it, r, NULL);
			goto refused;
		}
		csr = buf;
	}
	if ((r = signet_policy_find(ca->policy, req->profile, &it->profile)) !=
	    0) {
		item_fail(it, r, NULL);
		goto refused;
	}
	memset(&opts, 0, sizeof(opts));
	opts.validity = req->validity;
	opts.is_blocked = ca_key_blocked;
	opts.is_blocked_arg = ca;
	opts.ca_keys = ca->own_keys;
	opts.n_ca_keys = ca->n_own_keys;
	if ((r = signet_request_from_csr(it->profile, csr, len, &opts,
		 &it->rq)) != 0) {
		item_fail(it, r, NULL);
		goto refused;
	}
	if (req->check_names && (r = item_names_validated(req, it->rq)) != 0) {
		item_fail(it, r, NULL);
		goto refused;
	}
	if ((r = SIGNET_FAULT("issue.policy")) != 0) {
		item_fail(it, r, NULL);
		goto refused;
	}
	/* BR 7.1: serials from the token's CSPRNG. */
	if ((r = signet_serial_new(group_random, g, ca->cfg->serial_length,
		 &it->serial)) != 0 ||
	    (r = SIGNET_FAULT("issue.serial")) != 0) {
		item_fail(it, r, "drawing a serial number");
		goto refused;
	}
	if ((r = item_build(ca, it, g->now)) != 0 ||
	    (r = SIGNET_FAULT("issue.lint")) != 0) {
		item_fail(it, r, NULL);
		goto refused;
	}
	memcpy(spki_hash, it->rq->spki_sha256, 32);
	hex_encode(spki_hash, 32, it->spki_hex);
	if ((it->subject = name_text(it->rq->subject)) == NULL ||
	    item_names(it, &names) != 0) {
		signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		item_fail(it, SIGNET_ERR_INTERNAL, NULL);
		goto refused;
	}
	it->details = json_pack("{s:s,s:s,s:O,s:s,s:s,s:s}", "subject",
	    it->subject, "profile", it->profile->name, "sans", names,
	    "spki_sha256", it->spki_hex, "requester", item_requester(ca, it),
	    "request", req->name != NULL ? req->name : "");
	if (it->details != NULL && req->check_names) {
		json_t *v = json_array();
		size_t k;

		for (k = 0; v != NULL && k < req->n_validated; k++)
			if (json_array_append_new(v,
				json_string(req->validated[k])) != 0) {
				json_decref(v);
				v = NULL;
			}
		if (v == NULL ||
		    json_object_set_new(it->details, "validated", v) != 0) {
			json_decref(it->details);
			it->details = NULL;
		}
	}
	if (it->details == NULL || item_describe_tbs(it) != 0) {
		signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		item_fail(it, SIGNET_ERR_INTERNAL, NULL);
		goto refused;
	}
	item_move(it, ITEM_READY);
	goto out;
refused:
	item_move(it, ITEM_REFUSED);
out:
	json_decref(names);
	free(buf);
}

/* ---- phase 2: reserve, intent (this thread) ------------------------------ */

static json_t *
refusal_details(struct signet_ca *ca, const struct ca_item *it)
{
	const struct signet_ca_request *req = it->req;

	return json_pack("{s:s,s:s,s:s,s:[s]}", "request",
	    req->name != NULL ? req->name : "", "profile",
	    req->profile != NULL ? req->profile : "", "requester",
	    item_requester(ca, it), "reasons",
	    it->message != NULL ? it->message : "?");
}

/* Log the group's refusals (late: those refused at reservation). */
static int
audit_refusals(struct ca_group *g, int late)
{
	struct signet_audit_entry *e = NULL;
	size_t i, n = 0;
	int r = 0;

	for (i = 0; i < g->n; i++)
		if (g->items[i].stage == ITEM_REFUSED &&
		    g->items[i].late_refusal == late)
			n++;
	if (n == 0)
		return 0;
	if ((e = calloc(n, sizeof(*e))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0, n = 0; i < g->n; i++) {
		if (g->items[i].stage != ITEM_REFUSED ||
		    g->items[i].late_refusal != late)
			continue;
		e[n].event = SIGNET_AUDIT_EV_CERT_REQUEST;
		e[n].outcome = SIGNET_AUDIT_DENIED;
		if ((e[n].details = refusal_details(g->ca, &g->items[i])) ==
		    NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			break;
		}
		n++;
	}
	if (r == 0)
		r = signet_audit_append_batch(g->ca->audit, e, n);
	for (i = 0; i < n; i++)
		json_decref((json_t *)e[i].details);
	free(e);
	return r;
}

static int
item_reserve(struct ca_group *g, struct ca_item *it)
{
	struct signet_ca *ca = g->ca;
	struct signet_store_cert_new c;
	const struct signet_validity *v;
	char serial[41];
	unsigned tries;
	int r = SIGNET_ERR_INTERNAL;

	for (tries = 0;; tries++) {
		v = signet_tbs_get0_validity(it->tbs);
		signet_serial_to_hex(&it->serial, serial);
		memset(&c, 0, sizeof(c));
		c.issuer = ca->issuer_id;
		c.serial = serial;
		c.subject = it->subject;
		c.sans = it->sans;
		memcpy(c.spki_sha256, it->rq->spki_sha256, 32);
		c.not_before = v->not_before;
		c.not_after = v->not_after;
		c.profile = it->profile->name;
		c.requester = item_requester(ca, it);
		if (SIGNET_FAULT("issue.collide") != 0)
			r = signet_error_set(SIGNET_ERR_CONFLICT,
			    "serial %s is taken (test hook)", serial);
		else
			r = signet_store_cert_reserve(ca->store, &c,
			    (int64_t)g->now);
		if (r != SIGNET_ERR_CONFLICT || tries + 1 >= ISSUE_SERIAL_TRIES)
			break;
		/*
		 * Another certificate has it: a new serial, a new build, and
		 * the intent names the new TBS (it is what gets signed).
		 */
		if ((r = signet_serial_new(ca_random, ca,
			 ca->cfg->serial_length, &it->serial)) != 0 ||
		    (r = item_build(ca, it, g->now)) != 0 ||
		    (r = item_describe_tbs(it)) != 0)
			break;
	}
	if (r != 0)
		return r;
	snprintf(it->res->serial, sizeof(it->res->serial), "%s", serial);
	if (json_object_set_new(it->details, "serial", json_string(serial)) !=
	    0)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	return 0;
}

/* Mark the group's reserved rows FAILED: nothing of theirs was signed. */
static void
group_abandon(struct ca_group *g, int code, const char *why)
{
	struct signet_ca *ca = g->ca;
	size_t i;
	int began;

	began = signet_store_begin(ca->store) == 0;
	for (i = 0; i < g->n; i++) {
		if (g->items[i].stage != ITEM_RESERVED)
			continue;
		g->items[i].status = code;
		free(g->items[i].message);
		g->items[i].message = strdup(why);
		if (signet_store_cert_fail(ca->store, ca->issuer_id,
			g->items[i].res->serial, why, (int64_t)time(NULL)) == 0)
			item_move(&g->items[i], ITEM_FAILED);
		else
			item_move(&g->items[i], ITEM_STOPPED);
	}
	if (began && signet_store_commit(ca->store) != 0)
		for (i = 0; i < g->n; i++)
			if (g->items[i].stage == ITEM_FAILED)
				item_move(&g->items[i], ITEM_STOPPED);
}

static int
group_reserve(struct ca_group *g)
{
	struct signet_ca *ca = g->ca;
	size_t i;
	int r, any = 0;

	if ((r = audit_refusals(g, 0)) != 0)
		return r;
	for (i = 0; i < g->n; i++)
		any |= g->items[i].stage == ITEM_READY;
	if (!any)
		return 0;
	if ((r = signet_store_begin(ca->store)) != 0)
		return r;
	for (i = 0; i < g->n; i++) {
		struct ca_item *it = &g->items[i];

		if (it->stage != ITEM_READY)
			continue;
		if ((r = item_reserve(g, it)) != 0) {
			/* Nothing was reserved for it: a refusal. */
			item_fail(it, r, "reserving a serial");
			item_move(it, ITEM_REFUSED);
			it->late_refusal = 1;
			continue;
		}
		item_move(it, ITEM_RESERVED);
	}
	if ((r = signet_store_commit(ca->store)) != 0) {
		for (i = 0; i < g->n; i++)
			if (g->items[i].stage == ITEM_RESERVED) {
				item_move(&g->items[i], ITEM_READY);
				g->items[i].res->serial[0] = '\0';
			}
		return r;
	}
	if (audit_refusals(g, 1) != 0) {
		/* Nothing is signed: the rows go as the log failed. */
		char *why = ca_error_dup();

		group_abandon(g, SIGNET_ERR_AUDIT,
		    "not signed: the audit log failed");
		signet_error_set(SIGNET_ERR_AUDIT, "%s",
		    why != NULL ? why : "the audit log failed");
		free(why);
		return SIGNET_ERR_AUDIT;
	}
	if ((r = SIGNET_FAULT("issue.reserve")) != 0)
		return r;
	return 0;
}

static int
group_intent(struct ca_group *g)
{
	struct signet_ca *ca = g->ca;
	struct signet_audit_entry *e = NULL;
	size_t i, n = 0;
	int r = 0;

	e = calloc(g->n, sizeof(*e));
	if (e == NULL)
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < g->n && r == 0; i++)
		if (g->items[i].stage == ITEM_RESERVED) {
			e[n].event = SIGNET_AUDIT_EV_CERT_ISSUE_INTENT;
			e[n].outcome = SIGNET_AUDIT_INTENT;
			e[n].details = g->items[i].details;
			n++;
		}
	if (r == 0)
		r = signet_audit_append_batch(ca->audit, e, n);
	free(e);
	/* The token signs nothing the log does not durably announce. */
	if (r == 0)
		r = signet_audit_sync(ca->audit);
	if (r == 0)
		r = SIGNET_FAULT("issue.intent");
	if (r != 0) {
		char *why = ca_error_dup();
		char reason[sizeof(((struct signet_error_info *)0)->message) +
			    64];

		snprintf(reason, sizeof(reason),
		    "not signed: the audit log could not record the intent "
		    "(%s)",
		    why != NULL ? why : "?");
		group_abandon(g, SIGNET_ERR_AUDIT, reason);
		signet_error_set(SIGNET_ERR_AUDIT,
		    "%s; refusing to sign (nothing was signed)",
		    why != NULL ? why : "the audit log failed");
		free(why);
		return SIGNET_ERR_AUDIT;
	}
	return 0;
}

/* ---- phase 3: the token signs (workers) ---------------------------------- */

static void
sign_task(void *arg, size_t i)
{
	struct ca_group *g = arg;
	struct ca_item *it = &g->items[i];
	int r;

	if (it->stage != ITEM_RESERVED)
		return;
	signet_error_clear();
	if ((r = signet_tbs_sign(it->tbs, g->ca->signer, &it->der,
		 &it->der_len)) != 0) {
		item_fail(it, r, "the token did not sign");
		return;
	}
	item_move(it, ITEM_SIGNED);
	(void)SIGNET_FAULT("issue.sign");
}

/* ---- phase 4: record, outcome (this thread) ------------------------------ */

static int
group_record(struct ca_group *g, int *sign_error)
{
	struct signet_ca *ca = g->ca;
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int r;

	*sign_error = 0;
	if ((r = ca_audit_recoveries(ca)) != 0)
		return r;
	if ((r = signet_store_begin(ca->store)) != 0)
		return r;
	for (i = 0; i < g->n; i++) {
		struct ca_item *it = &g->items[i];

		if (it->stage == ITEM_SIGNED) {
			if (signet_store_cert_issue(ca->store, ca->issuer_id,
				it->res->serial, it->der, it->der_len,
				now) == 0) {
				item_move(it, ITEM_RECORDED);
				continue;
			}
			/* Never handed out, so never issued. */
			item_fail(it, signet_error_last()->code,
			    "the signed certificate could not be recorded "
			    "and was discarded");
			free(it->der);
			it->der = NULL;
			it->der_len = 0;
		} else if (it->stage != ITEM_RESERVED)
			continue;
		if (*sign_error == 0)
			*sign_error = it->status;
		if (signet_store_cert_fail(ca->store, ca->issuer_id,
			it->res->serial,
			it->message != NULL ? it->message : "?", now) == 0)
			item_move(it, ITEM_FAILED);
		else
			item_move(it, ITEM_STOPPED);
	}
	if ((r = signet_store_commit(ca->store)) != 0) {
		for (i = 0; i < g->n; i++)
			if (g->items[i].stage == ITEM_RECORDED ||
			    g->items[i].stage == ITEM_FAILED ||
			    g->items[i].stage == ITEM_SIGNED) {
				item_move(&g->items[i], ITEM_STOPPED);
				free(g->items[i].der);
				g->items[i].der = NULL;
				g->items[i].der_len = 0;
			}
		return r;
	}
	if ((r = SIGNET_FAULT("issue.record")) != 0)
		return r;
	return 0;
}

static int
group_outcome(struct ca_group *g)
{
	struct signet_ca *ca = g->ca;
	struct signet_audit_entry *e = NULL;
	char hash[65];
	size_t i, n = 0;
	int r = 0;

	if ((e = calloc(g->n, sizeof(*e))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < g->n && r == 0; i++) {
		struct ca_item *it = &g->items[i];

		if (it->stage == ITEM_RECORDED) {
			if ((r = sha256_hex(it->der, it->der_len, hash)) != 0 ||
			    json_object_set_new(it->details, "cert_sha256",
				json_string(hash)) != 0) {
				r = signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
				break;
			}
			e[n].outcome = SIGNET_AUDIT_SUCCESS;
		} else if (it->stage == ITEM_FAILED) {
			if (json_object_set_new(it->details, "reason",
				json_string(it->message != NULL ? it->message
								: "?")) != 0) {
				r = signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
				break;
			}
			e[n].outcome = SIGNET_AUDIT_FAILURE;
		} else
			continue;
		e[n].event = SIGNET_AUDIT_EV_CERT_ISSUE;
		e[n].details = it->details;
		n++;
	}
	if (r == 0)
		r = signet_audit_append_batch(ca->audit, e, n);
	free(e);
	if (r == 0)
		r = signet_audit_sync(ca->audit);
	if (r == 0)
		r = SIGNET_FAULT("issue.outcome");
	return r;
}

/* ---- phase 5: files ------------------------------------------------------ */

static void
file_task(void *arg, size_t i)
{
	struct ca_group *g = arg;
	struct ca_item *it = &g->items[i];
	char *pem = NULL;
	size_t pem_len = 0;

	if (it->stage != ITEM_RECORDED || it->req->out_path == NULL)
		return;
	signet_error_clear();
	if (ca_pem_cert(it->der, it->der_len,
		it->req->out_chain ? g->ca->chain_pem : NULL,
		it->req->out_chain ? g->ca->chain_pem_len : 0, &pem,
		&pem_len) != 0 ||
	    file_batch_add(g->files, it->req->out_path, pem, pem_len, 0644,
		&it->file_index) != 0) {
		item_fail(it, SIGNET_ERR_IO, NULL);
		free(pem);
		return;
	}
	it->file_added = 1;
	free(pem);
}

static void
item_unwritten(struct ca_item *it, const char *why)
{
	char *m = NULL;

	if (asprintf(&m,
		"certificate %s was issued and recorded, but could not be "
		"written to %s (%s); fetch it with: signet show %s --pem",
		it->res->serial, it->req->out_path, why, it->res->serial) == -1)
		m = NULL;
	free(it->message);
	it->message = m;
	it->status = SIGNET_ERR_IO;
}

static void group_run(struct ca_group *g, ca_task_fn fn);

static void
group_files(struct ca_group *g)
{
	const char *why;
	char *pem = NULL;
	size_t i, pem_len;
	int any = 0;

	for (i = 0; i < g->n; i++)
		any |= g->items[i].stage == ITEM_RECORDED &&
		       g->items[i].req->out_path != NULL;
	if (!any)
		return;
	if (g->n == 1) {
		/* One file: its own fsync beats syncing the file system. */
		struct ca_item *it = &g->items[0];

		if (ca_pem_cert(it->der, it->der_len,
			it->req->out_chain ? g->ca->chain_pem : NULL,
			it->req->out_chain ? g->ca->chain_pem_len : 0, &pem,
			&pem_len) != 0 ||
		    file_write_atomic(it->req->out_path, pem, pem_len, 0644) !=
			0)
			item_unwritten(it, signet_error_message());
		else
			it->res->written = 1;
		free(pem);
		(void)SIGNET_FAULT("issue.write");
		return;
	}
	if (file_batch_new(&g->files) != 0) {
		for (i = 0; i < g->n; i++)
			if (g->items[i].stage == ITEM_RECORDED &&
			    g->items[i].req->out_path != NULL)
				item_unwritten(&g->items[i],
				    signet_error_message());
		return;
	}
	group_run(g, file_task);
	/* Each file's fate is read back below. */
	if (file_batch_commit(g->files) != 0)
		signet_error_clear();
	for (i = 0; i < g->n; i++) {
		struct ca_item *it = &g->items[i];

		if (it->stage != ITEM_RECORDED || it->req->out_path == NULL)
			continue;
		if (!it->file_added)
			item_unwritten(it,
			    it->message != NULL ? it->message : "?");
		else if (file_batch_placed(g->files, it->file_index, &why))
			it->res->written = 1;
		else
			item_unwritten(it, why);
	}
	file_batch_free(g->files);
	g->files = NULL;
	(void)SIGNET_FAULT("issue.write");
}

/* ---- the group ----------------------------------------------------------- */

/* Queue fn over the group on the pool, or run it here (one item, no pool). */
static struct ca_job *
group_start(struct ca_group *g, ca_task_fn fn, int priority)
{
	struct ca_job *job = NULL;
	size_t i;

	if (g->ca->pool != NULL && g->n > 1)
		job = ca_pool_start(g->ca->pool, fn, g, g->n, priority);
	if (job == NULL)
		for (i = 0; i < g->n; i++)
			fn(g, i);
	return job;
}

static void
group_wait(struct ca_group *g, struct ca_job **job)
{
	if (*job != NULL)
		ca_pool_wait(g->ca->pool, *job);
	*job = NULL;
}

/* Files go first: they are this thread's work, the rest can wait. */
static void
group_run(struct ca_group *g, ca_task_fn fn)
{
	struct ca_job *job = group_start(g, fn, 2);

	group_wait(g, &job);
}

/* Hand each item's outcome to its result. */
static void
group_finish(struct ca_group *g, int fatal, const char *fatal_msg,
    int announced)
{
	size_t i;
	int stopped;

	for (i = 0; i < g->n; i++) {
		struct ca_item *it = &g->items[i];
		struct signet_ca_result *res = it->res;

		if (it->tbs != NULL) {
			const struct signet_validity *v =
			    signet_tbs_get0_validity(it->tbs);

			res->not_before = v->not_before;
			res->not_after = v->not_after;
			res->clamped = v->clamped;
		}
		/* A refusal the log never got is no decision. */
		stopped =
		    it->stage != ITEM_RECORDED && it->stage != ITEM_FAILED &&
		    (it->stage != ITEM_REFUSED || (!announced && fatal != 0));
		if (it->stage == ITEM_RECORDED) {
			res->recorded = 1;
			res->der = it->der;
			res->der_len = it->der_len;
			it->der = NULL;
			res->status = it->status;
		} else if (!stopped)
			res->status =
			    it->status != 0 ? it->status : SIGNET_ERR_INTERNAL;
		else {
			/* Stopped by a failure of the batch. */
			res->status = fatal != 0 ? fatal : SIGNET_ERR_INTERNAL;
			free(it->message);
			it->message = NULL;
			if (asprintf(&it->message, "%s%s",
				fatal_msg != NULL ? fatal_msg
						  : "the batch stopped",
				it->stage == ITEM_STOPPED ||
					it->stage == ITEM_RESERVED ||
					it->stage == ITEM_SIGNED
				    ? " (its serial stays pending until "
				      "'signet db check --resolve')"
				    : "") == -1)
				it->message = NULL;
		}
		res->message = it->message;
		it->message = NULL;
		if (res->status != 0 && res->message == NULL)
			res->message = strdup(signet_strerror(res->status));
	}
}

static void
group_free(struct ca_group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct ca_item *it = &g->items[i];

		signet_request_free(it->rq);
		signet_tbs_free(it->tbs);
		free(it->subject);
		free(it->sans);
		json_decref(it->details);
		free(it->message);
		free(it->der);
	}
	memset(g->items, 0, g->n * sizeof(*g->items));
	file_batch_free(g->files);
	g->files = NULL;
}

/* Before signing: refusals logged, serials reserved, intents synced. */
static int
group_announce(struct ca_group *g)
{
	int r;

	if ((r = group_reserve(g)) != 0)
		return r;
	return group_intent(g);
}

/* After signing: recorded, outcomes synced, files written. */
static int
group_deliver(struct ca_group *g)
{
	int r, sign_error = 0, outcome;

	if ((r = group_record(g, &sign_error)) != 0)
		return r;
	/* A log that cannot take the outcome stops the batch ... */
	outcome = group_outcome(g);
	/* ... but what is recorded as issued may still be delivered. */
	group_files(g);
	if (outcome != 0)
		return outcome;
	/* A token that failed once is not asked to sign the next group. */
	return sign_error;
}

void
signet_ca_result_clear(struct signet_ca_result *res)
{
	if (res == NULL)
		return;
	free(res->message);
	free(res->der);
	memset(res, 0, sizeof(*res));
}

static int
issue_check(struct signet_ca *ca)
{
	if (ca->signer == NULL || ca->policy == NULL || ca->audit == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "issuing needs an instance opened with "
		    "SIGNET_CA_OPEN_SIGN and SIGNET_CA_OPEN_POLICY");
	return 0;
}

/*
 * A batch runs as a pipeline over a ring of three groups, so that the
 * token signs while this thread works the store and the log: while group
 * k is signed, the workers check and build group k+1, which this thread
 * then reserves and announces; then this thread records and delivers
 * group k while group k+1 is signed. Each group still takes every step,
 * in order.
 */
#define ISSUE_RING 3

struct pipeline {
	struct signet_ca *ca;
	const struct signet_ca_request *reqs;
	struct signet_ca_result *res;
	size_t n, size, groups;
	struct ca_group g[ISSUE_RING];
	struct ca_job *prep[ISSUE_RING];
	struct ca_job *sign[ISSUE_RING];
	int announced[ISSUE_RING]; /* reserved and announced: to be signed */
	int signing[ISSUE_RING];   /* handed to the signers */
	int fatal;
	char *fatal_msg;
	signet_ca_progress_fn progress;
	void *progress_arg;
	size_t done;
};

static struct ca_group *
pl_group(struct pipeline *pl, size_t k)
{
	return &pl->g[k % ISSUE_RING];
}

static void
pl_fail(struct pipeline *pl, int r)
{
	if (pl->fatal != 0 || r == 0)
		return;
	pl->fatal = r;
	pl->fatal_msg = ca_error_dup();
}

static void
pl_prep(struct pipeline *pl, size_t k)
{
	struct ca_group *g = pl_group(pl, k);
	size_t start = k * pl->size, i;

	g->n = pl->n - start < pl->size ? pl->n - start : pl->size;
	for (i = 0; i < g->n; i++) {
		g->items[i].req = &pl->reqs[start + i];
		g->items[i].res = &pl->res[start + i];
	}
	g->now = time(NULL);
	/* On failure each serial asks the token itself, and fails there. */
	if (group_random_fill(g) != 0)
		signet_error_clear();
	pl->announced[k % ISSUE_RING] = 0;
	pl->signing[k % ISSUE_RING] = 0;
	pl->prep[k % ISSUE_RING] = group_start(g, prep_task, 0);
}

static void
pl_announce(struct pipeline *pl, size_t k)
{
	struct ca_group *g = pl_group(pl, k);
	int r;

	group_wait(g, &pl->prep[k % ISSUE_RING]);
	if (pl->fatal != 0)
		return;
	if ((r = group_announce(g)) != 0) {
		pl_fail(pl, r);
		return;
	}
	pl->announced[k % ISSUE_RING] = 1;
}

static void
pl_finish(struct pipeline *pl, size_t k)
{
	struct ca_group *g = pl_group(pl, k);

	group_wait(g, &pl->prep[k % ISSUE_RING]);
	group_wait(g, &pl->sign[k % ISSUE_RING]);
	group_finish(g, pl->fatal, pl->fatal_msg,
	    pl->announced[k % ISSUE_RING]);
	group_free(g);
	pl->done += g->n;
	g->n = 0;
	if (pl->progress != NULL)
		pl->progress(pl->progress_arg, pl->done, pl->n);
}

/* After group k was signed: did the token fail on any of it? */
static void
pl_sign_check(struct pipeline *pl, size_t k)
{
	struct ca_group *g = pl_group(pl, k);
	size_t i;

	if (!pl->signing[k % ISSUE_RING] || pl->fatal != 0)
		return;
	for (i = 0; i < g->n; i++)
		if (g->items[i].stage == ITEM_RESERVED) {
			pl->fatal = g->items[i].status != 0 ? g->items[i].status
							    : SIGNET_ERR_TOKEN;
			pl->fatal_msg = g->items[i].message != NULL
					    ? strdup(g->items[i].message)
					    : NULL;
			return;
		}
}

static void
pl_sign(struct pipeline *pl, size_t k)
{
	pl->signing[k % ISSUE_RING] = 1;
	pl->sign[k % ISSUE_RING] = group_start(pl_group(pl, k), sign_task, 1);
}

/*
 * Group k was signed: record and deliver it (even after a failure). A
 * group reserved and announced but never handed to the signers (the batch
 * stopped first) has its rows marked failed: nothing of it was signed.
 */
static void
pl_deliver(struct pipeline *pl, size_t k)
{
	struct ca_group *g = pl_group(pl, k);
	char why[600];

	group_wait(g, &pl->sign[k % ISSUE_RING]);
	if (pl->signing[k % ISSUE_RING])
		pl_fail(pl, group_deliver(g));
	else if (pl->announced[k % ISSUE_RING]) {
		snprintf(why, sizeof(why), "not signed: the batch stopped (%s)",
		    pl->fatal_msg != NULL ? pl->fatal_msg : "?");
		group_abandon(g, pl->fatal, why);
		/* Best effort: the log may be what stopped the batch. */
		if (group_outcome(g) != 0)
			signet_error_clear();
	}
	pl_finish(pl, k);
}

static void
pl_run(struct pipeline *pl)
{
	size_t k;

	pl_prep(pl, 0);
	pl_announce(pl, 0);
	if (pl->announced[0])
		pl_sign(pl, 0);
	if (pl->groups > 1 && pl->fatal == 0)
		pl_prep(pl, 1);
	for (k = 0; k < pl->groups; k++) {
		/* Group k+1 is reserved and announced while k is signed. */
		if (k + 1 < pl->groups && pl_group(pl, k + 1)->n > 0)
			pl_announce(pl, k + 1);
		group_wait(pl_group(pl, k), &pl->sign[k % ISSUE_RING]);
		/* A token that failed once signs no next group. */
		pl_sign_check(pl, k);
		if (k + 1 < pl->groups && pl->fatal == 0 &&
		    pl->announced[(k + 1) % ISSUE_RING])
			pl_sign(pl, k + 1);
		if (k + 2 < pl->groups && pl->fatal == 0)
			pl_prep(pl, k + 2);
		pl_deliver(pl, k);
		if (pl->fatal != 0) {
			/* What is in flight ends before the batch does. */
			if (k + 1 < pl->groups && pl_group(pl, k + 1)->n > 0)
				pl_deliver(pl, k + 1);
			if (k + 2 < pl->groups && pl_group(pl, k + 2)->n > 0)
				pl_finish(pl, k + 2);
			return;
		}
	}
}

int
signet_ca_issue_batch(struct signet_ca *ca,
    const struct signet_ca_request *reqs, size_t n,
    struct signet_ca_result *res, signet_ca_progress_fn progress, void *arg)
{
	int r = SIGNET_ERR_INTERNAL;
	struct pipeline pl;
	size_t i, group_max;

	memset(&pl, 0, sizeof(pl));
	for (i = 0; i < n; i++)
		memset(&res[i], 0, sizeof(res[i]));
	if ((r = issue_check(ca)) != 0)
		return r;
	if (n == 0)
		return 0;
	if (n > 1 && ca->pool == NULL &&
	    (r = ca_pool_new(ca->cfg->workers, &ca->pool)) != 0)
		return r;
	/*
	 * Workers look up blocked keys on their own connection; a pool kept
	 * from an earlier batch whose open failed has none yet.
	 */
	if (ca->pool != NULL && ca->reader == NULL &&
	    ((r = SIGNET_FAULT("issue.reader")) != 0 ||
		(r = signet_ca_store_open(ca->cfg, 0, &ca->reader)) != 0))
		return r;
	pl.ca = ca;
	pl.reqs = reqs;
	pl.res = res;
	pl.n = n;
	/* signet.yaml's issuance.batch-size is at least 1 (config.c). */
	pl.size = ca->cfg->batch_size > 0 ? ca->cfg->batch_size : 1;
	pl.groups = (n + pl.size - 1) / pl.size;
	pl.progress = progress;
	pl.progress_arg = arg;
	group_max = pl.size < n ? pl.size : n;
	for (i = 0; i < ISSUE_RING; i++)
		pthread_mutex_init(&pl.g[i].rand_lock, NULL);
	for (i = 0; i < ISSUE_RING; i++) {
		pl.g[i].ca = ca;
		if ((pl.g[i].items = calloc(group_max,
			 sizeof(*pl.g[i].items))) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
	}
	pl_run(&pl);
	r = pl.fatal;
	/* What the batch did not reach. */
	for (i = pl.done; r != 0 && i < n; i++) {
		res[i].status = r;
		if (asprintf(&res[i].message, "not attempted: %s",
			pl.fatal_msg != NULL ? pl.fatal_msg
					     : "the batch stopped") == -1)
			res[i].message = NULL;
	}
	if (r != 0)
		signet_error_set(r, "%s",
		    pl.fatal_msg != NULL ? pl.fatal_msg : signet_strerror(r));
out:
	for (i = 0; i < ISSUE_RING; i++) {
		free(pl.g[i].items);
		if (pl.g[i].rand != NULL)
			secret_wipe(pl.g[i].rand, pl.g[i].rand_len);
		free(pl.g[i].rand);
		pthread_mutex_destroy(&pl.g[i].rand_lock);
	}
	free(pl.fatal_msg);
	return r;
}

int
signet_ca_issue(struct signet_ca *ca, const struct signet_ca_request *req,
    struct signet_ca_result *res)
{
	int r;

	if ((r = signet_ca_issue_batch(ca, req, 1, res, NULL, NULL)) != 0)
		return r;
	if (res->status != 0)
		signet_error_set(res->status, "%s",
		    res->message != NULL ? res->message
					 : signet_strerror(res->status));
	return res->status;
}
