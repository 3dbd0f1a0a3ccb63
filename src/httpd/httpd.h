/* httpd.h - what the WFE sees of HTTP; no libmicrohttpd types leak */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_HTTPD_H
#define LOCALACME_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAXHDRS	12
#define HTTP_REQID_SIZE	37	/* a UUID, 36 characters, and the NUL */

struct httpd;

struct http_header {
	const char	*name;	/* borrowed: a string literal (never freed) */
	char		*value;	/* heap, owned by the response */
};

/*
 * One request as the handler sees it. Every pointer is borrowed and
 * valid only during the handler call.
 */
struct http_request {
	const char	*method;	/* "GET", "HEAD", "POST", ... */
	const char	*path;		/* %-decoded path, no query: for routing */
	const char	*raw_path;	/* the path as received, not decoded, no
					   query: what a JWS "url" must name
					   (RFC 8555 §6.4); never NULL */
	const char	*query;		/* raw text after '?', or NULL (HARDENING U06) */
	const char	*content_type;	/* Content-Type header or NULL */
	const char	*replay_nonce;	/* Replay-Nonce request header or NULL (T12) */
	const char	*origin;	/* Origin header or NULL (CORS, T19) */
	const char	*user_agent;	/* User-Agent header or NULL (RFC 8555 §6.1) */
	const char	*host;		/* Host header or NULL (admin: DNS rebinding) */
	const char	*authorization;	/* Authorization header or NULL (admin token) */
	const char	*body;		/* never NULL; NUL-terminated ("" if none) */
	size_t		 bodysz;
	bool		 body_too_large; /* body over max_body: answer 413 (T08-T10);
					    body is then "" */
	const char	*remote_addr;	/* peer address as text */
	unsigned	 remote_port;	/* peer TCP port (0 if unknown) */
	const char	*request_id;	/* random UUID (36 chars); also the
					   X-Request-Id header and the
					   thread's log id */
	int		 listener;	/* index into httpd_opts.listen */
	struct httpd	*server;	/* the server that took it (http_wake) */
};

/*
 * The handler fills this; httpd zeroes it before the call and frees it
 * (http_response_clear) after sending. status 0 or out of 100..599 is
 * answered 500.
 */
struct http_response {
	int		 status;
	const char	*content_type;	/* static string, or NULL for none */
	struct http_header hdrs[HTTP_MAXHDRS];
	size_t		 nhdrs;
	char		*body;		/* heap (malloc); ownership passes to httpd */
	size_t		 bodysz;
	bool		 close;		/* send Connection: close and close */
};

/*
 * Append header `name` (a string literal: it is not copied) with a
 * printf-formatted value (copied). Returns 0, or -1 when all
 * HTTP_MAXHDRS slots are used, on allocation failure, or when the name
 * is not an HTTP token or the value holds CR, LF or other control
 * characters (header injection).
 */
int	 http_response_add_header(struct http_response *r, const char *name,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Set status, content type (a static string) and body, taking ownership
 * of body (malloc'd, may be NULL); a previous body is freed.
 */
void	 http_response_set_body(struct http_response *r, int status,
	    const char *content_type, char *body, size_t len);

/* Free header values and the body; zero the struct. Idempotent. */
void	 http_response_clear(struct http_response *r);

/*
 * Called once per request, synchronously in an httpd worker thread, so
 * it must be thread-safe and quick. It must fill resp.
 */
typedef void (*http_handler_fn)(void *arg, const struct http_request *req,
    struct http_response *resp);

/*
 * A held answer: the handler cannot answer yet, but soon will (RFC 8555
 * §7.5.1, a challenge POST answered with its validation's outcome).
 * Inside the handler, http_hold() gives the request a ticket and keeps a
 * copy of `state` (statesz bytes, at most HTTP_HOLD_STATE_MAX). If the
 * handler then returns with resp->status 0, httpd keeps resp as it is
 * (its headers stay) and lets go of the request thread: the connection
 * is suspended, and no thread waits. When http_wake(ticket) is called,
 * from any thread, or after `ms` milliseconds, whichever comes first,
 * httpd calls later(arg, req, resp, state) on a request thread, with the
 * same request, the kept resp and the copy of state, to finish the
 * answer; arg is the handler's. A handler that fills resp anyway answers
 * at once, and the ticket lapses. http_wake of a ticket that lapsed or
 * was answered does nothing; it is safe until httpd_free.
 * http_hold returns 0 (no ticket: answer now) when the request cannot be
 * held: out of memory, the server stopping, or a request httpd did not
 * dispatch.
 */
#define HTTP_HOLD_STATE_MAX	1024

typedef void (*http_later_fn)(void *arg, const struct http_request *req,
    struct http_response *resp, const void *state);

unsigned long long http_hold(const struct http_request *req, unsigned ms,
    http_later_fn later, const void *state, size_t statesz);
void	 http_wake(struct httpd *h, unsigned long long ticket);

/* Zero in any numeric field means the default given. */
struct httpd_opts {
	const char *const *listen;	/* numeric "127.0.0.1:8555", "[::1]:8555";
					   port 0 = pick a free one */
	size_t		 nlisten;	/* 1..8 */
	size_t		 max_body;	/* 65536 */
	unsigned	 conn_timeout_s; /* inactivity timeout, 15 (never 0 in MHD) */
	unsigned	 request_deadline_s; /* absolute, from the request line
					   to the end of the body, 30 (X27) */
	unsigned	 header_timeout_s; /* 5: from accept (TLS handshake
					   included), or from a later request
					   line, to the end of the headers */
	unsigned	 per_ip_conn_limit; /* 32; for peers other than loopback
					    (on loopback every client shares
					    one address) */
	unsigned	 max_connections; /* 0 = from RLIMIT_NOFILE (raised to
					    its hard limit), at most 8192; at
					    the limit the idlest connection
					    is closed to make room */
	unsigned	 threads;	/* per listener; 0 = two per core */
	const char	*cert_pem;	/* TLS chain (leaf first) and key as PEM */
	const char	*key_pem;	/* text; both NULL = plain HTTP */
	/*
	 * With TLS: where a client that sent plain HTTP to this port is
	 * told to go ("https://localhost:8555/directory"); NULL = "https://".
	 * Copied.
	 */
	const char	*https_url;
};

/*
 * Validate opts and prepare (TLS credentials parsed, key checked against
 * the certificate); binds nothing yet. opts strings are copied. Returns
 * NULL with a one-line reason in err on failure. Free with httpd_free().
 */
struct httpd *httpd_new(const struct httpd_opts *opts, http_handler_fn fn,
    void *arg, char *err, size_t errsz);

/*
 * Can spec ("IPv4:port" or "[IPv6]:port") be listened on now? Binds it
 * as httpd_start would, then closes it: a caller checks its addresses
 * before work it would have to undo. 0, or -1 with err naming the
 * address ("cannot listen on 127.0.0.1:8555: Address already in use").
 */
int	 httpd_check_listen(const char *spec, char *err, size_t errsz);

/*
 * Bind every listen address (SO_REUSEADDR; IPV6_V6ONLY for v6) and start
 * one MHD daemon (epoll, thread pool) per address; logs each address.
 * Returns 0, or -1 with the reason in err (nothing left running).
 */
int	 httpd_start(struct httpd *h, char *err, size_t errsz);

/*
 * The bound port of listener i (useful after port 0), or -1 if i is out
 * of range or the server is not started.
 */
int	 httpd_bound_port(struct httpd *h, size_t listener_index);

/*
 * Replace the TLS certificate chain and key without a restart: handshakes
 * after the call present the new chain; connections already set up keep
 * theirs. Thread-safe. Returns 0, or -1 (logged) if the server has no
 * TLS, the PEM does not parse or the key does not match the leaf. The
 * previous credentials are kept until httpd_free (a handshake may still
 * be using them).
 */
int	 httpd_set_certificate(struct httpd *h, const char *cert_pem,
	    const char *key_pem);

/*
 * Stop accepting (new connections are closed at once), give requests in
 * flight up to 2 s to finish, then close all connections and join the
 * threads (a handler call in progress always completes). Idempotent; a
 * stopped server cannot be restarted.
 */
void	 httpd_stop(struct httpd *h);

/* httpd_stop, then free everything. NULL is a no-op. */
void	 httpd_free(struct httpd *h);

#endif /* LOCALACME_HTTPD_H */
