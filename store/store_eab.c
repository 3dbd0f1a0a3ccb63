/* store_eab.c - external account binding keys (RFC 8555 §7.3.4): create, look up, use once or many times, list, remove */
/* SPDX-License-Identifier: MIT */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

enum store_status
store_eab_create(struct store *st, const struct store_eab *k)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if (k->keylen == 0 || k->keylen > sizeof(k->key))
		return store_fail_msg(st, "eab_create", "bad key length");
	if ((q = store_prepare(st, "INSERT INTO eab_keys (kid, hmac_key, single_use, "
	    "created) VALUES (?1, ?2, ?3, ?4)", "eab_create")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, k->kid) != 0 ||
	    sqlite3_bind_blob(q, 2, k->key, (int)k->keylen, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(q, 3, k->single_use ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 4, (sqlite3_int64)(k->created != 0 ?
	    k->created : time(NULL))) != SQLITE_OK) {
		rc = store_fail(st, "eab_create");
		goto out;
	}
	rc = store_step_done(st, q, "eab_create");
out:
	sqlite3_finalize(q);
	return rc;
}

static enum store_status
eab_row(struct store *st, sqlite3_stmt *q, struct store_eab *out)
{
	const void	*blob = sqlite3_column_blob(q, 1);
	int		 n = sqlite3_column_bytes(q, 1);

	memset(out, 0, sizeof(*out));
	if (store_col_copy(q, 0, out->kid, sizeof(out->kid)) != 0 ||
	    n <= 0 || (size_t)n > sizeof(out->key) ||
	    store_col_copy(q, 4, out->last_account,
	    sizeof(out->last_account)) != 0)
		return store_fail_msg(st, "eab", "malformed row");
	memcpy(out->key, blob, (size_t)n);
	out->keylen = (size_t)n;
	out->single_use = sqlite3_column_int(q, 2) != 0;
	out->uses = (unsigned)sqlite3_column_int(q, 3);
	out->created = (time_t)sqlite3_column_int64(q, 5);
	return STORE_OK;
}

#define EAB_COLS "kid, hmac_key, single_use, uses, last_account, created"

enum store_status
store_eab_get(struct store *st, const char *kid, struct store_eab *out)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	memset(out, 0, sizeof(*out));
	if ((q = store_prepare(st, "SELECT " EAB_COLS " FROM eab_keys WHERE kid = ?1",
	    "eab_get")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, kid) != 0) {
		rc = store_fail(st, "eab_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "eab_get")) == STORE_OK)
		rc = eab_row(st, q, out);
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_eab_use(struct store *st, const char *kid, const char *account_id)
{
	sqlite3_stmt		*q;
	struct store_eab	 k;
	enum store_status	 rc = STORE_ERR;

	if ((q = store_prepare(st, "UPDATE eab_keys SET uses = uses + 1, "
	    "last_account = ?2 WHERE kid = ?1 AND (single_use = 0 OR "
	    "uses = 0)", "eab_use")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, kid) != 0 ||
	    store_bind_text(q, 2, account_id) != 0) {
		rc = store_fail(st, "eab_use");
		goto out;
	}
	if ((rc = store_step_done(st, q, "eab_use")) != STORE_OK)
		goto out;
	if (sqlite3_changes(st->db) != 1) {
		rc = store_eab_get(st, kid, &k);
		memset(&k, 0, sizeof(k));
		if (rc == STORE_OK)
			rc = STORE_CONFLICT;
	}
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_eab_remove(struct store *st, const char *kid)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((q = store_prepare(st, "DELETE FROM eab_keys WHERE kid = ?1",
	    "eab_remove")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, kid) != 0) {
		rc = store_fail(st, "eab_remove");
		goto out;
	}
	if ((rc = store_step_done(st, q, "eab_remove")) == STORE_OK &&
	    sqlite3_changes(st->db) != 1)
		rc = STORE_NOTFOUND;
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_eab_list(struct store *st,
    int (*cb)(const struct store_eab *k, void *arg), void *arg)
{
	sqlite3_stmt		*q;
	struct store_eab	 k;
	enum store_status	 rc = STORE_OK;
	int			 s;

	if ((q = store_prepare(st, "SELECT " EAB_COLS " FROM eab_keys "
	    "ORDER BY created, kid", "eab_list")) == NULL)
		return STORE_ERR;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		if ((rc = eab_row(st, q, &k)) != STORE_OK)
			break;
		memset(k.key, 0, sizeof(k.key));
		k.keylen = 0;
		if (cb(&k, arg) != 0)
			break;
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		rc = store_fail(st, "eab_list");
	sqlite3_finalize(q);
	return rc;
}
