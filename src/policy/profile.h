/* profile.h - certificate profiles (draft-ietf-acme-profiles): the table, its configuration, selection */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_PROFILE_H
#define LOCALACME_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"
#include "acme/problem.h"

#define PROFILE_MAX	8
/* No leaf lives longer, whatever the profile (Apple's ceiling for TLS). */
#define PROFILE_MAX_DAYS	825
#define PROFILE_DESC_SIZE 96

/* What a profile changes in a leaf; everything else is HARDENING §5.3. */
struct profile {
	char		 name[ACME_PROFILE_SIZE];	/* [a-z0-9-]{1,31} */
	char		 desc[PROFILE_DESC_SIZE];	/* meta.profiles text */
	unsigned	 days;		/* lifetime, 1..PROFILE_MAX_DAYS */
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
 * Add or replace a profile from "NAME:DAYS[:OPTION]..." with options
 * "serverauth" (EKU serverAuth only), "clientauth" (serverAuth and
 * clientAuth), "cn" or "nocn". A replaced profile keeps its other
 * settings. Returns 0, or -1 with a one-line reason in err.
 */
int	 profile_table_apply(struct profile_table *t, const char *spec,
	    char *err, size_t errsz);

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
