/* issuer.h - issuance outside ACME orders (CLI, the API's own certificate) and certificate records */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ISSUER_H
#define LOCALACME_ISSUER_H

#include <stddef.h>

#include <openssl/x509.h>

#include "acme/acme.h"

struct ca;
struct ca_leaf_req;
struct store;

/*
 * The serial of x as the store writes it: lower-case hex of its bytes
 * (positive, at most 20 octets). Returns 0, or -1 for any other serial.
 */
int	 issuer_serial_hex(X509 *x, char out[ACME_SERIAL_SIZE]);

/*
 * Fill *out (zeroed or cleared) with the store record of a signed leaf:
 * serial, names (comma-joined ids), leaf PEM, chain PEM, SPKI SHA-256
 * thumbprint, validity, issue time, status valid and source ("acme",
 * "cli", "server"). account_id and order_id are left empty. Returns 0, or
 * -1 on allocation failure (*out then holds what was filled; clear it
 * with acme_cert_clear).
 */
int	 issuer_cert_record(X509 *leaf, const char *chain_pem,
	    const struct acme_identifier *ids, size_t n, const char *source,
	    struct acme_cert *out);

/*
 * Crash-safe issuance without an order (docs/HARDENING.md §4): reserve a fresh
 * serial in the store (req->serial is set to it; req->serial_buf must
 * hold ACME_SERIAL_SIZE bytes), sign with the CA, then record the
 * certificate before returning it. A signing failure marks the serial
 * failed; a recording failure leaves it reserved ("may exist").
 *
 * Returns 0 with *leaf a new X509 (caller frees) and *chain the issuer's
 * PEM (borrowed from the CA); -1 with a one-line reason in err.
 */
int	 issuer_issue(struct ca *ca, struct store *st, struct ca_leaf_req *req,
	    char serial_buf[ACME_SERIAL_SIZE], const char *source, X509 **leaf,
	    const char **chain, char *err, size_t errsz);

#endif /* LOCALACME_ISSUER_H */
