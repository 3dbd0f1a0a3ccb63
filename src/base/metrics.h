/* metrics.h - lock-free request, issuance and validation counters; Prometheus text exposition */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_METRICS_H
#define LOCALACME_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"

/*
 * Process-wide counters (C11 atomics, relaxed): the WFE, RA and admin
 * listener bump them from any thread without a lock and without a
 * pointer threaded through their options. Only /metrics reads them.
 *
 * Endpoints are the ACME URL kinds (acme/url.h) plus a few of ours.
 */
enum metrics_endpoint {
	/* 0 .. ACME_URL__MAX - 1: enum acme_url_kind */
	METRICS_EP_CRL = 32,		/* the CRL */
	METRICS_EP_PEM,			/* /roots/root.pem, /intermediates/current.pem */
	METRICS_EP_OTHER,		/* anything else (404s) */
	METRICS_EP__MAX
};

/* One request answered with `status` after `seconds`. */
void	 metrics_request(int endpoint, int status, double seconds);
/* One certificate issued through ACME under profile (may be "" or NULL). */
void	 metrics_issuance(const char *profile);
/* One validation finished. */
void	 metrics_validation(enum acme_chall_type type, bool valid);
/* One nonce rejected by the --nonce-reject knob. */
void	 metrics_nonce_rejected(void);

/*
 * The names issuances are counted under (at most 8, before threads
 * start); other names count as "other". Borrowed strings are copied.
 */
void	 metrics_set_profiles(const char *const *names, size_t n);

/*
 * The Prometheus text format (version 0.0.4) of every counter and
 * histogram. Returns a new string (caller frees), NULL on ENOMEM.
 */
char	*metrics_render(size_t *len);

/* Zero everything (tests). */
void	 metrics_reset(void);

#endif /* LOCALACME_METRICS_H */
