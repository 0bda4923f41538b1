/*
 * What the database remembers of each audit log that writes to it: the
 * sequence number and chain hash of the last checkpoint a writer sealed,
 * so that a log cut short or restored from an older copy is noticed by the
 * next writer (docs/audit.md). Kept as meta rows, "audit_head:<log id>",
 * which copies and exports carry along with the rest.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/codec.h"

#define HEAD_PREFIX "audit_head:"

struct head_arg {
	char name[sizeof(HEAD_PREFIX) + 64];
	char value[SIGNET_STORE_TEXT_MAX + 1];
	uint64_t seq;
	uint8_t hash[32];
	int found;
	int replace;
	int64_t count;
};

static int
head_name(const char *log_id, struct head_arg *a)
{
	size_t i;

	for (i = 0; log_id != NULL && log_id[i] != '\0'; i++)
		if (!((log_id[i] >= '0' && log_id[i] <= '9') ||
			(log_id[i] >= 'a' && log_id[i] <= 'f')))
			break;
	if (log_id == NULL || i != 64 || log_id[i] != '\0')
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an audit log id is 64 lower-case hex digits");
	snprintf(a->name, sizeof(a->name), HEAD_PREFIX "%s", log_id);
	return 0;
}

/* "<seq, 20 digits> <hash, 64 hex> <where>" */
static int
head_parse(const char *v, struct head_arg *a)
{
	char seq[21], hex[65];
	size_t n = 0;

	if (v == NULL || strlen(v) < 86 || v[20] != ' ' || v[85] != ' ')
		return signet_error_set(SIGNET_ERR_STORE,
		    "meta row %s is malformed", a->name);
	memcpy(seq, v, 20);
	seq[20] = '\0';
	memcpy(hex, v + 21, 64);
	hex[64] = '\0';
	a->seq = strtoull(seq, NULL, 10);
	if (hex_decode(hex, a->hash, 32, &n) != 0 || n != 32 || a->seq == 0)
		return signet_error_set(SIGNET_ERR_STORE,
		    "meta row %s is malformed", a->name);
	return 0;
}

static int
head_get_work(struct signet_store *st, void *argp)
{
	struct head_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st, "SELECT value FROM meta WHERE name = ?",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->name);
	if ((r = store_q_step(&q)) == 1) {
		a->found = 1;
		r = head_parse(store_q_col_text(&q, 0), a);
	}
	store_q_close(&q);
	return r < 0 ? r : 0;
}

int
signet_store_audit_head_get(struct signet_store *st, const char *log_id,
    uint64_t *seq, uint8_t hash[32])
{
	struct head_arg a;
	int r;

	*seq = 0;
	memset(hash, 0, 32);
	memset(&a, 0, sizeof(a));
	if ((r = head_name(log_id, &a)) != 0 ||
	    (r = store_read(st, head_get_work, &a)) != 0)
		return r;
	if (!a.found)
		return signet_error_set(SIGNET_ERR_NOT_FOUND,
		    "the database holds no checkpoint of audit log %s", log_id);
	*seq = a.seq;
	memcpy(hash, a.hash, 32);
	return 0;
}

static int
head_set_work(struct signet_store *st, void *argp)
{
	struct head_arg *a = argp, old;
	struct store_q q = { 0 };
	int r;

	memset(&old, 0, sizeof(old));
	memcpy(old.name, a->name, sizeof(old.name));
	if ((r = head_get_work(st, &old)) != 0)
		return r;
	/*
	 * Never backwards (another writer may have sealed a later one),
	 * unless an operator accepted a shorter log.
	 */
	if (old.found && old.seq >= a->seq && !a->replace)
		return 0;
	if ((r = store_q_open(st,
		 old.found ? "UPDATE meta SET value = ? WHERE name = ?"
			   : "INSERT INTO meta (value, name) VALUES (?, ?)",
		 &q)) != 0)
		return r;
	store_q_text(&q, a->value);
	store_q_text(&q, a->name);
	r = store_q_exec(&q);
	store_q_close(&q);
	return r;
}

int
signet_store_audit_head_set(struct signet_store *st, const char *log_id,
    const char *where, uint64_t seq, const uint8_t hash[32], int replace)
{
	struct head_arg a;
	char hex[65];
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = head_name(log_id, &a)) != 0)
		return r;
	if (seq == 0 || where == NULL ||
	    strlen(where) > SIGNET_STORE_TEXT_MAX - 90)
		return signet_error_set(SIGNET_ERR_USAGE,
		    "an audit log head needs a sequence number and a place");
	hex_encode(hash, 32, hex);
	snprintf(a.value, sizeof(a.value), "%020" PRIu64 " %s %s", seq, hex,
	    where);
	a.seq = seq;
	a.replace = replace;
	return store_write(st, head_set_work, &a);
}

static int
head_count_work(struct signet_store *st, void *argp)
{
	struct head_arg *a = argp;
	struct store_q q = { 0 };
	int r;

	if ((r = store_q_open(st,
		 "SELECT count(*) FROM meta WHERE name LIKE '" HEAD_PREFIX "%'",
		 &q)) != 0)
		return r;
	if ((r = store_q_step(&q)) == 1)
		a->count = store_q_col_int(&q, 0);
	store_q_close(&q);
	return r < 0 ? r : 0;
}

int
signet_store_audit_head_count(struct signet_store *st, int64_t *n)
{
	struct head_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	*n = 0;
	if ((r = store_read(st, head_count_work, &a)) != 0)
		return r;
	*n = a.count;
	return 0;
}
