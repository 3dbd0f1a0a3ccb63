/* page.c - the status page's routes: `/` from the RA's listing and the CA's root, and the root's downloads */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "ca.h"
#include "httpd.h"
#include "knobs.h"
#include "log.h"
#include "page.h"
#include "ra.h"

#define CT_HTML		"text/html; charset=utf-8"
#define CT_PEM		"application/x-pem-file"
#define CT_DER		"application/pkix-cert"	/* RFC 2585 §4.1 */
#define CT_APPLE	"application/x-apple-aspen-config"

struct page {
	struct ra	*ra;
	char		*base_url, *crl_url, *metrics_url;
	struct page_root root;
	char		*root_pem;
	unsigned char	*root_der;
	size_t		 root_derlen;
	char		*mobileconfig;
	size_t		 mobileconfig_len;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

static int
root_info(struct page *pg, struct ca *ca)
{
	X509		*x = ca_root_cert(ca);
	BIO		*bio = NULL;
	char		 hex[65];
	unsigned char	*der = NULL;
	int		 n, ret = -1;
	size_t		 o = 0;

	if (x == NULL || ca_root_fingerprint(ca, hex) == -1)
		return -1;
	for (size_t i = 0; i < 64; i += 2) {
		if (i > 0)
			pg->root.fingerprint[o++] = ':';
		pg->root.fingerprint[o++] = hex[i];
		pg->root.fingerprint[o++] = hex[i + 1];
	}
	pg->root.fingerprint[o] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253) < 0)
		goto out;
	n = BIO_read(bio, pg->root.subject, sizeof(pg->root.subject) - 1);
	pg->root.subject[n > 0 ? n : 0] = '\0';
	pg->root.not_before = ca_asn1_to_time(X509_get0_notBefore(x));
	pg->root.not_after = ca_asn1_to_time(X509_get0_notAfter(x));
	if ((n = i2d_X509(x, &der)) <= 0)
		goto out;
	pg->root_der = der;
	pg->root_derlen = (size_t)n;
	if ((pg->root_pem = dup_or_null(ca_root_pem(ca))) == NULL)
		goto out;
	if ((pg->mobileconfig = page_mobileconfig(pg->root_der,
	    pg->root_derlen, &pg->root, &pg->mobileconfig_len)) == NULL)
		goto out;
	ret = 0;
out:
	BIO_free(bio);
	return ret;
}

struct page *
page_new(const struct page_opts *o, struct ra *ra, struct ca *ca)
{
	struct page *pg;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		goto fail;
	pg->ra = ra;
	if ((pg->base_url = strdup(o->base_url)) == NULL ||
	    (o->crl_url != NULL && (pg->crl_url = strdup(o->crl_url)) ==
	    NULL) ||
	    (o->metrics_url != NULL &&
	    (pg->metrics_url = strdup(o->metrics_url)) == NULL))
		goto fail;
	if (root_info(pg, ca) == -1) {
		log_err("page: cannot read the root certificate");
		page_free(pg);
		return NULL;
	}
	return pg;
fail:
	log_err("page: out of memory");
	page_free(pg);
	return NULL;
}

void
page_free(struct page *pg)
{
	if (pg == NULL)
		return;
	free(pg->base_url);
	free(pg->crl_url);
	free(pg->metrics_url);
	free(pg->root_pem);
	OPENSSL_free(pg->root_der);
	free(pg->mobileconfig);
	free(pg);
}

/* The rows of one page, copied out of the RA's callback. */
struct rows {
	struct page_row	 r[PAGE_ROWS + 1];
	char		*names[PAGE_ROWS + 1];
	char		 serial[PAGE_ROWS + 1][ACME_SERIAL_SIZE];
	char		 source[PAGE_ROWS + 1][16];
	char		 profile[PAGE_ROWS + 1][ACME_PROFILE_SIZE];
	size_t		 n;
	int		 oom;
};

static int
collect(const struct acme_cert *c, const struct ra_cert_info *info,
    void *arg)
{
	struct rows	*rs = arg;
	size_t		 i = rs->n;

	if (i > PAGE_ROWS)
		return 1;
	if ((rs->names[i] = strdup(c->names != NULL ? c->names : "")) ==
	    NULL) {
		rs->oom = 1;
		return 1;
	}
	snprintf(rs->serial[i], sizeof(rs->serial[i]), "%s", c->serial);
	snprintf(rs->source[i], sizeof(rs->source[i]), "%s", c->source);
	snprintf(rs->profile[i], sizeof(rs->profile[i]), "%s", info->profile);
	rs->r[i].serial = rs->serial[i];
	rs->r[i].names = rs->names[i];
	rs->r[i].source = rs->source[i];
	rs->r[i].profile = rs->profile[i];
	rs->r[i].issued = c->issued;
	rs->r[i].not_after = c->not_after;
	rs->r[i].revoked = c->status == ACME_CERT_REVOKED;
	rs->r[i].renewal = info->renewal;
	rs->n++;
	return 0;
}

/*
 * ?before=ISSUED.SERIAL (the "Older" link). 0 with the cursor set, 0
 * with none (the newest page), -1 for anything else.
 */
static int
parse_before(const char *query, time_t *issued, char serial[ACME_SERIAL_SIZE])
{
	const char	*p, *dot;
	char		*end;
	long long	 v;
	size_t		 n;

	serial[0] = '\0';
	if (query == NULL || query[0] == '\0')
		return 0;
	if (strncmp(query, "before=", 7) != 0)
		return -1;
	p = query + 7;
	if ((dot = strchr(p, '.')) == NULL)
		return -1;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (end != dot || errno != 0 || v < 0)
		return -1;
	n = strlen(dot + 1);
	if (n == 0 || n >= ACME_SERIAL_SIZE ||
	    strspn(dot + 1, "0123456789abcdefABCDEF") != n)
		return -1;
	memcpy(serial, dot + 1, n + 1);
	*issued = (time_t)v;
	return 0;
}

/* A bad request: an RFC 7807 problem, as everywhere on this listener. */
static void
problem(struct http_response *resp, int status, const char *detail)
{
	char	*s;
	int	 n;

	if ((s = malloc(256)) == NULL) {
		resp->status = 500;
		return;
	}
	/* detail is one of our literals: nothing to escape in JSON. */
	n = snprintf(s, 256, "{\"type\":\"urn:ietf:params:acme:error:"
	    "malformed\",\"detail\":\"%s\",\"status\":%d}", detail, status);
	http_response_set_body(resp, status, "application/problem+json", s,
	    n > 0 && n < 256 ? (size_t)n : strlen(s));
}

static void
get_page(struct page *pg, const struct http_request *req,
    struct http_response *resp)
{
	struct ra_cert_query	 q;
	struct page_view	 v;
	struct rows		*rs;
	char			 serial[ACME_SERIAL_SIZE], err[256], *html;
	time_t			 issued = 0;
	size_t			 len;

	if (parse_before(req->query, &issued, serial) == -1) {
		problem(resp, 400, "bad query: the only one is "
		    "?before=ISSUED.SERIAL");
		return;
	}
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		resp->status = 500;
		return;
	}
	memset(&q, 0, sizeof(q));
	q.now = time(NULL);
	q.limit = PAGE_ROWS + 1;	/* one more: is there an older page? */
	if (serial[0] != '\0') {
		q.before_issued = issued;
		q.before_serial = serial;
	}
	if (ra_cert_page(pg->ra, &q, collect, rs, err, sizeof(err)) !=
	    RA_OK || rs->oom) {
		log_err("page: listing: %s", rs->oom ? "out of memory" :
		    err);
		resp->status = 500;
		goto out;
	}
	memset(&v, 0, sizeof(v));
	v.base_url = pg->base_url;
	v.crl_url = pg->crl_url;
	v.metrics_url = pg->metrics_url;
	v.root_pem = pg->root_pem;
	v.root = &pg->root;
	v.rows = rs->r;
	v.nrows = rs->n > PAGE_ROWS ? PAGE_ROWS : rs->n;
	v.older = rs->n > PAGE_ROWS;
	v.first = serial[0] == '\0';
	v.now = q.now;
	v.weak_keys = knobs_weak_keys();
	if ((html = page_render(&v, &len)) == NULL) {
		resp->status = 500;
		goto out;
	}
	http_response_set_body(resp, 200, CT_HTML, html, len);
	/* Nothing on it runs or is framed: say so to the browser. */
	http_response_add_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "frame-ancestors 'none'");
	http_response_add_header(resp, "Cache-Control", "no-store");
out:
	for (size_t i = 0; i < rs->n; i++)
		free(rs->names[i]);
	free(rs);
}

static void
body_copy(struct http_response *resp, const char *ct, const void *p,
    size_t n)
{
	char *s;

	if ((s = malloc(n + 1)) == NULL) {
		resp->status = 500;
		return;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	http_response_set_body(resp, 200, ct, s, n);
}

int
page_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct page	*pg = arg;
	const char	*p = req->path;
	bool		 get = strcmp(req->method, "GET") == 0 ||
			    strcmp(req->method, "HEAD") == 0;

	if (strcmp(p, "/") != 0 && strcmp(p, "/root.pem") != 0 &&
	    strcmp(p, "/root.der") != 0 && strcmp(p, "/root.mobileconfig") != 0)
		return 0;
	if (!get) {
		problem(resp, 405, "use GET");
		http_response_add_header(resp, "Allow", "GET, HEAD");
		return 1;
	}
	if (strcmp(p, "/") == 0)
		get_page(pg, req, resp);
	else if (strcmp(p, "/root.pem") == 0)
		body_copy(resp, CT_PEM, pg->root_pem, strlen(pg->root_pem));
	else if (strcmp(p, "/root.der") == 0) {
		body_copy(resp, CT_DER, pg->root_der, pg->root_derlen);
		http_response_add_header(resp, "Content-Disposition",
		    "attachment; filename=\"localacme-root.der\"");
	} else {
		body_copy(resp, CT_APPLE, pg->mobileconfig,
		    pg->mobileconfig_len);
		http_response_add_header(resp, "Content-Disposition",
		    "attachment; filename=\"localacme-root.mobileconfig\"");
	}
	return 1;
}
