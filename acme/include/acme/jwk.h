/* jwk.h - JWK <-> EVP_PKEY, account-key policy, RFC 7638 thumbprints */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_JWK_H
#define ACME_JWK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "acme/acme.h"
#include "acme/problem.h"

/*
 * Account-key policy (RFC 8555 §6.2, Boulder goodkey):
 *   RSA  modulus 2048..4096 bits, a multiple of 8, odd, no prime factor
 *        below 1000; e = 65537.
 *   EC   P-256, P-384, P-521, with full public-key validation.
 *   OKP  Ed25519.
 * JWK syntax (RFC 7517/7518/8037): key members must be canonical
 * base64url; RSA n and e minimal (no leading zero octet, RFC 7518
 * §6.3.1); EC x and y exactly the field size (RFC 7518 §6.2.1.2); no
 * private members; an "alg" member, if present, must name the key's one
 * JWS algorithm; a "use" member, if present, must be "sig". Other members
 * (kid, key_ops, x5c, ...) are ignored and never used.
 *
 * Problem types: syntax errors are malformed; a key we refuse by type,
 * curve, size, exponent or validity is badPublicKey.
 */
#define ACME_JWK_RSA_MIN_BITS	2048
#define ACME_JWK_RSA_MAX_BITS	4096

/*
 * Import a public JWK. Returns a new key (caller frees with
 * EVP_PKEY_free()), or NULL with *prob filled (malformed, badPublicKey,
 * or serverInternal on allocation failure). Policy limits are checked
 * before any expensive operation.
 */
EVP_PKEY	*acme_jwk_import(const json_t *jwk, struct acme_problem *prob);

/*
 * As acme_jwk_import, from len bytes of JSON text (JSON_REJECT_DUPLICATES,
 * no trailing data). Used for stored keys too. NULL + *prob on failure.
 */
EVP_PKEY	*acme_jwk_import_str(const char *json, size_t len,
		    struct acme_problem *prob);

/*
 * The canonical public JWK of key: exactly the RFC 7638 §3.2 members
 * (RSA e, kty, n; EC crv, kty, x, y; OKP crv, kty, x), inserted in that
 * (lexicographic) order. Works for keys with private parts too; only the
 * public part is exported. Returns a new reference, or NULL for an
 * unsupported key type or on allocation failure.
 */
json_t		*acme_jwk_export(EVP_PKEY *key);

/*
 * The RFC 7638 canonical JSON text of key: required members only, in
 * lexicographic order, no whitespace. This is the form that is stored
 * and hashed. Returns a new string (caller frees with free()), or NULL.
 */
char		*acme_jwk_export_str(EVP_PKEY *key);

/*
 * RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)), 43 characters
 * plus NUL into out. Returns 0, or -1 (unsupported key, allocation).
 */
int		 acme_jwk_thumbprint(EVP_PKEY *key,
		    char out[ACME_THUMBPRINT_SIZE]);

/*
 * The one JWS algorithm implied by key (RFC 7518 §3.1, RFC 8037 §3.1):
 * "RS256" for RSA, "ES256"/"ES384"/"ES512" for P-256/P-384/P-521,
 * "EdDSA" for Ed25519. *alg is a static string. Returns 0, or -1 for
 * any other key.
 */
int		 acme_jwk_alg_for_key(EVP_PKEY *key, const char **alg);

/* True when a and b are the same public key (EVP_PKEY_eq). NULL: false. */
bool		 acme_jwk_equal(EVP_PKEY *a, EVP_PKEY *b);

#endif /* ACME_JWK_H */
