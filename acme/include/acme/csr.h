/* csr.h - CSR decoding, self-signature, SAN extraction, match against the order, key policy (RFC 8555 §7.4) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_CSR_H
#define ACME_CSR_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/problem.h"

/* Largest CSR we parse (DER bytes); bounds parsing work (HARDENING F24). */
#define ACME_CSR_MAX		16384
/* Most names (SANs) in one CSR; the order limit (Boulder's maxNames). */
#define ACME_CSR_MAX_NAMES	ACME_MAX_IDENTIFIERS
/* How the detail of a badCSR for names unlike the order's begins. */
#define ACME_CSR_NAMES_MISMATCH	"CSR names do not match the order"

/*
 * Decode the "csr" member of a finalize payload (RFC 8555 §7.4):
 * strict base64url of a DER CertificationRequest. Rejects, with
 * malformed, text that is not canonical base64url (PEM, padding,
 * whitespace; HARDENING F17) and, with badCSR: more than ACME_CSR_MAX
 * bytes, anything that is not DER (indefinite or non-minimal lengths,
 * constructed strings, trailing bytes, an encoding that does not
 * re-encode byte for byte; F18, F19), a version other than 0 (v1), a
 * signature algorithm other than RSA/ECDSA with SHA-256/384/512 (F10),
 * and a broken self-signature (F09).
 * Returns a new X509_REQ (caller frees with X509_REQ_free), or NULL
 * with *prob filled. The request is parsed without OpenSSL decoding its
 * key (csr.c says why): X509_REQ_get0_pubkey() returns NULL for it; use
 * acme_csr_pubkey().
 */
X509_REQ *acme_csr_decode(const char *b64url, struct acme_problem *prob);
/* The same, and *key the subject key (new reference) on success. */
X509_REQ *acme_csr_decode_key(const char *b64url, EVP_PKEY **key,
	    struct acme_problem *prob);

/*
 * The request's subject key, a new reference (caller frees with
 * EVP_PKEY_free): EC keys built from their named curve and point (the
 * import checks the point is on the curve), others decoded from the
 * SubjectPublicKeyInfo. Works for any X509_REQ. NULL if the key cannot
 * be parsed.
 */
EVP_PKEY *acme_csr_pubkey(X509_REQ *req);

/*
 * RFC 8555 §7.4 and HARDENING F04-F21: does req ask for exactly the
 * order's identifiers, with an acceptable key?
 *  - one extensionRequest attribute at most, with one value; no
 *    extension twice (two subjectAltName extensions: F21);
 *  - SANs are dNSName or iPAddress only (F08), at most
 *    ACME_CSR_MAX_NAMES, each valid per acme_ident_parse (so
 *    "Example.TEST" matches "example.test"; NUL and control characters
 *    fail: F20);
 *  - the subject CN, if present (at most one), is a DNS name or an IP
 *    address in text form that is one of ids after normalisation (F06;
 *    RFC 8555 §7.4, BR §7.1.4.3), whether or not it is also a SAN;
 *  - the SANs plus the CN equal the set of ids (F04, F05): a CSR with
 *    a CN and no SAN covers a one-identifier order; the detail names
 *    what is extra and missing, with one subproblem per name;
 *  - extensions are only those the profile carries anyway (§7.4: the
 *    CA refuses "extensions that the CA is not willing to include"):
 *    subjectAltName, keyUsage without keyCertSign/cRLSign,
 *    extendedKeyUsage of serverAuth/clientAuth, basicConstraints
 *    CA:FALSE, subjectKeyIdentifier; any other (OCSP Must-Staple
 *    but with acme_csr_check_staple, CA:TRUE, codeSigning, ...) is
 *    badCSR naming it;
 *  - the key passes acme_csr_key_policy (F11, F12) and is none of
 *    forbidden_keys (account keys, RFC 8555 §11.1: F14, F15).
 * Other subject attributes are ignored, and the allowed extensions are
 * not copied: the CA takes nothing from a CSR but its key and the
 * checked names (F16).
 * ids need not be sorted. Returns 0, or -1 with *prob filled (badCSR,
 * or serverInternal on allocation failure).
 */
int	 acme_csr_check(X509_REQ *req, const struct acme_identifier *ids,
	    size_t nids, EVP_PKEY *const *forbidden_keys, size_t nforbidden,
	    struct acme_problem *prob);
/* The same with req's subject key given (from acme_csr_decode_key). */
int	 acme_csr_check_key(X509_REQ *req, EVP_PKEY *key,
	    const struct acme_identifier *ids, size_t nids,
	    EVP_PKEY *const *forbidden_keys, size_t nforbidden,
	    struct acme_problem *prob);
/*
 * acme_csr_check_key for a CA that runs an OCSP responder: staple not
 * NULL allows OCSP Must-Staple (TLS Feature, RFC 7633, listing only
 * status_request) and sets *staple when the CSR asks for it (the caller
 * sets it false first). With staple NULL it is acme_csr_check_key.
 */
int	 acme_csr_check_staple(X509_REQ *req, EVP_PKEY *key,
	    const struct acme_identifier *ids, size_t nids,
	    EVP_PKEY *const *forbidden_keys, size_t nforbidden, bool *staple,
	    struct acme_problem *prob);

/*
 * The names a CSR asks for, for `localacme issue --csr`: its SANs plus
 * its CN (a DNS name or an IP address, added if it is not already a
 * SAN), checked as by acme_csr_check but for the extension allow-list
 * (the operator's CSR: its extensions are ignored), normalised, sorted
 * and de-duplicated. At least one
 * name is required. On success *out is a new array of *n entries (caller
 * frees with free()) and 0 is returned; -1 with *prob filled otherwise.
 */
int	 acme_csr_names(X509_REQ *req, struct acme_identifier **out,
	    size_t *n, struct acme_problem *prob);

/*
 * Key policy (CA/B BR §6.1.5, §6.1.6), for CSR and leaf keys: RSA with a
 * modulus of exactly 2048, 3072 or 4096 bits and e = 65537, or ECDSA on
 * P-256 or P-384 (named curves only); the public key must pass
 * EVP_PKEY_public_check. Everything else (RSA-PSS keys, other curves,
 * Ed25519/Ed448, DSA) is refused. Returns 0, or -1 with *prob = badCSR.
 */
int	 acme_csr_key_policy(EVP_PKEY *key, struct acme_problem *prob);

#endif /* ACME_CSR_H */
