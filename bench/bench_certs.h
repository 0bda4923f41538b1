/*
 * What the store benchmarks share: a realistic certificate template whose
 * serial is patched per row, fast random serials, and batch issuance as
 * signet does it (reserve N in one transaction, issue N in another).
 */
#ifndef SIGNET_BENCH_CERTS_H
#define SIGNET_BENCH_CERTS_H

#include <stddef.h>
#include <stdint.h>

#include "signet/store.h"

#define SERIAL_LEN 16

/* 2026-01-01T00:00:00Z; certificates live 90 days. */
#define T0 INT64_C(1767225600)
#define LIFETIME (90 * INT64_C(86400))

struct bench_template {
	uint8_t *der; /* template certificate */
	size_t der_len;
	size_t serial_off; /* where its serial's content octets are */
	uint8_t spki_sha256[32];
	char issuer[65];
};

extern struct bench_template tpl;
extern uint64_t rng_state;

uint64_t rng_next(void);
/* Print the store's last error and exit. */
void die(const char *what) __attribute__((noreturn));
double now_us(void);
double cpu_us(void); /* this process's CPU time */
void template_make(void);
void serial_next(uint8_t out[SERIAL_LEN], char hex[2 * SERIAL_LEN + 1]);
void reserve(struct signet_store *st, const char *hex);
void issue(struct signet_store *st, const uint8_t *der, const char *hex);
/*
 * n certificates, per_txn reservations per transaction then per_txn
 * issues per transaction (1: each call its own); keep gets each serial.
 */
void insert_rows(struct signet_store *st, size_t n, size_t per_txn,
    void (*keep)(const char *hex));

#endif /* SIGNET_BENCH_CERTS_H */
