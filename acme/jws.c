/* jws.c - flattened JWS parsing and verification (RFC 7515, RFC 8555 §6.2) */
/* SPDX-License-Identifier: MIT */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "acme/b64url.h"
#include "acme/jwk.h"
#include "acme/jws.h"

/* RFC 8555 §6.2: asymmetric algorithms only; never "none" or MACs. */
const char *const acme_jws_algs[] = {
	"RS256", "ES256", "ES384", "ES512", "EdDSA", NULL
};

/*
 * Protected-header parameters we refuse outright. crit/b64: RFC 8555
 * §6.2 forbids RFC 7797 and we understand no extension (RFC 7515
 * §4.1.11). jku/x5u/x5c/x5t: ACME identifies keys only by jwk or kid;
 * refusing them (rather than ignoring) makes it impossible for any later
 * code to fetch or trust them by accident (HARDENING J26).
 */
static const char *const refused_params[] = {
	"crit", "b64", "jku", "x5u", "x5c", "x5t", "x5t#S256", NULL
};

/* Outer members of the flattened JSON serialization we accept. */
static const char *const outer_members[] = {
	"protected", "payload", "signature", NULL
};

static bool
in_list(const char *const *list, const char *s, size_t len)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return true;
	return false;
}

/* Map a Jansson load failure: allocation is ours, the rest the client's. */
static int
load_problem(const json_error_t *err, struct acme_problem *prob,
    const char *what)
{
	if (json_error_code(err) == json_error_out_of_memory)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
	return acme_problem_set(prob, ACME_P_MALFORMED,
	    "%s is not a valid JSON object", what);
}

/* Copy a JSON string value (never contains NUL: no JSON_ALLOW_NUL). */
static char *
dupstr(const json_t *v)
{
	size_t	 len = json_string_length(v);
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, json_string_value(v), len);
	s[len] = '\0';
	return s;
}

/* A header member that must be a non-empty string when present. */
static int
header_str(const json_t *hdr, const char *name, const json_t **out,
    struct acme_problem *prob)
{
	const json_t	*v;

	*out = NULL;
	if ((v = json_object_get(hdr, name)) == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS header \"%s\" must be a non-empty string", name);
	*out = v;
	return 0;
}

static int
parse(const char *body, size_t len, struct acme_jws *out,
    struct acme_problem *prob, bool inner)
{
	json_t		*outer = NULL;
	json_error_t	 err;
	const char	*key, *prot_s, *pay_s, *sig_s, *alg;
	size_t		 prot_len, pay_len, sig_len, hdrlen = 0;
	unsigned char	*hdrbuf = NULL, *nbuf = NULL;
	json_t		*v, *pv, *yv, *sv;
	const json_t	*kid, *nonce, *url;
	const char	*kalg;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	if (body == NULL)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "request body is missing");

	/* Step 2: one JSON object, no duplicates, no trailing data. */
	if ((outer = json_loadb(body, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		load_problem(&err, prob, "JWS");
		goto out;
	}
	if (!json_is_object(outer)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS must use the flattened JSON serialization");
		goto out;
	}
	/* RFC 8555 §6.2: flattened only; no unprotected header (J02-J04). */
	json_object_foreach(outer, key, v) {
		if (!in_list(outer_members, key, strlen(key))) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "JWS member \"%s\" is not allowed",
			    strcmp(key, "header") == 0 ? "header" :
			    strcmp(key, "signatures") == 0 ? "signatures" :
			    "(unknown)");
			goto out;
		}
	}
	pv = json_object_get(outer, "protected");
	yv = json_object_get(outer, "payload");
	sv = json_object_get(outer, "signature");
	if (!json_is_string(pv) || !json_is_string(yv) || !json_is_string(sv)) {
		acme_problem_set(prob, ACME_P_MALFORMED, "JWS must have string "
		    "\"protected\", \"payload\" and \"signature\" members");
		goto out;
	}
	prot_s = json_string_value(pv);
	prot_len = json_string_length(pv);
	pay_s = json_string_value(yv);
	pay_len = json_string_length(yv);
	sig_s = json_string_value(sv);
	sig_len = json_string_length(sv);
	if (prot_len == 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS protected header is empty");
		goto out;
	}

	/* Step 3: strict base64url (RFC 8555 §6.1; J10-J12). */
	if ((hdrbuf = acme_b64url_decode(prot_s, prot_len, &hdrlen)) == NULL ||
	    (out->payload = acme_b64url_decode(pay_s, pay_len,
	    &out->payload_len)) == NULL ||
	    (out->sig = acme_b64url_decode(sig_s, sig_len,
	    &out->siglen)) == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS member is not canonical base64url");
		goto out;
	}

	/* Step 4: the protected header. */
	if ((out->hdr = json_loadb((const char *)hdrbuf, hdrlen,
	    JSON_REJECT_DUPLICATES, &err)) == NULL) {
		load_problem(&err, prob, "JWS protected header");
		goto out;
	}
	if (!json_is_object(out->hdr)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS protected header is not a JSON object");
		goto out;
	}
	v = json_object_get(out->hdr, "alg");
	if (!json_is_string(v)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS header \"alg\" is missing or not a string");
		goto out;
	}
	alg = json_string_value(v);
	/* Exact, case-sensitive match (K01-K04). */
	if (!in_list(acme_jws_algs, alg, json_string_length(v))) {
		acme_problem_set(prob, ACME_P_BADSIGNATUREALGORITHM,
		    "JWS algorithm not supported");
		goto out;
	}
	memcpy(out->alg, alg, json_string_length(v) + 1);
	/* After the alg check, so "none" with no signature reads as K01. */
	if (out->siglen == 0) {
		acme_problem_set(prob, ACME_P_MALFORMED, "JWS is not signed");
		goto out;
	}
	json_object_foreach(out->hdr, key, v) {
		if (in_list(refused_params, key, strlen(key))) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "JWS header parameter \"%s\" is not allowed", key);
			goto out;
		}
	}

	/* RFC 8555 §6.2: exactly one of jwk and kid (J22, J23). */
	out->jwk = json_object_get(out->hdr, "jwk");
	if (header_str(out->hdr, "kid", &kid, prob) != 0)
		goto out;
	if ((out->jwk == NULL) == (kid == NULL)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS header must contain exactly one of \"jwk\" and \"kid\"");
		goto out;
	}
	/* RFC 8555 §7.3.5: the inner key-change JWS carries the new key. */
	if (inner && out->jwk == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "inner JWS must contain \"jwk\"");
		goto out;
	}
	if (out->jwk != NULL && !json_is_object(out->jwk)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS header \"jwk\" is not a JSON object");
		goto out;
	}

	/* RFC 8555 §6.5.2: a nonce is a non-empty base64url string. */
	if (header_str(out->hdr, "nonce", &nonce, prob) != 0)
		goto out;
	if (nonce != NULL) {
		/* RFC 8555 §7.3.5: the inner JWS MUST omit "nonce". */
		if (inner) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "inner JWS must not contain \"nonce\"");
			goto out;
		}
		if ((nbuf = acme_b64url_decode(json_string_value(nonce),
		    json_string_length(nonce), NULL)) == NULL) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "JWS header \"nonce\" is not base64url");
			goto out;
		}
		out->nonce_present = true;
	}

	/* RFC 8555 §6.4: "url" MUST be present. */
	if (header_str(out->hdr, "url", &url, prob) != 0)
		goto out;
	if (url == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS header \"url\" is missing");
		goto out;
	}

	if ((kid != NULL && (out->kid = dupstr(kid)) == NULL) ||
	    (nonce != NULL && (out->nonce = dupstr(nonce)) == NULL) ||
	    (out->url = dupstr(url)) == NULL)
		goto internal;

	/* The received bytes, verbatim (J27): protected "." payload. */
	out->signing_input_len = prot_len + 1 + pay_len;
	if ((out->signing_input = malloc(out->signing_input_len + 1)) == NULL)
		goto internal;
	memcpy(out->signing_input, prot_s, prot_len);
	out->signing_input[prot_len] = '.';
	memcpy(out->signing_input + prot_len + 1, pay_s, pay_len);
	out->signing_input[out->signing_input_len] = '\0';

	/* Step 5a and step 6 for an embedded key. */
	if (out->jwk != NULL) {
		if ((out->key = acme_jwk_import(out->jwk, prob)) == NULL)
			goto out;
		if (acme_jwk_alg_for_key(out->key, &kalg) != 0 ||
		    strcmp(kalg, out->alg) != 0) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "JWS algorithm does not match the JWK");
			goto out;
		}
	}
	rc = 0;
	goto out;
internal:
	acme_problem_set(prob, ACME_P_SERVERINTERNAL, "internal error");
out:
	if (rc != 0)
		acme_jws_clear(out);
	free(hdrbuf);
	free(nbuf);
	json_decref(outer);
	return rc;
}

int
acme_jws_parse(const char *body, size_t len, struct acme_jws *out,
    struct acme_problem *prob)
{
	if (out == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
	return parse(body, len, out, prob, false);
}

int
acme_jws_peek_nonce(const char *body, size_t len, char *out, size_t outsz)
{
	json_t		*outer = NULL, *hdr = NULL;
	const json_t	*pv, *nv;
	unsigned char	*buf = NULL;
	size_t		 blen = 0;
	int		 rc = -1;

	if (body == NULL || out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if ((outer = json_loadb(body, len, 0, NULL)) == NULL)
		goto out;
	pv = json_object_get(outer, "protected");
	if (!json_is_string(pv) || (buf = acme_b64url_decode(
	    json_string_value(pv), json_string_length(pv), &blen)) == NULL ||
	    (hdr = json_loadb((const char *)buf, blen, 0, NULL)) == NULL)
		goto out;
	nv = json_object_get(hdr, "nonce");
	if (!json_is_string(nv) || json_string_length(nv) == 0 ||
	    json_string_length(nv) >= outsz)
		goto out;
	memcpy(out, json_string_value(nv), json_string_length(nv) + 1);
	rc = 0;
out:
	json_decref(hdr);
	free(buf);
	json_decref(outer);
	return rc;
}

int
acme_jws_parse_inner(const char *body, size_t len, struct acme_jws *out,
    struct acme_problem *prob)
{
	if (out == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
	return parse(body, len, out, prob, true);
}

/* SEQUENCE { INTEGER r, INTEGER s }, each up to 66 octets plus a sign octet. */
#define ECDSA_DER_MAX	(3 + 2 * (2 + 1 + 66))

/*
 * The group orders n of P-256, P-384 and P-521 (SEC 2 §2.4.2, §2.5.1,
 * §2.6.1), big-endian, each the size of one JWS signature half (RFC 7518
 * §3.4). test_jws checks them against OpenSSL's EC_GROUP_get0_order.
 */
static const unsigned char p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const unsigned char p384_n[48] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
	0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a,
	0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};
static const unsigned char p521_n[66] = {
	0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f,
	0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
	0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c,
	0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
	0x64, 0x09,
};

/* RFC 7518 §3.4: each ECDSA algorithm's digest and group order. */
static const struct ec_alg {
	const char		*alg, *md;
	const unsigned char	*n;
	size_t			 size;	/* octets of n: one signature half */
} ec_algs[] = {
	{ "ES256", "SHA256", p256_n, sizeof(p256_n) },
	{ "ES384", "SHA384", p384_n, sizeof(p384_n) },
	{ "ES512", "SHA512", p521_n, sizeof(p521_n) },
};

static const struct ec_alg *
ec_alg(const char *alg)
{
	for (size_t i = 0; i < sizeof(ec_algs) / sizeof(ec_algs[0]); i++)
		if (strcmp(alg, ec_algs[i].alg) == 0)
			return &ec_algs[i];
	return NULL;
}

const unsigned char *
acme_jws_ec_order(const char *alg, size_t *len)
{
	const struct ec_alg	*e = ec_alg(alg);

	*len = e != NULL ? e->size : 0;
	return e != NULL ? e->n : NULL;
}

/* 1 if the big-endian v (len octets) is in [1, n-1]. */
static bool
in_range(const unsigned char *v, const unsigned char *n, size_t len)
{
	size_t	i;

	for (i = 0; i < len && v[i] == 0; i++)
		;
	return i < len && memcmp(v, n, len) < 0;
}

/* DER INTEGER of the unsigned big-endian v (not zero). Returns its size. */
static size_t
der_uint(unsigned char *out, const unsigned char *v, size_t len)
{
	size_t	pad;

	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	pad = (v[0] & 0x80) != 0;
	out[0] = 0x02;
	out[1] = (unsigned char)(len + pad);	/* at most 67: short form */
	out[2] = 0;
	memcpy(out + 2 + pad, v, len);
	return 2 + pad + len;
}

/*
 * RFC 7518 §3.4: R||S, each exactly the size of the group order, to the
 * DER ECDSA-Sig-Value OpenSSL verifies (RFC 3279 §2.2.3). r and s must be
 * in [1, n-1] (CVE-2022-21449). Fixed-size byte work: no BIGNUM, no key
 * parameter lookup per request. Returns the DER length in der[], or 0 +
 * malformed.
 */
static size_t
ecdsa_der(const struct ec_alg *e, const unsigned char *sig, size_t siglen,
    unsigned char der[ECDSA_DER_MAX], struct acme_problem *prob)
{
	unsigned char		 body[ECDSA_DER_MAX];
	size_t			 size = e->size, blen, hlen;

	if (siglen != 2 * size) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "ECDSA signature must be %zu octets (R||S)", 2 * size);
		return 0;
	}
	if (!in_range(sig, e->n, size) || !in_range(sig + size, e->n, size)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS verification error");
		return 0;
	}
	blen = der_uint(body, sig, size);
	blen += der_uint(body + blen, sig + size, size);
	der[0] = 0x30;
	if (blen < 0x80) {
		der[1] = (unsigned char)blen;
		hlen = 2;
	} else {
		der[1] = 0x81;
		der[2] = (unsigned char)blen;
		hlen = 3;
	}
	memcpy(der + hlen, body, blen);
	return hlen + blen;
}

/* ---------- keys prepared for verification (issue #17) ---------- */

/*
 * What acme_jws_prepare_key keeps on a key, as OpenSSL ex_data, so that it
 * lives and dies with the key. In OpenSSL 3.0 each EVP_DigestVerifyInit_ex
 * fetches the signature and digest implementations from the provider
 * store (locks, name lookups) and the algorithm check compares key-manager
 * names: about 3-6 us a verification, ten times a copy of a context
 * initialised once. The template holds its own duplicate of the key: a
 * reference to the key itself would be a cycle the key's last free never
 * ends.
 */
struct prepared {
	CRYPTO_RWLOCK	*lock;	/* copies of tpl, one at a time */
	const char	*alg;	/* the algorithm the key implies */
	EVP_PKEY	*dup;	/* tpl's key; carries no ex_data of its own */
	EVP_MD_CTX	*tpl;	/* initialised; NULL for EdDSA (no copy) */
};

static CRYPTO_ONCE	prep_once = CRYPTO_ONCE_STATIC_INIT;
static int		prep_idx = -1;

static void
prepared_free(struct prepared *pr)
{
	if (pr == NULL)
		return;
	EVP_MD_CTX_free(pr->tpl);
	EVP_PKEY_free(pr->dup);
	CRYPTO_THREAD_lock_free(pr->lock);
	free(pr);
}

static void
prep_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	prepared_free(ptr);
}

/* A duplicate (EVP_PKEY_dup) starts unprepared: one owner per struct. */
static int
prep_ex_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d,
    int idx, long argl, void *argp)
{
	(void)to; (void)from; (void)idx; (void)argl; (void)argp;
	*from_d = NULL;
	return 1;
}

static void
prep_init(void)
{
	prep_idx = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_EVP_PKEY, 0, NULL,
	    NULL, prep_ex_dup, prep_ex_free);
}

static struct prepared *
prepared_of(const EVP_PKEY *key)
{
	if (prep_idx < 0)
		return NULL;
	return EVP_PKEY_get_ex_data(key, prep_idx);
}

/* A context for key and alg, initialised: EVP_DigestVerify next. */
static EVP_MD_CTX *
verify_ctx(EVP_PKEY *key, const char *alg)
{
	const struct ec_alg	*ec;
	const char		*md = NULL;
	EVP_MD_CTX		*ctx;
	EVP_PKEY_CTX		*pctx = NULL;

	if (strcmp(alg, "RS256") == 0)
		md = "SHA256";
	else if ((ec = ec_alg(alg)) != NULL)
		md = ec->md;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, key,
	    NULL) != 1 ||
	    (strcmp(alg, "RS256") == 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
acme_jws_prepare_key(EVP_PKEY *key)
{
	struct prepared	*pr;
	const char	*alg;

	if (key == NULL || acme_jwk_alg_for_key(key, &alg) != 0)
		return -1;
	if (!CRYPTO_THREAD_run_once(&prep_once, prep_init) || prep_idx < 0)
		return -1;
	if (prepared_of(key) != NULL)
		return 0;
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return -1;
	if ((pr->lock = CRYPTO_THREAD_lock_new()) == NULL) {
		free(pr);
		return -1;
	}
	pr->alg = alg;
	/* EdDSA signs in one pass: OpenSSL cannot copy its context. */
	if (strcmp(alg, "EdDSA") != 0 &&
	    ((pr->dup = EVP_PKEY_dup(key)) == NULL ||
	    (pr->tpl = verify_ctx(pr->dup, alg)) == NULL)) {
		prepared_free(pr);
		ERR_clear_error();
		return -1;
	}
	if (EVP_PKEY_set_ex_data(key, prep_idx, pr) != 1) {
		prepared_free(pr);
		return -1;
	}
	return 0;
}

bool
acme_jws_key_prepared(const EVP_PKEY *key)
{
	return key != NULL && prepared_of(key) != NULL;
}

/* A context ready for EVP_DigestVerify: a copy of the template if any. */
static EVP_MD_CTX *
verify_ctx_for(EVP_PKEY *key, const char *alg, struct prepared *pr)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if (pr == NULL || pr->tpl == NULL)
		return verify_ctx(key, alg);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (!CRYPTO_THREAD_write_lock(pr->lock)) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	ok = EVP_MD_CTX_copy_ex(ctx, pr->tpl);
	CRYPTO_THREAD_unlock(pr->lock);
	if (ok != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
acme_jws_verify(const struct acme_jws *jws, EVP_PKEY *key,
    struct acme_problem *prob)
{
	const char		*kalg;
	const struct ec_alg	*ec = NULL;
	const unsigned char	*sig;
	unsigned char		 der[ECDSA_DER_MAX];
	size_t			 siglen;
	int			 rc = -1;
	EVP_MD_CTX		*ctx = NULL;
	struct prepared		*pr;

	if (jws == NULL || key == NULL || jws->signing_input == NULL ||
	    jws->sig == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
	sig = jws->sig;
	siglen = jws->siglen;
	pr = prepared_of(key);

	/* Step 6: the verifier follows the key, never the header (K06). */
	if (pr != NULL)
		kalg = pr->alg;
	else if (acme_jwk_alg_for_key(key, &kalg) != 0)
		kalg = "";
	if (strcmp(kalg, jws->alg) != 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS algorithm does not match the account key");
		goto out;
	}
	if (strcmp(kalg, "RS256") == 0) {
		/* RFC 8017 §8.2.2: the signature is exactly k octets (K21). */
		if (siglen != (size_t)EVP_PKEY_get_size(key)) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "RSA signature length does not match the key");
			goto out;
		}
	} else if ((ec = ec_alg(kalg)) != NULL) {
		if ((siglen = ecdsa_der(ec, sig, siglen, der, prob)) == 0)
			goto out;
		sig = der;
	} else if (siglen != 64) {	/* EdDSA, RFC 8032 §5.1.6 */
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "Ed25519 signature must be 64 octets");
		goto out;
	}

	/* Step 7: one verification over the received bytes. */
	if ((ctx = verify_ctx_for(key, kalg, pr)) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
		goto out;
	}
	if (EVP_DigestVerify(ctx, sig, siglen,
	    (const unsigned char *)jws->signing_input,
	    jws->signing_input_len) != 1) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS verification error");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

void
acme_jws_clear(struct acme_jws *jws)
{
	if (jws == NULL)
		return;
	free(jws->kid);
	EVP_PKEY_free(jws->key);
	free(jws->nonce);
	free(jws->url);
	free(jws->payload);
	json_decref(jws->hdr);	/* also releases the borrowed jwk */
	free(jws->signing_input);
	free(jws->sig);
	memset(jws, 0, sizeof(*jws));
}

json_t *
acme_jws_payload_json(const struct acme_jws *jws, struct acme_problem *prob)
{
	json_t		*o;
	json_error_t	 err;

	if (jws == NULL || jws->payload == NULL || jws->payload_len == 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS payload must be a JSON object");
		return NULL;
	}
	if ((o = json_loadb((const char *)jws->payload, jws->payload_len,
	    JSON_REJECT_DUPLICATES, &err)) == NULL) {
		load_problem(&err, prob, "JWS payload");
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS payload must be a JSON object");
		return NULL;
	}
	return o;
}
