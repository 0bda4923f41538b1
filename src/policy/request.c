/*
 * Requests: an untrusted CSR (or a public key and names from a reviewed
 * ceremony file) checked against a profile and turned into a normalised
 * struct signet_request. Nothing of the CSR is copied: the subject is
 * rebuilt from the attributes the profile takes, the SANs are rebuilt
 * from their normal forms, and requested extensions only ever cause a
 * refusal or a note.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/policy_int.h"
#include "util/codec.h"
#include "util/der.h"
#include "util/names.h"
#include "util/text.h"

/* Most SANs read from any request, whatever the profile's max. */
#define REQUEST_SANS_LIMIT 1000

/* A SAN as requested, before it is checked. Bytes are borrowed. */
struct raw_san {
	enum signet_san_type type;
	const uint8_t *data;
	size_t len;
	int ip_text; /* iPAddress given as text (ceremony files) */
};

struct raw_sans {
	struct raw_san *v;
	size_t n;
};

const char *
signet_san_type_name(enum signet_san_type type)
{
	switch (type) {
	case SIGNET_SAN_DNS:
		return "dNSName";
	case SIGNET_SAN_IP:
		return "iPAddress";
	case SIGNET_SAN_EMAIL:
		return "rfc822Name";
	case SIGNET_SAN_URI:
		return "uniformResourceIdentifier";
	default:
		return "unknown name";
	}
}

void
signet_request_free(struct signet_request *req)
{
	size_t i;

	if (req == NULL)
		return;
	X509_NAME_free(req->subject);
	for (i = 0; i < req->n_sans; i++)
		free(req->sans[i].value);
	free(req->sans);
	EVP_PKEY_free(req->pubkey);
	OPENSSL_free(req->spki_der);
	policy_strlist_clear(&req->notes);
	free(req);
}

static int
raw_san_add(struct raw_sans *l, enum signet_san_type type, const uint8_t *data,
    size_t len, int ip_text)
{
	struct raw_san *v;

	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	l->v = v;
	l->v[l->n].type = type;
	l->v[l->n].data = data;
	l->v[l->n].len = len;
	l->v[l->n].ip_text = ip_text;
	l->n++;
	return 0;
}

static const char *
obj_name(const ASN1_OBJECT *obj, char *buf, size_t bufsz)
{
	int nid = OBJ_obj2nid(obj);

	if (nid != NID_undef)
		return OBJ_nid2sn(nid);
	if (OBJ_obj2txt(buf, (int)bufsz, obj, 1) <= 0)
		snprintf(buf, bufsz, "(unreadable OID)");
	return buf;
}

/* ---- Names
 * -------------------------------------------------------------------- */

static int
request_has_san(const struct signet_request *req, enum signet_san_type type,
    const char *value)
{
	size_t i;

	for (i = 0; i < req->n_sans; i++)
		if (req->sans[i].type == type &&
		    strcmp(req->sans[i].value, value) == 0)
			return 1;
	return 0;
}

static int
request_add_san(struct signet_request *req, enum signet_san_type type,
    const char *value, const uint8_t *ip, size_t ip_len)
{
	struct signet_san *v;

	if ((v = realloc(req->sans, (req->n_sans + 1) * sizeof(*v))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	req->sans = v;
	memset(&v[req->n_sans], 0, sizeof(v[0]));
	if ((v[req->n_sans].value = strdup(value)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	v[req->n_sans].type = type;
	if (ip != NULL) {
		memcpy(v[req->n_sans].ip, ip, ip_len);
		v[req->n_sans].ip_len = ip_len;
	}
	req->n_sans++;
	return 0;
}

/* How a kind of name is matched against allow and deny entries. */
struct name_matcher {
	int (*allowed)(const char *entry, const char *name);
	int (*denied)(const char *entry, const char *name);
};

static const struct name_matcher dns_matcher = { policy_dns_matches,
	policy_dns_matches };
static const struct name_matcher dns_wildcard_matcher = { policy_dns_matches,
	policy_dns_wildcard_denied };
static const struct name_matcher email_matcher = { policy_email_matches,
	policy_email_denied };
static const struct name_matcher uri_matcher = { policy_uri_matches,
	policy_uri_denied };

/* Allowed and not denied, for the string kinds of name. */
static void
check_listed(const struct signet_profile *profile,
    const struct signet_name_rule *rule, const char *kind, const char *value,
    const struct name_matcher *m, struct policy_problems *pr, int *ok)
{
	char esc[POLICY_ESC_MAX];
	size_t i;

	policy_escape(value, strlen(value), esc);
	for (i = 0; i < rule->deny.n; i++) {
		if (m->denied(rule->deny.v[i], value)) {
			policy_problem(pr,
			    "%s '%s' is denied by profile %s (deny entry "
			    "'%s')",
			    kind, esc, profile->name, rule->deny.v[i]);
			*ok = 0;
			return;
		}
	}
	for (i = 0; i < rule->allow.n; i++)
		if (m->allowed(rule->allow.v[i], value))
			return;
	policy_problem(pr, "%s '%s' is not allowed by profile %s", kind, esc,
	    profile->name);
	*ok = 0;
}

static void
check_ip(const struct signet_profile *profile, const uint8_t *ip, size_t len,
    const char *text, struct policy_problems *pr, int *ok)
{
	const char *what;
	size_t i;

	if ((what = policy_ip_reserved(ip, len)) != NULL &&
	    !profile->ip.allow_private) {
		policy_problem(pr,
		    "iPAddress %s is in the %s range, which profile %s does "
		    "not allow (BR 7.1.2.7.12)",
		    text, what, profile->name);
		*ok = 0;
		return;
	}
	for (i = 0; i < profile->ip.deny.n; i++) {
		if (policy_cidr_contains(&profile->ip.deny.v[i], ip, len)) {
			char net[64];

			policy_cidr_format(&profile->ip.deny.v[i], net);
			policy_problem(pr,
			    "iPAddress %s is denied by profile %s (deny entry "
			    "%s)",
			    text, profile->name, net);
			*ok = 0;
			return;
		}
	}
	for (i = 0; i < profile->ip.allow.n; i++)
		if (policy_cidr_contains(&profile->ip.allow.v[i], ip, len))
			return;
	policy_problem(pr, "iPAddress %s is not allowed by profile %s", text,
	    profile->name);
	*ok = 0;
}

/*
 * Check one name; on success add its normal form to req (once). Problems
 * are recorded in pr; returns 0, or a negative code for internal failures.
 */
static int
check_san(const struct signet_profile *profile, const struct raw_san *raw,
    struct signet_request *req, struct policy_problems *pr)
{
	char norm[NAMES_URI_MAX + 1], esc[POLICY_ESC_MAX];
	char text[POLICY_ESC_MAX];
	const char *kind = signet_san_type_name(raw->type);
	uint8_t ip[16];
	size_t ip_len = 0;
	int rc, ok = 1;

	policy_escape(raw->data, raw->len, esc);
	switch (raw->type) {
	case SIGNET_SAN_DNS:
		if ((rc = names_dns_normalise(raw->data, raw->len,
			 NAMES_DNS_WILDCARD, norm)) < 0) {
			policy_problem(pr, "%s '%s' %s", kind, esc,
			    signet_error_message());
			return 0;
		}
		if (rc == 1 && !profile->dns_wildcards) {
			policy_problem(pr,
			    "%s '%s' is a wildcard, which profile %s does not "
			    "allow",
			    kind, esc, profile->name);
			return 0;
		}
		check_listed(profile, &profile->dns, kind, norm,
		    rc == 1 ? &dns_wildcard_matcher : &dns_matcher, pr, &ok);
		break;
	case SIGNET_SAN_IP:
		if (raw->ip_text) {
			if (raw->len >= sizeof(text) ||
			    memchr(raw->data, '\0', raw->len) != NULL) {
				ip_len = 0;
			} else {
				memcpy(text, raw->data, raw->len);
				text[raw->len] = '\0';
				ip_len = names_ip_parse(text, ip);
			}
		} else if (raw->len == 4 || raw->len == 16) {
			ip_len = raw->len;
			memcpy(ip, raw->data, ip_len);
		}
		if (ip_len == 0 && raw->ip_text) {
			policy_problem(pr,
			    "%s '%s' is not an IPv4 or IPv6 address", kind,
			    esc);
			return 0;
		}
		if (ip_len == 0) {
			policy_problem(pr,
			    "%s of %zu bytes is not an IPv4 or IPv6 address "
			    "(4 or 16 bytes)",
			    kind, raw->len);
			return 0;
		}
		if (inet_ntop(ip_len == 4 ? AF_INET : AF_INET6, ip, norm,
			sizeof(norm)) == NULL)
			return signet_error_sys(SIGNET_ERR_INTERNAL,
			    "cannot format an IP address");
		check_ip(profile, ip, ip_len, norm, pr, &ok);
		break;
	case SIGNET_SAN_EMAIL:
		if (names_email_normalise(raw->data, raw->len, 0, norm) != 0) {
			policy_problem(pr, "%s '%s' %s", kind, esc,
			    signet_error_message());
			return 0;
		}
		check_listed(profile, &profile->email, kind, norm,
		    &email_matcher, pr, &ok);
		break;
	case SIGNET_SAN_URI:
		if (names_uri_normalise(raw->data, raw->len, 0, norm) != 0) {
			policy_problem(pr, "%s '%s' %s", kind, esc,
			    signet_error_message());
			return 0;
		}
		if (!profile->uri_query_fragment && norm[strcspn(norm, "?#")]) {
			policy_problem(pr,
			    "%s '%s' has a %s, which profile %s does not "
			    "allow (names.uri.query-and-fragment)",
			    kind, esc,
			    norm[strcspn(norm, "?#")] == '?' ? "query"
							     : "fragment",
			    profile->name);
			return 0;
		}
		check_listed(profile, &profile->uri, kind, norm, &uri_matcher,
		    pr, &ok);
		break;
	default:
		policy_problem(pr, "unsupported SAN type");
		return 0;
	}
	if (!ok)
		return 0;
	if (request_has_san(req, raw->type, norm)) {
		policy_escape(norm, strlen(norm), esc);
		if (policy_strlist_addf(&req->notes,
			"duplicate %s '%s' removed", kind, esc) != 0)
			return SIGNET_ERR_INTERNAL;
		return 0;
	}
	return request_add_san(req, raw->type, norm, ip_len != 0 ? ip : NULL,
	    ip_len);
}

/*
 * An X509-SVID carries exactly one URI SAN, its SPIFFE ID (X509-SVID 2):
 * a relying party takes "the" SPIFFE ID from the certificate, and two, or
 * one beside another URI, leave it to guess which.
 */
static void
check_spiffe(const struct signet_request *req, struct policy_problems *pr)
{
	size_t i, spiffe = 0, other = 0;

	for (i = 0; i < req->n_sans; i++) {
		if (req->sans[i].type != SIGNET_SAN_URI)
			continue;
		/* Normalised: the scheme is in lower case. */
		if (strncmp(req->sans[i].value, "spiffe:", 7) == 0)
			spiffe++;
		else
			other++;
	}
	if (spiffe > 1)
		policy_problem(pr,
		    "%zu SPIFFE IDs requested; an X509-SVID carries exactly "
		    "one (X509-SVID 2)",
		    spiffe);
	else if (spiffe == 1 && other > 0)
		policy_problem(pr,
		    "a SPIFFE ID and %zu other URI%s requested; an X509-SVID "
		    "carries its SPIFFE ID as its only URI SAN (X509-SVID 2)",
		    other, other == 1 ? "" : "s");
}

static int
check_sans(const struct signet_profile *profile, const struct raw_sans *raw,
    struct signet_request *req, struct policy_problems *pr)
{
	size_t i;
	int r;

	if (raw->n > REQUEST_SANS_LIMIT) {
		policy_problem(pr,
		    "%zu SANs requested; no profile allows more than %d",
		    raw->n, REQUEST_SANS_LIMIT);
		return 0;
	}
	for (i = 0; i < raw->n; i++)
		if ((r = check_san(profile, &raw->v[i], req, pr)) < 0)
			return r;
	check_spiffe(req, pr);
	if (req->n_sans > profile->max_sans)
		policy_problem(pr,
		    "%zu SANs requested; profile %s allows at most %zu",
		    req->n_sans, profile->name, profile->max_sans);
	if (raw->n == 0 && profile->require_san)
		policy_problem(pr,
		    "the request has no subjectAltName, and profile %s "
		    "requires one",
		    profile->name);
	return 0;
}

/* ---- Subject
 * ---------------------------------------------------------------------- */

static int
nid_in(const int *v, size_t n, int nid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == nid)
			return 1;
	return 0;
}

static const char *
fixed_value(const struct signet_profile *profile, int nid)
{
	size_t i;

	for (i = 0; i < profile->n_subject_fixed; i++)
		if (profile->subject_fixed[i].nid == nid)
			return profile->subject_fixed[i].value;
	return NULL;
}

/*
 * The CN of an end-entity certificate must be one of its SANs (BR
 * 7.1.4.3): find it by the SAN's normal form, which becomes the CN.
 */
/* util/names.h has its own kinds of name, in the order of ours. */
_Static_assert((int)NAMES_DNS == (int)SIGNET_SAN_DNS &&
		   (int)NAMES_IP == (int)SIGNET_SAN_IP &&
		   (int)NAMES_EMAIL == (int)SIGNET_SAN_EMAIL &&
		   (int)NAMES_URI == (int)SIGNET_SAN_URI,
    "enum names_kind and enum signet_san_type differ");

static const char *
cn_find_san(const struct signet_request *req, const char *cn)
{
	const struct signet_san *san;
	size_t i;

	for (i = 0; i < req->n_sans; i++) {
		san = &req->sans[i];
		if (san->type == SIGNET_SAN_IP
			? names_cn_matches(cn, strlen(cn), NAMES_IP, san->ip,
			      san->ip_len)
			: names_cn_matches(cn, strlen(cn),
			      (enum names_kind)san->type,
			      (const uint8_t *)san->value, strlen(san->value)))
			return san->value;
	}
	return NULL;
}

static int
check_subject(const struct signet_profile *profile, const X509_NAME *subject,
    struct signet_request *req, struct policy_problems *pr)
{
	int r = SIGNET_ERR_INTERNAL;
	char *values[32] = { NULL };
	unsigned seen[32] = { 0 };
	char esc[POLICY_ESC_MAX], oid[80];
	X509_NAME *out = NULL;
	int i, n, prev_set = -1, multi = 0;
	size_t k;

	n = subject != NULL ? X509_NAME_entry_count(subject) : 0;
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(subject, i);
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const struct policy_attr *a =
		    policy_attr_by_nid(OBJ_obj2nid(obj));
		const uint8_t *data = ASN1_STRING_get0_data(v);
		size_t len = (size_t)ASN1_STRING_length(v), chars = 0, j;
		const char *name, *fixed;
		int type = ASN1_STRING_type(v), set = X509_NAME_ENTRY_set(e);

		if (set == prev_set && !multi) {
			policy_problem(pr,
			    "the subject has a multi-valued RDN; give each "
			    "attribute its own RDN");
			multi = 1;
		}
		prev_set = set;
		name = a != NULL ? a->name : obj_name(obj, oid, sizeof(oid));
		if (a == NULL) {
			policy_problem(pr,
			    "subject attribute %s is not allowed by profile %s",
			    name, profile->name);
			continue;
		}
		k = (size_t)(a - policy_attrs);
		if (++seen[k] == 2)
			policy_problem(pr,
			    "subject attribute %s appears more than once",
			    name);
		if (seen[k] > 1)
			continue;
		if (type != V_ASN1_UTF8STRING &&
		    type != V_ASN1_PRINTABLESTRING) {
			policy_problem(pr,
			    "subject attribute %s is a %s; use UTF8String or "
			    "PrintableString (RFC 5280 4.1.2.4)",
			    name, ASN1_tag2str(type));
			continue;
		}
		if (text_display_check(data, len) != 0) {
			policy_problem(pr, "subject attribute %s %s", name,
			    signet_error_message());
			continue;
		}
		if ((type == V_ASN1_PRINTABLESTRING || a->printable) &&
		    !text_printable(data, len)) {
			policy_problem(pr,
			    "subject attribute %s has characters a "
			    "PrintableString cannot hold",
			    name);
			continue;
		}
		for (j = 0; j < len; j++)
			chars += (data[j] & 0xc0) != 0x80;
		if (chars == 0 || chars > a->max_len) {
			policy_problem(pr,
			    "subject attribute %s is empty or longer than %zu "
			    "characters (RFC 5280 Appendix A)",
			    name, a->max_len);
			continue;
		}
		if (a->nid == NID_countryName &&
		    (len != 2 || data[0] < 'A' || data[0] > 'Z' ||
			data[1] < 'A' || data[1] > 'Z')) {
			policy_problem(pr,
			    "subject attribute C must be a two-letter "
			    "upper-case country code");
			continue;
		}
		fixed = fixed_value(profile, a->nid);
		if (!nid_in(profile->subject_from_csr,
			profile->n_subject_from_csr, a->nid)) {
			if (fixed != NULL && strlen(fixed) == len &&
			    memcmp(fixed, data, len) == 0)
				continue;
			policy_escape(data, len, esc);
			if (fixed != NULL)
				policy_problem(pr,
				    "subject attribute %s '%s' differs from "
				    "the value profile %s fixes",
				    name, esc, profile->name);
			else
				policy_problem(pr,
				    "subject attribute %s is not allowed by "
				    "profile %s",
				    name, profile->name);
			continue;
		}
		if ((values[k] = malloc(len + 1)) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		memcpy(values[k], data, len);
		values[k][len] = '\0';
	}

	k = (size_t)(policy_attr_by_nid(NID_commonName) - policy_attrs);
	if (profile->cn == SIGNET_CN_REQUIRED && seen[k] == 0)
		policy_problem(pr, "profile %s requires a subject CN",
		    profile->name);
	if (values[k] != NULL && !profile->is_ca) {
		const char *san = cn_find_san(req, values[k]);

		if (san == NULL) {
			policy_escape(values[k], strlen(values[k]), esc);
			policy_problem(pr,
			    "subject CN '%s' is not one of the accepted SANs "
			    "(BR 7.1.4.3)",
			    esc);
		} else {
			char *copy = strdup(san);

			if (copy == NULL) {
				r = signet_error_set(SIGNET_ERR_INTERNAL,
				    "out of memory");
				goto out;
			}
			free(values[k]);
			values[k] = copy;
		}
	}

	/* The subject, most significant attribute first. */
	if ((out = X509_NAME_new()) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot make a subject name");
		goto out;
	}
	for (k = 0; k < policy_n_attrs; k++) {
		const char *value = values[k];

		if (value == NULL)
			value = fixed_value(profile, policy_attrs[k].nid);
		if (value == NULL)
			continue;
		if (!X509_NAME_add_entry_by_NID(out, policy_attrs[k].nid,
			policy_attrs[k].printable ? MBSTRING_ASC
						  : MBSTRING_UTF8,
			(const unsigned char *)value, -1, -1, 0)) {
			r = signet_error_ossl(SIGNET_ERR_CRYPTO,
			    "cannot add %s to the subject name",
			    policy_attrs[k].name);
			goto out;
		}
	}
	req->subject = out;
	out = NULL;
	r = 0;
out:
	for (k = 0; k < sizeof(values) / sizeof(values[0]); k++)
		free(values[k]);
	X509_NAME_free(out);
	return r;
}

/* ---- Requested extensions
 * ------------------------------------------------------ */

static unsigned
key_usage_for(const struct signet_profile *profile, const EVP_PKEY *pkey)
{
	if (pkey == NULL)
		return profile->key_usage;
	if (EVP_PKEY_is_a(pkey, "EC"))
		return profile->key_usage & POLICY_KU_EC;
	return profile->key_usage & POLICY_KU_RSA;
}

static void
check_req_ku(const struct signet_profile *profile, unsigned granted,
    const ASN1_OCTET_STRING *data, struct policy_problems *pr)
{
	const unsigned char *p = ASN1_STRING_get0_data(data);
	ASN1_BIT_STRING *bits;
	unsigned asked = 0, extra = 0, i;
	char names[200], have[200];

	if ((bits = d2i_ASN1_BIT_STRING(NULL, &p, ASN1_STRING_length(data))) ==
	    NULL) {
		ERR_clear_error();
		policy_problem(pr, "the requested keyUsage does not decode");
		return;
	}
	for (i = 0; i < 9; i++)
		if (ASN1_BIT_STRING_get_bit(bits, (int)i))
			asked |= 1u << i;
	ASN1_BIT_STRING_free(bits);
	if (asked & (1u << 7 | 1u << 8)) {
		policy_problem(pr,
		    "keyUsage requests encipherOnly or decipherOnly, which "
		    "signet never grants");
		asked &= ~(1u << 7 | 1u << 8);
	}
	if ((asked & SIGNET_KU_KEY_CERT_SIGN) && !profile->is_ca) {
		policy_problem(pr,
		    "keyUsage requests keyCertSign, but profile %s issues "
		    "end-entity certificates",
		    profile->name);
		asked &= ~(unsigned)SIGNET_KU_KEY_CERT_SIGN;
	}
	extra = asked & ~granted;
	if (extra == 0)
		return;
	policy_ku_format(extra, names, sizeof(names));
	policy_ku_format(granted, have, sizeof(have));
	policy_problem(pr,
	    "keyUsage requests %s, which profile %s does not grant for this "
	    "key (it grants %s)",
	    names, profile->name, have);
}

static void
check_req_eku(const struct signet_profile *profile,
    const ASN1_OCTET_STRING *data, struct policy_problems *pr)
{
	const unsigned char *p = ASN1_STRING_get0_data(data);
	EXTENDED_KEY_USAGE *eku;
	char oid[80];
	int i;

	if ((eku = d2i_EXTENDED_KEY_USAGE(NULL, &p,
		 ASN1_STRING_length(data))) == NULL) {
		ERR_clear_error();
		policy_problem(pr,
		    "the requested extendedKeyUsage does not decode");
		return;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
		unsigned bit = policy_eku_from_nid(OBJ_obj2nid(obj));

		if (bit != 0 && (profile->ext_key_usage & bit))
			continue;
		policy_problem(pr,
		    "extendedKeyUsage requests %s, which profile %s does not "
		    "grant",
		    obj_name(obj, oid, sizeof(oid)), profile->name);
	}
	EXTENDED_KEY_USAGE_free(eku);
}

static int
check_req_bc(const struct signet_profile *profile,
    const ASN1_OCTET_STRING *data, struct signet_request *req,
    struct policy_problems *pr)
{
	const unsigned char *p = ASN1_STRING_get0_data(data);
	BASIC_CONSTRAINTS *bc;
	long pathlen;
	int r = 0;

	if ((bc = d2i_BASIC_CONSTRAINTS(NULL, &p, ASN1_STRING_length(data))) ==
	    NULL) {
		ERR_clear_error();
		policy_problem(pr,
		    "the requested basicConstraints does not decode");
		return 0;
	}
	if (bc->ca && !profile->is_ca)
		policy_problem(pr,
		    "basicConstraints requests cA=TRUE, but profile %s issues "
		    "end-entity certificates",
		    profile->name);
	if (bc->pathlen != NULL) {
		pathlen = ASN1_INTEGER_get(bc->pathlen);
		if (!bc->ca)
			policy_problem(pr,
			    "basicConstraints has a pathLenConstraint without "
			    "cA=TRUE");
		else if (profile->path_len >= 0 &&
			 (pathlen < 0 || pathlen > profile->path_len))
			policy_problem(pr,
			    "basicConstraints requests pathLenConstraint %ld, "
			    "more than profile %s grants (%d)",
			    pathlen, profile->name, profile->path_len);
	}
	if (!bc->ca && profile->is_ca)
		r = policy_strlist_add(&req->notes,
		    "requested basicConstraints cA=FALSE ignored: the profile "
		    "issues CA certificates");
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

static int
check_req_san(const ASN1_OCTET_STRING *data, GENERAL_NAMES **gens_out,
    struct raw_sans *raw, struct policy_problems *pr)
{
	const unsigned char *p = ASN1_STRING_get0_data(data);
	const unsigned char *end = p + ASN1_STRING_length(data);
	GENERAL_NAMES *gens;
	const uint8_t *name;
	size_t len;
	int i, r;

	if ((gens = d2i_GENERAL_NAMES(NULL, &p, end - p)) == NULL || p != end) {
		GENERAL_NAMES_free(gens);
		ERR_clear_error();
		policy_problem(pr, "the requested subjectAltName does not "
				   "decode");
		return 0;
	}
	*gens_out = gens;
	if (sk_GENERAL_NAME_num(gens) == 0)
		policy_problem(pr, "the requested subjectAltName is empty");
	if (sk_GENERAL_NAME_num(gens) > REQUEST_SANS_LIMIT) {
		policy_problem(pr,
		    "%d SANs requested; no profile allows more "
		    "than %d",
		    sk_GENERAL_NAME_num(gens), REQUEST_SANS_LIMIT);
		return 0;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);
		int type = names_general_name(gen, &name, &len);

		if (type >= 0) {
			if ((r = raw_san_add(raw, (enum signet_san_type)type,
				 name, len, 0)) != 0)
				return r;
			continue;
		}
		switch (gen->type) {
		case GEN_OTHERNAME:
			policy_problem(pr,
			    "SAN type otherName is not accepted");
			continue;
		case GEN_DIRNAME:
			policy_problem(pr,
			    "SAN type directoryName is not accepted");
			continue;
		case GEN_RID:
			policy_problem(pr,
			    "SAN type registeredID is not accepted");
			continue;
		default:
			policy_problem(pr,
			    "SAN type x400Address or ediPartyName is not "
			    "accepted");
			continue;
		}
	}
	return 0;
}

/*
 * The CSR's extensionRequest: SANs are read; basicConstraints, keyUsage
 * and extendedKeyUsage must not ask for more than the profile grants;
 * any other critical extension is refused; the rest is noted and ignored.
 */
static int
check_req_extensions(const struct signet_profile *profile, X509_REQ *csr,
    unsigned granted_ku, GENERAL_NAMES **gens, struct raw_sans *raw,
    struct signet_request *req, struct policy_problems *pr)
{
	int r = SIGNET_ERR_INTERNAL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const unsigned char *p;
	char oid[80];
	int i, j, n, seen_ext_req = 0;

	n = X509_REQ_get_attr_count(csr);
	for (i = 0; i < n; i++) {
		X509_ATTRIBUTE *attr = X509_REQ_get_attr(csr, i);
		const ASN1_OBJECT *obj = X509_ATTRIBUTE_get0_object(attr);
		ASN1_TYPE *t;

		switch (OBJ_obj2nid(obj)) {
		case NID_ext_req:
			break;
		case NID_ms_ext_req:
			policy_problem(pr,
			    "the CSR uses Microsoft's extension request "
			    "attribute; use the PKCS#9 extensionRequest");
			continue;
		default:
			if ((r = policy_strlist_addf(&req->notes,
				 "CSR attribute %s ignored",
				 obj_name(obj, oid, sizeof(oid)))) != 0)
				goto out;
			continue;
		}
		if (seen_ext_req++) {
			policy_problem(pr,
			    "the CSR has more than one extensionRequest");
			continue;
		}
		if (X509_ATTRIBUTE_count(attr) != 1 ||
		    (t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL ||
		    t->type != V_ASN1_SEQUENCE) {
			policy_problem(pr,
			    "the CSR's extensionRequest is malformed");
			continue;
		}
		p = ASN1_STRING_get0_data(t->value.sequence);
		exts = d2i_X509_EXTENSIONS(NULL, &p,
		    ASN1_STRING_length(t->value.sequence));
		if (exts == NULL ||
		    p != ASN1_STRING_get0_data(t->value.sequence) +
			     ASN1_STRING_length(t->value.sequence)) {
			ERR_clear_error();
			policy_problem(pr,
			    "the CSR's extensionRequest does not decode");
			sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
			exts = NULL;
		}
	}

	for (i = 0; exts != NULL && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
		const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
		const char *name = obj_name(obj, oid, sizeof(oid));
		int critical = X509_EXTENSION_get_critical(ext);

		for (j = 0; j < i; j++) {
			if (OBJ_cmp(obj,
				X509_EXTENSION_get_object(
				    sk_X509_EXTENSION_value(exts, j))) == 0)
				break;
		}
		if (j < i) {
			/* RFC 5280 4.2: each extension at most once. */
			policy_problem(pr, "extension %s is requested twice",
			    name);
			continue;
		}
		if (der_check_strict(ASN1_STRING_get0_data(data),
			(size_t)ASN1_STRING_length(data)) != 0) {
			policy_problem(pr,
			    "requested extension %s is not valid DER: %s", name,
			    signet_error_message());
			continue;
		}
		switch (OBJ_obj2nid(obj)) {
		case NID_subject_alt_name:
			if (*gens == NULL &&
			    (r = check_req_san(data, gens, raw, pr)) != 0)
				goto out;
			continue;
		case NID_basic_constraints:
			if ((r = check_req_bc(profile, data, req, pr)) != 0)
				goto out;
			continue;
		case NID_key_usage:
			check_req_ku(profile, granted_ku, data, pr);
			continue;
		case NID_ext_key_usage:
			check_req_eku(profile, data, pr);
			continue;
		default:
			break;
		}
		if (critical) {
			policy_problem(pr,
			    "the CSR requests critical extension %s, which "
			    "signet cannot honour",
			    name);
			continue;
		}
		if ((r = policy_strlist_addf(&req->notes,
			 "requested extension %s ignored", name)) != 0)
			goto out;
	}
	r = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

/* ---- Signature
 * ------------------------------------------------------------------- */

static int
md_nid_strong(int nid)
{
	return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512;
}

/* RFC 4055 3.1 parameters: SHA-2 hash, MGF1 with the same, sane salt. */
static int
pss_params_ok(const X509_ALGOR *alg)
{
	const ASN1_STRING *seq;
	const void *pval;
	const unsigned char *p;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	const ASN1_OBJECT *obj;
	int ptype, ok = 0, md;

	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE)
		return 0;
	seq = pval;
	p = ASN1_STRING_get0_data(seq);
	if ((pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq))) ==
	    NULL)
		goto out;
	if (pss->hashAlgorithm == NULL || pss->maskGenAlgorithm == NULL)
		goto out;
	X509_ALGOR_get0(&obj, NULL, NULL, pss->hashAlgorithm);
	if (!md_nid_strong((md = OBJ_obj2nid(obj))))
		goto out;
	X509_ALGOR_get0(&obj, &ptype, &pval, pss->maskGenAlgorithm);
	if (OBJ_obj2nid(obj) != NID_mgf1 || ptype != V_ASN1_SEQUENCE)
		goto out;
	seq = pval;
	p = ASN1_STRING_get0_data(seq);
	if ((mgf_md = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(seq))) ==
	    NULL)
		goto out;
	X509_ALGOR_get0(&obj, NULL, NULL, mgf_md);
	if (OBJ_obj2nid(obj) != md)
		goto out;
	if (pss->saltLength != NULL && ASN1_INTEGER_get(pss->saltLength) < 20)
		goto out;
	if (pss->trailerField != NULL &&
	    ASN1_INTEGER_get(pss->trailerField) != 1)
		goto out;
	ok = 1;
out:
	ERR_clear_error();
	RSA_PSS_PARAMS_free(pss);
	X509_ALGOR_free(mgf_md);
	return ok;
}

/*
 * ECDSA with SHA-2, RSA PKCS#1 v1.5 with SHA-2, RSASSA-PSS with SHA-2;
 * the algorithm must fit the key. Problems go to pr; *ok says whether it is
 * acceptable.
 */
static void
check_sig_alg(X509_REQ *csr, const EVP_PKEY *pkey, struct policy_problems *pr,
    int *ok)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	char oid[80];
	int nid, ptype, want_ec;

	*ok = 0;
	X509_REQ_get0_signature(csr, &sig, &alg);
	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	switch ((nid = OBJ_obj2nid(obj))) {
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
		want_ec = 1;
		/* RFC 5758 3.2: no parameters at all. */
		if (ptype != V_ASN1_UNDEF) {
			policy_problem(pr,
			    "the CSR's signature algorithm %s has parameters "
			    "(RFC 5758 3.2)",
			    OBJ_nid2sn(nid));
			*ok = 0;
			return;
		}
		break;
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		want_ec = 0;
		if (ptype != V_ASN1_NULL) {
			policy_problem(pr,
			    "the CSR's signature algorithm %s parameters are "
			    "not NULL (RFC 4055 5)",
			    OBJ_nid2sn(nid));
			*ok = 0;
			return;
		}
		break;
	case NID_rsassaPss:
		want_ec = 0;
		if (!pss_params_ok(alg)) {
			policy_problem(pr,
			    "the CSR's RSASSA-PSS parameters are not accepted "
			    "(SHA-256, -384 or -512 with MGF1 of the same hash "
			    "and a salt of 20 bytes or more)");
			*ok = 0;
			return;
		}
		break;
	default:
		policy_problem(pr,
		    "the CSR is signed with %s; only ECDSA or RSA with "
		    "SHA-256 or stronger are accepted",
		    nid != NID_undef ? OBJ_nid2ln(nid)
				     : obj_name(obj, oid, sizeof(oid)));
		*ok = 0;
		return;
	}
	if (pkey != NULL && EVP_PKEY_is_a(pkey, "EC") != want_ec) {
		policy_problem(pr,
		    "the CSR's signature algorithm %s does not fit its %s key",
		    OBJ_nid2sn(nid), want_ec ? "RSA" : "EC");
		*ok = 0;
		return;
	}
	*ok = 1;
}

/* ---- Putting it together
 * ---------------------------------------------------------- */

static int
check_key_identity(const struct signet_request_opts *opts, X509_PUBKEY *spki,
    const EVP_PKEY *pkey, struct signet_request *req,
    struct policy_problems *pr)
{
	unsigned char *der = NULL;
	char hex[65];
	size_t i;
	int len, r, blocked;

	if ((len = i2d_X509_PUBKEY(spki, &der)) <= 0)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the public key");
	r = sha256(der, (size_t)len, req->spki_sha256);
	OPENSSL_free(req->spki_der);
	req->spki_der = der;
	req->spki_der_len = (size_t)len;
	if (r != 0)
		return r;
	if (opts->is_blocked != NULL) {
		if ((blocked = opts->is_blocked(opts->is_blocked_arg,
			 req->spki_sha256)) < 0)
			return signet_error_context(blocked,
			    "checking the compromised-key list");
		if (blocked) {
			hex_encode(req->spki_sha256, 32, hex);
			policy_problem(pr,
			    "the public key is on the compromised-key list "
			    "(SPKI SHA-256 %s)",
			    hex);
		}
	}
	for (i = 0; pkey != NULL && i < opts->n_ca_keys; i++) {
		if (opts->ca_keys[i] != NULL &&
		    EVP_PKEY_eq(pkey, opts->ca_keys[i]) == 1) {
			policy_problem(pr,
			    "the public key is the CA's own key; generate a "
			    "new key for the subject");
			break;
		}
	}
	ERR_clear_error();
	return 0;
}

static void
check_validity(const struct signet_profile *profile,
    const struct signet_request_opts *opts, struct signet_request *req,
    struct policy_problems *pr)
{
	char want[48], max[48];

	req->validity =
	    opts->validity == 0 ? profile->validity_default : opts->validity;
	if (opts->validity < 0) {
		policy_problem(pr, "the requested validity is negative");
		return;
	}
	if (req->validity > profile->validity_max) {
		policy_duration_format(req->validity, want);
		policy_duration_format(profile->validity_max, max);
		policy_problem(pr,
		    "requested validity %s is longer than profile %s allows "
		    "(%s)",
		    want, profile->name, max);
	}
}

/*
 * The checks shared by CSRs and ceremony keys. pkey is NULL when the key
 * could not be decoded (the problem is recorded already).
 */
static int
request_evaluate(const struct signet_profile *profile,
    const struct signet_request_opts *opts, X509_PUBKEY *spki, EVP_PKEY *pkey,
    const X509_NAME *subject, const struct raw_sans *raw,
    struct signet_request *req, struct policy_problems *pr)
{
	int r;

	req->profile = profile;
	req->key_usage = key_usage_for(profile, pkey);
	if ((r = check_key_identity(opts, spki, pkey, req, pr)) != 0 ||
	    (r = check_sans(profile, raw, req, pr)) != 0 ||
	    (r = check_subject(profile, subject, req, pr)) != 0)
		return r;
	check_validity(profile, opts, req, pr);
	if (pkey != NULL && req->key_usage == 0)
		policy_problem(pr,
		    "profile %s grants no key usage that this key type may "
		    "assert",
		    profile->name);
	if (pr->count > 0)
		return policy_problems_raise(pr);
	if (pkey == NULL || !EVP_PKEY_up_ref(pkey))
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "the public key is missing");
	req->pubkey = pkey;
	return 0;
}

static const struct signet_request_opts *
opts_or_default(const struct signet_request_opts *opts)
{
	static const struct signet_request_opts defaults;

	return opts != NULL ? opts : &defaults;
}

int
signet_request_from_csr(const struct signet_profile *profile,
    const uint8_t *csr, size_t len, const struct signet_request_opts *opts,
    struct signet_request **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct policy_problems *pr = NULL;
	struct signet_request *req = NULL;
	struct raw_sans raw = { NULL, 0 };
	GENERAL_NAMES *gens = NULL;
	X509_REQ *x = NULL;
	EVP_PKEY *pkey = NULL;
	X509_PUBKEY *spki;
	size_t max;
	int sig_ok, verified;

	*out = NULL;
	opts = opts_or_default(opts);
	max = opts->max_csr_size != 0 ? opts->max_csr_size
				      : SIGNET_CSR_MAX_DEFAULT;
	if ((pr = calloc(1, sizeof(*pr))) == NULL ||
	    (req = calloc(1, sizeof(*req))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = policy_csr_decode(csr, len, max, &x)) != 0)
		goto out;
	if (X509_REQ_get_version(x) != X509_REQ_VERSION_1) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR's version is %ld; PKCS#10 defines only v1 (0)",
		    X509_REQ_get_version(x));
		goto out;
	}
	if ((spki = X509_REQ_get_X509_PUBKEY(x)) == NULL) {
		r = signet_error_set(SIGNET_ERR_POLICY,
		    "the CSR has no public key");
		goto out;
	}
	if ((r = policy_key_check(profile, spki, pr, &pkey)) != 0)
		goto out;
	check_sig_alg(x, pkey, pr, &sig_ok);
	/* Proof of possession: nothing else counts if this fails. */
	if (sig_ok && pkey != NULL) {
		/* The CSR was parsed keyless (csr.c): verify in the default. */
		verified = X509_REQ_verify_ex(x, pkey, NULL, NULL);
		ERR_clear_error();
		if (verified != 1) {
			r = signet_error_set(SIGNET_ERR_POLICY,
			    "the CSR's signature does not verify with its own "
			    "public key (no proof of possession)");
			goto out;
		}
	}
	if ((r = check_req_extensions(profile, x, key_usage_for(profile, pkey),
		 &gens, &raw, req, pr)) != 0)
		goto out;
	if ((r = request_evaluate(profile, opts, spki, pkey,
		 X509_REQ_get_subject_name(x), &raw, req, pr)) != 0)
		goto out;
	*out = req;
	req = NULL;
	r = 0;
out:
	signet_request_free(req);
	free(raw.v);
	GENERAL_NAMES_free(gens);
	EVP_PKEY_free(pkey);
	X509_REQ_free(x);
	free(pr);
	return r;
}

int
signet_request_from_key(const struct signet_profile *profile,
    const EVP_PKEY *pubkey, const X509_NAME *subject,
    const struct signet_san *sans, size_t n_sans,
    const struct signet_request_opts *opts, struct signet_request **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct policy_problems *pr = NULL;
	struct signet_request *req = NULL;
	struct raw_sans raw = { NULL, 0 };
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_PUBKEY *spki = NULL;
	EVP_PKEY *pkey = NULL;
	size_t i;
	int len;

	*out = NULL;
	opts = opts_or_default(opts);
	if (pubkey == NULL) {
		r = signet_error_set(SIGNET_ERR_USAGE, "no public key given");
		goto out;
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL ||
	    (req = calloc(1, sizeof(*req))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* Through DER, so that the key is checked exactly as a CSR's. */
	if ((len = i2d_PUBKEY(pubkey, &der)) <= 0) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the public key");
		goto out;
	}
	p = der;
	if ((spki = d2i_X509_PUBKEY(NULL, &p, len)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot decode the public key");
		goto out;
	}
	if ((r = policy_key_check(profile, spki, pr, &pkey)) != 0)
		goto out;
	for (i = 0; i < n_sans; i++) {
		const char *v = sans[i].value != NULL ? sans[i].value : "";

		if ((r = raw_san_add(&raw, sans[i].type, (const uint8_t *)v,
			 strlen(v), sans[i].type == SIGNET_SAN_IP)) != 0)
			goto out;
	}
	if ((r = request_evaluate(profile, opts, spki, pkey, subject, &raw, req,
		 pr)) != 0)
		goto out;
	*out = req;
	req = NULL;
	r = 0;
out:
	signet_request_free(req);
	free(raw.v);
	EVP_PKEY_free(pkey);
	X509_PUBKEY_free(spki);
	OPENSSL_free(der);
	free(pr);
	return r;
}

int
signet_profile_names_check(const struct signet_profile *profile,
    const struct signet_san *sans, size_t n_sans)
{
	int r = SIGNET_ERR_INTERNAL;
	struct policy_problems *pr = NULL;
	struct signet_request *req = NULL;
	struct raw_sans raw = { NULL, 0 };
	size_t i;

	if ((pr = calloc(1, sizeof(*pr))) == NULL ||
	    (req = calloc(1, sizeof(*req))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	req->profile = profile;
	for (i = 0; i < n_sans; i++) {
		const char *v = sans[i].value != NULL ? sans[i].value : "";

		if ((r = raw_san_add(&raw, sans[i].type, (const uint8_t *)v,
			 strlen(v), sans[i].type == SIGNET_SAN_IP)) != 0)
			goto out;
	}
	if ((r = check_sans(profile, &raw, req, pr)) != 0)
		goto out;
	r = pr->count > 0 ? policy_problems_raise(pr) : 0;
out:
	signet_request_free(req);
	free(raw.v);
	free(pr);
	return r;
}
