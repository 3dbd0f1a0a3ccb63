/* admin_conformance.h - GET <admin>/conformance: the client conformance report */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ADMIN_CONFORMANCE_H
#define LOCALACME_ADMIN_CONFORMANCE_H

struct http_response;

/*
 * Answer the report of conformance_json() (src/base/conformance.h) as
 * application/json, 200; 500 on out of memory. A read: no token, like
 * the other GETs of the management API.
 */
void	 admin_conformance(struct http_response *resp);

#endif /* LOCALACME_ADMIN_CONFORMANCE_H */
