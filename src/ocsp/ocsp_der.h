/* ocsp_der.h - OCSP requests parsed and responses built and signed (RFC 6960), no I/O */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_OCSP_DER_H
#define LOCALACME_OCSP_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "acme/acme.h"

/* The largest OCSPRequest we read: one CertID, a nonce, no signature. */
#define OCSP_REQUEST_MAX	4096

/* One parsed request: the single CertID it asks about. */
struct ocsp_query {
	OCSP_REQUEST	*req;		/* owned: its nonce is echoed */
	OCSP_CERTID	*id;		/* borrowed from req */
	/* The serial as the store writes it; "" when no certificate of ours can have it. */
	char		 serial[ACME_SERIAL_SIZE];
};

/*
 * Parse an OCSPRequest (RFC 6960 §4.1.1): DER, nothing after it, exactly
 * one Request (we answer for one certificate at a time, as Let's Encrypt
 * does), a hash algorithm OpenSSL knows. A signed request is accepted and
 * its signature ignored (§4.1.2: optional). Returns 0 with *q filled
 * (ocsp_query_clear frees), or -1 with a one-line reason in err: the
 * answer is then malformedRequest.
 */
int	 ocsp_query_parse(const unsigned char *der, size_t len,
	    struct ocsp_query *q, char *err, size_t errsz);
/* Free what ocsp_query_parse filled; zero q. NULL-safe, idempotent. */
void	 ocsp_query_clear(struct ocsp_query *q);

/*
 * Does the CertID name issuer (issuerNameHash and issuerKeyHash, §4.1.1,
 * by the request's own hash algorithm)? An issuer we are not: the answer
 * is unauthorized (§2.3).
 */
bool	 ocsp_query_issuer_is(const struct ocsp_query *q, X509 *issuer);

enum ocsp_cert_state {
	OCSP_STATE_GOOD = 0,
	OCSP_STATE_REVOKED,
	OCSP_STATE_UNKNOWN
};

/* What one SingleResponse says (§4.2.1). */
struct ocsp_answer {
	enum ocsp_cert_state	 state;
	time_t			 revoked_at;	/* REVOKED only */
	int			 reason;	/* REVOKED: CRLReason 0-10 */
	time_t			 this_update;
	time_t			 next_update;	/* 0 = none */
};

/*
 * A successful OCSPResponse (§4.2.1): a BasicOCSPResponse with one
 * SingleResponse for q's CertID, the request's nonce echoed (§4.4.1) if
 * it had one, producedAt now, the ResponderID by key hash, signed by
 * signer/key with the signer's certificate included (a delegated
 * responder, §4.2.2.2). Returns 0 with *der (OPENSSL_malloc'd: caller
 * frees with OPENSSL_free) and *len; -1 (OpenSSL's errors left queued).
 */
int	 ocsp_response_build(const struct ocsp_query *q,
	    const struct ocsp_answer *a, X509 *signer, EVP_PKEY *key,
	    unsigned char **der, size_t *len);

/*
 * An unsuccessful OCSPResponse of status (OCSP_RESPONSE_STATUS_*:
 * malformedRequest, internalError, unauthorized...): no body (§4.2.1).
 * Returns 0 with *der (OPENSSL_free) and *len, or -1.
 */
int	 ocsp_response_error(int status, unsigned char **der, size_t *len);

#endif /* LOCALACME_OCSP_DER_H */
