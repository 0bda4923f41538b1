/*
 * signet serve: the signer's side of the online service. The signer is
 * the online CA (src/ca) behind a message loop; it starts signet-frontend,
 * the unprivileged HTTP process, before it loads the PKCS#11 module, and
 * answers it over a socketpair (ipc.h). docs/serve.md.
 */
#ifndef SIGNET_SERVE_H
#define SIGNET_SERVE_H

#include "signet/error.h"

/*
 * Where signet-frontend is installed, relative to the signet binary: set by
 * src/CMakeLists.txt from the install directories.
 */
#define SERVE_FRONTEND_NAME "signet-frontend"
#ifndef SERVE_FRONTEND_LIBEXEC
#define SERVE_FRONTEND_LIBEXEC "../libexec/signet/signet-frontend"
#endif

/*
 * Run the service of the instance configured in config_path until SIGTERM
 * or SIGINT (drain, 0). SIGHUP reopens the instance (configuration,
 * policy). Errors before the service is up are returned with a message.
 * log_json: 1 or 0 for the request log's format, -1 for serve.log-format.
 */
int serve_run(const char *config_path, int log_json) SIGNET_WUR;

#endif /* SIGNET_SERVE_H */
