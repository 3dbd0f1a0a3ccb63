/* jwk.c - JWK <-> EVP_PKEY, account-key policy, RFC 7638 thumbprints */
/* SPDX-License-Identifier: MIT */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "acme/b64url.h"
#include "acme/jwk.h"
#include "acme/keypolicy.h"

/* The curves we accept: JWK name, OpenSSL group names, coordinate size. */
static const struct curve {
	const char	*crv;		/* RFC 7518 §6.2.1.1 */
	const char	*group;		/* OpenSSL name */
	const char	*nist;		/* alias OpenSSL may report */
	size_t		 size;		/* octets per coordinate */
	const char	*alg;		/* RFC 7518 §3.4 */
} curves[] = {
	{ "P-256", "prime256v1", "P-256", 32, "ES256" },
	{ "P-384", "secp384r1", "P-384", 48, "ES384" },
	{ "P-521", "secp521r1", "P-521", 66, "ES512" },
};
#define NCURVES	(sizeof(curves) / sizeof(curves[0]))

#define ED25519_SIZE	32

/* Private-key members of RFC 7518 §6.2.2, §6.3.2, §6.4 and RFC 8037 §2. */
static const char *const private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k", NULL
};

/*
 * Look up a string member. Returns 1 (present, *s and *len set), 0
 * (absent) or -1 (present but not a string).
 */
static int
member_str(const json_t *o, const char *name, const char **s, size_t *len)
{
	json_t	*v;

	if ((v = json_object_get(o, name)) == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 1;
}

/* A string member compared exactly (length-checked: no NUL games). */
static bool
str_is(const char *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

/*
 * Decode a required base64url member. Returns a new buffer (free()), or
 * NULL with a malformed problem.
 */
static unsigned char *
member_b64(const json_t *o, const char *name, size_t *outlen,
    struct acme_problem *prob)
{
	const char	*s;
	size_t		 len;
	unsigned char	*buf;
	int		 r;

	if ((r = member_str(o, name, &s, &len)) <= 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWK member \"%s\" %s", name,
		    r == 0 ? "is missing" : "is not a string");
		return NULL;
	}
	if ((buf = acme_b64url_decode(s, len, outlen)) == NULL)
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWK member \"%s\" is not canonical base64url", name);
	return buf;
}

/* RFC 7517 §4.4: an "alg" member must agree with the key (K07). */
static int
check_alg(const json_t *jwk, const char *kalg, struct acme_problem *prob)
{
	const char	*s;
	size_t		 len;
	int		 r;

	if ((r = member_str(jwk, "alg", &s, &len)) == 0)
		return 0;
	if (r < 0 || !str_is(s, len, kalg))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWK \"alg\" does not match the key type");
	return 0;
}

/* Number of significant bits of a non-zero byte. */
static int
bytebits(unsigned char b)
{
	int	 n = 0;

	while (b != 0) {
		n++;
		b >>= 1;
	}
	return n;
}

static bool
small_prime(unsigned long p)
{
	unsigned long	 d;

	for (d = 3; d * d <= p; d += 2)
		if (p % d == 0)
			return false;
	return true;
}

/*
 * Boulder goodkey: a modulus with a small factor is trivially broken.
 * Returns 1 if n has an odd prime factor below 1000, 0 if not, -1 on
 * error. (n is odd; the caller checked.)
 */
static int
has_small_factor(const BIGNUM *n)
{
	unsigned long	 p;
	BN_ULONG	 r;

	for (p = 3; p < 1000; p += 2) {
		if (!small_prime(p))
			continue;
		if ((r = BN_mod_word(n, (BN_ULONG)p)) == (BN_ULONG)-1)
			return -1;
		if (r == 0)
			return 1;
	}
	return 0;
}

/* Build a key from params; NULL on failure (the queue is cleared). */
static EVP_PKEY *
fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* RFC 7518 §6.3.1 public RSA key under the account-key policy. */
static EVP_PKEY *
import_rsa(const json_t *jwk, struct acme_problem *prob)
{
	unsigned char	*nb = NULL, *eb = NULL;
	size_t		 nlen = 0, elen = 0, bits, minbits;
	const char	*ns;
	size_t		 nslen;
	BIGNUM		*n = NULL, *e = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL, *rv = NULL;
	int		 r;

	if (check_alg(jwk, "RS256", prob) != 0)
		goto out;
	/* K10: refuse oversized moduli before decoding or computing. */
	if ((r = member_str(jwk, "n", &ns, &nslen)) == 1 &&
	    nslen > acme_b64url_enclen(ACME_JWK_RSA_MAX_BITS / 8)) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "RSA keys larger than %d bits are not accepted",
		    ACME_JWK_RSA_MAX_BITS);
		goto out;
	}
	if ((nb = member_b64(jwk, "n", &nlen, prob)) == NULL ||
	    (eb = member_b64(jwk, "e", &elen, prob)) == NULL)
		goto out;
	/* RFC 7518 §6.3.1.1/§6.3.1.2, §2 Base64urlUInt: minimal octets. */
	if (nlen == 0 || nb[0] == 0 || elen == 0 || eb[0] == 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "RSA JWK \"n\" and \"e\" must be minimal non-zero integers");
		goto out;
	}
	bits = (nlen - 1) * 8 + (size_t)bytebits(nb[0]);
	/* --weak-keys (a test mode): 1024 bits too, as client suites send. */
	minbits = acme_keypolicy_weak() ? ACME_WEAK_RSA_BITS :
	    ACME_JWK_RSA_MIN_BITS;
	if (bits < minbits || bits > ACME_JWK_RSA_MAX_BITS || bits % 8 != 0) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "RSA key size must be a multiple of 8 bits between %zu "
		    "and %d", minbits, ACME_JWK_RSA_MAX_BITS);
		goto out;
	}
	/* Boulder goodKeyRSA: e must be 65537 (K11). */
	if (elen != 3 || eb[0] != 0x01 || eb[1] != 0x00 || eb[2] != 0x01) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "RSA public exponent must be 65537");
		goto out;
	}
	if ((nb[nlen - 1] & 1) == 0) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "RSA modulus is even");
		goto out;
	}
	if ((n = BN_bin2bn(nb, (int)nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(eb, (int)elen, NULL)) == NULL)
		goto internal;
	if ((r = has_small_factor(n)) != 0) {
		if (r < 0)
			goto internal;
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "RSA modulus has a small prime factor");
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto internal;
	/*
	 * No EVP_PKEY_public_check() for RSA: OpenSSL's SP 800-56B check
	 * runs Miller-Rabin on n (milliseconds for 4096 bits, and stored
	 * keys are imported on every request). The checks above are
	 * Boulder's cheap ones.
	 */
	if ((pkey = fromdata("RSA", bld)) == NULL) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "RSA key is not valid");
		goto out;
	}
	rv = pkey;
	pkey = NULL;
	goto out;
internal:
	acme_problem_set(prob, ACME_P_SERVERINTERNAL, "internal error");
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return rv;
}

static const struct curve *
curve_by_crv(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < NCURVES; i++)
		if (str_is(s, len, curves[i].crv))
			return &curves[i];
	return NULL;
}

/* RFC 7518 §6.2.1 public EC key with full public-key validation (K13). */
static EVP_PKEY *
import_ec(const json_t *jwk, struct acme_problem *prob)
{
	const struct curve	*c;
	const char		*crv;
	size_t			 crvlen, xlen = 0, ylen = 0;
	unsigned char		*x = NULL, *y = NULL;
	unsigned char		 pub[1 + 2 * 66];
	OSSL_PARAM_BLD		*bld = NULL;
	EVP_PKEY		*pkey = NULL, *rv = NULL;
	EVP_PKEY_CTX		*ctx = NULL;
	int			 r;

	if ((r = member_str(jwk, "crv", &crv, &crvlen)) <= 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "EC JWK \"crv\" is missing or not a string");
		goto out;
	}
	if ((c = curve_by_crv(crv, crvlen)) == NULL) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "EC curve not supported (P-256, P-384, P-521)");
		goto out;
	}
	if (check_alg(jwk, c->alg, prob) != 0)
		goto out;
	if ((x = member_b64(jwk, "x", &xlen, prob)) == NULL ||
	    (y = member_b64(jwk, "y", &ylen, prob)) == NULL)
		goto out;
	/* RFC 7518 §6.2.1.2/§6.2.1.3: full-length coordinates (K14). */
	if (xlen != c->size || ylen != c->size) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "EC JWK coordinates must be %zu octets", c->size);
		goto out;
	}
	/* SEC 1 §2.3.3 uncompressed point. */
	pub[0] = 0x04;
	memcpy(pub + 1, x, c->size);
	memcpy(pub + 1 + c->size, y, c->size);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    c->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, 1 + 2 * c->size) != 1) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
		goto out;
	}
	/*
	 * Decoding the point rejects x or y >= p and points off the curve;
	 * EVP_PKEY_public_check_quick() then runs the partial validation of
	 * SP 800-56A §5.6.2.3.4 (not infinity, in range, on the curve). The
	 * full check adds n*Q = O, implied for P-256 and P-384 (cofactor 1)
	 * and as costly as a signature verification.
	 */
	if ((pkey = fromdata("EC", bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check_quick(ctx) != 1) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "EC public key is not a valid point on %s", c->crv);
		goto out;
	}
	rv = pkey;
	pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return rv;
}

/* RFC 8037 §2 OKP key; Ed25519 only. */
static EVP_PKEY *
import_okp(const json_t *jwk, struct acme_problem *prob)
{
	const char	*crv;
	size_t		 crvlen, xlen = 0;
	unsigned char	*x = NULL;
	EVP_PKEY	*rv = NULL;
	int		 r;

	if ((r = member_str(jwk, "crv", &crv, &crvlen)) <= 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "OKP JWK \"crv\" is missing or not a string");
		goto out;
	}
	if (!str_is(crv, crvlen, "Ed25519")) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "OKP curve not supported (Ed25519)");
		goto out;
	}
	if (check_alg(jwk, "EdDSA", prob) != 0)
		goto out;
	if ((x = member_b64(jwk, "x", &xlen, prob)) == NULL)
		goto out;
	if (xlen != ED25519_SIZE) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "Ed25519 JWK \"x\" must be %d octets", ED25519_SIZE);
		goto out;
	}
	if ((rv = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x,
	    xlen)) == NULL)
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "Ed25519 public key is not valid");
out:
	ERR_clear_error();
	free(x);
	return rv;
}

EVP_PKEY *
acme_jwk_import(const json_t *jwk, struct acme_problem *prob)
{
	const char		*kty, *use;
	size_t			 ktylen, uselen;
	const char *const	*m;
	int			 r;

	if (!json_is_object(jwk)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWK is not a JSON object");
		return NULL;
	}
	if ((r = member_str(jwk, "kty", &kty, &ktylen)) <= 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWK \"kty\" is missing or not a string");
		return NULL;
	}
	/* RFC 8555 §6.2: unsupported key types are badPublicKey (K08). */
	if (!str_is(kty, ktylen, "RSA") && !str_is(kty, ktylen, "EC") &&
	    !str_is(kty, ktylen, "OKP")) {
		acme_problem_set(prob, ACME_P_BADPUBLICKEY,
		    "JWK key type not supported (RSA, EC, OKP)");
		return NULL;
	}
	/* Never accept or persist private key material (K16). */
	for (m = private_members; *m != NULL; m++)
		if (json_object_get(jwk, *m) != NULL) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "JWK must not contain private key members");
			return NULL;
		}
	/* RFC 7517 §4.2: a key marked for encryption is not a signing key. */
	if ((r = member_str(jwk, "use", &use, &uselen)) != 0 &&
	    (r < 0 || !str_is(use, uselen, "sig"))) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWK \"use\" must be \"sig\"");
		return NULL;
	}
	if (str_is(kty, ktylen, "RSA"))
		return import_rsa(jwk, prob);
	if (str_is(kty, ktylen, "EC"))
		return import_ec(jwk, prob);
	return import_okp(jwk, prob);
}

EVP_PKEY *
acme_jwk_import_str(const char *json, size_t len, struct acme_problem *prob)
{
	json_t		*o;
	json_error_t	 err;
	EVP_PKEY	*pkey;

	if (json == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED, "JWK is missing");
		return NULL;
	}
	if ((o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err)) == NULL) {
		if (json_error_code(&err) == json_error_out_of_memory)
			acme_problem_set(prob, ACME_P_SERVERINTERNAL,
			    "internal error");
		else
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "JWK is not valid JSON");
		return NULL;
	}
	pkey = acme_jwk_import(o, prob);
	json_decref(o);
	return pkey;
}

/* The supported curve of an EC key, or NULL. */
static const struct curve *
key_curve(EVP_PKEY *key)
{
	char	 name[64];
	size_t	 i;

	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	    name, sizeof(name), NULL) != 1) {
		ERR_clear_error();
		return NULL;
	}
	for (i = 0; i < NCURVES; i++)
		if (strcmp(name, curves[i].group) == 0 ||
		    strcmp(name, curves[i].nist) == 0)
			return &curves[i];
	return NULL;
}

int
acme_jwk_alg_for_key(EVP_PKEY *key, const char **alg)
{
	const struct curve	*c;
	const char		*a = NULL;

	if (key == NULL)
		return -1;
	if (EVP_PKEY_is_a(key, "RSA"))
		a = "RS256";
	else if (EVP_PKEY_is_a(key, "EC")) {
		if ((c = key_curve(key)) != NULL)
			a = c->alg;
	} else if (EVP_PKEY_is_a(key, "ED25519"))
		a = "EdDSA";
	if (a == NULL)
		return -1;
	if (alg != NULL)
		*alg = a;
	return 0;
}

/* Set o[name] = base64url(buf, len). 0 or -1. */
static int
set_b64(json_t *o, const char *name, const unsigned char *buf, size_t len)
{
	char	*s;
	int	 rc;

	if ((s = acme_b64url_encode(buf, len)) == NULL)
		return -1;
	rc = json_object_set_new(o, name, json_string(s));
	free(s);
	return rc;
}

/* Set o[name] = base64url of BIGNUM param pname, padded to pad (0: minimal). */
static int
set_bn(json_t *o, const char *name, EVP_PKEY *key, const char *pname,
    size_t pad)
{
	BIGNUM		*bn = NULL;
	unsigned char	*buf = NULL;
	size_t		 len;
	int		 rc = -1;

	if (EVP_PKEY_get_bn_param(key, pname, &bn) != 1)
		goto out;
	len = pad != 0 ? pad : (size_t)BN_num_bytes(bn);
	if (len == 0 || (size_t)BN_num_bytes(bn) > len ||
	    (buf = malloc(len)) == NULL)
		goto out;
	if (BN_bn2binpad(bn, buf, (int)len) != (int)len)
		goto out;
	rc = set_b64(o, name, buf, len);
out:
	ERR_clear_error();
	free(buf);
	BN_free(bn);
	return rc;
}

/*
 * Set o["x"], o["y"]: the affine coordinates, each padded to size octets
 * (RFC 7518 §6.2.1.2). The uncompressed point (SEC 1 §2.3.3) carries both
 * in one parameter fetch; a key kept in compressed form takes the slower
 * way through two BIGNUMs.
 */
static int
set_ec_xy(json_t *o, EVP_PKEY *key, size_t size)
{
	unsigned char	 pt[1 + 2 * 66];
	size_t		 len = 0;

	if (EVP_PKEY_get_octet_string_param(key,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len) == 1 &&
	    len == 1 + 2 * size && pt[0] == 0x04)
		return set_b64(o, "x", pt + 1, size) != 0 ||
		    set_b64(o, "y", pt + 1 + size, size) != 0 ? -1 : 0;
	ERR_clear_error();
	return set_bn(o, "x", key, OSSL_PKEY_PARAM_EC_PUB_X, size) != 0 ||
	    set_bn(o, "y", key, OSSL_PKEY_PARAM_EC_PUB_Y, size) != 0 ? -1 : 0;
}

json_t *
acme_jwk_export(EVP_PKEY *key)
{
	const struct curve	*c;
	json_t			*o = NULL, *rv = NULL;
	unsigned char		 raw[ED25519_SIZE];
	size_t			 rawlen = sizeof(raw);

	if (key == NULL || (o = json_object()) == NULL)
		goto out;
	/* RFC 7638 §3.2: required members only, lexicographic order. */
	if (EVP_PKEY_is_a(key, "RSA")) {
		if (set_bn(o, "e", key, OSSL_PKEY_PARAM_RSA_E, 0) != 0 ||
		    json_object_set_new(o, "kty", json_string("RSA")) != 0 ||
		    set_bn(o, "n", key, OSSL_PKEY_PARAM_RSA_N, 0) != 0)
			goto out;
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if ((c = key_curve(key)) == NULL)
			goto out;
		if (json_object_set_new(o, "crv", json_string(c->crv)) != 0 ||
		    json_object_set_new(o, "kty", json_string("EC")) != 0 ||
		    set_ec_xy(o, key, c->size) != 0)
			goto out;
	} else if (EVP_PKEY_is_a(key, "ED25519")) {
		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1 ||
		    rawlen != ED25519_SIZE) {
			ERR_clear_error();
			goto out;
		}
		if (json_object_set_new(o, "crv", json_string("Ed25519")) != 0 ||
		    json_object_set_new(o, "kty", json_string("OKP")) != 0 ||
		    set_b64(o, "x", raw, rawlen) != 0)
			goto out;
	} else
		goto out;
	rv = o;
	o = NULL;
out:
	json_decref(o);
	return rv;
}

char *
acme_jwk_export_str(EVP_PKEY *key)
{
	json_t	*o;
	char	*s;

	if ((o = acme_jwk_export(key)) == NULL)
		return NULL;
	/* RFC 7638 §3: no whitespace, members sorted. */
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

int
acme_jwk_thumbprint(EVP_PKEY *key, char out[ACME_THUMBPRINT_SIZE])
{
	char		*s = NULL;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 rc = -1;

	if (out == NULL || (s = acme_jwk_export_str(key)) == NULL)
		goto out;
	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		ERR_clear_error();
		goto out;
	}
	acme_b64url_encode_buf(md, mdlen, out);
	rc = 0;
out:
	free(s);
	return rc;
}

bool
acme_jwk_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	bool	 eq;

	if (a == NULL || b == NULL)
		return false;
	eq = EVP_PKEY_eq(a, b) == 1;
	ERR_clear_error();
	return eq;
}
