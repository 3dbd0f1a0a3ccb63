/* test_jws.c - flattened JWS parse/verify against HARDENING J01-J28, K01-K21, N04/N05/N10 and RFC vectors */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "acme/b64url.h"
#include "acme/jwk.h"
#include "acme/jws.h"
#include "testutil.h"

#define URL	"https://localhost:8555/acme/new-account"
#define KID	"https://localhost:8555/acme/acct/AAAAAAAAAAAAAAAAAAAAAA"
#define NONCE	"bm9uY2UtMQ"
#define PAYLOAD	"{\"termsOfServiceAgreed\":true}"

/* RFC 7515 §A.1 payload, shared by §A.2 and §A.3. */
#define A_PAYLOAD \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl" \
	"LmNvbS9pc19yb290Ijp0cnVlfQ"
/* RFC 7515 §A.2 (RS256). */
#define A2_N \
	"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qP" \
	"CJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47s" \
	"oMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2" \
	"R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoud" \
	"F8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define A2_SIG \
	"cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4B" \
	"h-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZ" \
	"LgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_d" \
	"O--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6" \
	"LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
/* RFC 7515 §A.3 (ES256). */
#define A3_X	"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y	"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define A3_SIG \
	"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKT" \
	"UJqPP3-Kg6NU1Q"
/* RFC 7515 §A.4 (ES512). */
#define A4_X \
	"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9" \
	"tsz4qUxcWceqwQGk"
#define A4_Y \
	"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZ" \
	"mh9ubmf63e3kyMj2"
#define A4_SIG \
	"AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-K" \
	"GDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKv" \
	"U8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn"
/* RFC 8037 §A.4/§A.5 (EdDSA). */
#define ED_X	"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define ED_SIG \
	"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7" \
	"sVvpAr_MuM0KAg"

/* P-256 group order n. */
#define P256_N	"FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"

/* Group fixture: keys are made once per run (RSA keygen is slow). */
struct keys {
	EVP_PKEY	*ec256;
	EVP_PKEY	*ec256b;
	EVP_PKEY	*ec384;
	EVP_PKEY	*ec521;
	EVP_PKEY	*rsa;
	EVP_PKEY	*ed;
};
static struct keys	 K;

static int
setup(void **state)
{
	(void)state;
	K.ec256 = tu_key_ec256();
	K.ec256b = tu_key_ec256();
	K.ec384 = tu_key_ec384();
	K.ec521 = tu_key_ec521();
	K.rsa = tu_key_rsa(2048);
	K.ed = tu_key_ed25519();
	return K.ec256 && K.ec256b && K.ec384 && K.ec521 && K.rsa && K.ed ?
	    0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(K.ec256);
	EVP_PKEY_free(K.ec256b);
	EVP_PKEY_free(K.ec384);
	EVP_PKEY_free(K.ec521);
	EVP_PKEY_free(K.rsa);
	EVP_PKEY_free(K.ed);
	return 0;
}

/* printf into one of a few rotating static buffers. */
static const char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *
fmt(const char *f, ...)
{
	static char	 bufs[4][16384];
	static int	 i;
	char		*buf = bufs[i++ % 4];
	va_list		 ap;

	va_start(ap, f);
	assert_true(vsnprintf(buf, sizeof(bufs[0]), f, ap) <
	    (int)sizeof(bufs[0]));
	va_end(ap);
	return buf;
}

/* Parse only: -1 on success (cleared), else the problem type. */
static int
parse_result(const char *body)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	int			 rc;

	assert_non_null(body);
	memset(&prob, 0, sizeof(prob));
	prob.type = ACME_P__MAX;
	rc = acme_jws_parse(body, strlen(body), &jws, &prob);
	if (rc == 0) {
		acme_jws_clear(&jws);
		return -1;
	}
	assert_int_equal(rc, -1);
	assert_int_not_equal(prob.type, ACME_P__MAX);
	/* A failed parse leaves nothing behind. */
	assert_null(jws.hdr);
	assert_null(jws.key);
	assert_null(jws.payload);
	return (int)prob.type;
}

/*
 * Parse and verify with key (NULL: the embedded jwk): -1 on success,
 * else the problem type.
 */
static int
full_result(const char *body, EVP_PKEY *key)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	int			 rc;

	assert_non_null(body);
	memset(&prob, 0, sizeof(prob));
	if (acme_jws_parse(body, strlen(body), &jws, &prob) != 0)
		return (int)prob.type;
	rc = acme_jws_verify(&jws, key != NULL ? key : jws.key, &prob);
	acme_jws_clear(&jws);
	return rc == 0 ? -1 : (int)prob.type;
}

/* The canonical JWK text of key (static buffer). */
static const char *
jwk(EVP_PKEY *key)
{
	static char	 buf[2048];
	char		*s = acme_jwk_export_str(key);

	assert_non_null(s);
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

/* A signed body with protected header text hdr and PAYLOAD. Caller frees. */
static char *
signed_hdr(EVP_PKEY *key, const char *hdr)
{
	char	*b = tu_jws_sign_raw(key, hdr, PAYLOAD);

	assert_non_null(b);
	return b;
}

/* The body with outer member name set to raw JSON (NULL: removed). */
static char *
mutate(const char *body, const char *name, const char *raw)
{
	json_t	*o = json_loads(body, 0, NULL), *v;
	char	*s;

	assert_non_null(o);
	if (raw == NULL)
		json_object_del(o, name);
	else {
		v = json_loads(raw, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		json_object_set_new(o, name, v);
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

/* Outer string member of a body, copied. Caller frees. */
static char *
member(const char *body, const char *name)
{
	json_t	*o = json_loads(body, 0, NULL);
	char	*s;

	assert_non_null(o);
	s = strdup(json_string_value(json_object_get(o, name)));
	json_decref(o);
	return s;
}

/* A valid ES256 newAccount-style body (jwk). Caller frees. */
static char *
valid_jwk_body(void)
{
	char	*b = tu_jws_sign(K.ec256, NULL, true, NULL, NONCE, URL, PAYLOAD);

	assert_non_null(b);
	return b;
}

/* ------------------------------------------------------------------ */
/* Positive controls                                                   */

static void
test_jws_valid_es256_jwk_parses_and_verifies(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b = valid_jwk_body();

	(void)state;
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	assert_string_equal(jws.alg, "ES256");
	assert_null(jws.kid);
	assert_non_null(jws.jwk);
	assert_non_null(jws.key);
	assert_true(acme_jwk_equal(jws.key, K.ec256));
	assert_true(jws.nonce_present);
	assert_string_equal(jws.nonce, NONCE);
	assert_string_equal(jws.url, URL);
	assert_int_equal(jws.payload_len, strlen(PAYLOAD));
	assert_string_equal((const char *)jws.payload, PAYLOAD);
	assert_int_equal(jws.siglen, 64);
	assert_int_equal(acme_jws_verify(&jws, jws.key, &prob), 0);
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_valid_kid_verifies_with_account_key(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	assert_string_equal(jws.kid, KID);
	assert_null(jws.jwk);
	assert_null(jws.key);
	assert_int_equal(acme_jws_verify(&jws, K.ec256, &prob), 0);
	acme_jws_clear(&jws);
	free(b);
}

static void
alg_roundtrip(EVP_PKEY *key, const char *alg)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	b = tu_jws_sign(key, NULL, true, NULL, NONCE, URL, PAYLOAD);
	assert_non_null(b);
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	assert_string_equal(jws.alg, alg);
	assert_int_equal(acme_jws_verify(&jws, jws.key, &prob), 0);
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_rs256_verifies(void **state)
{
	(void)state;
	alg_roundtrip(K.rsa, "RS256");
}

static void
test_jws_es384_verifies(void **state)
{
	(void)state;
	alg_roundtrip(K.ec384, "ES384");
}

static void
test_jws_es512_verifies(void **state)
{
	(void)state;
	alg_roundtrip(K.ec521, "ES512");
}

static void
test_jws_eddsa_verifies(void **state)
{
	(void)state;
	alg_roundtrip(K.ed, "EdDSA");
}

static void
test_jws_post_as_get_empty_payload(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL, "");
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	assert_int_equal(jws.payload_len, 0);
	assert_non_null(jws.payload);
	assert_int_equal(jws.payload[0], '\0');
	assert_int_equal(acme_jws_verify(&jws, K.ec256, &prob), 0);
	/* An empty payload is not a JSON object. */
	assert_null(acme_jws_payload_json(&jws, &prob));
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_missing_nonce_parses_not_present(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	/* N01 is the WFE's badNonce, after the signature check. */
	b = tu_jws_sign(K.ec256, NULL, false, KID, NULL, URL, PAYLOAD);
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	assert_false(jws.nonce_present);
	assert_null(jws.nonce);
	assert_int_equal(acme_jws_verify(&jws, K.ec256, &prob), 0);
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_whitespace_reordered_header_accepted(void **state)
{
	char	*b;

	(void)state;
	/* J28: any header bytes the client signed are fine. */
	b = signed_hdr(K.ec256, fmt("{ \"url\" : \"%s\",\n\t\"nonce\":\"%s\", "
	    "\"kid\" : \"%s\" ,\"alg\":\"ES256\" }", URL, NONCE, KID));
	assert_int_equal(full_result(b, K.ec256), -1);
	free(b);
}

static void
test_jws_unknown_header_member_ignored(void **state)
{
	char	*b;

	(void)state;
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\",\"typ\":\"JOSE+JSON\","
	    "\"x-extra\":[1]}", KID, NONCE, URL));
	assert_int_equal(full_result(b, K.ec256), -1);
	free(b);
}

/* ------------------------------------------------------------------ */
/* RFC vectors through acme_jws_verify (their headers lack url/kid)    */

/* A struct as acme_jws_parse would fill it, from the vector's parts. */
static void
vector_jws(struct acme_jws *jws, const char *alg, const char *input,
    const char *sig_b64)
{
	memset(jws, 0, sizeof(*jws));
	snprintf(jws->alg, sizeof(jws->alg), "%s", alg);
	jws->signing_input = strdup(input);
	jws->signing_input_len = strlen(input);
	jws->sig = acme_b64url_decode(sig_b64, strlen(sig_b64), &jws->siglen);
	assert_non_null(jws->signing_input);
	assert_non_null(jws->sig);
}

static EVP_PKEY *
import(const char *s)
{
	struct acme_problem	 prob;
	EVP_PKEY		*k = acme_jwk_import_str(s, strlen(s), &prob);

	assert_non_null(k);
	return k;
}

static void
test_jws_rfc7515_a2_rs256_vector_verifies(void **state)
{
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	EVP_PKEY		*k;

	(void)state;
	k = import("{\"kty\":\"RSA\",\"n\":\"" A2_N "\",\"e\":\"AQAB\"}");
	vector_jws(&jws, "RS256", "eyJhbGciOiJSUzI1NiJ9." A_PAYLOAD, A2_SIG);
	assert_int_equal(acme_jws_verify(&jws, k, &prob), 0);
	acme_jws_clear(&jws);
	EVP_PKEY_free(k);
}

static void
test_jws_rfc7515_a3_es256_vector_verifies(void **state)
{
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	EVP_PKEY		*k;

	(void)state;
	k = import("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\","
	    "\"y\":\"" A3_Y "\"}");
	vector_jws(&jws, "ES256", "eyJhbGciOiJFUzI1NiJ9." A_PAYLOAD, A3_SIG);
	assert_int_equal(acme_jws_verify(&jws, k, &prob), 0);
	acme_jws_clear(&jws);
	EVP_PKEY_free(k);
}

static void
test_jws_rfc7515_a3_tampered_input_fails(void **state)
{
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	EVP_PKEY		*k;

	(void)state;
	k = import("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\","
	    "\"y\":\"" A3_Y "\"}");
	vector_jws(&jws, "ES256", "eyJhbGciOiJFUzI1NiJ9." A_PAYLOAD "x",
	    A3_SIG);
	assert_int_equal(acme_jws_verify(&jws, k, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	acme_jws_clear(&jws);
	EVP_PKEY_free(k);
}

static void
test_jws_rfc7515_a4_es512_vector_verifies(void **state)
{
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	EVP_PKEY		*k;

	(void)state;
	k = import("{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"" A4_X "\","
	    "\"y\":\"" A4_Y "\"}");
	vector_jws(&jws, "ES512", "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA", A4_SIG);
	assert_int_equal(jws.siglen, 132);
	assert_int_equal(acme_jws_verify(&jws, k, &prob), 0);
	acme_jws_clear(&jws);
	EVP_PKEY_free(k);
}

static void
test_jws_rfc8037_eddsa_vector_verifies(void **state)
{
	struct acme_jws		 jws;
	struct acme_problem	 prob;
	EVP_PKEY		*k;

	(void)state;
	k = import("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\"}");
	vector_jws(&jws, "EdDSA",
	    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc", ED_SIG);
	assert_int_equal(acme_jws_verify(&jws, k, &prob), 0);
	jws.sig[0] ^= 1;
	assert_int_equal(acme_jws_verify(&jws, k, &prob), -1);
	acme_jws_clear(&jws);
	EVP_PKEY_free(k);
}

/* ------------------------------------------------------------------ */
/* J: structure and serialization                                      */

static void
test_jws_compact_serialization_malformed(void **state)
{
	char	*b = valid_jwk_body(), *p, *y, *s;

	(void)state;
	/* J01 */
	p = member(b, "protected");
	y = member(b, "payload");
	s = member(b, "signature");
	assert_int_equal(parse_result(fmt("%s.%s.%s", p, y, s)),
	    ACME_P_MALFORMED);
	assert_int_equal(parse_result(fmt("\"%s.%s.%s\"", p, y, s)),
	    ACME_P_MALFORMED);
	free(p);
	free(y);
	free(s);
	free(b);
}

static void
test_jws_general_serialization_malformed(void **state)
{
	char	*b = valid_jwk_body(), *p, *y, *s;

	(void)state;
	/* J02 */
	p = member(b, "protected");
	y = member(b, "payload");
	s = member(b, "signature");
	assert_int_equal(parse_result(fmt("{\"payload\":\"%s\",\"signatures\":"
	    "[{\"protected\":\"%s\",\"signature\":\"%s\"}]}", y, p, s)),
	    ACME_P_MALFORMED);
	free(p);
	free(y);
	free(s);
	free(b);
}

static void
test_jws_flattened_plus_signatures_malformed(void **state)
{
	char	*b = valid_jwk_body(), *m;

	(void)state;
	/* J03 */
	m = mutate(b, "signatures", "[]");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(b);
}

static void
test_jws_unprotected_header_malformed(void **state)
{
	char	*b, *m;

	(void)state;
	/* J04: even an empty one; even when the protected header is fine. */
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL, PAYLOAD);
	m = mutate(b, "header", fmt("{\"kid\":\"%s\"}", KID));
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	m = mutate(b, "header", "{}");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(b);
}

static void
test_jws_unknown_outer_member_malformed(void **state)
{
	char	*b = valid_jwk_body(), *m;

	(void)state;
	m = mutate(b, "extra", "\"x\"");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(b);
}

static void
test_jws_missing_members_malformed(void **state)
{
	char	*b = valid_jwk_body(), *m;

	(void)state;
	/* J05, J06 (missing), J07 */
	m = mutate(b, "protected", NULL);
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	m = mutate(b, "signature", NULL);
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	m = mutate(b, "payload", NULL);
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	assert_int_equal(parse_result("{}"), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_empty_signature_malformed(void **state)
{
	char	*b = valid_jwk_body(), *m;

	(void)state;
	/* J06 */
	m = mutate(b, "signature", "\"\"");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(b);
}

static void
test_jws_empty_protected_malformed(void **state)
{
	char	*b = valid_jwk_body(), *m;

	(void)state;
	m = mutate(b, "protected", "\"\"");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(b);
}

static void
test_jws_non_string_members_malformed(void **state)
{
	char	*b = valid_jwk_body(), *m;

	(void)state;
	m = mutate(b, "protected", "{\"alg\":\"ES256\"}");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	m = mutate(b, "payload", "{}");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	m = mutate(b, "signature", "null");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	m = mutate(b, "payload", "1");
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(b);
}

static void
test_jws_crit_b64_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J08 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\",\"crit\":[\"b64\"],\"b64\":false}",
	    KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_crit_unknown_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J09 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\",\"crit\":[\"x-unknown\"],"
	    "\"x-unknown\":1}", KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_b64_alone_malformed(void **state)
{
	char	*b;

	(void)state;
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\",\"b64\":true}", KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_padded_parts_malformed(void **state)
{
	static const char *const parts[] = { "protected", "payload", "signature" };
	char	*b = valid_jwk_body(), *v, *m;
	size_t	 i;

	(void)state;
	/* J10 */
	for (i = 0; i < 3; i++) {
		v = member(b, parts[i]);
		m = mutate(b, parts[i], fmt("\"%s=\"", v));
		assert_int_equal(parse_result(m), ACME_P_MALFORMED);
		free(m);
		m = mutate(b, parts[i], fmt("\"%s==\"", v));
		assert_int_equal(parse_result(m), ACME_P_MALFORMED);
		free(m);
		free(v);
	}
	free(b);
}

static void
test_jws_standard_alphabet_or_whitespace_malformed(void **state)
{
	char	*b = valid_jwk_body(), *v, *m;
	size_t	 len;

	(void)state;
	/* J11 */
	v = member(b, "signature");
	len = strlen(v);
	m = mutate(b, "signature", fmt("\"%.*s\\n%s\"", (int)(len / 2), v,
	    v + len / 2));
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	m = mutate(b, "signature", fmt("\"%.*s %s\"", (int)(len / 2), v,
	    v + len / 2));
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	v[0] = '+';
	m = mutate(b, "signature", fmt("\"%s\"", v));
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	v[0] = '/';
	m = mutate(b, "signature", fmt("\"%s\"", v));
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(v);
	free(b);
}

static void
test_jws_noncanonical_trailing_bits_malformed(void **state)
{
	static const char	 a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char	*b = valid_jwk_body(), *v, *m;
	size_t	 len;
	int	 c;

	(void)state;
	/* J12: 64-octet signature = 86 chars; the last carries 4 spare bits. */
	v = member(b, "signature");
	len = strlen(v);
	assert_int_equal(len, 86);
	c = (int)(strchr(a, v[len - 1]) - a);
	assert_int_equal(c & 0x0f, 0);
	v[len - 1] = a[c | 1];
	m = mutate(b, "signature", fmt("\"%s\"", v));
	assert_int_equal(parse_result(m), ACME_P_MALFORMED);
	free(m);
	free(v);
	free(b);
}

static void
test_jws_header_not_object_malformed(void **state)
{
	static const char *const hdrs[] = { "[]", "\"x\"", "1", "{\"alg\":",
	    "null", "{\"alg\":\"ES256\"} {}" };
	char	*b = valid_jwk_body(), *p, *m;
	size_t	 i;

	(void)state;
	/* J13 */
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		p = tu_b64url_str(hdrs[i]);
		m = mutate(b, "protected", fmt("\"%s\"", p));
		assert_int_equal(parse_result(m), ACME_P_MALFORMED);
		free(m);
		free(p);
	}
	free(b);
}

static void
test_jws_header_duplicate_url_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J14 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\",\"url\":\"%s/finalize\"}",
	    KID, NONCE, URL, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_header_duplicate_alg_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J14 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\",\"alg\":\"none\"}", KID, NONCE,
	    URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_outer_duplicate_member_malformed(void **state)
{
	char	*b = valid_jwk_body(), *p;

	(void)state;
	/* J15: a second "protected" appended before the closing brace. */
	p = member(b, "protected");
	b[strlen(b) - 1] = '\0';
	assert_int_equal(parse_result(fmt("%s,\"protected\":\"%s\"}", b, p)),
	    ACME_P_MALFORMED);
	free(p);
	free(b);
}

static void
test_jws_trailing_bytes_malformed(void **state)
{
	char	*b = valid_jwk_body();

	(void)state;
	/* J16 */
	assert_int_equal(parse_result(fmt("%s xyz", b)), ACME_P_MALFORMED);
	assert_int_equal(parse_result(fmt("%s{}", b)), ACME_P_MALFORMED);
	assert_int_equal(parse_result(fmt("%s  \n", b)), -1);
	free(b);
}

static void
test_jws_body_with_nul_malformed(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b = valid_jwk_body();
	size_t			 len = strlen(b);
	char			*c = malloc(len + 2);

	(void)state;
	memcpy(c, b, len);
	c[len] = '\0';
	c[len + 1] = '}';
	assert_int_equal(acme_jws_parse(c, len + 2, &jws, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	free(c);
	free(b);
}

static void
test_jws_deep_nesting_malformed(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*deep, *b;
	size_t			 n = 60000;
	json_t			*o;

	(void)state;
	/* J17: in the payload (payload_json) and in the header (parse). */
	deep = malloc(n + 1);
	memset(deep, '[', n);
	deep[n] = '\0';
	b = tu_jws_sign_raw(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\"}", KID, NONCE, URL), deep);
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	o = acme_jws_payload_json(&jws, &prob);
	assert_null(o);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	acme_jws_clear(&jws);
	free(b);
	b = tu_jws_sign_raw(K.ec256, deep, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	free(deep);
}

static void
test_jws_nul_escape_in_header_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J18 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\\u0000.evil\"}", KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\\u0000x\","
	    "\"nonce\":\"%s\",\"url\":\"%s\"}", KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_lone_surrogate_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J19 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\\ud800\"}", KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_payload_json_non_object_malformed(void **state)
{
	static const char *const payloads[] = { "[]", "1", "\"x\"", "null",
	    "{\"a\":1} x", "{\"a\":1,\"a\":2}", "{\"a\":\"\\u0000\"}", "{" };
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	size_t			 i;
	char			*b;
	json_t			*o;

	(void)state;
	/* J20, and duplicates (J14) / NUL (J18) inside the payload. */
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL,
		    payloads[i]);
		assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
		prob.type = ACME_P__MAX;
		assert_null(acme_jws_payload_json(&jws, &prob));
		assert_int_equal(prob.type, ACME_P_MALFORMED);
		acme_jws_clear(&jws);
		free(b);
	}
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	o = acme_jws_payload_json(&jws, &prob);
	assert_true(json_is_true(json_object_get(o, "termsOfServiceAgreed")));
	json_decref(o);
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_both_jwk_and_kid_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J22 */
	b = tu_jws_sign(K.ec256, NULL, true, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_neither_jwk_nor_kid_malformed(void **state)
{
	char	*b;

	(void)state;
	/* J23 */
	b = tu_jws_sign(K.ec256, NULL, false, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_jku_x5u_x5c_refused(void **state)
{
	static const char *const extra[] = {
	    "\"jku\":\"https://127.0.0.1:1/jwks\"",
	    "\"x5u\":\"https://127.0.0.1:1/cert\"",
	    "\"x5c\":[\"MIIB\"]",
	    "\"x5t\":\"AAAA\"",
	    "\"x5t#S256\":\"AAAA\"" };
	size_t	 i;
	char	*b;

	(void)state;
	/* J26: refused, so nothing can ever fetch or trust them. */
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
		    "\"nonce\":\"%s\",\"url\":\"%s\",%s}", KID, NONCE, URL,
		    extra[i]));
		assert_int_equal(parse_result(b), ACME_P_MALFORMED);
		free(b);
	}
}

static void
test_jws_reencoded_header_fails_verify(void **state)
{
	char	*b = valid_jwk_body(), *p, *m, *e;
	unsigned char *hdr;
	size_t	 len;
	json_t	*h;
	char	*re;

	(void)state;
	/* J27: same JSON, different bytes, old signature. */
	p = member(b, "protected");
	hdr = acme_b64url_decode(p, strlen(p), &len);
	h = json_loadb((const char *)hdr, len, 0, NULL);
	assert_non_null(h);
	re = json_dumps(h, JSON_INDENT(1) | JSON_SORT_KEYS);
	assert_string_not_equal(re, (const char *)hdr);
	e = tu_b64url_str(re);
	m = mutate(b, "protected", fmt("\"%s\"", e));
	assert_int_equal(parse_result(m), -1);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	free(e);
	free(re);
	json_decref(h);
	free(hdr);
	free(p);
	free(b);
}

static void
test_jws_kid_not_string_or_empty_malformed(void **state)
{
	char	*b;

	(void)state;
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":1,"
	    "\"nonce\":\"%s\",\"url\":\"%s\"}", NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"\","
	    "\"nonce\":\"%s\",\"url\":\"%s\"}", NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_jwk_not_object_malformed(void **state)
{
	char	*b;

	(void)state;
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"jwk\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":\"%s\"}", "eyJ9", NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_url_missing_or_bad_malformed(void **state)
{
	char	*b;

	(void)state;
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, NULL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":\"%s\",\"url\":[\"%s\"]}", KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, "", PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

/* ------------------------------------------------------------------ */
/* N: nonce syntax (redemption is the WFE's)                            */

static void
test_jws_nonce_not_string_malformed(void **state)
{
	char	*b;

	(void)state;
	/* N05 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":12345,\"url\":\"%s\"}", KID, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"nonce\":{},\"url\":\"%s\"}", KID, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_nonce_not_base64url_malformed(void **state)
{
	static const char *const bad[] = { "im-a-nonce!", "bm9uY2UtMQ==",
	    "", "bm9u Y2U", "bm9uY" };
	size_t	 i;
	char	*b;

	(void)state;
	/* N04, RFC 8555 §6.5.2 */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = tu_jws_sign(K.ec256, NULL, false, KID, bad[i], URL,
		    PAYLOAD);
		assert_int_equal(parse_result(b), ACME_P_MALFORMED);
		free(b);
	}
}

static void
test_jws_bad_alg_and_bad_nonce_reports_alg(void **state)
{
	char	*b;

	(void)state;
	/* N10 */
	b = tu_jws_sign(K.ec256, "HS256", false, KID, "!!", URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_BADSIGNATUREALGORITHM);
	free(b);
}

/* ------------------------------------------------------------------ */
/* K: algorithms, keys, signatures                                     */

static void
test_jws_alg_none_badsignaturealgorithm(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*p, *y, *b;
	json_t			*j;

	(void)state;
	/* K01: no signature at all, and the problem lists algorithms. */
	p = tu_b64url_str(fmt("{\"alg\":\"none\",\"jwk\":%s,\"nonce\":\"%s\","
	    "\"url\":\"%s\"}", jwk(K.ec256), NONCE, URL));
	y = tu_b64url_str(PAYLOAD);
	b = tu_jws_body(p, y, "");
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADSIGNATUREALGORITHM);
	j = acme_problem_json(&prob);
	assert_true(json_is_array(json_object_get(j, "algorithms")));
	json_decref(j);
	free(b);
	free(p);
	free(y);
}

static void
test_jws_alg_hs256_confusion_badsignaturealgorithm(void **state)
{
	const char	*k = jwk(K.rsa);
	char		*b, *kcopy = strdup(k);

	(void)state;
	/* K02: MAC keyed with the public key's bytes. */
	b = tu_jws_sign_hmac((const unsigned char *)kcopy, strlen(kcopy),
	    fmt("{\"alg\":\"HS256\",\"jwk\":%s,\"nonce\":\"%s\",\"url\":\"%s\"}",
	    kcopy, NONCE, URL), PAYLOAD);
	assert_non_null(b);
	assert_int_equal(parse_result(b), ACME_P_BADSIGNATUREALGORITHM);
	free(b);
	free(kcopy);
}

static void
test_jws_unlisted_algs_badsignaturealgorithm(void **state)
{
	static const char *const algs[] = { "RS512", "RS384", "PS256",
	    "ES256K", "HS512", "Ed25519", "EdDSA\n" };
	size_t	 i;
	char	*b;

	(void)state;
	/* K03 */
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		b = tu_jws_sign(K.rsa, algs[i], true, NULL, NONCE, URL,
		    PAYLOAD);
		assert_int_equal(parse_result(b),
		    ACME_P_BADSIGNATUREALGORITHM);
		free(b);
	}
}

static void
test_jws_alg_case_or_space_badsignaturealgorithm(void **state)
{
	char	*b;

	(void)state;
	/* K04 */
	b = tu_jws_sign(K.ec256, "es256", true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_BADSIGNATUREALGORITHM);
	free(b);
	b = tu_jws_sign(K.ec256, "ES256 ", true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_BADSIGNATUREALGORITHM);
	free(b);
}

static void
test_jws_alg_not_string_malformed(void **state)
{
	static const char *const algs[] = { "1", "null", "[\"ES256\"]",
	    "{\"ES256\":1}" };
	size_t	 i;
	char	*b;

	(void)state;
	/* K05 */
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		b = signed_hdr(K.ec256, fmt("{\"alg\":%s,\"kid\":\"%s\","
		    "\"nonce\":\"%s\",\"url\":\"%s\"}", algs[i], KID, NONCE,
		    URL));
		assert_int_equal(parse_result(b), ACME_P_MALFORMED);
		free(b);
	}
	b = signed_hdr(K.ec256, fmt("{\"kid\":\"%s\",\"nonce\":\"%s\","
	    "\"url\":\"%s\"}", KID, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_alg_key_mismatch_jwk_malformed(void **state)
{
	char	*b;

	(void)state;
	/* K06 with an embedded key: caught at parse time. */
	b = tu_jws_sign(K.rsa, "ES256", true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = tu_jws_sign(K.ec256, "RS256", true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = tu_jws_sign(K.ec256, "ES384", true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
	b = tu_jws_sign(K.ed, "ES256", true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_alg_key_mismatch_kid_malformed(void **state)
{
	char	*b;

	(void)state;
	/* K06 with a stored key: the verifier follows the stored key. */
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(full_result(b, K.rsa), ACME_P_MALFORMED);
	assert_int_equal(full_result(b, K.ec384), ACME_P_MALFORMED);
	assert_int_equal(full_result(b, K.ed), ACME_P_MALFORMED);
	free(b);
	b = tu_jws_sign(K.rsa, NULL, false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(full_result(b, K.ec256), ACME_P_MALFORMED);
	free(b);
	/*
	 * A real P-256/SHA-256 signature under a header claiming ES384:
	 * a verifier that ignored the header would accept it.
	 */
	b = tu_jws_sign(K.ec256, "ES384", false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(full_result(b, K.ec256), ACME_P_MALFORMED);
	free(b);
	b = tu_jws_sign(K.ec256, "ES256", false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(full_result(b, K.ec256), -1);
	free(b);
}

/*
 * acme_jws_prepare_key (issue #17): a prepared key answers every
 * signature exactly as the same key unprepared (K06's algorithm check
 * included), again and again from the one template, and from several
 * threads at once.
 */
static void
test_jws_prepared_key_verifies_as_unprepared(void **state)
{
	EVP_PKEY	*keys[] = { K.ec256, K.ec256b, K.ec384, K.ec521,
			    K.rsa, K.ed };
	EVP_PKEY	*prep[6];
	const size_t	 n = sizeof(keys) / sizeof(keys[0]);
	char		*b;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_non_null(prep[i] = EVP_PKEY_dup(keys[i]));
		assert_false(acme_jws_key_prepared(prep[i]));
		assert_int_equal(acme_jws_prepare_key(prep[i]), 0);
		assert_true(acme_jws_key_prepared(prep[i]));
		assert_int_equal(acme_jws_prepare_key(prep[i]), 0);
	}
	for (size_t s = 0; s < n; s++) {
		b = tu_jws_sign(keys[s], NULL, false, KID, NONCE, URL,
		    PAYLOAD);
		assert_non_null(b);
		for (size_t v = 0; v < n; v++) {
			int want = full_result(b, keys[v]);

			/* the signer's own key, and only it, verifies */
			assert_int_equal(want, v == s ? -1 : ACME_P_MALFORMED);
			for (int k = 0; k < 3; k++)
				assert_int_equal(full_result(b, prep[v]), want);
		}
		free(b);
	}
	/* A P-256 signature under a header claiming ES384 (K06). */
	b = tu_jws_sign(K.ec256, "ES384", false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(full_result(b, prep[0]), ACME_P_MALFORMED);
	free(b);
	/* A duplicate starts unprepared and still verifies. */
	{
		EVP_PKEY *d = EVP_PKEY_dup(prep[0]);

		assert_non_null(d);
		assert_false(acme_jws_key_prepared(d));
		b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL,
		    PAYLOAD);
		assert_int_equal(full_result(b, d), -1);
		EVP_PKEY_free(d);
		free(b);
	}
	assert_int_equal(acme_jws_prepare_key(NULL), -1);
	assert_false(acme_jws_key_prepared(NULL));
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(prep[i]);
}

struct prep_thread {
	EVP_PKEY	*key;
	const char	*good, *bad;
	int		 wrong;
};

static void *
prep_thread_run(void *arg)
{
	struct prep_thread *t = arg;

	for (int i = 0; i < 50; i++) {
		if (full_result(t->good, t->key) != -1)
			t->wrong++;
		if (full_result(t->bad, t->key) != ACME_P_MALFORMED)
			t->wrong++;
	}
	return NULL;
}

static void
test_jws_prepared_key_shared_by_threads(void **state)
{
	struct prep_thread	 t[4];
	pthread_t		 th[4];
	EVP_PKEY		*p;
	char			*good, *bad;

	(void)state;
	assert_non_null(p = EVP_PKEY_dup(K.ec256));
	assert_int_equal(acme_jws_prepare_key(p), 0);
	good = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL, PAYLOAD);
	bad = tu_jws_sign(K.ec256b, NULL, false, KID, NONCE, URL, PAYLOAD);
	assert_non_null(good);
	assert_non_null(bad);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct prep_thread){ p, good, bad, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, prep_thread_run,
		    &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(t[i].wrong, 0);
	}
	EVP_PKEY_free(p);
	free(good);
	free(bad);
}

static void
test_jws_jwk_alg_member_mismatch_malformed(void **state)
{
	char	*b;

	(void)state;
	/* K07 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"jwk\":{\"alg\":"
	    "\"HS256\",%s,\"nonce\":\"%s\",\"url\":\"%s\"}",
	    jwk(K.ec256) + 1, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_jwk_oct_badpublickey(void **state)
{
	char	*b;

	(void)state;
	/* K08 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"jwk\":{\"kty\":"
	    "\"oct\",\"k\":\"AAAA\"},\"nonce\":\"%s\",\"url\":\"%s\"}",
	    NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_BADPUBLICKEY);
	free(b);
}

static void
test_jws_jwk_rsa1024_badpublickey(void **state)
{
	EVP_PKEY	*k = tu_key_rsa(1024);
	char		*b;

	(void)state;
	/* K09, correctly signed by the small key. */
	b = tu_jws_sign(k, NULL, true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(parse_result(b), ACME_P_BADPUBLICKEY);
	free(b);
	EVP_PKEY_free(k);
}

static void
test_jws_jwk_rsa16384_badpublickey(void **state)
{
	unsigned char	 n[2048];
	char		*nb, *b;
	size_t		 i;

	(void)state;
	/* K10: refused on size; the signature is never looked at. */
	for (i = 0; i < sizeof(n); i++)
		n[i] = (unsigned char)(0xa5 ^ i);
	n[0] |= 0x80;
	n[sizeof(n) - 1] |= 1;
	nb = acme_b64url_encode(n, sizeof(n));
	b = signed_hdr(K.rsa, fmt("{\"alg\":\"RS256\",\"jwk\":{\"e\":\"AQAB\","
	    "\"kty\":\"RSA\",\"n\":\"%s\"},\"nonce\":\"%s\",\"url\":\"%s\"}",
	    nb, NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_BADPUBLICKEY);
	free(b);
	free(nb);
}

static void
test_jws_jwk_off_curve_badpublickey(void **state)
{
	char	*b;

	(void)state;
	/* K13: x of one valid point, y of another. */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"jwk\":{\"crv\":"
	    "\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"},\"nonce\":"
	    "\"%s\",\"url\":\"%s\"}", A3_X, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAA", NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_BADPUBLICKEY);
	free(b);
}

static void
test_jws_jwk_private_member_malformed(void **state)
{
	char	*b;

	(void)state;
	/* K16 */
	b = signed_hdr(K.ec256, fmt("{\"alg\":\"ES256\",\"jwk\":{\"d\":"
	    "\"AAAA\",%s,\"nonce\":\"%s\",\"url\":\"%s\"}", jwk(K.ec256) + 1,
	    NONCE, URL));
	assert_int_equal(parse_result(b), ACME_P_MALFORMED);
	free(b);
}

/* The valid body with its signature replaced by sig (len octets). */
static char *
with_sig(const char *body, const unsigned char *sig, size_t len)
{
	char	*s = acme_b64url_encode(sig, len), *m;

	assert_non_null(s);
	m = mutate(body, "signature", fmt("\"%s\"", s));
	free(s);
	return m;
}

static void
test_jws_ecdsa_zero_signature_malformed(void **state)
{
	unsigned char	 sig[64] = {0};
	char		*b = valid_jwk_body(), *m;

	(void)state;
	/* K17: r = s = 0 ("psychic signatures"). */
	m = with_sig(b, sig, sizeof(sig));
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	free(b);
}

static void
test_jws_ecdsa_r_or_s_out_of_range_malformed(void **state)
{
	unsigned char	 sig[64], good[64], *g;
	size_t		 glen;
	char		*b = valid_jwk_body(), *m, *s;
	BIGNUM		*n = NULL;

	(void)state;
	/* K17: r or s = 0, = n, = 2^256-1, each with the other half valid. */
	s = member(b, "signature");
	g = acme_b64url_decode(s, strlen(s), &glen);
	assert_int_equal(glen, 64);
	memcpy(good, g, 64);
	free(g);
	free(s);
	assert_int_not_equal(BN_hex2bn(&n, P256_N), 0);

	memcpy(sig, good, 64);
	memset(sig, 0, 32);
	m = with_sig(b, sig, 64);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	memcpy(sig, good, 64);
	memset(sig + 32, 0, 32);
	m = with_sig(b, sig, 64);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	memcpy(sig, good, 64);
	BN_bn2binpad(n, sig, 32);
	m = with_sig(b, sig, 64);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	memcpy(sig, good, 64);
	BN_bn2binpad(n, sig + 32, 32);
	m = with_sig(b, sig, 64);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	memset(sig, 0xff, 64);
	m = with_sig(b, sig, 64);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	/* Control: the untouched signature verifies. */
	m = with_sig(b, good, 64);
	assert_int_equal(full_result(m, NULL), -1);
	free(m);
	BN_free(n);
	free(b);
}

/* The signature halves of a fresh body signed by key with this nonce. */
static unsigned char *
sig_for_nonce(EVP_PKEY *key, const char *nonce, char **body, size_t *len)
{
	char		*s;
	unsigned char	*g;

	*body = tu_jws_sign(key, NULL, true, NULL, nonce, URL, PAYLOAD);
	assert_non_null(*body);
	s = member(*body, "signature");
	g = acme_b64url_decode(s, strlen(s), len);
	assert_non_null(g);
	free(s);
	return g;
}

static void
test_jws_ec_orders_match_openssl(void **state)
{
	static const struct {
		const char	*alg;
		int		 nid;
	} c[] = {
		{ "ES256", NID_X9_62_prime256v1 },
		{ "ES384", NID_secp384r1 },
		{ "ES512", NID_secp521r1 },
	};
	unsigned char		 want[66];
	const unsigned char	*n;
	size_t			 i, len;
	EC_GROUP		*g;

	(void)state;
	/* RFC 7518 §3.4 range check (K17) uses these; a typo would show. */
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = acme_jws_ec_order(c[i].alg, &len);
		assert_non_null(n);
		g = EC_GROUP_new_by_curve_name(c[i].nid);
		assert_non_null(g);
		assert_int_equal(BN_num_bytes(EC_GROUP_get0_order(g)), len);
		assert_int_equal(BN_bn2binpad(EC_GROUP_get0_order(g), want,
		    (int)len), (int)len);
		assert_memory_equal(n, want, len);
		EC_GROUP_free(g);
	}
	assert_null(acme_jws_ec_order("RS256", &len));
	assert_int_equal(len, 0);
	assert_null(acme_jws_ec_order("EdDSA", &len));
}

static void
test_jws_ecdsa_r_s_of_any_shape_verify(void **state)
{
	char		 nonce[32], *b;
	unsigned char	*g;
	size_t		 len;
	int		 i, zero = 0, high = 0, lead0 = 0, lead1 = 0;

	(void)state;
	/*
	 * RFC 3279 §2.2.3 via RFC 7518 §3.4: R||S halves with a leading
	 * zero octet (minimal DER drops it) or the high bit set (DER adds a
	 * sign octet) must verify. Sign until each shape has been seen.
	 */
	for (i = 0; i < 4000 && (zero == 0 || high == 0); i++) {
		snprintf(nonce, sizeof(nonce), "nn%06d", i);	/* base64url */
		g = sig_for_nonce(K.ec256, nonce, &b, &len);
		assert_int_equal(len, 64);
		if (g[0] == 0 || g[32] == 0)
			zero++;
		if ((g[0] & 0x80) != 0 || (g[32] & 0x80) != 0)
			high++;
		assert_int_equal(full_result(b, NULL), -1);
		free(g);
		free(b);
	}
	assert_true(zero > 0 && high > 0);
	/*
	 * P-521: 66-octet halves whose first octet is 0 or 1 (n < 2^521), so
	 * the DER SEQUENCE is over 127 octets (long-form length).
	 */
	for (i = 0; i < 200 && (lead0 == 0 || lead1 == 0); i++) {
		snprintf(nonce, sizeof(nonce), "mm%06d", i);
		g = sig_for_nonce(K.ec521, nonce, &b, &len);
		assert_int_equal(len, 132);
		assert_true(g[0] <= 1 && g[66] <= 1);
		if (g[0] == 0)
			lead0++;
		else
			lead1++;
		assert_int_equal(full_result(b, NULL), -1);
		free(g);
		free(b);
	}
	assert_true(lead0 > 0 && lead1 > 0);
}

static void
test_jws_ecdsa_p384_p521_r_equal_n_malformed(void **state)
{
	EVP_PKEY		*keys[] = { K.ec384, K.ec521 };
	const char		*algs[] = { "ES384", "ES512" };
	const unsigned char	*n;
	unsigned char		*g;
	char			*b, *m;
	size_t			 i, len, nlen;

	(void)state;
	/* K17 on the larger curves: r = n, then s = n; the control verifies. */
	for (i = 0; i < 2; i++) {
		n = acme_jws_ec_order(algs[i], &nlen);
		g = sig_for_nonce(keys[i], "bm9uY2UtMQ", &b, &len);
		assert_int_equal(len, 2 * nlen);
		assert_int_equal(full_result(b, NULL), -1);
		memcpy(g, n, nlen);
		m = with_sig(b, g, len);
		assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
		free(m);
		free(g);
		free(b);
		g = sig_for_nonce(keys[i], "bm9uY2UtMQ", &b, &len);
		memcpy(g + nlen, n, nlen);
		m = with_sig(b, g, len);
		assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
		free(m);
		free(g);
		free(b);
	}
}

static void
test_jws_ecdsa_der_or_wrong_length_malformed(void **state)
{
	unsigned char	*g, *der = NULL, buf[65];
	size_t		 glen;
	int		 derlen;
	char		*b = valid_jwk_body(), *m, *s;
	ECDSA_SIG	*es;
	BIGNUM		*r, *ss;

	(void)state;
	/* K18: the same (valid) r and s, DER-encoded; and 63/65 octets. */
	s = member(b, "signature");
	g = acme_b64url_decode(s, strlen(s), &glen);
	r = BN_bin2bn(g, 32, NULL);
	ss = BN_bin2bn(g + 32, 32, NULL);
	es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, r, ss);
	derlen = i2d_ECDSA_SIG(es, &der);
	assert_true(derlen > 0);
	m = with_sig(b, der, (size_t)derlen);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	m = with_sig(b, g, 63);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	buf[0] = 0;
	memcpy(buf + 1, g, 64);
	m = with_sig(b, buf, 65);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	free(g);
	free(s);
	free(b);
}

static void
test_jws_signed_by_other_key_malformed(void **state)
{
	char	*b;

	(void)state;
	/* K19: signed by B, kid of A, verified with A's stored key. */
	b = tu_jws_sign(K.ec256b, NULL, false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(full_result(b, K.ec256), ACME_P_MALFORMED);
	assert_int_equal(full_result(b, K.ec256b), -1);
	free(b);
}

static void
test_jws_payload_bit_flip_malformed(void **state)
{
	char	*b = valid_jwk_body(), *y, *m, *e;
	unsigned char *p;
	size_t	 len;

	(void)state;
	/* K20 */
	y = member(b, "payload");
	p = acme_b64url_decode(y, strlen(y), &len);
	p[1] ^= 0x01;
	e = tu_b64url(p, len);
	m = mutate(b, "payload", fmt("\"%s\"", e));
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	free(e);
	free(p);
	free(y);
	free(b);
}

static void
test_jws_signature_bit_flip_malformed(void **state)
{
	EVP_PKEY	*keys[] = { K.ec256, K.rsa, K.ed, K.ec384 };
	char		*b, *s, *m;
	unsigned char	*sig;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		b = tu_jws_sign(keys[i], NULL, true, NULL, NONCE, URL,
		    PAYLOAD);
		s = member(b, "signature");
		sig = acme_b64url_decode(s, strlen(s), &len);
		sig[len / 2] ^= 0x10;
		m = with_sig(b, sig, len);
		assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
		free(m);
		free(sig);
		free(s);
		free(b);
	}
}

static void
test_jws_rsa_signature_short_by_leading_zero_malformed(void **state)
{
	char		*b = NULL, *s, *m;
	unsigned char	*sig = NULL;
	size_t		 len = 0;
	int		 i;

	(void)state;
	/*
	 * K21: find a signature whose first octet is 0 (p = 1/256), then
	 * send it without that octet. The integer is unchanged, so only
	 * the length check can refuse it.
	 */
	for (i = 0; i < 4000; i++) {
		b = tu_jws_sign(K.rsa, NULL, true, NULL, NONCE, URL,
		    fmt("{\"n\":%d}", i));
		s = member(b, "signature");
		sig = acme_b64url_decode(s, strlen(s), &len);
		free(s);
		if (sig[0] == 0)
			break;
		free(sig);
		free(b);
		sig = NULL;
		b = NULL;
	}
	assert_non_null(sig);
	assert_int_equal(len, 256);
	m = with_sig(b, sig + 1, len - 1);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	m = with_sig(b, sig, len);
	assert_int_equal(full_result(m, NULL), -1);
	free(m);
	free(sig);
	free(b);
}

static void
test_jws_rsa_signature_long_malformed(void **state)
{
	char		*b, *s, *m;
	unsigned char	*sig, buf[257];
	size_t		 len;

	(void)state;
	b = tu_jws_sign(K.rsa, NULL, true, NULL, NONCE, URL, PAYLOAD);
	s = member(b, "signature");
	sig = acme_b64url_decode(s, strlen(s), &len);
	buf[0] = 0;
	memcpy(buf + 1, sig, len);
	m = with_sig(b, buf, len + 1);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	free(sig);
	free(s);
	free(b);
}

static void
test_jws_eddsa_wrong_length_malformed(void **state)
{
	char		*b, *s, *m;
	unsigned char	*sig;
	size_t		 len;

	(void)state;
	b = tu_jws_sign(K.ed, NULL, true, NULL, NONCE, URL, PAYLOAD);
	s = member(b, "signature");
	sig = acme_b64url_decode(s, strlen(s), &len);
	assert_int_equal(len, 64);
	m = with_sig(b, sig, 63);
	assert_int_equal(full_result(m, NULL), ACME_P_MALFORMED);
	free(m);
	free(sig);
	free(s);
	free(b);
}

/* ------------------------------------------------------------------ */
/* Inner JWS of a key change (RFC 8555 §7.3.5)                          */

static void
test_jws_inner_valid_parses(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	b = tu_jws_sign(K.ec256b, NULL, true, NULL, NULL, URL,
	    fmt("{\"account\":\"%s\",\"oldKey\":%s}", KID, jwk(K.ec256)));
	assert_int_equal(acme_jws_parse_inner(b, strlen(b), &jws, &prob), 0);
	assert_true(acme_jwk_equal(jws.key, K.ec256b));
	assert_false(jws.nonce_present);
	assert_int_equal(acme_jws_verify(&jws, jws.key, &prob), 0);
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_inner_with_nonce_malformed(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	b = tu_jws_sign(K.ec256b, NULL, true, NULL, NONCE, URL, PAYLOAD);
	assert_int_equal(acme_jws_parse_inner(b, strlen(b), &jws, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_inner_with_kid_malformed(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	b = tu_jws_sign(K.ec256b, NULL, false, KID, NULL, URL, PAYLOAD);
	assert_int_equal(acme_jws_parse_inner(b, strlen(b), &jws, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	free(b);
}

static void
test_jws_inner_without_url_malformed(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	b = tu_jws_sign(K.ec256b, NULL, true, NULL, NULL, NULL, PAYLOAD);
	assert_int_equal(acme_jws_parse_inner(b, strlen(b), &jws, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	free(b);
}

/* ------------------------------------------------------------------ */
/* API edges                                                           */

static void
test_jws_verify_null_key_server_internal(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b;

	(void)state;
	b = tu_jws_sign(K.ec256, NULL, false, KID, NONCE, URL, PAYLOAD);
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	assert_int_equal(acme_jws_verify(&jws, NULL, &prob), -1);
	assert_int_equal(prob.type, ACME_P_SERVERINTERNAL);
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_clear_zeroed_and_twice_safe(void **state)
{
	struct acme_jws		 jws = {0}, zero = {0};
	struct acme_problem	 prob;
	char			*b = valid_jwk_body();

	(void)state;
	acme_jws_clear(&jws);
	acme_jws_clear(NULL);
	assert_int_equal(acme_jws_parse(b, strlen(b), &jws, &prob), 0);
	acme_jws_clear(&jws);
	assert_memory_equal(&jws, &zero, sizeof(jws));
	acme_jws_clear(&jws);
	free(b);
}

static void
test_jws_null_body_malformed(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;

	(void)state;
	assert_int_equal(acme_jws_parse(NULL, 0, &jws, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_int_equal(acme_jws_parse("", 0, &jws, &prob), -1);
	assert_int_equal(prob.type, ACME_P_MALFORMED);
}

/* Jansson allocator that fails the n-th allocation. */
static long	 fail_at = -1;
static long	 nalloc;

static void *
failing_malloc(size_t n)
{
	if (fail_at >= 0 && nalloc++ == fail_at)
		return NULL;
	return malloc(n);
}

static void
test_jws_parse_alloc_failures_handled(void **state)
{
	struct acme_jws		 jws = {0};
	struct acme_problem	 prob;
	char			*b = valid_jwk_body();
	long			 i;
	int			 rc = -1;

	(void)state;
	json_set_alloc_funcs(failing_malloc, free);
	for (i = 0; i < 2000 && rc != 0; i++) {
		fail_at = i;
		nalloc = 0;
		rc = acme_jws_parse(b, strlen(b), &jws, &prob);
		/* Jansson reports most OOMs as syntax errors: malformed. */
		if (rc != 0) {
			assert_true(prob.type == ACME_P_SERVERINTERNAL ||
			    prob.type == ACME_P_MALFORMED);
			assert_null(jws.hdr);
		}
	}
	fail_at = -1;
	json_set_alloc_funcs(malloc, free);
	assert_int_equal(rc, 0);
	assert_true(i > 1);
	assert_int_equal(acme_jws_verify(&jws, jws.key, &prob), 0);
	acme_jws_clear(&jws);
	free(b);
}

/*
 * acme_jws_peek_nonce: the nonce of a body whose "protected" decodes to
 * an object with a string nonce, whatever else is wrong (RFC 8555 §6.5
 * spends it); nothing otherwise, and nothing that does not fit.
 */
static void
test_jws_peek_nonce(void **state)
{
	struct {
		const char	*hdr;	/* protected header text, or NULL */
		const char	*outer;	/* whole body when hdr is NULL */
		int		 rc;
		const char	*want;
	} c[] = {
		{ "{\"alg\":\"none\",\"nonce\":\"abc_-1\",\"x5u\":1}", NULL, 0,
		    "abc_-1" },
		{ "{\"nonce\":\"n1\"}", NULL, 0, "n1" },
		{ "{\"nonce\":7}", NULL, -1, NULL },
		{ "{\"nonce\":\"\"}", NULL, -1, NULL },
		{ "{\"nonce\":\"0123456789012345678901234567890123456789\"}",
		    NULL, -1, NULL },
		{ "[\"nonce\"]", NULL, -1, NULL },
		{ "not json", NULL, -1, NULL },
		{ NULL, "{\"protected\":\"e30\",\"payload\":\"\"}", -1, NULL },
		{ NULL, "{\"protected\":\"!!\"}", -1, NULL },
		{ NULL, "{\"protected\":1}", -1, NULL },
		{ NULL, "[]", -1, NULL },
		{ NULL, "garbage", -1, NULL },
	};
	char		 out[32], *p;
	const char	*body;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].hdr != NULL) {
			p = tu_b64url_str(c[i].hdr);
			body = fmt("{\"protected\":\"%s\",\"signature\":\"!\"}",
			    p);
			free(p);
		} else
			body = fmt("%s", c[i].outer);
		assert_int_equal(acme_jws_peek_nonce(body, strlen(body), out,
		    sizeof(out)), c[i].rc);
		if (c[i].want != NULL)
			assert_string_equal(out, c[i].want);
	}
	assert_int_equal(acme_jws_peek_nonce(NULL, 0, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jws_valid_es256_jwk_parses_and_verifies),
		cmocka_unit_test(test_jws_peek_nonce),
		cmocka_unit_test(test_jws_valid_kid_verifies_with_account_key),
		cmocka_unit_test(test_jws_prepared_key_verifies_as_unprepared),
		cmocka_unit_test(test_jws_prepared_key_shared_by_threads),
		cmocka_unit_test(test_jws_rs256_verifies),
		cmocka_unit_test(test_jws_es384_verifies),
		cmocka_unit_test(test_jws_es512_verifies),
		cmocka_unit_test(test_jws_eddsa_verifies),
		cmocka_unit_test(test_jws_post_as_get_empty_payload),
		cmocka_unit_test(test_jws_missing_nonce_parses_not_present),
		cmocka_unit_test(test_jws_whitespace_reordered_header_accepted),
		cmocka_unit_test(test_jws_unknown_header_member_ignored),
		cmocka_unit_test(test_jws_rfc7515_a2_rs256_vector_verifies),
		cmocka_unit_test(test_jws_rfc7515_a3_es256_vector_verifies),
		cmocka_unit_test(test_jws_rfc7515_a3_tampered_input_fails),
		cmocka_unit_test(test_jws_rfc7515_a4_es512_vector_verifies),
		cmocka_unit_test(test_jws_rfc8037_eddsa_vector_verifies),
		cmocka_unit_test(test_jws_compact_serialization_malformed),
		cmocka_unit_test(test_jws_general_serialization_malformed),
		cmocka_unit_test(test_jws_flattened_plus_signatures_malformed),
		cmocka_unit_test(test_jws_unprotected_header_malformed),
		cmocka_unit_test(test_jws_unknown_outer_member_malformed),
		cmocka_unit_test(test_jws_missing_members_malformed),
		cmocka_unit_test(test_jws_empty_signature_malformed),
		cmocka_unit_test(test_jws_empty_protected_malformed),
		cmocka_unit_test(test_jws_non_string_members_malformed),
		cmocka_unit_test(test_jws_crit_b64_malformed),
		cmocka_unit_test(test_jws_crit_unknown_malformed),
		cmocka_unit_test(test_jws_b64_alone_malformed),
		cmocka_unit_test(test_jws_padded_parts_malformed),
		cmocka_unit_test(test_jws_standard_alphabet_or_whitespace_malformed),
		cmocka_unit_test(test_jws_noncanonical_trailing_bits_malformed),
		cmocka_unit_test(test_jws_header_not_object_malformed),
		cmocka_unit_test(test_jws_header_duplicate_url_malformed),
		cmocka_unit_test(test_jws_header_duplicate_alg_malformed),
		cmocka_unit_test(test_jws_outer_duplicate_member_malformed),
		cmocka_unit_test(test_jws_trailing_bytes_malformed),
		cmocka_unit_test(test_jws_body_with_nul_malformed),
		cmocka_unit_test(test_jws_deep_nesting_malformed),
		cmocka_unit_test(test_jws_nul_escape_in_header_malformed),
		cmocka_unit_test(test_jws_lone_surrogate_malformed),
		cmocka_unit_test(test_jws_payload_json_non_object_malformed),
		cmocka_unit_test(test_jws_both_jwk_and_kid_malformed),
		cmocka_unit_test(test_jws_neither_jwk_nor_kid_malformed),
		cmocka_unit_test(test_jws_jku_x5u_x5c_refused),
		cmocka_unit_test(test_jws_reencoded_header_fails_verify),
		cmocka_unit_test(test_jws_kid_not_string_or_empty_malformed),
		cmocka_unit_test(test_jws_jwk_not_object_malformed),
		cmocka_unit_test(test_jws_url_missing_or_bad_malformed),
		cmocka_unit_test(test_jws_nonce_not_string_malformed),
		cmocka_unit_test(test_jws_nonce_not_base64url_malformed),
		cmocka_unit_test(test_jws_bad_alg_and_bad_nonce_reports_alg),
		cmocka_unit_test(test_jws_alg_none_badsignaturealgorithm),
		cmocka_unit_test(test_jws_alg_hs256_confusion_badsignaturealgorithm),
		cmocka_unit_test(test_jws_unlisted_algs_badsignaturealgorithm),
		cmocka_unit_test(test_jws_alg_case_or_space_badsignaturealgorithm),
		cmocka_unit_test(test_jws_alg_not_string_malformed),
		cmocka_unit_test(test_jws_alg_key_mismatch_jwk_malformed),
		cmocka_unit_test(test_jws_alg_key_mismatch_kid_malformed),
		cmocka_unit_test(test_jws_jwk_alg_member_mismatch_malformed),
		cmocka_unit_test(test_jws_jwk_oct_badpublickey),
		cmocka_unit_test(test_jws_jwk_rsa1024_badpublickey),
		cmocka_unit_test(test_jws_jwk_rsa16384_badpublickey),
		cmocka_unit_test(test_jws_jwk_off_curve_badpublickey),
		cmocka_unit_test(test_jws_jwk_private_member_malformed),
		cmocka_unit_test(test_jws_ecdsa_zero_signature_malformed),
		cmocka_unit_test(test_jws_ecdsa_r_or_s_out_of_range_malformed),
		cmocka_unit_test(test_jws_ecdsa_der_or_wrong_length_malformed),
		cmocka_unit_test(test_jws_ec_orders_match_openssl),
		cmocka_unit_test(test_jws_ecdsa_r_s_of_any_shape_verify),
		cmocka_unit_test(test_jws_ecdsa_p384_p521_r_equal_n_malformed),
		cmocka_unit_test(test_jws_signed_by_other_key_malformed),
		cmocka_unit_test(test_jws_payload_bit_flip_malformed),
		cmocka_unit_test(test_jws_signature_bit_flip_malformed),
		cmocka_unit_test(test_jws_rsa_signature_short_by_leading_zero_malformed),
		cmocka_unit_test(test_jws_rsa_signature_long_malformed),
		cmocka_unit_test(test_jws_eddsa_wrong_length_malformed),
		cmocka_unit_test(test_jws_inner_valid_parses),
		cmocka_unit_test(test_jws_inner_with_nonce_malformed),
		cmocka_unit_test(test_jws_inner_with_kid_malformed),
		cmocka_unit_test(test_jws_inner_without_url_malformed),
		cmocka_unit_test(test_jws_verify_null_key_server_internal),
		cmocka_unit_test(test_jws_clear_zeroed_and_twice_safe),
		cmocka_unit_test(test_jws_null_body_malformed),
		cmocka_unit_test(test_jws_parse_alloc_failures_handled),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
