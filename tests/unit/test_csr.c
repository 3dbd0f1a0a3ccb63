/* test_csr.c - CSR decode, names vs. order, CN rules, key policy (RFC 8555 §7.4, §11.1; HARDENING F04-F21) */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "acme/keypolicy.h"
#include "acme/problem.h"
#include "testutil.h"

/* Keys made once for the group (RSA generation is slow). */
static struct {
	EVP_PKEY	*ec256, *ec256b, *ec384, *rsa2048;
} k;

static int
setup(void **state)
{
	(void)state;
	k.ec256 = tu_key_ec256();
	k.ec256b = tu_key_ec256();
	k.ec384 = tu_key_ec384();
	k.rsa2048 = tu_key_rsa(2048);
	return k.ec256 && k.ec256b && k.ec384 && k.rsa2048 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(k.ec256);
	EVP_PKEY_free(k.ec256b);
	EVP_PKEY_free(k.ec384);
	EVP_PKEY_free(k.rsa2048);
	return 0;
}

/* One subjectAltName entry for san_ext(). */
struct san {
	int		 type;	/* GEN_DNS, GEN_IPADD (text), GEN_EMAIL, GEN_URI */
	const char	*v;
	size_t		 len;	/* 0: strlen(v) */
};

static X509_EXTENSION *
san_ext(const struct san *s, size_t n)
{
	GENERAL_NAMES	*gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME	*g;
	ASN1_STRING	*str;
	X509_EXTENSION	*ext;
	unsigned char	 bin[16];
	size_t		 i;

	assert_non_null(gens);
	for (i = 0; i < n; i++) {
		assert_non_null(g = GENERAL_NAME_new());
		if (s[i].type == GEN_IPADD) {
			int v6 = strchr(s[i].v, ':') != NULL;

			assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET,
			    s[i].v, bin), 1);
			assert_non_null(str = ASN1_OCTET_STRING_new());
			assert_int_equal(ASN1_OCTET_STRING_set(str, bin,
			    v6 ? 16 : 4), 1);
		} else {
			assert_non_null(str = ASN1_IA5STRING_new());
			assert_int_equal(ASN1_STRING_set(str, s[i].v,
			    s[i].len ? (int)s[i].len : (int)strlen(s[i].v)), 1);
		}
		GENERAL_NAME_set0_value(g, s[i].type, str);
		assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	assert_non_null(ext);
	GENERAL_NAMES_free(gens);
	return ext;
}

/*
 * A CSR built by hand: subject CN (if cn), the given extensions in one
 * extensionRequest attribute (nattr times), signed with md.
 * Takes ownership of exts[].
 */
static X509_REQ *
req_make(EVP_PKEY *key, const EVP_MD *md, const char *cn,
    X509_EXTENSION **exts, size_t next, int nattr)
{
	STACK_OF(X509_EXTENSION) *sk;
	X509_REQ	*req;
	size_t		 i;
	int		 a;

	assert_non_null(req = X509_REQ_new());
	assert_int_equal(X509_REQ_set_version(req, X509_REQ_VERSION_1), 1);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(
		    X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
		    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_non_null(sk = sk_X509_EXTENSION_new_null());
	for (i = 0; i < next; i++)
		assert_true(sk_X509_EXTENSION_push(sk, exts[i]) > 0);
	if (next > 0)
		assert_int_equal(X509_REQ_add_extensions(req, sk), 1);
	for (a = 1; next > 0 && a < nattr; a++) {
		/*
		 * OpenSSL 3 refuses a duplicate attribute: add it as a
		 * challengePassword carrying the extensions; the test turns
		 * the OID into extensionRequest afterwards (same length).
		 */
		unsigned char	*der = NULL;
		int		 len = i2d_X509_EXTENSIONS(sk, &der);

		assert_true(len > 0);
		assert_int_equal(X509_REQ_add1_attr_by_NID(req,
		    NID_pkcs9_challengePassword, V_ASN1_SEQUENCE, der, len), 1);
		OPENSSL_free(der);
	}
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(req, key, md) > 0);
	return req;
}

static unsigned char *
find(unsigned char *hay, size_t len, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* DER of req. Caller frees with OPENSSL_free. */
static unsigned char *
der_of(X509_REQ *req, size_t *len)
{
	unsigned char	*der = NULL;
	int		 n = i2d_X509_REQ(req, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

/* acme_csr_decode of base64url(der[0..len)). */
static X509_REQ *
decode_der(const unsigned char *der, size_t len, struct acme_problem *prob)
{
	X509_REQ	*req;
	char		*b64 = tu_b64url(der, len);

	assert_non_null(b64);
	req = acme_csr_decode(b64, prob);
	free(b64);
	return req;
}

/* Round-trip req through the wire form; NULL (with *prob) if refused. */
static X509_REQ *
wire(X509_REQ *req, struct acme_problem *prob)
{
	X509_REQ	*got;
	char		*b64 = tu_csr_b64url(req);

	assert_non_null(b64);
	got = acme_csr_decode(b64, prob);
	free(b64);
	return got;
}

/* Parse CLI-style names into ids[] (at most 8). */
static size_t
idents(const char *const *names, size_t n, struct acme_identifier *ids)
{
	struct acme_problem	 prob;
	size_t			 i;

	for (i = 0; i < n; i++)
		assert_int_equal(acme_ident_from_cli(names[i], &ids[i], NULL,
		    &prob), 0);
	return n;
}

/*
 * Decode req from the wire and check it against order names (no
 * forbidden keys). Returns the check's result; *prob as filled.
 */
static int
check_names(X509_REQ *req, const char *const *order, size_t norder,
    struct acme_problem *prob)
{
	struct acme_identifier	 ids[8];
	X509_REQ		*got;
	int			 rc;

	memset(prob, 0, sizeof(*prob));
	got = wire(req, prob);
	if (got == NULL)
		fail_msg("decode refused: %s", prob->detail);
	rc = acme_csr_check(got, ids, idents(order, norder, ids), NULL, 0,
	    prob);
	X509_REQ_free(got);
	return rc;
}

static void
expect_decode_badcsr(X509_REQ *req)
{
	struct acme_problem	 prob;
	X509_REQ		*got;

	memset(&prob, 0, sizeof(prob));
	got = wire(req, &prob);
	assert_null(got);
	assert_int_equal(prob.type, ACME_P_BADCSR);
}

/* ---------- names against the order: one CSR, one order per row ---------- */

/*
 * A CSR made by tu_csr_make (SANs, optional CN) checked against an
 * order (RFC 8555 §7.4): accepted, or badCSR whose detail names the
 * culprit. Rows name the test they were (the docs cite those names);
 * a failing row is the last one printed.
 */
struct names_case {
	const char	*test;
	const char	*what;
	EVP_PKEY	**key;
	const char	*san[3];	/* up to the first NULL */
	const char	*cn;		/* NULL: no subject CN */
	const char	*order[3];	/* up to the first NULL */
	int		 rc;		/* 0: accepted; -1: badCSR */
	const char	*detail[2];	/* in the problem's detail, or NULL */
};

#define T_MATCH		"test_csr_matching_names_accepted"
#define T_MIXED		"test_csr_mixed_case_san_matches"
#define T_WILD		"test_csr_wildcard_for_base_badcsr"
#define T_CN_ONLY	"test_csr_cn_only_accepted"
#define T_IP_CN		"test_csr_ip_cn_in_order_accepted"
#define T_IP_CN_NOT	"test_csr_ip_cn_not_in_order_badcsr"
#define T_DNS_CN_NOT	"test_csr_dns_cn_not_in_order_badcsr"

static const struct names_case names_cases[] = {
	/* SANs equal the order; CN is one of them. */
	{ T_MATCH, "dns, IPv4, IPv6", &k.ec256,
	    { "a.test", "127.0.0.1", "::1" }, "a.test",
	    { "::1", "a.test", "127.0.0.1" }, 0, { NULL } },
	/* HARDENING O04 at finalize: "Example.TEST" matches "example.test". */
	{ T_MIXED, "mixed case", &k.rsa2048,
	    { "Example.TEST", "*.Example.test" }, "EXAMPLE.test",
	    { "example.test", "*.example.test" }, 0, { NULL } },
	/* A wildcard is not its base name. */
	{ T_WILD, "*.a.test for a.test", &k.ec256, { "*.a.test" }, NULL,
	    { "a.test" }, -1, { NULL } },
	/*
	 * A dns identifier may be named in the CN, the SAN, or both; a CSR
	 * with a CN and no SAN at all is accepted when the CN is the order
	 * (issue #12 item 1).
	 */
	{ T_CN_ONLY, "CN only", &k.ec256, { NULL }, "A.Test", { "a.test" }, 0,
	    { NULL } },
	{ T_CN_ONLY, "CN a.test plus SAN b.test cover both", &k.ec256,
	    { "b.test" }, "a.test", { "a.test", "b.test" }, 0, { NULL } },
	{ T_CN_ONLY, "... but not a name in neither", &k.ec256, { "b.test" },
	    "a.test", { "a.test", "b.test", "c.test" }, -1, { "c.test" } },
	/* BR §7.1.4.3: an IP CN that is one of the order's ip identifiers. */
	{ T_IP_CN, "CN and SAN the address (uacme, an IP-only order)",
	    &k.ec256, { "127.0.0.1" }, "127.0.0.1", { "127.0.0.1" }, 0,
	    { NULL } },
	{ T_IP_CN, "CN only", &k.ec256, { NULL }, "127.0.0.1", { "127.0.0.1" },
	    0, { NULL } },
	/* IPv6 compared in canonical text (RFC 5952), not as written */
	{ T_IP_CN, "IPv6 CN only, uncompressed", &k.ec256, { NULL },
	    "0:0:0:0:0:0:0:1", { "::1" }, 0, { NULL } },
	{ T_IP_CN, "IPv6 CN 0::0001", &k.ec256, { "::1" }, "0::0001",
	    { "::1" }, 0, { NULL } },
	/* An IP CN not in the order stays badCSR, naming the CN. */
	{ T_IP_CN_NOT, "CN another address", &k.ec256, { "127.0.0.1" },
	    "127.0.0.2", { "127.0.0.1" }, -1, { "CN", "127.0.0.2" } },
	{ T_IP_CN_NOT, "CN-only, another address", &k.ec256, { NULL }, "::2",
	    { "::1" }, -1, { "CN" } },
	/* the bracketed URL form is neither a DNS name nor an IP address */
	{ T_IP_CN_NOT, "CN [127.0.0.1]", &k.ec256, { "127.0.0.1", "a.test" },
	    "[127.0.0.1]", { "127.0.0.1", "a.test" }, -1, { NULL } },
	/* HARDENING F06: a DNS CN not in the order stays badCSR. */
	{ T_DNS_CN_NOT, "CN another name", &k.ec256, { "a.test" }, "b.test",
	    { "a.test" }, -1, { "CN", "b.test" } },
	{ T_DNS_CN_NOT, "CN only, another name", &k.ec256, { NULL }, "b.test",
	    { "a.test" }, -1, { "CN" } },
	{ T_DNS_CN_NOT, "a CN that is a SAN but not in the order", &k.ec256,
	    { "a.test", "b.test" }, "b.test", { "a.test" }, -1, { NULL } },
	{ T_DNS_CN_NOT, "a wildcard CN is not its base name", &k.ec256,
	    { NULL }, "*.a.test", { "a.test" }, -1, { NULL } },
};

static size_t
count_names(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

static void
test_csr_names_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(names_cases) / sizeof(names_cases[0]);
	    i++) {
		const struct names_case	*t = &names_cases[i];
		struct acme_problem	 prob;
		X509_REQ		*req;

		print_message("  %s: %s\n", t->test, t->what);
		assert_non_null(req = tu_csr_make(*t->key, t->san,
		    count_names(t->san, 3), t->cn));
		assert_int_equal(check_names(req, t->order,
		    count_names(t->order, 3), &prob), t->rc);
		if (t->rc != 0)
			assert_int_equal(prob.type, ACME_P_BADCSR);
		for (size_t d = 0; d < 2 && t->detail[d] != NULL; d++)
			assert_non_null(strstr(prob.detail, t->detail[d]));
		X509_REQ_free(req);
	}
	print_message("  %zu rows\n", sizeof(names_cases) /
	    sizeof(names_cases[0]));
}

/* HARDENING F04: one extra SAN -> badCSR with a subproblem for it. */
static void
test_csr_extra_san_badcsr(void **state)
{
	const char *const	 names[] = { "a.test", "b.test" };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 2, NULL));
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_non_null(strstr(prob.detail, "b.test"));
	assert_int_equal(prob.nsub, 1);
	assert_string_equal(prob.sub[0].ident.value, "b.test");
	X509_REQ_free(req);
}

/* HARDENING F05 */
static void
test_csr_missing_san_badcsr(void **state)
{
	const char *const	 names[] = { "a.test" };
	const char *const	 order[] = { "a.test", "10.0.0.1" };
	struct acme_problem	 prob;
	X509_REQ		*req;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
	assert_int_equal(check_names(req, order, 2, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_non_null(strstr(prob.detail, "10.0.0.1"));
	assert_int_equal(prob.nsub, 1);
	assert_int_equal(prob.sub[0].ident.type, ACME_IDENT_IP);
	X509_REQ_free(req);
}

/* HARDENING F08: email, URI SANs. */
static void
test_csr_email_san_badcsr(void **state)
{
	const struct san	 s[] = {
		{ GEN_DNS, "a.test", 0 }, { GEN_EMAIL, "a@a.test", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[1];
	X509_REQ		*req;

	(void)state;
	ext[0] = san_ext(s, 2);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 1, 1);
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
}

static void
test_csr_uri_san_badcsr(void **state)
{
	const struct san	 s[] = { { GEN_URI, "https://a.test/", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[1];
	X509_REQ		*req;

	(void)state;
	ext[0] = san_ext(s, 1);
	req = req_make(k.ec256, EVP_sha256(), "a.test", ext, 1, 1);
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
}

/* HARDENING F09: one bit of the signature flipped. */
static void
test_csr_bad_signature_badcsr(void **state)
{
	const char *const	 names[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req;
	unsigned char		*der;
	size_t			 len;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
	der = der_of(req, &len);
	/* The signature BIT STRING ends the DER; its last byte is r/s data */
	der[len - 1] ^= 0x01;
	assert_null(decode_der(der, len, &prob));
	assert_int_equal(prob.type, ACME_P_BADCSR);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* Changing a signed byte (a SAN letter) also breaks the signature. */
static void
test_csr_tampered_body_badcsr(void **state)
{
	const char *const	 names[] = { "aaaa.test" };
	struct acme_problem	 prob;
	X509_REQ		*req;
	unsigned char		*der, *p;
	size_t			 len;

	(void)state;
	assert_non_null(req = tu_csr_make(k.rsa2048, names, 1, NULL));
	der = der_of(req, &len);
	p = find(der, len, "aaaa.test");
	assert_non_null(p);
	p[0] = 'b';
	assert_null(decode_der(der, len, &prob));
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_non_null(strstr(prob.detail, "signature"));
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* HARDENING F10: SHA-1 (and MD5 where the provider allows it). */
static void
test_csr_sha1_signature_badcsr(void **state)
{
	const struct san	 s[] = { { GEN_DNS, "a.test", 0 } };
	X509_EXTENSION		*ext[1];
	X509_REQ		*req;

	(void)state;
	ext[0] = san_ext(s, 1);
	req = req_make(k.rsa2048, EVP_sha1(), NULL, ext, 1, 1);
	expect_decode_badcsr(req);
	X509_REQ_free(req);
}

/* An RSA key of bits with public exponent e. */
static EVP_PKEY *
rsa_key(unsigned int bits, unsigned int e)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*key = NULL;
	BIGNUM		*bn;

	assert_non_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL));
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) > 0);
	assert_non_null(bn = BN_new());
	assert_int_equal(BN_set_word(bn, e), 1);
	assert_true(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn) > 0);
	assert_int_equal(EVP_PKEY_keygen(ctx, &key), 1);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static void
expect_key_badcsr(EVP_PKEY *key)
{
	const char *const	 names[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req, *got;
	struct acme_identifier	 id;

	memset(&prob, 0, sizeof(prob));
	/* key policy alone */
	assert_int_equal(acme_csr_key_policy(key, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	/* and through decode + check */
	assert_non_null(req = tu_csr_make(key, names, 1, NULL));
	idents(names, 1, &id);
	got = wire(req, &prob);
	if (got != NULL) {
		assert_int_equal(acme_csr_check(got, &id, 1, NULL, 0, &prob),
		    -1);
		X509_REQ_free(got);
	}
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
}

/*
 * Keys a CSR may not carry: HARDENING F11 RSA-1024, RSA-2047 (not a
 * multiple of 8), e = 3; F12 P-192, secp256k1, P-521, Ed25519.
 */
static const struct key_case {
	const char	*test;		/* the test it was; docs cite it */
	const char	*type;		/* "RSA", "EC", "P-521", "Ed25519" */
	unsigned int	 bits, e;	/* RSA */
	const char	*curve;		/* EC */
} key_cases[] = {
	{ "test_csr_rsa1024_badcsr", "RSA", 1024, 65537, NULL },
	{ "test_csr_rsa2047_badcsr", "RSA", 2047, 65537, NULL },
	{ "test_csr_rsa_e3_badcsr", "RSA", 2048, 3, NULL },
	{ "test_csr_p192_badcsr", "EC", 0, 0, "prime192v1" },
	{ "test_csr_secp256k1_badcsr", "EC", 0, 0, "secp256k1" },
	{ "test_csr_p521_badcsr", "P-521", 0, 0, NULL },
	{ "test_csr_ed25519_badcsr", "Ed25519", 0, 0, NULL },
};

static void
test_csr_key_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		const struct key_case	*t = &key_cases[i];
		EVP_PKEY		*key;

		print_message("  %s\n", t->test);
		if (strcmp(t->type, "RSA") == 0)
			key = rsa_key(t->bits, t->e);
		else if (strcmp(t->type, "EC") == 0)
			key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", t->curve);
		else if (strcmp(t->type, "P-521") == 0)
			key = tu_key_ec521();
		else
			key = tu_key_ed25519();
		assert_non_null(key);
		expect_key_badcsr(key);
		EVP_PKEY_free(key);
	}
}

/* BR §6.1.5: the allowed set. */
/* The --weak-keys test knob (issue #15): RSA 1024 and P-521 while on. */
static void
test_csr_weak_keys_knob_rsa1024_p521_only_while_on(void **state)
{
	struct acme_problem	 prob;
	EVP_PKEY		*r1024 = tu_key_rsa(1024), *p521 = tu_key_ec521();
	EVP_PKEY		*r2047 = rsa_key(2047, 65537);

	(void)state;
	assert_non_null(r1024);
	assert_non_null(p521);
	assert_false(acme_keypolicy_weak());
	assert_int_equal(acme_csr_key_policy(r1024, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_int_equal(acme_csr_key_policy(p521, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	acme_keypolicy_set_weak(true);
	assert_int_equal(acme_csr_key_policy(r1024, &prob), 0);
	assert_int_equal(acme_csr_key_policy(p521, &prob), 0);
	assert_int_equal(acme_csr_key_policy(k.rsa2048, &prob), 0);
	/* other sizes stay refused */
	assert_int_equal(acme_csr_key_policy(r2047, &prob), -1);
	acme_keypolicy_set_weak(false);
	assert_int_equal(acme_csr_key_policy(r1024, &prob), -1);
	assert_int_equal(acme_csr_key_policy(p521, &prob), -1);
	EVP_PKEY_free(r1024);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(r2047);
}

static void
test_csr_key_policy_allowed_keys_ok(void **state)
{
	struct acme_problem prob;

	(void)state;
	assert_int_equal(acme_csr_key_policy(k.ec256, &prob), 0);
	assert_int_equal(acme_csr_key_policy(k.ec384, &prob), 0);
	assert_int_equal(acme_csr_key_policy(k.rsa2048, &prob), 0);
	assert_int_equal(acme_csr_key_policy(NULL, &prob), -1);
}

/*
 * The CSR's EC key is a copy of an earlier imported key given the new
 * point (issue #17): each must be the CSR's own key, encoded as the
 * import encodes it, and a point off the curve is refused on that path
 * too (F12's curve check, RFC 5480 §2.2).
 */
static void
test_csr_ec_key_copies_are_the_csr_key(void **state)
{
	const char *const	 names[] = { "a.test" };
	const char *const	 curves[] = { "P-256", "P-384", "P-256" };
	struct acme_problem	 prob;

	(void)state;
	for (size_t c = 0; c < 3; c++)
		for (int i = 0; i < 3; i++) {
			EVP_PKEY	*key, *got;
			X509_REQ	*req, *dec;
			unsigned char	*a = NULL, *b = NULL;
			int		 alen, blen;

			key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[c]);
			assert_non_null(key);
			assert_non_null(req = tu_csr_make(key, names, 1, NULL));
			memset(&prob, 0, sizeof(prob));
			if ((dec = wire(req, &prob)) == NULL)
				fail_msg("refused: %s", prob.detail);
			assert_non_null(got = acme_csr_pubkey(dec));
			assert_int_equal(EVP_PKEY_eq(got, key), 1);
			alen = i2d_PUBKEY(key, &a);
			blen = i2d_PUBKEY(got, &b);
			assert_true(alen > 0);
			assert_int_equal(alen, blen);
			assert_memory_equal(a, b, (size_t)alen);
			assert_int_equal(acme_csr_key_policy(got, &prob), 0);
			OPENSSL_free(a);
			OPENSSL_free(b);
			EVP_PKEY_free(got);
			X509_REQ_free(dec);
			X509_REQ_free(req);
			EVP_PKEY_free(key);
		}
	/* The point's last byte changed: off the curve, refused. */
	{
		unsigned char	 pt[65], *der, *at;
		size_t		 len, ptlen = 0;
		X509_REQ	*req;

		assert_int_equal(EVP_PKEY_get_octet_string_param(k.ec256,
		    OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen), 1);
		assert_int_equal(ptlen, 65);
		assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
		der = der_of(req, &len);
		for (at = der; at + ptlen <= der + len &&
		    memcmp(at, pt, ptlen) != 0; at++)
			;
		assert_true(at + ptlen <= der + len);
		at[64] ^= 0x01;
		memset(&prob, 0, sizeof(prob));
		assert_null(decode_der(der, len, &prob));
		assert_int_equal(prob.type, ACME_P_BADCSR);
		assert_string_equal(prob.detail,
		    "CSR public key cannot be parsed");
		OPENSSL_free(der);
		X509_REQ_free(req);
	}
}

/* HARDENING F14/F15, RFC 8555 §11.1: no account key in a CSR. */
static void
test_csr_account_key_badcsr(void **state)
{
	const char *const	 names[] = { "a.test" };
	struct acme_identifier	 id;
	struct acme_problem	 prob;
	EVP_PKEY		*forbidden[2];
	X509_REQ		*req, *got;

	(void)state;
	idents(names, 1, &id);
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
	assert_non_null(got = wire(req, &prob));
	forbidden[0] = k.ec256b;
	forbidden[1] = k.ec256;
	assert_int_equal(acme_csr_check(got, &id, 1, forbidden, 1, &prob), 0);
	assert_int_equal(acme_csr_check(got, &id, 1, forbidden, 2, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(got);
	X509_REQ_free(req);
}

/* HARDENING F18 */
static void
test_csr_trailing_bytes_badcsr(void **state)
{
	const char *const	 names[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req;
	unsigned char		*der, *buf;
	size_t			 len;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
	der = der_of(req, &len);
	assert_non_null(buf = malloc(len + 2));
	memcpy(buf, der, len);
	buf[len] = 0x05;	/* a whole NULL TLV */
	buf[len + 1] = 0x00;
	assert_null(decode_der(buf, len + 2, &prob));
	assert_int_equal(prob.type, ACME_P_BADCSR);
	free(buf);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/*
 * Re-encode DER with every length at depth >= mindepth in the
 * non-minimal two-byte long form (0x82 hh ll): valid BER, not DER.
 * Returns the output length.
 */
static size_t
berify(const unsigned char *p, size_t len, int depth, int mindepth,
    unsigned char *out)
{
	size_t	 o = 0, hl, vl, cl, i;

	while (len > 0) {
		if (p[1] < 0x80) {
			hl = 2;
			vl = p[1];
		} else {
			hl = 2 + (p[1] & 0x7f);
			for (vl = 0, i = 2; i < hl; i++)
				vl = (vl << 8) | p[i];
		}
		unsigned char tmp[8192];

		if (p[0] & 0x20)
			cl = berify(p + hl, vl, depth + 1, mindepth, tmp);
		else {
			memcpy(tmp, p + hl, vl);
			cl = vl;
		}
		out[o++] = p[0];
		if (depth >= mindepth || cl > 0xff) {
			out[o++] = 0x82;
			out[o++] = (unsigned char)(cl >> 8);
			out[o++] = (unsigned char)cl;
		} else if (cl >= 0x80) {
			out[o++] = 0x81;
			out[o++] = (unsigned char)cl;
		} else
			out[o++] = (unsigned char)cl;
		memcpy(out + o, tmp, cl);
		o += cl;
		p += hl + vl;
		len -= hl + vl;
	}
	return o;
}

/* HARDENING F19: non-minimal lengths, outermost and deep inside. */
static void
test_csr_ber_lengths_badcsr(void **state)
{
	const char *const	 names[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req, *got;
	unsigned char		*der, buf[8192];
	size_t			 len, blen;
	int			 depth;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, "a.test"));
	der = der_of(req, &len);
	assert_true(len < 2000);
	/* sanity: a re-encoding with no change is the same DER */
	blen = berify(der, len, 0, 100, buf);
	assert_int_equal(blen, len);
	assert_memory_equal(buf, der, len);
	assert_non_null(got = decode_der(buf, blen, &prob));
	X509_REQ_free(got);
	/* depth 0: the outer SEQUENCE; 5: inside the subject's CN */
	for (depth = 0; depth <= 5; depth++) {
		blen = berify(der, len, 0, depth, buf);
		memset(&prob, 0, sizeof(prob));
		assert_null(decode_der(buf, blen, &prob));
		assert_int_equal(prob.type, ACME_P_BADCSR);
		assert_non_null(strstr(prob.detail, "DER"));
	}
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* HARDENING F19: indefinite length (BER only). */
static void
test_csr_indefinite_length_badcsr(void **state)
{
	const char *const	 names[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req;
	unsigned char		*der, buf[4096];
	size_t			 len, hl;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
	der = der_of(req, &len);
	hl = der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7f);
	buf[0] = 0x30;
	buf[1] = 0x80;
	memcpy(buf + 2, der + hl, len - hl);
	buf[2 + len - hl] = 0;
	buf[3 + len - hl] = 0;
	assert_null(decode_der(buf, len - hl + 4, &prob));
	assert_int_equal(prob.type, ACME_P_BADCSR);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* HARDENING F20: NUL, quote and newline inside a dNSName. */
static void
test_csr_nul_in_san_badcsr(void **state)
{
	const struct san	 s[] = { { GEN_DNS, "a.test\0.evil.test", 17 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[1];
	X509_REQ		*req;

	(void)state;
	ext[0] = san_ext(s, 1);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 1, 1);
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
}

static void
test_csr_quote_newline_in_san_badcsr(void **state)
{
	const struct san	 s1[] = { { GEN_DNS, "a\".test", 0 } };
	const struct san	 s2[] = { { GEN_DNS, "a.test\n", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[1];
	X509_REQ		*req;

	(void)state;
	ext[0] = san_ext(s1, 1);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 1, 1);
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
	ext[0] = san_ext(s2, 1);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 1, 1);
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
}

/* HARDENING F21: two subjectAltName extensions. */
static void
test_csr_two_san_extensions_badcsr(void **state)
{
	const struct san	 s1[] = { { GEN_DNS, "a.test", 0 } };
	const struct san	 s2[] = { { GEN_DNS, "b.test", 0 } };
	const char *const	 order[] = { "a.test", "b.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[2];
	X509_REQ		*req;

	(void)state;
	ext[0] = san_ext(s1, 1);
	ext[1] = san_ext(s2, 1);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 2, 1);
	assert_int_equal(check_names(req, order, 2, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
}

/* HARDENING F21: two extensionRequest attributes. */
static void
test_csr_two_ext_requests_badcsr(void **state)
{
	const struct san	 s[] = { { GEN_DNS, "a.test", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[1];
	X509_REQ		*req, *twice;
	unsigned char		*der, *oid;
	const unsigned char	*p;
	size_t			 len;

	(void)state;
	ext[0] = san_ext(s, 1);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 1, 2);
	assert_int_equal(X509_REQ_get_attr_count(req), 2);
	/* challengePassword 1.2.840.113549.1.9.7 -> extensionRequest .14 */
	der = der_of(req, &len);
	assert_non_null(oid = find(der, len, "\x06\x09\x2a\x86\x48\x86"
	    "\xf7\x0d\x01\x09\x07"));
	oid[10] = 0x0e;
	p = der;
	assert_non_null(twice = d2i_X509_REQ(NULL, &p, (long)len));
	assert_int_equal(X509_REQ_get_attr_by_NID(twice, NID_ext_req, -1) >= 0 &&
	    X509_REQ_get_attr_by_NID(twice, NID_ext_req,
	    X509_REQ_get_attr_by_NID(twice, NID_ext_req, -1)) >= 0, 1);
	assert_true(X509_REQ_sign(twice, k.ec256, EVP_sha256()) > 0);
	assert_int_equal(check_names(twice, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_non_null(strstr(prob.detail, "extensionRequest"));
	X509_REQ_free(twice);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* HARDENING F24: more SANs than an order may have. */
static void
test_csr_too_many_sans_badcsr(void **state)
{
	struct san		 s[ACME_CSR_MAX_NAMES + 1];
	char			 names[ACME_CSR_MAX_NAMES + 1][16];
	const char *const	 order[] = { "n0.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[1];
	X509_REQ		*req;
	size_t			 i;

	(void)state;
	for (i = 0; i <= ACME_CSR_MAX_NAMES; i++) {
		snprintf(names[i], sizeof(names[i]), "n%zu.test", i);
		s[i].type = GEN_DNS;
		s[i].v = names[i];
		s[i].len = 0;
	}
	ext[0] = san_ext(s, ACME_CSR_MAX_NAMES + 1);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 1, 1);
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_non_null(strstr(prob.detail, "more than"));
	X509_REQ_free(req);
}

/* An extension from OpenSSL config syntax ("critical,CA:FALSE"). */
static X509_EXTENSION *
conf_ext(const char *name, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf(NULL, NULL, name, value);

	if (ext == NULL)
		fail_msg("bad extension %s=%s", name, value);
	return ext;
}

/*
 * RFC 8555 §7.4, issue #12 item 9: the extensions our profile carries
 * anyway may be requested (the CA still writes its own values).
 */
static void
test_csr_allowed_extensions_accepted(void **state)
{
	static const char *const allowed[][2] = {
		{ "keyUsage", "critical,digitalSignature,keyEncipherment" },
		{ "keyUsage", "digitalSignature,nonRepudiation,keyAgreement" },
		{ "extendedKeyUsage", "serverAuth" },
		{ "extendedKeyUsage", "serverAuth,clientAuth" },
		{ "extendedKeyUsage", "clientAuth" },
		{ "basicConstraints", "critical,CA:FALSE" },
		{ "basicConstraints", "CA:FALSE" },
		{ "subjectKeyIdentifier", "0102030405060708090a0b0c0d0e0f1011121314" },
	};
	const struct san	 s[] = { { GEN_DNS, "a.test", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[6];
	X509_REQ		*req;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		ext[0] = san_ext(s, 1);
		ext[1] = conf_ext(allowed[i][0], allowed[i][1]);
		req = req_make(k.ec256, EVP_sha256(), NULL, ext, 2, 1);
		if (check_names(req, order, 1, &prob) != 0)
			fail_msg("%s=%s refused: %s", allowed[i][0],
			    allowed[i][1], prob.detail);
		X509_REQ_free(req);
	}
	/* all of them at once, as acme.sh-style CSRs carry several */
	ext[0] = san_ext(s, 1);
	ext[1] = conf_ext("keyUsage", "critical,digitalSignature");
	ext[2] = conf_ext("extendedKeyUsage", "serverAuth,clientAuth");
	ext[3] = conf_ext("basicConstraints", "critical,CA:FALSE");
	ext[4] = conf_ext("subjectKeyIdentifier", "0a0b0c0d");
	req = req_make(k.ec256, EVP_sha256(), "a.test", ext, 5, 1);
	assert_int_equal(check_names(req, order, 1, &prob), 0);
	X509_REQ_free(req);
}

/*
 * Issue #12 item 9: any other requested extension, or one of the allowed
 * ones asking for more than the profile gives, is badCSR naming it.
 */
static void
test_csr_refused_extensions_badcsr(void **state)
{
	static const char *const refused[][3] = {
		/* name, value, a word the detail must hold */
		{ "tlsfeature", "status_request", "1.3.6.1.5.5.7.1.24" },
		{ "tlsfeature", "status_request", "Must-Staple" },
		{ "basicConstraints", "critical,CA:TRUE", "CA:TRUE" },
		{ "basicConstraints", "critical,CA:TRUE,pathlen:0", "CA:TRUE" },
		{ "basicConstraints", "CA:FALSE,pathlen:1", "pathLen" },
		{ "extendedKeyUsage", "codeSigning", "codeSigning" },
		{ "extendedKeyUsage", "serverAuth,anyExtendedKeyUsage",
		    "anyExtendedKeyUsage" },
		{ "extendedKeyUsage", "serverAuth,1.2.3.4.5", "1.2.3.4.5" },
		{ "keyUsage", "critical,digitalSignature,keyCertSign",
		    "keyCertSign" },
		{ "keyUsage", "cRLSign", "cRLSign" },
		{ "nameConstraints", "critical,permitted;DNS:a.test",
		    "nameConstraints" },
		{ "authorityInfoAccess", "OCSP;URI:http://evil.test/",
		    "authorityInfoAccess" },
		{ "1.2.3.4.5.6.7", "critical,DER:05:00", "1.2.3.4.5.6.7" },
		{ "1.3.6.1.4.1.11129.2.4.3", "critical,DER:05:00",
		    "1.3.6.1.4.1.11129.2.4.3" },	/* CT poison */
	};
	const struct san	 s[] = { { GEN_DNS, "a.test", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[2];
	X509_REQ		*req;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ext[0] = san_ext(s, 1);
		ext[1] = conf_ext(refused[i][0], refused[i][1]);
		req = req_make(k.ec256, EVP_sha256(), NULL, ext, 2, 1);
		if (check_names(req, order, 1, &prob) != -1)
			fail_msg("%s=%s accepted", refused[i][0],
			    refused[i][1]);
		assert_int_equal(prob.type, ACME_P_BADCSR);
		if (strstr(prob.detail, refused[i][2]) == NULL)
			fail_msg("%s=%s: detail \"%s\" does not name %s",
			    refused[i][0], refused[i][1], prob.detail,
			    refused[i][2]);
		X509_REQ_free(req);
	}
	/* a refused extension is refused whatever else the CSR holds */
	ext[0] = conf_ext("tlsfeature", "status_request");
	req = req_make(k.ec256, EVP_sha256(), "a.test", ext, 1, 1);
	assert_int_equal(check_names(req, order, 1, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	X509_REQ_free(req);
}

/*
 * RFC 7633: with a responder (acme_csr_check_staple, staple != NULL) a
 * TLS Feature of status_request is allowed and reported; another
 * feature is still badCSR; without one, badCSR naming --ocsp (F27).
 */
static void
test_csr_must_staple_only_with_responder(void **state)
{
	const struct san	 s[] = { { GEN_DNS, "a.test", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_identifier	 ids[1];
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[2];
	X509_REQ		*req, *got;
	EVP_PKEY		*key;
	bool			 staple;

	(void)state;
	ext[0] = san_ext(s, 1);
	ext[1] = conf_ext("tlsfeature", "status_request");
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 2, 1);
	memset(&prob, 0, sizeof(prob));
	got = wire(req, &prob);
	assert_non_null(got);
	key = acme_csr_pubkey(got);
	idents(order, 1, ids);
	staple = false;
	if (acme_csr_check_staple(got, key, ids, 1, NULL, 0, &staple,
	    &prob) != 0)
		fail_msg("refused: %s", prob.detail);
	assert_true(staple);
	assert_int_equal(acme_csr_check_staple(got, key, ids, 1, NULL, 0,
	    NULL, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_non_null(strstr(prob.detail, "--ocsp"));
	EVP_PKEY_free(key);
	X509_REQ_free(got);
	X509_REQ_free(req);
	/* status_request_v2 (17) is no feature we carry */
	ext[0] = san_ext(s, 1);
	ext[1] = conf_ext("tlsfeature", "status_request,status_request_v2");
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 2, 1);
	got = wire(req, &prob);
	assert_non_null(got);
	key = acme_csr_pubkey(got);
	staple = false;
	assert_int_equal(acme_csr_check_staple(got, key, ids, 1, NULL, 0,
	    &staple, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_false(staple);
	EVP_PKEY_free(key);
	X509_REQ_free(got);
	X509_REQ_free(req);
	/* no TLS Feature: accepted, staple stays false */
	ext[0] = san_ext(s, 1);
	req = req_make(k.ec256, EVP_sha256(), NULL, ext, 1, 1);
	got = wire(req, &prob);
	key = acme_csr_pubkey(got);
	assert_int_equal(acme_csr_check_staple(got, key, ids, 1, NULL, 0,
	    &staple, &prob), 0);
	assert_false(staple);
	EVP_PKEY_free(key);
	X509_REQ_free(got);
	X509_REQ_free(req);
}

/* An allowed extension whose value is not what its OID says: badCSR. */
static void
test_csr_undecodable_allowed_extension_badcsr(void **state)
{
	static const char *const broken[] = {
		"2.5.29.15", "2.5.29.37", "2.5.29.19", "2.5.29.14" };
	const struct san	 s[] = { { GEN_DNS, "a.test", 0 } };
	const char *const	 order[] = { "a.test" };
	struct acme_problem	 prob;
	X509_EXTENSION		*ext[2];
	X509_REQ		*req;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		ext[0] = san_ext(s, 1);
		/* an INTEGER where a BIT STRING, SEQUENCE or OCTET STRING is */
		ext[1] = conf_ext(broken[i], "DER:02:01:05");
		req = req_make(k.ec256, EVP_sha256(), NULL, ext, 2, 1);
		assert_int_equal(check_names(req, order, 1, &prob), -1);
		assert_int_equal(prob.type, ACME_P_BADCSR);
		X509_REQ_free(req);
	}
}

/* RFC 2986 §4.1: version 0 (v1); the detail says what was found. */
static void
test_csr_version_badcsr(void **state)
{
	const char *const	 names[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req;
	unsigned char		*der;
	size_t			 len, i;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
	der = der_of(req, &len);
	/* SEQUENCE { SEQUENCE { INTEGER 0 ...: the first 02 01 00 */
	for (i = 0; i + 3 <= len && memcmp(der + i, "\x02\x01\x00", 3) != 0;
	    i++)
		;
	assert_true(i < 12);
	der[i + 2] = 0x02;
	memset(&prob, 0, sizeof(prob));
	assert_null(decode_der(der, len, &prob));
	assert_int_equal(prob.type, ACME_P_BADCSR);
	if (strstr(prob.detail, "version is 2") == NULL ||
	    strstr(prob.detail, "expected 0") == NULL)
		fail_msg("detail: %s", prob.detail);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* HARDENING F17: not base64url -> malformed. */
static void
test_csr_not_base64url_malformed(void **state)
{
	const char *const	 names[] = { "a.test" };
	struct acme_problem	 prob;
	X509_REQ		*req;
	char			*b64, *padded;

	(void)state;
	assert_null(acme_csr_decode("-----BEGIN CERTIFICATE REQUEST-----",
	    &prob));
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_null(acme_csr_decode("", &prob));
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_null(acme_csr_decode("MIIB+w==", &prob));
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	assert_non_null(req = tu_csr_make(k.ec256, names, 1, NULL));
	assert_non_null(b64 = tu_csr_b64url(req));
	assert_non_null(padded = malloc(strlen(b64) + 3));
	strcpy(padded, b64);
	strcat(padded, "==");
	assert_null(acme_csr_decode(padded, &prob));
	assert_int_equal(prob.type, ACME_P_MALFORMED);
	free(padded);
	free(b64);
	X509_REQ_free(req);
}

/* Garbage that is base64url but not a CSR -> badCSR. */
static void
test_csr_garbage_der_badcsr(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct acme_problem prob;

	(void)state;
	assert_null(decode_der(junk, sizeof(junk), &prob));
	assert_int_equal(prob.type, ACME_P_BADCSR);
}

/* Size cap (HARDENING F24): larger than 16 KiB -> badCSR. */
static void
test_csr_oversized_badcsr(void **state)
{
	struct acme_problem	 prob;
	char			*big;
	size_t			 n = acme_b64url_enclen(ACME_CSR_MAX) + 4;

	(void)state;
	assert_non_null(big = malloc(n + 1));
	memset(big, 'A', n);
	big[n] = '\0';
	assert_null(acme_csr_decode(big, &prob));
	assert_int_equal(prob.type, ACME_P_BADCSR);
	free(big);
}

/* `localacme issue --csr`: SANs plus a CN that is not a SAN. */
static void
test_csr_names_union_sorted(void **state)
{
	const char *const	 names[] = { "b.test", "10.0.0.1", "B.test" };
	struct acme_identifier	*ids = NULL;
	struct acme_problem	 prob;
	X509_REQ		*req;
	size_t			 n = 0;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, names, 3, "a.test"));
	assert_int_equal(acme_csr_names(req, &ids, &n, &prob), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0].value, "a.test");
	assert_string_equal(ids[1].value, "b.test");
	assert_string_equal(ids[2].value, "10.0.0.1");
	free(ids);
	X509_REQ_free(req);
}

/* `localacme issue --csr` with an IP address in the CN (uacme's CSRs). */
static void
test_csr_names_ip_cn(void **state)
{
	struct acme_identifier	*ids = NULL;
	struct acme_problem	 prob;
	X509_REQ		*req;
	size_t			 n = 0;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, NULL, 0, "127.0.0.1"));
	assert_int_equal(acme_csr_names(req, &ids, &n, &prob), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0].type, ACME_IDENT_IP);
	assert_string_equal(ids[0].value, "127.0.0.1");
	free(ids);
	X509_REQ_free(req);
}

static void
test_csr_names_none_badcsr(void **state)
{
	struct acme_identifier	*ids = NULL;
	struct acme_problem	 prob;
	X509_REQ		*req;
	size_t			 n = 0;

	(void)state;
	assert_non_null(req = tu_csr_make(k.ec256, NULL, 0, NULL));
	assert_int_equal(acme_csr_names(req, &ids, &n, &prob), -1);
	assert_int_equal(prob.type, ACME_P_BADCSR);
	assert_null(ids);
	X509_REQ_free(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csr_names_cases),
		cmocka_unit_test(test_csr_extra_san_badcsr),
		cmocka_unit_test(test_csr_missing_san_badcsr),
		cmocka_unit_test(test_csr_email_san_badcsr),
		cmocka_unit_test(test_csr_uri_san_badcsr),
		cmocka_unit_test(test_csr_bad_signature_badcsr),
		cmocka_unit_test(test_csr_tampered_body_badcsr),
		cmocka_unit_test(test_csr_sha1_signature_badcsr),
		cmocka_unit_test(test_csr_key_cases),
		cmocka_unit_test(test_csr_key_policy_allowed_keys_ok),
		cmocka_unit_test(test_csr_weak_keys_knob_rsa1024_p521_only_while_on),
		cmocka_unit_test(test_csr_ec_key_copies_are_the_csr_key),
		cmocka_unit_test(test_csr_account_key_badcsr),
		cmocka_unit_test(test_csr_trailing_bytes_badcsr),
		cmocka_unit_test(test_csr_ber_lengths_badcsr),
		cmocka_unit_test(test_csr_indefinite_length_badcsr),
		cmocka_unit_test(test_csr_nul_in_san_badcsr),
		cmocka_unit_test(test_csr_quote_newline_in_san_badcsr),
		cmocka_unit_test(test_csr_two_san_extensions_badcsr),
		cmocka_unit_test(test_csr_two_ext_requests_badcsr),
		cmocka_unit_test(test_csr_too_many_sans_badcsr),
		cmocka_unit_test(test_csr_allowed_extensions_accepted),
		cmocka_unit_test(test_csr_refused_extensions_badcsr),
		cmocka_unit_test(test_csr_must_staple_only_with_responder),
		cmocka_unit_test(test_csr_undecodable_allowed_extension_badcsr),
		cmocka_unit_test(test_csr_version_badcsr),
		cmocka_unit_test(test_csr_not_base64url_malformed),
		cmocka_unit_test(test_csr_garbage_der_badcsr),
		cmocka_unit_test(test_csr_oversized_badcsr),
		cmocka_unit_test(test_csr_names_union_sorted),
		cmocka_unit_test(test_csr_names_ip_cn),
		cmocka_unit_test(test_csr_names_none_badcsr),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
