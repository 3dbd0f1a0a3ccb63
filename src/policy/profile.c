/* profile.c - the certificate profile table: built-ins, "NAME:DAYS[:OPT]" configuration, selection */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "profile.h"

static void
describe(struct profile *p)
{
	snprintf(p->desc, sizeof(p->desc), "%u-day certificates, %s, %s",
	    p->days, p->client_auth ? "serverAuth and clientAuth" :
	    "serverAuth", p->no_cn ? "no subject CN" : "CN = first DNS name");
}

static void
set(struct profile *p, const char *name, unsigned days, bool client,
    bool no_cn)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->days = days;
	p->client_auth = client;
	p->no_cn = no_cn;
	describe(p);
}

void
profile_table_init(struct profile_table *t, unsigned default_days)
{
	memset(t, 0, sizeof(*t));
	if (default_days < 1 || default_days > PROFILE_MAX_DAYS)
		default_days = 90;
	set(&t->p[t->n++], "default", default_days, false, false);
	set(&t->p[t->n++], "tlsserver", 45, false, true);
	set(&t->p[t->n++], "shortlived", 6, false, true);
	snprintf(t->default_name, sizeof(t->default_name), "default");
}

static bool
name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= ACME_PROFILE_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

const struct profile *
profile_find(const struct profile_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->p[i].name, name) == 0)
			return &t->p[i];
	return NULL;
}

int
profile_table_apply(struct profile_table *t, const char *spec, char *err,
    size_t errsz)
{
	struct profile	 np, *dst;
	const char	*colon, *opt, *next;
	char		 name[ACME_PROFILE_SIZE], *end;
	unsigned long	 days;
	size_t		 n;

	if ((colon = strchr(spec, ':')) == NULL ||
	    !name_ok(spec, (size_t)(colon - spec))) {
		snprintf(err, errsz, "profile \"%s\": want NAME:DAYS[:OPTION]..."
		    " with NAME of [a-z0-9-]", spec);
		return -1;
	}
	memcpy(name, spec, (size_t)(colon - spec));
	name[colon - spec] = '\0';
	errno = 0;
	days = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || (*end != '\0' && *end != ':') || errno != 0 ||
	    days < 1 || days > PROFILE_MAX_DAYS) {
		snprintf(err, errsz, "profile \"%s\": DAYS must be 1 to %d",
		    spec, PROFILE_MAX_DAYS);
		return -1;
	}
	dst = (struct profile *)profile_find(t, name);
	if (dst != NULL)
		np = *dst;
	else
		set(&np, name, (unsigned)days, false, false);
	np.days = (unsigned)days;
	for (opt = *end == ':' ? end + 1 : NULL; opt != NULL; opt = next) {
		next = strchr(opt, ':');
		n = next != NULL ? (size_t)(next - opt) : strlen(opt);
		if (next != NULL)
			next++;
		if (n == 10 && strncmp(opt, "serverauth", n) == 0)
			np.client_auth = false;
		else if (n == 10 && strncmp(opt, "clientauth", n) == 0)
			np.client_auth = true;
		else if (n == 2 && strncmp(opt, "cn", n) == 0)
			np.no_cn = false;
		else if (n == 4 && strncmp(opt, "nocn", n) == 0)
			np.no_cn = true;
		else {
			snprintf(err, errsz, "profile \"%s\": unknown option "
			    "\"%.*s\" (serverauth, clientauth, cn, nocn)", spec,
			    (int)n, opt);
			return -1;
		}
	}
	describe(&np);
	if (dst == NULL) {
		if (t->n >= PROFILE_MAX) {
			snprintf(err, errsz, "profile \"%s\": at most %d "
			    "profiles", spec, PROFILE_MAX);
			return -1;
		}
		dst = &t->p[t->n++];
	}
	*dst = np;
	return 0;
}

int
profile_table_set_default(struct profile_table *t, const char *name,
    char *err, size_t errsz)
{
	if (profile_find(t, name) == NULL) {
		snprintf(err, errsz, "default_profile: no profile \"%s\"", name);
		return -1;
	}
	snprintf(t->default_name, sizeof(t->default_name), "%s", name);
	return 0;
}

const struct profile *
profile_select(const struct profile_table *t, const char *requested,
    struct acme_problem *prob)
{
	const struct profile	*p;
	char			 names[PROFILE_MAX * (ACME_PROFILE_SIZE + 2)];
	size_t			 off = 0;

	if (requested == NULL || requested[0] == '\0')
		requested = t->default_name;
	if ((p = profile_find(t, requested)) != NULL)
		return p;
	names[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		int w = snprintf(names + off, sizeof(names) - off, "%s%s",
		    i > 0 ? ", " : "", t->p[i].name);
		if (w < 0 || (size_t)w >= sizeof(names) - off)
			break;
		off += (size_t)w;
	}
	/* draft-ietf-acme-profiles §4: name the profiles we do offer. */
	acme_problem_set(prob, ACME_P_INVALIDPROFILE, "unknown profile; "
	    "this server offers: %s", names);
	return NULL;
}
