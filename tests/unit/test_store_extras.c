/* test_store_extras.c - store/store_extras.c: schema v2 (EAB keys, single use, renewal info, replacements, CRL numbers) */
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

static int
setup(void **state)
{
	char		 err[256];
	struct store	*st = store_open(":memory:", err, sizeof(err));

	assert_non_null(st);
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

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

static void
test_store_extras_schema_includes_version_2(void **state)
{
	int v = 0;

	/* The EAB/ARI/CRL tables arrive with version 2; later ones keep them. */
	assert_int_equal(store_schema_version(*state, &v), STORE_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_true(v >= 2);
}

static void
test_store_extras_eab_roundtrip_keeps_key(void **state)
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
test_store_extras_eab_duplicate_kid_conflicts(void **state)
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
test_store_extras_eab_reused_single_use_kid_conflicts(void **state)
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
test_store_extras_eab_multi_use_kid_counts(void **state)
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
test_store_extras_eab_list_and_remove(void **state)
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

static void
insert_cert(struct store *st, const char *serial)
{
	struct acme_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	c.names = "a.test";
	c.pem = "PEM";
	c.chain_pem = "CHAIN";
	c.not_before = 1000;
	c.not_after = 2000000000;
	assert_int_equal(store_serial_reserve(st, serial, NULL), STORE_OK);
	assert_int_equal(store_cert_insert(st, &c), STORE_OK);
}

static void
test_store_extras_renewal_info_roundtrip(void **state)
{
	struct store	*st = *state;
	time_t		 s = 0, e = 0;
	char		 url[128];

	insert_cert(st, "01ab");
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
test_store_extras_revoked_list_and_stamp(void **state)
{
	struct store	*st = *state;
	size_t		 n = 0, count = 9;
	time_t		 latest = 9;

	insert_cert(st, "01");
	insert_cert(st, "02");
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
test_store_extras_counter_increments(void **state)
{
	struct store	*st = *state;
	uint64_t	 v = 0;

	assert_int_equal(store_counter_next(st, "crl_number", &v), STORE_OK);
	assert_int_equal(v, 1);
	assert_int_equal(store_counter_next(st, "crl_number", &v), STORE_OK);
	assert_int_equal(v, 2);
}

static void
test_store_extras_order_replaced_false_without_orders(void **state)
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
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_store_extras_schema_includes_version_2),
		T(test_store_extras_eab_roundtrip_keeps_key),
		T(test_store_extras_eab_duplicate_kid_conflicts),
		T(test_store_extras_eab_reused_single_use_kid_conflicts),
		T(test_store_extras_eab_multi_use_kid_counts),
		T(test_store_extras_eab_list_and_remove),
		T(test_store_extras_renewal_info_roundtrip),
		T(test_store_extras_revoked_list_and_stamp),
		T(test_store_extras_counter_increments),
		T(test_store_extras_order_replaced_false_without_orders),
#undef T
	};

	return cmocka_run_group_tests_name("store_extras", tests, NULL, NULL);
}
