/* test_knobs.c - src/base/knobs.c: seeded replay, probabilities, Retry-After forms (RFC 9110 §10.2.3), strict mode */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <jansson.h>

#include "acme/problem.h"
#include "acme/url.h"
#include "knobs.h"

static void
configure(unsigned nonce, unsigned reuse, unsigned delay, uint64_t seed,
    bool strict, enum knobs_retry_form form)
{
	struct knobs_opts o;

	memset(&o, 0, sizeof(o));
	o.nonce_reject_pct = nonce;
	o.authz_reuse_pct = reuse;
	o.va_delay_max_ms = delay;
	o.seed = seed;
	o.strict = strict;
	o.retry_form = form;
	assert_int_equal(knobs_configure(&o), 0);
}

static int
reset(void **state)
{
	(void)state;
	configure(0, 0, 0, 1, false, KNOBS_RETRY_SECONDS);
	return 0;
}

static void
test_knobs_off_by_default_never_fire(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_false(knobs_reject_nonce());
		assert_false(knobs_reuse_authz());
		assert_int_equal(knobs_va_delay_ms(), 0);
	}
	assert_false(knobs_strict());
}

static void
test_knobs_hundred_percent_always_fires(void **state)
{
	(void)state;
	configure(100, 100, 0, 5, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 100; i++) {
		assert_true(knobs_reject_nonce());
		assert_true(knobs_reuse_authz());
	}
}

static void
test_knobs_same_seed_replays_same_decisions(void **state)
{
	bool		 a[200];
	unsigned	 d[50];

	(void)state;
	configure(30, 0, 1000, 42, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 200; i++)
		a[i] = knobs_reject_nonce();
	for (int i = 0; i < 50; i++)
		d[i] = knobs_va_delay_ms();
	configure(30, 0, 1000, 42, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 200; i++)
		assert_int_equal(knobs_reject_nonce(), a[i]);
	for (int i = 0; i < 50; i++)
		assert_int_equal(knobs_va_delay_ms(), d[i]);
}

static void
test_knobs_streams_are_independent(void **state)
{
	bool a[100];

	(void)state;
	/* Drawing delays must not shift the nonce decisions. */
	configure(50, 0, 100, 9, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 100; i++)
		a[i] = knobs_reject_nonce();
	configure(50, 0, 100, 9, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 100; i++) {
		(void)knobs_va_delay_ms();
		assert_int_equal(knobs_reject_nonce(), a[i]);
	}
}

static void
test_knobs_fraction_is_roughly_kept(void **state)
{
	int n = 0;

	(void)state;
	configure(20, 0, 0, 1234, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 10000; i++)
		n += knobs_reject_nonce();
	assert_in_range(n, 1500, 2500);
}

static void
test_knobs_delay_within_bound(void **state)
{
	(void)state;
	configure(0, 0, 250, 77, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 1000; i++)
		assert_in_range(knobs_va_delay_ms(), 0, 250);
}

static void
test_knobs_zero_seed_draws_replayable_seed(void **state)
{
	(void)state;
	configure(0, 0, 0, 0, false, KNOBS_RETRY_SECONDS);
	assert_in_range(knobs_seed(), 1, 2147483647);
}

static void
test_knobs_bad_percentage_fails(void **state)
{
	struct knobs_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.nonce_reject_pct = 101;
	assert_int_equal(knobs_configure(&o), -1);
}

static void
test_knobs_retry_after_seconds_form(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(knobs_retry_after(7, 0, v, sizeof(v)), 0);
	assert_string_equal(v, "7");
}

static void
test_knobs_retry_after_date_form(void **state)
{
	char v[64];

	(void)state;
	configure(0, 0, 0, 1, false, KNOBS_RETRY_DATE);
	/* RFC 9110 §5.6.7's example instant. */
	assert_int_equal(knobs_retry_after(0, 784111777, v, sizeof(v)), 0);
	assert_string_equal(v, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(knobs_retry_after(3, 784111777, v, sizeof(v)), 0);
	assert_string_equal(v, "Sun, 06 Nov 1994 08:49:40 GMT");
	assert_int_equal(knobs_retry_after(3, 784111777, v, 8), -1);
}

static void
test_knobs_retry_form_parse(void **state)
{
	enum knobs_retry_form f;

	(void)state;
	assert_int_equal(knobs_retry_form_parse("date", &f), 0);
	assert_int_equal(f, KNOBS_RETRY_DATE);
	assert_int_equal(knobs_retry_form_parse("seconds", &f), 0);
	assert_int_equal(f, KNOBS_RETRY_SECONDS);
	assert_int_equal(knobs_retry_form_parse("Date", &f), -1);
}

static void
test_knobs_strict_refuses_nonempty_challenge_response(void **state)
{
	struct acme_problem	 p;
	json_t			*empty = json_object(), *ka;

	(void)state;
	ka = json_pack("{s:s}", "keyAuthorization", "x");
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, ka, &p), 0);
	configure(0, 0, 0, 1, true, KNOBS_RETRY_SECONDS);
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, ka, &p), -1);
	assert_int_equal(p.type, ACME_P_MALFORMED);
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, empty, &p), 0);
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, NULL, &p), 0);
	json_decref(ka);
	json_decref(empty);
}

static void
test_knobs_strict_refuses_resource_member(void **state)
{
	struct acme_problem	 p;
	json_t			*j = json_pack("{s:s}", "resource", "new-reg");

	(void)state;
	configure(0, 0, 0, 1, true, KNOBS_RETRY_SECONDS);
	assert_int_equal(knobs_strict_check(ACME_URL_NEW_ACCOUNT, j, &p), -1);
	assert_int_equal(p.type, ACME_P_MALFORMED);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, reset)
		T(test_knobs_off_by_default_never_fire),
		T(test_knobs_hundred_percent_always_fires),
		T(test_knobs_same_seed_replays_same_decisions),
		T(test_knobs_streams_are_independent),
		T(test_knobs_fraction_is_roughly_kept),
		T(test_knobs_delay_within_bound),
		T(test_knobs_zero_seed_draws_replayable_seed),
		T(test_knobs_bad_percentage_fails),
		T(test_knobs_retry_after_seconds_form),
		T(test_knobs_retry_after_date_form),
		T(test_knobs_retry_form_parse),
		T(test_knobs_strict_refuses_nonempty_challenge_response),
		T(test_knobs_strict_refuses_resource_member),
#undef T
	};

	return cmocka_run_group_tests_name("knobs", tests, NULL, NULL);
}
