/* crl.h - the intermediate's CRL (RFC 5280 §5): building, signing through the CA, publishing */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_CRL_H
#define LOCALACME_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

struct ca;
struct ra;

/* One revoked certificate on a CRL. */
struct crl_entry {
	char	 serial[41];	/* lower-case hex, as the store keeps it */
	time_t	 revoked_at;
	int	 reason;	/* RFC 5280 §5.3.1 CRLReason; 0 = unspecified (omitted) */
};

/*
 * A CRL over entries[0..n) with CRL number `number` (§5.2.3),
 * thisUpdate = this_update and nextUpdate = next_update (§5.1.2.4-5),
 * each entry with its revocationDate and, unless unspecified, a
 * reasonCode extension (§5.3.1); signed by the CA's current
 * intermediate (ca_sign_crl adds issuer and AKI). *issuer_pem (may be
 * NULL) is the signer's PEM, borrowed from the CA. Returns a new CRL
 * (caller frees with X509_CRL_free), or NULL (logged).
 */
X509_CRL	*crl_build(struct ca *ca, const struct crl_entry *entries,
		    size_t n, uint64_t number, time_t this_update,
		    time_t next_update, const char **issuer_pem);

struct crl_opts {
	unsigned	 period_s;	/* nextUpdate - thisUpdate; 0 = 1 day */
	const char	*out_path;	/* also write the DER here (may be NULL) */
};

struct crl;

/*
 * The publisher: it reads the revocations and takes CRL numbers through
 * the RA (ra_crl_snapshot; no connection of its own), signs with the CA
 * and keeps the current CRL in memory, under its mutex. It never holds
 * its mutex while it calls the RA, so it may be called with or without
 * the RA's lock held elsewhere, e.g. from ra_opts.on_revoke. Builds the
 * first CRL at once. Returns NULL with a reason in err. Free with
 * crl_free (before the RA). Thread-safe.
 */
struct crl	*crl_new(const struct crl_opts *opts, struct ra *ra,
		    struct ca *ca, char *err, size_t errsz);
void		 crl_free(struct crl *c);

/*
 * Build and sign a new CRL now, with the next CRL number, from every
 * unexpired revoked certificate the current intermediate issued. Of two
 * refreshes at once, the one with the larger CRL number stays published.
 * Returns 0, or -1 (logged; the previous CRL stays published).
 */
int		 crl_refresh(struct crl *c, time_t now);

/*
 * Refresh when the revocation set changed (e.g. `localacme revoke` from
 * another process) or half the period has passed, so nextUpdate is never
 * reached (§5.1.2.5). *refreshed (may be NULL) says whether it did.
 * Returns 0 or -1.
 */
int		 crl_maybe_refresh(struct crl *c, time_t now, bool *refreshed);

/* For ra_opts.on_revoke: arg is the struct crl; refreshes at once. */
void		 crl_on_revoke(void *arg);

/*
 * A copy of the current CRL's DER. Returns a new buffer of *len bytes
 * (caller frees), or NULL if there is none or on ENOMEM.
 */
unsigned char	*crl_current_der(struct crl *c, size_t *len);

/* For wfe_opts.crl_fetch: same as crl_current_der with arg = struct crl. */
unsigned char	*crl_fetch(void *arg, size_t *len);

#endif /* LOCALACME_CRL_H */
