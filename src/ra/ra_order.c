/* ra_order.c - orders, authorizations and challenges: creation, reads, deactivation, validation results (RFC 8555 §7.4, §7.5) */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/challenge.h"
#include "acme/ident.h"
#include "acme/problem.h"
#include "store/store.h"
#include "ca.h"
#include "knobs.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "profile.h"
#include "ra.h"
#include "acctcache.h"
#include "ra_internal.h"
#include "va.h"

/*
 * RFC 9773 §5: "replaces" names a certificate of this account sharing an
 * identifier with the order, not replaced by a finalized order yet.
 */
static int
check_replaces(struct store *st, const struct acme_account *acct,
    const struct acme_req_new_order *req, struct acme_problem *prob)
{
	struct acme_ari_certid	 id;
	struct acme_cert	 c = { 0 };
	char			 serial[ACME_SERIAL_SIZE];
	char			 own[ACME_ARI_CERTID_SIZE];
	enum store_status	 rc;
	X509			*x = NULL;
	BIO			*b = NULL;
	bool			 shared = false, replaced;
	int			 ret = -1;

	if (acme_ari_certid_parse(req->replaces, &id, prob) == -1)
		return -1;
	if (acme_ari_certid_serial_hex(&id, serial) == -1)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "replaces is not a certID of this server");
	rc = store_cert_get(st, serial, &c);
	if (rc == STORE_OK && ((b = BIO_new_mem_buf(c.pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    acme_ari_certid_of_x509(x, own, sizeof(own)) == -1 ||
	    strcmp(own, req->replaces) != 0))
		rc = STORE_NOTFOUND;	/* the AKI part is not our issuer's */
	if (rc == STORE_NOTFOUND) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "replaces names no certificate of this server");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "replaces lookup");
		goto out;
	}
	if (strcmp(c.account_id, acct->id) != 0) {
		acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "the certificate in replaces was issued to another "
		    "account");
		goto out;
	}
	for (size_t i = 0; i < req->nids && !shared; i++) {
		const char	*p = c.names != NULL ? c.names : "";
		size_t		 n = strlen(req->ids[i].value);

		while (*p != '\0' && !shared) {
			size_t len = strcspn(p, ",");

			shared = len == n && strncmp(p, req->ids[i].value,
			    n) == 0;
			p += len;
			if (*p == ',')
				p++;
		}
	}
	if (!shared) {
		acme_problem_set(prob, ACME_P_MALFORMED, "the order shares no "
		    "identifier with the certificate it replaces");
		goto out;
	}
	if (store_order_replaced(st, req->replaces, NULL, &replaced) !=
	    STORE_OK) {
		ra_internal(st, prob, "replaces check");
		goto out;
	}
	if (replaced) {
		acme_problem_set(prob, ACME_P_ALREADYREPLACED,
		    "this certificate was already replaced by a finalized "
		    "order");
		goto out;
	}
	ret = 0;
out:
	X509_free(x);
	BIO_free(b);
	acme_cert_clear(&c);
	return ret;
}

/* The --authz-reuse knob: reuse the account's valid authz, by chance. */
static bool
reuse_authz(struct store *st, const struct acme_account *acct,
    const struct acme_identifier *ident, bool wildcard, time_t now,
    struct acme_authz *out)
{
	struct acme_identifier	 base = *ident;
	struct acme_authz	 a = { 0 };

	if (!knobs_reuse_authz())
		return false;
	if (wildcard)
		snprintf(base.value, sizeof(base.value), "%s",
		    ident->value + 2);
	if (store_authz_find_valid(st, acct->id, &base, wildcard, now,
	    &a) != STORE_OK)
		return false;
	*out = a;
	log_debug("ra: reusing authorization %s (--authz-reuse)", a.id);
	return true;
}

/* ---------- orders ---------- */

/* The challenge types offered for an identifier (§7.1.4, RFC 8738 §7). */
static size_t
challenge_types(const struct acme_identifier *id, bool wildcard,
    enum acme_chall_type out[ACME_CHALL__MAX])
{
	size_t n = 0;

	if (wildcard) {
		out[n++] = ACME_CHALL_DNS01;
		return n;
	}
	out[n++] = ACME_CHALL_HTTP01;
	if (id->type == ACME_IDENT_DNS)
		out[n++] = ACME_CHALL_DNS01;
	out[n++] = ACME_CHALL_TLSALPN01;
	return n;
}

/*
 * RFC 8555 §7.1.3, §7.4: a requested validity is issued exactly as asked
 * (ca_leaf.c never moves a requested time), so what this server cannot honour
 * is refused here, before anything is stored. lifetime is the profile's,
 * in seconds: the longest certificate it issues; without a notBefore the
 * leaf starts ca_leaf_backdate(lifetime) before now.
 */
static int
check_validity(struct ra *ra, time_t nb, time_t na, time_t lifetime,
    time_t now, struct acme_problem *prob)
{
	time_t	 inb = ca_intermediate_not_before(ra->ca);
	time_t	 ina = ca_intermediate_not_after(ra->ca);
	time_t	 start = nb != 0 ? nb : now - ca_leaf_backdate(lifetime);
	char	 life[32];

	if (nb == 0 && na == 0)
		return 0;
	if (nb != 0 && (nb < now - 86400 || nb > now + 86400))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "notBefore must be within a day of now");
	if (nb != 0 && nb < inb)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "notBefore is earlier than the issuing CA's notBefore");
	if (na != 0) {
		if (na <= start || na <= now)
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "notAfter must be after notBefore and now");
		if (na - start > lifetime) {
			profile_format_lifetime(lifetime, life, sizeof(life));
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "the requested validity exceeds this profile's "
			    "%s lifetime", life);
		}
		if (na > ina)
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "notAfter is later than the issuing CA's expiry");
	}
	return 0;
}

int
ra_new_order(struct ra *ra, const struct acme_account *acct,
    const struct acme_req_new_order *req, struct acme_order *out,
    struct acme_problem *prob)
{
	struct store		*st;
	struct acme_authz	*authzs = NULL;
	const struct profile	*prof = NULL;
	time_t			 now = time(NULL);
	enum store_status	 rc;
	struct acme_account	 cur = { 0 };
	size_t			 pending;
	int			 ret = -1;

	st = ra_lock(ra);
	if (req->nids == 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "the order names no identifiers");
		goto out;
	}
	/* Refused before anything is stored or signed (HARDENING O15). */
	if (policy_check_list(ra->policy, req->ids, req->wildcard, req->nids,
	    prob) == -1)
		goto out;
	if (ra->opts.profiles != NULL) {
		/* draft-ietf-acme-profiles §4; none named: the default. */
		if ((prof = profile_select(ra->opts.profiles, req->profile,
		    prob)) == NULL)
			goto out;
	} else if (req->profile[0] != '\0' &&
	    strcmp(req->profile, "default") != 0) {
		acme_problem_set(prob, ACME_P_INVALIDPROFILE,
		    "unknown profile; this server offers \"default\"");
		goto out;
	}
	if (check_validity(ra, req->not_before, req->not_after,
	    prof != NULL ? prof->lifetime : (time_t)ra->opts.leaf_days * 86400,
	    now, prob) == -1)
		goto out;
	if (req->replaces[0] != '\0' && check_replaces(st, acct, req,
	    prob) == -1)
		goto out;
	if (ra->opts.max_pending_authz > 0) {
		if (store_authz_count_pending(st, acct->id, &pending) !=
		    STORE_OK) {
			ra_internal(st, prob, "pending count");
			goto out;
		}
		if (pending + req->nids > ra->opts.max_pending_authz) {
			acme_problem_setx(prob, ACME_P_RATELIMITED, 429,
			    "too many pending authorizations (%zu); finish or "
			    "deactivate some first", pending);
			goto out;
		}
	}

	if (acme_order_alloc_idents(out, req->nids) == -1 ||
	    (authzs = calloc(req->nids, sizeof(*authzs))) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "out of memory");
		goto out;
	}
	memcpy(out->account_id, acct->id, ACME_ID_SIZE);
	/* RFC 8555 §7.1.3 "expires"; at most its authorizations' (below). */
	out->expires = now + ra->opts.order_pending_s;
	out->not_before = req->not_before;
	out->not_after = req->not_after;
	snprintf(out->profile, sizeof(out->profile), "%s",
	    prof != NULL ? prof->name : req->profile);
	snprintf(out->replaces, sizeof(out->replaces), "%s", req->replaces);
	for (size_t i = 0; i < req->nids; i++) {
		struct acme_authz	*a = &authzs[i];
		enum acme_chall_type	 types[ACME_CHALL__MAX];
		const char		*v = req->ids[i].value;

		out->idents[i] = req->ids[i];
		if (reuse_authz(st, acct, &req->ids[i], req->wildcard[i], now,
		    a))
			continue;	/* the --authz-reuse test knob */
		/* §7.1.4: the authz names the base domain of a wildcard. */
		a->ident.type = req->ids[i].type;
		snprintf(a->ident.value, sizeof(a->ident.value), "%s",
		    req->wildcard[i] ? v + 2 : v);
		a->wildcard = req->wildcard[i];
		a->status = ACME_AUTHZ_PENDING;
		a->expires = now + ra->opts.authz_pending_s;
		a->nchall = challenge_types(&a->ident, a->wildcard, types);
		for (size_t j = 0; j < a->nchall; j++) {
			a->chall[j].type = types[j];
			a->chall[j].status = ACME_CHALL_PENDING;
			if (acme_challenge_token(a->chall[j].token) == -1) {
				acme_problem_set(prob, ACME_P_SERVERINTERNAL,
				    "the server could not complete the request");
				goto out;
			}
		}
	}
	/*
	 * As Boulder: an order expires no later than its first authorization
	 * (--authz-lifetime below --order-lifetime), so reading it after
	 * that sweeps it to invalid (ra_state_expire).
	 */
	for (size_t i = 0; i < req->nids; i++)
		if (authzs[i].expires != 0 && authzs[i].expires < out->expires)
			out->expires = authzs[i].expires;
	/*
	 * X22 under this lock: the account cache is coherent with the
	 * file under db_mu (acctcache.h), so a valid cached account needs
	 * no read of the file; otherwise the store reads it.
	 */
	if (acctcache_get(ra->accts, acct->id, &cur) &&
	    cur.status == ACME_ACCOUNT_VALID)
		rc = store_order_create_checked(st, out, authzs, req->nids);
	else
		rc = store_order_create(st, out, authzs, req->nids);
	acme_account_clear(&cur);
	if (rc == STORE_CONFLICT || rc == STORE_NOTFOUND) {
		acme_problem_setx(prob, ACME_P_UNAUTHORIZED, 401,
		    "the account is no longer valid");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "newOrder insert");
		goto out;
	}
	ret = 0;
out:
	if (authzs != NULL) {
		for (size_t i = 0; i < req->nids; i++)
			acme_authz_clear(&authzs[i]);
		free(authzs);
	}
	ra_unlock(ra);
	return ret;
}

/* Pending/ready objects past their expiry are swept before being shown. */
static void
sweep_if_expired(struct ra *ra, struct store *st, time_t expires)
{
	if (expires != 0 && expires <= time(NULL))
		(void)ra_state_expire(st, time(NULL), NULL, NULL);
	(void)ra;
}

int
ra_own_order(struct ra *ra, struct store *st, const struct acme_account *acct,
    const char *id, struct acme_order *out, struct acme_problem *prob)
{
	enum store_status rc;

	rc = store_order_get(st, id, out);
	if (rc == STORE_OK && strcmp(out->account_id, acct->id) != 0) {
		acme_order_clear(out);
		rc = STORE_NOTFOUND;	/* same answer as absent (Z01) */
	}
	if (rc == STORE_NOTFOUND)
		return ra_not_found(prob, "order");
	if (rc != STORE_OK)
		return ra_internal(st, prob, "order lookup");
	if ((out->status == ACME_ORDER_PENDING ||
	    out->status == ACME_ORDER_READY) && out->expires <= time(NULL)) {
		sweep_if_expired(ra, st, out->expires);
		if (store_order_get(st, id, out) != STORE_OK)
			return ra_internal(st, prob, "order reread");
	}
	return 0;
}

int
ra_get_order(struct ra *ra, const struct acme_account *acct, const char *id,
    struct acme_order *out, struct acme_problem *prob)
{
	struct store	*st;
	int		 ret;

	st = ra_lock(ra);
	ret = ra_own_order(ra, st, acct, id, out, prob);
	ra_unlock(ra);
	return ret;
}

int
ra_list_orders(struct ra *ra, const struct acme_account *acct,
    const char *cursor, char (*ids)[ACME_ID_SIZE], size_t max, size_t *n,
    char *next, size_t nextsz, struct acme_problem *prob)
{
	struct store		*st;
	enum store_status	 rc;
	int			 ret = -1;

	st = ra_lock(ra);
	rc = store_order_list(st, acct->id, cursor, max, ids, n, next, nextsz);
	if (rc == STORE_NOTFOUND) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "unknown orders cursor");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "orders list");
		goto out;
	}
	ret = 0;
out:
	ra_unlock(ra);
	return ret;
}

/* ---------- authorizations and challenges ---------- */

static int
get_own_authz(struct ra *ra, struct store *st, const struct acme_account *acct,
    const char *id, struct acme_authz *out, struct acme_problem *prob)
{
	enum store_status rc;

	rc = store_authz_get(st, id, out);
	if (rc == STORE_OK && strcmp(out->account_id, acct->id) != 0) {
		acme_authz_clear(out);
		rc = STORE_NOTFOUND;
	}
	if (rc == STORE_NOTFOUND)
		return ra_not_found(prob, "authorization");
	if (rc != STORE_OK)
		return ra_internal(st, prob, "authz lookup");
	if ((out->status == ACME_AUTHZ_PENDING ||
	    out->status == ACME_AUTHZ_VALID) && out->expires <= time(NULL)) {
		sweep_if_expired(ra, st, out->expires);
		if (store_authz_get(st, id, out) != STORE_OK)
			return ra_internal(st, prob, "authz reread");
	}
	return 0;
}

int
ra_get_authz(struct ra *ra, const struct acme_account *acct, const char *id,
    struct acme_authz *out, struct acme_problem *prob)
{
	struct store	*st;
	int		 ret;

	st = ra_lock(ra);
	ret = get_own_authz(ra, st, acct, id, out, prob);
	ra_unlock(ra);
	return ret;
}

int
ra_deactivate_authz(struct ra *ra, const struct acme_account *acct,
    const char *id, struct acme_authz *out, struct acme_problem *prob)
{
	struct store		*st;
	enum store_status	 rc;
	int			 ret = -1;

	st = ra_lock(ra);
	if (get_own_authz(ra, st, acct, id, out, prob) == -1)
		goto out;
	/* RFC 8555 §7.5.2: pending or valid -> deactivated (the table's). */
	if (!acme_authz_transition_ok(out->status, ACME_AUTHZ_DEACTIVATED)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "only a pending or valid authorization can be deactivated "
		    "(it is %s)", acme_authz_status_str(out->status));
		goto out;
	}
	rc = ra_state_authz(st, id, out->status, ACME_AUTHZ_DEACTIVATED);
	if (rc == STORE_CONFLICT) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "the authorization changed during this request");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "authz deactivation");
		goto out;
	}
	if (store_authz_get(st, id, out) != STORE_OK) {
		ra_internal(st, prob, "authz reread");
		goto out;
	}
	ret = 0;
out:
	ra_unlock(ra);
	return ret;
}

/* Fill a VA request for challenge c of authz a, for account acct. */
static int
make_va_request(const struct acme_account *acct, const struct acme_authz *a,
    const struct acme_challenge *c, struct va_request *r)
{
	char *ka;

	memset(r, 0, sizeof(*r));
	memcpy(r->authz_id, a->id, ACME_ID_SIZE);
	memcpy(r->chall_id, c->id, ACME_ID_SIZE);
	r->type = c->type;
	r->ident = a->ident;
	r->wildcard = a->wildcard;	/* RFC 8659 §4.3: issuewild */
	memcpy(r->token, c->token, ACME_TOKEN_SIZE);
	if ((ka = acme_challenge_key_authz(c->token, acct->thumbprint)) == NULL)
		return -1;
	if (strlen(ka) >= sizeof(r->key_authz)) {
		free(ka);
		return -1;
	}
	memcpy(r->key_authz, ka, strlen(ka) + 1);
	free(ka);
	if (acme_challenge_dns01_value(r->key_authz, r->dns01_value) == -1 ||
	    acme_challenge_tlsalpn01_digest(r->key_authz,
	    r->tlsalpn_digest) == -1)
		return -1;
	return 0;
}

static void
finish_challenge(struct ra *ra, struct store *st, const char *chall_id,
    enum acme_chall_type type, bool valid, const struct acme_problem *p)
{
	struct acme_error	 e = { 0 };
	enum store_status	 rc;

	(void)ra;
	if (!valid)
		ra_error_from_problem(&e, p);
	rc = ra_state_validated(st, chall_id, valid, valid ? NULL : &e,
	    time(NULL));
	metrics_validation(type, valid);
	if (rc != STORE_OK && rc != STORE_CONFLICT)
		log_err("ra: recording validation of %s: %s", chall_id,
		    store_errmsg(st));
	else
		log_info("challenge %s (%s) %s%s%s", chall_id,
		    acme_chall_type_str(type), valid ? "valid" : "invalid",
		    valid ? "" : ": ", valid ? "" : p->detail);
}

void
ra_va_done(void *arg, const struct va_request *req, const struct va_result *res)
{
	struct ra	*ra = arg;
	struct store	*st;

	st = ra_lock(ra);
	finish_challenge(ra, st, req->chall_id, req->type, res->valid,
	    &res->prob);
	ra_unlock(ra);
	ra_wait_done(ra, req->chall_id);
}

int
ra_challenge(struct ra *ra, const struct acme_account *acct, const char *id,
    bool respond, const struct ra_waker *wk, bool *held,
    struct acme_challenge *chall, struct acme_authz *authz,
    struct acme_problem *prob)
{
	struct store		*st;
	struct va_request	 vr;
	struct acme_problem	 vp;
	enum store_status	 rc;
	bool			 skip;
	int			 ret = -1;

	if (held != NULL)
		*held = false;
	st = ra_lock(ra);
	rc = store_challenge_get(st, id, chall, authz);
	if (rc == STORE_OK && strcmp(authz->account_id, acct->id) != 0)
		rc = STORE_NOTFOUND;	/* no validation for others (C02) */
	if (rc == STORE_NOTFOUND) {
		ra_not_found(prob, "challenge");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "challenge lookup");
		goto out;
	}
	if (!respond || chall->status != ACME_CHALL_PENDING) {
		ret = 0;	/* §7.5.1: reading never validates (C03, C06) */
		goto out;
	}
	/* An expired authz is gone, as in Boulder (HARDENING C05): 404. */
	if (authz->status == ACME_AUTHZ_EXPIRED ||
	    (authz->status == ACME_AUTHZ_PENDING &&
	    authz->expires <= time(NULL))) {
		acme_problem_setx(prob, ACME_P_MALFORMED, 404,
		    "the authorization is expired");
		goto out;
	}
	if (authz->status != ACME_AUTHZ_PENDING) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "the authorization is %s; its challenges cannot be "
		    "answered", acme_authz_status_str(authz->status));
		goto out;
	}

	/*
	 * With --validation skip the claim and the result go in one
	 * transaction: one commit instead of two, of pending objects only
	 * (store_begin_pending).
	 */
	skip = ra->opts.validation_skip;
	if (skip && store_begin_pending(st) != STORE_OK) {
		ra_internal(st, prob, "challenge start");
		goto out;
	}
	/* One validation at a time per authorization (HARDENING X20). */
	rc = ra_state_claim(st, id);
	if (rc != STORE_OK && skip)
		(void)store_rollback(st);
	if (rc == STORE_CONFLICT)
		goto reread;
	if (rc != STORE_OK) {
		ra_internal(st, prob, "challenge start");
		goto out;
	}

	if (skip) {
		finish_challenge(ra, st, id, chall->type, true, NULL);
		if (store_commit(st) != STORE_OK) {
			ra_internal(st, prob, "challenge");
			goto out;
		}
		goto reread;
	}
	/* va_submit only queues: the result comes back on a VA worker. */
	if (make_va_request(acct, authz, chall, &vr) == -1 || ra->va == NULL ||
	    va_submit(ra->va, &vr) == -1) {
		acme_problem_set(&vp, ACME_P_SERVERINTERNAL,
		    "the server could not start the validation; retry with a "
		    "new order");
		finish_challenge(ra, st, id, chall->type, false, &vp);
	} else if (wk != NULL && held != NULL && ra_wait_add(ra, id, wk)) {
		/* §7.5.1: the caller answers with the outcome (ra_wait.c). */
		*held = true;
		ret = 0;
		goto out;
	}
reread:
	if (store_challenge_get(st, id, chall, authz) != STORE_OK) {
		ra_internal(st, prob, "challenge reread");
		goto out;
	}
	ret = 0;
out:
	ra_unlock(ra);
	return ret;
}

int
ra_challenge_get(struct ra *ra, const char *id, struct acme_challenge *chall,
    struct acme_authz *authz, struct acme_problem *prob)
{
	struct store		*st;
	enum store_status	 rc;
	int			 ret = 0;

	st = ra_lock(ra);
	if ((rc = store_challenge_get(st, id, chall, authz)) == STORE_NOTFOUND)
		ret = ra_not_found(prob, "challenge");
	else if (rc != STORE_OK)
		ret = ra_internal(st, prob, "challenge reread");
	ra_unlock(ra);
	return ret;
}
