/* ra_internal.h - what the RA's own files share: the RA's state, its lock, its error mapping, the issuance cycle (not for other parts) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_RA_INTERNAL_H
#define LOCALACME_RA_INTERNAL_H

#include <pthread.h>

#include "acme/problem.h"
#include "ra.h"
#include "store/store.h"	/* enum store_status (ra_state.c) */

struct ca_leaf_req;
struct keycache;
struct store;

/* Challenge POSTs held for their validation at once (ra_wait.c). */
#define RA_WAITERS	64

struct ra_waiter {
	bool		 used;
	char		 id[ACME_ID_SIZE];	/* the challenge */
	struct ra_waker	 wk;
};

struct ra {
	struct ra_opts		 opts;
	char			*db_path;
	struct ca		*ca;
	const struct policy	*policy;
	struct va		*va;
	struct store		*st;		/* the one connection; db_mu */
	pthread_mutex_t		 db_mu;		/* plain: never taken twice */
	struct keycache		*keys;		/* imported account keys */
	struct acctcache	*accts;		/* accounts read (acctcache.h) */
	struct certcache	*certs;		/* last issued (certcache.h) */
	pthread_mutex_t		 wait_mu;	/* guards waiting[]; after db_mu */
	struct ra_waiter	 waiting[RA_WAITERS];
};

/*
 * Take the RA's lock and return its store connection; every store call
 * of the RA happens between ra_lock and ra_unlock. ra_unlock lets go of
 * the lock, then, if the section read or wrote the file, waits until
 * every durable commit so far is on disk (store_sync), so no answer
 * leaves before what it reports is durable. ra_relock takes the lock
 * again within one section (the issuance cycle, after signing): what
 * the section read before still counts at its ra_unlock.
 */
struct store	*ra_lock(struct ra *ra);
struct store	*ra_relock(struct ra *ra);
void		 ra_unlock(struct ra *ra);

/*
 * Held answers (ra_wait.c). ra_wait_add takes a slot for chall_id and
 * its waker (false: every slot is taken); the caller must take it while
 * it still holds db_mu from queueing the validation, so the result
 * cannot be stored unseen. ra_wait_done (the VA's callback, after
 * storing the result, outside db_mu) frees the slots of chall_id and
 * calls their wakers.
 */
void		 ra_wait_init(struct ra *ra);
void		 ra_wait_fini(struct ra *ra);
bool		 ra_wait_add(struct ra *ra, const char *chall_id,
		    const struct ra_waker *wk);
void		 ra_wait_done(struct ra *ra, const char *chall_id);

/*
 * Log a failure once and turn it into a generic problem (HARDENING Z05):
 * a store failure with the store's message (st), anything else (NULL) by
 * name; busy and full stores answer 503. Returns -1.
 */
int		 ra_internal(struct store *st, struct acme_problem *prob,
		    const char *what);

/* A 404 malformed "no such WHAT" (HARDENING Z01). Returns -1. */
int		 ra_not_found(struct acme_problem *prob, const char *what);

/*
 * Load order id of account acct into *out (an order of another account is
 * a 404, as if missing: HARDENING Z01), sweeping it first if it expired.
 * The caller holds the RA's lock (st from ra_lock). Returns 0 or -1 with
 * *prob set.
 */
int		 ra_own_order(struct ra *ra, struct store *st,
		    const struct acme_account *acct, const char *id,
		    struct acme_order *out, struct acme_problem *prob);

/* The stored form of a problem (an order's or a challenge's error). */
void		 ra_error_from_problem(struct acme_error *e,
		    const struct acme_problem *p);

/*
 * Status changes (ra_state.c; docs/ARCHITECTURE.md §7.5). The RA decides,
 * the store executes: each function checks its edges against acme/
 * object.c's transition table (a refused edge is logged as an internal
 * error and answered STORE_ERR) and runs the store's typed
 * compare-and-set. The caller holds the RA's lock (st from ra_lock).
 * Results are the store's: STORE_CONFLICT when the object is no longer in
 * `from`, STORE_NOTFOUND when it is absent.
 */
enum store_status ra_state_account(struct store *st, const char *id,
		    enum acme_account_status from, enum acme_account_status to);
enum store_status ra_state_order(struct store *st, const char *id,
		    enum acme_order_status from, enum acme_order_status to);
/*
 * The authorization from -> to and its orders after it (§7.1.6), in one
 * durable transaction (a savepoint in the caller's).
 */
enum store_status ra_state_authz(struct store *st, const char *id,
		    enum acme_authz_status from, enum acme_authz_status to);
/*
 * A validation result, in one relaxed transaction (a savepoint in the
 * caller's): the challenge processing -> valid|invalid (with err when
 * invalid, `validated` when valid); its authorization pending ->
 * valid|invalid, unless it left pending meanwhile (deactivated, expired:
 * then only the challenge is recorded); each order of that authorization
 * the edge the table gives. STORE_CONFLICT when the challenge is not
 * processing.
 */
enum store_status ra_state_validated(struct store *st, const char *chall_id,
		    bool valid, const struct acme_error *err, time_t validated);
/* The expiry sweep's edges (ACME_EDGE_EXPIRY), one durable transaction. */
enum store_status ra_state_expire(struct store *st, time_t now,
		    size_t *nauthz, size_t *norder);
/* Start-up recovery's edges (ACME_EDGE_RECOVERY, HARDENING I5). */
enum store_status ra_state_recover(struct store *st, time_t now,
		    const struct acme_error *err, size_t *norder);
/*
 * The claim and the issuance steps, each one named edge checked in the
 * table, then the store's compare-and-set of that edge (store.h says what
 * each does): challenge pending -> processing (store_challenge_begin);
 * order ready -> processing with the serial reserved
 * (store_order_begin_processing), processing -> valid with the
 * certificate (store_order_finish), processing -> invalid
 * (store_order_fail).
 */
enum store_status ra_state_claim(struct store *st, const char *chall_id);
enum store_status ra_state_begin_processing(struct store *st,
		    const char *order_id, const char *serial, const char *key_tp,
		    bool *serial_conflict, bool *key_is_account);
enum store_status ra_state_finish(struct store *st, const char *order_id,
		    const struct acme_cert *cert);
enum store_status ra_state_fail(struct store *st, const char *order_id,
		    const struct acme_error *err, bool cert_may_exist);

/*
 * One issuance (docs/ARCHITECTURE.md §7.7, HARDENING §4): what to sign,
 * for whom, and what came of it. The caller fills the inputs and zeroes
 * the rest; ra_issue_cycle_clear frees what the cycle left in it.
 */
struct ra_issue_cycle {
	const char		*kind;		/* fault points <kind>.p1/.p3/.p4 */
	const char		*order_id;	/* NULL: issuance outside orders */
	const char		*source;	/* the record's: "acme", "cli", ... */
	struct ca_leaf_req	*req;		/* req->serial is set to serial */
	char			*serial;	/* ACME_SERIAL_SIZE bytes, out */
	struct acme_problem	*prob;		/* orders: the answer on failure */
	/*
	 * Orders: the CSR key's JWK thumbprint (NULL or "": none). A key
	 * that is an account's is refused (RFC 8555 §11.1, badCSR) by the
	 * reservation, in its transaction.
	 */
	const char		*csr_key_tp;
	char			*err;		/* outside orders: the reason */
	size_t			 errsz;
	X509			*leaf;		/* out: the certificate */
	const char		*chain;		/* out: the issuer PEM (borrowed) */
	struct acme_cert	 rec;		/* out: the store record */
};

/*
 * Run the cycle: reserve a serial (with an order: the order ready ->
 * processing in the same transaction), sign with the CA, record the
 * certificate (with an order: the order -> valid). Called with the RA's
 * lock held (st from ra_lock) and returns with it held; it lets go of
 * the lock while it signs. Returns 0, or -1 with *c->prob (orders) or
 * c->err (outside orders) saying why; a signing failure marks the serial
 * failed (and the order invalid), a recording failure leaves it reserved.
 */
int		 ra_issue_cycle(struct ra *ra, struct store *st,
		    struct ra_issue_cycle *c);
void		 ra_issue_cycle_clear(struct ra_issue_cycle *c);

/*
 * Fill *out (zeroed or cleared) with the store record of a signed leaf:
 * serial, names (comma-joined ids), leaf PEM, chain PEM, SPKI SHA-256
 * thumbprint, validity, issue time, status valid and source ("acme",
 * "cli", "server"). account_id and order_id are left empty. Returns 0, or
 * -1 on allocation failure (*out then holds what was filled; clear it
 * with acme_cert_clear).
 */
int		 ra_cert_record(X509 *leaf, const char *chain_pem,
		    const struct acme_identifier *ids, size_t n,
		    const char *source, struct acme_cert *out);

#endif /* LOCALACME_RA_INTERNAL_H */
