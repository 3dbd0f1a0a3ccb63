/* test_wfe_finalize.c - finalize, CSR rules, certificate download and revocation through the WFE (HARDENING F01-F26, V01-V09; RFC 8555 §7.4, §7.6) */
/* SPDX-License-Identifier: MIT */

#include <sys/syscall.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "acme/challenge.h"
#include "conformance.h"
#include "knobs.h"
#include "ra.h"
#include "wfe_harness.h"

static const char *const N1[] = { "a.test" };
static const char *const N2[] = { "a.test", "b.test" };

static char *
xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	assert_non_null(s = malloc((size_t)n + 1));
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* ---------- CSR builders ---------- */

/*
 * A CSR for key with the given extensions, each "name=value" in
 * OpenSSL config syntax (e.g. "subjectAltName=DNS:a.test,email:x@y.test",
 * "1.2.3.4=critical,DER:05:00"), signed with md (NULL: the key's default).
 */
static X509_REQ *
csr_conf(EVP_PKEY *key, const char *const *exts, size_t n, const EVP_MD *md,
    const char *cn)
{
	X509_REQ			*req = X509_REQ_new();
	STACK_OF(X509_EXTENSION)	*sk = sk_X509_EXTENSION_new_null();

	assert_non_null(req);
	assert_non_null(sk);
	assert_int_equal(X509_REQ_set_version(req, X509_REQ_VERSION_1), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(
		    X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0), 1);
	for (size_t i = 0; i < n; i++) {
		char		 name[64];
		const char	*eq = strchr(exts[i], '=');
		X509_EXTENSION	*ext;

		assert_non_null(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - exts[i]),
		    exts[i]);
		ext = X509V3_EXT_conf(NULL, NULL, name, eq + 1);
		if (ext == NULL)
			fprintf(stderr, "bad extension %s\n", exts[i]);
		assert_non_null(ext);
		assert_true(sk_X509_EXTENSION_push(sk, ext) > 0);
	}
	if (n > 0)
		assert_int_equal(X509_REQ_add_extensions(req, sk), 1);
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	if (md == NULL && !EVP_PKEY_is_a(key, "ED25519") &&
	    !EVP_PKEY_is_a(key, "ED448"))
		md = EVP_sha256();
	assert_true(X509_REQ_sign(req, key, md) > 0);
	return req;
}

/* A CSR with one dNSName of exactly len bytes (NUL and quotes allowed). */
static X509_REQ *
csr_raw_dns(EVP_PKEY *key, const char *name, size_t len)
{
	X509_REQ			*req = X509_REQ_new();
	GENERAL_NAMES			*gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME			*g = GENERAL_NAME_new();
	ASN1_IA5STRING			*ia5 = ASN1_IA5STRING_new();
	STACK_OF(X509_EXTENSION)	*exts = NULL;

	assert_int_equal(X509_REQ_set_version(req, X509_REQ_VERSION_1), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_int_equal(ASN1_STRING_set(ia5, name, (int)len), 1);
	GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
	assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
	assert_int_equal(X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT), 1);
	assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	return req;
}

/* finalize with csr given as base64url text. */
static void
finalize_b64(struct wh *f, const struct wacct *a, const struct word *o,
    const char *csr_b64, struct wr *r)
{
	char *p = xprintf("{\"csr\":\"%s\"}", csr_b64);

	wh_post_acct(f, a, o->finalize, p, r);
	free(p);
}

/* DER of req (caller frees with OPENSSL_free). */
static int
csr_der(X509_REQ *req, unsigned char **der)
{
	int len;

	*der = NULL;
	assert_true((len = i2d_X509_REQ(req, der)) > 0);
	return len;
}

/* Finalize with csr; expect badCSR; the order stays ready (§7.4). */
static void
expect_bad_csr(struct wh *f, const struct wacct *a, struct word *o,
    X509_REQ *csr)
{
	struct wr r;

	wh_finalize_csr(f, a, o, csr, &r);
	wh_assert_problem(&r, 400, "badCSR");
	wr_clear(&r);
	X509_REQ_free(csr);
	wh_order_get(f, a, o);
	assert_string_equal(o->status, "ready");
}

static EVP_PKEY *
keygen(const char *alg, const char *curve, int bits, unsigned e)
{
	EVP_PKEY_CTX	*c = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY	*k = NULL;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_keygen_init(c), 1);
	if (curve != NULL)
		assert_int_equal(EVP_PKEY_CTX_set_group_name(c, curve), 1);
	if (bits > 0)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(c, bits), 1);
	if (e > 0) {
		BIGNUM *bn = BN_new();

		BN_set_word(bn, e);
		assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, bn), 1);
		BN_free(bn);
	}
	assert_int_equal(EVP_PKEY_keygen(c, &k), 1);
	EVP_PKEY_CTX_free(c);
	return k;
}

/* An RSA-2048 key whose primes are adjacent (Fermat-factorable). */
static EVP_PKEY *
fermat_key(void)
{
	BN_CTX		*ctx = BN_CTX_new();
	BIGNUM		*p = BN_new(), *q = BN_new(), *n = BN_new(),
			*e = BN_new(), *d = BN_new(), *phi = BN_new(),
			*p1 = BN_new(), *q1 = BN_new(), *dp = BN_new(),
			*dq = BN_new(), *qi = BN_new();
	OSSL_PARAM_BLD	*b = OSSL_PARAM_BLD_new();
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*c;
	EVP_PKEY	*k = NULL;

	assert_int_equal(BN_generate_prime_ex(p, 1024, 0, NULL, NULL, NULL), 1);
	/* q = the next prime after p: |p - q| is tiny. */
	assert_int_equal(BN_copy(q, p) != NULL, 1);
	do {
		assert_int_equal(BN_add_word(q, 2), 1);
	} while (BN_check_prime(q, ctx, NULL) != 1);
	BN_set_word(e, 65537);
	BN_mul(n, p, q, ctx);
	BN_sub(p1, p, BN_value_one());
	BN_sub(q1, q, BN_value_one());
	BN_mul(phi, p1, q1, ctx);
	assert_non_null(BN_mod_inverse(d, e, phi, ctx));
	BN_mod(dp, d, p1, ctx);
	BN_mod(dq, d, q1, ctx);
	assert_non_null(BN_mod_inverse(qi, q, p, ctx));
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, d);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR1, p);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR2, q);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi);
	assert_non_null(params = OSSL_PARAM_BLD_to_param(b));
	assert_non_null(c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL));
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, params), 1);
	assert_int_equal(EVP_PKEY_get_bits(k), 2048);
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(p); BN_free(q); BN_free(n); BN_free(e); BN_free(d);
	BN_free(phi); BN_free(p1); BN_free(q1); BN_free(dp); BN_free(dq);
	BN_free(qi);
	BN_CTX_free(ctx);
	return k;
}

/* ---------- F: order state ---------- */

/* F01: a pending order cannot be finalized (RFC 8555 §7.4). */
static void
test_wfe_f01_pending_order_is_order_not_ready(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();

	wh_account(f, &a);
	wh_order(f, &a, N1, 1, &o);
	wh_finalize(f, &a, &o, k, N1, 1, &r);
	wh_assert_problem(&r, 403, "orderNotReady");
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "pending");
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F02: a valid order is not finalized twice. */
static void
test_wfe_f02_valid_order_is_order_not_ready(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	char		 cert[ACME_URL_SIZE];

	wh_account(f, &a);
	wh_issue(f, &a, N1, 1, &o, NULL);
	snprintf(cert, sizeof(cert), "%s", o.cert);
	wh_finalize(f, &a, &o, k, N1, 1, &r);
	wh_assert_problem(&r, 403, "orderNotReady");
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "valid");
	assert_string_equal(o.cert, cert);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F03: an invalid order is never issued. */
static void
test_wfe_f03_invalid_order_is_order_not_ready(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();

	wh_account(f, &a);
	wh_order(f, &a, N1, 1, &o);
	wh_post_acct(f, &a, o.authz[0], "{\"status\":\"deactivated\"}", &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	wh_finalize(f, &a, &o, k, N1, 1, &r);
	wh_assert_problem(&r, 403, "orderNotReady");
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "invalid");
	assert_string_equal(o.cert, "");
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* ---------- F: CSR contents ---------- */

/* F04, F05, F26: names must match; a bad CSR leaves the order ready. */
static void
test_wfe_f04_f05_f26_name_mismatch_is_bad_csr_then_retry(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	const char	*extra[] = { "a.test", "b.test", "c.test" };
	const char	*one[] = { "b.test" };

	wh_account(f, &a);
	wh_ready_order(f, &a, N2, 2, &o);
	expect_bad_csr(f, &a, &o, tu_csr_make(k, extra, 3, NULL));	/* F04 */
	expect_bad_csr(f, &a, &o, tu_csr_make(k, one, 1, NULL));	/* F05 */
	expect_bad_csr(f, &a, &o, tu_csr_make(k, NULL, 0, "a.test"));
	wh_finalize(f, &a, &o, k, N2, 2, &r);				/* F26 */
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "valid");
	assert_string_equal(wr_header(&r, "Location"), o.url);
	wr_clear(&r);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* Finalize o with csr (freed), expect 200 and return the issued leaf. */
static X509 *
finalize_leaf(struct wh *f, const struct wacct *a, struct word *o,
    X509_REQ *csr)
{
	struct wr	 r;
	BIO		*bio;
	X509		*x;

	wh_finalize_csr(f, a, o, csr, &r);
	X509_REQ_free(csr);
	if (r.status != 200)
		fail_msg("finalize: %d %s", r.status, r.body ? r.body : "");
	wh_order_parse(&r, NULL, o);
	wr_clear(&r);
	assert_string_equal(o->status, "valid");
	wh_post_acct(f, a, o->cert, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_non_null(bio = BIO_new_mem_buf(r.body, -1));
	assert_non_null(x = PEM_read_bio_X509(bio, NULL, NULL, NULL));
	BIO_free(bio);
	wr_clear(&r);
	return x;
}

/* The leaf's SAN is exactly names[0..n) (DNS text or IP text), any order. */
static void
assert_leaf_sans(X509 *x, const char *const *names, size_t n)
{
	GENERAL_NAMES	*gens;
	char		 text[256];
	size_t		 found = 0;

	assert_non_null(gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL));
	assert_int_equal(sk_GENERAL_NAME_num(gens), n);
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME	*g = sk_GENERAL_NAME_value(gens, i);
		ASN1_STRING	*d;

		if (g->type == GEN_DNS) {
			d = g->d.dNSName;
			snprintf(text, sizeof(text), "%.*s",
			    ASN1_STRING_length(d),
			    (const char *)ASN1_STRING_get0_data(d));
		} else {
			assert_int_equal(g->type, GEN_IPADD);
			d = g->d.iPAddress;
			assert_non_null(inet_ntop(ASN1_STRING_length(d) == 4 ?
			    AF_INET : AF_INET6, ASN1_STRING_get0_data(d), text,
			    sizeof(text)));
		}
		for (size_t j = 0; j < n; j++)
			if (strcmp(names[j], text) == 0)
				found++;
	}
	assert_int_equal(found, n);
	GENERAL_NAMES_free(gens);
}

/* The leaf's subject CN, or "" when the subject is empty. */
static void
leaf_cn(X509 *x, char *buf, size_t sz)
{
	X509_NAME *subj = X509_get_subject_name(x);

	buf[0] = '\0';
	if (X509_NAME_entry_count(subj) > 0)
		assert_true(X509_NAME_get_text_by_NID(subj, NID_commonName,
		    buf, (int)sz) > 0);
}

/*
 * F06 and issue #12 item 1 (RFC 8555 §7.4): a CN that is not one of the
 * order's identifiers is badCSR; one that is (a DNS name, or an IP
 * address of an ip identifier) is accepted.
 */
static void
test_wfe_f06_f07_common_name_must_be_an_order_identifier(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o, oip;
	EVP_PKEY	*k = tu_key_ec256();
	const char	*ip[] = { "127.0.0.1" };
	char		 cn[128];
	X509		*x;

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	expect_bad_csr(f, &a, &o, tu_csr_make(k, N1, 1, "other.test"));
	expect_bad_csr(f, &a, &o, tu_csr_make(k, NULL, 0, "other.test"));
	wh_ready_order(f, &a, ip, 1, &oip);
	expect_bad_csr(f, &a, &oip, tu_csr_make(k, ip, 1, "127.0.0.2"));
	expect_bad_csr(f, &a, &oip, tu_csr_make(k, NULL, 0, "10.0.0.1"));
	/* positive: CN equal to the SAN is fine (any case) */
	x = finalize_leaf(f, &a, &o, tu_csr_make(k, N1, 1, "A.test"));
	assert_leaf_sans(x, N1, 1);
	X509_free(x);
	/* positive: uacme's CSR for an IP-only order, CN = SAN = the IP */
	x = finalize_leaf(f, &a, &oip, tu_csr_make(k, ip, 1, "127.0.0.1"));
	assert_leaf_sans(x, ip, 1);
	/* the default profile puts no IP in the CN: empty subject */
	leaf_cn(x, cn, sizeof(cn));
	assert_string_equal(cn, "");
	X509_free(x);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/*
 * Issue #12 item 1: a CSR naming identifiers only in its CN (no SAN at
 * all, or a SAN without them) gets a leaf whose SAN holds every
 * identifier of the order.
 */
static void
test_wfe_cn_only_csr_leaf_san_holds_every_identifier(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	EVP_PKEY	*k = tu_key_ec256();
	const char	*ip[] = { "127.0.0.1" };
	const char	*v6[] = { "::1" };
	const char	*three[] = { "a.test", "b.test", "127.0.0.1" };
	const char	*partial[] = { "a.test", "127.0.0.1" };
	char		 cn[128];
	X509		*x;

	wh_account(f, &a);
	/* no SAN: CN a.test for the order {a.test} */
	wh_ready_order(f, &a, N1, 1, &o);
	x = finalize_leaf(f, &a, &o, tu_csr_make(k, NULL, 0, "a.test"));
	assert_leaf_sans(x, N1, 1);
	leaf_cn(x, cn, sizeof(cn));
	assert_string_equal(cn, "a.test");
	X509_free(x);
	/* no SAN: CN 127.0.0.1 for the order {127.0.0.1} */
	wh_ready_order(f, &a, ip, 1, &o);
	x = finalize_leaf(f, &a, &o, tu_csr_make(k, NULL, 0, "127.0.0.1"));
	assert_leaf_sans(x, ip, 1);
	X509_free(x);
	/* no SAN: an IPv6 CN in another spelling of the order's ::1 */
	wh_ready_order(f, &a, v6, 1, &o);
	x = finalize_leaf(f, &a, &o, tu_csr_make(k, NULL, 0,
	    "0:0:0:0:0:0:0:1"));
	assert_leaf_sans(x, v6, 1);
	X509_free(x);
	/* b.test only in the CN, the rest in the SAN: all three in the leaf */
	wh_ready_order(f, &a, three, 3, &o);
	x = finalize_leaf(f, &a, &o, tu_csr_make(k, partial, 2, "B.test"));
	assert_leaf_sans(x, three, 3);
	/* the leaf's CN is the profile's (first DNS name), not the CSR's */
	leaf_cn(x, cn, sizeof(cn));
	assert_string_equal(cn, "a.test");
	X509_free(x);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F08: SAN types other than dNSName and iPAddress. */
static void
test_wfe_f08_other_san_types_are_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	EVP_PKEY	*k = tu_key_ec256();
	const char	*sans[] = {
		"subjectAltName=DNS:a.test,email:x@a.test",
		"subjectAltName=DNS:a.test,URI:https://a.test/",
		("subjectAltName=DNS:a.test,otherName:1.3.6.1.4.1.311.20.2.3;"
		    "UTF8:x@a.test"),
		"subjectAltName=DNS:a.test,RID:1.2.3.4",
	};

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	for (size_t i = 0; i < sizeof(sans) / sizeof(sans[0]); i++)
		expect_bad_csr(f, &a, &o, csr_conf(k, &sans[i], 1, NULL, NULL));
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F09, F10: broken self-signature; SHA-1 / MD5 signatures. */
static void
test_wfe_f09_f10_bad_csr_signature_is_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256(), *rk = tu_key_rsa(2048);
	X509_REQ	*csr;
	unsigned char	*der;
	char		*b;
	int		 len;
	const char	*san[] = { "subjectAltName=DNS:a.test" };

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	csr = tu_csr_make(k, N1, 1, NULL);
	len = csr_der(csr, &der);
	der[len - 5] ^= 0x01;	/* inside the signature */
	b = tu_b64url(der, (size_t)len);
	finalize_b64(f, &a, &o, b, &r);
	wh_assert_problem(&r, 400, "badCSR");
	wr_clear(&r);
	free(b);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	expect_bad_csr(f, &a, &o, csr_conf(rk, san, 1, EVP_sha1(), NULL));
	expect_bad_csr(f, &a, &o, csr_conf(k, san, 1, EVP_sha1(), NULL));
	{
		/* MD5 may be unavailable to sign with; test it when it is. */
		X509_REQ	*m = X509_REQ_new();

		X509_REQ_set_version(m, X509_REQ_VERSION_1);
		X509_REQ_set_pubkey(m, rk);
		if (X509_REQ_sign(m, rk, EVP_md5()) > 0) {
			X509_REQ_free(m);
			expect_bad_csr(f, &a, &o, csr_conf(rk, san, 1,
			    EVP_md5(), NULL));
		} else
			X509_REQ_free(m);
	}
	EVP_PKEY_free(rk);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F11, F12, F13: CSR key policy (BR §6.1.5, §6.1.6). */
static void
test_wfe_f11_f12_f13_weak_or_odd_csr_keys_are_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	EVP_PKEY	*keys[9];
	size_t		 n = 0;

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	keys[n++] = keygen("RSA", NULL, 1024, 0);		/* F11 */
	keys[n++] = keygen("RSA", NULL, 2047, 0);
	keys[n++] = keygen("RSA", NULL, 2048, 3);
	keys[n++] = keygen("EC", "prime192v1", 0, 0);		/* F12 */
	keys[n++] = keygen("EC", "secp256k1", 0, 0);
	keys[n++] = keygen("EC", "brainpoolP256r1", 0, 0);
	keys[n++] = tu_key_ed25519();
	keys[n++] = keygen("ED448", NULL, 0, 0);
	keys[n++] = fermat_key();				/* F13 */
	for (size_t i = 0; i < n; i++) {
		assert_non_null(keys[i]);
		expect_bad_csr(f, &a, &o, csr_conf(keys[i],
		    (const char *const[]){ "subjectAltName=DNS:a.test" }, 1,
		    NULL, NULL));
		EVP_PKEY_free(keys[i]);
	}
	wh_acct_free(&a);
}

/*
 * F14, F15: RFC 8555 §11.1: no account key (ours or another's) in a CSR.
 * Refused, the order is as it was: a third key finalizes it.
 */
static void
test_wfe_f14_f15_account_key_in_csr_is_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();

	wh_account(f, &a);
	wh_account(f, &b);
	wh_ready_order(f, &a, N1, 1, &o);
	expect_bad_csr(f, &a, &o, tu_csr_make(a.key, N1, 1, NULL));
	expect_bad_csr(f, &a, &o, tu_csr_make(b.key, N1, 1, NULL));
	wh_finalize(f, &a, &o, k, N1, 1, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "valid");
	wr_clear(&r);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/*
 * F16 and issue #12 item 9 (RFC 8555 §7.4): an extension the profile
 * does not carry is refused with badCSR naming it, never dropped
 * silently; the order stays ready.
 */
static void
test_wfe_f16_csr_extensions_beyond_the_profile_are_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	static const char *const refused[][2] = {
		{ "tlsfeature=status_request", "1.3.6.1.5.5.7.1.24" },
		{ "basicConstraints=critical,CA:TRUE", "CA:TRUE" },
		{ "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
		    "keyCertSign" },
		{ "extendedKeyUsage=codeSigning,serverAuth", "codeSigning" },
		{ "nameConstraints=critical,permitted;DNS:evil.example",
		    "nameConstraints" },
		{ "1.2.3.4.5.6.7=critical,DER:05:00", "1.2.3.4.5.6.7" },
	};

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char	*exts[] = { "subjectAltName=DNS:a.test",
		    refused[i][0] };
		X509_REQ	*csr = csr_conf(k, exts, 2, NULL, "a.test");

		wh_finalize_csr(f, &a, &o, csr, &r);
		X509_REQ_free(csr);
		wh_assert_problem(&r, 400, "badCSR");
		if (strstr(wr_str(&r, "detail"), refused[i][1]) == NULL)
			fail_msg("%s: detail \"%s\" does not name %s",
			    refused[i][0], wr_str(&r, "detail"),
			    refused[i][1]);
		wr_clear(&r);
		wh_order_get(f, &a, &o);
		assert_string_equal(o.status, "ready");
	}
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/*
 * F16: the extensions a CSR may request are accepted but never copied:
 * the leaf carries the profile's own values (HARDENING F16).
 */
static void
test_wfe_f16_allowed_csr_extensions_never_reach_the_certificate(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	EVP_PKEY	*k = tu_key_ec256();
	X509		*x;
	BASIC_CONSTRAINTS *bc;
	const char	*exts[] = {
		"subjectAltName=DNS:a.test",
		"basicConstraints=CA:FALSE",
		("keyUsage=critical,digitalSignature,nonRepudiation,"
		    "keyEncipherment,dataEncipherment,keyAgreement"),
		"extendedKeyUsage=serverAuth,clientAuth",
		"subjectKeyIdentifier=0102030405",
	};

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	x = finalize_leaf(f, &a, &o, csr_conf(k, exts, 5, NULL, "a.test"));
	assert_non_null(bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL,
	    NULL));
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	/* an EC key: digitalSignature only, whatever was asked */
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	/* the default profile: serverAuth only */
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	/* our leaves carry no SKI (HARDENING §5) */
	assert_true(X509_get_ext_by_NID(x, NID_subject_key_identifier, -1) < 0);
	assert_leaf_sans(x, N1, 1);
	X509_free(x);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F17: csr must be base64url DER: PEM, std base64, padding, spaces fail. */
static void
test_wfe_f17_csr_not_base64url_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	X509_REQ	*csr = tu_csr_make(k, N1, 1, NULL);
	char		*b = tu_b64url_str("x"), *good, *bad, *p;
	BIO		*bio = BIO_new(BIO_s_mem());
	BUF_MEM		*m;
	json_t		*j;

	free(b);
	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	good = tu_csr_b64url(csr);
	/* PEM text */
	PEM_write_bio_X509_REQ(bio, csr);
	BIO_get_mem_ptr(bio, &m);
	p = strndup(m->data, m->length);
	j = json_pack("{s:s}", "csr", p);
	free(p);
	p = json_dumps(j, JSON_COMPACT);
	wh_post_acct(f, &a, o.finalize, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(p);
	json_decref(j);
	/* standard alphabet: swap - and _ for + and / (force one in) */
	bad = strdup(good);
	for (char *c = bad; *c != '\0'; c++)
		*c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
	if (strpbrk(bad, "+/") == NULL)
		bad[5] = '+';
	finalize_b64(f, &a, &o, bad, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(bad);
	/* padded */
	bad = xprintf("%s==", good);
	finalize_b64(f, &a, &o, bad, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(bad);
	/* whitespace */
	bad = xprintf("%.20s %s", good, good + 20);
	finalize_b64(f, &a, &o, bad, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	free(bad);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "ready");
	free(good);
	BIO_free(bio);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F18, F19: DER only: no trailing bytes, no BER lengths. */
static void
test_wfe_f18_f19_non_der_csr_is_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	X509_REQ	*csr = tu_csr_make(k, N1, 1, NULL);
	unsigned char	*der, *buf;
	char		*b;
	int		 len;

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	len = csr_der(csr, &der);
	assert_non_null(buf = malloc((size_t)len + 4));
	/* F18: trailing bytes */
	memcpy(buf, der, (size_t)len);
	buf[len] = 0x00;
	buf[len + 1] = 0x00;
	b = tu_b64url(buf, (size_t)len + 2);
	finalize_b64(f, &a, &o, b, &r);
	wh_assert_problem(&r, 400, "badCSR");
	wr_clear(&r);
	free(b);
	/* F19: outer length in a non-minimal long form (30 82 LL LL -> 30 83 00 LL LL) */
	assert_true(der[0] == 0x30 && (der[1] == 0x81 || der[1] == 0x82));
	{
		size_t hl = der[1] == 0x81 ? 2 : 3;

		buf[0] = 0x30;
		buf[1] = (unsigned char)(der[1] + 1);
		buf[2] = 0x00;
		memcpy(buf + 3, der + 2, (size_t)len - 2);
		b = tu_b64url(buf, (size_t)len + 1);
		(void)hl;
	}
	finalize_b64(f, &a, &o, b, &r);
	wh_assert_problem(&r, 400, "badCSR");
	wr_clear(&r);
	free(b);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "ready");
	free(buf);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F20: NUL, quote and newline inside a SAN. */
static void
test_wfe_f20_san_with_nul_quote_newline_is_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	EVP_PKEY	*k = tu_key_ec256();

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	expect_bad_csr(f, &a, &o, csr_raw_dns(k, "a.test\0.evil.test", 17));
	expect_bad_csr(f, &a, &o, csr_raw_dns(k, "a.test\0", 7));
	expect_bad_csr(f, &a, &o, csr_raw_dns(k, "a\".test", 7));
	expect_bad_csr(f, &a, &o, csr_raw_dns(k, "a.test\n", 7));
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* F21: two subjectAltName extensions, or two extensionRequest attributes. */
static void
test_wfe_f21_duplicate_san_or_extension_request_is_bad_csr(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	EVP_PKEY	*k = tu_key_ec256();
	const char	*two[] = { "subjectAltName=DNS:a.test",
	    "subjectAltName=DNS:a.test" };
	X509_REQ	*csr;

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	expect_bad_csr(f, &a, &o, csr_conf(k, two, 2, NULL, NULL));
	/* two extensionRequest attributes */
	csr = tu_csr_make(k, N1, 1, NULL);
	{
		STACK_OF(X509_EXTENSION) *sk = sk_X509_EXTENSION_new_null();
		unsigned char	*der = NULL;
		int		 len;

		const unsigned char	 cp[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
		    0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07 };
		const unsigned char	*q;
		unsigned char		*rd = NULL, *hit = NULL;
		int			 rlen;
		X509_REQ		*two_req;

		/*
		 * OpenSSL refuses a second extensionRequest: add it as a
		 * challengePassword (same OID length), then patch the OID
		 * (1.2.840.113549.1.9.7 -> .14) and re-sign.
		 */
		sk_X509_EXTENSION_push(sk, X509V3_EXT_conf(NULL, NULL,
		    "subjectAltName", "DNS:a.test"));
		assert_true((len = i2d_X509_EXTENSIONS(sk, &der)) > 0);
		assert_int_equal(X509_REQ_add1_attr_by_NID(csr,
		    NID_pkcs9_challengePassword, V_ASN1_SEQUENCE, der, len), 1);
		OPENSSL_free(der);
		sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
		rlen = csr_der(csr, &rd);
		for (int i = 0; i + (int)sizeof(cp) <= rlen; i++)
			if (memcmp(rd + i, cp, sizeof(cp)) == 0)
				hit = rd + i;
		assert_non_null(hit);
		hit[sizeof(cp) - 1] = 0x0e;
		q = rd;
		assert_non_null(two_req = d2i_X509_REQ(NULL, &q, rlen));
		OPENSSL_free(rd);
		X509_REQ_free(csr);
		csr = two_req;
		assert_int_equal(X509_REQ_get_attr_count(csr), 2);
		assert_true(X509_REQ_get_attr_by_NID(csr, NID_ext_req,
		    X509_REQ_get_attr_by_NID(csr, NID_ext_req, -1)) >= 0);
		assert_true(X509_REQ_sign(csr, k, EVP_sha256()) > 0);
	}
	expect_bad_csr(f, &a, &o, csr);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* Authz id of an order's i-th authz URL. */
static const char *
authz_id(const struct word *o, size_t i)
{
	return wh_id(o->authz[i]);
}

/*
 * F22: after the order is ready, one of two authorizations stops being
 * valid: deactivated (the order becomes invalid), or expired while the
 * order itself has not (a state only the store can set up: the RA must
 * re-check each identifier at finalize, not the first one N times).
 */
static void
test_wfe_f22_deactivated_authz_after_ready_no_certificate(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();

	wh_account(f, &a);
	wh_ready_order(f, &a, N2, 2, &o);
	wh_post_acct(f, &a, o.authz[1], "{\"status\":\"deactivated\"}", &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	wh_finalize(f, &a, &o, k, N2, 2, &r);
	assert_int_equal(r.status, 403);
	assert_true(strcmp(wr_str(&r, "type"), WH_URN "orderNotReady") == 0 ||
	    strcmp(wr_str(&r, "type"), WH_URN "unauthorized") == 0);
	wh_assert_common(&r);
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_not_equal(o.status, "valid");
	assert_string_equal(o.cert, "");
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

static void
f22_expired(struct wh *f, size_t bad)
{
	struct wacct		 a;
	struct word		 o;
	struct wr		 r;
	struct acme_order	 ord = { 0 };
	struct acme_authz	 az[2];
	EVP_PKEY		*k = tu_key_ec256();
	time_t			 now = time(NULL);

	wh_account(f, &a);
	memset(az, 0, sizeof(az));
	assert_int_equal(acme_order_alloc_idents(&ord, 2), 0);
	memcpy(ord.account_id, a.id, ACME_ID_SIZE);
	ord.expires = now + 3600;
	for (size_t i = 0; i < 2; i++) {
		ord.idents[i].type = ACME_IDENT_DNS;
		snprintf(ord.idents[i].value, sizeof(ord.idents[i].value),
		    "%s", N2[i]);
		az[i].ident = ord.idents[i];
		az[i].status = ACME_AUTHZ_VALID;
		az[i].expires = i == bad ? now - 60 : now + 3600;
		az[i].nchall = 1;
		az[i].chall[0].type = ACME_CHALL_HTTP01;
		az[i].chall[0].status = ACME_CHALL_VALID;
		assert_int_equal(acme_challenge_token(az[i].chall[0].token), 0);
	}
	assert_int_equal(store_order_create(f->st, &ord, az, 2), STORE_OK);
	assert_int_equal(ord.status, ACME_ORDER_READY);
	memset(&o, 0, sizeof(o));
	acme_url_order(WH_BASE, ord.id, o.url, sizeof(o.url));
	acme_url_finalize(WH_BASE, ord.id, o.finalize, sizeof(o.finalize));
	wh_finalize(f, &a, &o, k, N2, 2, &r);
	assert_int_equal(r.status, 403);
	assert_true(strcmp(wr_str(&r, "type"), WH_URN "orderNotReady") == 0 ||
	    strcmp(wr_str(&r, "type"), WH_URN "unauthorized") == 0);
	wh_assert_common(&r);
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_not_equal(o.status, "valid");
	assert_string_equal(o.cert, "");
	for (size_t i = 0; i < 2; i++)
		acme_authz_clear(&az[i]);
	acme_order_clear(&ord);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

static void
test_wfe_f22_expired_second_authz_of_ready_order_no_certificate(void **state)
{
	f22_expired(*state, 1);
}

static void
test_wfe_f22_expired_first_authz_of_ready_order_no_certificate(void **state)
{
	f22_expired(*state, 0);
}

/* F23: the csr member is required and non-empty. */
static void
test_wfe_f23_missing_or_empty_csr_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	wh_post_acct(f, &a, o.finalize, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_post_acct(f, &a, o.finalize, "{\"csr\":\"\"}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "ready");
	(void)authz_id;
	wh_acct_free(&a);
}

/* F24: a CSR with 5,000 SANs is refused without issuing. */
static void
test_wfe_f24_huge_csr_is_refused(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();
	enum { N = 5000 };
	char		(*names)[24];
	const char	**np;
	X509_REQ	*csr;

	wh_account(f, &a);
	wh_ready_order(f, &a, N1, 1, &o);
	assert_non_null(names = calloc(N, sizeof(*names)));
	assert_non_null(np = calloc(N, sizeof(*np)));
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d.test", i);
		np[i] = names[i];
	}
	np[0] = "a.test";
	csr = tu_csr_make(k, np, N, NULL);
	wh_finalize_csr(f, &a, &o, csr, &r);
	if (r.status == 413)
		wh_assert_problem(&r, 413, "malformed");
	else
		wh_assert_problem(&r, 400, "badCSR");
	wr_clear(&r);
	wh_order_get(f, &a, &o);
	assert_string_equal(o.status, "ready");
	X509_REQ_free(csr);
	free(np);
	free(names);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

struct x18 {
	struct wh		*f;
	const struct wacct	*a;
	const struct word	*o;
	char			*body;
	pthread_barrier_t	*go;
	int			 status;
	char			 type[96];
};

static void *
x18_thread(void *arg)
{
	struct x18	*t = arg;
	struct wr	 r;

	pthread_barrier_wait(t->go);
	wh_post_raw(t->f, t->o->finalize, t->body, &r);
	t->status = r.status;
	if (wr_str(&r, "type") != NULL)
		snprintf(t->type, sizeof(t->type), "%s", wr_str(&r, "type"));
	wr_clear(&r);
	return NULL;
}

/* X18: concurrent finalizes of one ready order: exactly one certificate. */
static void
test_wfe_x18_concurrent_finalize_issues_once(void **state)
{
	struct wh		*f = *state;
	enum { T = 8 };
	struct wacct		 a;
	struct word		 o;
	struct x18		 t[T];
	pthread_t		 th[T];
	pthread_barrier_t	 go;
	EVP_PKEY		*k = tu_key_ec256();

	wh_account(f, &a);
	for (int round = 0; round < 5; round++) {
		X509_REQ	*csr = tu_csr_make(k, N1, 1, NULL);
		char		*b64 = tu_csr_b64url(csr), *p;
		int		 ok = 0, nr = 0;
		size_t		 ncert = 0;

		p = xprintf("{\"csr\":\"%s\"}", b64);
		wh_ready_order(f, &a, N1, 1, &o);
		pthread_barrier_init(&go, NULL, T);
		for (int i = 0; i < T; i++) {
			char nonce[NONCE_SIZE];

			memset(&t[i], 0, sizeof(t[i]));
			t[i].f = f;
			t[i].a = &a;
			t[i].o = &o;
			t[i].go = &go;
			wh_nonce(f, nonce);
			t[i].body = tu_jws_sign(a.key, NULL, false, a.kid,
			    nonce, o.finalize, p);
			assert_int_equal(pthread_create(&th[i], NULL,
			    x18_thread, &t[i]), 0);
		}
		for (int i = 0; i < T; i++) {
			pthread_join(th[i], NULL);
			if (t[i].status == 200)
				ok++;
			else if (t[i].status == 403 && strcmp(t[i].type,
			    WH_URN "orderNotReady") == 0)
				nr++;
			free(t[i].body);
		}
		pthread_barrier_destroy(&go);
		assert_int_equal(ok, 1);
		assert_int_equal(nr, T - 1);
		wh_order_get(f, &a, &o);
		assert_string_equal(o.status, "valid");
		/* exactly one certificate row for this order */
		{
			struct acme_order so = { 0 };

			assert_int_equal(store_order_get(f->st, wh_id(o.url),
			    &so), STORE_OK);
			assert_true(so.cert_serial[0] != '\0');
			ncert = 1;
			acme_order_clear(&so);
		}
		assert_int_equal(ncert, 1);
		free(p);
		free(b64);
		X509_REQ_free(csr);
	}
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/* ---------- V ---------- */

/* V01: the certificate is read with POST-as-GET only. */
static void
test_wfe_v01_cert_with_object_payload_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;

	wh_account(f, &a);
	wh_issue(f, &a, N1, 1, &o, NULL);
	wh_post_acct(f, &a, o.cert, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
}

/* V02: RFC 8555 §7.4.2 PEM chain: leaf, then issuer; no root, no keys. */
static void
test_wfe_v02_chain_is_leaf_then_intermediate_only(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*ck;
	BIO		*b;
	X509		*leaf, *inter, *more;
	char		*name = NULL, *hdr = NULL;
	unsigned char	*data = NULL;
	long		 len;
	int		 blocks = 0;

	wh_account(f, &a);
	wh_issue(f, &a, N2, 2, &o, &ck);
	wh_post_acct(f, &a, o.cert, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(r.ctype, "application/pem-certificate-chain");
	assert_null(strstr(r.body, "PRIVATE"));
	/* only CERTIFICATE blocks */
	assert_non_null(b = BIO_new_mem_buf(r.body, -1));
	while (PEM_read_bio(b, &name, &hdr, &data, &len) == 1) {
		assert_string_equal(name, "CERTIFICATE");
		blocks++;
		OPENSSL_free(name);
		OPENSSL_free(hdr);
		OPENSSL_free(data);
	}
	BIO_free(b);
	assert_int_equal(blocks, 2);
	assert_non_null(b = BIO_new_mem_buf(r.body, -1));
	assert_non_null(leaf = PEM_read_bio_X509(b, NULL, NULL, NULL));
	assert_non_null(inter = PEM_read_bio_X509(b, NULL, NULL, NULL));
	more = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_null(more);
	ERR_clear_error();
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(leaf), ck), 1);
	assert_int_equal(X509_check_issued(inter, leaf), X509_V_OK);
	assert_int_equal(X509_cmp(inter, ca_intermediate_cert(f->ca)), 0);
	assert_true(X509_cmp(inter, ca_root_cert(f->ca)) != 0);
	assert_true(X509_cmp(leaf, ca_root_cert(f->ca)) != 0);
	assert_int_equal(X509_check_host(leaf, "a.test", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(leaf, "b.test", 0, 0, NULL), 1);
	X509_free(leaf);
	X509_free(inter);
	BIO_free(b);
	wr_clear(&r);
	EVP_PKEY_free(ck);
	wh_acct_free(&a);
}

static void
revoke_kid(struct wh *f, const struct wacct *a, const char *payload,
    struct wr *r)
{
	char url[ACME_URL_SIZE];

	wh_url(url, sizeof(url), ACME_PATH_REVOKE_CERT);
	wh_post_acct(f, a, url, payload, r);
}

static void
revoke_jwk(struct wh *f, EVP_PKEY *k, const char *payload, struct wr *r)
{
	char url[ACME_URL_SIZE];

	wh_url(url, sizeof(url), ACME_PATH_REVOKE_CERT);
	wh_post(f, k, NULL, url, payload, r);
}

static bool
cert_revoked(struct wh *f, const struct word *o)
{
	struct acme_cert	 c = { 0 };
	bool			 rv;

	assert_int_equal(store_cert_get(f->st, wh_id(o->cert), &c), STORE_OK);
	rv = c.status == ACME_CERT_REVOKED;
	acme_cert_clear(&c);
	return rv;
}

/* V03: an account without authority over the names cannot revoke. */
static void
test_wfe_v03_other_account_cannot_revoke(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a, b;
	struct word	 o;
	struct wr	 r;
	char		*c, *p;

	wh_account(f, &a);
	wh_account(f, &b);
	wh_issue(f, &a, N1, 1, &o, NULL);
	c = wh_cert_b64(f, &a, &o);
	p = xprintf("{\"certificate\":\"%s\"}", c);
	revoke_kid(f, &b, p, &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	assert_false(cert_revoked(f, &o));
	/* positive: an account holding valid authzs for every name may (§7.6) */
	{
		struct word ob;

		wh_ready_order(f, &b, N1, 1, &ob);
		revoke_kid(f, &b, p, &r);
		wh_assert_ok(&r, 200);
		wr_clear(&r);
		assert_true(cert_revoked(f, &o));
	}
	free(p);
	free(c);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* V04, V06: revocation by certificate key; wrong key refused; twice refused. */
static void
test_wfe_v04_v06_revoke_by_key_wrong_key_and_twice(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*ck, *other = tu_key_ec256();
	char		*c, *p;

	wh_account(f, &a);
	wh_issue(f, &a, N1, 1, &o, &ck);
	c = wh_cert_b64(f, &a, &o);
	p = xprintf("{\"certificate\":\"%s\",\"reason\":1}", c);
	revoke_jwk(f, other, p, &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	revoke_jwk(f, a.key, p, &r);	/* the account key as a jwk */
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	assert_false(cert_revoked(f, &o));
	revoke_jwk(f, ck, p, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	assert_true(cert_revoked(f, &o));
	revoke_jwk(f, ck, p, &r);			/* V06 */
	wh_assert_problem(&r, 400, "alreadyRevoked");
	wr_clear(&r);
	revoke_kid(f, &a, p, &r);
	wh_assert_problem(&r, 400, "alreadyRevoked");
	wr_clear(&r);
	free(p);
	free(c);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(other);
	wh_acct_free(&a);
}

/*
 * V11 (RFC 8555 §7.6): a certificate that belongs to no account (the
 * server's own, or one `localacme issue` signed) is revoked only with its
 * key; an account holding valid authorizations for every name is refused.
 */
static void
test_wfe_v11_accountless_cert_revoked_only_by_its_key(void **state)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "::1" };
	struct wh		*f = *state;
	struct acme_identifier	 ids[3];
	struct ca_leaf_req	 lr;
	struct acme_cert	 c = { 0 };
	struct wacct		 b;
	struct word		 ob;
	struct wr		 r;
	EVP_PKEY		*ck = tu_key_ec256();
	X509			*leaf = NULL;
	const char		*chain;
	char			 serial[ACME_SERIAL_SIZE], err[256], *der, *p;
	unsigned char		*buf = NULL;
	int			 len;

	memset(ids, 0, sizeof(ids));
	for (size_t i = 0; i < 3; i++) {
		ids[i].type = i == 0 ? ACME_IDENT_DNS : ACME_IDENT_IP;
		snprintf(ids[i].value, sizeof(ids[i].value), "%s", names[i]);
	}
	memset(&lr, 0, sizeof(lr));
	lr.pubkey = ck;
	lr.idents = ids;
	lr.nident = 3;
	lr.lifetime = 30 * 86400;
	assert_int_equal(ra_issue(f->ra, &lr, serial, "server", &leaf,
	    &chain, err, sizeof(err)), 0);
	assert_true((len = i2d_X509(leaf, &buf)) > 0);
	der = tu_b64url(buf, (size_t)len);
	p = xprintf("{\"certificate\":\"%s\"}", der);

	/* An account that validated every name of the certificate. */
	wh_account(f, &b);
	wh_ready_order(f, &b, names, 3, &ob);
	revoke_kid(f, &b, p, &r);
	wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	assert_int_equal(store_cert_get(f->st, serial, &c), STORE_OK);
	assert_int_equal(c.status, ACME_CERT_VALID);
	acme_cert_clear(&c);
	/* positive: the certificate's own key */
	revoke_jwk(f, ck, p, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	assert_int_equal(store_cert_get(f->st, serial, &c), STORE_OK);
	assert_int_equal(c.status, ACME_CERT_REVOKED);
	acme_cert_clear(&c);
	free(p);
	free(der);
	OPENSSL_free(buf);
	X509_free(leaf);
	EVP_PKEY_free(ck);
	wh_acct_free(&b);
}

/* V05: a forged certificate with a real serial and issuer is not ours. */
static void
test_wfe_v05_forged_certificate_with_real_serial_refused(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*ck, *fk = tu_key_ec256();
	X509		*real, *forged = X509_new();
	BIO		*b;
	unsigned char	*der = NULL;
	char		*c, *p;
	int		 len;

	wh_account(f, &a);
	wh_issue(f, &a, N1, 1, &o, &ck);
	wh_post_acct(f, &a, o.cert, NULL, &r);
	assert_non_null(b = BIO_new_mem_buf(r.body, -1));
	assert_non_null(real = PEM_read_bio_X509(b, NULL, NULL, NULL));
	BIO_free(b);
	wr_clear(&r);
	X509_set_version(forged, X509_VERSION_3);
	X509_set_serialNumber(forged, X509_get_serialNumber(real));
	X509_set_issuer_name(forged, X509_get_issuer_name(real));
	X509_set_subject_name(forged, X509_get_subject_name(real));
	X509_set1_notBefore(forged, X509_get0_notBefore(real));
	X509_set1_notAfter(forged, X509_get0_notAfter(real));
	X509_set_pubkey(forged, ck);
	assert_true(X509_sign(forged, fk, EVP_sha256()) > 0);
	assert_true((len = i2d_X509(forged, &der)) > 0);
	c = tu_b64url(der, (size_t)len);
	p = xprintf("{\"certificate\":\"%s\"}", c);
	revoke_kid(f, &a, p, &r);
	if (r.status == 404)
		wh_assert_problem(&r, 404, "malformed");
	else
		wh_assert_problem(&r, 403, "unauthorized");
	wr_clear(&r);
	revoke_jwk(f, ck, p, &r);
	assert_true(r.status == 404 || r.status == 403);
	wr_clear(&r);
	assert_false(cert_revoked(f, &o));
	free(p);
	free(c);
	OPENSSL_free(der);
	X509_free(forged);
	X509_free(real);
	EVP_PKEY_free(fk);
	EVP_PKEY_free(ck);
	wh_acct_free(&a);
}

/* V07: reason codes outside RFC 5280's usable set (§7.6). */
static void
test_wfe_v07_bad_revocation_reason(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		*c, *p;
	const char	*reasons[] = { "7", "8", "-1", "11", "99" };

	wh_account(f, &a);
	wh_issue(f, &a, N1, 1, &o, NULL);
	c = wh_cert_b64(f, &a, &o);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		p = xprintf("{\"certificate\":\"%s\",\"reason\":%s}", c,
		    reasons[i]);
		revoke_kid(f, &a, p, &r);
		wh_assert_problem(&r, 400, "badRevocationReason");
		wr_clear(&r);
		free(p);
	}
	/* a string reason is a type error: badRevocationReason or malformed */
	p = xprintf("{\"certificate\":\"%s\",\"reason\":\"1\"}", c);
	revoke_kid(f, &a, p, &r);
	assert_int_equal(r.status, 400);
	assert_true(strcmp(wr_str(&r, "type"), WH_URN "badRevocationReason") ==
	    0 || strcmp(wr_str(&r, "type"), WH_URN "malformed") == 0);
	wr_clear(&r);
	free(p);
	assert_false(cert_revoked(f, &o));
	p = xprintf("{\"certificate\":\"%s\",\"reason\":4}", c);
	revoke_kid(f, &a, p, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	free(p);
	free(c);
	wh_acct_free(&a);
}

/* V08: certificate must be base64url DER. */
static void
test_wfe_v08_certificate_not_base64url_der_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	char		*c, *p, *bad;

	wh_account(f, &a);
	wh_issue(f, &a, N1, 1, &o, NULL);
	c = wh_cert_b64(f, &a, &o);
	{
		const char *fmts[] = { "%s==", "-----BEGIN CERTIFICATE-----%s",
		    " %s", "AAAA%s" };

		for (size_t i = 0; i < 4; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			bad = xprintf(fmts[i], c);
#pragma GCC diagnostic pop
			p = xprintf("{\"certificate\":\"%s\"}", bad);
			revoke_kid(f, &a, p, &r);
			wh_assert_problem(&r, 400, "malformed");
			wr_clear(&r);
			free(p);
			free(bad);
		}
	}
	revoke_kid(f, &a, "{\"certificate\":\"\"}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	revoke_kid(f, &a, "{}", &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_false(cert_revoked(f, &o));
	free(c);
	wh_acct_free(&a);
}

/* V09: a kid request signed by the certificate key fails the signature. */
static void
test_wfe_v09_kid_signed_by_cert_key_is_malformed(void **state)
{
	struct wh	*f = *state;
	struct wacct	 a;
	struct word	 o;
	struct wr	 r;
	EVP_PKEY	*ck;
	char		*c, *p, url[ACME_URL_SIZE];

	wh_account(f, &a);
	wh_issue(f, &a, N1, 1, &o, &ck);
	c = wh_cert_b64(f, &a, &o);
	p = xprintf("{\"certificate\":\"%s\"}", c);
	wh_url(url, sizeof(url), ACME_PATH_REVOKE_CERT);
	wh_post(f, ck, a.kid, url, p, &r);
	wh_assert_problem(&r, 400, "malformed");
	wr_clear(&r);
	assert_false(cert_revoked(f, &o));
	/* positive: the issuing account revokes */
	revoke_kid(f, &a, p, &r);
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	assert_true(cert_revoked(f, &o));
	free(p);
	free(c);
	EVP_PKEY_free(ck);
	wh_acct_free(&a);
}

/*
 * HARDENING X03 under group commit: the answer to a finalize leaves only
 * after the record is fsynced (its lock section wrote the file, so
 * ra_unlock runs store_sync); a lock section that read only the pending
 * tier (an order's authorization, before any finalize) syncs nothing.
 * This binary's fdatasync() wraps libc's and counts the calls.
 */
static _Atomic int	fdatasyncs;

int
fdatasync(int fd)
{
	fdatasyncs++;
	return (int)syscall(SYS_fdatasync, fd);
}

static void
test_wfe_x03_finalize_answer_after_fsync(void **state)
{
	struct wh		*f = *state;
	struct wacct		 a;
	struct word		 o;
	struct wr		 r;
	EVP_PKEY		*k = tu_key_ec256();
	const char		*n[] = { "x03.test" };

	wh_account(f, &a);
	wh_ready_order(f, &a, n, 1, &o);
	fdatasyncs = 0;
	wh_finalize(f, &a, &o, k, n, 1, &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "valid");
	assert_true(fdatasyncs >= 1);
	wr_clear(&r);
	EVP_PKEY_free(k);
	wh_acct_free(&a);
}

/*
 * Issue #17: the download right after a finalize reads no file (the RA
 * keeps what it just issued, src/ra/certcache.h): no WAL read lock is
 * taken on the RA's connection. A certificate this process did not just
 * issue (after a restart) is read from the file.
 */
static void
test_wfe_cert_download_after_finalize_reads_no_file(void **state)
{
	struct wh		*f = *state;
	struct wacct		 a;
	struct word		 o;
	struct store		*st;
	char			*c1, *c2;
	const char		*n[] = { "cached.test" };

	wh_account(f, &a);
	wh_issue(f, &a, n, 1, &o, NULL);
	st = ra_store_borrow(f->ra);
	store_section_begin(st);
	c1 = wh_cert_b64(f, &a, &o);
	assert_false(store_section_read_file(st));
	assert_int_equal(wh_start(f, false), 0);	/* same file */
	st = ra_store_borrow(f->ra);
	store_section_begin(st);
	c2 = wh_cert_b64(f, &a, &o);
	assert_true(store_section_read_file(st));
	assert_string_equal(c1, c2);
	free(c1);
	free(c2);
	wh_acct_free(&a);
}

/* POST-as-GET url as a, with --delete-revoked on for this request only. */
static void
post_delete_revoked(struct wh *f, const struct wacct *a, const char *url,
    struct wr *r)
{
	struct knobs_opts	 k;

	memset(&k, 0, sizeof(k));
	k.seed = 1;
	k.delete_revoked = true;
	assert_int_equal(knobs_configure(&k), 0);
	wh_post_acct(f, a, url, NULL, r);
	k.delete_revoked = false;
	assert_int_equal(knobs_configure(&k), 0);
}

/*
 * With --delete-revoked the status decides the answer (RFC 8555 §7.4.2
 * as Pebble answers it): a certificate just issued, then revoked by
 * another process (the test's own connection), is 404 at once, also
 * while the RA still keeps it for downloads; another account's
 * certificate is 404 from there too.
 */
static void
test_wfe_cert_download_delete_revoked_sees_other_process(void **state)
{
	struct wh		*f = *state;
	struct wacct		 a, b;
	struct word		 o;
	struct wr		 r;
	const char		*n[] = { "revoked-elsewhere.test" };

	wh_account(f, &a);
	wh_account(f, &b);
	wh_issue(f, &a, n, 1, &o, NULL);
	wh_post_acct(f, &b, o.cert, NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	assert_int_equal(store_cert_revoke(f->st, wh_id(o.cert), 0,
	    time(NULL)), STORE_OK);
	wh_post_acct(f, &a, o.cert, NULL, &r);	/* the knob is off */
	wh_assert_ok(&r, 200);
	wr_clear(&r);
	post_delete_revoked(f, &a, o.cert, &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	wh_acct_free(&a);
	wh_acct_free(&b);
}

/* The "cert-before-valid" count of one list of deviations. */
static json_int_t
cert_before_valid_in(const json_t *devs)
{
	json_t		*d;
	json_int_t	 n = 0;
	size_t		 j;

	json_array_foreach(devs, j, d)
		if (strcmp(json_string_value(json_object_get(d, "kind")),
		    "cert-before-valid") == 0)
			n += json_integer_value(json_object_get(d, "count"));
	return n;
}

/* How many "cert-before-valid" deviations the report holds, in all. */
static json_int_t
cert_before_valid_count(void)
{
	json_t		*rep = conformance_json(), *c;
	json_int_t	 n;
	size_t		 i;

	assert_non_null(rep);
	n = cert_before_valid_in(json_object_get(rep, "unattributed"));
	json_array_foreach(json_object_get(rep, "clients"), i, c)
		n += cert_before_valid_in(json_object_get(c, "deviations"));
	json_decref(rep);
	return n;
}

/*
 * Conformance report, RFC 8555 §7.4.2: a certificate URL no valid order
 * of the account gave (another's certificate, a serial never issued, an
 * alternate chain no Link named) is the client's deviation; the URL of
 * a certificate --delete-revoked hides was given, and its 404 is not.
 */
static void
test_wfe_cert_before_valid_not_for_a_hidden_revoked(void **state)
{
	struct wh		*f = *state;
	struct wacct		 a, b;
	struct word		 o;
	struct wr		 r;
	char			 url[ACME_URL_SIZE];
	const char		*n[] = { "hidden.test" };

	assert_int_equal(conformance_init(0), 0);
	wh_account(f, &a);
	wh_account(f, &b);
	wh_issue(f, &a, n, 1, &o, NULL);
	assert_int_equal(cert_before_valid_count(), 0);
	wh_post_acct(f, &b, o.cert, NULL, &r);		/* another's */
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	assert_int_equal(cert_before_valid_count(), 1);
	assert_true(strlen(o.cert) + 7 < sizeof(url));
	memcpy(url, o.cert, strlen(o.cert));		/* no such chain */
	memcpy(url + strlen(o.cert), "/alt/9", 7);
	wh_post_acct(f, &a, url, NULL, &r);
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	assert_int_equal(cert_before_valid_count(), 2);
	assert_int_equal(store_cert_revoke(f->st, wh_id(o.cert), 0,
	    time(NULL)), STORE_OK);
	post_delete_revoked(f, &a, o.cert, &r);		/* hidden */
	wh_assert_problem(&r, 404, "malformed");
	wr_clear(&r);
	assert_int_equal(cert_before_valid_count(), 2);
	conformance_clear();
	wh_acct_free(&a);
	wh_acct_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		WH_TEST(test_wfe_f01_pending_order_is_order_not_ready),
		WH_TEST(test_wfe_x03_finalize_answer_after_fsync),
		WH_TEST(test_wfe_cert_download_after_finalize_reads_no_file),
		WH_TEST(test_wfe_cert_download_delete_revoked_sees_other_process),
		WH_TEST(test_wfe_cert_before_valid_not_for_a_hidden_revoked),
		WH_TEST(test_wfe_f02_valid_order_is_order_not_ready),
		WH_TEST(test_wfe_f03_invalid_order_is_order_not_ready),
		WH_TEST(test_wfe_f04_f05_f26_name_mismatch_is_bad_csr_then_retry),
		WH_TEST(test_wfe_f06_f07_common_name_must_be_an_order_identifier),
		WH_TEST(test_wfe_cn_only_csr_leaf_san_holds_every_identifier),
		WH_TEST(test_wfe_f08_other_san_types_are_bad_csr),
		WH_TEST(test_wfe_f09_f10_bad_csr_signature_is_bad_csr),
		WH_TEST(test_wfe_f11_f12_f13_weak_or_odd_csr_keys_are_bad_csr),
		WH_TEST(test_wfe_f14_f15_account_key_in_csr_is_bad_csr),
		WH_TEST(test_wfe_f16_csr_extensions_beyond_the_profile_are_bad_csr),
		WH_TEST(test_wfe_f16_allowed_csr_extensions_never_reach_the_certificate),
		WH_TEST(test_wfe_f17_csr_not_base64url_is_malformed),
		WH_TEST(test_wfe_f18_f19_non_der_csr_is_bad_csr),
		WH_TEST(test_wfe_f20_san_with_nul_quote_newline_is_bad_csr),
		WH_TEST(test_wfe_f21_duplicate_san_or_extension_request_is_bad_csr),
		WH_TEST(test_wfe_f22_deactivated_authz_after_ready_no_certificate),
		WH_TEST(test_wfe_f22_expired_second_authz_of_ready_order_no_certificate),
		WH_TEST(test_wfe_f22_expired_first_authz_of_ready_order_no_certificate),
		WH_TEST(test_wfe_f23_missing_or_empty_csr_is_malformed),
		WH_TEST(test_wfe_f24_huge_csr_is_refused),
		WH_TEST(test_wfe_x18_concurrent_finalize_issues_once),
		WH_TEST(test_wfe_v01_cert_with_object_payload_is_malformed),
		WH_TEST(test_wfe_v02_chain_is_leaf_then_intermediate_only),
		WH_TEST(test_wfe_v03_other_account_cannot_revoke),
		WH_TEST(test_wfe_v04_v06_revoke_by_key_wrong_key_and_twice),
		WH_TEST(test_wfe_v05_forged_certificate_with_real_serial_refused),
		WH_TEST(test_wfe_v07_bad_revocation_reason),
		WH_TEST(test_wfe_v08_certificate_not_base64url_der_is_malformed),
		WH_TEST(test_wfe_v09_kid_signed_by_cert_key_is_malformed),
		WH_TEST(test_wfe_v11_accountless_cert_revoked_only_by_its_key),
	};

	return cmocka_run_group_tests(tests, wh_group_setup, wh_group_teardown);
}
