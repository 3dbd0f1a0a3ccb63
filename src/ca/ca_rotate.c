/* ca_rotate.c - intermediate rotation and archive; the root key's passphrase and encryption (HARDENING §6.1) */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "ca.h"
#include "ca_internal.h"
#include "keys.h"
#include "log.h"
#include "passphrase.h"
#include "statedir.h"

void
ca_key_type_of(EVP_PKEY *k, enum keys_type *t)
{
	int bits = EVP_PKEY_get_bits(k);

	if (EVP_PKEY_is_a(k, "EC"))
		*t = bits == 384 ? KEYS_EC384 : KEYS_EC256;
	else if (bits == 4096)
		*t = KEYS_RSA4096;
	else if (bits == 3072)
		*t = KEYS_RSA3072;
	else
		*t = KEYS_RSA2048;
}

/* Keep the current intermediate as intermediate-<serial>.{pem,key}. */
static int
archive_current(struct ca *ca, const struct ca_paths *ps, char *err,
    size_t errsz)
{
	BIGNUM	*bn;
	char	*hex, name[128], path[PATH_MAX];
	int	 rc = -1;

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ca->cur->cert), NULL);
	if (bn == NULL || (hex = BN_bn2hex(bn)) == NULL) {
		BN_free(bn);
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	for (char *p = hex; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	snprintf(name, sizeof(name), "intermediate-%s.pem", hex);
	if (statedir_join(ca->dir, name, path, sizeof(path)) == -1 ||
	    (link(ps->int_pem, path) == -1 && errno != EEXIST)) {
		snprintf(err, errsz, "%s: cannot archive: %s", path,
		    strerror(errno));
		goto out;
	}
	snprintf(name, sizeof(name), "intermediate-%s.key", hex);
	if (statedir_join(ca->dir, name, path, sizeof(path)) == -1 ||
	    (link(ps->int_key, path) == -1 && errno != EEXIST)) {
		snprintf(err, errsz, "%s: cannot archive: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

static int
dup_or_null(char **dst, const char *src)
{
	free(*dst);
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return -1;
	return 0;
}

int
ca_set_root_passphrase(struct ca *ca, const char *file, const char *cred_dir,
    const char *tty)
{
	int rc = 0;

	pthread_mutex_lock(&ca->rotate_lock);
	if (dup_or_null(&ca->pass_file, file) == -1 ||
	    dup_or_null(&ca->pass_cred_dir, cred_dir) == -1 ||
	    dup_or_null(&ca->pass_tty, tty) == -1)
		rc = -1;
	pthread_mutex_unlock(&ca->rotate_lock);
	return rc;
}

/*
 * Load root.key for signing: as is when unencrypted, else with the
 * passphrase from the sources set by ca_set_root_passphrase (P1/P2: the
 * only place the root key is opened after init). A daemon sets no
 * terminal, so it never prompts; with no source the rotation is pending.
 */
static int
get_passphrase(struct ca *ca, const char *path, struct passphrase *pp,
    char *err, size_t errsz)
{
	struct passphrase_opts	 po;
	enum passphrase_source	 src = PASSPHRASE_SRC_NONE;
	char			 perr[1024];

	memset(&po, 0, sizeof(po));
	po.file = ca->pass_file;
	po.cred_dir = ca->pass_cred_dir;
	po.tty = ca->pass_tty;
	po.prompt = "Passphrase of the root key: ";
	if (passphrase_get(&po, pp, &src, perr, sizeof(perr)) == -1) {
		if (src == PASSPHRASE_SRC_NONE && ca->pass_tty == NULL)
			snprintf(err, errsz, "pending: %s is encrypted and no "
			    "passphrase source is set; run `localacme init "
			    "--state %s --rotate-intermediate "
			    "--root-passphrase-file FILE` and restart serve, "
			    "or run serve with --root-passphrase-file FILE",
			    path, ca->dir);
		else
			snprintf(err, errsz, "%s", perr);
		return -1;
	}
	return 0;
}

EVP_PKEY *
ca_load_root_key(struct ca *ca, const char *path, char *err, size_t errsz)
{
	struct passphrase	*pp;
	EVP_PKEY		*k;

	if ((k = keys_load_private(path, err, errsz)) != NULL ||
	    errno != ENOKEY)
		return k;
	if ((pp = malloc(sizeof(*pp))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (get_passphrase(ca, path, pp, err, errsz) == 0)
		k = keys_load_private_pass(path, pp->buf, pp->len, err, errsz);
	passphrase_clear(pp);
	free(pp);
	return k;
}

int
ca_root_passphrase(struct ca *ca, struct passphrase *pp, char *err,
    size_t errsz)
{
	struct ca_paths	 ps;
	EVP_PKEY	*k;

	if (ca_make_paths(ca->dir, &ps, err, errsz) == -1 ||
	    get_passphrase(ca, ps.root_key, pp, err, errsz) == -1)
		return -1;
	/* A wrong one would lock the new key away for good (KP5). */
	if ((k = keys_load_private_pass(ps.root_key, pp->buf, pp->len, err,
	    errsz)) == NULL) {
		passphrase_clear(pp);
		return -1;
	}
	EVP_PKEY_free(k);
	return 0;
}

int
ca_encrypt_root(struct ca *ca, const struct passphrase_opts *po,
    bool *already, char *err, size_t errsz)
{
	struct ca_paths		 ps;
	struct passphrase	*pp = NULL;
	EVP_PKEY		*rkey = NULL;
	int			 rc = -1;

	*already = false;
	pthread_mutex_lock(&ca->rotate_lock);
	if (ca_make_paths(ca->dir, &ps, err, errsz) == -1)
		goto out;
	if ((rkey = keys_load_private(ps.root_key, err, errsz)) == NULL) {
		if (errno == ENOKEY) {
			*already = true;
			rc = 0;
		}
		goto out;
	}
	if (keys_check_pair(ca->root, rkey, ps.root_key, err, errsz) == -1)
		goto out;
	if ((pp = malloc(sizeof(*pp))) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (passphrase_get(po, pp, NULL, err, errsz) == -1)
		goto out;
	/* rename(2) over the old file: the plaintext is gone in one step. */
	if (keys_write_private_encrypted(ps.root_key, rkey, pp->buf, pp->len,
	    true, err, errsz) == -1)
		goto out;
	log_info("ca: %s is now encrypted", ps.root_key);
	rc = 0;
out:
	pthread_mutex_unlock(&ca->rotate_lock);
	if (pp != NULL) {
		passphrase_clear(pp);
		free(pp);
	}
	EVP_PKEY_free(rkey);
	return rc;
}

int
ca_maybe_rotate(struct ca *ca, time_t now, bool *rotated, char *err,
    size_t errsz)
{
	return ca_rotate(ca, now, false, rotated, err, errsz);
}

int
ca_rotate(struct ca *ca, time_t now, bool force, bool *rotated, char *err,
    size_t errsz)
{
	struct ca_paths	 ps;
	struct ca_intermediate	*is = NULL, *cur;
	EVP_PKEY	*rkey = NULL, *ikey = NULL;
	X509		*inter = NULL;
	enum keys_type	 kt;
	time_t		 life, left;
	int		 rc = -1;

	*rotated = false;
	pthread_mutex_lock(&ca->rotate_lock);
	cur = ca_current(ca);
	life = cur->not_after - cur->not_before;
	left = cur->not_after - now;
	if (!force && left >= life / 3) {
		rc = 0;
		goto out;
	}
	if (ca_make_paths(ca->dir, &ps, err, errsz) == -1)
		goto out;
	/* P1: the root key is opened here and nowhere else after init. */
	if ((rkey = ca_load_root_key(ca, ps.root_key, err, errsz)) == NULL)
		goto out;
	if (keys_check_pair(ca->root, rkey, ps.root_key, err, errsz) == -1)
		goto out;
	ca_key_type_of(cur->key, &kt);
	if ((ikey = keys_generate(kt, err, errsz)) == NULL)
		goto out;
	if ((inter = ca_make_intermediate(ca->root, rkey, ikey, &ca->policy,
	    now)) == NULL) {
		snprintf(err, errsz, "cannot sign a new intermediate");
		goto out;
	}
	if (!force &&
	    ca_asn1_to_time(X509_get0_notAfter(inter)) <= cur->not_after) {
		/* The root itself is near its end: nothing to gain. */
		log_warn("ca: the root expires soon; re-run init in a new "
		    "state directory");
		rc = 0;
		goto out;
	}
	if (archive_current(ca, &ps, err, errsz) == -1)
		goto out;
	/* Key first, then cert; load refuses a mismatched pair (X08). */
	if (keys_write_private(ps.int_key, ikey, true, err, errsz) == -1 ||
	    ca_write_cert(ps.int_pem, inter, true, err, errsz) == -1)
		goto out;
	if ((is = calloc(1, sizeof(*is))) == NULL ||
	    ca_load_intermediate(is, inter, ikey) == -1) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	inter = NULL;
	ikey = NULL;
	pthread_mutex_lock(&ca->lock);
	is->older = ca->cur;	/* borrowed chain PEMs stay valid */
	ca->cur = is;
	pthread_mutex_unlock(&ca->lock);
	is = NULL;
	*rotated = true;
	log_info("ca: rotated the intermediate (%s)", ps.int_pem);
	ca_alt_follow(ca, now);
	rc = 0;
out:
	pthread_mutex_unlock(&ca->rotate_lock);
	if (is != NULL) {
		free(is->pem);
		free(is);
	}
	X509_free(inter);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(rkey);
	return rc;
}
