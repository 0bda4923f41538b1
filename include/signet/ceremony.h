/*
 * Key ceremonies: the reviewed, recorded acts that make and use an offline
 * root CA's keys (docs/ceremony.md).
 *
 * One YAML file declares one ceremony (root-key, root-cert,
 * intermediate-key, intermediate-cert, cross-cert, root-crl, key-backup).
 * A run goes in three phases the caller keeps apart:
 *
 *   signet_ceremony_load     parse and check the file and its inputs;
 *                            no token is touched (signet ceremony check);
 *   signet_ceremony_run      open the tokens, prepare and lint everything
 *                            to be signed, show the plan to the confirm
 *                            callback, and only then generate or sign;
 *                            write the outputs (never over an existing
 *                            file) and a transcript beside them;
 *   signet_transcript_verify check a transcript's signature and the
 *                            outputs it lists, with the key alone.
 *
 * A transcript is a JSON file NAME.transcript.json with a detached
 * signature NAME.transcript.json.sig made by the key the ceremony used; a
 * ceremony that fails leaves one too, saying where and why.
 */
#ifndef SIGNET_CEREMONY_H
#define SIGNET_CEREMONY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "signet/error.h"

enum signet_ceremony_type {
	SIGNET_CEREMONY_NONE = 0,
	SIGNET_CEREMONY_ROOT_KEY,
	SIGNET_CEREMONY_ROOT_CERT,
	SIGNET_CEREMONY_INTERMEDIATE_KEY,
	SIGNET_CEREMONY_INTERMEDIATE_CERT,
	SIGNET_CEREMONY_CROSS_CERT,
	SIGNET_CEREMONY_ROOT_CRL,
	SIGNET_CEREMONY_KEY_BACKUP,
	SIGNET_CEREMONY_QUORUM_SPLIT,
};

/* "root-key", ...; "none" for anything else. */
const char *signet_ceremony_type_name(enum signet_ceremony_type type);

/* Largest ceremony file, transcript and input accepted. */
#define SIGNET_CEREMONY_FILE_MAX ((size_t)256 * 1024)
#define SIGNET_TRANSCRIPT_MAX ((size_t)8 * 1024 * 1024)

struct signet_ceremony;

/*
 * Read and check a ceremony file: its schema (unknown keys, missing values,
 * PINs written into it: SIGNET_ERR_CONFIG "file:line: ..."), the values,
 * the policy and profile it names, and every input file it lists (read and
 * hashed). Relative paths in the file are taken from dir (NULL: the
 * current directory). Outputs that exist already are refused
 * (SIGNET_ERR_CONFLICT naming them). No token is opened.
 */
int signet_ceremony_load(const char *path, const char *dir,
    struct signet_ceremony **out) SIGNET_WUR;
void signet_ceremony_free(struct signet_ceremony *c);

enum signet_ceremony_type
signet_ceremony_get_type(const struct signet_ceremony *c);
/* Lower-case hex SHA-256 of the ceremony file's bytes. */
const char *signet_ceremony_sha256(const struct signet_ceremony *c);
/* Its first 8 hex digits: what an operator types to confirm a run. */
const char *signet_ceremony_confirm_code(const struct signet_ceremony *c);

/*
 * Operators: those the file names (operators:), and any added here (from
 * a prompt) before the run. A run needs at least one.
 */
size_t signet_ceremony_operator_count(const struct signet_ceremony *c);
int signet_ceremony_add_operator(struct signet_ceremony *c, const char *name)
    SIGNET_WUR;

/*
 * What the file alone says will happen (signet ceremony check): freshly
 * allocated text, NULL when out of memory. The run's plan adds what only
 * the tokens can tell (serials, key fingerprints, the prepared
 * certificate's serial, TBS hash and lint results).
 */
char *signet_ceremony_describe(const struct signet_ceremony *c);

struct signet_ceremony_run_opts {
	/*
	 * Called once with the full plan, after every check and lint and
	 * before the confirmation; or NULL.
	 */
	void (*show_plan)(void *arg, const char *plan);
	void *show_plan_arg;
	/*
	 * Called once, after show_plan and before anything is generated or
	 * signed, with the full plan. 0 goes on; anything else stops the
	 * ceremony, recorded as declined (SIGNET_ERR_USAGE). NULL: refused
	 * unless assume_yes.
	 */
	int (*confirm)(void *arg, const char *plan);
	void *confirm_arg;
	/*
	 * No operator confirms (signet ceremony run --yes, for CI only):
	 * confirm is not called and the transcript says so.
	 */
	int assume_yes;
	/* One line per step as the ceremony goes, for the operator; or NULL. */
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
};

/*
 * Run the ceremony loaded in c (once). Returns 0 when it completed, else
 * the failure; either way a transcript is left (unless even that could not
 * be written, which the error then says too). Outputs are written only
 * after everything succeeded, each atomically and never over an existing
 * file; a failure leaves none half-written.
 */
int signet_ceremony_run(struct signet_ceremony *c,
    const struct signet_ceremony_run_opts *opts) SIGNET_WUR;

/* After a run: the transcript written (NULL if none), and whether signed. */
const char *signet_ceremony_transcript_path(const struct signet_ceremony *c);
int signet_ceremony_transcript_signed(const struct signet_ceremony *c);

/* After a run: what was written, for the operator. */
struct signet_ceremony_output {
	const char *name; /* "certificate", "public-key", ... */
	const char *path; /* as the file gives it, relative to dir */
	char sha256[65];  /* of the file's bytes */
	/* SHA-256 of the DER certificate, CRL or SPKI; "" for others. */
	char fingerprint[65];
	int written;
};
size_t signet_ceremony_output_count(const struct signet_ceremony *c);
const struct signet_ceremony_output *
signet_ceremony_output_get(const struct signet_ceremony *c, size_t i);

/* ---- Transcripts ----------------------------------------------------------- */

struct signet_transcript_report;

/*
 * Verify the transcript at path: its detached signature (path + ".sig")
 * with pub, which must be the key the transcript names as its signer; its
 * form; the ceremony text against its recorded hash; and every output and
 * input it lists that is present, relative to base_dir (NULL: the
 * directory the transcript records, found from where it lies now). Returns
 * 0 when all of that holds; SIGNET_ERR_VERIFY naming the first problem
 * otherwise (a changed file is named). Missing files are not a failure but
 * are listed in the report. *report is set in both cases once the
 * transcript could be read (free it).
 */
int signet_transcript_verify(const char *path, const EVP_PKEY *pub,
    const char *base_dir, struct signet_transcript_report **report) SIGNET_WUR;
void signet_transcript_report_free(struct signet_transcript_report *rep);
/* One line per check, as an auditor reads them. */
const char *
signet_transcript_report_text(const struct signet_transcript_report *rep);
/* "completed" or "failed" (what the ceremony itself came to). */
const char *
signet_transcript_report_outcome(const struct signet_transcript_report *rep);
size_t
signet_transcript_report_changed(const struct signet_transcript_report *rep);
size_t
signet_transcript_report_missing(const struct signet_transcript_report *rep);

#endif /* SIGNET_CEREMONY_H */
