/* test_profile.c - src/policy/profile.c: built-in profiles, "NAME:DAYS[:OPT]" configuration, selection (draft-ietf-acme-profiles) */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acme/problem.h"
#include "profile.h"

static void
test_profile_builtins_have_their_lifetimes(void **state)
{
	struct profile_table	 t;
	struct acme_problem	 p;
	const struct profile	*d, *s, *l;

	(void)state;
	profile_table_init(&t, 90);
	assert_non_null(d = profile_select(&t, "default", &p));
	assert_non_null(s = profile_select(&t, "tlsserver", &p));
	assert_non_null(l = profile_select(&t, "shortlived", &p));
	assert_int_equal(d->days, 90);
	assert_int_equal(s->days, 45);
	assert_int_equal(l->days, 6);
	assert_false(d->no_cn);
	assert_true(l->no_cn);
	assert_false(d->client_auth);
}

static void
test_profile_none_named_selects_default(void **state)
{
	struct profile_table	 t;
	struct acme_problem	 p;
	char			 err[128];

	(void)state;
	profile_table_init(&t, 30);
	assert_string_equal(profile_select(&t, "", &p)->name, "default");
	assert_int_equal(profile_select(&t, NULL, &p)->days, 30);
	assert_int_equal(profile_table_set_default(&t, "shortlived", err,
	    sizeof(err)), 0);
	assert_string_equal(profile_select(&t, "", &p)->name, "shortlived");
}

static void
test_profile_unknown_is_invalidprofile(void **state)
{
	struct profile_table	 t;
	struct acme_problem	 p;

	(void)state;
	profile_table_init(&t, 90);
	memset(&p, 0, sizeof(p));
	assert_null(profile_select(&t, "nosuch", &p));
	assert_int_equal(p.type, ACME_P_INVALIDPROFILE);
	assert_int_equal(p.status, 400);
	/* The detail names what is offered, never echoes the request. */
	assert_non_null(strstr(p.detail, "shortlived"));
	assert_null(strstr(p.detail, "nosuch"));
}

static void
test_profile_apply_adds_with_options(void **state)
{
	struct profile_table	 t;
	struct acme_problem	 p;
	const struct profile	*e;
	char			 err[128];

	(void)state;
	profile_table_init(&t, 90);
	assert_int_equal(profile_table_apply(&t, "edge:2:clientauth:nocn",
	    err, sizeof(err)), 0);
	assert_int_equal(t.n, 4);
	assert_non_null(e = profile_select(&t, "edge", &p));
	assert_int_equal(e->days, 2);
	assert_true(e->client_auth);
	assert_true(e->no_cn);
	assert_non_null(strstr(e->desc, "clientAuth"));
}

static void
test_profile_apply_overrides_builtin(void **state)
{
	struct profile_table	 t;
	struct acme_problem	 p;
	char			 err[128];

	(void)state;
	profile_table_init(&t, 90);
	assert_int_equal(profile_table_apply(&t, "shortlived:3:cn", err,
	    sizeof(err)), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(profile_select(&t, "shortlived", &p)->days, 3);
	assert_false(profile_select(&t, "shortlived", &p)->no_cn);
}

static void
test_profile_apply_bad_specs_fail(void **state)
{
	struct profile_table	 t;
	char			 err[128];

	(void)state;
	profile_table_init(&t, 90);
	assert_int_equal(profile_table_apply(&t, "x", err, sizeof(err)), -1);
	assert_int_equal(profile_table_apply(&t, "x:0", err, sizeof(err)), -1);
	assert_int_equal(profile_table_apply(&t, "x:826", err, sizeof(err)),
	    -1);
	assert_int_equal(profile_table_apply(&t, "X:5", err, sizeof(err)), -1);
	assert_int_equal(profile_table_apply(&t, "x:5:weird", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "weird"));
	assert_int_equal(t.n, 3);
}

static void
test_profile_table_is_bounded(void **state)
{
	struct profile_table	 t;
	char			 err[128], spec[32];

	(void)state;
	profile_table_init(&t, 90);
	for (int i = 0; i < PROFILE_MAX - 3; i++) {
		snprintf(spec, sizeof(spec), "p%d:5", i);
		assert_int_equal(profile_table_apply(&t, spec, err,
		    sizeof(err)), 0);
	}
	assert_int_equal(profile_table_apply(&t, "onemore:5", err,
	    sizeof(err)), -1);
}

static void
test_profile_set_default_unknown_fails(void **state)
{
	struct profile_table	 t;
	char			 err[128];

	(void)state;
	profile_table_init(&t, 90);
	assert_int_equal(profile_table_set_default(&t, "nosuch", err,
	    sizeof(err)), -1);
	assert_string_equal(t.default_name, "default");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_builtins_have_their_lifetimes),
		cmocka_unit_test(test_profile_none_named_selects_default),
		cmocka_unit_test(test_profile_unknown_is_invalidprofile),
		cmocka_unit_test(test_profile_apply_adds_with_options),
		cmocka_unit_test(test_profile_apply_overrides_builtin),
		cmocka_unit_test(test_profile_apply_bad_specs_fail),
		cmocka_unit_test(test_profile_table_is_bounded),
		cmocka_unit_test(test_profile_set_default_unknown_fails),
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
