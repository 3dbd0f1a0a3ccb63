/* csr.c - CSR decoding, self-signature, SAN extraction, match against the order, key policy (RFC 8555 §7.4) */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "acme/keypolicy.h"
#include "acme/problem.h"

#define DER_MAX_DEPTH	32
#define MAX_EXTENSIONS	64

/*
 * Is p[0..len) a run of DER TLVs? Definite, minimal lengths; low tag
 * numbers only; no constructed universal strings; BOOLEAN and INTEGER
 * in their one DER form. Recurses into constructed values. This sees
 * what d2i + i2d cannot: OpenSSL keeps the received bytes of some parts
 * (names, attributes) and re-emits them verbatim.
 */
static int
der_ok(const unsigned char *p, size_t len, int depth)
{
	size_t	 hl, vl, nl, i;
	unsigned char tag;

	if (depth > DER_MAX_DEPTH)
		return -1;
	while (len > 0) {
		if (len < 2)
			return -1;
		tag = p[0];
		if ((tag & 0x1f) == 0x1f)
			return -1;		/* high tag number form */
		if (p[1] < 0x80) {
			vl = p[1];
			hl = 2;
		} else {
			nl = p[1] & 0x7f;
			/* 0x80 is BER's indefinite length */
			if (nl == 0 || nl > 3 || len < 2 + nl || p[2] == 0)
				return -1;
			for (vl = 0, i = 0; i < nl; i++)
				vl = (vl << 8) | p[2 + i];
			if (vl < 0x80)
				return -1;	/* long form where short fits */
			hl = 2 + nl;
		}
		if (vl > len - hl)
			return -1;
		if (tag & 0x20) {
			/* X.690 §10.2: strings are primitive in DER */
			if ((tag & 0xc0) == 0 && tag != 0x30 && tag != 0x31)
				return -1;
			if (der_ok(p + hl, vl, depth + 1) == -1)
				return -1;
		} else if (tag == 0x01) {
			/* X.690 §11.1 */
			if (vl != 1 || (p[hl] != 0x00 && p[hl] != 0xff))
				return -1;
		} else if (tag == 0x02) {
			/* X.690 §8.3.2: minimal two's complement */
			if (vl == 0)
				return -1;
			if (vl > 1 && ((p[hl] == 0x00 && !(p[hl + 1] & 0x80)) ||
			    (p[hl] == 0xff && (p[hl + 1] & 0x80))))
				return -1;
		}
		p += hl + vl;
		len -= hl + vl;
	}
	return 0;
}

/* Exactly one DER TLV. */
static int
der_single(const unsigned char *p, size_t len)
{
	size_t hl, vl;

	if (len < 2 || der_ok(p, len, 0) == -1)
		return -1;
	if (p[1] < 0x80) {
		hl = 2;
		vl = p[1];
	} else {
		hl = 2 + (p[1] & 0x7f);
		vl = 0;
		for (size_t i = 2; i < hl; i++)
			vl = (vl << 8) | p[i];
	}
	return hl + vl == len ? 0 : -1;
}

/* RFC 8555 §7.4 and BR §7.1.3.2: RSA or ECDSA with SHA-2 only. */
static int
sigalg_ok(const X509_REQ *req)
{
	const X509_ALGOR	*alg = NULL;
	const ASN1_OBJECT	*obj = NULL;
	int			 md, pk;

	X509_REQ_get0_signature(req, NULL, &alg);
	if (alg == NULL)
		return -1;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (OBJ_find_sigid_algs(OBJ_obj2nid(obj), &md, &pk) != 1)
		return -1;
	if (md != NID_sha256 && md != NID_sha384 && md != NID_sha512)
		return -1;
	if (pk != NID_rsaEncryption && pk != NID_X9_62_id_ecPublicKey)
		return -1;
	return 0;
}

/*
 * OpenSSL 3.0 decodes a request's subject key through its provider
 * decoders inside d2i_X509_REQ; setting them up (uncached in 3.0) costs
 * about 0.2 ms, more than checking the CSR's signature, and was 10% of an
 * ACME issuance. Requests are parsed in a library context that has no
 * algorithms at all (only the "null" provider is loaded, so the default
 * one is not loaded on demand either): OpenSSL leaves the key undecoded
 * there, and acme_csr_pubkey builds it from the SubjectPublicKeyInfo.
 */
static OSSL_LIB_CTX	*bare_ctx;
static CRYPTO_ONCE	 bare_once = CRYPTO_ONCE_STATIC_INIT;

static void
bare_init(void)
{
	OSSL_LIB_CTX *c;

	if ((c = OSSL_LIB_CTX_new()) == NULL)
		return;
	if (OSSL_PROVIDER_load(c, "null") == NULL) {
		OSSL_LIB_CTX_free(c);
		return;
	}
	bare_ctx = c;	/* lives as long as the process */
}

/* An EC key from its named curve and point, by the provider's import. */
static EVP_PKEY *
ec_import(const char *curve, const unsigned char *pt, int ptlen)
{
	OSSL_PARAM_BLD		*bld = NULL;
	OSSL_PARAM		*params = NULL;
	EVP_PKEY_CTX		*ctx = NULL;
	EVP_PKEY		*key = NULL;

	/* The import checks that the point is on the curve. */
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    curve, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    (size_t)ptlen) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

/*
 * One imported public key per curve a CSR usually carries, copied for the
 * next key of that curve (issue #17). In OpenSSL 3.0 an import builds the
 * curve's group from its parameters every time: 30-40 us a CSR, against
 * under 10 for a copy of an imported key given the new point. The
 * template is the first key of the curve this process imported; a copy
 * takes the new point through EC_KEY_oct2key (EVP_PKEY_set1_encoded_
 * public_key), which makes the same on-curve check as the import, and is
 * taken only for an uncompressed point, so that the key's encoding in the
 * certificate is the import's. Anything else is imported.
 */
static const char *const tpl_curves[] = {
	"prime256v1", "secp384r1", "secp521r1"
};
#define NTPL	(sizeof(tpl_curves) / sizeof(tpl_curves[0]))
static EVP_PKEY		*ec_tpl[NTPL];	/* lives as long as the process */
static CRYPTO_RWLOCK	*ec_tpl_lock;	/* ec_tpl[], and each dup of one */
static CRYPTO_ONCE	 ec_tpl_once = CRYPTO_ONCE_STATIC_INIT;

static void
ec_tpl_init(void)
{
	ec_tpl_lock = CRYPTO_THREAD_lock_new();	/* as long as the process */
}

static EVP_PKEY *
ec_from_template(size_t i, const char *curve, const unsigned char *pt,
    int ptlen)
{
	EVP_PKEY	*key = NULL;

	if (!CRYPTO_THREAD_run_once(&ec_tpl_once, ec_tpl_init) ||
	    ec_tpl_lock == NULL || !CRYPTO_THREAD_write_lock(ec_tpl_lock))
		return ec_import(curve, pt, ptlen);
	/* Kept, never handed out: every caller gets its own copy. */
	if (ec_tpl[i] == NULL &&
	    (ec_tpl[i] = ec_import(curve, pt, ptlen)) == NULL) {
		CRYPTO_THREAD_unlock(ec_tpl_lock);
		return NULL;
	}
	key = EVP_PKEY_dup(ec_tpl[i]);
	CRYPTO_THREAD_unlock(ec_tpl_lock);
	if (key != NULL &&
	    EVP_PKEY_set1_encoded_public_key(key, pt, (size_t)ptlen) != 1) {
		EVP_PKEY_free(key);	/* not on the curve, or bad length */
		key = NULL;
	}
	return key;
}

/* An EC key from its named curve and point (no decoder). */
static EVP_PKEY *
ec_key(const X509_PUBKEY *pub)
{
	ASN1_OBJECT		*alg;
	const ASN1_OBJECT	*aoid;
	const unsigned char	*pt;
	const void		*pval;
	X509_ALGOR		*pa;
	const char		*curve;
	int			 ptlen, ptype;

	if (X509_PUBKEY_get0_param(&alg, &pt, &ptlen, &pa, pub) != 1 ||
	    pa == NULL || ptlen <= 0)
		return NULL;
	X509_ALGOR_get0(&aoid, &ptype, &pval, pa);
	/* Named curves only; explicit parameters are refused (BR §6.1.5). */
	if (ptype != V_ASN1_OBJECT ||
	    (curve = OBJ_nid2sn(OBJ_obj2nid(pval))) == NULL)
		return NULL;
	if (pt[0] == POINT_CONVERSION_UNCOMPRESSED)
		for (size_t i = 0; i < NTPL; i++)
			if (strcmp(curve, tpl_curves[i]) == 0)
				return ec_from_template(i, curve, pt, ptlen);
	return ec_import(curve, pt, ptlen);
}

EVP_PKEY *
acme_csr_pubkey(X509_REQ *req)
{
	X509_PUBKEY		*pub;
	ASN1_OBJECT		*alg;
	EVP_PKEY		*key;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	int			 len;

	if (req == NULL)
		return NULL;
	/* Parsed elsewhere (the CLI's --csr): OpenSSL decoded it already. */
	if ((key = X509_REQ_get0_pubkey(req)) != NULL) {
		EVP_PKEY_up_ref(key);
		return key;
	}
	ERR_clear_error();
	if ((pub = X509_REQ_get_X509_PUBKEY(req)) == NULL ||
	    X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, pub) != 1)
		return NULL;
	if (OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey)
		key = ec_key(pub);
	else if ((len = i2d_X509_PUBKEY(pub, &der)) > 0) {
		/* RSA and the rest: the generic decoder, in the default context. */
		p = der;
		if ((key = d2i_PUBKEY(NULL, &p, len)) != NULL &&
		    p != der + len) {
			EVP_PKEY_free(key);
			key = NULL;
		}
	}
	OPENSSL_free(der);
	ERR_clear_error();
	return key;
}

/*
 * The self-signature, as X509_REQ_verify checks it, with the key and the
 * algorithms of the default library context. sigalg_ok has already
 * limited the algorithm to RSA (PKCS #1 v1.5) or ECDSA with SHA-2.
 */
static int
self_signature_ok(X509_REQ *req, EVP_PKEY *key)
{
	const ASN1_BIT_STRING	*sig;
	const X509_ALGOR	*alg;
	const ASN1_OBJECT	*obj;
	EVP_MD_CTX		*mctx = NULL;
	unsigned char		*tbs = NULL;
	int			 tbslen, md, pk, ok = 0;

	X509_REQ_get0_signature(req, &sig, &alg);
	if (sig == NULL || alg == NULL || (sig->flags & 0x07) != 0)
		return 0;	/* a BIT STRING with unused bits */
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (OBJ_find_sigid_algs(OBJ_obj2nid(obj), &md, &pk) != 1 ||
	    (pk == NID_rsaEncryption && !EVP_PKEY_is_a(key, "RSA")) ||
	    (pk == NID_X9_62_id_ecPublicKey && !EVP_PKEY_is_a(key, "EC")))
		return 0;
	if ((tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0 ||
	    (mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(mctx, NULL, OBJ_nid2sn(md), NULL, NULL,
	    key, NULL) != 1)
		goto out;
	ok = EVP_DigestVerify(mctx, ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig), tbs, (size_t)tbslen) == 1;
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(tbs);
	ERR_clear_error();
	return ok;
}

X509_REQ *
acme_csr_decode(const char *b64url, struct acme_problem *prob)
{
	X509_REQ	*req;
	EVP_PKEY	*key = NULL;

	req = acme_csr_decode_key(b64url, &key, prob);
	EVP_PKEY_free(key);
	return req;
}

X509_REQ *
acme_csr_decode_key(const char *b64url, EVP_PKEY **keyp,
    struct acme_problem *prob)
{
	unsigned char		*der = NULL, *re = NULL;
	const unsigned char	*p;
	size_t			 len, derlen = 0;
	X509_REQ		*req = NULL, *ret = NULL;
	EVP_PKEY		*key = NULL;
	int			 relen;

	*keyp = NULL;

	if (b64url == NULL || b64url[0] == '\0') {
		acme_problem_set(prob, ACME_P_MALFORMED, "csr is empty");
		goto out;
	}
	len = strlen(b64url);
	if (len > acme_b64url_enclen(ACME_CSR_MAX)) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR is larger than %d bytes", ACME_CSR_MAX);
		goto out;
	}
	/* RFC 8555 §7.4: base64url-encoded DER */
	if ((der = acme_b64url_decode(b64url, len, &derlen)) == NULL) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "csr is not base64url (no padding, no whitespace)");
		goto out;
	}
	if (der_ok(der, derlen, 0) == -1) {
		acme_problem_set(prob, ACME_P_BADCSR, "CSR is not DER");
		goto out;
	}
	p = der;
	(void)CRYPTO_THREAD_run_once(&bare_once, bare_init);
	if ((req = (X509_REQ *)ASN1_item_d2i_ex(NULL, &p, (long)derlen,
	    ASN1_ITEM_rptr(X509_REQ), bare_ctx, NULL)) == NULL) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR is not a PKCS#10 certification request");
		goto out;
	}
	if (p != der + derlen) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR is followed by trailing bytes");
		goto out;
	}
	/*
	 * Drop OpenSSL's cached encoding of the request info so i2d really
	 * re-encodes; DER has one encoding, so the bytes must be identical.
	 */
	if (i2d_re_X509_REQ_tbs(req, NULL) <= 0 ||
	    (relen = i2d_X509_REQ(req, &re)) <= 0 ||
	    (size_t)relen != derlen || memcmp(re, der, derlen) != 0) {
		acme_problem_set(prob, ACME_P_BADCSR, "CSR is not DER");
		goto out;
	}
	/* RFC 2986 §4.1: version is 0, meaning v1. */
	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		acme_problem_set(prob, ACME_P_BADCSR, "CSR version is %ld; "
		    "expected %d (v1, RFC 2986)", X509_REQ_get_version(req),
		    X509_REQ_VERSION_1);
		goto out;
	}
	if (sigalg_ok(req) == -1) {
		acme_problem_set(prob, ACME_P_BADCSR, "CSR signature algorithm "
		    "is not RSA or ECDSA with SHA-256, SHA-384 or SHA-512");
		goto out;
	}
	if ((key = acme_csr_pubkey(req)) == NULL) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR public key cannot be parsed");
		goto out;
	}
	if (!self_signature_ok(req, key)) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR self-signature is invalid");
		goto out;
	}
	ret = req;
	req = NULL;
	*keyp = key;
	key = NULL;
 out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_REQ_free(req);
	OPENSSL_free(re);
	free(der);
	return ret;
}

/*
 * Boulder goodkey, HARDENING F13: Fermat's method factors n = p * q at
 * once when p and q are close: with a = ceil(sqrt(n)), a^2 - n is a
 * square b^2 and n = (a - b)(a + b). FERMAT_ROUNDS values of a catch
 * |p - q| up to about 2 * sqrt(2 * FERMAT_ROUNDS) * n^(1/4).
 */
#define FERMAT_ROUNDS	100

/* r = floor(sqrt(a)), a > 0, by Newton's method from above. */
static int
bn_isqrt(BIGNUM *r, const BIGNUM *a, BN_CTX *ctx)
{
	BIGNUM	*y;
	int	 ok = 0;

	BN_CTX_start(ctx);
	if ((y = BN_CTX_get(ctx)) == NULL)
		goto out;
	BN_zero(r);
	if (BN_is_zero(a)) {
		ok = 1;
		goto out;
	}
	if (!BN_set_bit(r, (BN_num_bits(a) + 1) / 2))
		goto out;
	for (;;) {
		if (!BN_div(y, NULL, a, r, ctx) || !BN_add(y, y, r) ||
		    !BN_rshift1(y, y))
			goto out;
		if (BN_cmp(y, r) >= 0)
			break;
		if (BN_copy(r, y) == NULL)
			goto out;
	}
	ok = 1;
 out:
	BN_CTX_end(ctx);
	return ok;
}

/* 1 if n yields to FERMAT_ROUNDS steps of Fermat's method, 0 if not, -1. */
static int
fermat_factorable(const BIGNUM *n)
{
	BN_CTX	*ctx;
	BIGNUM	*a, *b, *b2, *t;
	int	 rc = -1;

	if ((ctx = BN_CTX_new()) == NULL)
		return -1;
	BN_CTX_start(ctx);
	a = BN_CTX_get(ctx);
	b = BN_CTX_get(ctx);
	b2 = BN_CTX_get(ctx);
	if ((t = BN_CTX_get(ctx)) == NULL || !bn_isqrt(a, n, ctx) ||
	    !BN_sqr(t, a, ctx))
		goto out;
	if (BN_cmp(t, n) < 0 && !BN_add_word(a, 1))
		goto out;
	for (int i = 0; i < FERMAT_ROUNDS; i++) {
		if (!BN_sqr(t, a, ctx) || !BN_sub(b2, t, n) ||
		    !bn_isqrt(b, b2, ctx) || !BN_sqr(t, b, ctx))
			goto out;
		if (BN_cmp(t, b2) == 0) {
			rc = 1;
			goto out;
		}
		if (!BN_add_word(a, 1))
			goto out;
	}
	rc = 0;
 out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return rc;
}

int
acme_csr_key_policy(EVP_PKEY *key, struct acme_problem *prob)
{
	EVP_PKEY_CTX	*ctx = NULL;
	BIGNUM		*e = NULL;
	char		 group[80];
	size_t		 glen = 0;
	int		 bits, nid, fermat, rc = -1;

	if (key == NULL) {
		acme_problem_set(prob, ACME_P_BADCSR, "no public key");
		goto out;
	}
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		/* BR §6.1.5: modulus a multiple of 8, >= 2048; we fix sizes */
		bits = EVP_PKEY_get_bits(key);
		/* --weak-keys (a test mode): 1024 bits too */
		if (bits != 2048 && bits != 3072 && bits != 4096 &&
		    !(bits == ACME_WEAK_RSA_BITS && acme_keypolicy_weak())) {
			acme_problem_set(prob, ACME_P_BADCSR, "RSA key must be "
			    "2048, 3072 or 4096 bits");
			goto out;
		}
		/* BR §6.1.6; a single allowed exponent, as Boulder's goodkey */
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
		    !BN_is_word(e, 65537)) {
			acme_problem_set(prob, ACME_P_BADCSR,
			    "RSA public exponent must be 65537");
			goto out;
		}
		BN_free(e);
		e = NULL;	/* now the modulus */
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &e) != 1 ||
		    (fermat = fermat_factorable(e)) == -1) {
			acme_problem_set(prob, ACME_P_SERVERINTERNAL,
			    "internal error");
			goto out;
		}
		if (fermat == 1) {
			acme_problem_set(prob, ACME_P_BADCSR, "RSA key is weak: "
			    "its primes are too close together");
			goto out;
		}
		break;
	case EVP_PKEY_EC:
		/* BR §6.1.5: named P-256 or P-384 (P-521 fails in Chrome) */
		if (EVP_PKEY_get_utf8_string_param(key,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    &glen) != 1)
			nid = NID_undef;
		else
			nid = OBJ_txt2nid(group);
		/* --weak-keys (a test mode): P-521 too */
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 &&
		    !(nid == NID_secp521r1 && acme_keypolicy_weak())) {
			acme_problem_set(prob, ACME_P_BADCSR,
			    "ECDSA key must be on P-256 or P-384");
			goto out;
		}
		break;
	default:
		acme_problem_set(prob, ACME_P_BADCSR,
		    "key must be RSA or ECDSA (P-256, P-384)");
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
		goto out;
	}
	/*
	 * EC: the partial validation of SP 800-56A §5.6.2.3.4 (not infinity,
	 * coordinates in range, on the curve). P-256 and P-384 have
	 * cofactor 1, so every such point has order n and the full check's
	 * n*Q scalar multiplication (as costly as an ECDSA verification)
	 * adds nothing. RSA: the full SP 800-56B check.
	 */
	if ((EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ?
	    EVP_PKEY_public_check_quick(ctx) :
	    EVP_PKEY_public_check(ctx)) != 1) {
		acme_problem_set(prob, ACME_P_BADCSR, "public key is invalid");
		goto out;
	}
	rc = 0;
 out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	BN_free(e);
	return rc;
}

/* A name from a certificate field: printable ASCII only, no NUL (F20). */
static int
copy_name(const unsigned char *data, int len, char *buf, size_t bufsz)
{
	int i;

	if (data == NULL || len <= 0 || (size_t)len >= bufsz)
		return -1;
	for (i = 0; i < len; i++)
		if (data[i] < 0x21 || data[i] > 0x7e)
			return -1;
	memcpy(buf, data, (size_t)len);
	buf[len] = '\0';
	return 0;
}

static int
is_ext_req(const X509_ATTRIBUTE *a)
{
	int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(
	    (X509_ATTRIBUTE *)a));

	return nid == NID_ext_req || nid == NID_ms_ext_req;
}

/* Parse the subjectAltName extension into ids[], appending to *n. */
static int
san_names(X509_EXTENSION *ext, struct acme_identifier *ids, size_t *n,
    struct acme_problem *prob)
{
	GENERAL_NAMES		*gens = NULL;
	const GENERAL_NAME	*g;
	ASN1_OCTET_STRING	*v;
	struct acme_problem	 sub;
	char			 buf[ACME_IDENT_VALUE_SIZE];
	int			 i, count, rc = -1;

	v = X509_EXTENSION_get_data(ext);
	if (v == NULL || der_single(ASN1_STRING_get0_data(v),
	    (size_t)ASN1_STRING_length(v)) == -1 ||
	    (gens = X509V3_EXT_d2i(ext)) == NULL) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR subjectAltName extension is not valid DER");
		goto out;
	}
	count = sk_GENERAL_NAME_num(gens);
	if (count > ACME_CSR_MAX_NAMES) {
		acme_problem_set(prob, ACME_P_BADCSR, "CSR has more than %d "
		    "subjectAltNames", ACME_CSR_MAX_NAMES);
		goto out;
	}
	for (i = 0; i < count; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		switch (g->type) {
		case GEN_DNS:
			if (copy_name(ASN1_STRING_get0_data(g->d.dNSName),
			    ASN1_STRING_length(g->d.dNSName), buf,
			    sizeof(buf)) == -1) {
				acme_problem_set(prob, ACME_P_BADCSR, "CSR "
				    "dNSName contains a character that is not "
				    "printable ASCII");
				goto out;
			}
			if (acme_ident_parse(ACME_IDENT_DNS, buf, &ids[*n],
			    NULL, &sub) == -1) {
				acme_problem_set(prob, ACME_P_BADCSR, "CSR "
				    "dNSName is invalid: %s", sub.detail);
				goto out;
			}
			break;
		case GEN_IPADD:
			if (ASN1_STRING_length(g->d.iPAddress) != 4 &&
			    ASN1_STRING_length(g->d.iPAddress) != 16) {
				acme_problem_set(prob, ACME_P_BADCSR, "CSR "
				    "iPAddress is not 4 or 16 bytes");
				goto out;
			}
			if (inet_ntop(ASN1_STRING_length(g->d.iPAddress) == 4 ?
			    AF_INET : AF_INET6,
			    ASN1_STRING_get0_data(g->d.iPAddress), buf,
			    sizeof(buf)) == NULL ||
			    acme_ident_parse(ACME_IDENT_IP, buf, &ids[*n],
			    NULL, &sub) == -1) {
				acme_problem_set(prob, ACME_P_BADCSR, "CSR "
				    "iPAddress is not acceptable");
				goto out;
			}
			break;
		default:
			/* BR §7.1.2.7.12; Boulder invalidEmailPresent etc. */
			acme_problem_set(prob, ACME_P_BADCSR, "CSR subjectAltName "
			    "may contain only dNSName and iPAddress entries");
			goto out;
		}
		(*n)++;
	}
	rc = 0;
 out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Name an extension or EKU purpose for a problem detail: "sn (oid)". */
static void
obj_name(const ASN1_OBJECT *obj, char *buf, size_t sz)
{
	char		 oid[80];
	const char	*sn;
	int		 nid = OBJ_obj2nid(obj);

	if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
		snprintf(oid, sizeof(oid), "?");
	if (nid != NID_undef && (sn = OBJ_nid2sn(nid)) != NULL)
		snprintf(buf, sz, "%s (%s)", sn, oid);
	else
		snprintf(buf, sz, "%s", oid);
}

/*
 * RFC 8555 §7.4: finalize fails "if the CSR requests extensions that the
 * CA is not willing to include". A CSR may ask only for what our profile
 * carries anyway (src/ca/ca.c writes its own values; nothing is copied):
 * subjectAltName (checked by san_names), keyUsage without CA bits,
 * extendedKeyUsage of serverAuth/clientAuth, basicConstraints CA:FALSE
 * without a path length, and a subjectKeyIdentifier. Anything else is
 * badCSR naming it, never silently dropped. OCSP Must-Staple (TLS
 * Feature status_request, RFC 7633 §6) is allowed only when staple is
 * not NULL (the server runs an OCSP responder), and then sets *staple.
 * Returns 0 or -1.
 */
static int
ext_allowed(X509_EXTENSION *ext, bool *staple, struct acme_problem *prob)
{
	const ASN1_OBJECT	*obj = X509_EXTENSION_get_object(ext);
	ASN1_OCTET_STRING	*v = X509_EXTENSION_get_data(ext);
	BASIC_CONSTRAINTS	*bc = NULL;
	EXTENDED_KEY_USAGE	*eku = NULL;
	ASN1_BIT_STRING		*ku = NULL;
	ASN1_OCTET_STRING	*ski = NULL;
	TLS_FEATURE		*tlsf = NULL;
	char			 name[128];
	int			 nid = OBJ_obj2nid(obj), i, rc = -1;

	obj_name(obj, name, sizeof(name));
	switch (nid) {
	case NID_subject_alt_name:
		return 0;	/* parsed and matched by san_names */
	case NID_key_usage:
	case NID_ext_key_usage:
	case NID_basic_constraints:
	case NID_subject_key_identifier:
		break;
	case NID_tlsfeature:
		if (staple != NULL)
			break;
		acme_problem_set(prob, ACME_P_BADCSR, "CSR requests extension "
		    "%s, OCSP Must-Staple, which this CA does not include: it "
		    "runs no OCSP responder (start localacme serve with --ocsp)",
		    name);
		return -1;
	default:
		acme_problem_set(prob, ACME_P_BADCSR, "CSR requests extension "
		    "%s, which this CA does not include", name);
		return -1;
	}
	/* One DER value of the type the OID names. */
	if (v == NULL || der_single(ASN1_STRING_get0_data(v),
	    (size_t)ASN1_STRING_length(v)) == -1) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR extension %s is not valid DER", name);
		return -1;
	}
	switch (nid) {
	case NID_key_usage:
		/* RFC 5280 §4.2.1.3: the CA bits belong to CA certificates */
		if ((ku = X509V3_EXT_d2i(ext)) == NULL)
			break;
		if (ASN1_BIT_STRING_get_bit(ku, 5)) {
			acme_problem_set(prob, ACME_P_BADCSR, "CSR requests "
			    "keyUsage keyCertSign, which this CA does not "
			    "include");
			goto out;
		}
		if (ASN1_BIT_STRING_get_bit(ku, 6)) {
			acme_problem_set(prob, ACME_P_BADCSR, "CSR requests "
			    "keyUsage cRLSign, which this CA does not include");
			goto out;
		}
		rc = 0;
		break;
	case NID_ext_key_usage:
		if ((eku = X509V3_EXT_d2i(ext)) == NULL)
			break;
		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
			const ASN1_OBJECT *p = sk_ASN1_OBJECT_value(eku, i);

			if (OBJ_obj2nid(p) != NID_server_auth &&
			    OBJ_obj2nid(p) != NID_client_auth) {
				obj_name(p, name, sizeof(name));
				acme_problem_set(prob, ACME_P_BADCSR, "CSR "
				    "requests extendedKeyUsage %s; this CA "
				    "issues serverAuth and clientAuth only",
				    name);
				goto out;
			}
		}
		rc = 0;
		break;
	case NID_basic_constraints:
		if ((bc = X509V3_EXT_d2i(ext)) == NULL)
			break;
		if (bc->ca) {
			acme_problem_set(prob, ACME_P_BADCSR, "CSR requests "
			    "basicConstraints CA:TRUE; this CA issues end-entity "
			    "certificates only");
			goto out;
		}
		if (bc->pathlen != NULL) {
			acme_problem_set(prob, ACME_P_BADCSR, "CSR requests "
			    "basicConstraints with a pathLenConstraint, which "
			    "RFC 5280 §4.2.1.9 allows only with CA:TRUE");
			goto out;
		}
		rc = 0;
		break;
	case NID_subject_key_identifier:
		if ((ski = X509V3_EXT_d2i(ext)) != NULL)
			rc = 0;
		break;
	case NID_tlsfeature:
		/* RFC 7633 §4.2: features we carry: status_request (5) only. */
		if ((tlsf = X509V3_EXT_d2i(ext)) == NULL)
			break;
		if (sk_ASN1_INTEGER_num(tlsf) < 1) {
			acme_problem_set(prob, ACME_P_BADCSR, "CSR extension "
			    "%s lists no feature", name);
			goto out;
		}
		for (i = 0; i < sk_ASN1_INTEGER_num(tlsf); i++) {
			if (ASN1_INTEGER_get(sk_ASN1_INTEGER_value(tlsf, i)) !=
			    5) {
				acme_problem_set(prob, ACME_P_BADCSR, "CSR "
				    "extension %s asks for a TLS feature other "
				    "than status_request (5), which this CA "
				    "does not include", name);
				goto out;
			}
		}
		if (staple)
			*staple = true;
		rc = 0;
		break;
	}
	if (rc == -1)
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR extension %s cannot be decoded", name);
 out:
	ERR_clear_error();
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE_free(eku);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_OCTET_STRING_free(ski);
	sk_ASN1_INTEGER_pop_free(tlsf, ASN1_INTEGER_free);
	return rc;
}

/*
 * Collect the SANs (into ids[ACME_CSR_MAX_NAMES], *n, not normalised as a
 * list) and the CN (*has_cn, *cn: a DNS name or an IP address), with the
 * structural rules of acme_csr_check; with strict, also the extension
 * allow-list (ext_allowed, with staple).
 */
static int
collect(X509_REQ *req, bool strict, bool *staple, struct acme_identifier *ids,
    size_t *n, struct acme_identifier *cn, bool *has_cn,
    struct acme_problem *prob)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION		*ext, *san = NULL;
	const X509_NAME		*subj;
	const X509_NAME_ENTRY	*ne;
	const X509_ATTRIBUTE	*attr = NULL;
	struct acme_problem	 sub;
	unsigned char		*utf8 = NULL;
	char			 buf[ACME_IDENT_VALUE_SIZE];
	int			 i, j, nattr = 0, next, idx, ulen, rc = -1;

	*n = 0;
	*has_cn = false;
	/* F21: one extensionRequest attribute with one value */
	for (i = 0; i < X509_REQ_get_attr_count(req); i++) {
		if (is_ext_req(X509_REQ_get_attr(req, i))) {
			attr = X509_REQ_get_attr(req, i);
			nattr++;
		}
	}
	if (nattr > 1 || (attr != NULL &&
	    X509_ATTRIBUTE_count((X509_ATTRIBUTE *)attr) != 1)) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR has more than one extensionRequest");
		goto out;
	}
	if (attr != NULL && (exts = X509_REQ_get_extensions(req)) == NULL) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR extensionRequest is not valid");
		goto out;
	}
	next = exts != NULL ? sk_X509_EXTENSION_num(exts) : 0;
	if (next > MAX_EXTENSIONS) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR has too many extensions");
		goto out;
	}
	/* RFC 5280 §4.2: an extension appears at most once */
	for (i = 0; i < next; i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		for (j = 0; j < i; j++) {
			if (OBJ_cmp(X509_EXTENSION_get_object(ext),
			    X509_EXTENSION_get_object(
			    sk_X509_EXTENSION_value(exts, j))) == 0) {
				acme_problem_set(prob, ACME_P_BADCSR,
				    "CSR repeats an extension");
				goto out;
			}
		}
		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) ==
		    NID_subject_alt_name)
			san = ext;
		if (strict && ext_allowed(ext, staple, prob) == -1)
			goto out;
	}
	if (san != NULL && san_names(san, ids, n, prob) == -1)
		goto out;

	/*
	 * BR §7.1.2.7.2: at most one CN. RFC 8555 §7.4 lets it name a dns
	 * identifier; BR §7.1.4.3 also an IP address (in its text form), as
	 * uacme sends for an IP-only order. acme_csr_check_key matches it
	 * against the order.
	 */
	subj = X509_REQ_get_subject_name(req);
	idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (idx >= 0) {
		if (X509_NAME_get_index_by_NID(subj, NID_commonName, idx) >= 0) {
			acme_problem_set(prob, ACME_P_BADCSR,
			    "CSR subject has more than one CN");
			goto out;
		}
		ne = X509_NAME_get_entry(subj, idx);
		ulen = ASN1_STRING_to_UTF8(&utf8,
		    X509_NAME_ENTRY_get_data(ne));
		if (ulen < 0 || copy_name(utf8, ulen, buf, sizeof(buf)) == -1) {
			acme_problem_set(prob, ACME_P_BADCSR, "CSR CN contains "
			    "a character that is not printable ASCII");
			goto out;
		}
		if (acme_ident_parse(acme_ident_is_ip(buf) ? ACME_IDENT_IP :
		    ACME_IDENT_DNS, buf, cn, NULL, &sub) == -1) {
			acme_problem_set(prob, ACME_P_BADCSR,
			    "CSR CN is invalid: %s", sub.detail);
			goto out;
		}
		*has_cn = true;
	}
	rc = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(utf8);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

static bool
contains(const struct acme_identifier *ids, size_t n,
    const struct acme_identifier *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (acme_ident_equal(&ids[i], id))
			return true;
	return false;
}

/* Append ", value" to buf, truncating quietly: the detail is a hint. */
static void
append(char *buf, size_t sz, const char *value)
{
	size_t len = strlen(buf);

	/* Truncation is fine: this only builds a problem detail. */
	if (len > 0 && len + 2 < sz) {
		memcpy(buf + len, ", ", 3);
		len += 2;
	}
	if (len + 1 < sz) {
		size_t n = strnlen(value, sz - len - 1);
		memcpy(buf + len, value, n);
		buf[len + n] = '\0';
	}
}

int
acme_csr_check(X509_REQ *req, const struct acme_identifier *ids,
    size_t nids, EVP_PKEY *const *forbidden_keys, size_t nforbidden,
    struct acme_problem *prob)
{
	EVP_PKEY	*key;
	int		 rc;

	if ((key = acme_csr_pubkey(req)) == NULL) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "CSR public key cannot be parsed");
		return -1;
	}
	rc = acme_csr_check_key(req, key, ids, nids, forbidden_keys,
	    nforbidden, prob);
	EVP_PKEY_free(key);
	return rc;
}

int
acme_csr_check_key(X509_REQ *req, EVP_PKEY *key,
    const struct acme_identifier *ids, size_t nids,
    EVP_PKEY *const *forbidden_keys, size_t nforbidden,
    struct acme_problem *prob)
{
	return acme_csr_check_staple(req, key, ids, nids, forbidden_keys,
	    nforbidden, NULL, prob);
}

int
acme_csr_check_staple(X509_REQ *req, EVP_PKEY *key,
    const struct acme_identifier *ids, size_t nids,
    EVP_PKEY *const *forbidden_keys, size_t nforbidden, bool *staple,
    struct acme_problem *prob)
{
	struct acme_identifier	*have = NULL, *want = NULL, cn;
	char			 extra[96] = "", missing[96] = "";
	size_t			 n = 0, nw = nids, i, j, nextra = 0, nmissing = 0;
	bool			 has_cn;
	int			 c, rc = -1;

	if (req == NULL || (ids == NULL && nids > 0)) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "internal error");
		goto out;
	}
	/* One slot more than the SAN cap, for a CN that is not a SAN. */
	if ((have = calloc(ACME_CSR_MAX_NAMES + 1, sizeof(*have))) == NULL ||
	    (want = calloc(nids > 0 ? nids : 1, sizeof(*want))) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "internal error");
		goto out;
	}
	if (collect(req, true, staple, have, &n, &cn, &has_cn, prob) == -1)
		goto out;
	if (nids > 0)
		memcpy(want, ids, nids * sizeof(*want));
	acme_ident_list_normalize(want, &nw);
	/*
	 * RFC 8555 §7.4: an identifier may be named in the CN, the SAN or
	 * both; the CN must be one of the order's (F06). The leaf's SAN is
	 * built from the order, so a name given only as the CN is in it.
	 */
	if (has_cn && !contains(want, nw, &cn)) {
		acme_problem_set(prob, ACME_P_BADCSR, "CSR CN %s is not one "
		    "of the order's identifiers", cn.value);
		goto out;
	}
	if (has_cn && !contains(have, n, &cn))
		have[n++] = cn;
	acme_ident_list_normalize(have, &n);

	/* RFC 8555 §7.4: the CSR asks for exactly the order's identifiers */
	for (i = 0, j = 0; i < n || j < nw;) {
		c = i >= n ? 1 : j >= nw ? -1 : acme_ident_cmp(&have[i],
		    &want[j]);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			append(extra, sizeof(extra), have[i].value);
			nextra++;
			i++;
		} else {
			append(missing, sizeof(missing), want[j].value);
			nmissing++;
			j++;
		}
	}
	if (nextra > 0 || nmissing > 0) {
		acme_problem_set(prob, ACME_P_BADCSR, ACME_CSR_NAMES_MISMATCH
		    ": %zu extra (%s), %zu missing (%s)", nextra,
		    extra, nmissing, missing);
		for (i = 0; i < n; i++)
			if (!contains(want, nw, &have[i]))
				acme_problem_add_sub(prob, ACME_P_BADCSR,
				    have[i].type, have[i].value,
				    "in the CSR but not in the order");
		for (j = 0; j < nw; j++)
			if (!contains(have, n, &want[j]))
				acme_problem_add_sub(prob, ACME_P_BADCSR,
				    want[j].type, want[j].value,
				    "in the order but not in the CSR");
		goto out;
	}

	if (acme_csr_key_policy(key, prob) == -1)
		goto out;
	/* RFC 8555 §11.1: never certify an account key */
	for (i = 0; i < nforbidden; i++) {
		if (forbidden_keys[i] != NULL &&
		    EVP_PKEY_eq(key, forbidden_keys[i]) == 1) {
			acme_problem_set(prob, ACME_P_BADCSR,
			    "CSR public key must not be an account key");
			goto out;
		}
	}
	rc = 0;
 out:
	ERR_clear_error();
	free(have);
	free(want);
	return rc;
}

int
acme_csr_names(X509_REQ *req, struct acme_identifier **out, size_t *n,
    struct acme_problem *prob)
{
	struct acme_identifier	*ids = NULL, cn;
	size_t			 count = 0;
	bool			 has_cn;
	int			 rc = -1;

	*out = NULL;
	*n = 0;
	if (req == NULL) {
		acme_problem_set(prob, ACME_P_BADCSR, "no CSR");
		goto out;
	}
	/* One slot more than the SAN cap, for a CN that is not a SAN. */
	if ((ids = calloc(ACME_CSR_MAX_NAMES + 1, sizeof(*ids))) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "internal error");
		goto out;
	}
	/* The operator's own CSR: extensions are ignored, never copied. */
	if (collect(req, false, NULL, ids, &count, &cn, &has_cn, prob) == -1)
		goto out;
	if (has_cn && !contains(ids, count, &cn))
		ids[count++] = cn;
	if (count == 0) {
		acme_problem_set(prob, ACME_P_BADCSR, "CSR names no identifier");
		goto out;
	}
	acme_ident_list_normalize(ids, &count);
	*out = ids;
	*n = count;
	ids = NULL;
	rc = 0;
 out:
	free(ids);
	return rc;
}
