/*
 * What libp11fault.so exports besides C_GetFunctionList. A test that loads
 * the module with dlopen finds these with dlsym (the typedefs name their
 * types) and changes the faults while a client in the same process runs.
 * The rule language is in README.md.
 */
#ifndef P11FAULT_H
#define P11FAULT_H

/*
 * Replace the rules (NULL or "" for none) and start counting calls afresh,
 * so "C_Sign@1" is the next C_Sign. Removed tokens stay removed;
 * P11FAULT_TOKEN_FLAGS and P11FAULT_MECHANISMS stay in force. Returns 0,
 * or -1 (the old rules stay; the reason goes to standard error).
 */
int p11fault_set_rules(const char *rules);
typedef int (*p11fault_set_rules_fn)(const char *rules);

/*
 * Back to the state of a fresh load: read P11FAULT, P11FAULT_TOKEN_FLAGS,
 * P11FAULT_MECHANISMS and P11FAULT_LOG again, zero the counters, put
 * removed tokens back under their first slot ids. Returns 0, or -1 when a
 * variable is bad (then what it asked for is not in force; the reason goes
 * to standard error).
 */
int p11fault_reset(void);
typedef int (*p11fault_reset_fn)(void);

#endif /* P11FAULT_H */
