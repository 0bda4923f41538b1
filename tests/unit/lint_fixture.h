/*
 * Raw certificate and CRL surgery for lint tests: split a good object into
 * its encoded parts, change some, and put it back together (the signature
 * is left as it was: lints never look at it). Parts are raw DER, so a test
 * can put in exactly the bad encoding it wants to see caught.
 */
#ifndef SIGNET_TEST_LINT_FIXTURE_H
#define SIGNET_TEST_LINT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "x509/x509_int.h"

#define TP_MAX 4096
#define TP_MAX_EXT 24
#define TP_MAX_ENTRIES 16

struct tp {
	uint8_t b[TP_MAX];
	size_t n;
};

struct tp_cert {
	struct tp version, serial, alg, issuer, validity, subject, spki, uids;
	struct tp ext[TP_MAX_EXT];
	size_t n_ext;
	int exts_present;
	struct tp outer_alg, sig, trailing;
};

struct tp_crl {
	struct tp version, alg, issuer, this_update, next_update;
	int revoked_present;
	struct tp entry[TP_MAX_ENTRIES];
	size_t n_entries;
	struct tp ext[TP_MAX_EXT];
	size_t n_ext;
	int exts_present;
	struct tp outer_alg, sig;
};

/* Set a part from hex ("" empties it). */
void tp_hex(struct tp *p, const char *hex);
/* Set a part from a writer's contents. */
void tp_from_buf(struct tp *p, const struct der_buf *b);
/* Encode a time element with the given tag and text ("260101000000Z"). */
void tp_time(struct tp *p, uint8_t tag, const char *text);
/* validity = SEQUENCE { nb, na } from two time parts. */
void tp_validity(struct tp_cert *c, const struct tp *nb, const struct tp *na);
/* validity from time_t values (encoded by the RFC 5280 rule). */
void tp_validity_times(struct tp_cert *c, time_t nb, time_t na);

void tp_cert_split(const uint8_t *der, size_t len, struct tp_cert *c);
uint8_t *tp_cert_join(const struct tp_cert *c, size_t *len);

/*
 * Set extension id (replacing the first with that OID, else appending):
 * critical 0/1, or 2 to write critical FALSE out; value as hex.
 */
void tp_ext_set(struct tp *ext, size_t *n, enum x509_ext_id id,
    const char *oid_hex, int critical, const char *value_hex);
void tp_ext_del(struct tp *ext, size_t *n, enum x509_ext_id id);
/* Re-encode extension id with another criticality, keeping its value. */
void tp_ext_crit(struct tp *ext, size_t n, enum x509_ext_id id, int critical);
/* subjectAltName from "dns:", "ip:", "uri:", "email:" names. */
void
tp_ext_san(struct tp *ext, size_t *n, int critical, const char *const *names);
/* A Name with one RDN per attribute: "CN=x", "O=y" (UTF8String). */
void tp_name(struct tp *p, const char *const *attrs);

void tp_crl_split(const uint8_t *der, size_t len, struct tp_crl *c);
uint8_t *tp_crl_join(const struct tp_crl *c, size_t *len);
/* A CRL entry: serial hex (INTEGER contents), time, extensions raw hex. */
void tp_crl_entry(struct tp *e, const char *serial_hex, time_t when,
    const char *exts_hex);

/* Hex of a reasonCode extension (critical 0/1). */
const char *tp_reason_ext(int reason, int critical);

#endif /* SIGNET_TEST_LINT_FIXTURE_H */
