/* metrics.c - atomic counters and latency histograms, rendered in the Prometheus text format */
/* SPDX-License-Identifier: MIT */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/url.h"
#include "metrics.h"

_Static_assert(ACME_URL__MAX <= 32, "URL kinds fit below METRICS_EP_CRL");

#define NSTATUS		600
#define NPROFILES	8
#define PROFILE_NAME	32

/* Upper bounds in seconds (Prometheus client defaults). */
static const double buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define NBUCKETS	(sizeof(buckets) / sizeof(buckets[0]))

static atomic_uint_fast64_t	 requests[METRICS_EP__MAX][NSTATUS];
static atomic_uint_fast64_t	 hist[METRICS_EP__MAX][NBUCKETS + 1];
static atomic_uint_fast64_t	 hist_sum_us[METRICS_EP__MAX];
static atomic_uint_fast64_t	 issuances[NPROFILES + 1];	/* + "other" */
static atomic_uint_fast64_t	 validations[ACME_CHALL__MAX][2];
static atomic_uint_fast64_t	 nonce_rejects;
static char			 profile_names[NPROFILES][PROFILE_NAME];
static size_t			 nprofile_names;

static const char *
endpoint_name(int ep)
{
	static const char *const kinds[ACME_URL__MAX] = {
		[ACME_URL_DIRECTORY] = "directory",
		[ACME_URL_NEW_NONCE] = "new-nonce",
		[ACME_URL_NEW_ACCOUNT] = "new-account",
		[ACME_URL_NEW_ORDER] = "new-order",
		[ACME_URL_REVOKE_CERT] = "revoke-cert",
		[ACME_URL_KEY_CHANGE] = "key-change",
		[ACME_URL_RENEWAL_INFO] = "renewal-info",
		[ACME_URL_ACCOUNT] = "account",
		[ACME_URL_ACCOUNT_ORDERS] = "account-orders",
		[ACME_URL_ORDER] = "order",
		[ACME_URL_FINALIZE] = "finalize",
		[ACME_URL_AUTHZ] = "authz",
		[ACME_URL_CHALLENGE] = "challenge",
		[ACME_URL_CERT] = "cert",
		[ACME_URL_CERT_ALT] = "cert-alt",
	};

	if (ep >= 0 && ep < ACME_URL__MAX && kinds[ep] != NULL)
		return kinds[ep];
	if (ep == METRICS_EP_CRL)
		return "crl";
	if (ep == METRICS_EP_PEM)
		return "pem";
	return "other";
}

static int
clamp_ep(int ep)
{
	if ((ep >= 0 && ep < ACME_URL__MAX) || ep == METRICS_EP_CRL ||
	    ep == METRICS_EP_PEM)
		return ep;
	return METRICS_EP_OTHER;
}

void
metrics_request(int endpoint, int status, double seconds)
{
	int	 ep = clamp_ep(endpoint);
	size_t	 b = 0;

	if (status < 0 || status >= NSTATUS)
		status = 0;
	if (seconds < 0)
		seconds = 0;
	atomic_fetch_add_explicit(&requests[ep][status], 1,
	    memory_order_relaxed);
	while (b < NBUCKETS && seconds > buckets[b])
		b++;
	atomic_fetch_add_explicit(&hist[ep][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hist_sum_us[ep],
	    (uint_fast64_t)(seconds * 1e6), memory_order_relaxed);
}

void
metrics_set_profiles(const char *const *names, size_t n)
{
	nprofile_names = 0;
	for (size_t i = 0; i < n && i < NPROFILES; i++) {
		snprintf(profile_names[i], PROFILE_NAME, "%s", names[i]);
		nprofile_names++;
	}
}

void
metrics_issuance(const char *profile)
{
	size_t i;

	for (i = 0; i < nprofile_names; i++)
		if (profile != NULL && strcmp(profile, profile_names[i]) == 0)
			break;
	if (i == nprofile_names)
		i = NPROFILES;
	atomic_fetch_add_explicit(&issuances[i], 1, memory_order_relaxed);
}

void
metrics_validation(enum acme_chall_type type, bool valid)
{
	if ((int)type < 0 || type >= ACME_CHALL__MAX)
		return;
	atomic_fetch_add_explicit(&validations[type][valid ? 1 : 0], 1,
	    memory_order_relaxed);
}

void
metrics_nonce_rejected(void)
{
	atomic_fetch_add_explicit(&nonce_rejects, 1, memory_order_relaxed);
}

static uint64_t
get(atomic_uint_fast64_t *a)
{
	return (uint64_t)atomic_load_explicit(a, memory_order_relaxed);
}

char *
metrics_render(size_t *len)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 sz = 0;

	if ((fp = open_memstream(&buf, &sz)) == NULL)
		return NULL;
	fprintf(fp, "# HELP localacme_http_requests_total HTTP requests by "
	    "endpoint and status.\n"
	    "# TYPE localacme_http_requests_total counter\n");
	for (int ep = 0; ep < METRICS_EP__MAX; ep++)
		for (int s = 0; s < NSTATUS; s++) {
			uint64_t v = get(&requests[ep][s]);

			if (v > 0)
				fprintf(fp, "localacme_http_requests_total{"
				    "endpoint=\"%s\",status=\"%d\"} %llu\n",
				    endpoint_name(ep), s,
				    (unsigned long long)v);
		}
	fprintf(fp, "# HELP localacme_http_request_duration_seconds Request "
	    "latency by endpoint.\n"
	    "# TYPE localacme_http_request_duration_seconds histogram\n");
	for (int ep = 0; ep < METRICS_EP__MAX; ep++) {
		uint64_t cum = 0, total = 0;

		for (size_t b = 0; b <= NBUCKETS; b++)
			total += get(&hist[ep][b]);
		if (total == 0)
			continue;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += get(&hist[ep][b]);
			fprintf(fp, "localacme_http_request_duration_seconds_"
			    "bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
			    endpoint_name(ep), buckets[b],
			    (unsigned long long)cum);
		}
		fprintf(fp, "localacme_http_request_duration_seconds_bucket{"
		    "endpoint=\"%s\",le=\"+Inf\"} %llu\n", endpoint_name(ep),
		    (unsigned long long)total);
		fprintf(fp, "localacme_http_request_duration_seconds_sum{"
		    "endpoint=\"%s\"} %.6f\n", endpoint_name(ep),
		    (double)get(&hist_sum_us[ep]) / 1e6);
		fprintf(fp, "localacme_http_request_duration_seconds_count{"
		    "endpoint=\"%s\"} %llu\n", endpoint_name(ep),
		    (unsigned long long)total);
	}
	fprintf(fp, "# HELP localacme_issuances_total Certificates issued "
	    "through ACME by profile.\n"
	    "# TYPE localacme_issuances_total counter\n");
	for (size_t i = 0; i < nprofile_names; i++)
		fprintf(fp, "localacme_issuances_total{profile=\"%s\"} %llu\n",
		    profile_names[i], (unsigned long long)get(&issuances[i]));
	fprintf(fp, "localacme_issuances_total{profile=\"other\"} %llu\n",
	    (unsigned long long)get(&issuances[NPROFILES]));
	fprintf(fp, "# HELP localacme_validations_total Challenge "
	    "validations by type and result.\n"
	    "# TYPE localacme_validations_total counter\n");
	for (int t = 0; t < ACME_CHALL__MAX; t++)
		for (int r = 0; r < 2; r++)
			fprintf(fp, "localacme_validations_total{type=\"%s\","
			    "result=\"%s\"} %llu\n",
			    acme_chall_type_str((enum acme_chall_type)t),
			    r ? "valid" : "invalid",
			    (unsigned long long)get(&validations[t][r]));
	fprintf(fp, "# HELP localacme_nonces_rejected_total Valid nonces "
	    "answered badNonce by the --nonce-reject knob.\n"
	    "# TYPE localacme_nonces_rejected_total counter\n"
	    "localacme_nonces_rejected_total %llu\n",
	    (unsigned long long)get(&nonce_rejects));
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	if (len != NULL)
		*len = sz;
	return buf;
}

void
metrics_reset(void)
{
	for (int ep = 0; ep < METRICS_EP__MAX; ep++) {
		for (int s = 0; s < NSTATUS; s++)
			atomic_store(&requests[ep][s], 0);
		for (size_t b = 0; b <= NBUCKETS; b++)
			atomic_store(&hist[ep][b], 0);
		atomic_store(&hist_sum_us[ep], 0);
	}
	for (size_t i = 0; i <= NPROFILES; i++)
		atomic_store(&issuances[i], 0);
	for (int t = 0; t < ACME_CHALL__MAX; t++) {
		atomic_store(&validations[t][0], 0);
		atomic_store(&validations[t][1], 0);
	}
	atomic_store(&nonce_rejects, 0);
}
