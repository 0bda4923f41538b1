/* Names of subject attributes and key usages, as policy files write them. */
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>

#include "policy/policy_int.h"

/*
 * Upper bounds from RFC 5280 Appendix A (ub-*); givenName and surname
 * have a generous X.520 bound, held to 64 here like the other names.
 * C and serialNumber are PrintableString (X.520).
 */
const struct policy_attr policy_attrs[] = {
	{ "C", 2, NID_countryName, 1 },
	{ "ST", 128, NID_stateOrProvinceName, 0 },
	{ "L", 128, NID_localityName, 0 },
	{ "street", 128, NID_streetAddress, 0 },
	{ "postalCode", 40, NID_postalCode, 0 },
	{ "O", 64, NID_organizationName, 0 },
	{ "OU", 64, NID_organizationalUnitName, 0 },
	{ "title", 64, NID_title, 0 },
	{ "serialNumber", 64, NID_serialNumber, 1 },
	{ "givenName", 64, NID_givenName, 0 },
	{ "surname", 64, NID_surname, 0 },
	{ "CN", 64, NID_commonName, 0 },
};
const size_t policy_n_attrs = sizeof(policy_attrs) / sizeof(policy_attrs[0]);

const struct policy_attr *
policy_attr_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < policy_n_attrs; i++)
		if (strcmp(policy_attrs[i].name, name) == 0)
			return &policy_attrs[i];
	return NULL;
}

const struct policy_attr *
policy_attr_by_nid(int nid)
{
	size_t i;

	for (i = 0; i < policy_n_attrs; i++)
		if (policy_attrs[i].nid == nid)
			return &policy_attrs[i];
	return NULL;
}

/* Indexed by bit number (RFC 5280 4.2.1.3). */
static const char *const ku_names[] = {
	"digitalSignature",
	"contentCommitment",
	"keyEncipherment",
	"dataEncipherment",
	"keyAgreement",
	"keyCertSign",
	"cRLSign",
};

static const struct {
	const char *name;
	unsigned bit;
	int nid;
} eku_table[] = {
	{ "serverAuth", SIGNET_EKU_SERVER_AUTH, NID_server_auth },
	{ "clientAuth", SIGNET_EKU_CLIENT_AUTH, NID_client_auth },
	{ "codeSigning", SIGNET_EKU_CODE_SIGNING, NID_code_sign },
	{ "emailProtection", SIGNET_EKU_EMAIL_PROTECTION, NID_email_protect },
	{ "timeStamping", SIGNET_EKU_TIME_STAMPING, NID_time_stamp },
	{ "OCSPSigning", SIGNET_EKU_OCSP_SIGNING, NID_OCSP_sign },
};

#define N_KU (sizeof(ku_names) / sizeof(ku_names[0]))
#define N_EKU (sizeof(eku_table) / sizeof(eku_table[0]))

const char *
policy_ku_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < N_KU; i++)
		if (bit == 1u << i)
			return ku_names[i];
	return NULL;
}

const char *
policy_eku_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < N_EKU; i++)
		if (eku_table[i].bit == bit)
			return eku_table[i].name;
	return NULL;
}

int
policy_ku_parse(const char *name, unsigned *bit)
{
	size_t i;

	/* The name X.509 used before RFC 5280. */
	if (strcmp(name, "nonRepudiation") == 0)
		name = "contentCommitment";
	for (i = 0; i < N_KU; i++) {
		if (strcmp(ku_names[i], name) == 0) {
			*bit = 1u << i;
			return 0;
		}
	}
	return -1;
}

int
policy_eku_parse(const char *name, unsigned *bit)
{
	size_t i;

	for (i = 0; i < N_EKU; i++) {
		if (strcmp(eku_table[i].name, name) == 0) {
			*bit = eku_table[i].bit;
			return 0;
		}
	}
	return -1;
}

unsigned
policy_eku_from_nid(int nid)
{
	size_t i;

	for (i = 0; i < N_EKU; i++)
		if (eku_table[i].nid == nid)
			return eku_table[i].bit;
	return 0;
}

static void
bits_format(unsigned bits, const char *(*name)(unsigned), char *out,
    size_t outsz)
{
	size_t used = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < 32; i++) {
		const char *n;

		if (!(bits & (1u << i)))
			continue;
		n = name(1u << i);
		used += (size_t)snprintf(out + used,
		    used < outsz ? outsz - used : 0, "%s%s",
		    used > 0 ? ", " : "", n != NULL ? n : "?");
		if (used >= outsz)
			return;
	}
}

void
policy_ku_format(unsigned bits, char *out, size_t outsz)
{
	bits_format(bits, policy_ku_name, out, outsz);
}

void
policy_eku_format(unsigned bits, char *out, size_t outsz)
{
	bits_format(bits, policy_eku_name, out, outsz);
}

void
policy_duration_format(int64_t seconds, char out[48])
{
	static const struct {
		int64_t unit;
		char suffix;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i, used = 0;

	out[0] = '\0';
	if (seconds <= 0) {
		snprintf(out, 48, "%llds", (long long)seconds);
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (seconds < units[i].unit)
			continue;
		used += (size_t)snprintf(out + used, 48 - used, "%lld%c",
		    (long long)(seconds / units[i].unit), units[i].suffix);
		seconds %= units[i].unit;
		if (used >= 48)
			return;
	}
}
