/* test_challenge.c - tokens, IDs, key authorizations, dns-01 / tls-alpn-01 / http-01 checks (RFC 8555 §8, RFC 8737) */
/* SPDX-License-Identifier: MIT */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "acme/acme.h"
#include "acme/challenge.h"
#include "testutil.h"

#define TOKEN	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define THUMB	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static bool
is_b64url(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == strlen(s);
}

/* RFC 8555 §11.3: 128 bits, base64url, 22 characters. */
static void
test_challenge_token_is_22_b64url(void **state)
{
	char t[ACME_TOKEN_SIZE];

	(void)state;
	assert_int_equal(acme_challenge_token(t), 0);
	assert_int_equal(strlen(t), 22);
	assert_true(is_b64url(t));
}

static int
cmp_token(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * acme_random_bytes (random.c): draws of odd sizes across the per-thread
 * pool's refills, and one larger than it goes straight to getrandom; no
 * two 16-byte draws alike, none all zero (a pool handed out unfilled).
 */
static void
test_random_bytes_pool_draws_distinct(void **state)
{
	enum { N = 300 };
	unsigned char	 d[N][16], big[4096], zero[16] = { 0 };
	size_t		 i, j, nz = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		assert_int_equal(acme_random_bytes(d[i], i % 3 ? 16 : 7), 0);
		if (i % 3 == 0)		/* 7 of 16: the rest from the next */
			assert_int_equal(acme_random_bytes(d[i] + 7, 9), 0);
		assert_memory_not_equal(d[i], zero, sizeof(zero));
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			assert_memory_not_equal(d[i], d[j], sizeof(d[i]));
	assert_int_equal(acme_random_bytes(big, sizeof(big)), 0);
	for (i = 0; i < sizeof(big); i++)
		nz += big[i] != 0;
	assert_true(nz > sizeof(big) / 2);
}

/* HARDENING C08 (small): no repeats among many tokens and IDs. */
static void
test_challenge_tokens_distinct(void **state)
{
	enum { N = 2000 };
	char	(*t)[ACME_ID_SIZE];	/* IDs are the longer */
	size_t	 i;

	(void)state;
	t = calloc(N, sizeof(*t));
	assert_non_null(t);
	for (i = 0; i < N; i++)
		assert_int_equal(i % 2 ? acme_challenge_token(t[i]) :
		    acme_random_id(t[i]), 0);
	qsort(t, N, sizeof(*t), cmp_token);
	for (i = 1; i < N; i++)
		assert_string_not_equal(t[i - 1], t[i]);
	free(t);
}

/* The stamp's 7 characters back to milliseconds (ASCII-ordered alphabet). */
static uint64_t
stamp_ms(const char *id)
{
	static const char alpha[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
	    "abcdefghijklmnopqrstuvwxyz";
	uint64_t	ms = 0;

	for (int i = 0; i < ACME_ID_STAMP_LEN; i++)
		ms = ms << 6 | (uint64_t)(strchr(alpha, id[i]) - alpha);
	return ms;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * An ID is the clock's milliseconds in 7 sortable characters, then 22
 * base64url characters of 128 random bits (RFC 8555 §10.5, HARDENING Z04):
 * IDs made later sort later; two made in the same millisecond differ in
 * their random part.
 */
static void
test_challenge_random_id_stamp_then_128_bits(void **state)
{
	char		 a[ACME_ID_SIZE], b[ACME_ID_SIZE], c[ACME_ID_SIZE];
	uint64_t	 t0, t1;
	struct timespec	 pause = { 0, 3 * 1000 * 1000 };

	(void)state;
	t0 = now_ms();
	assert_int_equal(acme_random_id(a), 0);
	assert_int_equal(acme_random_id(b), 0);
	t1 = now_ms();
	assert_int_equal(strlen(a), ACME_ID_LEN);
	assert_int_equal(ACME_ID_LEN, ACME_ID_STAMP_LEN + 22);
	assert_true(is_b64url(a));
	assert_true(stamp_ms(a) >= t0 && stamp_ms(a) <= t1);
	assert_true(stamp_ms(b) >= stamp_ms(a) && stamp_ms(b) <= t1);
	/* The random parts differ, whatever the stamps. */
	assert_string_not_equal(a + ACME_ID_STAMP_LEN, b + ACME_ID_STAMP_LEN);
	nanosleep(&pause, NULL);
	assert_int_equal(acme_random_id(c), 0);
	assert_true(strcmp(a, c) < 0 && strcmp(b, c) < 0);
	assert_true(stamp_ms(c) >= stamp_ms(a) + 3);
}

/* RFC 8555 §8.1: token "." thumbprint */
static void
test_challenge_key_authz_joins_with_dot(void **state)
{
	char *ka;

	(void)state;
	ka = acme_challenge_key_authz(TOKEN, THUMB);
	assert_non_null(ka);
	assert_string_equal(ka, TOKEN "." THUMB);
	free(ka);
}

static void
test_challenge_key_authz_empty_part_null(void **state)
{
	(void)state;
	assert_null(acme_challenge_key_authz("", THUMB));
	assert_null(acme_challenge_key_authz(TOKEN, NULL));
}

/* RFC 8555 §8.4, computed independently with EVP_Digest + tu_b64url. */
static void
test_challenge_dns01_value_known_answer(void **state)
{
	const char	*ka = TOKEN "." THUMB;
	unsigned char	 d[32];
	unsigned int	 n = 0;
	char		 got[ACME_DNS01_VALUE_SIZE], *want;

	(void)state;
	assert_int_equal(EVP_Digest(ka, strlen(ka), d, &n, EVP_sha256(),
	    NULL), 1);
	want = tu_b64url(d, n);
	assert_non_null(want);
	assert_int_equal(acme_challenge_dns01_value(ka, got), 0);
	assert_string_equal(got, want);
	assert_int_equal(strlen(got), 43);
	free(want);
}

/* A fixed vector: base64url(SHA-256("abc")). */
static void
test_challenge_dns01_value_fixed_vector(void **state)
{
	char got[ACME_DNS01_VALUE_SIZE];

	(void)state;
	assert_int_equal(acme_challenge_dns01_value("abc", got), 0);
	assert_string_equal(got, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

/* RFC 8737 §3: extnValue = DER OCTET STRING (SIZE(32)) of the digest. */
static void
test_challenge_tlsalpn01_exact_der_ok(void **state)
{
	const char	*ka = TOKEN "." THUMB;
	unsigned char	 ext[34], d[32];
	unsigned int	 n = 0;

	(void)state;
	assert_int_equal(EVP_Digest(ka, strlen(ka), d, &n, EVP_sha256(),
	    NULL), 1);
	ext[0] = 0x04;
	ext[1] = 0x20;
	memcpy(ext + 2, d, 32);
	assert_true(acme_challenge_tlsalpn01_ext_ok(ext, sizeof(ext), ka));
	assert_int_equal(acme_challenge_tlsalpn01_digest(ka, d), 0);
	assert_memory_equal(d, ext + 2, 32);
}

static void
test_challenge_tlsalpn01_wrong_digest_rejected(void **state)
{
	const char	*ka = TOKEN "." THUMB;
	unsigned char	 ext[34];

	(void)state;
	ext[0] = 0x04;
	ext[1] = 0x20;
	assert_int_equal(acme_challenge_tlsalpn01_digest(ka, ext + 2), 0);
	ext[33] ^= 1;
	assert_false(acme_challenge_tlsalpn01_ext_ok(ext, sizeof(ext), ka));
}

static void
test_challenge_tlsalpn01_non_der_rejected(void **state)
{
	const char	*ka = TOKEN "." THUMB;
	unsigned char	 ext[40], d[32];

	(void)state;
	assert_int_equal(acme_challenge_tlsalpn01_digest(ka, d), 0);
	/* long-form length 0x81 0x20: BER, not DER */
	ext[0] = 0x04;
	ext[1] = 0x81;
	ext[2] = 0x20;
	memcpy(ext + 3, d, 32);
	assert_false(acme_challenge_tlsalpn01_ext_ok(ext, 35, ka));
	/* raw digest without the OCTET STRING wrapper */
	assert_false(acme_challenge_tlsalpn01_ext_ok(d, 32, ka));
	/* trailing byte */
	ext[0] = 0x04;
	ext[1] = 0x20;
	memcpy(ext + 2, d, 32);
	ext[34] = 0;
	assert_false(acme_challenge_tlsalpn01_ext_ok(ext, 35, ka));
	/* wrong tag (UTF8String) */
	ext[0] = 0x0c;
	assert_false(acme_challenge_tlsalpn01_ext_ok(ext, 34, ka));
}

/* RFC 8555 §8.3: trailing whitespace is ignored. */
static void
test_challenge_http01_trailing_ws_accepted(void **state)
{
	const char *ka = TOKEN "." THUMB;
	const char *body = TOKEN "." THUMB "\r\n \t";

	(void)state;
	assert_int_equal(acme_challenge_http01_check(ka, strlen(ka), ka), 0);
	assert_int_equal(acme_challenge_http01_check(body, strlen(body), ka),
	    0);
}

static void
test_challenge_http01_leading_ws_rejected(void **state)
{
	const char *ka = TOKEN "." THUMB;
	const char *body = " " TOKEN "." THUMB;

	(void)state;
	assert_int_equal(acme_challenge_http01_check(body, strlen(body), ka),
	    -1);
}

static void
test_challenge_http01_mismatch_rejected(void **state)
{
	const char	*ka = TOKEN "." THUMB;
	char		 body[128];

	(void)state;
	/* prefix only */
	assert_int_equal(acme_challenge_http01_check(ka, strlen(ka) - 1, ka),
	    -1);
	/* extra non-space byte */
	strcpy(body, ka);
	strcat(body, "x");
	assert_int_equal(acme_challenge_http01_check(body, strlen(body), ka),
	    -1);
	/* embedded NUL followed by the rest: length counts */
	memcpy(body, ka, strlen(ka));
	body[strlen(ka)] = '\0';
	body[strlen(ka) + 1] = 'x';
	assert_int_equal(acme_challenge_http01_check(body, strlen(ka) + 2, ka),
	    -1);
	assert_int_equal(acme_challenge_http01_check("", 0, ka), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge_token_is_22_b64url),
		cmocka_unit_test(test_challenge_tokens_distinct),
		cmocka_unit_test(test_random_bytes_pool_draws_distinct),
		cmocka_unit_test(test_challenge_random_id_stamp_then_128_bits),
		cmocka_unit_test(test_challenge_key_authz_joins_with_dot),
		cmocka_unit_test(test_challenge_key_authz_empty_part_null),
		cmocka_unit_test(test_challenge_dns01_value_known_answer),
		cmocka_unit_test(test_challenge_dns01_value_fixed_vector),
		cmocka_unit_test(test_challenge_tlsalpn01_exact_der_ok),
		cmocka_unit_test(test_challenge_tlsalpn01_wrong_digest_rejected),
		cmocka_unit_test(test_challenge_tlsalpn01_non_der_rejected),
		cmocka_unit_test(test_challenge_http01_trailing_ws_accepted),
		cmocka_unit_test(test_challenge_http01_leading_ws_rejected),
		cmocka_unit_test(test_challenge_http01_mismatch_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
