/* admin_internal.h - what the management API's files share: route groups kept in files of their own (src/admin/ only) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ADMIN_INTERNAL_H
#define LOCALACME_ADMIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme.h"

struct dnsmock;
struct http_request;
struct http_response;

/* Is path one of the DNS mock's routes (admin_dnsmock.c)? */
bool	 admin_dnsmock_path(const char *path);
/*
 * Serve one DNS mock route (the guards already passed): POST with a JSON
 * body as pebble-challtestsrv takes it; 200 "ok", 400 with the reason,
 * 405 for another method.
 */
void	 admin_dnsmock_handle(struct dnsmock *m, const struct http_request *req,
	    struct http_response *resp);

/*
 * admin_pebble.c: Pebble's shapes of the management API (issue #15 item
 * 2), beside ours, so a test suite written against Pebble works here.
 */

/*
 * Add Pebble's members of cert-status-by-serial to j, after ours (Go's
 * case-insensitive decoding then takes Pebble's): "Status" ("Valid",
 * "Revoked"), "Serial" (hex, no leading zeros), "Certificate" (PEM) and,
 * when revoked, "Reason" and "RevokedAt" (Go's time.String() in UTC).
 * Returns 0, or -1 out of memory.
 */
int	 admin_pebble_status(json_t *j, const struct acme_cert *c);

/*
 * Is j Pebble's set-renewal-info body, {"Certificate": PEM,
 * "ARIResponse": "<renewalInfo JSON as a string>"} (keys in any case, as
 * Go reads them)? 0 = no; 1 = yes and understood: hex is the leaf's
 * serial, *start, *end the window and *url its explanationURL (may be
 * NULL; valid while *owner lives; json_decref it); -1 = yes but bad,
 * with why filled.
 */
int	 admin_pebble_renewal(json_t *j, char hex[ACME_SERIAL_SIZE],
	    time_t *start, time_t *end, const char **url, json_t **owner,
	    char *why, size_t whysz);

#endif /* LOCALACME_ADMIN_INTERNAL_H */
