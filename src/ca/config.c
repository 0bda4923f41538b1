/*
 * signet.yaml: where an instance's keys, files and settings are. Read with
 * src/util/yaml.c so that every error names its file:line; unknown keys
 * are refused so that a typo never silently drops a setting.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cyaml/cyaml.h>

#include "ca/ca_int.h"
#include "util/codec.h"
#include "util/file.h"
#include "util/yaml.h"

#define Y_STRING_MAX 4096
#define Y_OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define Y_STR(key, st, m) \
	CYAML_FIELD_STRING_PTR(key, Y_OPT, st, m, 0, Y_STRING_MAX)
#define Y_UINT(key, st, m) CYAML_FIELD_UINT_PTR(key, Y_OPT, st, m)
#define Y_MAP(key, st, m, fields) \
	CYAML_FIELD_MAPPING_PTR(key, Y_OPT, st, m, fields)

struct y_token {
	char *key;
	char *module;
	char *pin_source;
	unsigned *sessions;
	char *accept_restored_key;
};

struct y_audit {
	char *log;
	char *key;
	char *module;
	char *pin_source;
	unsigned *checkpoint_interval;
	char *accept_restored_key;
};

struct y_crl {
	char *next_update;
	char *delta_next_update;
	char *freshest_url;
	char *idp_url;
};

struct y_issuance {
	unsigned *serial_length;
	unsigned *batch_size;
	unsigned *workers;
};

struct y_serve_crl {
	char *interval;
	char *check_interval;
};

struct y_serve_ocsp {
	char *lifetime;
	char *signer;
};

struct y_serve_https {
	char *listen;
	char *certificate;
	char *key;
};

struct y_serve_acme {
	char *profiles;
	unsigned *http_01_port;
	unsigned *tls_alpn_01_port;
	char *validation_allow;
	char *resolve;
	char *dns_servers;
	char *eab_required;
	unsigned *orders_per_hour;
	unsigned *pending_authorizations;
	unsigned *certificates_per_name;
	unsigned *test_bad_nonce_percent;
};

struct y_serve_est {
	char *profile;
	char *allow_name_change;
	char *allow_key_reuse;
	char *revoke_superseded;
	char *reenroll_grace;
};

struct y_serve {
	char *user;
	char *frontend;
	char *listen;
	char *issuer_name;
	unsigned *threads;
	unsigned *max_connections;
	unsigned *max_connections_per_client;
	unsigned *max_header_size;
	unsigned *idle_timeout;
	unsigned *max_request_rate;
	char *log_format;
	struct y_serve_crl *crl;
	struct y_serve_ocsp *ocsp;
	struct y_serve_https *https;
	struct y_serve_acme *acme;
	struct y_serve_est *est;
	unsigned est_count;
};

struct y_config {
	unsigned *version;
	struct y_token *token;
	char *certificate;
	char *chain;
	char *policy;
	char *database;
	char *database_password_source;
	struct y_audit *audit;
	struct y_crl *crl;
	struct y_issuance *issuance;
	struct y_serve *serve;
};

static const cyaml_schema_field_t y_token_fields[] = {
	Y_STR("key", struct y_token, key),
	Y_STR("module", struct y_token, module),
	Y_STR("pin-source", struct y_token, pin_source),
	Y_UINT("sessions", struct y_token, sessions),
	Y_STR("accept-restored-key", struct y_token, accept_restored_key),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_audit_fields[] = {
	Y_STR("log", struct y_audit, log),
	Y_STR("key", struct y_audit, key),
	Y_STR("module", struct y_audit, module),
	Y_STR("pin-source", struct y_audit, pin_source),
	Y_UINT("checkpoint-interval", struct y_audit, checkpoint_interval),
	Y_STR("accept-restored-key", struct y_audit, accept_restored_key),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_crl_fields[] = {
	Y_STR("next-update", struct y_crl, next_update),
	Y_STR("delta-next-update", struct y_crl, delta_next_update),
	Y_STR("freshest-url", struct y_crl, freshest_url),
	Y_STR("idp-url", struct y_crl, idp_url),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_issuance_fields[] = {
	Y_UINT("serial-length", struct y_issuance, serial_length),
	Y_UINT("batch-size", struct y_issuance, batch_size),
	Y_UINT("workers", struct y_issuance, workers),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_serve_crl_fields[] = {
	Y_STR("interval", struct y_serve_crl, interval),
	Y_STR("check-interval", struct y_serve_crl, check_interval),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_serve_ocsp_fields[] = {
	Y_STR("lifetime", struct y_serve_ocsp, lifetime),
	Y_STR("signer", struct y_serve_ocsp, signer),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_serve_https_fields[] = {
	Y_STR("listen", struct y_serve_https, listen),
	Y_STR("certificate", struct y_serve_https, certificate),
	Y_STR("key", struct y_serve_https, key),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_serve_acme_fields[] = {
	Y_STR("profiles", struct y_serve_acme, profiles),
	Y_UINT("http-01-port", struct y_serve_acme, http_01_port),
	Y_UINT("tls-alpn-01-port", struct y_serve_acme, tls_alpn_01_port),
	Y_STR("validation-allow", struct y_serve_acme, validation_allow),
	Y_STR("resolve", struct y_serve_acme, resolve),
	Y_STR("dns-servers", struct y_serve_acme, dns_servers),
	Y_STR("eab-required", struct y_serve_acme, eab_required),
	Y_UINT("orders-per-hour", struct y_serve_acme, orders_per_hour),
	Y_UINT("pending-authorizations", struct y_serve_acme,
	    pending_authorizations),
	Y_UINT("certificates-per-name-per-week", struct y_serve_acme,
	    certificates_per_name),
	Y_UINT("test-bad-nonce-percent", struct y_serve_acme,
	    test_bad_nonce_percent),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_serve_est_fields[] = {
	Y_STR("profile", struct y_serve_est, profile),
	Y_STR("allow-name-change", struct y_serve_est, allow_name_change),
	Y_STR("allow-key-reuse", struct y_serve_est, allow_key_reuse),
	Y_STR("revoke-superseded", struct y_serve_est, revoke_superseded),
	Y_STR("reenroll-grace", struct y_serve_est, reenroll_grace),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t y_serve_est_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_serve_est,
	    y_serve_est_fields),
};

static const cyaml_schema_field_t y_serve_fields[] = {
	Y_STR("user", struct y_serve, user),
	Y_STR("frontend", struct y_serve, frontend),
	Y_STR("listen", struct y_serve, listen),
	Y_STR("issuer-name", struct y_serve, issuer_name),
	Y_UINT("threads", struct y_serve, threads),
	Y_UINT("max-connections", struct y_serve, max_connections),
	Y_UINT("max-connections-per-client", struct y_serve,
	    max_connections_per_client),
	Y_UINT("max-header-size", struct y_serve, max_header_size),
	Y_UINT("idle-timeout", struct y_serve, idle_timeout),
	Y_UINT("max-request-rate", struct y_serve, max_request_rate),
	Y_STR("log-format", struct y_serve, log_format),
	Y_MAP("crl", struct y_serve, crl, y_serve_crl_fields),
	Y_MAP("ocsp", struct y_serve, ocsp, y_serve_ocsp_fields),
	Y_MAP("https", struct y_serve, https, y_serve_https_fields),
	Y_MAP("acme", struct y_serve, acme, y_serve_acme_fields),
	CYAML_FIELD_SEQUENCE_COUNT("est", Y_OPT, struct y_serve, est, est_count,
	    &y_serve_est_entry, 0, SIGNET_CA_EST_PROFILES_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_config_fields[] = {
	Y_UINT("version", struct y_config, version),
	Y_MAP("token", struct y_config, token, y_token_fields),
	Y_STR("certificate", struct y_config, certificate),
	Y_STR("chain", struct y_config, chain),
	Y_STR("policy", struct y_config, policy),
	Y_STR("database", struct y_config, database),
	Y_STR("database-password-source", struct y_config,
	    database_password_source),
	Y_MAP("audit", struct y_config, audit, y_audit_fields),
	Y_MAP("crl", struct y_config, crl, y_crl_fields),
	Y_MAP("issuance", struct y_config, issuance, y_issuance_fields),
	Y_MAP("serve", struct y_config, serve, y_serve_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t y_config = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_config,
	    y_config_fields),
};

/* ---- helpers ------------------------------------------------------------- */

char *
ca_store_file(const char *url)
{
	if (url == NULL)
		return NULL;
	if (strncmp(url, "sqlite:", 7) == 0)
		return strdup(url + 7);
	if (strstr(url, "://") != NULL)
		return NULL;
	return strdup(url);
}

int
signet_ca_config_locate(const char *given, char **path)
{
	const char *env = getenv(SIGNET_CA_CONFIG_ENV);
	const char *p;
	char buf[PATH_MAX];

	*path = NULL;
	if (given != NULL)
		p = given;
	else if (env != NULL && *env != '\0')
		p = env;
	else
		p = SIGNET_CA_CONFIG_NAME;
	if (realpath(p, buf) == NULL) {
		if (given != NULL)
			return signet_error_sys(SIGNET_ERR_CONFIG,
			    "cannot open configuration %s (--config)", given);
		if (env != NULL && *env != '\0')
			return signet_error_sys(SIGNET_ERR_CONFIG,
			    "cannot open configuration %s ($%s)", env,
			    SIGNET_CA_CONFIG_ENV);
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "no CA configuration: give --config FILE, set $%s, or run "
		    "signet in the instance's directory (where '%s' is); "
		    "'signet init' creates one",
		    SIGNET_CA_CONFIG_ENV, SIGNET_CA_CONFIG_NAME);
	}
	if ((*path = strdup(buf)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	return 0;
}

/* Copy a string, resolving a relative path against dir. */
static int
resolve_path(const char *dir, const char *p, char **out)
{
	*out = NULL;
	if (p == NULL)
		return 0;
	if ((*out = file_path_join(dir, p)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	return 0;
}

static int
dup_str(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	return 0;
}

/* A pin source; a relative file: path resolves against dir. */
static int
resolve_pin_source(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const char *spec, char **out)
{
	const char *file = NULL;
	char *path = NULL;
	int r;

	*out = NULL;
	if (spec == NULL)
		return 0;
	if (strncmp(spec, "file://", 7) == 0)
		file = spec + 7;
	else if (strncmp(spec, "file:", 5) == 0)
		file = spec + 5;
	else if (strcmp(spec, "prompt") != 0 &&
		 (strncmp(spec, "env:", 4) != 0 || spec[4] == '\0'))
		/* Not quoted: it may be a PIN someone wrote there. */
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s is not file:PATH, env:NAME or prompt (a PIN itself "
		    "never goes into signet.yaml)",
		    key);
	if (file == NULL)
		return dup_str(spec, out);
	if (*file == '\0')
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s names no file", key);
	if ((r = resolve_path(c->dir, file, &path)) != 0)
		return r;
	if (asprintf(out, "file:%s", path) == -1) {
		*out = NULL;
		free(path);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	free(path);
	return 0;
}

static int
resolve_database(const struct signet_ca_config *c, const char *url, char **out)
{
	char *path = NULL;
	int r;

	*out = NULL;
	if (strstr(url, "://") != NULL)
		return dup_str(url, out);
	if ((r = resolve_path(c->dir,
		 strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url, &path)) != 0)
		return r;
	if (asprintf(out, "sqlite:%s", path) == -1) {
		*out = NULL;
		free(path);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	free(path);
	return 0;
}

static int
check_uri(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const char *text)
{
	struct signet_p11_uri *uri = NULL;

	if (text == NULL)
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s is required: the PKCS#11 URI of the key", key);
	/* No pin-value: a PIN never belongs in a file others may read. */
	if (signet_uri_parse(text, 0, &uri) != 0) {
		char why[sizeof(((struct signet_error_info *)0)->message)];

		snprintf(why, sizeof(why), "%s", signet_error_message());
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s: %s", key, why);
	}
	signet_uri_free(uri);
	return 0;
}

static int
check_url(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const char *url)
{
	const char *p;

	if (url == NULL)
		return 0;
	/* BR 7.1.2.11.2: relying parties fetch CRLs over plain HTTP. */
	if (strncmp(url, "http://", 7) != 0 || url[7] == '\0')
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s '%s' is not an http:// URL", key, url);
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return yaml_error(c->path, yaml_lines_find(lines, key),
			    "%s holds a space or a character outside "
			    "printable ASCII",
			    key);
	return 0;
}

static int
get_duration(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const char *text, int64_t def, int64_t min, int64_t max,
    int64_t *out)
{
	int64_t v;

	*out = def;
	if (text == NULL)
		return 0;
	if (duration_parse(text, &v) != 0)
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s '%s' is not a duration like 7d, 12h or 1d12h", key,
		    text);
	if (v < min || v > max)
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s %s is outside %lldh..%lldd (BR 4.9.7 allows "
		    "subscriber CRLs at most 10 days)",
		    key, text, (long long)(min / 3600),
		    (long long)(max / 86400));
	*out = v;
	return 0;
}

static int
get_uint(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const unsigned *v, unsigned def, unsigned min,
    unsigned max, unsigned *out)
{
	*out = def;
	if (v == NULL)
		return 0;
	if (*v < min || *v > max)
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s %u is outside %u..%u", key, *v, min, max);
	*out = *v;
	return 0;
}

/* true or false, nothing else: a typo must not pass for either. */
static int
get_bool(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const char *text, int *out)
{
	*out = 0;
	if (text == NULL || strcmp(text, "false") == 0)
		return 0;
	if (strcmp(text, "true") == 0) {
		*out = 1;
		return 0;
	}
	return yaml_error(c->path, yaml_lines_find(lines, key),
	    "%s must be true or false", key);
}

static int
required(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const void *v, const char *what)
{
	if (v != NULL)
		return 0;
	return yaml_error(c->path, yaml_lines_find(lines, key),
	    "%s is required: %s", key, what);
}

/* ---- serve: ------------------------------------------------------------- */

static int
serve_duration(const struct signet_ca_config *c, struct yaml_lines *lines,
    const char *key, const char *text, int64_t def, int64_t min, int64_t max,
    int64_t *out)
{
	int64_t v;

	*out = def;
	if (text == NULL)
		return 0;
	if (duration_parse(text, &v) != 0 || v < min || v > max)
		return yaml_error(c->path, yaml_lines_find(lines, key),
		    "%s '%s' is not a duration from %llds to %llds (like 30s, "
		    "10m or 24h)",
		    key, text, (long long)min, (long long)max);
	*out = v;
	return 0;
}

/* A name in URLs: lower-case letters, digits, '-', '_', '.'; no "..". */
static int
serve_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64 || s[0] == '.' || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

/* "ADDRESS:PORT" or "[IPv6]:PORT", the port 1..65535. */
static int
serve_listen_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL || colon == s || colon[1] == '\0')
		return 0;
	if (s[0] == '[' && colon[-1] != ']')
		return 0;
	port = strtol(colon + 1, &end, 10);
	return *end == '\0' && port >= 1 && port <= 65535;
}

/* A list of words separated by commas or spaces, each made of ok chars. */
static int
word_list_ok(const char *s, const char *ok)
{
	for (; *s != '\0'; s++)
		if (*s != ',' && *s != ' ' && strchr(ok, *s) == NULL)
			return 0;
	return 1;
}

int
signet_ca_config_listed(const char *list, const char *word)
{
	const char *p = list;
	size_t n = strlen(word), k;

	while (p != NULL && *p != '\0') {
		while (*p == ',' || *p == ' ')
			p++;
		k = strcspn(p, ", ");
		if (k == n && n > 0 && strncmp(p, word, n) == 0)
			return 1;
		p += k;
	}
	return 0;
}

static int
serve_acme_fill(struct signet_ca_config *c, const struct y_serve_acme *a,
    struct yaml_lines *lines)
{
	static const struct y_serve_acme none;
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789-_.";
	int r;

	if (a == NULL)
		a = &none;
	if (a->profiles != NULL && !word_list_ok(a->profiles, name_chars))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.acme.profiles"),
		    "serve.acme.profiles must list policy profile names "
		    "separated by commas or spaces");
	if (a->eab_required != NULL &&
	    !word_list_ok(a->eab_required, name_chars))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.acme.eab-required"),
		    "serve.acme.eab-required must list policy profile names "
		    "separated by commas or spaces");
	if (a->validation_allow != NULL &&
	    !word_list_ok(a->validation_allow, "0123456789abcdefABCDEF.:/"))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.acme.validation-allow"),
		    "serve.acme.validation-allow must list address ranges "
		    "like 127.0.0.1/32 or ::1/128");
	if (a->resolve != NULL &&
	    !word_list_ok(a->resolve, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789-_.:="))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.acme.resolve"),
		    "serve.acme.resolve must list NAME=ADDRESS pairs");
	if (a->dns_servers != NULL &&
	    !word_list_ok(a->dns_servers, "0123456789abcdefABCDEF.:[]"))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.acme.dns-servers"),
		    "serve.acme.dns-servers must list server addresses like "
		    "192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53");
	if ((r = dup_str(a->dns_servers, &c->serve_acme_dns)) != 0 ||
	    (r = dup_str(a->profiles, &c->serve_acme_profiles)) != 0 ||
	    (r = dup_str(a->validation_allow, &c->serve_acme_allow)) != 0 ||
	    (r = dup_str(a->resolve, &c->serve_acme_resolve)) != 0 ||
	    (r = dup_str(a->eab_required, &c->serve_acme_eab_required)) != 0)
		return r;
#ifndef SIGNET_TEST_HOOKS
	/* A test setting, refused rather than ignored in a production build. */
	if (a->test_bad_nonce_percent != NULL &&
	    *a->test_bad_nonce_percent != 0)
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.acme.test-bad-nonce-percent"),
		    "serve.acme.test-bad-nonce-percent is a test setting; this "
		    "signet was built without SIGNET_TEST_HOOKS");
#endif
	if ((r = get_uint(c, lines, "serve.acme.orders-per-hour",
		 a->orders_per_hour, 300, 1, 1000000,
		 &c->serve_acme_orders_per_hour)) != 0 ||
	    (r = get_uint(c, lines, "serve.acme.pending-authorizations",
		 a->pending_authorizations, 1000, 1, 1000000,
		 &c->serve_acme_pending_authz)) != 0 ||
	    (r = get_uint(c, lines, "serve.acme.certificates-per-name-per-week",
		 a->certificates_per_name, 50, 1, 1000000,
		 &c->serve_acme_certs_per_name)) != 0 ||
	    (r = get_uint(c, lines, "serve.acme.test-bad-nonce-percent",
		 a->test_bad_nonce_percent, 0, 0, 100,
		 &c->serve_acme_test_bad_nonce)) != 0)
		return r;
	if ((r = get_uint(c, lines, "serve.acme.http-01-port", a->http_01_port,
		 80, 1, 65535, &c->serve_acme_http_port)) != 0)
		return r;
	return get_uint(c, lines, "serve.acme.tls-alpn-01-port",
	    a->tls_alpn_01_port, 443, 1, 65535, &c->serve_acme_tls_alpn_port);
}

/* serve.est: the profiles exposed over EST (docs/renewal.md). */
static int
serve_est_fill(struct signet_ca_config *c, const struct y_serve *sv,
    struct yaml_lines *lines)
{
	struct signet_ca_est_profile *e;
	const struct y_serve_est *y;
	size_t i, j;
	int r;

	if (sv->est_count == 0)
		return 0;
	if (c->serve_https_listen == NULL)
		return yaml_error(c->path, yaml_lines_find(lines, "serve.est"),
		    "serve.est needs serve.https: EST is served over HTTPS "
		    "only");
	if ((c->serve_est = calloc(sv->est_count, sizeof(*e))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	for (i = 0; i < sv->est_count; i++) {
		y = &sv->est[i];
		e = &c->serve_est[i];
		c->serve_n_est = i + 1;
		if (y->profile == NULL || !serve_name_ok(y->profile))
			return yaml_error(c->path,
			    yaml_lines_find(lines, "serve.est.profile"),
			    "serve.est entry %zu needs a profile: 1 to 64 of "
			    "a-z 0-9 - _ . (it is part of the URL)",
			    i + 1);
		for (j = 0; j < i; j++)
			if (strcmp(c->serve_est[j].profile, y->profile) == 0)
				return yaml_error(c->path,
				    yaml_lines_find(lines, "serve.est.profile"),
				    "serve.est names profile %s twice",
				    y->profile);
		if ((r = dup_str(y->profile, &e->profile)) != 0 ||
		    (r = get_bool(c, lines, "serve.est.allow-name-change",
			 y->allow_name_change, &e->allow_name_change)) != 0 ||
		    (r = get_bool(c, lines, "serve.est.allow-key-reuse",
			 y->allow_key_reuse, &e->allow_key_reuse)) != 0 ||
		    (r = get_bool(c, lines, "serve.est.revoke-superseded",
			 y->revoke_superseded, &e->revoke_superseded)) != 0 ||
		    (r = serve_duration(c, lines, "serve.est.reenroll-grace",
			 y->reenroll_grace, 0, 0, SIGNET_CA_EST_GRACE_MAX,
			 &e->reenroll_grace)) != 0)
			return r;
	}
	return 0;
}

static int
serve_fill(struct signet_ca_config *c, const struct y_serve *sv,
    struct yaml_lines *lines)
{
	static const struct y_serve no_serve;
	static const struct y_serve_crl no_crl;
	static const struct y_serve_https no_https;
	const struct y_serve_crl *cr;
	const struct y_serve_https *tls;
	int r;

	if (sv == NULL)
		sv = &no_serve;
	cr = sv->crl != NULL ? sv->crl : &no_crl;
	tls = sv->https != NULL ? sv->https : &no_https;
	if (tls->listen != NULL && !serve_listen_ok(tls->listen))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.https.listen"),
		    "serve.https.listen '%s' is not ADDRESS:PORT", tls->listen);
	if (tls->listen != NULL &&
	    (tls->certificate == NULL || tls->key == NULL))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.https.listen"),
		    "serve.https needs certificate and key (PEM files) with "
		    "listen");
	if (tls->listen == NULL &&
	    (tls->certificate != NULL || tls->key != NULL))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.https"),
		    "serve.https has a certificate or key but no listen");
	if ((r = dup_str(tls->listen, &c->serve_https_listen)) != 0 ||
	    (r = resolve_path(c->dir, tls->certificate,
		 &c->serve_https_cert)) != 0 ||
	    (r = resolve_path(c->dir, tls->key, &c->serve_https_key)) != 0)
		return r;
	if (sv->issuer_name != NULL && !serve_name_ok(sv->issuer_name))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.issuer-name"),
		    "serve.issuer-name must be 1 to 64 of a-z 0-9 - _ . (it "
		    "names URLs like /crl/NAME.crl)");
	if (sv->listen != NULL && !serve_listen_ok(sv->listen))
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.listen"),
		    "serve.listen '%s' is not ADDRESS:PORT (like "
		    "127.0.0.1:8080 or [::1]:8080)",
		    sv->listen);
	if (sv->user != NULL &&
	    (sv->user[0] == '\0' || strcmp(sv->user, "root") == 0))
		return yaml_error(c->path, yaml_lines_find(lines, "serve.user"),
		    "serve.user must name an unprivileged user, not root");
	if ((r = dup_str(sv->user != NULL ? sv->user : "signet",
		 &c->serve_user)) != 0 ||
	    (r = dup_str(sv->listen != NULL ? sv->listen : "127.0.0.1:8080",
		 &c->serve_listen)) != 0 ||
	    (r = dup_str(sv->issuer_name != NULL ? sv->issuer_name : "ca",
		 &c->serve_issuer_name)) != 0 ||
	    (r = resolve_path(c->dir, sv->frontend, &c->serve_frontend)) != 0)
		return r;
	if ((r = get_uint(c, lines, "serve.threads", sv->threads, 4, 1, 256,
		 &c->serve_threads)) != 0 ||
	    (r = get_uint(c, lines, "serve.max-connections",
		 sv->max_connections, 1024, 1, 65536,
		 &c->serve_max_connections)) != 0 ||
	    (r = get_uint(c, lines, "serve.max-connections-per-client",
		 sv->max_connections_per_client, 32, 1, 65536,
		 &c->serve_max_per_client)) != 0 ||
	    (r = get_uint(c, lines, "serve.max-header-size",
		 sv->max_header_size, 8192, 1024, 1048576,
		 &c->serve_max_header)) != 0 ||
	    (r = get_uint(c, lines, "serve.idle-timeout", sv->idle_timeout, 10,
		 1, 3600, &c->serve_idle_timeout)) != 0 ||
	    (r = get_uint(c, lines, "serve.max-request-rate",
		 sv->max_request_rate, 100, 0, 1000000, &c->serve_max_rate)) !=
		0)
		return r;
	if (sv->log_format != NULL && strcmp(sv->log_format, "text") != 0 &&
	    strcmp(sv->log_format, "json") != 0)
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.log-format"),
		    "serve.log-format must be text or json, not '%s'",
		    sv->log_format);
	c->serve_log_json =
	    sv->log_format != NULL && strcmp(sv->log_format, "json") == 0;
	if ((r = serve_acme_fill(c, sv->acme, lines)) != 0)
		return r;
	if ((r = serve_duration(c, lines, "serve.crl.interval", cr->interval,
		 86400, 60, CA_CRL_NEXT_UPDATE_MAX, &c->serve_crl_interval)) !=
		0 ||
	    (r = serve_duration(c, lines, "serve.crl.check-interval",
		 cr->check_interval, 30, 1, 60, &c->serve_crl_check)) != 0)
		return r;
	if ((r = serve_est_fill(c, sv, lines)) != 0)
		return r;
	/* OCSP is on when the section is there (it signs for every cert). */
	if (sv->ocsp == NULL)
		return 0;
	c->serve_ocsp = 1;
	/* RFC 6960 4.2.2.2: a delegated responder (default) or the CA. */
	if (sv->ocsp->signer != NULL && strcmp(sv->ocsp->signer, "ca") == 0)
		c->serve_ocsp_ca_signs = 1;
	else if (sv->ocsp->signer != NULL &&
		 strcmp(sv->ocsp->signer, "delegated") != 0)
		return yaml_error(c->path,
		    yaml_lines_find(lines, "serve.ocsp.signer"),
		    "serve.ocsp.signer '%s' is neither delegated (a responder "
		    "certificate the service makes and rotates) nor ca (the "
		    "CA key signs)",
		    sv->ocsp->signer);
	/* BR 4.9.10: at most ten days; RFC 6960 has no lower bound. */
	return serve_duration(c, lines, "serve.ocsp.lifetime",
	    sv->ocsp->lifetime, (int64_t)4 * 86400, 3600, (int64_t)10 * 86400,
	    &c->serve_ocsp_lifetime);
}

static int
config_fill(struct signet_ca_config *c, const struct y_config *y,
    struct yaml_lines *lines)
{
	static const struct y_token no_token;
	static const struct y_audit no_audit;
	static const struct y_crl no_crl;
	static const struct y_issuance no_issuance;
	const struct y_token *t = y->token != NULL ? y->token : &no_token;
	const struct y_audit *a = y->audit != NULL ? y->audit : &no_audit;
	const struct y_crl *cr = y->crl != NULL ? y->crl : &no_crl;
	const struct y_issuance *is =
	    y->issuance != NULL ? y->issuance : &no_issuance;
	char *module = NULL;
	int r;

	if (y->version == NULL || *y->version != 1)
		return yaml_error(c->path, yaml_lines_find(lines, "version"),
		    y->version == NULL ? "version: 1 is required (the schema "
					 "of this file)"
				       : "version %u is not one this signet "
					 "reads (1)",
		    y->version != NULL ? *y->version : 0);
	if ((r = check_uri(c, lines, "token.key", t->key)) != 0 ||
	    (r = check_uri(c, lines, "audit.key", a->key)) != 0 ||
	    (r = required(c, lines, "certificate", y->certificate,
		 "the CA certificate (PEM)")) != 0 ||
	    (r = required(c, lines, "policy", y->policy, "the policy file")) !=
		0)
		return r;
	if ((r = dup_str(t->key, &c->key_uri)) != 0 ||
	    (r = dup_str(a->key, &c->audit_key_uri)) != 0)
		return r;
	/* A bare module name is left to the dynamic loader's search. */
	if (t->module != NULL && strchr(t->module, '/') != NULL)
		r = resolve_path(c->dir, t->module, &c->module);
	else
		r = dup_str(t->module, &c->module);
	if (r != 0)
		return r;
	if (a->module != NULL && strchr(a->module, '/') != NULL)
		r = resolve_path(c->dir, a->module, &module);
	else
		r = dup_str(a->module, &module);
	if (r != 0)
		return r;
	c->audit_module = module;
	if ((r = resolve_pin_source(c, lines, "token.pin-source", t->pin_source,
		 &c->pin_source)) != 0 ||
	    (r = resolve_pin_source(c, lines, "audit.pin-source", a->pin_source,
		 &c->audit_pin_source)) != 0 ||
	    (r = resolve_pin_source(c, lines, "database-password-source",
		 y->database_password_source, &c->database_password_source)) !=
		0)
		return r;
	/* The store reads its password without a terminal (libpq). */
	if (c->database_password_source != NULL &&
	    strcmp(c->database_password_source, "prompt") == 0)
		return yaml_error(c->path,
		    yaml_lines_find(lines, "database-password-source"),
		    "database-password-source: prompt is not supported; use "
		    "file:PATH or env:NAME");
	if ((r = get_uint(c, lines, "token.sessions", t->sessions, 0, 0,
		 CA_WORKERS_MAX, &c->sessions)) != 0 ||
	    (r = get_uint(c, lines, "audit.checkpoint-interval",
		 a->checkpoint_interval, SIGNET_AUDIT_CHECKPOINT_DEFAULT, 0,
		 1000000, &c->checkpoint_interval)) != 0 ||
	    (r = get_uint(c, lines, "issuance.serial-length", is->serial_length,
		 SIGNET_SERIAL_DEFAULT, SIGNET_SERIAL_MIN_NEW,
		 SIGNET_SERIAL_MAX, &c->serial_length)) != 0 ||
	    (r = get_uint(c, lines, "issuance.batch-size", is->batch_size,
		 CA_DEFAULT_BATCH, 1, CA_BATCH_MAX, &c->batch_size)) != 0 ||
	    (r = get_uint(c, lines, "issuance.workers", is->workers, 0, 0,
		 CA_WORKERS_MAX, &c->workers)) != 0)
		return r;
	if ((r = get_bool(c, lines, "token.accept-restored-key",
		 t->accept_restored_key, &c->accept_restored_key)) != 0 ||
	    (r = get_bool(c, lines, "audit.accept-restored-key",
		 a->accept_restored_key, &c->audit_accept_restored_key)) != 0)
		return r;
	if ((r = resolve_path(c->dir, y->certificate, &c->certificate)) != 0 ||
	    (r = resolve_path(c->dir, y->chain, &c->chain)) != 0 ||
	    (r = resolve_path(c->dir, y->policy, &c->policy)) != 0 ||
	    (r = resolve_path(c->dir,
		 a->log != NULL ? a->log : CA_DEFAULT_AUDIT_LOG,
		 &c->audit_log)) != 0 ||
	    (r = resolve_database(c,
		 y->database != NULL ? y->database : CA_DEFAULT_DATABASE,
		 &c->database)) != 0)
		return r;
	if ((r = get_duration(c, lines, "crl.next-update", cr->next_update,
		 CA_DEFAULT_CRL_NEXT_UPDATE, 3600, CA_CRL_NEXT_UPDATE_MAX,
		 &c->crl_next_update)) != 0 ||
	    (r = get_duration(c, lines, "crl.delta-next-update",
		 cr->delta_next_update, CA_DEFAULT_CRL_DELTA_NEXT_UPDATE, 3600,
		 CA_CRL_NEXT_UPDATE_MAX, &c->crl_delta_next_update)) != 0 ||
	    (r = check_url(c, lines, "crl.freshest-url", cr->freshest_url)) !=
		0 ||
	    (r = check_url(c, lines, "crl.idp-url", cr->idp_url)) != 0)
		return r;
	if (c->crl_delta_next_update > c->crl_next_update)
		return yaml_error(c->path,
		    yaml_lines_find(lines, "crl.delta-next-update"),
		    "crl.delta-next-update is longer than crl.next-update; a "
		    "delta CRL is the short-lived one");
	if ((r = dup_str(cr->freshest_url, &c->crl_freshest_url)) != 0 ||
	    (r = dup_str(cr->idp_url, &c->crl_idp_url)) != 0)
		return r;
	return 0;
}

int
signet_ca_config_load(const char *path, struct signet_ca_config **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_ca_config *c = NULL;
	struct y_config *y = NULL;
	struct yaml_lines *lines = NULL;
	uint8_t *text = NULL;
	size_t len = 0;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL ||
	    (c->dir = file_dirname(path)) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* Whoever can edit the file can point the CA at another key. */
	if ((r = file_read_trusted(path, SIGNET_CA_CONFIG_MAX, 0,
		 SIGNET_ERR_CONFIG, &text, &len)) != 0) {
		r = signet_error_context(r, "configuration");
		goto out;
	}
	if ((r = sha256(text, len, c->sha256)) != 0)
		goto out;
	if ((r = yaml_doc_load(path, text, len, &y_config, (void **)&y,
		 &lines)) != 0)
		goto out;
	if ((r = config_fill(c, y, lines)) != 0 ||
	    (r = serve_fill(c, y->serve, lines)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	yaml_doc_free(&y_config, y);
	yaml_lines_free(lines);
	free(text);
	signet_ca_config_free(c);
	return r;
}

void
signet_ca_config_free(struct signet_ca_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->dir);
	free(c->key_uri);
	free(c->module);
	free(c->pin_source);
	free(c->certificate);
	free(c->chain);
	free(c->policy);
	free(c->database);
	free(c->database_password_source);
	free(c->audit_log);
	free(c->audit_key_uri);
	free(c->audit_module);
	free(c->audit_pin_source);
	free(c->crl_freshest_url);
	free(c->crl_idp_url);
	free(c->serve_user);
	free(c->serve_frontend);
	free(c->serve_listen);
	free(c->serve_issuer_name);
	free(c->serve_https_listen);
	free(c->serve_https_cert);
	free(c->serve_https_key);
	free(c->serve_acme_profiles);
	free(c->serve_acme_allow);
	free(c->serve_acme_resolve);
	free(c->serve_acme_dns);
	free(c->serve_acme_eab_required);
	for (i = 0; i < c->serve_n_est; i++)
		free(c->serve_est[i].profile);
	free(c->serve_est);
	free(c);
}
