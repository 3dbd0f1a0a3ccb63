/* test_ratelimit.c - the per-address token buckets of newAccount (issue #12 item 14) */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "ratelimit.h"

/* The burst passes, the next is refused with a whole-second Retry-After. */
static void
test_ratelimit_burst_then_refused_with_retry_after(void **state)
{
	struct ratelimit	*rl = ratelimit_new(60, 5, 64);
	unsigned		 ra = 0;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 5; i++)
		assert_true(ratelimit_take_at(rl, "192.0.2.1", 100.0, &ra));
	assert_false(ratelimit_take_at(rl, "192.0.2.1", 100.0, &ra));
	assert_int_equal(ra, 1);	/* one a second */
	assert_false(ratelimit_take_at(rl, "192.0.2.1", 100.5, &ra));
	assert_int_equal(ra, 1);
	/* a second later one more, then refused again */
	assert_true(ratelimit_take_at(rl, "192.0.2.1", 101.0, &ra));
	assert_false(ratelimit_take_at(rl, "192.0.2.1", 101.0, &ra));
	/* after a long pause the whole burst, not more */
	for (int i = 0; i < 5; i++)
		assert_true(ratelimit_take_at(rl, "192.0.2.1", 1000.0, &ra));
	assert_false(ratelimit_take_at(rl, "192.0.2.1", 1000.0, &ra));
	ratelimit_free(rl);
}

/* 3 a minute: Retry-After is the 20 s until the next token. */
static void
test_ratelimit_retry_after_is_time_to_next_token(void **state)
{
	struct ratelimit	*rl = ratelimit_new(3, 1, 8);
	unsigned		 ra = 0;

	(void)state;
	assert_non_null(rl);
	assert_true(ratelimit_take_at(rl, "2001:db8::1", 0.0, &ra));
	assert_false(ratelimit_take_at(rl, "2001:db8::1", 0.0, &ra));
	assert_int_equal(ra, 20);
	assert_false(ratelimit_take_at(rl, "2001:db8::1", 5.5, &ra));
	assert_int_equal(ra, 15);
	assert_true(ratelimit_take_at(rl, "2001:db8::1", 20.0, &ra));
	ratelimit_free(rl);
}

/* Addresses are counted apart; an IPv6 /64 together; mapped IPv4 as IPv4. */
static void
test_ratelimit_keys_per_address_v6_per_64(void **state)
{
	struct ratelimit	*rl = ratelimit_new(60, 2, 64);
	unsigned		 ra = 0;

	(void)state;
	assert_non_null(rl);
	assert_true(ratelimit_take_at(rl, "2001:db8:1:2::1", 0, &ra));
	assert_true(ratelimit_take_at(rl, "2001:db8:1:2:ffff::9", 0, &ra));
	assert_false(ratelimit_take_at(rl, "2001:db8:1:2::7", 0, &ra));
	assert_true(ratelimit_take_at(rl, "2001:db8:1:3::1", 0, &ra));
	assert_true(ratelimit_take_at(rl, "198.51.100.7", 0, &ra));
	assert_true(ratelimit_take_at(rl, "::ffff:198.51.100.7", 0, &ra));
	assert_false(ratelimit_take_at(rl, "198.51.100.7", 0, &ra));
	assert_true(ratelimit_take_at(rl, "198.51.100.8", 0, &ra));
	ratelimit_free(rl);
}

/*
 * Bounded memory: a flood of distinct addresses never tracks more than
 * the capacity, and an address under limit is not flushed out by
 * addresses whose buckets are full again.
 */
static void
test_ratelimit_memory_bounded_under_address_flood(void **state)
{
	struct ratelimit	*rl = ratelimit_new(60, 1, 64);
	unsigned		 ra = 0;
	char			 a[64];

	(void)state;
	assert_non_null(rl);
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.%u", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		assert_true(ratelimit_take_at(rl, a, (double)i, &ra));
		assert_true(ratelimit_tracked(rl) <= 64);
	}
	assert_int_equal(ratelimit_tracked(rl), 64);
	/* limited at t, then others come and go: still limited */
	assert_true(ratelimit_take_at(rl, "192.0.2.9", 200000.0, &ra));
	for (unsigned i = 0; i < 7; i++) {
		snprintf(a, sizeof(a), "172.16.0.%u", i);
		(void)ratelimit_take_at(rl, a, 200000.0, &ra);
	}
	assert_false(ratelimit_take_at(rl, "192.0.2.9", 200000.1, &ra));
	ratelimit_free(rl);
}

/*
 * A full table makes room with an address whose bucket has refilled, not
 * with one that is being limited: evicting a limited address would hand it
 * a fresh burst, and a client with a few addresses could reset its own
 * limit. One set of 8 (capacity 8): the limited address comes first.
 */
static void
test_ratelimit_full_table_keeps_limited_address(void **state)
{
	struct ratelimit	*rl = ratelimit_new(60, 2, 8);
	char			 addr[32];
	unsigned		 ra = 0;

	(void)state;
	assert_non_null(rl);
	assert_true(ratelimit_take_at(rl, "192.0.2.1", 0.0, &ra));
	for (int i = 2; i <= 8; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		assert_true(ratelimit_take_at(rl, addr, 0.0, &ra));
	}
	assert_int_equal(ratelimit_tracked(rl), 8);
	/* Ten seconds on, the others have refilled; 192.0.2.1 spends its all. */
	assert_true(ratelimit_take_at(rl, "192.0.2.1", 10.0, &ra));
	assert_true(ratelimit_take_at(rl, "192.0.2.1", 10.0, &ra));
	assert_false(ratelimit_take_at(rl, "192.0.2.1", 10.0, &ra));
	/* A newcomer needs a slot: a refilled one goes, not the limited one. */
	assert_true(ratelimit_take_at(rl, "203.0.113.9", 10.0, &ra));
	assert_int_equal(ratelimit_tracked(rl), 8);
	assert_false(ratelimit_take_at(rl, "192.0.2.1", 10.0, &ra));
	ratelimit_free(rl);
}

static void
test_ratelimit_bad_arguments(void **state)
{
	(void)state;
	assert_null(ratelimit_new(0, 1, 8));
	assert_null(ratelimit_new(1, 0, 8));
	ratelimit_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_burst_then_refused_with_retry_after),
		cmocka_unit_test(test_ratelimit_retry_after_is_time_to_next_token),
		cmocka_unit_test(test_ratelimit_keys_per_address_v6_per_64),
		cmocka_unit_test(test_ratelimit_memory_bounded_under_address_flood),
		cmocka_unit_test(test_ratelimit_full_table_keeps_limited_address),
		cmocka_unit_test(test_ratelimit_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
