/* ra_internal.h - what the RA's own files share: the RA's state, its lock, its error mapping, the issuance cycle (not for other parts) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_RA_INTERNAL_H
#define LOCALACME_RA_INTERNAL_H

#include <pthread.h>

#include "acme/problem.h"
#include "ra.h"

struct ca_leaf_req;
struct keycache;
struct store;

struct ra {
	struct ra_opts		 opts;
	char			*db_path;
	struct ca		*ca;
	const struct policy	*policy;
	struct va		*va;
	struct store		*st;		/* the one connection; db_mu */
	pthread_mutex_t		 db_mu;		/* plain: never taken twice */
	struct keycache		*keys;		/* imported account keys */
};

/*
 * Take the RA's lock and return its store connection; every store call
 * of the RA happens between ra_lock and ra_unlock. ra_unlock lets go of
 * the lock, then waits until every durable commit so far is on disk
 * (store_sync), so no answer leaves before what it reports is durable.
 */
struct store	*ra_lock(struct ra *ra);
void		 ra_unlock(struct ra *ra);

/*
 * Log a failure once and turn it into a generic problem (HARDENING Z05):
 * a store failure with the store's message (st), anything else (NULL) by
 * name; busy and full stores answer 503. Returns -1.
 */
int		 ra_internal(struct store *st, struct acme_problem *prob,
		    const char *what);

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
