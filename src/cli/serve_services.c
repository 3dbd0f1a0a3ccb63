/* serve_services.c - what serve runs beside the ACME API: test knobs, profiles, the CRL publisher, the OCSP responder, the management API */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "acme/keypolicy.h"
#include "admin.h"
#include "config.h"
#include "crl.h"
#include "dnsmock.h"
#include "serve_services.h"
#include "conformance.h"
#include "knobs.h"
#include "log.h"
#include "metrics.h"
#include "ocsp.h"
#include "profile.h"
#include "ra.h"
#include "statedir.h"
#include "va.h"
#include "wfe.h"

int
services_setup(struct serve_services *x, const struct config *cfg, char *err,
    size_t errsz)
{
	struct knobs_opts	 ko;
	int			 n;

	memset(x, 0, sizeof(*x));
	memset(&ko, 0, sizeof(ko));
	ko.nonce_reject_pct = (unsigned)cfg->nonce_reject_pct;
	ko.authz_reuse_pct = (unsigned)cfg->authz_reuse_pct;
	ko.va_delay_max_ms = (unsigned)cfg->va_delay_ms;
	ko.seed = (uint64_t)cfg->seed;
	ko.strict = cfg->strict;
	if (knobs_retry_form_parse(cfg->retry_after_form,
	    &ko.retry_form) == -1) {
		snprintf(err, errsz, "retry_after_form: must be seconds or "
		    "date");
		return -1;
	}
	/* issue #15 item 4: the client suites' knobs */
	if (knobs_parse_ports(cfg->http01_redirect_ports, ko.redirect_ports,
	    &ko.nredirect_ports) == -1) {
		snprintf(err, errsz, "http01_redirect_ports: must be a comma "
		    "list of at most %d distinct ports 1-65535",
		    KNOBS_MAX_PORTS);
		return -1;
	}
	if (knobs_parse_duration(cfg->authz_lifetime,
	    &ko.authz_lifetime_s) == -1) {
		snprintf(err, errsz, "authz_lifetime: must be a duration such "
		    "as 30s, 10m, 2h or 7d (1s to 365d)");
		return -1;
	}
	if (knobs_parse_duration(cfg->order_lifetime,
	    &ko.order_lifetime_s) == -1) {
		snprintf(err, errsz, "order_lifetime: must be a duration such "
		    "as 30s, 10m, 2h or 7d (1s to 365d)");
		return -1;
	}
	ko.weak_keys = cfg->weak_keys;
	ko.retry_after_s = (unsigned)cfg->retry_after;
	ko.delete_revoked = cfg->delete_revoked;
	if (knobs_configure(&ko) == -1) {
		snprintf(err, errsz, "cannot set up the test knobs");
		return -1;
	}
	/* The client conformance report (GET <admin>/conformance). */
	if (conformance_init(0) == -1) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	acme_keypolicy_set_weak(cfg->weak_keys);	/* before any thread */
	if (knobs_meta(cfg, &x->knobs_meta) == -1) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}

	profile_table_init(&x->profiles, (unsigned)cfg->leaf_days);
	for (size_t i = 0; i < cfg->nprofiles; i++)
		if (profile_table_apply(&x->profiles, cfg->profiles[i], err,
		    errsz) == -1)
			return -1;
	if (profile_table_set_default(&x->profiles, cfg->default_profile,
	    err, errsz) == -1)
		return -1;
	for (size_t i = 0; i < x->profiles.n; i++) {
		x->pnames[i] = x->profiles.p[i].name;
		x->pdescs[i] = x->profiles.p[i].desc;
	}
	metrics_set_profiles(x->pnames, x->profiles.n);

	/* --ocsp: the leaves' AIA names the responder (issue #15). */
	if (cfg->ocsp) {
		n = snprintf(x->ocsp_url, sizeof(x->ocsp_url), "%s%s",
		    cfg->base_url, OCSP_PATH);
		if (n < 0 || (size_t)n >= sizeof(x->ocsp_url)) {
			snprintf(err, errsz, "ocsp: base_url too long");
			return -1;
		}
	}
	if (!cfg->crl)
		return 0;
	n = snprintf(x->crl_url, sizeof(x->crl_url), "%s%s", cfg->base_url,
	    WFE_CRL_PATH);
	if (n < 0 || (size_t)n >= sizeof(x->crl_url)) {
		snprintf(err, errsz, "crl: base_url too long");
		return -1;
	}
	return 0;
}

/* ra_opts.on_revoke: the publisher exists from services_open on. */
static void
services_on_revoke(void *arg)
{
	struct serve_services *x = arg;

	if (x->crl != NULL)
		crl_on_revoke(x->crl);
}

void
services_ra_opts(struct serve_services *x, struct ra_opts *ro)
{
	ro->profiles = &x->profiles;
	ro->authz_pending_s = knobs_authz_lifetime_s();	/* 0: the RA's */
	ro->order_pending_s = knobs_order_lifetime_s();
	if (x->ocsp_url[0] != '\0')	/* --ocsp */
		ro->ocsp_url = x->ocsp_url;
	if (x->crl_url[0] != '\0') {	/* --crl */
		ro->crl_url = x->crl_url;
		ro->on_revoke = services_on_revoke;
		ro->on_revoke_arg = x;
	}
}

int
services_open(struct serve_services *x, const struct config *cfg,
    struct ra *ra, struct ca *ca, char *err, size_t errsz)
{
	struct crl_opts		 co;
	char			 out[4096], cerr[256];

	if (cfg->dns_mock[0] != '\0') {
		struct dnsmock_opts mo;

		memset(&mo, 0, sizeof(mo));
		mo.listen = cfg->dns_mock;
		mo.default_ipv4 = cfg->dns_mock_default_ipv4;
		mo.default_ipv6 = cfg->dns_mock_default_ipv6;
		if ((x->dnsmock = dnsmock_new(&mo, err, errsz)) == NULL ||
		    dnsmock_start(x->dnsmock, err, errsz) == -1)
			return -1;
		log_warn("serve: DNS MOCK ON (--dns-mock): a test DNS server "
		    "answers on %s (UDP); the VA resolves every name through "
		    "it (A %s, AAAA %s by default) and checks CAA; records "
		    "are set through the management API%s. For tests only.",
		    cfg->dns_mock, cfg->dns_mock_default_ipv4[0] != '\0' ?
		    cfg->dns_mock_default_ipv4 : "none",
		    cfg->dns_mock_default_ipv6[0] != '\0' ?
		    cfg->dns_mock_default_ipv6 : "none",
		    cfg->admin_listen[0] != '\0' ? "" :
		    " (off: no --admin-listen)");
	}
	if (cfg->admin_listen[0] != '\0') {
		struct admin_opts ao;

		memset(&ao, 0, sizeof(ao));
		ao.listen = cfg->admin_listen;
		ao.expose_keys = cfg->admin_expose_keys;
		ao.insecure_http = cfg->admin_insecure_http;
		ao.token_file = cfg->admin_token_file;
		ao.hostnames = (const char *const *)cfg->hostnames;
		ao.nhostnames = cfg->nhostnames;
		ao.dns_mock = x->dnsmock;
		if ((x->admin = admin_new(&ao, ra, ca, err, errsz)) == NULL)
			return -1;
	}
	if (cfg->ocsp) {
		if ((x->ocsp = ocsp_new(ra, ca, err, errsz)) == NULL)
			return -1;
		log_info("serve: OCSP responder at %s", x->ocsp_url);
	}
	if (!cfg->crl)
		return 0;
	memset(&co, 0, sizeof(co));
	co.period_s = (unsigned)cfg->crl_period_s;
	if (statedir_path(cfg, "intermediate.crl", out, sizeof(out)) == 0)
		co.out_path = out;
	if ((x->crl = crl_new(&co, ra, ca, cerr, sizeof(cerr))) == NULL) {
		snprintf(err, errsz, "%s", cerr);
		return -1;
	}
	log_info("serve: CRL published at %s", x->crl_url);
	return 0;
}

void
services_va_opts(struct serve_services *x, const struct config *cfg,
    struct va_opts *vo)
{
	if (x->dnsmock == NULL)
		return;
	vo->dns_resolver = dnsmock_resolver(x->dnsmock);
	vo->caa_check = true;
	vo->caa_identities = (const char *const *)cfg->caa_identities;
	vo->ncaa_identities = cfg->ncaa_identities;
}

void
services_wfe_opts(struct serve_services *x, struct wfe_opts *wo)
{
	wo->profile_names = x->pnames;
	wo->profile_descs = x->pdescs;
	wo->nprofiles = x->profiles.n;
	wo->test_knobs = x->knobs_meta;
	if (knobs_retry_after_s() > 0)
		wo->retry_after_s = knobs_retry_after_s();
	if (x->ocsp != NULL) {
		wo->ocsp = ocsp_handle;
		wo->ocsp_arg = x->ocsp;
	}
	if (x->crl != NULL) {
		wo->crl_fetch = crl_fetch;
		wo->crl_arg = x->crl;
	}
}

int
services_start(struct serve_services *x, const struct config *cfg,
    const char *cert_pem, const char *key_pem, char *err, size_t errsz)
{
	knobs_announce();
	if (x->admin == NULL) {
		if (cfg->admin_expose_keys)
			log_warn("serve: --admin-expose-keys has no effect "
			    "without --admin-listen");
		return 0;
	}
	return admin_start(x->admin, cert_pem, key_pem, err, errsz);
}

int
services_set_certificate(struct serve_services *x, const char *cert_pem,
    const char *key_pem)
{
	return admin_set_certificate(x->admin, cert_pem, key_pem);
}

void
services_tick(struct serve_services *x, time_t now)
{
	if (x->crl != NULL)
		(void)crl_maybe_refresh(x->crl, now, NULL);
}

void
services_clear(struct serve_services *x)
{
	admin_free(x->admin);
	crl_free(x->crl);
	dnsmock_free(x->dnsmock);
	json_decref(x->knobs_meta);
	x->admin = NULL;
	x->crl = NULL;
	x->dnsmock = NULL;
	x->knobs_meta = NULL;
	ocsp_free(x->ocsp);
	x->admin = NULL;
	x->crl = NULL;
	x->ocsp = NULL;
}
