/* ratelimit.h - per-client-address token buckets in bounded memory (newAccount, issue #12 item 14) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_RATELIMIT_H
#define LOCALACME_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

/* The default table: 16384 addresses, about 640 KiB, allocated once. */
#define RATELIMIT_DEFAULT_CAPACITY	16384

struct ratelimit;

/*
 * A limiter of per_min events per minute per client address, with a
 * burst of `burst` (both >= 1). It tracks at most `capacity` addresses
 * (rounded up to a multiple of 8; 0 = RATELIMIT_DEFAULT_CAPACITY), in a
 * table allocated here and never grown: when an address's slot group is
 * full, an entry whose bucket has refilled (the same as no entry) is
 * reused first, else the one seen longest ago. IPv6 addresses count per
 * /64 (one host usually holds a whole /64); an IPv4-mapped IPv6 address
 * counts as its IPv4 address. Returns NULL on bad arguments or
 * allocation failure. Free with ratelimit_free (NULL-safe).
 */
struct ratelimit *ratelimit_new(unsigned per_min, unsigned burst,
		    size_t capacity);
void		 ratelimit_free(struct ratelimit *rl);

/*
 * Take one event for addr (textual IPv4 or IPv6; any other text counts
 * as itself) at `now` seconds on a monotonic clock. Returns true if
 * allowed; false if over the limit, with *retry_after_s (>= 1) the
 * seconds until one event is allowed again. Thread-safe.
 */
bool		 ratelimit_take_at(struct ratelimit *rl, const char *addr,
		    double now, unsigned *retry_after_s);

/* ratelimit_take_at with CLOCK_MONOTONIC. */
bool		 ratelimit_take(struct ratelimit *rl, const char *addr,
		    unsigned *retry_after_s);

/* Addresses tracked now (at most the capacity). Thread-safe. */
size_t		 ratelimit_tracked(struct ratelimit *rl);

#endif /* LOCALACME_RATELIMIT_H */
