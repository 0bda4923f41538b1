/* Certificate extensions: encoding from a profile, decoding a few. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/names.h"
#include "x509/x509_int.h"

static const uint8_t oid_kp_server[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	0x03, 0x01 };
static const uint8_t oid_kp_client[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	0x03, 0x02 };
static const uint8_t oid_kp_code[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03,
	0x03 };
static const uint8_t oid_kp_email[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	0x03, 0x04 };
static const uint8_t oid_kp_time[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03,
	0x08 };
static const uint8_t oid_kp_ocsp[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03,
	0x09 };
static const uint8_t oid_kp_any[] = { 0x55, 0x1d, 0x25, 0x00 };
static const uint8_t oid_ad_ocsp[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30,
	0x01 };
static const uint8_t oid_ad_ca_issuers[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	0x30, 0x02 };

static const struct {
	unsigned bit;
	const uint8_t *oid;
	size_t len;
} eku_oids[] = {
	{ SIGNET_EKU_SERVER_AUTH, oid_kp_server, sizeof(oid_kp_server) },
	{ SIGNET_EKU_CLIENT_AUTH, oid_kp_client, sizeof(oid_kp_client) },
	{ SIGNET_EKU_CODE_SIGNING, oid_kp_code, sizeof(oid_kp_code) },
	{ SIGNET_EKU_EMAIL_PROTECTION, oid_kp_email, sizeof(oid_kp_email) },
	{ SIGNET_EKU_TIME_STAMPING, oid_kp_time, sizeof(oid_kp_time) },
	{ SIGNET_EKU_OCSP_SIGNING, oid_kp_ocsp, sizeof(oid_kp_ocsp) },
};

unsigned
x509_eku_bit(const uint8_t *oid, size_t len)
{
	size_t i;

	if (der_oid_eq(oid, len, oid_kp_any, sizeof(oid_kp_any)))
		return X509_EKU_ANY;
	for (i = 0; i < sizeof(eku_oids) / sizeof(eku_oids[0]); i++)
		if (der_oid_eq(oid, len, eku_oids[i].oid, eku_oids[i].len))
			return eku_oids[i].bit;
	return 0;
}

/* ---- names ------------------------------------------------------------- */

int
x509_ia5_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
			return 0;
	return 1;
}

void
x509_put_general_name(struct der_buf *b, int type, const char *value,
    const uint8_t *ip, size_t ip_len)
{
	switch (type) {
	case SIGNET_SAN_DNS:
		der_put_tlv(b, DER_CONTEXT(2), value, strlen(value));
		break;
	case SIGNET_SAN_EMAIL:
		der_put_tlv(b, DER_CONTEXT(1), value, strlen(value));
		break;
	case SIGNET_SAN_URI:
		der_put_tlv(b, DER_CONTEXT(6), value, strlen(value));
		break;
	case SIGNET_SAN_IP:
		der_put_tlv(b, DER_CONTEXT(7), ip, ip_len);
		break;
	default:
		b->failed = 1;
		break;
	}
}

/* ---- extension encoding ------------------------------------------------ */

struct ext_mark {
	size_t seq;
	size_t value;
};

static struct ext_mark
ext_begin(struct der_buf *b, enum x509_ext_id id, int critical)
{
	struct ext_mark m;

	m.seq = der_begin(b, DER_SEQUENCE);
	x509_put_ext_oid(b, id);
	/* DER: critical FALSE is the DEFAULT and is not encoded. */
	if (critical)
		der_put_bool_true(b);
	m.value = der_begin(b, DER_OCTET_STRING);
	return m;
}

static void
ext_end(struct der_buf *b, struct ext_mark m)
{
	der_end(b, m.value);
	der_end(b, m.seq);
}

static void
put_uri_list(struct der_buf *b, const struct signet_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		der_put_tlv(b, DER_CONTEXT(6), l->v[i], strlen(l->v[i]));
}

static int
check_ia5_list(const struct signet_strlist *l, const char *what)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == NULL || l->v[i][0] == '\0' ||
		    !x509_ia5_ok(l->v[i], strlen(l->v[i])))
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "%s entry '%s' is empty or not ASCII", what,
			    l->v[i] != NULL ? l->v[i] : "");
	return 0;
}

/* One GeneralSubtree per entry: base only (minimum DEFAULT 0, no max). */
static int
put_nc_strings(struct der_buf *b, int type, const struct signet_strlist *l)
{
	size_t i, m;
	char host[NAMES_DNS_MAX + 1];
	const char *v;
	int is_ip;

	for (i = 0; i < l->n; i++) {
		v = l->v[i];
		/*
		 * RFC 5280 4.2.1.10: "example.com" is that domain and every
		 * name below it; a leading dot has no meaning for a dNSName,
		 * and verifiers read it differently. Writing "example.com"
		 * for ".example.com" would widen the constraint: refuse.
		 */
		if (type == SIGNET_SAN_DNS && v[0] == '.')
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "DNS name constraint '%s' starts with a dot; write "
			    "'%s' (that domain and every name below it)",
			    v, v + 1);
		if (type == SIGNET_SAN_URI && strstr(v, "://") != NULL) {
			if (names_uri_host(v, strlen(v), host, sizeof(host),
				&is_ip) != 0 ||
			    is_ip)
				return signet_error_set(SIGNET_ERR_CONFIG,
				    "name constraint URI '%s' has no host "
				    "name",
				    l->v[i]);
			v = host;
		}
		if (v[0] == '\0')
			return signet_error_set(SIGNET_ERR_CONFIG,
			    "empty name constraint entry '%s'", l->v[i]);
		m = der_begin(b, DER_SEQUENCE);
		x509_put_general_name(b, type, v, NULL, 0);
		der_end(b, m);
	}
	return 0;
}

static void
put_nc_ips(struct der_buf *b, const struct signet_cidrlist *l)
{
	size_t i, j, m;
	uint8_t v[32];

	for (i = 0; i < l->n; i++) {
		const struct signet_cidr *c = &l->v[i];
		size_t n = c->len == 4 ? 4 : 16;

		memset(v, 0, sizeof(v));
		memcpy(v, c->addr, n);
		for (j = 0; j < n * 8 && j < c->prefix; j++)
			v[n + j / 8] |= (uint8_t)(0x80 >> (j % 8));
		m = der_begin(b, DER_SEQUENCE);
		der_put_tlv(b, DER_CONTEXT(7), v, 2 * n);
		der_end(b, m);
	}
}

static int
put_nc_subtrees(struct der_buf *b, uint8_t tag,
    const struct signet_strlist *dns, const struct signet_strlist *email,
    const struct signet_strlist *uri, const struct signet_cidrlist *ip)
{
	size_t m;
	int r;

	if (dns->n + email->n + uri->n + ip->n == 0)
		return 0;
	m = der_begin(b, tag);
	if ((r = put_nc_strings(b, SIGNET_SAN_DNS, dns)) != 0 ||
	    (r = put_nc_strings(b, SIGNET_SAN_EMAIL, email)) != 0 ||
	    (r = put_nc_strings(b, SIGNET_SAN_URI, uri)) != 0)
		return r;
	put_nc_ips(b, ip);
	der_end(b, m);
	return 0;
}

static int
put_name_constraints(struct der_buf *b, const struct signet_profile *p)
{
	const struct signet_name_constraints *nc = &p->name_constraints;
	struct ext_mark e;
	size_t m;
	int r;

	if (nc->permitted_dns.n + nc->permitted_email.n + nc->permitted_uri.n +
		nc->permitted_ip.n + nc->excluded_dns.n + nc->excluded_email.n +
		nc->excluded_uri.n + nc->excluded_ip.n ==
	    0)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "profile '%s' has name constraints without entries "
		    "(RFC 5280 4.2.1.10 forbids an empty one)",
		    p->name != NULL ? p->name : "?");
	if ((r = check_ia5_list(&nc->permitted_dns, "name constraint")) != 0 ||
	    (r = check_ia5_list(&nc->excluded_dns, "name constraint")) != 0 ||
	    (r = check_ia5_list(&nc->permitted_email, "name constraint")) !=
		0 ||
	    (r = check_ia5_list(&nc->excluded_email, "name constraint")) != 0 ||
	    (r = check_ia5_list(&nc->permitted_uri, "name constraint")) != 0 ||
	    (r = check_ia5_list(&nc->excluded_uri, "name constraint")) != 0)
		return r;
	/* BR 7.1.2.10.8 / RFC 5280 4.2.1.10: always critical. */
	e = ext_begin(b, X509_EXT_NC, 1);
	m = der_begin(b, DER_SEQUENCE);
	if ((r = put_nc_subtrees(b, DER_CONTEXT_CONS(0), &nc->permitted_dns,
		 &nc->permitted_email, &nc->permitted_uri,
		 &nc->permitted_ip)) != 0 ||
	    (r = put_nc_subtrees(b, DER_CONTEXT_CONS(1), &nc->excluded_dns,
		 &nc->excluded_email, &nc->excluded_uri, &nc->excluded_ip)) !=
		0)
		return r;
	der_end(b, m);
	ext_end(b, e);
	return 0;
}

static int
put_san(struct der_buf *b, const struct signet_request *req, int critical)
{
	struct ext_mark e;
	size_t i, m;

	for (i = 0; i < req->n_sans; i++) {
		const struct signet_san *s = &req->sans[i];

		if (s->type == SIGNET_SAN_IP) {
			if (s->ip_len != 4 && s->ip_len != 16)
				return signet_error_set(SIGNET_ERR_POLICY,
				    "IP address SAN '%s' has length %zu",
				    s->value != NULL ? s->value : "",
				    s->ip_len);
			continue;
		}
		if (s->value == NULL || s->value[0] == '\0' ||
		    !x509_ia5_ok(s->value, strlen(s->value)))
			return signet_error_set(SIGNET_ERR_POLICY,
			    "SAN '%s' is empty or not ASCII (names must be "
			    "normalised: A-labels for DNS)",
			    s->value != NULL ? s->value : "");
	}
	e = ext_begin(b, X509_EXT_SAN, critical);
	m = der_begin(b, DER_SEQUENCE);
	for (i = 0; i < req->n_sans; i++)
		x509_put_general_name(b, (int)req->sans[i].type,
		    req->sans[i].value, req->sans[i].ip, req->sans[i].ip_len);
	der_end(b, m);
	ext_end(b, e);
	return 0;
}

static int
put_policies(struct der_buf *b, const struct signet_strlist *l)
{
	uint8_t oid[64];
	size_t len, i, m, pi;
	struct ext_mark e;
	int r;

	for (i = 0; i < l->n; i++)
		if ((r = der_oid_from_text(l->v[i], oid, &len)) != 0)
			return signet_error_context(r, "certificate policy");
	e = ext_begin(b, X509_EXT_CP, 0);
	m = der_begin(b, DER_SEQUENCE);
	for (i = 0; i < l->n; i++) {
		if (der_oid_from_text(l->v[i], oid, &len) != 0)
			return SIGNET_ERR_CONFIG;
		pi = der_begin(b, DER_SEQUENCE);
		der_put_oid(b, oid, len);
		der_end(b, pi);
	}
	der_end(b, m);
	ext_end(b, e);
	return 0;
}

int
x509_put_cert_extensions(struct der_buf *b, const struct x509_ext_input *in)
{
	const struct signet_profile *p = in->profile;
	struct ext_mark e;
	size_t m, i, a;
	int r;

	/* basicConstraints, critical for CAs and end entities alike. */
	e = ext_begin(b, X509_EXT_BC, 1);
	m = der_begin(b, DER_SEQUENCE);
	if (p->is_ca) {
		der_put_bool_true(b);
		if (p->path_len >= 0)
			der_put_uint(b, DER_INTEGER, (uint64_t)p->path_len);
	}
	der_end(b, m);
	ext_end(b, e);

	/*
	 * keyUsage as the policy engine granted it for this key's algorithm
	 * (request.h); the lints check it against the key type again.
	 */
	if (in->req->key_usage != 0) {
		e = ext_begin(b, X509_EXT_KU, 1);
		der_put_named_bits(b, DER_BIT_STRING, in->req->key_usage);
		ext_end(b, e);
	}

	if (p->ext_key_usage != 0) {
		e = ext_begin(b, X509_EXT_EKU, 0);
		m = der_begin(b, DER_SEQUENCE);
		for (i = 0; i < sizeof(eku_oids) / sizeof(eku_oids[0]); i++)
			if (p->ext_key_usage & eku_oids[i].bit)
				der_put_oid(b, eku_oids[i].oid,
				    eku_oids[i].len);
		der_end(b, m);
		ext_end(b, e);
	}

	/*
	 * RFC 6960 4.2.2.2.1: a delegated responder's certificate says that
	 * clients need not ask about it (id-pkix-ocsp-nocheck, NULL).
	 */
	if (p->ext_key_usage & SIGNET_EKU_OCSP_SIGNING) {
		e = ext_begin(b, X509_EXT_OCSP_NOCHECK, 0);
		der_put_null(b);
		ext_end(b, e);
	}

	if (in->ski != NULL) {
		e = ext_begin(b, X509_EXT_SKI, 0);
		der_put_tlv(b, DER_OCTET_STRING, in->ski, in->ski_len);
		ext_end(b, e);
	}

	if (in->aki != NULL) {
		e = ext_begin(b, X509_EXT_AKI, 0);
		m = der_begin(b, DER_SEQUENCE);
		der_put_tlv(b, DER_CONTEXT(0), in->aki, in->aki_len);
		der_end(b, m);
		ext_end(b, e);
	}

	if (in->req->n_sans > 0 &&
	    (r = put_san(b, in->req, in->subject_empty)) != 0)
		return r;

	if (p->is_ca && p->name_constraints.present &&
	    (r = put_name_constraints(b, p)) != 0)
		return r;

	if (p->crl_urls.n > 0) {
		if ((r = check_ia5_list(&p->crl_urls, "CRL URL")) != 0)
			return r;
		e = ext_begin(b, X509_EXT_CDP, 0);
		m = der_begin(b, DER_SEQUENCE);
		a = der_begin(b, DER_SEQUENCE);
		i = der_begin(b, DER_CONTEXT_CONS(0));
		{
			size_t fn = der_begin(b, DER_CONTEXT_CONS(0));

			put_uri_list(b, &p->crl_urls);
			der_end(b, fn);
		}
		der_end(b, i);
		der_end(b, a);
		der_end(b, m);
		ext_end(b, e);
	}

	if (p->aia_ocsp.n + p->aia_issuers.n > 0) {
		if ((r = check_ia5_list(&p->aia_ocsp, "OCSP URL")) != 0 ||
		    (r = check_ia5_list(&p->aia_issuers, "caIssuers URL")) != 0)
			return r;
		e = ext_begin(b, X509_EXT_AIA, 0);
		m = der_begin(b, DER_SEQUENCE);
		for (i = 0; i < p->aia_ocsp.n; i++) {
			a = der_begin(b, DER_SEQUENCE);
			der_put_oid(b, oid_ad_ocsp, sizeof(oid_ad_ocsp));
			der_put_tlv(b, DER_CONTEXT(6), p->aia_ocsp.v[i],
			    strlen(p->aia_ocsp.v[i]));
			der_end(b, a);
		}
		for (i = 0; i < p->aia_issuers.n; i++) {
			a = der_begin(b, DER_SEQUENCE);
			der_put_oid(b, oid_ad_ca_issuers,
			    sizeof(oid_ad_ca_issuers));
			der_put_tlv(b, DER_CONTEXT(6), p->aia_issuers.v[i],
			    strlen(p->aia_issuers.v[i]));
			der_end(b, a);
		}
		der_end(b, m);
		ext_end(b, e);
	}

	if (p->policy_oids.n > 0 && (r = put_policies(b, &p->policy_oids)) != 0)
		return r;
	return 0;
}

/* ---- decoding ---------------------------------------------------------- */

int
x509_bc_decode(const uint8_t *v, size_t n, struct x509_bc *out)
{
	struct der_cur c;
	struct der_elem seq, e;
	const char *why;

	memset(out, 0, sizeof(*out));
	out->path_len = -1;
	der_cur_init(&c, v, n);
	if (der_expect(&c, DER_SEQUENCE, &seq, &why) != 0 || !der_cur_done(&c))
		return -1;
	der_cur_init(&c, seq.body, seq.len);
	if (der_optional(&c, DER_BOOLEAN, &e)) {
		if (e.len != 1)
			return -1;
		out->ca = e.body[0] != 0;
		out->ca_false_encoded = e.body[0] == 0;
	}
	if (der_optional(&c, DER_INTEGER, &e)) {
		size_t i;
		long pl = 0;

		if (e.len == 0 || e.len > 4 || (e.body[0] & 0x80))
			return -1;
		for (i = 0; i < e.len; i++)
			pl = (pl << 8) | e.body[i];
		out->path_len = pl;
	}
	return der_cur_done(&c) ? 0 : -1;
}

int
x509_named_bits_decode(const uint8_t *body, size_t len, unsigned *bits,
    int *trailing_zero)
{
	size_t i, nbits;

	*bits = 0;
	*trailing_zero = 0;
	/* X.690 8.6.2: the first octet counts the unused bits, 0 to 7. */
	if (len < 1 || body[0] > 7 || (len == 1 && body[0] != 0))
		return -1;
	nbits = (len - 1) * 8 - body[0];
	for (i = 0; i < nbits && i < 32; i++)
		if (body[1 + i / 8] & (0x80 >> (i % 8)))
			*bits |= 1u << i;
	/* X.690 11.2.2: a named bit list ends with a 1 bit. */
	if (nbits > 0 &&
	    !(body[1 + (nbits - 1) / 8] & (0x80 >> ((nbits - 1) % 8))))
		*trailing_zero = 1;
	return 0;
}

int
x509_ku_decode(const uint8_t *v, size_t n, unsigned *bits, int *trailing_zero)
{
	struct der_cur c;
	struct der_elem e;
	const char *why;

	*bits = 0;
	*trailing_zero = 0;
	der_cur_init(&c, v, n);
	if (der_expect(&c, DER_BIT_STRING, &e, &why) != 0 || !der_cur_done(&c))
		return -1;
	return x509_named_bits_decode(e.body, e.len, bits, trailing_zero);
}

int
x509_eku_decode(const uint8_t *v, size_t n, unsigned *bits)
{
	struct der_cur c;
	struct der_elem seq, oid;
	const char *why;

	*bits = 0;
	der_cur_init(&c, v, n);
	if (der_expect(&c, DER_SEQUENCE, &seq, &why) != 0 ||
	    !der_cur_done(&c) || seq.len == 0)
		return -1;
	der_cur_init(&c, seq.body, seq.len);
	while (!der_cur_done(&c)) {
		if (der_expect(&c, DER_OID, &oid, &why) != 0)
			return -1;
		*bits |= x509_eku_bit(oid.body, oid.len);
	}
	return 0;
}

int
x509_octets_decode(const uint8_t *v, size_t n, struct x509_span *out)
{
	struct der_cur c;
	struct der_elem e;
	const char *why;

	der_cur_init(&c, v, n);
	if (der_expect(&c, DER_OCTET_STRING, &e, &why) != 0 ||
	    !der_cur_done(&c))
		return -1;
	out->p = e.body;
	out->n = e.len;
	return 0;
}

int
x509_aki_decode(const uint8_t *v, size_t n, struct x509_aki *out)
{
	struct der_cur c;
	struct der_elem seq, e;
	const char *why;

	memset(out, 0, sizeof(*out));
	der_cur_init(&c, v, n);
	if (der_expect(&c, DER_SEQUENCE, &seq, &why) != 0 || !der_cur_done(&c))
		return -1;
	der_cur_init(&c, seq.body, seq.len);
	if (der_optional(&c, DER_CONTEXT(0), &e)) {
		out->has_key_id = 1;
		out->key_id.p = e.body;
		out->key_id.n = e.len;
	}
	if (der_optional(&c, DER_CONTEXT_CONS(1), &e))
		out->has_issuer = 1;
	if (der_optional(&c, DER_CONTEXT(2), &e))
		out->has_serial = 1;
	return der_cur_done(&c) ? 0 : -1;
}
