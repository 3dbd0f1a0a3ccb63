/* profile.h - certificate profiles (draft-ietf-acme-profiles): the table, its configuration, selection */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_PROFILE_H
#define LOCALACME_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/problem.h"

#define PROFILE_MAX	8
/* No leaf lives longer, whatever the profile (Apple's ceiling for TLS). */
#define PROFILE_MAX_DAYS	825
#define PROFILE_MAX_LIFETIME	((time_t)PROFILE_MAX_DAYS * 86400)
/*
 * No profile issues shorter leaves than a minute. Below that, the seconds
 * an order takes (validation, finalize, download) and ordinary clock skew
 * between client and server are a large part of the lifetime: the leaf
 * may be expired before it is installed, and a renewal window (ARI: 2/3
 * to 5/6 of the lifetime, in whole seconds) shrinks to nothing. At 60 s
 * the window is still 10 s and the backdate (ca_leaf_backdate) 6 s.
 */
#define PROFILE_MIN_LIFETIME	60
#define PROFILE_DESC_SIZE 96

/* What a profile changes in a leaf; everything else is HARDENING §5.3. */
struct profile {
	char		 name[ACME_PROFILE_SIZE];	/* [a-z0-9-]{1,31} */
	char		 desc[PROFILE_DESC_SIZE];	/* meta.profiles text */
	time_t		 lifetime;	/* seconds, PROFILE_MIN_ to _MAX_LIFETIME */
	bool		 client_auth;	/* EKU serverAuth + clientAuth */
	bool		 no_cn;		/* empty subject, critical SAN */
};

struct profile_table {
	struct profile	 p[PROFILE_MAX];
	size_t		 n;
	char		 default_name[ACME_PROFILE_SIZE];
};

/*
 * The built-in profiles: "default" (default_days, serverAuth, CN =
 * first DNS name), "tlsserver" (45 days, serverAuth, no CN) and
 * "shortlived" (6 days, serverAuth, no CN); "default" is the default.
 */
void	 profile_table_init(struct profile_table *t, unsigned default_days);

/*
 * Add or replace a profile from "NAME:LIFETIME[:OPTION]..." with options
 * "serverauth" (EKU serverAuth only), "clientauth" (serverAuth and
 * clientAuth), "cn" or "nocn"; LIFETIME as profile_parse_lifetime. A
 * replaced profile keeps its other settings. Returns 0, or -1 with a
 * one-line reason in err.
 */
int	 profile_table_apply(struct profile_table *t, const char *spec,
	    char *err, size_t errsz);

/*
 * A lifetime: a decimal number with an optional unit, "s", "m", "h" or
 * "d" (a bare number is days, as before units existed), exactly the n
 * bytes at s, PROFILE_MIN_LIFETIME to PROFILE_MAX_LIFETIME seconds.
 * Returns 0 with *out in seconds, or -1.
 */
int	 profile_parse_lifetime(const char *s, size_t n, time_t *out);

/*
 * A lifetime for people: "90-second", "10-minute", "36-hour", "6-day"
 * (the largest unit that divides it exactly). Writes at most outsz.
 */
void	 profile_format_lifetime(time_t secs, char *out, size_t outsz);

/* Make `name` the default profile. 0, or -1 (unknown name) with err. */
int	 profile_table_set_default(struct profile_table *t, const char *name,
	    char *err, size_t errsz);

/*
 * The profile an order gets: `requested` ("" or NULL = the default).
 * Returns a pointer into t, or NULL with invalidProfile naming the
 * offered profiles (draft-ietf-acme-profiles §4).
 */
const struct profile *profile_select(const struct profile_table *t,
	    const char *requested, struct acme_problem *prob);

/* Lookup by exact name; NULL if absent. */
const struct profile *profile_find(const struct profile_table *t,
	    const char *name);

#endif /* LOCALACME_PROFILE_H */
