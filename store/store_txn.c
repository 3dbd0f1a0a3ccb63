/* store_txn.c - transactions: BEGIN IMMEDIATE, savepoints, commit, rollback, the process's one writer */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

/*
 * One writer at a time in this process. SQLite allows one anyway; without
 * this a second connection's BEGIN IMMEDIATE gets SQLITE_BUSY and the
 * busy handler sleeps 1, 2, 5, 10... ms even when the lock is free again
 * 50 us later, which at 16 concurrent clients made issuance p99 over a
 * second. Held from the outermost BEGIN to its COMMIT or ROLLBACK (depth
 * 0 -> 1 -> 0); other processes still meet the busy timeout.
 *
 * Process-wide, not a member of struct store, and still needed: what it
 * orders is the database's one write lock, which every connection the
 * process opens to the file shares, and `serve` writes on four of them
 * (the RA's under its db_mu, the server certificate's on the main thread,
 * the CRL publisher's under crl->mu, the admin API's under admin->mu;
 * docs/ARCHITECTURE.md §4.2). No caller's lock and no struct store spans
 * them: as a member of struct store it would order nothing the caller's
 * lock does not, and a writer on another connection would meet the busy
 * handler instead of waiting here. Once the RA's connection is the only
 * one (ARCHITECTURE §7.6), db_mu covers everything it guards and it goes.
 */
static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;

/* The outermost transaction ended: let the next writer in, back to FULL. */
/*
 * A transaction begun inside a read snapshot's lock section gives the
 * snapshot back when it ends (a fresh one, BEGIN DEFERRED: no lock until
 * the first read), so the section's later reads share one WAL read lock
 * again instead of taking one each (issue #17). store_read_end, at the
 * end of the section, ends it.
 */
static void
snap_resume(struct store *st)
{
	if (st->snap_resume) {
		st->snap_resume = false;
		(void)store_read_begin(st);
	}
}

static void
tx_done(struct store *st)
{
	if (st->tx_pending) {	/* took no write_mu, changed no PRAGMA */
		st->tx_pending = false;
		snap_resume(st);
		return;
	}
	/* Autocommit writes run FULL (or are group-synced); on failure
	 * begin() retries it. */
	if (!st->group)
		(void)store_set_relaxed(st, false);
	pthread_mutex_unlock(&write_mu);
	snap_resume(st);
}

/* Undo one level. Errors are recorded only when `record` (else the
 * caller's first error stays in errmsg). */
enum store_status
store_rollback_level(struct store *st, bool record)
{
	sqlite3_stmt		*q;
	char			 sql[64];
	enum store_status	 rc = STORE_OK;

	if (st->depth == 0)
		return record ? store_fail_msg(st, "rollback",
		    "no transaction") : STORE_ERR;
	if (st->depth == 1) {
		/* SQLite may have rolled back already (FULL, IOERR, BUSY). */
		if (!sqlite3_get_autocommit(st->db)) {
			q = store_prep(st, STMT_ROLLBACK, "ROLLBACK");
			if (q == NULL || sqlite3_step(q) != SQLITE_DONE) {
				if (record && q != NULL)
					rc = store_fail(st, "rollback");
				else
					rc = STORE_ERR;
			}
			store_reset(q);
		}
		st->depth = 0;
		st->aborted = false;
		tx_done(st);
		return rc;
	}
	if (!st->aborted && !sqlite3_get_autocommit(st->db)) {
		snprintf(sql, sizeof(sql), "ROLLBACK TO s%d; RELEASE s%d",
		    st->depth - 1, st->depth - 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			rc = record ? store_fail(st, "rollback") : STORE_ERR;
			st->aborted = true;
		}
	} else
		st->aborted = true;
	st->depth--;
	return rc;
}

/*
 * Set the connection's synchronous mode, outside any transaction (SQLite
 * reads it when the transaction starts). st->relaxed tracks it.
 */
enum store_status
store_set_relaxed(struct store *st, bool relaxed)
{
	if (st->relaxed == relaxed)
		return STORE_OK;
	if (sqlite3_exec(st->db, relaxed ? "PRAGMA synchronous = NORMAL" :
	    "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "synchronous");
	st->relaxed = relaxed;
	return STORE_OK;
}

static enum store_status
begin(struct store *st, bool relaxed)
{
	sqlite3_stmt		*q;
	char			 sql[32];
	enum store_status	 rc;
	bool			 had_snap;

	if (st->depth == 0) {
		had_snap = st->snap;
		store_read_end(st);	/* BEGIN IMMEDIATE: a fresh snapshot */
		pthread_mutex_lock(&write_mu);
		st->commit_durable = !relaxed;
		/*
		 * A durable transaction never runs at NORMAL, except under
		 * group commit, where store_sync fsyncs it before any answer.
		 */
		if (!st->group && store_set_relaxed(st, relaxed) != STORE_OK) {
			pthread_mutex_unlock(&write_mu);
			if (relaxed)
				return begin(st, false);	/* FULL is fine */
			return STORE_ERR;
		}
		if ((q = store_prep(st, STMT_BEGIN, "BEGIN IMMEDIATE")) == NULL) {
			pthread_mutex_unlock(&write_mu);
			return STORE_ERR;
		}
		rc = store_step_done(st, q, "begin");
		store_reset(q);
		if (rc != STORE_OK) {
			pthread_mutex_unlock(&write_mu);
			return STORE_ERR;
		}
		st->aborted = false;
		st->depth = 1;
		st->snap_resume = had_snap;
		return STORE_OK;
	}
	if (st->aborted || sqlite3_get_autocommit(st->db)) {
		st->aborted = true;
		return store_fail_msg(st, "begin",
		    "enclosing transaction was rolled back");
	}
	snprintf(sql, sizeof(sql), "SAVEPOINT s%d", st->depth);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "savepoint");
	st->depth++;
	return STORE_OK;
}

/*
 * A transaction for the pending tier: a deferred one (no write lock on
 * the file, no write_mu), continuing the read snapshot when one is open.
 */
static enum store_status
begin_pending(struct store *st)
{
	sqlite3_stmt		*q;
	enum store_status	 rc;
	bool			 had_snap;

	if (st->depth != 0 || !st->pend)
		return begin(st, true);
	had_snap = st->snap;
	if (st->snap && !sqlite3_get_autocommit(st->db))
		st->snap = false;	/* the snapshot's transaction is ours */
	else {
		st->snap = false;
		if ((q = store_prep(st, STMT_READ_BEGIN, "BEGIN DEFERRED")) ==
		    NULL)
			return STORE_ERR;
		rc = store_step_done(st, q, "begin");
		store_reset(q);
		if (rc != STORE_OK)
			return STORE_ERR;
	}
	st->commit_durable = false;
	st->snap_resume = had_snap;
	st->tx_pending = true;
	st->aborted = false;
	st->depth = 1;
	return STORE_OK;
}

enum store_status
store_begin_pending(struct store *st)
{
	return begin_pending(st);
}

enum store_status
store_begin(struct store *st)
{
	return begin(st, false);
}

enum store_status
store_begin_relaxed(struct store *st)
{
	return begin(st, true);
}

enum store_status
store_commit(struct store *st)
{
	sqlite3_stmt		*q;
	char			 sql[32];
	enum store_status	 rc;
	int			 code;

	if (st->depth == 0)
		return store_fail_msg(st, "commit", "no transaction");
	if (st->aborted || sqlite3_get_autocommit(st->db)) {
		/* Keep the code of the failure that aborted it (FULL, ...). */
		code = st->errcode;
		store_rollback_level(st, false);
		store_fail_msg(st, "commit", "transaction was rolled back");
		if (code != 0)
			st->errcode = code;
		return STORE_ERR;
	}
	if (st->depth > 1) {
		snprintf(sql, sizeof(sql), "RELEASE s%d", st->depth - 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			rc = store_fail(st, "release");
			store_rollback_level(st, false);
			return rc;
		}
		st->depth--;
		return STORE_OK;
	}
	if ((q = store_prep(st, STMT_COMMIT, "COMMIT")) == NULL) {
		store_rollback_level(st, false);
		return STORE_ERR;
	}
	rc = store_step_done(st, q, "commit");
	store_reset(q);
	if (rc != STORE_OK) {
		store_rollback_level(st, false);
		return STORE_ERR;
	}
	st->depth = 0;
	tx_done(st);
	return STORE_OK;
}

enum store_status
store_rollback(struct store *st)
{
	return store_rollback_level(st, true);
}

int
store_tx_depth(const struct store *st)
{
	return st->depth;
}

/*
 * Read snapshots. In WAL mode every transaction, a lone SELECT's too, takes
 * a read lock on the -shm and lets it go (two fcntl calls, more when the
 * WAL moved); a request of the RA ran some 20 of them per issuance. A
 * deferred BEGIN takes no lock until its first SELECT, and its COMMIT only
 * releases the read lock.
 */
enum store_status
store_read_begin(struct store *st)
{
	sqlite3_stmt		*q;
	enum store_status	 rc;

	if (st->depth != 0 || st->snap || !sqlite3_get_autocommit(st->db))
		return STORE_OK;
	if ((q = store_prep(st, STMT_READ_BEGIN, "BEGIN DEFERRED")) == NULL)
		return STORE_ERR;
	rc = store_step_done(st, q, "read_begin");
	store_reset(q);
	if (rc == STORE_OK)
		st->snap = true;
	return rc;
}

void
store_read_end(struct store *st)
{
	sqlite3_stmt	*q;

	if (!st->snap)
		return;
	st->snap = false;	/* before store_prep, which would recurse */
	if (sqlite3_get_autocommit(st->db))
		return;
	if ((q = store_prep(st, STMT_READ_END, "COMMIT")) != NULL) {
		(void)sqlite3_step(q);
		store_reset(q);
	}
	/* Never leave it open: the next BEGIN would fail, checkpoints stall. */
	if (!sqlite3_get_autocommit(st->db))
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

void
store_snap_check(struct store *st, sqlite3_stmt *q)
{
	if (st->snap && q != NULL && !sqlite3_stmt_readonly(q))
		store_read_end(st);
}

enum store_status
store_txn_begin(struct store *st)
{
	return store_begin(st);
}

enum store_status
store_txn_begin_relaxed(struct store *st)
{
	return store_begin_relaxed(st);	/* nested: the outer one decides */
}

enum store_status
store_txn_begin_pending(struct store *st)
{
	return begin_pending(st);	/* nested: the outer one decides */
}

enum store_status
store_txn_end(struct store *st, enum store_status rc)
{
	if (rc == STORE_OK)
		return store_commit(st);
	store_rollback_level(st, false);
	return rc;
}
