/* statedir.c - the state directory: its path, its creation and its permissions */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "statedir.h"

int
statedir_join(const char *dir, const char *name, char *buf, size_t sz)
{
	int n;

	n = snprintf(buf, sz, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sz) {
		if (sz > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

int
statedir_path(const struct config *cfg, const char *name, char *buf,
    size_t sz)
{
	return statedir_join(cfg->state_dir, name, buf, sz);
}

int
statedir_check_dir(const char *dir, char *err, size_t errsz)
{
	struct stat	 st;
	int		 fd, saved;

	/* O_NOFOLLOW on the last component; fstat the fd (no TOCTOU). */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		saved = errno;
		if (saved == ELOOP)
			snprintf(err, errsz, "%s: the state directory is a "
			    "symbolic link; refusing", dir);
		else if (saved == ENOTDIR)
			snprintf(err, errsz, "%s: not a directory", dir);
		else
			snprintf(err, errsz, "%s: %s", dir, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (st.st_uid != geteuid()) {
		snprintf(err, errsz, "%s: owned by uid %lu, not by us (uid "
		    "%lu); refusing", dir, (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errsz, "%s: group or world writable (mode "
		    "%04o); refusing", dir, (unsigned)(st.st_mode & 07777));
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* mkdir -p with mode 0700 for every directory we create. */
int
statedir_mkdir_p(const char *dir, char *err, size_t errsz)
{
	char	 buf[PATH_MAX];
	size_t	 n = strlen(dir);

	if (n == 0 || n >= sizeof(buf)) {
		snprintf(err, errsz, "%s: bad directory path", dir);
		return -1;
	}
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;

			*p = '\0';
			if (mkdir(buf, 0700) == -1 && errno != EEXIST) {
				snprintf(err, errsz, "%s: cannot create: %s",
				    buf, strerror(errno));
				return -1;
			}
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	return 0;
}

int
statedir_ensure_dir(const char *dir, char *err, size_t errsz)
{
	if (statedir_check_dir(dir, err, errsz) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (statedir_mkdir_p(dir, err, errsz) == -1)
		return -1;
	return statedir_check_dir(dir, err, errsz);
}

int
statedir_ensure(const struct config *cfg, char *err, size_t errsz)
{
	return statedir_ensure_dir(cfg->state_dir, err, errsz);
}
