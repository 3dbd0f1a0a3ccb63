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

/*
 * By ID, pend first: an authorization and its challenges live in one
 * tier, and one found in the pending tier needs no read of the file (no
 * WAL read lock, ARCHITECTURE §4.6 round 2c); the file is read only when
 * pend does not have it.
 */
#define SQL_AUTHZ_GET(db) \
	"SELECT id, account_id, ident_type, ident_value, wildcard, status, " \
	"expires FROM " db ".authzs WHERE id = ?1"
#define SQL_CHALL_BY_AUTHZ(db) \
	"SELECT " CHALL_COLS " FROM " db ".challenges WHERE authz_id = ?1 " \
	"ORDER BY position"
#define SQL_CHALL_GET(db) \
	"SELECT " CHALL_COLS " FROM " db ".challenges WHERE id = ?1"

enum store_status
store_authz_load(struct store *st, const char *id, struct acme_authz *out)
{
	sqlite3_stmt		*q = NULL, *qc = NULL;
	enum store_status	 rc;
	int			 t = STORE_TIER_MAIN;

	acme_authz_clear(out);
	if ((q = store_tier_find(st, STMT_AUTHZ_GET, SQL_AUTHZ_GET("pend"),
	    STMT_AUTHZ_GET_M, SQL_AUTHZ_GET("main"), id, "authz_get", &t,
	    &rc)) == NULL)
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
	if ((qc = store_tier_prep(st, t, STMT_CHALL_BY_AUTHZ,
	    SQL_CHALL_BY_AUTHZ("pend"), STMT_CHALL_BY_AUTHZ_M,
	    SQL_CHALL_BY_AUTHZ("main"))) == NULL) {
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

#define SQL_AUTHZ_SET_STATUS(db) \
	"UPDATE " db ".authzs SET status = ?3 WHERE id = ?1 AND status = ?2"

enum store_status
store_authz_set_status(struct store *st, const char *id,
    enum acme_authz_status from, enum acme_authz_status to)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_OK;
	int			 changed = 0, t;

	/* Pend first, then main (store_pending.c). */
	for (t = store_tier_first(st); t <= STORE_TIER_MAIN && changed == 0 &&
	    rc == STORE_OK; t++) {
		if ((q = store_tier_prep(st, t, STMT_AUTHZ_SET_STATUS,
		    SQL_AUTHZ_SET_STATUS("pend"), STMT_AUTHZ_SET_STATUS_M,
		    SQL_AUTHZ_SET_STATUS("main"))) == NULL)
			return STORE_ERR;
		if (store_bind_text(q, 1, id) != 0 ||
		    store_bind_text(q, 2, acme_authz_status_str(from)) != 0 ||
		    store_bind_text(q, 3, acme_authz_status_str(to)) != 0)
			rc = store_fail(st, "authz_set_status");
		else {
			rc = store_step_done(st, q, "authz_set_status");
			changed = sqlite3_changes(st->db);
		}
		store_reset(q);
	}
	if (rc == STORE_OK && changed == 0)
		rc = authz_cas_miss(st, id);
	return rc;
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

/*
 * Pending authorizations live in pend (store_pending.c), so the count
 * reads only pend, no WAL read lock on the file, unless main held some
 * when the tier was attached (a database an earlier version wrote).
 */
#define SQL_AUTHZ_COUNT_PENDING(from) \
	"SELECT count(*) FROM " from " WHERE account_id = ?1 " \
	"AND status = 'pending'"

enum store_status
store_authz_count_pending(struct store *st, const char *account_id, size_t *n)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	*n = 0;
	if ((q = st->pend && !st->main_pending ?
	    store_prep(st, STMT_AUTHZ_COUNT_PENDING,
	    SQL_AUTHZ_COUNT_PENDING("pend.authzs")) :
	    store_prep(st, STMT_AUTHZ_COUNT_PENDING_ALL,
	    SQL_AUTHZ_COUNT_PENDING("authzs"))) == NULL)
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
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc = STORE_ERR;
	int			 t;

	memset(out, 0, sizeof(*out));
	if (authz_out != NULL)
		acme_authz_clear(authz_out);
	if ((q = store_tier_find(st, STMT_CHALL_GET, SQL_CHALL_GET("pend"),
	    STMT_CHALL_GET_M, SQL_CHALL_GET("main"), id, "challenge_get", &t,
	    &rc)) == NULL)
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

/*
 * RFC 8555 §7.5.1, HARDENING X20: one statement claims the validation
 * only while the authz is pending and no sibling challenge has started.
 * An authorization and its challenges share a tier, so the statement
 * reads only its own: a pending challenge's claim reads nothing of the
 * file (no WAL read lock, ARCHITECTURE §4.6).
 */
#define SQL_CHALL_BEGIN(db) \
	"UPDATE " db ".challenges SET status = ?3 " \
	"WHERE id = ?1 AND status = ?2 " \
	"AND EXISTS (SELECT 1 FROM " db ".authzs a " \
	"WHERE a.id = challenges.authz_id AND a.status = ?4) " \
	"AND NOT EXISTS (SELECT 1 FROM " db ".challenges c " \
	"WHERE c.authz_id = challenges.authz_id AND c.status <> ?2)"

enum store_status
store_challenge_begin(struct store *st, const char *chall_id)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_OK;
	bool			 own = store_tx_depth(st) == 0;
	int			 changed = 0, t;

	/*
	 * A lost claim is harmless: the client answers the challenge again.
	 * A pending challenge is in the pending tier: its transaction takes
	 * no write lock on the file (store_begin_pending). In a caller's
	 * transaction the statement needs no savepoint: SQLite undoes a
	 * failed statement by itself.
	 */
	if (own && store_txn_begin_pending(st) != STORE_OK)
		return STORE_ERR;
	for (t = store_tier_first(st); t <= STORE_TIER_MAIN && changed == 0 &&
	    rc == STORE_OK; t++) {
		if ((q = store_tier_prep(st, t, STMT_CHALL_BEGIN,
		    SQL_CHALL_BEGIN("pend"), STMT_CHALL_BEGIN_M,
		    SQL_CHALL_BEGIN("main"))) == NULL) {
			rc = STORE_ERR;
			break;
		}
		if (store_bind_text(q, 1, chall_id) != 0 ||
		    store_bind_text(q, 2,
		    acme_chall_status_str(ACME_CHALL_PENDING)) != 0 ||
		    store_bind_text(q, 3,
		    acme_chall_status_str(ACME_CHALL_PROCESSING)) != 0 ||
		    store_bind_text(q, 4,
		    acme_authz_status_str(ACME_AUTHZ_PENDING)) != 0)
			rc = store_fail(st, "challenge_begin");
		else {
			rc = store_step_done(st, q, "challenge_begin");
			changed = sqlite3_changes(st->db);
		}
		store_reset(q);
	}
	if (rc == STORE_OK && changed == 0)
		rc = chall_cas_miss(st, chall_id);
	return own ? store_txn_end(st, rc) : rc;
}

#define SQL_CHALL_SET_STATUS(db) \
	"UPDATE " db ".challenges SET status = ?3, validated = ?4, " \
	"error_type = ?5, error_status = ?6, error_detail = ?7 " \
	"WHERE id = ?1 AND status = ?2 RETURNING authz_id"

enum store_status
store_challenge_set_status(struct store *st, const char *id,
    enum acme_chall_status from, enum acme_chall_status to,
    const struct acme_error *err, time_t validated,
    char authz_id[ACME_ID_SIZE])
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_NOTFOUND;
	int			 t;

	/* Pend first, then main (store_pending.c). */
	for (t = store_tier_first(st); t <= STORE_TIER_MAIN &&
	    rc == STORE_NOTFOUND; t++) {
		if ((q = store_tier_prep(st, t, STMT_CHALL_SET_STATUS,
		    SQL_CHALL_SET_STATUS("pend"), STMT_CHALL_SET_STATUS_M,
		    SQL_CHALL_SET_STATUS("main"))) == NULL)
			return STORE_ERR;
		if (store_bind_text(q, 1, id) != 0 ||
		    store_bind_text(q, 2, acme_chall_status_str(from)) != 0 ||
		    store_bind_text(q, 3, acme_chall_status_str(to)) != 0 ||
		    sqlite3_bind_int64(q, 4, (sqlite3_int64)validated) !=
		    SQLITE_OK ||
		    store_bind_error(q, 5, err) != 0) {
			rc = store_fail(st, "challenge_set_status");
			store_reset(q);
			break;
		}
		rc = store_step_row(st, q, "challenge_set_status");
		if (rc == STORE_OK && authz_id != NULL &&
		    store_col_copy(q, 0, authz_id, ACME_ID_SIZE) != 0)
			rc = store_fail_msg(st, "challenge_set_status",
			    "malformed row");
		if (rc == STORE_OK && (rc = store_step_done(st, q,
		    "challenge_set_status")) == STORE_CONFLICT)
			rc = store_fail(st, "challenge_set_status");
		store_reset(q);
	}
	if (rc == STORE_NOTFOUND)
		rc = chall_cas_miss(st, id);
	return rc;
}

/* Bind ?1 = now and the sweep's statuses at ?2, ?3 (from) and ?4 (to). */
static int
bind_sweep(sqlite3_stmt *q, time_t now, const char *f0, const char *f1,
    const char *to)
{
	return sqlite3_bind_int64(q, 1, (sqlite3_int64)now) != SQLITE_OK ||
	    store_bind_text(q, 2, f0) != 0 || store_bind_text(q, 3, f1) != 0 ||
	    store_bind_text(q, 4, to) != 0 ? -1 : 0;
}

/*
 * The sweep's three updates, each run on both tiers. Orders using an
 * authz about to expire go first, while it still matches; the subqueries
 * read the views one table at a time, so each tier's partial index
 * serves (a join of two views could not use them).
 */
#define SQL_ORDERS_EXPIRE_BY_AUTHZ(db) \
	"UPDATE " db ".orders SET status = ?4 " \
	"WHERE status IN (?2, ?3) AND " IDX_ORDERS_LIVE " AND id IN " \
	"(SELECT order_id FROM order_identifiers WHERE authz_id IN " \
	"(SELECT id FROM authzs WHERE status IN (?5, ?6) AND " \
	IDX_AUTHZS_LIVE " AND expires <= ?1))"
#define SQL_AUTHZ_EXPIRE(db) \
	"UPDATE " db ".authzs SET status = ?4 " \
	"WHERE status IN (?2, ?3) AND " IDX_AUTHZS_LIVE " AND expires <= ?1"
#define SQL_ORDERS_EXPIRE(db) \
	"UPDATE " db ".orders SET status = ?4 " \
	"WHERE status IN (?2, ?3) AND " IDX_ORDERS_LIVE " AND expires <= ?1"

/*
 * How long an ended object stays in the pending tier after its expiry,
 * so a client polling it still reads why it ended (store_pending.c).
 */
#define PENDING_KEEP_S	600

enum store_status
store_expire(struct store *st, time_t now, const struct store_expiry *e,
    size_t *nauthz, size_t *norder)
{
	static const struct {
		enum store_stmt	 slot[2];
		const char	*sql[2];
		bool		 authz;		/* else orders */
		bool		 by_authz;	/* binds ?5, ?6 */
	} steps[] = {
		{ { STMT_ORDERS_EXPIRE_BY_AUTHZ, STMT_ORDERS_EXPIRE_BY_AUTHZ_M },
		  { SQL_ORDERS_EXPIRE_BY_AUTHZ("pend"),
		    SQL_ORDERS_EXPIRE_BY_AUTHZ("main") }, false, true },
		{ { STMT_AUTHZ_EXPIRE, STMT_AUTHZ_EXPIRE_M },
		  { SQL_AUTHZ_EXPIRE("pend"), SQL_AUTHZ_EXPIRE("main") },
		  true, false },
		{ { STMT_ORDERS_EXPIRE, STMT_ORDERS_EXPIRE_M },
		  { SQL_ORDERS_EXPIRE("pend"), SQL_ORDERS_EXPIRE("main") },
		  false, false },
	};
	sqlite3_stmt		*q;
	enum store_status	 rc;
	const char		*af0, *af1, *of0, *of1;
	size_t			 na = 0, no = 0, i, n;
	int			 t, bad;

	if (nauthz != NULL)
		*nauthz = 0;
	if (norder != NULL)
		*norder = 0;
	af0 = acme_authz_status_str(e->authz_from[0]);
	af1 = acme_authz_status_str(e->authz_from[1]);
	of0 = acme_order_status_str(e->order_from[0]);
	of1 = acme_order_status_str(e->order_from[1]);
	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		for (t = store_tier_first(st); t <= STORE_TIER_MAIN; t++) {
			if ((q = store_tier_prep(st, t, steps[i].slot[0],
			    steps[i].sql[0], steps[i].slot[1],
			    steps[i].sql[1])) == NULL) {
				rc = STORE_ERR;
				goto out;
			}
			if (steps[i].authz)
				bad = bind_sweep(q, now, af0, af1,
				    acme_authz_status_str(e->authz_to));
			else
				bad = bind_sweep(q, now, of0, of1,
				    acme_order_status_str(e->order_to));
			if (bad == 0 && steps[i].by_authz)
				bad = store_bind_text(q, 5, af0) != 0 ||
				    store_bind_text(q, 6, af1) != 0;
			if (bad != 0)
				rc = store_fail(st, "expire");
			else
				rc = store_step_done(st, q, "expire");
			n = (size_t)sqlite3_changes(st->db);
			store_reset(q);
			if (rc != STORE_OK)
				goto out;
			if (steps[i].authz)
				na += n;
			else
				no += n;
		}
	}
	/* Memory follows the live pending set (store_pending.c). */
	rc = store_pending_evict(st, now - PENDING_KEEP_S, NULL);
out:
	rc = store_txn_end(st, rc);
	if (rc == STORE_OK) {
		if (nauthz != NULL)
			*nauthz = na;
		if (norder != NULL)
			*norder = no;
	}
	return rc;
}
