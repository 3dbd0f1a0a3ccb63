/* ca.h - the certificate authority: root, intermediate and leaf profiles (HARDENING §5) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_CA_H
#define LOCALACME_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "keys.h"
#include "profile.h"	/* PROFILE_MIN_ and _MAX_LIFETIME, the leaf lifetime bounds */

struct ca;
struct passphrase;
struct passphrase_opts;
struct policy;

/* Root and intermediate lifetimes (HARDENING §5.1, §5.2). */
#define CA_ROOT_DAYS		3650
#define CA_INTERMEDIATE_DAYS	1095	/* 3 years */
#define CA_BACKDATE		3600	/* notBefore = now - 1 h */

struct ca_create_opts {
	enum keys_type		 key_type;	/* root and intermediate */
	const struct policy	*policy;	/* NULL = policy_init_default */
	/* Non-NULL: write root.key encrypted under it (HARDENING §6.1 P6). */
	const struct passphrase	*root_pass;
};

/*
 * Open the CA in state_dir: load root.pem, intermediate.pem and
 * intermediate.key (never root.key), check that the key is ours (mode,
 * owner, no symlink), matches its certificate, and that the intermediate
 * is signed by the root. The policy is read back from the root's
 * nameConstraints. When root.pem is absent and create_if_missing, first
 * create a root and an intermediate (opts may be NULL for the defaults;
 * *created, may be NULL, says so). A state dir with some CA files but no
 * root.pem is refused, never regenerated (HARDENING X08).
 *
 * Returns a new CA (caller frees with ca_free), or NULL with a one-line
 * message naming the file in err.
 */
struct ca	*ca_open(const char *state_dir, bool create_if_missing,
		    const struct ca_create_opts *opts, bool *created,
		    char *err, size_t errsz);

/* NULL-safe. Frees every intermediate ever loaded by this CA. */
void		 ca_free(struct ca *ca);

/*
 * A new leaf serial: one prefix byte 0x01-0x7F and 16 random bytes, as 34
 * lower-case hex digits (HARDENING §5.3). Reserve it in the store before
 * signing. Returns 0, or -1 if the DRBG fails.
 */
int		 ca_new_serial(char out[ACME_SERIAL_SIZE]);
/*
 * The serial of x as the store writes it: lower-case hex of its bytes
 * (positive, at most 20 octets). Returns 0, or -1 for any other serial.
 */
int		 ca_serial_hex(X509 *x, char out[ACME_SERIAL_SIZE]);

struct ca_leaf_req {
	EVP_PKEY			*pubkey;	/* subject key (borrowed) */
	/*
	 * Optional: pubkey's SubjectPublicKeyInfo as received (a CSR's),
	 * copied into the leaf byte for byte. Without it the key is encoded
	 * from pubkey, which OpenSSL 3 does through its encoder and decoder
	 * machinery: about 13% of an ACME issuance's CPU.
	 */
	const X509_PUBKEY		*spki;
	const struct acme_identifier	*idents;	/* SAN, in this order; "*." kept */
	size_t				 nident;
	/*
	 * Seconds, PROFILE_MIN_LIFETIME to PROFILE_MAX_LIFETIME: the
	 * leaf's notAfter - notBefore + 1 when not_after == 0 (RFC 5280
	 * §4.1.2.5: both ends inclusive); it also sets the backdate.
	 */
	time_t				 lifetime;
	/*
	 * Requested times (RFC 8555 §7.4) are used exactly or refused,
	 * never moved: the RA checks them at newOrder.
	 */
	time_t				 not_before;	/* 0 = now - ca_leaf_backdate */
	time_t				 not_after;	/* 0 = not_before + lifetime - 1 */
	bool				 client_auth;	/* add clientAuth to the EKU */
	const char			*serial;	/* from ca_new_serial, reserved */
	bool				 no_cn;		/* profile: empty subject, critical SAN */
	const char			*crl_url;	/* CRL distribution point URL, or NULL */
	/* OCSP (--ocsp): the AIA's responder URL, or NULL; Must-Staple needs it */
	const char			*ocsp_url;
	bool				 must_staple;	/* TLS Feature status_request (RFC 7633) */
};

/*
 * How far before now a leaf of this lifetime starts when no notBefore is
 * requested: CA_BACKDATE (clients with a slow clock accept it at once),
 * but at most a tenth of the lifetime. Clients (Caddy, certbot, ARI) take
 * notAfter - notBefore as the lifetime and renew at a fraction of it; a
 * full hour's backdate would leave a 90-second leaf expired when issued.
 * With a tenth, the lifetime a client sees is the profile's and at least
 * 9/10 of it is still ahead when the leaf is issued.
 */
time_t		 ca_leaf_backdate(time_t lifetime);

/* An ASN1_TIME (a certificate's notBefore/notAfter) as time_t, 0 if unreadable. */
time_t		 ca_asn1_to_time(const ASN1_TIME *t);

/*
 * Sign a leaf with the current intermediate (HARDENING §5.3); a computed
 * notBefore/notAfter is clamped to the intermediate's, a requested one
 * outside it (or a lifetime outside the profile bounds) fails the signing. The identifiers must already have passed
 * the policy. Before returning, the certificate is checked against our
 * own profile (ca_check_leaf); a violation is an internal error, never a
 * certificate. Thread-safe: may be called from many threads at once.
 *
 * Returns 0 with *out a new X509 (caller frees with X509_free) and, if
 * chain_pem is not NULL, *chain_pem the issuing intermediate's PEM
 * (borrowed, valid until ca_free); -1 on failure (cause logged).
 */
int		 ca_sign_leaf(struct ca *ca, const struct ca_leaf_req *req,
		    X509 **out, const char **chain_pem);

/*
 * The pre-issuance profile check: version, serial, issuer, validity inside
 * the issuer's, exactly BC/KU/EKU/SAN/AKI with the right criticality and
 * values, SAN = req->idents in order, subject empty or CN = first DNS
 * name, AKI = issuer SKI, the subject key byte for byte the requested one.
 * Returns 0, or -1 with err saying which rule failed. The signature is
 * not re-verified: that would cost as much as checking a client's JWS,
 * and the chain is verified by openssl, certtool and NSS in the tests.
 */
int		 ca_check_leaf(X509 *leaf, X509 *issuer,
		    const struct ca_leaf_req *req, char *err, size_t errsz);

/* Current intermediate PEM (the chain to serve). Borrowed, valid until ca_free. */
const char	*ca_chain_pem(struct ca *ca);
/* Root PEM. Borrowed, valid until ca_free. */
const char	*ca_root_pem(struct ca *ca);
/* Borrowed root and current intermediate certificates (valid until ca_free). */
X509		*ca_root_cert(struct ca *ca);
X509		*ca_intermediate_cert(struct ca *ca);
/* SHA-256 of the root's DER as 64 upper-case hex digits. 0 or -1. */
int		 ca_root_fingerprint(struct ca *ca, char hex[65]);
/* The identifier policy (from the root's nameConstraints). Borrowed. */
const struct policy *ca_policy(struct ca *ca);
/* The current intermediate's notAfter and notBefore. */
time_t		 ca_intermediate_not_after(struct ca *ca);
time_t		 ca_intermediate_not_before(struct ca *ca);
/* The state directory this CA was opened from. Borrowed. */
const char	*ca_state_dir(struct ca *ca);

/*
 * Rotate the intermediate when less than a third of its life is left at
 * `now` (HARDENING §6.1 P16): opens root.key (only here), signs a new
 * intermediate with the same key type, keeps the old files as
 * intermediate-<serial>.pem/.key and installs the new ones. *rotated says
 * whether it happened. Leaves signed earlier keep their chain PEM valid.
 * Returns 0, or -1 with err filled (the CA keeps the old intermediate).
 */
int		 ca_maybe_rotate(struct ca *ca, time_t now, bool *rotated,
		    char *err, size_t errsz);

/*
 * ca_maybe_rotate, or with `force` rotate now whatever is left (`init
 * --rotate-intermediate`). An encrypted root.key is decrypted with the
 * passphrase from the sources given to ca_set_root_passphrase; with none
 * the call fails with err starting "pending:" and naming the command to
 * run, and a wrong passphrase fails: never a fallback (HARDENING KP5).
 * Returns 0 or -1 as ca_maybe_rotate.
 */
int		 ca_rotate(struct ca *ca, time_t now, bool force,
		    bool *rotated, char *err, size_t errsz);

/*
 * Where rotation may get an encrypted root.key's passphrase: a file
 * (--root-passphrase-file), a systemd credentials directory
 * ($CREDENTIALS_DIRECTORY) and a terminal to prompt on (NULL for a
 * daemon: it never prompts). Each may be NULL; they are copied and read
 * only when a rotation needs the key. Returns 0, or -1 out of memory.
 */
int		 ca_set_root_passphrase(struct ca *ca, const char *file,
		    const char *cred_dir, const char *tty);

/*
 * Encrypt an existing unencrypted root.key in place (atomic rename over
 * it) under a passphrase from passphrase_get(po). *already is true, and
 * nothing is asked or changed, if it is encrypted already. Returns 0, or
 * -1 with err filled.
 */
int		 ca_encrypt_root(struct ca *ca, const struct passphrase_opts *po,
		    bool *already, char *err, size_t errsz);

/*
 * Sign a CRL with the current intermediate (RFC 5280 §5): sets version
 * 2, the issuer name and the authorityKeyIdentifier (the intermediate's
 * SKI, §5.2.1), sorts the entries and signs. The caller has set the
 * times, the entries and the CRL number. *issuer_pem (may be NULL)
 * receives the signing intermediate's PEM (borrowed, valid until
 * ca_free), so the caller can tell which certificates the CRL covers.
 * Returns 0, or -1 (logged).
 */
int		 ca_sign_crl(struct ca *ca, X509_CRL *crl,
		    const char **issuer_pem);

/* Lifetime of the delegated OCSP signer (ca_ocsp.c); renewed at half of it. */
#define CA_OCSP_SIGNER_DAYS	4

/*
 * The delegated OCSP signing certificate of the current intermediate
 * (RFC 6960 §4.2.2.2: EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck,
 * CA_OCSP_SIGNER_DAYS), kept as ocsp-signer.pem/.key in the state
 * directory and in memory. Made when missing, past half its life, or
 * issued by another intermediate than the current one (rotation).
 * Thread-safe. Returns 0 with *cert and *key (new references: caller
 * frees with X509_free, EVP_PKEY_free), *issuer (borrowed, valid until
 * ca_free) and *issuer_pem (its PEM, borrowed likewise); -1 (logged).
 */
int		 ca_ocsp_signer(struct ca *ca, time_t now, X509 **cert,
		    EVP_PKEY **key, X509 **issuer, const char **issuer_pem);

/*
 * Alternate chains (RFC 8555 §7.4.2, --alternate-roots). Hierarchy 0 is
 * the default CA; hierarchies 1..n each have their own root
 * (altK-root.pem, altK-root.key, protected as root.key) and an
 * intermediate with the default intermediate's subject and key signed by
 * that root (altK-intermediate.pem), so every leaf the default
 * intermediate signs also verifies under each alternate root.
 */
#define CA_ALT_MAX	4

/*
 * Load hierarchies 1..n from the state directory, creating those absent
 * (a new root key is encrypted when root.key is, under its passphrase
 * from ca_set_root_passphrase's sources, so call that first). An
 * alternate intermediate that no longer matches the default intermediate
 * (rotated meanwhile) is signed anew. Files of hierarchies above n are
 * kept and unused. Call once, before serving. 0, or -1 with err.
 */
int		 ca_alt_open(struct ca *ca, unsigned n, char *err,
		    size_t errsz);
/* Log one line per hierarchy: its root's CN and SHA-256 fingerprint. */
void		 ca_hier_log(struct ca *ca);
/* 1 + the number of alternate hierarchies. */
unsigned	 ca_hierarchies(struct ca *ca);
/* Root / current intermediate PEM of hierarchy k, NULL if k is out of range. Borrowed. */
const char	*ca_hier_root_pem(struct ca *ca, unsigned k);
const char	*ca_hier_intermediate_pem(struct ca *ca, unsigned k);
/* Root certificate of hierarchy k (borrowed), NULL if out of range. */
X509		*ca_hier_root_cert(struct ca *ca, unsigned k);
/* SHA-256 of hierarchy k's root DER, 64 upper-case hex digits. 0 or -1. */
int		 ca_hier_root_fingerprint(struct ca *ca, unsigned k,
		    char hex[65]);
/* The file name of hierarchy k's root key ("root.key", "alt1-root.key"). 0 or -1. */
int		 ca_hier_root_key_name(unsigned k, char *out, size_t outsz);
/*
 * The chain (intermediate PEM) of hierarchy k for a leaf whose default
 * chain is issuer_pem: issuer_pem itself for k = 0, else the alternate
 * intermediate standing for it. Borrowed (valid until ca_free); NULL
 * when k is out of range or that hierarchy has none for this issuer (a
 * leaf of an intermediate retired before this process started).
 */
const char	*ca_hier_chain_pem(struct ca *ca, unsigned k,
		    const char *issuer_pem);

/*
 * Leaf PEM followed by chain (may be NULL). Returns a new string (caller
 * frees with free()), NULL on failure.
 */
char		*ca_fullchain_pem(X509 *leaf, const char *chain);

#endif /* LOCALACME_CA_H */
