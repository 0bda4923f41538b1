/*
 * Reading back the entries of a CRL signet signed (the previous CRL, which
 * the next one and `signet db check` compare with the database), without
 * building an object per entry.
 */
#include <string.h>

#include "x509/x509_int.h"

/* reasonCode (RFC 5280 5.3.1): extnValue holds an ENUMERATED. */
static int
entry_reason(const struct x509_crl_entry *e)
{
	const struct x509_ext *x = x509_exts_find(&e->exts, X509_EXT_REASON);
	struct der_cur c;
	struct der_elem v;
	const char *why;

	if (x == NULL)
		return SIGNET_CRL_REASON_NONE;
	der_cur_init(&c, x->value.p, x->value.n);
	if (der_expect(&c, DER_ENUMERATED, &v, &why) != 0 || v.len != 1 ||
	    !der_cur_done(&c))
		return -2;
	return v.body[0];
}

int
signet_crl_entries_foreach(const uint8_t *der, size_t len,
    signet_crl_entry_fn cb, void *arg)
{
	struct x509_crl_view v;
	struct x509_crl_entry e;
	struct signet_crl_entry out;
	struct der_cur c;
	const uint8_t *p;
	const char *why = NULL;
	size_t n;
	int r;

	if (x509_crl_view_parse(der, len, &v, &why) != 0)
		return signet_error_set(SIGNET_ERR_VERIFY, "CRL: %s",
		    why != NULL ? why : "malformed");
	if (!v.has_revoked)
		return 0;
	der_cur_init(&c, v.revoked.p, v.revoked.n);
	while (!der_cur_done(&c)) {
		if (x509_crl_entry_next(&v, &c, &e, &why) != 0)
			return signet_error_set(SIGNET_ERR_VERIFY, "CRL: %s",
			    why != NULL ? why : "malformed entry");
		p = e.serial.p;
		n = e.serial.n;
		while (n > 1 && p[0] == 0) {
			p++;
			n--;
		}
		if (n == 0 || n > sizeof(out.serial.v) || (p[0] & 0x80) != 0)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "CRL: an entry's serial is not a positive integer "
			    "of at most 20 octets");
		memset(&out, 0, sizeof(out));
		memcpy(out.serial.v, p, n);
		out.serial.len = n;
		if ((out.reason = entry_reason(&e)) == -2)
			return signet_error_set(SIGNET_ERR_VERIFY,
			    "CRL: a malformed reasonCode");
		if ((r = cb(arg, &out)) != 0)
			return r < 0 ? r : 0;
	}
	return 0;
}
