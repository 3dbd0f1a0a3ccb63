/* ra_operator.c - what the operator, the management API and the CRL publisher ask of the store, through the RA */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "acme/acme.h"
#include "store/store.h"
#include "ra.h"
#include "ra_internal.h"

#define CRL_NUMBER_KEY	"crl_number"	/* the meta counter of CRL numbers */

/*
 * The store's answer as these calls report it. On a failure the store's
 * message is copied into err while the lock is still held (the next call
 * on the connection replaces it).
 */
static enum ra_result
result(struct store *st, enum store_status rc, const char *what, char *err,
    size_t errsz)
{
	if (errsz > 0)
		err[0] = '\0';
	switch (rc) {
	case STORE_OK:
		return RA_OK;
	case STORE_NOTFOUND:
		return RA_NOTFOUND;
	case STORE_CONFLICT:
		return RA_CONFLICT;
	default:
		snprintf(err, errsz, "%s%s%s", what != NULL ? what : "",
		    what != NULL ? ": " : "", store_errmsg(st));
		return RA_ERR;
	}
}

enum ra_result
ra_revoke_serial(struct ra *ra, const char *serial, int reason, time_t now,
    char *err, size_t errsz)
{
	struct store	*st;
	enum ra_result	 r;

	st = ra_lock(ra);
	r = result(st, store_cert_revoke(st, serial, reason, now), NULL, err,
	    errsz);
	ra_unlock(ra);
	/* After the unlock: the revocation is durable before a CRL lists it. */
	if (r == RA_OK && ra->opts.on_revoke != NULL)
		ra->opts.on_revoke(ra->opts.on_revoke_arg);
	return r;
}

enum ra_result
ra_cert_status(struct ra *ra, const char *serial, struct acme_cert *out,
    char *err, size_t errsz)
{
	struct store	*st;
	enum ra_result	 r;

	st = ra_lock(ra);
	r = result(st, store_cert_get(st, serial, out), NULL, err, errsz);
	ra_unlock(ra);
	return r;
}

enum ra_result
ra_cert_list(struct ra *ra, int (*cb)(const struct acme_cert *cert, void *arg),
    void *arg, char *err, size_t errsz)
{
	struct store	*st;
	enum ra_result	 r;

	st = ra_lock(ra);
	r = result(st, store_cert_list(st, false, cb, arg), NULL, err, errsz);
	ra_unlock(ra);
	return r;
}

enum ra_renewal
ra_renewal_of(const struct acme_cert *cert, time_t next_issued, time_t now)
{
	if (cert->status == ACME_CERT_REVOKED)
		return RA_RENEWAL_REVOKED;
	if (next_issued != 0 && next_issued <= cert->not_after)
		return RA_RENEWAL_RENEWED;
	if (cert->not_after >= now)
		return RA_RENEWAL_CURRENT;
	return next_issued != 0 ? RA_RENEWAL_LATE : RA_RENEWAL_MISSING;
}

struct page_walk {
	int		(*cb)(const struct acme_cert *,
			    const struct ra_cert_info *, void *);
	void		*arg;
	time_t		 now;
};

static int
page_row(const struct acme_cert *cert, const struct store_cert_info *si,
    void *arg)
{
	struct page_walk	*w = arg;
	struct ra_cert_info	 info;

	memset(&info, 0, sizeof(info));
	snprintf(info.profile, sizeof(info.profile), "%s", si->profile);
	info.next_issued = si->next_issued;
	info.renewal = ra_renewal_of(cert, si->next_issued, w->now);
	return w->cb(cert, &info, w->arg);
}

enum ra_result
ra_cert_page(struct ra *ra, const struct ra_cert_query *q,
    int (*cb)(const struct acme_cert *cert, const struct ra_cert_info *info,
    void *arg), void *arg, char *err, size_t errsz)
{
	struct store		*st;
	struct store_cert_query	 sq;
	struct page_walk	 w;
	enum ra_result		 r;

	memset(&sq, 0, sizeof(sq));
	sq.source = q->source;
	sq.expiring_before = q->expiring_before;
	sq.now = q->now;
	sq.before_issued = q->before_issued;
	sq.before_serial = q->before_serial;
	sq.limit = q->limit;
	w.cb = cb;
	w.arg = arg;
	w.now = q->now;
	st = ra_lock(ra);
	r = result(st, store_cert_page(st, &sq, page_row, &w), NULL, err,
	    errsz);
	ra_unlock(ra);
	return r;
}

enum ra_result
ra_renewal_info_set(struct ra *ra, const char *serial, time_t start,
    time_t end, const char *explanation_url, char *err, size_t errsz)
{
	struct store	*st;
	enum ra_result	 r;

	st = ra_lock(ra);
	r = result(st, store_renewal_info_set(st, serial, start, end,
	    explanation_url), NULL, err, errsz);
	ra_unlock(ra);
	return r;
}

/* ---------- EAB keys ---------- */

enum ra_result
ra_eab_add(struct ra *ra, const struct ra_eab_key *k, char *err, size_t errsz)
{
	struct store_eab	 sk;
	struct store		*st;
	enum ra_result		 r;

	if (k->keylen == 0 || k->keylen > sizeof(sk.key)) {
		snprintf(err, errsz, "an EAB key has 1 to %zu bytes",
		    sizeof(sk.key));
		return RA_ERR;
	}
	memset(&sk, 0, sizeof(sk));
	snprintf(sk.kid, sizeof(sk.kid), "%s", k->kid);
	memcpy(sk.key, k->key, k->keylen);
	sk.keylen = k->keylen;
	sk.single_use = k->single_use;
	sk.created = k->created;
	st = ra_lock(ra);
	r = result(st, store_eab_create(st, &sk), NULL, err, errsz);
	ra_unlock(ra);
	OPENSSL_cleanse(&sk, sizeof(sk));
	return r;
}

struct eab_walk {
	int	(*cb)(const struct ra_eab_key *k, void *arg);
	void	*arg;
};

static int
eab_one(const struct store_eab *sk, void *arg)
{
	struct eab_walk		*w = arg;
	struct ra_eab_key	 k;

	memset(&k, 0, sizeof(k));	/* no key bytes: the store zeroed them */
	snprintf(k.kid, sizeof(k.kid), "%s", sk->kid);
	k.single_use = sk->single_use;
	k.uses = sk->uses;
	snprintf(k.last_account, sizeof(k.last_account), "%s",
	    sk->last_account);
	k.created = sk->created;
	return w->cb(&k, w->arg);
}

enum ra_result
ra_eab_list(struct ra *ra, int (*cb)(const struct ra_eab_key *k, void *arg),
    void *arg, char *err, size_t errsz)
{
	struct eab_walk	 w = { cb, arg };
	struct store	*st;
	enum ra_result	 r;

	st = ra_lock(ra);
	r = result(st, store_eab_list(st, eab_one, &w), NULL, err, errsz);
	ra_unlock(ra);
	return r;
}

enum ra_result
ra_eab_remove(struct ra *ra, const char *kid, char *err, size_t errsz)
{
	struct store	*st;
	enum ra_result	 r;

	st = ra_lock(ra);
	r = result(st, store_eab_remove(st, kid), NULL, err, errsz);
	ra_unlock(ra);
	return r;
}

/* ---------- the CRL publisher ---------- */

enum ra_result
ra_revocation_stamp(struct ra *ra, struct ra_revocation_stamp *out,
    char *err, size_t errsz)
{
	struct store	*st;
	enum ra_result	 r;

	st = ra_lock(ra);
	r = result(st, store_revocation_stamp(st, &out->count, &out->latest),
	    NULL, err, errsz);
	ra_unlock(ra);
	if (r != RA_OK && r != RA_ERR) {	/* count(*) always has a row */
		snprintf(err, errsz, "unexpected answer of the store");
		r = RA_ERR;
	}
	return r;
}

struct collect {
	struct ra_crl_snapshot	*s;
	size_t			 cap;
	const char		*issuer_pem;
	time_t			 now;
	bool			 oom;
};

static int
collect_one(const struct acme_cert *c, void *arg)
{
	struct collect		*cl = arg;
	struct ra_crl_snapshot	*s = cl->s;
	struct ra_revoked	*ne;

	/* Only what this intermediate issued, and not yet expired. */
	if (c->chain_pem == NULL || strcmp(c->chain_pem, cl->issuer_pem) != 0 ||
	    c->not_after < cl->now)
		return 0;
	if (s->n == cl->cap) {
		size_t cap = cl->cap == 0 ? 64 : cl->cap * 2;

		if ((ne = realloc(s->entries, cap * sizeof(*ne))) == NULL) {
			cl->oom = true;
			return 1;
		}
		s->entries = ne;
		cl->cap = cap;
	}
	memset(&s->entries[s->n], 0, sizeof(s->entries[s->n]));
	snprintf(s->entries[s->n].serial, sizeof(s->entries[s->n].serial),
	    "%s", c->serial);
	s->entries[s->n].revoked_at = c->revoked_at;
	s->entries[s->n].reason = c->revocation_reason;
	s->n++;
	return 0;
}

enum ra_result
ra_crl_snapshot(struct ra *ra, const char *issuer_pem, time_t now,
    struct ra_crl_snapshot *out, char *err, size_t errsz)
{
	struct collect	 cl;
	struct store	*st;
	enum ra_result	 r;

	memset(out, 0, sizeof(*out));
	memset(&cl, 0, sizeof(cl));
	cl.s = out;
	cl.issuer_pem = issuer_pem;
	cl.now = now;
	st = ra_lock(ra);
	/* The stamp, the set, then the number: as the CRL was always built. */
	if ((r = result(st, store_revocation_stamp(st, &out->stamp.count,
	    &out->stamp.latest), "reading revocations", err, errsz)) !=
	    RA_OK || (r = result(st, store_cert_list_revoked(st, collect_one,
	    &cl), "reading revocations", err, errsz)) != RA_OK)
		goto out;
	if (cl.oom) {
		snprintf(err, errsz, "out of memory");
		r = RA_ERR;
		goto out;
	}
	r = result(st, store_counter_next(st, CRL_NUMBER_KEY, &out->number),
	    "CRL number", err, errsz);
out:
	ra_unlock(ra);
	if (r != RA_OK) {
		if (r != RA_ERR) {	/* no row where one must be */
			snprintf(err, errsz, "reading revocations: unexpected "
			    "answer of the store");
			r = RA_ERR;
		}
		ra_crl_snapshot_clear(out);
	}
	return r;
}

void
ra_crl_snapshot_clear(struct ra_crl_snapshot *s)
{
	if (s == NULL)
		return;
	free(s->entries);
	memset(s, 0, sizeof(*s));
}
