/* test_payload.c - type-strict request payload decoders (RFC 8555 §7.3-§7.6; HARDENING A05-A14, O01-O14, C07, F23, V07-V08) */
/* SPDX-License-Identifier: MIT */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "acme/acme.h"
#include "acme/payload.h"
#include "acme/problem.h"

static json_t *
js(const char *text)
{
	json_error_t	 err;
	json_t		*j = json_loads(text, JSON_DECODE_ANY, &err);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	return j;
}

/* ---- newAccount (RFC 8555 §7.3) ---- */

static int
new_account(const char *text, struct acme_req_new_account *out,
    struct acme_problem *prob)
{
	json_t	*p = js(text);
	int	 rc;

	memset(prob, 0, sizeof(*prob));
	rc = acme_payload_new_account(p, out, prob);
	json_decref(p);
	return rc;
}

static void
expect_account_problem(const char *text, enum acme_ptype t)
{
	struct acme_req_new_account	 a;
	struct acme_problem		 prob;

	if (new_account(text, &a, &prob) != -1)
		fail_msg("accepted: %s", text);
	assert_int_equal(prob.type, t);
}

static void
test_payload_new_account_full_decoded(void **state)
{
	struct acme_req_new_account	 a;
	struct acme_problem		 prob;
	json_t				*p;

	(void)state;
	p = js("{\"termsOfServiceAgreed\":true,\"contact\":"
	    "[\"mailto:a@b.test\",\"MAILTO:x.y+z@Example.test\"],"
	    "\"externalAccountBinding\":{\"protected\":\"x\"},\"x-foo\":1}");
	assert_int_equal(acme_payload_new_account(p, &a, &prob), 0);
	assert_true(a.tos_agreed);
	assert_false(a.only_return_existing);
	assert_true(a.has_contact);
	assert_int_equal(a.ncontact, 2);
	assert_string_equal(a.contact[0], "mailto:a@b.test");
	assert_string_equal(a.contact[1], "mailto:x.y+z@Example.test");
	assert_ptr_equal(a.eab, json_object_get(p, "externalAccountBinding"));
	json_decref(p);
}

static void
test_payload_new_account_empty_object_ok(void **state)
{
	struct acme_req_new_account	 a;
	struct acme_problem		 prob;

	(void)state;
	assert_int_equal(new_account("{}", &a, &prob), 0);
	assert_false(a.has_contact);
	assert_false(a.tos_agreed);
	assert_null(a.eab);
	/* HARDENING A08: orders/status from the client are ignored */
	assert_int_equal(new_account("{\"orders\":\"https://evil\","
	    "\"status\":\"deactivated\",\"onlyReturnExisting\":true}", &a,
	    &prob), 0);
	assert_true(a.only_return_existing);
}

/* HARDENING J21: known member, wrong type. */
static void
test_payload_new_account_wrong_types_malformed(void **state)
{
	(void)state;
	expect_account_problem("[]", ACME_P_MALFORMED);
	expect_account_problem("{\"termsOfServiceAgreed\":\"true\"}",
	    ACME_P_MALFORMED);
	expect_account_problem("{\"onlyReturnExisting\":1}", ACME_P_MALFORMED);
	expect_account_problem("{\"contact\":\"mailto:a@b.test\"}",
	    ACME_P_MALFORMED);
	expect_account_problem("{\"contact\":[1]}", ACME_P_MALFORMED);
	expect_account_problem("{\"externalAccountBinding\":\"x\"}",
	    ACME_P_MALFORMED);
}

/* HARDENING A05: non-mailto scheme. */
static void
test_payload_contact_tel_unsupported(void **state)
{
	(void)state;
	expect_account_problem("{\"contact\":[\"tel:+15555550100\"]}",
	    ACME_P_UNSUPPORTEDCONTACT);
	expect_account_problem("{\"contact\":[\"https://a.test/\"]}",
	    ACME_P_UNSUPPORTEDCONTACT);
}

/* HARDENING A06: hfields, several addresses, empty. */
static void
test_payload_contact_bad_mailto_invalid(void **state)
{
	static const char *const bad[] = {
		"mailto:a@b.test?subject=x",
		"mailto:a@b.test,c@d.test",
		"mailto:",
		"mailto:a b@b.test",
		"mailto:a@b.test\\n",
		"mailto:a%40b@b.test",
		"mailto:@b.test",
		"mailto:a@",
		"mailto:a@b@c.test",
		"mailto:a@b..test",
		"mailto:.a@b.test",
		"mailto:<a@b.test>",
		"mailto:a@[127.0.0.1]",
		"a@b.test",
	};
	char	 text[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"contact\":[\"%s\"]}", bad[i]);
		expect_account_problem(text, ACME_P_INVALIDCONTACT);
	}
}

/* HARDENING A07: too many, too long. */
static void
test_payload_contact_too_many_invalid(void **state)
{
	char	 text[2048];
	size_t	 i, o;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), "{\"contact\":[");
	for (i = 0; i <= ACME_MAX_CONTACTS; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "%s\"mailto:a%zu@b.test\"", i ? "," : "", i);
	snprintf(text + o, sizeof(text) - o, "]}");
	expect_account_problem(text, ACME_P_INVALIDCONTACT);
}

static void
test_payload_contact_too_long_invalid(void **state)
{
	char	 text[11000];
	size_t	 o;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), "{\"contact\":[\"mailto:");
	memset(text + o, 'a', 10240);
	o += 10240;
	snprintf(text + o, sizeof(text) - o, "@b.test\"]}");
	expect_account_problem(text, ACME_P_INVALIDCONTACT);
}

/* ---- account update (§7.3.2, §7.3.6) ---- */

static int
account_update(const char *text, struct acme_req_account_update *out,
    struct acme_problem *prob)
{
	json_t	*p = js(text);
	int	 rc;

	rc = acme_payload_account_update(p, out, prob);
	json_decref(p);
	return rc;
}

static void
test_payload_account_update_deactivate_ok(void **state)
{
	struct acme_req_account_update	 u;
	struct acme_problem		 prob;

	(void)state;
	assert_int_equal(account_update("{\"status\":\"deactivated\"}", &u,
	    &prob), 0);
	assert_true(u.deactivate);
	assert_false(u.has_contact);
	/* HARDENING A14: key members ignored */
	assert_int_equal(account_update("{\"contact\":[],\"key\":{},"
	    "\"jwk\":1}", &u, &prob), 0);
	assert_true(u.has_contact);
	assert_int_equal(u.ncontact, 0);
	assert_false(u.deactivate);
}

/* HARDENING A11 */
static void
test_payload_account_update_other_status_malformed(void **state)
{
	struct acme_req_account_update	 u;
	struct acme_problem		 prob;

	(void)state;
	assert_int_equal(account_update("{\"status\":\"revoked\"}", &u,
	    &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_int_equal(account_update("{\"status\":\"foo\"}", &u, &prob),
	    -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_int_equal(account_update("{\"status\":true}", &u, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_int_equal(account_update("{\"contact\":[\"tel:1\"]}", &u,
	    &prob), -1);
	assert_int_equal(prob.type, ACME_P_UNSUPPORTEDCONTACT);
}

/* ---- newOrder (§7.4) ---- */

static struct acme_req_new_order order;

static int
new_order(const char *text, struct acme_problem *prob)
{
	json_t	*p = js(text);
	int	 rc;

	memset(prob, 0, sizeof(*prob));
	rc = acme_payload_new_order(p, &order, prob);
	json_decref(p);
	return rc;
}

static void
expect_order_problem(const char *text, enum acme_ptype t)
{
	struct acme_problem prob;

	if (new_order(text, &prob) != -1)
		fail_msg("accepted: %s", text);
	assert_int_equal(prob.type, t);
}

static void
test_payload_new_order_normalised(void **state)
{
	struct acme_problem prob;

	(void)state;
	/* HARDENING O04, O13 */
	assert_int_equal(new_order("{\"identifiers\":["
	    "{\"type\":\"ip\",\"value\":\"::1\"},"
	    "{\"type\":\"dns\",\"value\":\"a.test\"},"
	    "{\"type\":\"dns\",\"value\":\"A.test\"},"
	    "{\"type\":\"dns\",\"value\":\"*.B.test\",\"x\":1},"
	    "{\"type\":\"dns\",\"value\":\"a.test\"}],\"x-foo\":[]}", &prob), 0);
	assert_int_equal(order.nids, 3);
	assert_string_equal(order.ids[0].value, "*.b.test");
	assert_true(order.wildcard[0]);
	assert_string_equal(order.ids[1].value, "a.test");
	assert_false(order.wildcard[1]);
	assert_int_equal(order.ids[2].type, ACME_IDENT_IP);
	assert_false(order.wildcard[2]);
	assert_int_equal(order.not_before, 0);
	assert_string_equal(order.profile, "");
}

/* HARDENING O01 */
static void
test_payload_new_order_no_identifiers_malformed(void **state)
{
	(void)state;
	expect_order_problem("{\"identifiers\":[]}", ACME_P_MALFORMED);
	expect_order_problem("{}", ACME_P_MALFORMED);
	expect_order_problem("{\"identifiers\":{}}", ACME_P_MALFORMED);
	expect_order_problem("{\"identifiers\":[\"a.test\"]}",
	    ACME_P_MALFORMED);
	expect_order_problem("{\"identifiers\":[{\"type\":\"dns\"}]}",
	    ACME_P_MALFORMED);
	expect_order_problem("{\"identifiers\":[{\"type\":1,"
	    "\"value\":\"a.test\"}]}", ACME_P_MALFORMED);
}

/* HARDENING O02 */
static void
test_payload_new_order_email_unsupported(void **state)
{
	struct acme_problem prob;

	(void)state;
	assert_int_equal(new_order("{\"identifiers\":[{\"type\":\"email\","
	    "\"value\":\"a@b.test\"}]}", &prob), -1);
	assert_int_equal(prob.type, ACME_P_UNSUPPORTEDIDENTIFIER);
	assert_int_equal(prob.nsub, 1);
	assert_int_equal(prob.sub[0].type, ACME_P_UNSUPPORTEDIDENTIFIER);
}

/* HARDENING O03 */
static void
test_payload_new_order_empty_value_malformed(void **state)
{
	(void)state;
	expect_order_problem("{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"\"}]}", ACME_P_MALFORMED);
}

/* HARDENING O08, RFC 8555 §6.7.1: one subproblem per bad identifier. */
static void
test_payload_new_order_subproblem_per_bad_name(void **state)
{
	struct acme_problem prob;

	(void)state;
	assert_int_equal(new_order("{\"identifiers\":["
	    "{\"type\":\"dns\",\"value\":\"good.test\"},"
	    "{\"type\":\"dns\",\"value\":\"a..b\"},"
	    "{\"type\":\"dns\",\"value\":\"-a.test\"},"
	    "{\"type\":\"ip\",\"value\":\"01.2.3.4\"},"
	    "{\"type\":\"email\",\"value\":\"x@y.test\"}]}", &prob), -1);
	assert_int_equal(prob.type, ACME_P_REJECTEDIDENTIFIER);
	assert_int_equal(prob.nsub, 4);
	assert_string_equal(prob.sub[0].ident.value, "a..b");
	assert_int_equal(prob.sub[0].type, ACME_P_REJECTEDIDENTIFIER);
	assert_string_equal(prob.sub[1].ident.value, "-a.test");
	assert_string_equal(prob.sub[2].ident.value, "01.2.3.4");
	assert_int_equal(prob.sub[2].ident.type, ACME_IDENT_IP);
	assert_int_equal(prob.sub[3].type, ACME_P_UNSUPPORTEDIDENTIFIER);
	assert_non_null(strstr(prob.detail, "4 of 5"));
}

/* HARDENING O05: single bad name -> detail says why. */
static void
test_payload_new_order_trailing_dot_rejected(void **state)
{
	struct acme_problem prob;

	(void)state;
	assert_int_equal(new_order("{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"example.test.\"}]}", &prob), -1);
	assert_int_equal(prob.type, ACME_P_REJECTEDIDENTIFIER);
	assert_int_equal(prob.nsub, 1);
	assert_non_null(strstr(prob.detail, "dot"));
}

/* HARDENING O12: max + 1 identifiers. */
static void
test_payload_new_order_too_many_rejected(void **state)
{
	char	*text;
	size_t	 i, o, sz = 64 * (ACME_MAX_IDENTIFIERS + 2);

	(void)state;
	assert_non_null(text = malloc(sz));
	o = (size_t)snprintf(text, sz, "{\"identifiers\":[");
	for (i = 0; i <= ACME_MAX_IDENTIFIERS; i++)
		o += (size_t)snprintf(text + o, sz - o,
		    "%s{\"type\":\"dns\",\"value\":\"n%zu.test\"}",
		    i ? "," : "", i);
	snprintf(text + o, sz - o, "]}");
	expect_order_problem(text, ACME_P_REJECTEDIDENTIFIER);
	free(text);
}

/* HARDENING O14: RFC 3339 window decoded; bad forms malformed. */
static void
test_payload_new_order_window_parsed(void **state)
{
	struct acme_problem prob;

	(void)state;
	assert_int_equal(new_order("{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.test\"}],\"notBefore\":\"2030-01-01T00:00:00Z\","
	    "\"notAfter\":\"2030-01-02T01:00:00+01:00\",\"profile\":\"tls\","
	    "\"replaces\":\"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE\"}", &prob), 0);
	assert_int_equal(order.not_before, 1893456000);
	assert_int_equal(order.not_after, 1893456000 + 86400);
	assert_string_equal(order.profile, "tls");
	assert_string_equal(order.replaces,
	    "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
}

static void
test_payload_new_order_bad_window_malformed(void **state)
{
	static const char *const bad[] = {
		"\"notBefore\":1893456000",
		"\"notBefore\":\"2030-01-01\"",
		"\"notBefore\":\"2030-01-01 00:00:00Z\"",
		"\"notBefore\":\"2030-02-30T00:00:00Z\"",
		"\"notAfter\":\"2030-01-01T24:00:00Z\"",
		"\"notAfter\":\"2030-01-01T00:00:00\"",
		("\"notBefore\":\"2030-01-02T00:00:00Z\","
		    "\"notAfter\":\"2030-01-01T00:00:00Z\""),
		"\"profile\":7",
	};
	char	 text[512];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"identifiers\":[{\"type\":"
		    "\"dns\",\"value\":\"a.test\"}],%s}", bad[i]);
		expect_order_problem(text, ACME_P_MALFORMED);
	}
}

/*
 * draft-ietf-acme-profiles §4: a profile name too long for any
 * advertised one is invalidProfile, not malformed; a profile that is
 * not a string stays malformed.
 */
static void
test_payload_new_order_unofferable_profile_invalid(void **state)
{
	char	 text[512], name[200];
	size_t	 i;

	(void)state;
	for (i = ACME_PROFILE_SIZE; i < sizeof(name); i += 37) {
		memset(name, 'a', i);
		name[i] = '\0';
		snprintf(text, sizeof(text), "{\"identifiers\":[{\"type\":"
		    "\"dns\",\"value\":\"a.test\"}],\"profile\":\"%s\"}",
		    name);
		expect_order_problem(text, ACME_P_INVALIDPROFILE);
	}
	expect_order_problem("{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"a.test\"}],\"profile\":[\"tls\"]}", ACME_P_MALFORMED);
}

static void
test_payload_time_rfc3339_strict(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(acme_time_parse_rfc3339("1970-01-01T00:00:00Z", &t),
	    0);
	assert_int_equal(t, 0);
	assert_int_equal(acme_time_parse_rfc3339("2024-02-29T12:34:56.789Z",
	    &t), 0);
	assert_int_equal(t, 1709210096);
	assert_int_equal(acme_time_parse_rfc3339("2024-02-29T12:34:56-02:30",
	    &t), 0);
	assert_int_equal(t, 1709210096 + 9000);
	assert_int_equal(acme_time_parse_rfc3339("2023-02-29T00:00:00Z", &t),
	    -1);
	assert_int_equal(acme_time_parse_rfc3339("2024-01-01t00:00:00z", &t),
	    -1);
	assert_int_equal(acme_time_parse_rfc3339("2024-01-01T00:00:60Z", &t),
	    -1);
	assert_int_equal(acme_time_parse_rfc3339("2024-01-01T00:00:00.Z", &t),
	    -1);
	assert_int_equal(acme_time_parse_rfc3339("2024-01-01T00:00:00+01", &t),
	    -1);
	assert_int_equal(acme_time_parse_rfc3339("2024-01-01T00:00:00Zjunk",
	    &t), -1);
	assert_int_equal(acme_time_parse_rfc3339("1969-12-31T23:59:59Z", &t),
	    -1);
	assert_int_equal(acme_time_parse_rfc3339(NULL, &t), -1);
}

/* ---- finalize (§7.4) ---- */

static void
test_payload_finalize_csr_required(void **state)
{
	static const char *const bad[] = {
		"{}", "{\"csr\":\"\"}", "{\"csr\":1}", "\"csr\""
	};
	struct acme_problem	 prob;
	json_t			*p;
	char			*csr = (char *)"x";
	size_t			 i;

	(void)state;
	/* HARDENING F23 */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = js(bad[i]);
		assert_int_equal(acme_payload_finalize(p, &csr, &prob), -1);
		assert_int_equal(prob.type, ACME_P_MALFORMED);
		assert_null(csr);
		json_decref(p);
	}
	p = js("{\"csr\":\"MIIB\",\"x\":1}");
	assert_int_equal(acme_payload_finalize(p, &csr, &prob), 0);
	assert_string_equal(csr, "MIIB");
	free(csr);
	json_decref(p);
}

/* ---- revokeCert (§7.6) ---- */

static int
revoke(const char *text, struct acme_req_revoke *r, struct acme_problem *prob)
{
	json_t	*p = js(text);
	int	 rc;

	memset(prob, 0, sizeof(*prob));
	rc = acme_payload_revoke(p, r, prob);
	json_decref(p);
	return rc;
}

static void
test_payload_revoke_decoded(void **state)
{
	struct acme_req_revoke	 r;
	struct acme_problem	 prob;

	(void)state;
	assert_int_equal(revoke("{\"certificate\":\"MIIB\",\"reason\":4}",
	    &r, &prob), 0);
	assert_int_equal(r.cert_len, 3);
	assert_memory_equal(r.cert_der, "\x30\x82\x01", 3);
	assert_true(r.has_reason);
	assert_int_equal(r.reason, 4);
	acme_req_revoke_clear(&r);
	assert_null(r.cert_der);
	acme_req_revoke_clear(&r);
	acme_req_revoke_clear(NULL);
	assert_int_equal(revoke("{\"certificate\":\"MIIB\"}", &r, &prob), 0);
	assert_false(r.has_reason);
	acme_req_revoke_clear(&r);
}

/* HARDENING V07: 7, 8, -1, 11, "1", 1.0 */
static void
test_payload_revoke_bad_reason(void **state)
{
	static const char *const bad[] = { "7", "8", "-1", "11", "\"1\"",
	    "1.0", "null" };
	struct acme_req_revoke	 r;
	struct acme_problem	 prob;
	char			 text[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		    "{\"certificate\":\"MIIB\",\"reason\":%s}", bad[i]);
		assert_int_equal(revoke(text, &r, &prob), -1);
		assert_int_equal(prob.type, ACME_P_BADREVOCATIONREASON);
		assert_null(r.cert_der);
	}
}

static void
test_payload_revoke_allowed_reasons(void **state)
{
	static const int ok[] = { 0, 1, 2, 3, 4, 5, 6, 9, 10 };
	struct acme_req_revoke	 r;
	struct acme_problem	 prob;
	char			 text[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text),
		    "{\"certificate\":\"MIIB\",\"reason\":%d}", ok[i]);
		assert_int_equal(revoke(text, &r, &prob), 0);
		assert_int_equal(r.reason, ok[i]);
		acme_req_revoke_clear(&r);
	}
}

/* HARDENING V08: PEM, padded, garbage, missing. */
static void
test_payload_revoke_bad_certificate_malformed(void **state)
{
	static const char *const bad[] = {
		"{}", "{\"certificate\":\"\"}", "{\"certificate\":5}",
		"{\"certificate\":\"MIIB+w==\"}",
		"{\"certificate\":\"-----BEGIN CERTIFICATE-----\"}",
		"{\"certificate\":\"MII B\"}",
	};
	struct acme_req_revoke	 r;
	struct acme_problem	 prob;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(revoke(bad[i], &r, &prob), -1);
		assert_int_equal(prob.type, ACME_P_MALFORMED);
	}
}

/* ---- keyChange inner payload (§7.3.5) ---- */

static void
test_payload_key_change_decoded(void **state)
{
	struct acme_req_key_change	 kc;
	struct acme_problem		 prob;
	json_t				*p;

	(void)state;
	p = js("{\"account\":\"https://localhost:8555/acme/acct/abc\","
	    "\"oldKey\":{\"kty\":\"EC\"}}");
	assert_int_equal(acme_payload_key_change(p, &kc, &prob), 0);
	assert_string_equal(kc.account,
	    "https://localhost:8555/acme/acct/abc");
	assert_ptr_equal(kc.old_key, json_object_get(p, "oldKey"));
	json_decref(p);		/* kc holds its own reference */
	assert_string_equal(json_string_value(json_object_get(kc.old_key,
	    "kty")), "EC");
	acme_req_key_change_clear(&kc);
	assert_null(kc.old_key);
	acme_req_key_change_clear(NULL);
}

static void
test_payload_key_change_missing_malformed(void **state)
{
	static const char *const bad[] = {
		"{}", "{\"account\":\"u\"}", "{\"oldKey\":{}}",
		"{\"account\":1,\"oldKey\":{}}",
		"{\"account\":\"u\",\"oldKey\":\"k\"}",
	};
	struct acme_req_key_change	 kc;
	struct acme_problem		 prob;
	json_t				*p;
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = js(bad[i]);
		assert_int_equal(acme_payload_key_change(p, &kc, &prob), -1);
		assert_int_equal(prob.type, ACME_P_MALFORMED);
		assert_null(kc.old_key);
		json_decref(p);
	}
}

/* ---- authz update (§7.5.2) ---- */

static void
test_payload_authz_deactivate_only(void **state)
{
	static const char *const bad[] = {
		"{\"status\":\"valid\"}", "{}", "{\"status\":1}", "[]",
	};
	struct acme_problem	 prob;
	json_t			*p;
	bool			 d = true;
	size_t			 i;

	(void)state;
	p = js("{\"status\":\"deactivated\",\"x\":1}");
	assert_int_equal(acme_payload_authz_update(p, &d, &prob), 0);
	assert_true(d);
	json_decref(p);
	/* HARDENING C07 */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = js(bad[i]);
		assert_int_equal(acme_payload_authz_update(p, &d, &prob), -1);
		assert_int_equal(prob.type, ACME_P_MALFORMED);
		assert_false(d);
		json_decref(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_new_account_full_decoded),
		cmocka_unit_test(test_payload_new_account_empty_object_ok),
		cmocka_unit_test(test_payload_new_account_wrong_types_malformed),
		cmocka_unit_test(test_payload_contact_tel_unsupported),
		cmocka_unit_test(test_payload_contact_bad_mailto_invalid),
		cmocka_unit_test(test_payload_contact_too_many_invalid),
		cmocka_unit_test(test_payload_contact_too_long_invalid),
		cmocka_unit_test(test_payload_account_update_deactivate_ok),
		cmocka_unit_test(
		    test_payload_account_update_other_status_malformed),
		cmocka_unit_test(test_payload_new_order_normalised),
		cmocka_unit_test(test_payload_new_order_no_identifiers_malformed),
		cmocka_unit_test(test_payload_new_order_email_unsupported),
		cmocka_unit_test(test_payload_new_order_unofferable_profile_invalid),
		cmocka_unit_test(test_payload_new_order_empty_value_malformed),
		cmocka_unit_test(test_payload_new_order_subproblem_per_bad_name),
		cmocka_unit_test(test_payload_new_order_trailing_dot_rejected),
		cmocka_unit_test(test_payload_new_order_too_many_rejected),
		cmocka_unit_test(test_payload_new_order_window_parsed),
		cmocka_unit_test(test_payload_new_order_bad_window_malformed),
		cmocka_unit_test(test_payload_time_rfc3339_strict),
		cmocka_unit_test(test_payload_finalize_csr_required),
		cmocka_unit_test(test_payload_revoke_decoded),
		cmocka_unit_test(test_payload_revoke_bad_reason),
		cmocka_unit_test(test_payload_revoke_allowed_reasons),
		cmocka_unit_test(test_payload_revoke_bad_certificate_malformed),
		cmocka_unit_test(test_payload_key_change_decoded),
		cmocka_unit_test(test_payload_key_change_missing_malformed),
		cmocka_unit_test(test_payload_authz_deactivate_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
