/* test_ca.c - unit tests of src/ca/ca*.c: root, intermediate and leaf profile field by field (HARDENING §5) */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
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
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "keys.h"
#include "policy.h"
#include "testutil.h"

#define D	((time_t)86400)

struct fx {
	char		 dir[64];
	struct ca	*ca;
};


static int
setup_opts(void **state, const struct ca_create_opts *opts)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 err[512];
	bool		 created = false;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ca.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->ca = ca_open(f->dir, true, opts, &created, err, sizeof(err));
	if (f->ca == NULL || !created) {
		fprintf(stderr, "ca_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_opts(state, NULL);
}

static int
setup_ec384(void **state)
{
	struct ca_create_opts o = { KEYS_EC384, NULL, NULL };

	return setup_opts(state, &o);
}

static int
setup_unconstrained(void **state)
{
	static struct policy p;
	struct ca_create_opts o = { KEYS_EC256, &p, NULL };

	policy_init_unconstrained(&p);
	return setup_opts(state, &o);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ca_free(f->ca);
	tu_rmrf(f->dir);
	free(f);
	return 0;
}

static struct acme_identifier
ident(enum acme_ident_type t, const char *v)
{
	struct acme_identifier id;

	memset(&id, 0, sizeof(id));
	id.type = t;
	snprintf(id.value, sizeof(id.value), "%s", v);
	return id;
}

/* Sign a leaf for ids with a fresh key of `kt`; asserts success. */
static X509 *
sign(struct fx *f, const struct acme_identifier *ids, size_t n,
    time_t lifetime, bool client, EVP_PKEY *key)
{
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE];
	X509			*x = NULL;
	const char		*chain = NULL;

	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = key;
	req.idents = ids;
	req.nident = n;
	req.lifetime = lifetime;
	req.client_auth = client;
	req.serial = serial;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, &chain), 0);
	assert_non_null(x);
	assert_non_null(chain);
	return x;
}

static X509 *
sign_default(struct fx *f)
{
	struct acme_identifier	 ids[2];
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x;

	ids[0] = ident(ACME_IDENT_DNS, "app.test");
	ids[1] = ident(ACME_IDENT_IP, "127.0.0.1");
	x = sign(f, ids, 2, 90 * D, false, k);
	EVP_PKEY_free(k);
	return x;
}

/* 1 critical, 0 not, -1 absent (or twice). */
static int
crit(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i < 0 || X509_get_ext_by_NID(x, nid, i) >= 0)
		return -1;
	return X509_EXTENSION_get_critical(X509_get_ext(x, i)) ? 1 : 0;
}

static time_t
t_of(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

static void
assert_serial_profile(X509 *x)
{
	BIGNUM		*bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	unsigned char	 b[32];

	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	assert_int_equal(BN_num_bytes(bn), 17);
	assert_int_equal(BN_bn2bin(bn, b), 17);
	assert_true(b[0] >= 0x01 && b[0] <= 0x7f);
	BN_free(bn);
}

static void
test_ca_root_profile_matches_hardening(void **state)
{
	struct fx		*f = *state;
	X509			*r = ca_root_cert(f->ca);
	BASIC_CONSTRAINTS	*bc;
	AUTHORITY_KEYID		*aki;

	assert_int_equal(X509_get_version(r), X509_VERSION_3);
	assert_serial_profile(r);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(r),
	    X509_get_issuer_name(r)), 0);
	assert_int_equal(crit(r, NID_basic_constraints), 1);
	bc = X509_get_ext_d2i(r, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_null(bc->pathlen);	/* pathLen would break the chain */
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(crit(r, NID_key_usage), 1);
	assert_int_equal(X509_get_key_usage(r), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(crit(r, NID_ext_key_usage), -1);	/* no EKU on roots */
	assert_int_equal(crit(r, NID_subject_key_identifier), 0);
	aki = X509_get_ext_d2i(r, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(aki);
	assert_null(aki->issuer);
	assert_null(aki->serial);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid,
	    X509_get0_subject_key_id(r)), 0);
	AUTHORITY_KEYID_free(aki);
	assert_int_equal(crit(r, NID_name_constraints), 1);
	assert_int_equal(X509_get_ext_count(r), 5);
	assert_int_equal(t_of(X509_get0_notAfter(r)) -
	    t_of(X509_get0_notBefore(r)), (time_t)CA_ROOT_DAYS * 86400);
	assert_true(t_of(X509_get0_notBefore(r)) <= time(NULL) - 3500);
	assert_int_equal(X509_get_signature_nid(r), NID_ecdsa_with_SHA256);
}

static void
test_ca_intermediate_profile_matches_hardening(void **state)
{
	struct fx		*f = *state;
	X509			*r = ca_root_cert(f->ca);
	X509			*i = ca_intermediate_cert(f->ca);
	BASIC_CONSTRAINTS	*bc;
	AUTHORITY_KEYID		*aki;

	assert_int_equal(X509_get_version(i), X509_VERSION_3);
	assert_serial_profile(i);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(i),
	    X509_get_subject_name(r)), 0);
	assert_int_not_equal(X509_NAME_cmp(X509_get_subject_name(i),
	    X509_get_subject_name(r)), 0);
	assert_int_equal(crit(i, NID_basic_constraints), 1);
	bc = X509_get_ext_d2i(i, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_non_null(bc->pathlen);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(crit(i, NID_key_usage), 1);
	assert_int_equal(X509_get_key_usage(i), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(crit(i, NID_ext_key_usage), 0);
	assert_int_equal(X509_get_extended_key_usage(i),
	    XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_non_null(X509_get0_subject_key_id(i));
	aki = X509_get_ext_d2i(i, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid,
	    X509_get0_subject_key_id(r)), 0);
	AUTHORITY_KEYID_free(aki);
	assert_int_equal(crit(i, NID_name_constraints), 1);
	assert_int_equal(X509_get_ext_count(i), 6);
	assert_true(ASN1_TIME_compare(X509_get0_notAfter(i),
	    X509_get0_notAfter(r)) <= 0);
	assert_true(ASN1_TIME_compare(X509_get0_notBefore(i),
	    X509_get0_notBefore(r)) >= 0);
	assert_true(t_of(X509_get0_notAfter(i)) - t_of(X509_get0_notBefore(i))
	    <= (time_t)CA_INTERMEDIATE_DAYS * 86400);
	assert_int_equal(X509_verify(i, X509_get0_pubkey(r)), 1);
}

static void
test_ca_leaf_extensions_exact_set_and_criticality(void **state)
{
	struct fx		*f = *state;
	X509			*x = sign_default(f);
	BASIC_CONSTRAINTS	*bc;

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_get_ext_count(x), 5);
	assert_int_equal(crit(x, NID_basic_constraints), 1);
	assert_int_equal(crit(x, NID_key_usage), 1);
	assert_int_equal(crit(x, NID_ext_key_usage), 0);
	assert_int_equal(crit(x, NID_subject_alt_name), 0);	/* CN present */
	assert_int_equal(crit(x, NID_authority_key_identifier), 0);
	assert_int_equal(crit(x, NID_subject_key_identifier), -1);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ca_intermediate_cert(f->ca))), 0);
	X509_free(x);
}

static void
test_ca_leaf_serial_positive_17_bytes(void **state)
{
	struct fx	*f = *state;
	X509		*x = sign_default(f);

	assert_serial_profile(x);
	X509_free(x);
}

static void
test_ca_new_serial_1000_unique_with_prefix(void **state)
{
	char	(*s)[ACME_SERIAL_SIZE] = calloc(1000, ACME_SERIAL_SIZE);
	bool	 high_bit_seen = false;

	(void)state;
	assert_non_null(s);
	for (int i = 0; i < 1000; i++) {
		unsigned v;

		assert_int_equal(ca_new_serial(s[i]), 0);
		assert_int_equal(strlen(s[i]), 34);
		assert_int_equal(sscanf(s[i], "%2x", &v), 1);
		assert_true(v >= 0x01 && v <= 0x7f);
		if (strchr("89abcdef", s[i][2]) != NULL)
			high_bit_seen = true;	/* the random part is not masked */
	}
	assert_true(high_bit_seen);
	for (int i = 0; i < 1000; i++)
		for (int j = i + 1; j < 1000; j++)
			assert_string_not_equal(s[i], s[j]);
	free(s);
}

/*
 * BR §7.1: at least 64 bits from a CSPRNG. Every one of the 17 octets is
 * drawn: over 64 serials each octet position takes at least 2 values (a
 * fixed octet would pass the length and prefix checks above). The chance
 * that a truly random octet repeats 64 times is 2^-504; for the prefix
 * octet (127 values) 127^-63.
 */
static void
test_ca_new_serial_every_octet_varies(void **state)
{
	char		 s[ACME_SERIAL_SIZE];
	unsigned	 first[17], v;
	bool		 varies[17] = { false };

	(void)state;
	for (int i = 0; i < 64; i++) {
		assert_int_equal(ca_new_serial(s), 0);
		assert_int_equal(strlen(s), 34);
		for (int j = 0; j < 17; j++) {
			assert_int_equal(sscanf(s + 2 * j, "%2x", &v), 1);
			if (j == 0)	/* the top bit rule stays */
				assert_true(v >= 0x01 && v <= 0x7f);
			if (i == 0)
				first[j] = v;
			else if (v != first[j])
				varies[j] = true;
		}
	}
	for (int j = 0; j < 17; j++) {
		if (!varies[j])
			print_message("  serial octet %d never varied\n", j);
		assert_true(varies[j]);
	}
}

static void
test_ca_leaf_validity_days_minus_one_second(void **state)
{
	struct fx	*f = *state;
	X509		*x = sign_default(f);
	time_t		 nb = t_of(X509_get0_notBefore(x));
	time_t		 na = t_of(X509_get0_notAfter(x));
	time_t		 now = time(NULL);

	assert_int_equal(na - nb, 90 * 86400 - 1);
	assert_true(nb <= now - 3600 + 5 && nb >= now - 3600 - 60);
	X509_free(x);
}

/*
 * Short lifetimes (issue #14): notAfter - notBefore + 1 is the lifetime
 * asked for, and the backdate is at most a tenth of it, so a client that
 * renews at 2/3 of notAfter - notBefore sees the profile's lifetime and
 * gets a leaf that is not spent when issued.
 */
static void
test_ca_leaf_short_lifetime_exact_small_backdate(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "a.test");
	EVP_PKEY		*k = tu_key_ec256();
	static const time_t	 lt[] = { 60, 90, 600, 7200, 36000, 86400 };
	X509			*x;
	time_t			 nb, na, before, after;

	for (size_t i = 0; i < sizeof(lt) / sizeof(lt[0]); i++) {
		before = time(NULL);
		x = sign(f, &id, 1, lt[i], false, k);
		after = time(NULL);
		nb = t_of(X509_get0_notBefore(x));
		na = t_of(X509_get0_notAfter(x));
		assert_int_equal(na - nb + 1, lt[i]);
		assert_int_equal(ca_leaf_backdate(lt[i]),
		    lt[i] / 10 < 3600 ? lt[i] / 10 : 3600);
		assert_true(nb >= before - ca_leaf_backdate(lt[i]));
		assert_true(nb <= after - ca_leaf_backdate(lt[i]));
		X509_free(x);
	}
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_lifetime_under_a_minute_refused(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "a.test");
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE];
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x = NULL;

	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.idents = &id;
	req.nident = 1;
	req.serial = serial;
	req.lifetime = PROFILE_MIN_LIFETIME - 1;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), -1);
	assert_null(x);
	req.lifetime = 0;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), -1);
	assert_null(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_not_after_clamped_to_intermediate(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "a.test");
	time_t			 root_na = t_of(X509_get0_notAfter(
				    ca_root_cert(f->ca)));
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x;
	char			 err[512];
	bool			 rotated = false;

	/*
	 * An intermediate with 400 days left: rotate "near the root's end",
	 * so the new one is cut at the root's notAfter (HARDENING §5.2).
	 */
	assert_int_equal(ca_maybe_rotate(f->ca, root_na - 400 * 86400,
	    &rotated, err, sizeof(err)), 0);
	assert_true(rotated);
	assert_int_equal(ca_intermediate_not_after(f->ca), root_na);
	x = sign(f, &id, 1, 825 * D, false, k);
	assert_int_equal(t_of(X509_get0_notAfter(x)),
	    ca_intermediate_not_after(f->ca));
	X509_free(x);
	EVP_PKEY_free(k);
}

/* One signing with requested times; returns ca_sign_leaf's result. */
static int
sign_times(struct fx *f, time_t nb, time_t na, X509 **x)
{
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "a.test");
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE];
	const char		*chain = NULL;
	EVP_PKEY		*k = tu_key_ec256();
	int			 rc;

	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.idents = &id;
	req.nident = 1;
	req.lifetime = 90 * D;
	req.not_before = nb;
	req.not_after = na;
	req.serial = serial;
	*x = NULL;
	rc = ca_sign_leaf(f->ca, &req, x, &chain);
	EVP_PKEY_free(k);
	return rc;
}

/*
 * RFC 8555 §7.4: requested times are the leaf's exactly (no backdate, no
 * "never in the future"); outside the issuer they fail, never clamped.
 */
static void
test_ca_leaf_requested_times_exact_or_refused(void **state)
{
	struct fx	*f = *state;
	X509		*x;
	time_t		 now = time(NULL);
	time_t		 inb = ca_intermediate_not_before(f->ca);

	assert_int_equal(sign_times(f, now + 7200, now + 7200 + 86400, &x), 0);
	assert_int_equal(t_of(X509_get0_notBefore(x)), now + 7200);
	assert_int_equal(t_of(X509_get0_notAfter(x)), now + 7200 + 86400);
	X509_free(x);
	assert_int_equal(sign_times(f, now - 60, 0, &x), 0);
	assert_int_equal(t_of(X509_get0_notBefore(x)), now - 60);
	assert_int_equal(t_of(X509_get0_notAfter(x)), now - 60 + 90 * 86400 - 1);
	X509_free(x);
	assert_int_equal(sign_times(f, inb - 1, 0, &x), -1);
	assert_null(x);
	assert_int_equal(sign_times(f, 0, ca_intermediate_not_after(f->ca) + 1,
	    &x), -1);
	assert_null(x);
	assert_int_equal(sign_times(f, now, now + 826 * 86400, &x), -1);
	assert_null(x);
}

/*
 * The same near the end of the chain: an intermediate cut at the root's
 * notAfter (400 days left). Inside it the times are exact; one second
 * past it fails, although a clamped leaf would fit every other rule.
 */
static void
test_ca_leaf_requested_not_after_past_issuer_not_clamped(void **state)
{
	struct fx	*f = *state;
	X509		*x;
	time_t		 root_na = t_of(X509_get0_notAfter(ca_root_cert(f->ca)));
	time_t		 inb;
	char		 err[512];
	bool		 rotated = false;

	assert_int_equal(ca_maybe_rotate(f->ca, root_na - 400 * 86400,
	    &rotated, err, sizeof(err)), 0);
	assert_true(rotated);
	inb = ca_intermediate_not_before(f->ca);
	assert_int_equal(ca_intermediate_not_after(f->ca), root_na);
	assert_int_equal(sign_times(f, inb + 10, root_na, &x), 0);
	assert_int_equal(t_of(X509_get0_notBefore(x)), inb + 10);
	assert_int_equal(t_of(X509_get0_notAfter(x)), root_na);
	X509_free(x);
	assert_int_equal(sign_times(f, inb + 10, root_na + 1, &x), -1);
	assert_null(x);
	assert_int_equal(sign_times(f, inb - 1, root_na - 86400, &x), -1);
	assert_null(x);
}

static void
test_ca_leaf_days_over_825_refused(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "a.test");
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE];
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x = NULL;

	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.idents = &id;
	req.nident = 1;
	req.lifetime = 826 * D;
	req.serial = serial;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), -1);
	assert_null(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_aki_equals_issuer_ski(void **state)
{
	struct fx	*f = *state;
	X509		*x = sign_default(f);
	AUTHORITY_KEYID	*aki;

	aki = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(aki);
	assert_null(aki->issuer);
	assert_null(aki->serial);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid,
	    X509_get0_subject_key_id(ca_intermediate_cert(f->ca))), 0);
	AUTHORITY_KEYID_free(aki);
	X509_free(x);
}

static char *
algid_hex(X509 *x)
{
	const X509_ALGOR	*alg = NULL;
	unsigned char		*der = NULL;
	char			*hex;
	int			 len;

	X509_get0_signature(NULL, &alg, x);
	len = i2d_X509_ALGOR(alg, &der);
	assert_true(len > 0);
	hex = calloc(1, (size_t)len * 2 + 1);
	for (int i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", der[i]);
	OPENSSL_free(der);
	return hex;
}

static void
test_ca_leaf_ecdsa_algid_has_no_params(void **state)
{
	struct fx	*f = *state;
	X509		*x = sign_default(f);
	char		*hex = algid_hex(x);

	/* BR §7.1.3.2.2: ecdsa-with-SHA256, parameters absent. */
	assert_string_equal(hex, "300a06082a8648ce3d040302");
	free(hex);
	X509_free(x);
}

static void
test_ca_ec384_signs_with_sha384(void **state)
{
	struct fx	*f = *state;
	X509		*x = sign_default(f);
	char		*hex = algid_hex(x);

	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
	assert_string_equal(hex, "300a06082a8648ce3d040303");
	free(hex);
	X509_free(x);
}

static void
test_ca_leaf_cn_is_first_dns_name(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 ids[3];
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x;
	char			 cn[128];
	X509_NAME		*s;

	ids[0] = ident(ACME_IDENT_IP, "::1");
	ids[1] = ident(ACME_IDENT_DNS, "first.test");
	ids[2] = ident(ACME_IDENT_DNS, "second.test");
	x = sign(f, ids, 3, 30 * D, false, k);
	s = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_entry_count(s), 1);
	assert_true(X509_NAME_get_text_by_NID(s, NID_commonName, cn,
	    sizeof(cn)) > 0);
	assert_string_equal(cn, "first.test");
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_ip_only_empty_subject_critical_san(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_IP, "127.0.0.1");
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x = sign(f, &id, 1, 30 * D, false, k);

	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	assert_int_equal(crit(x, NID_subject_alt_name), 1);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_long_dns_name_empty_subject(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id;
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x;

	/* 65 characters: too long for a CN (ub-common-name 64). */
	id = ident(ACME_IDENT_DNS,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test");
	assert_int_equal(strlen(id.value), 65);
	x = sign(f, &id, 1, 30 * D, false, k);
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	assert_int_equal(crit(x, NID_subject_alt_name), 1);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_san_exactly_the_identifiers(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 ids[4];
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x;
	GENERAL_NAMES		*g;
	GENERAL_NAME		*gn;
	unsigned char		 v6[16];

	ids[0] = ident(ACME_IDENT_DNS, "localhost");
	ids[1] = ident(ACME_IDENT_IP, "127.0.0.1");
	ids[2] = ident(ACME_IDENT_IP, "::1");
	ids[3] = ident(ACME_IDENT_DNS, "*.app.test");
	x = sign(f, ids, 4, 30 * D, false, k);
	g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(g);
	assert_int_equal(sk_GENERAL_NAME_num(g), 4);
	gn = sk_GENERAL_NAME_value(g, 0);
	assert_int_equal(gn->type, GEN_DNS);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
	    "localhost");
	gn = sk_GENERAL_NAME_value(g, 1);
	assert_int_equal(gn->type, GEN_IPADD);
	assert_int_equal(ASN1_STRING_length(gn->d.iPAddress), 4);
	assert_memory_equal(ASN1_STRING_get0_data(gn->d.iPAddress),
	    "\x7f\0\0\1", 4);
	gn = sk_GENERAL_NAME_value(g, 2);
	assert_int_equal(gn->type, GEN_IPADD);
	assert_int_equal(ASN1_STRING_length(gn->d.iPAddress), 16);
	inet_pton(AF_INET6, "::1", v6);
	assert_memory_equal(ASN1_STRING_get0_data(gn->d.iPAddress), v6, 16);
	gn = sk_GENERAL_NAME_value(g, 3);
	assert_int_equal(gn->type, GEN_DNS);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
	    "*.app.test");
	GENERAL_NAMES_free(g);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_rsa_key_adds_key_encipherment(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "rsa.test");
	EVP_PKEY		*k = tu_key_rsa(2048);
	X509			*x = sign(f, &id, 1, 30 * D, false, k);

	assert_int_equal(X509_get_key_usage(x),
	    KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_client_flag_adds_client_auth(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "c.test");
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x = sign(f, &id, 1, 30 * D, true, k);

	assert_int_equal(X509_get_extended_key_usage(x),
	    XKU_SSL_SERVER | XKU_SSL_CLIENT);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca_leaf_p521_key_refused(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "a.test");
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE];
	EVP_PKEY		*k = tu_key_ec521();
	X509			*x = NULL;

	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.idents = &id;
	req.nident = 1;
	req.lifetime = 30 * D;
	req.serial = serial;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), -1);
	assert_null(x);
	EVP_PKEY_free(k);
}

/* The pre-issuance check catches a certificate off our profile. */
static void
test_ca_check_leaf_extra_extension_rejected(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "a.test");
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE], path[PATH_MAX];
	char			 err[256];
	EVP_PKEY		*k = tu_key_ec256(), *ikey;
	X509			*x = NULL;
	ASN1_OCTET_STRING	*ski = ASN1_OCTET_STRING_new();

	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.idents = &id;
	req.nident = 1;
	req.lifetime = 30 * D;
	req.serial = serial;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), 0);
	assert_int_equal(ca_check_leaf(x, ca_intermediate_cert(f->ca), &req,
	    err, sizeof(err)), 0);
	/* A different reserved serial: refused. */
	req.serial = "01ff";
	assert_int_equal(ca_check_leaf(x, ca_intermediate_cert(f->ca), &req,
	    err, sizeof(err)), -1);
	req.serial = serial;
	/* Add an SKI (leaves must not have one) and re-sign properly. */
	snprintf(path, sizeof(path), "%s/intermediate.key", f->dir);
	ikey = keys_load_private(path, err, sizeof(err));
	assert_non_null(ikey);
	ASN1_OCTET_STRING_set(ski, (const unsigned char *)"12345678901234567890", 20);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_key_identifier, ski,
	    0, X509V3_ADD_DEFAULT), 1);
	assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
	assert_int_equal(ca_check_leaf(x, ca_intermediate_cert(f->ca), &req,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "extension"));
	ASN1_OCTET_STRING_free(ski);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* A leaf signed from a request's SubjectPublicKeyInfo carries it byte for
 * byte; the pre-issuance check refuses a leaf whose key is not the request's. */
static void
test_ca_sign_leaf_spki_copied_and_checked(void **state)
{
	struct fx		*f = *state;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "spki.test");
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE], err[256];
	EVP_PKEY		*k = tu_key_ec256(), *other = tu_key_ec256();
	X509_PUBKEY		*spki = NULL;
	X509			*x = NULL;
	unsigned char		*a = NULL, *b = NULL;
	int			 alen, blen;

	assert_int_equal(X509_PUBKEY_set(&spki, k), 1);
	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.spki = spki;
	req.idents = &id;
	req.nident = 1;
	req.lifetime = 30 * D;
	req.serial = serial;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, NULL), 0);
	alen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &a);
	blen = i2d_PUBKEY(k, &b);
	assert_true(alen > 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, (size_t)alen);
	/* The signature is the intermediate's. */
	assert_int_equal(X509_verify(x,
	    X509_get0_pubkey(ca_intermediate_cert(f->ca))), 1);
	/* Another key in the request: refused. */
	req.pubkey = other;
	req.spki = NULL;
	assert_int_equal(ca_check_leaf(x, ca_intermediate_cert(f->ca), &req,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "subject key"));
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_free(x);
	X509_PUBKEY_free(spki);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void
test_ca_reopen_same_root(void **state)
{
	struct fx	*f = *state;
	struct ca	*again;
	char		 a[65], b[65], err[512];
	bool		 created = true;

	again = ca_open(f->dir, true, NULL, &created, err, sizeof(err));
	assert_non_null(again);
	assert_false(created);
	assert_int_equal(ca_root_fingerprint(f->ca, a), 0);
	assert_int_equal(ca_root_fingerprint(again, b), 0);
	assert_string_equal(a, b);
	assert_string_equal(ca_chain_pem(f->ca), ca_chain_pem(again));
	ca_free(again);
}

static void
test_ca_open_missing_intermediate_key_refused(void **state)
{
	struct fx	*f = *state;
	char		 path[PATH_MAX], err[512], fp[65], fp2[65];
	struct ca	*again;

	assert_int_equal(ca_root_fingerprint(f->ca, fp), 0);
	snprintf(path, sizeof(path), "%s/intermediate.key", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_null(ca_open(f->dir, true, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "intermediate.key"));
	/* Never regenerated: the root is the same file. */
	assert_false(keys_exists(path));
	snprintf(path, sizeof(path), "%s/root.pem", f->dir);
	assert_true(keys_exists(path));
	(void)fp2;
	(void)again;
}

static void
test_ca_open_mismatched_key_refused(void **state)
{
	struct fx	*f = *state;
	char		 path[PATH_MAX], err[512];
	EVP_PKEY	*other = tu_key_ec256();

	snprintf(path, sizeof(path), "%s/intermediate.key", f->dir);
	assert_int_equal(keys_write_private(path, other, true, err,
	    sizeof(err)), 0);
	assert_null(ca_open(f->dir, false, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "intermediate.key"));
	assert_non_null(strstr(err, "does not match"));
	EVP_PKEY_free(other);
}

static void
test_ca_open_truncated_root_refused(void **state)
{
	struct fx	*f = *state;
	char		 path[PATH_MAX], err[512];

	snprintf(path, sizeof(path), "%s/root.pem", f->dir);
	assert_int_equal(truncate(path, 100), 0);
	assert_null(ca_open(f->dir, true, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "root.pem"));
}

static void
test_ca_open_without_create_missing_fails(void **state)
{
	char	 dir[64], err[512];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ca_empty.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_null(ca_open(dir, false, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "init"));
	rmdir(dir);
}

static void
test_ca_partial_state_not_recreated(void **state)
{
	struct fx	*f = *state;
	char		 path[PATH_MAX], err[512];

	snprintf(path, sizeof(path), "%s/root.pem", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_null(ca_open(f->dir, true, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "refusing"));
	assert_false(keys_exists(path));
}

static void
test_ca_unconstrained_has_no_name_constraints(void **state)
{
	struct fx *f = *state;

	assert_int_equal(crit(ca_root_cert(f->ca), NID_name_constraints), -1);
	assert_int_equal(crit(ca_intermediate_cert(f->ca),
	    NID_name_constraints), -1);
	assert_true(ca_policy(f->ca)->unconstrained);
}

static void
test_ca_rotate_fresh_intermediate_untouched(void **state)
{
	struct fx	*f = *state;
	bool		 rotated = true;
	char		 err[512];

	assert_int_equal(ca_maybe_rotate(f->ca, time(NULL), &rotated, err,
	    sizeof(err)), 0);
	assert_false(rotated);
}

static void
test_ca_rotate_late_swaps_and_archives(void **state)
{
	struct fx	*f = *state;
	const char	*old_pem = ca_chain_pem(f->ca);
	char		*old_copy = strdup(old_pem), err[512], path[PATH_MAX];
	time_t		 old_na = ca_intermediate_not_after(f->ca);
	X509		*old = X509_dup(ca_intermediate_cert(f->ca));
	BIGNUM		*bn;
	char		*hex;
	bool		 rotated = false;
	struct ca	*again;

	/* 100 days before the end: less than a third of 3 years is left. */
	assert_int_equal(ca_maybe_rotate(f->ca, old_na - 100 * 86400,
	    &rotated, err, sizeof(err)), 0);
	assert_true(rotated);
	assert_true(ca_intermediate_not_after(f->ca) > old_na);
	assert_string_not_equal(ca_chain_pem(f->ca), old_copy);
	assert_string_equal(old_pem, old_copy);	/* borrowed PEM still valid */
	assert_int_equal(X509_verify(ca_intermediate_cert(f->ca),
	    X509_get0_pubkey(ca_root_cert(f->ca))), 1);
	/* Old files archived under the old serial. */
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(old), NULL);
	hex = BN_bn2hex(bn);
	for (char *p = hex; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	snprintf(path, sizeof(path), "%s/intermediate-%s.pem", f->dir, hex);
	assert_true(keys_exists(path));
	snprintf(path, sizeof(path), "%s/intermediate-%s.key", f->dir, hex);
	assert_true(keys_exists(path));
	/* Reopening loads the new intermediate. */
	again = ca_open(f->dir, false, NULL, NULL, err, sizeof(err));
	assert_non_null(again);
	assert_string_equal(ca_chain_pem(again), ca_chain_pem(f->ca));
	ca_free(again);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(old);
	free(old_copy);
}

struct thr {
	struct fx	*f;
	EVP_PKEY	*key;
	int		 ok;
};

static void *
signer(void *arg)
{
	struct thr		*t = arg;
	struct acme_identifier	 id = ident(ACME_IDENT_DNS, "t.test");
	struct ca_leaf_req	 req;
	char			 serial[ACME_SERIAL_SIZE];

	for (int i = 0; i < 25; i++) {
		X509 *x = NULL;

		memset(&req, 0, sizeof(req));
		if (ca_new_serial(serial) == -1)
			return NULL;
		req.pubkey = t->key;
		req.idents = &id;
		req.nident = 1;
		req.lifetime = 10 * D;
		req.serial = serial;
		if (ca_sign_leaf(t->f->ca, &req, &x, NULL) == 0 &&
		    X509_verify(x, X509_get0_pubkey(
		    ca_intermediate_cert(t->f->ca))) == 1)
			t->ok++;
		X509_free(x);
	}
	return NULL;
}

static void
test_ca_sign_leaf_concurrent_threads_all_ok(void **state)
{
	struct fx	*f = *state;
	struct thr	 t[4];
	pthread_t	 th[4];
	EVP_PKEY	*k = tu_key_ec256();

	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ f, k, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, signer, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].ok, 25);
	}
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ca_root_profile_matches_hardening),
		T(test_ca_intermediate_profile_matches_hardening),
		T(test_ca_leaf_extensions_exact_set_and_criticality),
		T(test_ca_leaf_serial_positive_17_bytes),
		cmocka_unit_test(test_ca_new_serial_1000_unique_with_prefix),
		cmocka_unit_test(test_ca_new_serial_every_octet_varies),
		T(test_ca_leaf_validity_days_minus_one_second),
		T(test_ca_leaf_not_after_clamped_to_intermediate),
		T(test_ca_leaf_requested_times_exact_or_refused),
		T(test_ca_leaf_requested_not_after_past_issuer_not_clamped),
		T(test_ca_leaf_days_over_825_refused),
		T(test_ca_leaf_short_lifetime_exact_small_backdate),
		T(test_ca_leaf_lifetime_under_a_minute_refused),
		T(test_ca_leaf_aki_equals_issuer_ski),
		T(test_ca_leaf_ecdsa_algid_has_no_params),
		cmocka_unit_test_setup_teardown(test_ca_ec384_signs_with_sha384,
		    setup_ec384, teardown),
		T(test_ca_leaf_cn_is_first_dns_name),
		T(test_ca_leaf_ip_only_empty_subject_critical_san),
		T(test_ca_leaf_long_dns_name_empty_subject),
		T(test_ca_leaf_san_exactly_the_identifiers),
		T(test_ca_leaf_rsa_key_adds_key_encipherment),
		T(test_ca_leaf_client_flag_adds_client_auth),
		T(test_ca_leaf_p521_key_refused),
		T(test_ca_check_leaf_extra_extension_rejected),
		T(test_ca_sign_leaf_spki_copied_and_checked),
		T(test_ca_reopen_same_root),
		T(test_ca_open_missing_intermediate_key_refused),
		T(test_ca_open_mismatched_key_refused),
		T(test_ca_open_truncated_root_refused),
		cmocka_unit_test(test_ca_open_without_create_missing_fails),
		T(test_ca_partial_state_not_recreated),
		cmocka_unit_test_setup_teardown(
		    test_ca_unconstrained_has_no_name_constraints,
		    setup_unconstrained, teardown),
		T(test_ca_rotate_fresh_intermediate_untouched),
		T(test_ca_rotate_late_swaps_and_archives),
		T(test_ca_sign_leaf_concurrent_threads_all_ok),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
