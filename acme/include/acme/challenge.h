/* challenge.h - tokens, key authorizations, dns-01 / tls-alpn-01 / http-01 values (RFC 8555 §8, RFC 8737) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_CHALLENGE_H
#define ACME_CHALLENGE_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"

/* base64url(SHA-256) is 43 characters; with the NUL, 44. */
#define ACME_DNS01_VALUE_SIZE	44
/* RFC 8737 §3: the acmeIdentifier digest is SHA-256. */
#define ACME_TLSALPN01_DIGEST_LEN	32

/*
 * RFC 8555 §8.1, §11.3: a fresh token of 128 random bits (getrandom(2)
 * via acme_random_bytes),
 * base64url without padding: 22 characters plus NUL. Returns 0, or -1
 * if the RNG fails (out is then an empty string).
 */
int	 acme_challenge_token(char out[ACME_TOKEN_SIZE]);

/*
 * RFC 8555 §8.1: keyAuthorization = token || '.' || base64url(JWK
 * thumbprint). Returns a new string (caller frees with free()), or NULL
 * on a NULL/empty argument or allocation failure.
 */
char	*acme_challenge_key_authz(const char *token, const char *thumbprint);

/*
 * RFC 8555 §8.4: the TXT record value, base64url(SHA-256(keyAuthz)),
 * 43 characters plus NUL. Returns 0, or -1 on a NULL argument or digest
 * failure.
 */
int	 acme_challenge_dns01_value(const char *key_authz,
	    char out[ACME_DNS01_VALUE_SIZE]);

/*
 * RFC 8737 §3: SHA-256 of the key authorization, the content of the
 * acmeIdentifier extension. Returns 0 or -1.
 */
int	 acme_challenge_tlsalpn01_digest(const char *key_authz,
	    unsigned char out[ACME_TLSALPN01_DIGEST_LEN]);

/*
 * RFC 8737 §3: is ext_der (the extnValue contents of the
 * id-pe-acmeIdentifier extension) exactly the DER OCTET STRING of the
 * 32-byte SHA-256 of key_authz? Any other encoding (BER length forms,
 * trailing bytes, another size) is false. The caller checks that the
 * extension is critical and that it appears once.
 */
bool	 acme_challenge_tlsalpn01_ext_ok(const unsigned char *ext_der,
	    size_t len, const char *key_authz);

/*
 * RFC 8555 §8.3: 0 if the http-01 response body equals key_authz once
 * trailing whitespace (SP, HTAB, CR, LF, VT, FF) is removed; the RFC has
 * the server ignore whitespace at the end only, so leading whitespace is
 * a mismatch. -1 on mismatch or a NULL argument.
 */
int	 acme_challenge_http01_check(const char *body, size_t len,
	    const char *key_authz);

#endif /* ACME_CHALLENGE_H */
