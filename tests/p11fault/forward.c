/*
 * The function list libp11fault hands out: one wrapper per PKCS#11 2.40
 * function, each counting and logging the call, running the fault rules and
 * otherwise passing the call to the real module. Slot ids are mapped both
 * ways (slots.c); session and object handles pass through untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "p11fault.h"
#include "p11fault_int.h"

/* ---- calls that end an operation -------------------------------------- */

/*
 * PKCS#11 2.40 (5.2, 5.12): a failed C_Sign, C_SignUpdate, C_SignFinal and
 * their kin end the active operation. When a rule fails such a call before
 * the real module saw it, the real operation would stay active and the
 * client's next C_SignInit would get CKR_OPERATION_ACTIVE, which no real
 * token does. So the operation is finished in the real module and its
 * output thrown away (and wiped: it may be plaintext).
 */
static int
pf_ends_operation(const struct pf_call *c, CK_RV rv)
{
	return c->injected && rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL;
}

typedef CK_RV (*pf_oneshot_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG,
    CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*pf_final_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR);

static void
pf_finish_oneshot(pf_oneshot_fn fn, CK_SESSION_HANDLE session, CK_BYTE_PTR in,
    CK_ULONG in_len)
{
	CK_ULONG len = 0;
	CK_BYTE_PTR out;

	if (fn(session, in, in_len, NULL, &len) != CKR_OK)
		return;
	if ((out = malloc(len + 1)) == NULL)
		return;
	(void)fn(session, in, in_len, out, &len);
	explicit_bzero(out, len + 1);
	free(out);
}

static void
pf_finish_final(pf_final_fn fn, CK_SESSION_HANDLE session)
{
	CK_ULONG len = 0;
	CK_BYTE_PTR out;

	if (fn(session, NULL, &len) != CKR_OK)
		return;
	if ((out = malloc(len + 1)) == NULL)
		return;
	(void)fn(session, out, &len);
	explicit_bzero(out, len + 1);
	free(out);
}

/* ---- calls on a session ------------------------------------------------ */

#define PF_SESSION_CALL(name, params, args)                              \
	static CK_RV pf_##name params                                    \
	{                                                                \
		struct pf_call c;                                        \
		CK_RV rv;                                                \
                                                                         \
		pf_call_init(&c, PF_##name, PF_TARGET_SESSION, session); \
		if (pf_enter(&c, &rv))                                   \
			rv = pf_real->name args;                         \
		return pf_leave(&c, rv);                                 \
	}

/* One-part operations with output: finish by running them for real. */
#define PF_ONESHOT_CALL(name)                                                  \
	static CK_RV pf_##name(CK_SESSION_HANDLE session, CK_BYTE_PTR in,      \
	    CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)            \
	{                                                                      \
		struct pf_call c;                                              \
		CK_RV rv;                                                      \
                                                                               \
		pf_call_init(&c, PF_##name, PF_TARGET_SESSION, session);       \
		if (pf_enter(&c, &rv))                                         \
			rv = pf_real->name(session, in, in_len, out, out_len); \
		else if (pf_ends_operation(&c, rv))                            \
			pf_finish_oneshot(pf_real->name, session, in, in_len); \
		return pf_leave(&c, rv);                                       \
	}

/* Updates with output (session, in, out): finish with the final call. */
#define PF_UPDATE_OUT_CALL(name, final)                                        \
	static CK_RV pf_##name(CK_SESSION_HANDLE session, CK_BYTE_PTR in,      \
	    CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)            \
	{                                                                      \
		struct pf_call c;                                              \
		CK_RV rv;                                                      \
                                                                               \
		pf_call_init(&c, PF_##name, PF_TARGET_SESSION, session);       \
		if (pf_enter(&c, &rv))                                         \
			rv = pf_real->name(session, in, in_len, out, out_len); \
		else if (pf_ends_operation(&c, rv))                            \
			pf_finish_final(pf_real->final, session);              \
		return pf_leave(&c, rv);                                       \
	}

/* Updates without output: (session, part). */
#define PF_UPDATE_CALL(name, final)                                         \
	static CK_RV pf_##name(CK_SESSION_HANDLE session, CK_BYTE_PTR part, \
	    CK_ULONG part_len)                                              \
	{                                                                   \
		struct pf_call c;                                           \
		CK_RV rv;                                                   \
                                                                            \
		pf_call_init(&c, PF_##name, PF_TARGET_SESSION, session);    \
		if (pf_enter(&c, &rv))                                      \
			rv = pf_real->name(session, part, part_len);        \
		else if (pf_ends_operation(&c, rv))                         \
			pf_finish_final(pf_real->final, session);           \
		return pf_leave(&c, rv);                                    \
	}

#define PF_FINAL_CALL(name)                                                \
	static CK_RV pf_##name(CK_SESSION_HANDLE session, CK_BYTE_PTR out, \
	    CK_ULONG_PTR out_len)                                          \
	{                                                                  \
		struct pf_call c;                                          \
		CK_RV rv;                                                  \
                                                                           \
		pf_call_init(&c, PF_##name, PF_TARGET_SESSION, session);   \
		if (pf_enter(&c, &rv))                                     \
			rv = pf_real->name(session, out, out_len);         \
		else if (pf_ends_operation(&c, rv))                        \
			pf_finish_final(pf_real->name, session);           \
		return pf_leave(&c, rv);                                   \
	}

PF_SESSION_CALL(C_InitPIN,
    (CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len),
    (session, pin, pin_len))
PF_SESSION_CALL(C_SetPIN,
    (CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
	CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len),
    (session, old_pin, old_len, new_pin, new_len))
PF_SESSION_CALL(C_GetOperationState,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR state, CK_ULONG_PTR state_len),
    (session, state, state_len))
PF_SESSION_CALL(C_SetOperationState,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR state, CK_ULONG state_len,
	CK_OBJECT_HANDLE enc_key, CK_OBJECT_HANDLE auth_key),
    (session, state, state_len, enc_key, auth_key))
PF_SESSION_CALL(C_Login,
    (CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
	CK_ULONG pin_len),
    (session, user, pin, pin_len))
PF_SESSION_CALL(C_Logout, (CK_SESSION_HANDLE session), (session))
PF_SESSION_CALL(C_CreateObject,
    (CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR templ, CK_ULONG count,
	CK_OBJECT_HANDLE_PTR object),
    (session, templ, count, object))
PF_SESSION_CALL(C_CopyObject,
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR templ,
	CK_ULONG count, CK_OBJECT_HANDLE_PTR copy),
    (session, object, templ, count, copy))
PF_SESSION_CALL(C_DestroyObject,
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object), (session, object))
PF_SESSION_CALL(C_GetObjectSize,
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ULONG_PTR size),
    (session, object, size))
PF_SESSION_CALL(C_GetAttributeValue,
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR templ,
	CK_ULONG count),
    (session, object, templ, count))
PF_SESSION_CALL(C_SetAttributeValue,
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR templ,
	CK_ULONG count),
    (session, object, templ, count))
PF_SESSION_CALL(C_FindObjectsInit,
    (CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR templ, CK_ULONG count),
    (session, templ, count))
PF_SESSION_CALL(C_FindObjects,
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max,
	CK_ULONG_PTR found),
    (session, objects, max, found))
PF_SESSION_CALL(C_FindObjectsFinal, (CK_SESSION_HANDLE session), (session))

PF_SESSION_CALL(C_EncryptInit,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key),
    (session, mech, key))
PF_ONESHOT_CALL(C_Encrypt)
PF_UPDATE_OUT_CALL(C_EncryptUpdate, C_EncryptFinal)
PF_FINAL_CALL(C_EncryptFinal)
PF_SESSION_CALL(C_DecryptInit,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key),
    (session, mech, key))
PF_ONESHOT_CALL(C_Decrypt)
PF_UPDATE_OUT_CALL(C_DecryptUpdate, C_DecryptFinal)
PF_FINAL_CALL(C_DecryptFinal)
PF_SESSION_CALL(C_DigestInit,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech), (session, mech))
PF_ONESHOT_CALL(C_Digest)
PF_UPDATE_CALL(C_DigestUpdate, C_DigestFinal)
PF_FINAL_CALL(C_DigestFinal)
PF_SESSION_CALL(C_SignInit,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key),
    (session, mech, key))
PF_ONESHOT_CALL(C_Sign)
PF_UPDATE_CALL(C_SignUpdate, C_SignFinal)
PF_FINAL_CALL(C_SignFinal)
PF_SESSION_CALL(C_SignRecoverInit,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key),
    (session, mech, key))
PF_ONESHOT_CALL(C_SignRecover)
PF_SESSION_CALL(C_VerifyInit,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key),
    (session, mech, key))
PF_SESSION_CALL(C_VerifyRecoverInit,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key),
    (session, mech, key))
PF_ONESHOT_CALL(C_VerifyRecover)
/* Two operations at once; SoftHSM has none, so nothing to finish. */
PF_SESSION_CALL(C_DigestEncryptUpdate,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len,
	CK_BYTE_PTR enc, CK_ULONG_PTR enc_len),
    (session, part, part_len, enc, enc_len))
PF_SESSION_CALL(C_DecryptDigestUpdate,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR enc, CK_ULONG enc_len,
	CK_BYTE_PTR part, CK_ULONG_PTR part_len),
    (session, enc, enc_len, part, part_len))
PF_SESSION_CALL(C_SignEncryptUpdate,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG part_len,
	CK_BYTE_PTR enc, CK_ULONG_PTR enc_len),
    (session, part, part_len, enc, enc_len))
PF_SESSION_CALL(C_DecryptVerifyUpdate,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR enc, CK_ULONG enc_len,
	CK_BYTE_PTR part, CK_ULONG_PTR part_len),
    (session, enc, enc_len, part, part_len))
PF_SESSION_CALL(C_GenerateKey,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_ATTRIBUTE_PTR templ,
	CK_ULONG count, CK_OBJECT_HANDLE_PTR key),
    (session, mech, templ, count, key))
PF_SESSION_CALL(C_GenerateKeyPair,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech,
	CK_ATTRIBUTE_PTR pub_templ, CK_ULONG pub_count,
	CK_ATTRIBUTE_PTR priv_templ, CK_ULONG priv_count,
	CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv),
    (session, mech, pub_templ, pub_count, priv_templ, priv_count, pub, priv))
PF_SESSION_CALL(C_WrapKey,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech,
	CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key,
	CK_BYTE_PTR wrapped, CK_ULONG_PTR wrapped_len),
    (session, mech, wrapping_key, key, wrapped, wrapped_len))
PF_SESSION_CALL(C_UnwrapKey,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech,
	CK_OBJECT_HANDLE unwrapping_key, CK_BYTE_PTR wrapped,
	CK_ULONG wrapped_len, CK_ATTRIBUTE_PTR templ, CK_ULONG count,
	CK_OBJECT_HANDLE_PTR key),
    (session, mech, unwrapping_key, wrapped, wrapped_len, templ, count, key))
PF_SESSION_CALL(C_DeriveKey,
    (CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech,
	CK_OBJECT_HANDLE base_key, CK_ATTRIBUTE_PTR templ, CK_ULONG count,
	CK_OBJECT_HANDLE_PTR key),
    (session, mech, base_key, templ, count, key))
PF_SESSION_CALL(C_SeedRandom,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR seed, CK_ULONG seed_len),
    (session, seed, seed_len))
PF_SESSION_CALL(C_GenerateRandom,
    (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG out_len),
    (session, out, out_len))
PF_SESSION_CALL(C_GetFunctionStatus, (CK_SESSION_HANDLE session), (session))
PF_SESSION_CALL(C_CancelFunction, (CK_SESSION_HANDLE session), (session))

static CK_RV
pf_C_DigestKey(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_DigestKey, PF_TARGET_SESSION, session);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_DigestKey(session, key);
	else if (pf_ends_operation(&c, rv))
		pf_finish_final(pf_real->C_DigestFinal, session);
	return pf_leave(&c, rv);
}

/* Verification has no output to throw away: run the real call instead. */
static CK_RV
pf_C_Verify(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len,
    CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_Verify, PF_TARGET_SESSION, session);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_Verify(session, data, data_len, sig, sig_len);
	else if (pf_ends_operation(&c, rv))
		(void)pf_real->C_Verify(session, data, data_len, sig, sig_len);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_VerifyUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part,
    CK_ULONG part_len)
{
	struct pf_call c;
	CK_BYTE none = 0;
	CK_RV rv;

	pf_call_init(&c, PF_C_VerifyUpdate, PF_TARGET_SESSION, session);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_VerifyUpdate(session, part, part_len);
	else if (pf_ends_operation(&c, rv))
		(void)pf_real->C_VerifyFinal(session, &none, 1);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_VerifyFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_VerifyFinal, PF_TARGET_SESSION, session);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_VerifyFinal(session, sig, sig_len);
	else if (pf_ends_operation(&c, rv))
		(void)pf_real->C_VerifyFinal(session, sig, sig_len);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_CloseSession(CK_SESSION_HANDLE session)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_CloseSession, PF_TARGET_SESSION, session);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_CloseSession(session);
	if (rv == CKR_OK && !c.injected)
		pf_session_closed(session);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_GetSessionInfo(CK_SESSION_HANDLE session, CK_SESSION_INFO_PTR info)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_GetSessionInfo, PF_TARGET_SESSION, session);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_GetSessionInfo(session, info);
	if (rv == CKR_OK && !c.injected && info != NULL) {
		pf_lock();
		info->slotID = pf_slot_visible_locked(info->slotID);
		pf_unlock();
	}
	return pf_leave(&c, rv);
}

/* ---- calls on a slot --------------------------------------------------- */

static CK_RV
pf_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_GetSlotInfo, PF_TARGET_SLOT, slot);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_GetSlotInfo(c.real_slot, info);
	if (rv == CKR_OK && !c.injected && c.slot_removed && info != NULL)
		info->flags &= ~CKF_TOKEN_PRESENT;
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_GetTokenInfo, PF_TARGET_SLOT, slot);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_GetTokenInfo(c.real_slot, info);
	if (rv == CKR_OK && !c.injected && info != NULL) {
		info->flags = (info->flags & ~c.flags_clear) | c.flags_set;
		if (c.max_sessions > 0)
			info->ulMaxSessionCount = info->ulMaxRwSessionCount =
			    c.max_sessions;
	}
	return pf_leave(&c, rv);
}

/*
 * The real module's mechanism list less the hidden ones, with the usual
 * two-call protocol: *count is how many there are, CKR_BUFFER_TOO_SMALL
 * when list cannot hold them.
 */
static CK_RV
pf_mech_list(CK_SLOT_ID real_slot, CK_MECHANISM_TYPE_PTR list,
    CK_ULONG_PTR count)
{
	struct pf_mechs mechs;
	CK_MECHANISM_TYPE *all = NULL;
	CK_ULONG n = 0, i, shown = 0;
	CK_RV rv = CKR_OK;
	int tries;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	/* The list is the token's: it may change between the two calls. */
	for (tries = 0; tries < 4; tries++) {
		CK_MECHANISM_TYPE *p;

		if ((rv = pf_real->C_GetMechanismList(real_slot, NULL, &n)) !=
		    CKR_OK)
			goto out;
		if ((p = realloc(all, (n + 1) * sizeof(*all))) == NULL) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		all = p;
		rv = pf_real->C_GetMechanismList(real_slot, all, &n);
		if (rv != CKR_BUFFER_TOO_SMALL)
			break;
	}
	if (rv != CKR_OK)
		goto out;
	pf_mechs_get(&mechs);
	for (i = 0; i < n; i++) {
		const struct pf_mech *m = pf_mechs_find(&mechs, all[i]);

		if (m == NULL || !m->hidden)
			all[shown++] = all[i];
	}
	if (list != NULL && *count < shown)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (list != NULL)
		memcpy(list, all, shown * sizeof(*list));
	*count = shown;
out:
	free(all);
	return rv;
}

static CK_RV
pf_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
    CK_ULONG_PTR count)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_GetMechanismList, PF_TARGET_SLOT, slot);
	if (pf_enter(&c, &rv))
		rv = pf_mech_list(c.real_slot, list, count);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
    CK_MECHANISM_INFO_PTR info)
{
	struct pf_mechs mechs;
	const struct pf_mech *m;
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_GetMechanismInfo, PF_TARGET_SLOT, slot);
	if (!pf_enter(&c, &rv))
		return pf_leave(&c, rv);
	pf_mechs_get(&mechs);
	if ((m = pf_mechs_find(&mechs, type)) != NULL && m->hidden) {
		/* What a token without the mechanism says. */
		c.injected = 1;
		return pf_leave(&c, CKR_MECHANISM_INVALID);
	}
	rv = pf_real->C_GetMechanismInfo(c.real_slot, type, info);
	if (rv == CKR_OK && m != NULL && info != NULL &&
	    info->ulMaxKeySize > m->max_bits)
		info->ulMaxKeySize = m->max_bits;
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR so_pin, CK_ULONG so_pin_len,
    CK_UTF8CHAR_PTR label)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_InitToken, PF_TARGET_SLOT, slot);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_InitToken(c.real_slot, so_pin, so_pin_len,
		    label);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app,
    CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_OpenSession, PF_TARGET_SLOT, slot);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_OpenSession(c.real_slot, flags, app, notify,
		    session);
	if (rv == CKR_OK && !c.injected && session != NULL)
		pf_session_opened(c.real_slot, *session);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_CloseAllSessions(CK_SLOT_ID slot)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_CloseAllSessions, PF_TARGET_SLOT, slot);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_CloseAllSessions(c.real_slot);
	if (rv == CKR_OK && !c.injected)
		pf_sessions_forget(0, c.real_slot);
	return pf_leave(&c, rv);
}

/* ---- calls on the module ----------------------------------------------- */

static CK_RV
pf_C_Initialize(CK_VOID_PTR args)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_Initialize, PF_TARGET_NONE, 0);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_Initialize(args);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_Finalize(CK_VOID_PTR reserved)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_Finalize, PF_TARGET_NONE, 0);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_Finalize(reserved);
	if (rv == CKR_OK && !c.injected)
		pf_sessions_forget(1, 0);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_GetInfo(CK_INFO_PTR info)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_GetInfo, PF_TARGET_NONE, 0);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_GetInfo(info);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR list,
    CK_ULONG_PTR count)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_GetSlotList, PF_TARGET_NONE, 0);
	if (pf_enter(&c, &rv))
		rv = pf_slot_list(token_present, list, count);
	return pf_leave(&c, rv);
}

static CK_RV
pf_C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR rsvd)
{
	struct pf_call c;
	CK_RV rv;

	pf_call_init(&c, PF_C_WaitForSlotEvent, PF_TARGET_NONE, 0);
	if (pf_enter(&c, &rv))
		rv = pf_real->C_WaitForSlotEvent(flags, slot, rsvd);
	if (rv == CKR_OK && !c.injected && slot != NULL) {
		pf_lock();
		*slot = pf_slot_visible_locked(*slot);
		pf_unlock();
	}
	return pf_leave(&c, rv);
}

/* ---- the list ---------------------------------------------------------- */

static CK_RV pf_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

/* Our wrappers are the 2.40 list, whatever the real module says it has. */
static CK_FUNCTION_LIST pf_list = {
	.version = { CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR },
#define PF_ENTRY(name) .name = pf_##name,
	PF_FUNCTIONS(PF_ENTRY)
#undef PF_ENTRY
};

static CK_RV
pf_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	struct pf_call c;
	CK_RV rv = CKR_OK;

	pf_call_init(&c, PF_C_GetFunctionList, PF_TARGET_NONE, 0);
	if (pf_init() != 0) {
		/* Faults the test did not ask for are worse than none. */
		c.injected = 1;
		rv = CKR_GENERAL_ERROR;
	} else if (list == NULL) {
		rv = CKR_ARGUMENTS_BAD;
	} else if (pf_enter(&c, &rv)) {
		*list = &pf_list;
	}
	return pf_leave(&c, rv);
}

PF_EXPORT CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	return pf_C_GetFunctionList(list);
}
