/*
 * The plan: what a ceremony is about to do, in words the operators and
 * witnesses check against the reviewed file before anything is generated
 * or signed. The same text goes into the transcript.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/bio.h>

#include "ceremony/ceremony_int.h"
#include "util/codec.h"

int
cer_vformat(char *out, size_t outsz, const char *fmt, va_list ap)
{
	/* Every caller has called va_start on ap. */
	return vsnprintf(out, outsz, fmt, ap); /* NOLINT */
}

void
cer_text_add(struct cer_text *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = cer_vformat(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto fail;
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap == 0 ? 1024 : t->cap;

		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		if ((s = realloc(t->s, cap)) == NULL)
			goto fail;
		t->s = s;
		t->cap = cap;
	}
	va_start(ap, fmt);
	cer_vformat(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
	return;
fail:
	t->failed = 1;
}

void
cer_text_free(struct cer_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

char *
cer_name_text(const X509_NAME *name)
{
	/* Most significant first, non-ASCII escaped: safe to print. */
	const unsigned long flags = ASN1_STRFLGS_RFC2253 |
				    XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
				    XN_FLAG_DUMP_UNKNOWN_FIELDS;
	BIO *b = NULL;
	char *p = NULL, *out = NULL;
	long n;

	if (name == NULL || X509_NAME_entry_count(name) == 0)
		return strdup("(empty)");
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(b, name, 0, flags) < 0)
		goto out;
	n = BIO_get_mem_data(b, &p);
	if (n >= 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
out:
	ERR_clear_error();
	BIO_free(b);
	return out;
}

static void
hex_id(const uint8_t *id, size_t len, char *out, size_t outsz)
{
	if (len == 0 || 2 * len + 1 > outsz) {
		snprintf(out, outsz, "%s", len == 0 ? "(none)" : "(long)");
		return;
	}
	hex_encode(id, len, out);
}

void
cer_plan_key(struct cer_text *t, const char *what,
    const struct signet_token *tok, const struct signet_key *key)
{
	const struct signet_key_info *ki = signet_key_get0_info(key);
	char id[2 * SIGNET_KEY_ID_MAX + 1], spki[65];

	hex_id(ki->id, ki->id_len, id, sizeof(id));
	if (cer_spki_sha256(signet_key_get0_pubkey(key), spki) != 0)
		snprintf(spki, sizeof(spki), "?");
	cer_text_add(t, "%-22s '%s' id %s, %s, on token '%s'\n", what,
	    ki->label, id, ki->type_name, signet_token_label(tok));
	cer_text_add(t, "%-22s SPKI SHA-256 %s\n", "", spki);
	cer_text_add(t, "%-22s %s, %s\n", "",
	    ki->sensitive ? "sensitive" : "NOT SENSITIVE",
	    !ki->extractable ? (ki->never_extractable ? "never extractable"
						      : "not extractable")
			     : "extractable only under a trusted wrapping "
			       "key");
	if (signet_key_restored(key) != NULL)
		cer_text_add(t,
		    "%-22s WARNING: the key %s; used only because "
		    "token.accept-restored-key is true\n",
		    "", signet_key_restored(key));
}

static void
plan_list(struct cer_text *t, const char *what, const struct signet_strlist *l)
{
	size_t i;

	if (l->n == 0)
		return;
	cer_text_add(t, "    %-20s", what);
	for (i = 0; i < l->n; i++)
		cer_text_add(t, "%s%s", i > 0 ? ", " : "", l->v[i]);
	cer_text_add(t, "\n");
}

static void
plan_cidrs(struct cer_text *t, const char *what,
    const struct signet_cidrlist *l)
{
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	if (l->n == 0)
		return;
	cer_text_add(t, "    %-20s", what);
	for (i = 0; i < l->n; i++) {
		if (inet_ntop(l->v[i].len == 4 ? AF_INET : AF_INET6,
			l->v[i].addr, addr, sizeof(addr)) == NULL)
			snprintf(addr, sizeof(addr), "?");
		cer_text_add(t, "%s%s/%u", i > 0 ? ", " : "", addr,
		    (unsigned)l->v[i].prefix);
	}
	cer_text_add(t, "\n");
}

void
cer_plan_profile(struct cer_text *t, const struct signet_profile *p)
{
	static const char *const ku[] = { "digitalSignature",
		"contentCommitment", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign" };
	const struct signet_name_constraints *nc = &p->name_constraints;
	size_t i, n = 0;

	cer_text_add(t, "  %-20s %s%s%s\n", "profile", p->name,
	    p->description != NULL ? ": " : "",
	    p->description != NULL ? p->description : "");
	cer_text_add(t, "  %-20s cA TRUE, ", "basic constraints");
	if (p->path_len >= 0)
		cer_text_add(t, "pathLen %d\n", p->path_len);
	else
		cer_text_add(t, "no pathLen limit\n");
	cer_text_add(t, "  %-20s ", "key usage");
	for (i = 0; i < sizeof(ku) / sizeof(ku[0]); i++)
		if (p->key_usage & (1u << i))
			cer_text_add(t, "%s%s", n++ > 0 ? ", " : "", ku[i]);
	cer_text_add(t, " (critical)\n");
	if (nc->present) {
		cer_text_add(t, "  %-20s (critical)\n", "name constraints");
		plan_list(t, "permitted dns", &nc->permitted_dns);
		plan_list(t, "permitted email", &nc->permitted_email);
		plan_list(t, "permitted uri", &nc->permitted_uri);
		plan_cidrs(t, "permitted ip", &nc->permitted_ip);
		plan_list(t, "excluded dns", &nc->excluded_dns);
		plan_list(t, "excluded email", &nc->excluded_email);
		plan_list(t, "excluded uri", &nc->excluded_uri);
		plan_cidrs(t, "excluded ip", &nc->excluded_ip);
	} else {
		cer_text_add(t, "  %-20s none\n", "name constraints");
	}
	for (i = 0; i < p->crl_urls.n; i++)
		cer_text_add(t, "  %-20s %s\n",
		    i == 0 ? "CRL distribution" : "", p->crl_urls.v[i]);
	for (i = 0; i < p->aia_ocsp.n; i++)
		cer_text_add(t, "  %-20s %s\n", i == 0 ? "AIA OCSP" : "",
		    p->aia_ocsp.v[i]);
	for (i = 0; i < p->aia_issuers.n; i++)
		cer_text_add(t, "  %-20s %s\n", i == 0 ? "AIA caIssuers" : "",
		    p->aia_issuers.v[i]);
	for (i = 0; i < p->policy_oids.n; i++)
		cer_text_add(t, "  %-20s %s\n",
		    i == 0 ? "certificate policies" : "", p->policy_oids.v[i]);
}

static void
plan_token_cfg(struct cer_text *t, const char *what,
    const struct cer_token_cfg *cfg)
{
	const char *src = cfg->pin_source != NULL ? cfg->pin_source : "prompt";

	if (!cfg->present)
		return;
	cer_text_add(t, "%-22s %s\n", what, cfg->uri_text);
	cer_text_add(t, "%-22s module %s\n", "",
	    cfg->module != NULL ? cfg->module : SIGNET_DEFAULT_MODULE);
	/* Where the PIN comes from, never the PIN. */
	if (cfg->quorum)
		cer_text_add(t, "%-22s user PIN from a quorum of custodians\n",
		    "");
	else
		cer_text_add(t, "%-22s user PIN from %s\n", "", src);
	if (cfg->so_pin_source != NULL)
		cer_text_add(t, "%-22s SO PIN from %s\n", "",
		    cfg->so_pin_source);
}

static void
plan_quorum_cfg(struct cer_text *t, const char *what,
    const struct cer_quorum_cfg *q)
{
	size_t i;

	if (!q->present)
		return;
	if (q->threshold > 0)
		cer_text_add(t, "%-22s %u of %zu custodians\n", what,
		    q->threshold, q->n);
	for (i = 0; i < q->n; i++) {
		const struct cer_custodian *cu = &q->custodians[i];

		if (cu->words_source != NULL)
			cer_text_add(t,
			    "%-22s %s: share on paper (words from %s)\n",
			    i == 0 && q->threshold == 0 ? what : "", cu->name,
			    cu->words_source);
		else
			cer_text_add(t, "%-22s %s: %s (passphrase from %s)%s\n",
			    i == 0 && q->threshold == 0 ? what : "", cu->name,
			    cu->share, cu->passphrase_source,
			    cu->paper ? ", and on paper" : "");
	}
}

static void
plan_key_cfg(struct cer_text *t, const char *what, const struct cer_key_cfg *k)
{
	char id[2 * SIGNET_KEY_ID_MAX + 1];

	if (!k->present)
		return;
	hex_id(k->id, k->id_len, id, sizeof(id));
	cer_text_add(t, "%-22s '%s' id %s", what, k->label, id);
	if (k->type != SIGNET_KEY_NONE)
		cer_text_add(t, ", %s", signet_key_type_name(k->type));
	cer_text_add(t, "\n");
	if (k->type != SIGNET_KEY_NONE)
		cer_text_add(t, "%-22s %s\n", "",
		    k->backup == CER_BACKUP_TRUSTED_WRAP
			? "sensitive; extractable only when wrapped by a key "
			  "the token's security officer marked trusted"
			: "sensitive, never extractable");
}

/* The facts every plan starts with. */
static void
plan_header(const struct signet_ceremony *c, struct cer_text *t)
{
	size_t i;

	cer_text_add(t, "%-22s %s\n", "Ceremony",
	    signet_ceremony_type_name(c->type));
	if (c->description != NULL)
		cer_text_add(t, "%-22s %s\n", "Description", c->description);
	cer_text_add(t, "%-22s %s\n", "Ceremony file", c->file);
	cer_text_add(t, "%-22s %s\n", "File SHA-256", c->sha256);
	cer_text_add(t, "%-22s ", "Operators");
	for (i = 0; i < c->n_operators; i++)
		cer_text_add(t, "%s%s", i > 0 ? "; " : "", c->operators[i]);
	cer_text_add(t, "%s\n",
	    c->n_operators == 0 ? "(asked at the run)" : "");
	cer_text_add(t, "%-22s %s\n", "Directory", c->dir);
	if (c->n_inputs > 0)
		cer_text_add(t, "\nInputs (SHA-256 of each file):\n");
	for (i = 0; i < c->n_inputs; i++)
		cer_text_add(t, "  %-20s %s\n  %-20s %s\n", c->inputs[i].name,
		    c->inputs[i].path, "", c->inputs[i].sha256);
	cer_text_add(t, "\nOutputs (new files: none exists, none will be "
			"overwritten):\n");
	for (i = 0; i < c->n_outputs; i++)
		cer_text_add(t, "  %-20s %s\n", c->outputs[i].pub.name,
		    c->outputs[i].path);
	cer_text_add(t, "  %-20s %s (+ .sig)\n", "transcript",
	    c->transcript_path);
	cer_text_add(t, "\n");
}

static void
plan_validity_cfg(const struct signet_ceremony *c, struct cer_text *t)
{
	char a[21], b[21];

	if (c->not_after != 0) {
		time_format(c->not_before, a);
		time_format(c->not_after, b);
		cer_text_add(t, "  %-20s %s to %s\n", "validity", a, b);
	} else if (c->not_before != 0) {
		time_format(c->not_before, a);
		cer_text_add(t, "  %-20s from %s for %" PRId64 " s\n",
		    "validity", a, c->duration);
	} else if (c->duration != 0) {
		cer_text_add(t, "  %-20s %" PRId64 " s from the run\n",
		    "validity", c->duration);
	} else {
		cer_text_add(t, "  %-20s the profile's default\n", "validity");
	}
}

static void
plan_crl_cfg(const struct signet_ceremony *c, struct cer_text *t)
{
	char a[21], hex[41];
	size_t i;

	cer_text_add(t, "CRL to be signed:\n");
	cer_text_add(t, "  %-20s %" PRIu64 "\n", "CRL number", c->crl_number);
	if (c->this_update != 0) {
		time_format(c->this_update, a);
		cer_text_add(t, "  %-20s %s\n", "thisUpdate", a);
	} else {
		cer_text_add(t, "  %-20s the time of the run\n", "thisUpdate");
	}
	if (c->next_update != 0) {
		time_format(c->next_update, a);
		cer_text_add(t, "  %-20s %s\n", "nextUpdate", a);
	} else {
		cer_text_add(t, "  %-20s %" PRId64 " s after thisUpdate\n",
		    "nextUpdate", c->next_update_in);
	}
	cer_text_add(t, "  %-20s %zu\n", "revoked entries", c->n_revoked);
	for (i = 0; i < c->n_revoked; i++) {
		signet_serial_to_hex(&c->revoked[i].entry.serial, hex);
		time_format(c->revoked[i].entry.revoked_at, a);
		cer_text_add(t, "    serial %s, revoked %s, reason %s\n", hex,
		    a, cer_crl_reason_name(c->revoked[i].entry.reason));
	}
}

char *
signet_ceremony_describe(const struct signet_ceremony *c)
{
	struct cer_text t = { NULL, 0, 0, 0 };
	char *name;

	plan_header(c, &t);
	plan_token_cfg(&t,
	    c->type == SIGNET_CEREMONY_INTERMEDIATE_KEY ? "Online token"
							: "Root token",
	    &c->token);
	plan_token_cfg(&t, "Backup token", &c->backup_token);
	switch (c->type) {
	case SIGNET_CEREMONY_ROOT_KEY:
	case SIGNET_CEREMONY_INTERMEDIATE_KEY:
		plan_key_cfg(&t, "Key to generate", &c->key);
		plan_key_cfg(&t, "Audit key to generate", &c->audit_key);
		break;
	case SIGNET_CEREMONY_KEY_BACKUP:
		plan_key_cfg(&t, "Key to back up", &c->key);
		break;
	case SIGNET_CEREMONY_QUORUM_SPLIT:
		plan_key_cfg(&t, "Transcript signed by", &c->key);
		plan_quorum_cfg(&t, "New quorum", &c->split);
		break;
	case SIGNET_CEREMONY_ROOT_CERT:
	case SIGNET_CEREMONY_INTERMEDIATE_CERT:
	case SIGNET_CEREMONY_CROSS_CERT:
	case SIGNET_CEREMONY_ROOT_CRL:
		plan_key_cfg(&t, "Signing key", &c->key);
		break;
	case SIGNET_CEREMONY_NONE:
	default:
		break;
	}
	if (c->subject != NULL) {
		name = cer_name_text(c->subject);
		cer_text_add(&t, "%-22s %s\n",
		    c->type == SIGNET_CEREMONY_INTERMEDIATE_KEY ? "CSR subject"
								: "Subject",
		    name != NULL ? name : "?");
		free(name);
	}
	plan_quorum_cfg(&t, "Unlocking custodians", &c->unlock);
	if (c->base_profile != NULL) {
		cer_text_add(&t, "\nCertificate to be signed:\n");
		cer_plan_profile(&t, &c->profile);
		plan_validity_cfg(c, &t);
	}
	if (c->type == SIGNET_CEREMONY_ROOT_CRL)
		plan_crl_cfg(c, &t);
	cer_text_add(&t,
	    "\nThe run adds what only the tokens can tell: serials, key "
	    "fingerprints,\nthe serial and TBS hash of what will be signed, "
	    "and the lint results.\n");
	if (t.failed) {
		cer_text_free(&t);
		return NULL;
	}
	return t.s;
}

char *
cer_plan_build(const struct signet_ceremony *c)
{
	struct cer_text t = { NULL, 0, 0, 0 };

	plan_header(c, &t);
	if (c->plan_body.s != NULL)
		cer_text_add(&t, "%s", c->plan_body.s);
	if (c->plan_body.failed)
		t.failed = 1;
	if (t.failed) {
		cer_text_free(&t);
		return NULL;
	}
	return t.s;
}
