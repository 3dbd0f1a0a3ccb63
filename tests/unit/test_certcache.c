/* test_certcache.c - the RA's cache of the certificates it last issued (src/ra/certcache.c) */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "certcache.h"

static void
cert_of(struct acme_cert *c, const char *serial, const char *acct)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	snprintf(c->account_id, sizeof(c->account_id), "%s", acct);
	c->pem = strdup("leaf of ");
	c->chain_pem = strdup("its chain");
	assert_non_null(c->pem);
	assert_non_null(c->chain_pem);
}

/* A hit is a deep copy of the four fields a download needs. */
static void
test_certcache_hit_is_a_copy(void **state)
{
	struct certcache	*cc = certcache_new(4);
	struct acme_cert	 c, got = { 0 };

	(void)state;
	assert_non_null(cc);
	cert_of(&c, "0a1b", "acct-1");
	certcache_put(cc, &c);
	c.pem[0] = 'X';		/* the cache kept its own */
	assert_true(certcache_get(cc, "0a1b", &got));
	assert_string_equal(got.serial, "0a1b");
	assert_string_equal(got.account_id, "acct-1");
	assert_string_equal(got.pem, "leaf of ");
	assert_string_equal(got.chain_pem, "its chain");
	acme_cert_clear(&got);
	memset(&got, 0, sizeof(got));
	assert_false(certcache_get(cc, "0a1c", &got));
	assert_null(got.pem);
	assert_false(certcache_get(cc, "0a1", &got));	/* a prefix */
	assert_false(certcache_get(cc, "", &got));
	acme_cert_clear(&c);
	certcache_free(cc);
}

/* The ring keeps the last n; the oldest goes first. */
static void
test_certcache_keeps_the_last_n(void **state)
{
	struct certcache	*cc = certcache_new(2);
	struct acme_cert	 c, got = { 0 };
	const char		*serials[] = { "01", "02", "03" };

	(void)state;
	assert_non_null(cc);
	for (size_t i = 0; i < 3; i++) {
		cert_of(&c, serials[i], "a");
		certcache_put(cc, &c);
		acme_cert_clear(&c);
	}
	assert_false(certcache_get(cc, "01", &got));
	for (size_t i = 1; i < 3; i++) {
		memset(&got, 0, sizeof(got));
		assert_true(certcache_get(cc, serials[i], &got));
		assert_string_equal(got.serial, serials[i]);
		acme_cert_clear(&got);
	}
	certcache_free(cc);
}

/* Nothing to keep without a PEM; a NULL cache misses and keeps nothing. */
static void
test_certcache_incomplete_and_null(void **state)
{
	struct certcache	*cc = certcache_new(0);
	struct acme_cert	 c, got = { 0 };

	(void)state;
	assert_non_null(cc);
	cert_of(&c, "0c", "a");
	free(c.chain_pem);
	c.chain_pem = NULL;
	certcache_put(cc, &c);
	assert_false(certcache_get(cc, "0c", &got));
	certcache_put(NULL, &c);
	assert_false(certcache_get(NULL, "0c", &got));
	acme_cert_clear(&c);
	certcache_free(cc);
	certcache_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certcache_hit_is_a_copy),
		cmocka_unit_test(test_certcache_keeps_the_last_n),
		cmocka_unit_test(test_certcache_incomplete_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
