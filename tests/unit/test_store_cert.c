/* test_store_cert.c - store/store_cert.c: the listing's keyset pages, filters and the first later certificate for the same names */
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
cert(struct store *st, const char *serial, const char *names,
    const char *source, time_t issued, time_t not_after)
{
	struct acme_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.source, sizeof(c.source), "%s", source);
	c.names = (char *)names;
	c.pem = "PEM";
	c.chain_pem = "CHAIN";
	c.not_before = issued;
	c.not_after = not_after;
	c.issued = issued;
	assert_int_equal(store_serial_reserve(st, serial, NULL), STORE_OK);
	assert_int_equal(store_cert_insert(st, &c), STORE_OK);
}

#define MAXROWS	128

struct got {
	size_t	 n;
	char	 serial[MAXROWS][ACME_SERIAL_SIZE];
	time_t	 issued[MAXROWS];
	time_t	 next[MAXROWS];
};

static int
collect(const struct acme_cert *c, const struct store_cert_info *info,
    void *arg)
{
	struct got *g = arg;

	assert_true(g->n < MAXROWS);
	assert_null(c->pem);
	snprintf(g->serial[g->n], ACME_SERIAL_SIZE, "%s", c->serial);
	g->issued[g->n] = c->issued;
	g->next[g->n] = info->next_issued;
	g->n++;
	return 0;
}

static void
page(struct store *st, struct store_cert_query *q, struct got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(store_cert_page(st, q, collect, g), STORE_OK);
}

/* Newest first; the cursor (issued, serial) breaks ties in one second. */
static void
test_store_cert_page_keyset_pages_cover_all_once(void **state)
{
	struct store		*st = *state;
	struct store_cert_query	 q;
	struct got		 g;
	char			 serial[16], last[ACME_SERIAL_SIZE];
	unsigned char		 seen[250];
	size_t			 total = 0, pages = 0;

	/* 250 certificates, five to a second */
	for (int i = 0; i < 250; i++) {
		snprintf(serial, sizeof(serial), "%04x", i);
		cert(st, serial, "a.test", "cli", 1000 + i / 5, 5000);
	}
	memset(seen, 0, sizeof(seen));
	memset(&q, 0, sizeof(q));
	q.limit = 100;
	for (;;) {
		page(st, &q, &g);
		if (g.n == 0)
			break;
		pages++;
		for (size_t i = 0; i < g.n; i++) {
			unsigned v = (unsigned)strtoul(g.serial[i], NULL, 16);

			assert_true(v < 250);
			assert_int_equal(seen[v], 0);
			seen[v] = 1;
			if (i > 0)
				assert_true(g.issued[i] < g.issued[i - 1] ||
				    (g.issued[i] == g.issued[i - 1] &&
				    strcmp(g.serial[i], g.serial[i - 1]) < 0));
		}
		total += g.n;
		snprintf(last, sizeof(last), "%s", g.serial[g.n - 1]);
		q.before_issued = g.issued[g.n - 1];
		q.before_serial = last;
	}
	assert_int_equal(total, 250);
	assert_int_equal(pages, 3);
}

static void
test_store_cert_page_source_filter(void **state)
{
	struct store		*st = *state;
	struct store_cert_query	 q;
	struct got		 g;

	cert(st, "01", "a.test", "acme", 1000, 5000);
	cert(st, "02", "b.test", "cli", 1001, 5000);
	cert(st, "03", "localhost", "server", 1002, 5000);
	memset(&q, 0, sizeof(q));
	q.source = "server";
	page(st, &q, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.serial[0], "03");
	q.source = "acme";
	page(st, &q, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.serial[0], "01");
	q.source = NULL;
	page(st, &q, &g);
	assert_int_equal(g.n, 3);
}

/* Expiring: valid, not revoked, now <= notAfter < bound. */
static void
test_store_cert_page_expiring_filter(void **state)
{
	struct store		*st = *state;
	struct store_cert_query	 q;
	struct got		 g;

	cert(st, "01", "soon.test", "cli", 1000, 2500);
	cert(st, "02", "later.test", "cli", 1000, 9000);
	cert(st, "03", "gone.test", "cli", 1000, 1500);
	cert(st, "04", "revoked.test", "cli", 1000, 2500);
	assert_int_equal(store_cert_revoke(st, "04", 1, 1200), STORE_OK);
	memset(&q, 0, sizeof(q));
	q.now = 2000;
	q.expiring_before = 3000;
	page(st, &q, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.serial[0], "01");
}

/* The first later certificate for the very same names, not another set. */
static void
test_store_cert_page_next_issued_same_names(void **state)
{
	struct store		*st = *state;
	struct store_cert_query	 q;
	struct got		 g;

	cert(st, "01", "a.test,b.test", "acme", 1000, 2000);
	cert(st, "02", "a.test", "acme", 1500, 3000);		/* other set */
	cert(st, "03", "a.test,b.test", "acme", 1900, 3000);	/* in time */
	cert(st, "04", "a.test,b.test", "acme", 2500, 4000);
	memset(&q, 0, sizeof(q));
	page(st, &q, &g);
	assert_int_equal(g.n, 4);
	/* newest first: 04, 03, 02, 01 */
	assert_string_equal(g.serial[3], "01");
	assert_int_equal(g.next[3], 1900);
	assert_int_equal(g.next[2], 0);		/* 02: a.test alone, none */
	assert_int_equal(g.next[1], 2500);	/* 03 */
	assert_int_equal(g.next[0], 0);		/* 04: the newest */
}

/* 10,000 certificates: a page is 100 rows, and 100 pages walk them all. */
static void
test_store_cert_page_ten_thousand_paged(void **state)
{
	struct store		*st = *state;
	struct store_cert_query	 q;
	struct got		 g;
	char			 serial[16], last[ACME_SERIAL_SIZE];
	size_t			 total = 0, pages = 0;

	for (int i = 0; i < 10000; i++) {
		snprintf(serial, sizeof(serial), "%05x", i);
		cert(st, serial, i % 2 ? "a.test" : "b.test", "acme",
		    1000 + i, 2000 + i);
	}
	memset(&q, 0, sizeof(q));
	q.limit = 100;
	q.now = 5000;
	for (;;) {
		page(st, &q, &g);
		if (g.n == 0)
			break;
		assert_true(g.n <= 100);
		pages++;
		total += g.n;
		snprintf(last, sizeof(last), "%s", g.serial[g.n - 1]);
		q.before_issued = g.issued[g.n - 1];
		q.before_serial = last;
	}
	assert_int_equal(total, 10000);
	assert_int_equal(pages, 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_store_cert_page_keyset_pages_cover_all_once,
		    store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_cert_page_source_filter,
		    store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_cert_page_expiring_filter,
		    store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_cert_page_next_issued_same_names,
		    store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_cert_page_ten_thousand_paged,
		    store_fixture_setup, store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
