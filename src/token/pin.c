/*
 * Changing the user PIN (C_SetPIN), and the small public data objects a
 * token carries for signet (a quorum's split marker): read without a
 * login, written by the logged-in user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token/token_int.h"

#define TOKEN_DATA_MAX 4096
#define TOKEN_DATA_APPLICATION "signet"

int
signet_token_set_pin(struct signet_token *tok, const char *pin, size_t len)
{
	int r = SIGNET_ERR_INTERNAL;
	struct signet_secret *fresh = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	const char *old;
	size_t old_len = 0;
	int locked = 0;
	CK_RV rv;

	if (!tok->login_required || tok->pin == NULL) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' needs no login, so it has no user PIN to "
		    "change",
		    tok->label);
		goto out;
	}
	if ((r = secret_from_bytes(pin, len, &fresh)) != 0)
		goto out;
	TOKEN_CHECK(token_info_read(tok->mod, tok->slot, &ti),
	    "cannot read the state of token '%s'", tok->label);
	if (len < ti.ulMinPinLen ||
	    (ti.ulMaxPinLen > 0 && len > ti.ulMaxPinLen)) {
		r = signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' takes PINs of %lu to %lu characters, not %zu",
		    tok->label, (unsigned long)ti.ulMinPinLen,
		    (unsigned long)ti.ulMaxPinLen, len);
		goto out;
	}
	if ((r = token_rw_session_open(tok, &s)) != 0)
		goto out;
	/* SoftHSM rewrites the token's file: as for a login, under the lock. */
	if ((r = token_module_lock(tok->mod)) != 0)
		goto out;
	locked = 1;
	old = secret_get0(tok->pin, &old_len);
	rv = tok->fl->C_SetPIN(s, (CK_UTF8CHAR_PTR)old, old_len,
	    (CK_UTF8CHAR_PTR)pin, len);
	if (token_rv_class(rv) != TOKEN_RV_OK) {
		r = token_error_ckr(0, rv,
		    "changing the user PIN of token '%s' (serial %s)",
		    tok->label, tok->serial);
		goto out;
	}
	/* A lost session logs in again with the PIN the token now has. */
	secret_free(tok->pin);
	tok->pin = fresh;
	fresh = NULL;
	r = 0;
out:
	if (locked)
		token_module_unlock(tok->mod);
	token_rw_session_close(tok, s);
	secret_free(fresh);
	return r;
}

/* The handles of public data objects labelled label, at most max. */
static int
data_find(struct signet_token *tok, CK_SESSION_HANDLE s, const char *label,
    CK_OBJECT_HANDLE *out, size_t max, size_t *n)
{
	struct token_key_ref ref;

	if (strlen(label) > SIGNET_KEY_LABEL_MAX)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "data object label too long");
	memset(&ref, 0, sizeof(ref));
	snprintf(ref.label, sizeof(ref.label), "%s", label);
	ref.has_label = 1;
	return token_objects_find(tok, s, CKO_DATA, &ref, out, max, n);
}

struct data_get_req {
	const char *label;
	uint8_t *value;
	size_t len;
};

static int
data_get_fn(struct signet_token *tok, CK_SESSION_HANDLE s, unsigned long gen,
    void *arg)
{
	struct data_get_req *req = arg;
	CK_OBJECT_HANDLE h[2];
	size_t n = 0;
	int r, absent = 0;

	(void)gen;
	if ((r = data_find(tok, s, req->label, h, 2, &n)) != 0)
		return r;
	if (n == 0)
		return 0;
	if (n > 1)
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s' holds %zu data objects labelled '%s'; expected "
		    "one",
		    tok->label, n, req->label);
	if ((r = token_attr_get(tok, s, h[0], CKA_VALUE, &req->value, &req->len,
		 &absent)) != 0)
		return r;
	if (absent || req->len > TOKEN_DATA_MAX) {
		free(req->value);
		req->value = NULL;
		return signet_error_set(SIGNET_ERR_TOKEN,
		    "token '%s': the data object labelled '%s' has no readable "
		    "value",
		    tok->label, req->label);
	}
	return 0;
}

int
signet_token_data_get(struct signet_token *tok, const char *label,
    uint8_t **out, size_t *len)
{
	struct data_get_req req = { label, NULL, 0 };
	int r;

	*out = NULL;
	*len = 0;
	if ((r = token_with_session(tok, data_get_fn, &req)) != 0)
		return r;
	*out = req.value;
	*len = req.len;
	return 0;
}

int
signet_token_data_set(struct signet_token *tok, const char *label,
    const uint8_t *value, size_t len)
{
	int r = SIGNET_ERR_INTERNAL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE h[8], created;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[6];
	size_t n = 0, i;

	if (len > TOKEN_DATA_MAX)
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "data object too large");
	if ((r = token_rw_session_open(tok, &s)) != 0)
		goto out;
	if ((r = data_find(tok, s, label, h, 8, &n)) != 0)
		goto out;
	for (i = 0; i < n && i < 8; i++)
		TOKEN_CHECK(tok->fl->C_DestroyObject(s, h[i]),
		    "cannot remove the data object '%s' from token '%s'", label,
		    tok->label);
	if (value == NULL) {
		r = 0;
		goto out;
	}
	tmpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tmpl[1] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	/* Public: read before the login it is there to protect. */
	tmpl[2] = (CK_ATTRIBUTE){ CKA_PRIVATE, &no, sizeof(no) };
	tmpl[3] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	tmpl[4] =
	    (CK_ATTRIBUTE){ CKA_APPLICATION, (void *)TOKEN_DATA_APPLICATION,
		    sizeof(TOKEN_DATA_APPLICATION) - 1 };
	tmpl[5] = (CK_ATTRIBUTE){ CKA_VALUE, (void *)value, len };
	TOKEN_CHECK(tok->fl->C_CreateObject(s, tmpl, 6, &created),
	    "cannot write the data object '%s' to token '%s'", label,
	    tok->label);
	r = 0;
out:
	token_rw_session_close(tok, s);
	return r;
}
