/* test_ca_alt.c - unit tests of src/ca/ca_alt.c: alternate hierarchies for alternate chains (RFC 8555 §7.4.2) */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
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

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "keys.h"
#include "passphrase.h"
#include "testutil.h"

#define PASS	"correct horse battery"

struct fx {
	char		 dir[64];
	struct ca	*ca;
};


static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 err[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ca_alt.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if ((f->ca = ca_open(f->dir, true, NULL, NULL, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "ca_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
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

static char *
path_of(struct fx *f, const char *name)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	return p;
}

static mode_t
mode_of(struct fx *f, const char *name)
{
	struct stat st;

	assert_int_equal(stat(path_of(f, name), &st), 0);
	return st.st_mode & 07777;
}

static X509 *
pem_cert(const char *pem)
{
	BIO	*b = BIO_new_mem_buf(pem, -1);
	X509	*x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

/* A leaf from the default intermediate; *issuer gets its chain PEM. */
static X509 *
sign_leaf(struct fx *f, const char **issuer)
{
	struct ca_leaf_req	 req;
	struct acme_identifier	 id;
	char			 serial[ACME_SERIAL_SIZE];
	EVP_PKEY		*k = tu_key_ec256();
	X509			*x = NULL;

	memset(&id, 0, sizeof(id));
	id.type = ACME_IDENT_DNS;
	snprintf(id.value, sizeof(id.value), "alt.test");
	memset(&req, 0, sizeof(req));
	assert_int_equal(ca_new_serial(serial), 0);
	req.pubkey = k;
	req.idents = &id;
	req.nident = 1;
	req.lifetime = 86400 * 30;
	req.serial = serial;
	assert_int_equal(ca_sign_leaf(f->ca, &req, &x, issuer), 0);
	EVP_PKEY_free(k);
	return x;
}

/* Does leaf verify with chain_pem as its only intermediate and root as the only anchor? */
static bool
verifies(X509 *leaf, const char *chain_pem, X509 *root)
{
	X509_STORE	*st = X509_STORE_new();
	X509_STORE_CTX	*ctx = X509_STORE_CTX_new();
	STACK_OF(X509)	*un = sk_X509_new_null();
	X509		*inter = pem_cert(chain_pem);
	bool		 ok;

	X509_STORE_add_cert(st, root);
	sk_X509_push(un, inter);
	X509_STORE_CTX_init(ctx, st, leaf, un);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	sk_X509_pop_free(un, X509_free);
	return ok;
}

static void
root_cn(struct ca *ca, unsigned k, char *cn, size_t cnsz)
{
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(
	    ca_hier_root_cert(ca, k)), NID_commonName, cn, (int)cnsz) > 0);
}

/*
 * RFC 8555 §7.4.2: each chain starts with the same leaf, which verifies
 * under its own root and no other; the roots' CNs differ (preferred-chain).
 */
static void
test_ca_alt_each_chain_verifies_under_its_root_only(void **state)
{
	struct fx	*f = *state;
	const char	*issuer = NULL, *chain;
	char		 err[512], cn[3][128], fp[3][65];
	X509		*leaf;

	assert_int_equal(ca_alt_open(f->ca, 2, err, sizeof(err)), 0);
	assert_int_equal(ca_hierarchies(f->ca), 3);
	leaf = sign_leaf(f, &issuer);
	for (unsigned k = 0; k < 3; k++) {
		assert_non_null(chain = ca_hier_chain_pem(f->ca, k, issuer));
		for (unsigned r = 0; r < 3; r++)
			if (verifies(leaf, chain, ca_hier_root_cert(f->ca,
			    r)) != (r == k))
				fail_msg("chain %u under root %u: want %s", k,
				    r, r == k ? "ok" : "refused");
		/* The shared intermediate: same subject and key as the default. */
		assert_string_equal(ca_hier_intermediate_pem(f->ca, k), chain);
		root_cn(f->ca, k, cn[k], sizeof(cn[k]));
		assert_int_equal(ca_hier_root_fingerprint(f->ca, k, fp[k]), 0);
	}
	assert_ptr_equal(ca_hier_chain_pem(f->ca, 0, issuer), issuer);
	assert_non_null(strstr(cn[1], "alt1 root"));
	assert_non_null(strstr(cn[2], "alt2 root"));
	assert_string_not_equal(cn[0], cn[1]);
	assert_string_not_equal(cn[1], cn[2]);
	assert_string_not_equal(fp[0], fp[1]);
	assert_string_not_equal(fp[1], fp[2]);
	/* Beyond N, or an issuer we never had: no chain. */
	assert_null(ca_hier_chain_pem(f->ca, 3, issuer));
	assert_null(ca_hier_root_pem(f->ca, 3));
	assert_null(ca_hier_intermediate_pem(f->ca, 3));
	assert_null(ca_hier_chain_pem(f->ca, 1, "not a PEM"));
	X509_free(leaf);
}

/* The root keys are 0600 like root.key, the certificates 0644. */
static void
test_ca_alt_files_and_modes(void **state)
{
	struct fx	*f = *state;
	char		 err[512], name[32];

	assert_int_equal(ca_alt_open(f->ca, 1, err, sizeof(err)), 0);
	assert_int_equal(ca_alt_open(f->ca, 1, err, sizeof(err)), -1);	/* once */
	assert_int_equal(ca_hierarchies(f->ca), 2);
	assert_int_equal(mode_of(f, "alt1-root.key"), 0600);
	assert_int_equal(mode_of(f, "alt1-root.pem"), 0644);
	assert_int_equal(mode_of(f, "alt1-intermediate.pem"), 0644);
	assert_false(keys_exists(path_of(f, "alt2-root.pem")));
	assert_int_equal(ca_hier_root_key_name(0, name, sizeof(name)), 0);
	assert_string_equal(name, "root.key");
	assert_int_equal(ca_hier_root_key_name(1, name, sizeof(name)), 0);
	assert_string_equal(name, "alt1-root.key");
	assert_int_equal(ca_hier_root_key_name(CA_ALT_MAX + 1, name,
	    sizeof(name)), -1);
}

static void
test_ca_alt_out_of_range_refused(void **state)
{
	struct fx	*f = *state;
	char		 err[512];

	assert_int_equal(ca_alt_open(f->ca, CA_ALT_MAX + 1, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "alternate_roots"));
	assert_int_equal(ca_hierarchies(f->ca), 1);
}

/* Restart: the same roots; N may grow (the old ones kept) or shrink. */
static void
test_ca_alt_reopen_same_roots_and_grow(void **state)
{
	struct fx	*f = *state;
	struct ca	*again;
	char		 err[512], fp1[65], fp1b[65], fp2[65];
	char		*pem1 = NULL;

	assert_int_equal(ca_alt_open(f->ca, 1, err, sizeof(err)), 0);
	assert_int_equal(ca_hier_root_fingerprint(f->ca, 1, fp1), 0);
	pem1 = strdup(ca_hier_intermediate_pem(f->ca, 1));
	again = ca_open(f->dir, false, NULL, NULL, err, sizeof(err));
	assert_non_null(again);
	assert_int_equal(ca_alt_open(again, 2, err, sizeof(err)), 0);
	assert_int_equal(ca_hier_root_fingerprint(again, 1, fp1b), 0);
	assert_string_equal(fp1, fp1b);
	/* Nothing rotated: the intermediate is read back, not signed anew. */
	assert_string_equal(ca_hier_intermediate_pem(again, 1), pem1);
	assert_int_equal(ca_hier_root_fingerprint(again, 2, fp2), 0);
	assert_string_not_equal(fp1, fp2);
	ca_free(again);
	again = ca_open(f->dir, false, NULL, NULL, err, sizeof(err));
	assert_non_null(again);
	assert_int_equal(ca_alt_open(again, 0, err, sizeof(err)), 0);
	assert_int_equal(ca_hierarchies(again), 1);
	assert_true(keys_exists(path_of(f, "alt2-root.pem")));
	ca_free(again);
	free(pem1);
}

/* Rotation: new leaves get new alternate chains, old ones keep theirs. */
static void
test_ca_alt_follows_rotation(void **state)
{
	struct fx	*f = *state;
	const char	*old_issuer = NULL, *new_issuer = NULL, *c_old, *c_new;
	char		 err[512];
	bool		 rotated = false;
	X509		*old_leaf, *new_leaf;

	assert_int_equal(ca_alt_open(f->ca, 2, err, sizeof(err)), 0);
	old_leaf = sign_leaf(f, &old_issuer);
	assert_int_equal(ca_rotate(f->ca, time(NULL), true, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	new_leaf = sign_leaf(f, &new_issuer);
	assert_string_not_equal(old_issuer, new_issuer);
	for (unsigned k = 1; k < 3; k++) {
		c_old = ca_hier_chain_pem(f->ca, k, old_issuer);
		c_new = ca_hier_chain_pem(f->ca, k, new_issuer);
		assert_non_null(c_old);
		assert_non_null(c_new);
		assert_string_not_equal(c_old, c_new);
		assert_true(verifies(old_leaf, c_old, ca_hier_root_cert(f->ca,
		    k)));
		assert_true(verifies(new_leaf, c_new, ca_hier_root_cert(f->ca,
		    k)));
		assert_false(verifies(new_leaf, c_old, ca_hier_root_cert(f->ca,
		    k)));
		assert_string_equal(ca_hier_intermediate_pem(f->ca, k), c_new);
	}
	X509_free(old_leaf);
	X509_free(new_leaf);
}

/*
 * The default intermediate rotated by a process without alternates
 * (`init --rotate-intermediate`, `issue`): the next open signs the
 * alternate intermediates anew for it, under the same roots.
 */
static void
test_ca_alt_resigned_after_rotation_elsewhere(void **state)
{
	struct fx	*f = *state;
	struct ca	*other, *again;
	const char	*issuer = NULL;
	char		 err[512], fp[65], fp2[65];
	bool		 rotated = false;
	X509		*leaf;

	assert_int_equal(ca_alt_open(f->ca, 1, err, sizeof(err)), 0);
	assert_int_equal(ca_hier_root_fingerprint(f->ca, 1, fp), 0);
	other = ca_open(f->dir, false, NULL, NULL, err, sizeof(err));
	assert_non_null(other);
	assert_int_equal(ca_rotate(other, time(NULL), true, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	ca_free(other);
	again = ca_open(f->dir, false, NULL, NULL, err, sizeof(err));
	assert_non_null(again);
	assert_int_equal(ca_alt_open(again, 1, err, sizeof(err)), 0);
	assert_int_equal(ca_hier_root_fingerprint(again, 1, fp2), 0);
	assert_string_equal(fp, fp2);
	ca_free(f->ca);
	f->ca = again;
	leaf = sign_leaf(f, &issuer);
	assert_true(verifies(leaf, ca_hier_chain_pem(f->ca, 1, issuer),
	    ca_hier_root_cert(f->ca, 1)));
	X509_free(leaf);
}

/* X08 in spirit: a hierarchy's files without its root.pem are never overwritten. */
static void
test_ca_alt_partial_hierarchy_refused(void **state)
{
	struct fx	*f = *state;
	char		 err[512];
	int		 fd;

	fd = open(path_of(f, "alt1-root.key"), O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ca_alt_open(f->ca, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "alt1-root.pem is missing"));
}

/* HARDENING §6.1 P6: root.key encrypted, so are the alternate root keys. */
static void
test_ca_alt_encrypted_like_root_key(void **state)
{
	struct ca_create_opts	 o;
	struct passphrase	 pp;
	struct ca		*ca;
	char			 dir[64], err[1024], p[PATH_MAX], head[64];
	const char		*issuer = NULL;
	bool			 rotated;
	FILE			*fp;
	int			 fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ca_alt.XXXXXX");
	assert_non_null(mkdtemp(dir));
	memset(&o, 0, sizeof(o));
	memset(&pp, 0, sizeof(pp));
	snprintf(pp.buf, sizeof(pp.buf), "%s", PASS);
	pp.len = strlen(PASS);
	o.root_pass = &pp;
	ca = ca_open(dir, true, &o, NULL, err, sizeof(err));
	assert_non_null(ca);
	/* No passphrase source: refused, naming what to do; nothing written. */
	assert_int_equal(ca_alt_open(ca, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pending:"));
	snprintf(p, sizeof(p), "%s/alt1-root.key", dir);
	assert_false(keys_exists(p));
	ca_free(ca);
	/* A wrong passphrase is refused too (KP5). */
	snprintf(p, sizeof(p), "%s/pass", dir);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "wrong passphrase\n", 17), 17);
	close(fd);
	ca = ca_open(dir, false, NULL, NULL, err, sizeof(err));
	assert_non_null(ca);
	assert_int_equal(ca_set_root_passphrase(ca, p, NULL, NULL), 0);
	assert_int_equal(ca_alt_open(ca, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong passphrase"));
	ca_free(ca);
	/* The right one: alt1-root.key is encrypted under it, 0600. */
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_int_equal(write(fd, PASS "\n", strlen(PASS) + 1),
	    (ssize_t)strlen(PASS) + 1);
	close(fd);
	ca = ca_open(dir, false, NULL, NULL, err, sizeof(err));
	assert_non_null(ca);
	assert_int_equal(ca_set_root_passphrase(ca, p, NULL, NULL), 0);
	assert_int_equal(ca_alt_open(ca, 1, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/alt1-root.key", dir);
	assert_non_null(fp = fopen(p, "r"));
	assert_non_null(fgets(head, sizeof(head), fp));
	fclose(fp);
	assert_non_null(strstr(head, "ENCRYPTED PRIVATE KEY"));
	assert_null(keys_load_private(p, err, sizeof(err)));
	/* Rotation decrypts it to sign the new alternate intermediate. */
	assert_int_equal(ca_rotate(ca, time(NULL), true, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	{
		struct fx	 f2;
		X509		*leaf;

		memset(&f2, 0, sizeof(f2));
		f2.ca = ca;
		leaf = sign_leaf(&f2, &issuer);
		assert_non_null(ca_hier_chain_pem(ca, 1, issuer));
		assert_true(verifies(leaf, ca_hier_chain_pem(ca, 1, issuer),
		    ca_hier_root_cert(ca, 1)));
		X509_free(leaf);
	}
	ca_free(ca);
	passphrase_clear(&pp);
	tu_rmrf(dir);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ca_alt_each_chain_verifies_under_its_root_only),
		T(test_ca_alt_files_and_modes),
		T(test_ca_alt_out_of_range_refused),
		T(test_ca_alt_reopen_same_roots_and_grow),
		T(test_ca_alt_follows_rotation),
		T(test_ca_alt_resigned_after_rotation_elsewhere),
		T(test_ca_alt_partial_hierarchy_refused),
		cmocka_unit_test(test_ca_alt_encrypted_like_root_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
