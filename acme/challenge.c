/* challenge.c - tokens, key authorizations and challenge response checks (RFC 8555 §8, RFC 8737) */
/* SPDX-License-Identifier: MIT */

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/challenge.h"

#define RANDOM_BYTES	16	/* 128 bits, RFC 8555 §11.3 */

static int
random_b64(char *out)
{
	unsigned char	 buf[RANDOM_BYTES];
	int		 rc = -1;

	out[0] = '\0';
	if (acme_random_bytes(buf, sizeof(buf)) != 0)
		goto out;
	acme_b64url_encode_buf(buf, sizeof(buf), out);
	rc = 0;
 out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int
acme_challenge_token(char out[ACME_TOKEN_SIZE])
{
	return random_b64(out);
}

char *
acme_challenge_key_authz(const char *token, const char *thumbprint)
{
	size_t	 tl, pl;
	char	*ka;

	if (token == NULL || thumbprint == NULL || token[0] == '\0' ||
	    thumbprint[0] == '\0')
		return NULL;
	tl = strlen(token);
	pl = strlen(thumbprint);
	if ((ka = malloc(tl + 1 + pl + 1)) == NULL)
		return NULL;
	memcpy(ka, token, tl);
	ka[tl] = '.';
	memcpy(ka + tl + 1, thumbprint, pl + 1);
	return ka;
}

static int
sha256(const char *s, unsigned char out[32])
{
	unsigned int n = 0;

	if (s == NULL)
		return -1;
	if (EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return -1;
	return 0;
}

int
acme_challenge_dns01_value(const char *key_authz,
    char out[ACME_DNS01_VALUE_SIZE])
{
	unsigned char d[32];

	if (out == NULL || sha256(key_authz, d) == -1)
		return -1;
	acme_b64url_encode_buf(d, sizeof(d), out);
	return 0;
}

int
acme_challenge_tlsalpn01_digest(const char *key_authz,
    unsigned char out[ACME_TLSALPN01_DIGEST_LEN])
{
	if (out == NULL)
		return -1;
	return sha256(key_authz, out);
}

bool
acme_challenge_tlsalpn01_ext_ok(const unsigned char *ext_der, size_t len,
    const char *key_authz)
{
	unsigned char d[ACME_TLSALPN01_DIGEST_LEN];

	/* RFC 8737 §3: Authorization ::= OCTET STRING (SIZE (32)), DER. */
	if (ext_der == NULL || len != 2 + sizeof(d))
		return false;
	if (ext_der[0] != 0x04 || ext_der[1] != sizeof(d))
		return false;
	if (sha256(key_authz, d) == -1)
		return false;
	return CRYPTO_memcmp(ext_der + 2, d, sizeof(d)) == 0;
}

int
acme_challenge_http01_check(const char *body, size_t len,
    const char *key_authz)
{
	size_t kl;

	if (body == NULL || key_authz == NULL)
		return -1;
	/* RFC 8555 §8.3: "SHOULD ignore whitespace characters at the end" */
	while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\t' ||
	    body[len - 1] == '\r' || body[len - 1] == '\n' ||
	    body[len - 1] == '\v' || body[len - 1] == '\f'))
		len--;
	kl = strlen(key_authz);
	if (len != kl || memcmp(body, key_authz, kl) != 0)
		return -1;
	return 0;
}
