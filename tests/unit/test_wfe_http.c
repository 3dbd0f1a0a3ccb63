/* test_wfe_http.c - WFE HTTP framing, methods, headers and CORS in memory (HARDENING T01-T20, N13) */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "page.h"
#include "wfe_harness.h"

/* A valid newOrder body for a fresh account, sent with content type ct. */
static void
post_order_ct(struct wh *f, const char *ct, const char *req_nonce,
    struct wr *r)
{
	struct wacct	 a;
	char		 nonce[NONCE_SIZE], url[ACME_URL_SIZE];
	char		*body;

	wh_account(f, &a);
	wh_nonce(f, nonce);
	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	body = tu_jws_sign(a.key, NULL, false, a.kid, nonce, url,
	    "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}");
	assert_non_null(body);
	wh_req_full(f, "POST", ACME_PATH_NEW_ORDER, ct, body, strlen(body),
	    req_nonce, NULL, r);
	free(body);
	wh_acct_free(&a);
}

/* T01: RFC 8555 §6.2 MUST answer 415 without application/jose+json. */
static void
test_wfe_t01_no_content_type_is_415(void **state)
{
	struct wr r;

	post_order_ct(*state, NULL, NULL, &r);
	wh_assert_problem(&r, 415, "malformed");
	wr_clear(&r);
}

/* T02: application/json is not application/jose+json (§6.2). */
static void
test_wfe_t02_json_content_type_is_415(void **state)
{
	struct wr r;

	post_order_ct(*state, "application/json", NULL, &r);
	wh_assert_problem(&r, 415, "malformed");
	wr_clear(&r);
}

/* T03: parameters are not accepted (whole-string compare, recommended). */
static void
test_wfe_t03_content_type_with_charset_is_415(void **state)
{
	struct wr r;

	post_order_ct(*state, "application/jose+json; charset=utf-8", NULL,
	    &r);
	wh_assert_problem(&r, 415, "malformed");
	wr_clear(&r);
}

/* Positive control for T01-T03: the same request is accepted as jose+json. */
static void
test_wfe_t01_jose_content_type_accepted(void **state)
{
	struct wr r;

	post_order_ct(*state, WH_JOSE, NULL, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
}

static void
assert_405(struct wh *f, const char *method, const char *path)
{
	struct wr r;

	wh_req_full(f, method, path, NULL, NULL, 0, NULL, NULL, &r);
	wh_assert_problem(&r, 405, "malformed");
	assert_non_null(wr_header(&r, "Allow"));
	assert_non_null(strstr(wr_header(&r, "Allow"), "POST"));
	wr_clear(&r);
}

/* T04: GET on POST-only resources (RFC 8555 §6.3 MUST 405 + Allow). */
static void
test_wfe_t04_get_on_post_resources_is_405_with_allow(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	assert_405(f, "GET", ACME_PATH_NEW_ACCOUNT);
	assert_405(f, "GET", wh_path(o.url));
	assert_405(f, "GET", wh_path(a.kid));
	assert_405(f, "HEAD", wh_path(o.authz[0]));
	wh_acct_free(&a);
}

/* T05: other methods, on fixed and on resource paths (§6.7: 405). */
static void
test_wfe_t05_put_delete_patch_are_405_with_allow(void **state)
{
	struct wh	*f = *state;
	const char	*m[] = { "PUT", "DELETE", "PATCH" };
	struct wr	 r;

	for (size_t i = 0; i < 3; i++) {
		assert_405(f, m[i], ACME_PATH_NEW_ORDER);
		assert_405(f, m[i], ACME_PATH_ACCOUNT "AAAAAAAAAAAAAAAAAAAAAA");
		assert_405(f, m[i], ACME_PATH_NEW_NONCE);
		wh_req_full(f, m[i], ACME_PATH_DIRECTORY, NULL, NULL, 0, NULL,
		    NULL, &r);
		wh_assert_problem(&r, 405, "malformed");
		assert_non_null(wr_header(&r, "Allow"));
		wr_clear(&r);
	}
}

/* T06: unknown paths are 404 problem documents, for POST and GET. */
static void
test_wfe_t06_unknown_path_is_404_problem(void **state)
{
	struct wh	*f = *state;
	const char	*paths[] = { "/acme/nope", "/", "/acme/acct/",
	    "/acme/order/x/finalize/extra", "/directory/" };
	struct wr	 r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		wh_req_full(f, "POST", paths[i], WH_JOSE, "{}", 2, NULL, NULL,
		    &r);
		wh_assert_problem(&r, 404, "malformed");
		wr_clear(&r);
		wh_req_full(f, "GET", paths[i], NULL, NULL, 0, NULL, NULL, &r);
		wh_assert_problem(&r, 404, "malformed");
		wr_clear(&r);
	}
}

/* The status page's hook (wfe_opts.page) sees a request first. */
struct page_hook {
	struct page	*pg;
};

static int
page_hook(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct page_hook *h = arg;

	return page_handle(h->pg, req, resp);
}

/*
 * Issue #16: with the hook, `/` and the root's downloads are the page's;
 * every ACME path, and any other, answers as without it.
 */
static void
test_wfe_page_hook_serves_root_and_leaves_acme(void **state)
{
	struct wh		*f = *state;
	struct page_hook	 h = { NULL };
	struct page_opts	 po = { .base_url = WH_BASE };
	struct wr		 r;

	f->wo.page = page_hook;
	f->wo.page_arg = &h;
	assert_int_equal(wh_start(f, false), 0);
	assert_non_null(h.pg = page_new(&po, f->ra, f->ca));
	wh_req_full(f, "GET", "/", NULL, NULL, 0, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "text/html"));
	assert_non_null(strstr(r.body, WH_BASE "/directory"));
	assert_non_null(strstr(r.body, "id=\"fingerprint\""));
	wr_clear(&r);
	wh_req_full(f, "GET", "/root.pem", NULL, NULL, 0, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, ca_root_pem(f->ca));
	wr_clear(&r);
	/* not ACME resources: problems, without nonce or index link */
	wh_req_full(f, "POST", "/", WH_JOSE, "{}", 2, NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.ctype, WH_PROBLEM);
	assert_string_equal(wr_header(&r, "Allow"), "GET, HEAD");
	wr_clear(&r);
	wh_req_full(f, "GET", "/?before=1", NULL, NULL, 0, NULL, NULL, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(wr_str(&r, "type"), WH_URN "malformed");
	wr_clear(&r);
	wh_req_full(f, "GET", "/acme/nope", NULL, NULL, 0, NULL, NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	wh_req_full(f, "GET", "/directory", NULL, NULL, 0, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(r.json);
	wr_clear(&r);
	page_free(h.pg);
	f->wo.page = NULL;
	f->wo.page_arg = NULL;
}

/* T07: POST without a body is malformed. */
static void
test_wfe_t07_empty_body_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;

	wh_req_full(f, "POST", ACME_PATH_NEW_ORDER, WH_JOSE, NULL, 0, NULL,
	    NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
}

/* T08 (WFE side): httpd's "too large" flag becomes 413 malformed. */
static void
test_wfe_t08_body_too_large_flag_is_413(void **state)
{
	struct wh		*f = *state;
	struct http_request	 req;
	struct wr		 r;

	memset(&req, 0, sizeof(req));
	memset(&r, 0, sizeof(r));
	req.method = "POST";
	req.path = ACME_PATH_NEW_ORDER;
	req.raw_path = ACME_PATH_NEW_ORDER;
	req.content_type = WH_JOSE;
	req.body = "";
	req.body_too_large = true;
	wfe_handle(f->wfe, &req, &r.raw);
	r.status = r.raw.status;
	r.ctype = r.raw.content_type;
	r.json = json_loadb(r.raw.body, r.raw.bodysz, 0, NULL);
	r.want_nonce = r.want_index = true;
	wh_assert_problem(&r, 413, "malformed");
	wr_clear(&r);
}

/* T12: RFC 8555 §6.5.1 Replay-Nonce belongs to responses only. */
static void
test_wfe_t12_replay_nonce_request_header_is_malformed(void **state)
{
	struct wr r;

	post_order_ct(*state, WH_JOSE, "AAAAAAAAAAAAAAAAAAAAAA", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
}

/* T15: the directory holds the configured URLs, whatever the peer says. */
static void
test_wfe_t15_directory_urls_are_canonical(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	const char	*k;
	json_t		*v;

	wh_req_full(f, "GET", ACME_PATH_DIRECTORY, NULL, NULL, 0, NULL,
	    "https://evil.example", &r);
	wh_assert_ok(&r, 200);
	assert_non_null(r.json);
	assert_string_equal(wr_str(&r, "newNonce"), WH_BASE ACME_PATH_NEW_NONCE);
	assert_string_equal(wr_str(&r, "newAccount"),
	    WH_BASE ACME_PATH_NEW_ACCOUNT);
	assert_string_equal(wr_str(&r, "newOrder"), WH_BASE ACME_PATH_NEW_ORDER);
	assert_string_equal(wr_str(&r, "revokeCert"),
	    WH_BASE ACME_PATH_REVOKE_CERT);
	assert_string_equal(wr_str(&r, "keyChange"),
	    WH_BASE ACME_PATH_KEY_CHANGE);
	json_object_foreach(r.json, k, v) {
		if (json_is_string(v))
			assert_int_equal(strncmp(json_string_value(v),
			    WH_BASE "/", strlen(WH_BASE "/")), 0);
	}
	wr_clear(&r);
}

/* T16: a url naming another host is refused as unauthorized (§6.4). */
static void
test_wfe_t16_url_with_foreign_host_is_unauthorized(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 nonce[NONCE_SIZE], *body;

	wh_account(f, &a);
	wh_nonce(f, nonce);
	body = tu_jws_sign(a.key, NULL, false, a.kid, nonce,
	    "https://evil.example/acme/new-order",
	    "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}");
	wh_req_full(f, "POST", ACME_PATH_NEW_ORDER, WH_JOSE, body,
	    strlen(body), NULL, NULL, &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	free(body);
	wh_acct_free(&a);
}

/* T17: RFC 8555 §5: JSON is UTF-8; a 0xFF byte in the body is malformed. */
static void
test_wfe_t17_body_not_utf8_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	const char	 body[] = "{\"protected\":\"ab\xff" "cd\",\"payload\":"
	    "\"\",\"signature\":\"AAAA\"}";

	wh_req_full(f, "POST", ACME_PATH_NEW_ACCOUNT, WH_JOSE, body,
	    sizeof(body) - 1, NULL, NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
}

/* T19: CORS preflight (RFC 8555 §6.1) with exactly one allow-origin. */
static void
test_wfe_t19_options_preflight_allows_any_origin(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	const char	*v;

	wh_req_full(f, "OPTIONS", ACME_PATH_NEW_ORDER, NULL, NULL, 0, NULL,
	    "https://app.example", &r);
	assert_true(r.status == 200 || r.status == 204);
	assert_int_equal(wr_header_count(&r, "Access-Control-Allow-Origin"), 1);
	assert_string_equal(wr_header(&r, "Access-Control-Allow-Origin"), "*");
	assert_non_null(v = wr_header(&r, "Access-Control-Allow-Methods"));
	assert_non_null(strstr(v, "POST"));
	assert_non_null(v = wr_header(&r, "Access-Control-Allow-Headers"));
	assert_non_null(strstr(v, "Content-Type"));
	wr_clear(&r);
}

/* T19: actual CORS responses expose the ACME headers to scripts. */
static void
test_wfe_t19_cors_response_exposes_acme_headers(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	const char	*v;

	wh_req_full(f, "HEAD", ACME_PATH_NEW_NONCE, NULL, NULL, 0, NULL,
	    "https://app.example", &r);
	assert_int_equal(wr_header_count(&r, "Access-Control-Allow-Origin"), 1);
	assert_string_equal(wr_header(&r, "Access-Control-Allow-Origin"), "*");
	assert_non_null(v = wr_header(&r, "Access-Control-Expose-Headers"));
	assert_non_null(strstr(v, "Replay-Nonce"));
	assert_non_null(strstr(v, "Link"));
	assert_non_null(strstr(v, "Location"));
	assert_non_null(strstr(v, "Retry-After"));
	wr_clear(&r);
}

/* T20: RFC 8555 §7.2: HEAD 200, GET 204, both with a nonce and no-store. */
static void
test_wfe_t20_new_nonce_head_200_get_204_no_store(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;

	wh_req_full(f, "HEAD", ACME_PATH_NEW_NONCE, NULL, NULL, 0, NULL, NULL,
	    &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_header(&r, "Cache-Control"), "no-store");
	wr_clear(&r);
	wh_req_full(f, "GET", ACME_PATH_NEW_NONCE, NULL, NULL, 0, NULL, NULL,
	    &r);
	wh_assert_ok(&r, 204);
	assert_string_equal(wr_header(&r, "Cache-Control"), "no-store");
	assert_int_equal(r.raw.bodysz, 0);
	wr_clear(&r);
}

/* RFC 8555 §7.1.1: the directory is a GET resource. */
static void
test_wfe_directory_get_is_json_with_meta(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;

	wh_req_full(f, "GET", ACME_PATH_DIRECTORY, NULL, NULL, 0, NULL, NULL,
	    &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_true(json_is_object(json_object_get(r.json, "meta")));
	wr_clear(&r);
}

/*
 * GET /directory carries no Replay-Nonce (only newNonce and answers to
 * POSTs do, §7.2, §6.5: the Ruby acme-client gem breaks on one there)
 * and no Link rel="index" (§7.1.1: for resources other than the
 * directory). Other GETs carry no nonce either, errors included; every
 * answer to a POST does, errors included.
 */
static void
test_wfe_nonce_and_index_only_where_rfc_puts_them(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	const char	*m[] = { "GET", "HEAD" };

	for (size_t i = 0; i < 2; i++) {
		wh_req_full(f, m[i], ACME_PATH_DIRECTORY, NULL, NULL, 0, NULL,
		    NULL, &r);
		assert_int_equal(r.status, 200);
		assert_null(wr_header(&r, "Replay-Nonce"));
		assert_int_equal(wr_header_count(&r, "Link"), 0);
		wr_clear(&r);
		wh_req_full(f, m[i], ACME_PATH_NEW_NONCE, NULL, NULL, 0, NULL,
		    NULL, &r);
		assert_non_null(wr_header(&r, "Replay-Nonce"));
		assert_true(wr_has_link(&r, "<" WH_BASE ACME_PATH_DIRECTORY
		    ">;rel=\"index\""));
		wr_clear(&r);
		/* GET errors: a 405 and a 404, no nonce */
		wh_req_full(f, m[i], ACME_PATH_NEW_ORDER, NULL, NULL, 0, NULL,
		    NULL, &r);
		assert_int_equal(r.status, 405);
		assert_null(wr_header(&r, "Replay-Nonce"));
		wr_clear(&r);
		wh_req_full(f, m[i], "/acme/nope", NULL, NULL, 0, NULL, NULL,
		    &r);
		assert_int_equal(r.status, 404);
		assert_null(wr_header(&r, "Replay-Nonce"));
		wr_clear(&r);
	}
	/* POST errors carry one: 404, malformed JWS, and POST /directory */
	wh_req_full(f, "POST", "/acme/nope", WH_JOSE, "{}", 2, NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(wr_header(&r, "Replay-Nonce"));
	wr_clear(&r);
	wh_req_full(f, "POST", ACME_PATH_NEW_ORDER, WH_JOSE, "x", 1, NULL,
	    NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(wr_header(&r, "Replay-Nonce"));
	wr_clear(&r);
	wh_req_full(f, "POST", ACME_PATH_DIRECTORY, WH_JOSE, "x", 1, NULL,
	    NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(wr_header(&r, "Replay-Nonce"));
	assert_int_equal(wr_header_count(&r, "Link"), 0);
	wr_clear(&r);
}

/*
 * RFC 9773 §4.1: a certID that is not base64url "." base64url is 400
 * malformed, whatever is wrong with it (characters a path id may not
 * hold, length, empty); a well-formed one we never issued is 404.
 */
static void
test_wfe_ari_malformed_certid_is_400_unknown_is_404(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	char		 path[600], longid[300];
	const char	*bad[] = { "", "abc", "a.b.c", "AAAA.gA", "===.AQ",
	    "AAAA.AQ==", "a!b.AQ", "AAAA.AQ/x", ".AQ", "AAAA.", longid };

	memset(longid, 'A', sizeof(longid) - 4);
	memcpy(longid + sizeof(longid) - 4, ".AQ", 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", ACME_PATH_RENEWAL_INFO,
		    bad[i]);
		wh_req_full(f, "GET", path, NULL, NULL, 0, NULL, NULL, &r);
		if (r.status != 400)
			fprintf(stderr, "certID '%.40s': %d\n", bad[i],
			    r.status);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
	}
	wh_req_full(f, "GET", ACME_PATH_RENEWAL_INFO, NULL, NULL, 0, NULL,
	    NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	/* Well-formed (keyIdentifier "AAAA", serial 0x01), never issued. */
	wh_req_full(f, "GET", ACME_PATH_RENEWAL_INFO "/AAAA.AQ", NULL, NULL, 0,
	    NULL, NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
}

/*
 * Routing follows the decoded path (RFC 3986 §6.2.2.2: "%64" and "d"
 * name the same resource), so a GET through an encoded form still gets
 * the resource; only the §6.4 url check of a POST needs the raw form.
 */
static void
test_wfe_encoded_get_path_routes_like_decoded(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;

	wh_req_full(f, "GET", "/%64irectory", NULL, NULL, 0, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(json_is_object(json_object_get(r.json, "meta")));
	wr_clear(&r);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* N13: every nonce given, on success or error, is unique (§6.5). */
static void
test_wfe_n13_nonces_unique_across_responses(void **state)
{
	struct wh	*f = *state;
	enum { N = 100000 };
	char		(*all)[NONCE_SIZE];
	struct wr	 r;
	const char	*n;

	assert_non_null(all = calloc(N, sizeof(*all)));
	for (size_t i = 0; i < N; i++) {
		/* Mix successes, 404s, 405s and malformed POSTs. */
		switch (i % 4) {
		case 0:
			wh_req_full(f, "HEAD", ACME_PATH_NEW_NONCE, NULL, NULL,
			    0, NULL, NULL, &r);
			break;
		case 1:
			wh_req_full(f, "POST", ACME_PATH_NEW_ORDER, WH_JOSE,
			    "x", 1, NULL, NULL, &r);
			break;
		case 2:
			wh_req_full(f, "GET", ACME_PATH_NEW_NONCE, NULL, NULL,
			    0, NULL, NULL, &r);
			break;
		default:
			wh_req_full(f, "POST", "/acme/nope", WH_JOSE, "x", 1,
			    NULL, NULL, &r);
		}
		n = wr_header(&r, "Replay-Nonce");
		assert_non_null(n);
		assert_true(nonce_is_wellformed(n));
		assert_int_equal(strlen(n), NONCE_LEN);
		memcpy(all[i], n, NONCE_SIZE);
		wr_clear(&r);
	}
	qsort(all, N, sizeof(*all), cmp_str);
	for (size_t i = 1; i < N; i++)
		assert_string_not_equal(all[i - 1], all[i]);
	free(all);
}

/* N13 on a signed success and a signed error; Location is absolute (§7.3). */
static void
test_wfe_n13_signed_responses_carry_nonce_and_absolute_location(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 url[ACME_URL_SIZE];

	wh_account(f, &a);	/* 201 checked with the common headers */
	assert_int_equal(strncmp(a.kid, "https://localhost:8555/", 23), 0);
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.test\"}]}", &r);
	wh_assert_ok(&r, 201);
	assert_int_equal(strncmp(wr_header(&r, "Location"),
	    WH_BASE ACME_PATH_ORDER, strlen(WH_BASE ACME_PATH_ORDER)), 0);
	wr_clear(&r);
	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	wh_post_acct(f, &a, url, "{\"identifiers\":[]}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		WH_TEST(test_wfe_t01_no_content_type_is_415),
		WH_TEST(test_wfe_t02_json_content_type_is_415),
		WH_TEST(test_wfe_t03_content_type_with_charset_is_415),
		WH_TEST(test_wfe_t01_jose_content_type_accepted),
		WH_TEST(test_wfe_t04_get_on_post_resources_is_405_with_allow),
		WH_TEST(test_wfe_t05_put_delete_patch_are_405_with_allow),
		WH_TEST(test_wfe_t06_unknown_path_is_404_problem),
		WH_TEST(test_wfe_page_hook_serves_root_and_leaves_acme),
		WH_TEST(test_wfe_t07_empty_body_is_malformed),
		WH_TEST(test_wfe_t08_body_too_large_flag_is_413),
		WH_TEST(test_wfe_t12_replay_nonce_request_header_is_malformed),
		WH_TEST(test_wfe_t15_directory_urls_are_canonical),
		WH_TEST(test_wfe_t16_url_with_foreign_host_is_unauthorized),
		WH_TEST(test_wfe_t17_body_not_utf8_is_malformed),
		WH_TEST(test_wfe_t19_options_preflight_allows_any_origin),
		WH_TEST(test_wfe_t19_cors_response_exposes_acme_headers),
		WH_TEST(test_wfe_t20_new_nonce_head_200_get_204_no_store),
		WH_TEST(test_wfe_directory_get_is_json_with_meta),
		WH_TEST(test_wfe_nonce_and_index_only_where_rfc_puts_them),
		WH_TEST(test_wfe_ari_malformed_certid_is_400_unknown_is_404),
		WH_TEST(test_wfe_encoded_get_path_routes_like_decoded),
		WH_TEST(test_wfe_n13_nonces_unique_across_responses),
		WH_TEST(test_wfe_n13_signed_responses_carry_nonce_and_absolute_location),
	};

	return cmocka_run_group_tests(tests, wh_group_setup, wh_group_teardown);
}
