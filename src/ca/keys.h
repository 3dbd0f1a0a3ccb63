/* keys.h - private keys and certificates on disk: generation, atomic writes, guarded loads */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_KEYS_H
#define LOCALACME_KEYS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Key types offered for CA and leaf keys. No P-521 (HARDENING §5.1). */
enum keys_type {
	KEYS_EC256 = 0,
	KEYS_EC384,
	KEYS_RSA2048,
	KEYS_RSA3072,
	KEYS_RSA4096
};

/* "ec256" ... "rsa4096" -> *out. 0, or -1 if unknown. */
int	 keys_type_parse(const char *s, enum keys_type *out);
/* The flag spelling of t (static string). */
const char *keys_type_name(enum keys_type t);

/*
 * Generate a key of type t (RSA: e = 65537). Returns a new key (caller
 * frees with EVP_PKEY_free), or NULL with err filled.
 */
EVP_PKEY *keys_generate(enum keys_type t, char *err, size_t errsz);

/*
 * Is pkey one we sign for or with: ECDSA P-256/P-384 or RSA
 * 2048/3072/4096 with e = 65537? *is_rsa (may be NULL) tells the family.
 */
bool	 keys_acceptable(const EVP_PKEY *pkey, bool *is_rsa);

/*
 * Is pkey one we certify in a leaf: keys_acceptable, or, with the weak
 * policy of the --weak-keys test knob on (acme/keypolicy.h), RSA 1024
 * with e = 65537 or ECDSA P-521. Never for CA keys.
 */
bool	 keys_leaf_acceptable(const EVP_PKEY *pkey, bool *is_rsa);

/*
 * Write len bytes to path atomically (HARDENING §6.1 P4/P5): a temp file
 * in the same directory created O_CREAT|O_EXCL with `mode` from the
 * start, write, fsync, then link(2) into place (replace = false: fails
 * if path exists, so a key is never overwritten) or rename(2) over it
 * (replace = true), then fsync the directory. Returns 0, or -1 with err
 * naming the file; nothing is left half-written.
 */
int	 keys_write_file(const char *path, const void *data, size_t len,
	    mode_t mode, bool replace, char *err, size_t errsz);

/*
 * PKCS#8 PEM of the private key. Returns a new buffer of *len bytes
 * (NUL-terminated); the caller wipes it with OPENSSL_cleanse and frees
 * it with free(). NULL on failure.
 */
char	*keys_private_pem(EVP_PKEY *pkey, size_t *len);

/*
 * PKCS#8 EncryptedPrivateKeyInfo PEM ("ENCRYPTED PRIVATE KEY") of pkey
 * under pass (HARDENING §6.1 P6): PBES2 with scrypt (N=2^14, r=8, p=1,
 * random 16-byte salt) and AES-256-CBC. Returns a new buffer of *len
 * bytes (NUL-terminated, ciphertext only; caller frees with free()), or
 * NULL on failure (also for an empty pass).
 */
char	*keys_private_pem_encrypted(EVP_PKEY *pkey, const char *pass,
	    size_t passlen, size_t *len);

/* PEM of one certificate: new string, caller frees with free(); NULL on failure. */
char	*keys_cert_pem(X509 *cert);

/*
 * Generate nothing; write pkey to path (0600, never overwriting).
 * Returns 0 or -1 with err filled.
 */
int	 keys_write_private(const char *path, EVP_PKEY *pkey, bool replace,
	    char *err, size_t errsz);

/*
 * As keys_write_private, encrypted with keys_private_pem_encrypted.
 * Returns 0 or -1 with err filled.
 */
int	 keys_write_private_encrypted(const char *path, EVP_PKEY *pkey,
	    const char *pass, size_t passlen, bool replace, char *err,
	    size_t errsz);

/*
 * Load a private key (HARDENING §6.1 P3/P4): open with O_NOFOLLOW, then
 * fstat the fd: a regular file owned by us with no group/other access,
 * else refuse naming the file and mode. Returns a new key (caller frees
 * with EVP_PKEY_free), or NULL with err filled (errno ENOENT when the
 * file does not exist).
 */
EVP_PKEY *keys_load_private(const char *path, char *err, size_t errsz);

/*
 * keys_load_private for a key that may be encrypted: an encrypted PEM is
 * decrypted with pass (passlen bytes); an unencrypted one loads as is.
 * Returns a new key (caller frees with EVP_PKEY_free), or NULL with err
 * filled and errno ENOKEY (encrypted, pass is NULL), EKEYREJECTED (wrong
 * passphrase or damaged ciphertext) or as keys_load_private.
 */
EVP_PKEY *keys_load_private_pass(const char *path, const char *pass,
	    size_t passlen, char *err, size_t errsz);

/*
 * Load the first PEM certificate of path. Returns a new X509 (caller
 * frees with X509_free), or NULL with err filled (errno ENOENT when the
 * file does not exist).
 */
X509	*keys_load_cert(const char *path, char *err, size_t errsz);

/*
 * Does pkey belong to cert (HARDENING X08/KP11)? 0, or -1 with err naming
 * `what` (usually the key file).
 */
int	 keys_check_pair(X509 *cert, EVP_PKEY *pkey, const char *what,
	    char *err, size_t errsz);

/* Does path exist (lstat)? */
bool	 keys_exists(const char *path);

#endif /* LOCALACME_KEYS_H */
