/* test_ari.c - acme/ari.c: RFC 9773 §4.1 certIDs (parse, build, from a certificate) and §4.2 windows */
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
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/problem.h"
#include "testutil.h"

/* RFC 9773 §4.1 example: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial 00:87:65:43:21. */
#define RFC_CERTID	"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

static void
test_ari_certid_rfc_example_parses(void **state)
{
	struct acme_ari_certid	 id;
	struct acme_problem	 p;
	static const unsigned char kid[] = { 0x69, 0x88, 0x5b, 0x6b, 0x87,
	    0x46, 0x40, 0x41, 0xe1, 0xb3, 0x7b, 0x84, 0x7b, 0xa0, 0xae, 0x2c,
	    0xde, 0x01, 0xc8, 0xd4 };
	static const unsigned char ser[] = { 0x00, 0x87, 0x65, 0x43, 0x21 };
	char hex[ACME_SERIAL_SIZE], back[ACME_ARI_CERTID_SIZE];

	(void)state;
	assert_int_equal(acme_ari_certid_parse(RFC_CERTID, &id, &p), 0);
	assert_int_equal(id.keyidlen, sizeof(kid));
	assert_memory_equal(id.keyid, kid, sizeof(kid));
	assert_int_equal(id.seriallen, sizeof(ser));
	assert_memory_equal(id.serial, ser, sizeof(ser));
	assert_int_equal(acme_ari_certid_serial_hex(&id, hex), 0);
	assert_string_equal(hex, "87654321");
	assert_int_equal(acme_ari_certid_build(&id, back, sizeof(back)), 0);
	assert_string_equal(back, RFC_CERTID);
}

static void
expect_malformed(const char *s)
{
	struct acme_ari_certid	 id;
	struct acme_problem	 p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(acme_ari_certid_parse(s, &id, &p), -1);
	assert_int_equal(p.type, ACME_P_MALFORMED);
	assert_int_equal(p.status, 400);
}

static void
test_ari_certid_without_dot_is_malformed(void **state)
{
	(void)state;
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQAIdlQyE");
	expect_malformed("");
}

static void
test_ari_certid_two_dots_is_malformed(void **state)
{
	(void)state;
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdl.QyE");
}

static void
test_ari_certid_empty_part_is_malformed(void **state)
{
	(void)state;
	expect_malformed(".AIdlQyE");
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ.");
}

static void
test_ari_certid_padding_or_bad_alphabet_is_malformed(void **state)
{
	(void)state;
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE");
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE=");
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByN+.AIdlQyE");
}

static void
test_ari_certid_negative_serial_is_malformed(void **state)
{
	(void)state;
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ.gA");	/* 0x80 */
}

static void
test_ari_certid_nonminimal_serial_is_malformed(void **state)
{
	(void)state;
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AAE");	/* 00 01 */
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AA");	/* zero */
}

static void
test_ari_certid_overlong_serial_is_malformed(void **state)
{
	(void)state;
	/* 21 magnitude octets (RFC 5280 §4.1.2.2 allows 20). */
	expect_malformed("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AQEBAQEBAQEBAQEBAQEBAQEBAQEB");
}

static void
test_ari_certid_of_x509_matches_aki_and_serial(void **state)
{
	X509			*x = X509_new();
	EVP_PKEY		*k = tu_key_ec256();
	AUTHORITY_KEYID		*aki = AUTHORITY_KEYID_new();
	ASN1_INTEGER		*sn = NULL;
	BIGNUM			*bn = NULL;
	struct acme_ari_certid	 id;
	struct acme_problem	 p;
	unsigned char		 kid[20];
	char			 s[ACME_ARI_CERTID_SIZE], hex[ACME_SERIAL_SIZE];

	(void)state;
	memset(kid, 0xab, sizeof(kid));
	assert_non_null(x);
	assert_non_null(aki);
	assert_non_null(aki->keyid = ASN1_OCTET_STRING_new());
	assert_int_equal(ASN1_OCTET_STRING_set(aki->keyid, kid, sizeof(kid)), 1);
	assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier,
	    aki, 0, 0), 1);
	/* A serial with the top bit set: DER adds a 00 sign octet. */
	assert_int_not_equal(BN_hex2bn(&bn, "87654321"), 0);
	assert_non_null(sn = BN_to_ASN1_INTEGER(bn, NULL));
	assert_int_equal(X509_set_serialNumber(x, sn), 1);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_int_equal(X509_sign(x, k, EVP_sha256()) > 0, 1);
	assert_int_equal(acme_ari_certid_of_x509(x, s, sizeof(s)), 0);
	assert_int_equal(acme_ari_certid_parse(s, &id, &p), 0);
	assert_int_equal(id.keyidlen, 20);
	assert_memory_equal(id.keyid, kid, 20);
	assert_int_equal(id.seriallen, 5);
	assert_int_equal(id.serial[0], 0x00);
	assert_int_equal(acme_ari_certid_serial_hex(&id, hex), 0);
	assert_string_equal(hex, "87654321");
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	AUTHORITY_KEYID_free(aki);
	EVP_PKEY_free(k);
	X509_free(x);
}

static void
test_ari_certid_of_x509_without_aki_fails(void **state)
{
	X509	*x = X509_new();
	char	 s[ACME_ARI_CERTID_SIZE];

	(void)state;
	assert_int_equal(acme_ari_certid_of_x509(x, s, sizeof(s)), -1);
	assert_string_equal(s, "");
	X509_free(x);
}

static void
test_ari_window_is_in_last_third(void **state)
{
	struct acme_ari_window	 w;
	time_t			 nb = 1700000000, na = nb + 90 * 86400 - 1;

	(void)state;
	assert_int_equal(acme_ari_window(nb, na, 0, nb + 10, &w), 0);
	assert_true(w.start < w.end);
	assert_true(3 * (w.start - nb) >= 2 * (na - nb));
	assert_true(w.end <= na);
}

static void
test_ari_window_short_lifetime_is_in_last_third(void **state)
{
	struct acme_ari_window	 w;
	time_t			 nb = 1700000000, na = nb + 6 * 86400 - 1;

	(void)state;
	assert_int_equal(acme_ari_window(nb, na, 0, nb, &w), 0);
	assert_true(3 * (w.start - nb) >= 2 * (na - nb));
	assert_true(w.start < w.end && w.end <= na);
}

static void
test_ari_window_revoked_is_in_the_past(void **state)
{
	struct acme_ari_window	 w;
	time_t			 nb = 1700000000, na = nb + 90 * 86400;
	time_t			 now = nb + 86400;

	(void)state;
	assert_int_equal(acme_ari_window(nb, na, now - 60, now, &w), 0);
	assert_true(w.end <= now);
	assert_true(w.start < w.end);
	assert_true(w.start < nb + (na - nb) * 2 / 3);
}

static void
test_ari_window_empty_validity_fails(void **state)
{
	struct acme_ari_window w;

	(void)state;
	assert_int_equal(acme_ari_window(100, 100, 0, 100, &w), -1);
}

static void
test_ari_render_has_suggested_window(void **state)
{
	struct acme_ari_window	 w = { 1735689600, 1735776000 };
	json_t			*j;

	(void)state;
	assert_non_null(j = acme_ari_render(&w, "https://example.test/why"));
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "suggestedWindow"), "start")),
	    "2025-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "suggestedWindow"), "end")),
	    "2025-01-02T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j,
	    "explanationURL")), "https://example.test/why");
	json_decref(j);
	assert_non_null(j = acme_ari_render(&w, ""));
	assert_null(json_object_get(j, "explanationURL"));
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ari_certid_rfc_example_parses),
		cmocka_unit_test(test_ari_certid_without_dot_is_malformed),
		cmocka_unit_test(test_ari_certid_two_dots_is_malformed),
		cmocka_unit_test(test_ari_certid_empty_part_is_malformed),
		cmocka_unit_test(test_ari_certid_padding_or_bad_alphabet_is_malformed),
		cmocka_unit_test(test_ari_certid_negative_serial_is_malformed),
		cmocka_unit_test(test_ari_certid_nonminimal_serial_is_malformed),
		cmocka_unit_test(test_ari_certid_overlong_serial_is_malformed),
		cmocka_unit_test(test_ari_certid_of_x509_matches_aki_and_serial),
		cmocka_unit_test(test_ari_certid_of_x509_without_aki_fails),
		cmocka_unit_test(test_ari_window_is_in_last_third),
		cmocka_unit_test(test_ari_window_short_lifetime_is_in_last_third),
		cmocka_unit_test(test_ari_window_revoked_is_in_the_past),
		cmocka_unit_test(test_ari_window_empty_validity_fails),
		cmocka_unit_test(test_ari_render_has_suggested_window),
	};

	return cmocka_run_group_tests_name("ari", tests, NULL, NULL);
}
