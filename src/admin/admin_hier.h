/* admin_hier.h - the management API's per-hierarchy routes (src/admin/ only) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ADMIN_HIER_H
#define LOCALACME_ADMIN_HIER_H

struct ca;
struct http_response;

/* Pebble's paths, N = 0 (the default hierarchy) .. --alternate-roots. */
enum admin_hier_kind {
	ADMIN_HIER_NONE = 0,		/* not one of these paths */
	ADMIN_HIER_ROOT,		/* /roots/N */
	ADMIN_HIER_INTERMEDIATE,	/* /intermediates/N */
	ADMIN_HIER_ROOT_KEY,		/* /root-keys/N */
	ADMIN_HIER_INTERMEDIATE_KEY	/* /intermediate-keys/N */
};

/*
 * Which of the four paths is path, with N (decimal, no sign, no leading
 * zero) in *n. ADMIN_HIER_NONE for anything else; a path of these with
 * a malformed N is a kind with *n = UINT_MAX (answered 404).
 */
enum admin_hier_kind admin_hier_parse(const char *path, unsigned *n);

/*
 * Answer a parsed path: the PEM of hierarchy n's root or intermediate,
 * or a key file's PEM (the caller has checked --admin-expose-keys and
 * the token). Every hierarchy shares the default intermediate's key, so
 * intermediate-keys/N is intermediate.key for each N. 404 for an N
 * beyond --alternate-roots.
 */
void	 admin_hier_reply(struct ca *ca, enum admin_hier_kind kind, unsigned n,
	    struct http_response *resp);

#endif /* LOCALACME_ADMIN_HIER_H */
