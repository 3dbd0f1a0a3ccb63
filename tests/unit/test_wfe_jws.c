/* test_wfe_jws.c - JWS structure, algorithms, keys, nonces and request URLs through the WFE (HARDENING J, K, N, U) */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "acme/jwk.h"
#include "acme/jws.h"
#include "wfe_harness.h"

#define ORDER_A	"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}"
#define ORDER_B	"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"b.test\"}]}"

/* ---------- builders ---------- */

static char *
xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	assert_non_null(s = malloc((size_t)n + 1));
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* The three encoded parts of a JWS signed by key over hdr and payload. */
struct parts {
	char	*p;	/* base64url(protected) */
	char	*y;	/* base64url(payload) */
	char	*s;	/* base64url(signature) */
	unsigned char *sig;
	size_t	 siglen;
};

static void
parts_sign(struct parts *x, EVP_PKEY *key, const char *hdr,
    const char *payload)
{
	char *in;

	memset(x, 0, sizeof(*x));
	assert_non_null(x->p = tu_b64url_str(hdr));
	assert_non_null(x->y = tu_b64url_str(payload != NULL ? payload : ""));
	in = xprintf("%s.%s", x->p, x->y);
	assert_non_null(x->sig = tu_sign(key, in, strlen(in), &x->siglen));
	assert_non_null(x->s = tu_b64url(x->sig, x->siglen));
	free(in);
}

static void
parts_free(struct parts *x)
{
	free(x->p);
	free(x->y);
	free(x->s);
	free(x->sig);
	memset(x, 0, sizeof(*x));
}

static void
url_of(char *out, const char *path)
{
	wh_url(out, ACME_URL_SIZE, path);
}

/* Protected header of a newAccount request with this jwk text. */
static char *
hdr_jwk(struct wh *f, const char *alg, const char *jwk)
{
	char nonce[NONCE_SIZE], url[ACME_URL_SIZE];

	wh_nonce(f, nonce);
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	return xprintf("{\"alg\":\"%s\",\"jwk\":%s,\"nonce\":\"%s\","
	    "\"url\":\"%s\"}", alg, jwk, nonce, url);
}

/* Protected header of a kid request to path. */
static char *
hdr_kid(struct wh *f, const char *alg, const char *kid, const char *url)
{
	char nonce[NONCE_SIZE];

	wh_nonce(f, nonce);
	return xprintf("{\"alg\":\"%s\",\"kid\":\"%s\",\"nonce\":\"%s\","
	    "\"url\":\"%s\"}", alg, kid, nonce, url);
}

/* POST hdr+payload signed by key to url. */
static void
post_hdr(struct wh *f, EVP_PKEY *key, const char *url, const char *hdr,
    const char *payload, struct wr *r)
{
	char *body = tu_jws_sign_raw(key, hdr, payload);

	assert_non_null(body);
	wh_post_raw(f, url, body, r);
	free(body);
}

/* newAccount with the jwk text and a garbage signature of siglen bytes. */
static void
new_account_garbage_sig(struct wh *f, const char *alg, const char *jwk,
    size_t siglen, struct wr *r)
{
	char		*hdr = hdr_jwk(f, alg, jwk), *p, *y, *s, *body;
	unsigned char	*sig;
	char		 url[ACME_URL_SIZE];

	assert_non_null(sig = malloc(siglen));
	memset(sig, 0x5a, siglen);
	p = tu_b64url_str(hdr);
	y = tu_b64url_str("{}");
	s = tu_b64url(sig, siglen);
	body = tu_jws_body(p, y, s);
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	wh_post_raw(f, url, body, r);
	free(body);
	free(p);
	free(y);
	free(s);
	free(sig);
	free(hdr);
}

static char *
bn_b64(EVP_PKEY *k, const char *param)
{
	BIGNUM		*bn = NULL;
	unsigned char	 buf[1024];
	int		 n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return tu_b64url(buf, (size_t)n);
}

/* The x and y of an EC key, base64url, field-size padded. */
static void
ec_xy(EVP_PKEY *k, size_t flen, char **x, char **y)
{
	BIGNUM		*bx = NULL, *by = NULL;
	unsigned char	 bx_[66], by_[66];

	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X,
	    &bx), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y,
	    &by), 1);
	assert_int_equal(BN_bn2binpad(bx, bx_, (int)flen), (int)flen);
	assert_int_equal(BN_bn2binpad(by, by_, (int)flen), (int)flen);
	*x = tu_b64url(bx_, flen);
	*y = tu_b64url(by_, flen);
	BN_free(bx);
	BN_free(by);
}

static size_t
count_accounts_by_key(struct wh *f, EVP_PKEY *k)
{
	struct acme_account	 a = { 0 };
	char			 tp[ACME_THUMBPRINT_SIZE];
	enum store_status	 rc;

	assert_int_equal(acme_jwk_thumbprint(k, tp), 0);
	rc = store_account_get_by_thumbprint(f->st, tp, &a);
	acme_account_clear(&a);
	return rc == STORE_OK ? 1 : 0;
}

/* Number of orders of an account (via the store's list). */
static size_t
order_count(struct wh *f, const char *acct_id)
{
	char	 ids[200][ACME_ID_SIZE], next[64];
	size_t	 n = 0;

	assert_int_equal(store_order_list(f->st, acct_id, NULL, 200, ids, &n,
	    next, sizeof(next)), STORE_OK);
	return n;
}

/* A valid kid newOrder body for a, with a fresh nonce, as parts. */
static char *
order_body(struct wh *f, const struct wacct *a, const char *payload)
{
	char nonce[NONCE_SIZE], url[ACME_URL_SIZE], *b;

	wh_nonce(f, nonce);
	url_of(url, ACME_PATH_NEW_ORDER);
	b = tu_jws_sign(a->key, NULL, false, a->kid, nonce, url, payload);
	assert_non_null(b);
	return b;
}

/* Send body to newOrder; expect malformed 400. */
static void
expect_order_malformed(struct wh *f, const char *body)
{
	struct wr	 r;
	char		 url[ACME_URL_SIZE];

	url_of(url, ACME_PATH_NEW_ORDER);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
}

/* ---------- J: structure ---------- */

/* J01: RFC 8555 §6.2 flattened JSON only; compact is malformed. */
static void
test_wfe_j01_compact_serialization_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	body = xprintf("%s.%s.%s", x.p, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* J02: general serialization ("signatures") is malformed. */
static void
test_wfe_j02_general_serialization_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	body = xprintf("{\"payload\":\"%s\",\"signatures\":[{\"protected\":"
	    "\"%s\",\"signature\":\"%s\"}]}", x.y, x.p, x.s);
	expect_order_malformed(f, body);
	free(body);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* J03: flattened plus a "signatures" array is malformed. */
static void
test_wfe_j03_flattened_plus_signatures_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	body = xprintf("{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\",\"signatures\":[{\"protected\":\"%s\","
	    "\"signature\":\"%s\"}]}", x.p, x.y, x.s, x.p, x.s);
	expect_order_malformed(f, body);
	free(body);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* J04: RFC 8555 §6.2 MUST NOT use the unprotected header (boulder#2935). */
static void
test_wfe_j04_unprotected_header_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct parts	 x;
	char		*hdr, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	wh_account(f, &b);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	body = xprintf("{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\",\"header\":{\"kid\":\"%s\"}}", x.p, x.y, x.s,
	    b.kid);
	expect_order_malformed(f, body);
	free(body);
	body = xprintf("{\"header\":{},\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\"}", x.p, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	assert_int_equal(order_count(f, b.id), 0);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* J05-J07: protected, signature and payload are all required. */
static void
test_wfe_j05_j06_j07_missing_members_are_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	body = tu_jws_body(NULL, x.y, x.s);		/* J05 */
	expect_order_malformed(f, body);
	free(body);
	body = tu_jws_body(x.p, x.y, NULL);		/* J06 */
	expect_order_malformed(f, body);
	free(body);
	body = tu_jws_body(x.p, x.y, "");		/* J06 */
	expect_order_malformed(f, body);
	free(body);
	body = tu_jws_body(x.p, NULL, x.s);		/* J07 detached */
	expect_order_malformed(f, body);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* J08, J09: RFC 7797 b64 and unknown critical parameters are refused. */
static void
test_wfe_j08_j09_crit_params_are_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *hdr;
	const char	*crit[] = { "\"crit\":[\"b64\"],\"b64\":false,",
	    "\"crit\":[\"x-unknown\"],\"x-unknown\":1," };

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	for (size_t i = 0; i < 2; i++) {
		wh_nonce(f, nonce);
		hdr = xprintf("{\"alg\":\"ES256\",%s\"kid\":\"%s\","
		    "\"nonce\":\"%s\",\"url\":\"%s\"}", crit[i], a.kid, nonce,
		    url);
		post_hdr(f, a.key, url, hdr, ORDER_A, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
	}
	wh_acct_free(&a);
}

/* J10, J11: RFC 8555 §6.1 strict base64url in each part. */
static void
test_wfe_j10_j11_non_strict_base64url_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *body, *bad, url[ACME_URL_SIZE];
	const char	*muts[] = { "%s=", "%s==", " %s", "%s\\n", "+%s",
	    "/%s" };

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	for (size_t m = 0; m < sizeof(muts) / sizeof(muts[0]); m++) {
		for (int part = 0; part < 3; part++) {
			const char *orig = part == 0 ? x.p : part == 1 ? x.y :
			    x.s;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			bad = xprintf(muts[m], orig);
#pragma GCC diagnostic pop
			body = tu_jws_body(part == 0 ? bad : x.p,
			    part == 1 ? bad : x.y, part == 2 ? bad : x.s);
			expect_order_malformed(f, body);
			free(body);
			free(bad);
		}
	}
	/* Whitespace inside a part. */
	bad = xprintf("%.10s %s", x.p, x.p + 10);
	body = tu_jws_body(bad, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	free(bad);
	assert_int_equal(order_count(f, a.id), 0);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

static int
b64_index(char c)
{
	const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_";

	return (int)(strchr(al, c) - al);
}

/* J12: non-zero unused trailing bits are a second encoding: refused. */
static void
test_wfe_j12_noncanonical_trailing_bits_are_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *body, *sig, url[ACME_URL_SIZE];
	const char	*al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789-_";
	size_t		 n;

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	/* 64-byte signature -> 86 chars: the last one has 4 unused bits. */
	n = strlen(x.s);
	assert_int_equal(n % 4, 2);
	assert_int_equal(b64_index(x.s[n - 1]) & 0x0f, 0);
	sig = strdup(x.s);
	sig[n - 1] = al[b64_index(x.s[n - 1]) | 1];
	body = tu_jws_body(x.p, x.y, sig);
	expect_order_malformed(f, body);
	free(body);
	/*
	 * Positive control: the canonical one is accepted, signed anew: the
	 * refused request spent its nonce (RFC 8555 §6.5).
	 */
	free(hdr);
	parts_free(&x);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	body = tu_jws_body(x.p, x.y, x.s);
	{
		struct wr r;

		wh_post_raw(f, url, body, &r);
		wh_assert_ok(&r, 201);
		wr_clear(&r);
	}
	free(body);
	free(sig);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* J13: the protected header must decode to a JSON object. */
static void
test_wfe_j13_protected_not_object_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	const char	*hdrs[] = { "[]", "\"x\"", "1", "{\"alg\":", "null" };
	char		*body;
	struct parts	 x;

	wh_account(f, &a);
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		parts_sign(&x, a.key, hdrs[i], ORDER_A);
		body = tu_jws_body(x.p, x.y, x.s);
		expect_order_malformed(f, body);
		free(body);
		parts_free(&x);
	}
	wh_acct_free(&a);
}

/* J14: duplicate members in the protected header (parser differential). */
static void
test_wfe_j14_duplicate_header_members_are_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *hdr;
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_ready_order(f, &a, n, 1, &o);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, nonce);
	hdr = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\",\"nonce\":\"%s\","
	    "\"url\":\"%s\",\"url\":\"%s\"}", a.kid, nonce, url, o.finalize);
	post_hdr(f, a.key, o.finalize, hdr, "{\"csr\":\"AAAA\"}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(hdr);
	wh_nonce(f, nonce);
	hdr = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\",\"nonce\":\"%s\","
	    "\"url\":\"%s\",\"alg\":\"none\"}", a.kid, nonce, url);
	post_hdr(f, a.key, url, hdr, ORDER_B, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(hdr);
	assert_int_equal(order_count(f, a.id), 1);
	wh_acct_free(&a);
}

/* J15, J16: outer duplicates and trailing data are malformed. */
static void
test_wfe_j15_j16_outer_duplicates_and_trailing_data_are_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	body = xprintf("{\"protected\":\"%s\",\"protected\":\"%s\","
	    "\"payload\":\"%s\",\"signature\":\"%s\"}", x.p, x.p, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	body = xprintf("{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"payload\":\"%s\",\"signature\":\"%s\"}", x.p, x.y, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	body = xprintf("{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\"} xyz", x.p, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	body = xprintf("{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\"}{}", x.p, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* J17: deeply nested payload: malformed, no crash. */
static void
test_wfe_j17_deeply_nested_payload_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	char		*deep, *body;
	size_t		 n = 40000;

	wh_account(f, &a);
	assert_non_null(deep = malloc(n + 1));
	memset(deep, '[', n);
	deep[n] = '\0';
	body = order_body(f, &a, deep);
	expect_order_malformed(f, body);
	free(body);
	free(deep);
	wh_acct_free(&a);
}

/* J18, J19: NUL escapes and lone surrogates, in header and payload. */
static void
test_wfe_j18_j19_nul_and_lone_surrogate_are_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], aurl[ACME_URL_SIZE];
	char		*hdr, *body;
	const char	*bad[] = { "\\u0000", "\\ud800" };

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	url_of(aurl, ACME_PATH_NEW_ACCOUNT);
	for (size_t i = 0; i < 2; i++) {
		/* in url */
		wh_nonce(f, nonce);
		hdr = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\",\"nonce\":"
		    "\"%s\",\"url\":\"%s%s.evil\"}", a.kid, nonce, url, bad[i]);
		post_hdr(f, a.key, url, hdr, ORDER_A, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
		/* in kid */
		wh_nonce(f, nonce);
		hdr = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s%s\",\"nonce\":"
		    "\"%s\",\"url\":\"%s\"}", a.kid, bad[i], nonce, url);
		post_hdr(f, a.key, url, hdr, ORDER_A, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
		/* in an identifier value */
		hdr = xprintf("{\"identifiers\":[{\"type\":\"dns\",\"value\":"
		    "\"a.test%s.evil.test\"}]}", bad[i]);
		body = order_body(f, &a, hdr);
		expect_order_malformed(f, body);
		free(body);
		free(hdr);
		/* in a contact */
		hdr = xprintf("{\"contact\":[\"mailto:a@b.test%s.evil\"]}",
		    bad[i]);
		wh_post_acct(f, &a, a.kid, hdr, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
	}
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* J20, J21: payload root and member types are checked. */
static void
test_wfe_j20_j21_payload_wrong_shape_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		*body, url[ACME_URL_SIZE];
	const char	*n[] = { "a.test" };
	const char	*bad_orders[] = { "[]", "1", "\"x\"",
	    "{\"identifiers\":\"a.test\"}",
	    "{\"identifiers\":[\"a.test\"]}",
	    "{\"identifiers\":[{\"type\":\"dns\",\"value\":1}]}" };

	wh_account(f, &a);
	for (size_t i = 0; i < sizeof(bad_orders) / sizeof(bad_orders[0]);
	    i++) {
		body = order_body(f, &a, bad_orders[i]);
		expect_order_malformed(f, body);
		free(body);
	}
	wh_ready_order(f, &a, n, 1, &o);
	wh_post_acct(f, &a, o.finalize, "{\"csr\":123}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_post_acct(f, &a, a.kid, "{\"contact\":\"mailto:x@y.test\"}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	wh_post(f, a.key, NULL, url, "{\"onlyReturnExisting\":\"true\"}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* J22, J23: exactly one of jwk and kid (RFC 8555 §6.2). */
static void
test_wfe_j22_j23_jwk_and_kid_both_or_neither_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *body;

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, nonce);
	body = tu_jws_sign(a.key, NULL, true, a.kid, nonce, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(body);
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	wh_nonce(f, nonce);
	body = tu_jws_sign(a.key, NULL, true, a.kid, nonce, url, "{}");
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(body);
	wh_nonce(f, nonce);
	body = tu_jws_sign(a.key, NULL, false, NULL, nonce, url, "{}");
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* J24: newAccount must embed its jwk (RFC 8555 §6.2). */
static void
test_wfe_j24_new_account_with_kid_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	wh_post(f, a.key, a.kid, url, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* J25: every other endpoint needs a kid; an embedded jwk is refused. */
static void
test_wfe_j25_kid_endpoints_refuse_embedded_jwk(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 url[ACME_URL_SIZE];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_post(f, a.key, NULL, url, ORDER_B, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_post(f, a.key, NULL, o.url, NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_post(f, a.key, NULL, o.authz[0], NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_post(f, a.key, NULL, a.kid, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	url_of(url, ACME_PATH_KEY_CHANGE);
	wh_post(f, a.key, NULL, url, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_int_equal(order_count(f, a.id), 1);
	wh_acct_free(&a);
}

/*
 * A10: a kid on another host, port or scheme is not our account, even
 * when its base URL has the length of ours and its path names a real
 * account (a base compared over too few bytes would let the path decide).
 */
static void
test_wfe_a10_kid_with_same_length_foreign_base_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 url[ACME_URL_SIZE], kid[ACME_URL_SIZE + 64];
	const char	*path;
	const char	*bases[] = { "https://evilhost:18555",
	    "https://localhost:8556", "https://localhosu:8555",
	    "http://localhost:85555", "https://127.0.0.1:8555" };

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	assert_memory_equal(a.kid, WH_BASE, strlen(WH_BASE));
	path = a.kid + strlen(WH_BASE);
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		assert_int_equal(strlen(bases[i]), strlen(WH_BASE));
		snprintf(kid, sizeof(kid), "%s%s", bases[i], path);
		print_message("  kid %s\n", kid);
		wh_post(f, a.key, kid, url, ORDER_A, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
	}
	assert_int_equal(order_count(f, a.id), 0);
	/* The same request with our own base is accepted. */
	wh_post(f, a.key, a.kid, url, ORDER_A, &r);
	assert_int_equal(r.status, 201);
	wr_clear(&r);
	assert_int_equal(order_count(f, a.id), 1);
	wh_acct_free(&a);
}

/* J26: jku / x5u / x5c are never used; we refuse them. */
static void
test_wfe_j26_jku_x5u_x5c_are_refused(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *jwk, *hdr;
	const char	*extra[] = { "\"jku\":\"http://127.0.0.1:9/k\",",
	    "\"x5u\":\"http://127.0.0.1:9/c\",", "\"x5c\":[\"MIIB\"]," };

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	jwk = tu_jwk_str(k);
	for (size_t i = 0; i < 3; i++) {
		wh_nonce(f, nonce);
		hdr = xprintf("{\"alg\":\"ES256\",%s\"jwk\":%s,\"nonce\":\"%s\","
		    "\"url\":\"%s\"}", extra[i], jwk, nonce, url);
		post_hdr(f, k, url, hdr, "{}", &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
	}
	assert_int_equal(count_accounts_by_key(f, k), 0);
	free(jwk);
	EVP_PKEY_free(k);
}

/* J27: the signature covers the received bytes, not a re-serialization. */
static void
test_wfe_j27_reencoded_protected_header_fails_signature(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *hdr2, *p2, *body, url[ACME_URL_SIZE];
	char		 nonce[NONCE_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, nonce);
	hdr = xprintf("{ \"alg\": \"ES256\", \"kid\": \"%s\", \"nonce\": "
	    "\"%s\", \"url\": \"%s\" }", a.kid, nonce, url);
	hdr2 = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\",\"nonce\":\"%s\","
	    "\"url\":\"%s\"}", a.kid, nonce, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	p2 = tu_b64url_str(hdr2);
	body = tu_jws_body(p2, x.y, x.s);
	expect_order_malformed(f, body);
	free(body);
	free(p2);
	/*
	 * J28: the original bytes, odd whitespace and all, verify; their
	 * nonce was spent by the failed attempt (RFC 8555 §6.5, N11), so
	 * they are badNonce, and verify with a fresh one.
	 */
	{
		struct wr r;

		body = tu_jws_body(x.p, x.y, x.s);
		wh_post_raw(f, url, body, &r);
		wh_assert_problem(&r, 400, "badNonce");
		wr_clear(&r);
		free(body);
		parts_free(&x);
		free(hdr);
		wh_nonce(f, nonce);
		hdr = xprintf("{ \"alg\": \"ES256\", \"kid\": \"%s\", "
		    "\"nonce\": \"%s\", \"url\": \"%s\" }", a.kid, nonce, url);
		parts_sign(&x, a.key, hdr, ORDER_A);
		body = tu_jws_body(x.p, x.y, x.s);
		wh_post_raw(f, url, body, &r);
		wh_assert_ok(&r, 201);
		wr_clear(&r);
		free(body);
	}
	free(hdr);
	free(hdr2);
	parts_free(&x);
	wh_acct_free(&a);
}

/* J28: reordered members and whitespace, correctly signed: accepted. */
static void
test_wfe_j28_reordered_header_with_whitespace_accepted(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *hdr;

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, nonce);
	hdr = xprintf("{\n  \"url\" : \"%s\",\n\t\"nonce\":\"%s\" , \"kid\":"
	    "\"%s\",\"alg\":\"ES256\"\n}", url, nonce, a.kid);
	post_hdr(f, a.key, url, hdr, ORDER_A, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	free(hdr);
	wh_acct_free(&a);
}

/* ---------- K: algorithms and keys ---------- */

static void
assert_algorithms_listed(const struct wr *r)
{
	json_t		*algs = json_object_get(r->json, "algorithms");
	const char	*want[] = { "RS256", "ES256", "ES384", "ES512",
	    "EdDSA" };

	assert_true(json_is_array(algs));
	assert_int_equal(json_array_size(algs), 5);
	for (size_t i = 0; i < 5; i++) {
		bool found = false;

		for (size_t j = 0; j < json_array_size(algs); j++)
			if (strcmp(json_string_value(json_array_get(algs, j)),
			    want[i]) == 0)
				found = true;
		assert_true(found);
	}
}

/* K01: alg none with an empty signature (RFC 8555 §6.2). */
static void
test_wfe_k01_alg_none_is_bad_signature_algorithm(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		*jwk = tu_jwk_str(k), *hdr = hdr_jwk(f, "none", jwk);
	char		*p = tu_b64url_str(hdr), *y = tu_b64url_str("{}");
	char		*body = tu_jws_body(p, y, ""), url[ACME_URL_SIZE];

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badSignatureAlgorithm");
	assert_algorithms_listed(&r);
	wr_clear(&r);
	assert_int_equal(count_accounts_by_key(f, k), 0);
	free(body);
	free(p);
	free(y);
	free(hdr);
	free(jwk);
	EVP_PKEY_free(k);
}

/* K02: HS256 keyed with the public key bytes (alg confusion). */
static void
test_wfe_k02_hs256_is_bad_signature_algorithm(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		*jwk, *hdr, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	jwk = tu_jwk_str(a.key);
	/* jwk form (newAccount) */
	hdr = hdr_jwk(f, "HS256", jwk);
	body = tu_jws_sign_hmac((const unsigned char *)jwk, strlen(jwk), hdr,
	    "{}");
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badSignatureAlgorithm");
	assert_algorithms_listed(&r);
	wr_clear(&r);
	free(body);
	free(hdr);
	/* kid form (newOrder) */
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "HS256", a.kid, url);
	body = tu_jws_sign_hmac((const unsigned char *)jwk, strlen(jwk), hdr,
	    ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badSignatureAlgorithm");
	wr_clear(&r);
	assert_int_equal(order_count(f, a.id), 0);
	free(body);
	free(hdr);
	free(jwk);
	wh_acct_free(&a);
}

/* K03, K04: algorithms off the list, and near-miss spellings. */
static void
test_wfe_k03_k04_unlisted_algs_are_bad_signature_algorithm(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*ec = tu_key_ec256(), *rsa = tu_key_rsa(2048);
	struct wr	 r;
	char		*jwk, *hdr;
	char		 url[ACME_URL_SIZE];
	const char	*algs[] = { "RS512", "PS256", "ES256K", "es256",
	    "ES256 ", "HS512", "RS384", "Ed25519" };

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		EVP_PKEY *k = algs[i][0] == 'R' || algs[i][0] == 'P' ? rsa : ec;

		jwk = tu_jwk_str(k);
		hdr = hdr_jwk(f, algs[i], jwk);
		post_hdr(f, k, url, hdr, "{}", &r);
		wh_assert_problem(&r, 400, "badSignatureAlgorithm");
		assert_algorithms_listed(&r);
		wr_clear(&r);
		free(hdr);
		free(jwk);
	}
	assert_int_equal(count_accounts_by_key(f, ec), 0);
	assert_int_equal(count_accounts_by_key(f, rsa), 0);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

/* Every algorithm of the allow-list works (positive control for K). */
static void
test_wfe_k_allowed_algorithms_create_accounts(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*keys[5];
	struct wacct	 a;

	keys[0] = tu_key_rsa(2048);
	keys[1] = tu_key_ec256();
	keys[2] = tu_key_ec384();
	keys[3] = tu_key_ec521();
	keys[4] = tu_key_ed25519();
	for (size_t i = 0; i < 5; i++) {
		struct wr r;

		wh_account_key(f, keys[i], &a);
		/* and the kid form of each verifies too */
		wh_post_acct(f, &a, a.kid, NULL, &r);
		wh_assert_ok(&r, 200);
		wr_clear(&r);
		wh_acct_free(&a);
	}
}

/* K05: alg of the wrong type, or missing. */
static void
test_wfe_k05_alg_wrong_type_or_missing_is_malformed(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *jwk, *hdr;
	const char	*algs[] = { "\"alg\":1,", "\"alg\":null,",
	    "\"alg\":[\"ES256\"],", "" };

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	jwk = tu_jwk_str(k);
	for (size_t i = 0; i < 4; i++) {
		wh_nonce(f, nonce);
		hdr = xprintf("{%s\"jwk\":%s,\"nonce\":\"%s\",\"url\":\"%s\"}",
		    algs[i], jwk, nonce, url);
		post_hdr(f, k, url, hdr, "{}", &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
	}
	assert_int_equal(count_accounts_by_key(f, k), 0);
	free(jwk);
	EVP_PKEY_free(k);
}

/* K06: alg must be the one the key implies (verifier follows the key). */
static void
test_wfe_k06_alg_key_mismatch_is_malformed(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*ec = tu_key_ec256(), *rsa = tu_key_rsa(2048);
	struct wacct	 a;
	struct wr	 r;
	char		*jwk, *hdr, url[ACME_URL_SIZE];
	struct { EVP_PKEY *k; const char *alg; } c[] = {
		{ rsa, "ES256" }, { ec, "RS256" }, { ec, "ES384" },
		{ ec, "EdDSA" },
	};

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		jwk = tu_jwk_str(c[i].k);
		hdr = hdr_jwk(f, c[i].alg, jwk);
		post_hdr(f, c[i].k, url, hdr, "{}", &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
		free(jwk);
	}
	EVP_PKEY_free(rsa);
	/* kid form: the stored key decides, not the header. */
	wh_account_key(f, ec, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES384", a.kid, url);
	post_hdr(f, a.key, url, hdr, ORDER_A, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(hdr);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* K07: a JWK's own "alg" must match its key. */
static void
test_wfe_k07_jwk_alg_member_mismatch_is_malformed(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		*jwk = tu_jwk_str(k), *jwk2, *hdr, url[ACME_URL_SIZE];

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	/* {"crv":... -> {"alg":"HS256","crv":... */
	jwk2 = xprintf("{\"alg\":\"HS256\",%s", jwk + 1);
	hdr = hdr_jwk(f, "ES256", jwk2);
	post_hdr(f, k, url, hdr, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_int_equal(count_accounts_by_key(f, k), 0);
	free(hdr);
	free(jwk2);
	free(jwk);
	EVP_PKEY_free(k);
}

/* K08: unsupported key types. */
static void
test_wfe_k08_unsupported_kty_is_bad_public_key(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	const char	*jwks[] = {
		"{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0\"}",
		"{\"kty\":\"XYZ\",\"x\":\"AAAA\"}",
		("{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAA\"}"),
		("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAA\"}"),
	};

	for (size_t i = 0; i < sizeof(jwks) / sizeof(jwks[0]); i++) {
		new_account_garbage_sig(f, "ES256", jwks[i], 64, &r);
		wh_assert_problem(&r, 400, "badPublicKey");
		wr_clear(&r);
	}
}

/* K09, K10: RSA sizes outside 2048..4096 (checked before verifying). */
static void
test_wfe_k09_k10_rsa_size_out_of_range_is_bad_public_key(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k1024 = tu_key_rsa(1024);
	struct wr	 r;
	unsigned char	*n;
	char		*nb, *jwk, *hdr, url[ACME_URL_SIZE];
	size_t		 sizes[] = { 64, 2048 };	/* 512 and 16384 bits */

	/* 1024 bits, correctly signed */
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	jwk = tu_jwk_str(k1024);
	hdr = hdr_jwk(f, "RS256", jwk);
	post_hdr(f, k1024, url, hdr, "{}", &r);
	wh_assert_problem(&r, 400, "badPublicKey");
	wr_clear(&r);
	free(hdr);
	free(jwk);
	EVP_PKEY_free(k1024);
	for (size_t i = 0; i < 2; i++) {
		assert_non_null(n = malloc(sizes[i]));
		memset(n, 0xc5, sizes[i]);
		n[sizes[i] - 1] |= 1;
		nb = tu_b64url(n, sizes[i]);
		jwk = xprintf("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}",
		    nb);
		new_account_garbage_sig(f, "RS256", jwk, sizes[i], &r);
		wh_assert_problem(&r, 400, "badPublicKey");
		wr_clear(&r);
		free(jwk);
		free(nb);
		free(n);
	}
}

/* K11: exponent must be 65537. */
static void
test_wfe_k11_rsa_bad_exponent_is_bad_public_key(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_rsa(2048);
	struct wr	 r;
	unsigned char	 big[126];
	char		*nb = bn_b64(k, "n"), *bigb, *jwk;
	const char	*es[] = { "AQ", "Aw", "AQAA", NULL };

	memset(big, 0, sizeof(big));
	big[0] = 0x01;
	big[125] = 0x01;	/* 2^1000 + 1 */
	bigb = tu_b64url(big, sizeof(big));
	es[3] = bigb;
	for (size_t i = 0; i < 4; i++) {
		jwk = xprintf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
		    es[i], nb);
		new_account_garbage_sig(f, "RS256", jwk, 256, &r);
		wh_assert_problem(&r, 400, "badPublicKey");
		wr_clear(&r);
		free(jwk);
	}
	free(bigb);
	free(nb);
	EVP_PKEY_free(k);
}

/* K12: a non-canonical encoding of an account's key never makes a 2nd account. */
static void
test_wfe_k12_noncanonical_key_never_second_account(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	BIGNUM		*bn = NULL;
	unsigned char	 buf[600];
	char		*nb, *jwk, *hdr, url[ACME_URL_SIZE];
	int		 len;

	wh_account_key(f, tu_key_rsa(2048), &a);
	assert_int_equal(EVP_PKEY_get_bn_param(a.key, "n", &bn), 1);
	buf[0] = 0;
	len = BN_bn2bin(bn, buf + 1);
	BN_free(bn);
	nb = tu_b64url(buf, (size_t)len + 1);
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	/* n with a leading zero octet */
	jwk = xprintf("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}", nb);
	hdr = hdr_jwk(f, "RS256", jwk);
	post_hdr(f, a.key, url, hdr, "{}", &r);
	if (r.status == 200)
		assert_string_equal(wr_header(&r, "Location"), a.kid);
	else
		wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(hdr);
	free(jwk);
	free(nb);
	/* e with a leading zero octet */
	nb = bn_b64(a.key, "n");
	jwk = xprintf("{\"e\":\"AAEAAQ\",\"kty\":\"RSA\",\"n\":\"%s\"}", nb);
	hdr = hdr_jwk(f, "RS256", jwk);
	post_hdr(f, a.key, url, hdr, "{}", &r);
	if (r.status == 200)
		assert_string_equal(wr_header(&r, "Location"), a.kid);
	else
		wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(hdr);
	free(jwk);
	free(nb);
	assert_int_equal(count_accounts_by_key(f, a.key), 1);
	wh_acct_free(&a);
}

/* K13, K14, K15: EC points off the curve, short coordinates, other curves. */
static void
test_wfe_k13_k14_k15_bad_ec_keys_are_refused(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		*x, *y, *y2, *jwk;
	unsigned char	 zero[32], p[32];
	char		*zb, *pb;
	size_t		 ylen;

	ec_xy(k, 32, &x, &y);
	memset(zero, 0, sizeof(zero));
	/* P-256 field prime */
	{
		const char *hex = "ffffffff000000010000000000000000"
		    "00000000ffffffffffffffffffffffff";

		for (size_t i = 0; i < 32; i++) {
			unsigned v;

			sscanf(hex + 2 * i, "%2x", &v);
			p[i] = (unsigned char)v;
		}
	}
	zb = tu_b64url(zero, 32);
	pb = tu_b64url(p, 32);
	/* K13: y changed in the last bit: off the curve */
	y2 = strdup(y);
	ylen = strlen(y2);
	y2[ylen - 1] = y2[ylen - 1] == 'A' ? 'E' : 'A';
	jwk = xprintf("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
	    "\"y\":\"%s\"}", x, y2);
	new_account_garbage_sig(f, "ES256", jwk, 64, &r);
	wh_assert_problem(&r, 400, "badPublicKey");
	wr_clear(&r);
	free(jwk);
	/* K13: the point at infinity (0, 0) */
	jwk = xprintf("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
	    "\"y\":\"%s\"}", zb, zb);
	new_account_garbage_sig(f, "ES256", jwk, 64, &r);
	wh_assert_problem(&r, 400, "badPublicKey");
	wr_clear(&r);
	free(jwk);
	/* K13: x = p */
	jwk = xprintf("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
	    "\"y\":\"%s\"}", pb, y);
	new_account_garbage_sig(f, "ES256", jwk, 64, &r);
	wh_assert_problem(&r, 400, "badPublicKey");
	wr_clear(&r);
	free(jwk);
	/* K14: 31-byte x */
	jwk = xprintf("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
	    "\"y\":\"%s\"}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", y);
	new_account_garbage_sig(f, "ES256", jwk, 64, &r);
	assert_true(r.status == 400);
	assert_true(strcmp(wr_str(&r, "type"), WH_URN "malformed") == 0 ||
	    strcmp(wr_str(&r, "type"), WH_URN "badPublicKey") == 0);
	wh_assert_common(&r);
	wr_clear(&r);
	free(jwk);
	/* K15: other curves */
	{
		const char *crvs[] = { "secp256k1", "P-192", "brainpoolP256r1",
		    "P-224" };

		for (size_t i = 0; i < 4; i++) {
			jwk = xprintf("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":"
			    "\"%s\",\"y\":\"%s\"}", crvs[i], x, y);
			new_account_garbage_sig(f, "ES256", jwk, 64, &r);
			wh_assert_problem(&r, 400, "badPublicKey");
			wr_clear(&r);
			free(jwk);
		}
	}
	free(zb);
	free(pb);
	free(x);
	free(y);
	free(y2);
	EVP_PKEY_free(k);
}

/* K16: private members in the JWK are refused (never persisted). */
static void
test_wfe_k16_jwk_with_private_members_is_malformed(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		*jwk = tu_jwk_str(k), *d = bn_b64(k, "priv"), *jwk2;
	char		*hdr, url[ACME_URL_SIZE];

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	jwk2 = xprintf("{\"d\":\"%s\",%s", d, jwk + 1);
	hdr = hdr_jwk(f, "ES256", jwk2);
	post_hdr(f, k, url, hdr, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	assert_null(strstr(r.body, d));
	wr_clear(&r);
	assert_int_equal(count_accounts_by_key(f, k), 0);
	free(hdr);
	free(jwk2);
	free(d);
	free(jwk);
	EVP_PKEY_free(k);
}

/* K17, K18: psychic signatures and wrong ECDSA signature encodings. */
static void
test_wfe_k17_k18_bad_ecdsa_signatures_are_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	unsigned char	 sig[72];
	char		*hdr, *s, *body, url[ACME_URL_SIZE];
	const char	*nhex = "ffffffff00000000ffffffffffffffff"
	    "bce6faada7179e84f3b9cac2fc632551";

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	/* r = s = 0 */
	memset(sig, 0, sizeof(sig));
	s = tu_b64url(sig, 64);
	body = tu_jws_body(x.p, x.y, s);
	expect_order_malformed(f, body);
	free(body);
	free(s);
	/* r = n, s = 1 */
	for (size_t i = 0; i < 32; i++) {
		unsigned v;

		sscanf(nhex + 2 * i, "%2x", &v);
		sig[i] = (unsigned char)v;
	}
	memset(sig + 32, 0, 32);
	sig[63] = 1;
	s = tu_b64url(sig, 64);
	body = tu_jws_body(x.p, x.y, s);
	expect_order_malformed(f, body);
	free(body);
	free(s);
	/* 63 and 65 bytes */
	s = tu_b64url(x.sig, 63);
	body = tu_jws_body(x.p, x.y, s);
	expect_order_malformed(f, body);
	free(body);
	free(s);
	memcpy(sig, x.sig, 64);
	sig[64] = 0;
	s = tu_b64url(sig, 65);
	body = tu_jws_body(x.p, x.y, s);
	expect_order_malformed(f, body);
	free(body);
	free(s);
	/* DER form of the same (valid) signature */
	{
		ECDSA_SIG	*es = ECDSA_SIG_new();
		unsigned char	*der = NULL;
		int		 dlen;

		assert_non_null(es);
		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(x.sig, 32, NULL),
		    BN_bin2bn(x.sig + 32, 32, NULL)), 1);
		assert_true((dlen = i2d_ECDSA_SIG(es, &der)) > 0);
		s = tu_b64url(der, (size_t)dlen);
		body = tu_jws_body(x.p, x.y, s);
		expect_order_malformed(f, body);
		free(body);
		free(s);
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
	}
	assert_int_equal(order_count(f, a.id), 0);
	/*
	 * Each variant above was judged on its signature although the first
	 * one spent the nonce (the check order stays, RFC 8555 §6.5). The
	 * good R||S signature with this nonce is therefore badNonce, and a
	 * fresh nonce is the positive control.
	 */
	body = tu_jws_body(x.p, x.y, x.s);
	{
		struct wr r;

		wh_post_raw(f, url, body, &r);
		wh_assert_problem(&r, 400, "badNonce");
		wr_clear(&r);
		free(body);
		free(hdr);
		parts_free(&x);
		hdr = hdr_kid(f, "ES256", a.kid, url);
		parts_sign(&x, a.key, hdr, ORDER_A);
		body = tu_jws_body(x.p, x.y, x.s);
		wh_post_raw(f, url, body, &r);
		wh_assert_ok(&r, 201);
		wr_clear(&r);
	}
	free(body);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* K19: B's signature under A's kid (Boulder swapped key). */
static void
test_wfe_k19_other_accounts_key_under_kid_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct wr	 r;
	char		 url[ACME_URL_SIZE];

	wh_account(f, &a);
	wh_account(f, &b);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_post(f, b.key, a.kid, url, ORDER_A, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_int_equal(order_count(f, a.id), 0);
	assert_int_equal(order_count(f, b.id), 0);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* K20: a payload changed after signing fails verification. */
static void
test_wfe_k20_payload_bit_flip_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *y2, *body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "ES256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	/* "a.test" -> "c.test": one bit of the decoded payload */
	y2 = tu_b64url_str("{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"c.test\"}]}");
	body = tu_jws_body(x.p, y2, x.s);
	expect_order_malformed(f, body);
	free(body);
	free(y2);
	assert_int_equal(order_count(f, a.id), 0);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* K21: an RS256 signature one byte short of the modulus length. */
static void
test_wfe_k21_short_rsa_signature_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct parts	 x;
	char		*hdr, *s, *body, url[ACME_URL_SIZE];

	wh_account_key(f, tu_key_rsa(2048), &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	hdr = hdr_kid(f, "RS256", a.kid, url);
	parts_sign(&x, a.key, hdr, ORDER_A);
	assert_int_equal(x.siglen, 256);
	s = tu_b64url(x.sig + 1, 255);
	body = tu_jws_body(x.p, x.y, s);
	expect_order_malformed(f, body);
	free(body);
	free(s);
	assert_int_equal(order_count(f, a.id), 0);
	free(hdr);
	parts_free(&x);
	wh_acct_free(&a);
}

/* ---------- N: nonces ---------- */

/* N01: no nonce is badNonce (RFC 8555 §6.5) with a fresh one to retry. */
static void
test_wfe_n01_missing_nonce_is_bad_nonce(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 url[ACME_URL_SIZE], *body;

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	body = tu_jws_sign(a.key, NULL, false, a.kid, NULL, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	wr_clear(&r);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* N02: a replayed request is badNonce and has no second effect. */
static void
test_wfe_n02_replay_is_bad_nonce_without_side_effect(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		*body, url[ACME_URL_SIZE];
	EVP_PKEY	*k = tu_key_ec256();
	char		 nonce[NONCE_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	body = order_body(f, &a, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	wr_clear(&r);
	free(body);
	assert_int_equal(order_count(f, a.id), 1);
	/* and for newAccount */
	url_of(url, ACME_PATH_NEW_ACCOUNT);
	wh_nonce(f, nonce);
	body = tu_jws_sign(k, NULL, true, NULL, nonce, url, "{}");
	wh_post_raw(f, url, body, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	wr_clear(&r);
	free(body);
	assert_int_equal(count_accounts_by_key(f, k), 1);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* N03: a well-formed nonce we never issued. */
static void
test_wfe_n03_unissued_nonce_is_bad_nonce(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		*body, url[ACME_URL_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	body = tu_jws_sign(a.key, NULL, false, a.kid, "AAAAAAAAAAAAAAAAAAAAAA",
	    url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	wr_clear(&r);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* N04, N05: RFC 8555 §6.5.2 a nonce that is not base64url is malformed. */
static void
test_wfe_n04_n05_malformed_nonce_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *hdr;
	const char	*bad[] = { "\"im-a-nonce!\"", "\"%s=\"", "\"\"", "1",
	    "{}", "null" };

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char val[64];

		wh_nonce(f, nonce);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(val, sizeof(val), bad[i], nonce);
#pragma GCC diagnostic pop
		hdr = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\",\"nonce\":%s,"
		    "\"url\":\"%s\"}", a.kid, val, url);
		post_hdr(f, a.key, url, hdr, ORDER_A, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
	}
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

struct n06 {
	struct wh		*f;
	const char		*body;
	pthread_barrier_t	*go;
	int			 status;
	char			 type[96];
};

static void *
n06_thread(void *arg)
{
	struct n06	*t = arg;
	struct wr	 r;
	char		 url[ACME_URL_SIZE];

	url_of(url, ACME_PATH_NEW_ORDER);
	pthread_barrier_wait(t->go);
	wh_post_raw(t->f, url, t->body, &r);
	t->status = r.status;
	if (wr_str(&r, "type") != NULL)
		snprintf(t->type, sizeof(t->type), "%s", wr_str(&r, "type"));
	wr_clear(&r);
	return NULL;
}

/* N06: fifty concurrent requests with one nonce: exactly one wins. */
static void
test_wfe_n06_concurrent_nonce_reuse_one_success(void **state)
{
	struct wh		*f = *state;
	enum { N = 50 };
	struct wacct		 a;
	struct n06		 t[N];
	pthread_t		 th[N];
	pthread_barrier_t	 go;
	char			*bodies[N], nonce[NONCE_SIZE], url[ACME_URL_SIZE];
	char			 payload[128];
	int			 ok = 0, bad = 0;

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, nonce);
	pthread_barrier_init(&go, NULL, N);
	for (int i = 0; i < N; i++) {
		snprintf(payload, sizeof(payload), "{\"identifiers\":[{\"type\":"
		    "\"dns\",\"value\":\"n%d.test\"}]}", i);
		bodies[i] = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url,
		    payload);
		assert_non_null(bodies[i]);
		memset(&t[i], 0, sizeof(t[i]));
		t[i].f = f;
		t[i].body = bodies[i];
		t[i].go = &go;
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, n06_thread,
		    &t[i]), 0);
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (t[i].status == 201)
			ok++;
		else if (t[i].status == 400 &&
		    strcmp(t[i].type, WH_URN "badNonce") == 0)
			bad++;
		free(bodies[i]);
	}
	pthread_barrier_destroy(&go);
	assert_int_equal(ok, 1);
	assert_int_equal(bad, N - 1);
	assert_int_equal(order_count(f, a.id), 1);
	wh_acct_free(&a);
}

/* N07, N08: after a restart old nonces are badNonce; the retry works. */
static void
test_wfe_n07_n08_restart_bad_nonce_then_retry_succeeds(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		*body, url[ACME_URL_SIZE], nonce[NONCE_SIZE];

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	body = order_body(f, &a, ORDER_A);
	assert_int_equal(wh_start(f, false), 0);	/* same db, new nonces */
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	snprintf(nonce, sizeof(nonce), "%s", wr_header(&r, "Replay-Nonce"));
	wr_clear(&r);
	free(body);
	body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	free(body);
	wh_acct_free(&a);
}

/* N09: a request refused after the nonce was redeemed consumed it. */
static void
test_wfe_n09_nonce_consumed_by_url_mismatch(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		*body, url[ACME_URL_SIZE];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	url_of(url, ACME_PATH_NEW_ORDER);
	body = order_body(f, &a, ORDER_B);
	wh_post_raw(f, o.finalize, body, &r);	/* U02 */
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	wr_clear(&r);
	free(body);
	assert_int_equal(order_count(f, a.id), 1);
	wh_acct_free(&a);
}

/* N10: the algorithm is checked before the nonce (§2 order). */
static void
test_wfe_n10_bad_alg_and_bad_nonce_reports_alg(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		*jwk = tu_jwk_str(k), *hdr, url[ACME_URL_SIZE];

	url_of(url, ACME_PATH_NEW_ACCOUNT);
	hdr = xprintf("{\"alg\":\"RS512\",\"jwk\":%s,\"nonce\":"
	    "\"AAAAAAAAAAAAAAAAAAAAAA\",\"url\":\"%s\"}", jwk, url);
	post_hdr(f, k, url, hdr, "{}", &r);
	wh_assert_problem(&r, 400, "badSignatureAlgorithm");
	wr_clear(&r);
	free(hdr);
	free(jwk);
	EVP_PKEY_free(k);
}

/*
 * N11: RFC 8555 §6.5 "once a nonce value has appeared in an ACME
 * request, the server MUST consider it invalid": a request that fails
 * after its protected header parsed (here a bad signature) spends its
 * nonce, and the same nonce with a good signature is then badNonce.
 */
static void
test_wfe_n11_bad_signature_spends_nonce(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *body;

	wh_account(f, &a);
	wh_account(f, &b);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, nonce);
	/* B's key signs under A's kid: the signature does not verify. */
	body = tu_jws_sign(b.key, NULL, false, a.kid, nonce, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(body);
	body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	wr_clear(&r);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	/* The same for an embedded key (newAccount): another key signed. */
	{
		EVP_PKEY	*k = tu_key_ec256();
		char		*jwk = tu_jwk_str(k), *hdr;

		url_of(url, ACME_PATH_NEW_ACCOUNT);
		wh_nonce(f, nonce);
		hdr = xprintf("{\"alg\":\"ES256\",\"jwk\":%s,\"nonce\":\"%s\","
		    "\"url\":\"%s\"}", jwk, nonce, url);
		body = tu_jws_sign_raw(b.key, hdr, "{}");
		wh_post_raw(f, url, body, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(body);
		body = tu_jws_sign(k, NULL, true, NULL, nonce, url, "{}");
		wh_post_raw(f, url, body, &r);
		wh_assert_problem(&r, 400, "badNonce");
		wr_clear(&r);
		free(body);
		assert_int_equal(count_accounts_by_key(f, k), 0);
		free(hdr);
		free(jwk);
		EVP_PKEY_free(k);
		url_of(url, ACME_PATH_NEW_ORDER);
	}
	/* The check order stays: a good signature with it, no nonce error. */
	wh_nonce(f, nonce);
	body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	free(body);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/*
 * N11 for every failure after the header parsed: an unknown account, a
 * url for another endpoint, a refused header parameter and an embedded
 * key the policy refuses (the last two fail inside the JWS parse).
 */
static void
test_wfe_n11_any_failure_after_header_spends_nonce(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	EVP_PKEY	*rsa1024;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], ghost[ACME_URL_SIZE];
	char		 furl[ACME_URL_SIZE], *body, *hdr, *jwk;

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	url_of(furl, ACME_PATH_NEW_ACCOUNT);
	url_of(ghost, ACME_PATH_ACCOUNT "AAAAAAAAAAAAAAAAAAAAAA");
	for (int i = 0; i < 4; i++) {
		wh_nonce(f, nonce);
		switch (i) {
		case 0:	/* no such account */
			body = tu_jws_sign(a.key, NULL, false, ghost, nonce,
			    url, ORDER_A);
			break;
		case 1:	/* signed for newAccount, sent to newOrder */
			body = tu_jws_sign(a.key, NULL, false, a.kid, nonce,
			    furl, ORDER_A);
			break;
		case 2:	/* a header parameter we refuse */
			hdr = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\","
			    "\"nonce\":\"%s\",\"url\":\"%s\",\"x5u\":"
			    "\"https://x.test/\"}", a.kid, nonce, url);
			body = tu_jws_sign_raw(a.key, hdr, ORDER_A);
			free(hdr);
			break;
		default: /* an RSA-1024 account key: badPublicKey */
			rsa1024 = tu_key_rsa(1024);
			jwk = tu_jwk_str(rsa1024);
			hdr = xprintf("{\"alg\":\"RS256\",\"jwk\":%s,"
			    "\"nonce\":\"%s\",\"url\":\"%s\"}", jwk, nonce,
			    furl);
			body = tu_jws_sign_raw(rsa1024, hdr, "{}");
			free(hdr);
			free(jwk);
			EVP_PKEY_free(rsa1024);
		}
		assert_non_null(body);
		wh_post_raw(f, i == 3 ? furl : url, body, &r);
		assert_true(r.status >= 400);
		if (r.json != NULL && wr_str(&r, "type") != NULL)
			assert_string_not_equal(wr_str(&r, "type"),
			    WH_URN "badNonce");
		wr_clear(&r);
		free(body);
		/* The same nonce in an otherwise good request. */
		body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url,
		    ORDER_A);
		wh_post_raw(f, url, body, &r);
		if (r.status != 400)
			fprintf(stderr, "case %d: nonce reused: %d\n", i,
			    r.status);
		wh_assert_problem(&r, 400, "badNonce");
		wr_clear(&r);
		free(body);
	}
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* N12: a nonce that fell out of the window is badNonce. */
static void
test_wfe_n12_nonce_outside_window_is_bad_nonce(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 old[NONCE_SIZE], n[NONCE_SIZE], url[ACME_URL_SIZE];
	char		*body;

	f->nonce_cap = 8;
	assert_int_equal(wh_start(f, true), 0);
	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, old);
	for (int i = 0; i < 20; i++)
		wh_nonce(f, n);
	body = tu_jws_sign(a.key, NULL, false, a.kid, old, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_problem(&r, 400, "badNonce");
	wr_clear(&r);
	free(body);
	/* the newest is still good */
	body = tu_jws_sign(a.key, NULL, false, a.kid, n, url, ORDER_A);
	wh_post_raw(f, url, body, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	free(body);
	wh_acct_free(&a);
}

/* ---------- U: request URL ---------- */

/* U01, U07: url missing or not a non-empty string. */
static void
test_wfe_u01_u07_url_missing_or_wrong_type_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *hdr;
	const char	*urls[] = { "", ",\"url\":1", ",\"url\":null",
	    ",\"url\":\"\"", ",\"url\":[]" };

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		wh_nonce(f, nonce);
		hdr = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\",\"nonce\":"
		    "\"%s\"%s}", a.kid, nonce, urls[i]);
		post_hdr(f, a.key, url, hdr, ORDER_A, &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		free(hdr);
	}
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* U02: a newOrder JWS posted to finalize: unauthorized (RFC 8555 §6.4). */
static void
test_wfe_u02_cross_endpoint_replay_is_unauthorized(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		*body;
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_ready_order(f, &a, n, 1, &o);
	body = order_body(f, &a, ORDER_A);
	wh_post_raw(f, o.finalize, body, &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	free(body);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "ready");
	assert_int_equal(order_count(f, a.id), 1);
	wh_acct_free(&a);
}

/* U03-U05: the url is compared byte for byte, with no normalisation. */
static void
test_wfe_u03_u04_u05_url_variants_are_unauthorized(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], *body;
	const char	*urls[] = {
		"http://localhost:8555/acme/new-order",
		"https://127.0.0.1:8555/acme/new-order",
		"https://localhost/acme/new-order",
		"https://localhost:443/acme/new-order",
		"https://LOCALHOST:8555/acme/new-order",
		"https://localhost:8555/acme/new-order/",
		"https://localhost:8555/acme/new-order?x=1",
		"https://localhost:8555/acme/new-order#f",
		"https://localhost:8555/acme/new%2Dorder",
		"https://localhost:8555/acme/../acme/new-order",
		"https://localhost:8555//acme/new-order",
		"/acme/new-order",
	};

	wh_account(f, &a);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		wh_nonce(f, nonce);
		body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, urls[i],
		    ORDER_A);
		wh_req_full(f, "POST", ACME_PATH_NEW_ORDER, WH_JOSE, body,
		    strlen(body), NULL, NULL, &r);
		wh_assert_problem(&r, 403, "unauthorized");
		wr_clear(&r);
		free(body);
	}
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/*
 * U03-U05, path side (RFC 8555 §6.4): the url is compared with the
 * request target as received. libmicrohttpd decodes "%2D" to "-" before
 * routing, so these reach newOrder, yet they were not sent to
 * ".../acme/new-order": unauthorized, and no order. The url naming the
 * encoded target exactly is the URL the request was sent to.
 */
static void
test_wfe_u03_encoded_request_path_is_unauthorized(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *body;
	const char	*paths[] = { "/acme/new%2Dorder", "/acme/%6eew-order",
	    "/acme/new%2dorder", "/%61cme/new-order", "/acme%2Fnew-order" };

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		wh_nonce(f, nonce);
		body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url,
		    ORDER_A);
		wh_req_full(f, "POST", paths[i], WH_JOSE, body, strlen(body),
		    NULL, NULL, &r);
		if (r.status != 403)
			fprintf(stderr, "%s: %d\n", paths[i], r.status);
		wh_assert_problem(&r, 403, "unauthorized");
		wr_clear(&r);
		free(body);
	}
	assert_int_equal(order_count(f, a.id), 0);
	/* Signed for the encoded target itself: it is that URL (routed). */
	url_of(url, "/acme/new%2Dorder");
	wh_nonce(f, nonce);
	body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url, ORDER_A);
	wh_req_full(f, "POST", "/acme/new%2Dorder", WH_JOSE, body,
	    strlen(body), NULL, NULL, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	free(body);
	wh_acct_free(&a);
}

/* U06: a query on the request line must be in the url too. */
static void
test_wfe_u06_request_query_not_in_url_is_unauthorized(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE], *body;

	wh_account(f, &a);
	url_of(url, ACME_PATH_NEW_ORDER);
	wh_nonce(f, nonce);
	body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url, ORDER_A);
	wh_req_full(f, "POST", ACME_PATH_NEW_ORDER "?x=1", WH_JOSE, body,
	    strlen(body), NULL, NULL, &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	free(body);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* §6.3: POST-as-GET has the empty payload; "{}" or "null" is not one. */
static void
test_wfe_post_as_get_requires_empty_payload(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	wh_post_acct(f, &a, o.url, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_post_acct(f, &a, o.url, "null", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_post_acct(f, &a, o.url, NULL, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	/* and an object endpoint refuses the empty payload */
	wh_post_acct(f, &a, o.finalize, NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		WH_TEST(test_wfe_j01_compact_serialization_is_malformed),
		WH_TEST(test_wfe_j02_general_serialization_is_malformed),
		WH_TEST(test_wfe_j03_flattened_plus_signatures_is_malformed),
		WH_TEST(test_wfe_j04_unprotected_header_is_malformed),
		WH_TEST(test_wfe_j05_j06_j07_missing_members_are_malformed),
		WH_TEST(test_wfe_j08_j09_crit_params_are_malformed),
		WH_TEST(test_wfe_j10_j11_non_strict_base64url_is_malformed),
		WH_TEST(test_wfe_j12_noncanonical_trailing_bits_are_malformed),
		WH_TEST(test_wfe_j13_protected_not_object_is_malformed),
		WH_TEST(test_wfe_j14_duplicate_header_members_are_malformed),
		WH_TEST(test_wfe_j15_j16_outer_duplicates_and_trailing_data_are_malformed),
		WH_TEST(test_wfe_j17_deeply_nested_payload_is_malformed),
		WH_TEST(test_wfe_j18_j19_nul_and_lone_surrogate_are_malformed),
		WH_TEST(test_wfe_j20_j21_payload_wrong_shape_is_malformed),
		WH_TEST(test_wfe_j22_j23_jwk_and_kid_both_or_neither_malformed),
		WH_TEST(test_wfe_j24_new_account_with_kid_is_malformed),
		WH_TEST(test_wfe_j25_kid_endpoints_refuse_embedded_jwk),
		WH_TEST(test_wfe_a10_kid_with_same_length_foreign_base_is_malformed),
		WH_TEST(test_wfe_j26_jku_x5u_x5c_are_refused),
		WH_TEST(test_wfe_j27_reencoded_protected_header_fails_signature),
		WH_TEST(test_wfe_j28_reordered_header_with_whitespace_accepted),
		WH_TEST(test_wfe_k01_alg_none_is_bad_signature_algorithm),
		WH_TEST(test_wfe_k02_hs256_is_bad_signature_algorithm),
		WH_TEST(test_wfe_k03_k04_unlisted_algs_are_bad_signature_algorithm),
		WH_TEST(test_wfe_k_allowed_algorithms_create_accounts),
		WH_TEST(test_wfe_k05_alg_wrong_type_or_missing_is_malformed),
		WH_TEST(test_wfe_k06_alg_key_mismatch_is_malformed),
		WH_TEST(test_wfe_k07_jwk_alg_member_mismatch_is_malformed),
		WH_TEST(test_wfe_k08_unsupported_kty_is_bad_public_key),
		WH_TEST(test_wfe_k09_k10_rsa_size_out_of_range_is_bad_public_key),
		WH_TEST(test_wfe_k11_rsa_bad_exponent_is_bad_public_key),
		WH_TEST(test_wfe_k12_noncanonical_key_never_second_account),
		WH_TEST(test_wfe_k13_k14_k15_bad_ec_keys_are_refused),
		WH_TEST(test_wfe_k16_jwk_with_private_members_is_malformed),
		WH_TEST(test_wfe_k17_k18_bad_ecdsa_signatures_are_malformed),
		WH_TEST(test_wfe_k19_other_accounts_key_under_kid_is_malformed),
		WH_TEST(test_wfe_k20_payload_bit_flip_is_malformed),
		WH_TEST(test_wfe_k21_short_rsa_signature_is_malformed),
		WH_TEST(test_wfe_n01_missing_nonce_is_bad_nonce),
		WH_TEST(test_wfe_n02_replay_is_bad_nonce_without_side_effect),
		WH_TEST(test_wfe_n03_unissued_nonce_is_bad_nonce),
		WH_TEST(test_wfe_n04_n05_malformed_nonce_is_malformed),
		WH_TEST(test_wfe_n06_concurrent_nonce_reuse_one_success),
		WH_TEST(test_wfe_n07_n08_restart_bad_nonce_then_retry_succeeds),
		WH_TEST(test_wfe_n09_nonce_consumed_by_url_mismatch),
		WH_TEST(test_wfe_n10_bad_alg_and_bad_nonce_reports_alg),
		WH_TEST(test_wfe_n11_bad_signature_spends_nonce),
		WH_TEST(test_wfe_n11_any_failure_after_header_spends_nonce),
		WH_TEST(test_wfe_n12_nonce_outside_window_is_bad_nonce),
		WH_TEST(test_wfe_u01_u07_url_missing_or_wrong_type_is_malformed),
		WH_TEST(test_wfe_u02_cross_endpoint_replay_is_unauthorized),
		WH_TEST(test_wfe_u03_u04_u05_url_variants_are_unauthorized),
		WH_TEST(test_wfe_u03_encoded_request_path_is_unauthorized),
		WH_TEST(test_wfe_u06_request_query_not_in_url_is_unauthorized),
		WH_TEST(test_wfe_post_as_get_requires_empty_payload),
	};

	return cmocka_run_group_tests(tests, wh_group_setup, wh_group_teardown);
}
