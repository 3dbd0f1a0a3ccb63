/* keycache.h - imported account keys, reused across requests instead of re-parsed and re-validated */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_KEYCACHE_H
#define LOCALACME_KEYCACHE_H

#include <stddef.h>

#include <openssl/evp.h>

/*
 * Every kid-signed request needs the account's public key. Importing the
 * stored JWK (acme_jwk_import_str: JSON parse, EVP_PKEY_fromdata and the
 * full public-key validation of the account-key policy) cost more than
 * the signature check itself. The cache maps (account id, exact stored
 * JWK text) to the imported key, so a key rollover, which changes the
 * text, is a miss and imports the new key under the full policy again.
 * A key is prepared for verification (acme_jws_prepare_key) when it is
 * imported, before it is shared, so each request's signature check copies
 * a ready context instead of setting one up.
 * A fixed number of slots, direct-mapped by a hash of the id; one mutex
 * (held only for a compare and a reference count). Thread-safe.
 */
struct keycache;

/* A cache of nslots entries (0: 1024). NULL on allocation failure. */
struct keycache	*keycache_new(size_t nslots);
void		 keycache_free(struct keycache *kc);

/*
 * The key of account `id` whose stored JWK text is `jwk`: a new reference
 * (caller frees with EVP_PKEY_free), imported with acme_jwk_import_str on
 * a miss. NULL when the JWK does not import (not cached). kc NULL: no
 * caching.
 */
EVP_PKEY	*keycache_get(struct keycache *kc, const char *id,
		    const char *jwk);

/* The slot hash of both RA caches (this one and acctcache.c): FNV-1a. */
size_t		 keycache_hash(const char *s);

#endif /* LOCALACME_KEYCACHE_H */
