/* test_acme_client.c - the bench client's signing (RFC 8555 §6.2 JWS, §7.4 CSR, §8.1 key authorization) checked by the server's own parsers */
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "acme/jwk.h"
#include "acme/jws.h"
#include "acme_client.h"
#include "keycache.h"
#include "testutil.h"

#define URL	"https://localhost:8555/acme/new-order"
#define KID	"https://localhost:8555/acme/acct/AAAAAAAAAAAAAAAAAAAAAA"
#define NONCE	"bm9uY2UtMQ"

static void
jws_roundtrip(enum acme_client_keytype t, const char *kid)
{
	struct acme_client_key	 k;
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	char			*body;
	size_t			 len;

	memset(&jws, 0, sizeof(jws));
	assert_int_equal(acme_client_key_init(&k, t), 0);
	body = acme_client_jws(&k, kid, NONCE, URL, "{\"a\":1}", &len);
	assert_non_null(body);
	assert_int_equal(len, strlen(body));
	assert_int_equal(acme_jws_parse(body, len, &jws, &prob), 0);
	assert_int_equal(acme_jws_verify(&jws, k.pkey, &prob), 0);
	assert_string_equal(jws.url, URL);
	assert_string_equal(jws.nonce, NONCE);
	assert_string_equal((const char *)jws.payload, "{\"a\":1}");
	if (kid != NULL)
		assert_string_equal(jws.kid, kid);
	else
		assert_true(acme_jwk_equal(jws.key, k.pkey));
	acme_jws_clear(&jws);
	free(body);
	acme_client_key_clear(&k);
}

static void
test_acme_client_es256_jws_with_kid_verifies(void **state)
{
	(void)state;
	jws_roundtrip(ACME_CLIENT_EC256, KID);
}

static void
test_acme_client_rs256_jws_with_jwk_verifies(void **state)
{
	(void)state;
	jws_roundtrip(ACME_CLIENT_RSA2048, NULL);
}

static void
test_acme_client_post_as_get_has_empty_payload(void **state)
{
	struct acme_client_key	 k;
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	char			*body;
	size_t			 len;

	(void)state;
	memset(&jws, 0, sizeof(jws));
	assert_int_equal(acme_client_key_init(&k, ACME_CLIENT_EC256), 0);
	assert_non_null(body = acme_client_jws(&k, KID, NONCE, URL, NULL,
	    &len));
	assert_int_equal(acme_jws_parse(body, len, &jws, &prob), 0);
	assert_int_equal(jws.payload_len, 0);
	assert_int_equal(acme_jws_verify(&jws, k.pkey, &prob), 0);
	acme_jws_clear(&jws);
	free(body);
	acme_client_key_clear(&k);
}

static void
test_acme_client_quote_in_url_is_refused(void **state)
{
	struct acme_client_key k;

	(void)state;
	assert_int_equal(acme_client_key_init(&k, ACME_CLIENT_EC256), 0);
	assert_null(acme_client_jws(&k, KID, NONCE, "https://x/\"", NULL,
	    NULL));
	acme_client_key_clear(&k);
}

static void
test_acme_client_csr_passes_the_server_checks(void **state)
{
	const char *const	 names[] = { "a.bench.test", "b.bench.test" };
	struct acme_identifier	 ids[2];
	struct acme_problem	 prob;
	EVP_PKEY_CTX		*ctx;
	EVP_PKEY		*key, *pub;
	X509_REQ		*req;
	char			*csr;
	bool			 wild;

	(void)state;
	assert_non_null(ctx = acme_client_ec256_ctx());
	assert_non_null(key = acme_client_ec256_gen(ctx));
	assert_non_null(csr = acme_client_csr(key, names, 2));
	/* strict DER, v1, ECDSA-SHA256, self-signature (F09, F18, F19) */
	req = acme_csr_decode(csr, &prob);
	assert_non_null(req);
	assert_int_equal(acme_ident_from_cli(names[1], &ids[0], &wild,
	    &prob), 0);
	assert_int_equal(acme_ident_from_cli(names[0], &ids[1], &wild,
	    &prob), 0);
	assert_int_equal(acme_csr_check(req, ids, 2, NULL, 0, &prob), 0);
	assert_non_null(pub = acme_csr_pubkey(req));
	assert_true(EVP_PKEY_eq(pub, key) == 1);
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	free(csr);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
}

static void
test_acme_client_csr_for_rsa_key_is_refused(void **state)
{
	const char *const	 names[] = { "a.bench.test" };
	EVP_PKEY		*rsa;

	(void)state;
	assert_non_null(rsa = tu_key_rsa(2048));
	assert_null(acme_client_csr(rsa, names, 1));
	EVP_PKEY_free(rsa);
}

/* A certificate for key, as PEM text. */
static char *
cert_pem(EVP_PKEY *key)
{
	X509	*x = X509_new();
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p, *out;
	long	 n;

	assert_non_null(x);
	assert_non_null(b);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &p);
	out = strndup(p, (size_t)n);
	BIO_free(b);
	X509_free(x);
	return out;
}

static void
test_acme_client_cert_has_key_matches_only_its_key(void **state)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*k1, *k2;
	char		*pem;

	(void)state;
	assert_non_null(ctx = acme_client_ec256_ctx());
	assert_non_null(k1 = acme_client_ec256_gen(ctx));
	assert_non_null(k2 = acme_client_ec256_gen(ctx));
	assert_non_null(pem = cert_pem(k1));
	assert_true(acme_client_cert_has_key(pem, strlen(pem), k1));
	assert_false(acme_client_cert_has_key(pem, strlen(pem), k2));
	assert_false(acme_client_cert_has_key("junk", 4, k1));
	free(pem);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_CTX_free(ctx);
}

static void
test_acme_client_keyauth_is_token_dot_thumbprint(void **state)
{
	struct acme_client_key	 k;
	char			 ka[128], want[128], small[8];

	(void)state;
	assert_int_equal(acme_client_key_init(&k, ACME_CLIENT_EC256), 0);
	assert_int_equal(acme_client_keyauth(&k, "tok", ka, sizeof(ka)), 0);
	snprintf(want, sizeof(want), "tok.%s", k.thumbprint);
	assert_string_equal(ka, want);
	assert_int_equal(acme_client_keyauth(&k, "tok", small, sizeof(small)),
	    -1);
	acme_client_key_clear(&k);
}

static void
test_acme_client_keytype_parse_rejects_others(void **state)
{
	enum acme_client_keytype t;

	(void)state;
	assert_int_equal(acme_client_keytype_parse("rsa2048", &t), 0);
	assert_int_equal(t, ACME_CLIENT_RSA2048);
	assert_int_equal(acme_client_keytype_parse("ec384", &t), -1);
}

/* keycache (src/ra/keycache.c): used by the RA for kid requests. */
static void
test_keycache_same_jwk_is_a_hit(void **state)
{
	struct keycache	*kc;
	EVP_PKEY	*key, *a, *b;
	char		*jwk;

	(void)state;
	assert_non_null(kc = keycache_new(8));
	assert_non_null(key = tu_key_ec256());
	assert_non_null(jwk = tu_jwk_str(key));
	assert_non_null(a = keycache_get(kc, "acct1", jwk));
	assert_non_null(b = keycache_get(kc, "acct1", jwk));
	assert_ptr_equal(a, b);
	assert_true(acme_jwk_equal(a, key));
	/* prepared before it is shared (issue #17) */
	assert_true(acme_jws_key_prepared(a));
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	free(jwk);
	EVP_PKEY_free(key);
	keycache_free(kc);
}

static void
test_keycache_rolled_over_key_is_reimported(void **state)
{
	struct keycache	*kc;
	EVP_PKEY	*k1, *k2, *a, *b;
	char		*j1, *j2;

	(void)state;
	assert_non_null(kc = keycache_new(1));	/* one slot: always the same */
	assert_non_null(k1 = tu_key_ec256());
	assert_non_null(k2 = tu_key_ec256());
	assert_non_null(j1 = tu_jwk_str(k1));
	assert_non_null(j2 = tu_jwk_str(k2));
	assert_non_null(a = keycache_get(kc, "acct1", j1));
	assert_non_null(b = keycache_get(kc, "acct1", j2));
	assert_true(acme_jwk_equal(b, k2));
	assert_false(acme_jwk_equal(b, k1));
	/* a stays valid after its slot was replaced */
	assert_true(acme_jwk_equal(a, k1));
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	free(j1);
	free(j2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	keycache_free(kc);
}

static void
test_keycache_bad_jwk_is_null_and_not_cached(void **state)
{
	struct keycache *kc;

	(void)state;
	assert_non_null(kc = keycache_new(8));
	assert_null(keycache_get(kc, "acct1", "{\"kty\":\"EC\"}"));
	assert_null(keycache_get(kc, "acct1", "{\"kty\":\"EC\"}"));
	assert_null(keycache_get(NULL, "acct1", "not json"));
	keycache_free(kc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acme_client_es256_jws_with_kid_verifies),
		cmocka_unit_test(test_acme_client_rs256_jws_with_jwk_verifies),
		cmocka_unit_test(test_acme_client_post_as_get_has_empty_payload),
		cmocka_unit_test(test_acme_client_quote_in_url_is_refused),
		cmocka_unit_test(test_acme_client_csr_passes_the_server_checks),
		cmocka_unit_test(test_acme_client_csr_for_rsa_key_is_refused),
		cmocka_unit_test(test_acme_client_cert_has_key_matches_only_its_key),
		cmocka_unit_test(test_acme_client_keyauth_is_token_dot_thumbprint),
		cmocka_unit_test(test_acme_client_keytype_parse_rejects_others),
		cmocka_unit_test(test_keycache_same_jwk_is_a_hit),
		cmocka_unit_test(test_keycache_rolled_over_key_is_reimported),
		cmocka_unit_test(test_keycache_bad_jwk_is_null_and_not_cached),
	};

	return cmocka_run_group_tests_name("acme_client", tests, NULL, NULL);
}
