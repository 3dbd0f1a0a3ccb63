/* va_caa.c - CAA checks (RFC 8659) after a successful challenge, with c-ares */
/* SPDX-License-Identifier: MIT */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "log.h"
#include "va.h"
#include "va_internal.h"

/* Longest issuer domain name kept for a problem's detail. */
#define ISSUER_MAX	64

struct caa_state {
	bool		 done;
	int		 status;
	size_t		 nissue, nwild;		/* properties seen */
	bool		 issue_ok, wild_ok;	/* one names us */
	bool		 critical_unknown;	/* RFC 8659 §4.1 */
	char		 other[ISSUER_MAX * 4 + 4];	/* first other issuer */
};

/* A query's state with the options behind it, for the callback. */
struct caa_query {
	struct caa_state	 st;
	const struct va_opts	*opts;
};

/* RFC 8659 §4.2: issuer-domain-name, before any ';' and blanks. */
static bool
names_us(const struct va_opts *opts, const unsigned char *v, size_t n,
    char *other, size_t othersz)
{
	size_t	 s = 0, e, i;

	while (s < n && (v[s] == ' ' || v[s] == '\t'))
		s++;
	for (e = s; e < n && v[e] != ';' && v[e] != ' ' && v[e] != '\t'; e++)
		;
	for (i = 0; i < opts->ncaa_identities && e > s; i++)
		if (strlen(opts->caa_identities[i]) == e - s &&
		    strncasecmp(opts->caa_identities[i], (const char *)v + s,
		    e - s) == 0)
			return true;
	if (other[0] == '\0') {
		if (e == s)
			snprintf(other, othersz, ";");	/* nobody may issue */
		else
			va_excerpt(v + s, e - s, other, othersz);
	}
	return false;
}

static void
caa_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct caa_query	*q = arg;
	struct caa_state	*st = &q->st;
	struct ares_caa_reply	*caa = NULL, *c;
	const struct va_opts	*opts = q->opts;
	int			 rc;

	(void)timeouts;
	st->done = true;
	st->status = status;
	if (status != ARES_SUCCESS)
		return;
	if ((rc = ares_parse_caa_reply(abuf, alen, &caa)) != ARES_SUCCESS) {
		st->status = rc;
		return;
	}
	for (c = caa; c != NULL; c = c->next) {
		if (c->plength == 5 &&
		    strncasecmp((const char *)c->property, "issue", 5) == 0) {
			st->nissue++;
			if (names_us(opts, c->value, c->length, st->other,
			    sizeof(st->other)))
				st->issue_ok = true;
		} else if (c->plength == 9 && strncasecmp(
		    (const char *)c->property, "issuewild", 9) == 0) {
			st->nwild++;
			if (names_us(opts, c->value, c->length, st->other,
			    sizeof(st->other)))
				st->wild_ok = true;
		} else if (c->critical & 0x80 && !(c->plength == 5 &&
		    strncasecmp((const char *)c->property, "iodef", 5) == 0))
			st->critical_unknown = true;
	}
	ares_free_data(caa);
}

/* One CAA query; 0 with q->st filled, or -1 (internal). */
static int
query(const struct va_opts *opts, const char *name, int64_t deadline,
    struct caa_query *q)
{
	ares_channel	 ch;

	memset(q, 0, sizeof(*q));
	q->opts = opts;
	if ((ch = va_ares_channel(opts, deadline)) == NULL)
		return -1;
	ares_query(ch, name, ns_c_in, ns_t_caa, caa_cb, q);
	if (va_ares_wait(ch, deadline) == -1) {
		ares_destroy(ch);
		return -1;
	}
	ares_destroy(ch);	/* runs a still-pending callback */
	return 0;
}

int
va_caa(const struct va_opts *opts, const struct va_request *req,
    int64_t deadline, struct va_result *res)
{
	struct caa_query	 q;
	const char		*name = req->ident.value, *at;
	size_t			 len;

	/* RFC 8738 has no CAA for IP addresses; localhost has no DNS. */
	if (req->ident.type != ACME_IDENT_DNS)
		return 0;
	len = strlen(name);
	if (strcasecmp(name, "localhost") == 0 ||
	    (len > 10 && strcasecmp(name + len - 10, ".localhost") == 0))
		return 0;
	/* RFC 8659 §3: the first non-empty set climbing to the TLD. */
	for (at = name; at != NULL; at = strchr(at, '.') != NULL ?
	    strchr(at, '.') + 1 : NULL) {
		if (query(opts, at, deadline, &q) == -1)
			return -1;
		if (!q.st.done || q.st.status == ARES_ETIMEOUT ||
		    q.st.status == ARES_ECANCELLED ||
		    q.st.status == ARES_EDESTRUCTION) {
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_DNS,
			    "DNS problem: query for CAA %s timed out", at);
			return 0;
		}
		if (q.st.status == ARES_ENOTFOUND ||
		    q.st.status == ARES_ENODATA)
			continue;	/* empty: climb */
		if (q.st.status == ARES_ESERVFAIL ||
		    q.st.status == ARES_ECONNREFUSED) {
			/* c-ares reports a SERVFAIL as "could not contact" */
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_DNS,
			    "DNS problem: SERVFAIL (or no answer) looking up "
			    "CAA for %s; issuance needs a CAA answer (RFC "
			    "8659 §3)", at);
			return 0;
		}
		if (q.st.status != ARES_SUCCESS) {
			/* §3: a failed lookup is no permission. */
			log_info("va: CAA %s: %s", at,
			    ares_strerror(q.st.status));
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_DNS,
			    "DNS problem: looking up CAA for %s failed (%s); "
			    "issuance needs a CAA answer", at,
			    ares_strerror(q.st.status));
			return 0;
		}
		if (q.st.critical_unknown) {
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_CAA,
			    "CAA record for %s has a critical property this "
			    "CA does not know; it forbids issuance (RFC 8659 "
			    "§4.1)", at);
			return 0;
		}
		/* §4.3: issuewild rules wildcards when present. */
		if (req->wildcard && q.st.nwild > 0) {
			if (!q.st.wild_ok)
				goto forbidden;
			return 0;
		}
		if (q.st.nissue == 0 || q.st.issue_ok)
			return 0;	/* §4.2: no issue property limits none */
		goto forbidden;
	}
	return 0;
forbidden:
	res->valid = false;
	if (opts->ncaa_identities == 0)
		acme_problem_set(&res->prob, ACME_P_CAA,
		    "CAA record for %s forbids issuance (it names \"%s\"; "
		    "this server has no --caa-identity)", at, q.st.other);
	else
		acme_problem_set(&res->prob, ACME_P_CAA,
		    "CAA record for %s forbids issuance: it names \"%s\", "
		    "not this CA (--caa-identity %s)", at, q.st.other,
		    opts->caa_identities[0]);
	return 0;
}
