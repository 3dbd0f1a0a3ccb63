/* test_policy.c - unit tests of src/policy/policy.c: identifier policy and name constraints */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "policy.h"

static struct acme_identifier
dns(const char *v)
{
	struct acme_identifier id;

	memset(&id, 0, sizeof(id));
	id.type = ACME_IDENT_DNS;
	strcpy(id.value, v);
	return id;
}

static struct acme_identifier
ip(const char *v)
{
	struct acme_identifier id = dns(v);

	id.type = ACME_IDENT_IP;
	return id;
}

static bool
allows(const struct policy *p, struct acme_identifier id)
{
	return policy_allows(p, &id, false);
}

static void
test_policy_default_localhost_allowed(void **state)
{
	struct policy p;

	(void)state;
	policy_init_default(&p);
	assert_true(allows(&p, dns("localhost")));
	assert_true(allows(&p, dns("a.b.localhost")));
	assert_true(allows(&p, dns("app.test")));
	assert_true(allows(&p, dns("x.home.arpa")));
	assert_true(allows(&p, dns("internal")));
}

static void
test_policy_default_public_name_refused(void **state)
{
	struct policy p;

	(void)state;
	policy_init_default(&p);
	assert_false(allows(&p, dns("example.com")));
	assert_false(allows(&p, dns("localhost.com")));
	assert_false(allows(&p, dns("nottest")));	/* suffix match is by label */
	assert_false(allows(&p, dns("arpa")));
}

static void
test_policy_wildcard_base_decides(void **state)
{
	struct policy p;
	struct acme_identifier w = dns("*.app.test"), bad = dns("*.example.com");

	(void)state;
	policy_init_default(&p);
	assert_true(policy_allows(&p, &w, true));
	assert_false(policy_allows(&p, &bad, true));
}

static void
test_policy_default_ip_ranges(void **state)
{
	struct policy p;

	(void)state;
	policy_init_default(&p);
	assert_true(allows(&p, ip("127.0.0.1")));
	assert_true(allows(&p, ip("127.255.1.2")));
	assert_true(allows(&p, ip("::1")));
	assert_true(allows(&p, ip("10.1.2.3")));
	assert_true(allows(&p, ip("172.31.255.255")));
	assert_true(allows(&p, ip("192.168.0.1")));
	assert_true(allows(&p, ip("fd12::1")));
	assert_false(allows(&p, ip("8.8.8.8")));
	assert_false(allows(&p, ip("172.32.0.1")));
	assert_false(allows(&p, ip("::2")));
	assert_false(allows(&p, ip("2001:db8::1")));
}

static void
test_policy_permit_widens(void **state)
{
	struct policy p;
	char err[128];

	(void)state;
	policy_init_default(&p);
	assert_int_equal(policy_permit(&p, "Corp.Example.COM", err,
	    sizeof(err)), 0);
	assert_int_equal(policy_permit(&p, "203.0.113.0/24", err,
	    sizeof(err)), 0);
	assert_true(allows(&p, dns("www.corp.example.com")));
	assert_true(allows(&p, ip("203.0.113.9")));
	assert_false(allows(&p, dns("example.com")));
}

static void
test_policy_permit_garbage_fails(void **state)
{
	struct policy p;
	char err[128];

	(void)state;
	policy_init_default(&p);
	assert_int_equal(policy_permit(&p, "bad_name!", err, sizeof(err)), -1);
	assert_int_equal(policy_permit(&p, "10.0.0.0/33", err, sizeof(err)), -1);
	assert_int_equal(policy_permit(&p, "-x.test", err, sizeof(err)), -1);
	assert_int_equal(policy_permit(&p, "", err, sizeof(err)), -1);
}

static void
test_policy_unconstrained_allows_all(void **state)
{
	struct policy p;
	X509_EXTENSION *ext = (X509_EXTENSION *)1;

	(void)state;
	policy_init_unconstrained(&p);
	assert_true(allows(&p, dns("example.com")));
	assert_true(allows(&p, ip("8.8.8.8")));
	assert_int_equal(policy_nc_extension(&p, &ext), 0);
	assert_null(ext);
}

static void
test_policy_check_list_fills_subproblems(void **state)
{
	struct policy		 p;
	struct acme_problem	 prob;
	struct acme_identifier	 ids[3];

	(void)state;
	policy_init_default(&p);
	ids[0] = dns("ok.test");
	ids[1] = dns("example.com");
	ids[2] = ip("8.8.8.8");
	memset(&prob, 0, sizeof(prob));
	assert_int_equal(policy_check_list(&p, ids, NULL, 3, &prob), -1);
	assert_int_equal(prob.type, ACME_P_REJECTEDIDENTIFIER);
	assert_int_equal(prob.nsub, 2);
	assert_string_equal(prob.sub[0].ident.value, "example.com");
	assert_string_equal(prob.sub[1].ident.value, "8.8.8.8");
	assert_int_equal(policy_check_list(&p, ids, NULL, 1, &prob), 0);
}

/*
 * RFC 8555 §6.7.1: the subproblems stay; the top-level detail names the
 * refused identifiers and what the policy allows, and says how to widen it.
 */
static void
test_policy_refusal_detail_names_refused_and_allowed(void **state)
{
	struct policy		 p;
	struct acme_problem	 prob;
	struct acme_identifier	 ids[3];
	bool			 wild[3] = { false, true, false };
	char			 err[128];

	(void)state;
	policy_init_default(&p);
	ids[0] = dns("acme.example.com");
	ids[1] = dns("example.org");
	ids[2] = dns("ok.test");
	memset(&prob, 0, sizeof(prob));
	assert_int_equal(policy_check_list(&p, ids, NULL, 1, &prob), -1);
	assert_string_equal(prob.detail, "acme.example.com is not allowed by "
	    "this CA's name policy (allowed: localhost, test, example, "
	    "invalid, local, internal, home.arpa, 127.0.0.0/8, ::1/128, "
	    "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7; change with "
	    "`localacme init --permit`)");
	assert_int_equal(prob.nsub, 1);
	/* several: all named, a wildcard as the client wrote it */
	assert_int_equal(policy_check_list(&p, ids, wild, 3, &prob), -1);
	assert_non_null(strstr(prob.detail,
	    "acme.example.com, *.example.org are not allowed"));
	assert_int_equal(prob.nsub, 2);
	/* a widened policy names its own suffixes */
	assert_int_equal(policy_permit(&p, "corp.example", err, sizeof(err)),
	    0);
	assert_int_equal(policy_check_list(&p, ids, NULL, 1, &prob), -1);
	assert_non_null(strstr(prob.detail, "home.arpa, corp.example, "));
}

/* Long names are cut to fit the detail, whose end is never lost. */
static void
test_policy_refusal_detail_fits(void **state)
{
	struct policy		 p;
	struct acme_problem	 prob;
	struct acme_identifier	 ids[4];
	char			 err[128];

	(void)state;
	policy_init_default(&p);
	for (size_t i = 0; i < 4; i++) {
		ids[i] = dns("x");
		memset(ids[i].value, 'a', 200);
		snprintf(ids[i].value + 200, 16, "%zu.com", i);
	}
	for (int i = 0; i < 20; i++) {
		char suf[64];

		snprintf(suf, sizeof(suf), "some-longer-suffix-%d.example", i);
		assert_int_equal(policy_permit(&p, suf, err, sizeof(err)), 0);
	}
	assert_int_equal(policy_check_list(&p, ids, NULL, 4, &prob), -1);
	assert_true(strlen(prob.detail) < ACME_PROBLEM_DETAIL_MAX - 1);
	assert_non_null(strstr(prob.detail, "aaa..."));
	assert_non_null(strstr(prob.detail, " are not allowed by this CA's "
	    "name policy (allowed: localhost, test, "));
	assert_non_null(strstr(prob.detail, ", ...; change with "
	    "`localacme init --permit`)"));
	assert_int_equal(prob.nsub, 4);
}

/* Round trip through a certificate: the root is the source of truth. */
static void
test_policy_nc_extension_roundtrip_equal(void **state)
{
	struct policy	 p, q;
	X509_EXTENSION	*ext = NULL;
	X509		*x;
	char		 err[128];

	(void)state;
	policy_init_default(&p);
	assert_int_equal(policy_permit(&p, "corp.example", err, sizeof(err)), 0);
	assert_int_equal(policy_nc_extension(&p, &ext), 0);
	assert_non_null(ext);
	assert_true(X509_EXTENSION_get_critical(ext));
	x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	assert_int_equal(policy_from_cert(&q, x), 0);
	assert_false(q.unconstrained);
	assert_int_equal(q.ndns, p.ndns);
	assert_int_equal(q.nnets, p.nnets);
	for (size_t i = 0; i < p.ndns; i++)
		assert_string_equal(q.dns[i], p.dns[i]);
	for (size_t i = 0; i < p.nnets; i++)
		assert_memory_equal(&q.nets[i], &p.nets[i], sizeof(p.nets[i]));
	X509_EXTENSION_free(ext);
	X509_free(x);
}

static void
test_policy_from_cert_without_nc_unconstrained(void **state)
{
	struct policy	 q;
	X509		*x = X509_new();

	(void)state;
	assert_int_equal(policy_from_cert(&q, x), 0);
	assert_true(q.unconstrained);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_default_localhost_allowed),
		cmocka_unit_test(test_policy_default_public_name_refused),
		cmocka_unit_test(test_policy_wildcard_base_decides),
		cmocka_unit_test(test_policy_default_ip_ranges),
		cmocka_unit_test(test_policy_permit_widens),
		cmocka_unit_test(test_policy_permit_garbage_fails),
		cmocka_unit_test(test_policy_unconstrained_allows_all),
		cmocka_unit_test(test_policy_check_list_fills_subproblems),
		cmocka_unit_test(test_policy_refusal_detail_names_refused_and_allowed),
		cmocka_unit_test(test_policy_refusal_detail_fits),
		cmocka_unit_test(test_policy_nc_extension_roundtrip_equal),
		cmocka_unit_test(test_policy_from_cert_without_nc_unconstrained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
