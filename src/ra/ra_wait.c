/* ra_wait.c - a challenge POST that started a validation waits briefly for its result */
/* SPDX-License-Identifier: MIT */

/*
 * RFC 8555 §7.5.1: the answer to a challenge POST is the challenge as it
 * is then. A validation of a name on this machine takes a millisecond or
 * two, so when the server has nothing else to do (the WFE has no other
 * request in hand, the VA no other validation), the POST waits up to
 * challenge_wait_ms for the outcome: a client such as lego then reads
 * "valid" in that answer and polls nothing. A validation that takes
 * longer, or one that starts under load, is answered "processing" as
 * before: the wait holds the request thread, and the connections it
 * serves, so under load a client's poll costs less. The wait holds no
 * lock: only a slot here, which ra_wait_done marks after the VA worker
 * stored the result.
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "deadline.h"
#include "ra_internal.h"

void
ra_wait_init(struct ra *ra)
{
	pthread_condattr_t	 ca;

	pthread_mutex_init(&ra->wait_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ra->wait_cv, &ca);
	pthread_condattr_destroy(&ca);
	memset(ra->waiting, 0, sizeof(ra->waiting));
}

void
ra_wait_fini(struct ra *ra)
{
	pthread_cond_destroy(&ra->wait_cv);
	pthread_mutex_destroy(&ra->wait_mu);
}

int
ra_wait_add(struct ra *ra, const char *chall_id)
{
	size_t	 i;
	int	 slot = -1;

	if (ra->opts.challenge_wait_ms == 0)
		return -1;	/* --challenge-wait-ms 0: never wait */
	pthread_mutex_lock(&ra->wait_mu);
	for (i = 0; i < RA_WAITERS; i++)
		if (!ra->waiting[i].used) {
			ra->waiting[i].used = true;
			ra->waiting[i].done = false;
			snprintf(ra->waiting[i].id, sizeof(ra->waiting[i].id),
			    "%s", chall_id);
			slot = (int)i;
			break;
		}
	pthread_mutex_unlock(&ra->wait_mu);
	return slot;
}

void
ra_wait_for(struct ra *ra, int slot)
{
	struct ra_waiter	*w;
	struct timespec		 until;

	if (slot < 0 || slot >= RA_WAITERS)
		return;
	w = &ra->waiting[slot];
	deadline_after_ms(CLOCK_MONOTONIC, ra->opts.challenge_wait_ms, &until);
	pthread_mutex_lock(&ra->wait_mu);
	while (!w->done && pthread_cond_timedwait(&ra->wait_cv, &ra->wait_mu,
	    &until) != ETIMEDOUT)
		;
	w->used = false;
	pthread_mutex_unlock(&ra->wait_mu);
}

void
ra_wait_done(struct ra *ra, const char *chall_id)
{
	size_t	 i;
	bool	 any = false;

	if (!ra->opts.challenge_wait_ms)
		return;		/* nobody waits */
	pthread_mutex_lock(&ra->wait_mu);
	for (i = 0; i < RA_WAITERS; i++)
		if (ra->waiting[i].used &&
		    strcmp(ra->waiting[i].id, chall_id) == 0) {
			ra->waiting[i].done = true;
			any = true;
		}
	if (any)
		pthread_cond_broadcast(&ra->wait_cv);
	pthread_mutex_unlock(&ra->wait_mu);
}
