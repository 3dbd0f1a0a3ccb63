/* test_eab.c - acme/eab.c: the external account binding's inner JWS (RFC 8555 §7.3.4, HARDENING E01-E06) */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "acme/eab.h"
#include "acme/problem.h"
#include "testutil.h"

#define URL	"https://localhost:8555/acme/new-account"

static const unsigned char key1[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[32] = "fedcba9876543210fedcba9876543210";

struct fx {
	EVP_PKEY	*acct;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->acct = tu_key_ec256());
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	EVP_PKEY_free(f->acct);
	free(f);
	return 0;
}

/* A binding over jwk(payload_key) with header hdr, MAC'd with mk. */
static json_t *
binding(EVP_PKEY *payload_key, const char *hdr, const unsigned char *mk)
{
	char	*jwk = tu_jwk_str(payload_key), *body;
	json_t	*j;

	assert_non_null(jwk);
	assert_non_null(body = tu_jws_sign_hmac(mk, 32, hdr, jwk));
	assert_non_null(j = json_loads(body, 0, NULL));
	free(body);
	free(jwk);
	return j;
}

static void
parse_fails(struct fx *f, json_t *j, enum acme_ptype want)
{
	struct acme_eab		 e;
	struct acme_problem	 p;

	memset(&e, 0, sizeof(e));
	memset(&p, 0, sizeof(p));
	assert_int_equal(acme_eab_parse(j, URL, f->acct, &e, &p), -1);
	assert_int_equal(p.type, want);
	assert_null(e.signing_input);
	json_decref(j);
}

static void
test_eab_good_binding_verifies(void **state)
{
	struct fx		*f = *state;
	struct acme_eab		 e;
	struct acme_problem	 p;
	json_t			*j = binding(f->acct, "{\"alg\":\"HS256\","
	    "\"kid\":\"k1\",\"url\":\"" URL "\"}", key1);

	memset(&e, 0, sizeof(e));
	assert_int_equal(acme_eab_parse(j, URL, f->acct, &e, &p), 0);
	assert_string_equal(e.kid, "k1");
	assert_string_equal(e.alg, "HS256");
	assert_int_equal(acme_eab_verify(&e, key1, sizeof(key1), &p), 0);
	acme_eab_clear(&e);
	json_decref(j);
}

static void
test_eab_mac_over_wrong_key_is_unauthorized(void **state)
{
	struct fx		*f = *state;
	struct acme_eab		 e;
	struct acme_problem	 p;
	json_t			*j = binding(f->acct, "{\"alg\":\"HS256\","
	    "\"kid\":\"k1\",\"url\":\"" URL "\"}", key2);

	memset(&e, 0, sizeof(e));
	assert_int_equal(acme_eab_parse(j, URL, f->acct, &e, &p), 0);
	assert_int_equal(acme_eab_verify(&e, key1, sizeof(key1), &p), -1);
	assert_int_equal(p.type, ACME_P_UNAUTHORIZED);
	assert_int_equal(p.status, 403);
	acme_eab_clear(&e);
	json_decref(j);
}

static void
test_eab_alg_declared_hs384_with_hs256_mac_is_malformed(void **state)
{
	struct fx *f = *state;

	/* The MAC is HS256-sized (32), the header says HS384 (48). */
	parse_fails(f, binding(f->acct, "{\"alg\":\"HS384\",\"kid\":\"k1\","
	    "\"url\":\"" URL "\"}", key1), ACME_P_MALFORMED);
}

static void
test_eab_signature_alg_is_malformed(void **state)
{
	struct fx *f = *state;

	/* E02: ES256 is not a MAC algorithm. */
	parse_fails(f, binding(f->acct, "{\"alg\":\"ES256\",\"kid\":\"k1\","
	    "\"url\":\"" URL "\"}", key1), ACME_P_MALFORMED);
}

static void
test_eab_with_nonce_is_malformed(void **state)
{
	struct fx *f = *state;

	/* E03: the binding MUST NOT carry a nonce. */
	parse_fails(f, binding(f->acct, "{\"alg\":\"HS256\",\"kid\":\"k1\","
	    "\"nonce\":\"abc\",\"url\":\"" URL "\"}", key1), ACME_P_MALFORMED);
}

static void
test_eab_other_url_is_malformed(void **state)
{
	struct fx *f = *state;

	/* E04 */
	parse_fails(f, binding(f->acct, "{\"alg\":\"HS256\",\"kid\":\"k1\","
	    "\"url\":\"https://localhost:8555/acme/new-order\"}", key1),
	    ACME_P_MALFORMED);
}

static void
test_eab_payload_other_key_is_malformed(void **state)
{
	struct fx	*f = *state;
	EVP_PKEY	*other = tu_key_ec256();

	/* E05: the payload must be the outer account key. */
	parse_fails(f, binding(other, "{\"alg\":\"HS256\",\"kid\":\"k1\","
	    "\"url\":\"" URL "\"}", key1), ACME_P_MALFORMED);
	EVP_PKEY_free(other);
}

static void
test_eab_missing_or_bad_kid_is_malformed(void **state)
{
	struct fx *f = *state;

	parse_fails(f, binding(f->acct, "{\"alg\":\"HS256\",\"url\":\"" URL
	    "\"}", key1), ACME_P_MALFORMED);
	parse_fails(f, binding(f->acct, "{\"alg\":\"HS256\",\"kid\":\"a/b\","
	    "\"url\":\"" URL "\"}", key1), ACME_P_MALFORMED);
}

static void
test_eab_extra_member_is_malformed(void **state)
{
	struct fx	*f = *state;
	json_t		*j = binding(f->acct, "{\"alg\":\"HS256\",\"kid\":\"k1\","
	    "\"url\":\"" URL "\"}", key1);

	json_object_set_new(j, "header", json_object());
	parse_fails(f, j, ACME_P_MALFORMED);
}

static void
test_eab_not_an_object_is_malformed(void **state)
{
	struct fx *f = *state;

	parse_fails(f, json_string("eab"), ACME_P_MALFORMED);
}

static void
test_eab_hs512_binding_verifies(void **state)
{
	struct fx		*f = *state;
	struct acme_eab		 e;
	struct acme_problem	 p;
	unsigned char		 mac[64];
	size_t			 maclen = 0;
	char			*jwk = tu_jwk_str(f->acct), *ph, *py, *in, *sig;
	char			*body;
	json_t			*j;

	assert_non_null(jwk);
	ph = tu_b64url_str("{\"alg\":\"HS512\",\"kid\":\"k5\",\"url\":\""
	    URL "\"}");
	py = tu_b64url_str(jwk);
	assert_non_null(in = malloc(strlen(ph) + strlen(py) + 2));
	sprintf(in, "%s.%s", ph, py);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA512", NULL, key1,
	    sizeof(key1), (unsigned char *)in, strlen(in), mac, sizeof(mac),
	    &maclen));
	sig = tu_b64url(mac, maclen);
	assert_non_null(body = tu_jws_body(ph, py, sig));
	assert_non_null(j = json_loads(body, 0, NULL));
	memset(&e, 0, sizeof(e));
	assert_int_equal(acme_eab_parse(j, URL, f->acct, &e, &p), 0);
	assert_string_equal(e.alg, "HS512");
	assert_int_equal(acme_eab_verify(&e, key1, sizeof(key1), &p), 0);
	assert_int_equal(acme_eab_verify(&e, key2, sizeof(key2), &p), -1);
	assert_int_equal(p.type, ACME_P_UNAUTHORIZED);
	acme_eab_clear(&e);
	json_decref(j);
	free(body);
	free(sig);
	free(in);
	free(py);
	free(ph);
	free(jwk);
}

static void
test_eab_kid_ok_rules(void **state)
{
	char long_kid[80];

	(void)state;
	memset(long_kid, 'a', sizeof(long_kid) - 1);
	long_kid[sizeof(long_kid) - 1] = '\0';
	assert_true(acme_eab_kid_ok("kid-AZ_09.x"));
	assert_false(acme_eab_kid_ok(""));
	assert_false(acme_eab_kid_ok("a b"));
	assert_false(acme_eab_kid_ok(long_kid));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_eab_good_binding_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_mac_over_wrong_key_is_unauthorized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_alg_declared_hs384_with_hs256_mac_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_signature_alg_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_with_nonce_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_other_url_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_payload_other_key_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_missing_or_bad_kid_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_extra_member_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_not_an_object_is_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_hs512_binding_verifies, setup, teardown),
		cmocka_unit_test(test_eab_kid_ok_rules),
	};

	return cmocka_run_group_tests_name("eab", tests, NULL, NULL);
}
