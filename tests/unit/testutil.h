/* testutil.h - client-side test helpers: keys, signed JWS bodies, CSRs */
/* SPDX-License-Identifier: MIT */
#ifndef TESTUTIL_H
#define TESTUTIL_H

/*
 * These act as an ACME client would, with OpenSSL directly, so tests of
 * the server side are checked against an independent signer. They link
 * libacme only for base64url and the canonical JWK export.
 *
 * Every function returns NULL on failure (and prints why to stderr);
 * tests should assert_non_null() the result. Ownership is given per
 * function.
 */

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* New key pairs; caller frees with EVP_PKEY_free(). */
EVP_PKEY	*tu_key_ec256(void);
EVP_PKEY	*tu_key_ec384(void);
EVP_PKEY	*tu_key_ec521(void);
EVP_PKEY	*tu_key_rsa(int bits);		/* e = 65537 */
EVP_PKEY	*tu_key_ed25519(void);

/*
 * Base64url (no padding) of len bytes / of a NUL-terminated string.
 * Returns a new string; caller frees with free().
 */
char		*tu_b64url(const void *buf, size_t len);
char		*tu_b64url_str(const char *s);

/*
 * Raw JWS signature of len bytes of input with key, in JOSE form:
 * RS256 PKCS#1 v1.5 (SHA-256) for RSA; fixed-length R||S with SHA-256,
 * SHA-384 or SHA-512 for P-256, P-384, P-521 (RFC 7518 §3.4); Ed25519
 * for Ed25519 keys. Returns a new buffer of *siglen bytes; free().
 */
unsigned char	*tu_sign(EVP_PKEY *key, const void *input, size_t len,
		    size_t *siglen);

/*
 * A flattened JWS body as a client sends it:
 *   protected = {"alg": alg (NULL: the key's own, e.g. "ES256"),
 *                "jwk": <public JWK of key>   if embed_jwk,
 *                "kid": kid                   if kid != NULL,
 *                "nonce": nonce               if nonce != NULL,
 *                "url": url                   if url != NULL}
 *   payload   = payload bytes (NULL or "" for POST-as-GET)
 * signed with key (the signature always follows the key type, whatever
 * alg says, so a mismatching alg yields a real signature by the key).
 * embed_jwk and kid may both be set (adversarial). Returns the JSON text
 * {"protected":...,"payload":...,"signature":...}; caller frees.
 */
char		*tu_jws_sign(EVP_PKEY *key, const char *alg, bool embed_jwk,
		    const char *kid, const char *nonce, const char *url,
		    const char *payload);

/*
 * As tu_jws_sign with the protected header given verbatim as JSON text
 * (for adversarial headers: duplicates, odd whitespace, wrong types).
 * payload NULL means "". Returns the body; caller frees.
 */
char		*tu_jws_sign_raw(EVP_PKEY *key, const char *protected_json,
		    const char *payload);

/*
 * As tu_jws_sign_raw, but an HS256 MAC with the given key bytes instead
 * of a signature (EAB, RFC 8555 §7.3.4; and alg-confusion tests).
 */
char		*tu_jws_sign_hmac(const unsigned char *mackey, size_t keylen,
		    const char *protected_json, const char *payload);

/*
 * The body {"protected":p,"payload":y,"signature":s} from already
 * encoded parts, verbatim (any may be NULL to leave the member out).
 * Returns the body; caller frees.
 */
char		*tu_jws_body(const char *protected_b64, const char *payload_b64,
		    const char *signature_b64);

/*
 * The public JWK of key as canonical JSON text (acme_jwk_export_str).
 * Caller frees.
 */
char		*tu_jwk_str(EVP_PKEY *key);

/*
 * A CSR signed by key (SHA-256, or pure Ed25519). names[0..n-1] go into
 * a subjectAltName extension, each as iPAddress if it parses as an IPv4
 * or IPv6 address, else as dNSName (verbatim: wildcards and odd strings
 * pass through, for negative tests). n == 0: no SAN extension. cn, if
 * not NULL, becomes the subject commonName. Caller frees with
 * X509_REQ_free().
 */
X509_REQ	*tu_csr_make(EVP_PKEY *key, const char *const *names, size_t n,
		    const char *cn);

/* DER of req, base64url: the "csr" of a finalize payload. Caller frees. */
char		*tu_csr_b64url(X509_REQ *req);

/*
 * Remove a fixture's state directory: its files, then the directory (one
 * level, as every fixture keeps its state flat). Errors are ignored.
 */
void		 tu_rmrf(const char *dir);

/*
 * A socket of type (SOCK_STREAM, SOCK_DGRAM) bound to a free port of
 * 127.0.0.1, not listening; its port in *port. Fails the test otherwise.
 */
int		 tu_loopback_socket(int type, unsigned *port);

/*
 * "127.0.0.1:PORT" of a loopback UDP port bound and closed again: a DNS
 * resolver there refuses every query at once (ICMP port unreachable).
 * Fails the test if no port can be had.
 */
void		 tu_dead_udp(char *out, size_t outsz);

#endif /* TESTUTIL_H */
