/* va_dns01.c - dns-01 validation (RFC 8555 §8.4) with c-ares TXT lookups */
/* SPDX-License-Identifier: MIT */

#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "log.h"
#include "va.h"
#include "va_internal.h"

/* Longest TXT record we assemble; the expected value is 43 octets. */
#define TXT_MAX		512

struct txt_state {
	const char	*want;
	bool		 done;
	int		 status;
	bool		 match;
	size_t		 nrec;				/* TXT records seen */
	char		 other[VA_EXCERPT_MAX * 4 + 4];	/* first non-match, escaped */
};

static void
record_done(struct txt_state *st, const unsigned char *rec, size_t len,
    bool cut)
{
	st->nrec++;
	if (!cut && len == strlen(st->want) && memcmp(rec, st->want, len) == 0)
		st->match = true;
	else if (st->other[0] == '\0')
		va_excerpt(rec, len, st->other, sizeof(st->other));
}

static void
txt_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct txt_state	*st = arg;
	struct ares_txt_ext	*txt = NULL, *t;
	unsigned char		 rec[TXT_MAX];
	size_t			 len = 0, n;
	bool			 open = false, cut = false;
	int			 rc;

	(void)timeouts;
	st->done = true;
	st->status = status;
	if (status != ARES_SUCCESS)
		return;
	if ((rc = ares_parse_txt_reply_ext(abuf, alen, &txt)) != ARES_SUCCESS) {
		st->status = rc;
		return;
	}
	/*
	 * A TXT record is one or more character-strings; its value is
	 * their concatenation (RFC 8555 §8.4 compares whole records).
	 */
	for (t = txt; t != NULL; t = t->next) {
		if (t->record_start) {
			if (open)
				record_done(st, rec, len, cut);
			open = true;
			len = 0;
			cut = false;
		}
		n = t->length;
		if (n > sizeof(rec) - len) {
			n = sizeof(rec) - len;
			cut = true;
		}
		memcpy(rec + len, t->txt, n);
		len += n;
	}
	if (open)
		record_done(st, rec, len, cut);
	ares_free_data(txt);
}

int
va_dns01(struct va_call *vc, const struct va_request *req, int64_t deadline,
    struct va_result *res)
{
	struct txt_state	 st;
	ares_channel		 ch;
	char			 qname[300];
	int			 rc = -1;

	memset(&st, 0, sizeof(st));
	st.want = req->dns01_value;
	/* RFC 8738 §7: dns-01 cannot prove control of an IP address. */
	if (req->ident.type == ACME_IDENT_IP) {
		acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
		    "dns-01 cannot validate the IP address %s (RFC 8738 §7); "
		    "use http-01 or tls-alpn-01", req->ident.value);
		rc = 0;
		goto out;
	}
	if (!va_name_ok(req->ident.value)) {
		log_err("va: dns-01: bad name in request");
		acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
		    "internal error during validation");
		goto out;
	}
	/* RFC 8555 §8.4; for a wildcard the RA passes the base name. */
	snprintf(qname, sizeof(qname), "_acme-challenge.%s", req->ident.value);
	if ((ch = va_call_channel(vc, deadline)) == NULL) {
		acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
		    "internal error during validation");
		goto out;
	}
	ares_query(ch, qname, ns_c_in, ns_t_txt, txt_cb, &st);
	if (va_call_wait(vc, deadline) == -1) {
		acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
		    "internal error during validation");
		goto out;
	}
	if (!st.done || st.status == ARES_ETIMEOUT ||
	    st.status == ARES_ECANCELLED || st.status == ARES_EDESTRUCTION) {
		acme_problem_set(&res->prob, ACME_P_DNS,
		    "DNS problem: query for TXT %s timed out: is the DNS "
		    "resolver reachable? (see --dns-resolver)", qname);
	} else if (st.status == ARES_ENOTFOUND) {
		acme_problem_set(&res->prob, ACME_P_DNS,
		    "DNS problem: NXDOMAIN looking up TXT for %s: add a TXT "
		    "record there with the value \"%s\"", qname,
		    req->dns01_value);
	} else if (st.status == ARES_ENODATA ||
	    (st.status == ARES_SUCCESS && st.nrec == 0)) {
		acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
		    "no TXT record found at %s: add one with the value \"%s\"",
		    qname, req->dns01_value);
	} else if (st.status == ARES_ECONNREFUSED ||
	    st.status == ARES_ESERVFAIL) {
		/*
		 * c-ares (1.18) ends a query whose every server answered
		 * SERVFAIL or REFUSED as it ends one no server took:
		 * ARES_ECONNREFUSED. Name both; a SERVFAIL is the usual one.
		 */
		acme_problem_set(&res->prob, ACME_P_DNS,
		    "DNS problem: SERVFAIL (or REFUSED, or no DNS server "
		    "reachable) looking up TXT for %s (see --dns-resolver)",
		    qname);
	} else if (st.status != ARES_SUCCESS) {
		log_info("va: dns-01: TXT %s: %s", qname,
		    ares_strerror(st.status));
		acme_problem_set(&res->prob, ACME_P_DNS,
		    "DNS problem: looking up TXT for %s failed (%s)", qname,
		    ares_strerror(st.status));
	} else if (st.match) {
		res->valid = true;
	} else {
		acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
		    "incorrect TXT record \"%s\"%s at %s: expected \"%s\"",
		    st.other, st.nrec > 1 ? " (and others)" : "", qname,
		    req->dns01_value);
	}
	rc = 0;
out:
	return rc;
}
