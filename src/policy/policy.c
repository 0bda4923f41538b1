/*
 * Policy files: checking what policy_yaml.c read and compiling it into
 * profiles. Every rule that could make a profile useless, contradictory
 * or out of line with RFC 5280 and the CA/Browser Forum Baseline
 * Requirements stops the load with the line it is on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "policy/policy_int.h"
#include "util/codec.h"
#include "util/file.h"
#include "util/names.h"
#include "util/text.h"
#include "util/yaml.h"

/* BR 6.3.2: subscriber TLS certificates issued from 2026-03-15. */
#define BR_TLS_MAX_VALIDITY (200 * 86400LL)
/* BR 7.1.2.7: notBefore within 48 hours of signing. */
#define BR_MAX_BACKDATE (48 * 3600LL)
#define POLICY_MAX_SANS_DEFAULT 100
#define POLICY_MAX_SANS_LIMIT 1000
#define POLICY_PATH_LEN_MAX 16
#define POLICY_ANY_POLICY "2.5.29.32.0"

struct signet_policy {
	char *source;
	uint8_t sha256[32];
	struct signet_profile *profiles;
	size_t n_profiles;
};

/* Where a check is, for its message. */
struct compile {
	const char *file;
	const struct yaml_lines *lines;
	size_t index;
	const char *profile; /* NULL before the name is known */
};

static int cfg_err(const struct compile *c, const char *path, const char *fmt,
    ...) SIGNET_PRINTF(3, 4);

/* path is relative to the current profile. */
static int
cfg_err(const struct compile *c, const char *path, const char *fmt, ...)
{
	char full[600], msg[1024];
	va_list ap;
	unsigned line;

	snprintf(full, sizeof(full), "profiles[%zu]%s%s", c->index,
	    path[0] != '\0' ? "." : "", path);
	line = yaml_lines_find(c->lines, full);
	va_start(ap, fmt);
	policy_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->profile != NULL)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "%s:%u: profile '%s': %s", c->file, line, c->profile, msg);
	return signet_error_set(SIGNET_ERR_CONFIG, "%s:%u: %s", c->file, line,
	    msg);
}

/* ---- Freeing ----------------------------------------------------------------
 */

static void
name_rule_clear(struct signet_name_rule *r)
{
	policy_strlist_clear(&r->allow);
	policy_strlist_clear(&r->deny);
}

static void
profile_clear(struct signet_profile *p)
{
	size_t i;

	free(p->name);
	free(p->description);
	name_rule_clear(&p->dns);
	free(p->ip.allow.v);
	free(p->ip.deny.v);
	name_rule_clear(&p->email);
	name_rule_clear(&p->uri);
	free(p->subject_from_csr);
	for (i = 0; i < p->n_subject_fixed; i++)
		free(p->subject_fixed[i].value);
	free(p->subject_fixed);
	policy_strlist_clear(&p->name_constraints.permitted_dns);
	policy_strlist_clear(&p->name_constraints.excluded_dns);
	policy_strlist_clear(&p->name_constraints.permitted_email);
	policy_strlist_clear(&p->name_constraints.excluded_email);
	policy_strlist_clear(&p->name_constraints.permitted_uri);
	policy_strlist_clear(&p->name_constraints.excluded_uri);
	free(p->name_constraints.permitted_ip.v);
	free(p->name_constraints.excluded_ip.v);
	policy_strlist_clear(&p->crl_urls);
	policy_strlist_clear(&p->aia_issuers);
	policy_strlist_clear(&p->aia_ocsp);
	policy_strlist_clear(&p->policy_oids);
	memset(p, 0, sizeof(*p));
}

void
signet_policy_free(struct signet_policy *policy)
{
	size_t i;

	if (policy == NULL)
		return;
	for (i = 0; policy->profiles != NULL && i < policy->n_profiles; i++)
		profile_clear(&policy->profiles[i]);
	free(policy->profiles);
	free(policy->source);
	free(policy);
}

/* ---- Pieces
 * ------------------------------------------------------------------- */

static int
strlist_has(const struct signet_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* Add s unless it is there already, which is an error naming where. */
static int
strlist_add_unique(const struct compile *c, const char *path,
    struct signet_strlist *l, const char *s)
{
	if (strlist_has(l, s))
		return cfg_err(c, path, "'%s' is listed twice", s);
	return policy_strlist_add(l, s);
}

static int
cidr_add(struct signet_cidrlist *l, const struct signet_cidr *net)
{
	struct signet_cidr *v;

	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	l->v = v;
	l->v[l->n++] = *net;
	return 0;
}

static int
text_check(const struct compile *c, const char *path, const char *what,
    const char *s)
{
	if (text_display_check((const uint8_t *)s, strlen(s)) != 0)
		return cfg_err(c, path, "%s %s", what, signet_error_message());
	return 0;
}

static int
compile_name(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	size_t i, len;

	if (y->name == NULL)
		return cfg_err(c, "", "every profile needs a name");
	len = strlen(y->name);
	if (len == 0 || len > 64)
		return cfg_err(c, "name",
		    "a profile name is 1 to 64 characters");
	for (i = 0; i < len; i++) {
		char ch = y->name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			ch == '-'))
			return cfg_err(c, "name",
			    "profile name '%s' may only use a-z, 0-9 and '-'",
			    y->name);
	}
	if ((p->name = strdup(y->name)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (y->description != NULL) {
		if (text_check(c, "description", "description", y->description))
			return SIGNET_ERR_CONFIG;
		if ((p->description = strdup(y->description)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
	}
	return 0;
}

/* "rsa-2048" or "rsa-2048..4096": bits a multiple of 8, 2048..16384. */
static int
parse_rsa_bits(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*s < '1' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (end - s > 5 || v < 2048 || v > 16384 || v % 8 != 0)
		return -1;
	*out = (unsigned)v;
	return (int)(end - s);
}

static int
compile_keys(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	char path[64];
	unsigned i, bit;
	int n, m;

	if (y->keys_count == 0)
		return cfg_err(c, "keys",
		    "keys must list the key types this profile accepts, e.g. "
		    "[ec-p256, ec-p384, rsa-2048..4096]");
	for (i = 0; i < y->keys_count; i++) {
		const char *k = y->keys[i];

		snprintf(path, sizeof(path), "keys[%u]", i);
		bit = 0;
		if (strcmp(k, "ec-p256") == 0)
			bit = SIGNET_CURVE_P256;
		else if (strcmp(k, "ec-p384") == 0)
			bit = SIGNET_CURVE_P384;
		else if (strcmp(k, "ec-p521") == 0)
			bit = SIGNET_CURVE_P521;
		if (bit != 0) {
			if (p->curves & bit)
				return cfg_err(c, path, "'%s' is listed twice",
				    k);
			p->curves |= bit;
			continue;
		}
		if (strncmp(k, "rsa-", 4) != 0)
			goto unknown;
		if (p->rsa_min_bits != 0)
			return cfg_err(c, path,
			    "only one rsa entry is allowed; write a range "
			    "like rsa-2048..4096");
		if ((n = parse_rsa_bits(k + 4, &p->rsa_min_bits)) < 0)
			goto unknown;
		p->rsa_max_bits = p->rsa_min_bits;
		if (k[4 + n] == '\0')
			continue;
		if (strncmp(k + 4 + n, "..", 2) != 0 ||
		    (m = parse_rsa_bits(k + 4 + n + 2, &p->rsa_max_bits)) < 0 ||
		    k[4 + n + 2 + m] != '\0')
			goto unknown;
		if (p->rsa_max_bits < p->rsa_min_bits)
			return cfg_err(c, path,
			    "RSA range '%s' ends below its start", k);
		continue;
	unknown:
		return cfg_err(c, path,
		    "unknown key type '%s' (known: ec-p256, ec-p384, ec-p521, "
		    "rsa-N or rsa-N..M with N, M multiples of 8 from 2048 to "
		    "16384)",
		    k);
	}
	return 0;
}

static int
compile_basic_constraints(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	const struct yaml_basic_constraints *bc = y->basic_constraints;

	p->path_len = -1;
	if (bc == NULL)
		return 0;
	p->is_ca = bc->ca != NULL && *bc->ca;
	if (bc->path_len == NULL)
		return 0;
	if (!p->is_ca)
		return cfg_err(c, "basic-constraints.path-len",
		    "path-len is only meaningful with ca: true (RFC 5280 "
		    "4.2.1.9)");
	if (*bc->path_len < 0 || *bc->path_len > POLICY_PATH_LEN_MAX)
		return cfg_err(c, "basic-constraints.path-len",
		    "path-len must be between 0 and %d", POLICY_PATH_LEN_MAX);
	p->path_len = *bc->path_len;
	return 0;
}

static int
compile_usages(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	char path[64];
	unsigned i, bit;

	if (y->key_usage_count == 0)
		return cfg_err(c, "key-usage",
		    "key-usage must list at least one usage (e.g. "
		    "[digitalSignature])");
	for (i = 0; i < y->key_usage_count; i++) {
		snprintf(path, sizeof(path), "key-usage[%u]", i);
		if (policy_ku_parse(y->key_usage[i], &bit) != 0)
			return cfg_err(c, path,
			    "unknown key usage '%s' (known: digitalSignature, "
			    "contentCommitment, keyEncipherment, "
			    "dataEncipherment, keyAgreement, keyCertSign, "
			    "cRLSign)",
			    y->key_usage[i]);
		if (p->key_usage & bit)
			return cfg_err(c, path, "'%s' is listed twice",
			    y->key_usage[i]);
		p->key_usage |= bit;
	}
	for (i = 0; i < y->ext_key_usage_count; i++) {
		snprintf(path, sizeof(path), "extended-key-usage[%u]", i);
		if (policy_eku_parse(y->ext_key_usage[i], &bit) != 0)
			return cfg_err(c, path,
			    "unknown extended key usage '%s' (known: "
			    "serverAuth, clientAuth, codeSigning, "
			    "emailProtection, timeStamping, OCSPSigning)",
			    y->ext_key_usage[i]);
		if (p->ext_key_usage & bit)
			return cfg_err(c, path, "'%s' is listed twice",
			    y->ext_key_usage[i]);
		p->ext_key_usage |= bit;
	}
	return 0;
}

/* What a list of DNS entries is for: its entries' rules differ. */
enum dns_list_role {
	DNS_ALLOW,
	DNS_DENY,
	DNS_CONSTRAINT,
};

/* One list of DNS entries; wildcards as the profile says. */
static int
compile_dns_list(const struct compile *c, const char *key, char **v, unsigned n,
    unsigned flags, enum dns_list_role role, struct signet_strlist *out)
{
	char path[96], norm[NAMES_DNS_MAX + 1];
	unsigned i;
	int r;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%u]", key, i);
		if (role == DNS_DENY && strncmp(v[i], "*.", 2) == 0)
			return cfg_err(c, path,
			    "DNS deny entry '%s' is a wildcard, which would "
			    "deny only a request for that very wildcard; "
			    "write '%s' to deny every name below %s",
			    v[i], v[i] + 1, v[i] + 2);
		/* RFC 5280 4.2.1.10 gives a dNSName no leading-dot form. */
		if (role == DNS_CONSTRAINT && v[i][0] == '.')
			return cfg_err(c, path,
			    "DNS name constraint '%s' starts with a dot, which "
			    "RFC 5280 4.2.1.10 gives no meaning for DNS names "
			    "(verifiers differ); write '%s', which covers %s "
			    "and every name below it",
			    v[i], v[i] + 1, v[i] + 1);
		if (names_dns_normalise((const uint8_t *)v[i], strlen(v[i]),
			flags, norm) < 0)
			return cfg_err(c, path, "DNS entry '%s' %s%s", v[i],
			    signet_error_message(),
			    strstr(signet_error_message(), "wildcard") != NULL
				? " (set wildcards: true to allow wildcard "
				  "names)"
				: "");
		if ((r = strlist_add_unique(c, path, out, norm)) != 0)
			return r;
	}
	return 0;
}

static int
compile_ip_list(const struct compile *c, const char *key, char **v, unsigned n,
    struct signet_cidrlist *out)
{
	struct signet_cidr net;
	char path[96];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%u]", key, i);
		if (policy_cidr_parse(v[i], &net) != 0)
			return cfg_err(c, path, "%s", signet_error_message());
		if (cidr_add(out, &net) != 0)
			return SIGNET_ERR_INTERNAL;
	}
	return 0;
}

static int
compile_email_list(const struct compile *c, const char *key, char **v,
    unsigned n, struct signet_strlist *out)
{
	char path[96], norm[NAMES_EMAIL_MAX + 1];
	unsigned i;
	int r;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%u]", key, i);
		if (names_email_normalise((const uint8_t *)v[i], strlen(v[i]),
			NAMES_EMAIL_DOMAIN, norm) != 0)
			return cfg_err(c, path,
			    "email entry '%s' %s (write user@example.com, "
			    "example.com or .example.com)",
			    v[i], signet_error_message());
		if ((r = strlist_add_unique(c, path, out, norm)) != 0)
			return r;
	}
	return 0;
}

/*
 * URI entries: exact URIs, or prefixes ending in '/' (names.uri); or, with
 * NAMES_URI_HTTP, the http:// locations of CRLs and AIA. Entries are put
 * in the normal form requests are, so that "%61dmin" cannot pass a deny
 * entry for "admin".
 */
static int
compile_uri_list(const struct compile *c, const char *key, char **v, unsigned n,
    unsigned flags, struct signet_strlist *out)
{
	char path[96], norm[NAMES_URI_MAX + 2];
	unsigned i;
	size_t len;
	int r, prefix;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%u]", key, i);
		len = strlen(v[i]);
		prefix = !(flags & NAMES_URI_HTTP) && len > 1 &&
			 v[i][len - 1] == '/';
		if (names_uri_normalise((const uint8_t *)v[i],
			prefix ? len - 1 : len, flags, norm) != 0)
			return cfg_err(c, path, "URI '%s' %s%s", v[i],
			    signet_error_message(),
			    (flags & NAMES_URI_HTTP)
				? " (CRL and AIA locations are http:// URLs, "
				  "BR 7.1.2.11.2)"
				: "");
		/* names.uri entries match a URI without its query and
		 * fragment: an entry with either would never match. */
		if (!(flags & NAMES_URI_HTTP) && norm[strcspn(norm, "?#")])
			return cfg_err(c, path,
			    "URI '%s' has a query or fragment; entries match "
			    "URIs without them (names.uri.query-and-fragment "
			    "decides whether requests may have them)",
			    v[i]);
		if (prefix)
			memcpy(norm + strlen(norm), "/", 2);
		if ((r = strlist_add_unique(c, path, out, norm)) != 0)
			return r;
	}
	return 0;
}

static int
compile_names(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	const struct yaml_names *yn = y->names;
	char net[64];
	unsigned flags;
	size_t i;
	int r;

	p->max_sans = POLICY_MAX_SANS_DEFAULT;
	/* Deny by default: end-entity certificates need a SAN unless told. */
	p->require_san = !p->is_ca;
	if (yn == NULL)
		return 0;
	if (yn->max != NULL) {
		if (*yn->max < 1 || *yn->max > POLICY_MAX_SANS_LIMIT)
			return cfg_err(c, "names.max",
			    "max must be between 1 and %d",
			    POLICY_MAX_SANS_LIMIT);
		p->max_sans = *yn->max;
	}
	if (yn->required != NULL)
		p->require_san = *yn->required;
	if (yn->dns != NULL) {
		p->dns_wildcards =
		    yn->dns->wildcards != NULL && *yn->dns->wildcards;
		flags = NAMES_DNS_SUFFIX |
			(p->dns_wildcards ? NAMES_DNS_WILDCARD : 0);
		if ((r = compile_dns_list(c, "names.dns.allow", yn->dns->allow,
			 yn->dns->allow_count, flags, DNS_ALLOW,
			 &p->dns.allow)) != 0 ||
		    (r = compile_dns_list(c, "names.dns.deny", yn->dns->deny,
			 yn->dns->deny_count, NAMES_DNS_SUFFIX, DNS_DENY,
			 &p->dns.deny)) != 0)
			return r;
		if (p->dns_wildcards && p->dns.allow.n == 0)
			return cfg_err(c, "names.dns.wildcards",
			    "wildcards: true, but names.dns.allow is empty, so "
			    "no wildcard could ever be issued");
	}
	if (yn->ip != NULL) {
		p->ip.allow_private =
		    yn->ip->private_ != NULL && *yn->ip->private_;
		if ((r = compile_ip_list(c, "names.ip.allow", yn->ip->allow,
			 yn->ip->allow_count, &p->ip.allow)) != 0 ||
		    (r = compile_ip_list(c, "names.ip.deny", yn->ip->deny,
			 yn->ip->deny_count, &p->ip.deny)) != 0)
			return r;
		for (i = 0; i < p->ip.allow.n && !p->ip.allow_private; i++) {
			const char *what =
			    policy_cidr_reserved(&p->ip.allow.v[i]);
			char path[64];

			if (what == NULL)
				continue;
			policy_cidr_format(&p->ip.allow.v[i], net);
			snprintf(path, sizeof(path), "names.ip.allow[%zu]", i);
			return cfg_err(c, path,
			    "%s lies in the %s range, which private: false "
			    "refuses; set private: true or remove it",
			    net, what);
		}
	}
	if (yn->email != NULL &&
	    ((r = compile_email_list(c, "names.email.allow", yn->email->allow,
		  yn->email->allow_count, &p->email.allow)) != 0 ||
		(r = compile_email_list(c, "names.email.deny", yn->email->deny,
		     yn->email->deny_count, &p->email.deny)) != 0))
		return r;
	if (yn->uri != NULL &&
	    ((r = compile_uri_list(c, "names.uri.allow", yn->uri->allow,
		  yn->uri->allow_count, 0, &p->uri.allow)) != 0 ||
		(r = compile_uri_list(c, "names.uri.deny", yn->uri->deny,
		     yn->uri->deny_count, 0, &p->uri.deny)) != 0))
		return r;
	if (yn->uri != NULL)
		p->uri_query_fragment =
		    yn->uri->query_fragment != NULL && *yn->uri->query_fragment;
	return 0;
}

static int
any_san_allowed(const struct signet_profile *p)
{
	return p->dns.allow.n > 0 || p->ip.allow.n > 0 ||
	       p->email.allow.n > 0 || p->uri.allow.n > 0;
}

static int
fixed_value(const struct yaml_fixed *f, size_t i, const char **out)
{
	const char *const v[] = { f->c, f->st, f->l, f->street, f->postal_code,
		f->o, f->ou, f->title, f->serial_number, f->given_name,
		f->surname, f->cn };

	if (i >= sizeof(v) / sizeof(v[0]))
		return -1;
	*out = v[i];
	return 0;
}

static int
compile_subject(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	const struct yaml_subject *ys = y->subject;
	const struct policy_attr *a;
	char path[96];
	const char *value;
	size_t i, n = 0;
	int listed_cn = 0;
	int nids[16];

	if (y->common_name == NULL || strcmp(y->common_name, "forbidden") == 0)
		p->cn = SIGNET_CN_FORBIDDEN;
	else if (strcmp(y->common_name, "optional") == 0)
		p->cn = SIGNET_CN_OPTIONAL;
	else if (strcmp(y->common_name, "required") == 0)
		p->cn = SIGNET_CN_REQUIRED;
	else
		return cfg_err(c, "common-name",
		    "common-name is '%s'; write forbidden, optional or "
		    "required",
		    y->common_name);

	for (i = 0; ys != NULL && i < ys->from_csr_count; i++) {
		size_t j;

		snprintf(path, sizeof(path), "subject.from-csr[%zu]", i);
		if ((a = policy_attr_by_name(ys->from_csr[i])) == NULL)
			return cfg_err(c, path,
			    "unknown subject attribute '%s' (known: C, ST, L, "
			    "street, postalCode, O, OU, title, serialNumber, "
			    "givenName, surname, CN)",
			    ys->from_csr[i]);
		for (j = 0; j < n; j++)
			if (nids[j] == a->nid)
				return cfg_err(c, path, "'%s' is listed twice",
				    a->name);
		if (a->nid == NID_commonName) {
			if (p->cn == SIGNET_CN_FORBIDDEN)
				return cfg_err(c, path,
				    "CN is taken from the CSR, but common-name "
				    "is forbidden; set common-name: optional "
				    "or required");
			listed_cn = 1;
		}
		nids[n++] = a->nid;
	}
	/* The common-name rule takes CN from the request by itself. */
	if (p->cn != SIGNET_CN_FORBIDDEN && !listed_cn)
		nids[n++] = NID_commonName;
	if (n > 0) {
		if ((p->subject_from_csr = calloc(n, sizeof(int))) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		memcpy(p->subject_from_csr, nids, n * sizeof(int));
		p->n_subject_from_csr = n;
	}

	if (ys == NULL || ys->fixed == NULL)
		return 0;
	if ((p->subject_fixed =
		    calloc(policy_n_attrs, sizeof(*p->subject_fixed))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < policy_n_attrs; i++) {
		size_t j, chars = 0;
		const char *s;

		if (fixed_value(ys->fixed, i, &value) != 0 || value == NULL)
			continue;
		a = &policy_attrs[i];
		snprintf(path, sizeof(path), "subject.fixed.%s", a->name);
		if (a->nid == NID_commonName)
			return cfg_err(c, path,
			    "CN cannot be fixed: it comes from the request "
			    "under the common-name rule");
		for (j = 0; j < p->n_subject_from_csr; j++)
			if (p->subject_from_csr[j] == a->nid)
				return cfg_err(c, path,
				    "%s is both fixed and taken from the CSR",
				    a->name);
		if (value[0] == '\0')
			return cfg_err(c, path, "%s is empty", a->name);
		if (text_check(c, path, a->name, value) != 0)
			return SIGNET_ERR_CONFIG;
		if (a->nid == NID_countryName &&
		    (strlen(value) != 2 || value[0] < 'A' || value[0] > 'Z' ||
			value[1] < 'A' || value[1] > 'Z'))
			return cfg_err(c, path,
			    "C must be a two-letter upper-case ISO 3166 code");
		for (s = value; *s != '\0'; s++)
			chars += ((unsigned char)*s & 0xc0) != 0x80;
		if (chars > a->max_len)
			return cfg_err(c, path,
			    "%s is longer than %zu characters (RFC 5280 "
			    "Appendix A)",
			    a->name, a->max_len);
		if (a->printable &&
		    !text_printable((const uint8_t *)value, strlen(value)))
			return cfg_err(c, path,
			    "%s must be a PrintableString (letters, digits, "
			    "space and '()+,-./:=?)",
			    a->name);
		p->subject_fixed[p->n_subject_fixed].nid = a->nid;
		if ((p->subject_fixed[p->n_subject_fixed].value =
			    strdup(value)) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		p->n_subject_fixed++;
	}
	return 0;
}

static int
duration_field(const struct compile *c, const char *path, const char *text,
    int64_t *out)
{
	if (duration_parse(text, out) != 0)
		return cfg_err(c, path, "%s", signet_error_message());
	if (*out <= 0 && strcmp(path, "validity.backdate") != 0)
		return cfg_err(c, path, "a validity must be longer than zero");
	return 0;
}

static int
compile_validity(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	const struct yaml_validity *v = y->validity;
	char d1[48], d2[48], d3[48];
	int r;

	if (v == NULL || v->max == NULL)
		return cfg_err(c, v == NULL ? "" : "validity",
		    "validity.max is required (e.g. validity: {default: 90d, "
		    "max: 199d})");
	if ((r = duration_field(c, "validity.max", v->max, &p->validity_max)) !=
	    0)
		return r;
	p->validity_default = p->validity_max;
	if (v->default_ != NULL &&
	    (r = duration_field(c, "validity.default", v->default_,
		 &p->validity_default)) != 0)
		return r;
	if (v->backdate != NULL && (r = duration_field(c, "validity.backdate",
					v->backdate, &p->backdate)) != 0)
		return r;
	policy_duration_format(p->validity_default, d1);
	policy_duration_format(p->validity_max, d2);
	policy_duration_format(p->backdate, d3);
	if (p->validity_default > p->validity_max)
		return cfg_err(c, "validity.default",
		    "default validity %s is longer than the max %s", d1, d2);
	if (p->backdate > BR_MAX_BACKDATE)
		return cfg_err(c, "validity.backdate",
		    "backdate %s is more than 48 hours (BR 7.1.2.7)", d3);
	if (!p->is_ca && (p->ext_key_usage & SIGNET_EKU_SERVER_AUTH) &&
	    p->validity_max + p->backdate >= BR_TLS_MAX_VALIDITY)
		return cfg_err(c, "validity.max",
		    "a TLS server certificate may be valid for less than 200 "
		    "days (BR 6.3.2), backdating included; max %s plus "
		    "backdate %s is too long",
		    d2, d3);
	return 0;
}

/* Dotted decimal OID: at least two arcs, no leading zeros, X.660 ranges. */
static int
oid_check(const char *s)
{
	const char *p = s;
	unsigned arcs = 0, first = 0;
	ASN1_OBJECT *obj;

	while (*p != '\0') {
		const char *start = p;
		unsigned long v = 0;

		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			if (p - start > 18)
				return -1;
			v = v * 10 + (unsigned long)(*p - '0');
			p++;
		}
		if (p - start > 1 && *start == '0')
			return -1;
		if (arcs == 0) {
			if (v > 2)
				return -1;
			first = (unsigned)v;
		} else if (arcs == 1 && first < 2 && v > 39)
			return -1;
		arcs++;
		if (*p == '.') {
			if (p[1] == '\0')
				return -1;
			p++;
		}
	}
	if (arcs < 2 || (obj = OBJ_txt2obj(s, 1)) == NULL)
		return -1;
	ASN1_OBJECT_free(obj);
	return 0;
}

static int
compile_extensions(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	const struct yaml_aia *aia = y->aia;
	char path[96];
	unsigned i;
	int r;

	/* BR 7.1.2.11.2, 7.1.2.7.7: these are fetched over plain HTTP. */
	if ((r = compile_uri_list(c, "crl-distribution-points", y->crl_urls,
		 y->crl_urls_count, NAMES_URI_HTTP, &p->crl_urls)) != 0 ||
	    (aia != NULL &&
		((r = compile_uri_list(c, "aia.ca-issuers", aia->ca_issuers,
		      aia->ca_issuers_count, NAMES_URI_HTTP,
		      &p->aia_issuers)) != 0 ||
		    (r = compile_uri_list(c, "aia.ocsp", aia->ocsp,
			 aia->ocsp_count, NAMES_URI_HTTP, &p->aia_ocsp)) != 0)))
		return r;
	for (i = 0; i < y->policies_count; i++) {
		snprintf(path, sizeof(path), "certificate-policies[%u]", i);
		if (oid_check(y->policies[i]) != 0)
			return cfg_err(c, path,
			    "'%s' is not a dotted-decimal OID like "
			    "2.23.140.1.2.1",
			    y->policies[i]);
		if (!p->is_ca && strcmp(y->policies[i], POLICY_ANY_POLICY) == 0)
			return cfg_err(c, path,
			    "anyPolicy is for CA certificates only (RFC 5280 "
			    "4.2.1.4)");
		if ((r = strlist_add_unique(c, path, &p->policy_oids,
			 y->policies[i])) != 0)
			return r;
	}
	p->rsa_pss = y->rsa_pss != NULL && *y->rsa_pss;
	return 0;
}

static int
compile_subtree(const struct compile *c, const char *key,
    const struct yaml_subtrees *t, struct signet_strlist *dns,
    struct signet_cidrlist *ip, struct signet_strlist *email,
    struct signet_strlist *uri)
{
	char path[96], norm[NAMES_DNS_MAX + 1];
	unsigned i;
	int r;

	if (t == NULL)
		return 0;
	snprintf(path, sizeof(path), "name-constraints.%s.dns", key);
	if ((r = compile_dns_list(c, path, t->dns, t->dns_count, 0,
		 DNS_CONSTRAINT, dns)) != 0)
		return r;
	snprintf(path, sizeof(path), "name-constraints.%s.ip", key);
	if ((r = compile_ip_list(c, path, t->ip, t->ip_count, ip)) != 0)
		return r;
	snprintf(path, sizeof(path), "name-constraints.%s.email", key);
	if ((r = compile_email_list(c, path, t->email, t->email_count,
		 email)) != 0)
		return r;
	/* RFC 5280 4.2.1.10: a URI constraint names a host or domain. */
	for (i = 0; i < t->uri_count; i++) {
		snprintf(path, sizeof(path), "name-constraints.%s.uri[%u]", key,
		    i);
		if (strstr(t->uri[i], "://") != NULL)
			return cfg_err(c, path,
			    "URI constraint '%s' must name a host or domain "
			    "(RFC 5280 4.2.1.10): write 'example.com' to "
			    "cover spiffe://example.com/... and "
			    "https://example.com/...",
			    t->uri[i]);
		/* Here a leading dot has its meaning: hosts below it. */
		if (names_dns_normalise((const uint8_t *)t->uri[i],
			strlen(t->uri[i]), NAMES_DNS_SUFFIX, norm) < 0)
			return cfg_err(c, path, "URI constraint '%s' %s",
			    t->uri[i], signet_error_message());
		if ((r = strlist_add_unique(c, path, uri, norm)) != 0)
			return r;
	}
	return 0;
}

static int
compile_name_constraints(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	struct signet_name_constraints *nc = &p->name_constraints;
	int r;

	if (y->name_constraints == NULL)
		return 0;
	if (!p->is_ca)
		return cfg_err(c, "name-constraints",
		    "name-constraints belong in CA certificates only (RFC "
		    "5280 4.2.1.10); this profile has no ca: true");
	if ((r = compile_subtree(c, "permitted", y->name_constraints->permitted,
		 &nc->permitted_dns, &nc->permitted_ip, &nc->permitted_email,
		 &nc->permitted_uri)) != 0 ||
	    (r = compile_subtree(c, "excluded", y->name_constraints->excluded,
		 &nc->excluded_dns, &nc->excluded_ip, &nc->excluded_email,
		 &nc->excluded_uri)) != 0)
		return r;
	if (nc->permitted_dns.n + nc->permitted_ip.n + nc->permitted_email.n +
		nc->permitted_uri.n + nc->excluded_dns.n + nc->excluded_ip.n +
		nc->excluded_email.n + nc->excluded_uri.n ==
	    0)
		return cfg_err(c, "name-constraints",
		    "name-constraints is empty (RFC 5280 4.2.1.10 needs at "
		    "least one subtree)");
	nc->present = 1;
	/* BR 7.1.2.10.8 (and RFC 5280): always critical. */
	nc->critical = 1;
	return 0;
}

/* Rules that tie the parts of a profile together. */
static int
compile_coherence(const struct compile *c, const struct yaml_profile *y,
    const struct signet_profile *p)
{
	char kus[128];
	unsigned has_rsa = p->rsa_min_bits != 0, has_ec = p->curves != 0;

	if (p->is_ca) {
		if (!(p->key_usage & SIGNET_KU_KEY_CERT_SIGN))
			return cfg_err(c, "key-usage",
			    "a CA profile needs keyCertSign (RFC 5280 "
			    "4.2.1.3)");
		if (p->ext_key_usage != 0)
			return cfg_err(c, "extended-key-usage",
			    "signet issues CA certificates without "
			    "extended-key-usage, so that a CA certificate "
			    "can never act as a TLS server or client; remove "
			    "it and use name-constraints to limit the CA");
	} else {
		if (p->key_usage &
		    (SIGNET_KU_KEY_CERT_SIGN | SIGNET_KU_CRL_SIGN)) {
			policy_ku_format(p->key_usage &
					     (SIGNET_KU_KEY_CERT_SIGN |
						 SIGNET_KU_CRL_SIGN),
			    kus, sizeof(kus));
			return cfg_err(c, "key-usage",
			    "%s is for CA certificates; this profile has no "
			    "ca: true (RFC 5280 4.2.1.3)",
			    kus);
		}
		if (p->ext_key_usage == 0)
			return cfg_err(c, "",
			    "an end-entity profile needs extended-key-usage; "
			    "without it a certificate is good for any "
			    "purpose");
		if ((p->ext_key_usage &
			(SIGNET_EKU_SERVER_AUTH | SIGNET_EKU_CLIENT_AUTH)) &&
		    !(p->key_usage & SIGNET_KU_DIGITAL_SIGNATURE))
			return cfg_err(c, "key-usage",
			    "TLS certificates need digitalSignature (BR "
			    "7.1.2.7.11)");
		/*
		 * RFC 6960 4.2.2.2: a delegated OCSP responder's key signs
		 * responses and nothing else; its certificate carries
		 * id-pkix-ocsp-nocheck (4.2.2.2.1), so it must be short-lived.
		 */
		if ((p->ext_key_usage & SIGNET_EKU_OCSP_SIGNING) &&
		    (p->ext_key_usage != SIGNET_EKU_OCSP_SIGNING ||
			p->key_usage != SIGNET_KU_DIGITAL_SIGNATURE))
			return cfg_err(c, "extended-key-usage",
			    "an OCSPSigning profile has no other extended key "
			    "usage and key-usage [digitalSignature] only "
			    "(RFC 6960 4.2.2.2)");
		if ((p->ext_key_usage & SIGNET_EKU_OCSP_SIGNING) &&
		    p->validity_max + p->backdate > (int64_t)90 * 86400)
			return cfg_err(c, "validity.max",
			    "OCSPSigning certificates carry "
			    "id-pkix-ocsp-nocheck and cannot be revoked in "
			    "effect: validity.max + backdate at most 90d");
		if ((p->ext_key_usage & SIGNET_EKU_SERVER_AUTH) &&
		    !p->require_san)
			return cfg_err(c, "names.required",
			    "TLS server certificates must carry a SAN (BR "
			    "7.1.2.7.12); names.required cannot be false");
		if (p->require_san && !any_san_allowed(p))
			return cfg_err(c, y->names != NULL ? "names" : "",
			    "a SAN is required but names allows none; add "
			    "names.dns.allow (or ip, email, uri) entries");
		if (p->cn != SIGNET_CN_FORBIDDEN && !any_san_allowed(p))
			return cfg_err(c, "common-name",
			    "common-name is %s but no SAN type is allowed, "
			    "and a CN must equal one of the SANs",
			    p->cn == SIGNET_CN_REQUIRED ? "required"
							: "optional");
	}
	if ((p->key_usage &
		(SIGNET_KU_KEY_ENCIPHERMENT | SIGNET_KU_DATA_ENCIPHERMENT)) &&
	    !has_rsa)
		return cfg_err(c, "key-usage",
		    "keyEncipherment and dataEncipherment need RSA keys (RFC "
		    "5480 3 forbids them for EC keys), but keys allows no "
		    "RSA");
	if ((p->key_usage & SIGNET_KU_KEY_AGREEMENT) && !has_ec)
		return cfg_err(c, "key-usage",
		    "keyAgreement needs EC keys (RFC 3279 2.3.1 has none for "
		    "RSA), but keys allows no EC curve");
	if ((has_rsa && (p->key_usage & POLICY_KU_RSA) == 0) ||
	    (has_ec && (p->key_usage & POLICY_KU_EC) == 0))
		return cfg_err(c, "key-usage",
		    "for one of the allowed key types no listed usage "
		    "applies; add digitalSignature");
	return 0;
}

static int
compile_profile(const struct compile *c, const struct yaml_profile *y,
    struct signet_profile *p)
{
	int r;

	if ((r = compile_basic_constraints(c, y, p)) != 0 ||
	    (r = compile_keys(c, y, p)) != 0 ||
	    (r = compile_usages(c, y, p)) != 0 ||
	    (r = compile_names(c, y, p)) != 0 ||
	    (r = compile_subject(c, y, p)) != 0 ||
	    (r = compile_validity(c, y, p)) != 0 ||
	    (r = compile_name_constraints(c, y, p)) != 0 ||
	    (r = compile_extensions(c, y, p)) != 0 ||
	    (r = compile_coherence(c, y, p)) != 0)
		return r;
	return 0;
}

/* ---- Loading
 * ------------------------------------------------------------------- */

int
signet_policy_load_mem(const char *name, const void *text, size_t len,
    struct signet_policy **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_policy *policy = NULL;
	struct yaml_policy *yp = NULL;
	struct yaml_lines *lines = NULL;
	struct compile c;
	size_t i, j;

	*out = NULL;
	if (len > SIGNET_POLICY_MAX_SIZE) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "%s: larger than %zu bytes", name, SIGNET_POLICY_MAX_SIZE);
		goto out;
	}
	if ((policy = calloc(1, sizeof(*policy))) == NULL ||
	    (policy->source = strdup(name)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = sha256(text, len, policy->sha256)) != 0)
		goto out;
	if ((r = policy_yaml_load(name, text, len, &yp, &lines)) != 0)
		goto out;
	if (yp->version == NULL || *yp->version != 1) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "%s:%u: version: 1 is required (this signet reads policy "
		    "version 1)",
		    name, yaml_lines_find(lines, "version"));
		goto out;
	}
	if (yp->profiles_count == 0) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "%s:%u: the policy has no profiles", name,
		    yaml_lines_find(lines, "profiles"));
		goto out;
	}
	if ((policy->profiles = calloc(yp->profiles_count,
		 sizeof(*policy->profiles))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	c.file = name;
	c.lines = lines;
	for (i = 0; i < yp->profiles_count; i++) {
		struct signet_profile *p = &policy->profiles[i];

		c.index = i;
		c.profile = NULL;
		policy->n_profiles = i + 1;
		if ((r = compile_name(&c, &yp->profiles[i], p)) != 0)
			goto out;
		for (j = 0; j < i; j++) {
			if (strcmp(policy->profiles[j].name, p->name) == 0) {
				r = cfg_err(&c, "name",
				    "profile name '%s' is used twice", p->name);
				goto out;
			}
		}
		c.profile = p->name;
		if ((r = compile_profile(&c, &yp->profiles[i], p)) != 0)
			goto out;
	}
	*out = policy;
	policy = NULL;
	r = 0;
out:
	policy_yaml_free(yp);
	yaml_lines_free(lines);
	signet_policy_free(policy);
	return r;
}

int
signet_policy_load(const char *path, struct signet_policy **out)
{
	int r = SIGNET_ERR_INTERNAL;
	uint8_t *text = NULL;
	size_t len = 0;

	*out = NULL;
	if ((r = file_read(path, SIGNET_POLICY_MAX_SIZE, &text, &len)) != 0) {
		r = signet_error_context(r, "loading policy");
		goto out;
	}
	r = signet_policy_load_mem(path, text, len, out);
out:
	free(text);
	return r;
}

const uint8_t *
signet_policy_sha256(const struct signet_policy *policy)
{
	return policy->sha256;
}

const char *
signet_policy_source(const struct signet_policy *policy)
{
	return policy->source;
}

size_t
signet_policy_profile_count(const struct signet_policy *policy)
{
	return policy->n_profiles;
}

const struct signet_profile *
signet_policy_get0_profile(const struct signet_policy *policy, size_t i)
{
	if (i >= policy->n_profiles)
		return NULL;
	return &policy->profiles[i];
}

int
signet_policy_find(const struct signet_policy *policy, const char *name,
    const struct signet_profile **out)
{
	char names[512];
	size_t i, used = 0;

	*out = NULL;
	names[0] = '\0';
	for (i = 0; i < policy->n_profiles; i++) {
		if (strcmp(policy->profiles[i].name, name) == 0) {
			*out = &policy->profiles[i];
			return 0;
		}
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used,
			    sizeof(names) - used, "%s%s", i > 0 ? ", " : "",
			    policy->profiles[i].name);
	}
	return signet_error_set(SIGNET_ERR_NOT_FOUND,
	    "policy %s has no profile '%s' (profiles: %s)", policy->source,
	    name, names);
}
