/* b64url.c - strict base64url without padding (RFC 4648 §5, RFC 8555 §6.1) */
/* SPDX-License-Identifier: MIT */

#include <stdint.h>
#include <stdlib.h>

#include "acme/b64url.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of a base64url character, or -1 for anything else. */
static int
value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t
acme_b64url_enclen(size_t n)
{
	/* Four characters per full group, then 2 or 3 for the tail. */
	return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
acme_b64url_encode_buf(const unsigned char *in, size_t n, char *out)
{
	size_t		 i, o = 0;
	uint32_t	 v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

char *
acme_b64url_encode(const unsigned char *in, size_t n)
{
	char	*out;

	/* enclen(n) < n * 2 for any n, so this cannot overflow first. */
	if (n > SIZE_MAX / 2)
		return NULL;
	if ((out = malloc(acme_b64url_enclen(n) + 1)) == NULL)
		return NULL;
	acme_b64url_encode_buf(in, n, out);
	return out;
}

unsigned char *
acme_b64url_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char	*out = NULL, *rv = NULL;
	size_t		 i, o = 0, rem;
	uint32_t	 acc = 0;
	int		 v;

	if (outlen != NULL)
		*outlen = 0;
	/* RFC 4648 §5 without padding: a lone trailing character is no byte. */
	rem = len % 4;
	if (rem == 1 || (len > 0 && in == NULL))
		return NULL;
	if ((out = malloc(len / 4 * 3 + (rem == 0 ? 0 : rem - 1) + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		/* Rejects '=', whitespace, '+', '/', NUL and non-ASCII. */
		if ((v = value((unsigned char)in[i])) < 0)
			goto out;
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			out[o++] = (acc >> 16) & 0xff;
			out[o++] = (acc >> 8) & 0xff;
			out[o++] = acc & 0xff;
			acc = 0;
		}
	}
	/*
	 * Canonical form (HARDENING J12): the bits of the last character
	 * that carry no byte must be zero, so every value has one encoding.
	 */
	if (rem == 2) {
		if ((acc & 0x0f) != 0)
			goto out;
		out[o++] = (acc >> 4) & 0xff;
	} else if (rem == 3) {
		if ((acc & 0x03) != 0)
			goto out;
		out[o++] = (acc >> 10) & 0xff;
		out[o++] = (acc >> 2) & 0xff;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	rv = out;
	out = NULL;
out:
	free(out);
	return rv;
}
