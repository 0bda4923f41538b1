/* The linter: the table, contexts, running lints, reports. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/pem.h"
#include "x509/lint_int.h"

/* ---- the table --------------------------------------------------------- */

static const struct lint_def *
lint_def_at(size_t i)
{
	if (i < lint_common_ndefs)
		return &lint_common_defs[i];
	i -= lint_common_ndefs;
	if (i < lint_cert_ndefs)
		return &lint_cert_defs[i];
	i -= lint_cert_ndefs;
	if (i < lint_crl_ndefs)
		return &lint_crl_defs[i];
	i -= lint_crl_ndefs;
	if (i < lint_ocsp_ndefs)
		return &lint_ocsp_defs[i].base;
	return NULL;
}

size_t
signet_lint_count(void)
{
	return lint_common_ndefs + lint_cert_ndefs + lint_crl_ndefs +
	       lint_ocsp_ndefs;
}

const struct signet_lint_info *
signet_lint_get(size_t i)
{
	const struct lint_def *d = lint_def_at(i);

	return d != NULL ? &d->info : NULL;
}

static size_t
lint_index(const char *id)
{
	size_t i, n = signet_lint_count();

	for (i = 0; i < n; i++)
		if (strcmp(lint_def_at(i)->info.id, id) == 0)
			return i;
	return (size_t)-1;
}

const struct signet_lint_info *
signet_lint_find(const char *id)
{
	size_t i = lint_index(id);

	return i == (size_t)-1 ? NULL : signet_lint_get(i);
}

const char *
signet_lint_severity_name(enum signet_lint_severity s)
{
	switch (s) {
	case SIGNET_LINT_ERROR:
		return "error";
	case SIGNET_LINT_WARNING:
		return "warning";
	case SIGNET_LINT_NOTICE:
		return "notice";
	default:
		return "unknown";
	}
}

/* ---- helpers for lints ------------------------------------------------- */

int
lint_fail(struct lint_msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
	return LINT_FAIL;
}

void
lint_note_add(struct lint_note *n, const char *fmt, ...)
{
	va_list ap;

	if (n->count++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(n->first, sizeof(n->first), fmt, ap);
	va_end(ap);
}

int
lint_note_result(const struct lint_note *n, struct lint_msg *m)
{
	if (n->count == 0)
		return LINT_PASS;
	if (n->count == 1)
		return lint_fail(m, "%s", n->first);
	return lint_fail(m, "%s (and %u more)", n->first, n->count - 1);
}

/* ---- contexts ---------------------------------------------------------- */

int
signet_lint_ctx_new(struct signet_lint_ctx **out)
{
	struct signet_lint_ctx *ctx;

	*out = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL ||
	    (ctx->disabled = calloc(signet_lint_count(), 1)) == NULL ||
	    (ctx->chain = sk_X509_new_null()) == NULL) {
		if (ctx != NULL) {
			free(ctx->disabled);
			free(ctx);
		}
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	ctx->crl_max_next_update = LINT_DEFAULT_CRL_MAX_NEXT_UPDATE;
	*out = ctx;
	return 0;
}

void
signet_lint_ctx_free(struct signet_lint_ctx *ctx)
{
	if (ctx == NULL)
		return;
	X509_free(ctx->issuer);
	sk_X509_pop_free(ctx->chain, X509_free);
	free(ctx->disabled);
	free(ctx);
}

int
signet_lint_ctx_set_issuer(struct signet_lint_ctx *ctx, X509 *issuer)
{
	if (issuer != NULL && !X509_up_ref(issuer))
		return signet_error_ossl(SIGNET_ERR_INTERNAL, "X509_up_ref");
	X509_free(ctx->issuer);
	ctx->issuer = issuer;
	return 0;
}

int
signet_lint_ctx_add_chain(struct signet_lint_ctx *ctx, X509 *ca)
{
	if (!X509_up_ref(ca))
		return signet_error_ossl(SIGNET_ERR_INTERNAL, "X509_up_ref");
	if (!sk_X509_push(ctx->chain, ca)) {
		X509_free(ca);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	return 0;
}

void
signet_lint_ctx_set_profile(struct signet_lint_ctx *ctx,
    const struct signet_profile *profile)
{
	ctx->profile = profile;
}

void
signet_lint_ctx_set_crl_max_next_update(struct signet_lint_ctx *ctx,
    int64_t seconds)
{
	ctx->crl_max_next_update =
	    seconds > 0 ? seconds : LINT_DEFAULT_CRL_MAX_NEXT_UPDATE;
}

int
signet_lint_ctx_disable(struct signet_lint_ctx *ctx, const char *id)
{
	size_t i = lint_index(id);

	if (i == (size_t)-1)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "no lint is called '%s' (signet lint --list shows them)",
		    id);
	/* Profiles cannot silence what refuses issuance. */
	if (lint_def_at(i)->info.severity == SIGNET_LINT_ERROR)
		return signet_error_set(SIGNET_ERR_POLICY,
		    "lint %s is error-level and cannot be disabled", id);
	ctx->disabled[i] = 1;
	return 0;
}

int
lint_ctx_derive(const struct signet_lint_ctx *base, X509 *issuer,
    const struct signet_profile *profile, struct signet_lint_ctx **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_lint_ctx *ctx = NULL;
	int i;

	*out = NULL;
	if ((r = signet_lint_ctx_new(&ctx)) != 0)
		goto out;
	if (base != NULL) {
		memcpy(ctx->disabled, base->disabled, signet_lint_count());
		ctx->crl_max_next_update = base->crl_max_next_update;
		ctx->profile = base->profile;
		if (base->issuer != NULL)
			issuer = base->issuer;
		for (i = 0; i < sk_X509_num(base->chain); i++)
			if ((r = signet_lint_ctx_add_chain(ctx,
				 sk_X509_value(base->chain, i))) != 0)
				goto out;
	}
	if (ctx->profile == NULL)
		ctx->profile = profile;
	if ((r = signet_lint_ctx_set_issuer(ctx, issuer)) != 0)
		goto out;
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	signet_lint_ctx_free(ctx);
	return r;
}

/* ---- reports ----------------------------------------------------------- */

struct signet_lint_report {
	const char *kind;
	size_t run;
	unsigned char *ran; /* one flag per lint, table order */
	size_t n;
	struct signet_lint_finding *v;
};

void
signet_lint_report_free(struct signet_lint_report *report)
{
	size_t i;

	if (report == NULL)
		return;
	for (i = 0; i < report->n; i++)
		free((char *)report->v[i].detail);
	free(report->v);
	free(report->ran);
	free(report);
}

const char *
signet_lint_report_kind(const struct signet_lint_report *report)
{
	return report->kind;
}

size_t
signet_lint_report_lints_run(const struct signet_lint_report *report)
{
	return report->run;
}

int
signet_lint_report_ran(const struct signet_lint_report *report, const char *id)
{
	size_t i = lint_index(id);

	return i != (size_t)-1 && report->ran[i];
}

size_t
signet_lint_report_count(const struct signet_lint_report *report)
{
	return report->n;
}

const struct signet_lint_finding *
signet_lint_report_get(const struct signet_lint_report *report, size_t i)
{
	return i < report->n ? &report->v[i] : NULL;
}

size_t
signet_lint_report_tally(const struct signet_lint_report *report,
    enum signet_lint_severity severity)
{
	size_t i, n = 0;

	for (i = 0; i < report->n; i++)
		if (report->v[i].lint->severity == severity)
			n++;
	return n;
}

const struct signet_lint_finding *
signet_lint_report_find(const struct signet_lint_report *report, const char *id)
{
	size_t i;

	for (i = 0; i < report->n; i++)
		if (strcmp(report->v[i].lint->id, id) == 0)
			return &report->v[i];
	return NULL;
}

static int
report_add(struct signet_lint_report *r, const struct signet_lint_info *info,
    const char *detail)
{
	struct signet_lint_finding *nv;
	char *d;

	if ((d = strdup(detail)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((nv = realloc(r->v, (r->n + 1) * sizeof(*nv))) == NULL) {
		free(d);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	r->v = nv;
	r->v[r->n].lint = info;
	r->v[r->n].detail = d;
	r->n++;
	return 0;
}

static struct signet_lint_report *
report_new(const char *kind)
{
	struct signet_lint_report *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->ran = calloc(signet_lint_count(), 1)) == NULL) {
		free(r);
		(void)signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	r->kind = kind;
	return r;
}

char *
signet_lint_report_text(const struct signet_lint_report *report)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (i = 0; i < report->n; i++) {
		const struct signet_lint_finding *x = &report->v[i];

		fprintf(f, "%s %s [%s]: %s\n",
		    signet_lint_severity_name(x->lint->severity), x->lint->id,
		    x->lint->source, x->detail);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
signet_lint_report_json(const struct signet_lint_report *report)
{
	json_t *root = NULL, *arr = NULL, *o;
	char *out = NULL;
	size_t i;

	if ((root = json_object()) == NULL || (arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < report->n; i++) {
		const struct signet_lint_finding *x = &report->v[i];

		o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", x->lint->id,
		    "severity", signet_lint_severity_name(x->lint->severity),
		    "source", x->lint->source, "description",
		    x->lint->description, "detail", x->detail);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
	}
	if (json_object_set_new(root, "kind", json_string(report->kind)) ||
	    json_object_set_new(root, "lints_run",
		json_integer((json_int_t)report->run)) ||
	    json_object_set_new(root, "errors",
		json_integer((json_int_t)signet_lint_report_tally(report,
		    SIGNET_LINT_ERROR))) ||
	    json_object_set_new(root, "warnings",
		json_integer((json_int_t)signet_lint_report_tally(report,
		    SIGNET_LINT_WARNING))) ||
	    json_object_set_new(root, "notices",
		json_integer((json_int_t)signet_lint_report_tally(report,
		    SIGNET_LINT_NOTICE))))
		goto out;
	if (json_object_set_new(root, "findings", arr) != 0) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
	json_decref(arr);
	json_decref(root);
	return out;
}

/* SIGNET_ERR_LINT naming every failed error-level lint, or 0. */
static int
report_verdict(const struct signet_lint_report *r)
{
	char msg[1800];
	size_t i, used, nerr = signet_lint_report_tally(r, SIGNET_LINT_ERROR);
	int w;

	if (nerr == 0)
		return 0;
	used = (size_t)snprintf(msg, sizeof(msg),
	    "%s failed %zu error-level lint%s:", r->kind, nerr,
	    nerr == 1 ? "" : "s");
	for (i = 0; i < r->n && used < sizeof(msg); i++) {
		if (r->v[i].lint->severity != SIGNET_LINT_ERROR)
			continue;
		w = snprintf(msg + used, sizeof(msg) - used, " %s (%.160s);",
		    r->v[i].lint->id, r->v[i].detail);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 5, "...;", 5);
	msg[strlen(msg) - 1] = '\0';
	return signet_error_set(SIGNET_ERR_LINT, "%s", msg);
}

/* ---- running ----------------------------------------------------------- */

static int
lint_run(const struct signet_lint_ctx *ctx, unsigned target, const void *input,
    struct signet_lint_report *rep)
{
	size_t i, n = signet_lint_count();
	struct lint_msg m;
	int res, r;

	for (i = 0; i < n; i++) {
		const struct lint_def *d = lint_def_at(i);

		if (!(d->info.applies & target) ||
		    (ctx != NULL && ctx->disabled[i]))
			continue;
		memset(&m, 0, sizeof(m));
		if (target == SIGNET_LINT_CERT)
			res = d->cert(input, &m);
		else if (target == SIGNET_LINT_OCSP)
			res =
			    ((const struct lint_ocsp_def *)d)->ocsp(input, &m);
		else
			res = d->crl(input, &m);
		if (res == LINT_NA)
			continue;
		rep->run++;
		rep->ran[i] = 1;
		if (res == LINT_FAIL &&
		    (r = report_add(rep, &d->info,
			 m.text[0] != '\0' ? m.text : d->info.description)) !=
			0)
			return r;
	}
	return 0;
}

int
signet_lint_cert(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, struct signet_lint_report **report)
{
	return lint_cert_built(ctx, der, len, NULL, report);
}

int
lint_cert_built(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, EVP_PKEY *pub, struct signet_lint_report **report)
{
	int r = SIGNET_ERR_INTERNAL;
	struct lint_cert *c = NULL;
	struct signet_lint_report *rep = NULL;

	*report = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	c->ctx = ctx;
	c->der = der;
	c->len = len;
	c->given = pub;
	if ((rep = report_new("certificate")) == NULL ||
	    (r = lint_cert_prepare(c)) != 0 ||
	    (r = lint_run(ctx, SIGNET_LINT_CERT, c, rep)) != 0)
		goto out;
	r = report_verdict(rep);
	*report = rep;
	rep = NULL;
out:
	if (c != NULL)
		lint_cert_clear(c);
	free(c);
	signet_lint_report_free(rep);
	return r;
}

int
signet_lint_crl(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, struct signet_lint_report **report)
{
	int r = SIGNET_ERR_INTERNAL;
	struct lint_crl *c = NULL;
	struct signet_lint_report *rep = NULL;

	*report = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	c->ctx = ctx;
	c->der = der;
	c->len = len;
	if ((rep = report_new("crl")) == NULL ||
	    (r = lint_crl_prepare(c)) != 0 ||
	    (r = lint_run(ctx, SIGNET_LINT_CRL, c, rep)) != 0)
		goto out;
	r = report_verdict(rep);
	*report = rep;
	rep = NULL;
out:
	if (c != NULL)
		lint_crl_clear(c);
	free(c);
	signet_lint_report_free(rep);
	return r;
}

int
signet_lint_ocsp(const struct signet_lint_ctx *ctx, const uint8_t *der,
    size_t len, const struct signet_lint_ocsp_expect *expect,
    struct signet_lint_report **report)
{
	int r = SIGNET_ERR_INTERNAL;
	struct lint_ocsp *o = NULL;
	struct signet_lint_report *rep = NULL;

	*report = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	o->ctx = ctx;
	o->der = der;
	o->len = len;
	o->expect = expect;
	if ((rep = report_new("ocsp")) == NULL ||
	    (r = lint_ocsp_prepare(o)) != 0 ||
	    (r = lint_run(ctx, SIGNET_LINT_OCSP, o, rep)) != 0)
		goto out;
	r = report_verdict(rep);
	*report = rep;
	rep = NULL;
out:
	if (o != NULL)
		lint_ocsp_clear(o);
	free(o);
	signet_lint_report_free(rep);
	return r;
}

/* Input that is neither a certificate nor a CRL: one e_der_valid. */
static int
lint_unknown(const char *detail, struct signet_lint_report **report)
{
	struct signet_lint_report *rep = NULL;
	size_t i = lint_index("e_der_valid");
	int r;

	*report = NULL;
	if (i == (size_t)-1)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "lint e_der_valid is missing from the table");
	if ((rep = report_new("unknown")) == NULL)
		return SIGNET_ERR_INTERNAL;
	rep->run = 1;
	rep->ran[i] = 1;
	if ((r = report_add(rep, signet_lint_get(i), detail)) != 0) {
		signet_lint_report_free(rep);
		return r;
	}
	*report = rep;
	return report_verdict(rep);
}

static int
lint_pem(const struct signet_lint_ctx *ctx, const uint8_t *data, size_t len,
    struct signet_lint_report **report)
{
	/* Text after the block is ignored: the first block is linted. */
	static const struct pem_want want = { NULL, "the input",
		SIGNET_ERR_USAGE, PEM_TEXT_AROUND };
	char *name = NULL, detail[160];
	uint8_t *der = NULL;
	size_t dlen = 0;
	int r;

	if (pem_decode(data, len, &want, &name, &der, &dlen) != 0)
		return lint_unknown("input starts like PEM but is not valid "
				    "PEM",
		    report);
	if (strcmp(name, "CERTIFICATE") == 0 ||
	    strcmp(name, "X509 CERTIFICATE") == 0)
		r = signet_lint_cert(ctx, der, dlen, report);
	else if (strcmp(name, "X509 CRL") == 0)
		r = signet_lint_crl(ctx, der, dlen, report);
	else {
		snprintf(detail, sizeof(detail),
		    "PEM block '%.60s' is neither a certificate nor a CRL",
		    name);
		r = lint_unknown(detail, report);
	}
	free(name);
	free(der);
	return r;
}

int
signet_lint_data(const struct signet_lint_ctx *ctx, const uint8_t *data,
    size_t len, struct signet_lint_report **report)
{
	size_t i = 0;

	*report = NULL;
	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
			      data[i] == '\r' || data[i] == '\n'))
		i++;
	if (len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0)
		return lint_pem(ctx, data + i, len - i, report);
	switch (x509_der_kind(data, len)) {
	case 1:
		return signet_lint_cert(ctx, data, len, report);
	case 2:
		return signet_lint_crl(ctx, data, len, report);
	default:
		return lint_unknown("input is neither a DER certificate nor "
				    "a DER CRL (nor PEM)",
		    report);
	}
}
