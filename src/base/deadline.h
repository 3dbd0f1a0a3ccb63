/* deadline.h - the time ms milliseconds from now on a clock, for pthread_cond_timedwait */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_DEADLINE_H
#define LOCALACME_DEADLINE_H

#include <time.h>

/*
 * *out = the clock's time now plus ms milliseconds, normalised (tv_nsec
 * below one second). clock is the one the condition variable waits on:
 * CLOCK_MONOTONIC when its attributes say so, CLOCK_REALTIME otherwise.
 */
void	 deadline_after_ms(clockid_t clock, unsigned ms, struct timespec *out);

#endif /* LOCALACME_DEADLINE_H */
