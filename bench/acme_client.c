/* acme_client.c - client-side signing for `localacme bench`: account keys, JWS bodies, CSRs */
/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "acme/b64url.h"
#include "acme/jwk.h"
#include "acme_client.h"
#include "log.h"

int
acme_client_keytype_parse(const char *s, enum acme_client_keytype *t)
{
	if (strcmp(s, "ec256") == 0)
		*t = ACME_CLIENT_EC256;
	else if (strcmp(s, "rsa2048") == 0)
		*t = ACME_CLIENT_RSA2048;
	else
		return -1;
	return 0;
}

EVP_PKEY *
acme_client_keygen(enum acme_client_keytype t)
{
	EVP_PKEY *k;

	if (t == ACME_CLIENT_RSA2048)
		k = EVP_RSA_gen(2048);
	else
		k = EVP_EC_gen("P-256");
	if (k == NULL)
		log_openssl(LOG_LVL_ERROR, "acme_client: key generation");
	return k;
}

int
acme_client_key_init(struct acme_client_key *k, enum acme_client_keytype t)
{
	memset(k, 0, sizeof(*k));
	if ((k->pkey = acme_client_keygen(t)) == NULL)
		goto fail;
	if (acme_jwk_alg_for_key(k->pkey, &k->alg) == -1 ||
	    (k->jwk = acme_jwk_export_str(k->pkey)) == NULL ||
	    acme_jwk_thumbprint(k->pkey, k->thumbprint) == -1)
		goto fail;
	return 0;
fail:
	acme_client_key_clear(k);
	return -1;
}

void
acme_client_key_clear(struct acme_client_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->jwk);
	memset(k, 0, sizeof(*k));
}

/* Strings we put between JSON quotes unescaped: no '"', '\\' or controls. */
static bool
json_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/*
 * Sign len bytes in JOSE form (RFC 7518 §3.3 RS256, §3.4 ES256: R||S, 32
 * octets each). Writes at most *siglen bytes to sig, sets *siglen.
 */
static int
sign(EVP_PKEY *key, const char *in, size_t len, unsigned char *sig,
    size_t *siglen)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*es = NULL;
	unsigned char	 der[160];
	const unsigned char *p;
	const BIGNUM	*r, *s;
	size_t		 derlen = sizeof(der), cap = *siglen;
	int		 rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
		if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
		    EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)in,
		    len) != 1) {
			log_openssl(LOG_LVL_ERROR, "acme_client: RS256 signature");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (cap < 64 ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)in,
	    len) != 1) {
		log_openssl(LOG_LVL_ERROR, "acme_client: ES256 signature");
		goto out;
	}
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
		goto out;
	*siglen = 64;
	rc = 0;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return rc;
}

char *
acme_client_jws(const struct acme_client_key *k, const char *kid,
    const char *nonce, const char *url, const char *payload, size_t *len)
{
	char		*hdr = NULL, *out = NULL, *b64sig = NULL;
	unsigned char	 sig[512];
	size_t		 hlen, plen, n, siglen = sizeof(sig), hb, pb, total;
	int		 w;

	if (payload == NULL)
		payload = "";
	if ((kid != NULL && !json_plain(kid)) ||
	    (nonce != NULL && !json_plain(nonce)) || !json_plain(url))
		return NULL;
	hlen = strlen(k->jwk) + strlen(url) + (kid ? strlen(kid) : 0) +
	    (nonce ? strlen(nonce) : 0) + 64;
	if ((hdr = malloc(hlen)) == NULL)
		return NULL;
	w = snprintf(hdr, hlen, "{\"alg\":\"%s\",\"%s\":%s%s%s%s%s%s,"
	    "\"url\":\"%s\"}", k->alg, kid != NULL ? "kid" : "jwk",
	    kid != NULL ? "\"" : "", kid != NULL ? kid : k->jwk,
	    kid != NULL ? "\"" : "",
	    nonce != NULL ? ",\"nonce\":\"" : "", nonce != NULL ? nonce : "",
	    nonce != NULL ? "\"" : "", url);
	if (w < 0 || (size_t)w >= hlen)
		goto out;
	plen = strlen(payload);
	hb = acme_b64url_enclen((size_t)w);
	pb = acme_b64url_enclen(plen);
	/* {"protected":"H","payload":"P","signature":"S"} */
	total = hb + pb + acme_b64url_enclen(sizeof(sig)) + 64;
	if ((out = malloc(total)) == NULL)
		goto out;
	n = (size_t)snprintf(out, total, "{\"protected\":\"");
	/* The signing input H.P is built in place inside the body. */
	{
		char	*si = out + n;
		size_t	 silen;

		acme_b64url_encode_buf((const unsigned char *)hdr, (size_t)w,
		    si);
		si[hb] = '.';
		acme_b64url_encode_buf((const unsigned char *)payload, plen,
		    si + hb + 1);
		silen = hb + 1 + pb;
		if (sign(k->pkey, si, silen, sig, &siglen) == -1) {
			free(out);
			out = NULL;
			goto out;
		}
		/* Turn "H.P" into "H","payload":"P" by shifting P right. */
		memmove(si + hb + strlen("\",\"payload\":\""), si + hb + 1, pb);
		memcpy(si + hb, "\",\"payload\":\"", strlen("\",\"payload\":\""));
		n += hb + strlen("\",\"payload\":\"") + pb;
	}
	if ((b64sig = acme_b64url_encode(sig, siglen)) == NULL) {
		free(out);
		out = NULL;
		goto out;
	}
	n += (size_t)snprintf(out + n, total - n, "\",\"signature\":\"%s\"}",
	    b64sig);
	if (len != NULL)
		*len = n;
out:
	free(b64sig);
	free(hdr);
	return out;
}

EVP_PKEY_CTX *
acme_client_ec256_ctx(void)
{
	EVP_PKEY_CTX	*ctx;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_group_name(ctx, "P-256") != 1) {
		log_openssl(LOG_LVL_ERROR, "acme_client: P-256 key context");
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

EVP_PKEY *
acme_client_ec256_gen(EVP_PKEY_CTX *ctx)
{
	EVP_PKEY *k = NULL;

	if (EVP_PKEY_generate(ctx, &k) != 1) {
		log_openssl(LOG_LVL_ERROR, "acme_client: P-256 key");
		return NULL;
	}
	return k;
}

/* The first occurrence of needle in hay, or NULL (memmem is a GNU extension). */
static const void *
find(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const unsigned char *h = hay;

	for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (h[i] == *(const unsigned char *)needle &&
		    memcmp(h + i, needle, nlen) == 0)
			return h + i;
	return NULL;
}

/* The uncompressed public point of a P-256 key (0x04 || X || Y). */
static int
ec256_point(EVP_PKEY *key, unsigned char pt[65])
{
	size_t len = 0;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_bits(key) != 256 ||
	    EVP_PKEY_get_octet_string_param(key,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, 65, &len) != 1 ||
	    len != 65 || pt[0] != 0x04)
		return -1;
	return 0;
}

/*
 * DER (X.690 §8.1): tag, definite length, then len content octets that
 * the caller writes at the returned position. Lengths below 65536.
 */
static unsigned char *
der_hdr(unsigned char *p, unsigned char tag, size_t len)
{
	*p++ = tag;
	if (len < 0x80)
		*p++ = (unsigned char)len;
	else if (len < 0x100) {
		*p++ = 0x81;
		*p++ = (unsigned char)len;
	} else {
		*p++ = 0x82;
		*p++ = (unsigned char)(len >> 8);
		*p++ = (unsigned char)len;
	}
	return p;
}

static size_t
der_len(size_t content)
{
	return 1 + (content < 0x80 ? 1 : content < 0x100 ? 2 : 3) + content;
}

char *
acme_client_csr(EVP_PKEY *key, const char *const *names, size_t n)
{
	/* SEQUENCE { id-ecPublicKey, prime256v1 } + BIT STRING header */
	static const unsigned char spki_hdr[] = {
		0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
		0x03, 0x01, 0x07, 0x03, 0x42, 0x00 };
	static const unsigned char ver_subject[] = {
		0x02, 0x01, 0x00,	/* version v1 (0) */
		0x30, 0x00 };		/* subject: empty Name */
	static const unsigned char oid_extreq[] = {	/* PKCS#9 extensionRequest */
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09,
		0x0e };
	static const unsigned char oid_san[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };
	static const unsigned char sigalg[] = {	/* ecdsa-with-SHA256 */
		0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
		0x03, 0x02 };
	EVP_MD_CTX	*md = NULL;
	unsigned char	 pt[65], sig[80], *buf = NULL, *p, *cri;
	size_t		 gn = 0, octet, ext, exts, set, attr, attrs, cric, crilen;
	size_t		 siglen = sizeof(sig), total;
	char		*out = NULL;

	if (n == 0 || ec256_point(key, pt) == -1)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		if (l == 0 || l > 253)
			return NULL;
		gn += der_len(l);
	}
	/* Sizes from the inside out (RFC 2986 §4.1, RFC 5280 §4.2.1.6). */
	octet = der_len(der_len(gn));		/* OCTET STRING { GeneralNames } */
	ext = der_len(sizeof(oid_san) + octet);	/* Extension */
	exts = der_len(ext);			/* Extensions */
	set = der_len(exts);			/* SET { Extensions } */
	attr = der_len(sizeof(oid_extreq) + set);	/* Attribute */
	attrs = der_len(attr);			/* [0] attributes */
	cric = sizeof(ver_subject) + sizeof(spki_hdr) + 65 + attrs;
	crilen = der_len(cric);
	total = crilen + sizeof(sigalg) + sizeof(sig) + 16;
	if (total >= 65536 || (buf = malloc(total)) == NULL)
		return NULL;

	/* CertificationRequestInfo, after room for the outer header (4). */
	cri = p = buf + 4;
	p = der_hdr(p, 0x30, cric);
	memcpy(p, ver_subject, sizeof(ver_subject));
	p += sizeof(ver_subject);
	memcpy(p, spki_hdr, sizeof(spki_hdr));
	p += sizeof(spki_hdr);
	memcpy(p, pt, 65);
	p += 65;
	p = der_hdr(p, 0xa0, attr);
	p = der_hdr(p, 0x30, sizeof(oid_extreq) + set);
	memcpy(p, oid_extreq, sizeof(oid_extreq));
	p += sizeof(oid_extreq);
	p = der_hdr(p, 0x31, exts);
	p = der_hdr(p, 0x30, ext);
	p = der_hdr(p, 0x30, sizeof(oid_san) + octet);
	memcpy(p, oid_san, sizeof(oid_san));
	p += sizeof(oid_san);
	p = der_hdr(p, 0x04, der_len(gn));
	p = der_hdr(p, 0x30, gn);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		p = der_hdr(p, 0x82, l);	/* [2] IMPLICIT IA5String dNSName */
		memcpy(p, names[i], l);
		p += l;
	}
	if ((size_t)(p - cri) != crilen)
		goto out;

	/* signature over the DER of CertificationRequestInfo */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, cri, crilen) != 1) {
		log_openssl(LOG_LVL_ERROR, "acme_client: CSR signature");
		goto out;
	}
	memcpy(p, sigalg, sizeof(sigalg));
	p += sizeof(sigalg);
	p = der_hdr(p, 0x03, siglen + 1);
	*p++ = 0x00;	/* no unused bits */
	memcpy(p, sig, siglen);
	p += siglen;

	/* the outer SEQUENCE header, right before cri */
	{
		size_t		 body = (size_t)(p - cri);
		unsigned char	 h[4], *e = der_hdr(h, 0x30, body);
		size_t		 hl = (size_t)(e - h);

		memcpy(cri - hl, h, hl);
		out = acme_b64url_encode(cri - hl, hl + body);
	}
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return out;
}

bool
acme_client_cert_has_key(const char *pem, size_t len, EVP_PKEY *key)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	const char	*s, *e;
	unsigned char	 pt[65], *der = NULL;
	char		*b64 = NULL;
	size_t		 nb = 0;
	int		 dl;
	bool		 ok = false;

	if (ec256_point(key, pt) == -1 ||
	    (s = find(pem, len, begin, sizeof(begin) - 1)) == NULL)
		return false;
	s += sizeof(begin) - 1;
	if ((e = find(s, len - (size_t)(s - pem), "-----END", 8)) == NULL ||
	    (b64 = malloc((size_t)(e - s) + 1)) == NULL)
		return false;
	for (const char *q = s; q < e; q++)
		if (*q != '\n' && *q != '\r')
			b64[nb++] = *q;
	if (nb % 4 != 0 || (der = malloc(nb / 4 * 3 + 1)) == NULL)
		goto out;
	/* EVP_DecodeBlock counts '=' padding as zero octets: harmless here. */
	if ((dl = EVP_DecodeBlock(der, (unsigned char *)b64, (int)nb)) <= 0)
		goto out;
	ok = find(der, (size_t)dl, pt, sizeof(pt)) != NULL;
out:
	free(der);
	free(b64);
	return ok;
}

int
acme_client_keyauth(const struct acme_client_key *k, const char *token,
    char *out, size_t outsz)
{
	int n;

	/* RFC 8555 §8.1: keyAuthorization = token || '.' || thumbprint */
	n = snprintf(out, outsz, "%s.%s", token, k->thumbprint);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}
