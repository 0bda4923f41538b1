/*
 * The http-01 validator (RFC 8555 8.3) on libcurl, and the address guard
 * every connection it makes goes through (CURLOPT_OPENSOCKETFUNCTION:
 * the first address and every redirect's are checked just before
 * connect). Names are looked up in serve.acme.resolve first, then
 * asked of serve.acme.dns-servers through c-ares (front_acme_dns01.c).
 * libcurl's own resolver is never reached: curl is always handed the
 * address (CURLOPT_RESOLVE) or an address literal.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "serve/acme_jwk.h"

#include "serve/front_acme.h"

#define HTTP01_MAX_BODY 4096
#define HTTP01_MAX_REDIRECTS 5
#define HTTP01_TIMEOUT 10
#define MAX_RANGES 32
#define MAX_NAMES 32

struct range {
	int family;
	uint8_t addr[16];
	unsigned bits;
};

static struct front_acme_opts opts;
static struct range allowed[MAX_RANGES];
static size_t n_allowed;
static struct {
	char name[254];
	char addr[INET6_ADDRSTRLEN];
} names[MAX_NAMES];
static size_t n_names;

static int
range_parse(const char *s, size_t n, struct range *r)
{
	char buf[64], *slash, *end;
	unsigned long bits;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, r->addr) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, r->addr) == 1)
		r->family = AF_INET6;
	else
		return -1;
	bits = r->family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || end == slash + 1 ||
		    bits > (r->family == AF_INET ? 32u : 128u))
			return -1;
	}
	r->bits = (unsigned)bits;
	return 0;
}

static int
in_range(const struct range *r, int family, const uint8_t *a)
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (r->family != family || memcmp(r->addr, a, full) != 0)
		return 0;
	return rest == 0 ||
	       ((r->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

/* Call fn on each word of a comma/space list; -1 if it fails on one. */
static int
each_word(const char *s, int (*fn)(const char *w, size_t n))
{
	size_t k;

	while (s != NULL && *s != '\0') {
		while (*s == ',' || *s == ' ')
			s++;
		k = strcspn(s, ", ");
		if (k > 0 && fn(s, k) != 0)
			return -1;
		s += k;
	}
	return 0;
}

static int
add_range(const char *w, size_t n)
{
	if (n_allowed == MAX_RANGES ||
	    range_parse(w, n, &allowed[n_allowed]) != 0) {
		front_log("serve.acme.validation-allow: '%.*s' is not an "
			  "address range (or too many)",
		    (int)n, w);
		return -1;
	}
	n_allowed++;
	return 0;
}

static int
add_name(const char *w, size_t n)
{
	const char *eq = memchr(w, '=', n);
	uint8_t a[16];
	size_t nl;

	if (eq == NULL || n_names == MAX_NAMES ||
	    (nl = (size_t)(eq - w)) == 0 || nl >= sizeof(names[0].name) ||
	    n - nl - 1 >= sizeof(names[0].addr))
		goto bad;
	memcpy(names[n_names].name, w, nl);
	memcpy(names[n_names].addr, eq + 1, n - nl - 1);
	if (inet_pton(AF_INET, names[n_names].addr, a) != 1 &&
	    inet_pton(AF_INET6, names[n_names].addr, a) != 1)
		goto bad;
	n_names++;
	return 0;
bad:
	if (n_names == MAX_NAMES)
		front_log("serve.acme.resolve: more than %d names", MAX_NAMES);
	else
		front_log("serve.acme.resolve: '%.*s' is not NAME=ADDRESS",
		    (int)n, w);
	return -1;
}

int
front_acme_listed(const char *list, const char *word)
{
	const char *s = list;
	size_t k, n = strlen(word);

	while (s != NULL && *s != '\0') {
		while (*s == ',' || *s == ' ')
			s++;
		k = strcspn(s, ", ");
		if (k == n && n > 0 && strncmp(s, word, n) == 0)
			return 1;
		s += k;
	}
	return 0;
}

int
front_acme_profile_exposed(const char *profile)
{
	return front_acme_listed(opts.profiles, profile);
}

int
front_acme_eab_required(const char *profile)
{
	return front_acme_listed(opts.eab_required, profile);
}

/*
 * Everything OpenSSL and jansson load or open on first use (provider
 * configuration, algorithm tables, jansson's hash seed from
 * /dev/urandom) must happen before the sandbox, which allows no open():
 * one key of each kind an account may have, turned into a JWK, loaded
 * and used to check a signature, warms every path a request takes.
 */
/* The JWK of a generated key (crv NULL: RSA), or NULL. */
static json_t *
jwk_of(EVP_PKEY *gen, const char *crv)
{
	uint8_t buf[1 + 2 * 66];
	char a[400], b[400];
	BIGNUM *bn = NULL, *be = NULL;
	json_t *jwk = NULL;
	size_t len, half;

	if (crv != NULL) {
		if (EVP_PKEY_get_octet_string_param(gen,
			OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) != 1)
			return NULL;
		half = (len - 1) / 2;
		acme_b64url_encode(buf + 1, half, a);
		acme_b64url_encode(buf + 1 + half, half, b);
		return json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv",
		    crv, "x", a, "y", b);
	}
	if (EVP_PKEY_get_bn_param(gen, OSSL_PKEY_PARAM_RSA_N, &bn) == 1 &&
	    EVP_PKEY_get_bn_param(gen, OSSL_PKEY_PARAM_RSA_E, &be) == 1 &&
	    BN_num_bytes(bn) <= 290) {
		uint8_t big[290];

		acme_b64url_encode(big, (size_t)BN_bn2bin(bn, big), a);
		acme_b64url_encode(big, (size_t)BN_bn2bin(be, big), b);
		jwk =
		    json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", a, "e", b);
	}
	BN_free(bn);
	BN_free(be);
	return jwk;
}

/*
 * Everything OpenSSL and jansson load or open on first use (provider
 * configuration, algorithm tables, jansson's hash seed from
 * /dev/urandom) must happen before the sandbox, which allows no open():
 * one key of each kind an account may have, turned into a JWK, loaded
 * and used to check a signature, warms every path a request takes.
 */
static int
warm_up(void)
{
	static const struct {
		const char *crv, *alg;
		size_t sig_len;
	} k[] = { { "P-256", "ES256", 64 }, { "P-384", "ES384", 96 },
		{ "P-521", "ES512", 132 }, { NULL, "RS256", 256 } };
	uint8_t sig[256] = { 1 };
	char thumb[ACME_THUMB_LEN + 1], text[ACME_JWK_TEXT_MAX + 1];
	EVP_PKEY *gen, *key = NULL;
	const char *why;
	json_t *jwk;
	size_t i;
	int r = 0;

	json_object_seed(0);
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		return -1;
	for (i = 0; i < sizeof(k) / sizeof(k[0]) && r == 0; i++) {
		gen = k[i].crv != NULL
			  ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", k[i].crv)
			  : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		jwk = gen != NULL ? jwk_of(gen, k[i].crv) : NULL;
		if (jwk == NULL ||
		    acme_jwk_load(jwk, &key, thumb, text, &why) != 0)
			r = -1;
		else
			(void)acme_jws_verify(key, k[i].alg, sig, 1, sig,
			    k[i].sig_len, &why);
		json_decref(jwk);
		EVP_PKEY_free(key);
		EVP_PKEY_free(gen);
		key = NULL;
	}
	if (r != 0)
		front_log("cannot prepare the JWS algorithms");
	return r;
}

int
front_acme_init(const struct front_acme_opts *o)
{
	opts = *o;
	if (opts.http_port == 0)
		opts.http_port = 80;
	if (each_word(o->allow, add_range) != 0 ||
	    each_word(o->resolve, add_name) != 0)
		return -1;
	if (warm_up() != 0)
		return -1;
	if (o->dns_servers != NULL && o->dns_servers[0] != '\0' &&
	    front_acme_dns_init(o->dns_servers) != 0)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		front_log("cannot start libcurl");
		return -1;
	}
	return front_acme_tlsalpn_init(opts.tls_alpn_port);
}

/* RFC 6890 and the IANA special-purpose registries, with RFC 1918. */
static const char *const special[] = {
	"0.0.0.0/8",
	"10.0.0.0/8",
	"100.64.0.0/10",
	"127.0.0.0/8",
	"169.254.0.0/16",
	"172.16.0.0/12",
	"192.0.0.0/24",
	"192.0.2.0/24",
	"192.88.99.0/24",
	"192.168.0.0/16",
	"198.18.0.0/15",
	"198.51.100.0/24",
	"203.0.113.0/24",
	"224.0.0.0/4",
	"240.0.0.0/4",
	"::/128",
	"::1/128",
	"::ffff:0:0/96",
	"64:ff9b::/96",
	"64:ff9b:1::/48",
	"100::/64",
	"2001::/23",
	"2001:db8::/32",
	"2002::/16",
	"fc00::/7",
	"fe80::/10",
	"ff00::/8",
};

int
front_acme_address_ok(const struct sockaddr *sa)
{
	const uint8_t *a;
	struct range r;
	size_t i;
	int family = sa->sa_family;

	if (family == AF_INET)
		a = (const uint8_t *)&(
		    (const struct sockaddr_in *)(const void *)sa)
			->sin_addr;
	else if (family == AF_INET6)
		a = (const uint8_t *)&(
		    (const struct sockaddr_in6 *)(const void *)sa)
			->sin6_addr;
	else
		return 0;
	for (i = 0; i < n_allowed; i++)
		if (in_range(&allowed[i], family, a))
			return 1;
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (range_parse(special[i], strlen(special[i]), &r) == 0 &&
		    in_range(&r, family, a))
			return 0;
	return 1;
}

static curl_socket_t
open_socket(void *cls, curlsocktype purpose, struct curl_sockaddr *addr)
{
	int *refused = cls;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !front_acme_address_ok(&addr->addr)) {
		*refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

struct body {
	char buf[HTTP01_MAX_BODY + 1];
	size_t len;
	int too_long;
};

static size_t
body_write(char *p, size_t size, size_t n, void *cls)
{
	struct body *b = cls;
	size_t len = size * n;

	if (len > HTTP01_MAX_BODY - b->len) {
		b->too_long = 1;
		return 0;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

int
front_acme_host_address(const char *host, char out[INET6_ADDRSTRLEN], char *why,
    size_t cap)
{
	uint8_t a[16];
	size_t i;

	if (inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1) {
		snprintf(out, INET6_ADDRSTRLEN, "%s", host);
		return 0;
	}
	for (i = 0; i < n_names; i++)
		if (strcasecmp(names[i].name, host) == 0) {
			memcpy(out, names[i].addr, sizeof(names[i].addr));
			return 0;
		}
	return front_acme_dns_address(host, out, why, cap);
}

/* One fetch; *next is the redirect's URL (curl_free it) or NULL. */
static int
fetch(const char *url, struct body *b, char **next, char *why, size_t cap)
{
	CURLU *u = curl_url();
	CURL *c = NULL;
	struct curl_slist *res = NULL;
	char *host = NULL, *port = NULL, *scheme = NULL, entry[400];
	char addr[INET6_ADDRSTRLEN], msg[300];
	char *loc = NULL;
	long code = 0;
	int refused = 0, r = -1;
	CURLcode cr;

	*next = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		CURLUE_OK) {
		snprintf(why, cap, "cannot fetch %s: not a URL", url);
		goto out;
	}
	if (strcmp(scheme, "http") != 0) {
		snprintf(why, cap, "%s: only http is followed", url);
		goto out;
	}
	/* An IPv6 literal comes back in brackets. */
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (front_acme_host_address(host, addr, msg, sizeof(msg)) != 0) {
		snprintf(why, cap, "%s: %s", url, msg);
		goto out;
	}
	if (strcmp(addr, host) != 0) {
		snprintf(entry, sizeof(entry), "%s:%s:%s%s%s", host, port,
		    strchr(addr, ':') != NULL ? "[" : "", addr,
		    strchr(addr, ':') != NULL ? "]" : "");
		res = curl_slist_append(NULL, entry);
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(why, cap, "out of memory");
		goto out;
	}
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	(void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)HTTP01_TIMEOUT);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	(void)curl_easy_setopt(c, CURLOPT_RESOLVE, res);
	(void)curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	(void)curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &refused);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	(void)curl_easy_setopt(c, CURLOPT_USERAGENT, "signet-acme-validator");
	b->len = 0;
	b->too_long = 0;
	cr = curl_easy_perform(c);
	if (refused) {
		snprintf(why, cap,
		    "%s: the address of %s is not one "
		    "validation may connect to",
		    url, host);
		goto out;
	}
	if (b->too_long) {
		snprintf(why, cap, "%s: the answer is longer than %d bytes",
		    url, HTTP01_MAX_BODY);
		goto out;
	}
	if (cr != CURLE_OK) {
		snprintf(why, cap, "%s: %s", url, curl_easy_strerror(cr));
		goto out;
	}
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 && code < 400 &&
	    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc != NULL) {
		*next = strdup(loc);
		r = 0;
		goto out;
	}
	if (code != 200) {
		snprintf(why, cap, "%s: HTTP status %ld", url, code);
		goto out;
	}
	r = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(res);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

int
front_acme_http01(const char *identifier, const char *token,
    const char *thumbprint, char *why, size_t why_cap)
{
	struct body *b = calloc(1, sizeof(*b));
	char url[600], expected[200], *next = NULL;
	const char *host;
	int i, r = -1, v6;

	if (b == NULL) {
		snprintf(why, why_cap, "out of memory");
		return -1;
	}
	host = strncmp(identifier, "dns:", 4) == 0  ? identifier + 4
	       : strncmp(identifier, "ip:", 3) == 0 ? identifier + 3
						    : identifier;
	v6 = strchr(host, ':') != NULL;
	snprintf(url, sizeof(url),
	    "http://%s%s%s:%u/.well-known/acme-challenge/%s", v6 ? "[" : "",
	    host, v6 ? "]" : "", opts.http_port, token);
	snprintf(expected, sizeof(expected), "%s.%s", token, thumbprint);
	for (i = 0; i <= HTTP01_MAX_REDIRECTS; i++) {
		if (fetch(url, b, &next, why, why_cap) != 0)
			goto out;
		if (next == NULL)
			break;
		snprintf(url, sizeof(url), "%s", next);
		free(next);
		next = NULL;
	}
	if (i > HTTP01_MAX_REDIRECTS) {
		snprintf(why, why_cap, "more than %d redirects",
		    HTTP01_MAX_REDIRECTS);
		goto out;
	}
	/* Trailing white space is tolerated, as by other servers. */
	while (b->len > 0 &&
	       (b->buf[b->len - 1] == '\n' || b->buf[b->len - 1] == '\r' ||
		   b->buf[b->len - 1] == ' ' || b->buf[b->len - 1] == '\t'))
		b->buf[--b->len] = '\0';
	if (strcmp(b->buf, expected) != 0) {
		snprintf(why, why_cap,
		    "%s: the answer is not the key authorization", url);
		goto out;
	}
	r = 0;
out:
	free(next);
	free(b);
	return r;
}

int
front_acme_validate(const char *type, const char *identifier, const char *token,
    const char *thumbprint, char *why, size_t why_cap)
{
	if (strcmp(type, "http-01") == 0)
		return front_acme_http01(identifier, token, thumbprint, why,
		    why_cap);
	if (strcmp(type, "dns-01") == 0)
		return front_acme_dns01(identifier, token, thumbprint, why,
		    why_cap);
	if (strcmp(type, "tls-alpn-01") == 0)
		return front_acme_tlsalpn01(identifier, token, thumbprint, why,
		    why_cap);
	snprintf(why, why_cap, "no validator for challenges of type %s", type);
	return -1;
}
