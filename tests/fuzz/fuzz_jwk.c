/* fuzz_jwk.c - libFuzzer target: JWK import under the account-key policy, export, RFC 7638 thumbprint */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "acme/jwk.h"
#include "fuzz.h"

/*
 * Properties of an accepted JWK: it implies one JWS alg; its canonical
 * export imports again to an equal key with the same thumbprint
 * (thumbprint(import(x)) == thumbprint(import(export(import(x))))); a
 * refusal always says why with malformed or badPublicKey.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_problem	 prob;
	EVP_PKEY		*k, *k2 = NULL;
	char			 tp[ACME_THUMBPRINT_SIZE], tp2[ACME_THUMBPRINT_SIZE];
	char			*canon = NULL;
	const char		*alg;

	memset(&prob, 0, sizeof(prob));
	if ((k = acme_jwk_import_str((const char *)data, size, &prob)) == NULL) {
		FUZZ_CHECK(prob.type == ACME_P_MALFORMED ||
		    prob.type == ACME_P_BADPUBLICKEY ||
		    prob.type == ACME_P_SERVERINTERNAL, "type %d",
		    (int)prob.type);
		FUZZ_CHECK(prob.status >= 400 && prob.status < 600, "%d",
		    prob.status);
		return 0;
	}
	FUZZ_CHECK(acme_jwk_alg_for_key(k, &alg) == 0, "no alg for the key");
	FUZZ_CHECK(acme_jwk_thumbprint(k, tp) == 0, "thumbprint");
	FUZZ_CHECK(strlen(tp) == ACME_THUMBPRINT_SIZE - 1, "thumbprint length");
	canon = acme_jwk_export_str(k);
	FUZZ_CHECK(canon != NULL, "export");
	k2 = acme_jwk_import_str(canon, strlen(canon), &prob);
	FUZZ_CHECK(k2 != NULL, "canonical export %s does not import", canon);
	FUZZ_CHECK(acme_jwk_equal(k, k2), "export changed the key");
	FUZZ_CHECK(acme_jwk_thumbprint(k2, tp2) == 0 && strcmp(tp, tp2) == 0,
	    "thumbprint differs after a round trip");
	free(canon);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k);
	return 0;
}
