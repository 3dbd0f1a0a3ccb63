/* test_httpd.c - httpd over real loopback sockets (HARDENING T08-T18, X25-X29; connection limits, issue #12; held answers, #17) */
/* SPDX-License-Identifier: MIT */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <errno.h>
#include <ifaddrs.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
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
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "httpd.h"

/* ---- what the handler saw (written in MHD threads, read in the test) ---- */

struct seen {
	pthread_mutex_t	 mu;
	int		 calls;
	int		 status;	/* what to answer; 0 = 200 */
	bool		 close;
	char		 method[16];
	char		 path[256];
	char		 raw_path[256];	/* "(null)" when NULL */
	char		 query[256];	/* "(null)" when NULL */
	char		 ctype[128];
	char		 nonce[128];
	char		 origin[128];
	char		 remote[64];
	char		 reqid[64];
	char		*body;
	size_t		 bodysz;
	bool		 too_large;
	int		 listener;
};

static struct seen S = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* Over two TLS records (16 KiB each) and over httpd's write hold. */
#define BIG_BODY	40000

static void
cp(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "(null)");
}

static void hold_handler(const struct http_request *, struct http_response *);

static void
handler(void *arg, const struct http_request *req, struct http_response *resp)
{
	char *b;
	int n;

	(void)arg;
	if (strncmp(req->path, "/hold/", 6) == 0) {
		hold_handler(req, resp);
		return;
	}
	pthread_mutex_lock(&S.mu);
	S.calls++;
	cp(S.method, sizeof(S.method), req->method);
	cp(S.path, sizeof(S.path), req->path);
	cp(S.raw_path, sizeof(S.raw_path), req->raw_path);
	cp(S.query, sizeof(S.query), req->query);
	cp(S.ctype, sizeof(S.ctype), req->content_type);
	cp(S.nonce, sizeof(S.nonce), req->replay_nonce);
	cp(S.origin, sizeof(S.origin), req->origin);
	cp(S.remote, sizeof(S.remote), req->remote_addr);
	cp(S.reqid, sizeof(S.reqid), req->request_id);
	free(S.body);
	S.body = malloc(req->bodysz + 1);
	memcpy(S.body, req->body, req->bodysz + 1);
	S.bodysz = req->bodysz;
	S.too_large = req->body_too_large;
	S.listener = req->listener;
	resp->status = req->body_too_large ? 413 : S.status != 0 ? S.status : 200;
	resp->close = S.close;
	pthread_mutex_unlock(&S.mu);

	resp->content_type = "text/plain";
	http_response_add_header(resp, "X-Test", "yes %d", 1);
	/* /tid answers the handling thread's id (which worker serves it). */
	if (strcmp(req->path, "/tid") == 0) {
		n = snprintf(NULL, 0, "tid %lu", (unsigned long)pthread_self());
		b = malloc((size_t)n + 1);
		snprintf(b, (size_t)n + 1, "tid %lu",
		    (unsigned long)pthread_self());
		resp->body = b;
		resp->bodysz = (size_t)n;
		return;
	}
	/* /status/NNN answers NNN; /big answers BIG_BODY bytes. */
	if (strncmp(req->path, "/status/", 8) == 0)
		resp->status = atoi(req->path + 8);
	if (strcmp(req->path, "/big") == 0) {
		resp->body = malloc(BIG_BODY);
		for (n = 0; n < BIG_BODY; n++)
			resp->body[n] = (char)('a' + n % 26);
		resp->bodysz = BIG_BODY;
		return;
	}
	n = snprintf(NULL, 0, "hello %s %zu", req->method, req->bodysz);
	b = malloc((size_t)n + 1);
	snprintf(b, (size_t)n + 1, "hello %s %zu", req->method, req->bodysz);
	resp->body = b;
	resp->bodysz = (size_t)n;
}

static int
calls(void)
{
	int n;

	pthread_mutex_lock(&S.mu);
	n = S.calls;
	pthread_mutex_unlock(&S.mu);
	return n;
}

static int
reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&S.mu);
	free(S.body);
	memset((char *)&S + sizeof(S.mu), 0, sizeof(S) - sizeof(S.mu));
	pthread_mutex_unlock(&S.mu);
	return 0;
}

/* ---- a throwaway self-signed certificate ---- */

struct pem {
	char	*cert;
	char	*key;
};

static char *
bio_text(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	s = malloc((size_t)n + 1);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

static struct pem
make_cert(const char *cn, long serial)
{
	struct pem out = { NULL, NULL };
	EVP_PKEY *k;
	X509 *x;
	X509_NAME *nm;
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	BIO *b;

	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    "DNS:localhost,IP:127.0.0.1,IP:::1");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	out.cert = bio_text(b);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	out.key = bio_text(b);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

static void
pem_free(struct pem *p)
{
	free(p->cert);
	free(p->key);
}

/* ---- server ---- */

static struct httpd *
start(struct httpd_opts *o, const char *listen)
{
	static const char *one[1];
	struct httpd *h;
	char err[256] = "";

	one[0] = listen != NULL ? listen : "127.0.0.1:0";
	o->listen = one;
	o->nlisten = 1;
	if (o->threads == 0)
		o->threads = 2;
	h = httpd_new(o, handler, NULL, err, sizeof(err));
	if (h == NULL)
		fail_msg("httpd_new: %s", err);
	if (httpd_start(h, err, sizeof(err)) != 0)
		fail_msg("httpd_start: %s", err);
	assert_true(httpd_bound_port(h, 0) > 0);
	return h;
}

/* ---- raw clients ---- */

static int
dial(int family, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
	struct timeval tv = { 20, 0 };	/* failsafe, never the assertion */
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	fd = socket(family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void
send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/*
 * Read until the peer closes. Returns the bytes (NUL-terminated, caller
 * frees); *closed is false when the 20 s failsafe expired instead.
 */
static char *
read_all(int fd, size_t *len, bool *closed)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	ssize_t r;

	*closed = false;
	for (;;) {
		if (cap - n < 2048)
			b = realloc(b, cap *= 2);
		r = recv(fd, b + n, cap - n - 1, 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET)) {
			*closed = true;
			break;
		}
		if (r < 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	if (len != NULL)
		*len = n;
	return b;
}

/* One request on a fresh plain connection; returns the whole answer. */
static char *
exchange(int port, const char *req, size_t reqlen)
{
	bool closed;
	char *resp;
	int fd = dial(AF_INET, port);

	send_all(fd, req, reqlen);
	resp = read_all(fd, NULL, &closed);
	close(fd);
	assert_true(closed);
	return resp;
}

static int
status_of(const char *resp)
{
	if (strncmp(resp, "HTTP/1.", 7) != 0)
		return -1;
	return atoi(resp + 9);
}

/* ---- TLS client ---- */

static char *
peer_cn(int port)
{
	SSL_CTX *ctx;
	SSL *ssl;
	X509 *x;
	char cn[128] = "";
	int fd = dial(AF_INET, port);

	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	x = SSL_get1_peer_certificate(ssl);
	assert_non_null(x);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn));
	X509_free(x);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return strdup(cn);
}

struct sink {
	char	*buf;
	size_t	 len;
};

static size_t
sink_write(char *p, size_t sz, size_t nm, void *u)
{
	struct sink *s = u;

	s->buf = realloc(s->buf, s->len + sz * nm + 1);
	memcpy(s->buf + s->len, p, sz * nm);
	s->len += sz * nm;
	s->buf[s->len] = '\0';
	return sz * nm;
}

/* A real client (libcurl) over verified TLS. Returns the HTTP status. */
static long
curl_do(int port, const struct pem *ca, const char *method,
    const char *path, const char *ctype, const char *body,
    struct sink *hdrs, struct sink *out)
{
	struct curl_blob blob = { ca->cert, strlen(ca->cert), CURL_BLOB_COPY };
	struct curl_slist *sl = NULL;
	char url[512], ct[160];
	long code = -1;
	CURL *c;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
	c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	sl = curl_slist_append(sl, "Origin: https://example.test");
	if (ctype != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		sl = curl_slist_append(sl, ct);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(sl);
	curl_easy_cleanup(c);
	return code;
}

/* ---- tests: requests and responses ---- */

static void
test_httpd_tls_get_reaches_handler_with_fields(void **state)
{
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { 0 };
	struct sink hd = { 0 }, body = { 0 };
	struct httpd *h;
	char want[80];

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	assert_int_equal(curl_do(httpd_bound_port(h, 0), &p, "GET",
	    "/acme/a%20b?x=1&y", NULL, NULL, &hd, &body), 200);
	assert_int_equal(calls(), 1);
	assert_string_equal(S.method, "GET");
	assert_string_equal(S.path, "/acme/a b");
	assert_string_equal(S.raw_path, "/acme/a%20b");
	assert_string_equal(S.query, "x=1&y");
	assert_string_equal(S.origin, "https://example.test");
	assert_string_equal(S.nonce, "(null)");
	assert_string_equal(S.remote, "127.0.0.1");
	/* a random UUID (RFC 9562 §5.4), also the X-Request-Id header */
	assert_int_equal(strlen(S.reqid), 36);
	assert_int_equal(S.reqid[14], '4');
	assert_non_null(strchr("89ab", S.reqid[19]));
	snprintf(want, sizeof(want), "X-Request-Id: %s\r\n", S.reqid);
	assert_non_null(strstr(hd.buf, want));
	assert_int_equal(S.listener, 0);
	assert_string_equal(body.buf, "hello GET 0");
	assert_non_null(strstr(hd.buf, "X-Test: yes 1\r\n"));
	assert_non_null(strstr(hd.buf, "Content-Type: text/plain\r\n"));
	free(hd.buf);
	free(body.buf);
	httpd_free(h);
	pem_free(&p);
}

/*
 * RFC 8555 §6.4 compares a JWS url with the request target as received:
 * the handler gets it undecoded (raw_path) beside the decoded path that
 * routes, with the query split off, and the absolute form reduced to
 * its path as for path.
 */
static void
test_httpd_raw_target_reaches_handler_undecoded(void **state)
{
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { 0 };
	struct sink hd = { 0 }, body = { 0 };
	struct httpd *h;

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	assert_int_equal(curl_do(httpd_bound_port(h, 0), &p, "POST",
	    "/acme/new%2Dorder?c=%41", "application/jose+json", "{}", &hd,
	    &body), 200);
	assert_string_equal(S.path, "/acme/new-order");
	assert_string_equal(S.raw_path, "/acme/new%2Dorder");
	assert_string_equal(S.query, "c=%41");
	free(hd.buf);
	free(body.buf);
	memset(&hd, 0, sizeof(hd));
	memset(&body, 0, sizeof(body));
	assert_int_equal(curl_do(httpd_bound_port(h, 0), &p, "GET",
	    "/%6eew-order", NULL, NULL, &hd, &body), 200);
	assert_string_equal(S.path, "/new-order");
	assert_string_equal(S.raw_path, "/%6eew-order");
	assert_string_equal(S.query, "(null)");
	free(hd.buf);
	free(body.buf);
	httpd_free(h);
	pem_free(&p);
}

static void
test_httpd_tls_post_body_delivered(void **state)
{
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { 0 };
	struct sink hd = { 0 }, body = { 0 };
	struct httpd *h;

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	assert_int_equal(curl_do(httpd_bound_port(h, 0), &p, "POST",
	    "/acme/new-order", "application/jose+json", "{\"a\":1}", &hd,
	    &body), 200);
	assert_string_equal(S.method, "POST");
	assert_string_equal(S.ctype, "application/jose+json");
	assert_string_equal(S.body, "{\"a\":1}");
	assert_int_equal(S.bodysz, 7);
	assert_false(S.too_large);
	assert_string_equal(S.query, "(null)");
	assert_string_equal(body.buf, "hello POST 7");
	free(hd.buf);
	free(body.buf);
	httpd_free(h);
	pem_free(&p);
}

static void
test_httpd_head_answered_headers_without_body(void **state)
{
	static const char rq[] = "HEAD /acme/new-nonce HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n";
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char *r, *eoh;

	(void)state;
	h = start(&o, NULL);
	r = exchange(httpd_bound_port(h, 0), rq, sizeof(rq) - 1);
	assert_int_equal(status_of(r), 200);
	assert_string_equal(S.method, "HEAD");
	assert_non_null(strstr(r, "X-Test: yes 1\r\n"));
	assert_non_null(eoh = strstr(r, "\r\n\r\n"));
	assert_string_equal(eoh + 4, "");	/* no body bytes */
	free(r);
	httpd_free(h);
}

static void
test_httpd_replay_nonce_request_header_exposed(void **state)
{
	static const char rq[] = "GET /x HTTP/1.1\r\nHost: x\r\n"
	    "Replay-Nonce: abc_DEF\r\nConnection: close\r\n\r\n";
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char *r;

	(void)state;
	h = start(&o, NULL);
	r = exchange(httpd_bound_port(h, 0), rq, sizeof(rq) - 1);
	assert_int_equal(status_of(r), 200);
	assert_string_equal(S.nonce, "abc_DEF");	/* T12: WFE decides */
	free(r);
	httpd_free(h);
}

static void
test_httpd_close_flag_sends_connection_close(void **state)
{
	static const char rq[] = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char *r;

	(void)state;
	S.close = true;
	S.status = 404;
	h = start(&o, NULL);
	/* Keep-alive request: only the close flag ends the connection. */
	r = exchange(httpd_bound_port(h, 0), rq, sizeof(rq) - 1);
	assert_int_equal(status_of(r), 404);
	assert_non_null(strstr(r, "Connection: close\r\n"));
	free(r);
	httpd_free(h);
}

static void
bad_status_handler(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	(void)arg;
	(void)req;
	resp->body = strdup("leaked?");
	resp->bodysz = 7;
}

static void
test_httpd_handler_without_status_answered_500(void **state)
{
	static const char rq[] = "GET /x HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	static const char *one[] = { "127.0.0.1:0" };
	struct httpd_opts o = { .listen = one, .nlisten = 1, .threads = 1 };
	struct httpd *h;
	char err[128], *r;

	(void)state;
	assert_non_null(h = httpd_new(&o, bad_status_handler, NULL, err,
	    sizeof(err)));
	assert_int_equal(httpd_start(h, err, sizeof(err)), 0);
	r = exchange(httpd_bound_port(h, 0), rq, sizeof(rq) - 1);
	assert_int_equal(status_of(r), 500);
	assert_null(strstr(r, "leaked?"));
	free(r);
	httpd_free(h);
}

/* ---- tests: body limits ---- */

static void
test_httpd_body_over_cap_answered_413_and_closed(void **state)
{
	struct httpd_opts o = { .max_body = 1024 };
	struct httpd *h;
	char hdr[256], *body, *r;
	size_t blen = 1 << 20;
	int fd, n;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	/* T08, with a length the server only learns by reading: chunked. */
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	n = snprintf(hdr, sizeof(hdr), "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/jose+json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", blen);
	send_all(fd, hdr, (size_t)n);
	body = malloc(blen);
	memset(body, 'a', blen);
	send_all(fd, body, blen);
	send_all(fd, "\r\n0\r\n\r\n", 7);
	r = read_all(fd, NULL, &closed);
	assert_true(closed);
	assert_int_equal(status_of(r), 413);
	assert_non_null(strstr(r, "Connection: close\r\n"));
	assert_int_equal(calls(), 1);
	assert_true(S.too_large);
	assert_int_equal(S.bodysz, 0);
	free(r);
	free(body);
	close(fd);
	httpd_free(h);
}

static void
test_httpd_chunked_over_cap_several_chunks_answered_413(void **state)
{
	struct httpd_opts o = { .max_body = 1000 };
	struct httpd *h;
	char chunk[600], *r;
	int fd, i;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	/* T09: 3 x 600 B chunks, no Content-Length, cap 1000. */
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	send_str(fd, "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	memset(chunk, 'b', sizeof(chunk));
	for (i = 0; i < 3; i++) {
		send_all(fd, "258\r\n", 5);
		send_all(fd, chunk, sizeof(chunk));
		send_all(fd, "\r\n", 2);
	}
	send_all(fd, "0\r\n\r\n", 5);
	r = read_all(fd, NULL, &closed);
	assert_int_equal(status_of(r), 413);
	assert_true(S.too_large);
	free(r);
	close(fd);
	httpd_free(h);
}

static void
test_httpd_chunked_under_cap_reassembled(void **state)
{
	static const char rq[] = "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
	struct httpd_opts o = { .max_body = 64 };
	struct httpd *h;
	char *r;

	(void)state;
	h = start(&o, NULL);
	r = exchange(httpd_bound_port(h, 0), rq, sizeof(rq) - 1);
	assert_int_equal(status_of(r), 200);
	assert_string_equal(S.body, "hello world");
	assert_false(S.too_large);
	free(r);
	httpd_free(h);
}

static void
test_httpd_body_exactly_at_cap_accepted(void **state)
{
	static const char rq[] = "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 8\r\nConnection: close\r\n\r\n12345678";
	struct httpd_opts o = { .max_body = 8 };
	struct httpd *h;
	char *r;

	(void)state;
	h = start(&o, NULL);
	r = exchange(httpd_bound_port(h, 0), rq, sizeof(rq) - 1);
	assert_int_equal(status_of(r), 200);
	assert_string_equal(S.body, "12345678");
	assert_false(S.too_large);
	free(r);
	httpd_free(h);
}

static void
test_httpd_declared_length_over_cap_answered_before_body(void **state)
{
	static const char rq[] = "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 10000000\r\n\r\n0123456789";
	struct httpd_opts o = { .max_body = 65536, .conn_timeout_s = 30,
	    .request_deadline_s = 60 };
	struct httpd *h;
	char *r;
	int fd;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	/* T10: 10 bytes of 10 MB, then stall with the socket open. */
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	send_all(fd, rq, sizeof(rq) - 1);
	r = read_all(fd, NULL, &closed);
	/* Answered and closed long before the 30 s idle timeout. */
	assert_true(closed);
	assert_int_equal(status_of(r), 413);
	assert_true(S.too_large);
	assert_int_equal(S.bodysz, 0);
	free(r);
	close(fd);
	httpd_free(h);
}

/*
 * A Content-Length over the cap but not absurd: the body is read and
 * dropped before the 413, so the client is never reset mid-send and loses
 * the answer (answering first and closing with the body unread does that).
 */
static void
test_httpd_declared_length_over_cap_drained_then_413(void **state)
{
	struct httpd_opts o = { .max_body = 1024 };
	struct httpd *h;
	struct pollfd pfd;
	char hdr[256], *body, *r;
	size_t blen = 40 << 10;
	int fd, n;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	n = snprintf(hdr, sizeof(hdr), "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/jose+json\r\n"
	    "Content-Length: %zu\r\n\r\n", blen);
	send_all(fd, hdr, (size_t)n);
	/* No answer while the body is still owed. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 300), 0);
	body = malloc(blen);
	memset(body, 'c', blen);
	send_all(fd, body, blen);
	r = read_all(fd, NULL, &closed);
	assert_int_equal(status_of(r), 413);
	assert_non_null(strstr(r, "Connection: close\r\n"));
	assert_true(S.too_large);
	assert_int_equal(S.bodysz, 0);
	free(r);
	free(body);
	close(fd);
	httpd_free(h);
}

/* ---- tests: odd requests ---- */

static void
test_httpd_http10_without_host_answered(void **state)
{
	static const char rq[] = "GET /directory HTTP/1.0\r\n\r\n";
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char *r;

	(void)state;
	h = start(&o, NULL);
	r = exchange(httpd_bound_port(h, 0), rq, sizeof(rq) - 1);	/* T18 */
	assert_int_equal(status_of(r), 200);
	assert_string_equal(S.path, "/directory");
	free(r);
	httpd_free(h);
}

static void
test_httpd_huge_uri_refused_server_still_serves(void **state)
{
	static const char ok[] = "GET /x HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { 0 };
	struct httpd *h;
	size_t n = 100 * 1024;
	char *rq, *r;
	int st, fd;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	rq = malloc(n + 64);
	memcpy(rq, "GET /", 5);
	memset(rq + 5, 'a', n);
	memcpy(rq + 5 + n, " HTTP/1.1\r\nHost: x\r\n\r\n", 23);
	/* T13: 414 or a close, and no handler call. */
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	send(fd, rq, n + 27, MSG_NOSIGNAL);	/* may be cut short */
	r = read_all(fd, NULL, &closed);
	assert_true(closed);
	st = status_of(r);
	assert_true(st == -1 || st == 414 || st == 431 || st == 400);
	assert_int_equal(calls(), 0);
	free(r);
	close(fd);
	r = exchange(httpd_bound_port(h, 0), ok, sizeof(ok) - 1);
	assert_int_equal(status_of(r), 200);
	free(r);
	free(rq);
	httpd_free(h);
}

/* ---- tests: listeners and TLS ---- */

/*
 * Connections opened together are served by different threads (issue
 * #17, src/httpd/acceptor.h). MHD's own accept let one worker take up to
 * ten at once, so a client's four connections shared one thread.
 */
static void
test_httpd_connections_opened_together_spread_over_workers(void **state)
{
	static const char rq[] = "GET /tid HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { .threads = 4 };
	struct sockaddr_in sa;
	struct httpd *h;
	char *r, *tid[4];
	bool closed;
	int fd[4], distinct = 0;

	(void)state;
	h = start(&o, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)httpd_bound_port(h, 0));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* all four sockets first, then the connects back to back */
	for (int i = 0; i < 4; i++)
		assert_true((fd[i] = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(connect(fd[i], (struct sockaddr *)&sa,
		    sizeof(sa)), 0);
	for (int i = 0; i < 4; i++) {
		send_all(fd[i], rq, sizeof(rq) - 1);
		r = read_all(fd[i], NULL, &closed);
		assert_true(closed);
		assert_int_equal(status_of(r), 200);
		assert_non_null(tid[i] = strstr(r, "tid "));
		tid[i] = strdup(tid[i]);
		free(r);
		close(fd[i]);
	}
	for (int i = 0; i < 4; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen = seen || strcmp(tid[i], tid[j]) == 0;
		distinct += !seen;
	}
	for (int i = 0; i < 4; i++)
		free(tid[i]);
	assert_int_equal(distinct, 4);
	httpd_free(h);
}

static void
test_httpd_port_zero_bound_to_real_port(void **state)
{
	static const char *two[] = { "127.0.0.1:0", "127.0.0.1:0" };
	static const char rq[] = "GET /x HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { .listen = two, .nlisten = 2, .threads = 1 };
	struct httpd *h;
	char err[128], *r;
	int p0, p1;

	(void)state;
	assert_non_null(h = httpd_new(&o, handler, NULL, err, sizeof(err)));
	assert_int_equal(httpd_bound_port(h, 0), -1);	/* not started */
	assert_int_equal(httpd_start(h, err, sizeof(err)), 0);
	p0 = httpd_bound_port(h, 0);
	p1 = httpd_bound_port(h, 1);
	assert_true(p0 > 0 && p1 > 0 && p0 != p1);
	assert_int_equal(httpd_bound_port(h, 2), -1);
	r = exchange(p1, rq, sizeof(rq) - 1);
	assert_int_equal(status_of(r), 200);
	assert_int_equal(S.listener, 1);
	free(r);
	httpd_free(h);
}

static bool
have_ipv6_loopback(void)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
	    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0;
	close(fd);
	return ok;
}

static void
test_httpd_ipv6_listener_serves(void **state)
{
	static const char rq[] = "GET /six HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char *r;
	bool closed;
	int fd;

	(void)state;
	if (!have_ipv6_loopback())
		skip();
	h = start(&o, "[::1]:0");
	fd = dial(AF_INET6, httpd_bound_port(h, 0));
	send_all(fd, rq, sizeof(rq) - 1);
	r = read_all(fd, NULL, &closed);
	assert_int_equal(status_of(r), 200);
	assert_string_equal(S.remote, "::1");
	free(r);
	close(fd);
	httpd_free(h);
}

static void
test_httpd_set_certificate_new_handshake_sees_new_cert(void **state)
{
	struct pem one = make_cert("one", 1), two = make_cert("two", 2);
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char *cn;

	(void)state;
	o.cert_pem = one.cert;
	o.key_pem = one.key;
	h = start(&o, NULL);
	cn = peer_cn(httpd_bound_port(h, 0));
	assert_string_equal(cn, "one");
	free(cn);
	assert_int_equal(httpd_set_certificate(h, two.cert, two.key), 0);
	cn = peer_cn(httpd_bound_port(h, 0));
	assert_string_equal(cn, "two");
	free(cn);
	httpd_free(h);
	pem_free(&one);
	pem_free(&two);
}

static void
test_httpd_set_certificate_mismatched_key_refused(void **state)
{
	struct pem one = make_cert("one", 1), two = make_cert("two", 2);
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char *cn;

	(void)state;
	o.cert_pem = one.cert;
	o.key_pem = one.key;
	h = start(&o, NULL);
	assert_int_equal(httpd_set_certificate(h, two.cert, one.key), -1);
	assert_int_equal(httpd_set_certificate(h, "junk", "junk"), -1);
	cn = peer_cn(httpd_bound_port(h, 0));
	assert_string_equal(cn, "one");	/* unchanged */
	free(cn);
	httpd_free(h);
	pem_free(&one);
	pem_free(&two);
}

static void
test_httpd_new_bad_options_refused(void **state)
{
	static const char *names[] = { "localhost:80" };
	static const char *v6bare[] = { "::1:80" };
	static const char *bigport[] = { "127.0.0.1:65536" };
	struct pem one = make_cert("one", 1), two = make_cert("two", 2);
	struct httpd_opts o = { .listen = names, .nlisten = 1 };
	char err[160];

	(void)state;
	assert_null(httpd_new(&o, handler, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "listen"));
	o.listen = v6bare;
	assert_null(httpd_new(&o, handler, NULL, err, sizeof(err)));
	o.listen = bigport;
	assert_null(httpd_new(&o, handler, NULL, err, sizeof(err)));
	o.listen = NULL;
	assert_null(httpd_new(&o, handler, NULL, err, sizeof(err)));
	o.listen = (const char *const[]){ "127.0.0.1:0" };
	o.cert_pem = one.cert;
	o.key_pem = two.key;
	assert_null(httpd_new(&o, handler, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "does not match"));
	pem_free(&one);
	pem_free(&two);
}

static void
test_httpd_add_header_injection_and_overflow_refused(void **state)
{
	struct http_response r = { 0 };
	int i;

	(void)state;
	assert_int_equal(http_response_add_header(&r, "Location",
	    "https://x/%s", "a\r\nSet-Cookie: x=1"), -1);
	assert_int_equal(http_response_add_header(&r, "Bad Name", "v"), -1);
	assert_int_equal(http_response_add_header(&r, "Bad:Name", "v"), -1);
	assert_int_equal(r.nhdrs, 0);
	for (i = 0; i < HTTP_MAXHDRS; i++)
		assert_int_equal(http_response_add_header(&r, "X-N", "%d", i),
		    0);
	assert_int_equal(http_response_add_header(&r, "X-N", "more"), -1);
	assert_string_equal(r.hdrs[3].value, "3");
	r.body = strdup("b");
	http_response_clear(&r);
	assert_int_equal(r.nhdrs, 0);
	assert_null(r.body);
	http_response_clear(&r);	/* idempotent */
}

/* ---- tests: slow and abusive clients ---- */

static void
test_httpd_drip_fed_body_closed_at_deadline(void **state)
{
	static const char hdr[] = "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 60000\r\n\r\n";
	struct httpd_opts o = { .conn_timeout_s = 3, .request_deadline_s = 2 };
	struct timespec tick = { 0, 300 * 1000 * 1000 };
	struct httpd *h;
	char c;
	int fd, i;
	bool closed = false;

	(void)state;
	h = start(&o, NULL);
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	send_all(fd, hdr, sizeof(hdr) - 1);
	/*
	 * X27: one byte every 0.3 s never trips the 3 s inactivity timeout;
	 * only the 2 s deadline can end it. Give up after 60 drips (18 s).
	 */
	for (i = 0; i < 60 && !closed; i++) {
		if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) {
			closed = true;
			break;
		}
		nanosleep(&tick, NULL);
		if (recv(fd, &c, 1, MSG_DONTWAIT) == 0 ||
		    (errno == ECONNRESET))
			closed = true;
	}
	assert_true(closed);
	assert_int_equal(calls(), 0);
	close(fd);
	httpd_free(h);
}

static void
test_httpd_idle_tls_connection_closed_at_timeout(void **state)
{
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { .conn_timeout_s = 1 };
	struct httpd *h;
	char *r;
	int fd;
	bool closed;

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	/* X29: TCP open, no ClientHello; closed at 1 s (failsafe 20 s). */
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	r = read_all(fd, NULL, &closed);
	assert_true(closed);
	free(r);
	close(fd);
	httpd_free(h);
	pem_free(&p);
}

/* Read one HTTP/1.1 response off ssl (bodyless: HEAD, 204, 304). */
static int
tls_read_response(SSL *ssl, char *buf, size_t cap, size_t *have,
    bool bodyless, char **body, size_t *bodysz)
{
	char *eoh, *cl;
	size_t hl, want;
	int r, status;

	for (;;) {
		buf[*have] = '\0';
		if ((eoh = strstr(buf, "\r\n\r\n")) != NULL) {
			hl = (size_t)(eoh + 4 - buf);
			cl = strstr(buf, "Content-Length: ");
			want = bodyless || cl == NULL || cl > eoh ? 0 :
			    strtoul(cl + 16, NULL, 10);
			if (*have >= hl + want)
				break;
		}
		assert_true(*have + 1 < cap);
		r = SSL_read(ssl, buf + *have, (int)(cap - *have - 1));
		assert_true(r > 0);	/* 20 s failsafe: a lost answer */
		*have += (size_t)r;
	}
	status = status_of(buf);
	*bodysz = want;
	*body = malloc(want + 1);
	memcpy(*body, buf + hl, want);
	(*body)[want] = '\0';
	memmove(buf, buf + hl + want, *have - hl - want);
	*have -= hl + want;
	return status;
}

/*
 * Issue #17: httpd reads ahead of GnuTLS and sends a response's header
 * and body records in one write. Six pipelined requests in one TCP
 * write (records for a bodyless 204, HEAD and 304, a small answer, a
 * request body over the read-ahead, and an answer over the write hold
 * and two TLS records) on one keep-alive connection: every answer comes,
 * whole and in order (RFC 9112 §9.3.2); then a lone bodyless one, and
 * the connection still serves.
 */
static void
test_httpd_tls_pipelined_requests_answered_in_order(void **state)
{
	static const char *rq[] = {
		"GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /status/304 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
		NULL,	/* the POST, below */
		"GET /big HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	static const int want[] = { 204, 200, 304, 200, 200, 200 };
	static const size_t wantsz[] = { 0, 0, 0, 11, 15, BIG_BODY };
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char post[6200], *buf, *body, *out;
	size_t have = 0, bodysz, i;
	long outsz;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *mem;
	int fd, n;

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	n = snprintf(post, sizeof(post), "POST /b HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 6000\r\n\r\n");
	memset(post + n, 'p', 6000);
	post[n + 6000] = '\0';
	rq[4] = post;
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	/* Every request its own record, all of them in one send(). */
	mem = BIO_new(BIO_s_mem());
	SSL_set0_wbio(ssl, mem);
	for (i = 0; i < 6; i++)
		assert_int_equal(SSL_write(ssl, rq[i], (int)strlen(rq[i])),
		    (int)strlen(rq[i]));
	outsz = BIO_get_mem_data(mem, &out);
	send_all(fd, out, (size_t)outsz);
	buf = malloc(BIG_BODY + 8192);
	for (i = 0; i < 6; i++) {
		assert_int_equal(tls_read_response(ssl, buf, BIG_BODY + 8192,
		    &have, i < 3, &body, &bodysz), want[i]);
		assert_int_equal(bodysz, wantsz[i]);
		if (i == 4)
			assert_string_equal(body, "hello POST 6000");
		if (i == 5)
			assert_memory_equal(body, "abcdefghij", 10);
		free(body);
	}
	assert_int_equal(have, 0);
	/* A bodyless answer, nothing after it: it comes on its own. */
	(void)BIO_reset(mem);
	assert_true(SSL_write(ssl, rq[0], (int)strlen(rq[0])) > 0);
	outsz = BIO_get_mem_data(mem, &out);
	send_all(fd, out, (size_t)outsz);
	assert_int_equal(tls_read_response(ssl, buf, BIG_BODY + 8192,
	    &have, true, &body, &bodysz), 204);
	free(body);
	/* ... while the connection is still open: it serves one more. */
	(void)BIO_reset(mem);
	assert_true(SSL_write(ssl, rq[3], (int)strlen(rq[3])) > 0);
	outsz = BIO_get_mem_data(mem, &out);
	send_all(fd, out, (size_t)outsz);
	assert_int_equal(tls_read_response(ssl, buf, BIG_BODY + 8192,
	    &have, false, &body, &bodysz), 200);
	assert_string_equal(body, "hello GET 0");
	free(body);
	assert_int_equal(calls(), 8);
	free(buf);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	httpd_free(h);
	pem_free(&p);
}

/* The server's end (in this process) of the client's connection fd. */
static int
server_end(int fd)
{
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl;
	int i;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
	for (i = 3; i < 4096; i++) {
		pl = sizeof(peer);
		if (i != fd && getpeername(i, (struct sockaddr *)&peer,
		    &pl) == 0 && pl == ml && memcmp(&peer, &me, ml) == 0)
			return i;
	}
	fail_msg("no server end for fd %d", fd);
	return -1;
}

/*
 * This binary's setsockopt() wraps libc's and counts, per descriptor,
 * the calls at the TCP level: libmicrohttpd's (a shared library) land
 * here too.
 */
#define SOCKOPT_FDS	4096
static _Atomic int	tcp_sockopts[SOCKOPT_FDS];

int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (level == IPPROTO_TCP && fd >= 0 && fd < SOCKOPT_FDS)
		tcp_sockopts[fd]++;
	return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

/*
 * Issue #17: over TLS each answer costs at most one setsockopt() on a
 * keep-alive connection (MHD 0.9.75 pushes with TCP_NODELAY after each
 * push of data on a socket the acceptor gave it; a body given as a
 * reader made it two), and each leaves at once: TCP_NODELAY is on.
 */
static void
test_httpd_tls_keepalive_one_setsockopt_per_answer(void **state)
{
	static const char rq[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { 0 };
	struct httpd *h;
	char buf[4096], *body;
	size_t have = 0, bodysz;
	socklen_t len;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd, sfd = -1, i, v;

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	/* The first answer may set the socket up; count the next eight. */
	for (i = 0; i < 9; i++) {
		if (i == 1) {
			sfd = server_end(fd);
			assert_true(sfd < SOCKOPT_FDS);
			tcp_sockopts[sfd] = 0;
		}
		assert_int_equal(SSL_write(ssl, rq, (int)sizeof(rq) - 1),
		    (int)sizeof(rq) - 1);
		assert_int_equal(tls_read_response(ssl, buf, sizeof(buf),
		    &have, false, &body, &bodysz), 200);
		assert_string_equal(body, "hello GET 0");
		free(body);
	}
	assert_in_range(tcp_sockopts[sfd], 0, 8);
	len = sizeof(v);
	assert_int_equal(getsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &v, &len),
	    0);
	assert_int_not_equal(v, 0);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	httpd_free(h);
	pem_free(&p);
}

static void
test_httpd_half_client_hello_closed_at_timeout(void **state)
{
	/* A TLS record header promising 512 bytes, and 3 of them. */
	static const unsigned char half[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
	    0x01, 0x00, 0x01 };
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { .conn_timeout_s = 1 };
	struct httpd *h;
	char *r;
	int fd;
	bool closed;

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	send_all(fd, half, sizeof(half));
	r = read_all(fd, NULL, &closed);
	assert_true(closed);
	free(r);
	close(fd);
	httpd_free(h);
	pem_free(&p);
}

/* A local IPv4 address that is not loopback, for a non-loopback peer. */
static bool
local_v4(char *buf, size_t n)
{
	struct ifaddrs *ifa, *p;
	const struct sockaddr_in *s4;
	bool found = false;

	if (getifaddrs(&ifa) != 0)
		return false;
	for (p = ifa; p != NULL && !found; p = p->ifa_next) {
		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != AF_INET ||
		    (p->ifa_flags & IFF_UP) == 0)
			continue;
		s4 = (const struct sockaddr_in *)(const void *)p->ifa_addr;
		if ((ntohl(s4->sin_addr.s_addr) >> 24) == 127)
			continue;
		found = inet_ntop(AF_INET, &s4->sin_addr, buf,
		    (socklen_t)n) != NULL;
	}
	freeifaddrs(ifa);
	return found;
}

static int
dial_v4(const char *ip, int port)
{
	struct sockaddr_in s4;
	struct timeval tv = { 20, 0 };
	int fd;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &s4.sin_addr), 1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&s4, sizeof(s4)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
test_httpd_per_ip_limit_refuses_excess_connection(void **state)
{
	static const char rq[] = "GET /x HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { .per_ip_conn_limit = 2, .conn_timeout_s = 60 };
	struct timespec ms20 = { 0, 20 * 1000 * 1000 };
	struct httpd *h;
	char *r, ip[INET_ADDRSTRLEN], listen[64];
	int a, b, c, port, i, st = -1;
	bool closed;

	(void)state;
	/* Loopback peers are exempt (they are every local client at once). */
	if (!local_v4(ip, sizeof(ip)))
		skip();
	snprintf(listen, sizeof(listen), "%s:0", ip);
	h = start(&o, listen);
	port = httpd_bound_port(h, 0);
	a = dial_v4(ip, port);
	b = dial_v4(ip, port);
	/* Make sure both are accepted: a request on `a` is answered. */
	send_str(a, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	for (i = 0; i < 250 && calls() == 0; i++)
		nanosleep(&ms20, NULL);
	assert_int_equal(calls(), 1);
	/* X25: the third from this IP is closed at once, not after 60 s. */
	c = dial_v4(ip, port);
	r = read_all(c, NULL, &closed);
	assert_true(closed);
	assert_string_equal(r, "");
	free(r);
	close(c);
	close(a);
	close(b);
	/* Served again once the slots free up. */
	for (i = 0; i < 100 && st != 200; i++) {
		c = dial_v4(ip, port);
		send_all(c, rq, sizeof(rq) - 1);
		r = read_all(c, NULL, &closed);
		st = status_of(r);
		free(r);
		close(c);
		if (st != 200)
			nanosleep(&ms20, NULL);
	}
	assert_int_equal(st, 200);
	httpd_free(h);
}

/* ---- tests: connection limits (issue #12 item 13) ---- */

static long long
now_ms_test(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Has the peer closed fd within ms? (Data is read and dropped.) */
static bool
closed_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[512];
	ssize_t r;
	long long end = now_ms_test() + ms;

	for (;;) {
		long long left = end - now_ms_test();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
	}
}

/* Still open: nothing to read and no end of stream. */
static bool
still_open(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* One keep-alive GET on fd; returns the status, the connection stays. */
static int
keepalive_get(int fd, const char *path)
{
	char rq[256], buf[4096], *e, *cl;
	size_t n = 0, want = 0;
	ssize_t r;

	snprintf(rq, sizeof(rq), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	send_str(fd, rq);
	for (;;) {
		r = recv(fd, buf + n, sizeof(buf) - n - 1, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if ((e = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (want == 0) {
			cl = strstr(buf, "Content-Length:");
			want = (size_t)(e + 4 - buf) +
			    (cl != NULL && cl < e ? (size_t)atol(cl + 15) : 0);
		}
		if (n >= want)
			return status_of(buf);
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
test_httpd_header_timeout_closes_silent_connection(void **state)
{
	struct httpd_opts o = { .conn_timeout_s = 60, .header_timeout_s = 1,
	    .threads = 1 };
	struct httpd *h;
	long long t0, dt;
	int fd;

	(void)state;
	h = start(&o, NULL);
	/* Connected, nothing sent: gone at 1 s, not at the 60 s idle timeout. */
	t0 = now_ms_test();
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	assert_true(closed_within(fd, 5000));
	dt = now_ms_test() - t0;
	assert_true(dt >= 800);
	assert_int_equal(calls(), 0);
	close(fd);
	httpd_free(h);
}

static void
test_httpd_header_timeout_not_extended_by_trickled_headers(void **state)
{
	struct httpd_opts o = { .conn_timeout_s = 60, .header_timeout_s = 1,
	    .threads = 1 };
	struct httpd *h;
	bool closed = false;
	int fd, i;

	(void)state;
	h = start(&o, NULL);
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	send_str(fd, "GET /x HTTP/1.1\r\nHost: x\r\n");
	/* Slowloris: a header line every 0.3 s; only 1 s from the accept. */
	for (i = 0; i < 20 && !closed; i++) {
		if (send(fd, "X-A: b\r\n", 8, MSG_NOSIGNAL) != 8 ||
		    closed_within(fd, 300))
			closed = true;
	}
	assert_true(closed);
	assert_true(i <= 8);	/* about 1 s, well before 6 s */
	assert_int_equal(calls(), 0);
	close(fd);
	httpd_free(h);
}

static void
test_httpd_header_timeout_covers_tls_handshake(void **state)
{
	struct pem p = make_cert("one", 1);
	struct httpd_opts o = { .conn_timeout_s = 60, .header_timeout_s = 1,
	    .threads = 1 };
	struct httpd *h;
	int fd;

	(void)state;
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	/* TCP open, no ClientHello: the handshake is inside the timeout. */
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	assert_true(closed_within(fd, 5000));
	close(fd);
	httpd_free(h);
	pem_free(&p);
}

static void
test_httpd_header_timeout_spares_idle_keepalive(void **state)
{
	struct httpd_opts o = { .conn_timeout_s = 60, .header_timeout_s = 1,
	    .threads = 1 };
	struct httpd *h;
	int fd;

	(void)state;
	h = start(&o, NULL);
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	assert_int_equal(keepalive_get(fd, "/a"), 200);
	/* Between requests the idle timeout applies, not the header one. */
	assert_false(closed_within(fd, 2500));
	assert_int_equal(keepalive_get(fd, "/b"), 200);
	close(fd);
	httpd_free(h);
}

static void
test_httpd_at_limit_idlest_keepalive_reclaimed(void **state)
{
	static const char rq[] = "GET /d HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { .conn_timeout_s = 60, .header_timeout_s = 30,
	    .max_connections = 3, .threads = 1 };
	struct httpd *h;
	char *r;
	int fd[3], d, i, port;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	port = httpd_bound_port(h, 0);
	for (i = 0; i < 3; i++) {
		fd[i] = dial(AF_INET, port);
		assert_int_equal(keepalive_get(fd[i], "/k"), 200);
		sleep_ms(30);
	}
	/* At the limit, all idle: the newcomer is served, the idlest goes. */
	d = dial(AF_INET, port);
	send_all(d, rq, sizeof(rq) - 1);
	r = read_all(d, NULL, &closed);
	assert_int_equal(status_of(r), 200);
	free(r);
	close(d);
	assert_true(closed_within(fd[0], 3000));
	assert_true(still_open(fd[1]));
	assert_true(still_open(fd[2]));
	assert_int_equal(keepalive_get(fd[2], "/again"), 200);
	for (i = 0; i < 3; i++)
		close(fd[i]);
	httpd_free(h);
}

static void
test_httpd_at_limit_oldest_waiting_reclaimed(void **state)
{
	static const char rq[] = "GET /c HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { .conn_timeout_s = 60, .header_timeout_s = 30,
	    .max_connections = 2, .threads = 1 };
	struct httpd *h;
	char *r;
	int a, b, c, port;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	port = httpd_bound_port(h, 0);
	a = dial(AF_INET, port);
	sleep_ms(100);
	b = dial(AF_INET, port);
	sleep_ms(100);
	/* Two silent connections fill it: the older makes room. */
	c = dial(AF_INET, port);
	send_all(c, rq, sizeof(rq) - 1);
	r = read_all(c, NULL, &closed);
	assert_int_equal(status_of(r), 200);
	free(r);
	close(c);
	assert_true(closed_within(a, 3000));
	assert_true(still_open(b));
	close(a);
	close(b);
	httpd_free(h);
}

static void
test_httpd_at_limit_every_connection_busy_refused(void **state)
{
	static const char post[] = "POST /x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 100\r\n\r\n";
	static const char rq[] = "GET /c HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct httpd_opts o = { .conn_timeout_s = 60, .header_timeout_s = 30,
	    .request_deadline_s = 60, .max_connections = 2, .threads = 1 };
	struct httpd *h;
	char *r;
	int a, b, c, port, i, st = -1;
	bool closed;

	(void)state;
	h = start(&o, NULL);
	port = httpd_bound_port(h, 0);
	a = dial(AF_INET, port);
	b = dial(AF_INET, port);
	send_all(a, post, sizeof(post) - 1);
	send_all(b, post, sizeof(post) - 1);
	sleep_ms(300);	/* both inside a request (waiting for the body) */
	c = dial(AF_INET, port);
	r = read_all(c, NULL, &closed);
	assert_true(closed);
	assert_string_equal(r, "");	/* refused, nothing sent */
	free(r);
	close(c);
	assert_true(still_open(a));
	assert_true(still_open(b));
	close(a);
	/* Served again once a slot frees up. */
	for (i = 0; i < 100 && st != 200; i++) {
		c = dial(AF_INET, port);
		send_all(c, rq, sizeof(rq) - 1);
		r = read_all(c, NULL, &closed);
		st = status_of(r);
		free(r);
		close(c);
		if (st != 200)
			sleep_ms(20);
	}
	assert_int_equal(st, 200);
	close(b);
	httpd_free(h);
}

static void
test_httpd_per_ip_limit_spares_loopback(void **state)
{
	struct httpd_opts o = { .per_ip_conn_limit = 2, .conn_timeout_s = 60 };
	struct httpd *h;
	int fd[5], i, port;

	(void)state;
	h = start(&o, NULL);
	port = httpd_bound_port(h, 0);
	/* Every local client is 127.0.0.1: the cap would be on all of them. */
	for (i = 0; i < 5; i++) {
		fd[i] = dial(AF_INET, port);
		assert_int_equal(keepalive_get(fd[i], "/l"), 200);
	}
	for (i = 0; i < 5; i++)
		close(fd[i]);
	httpd_free(h);
}

static void
test_httpd_stop_with_idle_keepalive_returns(void **state)
{
	struct httpd_opts o = { .conn_timeout_s = 60 };
	struct httpd *h;
	int fd;

	(void)state;
	h = start(&o, NULL);
	fd = dial(AF_INET, httpd_bound_port(h, 0));
	send_str(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	httpd_stop(h);	/* must not wait for the 60 s idle timeout */
	httpd_stop(h);	/* idempotent */
	assert_int_equal(httpd_bound_port(h, 0), -1);
	close(fd);
	httpd_free(h);
}

/* ---- held answers (http_hold; RFC 8555 §7.5.1's challenge POST) ---- */

/* What the hold handler and its later() saw. */
static struct {
	pthread_mutex_t		 mu;
	int			 later_calls;
	unsigned long long	 ticket;	/* the last one given */
	pthread_t		 waker;		/* the last /hold/wake/ thread */
	bool			 waking;	/* ... not joined yet */
} HS = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
hold_later(void *arg, const struct http_request *req,
    struct http_response *resp, const void *state)
{
	char *b;

	(void)arg;
	pthread_mutex_lock(&HS.mu);
	HS.later_calls++;
	pthread_mutex_unlock(&HS.mu);
	/* The same request, and the headers the handler gave before. */
	resp->status = 200;
	resp->content_type = "text/plain";
	http_response_add_header(resp, "X-Later", "%s", req->path);
	b = strdup((const char *)state);
	resp->body = b;
	resp->bodysz = strlen(b);
}

struct waker {
	struct httpd		*h;
	unsigned long long	 ticket;
	long			 after_ms;
};

static void *
waker(void *arg)
{
	struct waker *w = arg;
	struct timespec ts = { w->after_ms / 1000, (w->after_ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
	http_wake(w->h, w->ticket);
	free(w);
	return NULL;
}

/*
 * /hold/wake/MS: held up to 5 s, woken by another thread after MS ms.
 * /hold/due/MS: held MS ms, never woken. /hold/now: woken before the
 * handler returns. /hold/answer: held, then answered at once anyway.
 */
static void
hold_handler(const struct http_request *req, struct http_response *resp)
{
	const char *arg = strchr(req->path + 6, '/');
	unsigned long long t;
	unsigned ms = 5000;
	struct waker *w;
	pthread_t tid;

	if (strncmp(req->path, "/hold/due/", 10) == 0)
		ms = (unsigned)atoi(arg + 1);
	t = http_hold(req, ms, hold_later, "later body", sizeof("later body"));
	assert_true(t != 0);
	pthread_mutex_lock(&HS.mu);
	HS.ticket = t;
	pthread_mutex_unlock(&HS.mu);
	http_response_add_header(resp, "X-First", "kept");
	if (strncmp(req->path, "/hold/wake/", 11) == 0) {
		w = malloc(sizeof(*w));
		w->h = req->server;
		w->ticket = t;
		w->after_ms = atol(arg + 1);
		assert_int_equal(pthread_create(&tid, NULL, waker, w), 0);
		pthread_mutex_lock(&HS.mu);
		HS.waker = tid;
		HS.waking = true;
		pthread_mutex_unlock(&HS.mu);
	} else if (strcmp(req->path, "/hold/now") == 0)
		http_wake(req->server, t);
	else if (strcmp(req->path, "/hold/answer") == 0) {
		resp->status = 200;
		resp->body = strdup("direct");
		resp->bodysz = 6;
	}
}

/*
 * How many later() calls since the last look. It also joins the last
 * waker thread: http_wake must have returned before httpd_free.
 */
static int
later_calls(void)
{
	pthread_t tid;
	bool join;
	int n;

	pthread_mutex_lock(&HS.mu);
	n = HS.later_calls;
	HS.later_calls = 0;
	join = HS.waking;
	tid = HS.waker;
	HS.waking = false;
	pthread_mutex_unlock(&HS.mu);
	if (join)
		pthread_join(tid, NULL);
	return n;
}

/* GET path on a fresh plain connection; its answer, and how long it took. */
static char *
timed_get(int port, const char *path, long long *ms)
{
	char req[256];
	long long t0 = now_ms_test();
	char *resp;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", path);
	resp = exchange(port, req, strlen(req));
	*ms = now_ms_test() - t0;
	return resp;
}

/* A server for the hold tests (0 threads: start's two), later() uncounted. */
static struct httpd *
hold_start(unsigned threads)
{
	struct httpd_opts o = { .threads = threads };

	(void)later_calls();
	return start(&o, NULL);
}

/*
 * GET path, whose answer must be later()'s; returns how long it took.
 * *out, if not NULL, takes the whole answer (the caller frees it).
 */
static long long
later_get(struct httpd *h, const char *path, char **out)
{
	long long ms;
	char *r = timed_get(httpd_bound_port(h, 0), path, &ms);

	assert_int_equal(status_of(r), 200);
	assert_non_null(strstr(r, "\r\n\r\nlater body"));
	if (out != NULL)
		*out = r;
	else
		free(r);
	return ms;
}

/* GET path on a new connection, not waiting for the answer: its socket. */
static int
send_get(struct httpd *h, const char *path)
{
	char req[256];
	int fd = dial(AF_INET, httpd_bound_port(h, 0));

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", path);
	send_str(fd, req);
	return fd;
}

/* The answer on fd (send_get's) must be later()'s; closes fd. */
static void
expect_later(int fd)
{
	bool closed;
	char *r = read_all(fd, NULL, &closed);

	assert_true(closed);
	assert_int_equal(status_of(r), 200);
	assert_non_null(strstr(r, "\r\n\r\nlater body"));
	free(r);
	close(fd);
}

static void
test_httpd_hold_answered_when_woken_with_first_headers(void **state)
{
	struct httpd *h;
	long long ms;
	char *r;

	(void)state;
	h = hold_start(0);
	ms = later_get(h, "/hold/wake/300", &r);
	assert_non_null(strstr(r, "X-First: kept\r\n"));
	assert_non_null(strstr(r, "X-Later: /hold/wake/300\r\n"));
	/* Woken after 300 ms: not before, and not at the 5 s limit. */
	assert_true(ms >= 290);
	assert_true(ms < 3000);
	assert_int_equal(later_calls(), 1);
	free(r);
	httpd_free(h);
}

static void
test_httpd_hold_answered_when_due_unwoken(void **state)
{
	struct httpd *h;
	long long ms;
	int i;

	(void)state;
	h = hold_start(0);
	/*
	 * The reaper, which answers due holds, sleeps 250 ms between its
	 * rounds: a hold due sooner must wake it. Five in a row, so one
	 * that lands just before its round by luck cannot pass for it.
	 */
	for (i = 0; i < 5; i++) {
		ms = later_get(h, "/hold/due/100", NULL);
		assert_true(ms >= 95);
		assert_true(ms < 220);
	}
	assert_int_equal(later_calls(), 5);
	httpd_free(h);
}

static void
test_httpd_hold_woken_before_parked_answered_at_once(void **state)
{
	struct httpd *h;

	(void)state;
	h = hold_start(0);
	assert_true(later_get(h, "/hold/now", NULL) < 2000);	/* not 5 s */
	assert_int_equal(later_calls(), 1);
	httpd_free(h);
}

static void
test_httpd_hold_lapses_when_handler_answers(void **state)
{
	struct httpd *h;
	long long ms;
	char *r;

	(void)state;
	h = hold_start(0);
	r = timed_get(httpd_bound_port(h, 0), "/hold/answer", &ms);
	assert_int_equal(status_of(r), 200);
	assert_non_null(strstr(r, "\r\n\r\ndirect"));
	assert_int_equal(later_calls(), 0);
	/* A lapsed ticket, and one never given: nothing happens. */
	http_wake(h, HS.ticket);
	http_wake(h, HS.ticket + 1000);
	http_wake(NULL, HS.ticket);
	free(r);
	r = timed_get(httpd_bound_port(h, 0), "/plain", &ms);
	assert_int_equal(status_of(r), 200);
	assert_int_equal(later_calls(), 0);
	free(r);
	httpd_free(h);
}

static void
test_httpd_hold_outside_a_handler_refused(void **state)
{
	struct http_request req;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.path = "/x";
	assert_true(http_hold(&req, 100, hold_later, NULL, 0) == 0);
}

/*
 * The point of a hold: no thread waits. With one request thread, a
 * request on another connection is answered while the first is held.
 */
static void
test_httpd_hold_keeps_no_thread(void **state)
{
	struct httpd *h;
	long long t0, ms;
	char *r;
	int fd;

	(void)state;
	h = hold_start(1);
	t0 = now_ms_test();
	fd = send_get(h, "/hold/wake/1500");
	usleep(100 * 1000);	/* held by now */
	r = timed_get(httpd_bound_port(h, 0), "/plain", &ms);
	assert_int_equal(status_of(r), 200);
	assert_true(ms < 1000);
	free(r);
	expect_later(fd);
	assert_true(now_ms_test() - t0 >= 1490);
	assert_int_equal(later_calls(), 1);
	httpd_free(h);
}

/* Over TLS, with a real client (libcurl). */
static void
test_httpd_tls_hold_answered(void **state)
{
	struct pem p = make_cert("hold", 7);
	struct httpd_opts o = { 0 };
	struct sink hd = { 0 }, out = { 0 };
	struct httpd *h;

	(void)state;
	(void)later_calls();
	o.cert_pem = p.cert;
	o.key_pem = p.key;
	h = start(&o, NULL);
	assert_int_equal(curl_do(httpd_bound_port(h, 0), &p, "GET",
	    "/hold/wake/50", NULL, NULL, &hd, &out), 200);
	assert_string_equal(out.buf, "later body");
	assert_non_null(strstr(hd.buf, "X-First: kept"));
	assert_int_equal(later_calls(), 1);
	free(hd.buf);
	free(out.buf);
	httpd_free(h);
	pem_free(&p);
}

/* MHD must not stop with a suspended connection: stop answers it. */
static void
test_httpd_stop_answers_held_request(void **state)
{
	struct httpd *h;
	long long t0;
	int fd;

	(void)state;
	h = hold_start(0);
	fd = send_get(h, "/hold/due/10000");
	usleep(200 * 1000);
	t0 = now_ms_test();
	httpd_stop(h);
	assert_true(now_ms_test() - t0 < 2000);	/* not the stop's grace */
	expect_later(fd);
	assert_int_equal(later_calls(), 1);
	httpd_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, reset, reset)
		T(test_httpd_tls_get_reaches_handler_with_fields),
		T(test_httpd_raw_target_reaches_handler_undecoded),
		T(test_httpd_tls_post_body_delivered),
		T(test_httpd_head_answered_headers_without_body),
		T(test_httpd_replay_nonce_request_header_exposed),
		T(test_httpd_close_flag_sends_connection_close),
		T(test_httpd_handler_without_status_answered_500),
		T(test_httpd_body_over_cap_answered_413_and_closed),
		T(test_httpd_chunked_over_cap_several_chunks_answered_413),
		T(test_httpd_declared_length_over_cap_drained_then_413),
		T(test_httpd_chunked_under_cap_reassembled),
		T(test_httpd_body_exactly_at_cap_accepted),
		T(test_httpd_declared_length_over_cap_answered_before_body),
		T(test_httpd_http10_without_host_answered),
		T(test_httpd_huge_uri_refused_server_still_serves),
		T(test_httpd_port_zero_bound_to_real_port),
		T(test_httpd_connections_opened_together_spread_over_workers),
		T(test_httpd_ipv6_listener_serves),
		T(test_httpd_set_certificate_new_handshake_sees_new_cert),
		T(test_httpd_set_certificate_mismatched_key_refused),
		T(test_httpd_new_bad_options_refused),
		T(test_httpd_add_header_injection_and_overflow_refused),
		T(test_httpd_drip_fed_body_closed_at_deadline),
		T(test_httpd_idle_tls_connection_closed_at_timeout),
		T(test_httpd_half_client_hello_closed_at_timeout),
		T(test_httpd_tls_pipelined_requests_answered_in_order),
		T(test_httpd_tls_keepalive_one_setsockopt_per_answer),
		T(test_httpd_per_ip_limit_refuses_excess_connection),
		T(test_httpd_header_timeout_closes_silent_connection),
		T(test_httpd_header_timeout_not_extended_by_trickled_headers),
		T(test_httpd_header_timeout_covers_tls_handshake),
		T(test_httpd_header_timeout_spares_idle_keepalive),
		T(test_httpd_at_limit_idlest_keepalive_reclaimed),
		T(test_httpd_at_limit_oldest_waiting_reclaimed),
		T(test_httpd_at_limit_every_connection_busy_refused),
		T(test_httpd_per_ip_limit_spares_loopback),
		T(test_httpd_stop_with_idle_keepalive_returns),
		T(test_httpd_hold_answered_when_woken_with_first_headers),
		T(test_httpd_hold_answered_when_due_unwoken),
		T(test_httpd_hold_woken_before_parked_answered_at_once),
		T(test_httpd_hold_lapses_when_handler_answers),
		T(test_httpd_hold_outside_a_handler_refused),
		T(test_httpd_hold_keeps_no_thread),
		T(test_httpd_tls_hold_answered),
		T(test_httpd_stop_answers_held_request),
#undef T
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
