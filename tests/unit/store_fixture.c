/* store_fixture.c - a fresh in-memory store for the store's unit tests, and a certificate row in it */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_fixture.h"

int
store_fixture_setup(void **state)
{
	char		 err[256];
	struct store	*st = store_open(":memory:", err, sizeof(err));

	assert_non_null(st);
	*state = st;
	return 0;
}

int
store_fixture_teardown(void **state)
{
	store_close(*state);
	return 0;
}

void
store_fixture_cert(struct store *st, const char *serial)
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
