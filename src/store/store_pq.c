/* Loading libpq on first use (store/store_pq.h says why). */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define STORE_PQ_IMPL
#include "store/store_pq.h"

/* The soname of libpq 10 and later (Debian: libpq5). */
#define STORE_PQ_SONAME "libpq.so.5"

struct store_pq store_pq;

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static char pq_error[256];

#define PQ_SYM(name)                                   \
	{                                              \
#name, offsetof(struct store_pq, name) \
	}

static const struct {
	const char *name;
	size_t offset;
} pq_syms[] = {
	PQ_SYM(PQclear),
	PQ_SYM(PQcmdStatus),
	PQ_SYM(PQconnectdbParams),
	PQ_SYM(PQconninfoFree),
	PQ_SYM(PQconninfoParse),
	PQ_SYM(PQenterPipelineMode),
	PQ_SYM(PQerrorMessage),
	PQ_SYM(PQexec),
	PQ_SYM(PQexecParams),
	PQ_SYM(PQexitPipelineMode),
	PQ_SYM(PQfinish),
	PQ_SYM(PQflush),
	PQ_SYM(PQfreemem),
	PQ_SYM(PQftype),
	PQ_SYM(PQgetResult),
	PQ_SYM(PQgetisnull),
	PQ_SYM(PQgetlength),
	PQ_SYM(PQgetvalue),
	PQ_SYM(PQnfields),
	PQ_SYM(PQntuples),
	PQ_SYM(PQpipelineSync),
	PQ_SYM(PQreset),
	PQ_SYM(PQresultErrorField),
	PQ_SYM(PQresultStatus),
	PQ_SYM(PQsendPrepare),
	PQ_SYM(PQsendQuery),
	PQ_SYM(PQsendQueryParams),
	PQ_SYM(PQsendQueryPrepared),
	PQ_SYM(PQserverVersion),
	PQ_SYM(PQsetNoticeReceiver),
	PQ_SYM(PQsetSingleRowMode),
	PQ_SYM(PQsocket),
	PQ_SYM(PQstatus),
	PQ_SYM(PQtransactionStatus),
};

static void
pq_load_once(void)
{
	void *h, *p;
	size_t i;

	const char *soname = STORE_PQ_SONAME;

#ifdef SIGNET_TEST_HOOKS
	/* Tests: a library that is missing, to see the error. */
	if (getenv("SIGNET_TEST_LIBPQ") != NULL)
		soname = getenv("SIGNET_TEST_LIBPQ");
#endif
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(pq_error, sizeof(pq_error),
		    "cannot load %s for the PostgreSQL store: %s (install "
		    "the libpq5 package)",
		    soname, dlerror());
		return;
	}
	for (i = 0; i < sizeof(pq_syms) / sizeof(pq_syms[0]); i++) {
		if ((p = dlsym(h, pq_syms[i].name)) == NULL) {
			snprintf(pq_error, sizeof(pq_error),
			    "%s has no %s: libpq 14 or later is needed "
			    "(pipeline mode)",
			    soname, pq_syms[i].name);
			return;
		}
		/* POSIX dlsym: object and function pointers convert. */
		*(void **)((char *)&store_pq + pq_syms[i].offset) = p;
	}
	/* Never unloaded: the pointers stay valid for the process. */
}

int
store_pq_load(void)
{
	if (pthread_once(&pq_once, pq_load_once) != 0)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "pthread_once failed loading libpq");
	if (pq_error[0] != '\0')
		return signet_error_set(SIGNET_ERR_STORE, "%s", pq_error);
	return 0;
}
