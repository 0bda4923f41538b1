/* A log file's records for display: audit_reader and audit_rec_parse. */
#include <stdlib.h>

#include "audit/audit_int.h"

struct signet_audit_records {
	struct audit_reader *rd;
	struct audit_rec rec;
	int have_rec;
};

int
signet_audit_records_open(const char *path, struct signet_audit_records **out)
{
	struct signet_audit_records *it;
	int r;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	if ((r = audit_reader_open(path, &it->rd)) != 0) {
		free(it);
		return r;
	}
	*out = it;
	return 0;
}

int
signet_audit_records_next(struct signet_audit_records *it, const char **line,
    size_t *len, const json_t **rec)
{
	int n, complete = 0;

	*rec = NULL;
	if (it->have_rec) {
		audit_rec_clear(&it->rec);
		it->have_rec = 0;
	}
	if ((n = audit_reader_next(it->rd, line, len, &complete)) <= 0)
		return n;
	if (!complete) {
		(void)signet_error_set(SIGNET_ERR_VERIFY,
		    "no newline (torn write)");
		return 1;
	}
	if (audit_rec_parse(*line, *len, &it->rec) == 0) {
		it->have_rec = 1;
		*rec = it->rec.root;
	}
	return 1;
}

uint64_t
signet_audit_records_lineno(const struct signet_audit_records *it)
{
	return audit_reader_lineno(it->rd);
}

void
signet_audit_records_free(struct signet_audit_records *it)
{
	if (it == NULL)
		return;
	if (it->have_rec)
		audit_rec_clear(&it->rec);
	audit_reader_free(it->rd);
	free(it);
}
