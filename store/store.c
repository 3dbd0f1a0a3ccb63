/* store.c - the store's connection: open and close, errors, statement cache, helpers, meta, IDs */
/* SPDX-License-Identifier: MIT */


#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

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
	if (st->stmt[slot] == NULL && sqlite3_prepare_v3(st->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &st->stmt[slot], NULL) != SQLITE_OK) {
		store_fail(st, "prepare");
		st->stmt[slot] = NULL;
		return NULL;
	}
	store_snap_check(st, st->stmt[slot]);
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
	store_snap_check(st, q);
	return q;
}

/* --- IDs --- */

int
store_new_id(char out[ACME_ID_SIZE])
{
	/* Stamp + 128 bits of the kernel's CSPRNG (acme/acme.h). */
	return acme_random_id(out);
}

/* --- busy handler --- */

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

int
store_set_busy(sqlite3 *db, int ms)
{
	if (ms <= 0)
		return sqlite3_busy_handler(db, NULL, NULL);
	return sqlite3_busy_handler(db, busy_wait, (void *)(intptr_t)ms);
}

/* --- open, close --- */

static bool
is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0;
}

/* A handle with no connection yet: its sync state set up (store_sync.c). */
static struct store *
store_alloc(char *err, size_t errsz)
{
	struct store	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		if (err != NULL)
			snprintf(err, errsz, "store: out of memory");
		return NULL;
	}
	st->wal_fd = -1;
	pthread_mutex_init(&st->sync_mu, NULL);
	pthread_cond_init(&st->sync_cv, NULL);
	pthread_cond_init(&st->ckpt_cv, NULL);
	return st;
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
	if ((st = store_alloc(err, errsz)) == NULL)
		return NULL;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
	    store_vfs()) != SQLITE_OK) {
		if (err != NULL)
			snprintf(err, errsz, "%s: %s", path, st->db != NULL ?
			    sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (store_set_busy(st->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(st->db, setup, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "open");
		if (err != NULL)
			snprintf(err, errsz, "%s: %s", path, st->errmsg);
		goto fail;
	}
	if (store_migrate(st) != 0 || store_pending_attach(st) != 0) {
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

/* "file:" URI of path with '%', '?' and '#' escaped (RFC 3986 §2.1). */
static int
file_uri(const char *path, const char *query, char *buf, size_t sz)
{
	size_t	 o = 0;
	int	 n;

	n = snprintf(buf, sz, "file:");
	o = (size_t)n;
	for (const char *p = path; *p != '\0'; p++) {
		if (o + 4 >= sz)
			return -1;
		if (*p == '%' || *p == '?' || *p == '#')
			o += (size_t)snprintf(buf + o, sz - o, "%%%02X",
			    (unsigned char)*p);
		else
			buf[o++] = *p;
	}
	n = snprintf(buf + o, sz - o, "?%s", query);
	return n < 0 || (size_t)n >= sz - o ? -1 : 0;
}

/* Open uri read-only and read the schema version: the first real read. */
static int
open_ro_try(struct store *st, const char *uri, int *version)
{
	sqlite3_stmt *q = NULL;

	if (st->db != NULL) {
		sqlite3_close(st->db);
		st->db = NULL;
	}
	if (sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, store_vfs()) != SQLITE_OK) {
		if (st->db != NULL)
			store_fail(st, "open");
		else
			store_fail_msg(st, "open", "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (store_set_busy(st->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q,
	    NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
		store_fail(st, "open");
		sqlite3_finalize(q);
		return -1;
	}
	*version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return 0;
}

struct store *
store_open_readonly(const char *path, char *err, size_t errsz)
{
	struct store	*st = NULL;
	char		 uri[4200], wal[4200];
	int		 version = -1;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (path == NULL || path[0] == '\0' || is_memory(path)) {
		if (err != NULL)
			snprintf(err, errsz, "store: no database file");
		return NULL;
	}
	if (access(path, R_OK) == -1) {
		if (err != NULL)
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((st = store_alloc(err, errsz)) == NULL)
		return NULL;
	if (file_uri(path, "mode=ro", uri, sizeof(uri)) == -1 ||
	    snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal)) {
		if (err != NULL)
			snprintf(err, errsz, "%s: path too long", path);
		goto fail;
	}
	/*
	 * A WAL database read-only needs its -shm, which SQLite cannot
	 * create in a directory we may not write. Without a -wal file no
	 * writer is active and everything is in the main file: read it
	 * as immutable (no locks, no -shm). With one, a writer (serve) may
	 * be running and the main file alone may be stale: say so.
	 */
	if (open_ro_try(st, uri, &version) == -1) {
		if (access(wal, F_OK) == 0) {
			if (err != NULL)
				snprintf(err, errsz, "%s: cannot read it "
				    "without write access while %s exists "
				    "(a server is running or stopped "
				    "uncleanly): %s", path, wal, st->errmsg);
			goto fail;
		}
		if (file_uri(path, "immutable=1", uri, sizeof(uri)) == -1 ||
		    open_ro_try(st, uri, &version) == -1) {
			if (err != NULL)
				snprintf(err, errsz, "%s: %s", path,
				    st->errmsg);
			goto fail;
		}
	}
	if (version != STORE_SCHEMA_VERSION) {
		if (err != NULL)
			snprintf(err, errsz, "%s: schema version %d, not %d; "
			    "a command run with write access migrates it",
			    path, version, STORE_SCHEMA_VERSION);
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
	store_checkpointer_stop(st);
	while (st->depth > 0)
		store_rollback_level(st, false);
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
	if (store_set_busy(st->db, ms) != SQLITE_OK)
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
