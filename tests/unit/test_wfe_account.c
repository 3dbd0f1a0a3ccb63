/* test_wfe_account.c - accounts and key rollover through the WFE (HARDENING A01-A14, R01-R13; RFC 8555 §7.3) */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "acme/jwk.h"
#include "wfe_harness.h"

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

static void
new_account(struct wh *f, EVP_PKEY *k, const char *payload, struct wr *r)
{
	char url[ACME_URL_SIZE];

	wh_url(url, sizeof(url), ACME_PATH_NEW_ACCOUNT);
	wh_post(f, k, NULL, url, payload, r);
}

static bool
account_exists(struct wh *f, EVP_PKEY *k)
{
	struct acme_account	 a = { 0 };
	char			 tp[ACME_THUMBPRINT_SIZE];
	enum store_status	 rc;

	assert_int_equal(acme_jwk_thumbprint(k, tp), 0);
	rc = store_account_get_by_thumbprint(f->st, tp, &a);
	acme_account_clear(&a);
	return rc == STORE_OK;
}

static void
deactivate(struct wh *f, const struct wacct *a)
{
	struct wr r;

	wh_post_acct(f, a, a->kid, "{\"status\":\"deactivated\"}", &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "deactivated");
	wr_clear(&r);
}

/* ---------- A ---------- */

/* A01: RFC 8555 §7.3.1 onlyReturnExisting with an unknown key. */
static void
test_wfe_a01_only_return_existing_unknown_key(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;

	new_account(f, k, "{\"onlyReturnExisting\":true}", &r);
	wh_assert_problem(&r, 400, "accountDoesNotExist");
	assert_null(wr_header(&r, "Location"));
	wr_clear(&r);
	assert_false(account_exists(f, k));
	EVP_PKEY_free(k);
}

/* A02: the same key again is 200 with the existing Location (§7.3.1). */
static void
test_wfe_a02_existing_key_returns_200_same_location(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;

	wh_account(f, &a);
	new_account(f, a.key, "{\"termsOfServiceAgreed\":true}", &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_header(&r, "Location"), a.kid);
	wr_clear(&r);
	new_account(f, a.key, "{\"onlyReturnExisting\":true}", &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_header(&r, "Location"), a.kid);
	wr_clear(&r);
	wh_acct_free(&a);
}

/* A03: the key of a deactivated account is 401 (§7.3.6). */
static void
test_wfe_a03_deactivated_account_key_is_401(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;

	wh_account(f, &a);
	deactivate(f, &a);
	new_account(f, a.key, "{\"termsOfServiceAgreed\":true}", &r);
	wh_assert_problem(&r, 401, "unauthorized");
	wr_clear(&r);
	new_account(f, a.key, "{\"onlyReturnExisting\":true}", &r);
	wh_assert_problem(&r, 401, "unauthorized");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* A04: with terms of service configured, agreement is required (§7.3). */
static void
test_wfe_a04_tos_not_agreed_is_user_action_required(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	json_t		*meta;

	f->ro.tos_required = true;
	f->wo.tos_url = "https://localhost:8555/tos";
	assert_int_equal(wh_start(f, true), 0);
	wh_req_full(f, "GET", ACME_PATH_DIRECTORY, NULL, NULL, 0, NULL, NULL,
	    &r);
	meta = json_object_get(r.json, "meta");
	assert_string_equal(json_string_value(json_object_get(meta,
	    "termsOfService")), "https://localhost:8555/tos");
	wr_clear(&r);
	new_account(f, k, "{}", &r);
	wh_assert_problem(&r, 403, "userActionRequired");
	wr_clear(&r);
	new_account(f, k, "{\"termsOfServiceAgreed\":false}", &r);
	wh_assert_problem(&r, 403, "userActionRequired");
	wr_clear(&r);
	assert_false(account_exists(f, k));
	new_account(f, k, "{\"termsOfServiceAgreed\":true}", &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	EVP_PKEY_free(k);
}

/* A05, A06, A07: contact URLs (§7.3). */
static void
test_wfe_a05_a06_a07_bad_contacts_are_refused(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		*p, *big;
	const char	*invalid[] = {
		"{\"contact\":[\"mailto:a@b.test?subject=x\"]}",
		"{\"contact\":[\"mailto:a@b.test,c@d.test\"]}",
		"{\"contact\":[\"mailto:\"]}",
	};

	new_account(f, k, "{\"contact\":[\"tel:+15555550100\"]}", &r);
	wh_assert_problem(&r, 400, "unsupportedContact");
	wr_clear(&r);
	for (size_t i = 0; i < 3; i++) {
		new_account(f, k, invalid[i], &r);
		wh_assert_problem(&r, 400, "invalidContact");
		wr_clear(&r);
	}
	/* A07: 1,000 contacts; one 10 KiB contact */
	{
		size_t	 n = 1000, len = 0;
		char	*s;

		assert_non_null(s = malloc(n * 32 + 32));
		len += (size_t)sprintf(s, "{\"contact\":[");
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(s + len, "%s\"mailto:a%zu@b.test\"",
			    i > 0 ? "," : "", i);
		sprintf(s + len, "]}");
		new_account(f, k, s, &r);
		assert_int_equal(r.status, 400);
		assert_true(strcmp(wr_str(&r, "type"), WH_URN "invalidContact")
		    == 0 || strcmp(wr_str(&r, "type"), WH_URN "malformed") == 0);
		wh_assert_common(&r);
		wr_clear(&r);
		free(s);
	}
	assert_non_null(big = malloc(10241));
	memset(big, 'a', 10240);
	big[10240] = '\0';
	p = xprintf("{\"contact\":[\"mailto:%s@b.test\"]}", big);
	new_account(f, k, p, &r);
	assert_int_equal(r.status, 400);
	assert_true(strcmp(wr_str(&r, "type"), WH_URN "invalidContact") == 0 ||
	    strcmp(wr_str(&r, "type"), WH_URN "malformed") == 0);
	assert_null(strstr(r.body, big));	/* not echoed */
	wr_clear(&r);
	free(p);
	free(big);
	assert_false(account_exists(f, k));
	EVP_PKEY_free(k);
}

/* A08: server-owned fields in newAccount are ignored, unknown not reflected. */
static void
test_wfe_a08_server_fields_ignored_not_reflected(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		 orders[ACME_URL_SIZE + 16];

	new_account(f, k, "{\"orders\":\"https://evil.example/o\",\"status\":"
	    "\"deactivated\",\"x-foo\":1,\"termsOfServiceAgreed\":true}", &r);
	wh_assert_ok(&r, 201);
	assert_string_equal(wr_str(&r, "status"), "valid");
	snprintf(orders, sizeof(orders), "%s/orders", wr_header(&r,
	    "Location"));
	assert_string_equal(wr_str(&r, "orders"), orders);
	assert_null(json_object_get(r.json, "x-foo"));
	assert_null(strstr(r.body, "evil.example"));
	wr_clear(&r);
	EVP_PKEY_free(k);
}

/* A09: a kid of the right form naming no account. */
static void
test_wfe_a09_unknown_account_kid_is_account_does_not_exist(void **state)
{
	struct wh	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	struct wr	 r;
	char		 url[ACME_URL_SIZE];
	const char	*kids[] = { WH_BASE ACME_PATH_ACCOUNT
	    "AAAAAAAAAAAAAAAAAAAAAA", WH_BASE ACME_PATH_ACCOUNT "1" };

	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	for (size_t i = 0; i < 2; i++) {
		wh_post(f, k, kids[i], url, "{\"identifiers\":[{\"type\":"
		    "\"dns\",\"value\":\"a.test\"}]}", &r);
		wh_assert_problem(&r, 400, "accountDoesNotExist");
		wr_clear(&r);
	}
	EVP_PKEY_free(k);
}

/* A10: a kid that is not one of our account URLs is malformed. */
static void
test_wfe_a10_foreign_or_bad_kid_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 url[ACME_URL_SIZE], kid[ACME_URL_SIZE + 32];
	const char	*fmts[] = { "https://evil.example/acme/acct/%s",
	    "https://localhost:8555/acme/acct/%s/",
	    ("https://localhost:8555/" "acct/%s"),
	    "http://localhost:8555/acme/acct/%s", "%s",
	    "https://localhost:8555/acme/order/%s",
	    "https://localhost:8555/acme/acct/%s/orders" };

	wh_account(f, &a);
	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(kid, sizeof(kid), fmts[i], a.id);
#pragma GCC diagnostic pop
		wh_post(f, a.key, kid, url, "{\"identifiers\":[{\"type\":"
		    "\"dns\",\"value\":\"a.test\"}]}", &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
	}
	wh_acct_free(&a);
}

/*
 * An account of an earlier version's database has a 22-character ID (no
 * time stamp, acme/acme.h ACME_ID_LEGACY_LEN): its kid still works. A kid
 * of any other length names no account.
 */
static void
test_wfe_a10_legacy_22_character_kid_still_works(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	sqlite3		*db;
	char		 url[ACME_URL_SIZE], kid[ACME_URL_SIZE], *at;
	const char	*body = "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.test\"}]}";
	char		 sql[128];

	wh_account(f, &a);
	assert_int_equal(strlen(a.id), ACME_ID_LEN);
	/* The row as an earlier version wrote it: the random part only. */
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_URI, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE accounts SET id = substr(id, %d) "
	    "WHERE id = '%s'", ACME_ID_STAMP_LEN + 1, a.id);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
	assert_non_null(at = strstr(a.kid, a.id));
	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	/* 22 characters: the account. */
	snprintf(kid, sizeof(kid), "%.*s%s", (int)(at - a.kid), a.kid,
	    a.id + ACME_ID_STAMP_LEN);
	wh_post(f, a.key, kid, url, body, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	/* 23 characters (one of the stamp's kept): no account. */
	snprintf(kid, sizeof(kid), "%.*s%s", (int)(at - a.kid), a.kid,
	    a.id + ACME_ID_STAMP_LEN - 1);
	wh_post(f, a.key, kid, url, body, &r);
	wh_assert_problem(&r, 400, "accountDoesNotExist");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* A11: an account update may only deactivate (§7.3.6). */
static void
test_wfe_a11_update_to_other_status_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	const char	*bad[] = { "{\"status\":\"revoked\"}",
	    "{\"status\":\"foo\"}", "{\"status\":1}" };

	wh_account(f, &a);
	for (size_t i = 0; i < 3; i++) {
		wh_post_acct(f, &a, a.kid, bad[i], &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
	}
	wh_post_acct(f, &a, a.kid, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "valid");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* A12: a deactivated account can do nothing: 401 each (§7.3.6). */
static void
test_wfe_a12_deactivated_account_requests_are_401(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	deactivate(f, &a);
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"b.test\"}]}", &r);
	wh_assert_problem(&r, 401, "unauthorized");
	wr_clear(&r);
	wh_post_acct(f, &a, o.url, NULL, &r);
	wh_assert_problem(&r, 401, "unauthorized");
	wr_clear(&r);
	wh_post_acct(f, &a, a.kid, "{\"contact\":[\"mailto:x@y.test\"]}", &r);
	wh_assert_problem(&r, 401, "unauthorized");
	wr_clear(&r);
	/* no way back: deactivated -> valid is refused too */
	wh_post_acct(f, &a, a.kid, "{\"status\":\"valid\"}", &r);
	wh_assert_problem(&r, 401, "unauthorized");
	wr_clear(&r);
	wh_post_acct(f, &a, o.authz[0], NULL, &r);
	wh_assert_problem(&r, 401, "unauthorized");
	wr_clear(&r);
	wh_acct_free(&a);
}

/*
 * X22 in the RA: a newOrder that authenticated while its account was
 * valid, and reaches the lock after the deactivation committed, creates
 * nothing, also when the RA's account cache holds the deactivated row
 * (ra_new_order trusts only a cached valid row, src/ra/ra_order.c).
 */
static void
test_wfe_x22_new_order_after_deactivation_under_lock(void **state)
{
	struct wh			*f = *state;
	struct wacct			 a;
	struct acme_account		 before = { 0 }, after = { 0 };
	struct acme_req_new_order	 req;
	struct acme_order		 o = { 0 };
	struct acme_problem		 prob;
	EVP_PKEY			*k = NULL;

	wh_account(f, &a);
	/* the request's view: authenticated, valid */
	assert_int_equal(ra_account_auth(f->ra, a.id, &before, &k, &prob), 0);
	assert_int_equal(before.status, ACME_ACCOUNT_VALID);
	EVP_PKEY_free(k);
	deactivate(f, &a);
	/* a later request caches the deactivated row */
	assert_int_equal(ra_account_auth(f->ra, a.id, &after, &k, &prob), 0);
	assert_int_equal(after.status, ACME_ACCOUNT_DEACTIVATED);
	EVP_PKEY_free(k);
	memset(&req, 0, sizeof(req));
	req.ids[0].type = ACME_IDENT_DNS;
	snprintf(req.ids[0].value, sizeof(req.ids[0].value), "x22.test");
	req.nids = 1;
	memset(&prob, 0, sizeof(prob));
	assert_int_equal(ra_new_order(f->ra, &before, &req, &o, &prob), -1);
	assert_int_equal(prob.status, 401);
	assert_int_equal(prob.type, ACME_P_UNAUTHORIZED);
	acme_order_clear(&o);
	acme_account_clear(&before);
	acme_account_clear(&after);
	wh_acct_free(&a);
}

/* A13: B's key cannot read or change A's account. */
static void
test_wfe_a13_other_account_cannot_touch_account(void **state)
{
	struct wh		*f = *state;
	struct wacct		 a, b;
	struct wr		 r;
	struct acme_account	 row = { 0 };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_post_acct(f, &b, a.kid, "{\"status\":\"deactivated\"}", &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	wh_post_acct(f, &b, a.kid, "{\"contact\":[\"mailto:evil@x.test\"]}",
	    &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	wh_post_acct(f, &b, a.kid, NULL, &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	assert_int_equal(store_account_get(f->st, a.id, &row), STORE_OK);
	assert_int_equal(row.status, ACME_ACCOUNT_VALID);
	assert_int_equal(row.ncontact, 0);
	acme_account_clear(&row);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* A14: "key"/"jwk" in an update are ignored (only keyChange moves keys). */
static void
test_wfe_a14_update_with_key_field_leaves_key(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*other = tu_key_ec256();
	struct wr	 r;
	char		*jwk = tu_jwk_str(other), *p;

	wh_account(f, &a);
	p = xprintf("{\"key\":%s,\"jwk\":%s,\"contact\":"
	    "[\"mailto:a@b.test\"]}", jwk, jwk);
	wh_post_acct(f, &a, a.kid, p, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	assert_false(account_exists(f, other));
	assert_true(account_exists(f, a.key));
	wh_post_acct(f, &a, a.kid, NULL, &r);	/* old key still works */
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	free(p);
	free(jwk);
	EVP_PKEY_free(other);
	wh_acct_free(&a);
}

/* ---------- R: key rollover (RFC 8555 §7.3.5) ---------- */

/* The default inner header: alg of newkey, its jwk, url keyChange. */
static char *
inner_hdr(EVP_PKEY *newkey, const char *url)
{
	const char	*alg;
	char		*jwk = tu_jwk_str(newkey), *h;

	assert_int_equal(acme_jwk_alg_for_key(newkey, &alg), 0);
	h = xprintf("{\"alg\":\"%s\",\"jwk\":%s,\"url\":\"%s\"}", alg, jwk,
	    url);
	free(jwk);
	return h;
}

static char *
inner_payload(const char *account, EVP_PKEY *oldkey)
{
	char *jwk = tu_jwk_str(oldkey), *p;

	p = xprintf("{\"account\":\"%s\",\"oldKey\":%s}", account, jwk);
	free(jwk);
	return p;
}

/* POST keyChange for a with an inner JWS body (taken as is). */
static void
key_change_body(struct wh *f, const struct wacct *a, const char *inner,
    struct wr *r)
{
	char url[ACME_URL_SIZE];

	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	wh_post_acct(f, a, url, inner, r);
}

/*
 * keyChange for a to newkey; signer signs the inner JWS (NULL: newkey);
 * hdr / payload override the inner defaults when not NULL.
 */
static void
key_change(struct wh *f, const struct wacct *a, EVP_PKEY *newkey,
    EVP_PKEY *signer, const char *hdr, const char *payload, struct wr *r)
{
	char	 url[ACME_URL_SIZE];
	char	*h = NULL, *p = NULL, *inner;

	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	if (hdr == NULL)
		hdr = h = inner_hdr(newkey, url);
	if (payload == NULL)
		payload = p = inner_payload(a->kid, a->key);
	inner = tu_jws_sign_raw(signer != NULL ? signer : newkey, hdr, payload);
	assert_non_null(inner);
	key_change_body(f, a, inner, r);
	free(inner);
	free(h);
	free(p);
}

/* A successful rollover (positive control for every R row). */
static void
test_wfe_r_rollover_succeeds_and_moves_the_key(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec384();
	struct wr	 r;

	wh_account(f, &a);
	key_change(f, &a, nk, NULL, NULL, NULL, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	assert_true(account_exists(f, nk));
	assert_false(account_exists(f, a.key));
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

static void
assert_key_unchanged(struct wh *f, const struct wacct *a, EVP_PKEY *nk)
{
	assert_true(account_exists(f, a->key));
	assert_false(account_exists(f, nk));
}

/* R01: the inner JWS must carry jwk, not kid (step 3). */
static void
test_wfe_r01_inner_kid_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec256();
	struct wr	 r;
	char		 url[ACME_URL_SIZE], *h;

	wh_account(f, &a);
	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	h = xprintf("{\"alg\":\"ES256\",\"kid\":\"%s\",\"url\":\"%s\"}", a.kid,
	    url);
	key_change(f, &a, nk, NULL, h, NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_key_unchanged(f, &a, nk);
	free(h);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R02: the inner signature must verify with its own jwk (step 4). */
static void
test_wfe_r02_inner_bad_signature_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec256(), *other = tu_key_ec256();
	struct wr	 r;

	wh_account(f, &a);
	key_change(f, &a, nk, other, NULL, NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_key_unchanged(f, &a, nk);
	EVP_PKEY_free(other);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R03: inner url must equal the outer url (step 6). */
static void
test_wfe_r03_inner_url_mismatch_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec256();
	struct wr	 r;
	char		 url[ACME_URL_SIZE], *h;

	wh_account(f, &a);
	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	h = inner_hdr(nk, url);
	key_change(f, &a, nk, NULL, h, NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_key_unchanged(f, &a, nk);
	free(h);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R04: inner account must be the outer kid (step 7). */
static void
test_wfe_r04_inner_account_other_kid_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	EVP_PKEY	*nk = tu_key_ec256();
	struct wr	 r;
	char		*p;

	wh_account(f, &a);
	wh_account(f, &b);
	p = inner_payload(b.kid, a.key);
	key_change(f, &a, nk, NULL, NULL, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(p);
	p = inner_payload(b.kid, b.key);
	key_change(f, &a, nk, NULL, NULL, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(p);
	assert_key_unchanged(f, &a, nk);
	assert_true(account_exists(f, b.key));
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* R05: oldKey must be the account's current key (step 8). */
static void
test_wfe_r05_inner_wrong_old_key_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec256(), *other = tu_key_ec256();
	struct wr	 r;
	char		*p;

	wh_account(f, &a);
	p = inner_payload(a.kid, other);
	key_change(f, &a, nk, NULL, NULL, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_key_unchanged(f, &a, nk);
	free(p);
	EVP_PKEY_free(other);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R06: a new key that is B's: 409 with B's Location (step 9). */
static void
test_wfe_r06_new_key_of_other_account_is_409(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct wr	 r;

	wh_account(f, &a);
	wh_account(f, &b);
	key_change(f, &a, b.key, NULL, NULL, NULL, &r);
	wh_assert_problem(&r, 409, "malformed");
	assert_non_null(wr_header(&r, "Location"));
	assert_string_equal(wr_header(&r, "Location"), b.kid);
	wr_clear(&r);
	assert_true(account_exists(f, a.key));
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* R07: new key = old key: 409 with its own Location, or 400. */
static void
test_wfe_r07_new_key_equal_old_is_refused(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;

	wh_account(f, &a);
	key_change(f, &a, a.key, NULL, NULL, NULL, &r);
	if (r.status == 409) {
		wh_assert_problem(&r, 409, "malformed");
		assert_string_equal(wr_header(&r, "Location"), a.kid);
	} else
		wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_true(account_exists(f, a.key));
	wh_acct_free(&a);
}

/* R08: the inner JWS must not carry a nonce. */
static void
test_wfe_r08_inner_nonce_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec256();
	struct wr	 r;
	char		 url[ACME_URL_SIZE], nonce[NONCE_SIZE], *jwk, *h;

	wh_account(f, &a);
	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	wh_nonce(f, nonce);
	jwk = tu_jwk_str(nk);
	h = xprintf("{\"alg\":\"ES256\",\"jwk\":%s,\"nonce\":\"%s\","
	    "\"url\":\"%s\"}", jwk, nonce, url);
	key_change(f, &a, nk, NULL, h, NULL, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_key_unchanged(f, &a, nk);
	free(h);
	free(jwk);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R09: the inner JWS follows the same algorithm rules. */
static void
test_wfe_r09_inner_none_or_hs256_is_bad_signature_algorithm(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec256();
	struct wr	 r;
	char		 url[ACME_URL_SIZE], *jwk, *h, *p, *inner;
	char		*pb, *yb, *body;

	wh_account(f, &a);
	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	jwk = tu_jwk_str(nk);
	p = inner_payload(a.kid, a.key);
	/* none, empty signature */
	h = xprintf("{\"alg\":\"none\",\"jwk\":%s,\"url\":\"%s\"}", jwk, url);
	pb = tu_b64url_str(h);
	yb = tu_b64url_str(p);
	body = tu_jws_body(pb, yb, "");
	key_change_body(f, &a, body, &r);
	wh_assert_problem(&r, 400, "badSignatureAlgorithm");
	wr_clear(&r);
	free(body);
	free(pb);
	free(yb);
	free(h);
	/* HS256 keyed with the jwk text */
	h = xprintf("{\"alg\":\"HS256\",\"jwk\":%s,\"url\":\"%s\"}", jwk, url);
	inner = tu_jws_sign_hmac((const unsigned char *)jwk, strlen(jwk), h, p);
	key_change_body(f, &a, inner, &r);
	wh_assert_problem(&r, 400, "badSignatureAlgorithm");
	wr_clear(&r);
	free(inner);
	free(h);
	assert_key_unchanged(f, &a, nk);
	free(p);
	free(jwk);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R10: the new key passes the account-key policy. */
static void
test_wfe_r10_weak_new_key_is_bad_public_key(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_rsa(1024);
	struct wr	 r;

	wh_account(f, &a);
	key_change(f, &a, nk, NULL, NULL, NULL, &r);
	wh_assert_problem(&r, 400, "badPublicKey");
	wr_clear(&r);
	assert_key_unchanged(f, &a, nk);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R11: the inner JWS has the same structural rules (flattened, no header). */
static void
test_wfe_r11_inner_compact_or_unprotected_header_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	EVP_PKEY	*nk = tu_key_ec256();
	struct wr	 r;
	char		 url[ACME_URL_SIZE], *h, *p, *inner, *bad;
	json_t		*j;

	wh_account(f, &a);
	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	h = inner_hdr(nk, url);
	p = inner_payload(a.kid, a.key);
	inner = tu_jws_sign_raw(nk, h, p);
	assert_non_null(j = json_loads(inner, 0, NULL));
	bad = xprintf("%s.%s.%s", json_string_value(json_object_get(j,
	    "protected")), json_string_value(json_object_get(j, "payload")),
	    json_string_value(json_object_get(j, "signature")));
	key_change_body(f, &a, bad, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(bad);
	json_object_set_new(j, "header", json_pack("{s:s}", "kid", a.kid));
	bad = json_dumps(j, JSON_COMPACT);
	key_change_body(f, &a, bad, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(bad);
	json_decref(j);
	assert_key_unchanged(f, &a, nk);
	free(inner);
	free(p);
	free(h);
	EVP_PKEY_free(nk);
	wh_acct_free(&a);
}

/* R12: after a rollover the old key fails, the new works, orders live on. */
static void
test_wfe_r12_after_rollover_old_key_fails_orders_kept(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o, ro;
	EVP_PKEY	*nk = tu_key_ec256();
	struct wr	 r;
	const char	*n[] = { "a.test" }, *n2[] = { "b.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	wh_ready_order(f, &a, n2, 1, &ro);
	key_change(f, &a, nk, NULL, NULL, NULL, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	wh_post_acct(f, &a, o.url, NULL, &r);	/* old key */
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	EVP_PKEY_free(a.key);
	a.key = nk;
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "pending");
	wh_order_get(f, &a, &ro);
	assert_string_equal(ro.status, "ready");
	wh_acct_free(&a);
}

struct r13 {
	struct wh		*f;
	char			*body;
	pthread_barrier_t	*go;
	int			 status;
};

static void *
r13_thread(void *arg)
{
	struct r13	*t = arg;
	struct wr	 r;
	char		 url[ACME_URL_SIZE];

	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	pthread_barrier_wait(t->go);
	wh_post_raw(t->f, url, t->body, &r);
	t->status = r.status;
	wr_clear(&r);
	return NULL;
}

/* Outer keyChange body for a -> nk with a fresh nonce. */
static char *
key_change_full(struct wh *f, const struct wacct *a, EVP_PKEY *nk)
{
	char	 url[ACME_URL_SIZE], nonce[NONCE_SIZE];
	char	*h, *p, *inner, *body;

	wh_url(url, sizeof(url), ACME_PATH_KEY_CHANGE);
	h = inner_hdr(nk, url);
	p = inner_payload(a->kid, a->key);
	inner = tu_jws_sign_raw(nk, h, p);
	wh_nonce(f, nonce);
	body = tu_jws_sign(a->key, NULL, false, a->kid, nonce, url, inner);
	free(inner);
	free(p);
	free(h);
	return body;
}

/* R13: two accounts race to the same new key: one 200, one 409. */
static void
test_wfe_r13_concurrent_rollover_to_same_key_one_wins(void **state)
{
	struct wh		*f = *state;
	struct wacct		 a, b;
	EVP_PKEY		*nk;
	struct r13		 t[2];
	pthread_t		 th[2];
	pthread_barrier_t	 go;

	for (int round = 0; round < 10; round++) {
		wh_account(f, &a);
		wh_account(f, &b);
		nk = tu_key_ec256();
		pthread_barrier_init(&go, NULL, 2);
		memset(t, 0, sizeof(t));
		t[0].f = t[1].f = f;
		t[0].go = t[1].go = &go;
		t[0].body = key_change_full(f, &a, nk);
		t[1].body = key_change_full(f, &b, nk);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&th[i], NULL,
			    r13_thread, &t[i]), 0);
		for (int i = 0; i < 2; i++) {
			pthread_join(th[i], NULL);
			free(t[i].body);
		}
		pthread_barrier_destroy(&go);
		assert_true((t[0].status == 200 && t[1].status == 409) ||
		    (t[0].status == 409 && t[1].status == 200));
		assert_true(account_exists(f, nk));
		/* exactly one of the old keys is gone */
		assert_true(account_exists(f, a.key) !=
		    account_exists(f, b.key));
		EVP_PKEY_free(nk);
		wh_acct_free(&a);
		wh_acct_free(&b);
	}
}

/* ---------- external account binding (RFC 8555 §7.3.4) ---------- */

/* The response's externalAccountBinding equals want (JSON equality). */
static void
assert_eab_echo(const struct wr *r, const json_t *want)
{
	json_t *got = r->json != NULL ? json_object_get(r->json,
	    "externalAccountBinding") : NULL;

	if (!json_equal(got, (json_t *)want))
		fprintf(stderr, "externalAccountBinding: got %s\n",
		    r->body != NULL ? r->body : "(no body)");
	assert_non_null(got);
	assert_true(json_equal(got, (json_t *)want));
}

/*
 * "The account object the CA returns MUST include an
 * externalAccountBinding field with the same value as the field in the
 * request": on the newAccount answer and every later read of the account.
 */
static void
test_wfe_a_eab_echoed_on_every_account_read(void **state)
{
	struct wh	*f = *state;
	struct store_eab ek;
	EVP_PKEY	*k = tu_key_ec256(), *k2 = tu_key_ec256();
	json_t		*b;
	struct wr	 r;
	char		 kid[ACME_URL_SIZE], *jwk, *body, *pl;

	memset(&ek, 0, sizeof(ek));
	snprintf(ek.kid, sizeof(ek.kid), "k1");
	memset(ek.key, 0x5a, 32);
	ek.keylen = 32;
	assert_int_equal(store_eab_create(f->st, &ek), STORE_OK);
	assert_non_null(jwk = tu_jwk_str(k));
	assert_non_null(body = tu_jws_sign_hmac(ek.key, 32,
	    "{\"alg\":\"HS256\",\"kid\":\"k1\",\"url\":\"" WH_BASE
	    ACME_PATH_NEW_ACCOUNT "\"}", jwk));
	assert_non_null(b = json_loads(body, 0, NULL));
	pl = xprintf("{\"termsOfServiceAgreed\":true,"
	    "\"externalAccountBinding\":%s}", body);

	new_account(f, k, pl, &r);
	wh_assert_ok(&r, 201);
	assert_eab_echo(&r, b);
	snprintf(kid, sizeof(kid), "%s", wr_header(&r, "Location"));
	wr_clear(&r);
	/* POST-as-GET of the account URL */
	wh_post(f, k, kid, kid, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_eab_echo(&r, b);
	wr_clear(&r);
	/* an update */
	wh_post(f, k, kid, kid, "{\"contact\":[\"mailto:a@example.test\"]}",
	    &r);
	wh_assert_ok(&r, 200);
	assert_eab_echo(&r, b);
	wr_clear(&r);
	/* newAccount with the same key: the existing account */
	new_account(f, k, "{\"onlyReturnExisting\":true}", &r);
	wh_assert_ok(&r, 200);
	assert_eab_echo(&r, b);
	wr_clear(&r);
	new_account(f, k, "{\"termsOfServiceAgreed\":true}", &r);
	wh_assert_ok(&r, 200);
	assert_eab_echo(&r, b);
	wr_clear(&r);
	/* an account made without a binding has none */
	new_account(f, k2, "{\"termsOfServiceAgreed\":true}", &r);
	wh_assert_ok(&r, 201);
	assert_null(json_object_get(r.json, "externalAccountBinding"));
	wr_clear(&r);
	json_decref(b);
	free(pl);
	free(body);
	free(jwk);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

/* ---------- newAccount rate limit (issue #12 item 14, HARDENING D01) ---------- */

static void
new_accounts(struct wh *f, int n, int *created, struct wr *last)
{
	*created = 0;
	for (int i = 0; i < n; i++) {
		EVP_PKEY *k = tu_key_ec256();

		new_account(f, k, "{\"termsOfServiceAgreed\":true}", last);
		EVP_PKEY_free(k);
		if (last->status != 201 || i == n - 1)
			return;
		(*created)++;
		wr_clear(last);
	}
}

/* Beyond the rate on a limited listener: 429 rateLimited, Retry-After. */
static void
test_wfe_d01_new_account_rate_limited(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	int		 created;

	f->wo.new_account_rate = 3;		/* a minute, burst 3 */
	assert_int_equal(wh_start(f, true), 0);
	new_accounts(f, 4, &created, &r);
	assert_int_equal(created, 3);
	wh_assert_problem(&r, 429, "rateLimited");
	assert_non_null(wr_header(&r, "Retry-After"));
	assert_string_equal(wr_header(&r, "Retry-After"), "20");
	assert_int_equal(wr_header_count(&r, "Retry-After"), 1);
	wr_clear(&r);
}

/* The same rate on a listener that does not limit (loopback's default). */
static void
test_wfe_d01_unlimited_listener_not_limited(void **state)
{
	struct wh	*f = *state;
	struct wr	 r;
	static const bool limited[2] = { false, true };
	int		 created;

	f->wo.new_account_rate = 3;
	f->wo.new_account_limited = limited;	/* the harness is listener 0 */
	f->wo.nlisteners = 2;
	assert_int_equal(wh_start(f, true), 0);
	new_accounts(f, 6, &created, &r);
	wh_assert_ok(&r, 201);
	assert_int_equal(created, 5);
	wr_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		WH_TEST(test_wfe_a01_only_return_existing_unknown_key),
		WH_TEST(test_wfe_a02_existing_key_returns_200_same_location),
		WH_TEST(test_wfe_a03_deactivated_account_key_is_401),
		WH_TEST(test_wfe_a04_tos_not_agreed_is_user_action_required),
		WH_TEST(test_wfe_a05_a06_a07_bad_contacts_are_refused),
		WH_TEST(test_wfe_a08_server_fields_ignored_not_reflected),
		WH_TEST(test_wfe_a09_unknown_account_kid_is_account_does_not_exist),
		WH_TEST(test_wfe_a10_foreign_or_bad_kid_is_malformed),
		WH_TEST(test_wfe_a10_legacy_22_character_kid_still_works),
		WH_TEST(test_wfe_a11_update_to_other_status_is_malformed),
		WH_TEST(test_wfe_a12_deactivated_account_requests_are_401),
		WH_TEST(test_wfe_x22_new_order_after_deactivation_under_lock),
		WH_TEST(test_wfe_a13_other_account_cannot_touch_account),
		WH_TEST(test_wfe_a14_update_with_key_field_leaves_key),
		WH_TEST(test_wfe_r_rollover_succeeds_and_moves_the_key),
		WH_TEST(test_wfe_r01_inner_kid_is_malformed),
		WH_TEST(test_wfe_r02_inner_bad_signature_is_malformed),
		WH_TEST(test_wfe_r03_inner_url_mismatch_is_malformed),
		WH_TEST(test_wfe_r04_inner_account_other_kid_is_malformed),
		WH_TEST(test_wfe_r05_inner_wrong_old_key_is_malformed),
		WH_TEST(test_wfe_r06_new_key_of_other_account_is_409),
		WH_TEST(test_wfe_r07_new_key_equal_old_is_refused),
		WH_TEST(test_wfe_r08_inner_nonce_is_malformed),
		WH_TEST(test_wfe_r09_inner_none_or_hs256_is_bad_signature_algorithm),
		WH_TEST(test_wfe_r10_weak_new_key_is_bad_public_key),
		WH_TEST(test_wfe_r11_inner_compact_or_unprotected_header_is_malformed),
		WH_TEST(test_wfe_r12_after_rollover_old_key_fails_orders_kept),
		WH_TEST(test_wfe_r13_concurrent_rollover_to_same_key_one_wins),
		WH_TEST(test_wfe_a_eab_echoed_on_every_account_read),
		WH_TEST(test_wfe_d01_new_account_rate_limited),
		WH_TEST(test_wfe_d01_unlimited_listener_not_limited),
	};

	return cmocka_run_group_tests(tests, wh_group_setup, wh_group_teardown);
}
