/* The signet command line: one cmd_<verb>.c per subcommand. */
#ifndef SIGNET_CLI_H
#define SIGNET_CLI_H

#include <stdio.h>

#include "signet/error.h"

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* returns an exit status */
};

/* Subcommands (each in its own cmd_<verb>.c). */
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_ceremony(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_crl(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_est(int argc, char **argv);
int cmd_acme(int argc, char **argv);
int cmd_renew(int argc, char **argv);
int cmd_acme(int argc, char **argv);
/* signet acme's verbs (cmd_acme.c dispatches) */
int cmd_acme_renew_early(int argc, char **argv);
int cmd_ocsp(int argc, char **argv);

/*
 * Print "signet: <last error message>" to stderr and return the exit
 * status for r.
 */
int cli_fail(int r);
/* Print a usage error for cmd and return the usage exit status. */
int cli_usage(const char *cmd, const char *fmt, ...) SIGNET_PRINTF(2, 3);
/* Warn on stderr ("signet: warning: ..."). */
void cli_warn(const char *fmt, ...) SIGNET_PRINTF(1, 2);
/* 1 if standard error is a terminal (progress bars, prompts). */
int cli_interactive(void);

/*
 * The online CA's commands (ca_common.c): open the instance named by
 * --config (or $SIGNET_CONFIG, or ./signet.yaml). Both return an exit
 * status, having printed any error.
 */
struct signet_ca;
int cli_ca_open(const char *config, unsigned flags, struct signet_ca **out);
int cli_ca_close(struct signet_ca *ca);

#endif /* SIGNET_CLI_H */
