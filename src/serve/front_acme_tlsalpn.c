/*
 * The tls-alpn-01 validator (RFC 8737; RFC 8738 6 for addresses) on
 * OpenSSL: a TLS 1.2+ handshake to the identifier's address on
 * serve.acme.tls-alpn-01-port, offering only the ALPN protocol
 * "acme-tls/1", with the name as SNI (for an address, its reverse
 * name: 1.2.0.192.in-addr.arpa). The address goes through the same
 * guard as http-01's just before connect(). The server must select
 * acme-tls/1 and present a certificate whose subjectAltName holds
 * exactly the identifier, and whose one critical id-pe-acmeIdentifier
 * extension holds SHA-256(key authorization). The certificate is not
 * verified otherwise (it is self-signed by design). The whole check has
 * TLSALPN_TIMEOUT_MS; the certificate list is capped at
 * TLSALPN_MAX_CERTS bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "serve/front_acme.h"

#define TLSALPN_TIMEOUT_MS 10000
#define TLSALPN_MAX_CERTS ((long)16 * 1024)
#define ACME_TLS_1 "acme-tls/1"

static SSL_CTX *tls;
static ASN1_OBJECT *acme_identifier; /* 1.3.6.1.5.5.7.1.31 */
static unsigned tls_port = 443;

int
front_acme_tlsalpn_init(unsigned port)
{
	static const unsigned char alpn[] = "\x0a" ACME_TLS_1;

	if (port != 0)
		tls_port = port;
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1 ||
	    (tls = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION) != 1 ||
	    /* 0 is success here */
	    SSL_CTX_set_alpn_protos(tls, alpn, sizeof(alpn) - 1) != 0 ||
	    (acme_identifier = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1)) == NULL) {
		front_log("cannot prepare the tls-alpn-01 validator");
		return -1;
	}
	SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_max_cert_list(tls, TLSALPN_MAX_CERTS);
	SSL_CTX_set_session_cache_mode(tls, SSL_SESS_CACHE_OFF);
	return 0;
}

/* Wait for fd to be ready for events until deadline: 1, or 0 on time. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
	int64_t left = deadline - serve_now_ms();

	return left > 0 && poll(&p, 1, (int)left) == 1;
}

/* The reverse name of an address (RFC 8738 6), the SNI for it. */
static void
reverse_name(const uint8_t *a, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	out[0] = '\0';
	if (len == 4) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
		    a[0]);
		return;
	}
	for (i = len; i-- > 0 && n + 4 < cap;) {
		out[n++] = hex[a[i] & 0xf];
		out[n++] = '.';
		out[n++] = hex[a[i] >> 4];
		out[n++] = '.';
	}
	snprintf(out + n, cap - n, "ip6.arpa");
}

/* The certificate names exactly the identifier (RFC 8737 3). */
static int
check_san(X509 *cert, const char *host, const uint8_t *ip, size_t ip_len,
    char *why, size_t cap)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	const ASN1_STRING *s;
	int crit = -1, ok = 0;

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (gens != NULL && sk_GENERAL_NAME_num(gens) == 1) {
		g = sk_GENERAL_NAME_value(gens, 0);
		if (ip_len > 0 && g->type == GEN_IPADD) {
			s = g->d.iPAddress;
			ok = (size_t)ASN1_STRING_length(s) == ip_len &&
			     memcmp(ASN1_STRING_get0_data(s), ip, ip_len) == 0;
		} else if (ip_len == 0 && g->type == GEN_DNS) {
			s = g->d.dNSName;
			ok = (size_t)ASN1_STRING_length(s) == strlen(host) &&
			     strncasecmp((const char *)ASN1_STRING_get0_data(s),
				 host, strlen(host)) == 0;
		}
	}
	GENERAL_NAMES_free(gens);
	if (!ok)
		snprintf(why, cap,
		    "the certificate's subjectAltName is not exactly %s "
		    "(one %s entry)",
		    host, ip_len > 0 ? "iPAddress" : "dNSName");
	return ok ? 0 : -1;
}

/* One critical acmeIdentifier: OCTET STRING of SHA-256(ka). */
static int
check_acme_identifier(X509 *cert, const uint8_t digest[32], char *why,
    size_t cap)
{
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *v;
	uint8_t want[34] = { 0x04, 0x20 };
	int i = X509_get_ext_by_OBJ(cert, acme_identifier, -1);

	if (i < 0 || X509_get_ext_by_OBJ(cert, acme_identifier, i) >= 0) {
		snprintf(why, cap,
		    "the certificate must have one acmeIdentifier extension "
		    "(1.3.6.1.5.5.7.1.31)");
		return -1;
	}
	ext = X509_get_ext(cert, i);
	if (X509_EXTENSION_get_critical(ext) != 1) {
		snprintf(why, cap,
		    "the certificate's acmeIdentifier extension is not "
		    "critical");
		return -1;
	}
	memcpy(want + 2, digest, 32);
	v = X509_EXTENSION_get_data(ext);
	if (ASN1_STRING_length(v) != (int)sizeof(want) ||
	    memcmp(ASN1_STRING_get0_data(v), want, sizeof(want)) != 0) {
		snprintf(why, cap,
		    "the certificate's acmeIdentifier is not the SHA-256 of "
		    "the key authorization");
		return -1;
	}
	return 0;
}

/* A TCP connection to addr:port through the address guard, or -1. */
static int
open_conn(const char *addr, const char *host, int64_t deadline, char *why,
    size_t cap)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)&ss;
	socklen_t len;
	int fd, err = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)tls_port);
		len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)tls_port);
		len = sizeof(*v6);
	} else {
		snprintf(why, cap, "%s is not an address", addr);
		return -1;
	}
	if (!front_acme_address_ok((const struct sockaddr *)&ss)) {
		snprintf(why, cap,
		    "the address of %s is not one validation may connect to",
		    host);
		return -1;
	}
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, cap, "cannot make a socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (!wait_fd(fd, POLLOUT, deadline))
			err = ETIMEDOUT;
		else {
			len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) !=
			    0)
				err = errno;
		}
	}
	if (err != 0) {
		snprintf(why, cap, "cannot connect to %s port %u: %s", addr,
		    tls_port, strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* The handshake, within the deadline: 0, or -1 with why. */
static int
handshake(SSL *ssl, int fd, int64_t deadline, char *why, size_t cap)
{
	unsigned long e;
	int r, w;

	for (;;) {
		ERR_clear_error();
		if ((r = SSL_connect(ssl)) == 1)
			return 0;
		w = SSL_get_error(ssl, r);
		if ((w == SSL_ERROR_WANT_READ &&
			wait_fd(fd, POLLIN, deadline)) ||
		    (w == SSL_ERROR_WANT_WRITE &&
			wait_fd(fd, POLLOUT, deadline)))
			continue;
		break;
	}
	e = ERR_peek_error();
	snprintf(why, cap, "the TLS handshake failed: %s",
	    w == SSL_ERROR_WANT_READ || w == SSL_ERROR_WANT_WRITE ? "timed out"
	    : e != 0 && ERR_reason_error_string(e) != NULL
		? ERR_reason_error_string(e)
		: "the connection was closed");
	ERR_clear_error();
	return -1;
}

int
front_acme_tlsalpn01(const char *identifier, const char *token,
    const char *thumbprint, char *why, size_t why_cap)
{
	const char *host = identifier;
	char addr[INET6_ADDRSTRLEN], sni[80], ka[200], msg[300];
	uint8_t ip[16], digest[32];
	size_t ip_len = 0;
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	int64_t deadline = serve_now_ms() + TLSALPN_TIMEOUT_MS;
	SSL *ssl = NULL;
	X509 *cert = NULL;
	int fd = -1, ret = -1;

	if (strncmp(host, "ip:", 3) == 0) {
		host += 3;
		if (inet_pton(AF_INET, host, ip) == 1)
			ip_len = 4;
		else if (inet_pton(AF_INET6, host, ip) == 1)
			ip_len = 16;
		else {
			snprintf(why, why_cap, "%s is not an address", host);
			return -1;
		}
		reverse_name(ip, ip_len, sni, sizeof(sni));
		snprintf(addr, sizeof(addr), "%s", host);
	} else {
		if (strncmp(host, "dns:", 4) == 0)
			host += 4;
		if (front_acme_host_address(host, addr, msg, sizeof(msg)) !=
		    0) {
			snprintf(why, why_cap, "%s", msg);
			return -1;
		}
		snprintf(sni, sizeof(sni), "%s", host);
	}
	snprintf(ka, sizeof(ka), "%s.%s", token, thumbprint);
	if (EVP_Digest(ka, strlen(ka), digest, NULL, EVP_sha256(), NULL) != 1) {
		snprintf(why, why_cap, "cannot hash the key authorization");
		return -1;
	}
	if ((fd = open_conn(addr, host, deadline, msg, sizeof(msg))) < 0) {
		snprintf(why, why_cap, "%s", msg);
		return -1;
	}
	if ((ssl = SSL_new(tls)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, sni) != 1) {
		snprintf(why, why_cap, "cannot start TLS");
		goto out;
	}
	if (handshake(ssl, fd, deadline, msg, sizeof(msg)) != 0) {
		snprintf(why, why_cap, "%s port %u: %s", host, tls_port, msg);
		goto out;
	}
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	if (alpn_len != strlen(ACME_TLS_1) ||
	    memcmp(alpn, ACME_TLS_1, alpn_len) != 0) {
		snprintf(why, why_cap,
		    "%s port %u did not select the ALPN protocol acme-tls/1",
		    host, tls_port);
		goto out;
	}
	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL) {
		snprintf(why, why_cap, "%s port %u sent no certificate", host,
		    tls_port);
		goto out;
	}
	if (check_san(cert, host, ip, ip_len, msg, sizeof(msg)) != 0 ||
	    check_acme_identifier(cert, digest, msg, sizeof(msg)) != 0) {
		snprintf(why, why_cap, "%s port %u: %s", host, tls_port, msg);
		goto out;
	}
	ret = 0;
out:
	X509_free(cert);
	SSL_free(ssl);
	close(fd);
	return ret;
}
