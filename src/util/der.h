/*
 * A small DER toolkit, used by src/x509 and the policy engine: a writer that
 * encodes certificates, CRLs and CSRs into a growing buffer (so a CRL with a
 * million entries is one flat allocation, not a million OpenSSL objects), a
 * reader that walks encodings without allocating, and a strictness checker
 * (X.690 DER rules) the linter and the CSR decoder run on raw bytes.
 */
#ifndef SIGNET_UTIL_DER_H
#define SIGNET_UTIL_DER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signet/error.h"

/* Identifier octets (X.690 8.1.2) signet writes and looks for. */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_UTF8_STRING 0x0c
#define DER_PRINTABLE_STRING 0x13
#define DER_T61_STRING 0x14
#define DER_IA5_STRING 0x16
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_VISIBLE_STRING 0x1a
#define DER_UNIVERSAL_STRING 0x1c
#define DER_BMP_STRING 0x1e
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CONTEXT(n) (0x80 | (n))      /* [n] IMPLICIT, primitive */
#define DER_CONTEXT_CONS(n) (0xa0 | (n)) /* [n], constructed */

/* Nothing signet reads or writes comes near this; it bounds arithmetic. */
#define DER_MAX_SIZE ((size_t)1 << 31)

/* ---- writing ----------------------------------------------------------- */

/*
 * Data lives in p[head, len). headroom bytes are kept free before it so an
 * outer header can be put in front without moving the contents. Errors
 * (out of memory, oversize) are sticky: check der_buf_status once at the end.
 */
struct der_buf {
	uint8_t *p;
	size_t head;
	size_t len;
	size_t cap;
	int failed;
};

void der_buf_init(struct der_buf *b, size_t headroom);
void der_buf_free(struct der_buf *b);
/* 0, or SIGNET_ERR_INTERNAL with a message if any write failed. */
int der_buf_status(const struct der_buf *b) SIGNET_WUR;
const uint8_t *der_buf_data(const struct der_buf *b, size_t *len);

void der_put_raw(struct der_buf *b, const void *data, size_t n);
void der_put_tlv(struct der_buf *b, uint8_t tag, const void *body, size_t n);
/* Open a constructed element; der_end fills in its length. */
size_t der_begin(struct der_buf *b, uint8_t tag);
void der_end(struct der_buf *b, size_t mark);
/* Put a header in the headroom before the data: wraps everything. */
void der_wrap(struct der_buf *b, uint8_t tag);

void der_put_bool_true(struct der_buf *b);
void der_put_null(struct der_buf *b);
/* A non-negative INTEGER (or ENUMERATED with tag) in minimal form. */
void der_put_uint(struct der_buf *b, uint8_t tag, uint64_t v);
/* An INTEGER from big-endian magnitude bytes (leading zeros dropped). */
void der_put_uint_bytes(struct der_buf *b, const uint8_t *mag, size_t n);
/* An OBJECT IDENTIFIER from its content octets. */
void der_put_oid(struct der_buf *b, const uint8_t *oid, size_t n);
/* UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
void der_put_time(struct der_buf *b, time_t t);
void der_put_generalized_time(struct der_buf *b, time_t t);
/* A BIT STRING of whole octets (unused-bits octet 0). */
void der_put_bits(struct der_buf *b, const uint8_t *data, size_t n);
/* A named-bit BIT STRING (bit n = 1 << n) without trailing zero bits. */
void der_put_named_bits(struct der_buf *b, uint8_t tag, unsigned bits);

/*
 * Content octets of the OID in dotted form (at most 64 bytes); 0 or
 * SIGNET_ERR_CONFIG naming the text if it is not a valid OID.
 */
int
der_oid_from_text(const char *text, uint8_t out[64], size_t *len) SIGNET_WUR;
/* Dotted text of OID content octets into out; "(bad OID)" if malformed. */
void der_oid_to_text(const uint8_t *oid, size_t n, char *out, size_t outlen);

/* Length of a header for body length n (1 + length octets). */
size_t der_header_len(size_t n);

/* ---- reading ----------------------------------------------------------- */

struct der_elem {
	uint8_t id;       /* the first identifier octet */
	uint8_t cls;      /* 0 universal, 1 application, 2 context, 3 private */
	uint8_t cons;     /* constructed */
	uint8_t long_len; /* length not in minimal form */
	uint8_t long_tag; /* tag number in high-tag form */
	uint32_t tag;     /* tag number */
	const uint8_t *tlv; /* the whole element */
	size_t tlv_len;
	const uint8_t *body;
	size_t len;
};

struct der_cur {
	const uint8_t *p;
	const uint8_t *end;
};

void der_cur_init(struct der_cur *c, const uint8_t *p, size_t n);
int der_cur_done(const struct der_cur *c);

/*
 * Read the next element. Definite lengths only, within bounds; length and
 * tag octets that are valid BER but not minimal are accepted and flagged
 * (long_len, long_tag) so callers still see the structure and the
 * strictness checker reports them. Returns 0, or -1 with *why set.
 */
int
der_next(struct der_cur *c, struct der_elem *e, const char **why) SIGNET_WUR;
/* Same, but the element must carry identifier octet id. */
int der_expect(struct der_cur *c, uint8_t id, struct der_elem *e,
    const char **why) SIGNET_WUR;
/* If the next element has identifier id, read it and return 1; else 0. */
int der_optional(struct der_cur *c, uint8_t id, struct der_elem *e);

/* 1 if the two OID bodies are equal. */
int der_oid_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* ---- strictness -------------------------------------------------------- */

enum der_issue {
	DER_ISSUE_STRUCTURE, /* truncated, indefinite, trailing data, depth */
	DER_ISSUE_LENGTH,    /* length or tag not in minimal form */
	DER_ISSUE_INTEGER,   /* INTEGER/ENUMERATED not minimal or empty */
	DER_ISSUE_BOOLEAN,   /* BOOLEAN not 0x00/0xFF */
	DER_ISSUE_BITSTRING, /* unused-bits octet or padding bits */
	DER_ISSUE_SET_ORDER, /* SET OF elements not in ascending order */
	DER_ISSUE_STRING,    /* constructed string, bad characters */
	DER_ISSUE_OID,       /* OID subidentifier not minimal */
	DER_ISSUE_TIME,      /* time not in DER form */
	DER_ISSUE_COUNT
};

struct der_issues {
	unsigned count[DER_ISSUE_COUNT];
	char first[DER_ISSUE_COUNT][160];
};

/*
 * Walk n bytes that must hold exactly one element and check every element
 * below it against the DER rules of X.690 clause 10 and 11. Issues are
 * added to out (which the caller zeroes once). base is the offset of p in
 * the object, for messages.
 */
void der_check(const uint8_t *p, size_t n, size_t base, struct der_issues *out);
/*
 * der_check as a gate for untrusted input: 0 if p holds exactly one
 * element that breaks no DER rule, else SIGNET_ERR_USAGE with the first
 * issue (the most fundamental kind first) as the message.
 */
int der_check_strict(const uint8_t *p, size_t n) SIGNET_WUR;
/* Record an issue found by a caller that knows the structure. */
void der_issue_add(struct der_issues *out, enum der_issue kind, const char *fmt,
    ...) SIGNET_PRINTF(3, 4);

/* ---- time -------------------------------------------------------------- */

/*
 * Parse a UTCTime or GeneralizedTime body in the DER form RFC 5280 4.1.2.5
 * requires (YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ). Returns 0 and sets *t and
 * *year, or -1 with *why saying what is wrong.
 */
int der_time_parse(uint8_t id, const uint8_t *body, size_t len, time_t *t,
    int *year, const char **why) SIGNET_WUR;

#endif /* SIGNET_UTIL_DER_H */
