/* serve_page.c - serve's status page: its options from the settings (the links it may show) */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "page.h"
#include "serve_page.h"

struct page *
serve_page_new(const struct config *cfg, const char *crl_url, struct ra *ra,
    struct ca *ca)
{
	struct page_opts	 po;
	char			 metrics[512];
	int			 n;

	memset(&po, 0, sizeof(po));
	po.base_url = cfg->base_url;
	po.crl_url = crl_url != NULL && crl_url[0] != '\0' ? crl_url : NULL;
	if (cfg->admin_listen[0] != '\0') {
		n = snprintf(metrics, sizeof(metrics), "%s://%s/metrics",
		    cfg->admin_insecure_http ? "http" : "https",
		    cfg->admin_listen);
		if (n > 0 && (size_t)n < sizeof(metrics))
			po.metrics_url = metrics;
	}
	return page_new(&po, ra, ca);
}
