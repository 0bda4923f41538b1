/*
 * OCSP pre-signing: the signer keeps one response for every unexpired
 * certificate of the CA (good, or revoked with its time and reason),
 * signs a new one when a certificate appears or is revoked (the store's
 * counters say so; polled every serve.crl.check-interval) and before half
 * of a response's lifetime has passed, and pushes them to the front end,
 * which answers from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/signer_int.h"
#include "signet/ca.h"
#include "signet/store.h"
#include "signet/x509.h"

/*
 * Responses per turn of the loop, signed in one call on the CA's worker
 * threads: /health and ISSUE wait meanwhile.
 */
#define OCSP_SIGN_PER_TURN 256

struct ocsp_ent {
	char serial[41];
	int revoked;
	int64_t revoked_at;
	int reason;
	int64_t not_after;
	int64_t this_update; /* 0: not signed yet */
	uint8_t *der;
	size_t len;
};

struct signer_ocsp {
	struct ocsp_ent *v; /* sorted by serial */
	size_t n;
	int scanned;
	int64_t rev_seq;
	int64_t total;      /* issued + revoked rows at the last scan */
	int64_t refresh_at; /* the earliest response due for re-signing */
	size_t signed_total;
	size_t failures;
	/* serve.ocsp.signer: delegated: the responder responses are from. */
	struct signet_ca_ocsp_responder responder;
	int have_responder;
	/* The store: the latest thisUpdate read or written there. */
	int64_t store_since;
	size_t adopted_total;
	size_t store_failures;
};

struct scan {
	struct ocsp_ent *v;
	size_t n, cap;
	int64_t now;
};

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ocsp_ent *)a)->serial,
	    ((const struct ocsp_ent *)b)->serial);
}

static int
scan_cb(const struct signet_store_cert *c, void *arg)
{
	struct scan *sc = arg;
	struct ocsp_ent *e;

	/* Expired certificates get no response: unauthorized from then on. */
	if (c->not_after < sc->now)
		return 0;
	if (sc->n == sc->cap) {
		size_t cap = sc->cap == 0 ? 1024 : sc->cap * 2;

		if ((e = realloc(sc->v, cap * sizeof(*e))) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory listing certificates for OCSP");
		sc->v = e;
		sc->cap = cap;
	}
	e = &sc->v[sc->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->serial, sizeof(e->serial), "%s", c->serial);
	e->revoked = c->status == SIGNET_CERT_REVOKED;
	e->not_after = c->not_after;
	e->revoked_at = e->revoked ? c->revoked_at : 0;
	e->reason = e->revoked ? c->revocation_reason : SIGNET_CRL_REASON_NONE;
	return 0;
}

static void
ocsp_free_entries(struct ocsp_ent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].der);
	free(v);
}

/* The store's view now: every unexpired issued or revoked certificate. */
static int
ocsp_rescan(struct signer *s, struct signer_ocsp *o, int64_t now)
{
	struct signet_store *st = signet_ca_get0_store(s->ca);
	struct signet_store_filter f;
	struct scan sc;
	struct ocsp_ent *old;
	size_t i;
	int r;

	memset(&sc, 0, sizeof(sc));
	sc.now = now;
	memset(&f, 0, sizeof(f));
	f.issuer = signet_ca_issuer_id(s->ca);
	f.now = now;
	f.select = SIGNET_SELECT_VALID;
	if ((r = signet_store_cert_foreach(st, &f, scan_cb, &sc)) != 0)
		goto out;
	f.select = SIGNET_SELECT_REVOKED;
	if ((r = signet_store_cert_foreach(st, &f, scan_cb, &sc)) != 0)
		goto out;
	if (sc.n > 1)
		qsort(sc.v, sc.n, sizeof(*sc.v), ent_cmp);
	/* Keep a response whose status did not change. */
	for (i = 0; i < sc.n; i++) {
		old = o->n > 0 ? bsearch(&sc.v[i], o->v, o->n, sizeof(*o->v),
				     ent_cmp)
			       : NULL;
		if (old == NULL || old->der == NULL ||
		    old->revoked != sc.v[i].revoked ||
		    old->revoked_at != sc.v[i].revoked_at ||
		    old->reason != sc.v[i].reason)
			continue;
		sc.v[i].der = old->der;
		sc.v[i].len = old->len;
		sc.v[i].this_update = old->this_update;
		old->der = NULL;
	}
	ocsp_free_entries(o->v, o->n);
	o->v = sc.v;
	o->n = sc.n;
	sc.v = NULL;
	r = 0;
out:
	free(sc.v);
	return r;
}

/* Push entries [from, to) that have a response, in bounded batches. */
static void
ocsp_push(struct signer *s, const struct signer_ocsp *o, const size_t *idx,
    size_t n)
{
	struct serve_wbuf w;
	struct serve_ocsp_entry e;
	struct signet_serial ser;
	const struct ocsp_ent *v;
	uint32_t k = 0;
	size_t i;
	int64_t life = s->cfg->serve_ocsp_lifetime;

	serve_wbuf_init(&w, SERVE_OCSP_BATCH_BYTES);
	serve_ocsp_batch_begin(&w);
	for (i = 0; i < n; i++) {
		v = &o->v[idx != NULL ? idx[i] : i];
		if (v->der == NULL || v->len > SERVE_OCSP_DER_MAX ||
		    signet_serial_from_hex(v->serial, &ser) != 0)
			continue;
		memset(&e, 0, sizeof(e));
		e.serial = ser.v;
		e.serial_len = ser.len;
		e.this_update = v->this_update;
		e.next_update = v->this_update + life;
		e.der = v->der;
		e.der_len = v->len;
		serve_ocsp_batch_add(&w, &e);
		if (++k == SERVE_OCSP_BATCH_MAX) {
			if (serve_ocsp_batch_end(&w, k) == 0)
				(void)signer_send(s, SERVE_MSG_OCSP_RESPONSES,
				    0, w.p, w.len);
			serve_wbuf_free(&w);
			serve_wbuf_init(&w, SERVE_OCSP_BATCH_BYTES);
			serve_ocsp_batch_begin(&w);
			k = 0;
		}
	}
	if (k > 0 && serve_ocsp_batch_end(&w, k) == 0)
		(void)signer_send(s, SERVE_MSG_OCSP_RESPONSES, 0, w.p, w.len);
	serve_wbuf_free(&w);
}

void
signer_ocsp_push_all(struct signer *s)
{
	struct signer_ocsp *o = s->ocsp;
	struct serve_ocsp_issuer is;
	struct serve_wbuf w;
	uint8_t nh[32], kh[32];
	size_t n = 0;

	if (o == NULL || s->ca == NULL || !s->cfg->serve_ocsp)
		return;
	memset(&is, 0, sizeof(is));
	if (signet_ca_ocsp_issuer_hashes(s->ca, SIGNET_OCSP_CERTID_SHA1, nh, kh,
		&n) != 0 ||
	    n != 20 ||
	    signet_ca_ocsp_issuer_hashes(s->ca, SIGNET_OCSP_CERTID_SHA256,
		is.sha256_name, is.sha256_key, &n) != 0) {
		signer_say("OCSP: cannot hash the CA: %s",
		    signet_error_message());
		return;
	}
	memcpy(is.sha1_name, nh, 20);
	memcpy(is.sha1_key, kh, 20);
	serve_wbuf_init(&w, SERVE_OCSP_ISSUER_LEN);
	if (serve_ocsp_issuer_encode(&is, &w) == 0)
		(void)signer_send(s, SERVE_MSG_OCSP_ISSUER, 0, w.p, w.len);
	serve_wbuf_free(&w);
	ocsp_push(s, o, NULL, o->n);
}

/* Has anything changed in the store since the last scan? */
static int
ocsp_store_changed(struct signer *s, struct signer_ocsp *o, int64_t *seq,
    int64_t *total)
{
	struct signet_store_counts c;
	int r;

	if ((r = signet_store_revocation_seq(signet_ca_get0_store(s->ca),
		 signet_ca_issuer_id(s->ca), seq)) != 0 ||
	    (r = signet_store_counts(signet_ca_get0_store(s->ca),
		 signet_ca_issuer_id(s->ca), &c)) != 0)
		return r;
	*total = c.issued + c.revoked;
	return !o->scanned || *seq != o->rev_seq || *total != o->total;
}

/* ---- the store: responses shared across restarts and nodes ---------------- */

struct adopt {
	struct signer *s;
	struct signer_ocsp *o;
	size_t *idx; /* entries taken, to push */
	size_t n, cap;
	size_t refused;
	int64_t since;
};

static int
adopt_cb(const struct signet_store_ocsp *r, void *arg)
{
	struct adopt *a = arg;
	struct signer_ocsp *o = a->o;
	struct ocsp_ent key, *e;
	struct signet_ca_ocsp_cert c;
	uint8_t *der;
	size_t *idx;

	if (r->this_update > a->since)
		a->since = r->this_update;
	memset(&key, 0, sizeof(key));
	snprintf(key.serial, sizeof(key.serial), "%s", r->serial);
	e = o->n > 0 ? bsearch(&key, o->v, o->n, sizeof(*o->v), ent_cmp) : NULL;
	/* Ours is as new or newer (or the certificate expired meanwhile). */
	if (e == NULL || (e->der != NULL && e->this_update >= r->this_update))
		return 0;
	memset(&c, 0, sizeof(c));
	c.serial = e->serial;
	c.revoked = e->revoked;
	c.revoked_at = e->revoked_at;
	c.reason = e->reason;
	if (signet_ca_ocsp_check(a->s->ca, &c, r->der, r->der_len) != 0) {
		/* Another signer, a status since changed: sign our own. */
		a->refused++;
		return 0;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap == 0 ? 256 : a->cap * 2;

		if ((idx = realloc(a->idx, cap * sizeof(*idx))) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory reading OCSP responses");
		a->idx = idx;
		a->cap = cap;
	}
	if ((der = malloc(r->der_len)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "out of memory reading OCSP responses");
	memcpy(der, r->der, r->der_len);
	free(e->der);
	e->der = der;
	e->len = r->der_len;
	e->this_update = r->this_update;
	a->idx[a->n++] = (size_t)(e - o->v);
	return 0;
}

/*
 * Responses in the store newer than ours that this instance would have
 * signed itself (at start: every fresh one, so a restart signs only what
 * is due; later: what other nodes signed), served from now on.
 */
static void
ocsp_store_adopt(struct signer *s, struct signer_ocsp *o, int64_t now)
{
	struct adopt a;
	int r;

	memset(&a, 0, sizeof(a));
	a.s = s;
	a.o = o;
	a.since = o->store_since;
	r = signet_store_ocsp_foreach(signet_ca_get0_store(s->ca),
	    signet_ca_issuer_id(s->ca), o->store_since, now, adopt_cb, &a);
	if (r != 0) {
		o->store_failures++;
		signer_count_error(s, r);
		signer_say("OCSP: cannot read responses from the store: %s",
		    signet_error_message());
	} else
		o->store_since = a.since;
	if (a.n > 0) {
		o->adopted_total += a.n;
		ocsp_push(s, o, a.idx, a.n);
		signer_say("OCSP: %zu response%s taken from the store", a.n,
		    a.n == 1 ? "" : "s");
	}
	if (a.refused > 0)
		signer_say("OCSP: %zu response%s in the store not taken "
			   "(another "
			   "signer, or a status since changed)",
		    a.refused, a.refused == 1 ? "" : "s");
	free(a.idx);
}

/* Write what this turn signed, for restarts and the other nodes. */
static void
ocsp_store_put(struct signer *s, struct signer_ocsp *o, const size_t *idx,
    size_t n, int64_t life)
{
	struct signet_store_ocsp *v;
	int64_t tu = 0;
	size_t i;
	int r;

	if (n == 0 || (v = calloc(n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct ocsp_ent *e = &o->v[idx[i]];

		v[i].serial = e->serial;
		v[i].this_update = e->this_update;
		v[i].next_update = e->this_update + life;
		v[i].der = e->der;
		v[i].der_len = e->len;
		if (e->this_update > tu)
			tu = e->this_update;
	}
	if ((r = signet_store_ocsp_put(signet_ca_get0_store(s->ca),
		 signet_ca_issuer_id(s->ca), v, n)) != 0) {
		o->store_failures++;
		signer_count_error(s, r);
		signer_say("OCSP: cannot write %zu response%s to the store "
			   "(served all the same): %s",
		    n, n == 1 ? "" : "s", signet_error_message());
	} else if (tu > o->store_since)
		o->store_since = tu; /* not read back as news */
	free(v);
}

/*
 * The delegated responder: the store's current one, else (none, or due
 * for rotation) a new one made now. When it changed, every response is
 * signed again by it; until then the old ones are served.
 */
static int
ocsp_responder_sync(struct signer *s, struct signer_ocsp *o, int64_t now)
{
	struct signet_ca_ocsp_responder info;
	int r, found = 0;
	size_t i;

	if ((r = signet_ca_ocsp_responder_load(s->ca, now, &info, &found)) != 0)
		goto fail;
	if (!found || now >= info.rotate_at) {
		if ((r = signet_ca_ocsp_responder_make(s->ca, &info)) != 0)
			goto fail;
		signer_say("OCSP: new responder certificate %s (key %s), "
			   "valid until %lld, replaced from %lld",
		    info.serial, info.key_label, (long long)info.not_after,
		    (long long)info.rotate_at);
	}
	if (o->have_responder && strcmp(o->responder.serial, info.serial) == 0)
		return 0;
	if (o->have_responder)
		signer_say("OCSP: responder %s replaces %s: signing every "
			   "response again",
		    info.serial, o->responder.serial);
	o->responder = info;
	o->have_responder = 1;
	for (i = 0; i < o->n; i++)
		o->v[i].this_update = 0; /* due now; the old one is served */
	/* Another node may have signed with it already: read them all. */
	o->store_since = 0;
	return 0;
fail:
	signer_count_error(s, r);
	signer_say("OCSP: no delegated responder, nothing signed: %s",
	    signet_error_message());
	return r;
}

/*
 * Sign the responses of entries idx[0..n) in one call (on the CA's worker
 * threads); keep those signed at the front of idx and return their count.
 * A failure is counted and logged, and the entry tried again next time.
 */
static size_t
ocsp_sign_due(struct signer *s, struct signer_ocsp *o, size_t *idx, size_t n,
    int64_t tu)
{
	struct signet_ca_ocsp_cert *c = NULL;
	struct signet_ca_ocsp_result *res = NULL;
	struct ocsp_ent *e;
	size_t i, done = 0;
	int r = SIGNET_ERR_INTERNAL;

	if ((c = calloc(n, sizeof(*c))) == NULL ||
	    (res = calloc(n, sizeof(*res))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = &o->v[idx[i]];
		c[i].serial = e->serial;
		c[i].revoked = e->revoked;
		c[i].revoked_at = e->revoked_at;
		c[i].reason = e->reason;
		free(e->der);
		e->der = NULL;
		e->this_update =
		    0; /* signed again at the next check if not now */
	}
	if ((r = signet_ca_ocsp_sign_many(s->ca, c, n, tu, res)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		e = &o->v[idx[i]];
		if (res[i].status != 0) {
			o->failures++;
			signer_count_error(s, res[i].status);
			signer_say("OCSP: cannot sign the response for %s: %s",
			    e->serial,
			    res[i].message != NULL ? res[i].message : "?");
			continue;
		}
		e->der = res[i].der;
		e->len = res[i].der_len;
		e->this_update = tu;
		res[i].der = NULL;
		idx[done++] = idx[i];
	}
	r = 0;
out:
	if (r != 0) {
		o->failures += n;
		signer_count_error(s, r);
		signer_say("OCSP: cannot sign %zu response%s: %s", n,
		    n == 1 ? "" : "s", signet_error_message());
	}
	for (i = 0; res != NULL && i < n; i++)
		signet_ca_ocsp_result_clear(&res[i]);
	free(res);
	free(c);
	return done;
}

int
signer_ocsp_check(struct signer *s)
{
	struct signer_ocsp *o;
	int64_t now = (int64_t)time(NULL), seq = 0, total = 0, tu, life, due;
	size_t i, n = 0, done, *idx = NULL;
	int r, changed, more = 0;

	if (s->ca == NULL || !s->cfg->serve_ocsp)
		return 0;
	if (s->ocsp == NULL && (s->ocsp = calloc(1, sizeof(*s->ocsp))) == NULL)
		return 0;
	o = s->ocsp;
	life = s->cfg->serve_ocsp_lifetime;
	if ((r = ocsp_store_changed(s, o, &seq, &total)) < 0) {
		signer_count_error(s, r);
		signer_say("OCSP: cannot read the store's counters: %s",
		    signet_error_message());
		return 0;
	}
	changed = r;
	if (r > 0) {
		if (ocsp_rescan(s, o, now) != 0) {
			signer_count_error(s, SIGNET_ERR_STORE);
			signer_say("OCSP: cannot list the certificates: %s",
			    signet_error_message());
			return 0;
		}
		o->scanned = 1;
		o->rev_seq = seq;
		o->total = total;
	}
	/*
	 * A new responder certificate (this node's, another's, or `signet
	 * ocsp signer rotate`) moves the store's counts; a rotation falls due
	 * on the clock.
	 */
	if (!s->cfg->serve_ocsp_ca_signs &&
	    (changed > 0 || !o->have_responder ||
		now >= o->responder.rotate_at) &&
	    ocsp_responder_sync(s, o, now) != 0) {
		o->have_responder = 0;
		o->refresh_at = now + 60;
		return 0;
	}
	/* What other nodes (or this one before a restart) signed. */
	ocsp_store_adopt(s, o, now);
	if (changed == 0 && now < o->refresh_at)
		return 0;
	/* RFC 6960 4.2.2.1: thisUpdate on a whole minute. */
	tu = now - now % 60;
	if ((idx = calloc(OCSP_SIGN_PER_TURN, sizeof(*idx))) == NULL)
		return 0;
	o->refresh_at = INT64_MAX;
	for (i = 0; i < o->n; i++) {
		struct ocsp_ent *e = &o->v[i];

		/* Expired since the last scan: no new response. */
		if (e->not_after < now)
			continue;
		due = e->this_update + life / 2;
		if (e->der != NULL && now < due) {
			if (due < o->refresh_at)
				o->refresh_at = due;
			continue;
		}
		if (n == OCSP_SIGN_PER_TURN) {
			more = 1;
			continue;
		}
		idx[n++] = i;
	}
	done = n > 0 ? ocsp_sign_due(s, o, idx, n, tu) : 0;
	if (done > 0) {
		if (tu + life / 2 < o->refresh_at)
			o->refresh_at = tu + life / 2;
		o->signed_total += done;
		ocsp_push(s, o, idx, done);
		ocsp_store_put(s, o, idx, done, life);
		signer_say("OCSP: %zu response%s signed (%zu certificates)",
		    done, done == 1 ? "" : "s", o->n);
	}
	/* Failures are tried again at the next check. */
	if (more || done < n)
		o->refresh_at = now;
	if (o->have_responder && o->responder.rotate_at < o->refresh_at)
		o->refresh_at = o->responder.rotate_at;
	free(idx);
	return more;
}

void
signer_ocsp_free(struct signer *s)
{
	if (s->ocsp == NULL)
		return;
	ocsp_free_entries(s->ocsp->v, s->ocsp->n);
	free(s->ocsp);
	s->ocsp = NULL;
}
