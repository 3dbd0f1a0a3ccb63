/* test_wfe_order.c - orders, authorizations, challenges, ownership and limits through the WFE (HARDENING O, C, Z, D; RFC 8555 §7.1.6) */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "acme/challenge.h"
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

/* newOrder with one identifier of type/value; response in *r. */
static void
order_one(struct wh *f, const struct wacct *a, const char *type,
    const char *value, struct wr *r)
{
	json_t	*p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", type,
	    "value", value);
	char	*s = json_dumps(p, JSON_COMPACT);

	wh_new_order_raw(f, a, s, r);
	free(s);
	json_decref(p);
}

static size_t
nsub(const struct wr *r)
{
	json_t *s = json_object_get(r->json, "subproblems");

	return json_is_array(s) ? json_array_size(s) : 0;
}

/* Every subproblem names an identifier (RFC 8555 §6.7.1). */
static void
assert_subproblems_have_identifiers(const struct wr *r)
{
	json_t	*s = json_object_get(r->json, "subproblems"), *sp;
	size_t	 i;

	json_array_foreach(s, i, sp) {
		json_t *id = json_object_get(sp, "identifier");

		assert_true(json_is_object(id));
		assert_true(json_is_string(json_object_get(id, "type")));
		assert_true(json_is_string(json_object_get(id, "value")));
		assert_true(json_is_string(json_object_get(sp, "type")));
		assert_int_equal(strncmp(json_string_value(json_object_get(sp,
		    "type")), WH_URN, strlen(WH_URN)), 0);
	}
}

static size_t
order_count(struct wh *f, const char *acct_id)
{
	char	 ids[200][ACME_ID_SIZE], next[64];
	size_t	 n = 0;

	assert_int_equal(store_order_list(f->st, acct_id, NULL, 200, ids, &n,
	    next, sizeof(next)), STORE_OK);
	return n;
}

/* Case-insensitive substring test (strcasestr is a GNU extension). */
static bool
has_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* ---------- O ---------- */

/* O01: no identifiers. */
static void
test_wfe_o01_empty_identifiers_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;

	wh_account(f, &a);
	wh_new_order_raw(f, &a, "{\"identifiers\":[]}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_new_order_raw(f, &a, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* O02: identifier types we do not issue for. */
static void
test_wfe_o02_unknown_identifier_type_is_unsupported(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;

	wh_account(f, &a);
	order_one(f, &a, "email", "a@b.test", &r);
	wh_assert_problem(&r, 400, "unsupportedIdentifier");
	wr_clear(&r);
	order_one(f, &a, "foo", "a.test", &r);
	wh_assert_problem(&r, 400, "unsupportedIdentifier");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* O03: an empty DNS name. */
static void
test_wfe_o03_empty_dns_value_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;

	wh_account(f, &a);
	order_one(f, &a, "dns", "", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* O04, O13: case is normalised and duplicates merged. */
static void
test_wfe_o04_o13_names_normalised_and_deduplicated(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	json_t		*ids;

	wh_account(f, &a);
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"Example.TEST\"},{\"type\":\"dns\",\"value\":"
	    "\"example.test\"},{\"type\":\"dns\",\"value\":\"EXAMPLE.test\"}]}",
	    &r);
	wh_assert_ok(&r, 201);
	ids = json_object_get(r.json, "identifiers");
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(ids, 0), "value")), "example.test");
	assert_int_equal(json_array_size(json_object_get(r.json,
	    "authorizations")), 1);
	wr_clear(&r);
	wh_acct_free(&a);
}

/* O05-O11: bad names are rejectedIdentifier, with one subproblem each. */
static void
test_wfe_o05_to_o11_bad_names_are_rejected_identifier(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 l64[80], n254[300];
	const char	*bad[] = {
		"example.test.",		/* O05 */
		"127.0.0.1", "[::1]",		/* O06 */
		"a..b.test", "-a.test", "a-.test",	/* O08 */
		"a_b.test", "a b.test", "a\"b.test", "a/b.test",
		"b\xc3\xbc" "cher.test",	/* O09 */
		"xn--zz.test", "ab--c.test",	/* O10 */
		"*.*.test", "a*.test", "foo.*.test", "*",	/* O11 */
		NULL, NULL,			/* O08 long label, long name */
	};
	size_t		 nbad = sizeof(bad) / sizeof(bad[0]);
	json_t		*p, *ids;
	char		*s;

	memset(l64, 'a', 64);
	snprintf(l64 + 64, sizeof(l64) - 64, ".test");
	for (size_t i = 0; i < 250; i += 2) {
		n254[i] = 'a';
		n254[i + 1] = '.';
	}
	snprintf(n254 + 250, sizeof(n254) - 250, "test");
	bad[nbad - 2] = l64;
	bad[nbad - 1] = n254;
	wh_account(f, &a);
	for (size_t i = 0; i < nbad; i++) {
		order_one(f, &a, "dns", bad[i], &r);
		if (r.status != 400 || strcmp(wr_str(&r, "type"),
		    WH_URN "rejectedIdentifier") != 0)
			fprintf(stderr, "name %zu: %s\n", i, bad[i]);
		/* O06 may also be malformed */
		if (i == 1 || i == 2)
			assert_true(strcmp(wr_str(&r, "type"), WH_URN
			    "rejectedIdentifier") == 0 || strcmp(wr_str(&r,
			    "type"), WH_URN "malformed") == 0);
		else
			wh_assert_problem(&r, 400, "rejectedIdentifier");
		assert_int_equal(r.status, 400);
		wr_clear(&r);
	}
	/* O08: all at once: one subproblem per bad name, good ones none */
	p = json_pack("{s:[]}", "identifiers");
	ids = json_object_get(p, "identifiers");
	json_array_append_new(ids, json_pack("{s:s,s:s}", "type", "dns",
	    "value", "good.test"));
	for (size_t i = 3; i < nbad; i++)
		json_array_append_new(ids, json_pack("{s:s,s:s}", "type", "dns",
		    "value", bad[i]));
	s = json_dumps(p, JSON_COMPACT);
	wh_new_order_raw(f, &a, s, &r);
	wh_assert_problem(&r, 400, "rejectedIdentifier");
	assert_int_equal(nsub(&r), nbad - 3);
	assert_subproblems_have_identifiers(&r);
	wr_clear(&r);
	free(s);
	json_decref(p);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* O07: IP identifiers that are not one canonical address. */
static void
test_wfe_o07_bad_ip_identifiers_are_rejected(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	const char	*bad[] = { "127.0.0.0.0.1", "::ffff:zz", "1.2.3.4/24",
	    "01.2.3.4", "127.1", "localhost", "" };

	wh_account(f, &a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		order_one(f, &a, "ip", bad[i], &r);
		assert_int_equal(r.status, 400);
		assert_true(strcmp(wr_str(&r, "type"), WH_URN
		    "rejectedIdentifier") == 0 || (bad[i][0] == '\0' &&
		    strcmp(wr_str(&r, "type"), WH_URN "malformed") == 0));
		wh_assert_common(&r);
		wr_clear(&r);
	}
	/* positive control: an IP in policy (RFC 8738) */
	order_one(f, &a, "ip", "127.0.0.1", &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	wh_acct_free(&a);
}

/* O12: more identifiers than an order may hold. */
static void
test_wfe_o12_too_many_identifiers_is_refused(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	json_t		*p = json_pack("{s:[]}", "identifiers");
	char		 name[32], *s;

	wh_account(f, &a);
	for (int i = 0; i <= ACME_MAX_IDENTIFIERS; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		json_array_append_new(json_object_get(p, "identifiers"),
		    json_pack("{s:s,s:s}", "type", "dns", "value", name));
	}
	s = json_dumps(p, JSON_COMPACT);
	wh_new_order_raw(f, &a, s, &r);
	assert_int_equal(r.status, 400);
	assert_true(strcmp(wr_str(&r, "type"), WH_URN "rejectedIdentifier") ==
	    0 || strcmp(wr_str(&r, "type"), WH_URN "malformed") == 0);
	wh_assert_common(&r);
	wr_clear(&r);
	free(s);
	json_decref(p);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* O14: a validity window we would not issue is malformed (§7.4). */
static void
test_wfe_o14_bad_validity_window_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	char		 past[32], now1[32], far[32], *p;
	time_t		 now = time(NULL);

	wh_account(f, &a);
	acme_time_rfc3339(now - 10 * 86400, past);
	acme_time_rfc3339(now, now1);
	acme_time_rfc3339(now + 2000 * 86400, far);
	p = xprintf("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"notBefore\":\"%s\"}", past);
	wh_new_order_raw(f, &a, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(p);
	p = xprintf("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"notBefore\":\"%s\",\"notAfter\":\"%s\"}", now1, far);
	wh_new_order_raw(f, &a, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(p);
	p = xprintf("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"notAfter\":\"%s\"}", past);
	wh_new_order_raw(f, &a, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(p);
	p = xprintf("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}],"
	    "\"notBefore\":\"yesterday\"}");
	wh_new_order_raw(f, &a, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(p);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* O15, O16: names and addresses outside the CA's policy. */
static void
test_wfe_o15_o16_outside_policy_is_rejected_identifier(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;

	wh_account(f, &a);
	order_one(f, &a, "dns", "google.com", &r);
	wh_assert_problem(&r, 400, "rejectedIdentifier");
	assert_subproblems_have_identifiers(&r);
	/* RFC 8555 §6.7.1: the detail names the name and what is allowed */
	assert_non_null(strstr(wr_str(&r, "detail"), "google.com is not "
	    "allowed by this CA's name policy (allowed: localhost, test, "));
	assert_non_null(strstr(wr_str(&r, "detail"), "`localacme init "
	    "--permit`"));
	wr_clear(&r);
	order_one(f, &a, "dns", "*.google.com", &r);
	wh_assert_problem(&r, 400, "rejectedIdentifier");
	wr_clear(&r);
	order_one(f, &a, "ip", "8.8.8.8", &r);
	wh_assert_problem(&r, 400, "rejectedIdentifier");
	wr_clear(&r);
	order_one(f, &a, "ip", "2001:4860:4860::8888", &r);
	wh_assert_problem(&r, 400, "rejectedIdentifier");
	wr_clear(&r);
	/* one bad name refuses the whole order */
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.test\"},{\"type\":\"dns\",\"value\":"
	    "\"example.com\"}]}", &r);
	wh_assert_problem(&r, 400, "rejectedIdentifier");
	assert_int_equal(nsub(&r), 1);
	wr_clear(&r);
	assert_int_equal(order_count(f, a.id), 0);
	wh_acct_free(&a);
}

/* §7.1.4: a wildcard gets dns-01 only; the authz names the base domain. */
static void
test_wfe_wildcard_order_offers_dns01_only(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	json_t		*cs;
	const char	*n[] = { "*.w.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	wh_post_acct(f, &a, o.authz[0], NULL, &r);
	wh_assert_ok(&r, 200);
	assert_true(json_is_true(json_object_get(r.json, "wildcard")));
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(r.json, "identifier"), "value")), "w.test");
	cs = json_object_get(r.json, "challenges");
	assert_int_equal(json_array_size(cs), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(cs, 0), "type")), "dns-01");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* ---------- store-made states ---------- */

/*
 * An order made directly in the store (states the protocol reaches only
 * with time): authz i has status st[i] and expiry aexp[i].
 */
static void
store_order(struct wh *f, const struct wacct *a, const char *const *names,
    size_t n, const enum acme_authz_status *st, const time_t *aexp,
    time_t oexp, struct word *o)
{
	struct acme_order	 ord = { 0 };
	struct acme_authz	 az[4];

	assert_true(n <= 4);
	memset(az, 0, sizeof(az));
	assert_int_equal(acme_order_alloc_idents(&ord, n), 0);
	memcpy(ord.account_id, a->id, ACME_ID_SIZE);
	ord.expires = oexp;
	for (size_t i = 0; i < n; i++) {
		ord.idents[i].type = ACME_IDENT_DNS;
		snprintf(ord.idents[i].value, sizeof(ord.idents[i].value), "%s",
		    names[i]);
		az[i].ident = ord.idents[i];
		az[i].status = st[i];
		az[i].expires = aexp[i];
		az[i].nchall = 1;
		az[i].chall[0].type = ACME_CHALL_HTTP01;
		az[i].chall[0].status = st[i] == ACME_AUTHZ_VALID ?
		    ACME_CHALL_VALID : ACME_CHALL_PENDING;
		assert_int_equal(acme_challenge_token(az[i].chall[0].token), 0);
	}
	assert_int_equal(store_order_create(f->st, &ord, az, n), STORE_OK);
	memset(o, 0, sizeof(*o));
	acme_url_order(WH_BASE, ord.id, o->url, sizeof(o->url));
	acme_url_finalize(WH_BASE, ord.id, o->finalize, sizeof(o->finalize));
	o->nauthz = n;
	for (size_t i = 0; i < n; i++) {
		acme_url_authz(WH_BASE, ord.authz_ids[i], o->authz[i],
		    sizeof(o->authz[i]));
		acme_authz_clear(&az[i]);
	}
	snprintf(o->status, sizeof(o->status), "%s",
	    acme_order_status_str(ord.status));
	acme_order_clear(&ord);
}

/* Put challenge url into processing as a VA would have (X20 seam). */
static void
begin_validation(struct wh *f, const char *chall_url)
{
	assert_int_equal(store_challenge_begin(f->st, wh_id(chall_url)),
	    STORE_OK);
}

/* The VA's scripted result for a challenge in processing. */
static void
va_result(struct wh *f, const char *chall_url, bool valid)
{
	struct va_request	 req;
	struct va_result	 res;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	snprintf(req.chall_id, sizeof(req.chall_id), "%s", wh_id(chall_url));
	req.type = ACME_CHALL_HTTP01;
	res.valid = valid;
	if (!valid)
		acme_problem_set(&res.prob, ACME_P_INCORRECTRESPONSE,
		    "the key authorization did not match");
	ra_va_done(f->ra, &req, &res);
}

static void
chall_get(struct wh *f, const struct wacct *a, const char *url,
    const char *payload, struct wr *r)
{
	wh_post_acct(f, a, url, payload, r);
}

/* ---------- C ---------- */

/* C01: B cannot read A's authz: 404 like a missing one (RA design, Z01). */
static void
test_wfe_c01_other_account_authz_is_404(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o;
	struct wr	 r, r2;
	char		 missing[ACME_URL_SIZE];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_order(f, &a, n, 1, &o);
	wh_post_acct(f, &b, o.authz[0], NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	acme_url_authz(WH_BASE, "AAAAAAAAAAAAAAAAAAAAAA", missing,
	    sizeof(missing));
	wh_post_acct(f, &b, missing, NULL, &r2);
	wh_assert_problem(&r2, 404, "malformed");
	assert_string_equal(r.body, r2.body);
	wr_clear(&r);
	wr_clear(&r2);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/*
 * C02: B answering A's challenge starts nothing. The catalogue asks
 * 403; the RA answers 404, like a missing challenge (ra.h: another
 * account's resource is indistinguishable from none, RFC 8555 §10.5).
 */
static void
test_wfe_c02_other_account_challenge_response_refused_no_validation(
    void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o;
	struct wr	 r;
	char		 ch[ACME_URL_SIZE], st[16];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_order(f, &a, n, 1, &o);
	wh_chall_url(f, &a, o.authz[0], "http-01", ch);
	chall_get(f, &b, ch, "{}", &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	chall_get(f, &b, ch, NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	/* validation_skip would have made it valid: it is still pending */
	chall_get(f, &a, ch, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "pending");
	wr_clear(&r);
	wh_authz_status(f, &a, o.authz[0], st);
	assert_string_equal(st, "pending");
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* C03: POST-as-GET reads a challenge and never starts validation (§7.5.1). */
static void
test_wfe_c03_post_as_get_challenge_does_not_validate(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 ch[ACME_URL_SIZE], up[ACME_URL_SIZE + 16];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	wh_chall_url(f, &a, o.authz[0], "http-01", ch);
	chall_get(f, &a, ch, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "pending");
	assert_string_equal(wr_str(&r, "url"), ch);
	snprintf(up, sizeof(up), "<%s>;rel=\"up\"", o.authz[0]);
	assert_true(wr_has_link(&r, up));
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "pending");
	wh_acct_free(&a);
}

/* C04: client-supplied challenge fields are ignored (§7.5.1). */
static void
test_wfe_c04_challenge_response_fields_ignored(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 ch[ACME_URL_SIZE], token[64];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	wh_chall_url(f, &a, o.authz[0], "http-01", ch);
	chall_get(f, &a, ch, NULL, &r);
	snprintf(token, sizeof(token), "%s", wr_str(&r, "token"));
	wr_clear(&r);
	chall_get(f, &a, ch, "{\"keyAuthorization\":\"x\",\"type\":\"dns-01\","
	    "\"status\":\"invalid\",\"token\":\"y\"}", &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "type"), "http-01");
	assert_string_equal(wr_str(&r, "token"), token);
	assert_string_equal(wr_str(&r, "status"), "valid");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* C05: a challenge of an expired authz cannot be answered. */
static void
test_wfe_c05_expired_authz_challenge_is_404(void **state)
{
	struct wh		*f = *state;
	struct wacct		 a;
	struct word		 o;
	struct wr		 r;
	char			 ch[ACME_URL_SIZE], st[16];
	const char		*n[] = { "a.test" };
	enum acme_authz_status	 s[] = { ACME_AUTHZ_PENDING };
	time_t			 now = time(NULL), exp[] = { now - 60 };

	wh_account(f, &a);
	store_order(f, &a, n, 1, s, exp, now + 3600, &o);
	/* read the challenge URL from the store: reading the authz sweeps */
	{
		struct acme_authz az = { 0 };

		assert_int_equal(store_authz_get(f->st, wh_authz_id(&o, 0), &az),
		    STORE_OK);
		acme_url_challenge(WH_BASE, az.chall[0].id, ch, sizeof(ch));
		acme_authz_clear(&az);
	}
	chall_get(f, &a, ch, "{}", &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	/* §7.1.6: pending -> expired, and its order -> invalid */
	wh_authz_status(f, &a, o.authz[0], st);
	assert_string_equal(st, "expired");
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "invalid");
	chall_get(f, &a, ch, "{}", &r);
	assert_true(r.status == 404 || r.status == 400);
	assert_string_equal(wr_str(&r, "type"), WH_URN "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* C06: challenges of a valid, invalid or deactivated authz never re-validate. */
static void
test_wfe_c06_non_pending_authz_challenge_never_revalidates(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 http[ACME_URL_SIZE], dns[ACME_URL_SIZE], st[16];
	const char	*n[] = { "v.test", "i.test", "d.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 3, &o);
	/* authz order in the response follows the (sorted) identifiers */
	for (size_t i = 0; i < 3; i++) {
		struct wr	 q;
		const char	*v;

		wh_post_acct(f, &a, o.authz[i], NULL, &q);
		v = json_string_value(json_object_get(json_object_get(q.json,
		    "identifier"), "value"));
		wh_chall_url(f, &a, o.authz[i], "http-01", http);
		wh_chall_url(f, &a, o.authz[i], "dns-01", dns);
		if (v[0] == 'v') {
			wh_validate(f, &a, o.authz[i]);
		} else if (v[0] == 'i') {
			begin_validation(f, http);
			va_result(f, http, false);
		} else {
			wh_post_acct(f, &a, o.authz[i],
			    "{\"status\":\"deactivated\"}", &r);
			wh_assert_ok(&r, 200);
			wr_clear(&r);
		}
		/* the other challenge of a non-pending authz */
		chall_get(f, &a, dns, "{}", &r);
		if (r.status == 200)
			assert_string_equal(wr_str(&r, "status"), "pending");
		else
			wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		/* the answered one again */
		chall_get(f, &a, http, "{}", &r);
		if (r.status == 200)
			assert_string_not_equal(wr_str(&r, "status"),
			    v[0] == 'v' ? "invalid" : "valid");
		else
			wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
		wh_authz_status(f, &a, o.authz[i], st);
		assert_string_equal(st, v[0] == 'v' ? "valid" : v[0] == 'i' ?
		    "invalid" : "deactivated");
		wr_clear(&q);
	}
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "invalid");
	wh_acct_free(&a);
}

/* C07: an authz update may only deactivate (§7.5.2). */
static void
test_wfe_c07_authz_update_to_valid_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 st[16];
	const char	*n[] = { "a.test" };
	const char	*bad[] = { "{\"status\":\"valid\"}",
	    "{\"status\":\"invalid\"}", "{\"status\":1}" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	for (size_t i = 0; i < 3; i++) {
		wh_post_acct(f, &a, o.authz[0], bad[i], &r);
		wh_assert_problem(&r, 400, "malformed");
		wr_clear(&r);
	}
	wh_authz_status(f, &a, o.authz[0], st);
	assert_string_equal(st, "pending");
	wh_acct_free(&a);
}

/*
 * C08, Z04: tokens are 128-bit base64url; IDs are a 7-character stamp and
 * then 128 random bits (acme/challenge.h); no token or random part repeats.
 */
static void
seen_id(char (*seen)[ACME_TOKEN_SIZE], size_t *n, const char *id)
{
	assert_int_equal(strlen(id), ACME_ID_LEN);
	assert_int_equal(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789-_"), ACME_ID_LEN);
	memcpy(seen[(*n)++], id + ACME_ID_STAMP_LEN, ACME_TOKEN_SIZE);
}

static void
test_wfe_c08_z04_tokens_and_ids_unique_random(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	enum { ORDERS = 10, PER = 100 };
	char		(*seen)[ACME_TOKEN_SIZE];
	size_t		 nseen = 0;
	json_t		*p = json_pack("{s:[]}", "identifiers");
	char		 name[32], *s;

	wh_account(f, &a);
	assert_non_null(seen = calloc(ORDERS * PER * 8 + ORDERS, sizeof(*seen)));
	for (int i = 0; i < ORDERS; i++) {
		struct word o;

		json_array_clear(json_object_get(p, "identifiers"));
		for (int j = 0; j < PER; j++) {
			snprintf(name, sizeof(name), "n%d-%d.test", i, j);
			json_array_append_new(json_object_get(p, "identifiers"),
			    json_pack("{s:s,s:s}", "type", "dns", "value",
			    name));
		}
		s = json_dumps(p, JSON_COMPACT);
		{
			struct wr r;

			wh_new_order_raw(f, &a, s, &r);
			wh_assert_ok(&r, 201);
			wh_order_parse(&r, wr_header(&r, "Location"), &o);
			wr_clear(&r);
		}
		free(s);
		seen_id(seen, &nseen, wh_id(o.url));
		for (size_t k = 0; k < o.nauthz; k++) {
			struct acme_authz az = { 0 };

			assert_int_equal(store_authz_get(f->st,
			    wh_authz_id(&o, k), &az), STORE_OK);
			seen_id(seen, &nseen, az.id);
			for (size_t c = 0; c < az.nchall; c++) {
				memcpy(seen[nseen++], az.chall[c].token,
				    ACME_TOKEN_SIZE);
				seen_id(seen, &nseen, az.chall[c].id);
			}
			acme_authz_clear(&az);
		}
	}
	json_decref(p);
	qsort(seen, nseen, sizeof(*seen), (int (*)(const void *,
	    const void *))strcmp);
	for (size_t i = 0; i < nseen; i++) {
		assert_int_equal(strlen(seen[i]), 22);
		assert_int_equal(strspn(seen[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
		if (i > 0)
			assert_string_not_equal(seen[i - 1], seen[i]);
	}
	assert_true(nseen > ORDERS * PER * 3);
	free(seen);
	wh_acct_free(&a);
}

/* C09: a flood of responses to one challenge: one validation, idempotent. */
static void
test_wfe_c09_repeated_responses_one_validation(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 ch[ACME_URL_SIZE];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 1, &o);
	wh_chall_url(f, &a, o.authz[0], "http-01", ch);
	begin_validation(f, ch);	/* the VA is working on it */
	for (int i = 0; i < 300; i++) {
		chall_get(f, &a, ch, "{}", &r);
		if (r.status == 200) {
			assert_string_equal(wr_str(&r, "status"), "processing");
			assert_non_null(wr_header(&r, "Retry-After"));
		} else
			wh_assert_problem(&r, 429, "rateLimited");
		wr_clear(&r);
	}
	/* a second claim is refused by the store: one in flight */
	assert_int_equal(store_challenge_begin(f->st, wh_id(ch)),
	    STORE_CONFLICT);
	va_result(f, ch, true);
	chall_get(f, &a, ch, "{}", &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "valid");
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "ready");
	wh_acct_free(&a);
}

/* ---------- §7.1.6 state machines ---------- */

/* A failed validation: challenge and authz invalid, order invalid (§7.1.6). */
static void
test_wfe_state_failed_validation_invalidates_authz_and_order(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 ch[ACME_URL_SIZE], st[16];
	json_t		*err;
	const char	*n[] = { "a.test", "b.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 2, &o);
	wh_validate(f, &a, o.authz[1]);
	wh_chall_url(f, &a, o.authz[0], "http-01", ch);
	begin_validation(f, ch);
	va_result(f, ch, false);
	chall_get(f, &a, ch, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "invalid");
	err = json_object_get(r.json, "error");
	assert_string_equal(json_string_value(json_object_get(err, "type")),
	    WH_URN "incorrectResponse");
	wr_clear(&r);
	wh_authz_status(f, &a, o.authz[0], st);
	assert_string_equal(st, "invalid");
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "invalid");
	/* invalid -> anything: deactivation is refused too */
	wh_post_acct(f, &a, o.authz[0], "{\"status\":\"deactivated\"}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	/* a late success for the invalid challenge changes nothing */
	va_result(f, ch, true);
	wh_authz_status(f, &a, o.authz[0], st);
	assert_string_equal(st, "invalid");
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "invalid");
	wh_acct_free(&a);
}

/* Deactivation: pending or valid -> deactivated, then final (§7.5.2). */
static void
test_wfe_state_deactivated_authz_is_final(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 ch[ACME_URL_SIZE], st[16];
	const char	*n[] = { "a.test", "b.test" };

	wh_account(f, &a);
	wh_order(f, &a, n, 2, &o);
	wh_validate(f, &a, o.authz[0]);
	wh_post_acct(f, &a, o.authz[0], "{\"status\":\"deactivated\"}", &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "deactivated");
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "invalid");
	wh_post_acct(f, &a, o.authz[0], "{\"status\":\"deactivated\"}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	/* the other (pending) authz can still be deactivated ... */
	wh_chall_url(f, &a, o.authz[1], "http-01", ch);
	wh_post_acct(f, &a, o.authz[1], "{\"status\":\"deactivated\"}", &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	/* ... and then its challenge cannot make it valid */
	chall_get(f, &a, ch, "{}", &r);
	if (r.status != 200)
		wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_authz_status(f, &a, o.authz[1], st);
	assert_string_equal(st, "deactivated");
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "invalid");
	wh_acct_free(&a);
}

/* ---------- Z ---------- */

/* Z01: B reading A's order looks exactly like a missing order. */
static void
test_wfe_z01_other_account_order_same_as_missing(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o;
	struct wr	 r, r2;
	char		 missing[ACME_URL_SIZE];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_order(f, &a, n, 1, &o);
	wh_post_acct(f, &b, o.url, NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	acme_url_order(WH_BASE, "AAAAAAAAAAAAAAAAAAAAAA", missing,
	    sizeof(missing));
	wh_post_acct(f, &b, missing, NULL, &r2);
	wh_assert_problem(&r2, 404, "malformed");
	assert_string_equal(r.body, r2.body);
	wr_clear(&r);
	wr_clear(&r2);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* Z02: B cannot list A's orders. */
static void
test_wfe_z02_other_account_orders_list_refused(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o;
	struct wr	 r;
	char		 url[ACME_URL_SIZE];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_order(f, &a, n, 1, &o);
	acme_url_account_orders(WH_BASE, a.id, url, sizeof(url));
	wh_post_acct(f, &b, url, NULL, &r);
	if (r.status == 404)
		wh_assert_problem(&r, 404, "malformed");
	else
		wh_assert_problem(&r, 403, "unauthorized");
	assert_null(strstr(r.body, wh_id(o.url)));
	wr_clear(&r);
	/* positive: A sees its order */
	wh_post_acct(f, &a, url, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    r.json, "orders"), 0)), o.url);
	wr_clear(&r);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/*
 * Z03: B cannot deactivate A's authz. The catalogue asks 403; the RA
 * answers 404 like a missing authz (see C02). The authz is unchanged.
 */
static void
test_wfe_z03_other_account_cannot_deactivate_authz(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o;
	struct wr	 r;
	char		 st[16];
	const char	*n[] = { "a.test" };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_order(f, &a, n, 1, &o);
	wh_post_acct(f, &b, o.authz[0], "{\"status\":\"deactivated\"}", &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	wh_authz_status(f, &a, o.authz[0], st);
	assert_string_equal(st, "pending");
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* Z03 for the rest: B cannot finalize, read the cert of, or answer for A. */
static void
test_wfe_z_other_account_cannot_use_finalize_or_cert(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o, o2;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	const char	*n[] = { "a.test" }, *n2[] = { "b.test" };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_issue(f, &a, n, 1, &o, NULL);
	wh_post_acct(f, &b, o.cert, NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	assert_null(strstr(r.body, "BEGIN"));
	wr_clear(&r);
	wh_ready_order(f, &a, n2, 1, &o2);
	wh_finalize(f, &b, &o2, k, n2, 1, &r);		/* F25 */
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	wh_order_get(f, &a, &o2);
	assert_string_equal(o2.status, "ready");
	EVP_PKEY_free(k);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/*
 * Z05: an internal failure is a generic 500 serverInternal. The store
 * serialises writers in-process, so a held lock cannot be used to force
 * an error here; an account row whose stored key cannot be read (as
 * after disk corruption) fails inside the RA instead.
 */
static void
test_wfe_z05_internal_failure_is_generic_server_internal(void **state)
{
	struct wh		*f = *state;
	struct acme_account	 row = { 0 };
	struct wr		 r;
	EVP_PKEY		*k = tu_key_ec256();
	char			 kid[ACME_URL_SIZE], url[ACME_URL_SIZE];
	const char		*d;

	row.status = ACME_ACCOUNT_VALID;
	row.jwk = strdup("SELECT * FROM /var/lib/secret.db 0xdeadbeef");
	snprintf(row.thumbprint, sizeof(row.thumbprint), "%s",
	    "corruptcorruptcorruptcorruptcorruptcorrupt0");
	assert_int_equal(store_account_create(f->st, &row), STORE_OK);
	acme_url_account(WH_BASE, row.id, kid, sizeof(kid));
	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	wh_post(f, k, kid, url, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.test\"}]}", &r);
	wh_assert_problem(&r, 500, "serverInternal");
	d = wr_str(&r, "detail");
	assert_false(has_ci(d, "select"));
	assert_false(has_ci(d, "sql"));
	assert_false(has_ci(d, "database"));
	assert_null(strstr(d, "/"));
	assert_null(strstr(d, "0x"));
	assert_null(strstr(r.body, f->dir));
	assert_null(strstr(r.body, row.id));
	wr_clear(&r);
	acme_account_clear(&row);
	EVP_PKEY_free(k);
}

/* Z06: escapes and shell metacharacters are refused and never echoed raw. */
static void
test_wfe_z06_hostile_strings_rejected_not_echoed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	const char	*bad[] = { "\x1b[31ma.test", "$(reboot).test",
	    "a;rm -rf ~.test", "`id`.test", "a\nb.test" };
	json_t		*subs;

	wh_account(f, &a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		order_one(f, &a, "dns", bad[i], &r);
		assert_int_equal(r.status, 400);
		assert_true(strcmp(wr_str(&r, "type"), WH_URN
		    "rejectedIdentifier") == 0 || strcmp(wr_str(&r, "type"),
		    WH_URN "malformed") == 0);
		assert_null(strchr(r.body, '\x1b'));
		assert_null(strstr(wr_str(&r, "detail"), bad[i]));
		assert_null(strchr(wr_str(&r, "detail"), '\x1b'));
		assert_null(strchr(wr_str(&r, "detail"), '\n'));
		subs = json_object_get(r.json, "subproblems");
		for (size_t j = 0; j < json_array_size(subs); j++) {
			const char *sd = json_string_value(json_object_get(
			    json_array_get(subs, j), "detail"));

			assert_null(strstr(sd, bad[i]));
			assert_null(strchr(sd, '\x1b'));
		}
		wr_clear(&r);
	}
	wh_post_acct(f, &a, a.kid, "{\"contact\":[\"mailto:$(id)@x.test\"]}",
	    &r);
	if (r.status != 200) {
		assert_int_equal(r.status, 400);
		assert_null(strstr(wr_str(&r, "detail"), "$(id)"));
	}
	wr_clear(&r);
	wh_acct_free(&a);
}

/* ---------- D ---------- */

/* D02, D05: pending-authz cap: 429 rateLimited with an integer Retry-After. */
static void
test_wfe_d02_d05_pending_authz_cap_is_rate_limited(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	const char	*n2[] = { "a.test", "b.test" };
	const char	*ra_;
	char		*end;

	f->ro.max_pending_authz = 3;
	assert_int_equal(wh_start(f, true), 0);
	wh_account(f, &a);
	wh_order(f, &a, n2, 2, &o);
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"c.test\"},{\"type\":\"dns\",\"value\":\"d.test\"}]}",
	    &r);
	wh_assert_problem(&r, 429, "rateLimited");
	assert_non_null(ra_ = wr_header(&r, "Retry-After"));
	assert_true(strtol(ra_, &end, 10) > 0 && *end == '\0');
	wr_clear(&r);
	/* finishing the pending authzs frees the budget */
	wh_validate(f, &a, o.authz[0]);
	wh_validate(f, &a, o.authz[1]);
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"c.test\"},{\"type\":\"dns\",\"value\":\"d.test\"}]}",
	    &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	wh_acct_free(&a);
}

/* D05: a processing order carries an integer Retry-After (§7.4). */
static void
test_wfe_d05_processing_order_has_integer_retry_after(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		 serial[ACME_SERIAL_SIZE], *end;
	const char	*n[] = { "a.test" }, *ra_;

	wh_account(f, &a);
	wh_ready_order(f, &a, n, 1, &o);
	assert_int_equal(ca_new_serial(serial), 0);
	assert_int_equal(store_order_begin_processing(f->st, wh_id(o.url),
	    serial, NULL), STORE_OK);
	wh_post_acct(f, &a, o.url, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "processing");
	assert_non_null(ra_ = wr_header(&r, "Retry-After"));
	assert_true(strtol(ra_, &end, 10) > 0 && *end == '\0');
	wr_clear(&r);
	/* and it cannot be finalized again (processing is not ready) */
	{
		EVP_PKEY *k = tu_key_ec256();

		wh_finalize(f, &a, &o, k, n, 1, &r);
		wh_assert_problem(&r, 403, "orderNotReady");
		wr_clear(&r);
		EVP_PKEY_free(k);
	}
	wh_acct_free(&a);
}

/*
 * draft-ietf-acme-profiles §4: a profile the directory does not
 * advertise is invalidProfile whatever its length or characters; a
 * profile that is not a string is malformed.
 */
static void
test_wfe_unadvertised_profile_is_invalid_profile(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	const char	*bad[] = { "\"nope\"", "\"DEFAULT\"",
	    "\"default-but-much-longer-than-any-name-we-offer\"",
	    ("\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
	    "\"\\u00e9t\\u00e9 profile!\"", "\"../default\"" };
	char		 payload[512];

	wh_account(f, &a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(payload, sizeof(payload), "{\"identifiers\":[{"
		    "\"type\":\"dns\",\"value\":\"a.test\"}],\"profile\":%s}",
		    bad[i]);
		wh_new_order_raw(f, &a, payload, &r);
		if (r.status != 400 || wr_str(&r, "type") == NULL ||
		    strstr(wr_str(&r, "type"), "invalidProfile") == NULL)
			fprintf(stderr, "profile %s: %s\n", bad[i], r.body);
		wh_assert_problem(&r, 400, "invalidProfile");
		wr_clear(&r);
	}
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.test\"}],\"profile\":7}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_new_order_raw(f, &a, "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.test\"}],\"profile\":\"default\"}", &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	wh_acct_free(&a);
}

/* ---------- requested validity (RFC 8555 §7.1.3, §7.4) ---------- */

static void
rfc3339(time_t t, char out[32])
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	assert_true(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

static time_t
asn1_time_t(const ASN1_TIME *a)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(ASN1_TIME_to_tm(a, &tm), 1);
	return timegm(&tm);
}

/* newOrder for one name with notBefore/notAfter (0: left out). */
static void
order_validity(struct wh *f, const struct wacct *a, time_t nb, time_t na,
    struct wr *r)
{
	json_t	*p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns",
	    "value", "v.test");
	char	 t[32], *s;

	if (nb != 0) {
		rfc3339(nb, t);
		json_object_set_new(p, "notBefore", json_string(t));
	}
	if (na != 0) {
		rfc3339(na, t);
		json_object_set_new(p, "notAfter", json_string(t));
	}
	s = json_dumps(p, JSON_COMPACT);
	wh_new_order_raw(f, a, s, r);
	free(s);
	json_decref(p);
}

/*
 * Order with the requested times, check the order echoes them, issue,
 * and return the leaf's validity.
 */
static void
issue_validity(struct wh *f, const struct wacct *a, time_t nb, time_t na,
    time_t *lnb, time_t *lna)
{
	static const char *const names[] = { "v.test" };
	struct wr	 r;
	struct word	 o;
	EVP_PKEY	*k = tu_key_ec256();
	BIO		*b;
	X509		*x;
	char		 t[32];

	memset(&o, 0, sizeof(o));
	order_validity(f, a, nb, na, &r);
	wh_assert_ok(&r, 201);
	if (nb != 0) {
		rfc3339(nb, t);
		assert_non_null(wr_str(&r, "notBefore"));
		assert_string_equal(wr_str(&r, "notBefore"), t);
	}
	if (na != 0) {
		rfc3339(na, t);
		assert_non_null(wr_str(&r, "notAfter"));
		assert_string_equal(wr_str(&r, "notAfter"), t);
	}
	wh_order_parse(&r, wr_header(&r, "Location"), &o);
	wr_clear(&r);
	wh_validate(f, a, o.authz[0]);
	wh_finalize(f, a, &o, k, names, 1, &r);
	wh_assert_ok(&r, 200);
	wh_order_parse(&r, NULL, &o);
	/* The valid order still echoes the request (§7.1.3). */
	if (nb != 0) {
		rfc3339(nb, t);
		assert_string_equal(wr_str(&r, "notBefore"), t);
	}
	wr_clear(&r);
	assert_string_equal(o.status, "valid");
	wh_post_acct(f, a, o.cert, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_non_null(b = BIO_new_mem_buf(r.body, -1));
	assert_non_null(x = PEM_read_bio_X509(b, NULL, NULL, NULL));
	*lnb = asn1_time_t(X509_get0_notBefore(x));
	*lna = asn1_time_t(X509_get0_notAfter(x));
	X509_free(x);
	BIO_free(b);
	wr_clear(&r);
	EVP_PKEY_free(k);
}

/* Both times requested: the leaf carries exactly those (no backdate). */
static void
test_wfe_o_requested_validity_is_exact(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	time_t		 now = time(NULL), lnb, lna;

	wh_account(f, &a);
	issue_validity(f, &a, now - 600, now + 10 * 86400 + 7, &lnb, &lna);
	assert_int_equal(lnb, now - 600);
	assert_int_equal(lna, now + 10 * 86400 + 7);
	wh_acct_free(&a);
}

/* A notBefore in the future is kept, not pulled back to now. */
static void
test_wfe_o_requested_future_not_before_is_exact(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	time_t		 now = time(NULL), lnb, lna;

	wh_account(f, &a);
	issue_validity(f, &a, now + 3600, 0, &lnb, &lna);
	assert_int_equal(lnb, now + 3600);
	/* notAfter not requested: the profile's lifetime from notBefore */
	assert_int_equal(lna, now + 3600 + 90 * 86400 - 1);
	wh_acct_free(&a);
}

/* Without a request the one-hour backdate applies as before. */
static void
test_wfe_o_unrequested_validity_is_backdated(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	time_t		 before = time(NULL), lnb, lna, after;

	wh_account(f, &a);
	issue_validity(f, &a, 0, 0, &lnb, &lna);
	after = time(NULL);
	assert_true(lnb >= before - 3600 && lnb <= after - 3600);
	assert_int_equal(lna - lnb, 90 * 86400 - 1);
	wh_acct_free(&a);
}

/*
 * The intermediate is renewed between newOrder and finalize and no longer
 * covers the requested notBefore: finalize is refused with a problem that
 * says so (the order stays ready), never signed with other times and never
 * a serverInternal from the CA.
 */
static void
test_wfe_o_requested_validity_outside_renewed_issuer_refused(void **state)
{
	static const char *const names[] = { "v.test" };
	struct wh	*f = *state;
	struct ca	*shared = f->ca, *ca;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	char		 dir[64], err[512];
	time_t		 now = time(NULL);
	bool		 rotated = false;

	/* A CA of this test's own: rotating the suite's would touch others. */
	snprintf(dir, sizeof(dir), "/tmp/test_wfe_rot.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(ca = ca_open(dir, true, NULL, NULL, err, sizeof(err)));
	f->ca = ca;
	assert_int_equal(wh_start(f, true), 0);
	wh_account(f, &a);
	memset(&o, 0, sizeof(o));
	order_validity(f, &a, now - 600, now + 86400, &r);
	wh_assert_ok(&r, 201);
	wh_order_parse(&r, wr_header(&r, "Location"), &o);
	wr_clear(&r);
	wh_validate(f, &a, o.authz[0]);
	/* two years on, the intermediate is renewed: it starts then */
	assert_int_equal(ca_maybe_rotate(ca, now + 800 * 86400, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	assert_true(ca_intermediate_not_before(ca) > now - 600);
	wh_finalize(f, &a, &o, k, names, 1, &r);
	wh_assert_problem(&r, 400, "malformed");
	assert_non_null(strstr(wr_str(&r, "detail"), "notBefore"));
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "ready");
	wh_acct_free(&a);
	EVP_PKEY_free(k);
	wh_stop(f);
	f->ca = shared;
	ca_free(ca);
	tu_rmrf(dir);
}

/* What the CA would have to change is refused at newOrder, nothing stored. */
static void
test_wfe_o_unhonourable_validity_refused_at_new_order(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct wr	 r;
	time_t		 now = time(NULL);
	time_t		 inb = asn1_time_t(X509_get0_notBefore(
	    ca_intermediate_cert(f->ca)));
	size_t		 n = 99;

	wh_account(f, &a);
	/* before the issuing CA's notBefore (it is backdated an hour) */
	order_validity(f, &a, inb - 60, 0, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	/* longer than the profile's lifetime (90 days here) */
	order_validity(f, &a, now, now + 90 * 86400 + 1, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	order_validity(f, &a, 0, now + 91 * 86400, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	/* after the issuing CA's notAfter */
	order_validity(f, &a, 0, ca_intermediate_not_after(f->ca) + 1, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	/* notAfter not after notBefore; notAfter in the past */
	order_validity(f, &a, now + 60, now + 60, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	order_validity(f, &a, 0, now - 10, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_int_equal(store_authz_count_pending(f->st, a.id, &n), STORE_OK);
	assert_int_equal(n, 0);
	/* the longest lifetime the profile gives is accepted */
	order_validity(f, &a, now, now + 90 * 86400 - 1, &r);
	wh_assert_ok(&r, 201);
	wr_clear(&r);
	wh_acct_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		WH_TEST(test_wfe_o01_empty_identifiers_is_malformed),
		WH_TEST(test_wfe_unadvertised_profile_is_invalid_profile),
		WH_TEST(test_wfe_o02_unknown_identifier_type_is_unsupported),
		WH_TEST(test_wfe_o03_empty_dns_value_is_malformed),
		WH_TEST(test_wfe_o04_o13_names_normalised_and_deduplicated),
		WH_TEST(test_wfe_o05_to_o11_bad_names_are_rejected_identifier),
		WH_TEST(test_wfe_o07_bad_ip_identifiers_are_rejected),
		WH_TEST(test_wfe_o12_too_many_identifiers_is_refused),
		WH_TEST(test_wfe_o14_bad_validity_window_is_malformed),
		WH_TEST(test_wfe_o15_o16_outside_policy_is_rejected_identifier),
		WH_TEST(test_wfe_wildcard_order_offers_dns01_only),
		WH_TEST(test_wfe_c01_other_account_authz_is_404),
		WH_TEST(test_wfe_c02_other_account_challenge_response_refused_no_validation),
		WH_TEST(test_wfe_c03_post_as_get_challenge_does_not_validate),
		WH_TEST(test_wfe_c04_challenge_response_fields_ignored),
		WH_TEST(test_wfe_c05_expired_authz_challenge_is_404),
		WH_TEST(test_wfe_c06_non_pending_authz_challenge_never_revalidates),
		WH_TEST(test_wfe_c07_authz_update_to_valid_is_malformed),
		WH_TEST(test_wfe_c08_z04_tokens_and_ids_unique_random),
		WH_TEST(test_wfe_c09_repeated_responses_one_validation),
		WH_TEST(test_wfe_state_failed_validation_invalidates_authz_and_order),
		WH_TEST(test_wfe_state_deactivated_authz_is_final),
		WH_TEST(test_wfe_z01_other_account_order_same_as_missing),
		WH_TEST(test_wfe_z02_other_account_orders_list_refused),
		WH_TEST(test_wfe_z03_other_account_cannot_deactivate_authz),
		WH_TEST(test_wfe_z_other_account_cannot_use_finalize_or_cert),
		WH_TEST(test_wfe_z05_internal_failure_is_generic_server_internal),
		WH_TEST(test_wfe_z06_hostile_strings_rejected_not_echoed),
		WH_TEST(test_wfe_d02_d05_pending_authz_cap_is_rate_limited),
		WH_TEST(test_wfe_d05_processing_order_has_integer_retry_after),
		WH_TEST(test_wfe_o_requested_validity_is_exact),
		WH_TEST(test_wfe_o_requested_future_not_before_is_exact),
		WH_TEST(test_wfe_o_unrequested_validity_is_backdated),
		WH_TEST(test_wfe_o_unhonourable_validity_refused_at_new_order),
		WH_TEST(test_wfe_o_requested_validity_outside_renewed_issuer_refused),
	};

	return cmocka_run_group_tests(tests, wh_group_setup, wh_group_teardown);
}
