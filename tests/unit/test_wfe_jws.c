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

/* ---------- the table: one row per request ---------- */

/*
 * Most checks here are one request that differs from a valid one in one
 * place. Each is a row: the request is built from templates, sent, and
 * the answer checked the same way for every row (status and problem
 * type, the common headers, and that a refused request made no order
 * and no account). Rows name the test they were (the docs cite those
 * names) and their variant; a failing row is the last one printed.
 *
 * Templates are copied with these substitutions:
 *   $A the row's alg       $K account a's URL   $B account b's URL
 *   $U the endpoint's URL  $N a fresh nonce (one per row)
 *   $J the row key's JWK   $j the same without its leading '{'
 *   $D the row key's private scalar (EC)        $n its modulus (RSA)
 *   $x $y its EC coordinates, $z y with its last character changed
 * and, in the part templates (pmut, ymut, smut) and body templates:
 *   $P $Y $S the signed parts (base64url)   $p $P with a space inside
 */

/* Where a row's request goes. */
enum jto {
	TO_ORDER = 0,	/* newOrder */
	TO_ACCOUNT,	/* newAccount */
	TO_ACCT,	/* account a's URL */
};

/* Which key signs it (and is $J). */
enum jkey {
	K_A = 0,	/* account a's (P-256) */
	K_B,		/* account b's (P-256) */
	K_EC,		/* P-256, no account */
	K_RSA,		/* RSA 2048, no account */
	K_RSA1024,	/* RSA 1024, no account */
};

/* How the signature part is made. */
enum jsig {
	SIG_KEY = 0,	/* the key signs "$P.$Y" */
	SIG_NONE,	/* "" */
	SIG_GARBAGE,	/* siglen bytes of 0x5a */
	SIG_HMAC,	/* HS256 keyed with the JWK text (alg confusion) */
};

#define F_ALGS		0x01	/* the problem lists the five algorithms */
#define F_NO_PRIV	0x02	/* the answer does not echo $D */

/* A part template meaning "leave the member out". */
static const char ABSENT[] = "(absent)";

struct jcase {
	const char	*test;		/* the test it was; docs cite it */
	const char	*what;		/* the variant */
	enum jto	 to;
	enum jkey	 key;
	const char	*alg;		/* NULL: ES256, RS256 for RSA keys */
	const char	*hdr;		/* NULL: jwk form to newAccount, else kid */
	const char	*payload;	/* NULL: "{}" to newAccount, else ORDER_A */
	const char	*pmut, *ymut, *smut;	/* NULL: the part as signed */
	const char	*body;		/* NULL: flattened JSON of the parts */
	const char	*path;		/* request target; NULL: the URL's */
	enum jsig	 sig;
	size_t		 siglen;
	int		 status;
	const char	*type;		/* problem type; NULL for a 2xx */
	const char	*alt;		/* another acceptable type, or NULL */
	unsigned	 flags;
};

#define ROW(t, w)	.test = (t), .what = (w)
#define MALFORMED	.status = 400, .type = "malformed"
#define BAD_NONCE	.status = 400, .type = "badNonce"
#define BAD_ALG		.status = 400, .type = "badSignatureAlgorithm"
#define BAD_KEY		.status = 400, .type = "badPublicKey"
#define UNAUTHORIZED	.status = 403, .type = "unauthorized"
#define CREATED		.status = 201

#define H_KID(alg)	"{\"alg\":\"" alg "\",\"kid\":\"$K\",\"nonce\":\"$N\"," \
			    "\"url\":\"$U\"}"
#define H_JWK(jwk)	"{\"alg\":\"ES256\",\"jwk\":" jwk ",\"nonce\":\"$N\"," \
			    "\"url\":\"$U\"}"
#define H_RSA(jwk)	"{\"alg\":\"RS256\",\"jwk\":" jwk ",\"nonce\":\"$N\"," \
			    "\"url\":\"$U\"}"
#define H_EC(x, y)	H_JWK("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" x \
			    "\",\"y\":\"" y "\"}")
#define H_CRV(crv)	H_JWK("{\"crv\":\"" crv "\",\"kty\":\"EC\",\"x\":\"$x\"," \
			    "\"y\":\"$y\"}")
#define H_E(e)		H_RSA("{\"e\":\"" e "\",\"kty\":\"RSA\",\"n\":\"$n\"}")
#define H_URL(u)	"{\"alg\":\"ES256\",\"kid\":\"$K\",\"nonce\":\"$N\"," \
			    "\"url\":\"" u "\"}"
#define H_NONCE(n)	"{\"alg\":\"ES256\",\"kid\":\"$K\",\"nonce\":" n "," \
			    "\"url\":\"$U\"}"
#define ORDER_OF(v)	"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"" v \
			    "\"}]}"
#define FLAT		"\"protected\":\"$P\",\"payload\":\"$Y\"," \
			    "\"signature\":\"$S\""

/* The names the docs cite. */
#define T_J01	"test_wfe_j01_compact_serialization_is_malformed"
#define T_J02	"test_wfe_j02_general_serialization_is_malformed"
#define T_J03	"test_wfe_j03_flattened_plus_signatures_is_malformed"
#define T_J04	"test_wfe_j04_unprotected_header_is_malformed"
#define T_J05	"test_wfe_j05_j06_j07_missing_members_are_malformed"
#define T_J08	"test_wfe_j08_j09_crit_params_are_malformed"
#define T_J10	"test_wfe_j10_j11_non_strict_base64url_is_malformed"
#define T_J13	"test_wfe_j13_protected_not_object_is_malformed"
#define T_J15	"test_wfe_j15_j16_outer_duplicates_and_trailing_data_are_malformed"
#define T_J18	"test_wfe_j18_j19_nul_and_lone_surrogate_are_malformed"
#define T_J20	"test_wfe_j20_j21_payload_wrong_shape_is_malformed"
#define T_J22	"test_wfe_j22_j23_jwk_and_kid_both_or_neither_malformed"
#define T_J24	"test_wfe_j24_new_account_with_kid_is_malformed"
#define T_J26	"test_wfe_j26_jku_x5u_x5c_are_refused"
#define T_J28	"test_wfe_j28_reordered_header_with_whitespace_accepted"
#define T_K01	"test_wfe_k01_alg_none_is_bad_signature_algorithm"
#define T_K02	"test_wfe_k02_hs256_is_bad_signature_algorithm"
#define T_K03	"test_wfe_k03_k04_unlisted_algs_are_bad_signature_algorithm"
#define T_K05	"test_wfe_k05_alg_wrong_type_or_missing_is_malformed"
#define T_K06	"test_wfe_k06_alg_key_mismatch_is_malformed"
#define T_K07	"test_wfe_k07_jwk_alg_member_mismatch_is_malformed"
#define T_K08	"test_wfe_k08_unsupported_kty_is_bad_public_key"
#define T_K09	"test_wfe_k09_k10_rsa_size_out_of_range_is_bad_public_key"
#define T_K11	"test_wfe_k11_rsa_bad_exponent_is_bad_public_key"
#define T_K13	"test_wfe_k13_k14_k15_bad_ec_keys_are_refused"
#define T_K16	"test_wfe_k16_jwk_with_private_members_is_malformed"
#define T_K19	"test_wfe_k19_other_accounts_key_under_kid_is_malformed"
#define T_K20	"test_wfe_k20_payload_bit_flip_is_malformed"
#define T_N01	"test_wfe_n01_missing_nonce_is_bad_nonce"
#define T_N03	"test_wfe_n03_unissued_nonce_is_bad_nonce"
#define T_N04	"test_wfe_n04_n05_malformed_nonce_is_malformed"
#define T_N10	"test_wfe_n10_bad_alg_and_bad_nonce_reports_alg"
#define T_U01	"test_wfe_u01_u07_url_missing_or_wrong_type_is_malformed"
#define T_U03	"test_wfe_u03_u04_u05_url_variants_are_unauthorized"
#define T_U03P	"test_wfe_u03_encoded_request_path_is_unauthorized"
#define T_U06	"test_wfe_u06_request_query_not_in_url_is_unauthorized"

/* J: structure (RFC 8555 §6.2, RFC 7515). */
static const struct jcase j_cases[] = {
	/* J01: flattened JSON only. */
	{ ROW(T_J01, "compact a.b.c"), .body = "$P.$Y.$S", MALFORMED },
	/* J02, J03: one signature, no "signatures". */
	{ ROW(T_J02, "general serialization"), .body = "{\"payload\":\"$Y\","
	    "\"signatures\":[{\"protected\":\"$P\",\"signature\":\"$S\"}]}",
	    MALFORMED },
	{ ROW(T_J03, "flattened plus signatures"), .body = "{" FLAT ","
	    "\"signatures\":[{\"protected\":\"$P\",\"signature\":\"$S\"}]}",
	    MALFORMED },
	/* J04: no unprotected header (boulder#2935), even an empty one. */
	{ ROW(T_J04, "header naming account b"), .body = "{" FLAT ","
	    "\"header\":{\"kid\":\"$B\"}}", MALFORMED },
	{ ROW(T_J04, "empty header"), .body = "{\"header\":{}," FLAT "}",
	    MALFORMED },
	/* J05-J07: protected, signature and payload are required. */
	{ ROW(T_J05, "J05 no protected"), .pmut = ABSENT, MALFORMED },
	{ ROW(T_J05, "J06 no signature"), .smut = ABSENT, MALFORMED },
	{ ROW(T_J05, "J06 empty signature"), .smut = "", MALFORMED },
	{ ROW(T_J05, "J07 detached payload"), .ymut = ABSENT, MALFORMED },
	/* J08, J09: RFC 7797 b64 and unknown critical parameters. */
	{ ROW(T_J08, "J08 crit b64"), .hdr = "{\"alg\":\"ES256\",\"crit\":"
	    "[\"b64\"],\"b64\":false,\"kid\":\"$K\",\"nonce\":\"$N\","
	    "\"url\":\"$U\"}", MALFORMED },
	{ ROW(T_J08, "J09 crit unknown"), .hdr = "{\"alg\":\"ES256\",\"crit\":"
	    "[\"x-unknown\"],\"x-unknown\":1,\"kid\":\"$K\",\"nonce\":\"$N\","
	    "\"url\":\"$U\"}", MALFORMED },
	/* J10, J11: strict base64url in each part (RFC 8555 §6.1). */
	{ ROW(T_J10, "protected ="), .pmut = "$P=", MALFORMED },
	{ ROW(T_J10, "payload ="), .ymut = "$Y=", MALFORMED },
	{ ROW(T_J10, "signature ="), .smut = "$S=", MALFORMED },
	{ ROW(T_J10, "protected =="), .pmut = "$P==", MALFORMED },
	{ ROW(T_J10, "payload =="), .ymut = "$Y==", MALFORMED },
	{ ROW(T_J10, "signature =="), .smut = "$S==", MALFORMED },
	{ ROW(T_J10, "protected leading space"), .pmut = " $P", MALFORMED },
	{ ROW(T_J10, "payload leading space"), .ymut = " $Y", MALFORMED },
	{ ROW(T_J10, "signature leading space"), .smut = " $S", MALFORMED },
	{ ROW(T_J10, "protected \\n"), .pmut = "$P\\n", MALFORMED },
	{ ROW(T_J10, "payload \\n"), .ymut = "$Y\\n", MALFORMED },
	{ ROW(T_J10, "signature \\n"), .smut = "$S\\n", MALFORMED },
	{ ROW(T_J10, "protected +"), .pmut = "+$P", MALFORMED },
	{ ROW(T_J10, "payload +"), .ymut = "+$Y", MALFORMED },
	{ ROW(T_J10, "signature +"), .smut = "+$S", MALFORMED },
	{ ROW(T_J10, "protected /"), .pmut = "/$P", MALFORMED },
	{ ROW(T_J10, "payload /"), .ymut = "/$Y", MALFORMED },
	{ ROW(T_J10, "signature /"), .smut = "/$S", MALFORMED },
	{ ROW(T_J10, "J11 space inside protected"), .pmut = "$p", MALFORMED },
	/* J13: the protected header decodes to a JSON object. */
	{ ROW(T_J13, "[]"), .hdr = "[]", MALFORMED },
	{ ROW(T_J13, "string"), .hdr = "\"x\"", MALFORMED },
	{ ROW(T_J13, "number"), .hdr = "1", MALFORMED },
	{ ROW(T_J13, "truncated"), .hdr = "{\"alg\":", MALFORMED },
	{ ROW(T_J13, "null"), .hdr = "null", MALFORMED },
	/* J15, J16: outer duplicates and trailing data. */
	{ ROW(T_J15, "J15 protected twice"), .body = "{\"protected\":\"$P\","
	    FLAT "}", MALFORMED },
	{ ROW(T_J15, "J15 payload twice"), .body = "{\"protected\":\"$P\","
	    "\"payload\":\"$Y\",\"payload\":\"$Y\",\"signature\":\"$S\"}",
	    MALFORMED },
	{ ROW(T_J15, "J16 trailing text"), .body = "{" FLAT "} xyz",
	    MALFORMED },
	{ ROW(T_J15, "J16 trailing object"), .body = "{" FLAT "}{}",
	    MALFORMED },
	/* J18, J19: NUL escapes and lone surrogates, in header and payload. */
	{ ROW(T_J18, "J18 in url"), .hdr = H_URL("$U\\u0000.evil"),
	    MALFORMED },
	{ ROW(T_J18, "J18 in kid"), .hdr = "{\"alg\":\"ES256\",\"kid\":"
	    "\"$K\\u0000\",\"nonce\":\"$N\",\"url\":\"$U\"}", MALFORMED },
	{ ROW(T_J18, "J18 in an identifier"),
	    .payload = ORDER_OF("a.test\\u0000.evil.test"), MALFORMED },
	{ ROW(T_J18, "J18 in a contact"), .to = TO_ACCT,
	    .payload = "{\"contact\":[\"mailto:a@b.test\\u0000.evil\"]}",
	    MALFORMED },
	{ ROW(T_J18, "J19 in url"), .hdr = H_URL("$U\\ud800.evil"),
	    MALFORMED },
	{ ROW(T_J18, "J19 in kid"), .hdr = "{\"alg\":\"ES256\",\"kid\":"
	    "\"$K\\ud800\",\"nonce\":\"$N\",\"url\":\"$U\"}", MALFORMED },
	{ ROW(T_J18, "J19 in an identifier"),
	    .payload = ORDER_OF("a.test\\ud800.evil.test"), MALFORMED },
	{ ROW(T_J18, "J19 in a contact"), .to = TO_ACCT,
	    .payload = "{\"contact\":[\"mailto:a@b.test\\ud800.evil\"]}",
	    MALFORMED },
	/* J20, J21: payload root and member types. */
	{ ROW(T_J20, "order []"), .payload = "[]", MALFORMED },
	{ ROW(T_J20, "order 1"), .payload = "1", MALFORMED },
	{ ROW(T_J20, "order string"), .payload = "\"x\"", MALFORMED },
	{ ROW(T_J20, "identifiers a string"),
	    .payload = "{\"identifiers\":\"a.test\"}", MALFORMED },
	{ ROW(T_J20, "identifier a string"),
	    .payload = "{\"identifiers\":[\"a.test\"]}", MALFORMED },
	{ ROW(T_J20, "identifier value a number"), .payload = "{\"identifiers\":"
	    "[{\"type\":\"dns\",\"value\":1}]}", MALFORMED },
	{ ROW(T_J20, "contact a string"), .to = TO_ACCT,
	    .payload = "{\"contact\":\"mailto:x@y.test\"}", MALFORMED },
	{ ROW(T_J20, "onlyReturnExisting a string"), .to = TO_ACCOUNT,
	    .key = K_A, .payload = "{\"onlyReturnExisting\":\"true\"}",
	    MALFORMED },
	/* J22, J23: exactly one of jwk and kid. */
	{ ROW(T_J22, "J22 both, newOrder"), .hdr = "{\"alg\":\"ES256\","
	    "\"jwk\":$J,\"kid\":\"$K\",\"nonce\":\"$N\",\"url\":\"$U\"}",
	    MALFORMED },
	{ ROW(T_J22, "J22 both, newAccount"), .to = TO_ACCOUNT, .key = K_A,
	    .hdr = "{\"alg\":\"ES256\",\"jwk\":$J,\"kid\":\"$K\",\"nonce\":"
	    "\"$N\",\"url\":\"$U\"}", MALFORMED },
	{ ROW(T_J22, "J23 neither, newAccount"), .to = TO_ACCOUNT, .key = K_A,
	    .hdr = "{\"alg\":\"ES256\",\"nonce\":\"$N\",\"url\":\"$U\"}",
	    MALFORMED },
	/* J24: newAccount embeds its jwk. */
	{ ROW(T_J24, "kid of an account"), .to = TO_ACCOUNT, .key = K_A,
	    .hdr = H_KID("ES256"), MALFORMED },
	/* J26: jku, x5u, x5c are never used; refused. */
	{ ROW(T_J26, "jku"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = "{\"alg\":\"ES256\",\"jku\":\"http://127.0.0.1:9/k\","
	    "\"jwk\":$J,\"nonce\":\"$N\",\"url\":\"$U\"}", MALFORMED },
	{ ROW(T_J26, "x5u"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = "{\"alg\":\"ES256\",\"x5u\":\"http://127.0.0.1:9/c\","
	    "\"jwk\":$J,\"nonce\":\"$N\",\"url\":\"$U\"}", MALFORMED },
	{ ROW(T_J26, "x5c"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = "{\"alg\":\"ES256\",\"x5c\":[\"MIIB\"],\"jwk\":$J,"
	    "\"nonce\":\"$N\",\"url\":\"$U\"}", MALFORMED },
	/* J28: reordered members and whitespace, correctly signed. */
	{ ROW(T_J28, "accepted"), .hdr = "{\n  \"url\" : \"$U\",\n\t\"nonce\":"
	    "\"$N\" , \"kid\":\"$K\",\"alg\":\"ES256\"\n}", CREATED },
};

/* K: algorithms and keys. */
static const struct jcase k_cases[] = {
	/* K01: alg none with an empty signature. */
	{ ROW(T_K01, "none"), .to = TO_ACCOUNT, .key = K_EC, .alg = "none",
	    .sig = SIG_NONE, BAD_ALG, .flags = F_ALGS },
	/* K02: HS256 keyed with the public key (alg confusion). */
	{ ROW(T_K02, "jwk form"), .to = TO_ACCOUNT, .key = K_A,
	    .alg = "HS256", .sig = SIG_HMAC, BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K02, "kid form"), .alg = "HS256", .sig = SIG_HMAC, BAD_ALG },
	/* K03, K04: algorithms off the list, and near-miss spellings. */
	{ ROW(T_K03, "RS512"), .to = TO_ACCOUNT, .key = K_RSA, .alg = "RS512",
	    BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K03, "PS256"), .to = TO_ACCOUNT, .key = K_RSA, .alg = "PS256",
	    BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K03, "ES256K"), .to = TO_ACCOUNT, .key = K_EC,
	    .alg = "ES256K", BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K03, "es256"), .to = TO_ACCOUNT, .key = K_EC, .alg = "es256",
	    BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K03, "ES256 with a space"), .to = TO_ACCOUNT, .key = K_EC,
	    .alg = "ES256 ", BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K03, "HS512"), .to = TO_ACCOUNT, .key = K_EC, .alg = "HS512",
	    BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K03, "RS384"), .to = TO_ACCOUNT, .key = K_RSA, .alg = "RS384",
	    BAD_ALG, .flags = F_ALGS },
	{ ROW(T_K03, "Ed25519"), .to = TO_ACCOUNT, .key = K_EC,
	    .alg = "Ed25519", BAD_ALG, .flags = F_ALGS },
	/* K05: alg of the wrong type, or missing. */
	{ ROW(T_K05, "number"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = "{\"alg\":1,\"jwk\":$J,\"nonce\":\"$N\",\"url\":\"$U\"}",
	    MALFORMED },
	{ ROW(T_K05, "null"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = "{\"alg\":null,\"jwk\":$J,\"nonce\":\"$N\",\"url\":\"$U\"}",
	    MALFORMED },
	{ ROW(T_K05, "array"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = "{\"alg\":[\"ES256\"],\"jwk\":$J,\"nonce\":\"$N\","
	    "\"url\":\"$U\"}", MALFORMED },
	{ ROW(T_K05, "missing"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = "{\"jwk\":$J,\"nonce\":\"$N\",\"url\":\"$U\"}", MALFORMED },
	/* K06: alg must be the one the key implies. */
	{ ROW(T_K06, "RSA key, ES256"), .to = TO_ACCOUNT, .key = K_RSA,
	    .alg = "ES256", MALFORMED },
	{ ROW(T_K06, "P-256 key, RS256"), .to = TO_ACCOUNT, .key = K_EC,
	    .alg = "RS256", MALFORMED },
	{ ROW(T_K06, "P-256 key, ES384"), .to = TO_ACCOUNT, .key = K_EC,
	    .alg = "ES384", MALFORMED },
	{ ROW(T_K06, "P-256 key, EdDSA"), .to = TO_ACCOUNT, .key = K_EC,
	    .alg = "EdDSA", MALFORMED },
	{ ROW(T_K06, "kid form: the stored key decides"), .alg = "ES384",
	    MALFORMED },
	/* K07: a JWK's own "alg" matches its key. */
	{ ROW(T_K07, "jwk alg HS256"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_JWK("{\"alg\":\"HS256\",$j"), MALFORMED },
	/* K08: unsupported key types. */
	{ ROW(T_K08, "oct"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_JWK("{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0\"}"),
	    .sig = SIG_GARBAGE, .siglen = 64, BAD_KEY },
	{ ROW(T_K08, "XYZ"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_JWK("{\"kty\":\"XYZ\",\"x\":\"AAAA\"}"),
	    .sig = SIG_GARBAGE, .siglen = 64, BAD_KEY },
	{ ROW(T_K08, "Ed448"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_JWK("{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAA\"}"), .sig = SIG_GARBAGE, .siglen = 64, BAD_KEY },
	{ ROW(T_K08, "X25519"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_JWK("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}"), .sig = SIG_GARBAGE,
	    .siglen = 64, BAD_KEY },
	/* K09: a 1024-bit RSA key, correctly signed (K10: a function). */
	{ ROW(T_K09, "K09 RSA 1024"), .to = TO_ACCOUNT, .key = K_RSA1024,
	    BAD_KEY },
	/* K11: the exponent is 65537. */
	{ ROW(T_K11, "e = 1"), .to = TO_ACCOUNT, .key = K_RSA, .hdr = H_E("AQ"),
	    .sig = SIG_GARBAGE, .siglen = 256, BAD_KEY },
	{ ROW(T_K11, "e = 3"), .to = TO_ACCOUNT, .key = K_RSA, .hdr = H_E("Aw"),
	    .sig = SIG_GARBAGE, .siglen = 256, BAD_KEY },
	{ ROW(T_K11, "e = 65536"), .to = TO_ACCOUNT, .key = K_RSA,
	    .hdr = H_E("AQAA"), .sig = SIG_GARBAGE, .siglen = 256, BAD_KEY },
	{ ROW(T_K11, "e = 2^1000 + 1"), .to = TO_ACCOUNT, .key = K_RSA,
	    .hdr = H_E("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"),
	    .sig = SIG_GARBAGE, .siglen = 256, BAD_KEY },
	/* K13: points off the curve; K14: short coordinates; K15: curves. */
	{ ROW(T_K13, "K13 y off by its last bits"), .to = TO_ACCOUNT,
	    .key = K_EC, .hdr = H_EC("$x", "$z"), .sig = SIG_GARBAGE,
	    .siglen = 64, BAD_KEY },
	{ ROW(T_K13, "K13 the point at infinity (0, 0)"), .to = TO_ACCOUNT,
	    .key = K_EC, .hdr = H_EC("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), .sig = SIG_GARBAGE,
	    .siglen = 64, BAD_KEY },
	{ ROW(T_K13, "K13 x = p"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_EC("_____wAAAAEAAAAAAAAAAAAAAAD_______________8", "$y"),
	    .sig = SIG_GARBAGE, .siglen = 64, BAD_KEY },
	{ ROW(T_K13, "K14 31-byte x"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_EC("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "$y"),
	    .sig = SIG_GARBAGE, .siglen = 64, MALFORMED,
	    .alt = "badPublicKey" },
	{ ROW(T_K13, "K15 secp256k1"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_CRV("secp256k1"), .sig = SIG_GARBAGE, .siglen = 64,
	    BAD_KEY },
	{ ROW(T_K13, "K15 P-192"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_CRV("P-192"), .sig = SIG_GARBAGE, .siglen = 64, BAD_KEY },
	{ ROW(T_K13, "K15 brainpoolP256r1"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_CRV("brainpoolP256r1"), .sig = SIG_GARBAGE, .siglen = 64,
	    BAD_KEY },
	{ ROW(T_K13, "K15 P-224"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_CRV("P-224"), .sig = SIG_GARBAGE, .siglen = 64, BAD_KEY },
	/* K16: private members in the JWK: refused, never echoed. */
	{ ROW(T_K16, "d"), .to = TO_ACCOUNT, .key = K_EC,
	    .hdr = H_JWK("{\"d\":\"$D\",$j"), MALFORMED, .flags = F_NO_PRIV },
	/* K19: B's signature under A's kid (Boulder swapped key). */
	{ ROW(T_K19, "b signs for a"), .key = K_B, MALFORMED },
	/* K20: "a.test" -> "c.test" after signing. */
	{ ROW(T_K20, "one bit of the payload"),
	    .ymut = "eyJpZGVudGlmaWVycyI6W3sidHlwZSI6ImRucyIsInZhbHVl"
	    "IjoiYy50ZXN0In1dfQ",
	    MALFORMED },
};

/* N: nonces (RFC 8555 §6.5). */
static const struct jcase n_cases[] = {
	/* N01: none; the answer carries a fresh one to retry with. */
	{ ROW(T_N01, "no nonce"), .hdr = "{\"alg\":\"ES256\",\"kid\":\"$K\","
	    "\"url\":\"$U\"}", BAD_NONCE },
	/* N03: well-formed, never issued. */
	{ ROW(T_N03, "never issued"), .hdr = H_NONCE("\"AAAAAAAAAAAAAAAAAAAAAA\""),
	    BAD_NONCE },
	/* N04, N05: not base64url (RFC 8555 §6.5.2), or not a string. */
	{ ROW(T_N04, "N04 im-a-nonce!"), .hdr = H_NONCE("\"im-a-nonce!\""),
	    MALFORMED },
	{ ROW(T_N04, "N04 padded"), .hdr = H_NONCE("\"$N=\""), MALFORMED },
	{ ROW(T_N04, "N04 empty"), .hdr = H_NONCE("\"\""), MALFORMED },
	{ ROW(T_N04, "N05 number"), .hdr = H_NONCE("1"), MALFORMED },
	{ ROW(T_N04, "N05 object"), .hdr = H_NONCE("{}"), MALFORMED },
	{ ROW(T_N04, "N05 null"), .hdr = H_NONCE("null"), MALFORMED },
	/* N10: the algorithm is checked before the nonce (§2 order). */
	{ ROW(T_N10, "RS512 and a nonce never issued"), .to = TO_ACCOUNT,
	    .key = K_EC, .hdr = "{\"alg\":\"RS512\",\"jwk\":$J,\"nonce\":"
	    "\"AAAAAAAAAAAAAAAAAAAAAA\",\"url\":\"$U\"}", BAD_ALG },
};

/* U: the request URL (RFC 8555 §6.4). */
static const struct jcase u_cases[] = {
	/* U01, U07: url missing or not a non-empty string. */
	{ ROW(T_U01, "missing"), .hdr = "{\"alg\":\"ES256\",\"kid\":\"$K\","
	    "\"nonce\":\"$N\"}", MALFORMED },
	{ ROW(T_U01, "number"), .hdr = "{\"alg\":\"ES256\",\"kid\":\"$K\","
	    "\"nonce\":\"$N\",\"url\":1}", MALFORMED },
	{ ROW(T_U01, "null"), .hdr = "{\"alg\":\"ES256\",\"kid\":\"$K\","
	    "\"nonce\":\"$N\",\"url\":null}", MALFORMED },
	{ ROW(T_U01, "empty"), .hdr = "{\"alg\":\"ES256\",\"kid\":\"$K\","
	    "\"nonce\":\"$N\",\"url\":\"\"}", MALFORMED },
	{ ROW(T_U01, "array"), .hdr = "{\"alg\":\"ES256\",\"kid\":\"$K\","
	    "\"nonce\":\"$N\",\"url\":[]}", MALFORMED },
	/* U03-U05: compared byte for byte, no normalisation. */
	{ ROW(T_U03, "http"), .hdr = H_URL("http://localhost:8555/acme/new-order"),
	    UNAUTHORIZED },
	{ ROW(T_U03, "IP for the name"),
	    .hdr = H_URL("https://127.0.0.1:8555/acme/new-order"), UNAUTHORIZED },
	{ ROW(T_U03, "no port"), .hdr = H_URL("https://localhost/acme/new-order"),
	    UNAUTHORIZED },
	{ ROW(T_U03, "port 443"),
	    .hdr = H_URL("https://localhost:443/acme/new-order"), UNAUTHORIZED },
	{ ROW(T_U03, "upper-case host"),
	    .hdr = H_URL("https://LOCALHOST:8555/acme/new-order"), UNAUTHORIZED },
	{ ROW(T_U03, "trailing slash"),
	    .hdr = H_URL("https://localhost:8555/acme/new-order/"), UNAUTHORIZED },
	{ ROW(T_U03, "query"),
	    .hdr = H_URL("https://localhost:8555/acme/new-order?x=1"),
	    UNAUTHORIZED },
	{ ROW(T_U03, "fragment"),
	    .hdr = H_URL("https://localhost:8555/acme/new-order#f"), UNAUTHORIZED },
	{ ROW(T_U03, "percent-encoded"),
	    .hdr = H_URL("https://localhost:8555/acme/new%2Dorder"), UNAUTHORIZED },
	{ ROW(T_U03, "dot-dot"),
	    .hdr = H_URL("https://localhost:8555/acme/../acme/new-order"),
	    UNAUTHORIZED },
	{ ROW(T_U03, "double slash"),
	    .hdr = H_URL("https://localhost:8555//acme/new-order"), UNAUTHORIZED },
	{ ROW(T_U03, "path only"), .hdr = H_URL("/acme/new-order"),
	    UNAUTHORIZED },
	/*
	 * U03-U05, path side: libmicrohttpd decodes "%2D" to "-" before
	 * routing, so these reach newOrder, yet they were not sent to
	 * ".../acme/new-order". The url naming the encoded target exactly
	 * is the URL the request was sent to.
	 */
	{ ROW(T_U03P, "/acme/new%2Dorder"), .path = "/acme/new%2Dorder",
	    UNAUTHORIZED },
	{ ROW(T_U03P, "/acme/%6eew-order"), .path = "/acme/%6eew-order",
	    UNAUTHORIZED },
	{ ROW(T_U03P, "/acme/new%2dorder"), .path = "/acme/new%2dorder",
	    UNAUTHORIZED },
	{ ROW(T_U03P, "/%61cme/new-order"), .path = "/%61cme/new-order",
	    UNAUTHORIZED },
	{ ROW(T_U03P, "/acme%2Fnew-order"), .path = "/acme%2Fnew-order",
	    UNAUTHORIZED },
	{ ROW(T_U03P, "signed for the encoded target itself"),
	    .path = "/acme/new%2Dorder",
	    .hdr = H_URL(WH_BASE "/acme/new%2Dorder"), CREATED },
	/* U06: a query on the request line must be in the url too. */
	{ ROW(T_U06, "?x=1"), .path = ACME_PATH_NEW_ORDER "?x=1", UNAUTHORIZED },
};

/* What the rows of one table share: one server, two accounts, spare keys. */
struct jctx {
	struct wh		*f;
	struct wacct		 a, b;
	EVP_PKEY		*ec, *rsa, *rsa1024;
	/* the row being sent */
	const struct jcase	*t;
	EVP_PKEY		*key;
	const char		*alg;
	char			 url[ACME_URL_SIZE];
	char			 nonce[NONCE_SIZE];
	struct parts		 x;
};

static EVP_PKEY *
row_key(struct jctx *c, enum jkey k)
{
	switch (k) {
	case K_A:
		return c->a.key;
	case K_B:
		return c->b.key;
	case K_EC:
		return c->ec;
	case K_RSA:
		if (c->rsa == NULL)
			c->rsa = tu_key_rsa(2048);
		return c->rsa;
	case K_RSA1024:
		if (c->rsa1024 == NULL)
			c->rsa1024 = tu_key_rsa(1024);
		return c->rsa1024;
	}
	fail_msg("key %d", (int)k);
	return NULL;
}

/* The value of $name for the current row; *tmp: what the caller frees. */
static const char *
tok(struct jctx *c, char name, char **tmp)
{
	char	*x, *y;

	switch (name) {
	case 'A':
		return c->alg;
	case 'K':
		return c->a.kid;
	case 'B':
		return c->b.kid;
	case 'U':
		return c->url;
	case 'N':
		if (c->nonce[0] == '\0')
			wh_nonce(c->f, c->nonce);
		return c->nonce;
	case 'J':
		return *tmp = tu_jwk_str(c->key);
	case 'j':
		assert_non_null(*tmp = tu_jwk_str(c->key));
		assert_int_equal((*tmp)[0], '{');
		return *tmp + 1;
	case 'D':
		return *tmp = bn_b64(c->key, "priv");
	case 'n':
		return *tmp = bn_b64(c->key, "n");
	case 'x':
	case 'y':
	case 'z':
		ec_xy(c->key, 32, &x, &y);
		if (name == 'x') {
			free(y);
			return *tmp = x;
		}
		free(x);
		if (name == 'z')
			y[strlen(y) - 1] = y[strlen(y) - 1] == 'A' ? 'E' : 'A';
		return *tmp = y;
	case 'P':
		return c->x.p;
	case 'Y':
		return c->x.y;
	case 'S':
		return c->x.s;
	case 'p':
		return *tmp = xprintf("%.10s %s", c->x.p, c->x.p + 10);
	}
	fail_msg("template: no $%c", name);
	return NULL;
}

/* tmpl with its $names substituted (caller frees). */
static char *
expand(struct jctx *c, const char *tmpl)
{
	char	*out = NULL, *tmp;
	size_t	 len = 0;
	FILE	*m;

	assert_non_null(m = open_memstream(&out, &len));
	for (const char *s = tmpl; *s != '\0'; s++) {
		const char *v;

		if (s[0] != '$' || s[1] == '\0') {
			fputc(*s, m);
			continue;
		}
		tmp = NULL;
		v = tok(c, *++s, &tmp);
		assert_non_null(v);
		fputs(v, m);
		free(tmp);
	}
	assert_int_equal(fclose(m), 0);
	return out;
}

/* The three parts of the row's JWS, signed as the row says. */
static void
row_sign(struct jctx *c, const char *hdr, const char *payload)
{
	const struct jcase	*t = c->t;
	char			*jwk, *in;
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	size_t			 maclen = 0;

	if (t->sig == SIG_KEY) {
		parts_sign(&c->x, c->key, hdr, payload);
		return;
	}
	memset(&c->x, 0, sizeof(c->x));
	assert_non_null(c->x.p = tu_b64url_str(hdr));
	assert_non_null(c->x.y = tu_b64url_str(payload));
	switch (t->sig) {
	case SIG_NONE:
		c->x.s = strdup("");
		break;
	case SIG_GARBAGE:
		assert_non_null(c->x.sig = malloc(t->siglen));
		memset(c->x.sig, 0x5a, t->siglen);
		c->x.siglen = t->siglen;
		c->x.s = tu_b64url(c->x.sig, c->x.siglen);
		break;
	default:	/* SIG_HMAC */
		assert_non_null(jwk = tu_jwk_str(c->key));
		in = xprintf("%s.%s", c->x.p, c->x.y);
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
		    (const unsigned char *)jwk, strlen(jwk),
		    (const unsigned char *)in, strlen(in), mac, sizeof(mac),
		    &maclen));
		c->x.s = tu_b64url(mac, maclen);
		free(in);
		free(jwk);
		break;
	}
	assert_non_null(c->x.s);
}

/* One part of the body: as signed, mutated by its template, or absent. */
static char *
row_part(struct jctx *c, const char *mut, const char *part)
{
	if (mut == ABSENT)
		return NULL;
	return mut != NULL ? expand(c, mut) : strdup(part);
}

/* A badSignatureAlgorithm problem lists the five algorithms (RFC 8555 §6.2). */
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

/* Build, send and check one row. */
static void
run_case(struct jctx *c, const struct jcase *t)
{
	struct wr	 r;
	char		*hdr, *body, *p, *y, *s, *priv = NULL;
	const char	*payload, *type;
	size_t		 orders_a, orders_b, accts;

	print_message("  %s: %s\n", t->test, t->what);
	c->t = t;
	c->key = row_key(c, t->key);
	c->alg = t->alg != NULL ? t->alg : t->key == K_RSA ||
	    t->key == K_RSA1024 ? "RS256" : "ES256";
	c->nonce[0] = '\0';
	switch (t->to) {
	case TO_ORDER:
		url_of(c->url, ACME_PATH_NEW_ORDER);
		break;
	case TO_ACCOUNT:
		url_of(c->url, ACME_PATH_NEW_ACCOUNT);
		break;
	case TO_ACCT:
		snprintf(c->url, sizeof(c->url), "%s", c->a.kid);
		break;
	}
	hdr = expand(c, t->hdr != NULL ? t->hdr : t->to == TO_ACCOUNT ?
	    "{\"alg\":\"$A\",\"jwk\":$J,\"nonce\":\"$N\",\"url\":\"$U\"}" :
	    "{\"alg\":\"$A\",\"kid\":\"$K\",\"nonce\":\"$N\",\"url\":\"$U\"}");
	payload = t->payload != NULL ? t->payload : t->to == TO_ACCOUNT ?
	    "{}" : ORDER_A;
	row_sign(c, hdr, payload);
	if (t->body != NULL)
		body = expand(c, t->body);
	else {
		p = row_part(c, t->pmut, c->x.p);
		y = row_part(c, t->ymut, c->x.y);
		s = row_part(c, t->smut, c->x.s);
		body = tu_jws_body(p, y, s);
		free(p);
		free(y);
		free(s);
	}
	assert_non_null(body);
	if (t->flags & F_NO_PRIV)
		priv = bn_b64(c->key, "priv");
	orders_a = order_count(c->f, c->a.id);
	orders_b = order_count(c->f, c->b.id);
	accts = count_accounts_by_key(c->f, c->key);

	wh_req_full(c->f, "POST", t->path != NULL ? t->path : wh_path(c->url),
	    WH_JOSE, body, strlen(body), NULL, NULL, &r);
	if (t->type == NULL)
		wh_assert_ok(&r, t->status);
	else if (t->alt != NULL) {
		assert_int_equal(r.status, t->status);
		assert_non_null(type = wr_str(&r, "type"));
		assert_int_equal(strncmp(type, WH_URN, strlen(WH_URN)), 0);
		type += strlen(WH_URN);
		assert_true(strcmp(type, t->type) == 0 ||
		    strcmp(type, t->alt) == 0);
		wh_assert_common(&r);
	} else
		wh_assert_problem(&r, t->status, t->type);
	if (t->flags & F_ALGS)
		assert_algorithms_listed(&r);
	if (priv != NULL)
		assert_null(strstr(r.body, priv));
	wr_clear(&r);

	/* A refused request makes nothing; newOrder's 201 makes one order. */
	assert_int_equal(order_count(c->f, c->a.id), orders_a +
	    (t->to == TO_ORDER && t->status == 201 ? 1 : 0));
	assert_int_equal(order_count(c->f, c->b.id), orders_b);
	if (t->status >= 400)
		assert_int_equal(count_accounts_by_key(c->f, c->key), accts);

	free(priv);
	free(body);
	free(hdr);
	parts_free(&c->x);
}

static void
run_cases(void **state, const struct jcase *cases, size_t n)
{
	struct jctx c;

	memset(&c, 0, sizeof(c));
	c.f = *state;
	wh_account(c.f, &c.a);
	wh_account(c.f, &c.b);
	c.ec = tu_key_ec256();
	for (size_t i = 0; i < n; i++)
		run_case(&c, &cases[i]);
	print_message("  %zu rows\n", n);
	EVP_PKEY_free(c.ec);
	EVP_PKEY_free(c.rsa);
	EVP_PKEY_free(c.rsa1024);
	wh_acct_free(&c.a);
	wh_acct_free(&c.b);
}

#define RUN_CASES(state, cases) \
	run_cases((state), (cases), sizeof(cases) / sizeof((cases)[0]))

/* J01-J11, J13, J15, J16, J18-J24, J26, J28: one request each. */
static void
test_wfe_j_cases(void **state)
{
	RUN_CASES(state, j_cases);
}

/* K01-K09, K11, K13-K16, K19, K20: one request each. */
static void
test_wfe_k_cases(void **state)
{
	RUN_CASES(state, k_cases);
}

/* N01, N03-N05, N10: one request each. */
static void
test_wfe_n_cases(void **state)
{
	RUN_CASES(state, n_cases);
}

/* U01, U03-U07: one request each. */
static void
test_wfe_u_cases(void **state)
{
	RUN_CASES(state, u_cases);
}

/* ---------- requests with more than one step ---------- */
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

/* J20, J21: finalize's csr of the wrong type (the other payloads: j_cases). */
static void
test_wfe_j20_j21_payload_wrong_shape_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_ready_order(f, &a, n, 1, &o);
	wh_post_acct(f, &a, o.finalize, "{\"csr\":123}", &r);
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

/*
 * K10: RSA moduli of 512 and 16384 bits, checked before verifying (the
 * 1024-bit key of K09, correctly signed: k_cases).
 */
static void
test_wfe_k09_k10_rsa_size_out_of_range_is_bad_public_key(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	unsigned char	*n;
	char		*nb, *jwk;
	size_t		 sizes[] = { 64, 2048 };	/* 512 and 16384 bits */

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
		WH_TEST(test_wfe_j_cases),
		WH_TEST(test_wfe_j12_noncanonical_trailing_bits_are_malformed),
		WH_TEST(test_wfe_j14_duplicate_header_members_are_malformed),
		WH_TEST(test_wfe_j17_deeply_nested_payload_is_malformed),
		WH_TEST(test_wfe_j20_j21_payload_wrong_shape_is_malformed),
		WH_TEST(test_wfe_j25_kid_endpoints_refuse_embedded_jwk),
		WH_TEST(test_wfe_a10_kid_with_same_length_foreign_base_is_malformed),
		WH_TEST(test_wfe_j27_reencoded_protected_header_fails_signature),
		WH_TEST(test_wfe_k_cases),
		WH_TEST(test_wfe_k_allowed_algorithms_create_accounts),
		WH_TEST(test_wfe_k09_k10_rsa_size_out_of_range_is_bad_public_key),
		WH_TEST(test_wfe_k12_noncanonical_key_never_second_account),
		WH_TEST(test_wfe_k17_k18_bad_ecdsa_signatures_are_malformed),
		WH_TEST(test_wfe_k21_short_rsa_signature_is_malformed),
		WH_TEST(test_wfe_n_cases),
		WH_TEST(test_wfe_n02_replay_is_bad_nonce_without_side_effect),
		WH_TEST(test_wfe_n06_concurrent_nonce_reuse_one_success),
		WH_TEST(test_wfe_n07_n08_restart_bad_nonce_then_retry_succeeds),
		WH_TEST(test_wfe_n09_nonce_consumed_by_url_mismatch),
		WH_TEST(test_wfe_n11_bad_signature_spends_nonce),
		WH_TEST(test_wfe_n11_any_failure_after_header_spends_nonce),
		WH_TEST(test_wfe_n12_nonce_outside_window_is_bad_nonce),
		WH_TEST(test_wfe_u_cases),
		WH_TEST(test_wfe_u02_cross_endpoint_replay_is_unauthorized),
		WH_TEST(test_wfe_post_as_get_requires_empty_payload),
	};

	return cmocka_run_group_tests(tests, wh_group_setup, wh_group_teardown);
}
