/* testutil.c - client-side test helpers: keys, signed JWS bodies, CSRs */
/* SPDX-License-Identifier: MIT */

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/b64url.h"
#include "acme/jwk.h"
#include "testutil.h"

static void
fail(const char *what)
{
	unsigned long	 e;
	char		 buf[256];

	fprintf(stderr, "testutil: %s failed", what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, ": %s", buf);
	}
	fputc('\n', stderr);
}

static EVP_PKEY *
keygen_ec(const char *group)
{
	EVP_PKEY	*k;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group)) == NULL)
		fail("EC keygen");
	return k;
}

EVP_PKEY *
tu_key_ec256(void)
{
	return keygen_ec("P-256");
}

EVP_PKEY *
tu_key_ec384(void)
{
	return keygen_ec("P-384");
}

EVP_PKEY *
tu_key_ec521(void)
{
	return keygen_ec("P-521");
}

EVP_PKEY *
tu_key_rsa(int bits)
{
	EVP_PKEY	*k;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)) == NULL)
		fail("RSA keygen");
	return k;
}

EVP_PKEY *
tu_key_ed25519(void)
{
	EVP_PKEY	*k;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		fail("Ed25519 keygen");
	return k;
}

char *
tu_b64url(const void *buf, size_t len)
{
	return acme_b64url_encode(buf, len);
}

char *
tu_b64url_str(const char *s)
{
	return acme_b64url_encode((const unsigned char *)s,
	    s == NULL ? 0 : strlen(s));
}

/* Coordinate size of an EC key's group order (32, 48, 66), or 0. */
static size_t
ec_size(EVP_PKEY *key)
{
	int	 bits = EVP_PKEY_get_bits(key);

	return bits <= 0 ? 0 : ((size_t)bits + 7) / 8;
}

unsigned char *
tu_sign(EVP_PKEY *key, const void *input, size_t len, size_t *siglen)
{
	EVP_MD_CTX		*ctx = NULL;
	const char		*md = NULL;
	unsigned char		*der = NULL, *out = NULL, *rv = NULL;
	const unsigned char	*p;
	size_t			 derlen = 0, sz = 0;
	ECDSA_SIG		*es = NULL;
	const BIGNUM		*r, *s;
	bool			 ec = EVP_PKEY_is_a(key, "EC");

	if (ec) {
		sz = ec_size(key);
		md = sz == 32 ? "SHA256" : sz == 48 ? "SHA384" : "SHA512";
	} else if (EVP_PKEY_is_a(key, "RSA"))
		md = "SHA256";
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &derlen, input, len) != 1 ||
	    (der = malloc(derlen)) == NULL ||
	    EVP_DigestSign(ctx, der, &derlen, input, len) != 1) {
		fail("sign");
		goto out;
	}
	if (!ec) {
		*siglen = derlen;
		rv = der;
		der = NULL;
		goto out;
	}
	/* RFC 7518 §3.4: DER ECDSA-Sig-Value to fixed-length R||S. */
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL ||
	    (out = malloc(2 * sz)) == NULL) {
		fail("ECDSA signature conversion");
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, (int)sz) != (int)sz ||
	    BN_bn2binpad(s, out + sz, (int)sz) != (int)sz) {
		fail("ECDSA signature conversion");
		goto out;
	}
	*siglen = 2 * sz;
	rv = out;
	out = NULL;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	free(der);
	free(out);
	return rv;
}

char *
tu_jws_body(const char *protected_b64, const char *payload_b64,
    const char *signature_b64)
{
	json_t	*o;
	char	*s = NULL;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((protected_b64 == NULL || json_object_set_new(o, "protected",
	    json_string(protected_b64)) == 0) &&
	    (payload_b64 == NULL || json_object_set_new(o, "payload",
	    json_string(payload_b64)) == 0) &&
	    (signature_b64 == NULL || json_object_set_new(o, "signature",
	    json_string(signature_b64)) == 0))
		s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* "<b64(protected)>.<b64(payload)>" into *input; the parts too. */
static char *
signing_input(const char *protected_json, const char *payload,
    char **pb64, char **yb64)
{
	char	*in;
	size_t	 n;

	*pb64 = tu_b64url_str(protected_json);
	*yb64 = tu_b64url_str(payload == NULL ? "" : payload);
	if (*pb64 == NULL || *yb64 == NULL)
		return NULL;
	n = strlen(*pb64) + 1 + strlen(*yb64) + 1;
	if ((in = malloc(n)) == NULL)
		return NULL;
	snprintf(in, n, "%s.%s", *pb64, *yb64);
	return in;
}

char *
tu_jws_sign_raw(EVP_PKEY *key, const char *protected_json,
    const char *payload)
{
	char		*pb64 = NULL, *yb64 = NULL, *sb64 = NULL, *in = NULL;
	char		*body = NULL;
	unsigned char	*sig = NULL;
	size_t		 siglen = 0;

	if (key == NULL || protected_json == NULL)
		return NULL;
	if ((in = signing_input(protected_json, payload, &pb64, &yb64)) == NULL ||
	    (sig = tu_sign(key, in, strlen(in), &siglen)) == NULL ||
	    (sb64 = tu_b64url(sig, siglen)) == NULL)
		goto out;
	body = tu_jws_body(pb64, yb64, sb64);
out:
	free(pb64);
	free(yb64);
	free(sb64);
	free(in);
	free(sig);
	return body;
}

char *
tu_jws_sign_hmac(const unsigned char *mackey, size_t keylen,
    const char *protected_json, const char *payload)
{
	char		*pb64 = NULL, *yb64 = NULL, *sb64 = NULL, *in = NULL;
	char		*body = NULL;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	size_t		 maclen = 0;

	if (protected_json == NULL)
		return NULL;
	if ((in = signing_input(protected_json, payload, &pb64, &yb64)) == NULL)
		goto out;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mackey, keylen,
	    (const unsigned char *)in, strlen(in), mac, sizeof(mac),
	    &maclen) == NULL) {
		fail("HMAC");
		goto out;
	}
	if ((sb64 = tu_b64url(mac, maclen)) == NULL)
		goto out;
	body = tu_jws_body(pb64, yb64, sb64);
out:
	free(pb64);
	free(yb64);
	free(sb64);
	free(in);
	return body;
}

char *
tu_jwk_str(EVP_PKEY *key)
{
	return acme_jwk_export_str(key);
}

char *
tu_jws_sign(EVP_PKEY *key, const char *alg, bool embed_jwk, const char *kid,
    const char *nonce, const char *url, const char *payload)
{
	json_t		*hdr = NULL;
	char		*hs = NULL, *body = NULL;
	const char	*kalg = NULL;

	if (key == NULL)
		return NULL;
	if (alg == NULL) {
		if (acme_jwk_alg_for_key(key, &kalg) != 0)
			return NULL;
		alg = kalg;
	}
	/* Jansson keeps insertion order: alg, jwk, kid, nonce, url. */
	if ((hdr = json_object()) == NULL ||
	    json_object_set_new(hdr, "alg", json_string(alg)) != 0 ||
	    (embed_jwk && json_object_set_new(hdr, "jwk",
	    acme_jwk_export(key)) != 0) ||
	    (kid != NULL && json_object_set_new(hdr, "kid",
	    json_string(kid)) != 0) ||
	    (nonce != NULL && json_object_set_new(hdr, "nonce",
	    json_string(nonce)) != 0) ||
	    (url != NULL && json_object_set_new(hdr, "url",
	    json_string(url)) != 0) ||
	    (hs = json_dumps(hdr, JSON_COMPACT)) == NULL)
		goto out;
	body = tu_jws_sign_raw(key, hs, payload);
out:
	free(hs);
	json_decref(hdr);
	return body;
}

static bool
is_ip(const char *s)
{
	unsigned char	 buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

X509_REQ *
tu_csr_make(EVP_PKEY *key, const char *const *names, size_t n,
    const char *cn)
{
	X509_REQ			*req = NULL, *rv = NULL;
	X509_NAME			*subj;
	GENERAL_NAMES			*gens = NULL;
	GENERAL_NAME			*g = NULL;
	ASN1_IA5STRING			*ia5 = NULL;
	ASN1_OCTET_STRING		*ip = NULL;
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	size_t				 i;

	if (key == NULL || (n > 0 && names == NULL))
		return NULL;
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1)
		goto err;
	if (cn != NULL) {
		subj = X509_REQ_get_subject_name(req);
		if (X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0) != 1)
			goto err;
	}
	if (n > 0) {
		if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
			goto err;
		for (i = 0; i < n; i++) {
			if ((g = GENERAL_NAME_new()) == NULL)
				goto err;
			if (is_ip(names[i])) {
				if ((ip = a2i_IPADDRESS(names[i])) == NULL)
					goto err;
				GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
				ip = NULL;
			} else {
				if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
				    ASN1_STRING_set(ia5, names[i], -1) != 1)
					goto err;
				GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
				ia5 = NULL;
			}
			if (sk_GENERAL_NAME_push(gens, g) <= 0)
				goto err;
			g = NULL;
		}
		if (X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0,
		    X509V3_ADD_DEFAULT) != 1 ||
		    X509_REQ_add_extensions(req, exts) != 1)
			goto err;
	}
	if (X509_REQ_sign(req, key,
	    EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256()) <= 0)
		goto err;
	rv = req;
	req = NULL;
	goto out;
err:
	fail("CSR");
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	GENERAL_NAME_free(g);
	ASN1_IA5STRING_free(ia5);
	ASN1_OCTET_STRING_free(ip);
	X509_REQ_free(req);
	return rv;
}

char *
tu_csr_b64url(X509_REQ *req)
{
	unsigned char	*der = NULL;
	int		 len;
	char		*s;

	if (req == NULL || (len = i2d_X509_REQ(req, &der)) <= 0) {
		fail("i2d_X509_REQ");
		return NULL;
	}
	s = tu_b64url(der, (size_t)len);
	OPENSSL_free(der);
	return s;
}
