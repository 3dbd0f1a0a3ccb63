/* duration.h - "N", "Ns", "Nm", "Nh", "Nd": the one duration syntax of profiles and test knobs */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_DURATION_H
#define LOCALACME_DURATION_H

#include <stddef.h>

/*
 * Parse the n bytes at s as decimal digits and an optional unit: s, m, h
 * or d (no unit: days). Stores the number of seconds in *out and returns
 * 0, or returns -1 on anything else (no digits, another unit, trailing
 * bytes) and when the result would exceed max_s. Zero is accepted: the
 * callers have their own floors.
 */
int	 duration_parse(const char *s, size_t n, unsigned long long max_s,
	    unsigned long long *out);

#endif /* LOCALACME_DURATION_H */
