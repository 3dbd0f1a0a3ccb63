/* test_crl.c - src/crl/crl.c and ca_sign_crl: CRL contents (RFC 5280 §5), verification, the publisher */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "ca.h"
#include "crl.h"
#include "keys.h"
#include "ra.h"
#include "testutil.h"

struct fx {
	char		 dir[64];
	char		 db[PATH_MAX];
	struct ca	*ca;
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 err[256];
	bool		 created;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_crl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/localacme.db", f->dir);
	f->ca = ca_open(f->dir, true, NULL, &created, err, sizeof(err));
	if (f->ca == NULL)
		fprintf(stderr, "ca_open: %s\n", err);
	assert_non_null(f->ca);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	DIR		*d;
	struct dirent	*e;
	char		 p[PATH_MAX];

	ca_free(f->ca);
	if ((d = opendir(f->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A leaf with serial `serial` from the CA (issued through ca_sign_leaf). */
static X509 *
leaf(struct fx *f, const char *serial)
{
	struct ca_leaf_req	 r;
	struct acme_identifier	 id;
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x = NULL;

	memset(&r, 0, sizeof(r));
	memset(&id, 0, sizeof(id));
	id.type = ACME_IDENT_DNS;
	snprintf(id.value, sizeof(id.value), "crl.test");
	r.pubkey = k;
	r.idents = &id;
	r.nident = 1;
	r.lifetime = 10 * 86400;
	r.serial = serial;
	r.crl_url = "https://localhost:8555/crl/intermediate.crl";
	assert_int_equal(ca_sign_leaf(f->ca, &r, &x, NULL), 0);
	EVP_PKEY_free(k);
	return x;
}

static int
verify_with_crl(struct fx *f, X509 *x, X509_CRL *crl)
{
	X509_STORE	*s = X509_STORE_new();
	X509_STORE_CTX	*ctx = X509_STORE_CTX_new();
	STACK_OF(X509)	*chain = sk_X509_new_null();
	int		 err;

	assert_int_equal(X509_STORE_add_cert(s, ca_root_cert(f->ca)), 1);
	assert_int_equal(X509_STORE_add_crl(s, crl), 1);
	X509_STORE_set_flags(s, X509_V_FLAG_CRL_CHECK);
	sk_X509_push(chain, ca_intermediate_cert(f->ca));
	assert_int_equal(X509_STORE_CTX_init(ctx, s, x, chain), 1);
	(void)X509_verify_cert(ctx);
	err = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	sk_X509_free(chain);
	X509_STORE_free(s);
	return err;
}

static void
test_crl_contents_follow_rfc5280(void **state)
{
	struct fx		*f = *state;
	struct crl_entry	 e[2];
	X509_CRL		*crl;
	ASN1_INTEGER		*num;
	AUTHORITY_KEYID		*aki;
	const char		*signer = NULL;
	time_t			 now = time(NULL);
	STACK_OF(X509_REVOKED)	*rev;
	ASN1_ENUMERATED		*reason;

	memset(e, 0, sizeof(e));
	snprintf(e[0].serial, sizeof(e[0].serial), "0badc0de");
	e[0].revoked_at = now - 10;
	e[0].reason = 1;	/* keyCompromise */
	snprintf(e[1].serial, sizeof(e[1].serial), "01");
	e[1].revoked_at = now - 5;
	assert_non_null(crl = crl_build(f->ca, e, 2, 7, now, now + 3600,
	    &signer));
	assert_ptr_equal(signer, ca_chain_pem(f->ca));
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(ca_intermediate_cert(f->ca))), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl),
	    now), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl),
	    now + 3600), 0);
	assert_non_null(num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL,
	    NULL));
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	ASN1_INTEGER_free(num);
	assert_non_null(aki = X509_CRL_get_ext_d2i(crl,
	    NID_authority_key_identifier, NULL, NULL));
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid,
	    X509_get0_subject_key_id(ca_intermediate_cert(f->ca))), 0);
	AUTHORITY_KEYID_free(aki);
	assert_int_equal(X509_CRL_verify(crl,
	    X509_get0_pubkey(ca_intermediate_cert(f->ca))), 1);
	rev = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(rev), 2);
	/* Sorted by serial: 01 first, without a reason (unspecified). */
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
	    sk_X509_REVOKED_value(rev, 0))), 1);
	assert_null(X509_REVOKED_get_ext_d2i(sk_X509_REVOKED_value(rev, 0),
	    NID_crl_reason, NULL, NULL));
	assert_non_null(reason = X509_REVOKED_get_ext_d2i(
	    sk_X509_REVOKED_value(rev, 1), NID_crl_reason, NULL, NULL));
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	ASN1_ENUMERATED_free(reason);
	X509_CRL_free(crl);
}

static void
test_crl_next_update_not_after_this_update_fails(void **state)
{
	struct fx *f = *state;

	assert_null(crl_build(f->ca, NULL, 0, 1, 100, 100, NULL));
}

static void
test_crl_revoked_leaf_fails_verification(void **state)
{
	struct fx		*f = *state;
	struct crl_entry	 e;
	char			 s1[ACME_SERIAL_SIZE], s2[ACME_SERIAL_SIZE];
	X509			*bad, *good;
	X509_CRL		*crl;
	time_t			 now = time(NULL);

	assert_int_equal(ca_new_serial(s1), 0);
	assert_int_equal(ca_new_serial(s2), 0);
	bad = leaf(f, s1);
	good = leaf(f, s2);
	memset(&e, 0, sizeof(e));
	snprintf(e.serial, sizeof(e.serial), "%s", s1);
	e.revoked_at = now - 1;
	assert_non_null(crl = crl_build(f->ca, &e, 1, 1, now - 1, now + 3600,
	    NULL));
	assert_int_equal(verify_with_crl(f, bad, crl), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(verify_with_crl(f, good, crl), X509_V_OK);
	X509_CRL_free(crl);
	X509_free(bad);
	X509_free(good);
}

static void
test_crl_leaf_carries_distribution_point(void **state)
{
	struct fx	*f = *state;
	char		 s[ACME_SERIAL_SIZE];
	X509		*x;
	CRL_DIST_POINTS	*dps;
	GENERAL_NAME	*gn;

	assert_int_equal(ca_new_serial(s), 0);
	x = leaf(f, s);
	assert_non_null(dps = X509_get_ext_d2i(x, NID_crl_distribution_points,
	    NULL, NULL));
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->
	    name.fullname, 0);
	assert_int_equal(gn->type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(
	    gn->d.uniformResourceIdentifier),
	    "https://localhost:8555/crl/intermediate.crl");
	CRL_DIST_POINTS_free(dps);
	X509_free(x);
}

/* Record leaf x in the store as the CA issued it. */
static void
record(struct store *st, struct fx *f, X509 *x, const char *serial)
{
	struct acme_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	c.names = "crl.test";
	assert_non_null(c.pem = keys_cert_pem(x));
	c.chain_pem = (char *)ca_chain_pem(f->ca);
	c.not_before = time(NULL) - 60;
	c.not_after = time(NULL) + 86400;
	assert_int_equal(store_serial_reserve(st, serial, NULL), STORE_OK);
	assert_int_equal(store_cert_insert(st, &c), STORE_OK);
	free(c.pem);
}

static X509_CRL *
current(struct crl *c)
{
	unsigned char		*der;
	const unsigned char	*p;
	size_t			 len;
	X509_CRL		*crl;

	assert_non_null(der = crl_current_der(c, &len));
	p = der;
	assert_non_null(crl = d2i_X509_CRL(NULL, &p, (long)len));
	free(der);
	return crl;
}

static void
test_crl_publisher_follows_revocations(void **state)
{
	struct fx	*f = *state;
	struct crl_opts	 o;
	struct ra_opts	 ro;
	struct ra	*ra;
	struct crl	*c;
	struct store	*st;
	X509		*x;
	X509_CRL	*crl;
	ASN1_INTEGER	*n1, *n2;
	char		 s[ACME_SERIAL_SIZE], err[256];
	bool		 refreshed = true;

	/* The publisher reads through the RA; st is another process's. */
	memset(&ro, 0, sizeof(ro));
	ro.db_path = f->db;
	assert_non_null(ra = ra_new(&ro, f->ca, NULL, err, sizeof(err)));
	assert_non_null(st = store_open(f->db, err, sizeof(err)));
	memset(&o, 0, sizeof(o));
	o.period_s = 3600;
	assert_non_null(c = crl_new(&o, ra, f->ca, err, sizeof(err)));
	crl = current(c);
	/* No revokedCertificates at all: OpenSSL's stack is NULL (-1). */
	assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) <= 0);
	n1 = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	X509_CRL_free(crl);

	/* Nothing changed: no new CRL. */
	assert_int_equal(crl_maybe_refresh(c, time(NULL), &refreshed), 0);
	assert_false(refreshed);

	assert_int_equal(ca_new_serial(s), 0);
	x = leaf(f, s);
	record(st, f, x, s);
	assert_int_equal(store_cert_revoke(st, s, 0, time(NULL)), STORE_OK);
	assert_int_equal(crl_maybe_refresh(c, time(NULL), &refreshed), 0);
	assert_true(refreshed);
	crl = current(c);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	assert_int_equal(verify_with_crl(f, x, crl), X509_V_ERR_CERT_REVOKED);
	n2 = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_true(ASN1_INTEGER_cmp(n2, n1) > 0);

	/* Half the period later it is rebuilt even without a change. */
	assert_int_equal(crl_maybe_refresh(c, time(NULL) + 1800, &refreshed),
	    0);
	assert_true(refreshed);

	ASN1_INTEGER_free(n1);
	ASN1_INTEGER_free(n2);
	X509_CRL_free(crl);
	X509_free(x);
	crl_free(c);
	store_close(st);
	ra_free(ra);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_crl_contents_follow_rfc5280),
		T(test_crl_next_update_not_after_this_update_fails),
		T(test_crl_revoked_leaf_fails_verification),
		T(test_crl_leaf_carries_distribution_point),
		T(test_crl_publisher_follows_revocations),
#undef T
	};

	return cmocka_run_group_tests_name("crl", tests, NULL, NULL);
}
