/* jws.h - flattened JWS parsing and verification (RFC 7515, RFC 8555 §6.2) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_JWS_H
#define ACME_JWS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "acme/problem.h"

/*
 * The JWS algorithms we accept (RFC 8555 §6.2 allow-list), NULL
 * terminated, in the order the badSignatureAlgorithm problem lists them.
 */
extern const char *const acme_jws_algs[];

/*
 * A parsed request JWS. Zero-initialise before acme_jws_parse();
 * acme_jws_clear() frees everything and zeroes it again.
 */
struct acme_jws {
	char		 alg[16];	/* validated, in the allow-list */
	char		*kid;		/* heap or NULL */
	json_t		*jwk;		/* borrowed from hdr, or NULL */
	EVP_PKEY	*key;		/* imported jwk, owned, or NULL */
	char		*nonce;		/* heap or NULL (absent) */
	bool		 nonce_present;
	char		*url;		/* heap */
	unsigned char	*payload;	/* decoded, heap, NUL-terminated */
	size_t		 payload_len;	/* 0 for POST-as-GET "" */
	json_t		*hdr;		/* decoded protected header, owned */
	/* The received bytes, so verification never re-serializes. */
	char		*signing_input;	/* protected "." payload, heap */
	size_t		 signing_input_len;
	unsigned char	*sig;		/* decoded signature, heap */
	size_t		 siglen;
};

/*
 * Parse a request body (HARDENING §2 steps 2-4, 5a for jwk, and the
 * alg/key match of step 6 when a jwk is embedded):
 *  - outer JSON: one object, no duplicate members, no trailing data,
 *    members exactly "protected", "payload", "signature", all strings
 *    ("header", "signatures" or anything else: malformed);
 *  - strict base64url for all three; "protected" non-empty;
 *  - protected header: object without duplicates; "alg" a string
 *    (malformed) in acme_jws_algs (else badSignatureAlgorithm); then a
 *    non-empty signature; no "crit", "b64", "jku", "x5u", "x5c", "x5t",
 *    "x5t#S256" (malformed: ACME uses none of them and we never fetch or
 *    trust keys from them); exactly one of "jwk" (object) / "kid"
 *    (non-empty string); "url" a non-empty string; "nonce", when
 *    present, a non-empty base64url string (RFC 8555 §6.5.2; malformed).
 *    A missing nonce is NOT an error here: nonce_present is false and
 *    the WFE answers badNonce after the signature check (§2 step 8).
 *  - a jwk is imported under the account-key policy (badPublicKey /
 *    malformed) and must imply "alg" (malformed).
 * *out must be zeroed or cleared; on failure it is left cleared.
 * Returns 0, or -1 with *prob filled.
 */
int	 acme_jws_parse(const char *body, size_t len, struct acme_jws *out,
	    struct acme_problem *prob);

/*
 * The "nonce" of a request body that acme_jws_parse refused, when its
 * "protected" member still decodes to a JSON object with a string
 * "nonce": RFC 8555 §6.5 spends a nonce once it has appeared in a
 * request, whatever is wrong with the rest. Copies it into out (NUL
 * terminated) and returns 0; -1 when there is none or it does not fit.
 * Checks nothing else.
 */
int	 acme_jws_peek_nonce(const char *body, size_t len, char *out,
	    size_t outsz);

/*
 * As acme_jws_parse, for the inner JWS of a key change (RFC 8555
 * §7.3.5): it must carry "jwk" (not "kid"), must NOT carry "nonce", and
 * must carry "url". Returns 0, or -1 with *prob (malformed, ...).
 */
int	 acme_jws_parse_inner(const char *body, size_t len,
	    struct acme_jws *out, struct acme_problem *prob);

/*
 * Check that jws->alg is the algorithm implied by key (malformed if not:
 * the verifier follows the key, never the header alone) and verify the
 * signature over the received signing input. For kid requests the WFE
 * passes the account's stored key; for jwk requests jws->key. ECDSA
 * signatures must be the fixed-length R||S of RFC 7518 §3.4 with
 * 0 < r, s < n; RS256 signatures exactly the modulus length.
 * Returns 0, or -1 with *prob (malformed; serverInternal on allocation
 * failure or a NULL key).
 */
int	 acme_jws_verify(const struct acme_jws *jws, EVP_PKEY *key,
	    struct acme_problem *prob);

/*
 * Prepare key for acme_jws_verify (issue #17): the algorithm it implies
 * and a verification context initialised once, kept on the key itself
 * (OpenSSL ex_data, freed with the key); each verification then copies
 * that context instead of initialising its own. Verification answers
 * exactly as for an unprepared key. Call it before the key is shared
 * between threads; a prepared key may then be verified with from any
 * number of threads at once. A duplicate (EVP_PKEY_dup) starts
 * unprepared. Returns 0 (also when already prepared), or -1 for a key no
 * JWS algorithm fits or on allocation failure (the key is unchanged and
 * still verifies, unprepared).
 */
int	 acme_jws_prepare_key(EVP_PKEY *key);

/* Whether acme_jws_prepare_key prepared key. */
bool	 acme_jws_key_prepared(const EVP_PKEY *key);

/*
 * The group order n of the curve of ES256, ES384 or ES512, big-endian and
 * *len octets long (the size of one signature half); NULL for any other
 * algorithm.
 */
const unsigned char *acme_jws_ec_order(const char *alg, size_t *len);

/* Free the members and zero *jws. NULL-safe and idempotent. */
void	 acme_jws_clear(struct acme_jws *jws);

/*
 * The payload as a JSON object (JSON_REJECT_DUPLICATES, no trailing
 * data). Returns a new reference, or NULL + malformed when it is empty,
 * not JSON or not an object.
 */
json_t	*acme_jws_payload_json(const struct acme_jws *jws,
	    struct acme_problem *prob);

#endif /* ACME_JWS_H */
