/*
 * EST (RFC 7030) in the signer: /cacerts, /simpleenroll with a one-time
 * enrollment token, /simplereenroll with the current certificate as the
 * TLS client certificate. The front end passes on what the client sent;
 * everything that decides is re-checked here (docs/renewal.md):
 *
 *   re-enrollment: the certificate is signed by this CA's key, recorded as
 *   issued under this profile, the very DER recorded, not revoked, not
 *   superseded, within its validity plus the profile's grace; the CSR keeps
 *   subject and names unless the profile allows changes, and brings a new
 *   key unless it allows reuse. Then the CA pipeline with the old names as
 *   the validated identifiers, the old certificate marked superseded, and
 *   revoked (superseded) if the profile says so.
 *
 *   enrollment: the token is consumed in the store (once, unexpired,
 *   unrevoked, pinned to this profile); its names are the validated
 *   identifiers. A token whose certificate could not be issued is given
 *   back.
 *
 * The answer is the HTTP status to send and, on success, the base64 of a
 * certs-only PKCS#7 (RFC 7030 4.1.3, 4.2.3).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "serve/signer_int.h"
#include "signet/ca.h"

#define EST_MAX_NAMES SERVE_ISSUE_MAX_IDS
#define EST_NAME_MAX (SERVE_ISSUE_ID_MAX + 1)

/* An answer being built. */
struct est_answer {
	struct serve_est_reply a;
	char *body; /* base64 PKCS#7 */
};

/* Answer with this HTTP status and a message (printf). */
#define refuse(x, code, ...)                                  \
	((x)->a.http = (code), (void)snprintf((x)->a.message, \
				   sizeof((x)->a.message), __VA_ARGS__))

static void
reply(struct signer *s, uint32_t id, struct est_answer *x)
{
	struct serve_wbuf w;

	if (x->a.http == 200) {
		x->a.body = (const uint8_t *)x->body;
		x->a.body_len = strlen(x->body);
	}
	serve_wbuf_init(&w, SERVE_IPC_MAX_TO_FRONT);
	if (serve_est_reply_encode(&x->a, &w) == 0)
		(void)signer_send(s, SERVE_MSG_EST_REPLY, id, w.p, w.len);
	else
		signer_say("cannot encode the answer to EST request %u", id);
	serve_wbuf_free(&w);
}

static const struct signet_ca_est_profile *
est_profile(struct signer *s, const char *name)
{
	const struct signet_ca_config *cfg;
	size_t i;

	if (s->ca == NULL)
		return NULL;
	cfg = signet_ca_get0_config(s->ca);
	for (i = 0; i < cfg->serve_n_est; i++)
		if (strcmp(cfg->serve_est[i].profile, name) == 0)
			return &cfg->serve_est[i];
	return NULL;
}

/* ---- PKCS#7 and base64 ----------------------------------------------------- */

/* Base64 with 64-character lines (RFC 7030 4.1.3: base64, RFC 2045). */
static char *
base64_lines(const uint8_t *der, size_t len)
{
	EVP_ENCODE_CTX *ctx = NULL;
	char *out = NULL;
	size_t cap = 4 * (len / 3 + 1) + len / 48 + 8;
	int n = 0, total = 0;

	if (len > INT32_MAX / 2 || (ctx = EVP_ENCODE_CTX_new()) == NULL ||
	    (out = malloc(cap)) == NULL)
		goto fail;
	EVP_EncodeInit(ctx);
	if (EVP_EncodeUpdate(ctx, (unsigned char *)out, &n, der, (int)len) != 1)
		goto fail;
	total = n;
	EVP_EncodeFinal(ctx, (unsigned char *)out + total, &n);
	total += n;
	out[total] = '\0';
	EVP_ENCODE_CTX_free(ctx);
	return out;
fail:
	EVP_ENCODE_CTX_free(ctx);
	free(out);
	return NULL;
}

/* RFC 7030 4.2.1: the body is base64; whitespace and line ends allowed. */
static uint8_t *
base64_decode(const uint8_t *in, size_t len, size_t *out_len)
{
	EVP_ENCODE_CTX *ctx = NULL;
	uint8_t *out = NULL;
	int n = 0, total = 0;

	*out_len = 0;
	if (len == 0 || len > SERVE_EST_CSR_MAX ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL || (out = malloc(len)) == NULL)
		goto fail;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &n, in, (int)len) < 0)
		goto fail;
	total = n;
	if (EVP_DecodeFinal(ctx, out + total, &n) != 1)
		goto fail;
	total += n;
	if (total == 0)
		goto fail;
	EVP_ENCODE_CTX_free(ctx);
	*out_len = (size_t)total;
	return out;
fail:
	EVP_ENCODE_CTX_free(ctx);
	free(out);
	return NULL;
}

/* Every certificate of a PEM text appended to certs. 0 or -1. */
static int
certs_from_pem(const char *pem, size_t len, STACK_OF(X509) * certs)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *c;
	int n = 0;

	if (b == NULL)
		return -1;
	while ((c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(certs, c) == 0) {
			X509_free(c);
			BIO_free(b);
			return -1;
		}
		n++;
	}
	ERR_clear_error(); /* the end of the text */
	BIO_free(b);
	return n > 0 ? 0 : -1;
}

/* The base64 of a certs-only PKCS#7 (a degenerate SignedData). */
static char *
certs_only(STACK_OF(X509) * certs)
{
	PKCS7 *p7 = NULL;
	uint8_t *der = NULL;
	char *out = NULL;
	int i, len;

	if ((p7 = PKCS7_new()) == NULL ||
	    PKCS7_set_type(p7, NID_pkcs7_signed) != 1 ||
	    PKCS7_content_new(p7, NID_pkcs7_data) != 1)
		goto out;
	for (i = 0; i < sk_X509_num(certs); i++)
		if (PKCS7_add_certificate(p7, sk_X509_value(certs, i)) != 1)
			goto out;
	if ((len = i2d_PKCS7(p7, &der)) <= 0)
		goto out;
	out = base64_lines(der, (size_t)len);
out:
	OPENSSL_free(der);
	PKCS7_free(p7);
	return out;
}

/* ---- /cacerts ------------------------------------------------------------ */

static void
est_cacerts(struct signer *s, const struct serve_est *q, struct est_answer *x)
{
	const struct signet_ca_config *cfg = signet_ca_get0_config(s->ca);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *ca = signet_ca_get0_cert(s->ca);
	BIO *b = NULL;
	X509 *c;

	(void)q;
	if (certs == NULL || X509_up_ref(ca) != 1)
		goto fail;
	if (sk_X509_push(certs, ca) == 0) {
		X509_free(ca);
		goto fail;
	}
	/* The chain above the CA, root included: the client's anchor. */
	if (cfg->chain != NULL) {
		if ((b = BIO_new_file(cfg->chain, "r")) == NULL)
			goto fail;
		while ((c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
			if (sk_X509_push(certs, c) == 0) {
				X509_free(c);
				goto fail;
			}
		ERR_clear_error();
	}
	if ((x->body = certs_only(certs)) == NULL)
		goto fail;
	x->a.http = 200;
	goto out;
fail:
	refuse(x, 500, "cannot encode the CA certificates");
out:
	BIO_free(b);
	sk_X509_pop_free(certs, X509_free);
}

/* ---- issuing --------------------------------------------------------------- */

/* A SAN extension's names as "dns:..", "ip:..", "uri:..". 0 or -1 (why). */
static int
names_from_gens(const GENERAL_NAMES *gens, char (*names)[EST_NAME_MAX],
    size_t *n, const char **why)
{
	const GENERAL_NAME *g;
	const ASN1_STRING *v;
	char ip[INET6_ADDRSTRLEN];
	int i;

	*n = 0;
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (*n == EST_MAX_NAMES) {
			*why = "too many names";
			return -1;
		}
		if (g->type == GEN_DNS) {
			v = g->d.dNSName;
			if (ASN1_STRING_length(v) > SERVE_ISSUE_ID_MAX - 4 ||
			    memchr(ASN1_STRING_get0_data(v), '\0',
				(size_t)ASN1_STRING_length(v)) != NULL) {
				*why = "a DNS name does not fit";
				return -1;
			}
			snprintf(names[*n], EST_NAME_MAX, "dns:%.*s",
			    ASN1_STRING_length(v),
			    (const char *)ASN1_STRING_get0_data(v));
		} else if (g->type == GEN_IPADD) {
			v = g->d.iPAddress;
			if (inet_ntop(ASN1_STRING_length(v) == 4 ? AF_INET
								 : AF_INET6,
				ASN1_STRING_get0_data(v), ip,
				sizeof(ip)) == NULL ||
			    (ASN1_STRING_length(v) != 4 &&
				ASN1_STRING_length(v) != 16)) {
				*why = "an IP address is malformed";
				return -1;
			}
			snprintf(names[*n], EST_NAME_MAX, "ip:%s", ip);
		} else if (g->type == GEN_URI) {
			v = g->d.uniformResourceIdentifier;
			if (ASN1_STRING_length(v) > SERVE_ISSUE_ID_MAX - 4 ||
			    memchr(ASN1_STRING_get0_data(v), '\0',
				(size_t)ASN1_STRING_length(v)) != NULL) {
				*why = "a URI does not fit";
				return -1;
			}
			snprintf(names[*n], EST_NAME_MAX, "uri:%.*s",
			    ASN1_STRING_length(v),
			    (const char *)ASN1_STRING_get0_data(v));
		} else {
			*why = "only DNS names, IP addresses and URIs can be "
			       "renewed";
			return -1;
		}
		(*n)++;
	}
	return 0;
}

/*
 * Issue from the base64 CSR with these validated names; on success the
 * answer holds the PKCS#7 and serial[41] the new serial.
 */
static int
est_issue(struct signer *s, const struct serve_est *q, const char *requester,
    char (*names)[EST_NAME_MAX], size_t n_names, struct est_answer *x)
{
	struct signet_ca_request req;
	struct signet_ca_result res;
	const char *ids[EST_MAX_NAMES];
	STACK_OF(X509) *certs = NULL;
	uint8_t *csr = NULL;
	char *pem = NULL;
	size_t i, csr_len, pem_len = 0;
	int r;

	memset(&res, 0, sizeof(res));
	if ((csr = base64_decode(q->csr, q->csr_len, &csr_len)) == NULL) {
		refuse(x, 400,
		    "the request body is not a base64 PKCS#10 CSR "
		    "(RFC 7030 4.2.1)");
		r = SIGNET_ERR_USAGE;
		goto out;
	}
	for (i = 0; i < n_names; i++)
		ids[i] = names[i];
	memset(&req, 0, sizeof(req));
	req.name = requester;
	req.csr = csr;
	req.csr_len = csr_len;
	req.profile = q->profile;
	req.requester = requester;
	req.validated = ids;
	req.n_validated = n_names;
	req.check_names = 1;
	if ((r = signet_ca_issue(s->ca, &req, &res)) != 0) {
		signer_count_error(s, r);
		switch (signet_err_category(r)) {
		case SIGNET_CAT_POLICY:
		case SIGNET_CAT_USAGE:
			refuse(x, 400, "%s",
			    res.message != NULL ? res.message
						: signet_error_message());
			break;
		default:
			signer_say("EST issuance for %s failed: %s", requester,
			    signet_error_message());
			refuse(x, 500,
			    "the certificate could not be issued; "
			    "try again later");
			break;
		}
		goto out;
	}
	snprintf(x->a.serial, sizeof(x->a.serial), "%s", res.serial);
	if (signet_ca_pem(s->ca, res.der, res.der_len, 1, &pem, &pem_len) !=
		0 ||
	    (certs = sk_X509_new_null()) == NULL ||
	    certs_from_pem(pem, pem_len, certs) != 0 ||
	    (x->body = certs_only(certs)) == NULL) {
		refuse(x, 500,
		    "certificate %s was issued but cannot be encoded",
		    res.serial);
		r = 0; /* issued all the same */
		goto out;
	}
	x->a.http = 200;
	r = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	free(pem);
	free(csr);
	signet_ca_result_clear(&res);
	return r;
}

/* ---- /simpleenroll --------------------------------------------------------- */

static void
est_enroll(struct signer *s, const struct serve_est *q, struct est_answer *x)
{
	struct signet_store *st = signet_ca_get0_store(s->ca);
	struct signet_store_est_token *t = NULL;
	char(*names)[EST_NAME_MAX] = NULL;
	char requester[64], *list = NULL, *tok, *save = NULL;
	uint8_t hash[32];
	size_t n = 0;
	int64_t now = (int64_t)time(NULL);
	int r;

	if (q->token[0] == '\0') {
		refuse(x, 401,
		    "an enrollment token is required "
		    "(Authorization: Bearer TOKEN)");
		return;
	}
	if (EVP_Digest(q->token, strlen(q->token), hash, NULL, EVP_sha256(),
		NULL) != 1) {
		refuse(x, 500, "cannot hash the token");
		return;
	}
	if ((r = signet_store_est_token_use(st, hash, now, &t)) != 0) {
		if (r == SIGNET_ERR_NOT_FOUND || r == SIGNET_ERR_CONFLICT)
			refuse(x, 401, "%s", signet_error_message());
		else
			refuse(x, 500, "the store failed; try again later");
		goto out;
	}
	if (strcmp(t->profile, q->profile) != 0) {
		refuse(x, 403, "enrollment token %s is for profile %s",
		    t->token_id, t->profile);
		goto give_back;
	}
	if ((names = calloc(EST_MAX_NAMES, sizeof(*names))) == NULL ||
	    (list = strdup(t->names)) == NULL) {
		refuse(x, 500, "out of memory");
		goto give_back;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL && n < EST_MAX_NAMES;
	     tok = strtok_r(NULL, ",", &save))
		snprintf(names[n++], EST_NAME_MAX, "%s", tok);
	snprintf(requester, sizeof(requester), "est-token:%s", t->token_id);
	if (est_issue(s, q, requester, names, n, x) == 0)
		goto out;
give_back:
	if (signet_store_est_token_release(st, t->token_id, t->used_at) != 0)
		signer_say("enrollment token %s could not be given back: %s",
		    t->token_id, signet_error_message());
out:
	free(list);
	free(names);
	signet_store_est_token_free(t);
}

/* ---- /simplereenroll ------------------------------------------------------- */

/* Is cert, as presented, a certificate of ours the client may renew? */
static int
reenroll_check_cert(struct signer *s, const struct signet_ca_est_profile *p,
    const struct serve_est *q, X509 *cert, char serial[41],
    struct est_answer *x)
{
	struct signet_store *st = signet_ca_get0_store(s->ca);
	struct signet_store_cert *row = NULL;
	const ASN1_INTEGER *sn;
	X509 *ca = signet_ca_get0_cert(s->ca);
	EVP_PKEY *ca_key = X509_get0_pubkey(ca);
	BIGNUM *bn = NULL;
	char *hex = NULL, succ[41];
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int r, ok = -1;

	if (ca_key == NULL || X509_verify(cert, ca_key) != 1 ||
	    X509_NAME_cmp(X509_get_issuer_name(cert),
		X509_get_subject_name(ca)) != 0) {
		ERR_clear_error();
		refuse(x, 403,
		    "the client certificate was not issued by this "
		    "CA");
		goto out;
	}
	sn = X509_get0_serialNumber(cert);
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL || strlen(hex) > 40) {
		refuse(x, 403, "the client certificate's serial is malformed");
		goto out;
	}
	for (i = 0; hex[i] != '\0'; i++)
		serial[i] =
		    (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a'
							  : hex[i]);
	serial[i] = '\0';
	r = signet_store_cert_get(st, signet_ca_issuer_id(s->ca), serial, &row);
	if (r == SIGNET_ERR_NOT_FOUND) {
		refuse(x, 403, "certificate %s is not in this CA's records",
		    serial);
		goto out;
	}
	if (r != 0) {
		refuse(x, 500, "the store failed; try again later");
		goto out;
	}
	if (row->status == SIGNET_CERT_REVOKED) {
		refuse(x, 403, "certificate %s is revoked", serial);
		goto out;
	}
	if (row->status != SIGNET_CERT_ISSUED || row->der == NULL ||
	    row->der_len != q->cert_len ||
	    memcmp(row->der, q->cert, q->cert_len) != 0) {
		refuse(x, 403,
		    "the client certificate is not the one recorded as %s",
		    serial);
		goto out;
	}
	if (strcmp(row->profile, q->profile) != 0) {
		refuse(x, 403,
		    "certificate %s is of profile %s; renew it under "
		    "/.well-known/est/%s/",
		    serial, row->profile, row->profile);
		goto out;
	}
	if (now < row->not_before) {
		refuse(x, 403, "certificate %s is not valid yet", serial);
		goto out;
	}
	if (now > row->not_after + p->reenroll_grace) {
		refuse(x, 403,
		    "certificate %s expired; enroll again with a token",
		    serial);
		goto out;
	}
	r = signet_store_cert_successor(st, signet_ca_issuer_id(s->ca), serial,
	    succ);
	if (r == 0) {
		refuse(x, 403,
		    "certificate %s was already renewed (by %s); renew that "
		    "one",
		    serial, succ);
		goto out;
	}
	if (r != SIGNET_ERR_NOT_FOUND) {
		refuse(x, 500, "the store failed; try again later");
		goto out;
	}
	ok = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	signet_store_cert_free(row);
	return ok;
}

/* The CSR against the old certificate: subject, names and key. */
static int
reenroll_check_csr(const struct signet_ca_est_profile *p, X509 *cert,
    X509_REQ *csr, char (*names)[EST_NAME_MAX], size_t *n, struct est_answer *x)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = NULL;
	EVP_PKEY *old_key = X509_get0_pubkey(cert);
	EVP_PKEY *new_key = X509_REQ_get0_pubkey(csr);
	const char *why = NULL;
	int ok = -1;

	if (new_key == NULL) {
		refuse(x, 400, "the CSR has no usable public key");
		goto out;
	}
	if (!p->allow_key_reuse && old_key != NULL &&
	    EVP_PKEY_eq(old_key, new_key) == 1) {
		refuse(x, 400,
		    "the CSR reuses the current certificate's key; profile "
		    "%s asks for a new key on every renewal",
		    p->profile);
		goto out;
	}
	if (p->allow_name_change) {
		/* Its own names, still under the profile's rules. */
		exts = X509_REQ_get_extensions(csr);
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	} else {
		if (X509_NAME_cmp(X509_REQ_get_subject_name(csr),
			X509_get_subject_name(cert)) != 0) {
			refuse(x, 400,
			    "the CSR's subject differs from the current "
			    "certificate's; profile %s keeps subject and "
			    "names on renewal",
			    p->profile);
			goto out;
		}
		gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	}
	if (names_from_gens(gens, names, n, &why) != 0) {
		refuse(x, 400, "cannot renew: %s", why);
		goto out;
	}
	ok = 0;
out:
	ERR_clear_error();
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

static void
est_reenroll(struct signer *s, const struct signet_ca_est_profile *p,
    const struct serve_est *q, struct est_answer *x)
{
	struct signet_store *st = signet_ca_get0_store(s->ca);
	const uint8_t *c = q->cert;
	X509 *cert = NULL;
	X509_REQ *csr = NULL;
	uint8_t *csr_der = NULL;
	const uint8_t *cp;
	char(*names)[EST_NAME_MAX] = NULL;
	char serial[41], requester[64];
	size_t n = 0, csr_len = 0;

	if (q->cert_len == 0) {
		refuse(x, 401,
		    "re-enrollment needs the current certificate "
		    "as the TLS client certificate");
		return;
	}
	if ((cert = d2i_X509(NULL, &c, (long)q->cert_len)) == NULL ||
	    c != q->cert + q->cert_len) {
		refuse(x, 403, "the client certificate does not parse");
		goto out;
	}
	if (reenroll_check_cert(s, p, q, cert, serial, x) != 0)
		goto out;
	if ((csr_der = base64_decode(q->csr, q->csr_len, &csr_len)) == NULL ||
	    (cp = csr_der, csr = d2i_X509_REQ(NULL, &cp, (long)csr_len)) ==
		NULL) {
		refuse(x, 400,
		    "the request body is not a base64 PKCS#10 CSR "
		    "(RFC 7030 4.2.1)");
		goto out;
	}
	if ((names = calloc(EST_MAX_NAMES, sizeof(*names))) == NULL) {
		refuse(x, 500, "out of memory");
		goto out;
	}
	if (reenroll_check_csr(p, cert, csr, names, &n, x) != 0)
		goto out;
	snprintf(requester, sizeof(requester), "est:%s", serial);
	/* Issued (even if its answer could not be encoded): superseded. */
	if (est_issue(s, q, requester, names, n, x) != 0 ||
	    x->a.serial[0] == '\0')
		goto out;
	if (signet_store_cert_supersede(st, signet_ca_issuer_id(s->ca), serial,
		x->a.serial, (int64_t)time(NULL)) != 0)
		signer_say("certificate %s renewed as %s, but not recorded as "
			   "superseded: %s",
		    serial, x->a.serial, signet_error_message());
	if (p->revoke_superseded &&
	    signet_ca_revoke(s->ca, serial, SIGNET_CRL_REASON_SUPERSEDED, NULL,
		NULL) != 0)
		signer_say("certificate %s renewed as %s, but not revoked: %s",
		    serial, x->a.serial, signet_error_message());
out:
	ERR_clear_error();
	free(names);
	free(csr_der);
	X509_REQ_free(csr);
	X509_free(cert);
}

/* ---- dispatch ---------------------------------------------------------- */

void
signer_est(struct signer *s, const struct serve_msg *m)
{
	const struct signet_ca_est_profile *p;
	struct serve_est *q = NULL;
	struct est_answer x;

	memset(&x, 0, sizeof(x));
	if ((q = malloc(sizeof(*q))) == NULL) {
		refuse(&x, 500, "out of memory");
		goto answer;
	}
	if (serve_est_decode(m->type, m->body, m->len, q) != 0) {
		signer_kill_frontend(s, "an EST request does not decode",
		    m->type);
		goto out;
	}
	if (s->ca == NULL) {
		refuse(&x, 503,
		    "the CA is not open (a reload failed); try "
		    "again later");
		goto answer;
	}
	if ((p = est_profile(s, q->profile)) == NULL) {
		refuse(&x, 404, "profile %s is not served over EST",
		    q->profile);
		goto answer;
	}
	switch (m->type) {
	case SERVE_MSG_EST_CACERTS:
		est_cacerts(s, q, &x);
		break;
	case SERVE_MSG_EST_ENROLL:
		est_enroll(s, q, &x);
		break;
	case SERVE_MSG_EST_REENROLL:
		est_reenroll(s, p, q, &x);
		break;
	default:
		refuse(&x, 500, "unknown EST request");
		break;
	}
answer:
	reply(s, m->id, &x);
out:
	free(x.body);
	free(q);
}
