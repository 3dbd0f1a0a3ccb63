/* ca.c - the CA: open, create and load the root and intermediate (HARDENING §5.1, §5.2); accessors; X.509 building blocks */
/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "ca_internal.h"
#include "keys.h"
#include "log.h"
#include "passphrase.h"
#include "policy.h"
#include "statedir.h"

static void
intermediate_free(struct ca_intermediate *is)
{
	while (is != NULL) {
		struct ca_intermediate *older = is->older;

		X509_free(is->cert);
		EVP_PKEY_free(is->key);
		free(is->pem);
		free(is);
		is = older;
	}
}

time_t
ca_asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

const EVP_MD *
ca_md_for(EVP_PKEY *key)
{
	/* BR §7.1.3.2: P-384 signs with SHA-384, all else with SHA-256. */
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == 384)
		return EVP_sha384();
	return EVP_sha256();
}

int
ca_add_ext(X509 *x, int nid, void *val, int crit)
{
	if (X509_add1_ext_i2d(x, nid, val, crit, X509V3_ADD_DEFAULT) != 1) {
		log_openssl(LOG_LVL_ERROR, "ca: add extension %s",
		    OBJ_nid2sn(nid));
		return -1;
	}
	return 0;
}

int
ca_add_bc(X509 *x, bool is_ca, int pathlen)
{
	BASIC_CONSTRAINTS	*bc;
	int			 rc = -1;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		return -1;
	bc->ca = is_ca ? 0xff : 0;
	if (pathlen >= 0) {
		if ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    ASN1_INTEGER_set(bc->pathlen, pathlen) != 1)
			goto out;
	}
	rc = ca_add_ext(x, NID_basic_constraints, bc, 1);
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* bits: RFC 5280 §4.2.1.3 bit numbers (0 digitalSignature, ...). */
int
ca_add_ku(X509 *x, const int *bits, size_t n)
{
	ASN1_BIT_STRING	*ku;
	int		 rc = -1;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ASN1_BIT_STRING_set_bit(ku, bits[i], 1) != 1)
			goto out;
	rc = ca_add_ext(x, NID_key_usage, ku, 1);
out:
	ASN1_BIT_STRING_free(ku);
	return rc;
}

int
ca_add_eku(X509 *x, bool client)
{
	EXTENDED_KEY_USAGE	*eku;
	int			 rc = -1;

	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return -1;
	if (sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) == 0)
		goto out;
	if (client && sk_ASN1_OBJECT_push(eku,
	    OBJ_nid2obj(NID_client_auth)) == 0)
		goto out;
	rc = ca_add_ext(x, NID_ext_key_usage, eku, 0);
out:
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

/* RFC 7093 §2 method 1: leftmost 160 bits of SHA-256(subjectPublicKey). */
static int
add_ski(X509 *x, ASN1_OCTET_STRING **out)
{
	ASN1_OCTET_STRING	*ski;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	int			 rc = -1;

	if (X509_pubkey_digest(x, EVP_sha256(), md, &mdlen) != 1 ||
	    mdlen < 20)
		return -1;
	if ((ski = ASN1_OCTET_STRING_new()) == NULL)
		return -1;
	if (ASN1_OCTET_STRING_set(ski, md, 20) == 1)
		rc = ca_add_ext(x, NID_subject_key_identifier, ski, 0);
	if (rc == 0 && out != NULL)
		*out = ski;	/* the extension cache of an unsigned cert is stale */
	else
		ASN1_OCTET_STRING_free(ski);
	return rc;
}

int
ca_add_ski(X509 *x)
{
	return add_ski(x, NULL);
}

/* keyIdentifier only, no issuer/serial (BR §7.1.2.11.1). */
int
ca_add_aki(X509 *x, const ASN1_OCTET_STRING *keyid)
{
	AUTHORITY_KEYID	*aki;
	int		 rc = -1;

	if (keyid == NULL) {
		log_err("ca: issuer has no subjectKeyIdentifier");
		return -1;
	}
	if ((aki = AUTHORITY_KEYID_new()) == NULL)
		return -1;
	if ((aki->keyid = ASN1_OCTET_STRING_dup(keyid)) != NULL)
		rc = ca_add_ext(x, NID_authority_key_identifier, aki, 0);
	AUTHORITY_KEYID_free(aki);
	return rc;
}

static int
add_nc(X509 *x, const struct policy *p)
{
	X509_EXTENSION	*ext = NULL;
	int		 rc = -1;

	if (policy_nc_extension(p, &ext) == -1)
		return -1;
	if (ext == NULL)
		return 0;	/* unconstrained CA */
	if (X509_add_ext(x, ext, -1) == 1)
		rc = 0;
	X509_EXTENSION_free(ext);
	return rc;
}

static int
set_serial(X509 *x, const char *hex)
{
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;
	int		 rc = -1;

	if (BN_hex2bn(&bn, hex) != (int)strlen(hex) || BN_is_zero(bn) ||
	    BN_is_negative(bn) || BN_num_bytes(bn) > 20)
		goto out;
	if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, ai) != 1)
		goto out;
	rc = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

/*
 * Copy a SubjectPublicKeyInfo's algorithm and key bits into dst as they
 * are: no EVP_PKEY round trip through OpenSSL 3's encoders. The leaf's
 * X509_PUBKEY then has no decoded key (X509_get0_pubkey gives NULL),
 * which nothing after signing needs. 0 or -1.
 */
static int
copy_spki(X509_PUBKEY *dst, const X509_PUBKEY *src)
{
	ASN1_OBJECT		*alg = NULL, *oid = NULL, *salg;
	const ASN1_OBJECT	*aoid;
	X509_ALGOR		*sa;
	const unsigned char	*bits;
	unsigned char		*enc = NULL;
	const void		*pval;
	void			*param = NULL;
	int			 len, ptype;

	if (X509_PUBKEY_get0_param(&salg, &bits, &len, &sa, src) != 1 ||
	    len <= 0 || sa == NULL)
		return -1;
	X509_ALGOR_get0(&aoid, &ptype, &pval, sa);
	if ((alg = OBJ_dup(salg)) == NULL)
		goto fail;
	switch (ptype) {
	case V_ASN1_OBJECT:	/* EC: the named curve */
		if ((oid = OBJ_dup(pval)) == NULL)
			goto fail;
		param = oid;
		break;
	case V_ASN1_NULL:	/* RSA */
	case V_ASN1_UNDEF:	/* Ed25519 */
		break;
	default:		/* explicit curves, PSS parameters: not ours */
		goto fail;
	}
	if ((enc = OPENSSL_memdup(bits, (size_t)len)) == NULL)
		goto fail;
	if (X509_PUBKEY_set0_param(dst, alg, ptype, param, enc, len) != 1)
		goto fail;
	return 0;
fail:
	ASN1_OBJECT_free(alg);
	ASN1_OBJECT_free(oid);
	OPENSSL_free(enc);
	return -1;
}

/* A v3 certificate with serial, names, key and validity; no extensions. */
X509 *
ca_new_cert(const char *serial, const X509_NAME *subject,
    const X509_NAME *issuer, EVP_PKEY *pub, const X509_PUBKEY *spki, time_t nb,
    time_t na)
{
	X509 *x;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    set_serial(x, serial) == -1 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, issuer) != 1 ||
	    (spki != NULL ? copy_spki(X509_get_X509_PUBKEY(x), spki) != 0 :
	    X509_set_pubkey(x, pub) != 1) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL) {
		log_openssl(LOG_LVL_ERROR, "ca: new certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

int
ca_sign_cert(X509 *x, EVP_PKEY *key)
{
	if (X509_sign(x, key, ca_md_for(key)) <= 0) {
		log_openssl(LOG_LVL_ERROR, "ca: X509_sign");
		return -1;
	}
	return 0;
}

/* "localacme <what> <user>@<host> <8 hex>", at most 64 characters. */
X509_NAME *
ca_name(const char *what)
{
	X509_NAME	*name;
	struct passwd	*pw;
	char		 host[256] = "localhost", cn[65], hex[9];
	const char	*user = "user";
	unsigned char	 r[4];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return NULL;
	snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
	if ((pw = getpwuid(geteuid())) != NULL && pw->pw_name != NULL)
		user = pw->pw_name;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* Unique per installation (SEC_ERROR_REUSED_ISSUER_AND_SERIAL). */
	snprintf(cn, sizeof(cn), "localacme %s %.16s@%.20s %s", what, user,
	    host, hex);
	if ((name = X509_NAME_new()) == NULL)
		return NULL;
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"localacme", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1) {
		X509_NAME_free(name);
		return NULL;
	}
	return name;
}

static const int ca_ku_bits[] = { 5, 6 };	/* keyCertSign, cRLSign */

/* HARDENING §5.1; what names it in the CN ("root", "alt1 root"). */
X509 *
ca_make_root(EVP_PKEY *key, const struct policy *p, time_t now,
    const char *what)
{
	X509		*x = NULL;
	X509_NAME	*name = NULL;
	ASN1_OCTET_STRING *ski = NULL;
	char		 serial[ACME_SERIAL_SIZE];
	time_t		 nb = now - CA_BACKDATE;

	if (ca_new_serial(serial) == -1 || (name = ca_name(what)) == NULL)
		goto fail;
	if ((x = ca_new_cert(serial, name, name, key, NULL, nb,
	    nb + (time_t)CA_ROOT_DAYS * CA_DAY)) == NULL)
		goto fail;
	if (ca_add_bc(x, true, -1) == -1 ||
	    ca_add_ku(x, ca_ku_bits, 2) == -1 ||
	    add_ski(x, &ski) == -1 ||
	    ca_add_aki(x, ski) == -1 ||
	    add_nc(x, p) == -1 ||
	    ca_sign_cert(x, key) == -1)
		goto fail;
	ASN1_OCTET_STRING_free(ski);
	X509_NAME_free(name);
	return x;
fail:
	ASN1_OCTET_STRING_free(ski);
	X509_NAME_free(name);
	X509_free(x);
	return NULL;
}

/* HARDENING §5.2; at most 3 years and inside the root's validity. */
X509 *
ca_make_intermediate(X509 *root, EVP_PKEY *rootkey, EVP_PKEY *key,
    const struct policy *p, time_t now)
{
	X509		*x;
	X509_NAME	*name;
	time_t		 nb = now - CA_BACKDATE, na, rnb, rna;

	rnb = ca_asn1_to_time(X509_get0_notBefore(root));
	rna = ca_asn1_to_time(X509_get0_notAfter(root));
	if (nb < rnb)
		nb = rnb;
	na = nb + (time_t)CA_INTERMEDIATE_DAYS * CA_DAY;
	if (na > rna)
		na = rna;
	if (na <= nb + CA_DAY) {
		log_err("ca: the root expires too soon to sign an "
		    "intermediate");
		return NULL;
	}
	if ((name = ca_name("intermediate")) == NULL)
		return NULL;
	x = ca_sign_intermediate(root, rootkey, key, name, nb, na, p);
	X509_NAME_free(name);
	return x;
}

/* HARDENING §5.2: the intermediate's profile, for any subject and times. */
X509 *
ca_sign_intermediate(X509 *root, EVP_PKEY *rootkey, EVP_PKEY *key,
    const X509_NAME *name, time_t nb, time_t na, const struct policy *p)
{
	X509	*x = NULL;
	char	 serial[ACME_SERIAL_SIZE];

	if (ca_new_serial(serial) == -1)
		return NULL;
	if ((x = ca_new_cert(serial, name, X509_get_subject_name(root), key,
	    NULL, nb, na)) == NULL)
		return NULL;
	if (ca_add_bc(x, true, 0) == -1 ||
	    ca_add_ku(x, ca_ku_bits, 2) == -1 ||
	    ca_add_eku(x, true) == -1 ||
	    add_ski(x, NULL) == -1 ||
	    ca_add_aki(x, X509_get0_subject_key_id(root)) == -1 ||
	    add_nc(x, p) == -1 ||
	    ca_sign_cert(x, rootkey) == -1) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
ca_write_cert(const char *path, X509 *x, bool replace, char *err, size_t errsz)
{
	char	*pem;
	int	 rc;

	if ((pem = keys_cert_pem(x)) == NULL) {
		snprintf(err, errsz, "%s: cannot encode the certificate",
		    path);
		return -1;
	}
	rc = keys_write_file(path, pem, strlen(pem), 0644, replace, err,
	    errsz);
	free(pem);
	return rc;
}

int
ca_make_paths(const char *dir, struct ca_paths *p, char *err, size_t errsz)
{
	if (statedir_join(dir, "root.pem", p->root_pem, PATH_MAX) == -1 ||
	    statedir_join(dir, "root.key", p->root_key, PATH_MAX) == -1 ||
	    statedir_join(dir, "intermediate.pem", p->int_pem, PATH_MAX) == -1 ||
	    statedir_join(dir, "intermediate.key", p->int_key, PATH_MAX) == -1) {
		snprintf(err, errsz, "%s: path too long", dir);
		return -1;
	}
	return 0;
}

/* root.key, encrypted when pp is given (HARDENING §6.1 P2/P6); never overwritten. */
static int
write_root_key(const char *path, EVP_PKEY *rkey, const struct passphrase *pp,
    char *err, size_t errsz)
{
	if (pp == NULL)
		return keys_write_private(path, rkey, false, err, errsz);
	return keys_write_private_encrypted(path, rkey, pp->buf, pp->len,
	    false, err, errsz);
}

/* Create all four files; root.pem last, so its presence means "complete". */
static int
create_ca(const struct ca_paths *ps, const struct ca_create_opts *opts,
    char *err, size_t errsz)
{
	struct policy	 defpol;
	const struct policy *pol;
	EVP_PKEY	*rkey = NULL, *ikey = NULL;
	X509		*root = NULL, *inter = NULL;
	enum keys_type	 kt = opts != NULL ? opts->key_type : KEYS_EC256;
	time_t		 now = time(NULL);
	int		 rc = -1;

	if (opts != NULL && opts->policy != NULL)
		pol = opts->policy;
	else {
		policy_init_default(&defpol);
		pol = &defpol;
	}
	if ((rkey = keys_generate(kt, err, errsz)) == NULL ||
	    (ikey = keys_generate(kt, err, errsz)) == NULL)
		goto out;
	if ((root = ca_make_root(rkey, pol, now, "root")) == NULL ||
	    (inter = ca_make_intermediate(root, rkey, ikey, pol,
	    now)) == NULL) {
		snprintf(err, errsz, "cannot build the CA certificates");
		goto out;
	}
	if (keys_write_private(ps->int_key, ikey, false, err, errsz) == -1 ||
	    ca_write_cert(ps->int_pem, inter, false, err, errsz) == -1 ||
	    write_root_key(ps->root_key, rkey, opts != NULL ?
	    opts->root_pass : NULL, err, errsz) == -1 ||
	    ca_write_cert(ps->root_pem, root, false, err, errsz) == -1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(ikey);
	X509_free(root);
	X509_free(inter);
	return rc;
}

int
ca_load_intermediate(struct ca_intermediate *is, X509 *cert, EVP_PKEY *key)
{
	if ((is->pem = keys_cert_pem(cert)) == NULL)
		return -1;
	is->cert = cert;
	is->key = key;
	is->not_before = ca_asn1_to_time(X509_get0_notBefore(cert));
	is->not_after = ca_asn1_to_time(X509_get0_notAfter(cert));
	return 0;
}

/* Is `cert` a CA certificate signed by `by` (names and signature)? */
bool
ca_signed_by(X509 *cert, X509 *by)
{
	EVP_PKEY *pub = X509_get0_pubkey(by);

	return pub != NULL && X509_check_issued(by, cert) == X509_V_OK &&
	    X509_verify(cert, pub) == 1 && X509_check_ca(cert) != 0;
}

struct ca *
ca_open(const char *state_dir, bool create_if_missing,
    const struct ca_create_opts *opts, bool *created, char *err, size_t errsz)
{
	struct ca	*ca = NULL;
	struct ca_paths	 ps;
	struct ca_intermediate	*is = NULL;
	X509		*inter = NULL;
	EVP_PKEY	*ikey = NULL;
	bool		 ok = false;

	if (created != NULL)
		*created = false;
	if (ca_make_paths(state_dir, &ps, err, errsz) == -1)
		return NULL;
	if (!keys_exists(ps.root_pem)) {
		const char *left[] = { ps.root_key, ps.int_pem, ps.int_key };

		for (size_t i = 0; i < 3; i++)
			if (keys_exists(left[i])) {
				snprintf(err, errsz, "%s exists but %s is "
				    "missing; refusing to create a new CA over "
				    "it (move the CA files away to start over)",
				    left[i], ps.root_pem);
				return NULL;
			}
		if (!create_if_missing) {
			snprintf(err, errsz, "no CA in %s (root.pem missing); "
			    "run `localacme init`", state_dir);
			return NULL;
		}
		if (create_ca(&ps, opts, err, errsz) == -1)
			return NULL;
		if (created != NULL)
			*created = true;
	}
	if ((ca = calloc(1, sizeof(*ca))) == NULL ||
	    (is = calloc(1, sizeof(*is))) == NULL ||
	    (ca->dir = strdup(state_dir)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	pthread_mutex_init(&ca->lock, NULL);
	pthread_mutex_init(&ca->rotate_lock, NULL);
	pthread_mutex_init(&ca->ocsp_lock, NULL);
	if ((ca->root = keys_load_cert(ps.root_pem, err, errsz)) == NULL)
		goto out;
	if (!ca_signed_by(ca->root, ca->root)) {
		snprintf(err, errsz, "%s: not a self-signed CA certificate",
		    ps.root_pem);
		goto out;
	}
	if ((inter = keys_load_cert(ps.int_pem, err, errsz)) == NULL ||
	    (ikey = keys_load_private(ps.int_key, err, errsz)) == NULL)
		goto out;
	if (!ca_signed_by(inter, ca->root)) {
		snprintf(err, errsz, "%s: not signed by %s", ps.int_pem,
		    ps.root_pem);
		goto out;
	}
	if (keys_check_pair(inter, ikey, ps.int_key, err, errsz) == -1)
		goto out;
	if (!keys_acceptable(ikey, NULL)) {
		snprintf(err, errsz, "%s: key type not allowed for a CA",
		    ps.int_key);
		goto out;
	}
	if (policy_from_cert(&ca->policy, ca->root) == -1) {
		snprintf(err, errsz, "%s: unreadable nameConstraints",
		    ps.root_pem);
		goto out;
	}
	if ((ca->root_pem = keys_cert_pem(ca->root)) == NULL ||
	    ca_load_intermediate(is, inter, ikey) == -1) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	inter = NULL;
	ikey = NULL;
	ca->cur = is;
	is = NULL;
	ok = true;
out:
	X509_free(inter);
	EVP_PKEY_free(ikey);
	if (is != NULL) {
		is->cert = NULL;	/* not yet owned */
		is->key = NULL;
		intermediate_free(is);
	}
	if (!ok) {
		ca_free(ca);
		ca = NULL;
	}
	return ca;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	intermediate_free(ca->cur);
	ca_alt_free(ca);
	X509_free(ca->root);
	free(ca->root_pem);
	free(ca->dir);
	free(ca->pass_file);
	free(ca->pass_cred_dir);
	free(ca->pass_tty);
	pthread_mutex_destroy(&ca->lock);
	pthread_mutex_destroy(&ca->rotate_lock);
	X509_free(ca->ocsp_cert);
	EVP_PKEY_free(ca->ocsp_key);
	pthread_mutex_destroy(&ca->ocsp_lock);
	free(ca);
}

struct ca_intermediate *
ca_current(struct ca *ca)
{
	struct ca_intermediate *is;

	pthread_mutex_lock(&ca->lock);
	is = ca->cur;
	pthread_mutex_unlock(&ca->lock);
	return is;
}

const char *
ca_chain_pem(struct ca *ca)
{
	return ca_current(ca)->pem;
}

const char *
ca_root_pem(struct ca *ca)
{
	return ca->root_pem;
}

X509 *
ca_root_cert(struct ca *ca)
{
	return ca->root;
}

X509 *
ca_intermediate_cert(struct ca *ca)
{
	return ca_current(ca)->cert;
}

int
ca_root_fingerprint(struct ca *ca, char hex[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	static const char hexd[] = "0123456789ABCDEF";

	if (X509_digest(ca->root, EVP_sha256(), md, &n) != 1 || n != 32)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = hexd[md[i] >> 4];
		hex[2 * i + 1] = hexd[md[i] & 0xf];
	}
	hex[64] = '\0';
	return 0;
}

const struct policy *
ca_policy(struct ca *ca)
{
	return &ca->policy;
}

time_t
ca_intermediate_not_after(struct ca *ca)
{
	return ca_current(ca)->not_after;
}

time_t
ca_intermediate_not_before(struct ca *ca)
{
	return ca_current(ca)->not_before;
}

const char *
ca_state_dir(struct ca *ca)
{
	return ca->dir;
}
