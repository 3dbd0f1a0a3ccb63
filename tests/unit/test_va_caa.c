/* test_va_caa.c - CAA checks after a valid dns-01 challenge (RFC 8659), against the built-in DNS mock on loopback */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnsmock.h"
#include "dnsmock_wire.h"
#include "testutil.h"
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
	char			 listen[64];

	(void)state;
	/* A free UDP port (bound, read back, closed; then ours). */
	tu_dead_udp(listen, sizeof(listen));
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

/*
 * A lookup at `at` answered SERVFAIL fails r with a DNS problem that says
 * SERVFAIL and names `at`. c-ares reports it as ARES_ECONNREFUSED, which
 * read "the DNS resolver refused the connection: is it running?" while
 * the resolver was running and answering.
 */
static void
expect_servfail(const struct va_opts *o, const struct va_request *r,
    const char *at)
{
	struct va_result	 res;

	assert_int_equal(dnsmock_add(mock, DNSMOCK_SERVFAIL, at, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(va_validate(o, r, &res), 0);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_DNS);
	assert_non_null(strstr(res.prob.detail, "SERVFAIL"));
	assert_non_null(strstr(res.prob.detail, at));
	assert_null(strstr(res.prob.detail, "refused the connection"));
}

/* dns-01 itself: its TXT lookup (va_dns01.c). */
static void
test_va_dns01_txt_servfail_says_servfail(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;

	(void)state;
	req_init(&o, &r, "tsf.test", false, us, 2);
	expect_servfail(&o, &r, "_acme-challenge.tsf.test");
}

/* http-01's address lookup (va_resolve.c). */
static void
test_va_http01_address_servfail_says_servfail(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;

	(void)state;
	req_init(&o, &r, "asf.test", false, us, 2);
	r.type = ACME_CHALL_HTTP01;
	o.http01_port = 9;	/* never reached: the lookup fails first */
	expect_servfail(&o, &r, "asf.test");
}

/*
 * A recording resolver in front of the mock: it notes each query's type,
 * source port and batch, and answers a batch only once no query has come
 * for BATCH_MS. Queries sent one after another (each waiting for its
 * answer) land in batches of one; queries sent together share a batch.
 */
#define BATCH_MS	60
#define SEEN_MAX	32

struct seen {
	unsigned	 qtype, port, batch;
};

static struct {
	int		 fd;
	char		 resolver[64];
	pthread_t	 th;
	atomic_bool	 stop;
	pthread_mutex_t	 mu;
	struct seen	 q[SEEN_MAX];
	size_t		 n;
} px = { .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER };

/* The QTYPE after the question's name; 0 when the packet is too short. */
static unsigned
qtype_of(const unsigned char *p, size_t n)
{
	size_t	 off = 12;

	while (off < n && p[off] != 0)
		off += (size_t)p[off] + 1;
	if (off + 3 > n)
		return 0;
	return (unsigned)p[off + 1] << 8 | p[off + 2];
}

static void *
proxy_main(void *arg)
{
	struct pending {
		unsigned char		 pkt[512];
		size_t			 len;
		struct sockaddr_in	 from;
	} *pend;
	unsigned char	 out[DNSW_UDP_MAX];
	size_t		 npend = 0, i, olen;
	unsigned	 batch = 0;
	struct pollfd	 pfd;

	(void)arg;
	pend = calloc(SEEN_MAX, sizeof(*pend));
	assert_non_null(pend);
	pfd.fd = px.fd;
	pfd.events = POLLIN;
	while (!atomic_load(&px.stop)) {
		if (poll(&pfd, 1, BATCH_MS) > 0 && npend < SEEN_MAX) {
			struct pending	*q = &pend[npend];
			socklen_t	 sl = sizeof(q->from);
			ssize_t		 r;

			r = recvfrom(px.fd, q->pkt, sizeof(q->pkt), 0,
			    (struct sockaddr *)&q->from, &sl);
			if (r <= 0)
				continue;
			q->len = (size_t)r;
			npend++;
			pthread_mutex_lock(&px.mu);
			if (px.n < SEEN_MAX) {
				px.q[px.n].qtype = qtype_of(q->pkt, q->len);
				px.q[px.n].port = ntohs(q->from.sin_port);
				px.q[px.n].batch = batch;
				px.n++;
			}
			pthread_mutex_unlock(&px.mu);
			continue;
		}
		if (npend == 0)
			continue;
		for (i = 0; i < npend; i++) {
			olen = dnsmock_answer(mock, pend[i].pkt, pend[i].len, out,
			    sizeof(out));
			if (olen > 0)
				(void)sendto(px.fd, out, olen, 0,
				    (struct sockaddr *)&pend[i].from,
				    sizeof(pend[i].from));
		}
		npend = 0;
		batch++;
	}
	free(pend);
	return NULL;
}

static void
proxy_start(void)
{
	unsigned	 port;

	px.fd = tu_loopback_socket(SOCK_DGRAM, &port);
	snprintf(px.resolver, sizeof(px.resolver), "127.0.0.1:%u", port);
	px.n = 0;
	atomic_store(&px.stop, false);
	assert_int_equal(pthread_create(&px.th, NULL, proxy_main, NULL), 0);
}

static void
proxy_stop(void)
{
	atomic_store(&px.stop, true);
	pthread_join(px.th, NULL);
	close(px.fd);
	px.fd = -1;
}

/*
 * RFC 8659 §3 by one round trip: the climb's CAA queries (a.b.p.test up
 * to test) go out together, from one socket, after the TXT lookup.
 */
static void
test_va_caa_climb_asked_at_once_on_one_channel_rfc8659_3(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	size_t			 i, ncaa = 0;

	(void)state;
	caa("climb.test", "issue", US);
	req_init(&o, &r, "a.b.climb.test", false, us, 2);
	proxy_start();
	o.dns_resolver = px.resolver;
	assert_int_equal(va_validate(&o, &r, &res), 0);
	proxy_stop();
	assert_true(res.valid);
	assert_int_equal(px.n, 5);
	assert_int_equal(px.q[0].qtype, 16);		/* TXT */
	assert_int_equal(px.q[0].batch, 0);
	for (i = 1; i < px.n; i++) {
		assert_int_equal(px.q[i].qtype, 257);	/* CAA */
		assert_int_equal(px.q[i].batch, 1);
		ncaa++;
	}
	assert_int_equal(ncaa, 4);	/* a.b.climb.test ... test */
	/* one socket: c-ares opens one per round of lookups on a channel */
	for (i = 2; i < px.n; i++)
		assert_int_equal(px.q[i].port, px.q[1].port);
}

/*
 * §3 judged in climbing order: the closest non-empty set decides, so a
 * failing lookup above it does not matter, and one below it does.
 */
static void
test_va_caa_closest_set_decides_over_failing_parent_rfc8659_3(void **state)
{
	struct va_result	 res;

	(void)state;
	assert_int_equal(dnsmock_add(mock, DNSMOCK_SERVFAIL, "sfp.test", NULL,
	    err, sizeof(err)), 0);
	caa("ok.sfp.test", "issue", US);
	validate("ok.sfp.test", false, us, 2, &res);
	assert_true(res.valid);
	/* the failure is closer than the set: no permission */
	caa("sfp2.test", "issue", US);
	assert_int_equal(dnsmock_add(mock, DNSMOCK_SERVFAIL, "mid.sfp2.test",
	    NULL, err, sizeof(err)), 0);
	validate("x.mid.sfp2.test", false, us, 2, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_DNS);
	assert_non_null(strstr(res.prob.detail, "CAA for mid.sfp2.test"));
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
		cmocka_unit_test(test_va_dns01_txt_servfail_says_servfail),
		cmocka_unit_test(test_va_http01_address_servfail_says_servfail),
		cmocka_unit_test(test_va_caa_off_ignores_records),
		cmocka_unit_test(test_va_caa_climb_asked_at_once_on_one_channel_rfc8659_3),
		cmocka_unit_test(test_va_caa_closest_set_decides_over_failing_parent_rfc8659_3),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
