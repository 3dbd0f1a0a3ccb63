/* httpd.c - the only libmicrohttpd user: TLS, threads, body cap, timeouts, connection limits, held answers */
/* SPDX-License-Identifier: MIT */

#include <sys/types.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
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
#include <openssl/x509.h>
#include <uuid/uuid.h>

#include "acceptor.h"
#include "deadline.h"
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
/* Descriptors kept for everything but client connections (DB, VA, logs). */
#define FD_RESERVE	256
/* The automatic connection limit never goes above this (memory). */
#define AUTO_MAXCONN	8192
#define REAP_EVERY_MS	250
#define TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define HTTPD_MAGIC	0x68747064u

/* What a tracked connection is doing; see "connection limits" below. */
enum conn_state {
	CONN_WAITING,	/* accepted, or request line seen: headers not all in */
	CONN_BUSY,	/* headers in: body, handler, response */
	CONN_IDLE	/* kept alive between requests */
};

struct conn {
	struct conn	*prev, *next;
	int		 fd;
	enum conn_state	 state;
	long long	 since;		/* ms (monotonic) it entered state */
	bool		 closing;	/* shut down by us, MHD closes it */
	int		 worker;	/* its daemon's index in l->d, or -1 */
	sa_family_t	 family;
	unsigned char	 addr[16];	/* peer, for the per-address cap */
};

/*
 * GnuTLS's read pointer for a TLS connection (tls_pull): one slot per
 * descriptor, kept until httpd_free. MHD may free a session before or
 * after it tells us the connection closed, and may read through it in
 * between; a slot never goes away under it, and the next connection on
 * the same descriptor starts its slot afresh.
 */
struct tls_slot {
	struct httpd	*h;
	int		 fd;
	atomic_bool	 read;		/* the first bytes were read */
	struct tls_io	*io;		/* NULL: no read-ahead, no holding */
};

/*
 * Fewer system calls per request over TLS (issue #17; see tls_pull,
 * tls_push). GnuTLS reads a record as its 5-byte header and then its
 * body, two recv() each; we read ahead up to TLS_RA_SIZE and serve both
 * from here. MHD 0.9.75 hands a response to GnuTLS as two records, the
 * header and then the body (mhd_send.c, MHD_send_hdr_and_body_: no
 * vectored send with MHD_USE_TLS), each its own sendmsg(); we keep the
 * header's record here (hold) and send it with the body's, in one. Only
 * the thread of the slot's connection touches it, and only while that
 * connection lives; it is allocated at its first connection and kept
 * for the next ones on the same descriptor until httpd_free.
 */
#define TLS_RA_SIZE	4096
#define TLS_HOLD_MAX	4096
#define TLS_IOV_MAX	16

struct tls_io {
	size_t		 roff, rlen;	/* read ahead: rbuf[roff, rlen) */
	size_t		 woff, wlen;	/* held: wbuf[woff, wlen) */
	bool		 hold;		/* keep the next record for the body's */
	unsigned char	 rbuf[TLS_RA_SIZE];
	unsigned char	 wbuf[TLS_HOLD_MAX];
};

/* The kinds of closure and refusal, each logged at most once a second. */
enum limit_kind {
	LK_HEADER,		/* no complete request within header_timeout */
	LK_DEADLINE,		/* request not complete by its deadline */
	LK_RECLAIM_IDLE,	/* at the limit: idlest keep-alive closed */
	LK_RECLAIM_WAITING,	/* at the limit: oldest one without a request */
	LK_FULL,		/* at the limit, every connection busy: refused */
	LK_PER_IP,		/* per-address cap (non-loopback peers) */
	LK_PLAIN,		/* plain HTTP on a TLS port: answered 400 */
	LK_COUNT
};

struct ratelog {
	atomic_llong	 last;		/* ms (monotonic) of the last line */
	atomic_uint	 n;		/* events since */
};

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
	int			 fd;	/* listening; accepted on by h->acc */
	int			 port;
	/*
	 * One single-threaded MHD daemon per request thread, not MHD's
	 * thread pool: the acceptor gives each connection to the daemon
	 * with the fewest (acceptor.h).
	 */
	struct MHD_Daemon	**d;
	atomic_uint		*load;	/* connections given to d[k], not closed */
	unsigned int		 nd;	/* daemons started */
	unsigned int		 next;	/* where the least-loaded scan starts */
};

struct httpd {
	unsigned int	 magic;	/* checked in the GnuTLS callback */
	http_handler_fn	 fn;
	void		*arg;
	size_t		 max_body;
	unsigned int	 conn_timeout;
	unsigned int	 deadline;
	unsigned int	 per_ip;
	unsigned int	 maxconn_opt;	/* as configured, 0 = from RLIMIT_NOFILE */
	unsigned int	 maxconn;	/* ours: reclaim, then refuse, beyond */
	unsigned int	 mhd_limit;	/* MHD's, per listener: a ceiling */
	unsigned int	 header_timeout;
	unsigned int	 threads;
	struct acceptor	*acc;	/* accepts for every listener (acceptor.h) */
	bool		 tls;
	char		*https_url;	/* for plain HTTP on a TLS port */
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
	pthread_mutex_t	 connlk;	/* guards conns, nconn, nclosing, reaper_quit */
	struct conn	*conns;
	unsigned int	 nconn;
	unsigned int	 nclosing;
	pthread_cond_t	 reapcv;
	pthread_t	 reaper;
	bool		 reaper_on;
	bool		 reaper_quit;
	bool		 reaper_asleep;	/* connlk: in its timed wait ... */
	long long	 reaper_due;	/* connlk: ... until then (ms) */
	bool		 holds_new;	/* connlk: a hold parked since its scan */
	pthread_mutex_t	 holdlk;	/* guards holds and their states;
					   taken with no other of ours held */
	struct hold	*holds;		/* answers held (http_hold) */
	atomic_ullong	 next_ticket;
	struct ratelog	 rl[LK_COUNT];
	struct tls_slot	*slots;		/* by descriptor, nslots of them */
	size_t		 nslots;
	atomic_size_t	 slots_used;	/* highest descriptor + 1 with an io */
};

/*
 * A held answer (http_hold), listed in h->holds from http_hold until it
 * is answered or its connection ends. Its state moves under holdlk:
 * ASKED -> WOKEN (woken before the handler returned: answered at once),
 * ASKED -> PARKED (connection suspended) -> RESUMED (MHD_resume_connection
 * called: MHD calls on_access again, which answers). MHD's resume is
 * undefined on a connection not suspended (MHD 0.9.75 microhttpd.h), so
 * the suspend and every resume happen under holdlk, after the state says
 * PARKED.
 */
enum hold_state {
	HOLD_ASKED,
	HOLD_WOKEN,
	HOLD_PARKED,
	HOLD_RESUMED
};

struct hold {
	struct hold		*prev, *next;
	unsigned long long	 ticket;
	enum hold_state		 state;
	long long		 due;		/* ms, monotonic: answer by then */
	http_later_fn		 later;
	struct MHD_Connection	*c;
	struct http_response	 resp;		/* as the handler left it */
	unsigned char		 state_[];	/* the handler's copy */
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
	struct hold	*hold;		/* a held answer (http_hold) */
	char		 reqid[HTTP_REQID_SIZE];
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

/*
 * The request id: a random (version 4) UUID, lower case (RFC 9562 §5.4,
 * §4), what people see in the X-Request-Id header and in every log line
 * of the request. Its 122 random bits come from a per-thread pool that
 * one getrandom(2) fills for REQID_POOL requests: libuuid's
 * uuid_generate_random made about six system calls per request (getpid,
 * getuid, getppid, gettid, getrandom, twice getpid), some 34 of each
 * issuance. The id names a request; it guards nothing, so a fork(2)ed
 * child repeating its parent's pool would only repeat names (localacme
 * never forks without exec). libuuid only formats it.
 */
#define REQID_POOL	32

static void
make_reqid(char out[HTTP_REQID_SIZE])
{
	static _Thread_local uuid_t	 pool[REQID_POOL];
	static _Thread_local unsigned	 left;
	unsigned char			*u;
	size_t				 got = 0;
	ssize_t				 r;

	while (left == 0 && got < sizeof(pool)) {
		r = getrandom((unsigned char *)pool + got, sizeof(pool) - got,
		    0);
		if (r < 0 && errno != EINTR) {
			/* No kernel randomness: libuuid's own fallbacks. */
			uuid_t v;

			uuid_generate(v);
			uuid_unparse_lower(v, out);
			return;
		}
		if (r > 0 && (got += (size_t)r) == sizeof(pool))
			left = REQID_POOL;
	}
	u = pool[--left];
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4, RFC 9562 §5.4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* variant 10, §4.1 */
	uuid_unparse_lower(u, out);
}

/* Every response names its request, so a log line can be found from it. */
static void
add_reqid_header(struct MHD_Response *mr, const char *reqid)
{
	if (MHD_add_response_header(mr, "X-Request-Id", reqid) != MHD_YES)
		log_err("httpd: cannot add X-Request-Id");
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

/* The peer's TCP port (one connection of a client), or 0. */
static unsigned
addr_port(const struct sockaddr *sa)
{
	if (sa != NULL && sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa != NULL && sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
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

/* ---- connection limits ---- */

/*
 * Why these limits (issue #12 item 13). Every local client comes from
 * 127.0.0.1 or ::1, so a cap per client address is, on loopback, a cap on
 * all local clients together: one process holding a few hundred idle
 * connections used to lock every other client out. So the limits are
 * about what a connection is doing, not where it comes from:
 *
 * - header timeout (header_timeout_s, 5 s): from accept, the TLS handshake
 *   and a whole request head must be in within it; on a kept-alive
 *   connection, from the request line to the end of the headers. It is
 *   absolute: a byte a second does not extend it, as it would MHD's
 *   inactivity timeout. A reaper thread checks every REAP_EVERY_MS.
 * - request deadline (request_deadline_s): request line to the end of the
 *   body, against slow bodies (X27, deadline_ok).
 * - idle timeout (conn_timeout_s): kept-alive between requests; MHD's own.
 * - connection limit (max_connections, by default from RLIMIT_NOFILE):
 *   when a connection arrives and that many are open, room is made instead
 *   of refusing: the idlest kept-alive connection is closed or, with none,
 *   the oldest one still without a complete request (an honest client
 *   sends its request milliseconds after connecting). Only when every
 *   connection is inside a request is the newcomer refused.
 * - per-address cap (per_ip_conn_limit): peers other than loopback only.
 * MHD's own CONNECTION_LIMIT stays, above ours, as the ceiling that keeps
 * descriptors for the rest of the process; the acceptor keeps accepting
 * while we are at our limit, so the choice of what to close is ours.
 *
 * Closing from outside a connection's thread: shutdown(2) of its socket.
 * MHD's epoll sees the end of the stream and closes it in its own thread
 * with its usual cleanup. The descriptor cannot have been reused: MHD
 * reports MHD_CONNECTION_NOTIFY_CLOSED (where we unlink it under connlk,
 * the lock we shut down under) before it calls close(2).
 * Each kind of closure and refusal is logged, a line a second at most.
 */

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104: every peer shares these. */
static bool
peer_key(const struct sockaddr *sa, sa_family_t *family,
    unsigned char addr[16], bool *loopback)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	memset(addr, 0, 16);
	if (sa == NULL)
		return false;
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		memcpy(addr, &s4->sin_addr, 4);
		*loopback = addr[0] == 127;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(addr, &s6->sin6_addr, 16);
		*loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && addr[12] == 127);
		return true;
	}
	return false;
}

/*
 * Log what happened of kind k since its last line, if that was a second
 * ago or more (the reaper calls this too, so no count is left unsaid).
 */
static void
limit_flush(struct httpd *h, enum limit_kind k)
{
	long long now = now_ms(), last = atomic_load(&h->rl[k].last);
	unsigned int n;

	if (atomic_load(&h->rl[k].n) == 0 || now - last < 1000 ||
	    !atomic_compare_exchange_strong(&h->rl[k].last, &last, now))
		return;
	if ((n = atomic_exchange(&h->rl[k].n, 0)) == 0)
		return;
	switch (k) {
	case LK_HEADER:
		log_warn("httpd: closed %u connection(s) with no complete "
		    "request after %us (header timeout)", n, h->header_timeout);
		break;
	case LK_DEADLINE:
		log_warn("httpd: closed %u connection(s) whose request was not "
		    "complete after %us (request deadline)", n, h->deadline);
		break;
	case LK_RECLAIM_IDLE:
		log_warn("httpd: at the connection limit (%u): closed %u idle "
		    "keep-alive connection(s) to make room", h->maxconn, n);
		break;
	case LK_RECLAIM_WAITING:
		log_warn("httpd: at the connection limit (%u): closed %u "
		    "connection(s) still without a request to make room",
		    h->maxconn, n);
		break;
	case LK_FULL:
		log_warn("httpd: at the connection limit (%u), every connection "
		    "in a request: refused %u new connection(s)", h->maxconn, n);
		break;
	case LK_PER_IP:
		log_warn("httpd: refused %u connection(s) over the per-address "
		    "limit (%u)", n, h->per_ip);
		break;
	case LK_PLAIN:
		log_warn("httpd: answered %u plain HTTP request(s) on the "
		    "HTTPS port with 400 (the client must use %s)", n,
		    h->https_url != NULL ? h->https_url : "https://");
		break;
	case LK_COUNT:
		break;
	}
}

static void
limit_note(struct httpd *h, enum limit_kind k, unsigned int n)
{
	atomic_fetch_add(&h->rl[k].n, n);
	limit_flush(h, k);
}

/* Under connlk: have MHD close cn (see the comment above). */
static void
conn_shut(struct httpd *h, struct conn *cn)
{
	(void)shutdown(cn->fd, SHUT_RDWR);
	cn->closing = true;
	h->nclosing++;
}

static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/*
 * A request's progress. WAITING only from IDLE: a connection's first
 * request keeps counting from the accept (handshake included).
 */
static void
conn_set(struct httpd *h, struct MHD_Connection *c, enum conn_state st)
{
	struct conn *cn = conn_of(c);

	if (cn == NULL)
		return;
	pthread_mutex_lock(&h->connlk);
	if (st != CONN_WAITING || cn->state == CONN_IDLE) {
		cn->state = st;
		cn->since = now_ms();
	}
	pthread_mutex_unlock(&h->connlk);
}

/* MHD_CONNECTION_NOTIFY_STARTED and _CLOSED. */
static void
conn_track(struct httpd *h, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *cn;
	bool loopback = false;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((cn = *ctx) == NULL)
			return;
		pthread_mutex_lock(&h->connlk);
		if (cn->prev != NULL)
			cn->prev->next = cn->next;
		else
			h->conns = cn->next;
		if (cn->next != NULL)
			cn->next->prev = cn->prev;
		h->nconn--;
		if (cn->closing)
			h->nclosing--;
		pthread_mutex_unlock(&h->connlk);
		free(cn);
		*ctx = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || (cn = calloc(1, sizeof(*cn))) == NULL)
		return;	/* untracked: MHD's own timeouts still apply */
	cn->fd = ci->connect_fd;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	(void)peer_key(ci != NULL ? ci->client_addr : NULL, &cn->family,
	    cn->addr, &loopback);
	cn->state = CONN_WAITING;
	cn->since = now_ms();
	cn->worker = -1;
	pthread_mutex_lock(&h->connlk);
	cn->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = cn;
	h->conns = cn;
	h->nconn++;
	pthread_mutex_unlock(&h->connlk);
	*ctx = cn;
}

/*
 * Called before MHD sets up an accepted connection: make room at the
 * limit, or refuse. Returns false to refuse.
 */
static bool
conn_admit(struct httpd *h, const struct sockaddr *sa)
{
	struct conn *cn, *idle = NULL, *waiting = NULL;
	enum limit_kind k;
	unsigned char addr[16];
	sa_family_t fam = AF_UNSPEC;
	bool loopback = false;
	unsigned int same = 0;

	(void)peer_key(sa, &fam, addr, &loopback);
	pthread_mutex_lock(&h->connlk);
	if (!loopback && h->per_ip != 0) {
		for (cn = h->conns; cn != NULL; cn = cn->next)
			if (!cn->closing && cn->family == fam &&
			    memcmp(cn->addr, addr, 16) == 0)
				same++;
		if (same >= h->per_ip) {
			pthread_mutex_unlock(&h->connlk);
			limit_note(h, LK_PER_IP, 1);
			return false;
		}
	}
	if (h->nconn - h->nclosing < h->maxconn) {
		pthread_mutex_unlock(&h->connlk);
		return true;
	}
	for (cn = h->conns; cn != NULL; cn = cn->next) {
		if (cn->closing)
			continue;
		if (cn->state == CONN_IDLE &&
		    (idle == NULL || cn->since < idle->since))
			idle = cn;
		if (cn->state == CONN_WAITING &&
		    (waiting == NULL || cn->since < waiting->since))
			waiting = cn;
	}
	if ((cn = idle != NULL ? idle : waiting) != NULL)
		conn_shut(h, cn);
	pthread_mutex_unlock(&h->connlk);
	k = cn == NULL ? LK_FULL : cn == idle ? LK_RECLAIM_IDLE :
	    LK_RECLAIM_WAITING;
	limit_note(h, k, 1);
	return cn != NULL;
}

/* ---- held answers (http_hold) ---- */

/* The request being dispatched on this thread: what http_hold may hold. */
struct dispatching {
	struct reqctx			*rc;
	const struct http_request	*req;
};
static _Thread_local struct dispatching *dispatching;

/* Under holdlk: the hold's connection goes on as soon as it can. */
static void
hold_wake_locked(struct hold *hd)
{
	if (hd->state == HOLD_ASKED)
		hd->state = HOLD_WOKEN;
	else if (hd->state == HOLD_PARKED) {
		hd->state = HOLD_RESUMED;
		MHD_resume_connection(hd->c);
	}
}

unsigned long long
http_hold(const struct http_request *req, unsigned ms, http_later_fn later,
    const void *state, size_t statesz)
{
	struct dispatching	*d = dispatching;
	struct hold		*hd;
	struct httpd		*h;

	if (d == NULL || d->req != req || d->rc->hold != NULL ||
	    later == NULL || statesz > HTTP_HOLD_STATE_MAX)
		return 0;
	h = req->server;
	if (atomic_load(&h->stopping) ||
	    (hd = calloc(1, sizeof(*hd) + statesz)) == NULL)
		return 0;
	hd->ticket = atomic_fetch_add(&h->next_ticket, 1);
	hd->state = HOLD_ASKED;
	hd->due = now_ms() + (long long)ms;
	hd->later = later;
	if (statesz > 0)
		memcpy(hd->state_, state, statesz);
	pthread_mutex_lock(&h->holdlk);
	if ((hd->next = h->holds) != NULL)
		hd->next->prev = hd;
	h->holds = hd;
	pthread_mutex_unlock(&h->holdlk);
	d->rc->hold = hd;
	return hd->ticket;
}

void
http_wake(struct httpd *h, unsigned long long ticket)
{
	struct hold *hd;

	if (h == NULL || ticket == 0)
		return;
	pthread_mutex_lock(&h->holdlk);
	for (hd = h->holds; hd != NULL; hd = hd->next)
		if (hd->ticket == ticket) {
			hold_wake_locked(hd);
			break;
		}
	pthread_mutex_unlock(&h->holdlk);
}

/* Unlist and free rc's hold (answered, lapsed, or its connection gone). */
static void
hold_drop(struct httpd *h, struct reqctx *rc)
{
	struct hold *hd = rc->hold;

	if (hd == NULL)
		return;
	pthread_mutex_lock(&h->holdlk);
	if (hd->prev != NULL)
		hd->prev->next = hd->next;
	else
		h->holds = hd->next;
	if (hd->next != NULL)
		hd->next->prev = hd->prev;
	pthread_mutex_unlock(&h->holdlk);
	http_response_clear(&hd->resp);
	free(hd);
	rc->hold = NULL;
}

/*
 * The handler returned without an answer: keep resp and suspend the
 * connection. false when it must be answered now instead: woken already,
 * due already, or the server stopping.
 */
static bool
hold_park(struct httpd *h, struct reqctx *rc, struct MHD_Connection *c,
    struct http_response *resp)
{
	struct hold	*hd = rc->hold;
	bool		 parked = false;

	pthread_mutex_lock(&h->holdlk);
	if (hd->state == HOLD_ASKED && !atomic_load(&h->stopping) &&
	    hd->due > now_ms()) {
		hd->resp = *resp;
		memset(resp, 0, sizeof(*resp));
		hd->c = c;
		hd->state = HOLD_PARKED;
		MHD_suspend_connection(c);
		parked = true;
	}
	pthread_mutex_unlock(&h->holdlk);
	if (!parked)
		return false;
	/* The reaper wakes it when due: tell it if it sleeps longer. */
	pthread_mutex_lock(&h->connlk);
	if (!h->reaper_asleep || hd->due < h->reaper_due) {
		h->holds_new = true;
		pthread_cond_signal(&h->reapcv);
	}
	pthread_mutex_unlock(&h->connlk);
	return true;
}

/*
 * Wake the parked holds that are due (all of them with `all`); returns
 * the earliest due time of those still parked, LLONG_MAX if none.
 */
static long long
hold_expire(struct httpd *h, bool all)
{
	struct hold	*hd;
	long long	 now = now_ms(), next = LLONG_MAX;

	pthread_mutex_lock(&h->holdlk);
	for (hd = h->holds; hd != NULL; hd = hd->next) {
		if (all || (hd->state == HOLD_PARKED && hd->due <= now))
			hold_wake_locked(hd);
		else if (hd->state == HOLD_PARKED && hd->due < next)
			next = hd->due;
	}
	pthread_mutex_unlock(&h->holdlk);
	return next;
}

/*
 * Close what is past its header timeout, wake the held answers that are
 * due; flush the log counts.
 */
static void *
reaper(void *arg)
{
	struct httpd *h = arg;
	struct conn *cn;
	struct timespec ts;
	long long now, next, limit = (long long)h->header_timeout * 1000;
	unsigned int n;
	int k;

	pthread_mutex_lock(&h->connlk);
	while (!h->reaper_quit) {
		now = now_ms();
		n = 0;
		for (cn = h->conns; cn != NULL; cn = cn->next) {
			if (!cn->closing && cn->state == CONN_WAITING &&
			    now - cn->since >= limit) {
				conn_shut(h, cn);
				n++;
			}
		}
		pthread_mutex_unlock(&h->connlk);
		if (n > 0)
			limit_note(h, LK_HEADER, n);
		for (k = 0; k < LK_COUNT; k++)
			limit_flush(h, (enum limit_kind)k);
		next = hold_expire(h, false);
		pthread_mutex_lock(&h->connlk);
		now = now_ms();
		if (next > now + REAP_EVERY_MS)
			next = now + REAP_EVERY_MS;
		if (!h->reaper_quit && !h->holds_new && next > now) {
			h->reaper_asleep = true;
			h->reaper_due = next;
			deadline_after_ms(CLOCK_MONOTONIC,
			    (unsigned)(next - now), &ts);
			(void)pthread_cond_timedwait(&h->reapcv, &h->connlk,
			    &ts);
			h->reaper_asleep = false;
		}
		h->holds_new = false;
	}
	pthread_mutex_unlock(&h->connlk);
	return NULL;
}

static void
reaper_stop(struct httpd *h)
{
	if (!h->reaper_on)
		return;
	pthread_mutex_lock(&h->connlk);
	h->reaper_quit = true;
	pthread_cond_signal(&h->reapcv);
	pthread_mutex_unlock(&h->connlk);
	pthread_join(h->reaper, NULL);
	h->reaper_on = false;
}

/*
 * Raise the soft open-file limit to the hard one (epoll has no FD_SETSIZE
 * bound) and size the limits from it: ours leaves FD_RESERVE descriptors
 * and an eighth to spare for MHD's ceiling.
 */
static void
size_limits(struct httpd *h)
{
	struct rlimit rl;
	unsigned long long nofile = 1024, budget, want;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
			want = rl.rlim_max == RLIM_INFINITY ? 1048576 :
			    (unsigned long long)rl.rlim_max;
			rl.rlim_cur = (rlim_t)want;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		nofile = rl.rlim_cur == RLIM_INFINITY ? 1048576 :
		    (unsigned long long)rl.rlim_cur;
	}
	h->nslots = (size_t)nofile;
	budget = nofile > 2 * FD_RESERVE ? nofile - FD_RESERVE : nofile / 2;
	want = budget * 7 / 8;
	if (h->maxconn_opt == 0)
		h->maxconn = (unsigned int)(want < AUTO_MAXCONN ? want :
		    AUTO_MAXCONN);
	else if (h->maxconn_opt > want) {
		log_warn("httpd: max_connections %u is over what %llu open "
		    "files allow: %llu", h->maxconn_opt, nofile, want);
		h->maxconn = (unsigned int)want;
	} else
		h->maxconn = h->maxconn_opt;
	if (h->maxconn == 0)
		h->maxconn = 1;
	want = (unsigned long long)h->maxconn + h->maxconn / 4 +
	    2ULL * h->threads;
	h->mhd_limit = (unsigned int)(want < budget ? want : budget);
	/* Each request thread's daemon gets a share: >= 1 each. */
	if (h->threads > h->mhd_limit)
		h->threads = h->mhd_limit;
	log_info("httpd: up to %u connections (open-file limit %llu), "
	    "header timeout %us, idle timeout %us, request deadline %us",
	    h->maxconn, nofile, h->header_timeout, h->conn_timeout,
	    h->deadline);
}

/* ---- plain HTTP on a TLS port ---- */

/*
 * Issue #14 item 7: a client that speaks plain HTTP to the TLS port
 * (http:// instead of https://, a misconfigured proxy) used to see the
 * connection drop. MHD does the TLS, so our reading of a TLS connection
 * goes through tls_pull (set in on_connection), which looks at the very
 * first byte: a TLS client starts with a handshake record (0x16), a
 * plain HTTP request with its method (an upper-case letter). For those
 * we answer a plain-text 400 naming the https:// URL ourselves, count it
 * for the log (a line a second at most) and fail the read, so MHD closes
 * the connection. Nothing changes for a client that sends nothing: no
 * read happens, and the header timeout closes it as before.
 */
static void
plain_http_answer(struct tls_slot *cn)
{
	struct httpd	*h = cn->h;
	char		 body[512], resp[768], junk[4096];
	int		 nb, nr;

	/*
	 * Read what the client already sent (its request, usually one
	 * segment): closing with unread data would reset the connection
	 * and the client could lose the answer.
	 */
	for (int i = 0; i < 4 &&
	    recv(cn->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
		;
	nb = snprintf(body, sizeof(body), "this is an HTTPS port; use %s\n",
	    h->https_url != NULL ? h->https_url : "https://");
	if (nb < 0 || (size_t)nb >= sizeof(body))
		return;
	nr = snprintf(resp, sizeof(resp), "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n%s", nb, body);
	if (nr < 0 || (size_t)nr >= sizeof(resp))
		return;
	(void)send(cn->fd, resp, (size_t)nr, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(cn->fd, SHUT_WR);
	limit_note(h, LK_PLAIN, 1);
}

/* The first bytes a TLS port reads: plain HTTP (plain_http_answer)? */
static bool
tls_first_read(struct tls_slot *sl, const unsigned char *buf)
{
	if (atomic_exchange(&sl->read, true) || buf[0] < 'A' || buf[0] > 'Z')
		return false;
	plain_http_answer(sl);
	return true;
}

/*
 * GnuTLS's read of a TLS connection (its pointer is the descriptor's
 * slot). GnuTLS asks for a record's 5-byte header, then for its body:
 * one recv() reads ahead what the client sent (a request is usually one
 * record, and fits) and the rest is served from the slot. MHD goes on
 * reading until GnuTLS says "again", which only comes after our buffer
 * is empty and recv() said EAGAIN: nothing is left waiting here while
 * MHD waits for the socket (its epoll is edge-triggered).
 */
static ssize_t
tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct tls_slot	*sl = ptr;
	struct tls_io	*io = sl->io;
	ssize_t		 n;
	size_t		 k;

	if (io != NULL && io->roff < io->rlen) {
		k = io->rlen - io->roff < len ? io->rlen - io->roff : len;
		memcpy(buf, io->rbuf + io->roff, k);
		io->roff += k;
		return (ssize_t)k;
	}
	if (io == NULL || len >= sizeof(io->rbuf)) {
		n = recv(sl->fd, buf, len, 0);
		if (n > 0 && tls_first_read(sl, buf)) {
			errno = ECONNRESET;
			return -1;
		}
		return n;
	}
	n = recv(sl->fd, io->rbuf, sizeof(io->rbuf), 0);
	if (n <= 0)
		return n;
	if (tls_first_read(sl, io->rbuf)) {
		errno = ECONNRESET;
		return -1;
	}
	k = (size_t)n < len ? (size_t)n : len;
	memcpy(buf, io->rbuf, k);
	io->roff = k;
	io->rlen = (size_t)n;
	return (ssize_t)k;
}

static int
tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tls_slot	*sl = ptr;
	struct pollfd	 p = { .fd = sl->fd, .events = POLLIN };

	if (sl->io != NULL && sl->io->roff < sl->io->rlen)
		return 1;
	return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

/*
 * GnuTLS's write of a TLS connection. When dispatch asked for it (hold),
 * the next record (a response's header) is kept in the slot and goes
 * out in front of whatever GnuTLS writes next (that response's body),
 * in one sendmsg(). Kept bytes always leave before any later ones; when
 * the socket takes only part, we say "again" (after a real EAGAIN from
 * the kernel, so MHD's edge-triggered epoll tells it when to retry) and
 * GnuTLS gives us the same records again.
 */
static ssize_t
tls_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tls_slot	*sl = ptr;
	struct tls_io	*io = sl->io;
	struct iovec	 v[TLS_IOV_MAX + 1], *vp = v;
	struct msghdr	 m;
	size_t		 total = 0, held;
	ssize_t		 n;
	int		 i, nv = 0;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (io != NULL && io->hold) {
		io->hold = false;
		if (total <= sizeof(io->wbuf) - io->wlen) {
			for (i = 0; i < iovcnt; i++) {
				memcpy(io->wbuf + io->wlen, iov[i].iov_base,
				    iov[i].iov_len);
				io->wlen += iov[i].iov_len;
			}
			return (ssize_t)total;
		}
	}
	held = io != NULL ? io->wlen - io->woff : 0;
	if (held > 0) {
		v[nv].iov_base = io->wbuf + io->woff;
		v[nv++].iov_len = held;
	}
	for (i = 0; i < iovcnt && i < TLS_IOV_MAX; i++) {
		v[nv].iov_base = iov[i].iov_base;
		v[nv++].iov_len = iov[i].iov_len;
	}
	for (;;) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = vp;
		m.msg_iovlen = (size_t)nv;
		n = sendmsg(sl->fd, &m, MSG_NOSIGNAL);
		if (n < 0)
			return -1;	/* errno: EAGAIN, EINTR, EPIPE, ... */
		if ((size_t)n > held || held == 0) {
			if (held > 0)
				io->woff = io->wlen = 0;
			return n - (ssize_t)held;
		}
		/* Only kept bytes left: keep count, send the rest. */
		io->woff += (size_t)n;
		held -= (size_t)n;
		vp->iov_base = (char *)vp->iov_base + n;
		vp->iov_len -= (size_t)n;
		if (held == 0) {
			io->woff = io->wlen = 0;
			vp++;
			if (--nv == 0)
				return 0;
		}
	}
}

/* The slot of a connection's descriptor, or NULL. */
static struct tls_slot *
slot_of(struct httpd *h, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *fi;

	if (!h->tls || h->slots == NULL)
		return NULL;
	fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (fi == NULL || fi->connect_fd < 0 ||
	    (size_t)fi->connect_fd >= h->nslots)
		return NULL;
	return &h->slots[fi->connect_fd];
}

/*
 * Kept bytes that no later write took (a response we expected a body
 * for had none): send them now, and push them, since MHD pushed (set
 * TCP_NODELAY on a socket it may have corked) before they left. Only a
 * full socket can leave some, and the next write sends those first.
 */
static void
tls_unhold(struct tls_slot *sl)
{
	struct tls_io	*io;
	ssize_t		 n;
	int		 on = 1;

	if (sl == NULL || (io = sl->io) == NULL)
		return;
	io->hold = false;
	if (io->woff == io->wlen)
		return;
	n = send(sl->fd, io->wbuf + io->woff, io->wlen - io->woff,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0) {
		io->woff += (size_t)n;
		(void)setsockopt(sl->fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
	}
	if (io->woff == io->wlen)
		io->woff = io->wlen = 0;
}

/* NOTIFY_STARTED of a TLS connection: its I/O goes through the slot. */
static void
plain_watch(struct httpd *h, gnutls_session_t s, int fd)
{
	struct tls_slot	*sl;
	size_t		 used;

	if (fd < 0 || (size_t)fd >= h->nslots || h->slots == NULL)
		return;		/* no slot: no check, TLS as usual */
	sl = &h->slots[fd];
	sl->h = h;
	sl->fd = fd;
	atomic_store(&sl->read, false);
	if (sl->io == NULL && (sl->io = malloc(sizeof(*sl->io))) != NULL) {
		used = atomic_load(&h->slots_used);
		while (used < (size_t)fd + 1 &&
		    !atomic_compare_exchange_weak(&h->slots_used, &used,
		    (size_t)fd + 1))
			;
	}
	if (sl->io != NULL) {
		sl->io->roff = sl->io->rlen = 0;
		sl->io->woff = sl->io->wlen = 0;
		sl->io->hold = false;
	}
	gnutls_transport_set_ptr2(s, sl, sl);
	gnutls_transport_set_pull_function(s, tls_pull);
	gnutls_transport_set_pull_timeout_function(s, tls_pull_timeout);
	gnutls_transport_set_vec_push_function(s, tls_push);
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
 * over removing the listen socket and can abort the process.) Then the
 * connection limits (conn_admit).
 */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct httpd *h = cls;

	(void)addrlen;
	if (atomic_load(&h->stopping))
		return MHD_NO;
	return conn_admit(h, addr) ? MHD_YES : MHD_NO;
}

/*
 * The acceptor's hand-off (acceptor.h): to the daemon with the fewest
 * connections, the first such from a point that moves on each time, so
 * that connections opened together go round the threads. MHD then runs
 * on_accept (the limits) and starts the connection on that daemon's
 * thread, or closes it.
 */
static void
on_new_connection(void *arg, size_t idx, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct httpd	*h = arg;
	struct listener	*l = &h->l[idx];
	unsigned int	 k, best, n, least = UINT_MAX;

	best = l->next % l->nd;
	for (k = 0; k < l->nd; k++) {
		unsigned int i = (l->next + k) % l->nd;

		if ((n = atomic_load(&l->load[i])) < least) {
			least = n;
			best = i;
		}
	}
	l->next = best + 1;
	atomic_fetch_add(&l->load[best], 1);
	if (MHD_add_connection(l->d[best], fd, sa, salen) != MHD_YES)
		atomic_fetch_sub(&l->load[best], 1);	/* refused, closed */
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
	struct httpd *h = gnutls_session_get_ptr(s);
	gnutls_transport_ptr_t rp, sp;
	int fd, on = 1, off = 0;

	(void)htype;
	(void)when;
	(void)msg;
	if (!incoming)
		return 0;
	/* Our slot (plain_watch), or MHD's descriptor when there is none. */
	gnutls_transport_get_ptr2(s, &rp, &sp);
	if (h != NULL && h->slots != NULL &&
	    (uintptr_t)sp >= (uintptr_t)h->slots &&
	    (uintptr_t)sp < (uintptr_t)(h->slots + h->nslots))
		fd = ((struct tls_slot *)sp)->fd;
	else
		fd = gnutls_transport_get_int(s);
	if (fd < 0)
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
	const union MHD_ConnectionInfo *ci, *fi;
	struct conn *cn;
	gnutls_session_t s;

	/* Its daemon's count of connections: the acceptor's placement. */
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED &&
	    (cn = *socket_context) != NULL && cn->worker >= 0)
		atomic_fetch_sub(&l->load[cn->worker], 1);
	conn_track(l->h, c, socket_context, toe);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED &&
	    (cn = *socket_context) != NULL &&
	    (ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_DAEMON)) != NULL)
		for (unsigned int k = 0; k < l->nd; k++)
			if (l->d[k] == ci->daemon) {
				cn->worker = (int)k;
				break;
			}
	if (toe != MHD_CONNECTION_NOTIFY_STARTED || !l->h->tls)
		return;
	/* MHD made the session already and handshakes later, in this thread. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return;
	s = (gnutls_session_t)ci->tls_session;
	gnutls_session_set_ptr(s, l->h);
	gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_FINISHED,
	    GNUTLS_HOOK_POST, on_tls_finished);
	fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (fi != NULL)
		plain_watch(l->h, s, fi->connect_fd);
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
	conn_set(l->h, c, CONN_WAITING);
	return rc;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct reqctx *rc = *req_cls;

	conn_set(l->h, c, CONN_IDLE);
	tls_unhold(slot_of(l->h, c));	/* normally nothing is left */
	if (rc == NULL)
		return;
	if (!rc->responded || rc->hold != NULL)
		log_debug("httpd: request %s ended without a response (%d)",
		    rc->reqid, (int)toe);
	hold_drop(l->h, rc);
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
		log_debug("httpd: request %s not complete after %us, closing",
		    rc->reqid, l->h->deadline);
		limit_note(l->h, LK_DEADLINE, 1);
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

/* The handler's view of the request; addr holds the peer's text. */
static void
request_of(struct listener *l, struct reqctx *rc, struct MHD_Connection *c,
    const char *url, const char *method, struct http_request *req,
    char addr[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *ci;

	memset(req, 0, sizeof(*req));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	addr_text(ci != NULL ? ci->client_addr : NULL, addr, INET6_ADDRSTRLEN);
	req->method = method;
	req->path = origin_form(url);
	req->raw_path = origin_form(rc->raw_path);
	req->query = rc->has_query ? rc->query : NULL;
	req->content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	req->replay_nonce = header(c, "Replay-Nonce");
	req->origin = header(c, "Origin");
	req->user_agent = header(c, MHD_HTTP_HEADER_USER_AGENT);
	req->host = header(c, MHD_HTTP_HEADER_HOST);
	req->authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	req->body = rc->body != NULL ? rc->body : "";
	req->bodysz = rc->len;
	req->body_too_large = rc->too_large;
	req->remote_addr = addr;
	req->remote_port = addr_port(ci != NULL ? ci->client_addr : NULL);
	req->request_id = rc->reqid;
	req->listener = l->idx;
	req->server = l->h;
}

static enum MHD_Result respond(struct listener *, struct reqctx *,
    struct MHD_Connection *, const char *, const char *,
    struct http_response *);

/*
 * Build the request and call the handler once. Its answer goes out now
 * or, held (http_hold), the connection is suspended; MHD calls on_access
 * again once it is resumed, and the hold's later() finishes the answer.
 */
static enum MHD_Result
dispatch(struct listener *l, struct reqctx *rc, struct MHD_Connection *c,
    const char *url, const char *method)
{
	struct httpd *h = l->h;
	struct http_request req;
	struct http_response resp;
	struct dispatching d;
	struct hold *hd;
	char addr[INET6_ADDRSTRLEN];
	bool resumed;

	memset(&resp, 0, sizeof(resp));
	if ((hd = rc->hold) != NULL) {
		pthread_mutex_lock(&h->holdlk);
		resumed = hd->state == HOLD_RESUMED;
		pthread_mutex_unlock(&h->holdlk);
		if (!resumed)
			return MHD_YES;	/* still parked */
		request_of(l, rc, c, url, method, &req, addr);
		log_set_request_id(rc->reqid);
		resp = hd->resp;
		memset(&hd->resp, 0, sizeof(hd->resp));
		hd->later(h->arg, &req, &resp, hd->state_);
		hold_drop(h, rc);
		return respond(l, rc, c, url, method, &resp);
	}
	rc->responded = true;
	request_of(l, rc, c, url, method, &req, addr);
	log_set_request_id(rc->reqid);
	d.rc = rc;
	d.req = &req;
	dispatching = &d;
	h->fn(h->arg, &req, &resp);
	dispatching = NULL;
	if ((hd = rc->hold) != NULL) {
		if (resp.status == 0 && hold_park(h, rc, c, &resp)) {
			log_set_request_id(NULL);
			return MHD_YES;
		}
		if (resp.status == 0)	/* woken before it could park */
			hd->later(h->arg, &req, &resp, hd->state_);
		hold_drop(h, rc);
	}
	return respond(l, rc, c, url, method, &resp);
}

/* Queue *rp (its body and headers are taken) as rc's answer. */
static enum MHD_Result
respond(struct listener *l, struct reqctx *rc, struct MHD_Connection *c,
    const char *url, const char *method, struct http_response *rp)
{
	struct httpd *h = l->h;
	struct http_response resp = *rp;
	struct MHD_Response *mr = NULL;
	struct tls_slot *sl;
	enum MHD_Result rv = MHD_NO;
	size_t i, bodysz;

	memset(rp, 0, sizeof(*rp));
	if (resp.status < 100 || resp.status > 599) {
		log_err("httpd: handler gave status %d, answering 500",
		    resp.status);
		http_response_clear(&resp);
		resp.status = 500;
	}
	bodysz = resp.bodysz;
	/*
	 * A buffer, over TLS too: one setsockopt() per response. MHD 0.9.75
	 * (mhd_send.c) does not know the cork state of a socket given with
	 * MHD_add_connection (the acceptor's), and over TLS it ends every
	 * push of data with setsockopt(TCP_NODELAY) until it has seen the
	 * socket uncorked, which over TLS it never does. A buffer response
	 * under 1400 bytes is one push (the body; the header is corked, once
	 * per connection, and tls_push keeps its record for the body's); a
	 * reader's body (round 2b) pushed the header too: two calls.
	 */
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
	add_reqid_header(mr, rc->reqid);
	/* A refused body, or CL+TE (RFC 9112 §6.3): do not reuse the stream. */
	if (resp.close || rc->too_large || rc->must_close)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	/*
	 * Header and body leave in one write (tls_push) when MHD sends a
	 * body: not for HEAD, 1xx, 204, 304 (MHD 0.9.75, connection.c,
	 * is_reply_body_needed), nor for an empty one.
	 */
	sl = bodysz > 0 && resp.status >= 200 && resp.status != 204 &&
	    resp.status != 304 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_CONNECT) != 0 ? slot_of(h, c) : NULL;
	if (sl != NULL && sl->io != NULL)
		sl->io->hold = true;
	rv = MHD_queue_response(c, (unsigned int)resp.status, mr);
	if (rv != MHD_YES) {
		log_err("httpd: cannot queue response");
		tls_unhold(sl);
	}
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
	if (rc->hold != NULL)	/* a held answer: resumed? */
		return dispatch(l, rc, c, url, method);
	if (rc->responded)
		return MHD_YES;
	if (!rc->seen) {
		/* First call: headers are in, no body byte read yet. */
		rc->seen = true;
		conn_set(l->h, c, CONN_BUSY);
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

/* "cannot listen on 127.0.0.1:8555: Address already in use" */
static void
listen_error(const struct listener *l, int e, char *err, size_t errsz)
{
	char	 addr[INET6_ADDRSTRLEN];
	int	 port;

	addr_text((const struct sockaddr *)&l->ss, addr, sizeof(addr));
	port = ntohs(l->ss.ss_family == AF_INET6 ?
	    ((const struct sockaddr_in6 *)(const void *)&l->ss)->sin6_port :
	    ((const struct sockaddr_in *)(const void *)&l->ss)->sin_port);
	snprintf(err, errsz, "cannot listen on %s%s%s:%d: %s",
	    l->ss.ss_family == AF_INET6 ? "[" : "", addr,
	    l->ss.ss_family == AF_INET6 ? "]" : "", port, strerror(e));
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
		listen_error(l, errno, err, errsz);
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

/* Stop the listener's daemons (MHD closes their connections); free them. */
static void
listener_stop(struct listener *l)
{
	while (l->nd > 0)
		MHD_stop_daemon(l->d[--l->nd]);
	free(l->d);
	free(l->load);
	l->d = NULL;
	l->load = NULL;
}

static int
start_listener(struct httpd *h, struct listener *l, char *err, size_t errsz)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int flags, per;

	if (bind_listener(l, err, errsz) != 0)
		return -1;
	/* httpd accepts, MHD_add_connection places (acceptor.h). */
	flags = MHD_USE_EPOLL | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_NO_LISTEN_SOCKET;
	if (h->tls)
		flags |= MHD_USE_TLS;
	if ((l->d = calloc(h->threads, sizeof(*l->d))) == NULL ||
	    (l->load = calloc(h->threads, sizeof(*l->load))) == NULL) {
		snprintf(err, errsz, "httpd: out of memory");
		goto fail;
	}
	/* MHD's limit, split as its pool would split it: >= 1 each. */
	per = (h->mhd_limit + h->threads - 1) / h->threads;
	for (l->nd = 0; l->nd < h->threads; l->nd++) {
		atomic_init(&l->load[l->nd], 0);
		/*
		 * The TLS options come last; for plain HTTP the list simply
		 * ends where they would begin.
		 */
		l->d[l->nd] = MHD_start_daemon(flags, 0, &on_accept, h,
		    &on_access, l,
		    MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_log, h, /* first */
		    MHD_OPTION_CONNECTION_TIMEOUT, h->conn_timeout,
		    MHD_OPTION_CONNECTION_LIMIT, per,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT,
		    MHD_OPTION_STRICT_FOR_CLIENT, 1,
		    MHD_OPTION_URI_LOG_CALLBACK, &on_uri, l,
		    MHD_OPTION_NOTIFY_COMPLETED, &on_completed, l,
		    MHD_OPTION_NOTIFY_CONNECTION, &on_connection, l,
		    h->tls ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END,
		    TLS_PRIORITIES,
		    MHD_OPTION_HTTPS_CERT_CALLBACK, &cert_cb,
		    MHD_OPTION_END);
		if (l->d[l->nd] == NULL) {
			snprintf(err, errsz, "cannot start the HTTP server on "
			    "port %d", l->port);
			goto fail;
		}
	}
	addr_text((struct sockaddr *)&l->ss, addr, sizeof(addr));
	log_info("httpd: listening on %s://%s%s%s:%d", h->tls ? "https" : "http",
	    l->ss.ss_family == AF_INET6 ? "[" : "", addr,
	    l->ss.ss_family == AF_INET6 ? "]" : "", l->port);
	return 0;
fail:
	listener_stop(l);
	close(l->fd);
	l->fd = -1;
	return -1;
}

/* ---- public ---- */

int
httpd_check_listen(const char *spec, char *err, size_t errsz)
{
	struct listener	 l;

	memset(&l, 0, sizeof(l));
	l.fd = -1;
	if (parse_listen(spec, &l) != 0) {
		snprintf(err, errsz, "bad listen address \"%.64s\" (want "
		    "numeric IPv4:port or [IPv6]:port)", spec != NULL ? spec :
		    "");
		return -1;
	}
	if (bind_listener(&l, err, errsz) != 0)
		return -1;
	close(l.fd);
	return 0;
}

struct httpd *
httpd_new(const struct httpd_opts *o, http_handler_fn fn, void *arg,
    char *err, size_t errsz)
{
	struct httpd *h = NULL;
	pthread_condattr_t ca;
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
	pthread_mutex_init(&h->connlk, NULL);
	pthread_mutex_init(&h->holdlk, NULL);
	atomic_init(&h->next_ticket, 1);
	if (pthread_condattr_init(&ca) == 0) {
		(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&h->reapcv, &ca);
		pthread_condattr_destroy(&ca);
	} else
		pthread_cond_init(&h->reapcv, NULL);
	atomic_init(&h->running, false);
	atomic_init(&h->stopping, false);
	atomic_init(&h->inflight, 0);
	h->max_body = o->max_body != 0 ? o->max_body : 65536;
	h->conn_timeout = o->conn_timeout_s != 0 ? o->conn_timeout_s : 15;
	h->deadline = o->request_deadline_s != 0 ? o->request_deadline_s : 30;
	h->per_ip = o->per_ip_conn_limit != 0 ? o->per_ip_conn_limit : 32;
	h->maxconn_opt = o->max_connections;
	h->header_timeout = o->header_timeout_s != 0 ? o->header_timeout_s : 5;
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
	if (o->https_url != NULL &&
	    (h->https_url = strdup(o->https_url)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	return h;
fail:
	httpd_free(h);
	return NULL;
}

int
httpd_start(struct httpd *h, char *err, size_t errsz)
{
	int	fds[MAX_LISTEN];
	size_t	i;

	if (h->started) {
		snprintf(err, errsz, "httpd: already started");
		return -1;
	}
	size_limits(h);
	/* Untouched pages of this array are never made resident. */
	if (h->tls && (h->slots = calloc(h->nslots,
	    sizeof(*h->slots))) == NULL) {
		snprintf(err, errsz, "httpd: out of memory");
		return -1;
	}
	if (pthread_create(&h->reaper, NULL, reaper, h) != 0) {
		snprintf(err, errsz, "httpd: cannot start a thread");
		return -1;
	}
	h->reaper_on = true;
	for (i = 0; i < h->nl; i++) {
		if (start_listener(h, &h->l[i], err, errsz) != 0)
			goto fail;
		fds[i] = h->l[i].fd;
	}
	if ((h->acc = acceptor_start(fds, h->nl, on_new_connection, h, err,
	    errsz)) == NULL)
		goto fail;
	h->started = true;
	atomic_store(&h->running, true);
	return 0;
fail:
	while (i-- > 0) {
		listener_stop(&h->l[i]);
		h->l[i].port = -1;
		close(h->l[i].fd);
		h->l[i].fd = -1;
	}
	reaper_stop(h);
	return -1;
}

int
httpd_bound_port(struct httpd *h, size_t i)
{
	if (h == NULL || i >= h->nl || h->l[i].nd == 0)
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
	/* No connection reaches MHD from here on; the ports are let go. */
	acceptor_stop(h->acc);
	h->acc = NULL;
	for (i = 0; i < h->nl; i++) {
		if (h->l[i].fd != -1)
			close(h->l[i].fd);
		h->l[i].fd = -1;
	}
	/*
	 * Held answers go out now (MHD must not stop with a connection
	 * suspended); http_hold refuses from here on.
	 */
	(void)hold_expire(h, true);
	for (waited = 0; atomic_load(&h->inflight) > 0 &&
	    waited < STOP_GRACE_MS; waited += 5)
		nanosleep(&ts, NULL);
	reaper_stop(h);
	for (i = 0; i < h->nl; i++)
		listener_stop(&h->l[i]);
	atomic_store(&h->running, false);
}

void
httpd_free(struct httpd *h)
{
	struct creds *c;
	struct conn *cn;
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
	reaper_stop(h);		/* started, never stopped: httpd_start failed */
	while ((cn = h->conns) != NULL) {	/* MHD closed them all; defensive */
		h->conns = cn->next;
		free(cn);
	}
	pthread_cond_destroy(&h->reapcv);
	pthread_mutex_destroy(&h->connlk);
	pthread_mutex_destroy(&h->holdlk);
	free(h->https_url);
	for (i = 0; h->slots != NULL && i < atomic_load(&h->slots_used); i++)
		free(h->slots[i].io);
	free(h->slots);
	free(h);
}
