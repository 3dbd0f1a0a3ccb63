/* test_ra_state.c - the RA's status changes (ra_state.c): the table checked, the validation cascade, deactivation, the sweeps */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "store/store.h"
#include "ra_internal.h"	/* ra_state_*: the RA's own functions */

#define NOW		((time_t)1700000000)
#define HOUR		((time_t)3600)

/* --- fixtures (as test_store.c's: an in-memory store, rows made there) --- */

static int
setup(void **state)
{
	struct store	*st;
	char		 err[256];

	if ((st = store_open(":memory:", err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

static int
make_account(struct store *st, const char *tp, struct acme_account *a)
{
	memset(a, 0, sizeof(*a));
	if ((a->jwk = strdup("{\"crv\":\"P-256\",\"kty\":\"EC\"}")) == NULL)
		return STORE_ERR;
	snprintf(a->thumbprint, sizeof(a->thumbprint), "%s", tp);
	a->tos_agreed = true;
	a->created = NOW;
	return store_account_create(st, a);
}

/* An order for names[0..n) with new pending authzs (two challenges each). */
static int
make_order(struct store *st, const char *account_id,
    const char *const *names, size_t n, struct acme_order *o,
    struct acme_authz *az)
{
	static unsigned	 tokn;
	size_t		 i;

	memset(o, 0, sizeof(*o));
	if (acme_order_alloc_idents(o, n) != 0)
		return STORE_ERR;
	snprintf(o->account_id, sizeof(o->account_id), "%s", account_id);
	o->created = NOW;
	o->expires = NOW + HOUR;
	for (i = 0; i < n; i++) {
		o->idents[i].type = ACME_IDENT_DNS;
		snprintf(o->idents[i].value, sizeof(o->idents[i].value), "%s",
		    names[i]);
		memset(&az[i], 0, sizeof(az[i]));
		az[i].ident = o->idents[i];
		az[i].status = ACME_AUTHZ_PENDING;
		az[i].expires = NOW + HOUR;
		az[i].nchall = 2;
		az[i].chall[0].type = ACME_CHALL_HTTP01;
		az[i].chall[1].type = ACME_CHALL_DNS01;
		snprintf(az[i].chall[0].token, sizeof(az[i].chall[0].token),
		    "rtok%08u%d", ++tokn, (int)getpid() % 10000);
		snprintf(az[i].chall[1].token, sizeof(az[i].chall[1].token),
		    "rtok%08u%d", ++tokn, (int)getpid() % 10000);
	}
	return store_order_create(st, o, az, n);
}

static enum acme_order_status
order_status(struct store *st, const char *id)
{
	struct acme_order	 got = { 0 };
	enum acme_order_status	 s;

	assert_int_equal(store_order_get(st, id, &got), STORE_OK);
	s = got.status;
	acme_order_clear(&got);
	return s;
}

/* Account "tp-main" and a one-name order made ready by a validation. */
static void
ready_order(struct store *st, struct acme_account *a, struct acme_order *o)
{
	static const char *const names[] = { "ready.example.test" };
	struct acme_authz	 az[1];

	assert_int_equal(make_account(st, "tp-main", a), STORE_OK);
	assert_int_equal(make_order(st, a->id, names, 1, o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(st, az[0].chall[0].id), STORE_OK);
	assert_int_equal(ra_state_validated(st, az[0].chall[0].id, true, NULL,
	    NOW), STORE_OK);
	assert_int_equal(order_status(st, o->id), ACME_ORDER_READY);
}

/* --- the validation cascade (was store_challenge_finish's) --- */

static void
test_ra_state_valid_readies_order_when_all_valid(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[2], gaz = { 0 };

	assert_int_equal(make_account(st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 2, &o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(st, az[0].chall[0].id),
	    STORE_OK);
	assert_int_equal(ra_state_validated(st, az[0].chall[0].id, true, NULL,
	    NOW), STORE_OK);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_PENDING);
	assert_int_equal(store_challenge_begin(st, az[1].chall[1].id),
	    STORE_OK);
	assert_int_equal(ra_state_validated(st, az[1].chall[1].id, true, NULL,
	    NOW + 5), STORE_OK);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_READY);
	assert_int_equal(store_authz_get(st, az[1].id, &gaz), STORE_OK);
	assert_int_equal(gaz.status, ACME_AUTHZ_VALID);
	assert_int_equal(gaz.chall[1].status, ACME_CHALL_VALID);
	assert_int_equal(gaz.chall[1].validated, NOW + 5);
	assert_int_equal(gaz.chall[0].status, ACME_CHALL_PENDING);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_ra_state_invalid_invalidates_order(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[2], gaz = { 0 };
	struct acme_challenge	 c;
	struct acme_error	 e = { true, 19, 403, "wrong key authorization" };

	assert_int_equal(make_account(st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 2, &o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(st, az[1].chall[0].id),
	    STORE_OK);
	assert_int_equal(ra_state_validated(st, az[1].chall[0].id, false, &e,
	    NOW), STORE_OK);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_INVALID);
	assert_int_equal(store_challenge_get(st, az[1].chall[0].id, &c,
	    NULL), STORE_OK);
	assert_int_equal(c.status, ACME_CHALL_INVALID);
	assert_int_equal(c.validated, 0);
	assert_true(c.error.set);
	assert_string_equal(c.error.detail, "wrong key authorization");
	assert_int_equal(store_authz_get(st, az[1].id, &gaz), STORE_OK);
	assert_int_equal(gaz.status, ACME_AUTHZ_INVALID);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_ra_state_not_processing_conflicts(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(make_account(st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(ra_state_validated(st, az[0].chall[0].id, true, NULL,
	    NOW), STORE_CONFLICT);
	assert_int_equal(ra_state_validated(st, "AAAAAAAAAAAAAAAAAAAAAA", true,
	    NULL, NOW), STORE_NOTFOUND);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_PENDING);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/* A lost authz compare-and-set ends the cascade: only the challenge. */
static void
test_ra_state_result_after_deactivation_records_challenge_only(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1], gaz = { 0 };

	assert_int_equal(make_account(st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(st, az[0].chall[0].id),
	    STORE_OK);
	assert_int_equal(ra_state_authz(st, az[0].id, ACME_AUTHZ_PENDING,
	    ACME_AUTHZ_DEACTIVATED), STORE_OK);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_INVALID);
	assert_int_equal(ra_state_validated(st, az[0].chall[0].id, true, NULL,
	    NOW), STORE_OK);
	assert_int_equal(store_authz_get(st, az[0].id, &gaz), STORE_OK);
	assert_int_equal(gaz.status, ACME_AUTHZ_DEACTIVATED);
	assert_int_equal(gaz.chall[0].status, ACME_CHALL_VALID);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_INVALID);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/* --- authorizations (were store_authz_set_status's cascade) --- */

static void
test_ra_state_authz_deactivate_invalidates_ready_order(void **state)
{
	struct store		*st = *state;
	struct acme_account	 a;
	struct acme_order	 o;

	ready_order(st, &a, &o);
	assert_int_equal(ra_state_authz(st, o.authz_ids[0], ACME_AUTHZ_VALID,
	    ACME_AUTHZ_DEACTIVATED), STORE_OK);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_INVALID);
	assert_int_equal(ra_state_authz(st, o.authz_ids[0], ACME_AUTHZ_VALID,
	    ACME_AUTHZ_DEACTIVATED), STORE_CONFLICT);
	assert_int_equal(ra_state_authz(st, "AAAAAAAAAAAAAAAAAAAAAA",
	    ACME_AUTHZ_VALID, ACME_AUTHZ_DEACTIVATED), STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_ra_state_authz_set_valid_readies_order(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(make_account(st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(ra_state_authz(st, az[0].id, ACME_AUTHZ_PENDING,
	    ACME_AUTHZ_VALID), STORE_OK);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_READY);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/* An order being finalized is not the cascade's: it stays processing. */
static void
test_ra_state_authz_deactivate_leaves_processing_order(void **state)
{
	struct store		*st = *state;
	struct acme_account	 a;
	struct acme_order	 o;

	ready_order(st, &a, &o);
	assert_int_equal(store_order_begin_processing(st, o.id, "0aaa", NULL),
	    STORE_OK);
	assert_int_equal(ra_state_authz(st, o.authz_ids[0], ACME_AUTHZ_VALID,
	    ACME_AUTHZ_DEACTIVATED), STORE_OK);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_PROCESSING);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/* --- the table refuses; nothing is written --- */

static void
test_ra_state_refused_edge_writes_nothing(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a, got = { 0 };
	struct acme_order	 o;
	struct acme_authz	 az[1], gaz = { 0 };

	assert_int_equal(make_account(st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 1, &o, az), STORE_OK);
	/* Not in RFC 8555 §7.1.6: issuing without finalize, reviving. */
	assert_int_equal(ra_state_order(st, o.id, ACME_ORDER_PENDING,
	    ACME_ORDER_VALID), STORE_ERR);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_PENDING);
	assert_int_equal(ra_state_authz(st, az[0].id, ACME_AUTHZ_PENDING,
	    ACME_AUTHZ_PENDING), STORE_ERR);
	assert_int_equal(ra_state_authz(st, az[0].id, ACME_AUTHZ_INVALID,
	    ACME_AUTHZ_VALID), STORE_ERR);
	assert_int_equal(store_authz_get(st, az[0].id, &gaz), STORE_OK);
	assert_int_equal(gaz.status, ACME_AUTHZ_PENDING);
	assert_int_equal(ra_state_account(st, a.id, ACME_ACCOUNT_DEACTIVATED,
	    ACME_ACCOUNT_VALID), STORE_ERR);
	assert_int_equal(ra_state_account(st, a.id, ACME_ACCOUNT_VALID,
	    ACME_ACCOUNT_DEACTIVATED), STORE_OK);
	assert_int_equal(store_account_get(st, a.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ACCOUNT_DEACTIVATED);
	assert_int_equal(store_tx_depth(st), 0);
	acme_account_clear(&got);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/* --- the sweeps, with the named edges --- */

static void
test_ra_state_expire_marks_authzs_and_orders(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[2], gaz = { 0 };
	size_t			 na = 9, no = 9;

	assert_int_equal(make_account(st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 2, &o, az), STORE_OK);
	assert_int_equal(ra_state_expire(st, NOW + HOUR - 1, &na, &no),
	    STORE_OK);
	assert_int_equal(na, 0);
	assert_int_equal(no, 0);
	assert_int_equal(ra_state_expire(st, NOW + HOUR, &na, &no), STORE_OK);
	assert_int_equal(na, 2);
	assert_int_equal(no, 1);
	assert_int_equal(store_authz_get(st, az[0].id, &gaz), STORE_OK);
	assert_int_equal(gaz.status, ACME_AUTHZ_EXPIRED);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_INVALID);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_ra_state_recover_invalidates_orders_and_resets_challenges(void **state)
{
	struct store		*st = *state;
	static const char *const names[] = { "b.test" };
	struct acme_account	 a;
	struct acme_order	 o, o2;
	struct acme_authz	 az[1];
	struct acme_challenge	 c;
	struct acme_error	 e = { true, 24, 500, "restart" };
	size_t			 n = 0;

	ready_order(st, &a, &o);
	assert_int_equal(store_order_begin_processing(st, o.id, "0abb", NULL),
	    STORE_OK);
	assert_int_equal(make_order(st, a.id, names, 1, &o2, az), STORE_OK);
	assert_int_equal(store_challenge_begin(st, az[0].chall[1].id),
	    STORE_OK);
	assert_int_equal(ra_state_recover(st, time(NULL), &e, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(order_status(st, o.id), ACME_ORDER_INVALID);
	assert_int_equal(store_challenge_get(st, az[0].chall[1].id, &c, NULL),
	    STORE_OK);
	assert_int_equal(c.status, ACME_CHALL_PENDING);
	acme_order_clear(&o);
	acme_order_clear(&o2);
	acme_account_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_ra_state_valid_readies_order_when_all_valid),
		T(test_ra_state_invalid_invalidates_order),
		T(test_ra_state_not_processing_conflicts),
		T(test_ra_state_result_after_deactivation_records_challenge_only),
		T(test_ra_state_authz_deactivate_invalidates_ready_order),
		T(test_ra_state_authz_set_valid_readies_order),
		T(test_ra_state_authz_deactivate_leaves_processing_order),
		T(test_ra_state_refused_edge_writes_nothing),
		T(test_ra_state_expire_marks_authzs_and_orders),
		T(test_ra_state_recover_invalidates_orders_and_resets_challenges),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
