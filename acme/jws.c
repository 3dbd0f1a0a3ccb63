/* jws.c - flattened JWS parsing and verification (RFC 7515, RFC 8555 §6.2) */
/* SPDX-License-Identifier: MIT */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
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
acme_jws_parse_inner(const char *body, size_t len, struct acme_jws *out,
    struct acme_problem *prob)
{
	if (out == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
	return parse(body, len, out, prob, true);
}

/*
 * RFC 7518 §3.4: R||S, each exactly the size of the group order, to the
 * DER ECDSA-Sig-Value OpenSSL verifies. r and s must be in [1, n-1]
 * (CVE-2022-21449). Returns 0 (*der new, free with OPENSSL_free), -1 +
 * malformed, or -1 + serverInternal.
 */
static int
ecdsa_der(EVP_PKEY *key, const unsigned char *sig, size_t siglen,
    size_t size, unsigned char **der, int *derlen, struct acme_problem *prob)
{
	BIGNUM		*r = NULL, *s = NULL, *order = NULL;
	ECDSA_SIG	*es = NULL;
	int		 rc = -1;

	*der = NULL;
	if (siglen != 2 * size) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "ECDSA signature must be %zu octets (R||S)", 2 * size);
		goto out;
	}
	if ((r = BN_bin2bn(sig, (int)size, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + size, (int)size, NULL)) == NULL ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_ORDER, &order) != 1) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
		goto out;
	}
	if (BN_is_zero(r) || BN_is_zero(s) || BN_cmp(r, order) >= 0 ||
	    BN_cmp(s, order) >= 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS verification error");
		goto out;
	}
	if ((es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
		goto out;
	}
	r = s = NULL;	/* owned by es */
	if ((*derlen = i2d_ECDSA_SIG(es, der)) <= 0) {
		*der = NULL;
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
		goto out;
	}
	rc = 0;
out:
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	BN_free(order);
	return rc;
}

int
acme_jws_verify(const struct acme_jws *jws, EVP_PKEY *key,
    struct acme_problem *prob)
{
	const char		*kalg, *md = NULL;
	const unsigned char	*sig;
	unsigned char		*der = NULL;
	size_t			 siglen, csize = 0;
	int			 derlen = 0, rc = -1;
	EVP_MD_CTX		*ctx = NULL;
	EVP_PKEY_CTX		*pctx = NULL;

	if (jws == NULL || key == NULL || jws->signing_input == NULL ||
	    jws->sig == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
	sig = jws->sig;
	siglen = jws->siglen;

	/* Step 6: the verifier follows the key, never the header (K06). */
	if (acme_jwk_alg_for_key(key, &kalg) != 0 ||
	    strcmp(kalg, jws->alg) != 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS algorithm does not match the account key");
		goto out;
	}
	if (strcmp(kalg, "RS256") == 0) {
		md = "SHA256";
		/* RFC 8017 §8.2.2: the signature is exactly k octets (K21). */
		if (siglen != (size_t)EVP_PKEY_get_size(key)) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "RSA signature length does not match the key");
			goto out;
		}
	} else if (strcmp(kalg, "ES256") == 0) {
		md = "SHA256";
		csize = 32;
	} else if (strcmp(kalg, "ES384") == 0) {
		md = "SHA384";
		csize = 48;
	} else if (strcmp(kalg, "ES512") == 0) {
		md = "SHA512";
		csize = 66;
	} else if (siglen != 64) {	/* EdDSA, RFC 8032 §5.1.6 */
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "Ed25519 signature must be 64 octets");
		goto out;
	}
	if (csize != 0) {
		if (ecdsa_der(key, jws->sig, jws->siglen, csize, &der, &derlen,
		    prob) != 0)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	}

	/* Step 7: one verification over the received bytes. */
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, key,
	    NULL) != 1 ||
	    (strcmp(kalg, "RS256") == 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)) {
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
	OPENSSL_free(der);
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
