/* ratelimit.c - per-client-address token buckets in a fixed, set-associative table */
/* SPDX-License-Identifier: MIT */
#include <sys/random.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratelimit.h"

#define WAYS	8	/* entries per set: an address lives in one set */
#define KEYLEN	17	/* family byte + 16 address bytes */

struct entry {
	bool		 used;
	unsigned char	 key[KEYLEN];
	double		 tokens;
	double		 last;		/* when tokens was computed */
};

struct ratelimit {
	pthread_mutex_t	 mu;
	double		 rate;		/* tokens per second */
	double		 burst;
	size_t		 nsets;
	uint64_t	 seed;		/* keyed hash: sets cannot be aimed at */
	size_t		 tracked;
	struct entry	*e;		/* nsets * WAYS, allocated once */
};

struct ratelimit *
ratelimit_new(unsigned per_min, unsigned burst, size_t capacity)
{
	struct ratelimit *rl;

	if (per_min == 0 || burst == 0)
		return NULL;
	if (capacity == 0)
		capacity = RATELIMIT_DEFAULT_CAPACITY;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->rate = per_min / 60.0;
	rl->burst = burst;
	rl->nsets = (capacity + WAYS - 1) / WAYS;
	if (getrandom(&rl->seed, sizeof(rl->seed), 0) !=
	    (ssize_t)sizeof(rl->seed) ||
	    (rl->e = calloc(rl->nsets * WAYS, sizeof(*rl->e))) == NULL ||
	    pthread_mutex_init(&rl->mu, NULL) != 0) {
		free(rl->e);
		free(rl);
		return NULL;
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl->e);
	free(rl);
}

/* The counting key of an address: IPv4, IPv6 /64, or the text itself. */
static void
make_key(const char *addr, unsigned char key[KEYLEN])
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned char b[16];

	memset(key, 0, KEYLEN);
	if (inet_pton(AF_INET, addr, b) == 1) {
		key[0] = 4;
		memcpy(key + 1, b, 4);
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		if (memcmp(b, mapped, sizeof(mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, b + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, b, 8);	/* the /64 */
		}
	} else
		memcpy(key + 1, addr, strnlen(addr, KEYLEN - 1));
}

/* FNV-1a over the key, started from the per-table random seed. */
static size_t
set_of(const struct ratelimit *rl, const unsigned char key[KEYLEN])
{
	uint64_t h = 0xcbf29ce484222325ULL ^ rl->seed;

	for (size_t i = 0; i < KEYLEN; i++) {
		h ^= key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return (size_t)(h % rl->nsets);
}

/* Tokens of e at now (refilled, at most the burst). */
static double
refill(const struct ratelimit *rl, const struct entry *e, double now)
{
	double t = e->tokens;

	if (now > e->last)
		t += (now - e->last) * rl->rate;
	return t > rl->burst ? rl->burst : t;
}

bool
ratelimit_take_at(struct ratelimit *rl, const char *addr, double now,
    unsigned *retry_after_s)
{
	unsigned char	 key[KEYLEN];
	struct entry	*set, *e = NULL, *victim = NULL;
	double		 wait;
	unsigned	 w;
	bool		 ok;

	make_key(addr != NULL ? addr : "", key);
	pthread_mutex_lock(&rl->mu);
	set = &rl->e[set_of(rl, key) * WAYS];
	for (size_t i = 0; i < WAYS && e == NULL; i++)
		if (set[i].used && memcmp(set[i].key, key, KEYLEN) == 0)
			e = &set[i];
	if (e == NULL) {
		/* A free slot, else a full bucket (as good as none), else LRU. */
		for (size_t i = 0; i < WAYS && victim == NULL; i++)
			if (!set[i].used)
				victim = &set[i];
		for (size_t i = 0; i < WAYS && victim == NULL; i++)
			if (refill(rl, &set[i], now) >= rl->burst)
				victim = &set[i];
		if (victim == NULL) {
			victim = &set[0];
			for (size_t i = 1; i < WAYS; i++)
				if (set[i].last < victim->last)
					victim = &set[i];
		}
		if (!victim->used)
			rl->tracked++;
		e = victim;
		e->used = true;
		memcpy(e->key, key, KEYLEN);
		e->tokens = rl->burst;
		e->last = now;
	}
	e->tokens = refill(rl, e, now);
	e->last = now > e->last ? now : e->last;
	if ((ok = e->tokens >= 1.0))
		e->tokens -= 1.0;
	else {
		/* Whole seconds, rounded up (RFC 9110 §10.2.3). */
		wait = (1.0 - e->tokens) / rl->rate;
		w = wait > 86400 ? 86400 : (unsigned)wait;
		if ((double)w < wait && w < 86400)
			w++;
		*retry_after_s = w < 1 ? 1 : w;
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}

bool
ratelimit_take(struct ratelimit *rl, const char *addr,
    unsigned *retry_after_s)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ratelimit_take_at(rl, addr, (double)ts.tv_sec +
	    ts.tv_nsec / 1e9, retry_after_s);
}

size_t
ratelimit_tracked(struct ratelimit *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->mu);
	n = rl->tracked;
	pthread_mutex_unlock(&rl->mu);
	return n;
}
