/* Reading and writing files so that nothing is ever half-written. */
#ifndef SIGNET_UTIL_FILE_H
#define SIGNET_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "signet/error.h"

/* Default cap for untrusted inputs (CSRs, certificates, CRLs). */
#define SIGNET_FILE_MAX_INPUT ((size_t)1024 * 1024)

/*
 * Read all of path into a fresh buffer (NUL-terminated for convenience, the
 * NUL not counted in *len). Refuses files larger than max bytes. "-" reads
 * standard input.
 */
int
file_read(const char *path, size_t max, uint8_t **out, size_t *len) SIGNET_WUR;
/* Same, from an open descriptor; failures are recorded under code. */
int file_read_fd(int fd, const char *path, size_t max, int code, uint8_t **out,
    size_t *len) SIGNET_WUR;

/*
 * Write data to path atomically: a temporary file in the same directory,
 * fsync, rename over path, fsync the directory. A reader sees the old file
 * or the new one, never a mix; a crash leaves no partial file at path.
 * A character device or FIFO at path (/dev/stdout) is written in place,
 * never replaced; a directory or other special file is refused.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode) SIGNET_WUR;

/*
 * Like file_write_atomic, but refuses if path exists (link(2) of the fsynced
 * temporary file, which fails with EEXIST): for ceremony outputs, which must
 * never overwrite anything.
 */
int file_write_excl(const char *path, const void *data, size_t len, mode_t mode)
    SIGNET_WUR;

/*
 * write(2) all of data to fd, retrying after EINTR and short writes.
 * 0, or -1 with errno set (EIO if the kernel wrote nothing without an
 * error); callers name the file in their message.
 */
int file_write_all(int fd, const void *data, size_t len) SIGNET_WUR;
/*
 * Many files at once, each atomic, with one sync for all instead of one
 * per file: file_batch_add writes each to an unnamed file (O_TMPFILE) in
 * its path's directory, or where that is not possible a temporary file
 * beside its path; file_batch_commit makes them all durable with one
 * syncfs(2) per file system, links (or renames) each into place and fsyncs
 * each directory once. A crash leaves every path with its old content or
 * its new one, never a partial file (at worst a stray "PATH.tmp.*").
 */
struct file_batch;

int file_batch_new(struct file_batch **out) SIGNET_WUR;
/*
 * Write data to a temporary file for path (mode mode); *index (may be
 * NULL) identifies it in file_batch_placed. Safe from several threads.
 */
int file_batch_add(struct file_batch *b, const char *path, const void *data,
    size_t len, mode_t mode, size_t *index) SIGNET_WUR;
/*
 * Sync, rename and sync the directories. Returns 0 if every file is in
 * place, else the first failure (the others are still tried).
 */
int file_batch_commit(struct file_batch *b) SIGNET_WUR;
/* 1 if file index is at its path; else its error message is returned. */
int
file_batch_placed(const struct file_batch *b, size_t index, const char **error);
size_t file_batch_count(const struct file_batch *b);
/* Remove temporaries not placed, free. NULL is a no-op. */
void file_batch_free(struct file_batch *b);

/* Create directory path with mode, succeeding if it exists already. */
int file_mkdir(const char *path, mode_t mode) SIGNET_WUR;

/* fsync the directory holding path. */
int file_sync_dir(const char *path) SIGNET_WUR;

/* 1 if path exists (any type), 0 if not. */
int file_exists(const char *path);

/*
 * Files signet trusts (signet.yaml, the policy, the CA certificate and
 * chain, the database, the audit log, PIN files) are judged as OpenSSH's
 * StrictModes judges authorized_keys (auth_secure_path): the file and every
 * directory above it up to / must be owned by root or the user signet runs
 * as, and writable by no one else. A sticky directory (/tmp) may be
 * writable by others: none of them can rename or remove what it holds.
 * path is resolved with realpath(3); then each directory is opened below
 * the one before without following links, and every decision is made on
 * the descriptor (fstat), never on a path looked at before opening.
 */
#define FILE_TRUST_SECRET 0x1        /* no group or other access (0600) */
#define FILE_TRUST_MAY_BE_ABSENT 0x2 /* absent: 0 and *fd = -1 */

/*
 * Open path read-only as a trusted file; its stat in *st (may be NULL).
 * Every failure is recorded under code.
 */
int file_open_trusted(const char *path, unsigned how, int code, int *fd,
    struct stat *st) SIGNET_WUR;
/* file_read of a trusted file, from the descriptor that was judged. */
int file_read_trusted(const char *path, size_t max, unsigned how, int code,
    uint8_t **out, size_t *len) SIGNET_WUR;
/*
 * file_open_trusted for a file opened elsewhere by its path (SQLite's),
 * which is safe once every directory above it is: SIGNET_ERR_IO.
 */
int file_check_private(const char *path, int no_group_read) SIGNET_WUR;

/* Join dir and name into a fresh string; name is returned as is if absolute. */
char *file_path_join(const char *dir, const char *name);

/* Directory part of path, freshly allocated ("." if none). */
char *file_dirname(const char *path);

#endif /* SIGNET_UTIL_FILE_H */
