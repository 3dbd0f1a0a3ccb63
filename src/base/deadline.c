/* deadline.c - the time ms milliseconds from now on a clock, for pthread_cond_timedwait */
/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "deadline.h"

void
deadline_after_ms(clockid_t clock, unsigned ms, struct timespec *out)
{
	clock_gettime(clock, out);
	out->tv_sec += (time_t)(ms / 1000);
	out->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}
