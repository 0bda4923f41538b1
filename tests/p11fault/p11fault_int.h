/*
 * Internals of libp11fault, the fault-injecting PKCS#11 module used by the
 * tests (README.md in this directory describes what it does and why).
 */
#ifndef P11FAULT_INT_H
#define P11FAULT_INT_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

/* The library is built with hidden visibility; these few are its face. */
#define PF_EXPORT __attribute__((visibility("default")))

/* Every function of a PKCS#11 2.40 function list, in one place. */
#define PF_FUNCTIONS(X)          \
	X(C_Initialize)          \
	X(C_Finalize)            \
	X(C_GetInfo)             \
	X(C_GetFunctionList)     \
	X(C_GetSlotList)         \
	X(C_GetSlotInfo)         \
	X(C_GetTokenInfo)        \
	X(C_GetMechanismList)    \
	X(C_GetMechanismInfo)    \
	X(C_InitToken)           \
	X(C_InitPIN)             \
	X(C_SetPIN)              \
	X(C_OpenSession)         \
	X(C_CloseSession)        \
	X(C_CloseAllSessions)    \
	X(C_GetSessionInfo)      \
	X(C_GetOperationState)   \
	X(C_SetOperationState)   \
	X(C_Login)               \
	X(C_Logout)              \
	X(C_CreateObject)        \
	X(C_CopyObject)          \
	X(C_DestroyObject)       \
	X(C_GetObjectSize)       \
	X(C_GetAttributeValue)   \
	X(C_SetAttributeValue)   \
	X(C_FindObjectsInit)     \
	X(C_FindObjects)         \
	X(C_FindObjectsFinal)    \
	X(C_EncryptInit)         \
	X(C_Encrypt)             \
	X(C_EncryptUpdate)       \
	X(C_EncryptFinal)        \
	X(C_DecryptInit)         \
	X(C_Decrypt)             \
	X(C_DecryptUpdate)       \
	X(C_DecryptFinal)        \
	X(C_DigestInit)          \
	X(C_Digest)              \
	X(C_DigestUpdate)        \
	X(C_DigestKey)           \
	X(C_DigestFinal)         \
	X(C_SignInit)            \
	X(C_Sign)                \
	X(C_SignUpdate)          \
	X(C_SignFinal)           \
	X(C_SignRecoverInit)     \
	X(C_SignRecover)         \
	X(C_VerifyInit)          \
	X(C_Verify)              \
	X(C_VerifyUpdate)        \
	X(C_VerifyFinal)         \
	X(C_VerifyRecoverInit)   \
	X(C_VerifyRecover)       \
	X(C_DigestEncryptUpdate) \
	X(C_DecryptDigestUpdate) \
	X(C_SignEncryptUpdate)   \
	X(C_DecryptVerifyUpdate) \
	X(C_GenerateKey)         \
	X(C_GenerateKeyPair)     \
	X(C_WrapKey)             \
	X(C_UnwrapKey)           \
	X(C_DeriveKey)           \
	X(C_SeedRandom)          \
	X(C_GenerateRandom)      \
	X(C_GetFunctionStatus)   \
	X(C_CancelFunction)      \
	X(C_WaitForSlotEvent)

enum pf_func {
#define PF_ENUM(name) PF_##name,
	PF_FUNCTIONS(PF_ENUM)
#undef PF_ENUM
	    PF_NFUNC
};

enum pf_action_kind {
	PF_ACT_RV,             /* return a CK_RV instead of the real result */
	PF_ACT_HANG,           /* sleep, then go on */
	PF_ACT_CLOSE_SESSIONS, /* real C_CloseAllSessions on the slot */
	PF_ACT_REMOVE,         /* pull the token out of its slot */
	PF_ACT_REINSERT,       /* put it back, under a new slot id */
	PF_ACT_FLAGS           /* change C_GetTokenInfo's flags */
};

struct pf_rule {
	enum pf_func fn;
	unsigned long first; /* first call it fires on, counting from 1 */
	unsigned long last;  /* last one, ULONG_MAX for "from then on" */
	enum pf_action_kind kind;
	CK_RV rv;
	unsigned long hang_ms;
	CK_FLAGS flags_set, flags_clear;
};

#define PF_MAX_RULES 64

struct pf_rules {
	struct pf_rule rule[PF_MAX_RULES];
	size_t n;
};

/*
 * Parse a P11FAULT rule list into rules. Returns 0, or -1 with a sentence
 * naming the bad rule in err. An empty or NULL text is no rules.
 */
int pf_rules_parse(const char *text, struct pf_rules *rules, char *err,
    size_t errlen);
/* Parse "+CKF_X-CKF_Y..." (P11FAULT_TOKEN_FLAGS, and flags: actions). */
int pf_flags_parse(const char *text, CK_FLAGS *set, CK_FLAGS *clear, char *err,
    size_t errlen);

/*
 * P11FAULT_MECHANISMS: what the token says of its mechanisms. A hidden one
 * is left out of C_GetMechanismList and C_GetMechanismInfo refuses it; a
 * capped one reports keys of at most max_bits.
 */
struct pf_mech {
	CK_MECHANISM_TYPE type;
	int hidden;
	unsigned long max_bits; /* 0: as the real module says */
};

#define PF_MAX_MECHS 32

struct pf_mechs {
	struct pf_mech mech[PF_MAX_MECHS];
	size_t n;
};

/* Parse "-CKM_X, CKM_Y<=BITS, ..."; like pf_rules_parse. */
int pf_mechs_parse(const char *text, struct pf_mechs *mechs, char *err,
    size_t errlen);
/* The change for one mechanism, or NULL. */
const struct pf_mech *
pf_mechs_find(const struct pf_mechs *mechs, CK_MECHANISM_TYPE type);
/* A copy of P11FAULT_MECHANISMS as it is in force now. */
void pf_mechs_get(struct pf_mechs *out);

/* Names: "C_Sign" for PF_C_Sign, "CKR_OK" for 0; NULL when unknown. */
const char *pf_func_name(enum pf_func fn);
const char *pf_rv_name(CK_RV rv);

/* ---- one call through the module (p11fault.c) ---- */

enum pf_target {
	PF_TARGET_NONE,   /* no slot or session argument */
	PF_TARGET_SLOT,   /* the first argument is a slot id */
	PF_TARGET_SESSION /* the first argument is a session handle */
};

struct pf_call {
	enum pf_func fn;
	enum pf_target target;
	CK_ULONG handle; /* slot id or session handle, as the client sees */
	CK_SLOT_ID real_slot; /* the slot id to give the real module */
	int have_slot;        /* real_slot is known */
	int slot_removed;     /* the slot's token is out (C_GetSlotInfo) */
	int injected;         /* the result comes from p11fault */
	CK_FLAGS flags_set, flags_clear; /* for C_GetTokenInfo */
	CK_ULONG max_sessions;           /* for C_GetTokenInfo; 0: as is */
};

/* The real module's function list; set before ours is handed out. */
extern CK_FUNCTION_LIST *pf_real;

void pf_call_init(struct pf_call *c, enum pf_func fn, enum pf_target target,
    CK_ULONG handle);
/*
 * Count the call and run the rules that match it. Returns 1 when the caller
 * should forward it to the real module, 0 when *rv is the result already.
 */
int pf_enter(struct pf_call *c, CK_RV *rv);
/* Log the call and its result; returns rv. */
CK_RV pf_leave(const struct pf_call *c, CK_RV rv);
/* Set up (once): load the real module and read the environment. */
int pf_init(void);

void pf_lock(void);
void pf_unlock(void);

/* ---- slots and sessions (slots.c); _locked: hold pf_lock ---- */

enum pf_slot_state {
	PF_SLOT_UNKNOWN, /* never listed: passed through as it is */
	PF_SLOT_PRESENT,
	PF_SLOT_REMOVED,
	PF_SLOT_RETIRED /* an old id of a slot that was renumbered */
};

enum pf_slot_state pf_slot_resolve_locked(CK_SLOT_ID visible, CK_SLOT_ID *real);
CK_SLOT_ID pf_slot_visible_locked(CK_SLOT_ID real);
int pf_slot_removed_locked(CK_SLOT_ID real);
/* The real module's slot list, mapped to the ids the client sees. */
CK_RV pf_slot_list(CK_BBOOL token_present, CK_SLOT_ID *list, CK_ULONG *count);
/* Faults on one real slot, or (all = 1) on every slot. */
void pf_slots_close_sessions(int all, CK_SLOT_ID real);
void pf_slots_remove(int all, CK_SLOT_ID real);
void pf_slots_reinsert(int all, CK_SLOT_ID real);
/* Every token back in, with its first slot id. */
void pf_slots_reset_locked(void);

/* Returns 1 and the slot when the session was opened through us. */
int
pf_session_find_locked(CK_SESSION_HANDLE h, CK_SLOT_ID *real_slot, int *dead);
void pf_session_opened(CK_SLOT_ID real_slot, CK_SESSION_HANDLE h);
void pf_session_closed(CK_SESSION_HANDLE h);
void pf_sessions_forget(int all, CK_SLOT_ID real_slot);

#endif /* P11FAULT_INT_H */
