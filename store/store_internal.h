/* store_internal.h - what the store/ files share: the connection, statement cache, helpers */
/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_INTERNAL_H
#define STORE_STORE_INTERNAL_H

/* Not API: only the store/ sources include this. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"

/* Every cached statement; SQL text stays at its point of use. */
enum store_stmt {
	STMT_BEGIN = 0,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_META_GET,
	STMT_META_SET,
	/* accounts */
	STMT_ACCOUNT_INSERT,
	STMT_ACCOUNT_GET,
	STMT_ACCOUNT_GET_TP,
	STMT_ACCOUNT_EXISTS,
	STMT_ACCOUNT_STATUS,
	STMT_ACCOUNT_SET_CONTACTS,
	STMT_ACCOUNT_SET_STATUS,
	STMT_ACCOUNT_SET_KEY,
	/* orders */
	STMT_ORDER_INSERT,
	STMT_ORDER_IDENT_INSERT,
	STMT_ORDER_GET,
	STMT_ORDER_IDENTS,
	STMT_ORDER_EXISTS,
	STMT_ORDER_LIST,
	STMT_ORDER_LIST_AFTER,
	STMT_ORDER_CURSOR,
	STMT_ORDER_COUNT_SINCE,
	STMT_ORDER_SET_STATUS,
	STMT_ORDER_SET_ERROR,
	STMT_ORDER_BEGIN_PROC,
	STMT_ORDER_FINISH,
	STMT_ORDER_FAIL,
	STMT_ORDER_RECOVER,
	STMT_ORDER_ACCOUNT,
	STMT_ORDERS_OF_AUTHZ,
	STMT_ORDERS_OF_AUTHZ_PEND,
	STMT_ORDERS_EXPIRE_BY_AUTHZ,
	STMT_ORDERS_EXPIRE,
	/* authorizations and challenges */
	STMT_AUTHZ_INSERT,
	STMT_AUTHZ_GET,
	STMT_AUTHZ_OWNER,
	STMT_AUTHZ_EXISTS,
	STMT_AUTHZ_SET_STATUS,
	STMT_AUTHZ_FIND,
	STMT_AUTHZ_COUNT_PENDING,
	STMT_AUTHZ_COUNT_PENDING_ALL,
	STMT_AUTHZ_EXPIRE,
	STMT_CHALL_INSERT,
	STMT_CHALL_BY_AUTHZ,
	STMT_CHALL_GET,
	STMT_CHALL_EXISTS,
	STMT_CHALL_BEGIN,
	STMT_CHALL_SET_STATUS,
	STMT_CHALL_RECOVER,
	/* serials and certificates */
	STMT_SERIAL_INSERT,
	STMT_SERIAL_GET,
	STMT_SERIAL_ISSUE,
	STMT_SERIAL_FAIL,
	STMT_SERIAL_FAIL_ORDER,
	STMT_CERT_INSERT,
	STMT_CERT_GET,
	STMT_CERT_LIST,
	STMT_CERT_LIST_PEM,
	STMT_CERT_REVOKE,
	STMT_CERT_EXISTS,
	STMT_CERT_COUNT,
	STMT_CERT_PAGE,
	/* the same updates on main, after pend missed (store_pending.c) */
	STMT_ORDER_SET_STATUS_M,
	STMT_ORDER_SET_ERROR_M,
	STMT_ORDERS_EXPIRE_BY_AUTHZ_M,
	STMT_ORDERS_EXPIRE_M,
	STMT_AUTHZ_SET_STATUS_M,
	STMT_AUTHZ_EXPIRE_M,
	STMT_CHALL_BEGIN_M,
	STMT_CHALL_SET_STATUS_M,
	STMT_CHALL_RECOVER_M,
	STMT_AUTHZ_GET_M,
	STMT_CHALL_BY_AUTHZ_M,
	STMT_CHALL_GET_M,
	STMT_ORDER_GET_M,
	STMT_ORDER_IDENTS_M,
	/* an order's move from pend to main (store_pending.c) */
	STMT_PEND_MOVE_AUTHZS,
	STMT_PEND_MOVE_CHALLS,
	STMT_PEND_MOVE_ORDER,
	STMT_PEND_MOVE_IDENTS,
	STMT_PEND_DROP_CHALLS,
	STMT_PEND_DROP_AUTHZS,
	STMT_PEND_DROP_IDENTS,
	STMT_PEND_DROP_ORDER,
	/* read snapshots (store_txn.c) */
	STMT_READ_BEGIN,
	STMT_READ_END,
	STMT__MAX
};

/*
 * The predicates of schema.sql's partial indexes, repeated in the WHERE of
 * a sweep so that SQLite may use the index: the planner cannot prove that
 * a bound parameter matches an index's literal, and with the statuses
 * bound alone it scans the table ("SCAN authzs" instead of "SEARCH authzs
 * USING INDEX authzs_live_expires"). They choose no status: the statuses
 * the RA binds decide which rows change (docs/ARCHITECTURE.md §7.5).
 */
#define IDX_AUTHZS_LIVE		"status IN ('pending', 'valid')"
#define IDX_AUTHZS_LIVE_A	"a.status IN ('pending', 'valid')"
#define IDX_ORDERS_LIVE		"status IN ('pending', 'ready')"
#define IDX_ORDERS_PROCESSING	"status = 'processing'"
#define IDX_CHALLS_PROCESSING	"status = 'processing'"

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[STMT__MAX];
	int		 depth;		/* transaction nesting */
	bool		 aborted;	/* SQLite rolled the transaction back itself */
	int		 errcode;	/* extended code of the last STORE_ERR */
	char		 errmsg[256];
	bool		 relaxed;	/* this transaction: synchronous=NORMAL */
	bool		 snap;		/* store_read_begin's snapshot is open */
	bool		 pend;		/* the pending tier is attached */
	bool		 main_pending;	/* main held pending authzs at attach */
	bool		 tx_pending;	/* the open transaction: store_begin_pending */
	bool		 snap_resume;	/* reopen the snapshot when it ends */
	/* Group commit (store_set_group_commit); see store_sync.c. */
	bool		 group;		/* on: every commit runs NORMAL */
	bool		 commit_durable; /* the open transaction must be synced */
	bool		 hook_durable;	/* on_commit -> on_wal (store_sync.c) */
	_Atomic uint64_t durable_seq;	/* durable commits so far */
	unsigned long	 section_locks;	/* store_section_begin's count */
	uint64_t	 synced_seq;	/* of those, fsynced; sync_mu */
	bool		 syncing;	/* a thread is in fdatasync; sync_mu */
	int		 wal_fd;	/* -1 until the first store_sync */
	char		*wal_path;
	pthread_mutex_t	 sync_mu;	/* also guards the ckpt_ flags */
	pthread_cond_t	 sync_cv;
	/* The checkpointer thread, under group commit (store_sync.c). */
	sqlite3		*ckpt_db;	/* its own connection */
	pthread_t	 ckpt_thread;
	pthread_cond_t	 ckpt_cv;
	bool		 ckpt_running, ckpt_wanted, ckpt_stop;
	int		 ckpt_asked;	/* WAL pages at the last ask; 0: none */
};

/*
 * The name of the VFS every connection of the store opens with (see
 * store_vfs.c), registered on first use; NULL (SQLite's default VFS) if it
 * could not be.
 */
#define STORE_VFS_NAME	"localacme-unix"
const char	*store_vfs(void);
/*
 * Shared -shm locks db's main file has taken so far: one per read
 * transaction on it (ever-growing; 0 when main is not on our VFS, which
 * store_open never allows).
 */
unsigned long	 store_vfs_shared_locks(sqlite3 *db);

/*
 * The cached statement `slot`, prepared from sql on first use. NULL on
 * failure (errmsg set). Borrowed; hand it back with store_reset().
 */
sqlite3_stmt	*store_prep(struct store *st, enum store_stmt slot,
		    const char *sql);
/* Reset a statement and clear its bindings. NULL-safe. */
void		 store_reset(sqlite3_stmt *q);

/*
 * End the read snapshot before statement q runs, if q writes (a write in a
 * deferred read transaction would upgrade it, outside begin()'s order).
 */
void		 store_snap_check(struct store *st, sqlite3_stmt *q);

/* Record SQLite's last error on st under `what`; returns STORE_ERR. */
enum store_status store_fail(struct store *st, const char *what);
/* Record a non-SQLite error; returns STORE_ERR. */
enum store_status store_fail_msg(struct store *st, const char *what,
		    const char *msg);

/*
 * Step q expecting SQLITE_DONE: STORE_OK; a UNIQUE/PRIMARY KEY violation
 * is STORE_CONFLICT, anything else STORE_ERR. Does not reset q.
 */
enum store_status store_step_done(struct store *st, sqlite3_stmt *q,
		    const char *what);
/*
 * Step q expecting at most one row: STORE_OK with the row current,
 * STORE_NOTFOUND, or STORE_ERR. Does not reset q.
 */
enum store_status store_step_row(struct store *st, sqlite3_stmt *q,
		    const char *what);

/* Bind text (SQLITE_STATIC: the caller keeps s alive until the step);
 * NULL or "" binds NULL in the _or_null variant. 0 or -1. */
int		 store_bind_text(sqlite3_stmt *q, int i, const char *s);
int		 store_bind_text_or_null(sqlite3_stmt *q, int i, const char *s);
/* Bind an acme_error as three columns from index i (NULLs if !err->set). */
int		 store_bind_error(sqlite3_stmt *q, int i,
		    const struct acme_error *err);
/* Read three error columns from index i. */
void		 store_col_error(sqlite3_stmt *q, int i, struct acme_error *err);
/* Copy column i into buf; -1 if it does not fit (NULL copies ""). */
int		 store_col_copy(sqlite3_stmt *q, int i, char *buf, size_t size);
/* Column i as a new string (NULL column gives ""); NULL on ENOMEM. */
char		*store_col_dup(sqlite3_stmt *q, int i);

/* Internal transaction bracket: store_txn_end commits on STORE_OK, else
 * rolls back, and returns the final status. */
enum store_status store_txn_begin(struct store *st);
enum store_status store_txn_end(struct store *st, enum store_status rc);
/*
 * As store_txn_begin, for a write that may be lost on power failure (not
 * on a crash) without harm: the client just repeats it (a new order, a
 * challenge response). The commit is not fsynced (WAL with
 * synchronous=NORMAL); the next FULL commit, e.g. an issuance record's,
 * makes it durable with everything before it. Never for serials,
 * certificates or revocations. Nested: the outer transaction decides.
 */
enum store_status store_txn_begin_relaxed(struct store *st);

/*
 * As store_txn_begin, for a transaction that writes only the pending tier
 * (store_begin_pending): a new order, a challenge claim.
 */
enum store_status store_txn_begin_pending(struct store *st);

/*
 * The pending tier (store_pending.c; docs/ARCHITECTURE.md §4.7): an
 * in-memory database `pend` beside main, and TEMP views that read both.
 * An update of a tiered table runs per tier, pend first, until one
 * changes a row:
 *
 *	for (t = store_tier_first(st); t <= STORE_TIER_MAIN && n == 0; t++)
 *		q = store_tier_prep(st, t, SLOT, SQL("pend"), SLOT_M, SQL("main"));
 */
#define STORE_TIER_PEND	0
#define STORE_TIER_MAIN	1
int		 store_pending_attach(struct store *st);
int		 store_tier_first(const struct store *st);
sqlite3_stmt	*store_tier_prep(struct store *st, int tier,
		    enum store_stmt pend_slot, const char *pend_sql,
		    enum store_stmt main_slot, const char *main_sql);
/*
 * A read by ID (?1 = id), pend first: the statement stepped onto its row
 * in the first tier that has one (*tier), or NULL with *rc NOTFOUND (in
 * neither; the statements are reset) or ERR. The caller resets it.
 */
sqlite3_stmt	*store_tier_find(struct store *st, enum store_stmt pend_slot,
		    const char *pend_sql, enum store_stmt main_slot,
		    const char *main_sql, const char *id, const char *what,
		    int *tier, enum store_status *rc);
/* Copy order id, its identifiers and its authorizations still in pend
 * (with their challenges) to main, and delete them from pend. Inside the
 * caller's transaction. */
enum store_status store_pending_move(struct store *st, const char *order_id);
/* Drop final pend objects that expired at or before `before`; *n (may be
 * NULL): orders and authorizations dropped. */
enum store_status store_pending_evict(struct store *st, time_t before,
		    size_t *n);

/* "Does row id exist?" for the one-parameter query sql: OK or NOTFOUND. */
enum store_status store_exists(struct store *st, enum store_stmt slot,
		    const char *sql, const char *id, const char *what);

/* A new resource ID (acme_random_id: time stamp + 128 random bits). 0 or -1. */
int		 store_new_id(char out[ACME_ID_SIZE]);

/*
 * Statuses and types are stored as their RFC 8555 names: acme_*_str() to
 * write, acme_*_parse() to read (-1 is a corrupt row), acme_*_clear() to
 * reset a value struct; one vocabulary for wire and store (acme/object.c).
 */

/* Fill out (reset first) with the authz row `id` and its challenges. */
enum store_status store_authz_load(struct store *st, const char *id,
		    struct acme_authz *out);
/*
 * The serial's row: STORE_OK with *order_id ("" if none) and *state
 * filled, or STORE_NOTFOUND.
 */
enum store_status store_serial_lookup(struct store *st, const char *serial,
		    char order_id[ACME_ID_SIZE], char state[16]);
/* reserved -> issued; STORE_CONFLICT if it was not reserved. */
enum store_status store_serial_issue(struct store *st, const char *serial);
/* INSERT the certificates row; empty account_id/order_id become NULL. */
enum store_status store_cert_row_insert(struct store *st,
		    const struct acme_cert *c, const char *account_id,
		    const char *order_id, const char *default_source);

/*
 * An uncached prepared statement for rare calls; NULL on failure (the
 * store's error is set). The caller finalizes it.
 */
sqlite3_stmt	*store_prepare(struct store *st, const char *sql,
		    const char *what);

/* Migration 1 -> 2 (store_migrate.c), shared with the migration tests. */
extern const char store_migration_v2_sql[];

/*
 * Between the store's own files: store.c opens and closes, and calls into
 * the transactions (store_txn.c), group commit (store_sync.c) and the
 * migrations (store_migrate.c).
 */

/* Our busy handler on db: short steps up to ms, or none if ms <= 0.
 * SQLite's result code. (store.c) */
int		 store_set_busy(sqlite3 *db, int ms);
/*
 * Undo one transaction level; errors are recorded in st only when
 * `record` (else the caller's first error stays). (store_txn.c)
 */
enum store_status store_rollback_level(struct store *st, bool record);
/* synchronous=NORMAL (relaxed) or FULL, outside a transaction;
 * st->relaxed tracks it. (store_txn.c) */
enum store_status store_set_relaxed(struct store *st, bool relaxed);
/* Stop and join the checkpointer thread, if any; close its connection.
 * (store_sync.c) */
void		 store_checkpointer_stop(struct store *st);
/* Migrate st to STORE_SCHEMA_VERSION, one transaction per version;
 * 0, or -1 with st's error set. (store_migrate.c) */
int		 store_migrate(struct store *st);

#endif /* STORE_STORE_INTERNAL_H */
