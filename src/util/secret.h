/*
 * Secrets (PINs, passwords) live in a locked page that is excluded from core
 * dumps and wiped when freed. They are never printed, logged or put in an
 * error message.
 */
#ifndef SIGNET_UTIL_SECRET_H
#define SIGNET_UTIL_SECRET_H

#include <stddef.h>

#include "signet/error.h"

#define SECRET_MAX 255

struct signet_secret;

/*
 * Read a secret as a source spec says:
 *   file:PATH | file://PATH   the first line of PATH (mode 0600 or stricter)
 *   env:NAME                  the variable NAME, which is then wiped and unset
 *   prompt                    a no-echo prompt on the terminal
 * what names the secret in messages ("PIN for token 'root'").
 */
int secret_from_spec(const char *spec, const char *what,
    struct signet_secret **out) SIGNET_WUR;
int secret_from_file(const char *path, const char *what,
    struct signet_secret **out) SIGNET_WUR;
int secret_from_env(const char *name, const char *what,
    struct signet_secret **out) SIGNET_WUR;
int secret_prompt(const char *what, struct signet_secret **out) SIGNET_WUR;
/* As secret_prompt, but an empty line is an answer: *out NULL. */
int
secret_prompt_optional(const char *what, struct signet_secret **out) SIGNET_WUR;
/* Asked twice, no echo, until both agree (three tries). */
int
secret_prompt_twice(const char *what, struct signet_secret **out) SIGNET_WUR;
/* One line on the terminal, if there is one (never a secret). */
void secret_prompt_notice(const char *line);
/* Copy len bytes (a pin-value the operator insisted on). */
int secret_from_bytes(const void *bytes, size_t len, struct signet_secret **out)
    SIGNET_WUR;

const char *secret_get0(const struct signet_secret *s, size_t *len);
/* Wipes and frees; NULL is a no-op. */
void secret_free(struct signet_secret *s);

/* 1 if a secret can be prompted for (a terminal is attached). */
int secret_can_prompt(void);

/*
 * No core dumps and no ptrace by other users' processes for the rest of this
 * process's life: called by the CLI before any secret is read.
 */
void secret_harden_process(void);

/* Wipe memory in a way the compiler may not remove. */
void secret_wipe(void *p, size_t len);

#endif /* SIGNET_UTIL_SECRET_H */
