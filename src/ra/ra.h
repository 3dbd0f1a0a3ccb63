/* ra.h - the registration authority: every ACME state change */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_RA_H
#define LOCALACME_RA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "acme/payload.h"

struct ca;
struct ca_leaf_req;
struct va;
struct va_request;
struct va_result;
struct policy;
struct profile_table;
struct acme_eab;
struct acme_ari_window;
struct store;

/*
 * The RA is the only code that changes ACME state (docs/ARCHITECTURE.md §2). It takes
 * and returns acme/ structs and fills a caller's struct acme_problem; it
 * never sees JSON, headers or URLs. Every function is safe to call from
 * several threads at once: they share the RA's one store connection
 * (opened by ra_new, closed by ra_free), one call at a time under the
 * RA's lock, and a call returns only once what it committed is on disk.
 *
 * Ownership checks live here: a resource of another account is
 * indistinguishable from a missing one (404 malformed, HARDENING Z01).
 */

struct ra_opts {
	const char	*db_path;		/* state_dir/localacme.db */
	unsigned	 leaf_days;		/* default leaf lifetime */
	bool		 validation_skip;	/* challenges valid without a check */
	bool		 tos_required;		/* termsOfService configured */
	bool		 eab_required;
	unsigned	 authz_pending_s;	/* lifetime of a pending authz (0 = 7 d) */
	unsigned	 order_pending_s;	/* lifetime of a pending order (0 = 7 d) */
	unsigned	 authz_valid_s;		/* lifetime of a valid authz */
	size_t		 max_pending_authz;	/* per account; 0 = unlimited */
	/* profiles (draft-ietf-acme-profiles), CRLs */
	const struct profile_table *profiles;	/* NULL = "default" only, leaf_days */
	const char	*crl_url;		/* CRL DP of leaves; NULL = none */
	const char	*ocsp_url;		/* OCSP AIA of leaves, Must-Staple allowed; NULL = none */
	void		(*on_revoke)(void *arg);	/* after each revocation */
	void		*on_revoke_arg;
	bool		 read_only;	/* store_open_readonly: list only */
};

/*
 * Open the RA and its store connection (the database is created and
 * migrated if need be). ca and policy may be NULL for an RA that serves
 * only the operator calls below (`localacme revoke`, `list`, `eab`): they
 * need no CA, and opening one would ask for files they do not use.
 * Returns NULL with a one-line reason in err.
 */
struct ra	*ra_new(const struct ra_opts *opts, struct ca *ca,
		    const struct policy *policy, char *err, size_t errsz);
void		 ra_free(struct ra *ra);

/*
 * The RA's store connection, borrowed, for tests that set up states the
 * protocol cannot reach. Pending orders, authorizations and challenges
 * live in this connection's memory (store/store_pending.c), so such a
 * test must use it rather than a connection of its own. Only between RA
 * calls, from the thread that makes them; never freed by the caller.
 */
struct store	*ra_store_borrow(struct ra *ra);

/*
 * Attach the VA after both exist (the VA calls back into ra_va_done,
 * which serve.c installs as its done callback, from the VA's worker
 * threads). NULL is allowed with validation_skip, and for the CLI.
 */
void		 ra_set_va(struct ra *ra, struct va *va);

/* VA callback: records a validation result. Called from VA workers. */
void		 ra_va_done(void *arg, const struct va_request *req,
		    const struct va_result *res);

/*
 * Start-up recovery: orders left in "processing" by a crash become
 * invalid (HARDENING I5). Returns 0 or -1; *n = orders recovered.
 */
int		 ra_recover(struct ra *ra, size_t *n);

/* Periodic maintenance: expire pending/valid objects past their time. */
int		 ra_expire(struct ra *ra, time_t now);

/* --- accounts (RFC 8555 §7.3) --- */

/*
 * Look up the account named by a kid's ID for request authentication.
 * 0 and *out filled; -1 with accountDoesNotExist or serverInternal.
 * *key receives the account's public key (caller frees with
 * EVP_PKEY_free).
 */
int		 ra_account_auth(struct ra *ra, const char *id,
		    struct acme_account *out, EVP_PKEY **key,
		    struct acme_problem *prob);

/*
 * newAccount (§7.3, §7.3.1): creates the account for `key` or finds the
 * existing one (*created tells which). onlyReturnExisting with an unknown
 * key is accountDoesNotExist; an existing deactivated account is 401
 * unauthorized (§7.3.6).
 */
int		 ra_new_account(struct ra *ra, EVP_PKEY *key,
		    const struct acme_req_new_account *req,
		    struct acme_account *out, bool *created,
		    struct acme_problem *prob);

/*
 * As ra_new_account, with an external account binding already parsed
 * and checked for shape by the WFE (acme_eab_parse; eab NULL = none).
 * The RA looks the kid up (unknown: unauthorized), verifies the MAC
 * (unauthorized), and for a single-use key consumes it in the same
 * transaction as the account insert (reused: unauthorized, HARDENING
 * E06-E07). The account records the kid.
 */
int		 ra_new_account_eab(struct ra *ra, EVP_PKEY *key,
		    const struct acme_req_new_account *req,
		    const struct acme_eab *eab, struct acme_account *out,
		    bool *created, struct acme_problem *prob);

/*
 * RFC 9773 §4.2 renewalInfo for certid (the path segment): malformed
 * for a bad certID, 404 malformed when no certificate of ours has it.
 * *w is the window set through the management API if any, else the
 * computed one (acme_ari_window); url gets its explanationURL ("" if
 * none). Returns 0 or -1.
 */
int		 ra_renewal_info(struct ra *ra, const char *certid,
		    struct acme_ari_window *w, char *url, size_t urlsz,
		    struct acme_problem *prob);

/* Account update or deactivation (§7.3.2, §7.3.6). */
int		 ra_update_account(struct ra *ra, const struct acme_account *acct,
		    const struct acme_req_account_update *req,
		    struct acme_account *out, struct acme_problem *prob);

/*
 * Key rollover (§7.3.5) after the WFE checked both JWSs. On a key already
 * in use: -1, 409 malformed, and conflict_id holds that account's ID.
 */
int		 ra_key_change(struct ra *ra, const struct acme_account *acct,
		    EVP_PKEY *newkey, char conflict_id[ACME_ID_SIZE],
		    struct acme_problem *prob);

/* --- orders, authorizations, challenges (§7.4, §7.5) --- */

int		 ra_new_order(struct ra *ra, const struct acme_account *acct,
		    const struct acme_req_new_order *req,
		    struct acme_order *out, struct acme_problem *prob);
int		 ra_get_order(struct ra *ra, const struct acme_account *acct,
		    const char *id, struct acme_order *out,
		    struct acme_problem *prob);
/*
 * One page of the account's orders: ids[0..*n), and next (a cursor, ""
 * when this is the last page).
 */
int		 ra_list_orders(struct ra *ra, const struct acme_account *acct,
		    const char *cursor, char (*ids)[ACME_ID_SIZE], size_t max,
		    size_t *n, char *next, size_t nextsz,
		    struct acme_problem *prob);

/*
 * Authorization with the challenges a client may use (a wildcard gets
 * dns-01 only, an IP no dns-01: RFC 8555 §7.1.4, RFC 8738 §7).
 */
int		 ra_get_authz(struct ra *ra, const struct acme_account *acct,
		    const char *id, struct acme_authz *out,
		    struct acme_problem *prob);
int		 ra_deactivate_authz(struct ra *ra,
		    const struct acme_account *acct, const char *id,
		    struct acme_authz *out, struct acme_problem *prob);

/*
 * Who to tell when a validation whose answer is held has ended
 * (ra_wait.c): wake(arg, ticket), on a VA worker, once the result is
 * stored.
 */
struct ra_waker {
	void			(*wake)(void *arg, unsigned long long ticket);
	void			*arg;
	unsigned long long	 ticket;
};

/*
 * POST-as-GET (respond = false) or respond `{}` (respond = true, §7.5.1:
 * starts validation once). *chall and *authz are filled, unless *held:
 * with wk, a validation this call queued may be waited for; then *held
 * is true, nothing is filled, and wk's wake is called once the outcome
 * is stored (the caller then reads it with ra_challenge_get). held may
 * be NULL when wk is.
 */
int		 ra_challenge(struct ra *ra, const struct acme_account *acct,
		    const char *id, bool respond, const struct ra_waker *wk,
		    bool *held, struct acme_challenge *chall,
		    struct acme_authz *authz, struct acme_problem *prob);

/*
 * The challenge id as it is now, and its authorization, for a caller
 * that already made ra_challenge's checks (a held answer).
 */
int		 ra_challenge_get(struct ra *ra, const char *id,
		    struct acme_challenge *chall, struct acme_authz *authz,
		    struct acme_problem *prob);

/*
 * Finalize (§7.4): the order must be ready (orderNotReady otherwise, even
 * with a bad CSR), the CSR must name exactly the order's identifiers with
 * an acceptable key that is no account's key (badCSR). Issues in
 * Boulder's crash-safe order (the cycle of ra_issue). On success *out is
 * the order, valid.
 */
int		 ra_finalize(struct ra *ra, const struct acme_account *acct,
		    EVP_PKEY *account_key, const char *order_id,
		    const char *csr_b64, struct acme_order *out,
		    struct acme_problem *prob);

/*
 * Issuance outside ACME orders (`localacme issue`, the server's own
 * certificate), by finalize's crash-safe cycle (HARDENING §4): reserve a
 * fresh serial in the store (written to serial, and req->serial points
 * to it), sign with the CA, record the certificate with its source
 * ("cli", "server") and no account, then return it. A signing failure
 * marks the serial failed; a recording failure leaves it reserved ("may
 * exist"). req's names must have passed the CA's policy.
 *
 * Returns 0 with *leaf a new X509 (caller frees) and *chain the issuer's
 * PEM (borrowed from the CA); -1 with a one-line reason in err.
 */
int		 ra_issue(struct ra *ra, struct ca_leaf_req *req,
		    char serial[ACME_SERIAL_SIZE], const char *source,
		    X509 **leaf, const char **chain, char *err, size_t errsz);

/*
 * Chain `chain` (0 = default, k = alternate hierarchy k: RFC 8555
 * §7.4.2) of one of acct's certificates: the same leaf, then the issuer
 * in that hierarchy, PEM. *alts (may be NULL) gets a bit set for each
 * chain this certificate has (bit 0 always), for the Link headers.
 * Returns a new string (caller frees) or NULL + prob (404 for a chain
 * it does not have). A 404 is the client's deviation (conformance
 * cert-before-valid: no valid order of acct gave that URL), except for
 * a certificate that --delete-revoked hides, whose URL was given.
 */
char		*ra_get_cert_chain(struct ra *ra, const struct acme_account *acct,
		    const char *serial, unsigned chain, unsigned *alts,
		    struct acme_problem *prob);

/*
 * revokeCert (§7.6): acct != NULL for kid requests (issuing account, or
 * one holding valid authorizations for every name), or cert_key != NULL
 * for requests signed by the certificate's own key.
 */
int		 ra_revoke(struct ra *ra, const struct acme_account *acct,
		    EVP_PKEY *cert_key, const unsigned char *der, size_t derlen,
		    int reason, struct acme_problem *prob);

/*
 * The root and the current intermediate certificate, PEM. Return new
 * strings (caller frees) or NULL on allocation failure.
 */
char		*ra_root_pem(struct ra *ra);
char		*ra_intermediate_pem(struct ra *ra);

/* --- the operator, the management API, the CRL publisher (ra_operator.c) --- */

/*
 * Their callers are not ACME clients but the operator's terminal, the
 * management API and the CRL publisher, each with its own words for a
 * failure, so these calls fill no problem and log nothing: on RA_ERR,
 * err holds the store's message for the caller to print or log once.
 * Each takes the RA's lock once; none may be called with it held.
 */
enum ra_result {
	RA_OK = 0,
	RA_NOTFOUND,		/* no such certificate or key */
	RA_CONFLICT,		/* revoked already; the kid exists */
	RA_ERR			/* the database failed (err) */
};

/*
 * `localacme revoke`: the certificate with this serial (lower-case hex,
 * as acme_serial_normalize gives it) becomes revoked with reason (RFC
 * 5280 CRLReason) at `now`. The operator owns the CA: no ownership check.
 * RA_CONFLICT if it is revoked already. on_revoke runs after the lock is
 * let go.
 */
enum ra_result	 ra_revoke_serial(struct ra *ra, const char *serial,
		    int reason, time_t now, char *err, size_t errsz);

/* The management API's certificate status: *out (acme_cert_clear frees). */
enum ra_result	 ra_cert_status(struct ra *ra, const char *serial,
		    struct acme_cert *out, char *err, size_t errsz);

/*
 * `localacme list`: cb for every certificate, newest issued first,
 * without its PEMs; a non-zero return stops the walk (RA_OK). cb runs
 * under the RA's lock and must not call the RA.
 */
enum ra_result	 ra_cert_list(struct ra *ra,
		    int (*cb)(const struct acme_cert *cert, void *arg),
		    void *arg, char *err, size_t errsz);

/*
 * One page of the listing (`localacme list` filters, the status page):
 * newest issued first, keyset-paged by (issued, serial). Zero/NULL
 * fields do not filter. expiring_before: only valid, unrevoked
 * certificates with now <= notAfter < expiring_before.
 */
struct ra_cert_query {
	const char	*source;	/* "acme", "cli", "server"; NULL = all */
	time_t		 expiring_before;
	time_t		 now;		/* also what renewal health is judged at */
	time_t		 before_issued;	/* cursor: strictly older than */
	const char	*before_serial;	/* (before_issued, before_serial); NULL = newest */
	size_t		 limit;		/* 0 = no limit */
};

/*
 * Renewal health of a listed certificate: was a certificate for the very
 * same set of names issued before this one reached its notAfter?
 */
enum ra_renewal {
	RA_RENEWAL_CURRENT,	/* not expired and not replaced yet */
	RA_RENEWAL_RENEWED,	/* replaced before its notAfter */
	RA_RENEWAL_LATE,	/* expired, replaced only afterwards */
	RA_RENEWAL_MISSING,	/* expired with no replacement: flagged */
	RA_RENEWAL_REVOKED	/* revoked: ended on purpose, not judged */
};

struct ra_cert_info {
	char		 profile[ACME_PROFILE_SIZE];	/* its order's; "" */
	time_t		 next_issued;	/* the replacement's issuance, 0 = none */
	enum ra_renewal	 renewal;
};

/* Judge one certificate (pure): next_issued as in ra_cert_info. */
enum ra_renewal	 ra_renewal_of(const struct acme_cert *cert,
		    time_t next_issued, time_t now);

/*
 * cb for each row of q (PEMs not loaded; both structs borrowed for the
 * call); a non-zero return stops the walk (RA_OK). cb runs under the
 * RA's lock and must not call the RA.
 */
enum ra_result	 ra_cert_page(struct ra *ra, const struct ra_cert_query *q,
		    int (*cb)(const struct acme_cert *cert,
		    const struct ra_cert_info *info, void *arg), void *arg,
		    char *err, size_t errsz);

/*
 * The management API's set-renewal-info (RFC 9773): the window
 * renewalInfo answers for the certificate `serial` from now on
 * (explanation_url may be NULL). RA_NOTFOUND if no such certificate.
 */
enum ra_result	 ra_renewal_info_set(struct ra *ra, const char *serial,
		    time_t start, time_t end, const char *explanation_url,
		    char *err, size_t errsz);

/* An external account binding key (RFC 8555 §7.3.4), as `localacme eab` sees it. */
struct ra_eab_key {
	char		 kid[64];
	unsigned char	 key[64];	/* HMAC key; wipe with OPENSSL_cleanse */
	size_t		 keylen;
	bool		 single_use;
	unsigned	 uses;		/* accounts bound with it so far */
	char		 last_account[ACME_ID_SIZE];	/* "" if unused */
	time_t		 created;
};

/* `localacme eab add`: store the key (keylen 1..64); RA_CONFLICT if the kid exists. */
enum ra_result	 ra_eab_add(struct ra *ra, const struct ra_eab_key *k,
		    char *err, size_t errsz);
/*
 * `localacme eab list`: cb for every key, oldest first, with its key
 * bytes zeroed (a listing never shows keys); a non-zero return stops the
 * walk. cb runs under the RA's lock and must not call the RA.
 */
enum ra_result	 ra_eab_list(struct ra *ra,
		    int (*cb)(const struct ra_eab_key *k, void *arg), void *arg,
		    char *err, size_t errsz);
/* `localacme eab remove`: accounts bound with it stay. RA_NOTFOUND. */
enum ra_result	 ra_eab_remove(struct ra *ra, const char *kid, char *err,
		    size_t errsz);

/*
 * A cheap fingerprint of the revocation set, which any process may
 * change (`localacme revoke`): the number of revoked certificates and
 * the latest revocation time. The CRL publisher polls it.
 */
struct ra_revocation_stamp {
	size_t		 count;
	time_t		 latest;
};
enum ra_result	 ra_revocation_stamp(struct ra *ra,
		    struct ra_revocation_stamp *out, char *err, size_t errsz);

/* One revoked certificate for a CRL. */
struct ra_revoked {
	char		 serial[ACME_SERIAL_SIZE];	/* lower-case hex */
	time_t		 revoked_at;
	int		 reason;	/* RFC 5280 §5.3.1; 0 = unspecified */
};

/* What a CRL is built from, read in one hold of the RA's lock. */
struct ra_crl_snapshot {
	struct ra_revoked		*entries;	/* heap, by serial */
	size_t				 n;
	struct ra_revocation_stamp	 stamp;		/* of this revocation set */
	uint64_t			 number;	/* the next CRL number */
};

/*
 * For the CRL publisher: the stamp, every revoked certificate that the
 * intermediate whose chain PEM is issuer_pem issued and that has not
 * expired at `now`, and the next CRL number (RFC 5280 §5.2.3: taken
 * durably, never reused; a later snapshot has a larger number and a
 * revocation set at least as recent). *out is filled on RA_OK and
 * zeroed otherwise; ra_crl_snapshot_clear frees it. On RA_ERR err says
 * which step failed.
 */
enum ra_result	 ra_crl_snapshot(struct ra *ra, const char *issuer_pem,
		    time_t now, struct ra_crl_snapshot *out, char *err,
		    size_t errsz);
void		 ra_crl_snapshot_clear(struct ra_crl_snapshot *s);

#endif /* LOCALACME_RA_H */
