/*
 * The DNS answer walk of dns-01 (front_acme_dns_answer.c): no I/O, so
 * that it can be fuzzed (tests/fuzz/fuzz_acme_dns.c). Names are expanded
 * by c-ares (ares_expand_name, which bounds compression pointers).
 */
#ifndef SIGNET_SERVE_FRONT_ACME_DNS_H
#define SIGNET_SERVE_FRONT_ACME_DNS_H

#include <stddef.h>
#include <stdint.h>

#define ACME_DNS_MAX_ANSWER 4096
#define ACME_DNS_MAX_CNAMES 8
#define ACME_DNS_NAME_MAX 253

/*
 * In the DNS message msg (len bytes, at most ACME_DNS_MAX_ANSWER), follow
 * the answer section's CNAMEs from name (ACME_DNS_NAME_MAX + 2 bytes,
 * moved along the chain; *hops counts them, ACME_DNS_MAX_CNAMES at the
 * most in all), then look among the TXT records of the name reached for
 * one whose strings, joined, are expected; *n_txt counts the TXT records
 * seen. 1 found, 0 not, -1 with why (a malformed message, too many
 * CNAMEs).
 */
int
acme_dns_txt_match(const uint8_t *msg, size_t len, char *name, unsigned *hops,
    const char *expected, unsigned *n_txt, char *why, size_t cap);

#endif /* SIGNET_SERVE_FRONT_ACME_DNS_H */
