#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "x509_fixture.h"

#define DAY 86400
#define YEAR (365 * DAY)

static void
tx_die(const char *what)
{
	fprintf(stderr, "x509 fixture: %s: %s\n", what, signet_error_message());
	abort();
}

static char *crl_urls[] = { (char *)"http://crl.example.com/int.crl" };
static char *root_crl_urls[] = { (char *)"http://crl.example.com/root.crl" };
static char *aia_issuers[] = { (char *)"http://ca.example.com/int.crt" };
static char *root_aia[] = { (char *)"http://ca.example.com/root.crt" };
static char *aia_ocsp[] = { (char *)"http://ocsp.example.com" };
static char *tls_policy[] = { (char *)"2.23.140.1.2.1" };
static char *allow_dns[] = { (char *)".example.com", (char *)".example.org" };
static char *nc_dns[] = { (char *)"example.com", (char *)"example.org" };
static char *nc_dns_ex[] = { (char *)"secret.example.com" };
static char *nc_email[] = { (char *)"example.com" };
static char *nc_uri[] = { (char *)"spiffe://example.org/" };
static struct signet_cidr nc_ip[] = { { { 10, 0, 0, 0 }, 4, 8 } };

#define LIST(a)                             \
	{                                   \
		a, sizeof(a) / sizeof(a[0]) \
	}

static struct signet_profile p_server = {
	.name = (char *)"tls-server",
	.curves = SIGNET_CURVE_P256,
	.rsa_min_bits = 2048,
	.rsa_max_bits = 4096,
	.dns = { LIST(allow_dns), { NULL, 0 } },
	.max_sans = 10,
	.require_san = 1,
	.cn = SIGNET_CN_OPTIONAL,
	.validity_default = 90 * DAY,
	.validity_max = 200 * DAY,
	.backdate = 3600,
	.key_usage = SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_KEY_ENCIPHERMENT,
	.ext_key_usage = SIGNET_EKU_SERVER_AUTH,
	.path_len = -1,
	.crl_urls = LIST(crl_urls),
	.aia_issuers = LIST(aia_issuers),
	.aia_ocsp = LIST(aia_ocsp),
	.policy_oids = LIST(tls_policy),
};

static struct signet_profile p_client = {
	.name = (char *)"tls-client",
	.curves = SIGNET_CURVE_P256,
	.cn = SIGNET_CN_REQUIRED,
	.validity_default = 30 * DAY,
	.validity_max = 90 * DAY,
	.backdate = 600,
	.key_usage = SIGNET_KU_DIGITAL_SIGNATURE,
	.ext_key_usage = SIGNET_EKU_CLIENT_AUTH,
	.path_len = -1,
	.crl_urls = LIST(crl_urls),
	.aia_issuers = LIST(aia_issuers),
};

static struct signet_profile p_mtls = {
	.name = (char *)"mtls-spiffe",
	.curves = SIGNET_CURVE_P256,
	.require_san = 1,
	.cn = SIGNET_CN_FORBIDDEN,
	.validity_default = DAY,
	.validity_max = 7 * DAY,
	.backdate = 300,
	.key_usage = SIGNET_KU_DIGITAL_SIGNATURE,
	.ext_key_usage = SIGNET_EKU_SERVER_AUTH | SIGNET_EKU_CLIENT_AUTH,
	.path_len = -1,
	.crl_urls = LIST(crl_urls),
};

static struct signet_profile p_intermediate = {
	.name = (char *)"intermediate",
	.curves = SIGNET_CURVE_P256 | SIGNET_CURVE_P384,
	.rsa_min_bits = 2048,
	.rsa_max_bits = 4096,
	.cn = SIGNET_CN_REQUIRED,
	.validity_default = 5 * YEAR,
	.validity_max = 10 * YEAR,
	.backdate = 3600,
	.key_usage = SIGNET_KU_DIGITAL_SIGNATURE | SIGNET_KU_KEY_CERT_SIGN |
		     SIGNET_KU_CRL_SIGN,
	.ext_key_usage = SIGNET_EKU_SERVER_AUTH | SIGNET_EKU_CLIENT_AUTH,
	.is_ca = 1,
	.path_len = 0,
	.name_constraints = { .present = 1,
	    .critical = 1,
	    .permitted_dns = LIST(nc_dns),
	    .excluded_dns = LIST(nc_dns_ex),
	    .permitted_email = LIST(nc_email),
	    .permitted_uri = LIST(nc_uri),
	    .permitted_ip = LIST(nc_ip) },
	.crl_urls = LIST(root_crl_urls),
	.aia_issuers = LIST(root_aia),
	.policy_oids = LIST(tls_policy),
};

static struct signet_profile p_root = {
	.name = (char *)"root",
	.curves = SIGNET_CURVE_P256 | SIGNET_CURVE_P384,
	.cn = SIGNET_CN_REQUIRED,
	.validity_default = 20 * YEAR,
	.validity_max = 30 * YEAR,
	.backdate = 0,
	.key_usage = SIGNET_KU_KEY_CERT_SIGN | SIGNET_KU_CRL_SIGN,
	.is_ca = 1,
	.path_len = -1,
};

const struct signet_profile *
tx_profile_server(void)
{
	return &p_server;
}

const struct signet_profile *
tx_profile_client(void)
{
	return &p_client;
}

const struct signet_profile *
tx_profile_mtls(void)
{
	return &p_mtls;
}

const struct signet_profile *
tx_profile_intermediate(void)
{
	return &p_intermediate;
}

const struct signet_profile *
tx_profile_root(void)
{
	return &p_root;
}

struct signet_profile *
tx_profile_dup(const struct signet_profile *p)
{
	struct signet_profile *c = malloc(sizeof(*c));

	if (c == NULL)
		abort();
	*c = *p; /* lists stay shared and static */
	return c;
}

void
tx_profile_free(struct signet_profile *p)
{
	free(p);
}

EVP_PKEY *
tx_key_new(const char *type)
{
	EVP_PKEY *k = NULL;

	if (strcmp(type, "P-256") == 0)
		k = EVP_EC_gen("prime256v1");
	else if (strcmp(type, "P-384") == 0)
		k = EVP_EC_gen("secp384r1");
	else if (strcmp(type, "P-521") == 0)
		k = EVP_EC_gen("secp521r1");
	else if (strcmp(type, "RSA") == 0)
		k = EVP_RSA_gen(2048);
	if (k == NULL)
		tx_die("cannot make a key");
	return k;
}

EVP_PKEY *
tx_key(const char *type)
{
	static EVP_PKEY *cache[4];
	static const char *names[4] = { "P-256", "P-384", "P-521", "RSA" };
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(type, names[i]) == 0) {
			if (cache[i] == NULL)
				cache[i] = tx_key_new(type);
			return cache[i];
		}
	tx_die("unknown key type");
	return NULL;
}

struct signet_request *
tx_request(const struct signet_profile *p, EVP_PKEY *key, const char *cn,
    const char *const *names)
{
	struct signet_request *r = calloc(1, sizeof(*r));
	size_t n = 0, i;
	unsigned char *spki = NULL;
	int len;

	if (r == NULL)
		abort();
	r->profile = p;
	if ((r->subject = X509_NAME_new()) == NULL)
		abort();
	if (cn != NULL &&
	    !X509_NAME_add_entry_by_NID(r->subject, NID_commonName,
		MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		abort();
	while (names != NULL && names[n] != NULL)
		n++;
	if (n > 0 && (r->sans = calloc(n, sizeof(*r->sans))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		struct signet_san *s = &r->sans[i];
		const char *v = strchr(names[i], ':') + 1;

		if (strncmp(names[i], "dns:", 4) == 0)
			s->type = SIGNET_SAN_DNS;
		else if (strncmp(names[i], "uri:", 4) == 0)
			s->type = SIGNET_SAN_URI;
		else if (strncmp(names[i], "email:", 6) == 0)
			s->type = SIGNET_SAN_EMAIL;
		else if (strncmp(names[i], "ip:", 3) == 0) {
			s->type = SIGNET_SAN_IP;
			if (inet_pton(AF_INET, v, s->ip) == 1)
				s->ip_len = 4;
			else if (inet_pton(AF_INET6, v, s->ip) == 1)
				s->ip_len = 16;
			else
				abort();
		} else
			abort();
		if ((s->value = strdup(v)) == NULL)
			abort();
	}
	r->n_sans = n;
	/* Narrowed for the key type, as the policy engine does (request.h). */
	r->key_usage = p->key_usage;
	if (EVP_PKEY_is_a(key, "EC"))
		r->key_usage &= ~(unsigned)(SIGNET_KU_KEY_ENCIPHERMENT |
					    SIGNET_KU_DATA_ENCIPHERMENT);
	else
		r->key_usage &= ~(unsigned)SIGNET_KU_KEY_AGREEMENT;
	if (!EVP_PKEY_up_ref(key))
		abort();
	r->pubkey = key;
	if ((len = i2d_PUBKEY(key, &spki)) <= 0)
		abort();
	SHA256(spki, (size_t)len, r->spki_sha256);
	OPENSSL_free(spki);
	return r;
}

void
tx_request_free(struct signet_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	X509_NAME_free(r->subject);
	for (i = 0; i < r->n_sans; i++)
		free(r->sans[i].value);
	free(r->sans);
	EVP_PKEY_free(r->pubkey);
	free(r);
}

struct signet_serial
tx_serial(void)
{
	struct signet_serial s;

	if (signet_serial_new(signet_random_openssl, NULL, 0, &s) != 0)
		tx_die("serial");
	return s;
}

int
tx_issue(struct tx_ca *ca, struct signet_request *req,
    struct signet_signer *signer, uint8_t **der, size_t *len,
    struct signet_lint_report **report)
{
	struct signet_cert_params params;
	struct signet_tbs *tbs = NULL;
	struct signet_lint_report *rep = NULL;
	int r;

	*der = NULL;
	*len = 0;
	if (report != NULL)
		*report = NULL;
	memset(&params, 0, sizeof(params));
	params.request = req;
	params.issuer = ca->issuer;
	params.serial = tx_serial();
	if ((r = signet_cert_prepare(&params, &tbs)) != 0)
		goto out;
	r = signet_tbs_lint(tbs, NULL, &rep);
	if (r != 0)
		goto out;
	r = signet_tbs_sign(tbs, signer != NULL ? signer : ca->signer, der,
	    len);
out:
	if (report != NULL)
		*report = rep;
	else
		signet_lint_report_free(rep);
	signet_tbs_free(tbs);
	return r;
}

static void
tx_ca_finish(struct tx_ca *ca)
{
	const unsigned char *p = ca->der;

	signet_issuer_free(ca->issuer);
	ca->issuer = NULL;
	if ((ca->cert = d2i_X509(NULL, &p, (long)ca->len)) == NULL)
		tx_die("parsing a CA certificate");
	if (signet_issuer_new(ca->cert, &ca->issuer) != 0)
		tx_die("making an issuer");
}

void
tx_ca_root(struct tx_ca *ca, const char *type,
    const struct signet_profile *profile, const char *cn)
{
	struct signet_request *req;
	struct signet_lint_report *rep = NULL;

	memset(ca, 0, sizeof(*ca));
	ca->key = tx_key_new(type);
	if (signet_soft_signer_new(ca->key, &ca->signer) != 0 ||
	    signet_issuer_new_self(ca->key, &ca->issuer) != 0)
		tx_die("making a root");
	req = tx_request(profile != NULL ? profile : tx_profile_root(), ca->key,
	    cn, NULL);
	if (tx_issue(ca, req, NULL, &ca->der, &ca->len, &rep) != 0) {
		char *t = rep != NULL ? signet_lint_report_text(rep) : NULL;

		fprintf(stderr, "%s", t != NULL ? t : "");
		free(t);
		tx_die("issuing a root");
	}
	signet_lint_report_free(rep);
	tx_request_free(req);
	tx_ca_finish(ca);
}

void
tx_ca_sub(struct tx_ca *ca, struct tx_ca *parent, const char *type,
    const struct signet_profile *profile, const char *cn)
{
	struct signet_request *req;
	struct signet_lint_report *rep = NULL;

	memset(ca, 0, sizeof(*ca));
	ca->key = tx_key_new(type);
	if (signet_soft_signer_new(ca->key, &ca->signer) != 0)
		tx_die("making a signer");
	req = tx_request(profile != NULL ? profile : tx_profile_intermediate(),
	    ca->key, cn, NULL);
	if (tx_issue(parent, req, NULL, &ca->der, &ca->len, &rep) != 0) {
		char *t = rep != NULL ? signet_lint_report_text(rep) : NULL;

		fprintf(stderr, "%s", t != NULL ? t : "");
		free(t);
		tx_die("issuing an intermediate");
	}
	signet_lint_report_free(rep);
	tx_request_free(req);
	tx_ca_finish(ca);
}

void
tx_ca_free(struct tx_ca *ca)
{
	signet_issuer_free(ca->issuer);
	signet_signer_free(ca->signer);
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->der);
	memset(ca, 0, sizeof(*ca));
}

void
tx_write_pem(const char *path, const char *type, const uint8_t *der, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL ||
	    !PEM_write(f, type, "", (const unsigned char *)der, (long)len) ||
	    fclose(f) != 0)
		tx_die("writing PEM");
}

void
tx_write_chain(const char *path, const uint8_t *const *ders, const size_t *lens,
    size_t n)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (f == NULL)
		tx_die("writing PEM");
	for (i = 0; i < n; i++)
		if (!PEM_write(f, "CERTIFICATE", "",
			(const unsigned char *)ders[i], (long)lens[i]))
			tx_die("writing PEM");
	if (fclose(f) != 0)
		tx_die("writing PEM");
}
