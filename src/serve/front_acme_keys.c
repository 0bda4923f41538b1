/*
 * The front end's cache of account keys (docs/acme.md, "Account keys in
 * the front end"): account id -> the parsed key and its RFC 7638
 * thumbprint, so that a request signed with a kid needs no round trip to
 * the signer to fetch the key before the one for the operation. The
 * signer stays the authority: every operation carries the thumbprint of
 * the key its JWS was verified with, and the signer refuses it unless it
 * is the account's stored key (then the entry is dropped and the key
 * looked up again). Bounded: a fixed table, one entry per slot, a new
 * account's key replacing whatever held its slot.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "serve/front_acme_int.h"

#define KEY_SLOTS 1024

struct key_slot {
	char account[SERVE_ACME_FIELD_MAX + 1];
	char thumb[ACME_THUMB_LEN + 1];
	EVP_PKEY *key;
};

static struct key_slot slots[KEY_SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
/* Lookups answered from the table, sent to the signer; refused keys. */
static atomic_uint_fast64_t key_hits, key_misses, key_stale;

static struct key_slot *
slot_of(const char *account)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *account != '\0'; account++)
		h = (h ^ (uint8_t)*account) * 16777619u;
	return &slots[h % KEY_SLOTS];
}

int
front_acme_key_get(const char *account, EVP_PKEY **key,
    char thumb[ACME_THUMB_LEN + 1])
{
	struct key_slot *s = slot_of(account);
	int r = -1;

	*key = NULL;
	pthread_mutex_lock(&slots_lock);
	if (s->key != NULL && strcmp(s->account, account) == 0 &&
	    EVP_PKEY_up_ref(s->key) == 1) {
		*key = s->key;
		memcpy(thumb, s->thumb, sizeof(s->thumb));
		r = 0;
	}
	pthread_mutex_unlock(&slots_lock);
	atomic_fetch_add(r == 0 ? &key_hits : &key_misses, 1);
	return r;
}

void
front_acme_key_put(const char *account, EVP_PKEY *key, const char *thumb)
{
	struct key_slot *s = slot_of(account);
	EVP_PKEY *old = NULL;

	if (strlen(account) > SERVE_ACME_FIELD_MAX ||
	    strlen(thumb) != ACME_THUMB_LEN || EVP_PKEY_up_ref(key) != 1)
		return;
	pthread_mutex_lock(&slots_lock);
	old = s->key;
	s->key = key;
	snprintf(s->account, sizeof(s->account), "%s", account);
	snprintf(s->thumb, sizeof(s->thumb), "%s", thumb);
	pthread_mutex_unlock(&slots_lock);
	EVP_PKEY_free(old);
}

void
front_acme_key_drop(const char *account, const char *thumb, int refused)
{
	struct key_slot *s = slot_of(account);
	EVP_PKEY *old = NULL;

	if (refused)
		atomic_fetch_add(&key_stale, 1);
	pthread_mutex_lock(&slots_lock);
	/* Not an entry another request has put since. */
	if (s->key != NULL && strcmp(s->account, account) == 0 &&
	    strcmp(s->thumb, thumb) == 0) {
		old = s->key;
		s->key = NULL;
		s->account[0] = '\0';
		s->thumb[0] = '\0';
	}
	pthread_mutex_unlock(&slots_lock);
	EVP_PKEY_free(old);
}

size_t
front_acme_key_metrics(char *buf, size_t off, size_t cap)
{
	int n;

	n = snprintf(buf + off, cap - off,
	    "# HELP signet_acme_account_keys_total Account keys of kid "
	    "requests: from the front end's cache (hit), asked of the "
	    "signer (miss), cached keys the signer refused as no longer "
	    "the account's (stale).\n"
	    "# TYPE signet_acme_account_keys_total counter\n"
	    "signet_acme_account_keys_total{result=\"hit\"} %llu\n"
	    "signet_acme_account_keys_total{result=\"miss\"} %llu\n"
	    "signet_acme_account_keys_total{result=\"stale\"} %llu\n",
	    (unsigned long long)atomic_load(&key_hits),
	    (unsigned long long)atomic_load(&key_misses),
	    (unsigned long long)atomic_load(&key_stale));
	if (n < 0 || (size_t)n >= cap - off)
		return off;
	return off + (size_t)n;
}
