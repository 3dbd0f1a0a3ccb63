/* httpd.c - the only libmicrohttpd user: TLS, threads, body cap, timeouts */
/* SPDX-License-Identifier: MIT */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "httpd.h"
#include "log.h"

#define MAX_LISTEN	8
#define MAX_CHAIN	8
/*
 * Past max_body a body is read and discarded up to this much so the
 * client still gets the handler's 413 (a chunked one, T09, or one whose
 * Content-Length says it fits); beyond it the connection is simply
 * closed, and a Content-Length above it is refused unread (T10).
 */
#define DRAIN_MAX	((size_t)4 << 20)
/* MHD's per-connection pool: request line + headers (T13, T14). */
#define MEMORY_LIMIT	((size_t)32 << 10)
#define STOP_GRACE_MS	2000
#define TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define HTTPD_MAGIC	0x68747064u

/* One certificate chain and key, as GnuTLS wants them for a handshake. */
struct creds {
	gnutls_pcert_st	 pcert[MAX_CHAIN];
	unsigned int	 npcert;
	gnutls_privkey_t key;
	struct creds	*next;		/* retired list */
};

struct listener {
	struct httpd		*h;
	int			 idx;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd;	/* until MHD owns it */
	int			 port;
	struct MHD_Daemon	*d;
};

struct httpd {
	unsigned int	 magic;	/* checked in the GnuTLS callback */
	http_handler_fn	 fn;
	void		*arg;
	size_t		 max_body;
	unsigned int	 conn_timeout;
	unsigned int	 deadline;
	unsigned int	 per_ip;
	unsigned int	 maxconn;
	unsigned int	 threads;
	bool		 tls;
	pthread_mutex_t	 credlk;	/* guards cur and retired */
	struct creds	*cur;
	struct creds	*retired;	/* freed in httpd_free */
	struct listener	 l[MAX_LISTEN];
	size_t		 nl;
	bool		 started;
	bool		 stopped;
	atomic_bool	 running;	/* MHD log level: warn while starting */
	atomic_bool	 stopping;	/* refuse new connections */
	atomic_int	 inflight;	/* requests between request line and completion */
};

/* Per request; created when MHD has the request line (URI log callback). */
struct reqctx {
	struct timespec	 start;
	char		*body;		/* NUL-terminated while stored */
	size_t		 len;
	size_t		 cap;
	size_t		 drained;	/* bytes discarded past max_body */
	unsigned int	 timeout_set;	/* per-connection timeout we set, or 0 */
	bool		 seen;		/* first access-handler call done */
	bool		 too_large;
	bool		 responded;
	bool		 must_close;	/* Content-Length with Transfer-Encoding */
	bool		 has_query;
	char		 reqid[9];
	char		*raw_path;	/* path as received (in the same block) */
	char		 query[];	/* raw query, when has_query */
};

/* ---- responses ---- */

static bool
is_token(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0')
		return false;
	/* RFC 9110 §5.6.2 tchar */
	for (p = s; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return false;
	}
	return true;
}

int
http_response_add_header(struct http_response *r, const char *name,
    const char *fmt, ...)
{
	va_list ap;
	char *v;
	int n;
	const unsigned char *p;

	if (r->nhdrs >= HTTP_MAXHDRS || !is_token(name))
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (v = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(v, (size_t)n + 1, fmt, ap);
	va_end(ap);
	/* No CR/LF or other controls: no header injection (RFC 9110 §5.5). */
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			free(v);
			return -1;
		}
	}
	r->hdrs[r->nhdrs].name = name;
	r->hdrs[r->nhdrs].value = v;
	r->nhdrs++;
	return 0;
}

void
http_response_set_body(struct http_response *r, int status,
    const char *content_type, char *body, size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = content_type;
	r->body = body;
	r->bodysz = len;
}

void
http_response_clear(struct http_response *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nhdrs && i < HTTP_MAXHDRS; i++)
		free(r->hdrs[i].value);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* ---- small helpers ---- */

static long long
elapsed_us(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - start->tv_sec) * 1000000 +
	    (now.tv_nsec - start->tv_nsec) / 1000;
}

/* 48 random bits as 8 base64url characters. */
static void
make_reqid(char out[9])
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static atomic_uint fallback;
	unsigned char b[6];
	uint64_t v = 0;
	int i;

	if (RAND_bytes(b, sizeof(b)) != 1) {
		unsigned int c = atomic_fetch_add(&fallback, 1);

		memcpy(b, &c, sizeof(c));
		b[4] = b[5] = 0;
	}
	for (i = 0; i < 6; i++)
		v = (v << 8) | b[i];
	for (i = 7; i >= 0; i--) {
		out[i] = abc[v & 63];
		v >>= 6;
	}
	out[8] = '\0';
}

static void
addr_text(const struct sockaddr *sa, char *buf, size_t bufsz)
{
	const void *a = NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL ||
	    inet_ntop(sa->sa_family, a, buf, (socklen_t)bufsz) == NULL)
		snprintf(buf, bufsz, "?");
}

/* True when a Content-Length value is over max (or absurd). */
static bool
length_exceeds(const char *s, size_t max)
{
	unsigned long long v = 0;
	const char *p;

	if (*s == '\0')
		return false;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;	/* MHD answers malformed lengths */
		if (v > (ULLONG_MAX - 9) / 10)
			return true;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	return v > max;
}

/* ---- TLS credentials (GnuTLS, for MHD; checked with OpenSSL) ---- */

static int
nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;	/* never prompt for a passphrase */
}

static void
creds_free(struct creds *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->npcert; i++)
		gnutls_pcert_deinit(&c->pcert[i]);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	free(c);
}

static struct creds *
creds_new(const char *cert_pem, const char *key_pem, char *err, size_t errsz)
{
	struct creds *c = NULL, *rv = NULL;
	BIO *cb = NULL, *kb = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	gnutls_datum_t d;
	unsigned int n = MAX_CHAIN;
	int r;

	if (cert_pem == NULL || key_pem == NULL) {
		snprintf(err, errsz, "TLS needs both a certificate and a key");
		goto out;
	}
	/* OpenSSL first: a key that does not match the leaf is refused. */
	if ((cb = BIO_new_mem_buf(cert_pem, -1)) == NULL ||
	    (kb = BIO_new_mem_buf(key_pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(cb, NULL, nopass, NULL)) == NULL ||
	    (k = PEM_read_bio_PrivateKey(kb, NULL, nopass, NULL)) == NULL) {
		log_openssl(LOG_LVL_DEBUG, "httpd: TLS PEM");
		snprintf(err, errsz, "TLS certificate or key is not valid PEM");
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		log_openssl(LOG_LVL_DEBUG, "httpd: TLS key check");
		snprintf(err, errsz, "TLS key does not match the certificate");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	d.data = (unsigned char *)(uintptr_t)cert_pem;
	d.size = (unsigned int)strlen(cert_pem);
	r = gnutls_pcert_list_import_x509_raw(c->pcert, &n, &d,
	    GNUTLS_X509_FMT_PEM, 0);
	if (r < 0) {
		snprintf(err, errsz, "TLS chain: %s", gnutls_strerror(r));
		goto out;
	}
	c->npcert = n;
	d.data = (unsigned char *)(uintptr_t)key_pem;
	d.size = (unsigned int)strlen(key_pem);
	if ((r = gnutls_privkey_init(&c->key)) < 0 ||
	    (r = gnutls_privkey_import_x509_raw(c->key, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errsz, "TLS key: %s", gnutls_strerror(r));
		goto out;
	}
	rv = c;
	c = NULL;
out:
	creds_free(c);
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(kb);
	BIO_free(cb);
	return rv;
}

/*
 * GnuTLS asks for the server certificate on every handshake; answering
 * from h->cur is what makes httpd_set_certificate take effect without a
 * restart. The session pointer was set to our httpd in on_connection.
 */
static int
cert_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_rdn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *privkey)
{
	struct httpd *h = gnutls_session_get_ptr(s);
	struct creds *c;

	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (h == NULL || h->magic != HTTPD_MAGIC)
		return -1;
	pthread_mutex_lock(&h->credlk);
	c = h->cur;
	pthread_mutex_unlock(&h->credlk);
	if (c == NULL)
		return -1;
	*pcert = c->pcert;
	*pcert_length = c->npcert;
	*privkey = c->key;
	return 0;
}

/* ---- MHD callbacks ---- */

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct httpd *h = cls;
	char buf[256];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* Once serving, MHD talks about clients (floods): keep it quiet. */
	if (atomic_load(&h->running))
		log_debug("mhd: %s", buf);
	else
		log_warn("mhd: %s", buf);
}

/*
 * Refuse new connections once httpd_stop has begun. (Not
 * MHD_quiesce_daemon: in MHD 0.9.75 it races the epoll worker threads
 * over removing the listen socket and can abort the process.)
 */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct httpd *h = cls;

	(void)addr;
	(void)addrlen;
	return atomic_load(&h->stopping) ? MHD_NO : MHD_YES;
}

/*
 * After the client's TLS Finished: acknowledge it now. A client that
 * writes its first request right after the handshake without TCP_NODELAY
 * (Python's ssl, for one) has Nagle hold the request until the Finished
 * is acknowledged, and Linux delays that ACK (up to 40 ms) when we have
 * nothing to send: every new connection's first answer came 40 ms late.
 * TCP_QUICKACK sends a delayed ACK at once.
 */
static int
on_tls_finished(gnutls_session_t s, unsigned int htype, unsigned int when,
    unsigned int incoming, const gnutls_datum_t *msg)
{
	int fd, on = 1, off = 0;

	(void)htype;
	(void)when;
	(void)msg;
	if (!incoming || (fd = gnutls_transport_get_int(s)) < 0)
		return 0;
	/* On: the pending ACK goes now. Off: back to the usual delays. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof(off));
	return 0;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	const union MHD_ConnectionInfo *ci;

	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED || !l->h->tls)
		return;
	/* MHD made the session already and handshakes later, in this thread. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci != NULL && ci->tls_session != NULL) {
		gnutls_session_set_ptr((gnutls_session_t)ci->tls_session, l->h);
		gnutls_handshake_set_hook_function(
		    (gnutls_session_t)ci->tls_session,
		    GNUTLS_HANDSHAKE_FINISHED, GNUTLS_HOOK_POST,
		    on_tls_finished);
	}
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct listener *l = cls;
	struct reqctx *rc;
	const char *q = NULL;
	size_t qlen = 0, plen;

	(void)c;
	if (uri == NULL)
		uri = "";
	if ((q = strchr(uri, '?')) != NULL)
		qlen = strlen(++q);
	/* MHD unescapes the path it gives on_access; this is still raw. */
	plen = q != NULL ? (size_t)(q - 1 - uri) : strlen(uri);
	if ((rc = calloc(1, sizeof(*rc) + qlen + 1 + plen + 1)) == NULL)
		return NULL;	/* on_access then closes the connection */
	clock_gettime(CLOCK_MONOTONIC, &rc->start);
	if (q != NULL) {
		rc->has_query = true;
		memcpy(rc->query, q, qlen);
	}
	rc->raw_path = rc->query + qlen + 1;
	memcpy(rc->raw_path, uri, plen);
	make_reqid(rc->reqid);
	atomic_fetch_add(&l->h->inflight, 1);
	return rc;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct reqctx *rc = *req_cls;

	if (rc == NULL)
		return;
	if (!rc->responded)
		log_debug("httpd: request %s ended without a response (%d)",
		    rc->reqid, (int)toe);
	/* Keep-alive: the next request gets the normal idle timeout back. */
	if (rc->timeout_set != 0 && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
		    l->h->conn_timeout);
	free(rc->body);
	free(rc);
	*req_cls = NULL;
	atomic_fetch_sub(&l->h->inflight, 1);
}

/*
 * HARDENING X27: MHD's timeout counts inactivity, so a body drip-fed one
 * byte at a time never trips it. Every time data arrives we shrink the
 * connection's timeout to what is left of the request's absolute
 * deadline; when nothing is left we close. Returns false to close.
 */
static bool
deadline_ok(struct listener *l, struct reqctx *rc, struct MHD_Connection *c)
{
	long long left = (long long)l->h->deadline * 1000000 -
	    elapsed_us(&rc->start);
	unsigned int t;

	if (left <= 0) {
		log_info("httpd: request %s not complete after %us, closing",
		    rc->reqid, l->h->deadline);
		return false;
	}
	if (left < (long long)l->h->conn_timeout * 1000000) {
		t = (unsigned int)((left + 999999) / 1000000);
		if (t != rc->timeout_set) {
			MHD_set_connection_option(c,
			    MHD_CONNECTION_OPTION_TIMEOUT, t);
			rc->timeout_set = t;
		}
	}
	return true;
}

/* Store upload bytes up to max_body, then only count them. */
static int
append(struct reqctx *rc, const char *data, size_t n, size_t max)
{
	size_t need, ncap;
	char *p;

	if (rc->too_large || n > max - rc->len) {
		if (!rc->too_large) {
			rc->too_large = true;
			free(rc->body);	/* nobody will read a partial body */
			rc->body = NULL;
			rc->len = rc->cap = 0;
		}
		rc->drained += n;
		return 0;
	}
	need = rc->len + n + 1;
	if (need > rc->cap) {
		/* Grow with the bytes actually received, never ahead (T10). */
		ncap = rc->cap != 0 ? rc->cap : 1024;
		while (ncap < need)
			ncap *= 2;
		if (ncap > max + 1)
			ncap = max + 1;
		if ((p = realloc(rc->body, ncap)) == NULL)
			return -1;
		rc->body = p;
		rc->cap = ncap;
	}
	memcpy(rc->body + rc->len, data, n);
	rc->len += n;
	rc->body[rc->len] = '\0';
	return 0;
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/*
 * RFC 9112 §3.2.2: a server MUST accept the absolute-form request target
 * ("https://host:port/directory"). The authority is ignored, as Host is:
 * URLs are never built from what the client names (HARDENING T15, T18).
 */
static const char *
origin_form(const char *url)
{
	const char *p;

	if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return url;
	p += strcspn(p, "/?");
	return *p == '/' ? p : "/";
}

/* Build the request, call the handler once, queue its response. */
static enum MHD_Result
dispatch(struct listener *l, struct reqctx *rc, struct MHD_Connection *c,
    const char *url, const char *method)
{
	struct httpd *h = l->h;
	struct http_request req;
	struct http_response resp;
	struct MHD_Response *mr = NULL;
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN];
	enum MHD_Result rv = MHD_NO;
	size_t i, bodysz;

	rc->responded = true;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	addr_text(ci != NULL ? ci->client_addr : NULL, addr, sizeof(addr));
	req.method = method;
	req.path = origin_form(url);
	req.raw_path = origin_form(rc->raw_path);
	req.query = rc->has_query ? rc->query : NULL;
	req.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.replay_nonce = header(c, "Replay-Nonce");
	req.origin = header(c, "Origin");
	req.host = header(c, MHD_HTTP_HEADER_HOST);
	req.authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	req.body = rc->body != NULL ? rc->body : "";
	req.bodysz = rc->len;
	req.body_too_large = rc->too_large;
	req.remote_addr = addr;
	req.request_id = rc->reqid;
	req.listener = l->idx;

	log_set_request_id(rc->reqid);
	h->fn(h->arg, &req, &resp);
	if (resp.status < 100 || resp.status > 599) {
		log_err("httpd: handler gave status %d, answering 500",
		    resp.status);
		http_response_clear(&resp);
		resp.status = 500;
	}
	bodysz = resp.bodysz;
	mr = MHD_create_response_from_buffer_with_free_callback(resp.bodysz,
	    resp.body, &free);
	if (mr == NULL) {
		log_err("httpd: cannot create response");
		goto out;
	}
	resp.body = NULL;	/* MHD frees it now */
	if (resp.content_type != NULL &&
	    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
	    resp.content_type) != MHD_YES)
		log_err("httpd: bad Content-Type from handler");
	for (i = 0; i < resp.nhdrs && i < HTTP_MAXHDRS; i++) {
		if (MHD_add_response_header(mr, resp.hdrs[i].name,
		    resp.hdrs[i].value) != MHD_YES)
			log_err("httpd: header %s refused", resp.hdrs[i].name);
	}
	/* A refused body, or CL+TE (RFC 9112 §6.3): do not reuse the stream. */
	if (resp.close || rc->too_large || rc->must_close)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	rv = MHD_queue_response(c, (unsigned int)resp.status, mr);
	if (rv != MHD_YES)
		log_err("httpd: cannot queue response");
	/* MHD sends no body on HEAD (RFC 9110 §9.3.2). */
	log_request(method, url, resp.status, (long)elapsed_us(&rc->start),
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0 ? 0ULL :
	    (unsigned long long)bodysz, rc->reqid);
out:
	MHD_destroy_response(mr);
	http_response_clear(&resp);
	log_set_request_id(NULL);
	return rv;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct listener *l = cls;
	struct reqctx *rc = *req_cls;
	const char *cl;

	(void)version;
	if (rc == NULL)
		return MHD_NO;	/* out of memory in on_uri */
	if (rc->responded)
		return MHD_YES;
	if (!rc->seen) {
		/* First call: headers are in, no body byte read yet. */
		rc->seen = true;
		if (!deadline_ok(l, rc, c))
			return MHD_NO;
		cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING))
			rc->must_close = true;
		if (cl != NULL && length_exceeds(cl, DRAIN_MAX)) {
			/* T10: refuse on the declared length, read nothing. */
			rc->too_large = true;
			return dispatch(l, rc, c, url, method);
		}
		/*
		 * Over max_body but not absurd: read and discard it, then
		 * answer 413. Answering first and closing with the body
		 * unread makes the kernel reset the connection, and a
		 * client still sending loses the 413 (F24 saw it).
		 */
		if (cl != NULL && length_exceeds(cl, l->h->max_body))
			rc->too_large = true;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!deadline_ok(l, rc, c))
			return MHD_NO;
		if (append(rc, upload_data, *upload_data_size,
		    l->h->max_body) != 0) {
			log_err("httpd: out of memory for a request body");
			return MHD_NO;
		}
		*upload_data_size = 0;
		if (rc->drained > DRAIN_MAX) {
			log_info("httpd: request %s body far over the limit, "
			    "closing", rc->reqid);
			return MHD_NO;
		}
		return MHD_YES;
	}
	return dispatch(l, rc, c, url, method);
}

/* ---- listeners ---- */

/* Numeric "a.b.c.d:port" or "[v6]:port". */
static int
parse_listen(const char *spec, struct listener *l)
{
	char host[INET6_ADDRSTRLEN];
	const char *p, *port;
	size_t hlen;
	unsigned long v = 0;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&l->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&l->ss;

	memset(&l->ss, 0, sizeof(l->ss));
	if (spec == NULL)
		return -1;
	if (spec[0] == '[') {
		if ((p = strchr(spec, ']')) == NULL || p[1] != ':')
			return -1;
		hlen = (size_t)(p - spec - 1);
		port = p + 2;
		spec++;
	} else {
		/* An unbracketed IPv6 address is ambiguous: refused. */
		if ((p = strchr(spec, ':')) == NULL || strchr(p + 1, ':'))
			return -1;
		hlen = (size_t)(p - spec);
		port = p + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host) || *port == '\0' ||
	    strlen(port) > 5)
		return -1;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	for (p = port; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)v);
		l->sslen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)v);
		l->sslen = sizeof(*s6);
	} else
		return -1;
	return 0;
}

static int
bind_listener(struct listener *l, char *err, size_t errsz)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1, fd;

	fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (l->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
		snprintf(err, errsz, "setsockopt: %s", strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&l->ss, l->sslen) != 0 ||
	    listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(err, errsz, "bind: %s", strerror(errno));
		goto fail;
	}
	l->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port :
	    ((struct sockaddr_in *)(void *)&ss)->sin_port);
	l->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

static int
start_listener(struct httpd *h, struct listener *l, char *err, size_t errsz)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int flags;

	if (bind_listener(l, err, errsz) != 0)
		return -1;
	flags = MHD_USE_EPOLL | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG;
	if (h->tls)
		flags |= MHD_USE_TLS;
	/*
	 * The TLS options come last; for plain HTTP the list simply ends
	 * where they would begin.
	 */
	l->d = MHD_start_daemon(flags, 0, &on_accept, h, &on_access, l,
	    MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_log, h,	/* must be first */
	    MHD_OPTION_LISTEN_SOCKET, l->fd,
	    /*
	     * MHD warns about a pool of 0 or 1; with one thread, restate
	     * the timeout (same argument type) in the pool's place.
	     */
	    h->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE :
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    h->threads > 1 ? h->threads : h->conn_timeout,
	    MHD_OPTION_CONNECTION_TIMEOUT, h->conn_timeout,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->per_ip,
	    MHD_OPTION_CONNECTION_LIMIT, h->maxconn,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_URI_LOG_CALLBACK, &on_uri, l,
	    MHD_OPTION_NOTIFY_COMPLETED, &on_completed, l,
	    h->tls ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END,
	    TLS_PRIORITIES,
	    MHD_OPTION_HTTPS_CERT_CALLBACK, &cert_cb,
	    MHD_OPTION_NOTIFY_CONNECTION, &on_connection, l,
	    MHD_OPTION_END);
	if (l->d == NULL) {
		snprintf(err, errsz, "cannot start the HTTP server on port %d",
		    l->port);
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	l->fd = -1;	/* MHD owns it */
	addr_text((struct sockaddr *)&l->ss, addr, sizeof(addr));
	log_info("httpd: listening on %s://%s%s%s:%d", h->tls ? "https" : "http",
	    l->ss.ss_family == AF_INET6 ? "[" : "", addr,
	    l->ss.ss_family == AF_INET6 ? "]" : "", l->port);
	return 0;
}

/* ---- public ---- */

struct httpd *
httpd_new(const struct httpd_opts *o, http_handler_fn fn, void *arg,
    char *err, size_t errsz)
{
	struct httpd *h = NULL;
	long ncpu;
	size_t i;

	if (o == NULL || fn == NULL || o->listen == NULL || o->nlisten == 0 ||
	    o->nlisten > MAX_LISTEN) {
		snprintf(err, errsz, "httpd: need 1 to %d listen addresses "
		    "and a handler", MAX_LISTEN);
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	h->magic = HTTPD_MAGIC;
	h->fn = fn;
	h->arg = arg;
	pthread_mutex_init(&h->credlk, NULL);
	atomic_init(&h->running, false);
	atomic_init(&h->stopping, false);
	atomic_init(&h->inflight, 0);
	h->max_body = o->max_body != 0 ? o->max_body : 65536;
	h->conn_timeout = o->conn_timeout_s != 0 ? o->conn_timeout_s : 15;
	h->deadline = o->request_deadline_s != 0 ? o->request_deadline_s : 30;
	h->per_ip = o->per_ip_conn_limit != 0 ? o->per_ip_conn_limit : 32;
	h->maxconn = o->max_connections != 0 ? o->max_connections : 1024;
	h->threads = o->threads;
	if (h->threads == 0) {
		/*
		 * Two per core: a worker that answers a durable write waits
		 * for the group fsync with its other connections parked, and
		 * a second worker keeps the core busy meanwhile (measured:
		 * +7% issuances/s at concurrency 4, +11% at 16 on 2 cores).
		 */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		h->threads = ncpu > 0 && ncpu <= 32 ? 2 * (unsigned int)ncpu :
		    ncpu > 32 ? 64 : 4;
	}
	/* MHD splits the connection limit over the pool: >= 1 each. */
	if (h->threads > h->maxconn)
		h->threads = h->maxconn;
	for (i = 0; i < o->nlisten; i++) {
		h->l[i].h = h;
		h->l[i].idx = (int)i;
		h->l[i].fd = -1;
		h->l[i].port = -1;
		if (parse_listen(o->listen[i], &h->l[i]) != 0) {
			snprintf(err, errsz, "bad listen address \"%.64s\" "
			    "(want numeric IPv4:port or [IPv6]:port)",
			    o->listen[i] != NULL ? o->listen[i] : "");
			goto fail;
		}
	}
	h->nl = o->nlisten;
	if (o->cert_pem != NULL || o->key_pem != NULL) {
		if ((h->cur = creds_new(o->cert_pem, o->key_pem, err,
		    errsz)) == NULL)
			goto fail;
		h->tls = true;
	}
	return h;
fail:
	httpd_free(h);
	return NULL;
}

int
httpd_start(struct httpd *h, char *err, size_t errsz)
{
	size_t i;

	if (h->started) {
		snprintf(err, errsz, "httpd: already started");
		return -1;
	}
	for (i = 0; i < h->nl; i++) {
		if (start_listener(h, &h->l[i], err, errsz) != 0) {
			while (i-- > 0) {
				MHD_stop_daemon(h->l[i].d);
				h->l[i].d = NULL;
				h->l[i].port = -1;
			}
			return -1;
		}
	}
	h->started = true;
	atomic_store(&h->running, true);
	return 0;
}

int
httpd_bound_port(struct httpd *h, size_t i)
{
	if (h == NULL || i >= h->nl || h->l[i].d == NULL)
		return -1;
	return h->l[i].port;
}

int
httpd_set_certificate(struct httpd *h, const char *cert_pem,
    const char *key_pem)
{
	struct creds *c;
	char err[160];

	if (!h->tls) {
		log_err("httpd: certificate swap on a server without TLS");
		return -1;
	}
	if ((c = creds_new(cert_pem, key_pem, err, sizeof(err))) == NULL) {
		log_err("httpd: new certificate refused: %s", err);
		return -1;
	}
	pthread_mutex_lock(&h->credlk);
	h->cur->next = h->retired;
	h->retired = h->cur;
	h->cur = c;
	pthread_mutex_unlock(&h->credlk);
	log_info("httpd: TLS certificate replaced");
	return 0;
}

void
httpd_stop(struct httpd *h)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	size_t i;
	int waited;

	if (h == NULL || !h->started || h->stopped)
		return;
	h->stopped = true;
	atomic_store(&h->stopping, true);
	for (waited = 0; atomic_load(&h->inflight) > 0 &&
	    waited < STOP_GRACE_MS; waited += 5)
		nanosleep(&ts, NULL);
	for (i = 0; i < h->nl; i++) {
		MHD_stop_daemon(h->l[i].d);
		h->l[i].d = NULL;
	}
	atomic_store(&h->running, false);
}

void
httpd_free(struct httpd *h)
{
	struct creds *c;
	size_t i;

	if (h == NULL)
		return;
	httpd_stop(h);
	for (i = 0; i < MAX_LISTEN; i++) {
		if (h->l[i].fd != -1 && h->l[i].h != NULL)
			close(h->l[i].fd);
	}
	creds_free(h->cur);
	while ((c = h->retired) != NULL) {
		h->retired = c->next;
		creds_free(c);
	}
	pthread_mutex_destroy(&h->credlk);
	free(h);
}
