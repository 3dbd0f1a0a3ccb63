/* admin_internal.h - the management API's route groups kept in files of their own (not for other parts) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ADMIN_INTERNAL_H
#define LOCALACME_ADMIN_INTERNAL_H

#include <stdbool.h>

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

#endif /* LOCALACME_ADMIN_INTERNAL_H */
