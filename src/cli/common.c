#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"

int
cli_fail(int r)
{
	fprintf(stderr, "signet: %s\n", signet_error_message());
	return signet_exit_code(r);
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "signet %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'signet %s --help'.\n", cmd);
	return signet_exit_code(SIGNET_ERR_USAGE);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "signet: warning: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_interactive(void)
{
	return isatty(STDERR_FILENO);
}
