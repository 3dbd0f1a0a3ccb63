/* test_render.c - URL layout and JSON resources (RFC 8555 §7.1.1-§7.1.4, §8) */
/* SPDX-License-Identifier: MIT */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "acme/render.h"
#include "acme/url.h"

#define BASE	"https://localhost:8555"
#define ID1	"AAAAAAAAAAAAAAAAAAAAAA"
#define ID2	"BBBBBBBBBBBBBBBBBBBBBB"

static const char *
str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("member %s is not a string", key);
	return json_string_value(v);
}

static void
test_render_urls_layout(void **state)
{
	char u[ACME_URL_SIZE];

	(void)state;
	assert_int_equal(acme_url_directory(BASE, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/directory");
	assert_int_equal(acme_url_new_nonce(BASE "/", u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/new-nonce");
	assert_int_equal(acme_url_new_account(BASE, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/new-account");
	assert_int_equal(acme_url_new_order(BASE, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/new-order");
	assert_int_equal(acme_url_revoke_cert(BASE, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/revoke-cert");
	assert_int_equal(acme_url_key_change(BASE, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/key-change");
	assert_int_equal(acme_url_account(BASE, ID1, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/acct/" ID1);
	assert_int_equal(acme_url_account_orders(BASE, ID1, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/acct/" ID1 "/orders");
	assert_int_equal(acme_url_order(BASE, ID1, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/order/" ID1);
	assert_int_equal(acme_url_finalize(BASE, ID1, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/order/" ID1 "/finalize");
	assert_int_equal(acme_url_authz(BASE, ID1, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/authz/" ID1);
	assert_int_equal(acme_url_challenge(BASE, ID1, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/chall/" ID1);
	assert_int_equal(acme_url_cert(BASE, "01ab", u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/cert/01ab");
	assert_int_equal(acme_url_build(BASE, ACME_URL_RENEWAL_INFO, NULL, u,
	    sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/renewal-info");
}

static void
test_render_url_bad_id_or_small_buffer_fails(void **state)
{
	char u[ACME_URL_SIZE];

	(void)state;
	assert_int_equal(acme_url_account(BASE, "", u, sizeof(u)), -1);
	assert_int_equal(acme_url_account(BASE, NULL, u, sizeof(u)), -1);
	assert_int_equal(acme_url_account(BASE, "a/b", u, sizeof(u)), -1);
	assert_int_equal(acme_url_account(BASE, "..", u, sizeof(u)), -1);
	assert_int_equal(acme_url_account(BASE, ID1, u, 20), -1);
	assert_string_equal(u, "");
	assert_int_equal(acme_url_build(BASE, ACME_URL__MAX, NULL, u,
	    sizeof(u)), -1);
}

/* Every kind round-trips: build, strip the origin, parse. */
static void
test_render_url_parse_round_trip(void **state)
{
	enum acme_url_kind	 k, got;
	char			 u[ACME_URL_SIZE], id[64];

	(void)state;
	for (k = 0; k < ACME_URL__MAX; k++) {
		if (k == ACME_URL_CERT_ALT)
			continue;	/* two ids: its own test */
		assert_int_equal(acme_url_build(BASE, k, ID2, u, sizeof(u)), 0);
		assert_int_equal(acme_url_parse_path(u + strlen(BASE), &got,
		    id, sizeof(id)), 0);
		assert_int_equal(got, k);
		if (k >= ACME_URL_ACCOUNT || k == ACME_URL_RENEWAL_INFO)
			assert_string_equal(id, ID2);
		else
			assert_string_equal(id, "");
	}
}

/* RFC 8555 §7.4.2: an alternate chain's URL, /acme/cert/<serial>/alt/<k>. */
static void
test_render_url_cert_alt(void **state)
{
	static const char *const bad[] = {
		"/acme/cert/" ID2 "/alt/0", "/acme/cert/" ID2 "/alt/10",
		"/acme/cert/" ID2 "/alt/", "/acme/cert/" ID2 "/alt/1/",
		"/acme/cert//alt/1", "/acme/cert/../alt/1",
		"/acme/cert/" ID2 "/other/1",
	};
	enum acme_url_kind	 k;
	char			 u[ACME_URL_SIZE], id[64];

	(void)state;
	assert_int_equal(acme_url_cert_alt(BASE, ID2, 3, u, sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/cert/" ID2 "/alt/3");
	assert_int_equal(acme_url_parse_path(u + strlen(BASE), &k, id,
	    sizeof(id)), 0);
	assert_int_equal(k, ACME_URL_CERT_ALT);
	assert_string_equal(id, ID2 "/3");
	assert_int_equal(acme_url_build(BASE, ACME_URL_CERT_ALT, id, u,
	    sizeof(u)), 0);
	assert_string_equal(u, BASE "/acme/cert/" ID2 "/alt/3");
	assert_int_equal(acme_url_cert_alt(BASE, ID2, 0, u, sizeof(u)), -1);
	assert_int_equal(acme_url_cert_alt(BASE, ID2, 10, u, sizeof(u)), -1);
	assert_int_equal(acme_url_cert_alt(BASE, "a/b", 1, u, sizeof(u)), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (acme_url_parse_path(bad[i], &k, id, sizeof(id)) != -1)
			fail_msg("parsed: %s", bad[i]);
	/* The plain certificate URL is still ACME_URL_CERT. */
	assert_int_equal(acme_url_parse_path("/acme/cert/" ID2, &k, id,
	    sizeof(id)), 0);
	assert_int_equal(k, ACME_URL_CERT);
}

static void
test_render_url_parse_unknown_fails(void **state)
{
	static const char *const bad[] = {
		"/", "/directory/", "/acme/acct/", "/acme/acct/" ID1 "/",
		"/acme/acct/" ID1 "/x", "/acme/order/" ID1 "/finalize/",
		"/acme/chall/a%2fb", "/acme/cert/..", "/acme/new-nonce/x",
		"/acme/renewal-info/", "/ACME/new-order", "",
	};
	enum acme_url_kind	 k;
	char			 id[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (acme_url_parse_path(bad[i], &k, id, sizeof(id)) != -1)
			fail_msg("parsed: %s", bad[i]);
	/* id longer than the caller's buffer */
	assert_int_equal(acme_url_parse_path("/acme/acct/" ID1, &k, id, 8), -1);
}

static void
test_render_time_rfc3339_utc(void **state)
{
	char t[32];

	(void)state;
	assert_int_equal(acme_time_rfc3339(0, t), 0);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	assert_int_equal(acme_time_rfc3339(1709210096, t), 0);
	assert_string_equal(t, "2024-02-29T12:34:56Z");
}

/* RFC 8555 §7.1.1 */
static void
test_render_directory_minimal(void **state)
{
	json_t *d;

	(void)state;
	assert_non_null(d = acme_render_directory(BASE, NULL));
	assert_string_equal(str(d, "newNonce"), BASE "/acme/new-nonce");
	assert_string_equal(str(d, "newAccount"), BASE "/acme/new-account");
	assert_string_equal(str(d, "newOrder"), BASE "/acme/new-order");
	assert_string_equal(str(d, "revokeCert"), BASE "/acme/revoke-cert");
	assert_string_equal(str(d, "keyChange"), BASE "/acme/key-change");
	assert_null(json_object_get(d, "meta"));
	assert_null(json_object_get(d, "renewalInfo"));
	assert_int_equal(json_object_size(d), 5);
	json_decref(d);
}

static void
test_render_directory_meta(void **state)
{
	const char *const		 caa[] = { "localacme.test" };
	const char *const		 pn[] = { "tls", "short" };
	const char *const		 pd[] = { "default", NULL };
	struct acme_render_meta		 m;
	json_t				*d, *meta;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.terms_of_service = "https://localhost:8555/terms";
	m.website = "https://localacme.test";
	m.caa_identities = caa;
	m.ncaa = 1;
	m.external_account_required = true;
	m.validation_skipped = true;
	m.renewal_info = true;
	m.profile_names = pn;
	m.profile_descs = pd;
	m.nprofiles = 2;
	assert_non_null(d = acme_render_directory(BASE, &m));
	assert_string_equal(str(d, "renewalInfo"), BASE "/acme/renewal-info");
	assert_non_null(meta = json_object_get(d, "meta"));
	assert_string_equal(str(meta, "termsOfService"),
	    "https://localhost:8555/terms");
	assert_string_equal(str(meta, "website"), "https://localacme.test");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    meta, "caaIdentities"), 0)), "localacme.test");
	assert_true(json_is_true(json_object_get(meta,
	    "externalAccountRequired")));
	assert_string_equal(str(meta, "x-localacme-validation"), "skip");
	assert_string_equal(str(json_object_get(meta, "profiles"), "tls"),
	    "default");
	assert_string_equal(str(json_object_get(meta, "profiles"), "short"),
	    "");
	json_decref(d);
}

/* RFC 8555 §7.1.2; HARDENING A08: nothing reflected. */
static void
test_render_account_shape(void **state)
{
	struct acme_account	 a;
	json_t			*j;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.id, ID1);
	a.status = ACME_ACCOUNT_VALID;
	strcpy(a.contact[0], "mailto:a@b.test");
	a.ncontact = 1;
	a.tos_agreed = true;
	a.jwk = (char *)"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"AA\","
	    "\"y\":\"BB\"}";
	assert_non_null(j = acme_render_account(BASE, &a));
	assert_string_equal(str(j, "status"), "valid");
	assert_string_equal(str(j, "orders"), BASE "/acme/acct/" ID1
	    "/orders");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    j, "contact"), 0)), "mailto:a@b.test");
	assert_true(json_is_true(json_object_get(j, "termsOfServiceAgreed")));
	assert_string_equal(str(json_object_get(j, "key"), "kty"), "EC");
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
}

static void
test_render_account_minimal_omits_optional(void **state)
{
	struct acme_account	 a;
	json_t			*j;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.id, ID1);
	a.status = ACME_ACCOUNT_DEACTIVATED;
	assert_non_null(j = acme_render_account(BASE, &a));
	assert_string_equal(str(j, "status"), "deactivated");
	assert_null(json_object_get(j, "contact"));
	assert_null(json_object_get(j, "termsOfServiceAgreed"));
	assert_null(json_object_get(j, "key"));
	json_decref(j);
	/* unparseable stored JWK is an error, not silently dropped */
	a.jwk = (char *)"{nope";
	assert_null(acme_render_account(BASE, &a));
}

static void
order_fill(struct acme_order *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->id, ID1);
	assert_int_equal(acme_order_alloc_idents(o, 2), 0);
	o->idents[0].type = ACME_IDENT_DNS;
	strcpy(o->idents[0].value, "*.a.test");
	o->idents[1].type = ACME_IDENT_IP;
	strcpy(o->idents[1].value, "127.0.0.1");
	strcpy(o->authz_ids[0], ID1);
	strcpy(o->authz_ids[1], ID2);
	o->expires = 1709210096;
}

/* RFC 8555 §7.1.3 */
static void
test_render_order_pending_shape(void **state)
{
	struct acme_order	 o;
	json_t			*j, *ids, *az;

	(void)state;
	order_fill(&o);
	o.status = ACME_ORDER_PENDING;
	assert_non_null(j = acme_render_order(BASE, &o));
	assert_string_equal(str(j, "status"), "pending");
	assert_string_equal(str(j, "expires"), "2024-02-29T12:34:56Z");
	ids = json_object_get(j, "identifiers");
	assert_int_equal(json_array_size(ids), 2);
	assert_string_equal(str(json_array_get(ids, 0), "type"), "dns");
	assert_string_equal(str(json_array_get(ids, 0), "value"), "*.a.test");
	assert_string_equal(str(json_array_get(ids, 1), "type"), "ip");
	az = json_object_get(j, "authorizations");
	assert_int_equal(json_array_size(az), 2);
	assert_string_equal(json_string_value(json_array_get(az, 1)),
	    BASE "/acme/authz/" ID2);
	assert_string_equal(str(j, "finalize"), BASE "/acme/order/" ID1
	    "/finalize");
	assert_null(json_object_get(j, "certificate"));
	assert_null(json_object_get(j, "error"));
	assert_null(json_object_get(j, "notBefore"));
	assert_null(json_object_get(j, "profile"));
	json_decref(j);
	acme_order_clear(&o);
}

static void
test_render_order_valid_has_certificate(void **state)
{
	struct acme_order	 o;
	json_t			*j;

	(void)state;
	order_fill(&o);
	o.status = ACME_ORDER_VALID;
	strcpy(o.cert_serial, "01abcdef");
	o.not_before = 1709210096;
	o.not_after = 1709210096 + 86400;
	strcpy(o.profile, "tls");
	assert_non_null(j = acme_render_order(BASE, &o));
	assert_string_equal(str(j, "certificate"), BASE "/acme/cert/01abcdef");
	assert_string_equal(str(j, "notBefore"), "2024-02-29T12:34:56Z");
	assert_string_equal(str(j, "notAfter"), "2024-03-01T12:34:56Z");
	assert_string_equal(str(j, "profile"), "tls");
	json_decref(j);
	/* not valid yet: no certificate even with a serial reserved */
	o.status = ACME_ORDER_PROCESSING;
	assert_non_null(j = acme_render_order(BASE, &o));
	assert_null(json_object_get(j, "certificate"));
	json_decref(j);
	acme_order_clear(&o);
}

/* RFC 8555 §7.1.3 "error": a problem document. */
static void
test_render_order_error_embedded(void **state)
{
	struct acme_order	 o;
	json_t			*j, *e;

	(void)state;
	order_fill(&o);
	o.status = ACME_ORDER_INVALID;
	o.error.set = true;
	o.error.type = ACME_P_UNAUTHORIZED;
	o.error.status = 403;
	strcpy(o.error.detail, "authorization failed");
	assert_non_null(j = acme_render_order(BASE, &o));
	assert_non_null(e = json_object_get(j, "error"));
	assert_string_equal(str(e, "type"),
	    "urn:ietf:params:acme:error:unauthorized");
	assert_string_equal(str(e, "detail"), "authorization failed");
	json_decref(j);
	acme_order_clear(&o);
}

/* RFC 8555 §7.1.4: identifier without "*.", wildcard: true. */
static void
test_render_authz_wildcard(void **state)
{
	struct acme_authz	 a;
	json_t			*j, *ch;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.id, ID1);
	a.ident.type = ACME_IDENT_DNS;
	strcpy(a.ident.value, "a.test");
	a.wildcard = true;
	a.status = ACME_AUTHZ_PENDING;
	a.expires = 1709210096;
	a.nchall = 1;
	strcpy(a.chall[0].id, ID2);
	a.chall[0].type = ACME_CHALL_DNS01;
	strcpy(a.chall[0].token, "tok");
	assert_non_null(j = acme_render_authz(BASE, &a));
	assert_string_equal(str(json_object_get(j, "identifier"), "value"),
	    "a.test");
	assert_string_equal(str(json_object_get(j, "identifier"), "type"),
	    "dns");
	assert_true(json_is_true(json_object_get(j, "wildcard")));
	assert_string_equal(str(j, "status"), "pending");
	assert_string_equal(str(j, "expires"), "2024-02-29T12:34:56Z");
	ch = json_object_get(j, "challenges");
	assert_int_equal(json_array_size(ch), 1);
	assert_string_equal(str(json_array_get(ch, 0), "type"), "dns-01");
	json_decref(j);
	/* a stray "*." in the stored value never reaches the wire */
	strcpy(a.ident.value, "*.a.test");
	a.wildcard = false;
	assert_non_null(j = acme_render_authz(BASE, &a));
	assert_string_equal(str(json_object_get(j, "identifier"), "value"),
	    "a.test");
	assert_true(json_is_true(json_object_get(j, "wildcard")));
	json_decref(j);
}

/*
 * RFC 8555 §7.1.4: a pending authorization lists every challenge; a valid
 * one the challenge validated, an invalid one the challenge attempted;
 * challenges never attempted are left out. Other final states list all.
 */
static void
test_render_authz_final_lists_attempted_challenges(void **state)
{
	static const struct {
		enum acme_authz_status	 st;
		size_t			 n;
		const char		*first;	/* type of the first listed */
	} cases[] = {
		{ ACME_AUTHZ_PENDING, 3, "http-01" },
		{ ACME_AUTHZ_VALID, 1, "dns-01" },
		{ ACME_AUTHZ_INVALID, 1, "dns-01" },
		{ ACME_AUTHZ_DEACTIVATED, 3, "http-01" },
	};
	struct acme_authz	 a;
	json_t			*j, *ch;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		strcpy(a.id, ID1);
		a.ident.type = ACME_IDENT_DNS;
		strcpy(a.ident.value, "a.test");
		a.status = cases[i].st;
		a.nchall = 3;
		a.chall[0].type = ACME_CHALL_HTTP01;
		a.chall[1].type = ACME_CHALL_DNS01;
		a.chall[2].type = ACME_CHALL_TLSALPN01;
		for (int c = 0; c < 3; c++) {
			snprintf(a.chall[c].id, sizeof(a.chall[c].id), "%s%d",
			    ID2, c);
			strcpy(a.chall[c].token, "tok");
		}
		if (a.status == ACME_AUTHZ_VALID)
			a.chall[1].status = ACME_CHALL_VALID;
		else if (a.status == ACME_AUTHZ_INVALID)
			a.chall[1].status = ACME_CHALL_INVALID;
		assert_non_null(j = acme_render_authz(BASE, &a));
		ch = json_object_get(j, "challenges");
		assert_int_equal(json_array_size(ch), cases[i].n);
		assert_string_equal(str(json_array_get(ch, 0), "type"),
		    cases[i].first);
		json_decref(j);
	}
}

static void
test_render_authz_plain_no_wildcard_member(void **state)
{
	struct acme_authz	 a;
	json_t			*j;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.id, ID1);
	a.ident.type = ACME_IDENT_IP;
	strcpy(a.ident.value, "::1");
	a.status = ACME_AUTHZ_VALID;
	assert_non_null(j = acme_render_authz(BASE, &a));
	assert_null(json_object_get(j, "wildcard"));
	assert_int_equal(json_array_size(json_object_get(j, "challenges")), 0);
	assert_string_equal(str(j, "status"), "valid");
	json_decref(j);
}

/* RFC 8555 §8: type, url, status, token, validated, error. */
static void
test_render_challenge_valid_has_validated(void **state)
{
	struct acme_challenge	 c;
	json_t			*j;

	(void)state;
	memset(&c, 0, sizeof(c));
	strcpy(c.id, ID2);
	c.type = ACME_CHALL_HTTP01;
	c.status = ACME_CHALL_VALID;
	strcpy(c.token, "evaGxfADs6pSRb2LAv9IZf");
	c.validated = 1709210096;
	assert_non_null(j = acme_render_challenge(BASE, &c));
	assert_string_equal(str(j, "type"), "http-01");
	assert_string_equal(str(j, "url"), BASE "/acme/chall/" ID2);
	assert_string_equal(str(j, "status"), "valid");
	assert_string_equal(str(j, "token"), "evaGxfADs6pSRb2LAv9IZf");
	assert_string_equal(str(j, "validated"), "2024-02-29T12:34:56Z");
	assert_null(json_object_get(j, "error"));
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
}

static void
test_render_challenge_invalid_has_error(void **state)
{
	struct acme_challenge	 c;
	json_t			*j, *e;

	(void)state;
	memset(&c, 0, sizeof(c));
	strcpy(c.id, ID2);
	c.type = ACME_CHALL_TLSALPN01;
	c.status = ACME_CHALL_INVALID;
	strcpy(c.token, "t");
	c.validated = 1709210096;	/* ignored unless valid */
	c.error.set = true;
	c.error.type = ACME_P_CONNECTION;
	strcpy(c.error.detail, "connection refused");
	assert_non_null(j = acme_render_challenge(BASE, &c));
	assert_string_equal(str(j, "type"), "tls-alpn-01");
	assert_null(json_object_get(j, "validated"));
	assert_non_null(e = json_object_get(j, "error"));
	assert_string_equal(str(e, "type"),
	    "urn:ietf:params:acme:error:connection");
	assert_int_equal(json_integer_value(json_object_get(e, "status")),
	    400);
	json_decref(j);
}

/* RFC 8555 §7.1.2.1 */
static void
test_render_orders_list(void **state)
{
	const char	 ids[2][ACME_ID_SIZE] = { ID1, ID2 };
	json_t		*j, *a;

	(void)state;
	assert_non_null(j = acme_render_orders_list(BASE, ids, 2));
	a = json_object_get(j, "orders");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)),
	    BASE "/acme/order/" ID1);
	json_decref(j);
	assert_non_null(j = acme_render_orders_list(BASE, NULL, 0));
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 0);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_urls_layout),
		cmocka_unit_test(test_render_url_bad_id_or_small_buffer_fails),
		cmocka_unit_test(test_render_url_parse_round_trip),
		cmocka_unit_test(test_render_url_cert_alt),
		cmocka_unit_test(test_render_url_parse_unknown_fails),
		cmocka_unit_test(test_render_time_rfc3339_utc),
		cmocka_unit_test(test_render_directory_minimal),
		cmocka_unit_test(test_render_directory_meta),
		cmocka_unit_test(test_render_account_shape),
		cmocka_unit_test(test_render_account_minimal_omits_optional),
		cmocka_unit_test(test_render_order_pending_shape),
		cmocka_unit_test(test_render_order_valid_has_certificate),
		cmocka_unit_test(test_render_order_error_embedded),
		cmocka_unit_test(test_render_authz_wildcard),
		cmocka_unit_test(test_render_authz_plain_no_wildcard_member),
		cmocka_unit_test(test_render_authz_final_lists_attempted_challenges),
		cmocka_unit_test(test_render_challenge_valid_has_validated),
		cmocka_unit_test(test_render_challenge_invalid_has_error),
		cmocka_unit_test(test_render_orders_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
