/* test_profile.c - src/policy/profile.c: built-in profiles, "NAME:LIFETIME[:OPT]" configuration, selection (draft-ietf-acme-profiles) */
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

#define D	86400

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
	assert_int_equal(d->lifetime, 90 * D);
	assert_int_equal(s->lifetime, 45 * D);
	assert_int_equal(l->lifetime, 6 * D);
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
	assert_int_equal(profile_select(&t, NULL, &p)->lifetime, 30 * D);
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
	assert_int_equal(e->lifetime, 2 * D);
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
	assert_int_equal(profile_select(&t, "shortlived", &p)->lifetime, 3 * D);
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

/* Issue #14: a lifetime takes a unit s, m, h or d; a bare number is days. */
static void
test_profile_lifetime_units(void **state)
{
	static const struct { const char *spec; long long secs; } ok[] = {
		{ "x:90s", 90 }, { "x:60s", 60 }, { "x:10m", 600 },
		{ "x:1m", 60 }, { "x:36h", 36 * 3600 }, { "x:6d", 6 * D },
		{ "x:6", 6 * D }, { "x:825d", 825LL * D }, { "x:825", 825LL * D },
		{ "x:19800h", 825LL * D }, { "x:90s:nocn", 90 },
		{ "x:007m", 420 },
	};
	struct profile_table	 t;
	const struct profile	*x;
	char			 err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		profile_table_init(&t, 90);
		if (profile_table_apply(&t, ok[i].spec, err, sizeof(err)) != 0)
			fail_msg("%s: %s", ok[i].spec, err);
		assert_non_null(x = profile_find(&t, "x"));
		assert_int_equal(x->lifetime, ok[i].secs);
	}
}

static void
test_profile_lifetime_bad_units_and_range(void **state)
{
	static const char *bad[] = {
		"x:59s", "x:0m", "x:0", "x:0d", "x:826", "x:826d",
		"x:19801h", "x:71280001s", "x:90S", "x:90sec", "x:1w",
		"x:1.5h", "x:-5m", "x:+5m", "x: 5m", "x:5 m", "x:m", "x:",
		"x:99999999999999999999999d", "x:18446744073709551617s",
	};
	struct profile_table	 t;
	char			 err[256];

	(void)state;
	profile_table_init(&t, 90);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (profile_table_apply(&t, bad[i], err, sizeof(err)) != -1)
			fail_msg("%s accepted", bad[i]);
		/* One line naming the spec, the units and the range. */
		assert_non_null(strstr(err, bad[i]));
		assert_non_null(strstr(err, "s, m, h or d"));
		assert_non_null(strstr(err, "60s to 825d"));
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(t.n, 3);
}

/* meta.profiles shows the lifetime in the largest unit that fits. */
static void
test_profile_description_shows_lifetime(void **state)
{
	struct profile_table	 t;
	char			 err[256], buf[32];

	(void)state;
	profile_table_init(&t, 90);
	assert_int_equal(profile_table_apply(&t, "a:90s", err, sizeof(err)), 0);
	assert_int_equal(profile_table_apply(&t, "b:120s", err, sizeof(err)),
	    0);
	assert_int_equal(profile_table_apply(&t, "c:48h", err, sizeof(err)), 0);
	assert_int_equal(profile_table_apply(&t, "d:90m", err, sizeof(err)), 0);
	assert_string_equal(profile_find(&t, "a")->desc,
	    "90-second certificates, serverAuth, CN = first DNS name");
	assert_non_null(strstr(profile_find(&t, "b")->desc, "2-minute "));
	assert_non_null(strstr(profile_find(&t, "c")->desc, "2-day "));
	assert_non_null(strstr(profile_find(&t, "d")->desc, "90-minute "));
	assert_non_null(strstr(profile_find(&t, "default")->desc, "90-day "));
	profile_format_lifetime(3600, buf, sizeof(buf));
	assert_string_equal(buf, "1-hour");
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
		cmocka_unit_test(test_profile_lifetime_units),
		cmocka_unit_test(test_profile_lifetime_bad_units_and_range),
		cmocka_unit_test(test_profile_description_shows_lifetime),
		cmocka_unit_test(test_profile_table_is_bounded),
		cmocka_unit_test(test_profile_set_default_unknown_fails),
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
