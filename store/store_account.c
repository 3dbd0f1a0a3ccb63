/* store_account.c - account rows (RFC 8555 §7.3): create, look up, contacts, status, key rollover */
/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

#define ACCOUNT_COLS \
	"id, status, jwk, thumbprint, contacts, tos_agreed, eab_kid, created, " \
	"eab_binding"

/* Contacts are stored newline-joined; a contact holding '\n' is refused. */
static int
join_contacts(const char (*contact)[ACME_CONTACT_SIZE], size_t n, char *buf,
    size_t size)
{
	size_t	 i, len, o = 0;

	if (n > ACME_MAX_CONTACTS)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strnlen(contact[i], ACME_CONTACT_SIZE);
		if (len == ACME_CONTACT_SIZE || len == 0 ||
		    memchr(contact[i], '\n', len) != NULL)
			return -1;
		if (o + len + 2 > size)
			return -1;
		if (i > 0)
			buf[o++] = '\n';
		memcpy(buf + o, contact[i], len);
		o += len;
		buf[o] = '\0';
	}
	return 0;
}

static int
split_contacts(const char *s, struct acme_account *a)
{
	const char	*p = s, *nl;
	size_t		 len;

	a->ncontact = 0;
	while (*p != '\0') {
		if (a->ncontact == ACME_MAX_CONTACTS)
			return -1;
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len >= ACME_CONTACT_SIZE)
			return -1;
		memcpy(a->contact[a->ncontact], p, len);
		a->contact[a->ncontact][len] = '\0';
		a->ncontact++;
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

/* Fill *out from a row of ACCOUNT_COLS. */
static enum store_status
read_account(struct store *st, sqlite3_stmt *q, struct acme_account *out)
{
	if (store_col_copy(q, 0, out->id, sizeof(out->id)) != 0 ||
	    acme_account_status_parse((const char *)sqlite3_column_text(q, 1),
	    &out->status) != 0 ||
	    store_col_copy(q, 3, out->thumbprint, sizeof(out->thumbprint)) != 0 ||
	    split_contacts((const char *)sqlite3_column_text(q, 4), out) != 0 ||
	    store_col_copy(q, 6, out->eab_kid, sizeof(out->eab_kid)) != 0)
		return store_fail_msg(st, "account", "malformed row");
	out->tos_agreed = sqlite3_column_int(q, 5) != 0;
	out->created = (time_t)sqlite3_column_int64(q, 7);
	if ((out->jwk = store_col_dup(q, 2)) == NULL ||
	    (sqlite3_column_type(q, 8) != SQLITE_NULL &&
	    (out->eab = store_col_dup(q, 8)) == NULL))
		return store_fail_msg(st, "account", "out of memory");
	return STORE_OK;
}

enum store_status
store_account_create(struct store *st, struct acme_account *a)
{
	sqlite3_stmt		*q = NULL;
	char			 contacts[ACME_MAX_CONTACTS * ACME_CONTACT_SIZE];
	char			 id[ACME_ID_SIZE];
	time_t			 created;
	enum store_status	 rc = STORE_ERR;

	if (a->jwk == NULL || a->thumbprint[0] == '\0') {
		rc = store_fail_msg(st, "account_create", "no key");
		goto out;
	}
	if (join_contacts((const char (*)[ACME_CONTACT_SIZE])a->contact,
	    a->ncontact, contacts, sizeof(contacts)) != 0) {
		rc = store_fail_msg(st, "account_create", "bad contact list");
		goto out;
	}
	if (store_new_id(id) != 0) {
		rc = store_fail_msg(st, "account_create", "getrandom failed");
		goto out;
	}
	created = a->created != 0 ? a->created : time(NULL);
	if ((q = store_prep(st, STMT_ACCOUNT_INSERT,
	    "INSERT INTO accounts (" ACCOUNT_COLS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) == NULL)
		goto out;
	if (store_bind_text(q, 1, id) != 0 ||
	    store_bind_text(q, 2, acme_account_status_str(a->status)) != 0 ||
	    store_bind_text(q, 3, a->jwk) != 0 ||
	    store_bind_text(q, 4, a->thumbprint) != 0 ||
	    store_bind_text(q, 5, contacts) != 0 ||
	    sqlite3_bind_int(q, 6, a->tos_agreed ? 1 : 0) != SQLITE_OK ||
	    store_bind_text(q, 7, a->eab_kid) != 0 ||
	    sqlite3_bind_int64(q, 8, (sqlite3_int64)created) != SQLITE_OK ||
	    (a->eab != NULL ? store_bind_text(q, 9, a->eab) != 0 :
	    sqlite3_bind_null(q, 9) != SQLITE_OK)) {
		rc = store_fail(st, "account_create");
		goto out;
	}
	/* One statement: the UNIQUE thumbprint makes concurrent creates safe. */
	if ((rc = store_step_done(st, q, "account_create")) != STORE_OK)
		goto out;
	memcpy(a->id, id, sizeof(a->id));
	a->created = created;
out:
	store_reset(q);
	return rc;
}

static enum store_status
account_get(struct store *st, enum store_stmt slot, const char *sql,
    const char *key, struct acme_account *out)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	acme_account_clear(out);
	if ((q = store_prep(st, slot, sql)) == NULL)
		goto out;
	if (store_bind_text(q, 1, key) != 0) {
		rc = store_fail(st, "account_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "account_get")) != STORE_OK)
		goto out;
	rc = read_account(st, q, out);
out:
	store_reset(q);
	if (rc != STORE_OK)
		acme_account_clear(out);
	return rc;
}

enum store_status
store_account_get(struct store *st, const char *id, struct acme_account *out)
{
	return account_get(st, STMT_ACCOUNT_GET,
	    "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1", id, out);
}

enum store_status
store_account_get_by_thumbprint(struct store *st, const char *thumbprint,
    struct acme_account *out)
{
	return account_get(st, STMT_ACCOUNT_GET_TP,
	    "SELECT " ACCOUNT_COLS " FROM accounts WHERE thumbprint = ?1",
	    thumbprint, out);
}

static enum store_status
account_exists(struct store *st, const char *id)
{
	return store_exists(st, STMT_ACCOUNT_EXISTS,
	    "SELECT 1 FROM accounts WHERE id = ?1", id, "account_exists");
}

enum store_status
store_account_update_contacts(struct store *st, const char *id,
    const char (*contact)[ACME_CONTACT_SIZE], size_t n)
{
	sqlite3_stmt		*q = NULL;
	char			 contacts[ACME_MAX_CONTACTS * ACME_CONTACT_SIZE];
	enum store_status	 rc = STORE_ERR;

	if (join_contacts(contact, n, contacts, sizeof(contacts)) != 0) {
		rc = store_fail_msg(st, "account_update_contacts",
		    "bad contact list");
		goto out;
	}
	if ((q = store_prep(st, STMT_ACCOUNT_SET_CONTACTS,
	    "UPDATE accounts SET contacts = ?2 WHERE id = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, id) != 0 ||
	    store_bind_text(q, 2, contacts) != 0) {
		rc = store_fail(st, "account_update_contacts");
		goto out;
	}
	if ((rc = store_step_done(st, q, "account_update_contacts")) !=
	    STORE_OK)
		goto out;
	if (sqlite3_changes(st->db) == 0)
		rc = STORE_NOTFOUND;
out:
	store_reset(q);
	return rc;
}

enum store_status
store_account_set_status(struct store *st, const char *id,
    enum acme_account_status from, enum acme_account_status to)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;
	int			 changed;

	if ((q = store_prep(st, STMT_ACCOUNT_SET_STATUS,
	    "UPDATE accounts SET status = ?3 WHERE id = ?1 AND status = ?2"))
	    == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, id) != 0 ||
	    store_bind_text(q, 2, acme_account_status_str(from)) != 0 ||
	    store_bind_text(q, 3, acme_account_status_str(to)) != 0) {
		rc = store_fail(st, "account_set_status");
		goto out;
	}
	rc = store_step_done(st, q, "account_set_status");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	if (rc != STORE_OK)
		goto out;
	if (changed == 0)
		rc = account_exists(st, id) == STORE_OK ? STORE_CONFLICT :
		    STORE_NOTFOUND;
out:
	store_reset(q);
	return rc;
}

enum store_status
store_account_set_key(struct store *st, const char *id, const char *old_tp,
    const char *new_jwk, const char *new_tp)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	/*
	 * RFC 8555 §7.3.5: one statement, so the old-key check and the
	 * swap are atomic; the UNIQUE thumbprint refuses a key in use.
	 */
	if ((q = store_prep(st, STMT_ACCOUNT_SET_KEY,
	    "UPDATE accounts SET jwk = ?3, thumbprint = ?4 "
	    "WHERE id = ?1 AND thumbprint = ?2")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, id) != 0 ||
	    store_bind_text(q, 2, old_tp) != 0 ||
	    store_bind_text(q, 3, new_jwk) != 0 ||
	    store_bind_text(q, 4, new_tp) != 0) {
		rc = store_fail(st, "account_set_key");
		goto out;
	}
	if ((rc = store_step_done(st, q, "account_set_key")) != STORE_OK)
		goto out;
	if (sqlite3_changes(st->db) == 0)
		rc = STORE_NOTFOUND;
out:
	store_reset(q);
	return rc;
}
