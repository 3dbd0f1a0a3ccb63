/* test_va_tlsalpn01.c - tls-alpn-01 validation against a real OpenSSL responder on loopback (RFC 8737 §3, RFC 8738 §6) */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>
#include <sys/time.h>

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

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "va.h"

#define TOKEN	"tok3n_CCCCCCCCCCCCCCCC"
#define KA	TOKEN ".thumbprintDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"

static const unsigned char alpn_wire[] = "\x0a" "acme-tls/1";

/* What the responder's certificate looks like. */
struct tcert {
	const char	*san;		/* X509V3 text: "DNS:a.test,IP:127.0.0.1" */
	bool		 ext;		/* carry acmeIdentifier */
	bool		 critical;
	bool		 bad_digest;
};

struct tsrv {
	int		 fd;
	unsigned	 port;
	int		 stop[2];
	pthread_t	 th;
	SSL_CTX		*ctx;
	bool		 alpn;		/* negotiate acme-tls/1 */
	pthread_mutex_t	 mu;
	char		 sni[256];	/* SNI of the last handshake */
	int		 nconn;
};

static unsigned char ka_digest[32];

static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tsrv	*s = arg;
	unsigned char	*sel;

	(void)ssl;
	if (!s->alpn)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_select_next_proto(&sel, outlen, alpn_wire,
	    sizeof(alpn_wire) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static void
make_cert(const struct tcert *tc, X509 **xout, EVP_PKEY **kout)
{
	X509		*x;
	EVP_PKEY	*k;
	X509_EXTENSION	*e;
	X509V3_CTX	 v3;
	ASN1_OBJECT	*oid;
	ASN1_OCTET_STRING *os;
	unsigned char	 der[34];

	assert_non_null(k = EVP_EC_gen("P-256"));
	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"acme-tls test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (tc->san != NULL) {
		assert_non_null(e = X509V3_EXT_conf_nid(NULL, &v3,
		    NID_subject_alt_name, tc->san));
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (tc->ext) {
		/* RFC 8737 §3: extnValue = DER OCTET STRING of the digest. */
		der[0] = 0x04;
		der[1] = 0x20;
		memcpy(der + 2, ka_digest, 32);
		if (tc->bad_digest)
			der[2] ^= 0x01;
		assert_non_null(oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1));
		assert_non_null(os = ASN1_OCTET_STRING_new());
		ASN1_OCTET_STRING_set(os, der, sizeof(der));
		assert_non_null(e = X509_EXTENSION_create_by_OBJ(NULL, oid,
		    tc->critical ? 1 : 0, os));
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(oid);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	*xout = x;
	*kout = k;
}

static void
serve_one(struct tsrv *s, int c)
{
	SSL		*ssl;
	struct timeval	 tv = { 5, 0 };
	const char	*sni;
	char		 buf[256];

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(s->ctx)) == NULL)
		return;
	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) == 1) {
		while (SSL_read(ssl, buf, sizeof(buf)) > 0)
			;
	}
	pthread_mutex_lock(&s->mu);
	s->nconn++;
	sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	snprintf(s->sni, sizeof(s->sni), "%s", sni != NULL ? sni : "");
	pthread_mutex_unlock(&s->mu);
	SSL_free(ssl);
}

static void *
tsrv_main(void *arg)
{
	struct tsrv	*s = arg;
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
		serve_one(s, c);
		close(c);
	}
	return NULL;
}

static int
bind_tcp(const char *addr, unsigned *port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 slen;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		slen = sizeof(*s4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		slen = sizeof(*s6);
	}
	assert_true((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) >= 0);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) != 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &slen), 0);
	*port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

/* 0, or -1 when addr cannot be bound (the test then skips). */
static int
tsrv_start(struct tsrv *s, const char *addr, const struct tcert *tc,
    bool alpn)
{
	X509		*x;
	EVP_PKEY	*k;

	memset(s, 0, sizeof(*s));
	if ((s->fd = bind_tcp(addr, &s->port)) < 0)
		return -1;
	assert_int_equal(listen(s->fd, 8), 0);
	make_cert(tc, &x, &k);
	assert_non_null(s->ctx = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate(s->ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, k), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	s->alpn = alpn;
	SSL_CTX_set_alpn_select_cb(s->ctx, alpn_cb, s);
	assert_int_equal(pipe(s->stop), 0);
	pthread_mutex_init(&s->mu, NULL);
	assert_int_equal(pthread_create(&s->th, NULL, tsrv_main, s), 0);
	return 0;
}

static void
tsrv_stop(struct tsrv *s)
{
	(void)write(s->stop[1], "x", 1);
	pthread_join(s->th, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	SSL_CTX_free(s->ctx);
	pthread_mutex_destroy(&s->mu);
}

static const char *const pins[] = { "a.test=127.0.0.1" };

static void
setup_req(struct va_opts *o, struct va_request *r, unsigned port,
    enum acme_ident_type t, const char *value)
{
	memset(o, 0, sizeof(*o));
	o->tlsalpn01_port = port;
	o->timeout_s = 10;
	o->resolve = pins;
	o->nresolve = 1;
	memset(r, 0, sizeof(*r));
	r->type = ACME_CHALL_TLSALPN01;
	r->ident.type = t;
	snprintf(r->ident.value, sizeof(r->ident.value), "%s", value);
	snprintf(r->token, sizeof(r->token), "%s", TOKEN);
	snprintf(r->key_authz, sizeof(r->key_authz), "%s", KA);
	memcpy(r->tlsalpn_digest, ka_digest, 32);
}

/* Run one validation of a.test against a responder with tc. */
static void
run(const struct tcert *tc, bool alpn, struct va_result *res,
    struct tsrv *s)
{
	struct va_opts		 o;
	struct va_request	 r;

	assert_int_equal(tsrv_start(s, "127.0.0.1", tc, alpn), 0);
	setup_req(&o, &r, s->port, ACME_IDENT_DNS, "a.test");
	assert_int_equal(va_validate(&o, &r, res), 0);
	if (!res->valid)
		print_message("  detail: %s\n", res->prob.detail);
	tsrv_stop(s);
}

static void
test_va_tlsalpn01_correct_certificate_is_valid(void **state)
{
	struct tcert		 tc = { "DNS:a.test", true, true, false };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, true, &res, &s);
	assert_true(res.valid);
	assert_string_equal(s.sni, "a.test");
}

static void
test_va_tlsalpn01_wrong_digest_is_incorrectresponse(void **state)
{
	struct tcert		 tc = { "DNS:a.test", true, true, true };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, true, &res, &s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_INCORRECTRESPONSE);
	assert_non_null(strstr(res.prob.detail, "acmeIdentifier"));
}

static void
test_va_tlsalpn01_missing_extension_is_unauthorized(void **state)
{
	struct tcert		 tc = { "DNS:a.test", false, false, false };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, true, &res, &s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "no acmeIdentifier"));
}

static void
test_va_tlsalpn01_noncritical_extension_is_unauthorized(void **state)
{
	struct tcert		 tc = { "DNS:a.test", true, false, false };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, true, &res, &s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "critical"));
}

static void
test_va_tlsalpn01_no_alpn_is_tls_problem(void **state)
{
	struct tcert		 tc = { "DNS:a.test", true, true, false };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, false, &res, &s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_TLS);
	assert_non_null(strstr(res.prob.detail, "acme-tls/1"));
}

static void
test_va_tlsalpn01_two_sans_is_unauthorized(void **state)
{
	struct tcert		 tc = { "DNS:a.test,DNS:b.test", true, true,
	    false };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, true, &res, &s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "exactly one"));
}

static void
test_va_tlsalpn01_other_san_is_unauthorized(void **state)
{
	struct tcert		 tc = { "DNS:b.test", true, true, false };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, true, &res, &s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "does not match"));
}

static void
test_va_tlsalpn01_no_san_is_unauthorized(void **state)
{
	struct tcert		 tc = { NULL, true, true, false };
	struct tsrv		 s;
	struct va_result	 res;

	(void)state;
	run(&tc, true, &res, &s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
	assert_non_null(strstr(res.prob.detail, "no subjectAltName"));
}

static void
test_va_tlsalpn01_ip_identifier_uses_reverse_name_sni(void **state)
{
	struct tcert		 tc = { "IP:127.0.0.1", true, true, false };
	struct tsrv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(tsrv_start(&s, "127.0.0.1", &tc, true), 0);
	setup_req(&o, &r, s.port, ACME_IDENT_IP, "127.0.0.1");
	assert_int_equal(va_validate(&o, &r, &res), 0);
	tsrv_stop(&s);
	assert_true(res.valid);
	/* RFC 8738 §6 */
	assert_string_equal(s.sni, "1.0.0.127.in-addr.arpa");
}

static void
test_va_tlsalpn01_ipv6_identifier_uses_ip6_arpa_sni(void **state)
{
	struct tcert		 tc = { "IP:::1", true, true, false };
	struct tsrv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	if (tsrv_start(&s, "::1", &tc, true) == -1) {
		print_message("  no IPv6 loopback here; skipping\n");
		skip();
	}
	setup_req(&o, &r, s.port, ACME_IDENT_IP, "::1");
	assert_int_equal(va_validate(&o, &r, &res), 0);
	tsrv_stop(&s);
	assert_true(res.valid);
	assert_string_equal(s.sni, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
}

static void
test_va_tlsalpn01_ip_san_for_other_address_is_unauthorized(void **state)
{
	struct tcert		 tc = { "IP:127.0.0.2", true, true, false };
	struct tsrv		 s;
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;

	(void)state;
	assert_int_equal(tsrv_start(&s, "127.0.0.1", &tc, true), 0);
	setup_req(&o, &r, s.port, ACME_IDENT_IP, "127.0.0.1");
	assert_int_equal(va_validate(&o, &r, &res), 0);
	tsrv_stop(&s);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_UNAUTHORIZED);
}

static void
test_va_tlsalpn01_connection_refused_names_port_and_flag(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	unsigned		 port;
	char			 want[64];
	int			 fd;

	(void)state;
	assert_true((fd = bind_tcp("127.0.0.1", &port)) >= 0);
	setup_req(&o, &r, port, ACME_IDENT_IP, "127.0.0.1");
	assert_int_equal(va_validate(&o, &r, &res), 0);
	close(fd);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CONNECTION);
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	assert_non_null(strstr(res.prob.detail, want));
	assert_non_null(strstr(res.prob.detail, "--tlsalpn01-port"));
}

static void
test_va_tlsalpn01_silent_server_times_out(void **state)
{
	struct va_opts		 o;
	struct va_request	 r;
	struct va_result	 res;
	unsigned		 port;
	int			 fd;

	(void)state;
	/* Listening, never accepting nor answering: the handshake times out. */
	assert_true((fd = bind_tcp("127.0.0.1", &port)) >= 0);
	assert_int_equal(listen(fd, 1), 0);
	setup_req(&o, &r, port, ACME_IDENT_IP, "127.0.0.1");
	o.timeout_s = 1;
	assert_int_equal(va_validate(&o, &r, &res), 0);
	close(fd);
	assert_false(res.valid);
	assert_int_equal(res.prob.type, ACME_P_CONNECTION);
	assert_non_null(strstr(res.prob.detail, "timed out"));
}

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return EVP_Digest(KA, strlen(KA), ka_digest, NULL, EVP_sha256(),
	    NULL) == 1 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_va_tlsalpn01_correct_certificate_is_valid),
		cmocka_unit_test(test_va_tlsalpn01_wrong_digest_is_incorrectresponse),
		cmocka_unit_test(test_va_tlsalpn01_missing_extension_is_unauthorized),
		cmocka_unit_test(test_va_tlsalpn01_noncritical_extension_is_unauthorized),
		cmocka_unit_test(test_va_tlsalpn01_no_alpn_is_tls_problem),
		cmocka_unit_test(test_va_tlsalpn01_two_sans_is_unauthorized),
		cmocka_unit_test(test_va_tlsalpn01_other_san_is_unauthorized),
		cmocka_unit_test(test_va_tlsalpn01_no_san_is_unauthorized),
		cmocka_unit_test(test_va_tlsalpn01_ip_identifier_uses_reverse_name_sni),
		cmocka_unit_test(test_va_tlsalpn01_ipv6_identifier_uses_ip6_arpa_sni),
		cmocka_unit_test(test_va_tlsalpn01_ip_san_for_other_address_is_unauthorized),
		cmocka_unit_test(test_va_tlsalpn01_connection_refused_names_port_and_flag),
		cmocka_unit_test(test_va_tlsalpn01_silent_server_times_out),
	};

	return cmocka_run_group_tests_name("va_tlsalpn01", tests, group_setup,
	    NULL);
}
