/* acctcache.h - account rows by id, kept coherent with this process's account writes */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ACCTCACHE_H
#define LOCALACME_ACCTCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"

/*
 * Every kid-signed request starts by loading its account (ra_account_auth).
 * Read from the store, that was a lock section of its own per request: the
 * RA's db_mu, a WAL read snapshot (fcntl on the -shm) and, under load, a
 * futex hand-off (issue #17). Accounts change only through the RA of the
 * process that serves them (newAccount, contact update, deactivation, key
 * rollover; the operator commands never write accounts), so the RA keeps
 * a copy of each account it has read and drops it in every write path.
 *
 * Coherence rule (the caller's): acctcache_put and acctcache_forget are
 * called with the RA's db_mu held, the put after the read it caches and
 * the forget before the write's commit. A reader that misses takes db_mu
 * and so sees either the old row (and caches it before the writer forgets
 * it) or the committed new one. acctcache_get takes no db_mu.
 *
 * Direct-mapped slots by a hash of the id, one mutex held for a compare
 * and a copy. Thread-safe. NULL cache: every call is a miss or a no-op.
 */
struct acctcache;

/* A cache of nslots entries (0: 1024). NULL on allocation failure. */
struct acctcache	*acctcache_new(size_t nslots);
void			 acctcache_free(struct acctcache *ac);

/* A deep copy of account id into *out (caller clears): true on a hit. */
bool	 acctcache_get(struct acctcache *ac, const char *id,
	    struct acme_account *out);

/* Remember a copy of *a (replacing what its slot held); best effort. */
void	 acctcache_put(struct acctcache *ac, const struct acme_account *a);

/* Drop account id, if cached. */
void	 acctcache_forget(struct acctcache *ac, const char *id);

#endif /* LOCALACME_ACCTCACHE_H */
