/* random.c - random bytes from a per-thread pool refilled by getrandom(2); resource IDs from them */
/* SPDX-License-Identifier: MIT */

#include <sys/random.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/b64url.h"

/*
 * One getrandom(2) call fills POOL_SIZE bytes, which then serve the next
 * 32 IDs or tokens of this thread (128 bits each): an issuance draws
 * about ten of them, and one getrandom per request (or RAND_bytes, which
 * calls getpid(2) every time to notice a fork) was 15 system calls of
 * each issuance. The bytes are the kernel's CSPRNG output, the same
 * source RAND_bytes seeds from; each is handed out once and wiped.
 *
 * Not fork-safe by itself: a child made by fork(2) would hand out its
 * parent's remaining bytes again. localacme never forks without exec
 * (trust_exec.c uses posix_spawn), and nothing draws from the pool
 * between the two.
 */
#define POOL_SIZE	512

static _Thread_local struct {
	unsigned char	 b[POOL_SIZE];
	size_t		 left;		/* unused bytes, at the end of b */
} pool;

static int
fill(unsigned char *buf, size_t n)
{
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = getrandom(buf + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
acme_random_bytes(void *out, size_t n)
{
	unsigned char	*o = out;
	size_t		 take;

	if (n > POOL_SIZE / 4)
		return fill(o, n);
	while (n > 0) {
		if (pool.left == 0) {
			if (fill(pool.b, sizeof(pool.b)) != 0)
				return -1;
			pool.left = sizeof(pool.b);
		}
		take = n < pool.left ? n : pool.left;
		memcpy(o, pool.b + sizeof(pool.b) - pool.left, take);
		explicit_bzero(pool.b + sizeof(pool.b) - pool.left, take);
		pool.left -= take;
		o += take;
		n -= take;
	}
	return 0;
}

/* The 64 base64url characters in ASCII order, so stamps sort as text. */
static const char stamp_alpha[] =
    "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

int
acme_random_id(char out[ACME_ID_SIZE])
{
	unsigned char	 raw[16];	/* 128 bits */
	struct timespec	 ts;
	uint64_t	 ms = 0;

	out[0] = '\0';
	if (acme_random_bytes(raw, sizeof(raw)) != 0)
		return -1;
	acme_b64url_encode_buf(raw, sizeof(raw), out + ACME_ID_STAMP_LEN);
	memset(raw, 0, sizeof(raw));
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 0)
		ms = (uint64_t)ts.tv_sec * 1000 +
		    (uint64_t)ts.tv_nsec / 1000000;
	/* 42 bits of milliseconds: until the year 2109. */
	for (int i = ACME_ID_STAMP_LEN - 1; i >= 0; i--) {
		out[i] = stamp_alpha[ms & 63];
		ms >>= 6;
	}
	return 0;
}
