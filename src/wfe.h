/* wfe.h - the web front end: ACME routes, request checks, wire format */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_WFE_H
#define LOCALACME_WFE_H

#include <stdbool.h>
#include <stddef.h>

struct ra;
struct nonce_table;
struct http_request;
struct http_response;

struct wfe_opts {
	const char		*base_url;	/* "https://localhost:8555", no trailing / */
	const char		*website;	/* directory meta; NULL or "" = absent */
	const char		*tos_url;
	const char *const	*caa_identities;
	size_t			 ncaa_identities;
	bool			 eab_required;
	bool			 validation_skip;
	unsigned		 retry_after_s;	/* Retry-After on polling */
};

/*
 * The WFE turns HTTP requests into RA calls and RA results into RFC 8555
 * resources. It checks every POST in the order of HARDENING.md §2: framing,
 * JWS structure, key, signature, nonce, url, payload. It never writes
 * state itself. Returns NULL on allocation failure; the strings in opts are
 * copied.
 */
struct wfe	*wfe_new(const struct wfe_opts *opts, struct ra *ra,
		    struct nonce_table *nonces);
void		 wfe_free(struct wfe *w);

/* An http_handler_fn (httpd.h); arg is the struct wfe. Thread-safe. */
void		 wfe_handle(void *arg, const struct http_request *req,
		    struct http_response *resp);

#endif /* LOCALACME_WFE_H */
