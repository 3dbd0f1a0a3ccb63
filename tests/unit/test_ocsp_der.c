/* test_ocsp_der.c - OCSP request parsing and response building (RFC 6960), with the CA's delegated signer */
/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "testutil.h"
#include "ocsp_der.h"

struct fx {
	char		 dir[64];
	struct ca	*ca;
	X509		*signer, *issuer;
	EVP_PKEY	*key;
	const char	*ipem;
};


static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 err[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ocsp.XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    (f->ca = ca_open(f->dir, true, NULL, NULL, err, sizeof(err))) ==
	    NULL || ca_ocsp_signer(f->ca, time(NULL), &f->signer, &f->key,
	    &f->issuer, &f->ipem) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	X509_free(f->signer);
	EVP_PKEY_free(f->key);
	ca_free(f->ca);
	tu_rmrf(f->dir);
	free(f);
	return 0;
}

/* A DER OCSPRequest for serial (hex) of issuer, hashed with md, with a nonce. */
static unsigned char *
make_req(X509 *issuer, const char *hex, const EVP_MD *md, int ncerts,
    bool nonce, size_t *len)
{
	OCSP_REQUEST	*req = OCSP_REQUEST_new();
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai;
	unsigned char	*der = NULL;
	int		 n;

	BN_hex2bn(&bn, hex);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	for (int i = 0; i < ncerts; i++) {
		OCSP_CERTID *id = OCSP_cert_id_new(md,
		    X509_get_subject_name(issuer),
		    X509_get0_pubkey_bitstr(issuer), ai);

		assert_non_null(OCSP_request_add0_id(req, id));
	}
	if (nonce)
		assert_int_equal(OCSP_request_add1_nonce(req, NULL, 16), 1);
	n = i2d_OCSP_REQUEST(req, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	OCSP_REQUEST_free(req);
	return der;
}

static OCSP_BASICRESP *
parse_resp(const unsigned char *der, size_t len, int *status)
{
	const unsigned char	*p = der;
	OCSP_RESPONSE		*r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP		*bs;

	assert_non_null(r);
	*status = OCSP_response_status(r);
	bs = OCSP_response_get1_basic(r);
	OCSP_RESPONSE_free(r);
	return bs;
}

static void
test_ocsp_der_request_one_certid_parsed(void **state)
{
	struct fx		*f = *state;
	struct ocsp_query	 q;
	unsigned char		*der;
	size_t			 len;
	char			 err[256];

	der = make_req(f->issuer, "01AB00CD", EVP_sha1(), 1, true, &len);
	assert_int_equal(ocsp_query_parse(der, len, &q, err, sizeof(err)), 0);
	assert_string_equal(q.serial, "01ab00cd");
	assert_true(ocsp_query_issuer_is(&q, f->issuer));
	assert_false(ocsp_query_issuer_is(&q, ca_root_cert(f->ca)));
	ocsp_query_clear(&q);
	OPENSSL_free(der);
	/* SHA-256 CertIDs name the same issuer (§4.1.1: any hash). */
	der = make_req(f->issuer, "05", EVP_sha256(), 1, false, &len);
	assert_int_equal(ocsp_query_parse(der, len, &q, err, sizeof(err)), 0);
	assert_true(ocsp_query_issuer_is(&q, f->issuer));
	ocsp_query_clear(&q);
	OPENSSL_free(der);
}

static void
test_ocsp_der_malformed_requests_refused(void **state)
{
	struct fx		*f = *state;
	struct ocsp_query	 q;
	unsigned char		*der, *buf;
	size_t			 len;
	char			 err[256];

	/* Not DER, empty, too large. */
	assert_int_equal(ocsp_query_parse((const unsigned char *)"junk", 4, &q,
	    err, sizeof(err)), -1);
	assert_int_equal(ocsp_query_parse(NULL, 0, &q, err, sizeof(err)), -1);
	buf = calloc(1, OCSP_REQUEST_MAX + 1);
	assert_int_equal(ocsp_query_parse(buf, OCSP_REQUEST_MAX + 1, &q, err,
	    sizeof(err)), -1);
	free(buf);
	/* Two CertIDs, and none. */
	der = make_req(f->issuer, "05", EVP_sha1(), 2, false, &len);
	assert_int_equal(ocsp_query_parse(der, len, &q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "2 certificates"));
	OPENSSL_free(der);
	der = make_req(f->issuer, "05", EVP_sha1(), 0, false, &len);
	assert_int_equal(ocsp_query_parse(der, len, &q, err, sizeof(err)), -1);
	OPENSSL_free(der);
	/* Trailing bytes, and each truncation. */
	der = make_req(f->issuer, "05", EVP_sha1(), 1, true, &len);
	buf = malloc(len + 1);
	memcpy(buf, der, len);
	buf[len] = 0;
	assert_int_equal(ocsp_query_parse(buf, len + 1, &q, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "after its end"));
	for (size_t n = 1; n < len; n++)
		assert_int_equal(ocsp_query_parse(buf, n, &q, err, sizeof(err)),
		    -1);
	free(buf);
	OPENSSL_free(der);
	assert_null(q.req);	/* cleared on failure */
}

/*
 * Decodes but is not DER: refused, because the response must repeat the
 * CertID (RFC 6960 §4.2.1). (a) the outer length in long form; (b) the
 * fuzzer's finding, a hash AlgorithmIdentifier whose parameters carry
 * tag 0x20, which OpenSSL decodes and then cannot encode.
 */
static void
test_ocsp_der_non_der_refused(void **state)
{
	static const unsigned char finding[] = {
		0x30, 0x7b, 0x30, 0x79, 0x30, 0x52, 0x30, 0x50, 0x30, 0x4e,
		0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x20,
		0x00, 0x04, 0x14, 0x42, 0x4e, 0xf3, 0x36, 0x6d, 0x8b, 0x17,
		0xe4, 0xf9, 0x86, 0x5e, 0xa7, 0x84, 0x9f, 0xe1, 0x02, 0xba,
		0xd1, 0xa8, 0x2e, 0x04, 0x14, 0xa0, 0x50, 0xe8, 0x57, 0xb9,
		0x80, 0x60, 0x5c, 0xfd, 0xad, 0xab, 0x30, 0x5e, 0xc8, 0xc2,
		0x7b, 0x7f, 0xa0, 0xf1, 0xd7, 0x02, 0x15, 0x01, 0x02, 0x03,
		0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
		0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0xa2, 0x23,
		0x30, 0x21, 0x30, 0x1f, 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
		0x05, 0x07, 0x30, 0x01, 0x02, 0x04, 0x12, 0x04, 0x10, 0x07,
		0x24, 0xa7, 0x07, 0x5e, 0x9e, 0xb8, 0xfb, 0x30, 0x0c, 0xfb,
		0xcb, 0x09, 0xa8, 0xf9, 0xdc,
	};
	struct fx		*f = *state;
	struct ocsp_query	 q;
	unsigned char		*der, *ber;
	size_t			 len;
	char			 err[256];

	der = make_req(f->issuer, "05", EVP_sha1(), 1, false, &len);
	assert_true(len >= 4 && len - 2 < 128 && der[0] == 0x30);
	/* The DER form parses; the same with "81 len" as its length not. */
	assert_int_equal(ocsp_query_parse(der, len, &q, err, sizeof(err)), 0);
	ocsp_query_clear(&q);
	ber = malloc(len + 1);
	ber[0] = 0x30;
	ber[1] = 0x81;
	memcpy(ber + 2, der + 1, len - 1);
	assert_int_equal(ocsp_query_parse(ber, len + 1, &q, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "not DER"));
	assert_null(q.req);
	free(ber);
	OPENSSL_free(der);
	assert_int_equal(ocsp_query_parse(finding, sizeof(finding), &q, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not DER"));
	assert_null(q.req);
}

/* A serial no leaf of ours can have: parsed, serial "" (answered unknown). */
static void
test_ocsp_der_oversized_serial_is_empty(void **state)
{
	struct fx		*f = *state;
	struct ocsp_query	 q;
	unsigned char		*der;
	size_t			 len;
	char			 err[256];

	der = make_req(f->issuer, "0102030405060708090a0b0c0d0e0f101112131415",
	    EVP_sha1(), 1, false, &len);
	assert_int_equal(ocsp_query_parse(der, len, &q, err, sizeof(err)), 0);
	assert_string_equal(q.serial, "");
	ocsp_query_clear(&q);
	OPENSSL_free(der);
}

/* Build, then read back with OpenSSL's own verifier (§4.2.2.2). */
static void
check_answer(struct fx *f, const struct ocsp_answer *a, int want_status,
    int want_reason)
{
	struct ocsp_query	 q;
	OCSP_BASICRESP		*bs;
	OCSP_CERTID		*id;
	X509_STORE		*store = X509_STORE_new();
	STACK_OF(X509)		*other = sk_X509_new_null();
	ASN1_GENERALIZEDTIME	*rev = NULL, *thisu = NULL, *nextu = NULL;
	unsigned char		*der, *resp = NULL;
	size_t			 len, rlen = 0;
	int			 st, status, reason = -2;
	char			 err[256];

	der = make_req(f->issuer, "7f00ff", EVP_sha1(), 1, true, &len);
	assert_int_equal(ocsp_query_parse(der, len, &q, err, sizeof(err)), 0);
	assert_int_equal(ocsp_response_build(&q, a, f->signer, f->key, &resp,
	    &rlen), 0);
	bs = parse_resp(resp, rlen, &st);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs);
	/* Signed by the delegated signer, which chains to our root. */
	X509_STORE_add_cert(store, ca_root_cert(f->ca));
	sk_X509_push(other, f->issuer);
	assert_int_equal(OCSP_basic_verify(bs, other, store, 0), 1);
	assert_int_equal(OCSP_check_nonce(q.req, bs), 1);
	id = OCSP_CERTID_dup(q.id);
	assert_int_equal(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisu, &nextu), 1);
	assert_int_equal(status, want_status);
	if (want_status == V_OCSP_CERTSTATUS_REVOKED)
		assert_int_equal(reason, want_reason);
	assert_non_null(thisu);
	assert_non_null(nextu);
	assert_int_equal(OCSP_check_validity(thisu, nextu, 300, -1), 1);
	if (want_status == V_OCSP_CERTSTATUS_REVOKED)
		assert_non_null(rev);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(resp);
	OPENSSL_free(der);
	sk_X509_free(other);
	X509_STORE_free(store);
	ocsp_query_clear(&q);
}

static void
test_ocsp_der_good_revoked_unknown_verify(void **state)
{
	struct fx		*f = *state;
	struct ocsp_answer	 a = { 0 };
	time_t			 now = time(NULL);

	a.this_update = now;
	a.next_update = now + 3600;
	a.state = OCSP_STATE_GOOD;
	check_answer(f, &a, V_OCSP_CERTSTATUS_GOOD, -1);
	a.state = OCSP_STATE_UNKNOWN;
	check_answer(f, &a, V_OCSP_CERTSTATUS_UNKNOWN, -1);
	a.state = OCSP_STATE_REVOKED;
	a.revoked_at = now - 60;
	a.reason = 1;	/* keyCompromise */
	check_answer(f, &a, V_OCSP_CERTSTATUS_REVOKED, 1);
	a.reason = 0;	/* unspecified: still said */
	check_answer(f, &a, V_OCSP_CERTSTATUS_REVOKED, 0);
}

static void
test_ocsp_der_error_response_has_no_body(void **state)
{
	unsigned char	*der = NULL;
	size_t		 len = 0;
	int		 st;

	(void)state;
	assert_int_equal(ocsp_response_error(
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, &der, &len), 0);
	assert_null(parse_resp(der, len, &st));
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OPENSSL_free(der);
}

/* The signer: OCSPSigning, ocsp-nocheck, issued by the intermediate, kept. */
static void
test_ocsp_der_signer_profile_and_reuse(void **state)
{
	struct fx	*f = *state;
	X509		*again, *issuer;
	EVP_PKEY	*key;
	const char	*ipem;
	char		 path[PATH_MAX];

	assert_true(X509_get_extended_key_usage(f->signer) == XKU_OCSP_SIGN);
	assert_true(X509_get_ext_by_NID(f->signer, NID_id_pkix_OCSP_noCheck,
	    -1) >= 0);
	assert_int_equal(X509_check_issued(f->issuer, f->signer), X509_V_OK);
	assert_ptr_equal(f->issuer, ca_intermediate_cert(f->ca));
	assert_true(ca_asn1_to_time(X509_get0_notAfter(f->signer)) -
	    ca_asn1_to_time(X509_get0_notBefore(f->signer)) <=
	    (time_t)CA_OCSP_SIGNER_DAYS * 86400);
	snprintf(path, sizeof(path), "%s/ocsp-signer.pem", f->dir);
	assert_int_equal(access(path, R_OK), 0);
	/* Asked again: the same signer; past half its life: a new one. */
	assert_int_equal(ca_ocsp_signer(f->ca, time(NULL), &again, &key,
	    &issuer, &ipem), 0);
	assert_int_equal(X509_cmp(again, f->signer), 0);
	X509_free(again);
	EVP_PKEY_free(key);
	assert_int_equal(ca_ocsp_signer(f->ca, time(NULL) +
	    (time_t)CA_OCSP_SIGNER_DAYS * 86400 * 3 / 4, &again, &key,
	    &issuer, &ipem), 0);
	assert_int_not_equal(X509_cmp(again, f->signer), 0);
	X509_free(again);
	EVP_PKEY_free(key);
}

/* A rotated intermediate gets its own signer (RFC 6960 §4.2.2.2). */
static void
test_ocsp_der_signer_remade_after_rotation(void **state)
{
	struct fx	*f = *state;
	X509		*again, *issuer;
	EVP_PKEY	*key;
	const char	*ipem;
	char		 err[512];
	bool		 rotated = false;

	assert_int_equal(ca_rotate(f->ca, time(NULL), true, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	assert_int_equal(ca_ocsp_signer(f->ca, time(NULL), &again, &key,
	    &issuer, &ipem), 0);
	assert_ptr_equal(issuer, ca_intermediate_cert(f->ca));
	assert_ptr_not_equal(issuer, f->issuer);
	assert_int_equal(X509_check_issued(issuer, again), X509_V_OK);
	assert_int_not_equal(X509_check_issued(f->issuer, again), X509_V_OK);
	assert_string_equal(ipem, ca_chain_pem(f->ca));
	X509_free(again);
	EVP_PKEY_free(key);
}

/* ca_sign_leaf with --ocsp: AIA OCSP URL; Must-Staple only with a URL. */
static void
test_ocsp_der_leaf_aia_and_must_staple(void **state)
{
	struct fx		*f = *state;
	struct ca_leaf_req	 req;
	struct acme_identifier	 id = { 0 };
	char			 serial[ACME_SERIAL_SIZE];
	X509			*x = NULL;
	EVP_PKEY		*k = EVP_EC_gen("P-256");
	AUTHORITY_INFO_ACCESS	*aia;
	TLS_FEATURE		*tf;
	ACCESS_DESCRIPTION	*ad;

	id.type = ACME_IDENT_DNS;
	snprintf(id.value, sizeof(id.value), "a.localhost");
	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.idents = &id;
	req.nident = 1;
	req.lifetime = 86400;
	req.serial = serial;
	req.must_staple = true;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), -1);
	req.ocsp_url = "https://localhost:8555/ocsp";
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), 0);
	aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	assert_non_null(aia);
	assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 1);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_OCSP);
	assert_string_equal((const char *)ASN1_STRING_get0_data(
	    ad->location->d.uniformResourceIdentifier), req.ocsp_url);
	tf = X509_get_ext_d2i(x, NID_tlsfeature, NULL, NULL);
	assert_non_null(tf);
	assert_int_equal(ASN1_INTEGER_get(sk_ASN1_INTEGER_value(tf, 0)), 5);
	sk_ASN1_INTEGER_pop_free(tf, ASN1_INTEGER_free);
	AUTHORITY_INFO_ACCESS_free(aia);
	X509_free(x);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_request_one_certid_parsed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_malformed_requests_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_non_der_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_oversized_serial_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_good_revoked_unknown_verify, setup, teardown),
		cmocka_unit_test(test_ocsp_der_error_response_has_no_body),
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_signer_profile_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_leaf_aia_and_must_staple, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ocsp_der_signer_remade_after_rotation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
