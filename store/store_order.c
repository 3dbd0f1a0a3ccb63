/* store_order.c - order rows (RFC 8555 §7.1.3, §7.4) and the crash-safe issuance steps */
/* SPDX-License-Identifier: MIT */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

/* The order's current status and account, in the caller's transaction. */
static enum store_status
order_row(struct store *st, const char *id, enum acme_order_status *status,
    char account_id[ACME_ID_SIZE])
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((q = store_prep(st, STMT_ORDER_ACCOUNT,
	    "SELECT status, account_id FROM orders WHERE id = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, id) != 0) {
		rc = store_fail(st, "order_row");
		goto out;
	}
	if ((rc = store_step_row(st, q, "order_row")) != STORE_OK)
		goto out;
	if (acme_order_status_parse((const char *)sqlite3_column_text(q, 0),
	    status) != 0 ||
	    store_col_copy(q, 1, account_id, ACME_ID_SIZE) != 0)
		rc = store_fail_msg(st, "order_row", "malformed row");
out:
	store_reset(q);
	return rc;
}

static enum store_status
order_exists(struct store *st, const char *id)
{
	return store_exists(st, STMT_ORDER_EXISTS,
	    "SELECT 1 FROM orders WHERE id = ?1", id, "order_exists");
}

/* After a CAS changed no row: was it missing or in another state? */
static enum store_status
order_cas_miss(struct store *st, const char *id)
{
	enum store_status	 rc;

	rc = order_exists(st, id);
	return rc == STORE_OK ? STORE_CONFLICT : rc;
}

/* A reused authz: the account's own, and still pending or valid. */
static enum store_status
check_reuse(struct store *st, const char *authz_id, const char *account_id)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;
	enum acme_authz_status	 status;
	const char		*owner;

	if ((q = store_prep(st, STMT_AUTHZ_OWNER,
	    "SELECT account_id, status FROM authzs WHERE id = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, authz_id) != 0) {
		rc = store_fail(st, "order_create");
		goto out;
	}
	if ((rc = store_step_row(st, q, "order_create")) != STORE_OK)
		goto out;
	owner = (const char *)sqlite3_column_text(q, 0);
	if (owner == NULL || strcmp(owner, account_id) != 0) {
		/* Another account's authz is one that does not exist (Z01). */
		rc = STORE_NOTFOUND;
		goto out;
	}
	if (acme_authz_status_parse((const char *)sqlite3_column_text(q, 1),
	    &status) != 0) {
		rc = store_fail_msg(st, "order_create", "malformed authz row");
		goto out;
	}
	if (status != ACME_AUTHZ_PENDING && status != ACME_AUTHZ_VALID)
		rc = STORE_CONFLICT;
out:
	store_reset(q);
	return rc;
}

static enum store_status
insert_authz(struct store *st, struct acme_authz *a, const char *account_id)
{
	sqlite3_stmt		*q = NULL;
	struct acme_challenge	*c;
	enum store_status	 rc = STORE_ERR;
	char			 id[ACME_ID_SIZE];
	size_t			 i;

	if (a->nchall > ACME_CHALL__MAX) {
		rc = store_fail_msg(st, "order_create", "too many challenges");
		goto out;
	}
	if (store_new_id(id) != 0) {
		rc = store_fail_msg(st, "order_create", "getrandom failed");
		goto out;
	}
	if ((q = store_prep(st, STMT_AUTHZ_INSERT,
	    "INSERT INTO pend.authzs (id, account_id, ident_type, ident_value, "
	    "wildcard, status, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"))
	    == NULL)
		goto out;
	if (store_bind_text(q, 1, id) != 0 ||
	    store_bind_text(q, 2, account_id) != 0 ||
	    store_bind_text(q, 3, acme_ident_type_str(a->ident.type)) != 0 ||
	    store_bind_text(q, 4, a->ident.value) != 0 ||
	    sqlite3_bind_int(q, 5, a->wildcard ? 1 : 0) != SQLITE_OK ||
	    store_bind_text(q, 6, acme_authz_status_str(a->status)) != 0 ||
	    sqlite3_bind_int64(q, 7, (sqlite3_int64)a->expires) != SQLITE_OK) {
		rc = store_fail(st, "order_create");
		goto out;
	}
	if ((rc = store_step_done(st, q, "authz insert")) != STORE_OK)
		goto out;
	store_reset(q);
	if ((q = store_prep(st, STMT_CHALL_INSERT,
	    "INSERT INTO pend.challenges (id, authz_id, position, type, status, "
	    "token) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	for (i = 0; i < a->nchall; i++) {
		c = &a->chall[i];
		if (store_new_id(c->id) != 0) {
			rc = store_fail_msg(st, "order_create",
			    "getrandom failed");
			goto out;
		}
		if (store_bind_text(q, 1, c->id) != 0 ||
		    store_bind_text(q, 2, id) != 0 ||
		    sqlite3_bind_int64(q, 3, (sqlite3_int64)i) != SQLITE_OK ||
		    store_bind_text(q, 4, acme_chall_type_str(c->type)) != 0 ||
		    store_bind_text(q, 5, c->token) != 0) {
			rc = store_fail(st, "order_create");
			goto out;
		}
		/* UNIQUE token: a duplicate is STORE_CONFLICT. */
		if ((rc = store_step_done(st, q, "challenge insert")) !=
		    STORE_OK)
			goto out;
		store_reset(q);
		memcpy(c->authz_id, id, sizeof(c->authz_id));
		c->status = ACME_CHALL_PENDING;
		c->validated = 0;
		memset(&c->error, 0, sizeof(c->error));
	}
	memcpy(a->id, id, sizeof(a->id));
	snprintf(a->account_id, sizeof(a->account_id), "%s", account_id);
	rc = STORE_OK;
out:
	store_reset(q);
	return rc;
}

/* X22: account id exists (else STORE_NOTFOUND) and is valid (CONFLICT). */
static enum store_status
account_valid(struct store *st, const char *id)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;
	enum acme_account_status status;

	if ((q = store_prep(st, STMT_ACCOUNT_STATUS,
	    "SELECT status FROM accounts WHERE id = ?1")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, id) != 0)
		rc = store_fail(st, "order_create");
	else if ((rc = store_step_row(st, q, "order_create")) == STORE_OK) {
		if (acme_account_status_parse(
		    (const char *)sqlite3_column_text(q, 0), &status) != 0)
			rc = store_fail_msg(st, "order_create",
			    "malformed account");
		else if (status != ACME_ACCOUNT_VALID)
			rc = STORE_CONFLICT;
	}
	store_reset(q);
	return rc;
}

static enum store_status
order_create(struct store *st, struct acme_order *o,
    struct acme_authz *authzs, size_t nauthz, bool account_checked)
{
	sqlite3_stmt		*q = NULL;
	char			 id[ACME_ID_SIZE], reuse_id[ACME_ID_SIZE];
	char			 (*authz_ids)[ACME_ID_SIZE] = o->authz_ids;
	bool			 isnew[ACME_MAX_IDENTIFIERS] = { false };
	bool			 all_valid = true, in_tx = false;
	enum acme_order_status	 status;
	enum store_status	 rc = STORE_ERR;
	time_t			 created;
	size_t			 i;

	if (o->nident == 0 || o->nident > ACME_MAX_IDENTIFIERS ||
	    o->idents == NULL || authzs == NULL || nauthz != o->nident) {
		rc = store_fail_msg(st, "order_create", "bad identifiers");
		goto out;
	}
	if (authz_ids == NULL &&
	    (authz_ids = calloc(o->nident, sizeof(*authz_ids))) == NULL) {
		rc = store_fail_msg(st, "order_create", "out of memory");
		goto out;
	}
	if (store_new_id(id) != 0) {
		rc = store_fail_msg(st, "order_create", "getrandom failed");
		goto out;
	}
	created = o->created != 0 ? o->created : time(NULL);

	/* New objects go to the pending tier (store_pending.c). */
	if ((rc = store_txn_begin_pending(st)) != STORE_OK)
		goto out;
	in_tx = true;

	/*
	 * HARDENING X22: only a valid account orders, checked under the lock
	 * (here, or by a caller of store_order_create_checked).
	 */
	if (!account_checked && (rc = account_valid(st, o->account_id)) !=
	    STORE_OK)
		goto out;

	for (i = 0; i < nauthz; i++) {
		if (authzs[i].id[0] != '\0') {
			memcpy(reuse_id, authzs[i].id, sizeof(reuse_id));
			reuse_id[ACME_ID_LEN] = '\0';
			if ((rc = check_reuse(st, reuse_id, o->account_id)) !=
			    STORE_OK)
				goto out;
			if ((rc = store_authz_load(st, reuse_id, &authzs[i])) !=
			    STORE_OK)
				goto out;
		} else {
			if ((rc = insert_authz(st, &authzs[i], o->account_id)) !=
			    STORE_OK)
				goto out;
			isnew[i] = true;
		}
		if (authzs[i].status != ACME_AUTHZ_VALID)
			all_valid = false;
		memcpy(authz_ids[i], authzs[i].id, ACME_ID_SIZE);
	}

	/* RFC 8555 §7.1.6: ready once every authorization is valid. */
	status = all_valid ? ACME_ORDER_READY : ACME_ORDER_PENDING;
	if ((q = store_prep(st, STMT_ORDER_INSERT,
	    "INSERT INTO pend.orders (id, account_id, status, created, expires, "
	    "not_before, not_after, profile, replaces) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, id) != 0 ||
	    store_bind_text(q, 2, o->account_id) != 0 ||
	    store_bind_text(q, 3, acme_order_status_str(status)) != 0 ||
	    sqlite3_bind_int64(q, 4, (sqlite3_int64)created) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 5, (sqlite3_int64)o->expires) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 6, (sqlite3_int64)o->not_before) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(q, 7, (sqlite3_int64)o->not_after) != SQLITE_OK ||
	    store_bind_text(q, 8, o->profile) != 0 ||
	    store_bind_text(q, 9, o->replaces) != 0) {
		rc = store_fail(st, "order_create");
		goto out;
	}
	if ((rc = store_step_done(st, q, "order insert")) != STORE_OK)
		goto out;
	store_reset(q);

	if ((q = store_prep(st, STMT_ORDER_IDENT_INSERT,
	    "INSERT INTO pend.order_identifiers (order_id, position, type, value, "
	    "authz_id) VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	for (i = 0; i < o->nident; i++) {
		if (store_bind_text(q, 1, id) != 0 ||
		    sqlite3_bind_int64(q, 2, (sqlite3_int64)i) != SQLITE_OK ||
		    store_bind_text(q, 3,
		    acme_ident_type_str(o->idents[i].type)) != 0 ||
		    store_bind_text(q, 4, o->idents[i].value) != 0 ||
		    store_bind_text(q, 5, authz_ids[i]) != 0) {
			rc = store_fail(st, "order_create");
			goto out;
		}
		if ((rc = store_step_done(st, q, "identifier insert")) !=
		    STORE_OK)
			goto out;
		store_reset(q);
	}
	store_reset(q);
	q = NULL;
	in_tx = false;
	if ((rc = store_txn_end(st, STORE_OK)) != STORE_OK)
		goto out;

	memcpy(o->id, id, sizeof(o->id));
	o->created = created;
	o->status = status;
	o->authz_ids = authz_ids;
out:
	store_reset(q);
	if (in_tx)
		rc = store_txn_end(st, rc);
	if (rc != STORE_OK) {
		/* Nothing was stored: take back the IDs handed out. */
		for (i = 0; i < nauthz && i < ACME_MAX_IDENTIFIERS; i++)
			if (isnew[i]) {
				authzs[i].id[0] = '\0';
				authzs[i].account_id[0] = '\0';
			}
		if (authz_ids != o->authz_ids)
			free(authz_ids);
		else if (authz_ids != NULL)
			memset(authz_ids, 0, o->nident * sizeof(*authz_ids));
	}
	return rc;
}

enum store_status
store_order_create(struct store *st, struct acme_order *o,
    struct acme_authz *authzs, size_t nauthz)
{
	return order_create(st, o, authzs, nauthz, false);
}

enum store_status
store_order_create_checked(struct store *st, struct acme_order *o,
    struct acme_authz *authzs, size_t nauthz)
{
	return order_create(st, o, authzs, nauthz, true);
}

/*
 * By ID, pend first (store_tier_find): an order and its identifiers share
 * a tier, and a pending or ready order, the one a client polls and
 * finalizes, is read without a WAL read lock on the file.
 */
#define SQL_ORDER_GET(db) \
	"SELECT id, account_id, status, created, expires, not_before, " \
	"not_after, cert_serial, profile, replaces, error_type, " \
	"error_status, error_detail, " \
	"(SELECT count(*) FROM " db ".order_identifiers WHERE order_id = ?1) " \
	"FROM " db ".orders WHERE id = ?1"
#define SQL_ORDER_IDENTS(db) \
	"SELECT type, value, authz_id FROM " db ".order_identifiers " \
	"WHERE order_id = ?1 ORDER BY position"

enum store_status
store_order_get(struct store *st, const char *id, struct acme_order *out)
{
	sqlite3_stmt		*q, *qi = NULL;
	enum store_status	 rc = STORE_ERR;
	sqlite3_int64		 n;
	size_t			 i = 0;
	int			 t = STORE_TIER_MAIN;

	acme_order_clear(out);
	if ((q = store_tier_find(st, STMT_ORDER_GET, SQL_ORDER_GET("pend"),
	    STMT_ORDER_GET_M, SQL_ORDER_GET("main"), id, "order_get", &t,
	    &rc)) == NULL)
		goto out;
	if (store_col_copy(q, 0, out->id, sizeof(out->id)) != 0 ||
	    store_col_copy(q, 1, out->account_id, sizeof(out->account_id)) != 0 ||
	    acme_order_status_parse((const char *)sqlite3_column_text(q, 2),
	    &out->status) != 0 ||
	    store_col_copy(q, 7, out->cert_serial, sizeof(out->cert_serial)) !=
	    0 ||
	    store_col_copy(q, 8, out->profile, sizeof(out->profile)) != 0 ||
	    store_col_copy(q, 9, out->replaces, sizeof(out->replaces)) != 0) {
		rc = store_fail_msg(st, "order_get", "malformed row");
		goto out;
	}
	out->created = (time_t)sqlite3_column_int64(q, 3);
	out->expires = (time_t)sqlite3_column_int64(q, 4);
	out->not_before = (time_t)sqlite3_column_int64(q, 5);
	out->not_after = (time_t)sqlite3_column_int64(q, 6);
	store_col_error(q, 10, &out->error);
	n = sqlite3_column_int64(q, 13);
	if (n <= 0 || n > ACME_MAX_IDENTIFIERS) {
		rc = store_fail_msg(st, "order_get", "bad identifier count");
		goto out;
	}
	out->nident = (size_t)n;
	if ((out->idents = calloc(out->nident, sizeof(*out->idents))) == NULL ||
	    (out->authz_ids = calloc(out->nident,
	    sizeof(*out->authz_ids))) == NULL) {
		rc = store_fail_msg(st, "order_get", "out of memory");
		goto out;
	}
	/* q stays active, so both reads see one snapshot. */
	if ((qi = store_tier_prep(st, t, STMT_ORDER_IDENTS,
	    SQL_ORDER_IDENTS("pend"), STMT_ORDER_IDENTS_M,
	    SQL_ORDER_IDENTS("main"))) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(qi, 1, id) != 0) {
		rc = store_fail(st, "order_get");
		goto out;
	}
	for (i = 0; (rc = store_step_row(st, qi, "order_get")) == STORE_OK;
	    i++) {
		if (i >= out->nident ||
		    acme_ident_type_parse(
		    (const char *)sqlite3_column_text(qi, 0),
		    &out->idents[i].type) != 0 ||
		    store_col_copy(qi, 1, out->idents[i].value,
		    sizeof(out->idents[i].value)) != 0 ||
		    store_col_copy(qi, 2, out->authz_ids[i],
		    sizeof(out->authz_ids[i])) != 0) {
			rc = store_fail_msg(st, "order_get",
			    "malformed identifier row");
			goto out;
		}
	}
	if (rc != STORE_NOTFOUND)
		goto out;
	rc = i == out->nident ? STORE_OK :
	    store_fail_msg(st, "order_get", "identifier count changed");
out:
	store_reset(qi);
	store_reset(q);
	if (rc != STORE_OK)
		acme_order_clear(out);
	return rc;
}

enum store_status
store_order_list(struct store *st, const char *account_id,
    const char *after_cursor, size_t limit, char (*ids)[ACME_ID_SIZE],
    size_t *n, char *next_cursor, size_t cursorsz)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc = STORE_ERR;
	size_t			 got = 0;
	bool			 more = false;
	char			 last[ACME_ID_SIZE] = "";
	char			 after[ACME_ID_SIZE] = "";
	size_t			 len = 0;

	/* Copied first: callers may pass one buffer as cursor and next. */
	if (after_cursor != NULL &&
	    (len = strlen(after_cursor)) < sizeof(after))
		memcpy(after, after_cursor, len + 1);
	*n = 0;
	if (cursorsz > 0)
		next_cursor[0] = '\0';
	if (len >= sizeof(after)) {
		rc = STORE_NOTFOUND;	/* longer than any ID: no such order */
		goto out;
	}
	after_cursor = after;
	if (limit == 0 || cursorsz < ACME_ID_SIZE) {
		rc = store_fail_msg(st, "order_list", "bad page size");
		goto out;
	}
	if (after_cursor[0] != '\0') {
		if ((q = store_prep(st, STMT_ORDER_CURSOR,
		    "SELECT 1 FROM orders WHERE id = ?1 AND account_id = ?2"))
		    == NULL)
			goto out;
		if (store_bind_text(q, 1, after_cursor) != 0 ||
		    store_bind_text(q, 2, account_id) != 0) {
			rc = store_fail(st, "order_list");
			goto out;
		}
		if ((rc = store_step_row(st, q, "order_list")) != STORE_OK)
			goto out;
		store_reset(q);
		/* (created, id) is unique, so pages neither skip nor repeat. */
		if ((q = store_prep(st, STMT_ORDER_LIST_AFTER,
		    "SELECT o.id FROM orders o, "
		    "(SELECT created, id FROM orders WHERE id = ?2) c "
		    "WHERE o.account_id = ?1 AND (o.created, o.id) > "
		    "(c.created, c.id) ORDER BY o.created, o.id LIMIT ?3"))
		    == NULL) {
			rc = STORE_ERR;
			goto out;
		}
		if (store_bind_text(q, 2, after_cursor) != 0) {
			rc = store_fail(st, "order_list");
			goto out;
		}
	} else if ((q = store_prep(st, STMT_ORDER_LIST,
	    "SELECT id FROM orders WHERE account_id = ?1 "
	    "ORDER BY created, id LIMIT ?3")) == NULL)
		goto out;
	if (store_bind_text(q, 1, account_id) != 0 ||
	    sqlite3_bind_int64(q, 3, (sqlite3_int64)limit + 1) != SQLITE_OK) {
		rc = store_fail(st, "order_list");
		goto out;
	}
	while ((rc = store_step_row(st, q, "order_list")) == STORE_OK) {
		if (got == limit) {
			more = true;
			break;
		}
		if (store_col_copy(q, 0, ids[got], ACME_ID_SIZE) != 0) {
			rc = store_fail_msg(st, "order_list", "malformed row");
			goto out;
		}
		memcpy(last, ids[got], sizeof(last));
		got++;
	}
	if (rc == STORE_ERR)
		goto out;
	*n = got;
	if (more)
		snprintf(next_cursor, cursorsz, "%s", last);
	rc = STORE_OK;
out:
	store_reset(q);
	return rc;
}

enum store_status
store_order_count_since(struct store *st, const char *account_id,
    time_t since, size_t *n)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	*n = 0;
	if ((q = store_prep(st, STMT_ORDER_COUNT_SINCE,
	    "SELECT count(*) FROM orders WHERE account_id = ?1 "
	    "AND created >= ?2")) == NULL)
		goto out;
	if (store_bind_text(q, 1, account_id) != 0 ||
	    sqlite3_bind_int64(q, 2, (sqlite3_int64)since) != SQLITE_OK) {
		rc = store_fail(st, "order_count_since");
		goto out;
	}
	if ((rc = store_step_row(st, q, "order_count_since")) != STORE_OK) {
		if (rc == STORE_NOTFOUND)
			rc = store_fail_msg(st, "order_count_since", "no row");
		goto out;
	}
	*n = (size_t)sqlite3_column_int64(q, 0);
out:
	store_reset(q);
	return rc;
}

#define SQL_ORDER_SET_STATUS(db) \
	"UPDATE " db ".orders SET status = ?3 WHERE id = ?1 AND status = ?2"

enum store_status
store_order_set_status(struct store *st, const char *id,
    enum acme_order_status from, enum acme_order_status to)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_OK;
	int			 changed = 0, t;

	/* Pend first, then main (store_pending.c). */
	for (t = store_tier_first(st); t <= STORE_TIER_MAIN && changed == 0 &&
	    rc == STORE_OK; t++) {
		if ((q = store_tier_prep(st, t, STMT_ORDER_SET_STATUS,
		    SQL_ORDER_SET_STATUS("pend"), STMT_ORDER_SET_STATUS_M,
		    SQL_ORDER_SET_STATUS("main"))) == NULL)
			return STORE_ERR;
		if (store_bind_text(q, 1, id) != 0 ||
		    store_bind_text(q, 2, acme_order_status_str(from)) != 0 ||
		    store_bind_text(q, 3, acme_order_status_str(to)) != 0)
			rc = store_fail(st, "order_set_status");
		else {
			rc = store_step_done(st, q, "order_set_status");
			changed = sqlite3_changes(st->db);
		}
		store_reset(q);
	}
	if (rc == STORE_OK && changed == 0)
		rc = order_cas_miss(st, id);
	return rc;
}

#define SQL_ORDER_SET_ERROR(db) \
	"UPDATE " db ".orders SET status = ?2, error_type = ?3, " \
	"error_status = ?4, error_detail = ?5 " \
	"WHERE id = ?1 AND status NOT IN (?6, ?7)"

enum store_status
store_order_set_error(struct store *st, const char *id,
    enum acme_order_status to, const struct acme_error *err)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_OK;
	int			 changed = 0, t;

	for (t = store_tier_first(st); t <= STORE_TIER_MAIN && changed == 0 &&
	    rc == STORE_OK; t++) {
		if ((q = store_tier_prep(st, t, STMT_ORDER_SET_ERROR,
		    SQL_ORDER_SET_ERROR("pend"), STMT_ORDER_SET_ERROR_M,
		    SQL_ORDER_SET_ERROR("main"))) == NULL)
			return STORE_ERR;
		if (store_bind_text(q, 1, id) != 0 ||
		    store_bind_text(q, 2, acme_order_status_str(to)) != 0 ||
		    store_bind_error(q, 3, err) != 0 ||
		    store_bind_text(q, 6,
		    acme_order_status_str(ACME_ORDER_VALID)) != 0 ||
		    store_bind_text(q, 7,
		    acme_order_status_str(ACME_ORDER_INVALID)) != 0)
			rc = store_fail(st, "order_set_error");
		else {
			rc = store_step_done(st, q, "order_set_error");
			changed = sqlite3_changes(st->db);
		}
		store_reset(q);
	}
	if (rc == STORE_OK && changed == 0)
		rc = order_cas_miss(st, id);
	return rc;
}

/* --- crash-safe issuance (docs/HARDENING.md §4; Boulder's SetOrderProcessing) --- */

enum store_status
store_order_begin_processing(struct store *st, const char *order_id,
    const char *serial, bool *serial_conflict)
{
	return store_order_begin_processing_key(st, order_id, serial, NULL,
	    serial_conflict, NULL);
}

enum store_status
store_order_begin_processing_key(struct store *st, const char *order_id,
    const char *serial, const char *key_tp, bool *serial_conflict,
    bool *key_is_account)
{
	sqlite3_stmt		*q = NULL;
	struct acme_account	 a = { 0 };
	enum store_status	 rc;
	time_t			 now = time(NULL);
	int			 changed;

	if (serial_conflict != NULL)
		*serial_conflict = false;
	if (key_is_account != NULL)
		*key_is_account = false;
	/*
	 * Relaxed (not fsynced) although it reserves a serial (HARDENING
	 * I2): WAL frames are appended in commit order, so the fsync that
	 * makes the certificate durable (store_order_finish) makes this
	 * intent durable first. A power loss before that loses only a
	 * certificate that never left the process.
	 */
	if ((rc = store_txn_begin_relaxed(st)) != STORE_OK)
		return rc;
	if (key_tp != NULL && key_tp[0] != '\0') {
		rc = store_account_get_by_thumbprint(st, key_tp, &a);
		acme_account_clear(&a);
		if (rc == STORE_OK) {
			if (key_is_account != NULL)
				*key_is_account = true;
			rc = STORE_CONFLICT;
			goto out;
		}
		if (rc != STORE_NOTFOUND)
			goto out;
	}
	/*
	 * From here on the order is durable: it, and what it proved, leave
	 * the pending tier in this transaction (store_pending.c), so a
	 * crash after the reservation finds them in the file (HARDENING I5).
	 */
	if ((rc = store_pending_move(st, order_id)) != STORE_OK)
		goto out;
	/* HARDENING X18: compare-and-swap, so one finalize wins. */
	if ((q = store_prep(st, STMT_ORDER_BEGIN_PROC,
	    "UPDATE main.orders SET status = ?4, began_processing = ?2 "
	    "WHERE id = ?1 AND status = ?3")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, order_id) != 0 ||
	    sqlite3_bind_int64(q, 2, (sqlite3_int64)(now > 0 ? now : 1)) !=
	    SQLITE_OK ||
	    store_bind_text(q, 3, acme_order_status_str(ACME_ORDER_READY)) !=
	    0 ||
	    store_bind_text(q, 4,
	    acme_order_status_str(ACME_ORDER_PROCESSING)) != 0) {
		rc = store_fail(st, "order_begin_processing");
		goto out;
	}
	rc = store_step_done(st, q, "order_begin_processing");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	q = NULL;
	if (rc != STORE_OK)
		goto out;
	if (changed == 0) {
		rc = order_cas_miss(st, order_id);
		goto out;
	}
	/* HARDENING I2: the issuance intent, before anything is signed. */
	if ((q = store_prep(st, STMT_SERIAL_INSERT,
	    "INSERT INTO serials (serial, order_id, reserved_at, state) "
	    "VALUES (?1, ?2, ?3, 'reserved')")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, serial) != 0 ||
	    store_bind_text_or_null(q, 2, order_id) != 0 ||
	    sqlite3_bind_int64(q, 3, (sqlite3_int64)now) != SQLITE_OK) {
		rc = store_fail(st, "order_begin_processing");
		goto out;
	}
	rc = store_step_done(st, q, "serial reserve");
	if (rc == STORE_CONFLICT && serial_conflict != NULL)
		*serial_conflict = true;
out:
	store_reset(q);
	return store_txn_end(st, rc);
}

enum store_status
store_order_finish(struct store *st, const char *order_id,
    const struct acme_cert *cert)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc;
	enum acme_order_status	 status;
	char			 account_id[ACME_ID_SIZE];
	char			 s_order[ACME_ID_SIZE], s_state[16];

	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	if ((rc = order_row(st, order_id, &status, account_id)) != STORE_OK)
		goto out;
	if (status != ACME_ORDER_PROCESSING) {
		rc = STORE_CONFLICT;
		goto out;
	}
	rc = store_serial_lookup(st, cert->serial, s_order, s_state);
	if (rc == STORE_NOTFOUND ||
	    (rc == STORE_OK && (strcmp(s_order, order_id) != 0 ||
	    strcmp(s_state, "reserved") != 0)))
		rc = STORE_CONFLICT;
	if (rc != STORE_OK)
		goto out;
	if ((rc = store_cert_row_insert(st, cert, account_id, order_id,
	    "acme")) != STORE_OK)
		goto out;
	if ((rc = store_serial_issue(st, cert->serial)) != STORE_OK)
		goto out;
	if ((q = store_prep(st, STMT_ORDER_FINISH,
	    "UPDATE main.orders SET status = ?4, cert_serial = ?2 "
	    "WHERE id = ?1 AND status = ?3")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, order_id) != 0 ||
	    store_bind_text(q, 2, cert->serial) != 0 ||
	    store_bind_text(q, 3,
	    acme_order_status_str(ACME_ORDER_PROCESSING)) != 0 ||
	    store_bind_text(q, 4, acme_order_status_str(ACME_ORDER_VALID)) !=
	    0) {
		rc = store_fail(st, "order_finish");
		goto out;
	}
	if ((rc = store_step_done(st, q, "order_finish")) != STORE_OK)
		goto out;
	if (sqlite3_changes(st->db) != 1)
		rc = STORE_CONFLICT;
out:
	store_reset(q);
	return store_txn_end(st, rc);
}

enum store_status
store_order_fail(struct store *st, const char *order_id,
    const struct acme_error *err, bool cert_may_exist)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc;
	int			 changed;

	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	if ((q = store_prep(st, STMT_ORDER_FAIL,
	    "UPDATE main.orders SET status = ?6, error_type = ?2, "
	    "error_status = ?3, error_detail = ?4 "
	    "WHERE id = ?1 AND status = ?5")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, order_id) != 0 ||
	    store_bind_error(q, 2, err) != 0 ||
	    store_bind_text(q, 5,
	    acme_order_status_str(ACME_ORDER_PROCESSING)) != 0 ||
	    store_bind_text(q, 6, acme_order_status_str(ACME_ORDER_INVALID)) !=
	    0) {
		rc = store_fail(st, "order_fail");
		goto out;
	}
	rc = store_step_done(st, q, "order_fail");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	q = NULL;
	if (rc != STORE_OK)
		goto out;
	if (changed == 0) {
		rc = order_cas_miss(st, order_id);
		goto out;
	}
	/* Only a serial that certainly signed nothing may be called failed. */
	if (cert_may_exist)
		goto out;
	if ((q = store_prep(st, STMT_SERIAL_FAIL_ORDER,
	    "UPDATE serials SET state = 'failed' "
	    "WHERE order_id = ?1 AND state = 'reserved'")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, order_id) != 0) {
		rc = store_fail(st, "order_fail");
		goto out;
	}
	rc = store_step_done(st, q, "order_fail");
out:
	store_reset(q);
	return store_txn_end(st, rc);
}

#define SQL_CHALL_RECOVER(db) \
	"UPDATE " db ".challenges SET status = ?2 " \
	"WHERE status = ?1 AND " IDX_CHALLS_PROCESSING

enum store_status
store_recover_processing(struct store *st, time_t now,
    const struct store_recovery *r, const struct acme_error *err, size_t *n)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc;
	size_t			 changed = 0;
	int			 t;

	if (n != NULL)
		*n = 0;
	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	/* HARDENING I5; serials stay 'reserved': the cert "may exist" (I2). */
	/* Processing orders are in main only: the move comes first. */
	if ((q = store_prep(st, STMT_ORDER_RECOVER,
	    "UPDATE main.orders SET status = ?6, error_type = ?2, "
	    "error_status = ?3, error_detail = ?4 "
	    "WHERE status = ?5 AND " IDX_ORDERS_PROCESSING " "
	    "AND began_processing <= ?1")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (sqlite3_bind_int64(q, 1, (sqlite3_int64)now) != SQLITE_OK ||
	    store_bind_error(q, 2, err) != 0 ||
	    store_bind_text(q, 5, acme_order_status_str(r->order_from)) != 0 ||
	    store_bind_text(q, 6, acme_order_status_str(r->order_to)) != 0) {
		rc = store_fail(st, "recover_processing");
		goto out;
	}
	if ((rc = store_step_done(st, q, "recover_processing")) != STORE_OK)
		goto out;
	changed = (size_t)sqlite3_changes(st->db);
	store_reset(q);
	/* Validations in flight died with the process: let clients retry. */
	for (t = store_tier_first(st); t <= STORE_TIER_MAIN && rc == STORE_OK;
	    t++) {
		if ((q = store_tier_prep(st, t, STMT_CHALL_RECOVER,
		    SQL_CHALL_RECOVER("pend"), STMT_CHALL_RECOVER_M,
		    SQL_CHALL_RECOVER("main"))) == NULL) {
			rc = STORE_ERR;
			goto out;
		}
		if (store_bind_text(q, 1,
		    acme_chall_status_str(r->chall_from)) != 0 ||
		    store_bind_text(q, 2,
		    acme_chall_status_str(r->chall_to)) != 0)
			rc = store_fail(st, "recover_processing");
		else
			rc = store_step_done(st, q, "recover_processing");
		store_reset(q);
	}
	q = NULL;
out:
	store_reset(q);
	rc = store_txn_end(st, rc);
	if (rc == STORE_OK && n != NULL)
		*n = changed;
	return rc;
}

/*
 * RFC 8555 §7.1.6: what the RA needs to move each order on. Column 3 is
 * whether column 2 saw every authorization of the order.
 */
#define SQL_ORDERS_OF_AUTHZ \
	"SELECT o.id, o.status, NOT EXISTS (SELECT 1 " \
	"FROM order_identifiers oi JOIN authzs a ON a.id = oi.authz_id " \
	"WHERE oi.order_id = o.id AND a.status <> ?2), 1 " \
	"FROM orders o WHERE o.id IN " \
	"(SELECT order_id FROM order_identifiers WHERE authz_id = ?1)"
/*
 * The same in pend alone. An order in main names only authorizations in
 * main (the reservation moves all of an order's), so the orders of an
 * authorization in pend are all in pend; one of them may name a valid
 * authorization in main (--authz-reuse), which this query does not see.
 */
#define SQL_ORDERS_OF_AUTHZ_PEND \
	"SELECT o.id, o.status, NOT EXISTS (SELECT 1 " \
	"FROM pend.order_identifiers oi JOIN pend.authzs a " \
	"ON a.id = oi.authz_id WHERE oi.order_id = o.id AND a.status <> ?2), " \
	"(SELECT count(*) FROM pend.order_identifiers oi " \
	"WHERE oi.order_id = o.id) = (SELECT count(*) " \
	"FROM pend.order_identifiers oi JOIN pend.authzs a " \
	"ON a.id = oi.authz_id WHERE oi.order_id = o.id) " \
	"FROM pend.orders o WHERE o.id IN " \
	"(SELECT order_id FROM pend.order_identifiers WHERE authz_id = ?1)"

/* Run one of the two; *whole: every row saw all of its order's authzs. */
static enum store_status
orders_of_authz_run(struct store *st, enum store_stmt slot, const char *sql,
    const char *authz_id, struct store_authz_order **out, size_t *n,
    bool *whole)
{
	sqlite3_stmt		*q;
	struct store_authz_order *v = NULL, *nv;
	enum store_status	 rc = STORE_ERR;
	size_t			 got = 0, cap = 0;

	*out = NULL;
	*n = 0;
	*whole = true;
	if ((q = store_prep(st, slot, sql)) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, authz_id) != 0 ||
	    store_bind_text(q, 2, acme_authz_status_str(ACME_AUTHZ_VALID)) !=
	    0) {
		rc = store_fail(st, "orders_of_authz");
		goto out;
	}
	while ((rc = store_step_row(st, q, "orders_of_authz")) == STORE_OK) {
		if (got == cap) {
			cap = cap == 0 ? 1 : cap * 2;
			if (cap > SIZE_MAX / sizeof(*v) ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = store_fail_msg(st, "orders_of_authz",
				    "out of memory");
				goto out;
			}
			v = nv;
		}
		memset(&v[got], 0, sizeof(v[got]));
		if (store_col_copy(q, 0, v[got].id, sizeof(v[got].id)) != 0 ||
		    acme_order_status_parse(
		    (const char *)sqlite3_column_text(q, 1),
		    &v[got].status) != 0) {
			rc = store_fail_msg(st, "orders_of_authz",
			    "malformed row");
			goto out;
		}
		v[got].all_authzs_valid = sqlite3_column_int(q, 2) != 0;
		if (sqlite3_column_int(q, 3) == 0)
			*whole = false;
		got++;
	}
	if (rc == STORE_NOTFOUND) {
		rc = STORE_OK;
		*out = v;
		*n = got;
		v = NULL;
	}
out:
	store_reset(q);
	free(v);
	return rc;
}

enum store_status
store_orders_of_authz(struct store *st, const char *authz_id,
    struct store_authz_order **out, size_t *n)
{
	enum store_status	 rc;
	bool			 whole;

	/*
	 * Pend alone first: a pending authorization's orders are read with
	 * no WAL read lock on the file. Both tiers when it found nothing
	 * (the authorization is in main) or not every authorization.
	 */
	if (store_tier_first(st) == STORE_TIER_PEND) {
		rc = orders_of_authz_run(st, STMT_ORDERS_OF_AUTHZ_PEND,
		    SQL_ORDERS_OF_AUTHZ_PEND, authz_id, out, n, &whole);
		if (rc != STORE_OK || (*n > 0 && whole))
			return rc;
		free(*out);
	}
	return orders_of_authz_run(st, STMT_ORDERS_OF_AUTHZ,
	    SQL_ORDERS_OF_AUTHZ, authz_id, out, n, &whole);
}
