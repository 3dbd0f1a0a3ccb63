/* test_jwk.c - JWK import policy (HARDENING K07-K16), canonical export, RFC 7638 thumbprints */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "acme/b64url.h"
#include "acme/jwk.h"
#include "acme/keypolicy.h"
#include "testutil.h"

/* RFC 7638 §3.1 example key and thumbprint. */
#define RFC7638_N \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFF" \
	"xuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lq" \
	"t7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu" \
	"6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksI" \
	"NHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
#define RFC7638_TP	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
/* RFC 8037 §A.2/§A.3 Ed25519 public key and thumbprint. */
#define RFC8037_X	"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_TP	"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
/* RFC 7515 §A.3 P-256 public key. */
#define RFC7515_X	"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_Y	"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"

/* -1 if s imports (the key is freed), else the problem type. */
static int
import_result(const char *s)
{
	struct acme_problem	 prob;
	EVP_PKEY		*k;

	memset(&prob, 0, sizeof(prob));
	prob.type = ACME_P__MAX;
	if ((k = acme_jwk_import_str(s, strlen(s), &prob)) != NULL) {
		EVP_PKEY_free(k);
		return -1;
	}
	assert_int_not_equal(prob.type, ACME_P__MAX);
	assert_true(prob.detail[0] != '\0');
	return (int)prob.type;
}

/* printf into a static buffer, for JWK texts. */
static const char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *
fmt(const char *f, ...)
{
	static char	 buf[8192];
	va_list		 ap;

	va_start(ap, f);
	assert_true(vsnprintf(buf, sizeof(buf), f, ap) < (int)sizeof(buf));
	va_end(ap);
	return buf;
}

/* The JWK text of key with member `name` replaced by value (raw JSON). */
static char *
jwk_with(EVP_PKEY *key, const char *name, const char *rawvalue)
{
	json_t	*o, *v = NULL;
	char	*s;

	o = acme_jwk_export(key);
	assert_non_null(o);
	if (rawvalue != NULL) {
		v = json_loads(rawvalue, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		assert_int_equal(json_object_set_new(o, name, v), 0);
	} else
		json_object_del(o, name);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

/* An RSA JWK with the given modulus bytes and e = AQAB. */
static char *
rsa_jwk_bytes(const unsigned char *n, size_t len, const char *e)
{
	char	*nb, *s;
	size_t	 sz;

	nb = acme_b64url_encode(n, len);
	assert_non_null(nb);
	sz = strlen(nb) + strlen(e) + 64;
	s = malloc(sz);
	assert_non_null(s);
	snprintf(s, sz, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", nb, e);
	free(nb);
	return s;
}

/* A random odd modulus of exactly `bits` bits (bits % 8 may be != 0). */
static char *
rsa_jwk_random(int bits, const char *e)
{
	BIGNUM		*n;
	unsigned char	*buf;
	char		*s;
	int		 len;

	n = BN_new();
	assert_non_null(n);
	assert_int_equal(BN_rand(n, bits, BN_RAND_TOP_ONE,
	    BN_RAND_BOTTOM_ODD), 1);
	len = BN_num_bytes(n);
	buf = malloc((size_t)len);
	assert_non_null(buf);
	BN_bn2bin(n, buf);
	s = rsa_jwk_bytes(buf, (size_t)len, e);
	free(buf);
	BN_free(n);
	return s;
}

static void
test_jwk_rfc7638_vector_thumbprint_matches(void **state)
{
	struct acme_problem	 prob;
	const char		*s;
	EVP_PKEY		*k;
	char			 tp[ACME_THUMBPRINT_SIZE];

	(void)state;
	s = "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"}";
	k = acme_jwk_import_str(s, strlen(s), &prob);
	assert_non_null(k);
	assert_int_equal(acme_jwk_thumbprint(k, tp), 0);
	assert_string_equal(tp, RFC7638_TP);
	EVP_PKEY_free(k);
}

static void
test_jwk_rfc7638_extra_members_ignored_in_thumbprint(void **state)
{
	struct acme_problem	 prob;
	const char		*s;
	EVP_PKEY		*k;
	char			 tp[ACME_THUMBPRINT_SIZE];

	(void)state;
	/* The RFC's own example text: reordered, spaced, alg and kid. */
	s = "{ \"kid\" : \"2011-04-29\",\n \"e\":\"AQAB\", \"alg\": \"RS256\","
	    " \"n\":\"" RFC7638_N "\", \"kty\":\"RSA\", \"use\":\"sig\" }";
	k = acme_jwk_import_str(s, strlen(s), &prob);
	assert_non_null(k);
	assert_int_equal(acme_jwk_thumbprint(k, tp), 0);
	assert_string_equal(tp, RFC7638_TP);
	EVP_PKEY_free(k);
}

static void
test_jwk_rfc8037_ed25519_thumbprint_matches(void **state)
{
	struct acme_problem	 prob;
	const char		*s;
	EVP_PKEY		*k;
	char			 tp[ACME_THUMBPRINT_SIZE];
	char			*str;

	(void)state;
	s = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}";
	k = acme_jwk_import_str(s, strlen(s), &prob);
	assert_non_null(k);
	assert_int_equal(acme_jwk_thumbprint(k, tp), 0);
	assert_string_equal(tp, RFC8037_TP);
	str = acme_jwk_export_str(k);
	assert_string_equal(str,
	    "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" RFC8037_X "\"}");
	free(str);
	EVP_PKEY_free(k);
}

static void
test_jwk_rfc7515_ec_key_exports_canonically(void **state)
{
	struct acme_problem	 prob;
	const char		*s;
	EVP_PKEY		*k;
	char			*str;

	(void)state;
	s = "{\"y\":\"" RFC7515_Y "\",\"x\":\"" RFC7515_X "\",\"crv\":\"P-256\","
	    "\"kty\":\"EC\"}";
	k = acme_jwk_import_str(s, strlen(s), &prob);
	assert_non_null(k);
	str = acme_jwk_export_str(k);
	assert_string_equal(str, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""
	    RFC7515_X "\",\"y\":\"" RFC7515_Y "\"}");
	free(str);
	EVP_PKEY_free(k);
}

/* Export, import, compare: the imported key is the same public key. */
static void
roundtrip(EVP_PKEY *k, const char *alg)
{
	struct acme_problem	 prob;
	EVP_PKEY		*k2;
	char			*s, *s2;
	const char		*a = NULL;
	char			 tp[ACME_THUMBPRINT_SIZE], tp2[ACME_THUMBPRINT_SIZE];

	assert_non_null(k);
	s = acme_jwk_export_str(k);
	assert_non_null(s);
	k2 = acme_jwk_import_str(s, strlen(s), &prob);
	assert_non_null(k2);
	assert_true(acme_jwk_equal(k, k2));
	s2 = acme_jwk_export_str(k2);
	assert_string_equal(s, s2);
	assert_int_equal(acme_jwk_thumbprint(k, tp), 0);
	assert_int_equal(acme_jwk_thumbprint(k2, tp2), 0);
	assert_string_equal(tp, tp2);
	assert_int_equal(strlen(tp), 43);
	assert_int_equal(acme_jwk_alg_for_key(k2, &a), 0);
	assert_string_equal(a, alg);
	free(s);
	free(s2);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k);
}

static void
test_jwk_roundtrip_p256_same_key(void **state)
{
	(void)state;
	roundtrip(tu_key_ec256(), "ES256");
}

static void
test_jwk_roundtrip_p384_same_key(void **state)
{
	(void)state;
	roundtrip(tu_key_ec384(), "ES384");
}

static void
test_jwk_roundtrip_p521_same_key(void **state)
{
	(void)state;
	roundtrip(tu_key_ec521(), "ES512");
}

static void
test_jwk_roundtrip_ed25519_same_key(void **state)
{
	(void)state;
	roundtrip(tu_key_ed25519(), "EdDSA");
}

static void
test_jwk_roundtrip_rsa2048_same_key(void **state)
{
	(void)state;
	roundtrip(tu_key_rsa(2048), "RS256");
}

static void
test_jwk_roundtrip_rsa4096_same_key(void **state)
{
	(void)state;
	roundtrip(tu_key_rsa(4096), "RS256");
}

static void
test_jwk_export_str_rsa_canonical_form(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(2048);
	char		*s;

	(void)state;
	s = acme_jwk_export_str(k);
	assert_non_null(s);
	assert_int_equal(strncmp(s, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"",
	    29), 0);
	assert_null(strchr(s, ' '));
	assert_null(strchr(s, '\n'));
	/* 2048 bits = 256 octets = 342 base64url characters, minimal. */
	assert_int_equal(strlen(s), 29 + 342 + 2);
	free(s);
	EVP_PKEY_free(k);
}

static void
test_jwk_export_ec_pads_coordinates_full_length(void **state)
{
	EVP_PKEY	*k = NULL;
	json_t		*o;
	unsigned char	*x = NULL;
	size_t		 xlen = 0;
	int		 i;

	(void)state;
	/* Find a key whose x starts with a zero octet (p = 1/256 each). */
	for (i = 0; i < 5000; i++) {
		k = tu_key_ec256();
		assert_non_null(k);
		o = acme_jwk_export(k);
		assert_non_null(o);
		x = acme_b64url_decode(json_string_value(json_object_get(o,
		    "x")), strlen(json_string_value(json_object_get(o, "x"))),
		    &xlen);
		json_decref(o);
		assert_non_null(x);
		assert_int_equal(xlen, 32);
		if (x[0] == 0)
			break;
		free(x);
		x = NULL;
		EVP_PKEY_free(k);
		k = NULL;
	}
	assert_non_null(x);	/* found one; and it kept 32 octets */
	assert_int_equal(x[0], 0);
	roundtrip(k, "ES256");
	free(x);
}

static void
test_jwk_export_ec_compressed_form_same_jwk(void **state)
{
	EVP_PKEY	*k;
	unsigned char	 pt[1 + 2 * 66];
	size_t		 len = 0;
	char		*before, *after, tp1[ACME_THUMBPRINT_SIZE],
			 tp2[ACME_THUMBPRINT_SIZE];

	(void)state;
	/*
	 * A key switched to compressed form (SEC 1 §2.3.3) exports the same
	 * RFC 7638 members: whichever form OpenSSL encodes the point in, x
	 * and y come out full-length (from the point, or the BIGNUMs).
	 */
	k = tu_key_ec256();
	assert_non_null(k);
	before = acme_jwk_export_str(k);
	assert_non_null(before);
	assert_int_equal(acme_jwk_thumbprint(k, tp1), 0);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len), 1);
	assert_true(len == 33 || len == 65);
	after = acme_jwk_export_str(k);
	assert_non_null(after);
	assert_string_equal(before, after);
	assert_int_equal(acme_jwk_thumbprint(k, tp2), 0);
	assert_string_equal(tp1, tp2);
	free(before);
	free(after);
	EVP_PKEY_free(k);
}

static void
test_jwk_export_unsupported_key_null(void **state)
{
	EVP_PKEY	*k;
	char		 tp[ACME_THUMBPRINT_SIZE];
	const char	*alg = NULL;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	assert_non_null(k);
	assert_null(acme_jwk_export(k));
	assert_null(acme_jwk_export_str(k));
	assert_int_equal(acme_jwk_thumbprint(k, tp), -1);
	assert_int_equal(acme_jwk_alg_for_key(k, &alg), -1);
	EVP_PKEY_free(k);
	assert_null(acme_jwk_export(NULL));
	assert_int_equal(acme_jwk_alg_for_key(NULL, &alg), -1);
}

static void
test_jwk_export_secp256k1_key_null(void **state)
{
	EVP_PKEY	*k;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	assert_non_null(k);
	assert_null(acme_jwk_export(k));
	EVP_PKEY_free(k);
}

static void
test_jwk_equal_distinguishes_keys(void **state)
{
	EVP_PKEY	*a = tu_key_ec256(), *b = tu_key_ec256();
	EVP_PKEY	*c = tu_key_ed25519();

	(void)state;
	assert_true(acme_jwk_equal(a, a));
	assert_false(acme_jwk_equal(a, b));
	assert_false(acme_jwk_equal(a, c));
	assert_false(acme_jwk_equal(a, NULL));
	assert_false(acme_jwk_equal(NULL, NULL));
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
}

static void
test_jwk_duplicate_member_malformed(void **state)
{
	(void)state;
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"" RFC8037_X "\",\"x\":\"" RFC8037_X "\"}"),
	    ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"EC\",\"kty\":\"OKP\","
	    "\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}"), ACME_P_MALFORMED);
}

static void
test_jwk_invalid_json_malformed(void **state)
{
	struct acme_problem	 prob;

	(void)state;
	assert_int_equal(import_result("{\"kty\":"), ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"" RFC8037_X "\"} x"), ACME_P_MALFORMED);
	assert_int_equal(import_result("[]"), ACME_P_MALFORMED);
	assert_int_equal(import_result("\"x\""), ACME_P_MALFORMED);
	assert_int_equal(import_result(""), ACME_P_MALFORMED);
	assert_null(acme_jwk_import_str(NULL, 0, &prob));
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_null(acme_jwk_import(NULL, &prob));
	assert_int_equal(prob.type, ACME_P_MALFORMED);
}

static void
test_jwk_kty_missing_or_not_string_malformed(void **state)
{
	(void)state;
	assert_int_equal(import_result("{\"crv\":\"Ed25519\",\"x\":\""
	    RFC8037_X "\"}"), ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":1,\"crv\":\"Ed25519\","
	    "\"x\":\"" RFC8037_X "\"}"), ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"OK\\u0000P\"}"),
	    ACME_P_MALFORMED);
}

static void
test_jwk_kty_oct_or_unknown_badpublickey(void **state)
{
	(void)state;
	/* K08 */
	assert_int_equal(import_result("{\"kty\":\"oct\",\"k\":\"AAAA\"}"),
	    ACME_P_BADPUBLICKEY);
	assert_int_equal(import_result("{\"kty\":\"XYZ\"}"),
	    ACME_P_BADPUBLICKEY);
	assert_int_equal(import_result("{\"kty\":\"ec\",\"crv\":\"P-256\","
	    "\"x\":\"" RFC7515_X "\",\"y\":\"" RFC7515_Y "\"}"),
	    ACME_P_BADPUBLICKEY);
}

static void
test_jwk_private_members_malformed(void **state)
{
	static const char *const members[] = {
	    "d", "p", "q", "dp", "dq", "qi", "oth" };
	EVP_PKEY	*ec = tu_key_ec256(), *rsa = tu_key_rsa(2048);
	EVP_PKEY	*ed = tu_key_ed25519();
	char		*s;
	size_t		 i;

	(void)state;
	/* K16: never accept private key material. */
	s = jwk_with(ec, "d", "\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(ed, "d", "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		s = jwk_with(rsa, members[i], "\"AQAB\"");
		assert_int_equal(import_result(s), ACME_P_MALFORMED);
		free(s);
	}
	/* Even when the private member is null or not a string. */
	s = jwk_with(ec, "d", "null");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

static void
test_jwk_rsa_1024_and_512_badpublickey(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(1024);
	char		*s;

	(void)state;
	/* K09, with a real 1024-bit key and a crafted 512-bit modulus. */
	s = acme_jwk_export_str(k);
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	s = rsa_jwk_random(512, "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	EVP_PKEY_free(k);
}

/* The --weak-keys test knob (issue #15): 1024 bits only while it is on. */
static void
test_jwk_weak_keys_knob_rsa_1024_only_while_on(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(1024);
	char		*s, *s512;

	(void)state;
	assert_non_null(k);
	s = acme_jwk_export_str(k);
	s512 = rsa_jwk_random(512, "AQAB");
	assert_false(acme_keypolicy_weak());
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	acme_keypolicy_set_weak(true);
	assert_int_equal(import_result(s), -1);
	/* below 1024 stays refused */
	assert_int_equal(import_result(s512), ACME_P_BADPUBLICKEY);
	acme_keypolicy_set_weak(false);
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	free(s512);
	EVP_PKEY_free(k);
}

static void
test_jwk_rsa_over_4096_badpublickey(void **state)
{
	char	*s;

	(void)state;
	/* K10: refused on size alone; no key is built for these. */
	s = rsa_jwk_random(4104, "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	s = rsa_jwk_random(8192, "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	s = rsa_jwk_random(16384, "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
}

static void
test_jwk_rsa_size_not_multiple_of_8_badpublickey(void **state)
{
	char	*s;

	(void)state;
	s = rsa_jwk_random(2047, "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	s = rsa_jwk_random(2049, "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
}

static void
test_jwk_rsa_bad_exponent_badpublickey(void **state)
{
	char	*s, *e;
	unsigned char big[126];

	(void)state;
	/* K11: e = 1, 3, 65538 (even), 2^1000+1 */
	s = rsa_jwk_random(2048, "AQ");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	s = rsa_jwk_random(2048, "Aw");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	s = rsa_jwk_random(2048, "AQAC");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	memset(big, 0, sizeof(big));
	big[0] = 0x01;		/* 2^1000 needs 126 octets: 0x01 then zeros */
	big[sizeof(big) - 1] = 0x01;
	e = acme_b64url_encode(big, sizeof(big));
	s = rsa_jwk_random(2048, e);
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	free(e);
}

/*
 * K11 with a real modulus: a random one already fails the small-factor
 * check, so only a key that passes every other check shows that the
 * exponent is checked (issue #12 item 17: jwk-rsa-any-exponent).
 */
static void
test_jwk_rsa_real_modulus_bad_exponent_badpublickey(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(2048);
	const char	*bad[] = { "\"AQ\"", "\"Aw\"", "\"AQAC\"",
	    "\"AQAAAQ\"" };	/* 1, 3, 65538, 2^24+1 */
	char		*s;

	(void)state;
	s = jwk_with(k, "e", "\"AQAB\"");	/* 65537: the control */
	assert_int_equal(import_result(s), -1);
	free(s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = jwk_with(k, "e", bad[i]);
		assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
		free(s);
	}
	EVP_PKEY_free(k);
}

static void
test_jwk_rsa_nonminimal_e_malformed(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(2048);
	char		*s;

	(void)state;
	/* K12: 00 01 00 01 */
	s = jwk_with(k, "e", "\"AAEAAQ\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	EVP_PKEY_free(k);
}

static void
test_jwk_rsa_n_leading_zero_malformed(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(2048);
	json_t		*o;
	unsigned char	*n, *n2;
	size_t		 nlen;
	char		*nb, *s;
	const char	*ns;

	(void)state;
	/* K12 / RFC 7518 §6.3.1.1: the same modulus with a 0x00 prefix. */
	o = acme_jwk_export(k);
	ns = json_string_value(json_object_get(o, "n"));
	n = acme_b64url_decode(ns, strlen(ns), &nlen);
	assert_non_null(n);
	n2 = calloc(1, nlen + 1);
	assert_non_null(n2);
	memcpy(n2 + 1, n, nlen);
	nb = acme_b64url_encode(n2, nlen + 1);
	json_object_set_new(o, "n", json_string(nb));
	s = json_dumps(o, JSON_COMPACT);
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	free(nb);
	free(n2);
	free(n);
	json_decref(o);
	EVP_PKEY_free(k);
}

static void
test_jwk_rsa_even_modulus_badpublickey(void **state)
{
	unsigned char	 n[256];
	char		*s;

	(void)state;
	assert_int_equal(RAND_bytes(n, sizeof(n)), 1);
	n[0] |= 0x80;
	n[255] &= 0xfe;
	s = rsa_jwk_bytes(n, sizeof(n), "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
}

static void
test_jwk_rsa_small_factor_badpublickey(void **state)
{
	BIGNUM		*r = BN_new(), *n = BN_new();
	BN_CTX		*ctx = BN_CTX_new();
	unsigned char	 buf[256];
	char		*s;

	(void)state;
	/* n = 997 * r, odd and exactly 2048 bits. */
	assert_int_equal(BN_rand(r, 2038, BN_RAND_TOP_TWO,
	    BN_RAND_BOTTOM_ODD), 1);
	assert_int_equal(BN_mul_word(r, 997), 1);
	BN_copy(n, r);
	assert_int_equal(BN_num_bits(n), 2048);
	assert_int_equal(BN_bn2binpad(n, buf, sizeof(buf)), 256);
	s = rsa_jwk_bytes(buf, sizeof(buf), "AQAB");
	assert_int_equal(import_result(s), ACME_P_BADPUBLICKEY);
	free(s);
	BN_free(r);
	BN_free(n);
	BN_CTX_free(ctx);
}

static void
test_jwk_rsa_missing_or_bad_members_malformed(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(2048);
	char		*s;

	(void)state;
	s = jwk_with(k, "n", NULL);
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(k, "e", NULL);
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(k, "n", "12345");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(k, "e", "\"AQAB=\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(k, "e", "\"\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	EVP_PKEY_free(k);
}

static void
test_jwk_rsa_alg_member_must_match(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(2048);
	char		*s;

	(void)state;
	s = jwk_with(k, "alg", "\"RS256\"");
	assert_int_equal(import_result(s), -1);
	free(s);
	s = jwk_with(k, "alg", "\"PS256\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(k, "alg", "\"HS256\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	EVP_PKEY_free(k);
}

static void
test_jwk_ec_alg_member_must_match(void **state)
{
	EVP_PKEY	*k = tu_key_ec256();
	char		*s;

	(void)state;
	/* K07 */
	s = jwk_with(k, "alg", "\"ES256\"");
	assert_int_equal(import_result(s), -1);
	free(s);
	s = jwk_with(k, "alg", "\"ES384\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(k, "alg", "\"HS256\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	s = jwk_with(k, "alg", "[\"ES256\"]");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	EVP_PKEY_free(k);
}

static void
test_jwk_use_enc_malformed(void **state)
{
	EVP_PKEY	*k = tu_key_ec256();
	char		*s;

	(void)state;
	s = jwk_with(k, "use", "\"sig\"");
	assert_int_equal(import_result(s), -1);
	free(s);
	s = jwk_with(k, "use", "\"enc\"");
	assert_int_equal(import_result(s), ACME_P_MALFORMED);
	free(s);
	EVP_PKEY_free(k);
}

static void
test_jwk_ec_unknown_curve_badpublickey(void **state)
{
	(void)state;
	/* K15 */
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"%s\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", "secp256k1", RFC7515_X, RFC7515_Y)),
	    ACME_P_BADPUBLICKEY);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"%s\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", "P-192", RFC7515_X, RFC7515_Y)),
	    ACME_P_BADPUBLICKEY);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"%s\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", "brainpoolP256r1", RFC7515_X,
	    RFC7515_Y)), ACME_P_BADPUBLICKEY);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"%s\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", "p-256", RFC7515_X, RFC7515_Y)),
	    ACME_P_BADPUBLICKEY);
}

static void
test_jwk_ec_crv_missing_malformed(void **state)
{
	(void)state;
	assert_int_equal(import_result("{\"kty\":\"EC\",\"x\":\"" RFC7515_X
	    "\",\"y\":\"" RFC7515_Y "\"}"), ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"EC\",\"crv\":256,\"x\":\""
	    RFC7515_X "\",\"y\":\"" RFC7515_Y "\"}"), ACME_P_MALFORMED);
}

static void
test_jwk_ec_short_or_long_coordinate_malformed(void **state)
{
	unsigned char	 c[33];
	char		*b;

	(void)state;
	/* K14: a 31-octet x (leading zero stripped), a 33-octet y. */
	memset(c, 0x11, sizeof(c));
	b = acme_b64url_encode(c, 31);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", b, RFC7515_Y)), ACME_P_MALFORMED);
	free(b);
	b = acme_b64url_encode(c, 33);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", RFC7515_X, b)), ACME_P_MALFORMED);
	free(b);
	assert_int_equal(import_result("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"" RFC7515_X "\"}"), ACME_P_MALFORMED);
}

static void
test_jwk_ec_point_off_curve_badpublickey(void **state)
{
	unsigned char	*y;
	size_t		 ylen;
	char		*b;

	(void)state;
	/* K13: the RFC 7515 point with y changed by one. */
	y = acme_b64url_decode(RFC7515_Y, strlen(RFC7515_Y), &ylen);
	y[31] ^= 1;
	b = acme_b64url_encode(y, ylen);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", RFC7515_X, b)), ACME_P_BADPUBLICKEY);
	free(b);
	free(y);
}

static void
test_jwk_ec_zero_point_badpublickey(void **state)
{
	unsigned char	 z[32] = {0};
	char		*b;

	(void)state;
	/* (0, 0): what an "infinity" point looks like in affine JWK form. */
	b = acme_b64url_encode(z, sizeof(z));
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", b, b)), ACME_P_BADPUBLICKEY);
	free(b);
}

/*
 * A P-256 point (x0, y0) with x0 < 2^256 - p, so that x0 + p still fits
 * in 32 octets: a lax decoder reducing mod p would accept x0 + p.
 */
static void
test_jwk_ec_x_not_reduced_badpublickey(void **state)
{
	EC_GROUP	*g;
	BIGNUM		*p, *a, *b, *x, *rhs, *y, *t, *lim;
	BN_CTX		*ctx;
	unsigned char	 xb[32], yb[32];
	char		*xs, *ys;
	unsigned long	 x0;

	(void)state;
	g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	ctx = BN_CTX_new();
	p = BN_new(); a = BN_new(); b = BN_new(); x = BN_new();
	rhs = BN_new(); y = BN_new(); t = BN_new(); lim = BN_new();
	assert_non_null(lim);
	assert_int_equal(EC_GROUP_get_curve(g, p, a, b, ctx), 1);
	for (x0 = 1; x0 < 1000; x0++) {
		/* rhs = x^3 + a x + b mod p */
		BN_set_word(x, x0);
		BN_mod_sqr(t, x, p, ctx);
		BN_mod_mul(rhs, t, x, p, ctx);
		BN_mod_mul(t, a, x, p, ctx);
		BN_mod_add(rhs, rhs, t, p, ctx);
		BN_mod_add(rhs, rhs, b, p, ctx);
		if (BN_mod_sqrt(y, rhs, p, ctx) == NULL)
			continue;
		BN_mod_sqr(t, y, p, ctx);
		if (BN_cmp(t, rhs) == 0)
			break;
	}
	assert_true(x0 < 1000);
	/* Control: (x0, y0) itself is a valid key. */
	BN_bn2binpad(x, xb, 32);
	BN_bn2binpad(y, yb, 32);
	xs = acme_b64url_encode(xb, 32);
	ys = acme_b64url_encode(yb, 32);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", xs, ys)), -1);
	free(xs);
	/* Now x0 + p: same point mod p, not a canonical coordinate. */
	BN_add(x, x, p);
	assert_int_equal(BN_num_bytes(x), 32);
	BN_bn2binpad(x, xb, 32);
	xs = acme_b64url_encode(xb, 32);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", xs, ys)), ACME_P_BADPUBLICKEY);
	/* And x = p exactly. */
	BN_bn2binpad(p, xb, 32);
	free(xs);
	xs = acme_b64url_encode(xb, 32);
	assert_int_equal(import_result(fmt("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"%s\",\"y\":\"%s\"}", xs, ys)), ACME_P_BADPUBLICKEY);
	free(xs);
	free(ys);
	BN_free(p); BN_free(a); BN_free(b); BN_free(x);
	BN_free(rhs); BN_free(y); BN_free(t); BN_free(lim);
	BN_CTX_free(ctx);
	EC_GROUP_free(g);
}

static void
test_jwk_okp_other_curves_badpublickey(void **state)
{
	(void)state;
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"X25519\","
	    "\"x\":\"" RFC8037_X "\"}"), ACME_P_BADPUBLICKEY);
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"Ed448\","
	    "\"x\":\"" RFC8037_X "\"}"), ACME_P_BADPUBLICKEY);
}

static void
test_jwk_okp_bad_x_malformed(void **state)
{
	(void)state;
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"" RFC7515_X "AA\"}"), ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"AAAA\"}"), ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}"),
	    ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"x\":\"" RFC8037_X
	    "\"}"), ACME_P_MALFORMED);
	assert_int_equal(import_result("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"alg\":\"ES256\",\"x\":\"" RFC8037_X "\"}"), ACME_P_MALFORMED);
}

/* Jansson allocator that fails the n-th allocation. */
static long	 fail_at = -1;
static long	 nalloc;

static void *
failing_malloc(size_t n)
{
	if (fail_at >= 0 && nalloc++ == fail_at)
		return NULL;
	return malloc(n);
}

static void
test_jwk_import_alloc_failures_handled(void **state)
{
	struct acme_problem	 prob;
	EVP_PKEY		*k = NULL;
	const char		*s;
	long			 i;

	(void)state;
	s = "{\"kid\":\"x\",\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\","
	    "\"e\":\"AQAB\",\"alg\":\"RS256\"}";
	json_set_alloc_funcs(failing_malloc, free);
	for (i = 0; i < 500 && k == NULL; i++) {
		fail_at = i;
		nalloc = 0;
		k = acme_jwk_import_str(s, strlen(s), &prob);
		/*
		 * Jansson reports most allocation failures as syntax
		 * errors, so malformed is acceptable; what matters is a
		 * clean failure (ASan/LSan) with a filled problem.
		 */
		if (k == NULL)
			assert_true(prob.type == ACME_P_SERVERINTERNAL ||
			    prob.type == ACME_P_MALFORMED);
	}
	fail_at = -1;
	json_set_alloc_funcs(malloc, free);
	assert_non_null(k);
	assert_true(i > 1);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwk_rfc7638_vector_thumbprint_matches),
		cmocka_unit_test(test_jwk_rfc7638_extra_members_ignored_in_thumbprint),
		cmocka_unit_test(test_jwk_rfc8037_ed25519_thumbprint_matches),
		cmocka_unit_test(test_jwk_rfc7515_ec_key_exports_canonically),
		cmocka_unit_test(test_jwk_roundtrip_p256_same_key),
		cmocka_unit_test(test_jwk_roundtrip_p384_same_key),
		cmocka_unit_test(test_jwk_roundtrip_p521_same_key),
		cmocka_unit_test(test_jwk_roundtrip_ed25519_same_key),
		cmocka_unit_test(test_jwk_roundtrip_rsa2048_same_key),
		cmocka_unit_test(test_jwk_roundtrip_rsa4096_same_key),
		cmocka_unit_test(test_jwk_export_str_rsa_canonical_form),
		cmocka_unit_test(test_jwk_export_ec_pads_coordinates_full_length),
		cmocka_unit_test(test_jwk_export_ec_compressed_form_same_jwk),
		cmocka_unit_test(test_jwk_export_unsupported_key_null),
		cmocka_unit_test(test_jwk_export_secp256k1_key_null),
		cmocka_unit_test(test_jwk_equal_distinguishes_keys),
		cmocka_unit_test(test_jwk_duplicate_member_malformed),
		cmocka_unit_test(test_jwk_invalid_json_malformed),
		cmocka_unit_test(test_jwk_kty_missing_or_not_string_malformed),
		cmocka_unit_test(test_jwk_kty_oct_or_unknown_badpublickey),
		cmocka_unit_test(test_jwk_private_members_malformed),
		cmocka_unit_test(test_jwk_rsa_1024_and_512_badpublickey),
		cmocka_unit_test(test_jwk_weak_keys_knob_rsa_1024_only_while_on),
		cmocka_unit_test(test_jwk_rsa_over_4096_badpublickey),
		cmocka_unit_test(test_jwk_rsa_size_not_multiple_of_8_badpublickey),
		cmocka_unit_test(test_jwk_rsa_bad_exponent_badpublickey),
		cmocka_unit_test(test_jwk_rsa_real_modulus_bad_exponent_badpublickey),
		cmocka_unit_test(test_jwk_rsa_nonminimal_e_malformed),
		cmocka_unit_test(test_jwk_rsa_n_leading_zero_malformed),
		cmocka_unit_test(test_jwk_rsa_even_modulus_badpublickey),
		cmocka_unit_test(test_jwk_rsa_small_factor_badpublickey),
		cmocka_unit_test(test_jwk_rsa_missing_or_bad_members_malformed),
		cmocka_unit_test(test_jwk_rsa_alg_member_must_match),
		cmocka_unit_test(test_jwk_ec_alg_member_must_match),
		cmocka_unit_test(test_jwk_use_enc_malformed),
		cmocka_unit_test(test_jwk_ec_unknown_curve_badpublickey),
		cmocka_unit_test(test_jwk_ec_crv_missing_malformed),
		cmocka_unit_test(test_jwk_ec_short_or_long_coordinate_malformed),
		cmocka_unit_test(test_jwk_ec_point_off_curve_badpublickey),
		cmocka_unit_test(test_jwk_ec_zero_point_badpublickey),
		cmocka_unit_test(test_jwk_ec_x_not_reduced_badpublickey),
		cmocka_unit_test(test_jwk_okp_other_curves_badpublickey),
		cmocka_unit_test(test_jwk_okp_bad_x_malformed),
		cmocka_unit_test(test_jwk_import_alloc_failures_handled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
