/* store_vfs.c - a VFS over SQLite's default one that writes the WAL frames of a commit in one system call */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

/*
 * SQLite appends a WAL frame as two writes, its 24-byte header and then
 * the page right after it (wal.c, walWriteOneFrame), and a commit as one
 * frame per dirty page: at about 35 frames per issuance that was some 70
 * pwrite64 calls, a third of all the server's system calls. This VFS
 * keeps back the frames of a WAL file's run of appends and writes them
 * as one write of the same bytes to the same offsets when the commit
 * frame's page arrives (a header whose "database size after commit" is
 * not 0), when the run reaches RUN_MAX bytes, before any other call
 * on that file (read, sync, truncate, size, lock, file control, close,
 * a write that does not append to the run), and before the connection
 * lets go of any -shm lock, the WAL write lock among them. So what is on
 * disk after any sync or read is what SQLite wrote itself, in its order,
 * and no reader, sync or checkpoint can miss a byte; the only difference is
 * that the frames of one transaction reach the file together instead of
 * one after another. A commit is visible to other connections only once
 * SQLite writes the wal-index header, after the frames' writes return,
 * so they are in the file by then. A crash while frames are held loses
 * them as a crash between SQLite's own writes does: a frame without its
 * commit frame, or with a bad checksum, is ignored by recovery.
 *
 * Every other file (the database, the -shm, temporary files) and every
 * other call goes straight to the default VFS.
 */

#define FRAME_HDR	24	/* WAL_FRAME_HDRSIZE in SQLite's wal.c */
/* Held bytes before a run is written anyway: 16 frames of 4 KiB pages. */
#define RUN_MAX		(16 * (FRAME_HDR + 4096))

struct vfile {
	sqlite3_file	 base;
	sqlite3_file	*real;		/* the default VFS's file, after us */
	int		 wal;		/* a -wal file: coalesce */
	unsigned char	*run;		/* held frames, file order */
	int		 run_len;	/* bytes held; 0: nothing */
	int		 run_cap;
	sqlite3_int64	 run_off;	/* where run[0] goes in the file */
	int		 hdr_open;	/* the run ends with a header */
	int		 hdr_commit;	/* ... of a commit frame */
	unsigned long	 shared_locks;	/* -shm shared locks taken */
	/* Pairs a database with its WAL (by SQLite's filename pointer). */
	const char	*dbname;	/* the database's name, either file */
	struct vfile	*wal_of;	/* a database's open WAL; registry_mu */
	struct vfile	*next;		/* the open databases; registry_mu */
};

/* The databases open through this VFS, so a WAL can find its own. */
static pthread_mutex_t	 registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vfile	*registry;

static sqlite3_vfs	*root;
static sqlite3_vfs	 vfs;
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static int		 registered = SQLITE_ERROR;

#define REAL(f)		(((struct vfile *)(f))->real)

static int
flush(struct vfile *f)
{
	int	 n = f->run_len;

	if (n == 0)
		return SQLITE_OK;
	f->run_len = 0;
	f->hdr_open = f->hdr_commit = 0;
	return f->real->pMethods->xWrite(f->real, f->run, n, f->run_off);
}

/* Append n bytes to the run; -1 if they do not fit in memory. */
static int
run_add(struct vfile *f, const void *b, int n)
{
	unsigned char	*nb;
	int		 want = f->run_len + n;

	if (want > f->run_cap) {
		if (want < RUN_MAX)
			want = RUN_MAX;
		if ((nb = sqlite3_realloc(f->run, want)) == NULL)
			return -1;
		f->run = nb;
		f->run_cap = want;
	}
	memcpy(f->run + f->run_len, b, (size_t)n);
	f->run_len += n;
	return 0;
}

/* Bytes 4-7 of a frame header: the database size after a commit, or 0. */
static int
is_commit(const unsigned char *h)
{
	return (h[4] | h[5] | h[6] | h[7]) != 0;
}

static void
unregister(struct vfile *f)
{
	struct vfile	**pp;

	pthread_mutex_lock(&registry_mu);
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == f && !f->wal) {	/* a database: leave the list */
			*pp = f->next;
			break;
		}
		if (f->wal && (*pp)->wal_of == f)	/* a WAL: unpair */
			(*pp)->wal_of = NULL;
	}
	pthread_mutex_unlock(&registry_mu);
}

static int
v_close(sqlite3_file *p)
{
	struct vfile	*f = (struct vfile *)p;
	int		 rc, rc2;

	rc = flush(f);
	unregister(f);
	rc2 = f->real->pMethods->xClose(f->real);
	sqlite3_free(f->run);
	f->run = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
v_read(sqlite3_file *p, void *b, int n, sqlite3_int64 off)
{
	struct vfile	*f = (struct vfile *)p;
	int		 rc;

	/* A page this connection wrote may still be held: write it first. */
	if ((rc = flush(f)) != SQLITE_OK || n <= 0)
		return rc;
	return REAL(p)->pMethods->xRead(REAL(p), b, n, off);
}

static int
v_write(sqlite3_file *p, const void *b, int n, sqlite3_int64 off)
{
	struct vfile	*f = (struct vfile *)p;
	int		 rc;

	if (f->run_len > 0 && off == f->run_off + f->run_len && n > 0 &&
	    (f->hdr_open || n == FRAME_HDR)) {
		if (f->hdr_open) {		/* the page of the last header */
			if (run_add(f, b, n) == -1)
				goto direct;
			f->hdr_open = 0;
			if (f->hdr_commit || f->run_len >= RUN_MAX)
				return flush(f);
			return SQLITE_OK;
		}
		if (run_add(f, b, n) == 0) {	/* the next frame's header */
			f->hdr_open = 1;
			f->hdr_commit = is_commit(b);
			return SQLITE_OK;
		}
	}
direct:
	if ((rc = flush(f)) != SQLITE_OK)
		return rc;
	if (f->wal && n == FRAME_HDR && run_add(f, b, n) == 0) {
		f->run_off = off;
		f->hdr_open = 1;
		f->hdr_commit = is_commit(b);
		return SQLITE_OK;
	}
	return f->real->pMethods->xWrite(f->real, b, n, off);
}

static int
v_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xTruncate(REAL(p), size);
}

static int
v_sync(sqlite3_file *p, int flags)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xSync(REAL(p), flags);
}

static int
v_size(sqlite3_file *p, sqlite3_int64 *size)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xFileSize(REAL(p), size);
}

static int
v_lock(sqlite3_file *p, int l)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xLock(REAL(p), l);
}

static int
v_unlock(sqlite3_file *p, int l)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xUnlock(REAL(p), l);
}

static int
v_reserved(sqlite3_file *p, int *out)
{
	return REAL(p)->pMethods->xCheckReservedLock(REAL(p), out);
}

static int
v_fcntl(sqlite3_file *p, int op, void *arg)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xFileControl(REAL(p), op, arg);
}

static int
v_sector(sqlite3_file *p)
{
	return REAL(p)->pMethods->xSectorSize(REAL(p));
}

static int
v_devchar(sqlite3_file *p)
{
	return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p));
}

static int
v_shmmap(sqlite3_file *p, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(p)->pMethods->xShmMap(REAL(p), pg, pgsz, extend, pp);
}

/*
 * Every read transaction on a WAL database takes a shared lock on one of
 * the -shm's read marks (wal.c, walTryBeginRead), whatever its statement
 * or snapshot: counting them tells whether a connection has read the file
 * (store_vfs_shared_locks).
 */
static int
v_shmlock(sqlite3_file *p, int off, int n, int flags)
{
	struct vfile	*f = (struct vfile *)p;
	int		 rc;

	if ((flags & (SQLITE_SHM_LOCK | SQLITE_SHM_SHARED)) ==
	    (SQLITE_SHM_LOCK | SQLITE_SHM_SHARED))
		f->shared_locks++;
	/*
	 * Before a lock is let go (the WAL write lock among them), write
	 * what this connection holds back: frames of a transaction that
	 * rolled back after spilling pages must reach the WAL while the
	 * write lock is still ours, as SQLite wrote them, and not later
	 * over the frames another connection appends at the same offsets.
	 * Only this connection uses its WAL handle, on this thread.
	 */
	if ((flags & SQLITE_SHM_UNLOCK) && f->wal_of != NULL &&
	    (rc = flush(f->wal_of)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xShmLock(REAL(p), off, n, flags);
}

static void
v_shmbarrier(sqlite3_file *p)
{
	REAL(p)->pMethods->xShmBarrier(REAL(p));
}

static int
v_shmunmap(sqlite3_file *p, int del)
{
	return REAL(p)->pMethods->xShmUnmap(REAL(p), del);
}

static int
v_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **pp)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xFetch(REAL(p), off, n, pp);
}

static int
v_unfetch(sqlite3_file *p, sqlite3_int64 off, void *pg)
{
	return REAL(p)->pMethods->xUnfetch(REAL(p), off, pg);
}

static const sqlite3_io_methods io = {
	3, v_close, v_read, v_write, v_truncate, v_sync, v_size, v_lock,
	v_unlock, v_reserved, v_fcntl, v_sector, v_devchar, v_shmmap,
	v_shmlock, v_shmbarrier, v_shmunmap, v_fetch, v_unfetch
};

static int
v_open(sqlite3_vfs *self, const char *name, sqlite3_file *p, int flags,
    int *outflags)
{
	struct vfile	*f = (struct vfile *)p;
	int		 rc;

	(void)self;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	f->wal = (flags & SQLITE_OPEN_WAL) != 0;
	rc = root->xOpen(root, name, f->real, flags, outflags);
	/* Only a file the default VFS opened gets our methods (and xClose). */
	if (f->real->pMethods == NULL)
		return rc;
	if (f->real->pMethods->iVersion < 3) {	/* not the unix VFS */
		f->real->pMethods->xClose(f->real);
		f->real->pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	f->base.pMethods = &io;
	if (flags & SQLITE_OPEN_MAIN_DB) {
		f->dbname = name;
		pthread_mutex_lock(&registry_mu);
		f->next = registry;
		registry = f;
		pthread_mutex_unlock(&registry_mu);
	} else if (f->wal && name != NULL) {
		f->dbname = sqlite3_filename_database(name);
		pthread_mutex_lock(&registry_mu);
		for (struct vfile *d = registry; d != NULL; d = d->next)
			if (d->dbname == f->dbname) {
				d->wal_of = f;
				break;
			}
		pthread_mutex_unlock(&registry_mu);
	}
	return rc;
}

static void
setup(void)
{
	if ((root = sqlite3_vfs_find(NULL)) == NULL)
		return;
	vfs = *root;
	vfs.zName = STORE_VFS_NAME;
	vfs.szOsFile = (int)sizeof(struct vfile) + root->szOsFile;
	vfs.xOpen = v_open;
	vfs.pNext = NULL;
	registered = sqlite3_vfs_register(&vfs, 0);
}

const char *
store_vfs(void)
{
	pthread_once(&once, setup);
	return registered == SQLITE_OK ? STORE_VFS_NAME : NULL;
}

unsigned long
store_vfs_shared_locks(sqlite3 *db)
{
	sqlite3_file	*f = NULL;

	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) !=
	    SQLITE_OK || f == NULL || f->pMethods != &io)
		return 0;
	return ((struct vfile *)f)->shared_locks;
}
