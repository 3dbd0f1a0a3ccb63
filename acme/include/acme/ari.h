/* ari.h - ACME Renewal Information (RFC 9773): certIDs and suggested windows */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_ARI_H
#define ACME_ARI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/problem.h"

/* Largest keyIdentifier we accept (SHA-512 would be 64 octets). */
#define ACME_ARI_KEYID_MAX	64
/* RFC 5280 §4.1.2.2: at most 20 octets of serial. */
#define ACME_ARI_SERIAL_MAX	20
/* Longest certID text: base64url of both parts plus the '.'. */
#define ACME_ARI_CERTID_SIZE	128
/* Retry-After on a renewalInfo answer (RFC 9773 §4.3; Let's Encrypt: 6 h). */
#define ACME_ARI_RETRY_AFTER_S	21600

/*
 * A parsed certID (RFC 9773 §4.1): the AKI keyIdentifier octets and the
 * serial's DER INTEGER content octets (sign octet included when needed).
 */
struct acme_ari_certid {
	unsigned char	 keyid[ACME_ARI_KEYID_MAX];
	size_t		 keyidlen;
	unsigned char	 serial[ACME_ARI_SERIAL_MAX + 1];	/* DER content */
	size_t		 seriallen;
};

/*
 * Parse "base64url(keyIdentifier) '.' base64url(serial DER)": exactly
 * one '.', both parts non-empty canonical base64url (no padding), the
 * keyIdentifier 1..64 octets, the serial a minimal, positive DER
 * INTEGER content of 1..20 magnitude octets. Anything else is malformed
 * (RFC 9773 §4.1). Returns 0, or -1 with *prob filled.
 */
int	 acme_ari_certid_parse(const char *s, struct acme_ari_certid *out,
	    struct acme_problem *prob);

/*
 * Build the certID text of id into out[outsz]. Returns 0, or -1 if out
 * is too small or id is empty (out is then "").
 */
int	 acme_ari_certid_build(const struct acme_ari_certid *id, char *out,
	    size_t outsz);

/*
 * The certID of certificate x (its AKI keyIdentifier and serial).
 * Returns 0, or -1 when x has no AKI keyIdentifier, a negative or
 * over-long serial, or out is too small.
 */
int	 acme_ari_certid_of_x509(X509 *x, char *out, size_t outsz);

/*
 * The serial's magnitude as lower-case hex without leading zero octets
 * (the form the store keys certificates by). Returns 0, or -1 if the
 * serial is zero.
 */
int	 acme_ari_certid_serial_hex(const struct acme_ari_certid *id,
	    char out[ACME_SERIAL_SIZE]);

struct acme_ari_window {
	time_t	 start;
	time_t	 end;		/* > start */
};

/*
 * The suggested renewal window of a certificate valid from nb to na:
 * from two thirds to five sixths of its lifetime, so it always lies in
 * the last third. A revoked certificate (revoked_at != 0) gets a window
 * that ended at the revocation (clamped to now), one hour long, so a
 * client renews at once (RFC 9773 §4.2: a window in the past means
 * "renew now"). Returns 0, or -1 when na <= nb.
 */
int	 acme_ari_window(time_t nb, time_t na, time_t revoked_at, time_t now,
	    struct acme_ari_window *w);

/*
 * The renewalInfo resource (RFC 9773 §4.2): {"suggestedWindow":
 * {"start", "end"}} in RFC 3339, plus "explanationURL" when
 * explanation_url is neither NULL nor "". Returns a new reference, or
 * NULL on allocation failure or an unrepresentable time.
 */
json_t	*acme_ari_render(const struct acme_ari_window *w,
	    const char *explanation_url);

#endif /* ACME_ARI_H */
