/* ra_state.c - every ACME status change: the transition table checked, the store's compare-and-set run, the orders after their authorization */
/* SPDX-License-Identifier: MIT */

/*
 * The RA decides, the store executes (docs/ARCHITECTURE.md §7.5): each
 * function here checks the edges it takes against acme/object.c's
 * transition table (RFC 8555 §7.1.6, plus the server's named recovery and
 * expiry edges) and calls a typed compare-and-set of the store, which
 * writes the statuses it is given and chooses none. A refused edge is a
 * bug of the caller: it is logged and answered as an internal error
 * (STORE_ERR), and nothing is written.
 */

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "acme/acme.h"
#include "store/store.h"
#include "log.h"
#include "ra_internal.h"

/* Close the transaction this file opened: commit on STORE_OK, else undo. */
static enum store_status
txn_end(struct store *st, enum store_status rc)
{
	if (rc == STORE_OK)
		return store_commit(st);
	(void)store_rollback(st);
	return rc;
}

static enum store_status
refused(const char *what, const char *id, const char *from, const char *to)
{
	log_err("ra: refused %s transition %s -> %s (%s): not in the "
	    "transition table", what, from, to, id);
	return STORE_ERR;
}

enum store_status
ra_state_account(struct store *st, const char *id,
    enum acme_account_status from, enum acme_account_status to)
{
	if (!acme_account_transition_ok(from, to))
		return refused("account", id, acme_account_status_str(from),
		    acme_account_status_str(to));
	return store_account_set_status(st, id, from, to);
}

enum store_status
ra_state_order(struct store *st, const char *id, enum acme_order_status from,
    enum acme_order_status to)
{
	if (!acme_order_transition_ok(from, to))
		return refused("order", id, acme_order_status_str(from),
		    acme_order_status_str(to));
	return store_order_set_status(st, id, from, to);
}

/*
 * RFC 8555 §7.1.6: the edge an order takes when one of its authorizations
 * became `az`: pending -> ready once every authorization is valid;
 * pending or ready -> invalid when one became unusable ("Authorization
 * failure"). An order being finalized (processing) or final keeps its
 * status, and so does a pending order still waiting for other
 * authorizations. false: no edge.
 */
static bool
order_follows(const struct store_authz_order *o, enum acme_authz_status az,
    enum acme_order_status *to)
{
	if (az == ACME_AUTHZ_VALID) {
		*to = ACME_ORDER_READY;
		return o->status == ACME_ORDER_PENDING && o->all_authzs_valid;
	}
	if (az == ACME_AUTHZ_PENDING)
		return false;
	*to = ACME_ORDER_INVALID;
	return o->status == ACME_ORDER_PENDING || o->status == ACME_ORDER_READY;
}

/*
 * In the caller's transaction: the authorization from -> to, then each of
 * its orders the edge order_follows gives. *lost (may be NULL) is set
 * when the authorization's compare-and-set lost (it was not in `from`);
 * then its orders are left alone.
 */
static enum store_status
authz_and_orders(struct store *st, const char *id,
    enum acme_authz_status from, enum acme_authz_status to, bool *lost)
{
	struct store_authz_order	*o = NULL;
	enum acme_order_status		 next = ACME_ORDER_PENDING;
	enum store_status		 rc;
	size_t				 i, n = 0;

	if (lost != NULL)
		*lost = false;
	if (!acme_authz_transition_ok(from, to))
		return refused("authorization", id,
		    acme_authz_status_str(from), acme_authz_status_str(to));
	if ((rc = store_authz_set_status(st, id, from, to)) != STORE_OK) {
		if (rc == STORE_CONFLICT && lost != NULL)
			*lost = true;
		return rc;
	}
	if ((rc = store_orders_of_authz(st, id, &o, &n)) != STORE_OK)
		return rc;
	for (i = 0; i < n && rc == STORE_OK; i++)
		if (order_follows(&o[i], to, &next))
			rc = ra_state_order(st, o[i].id, o[i].status, next);
	free(o);
	return rc;
}

enum store_status
ra_state_authz(struct store *st, const char *id, enum acme_authz_status from,
    enum acme_authz_status to)
{
	enum store_status	 rc;

	if (!acme_authz_transition_ok(from, to))
		return refused("authorization", id,
		    acme_authz_status_str(from), acme_authz_status_str(to));
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = authz_and_orders(st, id, from, to, NULL);
	return txn_end(st, rc);
}

enum store_status
ra_state_validated(struct store *st, const char *chall_id, bool valid,
    const struct acme_error *err, time_t validated)
{
	enum acme_chall_status	 cto;
	enum acme_authz_status	 ato;
	enum store_status	 rc;
	char			 authz_id[ACME_ID_SIZE];
	bool			 lost;

	cto = valid ? ACME_CHALL_VALID : ACME_CHALL_INVALID;
	ato = valid ? ACME_AUTHZ_VALID : ACME_AUTHZ_INVALID;
	if (!acme_chall_transition_ok(ACME_CHALL_PROCESSING, cto))
		return refused("challenge", chall_id,
		    acme_chall_status_str(ACME_CHALL_PROCESSING),
		    acme_chall_status_str(cto));
	/*
	 * A client repeats its poll after a restart: the challenge, its
	 * authorization and its orders are pending objects, in memory
	 * (store_begin_pending; docs/ARCHITECTURE.md §4.7).
	 */
	if ((rc = store_begin_pending(st)) != STORE_OK)
		return rc;
	rc = store_challenge_set_status(st, chall_id, ACME_CHALL_PROCESSING,
	    cto, valid ? NULL : err, valid ? validated : 0, authz_id);
	/* §7.1.6: the authz follows its challenge, if still pending. */
	if (rc == STORE_OK) {
		rc = authz_and_orders(st, authz_id, ACME_AUTHZ_PENDING, ato,
		    &lost);
		if (rc == STORE_CONFLICT && lost)
			rc = STORE_OK;	/* deactivated or expired meanwhile */
	}
	return txn_end(st, rc);
}

enum store_status
ra_state_expire(struct store *st, time_t now, size_t *nauthz, size_t *norder)
{
	static const struct store_expiry e = {
		.authz_from = { ACME_AUTHZ_PENDING, ACME_AUTHZ_VALID },
		.authz_to = ACME_AUTHZ_EXPIRED,
		.order_from = { ACME_ORDER_PENDING, ACME_ORDER_READY },
		.order_to = ACME_ORDER_INVALID,
	};
	size_t	 i;

	for (i = 0; i < 2; i++) {
		if (!acme_authz_edge(e.authz_from[i], e.authz_to,
		    ACME_EDGE_EXPIRY))
			return refused("authorization expiry", "sweep",
			    acme_authz_status_str(e.authz_from[i]),
			    acme_authz_status_str(e.authz_to));
		if (!acme_order_edge(e.order_from[i], e.order_to,
		    ACME_EDGE_EXPIRY))
			return refused("order expiry", "sweep",
			    acme_order_status_str(e.order_from[i]),
			    acme_order_status_str(e.order_to));
	}
	return store_expire(st, now, &e, nauthz, norder);
}

enum store_status
ra_state_recover(struct store *st, time_t now, const struct acme_error *err,
    size_t *norder)
{
	static const struct store_recovery r = {
		.order_from = ACME_ORDER_PROCESSING,
		.order_to = ACME_ORDER_INVALID,
		.chall_from = ACME_CHALL_PROCESSING,
		.chall_to = ACME_CHALL_PENDING,
	};

	if (!acme_order_edge(r.order_from, r.order_to, ACME_EDGE_RECOVERY))
		return refused("order recovery", "start-up",
		    acme_order_status_str(r.order_from),
		    acme_order_status_str(r.order_to));
	if (!acme_chall_edge(r.chall_from, r.chall_to, ACME_EDGE_RECOVERY))
		return refused("challenge recovery", "start-up",
		    acme_chall_status_str(r.chall_from),
		    acme_chall_status_str(r.chall_to));
	return store_recover_processing(st, now, &r, err, norder);
}

/*
 * The named edges of the claim and of issuance. Each store call below is
 * one fixed edge (its name says which); the RA checks that edge in the
 * table before the store runs it as a compare-and-set, so the table
 * governs issuance as it governs validation: an edge taken out of
 * acme/object.c stops finalize here, logged, with nothing written.
 */
enum store_status
ra_state_claim(struct store *st, const char *chall_id)
{
	if (!acme_chall_transition_ok(ACME_CHALL_PENDING,
	    ACME_CHALL_PROCESSING))
		return refused("challenge", chall_id, "pending", "processing");
	return store_challenge_begin(st, chall_id);
}

enum store_status
ra_state_begin_processing(struct store *st, const char *order_id,
    const char *serial, const char *key_tp, bool *serial_conflict,
    bool *key_is_account)
{
	if (!acme_order_transition_ok(ACME_ORDER_READY, ACME_ORDER_PROCESSING))
		return refused("order", order_id, "ready", "processing");
	return store_order_begin_processing_key(st, order_id, serial, key_tp,
	    serial_conflict, key_is_account);
}

enum store_status
ra_state_finish(struct store *st, const char *order_id,
    const struct acme_cert *cert)
{
	if (!acme_order_transition_ok(ACME_ORDER_PROCESSING, ACME_ORDER_VALID))
		return refused("order", order_id, "processing", "valid");
	return store_order_finish(st, order_id, cert);
}

enum store_status
ra_state_fail(struct store *st, const char *order_id,
    const struct acme_error *err, bool cert_may_exist)
{
	if (!acme_order_transition_ok(ACME_ORDER_PROCESSING,
	    ACME_ORDER_INVALID))
		return refused("order", order_id, "processing", "invalid");
	return store_order_fail(st, order_id, err, cert_may_exist);
}
