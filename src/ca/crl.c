/*
 * CRL generation, in the order issuance follows: the number is allocated
 * (and so recorded) before anything is signed, the intent is durably in
 * the audit log before the token signs, and the file is written only
 * once the store holds the signed CRL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "ca/ca_int.h"
#include "util/codec.h"
#include "util/fault.h"
#include "util/file.h"
#include "util/pem.h"

/* One revoked entry, compact: a million of them are 32 MB. */
struct crl_ent {
	int64_t revoked_at;
	uint8_t serial[SIGNET_SERIAL_MAX];
	uint8_t len;
	int8_t reason;
};

struct crl_list {
	struct crl_ent *v;
	size_t n, cap;
	size_t next; /* for the iterator */
	EVP_MD_CTX *md;
	int err;
};

static int
collect_cb(const struct signet_store_revoked *e, void *arg)
{
	struct crl_list *l = arg;
	struct signet_serial s;
	struct crl_ent *v;
	char line[96];
	int n;

	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 1024 : l->cap * 2;

		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory collecting CRL entries");
		l->v = v;
		l->cap = cap;
	}
	if (signet_serial_from_hex(e->serial, &s) != 0)
		return signet_error_context(SIGNET_ERR_STORE,
		    "the database holds a malformed serial");
	v = &l->v[l->n++];
	memcpy(v->serial, s.v, s.len);
	v->len = (uint8_t)s.len;
	v->reason = (int8_t)e->reason;
	v->revoked_at = e->revoked_at;
	/* What the list was, for the log: a count and a hash. */
	n = snprintf(line, sizeof(line), "%s %lld %d\n", e->serial,
	    (long long)e->revoked_at, e->reason);
	if (EVP_DigestUpdate(l->md, line, (size_t)n) != 1)
		return signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
	return 0;
}

static int
next_entry(void *arg, struct signet_crl_entry *e)
{
	struct crl_list *l = arg;
	const struct crl_ent *v;

	if (l->next == l->n)
		return 0;
	v = &l->v[l->next++];
	memset(e, 0, sizeof(*e));
	memcpy(e->serial.v, v->serial, v->len);
	e->serial.len = v->len;
	e->revoked_at = (time_t)v->revoked_at;
	e->reason = (int)v->reason; /* -1: no reason code */
	return 1;
}

void
signet_ca_crl_result_clear(struct signet_ca_crl_result *res)
{
	if (res == NULL)
		return;
	free(res->der);
	memset(res, 0, sizeof(*res));
}

static json_t *
crl_details(const struct signet_ca_crl_result *res, int delta,
    const char *entries_hash, const char *tbs_hash)
{
	char tu[21], nu[21];

	time_format((time_t)res->this_update, tu);
	time_format((time_t)res->next_update, nu);
	return json_pack("{s:I,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "crl_number",
	    (json_int_t)res->number, "kind", delta ? "delta" : "full",
	    "base_crl_number", (json_int_t)res->base, "entries",
	    (json_int_t)res->entries, "entries_sha256", entries_hash,
	    "this_update", tu, "next_update", nu, "tbs_sha256", tbs_hash);
}

static int
crl_write(const char *path, const uint8_t *der, size_t len, int pem)
{
	char *p = NULL;
	size_t plen = 0;
	int r;

	if (!pem)
		return file_write_atomic(path, der, len, 0644);
	if ((r = pem_encode("X509 CRL", der, len, &p, &plen)) != 0)
		return r;
	r = file_write_atomic(path, p, plen, 0644);
	free(p);
	return r;
}

/* Serials in the CRL's order: ascending as integers. */
static int
serial_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

struct kept_check {
	struct signet_ca *ca;
	const struct crl_list *l;
	int64_t bound;  /* certificates that expired before this may go */
	int64_t number; /* of the previous CRL */
};

/* One entry of the previous full CRL: still listed, or expired. */
static int
kept_cb(void *arg, struct signet_crl_entry *e)
{
	struct kept_check *k = arg;
	struct signet_store_cert *row = NULL;
	size_t lo = 0, hi = k->l->n, mid;
	const struct crl_ent *v;
	char hex[2 * SIGNET_SERIAL_MAX + 1];
	int c, r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		v = &k->l->v[mid];
		c = serial_cmp(v->serial, v->len, e->serial.v, e->serial.len);
		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	signet_serial_to_hex(&e->serial, hex);
	r = signet_store_cert_get(k->ca->store, k->ca->issuer_id, hex, &row);
	if (r != 0 && r != SIGNET_ERR_NOT_FOUND)
		return r;
	/* RFC 5280 3.3: an expired entry goes after one more CRL. */
	if (r == 0 && row->not_after < k->bound) {
		signet_store_cert_free(row);
		return 0;
	}
	r = signet_error_set(SIGNET_ERR_VERIFY,
	    "certificate %s is on CRL %lld, but %s: this CRL would drop it "
	    "although it has not expired. The database was changed behind "
	    "signet's back (or restored from an older backup); nothing was "
	    "signed. Run 'signet db check', which says what to do",
	    hex, (long long)k->number,
	    row == NULL ? "the database has no row for it"
	    : row->status == SIGNET_CERT_REVOKED
		? "the database lost its revocation"
		: "the database says it is not revoked");
	signet_store_cert_free(row);
	return r;
}

/*
 * A full CRL never drops an entry the previous full CRL listed, unless the
 * certificate expired: a row flipped back to issued or deleted would
 * otherwise quietly reinstate a revoked certificate.
 */
static int
crl_keeps_previous(struct signet_ca *ca, const struct crl_list *l)
{
	struct signet_store_crl *prev = NULL;
	struct kept_check k;
	int64_t number = 0, tu = 0;
	int r;

	r = signet_store_crl_last_full(ca->store, ca->issuer_id, &number, &tu);
	if (r == SIGNET_ERR_NOT_FOUND) {
		signet_error_clear();
		return 0;
	}
	if (r != 0 || (r = signet_store_crl_get(ca->store, ca->issuer_id,
			   number, &prev)) != 0)
		return r;
	memset(&k, 0, sizeof(k));
	k.ca = ca;
	k.l = l;
	k.bound = tu;
	k.number = number;
	r = prev->der != NULL ? signet_crl_entries_foreach(prev->der,
				    prev->der_len, kept_cb, &k)
			      : 0;
	signet_store_crl_free(prev);
	return r;
}

/*
 * RFC 5280 5.2.3: CRL numbers strictly increase. A database restored from
 * a backup hands out numbers again that CRLs already carry; the audit log
 * still has them (read back when the log was opened). Move the counter
 * past them, and say so in the log first.
 */
static int
crl_number_catch_up(struct signet_ca *ca)
{
	int64_t was = 0;
	int r;

	if (ca->log_crl_max <= 0)
		return 0;
	if ((r = signet_store_crl_advance(ca->store, ca->issuer_id, 0, &was)) !=
	    0)
		return r;
	if (was >= ca->log_crl_max)
		return 0;
	if ((r = ca_audit(ca, SIGNET_AUDIT_EV_CRL_NUMBER_ADVANCE,
		 SIGNET_AUDIT_SUCCESS,
		 json_pack("{s:I,s:I,s:s}", "crl_number",
		     (json_int_t)ca->log_crl_max, "database_crl_number",
		     (json_int_t)was, "reason",
		     "the audit log records CRL numbers the database does "
		     "not (restored from an older backup?)"))) != 0 ||
	    (r = signet_audit_sync(ca->audit)) != 0)
		return r;
	return signet_store_crl_advance(ca->store, ca->issuer_id,
	    ca->log_crl_max, &was);
}

int
signet_ca_crl(struct signet_ca *ca, int delta, const char *out_path, int pem,
    struct signet_ca_crl_result *res)
{
	int r = SIGNET_ERR_INTERNAL, ar;
	struct crl_list list;
	struct signet_crl_params p;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	uint8_t digest[32];
	unsigned dlen = 0;
	char entries_hash[65] = "", tbs_hash[65] = "", der_hash[65];
	char *text = NULL, *why = NULL;
	const uint8_t *tbs_der;
	size_t tbs_len;
	int64_t now = (int64_t)time(NULL), last_tu = 0;
	json_t *details = NULL;
	int announced = 0;

	memset(res, 0, sizeof(*res));
	memset(&list, 0, sizeof(list));
	if (ca->signer == NULL || ca->audit == NULL)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "CRLs need an instance opened with SIGNET_CA_OPEN_SIGN");
	if ((r = ca_clock_check(ca, now)) != 0)
		goto out;
	if (delta && (r = signet_store_crl_last_full(ca->store, ca->issuer_id,
			  &res->base, &last_tu)) != 0) {
		if (r == SIGNET_ERR_NOT_FOUND)
			r = signet_error_set(SIGNET_ERR_NOT_FOUND,
			    "there is no full CRL for a delta CRL to extend; "
			    "make one first with: signet crl --out FILE");
		goto out;
	}
	if ((r = crl_number_catch_up(ca)) != 0)
		goto out;
	res->this_update = now;
	res->next_update = now + (delta ? ca->cfg->crl_delta_next_update
					: ca->cfg->crl_next_update);
	if ((r = signet_store_crl_allocate(ca->store, ca->issuer_id,
		 delta ? SIGNET_CRL_DELTA : SIGNET_CRL_FULL, res->base,
		 res->this_update, res->next_update, &res->number)) != 0)
		goto out;
	/* From here on a failure is audited: the number is used up. */
	if ((r = SIGNET_FAULT("crl.allocate")) != 0)
		goto fail;
	if ((list.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(list.md, EVP_sha256(), NULL) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
		goto fail;
	}
	if ((r = signet_store_crl_revoked_foreach(ca->store, ca->issuer_id,
		 res->number, collect_cb, &list)) != 0)
		goto fail;
	if (EVP_DigestFinal_ex(list.md, digest, &dlen) != 1) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO, "SHA-256");
		goto fail;
	}
	hex_encode(digest, 32, entries_hash);
	res->entries = list.n;
	if (!delta && (r = crl_keeps_previous(ca, &list)) != 0)
		goto fail;

	memset(&p, 0, sizeof(p));
	p.issuer = ca->issuer;
	p.this_update = (time_t)res->this_update;
	p.next_update_in = res->next_update - res->this_update;
	p.crl_number = (uint64_t)res->number;
	p.delta = delta;
	p.base_crl_number = (uint64_t)res->base;
	/* RFC 5280 5.2.6: only full CRLs point to the delta. */
	p.freshest_url = delta ? NULL : ca->cfg->crl_freshest_url;
	p.idp_url = ca->cfg->crl_idp_url;
	p.next_entry = next_entry;
	p.next_entry_arg = &list;
	if ((r = signet_crl_prepare(&p, &tbs)) != 0)
		goto fail;
	if ((r = signet_tbs_lint(tbs, ca->lint, &rep)) != 0) {
		if (r == SIGNET_ERR_LINT && rep != NULL &&
		    (text = signet_lint_report_text(rep)) != NULL)
			signet_error_set(r,
			    "the CRL failed pre-issuance lints; nothing was "
			    "signed: %s",
			    text);
		goto fail;
	}
	if ((r = SIGNET_FAULT("crl.lint")) != 0)
		goto fail;
	/* The entries are in the TBS now. */
	free(list.v);
	list.v = NULL;
	tbs_der = signet_tbs_get0_tbs_der(tbs, &tbs_len);
	if ((r = sha256_hex(tbs_der, tbs_len, tbs_hash)) != 0)
		goto fail;
	if ((details = crl_details(res, delta, entries_hash, tbs_hash)) ==
	    NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	/* The token signs nothing the log does not durably announce. */
	if ((r = signet_audit_append(ca->audit,
		 SIGNET_AUDIT_EV_CRL_GENERATE_INTENT, SIGNET_AUDIT_INTENT,
		 details)) != 0 ||
	    (r = signet_audit_sync(ca->audit)) != 0 ||
	    (r = SIGNET_FAULT("crl.intent")) != 0)
		goto out;
	announced = 1;
	if ((r = signet_tbs_sign(tbs, ca->signer, &res->der, &res->der_len)) !=
		0 ||
	    (r = SIGNET_FAULT("crl.sign")) != 0)
		goto fail;
	if ((r = ca_audit_recoveries(ca)) != 0)
		goto out;
	if ((r = signet_store_crl_record(ca->store, ca->issuer_id, res->number,
		 res->der, res->der_len)) != 0 ||
	    (r = SIGNET_FAULT("crl.record")) != 0)
		goto fail;
	if ((r = sha256_hex(res->der, res->der_len, der_hash)) != 0)
		goto out;
	if ((details = ca_details_add(details, "der_sha256",
		 json_string(der_hash))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "out of memory building an audit record");
		goto out;
	}
	if ((r = signet_audit_append(ca->audit, SIGNET_AUDIT_EV_CRL_GENERATE,
		 SIGNET_AUDIT_SUCCESS, details)) != 0 ||
	    (r = signet_audit_sync(ca->audit)) != 0 ||
	    (r = SIGNET_FAULT("crl.outcome")) != 0)
		goto out;
	if (out_path != NULL) {
		if (crl_write(out_path, res->der, res->der_len, pem) != 0) {
			why = ca_error_dup();
			r = signet_error_set(SIGNET_ERR_IO,
			    "CRL %lld was signed and recorded, but could not "
			    "be "
			    "written to %s: %s",
			    (long long)res->number, out_path,
			    why != NULL ? why : "?");
			goto out;
		}
		res->written = 1;
		if ((r = SIGNET_FAULT("crl.write")) != 0)
			goto out;
	}
	r = 0;
	goto out;
fail:
	/* Log the failure (the number stays allocated, never reused). */
	why = ca_error_dup();
	if (details == NULL)
		details = crl_details(res, delta, entries_hash, tbs_hash);
	details = ca_details_add(details, "reason",
	    json_string(why != NULL ? why : "?"));
	/* ca_audit takes the details (and refuses NULL ones). */
	ar = ca_audit(ca, SIGNET_AUDIT_EV_CRL_GENERATE,
	    announced ? SIGNET_AUDIT_FAILURE : SIGNET_AUDIT_DENIED, details);
	details = NULL;
	if (ar == 0)
		ar = signet_audit_sync(ca->audit);
	signet_error_set(r, "CRL %lld: %s%s", (long long)res->number,
	    why != NULL ? why : signet_strerror(r),
	    ar == 0 ? "" : " (the audit log could not record this failure)");
out:
	if (r != 0) {
		free(res->der);
		res->der = NULL;
		res->der_len = 0;
	}
	json_decref(details);
	free(why);
	free(text);
	signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	EVP_MD_CTX_free(list.md);
	free(list.v);
	return r;
}
