/* b64url.h - strict base64url without padding (RFC 4648 §5, RFC 8555 §6.1) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_B64URL_H
#define ACME_B64URL_H

#include <stddef.h>

/* Length of the encoding of n bytes (no padding), not counting the NUL. */
size_t	 acme_b64url_enclen(size_t n);

/*
 * Encode n bytes. Returns a new NUL-terminated string (caller frees with
 * free()), or NULL on allocation failure.
 */
char	*acme_b64url_encode(const unsigned char *in, size_t n);

/*
 * Encode n bytes into out, which must hold acme_b64url_enclen(n) + 1
 * bytes. Returns the length written (without the NUL).
 */
size_t	 acme_b64url_encode_buf(const unsigned char *in, size_t n, char *out);

/*
 * Strict decode of len characters: only [A-Za-z0-9_-], no '=', no
 * whitespace, no length of 1 mod 4, and the unused trailing bits must be
 * zero (one encoding per value; RFC 8555 §6.1, HARDENING J10-J12).
 * Returns a new buffer of *outlen bytes (caller frees with free(); a
 * NUL is appended beyond *outlen for convenience), or NULL when the input
 * is not canonical base64url or on allocation failure.
 */
unsigned char *acme_b64url_decode(const char *in, size_t len, size_t *outlen);

#endif /* ACME_B64URL_H */
