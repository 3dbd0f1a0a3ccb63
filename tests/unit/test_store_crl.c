/* test_store_crl.c - store/store_crl.c: the revoked set, its change stamp, the CRL number counter */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_fixture.h"

static int
revoked_cb(const struct acme_cert *c, void *arg)
{
	size_t *n = arg;

	assert_string_equal(c->serial, "02");
	assert_int_equal(c->revocation_reason, 4);
	assert_non_null(c->chain_pem);
	(*n)++;
	return 0;
}

static void
test_store_crl_revoked_list_and_stamp(void **state)
{
	struct store	*st = *state;
	size_t		 n = 0, count = 9;
	time_t		 latest = 9;

	store_fixture_cert(st, "01");
	store_fixture_cert(st, "02");
	assert_int_equal(store_revocation_stamp(st, &count, &latest), STORE_OK);
	assert_int_equal(count, 0);
	assert_int_equal(latest, 0);
	assert_int_equal(store_cert_revoke(st, "02", 4, 1234), STORE_OK);
	assert_int_equal(store_cert_list_revoked(st, revoked_cb, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_revocation_stamp(st, &count, &latest), STORE_OK);
	assert_int_equal(count, 1);
	assert_int_equal(latest, 1234);
}

static void
test_store_crl_counter_increments(void **state)
{
	struct store	*st = *state;
	uint64_t	 v = 0;

	assert_int_equal(store_counter_next(st, "crl_number", &v), STORE_OK);
	assert_int_equal(v, 1);
	assert_int_equal(store_counter_next(st, "crl_number", &v), STORE_OK);
	assert_int_equal(v, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, \
	    store_fixture_teardown)
		T(test_store_crl_revoked_list_and_stamp),
		T(test_store_crl_counter_increments),
#undef T
	};

	return cmocka_run_group_tests_name("store_crl", tests, NULL, NULL);
}
