/* store_sync.c - group commit: the commit and WAL hooks, the checkpointer thread, WAL fdatasync */
/* SPDX-License-Identifier: MIT */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

/*
 * Group commit. In WAL mode a commit is durable once the WAL is on disk
 * up to its commit frame; frames are appended in commit order, so one
 * fdatasync of the WAL makes every commit before it durable (SQLite's own
 * FULL commit does exactly that fsync, inside COMMIT). The WAL keeps its
 * inode while any connection is open (each holds a shared lock on the
 * database, so none can delete it); a WAL that was checkpointed and reset
 * has already been synced, with the database, by the checkpoint.
 */

/*
 * Under group commit, a WAL of CKPT_PAGES pages wakes the checkpointer
 * thread; at CKPT_INLINE_PAGES the committing thread checkpoints itself,
 * so the WAL stays bounded when the background checkpoint cannot finish
 * between commits. 4,000 pages (16 MiB of WAL at most, about 120
 * issuances) rather than SQLite's default 1,000: a checkpoint copies each
 * page once however often the WAL holds it, and the leaves of the indexes
 * on random keys recur, so 5,000 issuances under strace made 47 page
 * writes and 13 reads per issuance instead of 56 and 22, of which at most
 * one of each is the last checkpoint's deferral (docs/ARCHITECTURE.md
 * §4.6, round 2b).
 */
#define CKPT_PAGES		4000
#define CKPT_INLINE_PAGES	8000
/*
 * A WAL past CKPT_PAGES asks the thread again only after this many more
 * pages. Under steady load the WAL seldom restarts right after a passive
 * checkpoint (commits land while it runs, so the next reader does not
 * start on a fully copied WAL), and asking at every commit made a
 * checkpoint of a few dozen pages, with its two fsyncs and a wake-up,
 * about every 17 issuances instead of every few hundred (issue #17).
 */
#define CKPT_AGAIN_PAGES	1000

/* Before any commit: is it a durable one? (Autocommit writes are.) */
static int
on_commit(void *arg)
{
	struct store *st = arg;

	/* Assigned, not only set: a commit of the pending tier alone
	 * reaches no on_wal and must not leave it set for the next one. */
	st->hook_durable = st->depth == 0 || st->commit_durable;
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
	if (pages < st->ckpt_asked)	/* the WAL restarted */
		st->ckpt_asked = 0;
	if (pages >= CKPT_INLINE_PAGES || (pages >= CKPT_PAGES &&
	    !st->ckpt_running))
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	else if (pages >= CKPT_PAGES &&
	    (st->ckpt_asked == 0 || pages >= st->ckpt_asked +
	    CKPT_AGAIN_PAGES)) {
		st->ckpt_asked = pages;
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
	    SQLITE_OPEN_NOMUTEX, store_vfs()) != SQLITE_OK ||
	    store_set_busy(st->ckpt_db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(st->ckpt_db, "PRAGMA synchronous = NORMAL", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    pthread_create(&st->ckpt_thread, NULL, checkpointer, st) != 0) {
		sqlite3_close(st->ckpt_db);
		st->ckpt_db = NULL;
		return;
	}
	st->ckpt_running = true;
}

void
store_checkpointer_stop(struct store *st)
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
	if (store_set_relaxed(st, true) != STORE_OK) {
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

void
store_section_begin(struct store *st)
{
	st->section_locks = store_vfs_shared_locks(st->db);
}

bool
store_section_read_file(struct store *st)
{
	return store_vfs_shared_locks(st->db) != st->section_locks;
}
