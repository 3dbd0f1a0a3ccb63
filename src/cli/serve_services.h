/* serve_services.h - what serve runs beside the ACME API: test knobs, profiles, the CRL publisher, the management API */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_SERVE_SERVICES_H
#define LOCALACME_SERVE_SERVICES_H

#include <stddef.h>
#include <time.h>

#include "acme/url.h"
#include "profile.h"

struct admin;
struct ca;
struct config;
struct crl;
struct dnsmock;
struct json_t;
struct ocsp;
struct ra;
struct ra_opts;
struct va_opts;
struct wfe_opts;

/*
 * What `serve` owns besides the ACME API, so serve.c needs only a few
 * calls. Zero it, then services_setup, services_ra_opts while the RA's
 * options are filled, services_open once the RA exists,
 * services_wfe_opts, services_start once the ACME listener runs,
 * services_tick in the maintenance loop, services_clear at the end
 * (before ra_free).
 */
struct serve_services {
	struct profile_table	 profiles;
	const char		*pnames[PROFILE_MAX];
	const char		*pdescs[PROFILE_MAX];
	char			 crl_url[ACME_URL_SIZE];
	struct crl		*crl;		/* NULL unless --crl, until services_open */
	char			 ocsp_url[ACME_URL_SIZE];	/* "" unless --ocsp */
	struct ocsp		*ocsp;		/* NULL unless --ocsp, until services_open */
	struct admin		*admin;		/* NULL unless --admin-listen, until services_open */
	struct dnsmock		*dnsmock;	/* NULL unless --dns-mock, until services_open */
	struct json_t		*knobs_meta;	/* directory meta of the test knobs on, or NULL */
};

/*
 * Configure the knobs (seeded PRNG), build the profile table and with
 * --crl the CRL's URL, so a bad setting stops serve before the RA opens.
 * Returns 0, or -1 with a one-line reason in err naming the setting.
 */
int	 services_setup(struct serve_services *x, const struct config *cfg,
	    char *err, size_t errsz);
/*
 * Profiles, CRL URL and, with --crl, the revocation hook into the RA's
 * options (the hook reaches the CRL publisher that services_open makes).
 */
void	 services_ra_opts(struct serve_services *x, struct ra_opts *ro);
/*
 * With the RA (the only store connection; neither opens one): with --crl
 * the CRL publisher, which builds the first CRL at once, and with
 * --admin-listen the management API and its token (not bound yet), so
 * a bad setting stops serve before anything listens; with --dns-mock the
 * test DNS server, answering from then on (announced with a warning).
 * Returns 0, or -1 with a one-line reason in err naming the setting.
 */
int	 services_open(struct serve_services *x, const struct config *cfg,
	    struct ra *ra, struct ca *ca, char *err, size_t errsz);
/*
 * With --dns-mock (after services_open): the VA resolves through the mock
 * and checks CAA against --caa-identity (issue #15).
 */
void	 services_va_opts(struct serve_services *x, const struct config *cfg,
	    struct va_opts *vo);
/* meta.profiles and the CRL route into the WFE's options. */
void	 services_wfe_opts(struct serve_services *x, struct wfe_opts *wo);
/*
 * Start the management API (--admin-listen) over HTTPS with the ACME
 * API's certificate (cert_pem: chain, leaf first; key_pem), or plain HTTP
 * with --admin-insecure-http, and announce the knobs. Returns 0, or -1
 * with err.
 */
int	 services_start(struct serve_services *x, const struct config *cfg,
	    const char *cert_pem, const char *key_pem, char *err,
	    size_t errsz);
/* The renewed server certificate for the management API. 0, or -1. */
int	 services_set_certificate(struct serve_services *x, const char *cert_pem,
	    const char *key_pem);
/* Maintenance: refresh the CRL when revocations changed or it ages. */
void	 services_tick(struct serve_services *x, time_t now);
/* Stop the management API and the DNS mock, free everything. Idempotent. */
void	 services_clear(struct serve_services *x);

#endif /* LOCALACME_SERVE_SERVICES_H */
