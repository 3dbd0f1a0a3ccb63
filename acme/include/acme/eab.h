/* eab.h - external account binding: the inner HMAC JWS of newAccount (RFC 8555 §7.3.4) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_EAB_H
#define ACME_EAB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "acme/problem.h"

/* A kid fits struct acme_account.eab_kid: [A-Za-z0-9_.-]{1,63}. */
#define ACME_EAB_KID_MAX	63
/* HMAC keys we create and accept: 32..64 octets (RFC 7518 §3.2 floor). */
#define ACME_EAB_KEY_MIN	32
#define ACME_EAB_KEY_MAX	64

/*
 * A parsed binding. The ordinary request parser (acme/jws.c) refuses
 * every MAC algorithm; a binding is the only place HS* is allowed, so it
 * has its own parser. Zero before acme_eab_parse; acme_eab_clear frees.
 */
struct acme_eab {
	char		 alg[8];		/* "HS256", "HS384", "HS512" */
	char		 kid[ACME_EAB_KID_MAX + 1];
	char		*signing_input;		/* protected "." payload, heap */
	size_t		 signing_input_len;
	unsigned char	*mac;			/* decoded signature, heap */
	size_t		 maclen;
	/*
	 * The request's externalAccountBinding as compact JSON, heap: the
	 * account object echoes it (RFC 8555 §7.3.4).
	 */
	char		*binding;
};

/*
 * Parse and check everything but the MAC (RFC 8555 §7.3.4):
 *  - eab is an object with exactly "protected", "payload", "signature",
 *    strict base64url strings;
 *  - the protected header is a JSON object whose "alg" is HS256, HS384
 *    or HS512, "kid" a string of [A-Za-z0-9_.-]{1,63}, "url" a string
 *    equal to new_account_url, and which has no "nonce" (nor "jwk",
 *    "crit", "b64" or x5* members);
 *  - the MAC has the length of its hash;
 *  - the payload is a JWK equal to outer_key (the account key).
 * Every failure is malformed (the problem's detail says which rule).
 * *out must be zeroed or cleared; on failure it is left cleared.
 * Returns 0 or -1.
 */
int	 acme_eab_parse(const json_t *eab, const char *new_account_url,
	    EVP_PKEY *outer_key, struct acme_eab *out,
	    struct acme_problem *prob);

/*
 * Check the MAC of a parsed binding with the kid's HMAC key (constant-
 * time compare). Returns 0, or -1 with unauthorized on a wrong MAC
 * (HARDENING E06) and serverInternal if HMAC itself fails.
 */
int	 acme_eab_verify(const struct acme_eab *e, const unsigned char *key,
	    size_t keylen, struct acme_problem *prob);

/* Is s a kid we accept ([A-Za-z0-9_.-]{1,63})? */
bool	 acme_eab_kid_ok(const char *s);

/* Free the members and zero *e. NULL-safe, idempotent. */
void	 acme_eab_clear(struct acme_eab *e);

#endif /* ACME_EAB_H */
