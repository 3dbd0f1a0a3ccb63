/* test_nonce.c - Replay-Nonce single use, window, uniqueness (HARDENING N02-N13, D03) */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nonce.h"

static void
test_nonce_issued_redeemed_once_then_refused(void **state)
{
	struct nonce_table *t;
	char n[NONCE_SIZE];

	(void)state;
	assert_non_null(t = nonce_new(16));
	assert_int_equal(nonce_issue(t, n), 0);
	assert_int_equal(strlen(n), NONCE_LEN);
	assert_true(nonce_is_wellformed(n));
	assert_true(nonce_redeem(t, n));
	assert_false(nonce_redeem(t, n));	/* N02 */
	nonce_free(t);
}

static void
test_nonce_never_issued_refused(void **state)
{
	struct nonce_table *t;
	char n[NONCE_SIZE];

	(void)state;
	assert_non_null(t = nonce_new(16));
	/* N03: well-formed, right length, never issued. */
	assert_false(nonce_redeem(t, "AAAAAAAAAAAAAAAAAAAAAA"));
	assert_false(nonce_redeem(t, "abcdefghijklmnopqrstuv"));
	/* A flipped character of a real nonce is a forgery too. */
	assert_int_equal(nonce_issue(t, n), 0);
	n[3] = n[3] == 'A' ? 'B' : 'A';
	assert_false(nonce_redeem(t, n));
	nonce_free(t);
}

static void
test_nonce_malformed_refused_and_not_wellformed(void **state)
{
	struct nonce_table *t;
	char n[NONCE_SIZE], padded[NONCE_SIZE + 2];

	(void)state;
	assert_non_null(t = nonce_new(16));
	assert_int_equal(nonce_issue(t, n), 0);
	snprintf(padded, sizeof(padded), "%s==", n);
	/* N04: RFC 8555 §6.5.1 syntax */
	assert_false(nonce_is_wellformed("im-a-nonce!"));
	assert_false(nonce_is_wellformed(padded));
	assert_false(nonce_is_wellformed(""));
	assert_false(nonce_is_wellformed(NULL));
	assert_false(nonce_is_wellformed("abc def"));
	assert_false(nonce_is_wellformed("abc+/"));
	assert_true(nonce_is_wellformed("abc-_09XYZ"));
	assert_false(nonce_redeem(t, padded));
	assert_false(nonce_redeem(t, ""));
	assert_false(nonce_redeem(t, NULL));
	assert_true(nonce_redeem(t, n));	/* untouched by the above */
	nonce_free(t);
}

struct race {
	struct nonce_table	*t;
	const char		*nonce;
	pthread_barrier_t	*go;
	int			 won;
};

static void *
race_main(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(r->go);
	r->won = nonce_redeem(r->t, r->nonce);
	return NULL;
}

static void
test_nonce_fifty_threads_one_nonce_exactly_one_wins(void **state)
{
	enum { N = 50 };
	struct nonce_table *t;
	struct race r[N];
	pthread_t th[N];
	pthread_barrier_t go;
	char n[NONCE_SIZE];
	int i, round, wins;

	(void)state;
	assert_non_null(t = nonce_new(1024));
	/* N06, several rounds so the race is actually contended. */
	for (round = 0; round < 20; round++) {
		assert_int_equal(nonce_issue(t, n), 0);
		pthread_barrier_init(&go, NULL, N);
		for (i = 0; i < N; i++) {
			r[i] = (struct race){ t, n, &go, 0 };
			assert_int_equal(pthread_create(&th[i], NULL,
			    race_main, &r[i]), 0);
		}
		wins = 0;
		for (i = 0; i < N; i++) {
			pthread_join(th[i], NULL);
			wins += r[i].won;
		}
		pthread_barrier_destroy(&go);
		assert_int_equal(wins, 1);
	}
	nonce_free(t);
}

static void
test_nonce_beyond_capacity_oldest_evicted(void **state)
{
	struct nonce_table *t;
	char old[NONCE_SIZE], edge[NONCE_SIZE], n[NONCE_SIZE];
	int i;

	(void)state;
	assert_non_null(t = nonce_new(8));
	assert_int_equal(nonce_issue(t, old), 0);
	assert_int_equal(nonce_issue(t, edge), 0);
	/* 7 more: `edge` is now the oldest of the last 8, `old` is out. */
	for (i = 0; i < 7; i++)
		assert_int_equal(nonce_issue(t, n), 0);
	assert_false(nonce_redeem(t, old));	/* N12, D03 */
	assert_true(nonce_redeem(t, edge));
	assert_true(nonce_redeem(t, n));
	nonce_free(t);
}

static void
test_nonce_evicted_slot_reused_old_still_refused(void **state)
{
	struct nonce_table *t;
	char a[NONCE_SIZE], b[NONCE_SIZE];
	int i;

	(void)state;
	assert_non_null(t = nonce_new(4));
	assert_int_equal(nonce_issue(t, a), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(nonce_issue(t, b), 0);
	assert_int_equal(nonce_issue(t, b), 0);	/* same slot as `a` */
	assert_true(nonce_redeem(t, b));
	assert_false(nonce_redeem(t, a));
	nonce_free(t);
}

static int
cmpstr(const void *a, const void *b)
{
	return memcmp(a, b, NONCE_SIZE);
}

static void
test_nonce_hundred_thousand_all_unique(void **state)
{
	enum { N = 100000 };
	struct nonce_table *t;
	char (*all)[NONCE_SIZE];
	int i;

	(void)state;
	assert_non_null(t = nonce_new(65536));
	assert_non_null(all = calloc(N, NONCE_SIZE));
	for (i = 0; i < N; i++) {
		assert_int_equal(nonce_issue(t, all[i]), 0);
		assert_true(nonce_is_wellformed(all[i]));
	}
	qsort(all, N, NONCE_SIZE, cmpstr);
	for (i = 1; i < N; i++)	/* N13 */
		assert_int_not_equal(memcmp(all[i - 1], all[i], NONCE_SIZE), 0);
	free(all);
	nonce_free(t);
}

static void
test_nonce_new_table_invalidates_old_nonces(void **state)
{
	struct nonce_table *t;
	char n[NONCE_SIZE];

	(void)state;
	assert_non_null(t = nonce_new(16));
	assert_int_equal(nonce_issue(t, n), 0);
	nonce_free(t);
	/* N07: a restart is a new key; the old nonce is now unknown. */
	assert_non_null(t = nonce_new(16));
	assert_false(nonce_redeem(t, n));
	assert_int_equal(nonce_issue(t, n), 0);
	assert_true(nonce_redeem(t, n));
	nonce_free(t);
}

static void
test_nonce_bad_capacity_rejected(void **state)
{
	(void)state;
	assert_null(nonce_new(0));
	assert_null(nonce_new((size_t)1 << 30));
}

struct bench {
	struct nonce_table	*t;
	int			 n;
	int			 ok;
};

static void *
bench_main(void *arg)
{
	struct bench *b = arg;
	char n[NONCE_SIZE];
	int i;

	for (i = 0; i < b->n; i++) {
		if (nonce_issue(b->t, n) == 0 && nonce_redeem(b->t, n))
			b->ok++;
	}
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints throughput; asserts only correctness (no timing assertions). */
static void
test_nonce_throughput_printed_all_redeemed(void **state)
{
	enum { THREADS = 4, PER = 100000 };
	struct nonce_table *t;
	struct bench b[THREADS];
	pthread_t th[THREADS];
	double t0, dt;
	int i, total = 0;

	(void)state;
	/*
	 * Window above the total issued: a thread preempted between issue
	 * and redeem while the others issue 65536 would rightly see its
	 * nonce evicted (N12), which is not what this measures.
	 */
	assert_non_null(t = nonce_new((size_t)1 << 20));
	t0 = now_s();
	for (i = 0; i < THREADS; i++) {
		b[i] = (struct bench){ t, PER, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, bench_main,
		    &b[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		total += b[i].ok;
	}
	dt = now_s() - t0;
	printf("nonce: %d issue+redeem pairs on %d threads in %.3f s "
	    "(%.0f pairs/s)\n", THREADS * PER, THREADS, dt,
	    (double)(THREADS * PER) / dt);
	assert_int_equal(total, THREADS * PER);
	nonce_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonce_issued_redeemed_once_then_refused),
		cmocka_unit_test(test_nonce_never_issued_refused),
		cmocka_unit_test(test_nonce_malformed_refused_and_not_wellformed),
		cmocka_unit_test(test_nonce_fifty_threads_one_nonce_exactly_one_wins),
		cmocka_unit_test(test_nonce_beyond_capacity_oldest_evicted),
		cmocka_unit_test(test_nonce_evicted_slot_reused_old_still_refused),
		cmocka_unit_test(test_nonce_hundred_thousand_all_unique),
		cmocka_unit_test(test_nonce_new_table_invalidates_old_nonces),
		cmocka_unit_test(test_nonce_bad_capacity_rejected),
		cmocka_unit_test(test_nonce_throughput_printed_all_redeemed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
