/* test_store_eab.c - store/store_eab.c: EAB keys, single and multiple use, list and remove (schema v2) */
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
add_key(struct store *st, const char *kid, bool single)
{
	struct store_eab k;

	memset(&k, 0, sizeof(k));
	snprintf(k.kid, sizeof(k.kid), "%s", kid);
	memset(k.key, 0x5a, 32);
	k.keylen = 32;
	k.single_use = single;
	assert_int_equal(store_eab_create(st, &k), STORE_OK);
}

static int
count_cb(const struct store_eab *k, void *arg)
{
	size_t *n = arg;

	/* Listing never hands out key bytes. */
	assert_int_equal(k->keylen, 0);
	(*n)++;
	return 0;
}

static void
test_store_eab_schema_includes_version_2(void **state)
{
	int v = 0;

	/* The EAB/ARI/CRL tables arrive with version 2; later ones keep them. */
	assert_int_equal(store_schema_version(*state, &v), STORE_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_true(v >= 2);
}

static void
test_store_eab_roundtrip_keeps_key(void **state)
{
	struct store		*st = *state;
	struct store_eab	 k;

	add_key(st, "k1", true);
	assert_int_equal(store_eab_get(st, "k1", &k), STORE_OK);
	assert_int_equal(k.keylen, 32);
	assert_int_equal(k.key[0], 0x5a);
	assert_true(k.single_use);
	assert_int_equal(k.uses, 0);
	assert_int_equal(store_eab_get(st, "nope", &k), STORE_NOTFOUND);
}

static void
test_store_eab_duplicate_kid_conflicts(void **state)
{
	struct store		*st = *state;
	struct store_eab	 k;

	add_key(st, "k1", false);
	memset(&k, 0, sizeof(k));
	snprintf(k.kid, sizeof(k.kid), "k1");
	k.keylen = 32;
	assert_int_equal(store_eab_create(st, &k), STORE_CONFLICT);
}

static void
test_store_eab_reused_single_use_kid_conflicts(void **state)
{
	struct store		*st = *state;
	struct store_eab	 k;

	add_key(st, "once", true);
	assert_int_equal(store_eab_use(st, "once", "acct1"), STORE_OK);
	assert_int_equal(store_eab_use(st, "once", "acct2"), STORE_CONFLICT);
	assert_int_equal(store_eab_get(st, "once", &k), STORE_OK);
	assert_int_equal(k.uses, 1);
	assert_string_equal(k.last_account, "acct1");
}

static void
test_store_eab_multi_use_kid_counts(void **state)
{
	struct store		*st = *state;
	struct store_eab	 k;

	add_key(st, "many", false);
	assert_int_equal(store_eab_use(st, "many", "a1"), STORE_OK);
	assert_int_equal(store_eab_use(st, "many", "a2"), STORE_OK);
	assert_int_equal(store_eab_get(st, "many", &k), STORE_OK);
	assert_int_equal(k.uses, 2);
	assert_int_equal(store_eab_use(st, "gone", "a3"), STORE_NOTFOUND);
}

static void
test_store_eab_list_and_remove(void **state)
{
	struct store	*st = *state;
	size_t		 n = 0;

	add_key(st, "a", false);
	add_key(st, "b", true);
	assert_int_equal(store_eab_list(st, count_cb, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_eab_remove(st, "a"), STORE_OK);
	assert_int_equal(store_eab_remove(st, "a"), STORE_NOTFOUND);
	n = 0;
	assert_int_equal(store_eab_list(st, count_cb, &n), STORE_OK);
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, \
	    store_fixture_teardown)
		T(test_store_eab_schema_includes_version_2),
		T(test_store_eab_roundtrip_keeps_key),
		T(test_store_eab_duplicate_kid_conflicts),
		T(test_store_eab_reused_single_use_kid_conflicts),
		T(test_store_eab_multi_use_kid_counts),
		T(test_store_eab_list_and_remove),
#undef T
	};

	return cmocka_run_group_tests_name("store_eab", tests, NULL, NULL);
}
