/* statedir.h - the state directory: its path, its creation and its permissions */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_STATEDIR_H
#define LOCALACME_STATEDIR_H

#include <stddef.h>

struct config;

/*
 * Join cfg->state_dir and name into buf. Returns 0, or -1 if it does not
 * fit (buf is then "").
 */
int	 statedir_path(const struct config *cfg, const char *name, char *buf,
	    size_t sz);

/* As statedir_path for an explicit directory. */
int	 statedir_join(const char *dir, const char *name, char *buf,
	    size_t sz);

/*
 * Create cfg->state_dir (and missing parents) with mode 0700 if absent;
 * refuse (-1, message naming the directory in err) if it is not a
 * directory, is a symlink, is owned by another user or is group/world
 * writable. Returns 0 when it is fit for keys.
 */
int	 statedir_ensure(const struct config *cfg, char *err, size_t errsz);

/*
 * mkdir -p: create dir and its missing parents, each new one 0700 (an
 * output directory may hold private keys). An existing directory is
 * left as it is. -1 with "DIR: cannot create: REASON" in err.
 */
int	 statedir_mkdir_p(const char *dir, char *err, size_t errsz);

/* As statedir_ensure for an explicit directory. */
int	 statedir_ensure_dir(const char *dir, char *err, size_t errsz);

/*
 * Check an existing directory as statedir_ensure does, without creating
 * it. Returns 0, or -1 (err says why; errno ENOENT if it is missing).
 */
int	 statedir_check_dir(const char *dir, char *err, size_t errsz);

#endif /* LOCALACME_STATEDIR_H */
