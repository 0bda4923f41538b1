/*
 * ACME in the front end (front_acme.c: requests; front_acme_http01.c:
 * the http-01 validator and the address guard). docs/acme.md.
 */
#ifndef SIGNET_SERVE_FRONT_ACME_H
#define SIGNET_SERVE_FRONT_ACME_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "serve/front.h"

struct front_acme_opts {
	const char *profiles;     /* exposed profiles, comma/space list */
	unsigned http_port;       /* where http-01 answers are fetched */
	unsigned tls_alpn_port;   /* where tls-alpn-01 connects */
	const char *allow;        /* address ranges validation may reach */
	const char *resolve;      /* NAME=ADDRESS pairs */
	const char *dns_servers;  /* what c-ares asks, "ADDR[:PORT],..." */
	const char *eab_required; /* profiles whose accounts need EAB */
};

/* Before the sandbox: libcurl's global state, the lists. 0 or -1. */
int front_acme_init(const struct front_acme_opts *o);
/* The /acme/ route's handler. */
int front_acme_route(struct front_ctx *x);
int front_acme_profile_exposed(const char *profile);
/* 1 if word is in the comma/space separated list. */
int front_acme_listed(const char *list, const char *word);
/* 1 if newAccount in profile's directory needs external account binding. */
int front_acme_eab_required(const char *profile);
/* The HTTP status of an RFC 8555 error type (400 for unknown ones). */
unsigned front_acme_problem_status(const char *type);
/*
 * http-01 (RFC 8555 8.3): fetch http://<identifier>:<port>/.well-known/
 * acme-challenge/<token> and compare the body with token.thumbprint.
 * 0 when it matches; -1 with why (for the client) otherwise.
 */
int front_acme_http01(const char *identifier, const char *token,
    const char *thumbprint, char *why, size_t why_cap);
/*
 * dns-01 (RFC 8555 8.4): a TXT record of _acme-challenge.<name> (the
 * base domain's for "dns:*.<name>") must hold base64url(SHA-256(
 * token.thumbprint)). front_acme_dns01.c.
 */
int front_acme_dns01(const char *identifier, const char *token,
    const char *thumbprint, char *why, size_t why_cap);
/*
 * tls-alpn-01 (RFC 8737, RFC 8738 6): a TLS handshake with ALPN
 * acme-tls/1 to the name's address on serve.acme.tls-alpn-01-port; the
 * certificate must name exactly the identifier and carry the critical
 * acmeIdentifier extension with SHA-256(token.thumbprint).
 * front_acme_tlsalpn.c.
 */
int front_acme_tlsalpn01(const char *identifier, const char *token,
    const char *thumbprint, char *why, size_t why_cap);
/* The validator of a challenge type; -1 with why for unknown types. */
int front_acme_validate(const char *type, const char *identifier,
    const char *token, const char *thumbprint, char *why, size_t why_cap);
/*
 * Where the validator connects for host: itself when it is an address,
 * else serve.acme.resolve, else serve.acme.dns-servers. 0, or -1 with why.
 */
int front_acme_host_address(const char *host, char out[INET6_ADDRSTRLEN],
    char *why, size_t cap);
/* front_acme_dns01.c: the c-ares channel (before the sandbox), A/AAAA. */
int front_acme_dns_init(const char *servers);
int front_acme_dns_address(const char *name, char out[INET6_ADDRSTRLEN],
    char *why, size_t cap);
/* front_acme_tlsalpn.c: the TLS client context, before the sandbox. */
int front_acme_tlsalpn_init(unsigned port);
/*
 * The address guard: 1 if validation may connect to sa. Addresses in
 * the configured ranges may; otherwise anything but loopback,
 * link-local, private and the other special-purpose ranges (RFC 6890).
 */
int front_acme_address_ok(const struct sockaddr *sa);

#endif /* SIGNET_SERVE_FRONT_ACME_H */
