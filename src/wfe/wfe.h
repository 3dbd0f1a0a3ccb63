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
struct json_t;

struct wfe_opts {
	const char		*base_url;	/* "https://localhost:8555", no trailing / */
	const char		*website;	/* directory meta; NULL or "" = absent */
	const char		*tos_url;
	const char *const	*caa_identities;
	size_t			 ncaa_identities;
	bool			 eab_required;
	bool			 validation_skip;
	unsigned		 retry_after_s;	/* Retry-After on polling */
	/*
	 * A challenge POST that starts a validation is answered with its
	 * outcome if it comes within this many ms (http_hold); 0 = never.
	 */
	unsigned		 challenge_wait_ms;
	/* profiles (draft-ietf-acme-profiles), CRLs */
	const char *const	*profile_names;	/* meta.profiles (draft-ietf-acme-profiles) */
	const char *const	*profile_descs;
	size_t			 nprofiles;
	/* directory meta ACME_META_TEST_KNOBS (knobs_meta); NULL = absent */
	const struct json_t	*test_knobs;
	/* GET WFE_CRL_PATH serves this when set (a new DER buffer, caller frees) */
	unsigned char		*(*crl_fetch)(void *arg, size_t *len);
	void			*crl_arg;
	/*
	 * The status page (src/page/, page_handle): sees each request
	 * first and returns non-zero when it answered it. NULL = none.
	 */
	int			(*page)(void *arg, const struct http_request *req,
				    struct http_response *resp);
	void			*page_arg;
	/* The OCSP responder (src/ocsp/, ocsp_handle), as page. NULL = none. */
	int			(*ocsp)(void *arg, const struct http_request *req,
				    struct http_response *resp);
	void			*ocsp_arg;
	/*
	 * newAccount requests per minute per client address, burst the
	 * same (0 = no limit), on the listeners (http_request.listener)
	 * whose new_account_limited[i] is true; beyond it 429 rateLimited
	 * with Retry-After. NULL: every listener. Copied.
	 */
	unsigned		 new_account_rate;
	const bool		*new_account_limited;
	size_t			 nlisteners;	/* entries in new_account_limited */
};

/* Most listeners a WFE tells apart for the newAccount limit. */
#define WFE_MAX_LISTENERS	16

/* Where the CRL is served (base_url + this is the leaves' CRL DP). */
#define WFE_CRL_PATH	"/crl/intermediate.crl"

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
