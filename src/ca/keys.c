/* keys.c - private keys and certificates on disk: generation, atomic writes, guarded loads */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "acme/keypolicy.h"
#include "keys.h"
#include "log.h"

#define MAX_PEM	(256 * 1024)	/* larger than any key or chain we write */

static const char *const type_names[] = {
	"ec256", "ec384", "rsa2048", "rsa3072", "rsa4096"
};

int
keys_type_parse(const char *s, enum keys_type *out)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(s, type_names[i]) == 0) {
			*out = (enum keys_type)i;
			return 0;
		}
	return -1;
}

const char *
keys_type_name(enum keys_type t)
{
	if ((size_t)t >= sizeof(type_names) / sizeof(type_names[0]))
		return "?";
	return type_names[t];
}

EVP_PKEY *
keys_generate(enum keys_type t, char *err, size_t errsz)
{
	EVP_PKEY *pkey = NULL;

	switch (t) {
	case KEYS_EC256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case KEYS_EC384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case KEYS_RSA2048:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case KEYS_RSA3072:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case KEYS_RSA4096:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	}
	if (pkey == NULL) {
		log_openssl(LOG_LVL_DEBUG, "keys_generate");
		snprintf(err, errsz, "cannot generate a %s key",
		    keys_type_name(t));
	}
	return pkey;
}

bool
keys_acceptable(const EVP_PKEY *pkey, bool *is_rsa)
{
	char	 group[64];
	size_t	 glen = 0;
	BIGNUM	*e = NULL;
	bool	 ok = false;
	int	 bits, nid;

	if (pkey == NULL)
		return false;
	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		    &glen) != 1)
			return false;
		nid = OBJ_txt2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		ok = nid == NID_X9_62_prime256v1 || nid == NID_secp384r1;
		if (is_rsa != NULL)
			*is_rsa = false;
		return ok;
	}
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		bits = EVP_PKEY_get_bits(pkey);
		if (bits != 2048 && bits != 3072 && bits != 4096)
			return false;
		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E,
		    &e) != 1)
			return false;
		ok = BN_is_word(e, 65537);
		BN_free(e);
		if (is_rsa != NULL)
			*is_rsa = true;
		return ok;
	}
	return false;
}

bool
keys_leaf_acceptable(const EVP_PKEY *pkey, bool *is_rsa)
{
	char	 group[64];
	size_t	 glen = 0;
	BIGNUM	*e = NULL;
	bool	 ok;

	if (keys_acceptable(pkey, is_rsa))
		return true;
	if (pkey == NULL || !acme_keypolicy_weak())
		return false;
	if (EVP_PKEY_is_a(pkey, "EC"))
		ok = EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		    &glen) == 1 && (OBJ_txt2nid(group) == NID_secp521r1 ||
		    EC_curve_nist2nid(group) == NID_secp521r1);
	else if (EVP_PKEY_is_a(pkey, "RSA")) {
		ok = EVP_PKEY_get_bits(pkey) == ACME_WEAK_RSA_BITS &&
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E,
		    &e) == 1 && BN_is_word(e, 65537);
		BN_free(e);
	} else
		ok = false;
	if (ok && is_rsa != NULL)
		*is_rsa = EVP_PKEY_is_a(pkey, "RSA");
	return ok;
}

static int
fsync_dir_of(const char *path)
{
	char	 dir[PATH_MAX];
	char	*slash;
	int	 fd, rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
keys_write_file(const char *path, const void *data, size_t len, mode_t mode,
    bool replace, char *err, size_t errsz)
{
	char		 tmp[PATH_MAX];
	const char	*base, *p = data;
	int		 fd = -1, rc = -1, n;
	size_t		 off = 0;
	ssize_t		 w;

	base = strrchr(path, '/');
	if (base == NULL)
		n = snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	else
		n = snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX",
		    (int)(base - path), path, base + 1);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errsz, "%s: path too long", path);
		return -1;
	}
	if (!replace && keys_exists(path)) {
		snprintf(err, errsz, "%s: already exists; refusing to "
		    "overwrite it", path);
		return -1;
	}
	/* mkstemp: O_CREAT|O_EXCL, mode 0600 from the start (P4). */
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errsz, "%s: cannot create a file there: %s",
		    path, strerror(errno));
		return -1;
	}
	while (off < len) {
		w = write(fd, p + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errsz, "%s: write: %s", path,
			    strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if ((mode & 077) != 0 && fchmod(fd, mode) == -1) {
		snprintf(err, errsz, "%s: chmod: %s", path, strerror(errno));
		goto out;
	}
	if (fsync(fd) == -1) {
		snprintf(err, errsz, "%s: fsync: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errsz, "%s: close: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (replace) {
		if (rename(tmp, path) == -1) {
			snprintf(err, errsz, "%s: rename: %s", path,
			    strerror(errno));
			goto out;
		}
	} else {
		/* link(2) fails with EEXIST: never overwrites (P5). */
		if (link(tmp, path) == -1) {
			if (errno == EEXIST)
				snprintf(err, errsz, "%s: already exists; "
				    "refusing to overwrite it", path);
			else
				snprintf(err, errsz, "%s: %s", path,
				    strerror(errno));
			goto out;
		}
		unlink(tmp);
	}
	tmp[0] = '\0';
	if (fsync_dir_of(path) == -1) {
		snprintf(err, errsz, "%s: fsync of its directory: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}

/* Copy a memory BIO's contents into a new NUL-terminated buffer. */
static char *
bio_dup(BIO *bio, size_t *len)
{
	char	*data, *out;
	long	 n;

	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || (out = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return out;
}

char *
keys_private_pem(EVP_PKEY *pkey, size_t *len)
{
	BIO	*bio;
	char	*out = NULL;

	/* A secure-memory BIO is cleansed when freed (P7). */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) == 1)
		out = bio_dup(bio, len);
	else
		log_openssl(LOG_LVL_ERROR, "keys_private_pem");
	BIO_free(bio);
	return out;
}

char *
keys_cert_pem(X509 *cert)
{
	BIO	*bio;
	char	*out = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509(bio, cert) == 1)
		out = bio_dup(bio, NULL);
	else
		log_openssl(LOG_LVL_ERROR, "keys_cert_pem");
	BIO_free(bio);
	return out;
}

int
keys_write_private(const char *path, EVP_PKEY *pkey, bool replace,
    char *err, size_t errsz)
{
	char	*pem;
	size_t	 len = 0;
	int	 rc;

	if ((pem = keys_private_pem(pkey, &len)) == NULL) {
		snprintf(err, errsz, "%s: cannot encode the key", path);
		return -1;
	}
	rc = keys_write_file(path, pem, len, 0600, replace, err, errsz);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

/*
 * HARDENING §6.1 P6: PBES2 (RFC 8018 §6.2) with scrypt (RFC 7914 §7) and
 * AES-256-CBC. N = 2^14, r = 8 (16 MiB) is the most OpenSSL 3 decodes
 * under its default scrypt memory limit, and what `openssl pkcs8 -scrypt`
 * writes.
 */
#define SCRYPT_N	16384
#define SCRYPT_R	8
#define SCRYPT_P	1
#define PBE_SALT_LEN	16

char *
keys_private_pem_encrypted(EVP_PKEY *pkey, const char *pass, size_t passlen,
    size_t *len)
{
	PKCS8_PRIV_KEY_INFO	*p8inf = NULL;
	X509_ALGOR		*pbe = NULL;
	X509_SIG		*p8 = NULL;
	BIO			*bio = NULL;
	unsigned char		 salt[PBE_SALT_LEN];
	char			*out = NULL;

	if (pass == NULL || passlen == 0 || passlen > INT_MAX)
		return NULL;
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    (p8inf = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt,
	    (int)sizeof(salt), NULL, SCRYPT_N, SCRYPT_R, SCRYPT_P)) == NULL)
		goto out;
	if ((p8 = PKCS8_set0_pbe_ex(pass, (int)passlen, p8inf, pbe, NULL,
	    NULL)) == NULL)
		goto out;
	pbe = NULL;	/* owned by p8 now */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PKCS8(bio, p8) != 1)
		goto out;
	out = bio_dup(bio, len);
out:
	if (out == NULL)
		log_openssl(LOG_LVL_ERROR, "keys_private_pem_encrypted");
	BIO_free(bio);
	X509_SIG_free(p8);
	X509_ALGOR_free(pbe);
	PKCS8_PRIV_KEY_INFO_free(p8inf);	/* clears the key octets */
	return out;
}

int
keys_write_private_encrypted(const char *path, EVP_PKEY *pkey,
    const char *pass, size_t passlen, bool replace, char *err, size_t errsz)
{
	char	*pem;
	size_t	 len = 0;
	int	 rc;

	if ((pem = keys_private_pem_encrypted(pkey, pass, passlen,
	    &len)) == NULL) {
		snprintf(err, errsz, "%s: cannot encrypt the key", path);
		return -1;
	}
	rc = keys_write_file(path, pem, len, 0600, replace, err, errsz);
	free(pem);	/* ciphertext only */
	return rc;
}

/*
 * Read a whole file (at most MAX_PEM) from an open fd into a new buffer.
 * NULL on error.
 */
static char *
read_fd(int fd, size_t *len)
{
	char	*buf;
	size_t	 off = 0;
	ssize_t	 r;

	if ((buf = malloc(MAX_PEM + 1)) == NULL)
		return NULL;
	for (;;) {
		r = read(fd, buf + off, MAX_PEM + 1 - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		off += (size_t)r;
		if (off > MAX_PEM) {
			OPENSSL_cleanse(buf, off);
			free(buf);
			errno = EFBIG;
			return NULL;
		}
	}
	buf[off] = '\0';
	*len = off;
	return buf;
}

/* Never prompt for a passphrase: an encrypted key is an error here. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

struct pass_arg {
	const char	*pass;		/* NULL: none given */
	size_t		 len;
	bool		 asked;		/* the PEM was encrypted */
};

/* Hand OpenSSL the caller's passphrase; never a prompt. */
static int
give_passphrase(char *buf, int size, int rwflag, void *u)
{
	struct pass_arg *a = u;

	(void)rwflag;
	a->asked = true;
	if (a->pass == NULL || size < 0 || a->len > (size_t)size)
		return -1;
	memcpy(buf, a->pass, a->len);
	return (int)a->len;
}

EVP_PKEY *
keys_load_private(const char *path, char *err, size_t errsz)
{
	return keys_load_private_pass(path, NULL, 0, err, errsz);
}

EVP_PKEY *
keys_load_private_pass(const char *path, const char *pass, size_t passlen,
    char *err, size_t errsz)
{
	struct pass_arg	 pa = { pass, passlen, false };
	struct stat	 st;
	EVP_PKEY	*pkey = NULL;
	BIO		*bio = NULL;
	char		*buf = NULL;
	size_t		 len = 0;
	int		 fd, saved = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		saved = errno;
		if (saved == ELOOP)
			snprintf(err, errsz, "%s: is a symbolic link; "
			    "refusing to use it as a key", path);
		else if (saved == ENOENT)
			snprintf(err, errsz, "%s: missing", path);
		else
			snprintf(err, errsz, "%s: %s", path,
			    strerror(saved));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(saved));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		saved = EINVAL;
		snprintf(err, errsz, "%s: not a regular file; refusing", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		saved = EPERM;
		snprintf(err, errsz, "%s: owned by uid %lu, not by us (uid "
		    "%lu); refusing", path, (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		saved = EPERM;
		snprintf(err, errsz, "%s: mode %04o lets others read the "
		    "key; refusing (chmod 600 it)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((buf = read_fd(fd, &len)) == NULL) {
		saved = errno;
		snprintf(err, errsz, "%s: read: %s", path, strerror(saved));
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, give_passphrase,
	    &pa)) == NULL) {
		log_openssl(LOG_LVL_DEBUG, "keys_load_private: %s", path);
		if (pa.asked && pass == NULL) {
			saved = ENOKEY;
			snprintf(err, errsz, "%s: the key is encrypted and no "
			    "passphrase was given", path);
		} else if (pa.asked) {
			/* Never fall back to anything else (KP5). */
			saved = EKEYREJECTED;
			snprintf(err, errsz, "%s: cannot decrypt the key: wrong "
			    "passphrase (or a damaged file)", path);
		} else {
			saved = EINVAL;
			snprintf(err, errsz, "%s: not a usable PEM private key "
			    "(corrupt or encrypted)", path);
		}
		goto out;
	}
out:
	BIO_free(bio);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	if (fd != -1)
		close(fd);
	if (pkey == NULL)
		errno = saved;
	return pkey;
}

X509 *
keys_load_cert(const char *path, char *err, size_t errsz)
{
	X509	*cert = NULL;
	BIO	*bio = NULL;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 fd, saved = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		saved = errno;
		if (saved == ENOENT)
			snprintf(err, errsz, "%s: missing", path);
		else
			snprintf(err, errsz, "%s: %s", path,
			    strerror(saved));
		goto out;
	}
	if ((buf = read_fd(fd, &len)) == NULL) {
		saved = errno;
		snprintf(err, errsz, "%s: read: %s", path, strerror(saved));
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (cert = PEM_read_bio_X509(bio, NULL, no_passphrase,
	    NULL)) == NULL) {
		log_openssl(LOG_LVL_DEBUG, "keys_load_cert: %s", path);
		saved = EINVAL;
		snprintf(err, errsz, "%s: not a valid PEM certificate "
		    "(corrupt or truncated)", path);
		goto out;
	}
out:
	BIO_free(bio);
	free(buf);
	if (fd != -1)
		close(fd);
	if (cert == NULL)
		errno = saved;
	return cert;
}

int
keys_check_pair(X509 *cert, EVP_PKEY *pkey, const char *what, char *err,
    size_t errsz)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);

	if (pub == NULL || EVP_PKEY_eq(pub, pkey) != 1 ||
	    X509_check_private_key(cert, pkey) != 1) {
		log_openssl(LOG_LVL_DEBUG, "keys_check_pair: %s", what);
		snprintf(err, errsz, "%s: the key does not match its "
		    "certificate; refusing", what);
		return -1;
	}
	return 0;
}

bool
keys_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
