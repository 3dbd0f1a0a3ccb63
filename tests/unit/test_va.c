/* test_va.c - VA queue and workers, options, name-resolution rules and helpers (RFC 6761 §6.3, RFC 8738 §6, HARDENING Z06) */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "va.h"
#include "va_internal.h"

#define TOKEN	"tok3n_GGGGGGGGGGGGGGGG"
#define KA	TOKEN ".thumbprintHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH"

/* --- callback recorder --- */

struct rec {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 n;		/* callbacks seen */
	int		 nvalid;
	bool		 block;		/* callbacks wait for release */
	bool		 entered;	/* a callback is waiting */
	bool		 on_main;	/* a callback ran on the main thread */
	pthread_t	 main;
	char		 last_chall[ACME_ID_SIZE];
	enum acme_ptype	 last_type;
};

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->main = pthread_self();
}

static void
rec_clear(struct rec *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
}

static void
done_cb(void *arg, const struct va_request *req, const struct va_result *res)
{
	struct rec	*r = arg;

	pthread_mutex_lock(&r->mu);
	r->n++;
	if (res->valid)
		r->nvalid++;
	if (pthread_equal(pthread_self(), r->main))
		r->on_main = true;
	snprintf(r->last_chall, sizeof(r->last_chall), "%s", req->chall_id);
	r->last_type = res->prob.type;
	r->entered = true;
	pthread_cond_broadcast(&r->cv);
	while (r->block)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

/* A TCP port bound but not listening on 127.0.0.1: fast refusals. */
static int
refusing_port(unsigned *port)
{
	return tu_loopback_socket(SOCK_STREAM, port);
}

static void
http_req(struct va_request *r, int i)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->authz_id, sizeof(r->authz_id), "authz%d", i);
	snprintf(r->chall_id, sizeof(r->chall_id), "chall%d", i);
	r->type = ACME_CHALL_HTTP01;
	r->ident.type = ACME_IDENT_IP;
	snprintf(r->ident.value, sizeof(r->ident.value), "127.0.0.1");
	snprintf(r->token, sizeof(r->token), "%s", TOKEN);
	snprintf(r->key_authz, sizeof(r->key_authz), "%s", KA);
}

/* --- options --- */

static void
test_va_new_bad_pin_fails_with_reason(void **state)
{
	static const char *const pins[] = { "a.test=not-an-ip" };
	struct va_opts	 o = { 0 };
	struct rec	 r;
	char		 err[128];

	(void)state;
	rec_init(&r);
	o.resolve = pins;
	o.nresolve = 1;
	assert_null(va_new(&o, done_cb, &r, err, sizeof(err)));
	assert_non_null(strstr(err, "NAME=IP"));
	rec_clear(&r);
}

static void
test_va_new_bad_dns_resolver_fails(void **state)
{
	struct va_opts	 o = { 0 };
	struct rec	 r;
	char		 err[128];

	(void)state;
	rec_init(&r);
	o.dns_resolver = "not a server";
	assert_null(va_new(&o, done_cb, &r, err, sizeof(err)));
	assert_non_null(strstr(err, "IP:PORT"));
	rec_clear(&r);
}

static void
test_va_new_port_out_of_range_fails(void **state)
{
	struct va_opts	 o = { 0 };
	struct rec	 r;
	char		 err[128];

	(void)state;
	rec_init(&r);
	o.http01_port = 70000;
	assert_null(va_new(&o, done_cb, &r, err, sizeof(err)));
	assert_non_null(strstr(err, "port"));
	rec_clear(&r);
}

static void
test_va_free_null_is_noop(void **state)
{
	(void)state;
	va_free(NULL);
	va_stop(NULL);
}

static void
test_va_new_copies_options(void **state)
{
	struct va_opts	 o = { 0 };
	struct va	*va;
	struct rec	 r;
	char		 pin[64], res[64], err[128];

	(void)state;
	rec_init(&r);
	snprintf(pin, sizeof(pin), "a.test=127.0.0.1");
	snprintf(res, sizeof(res), "127.0.0.1:53");
	{
		const char *pins[] = { pin };

		o.resolve = pins;
		o.nresolve = 1;
		o.dns_resolver = res;
		assert_non_null(va = va_new(&o, done_cb, &r, err,
		    sizeof(err)));
	}
	/* The caller's buffers may change or go away. */
	memset(pin, 'x', sizeof(pin) - 1);
	memset(res, 'x', sizeof(res) - 1);
	va_free(va);
	rec_clear(&r);
}

/* --- queue and workers --- */

static void
test_va_submit_before_start_is_refused(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_request	 req;
	struct va		*va;
	struct rec		 r;
	char			 err[128];

	(void)state;
	rec_init(&r);
	assert_non_null(va = va_new(&o, done_cb, &r, err, sizeof(err)));
	http_req(&req, 0);
	assert_int_equal(va_submit(va, &req), -1);
	va_free(va);
	assert_int_equal(r.n, 0);
	rec_clear(&r);
}

static void
test_va_queue_n_submitted_gives_n_callbacks(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_request	 req;
	struct va		*va;
	struct rec		 r;
	unsigned		 port;
	char			 err[128];
	int			 fd, i, n = 20;

	(void)state;
	rec_init(&r);
	fd = refusing_port(&port);
	o.http01_port = port;
	o.workers = 3;
	o.queue_max = (size_t)n;
	o.timeout_s = 10;
	assert_non_null(va = va_new(&o, done_cb, &r, err, sizeof(err)));
	assert_int_equal(va_start_workers(va), 0);
	for (i = 0; i < n; i++) {
		http_req(&req, i);
		assert_int_equal(va_submit(va, &req), 0);
	}
	va_stop(va);		/* drains: every queued request completes */
	assert_int_equal(r.n, n);
	assert_int_equal(r.nvalid, 0);
	assert_int_equal(r.last_type, ACME_P_CONNECTION);
	assert_false(r.on_main);	/* callbacks come from workers */
	va_free(va);
	close(fd);
	rec_clear(&r);
}

static void
test_va_queue_full_is_refused(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_request	 req;
	struct va		*va;
	struct rec		 r;
	unsigned		 port;
	char			 err[128];
	int			 fd;

	(void)state;
	rec_init(&r);
	r.block = true;
	fd = refusing_port(&port);
	o.http01_port = port;
	o.workers = 1;
	o.queue_max = 2;
	assert_non_null(va = va_new(&o, done_cb, &r, err, sizeof(err)));
	assert_int_equal(va_start_workers(va), 0);
	http_req(&req, 1);
	assert_int_equal(va_submit(va, &req), 0);
	/* Wait until the only worker is busy inside the callback. */
	pthread_mutex_lock(&r.mu);
	while (!r.entered)
		pthread_cond_wait(&r.cv, &r.mu);
	pthread_mutex_unlock(&r.mu);
	http_req(&req, 2);
	assert_int_equal(va_submit(va, &req), 0);
	http_req(&req, 3);
	assert_int_equal(va_submit(va, &req), 0);
	http_req(&req, 4);
	assert_int_equal(va_submit(va, &req), -1);	/* 2 queued: full */
	pthread_mutex_lock(&r.mu);
	r.block = false;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	va_stop(va);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.last_chall, "chall3");	/* FIFO */
	va_free(va);
	close(fd);
	rec_clear(&r);
}

static void
test_va_submit_after_stop_is_refused(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_request	 req;
	struct va		*va;
	struct rec		 r;
	char			 err[128];

	(void)state;
	rec_init(&r);
	assert_non_null(va = va_new(&o, done_cb, &r, err, sizeof(err)));
	assert_int_equal(va_start_workers(va), 0);
	va_stop(va);
	http_req(&req, 0);
	assert_int_equal(va_submit(va, &req), -1);
	va_free(va);
	assert_int_equal(r.n, 0);
	rec_clear(&r);
}

static void
test_va_start_twice_fails(void **state)
{
	struct va_opts	 o = { 0 };
	struct va	*va;
	struct rec	 r;
	char		 err[128];

	(void)state;
	rec_init(&r);
	assert_non_null(va = va_new(&o, done_cb, &r, err, sizeof(err)));
	assert_int_equal(va_start_workers(va), 0);
	assert_int_equal(va_start_workers(va), -1);
	va_free(va);
	rec_clear(&r);
}

/* --- va_validate input checks --- */

static void
test_va_validate_unknown_type_is_internal_error(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_request	 req;
	struct va_result	 res;

	(void)state;
	http_req(&req, 0);
	req.type = ACME_CHALL__MAX;
	assert_int_equal(va_validate(&o, &req, &res), -1);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_SERVERINTERNAL);
}

static void
test_va_validate_empty_token_is_internal_error(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_request	 req;
	struct va_result	 res;

	(void)state;
	http_req(&req, 0);
	req.token[0] = '\0';
	assert_int_equal(va_validate(&o, &req, &res), -1);
	assert_int_equal(res.prob.type, ACME_P_SERVERINTERNAL);
}

/* --- resolution rules --- */

/* va_resolve in a call of its own, as va_validate makes one. */
static int
call_resolve(const struct va_opts *o, const char *name, int64_t deadline,
    struct va_addrs *a, struct acme_problem *p)
{
	struct va_call	 vc;
	int		 rc;

	va_call_begin(&vc, o);
	rc = va_resolve(&vc, name, deadline, a, p);
	va_call_end(&vc);
	assert_null(vc.ch);
	return rc;
}

static void
test_va_resolve_localhost_is_both_loopbacks(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;

	(void)state;
	o.dns_resolver = "127.0.0.1:1";	/* never asked */
	assert_int_equal(call_resolve(&o, "LocalHost", va_now_ms() + 1000, &a,
	    &p), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.a[0].text, "127.0.0.1");
	assert_string_equal(a.a[1].text, "::1");
}

static void
test_va_resolve_name_ending_in_localhost_label_only(void **state)
{
	static const char *const pins[] = { "notlocalhost=10.0.0.1" };
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;

	(void)state;
	o.resolve = pins;
	o.nresolve = 1;
	/* "notlocalhost" is not under ".localhost": the pin applies. */
	assert_int_equal(call_resolve(&o, "notlocalhost", va_now_ms() + 1000,
	    &a, &p), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.a[0].text, "10.0.0.1");
}

static void
test_va_resolve_pins_match_case_insensitively_in_order(void **state)
{
	static const char *const pins[] = { "App.Test=::1",
	    "other.test=10.0.0.1", "app.test=127.0.0.1" };
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;

	(void)state;
	o.resolve = pins;
	o.nresolve = 3;
	assert_int_equal(call_resolve(&o, "APP.test", va_now_ms() + 1000, &a,
	    &p), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.a[0].text, "::1");
	assert_string_equal(a.a[1].text, "127.0.0.1");
}

static void
test_va_resolve_pin_is_exact_not_suffix(void **state)
{
	static const char *const pins[] = { "app.test=127.0.0.1" };
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;
	char			 dead[64];

	(void)state;
	tu_dead_udp(dead, sizeof(dead));
	o.resolve = pins;
	o.nresolve = 1;
	o.dns_resolver = dead;
	assert_int_equal(call_resolve(&o, "sub.app.test", va_now_ms() + 3000,
	    &a, &p), -1);
	assert_int_equal(p.type, ACME_P_DNS);
}

/* One validation's lookups share one c-ares channel (ares_init_options
 * reads the system's resolver files: once per validation, not per name). */
static void
test_va_call_lookups_share_one_channel(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_call		 vc;
	struct va_addrs		 a;
	struct acme_problem	 p;
	char			 dead[64];

	(void)state;
	tu_dead_udp(dead, sizeof(dead));
	o.dns_resolver = dead;
	va_call_begin(&vc, &o);
	assert_int_equal(va_resolve(&vc, "one.test", va_now_ms() + 3000, &a,
	    &p), -1);
	assert_int_equal(p.type, ACME_P_DNS);
	assert_int_equal(va_resolve(&vc, "two.test", va_now_ms() + 3000, &a,
	    &p), -1);
	assert_int_equal(p.type, ACME_P_DNS);
	assert_int_equal(vc.nchannels, 1);
	va_call_end(&vc);
	assert_null(vc.ch);
	va_call_end(&vc);	/* idempotent */
}

static void
test_va_resolve_ip_literal_is_used_as_is(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;

	(void)state;
	assert_int_equal(call_resolve(&o, "2001:db8::1", va_now_ms() + 1000, &a,
	    &p), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.a[0].family, AF_INET6);
	assert_string_equal(a.a[0].text, "2001:db8::1");
}

static void
test_va_resolve_bad_name_is_dns_problem(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;

	(void)state;
	assert_int_equal(call_resolve(&o, "bad_name!.test", va_now_ms() + 1000,
	    &a, &p), -1);
	assert_int_equal(p.type, ACME_P_DNS);
}

static void
test_va_pin_parse_rejects_malformed(void **state)
{
	struct va_addr	 a;
	char		 name[256];

	(void)state;
	assert_int_equal(va_pin_parse("a.test", name, sizeof(name), &a), -1);
	assert_int_equal(va_pin_parse("=127.0.0.1", name, sizeof(name), &a),
	    -1);
	assert_int_equal(va_pin_parse("a.test=", name, sizeof(name), &a), -1);
	assert_int_equal(va_pin_parse("a b=127.0.0.1", name, sizeof(name),
	    &a), -1);
	assert_int_equal(va_pin_parse("a.test=127.1", name, sizeof(name), &a),
	    -1);
	assert_int_equal(va_pin_parse("A.Test=[::1]", name, sizeof(name), &a),
	    0);
	assert_string_equal(name, "a.test");
	assert_string_equal(a.text, "::1");
}

/* --- helpers --- */

static void
test_va_reverse_name_ipv4_is_in_addr_arpa(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;
	char			 out[128];

	(void)state;
	assert_int_equal(call_resolve(&o, "192.0.2.10", 0, &a, &p), 0);
	assert_int_equal(va_reverse_name(&a.a[0], out, sizeof(out)), 0);
	assert_string_equal(out, "10.2.0.192.in-addr.arpa");
}

static void
test_va_reverse_name_ipv6_is_nibbles(void **state)
{
	struct va_opts		 o = { 0 };
	struct va_addrs		 a;
	struct acme_problem	 p;
	char			 out[128];

	(void)state;
	/* RFC 3596 §2.5 example, RFC 8738 §6 */
	assert_int_equal(call_resolve(&o, "4321:0:1:2:3:4:567:89ab", 0, &a, &p),
	    0);
	assert_int_equal(va_reverse_name(&a.a[0], out, sizeof(out)), 0);
	assert_string_equal(out, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0."
	    "1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa");
}

static void
test_va_excerpt_escapes_and_caps(void **state)
{
	const unsigned char	 in[] = "ok\x1b[2J\"\\\n\xff";
	unsigned char		 big[100];
	char			 out[256];

	(void)state;
	va_excerpt(in, sizeof(in) - 1, out, sizeof(out));
	assert_string_equal(out, "ok\\x1b[2J\\x22\\x5c\\x0a\\xff");
	memset(big, 'a', sizeof(big));
	va_excerpt(big, sizeof(big), out, sizeof(out));
	assert_int_equal(strlen(out), VA_EXCERPT_MAX + 3);
	assert_string_equal(out + VA_EXCERPT_MAX, "...");
	va_excerpt(big, sizeof(big), out, 8);
	assert_string_equal(out, "aaaa...");
}

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_va_new_bad_pin_fails_with_reason),
		cmocka_unit_test(test_va_new_bad_dns_resolver_fails),
		cmocka_unit_test(test_va_new_port_out_of_range_fails),
		cmocka_unit_test(test_va_free_null_is_noop),
		cmocka_unit_test(test_va_new_copies_options),
		cmocka_unit_test(test_va_submit_before_start_is_refused),
		cmocka_unit_test(test_va_queue_n_submitted_gives_n_callbacks),
		cmocka_unit_test(test_va_queue_full_is_refused),
		cmocka_unit_test(test_va_submit_after_stop_is_refused),
		cmocka_unit_test(test_va_start_twice_fails),
		cmocka_unit_test(test_va_validate_unknown_type_is_internal_error),
		cmocka_unit_test(test_va_validate_empty_token_is_internal_error),
		cmocka_unit_test(test_va_resolve_localhost_is_both_loopbacks),
		cmocka_unit_test(test_va_resolve_name_ending_in_localhost_label_only),
		cmocka_unit_test(test_va_resolve_pins_match_case_insensitively_in_order),
		cmocka_unit_test(test_va_resolve_pin_is_exact_not_suffix),
		cmocka_unit_test(test_va_call_lookups_share_one_channel),
		cmocka_unit_test(test_va_resolve_ip_literal_is_used_as_is),
		cmocka_unit_test(test_va_resolve_bad_name_is_dns_problem),
		cmocka_unit_test(test_va_pin_parse_rejects_malformed),
		cmocka_unit_test(test_va_reverse_name_ipv4_is_in_addr_arpa),
		cmocka_unit_test(test_va_reverse_name_ipv6_is_nibbles),
		cmocka_unit_test(test_va_excerpt_escapes_and_caps),
	};

	return cmocka_run_group_tests_name("va", tests, group_setup, NULL);
}
