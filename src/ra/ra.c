/* ra.c - the registration authority: its lifecycle, lock and connection, start-up recovery and expiry (ra.h: every ACME state change) */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "store/store.h"
#include "ca.h"
#include "acctcache.h"
#include "certcache.h"
#include "keycache.h"
#include "log.h"
#include "ra.h"
#include "ra_internal.h"

#define DEFAULT_PENDING_S	(7 * 86400)	/* pending authz and order */
#define DEFAULT_VALID_S		(30 * 86400)	/* a valid authorization */

/* ---------- plumbing ---------- */

/*
 * The database: one connection for the whole process, serialized by
 * db_mu, a plain mutex. Every ra_* function takes it once, at its top
 * (st = ra_lock(ra)), and lets go of it once, at its end (ra_unlock);
 * nothing under it takes it again: the VA's results come back on its own
 * workers (ra_va_done), and ra_revoke calls on_revoke after ra_unlock.
 * Only the issuance cycle (ra_issue.c) lets go of it in between, while
 * it signs. Why one connection: in WAL mode a commit on one connection
 * empties the page cache of every other (a changed wal-index header
 * resets the pager), so with a connection per thread nearly every
 * request read its pages back with pread(2): about 160 per issuance
 * (now 5). Writes are serialized anyway and reads on a warm cache take
 * microseconds, so one connection costs no parallelism worth having.
 */
struct store *
ra_relock(struct ra *ra)
{
	pthread_mutex_lock(&ra->db_mu);
	/* One read lock for the request's reads (store_read_begin). */
	(void)store_read_begin(ra->st);
	return ra->st;
}

struct store *
ra_lock(struct ra *ra)
{
	struct store	*st = ra_relock(ra);

	/* BEGIN DEFERRED takes no lock yet: the section starts here. */
	store_section_begin(st);
	return st;
}

/*
 * Let go of the lock, then, if the section read or wrote the file, wait
 * until every durable commit so far is on disk (store_sync: one fdatasync
 * for all the threads waiting), so that no answer leaves before what it
 * reports, or could have read, survives a power loss (HARDENING X03), and
 * no thread holds the lock during an fsync. A section that saw only the
 * pending tier (store_section_read_file) reported nothing a power loss
 * would not take with the process, and answers at once.
 */
void
ra_unlock(struct ra *ra)
{
	bool	 file;

	store_read_end(ra->st);
	file = store_section_read_file(ra->st);
	pthread_mutex_unlock(&ra->db_mu);
	if (file && store_sync(ra->st) != STORE_OK)
		log_err("ra: fdatasync of the database WAL: %s; what was "
		    "just committed may not survive a power loss",
		    strerror(errno));
}

/*
 * Log a failure once and turn it into a generic problem (Z05): a store
 * failure with the store's message (st), anything else (NULL) by name.
 */
int
ra_internal(struct store *st, struct acme_problem *prob, const char *what)
{
	if (st != NULL) {
		log_err("ra: %s: %s", what, store_errmsg(st));
		if (store_err_is_busy(st))
			return acme_problem_setx(prob, ACME_P_SERVERINTERNAL,
			    503, "the server is busy; try again shortly");
		if (store_err_is_full(st))
			return acme_problem_setx(prob, ACME_P_SERVERINTERNAL,
			    503, "the server's storage is full; try again "
			    "later");
	} else
		log_err("ra: %s", what);	/* not the database's failure */
	return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
	    "the server could not complete the request");
}

int
ra_not_found(struct acme_problem *prob, const char *what)
{
	return acme_problem_setx(prob, ACME_P_MALFORMED, 404, "no such %s",
	    what);
}

void
ra_error_from_problem(struct acme_error *e, const struct acme_problem *p)
{
	memset(e, 0, sizeof(*e));
	e->set = true;
	e->type = (int)p->type;
	e->status = p->status;
	snprintf(e->detail, sizeof(e->detail), "%s", p->detail);
}

/* ---------- lifecycle ---------- */

struct ra *
ra_new(const struct ra_opts *opts, struct ca *ca, const struct policy *policy,
    char *err, size_t errsz)
{
	struct ra		*ra;
	char			 serr[256];

	if ((ra = calloc(1, sizeof(*ra))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ra->opts = *opts;
	if (ra->opts.authz_pending_s == 0)
		ra->opts.authz_pending_s = DEFAULT_PENDING_S;
	if (ra->opts.order_pending_s == 0)
		ra->opts.order_pending_s = DEFAULT_PENDING_S;
	if (ra->opts.authz_valid_s == 0)
		ra->opts.authz_valid_s = DEFAULT_VALID_S;
	if (ra->opts.leaf_days == 0)
		ra->opts.leaf_days = 90;
	ra->ca = ca;
	ra->policy = policy;
	if ((ra->db_path = strdup(opts->db_path)) == NULL) {
		snprintf(err, errsz, "out of memory");
		free(ra);
		return NULL;
	}
	ra->opts.db_path = ra->db_path;
	pthread_mutex_init(&ra->db_mu, NULL);
	ra_wait_init(ra);
	/* NULL only costs speed: keycache_get then imports every time. */
	if ((ra->keys = keycache_new(0)) == NULL)
		log_warn("ra: no memory for the account key cache");
	if ((ra->accts = acctcache_new(0)) == NULL)
		log_warn("ra: no memory for the account cache");
	if ((ra->certs = certcache_new(0)) == NULL)
		log_warn("ra: no memory for the certificate cache");
	/* Open (and migrate) the database now, so start-up fails early. */
	ra->st = opts->read_only ? store_open_readonly(ra->db_path, serr,
	    sizeof(serr)) : store_open(ra->db_path, serr, sizeof(serr));
	if (ra->st == NULL) {
		/* serr names the file already */
		snprintf(err, errsz, "cannot open the database: %s", serr);
		ra_free(ra);
		return NULL;
	}
	/* An in-memory database (tests) has nothing to fsync. */
	if (!opts->read_only && store_set_group_commit(ra->st) != STORE_OK)
		log_debug("ra: no group commit: %s", store_errmsg(ra->st));
	return ra;
}

void
ra_free(struct ra *ra)
{
	if (ra == NULL)
		return;
	store_close(ra->st);
	pthread_mutex_destroy(&ra->db_mu);
	ra_wait_fini(ra);
	keycache_free(ra->keys);
	acctcache_free(ra->accts);
	certcache_free(ra->certs);
	free(ra->db_path);
	free(ra);
}

struct store *
ra_store_borrow(struct ra *ra)
{
	return ra->st;
}

void
ra_set_va(struct ra *ra, struct va *va)
{
	ra->va = va;
}

int
ra_recover(struct ra *ra, size_t *n)
{
	struct store		*st;
	struct acme_error	 e = { 0 };
	int			 ret = -1;

	st = ra_lock(ra);
	e.set = true;
	e.type = ACME_P_SERVERINTERNAL;
	e.status = 500;
	snprintf(e.detail, sizeof(e.detail), "the server stopped while "
	    "issuing this order; create a new order");
	if (ra_state_recover(st, time(NULL), &e, n) != STORE_OK) {
		log_err("ra: recovery: %s", store_errmsg(st));
		goto out;
	}
	ret = 0;
out:
	ra_unlock(ra);
	return ret;
}

int
ra_expire(struct ra *ra, time_t now)
{
	struct store	*st;
	size_t		 na = 0, no = 0;
	int		 ret = -1;

	st = ra_lock(ra);
	if (ra_state_expire(st, now, &na, &no) != STORE_OK) {
		log_warn("ra: expiry sweep: %s", store_errmsg(st));
		goto out;
	}
	if (na + no > 0)
		log_debug("ra: expired %zu authorizations, %zu orders", na, no);
	ret = 0;
out:
	ra_unlock(ra);
	return ret;
}

char *
ra_root_pem(struct ra *ra)
{
	return strdup(ca_root_pem(ra->ca));
}

char *
ra_intermediate_pem(struct ra *ra)
{
	return strdup(ca_chain_pem(ra->ca));
}
