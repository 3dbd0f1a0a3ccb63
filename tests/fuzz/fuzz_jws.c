/* fuzz_jws.c - libFuzzer target: flattened JWS parse and verify (RFC 7515, RFC 8555 §6.2, §7.3.5) */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "acme/jwk.h"
#include "acme/jws.h"
#include "fuzz.h"

/*
 * Input: one selector byte, then the request body. Selector bit 3 picks
 * the inner (key change) parser; the low bits pick the fixed key a
 * "kid" request is verified with, as the WFE would use the account's
 * stored key. Properties of a parse that succeeds: alg is in the
 * allow-list, exactly one of jwk/kid, a url, an embedded key was imported
 * and implies alg, the payload is NUL-terminated; the inner parser never
 * returns a kid or a nonce. A verify that succeeds used the key's own
 * alg. Failures carry a 4xx problem (5xx only for allocation).
 */
static bool
alg_allowed(const char *alg)
{
	for (size_t i = 0; acme_jws_algs[i] != NULL; i++)
		if (strcmp(acme_jws_algs[i], alg) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	EVP_PKEY		*key;
	json_t			*payload;
	const char		*kalg;
	bool			 inner;
	int			 rc;

	if (size < 1)
		return 0;
	inner = (data[0] & 0x08) != 0;
	key = fuzz_key((enum fuzz_key)((data[0] & 0x07) % FUZZ_NACCOUNT_KEYS));
	memset(&jws, 0, sizeof(jws));
	memset(&prob, 0, sizeof(prob));
	rc = inner ? acme_jws_parse_inner((const char *)data + 1, size - 1,
	    &jws, &prob) : acme_jws_parse((const char *)data + 1, size - 1,
	    &jws, &prob);
	if (rc == -1) {
		FUZZ_CHECK(prob.status >= 400 && prob.status < 500,
		    "status %d for a bad JWS", prob.status);
		FUZZ_CHECK(jws.hdr == NULL && jws.key == NULL &&
		    jws.payload == NULL, "failed parse left members behind");
		return 0;
	}
	FUZZ_CHECK(alg_allowed(jws.alg), "alg \"%s\" accepted", jws.alg);
	FUZZ_CHECK((jws.kid == NULL) != (jws.jwk == NULL), "jwk XOR kid");
	FUZZ_CHECK(jws.url != NULL && jws.url[0] != '\0', "no url");
	FUZZ_CHECK(jws.payload != NULL && jws.payload[jws.payload_len] == '\0',
	    "payload not NUL-terminated");
	FUZZ_CHECK(jws.sig != NULL && jws.siglen > 0, "empty signature");
	if (jws.jwk != NULL) {
		FUZZ_CHECK(jws.key != NULL, "jwk not imported");
		FUZZ_CHECK(acme_jwk_alg_for_key(jws.key, &kalg) == 0 &&
		    strcmp(kalg, jws.alg) == 0, "alg %s with a %s key",
		    jws.alg, kalg);
		key = jws.key;
	}
	if (inner)
		FUZZ_CHECK(jws.kid == NULL && !jws.nonce_present,
		    "inner JWS with kid or nonce");
	if (jws.nonce_present)
		FUZZ_CHECK(jws.nonce != NULL && jws.nonce[0] != '\0',
		    "empty nonce");
	memset(&prob, 0, sizeof(prob));
	if (acme_jws_verify(&jws, key, &prob) == 0) {
		FUZZ_CHECK(acme_jwk_alg_for_key(key, &kalg) == 0 &&
		    strcmp(kalg, jws.alg) == 0, "verified %s with a %s key",
		    jws.alg, kalg);
		if (jws.payload_len > 0 &&
		    (payload = acme_jws_payload_json(&jws, &prob)) != NULL) {
			FUZZ_CHECK(json_is_object(payload), "payload kind");
			json_decref(payload);
		}
	} else
		FUZZ_CHECK(prob.status >= 400 && prob.status < 500,
		    "status %d for a bad signature", prob.status);
	acme_jws_clear(&jws);
	FUZZ_CHECK(jws.hdr == NULL && jws.kid == NULL, "clear");
	return 0;
}
