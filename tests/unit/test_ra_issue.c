/* test_ra_issue.c - the RA's issuance cycle outside orders and certificate records (docs/HARDENING.md §4 crash-safe order) */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/ident.h"
#include "acme/problem.h"
#include "store/store.h"
#include "ca.h"
#include "keys.h"
#include "ra.h"
#include "ra_internal.h"	/* ra_cert_record */

struct fixture {
	char		 dir[64];
	struct ca	*ca;
	struct ra	*ra;		/* its own connection, group commit */
	struct store	*st;		/* the test's own connection */
	EVP_PKEY	*key;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	struct ra_opts	 ro;
	char		 err[256], db[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ra_issue.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->ca = ca_open(f->dir, true, NULL, NULL, err, sizeof(err));
	assert_non_null(f->ca);
	snprintf(db, sizeof(db), "%s/localacme.db", f->dir);
	memset(&ro, 0, sizeof(ro));
	ro.db_path = db;
	f->ra = ra_new(&ro, f->ca, ca_policy(f->ca), err, sizeof(err));
	assert_non_null(f->ra);
	f->st = store_open(db, err, sizeof(err));
	assert_non_null(f->st);
	f->key = keys_generate(KEYS_EC256, err, sizeof(err));
	assert_non_null(f->key);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	store_close(f->st);
	ra_free(f->ra);
	ca_free(f->ca);
	EVP_PKEY_free(f->key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
idents(struct acme_identifier *ids, size_t *n, const char *a, const char *b)
{
	struct acme_problem prob;

	*n = 0;
	assert_int_equal(acme_ident_from_cli(a, &ids[(*n)++], NULL, &prob), 0);
	if (b != NULL)
		assert_int_equal(acme_ident_from_cli(b, &ids[(*n)++], NULL,
		    &prob), 0);
}

static X509 *
issue(struct fixture *f, struct acme_identifier *ids, size_t n,
    char serial[ACME_SERIAL_SIZE])
{
	struct ca_leaf_req	 req;
	const char		*chain = NULL;
	X509			*leaf = NULL;
	char			 err[256];

	memset(&req, 0, sizeof(req));
	req.pubkey = f->key;
	req.idents = ids;
	req.nident = n;
	req.lifetime = 30 * 86400;
	assert_int_equal(ra_issue(f->ra, &req, serial, "cli", &leaf, &chain,
	    err, sizeof(err)), 0);
	assert_string_equal(req.serial, serial);
	assert_non_null(leaf);
	assert_string_equal(chain, ca_chain_pem(f->ca));
	return leaf;
}

/* The certificate is in the store, byte for byte, before the caller sees it. */
static void
test_ra_issue_records_the_certificate(void **state)
{
	struct fixture		*f = *state;
	struct acme_identifier	 ids[2];
	struct acme_cert	 c = { 0 };
	char			 serial[ACME_SERIAL_SIZE], *pem;
	size_t			 n;
	X509			*leaf;

	idents(ids, &n, "app.test", "127.0.0.1");
	leaf = issue(f, ids, n, serial);
	assert_int_equal(store_cert_get(f->st, serial, &c), STORE_OK);
	pem = keys_cert_pem(leaf);
	assert_string_equal(c.pem, pem);
	assert_string_equal(c.chain_pem, ca_chain_pem(f->ca));
	assert_string_equal(c.names, "app.test,127.0.0.1");
	assert_string_equal(c.source, "cli");
	assert_int_equal(c.status, ACME_CERT_VALID);
	assert_true(c.not_after > c.not_before);
	free(pem);
	acme_cert_clear(&c);
	X509_free(leaf);
}

/* I3: the serial used is reserved: it can never be reserved again. */
static void
test_ra_issue_serial_is_reserved_forever(void **state)
{
	struct fixture		*f = *state;
	struct acme_identifier	 ids[1];
	char			 serial[ACME_SERIAL_SIZE];
	size_t			 n;
	X509			*leaf;

	idents(ids, &n, "localhost", NULL);
	leaf = issue(f, ids, n, serial);
	assert_int_equal(store_serial_reserve(f->st, serial, NULL),
	    STORE_CONFLICT);
	X509_free(leaf);
}

/* The hex serial is the certificate's own, as OpenSSL prints it. */
static void
test_ca_serial_hex_matches_the_certificate(void **state)
{
	struct fixture		*f = *state;
	struct acme_identifier	 ids[1];
	char			 serial[ACME_SERIAL_SIZE], hex[ACME_SERIAL_SIZE];
	char			*bnhex;
	BIGNUM			*bn;
	size_t			 n;
	X509			*leaf;

	idents(ids, &n, "localhost", NULL);
	leaf = issue(f, ids, n, serial);
	assert_int_equal(ca_serial_hex(leaf, hex), 0);
	assert_string_equal(hex, serial);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	bnhex = BN_bn2hex(bn);
	for (char *p = bnhex; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	assert_string_equal(hex, bnhex);
	OPENSSL_free(bnhex);
	BN_free(bn);
	X509_free(leaf);
}

/* key_thumbprint is SHA-256 of the SubjectPublicKeyInfo, base64url. */
static void
test_ra_cert_record_thumbprint_is_spki_sha256(void **state)
{
	struct fixture		*f = *state;
	struct acme_identifier	 ids[1];
	struct acme_cert	 c = { 0 };
	unsigned char		*der = NULL, md[32];
	char			 serial[ACME_SERIAL_SIZE], want[ACME_THUMBPRINT_SIZE];
	size_t			 n;
	int			 len;
	X509			*leaf;

	idents(ids, &n, "localhost", NULL);
	leaf = issue(f, ids, n, serial);
	assert_int_equal(ra_cert_record(leaf, "chain", ids, n, "acme", &c), 0);
	len = i2d_PUBKEY(f->key, &der);
	assert_true(len > 0);
	assert_int_equal(EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(),
	    NULL), 1);
	acme_b64url_encode_buf(md, sizeof(md), want);
	assert_string_equal(c.key_thumbprint, want);
	assert_string_equal(c.serial, serial);
	assert_string_equal(c.source, "acme");
	assert_string_equal(c.chain_pem, "chain");
	OPENSSL_free(der);
	acme_cert_clear(&c);
	X509_free(leaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_ra_issue_records_the_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ra_issue_serial_is_reserved_forever, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_ca_serial_hex_matches_the_certificate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_ra_cert_record_thumbprint_is_spki_sha256, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("ra_issue", tests, NULL, NULL);
}
