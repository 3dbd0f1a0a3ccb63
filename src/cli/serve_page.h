/* serve_page.h - serve's status page: its options from the settings */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_SERVE_PAGE_H
#define LOCALACME_SERVE_PAGE_H

struct config;
struct ra;
struct ca;
struct page;

/*
 * The page on the ACME listener's `/` (src/page/), with links to the CRL
 * (crl_url; "" = none) and the management API's /metrics when they are
 * served. NULL on failure (logged); page_free frees.
 */
struct page	*serve_page_new(const struct config *cfg, const char *crl_url,
		    struct ra *ra, struct ca *ca);

#endif /* LOCALACME_SERVE_PAGE_H */
