/* admin.h - the management API: a second, plain-HTTP loopback listener for tests and operators */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ADMIN_H
#define LOCALACME_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

struct ca;
struct http_request;
struct http_response;

/*
 * Pebble's management interface, on its own listener (off by default):
 *   GET  /roots/0, /intermediates/0          PEM
 *   GET  /root-keys/0, /intermediate-keys/0  PEM keys, only with
 *                                            expose_keys (as Pebble, for tests)
 *   GET  /cert-status-by-serial/<hex>        JSON status, reason, times
 *   POST /set-renewal-info/                  JSON {"certID"|"serial",
 *        "suggestedWindow": {"start","end"}, "explanationURL"?}: the
 *        window renewalInfo answers for that certificate (RFC 9773)
 *   GET  /metrics                            Prometheus text
 */
struct admin_opts {
	const char	*listen;	/* "127.0.0.1:PORT" or "[::1]:PORT"; loopback only */
	bool		 expose_keys;
	const char	*db_path;	/* the store */
	size_t		 max_body;	/* 0 = 64 KiB */
};

struct admin;

/*
 * Check the options (a non-loopback address is refused) and open the
 * store. Nothing is bound yet. Returns NULL with a reason in err. Free
 * with admin_free.
 */
struct admin	*admin_new(const struct admin_opts *opts, struct ca *ca,
		    char *err, size_t errsz);
/* Bind and serve (plain HTTP). 0, or -1 with err. */
int		 admin_start(struct admin *a, char *err, size_t errsz);
/* The bound port (after admin_start), or -1. */
int		 admin_port(struct admin *a);
/* Stop and free. NULL-safe. */
void		 admin_free(struct admin *a);

/* The http_handler_fn (arg = struct admin); exposed for tests. */
void		 admin_handle(void *arg, const struct http_request *req,
		    struct http_response *resp);

#endif /* LOCALACME_ADMIN_H */
