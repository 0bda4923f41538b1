/*
 * The signer: the one process of `signet serve` that loads the PKCS#11
 * module, holds the PIN and the token sessions, and writes the database
 * and the audit log. It starts the front end first (fork + exec, before
 * any token code runs in this process), then opens the instance and
 * answers the front end's messages (ipc.c holds the table), keeps the CRL
 * fresh, and restarts a front end that dies or misbehaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "serve/ipc.h"
#include "serve/serve.h"
#include "serve/signer_int.h"
#include "signet/ca.h"
#include "signet/store.h"
#include "util/file.h"
#include "util/secret.h"

int64_t
signer_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
signer_say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "signet serve[%ld]: ", (long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Audit a service event; a failure is reported, never fatal here. */
void
signer_audit(struct signer *s, enum signet_audit_event ev,
    enum signet_audit_outcome outcome, json_t *details)
{
	if (s->ca == NULL) {
		json_decref(details);
		return;
	}
	if (signet_ca_audit(s->ca, ev, outcome, details) != 0)
		signer_say("cannot write the audit log: %s",
		    signet_error_message());
}

void
signer_count_error(struct signer *s, int r)
{
	if (signet_err_category(r) == SIGNET_CAT_TOKEN)
		s->token_errors++;
}

/* ---- the front end's executable and process ------------------------------ */

static int
frontend_locate(struct signer *s)
{
	char self[PATH_MAX], *dir = NULL;
	ssize_t n;

	if (s->cfg->serve_frontend != NULL)
		return (s->frontend = strdup(s->cfg->serve_frontend)) != NULL
			   ? 0
			   : signet_error_set(SIGNET_ERR_INTERNAL,
				 "out of memory");
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return signet_error_sys(SIGNET_ERR_CONFIG,
		    "cannot find the signet executable to find %s beside it",
		    SERVE_FRONTEND_NAME);
	self[n] = '\0';
	if ((dir = file_dirname(self)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	/* Installed: PREFIX/libexec/signet/; a build tree: beside signet. */
	s->frontend = file_path_join(dir, SERVE_FRONTEND_LIBEXEC);
	if (s->frontend != NULL && access(s->frontend, X_OK) != 0) {
		free(s->frontend);
		s->frontend = file_path_join(dir, SERVE_FRONTEND_NAME);
	}
	free(dir);
	if (s->frontend == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if (access(s->frontend, X_OK) != 0)
		return signet_error_sys(SIGNET_ERR_CONFIG,
		    "cannot run the front end %s (serve.frontend names "
		    "another)",
		    s->frontend);
	return 0;
}

/* What the front end's environment may hold: nothing secret (a PIN may
 * sit in an env: pin source). Sanitizer settings and test switches only. */
static size_t
frontend_env(char **envp, size_t cap, char *asan, size_t asan_cap)
{
	static const char *const keep[] = {
		"UBSAN_OPTIONS",
#ifdef SIGNET_TEST_HOOKS
		"SIGNET_TEST_SERVE_HOOKS",
		"SIGNET_TEST_SERVE_ACME_THUMB",
#endif
	};
	const char *v;
	size_t n = 0, i;

	/* LeakSanitizer stops the world with ptrace: not in the sandbox. */
	v = getenv("ASAN_OPTIONS");
	snprintf(asan, asan_cap, "ASAN_OPTIONS=%s%sdetect_leaks=0",
	    v != NULL ? v : "", v != NULL && *v != '\0' ? ":" : "");
	envp[n++] = asan;
	/* Times are UTC; a POSIX TZ string needs no zoneinfo file. */
	envp[n++] = (char *)"TZ=UTC0";
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]) && n + 1 < cap; i++) {
		extern char **environ;
		size_t kl = strlen(keep[i]), j;

		for (j = 0; environ[j] != NULL; j++)
			if (strncmp(environ[j], keep[i], kl) == 0 &&
			    environ[j][kl] == '=')
				envp[n++] = environ[j];
	}
	envp[n] = NULL;
	return n;
}

static int
frontend_spawn(struct signer *s)
{
	const struct signet_ca_config *c = s->cfg;
	char threads[16], maxc[16], perc[16], hdr[16], idle[16], rate[16];
	char acme_port[16], alpn_port[16], asan[512];
	char *argv[56], *envp[8];
	sigset_t none;
	int sv[2] = { -1, -1 }, devnull;
	pid_t pid;
	size_t i = 0;

	snprintf(threads, sizeof(threads), "%u", c->serve_threads);
	snprintf(maxc, sizeof(maxc), "%u", c->serve_max_connections);
	snprintf(perc, sizeof(perc), "%u", c->serve_max_per_client);
	snprintf(hdr, sizeof(hdr), "%u", c->serve_max_header);
	snprintf(idle, sizeof(idle), "%u", c->serve_idle_timeout);
	snprintf(rate, sizeof(rate), "%u", c->serve_max_rate);
	argv[i++] = (char *)SERVE_FRONTEND_NAME;
	argv[i++] = (char *)"--listen";
	argv[i++] = c->serve_listen;
	argv[i++] = (char *)"--user";
	argv[i++] = c->serve_user;
	argv[i++] = (char *)"--issuer";
	argv[i++] = c->serve_issuer_name;
	argv[i++] = (char *)"--threads";
	argv[i++] = threads;
	argv[i++] = (char *)"--max-connections";
	argv[i++] = maxc;
	argv[i++] = (char *)"--max-per-client";
	argv[i++] = perc;
	argv[i++] = (char *)"--max-header";
	argv[i++] = hdr;
	argv[i++] = (char *)"--idle-timeout";
	argv[i++] = idle;
	argv[i++] = (char *)"--max-rate";
	argv[i++] = rate;
	if (s->log_json == 1 || (s->log_json == -1 && c->serve_log_json))
		argv[i++] = (char *)"--log-json";
	if (c->serve_https_listen != NULL) {
		argv[i++] = (char *)"--https-listen";
		argv[i++] = c->serve_https_listen;
	}
	if (c->serve_acme_profiles != NULL) {
		snprintf(acme_port, sizeof(acme_port), "%u",
		    c->serve_acme_http_port);
		argv[i++] = (char *)"--acme-profiles";
		argv[i++] = c->serve_acme_profiles;
		argv[i++] = (char *)"--acme-http-port";
		argv[i++] = acme_port;
		snprintf(alpn_port, sizeof(alpn_port), "%u",
		    c->serve_acme_tls_alpn_port);
		argv[i++] = (char *)"--acme-tls-alpn-port";
		argv[i++] = alpn_port;
		if (c->serve_acme_allow != NULL) {
			argv[i++] = (char *)"--acme-allow";
			argv[i++] = c->serve_acme_allow;
		}
		if (c->serve_acme_dns != NULL) {
			argv[i++] = (char *)"--acme-dns-servers";
			argv[i++] = c->serve_acme_dns;
		}
		if (c->serve_acme_resolve != NULL) {
			argv[i++] = (char *)"--acme-resolve";
			argv[i++] = c->serve_acme_resolve;
		}
		if (c->serve_acme_eab_required != NULL) {
			argv[i++] = (char *)"--acme-eab-required";
			argv[i++] = c->serve_acme_eab_required;
		}
	}
	argv[i] = NULL;
	frontend_env(envp, sizeof(envp) / sizeof(envp[0]), asan, sizeof(asan));
	sigemptyset(&none);

	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return signet_error_sys(SIGNET_ERR_IO, "cannot open /dev/null");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		close(devnull);
		return signet_error_sys(SIGNET_ERR_INTERNAL,
		    "cannot make the socketpair for the front end");
	}
	if ((pid = fork()) < 0) {
		close(devnull);
		close(sv[0]);
		close(sv[1]);
		return signet_error_sys(SIGNET_ERR_INTERNAL,
		    "cannot start the front end");
	}
	if (pid == 0) {
		/*
		 * Async-signal-safe calls only: the signer may have threads.
		 * Descriptor 3 is the socketpair; everything above it (the
		 * token's, the database's, the log's) is closed, and exec
		 * leaves nothing of this image mapped.
		 */
		if (dup2(devnull, STDIN_FILENO) < 0)
			_exit(127);
		if (sv[1] == SERVE_IPC_FD) {
			if (fcntl(sv[1], F_SETFD, 0) != 0)
				_exit(127);
		} else if (dup2(sv[1], SERVE_IPC_FD) < 0)
			_exit(127);
		if (close_range(SERVE_IPC_FD + 1, ~0U, 0) != 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(s->frontend, argv, envp);
		_exit(127);
	}
	close(devnull);
	close(sv[1]);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) != 0) {
		close(sv[0]);
		kill(pid, SIGKILL);
		return signet_error_sys(SIGNET_ERR_INTERNAL,
		    "cannot set up the socketpair");
	}
	s->front_pid = pid;
	s->front_fd = sv[0];
	s->front_ready = 0;
	s->front_started = signer_mono_ms();
	s->restart_at = 0;
	serve_reader_init(&s->rd, SERVE_IPC_MAX_TO_SIGNER);
	signer_say("front end %s started, pid %ld", s->frontend, (long)pid);
	return 0;
}

static void
frontend_close(struct signer *s)
{
	if (s->front_fd >= 0)
		close(s->front_fd);
	s->front_fd = -1;
	s->front_ready = 0;
	serve_reader_free(&s->rd);
}

/* A front end that broke the protocol: kill it now, restart it later. */
void
signer_kill_frontend(struct signer *s, const char *why, uint8_t type)
{
	signer_say("front end %ld %s (message type %u): killing it",
	    (long)s->front_pid, why, (unsigned)type);
	signer_audit(s, SIGNET_AUDIT_EV_SERVE_FRONTEND, SIGNET_AUDIT_DENIED,
	    json_pack("{s:s,s:I,s:s,s:i}", "action", "killed", "pid",
		(json_int_t)s->front_pid, "reason", why, "message_type",
		(int)type));
	if (s->front_pid > 0)
		kill(s->front_pid, SIGKILL);
	frontend_close(s);
}

static void
frontend_reaped(struct signer *s, int status)
{
	int64_t now = signer_mono_ms(), lived = now - s->front_started;
	char how[64];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
	if (lived >= STABLE_MS || s->backoff_ms == 0)
		s->backoff_ms = BACKOFF_MIN_MS;
	else if ((s->backoff_ms *= 2) > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
	signer_say("front end %ld %s after %.1fs; restarting in %.1fs",
	    (long)s->front_pid, how, (double)lived / 1000.0,
	    (double)s->backoff_ms / 1000.0);
	signer_audit(s, SIGNET_AUDIT_EV_SERVE_FRONTEND, SIGNET_AUDIT_FAILURE,
	    json_pack("{s:s,s:I,s:s,s:I,s:I}", "action", "died", "pid",
		(json_int_t)s->front_pid, "status", how, "uptime_ms",
		(json_int_t)lived, "restart_in_ms", (json_int_t)s->backoff_ms));
	frontend_close(s);
	s->front_pid = -1;
	s->restart_at = now + s->backoff_ms;
}

static void
reap(struct signer *s)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == s->front_pid)
			frontend_reaped(s, status);
}

/* ---- what the signer hands the front end --------------------------------- */

int
signer_send(struct signer *s, uint8_t type, uint32_t id, const void *body,
    size_t len)
{
	if (s->front_fd < 0 || !s->front_ready)
		return 0;
	if (serve_send(s->front_fd, type, id, body, len, SEND_TIMEOUT_MS) == 0)
		return 0;
	signer_kill_frontend(s,
	    errno == ETIMEDOUT ? "stopped reading" : "unreachable", type);
	return -1;
}

static void
push_crl(struct signer *s)
{
	uint8_t *body;

	if (s->crl_der == NULL || !s->front_ready)
		return;
	if ((body = malloc(SERVE_CRL_FIXED + s->crl_len)) == NULL)
		return;
	serve_crl_info_encode(&s->crl, body);
	memcpy(body + SERVE_CRL_FIXED, s->crl_der, s->crl_len);
	(void)signer_send(s, SERVE_MSG_CRL, 0, body,
	    SERVE_CRL_FIXED + s->crl_len);
	free(body);
}

static void
push_ca_cert(struct signer *s)
{
	if (s->ca_der != NULL)
		(void)signer_send(s, SERVE_MSG_CA_CERT, 0, s->ca_der,
		    (size_t)s->ca_len);
}

static void
push_tls(struct signer *s)
{
	if (s->tls != NULL)
		(void)signer_send(s, SERVE_MSG_TLS, 0, s->tls, s->tls_len);
}

/*
 * The HTTPS key, opened once and judged on the descriptor: a regular file
 * only the owner may read (StrictModes-like), at most 64 KiB.
 */
static int
tls_key_read(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t n;
	size_t have = 0;
	int fd, r = SIGNET_ERR_INTERNAL;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return signet_error_sys(SIGNET_ERR_CONFIG,
		    "cannot open the HTTPS key %s (serve.https.key)", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "the HTTPS key %s is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 0077) != 0) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "the HTTPS key %s may be read by others (mode %04o); run: "
		    "chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > (off_t)64 * 1024) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "the HTTPS key %s is empty or larger than 64 KiB", path);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL)
		goto out;
	while (have < (size_t)st.st_size &&
	       (n = read(fd, buf + have, (size_t)st.st_size - have)) > 0)
		have += (size_t)n;
	if (have != (size_t)st.st_size) {
		r = signet_error_sys(SIGNET_ERR_IO, "cannot read %s", path);
		goto out;
	}
	*out = buf;
	*len = have;
	buf = NULL;
	r = 0;
out:
	if (buf != NULL) {
		secret_wipe(buf, (size_t)st.st_size);
		free(buf);
	}
	close(fd);
	return r;
}

/* Read the HTTPS certificate and key named in the configuration. */
static int
tls_load(struct signer *s, const struct signet_ca_config *cfg)
{
	uint8_t *cert = NULL, *key = NULL, *body = NULL;
	size_t cert_len = 0, key_len = 0, n = 0;
	int r;

	if (cfg->serve_https_listen == NULL)
		return 0;
	if ((r = file_read(cfg->serve_https_cert, SERVE_TLS_MAX / 2, &cert,
		 &cert_len)) != 0)
		return signet_error_context(r, "serve.https.certificate");
	if ((r = tls_key_read(cfg->serve_https_key, &key, &key_len)) != 0) {
		free(cert);
		return r;
	}
	body = serve_tls_encode(cert, cert_len, key, key_len, &n);
	secret_wipe(key, key_len);
	free(key);
	free(cert);
	if (body == NULL)
		return signet_error_set(SIGNET_ERR_CONFIG,
		    "the HTTPS certificate and key are empty or too large");
	if (s->tls != NULL) {
		secret_wipe(s->tls, s->tls_len);
		free(s->tls);
	}
	s->tls = body;
	s->tls_len = n;
	return 0;
}

static int
load_ca_cert(struct signer *s)
{
	uint8_t *der = NULL;
	int len;

	if ((len = i2d_X509(signet_ca_get0_cert(s->ca), &der)) <= 0)
		return signet_error_ossl(SIGNET_ERR_CRYPTO,
		    "cannot encode the CA certificate");
	OPENSSL_free(s->ca_der);
	s->ca_der = der;
	s->ca_len = len;
	return 0;
}

/* ---- CRLs ---------------------------------------------------------------- */

static void
crl_make(struct signer *s, const char *why)
{
	struct signet_ca_crl_result res;
	int64_t seq;
	int r;

	memset(&res, 0, sizeof(res));
	/* Read first: a revocation made meanwhile triggers another CRL. */
	if ((r = signet_store_revocation_seq(signet_ca_get0_store(s->ca),
		 signet_ca_issuer_id(s->ca), &seq)) != 0 ||
	    (r = signet_ca_crl(s->ca, 0, NULL, 0, &res)) != 0) {
		s->crl_failures++;
		signer_count_error(s, r);
		signer_say("cannot make a CRL (%s): %s", why,
		    signet_error_message());
		return;
	}
	free(s->crl_der);
	s->crl_der = res.der;
	s->crl_len = res.der_len;
	res.der = NULL;
	s->crl.number = res.number;
	s->crl.this_update = res.this_update;
	s->crl.next_update = res.next_update;
	s->crl.made = (int64_t)time(NULL);
	s->crl_seq = seq;
	signer_say("CRL number %lld made (%s): %zu entries, next update in "
		   "%llds",
	    (long long)res.number, why, res.entries,
	    (long long)(res.next_update - res.this_update));
	signet_ca_crl_result_clear(&res);
	push_crl(s);
	/*
	 * The database keeps the log's newest checkpoint, so that a log cut
	 * or rolled back while the service runs is refused at the next open
	 * (docs/audit.md), not only after the service stops.
	 */
	if ((r = signet_ca_audit_seal(s->ca)) != 0) {
		signer_count_error(s, r);
		signer_say("cannot record the audit log's checkpoint in the "
			   "database: "
			   "%s",
		    signet_error_message());
	}
}

/*
 * Another node on the same database, or `signet crl` from a shell, may
 * have recorded a newer full CRL than the one served here: serve that one
 * (its signature checked against the CA certificate first). 1 when it
 * was taken, 0 when there is none, -1 on a failure (reported).
 */
static int
crl_adopt(struct signer *s)
{
	struct signet_store *st = signet_ca_get0_store(s->ca);
	struct signet_store_crl *c = NULL;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	EVP_PKEY *pub;
	int64_t number, this_update;
	uint8_t *der = NULL;
	int r, taken = -1;

	r = signet_store_crl_last_full(st, signet_ca_issuer_id(s->ca), &number,
	    &this_update);
	if (r == SIGNET_ERR_NOT_FOUND || (r == 0 && number <= s->crl.number))
		return 0;
	if (r != 0 || (r = signet_store_crl_get(st, signet_ca_issuer_id(s->ca),
			   number, &c)) != 0) {
		signer_count_error(s, r);
		signer_say("cannot read the newest CRL: %s",
		    signet_error_message());
		return -1;
	}
	p = c->der;
	pub = X509_get0_pubkey(signet_ca_get0_cert(s->ca));
	if (c->der == NULL || c->der_len > LONG_MAX ||
	    (crl = d2i_X509_CRL(NULL, &p, (long)c->der_len)) == NULL ||
	    p != c->der + c->der_len || pub == NULL ||
	    X509_CRL_verify(crl, pub) != 1) {
		signer_say("CRL number %lld in the database does not verify "
			   "with the CA certificate: not served",
		    (long long)number);
		s->crl_failures++;
		goto out;
	}
	if ((der = malloc(c->der_len)) == NULL)
		goto out;
	memcpy(der, c->der, c->der_len);
	free(s->crl_der);
	s->crl_der = der;
	s->crl_len = c->der_len;
	s->crl.number = c->number;
	s->crl.this_update = c->this_update;
	s->crl.next_update = c->next_update;
	s->crl.made = (int64_t)time(NULL);
	signer_say("CRL number %lld, made elsewhere, served from now on",
	    (long long)number);
	push_crl(s);
	taken = 1;
out:
	X509_CRL_free(crl);
	signet_store_crl_free(c);
	return taken;
}

/*
 * Cheap unless a CRL is due: the revocation counter and the newest CRL
 * number, one indexed read each.
 */
static void
crl_check(struct signer *s)
{
	int64_t seq, now = (int64_t)time(NULL), due;
	int r;

	if (s->ca == NULL)
		return;
	if (s->crl_der == NULL) {
		crl_make(s, "start");
		return;
	}
	/* Well before nextUpdate, whatever the interval says. */
	due = s->crl.this_update + s->cfg->serve_crl_interval;
	if (due >
	    s->crl.this_update + (s->crl.next_update - s->crl.this_update) / 2)
		due = s->crl.this_update +
		      (s->crl.next_update - s->crl.this_update) / 2;
	if (now >= due) {
		crl_make(s, "schedule");
		return;
	}
	/*
	 * Nodes that saw the same revocation may each make a CRL (their
	 * numbers differ: the database hands them out); each then serves
	 * the newest at its next check.
	 */
	(void)crl_adopt(s);
	if ((r = signet_store_revocation_seq(signet_ca_get0_store(s->ca),
		 signet_ca_issuer_id(s->ca), &seq)) != 0) {
		signer_count_error(s, r);
		signer_say("cannot read the revocation counter: %s",
		    signet_error_message());
		return;
	}
	if (seq != s->crl_seq)
		crl_make(s, "revocation");
}

/* ---- messages from the front end ----------------------------------------- */

static void
answer_health(struct signer *s, uint32_t id)
{
	struct serve_health h;
	uint8_t body[25 + SERVE_IPC_REASON_MAX];
	int64_t t0 = signer_mono_ms();
	size_t n;
	int r;

#ifdef SIGNET_TEST_HOOKS
	if (s->test_slow_health > 0) {
		s->test_slow_health--;
		sleep(3);
	}
#endif
	if (s->health_at != 0 && t0 - s->health_at < HEALTH_CACHE_MS) {
		h = s->health;
		goto answer;
	}
	memset(&h, 0, sizeof(h));
	if (s->ca == NULL) {
		snprintf(h.reason, sizeof(h.reason),
		    "the instance is not open (a reload failed; see the "
		    "signer's log)");
	} else if ((r = signet_ca_health(s->ca)) != 0) {
		signer_count_error(s, r);
		snprintf(h.reason, sizeof(h.reason), "%s",
		    signet_error_message());
	} else
		h.ok = 1;
	h.restarts = s->restarts;
	h.token_errors = s->token_errors;
	h.crl_failures = s->crl_failures;
	h.check_usec = (uint64_t)(signer_mono_ms() - t0) * 1000;
	s->health = h;
	s->health_at = t0;
answer:
	h.restarts = s->restarts;
	h.token_errors = s->token_errors;
	h.crl_failures = s->crl_failures;
	n = serve_health_encode(&h, body, sizeof(body));
	(void)signer_send(s, SERVE_MSG_HEALTH_REPLY, id, body, n);
}

static void
front_readable(struct signer *s)
{
	struct serve_msg m;
	const char *why;
	int r;

	while (s->front_fd >= 0 &&
	       (r = serve_reader_read(s->front_fd, &s->rd)) == 1) {
		if (serve_msg_check(s->rd.buf, s->rd.have, SERVE_FROM_FRONT, &m,
			&why) != 0) {
			signer_kill_frontend(s, why, s->rd.buf[1]);
			return;
		}
		switch (m.type) {
		case SERVE_MSG_READY:
			if (s->front_ready) {
				signer_kill_frontend(s, "READY twice", m.type);
				return;
			}
			s->front_ready = 1;
			signer_say("front end %ld ready", (long)s->front_pid);
			push_ca_cert(s);
			push_tls(s);
			push_crl(s);
			signer_ocsp_push_all(s);
			break;
		case SERVE_MSG_HEALTH:
			answer_health(s, m.id);
			break;
		case SERVE_MSG_ISSUE:
			signer_issue(s, &m);
			break;
		case SERVE_MSG_ACME:
			signer_acme(s, &m);
			break;
		case SERVE_MSG_EST_CACERTS:
		case SERVE_MSG_EST_ENROLL:
		case SERVE_MSG_EST_REENROLL:
			signer_est(s, &m);
			break;
		default:
			signer_kill_frontend(s, "message type not handled",
			    m.type);
			return;
		}
		if (s->front_fd >= 0)
			serve_reader_next(&s->rd);
	}
	if (s->front_fd >= 0 && r == -2)
		signer_kill_frontend(s, "oversized or wrong-version frame",
		    s->rd.buf[1]);
	else if (s->front_fd >= 0 && r == -1)
		frontend_close(s); /* it is exiting: SIGCHLD follows */
}

/* ---- start, reload, stop ------------------------------------------------- */

static int
instance_open(struct signer *s)
{
	struct signet_ca_config *cfg = NULL;
	int r;

	if ((r = signet_ca_config_load(s->config_path, &cfg)) != 0)
		return r;
	if ((r = signet_ca_open(s->config_path, OPEN_FLAGS, &s->ca)) != 0) {
		signet_ca_config_free(cfg);
		return r;
	}
	signet_ca_config_free(s->cfg);
	s->cfg = cfg;
	return load_ca_cert(s);
}

static void
reload(struct signer *s)
{
	struct signet_ca_config *cfg = NULL;

	signer_say("SIGHUP: reloading the configuration and policy");
	/* A broken file leaves the running instance alone. */
	if (signet_ca_config_load(s->config_path, &cfg) != 0) {
		signer_say("reload refused, keeping the running configuration: "
			   "%s",
		    signet_error_message());
		return;
	}
	signet_ca_config_free(cfg);
	if (s->ca != NULL && signet_ca_close(s->ca) != 0)
		signer_say("closing the instance: %s", signet_error_message());
	s->ca = NULL;
	s->health_at = 0;
	if (instance_open(s) != 0) {
		signer_say("reload failed, the service is degraded until the "
			   "next "
			   "SIGHUP: %s",
		    signet_error_message());
		signet_ca_free(s->ca);
		s->ca = NULL;
		return;
	}
	if (tls_load(s, s->cfg) != 0)
		signer_say("keeping the HTTPS certificate in use: %s",
		    signet_error_message());
	push_ca_cert(s);
	push_tls(s);
	signer_ocsp_push_all(s);
	signer_say("reloaded");
}

/*
 * SIGTERM to the front end, which stops accepting and lets open
 * connections finish: their questions are still answered here until it
 * exits, for up to STOP_WAIT_MS.
 */
static void
stop_frontend(struct signer *s)
{
	int64_t deadline = signer_mono_ms() + STOP_WAIT_MS;
	struct pollfd p;
	int status;

	if (s->front_pid <= 0)
		return;
	kill(s->front_pid, SIGTERM);
	while (signer_mono_ms() < deadline) {
		if (waitpid(s->front_pid, &status, WNOHANG) == s->front_pid) {
			s->front_pid = -1;
			break;
		}
		p.fd = s->front_fd;
		p.events = POLLIN;
		p.revents = 0;
		if (s->front_fd < 0)
			usleep(20000);
		else if (poll(&p, 1, 20) > 0 &&
			 (p.revents & (POLLIN | POLLHUP | POLLERR)))
			front_readable(s);
	}
	if (s->front_pid > 0) {
		kill(s->front_pid, SIGKILL);
		(void)waitpid(s->front_pid, &status, 0);
		s->front_pid = -1;
	}
	frontend_close(s);
}

static int
loop(struct signer *s, int sigfd)
{
	struct signalfd_siginfo si;
	struct pollfd p[2];
	int64_t now, wait;
	int stopping = 0;

	while (!stopping) {
		now = signer_mono_ms();
		if (s->restart_at != 0 && now >= s->restart_at) {
			if (frontend_spawn(s) != 0) {
				signer_say("%s", signet_error_message());
				s->restart_at = now + BACKOFF_MAX_MS;
			} else
				s->restarts++;
		}
		if (now >= s->next_check) {
			crl_check(s);
			s->next_check =
			    signer_mono_ms() + s->cfg->serve_crl_check * 1000;
			if (signer_ocsp_check(s) > 0)
				s->next_check = signer_mono_ms();
		}
		now = signer_mono_ms();
		wait = s->next_check - now;
		if (s->restart_at != 0 && s->restart_at - now < wait)
			wait = s->restart_at - now;
		if (wait < 0)
			wait = 0;
		p[0].fd = sigfd;
		p[0].events = POLLIN;
		p[1].fd = s->front_fd;
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, s->front_fd >= 0 ? 2 : 1, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			return signet_error_sys(SIGNET_ERR_INTERNAL, "poll");
		}
		if (p[0].revents & POLLIN) {
			while (read(sigfd, &si, sizeof(si)) ==
			       (ssize_t)sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGTERM:
				case SIGINT:
					signer_say("signal %u: draining and "
						   "stopping",
					    (unsigned)si.ssi_signo);
					stopping = 1;
					break;
				case SIGHUP:
					reload(s);
					break;
				case SIGCHLD:
					reap(s);
					break;
				default:
					break;
				}
			}
		}
		if (s->front_fd >= 0 &&
		    (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			front_readable(s);
	}
	return 0;
}

int
serve_run(const char *config_path, int log_json)
{
	int r = SIGNET_ERR_INTERNAL, sigfd = -1;
	struct signer s;
	sigset_t mask;

	/*
	 * Keep freed memory rather than give the top of the heap back to the
	 * kernel after every request (SQLite frees a statement journal per
	 * statement): each trim was a brk and a TLB flush on every CPU, and
	 * the next request grew the heap again.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	(void)mallopt(M_TOP_PAD, 1024 * 1024);
	memset(&s, 0, sizeof(s));
	s.config_path = config_path;
	s.log_json = log_json;
	s.front_pid = -1;
	s.front_fd = -1;
	serve_reader_init(&s.rd, SERVE_IPC_MAX_TO_SIGNER);
#ifdef SIGNET_TEST_HOOKS
	{
		const char *slow = getenv("SIGNET_TEST_SERVE_SLOW_HEALTH");

		if (slow != NULL)
			s.test_slow_health = (int)strtol(slow, NULL, 10);
	}
#endif
	if ((r = signet_ca_config_load(config_path, &s.cfg)) != 0 ||
	    (r = frontend_locate(&s)) != 0 || (r = tls_load(&s, s.cfg)) != 0)
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		r = signet_error_sys(SIGNET_ERR_INTERNAL, "signalfd");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Before the PKCS#11 module is loaded: nothing of it in the child. */
	if ((r = frontend_spawn(&s)) != 0)
		goto out;
	if ((r = instance_open(&s)) != 0)
		goto out;
	signer_audit(&s, SIGNET_AUDIT_EV_SERVE_START, SIGNET_AUDIT_SUCCESS,
	    json_pack("{s:I,s:I,s:s,s:s,s:s}", "pid", (json_int_t)getpid(),
		"frontend_pid", (json_int_t)s.front_pid, "frontend", s.frontend,
		"listen", s.cfg->serve_listen, "issuer_name",
		s.cfg->serve_issuer_name));
	s.next_check = signer_mono_ms();
	/* The front end may be ready already; the CRL goes out when made. */
	if ((r = loop(&s, sigfd)) != 0)
		goto out;
	r = 0;
out:
	stop_frontend(&s);
	if (s.ca != NULL) {
		signer_audit(&s, SIGNET_AUDIT_EV_SERVE_STOP,
		    r == 0 ? SIGNET_AUDIT_SUCCESS : SIGNET_AUDIT_FAILURE,
		    json_pack("{s:I,s:I}", "pid", (json_int_t)getpid(),
			"frontend_restarts", (json_int_t)s.restarts));
		if (signet_ca_close(s.ca) != 0 && r == 0)
			r = SIGNET_ERR_AUDIT;
	}
	if (sigfd >= 0)
		close(sigfd);
	serve_reader_free(&s.rd);
	free(s.crl_der);
	signer_ocsp_free(&s);
	OPENSSL_free(s.ca_der);
	if (s.tls != NULL) {
		secret_wipe(s.tls, s.tls_len);
		free(s.tls);
	}
	free(s.frontend);
	signet_ca_config_free(s.cfg);
	return r;
}
