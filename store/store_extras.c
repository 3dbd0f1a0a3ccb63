/* store_extras.c - schema version 2: EAB keys, renewal info (RFC 9773), replacements, CRL numbers */
/* SPDX-License-Identifier: MIT */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store/store_internal.h"

/*
 * Migration 1 -> 2. These calls are rare (account creation, CRL
 * regeneration, operator commands), so their statements are prepared per
 * call rather than cached, which keeps store_internal.h's statement enum
 * untouched.
 */
const char store_migration_v2_sql[] =
	"CREATE TABLE eab_keys ("
	" kid TEXT PRIMARY KEY NOT NULL,"
	" hmac_key BLOB NOT NULL,"
	" single_use INTEGER NOT NULL DEFAULT 0,"
	" uses INTEGER NOT NULL DEFAULT 0,"
	" last_account TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL"
	");"
	"CREATE TABLE renewal_info ("
	" serial TEXT PRIMARY KEY NOT NULL REFERENCES certificates (serial),"
	" window_start INTEGER NOT NULL,"
	" window_end INTEGER NOT NULL,"
	" explanation_url TEXT NOT NULL DEFAULT ''"
	") WITHOUT ROWID;"
	/* RFC 9773 §5: has this certificate been replaced? */
	"CREATE INDEX orders_replaces ON orders (replaces, status)"
	" WHERE replaces <> '';"
	/* CRL building and its change stamp */
	"CREATE INDEX certificates_revoked ON certificates (serial, revoked_at)"
	" WHERE status = 'revoked';";

static sqlite3_stmt *
prep(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
		store_fail(st, what);
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

/* --- EAB keys --- */

enum store_status
store_eab_create(struct store *st, const struct store_eab *k)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if (k->keylen == 0 || k->keylen > sizeof(k->key))
		return store_fail_msg(st, "eab_create", "bad key length");
	if ((q = prep(st, "INSERT INTO eab_keys (kid, hmac_key, single_use, "
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
	if ((q = prep(st, "SELECT " EAB_COLS " FROM eab_keys WHERE kid = ?1",
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

	if ((q = prep(st, "UPDATE eab_keys SET uses = uses + 1, "
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

	if ((q = prep(st, "DELETE FROM eab_keys WHERE kid = ?1",
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

	if ((q = prep(st, "SELECT " EAB_COLS " FROM eab_keys "
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

/* --- renewal information (RFC 9773) --- */

enum store_status
store_renewal_info_set(struct store *st, const char *serial, time_t start,
    time_t end, const char *explanation_url)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((rc = store_exists(st, STMT_CERT_EXISTS,
	    "SELECT 1 FROM certificates WHERE serial = ?1", serial,
	    "renewal_info_set")) != STORE_OK)
		return rc;
	if ((q = prep(st, "INSERT OR REPLACE INTO renewal_info (serial, "
	    "window_start, window_end, explanation_url) VALUES "
	    "(?1, ?2, ?3, ?4)", "renewal_info_set")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0 ||
	    sqlite3_bind_int64(q, 2, (sqlite3_int64)start) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 3, (sqlite3_int64)end) != SQLITE_OK ||
	    store_bind_text(q, 4, explanation_url != NULL ?
	    explanation_url : "") != 0) {
		rc = store_fail(st, "renewal_info_set");
		goto out;
	}
	rc = store_step_done(st, q, "renewal_info_set");
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_renewal_info_get(struct store *st, const char *serial, time_t *start,
    time_t *end, char *url, size_t urlsz)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if (urlsz > 0)
		url[0] = '\0';
	if ((q = prep(st, "SELECT window_start, window_end, explanation_url "
	    "FROM renewal_info WHERE serial = ?1", "renewal_info_get")) ==
	    NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0) {
		rc = store_fail(st, "renewal_info_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "renewal_info_get")) != STORE_OK)
		goto out;
	*start = (time_t)sqlite3_column_int64(q, 0);
	*end = (time_t)sqlite3_column_int64(q, 1);
	if (store_col_copy(q, 2, url, urlsz) != 0)
		rc = store_fail_msg(st, "renewal_info_get", "URL too long");
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_order_replaced(struct store *st, const char *certid,
    const char *except_order_id, bool *replaced)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	*replaced = false;
	if ((q = prep(st, "SELECT 1 FROM orders WHERE replaces = ?1 AND "
	    "status = 'valid' AND id <> ?2 LIMIT 1", "order_replaced")) ==
	    NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, certid) != 0 ||
	    store_bind_text(q, 2, except_order_id != NULL ?
	    except_order_id : "") != 0) {
		rc = store_fail(st, "order_replaced");
		goto out;
	}
	rc = store_step_row(st, q, "order_replaced");
	if (rc == STORE_OK)
		*replaced = true;
	if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
out:
	sqlite3_finalize(q);
	return rc;
}

/* --- revocation set, CRL numbers --- */

enum store_status
store_cert_list_revoked(struct store *st,
    int (*cb)(const struct acme_cert *cert, void *arg), void *arg)
{
	sqlite3_stmt		*q;
	struct acme_cert	 c;
	enum store_status	 rc = STORE_OK;
	int			 s;

	memset(&c, 0, sizeof(c));
	if ((q = prep(st, "SELECT serial, revocation_reason, revoked_at, "
	    "not_before, not_after, pem, chain_pem FROM certificates "
	    "WHERE status = 'revoked' ORDER BY serial", "cert_list_revoked"))
	    == NULL)
		return STORE_ERR;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		acme_cert_clear(&c);
		c.status = ACME_CERT_REVOKED;
		if (store_col_copy(q, 0, c.serial, sizeof(c.serial)) != 0) {
			rc = store_fail_msg(st, "cert_list_revoked",
			    "malformed row");
			break;
		}
		c.revocation_reason = sqlite3_column_int(q, 1);
		c.revoked_at = (time_t)sqlite3_column_int64(q, 2);
		c.not_before = (time_t)sqlite3_column_int64(q, 3);
		c.not_after = (time_t)sqlite3_column_int64(q, 4);
		if ((c.pem = store_col_dup(q, 5)) == NULL ||
		    (c.chain_pem = store_col_dup(q, 6)) == NULL) {
			rc = store_fail_msg(st, "cert_list_revoked",
			    "out of memory");
			break;
		}
		if (cb(&c, arg) != 0)
			break;
	}
	if (rc == STORE_OK && s != SQLITE_ROW && s != SQLITE_DONE)
		rc = store_fail(st, "cert_list_revoked");
	acme_cert_clear(&c);
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_revocation_stamp(struct store *st, size_t *count, time_t *latest)
{
	sqlite3_stmt		*q;
	enum store_status	 rc;

	*count = 0;
	*latest = 0;
	if ((q = prep(st, "SELECT count(*), coalesce(max(revoked_at), 0) "
	    "FROM certificates WHERE status = 'revoked'",
	    "revocation_stamp")) == NULL)
		return STORE_ERR;
	if ((rc = store_step_row(st, q, "revocation_stamp")) == STORE_OK) {
		*count = (size_t)sqlite3_column_int64(q, 0);
		*latest = (time_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_counter_next(struct store *st, const char *key, uint64_t *out)
{
	char			*v = NULL, *end, buf[32];
	unsigned long long	 n = 0;
	enum store_status	 rc;

	*out = 0;
	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	rc = store_meta_get(st, key, &v);
	if (rc == STORE_OK) {
		n = strtoull(v, &end, 10);
		if (*v == '\0' || *end != '\0')
			rc = store_fail_msg(st, "counter_next",
			    "malformed counter");
	} else if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
	free(v);
	if (rc == STORE_OK) {
		n++;
		snprintf(buf, sizeof(buf), "%llu", n);
		rc = store_meta_set(st, key, buf);
	}
	if ((rc = store_txn_end(st, rc)) == STORE_OK)
		*out = (uint64_t)n;
	return rc;
}
