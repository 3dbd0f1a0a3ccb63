/* test_problem.c - problem types, safe details and application/problem+json rendering */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "acme/acme.h"
#include "acme/problem.h"

/* True if every byte of s is printable ASCII or part of valid UTF-8. */
static bool
json_safe(const char *s)
{
	json_t	*j;

	/* json_string() refuses invalid UTF-8. */
	if ((j = json_string(s)) == NULL)
		return false;
	json_decref(j);
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void
test_problem_set_fills_type_status_detail(void **state)
{
	struct acme_problem	 p;
	int			 rc;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	rc = acme_problem_set(&p, ACME_P_BADNONCE, "nonce %d is stale", 7);
	assert_int_equal(rc, -1);
	assert_int_equal(p.type, ACME_P_BADNONCE);
	assert_int_equal(p.status, 400);
	assert_string_equal(p.detail, "nonce 7 is stale");
	assert_int_equal(p.nsub, 0);
	assert_int_equal(p.nsub_dropped, 0);
}

static void
test_problem_setx_overrides_status(void **state)
{
	struct acme_problem	 p;

	(void)state;
	assert_int_equal(acme_problem_setx(&p, ACME_P_MALFORMED, 415,
	    "bad content type"), -1);
	assert_int_equal(p.type, ACME_P_MALFORMED);
	assert_int_equal(p.status, 415);
}

static void
test_problem_setx_non_error_status_uses_default(void **state)
{
	struct acme_problem	 p;

	(void)state;
	acme_problem_setx(&p, ACME_P_UNAUTHORIZED, 200, "x");
	assert_int_equal(p.status, 403);
}

static void
test_problem_set_null_problem_returns_minus_one(void **state)
{
	(void)state;
	assert_int_equal(acme_problem_set(NULL, ACME_P_MALFORMED, "x"), -1);
}

static void
test_problem_detail_control_chars_replaced(void **state)
{
	struct acme_problem	 p;

	(void)state;
	acme_problem_set(&p, ACME_P_MALFORMED, "a\nb\rc\td\x1b[31me\x7f" "f");
	assert_string_equal(p.detail, "a?b?c?d?[31me?f");
}

static void
test_problem_detail_c1_and_bidi_replaced(void **state)
{
	struct acme_problem	 p;

	(void)state;
	/* U+0085 NEL, U+202E RLO, U+2028 LS; U+00E9 stays. */
	acme_problem_set(&p, ACME_P_MALFORMED,
	    "x\xc2\x85y\xe2\x80\xaez\xe2\x80\xa8\xc3\xa9");
	assert_string_equal(p.detail, "x?y?z?\xc3\xa9");
}

static void
test_problem_detail_invalid_utf8_replaced(void **state)
{
	struct acme_problem	 p;

	(void)state;
	/* Lone continuation, overlong '/', surrogate, truncated sequence. */
	acme_problem_set(&p, ACME_P_MALFORMED,
	    "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82");
	assert_true(json_safe(p.detail));
	assert_non_null(strstr(p.detail, "a?b"));
	assert_null(strchr(p.detail, '\x80'));
}

static void
test_problem_long_detail_truncated_terminated(void **state)
{
	struct acme_problem	 p;
	char			 big[1000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	acme_problem_set(&p, ACME_P_MALFORMED, "%s", big);
	assert_int_equal(strlen(p.detail), ACME_PROBLEM_DETAIL_MAX - 1);
}

static void
test_problem_truncation_keeps_utf8_whole(void **state)
{
	struct acme_problem	 p;
	char			 big[800];
	size_t			 i;

	(void)state;
	/* 'x' then many two-byte characters: the cut falls mid-character. */
	big[0] = 'x';
	for (i = 1; i + 2 < sizeof(big); i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
	}
	big[i] = '\0';
	acme_problem_set(&p, ACME_P_MALFORMED, "%s", big);
	assert_true(json_safe(p.detail));
	assert_true(strlen(p.detail) <= ACME_PROBLEM_DETAIL_MAX - 1);
	assert_true(strlen(p.detail) >= ACME_PROBLEM_DETAIL_MAX - 3);
}

static void
test_problem_set_clears_subproblems(void **state)
{
	struct acme_problem	 p;

	(void)state;
	acme_problem_set(&p, ACME_P_COMPOUND, "several");
	acme_problem_add_sub(&p, ACME_P_CAA, ACME_IDENT_DNS, "a.test", "caa");
	assert_int_equal(p.nsub, 1);
	acme_problem_set(&p, ACME_P_MALFORMED, "again");
	assert_int_equal(p.nsub, 0);
	assert_int_equal(p.nsub_dropped, 0);
}

static void
test_problem_add_sub_beyond_max_counts(void **state)
{
	struct acme_problem	 p;
	size_t			 i;

	(void)state;
	acme_problem_set(&p, ACME_P_REJECTEDIDENTIFIER, "rejected");
	for (i = 0; i < ACME_PROBLEM_SUB_MAX + 5; i++)
		assert_int_equal(acme_problem_add_sub(&p,
		    ACME_P_REJECTEDIDENTIFIER, ACME_IDENT_DNS, "a.test",
		    "no %zu", i), 0);
	assert_int_equal(p.nsub, ACME_PROBLEM_SUB_MAX);
	assert_int_equal(p.nsub_dropped, 5);
	assert_string_equal(p.sub[ACME_PROBLEM_SUB_MAX - 1].detail, "no 15");
}

static void
test_problem_add_sub_value_sanitized(void **state)
{
	struct acme_problem	 p;

	(void)state;
	acme_problem_set(&p, ACME_P_COMPOUND, "x");
	acme_problem_add_sub(&p, ACME_P_DNS, ACME_IDENT_DNS, "a\nb.test\xff",
	    "d");
	assert_string_equal(p.sub[0].ident.value, "a?b.test?");
}

static void
test_problem_json_has_type_detail_status(void **state)
{
	struct acme_problem	 p;
	json_t			*j;

	(void)state;
	acme_problem_set(&p, ACME_P_UNAUTHORIZED, "not yours");
	j = acme_problem_json(&p);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "urn:ietf:params:acme:error:unauthorized");
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "not yours");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 403);
	assert_null(json_object_get(j, "subproblems"));
	assert_null(json_object_get(j, "algorithms"));
	json_decref(j);
}

static void
test_problem_json_status_follows_override(void **state)
{
	struct acme_problem	 p;
	json_t			*j;

	(void)state;
	acme_problem_setx(&p, ACME_P_MALFORMED, 405, "method");
	j = acme_problem_json(&p);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 405);
	json_decref(j);
}

static void
test_problem_json_badsigalg_lists_algorithms(void **state)
{
	static const char *const want[] = {
	    "RS256", "ES256", "ES384", "ES512", "EdDSA" };
	struct acme_problem	 p;
	json_t			*j, *a;
	size_t			 i;

	(void)state;
	acme_problem_set(&p, ACME_P_BADSIGNATUREALGORITHM, "no");
	j = acme_problem_json(&p);
	assert_non_null(j);
	a = json_object_get(j, "algorithms");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(json_string_value(json_array_get(a, i)),
		    want[i]);
	json_decref(j);
}

static void
test_problem_json_subproblems_with_identifiers(void **state)
{
	struct acme_problem	 p;
	json_t			*j, *s, *id;

	(void)state;
	acme_problem_set(&p, ACME_P_COMPOUND, "two failed");
	acme_problem_add_sub(&p, ACME_P_CAA, ACME_IDENT_DNS, "a.test", "caa");
	acme_problem_add_sub(&p, ACME_P_CONNECTION, ACME_IDENT_IP,
	    "127.0.0.1", "refused");
	j = acme_problem_json(&p);
	assert_non_null(j);
	s = json_object_get(j, "subproblems");
	assert_int_equal(json_array_size(s), 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(s, 0), "type")), "urn:ietf:params:acme:error:caa");
	id = json_object_get(json_array_get(s, 1), "identifier");
	assert_string_equal(json_string_value(json_object_get(id, "type")),
	    "ip");
	assert_string_equal(json_string_value(json_object_get(id, "value")),
	    "127.0.0.1");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(s, 1), "detail")), "refused");
	json_decref(j);
}

static void
test_problem_json_dropped_subproblems_mentioned(void **state)
{
	struct acme_problem	 p;
	json_t			*j;
	size_t			 i;

	(void)state;
	acme_problem_set(&p, ACME_P_COMPOUND, "many");
	for (i = 0; i < ACME_PROBLEM_SUB_MAX + 3; i++)
		acme_problem_add_sub(&p, ACME_P_DNS, ACME_IDENT_DNS, "a.test",
		    "x");
	j = acme_problem_json(&p);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "many (3 more subproblems omitted)");
	assert_int_equal(json_array_size(json_object_get(j, "subproblems")),
	    ACME_PROBLEM_SUB_MAX);
	json_decref(j);
}

static void
test_problem_json_hand_filled_detail_sanitized(void **state)
{
	struct acme_problem	 p;
	json_t			*j;

	(void)state;
	acme_problem_set(&p, ACME_P_MALFORMED, "ok");
	/* A caller that writes detail directly still cannot emit raw bytes. */
	memcpy(p.detail, "bad\xff\n", 6);
	j = acme_problem_json(&p);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "bad??");
	json_decref(j);
}

static void
test_problem_type_tables_complete_and_unique(void **state)
{
	const char	*prefix = "urn:ietf:params:acme:error:";
	int		 t, u;

	(void)state;
	for (t = 0; t < ACME_P__MAX; t++) {
		const char *urn = acme_problem_type_urn((enum acme_ptype)t);
		const char *name = acme_problem_type_name((enum acme_ptype)t);
		int st = acme_problem_status((enum acme_ptype)t);

		assert_non_null(urn);
		assert_non_null(name);
		assert_int_equal(strncmp(urn, prefix, strlen(prefix)), 0);
		assert_string_equal(urn + strlen(prefix), name);
		assert_true(st >= 400 && st <= 599);
		for (u = 0; u < t; u++)
			assert_string_not_equal(name,
			    acme_problem_type_name((enum acme_ptype)u));
	}
}

static void
test_problem_status_table_spot_values(void **state)
{
	(void)state;
	assert_int_equal(acme_problem_status(ACME_P_MALFORMED), 400);
	assert_int_equal(acme_problem_status(ACME_P_UNAUTHORIZED), 403);
	assert_int_equal(acme_problem_status(ACME_P_ORDERNOTREADY), 403);
	assert_int_equal(acme_problem_status(ACME_P_RATELIMITED), 429);
	assert_int_equal(acme_problem_status(ACME_P_ALREADYREPLACED), 409);
	assert_int_equal(acme_problem_status(ACME_P_SERVERINTERNAL), 500);
	assert_string_equal(acme_problem_type_name(ACME_P_BADCSR), "badCSR");
	assert_string_equal(acme_problem_type_name(
	    ACME_P_ACCOUNTDOESNOTEXIST), "accountDoesNotExist");
}

static void
test_problem_out_of_range_type_is_server_internal(void **state)
{
	(void)state;
	assert_string_equal(acme_problem_type_name((enum acme_ptype)999),
	    "serverInternal");
	assert_int_equal(acme_problem_status((enum acme_ptype)-1), 500);
}

static void
test_problem_json_null_returns_null(void **state)
{
	(void)state;
	assert_null(acme_problem_json(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_problem_set_fills_type_status_detail),
		cmocka_unit_test(test_problem_setx_overrides_status),
		cmocka_unit_test(test_problem_setx_non_error_status_uses_default),
		cmocka_unit_test(test_problem_set_null_problem_returns_minus_one),
		cmocka_unit_test(test_problem_detail_control_chars_replaced),
		cmocka_unit_test(test_problem_detail_c1_and_bidi_replaced),
		cmocka_unit_test(test_problem_detail_invalid_utf8_replaced),
		cmocka_unit_test(test_problem_long_detail_truncated_terminated),
		cmocka_unit_test(test_problem_truncation_keeps_utf8_whole),
		cmocka_unit_test(test_problem_set_clears_subproblems),
		cmocka_unit_test(test_problem_add_sub_beyond_max_counts),
		cmocka_unit_test(test_problem_add_sub_value_sanitized),
		cmocka_unit_test(test_problem_json_has_type_detail_status),
		cmocka_unit_test(test_problem_json_status_follows_override),
		cmocka_unit_test(test_problem_json_badsigalg_lists_algorithms),
		cmocka_unit_test(test_problem_json_subproblems_with_identifiers),
		cmocka_unit_test(test_problem_json_dropped_subproblems_mentioned),
		cmocka_unit_test(test_problem_json_hand_filled_detail_sanitized),
		cmocka_unit_test(test_problem_type_tables_complete_and_unique),
		cmocka_unit_test(test_problem_status_table_spot_values),
		cmocka_unit_test(test_problem_out_of_range_type_is_server_internal),
		cmocka_unit_test(test_problem_json_null_returns_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
