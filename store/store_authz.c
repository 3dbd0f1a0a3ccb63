/* store_authz.c - authorization and challenge rows (RFC 8555 §7.1.4, §7.5), and expiry */
/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

#define CHALL_COLS \
	"id, authz_id, type, status, token, validated, " \
	"error_type, error_status, error_detail"

/* Fill *c from a row of CHALL_COLS. 0 or -1 (malformed). */
static int
read_chall(sqlite3_stmt *q, struct acme_challenge *c)
{
	memset(c, 0, sizeof(*c));
	if (store_col_copy(q, 0, c->id, sizeof(c->id)) != 0 ||
	    store_col_copy(q, 1, c->authz_id, sizeof(c->authz_id)) != 0 ||
	    acme_chall_type_parse((const char *)sqlite3_column_text(q, 2),
	    &c->type) != 0 ||
	    acme_chall_status_parse((const char *)sqlite3_column_text(q, 3),
	    &c->status) != 0 ||
	    store_col_copy(q, 4, c->token, sizeof(c->token)) != 0)
		return -1;
	c->validated = (time_t)sqlite3_column_int64(q, 5);
	store_col_error(q, 6, &c->error);
	return 0;
}

enum store_status
store_authz_load(struct store *st, const char *id, struct acme_authz *out)
{
	sqlite3_stmt		*q, *qc = NULL;
	enum store_status	 rc = STORE_ERR;

	acme_authz_clear(out);
	if ((q = store_prep(st, STMT_AUTHZ_GET,
	    "SELECT id, account_id, ident_type, ident_value, wildcard, status, "
	    "expires FROM authzs WHERE id = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, id) != 0) {
		rc = store_fail(st, "authz_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "authz_get")) != STORE_OK)
		goto out;
	if (store_col_copy(q, 0, out->id, sizeof(out->id)) != 0 ||
	    store_col_copy(q, 1, out->account_id, sizeof(out->account_id)) != 0 ||
	    acme_ident_type_parse((const char *)sqlite3_column_text(q, 2),
	    &out->ident.type) != 0 ||
	    store_col_copy(q, 3, out->ident.value,
	    sizeof(out->ident.value)) != 0 ||
	    acme_authz_status_parse((const char *)sqlite3_column_text(q, 5),
	    &out->status) != 0) {
		rc = store_fail_msg(st, "authz_get", "malformed row");
		goto out;
	}
	out->wildcard = sqlite3_column_int(q, 4) != 0;
	out->expires = (time_t)sqlite3_column_int64(q, 6);
	/* q stays active, so authz and challenges come from one snapshot. */
	if ((qc = store_prep(st, STMT_CHALL_BY_AUTHZ,
	    "SELECT " CHALL_COLS " FROM challenges WHERE authz_id = ?1 "
	    "ORDER BY position")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(qc, 1, id) != 0) {
		rc = store_fail(st, "authz_get");
		goto out;
	}
	while ((rc = store_step_row(st, qc, "authz_get")) == STORE_OK) {
		if (out->nchall == ACME_CHALL__MAX ||
		    read_chall(qc, &out->chall[out->nchall]) != 0) {
			rc = store_fail_msg(st, "authz_get",
			    "malformed challenge row");
			goto out;
		}
		out->nchall++;
	}
	if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
out:
	store_reset(qc);
	store_reset(q);
	if (rc != STORE_OK)
		acme_authz_clear(out);
	return rc;
}

enum store_status
store_authz_get(struct store *st, const char *id, struct acme_authz *out)
{
	return store_authz_load(st, id, out);
}

static enum store_status
authz_cas_miss(struct store *st, const char *id)
{
	enum store_status	 rc;

	rc = store_exists(st, STMT_AUTHZ_EXISTS,
	    "SELECT 1 FROM authzs WHERE id = ?1", id, "authz_exists");
	return rc == STORE_OK ? STORE_CONFLICT : rc;
}

enum store_status
store_authz_set_status(struct store *st, const char *id,
    enum acme_authz_status from, enum acme_authz_status to)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc;
	int			 changed;

	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	if ((q = store_prep(st, STMT_AUTHZ_SET_STATUS,
	    "UPDATE authzs SET status = ?3 WHERE id = ?1 AND status = ?2"))
	    == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, id) != 0 ||
	    store_bind_text(q, 2, acme_authz_status_str(from)) != 0 ||
	    store_bind_text(q, 3, acme_authz_status_str(to)) != 0) {
		rc = store_fail(st, "authz_set_status");
		goto out;
	}
	rc = store_step_done(st, q, "authz_set_status");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	q = NULL;
	if (rc != STORE_OK)
		goto out;
	if (changed == 0) {
		rc = authz_cas_miss(st, id);
		goto out;
	}
	/*
	 * RFC 8555 §7.1.6: an order with an unusable authz is invalid; one
	 * whose authzs are now all valid is ready.
	 */
	if (to == ACME_AUTHZ_VALID)
		rc = store_orders_ready_by_authz(st, id);
	else if (to != ACME_AUTHZ_PENDING)
		rc = store_orders_invalidate_by_authz(st, id);
out:
	store_reset(q);
	return store_txn_end(st, rc);
}

static enum store_status
authz_find(struct store *st, const char *account_id,
    const struct acme_identifier *ident, bool wildcard, time_t now,
    enum acme_authz_status status, struct acme_authz *out)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;
	char			 id[ACME_ID_SIZE];

	acme_authz_clear(out);
	if ((q = store_prep(st, STMT_AUTHZ_FIND,
	    "SELECT id FROM authzs WHERE account_id = ?1 AND ident_type = ?2 "
	    "AND ident_value = ?3 AND wildcard = ?4 AND status = ?5 "
	    "AND expires > ?6 ORDER BY expires DESC LIMIT 1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, account_id) != 0 ||
	    store_bind_text(q, 2, acme_ident_type_str(ident->type)) != 0 ||
	    store_bind_text(q, 3, ident->value) != 0 ||
	    sqlite3_bind_int(q, 4, wildcard ? 1 : 0) != SQLITE_OK ||
	    store_bind_text(q, 5, acme_authz_status_str(status)) != 0 ||
	    sqlite3_bind_int64(q, 6, (sqlite3_int64)now) != SQLITE_OK) {
		rc = store_fail(st, "authz_find");
		goto out;
	}
	if ((rc = store_step_row(st, q, "authz_find")) != STORE_OK)
		goto out;
	if (store_col_copy(q, 0, id, sizeof(id)) != 0) {
		rc = store_fail_msg(st, "authz_find", "malformed row");
		goto out;
	}
	store_reset(q);
	q = NULL;
	rc = store_authz_load(st, id, out);
out:
	store_reset(q);
	return rc;
}

enum store_status
store_authz_find_valid(struct store *st, const char *account_id,
    const struct acme_identifier *ident, bool wildcard, time_t now,
    struct acme_authz *out)
{
	return authz_find(st, account_id, ident, wildcard, now,
	    ACME_AUTHZ_VALID, out);
}

enum store_status
store_authz_find_pending(struct store *st, const char *account_id,
    const struct acme_identifier *ident, bool wildcard, time_t now,
    struct acme_authz *out)
{
	return authz_find(st, account_id, ident, wildcard, now,
	    ACME_AUTHZ_PENDING, out);
}

enum store_status
store_authz_count_pending(struct store *st, const char *account_id, size_t *n)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	*n = 0;
	if ((q = store_prep(st, STMT_AUTHZ_COUNT_PENDING,
	    "SELECT count(*) FROM authzs WHERE account_id = ?1 "
	    "AND status = 'pending'")) == NULL)
		goto out;
	if (store_bind_text(q, 1, account_id) != 0) {
		rc = store_fail(st, "authz_count_pending");
		goto out;
	}
	if ((rc = store_step_row(st, q, "authz_count_pending")) != STORE_OK) {
		if (rc == STORE_NOTFOUND)
			rc = store_fail_msg(st, "authz_count_pending", "no row");
		goto out;
	}
	*n = (size_t)sqlite3_column_int64(q, 0);
out:
	store_reset(q);
	return rc;
}

enum store_status
store_challenge_get(struct store *st, const char *id,
    struct acme_challenge *out, struct acme_authz *authz_out)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	memset(out, 0, sizeof(*out));
	if (authz_out != NULL)
		acme_authz_clear(authz_out);
	if ((q = store_prep(st, STMT_CHALL_GET,
	    "SELECT " CHALL_COLS " FROM challenges WHERE id = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, id) != 0) {
		rc = store_fail(st, "challenge_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "challenge_get")) != STORE_OK)
		goto out;
	if (read_chall(q, out) != 0) {
		rc = store_fail_msg(st, "challenge_get", "malformed row");
		goto out;
	}
	store_reset(q);
	q = NULL;
	if (authz_out != NULL &&
	    (rc = store_authz_load(st, out->authz_id, authz_out)) != STORE_OK) {
		/* A challenge without its authz breaks a foreign key. */
		if (rc == STORE_NOTFOUND)
			rc = store_fail_msg(st, "challenge_get", "orphan");
		goto out;
	}
	rc = STORE_OK;
out:
	store_reset(q);
	if (rc != STORE_OK) {
		memset(out, 0, sizeof(*out));
		if (authz_out != NULL)
			acme_authz_clear(authz_out);
	}
	return rc;
}

static enum store_status
chall_cas_miss(struct store *st, const char *id)
{
	enum store_status	 rc;

	rc = store_exists(st, STMT_CHALL_EXISTS,
	    "SELECT 1 FROM challenges WHERE id = ?1", id, "challenge_exists");
	return rc == STORE_OK ? STORE_CONFLICT : rc;
}

enum store_status
store_challenge_begin(struct store *st, const char *chall_id)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;
	int			 changed;

	/*
	 * RFC 8555 §7.5.1, HARDENING X20: one statement under the write
	 * lock claims the validation only while the authz is pending and
	 * no sibling challenge has started.
	 */
	/* A lost claim is harmless: the client answers the challenge again. */
	if (store_txn_begin_relaxed(st) != STORE_OK)
		return STORE_ERR;
	if ((q = store_prep(st, STMT_CHALL_BEGIN,
	    "UPDATE challenges SET status = 'processing' "
	    "WHERE id = ?1 AND status = 'pending' "
	    "AND EXISTS (SELECT 1 FROM authzs a WHERE a.id = challenges.authz_id "
	    "AND a.status = 'pending') "
	    "AND NOT EXISTS (SELECT 1 FROM challenges c "
	    "WHERE c.authz_id = challenges.authz_id AND c.status <> 'pending')"))
	    == NULL)
		return store_txn_end(st, STORE_ERR);
	if (store_bind_text(q, 1, chall_id) != 0) {
		rc = store_fail(st, "challenge_begin");
		goto out;
	}
	rc = store_step_done(st, q, "challenge_begin");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	if (rc == STORE_OK && changed == 0)
		rc = chall_cas_miss(st, chall_id);
out:
	store_reset(q);
	return store_txn_end(st, rc);
}

enum store_status
store_challenge_finish(struct store *st, const char *chall_id, bool valid,
    const struct acme_error *err, time_t validated)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc;
	char			 authz_id[ACME_ID_SIZE];
	int			 changed;

	if ((rc = store_txn_begin_relaxed(st)) != STORE_OK)
		return rc;
	if ((q = store_prep(st, STMT_CHALL_FINISH,
	    "UPDATE challenges SET status = ?2, validated = ?3, "
	    "error_type = ?4, error_status = ?5, error_detail = ?6 "
	    "WHERE id = ?1 AND status = 'processing' RETURNING authz_id"))
	    == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, chall_id) != 0 ||
	    store_bind_text(q, 2, valid ? "valid" : "invalid") != 0 ||
	    sqlite3_bind_int64(q, 3, valid ? (sqlite3_int64)validated : 0) !=
	    SQLITE_OK ||
	    store_bind_error(q, 4, valid ? NULL : err) != 0) {
		rc = store_fail(st, "challenge_finish");
		goto out;
	}
	rc = store_step_row(st, q, "challenge_finish");
	if (rc == STORE_OK &&
	    store_col_copy(q, 0, authz_id, sizeof(authz_id)) != 0)
		rc = store_fail_msg(st, "challenge_finish", "malformed row");
	if (rc == STORE_OK &&
	    (rc = store_step_done(st, q, "challenge_finish")) == STORE_CONFLICT)
		rc = store_fail(st, "challenge_finish");
	store_reset(q);
	q = NULL;
	if (rc == STORE_NOTFOUND)
		rc = chall_cas_miss(st, chall_id);
	if (rc != STORE_OK)
		goto out;

	/* §7.1.6: the authz follows its challenge, if still pending. */
	if ((q = store_prep(st, STMT_AUTHZ_RESOLVE,
	    "UPDATE authzs SET status = ?2 WHERE id = ?1 AND status = 'pending'"))
	    == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (store_bind_text(q, 1, authz_id) != 0 ||
	    store_bind_text(q, 2, valid ? "valid" : "invalid") != 0) {
		rc = store_fail(st, "challenge_finish");
		goto out;
	}
	rc = store_step_done(st, q, "challenge_finish");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	q = NULL;
	if (rc != STORE_OK || changed == 0)
		goto out;
	/* ... and the orders follow their authzs. */
	rc = valid ? store_orders_ready_by_authz(st, authz_id) :
	    store_orders_invalidate_by_authz(st, authz_id);
out:
	store_reset(q);
	return store_txn_end(st, rc);
}

enum store_status
store_expire(struct store *st, time_t now, size_t *nauthz, size_t *norder)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc;
	size_t			 na = 0, no = 0;

	if (nauthz != NULL)
		*nauthz = 0;
	if (norder != NULL)
		*norder = 0;
	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	/* Orders using an authz about to expire first, while it still matches. */
	if ((q = store_prep(st, STMT_ORDERS_EXPIRE_BY_AUTHZ,
	    "UPDATE orders SET status = 'invalid' "
	    "WHERE status IN ('pending', 'ready') AND id IN "
	    "(SELECT oi.order_id FROM authzs a "
	    "JOIN order_identifiers oi ON oi.authz_id = a.id "
	    "WHERE a.status IN ('pending', 'valid') AND a.expires <= ?1)"))
	    == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (sqlite3_bind_int64(q, 1, (sqlite3_int64)now) != SQLITE_OK) {
		rc = store_fail(st, "expire");
		goto out;
	}
	if ((rc = store_step_done(st, q, "expire")) != STORE_OK)
		goto out;
	no += (size_t)sqlite3_changes(st->db);
	store_reset(q);

	if ((q = store_prep(st, STMT_AUTHZ_EXPIRE,
	    "UPDATE authzs SET status = 'expired' "
	    "WHERE status IN ('pending', 'valid') AND expires <= ?1")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (sqlite3_bind_int64(q, 1, (sqlite3_int64)now) != SQLITE_OK) {
		rc = store_fail(st, "expire");
		goto out;
	}
	if ((rc = store_step_done(st, q, "expire")) != STORE_OK)
		goto out;
	na += (size_t)sqlite3_changes(st->db);
	store_reset(q);

	if ((q = store_prep(st, STMT_ORDERS_EXPIRE,
	    "UPDATE orders SET status = 'invalid' "
	    "WHERE status IN ('pending', 'ready') AND expires <= ?1")) == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (sqlite3_bind_int64(q, 1, (sqlite3_int64)now) != SQLITE_OK) {
		rc = store_fail(st, "expire");
		goto out;
	}
	if ((rc = store_step_done(st, q, "expire")) != STORE_OK)
		goto out;
	no += (size_t)sqlite3_changes(st->db);
out:
	store_reset(q);
	rc = store_txn_end(st, rc);
	if (rc == STORE_OK) {
		if (nauthz != NULL)
			*nauthz = na;
		if (norder != NULL)
			*norder = no;
	}
	return rc;
}
