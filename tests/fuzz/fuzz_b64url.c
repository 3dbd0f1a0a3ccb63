/* fuzz_b64url.c - libFuzzer target: strict base64url decode and encode (RFC 4648 §5, RFC 8555 §6.1) */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "acme/b64url.h"
#include "fuzz.h"

/*
 * Properties: (1) whatever decodes re-encodes to exactly the input (one
 * encoding per value: no padding, whitespace or stray trailing bits,
 * HARDENING J10-J12); (2) any bytes encode to enclen() characters of the
 * alphabet and decode back to themselves.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in = fuzz_strndup(data, size), *enc = NULL, *enc2;
	unsigned char	*dec, *back;
	size_t		 n = 0, m = 0;

	if ((dec = acme_b64url_decode(in, size, &n)) != NULL) {
		FUZZ_CHECK(dec[n] == '\0', "decoded buffer not NUL-terminated");
		enc = acme_b64url_encode(dec, n);
		FUZZ_CHECK(enc != NULL && strlen(enc) == size &&
		    memcmp(enc, in, size) == 0, "accepted a non-canonical "
		    "encoding of %zu bytes", n);
	}
	enc2 = acme_b64url_encode(data, size);
	FUZZ_CHECK(enc2 != NULL, "encode failed");
	FUZZ_CHECK(strlen(enc2) == acme_b64url_enclen(size), "enclen");
	FUZZ_CHECK(strspn(enc2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789-_") == strlen(enc2), "encoder alphabet");
	back = acme_b64url_decode(enc2, strlen(enc2), &m);
	FUZZ_CHECK(back != NULL && m == size &&
	    (size == 0 || memcmp(back, data, size) == 0), "round trip");
	free(back);
	free(enc2);
	free(enc);
	free(dec);
	free(in);
	return 0;
}
