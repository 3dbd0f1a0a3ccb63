/* ra_internal.h - what the RA's own files share: the RA's state, its lock, its error mapping (not for other parts) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_RA_INTERNAL_H
#define LOCALACME_RA_INTERNAL_H

#include <pthread.h>

#include "acme/problem.h"
#include "ra.h"

struct keycache;
struct store;

struct ra {
	struct ra_opts		 opts;
	char			*db_path;
	struct ca		*ca;
	const struct policy	*policy;
	struct va		*va;
	struct store		*st;		/* the one connection; db_mu */
	pthread_mutex_t		 db_mu;		/* recursive */
	struct keycache		*keys;		/* imported account keys */
};

/*
 * Take the RA's lock and return its store connection; every store call
 * of the RA happens between ra_lock and ra_unlock. ra_unlock lets go of
 * the lock, then waits until every durable commit so far is on disk
 * (store_sync), so no answer leaves before what it reports is durable.
 */
struct store	*ra_lock(struct ra *ra);
void		 ra_unlock(struct ra *ra);

/*
 * Log a failure once and turn it into a generic problem (HARDENING Z05):
 * a store failure with the store's message (st), anything else (NULL) by
 * name; busy and full stores answer 503. Returns -1.
 */
int		 ra_internal(struct store *st, struct acme_problem *prob,
		    const char *what);

#endif /* LOCALACME_RA_INTERNAL_H */
