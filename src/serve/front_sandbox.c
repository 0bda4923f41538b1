/*
 * The front end's cage: another user, no new privileges, no core dumps,
 * not ptrace-able, and a seccomp allowlist of what an HTTP server that
 * serves memory and talks to one socket needs (OpenSSH's
 * sandbox-seccomp-filter.c is the model). Anything else kills the process;
 * the signer then starts a fresh one.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "serve/front.h"

int
front_drop_privileges(const char *user)
{
	struct passwd *pw;
	struct rlimit no_core = { 0, 0 };

	if ((pw = getpwnam(user)) == NULL) {
		front_log("no user '%s' (serve.user): create it, e.g. "
			  "useradd --system --no-create-home %s",
		    user, user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		front_log("serve.user '%s' is root: refusing", user);
		return -1;
	}
	if (geteuid() == 0) {
		if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0) {
			front_log("cannot become %s: %s", user,
			    strerror(errno));
			return -1;
		}
		/* Make sure it cannot be undone. */
		if (setuid(0) == 0 || geteuid() == 0) {
			front_log("still root after dropping privileges");
			return -1;
		}
	} else if (getuid() == 0) {
		front_log("real user is root: refusing");
		return -1;
	} else if (getuid() != pw->pw_uid)
		front_log("not started as root: running as uid %ld, not %s",
		    (long)getuid(), user);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    setrlimit(RLIMIT_CORE, &no_core) != 0) {
		front_log("cannot harden the process: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* What libmicrohttpd's threads, malloc and the IPC loop call. */
static const int allowed[] = {
	/* I/O on descriptors already open or accepted */
	SCMP_SYS(read),
	SCMP_SYS(readv),
	SCMP_SYS(write),
	SCMP_SYS(writev),
	SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(sendfile),
	SCMP_SYS(close),
	SCMP_SYS(shutdown),
	SCMP_SYS(accept4),
	SCMP_SYS(accept),
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),
	SCMP_SYS(fcntl),
	SCMP_SYS(ioctl),
	/* waiting */
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(select),
	SCMP_SYS(pselect6),
	SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(eventfd2),
	SCMP_SYS(pipe2),
	SCMP_SYS(futex),
	SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(time),
	/* memory */
	SCMP_SYS(brk),
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(mprotect),
	SCMP_SYS(madvise),
	/* threads (the HTTP thread pool starts after the filter) */
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(gettid),
	SCMP_SYS(getpid),
	SCMP_SYS(getrandom),
	/* signals and the end */
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(restart_syscall),
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer's reports */
	SCMP_SYS(readlink),
	SCMP_SYS(open),
	SCMP_SYS(openat),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(getrlimit),
	SCMP_SYS(prlimit64),
	SCMP_SYS(tgkill),
	SCMP_SYS(sched_getparam),
	SCMP_SYS(lseek),
	SCMP_SYS(statx),
#endif
};

int
front_sandbox(void)
{
	const struct scmp_arg_cmp thread_only = { .arg = 0,
		.op = SCMP_CMP_MASKED_EQ,
		.datum_a = CLONE_THREAD,
		.datum_b = CLONE_THREAD };
	const struct scmp_arg_cmp set_name_only = { .arg = 0,
		.op = SCMP_CMP_EQ,
		.datum_a = PR_SET_NAME,
		.datum_b = 0 };
	scmp_filter_ctx ctx;
	size_t i;
	int r;

	/* Kill the whole process, not one thread: the signer restarts it. */
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		front_log("seccomp_init failed");
		return -1;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		/* A syscall this architecture lacks is simply not there. */
		if (allowed[i] < 0)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i],
			 0)) != 0) {
			front_log("seccomp rule %d: %s", allowed[i],
			    strerror(-r));
			seccomp_release(ctx);
			return -1;
		}
	}
	/*
	 * ACME validation (front_acme_http01.c, front_acme_dns01.c,
	 * front_acme_tlsalpn.c) connects out: TCP and UDP sockets of the
	 * Internet families only (no raw, packet or netlink sockets),
	 * connect, and the AF_UNIX socketpair libcurl wakes its multi handle
	 * with. tls-alpn-01's handshakes (a non-blocking connect, poll,
	 * getsockopt SO_ERROR, read and write) need nothing more. Where it may
	 * connect is the address guard's business (serve.acme.validation-allow).
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		 SCMP_A0(SCMP_CMP_EQ, AF_INET))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		 SCMP_A0(SCMP_CMP_EQ, AF_INET6))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
		 SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0)) !=
		0) {
		front_log("seccomp rule for sockets: %s", strerror(-r));
		seccomp_release(ctx);
		return -1;
	}
	/*
	 * Threads only: clone with CLONE_THREAD. clone3 passes its flags in
	 * memory the filter cannot read; ENOSYS makes the C library fall
	 * back to clone.
	 */
	if ((r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		 &thread_only)) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
		 0)) != 0 ||
	    /* The HTTP threads name themselves; no other prctl. */
	    (r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
		 &set_name_only)) != 0) {
		front_log("seccomp rule for clone or prctl: %s", strerror(-r));
		seccomp_release(ctx);
		return -1;
	}
#if !defined(__SANITIZE_ADDRESS__)
	/*
	 * Opening a file fails with EACCES rather than killing: glibc's
	 * malloc opens /proc/sys/vm/overcommit_memory the first time a
	 * thread's heap shrinks, which happens under load, and copes with a
	 * refusal. Nothing opens anything all the same.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat),
		 0)) != 0 ||
	    (SCMP_SYS(open) >= 0 &&
		(r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		     SCMP_SYS(open), 0)) != 0)) {
		front_log("seccomp rule for open: %s", strerror(-r));
		seccomp_release(ctx);
		return -1;
	}
#endif
	if ((r = seccomp_load(ctx)) != 0) {
		front_log("cannot load the seccomp filter: %s", strerror(-r));
		seccomp_release(ctx);
		return -1;
	}
	seccomp_release(ctx);
	return 0;
}
