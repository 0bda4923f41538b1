/*
 * Slots and sessions as the client sees them. A slot keeps the real
 * module's id until its token is reinserted; then it gets a fresh id, the
 * way a reader re-enumerates a token that was pulled out, so a client has to
 * find its token again by serial number. Sessions are remembered with their
 * slot so that removing a token can kill them.
 */
#include <stdlib.h>
#include <string.h>

#include "p11fault_int.h"

struct pf_slot {
	CK_SLOT_ID real;
	CK_SLOT_ID visible;
	int removed;
};

struct pf_session {
	CK_SESSION_HANDLE handle;
	CK_SLOT_ID real_slot;
	int dead; /* its token was removed */
};

static struct pf_slot *pf_slots;
static size_t pf_nslots, pf_capslots;
static struct pf_session *pf_sessions;
static size_t pf_nsessions, pf_capsessions;

static int
pf_grow(void **array, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if ((p = realloc(*array, ncap * size)) == NULL)
		return -1;
	*array = p;
	*cap = ncap;
	return 0;
}

static struct pf_slot *
pf_slot_by_real_locked(CK_SLOT_ID real)
{
	size_t i;

	for (i = 0; i < pf_nslots; i++)
		if (pf_slots[i].real == real)
			return &pf_slots[i];
	return NULL;
}

/* An id no slot has, has had as its real id, or shows now. */
static CK_SLOT_ID
pf_slot_fresh_id_locked(void)
{
	CK_SLOT_ID max = 0;
	size_t i;

	for (i = 0; i < pf_nslots; i++) {
		if (pf_slots[i].real > max)
			max = pf_slots[i].real;
		if (pf_slots[i].visible > max)
			max = pf_slots[i].visible;
	}
	return max + 1;
}

enum pf_slot_state
pf_slot_resolve_locked(CK_SLOT_ID visible, CK_SLOT_ID *real)
{
	size_t i;

	for (i = 0; i < pf_nslots; i++) {
		if (pf_slots[i].visible == visible) {
			*real = pf_slots[i].real;
			return pf_slots[i].removed ? PF_SLOT_REMOVED
						   : PF_SLOT_PRESENT;
		}
	}
	*real = visible;
	return pf_slot_by_real_locked(visible) != NULL ? PF_SLOT_RETIRED
						       : PF_SLOT_UNKNOWN;
}

CK_SLOT_ID
pf_slot_visible_locked(CK_SLOT_ID real)
{
	struct pf_slot *s = pf_slot_by_real_locked(real);
	CK_SLOT_ID unused;

	if (s != NULL)
		return s->visible;
	if (pf_grow((void **)&pf_slots, &pf_capslots, pf_nslots + 1,
		sizeof(*pf_slots)) != 0)
		return real;
	s = &pf_slots[pf_nslots];
	s->real = real;
	s->removed = 0;
	/* A renumbered slot may show this id already. */
	s->visible = pf_slot_resolve_locked(real, &unused) == PF_SLOT_UNKNOWN
			 ? real
			 : pf_slot_fresh_id_locked();
	pf_nslots++;
	return s->visible;
}

int
pf_slot_removed_locked(CK_SLOT_ID real)
{
	struct pf_slot *s = pf_slot_by_real_locked(real);

	return s != NULL && s->removed;
}

/* The real module's slot list (with or without tokens), freshly allocated. */
static CK_RV
pf_slot_list_real(CK_BBOOL token_present, CK_SLOT_ID **out, CK_ULONG *n)
{
	CK_SLOT_ID *list = NULL;
	CK_RV rv = CKR_OK;
	int tries;

	*out = NULL;
	*n = 0;
	/* Slots can appear between the two calls: ask again then. */
	for (tries = 0; tries < 4; tries++) {
		CK_ULONG count = 0;
		CK_SLOT_ID *p;

		if ((rv = pf_real->C_GetSlotList(token_present, NULL,
			 &count)) != CKR_OK)
			break;
		if ((p = realloc(list, (count + 1) * sizeof(*list))) == NULL) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		list = p;
		rv = pf_real->C_GetSlotList(token_present, list, &count);
		if (rv == CKR_BUFFER_TOO_SMALL)
			continue;
		if (rv == CKR_OK) {
			*out = list;
			*n = count;
			return CKR_OK;
		}
		break;
	}
	free(list);
	return rv;
}

CK_RV
pf_slot_list(CK_BBOOL token_present, CK_SLOT_ID *list, CK_ULONG *count)
{
	CK_SLOT_ID *real = NULL;
	CK_ULONG n = 0, i, shown = 0;
	CK_RV rv;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((rv = pf_slot_list_real(token_present, &real, &n)) != CKR_OK)
		return rv;
	/* Map in place: the list only ever gets shorter. */
	pf_lock();
	for (i = 0; i < n; i++) {
		CK_SLOT_ID visible = pf_slot_visible_locked(real[i]);

		if (token_present && pf_slot_removed_locked(real[i]))
			continue;
		real[shown++] = visible;
	}
	pf_unlock();
	if (list != NULL && *count < shown)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (list != NULL)
		memcpy(list, real, shown * sizeof(*list));
	*count = shown;
	free(real);
	return rv;
}

/*
 * The real slots a fault without a slot of its own applies to: every slot
 * with a token (for remove and close-sessions), or every removed one (for
 * reinsert).
 */
static CK_SLOT_ID *
pf_slots_all(int removed, size_t *n)
{
	CK_SLOT_ID *list = NULL;
	CK_ULONG count = 0, i;

	*n = 0;
	if (!removed) {
		if (pf_slot_list_real(CK_TRUE, &list, &count) != CKR_OK)
			return NULL;
		pf_lock();
		for (i = 0; i < count; i++)
			(void)pf_slot_visible_locked(list[i]);
		pf_unlock();
		*n = count;
		return list;
	}
	pf_lock();
	if ((list = calloc(pf_nslots + 1, sizeof(*list))) != NULL) {
		for (i = 0; i < pf_nslots; i++)
			if (pf_slots[i].removed)
				list[(*n)++] = pf_slots[i].real;
	}
	pf_unlock();
	return list;
}

/* Run fn on the real slot, or on all the slots pf_slots_all gives. */
static void
pf_slots_each(int all, int removed, CK_SLOT_ID real, void (*fn)(CK_SLOT_ID))
{
	CK_SLOT_ID *list = NULL;
	size_t n = 0, i;

	if (!all) {
		fn(real);
		return;
	}
	if ((list = pf_slots_all(removed, &n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		fn(list[i]);
	free(list);
}

static void
pf_slot_close_sessions(CK_SLOT_ID real)
{
	(void)pf_real->C_CloseAllSessions(real);
	pf_sessions_forget(0, real);
}

static void
pf_slot_remove(CK_SLOT_ID real)
{
	struct pf_slot *s;
	size_t i;

	pf_lock();
	(void)pf_slot_visible_locked(real);
	if ((s = pf_slot_by_real_locked(real)) == NULL || s->removed) {
		pf_unlock();
		return;
	}
	s->removed = 1;
	for (i = 0; i < pf_nsessions; i++)
		if (pf_sessions[i].real_slot == real)
			pf_sessions[i].dead = 1;
	pf_unlock();
	/* A token pulled out loses its sessions and its login. */
	(void)pf_real->C_CloseAllSessions(real);
}

/* Forget the sessions of a slot (or of all), or only its dead ones. */
static void
pf_sessions_drop_locked(int all, CK_SLOT_ID real_slot, int only_dead)
{
	size_t i, kept = 0;

	for (i = 0; i < pf_nsessions; i++) {
		struct pf_session *e = &pf_sessions[i];

		if ((all || e->real_slot == real_slot) &&
		    (!only_dead || e->dead))
			continue;
		pf_sessions[kept++] = *e;
	}
	pf_nsessions = kept;
}

static void
pf_slot_reinsert(CK_SLOT_ID real)
{
	struct pf_slot *s;

	pf_lock();
	if ((s = pf_slot_by_real_locked(real)) != NULL && s->removed) {
		s->removed = 0;
		s->visible = pf_slot_fresh_id_locked();
		/* The real module closed them; let it say so from now on. */
		pf_sessions_drop_locked(0, real, 1);
	}
	pf_unlock();
}

void
pf_slots_close_sessions(int all, CK_SLOT_ID real)
{
	pf_slots_each(all, 0, real, pf_slot_close_sessions);
}

void
pf_slots_remove(int all, CK_SLOT_ID real)
{
	pf_slots_each(all, 0, real, pf_slot_remove);
}

void
pf_slots_reinsert(int all, CK_SLOT_ID real)
{
	pf_slots_each(all, 1, real, pf_slot_reinsert);
}

void
pf_slots_reset_locked(void)
{
	size_t i;

	for (i = 0; i < pf_nslots; i++) {
		pf_slots[i].removed = 0;
		pf_slots[i].visible = pf_slots[i].real;
	}
	pf_sessions_drop_locked(1, 0, 1);
}

int
pf_session_find_locked(CK_SESSION_HANDLE h, CK_SLOT_ID *real_slot, int *dead)
{
	size_t i;

	for (i = 0; i < pf_nsessions; i++) {
		if (pf_sessions[i].handle == h) {
			*real_slot = pf_sessions[i].real_slot;
			*dead = pf_sessions[i].dead;
			return 1;
		}
	}
	return 0;
}

void
pf_session_opened(CK_SLOT_ID real_slot, CK_SESSION_HANDLE h)
{
	struct pf_session *e = NULL;
	size_t i;

	pf_lock();
	/* The real module may hand out a closed session's handle again. */
	for (i = 0; i < pf_nsessions && e == NULL; i++)
		if (pf_sessions[i].handle == h)
			e = &pf_sessions[i];
	if (e == NULL && pf_grow((void **)&pf_sessions, &pf_capsessions,
			     pf_nsessions + 1, sizeof(*pf_sessions)) == 0)
		e = &pf_sessions[pf_nsessions++];
	if (e != NULL) {
		e->handle = h;
		e->real_slot = real_slot;
		e->dead = 0;
	}
	pf_unlock();
}

void
pf_session_closed(CK_SESSION_HANDLE h)
{
	size_t i;

	pf_lock();
	for (i = 0; i < pf_nsessions; i++) {
		if (pf_sessions[i].handle == h) {
			pf_sessions[i] = pf_sessions[--pf_nsessions];
			break;
		}
	}
	pf_unlock();
}

void
pf_sessions_forget(int all, CK_SLOT_ID real_slot)
{
	pf_lock();
	pf_sessions_drop_locked(all, real_slot, 0);
	pf_unlock();
}
