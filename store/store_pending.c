/* store_pending.c - the pending tier: orders, authorizations and challenges that live minutes, in memory until finalize */
/* SPDX-License-Identifier: MIT */
/*
 * Issue #17 (docs/ARCHITECTURE.md §4.7). A pending order, its new
 * authorizations and their challenges live a few milliseconds to a few
 * minutes, and a client that loses them to a restart simply orders again
 * (RFC 8555 §7.1.6 lets a server end an order; a 404 for a vanished order
 * is what every client handles). Written to the database file, they were
 * 61% of the WAL frames of an issuance and two of its four write
 * transactions. So every read-write connection attaches an in-memory
 * database `pend` with tables of the same columns as main's, and TEMP
 * views named like the tables (orders, authzs, challenges,
 * order_identifiers) that read `pend` UNION ALL `main`: every SELECT of
 * the store reads both tiers unchanged, since unqualified names resolve
 * to the temp schema first.
 *
 * Writes name their tier:
 * - new rows go to pend (store_order_create);
 * - an update tries pend, then main (store_tier_prep; an object lives in
 *   exactly one tier, so a compare-and-set that misses in pend is
 *   decided in main);
 * - when an order moves to processing (store_order_begin_processing, the
 *   serial reservation), store_pending_move copies it, its identifiers,
 *   its authorizations still in pend and their challenges to main, in the
 *   reservation's transaction, and deletes them from pend. From then on
 *   the order and what it proved are durable with the reservation, so the
 *   crash tests (HARDENING I2-I5) see exactly what they saw before;
 * - store_pending_evict drops final objects some time after they expired
 *   (called by store_expire), so memory follows the live pending set.
 *
 * `pend` takes part in every transaction of the connection (a ROLLBACK
 * undoes its rows too) and has no file, no WAL and no locks. A
 * transaction that writes only pend (store_begin_pending) therefore
 * needs no write lock on the database file.
 *
 * Lost at a restart: pending and ready orders, their authorizations
 * (valid ones too, unless an order that used them was finalized) and
 * challenges. A client polling one gets 404 and orders again.
 * Read-only connections attach nothing and read main alone.
 */
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store_internal.h"

/* The four tiered tables, in the order the views are made. */
static const char *const tiered[] = {
	"authzs", "challenges", "orders", "order_identifiers",
};

/*
 * The indexes the store's queries look up by. The tables have no
 * foreign keys (SQLite has none across databases; the move inserts into
 * main in an order main's keys accept).
 */
static const char pend_indexes[] =
    "CREATE UNIQUE INDEX pend.authzs_id ON authzs (id);"
    "CREATE INDEX pend.authzs_reuse ON authzs "
    "(account_id, ident_type, ident_value, wildcard, status, expires);"
    "CREATE UNIQUE INDEX pend.challenges_id ON challenges (id);"
    "CREATE UNIQUE INDEX pend.challenges_token ON challenges (token);"
    "CREATE INDEX pend.challenges_authz ON challenges (authz_id, position);"
    "CREATE UNIQUE INDEX pend.orders_id ON orders (id);"
    "CREATE INDEX pend.orders_account ON orders (account_id, created, id);"
    "CREATE INDEX pend.orders_expires ON orders (expires);"
    "CREATE UNIQUE INDEX pend.order_identifiers_pk ON order_identifiers "
    "(order_id, position);"
    "CREATE INDEX pend.order_identifiers_authz ON order_identifiers "
    "(authz_id, order_id);";

/*
 * "CREATE TABLE pend.<table> (...)" with main's columns, types and
 * defaults as they are after the migrations (PRAGMA table_info), so the
 * tiers never differ and an insert that leaves a column to its default
 * gets main's. No constraints: main checks them when the move inserts.
 */
static int
pend_table_sql(struct store *st, const char *table, char *buf, size_t sz)
{
	sqlite3_stmt	*q;
	size_t		 o;
	int		 n, rc, cols = 0;

	n = snprintf(buf, sz, "CREATE TABLE pend.%s (", table);
	if (n < 0 || (size_t)n >= sz)
		return -1;
	o = (size_t)n;
	if ((q = store_prepare(st, "SELECT name, type, dflt_value FROM "
	    "pragma_table_info(?1, 'main') ORDER BY cid", "pending tier")) ==
	    NULL)
		return -1;
	if (sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(q);
		return -1;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *dflt = (const char *)sqlite3_column_text(q, 2);

		n = snprintf(buf + o, sz - o, "%s%s %s%s%s", cols > 0 ? ", " : "",
		    (const char *)sqlite3_column_text(q, 0),
		    (const char *)sqlite3_column_text(q, 1),
		    dflt != NULL ? " DEFAULT " : "", dflt != NULL ? dflt : "");
		if (n < 0 || (size_t)n >= sz - o) {
			sqlite3_finalize(q);
			return -1;
		}
		o += (size_t)n;
		cols++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE || cols == 0)
		return -1;
	n = snprintf(buf + o, sz - o, ")");
	return n < 0 || (size_t)n >= sz - o ? -1 : 0;
}

/* Does sql (one SELECT, no parameters) return a row? -1 on error. */
static int
row_exists(struct store *st, const char *sql, bool *out)
{
	sqlite3_stmt	*q;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	*out = rc == SQLITE_ROW;
	return 0;
}

int
store_pending_attach(struct store *st)
{
	char	 sql[2048];
	size_t	 i;

	/*
	 * The two small databases (pend, and temp for the views) with 1 KiB
	 * pages and no preallocated page cache: by default each cache starts
	 * with a bulk of 20 pages of 4 KiB, which made the tier cost an idle
	 * server 190 KiB. An in-memory database keeps every page it has
	 * whatever its cache_size, so the live pending set is never spilled.
	 */
	if (sqlite3_exec(st->db, "ATTACH DATABASE ':memory:' AS pend;"
	    "PRAGMA pend.page_size = 1024; PRAGMA temp.page_size = 1024;"
	    "PRAGMA pend.cache_size = 2; PRAGMA temp.cache_size = 2;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "pending tier");
		return -1;
	}
	for (i = 0; i < sizeof(tiered) / sizeof(tiered[0]); i++) {
		if (pend_table_sql(st, tiered[i], sql, sizeof(sql)) == -1) {
			store_fail_msg(st, "pending tier", "cannot read the "
			    "columns of main's tables");
			return -1;
		}
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			store_fail(st, "pending tier");
			return -1;
		}
		snprintf(sql, sizeof(sql),
		    "CREATE TEMP VIEW %s AS SELECT * FROM pend.%s "
		    "UNION ALL SELECT * FROM main.%s;",
		    tiered[i], tiered[i], tiered[i]);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			store_fail(st, "pending tier");
			return -1;
		}
	}
	if (sqlite3_exec(st->db, pend_indexes, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "pending tier");
		return -1;
	}
	/*
	 * A pending authorization is created in pend and leaves it only as
	 * valid (the reservation moves those of a ready order), so main has
	 * one only in a database an earlier version wrote. If this one has
	 * any, counts of pending authorizations read both tiers for as long
	 * as it stays open (store_authz_count_pending).
	 */
	if (row_exists(st, "SELECT 1 FROM main.authzs "
	    "WHERE status = 'pending' LIMIT 1", &st->main_pending) == -1) {
		store_fail(st, "pending tier");
		return -1;
	}
	/* That read the whole table: give its pages back to the heap. */
	(void)sqlite3_db_release_memory(st->db);
	st->pend = true;
	return 0;
}

sqlite3_stmt *
store_tier_prep(struct store *st, int tier, enum store_stmt pend_slot,
    const char *pend_sql, enum store_stmt main_slot, const char *main_sql)
{
	if (tier == STORE_TIER_PEND)
		return store_prep(st, pend_slot, pend_sql);
	return store_prep(st, main_slot, main_sql);
}

int
store_tier_first(const struct store *st)
{
	return st->pend ? STORE_TIER_PEND : STORE_TIER_MAIN;
}

sqlite3_stmt *
store_tier_find(struct store *st, enum store_stmt pend_slot,
    const char *pend_sql, enum store_stmt main_slot, const char *main_sql,
    const char *id, const char *what, int *tier, enum store_status *rc)
{
	sqlite3_stmt	*q = NULL;
	int		 t;

	*rc = STORE_NOTFOUND;
	for (t = store_tier_first(st); t <= STORE_TIER_MAIN &&
	    *rc == STORE_NOTFOUND; t++) {
		store_reset(q);
		if ((q = store_tier_prep(st, t, pend_slot, pend_sql,
		    main_slot, main_sql)) == NULL) {
			*rc = STORE_ERR;
			return NULL;
		}
		if (store_bind_text(q, 1, id) != 0) {
			store_reset(q);
			*rc = store_fail(st, what);
			return NULL;
		}
		*rc = store_step_row(st, q, what);
		*tier = t;
	}
	if (*rc != STORE_OK) {
		store_reset(q);
		return NULL;
	}
	return q;
}

/*
 * The authorizations of order ?1 still in pend: the move's set. Main's
 * rows go in the order of its foreign keys (authzs, challenges, orders,
 * identifiers); pend's rows go out in an order that keeps the set
 * computable (challenges and authzs before the identifiers that name
 * them).
 */
#define MOVED_AUTHZS \
	"SELECT authz_id FROM pend.order_identifiers WHERE order_id = ?1"

static const struct {
	enum store_stmt	 slot;
	const char	*sql;
} move_steps[] = {
	{ STMT_PEND_MOVE_AUTHZS, "INSERT INTO main.authzs SELECT * FROM "
	    "pend.authzs WHERE id IN (" MOVED_AUTHZS ")" },
	/*
	 * Only the challenges a client attempted: a valid authorization
	 * lists just the one that was validated (RFC 8555 §7.1.4, as
	 * acme_render_authz shows it); the others end with the pend rows.
	 */
	{ STMT_PEND_MOVE_CHALLS, "INSERT INTO main.challenges SELECT * FROM "
	    "pend.challenges WHERE status <> 'pending' AND "
	    "authz_id IN (" MOVED_AUTHZS ")" },
	{ STMT_PEND_MOVE_ORDER, "INSERT INTO main.orders SELECT * FROM "
	    "pend.orders WHERE id = ?1" },
	{ STMT_PEND_MOVE_IDENTS, "INSERT INTO main.order_identifiers SELECT * "
	    "FROM pend.order_identifiers WHERE order_id = ?1" },
	{ STMT_PEND_DROP_CHALLS, "DELETE FROM pend.challenges WHERE "
	    "authz_id IN (" MOVED_AUTHZS ")" },
	{ STMT_PEND_DROP_AUTHZS, "DELETE FROM pend.authzs WHERE "
	    "id IN (" MOVED_AUTHZS ")" },
	{ STMT_PEND_DROP_IDENTS, "DELETE FROM pend.order_identifiers WHERE "
	    "order_id = ?1" },
	{ STMT_PEND_DROP_ORDER, "DELETE FROM pend.orders WHERE id = ?1" },
};

enum store_status
store_pending_move(struct store *st, const char *order_id)
{
	sqlite3_stmt		*q;
	enum store_status	 rc;
	size_t			 i;

	if (!st->pend)
		return STORE_OK;
	for (i = 0; i < sizeof(move_steps) / sizeof(move_steps[0]); i++) {
		if ((q = store_prep(st, move_steps[i].slot,
		    move_steps[i].sql)) == NULL)
			return STORE_ERR;
		if (store_bind_text(q, 1, order_id) != 0) {
			store_reset(q);
			return store_fail(st, "pending move");
		}
		rc = store_step_done(st, q, "pending move");
		store_reset(q);
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/*
 * Drop from pend what ended before `before`: orders no longer pending or
 * ready whose expiry passed, then authorizations no pend order names
 * that are final or expired, with their challenges.
 */
static const char *const evict_steps[] = {
	"DELETE FROM pend.order_identifiers WHERE order_id IN (SELECT id "
	"FROM pend.orders WHERE expires <= ?1 AND "
	"status NOT IN ('pending', 'ready'))",
	"DELETE FROM pend.orders WHERE expires <= ?1 AND "
	"status NOT IN ('pending', 'ready')",
	"DELETE FROM pend.challenges WHERE authz_id IN (SELECT id FROM "
	"pend.authzs WHERE expires <= ?1 AND id NOT IN "
	"(SELECT authz_id FROM pend.order_identifiers))",
	"DELETE FROM pend.authzs WHERE expires <= ?1 AND id NOT IN "
	"(SELECT authz_id FROM pend.order_identifiers)",
};

enum store_status
store_pending_evict(struct store *st, time_t before, size_t *n)
{
	sqlite3_stmt	*q;
	int		 rc;
	size_t		 i;

	if (n != NULL)
		*n = 0;
	if (!st->pend)
		return STORE_OK;
	for (i = 0; i < sizeof(evict_steps) / sizeof(evict_steps[0]); i++) {
		if ((q = store_prepare(st, evict_steps[i], "pending evict")) ==
		    NULL)
			return STORE_ERR;
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)before);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return store_fail(st, "pending evict");
		if (n != NULL && (i == 1 || i == 3))
			*n += (size_t)sqlite3_changes(st->db);
	}
	return STORE_OK;
}
