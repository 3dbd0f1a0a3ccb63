/* test_keys.c - unit tests of src/ca/keys.c: atomic writes, modes, guarded key loads */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
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

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/keypolicy.h"
#include "keys.h"
#include "testutil.h"

struct fx {
	char	 dir[64];
	char	 path[PATH_MAX];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_keys.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/k.key", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	DIR		*d = opendir(f->dir);
	struct dirent	*e;
	char		 p[PATH_MAX];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static size_t
count_entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	size_t		 n = 0;

	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0))
			n++;
	closedir(d);
	return n;
}

static EVP_PKEY *
write_new_key(const char *path)
{
	char		 err[256];
	EVP_PKEY	*k = keys_generate(KEYS_EC256, err, sizeof(err));

	assert_non_null(k);
	assert_int_equal(keys_write_private(path, k, false, err, sizeof(err)), 0);
	return k;
}

static void
test_keys_write_private_mode_0600(void **state)
{
	struct fx	*f = *state;
	struct stat	 st;
	EVP_PKEY	*k = write_new_key(f->path);

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(count_entries(f->dir), 1);	/* no temp file left */
	EVP_PKEY_free(k);
}

static void
test_keys_write_cert_mode_0644(void **state)
{
	struct fx	*f = *state;
	struct stat	 st;
	char		 err[256];
	mode_t		 old = umask(077);

	assert_int_equal(keys_write_file(f->path, "x\n", 2, 0644, false, err,
	    sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void
test_keys_write_existing_refused_unchanged(void **state)
{
	struct fx	*f = *state;
	char		 err[256], buf[16] = { 0 };
	FILE		*fp;

	assert_int_equal(keys_write_file(f->path, "first", 5, 0600, false,
	    err, sizeof(err)), 0);
	assert_int_equal(keys_write_file(f->path, "second", 6, 0600, false,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "already exists"));
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, fp), 5);
	fclose(fp);
	assert_string_equal(buf, "first");
	assert_int_equal(count_entries(f->dir), 1);
}

static void
test_keys_write_replace_swaps_content(void **state)
{
	struct fx	*f = *state;
	char		 err[256], buf[16] = { 0 };
	FILE		*fp;

	assert_int_equal(keys_write_file(f->path, "first", 5, 0600, false,
	    err, sizeof(err)), 0);
	assert_int_equal(keys_write_file(f->path, "second", 6, 0600, true,
	    err, sizeof(err)), 0);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, fp), 6);
	fclose(fp);
	assert_string_equal(buf, "second");
}

static void
test_keys_load_own_0600_key_ok(void **state)
{
	struct fx	*f = *state;
	char		 err[256];
	EVP_PKEY	*k = write_new_key(f->path), *l;

	l = keys_load_private(f->path, err, sizeof(err));
	assert_non_null(l);
	assert_int_equal(EVP_PKEY_eq(k, l), 1);
	EVP_PKEY_free(k);
	EVP_PKEY_free(l);
}

static void
test_keys_load_0644_key_refused(void **state)
{
	struct fx	*f = *state;
	char		 err[256];
	EVP_PKEY	*k = write_new_key(f->path);

	assert_int_equal(chmod(f->path, 0644), 0);
	assert_null(keys_load_private(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "0644"));
	EVP_PKEY_free(k);
}

static void
test_keys_load_symlink_refused(void **state)
{
	struct fx	*f = *state;
	char		 err[256], link_path[PATH_MAX];
	EVP_PKEY	*k = write_new_key(f->path);

	snprintf(link_path, sizeof(link_path), "%s/link.key", f->dir);
	assert_int_equal(symlink(f->path, link_path), 0);
	assert_null(keys_load_private(link_path, err, sizeof(err)));
	assert_non_null(strstr(err, "symbolic link"));
	EVP_PKEY_free(k);
}

static void
test_keys_load_foreign_owner_refused(void **state)
{
	struct fx	*f = *state;
	char		 err[256];
	EVP_PKEY	*k;

	if (geteuid() != 0)
		skip();	/* chown to another uid needs root (CI is root) */
	k = write_new_key(f->path);
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	assert_null(keys_load_private(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, "owned by uid 65534"));
	EVP_PKEY_free(k);
}

static void
test_keys_load_corrupt_refused(void **state)
{
	struct fx	*f = *state;
	char		 err[256];
	const char	*junk = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";

	assert_int_equal(keys_write_file(f->path, junk, strlen(junk), 0600,
	    false, err, sizeof(err)), 0);
	assert_null(keys_load_private(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, "not a usable"));
}

static void
test_keys_load_missing_sets_enoent(void **state)
{
	struct fx	*f = *state;
	char		 err[256];

	assert_null(keys_load_private(f->path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_null(keys_load_cert(f->path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
}

static X509 *
self_signed(EVP_PKEY *k)
{
	X509 *x = X509_new();

	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

static void
test_keys_check_pair_mismatch_fails(void **state)
{
	EVP_PKEY	*a = tu_key_ec256(), *b = tu_key_ec256();
	X509		*x;
	char		 err[256];

	(void)state;
	x = self_signed(a);
	assert_int_equal(keys_check_pair(x, a, "a.key", err, sizeof(err)), 0);
	assert_int_equal(keys_check_pair(x, b, "b.key", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "b.key"));
	X509_free(x);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static void
test_keys_generate_types_acceptable(void **state)
{
	enum keys_type	 t[] = { KEYS_EC256, KEYS_EC384, KEYS_RSA2048 };
	char		 err[256];
	bool		 rsa;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		EVP_PKEY *k = keys_generate(t[i], err, sizeof(err));

		assert_non_null(k);
		assert_true(keys_acceptable(k, &rsa));
		assert_int_equal(rsa, t[i] == KEYS_RSA2048);
		EVP_PKEY_free(k);
	}
}

static void
test_keys_p521_and_ed25519_not_acceptable(void **state)
{
	EVP_PKEY *p521 = tu_key_ec521(), *ed = tu_key_ed25519();

	(void)state;
	assert_false(keys_acceptable(p521, NULL));
	assert_false(keys_acceptable(ed, NULL));
	EVP_PKEY_free(p521);
	EVP_PKEY_free(ed);
}

/* --weak-keys (issue #15): leaves only, never CA keys. */
static void
test_keys_leaf_weak_only_with_knob(void **state)
{
	EVP_PKEY	*p521 = tu_key_ec521(), *ed = tu_key_ed25519();
	EVP_PKEY	*r1024 = tu_key_rsa(1024), *r2048 = tu_key_rsa(2048);
	bool		 rsa = false;

	(void)state;
	assert_true(keys_leaf_acceptable(r2048, &rsa));
	assert_true(rsa);
	assert_false(keys_leaf_acceptable(p521, NULL));
	assert_false(keys_leaf_acceptable(r1024, NULL));
	acme_keypolicy_set_weak(true);
	assert_true(keys_leaf_acceptable(p521, &rsa));
	assert_false(rsa);
	assert_true(keys_leaf_acceptable(r1024, &rsa));
	assert_true(rsa);
	assert_false(keys_leaf_acceptable(ed, NULL));
	assert_false(keys_acceptable(p521, NULL));	/* CA keys: unchanged */
	assert_false(keys_acceptable(r1024, NULL));
	acme_keypolicy_set_weak(false);
	assert_false(keys_leaf_acceptable(r1024, NULL));
	EVP_PKEY_free(p521);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(r1024);
	EVP_PKEY_free(r2048);
}

static void
test_keys_type_parse_names(void **state)
{
	enum keys_type t;

	(void)state;
	assert_int_equal(keys_type_parse("ec384", &t), 0);
	assert_int_equal(t, KEYS_EC384);
	assert_int_equal(keys_type_parse("rsa4096", &t), 0);
	assert_int_equal(t, KEYS_RSA4096);
	assert_int_equal(keys_type_parse("ec521", &t), -1);
	assert_string_equal(keys_type_name(KEYS_RSA3072), "rsa3072");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys_write_private_mode_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_write_cert_mode_0644, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_write_existing_refused_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_write_replace_swaps_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_load_own_0600_key_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_load_0644_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_load_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_load_foreign_owner_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_load_corrupt_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_load_missing_sets_enoent, setup, teardown),
		cmocka_unit_test(test_keys_check_pair_mismatch_fails),
		cmocka_unit_test(test_keys_generate_types_acceptable),
		cmocka_unit_test(test_keys_p521_and_ed25519_not_acceptable),
		cmocka_unit_test(test_keys_leaf_weak_only_with_knob),
		cmocka_unit_test(test_keys_type_parse_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
