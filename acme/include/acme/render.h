/* render.h - structs -> JSON resources (RFC 8555 §7.1, §8); the URLs come from url.h */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_RENDER_H
#define ACME_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme.h"

/*
 * RFC 3339 UTC with seconds, "2025-01-31T12:00:00Z" (RFC 8555 §7.1
 * uses this form for "expires" etc.). Returns 0, or -1 if t cannot be
 * represented (out is then "").
 */
int	 acme_time_rfc3339(time_t t, char out[32]);

/* Directory "meta" (RFC 8555 §7.1.1). All pointers borrowed; NULL = omit. */
struct acme_render_meta {
	const char		*terms_of_service;	/* URL */
	const char		*website;		/* URL */
	const char *const	*caa_identities;	/* ncaa strings */
	size_t			 ncaa;
	bool			 external_account_required;
	/*
	 * The server skips challenge validation (test mode): the directory
	 * then says so in a non-standard meta member
	 * "x-localacme-validation": "skip", which clients ignore but a human
	 * or a test can see. Absent when validation is real.
	 */
	bool			 validation_skipped;
	bool			 renewal_info;	/* advertise ARI (RFC 9773) */
	/* draft-ietf-acme-profiles: meta.profiles {name: description} */
	const char *const	*profile_names;
	const char *const	*profile_descs;	/* may be NULL: "" each */
	size_t			 nprofiles;
	/*
	 * The test settings that are on (issue #15), as the object to
	 * render under ACME_META_TEST_KNOBS (copied); NULL = absent.
	 */
	const json_t		*test_knobs;
};

/*
 * A meta member of ours (RFC 8555 §7.1.1 lets clients ignore unknown
 * ones; the "x-localacme-" prefix cannot clash with a registered
 * field, RFC 8555 §9.7.6): {"FLAG": VALUE, ...} of the test knobs on.
 */
#define ACME_META_TEST_KNOBS	"x-localacme-test-knobs"

/*
 * RFC 8555 §7.1.1 directory: newNonce, newAccount, newOrder, revokeCert,
 * keyChange, renewalInfo (if meta->renewal_info) and "meta" when it has
 * any member. meta may be NULL. Returns a new reference, or NULL on a
 * NULL base, a too-long URL or allocation failure.
 */
json_t	*acme_render_directory(const char *base,
	    const struct acme_render_meta *meta);

/*
 * RFC 8555 §7.1.2 account: status, contact (omitted when empty),
 * termsOfServiceAgreed (when true), orders URL, and "key" (the account's
 * public JWK, as Boulder and Pebble send it, so a client can see which
 * key the account holds; omitted if a->jwk is NULL), and
 * externalAccountBinding, the binding the account was created with
 * (RFC 8555 §7.3.4 requires the same value; omitted if a->eab is NULL).
 * Nothing else from the request is reflected (HARDENING A08). Returns a
 * new reference, or NULL on failure (including an unparseable a->jwk or
 * a->eab).
 */
json_t	*acme_render_account(const char *base, const struct acme_account *a);

/*
 * RFC 8555 §7.1.3 order: status, expires, identifiers (wildcards keep
 * "*."), notBefore/notAfter when set, authorizations (one URL per
 * authz_ids entry), finalize, certificate (only when valid and a serial
 * is set), error (when set, as a problem document), profile and
 * replaces when set. Returns a new reference or NULL.
 */
json_t	*acme_render_order(const char *base, const struct acme_order *o);

/*
 * RFC 8555 §7.1.4 authorization: identifier (without "*."; "wildcard":
 * true when a->wildcard), status, expires, challenges (every entry of
 * a->chall rendered in order: which ones exist, e.g. dns-01 only for a
 * wildcard, is the RA's decision). Returns a new reference or NULL.
 */
json_t	*acme_render_authz(const char *base, const struct acme_authz *a);

/*
 * RFC 8555 §8 challenge: type, url, status, token, validated (when valid
 * and set), error (when set). Returns a new reference or NULL.
 */
json_t	*acme_render_challenge(const char *base,
	    const struct acme_challenge *c);

/*
 * RFC 8555 §7.1.2.1 orders list: {"orders": [order URLs]} for ids[0..n).
 * (Pagination with Link rel="next" is the WFE's job.) Returns a new
 * reference or NULL.
 */
json_t	*acme_render_orders_list(const char *base,
	    const char (*ids)[ACME_ID_SIZE], size_t n);

#endif /* ACME_RENDER_H */
