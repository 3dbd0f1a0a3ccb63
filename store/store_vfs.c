/* store_vfs.c - a VFS over SQLite's default one that writes each WAL frame's header and page in one system call */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

/*
 * SQLite appends a WAL frame as two writes: its 24-byte header, then the
 * page right after it (wal.c, walWriteOneFrame). At about 35 frames per
 * issuance that was some 70 pwrite64 calls, a third of all the server's
 * system calls. This VFS keeps a frame header back and writes it with the
 * page that follows it, as one write of the same bytes to the same
 * offsets: what is on disk after any write, sync or read is what SQLite
 * wrote itself, in its order, except that a header reaches the file
 * together with its page instead of just before it. A header is held
 * only between two writes of one thread to one WAL file: any other call
 * on that file (read, sync, truncate, size, lock, close, a write
 * elsewhere) writes it first, so no reader, sync or checkpoint can miss
 * it. A crash between the two writes loses the header with the page, as
 * a crash between SQLite's own two writes leaves a frame without a valid
 * checksum: recovery ignores both the same way.
 *
 * Every other file (the database, the -shm, temporary files) and every
 * other call goes straight to the default VFS.
 */

#define FRAME_HDR	24	/* WAL_FRAME_HDRSIZE in SQLite's wal.c */

struct vfile {
	sqlite3_file	 base;
	sqlite3_file	*real;		/* the default VFS's file, after us */
	int		 wal;		/* a -wal file: coalesce */
	int		 held;		/* hdr waits for its page */
	sqlite3_int64	 hdr_off;
	unsigned char	 hdr[FRAME_HDR];
	unsigned char	*buf;		/* header + page, grown on demand */
	int		 bufsz;
};

static sqlite3_vfs	*root;
static sqlite3_vfs	 vfs;
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static int		 registered = SQLITE_ERROR;

#define REAL(f)		(((struct vfile *)(f))->real)

static int
flush(struct vfile *f)
{
	if (!f->held)
		return SQLITE_OK;
	f->held = 0;
	return f->real->pMethods->xWrite(f->real, f->hdr, FRAME_HDR,
	    f->hdr_off);
}

static int
v_close(sqlite3_file *p)
{
	struct vfile	*f = (struct vfile *)p;
	int		 rc, rc2;

	rc = flush(f);
	rc2 = f->real->pMethods->xClose(f->real);
	sqlite3_free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
v_read(sqlite3_file *p, void *b, int n, sqlite3_int64 off)
{
	int	 rc;

	if ((rc = flush((struct vfile *)p)) != SQLITE_OK)
		return rc;
	return REAL(p)->pMethods->xRead(REAL(p), b, n, off);
}

static int
v_write(sqlite3_file *p, const void *b, int n, sqlite3_int64 off)
{
	struct vfile	*f = (struct vfile *)p;
	unsigned char	*nb;
	int		 rc;

	if (f->held && off == f->hdr_off + FRAME_HDR && n > 0) {
		if (f->bufsz < FRAME_HDR + n) {
			nb = sqlite3_realloc(f->buf, FRAME_HDR + n);
			if (nb == NULL) {	/* two writes, as SQLite does */
				if ((rc = flush(f)) != SQLITE_OK)
					return rc;
				return f->real->pMethods->xWrite(f->real, b,
				    n, off);
			}
			f->buf = nb;
			f->bufsz = FRAME_HDR + n;
		}
		memcpy(f->buf, f->hdr, FRAME_HDR);
		memcpy(f->buf + FRAME_HDR, b, (size_t)n);
		f->held = 0;
		return f->real->pMethods->xWrite(f->real, f->buf,
		    FRAME_HDR + n, f->hdr_off);
	}
	if ((rc = flush(f)) != SQLITE_OK)
		return rc;
	if (f->wal && n == FRAME_HDR) {
		memcpy(f->hdr, b, FRAME_HDR);
		f->hdr_off = off;
		f->held = 1;
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

static int
v_shmlock(sqlite3_file *p, int off, int n, int flags)
{
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
