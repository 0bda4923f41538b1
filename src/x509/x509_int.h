/* Internals of src/x509 shared between its files (and its tests). */
#ifndef SIGNET_X509_INT_H
#define SIGNET_X509_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "signet/lint.h"
#include "signet/signer.h"
#include "signet/x509.h"
#include "util/der.h"

/* ---- extensions we know ------------------------------------------------ */

enum x509_ext_id {
	X509_EXT_UNKNOWN = 0,
	X509_EXT_BC,
	X509_EXT_KU,
	X509_EXT_EKU,
	X509_EXT_SKI,
	X509_EXT_AKI,
	X509_EXT_SAN,
	X509_EXT_IAN,
	X509_EXT_NC,
	X509_EXT_CDP,
	X509_EXT_AIA,
	X509_EXT_SIA,
	X509_EXT_CP,
	X509_EXT_POLICY_MAPPINGS,
	X509_EXT_POLICY_CONSTRAINTS,
	X509_EXT_INHIBIT_ANY_POLICY,
	X509_EXT_SUBJECT_DIR_ATTRS,
	X509_EXT_CRL_NUMBER,
	X509_EXT_DELTA_CRL,
	X509_EXT_IDP,
	X509_EXT_FRESHEST_CRL,
	X509_EXT_REASON,
	X509_EXT_INVALIDITY_DATE,
	X509_EXT_CERT_ISSUER,
	X509_EXT_CT_POISON,
	X509_EXT_CT_SCTS,
	X509_EXT_TLS_FEATURE,
	X509_EXT_OCSP_NOCHECK,
	X509_EXT_COUNT
};

struct x509_ext_def {
	enum x509_ext_id id;
	const char *name;
	uint8_t oid[10];
	size_t oid_len;
};

const struct x509_ext_def *x509_ext_def_get(enum x509_ext_id id);
enum x509_ext_id x509_ext_lookup(const uint8_t *oid, size_t len);
/* The extension's name, or its dotted OID, into buf. */
const char *x509_ext_name(enum x509_ext_id id, const uint8_t *oid, size_t len,
    char *buf, size_t buflen);
/* Put an extension's OID (by id) into b. */
void x509_put_ext_oid(struct der_buf *b, enum x509_ext_id id);

/* ---- views: parsed positions in raw DER -------------------------------- */

struct x509_span {
	const uint8_t *p;
	size_t n;
};

struct x509_ext {
	enum x509_ext_id id;
	struct x509_span oid; /* content octets */
	int critical;
	int critical_encoded;   /* the BOOLEAN is present (FALSE is DEFAULT) */
	int critical_bad;       /* the BOOLEAN is not 00/FF */
	struct x509_span value; /* extnValue contents */
	size_t offset;          /* of the Extension, from the object start */
};

#define X509_MAX_EXTS 64

struct x509_exts {
	int present; /* the extensions field is there (maybe empty) */
	size_t n;
	struct x509_ext v[X509_MAX_EXTS];
};

/* The first extension with id, or NULL. */
const struct x509_ext *
x509_exts_find(const struct x509_exts *exts, enum x509_ext_id id);

struct x509_cert_view {
	const uint8_t *der;
	size_t len;
	struct x509_span tbs;         /* TLV */
	struct x509_span sig_alg;     /* outer AlgorithmIdentifier, TLV */
	struct x509_span sig;         /* signature BIT STRING contents */
	int version;                  /* 0 (v1), 1 (v2), 2 (v3) */
	int version_default_encoded;  /* [0] INTEGER 0 written out */
	struct x509_span serial;      /* INTEGER contents */
	struct x509_span tbs_sig_alg; /* TLV */
	struct x509_span issuer;      /* Name TLV */
	struct der_elem not_before;
	struct der_elem not_after;
	struct x509_span subject; /* Name TLV */
	struct x509_span spki;    /* TLV */
	int has_issuer_uid;
	int has_subject_uid;
	struct x509_exts exts;
};

/* Structural parse of a Certificate; 0 or -1 with *why. */
int x509_cert_view_parse(const uint8_t *der, size_t len,
    struct x509_cert_view *v, const char **why) SIGNET_WUR;

struct x509_crl_view {
	const uint8_t *der;
	size_t len;
	struct x509_span tbs;
	struct x509_span sig_alg;
	struct x509_span sig;
	int has_version;
	struct x509_span version; /* INTEGER contents */
	struct x509_span tbs_sig_alg;
	struct x509_span issuer;
	struct der_elem this_update;
	int has_next_update;
	struct der_elem next_update;
	int has_revoked;
	struct x509_span revoked; /* contents of revokedCertificates */
	struct x509_exts exts;
};

int x509_crl_view_parse(const uint8_t *der, size_t len, struct x509_crl_view *v,
    const char **why) SIGNET_WUR;

struct x509_crl_entry {
	size_t offset;
	struct x509_span serial; /* INTEGER contents */
	struct der_elem date;
	struct x509_exts exts;
};

/* Next entry from a cursor over revokedCertificates; 0 or -1 with *why. */
int x509_crl_entry_next(const struct x509_crl_view *v, struct der_cur *c,
    struct x509_crl_entry *e, const char **why) SIGNET_WUR;

/* Tell a DER certificate from a CRL: 1 cert, 2 CRL, 0 neither. */
int x509_der_kind(const uint8_t *der, size_t len);

/* ---- algorithms and keys ----------------------------------------------- */

/* The AlgorithmIdentifier for alg, as BR 7.1.3.2 spells it out. */
void x509_put_sig_alg(struct der_buf *b, enum signet_sig_alg alg);
/* Which of our algorithms an encoded AlgorithmIdentifier is (or NONE). */
enum signet_sig_alg x509_sig_alg_from_der(const uint8_t *der, size_t len);

/* subjectPublicKey BIT STRING value of an SPKI (without unused octet). */
/*
 * A delegated OCSP responder certificate's public key (a new reference)
 * and the SHA-1 of its key bits; the last certificate asked for is
 * remembered (ocsp.c). 0 or -1.
 */
int x509_ocsp_responder_key(const uint8_t *der, size_t len, EVP_PKEY **pub,
    uint8_t key_hash[20]) SIGNET_WUR;
int x509_spki_key_bits(const uint8_t *spki, size_t len, struct x509_span *out)
    SIGNET_WUR;
/* RFC 7093 2 method 1: leftmost 160 bits of SHA-256 of the key bits. */
int x509_key_id(const uint8_t *spki, size_t len, uint8_t out[20]) SIGNET_WUR;
/* DER SubjectPublicKeyInfo of a key (freshly allocated). */
int x509_pubkey_der(EVP_PKEY *pub, uint8_t **der, size_t *len) SIGNET_WUR;

/* DER of a Name (an empty Name for NULL), freshly allocated. */
int x509_name_der(const X509_NAME *name, uint8_t **der, size_t *len) SIGNET_WUR;

/* Compare two serial contents numerically (positive, minimal). */
int x509_serial_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen);

/* ---- issuers and to-be-signed objects ---------------------------------- */

struct signet_issuer {
	X509 *cert;        /* NULL: self-signed */
	uint8_t *cert_der; /* the CA certificate as encoded */
	size_t cert_len;
	struct x509_span subject;  /* into cert_der */
	struct x509_span key_bits; /* subjectPublicKey bits, into cert_der */
	uint8_t key_id[64];
	size_t key_id_len;
	time_t not_after;
	int has_ku;  /* the CA certificate has keyUsage ... */
	unsigned ku; /* ... with these bits (enum signet_ku) */
	EVP_PKEY *pub;
	EVP_PKEY *throwaway;
	struct signet_signer *throwaway_signer;
	uint8_t *lint_sig; /* the throwaway key's, for every lint object */
	size_t lint_sig_len;
};

enum x509_tbs_kind {
	X509_TBS_CERT,
	X509_TBS_CRL,
	X509_TBS_CSR,
	X509_TBS_OCSP,
};

struct signet_tbs {
	enum x509_tbs_kind kind;
	struct signet_issuer *issuer; /* borrowed; NULL for CSRs */
	const struct signet_profile *profile;
	enum signet_sig_alg alg;
	/* TBS at [tbs_off, tbs_off + tbs_len) of buf; the lint object around. */
	struct der_buf buf;
	size_t tbs_off;
	size_t tbs_len;
	size_t headroom;
	uint8_t tbs_hash[32];  /* SHA-256 of the TBS as linted */
	EVP_PKEY *subject_pub; /* certificates: the key in the SPKI */
	X509_REQ *lint_req;    /* CSRs: the lint CSR parsed */
	int lint_state;        /* 0 not linted, 1 passed, -1 failed */
	int spent;             /* signed (or failed to sign) once */
	struct signet_serial serial;
	struct signet_validity validity;
	size_t crl_entries;
	struct signet_lint_ocsp_expect ocsp_expect; /* serial: tbs->serial */
	/* OCSP by a delegated responder: certs [0] and the key that signs. */
	uint8_t *ocsp_certs; /* the responder certificate, DER */
	size_t ocsp_certs_len;
	EVP_PKEY *signer_pub;
	X509 *cert;          /* after signing, parsed on demand */
	uint8_t *signed_der; /* certificates: the signed DER */
	size_t signed_len;
};

/*
 * Make the lint object around the TBS just encoded in buf: with the
 * issuer's throwaway signature, or (CSRs) one made by signer.
 */
int x509_tbs_make_lint(struct signet_tbs *tbs, struct signet_signer *signer)
    SIGNET_WUR;
/* Assemble SEQUENCE { tbs, alg, BIT STRING sig } around the TBS in buf. */
void
x509_tbs_assemble(struct signet_tbs *tbs, const uint8_t *sig, size_t siglen);
struct signet_tbs *x509_tbs_new(enum x509_tbs_kind kind);

/* ---- extension values (ext.c) ----------------------------------------- */

/* Names: encode GeneralName for a SAN / name-constraint entry. */
void x509_put_general_name(struct der_buf *b, int type, const char *value,
    const uint8_t *ip, size_t ip_len);
/* 1 if s[0..n) is non-empty-safe IA5 (7-bit, no NUL). */
int x509_ia5_ok(const char *s, size_t n);

/* anyExtendedKeyUsage, beside the enum signet_eku bits. */
#define X509_EKU_ANY (1u << 30)
/* The enum signet_eku bit (or X509_EKU_ANY) of an EKU OID; 0 if unknown. */
unsigned x509_eku_bit(const uint8_t *oid, size_t len);

struct x509_ext_input {
	const struct signet_profile *profile;
	const struct signet_request *req;
	const uint8_t *ski; /* NULL: no subjectKeyIdentifier */
	size_t ski_len;
	const uint8_t *aki; /* NULL: no authorityKeyIdentifier */
	size_t aki_len;
	int subject_empty;
};

/* The extensions of a certificate, in signet's fixed order. */
int x509_put_cert_extensions(struct der_buf *b, const struct x509_ext_input *in)
    SIGNET_WUR;

struct x509_bc {
	int ca;
	int ca_false_encoded; /* cA FALSE written out (DEFAULT) */
	long path_len;        /* -1: none */
};

struct x509_aki {
	int has_key_id;
	struct x509_span key_id;
	int has_issuer;
	int has_serial;
};

/* Decoders for extension values; 0 or -1 if malformed. */
int x509_bc_decode(const uint8_t *v, size_t n, struct x509_bc *out) SIGNET_WUR;
/*
 * The contents of a BIT STRING holding a named bit list (after its tag and
 * length; also for an IMPLICIT one): bit i of *bits is named bit i (the
 * first 32), *trailing_zero set when the list does not end with a 1 bit.
 * -1 when the contents are not a BIT STRING's (unused bits over 7, or
 * unused bits in an empty string).
 */
int x509_named_bits_decode(const uint8_t *body, size_t len, unsigned *bits,
    int *trailing_zero) SIGNET_WUR;
int x509_ku_decode(const uint8_t *v, size_t n, unsigned *bits,
    int *trailing_zero) SIGNET_WUR;
int x509_octets_decode(const uint8_t *v, size_t n, struct x509_span *out)
    SIGNET_WUR;
/* The EKU bits (and X509_EKU_ANY) of an extKeyUsage value; unknown OIDs
 * add none. */
int x509_eku_decode(const uint8_t *v, size_t n, unsigned *bits) SIGNET_WUR;
int
x509_aki_decode(const uint8_t *v, size_t n, struct x509_aki *out) SIGNET_WUR;

#endif /* SIGNET_X509_INT_H */
