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
/* Most names in a climb: a 253-octet name has at most 127 labels. */
#define CLIMB_MAX	127

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

static void
forbidden(const struct va_opts *opts, const char *at,
    const struct caa_state *st, struct va_result *res)
{
	res->valid = false;
	if (opts->ncaa_identities == 0)
		acme_problem_set(&res->prob, ACME_P_CAA,
		    "CAA record for %s forbids issuance (it names \"%s\"; "
		    "this server has no --caa-identity)", at, st->other);
	else
		acme_problem_set(&res->prob, ACME_P_CAA,
		    "CAA record for %s forbids issuance: it names \"%s\", "
		    "not this CA (--caa-identity %s)", at, st->other,
		    opts->caa_identities[0]);
}

/* The names whose CAA sets decide for name: itself, then each parent. */
static size_t
climb_names(const char *name, const char **at, size_t max)
{
	const char	*p = name;
	size_t		 n = 0;

	while (p != NULL && n < max) {
		at[n++] = p;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return n;
}

int
va_caa(struct va_call *vc, const struct va_request *req, int64_t deadline,
    struct va_result *res)
{
	const struct va_opts	*opts = vc->opts;
	const char		*name = req->ident.value, *at[CLIMB_MAX];
	struct caa_query	*qs = NULL;
	struct caa_state	*st;
	ares_channel		 ch;
	size_t			 len, n, i;
	int			 rc = -1;

	/* RFC 8738 has no CAA for IP addresses; localhost has no DNS. */
	if (req->ident.type != ACME_IDENT_DNS)
		return 0;
	len = strlen(name);
	if (strcasecmp(name, "localhost") == 0 ||
	    (len > 10 && strcasecmp(name + len - 10, ".localhost") == 0))
		return 0;
	/*
	 * RFC 8659 §3: the first non-empty set climbing to the TLD. All of
	 * the climb's queries go out together on the call's channel (as
	 * Boulder's VA does), then are judged from the name up, so the
	 * answer is the one a query after another would reach, in one
	 * round trip.
	 */
	n = climb_names(name, at, CLIMB_MAX);
	if ((qs = calloc(n, sizeof(*qs))) == NULL ||
	    (ch = va_call_channel(vc, deadline)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		qs[i].opts = opts;
		ares_query(ch, at[i], ns_c_in, ns_t_caa, caa_cb, &qs[i]);
	}
	if (va_call_wait(vc, deadline) == -1)
		goto out;
	rc = 0;
	for (i = 0; i < n; i++) {
		st = &qs[i].st;
		if (!st->done || st->status == ARES_ETIMEOUT ||
		    st->status == ARES_ECANCELLED ||
		    st->status == ARES_EDESTRUCTION) {
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_DNS,
			    "DNS problem: query for CAA %s timed out", at[i]);
			goto out;
		}
		if (st->status == ARES_ENOTFOUND ||
		    st->status == ARES_ENODATA)
			continue;	/* empty: climb */
		if (st->status == ARES_ESERVFAIL ||
		    st->status == ARES_ECONNREFUSED) {
			/* c-ares reports a SERVFAIL as "could not contact" */
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_DNS,
			    "DNS problem: SERVFAIL (or no answer) looking up "
			    "CAA for %s; issuance needs a CAA answer (RFC "
			    "8659 §3)", at[i]);
			goto out;
		}
		if (st->status != ARES_SUCCESS) {
			/* §3: a failed lookup is no permission. */
			log_info("va: CAA %s: %s", at[i],
			    ares_strerror(st->status));
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_DNS,
			    "DNS problem: looking up CAA for %s failed (%s); "
			    "issuance needs a CAA answer", at[i],
			    ares_strerror(st->status));
			goto out;
		}
		if (st->critical_unknown) {
			res->valid = false;
			acme_problem_set(&res->prob, ACME_P_CAA,
			    "CAA record for %s has a critical property this "
			    "CA does not know; it forbids issuance (RFC 8659 "
			    "§4.1)", at[i]);
			goto out;
		}
		/* §4.3: issuewild rules wildcards when present. */
		if (req->wildcard && st->nwild > 0) {
			if (!st->wild_ok)
				forbidden(opts, at[i], st, res);
			goto out;
		}
		if (st->nissue > 0 && !st->issue_ok)
			forbidden(opts, at[i], st, res);
		goto out;	/* §4.2: no issue property limits none */
	}
out:
	free(qs);
	return rc;
}
