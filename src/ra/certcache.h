/* certcache.h - the certificates this process last issued to orders, for their downloads */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_CERTCACHE_H
#define LOCALACME_CERTCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"

/*
 * A client downloads its certificate right after finalize answers. Read
 * from the store, that download was a lock section of its own: the RA's
 * db_mu, and a WAL read snapshot that, coming right after the record's
 * commit, also moved a read mark (four fcntl calls on the -shm; issue
 * #17). What a download answers from a certificate's row never changes:
 * the leaf, the chain it was issued with and its account are written
 * once, and rows are never deleted. Only the status does, and only
 * --delete-revoked makes the answer depend on it; with that knob the RA
 * reads the file (ra_get_cert_chain).
 *
 * Coherence rule (the caller's): certcache_put only after the record's
 * commit is durable (after ra_unlock synced it), so an answer from here
 * never precedes the fsync of what it shows (HARDENING X03).
 *
 * A ring of the last n certificates, one mutex held for a scan of the
 * serials and a copy. Thread-safe; taken alone (never under db_mu).
 * NULL cache: every get misses, every put is a no-op.
 */
struct certcache;

/* A ring of n entries (0: 64). NULL on allocation failure. */
struct certcache	*certcache_new(size_t n);
void			 certcache_free(struct certcache *cc);

/*
 * Remember c's serial, account, leaf PEM and chain PEM, replacing the
 * oldest entry; best effort (no memory only costs a read of the file).
 */
void	 certcache_put(struct certcache *cc, const struct acme_cert *c);

/*
 * On a hit, fill *out (zeroed or cleared) with the serial, account_id,
 * pem and chain_pem of certificate serial (heap copies; the caller
 * clears) and return true. The other fields stay zero.
 */
bool	 certcache_get(struct certcache *cc, const char *serial,
	    struct acme_cert *out);

#endif /* LOCALACME_CERTCACHE_H */
