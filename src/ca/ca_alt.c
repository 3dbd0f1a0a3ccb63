/* ca_alt.c - alternate hierarchies: more roots over the default intermediate's key, for alternate chains (RFC 8555 §7.4.2) */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "ca.h"
#include "ca_internal.h"
#include "keys.h"
#include "log.h"
#include "passphrase.h"
#include "statedir.h"

/*
 * As Pebble does it: hierarchy k has its own root, and an intermediate
 * with the default intermediate's subject and public key (so the same
 * subjectKeyIdentifier) signed by that root. A leaf is signed once, by
 * the default intermediate; its chain k is that leaf followed by
 * hierarchy k's intermediate, and it verifies under root k alone. The
 * roots' CNs ("localacme alt1 root ...") tell the chains apart for a
 * client's preferred-chain option, which compares the issuer CN of the
 * chain's last certificate.
 */

struct alt_paths {
	char	 root_pem[PATH_MAX], root_key[PATH_MAX], int_pem[PATH_MAX];
};

static int
alt_paths(const char *dir, unsigned k, struct alt_paths *p, char *err,
    size_t errsz)
{
	char name[64];

	snprintf(name, sizeof(name), "alt%u-root.pem", k);
	if (statedir_join(dir, name, p->root_pem, PATH_MAX) == -1)
		goto long_;
	snprintf(name, sizeof(name), "alt%u-root.key", k);
	if (statedir_join(dir, name, p->root_key, PATH_MAX) == -1)
		goto long_;
	snprintf(name, sizeof(name), "alt%u-intermediate.pem", k);
	if (statedir_join(dir, name, p->int_pem, PATH_MAX) == -1)
		goto long_;
	return 0;
long_:
	snprintf(err, errsz, "%s: path too long", dir);
	return -1;
}

static void
alt_inter_free(struct ca_alt_inter *ai)
{
	while (ai != NULL) {
		struct ca_alt_inter *older = ai->older;

		X509_free(ai->cert);
		free(ai->pem);
		free(ai->base_pem);
		free(ai);
		ai = older;
	}
}

void
ca_alt_free(struct ca *ca)
{
	for (unsigned k = 0; k < ca->nalt; k++) {
		alt_inter_free(ca->alt[k].cur);
		X509_free(ca->alt[k].root);
		free(ca->alt[k].root_pem);
	}
	ca->nalt = 0;
}

/* Does the first line of path say "ENCRYPTED PRIVATE KEY"? (No key is parsed.) */
static bool
key_file_encrypted(const char *path)
{
	char	 buf[64];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "ENCRYPTED") != NULL;
}

/*
 * Hierarchy k's intermediate for the default intermediate `base`: its
 * subject and key, issued by root, times inside both. A new X509 or NULL.
 */
static X509 *
make_alt_inter(struct ca *ca, X509 *root, EVP_PKEY *rootkey,
    const struct ca_intermediate *base)
{
	time_t	 nb = base->not_before, na = base->not_after, rnb, rna;

	rnb = ca_asn1_to_time(X509_get0_notBefore(root));
	rna = ca_asn1_to_time(X509_get0_notAfter(root));
	if (nb < rnb)
		nb = rnb;
	if (na > rna)
		na = rna;
	if (na <= nb) {
		log_err("ca: an alternate root's validity misses the "
		    "intermediate's");
		return NULL;
	}
	return ca_sign_intermediate(root, rootkey, X509_get0_pubkey(base->cert),
	    X509_get_subject_name(base->cert), nb, na, &ca->policy);
}

/* Does ai stand for base: its subject and key, issued by root? */
static bool
alt_matches(X509 *ai, X509 *root, const struct ca_intermediate *base)
{
	return ca_signed_by(ai, root) &&
	    X509_NAME_cmp(X509_get_subject_name(ai),
	    X509_get_subject_name(base->cert)) == 0 &&
	    EVP_PKEY_eq(X509_get0_pubkey(ai), X509_get0_pubkey(base->cert)) == 1;
}

static struct ca_alt_inter *
alt_inter_new(X509 *cert, const struct ca_intermediate *base)
{
	struct ca_alt_inter *ai;

	if ((ai = calloc(1, sizeof(*ai))) == NULL)
		return NULL;
	if ((ai->pem = keys_cert_pem(cert)) == NULL ||
	    (ai->base_pem = strdup(base->pem)) == NULL) {
		free(ai->pem);
		free(ai);
		return NULL;
	}
	ai->cert = cert;
	return ai;
}

/* Create hierarchy k's root key, root and intermediate (none of its files exist). */
static int
alt_create(struct ca *ca, unsigned k, const struct alt_paths *ap,
    const struct ca_intermediate *base, char *err, size_t errsz)
{
	struct ca_paths		 ps;
	struct passphrase	*pp = NULL;
	EVP_PKEY		*rkey = NULL;
	X509			*root = NULL, *inter = NULL;
	enum keys_type		 kt;
	char			 what[32];
	int			 rc = -1;

	if (ca_make_paths(ca->dir, &ps, err, errsz) == -1)
		return -1;
	/* HARDENING §6.1 P6: as root.key is, encrypted or not. */
	if (key_file_encrypted(ps.root_key)) {
		if ((pp = malloc(sizeof(*pp))) == NULL) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		if (ca_root_passphrase(ca, pp, err, errsz) == -1)
			goto out;
	}
	ca_key_type_of(base->key, &kt);
	snprintf(what, sizeof(what), "alt%u root", k);
	if ((rkey = keys_generate(kt, err, errsz)) == NULL)
		goto out;
	if ((root = ca_make_root(rkey, &ca->policy, time(NULL), what)) ==
	    NULL || (inter = make_alt_inter(ca, root, rkey, base)) == NULL) {
		snprintf(err, errsz, "%s: cannot build the alternate "
		    "hierarchy's certificates", ap->root_pem);
		goto out;
	}
	/* root.pem last: its presence means the hierarchy is complete. */
	if ((pp != NULL ? keys_write_private_encrypted(ap->root_key, rkey,
	    pp->buf, pp->len, false, err, errsz) : keys_write_private(
	    ap->root_key, rkey, false, err, errsz)) == -1 ||
	    ca_write_cert(ap->int_pem, inter, false, err, errsz) == -1 ||
	    ca_write_cert(ap->root_pem, root, false, err, errsz) == -1)
		goto out;
	log_info("ca: created alternate hierarchy %u (%s%s)", k, ap->root_pem,
	    pp != NULL ? ", key encrypted" : "");
	rc = 0;
out:
	if (pp != NULL) {
		passphrase_clear(pp);
		free(pp);
	}
	EVP_PKEY_free(rkey);
	X509_free(root);
	X509_free(inter);
	return rc;
}

/*
 * Sign hierarchy k's intermediate anew for base with its root key and
 * write it over altK-intermediate.pem. A new X509, or NULL with err.
 */
static X509 *
alt_resign(struct ca *ca, X509 *root, const struct alt_paths *ap,
    const struct ca_intermediate *base, char *err, size_t errsz)
{
	EVP_PKEY	*rkey;
	X509		*inter = NULL;

	if ((rkey = ca_load_root_key(ca, ap->root_key, err, errsz)) == NULL)
		return NULL;
	if (keys_check_pair(root, rkey, ap->root_key, err, errsz) == -1)
		goto out;
	if ((inter = make_alt_inter(ca, root, rkey, base)) == NULL) {
		snprintf(err, errsz, "%s: cannot sign the alternate "
		    "intermediate", ap->int_pem);
		goto out;
	}
	if (ca_write_cert(ap->int_pem, inter, true, err, errsz) == -1) {
		X509_free(inter);
		inter = NULL;
	}
out:
	EVP_PKEY_free(rkey);
	return inter;
}

/* Load (or create) hierarchy k into *alt. 0, or -1 with err. */
static int
alt_load(struct ca *ca, unsigned k, struct ca_alt *alt, char *err,
    size_t errsz)
{
	struct alt_paths	 ap;
	struct ca_intermediate	*base = ca_current(ca);
	X509			*inter = NULL;
	int			 rc = -1;

	if (alt_paths(ca->dir, k, &ap, err, errsz) == -1)
		return -1;
	if (!keys_exists(ap.root_pem)) {
		if (keys_exists(ap.root_key) || keys_exists(ap.int_pem)) {
			snprintf(err, errsz, "%s is missing but other files of "
			    "alternate hierarchy %u exist; refusing to create "
			    "a new one over them (move alt%u-* away)",
			    ap.root_pem, k, k);
			return -1;
		}
		if (alt_create(ca, k, &ap, base, err, errsz) == -1)
			return -1;
	}
	if ((alt->root = keys_load_cert(ap.root_pem, err, errsz)) == NULL)
		return -1;
	if (!ca_signed_by(alt->root, alt->root)) {
		snprintf(err, errsz, "%s: not a self-signed CA certificate",
		    ap.root_pem);
		return -1;
	}
	if (!keys_exists(ap.root_key)) {
		snprintf(err, errsz, "%s: missing (the key of %s)", ap.root_key,
		    ap.root_pem);
		return -1;
	}
	if ((alt->root_pem = keys_cert_pem(alt->root)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if ((inter = keys_load_cert(ap.int_pem, err, errsz)) == NULL &&
	    errno != ENOENT)
		return -1;
	if (inter == NULL || !alt_matches(inter, alt->root, base)) {
		/* The default intermediate rotated while we were not running. */
		X509_free(inter);
		log_info("ca: alternate hierarchy %u: signing its "
		    "intermediate for the current one", k);
		if ((inter = alt_resign(ca, alt->root, &ap, base, err,
		    errsz)) == NULL)
			return -1;
	}
	if ((alt->cur = alt_inter_new(inter, base)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	inter = NULL;
	rc = 0;
out:
	X509_free(inter);
	return rc;
}

int
ca_alt_open(struct ca *ca, unsigned n, char *err, size_t errsz)
{
	if (n > CA_ALT_MAX) {
		snprintf(err, errsz, "alternate_roots: %u is out of range "
		    "(0..%d)", n, CA_ALT_MAX);
		return -1;
	}
	pthread_mutex_lock(&ca->rotate_lock);
	if (ca->nalt != 0) {
		pthread_mutex_unlock(&ca->rotate_lock);
		snprintf(err, errsz, "alternate hierarchies already open");
		return -1;
	}
	for (unsigned k = 1; k <= n; k++) {
		struct ca_alt *alt = &ca->alt[ca->nalt];

		memset(alt, 0, sizeof(*alt));
		/* Counted first, so ca_free frees a half-loaded one. */
		ca->nalt++;
		if (alt_load(ca, k, alt, err, errsz) == -1) {
			pthread_mutex_unlock(&ca->rotate_lock);
			return -1;
		}
	}
	pthread_mutex_unlock(&ca->rotate_lock);
	return 0;
}

void
ca_alt_follow(struct ca *ca, time_t now)
{
	struct ca_intermediate	*base = ca_current(ca);
	struct ca_alt_inter	*ai;
	struct alt_paths	 ap;
	X509			*inter;
	char			 err[1024];

	(void)now;
	for (unsigned i = 0; i < ca->nalt; i++) {
		struct ca_alt *alt = &ca->alt[i];

		if (alt_paths(ca->dir, i + 1, &ap, err, sizeof(err)) == -1 ||
		    (inter = alt_resign(ca, alt->root, &ap, base, err,
		    sizeof(err))) == NULL) {
			log_err("ca: alternate hierarchy %u keeps no chain for "
			    "the new intermediate: %s", i + 1, err);
			continue;
		}
		if ((ai = alt_inter_new(inter, base)) == NULL) {
			X509_free(inter);
			log_err("ca: alternate hierarchy %u: out of memory",
			    i + 1);
			continue;
		}
		pthread_mutex_lock(&ca->lock);
		ai->older = alt->cur;	/* chains of older leaves stay served */
		alt->cur = ai;
		pthread_mutex_unlock(&ca->lock);
	}
}

unsigned
ca_hierarchies(struct ca *ca)
{
	return 1 + ca->nalt;
}

X509 *
ca_hier_root_cert(struct ca *ca, unsigned k)
{
	if (k == 0)
		return ca->root;
	return k <= ca->nalt ? ca->alt[k - 1].root : NULL;
}

const char *
ca_hier_root_pem(struct ca *ca, unsigned k)
{
	if (k == 0)
		return ca->root_pem;
	return k <= ca->nalt ? ca->alt[k - 1].root_pem : NULL;
}

static struct ca_alt_inter *
alt_current(struct ca *ca, unsigned k)
{
	struct ca_alt_inter *ai;

	pthread_mutex_lock(&ca->lock);
	ai = ca->alt[k - 1].cur;
	pthread_mutex_unlock(&ca->lock);
	return ai;
}

const char *
ca_hier_intermediate_pem(struct ca *ca, unsigned k)
{
	if (k == 0)
		return ca_chain_pem(ca);
	return k <= ca->nalt ? alt_current(ca, k)->pem : NULL;
}

int
ca_hier_root_fingerprint(struct ca *ca, unsigned k, char hex[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	X509		*root = ca_hier_root_cert(ca, k);
	static const char hexd[] = "0123456789ABCDEF";

	if (root == NULL || X509_digest(root, EVP_sha256(), md, &n) != 1 ||
	    n != 32)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = hexd[md[i] >> 4];
		hex[2 * i + 1] = hexd[md[i] & 0xf];
	}
	hex[64] = '\0';
	return 0;
}

int
ca_hier_root_key_name(unsigned k, char *out, size_t outsz)
{
	int n;

	if (k > CA_ALT_MAX)
		return -1;
	n = k == 0 ? snprintf(out, outsz, "root.key") :
	    snprintf(out, outsz, "alt%u-root.key", k);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

const char *
ca_hier_chain_pem(struct ca *ca, unsigned k, const char *issuer_pem)
{
	if (k == 0)
		return issuer_pem;
	if (k > ca->nalt || issuer_pem == NULL)
		return NULL;
	/* The list only grows at its head; older entries never change. */
	for (struct ca_alt_inter *ai = alt_current(ca, k); ai != NULL;
	    ai = ai->older)
		if (strcmp(ai->base_pem, issuer_pem) == 0)
			return ai->pem;
	return NULL;
}

void
ca_hier_log(struct ca *ca)
{
	char	 fp[65], cn[128];

	for (unsigned k = 0; k < ca_hierarchies(ca); k++) {
		X509 *root = ca_hier_root_cert(ca, k);

		if (X509_NAME_get_text_by_NID(X509_get_subject_name(root),
		    NID_commonName, cn, sizeof(cn)) < 0)
			snprintf(cn, sizeof(cn), "?");
		if (ca_hier_root_fingerprint(ca, k, fp) == -1)
			snprintf(fp, sizeof(fp), "?");
		log_info("ca: hierarchy %u%s: root \"%s\" SHA-256 %s", k,
		    k == 0 ? " (default)" : "", cn, fp);
	}
}
