/* test_alloc.c - HARDENING X14: the acme/ parsers under failing Jansson and OpenSSL allocations */
/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "acme/jws.h"
#include "acme/payload.h"
#include "acme/problem.h"
#include "testutil.h"

/*
 * Every loop runs one parse with allocation number n failing, for n =
 * 0, 1, 2, ... until a run needed fewer than n + 1 allocations (nothing
 * was failed: it must succeed). Each failing run must end in -1/NULL with
 * a problem, never a crash; ASan/LSan (the CI sanitizer build) catch a
 * leak or a use of freed memory on the error paths. Only allocations made
 * through Jansson's and OpenSSL's allocators can be failed this way: our
 * own malloc calls in acme/ are not (acme/ident.c allocates nothing).
 */

#define MAX_RUNS	100000

/* Which allocator fails its fail_at-th allocation (-1: none). */
static long	 json_fail_at = -1, json_count;
static long	 ossl_fail_at = -1, ossl_count;

static void *
json_malloc(size_t n)
{
	if (json_fail_at >= 0 && json_count++ == json_fail_at)
		return NULL;
	return malloc(n);
}

static void
json_free(void *p)
{
	free(p);
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (ossl_fail_at >= 0 && ossl_count++ == ossl_fail_at)
		return NULL;
	return malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (ossl_fail_at >= 0 && ossl_count++ == ossl_fail_at)
		return NULL;
	return realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* A failed run reports a problem the WFE can send. */
static void
assert_problem(const struct acme_problem *prob)
{
	assert_true(prob->status >= 400 && prob->status <= 599);
	assert_true(prob->type != 0 || prob->detail[0] != '\0');
}

/* ---------- payload decoders under failing Jansson allocations ---------- */

typedef int (*decode_fn)(const json_t *, struct acme_problem *);

static int
dec_new_account(const json_t *j, struct acme_problem *prob)
{
	struct acme_req_new_account r;

	memset(&r, 0, sizeof(r));
	return acme_payload_new_account(j, &r, prob);
}

static int
dec_account_update(const json_t *j, struct acme_problem *prob)
{
	struct acme_req_account_update r;

	memset(&r, 0, sizeof(r));
	return acme_payload_account_update(j, &r, prob);
}

static int
dec_new_order(const json_t *j, struct acme_problem *prob)
{
	struct acme_req_new_order r;

	memset(&r, 0, sizeof(r));
	return acme_payload_new_order(j, &r, prob);
}

static int
dec_finalize(const json_t *j, struct acme_problem *prob)
{
	char	*csr = NULL;
	int	 rc;

	rc = acme_payload_finalize(j, &csr, prob);
	free(csr);
	return rc;
}

static int
dec_revoke(const json_t *j, struct acme_problem *prob)
{
	struct acme_req_revoke	r;
	int			rc;

	memset(&r, 0, sizeof(r));
	rc = acme_payload_revoke(j, &r, prob);
	acme_req_revoke_clear(&r);
	return rc;
}

static int
dec_key_change(const json_t *j, struct acme_problem *prob)
{
	struct acme_req_key_change	k;
	int				rc;

	memset(&k, 0, sizeof(k));
	rc = acme_payload_key_change(j, &k, prob);
	acme_req_key_change_clear(&k);
	return rc;
}

/*
 * Parse text and decode it with allocation n failing, for every n. The
 * text must decode when nothing fails. Returns the number of runs.
 */
static long
jansson_loop(const char *text, decode_fn fn)
{
	struct acme_problem	 prob;
	json_error_t		 jerr;
	json_t			*j;
	long			 n;
	int			 rc;

	json_set_alloc_funcs(json_malloc, json_free);
	for (n = 0; n < MAX_RUNS; n++) {
		json_count = 0;
		json_fail_at = n;
		memset(&prob, 0, sizeof(prob));
		if ((j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) ==
		    NULL) {
			assert_true(json_count > n);	/* only our failure */
			continue;
		}
		rc = fn(j, &prob);
		json_decref(j);
		if (json_count <= n) {	/* nothing failed: must succeed */
			json_fail_at = -1;
			assert_int_equal(rc, 0);
			break;
		}
		if (rc == -1)
			assert_problem(&prob);
	}
	json_fail_at = -1;
	json_set_alloc_funcs(malloc, free);
	assert_true(n < MAX_RUNS);
	print_message("%ld runs, each failing one Jansson allocation\n", n);
	return n + 1;
}

static void
test_alloc_new_account_jansson_failures_fail_cleanly(void **state)
{
	(void)state;
	assert_true(jansson_loop("{\"termsOfServiceAgreed\":true,"
	    "\"contact\":[\"mailto:a@example.test\",\"mailto:b@example.test\"]}",
	    dec_new_account) > 1);
}

static void
test_alloc_account_update_jansson_failures_fail_cleanly(void **state)
{
	(void)state;
	assert_true(jansson_loop("{\"contact\":[\"mailto:c@example.test\"],"
	    "\"status\":\"deactivated\"}", dec_account_update) > 1);
}

/* newOrder decoding runs every identifier through acme/ident.c. */
static void
test_alloc_new_order_jansson_failures_fail_cleanly(void **state)
{
	(void)state;
	assert_true(jansson_loop("{\"identifiers\":["
	    "{\"type\":\"dns\",\"value\":\"www.Example.test\"},"
	    "{\"type\":\"dns\",\"value\":\"*.example.test\"},"
	    "{\"type\":\"ip\",\"value\":\"2001:db8::1\"},"
	    "{\"type\":\"ip\",\"value\":\"192.0.2.7\"}],"
	    "\"notBefore\":\"2030-01-01T00:00:00Z\","
	    "\"notAfter\":\"2030-02-01T00:00:00Z\"}", dec_new_order) > 1);
}

static void
test_alloc_finalize_jansson_failures_fail_cleanly(void **state)
{
	(void)state;
	assert_true(jansson_loop("{\"csr\":\"MIIBAAAA\"}", dec_finalize) > 1);
}

static void
test_alloc_revoke_jansson_failures_fail_cleanly(void **state)
{
	(void)state;
	assert_true(jansson_loop("{\"certificate\":\"MIIBAAAA\",\"reason\":4}",
	    dec_revoke) > 1);
}

static void
test_alloc_key_change_jansson_failures_fail_cleanly(void **state)
{
	(void)state;
	assert_true(jansson_loop("{\"account\":"
	    "\"https://localhost:8555/acme/acct/abc\",\"oldKey\":{\"kty\":\"EC\","
	    "\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}}",
	    dec_key_change) > 1);
}

/* ---------- CSR and JWS under failing OpenSSL allocations ---------- */

/*
 * Run fn with OpenSSL allocation n failing, for every n, until a run
 * failed nothing (then fn must succeed). fn returns 0 or -1 and fills
 * prob on -1.
 */
static long
openssl_loop(int (*fn)(void *, struct acme_problem *), void *arg)
{
	struct acme_problem	 prob;
	long			 n;
	int			 rc;

	for (n = 0; n < MAX_RUNS; n++) {
		ossl_count = 0;
		ossl_fail_at = n;
		memset(&prob, 0, sizeof(prob));
		rc = fn(arg, &prob);
		ERR_clear_error();
		if (ossl_count <= n) {
			ossl_fail_at = -1;
			assert_int_equal(rc, 0);
			break;
		}
		if (rc == -1)
			assert_problem(&prob);
	}
	ossl_fail_at = -1;
	assert_true(n < MAX_RUNS);
	print_message("%ld runs, each failing one OpenSSL allocation\n", n);
	return n + 1;
}

struct csr_case {
	const char		*b64;
	struct acme_identifier	 ids[3];
	size_t			 nids;
	EVP_PKEY		*account_key;
};

/* Finalize's CSR path: decode, check against the order, list the names. */
static int
csr_run(void *arg, struct acme_problem *prob)
{
	struct csr_case		*c = arg;
	struct acme_identifier	*names = NULL;
	X509_REQ		*req;
	size_t			 n = 0;
	int			 rc = -1;

	if ((req = acme_csr_decode(c->b64, prob)) == NULL)
		return -1;
	if (acme_csr_check(req, c->ids, c->nids, &c->account_key, 1,
	    prob) == -1)
		goto out;
	if (acme_csr_names(req, &names, &n, prob) == -1)
		goto out;
	if (n != c->nids) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "names");
		goto out;
	}
	rc = 0;
out:
	free(names);
	X509_REQ_free(req);
	return rc;
}

static void
csr_case_run(EVP_PKEY *leafkey)
{
	const char *const	 names[] = { "a.example.test", "b.example.test",
	    "192.0.2.1" };
	struct csr_case		 c;
	X509_REQ		*req;
	char			*b64;

	memset(&c, 0, sizeof(c));
	assert_non_null(c.account_key = tu_key_ec256());
	assert_non_null(req = tu_csr_make(leafkey, names, 3, "a.example.test"));
	assert_non_null(b64 = tu_csr_b64url(req));
	c.b64 = b64;
	for (size_t i = 0; i < 3; i++) {
		struct acme_problem p;
		bool w;
		assert_int_equal(acme_ident_from_cli(names[i], &c.ids[i], &w,
		    &p), 0);
	}
	c.nids = 3;
	assert_int_equal(csr_run(&c, &(struct acme_problem){ 0 }), 0);
	assert_true(openssl_loop(csr_run, &c) > 1);
	free(b64);
	X509_REQ_free(req);
	EVP_PKEY_free(c.account_key);
}

static void
test_alloc_csr_ec_openssl_failures_fail_cleanly(void **state)
{
	EVP_PKEY *k;

	(void)state;
	assert_non_null(k = tu_key_ec256());
	csr_case_run(k);
	EVP_PKEY_free(k);
}

static void
test_alloc_csr_rsa_openssl_failures_fail_cleanly(void **state)
{
	EVP_PKEY *k;

	(void)state;
	assert_non_null(k = tu_key_rsa(2048));
	csr_case_run(k);
	EVP_PKEY_free(k);
}

/* A request body's path: parse the JWS (jwk imported), then verify it. */
static int
jws_run(void *arg, struct acme_problem *prob)
{
	const char	*body = arg;
	struct acme_jws	 j;
	int		 rc;

	memset(&j, 0, sizeof(j));
	if ((rc = acme_jws_parse(body, strlen(body), &j, prob)) == 0)
		rc = acme_jws_verify(&j, j.key, prob);
	acme_jws_clear(&j);
	return rc;
}

static void
jws_case_run(EVP_PKEY *key)
{
	char *body;

	assert_non_null(body = tu_jws_sign(key, NULL, true, NULL,
	    "bm9uY2Vub25jZW5vbmNl", "https://localhost:8555/acme/new-account",
	    "{\"termsOfServiceAgreed\":true}"));
	assert_int_equal(jws_run(body, &(struct acme_problem){ 0 }), 0);
	assert_true(openssl_loop(jws_run, body) > 1);
	free(body);
}

static void
test_alloc_jws_es256_openssl_failures_fail_cleanly(void **state)
{
	EVP_PKEY *k;

	(void)state;
	assert_non_null(k = tu_key_ec256());
	jws_case_run(k);
	EVP_PKEY_free(k);
}

static void
test_alloc_jws_rs256_openssl_failures_fail_cleanly(void **state)
{
	EVP_PKEY *k;

	(void)state;
	assert_non_null(k = tu_key_rsa(2048));
	jws_case_run(k);
	EVP_PKEY_free(k);
}

/* The hook must see allocations, or every loop above proves nothing. */
static void
test_alloc_hooks_installed_count_allocations(void **state)
{
	EVP_PKEY	*k;
	json_t		*j;

	(void)state;
	ossl_count = 0;
	ossl_fail_at = LONG_MAX;
	k = tu_key_ec256();
	ossl_fail_at = -1;
	assert_non_null(k);
	assert_true(ossl_count > 0);
	EVP_PKEY_free(k);
	json_set_alloc_funcs(json_malloc, json_free);
	json_count = 0;
	json_fail_at = LONG_MAX;
	j = json_pack("{s:s}", "a", "b");
	json_fail_at = -1;
	json_set_alloc_funcs(malloc, free);
	assert_non_null(j);
	assert_true(json_count > 0);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_hooks_installed_count_allocations),
		cmocka_unit_test(test_alloc_new_account_jansson_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_account_update_jansson_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_new_order_jansson_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_finalize_jansson_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_revoke_jansson_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_key_change_jansson_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_csr_ec_openssl_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_csr_rsa_openssl_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_jws_es256_openssl_failures_fail_cleanly),
		cmocka_unit_test(test_alloc_jws_rs256_openssl_failures_fail_cleanly),
	};

	/* Before OpenSSL allocates anything, or the call is refused. */
	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)) {
		fprintf(stderr, "CRYPTO_set_mem_functions refused\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
