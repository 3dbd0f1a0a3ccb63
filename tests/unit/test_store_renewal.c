/* test_store_renewal.c - store/store_renewal.c: renewal windows (RFC 9773) and replacements */
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

static void
test_store_renewal_info_roundtrip(void **state)
{
	struct store	*st = *state;
	time_t		 s = 0, e = 0;
	char		 url[128];

	store_fixture_cert(st, "01ab");
	assert_int_equal(store_renewal_info_get(st, "01ab", &s, &e, url,
	    sizeof(url)), STORE_NOTFOUND);
	assert_int_equal(store_renewal_info_set(st, "01ab", 10, 20,
	    "https://x.test/"), STORE_OK);
	assert_int_equal(store_renewal_info_get(st, "01ab", &s, &e, url,
	    sizeof(url)), STORE_OK);
	assert_int_equal(s, 10);
	assert_int_equal(e, 20);
	assert_string_equal(url, "https://x.test/");
	assert_int_equal(store_renewal_info_set(st, "ffff", 10, 20, NULL),
	    STORE_NOTFOUND);
}

static void
test_store_renewal_order_replaced_false_without_orders(void **state)
{
	bool replaced = true;

	assert_int_equal(store_order_replaced(*state, "a.b", NULL, &replaced),
	    STORE_OK);
	assert_false(replaced);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, \
	    store_fixture_teardown)
		T(test_store_renewal_info_roundtrip),
		T(test_store_renewal_order_replaced_false_without_orders),
#undef T
	};

	return cmocka_run_group_tests_name("store_renewal", tests, NULL, NULL);
}
