/*
 * The policy file schema for libcyaml, and loading a policy file with
 * src/util/yaml.c (which places every error at its file:line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cyaml/cyaml.h>

#include "policy/policy_int.h"
#include "util/yaml.h"

#define YAML_STRING_MAX 2048
#define YAML_LIST_MAX 256
#define YAML_PROFILES_MAX 64

/* ---- The schema -------------------------------------------------------------
 */

#define Y_OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define Y_STR(key, st, m) \
	CYAML_FIELD_STRING_PTR(key, Y_OPT, st, m, 0, YAML_STRING_MAX)
#define Y_LIST(key, st, m)                                                     \
	CYAML_FIELD_SEQUENCE_COUNT(key, Y_OPT, st, m, m##_count, &y_string, 0, \
	    YAML_LIST_MAX)
#define Y_MAP(key, st, m, fields) \
	CYAML_FIELD_MAPPING_PTR(key, Y_OPT, st, m, fields)
/*
 * Booleans are strictly "true" or "false": libcyaml's own boolean type
 * reads anything it does not know (a typo like "flase") as true.
 */
#define Y_BOOL(key, st, m)                                                   \
	CYAML_FIELD_ENUM_PTR(key, Y_OPT | CYAML_FLAG_STRICT, st, m, y_bools, \
	    CYAML_ARRAY_LEN(y_bools))

static const cyaml_strval_t y_bools[] = {
	{ "false", 0 },
	{ "true", 1 },
};

static const cyaml_schema_value_t y_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, YAML_STRING_MAX),
};

static const cyaml_schema_field_t y_dns_fields[] = {
	Y_LIST("allow", struct yaml_rule, allow),
	Y_LIST("deny", struct yaml_rule, deny),
	Y_BOOL("wildcards", struct yaml_rule, wildcards),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_ip_fields[] = {
	Y_LIST("allow", struct yaml_rule, allow),
	Y_LIST("deny", struct yaml_rule, deny),
	Y_BOOL("private", struct yaml_rule, private_),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_rule_fields[] = {
	Y_LIST("allow", struct yaml_rule, allow),
	Y_LIST("deny", struct yaml_rule, deny),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_uri_fields[] = {
	Y_LIST("allow", struct yaml_rule, allow),
	Y_LIST("deny", struct yaml_rule, deny),
	Y_BOOL("query-and-fragment", struct yaml_rule, query_fragment),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_names_fields[] = {
	CYAML_FIELD_UINT_PTR("max", Y_OPT, struct yaml_names, max),
	Y_BOOL("required", struct yaml_names, required),
	Y_MAP("dns", struct yaml_names, dns, y_dns_fields),
	Y_MAP("ip", struct yaml_names, ip, y_ip_fields),
	Y_MAP("email", struct yaml_names, email, y_rule_fields),
	Y_MAP("uri", struct yaml_names, uri, y_uri_fields),
	CYAML_FIELD_END,
};

/* Keys as in policy_attrs (tables.c). */
static const cyaml_schema_field_t y_fixed_fields[] = {
	Y_STR("C", struct yaml_fixed, c),
	Y_STR("ST", struct yaml_fixed, st),
	Y_STR("L", struct yaml_fixed, l),
	Y_STR("street", struct yaml_fixed, street),
	Y_STR("postalCode", struct yaml_fixed, postal_code),
	Y_STR("O", struct yaml_fixed, o),
	Y_STR("OU", struct yaml_fixed, ou),
	Y_STR("title", struct yaml_fixed, title),
	Y_STR("serialNumber", struct yaml_fixed, serial_number),
	Y_STR("givenName", struct yaml_fixed, given_name),
	Y_STR("surname", struct yaml_fixed, surname),
	Y_STR("CN", struct yaml_fixed, cn),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_subject_fields[] = {
	Y_LIST("from-csr", struct yaml_subject, from_csr),
	Y_MAP("fixed", struct yaml_subject, fixed, y_fixed_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_validity_fields[] = {
	Y_STR("default", struct yaml_validity, default_),
	Y_STR("max", struct yaml_validity, max),
	Y_STR("backdate", struct yaml_validity, backdate),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_bc_fields[] = {
	Y_BOOL("ca", struct yaml_basic_constraints, ca),
	CYAML_FIELD_INT_PTR("path-len", Y_OPT, struct yaml_basic_constraints,
	    path_len),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_subtrees_fields[] = {
	Y_LIST("dns", struct yaml_subtrees, dns),
	Y_LIST("ip", struct yaml_subtrees, ip),
	Y_LIST("email", struct yaml_subtrees, email),
	Y_LIST("uri", struct yaml_subtrees, uri),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_nc_fields[] = {
	Y_MAP("permitted", struct yaml_name_constraints, permitted,
	    y_subtrees_fields),
	Y_MAP("excluded", struct yaml_name_constraints, excluded,
	    y_subtrees_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_aia_fields[] = {
	Y_LIST("ca-issuers", struct yaml_aia, ca_issuers),
	Y_LIST("ocsp", struct yaml_aia, ocsp),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t y_profile_fields[] = {
	Y_STR("name", struct yaml_profile, name),
	Y_STR("description", struct yaml_profile, description),
	Y_LIST("keys", struct yaml_profile, keys),
	Y_MAP("names", struct yaml_profile, names, y_names_fields),
	Y_STR("common-name", struct yaml_profile, common_name),
	Y_MAP("subject", struct yaml_profile, subject, y_subject_fields),
	Y_MAP("validity", struct yaml_profile, validity, y_validity_fields),
	Y_LIST("key-usage", struct yaml_profile, key_usage),
	Y_LIST("extended-key-usage", struct yaml_profile, ext_key_usage),
	Y_MAP("basic-constraints", struct yaml_profile, basic_constraints,
	    y_bc_fields),
	Y_MAP("name-constraints", struct yaml_profile, name_constraints,
	    y_nc_fields),
	Y_LIST("crl-distribution-points", struct yaml_profile, crl_urls),
	Y_MAP("aia", struct yaml_profile, aia, y_aia_fields),
	Y_LIST("certificate-policies", struct yaml_profile, policies),
	Y_BOOL("rsa-pss", struct yaml_profile, rsa_pss),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t y_profile = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct yaml_profile,
	    y_profile_fields),
};

static const cyaml_schema_field_t y_policy_fields[] = {
	CYAML_FIELD_UINT_PTR("version", Y_OPT, struct yaml_policy, version),
	CYAML_FIELD_SEQUENCE_COUNT("profiles", Y_OPT, struct yaml_policy,
	    profiles, profiles_count, &y_profile, 0, YAML_PROFILES_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t y_policy = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct yaml_policy,
	    y_policy_fields),
};

int
policy_yaml_load(const char *name, const uint8_t *text, size_t len,
    struct yaml_policy **out, struct yaml_lines **lines)
{
	void *doc = NULL;
	int r;

	*out = NULL;
	if ((r = yaml_doc_load(name, text, len, &y_policy, &doc, lines)) != 0)
		return r;
	*out = doc;
	return 0;
}

void
policy_yaml_free(struct yaml_policy *yp)
{
	yaml_doc_free(&y_policy, yp);
}
