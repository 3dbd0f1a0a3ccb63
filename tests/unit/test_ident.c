/* test_ident.c - identifier syntax and normalisation (RFC 8555 §7.1.4, RFC 8738, RFC 3492; HARDENING O03-O13) */
/* SPDX-License-Identifier: MIT */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "acme/ident.h"
#include "acme/problem.h"

/* Parse (type, value), expect success and the normalised value. */
static void
expect_ok(enum acme_ident_type type, const char *value, const char *want,
    bool want_wild)
{
	struct acme_identifier	 id;
	struct acme_problem	 prob;
	bool			 wild = !want_wild;

	memset(&id, 0, sizeof(id));
	if (acme_ident_parse(type, value, &id, &wild, &prob) != 0)
		fail_msg("\"%s\" rejected: %s", value, prob.detail);
	assert_int_equal(id.type, type);
	assert_string_equal(id.value, want);
	assert_true(wild == want_wild);
}

/* Parse (type, value), expect -1 with problem type t. */
static void
expect_fail(enum acme_ident_type type, const char *value, enum acme_ptype t)
{
	struct acme_identifier	 id;
	struct acme_problem	 prob;

	memset(&id, 0, sizeof(id));
	memset(&prob, 0, sizeof(prob));
	if (acme_ident_parse(type, value, &id, NULL, &prob) != -1)
		fail_msg("\"%s\" accepted as \"%s\"", value, id.value);
	assert_int_equal(prob.type, t);
	assert_true(prob.detail[0] != '\0');
	/* *out untouched on failure */
	assert_string_equal(id.value, "");
}

static void
rejected(enum acme_ident_type type, const char *value)
{
	expect_fail(type, value, ACME_P_REJECTEDIDENTIFIER);
}

/* HARDENING O04: DNS is case-insensitive; stored lower-case. */
static void
test_ident_mixed_case_lowercased(void **state)
{
	(void)state;
	expect_ok(ACME_IDENT_DNS, "Example.TEST", "example.test", false);
	expect_ok(ACME_IDENT_DNS, "localhost", "localhost", false);
	expect_ok(ACME_IDENT_DNS, "a-b.c0.test", "a-b.c0.test", false);
}

/* HARDENING O03: empty value is malformed, not rejected. */
static void
test_ident_empty_value_malformed(void **state)
{
	(void)state;
	expect_fail(ACME_IDENT_DNS, "", ACME_P_MALFORMED);
	expect_fail(ACME_IDENT_DNS, NULL, ACME_P_MALFORMED);
	expect_fail(ACME_IDENT_IP, "", ACME_P_MALFORMED);
}

/* HARDENING O05: no root label. */
static void
test_ident_trailing_dot_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "example.test.");
	rejected(ACME_IDENT_DNS, ".");
}

/* HARDENING O06, RFC 8738 §3: addresses must use type "ip". */
static void
test_ident_ip_in_dns_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "127.0.0.1");
	rejected(ACME_IDENT_DNS, "[::1]");
	rejected(ACME_IDENT_DNS, "::1");
	rejected(ACME_IDENT_DNS, "127.0.0.0.0.1");
	rejected(ACME_IDENT_DNS, "example.123");
}

/* HARDENING O07: ambiguous or decorated IP forms. */
static void
test_ident_bad_ip_forms_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_IP, "127.0.0.0.0.1");
	rejected(ACME_IDENT_IP, "::ffff:zz");
	rejected(ACME_IDENT_IP, "1.2.3.4/24");
	rejected(ACME_IDENT_IP, "01.2.3.4");
	rejected(ACME_IDENT_IP, "1.2.3.04");
	rejected(ACME_IDENT_IP, "127.1");
	rejected(ACME_IDENT_IP, "0x7f.0.0.1");
	rejected(ACME_IDENT_IP, "256.1.1.1");
	rejected(ACME_IDENT_IP, "fe80::1%eth0");
	rejected(ACME_IDENT_IP, "[::1]");
	rejected(ACME_IDENT_IP, " 1.2.3.4");
	rejected(ACME_IDENT_IP, "1.2.3.4 ");
	rejected(ACME_IDENT_IP, "example.test");
	rejected(ACME_IDENT_IP, "::1/128");
}

/* RFC 8738 §3, RFC 5952: canonical text. */
static void
test_ident_ip_canonicalised(void **state)
{
	(void)state;
	expect_ok(ACME_IDENT_IP, "127.0.0.1", "127.0.0.1", false);
	expect_ok(ACME_IDENT_IP, "::1", "::1", false);
	expect_ok(ACME_IDENT_IP, "0:0:0:0:0:0:0:1", "::1", false);
	expect_ok(ACME_IDENT_IP, "2001:DB8:0:0:0:0:0:1", "2001:db8::1", false);
	expect_ok(ACME_IDENT_IP, "2001:0db8::0001", "2001:db8::1", false);
}

/* Documented choice: IPv4-mapped/compatible IPv6 is rejected. */
static void
test_ident_ipv4_mapped_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_IP, "::ffff:127.0.0.1");
	rejected(ACME_IDENT_IP, "::ffff:7f00:1");
	rejected(ACME_IDENT_IP, "::127.0.0.1");
}

/* HARDENING O08: lengths, empty labels, hyphens. */
static void
test_ident_label_64_rejected(void **state)
{
	char l63[80], l64[80];

	(void)state;
	memset(l63, 'a', 63);
	strcpy(l63 + 63, ".test");
	memset(l64, 'a', 64);
	strcpy(l64 + 64, ".test");
	expect_ok(ACME_IDENT_DNS, l63, l63, false);
	rejected(ACME_IDENT_DNS, l64);
}

static void
test_ident_name_254_rejected(void **state)
{
	char name[300];
	int i;

	(void)state;
	/* 4 x (62 'a' + '.') = 252, + "b" = 253 */
	for (i = 0; i < 4; i++) {
		memset(name + i * 63, 'a', 62);
		name[i * 63 + 62] = '.';
	}
	strcpy(name + 252, "b");
	assert_int_equal(strlen(name), 253);
	expect_ok(ACME_IDENT_DNS, name, name, false);
	strcpy(name + 252, "bc");
	rejected(ACME_IDENT_DNS, name);
}

static void
test_ident_empty_label_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "a..b");
	rejected(ACME_IDENT_DNS, ".a.test");
}

static void
test_ident_edge_hyphen_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "-a.test");
	rejected(ACME_IDENT_DNS, "a-.test");
	rejected(ACME_IDENT_DNS, "a.-test");
}

/* HARDENING O09: LDH only; U-labels must be sent as A-labels. */
static void
test_ident_non_ldh_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "a_b.test");
	rejected(ACME_IDENT_DNS, "a b.test");
	rejected(ACME_IDENT_DNS, "a\"b.test");
	rejected(ACME_IDENT_DNS, "a/b.test");
	rejected(ACME_IDENT_DNS, "a\nb.test");
	rejected(ACME_IDENT_DNS, "b\xc3\xbc" "cher.test");	/* bücher */
}

/* HARDENING O10, RFC 5890 §2.3.1: "--" in 3-4 only for A-labels. */
static void
test_ident_rldh_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "ab--c.test");
	rejected(ACME_IDENT_DNS, "zz--bcher-kva.test");
}

/* HARDENING O10: xn-- labels must be valid punycode of non-ASCII. */
static void
test_ident_bad_punycode_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "xn--zz.test");
	rejected(ACME_IDENT_DNS, "xn--.test");
	rejected(ACME_IDENT_DNS, "xn--99999999999999999999a.test");
	/* decodes to U+0080, a C1 control */
	rejected(ACME_IDENT_DNS, "xn--a.test");
	/* decodes to ASCII only ("abc-" would be the A-label of "abc") */
	rejected(ACME_IDENT_DNS, "xn--abc-.test");
}

/* RFC 3492 §7.1 sample strings, as A-labels (lower-cased). */
static void
test_ident_rfc3492_vectors_accepted(void **state)
{
	static const char *const v[] = {
		"xn--egbpdaj6bu4bxfgehfvwxn",			/* (A) */
		"xn--ihqwcrb4cv8a8dqg056pqjye",			/* (B) */
		"xn--4dbcagdahymbxekheh6e0a7fei0b",		/* (E) */
		"xn--proprostnemluvesky-uyb24dma41a",		/* (D) */
		"xn--n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa",	/* (G) */
		"xn--3b-ww4c5e180e575a65lsy2b",			/* (L) */
		"xn---with-super-monkeys-pc58ag80a8qai00g7n9n",	/* (M) */
		"xn--d9juau41awczczp",				/* (R) */
		"xn--bcher-kva",				/* bücher */
	};
	char name[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		strcpy(name, v[i]);
		strcat(name, ".test");
		expect_ok(ACME_IDENT_DNS, name, name, false);
	}
	/* Upper-case A-label prefix and digits are folded */
	expect_ok(ACME_IDENT_DNS, "XN--BCHER-KVA.Test", "xn--bcher-kva.test",
	    false);
}

/* HARDENING O11: wildcard only as the whole left-most label. */
static void
test_ident_malformed_wildcard_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "*.*.test");
	rejected(ACME_IDENT_DNS, "a*.test");
	rejected(ACME_IDENT_DNS, "*a.test");
	rejected(ACME_IDENT_DNS, "foo.*.test");
	rejected(ACME_IDENT_DNS, "*");
	rejected(ACME_IDENT_DNS, "*.");
	rejected(ACME_IDENT_IP, "*.1.2.3");
}

/* Documented choice: "*." must be followed by at least two labels. */
static void
test_ident_wildcard_over_tld_rejected(void **state)
{
	(void)state;
	rejected(ACME_IDENT_DNS, "*.test");
	rejected(ACME_IDENT_DNS, "*.localhost");
}

static void
test_ident_wildcard_flagged_and_kept(void **state)
{
	(void)state;
	expect_ok(ACME_IDENT_DNS, "*.Example.test", "*.example.test", true);
	expect_ok(ACME_IDENT_DNS, "example.test", "example.test", false);
}

/* RFC 8555 §9.7.7 type names; RFC 8738 §3 "ip". */
static void
test_ident_typed_unknown_type_unsupported(void **state)
{
	struct acme_identifier	 id;
	struct acme_problem	 prob;

	(void)state;
	assert_int_equal(acme_ident_parse_typed("email", "a@b.test", &id,
	    NULL, &prob), -1);
	assert_int_equal(prob.type, ACME_P_UNSUPPORTEDIDENTIFIER);
	assert_int_equal(acme_ident_parse_typed("DNS", "a.test", &id, NULL,
	    &prob), -1);
	assert_int_equal(prob.type, ACME_P_UNSUPPORTEDIDENTIFIER);
	assert_int_equal(acme_ident_parse_typed("dns", "a.test", &id, NULL,
	    &prob), 0);
	assert_int_equal(id.type, ACME_IDENT_DNS);
	assert_int_equal(acme_ident_parse_typed("ip", "::1", &id, NULL,
	    &prob), 0);
	assert_int_equal(id.type, ACME_IDENT_IP);
}

static void
test_ident_cli_forms_classified(void **state)
{
	struct acme_identifier	 id;
	struct acme_problem	 prob;
	bool			 wild;

	(void)state;
	assert_int_equal(acme_ident_from_cli("[::1]", &id, &wild, &prob), 0);
	assert_int_equal(id.type, ACME_IDENT_IP);
	assert_string_equal(id.value, "::1");
	assert_int_equal(acme_ident_from_cli("127.0.0.1", &id, &wild, &prob),
	    0);
	assert_int_equal(id.type, ACME_IDENT_IP);
	assert_int_equal(acme_ident_from_cli("LocalHost", &id, &wild, &prob),
	    0);
	assert_int_equal(id.type, ACME_IDENT_DNS);
	assert_string_equal(id.value, "localhost");
	assert_int_equal(acme_ident_from_cli("*.app.test", &id, &wild, &prob),
	    0);
	assert_true(wild);
}

static void
test_ident_cli_bad_forms_rejected(void **state)
{
	struct acme_identifier	 id;
	struct acme_problem	 prob;

	(void)state;
	assert_int_equal(acme_ident_from_cli("[app.test]", &id, NULL, &prob),
	    -1);
	assert_int_equal(prob.type, ACME_P_REJECTEDIDENTIFIER);
	assert_int_equal(acme_ident_from_cli("01.2.3.4", &id, NULL, &prob),
	    -1);
	assert_int_equal(acme_ident_from_cli("[::1", &id, NULL, &prob), -1);
	assert_int_equal(acme_ident_from_cli("", &id, NULL, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
}

/* HARDENING O13: sort (DNS before IP) and de-duplicate. */
static void
test_ident_list_sorted_and_deduped(void **state)
{
	static const char *const in[] = {
		"b.test", "127.0.0.1", "A.test", "a.test", "::1", "a.test"
	};
	struct acme_identifier	 ids[6];
	struct acme_problem	 prob;
	size_t			 i, n = 6;

	(void)state;
	for (i = 0; i < n; i++)
		assert_int_equal(acme_ident_from_cli(in[i], &ids[i], NULL,
		    &prob), 0);
	assert_int_equal(acme_ident_list_normalize(ids, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(ids[0].value, "a.test");
	assert_string_equal(ids[1].value, "b.test");
	assert_string_equal(ids[2].value, "127.0.0.1");
	assert_int_equal(ids[2].type, ACME_IDENT_IP);
	assert_string_equal(ids[3].value, "::1");
}

static void
test_ident_list_empty_ok(void **state)
{
	size_t n = 0;

	(void)state;
	assert_int_equal(acme_ident_list_normalize(NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(acme_ident_list_normalize(NULL, NULL), -1);
}

/* RFC 8738 §6: reverse name for the tls-alpn-01 SNI. */
static void
test_ident_reverse_name_v4_in_addr(void **state)
{
	struct acme_identifier	 id = { ACME_IDENT_IP, "192.0.2.10" };
	char			 out[ACME_REVERSE_NAME_SIZE];

	(void)state;
	assert_int_equal(acme_ident_reverse_name(&id, out, sizeof(out)), 0);
	assert_string_equal(out, "10.2.0.192.in-addr.arpa");
}

static void
test_ident_reverse_name_v6_ip6_arpa(void **state)
{
	struct acme_identifier	 id = { ACME_IDENT_IP, "2001:db8::1" };
	char			 out[ACME_REVERSE_NAME_SIZE];

	(void)state;
	assert_int_equal(acme_ident_reverse_name(&id, out, sizeof(out)), 0);
	assert_string_equal(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

static void
test_ident_reverse_name_bad_input_fails(void **state)
{
	struct acme_identifier	 dns = { ACME_IDENT_DNS, "a.test" };
	struct acme_identifier	 v6 = { ACME_IDENT_IP, "::1" };
	char			 out[ACME_REVERSE_NAME_SIZE];

	(void)state;
	assert_int_equal(acme_ident_reverse_name(&dns, out, sizeof(out)), -1);
	assert_int_equal(acme_ident_reverse_name(&v6, out, 20), -1);
}

static void
test_ident_is_ip_strict(void **state)
{
	(void)state;
	assert_true(acme_ident_is_ip("10.0.0.1"));
	assert_true(acme_ident_is_ip("fe80::1"));
	assert_false(acme_ident_is_ip("10.0.0.01"));
	assert_false(acme_ident_is_ip("[::1]"));
	assert_false(acme_ident_is_ip("a.test"));
	assert_false(acme_ident_is_ip(""));
	assert_false(acme_ident_is_ip(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident_mixed_case_lowercased),
		cmocka_unit_test(test_ident_empty_value_malformed),
		cmocka_unit_test(test_ident_trailing_dot_rejected),
		cmocka_unit_test(test_ident_ip_in_dns_rejected),
		cmocka_unit_test(test_ident_bad_ip_forms_rejected),
		cmocka_unit_test(test_ident_ip_canonicalised),
		cmocka_unit_test(test_ident_ipv4_mapped_rejected),
		cmocka_unit_test(test_ident_label_64_rejected),
		cmocka_unit_test(test_ident_name_254_rejected),
		cmocka_unit_test(test_ident_empty_label_rejected),
		cmocka_unit_test(test_ident_edge_hyphen_rejected),
		cmocka_unit_test(test_ident_non_ldh_rejected),
		cmocka_unit_test(test_ident_rldh_rejected),
		cmocka_unit_test(test_ident_bad_punycode_rejected),
		cmocka_unit_test(test_ident_rfc3492_vectors_accepted),
		cmocka_unit_test(test_ident_malformed_wildcard_rejected),
		cmocka_unit_test(test_ident_wildcard_over_tld_rejected),
		cmocka_unit_test(test_ident_wildcard_flagged_and_kept),
		cmocka_unit_test(test_ident_typed_unknown_type_unsupported),
		cmocka_unit_test(test_ident_cli_forms_classified),
		cmocka_unit_test(test_ident_cli_bad_forms_rejected),
		cmocka_unit_test(test_ident_list_sorted_and_deduped),
		cmocka_unit_test(test_ident_list_empty_ok),
		cmocka_unit_test(test_ident_reverse_name_v4_in_addr),
		cmocka_unit_test(test_ident_reverse_name_v6_ip6_arpa),
		cmocka_unit_test(test_ident_reverse_name_bad_input_fails),
		cmocka_unit_test(test_ident_is_ip_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
