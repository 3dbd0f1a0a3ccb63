/* ca.c - the certificate authority: root, intermediate and leaf profiles (HARDENING §5) */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "keys.h"
#include "log.h"
#include "passphrase.h"
#include "policy.h"
#include "statedir.h"

#define DAY	86400

/* One intermediate: the current one, or a retired one kept for borrowers. */
struct ca_intermediate {
	X509			*cert;
	EVP_PKEY		*key;
	char			*pem;
	time_t			 not_before, not_after;
	struct ca_intermediate	*older;	/* retired ones, freed by ca_free */
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
};

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

static time_t
asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

int
ca_new_serial(char out[ACME_SERIAL_SIZE])
{
	unsigned char	 b[17];
	static const char hexd[] = "0123456789abcdef";

	if (RAND_bytes(b, sizeof(b)) != 1) {
		log_openssl(LOG_LVL_ERROR, "ca_new_serial: RAND_bytes");
		return -1;
	}
	/* HARDENING §5.3: prefix byte 0x01-0x7F: positive, 17 octets. */
	b[0] = (unsigned char)(1 + b[0] % 0x7f);
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hexd[b[i] >> 4];
		out[2 * i + 1] = hexd[b[i] & 0xf];
	}
	out[2 * sizeof(b)] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

static const EVP_MD *
md_for(EVP_PKEY *key)
{
	/* BR §7.1.3.2: P-384 signs with SHA-384, all else with SHA-256. */
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == 384)
		return EVP_sha384();
	return EVP_sha256();
}

static int
add_ext(X509 *x, int nid, void *val, int crit)
{
	if (X509_add1_ext_i2d(x, nid, val, crit, X509V3_ADD_DEFAULT) != 1) {
		log_openssl(LOG_LVL_ERROR, "ca: add extension %s",
		    OBJ_nid2sn(nid));
		return -1;
	}
	return 0;
}

static int
add_bc(X509 *x, bool is_ca, int pathlen)
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
	rc = add_ext(x, NID_basic_constraints, bc, 1);
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* bits: RFC 5280 §4.2.1.3 bit numbers (0 digitalSignature, ...). */
static int
add_ku(X509 *x, const int *bits, size_t n)
{
	ASN1_BIT_STRING	*ku;
	int		 rc = -1;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ASN1_BIT_STRING_set_bit(ku, bits[i], 1) != 1)
			goto out;
	rc = add_ext(x, NID_key_usage, ku, 1);
out:
	ASN1_BIT_STRING_free(ku);
	return rc;
}

static int
add_eku(X509 *x, bool client)
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
	rc = add_ext(x, NID_ext_key_usage, eku, 0);
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
		rc = add_ext(x, NID_subject_key_identifier, ski, 0);
	if (rc == 0 && out != NULL)
		*out = ski;	/* the extension cache of an unsigned cert is stale */
	else
		ASN1_OCTET_STRING_free(ski);
	return rc;
}

/* keyIdentifier only, no issuer/serial (BR §7.1.2.11.1). */
static int
add_aki(X509 *x, const ASN1_OCTET_STRING *keyid)
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
		rc = add_ext(x, NID_authority_key_identifier, aki, 0);
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
static X509 *
new_cert(const char *serial, const X509_NAME *subject, const X509_NAME *issuer,
    EVP_PKEY *pub, const X509_PUBKEY *spki, time_t nb, time_t na)
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

static int
sign_cert(X509 *x, EVP_PKEY *key)
{
	if (X509_sign(x, key, md_for(key)) <= 0) {
		log_openssl(LOG_LVL_ERROR, "ca: X509_sign");
		return -1;
	}
	return 0;
}

/* "localacme <what> <user>@<host> <8 hex>", at most 64 characters. */
static X509_NAME *
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

/* HARDENING §5.1. */
static X509 *
make_root(EVP_PKEY *key, const struct policy *p, time_t now)
{
	X509		*x = NULL;
	X509_NAME	*name = NULL;
	ASN1_OCTET_STRING *ski = NULL;
	char		 serial[ACME_SERIAL_SIZE];
	time_t		 nb = now - CA_BACKDATE;

	if (ca_new_serial(serial) == -1 || (name = ca_name("root")) == NULL)
		goto fail;
	if ((x = new_cert(serial, name, name, key, NULL, nb,
	    nb + (time_t)CA_ROOT_DAYS * DAY)) == NULL)
		goto fail;
	if (add_bc(x, true, -1) == -1 ||
	    add_ku(x, ca_ku_bits, 2) == -1 ||
	    add_ski(x, &ski) == -1 ||
	    add_aki(x, ski) == -1 ||
	    add_nc(x, p) == -1 ||
	    sign_cert(x, key) == -1)
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
static X509 *
make_intermediate(X509 *root, EVP_PKEY *rootkey, EVP_PKEY *key,
    const struct policy *p, time_t now)
{
	X509		*x = NULL;
	X509_NAME	*name = NULL;
	char		 serial[ACME_SERIAL_SIZE];
	time_t		 nb = now - CA_BACKDATE, na, rnb, rna;

	rnb = asn1_to_time(X509_get0_notBefore(root));
	rna = asn1_to_time(X509_get0_notAfter(root));
	if (nb < rnb)
		nb = rnb;
	na = nb + (time_t)CA_INTERMEDIATE_DAYS * DAY;
	if (na > rna)
		na = rna;
	if (na <= nb + DAY) {
		log_err("ca: the root expires too soon to sign an "
		    "intermediate");
		return NULL;
	}
	if (ca_new_serial(serial) == -1 ||
	    (name = ca_name("intermediate")) == NULL)
		goto fail;
	if ((x = new_cert(serial, name, X509_get_subject_name(root), key, NULL, nb,
	    na)) == NULL)
		goto fail;
	if (add_bc(x, true, 0) == -1 ||
	    add_ku(x, ca_ku_bits, 2) == -1 ||
	    add_eku(x, true) == -1 ||
	    add_ski(x, NULL) == -1 ||
	    add_aki(x, X509_get0_subject_key_id(root)) == -1 ||
	    add_nc(x, p) == -1 ||
	    sign_cert(x, rootkey) == -1)
		goto fail;
	X509_NAME_free(name);
	return x;
fail:
	X509_NAME_free(name);
	X509_free(x);
	return NULL;
}

static int
write_cert(const char *path, X509 *x, bool replace, char *err, size_t errsz)
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

struct paths {
	char	 root_pem[PATH_MAX], root_key[PATH_MAX];
	char	 int_pem[PATH_MAX], int_key[PATH_MAX];
};

static int
make_paths(const char *dir, struct paths *p, char *err, size_t errsz)
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
create_ca(const struct paths *ps, const struct ca_create_opts *opts,
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
	if ((root = make_root(rkey, pol, now)) == NULL ||
	    (inter = make_intermediate(root, rkey, ikey, pol, now)) == NULL) {
		snprintf(err, errsz, "cannot build the CA certificates");
		goto out;
	}
	if (keys_write_private(ps->int_key, ikey, false, err, errsz) == -1 ||
	    write_cert(ps->int_pem, inter, false, err, errsz) == -1 ||
	    write_root_key(ps->root_key, rkey, opts != NULL ?
	    opts->root_pass : NULL, err, errsz) == -1 ||
	    write_cert(ps->root_pem, root, false, err, errsz) == -1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(ikey);
	X509_free(root);
	X509_free(inter);
	return rc;
}

static int
load_intermediate(struct ca_intermediate *is, X509 *cert, EVP_PKEY *key)
{
	if ((is->pem = keys_cert_pem(cert)) == NULL)
		return -1;
	is->cert = cert;
	is->key = key;
	is->not_before = asn1_to_time(X509_get0_notBefore(cert));
	is->not_after = asn1_to_time(X509_get0_notAfter(cert));
	return 0;
}

/* Is `cert` a CA certificate signed by `by` (names and signature)? */
static bool
signed_by(X509 *cert, X509 *by)
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
	struct paths	 ps;
	struct ca_intermediate	*is = NULL;
	X509		*inter = NULL;
	EVP_PKEY	*ikey = NULL;
	bool		 ok = false;

	if (created != NULL)
		*created = false;
	if (make_paths(state_dir, &ps, err, errsz) == -1)
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
	if ((ca->root = keys_load_cert(ps.root_pem, err, errsz)) == NULL)
		goto out;
	if (!signed_by(ca->root, ca->root)) {
		snprintf(err, errsz, "%s: not a self-signed CA certificate",
		    ps.root_pem);
		goto out;
	}
	if ((inter = keys_load_cert(ps.int_pem, err, errsz)) == NULL ||
	    (ikey = keys_load_private(ps.int_key, err, errsz)) == NULL)
		goto out;
	if (!signed_by(inter, ca->root)) {
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
	    load_intermediate(is, inter, ikey) == -1) {
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
	X509_free(ca->root);
	free(ca->root_pem);
	free(ca->dir);
	free(ca->pass_file);
	free(ca->pass_cred_dir);
	free(ca->pass_tty);
	pthread_mutex_destroy(&ca->lock);
	pthread_mutex_destroy(&ca->rotate_lock);
	free(ca);
}

static struct ca_intermediate *
current(struct ca *ca)
{
	struct ca_intermediate *is;

	pthread_mutex_lock(&ca->lock);
	is = ca->cur;
	pthread_mutex_unlock(&ca->lock);
	return is;
}

static GENERAL_NAMES *
make_san(const struct acme_identifier *ids, size_t n)
{
	GENERAL_NAMES	*gens;
	GENERAL_NAME	*gn = NULL;
	ASN1_STRING	*s = NULL;
	unsigned char	 ip[16];
	int		 iplen;

	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (ids[i].type == ACME_IDENT_DNS) {
			if ((s = ASN1_IA5STRING_new()) == NULL ||
			    ASN1_STRING_set(s, ids[i].value, -1) != 1)
				goto fail;
		} else {
			if (inet_pton(AF_INET, ids[i].value, ip) == 1)
				iplen = 4;
			else if (inet_pton(AF_INET6, ids[i].value, ip) == 1)
				iplen = 16;
			else
				goto fail;
			if ((s = ASN1_OCTET_STRING_new()) == NULL ||
			    ASN1_OCTET_STRING_set(s, ip, iplen) != 1)
				goto fail;
		}
		if ((gn = GENERAL_NAME_new()) == NULL)
			goto fail;
		GENERAL_NAME_set0_value(gn, ids[i].type == ACME_IDENT_DNS ?
		    GEN_DNS : GEN_IPADD, s);
		s = NULL;
		if (sk_GENERAL_NAME_push(gens, gn) == 0)
			goto fail;
		gn = NULL;
	}
	return gens;
fail:
	ASN1_STRING_free(s);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return NULL;
}

/* BR §7.1.2.7.2: CN only = the first DNS name if it fits in 64. */
static const char *
leaf_cn(const struct ca_leaf_req *req)
{
	if (req->no_cn)
		return NULL;	/* the profile wants an empty subject */
	for (size_t i = 0; i < req->nident; i++)
		if (req->idents[i].type == ACME_IDENT_DNS)
			return strlen(req->idents[i].value) <= 64 ?
			    req->idents[i].value : NULL;
	return NULL;
}

/* RFC 5280 §4.2.1.13: one DistributionPoint with a fullName URI. */
static DIST_POINT *
make_crldp(const char *url)
{
	DIST_POINT	*dp = NULL;
	GENERAL_NAME	*gn = NULL;
	ASN1_IA5STRING	*uri = NULL;

	if ((dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null()) ==
	    NULL || (uri = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(uri, url, -1) != 1 ||
	    (gn = GENERAL_NAME_new()) == NULL)
		goto fail;
	dp->distpoint->type = 0;	/* fullName */
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn) == 0)
		goto fail;
	return dp;
fail:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	return NULL;
}

/* The CRL distribution point, when CRLs are published (url != NULL). */
static int
add_crldp(X509 *x, const char *url)
{
	CRL_DIST_POINTS	*dps;
	DIST_POINT	*dp;
	int		 rc = -1;

	if (url == NULL || url[0] == '\0')
		return 0;
	if ((dps = sk_DIST_POINT_new_null()) == NULL)
		return -1;
	if ((dp = make_crldp(url)) != NULL && sk_DIST_POINT_push(dps, dp) == 0)
		DIST_POINT_free(dp);
	else if (dp != NULL)
		rc = add_ext(x, NID_crl_distribution_points, dps, 0);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return rc;
}

/* The leaf's CRL DP is exactly req->crl_url, non-critical. 0 or -1. */
static int
check_crldp(X509 *leaf, const struct ca_leaf_req *req)
{
	CRL_DIST_POINTS	*dps;
	DIST_POINT	*dp;
	GENERAL_NAME	*gn;
	int		 rc = -1, crit;

	if ((dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, &crit,
	    NULL)) == NULL || crit != 0 || sk_DIST_POINT_num(dps) != 1)
		goto out;
	dp = sk_DIST_POINT_value(dps, 0);
	if (dp->distpoint == NULL || dp->distpoint->type != 0 ||
	    dp->reasons != NULL || dp->CRLissuer != NULL ||
	    sk_GENERAL_NAME_num(dp->distpoint->name.fullname) != 1)
		goto out;
	gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
	if (gn->type == GEN_URI &&
	    (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier) ==
	    strlen(req->crl_url) &&
	    memcmp(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
	    req->crl_url, strlen(req->crl_url)) == 0)
		rc = 0;
out:
	CRL_DIST_POINTS_free(dps);
	return rc;
}

/*
 * Compute the leaf's validity (HARDENING §5.3). 0 or -1. RFC 8555 §7.4:
 * a requested time is the certificate's exactly; what the issuer cannot
 * cover fails here (the RA refused it at newOrder already) instead of
 * being moved. Only times we choose are backdated or clamped.
 */
static int
leaf_validity(const struct ca_leaf_req *req, const struct ca_intermediate *is,
    time_t *nb, time_t *na)
{
	time_t now = time(NULL);

	if (req->not_before != 0) {
		*nb = req->not_before;
		if (*nb < is->not_before) {
			log_err("ca_sign_leaf: requested notBefore %lld is "
			    "before the issuer's", (long long)*nb);
			return -1;
		}
	} else {
		*nb = now - CA_BACKDATE;
		if (*nb < is->not_before)
			*nb = is->not_before;
	}
	if (req->not_after != 0) {
		*na = req->not_after;
		if (*na > is->not_after) {
			log_err("ca_sign_leaf: requested notAfter %lld is "
			    "after the issuer's", (long long)*na);
			return -1;
		}
	} else {
		if (req->days < 1 || req->days > PROFILE_MAX_DAYS) {
			log_err("ca_sign_leaf: %u days is out of range",
			    req->days);
			return -1;
		}
		/* A day is 86400 s; one more second would be another day. */
		*na = *nb + (time_t)req->days * DAY - 1;
		if (*na > is->not_after)
			*na = is->not_after;
	}
	if (*na <= *nb || *na - *nb > (time_t)PROFILE_MAX_DAYS * DAY) {
		log_err("ca_sign_leaf: bad validity %lld..%lld",
		    (long long)*nb, (long long)*na);
		return -1;
	}
	return 0;
}

int
ca_sign_leaf(struct ca *ca, const struct ca_leaf_req *req, X509 **out,
    const char **chain_pem)
{
	struct ca_intermediate	*is = current(ca);
	X509		*x = NULL;
	X509_NAME	*subj = NULL;
	GENERAL_NAMES	*san = NULL;
	const char	*cn;
	char		 err[256];
	bool		 is_rsa = false;
	time_t		 nb, na;
	int		 rc = -1;
	static const int ku_ec[] = { 0 };	/* digitalSignature */
	static const int ku_rsa[] = { 0, 2 };	/* + keyEncipherment */

	*out = NULL;
	if (req->nident == 0 || req->nident > ACME_MAX_IDENTIFIERS ||
	    req->serial == NULL || req->pubkey == NULL) {
		log_err("ca_sign_leaf: bad request");
		return -1;
	}
	if (!keys_acceptable(req->pubkey, &is_rsa)) {
		log_err("ca_sign_leaf: subject key type not allowed");
		return -1;
	}
	if (leaf_validity(req, is, &nb, &na) == -1)
		return -1;
	if ((subj = X509_NAME_new()) == NULL)
		goto out;
	cn = leaf_cn(req);
	if (cn != NULL && X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1)
		goto out;
	if ((x = new_cert(req->serial, subj, X509_get_subject_name(is->cert),
	    req->pubkey, req->spki, nb, na)) == NULL)
		goto out;
	if ((san = make_san(req->idents, req->nident)) == NULL) {
		log_err("ca_sign_leaf: bad identifier");
		goto out;
	}
	/* RFC 5280 §4.2.1.6: SAN critical iff the subject is empty. */
	if (add_bc(x, false, -1) == -1 ||
	    add_ku(x, is_rsa ? ku_rsa : ku_ec, is_rsa ? 2 : 1) == -1 ||
	    add_eku(x, req->client_auth) == -1 ||
	    add_ext(x, NID_subject_alt_name, san, cn == NULL ? 1 : 0) == -1 ||
	    add_aki(x, X509_get0_subject_key_id(is->cert)) == -1 ||
	    add_crldp(x, req->crl_url) == -1 ||
	    sign_cert(x, is->key) == -1)
		goto out;
	/* HARDENING §5.3 pre-issuance check: never return a bad cert. */
	if (ca_check_leaf(x, is->cert, req, err, sizeof(err)) == -1) {
		log_err("ca_sign_leaf: pre-issuance check failed: %s", err);
		goto out;
	}
	*out = x;
	x = NULL;
	if (chain_pem != NULL)
		*chain_pem = is->pem;
	rc = 0;
out:
	if (rc == -1 && ERR_peek_error() != 0)
		log_openssl(LOG_LVL_ERROR, "ca_sign_leaf");
	GENERAL_NAMES_free(san);
	X509_NAME_free(subj);
	X509_free(x);
	return rc;
}

static int
check_fail(char *err, size_t errsz, const char *what)
{
	snprintf(err, errsz, "%s", what);
	return -1;
}

/* The extension's criticality, or -1 if absent or present twice. */
static int
ext_crit(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i < 0 || X509_get_ext_by_NID(x, nid, i) >= 0)
		return -1;
	return X509_EXTENSION_get_critical(X509_get_ext(x, i)) ? 1 : 0;
}

static int
check_san(X509 *leaf, const struct ca_leaf_req *req, char *err, size_t errsz)
{
	GENERAL_NAMES	*gens;
	int		 rc = -1;

	if ((gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return check_fail(err, errsz, "SAN missing");
	if ((size_t)sk_GENERAL_NAME_num(gens) != req->nident) {
		check_fail(err, errsz, "SAN count differs from the request");
		goto out;
	}
	for (size_t i = 0; i < req->nident; i++) {
		GENERAL_NAME		*gn = sk_GENERAL_NAME_value(gens, (int)i);
		const struct acme_identifier *id = &req->idents[i];
		unsigned char		 ip[16];
		int			 iplen = 0;

		if (id->type == ACME_IDENT_DNS) {
			if (gn->type != GEN_DNS ||
			    (size_t)ASN1_STRING_length(gn->d.dNSName) !=
			    strlen(id->value) ||
			    memcmp(ASN1_STRING_get0_data(gn->d.dNSName),
			    id->value, strlen(id->value)) != 0) {
				check_fail(err, errsz, "SAN dNSName differs");
				goto out;
			}
			continue;
		}
		if (inet_pton(AF_INET, id->value, ip) == 1)
			iplen = 4;
		else if (inet_pton(AF_INET6, id->value, ip) == 1)
			iplen = 16;
		if (gn->type != GEN_IPADD || iplen == 0 ||
		    ASN1_STRING_length(gn->d.iPAddress) != iplen ||
		    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), ip,
		    (size_t)iplen) != 0) {
			check_fail(err, errsz, "SAN iPAddress differs");
			goto out;
		}
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The leaf's SubjectPublicKeyInfo is the request's, byte for byte. */
static int
check_spki(X509 *leaf, const struct ca_leaf_req *req)
{
	unsigned char	*a = NULL, *b = NULL;
	int		 alen, blen, rc = -1;

	alen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &a);
	blen = req->spki != NULL ? i2d_X509_PUBKEY(req->spki, &b) :
	    i2d_PUBKEY(req->pubkey, &b);
	if (alen > 0 && alen == blen && memcmp(a, b, (size_t)alen) == 0)
		rc = 0;
	OPENSSL_free(a);
	OPENSSL_free(b);
	return rc;
}

int
ca_check_leaf(X509 *leaf, X509 *issuer, const struct ca_leaf_req *req,
    char *err, size_t errsz)
{
	const ASN1_OCTET_STRING	*ikid, *lkid;
	AUTHORITY_KEYID		*aki = NULL;
	BASIC_CONSTRAINTS	*bc = NULL;
	BIGNUM			*bn = NULL;
	X509_NAME		*subj;
	unsigned char		 sb[20];
	char			*hex = NULL;
	const char		*cn;
	bool			 is_rsa = false, has_dp;
	uint32_t		 ku, xku;
	int			 rc = -1, n, crit;

	if (X509_get_version(leaf) != X509_VERSION_3)
		return check_fail(err, errsz, "not v3");
	/* Serial: positive, 17 octets, prefix 0x01-0x7F, as reserved. */
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf),
	    NULL)) == NULL || BN_is_negative(bn) ||
	    (n = BN_num_bytes(bn)) != 17 || BN_bn2bin(bn, sb) != 17 ||
	    sb[0] < 0x01 || sb[0] > 0x7f) {
		check_fail(err, errsz, "serial not 17 positive octets");
		goto out;
	}
	if ((hex = BN_bn2hex(bn)) == NULL ||
	    OPENSSL_strcasecmp(hex, req->serial) != 0) {
		check_fail(err, errsz, "serial differs from the reserved one");
		goto out;
	}
	if (X509_NAME_cmp(X509_get_issuer_name(leaf),
	    X509_get_subject_name(issuer)) != 0) {
		check_fail(err, errsz, "issuer name differs");
		goto out;
	}
	if (ASN1_TIME_compare(X509_get0_notBefore(leaf),
	    X509_get0_notBefore(issuer)) < 0 ||
	    ASN1_TIME_compare(X509_get0_notAfter(leaf),
	    X509_get0_notAfter(issuer)) > 0 ||
	    ASN1_TIME_compare(X509_get0_notAfter(leaf),
	    X509_get0_notBefore(leaf)) <= 0) {
		check_fail(err, errsz, "validity outside the issuer's");
		goto out;
	}
	/* Exactly BC, KU, EKU, SAN, AKI (+ CRL DP): no SKI, nothing else. */
	has_dp = req->crl_url != NULL && req->crl_url[0] != '\0';
	if (X509_get_ext_count(leaf) != (has_dp ? 6 : 5) ||
	    (has_dp && check_crldp(leaf, req) == -1) ||
	    ext_crit(leaf, NID_basic_constraints) != 1 ||
	    ext_crit(leaf, NID_key_usage) != 1 ||
	    ext_crit(leaf, NID_ext_key_usage) != 0 ||
	    ext_crit(leaf, NID_authority_key_identifier) != 0 ||
	    (crit = ext_crit(leaf, NID_subject_alt_name)) == -1) {
		check_fail(err, errsz, "extension set or criticality");
		goto out;
	}
	if ((bc = X509_get_ext_d2i(leaf, NID_basic_constraints, NULL,
	    NULL)) == NULL || bc->ca != 0 || bc->pathlen != NULL) {
		check_fail(err, errsz, "basicConstraints not CA:FALSE");
		goto out;
	}
	if (req->pubkey == NULL || !keys_acceptable(req->pubkey, &is_rsa)) {
		check_fail(err, errsz, "subject key type");
		goto out;
	}
	if (check_spki(leaf, req) == -1) {
		check_fail(err, errsz, "subject key differs from the request");
		goto out;
	}
	ku = X509_get_key_usage(leaf);
	if (ku != (is_rsa ? (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT) :
	    KU_DIGITAL_SIGNATURE)) {
		check_fail(err, errsz, "keyUsage for the key type");
		goto out;
	}
	xku = X509_get_extended_key_usage(leaf);
	if (xku != (req->client_auth ? (XKU_SSL_SERVER | XKU_SSL_CLIENT) :
	    XKU_SSL_SERVER)) {
		check_fail(err, errsz, "extKeyUsage");
		goto out;
	}
	if (check_san(leaf, req, err, errsz) == -1)
		goto out;
	subj = X509_get_subject_name(leaf);
	cn = leaf_cn(req);
	if (cn == NULL) {
		if (X509_NAME_entry_count(subj) != 0 || crit != 1) {
			check_fail(err, errsz, "empty subject needs a "
			    "critical SAN");
			goto out;
		}
	} else {
		X509_NAME_ENTRY	*e;
		ASN1_STRING	*d;

		if (X509_NAME_entry_count(subj) != 1 || crit != 0 ||
		    (e = X509_NAME_get_entry(subj, 0)) == NULL ||
		    OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) !=
		    NID_commonName ||
		    (d = X509_NAME_ENTRY_get_data(e)) == NULL ||
		    (size_t)ASN1_STRING_length(d) != strlen(cn) ||
		    memcmp(ASN1_STRING_get0_data(d), cn, strlen(cn)) != 0) {
			check_fail(err, errsz, "subject is not CN = first "
			    "DNS name");
			goto out;
		}
	}
	if ((aki = X509_get_ext_d2i(leaf, NID_authority_key_identifier, NULL,
	    NULL)) == NULL || aki->issuer != NULL || aki->serial != NULL ||
	    (ikid = X509_get0_subject_key_id(issuer)) == NULL ||
	    (lkid = aki->keyid) == NULL ||
	    ASN1_OCTET_STRING_cmp(ikid, lkid) != 0) {
		check_fail(err, errsz, "authorityKeyIdentifier is not the "
		    "issuer's SKI");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	AUTHORITY_KEYID_free(aki);
	BASIC_CONSTRAINTS_free(bc);
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

const char *
ca_chain_pem(struct ca *ca)
{
	return current(ca)->pem;
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
	return current(ca)->cert;
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
	return current(ca)->not_after;
}

time_t
ca_intermediate_not_before(struct ca *ca)
{
	return current(ca)->not_before;
}

const char *
ca_state_dir(struct ca *ca)
{
	return ca->dir;
}

static int
key_type_of(EVP_PKEY *k, enum keys_type *t)
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
	return 0;
}

/* Keep the current intermediate as intermediate-<serial>.{pem,key}. */
static int
archive_current(struct ca *ca, const struct paths *ps, char *err,
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
static EVP_PKEY *
load_root_key(struct ca *ca, const char *path, char *err, size_t errsz)
{
	struct passphrase_opts	 po;
	struct passphrase	*pp;
	enum passphrase_source	 src = PASSPHRASE_SRC_NONE;
	EVP_PKEY		*k;
	char			 perr[1024];

	if ((k = keys_load_private(path, err, errsz)) != NULL ||
	    errno != ENOKEY)
		return k;
	if ((pp = malloc(sizeof(*pp))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
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
		goto out;
	}
	k = keys_load_private_pass(path, pp->buf, pp->len, err, errsz);
out:
	passphrase_clear(pp);
	free(pp);
	return k;
}

int
ca_encrypt_root(struct ca *ca, const struct passphrase_opts *po,
    bool *already, char *err, size_t errsz)
{
	struct paths		 ps;
	struct passphrase	*pp = NULL;
	EVP_PKEY		*rkey = NULL;
	int			 rc = -1;

	*already = false;
	pthread_mutex_lock(&ca->rotate_lock);
	if (make_paths(ca->dir, &ps, err, errsz) == -1)
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
	struct paths	 ps;
	struct ca_intermediate	*is = NULL, *cur;
	EVP_PKEY	*rkey = NULL, *ikey = NULL;
	X509		*inter = NULL;
	enum keys_type	 kt;
	time_t		 life, left;
	int		 rc = -1;

	*rotated = false;
	pthread_mutex_lock(&ca->rotate_lock);
	cur = current(ca);
	life = cur->not_after - cur->not_before;
	left = cur->not_after - now;
	if (!force && left >= life / 3) {
		rc = 0;
		goto out;
	}
	if (make_paths(ca->dir, &ps, err, errsz) == -1)
		goto out;
	/* P1: the root key is opened here and nowhere else after init. */
	if ((rkey = load_root_key(ca, ps.root_key, err, errsz)) == NULL)
		goto out;
	if (keys_check_pair(ca->root, rkey, ps.root_key, err, errsz) == -1)
		goto out;
	key_type_of(cur->key, &kt);
	if ((ikey = keys_generate(kt, err, errsz)) == NULL)
		goto out;
	if ((inter = make_intermediate(ca->root, rkey, ikey, &ca->policy,
	    now)) == NULL) {
		snprintf(err, errsz, "cannot sign a new intermediate");
		goto out;
	}
	if (!force &&
	    asn1_to_time(X509_get0_notAfter(inter)) <= cur->not_after) {
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
	    write_cert(ps.int_pem, inter, true, err, errsz) == -1)
		goto out;
	if ((is = calloc(1, sizeof(*is))) == NULL ||
	    load_intermediate(is, inter, ikey) == -1) {
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

char *
ca_fullchain_pem(X509 *leaf, const char *chain)
{
	char	*lp, *out;
	size_t	 a, b;

	if ((lp = keys_cert_pem(leaf)) == NULL)
		return NULL;
	a = strlen(lp);
	b = chain != NULL ? strlen(chain) : 0;
	if ((out = malloc(a + b + 1)) != NULL) {
		memcpy(out, lp, a);
		if (b > 0)
			memcpy(out + a, chain, b);
		out[a + b] = '\0';
	}
	free(lp);
	return out;
}

int
ca_sign_crl(struct ca *ca, X509_CRL *crl, const char **issuer_pem)
{
	struct ca_intermediate		*is = current(ca);
	AUTHORITY_KEYID		*aki = NULL;
	const ASN1_OCTET_STRING	*kid;
	int			 rc = -1;

	if ((kid = X509_get0_subject_key_id(is->cert)) == NULL) {
		log_err("ca_sign_crl: intermediate has no subjectKeyIdentifier");
		return -1;
	}
	/* RFC 5280 §5.1.2.1: v2, since the CRL carries extensions. */
	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(is->cert)) != 1)
		goto out;
	/* §5.2.1: keyIdentifier of the signing key, non-critical. */
	if ((aki = AUTHORITY_KEYID_new()) == NULL ||
	    (aki->keyid = ASN1_OCTET_STRING_dup(kid)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0,
	    X509V3_ADD_REPLACE) != 1)
		goto out;
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, is->key, md_for(is->key)) <= 0)
		goto out;
	if (issuer_pem != NULL)
		*issuer_pem = is->pem;
	rc = 0;
out:
	if (rc == -1)
		log_openssl(LOG_LVL_ERROR, "ca_sign_crl");
	AUTHORITY_KEYID_free(aki);
	return rc;
}

int
ca_serial_hex(X509 *x, char out[ACME_SERIAL_SIZE])
{
	BIGNUM		*bn;
	unsigned char	 buf[32];
	int		 len;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL)
		return -1;
	len = BN_num_bytes(bn);
	if (len > 0 && len <= 20 && !BN_is_negative(bn))
		BN_bn2bin(bn, buf);
	else
		len = -1;
	BN_free(bn);
	if (len <= 0)
		return -1;
	for (int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
	return 0;
}
