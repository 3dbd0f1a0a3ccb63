/* test_serial.c - serial numbers as people type them: one canonical form, compared as numbers (issue #12 item 10) */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acme/serial.h"

/* The store's form of a 17-octet serial whose first octet is 0x05. */
#define CANON	"0510caf0d1e2f30415263748596a7b8c9d"

static void
want(const char *in, const char *canon)
{
	char	 out[ACME_SERIAL_SIZE], err[256];

	err[0] = '\0';
	if (acme_serial_normalize(in, out, err, sizeof(err)) != 0)
		fail_msg("\"%s\" refused: %s", in, err);
	assert_string_equal(out, canon);
}

static void
refused(const char *in, const char *why)
{
	char	 out[ACME_SERIAL_SIZE], err[256];

	assert_int_equal(acme_serial_normalize(in, out, err, sizeof(err)), -1);
	assert_string_equal(out, "");
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\": err \"%s\" does not say \"%s\"", in, err,
		    why);
}

static void
test_serial_canonical_unchanged(void **state)
{
	(void)state;
	want(CANON, CANON);
	want("7f", "7f");
	want("01", "01");
}

static void
test_serial_without_leading_zero_found(void **state)
{
	(void)state;
	/* certbot prints the number: 0x0510... as 510... */
	want("510caf0d1e2f30415263748596a7b8c9d", CANON);
	want("1", "01");
	want("abc", "0abc");
}

static void
test_serial_extra_leading_zeros_dropped(void **state)
{
	(void)state;
	want("000510caf0d1e2f30415263748596a7b8c9d", CANON);
	want("0000" CANON, CANON);
	want("00:05:10", "0510");
}

static void
test_serial_upper_case_lowered(void **state)
{
	(void)state;
	want("0510CAF0D1E2F30415263748596A7B8C9D", CANON);
	want("510CaF0d1E2f30415263748596a7B8c9D", CANON);
}

static void
test_serial_colons_ignored(void **state)
{
	(void)state;
	want("05:10:CA:F0:D1:E2:F3:04:15:26:37:48:59:6A:7B:8C:9D", CANON);
	want("5:10:ca:f0:d1:e2:f3:04:15:26:37:48:59:6a:7b:8c:9d", CANON);
}

static void
test_serial_twenty_octets_accepted(void **state)
{
	(void)state;
	want("7fffffffffffffffffffffffffffffffffffffff",
	    "7fffffffffffffffffffffffffffffffffffffff");
	/* 39 digits: padded to 20 octets, still fits */
	want("fffffffffffffffffffffffffffffffffffffff",
	    "0fffffffffffffffffffffffffffffffffffffff");
}

static void
test_serial_not_hex_refused(void **state)
{
	(void)state;
	refused("0510xaf0", "'x' at position 5 is not a hex digit");
	refused("g", "'g' at position 1");
	refused("05 10", "' ' at position 3");
	refused("0510\n", "byte 0x0a at position 5");
	refused("-05", "'-' at position 1");
	refused("0x0510", "'x' at position 2");
}

static void
test_serial_misplaced_colon_refused(void **state)
{
	(void)state;
	refused(":05", "':' at position 1");
	refused("05:", "':' at position 3");
	refused("05::10", "':' at position 3");
	refused(":", "':' at position 1");
}

static void
test_serial_empty_or_zero_refused(void **state)
{
	(void)state;
	refused("", "empty");
	refused(NULL, "empty");
	refused("0", "zero");
	refused("00:00", "zero");
}

static void
test_serial_over_twenty_octets_refused(void **state)
{
	(void)state;
	refused("1ffffffffffffffffffffffffffffffffffffffff", "more than 20");
	/* leading zeros do not count */
	want("00000000007fffffffffffffffffffffffffffffffffffffff",
	    "7fffffffffffffffffffffffffffffffffffffff");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_canonical_unchanged),
		cmocka_unit_test(test_serial_without_leading_zero_found),
		cmocka_unit_test(test_serial_extra_leading_zeros_dropped),
		cmocka_unit_test(test_serial_upper_case_lowered),
		cmocka_unit_test(test_serial_colons_ignored),
		cmocka_unit_test(test_serial_twenty_octets_accepted),
		cmocka_unit_test(test_serial_not_hex_refused),
		cmocka_unit_test(test_serial_misplaced_colon_refused),
		cmocka_unit_test(test_serial_empty_or_zero_refused),
		cmocka_unit_test(test_serial_over_twenty_octets_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
