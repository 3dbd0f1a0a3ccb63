/* acme_client.h - the client side of RFC 8555 for `localacme bench`: keys, signed JWS bodies, CSRs */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ACME_CLIENT_H
#define LOCALACME_ACME_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "acme/acme.h"

/*
 * What an ACME client needs to sign requests, with OpenSSL's EVP API
 * only. Pure computation: no I/O, no threads; every function may be
 * called from several threads at once on different keys (a key is only
 * read while signing, so one key may also be shared).
 */

enum acme_client_keytype {
	ACME_CLIENT_EC256,	/* P-256, ES256 */
	ACME_CLIENT_RSA2048	/* RSA 2048, e = 65537, RS256 */
};

/* An account key with what every request repeats, computed once. */
struct acme_client_key {
	EVP_PKEY	*pkey;
	const char	*alg;		/* "ES256" / "RS256", static */
	char		*jwk;		/* canonical public JWK text (RFC 7638) */
	char		 thumbprint[ACME_THUMBPRINT_SIZE];
};

/*
 * Parse "ec256" / "rsa2048" into *t. Returns 0, or -1 for another name.
 */
int	 acme_client_keytype_parse(const char *s,
	    enum acme_client_keytype *t);

/* A new key pair of type t; caller frees with EVP_PKEY_free(). NULL on failure. */
EVP_PKEY *acme_client_keygen(enum acme_client_keytype t);

/*
 * Fill *k (zeroed) for a new key of type t: key, alg, JWK, thumbprint.
 * Returns 0, or -1 (k left cleared). Free with acme_client_key_clear().
 */
int	 acme_client_key_init(struct acme_client_key *k,
	    enum acme_client_keytype t);

/* Free the members and zero *k. NULL-safe and idempotent. */
void	 acme_client_key_clear(struct acme_client_key *k);

/*
 * A flattened JWS body (RFC 8555 §6.2) signed by k:
 *   protected = {"alg", "jwk" (when kid is NULL) or "kid", "nonce", "url"}
 *   payload   = payload text; NULL or "" for POST-as-GET (§6.3)
 * nonce may be NULL (then omitted; the server will answer badNonce).
 * Returns the JSON text (a new string, caller frees) and its length in
 * *len (may be NULL), or NULL on failure.
 */
char	*acme_client_jws(const struct acme_client_key *k, const char *kid,
	    const char *nonce, const char *url, const char *payload,
	    size_t *len);

/*
 * A context that makes P-256 keys (EVP_PKEY_generate) without looking
 * the algorithm up again for every key. Free with EVP_PKEY_CTX_free().
 * NULL on failure. Not to be shared between threads.
 */
EVP_PKEY_CTX *acme_client_ec256_ctx(void);

/* A new P-256 key from ctx; caller frees. NULL on failure. */
EVP_PKEY *acme_client_ec256_gen(EVP_PKEY_CTX *ctx);

/*
 * The base64url DER of a PKCS#10 CSR (RFC 2986; the finalize payload's
 * "csr", RFC 8555 §7.4) for the P-256 key `key`, signed ECDSA-SHA256,
 * with names[0..n) (1 <= n, each < 254 bytes) as dNSName
 * subjectAltNames in an extensionRequest attribute and an empty subject.
 * The DER is written directly (no X509_REQ: OpenSSL 3 would re-encode
 * and re-decode the key through its provider decoders, which costs more
 * than the signature). Returns a new string (caller frees), or NULL on
 * failure or for another key type.
 */
char	*acme_client_csr(EVP_PKEY *key, const char *const *names, size_t n);

/*
 * Is the first certificate of the PEM text pem[0..len) issued for the
 * P-256 key `key`? Checks that the certificate's DER carries key's
 * public point (65 octets, uncompressed), without a full X.509 parse.
 */
bool	 acme_client_cert_has_key(const char *pem, size_t len, EVP_PKEY *key);

/*
 * The key authorization token "." thumbprint (RFC 8555 §8.1) into out,
 * which holds outsz bytes. Returns 0, or -1 if it does not fit.
 */
int	 acme_client_keyauth(const struct acme_client_key *k,
	    const char *token, char *out, size_t outsz);

#endif /* LOCALACME_ACME_CLIENT_H */
