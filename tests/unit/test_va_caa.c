/* test_va_caa.c - CAA checks after a valid dns-01 challenge (RFC 8659), against the built-in DNS mock on loopback */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnsmock.h"
#include "va.h"

#define TOKEN	"tok3n_EEEEEEEEEEEEEEEE"
#define KA	TOKEN ".thumbprintFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
#define VALUE	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define US	"localacme.test"

static struct dnsmock	*mock;
static char		 err[256];

static int
setup(void **state)
{
	struct dnsmock_opts	 o = { NULL, "127.0.0.1", "::1" };
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 listen[64];
	int			 fd;

	(void)state;
	/* A free UDP port (bound, read back, closed; then ours). */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	close(fd);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port));
	o.listen = listen;
	if ((mock = dnsmock_new(&o, err, sizeof(err))) == NULL ||
	    dnsmock_start(mock, err, sizeof(err)) == -1) {
		print_message("dnsmock: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dnsmock_free(mock);
	return 0;
}

/* A dns-01 request for name whose TXT record is in place. */
static void
req_init(struct va_opts *o, struct va_request *r, const char *name,
    bool wildcard, const char *const *ids, size_t nids)
{
	char	 host[300];

	memset(o, 0, sizeof(*o));
	o->dns_resolver = dnsmock_resolver(mock);
	o->timeout_s = 10;
	o->caa_check = true;
	o->caa_identities = ids;
	o->ncaa_identities = nids;
	memset(r, 0, sizeof(*r));
	r->type = ACME_CHALL_DNS01;
	r->ident.type = ACME_IDENT_DNS;
	r->wildcard = wildcard;
	snprintf(r->ident.value, sizeof(r->ident.value), "%s", name);
	snprintf(r->token, sizeof(r->token), "%s", TOKEN);
	snprintf(r->key_authz, sizeof(r->key_authz), "%s", KA);
	snprintf(r->dns01_value, sizeof(r->dns01_value), "%s", VALUE);
	snprintf(host, sizeof(host), "_acme-challenge.%s", name);
	assert_int_equal(dnsmock_add(mock, DNSMOCK_TXT, host, VALUE, err,
	    sizeof(err)), 0);
}

static void
caa(const char *host, const char *tag, const char *value)
{
	assert_int_equal(dnsmock_add_caa(mock, host, tag, value, err,
	    sizeof(err)), 0);
}

static const char *const us[] = { "other.example", US };

static void
validate(const char *name, bool wildcard, const char *const *ids, size_t n,
    struct va_result *res)
{
	struct va_opts		 o;
	struct va_request	 r;

	req_init(&o, &r, name, wildcard, ids, n);
	assert_int_equal(va_validate(&o, &r, res), 0);
	if (!res->valid)
		print_message("  detail: %s\n", res->prob.detail);
}

static void
test_va_caa_no_record_anywhere_allows_rfc8659_3(void **state)
{
	struct va_result	 res;

	(void)state;
	validate("none.test", false, us, 2, &res);
	assert_true(res.valid);
}

static void
test_va_caa_other_ca_on_parent_forbids_rfc8659_3(void **state)
{
	struct va_result	 res;

	(void)state;
	caa("p.test", "issue", "ca.example");
	validate("a.b.p.test", false, us, 2, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CAA);
	assert_non_null(strstr(res.prob.detail, "CAA record for p.test"));
	assert_non_null(strstr(res.prob.detail, "\"ca.example\""));
}

static void
test_va_caa_us_with_parameters_on_closest_set_allows_rfc8659_4_2(void **state)
{
	struct va_result	 res;

	(void)state;
	caa("q.test", "issue", "ca.example");
	caa("w.q.test", "issue", " LocalACME.test ; accounturi=x");
	validate("w.q.test", false, us, 2, &res);
	assert_true(res.valid);
}

static void
test_va_caa_semicolon_or_no_identity_forbids(void **state)
{
	struct va_result	 res;

	(void)state;
	caa("semi.test", "issue", ";");
	validate("semi.test", false, us, 2, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CAA);
	/* our identity named, but this server has none configured */
	caa("noid.test", "issue", US);
	validate("noid.test", false, NULL, 0, &res);
	assert_false(res.valid);
	assert_non_null(strstr(res.prob.detail, "no --caa-identity"));
}

static void
test_va_caa_only_iodef_does_not_limit_rfc8659_4_2(void **state)
{
	struct va_result	 res;

	(void)state;
	caa("iodef.test", "iodef", "mailto:x@example.test");
	validate("iodef.test", false, us, 2, &res);
	assert_true(res.valid);
}

static void
test_va_caa_issuewild_rules_wildcards_only_rfc8659_4_3(void **state)
{
	struct va_result	 res;

	(void)state;
	caa("wild.test", "issue", US);
	caa("wild.test", "issuewild", "ca.example");
	validate("wild.test", true, us, 2, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CAA);
	validate("wild.test", false, us, 2, &res);
	assert_true(res.valid);
	/* without issuewild, issue rules the wildcard too */
	caa("wild2.test", "issue", US);
	validate("wild2.test", true, us, 2, &res);
	assert_true(res.valid);
}

static void
test_va_caa_servfail_is_dns_problem_not_permission(void **state)
{
	struct va_result	 res;

	(void)state;
	/* the TXT name answers; the CAA lookup of its parent fails */
	assert_int_equal(dnsmock_add(mock, DNSMOCK_SERVFAIL, "sf.test", NULL,
	    err, sizeof(err)), 0);
	validate("x.sf.test", false, us, 2, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_DNS);
	assert_non_null(strstr(res.prob.detail, "CAA for sf.test"));
}

static void
test_va_caa_off_ignores_records(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	caa("off.test", "issue", "ca.example");
	req_init(&o, &r, "off.test", false, us, 2);
	o.caa_check = false;
	assert_int_equal(va_validate(&o, &r, &res), 0);
	assert_true(res.valid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_va_caa_no_record_anywhere_allows_rfc8659_3),
		cmocka_unit_test(test_va_caa_other_ca_on_parent_forbids_rfc8659_3),
		cmocka_unit_test(test_va_caa_us_with_parameters_on_closest_set_allows_rfc8659_4_2),
		cmocka_unit_test(test_va_caa_semicolon_or_no_identity_forbids),
		cmocka_unit_test(test_va_caa_only_iodef_does_not_limit_rfc8659_4_2),
		cmocka_unit_test(test_va_caa_issuewild_rules_wildcards_only_rfc8659_4_3),
		cmocka_unit_test(test_va_caa_servfail_is_dns_problem_not_permission),
		cmocka_unit_test(test_va_caa_off_ignores_records),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
