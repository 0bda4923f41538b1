/*
 * The delegated OCSP responder (RFC 6960 4.2.2.2): a key on the CA's
 * token that signs OCSP responses only, certified by the CA under the
 * ocsp-responder profile (EKU OCSPSigning, id-pkix-ocsp-nocheck), made
 * and replaced by the service before it expires. The store says which
 * certificate is current (the unexpired one of that profile that expires
 * last); the token holds its key, found by its public key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "ca/ca_int.h"
#include "signet/profile.h"

void
ca_ocsp_responder_free(struct ca_ocsp_responder *r)
{
	if (r == NULL)
		return;
	signet_signer_free(r->signer);
	signet_key_free(r->key);
	free(r->cert_der);
	free(r);
}

void
signet_ca_ocsp_responder_drop(struct signet_ca *ca)
{
	ca_ocsp_responder_free(ca->responder);
	ca->responder = NULL;
}

int64_t
signet_ca_ocsp_responder_rotate_at(const struct signet_ca *ca,
    int64_t not_before, int64_t not_after)
{
	int64_t life = ca->cfg->serve_ocsp_lifetime > 0
			   ? ca->cfg->serve_ocsp_lifetime
			   : (int64_t)4 * 86400;
	int64_t at = not_after - 2 * life,
		half = not_before + (not_after - not_before) / 2;

	/* A validity too short for the lifetime: not at every check. */
	return at > half ? at : half;
}

/* The newest unexpired responder certificate of this CA. */
struct newest {
	char serial[41];
	int64_t not_before, not_after;
	uint8_t *der;
	size_t len;
};

static int
newest_cb(const struct signet_store_cert *c, void *arg)
{
	struct newest *n = arg;
	uint8_t *der;

	if (c->status != SIGNET_CERT_ISSUED || c->der == NULL ||
	    c->not_after < n->not_after)
		return 0;
	if ((der = malloc(c->der_len)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	memcpy(der, c->der, c->der_len);
	free(n->der);
	n->der = der;
	n->len = c->der_len;
	snprintf(n->serial, sizeof(n->serial), "%s", c->serial);
	n->not_before = c->not_before;
	n->not_after = c->not_after;
	return 0;
}

/* Labels of the responder keys on the token. */
struct labels {
	struct signet_key_info *v;
	size_t n;
};

static int
labels_cb(void *arg, const struct signet_key_info *key)
{
	struct labels *l = arg;
	struct signet_key_info *v;

	if (strncmp(key->label, SIGNET_OCSP_RESPONDER_LABEL,
		strlen(SIGNET_OCSP_RESPONDER_LABEL)) != 0)
		return 0;
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	l->v = v;
	l->v[l->n++] = *key;
	return 0;
}

/* The responder key whose public key is pub, or *out NULL. */
static int
responder_key_find(struct signet_ca *ca, EVP_PKEY *pub, struct signet_key **out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct labels l = { NULL, 0 };
	struct signet_p11_uri *uri = NULL;
	struct signet_key *key = NULL;
	char *text = NULL;
	size_t i;

	*out = NULL;
	if ((r = signet_key_list(ca->tok, labels_cb, &l)) != 0)
		goto out;
	for (i = 0; i < l.n && *out == NULL; i++) {
		free(text);
		signet_uri_free(uri);
		uri = NULL;
		if ((text = signet_token_key_uri(ca->tok, &l.v[i])) == NULL) {
			r = signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
			goto out;
		}
		if (signet_uri_parse(text, 0, &uri) != 0 ||
		    signet_key_find(ca->tok, uri, &key) != 0) {
			/* Not usable (unsafe, a broken pair): not ours. */
			signet_error_clear();
			continue;
		}
		if (EVP_PKEY_eq(signet_key_get0_pubkey(key), pub) == 1) {
			*out = key;
			key = NULL;
		}
		signet_key_free(key);
		key = NULL;
	}
	r = 0;
out:
	free(text);
	signet_uri_free(uri);
	free(l.v);
	return r;
}

int
signet_ca_ocsp_responder_load(struct signet_ca *ca, int64_t now,
    struct signet_ca_ocsp_responder *info, int *found)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_store_filter f;
	struct newest n;
	struct ca_ocsp_responder *rs = NULL;
	const uint8_t *p;
	X509 *cert = NULL;

	*found = 0;
	memset(info, 0, sizeof(*info));
	memset(&n, 0, sizeof(n));
	if (ca->tok == NULL || ca->signer == NULL) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "the OCSP responder needs an instance opened with "
		    "SIGNET_CA_OPEN_SIGN");
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.select = SIGNET_SELECT_VALID;
	f.issuer = ca->issuer_id;
	f.profile = SIGNET_OCSP_RESPONDER_PROFILE;
	f.now = now;
	f.with_der = 1;
	if ((r = signet_store_cert_foreach(ca->store, &f, newest_cb, &n)) != 0)
		goto out;
	if (n.der == NULL) {
		r = 0;
		goto out;
	}
	p = n.der;
	if ((cert = d2i_X509(NULL, &p, (long)n.len)) == NULL) {
		r = signet_error_ossl(SIGNET_ERR_STORE,
		    "the OCSP responder certificate %s in the store does not "
		    "parse",
		    n.serial);
		goto out;
	}
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = responder_key_find(ca, X509_get0_pubkey(cert), &rs->key)) != 0)
		goto out;
	if (rs->key == NULL) {
		r = 0;
		goto out;
	}
	if ((r = signet_key_signer(rs->key, &rs->signer)) != 0)
		goto out;
	rs->pub = signet_key_get0_pubkey(rs->key);
	rs->cert_der = n.der;
	rs->cert_len = n.len;
	n.der = NULL;
	snprintf(rs->info.serial, sizeof(rs->info.serial), "%s", n.serial);
	snprintf(rs->info.key_label, sizeof(rs->info.key_label), "%s",
	    signet_key_label(rs->key));
	rs->info.not_before = n.not_before;
	rs->info.not_after = n.not_after;
	rs->info.rotate_at =
	    signet_ca_ocsp_responder_rotate_at(ca, n.not_before, n.not_after);
	*info = rs->info;
	ca_ocsp_responder_free(ca->responder);
	ca->responder = rs;
	rs = NULL;
	*found = 1;
	r = 0;
out:
	X509_free(cert);
	free(n.der);
	ca_ocsp_responder_free(rs);
	return r;
}

/* The request's subject: the attributes the profile fixes, as it wants. */
static int
responder_subject(struct signet_ca *ca, X509_NAME **out)
{
	const struct signet_profile *p;
	X509_NAME *name = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = signet_policy_find(ca->policy, SIGNET_OCSP_RESPONDER_PROFILE,
		 &p)) != 0)
		return signet_error_set(r,
		    "the policy has no profile %s for the OCSP responder "
		    "certificate (see policies/default.yaml), or set "
		    "serve.ocsp.signer: ca",
		    SIGNET_OCSP_RESPONDER_PROFILE);
	if (p->n_subject_fixed == 0)
		return signet_error_set(SIGNET_ERR_POLICY,
		    "the %s profile fixes no subject attribute "
		    "(subject.fixed): "
		    "the responder certificate needs a subject",
		    SIGNET_OCSP_RESPONDER_PROFILE);
	if ((name = X509_NAME_new()) == NULL)
		return signet_error_ossl(SIGNET_ERR_INTERNAL, "X509_NAME_new");
	for (i = 0; i < p->n_subject_fixed; i++)
		if (X509_NAME_add_entry_by_NID(name, p->subject_fixed[i].nid,
			MBSTRING_UTF8,
			(const unsigned char *)p->subject_fixed[i].value, -1,
			-1, 0) != 1) {
			X509_NAME_free(name);
			return signet_error_ossl(SIGNET_ERR_INTERNAL,
			    "the responder's subject");
		}
	*out = name;
	return 0;
}

int
signet_ca_ocsp_responder_make(struct signet_ca *ca,
    struct signet_ca_ocsp_responder *info)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_key *key = NULL;
	struct signet_signer *signer = NULL;
	struct signet_ca_request req;
	struct signet_ca_result res;
	X509_NAME *subject = NULL;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	char label[64];
	struct tm tm;
	time_t now = time(NULL);
	int found = 0;

	memset(&res, 0, sizeof(res));
	memset(info, 0, sizeof(*info));
	if (ca->tok == NULL || ca->key == NULL || ca->policy == NULL) {
		r = signet_error_set(SIGNET_ERR_USAGE,
		    "making an OCSP responder needs an instance opened with "
		    "SIGNET_CA_OPEN_SIGN and SIGNET_CA_OPEN_POLICY");
		goto out;
	}
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(label, sizeof(label),
		SIGNET_OCSP_RESPONDER_LABEL "%Y%m%dT%H%M%SZ", &tm) == 0) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "the clock");
		goto out;
	}
	/* The CA key's type: a response is no weaker than the CA. */
	if ((r = signet_key_generate(ca->tok, signet_key_type(ca->key), label,
		 NULL, 0, &key)) != 0) {
		r = signet_error_context(r,
		    "generating the OCSP responder key %s", label);
		goto out;
	}
	if ((r = signet_key_signer(key, &signer)) != 0)
		goto out;
	if ((r = responder_subject(ca, &subject)) != 0 ||
	    (r = signet_csr_build(subject, signer, 0, &csr, &csr_len)) != 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.name = label;
	req.csr = csr;
	req.csr_len = csr_len;
	req.profile = SIGNET_OCSP_RESPONDER_PROFILE;
	if ((r = signet_ca_issue(ca, &req, &res)) != 0) {
		r = signet_error_set(r,
		    "the OCSP responder certificate for %s was not issued: "
		    "%s",
		    label, res.message != NULL ? res.message : "refused");
		goto out;
	}
	if ((r = signet_ca_ocsp_responder_load(ca, (int64_t)now, info,
		 &found)) != 0)
		goto out;
	if (!found || strcmp(info->serial, res.serial) != 0) {
		r = signet_error_set(SIGNET_ERR_INTERNAL,
		    "the OCSP responder certificate %s was issued but is "
		    "not the current one (is there another one that expires "
		    "later?)",
		    res.serial);
		goto out;
	}
	r = 0;
out:
	signet_ca_result_clear(&res);
	X509_NAME_free(subject);
	free(csr);
	signet_signer_free(signer);
	signet_key_free(key);
	return r;
}
