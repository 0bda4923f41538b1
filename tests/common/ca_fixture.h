/*
 * The online CA's fixture for C tests: the two-level PKI of
 * tests/cli/ca_fixture.sh (a root with a software key, an intermediate
 * whose key was generated on a SoftHSM token, an audit key on the same
 * token) and a `signet init` instance, in the test's temporary directory.
 */
#ifndef SIGNET_TEST_CA_FIXTURE_H
#define SIGNET_TEST_CA_FIXTURE_H

/*
 * Make the PKI in fx_path("fx") (once per process) and a new instance in
 * fx_path(name) with `signet init ... init_args` (NULL: none); points
 * SOFTHSM2_CONF at the token. Returns the instance's signet.yaml (a static
 * buffer, valid until the next call). Aborts the test on failure.
 */
const char *fx_ca_instance(const char *name, const char *init_args);
/* fx_path("fx"): root.pem, ca.pem, audit-key.pub, hsm/ca.pin, ... */
const char *fx_ca_dir(void);
/* Write a P-256 CSR for subject and SAN (openssl req) to path. */
void fx_ca_csr(const char *path, const char *subject, const char *san);

#endif /* SIGNET_TEST_CA_FIXTURE_H */
