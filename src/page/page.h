/* page.h - the status page on the ACME listener's `/` and the root's downloads (HTML, no JavaScript) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_PAGE_H
#define LOCALACME_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ra.h"

struct ca;
struct http_request;
struct http_response;

/* Rows on one page of the certificate table. */
#define PAGE_ROWS	100

/* What the page says about the root (from the CA, computed once). */
struct page_root {
	char		 fingerprint[96];	/* SHA-256, "AB:CD:..." */
	char		 subject[512];		/* RFC 2253 */
	time_t		 not_before;
	time_t		 not_after;
};

/* One row of the table: borrowed strings, valid during page_render. */
struct page_row {
	const char	*serial;
	const char	*names;		/* "a.test,b.test": from clients */
	const char	*source;
	const char	*profile;
	time_t		 issued;
	time_t		 not_after;
	bool		 revoked;
	enum ra_renewal	 renewal;
};

/* Everything one rendering shows; strings borrowed. */
struct page_view {
	const char		*base_url;	/* "https://localhost:8555" */
	const char		*crl_url;	/* NULL: no CRL published */
	const char		*metrics_url;	/* NULL: no management API */
	const char		*root_pem;	/* for cert-manager's caBundle */
	const struct page_root	*root;
	const struct page_row	*rows;
	size_t			 nrows;
	bool			 first;		/* the newest page */
	bool			 older;		/* rows beyond this page exist */
	bool			 weak_keys;	/* --weak-keys: a warning on top */
	time_t			 now;
};

/*
 * The HTML of the page: every text from the view is escaped. Returns a
 * new string (caller frees), its length in *len, or NULL (no memory).
 */
char		*page_render(const struct page_view *v, size_t *len);

/* An Apple configuration profile installing the root (DER). New, or NULL. */
char		*page_mobileconfig(const unsigned char *der, size_t derlen,
		    const struct page_root *root, size_t *len);

struct page_opts {
	const char	*base_url;	/* no trailing / */
	const char	*crl_url;	/* NULL = none */
	const char	*metrics_url;	/* NULL = none */
};

/* Options copied. Returns NULL (logged) on failure; page_free frees. */
struct page	*page_new(const struct page_opts *o, struct ra *ra,
		    struct ca *ca);
void		 page_free(struct page *pg);

/*
 * The WFE's hook (wfe_opts.page): for `/`, `/root.pem`, `/root.der` and
 * `/root.mobileconfig` fills resp and returns 1 (GET and HEAD; other
 * methods 405); any other path: 0, resp untouched. Thread-safe.
 */
int		 page_handle(void *arg, const struct http_request *req,
		    struct http_response *resp);

#endif /* LOCALACME_PAGE_H */
