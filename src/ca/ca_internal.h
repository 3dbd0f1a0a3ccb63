/* ca_internal.h - what the CA's files share: struct ca, its intermediates, certificate building blocks (src/ca/ only) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_CA_INTERNAL_H
#define LOCALACME_CA_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "keys.h"
#include "policy.h"

#define CA_DAY	86400

/* One intermediate: the current one, or a retired one kept for borrowers. */
struct ca_intermediate {
	X509			*cert;
	EVP_PKEY		*key;
	char			*pem;
	time_t			 not_before, not_after;
	struct ca_intermediate	*older;	/* retired ones, freed by ca_free */
};

/*
 * An alternate hierarchy's intermediate (RFC 8555 §7.4.2): the default
 * intermediate's subject and key, signed by the alternate root. base_pem
 * is the PEM of the default intermediate it stands for; a leaf whose
 * stored chain is base_pem verifies under this one too.
 */
struct ca_alt_inter {
	X509			*cert;
	char			*pem;
	char			*base_pem;
	struct ca_alt_inter	*older;	/* for retired intermediates; ca_free */
};

/* Alternate hierarchy k (1..CA_ALT_MAX): altK-root.pem/.key, altK-intermediate.pem. */
struct ca_alt {
	X509			*root;
	char			*root_pem;
	struct ca_alt_inter	*cur;	/* under ca->lock */
};

struct ca {
	char		*dir;
	X509		*root;
	char		*root_pem;
	struct policy	 policy;
	pthread_mutex_t	 lock;		/* guards `cur` (pointer swap only) */
	pthread_mutex_t	 rotate_lock;	/* one rotation at a time */
	struct ca_intermediate *cur;
	/* Where an encrypted root.key's passphrase may come from (P6). */
	char		*pass_file, *pass_cred_dir, *pass_tty;
	/* The delegated OCSP signer (ca_ocsp.c), under ocsp_lock. */
	pthread_mutex_t	 ocsp_lock;
	X509		*ocsp_cert;
	EVP_PKEY	*ocsp_key;
	struct ca_intermediate *ocsp_is;	/* its issuer */
	/* Alternate hierarchies (ca_alt.c); set once by ca_alt_open. */
	unsigned	 nalt;
	struct ca_alt	 alt[CA_ALT_MAX];
};

/* The CA's four files in its state directory. */
struct ca_paths {
	char	 root_pem[PATH_MAX], root_key[PATH_MAX];
	char	 int_pem[PATH_MAX], int_key[PATH_MAX];
};

/* ca.c: files, intermediates, the current one. */

/* Fill p from dir. 0, or -1 with err filled (a path too long). */
int		 ca_make_paths(const char *dir, struct ca_paths *p, char *err,
		    size_t errsz);
/* Write x as PEM to path, mode 0644 (keys_write_file). 0 or -1, err filled. */
int		 ca_write_cert(const char *path, X509 *x, bool replace,
		    char *err, size_t errsz);
/* Fill is with cert and key (taken on success) and their PEM. 0 or -1. */
int		 ca_load_intermediate(struct ca_intermediate *is, X509 *cert,
		    EVP_PKEY *key);
/* The current intermediate, read under ca->lock. Valid until ca_free. */
struct ca_intermediate *ca_current(struct ca *ca);
/* A new intermediate for key, signed by rootkey (HARDENING §5.2), or NULL. */
X509		*ca_make_intermediate(X509 *root, EVP_PKEY *rootkey,
		    EVP_PKEY *key, const struct policy *p, time_t now);
/* The same profile with the subject and times given. A new X509, or NULL. */
X509		*ca_sign_intermediate(X509 *root, EVP_PKEY *rootkey,
		    EVP_PKEY *key, const X509_NAME *name, time_t nb, time_t na,
		    const struct policy *p);
/* A new self-signed root (HARDENING §5.1), CN "localacme <what> ...", or NULL. */
X509		*ca_make_root(EVP_PKEY *key, const struct policy *p, time_t now,
		    const char *what);
/* Is cert a CA certificate signed by `by` (names and signature)? */
bool		 ca_signed_by(X509 *cert, X509 *by);

/* ca_rotate.c: the root keys' passphrase, for rotation and ca_alt.c. */

/* The key type of k (for a new key of the same kind). */
void		 ca_key_type_of(EVP_PKEY *k, enum keys_type *t);
/*
 * A root key for signing: path as is when unencrypted, else decrypted
 * with the passphrase from ca_set_root_passphrase's sources. A new key,
 * or NULL with err filled (starting "pending:" when no source is set).
 */
EVP_PKEY	*ca_load_root_key(struct ca *ca, const char *path, char *err,
		    size_t errsz);
/*
 * The passphrase of an encrypted root.key into pp, from the same
 * sources, checked by decrypting root.key with it. 0, or -1 with err.
 */
struct passphrase;
int		 ca_root_passphrase(struct ca *ca, struct passphrase *pp,
		    char *err, size_t errsz);

/* ca_alt.c */

/* Free every alternate hierarchy (ca_free). */
void		 ca_alt_free(struct ca *ca);
/*
 * After the default intermediate rotated (rotate_lock held): sign each
 * alternate intermediate anew for it. Failures are logged; that
 * hierarchy then has no chain for new leaves until the next start.
 */
void		 ca_alt_follow(struct ca *ca, time_t now);

/* ca.c: certificate building blocks, shared with the leaf (ca_leaf.c). */

/* The digest a CA key signs with (BR §7.1.3.2). */
const EVP_MD	*ca_md_for(EVP_PKEY *key);
/* Add an extension by NID (logged on failure). 0 or -1. */
int		 ca_add_ext(X509 *x, int nid, void *val, int crit);
/* basicConstraints, critical; pathlen < 0 leaves it out. 0 or -1. */
int		 ca_add_bc(X509 *x, bool is_ca, int pathlen);
/* keyUsage, critical, with the RFC 5280 §4.2.1.3 bit numbers. 0 or -1. */
int		 ca_add_ku(X509 *x, const int *bits, size_t n);
/* extKeyUsage serverAuth (+ clientAuth), non-critical. 0 or -1. */
int		 ca_add_eku(X509 *x, bool client);
/* authorityKeyIdentifier = keyid (keyIdentifier only). 0 or -1. */
int		 ca_add_aki(X509 *x, const ASN1_OCTET_STRING *keyid);
/*
 * A v3 certificate with serial, names, key (spki as given, else pub) and
 * validity; no extensions. A new X509, or NULL (logged).
 */
X509		*ca_new_cert(const char *serial, const X509_NAME *subject,
		    const X509_NAME *issuer, EVP_PKEY *pub,
		    const X509_PUBKEY *spki, time_t nb, time_t na);
/* Sign x with key and ca_md_for(key). 0 or -1 (logged). */
int		 ca_sign_cert(X509 *x, EVP_PKEY *key);

/* "localacme <what> <user>@<host> <8 hex>" (ca.c), or NULL. */
X509_NAME	*ca_name(const char *what);
/* subjectKeyIdentifier by RFC 7093 §2 method 1 (ca.c). 0 or -1. */
int		 ca_add_ski(X509 *x);

/* ca_leaf.c, for the check (ca_check.c). */

/* The leaf's subject CN (borrowed from req), or NULL for an empty subject. */
const char	*ca_leaf_cn(const struct ca_leaf_req *req);

#endif /* LOCALACME_CA_INTERNAL_H */
