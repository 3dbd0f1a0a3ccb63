/* fault.c - test-only fault points and the database write hook of localacme-faults */
/* SPDX-License-Identifier: MIT */
#ifdef LOCALACME_FAULT_INJECTION
#define _GNU_SOURCE	/* RTLD_NEXT, pwrite64 */
#endif

#include <stdbool.h>

#include "fault.h"

#ifndef LOCALACME_FAULT_INJECTION

bool
fault_injection_enabled(void)
{
	return false;
}

#else /* LOCALACME_FAULT_INJECTION */

#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* The one fault this process was asked for (LOCALACME_FAULT). */
static struct {
	char		 name[64];	/* point name, or "dbwrite" */
	char		 action[16];	/* kill, eio, erofs, enospc */
	long		 nth;		/* kill at this hit */
	long		 hits;
	const char	*gate;		/* LOCALACME_FAULT_GATE or NULL */
	ssize_t		(*pwrite)(int, const void *, size_t, off64_t);
} fault;
static pthread_once_t	 fault_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t	 fault_mu = PTHREAD_MUTEX_INITIALIZER;

bool
fault_injection_enabled(void)
{
	return true;
}

static void
fault_load(void)
{
	const char	*env = getenv("LOCALACME_FAULT");
	char		 buf[128], *a, *n;

	/* libc's pwrite64, behind our interposer below */
	*(void **)&fault.pwrite = dlsym(RTLD_NEXT, "pwrite64");
	fault.nth = 1;
	fault.gate = getenv("LOCALACME_FAULT_GATE");
	if (env == NULL || strlen(env) >= sizeof(buf))
		return;
	memcpy(buf, env, strlen(env) + 1);
	if ((a = strchr(buf, ':')) == NULL)
		return;
	*a++ = '\0';
	if ((n = strchr(a, ':')) != NULL) {
		*n++ = '\0';
		fault.nth = strtol(n, NULL, 10);
		if (fault.nth < 1)
			fault.nth = 1;
	}
	/* Names longer than the fields match nothing: test-only input. */
	if (strlen(buf) >= sizeof(fault.name) ||
	    strlen(a) >= sizeof(fault.action))
		return;
	memcpy(fault.name, buf, strlen(buf) + 1);
	memcpy(fault.action, a, strlen(a) + 1);
}

void
fault_point(const char *name)
{
	bool	 die;

	pthread_once(&fault_once, fault_load);
	if (strcmp(fault.name, name) != 0 || strcmp(fault.action, "kill") != 0)
		return;
	pthread_mutex_lock(&fault_mu);
	die = ++fault.hits == fault.nth;
	pthread_mutex_unlock(&fault_mu);
	if (!die)
		return;
	/* One line so the test can tell where the process died. */
	fprintf(stderr, "localacme-faults: %s: SIGKILL at hit %ld\n", name,
	    fault.nth);
	fflush(stderr);
	raise(SIGKILL);
}

/* Does fd refer to a file whose name ends in suffix? */
static bool
fd_ends_with(int fd, const char *suffix)
{
	char	 link[64], path[PATH_MAX];
	ssize_t	 n;
	size_t	 sl = strlen(suffix);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return false;
	path[n] = '\0';
	return (size_t)n >= sl && strcmp(path + n - sl, suffix) == 0;
}

static int
write_errno(void)
{
	if (strcmp(fault.action, "eio") == 0)
		return EIO;
	if (strcmp(fault.action, "erofs") == 0)
		return EROFS;
	if (strcmp(fault.action, "enospc") == 0)
		return ENOSPC;
	return 0;
}

/*
 * SQLite's unix VFS writes through pwrite64 (Debian's libsqlite3 imports
 * it), so a definition in the program interposes on it: the dynamic
 * linker binds libsqlite3's reference to the executable first.
 */
ssize_t	pwrite64(int fd, const void *buf, size_t n, off64_t off);

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	int	 e;

	pthread_once(&fault_once, fault_load);
	if (fault.pwrite == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (strcmp(fault.name, "checkpoint") == 0 && fd_ends_with(fd, ".db"))
		fault_point("checkpoint");
	else if (strcmp(fault.name, "dbwrite") == 0 &&
	    (e = write_errno()) != 0 &&
	    (fault.gate == NULL || access(fault.gate, F_OK) == 0) &&
	    (fd_ends_with(fd, ".db") || fd_ends_with(fd, ".db-wal") ||
	    fd_ends_with(fd, ".db-journal"))) {
		errno = e;
		return -1;
	}
	return fault.pwrite(fd, buf, n, off);
}

#endif /* LOCALACME_FAULT_INJECTION */
