/* test_va_dns01.c - dns-01 validation and c-ares resolution against pebble-challtestsrv on loopback (RFC 8555 §8.4, RFC 8738 §7) */
/* SPDX-License-Identifier: MIT */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "testutil.h"
#include "va.h"

#define TOKEN	"tok3n_EEEEEEEEEEEEEEEE"
#define KA	TOKEN ".thumbprintFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
/* Any 43-character base64url string will do: the VA compares text. */
#define VALUE	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"

/* The pebble-challtestsrv we started (pid 0: not available). */
static pid_t	 srv_pid;
static unsigned	 dns_port, mgmt_port;
static char	 resolver[64];

static void
free_port_pair(unsigned *dns, unsigned *mgmt)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int			 u, t, m;

	/* A port free for both UDP and TCP, and another TCP port. */
	for (;;) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(sin);
		assert_true((u = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
		assert_int_equal(bind(u, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		assert_int_equal(getsockname(u, (struct sockaddr *)&sin,
		    &len), 0);
		assert_true((t = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
		if (bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			*dns = ntohs(sin.sin_port);
			close(t);
			close(u);
			break;
		}
		close(t);
		close(u);
	}
	sin.sin_port = 0;
	len = sizeof(sin);
	assert_true((m = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(m, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(m, (struct sockaddr *)&sin, &len), 0);
	*mgmt = ntohs(sin.sin_port);
	close(m);
}

static bool
tcp_up(unsigned port)
{
	struct sockaddr_in	 sin;
	int			 fd;
	bool			 ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/* POST to the management API; 0 on HTTP 200. */
static int
mgmt_post(const char *path, const char *json)
{
	CURL	*c;
	char	 url[128];
	long	 status = 0;
	int	 rc = -1;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", mgmt_port, path);
	if ((c = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) ==
	    CURLE_OK && status == 200)
		rc = 0;
	curl_easy_cleanup(c);
	return rc;
}

static void
set_txt(const char *host, const char *value)
{
	char	 json[512];

	snprintf(json, sizeof(json), "{\"host\":\"%s\",\"value\":\"%s\"}",
	    host, value);
	assert_int_equal(mgmt_post("/set-txt", json), 0);
}

static void
need_server(void)
{
	if (srv_pid == 0) {
		print_message("  pebble-challtestsrv is not installed or did "
		    "not start (Debian package pebble); skipping\n");
		skip();
	}
}

static void
req_init(struct va_opts *o, struct va_request *r, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->dns_resolver = resolver;
	o->timeout_s = 10;
	memset(r, 0, sizeof(*r));
	r->type = ACME_CHALL_DNS01;
	r->ident.type = ACME_IDENT_DNS;
	snprintf(r->ident.value, sizeof(r->ident.value), "%s", name);
	snprintf(r->token, sizeof(r->token), "%s", TOKEN);
	snprintf(r->key_authz, sizeof(r->key_authz), "%s", KA);
	snprintf(r->dns01_value, sizeof(r->dns01_value), "%s", VALUE);
}

static void
validate(const struct va_opts *o, const struct va_request *r,
    struct va_result *res)
{
	assert_int_equal(va_validate(o, r, res), 0);
	if (!res->valid)
		print_message("  detail: %s\n", res->prob.detail);
}

static void
test_va_dns01_matching_txt_is_valid(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	need_server();
	set_txt("_acme-challenge.ok.test.", VALUE);
	req_init(&o, &r, "ok.test");
	validate(&o, &r, &res);
	assert_true(res.valid);
}

static void
test_va_dns01_one_matching_txt_among_several_is_valid(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	need_server();
	set_txt("_acme-challenge.several.test.", "some-other-value");
	set_txt("_acme-challenge.several.test.", VALUE);
	req_init(&o, &r, "several.test");
	validate(&o, &r, &res);
	assert_true(res.valid);
}

static void
test_va_dns01_wrong_txt_is_unauthorized(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	need_server();
	set_txt("_acme-challenge.wrong.test.", "stale-value-from-last-time");
	req_init(&o, &r, "wrong.test");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "stale-value-from-last-time"));
	assert_non_null(strstr(res.prob.detail, VALUE));
	assert_non_null(strstr(res.prob.detail, "_acme-challenge.wrong.test"));
}

static void
test_va_dns01_no_txt_is_invalid_with_name(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	need_server();
	req_init(&o, &r, "empty.test");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_true(res.prob.type == ACME_P_UNAUTHORIZED ||
	    res.prob.type == ACME_P_DNS);
	assert_non_null(strstr(res.prob.detail, "_acme-challenge.empty.test"));
	assert_non_null(strstr(res.prob.detail, VALUE));
}

static void
test_va_dns01_wildcard_base_name_is_queried(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	need_server();
	/* For "*.wild.test" the RA passes "wild.test" (RFC 8555 §8.4). */
	set_txt("_acme-challenge.wild.test.", VALUE);
	req_init(&o, &r, "wild.test");
	validate(&o, &r, &res);
	assert_true(res.valid);
}

static void
test_va_dns01_unstripped_wildcard_is_internal_error(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	req_init(&o, &r, "*.wild.test");
	assert_int_equal(va_validate(&o, &r, &res), -1);
	assert_int_equal(res.prob.type, ACME_P_SERVERINTERNAL);
}

static void
test_va_dns01_ip_identifier_is_unauthorized(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	req_init(&o, &r, "127.0.0.1");
	r.ident.type = ACME_IDENT_IP;
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "RFC 8738"));
}

static void
test_va_dns01_unreachable_resolver_is_dns_problem(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 dead[64];

	(void)state;
	tu_dead_udp(dead, sizeof(dead));
	req_init(&o, &r, "ok.test");
	o.dns_resolver = dead;
	o.timeout_s = 3;
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_DNS);
}

/* A one-shot HTTP responder for the resolver test below. */
struct one {
	int	 fd;
};

static void *
one_main(void *arg)
{
	struct one	*s = arg;
	char		 buf[4096], resp[256];
	struct pollfd	 pfd;
	int		 c;

	pfd.fd = s->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || (c = accept(s->fd, NULL, NULL)) < 0)
		return NULL;
	pfd.fd = c;
	if (poll(&pfd, 1, 10000) == 1)
		(void)recv(c, buf, sizeof(buf), 0);
	snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu"
	    "\r\nConnection: close\r\n\r\n%s", strlen(KA), KA);
	(void)send(c, resp, strlen(resp), MSG_NOSIGNAL);
	close(c);
	return NULL;
}

static void
test_va_dns01_resolver_answers_http01_address_lookups(void **state)
{
	struct sockaddr_in	 sin;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	struct one		 s;
	pthread_t		 th;
	socklen_t		 len = sizeof(sin);

	(void)state;
	need_server();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s.fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s.fd, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(listen(s.fd, 4), 0);
	assert_int_equal(pthread_create(&th, NULL, one_main, &s), 0);
	/* challtestsrv answers A 127.0.0.1 (and AAAA ::1) for any name. */
	req_init(&o, &r, "viadns.test");
	r.type = ACME_CHALL_HTTP01;
	o.http01_port = ntohs(sin.sin_port);
	validate(&o, &r, &res);
	pthread_join(th, NULL);
	close(s.fd);
	assert_true(res.valid);
}

static int
group_setup(void **state)
{
	char				 dnsarg[64], mgmtarg[64];
	char				*argv[] = { "pebble-challtestsrv",
	    "-dns01", dnsarg, "-management", mgmtarg, "-http01", "",
	    "-https01", "", "-tlsalpn01", "", NULL };
	struct timespec			 ts = { 0, 50 * 1000 * 1000 };
	pid_t				 pid, parent;
	int				 i, fd;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	free_port_pair(&dns_port, &mgmt_port);
	snprintf(dnsarg, sizeof(dnsarg), "127.0.0.1:%u", dns_port);
	snprintf(mgmtarg, sizeof(mgmtarg), "127.0.0.1:%u", mgmt_port);
	snprintf(resolver, sizeof(resolver), "127.0.0.1:%u", dns_port);
	parent = getpid();
	if ((pid = fork()) == -1)
		return 0;	/* tests that need it skip */
	if (pid == 0) {
		/* Die with the test, even if it aborts before teardown. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	srv_pid = pid;
	for (i = 0; i < 200; i++) {	/* up to ~10 s */
		if (tcp_up(mgmt_port) && tcp_up(dns_port))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			srv_pid = 0;	/* exited (127: not installed) */
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	srv_pid = 0;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (srv_pid != 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
		srv_pid = 0;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_va_dns01_matching_txt_is_valid),
		cmocka_unit_test(test_va_dns01_one_matching_txt_among_several_is_valid),
		cmocka_unit_test(test_va_dns01_wrong_txt_is_unauthorized),
		cmocka_unit_test(test_va_dns01_no_txt_is_invalid_with_name),
		cmocka_unit_test(test_va_dns01_wildcard_base_name_is_queried),
		cmocka_unit_test(test_va_dns01_unstripped_wildcard_is_internal_error),
		cmocka_unit_test(test_va_dns01_ip_identifier_is_unauthorized),
		cmocka_unit_test(test_va_dns01_unreachable_resolver_is_dns_problem),
		cmocka_unit_test(test_va_dns01_resolver_answers_http01_address_lookups),
	};

	return cmocka_run_group_tests_name("va_dns01", tests, group_setup,
	    group_teardown);
}
