/*
 * Fault points for crash and failure tests. They exist only in builds
 * configured with -DSIGNET_TEST_HOOKS=ON; in every other build
 * SIGNET_FAULT() is the constant 0 and no code is emitted.
 *
 * SIGNET_FAULT=spec[,spec...] selects them at run time, where spec is
 *   [kill:|fail:]name[@N]
 * kill: (the default) sends SIGKILL to the process at the Nth time (default
 * the first) the point is reached; fail: makes the point return
 * SIGNET_ERR_IO with a message naming it.
 */
#ifndef SIGNET_UTIL_FAULT_H
#define SIGNET_UTIL_FAULT_H

#ifdef SIGNET_TEST_HOOKS
int fault_point(const char *name);
#define SIGNET_FAULT(name) fault_point(name)
#else
#define SIGNET_FAULT(name) 0
#endif

#endif /* SIGNET_UTIL_FAULT_H */
