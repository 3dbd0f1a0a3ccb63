/* test_va_http01.c - http-01 validation against real loopback servers (RFC 8555 §8.3, §10.4; RFC 6761 §6.3; RFC 8738; HARDENING C10, Z06) */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "knobs.h"
#include "va.h"

#define TOKEN	"tok3n_AAAAAAAAAAAAAAAA"
#define KA	TOKEN ".thumbprintBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define CHPATH	"/.well-known/acme-challenge/" TOKEN

/* --- a tiny scripted HTTP/1.1 server, one thread, one request per connection --- */

struct route {
	char		 path[128];
	int		 status;
	char		 headers[512];	/* extra header lines, each "\r\n"-ended */
	const char	*body;
	size_t		 bodylen;
};

struct srv {
	int		 fd;
	unsigned	 port;
	int		 stop[2];
	pthread_t	 th;
	struct route	 routes[16];
	size_t		 nroutes;
	pthread_mutex_t	 mu;
	int		 nreq;		/* requests answered */
	char		 host[16][256];	/* Host header of each request (first 16) */
};

static void
handle(struct srv *s, int c)
{
	char		 req[8192], path[256], host[256], head[1024];
	const char	*hp, *eol;
	struct pollfd	 pfd;
	struct route	*r = NULL;
	size_t		 len = 0, i;
	ssize_t		 n;

	host[0] = '\0';
	while (len < sizeof(req) - 1) {
		pfd.fd = c;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) <= 0)
			return;
		if ((n = recv(c, req + len, sizeof(req) - 1 - len, 0)) <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (sscanf(req, "GET %255s HTTP/1.1", path) != 1)
		return;
	if ((hp = strstr(req, "\r\nHost: ")) != NULL) {
		hp += 8;
		eol = strstr(hp, "\r\n");
		snprintf(host, sizeof(host), "%.*s", (int)(eol - hp), hp);
	}
	pthread_mutex_lock(&s->mu);
	if (s->nreq < 16)
		snprintf(s->host[s->nreq], sizeof(s->host[0]), "%s", host);
	s->nreq++;
	for (i = 0; i < s->nroutes; i++)
		if (strcmp(s->routes[i].path, path) == 0)
			r = &s->routes[i];
	pthread_mutex_unlock(&s->mu);
	if (r == NULL) {
		snprintf(head, sizeof(head), "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 9\r\nConnection: close\r\n\r\nnot found");
		(void)send(c, head, strlen(head), MSG_NOSIGNAL);
		return;
	}
	snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n", r->status, r->bodylen, r->headers);
	if (send(c, head, strlen(head), MSG_NOSIGNAL) < 0)
		return;
	for (i = 0; i < r->bodylen; i += (size_t)n)
		if ((n = send(c, r->body + i, r->bodylen - i,
		    MSG_NOSIGNAL)) <= 0)
			return;
}

static void *
srv_main(void *arg)
{
	struct srv	*s = arg;
	struct pollfd	 pfd[2];
	int		 c;

	for (;;) {
		pfd[0].fd = s->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->stop[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((c = accept(s->fd, NULL, NULL)) < 0)
			continue;
		handle(s, c);
		shutdown(c, SHUT_WR);
		close(c);
	}
	return NULL;
}

/* Bind addr:port (0 = any free port) and read the port back. -1 if busy. */
static int
bind_tcp(const char *addr, unsigned port, unsigned *out)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 slen;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		slen = sizeof(*s4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		slen = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) != 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &slen), 0);
	*out = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

/* 0, or -1 when addr:port cannot be bound (then the test skips). */
static int
srv_start(struct srv *s, const char *addr, unsigned port)
{
	memset(s, 0, sizeof(*s));
	if ((s->fd = bind_tcp(addr, port, &s->port)) < 0)
		return -1;
	assert_int_equal(listen(s->fd, 16), 0);
	assert_int_equal(pipe(s->stop), 0);
	pthread_mutex_init(&s->mu, NULL);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	return 0;
}

static void
srv_stop(struct srv *s)
{
	(void)write(s->stop[1], "x", 1);
	pthread_join(s->th, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	pthread_mutex_destroy(&s->mu);
}

/* Add a route before the first request (the server reads it unlocked-safe). */
static void
route(struct srv *s, const char *path, int status, const char *headers,
    const char *body, size_t bodylen)
{
	struct route	*r;

	pthread_mutex_lock(&s->mu);
	assert_true(s->nroutes < 16);
	r = &s->routes[s->nroutes++];
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->status = status;
	snprintf(r->headers, sizeof(r->headers), "%s", headers);
	r->body = body;
	r->bodylen = bodylen;
	pthread_mutex_unlock(&s->mu);
}

static void
redirect(struct srv *s, const char *path, const char *location)
{
	char	 h[512];

	snprintf(h, sizeof(h), "Location: %s\r\n", location);
	route(s, path, 302, h, "", 0);
}

static int
srv_nreq(struct srv *s)
{
	int	 n;

	pthread_mutex_lock(&s->mu);
	n = s->nreq;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void
req_init(struct va_request *r, enum acme_ident_type t, const char *value)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->authz_id, sizeof(r->authz_id), "authz1");
	snprintf(r->chall_id, sizeof(r->chall_id), "chall1");
	r->type = ACME_CHALL_HTTP01;
	r->ident.type = t;
	snprintf(r->ident.value, sizeof(r->ident.value), "%s", value);
	snprintf(r->token, sizeof(r->token), "%s", TOKEN);
	snprintf(r->key_authz, sizeof(r->key_authz), "%s", KA);
}

/* A UDP port nobody answers on: DNS through it fails fast (ICMP). */
static char dead_resolver[64];

static void
opts_init(struct va_opts *o, unsigned port)
{
	memset(o, 0, sizeof(*o));
	o->http01_port = port;
	o->timeout_s = 10;
	o->dns_resolver = dead_resolver;
}

static void
validate(const struct va_opts *o, const struct va_request *r,
    struct va_result *res)
{
	assert_int_equal(va_validate(o, r, res), 0);
	if (!res->valid)
		print_message("  detail: %s\n", res->prob.detail);
}

/* --- tests --- */

static void
test_va_http01_correct_body_is_valid(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 host[64];

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", KA, strlen(KA));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_true(res.valid);
	/* RFC 8738: Host is the IP address. */
	snprintf(host, sizeof(host), "127.0.0.1:%u", s.port);
	assert_string_equal(s.host[0], host);
	srv_stop(&s);
}

static void
test_va_http01_wrong_body_is_incorrectresponse(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", "wrong\x1b[31m\"body", 15);
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_INCORRECTRESPONSE);
	/* Z06: the escape character is escaped, never echoed raw. */
	assert_non_null(strstr(res.prob.detail, "wrong\\x1b[31m\\x22body"));
	assert_null(strchr(res.prob.detail, 0x1b));
	srv_stop(&s);
}

static void
test_va_http01_long_wrong_body_excerpt_is_capped(void **state)
{
	static char		 body[4000];
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	memset(body, 'Z', sizeof(body));
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", body, sizeof(body));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_int_equal(res.prob.type, ACME_P_INCORRECTRESPONSE);
	assert_non_null(strstr(res.prob.detail, "ZZZ..."));
	assert_null(strstr(res.prob.detail,
	    "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"));	/* 41 */
	srv_stop(&s);
}

static void
test_va_http01_trailing_whitespace_is_trimmed(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	const char		*body = KA "\r\n \t\n";

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", body, strlen(body));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_true(res.valid);
	srv_stop(&s);
}

static void
test_va_http01_leading_whitespace_is_incorrectresponse(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	const char		*body = " " KA;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", body, strlen(body));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_INCORRECTRESPONSE);
	srv_stop(&s);
}

/* Serve body at the challenge path; it must be refused as incorrectResponse. */
static void
expect_incorrect(const char *what, const char *body, size_t bodylen)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	print_message("  body: %s\n", what);
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", body, bodylen);
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_INCORRECTRESPONSE);
	assert_int_equal(srv_nreq(&s), 1);
	srv_stop(&s);
}

/*
 * The token with another account's thumbprint: the whole key authorization
 * is compared, not only the token before the '.' (RFC 8555 §8.1, §8.3).
 * Same length as ours, so only the bytes after the '.' tell them apart.
 */
static void
test_va_http01_other_thumbprint_is_incorrectresponse(void **state)
{
	const char	*other = TOKEN ".thumbprintCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
	const char	*last = TOKEN ".thumbprintBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBC";

	(void)state;
	assert_int_equal(strlen(other), strlen(KA));
	assert_int_equal(strlen(last), strlen(KA));
	expect_incorrect("other thumbprint", other, strlen(other));
	expect_incorrect("last byte differs", last, strlen(last));
	expect_incorrect("token only", TOKEN, strlen(TOKEN));
	expect_incorrect("token and dot", TOKEN ".", strlen(TOKEN "."));
}

/*
 * The key authorization followed by more bytes. §8.3 lets the server
 * ignore trailing whitespace (we trim SP, HT, CR, LF); anything else
 * after the value makes it another value.
 */
static void
test_va_http01_trailing_bytes_are_incorrectresponse(void **state)
{
	static const char	 nul[] = KA "\0";

	(void)state;
	expect_incorrect("one more byte", KA "x", strlen(KA "x"));
	expect_incorrect("a second thumbprint", KA ".thumbprintB",
	    strlen(KA ".thumbprintB"));
	expect_incorrect("NUL after", nul, sizeof(nul) - 1);
	expect_incorrect("byte after whitespace", KA "\n x",
	    strlen(KA "\n x"));
	expect_incorrect("vertical tab", KA "\v", strlen(KA "\v"));
}

/* A strict prefix of the key authorization, down to one byte. */
static void
test_va_http01_prefix_is_incorrectresponse(void **state)
{
	(void)state;
	expect_incorrect("all but the last byte", KA, strlen(KA) - 1);
	expect_incorrect("half", KA, strlen(KA) / 2);
	expect_incorrect("one byte", KA, 1);
	expect_incorrect("empty", "", 0);
}

static void
test_va_http01_not_found_is_unauthorized_with_hint(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "404"));
	assert_non_null(strstr(res.prob.detail, "not being served"));
	assert_non_null(strstr(res.prob.detail, TOKEN));
	srv_stop(&s);
}

static void
test_va_http01_server_error_is_unauthorized(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 500, "", KA, strlen(KA));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "500"));
	srv_stop(&s);
}

static void
test_va_http01_connection_refused_names_port_and_flag(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	unsigned		 port;
	char			 where[64];
	int			 fd;

	(void)state;
	/* Bound but not listening: connections are refused, race-free. */
	assert_true((fd = bind_tcp("127.0.0.1", 0, &port)) >= 0);
	opts_init(&o, port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CONNECTION);
	snprintf(where, sizeof(where), "127.0.0.1:%u", port);
	assert_non_null(strstr(res.prob.detail, "connection refused"));
	assert_non_null(strstr(res.prob.detail, where));
	assert_non_null(strstr(res.prob.detail, "--http01-port"));
	close(fd);
}

static void
test_va_http01_localhost_resolves_without_dns(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 host[64];

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", KA, strlen(KA));
	opts_init(&o, s.port);	/* the resolver is dead: DNS would fail */
	req_init(&r, ACME_IDENT_DNS, "localhost");
	validate(&o, &r, &res);
	assert_true(res.valid);
	snprintf(host, sizeof(host), "localhost:%u", s.port);
	assert_string_equal(s.host[0], host);
	srv_stop(&s);
}

static void
test_va_http01_name_under_localhost_resolves_without_dns(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", KA, strlen(KA));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_DNS, "app.localhost");
	validate(&o, &r, &res);
	assert_true(res.valid);
	srv_stop(&s);
}

static void
test_va_http01_resolve_pin_is_used(void **state)
{
	static const char *const pins[] = { "other.test=10.9.9.9",
	    "PINNED.Test=127.0.0.1" };
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 host[64];

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", KA, strlen(KA));
	opts_init(&o, s.port);
	o.resolve = pins;
	o.nresolve = 2;
	req_init(&r, ACME_IDENT_DNS, "pinned.test");
	validate(&o, &r, &res);
	assert_true(res.valid);
	snprintf(host, sizeof(host), "pinned.test:%u", s.port);
	assert_string_equal(s.host[0], host);
	srv_stop(&s);
}

static void
test_va_http01_unpinned_name_with_dead_resolver_is_dns(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	opts_init(&o, 1);
	o.timeout_s = 3;
	req_init(&r, ACME_IDENT_DNS, "nowhere.test");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_DNS);
	assert_non_null(strstr(res.prob.detail, "nowhere.test"));
}

static void
test_va_http01_ipv6_loopback_is_valid(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 host[64];

	(void)state;
	if (srv_start(&s, "::1", 0) == -1) {
		print_message("  no IPv6 loopback here; skipping\n");
		skip();
	}
	route(&s, CHPATH, 200, "", KA, strlen(KA));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "::1");
	validate(&o, &r, &res);
	assert_true(res.valid);
	snprintf(host, sizeof(host), "[::1]:%u", s.port);
	assert_string_equal(s.host[0], host);
	srv_stop(&s);
}

static void
test_va_http01_pinned_ipv6_then_ipv4_falls_back(void **state)
{
	static const char *const pins[] = { "dual.test=::1",
	    "dual.test=127.0.0.1" };
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	unsigned		 p6;
	int			 fd6;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", KA, strlen(KA));
	/* Same port on ::1 bound but not listening: refused there first. */
	if ((fd6 = bind_tcp("::1", s.port, &p6)) < 0) {
		srv_stop(&s);
		print_message("  cannot bind [::1]:%u; skipping\n", s.port);
		skip();
	}
	opts_init(&o, s.port);
	o.resolve = pins;
	o.nresolve = 2;
	req_init(&r, ACME_IDENT_DNS, "dual.test");
	validate(&o, &r, &res);
	assert_true(res.valid);
	close(fd6);
	srv_stop(&s);
}

static void
test_va_http01_redirect_to_other_host_same_port_is_followed(void **state)
{
	static const char *const pins[] = { "a.test=127.0.0.1",
	    "b.test=127.0.0.1" };
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 loc[128], host[64];

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	snprintf(loc, sizeof(loc), "http://B.test:%u/final", s.port);
	redirect(&s, CHPATH, loc);
	route(&s, "/final", 200, "", KA, strlen(KA));
	opts_init(&o, s.port);
	o.resolve = pins;
	o.nresolve = 2;
	req_init(&r, ACME_IDENT_DNS, "a.test");
	validate(&o, &r, &res);
	assert_true(res.valid);
	assert_int_equal(srv_nreq(&s), 2);
	snprintf(host, sizeof(host), "B.test:%u", s.port);
	assert_string_equal(s.host[1], host);	/* the redirect's own spelling */
	srv_stop(&s);
}

static void
test_va_http01_redirect_to_unpinned_host_uses_our_resolver(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 loc[128];

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	/* curl alone would resolve this; we must not (dead resolver). */
	snprintf(loc, sizeof(loc), "http://elsewhere.test:%u/final", s.port);
	redirect(&s, CHPATH, loc);
	route(&s, "/final", 200, "", KA, strlen(KA));
	opts_init(&o, s.port);
	o.timeout_s = 3;
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_DNS);
	assert_int_equal(srv_nreq(&s), 1);
	srv_stop(&s);
}

static void
test_va_http01_redirect_to_disallowed_port_is_refused(void **state)
{
	struct srv		 s, admin;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 loc[128], want[64];

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	assert_int_equal(srv_start(&admin, "127.0.0.1", 0), 0);
	route(&admin, "/secret", 200, "", KA, strlen(KA));
	snprintf(loc, sizeof(loc), "http://127.0.0.1:%u/secret", admin.port);
	redirect(&s, CHPATH, loc);
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CONNECTION);
	snprintf(want, sizeof(want), "port %u is not allowed", admin.port);
	assert_non_null(strstr(res.prob.detail, want));
	/* HARDENING C10: the other port never saw a request. */
	assert_int_equal(srv_nreq(&admin), 0);
	srv_stop(&admin);
	srv_stop(&s);
}

/* The --http01-redirect-ports test knob (issue #15): that port, no other. */
static void
test_va_http01_redirect_to_knob_port_is_followed(void **state)
{
	struct srv		 s, extra;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	struct knobs_opts	 ko;
	char			 loc[128], want[64];

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	assert_int_equal(srv_start(&extra, "127.0.0.1", 0), 0);
	route(&extra, CHPATH, 200, "", KA, strlen(KA));
	snprintf(loc, sizeof(loc), "http://127.0.0.1:%u%s", extra.port,
	    CHPATH);
	redirect(&s, CHPATH, loc);
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	memset(&ko, 0, sizeof(ko));
	ko.seed = 1;
	ko.redirect_ports[0] = extra.port + 1;	/* another port: still refused */
	ko.nredirect_ports = 1;
	assert_int_equal(knobs_configure(&ko), 0);
	validate(&o, &r, &res);
	assert_false(res.valid);
	snprintf(want, sizeof(want), "port %u is not allowed", extra.port);
	assert_non_null(strstr(res.prob.detail, want));
	assert_int_equal(srv_nreq(&extra), 0);
	ko.redirect_ports[1] = extra.port;
	ko.nredirect_ports = 2;
	assert_int_equal(knobs_configure(&ko), 0);
	validate(&o, &r, &res);
	ko.nredirect_ports = 0;
	assert_int_equal(knobs_configure(&ko), 0);
	assert_true(res.valid);
	assert_int_equal(srv_nreq(&extra), 1);
	srv_stop(&extra);
	srv_stop(&s);
}

static void
test_va_http01_redirect_to_port_443_is_followed(void **state)
{
	struct srv		 s, s443;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	if (srv_start(&s443, "127.0.0.1", 443) == -1) {
		print_message("  cannot bind 127.0.0.1:443; skipping\n");
		skip();
	}
	route(&s443, "/final", 200, "", KA, strlen(KA));
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	/* Port policy, not scheme policy: plain http on 443 is allowed. */
	redirect(&s, CHPATH, "http://127.0.0.1:443/final");
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_true(res.valid);
	assert_int_equal(srv_nreq(&s443), 1);
	srv_stop(&s);
	srv_stop(&s443);
}

static void
test_va_http01_redirect_to_ftp_is_refused(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	redirect(&s, CHPATH, "ftp://127.0.0.1/token");
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CONNECTION);
	assert_non_null(strstr(res.prob.detail, "only http and https"));
	srv_stop(&s);
}

static void
test_va_http01_relative_redirect_chain_of_ten_is_followed(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			 from[32], to[32];
	int			 i;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	redirect(&s, CHPATH, "/r1");
	for (i = 1; i < 10; i++) {
		snprintf(from, sizeof(from), "/r%d", i);
		snprintf(to, sizeof(to), "/r%d", i + 1);
		redirect(&s, from, to);
	}
	route(&s, "/r10", 200, "", KA, strlen(KA));
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_true(res.valid);
	assert_int_equal(srv_nreq(&s), 11);
	srv_stop(&s);
}

static void
test_va_http01_eleven_redirects_are_refused(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	redirect(&s, CHPATH, "/loop");
	redirect(&s, "/loop", "/loop");
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CONNECTION);
	assert_non_null(strstr(res.prob.detail, "too many"));
	assert_int_equal(srv_nreq(&s), 11);	/* the first + 10 redirects */
	srv_stop(&s);
}

static void
test_va_http01_one_mib_body_is_capped(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			*big;
	size_t			 n = 1024 * 1024;

	(void)state;
	assert_non_null(big = malloc(n));
	memcpy(big, KA, strlen(KA));
	memset(big + strlen(KA), ' ', n - strlen(KA));
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", big, n);
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	/* Whitespace after the key authorization, but far beyond the cap. */
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "larger than 8192"));
	srv_stop(&s);
	free(big);
}

static void
test_va_http01_body_at_cap_is_read(void **state)
{
	struct srv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	char			*body;

	(void)state;
	assert_non_null(body = malloc(VA_HTTP01_BODY_MAX));
	memcpy(body, KA, strlen(KA));
	memset(body + strlen(KA), '\n', VA_HTTP01_BODY_MAX - strlen(KA));
	assert_int_equal(srv_start(&s, "127.0.0.1", 0), 0);
	route(&s, CHPATH, 200, "", body, VA_HTTP01_BODY_MAX);
	opts_init(&o, s.port);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	validate(&o, &r, &res);
	assert_true(res.valid);
	srv_stop(&s);
	free(body);
}

static void
test_va_http01_bad_token_is_internal_error(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	opts_init(&o, 1);
	req_init(&r, ACME_IDENT_IP, "127.0.0.1");
	snprintf(r.token, sizeof(r.token), "../../admin?x");
	assert_int_equal(va_validate(&o, &r, &res), -1);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_SERVERINTERNAL);
}

static int
group_setup(void **state)
{
	unsigned	 port;
	int		 fd;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	/* A UDP port that was free a moment ago: queries to it are refused. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	{
		struct sockaddr_in	 sin;
		socklen_t		 len = sizeof(sin);

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) != 0 || getsockname(fd,
		    (struct sockaddr *)&sin, &len) != 0)
			return -1;
		port = ntohs(sin.sin_port);
	}
	close(fd);
	snprintf(dead_resolver, sizeof(dead_resolver), "127.0.0.1:%u", port);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_va_http01_correct_body_is_valid),
		cmocka_unit_test(test_va_http01_wrong_body_is_incorrectresponse),
		cmocka_unit_test(test_va_http01_long_wrong_body_excerpt_is_capped),
		cmocka_unit_test(test_va_http01_trailing_whitespace_is_trimmed),
		cmocka_unit_test(test_va_http01_leading_whitespace_is_incorrectresponse),
		cmocka_unit_test(test_va_http01_other_thumbprint_is_incorrectresponse),
		cmocka_unit_test(test_va_http01_trailing_bytes_are_incorrectresponse),
		cmocka_unit_test(test_va_http01_prefix_is_incorrectresponse),
		cmocka_unit_test(test_va_http01_not_found_is_unauthorized_with_hint),
		cmocka_unit_test(test_va_http01_server_error_is_unauthorized),
		cmocka_unit_test(test_va_http01_connection_refused_names_port_and_flag),
		cmocka_unit_test(test_va_http01_localhost_resolves_without_dns),
		cmocka_unit_test(test_va_http01_name_under_localhost_resolves_without_dns),
		cmocka_unit_test(test_va_http01_resolve_pin_is_used),
		cmocka_unit_test(test_va_http01_unpinned_name_with_dead_resolver_is_dns),
		cmocka_unit_test(test_va_http01_ipv6_loopback_is_valid),
		cmocka_unit_test(test_va_http01_pinned_ipv6_then_ipv4_falls_back),
		cmocka_unit_test(test_va_http01_redirect_to_other_host_same_port_is_followed),
		cmocka_unit_test(test_va_http01_redirect_to_unpinned_host_uses_our_resolver),
		cmocka_unit_test(test_va_http01_redirect_to_disallowed_port_is_refused),
		cmocka_unit_test(test_va_http01_redirect_to_knob_port_is_followed),
		cmocka_unit_test(test_va_http01_redirect_to_port_443_is_followed),
		cmocka_unit_test(test_va_http01_redirect_to_ftp_is_refused),
		cmocka_unit_test(test_va_http01_relative_redirect_chain_of_ten_is_followed),
		cmocka_unit_test(test_va_http01_eleven_redirects_are_refused),
		cmocka_unit_test(test_va_http01_one_mib_body_is_capped),
		cmocka_unit_test(test_va_http01_body_at_cap_is_read),
		cmocka_unit_test(test_va_http01_bad_token_is_internal_error),
	};

	return cmocka_run_group_tests_name("va_http01", tests, group_setup,
	    NULL);
}
