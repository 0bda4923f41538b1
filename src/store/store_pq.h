/*
 * libpq, loaded when a PostgreSQL URL is first opened rather than linked:
 * libpq pulls in Kerberos, LDAP and GnuTLS, whose loading and constructors
 * cost every signet process (most of which use SQLite) more time than a
 * single issuance. store_pg.c calls libpq through these pointers, by the
 * usual names.
 */
#ifndef SIGNET_STORE_PQ_H
#define SIGNET_STORE_PQ_H

#include <libpq-fe.h>

#include "signet/error.h"

struct store_pq {
	__typeof__(PQclear) *PQclear;
	__typeof__(PQcmdStatus) *PQcmdStatus;
	__typeof__(PQconnectdbParams) *PQconnectdbParams;
	__typeof__(PQconninfoFree) *PQconninfoFree;
	__typeof__(PQconninfoParse) *PQconninfoParse;
	__typeof__(PQenterPipelineMode) *PQenterPipelineMode;
	__typeof__(PQerrorMessage) *PQerrorMessage;
	__typeof__(PQexec) *PQexec;
	__typeof__(PQexecParams) *PQexecParams;
	__typeof__(PQexitPipelineMode) *PQexitPipelineMode;
	__typeof__(PQfinish) *PQfinish;
	__typeof__(PQflush) *PQflush;
	__typeof__(PQfreemem) *PQfreemem;
	__typeof__(PQftype) *PQftype;
	__typeof__(PQgetResult) *PQgetResult;
	__typeof__(PQgetisnull) *PQgetisnull;
	__typeof__(PQgetlength) *PQgetlength;
	__typeof__(PQgetvalue) *PQgetvalue;
	__typeof__(PQnfields) *PQnfields;
	__typeof__(PQntuples) *PQntuples;
	__typeof__(PQpipelineSync) *PQpipelineSync;
	__typeof__(PQreset) *PQreset;
	__typeof__(PQresultErrorField) *PQresultErrorField;
	__typeof__(PQresultStatus) *PQresultStatus;
	__typeof__(PQsendPrepare) *PQsendPrepare;
	__typeof__(PQsendQuery) *PQsendQuery;
	__typeof__(PQsendQueryParams) *PQsendQueryParams;
	__typeof__(PQsendQueryPrepared) *PQsendQueryPrepared;
	__typeof__(PQserverVersion) *PQserverVersion;
	__typeof__(PQsetNoticeReceiver) *PQsetNoticeReceiver;
	__typeof__(PQsetSingleRowMode) *PQsetSingleRowMode;
	__typeof__(PQsocket) *PQsocket;
	__typeof__(PQstatus) *PQstatus;
	__typeof__(PQtransactionStatus) *PQtransactionStatus;
};

extern struct store_pq store_pq;

/*
 * Load libpq (once; thread-safe). 0, or SIGNET_ERR_STORE saying which
 * library or symbol is missing and which package provides it.
 */
int store_pq_load(void) SIGNET_WUR;

#ifndef STORE_PQ_IMPL
#define PQclear (store_pq.PQclear)
#define PQcmdStatus (store_pq.PQcmdStatus)
#define PQconnectdbParams (store_pq.PQconnectdbParams)
#define PQconninfoFree (store_pq.PQconninfoFree)
#define PQconninfoParse (store_pq.PQconninfoParse)
#define PQenterPipelineMode (store_pq.PQenterPipelineMode)
#define PQerrorMessage (store_pq.PQerrorMessage)
#define PQexec (store_pq.PQexec)
#define PQexecParams (store_pq.PQexecParams)
#define PQexitPipelineMode (store_pq.PQexitPipelineMode)
#define PQfinish (store_pq.PQfinish)
#define PQflush (store_pq.PQflush)
#define PQfreemem (store_pq.PQfreemem)
#define PQftype (store_pq.PQftype)
#define PQgetResult (store_pq.PQgetResult)
#define PQgetisnull (store_pq.PQgetisnull)
#define PQgetlength (store_pq.PQgetlength)
#define PQgetvalue (store_pq.PQgetvalue)
#define PQnfields (store_pq.PQnfields)
#define PQntuples (store_pq.PQntuples)
#define PQpipelineSync (store_pq.PQpipelineSync)
#define PQreset (store_pq.PQreset)
#define PQresultErrorField (store_pq.PQresultErrorField)
#define PQresultStatus (store_pq.PQresultStatus)
#define PQsendPrepare (store_pq.PQsendPrepare)
#define PQsendQuery (store_pq.PQsendQuery)
#define PQsendQueryParams (store_pq.PQsendQueryParams)
#define PQsendQueryPrepared (store_pq.PQsendQueryPrepared)
#define PQserverVersion (store_pq.PQserverVersion)
#define PQsetNoticeReceiver (store_pq.PQsetNoticeReceiver)
#define PQsetSingleRowMode (store_pq.PQsetSingleRowMode)
#define PQsocket (store_pq.PQsocket)
#define PQstatus (store_pq.PQstatus)
#define PQtransactionStatus (store_pq.PQtransactionStatus)
#endif

#endif /* SIGNET_STORE_PQ_H */
