/* test_b64url.c - strict base64url: RFC 4648 vectors, canonical-only decoding (HARDENING J10-J12) */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme/b64url.h"

/* Decode a C string; true if rejected. */
static bool
rejected(const char *s)
{
	size_t		 n = 99;
	unsigned char	*p;

	p = acme_b64url_decode(s, strlen(s), &n);
	free(p);
	return p == NULL;
}

static void
test_b64url_rfc4648_vectors_encode(void **state)
{
	static const char *const in[] = {
	    "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const want[] = {
	    "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	size_t	 i;
	char	*s;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		s = acme_b64url_encode((const unsigned char *)in[i],
		    strlen(in[i]));
		assert_non_null(s);
		assert_string_equal(s, want[i]);
		assert_int_equal(strlen(s), acme_b64url_enclen(strlen(in[i])));
		free(s);
	}
}

static void
test_b64url_rfc4648_vectors_decode(void **state)
{
	static const char *const in[] = {
	    "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	static const char *const want[] = {
	    "f", "fo", "foo", "foob", "fooba", "foobar" };
	size_t		 i, n;
	unsigned char	*p;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		p = acme_b64url_decode(in[i], strlen(in[i]), &n);
		assert_non_null(p);
		assert_int_equal(n, strlen(want[i]));
		assert_memory_equal(p, want[i], n);
		assert_int_equal(p[n], '\0');
		free(p);
	}
}

static void
test_b64url_url_alphabet_encodes_dash_underscore(void **state)
{
	static const unsigned char in[] = { 0xfb, 0xff, 0xbf };
	char	*s;

	(void)state;
	s = acme_b64url_encode(in, sizeof(in));
	assert_non_null(s);
	assert_string_equal(s, "-_-_");
	free(s);
}

static void
test_b64url_roundtrip_all_lengths_identity(void **state)
{
	unsigned char	 buf[130], *p;
	size_t		 len, i, n;
	char		*s;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= sizeof(buf); len++) {
		s = acme_b64url_encode(buf, len);
		assert_non_null(s);
		p = acme_b64url_decode(s, strlen(s), &n);
		assert_non_null(p);
		assert_int_equal(n, len);
		if (len > 0)
			assert_memory_equal(p, buf, len);
		free(p);
		free(s);
	}
}

static void
test_b64url_empty_input_decodes_to_empty(void **state)
{
	size_t		 n = 7;
	unsigned char	*p;

	(void)state;
	p = acme_b64url_decode("", 0, &n);
	assert_non_null(p);
	assert_int_equal(n, 0);
	assert_int_equal(p[0], '\0');
	free(p);
}

static void
test_b64url_padding_rejected(void **state)
{
	(void)state;
	assert_true(rejected("Zg=="));
	assert_true(rejected("Zg="));
	assert_true(rejected("Zm8="));
	assert_true(rejected("Zm9v===="));
	assert_true(rejected("===="));
}

static void
test_b64url_standard_alphabet_rejected(void **state)
{
	(void)state;
	assert_true(rejected("-_+/"));
	assert_true(rejected("ab+c"));
	assert_true(rejected("ab/c"));
}

static void
test_b64url_whitespace_rejected(void **state)
{
	(void)state;
	assert_true(rejected("Zm9v Ym"));
	assert_true(rejected("Zm9v\nYmFy"));
	assert_true(rejected("Zm9v\r\nYmFy"));
	assert_true(rejected("\tZm9v"));
	assert_true(rejected("Zm9v "));
}

static void
test_b64url_embedded_nul_rejected(void **state)
{
	unsigned char	*p;
	size_t		 n;

	(void)state;
	/* "Zm9v\0Zg": a C-string reader would stop at 4 valid characters. */
	p = acme_b64url_decode("Zm9v\0Zg", 7, &n);
	assert_null(p);
}

static void
test_b64url_length_1_mod_4_rejected(void **state)
{
	(void)state;
	assert_true(rejected("Z"));
	assert_true(rejected("Zm9vY"));
	assert_true(rejected("Zm9vYmFyZ"));
}

static void
test_b64url_nonzero_trailing_bits_rejected(void **state)
{
	(void)state;
	/* "AQA" and "AQB" would both read as 01 00 in a lax decoder (J12). */
	assert_false(rejected("AQA"));
	assert_true(rejected("AQB"));
	assert_true(rejected("AQD"));
	/* "Zg" is canonical for "f"; "Zh".."Zv" carry nonzero spare bits. */
	assert_false(rejected("Zg"));
	assert_true(rejected("Zh"));
	assert_true(rejected("Zv"));
}

static void
test_b64url_non_ascii_rejected(void **state)
{
	(void)state;
	assert_true(rejected("Zm9\xc3\xa9"));
	assert_true(rejected("Zm9\x80"));
	assert_true(rejected("Zm9\xff"));
}

static void
test_b64url_encode_buf_writes_nul_and_length(void **state)
{
	char	 out[8];
	size_t	 n;

	(void)state;
	memset(out, 'X', sizeof(out));
	n = acme_b64url_encode_buf((const unsigned char *)"fo", 2, out);
	assert_int_equal(n, 3);
	assert_string_equal(out, "Zm8");
}

static void
test_b64url_enclen_values_match(void **state)
{
	(void)state;
	assert_int_equal(acme_b64url_enclen(0), 0);
	assert_int_equal(acme_b64url_enclen(1), 2);
	assert_int_equal(acme_b64url_enclen(2), 3);
	assert_int_equal(acme_b64url_enclen(3), 4);
	assert_int_equal(acme_b64url_enclen(32), 43);
	assert_int_equal(acme_b64url_enclen(64), 86);
}

static void
test_b64url_decode_null_outlen_allowed(void **state)
{
	unsigned char	*p;

	(void)state;
	p = acme_b64url_decode("Zm9v", 4, NULL);
	assert_non_null(p);
	assert_memory_equal(p, "foo", 3);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_rfc4648_vectors_encode),
		cmocka_unit_test(test_b64url_rfc4648_vectors_decode),
		cmocka_unit_test(test_b64url_url_alphabet_encodes_dash_underscore),
		cmocka_unit_test(test_b64url_roundtrip_all_lengths_identity),
		cmocka_unit_test(test_b64url_empty_input_decodes_to_empty),
		cmocka_unit_test(test_b64url_padding_rejected),
		cmocka_unit_test(test_b64url_standard_alphabet_rejected),
		cmocka_unit_test(test_b64url_whitespace_rejected),
		cmocka_unit_test(test_b64url_embedded_nul_rejected),
		cmocka_unit_test(test_b64url_length_1_mod_4_rejected),
		cmocka_unit_test(test_b64url_nonzero_trailing_bits_rejected),
		cmocka_unit_test(test_b64url_non_ascii_rejected),
		cmocka_unit_test(test_b64url_encode_buf_writes_nul_and_length),
		cmocka_unit_test(test_b64url_enclen_values_match),
		cmocka_unit_test(test_b64url_decode_null_outlen_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
