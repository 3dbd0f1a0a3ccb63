/* eab.c - external account binding: parsing and HMAC verification of the inner JWS (RFC 8555 §7.3.4) */
/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "acme/b64url.h"
#include "acme/eab.h"
#include "acme/jwk.h"
#include "acme/problem.h"

/* JOSE header members a binding never carries. */
static const char *const refused[] = {
	"nonce", "jwk", "crit", "b64", "jku", "x5u", "x5c", "x5t", "x5t#S256",
	NULL
};

/* The hash of an HS* alg and its output length; NULL if not a MAC alg. */
static const char *
mac_digest(const char *alg, size_t *len)
{
	if (strcmp(alg, "HS256") == 0) {
		*len = 32;
		return "SHA256";
	}
	if (strcmp(alg, "HS384") == 0) {
		*len = 48;
		return "SHA384";
	}
	if (strcmp(alg, "HS512") == 0) {
		*len = 64;
		return "SHA512";
	}
	return NULL;
}

bool
acme_eab_kid_ok(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > ACME_EAB_KID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static const char *
str_member(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
acme_eab_parse(const json_t *eab, const char *new_account_url,
    EVP_PKEY *outer_key, struct acme_eab *out, struct acme_problem *prob)
{
	const char	*prot, *pay, *sig, *alg, *kid, *url;
	unsigned char	*hdrbytes = NULL, *paybytes = NULL;
	size_t		 hdrlen = 0, paylen = 0, maclen = 0, plen, ylen;
	json_t		*hdr = NULL, *jwk = NULL;
	json_error_t	 jerr;
	EVP_PKEY	*key = NULL;
	struct acme_problem kp;
	int		 rc = -1;

	acme_eab_clear(out);
	if (!json_is_object(eab) || json_object_size(eab) != 3 ||
	    (prot = str_member(eab, "protected")) == NULL ||
	    (pay = str_member(eab, "payload")) == NULL ||
	    (sig = str_member(eab, "signature")) == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "must be a flattened JWS with protected, payload and "
		    "signature (RFC 8555 §7.3.4)");
		goto out;
	}
	plen = strlen(prot);
	ylen = strlen(pay);
	if (plen == 0 || (hdrbytes = acme_b64url_decode(prot, plen,
	    &hdrlen)) == NULL ||
	    (hdr = json_loadb((const char *)hdrbytes, hdrlen,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(hdr)) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "protected header is not a base64url JSON object");
		goto out;
	}
	/* RFC 8555 §7.3.4: a MAC algorithm, the only place one is allowed. */
	if ((alg = str_member(hdr, "alg")) == NULL ||
	    mac_digest(alg, &maclen) == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "alg must be HS256, HS384 or HS512");
		goto out;
	}
	for (size_t i = 0; refused[i] != NULL; i++)
		if (json_object_get(hdr, refused[i]) != NULL) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "externalAccountBinding must not carry \"%s\" "
			    "(RFC 8555 §7.3.4)", refused[i]);
			goto out;
		}
	if ((kid = str_member(hdr, "kid")) == NULL || !acme_eab_kid_ok(kid)) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "kid must be a key identifier issued by this server");
		goto out;
	}
	if ((url = str_member(hdr, "url")) == NULL ||
	    strcmp(url, new_account_url) != 0) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "url must be the newAccount URL (RFC 8555 §7.3.4)");
		goto out;
	}
	if ((out->mac = acme_b64url_decode(sig, strlen(sig),
	    &out->maclen)) == NULL || out->maclen != maclen) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "signature is not a %s MAC", alg);
		goto out;
	}
	/* The payload is the account key itself (RFC 8555 §7.3.4). */
	if (ylen == 0 || (paybytes = acme_b64url_decode(pay, ylen,
	    &paylen)) == NULL ||
	    (jwk = json_loadb((const char *)paybytes, paylen,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    (key = acme_jwk_import(jwk, &kp)) == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "payload is not a JWK");
		goto out;
	}
	if (!acme_jwk_equal(key, outer_key)) {
		acme_problem_set(prob, ACME_P_MALFORMED, "externalAccountBinding "
		    "payload is not the account's key (RFC 8555 §7.3.4)");
		goto out;
	}
	if ((out->signing_input = malloc(plen + 1 + ylen + 1)) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "out of memory");
		goto out;
	}
	memcpy(out->signing_input, prot, plen);
	out->signing_input[plen] = '.';
	memcpy(out->signing_input + plen + 1, pay, ylen + 1);
	out->signing_input_len = plen + 1 + ylen;
	if ((out->binding = json_dumps(eab, JSON_COMPACT)) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "out of memory");
		goto out;
	}
	snprintf(out->alg, sizeof(out->alg), "%s", alg);
	snprintf(out->kid, sizeof(out->kid), "%s", kid);
	rc = 0;
out:
	if (rc == -1)
		acme_eab_clear(out);
	EVP_PKEY_free(key);
	json_decref(jwk);
	json_decref(hdr);
	free(hdrbytes);
	free(paybytes);
	return rc;
}

int
acme_eab_verify(const struct acme_eab *e, const unsigned char *key,
    size_t keylen, struct acme_problem *prob)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	size_t		 mdlen = 0, want = 0;
	const char	*digest;
	int		 rc = -1;

	if ((digest = mac_digest(e->alg, &want)) == NULL ||
	    e->signing_input == NULL || key == NULL || keylen == 0)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "the server could not check the binding");
	if (EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, key, keylen,
	    (const unsigned char *)e->signing_input, e->signing_input_len,
	    md, sizeof(md), &mdlen) == NULL || mdlen != want) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "the server could not check the binding");
		goto out;
	}
	if (e->maclen != mdlen || CRYPTO_memcmp(md, e->mac, mdlen) != 0) {
		acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "externalAccountBinding MAC does not verify with that kid");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

void
acme_eab_clear(struct acme_eab *e)
{
	if (e == NULL)
		return;
	free(e->signing_input);
	free(e->mac);
	free(e->binding);
	memset(e, 0, sizeof(*e));
}
