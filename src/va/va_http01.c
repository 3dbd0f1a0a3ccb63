/* va_http01.c - http-01 validation (RFC 8555 §8.3) with libcurl, our resolver and redirect policy */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "knobs.h"
#include "log.h"
#include "va.h"
#include "va_internal.h"

#define URL_MAX		2048
#define CONNECT_MIN_MS	1000

/* One request target: a URL and where it must be resolved and connected. */
struct hop {
	char		 url[URL_MAX];		/* what curl requests */
	char		 shown[URL_MAX];	/* what a person reads */
	char		 host[256];		/* resolution name, no brackets */
	unsigned	 port;
	bool		 first;			/* the challenge URL itself */
};

/* The outcome of one request to one address. */
struct fetch {
	CURLcode	 cc;
	long		 status;		/* HTTP status, 0 if none */
	long		 oserr;			/* errno of a failed connect */
	bool		 toobig;		/* body beyond VA_HTTP01_BODY_MAX */
	size_t		 len;
	unsigned char	 body[VA_HTTP01_BODY_MAX];
	char		 location[URL_MAX];	/* absolute redirect target or "" */
};

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = size * nmemb;

	/* HARDENING C10: cap the body; returning short aborts the transfer. */
	if (n > sizeof(f->body) - f->len) {
		f->toobig = true;
		return 0;
	}
	memcpy(f->body + f->len, p, n);
	f->len += n;
	return n;
}

/*
 * One GET of hop->url, connecting only to addr (curl never resolves:
 * CURLOPT_CONNECT_TO with an empty host and port maps every target to
 * our address). Returns 0 with *f filled, -1 on an internal error.
 */
static int
fetch_one(const struct hop *hop, const struct va_addr *addr,
    long connect_ms, int64_t deadline, struct fetch *f)
{
	CURL			*c = NULL;
	struct curl_slist	*connect_to = NULL;
	char			 ct[96], *loc = NULL;
	char			 errbuf[CURL_ERROR_SIZE];
	int64_t			 left;
	int			 rc = -1;

	memset(f, 0, sizeof(*f));
	errbuf[0] = '\0';
	if ((left = va_left_ms(deadline)) == 0) {
		f->cc = CURLE_OPERATION_TIMEDOUT;
		return 0;
	}
	if (connect_ms > left)
		connect_ms = (long)left;
	if (addr->family == AF_INET6)
		snprintf(ct, sizeof(ct), "::[%s]:%u", addr->text, hop->port);
	else
		snprintf(ct, sizeof(ct), "::%s:%u", addr->text, hop->port);
	if ((connect_to = curl_slist_append(NULL, ct)) == NULL)
		goto out;
	if ((c = curl_easy_init()) == NULL)
		goto out;
	if (curl_easy_setopt(c, CURLOPT_URL, hop->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    /* A redirect to https is followed without checking the cert. */
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT,
	    "localacme-va/" LOCALACME_VERSION) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, f) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK) {
		log_err("va: http-01: curl_easy_setopt failed");
		goto out;
	}
	f->cc = curl_easy_perform(c);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
	(void)curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &f->oserr);
	if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc != NULL)
		snprintf(f->location, sizeof(f->location), "%s", loc);
	if (f->cc != CURLE_OK && !f->toobig)
		log_info("va: http-01: GET %s via %s: %s", hop->shown,
		    addr->text, errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(f->cc));
	rc = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(connect_to);
	return rc;
}

static bool
port_allowed(const struct va_opts *opts, unsigned port)
{
	/* --http01-redirect-ports: a test knob for client suites (C10). */
	return port == 80 || port == 443 || port == va_opt_http01_port(opts) ||
	    knobs_http01_redirect_port(port);
}

/*
 * The next hop from a Location (already absolute, made so by curl), by
 * our policy (RFC 8555 §8.3, §10.4; HARDENING C10). Returns 0, or -1 with
 * *prob filled (the hop is refused).
 */
static int
next_hop(const struct va_opts *opts, const char *location, struct hop *hop,
    struct acme_problem *prob)
{
	CURLU		*u = NULL;
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		*user = NULL, *zone = NULL, *url = NULL;
	char		 ex[VA_EXCERPT_MAX * 4 + 4], *end;
	unsigned long	 pn;
	size_t		 len, i;
	int		 rc = -1;

	va_excerpt((const unsigned char *)location, strlen(location), ex,
	    sizeof(ex));
	if ((u = curl_url()) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error during validation");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, location,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to an invalid URL \"%s\"", ex);
		goto out;
	}
	if (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to \"%s\" refused: only http and https "
		    "redirects are followed (RFC 8555 §8.3)", ex);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to \"%s\" refused: user names and IPv6 "
		    "zone ids are not allowed in redirect targets", ex);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to an invalid URL \"%s\"", ex);
		goto out;
	}
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (errno != 0 || *end != '\0' || pn == 0 || pn > 65535) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to an invalid URL \"%s\"", ex);
		goto out;
	}
	/* HARDENING C10: only the ports a challenge may live on. */
	if (!port_allowed(opts, (unsigned)pn)) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to \"%s\" refused: port %lu is not "
		    "allowed (only 80, 443, the http-01 port %u and those of "
		    "--http01-redirect-ports)", ex, pn,
		    va_opt_http01_port(opts));
		goto out;
	}
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] = (char)(host[i] - 'A' + 'a');
	if (strlen(host) >= sizeof(hop->host)) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to \"%s\" refused: host name too long",
		    ex);
		goto out;
	}
	/* Drop any fragment: it is never sent and only lengthens details. */
	(void)curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK ||
	    strlen(url) >= sizeof(hop->url)) {
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "http-01 redirect to an invalid or too long URL \"%s\"",
		    ex);
		goto out;
	}
	memset(hop, 0, sizeof(*hop));
	snprintf(hop->url, sizeof(hop->url), "%s", url);
	va_excerpt((const unsigned char *)url, strlen(url), hop->shown,
	    sizeof(hop->shown));
	snprintf(hop->host, sizeof(hop->host), "%s", host);
	hop->port = (unsigned)pn;
	hop->first = false;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(zone);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

static void
first_hop(const struct va_opts *opts, const struct va_request *req,
    struct hop *hop)
{
	const char	*lb = "", *rb = "";
	unsigned	 port = va_opt_http01_port(opts);

	memset(hop, 0, sizeof(*hop));
	if (req->ident.type == ACME_IDENT_IP && strchr(req->ident.value, ':'))
		lb = "[", rb = "]";
	/* RFC 8555 §8.3: http://{domain}/.well-known/acme-challenge/{token} */
	snprintf(hop->url, sizeof(hop->url),
	    "http://%s%s%s:%u/.well-known/acme-challenge/%s", lb,
	    req->ident.value, rb, port, req->token);
	if (port == 80)
		snprintf(hop->shown, sizeof(hop->shown),
		    "http://%s%s%s/.well-known/acme-challenge/%s", lb,
		    req->ident.value, rb, req->token);
	else
		snprintf(hop->shown, sizeof(hop->shown), "%s", hop->url);
	snprintf(hop->host, sizeof(hop->host), "%s", req->ident.value);
	hop->port = port;
	hop->first = true;
}

/* A connection-level failure at every address: say what to do. */
static void
connect_problem(const struct va_opts *opts, const struct hop *hop,
    const struct fetch *f, const char *where, struct acme_problem *prob)
{
	char	 ctx[URL_MAX + 64], hint[128];

	if (hop->first) {
		snprintf(ctx, sizeof(ctx), "while fetching %s", hop->shown);
		snprintf(hint, sizeof(hint), " (validation uses port %u; "
		    "change it with --http01-port)", va_opt_http01_port(opts));
	} else {
		snprintf(ctx, sizeof(ctx), "while following a redirect to %s",
		    hop->shown);
		hint[0] = '\0';
	}
	switch (f->cc) {
	case CURLE_COULDNT_CONNECT:
		if (f->oserr == ECONNREFUSED)
			acme_problem_set(prob, ACME_P_CONNECTION,
			    "connection refused at %s %s: is your ACME "
			    "client's http-01 server listening?%s", where,
			    ctx, hint);
		else
			acme_problem_set(prob, ACME_P_CONNECTION,
			    "cannot connect to %s (%s) %s%s", where,
			    f->oserr != 0 ? strerror((int)f->oserr) :
			    "connection failed", ctx, hint);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "timed out after %us talking to %s %s: is a firewall "
		    "dropping packets?%s", va_opt_timeout_s(opts), where, ctx,
		    hint);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
		acme_problem_set(prob, ACME_P_TLS,
		    "TLS handshake with %s failed %s", where, ctx);
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "%s did not answer with HTTP %s: is a TLS or other "
		    "server listening there?%s", where, ctx, hint);
		break;
	default:
		acme_problem_set(prob, ACME_P_CONNECTION,
		    "connection to %s failed (%s) %s%s", where,
		    curl_easy_strerror(f->cc), ctx, hint);
		break;
	}
}

static bool
is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

/* The answer decided it: fill res from the final response. */
static void
judge(const struct va_request *req, const struct hop *hop,
    const struct fetch *f, const char *from, struct va_result *res)
{
	char	 got[64];
	size_t	 n;

	if (f->status != 200) {
		if (f->status == 404)
			acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
			    "%s (at %s) answered 404 Not Found: the token file "
			    "is not being served", hop->shown, from);
		else
			acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
			    "%s (at %s) answered HTTP %ld instead of 200 with "
			    "the key authorization", hop->shown, from,
			    f->status);
		return;
	}
	if (f->toobig) {
		acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
		    "the response body of %s (at %s) is larger than %d bytes: "
		    "it must be only the key authorization", hop->shown, from,
		    VA_HTTP01_BODY_MAX);
		return;
	}
	/* RFC 8555 §8.3: ignore whitespace at the end of the body. */
	n = f->len;
	while (n > 0 && (f->body[n - 1] == ' ' || f->body[n - 1] == '\t' ||
	    f->body[n - 1] == '\r' || f->body[n - 1] == '\n'))
		n--;
	if (n == strlen(req->key_authz) &&
	    memcmp(f->body, req->key_authz, n) == 0) {
		res->valid = true;
		return;
	}
	va_excerpt(f->body, n, got, sizeof(got));
	acme_problem_set(&res->prob, ACME_P_INCORRECTRESPONSE,
	    "wrong key authorization at %s: got \"%s\", expected \"%s\"",
	    hop->shown, got, req->key_authz);
}

int
va_http01(struct va_call *vc, const struct va_request *req, int64_t deadline,
    struct va_result *res)
{
	const struct va_opts	*opts = vc->opts;
	struct hop	*hop = NULL;
	struct fetch	*f = NULL;
	struct va_addrs	 addrs;
	char		 where[256], one[64];
	size_t		 i, nredir = 0;
	long		 connect_ms;
	int		 rc = -1;

	if ((hop = calloc(1, sizeof(*hop))) == NULL ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		log_err("va: http-01: out of memory");
		goto out;
	}
	first_hop(opts, req, hop);
	for (;;) {
		if (va_resolve(vc, hop->host, deadline, &addrs,
		    &res->prob) == -1) {
			if (res->prob.type == ACME_P_SERVERINTERNAL)
				goto out;
			rc = 0;
			goto out;
		}
		where[0] = '\0';
		for (i = 0; i < addrs.n; i++) {
			/* Leave time for the addresses after this one. */
			connect_ms = (long)(va_left_ms(deadline) /
			    (int64_t)(addrs.n - i));
			if (connect_ms < CONNECT_MIN_MS)
				connect_ms = CONNECT_MIN_MS;
			if (fetch_one(hop, &addrs.a[i], connect_ms, deadline,
			    f) == -1)
				goto out;
			va_addr_port(&addrs.a[i], hop->port, one, sizeof(one));
			if (where[0] != '\0')
				strncat(where, " and ", sizeof(where) -
				    strlen(where) - 1);
			strncat(where, one, sizeof(where) - strlen(where) - 1);
			/* An answer (any status, or our body cap) decides. */
			if (f->cc == CURLE_OK || f->toobig)
				break;
			if (va_left_ms(deadline) == 0)
				break;
		}
		if (f->cc != CURLE_OK && !f->toobig) {
			connect_problem(opts, hop, f, where, &res->prob);
			rc = 0;
			goto out;
		}
		if (!is_redirect(f->status))
			break;
		/* RFC 8555 §8.3 (SHOULD follow), bounded: HARDENING C10. */
		if (nredir++ == VA_HTTP01_MAX_REDIRECTS) {
			acme_problem_set(&res->prob, ACME_P_CONNECTION,
			    "too many http-01 redirects (more than %d) "
			    "starting at http://%s/.well-known/acme-challenge/"
			    "%s", VA_HTTP01_MAX_REDIRECTS, req->ident.value,
			    req->token);
			rc = 0;
			goto out;
		}
		if (f->location[0] == '\0') {
			acme_problem_set(&res->prob, ACME_P_CONNECTION,
			    "%s answered HTTP %ld without a usable Location",
			    hop->shown, f->status);
			rc = 0;
			goto out;
		}
		if (next_hop(opts, f->location, hop, &res->prob) == -1) {
			if (res->prob.type == ACME_P_SERVERINTERNAL)
				goto out;
			rc = 0;
			goto out;
		}
	}
	/* "where" ends with the address that answered. */
	judge(req, hop, f, strrchr(where, ' ') != NULL ?
	    strrchr(where, ' ') + 1 : where, res);
	rc = 0;
out:
	free(hop);
	free(f);
	return rc;
}
