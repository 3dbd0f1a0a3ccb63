/* admin.h - the management API: a second HTTPS listener, guarded by Host, Origin and a bearer token */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ADMIN_H
#define LOCALACME_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

struct ca;
struct dnsmock;
struct ra;
struct http_request;
struct http_response;

/*
 * Pebble's management interface, on its own listener (off by default):
 *   GET  /roots/N, /intermediates/N          PEM of hierarchy N: 0 the
 *                                            default, 1.. --alternate-roots
 *                                            (admin_hier.c)
 *   GET  /root-keys/N, /intermediate-keys/N  PEM keys, only with
 *                                            expose_keys (as Pebble, for
 *                                            tests) and the token
 *   GET  /cert-status-by-serial/<hex>        JSON status, reason, times
 *   POST /set-renewal-info/                  JSON {"certID"|"serial",
 *        "suggestedWindow": {"start","end"}, "explanationURL"?}: the
 *        window renewalInfo answers for that certificate (RFC 9773);
 *        the token and Content-Type: application/json
 *   GET  /metrics                            Prometheus text
 *   POST /set-txt, /add-a, /add-caa, ...     with --dns-mock only: the
 *        test DNS server's records, pebble-challtestsrv's routes and
 *        bodies (admin_dnsmock.c); Host and Origin guarded, the token
 *        only when the listener is not on loopback
 *   GET  /conformance                        JSON: the client conformance
 *                                            report (admin_conformance.h)
 *
 * Any web page the user opens can make the browser talk to a loopback
 * port (issue #12), so every request must carry a Host naming us (the
 * listen address, localhost or a hostname; else 403: DNS rebinding) and
 * no Origin (403: a page's fetch or form); state changes and keys need
 * "Authorization: Bearer <token>" (401). The token is in token_file, or
 * in <state>/admin.token (created 0600 at start if absent or unfit).
 */
struct admin_opts {
	const char	*listen;	/* "IP:PORT" or "[V6]:PORT" */
	bool		 expose_keys;
	bool		 insecure_http;	/* plain HTTP; only on a loopback listen */
	const char	*token_file;	/* NULL/"" = <state>/admin.token */
	const char *const *hostnames;	/* more names Host may give */
	size_t		 nhostnames;
	size_t		 max_body;	/* 0 = 64 KiB */
	struct dnsmock	*dns_mock;	/* --dns-mock: its routes; borrowed */
};

struct admin;

/*
 * Check the options (plain HTTP off loopback is refused) and set up the
 * token. Certificate status and renewal windows go through the RA (it
 * opens no store connection of its own). Nothing is bound yet. opts
 * strings are copied. Returns NULL with a one-line reason in err. Free
 * with admin_free (before the RA).
 */
struct admin	*admin_new(const struct admin_opts *opts, struct ra *ra,
		    struct ca *ca, char *err, size_t errsz);
/*
 * Bind and serve: HTTPS with cert_pem (chain, leaf first) and key_pem
 * (copied; the ACME API's certificate, from our intermediate), or plain
 * HTTP with insecure_http (both may then be NULL). 0, or -1 with err.
 */
int		 admin_start(struct admin *a, const char *cert_pem,
		    const char *key_pem, char *err, size_t errsz);
/*
 * A renewed certificate for the HTTPS listener (httpd_set_certificate).
 * 0 (also for NULL a or plain HTTP), or -1 (logged).
 */
int		 admin_set_certificate(struct admin *a, const char *cert_pem,
		    const char *key_pem);
/* The bound port (after admin_start), or -1. */
int		 admin_port(struct admin *a);
/* Stop and free. NULL-safe. */
void		 admin_free(struct admin *a);

/* The http_handler_fn (arg = struct admin); exposed for tests. */
void		 admin_handle(void *arg, const struct http_request *req,
		    struct http_response *resp);

#endif /* LOCALACME_ADMIN_H */
