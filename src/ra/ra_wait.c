/* ra_wait.c - the callers to tell when a validation they hold an answer for has ended */
/* SPDX-License-Identifier: MIT */

/*
 * RFC 8555 §7.5.1: the answer to a challenge POST is the challenge as it
 * is then. A validation of a name on this machine takes a millisecond or
 * two, so the WFE holds the POST's answer a little (httpd's http_hold:
 * the connection waits, no thread does) and answers with the outcome, and
 * the client polls nothing. The RA's part is here: a slot per held
 * answer, taken under db_mu right after the validation was queued, so
 * the result cannot be stored unseen; ra_wait_done, called by the VA
 * worker once the result is stored, frees the slot and calls its waker.
 * With every slot taken, the POST is answered "processing" at once, as
 * it always was.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ra_internal.h"

void
ra_wait_init(struct ra *ra)
{
	pthread_mutex_init(&ra->wait_mu, NULL);
	memset(ra->waiting, 0, sizeof(ra->waiting));
}

void
ra_wait_fini(struct ra *ra)
{
	pthread_mutex_destroy(&ra->wait_mu);
}

bool
ra_wait_add(struct ra *ra, const char *chall_id, const struct ra_waker *wk)
{
	size_t	 i;
	bool	 taken = false;

	pthread_mutex_lock(&ra->wait_mu);
	for (i = 0; i < RA_WAITERS; i++)
		if (!ra->waiting[i].used) {
			ra->waiting[i].used = true;
			ra->waiting[i].wk = *wk;
			snprintf(ra->waiting[i].id, sizeof(ra->waiting[i].id),
			    "%s", chall_id);
			taken = true;
			break;
		}
	pthread_mutex_unlock(&ra->wait_mu);
	return taken;
}

void
ra_wait_done(struct ra *ra, const char *chall_id)
{
	struct ra_waker	 wake[RA_WAITERS];
	size_t		 i, n = 0;

	pthread_mutex_lock(&ra->wait_mu);
	for (i = 0; i < RA_WAITERS; i++)
		if (ra->waiting[i].used &&
		    strcmp(ra->waiting[i].id, chall_id) == 0) {
			wake[n++] = ra->waiting[i].wk;
			ra->waiting[i].used = false;
		}
	pthread_mutex_unlock(&ra->wait_mu);
	/* Outside wait_mu: a waker takes its own locks. */
	for (i = 0; i < n; i++)
		wake[i].wake(wake[i].arg, wake[i].ticket);
}
