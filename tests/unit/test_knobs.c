/* test_knobs.c - src/base/knobs.c: seeded replay, probabilities, Retry-After forms (RFC 9110 §10.2.3), strict mode */
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

#include <jansson.h>

#include "acme/problem.h"
#include "acme/render.h"
#include "acme/url.h"
#include "config.h"
#include "knobs.h"

static void
configure(unsigned nonce, unsigned reuse, unsigned delay, uint64_t seed,
    bool strict, enum knobs_retry_form form)
{
	struct knobs_opts o;

	memset(&o, 0, sizeof(o));
	o.nonce_reject_pct = nonce;
	o.authz_reuse_pct = reuse;
	o.va_delay_max_ms = delay;
	o.seed = seed;
	o.strict = strict;
	o.retry_form = form;
	assert_int_equal(knobs_configure(&o), 0);
}

static int
reset(void **state)
{
	(void)state;
	configure(0, 0, 0, 1, false, KNOBS_RETRY_SECONDS);
	return 0;
}

static void
test_knobs_off_by_default_never_fire(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_false(knobs_reject_nonce());
		assert_false(knobs_reuse_authz());
		assert_int_equal(knobs_va_delay_ms(), 0);
	}
	assert_false(knobs_strict());
}

static void
test_knobs_hundred_percent_always_fires(void **state)
{
	(void)state;
	configure(100, 100, 0, 5, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 100; i++) {
		assert_true(knobs_reject_nonce());
		assert_true(knobs_reuse_authz());
	}
}

static void
test_knobs_same_seed_replays_same_decisions(void **state)
{
	bool		 a[200];
	unsigned	 d[50];

	(void)state;
	configure(30, 0, 1000, 42, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 200; i++)
		a[i] = knobs_reject_nonce();
	for (int i = 0; i < 50; i++)
		d[i] = knobs_va_delay_ms();
	configure(30, 0, 1000, 42, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 200; i++)
		assert_int_equal(knobs_reject_nonce(), a[i]);
	for (int i = 0; i < 50; i++)
		assert_int_equal(knobs_va_delay_ms(), d[i]);
}

static void
test_knobs_streams_are_independent(void **state)
{
	bool a[100];

	(void)state;
	/* Drawing delays must not shift the nonce decisions. */
	configure(50, 0, 100, 9, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 100; i++)
		a[i] = knobs_reject_nonce();
	configure(50, 0, 100, 9, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 100; i++) {
		(void)knobs_va_delay_ms();
		assert_int_equal(knobs_reject_nonce(), a[i]);
	}
}

static void
test_knobs_fraction_is_roughly_kept(void **state)
{
	int n = 0;

	(void)state;
	configure(20, 0, 0, 1234, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 10000; i++)
		n += knobs_reject_nonce();
	assert_in_range(n, 1500, 2500);
}

static void
test_knobs_delay_within_bound(void **state)
{
	(void)state;
	configure(0, 0, 250, 77, false, KNOBS_RETRY_SECONDS);
	for (int i = 0; i < 1000; i++)
		assert_in_range(knobs_va_delay_ms(), 0, 250);
}

static void
test_knobs_zero_seed_draws_replayable_seed(void **state)
{
	(void)state;
	configure(0, 0, 0, 0, false, KNOBS_RETRY_SECONDS);
	assert_in_range(knobs_seed(), 1, 2147483647);
}

static void
test_knobs_bad_percentage_fails(void **state)
{
	struct knobs_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.nonce_reject_pct = 101;
	assert_int_equal(knobs_configure(&o), -1);
}

static void
test_knobs_retry_after_seconds_form(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(knobs_retry_after(7, 0, v, sizeof(v)), 0);
	assert_string_equal(v, "7");
}

static void
test_knobs_retry_after_date_form(void **state)
{
	char v[64];

	(void)state;
	configure(0, 0, 0, 1, false, KNOBS_RETRY_DATE);
	/* RFC 9110 §5.6.7's example instant. */
	assert_int_equal(knobs_retry_after(0, 784111777, v, sizeof(v)), 0);
	assert_string_equal(v, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(knobs_retry_after(3, 784111777, v, sizeof(v)), 0);
	assert_string_equal(v, "Sun, 06 Nov 1994 08:49:40 GMT");
	assert_int_equal(knobs_retry_after(3, 784111777, v, 8), -1);
}

static void
test_knobs_retry_form_parse(void **state)
{
	enum knobs_retry_form f;

	(void)state;
	assert_int_equal(knobs_retry_form_parse("date", &f), 0);
	assert_int_equal(f, KNOBS_RETRY_DATE);
	assert_int_equal(knobs_retry_form_parse("seconds", &f), 0);
	assert_int_equal(f, KNOBS_RETRY_SECONDS);
	assert_int_equal(knobs_retry_form_parse("Date", &f), -1);
}

static void
test_knobs_strict_refuses_nonempty_challenge_response(void **state)
{
	struct acme_problem	 p;
	json_t			*empty = json_object(), *ka;

	(void)state;
	ka = json_pack("{s:s}", "keyAuthorization", "x");
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, ka, &p), 0);
	configure(0, 0, 0, 1, true, KNOBS_RETRY_SECONDS);
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, ka, &p), -1);
	assert_int_equal(p.type, ACME_P_MALFORMED);
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, empty, &p), 0);
	assert_int_equal(knobs_strict_check(ACME_URL_CHALLENGE, NULL, &p), 0);
	json_decref(ka);
	json_decref(empty);
}

static void
test_knobs_strict_refuses_resource_member(void **state)
{
	struct acme_problem	 p;
	json_t			*j = json_pack("{s:s}", "resource", "new-reg");

	(void)state;
	configure(0, 0, 0, 1, true, KNOBS_RETRY_SECONDS);
	assert_int_equal(knobs_strict_check(ACME_URL_NEW_ACCOUNT, j, &p), -1);
	assert_int_equal(p.type, ACME_P_MALFORMED);
	json_decref(j);
}

/* ---------- issue #15 item 4: the client suites' knobs ---------- */

static void
test_knobs_parse_duration(void **state)
{
	static const struct { const char *s; unsigned want; } ok[] = {
		{ "", 0 }, { "1s", 1 }, { "5s", 5 }, { "10m", 600 },
		{ "2h", 7200 }, { "7d", 604800 }, { "1", 86400 },
		{ "365d", 31536000 }, { "31536000s", 31536000 },
	};
	static const char *const bad[] = {
		"0", "0s", "s", "-5s", "+5s", " 5s", "5s ", "5x", "5ss", "5 s",
		"1.5h", "366d", "31536001s", "99999999999999999999s", "5S",
	};
	unsigned v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		assert_int_equal(knobs_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(knobs_parse_duration(bad[i], &v), -1);
}

static void
test_knobs_parse_ports(void **state)
{
	static const char *const bad[] = {
		",", "8080,", ",8080", "8080,,8081", "0", "65536", "80a",
		" 80", "80 ", "-1", "8080,8080", "1,2,3,4,5,6,7,8,9,10,11,12,"
		"13,14,15,16,17", "99999999999",
	};
	unsigned ports[KNOBS_MAX_PORTS];
	size_t n = 99;

	(void)state;
	assert_int_equal(knobs_parse_ports("", ports, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(knobs_parse_ports("8081", ports, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 8081);
	assert_int_equal(knobs_parse_ports("1,65535,8080", ports, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ports[1], 65535);
	assert_int_equal(ports[2], 8080);
	assert_int_equal(knobs_parse_ports("1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
	    "15,16", ports, &n), 0);
	assert_int_equal(n, KNOBS_MAX_PORTS);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(knobs_parse_ports(bad[i], ports, &n), -1);
}

static void
test_knobs_suite_knobs_off_then_on(void **state)
{
	struct knobs_opts o;

	(void)state;
	assert_false(knobs_http01_redirect_port(8081));
	assert_false(knobs_weak_keys());
	assert_false(knobs_delete_revoked());
	assert_int_equal(knobs_retry_after_s(), 0);
	assert_int_equal(knobs_authz_lifetime_s(), 0);
	assert_int_equal(knobs_order_lifetime_s(), 0);
	memset(&o, 0, sizeof(o));
	o.seed = 1;
	o.redirect_ports[0] = 8081;
	o.redirect_ports[1] = 9000;
	o.nredirect_ports = 2;
	o.weak_keys = o.delete_revoked = true;
	o.retry_after_s = 7;
	o.authz_lifetime_s = 5;
	o.order_lifetime_s = 60;
	assert_int_equal(knobs_configure(&o), 0);
	assert_true(knobs_http01_redirect_port(8081));
	assert_true(knobs_http01_redirect_port(9000));
	assert_false(knobs_http01_redirect_port(8082));
	assert_false(knobs_http01_redirect_port(0));
	assert_true(knobs_weak_keys());
	assert_true(knobs_delete_revoked());
	assert_int_equal(knobs_retry_after_s(), 7);
	assert_int_equal(knobs_authz_lifetime_s(), 5);
	assert_int_equal(knobs_order_lifetime_s(), 60);
	knobs_announce();	/* must not crash with every knob on */
	o.nredirect_ports = KNOBS_MAX_PORTS + 1;
	assert_int_equal(knobs_configure(&o), -1);
}

/* Parse argv for serve into cfg (defaults + flags, no file). */
static void
parse(struct config *cfg, char **argv, int argc)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	assert_int_equal(setenv("LOCALACME_HOME", "/nonexistent", 1), 0);
	assert_int_not_equal(config_parse(cfg, "serve", argc, argv, NULL, NULL,
	    NULL, err, sizeof(err)), -1);
}

/* The directory meta lists exactly the test settings that are on. */
static void
test_knobs_meta_lists_exactly_what_is_on(void **state)
{
	char *none[] = { "serve" };
	char *some[] = { "serve", "--weak-keys", "--retry-after", "7",
	    "--authz-lifetime", "5s", "--http01-redirect-ports", "8081,8082",
	    "--nonce-reject", "5", "--validation", "skip" };
	char *all[] = { "serve", "--weak-keys", "--retry-after", "7",
	    "--authz-lifetime", "5s", "--order-lifetime", "1m",
	    "--http01-redirect-ports", "8081", "--delete-revoked",
	    "--nonce-reject", "5", "--authz-reuse", "50", "--va-delay-ms",
	    "10", "--retry-after-form", "date", "--validation", "skip",
	    "--strict" };
	struct acme_render_meta	 m;
	struct config		 cfg;
	json_t			*o, *d;
	char			*txt;

	(void)state;
	parse(&cfg, none, 1);
	assert_int_equal(knobs_meta(&cfg, &o), 0);
	assert_null(o);
	config_clear(&cfg);

	parse(&cfg, some, (int)(sizeof(some) / sizeof(some[0])));
	assert_int_equal(knobs_meta(&cfg, &o), 0);
	assert_non_null(o);
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(txt, "{\"authz-lifetime\":\"5s\","
	    "\"http01-redirect-ports\":\"8081,8082\",\"nonce-reject\":5,"
	    "\"retry-after\":7,\"validation\":\"skip\","
	    "\"weak-keys\":true}");
	free(txt);
	/* rendered under its own member, beside the standard ones */
	memset(&m, 0, sizeof(m));
	m.test_knobs = o;
	assert_non_null(d = acme_render_directory("https://x.test", &m));
	assert_true(json_equal(json_object_get(json_object_get(d, "meta"),
	    ACME_META_TEST_KNOBS), o));
	json_decref(d);
	m.test_knobs = NULL;
	assert_non_null(d = acme_render_directory("https://x.test", &m));
	assert_null(json_object_get(d, "meta"));
	json_decref(d);
	json_decref(o);
	config_clear(&cfg);

	parse(&cfg, all, (int)(sizeof(all) / sizeof(all[0])));
	assert_int_equal(knobs_meta(&cfg, &o), 0);
	assert_int_equal(json_object_size(o), 12);
	assert_true(json_is_true(json_object_get(o, "delete-revoked")));
	assert_string_equal(json_string_value(json_object_get(o,
	    "retry-after-form")), "date");
	json_decref(o);
	config_clear(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, reset)
		T(test_knobs_off_by_default_never_fire),
		T(test_knobs_hundred_percent_always_fires),
		T(test_knobs_same_seed_replays_same_decisions),
		T(test_knobs_streams_are_independent),
		T(test_knobs_fraction_is_roughly_kept),
		T(test_knobs_delay_within_bound),
		T(test_knobs_zero_seed_draws_replayable_seed),
		T(test_knobs_bad_percentage_fails),
		T(test_knobs_retry_after_seconds_form),
		T(test_knobs_retry_after_date_form),
		T(test_knobs_retry_form_parse),
		T(test_knobs_strict_refuses_nonempty_challenge_response),
		T(test_knobs_strict_refuses_resource_member),
		T(test_knobs_parse_duration),
		T(test_knobs_parse_ports),
		T(test_knobs_suite_knobs_off_then_on),
		T(test_knobs_meta_lists_exactly_what_is_on),
#undef T
	};

	return cmocka_run_group_tests_name("knobs", tests, NULL, NULL);
}
