/* profile.c - the certificate profile table: built-ins, "NAME:LIFETIME[:OPT]" configuration, selection */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "duration.h"
#include "profile.h"

#define DAY	86400

int
profile_parse_lifetime(const char *s, size_t n, time_t *out)
{
	unsigned long long	 v;

	if (duration_parse(s, n, (unsigned long long)PROFILE_MAX_LIFETIME,
	    &v) == -1 || v < (unsigned long long)PROFILE_MIN_LIFETIME)
		return -1;
	*out = (time_t)v;
	return 0;
}

void
profile_format_lifetime(time_t secs, char *out, size_t outsz)
{
	static const struct { time_t s; const char *name; } u[] = {
		{ DAY, "day" }, { 3600, "hour" }, { 60, "minute" },
		{ 1, "second" },
	};

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (secs > 0 && secs % u[i].s == 0) {
			snprintf(out, outsz, "%lld-%s",
			    (long long)(secs / u[i].s), u[i].name);
			return;
		}
	snprintf(out, outsz, "%lld-second", (long long)secs);
}

static void
describe(struct profile *p)
{
	char	 life[32];

	profile_format_lifetime(p->lifetime, life, sizeof(life));
	snprintf(p->desc, sizeof(p->desc), "%s certificates, %s, %s",
	    life, p->client_auth ? "serverAuth and clientAuth" :
	    "serverAuth", p->no_cn ? "no subject CN" : "CN = first DNS name");
}

static void
set(struct profile *p, const char *name, time_t lifetime, bool client,
    bool no_cn)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->lifetime = lifetime;
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
	set(&t->p[t->n++], "default", (time_t)default_days * DAY, false,
	    false);
	set(&t->p[t->n++], "tlsserver", 45 * DAY, false, true);
	set(&t->p[t->n++], "shortlived", 6 * DAY, false, true);
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
	const char	*colon, *opt, *next, *end;
	char		 name[ACME_PROFILE_SIZE];
	time_t		 lifetime;
	size_t		 n;

	if ((colon = strchr(spec, ':')) == NULL ||
	    !name_ok(spec, (size_t)(colon - spec))) {
		snprintf(err, errsz, "profile \"%s\": want NAME:LIFETIME"
		    "[:OPTION]... with NAME of [a-z0-9-]", spec);
		return -1;
	}
	memcpy(name, spec, (size_t)(colon - spec));
	name[colon - spec] = '\0';
	if ((end = strchr(colon + 1, ':')) == NULL)
		end = colon + strlen(colon);
	if (profile_parse_lifetime(colon + 1, (size_t)(end - colon - 1),
	    &lifetime) == -1) {
		snprintf(err, errsz, "profile \"%s\": LIFETIME must be a "
		    "number with a unit s, m, h or d (no unit: days), "
		    "%ds to %dd", spec, PROFILE_MIN_LIFETIME,
		    PROFILE_MAX_DAYS);
		return -1;
	}
	dst = (struct profile *)profile_find(t, name);
	if (dst != NULL)
		np = *dst;
	else
		set(&np, name, lifetime, false, false);
	np.lifetime = lifetime;
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
