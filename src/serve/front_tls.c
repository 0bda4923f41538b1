/*
 * The HTTPS side of the front end: libmicrohttpd over GnuTLS, TLS 1.2 and
 * 1.3 only. The certificate and key come from the signer (a TLS message)
 * at start and after SIGHUP; handshakes pick the newest through GnuTLS's
 * retrieve callback, so a new certificate needs no restart. Older ones
 * are kept until the process ends: a handshake may still hold them, and
 * reloads are rare.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "serve/front.h"

#define TLS_CHAIN_MAX 16

struct front_tls {
	gnutls_pcert_st pcerts[TLS_CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
	struct front_tls *older;
};

static struct front_tls *current; /* under front.lock */

static int
retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	int r = -1;

	/*
	 * Ask for a client certificate without requiring one: EST
	 * re-enrollment (front_est.c) authenticates with it, everything else
	 * ignores it. GnuTLS verifies nothing here; the signer decides.
	 */
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
	pthread_mutex_lock(&front.lock);
	if (current != NULL) {
		*pcert = current->pcerts;
		*pcert_length = current->n;
		*pkey = current->key;
		r = 0;
	}
	pthread_mutex_unlock(&front.lock);
	return r;
}

static void
tls_free(struct front_tls *t)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		gnutls_pcert_deinit(&t->pcerts[i]);
	if (t->key != NULL)
		gnutls_privkey_deinit(t->key);
	free(t);
}

int
front_tls_install(const uint8_t *cert, size_t cert_len, const uint8_t *key,
    size_t key_len)
{
	struct front_tls *t;
	gnutls_datum_t d;
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->n = TLS_CHAIN_MAX;
	d.data = (unsigned char *)(uintptr_t)cert;
	d.size = (unsigned)cert_len;
	if ((r = gnutls_pcert_list_import_x509_raw(t->pcerts, &t->n, &d,
		 GNUTLS_X509_FMT_PEM, 0)) < 0) {
		front_log("the HTTPS certificate does not parse: %s",
		    gnutls_strerror(r));
		t->n = 0;
		tls_free(t);
		return -1;
	}
	d.data = (unsigned char *)(uintptr_t)key;
	d.size = (unsigned)key_len;
	if ((r = gnutls_privkey_init(&t->key)) < 0 ||
	    (r = gnutls_privkey_import_x509_raw(t->key, &d, GNUTLS_X509_FMT_PEM,
		 NULL, 0)) < 0) {
		front_log("the HTTPS key does not parse: %s",
		    gnutls_strerror(r));
		tls_free(t);
		return -1;
	}
	pthread_mutex_lock(&front.lock);
	t->older = current;
	current = t;
	pthread_mutex_unlock(&front.lock);
	front_log("HTTPS certificate installed (%u in the chain)", t->n);
	return 0;
}

void
front_tls_free_all(void)
{
	struct front_tls *t, *next;

	pthread_mutex_lock(&front.lock);
	t = current;
	current = NULL;
	pthread_mutex_unlock(&front.lock);
	for (; t != NULL; t = next) {
		next = t->older;
		tls_free(t);
	}
}

gnutls_certificate_retrieve_function2 *
front_tls_retrieve(void)
{
	return retrieve;
}
