/* store.c - the store's connection: open and migrate, transactions, statement cache, meta */
/* SPDX-License-Identifier: MIT */

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store/store_internal.h"

/*
 * 1 -> 2: EAB keys (store_eab.c), renewal information (store_renewal.c),
 * the replacement and revocation indexes (store_renewal.c, store_crl.c).
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


/*
 * 2 -> 3, part 1: fewer index pages written per issuance (each index an
 * insert or status change touches is one more WAL frame and checkpoint
 * write). The pending-authz count (account_id, status) is served by the
 * reuse index once status is its second column, so authzs_account_status
 * goes; no query reads certificates by not_after, so
 * certificates_not_after goes.
 */
static const char store_migration_v3_sql[] =
	"DROP INDEX authzs_account_status;"
	"DROP INDEX authzs_reuse;"
	"CREATE INDEX authzs_reuse ON authzs"
	" (account_id, status, ident_type, ident_value, wildcard, expires);"
	"DROP INDEX certificates_not_after;";

/*
 * 3 -> 4: the account's externalAccountBinding as the newAccount request
 * carried it (JSON text; NULL for accounts without one and for every
 * account made before this version, which stored no binding). RFC 8555
 * §7.3.4: the account object echoes it on every read.
 */
static const char store_migration_v4_sql[] =
	"ALTER TABLE accounts ADD COLUMN eab_binding TEXT;";

/*
 * 2 -> 3, part 2: CHECK (x IN (a, b, c)) becomes CHECK (x = a OR x = b OR
 * x = c). SQLite evaluates a constant IN list of three or more values by
 * building an ephemeral b-tree each time the check runs: 17 of them per
 * issuance, 39% of the instructions sqlite3_step spent under the
 * benchmark. The two forms accept exactly the same rows. A CHECK is not
 * stored in any row, so this is the schema-text edit SQLite documents for
 * changing CHECK constraints (lang_altertable.html, "Making Other Kinds
 * Of Table Schema Changes"): writable_schema, the new text, schema_version
 * + 1, then a check that the new schema parses and the rows satisfy it,
 * all before COMMIT. The texts are schema.sql's, which never changes; a
 * table whose text differs is left alone (slower, equally strict).
 */
static const struct in_check {
	const char	*table, *from, *to;
} in_checks[] = {
	{ "accounts",
	  "CHECK (status IN ('valid', 'deactivated', 'revoked'))",
	  "CHECK (status = 'valid' OR status = 'deactivated' OR "
	  "status = 'revoked')" },
	{ "authzs",
	  "CHECK (status IN ('pending', 'valid', 'invalid',\n\t\t\t    "
	  "'deactivated', 'expired', 'revoked'))",
	  "CHECK (status = 'pending' OR status = 'valid' OR "
	  "status = 'invalid' OR\n\t\t\t    status = 'deactivated' OR "
	  "status = 'expired' OR status = 'revoked')" },
	{ "challenges",
	  "CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01'))",
	  "CHECK (type = 'http-01' OR type = 'dns-01' OR "
	  "type = 'tls-alpn-01')" },
	{ "challenges",
	  "CHECK (status IN ('pending', 'processing', 'valid',\n\t\t\t    "
	  "'invalid'))",
	  "CHECK (status = 'pending' OR status = 'processing' OR "
	  "status = 'valid' OR\n\t\t\t    status = 'invalid')" },
	{ "orders",
	  "CHECK (status IN ('pending', 'ready', 'processing',\n\t\t\t    "
	  "'valid', 'invalid'))",
	  "CHECK (status = 'pending' OR status = 'ready' OR "
	  "status = 'processing' OR\n\t\t\t    status = 'valid' OR "
	  "status = 'invalid')" },
	{ "serials",
	  "CHECK (state IN ('reserved', 'issued', 'failed'))",
	  "CHECK (state = 'reserved' OR state = 'issued' OR "
	  "state = 'failed')" },
};

/* One integer from a single-row statement; 0, or -1 failed as `what`. */
static int
int_query(struct store *st, const char *sql, int *out, const char *what)
{
	sqlite3_stmt	*q = NULL;
	int		 rc = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		*out = sqlite3_column_int(q, 0);
		rc = 0;
	} else
		store_fail(st, what);
	sqlite3_finalize(q);
	return rc;
}

/* Part 2 of 2 -> 3, inside the migration's transaction; 0 or -1. */
static int
rewrite_in_checks(struct store *st)
{
	sqlite3_stmt	*q = NULL;
	char		 sql[64];
	int		 sv, bad = 1, rc = -1, defensive = 0;
	size_t		 i;

	if (int_query(st, "PRAGMA schema_version", &sv, "migrate") != 0)
		return -1;
	/* A build that defaults to DEFENSIVE would ignore writable_schema. */
	if (sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, -1,
	    &defensive) != SQLITE_OK ||
	    (defensive && sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE,
	    0, NULL) != SQLITE_OK) ||
	    sqlite3_exec(st->db, "PRAGMA writable_schema = ON", NULL, NULL,
	    NULL) != SQLITE_OK) {
		store_fail(st, "migrate");
		goto out;
	}
	if (sqlite3_prepare_v2(st->db, "UPDATE sqlite_schema "
	    "SET sql = replace(sql, ?2, ?3) "
	    "WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0", -1,
	    &q, NULL) != SQLITE_OK) {
		store_fail(st, "migrate");
		goto out;
	}
	for (i = 0; i < sizeof(in_checks) / sizeof(in_checks[0]); i++) {
		if (sqlite3_bind_text(q, 1, in_checks[i].table, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(q, 2, in_checks[i].from, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(q, 3, in_checks[i].to, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_DONE) {
			store_fail(st, "migrate");
			goto out;
		}
		sqlite3_reset(q);
	}
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %d", sv + 1);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "migrate");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	if (sqlite3_exec(st->db, "PRAGMA writable_schema = OFF", NULL, NULL,
	    NULL) != SQLITE_OK && rc == 0) {
		store_fail(st, "migrate");
		rc = -1;
	}
	if (defensive)
		(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1,
		    NULL);
	/*
	 * The schema is read again from the new text; a row breaking a
	 * constraint or a text that does not parse fails here, and the
	 * caller rolls the whole migration back.
	 */
	if (rc == 0 && int_query(st, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'", &bad,
	    "migrate") != 0)
		rc = -1;
	else if (rc == 0 && bad != 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "migrate: integrity "
		    "check failed; the database is unchanged");
		st->errcode = SQLITE_CORRUPT;
		rc = -1;
	}
	return rc;
}

/*
 * Schema migrations: migrations[v] takes a database from user_version v
 * to v + 1: its script, then its C step if any, then the version bump,
 * all in one write transaction. To add a version, append an entry and
 * raise STORE_SCHEMA_VERSION; never edit a shipped entry.
 */
static const struct migration {
	const char	*sql;
	int		(*step)(struct store *);
} migrations[] = {
	/* 0 -> 1: the initial schema */
	{ store_schema_sql, NULL },
	/* 1 -> 2: EAB keys, ARI, CRLs */
	{ store_migration_v2_sql, NULL },
	/* 2 -> 3: fewer index writes, CHECKs without ephemeral tables */
	{ store_migration_v3_sql, rewrite_in_checks },
	/* 3 -> 4: the account's external account binding, echoed (§7.3.4) */
	{ store_migration_v4_sql, NULL },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration per schema version");

/* --- errors --- */

enum store_status
store_fail(struct store *st, const char *what)
{
	st->errcode = sqlite3_extended_errcode(st->db);
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what,
	    sqlite3_errmsg(st->db));
	return STORE_ERR;
}

enum store_status
store_fail_msg(struct store *st, const char *what, const char *msg)
{
	st->errcode = SQLITE_ERROR;
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what, msg);
	return STORE_ERR;
}

const char *
store_errmsg(const struct store *st)
{
	if (st == NULL)
		return "no store";
	return st->errmsg;
}

bool
store_err_is_busy(const struct store *st)
{
	int primary;

	if (st == NULL)
		return false;
	primary = st->errcode & 0xff;
	return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

bool
store_err_is_full(const struct store *st)
{
	return st != NULL && (st->errcode & 0xff) == SQLITE_FULL;
}

/* --- statements --- */

sqlite3_stmt *
store_prep(struct store *st, enum store_stmt slot, const char *sql)
{
	if (st->stmt[slot] != NULL)
		return st->stmt[slot];
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->stmt[slot], NULL) != SQLITE_OK) {
		store_fail(st, "prepare");
		st->stmt[slot] = NULL;
		return NULL;
	}
	return st->stmt[slot];
}

void
store_reset(sqlite3_stmt *q)
{
	if (q == NULL)
		return;
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

enum store_status
store_step_done(struct store *st, sqlite3_stmt *q, const char *what)
{
	int rc;

	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_CONFLICT;
	if (rc == SQLITE_ROW)
		return store_fail_msg(st, what, "unexpected row");
	return store_fail(st, what);
}

enum store_status
store_step_row(struct store *st, sqlite3_stmt *q, const char *what)
{
	int rc;

	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(st, what);
}

int
store_bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(q, i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC) == SQLITE_OK ?
	    0 : -1;
}

int
store_bind_text_or_null(sqlite3_stmt *q, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return sqlite3_bind_null(q, i) == SQLITE_OK ? 0 : -1;
	return store_bind_text(q, i, s);
}

int
store_bind_error(sqlite3_stmt *q, int i, const struct acme_error *err)
{
	if (err == NULL || !err->set) {
		if (sqlite3_bind_null(q, i) != SQLITE_OK ||
		    sqlite3_bind_null(q, i + 1) != SQLITE_OK ||
		    sqlite3_bind_null(q, i + 2) != SQLITE_OK)
			return -1;
		return 0;
	}
	if (sqlite3_bind_int(q, i, err->type) != SQLITE_OK ||
	    sqlite3_bind_int(q, i + 1, err->status) != SQLITE_OK ||
	    store_bind_text(q, i + 2, err->detail) != 0)
		return -1;
	return 0;
}

void
store_col_error(sqlite3_stmt *q, int i, struct acme_error *err)
{
	memset(err, 0, sizeof(*err));
	if (sqlite3_column_type(q, i) == SQLITE_NULL)
		return;
	err->set = true;
	err->type = sqlite3_column_int(q, i);
	err->status = sqlite3_column_int(q, i + 1);
	/* A detail longer than the struct's is cut: it was ours. */
	snprintf(err->detail, sizeof(err->detail), "%s",
	    sqlite3_column_type(q, i + 2) == SQLITE_NULL ? "" :
	    (const char *)sqlite3_column_text(q, i + 2));
}

int
store_col_copy(sqlite3_stmt *q, int i, char *buf, size_t size)
{
	const unsigned char	*s;
	size_t			 len;

	s = sqlite3_column_text(q, i);
	len = (size_t)sqlite3_column_bytes(q, i);
	if (s == NULL)
		len = 0;
	if (len >= size) {
		buf[0] = '\0';
		return -1;
	}
	if (len > 0)
		memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

char *
store_col_dup(sqlite3_stmt *q, int i)
{
	const unsigned char	*s;
	size_t			 len;
	char			*p;

	s = sqlite3_column_text(q, i);
	len = (size_t)sqlite3_column_bytes(q, i);
	if (s == NULL)
		len = 0;
	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

enum store_status
store_exists(struct store *st, enum store_stmt slot, const char *sql,
    const char *id, const char *what)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((q = store_prep(st, slot, sql)) == NULL)
		goto out;
	if (store_bind_text(q, 1, id) != 0) {
		rc = store_fail(st, what);
		goto out;
	}
	rc = store_step_row(st, q, what);
out:
	store_reset(q);
	return rc;
}

/*
 * An uncached statement, for the rare calls (EAB keys, renewal
 * information, CRL building, operator commands) that are not worth a slot
 * in the statement cache. NULL on failure (st's error is set); the caller
 * finalizes.
 */
sqlite3_stmt *
store_prepare(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
		store_fail(st, what);
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

/* --- IDs --- */

static const char b64url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
store_new_id(char out[ACME_ID_SIZE])
{
	unsigned char	 raw[16];
	size_t		 got = 0, i, o = 0;
	ssize_t		 r;
	uint32_t	 v;

	while (got < sizeof(raw)) {
		r = getrandom(raw + got, sizeof(raw) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	/* 16 bytes: five 3-byte groups (20 chars), then one byte (2 chars). */
	for (i = 0; i + 3 <= sizeof(raw); i += 3) {
		v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];
		out[o++] = b64url_alpha[(v >> 18) & 63];
		out[o++] = b64url_alpha[(v >> 12) & 63];
		out[o++] = b64url_alpha[(v >> 6) & 63];
		out[o++] = b64url_alpha[v & 63];
	}
	v = raw[15];
	out[o++] = b64url_alpha[(v >> 2) & 63];
	out[o++] = b64url_alpha[(v << 4) & 63];
	out[o] = '\0';
	return 0;
}

/* --- transactions --- */

/*
 * One writer at a time in this process. SQLite allows one anyway; without
 * this a second connection's BEGIN IMMEDIATE gets SQLITE_BUSY and the
 * busy handler sleeps 1, 2, 5, 10... ms even when the lock is free again
 * 50 us later, which at 16 concurrent clients made issuance p99 over a
 * second. Held from the outermost BEGIN to its COMMIT or ROLLBACK (depth
 * 0 -> 1 -> 0); other processes still meet the busy timeout.
 */
static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * Under group commit, a WAL of CKPT_PAGES pages (SQLite's default
 * autocheckpoint) wakes the checkpointer thread; at CKPT_INLINE_PAGES the
 * committing thread checkpoints itself, so the WAL stays bounded when the
 * background checkpoint cannot finish between commits.
 */
#define CKPT_PAGES		1000
#define CKPT_INLINE_PAGES	(8 * CKPT_PAGES)

/*
 * Busy handler: wait for the write lock in steps of 50 us growing to
 * 1 ms, up to the timeout (arg, in ms). SQLite's own (busy_timeout)
 * sleeps 1, 2, 5, 10 ... 100 ms between tries, far longer than our
 * transactions hold the lock.
 */
static int
busy_wait(void *arg, int count)
{
	long	 timeout_us = (long)(intptr_t)arg * 1000, slept = 0, step;

	for (int i = 0; i <= count; i++)
		slept += i < 20 ? 50L * (i + 1) : 1000L;
	if (slept > timeout_us)
		return 0;
	step = count < 20 ? 50L * (count + 1) : 1000L;
	usleep((useconds_t)step);
	return 1;
}

static enum store_status set_relaxed(struct store *, bool);

/* The outermost transaction ended: let the next writer in, back to FULL. */
static void
tx_done(struct store *st)
{
	/* Autocommit writes run FULL (or are group-synced); on failure
	 * begin() retries it. */
	if (!st->group)
		(void)set_relaxed(st, false);
	pthread_mutex_unlock(&write_mu);
}

static int
set_busy(sqlite3 *db, int ms)
{
	if (ms <= 0)
		return sqlite3_busy_handler(db, NULL, NULL);
	return sqlite3_busy_handler(db, busy_wait, (void *)(intptr_t)ms);
}

/* Undo one level. Errors are recorded only when `record` (else the
 * caller's first error stays in errmsg). */
static enum store_status
rollback_level(struct store *st, bool record)
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
static enum store_status
set_relaxed(struct store *st, bool relaxed)
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

	if (st->depth == 0) {
		pthread_mutex_lock(&write_mu);
		st->commit_durable = !relaxed;
		/*
		 * A durable transaction never runs at NORMAL, except under
		 * group commit, where store_sync fsyncs it before any answer.
		 */
		if (!st->group && set_relaxed(st, relaxed) != STORE_OK) {
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
		rollback_level(st, false);
		store_fail_msg(st, "commit", "transaction was rolled back");
		if (code != 0)
			st->errcode = code;
		return STORE_ERR;
	}
	if (st->depth > 1) {
		snprintf(sql, sizeof(sql), "RELEASE s%d", st->depth - 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			rc = store_fail(st, "release");
			rollback_level(st, false);
			return rc;
		}
		st->depth--;
		return STORE_OK;
	}
	if ((q = store_prep(st, STMT_COMMIT, "COMMIT")) == NULL) {
		rollback_level(st, false);
		return STORE_ERR;
	}
	rc = store_step_done(st, q, "commit");
	store_reset(q);
	if (rc != STORE_OK) {
		rollback_level(st, false);
		return STORE_ERR;
	}
	st->depth = 0;
	tx_done(st);
	return STORE_OK;
}

/*
 * Group commit. In WAL mode a commit is durable once the WAL is on disk
 * up to its commit frame; frames are appended in commit order, so one
 * fdatasync of the WAL makes every commit before it durable (SQLite's own
 * FULL commit does exactly that fsync, inside COMMIT). The WAL keeps its
 * inode while any connection is open (each holds a shared lock on the
 * database, so none can delete it); a WAL that was checkpointed and reset
 * has already been synced, with the database, by the checkpoint.
 */

/* Before any commit: is it a durable one? (Autocommit writes are.) */
static int
on_commit(void *arg)
{
	struct store *st = arg;

	if (st->depth == 0 || st->commit_durable)
		st->hook_durable = true;
	return 0;
}

/*
 * After a commit is in the WAL: count it for store_sync, and have the WAL
 * checkpointed. SQLite's default (sqlite3_wal_autocheckpoint) copies
 * about 1000 pages into the database and fsyncs twice inside the COMMIT
 * that crosses the threshold, while the caller holds its lock: at 400
 * issuances/s that was a stall every few dozen requests. A thread with
 * its own connection does it instead (PASSIVE: it never blocks the
 * writer); the inline checkpoint at CKPT_INLINE_PAGES then only copies
 * what the thread has not.
 */
static int
on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *st = arg;

	if (st->hook_durable) {
		st->hook_durable = false;
		atomic_fetch_add(&st->durable_seq, 1);
	}
	if (pages >= CKPT_INLINE_PAGES || (pages >= CKPT_PAGES &&
	    !st->ckpt_running))
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	else if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&st->sync_mu);
		st->ckpt_wanted = true;
		pthread_cond_broadcast(&st->ckpt_cv);
		pthread_mutex_unlock(&st->sync_mu);
	}
	return SQLITE_OK;
}

/* The checkpointer thread: PASSIVE checkpoints on its own connection. */
static void *
checkpointer(void *arg)
{
	struct store	*st = arg;

	pthread_mutex_lock(&st->sync_mu);
	for (;;) {
		while (!st->ckpt_wanted && !st->ckpt_stop)
			pthread_cond_wait(&st->ckpt_cv, &st->sync_mu);
		if (st->ckpt_stop)
			break;
		st->ckpt_wanted = false;
		pthread_mutex_unlock(&st->sync_mu);
		(void)sqlite3_wal_checkpoint_v2(st->ckpt_db, "main",
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&st->sync_mu);
	}
	pthread_mutex_unlock(&st->sync_mu);
	return NULL;
}

/* Start the checkpointer; without it, on_wal checkpoints inline. */
static void
checkpointer_start(struct store *st, const char *path)
{
	if (sqlite3_open_v2(path, &st->ckpt_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    set_busy(st->ckpt_db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(st->ckpt_db, "PRAGMA synchronous = NORMAL", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    pthread_create(&st->ckpt_thread, NULL, checkpointer, st) != 0) {
		sqlite3_close(st->ckpt_db);
		st->ckpt_db = NULL;
		return;
	}
	st->ckpt_running = true;
}

static void
checkpointer_stop(struct store *st)
{
	if (!st->ckpt_running)
		return;
	pthread_mutex_lock(&st->sync_mu);
	st->ckpt_stop = true;
	pthread_cond_broadcast(&st->ckpt_cv);
	pthread_mutex_unlock(&st->sync_mu);
	pthread_join(st->ckpt_thread, NULL);
	sqlite3_close(st->ckpt_db);
	st->ckpt_db = NULL;
	st->ckpt_running = false;
}

enum store_status
store_set_group_commit(struct store *st)
{
	const char	*path;
	size_t		 len;

	if (st->depth != 0)
		return store_fail_msg(st, "group_commit", "in a transaction");
	if ((path = sqlite3_db_filename(st->db, "main")) == NULL ||
	    path[0] == '\0')
		return store_fail_msg(st, "group_commit", "not a file");
	len = strlen(path);
	if ((st->wal_path = malloc(len + 5)) == NULL)
		return store_fail_msg(st, "group_commit", "out of memory");
	memcpy(st->wal_path, path, len);
	memcpy(st->wal_path + len, "-wal", 5);
	if (set_relaxed(st, true) != STORE_OK) {
		free(st->wal_path);
		st->wal_path = NULL;
		return STORE_ERR;
	}
	checkpointer_start(st, path);
	sqlite3_commit_hook(st->db, on_commit, st);
	sqlite3_wal_hook(st->db, on_wal, st);
	st->group = true;
	return STORE_OK;
}

/* fdatasync the WAL; called by one thread at a time (st->syncing). */
static int
sync_wal(struct store *st)
{
	struct stat	 sb;

	/* A WAL unlinked under us was checkpointed (and synced): reopen. */
	if (st->wal_fd >= 0 && (fstat(st->wal_fd, &sb) == -1 ||
	    sb.st_nlink == 0)) {
		close(st->wal_fd);
		st->wal_fd = -1;
	}
	if (st->wal_fd < 0 &&
	    (st->wal_fd = open(st->wal_path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;	/* nothing to sync */
	return fdatasync(st->wal_fd);
}

enum store_status
store_sync(struct store *st)
{
	uint64_t	 want, target;
	int		 rc = 0;

	if (!st->group)
		return STORE_OK;
	want = atomic_load(&st->durable_seq);
	pthread_mutex_lock(&st->sync_mu);
	while (st->synced_seq < want && rc == 0) {
		if (st->syncing) {	/* join the fsync in flight, or the next */
			pthread_cond_wait(&st->sync_cv, &st->sync_mu);
			continue;
		}
		st->syncing = true;
		target = atomic_load(&st->durable_seq);
		pthread_mutex_unlock(&st->sync_mu);
		rc = sync_wal(st);
		pthread_mutex_lock(&st->sync_mu);
		st->syncing = false;
		if (rc == 0 && target > st->synced_seq)
			st->synced_seq = target;
		pthread_cond_broadcast(&st->sync_cv);
	}
	pthread_mutex_unlock(&st->sync_mu);
	return rc == 0 ? STORE_OK : STORE_ERR;
}

enum store_status
store_rollback(struct store *st)
{
	return rollback_level(st, true);
}

int
store_tx_depth(const struct store *st)
{
	return st->depth;
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
store_txn_end(struct store *st, enum store_status rc)
{
	if (rc == STORE_OK)
		return store_commit(st);
	rollback_level(st, false);
	return rc;
}

/* --- open, migrate, close --- */

static int
user_version(struct store *st, int *v)
{
	return int_query(st, "PRAGMA user_version", v, "user_version");
}

static int
migrate(struct store *st)
{
	char	 sql[48];
	int	 v, rc = -1;
	size_t	 n = sizeof(migrations) / sizeof(migrations[0]);

	if (user_version(st, &v) != 0)
		return -1;
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (v < 0 || v > STORE_SCHEMA_VERSION) {
		snprintf(st->errmsg, sizeof(st->errmsg),
		    "database schema version %d is not one this program "
		    "knows (%d)", v, STORE_SCHEMA_VERSION);
		st->errcode = SQLITE_ERROR;
		return -1;
	}
	while ((size_t)v < n) {
		if (store_begin(st) != STORE_OK)
			return -1;
		/* Another connection may have migrated meanwhile. */
		if (user_version(st, &v) != 0)
			goto out;
		if ((size_t)v >= n) {
			if (store_commit(st) != STORE_OK)
				return -1;
			break;
		}
		if (sqlite3_exec(st->db, migrations[v].sql, NULL, NULL,
		    NULL) != SQLITE_OK) {
			store_fail(st, "migrate");
			goto out;
		}
		if (migrations[v].step != NULL && migrations[v].step(st) != 0)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			store_fail(st, "migrate");
			goto out;
		}
		if (store_commit(st) != STORE_OK)
			return -1;
		v++;
	}
	return 0;
out:
	rollback_level(st, false);
	return rc;
}

static bool
is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0;
}

struct store *
store_open(const char *path, char *err, size_t errsz)
{
	struct store	*st = NULL;
	int		 fd;
	static const char setup[] =
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"	/* HARDENING X03: acknowledged => durable */
	    "PRAGMA foreign_keys = ON;";

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (path == NULL || path[0] == '\0') {
		if (err != NULL)
			snprintf(err, errsz, "store: no database path");
		return NULL;
	}
	/*
	 * Create the file ourselves, 0600, so it never exists with the
	 * umask's mode; SQLite gives -wal and -shm the same mode.
	 */
	if (!is_memory(path)) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST) {
			if (err != NULL)
				snprintf(err, errsz, "%s: %s", path,
				    strerror(errno));
			return NULL;
		}
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		if (err != NULL)
			snprintf(err, errsz, "store: out of memory");
		return NULL;
	}
	st->wal_fd = -1;
	pthread_mutex_init(&st->sync_mu, NULL);
	pthread_cond_init(&st->sync_cv, NULL);
	pthread_cond_init(&st->ckpt_cv, NULL);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK) {
		if (err != NULL)
			snprintf(err, errsz, "%s: %s", path, st->db != NULL ?
			    sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (set_busy(st->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(st->db, setup, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "open");
		if (err != NULL)
			snprintf(err, errsz, "%s: %s", path, st->errmsg);
		goto fail;
	}
	if (migrate(st) != 0) {
		if (err != NULL)
			snprintf(err, errsz, "%s: %s", path, st->errmsg);
		goto fail;
	}
	st->errmsg[0] = '\0';
	st->errcode = 0;
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	checkpointer_stop(st);
	while (st->depth > 0)
		rollback_level(st, false);
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	free(st->wal_path);
	pthread_mutex_destroy(&st->sync_mu);
	pthread_cond_destroy(&st->sync_cv);
	pthread_cond_destroy(&st->ckpt_cv);
	free(st);
}

enum store_status
store_set_busy_timeout(struct store *st, int ms)
{
	if (set_busy(st->db, ms) != SQLITE_OK)
		return store_fail(st, "busy_timeout");
	return STORE_OK;
}

enum store_status
store_set_size_limit(struct store *st, uint64_t max_bytes)
{
	sqlite3_stmt	*q = NULL;
	char		 sql[64];
	int64_t		 page;
	uint64_t	 pages;
	enum store_status rc = STORE_ERR;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &q,
	    NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
		rc = store_fail(st, "page_size");
		goto out;
	}
	page = sqlite3_column_int64(q, 0);
	if (page <= 0) {
		rc = store_fail_msg(st, "page_size", "bad page size");
		goto out;
	}
	/* SQLite's own ceiling is 4294967294 pages. */
	pages = max_bytes == 0 ? 4294967294u :
	    (max_bytes + (uint64_t)page - 1) / (uint64_t)page;
	if (pages > 4294967294u)
		pages = 4294967294u;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %llu",
	    (unsigned long long)pages);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = store_fail(st, "max_page_count");
		goto out;
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_schema_version(struct store *st, int *version)
{
	return user_version(st, version) == 0 ? STORE_OK : STORE_ERR;
}

/* --- meta --- */

enum store_status
store_meta_get(struct store *st, const char *key, char **value)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	*value = NULL;
	if ((q = store_prep(st, STMT_META_GET,
	    "SELECT value FROM meta WHERE key = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, key) != 0) {
		rc = store_fail(st, "meta_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "meta_get")) != STORE_OK)
		goto out;
	if ((*value = store_col_dup(q, 0)) == NULL) {
		rc = store_fail_msg(st, "meta_get", "out of memory");
		goto out;
	}
	rc = STORE_OK;
out:
	store_reset(q);
	return rc;
}

enum store_status
store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((q = store_prep(st, STMT_META_SET,
	    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value")) == NULL)
		goto out;
	if (store_bind_text(q, 1, key) != 0 ||
	    store_bind_text(q, 2, value) != 0) {
		rc = store_fail(st, "meta_set");
		goto out;
	}
	rc = store_step_done(st, q, "meta_set");
	if (rc == STORE_CONFLICT)
		rc = store_fail(st, "meta_set");
out:
	store_reset(q);
	return rc;
}

/* --- integrity --- */

enum store_status
store_integrity_check(struct store *st, bool *ok)
{
	sqlite3_stmt		*q = NULL;
	const unsigned char	*s;
	enum store_status	 rc = STORE_ERR;
	int			 r;

	*ok = false;
	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &q,
	    NULL) != SQLITE_OK) {
		rc = store_fail(st, "integrity_check");
		goto out;
	}
	if (sqlite3_step(q) != SQLITE_ROW) {
		rc = store_fail(st, "integrity_check");
		goto out;
	}
	s = sqlite3_column_text(q, 0);
	if (s == NULL || strcmp((const char *)s, "ok") != 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "integrity_check: %s",
		    s != NULL ? (const char *)s : "(null)");
		rc = STORE_OK;
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &q,
	    NULL) != SQLITE_OK) {
		rc = store_fail(st, "foreign_key_check");
		goto out;
	}
	r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		snprintf(st->errmsg, sizeof(st->errmsg),
		    "foreign_key_check: table %s",
		    (const char *)sqlite3_column_text(q, 0));
		rc = STORE_OK;
		goto out;
	}
	if (r != SQLITE_DONE) {
		rc = store_fail(st, "foreign_key_check");
		goto out;
	}
	*ok = true;
	rc = STORE_OK;
out:
	sqlite3_finalize(q);
	return rc;
}
