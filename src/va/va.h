/* va.h - the validation authority: asynchronous http-01, tls-alpn-01 and dns-01 checks */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_VA_H
#define LOCALACME_VA_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"
#include "acme/problem.h"

/*
 * The VA performs challenge validations (RFC 8555 §8, RFC 8737, RFC 8738)
 * and RETURNS results; it never writes state (docs/ARCHITECTURE.md §2). Requests are
 * queued (bounded) and run by a fixed set of worker threads; each result
 * is handed, on the worker's thread, to the `done` callback that serve.c
 * installs (ra_va_done).
 *
 * Name resolution (all challenge types, every redirect hop):
 *  1. IP identifiers are used as they are (RFC 8738);
 *  2. "localhost" and every name under ".localhost" are 127.0.0.1 and ::1,
 *     in that order, without DNS (RFC 6761 §6.3);
 *  3. a "--resolve NAME=IP" pin (exact name, case-insensitive; several
 *     pins for one name give several addresses, in the order given);
 *  4. otherwise c-ares (never the blocking libc resolver), through
 *     dns_resolver when set, else the system's /etc/resolv.conf.
 * Every resolved address is tried in turn (A and AAAA, in the order the
 * resolver returns them); only a connection-level failure moves on to
 * the next address, any answer is decisive.
 *
 * http-01 redirects (RFC 8555 §8.3, §10.4; HARDENING C10): at most 10, to
 * http or https only, each hop resolved by the rules above, and only to
 * port 80, 443 or the configured http01_port (explicit or the scheme's
 * default). The https certificate of a redirect target is not verified
 * (as Boulder). The response body is capped at VA_HTTP01_BODY_MAX.
 */

/* Largest http-01 response body read; beyond it the fetch is aborted. */
#define VA_HTTP01_BODY_MAX	8192
/* Most redirects followed for one http-01 validation. */
#define VA_HTTP01_MAX_REDIRECTS	10

struct va;

struct va_opts {
	unsigned		 http01_port;	/* 0 = 80 */
	unsigned		 tlsalpn01_port; /* 0 = 443 */
	const char		*dns_resolver;	/* "IP:PORT", "[V6]:PORT"; NULL/"" = system */
	const char *const	*resolve;	/* "NAME=IP" pins */
	size_t			 nresolve;
	unsigned		 timeout_s;	/* per validation, total; 0 = 10 */
	unsigned		 workers;	/* threads; 0 = 2 */
	size_t			 queue_max;	/* bounded queue; 0 = 64 */
	/*
	 * CAA (RFC 8659) after a successful challenge, for DNS names (not
	 * IP addresses, not localhost): the relevant record set, found by
	 * climbing from the name towards the root, must let one of
	 * caa_identities issue ("issuewild" first for a wildcard), else
	 * the result is a caa problem; a failed lookup is a dns problem.
	 * On with --dns-mock, whose records the tests set.
	 */
	bool			 caa_check;
	const char *const	*caa_identities;	/* issuer domain names */
	size_t			 ncaa_identities;
};

struct va_request {
	char			 authz_id[ACME_ID_SIZE];	/* opaque, echoed back */
	char			 chall_id[ACME_ID_SIZE];	/* opaque, echoed back */
	enum acme_chall_type	 type;
	struct acme_identifier	 ident;		/* wildcard: base name ("*." stripped by the RA) */
	bool			 wildcard;	/* the order named "*." ident */
	char			 token[ACME_TOKEN_SIZE];
	char			 key_authz[128];	/* token "." thumbprint */
	char			 dns01_value[48];	/* base64url(SHA-256(key_authz)) */
	unsigned char		 tlsalpn_digest[32];	/* SHA-256(key_authz) */
};

struct va_result {
	bool			 valid;
	struct acme_problem	 prob;	/* when !valid: connection, dns, tls, incorrectResponse, unauthorized, serverInternal */
};

/*
 * Receives every result. Called from a VA worker thread (never the
 * submitting thread), once per submitted request, with pointers valid
 * only for the duration of the call; it must be thread-safe.
 */
typedef void (*va_done_fn)(void *arg, const struct va_request *req,
    const struct va_result *res);

/*
 * A new VA; the options (strings included) are copied. Workers are not
 * started (va_start_workers). Returns NULL with a one-line reason in err (when
 * errsz > 0) on a bad option (malformed pin, bad dns_resolver, port out
 * of range) or allocation failure. Caller frees with va_free.
 */
struct va	*va_new(const struct va_opts *opts, va_done_fn done, void *arg,
		    char *err, size_t errsz);

/*
 * Start the worker threads. 0, or -1 (already started, or thread
 * failure; the threads that did start are stopped again).
 * Not named va_start: that is a function-like macro of <stdarg.h>, which
 * every includer of acme/problem.h (via jansson.h) sees.
 */
int		 va_start_workers(struct va *va);

/*
 * Queue a copy of *req. Returns 0, or -1 when the queue is full, the VA
 * is not started or is stopping: the callback will then never be called
 * for this request and the caller reports the failure itself.
 */
int		 va_submit(struct va *va, const struct va_request *req);

/*
 * Stop accepting requests, let the workers DRAIN the queue (each queued
 * request still gets its validation and callback, each bounded by
 * timeout_s, so this takes at most about queued/workers * timeout_s),
 * and join them. Idempotent; safe on a never-started VA.
 */
void		 va_stop(struct va *va);

/* va_stop, then free everything. NULL-safe. */
void		 va_free(struct va *va);

/*
 * Validate one request synchronously (used by the workers and tests).
 * Fills *res: res->valid, or the problem the client should hear.
 * Returns 0 (also when !res->valid), or -1 on an internal error (bad
 * options, unknown challenge type, malformed request, allocation
 * failure), in which case *res holds a serverInternal problem.
 */
int		 va_validate(const struct va_opts *opts,
		    const struct va_request *req, struct va_result *res);

#endif /* LOCALACME_VA_H */
