/* ra.c - the registration authority: every ACME state change, in one place */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/challenge.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "acme/jwk.h"
#include "acme/problem.h"
#include "acme/ari.h"
#include "acme/eab.h"
#include "store/store.h"
#include "ca.h"
#include "knobs.h"
#include "keycache.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "profile.h"
#include "ra.h"
#include "ra_internal.h"
#include "va.h"

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
ra_lock(struct ra *ra)
{
	pthread_mutex_lock(&ra->db_mu);
	return ra->st;
}

/*
 * Let go of the lock, then wait until every durable commit so far is on
 * disk (store_sync: one fdatasync for all the threads waiting), so that
 * no answer leaves before what it reports, or could have read, survives a
 * power loss (HARDENING X03), and no thread holds the lock during an fsync.
 */
void
ra_unlock(struct ra *ra)
{
	pthread_mutex_unlock(&ra->db_mu);
	if (store_sync(ra->st) != STORE_OK)
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

static int
not_found(struct acme_problem *prob, const char *what)
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

/* The account's public key, from its stored canonical JWK (cached). */
static EVP_PKEY *
account_key(struct ra *ra, const struct acme_account *a)
{
	if (a->jwk == NULL)
		return NULL;
	return keycache_get(ra->keys, a->id, a->jwk);
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
	/* NULL only costs speed: keycache_get then imports every time. */
	if ((ra->keys = keycache_new(0)) == NULL)
		log_warn("ra: no memory for the account key cache");
	/* Open (and migrate) the database now, so start-up fails early. */
	if ((ra->st = store_open(ra->db_path, serr, sizeof(serr))) == NULL) {
		snprintf(err, errsz, "cannot open the database %s: %s",
		    opts->db_path, serr);
		ra_free(ra);
		return NULL;
	}
	/* An in-memory database (tests) has nothing to fsync. */
	if (store_set_group_commit(ra->st) != STORE_OK)
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
	keycache_free(ra->keys);
	free(ra->db_path);
	free(ra);
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

/* ---------- accounts ---------- */

int
ra_account_auth(struct ra *ra, const char *id, struct acme_account *out,
    EVP_PKEY **key, struct acme_problem *prob)
{
	struct store		*st;
	enum store_status	 rc;
	int			 ret = -1;

	st = ra_lock(ra);
	*key = NULL;
	rc = store_account_get(st, id, out);
	if (rc == STORE_NOTFOUND) {
		acme_problem_set(prob, ACME_P_ACCOUNTDOESNOTEXIST,
		    "no account with that kid");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "account lookup");
		goto out;
	}
	if ((*key = account_key(ra, out)) == NULL) {
		log_err("ra: account %s has an unreadable key", id);
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "the server could not complete the request");
		goto out;
	}
	ret = 0;
out:
	ra_unlock(ra);
	return ret;
}

/* ---------- EAB (§7.3.4), replaces (RFC 9773 §5), authz reuse ---------- */

/* RFC 8555 §7.3.4: the kid is ours and the MAC verifies with its key. */
static int
eab_check(struct store *st, const struct acme_eab *eab,
    struct acme_problem *prob)
{
	struct store_eab	 k;
	enum store_status	 rc;
	int			 ret = -1;

	rc = store_eab_get(st, eab->kid, &k);
	if (rc == STORE_NOTFOUND)
		acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "unknown external account binding kid");
	else if (rc != STORE_OK)
		ra_internal(st, prob, "EAB key lookup");
	else if (acme_eab_verify(eab, k.key, k.keylen, prob) == 0) {
		if (k.single_use && k.uses > 0)
			acme_problem_set(prob, ACME_P_UNAUTHORIZED,
			    "this external account binding key was already "
			    "used");
		else
			ret = 0;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return ret;
}

/*
 * In the transaction newAccount opened: record the binding (consuming a
 * single-use key) and commit, or roll back. *rc is the account insert's
 * result and stays the caller's to act on (CONFLICT: the key's account
 * exists). Returns -1 with *prob when the request must fail.
 */
static int
eab_bind(struct store *st, const struct acme_eab *eab,
    const struct acme_account *a, enum store_status *rc,
    struct acme_problem *prob)
{
	enum store_status use;

	if (*rc != STORE_OK) {
		store_rollback(st);
		return 0;
	}
	use = store_eab_use(st, eab->kid, a->id);
	if (use != STORE_OK) {
		store_rollback(st);
		if (use == STORE_CONFLICT)
			return acme_problem_set(prob, ACME_P_UNAUTHORIZED,
			    "this external account binding key was already "
			    "used");
		if (use == STORE_NOTFOUND)
			return acme_problem_set(prob, ACME_P_UNAUTHORIZED,
			    "unknown external account binding kid");
		return ra_internal(st, prob, "EAB binding");
	}
	if (store_commit(st) != STORE_OK)
		return ra_internal(st, prob, "newAccount commit");
	log_info("account %s bound with EAB kid %s", a->id, eab->kid);
	return 0;
}

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

int
ra_new_account(struct ra *ra, EVP_PKEY *key,
    const struct acme_req_new_account *req, struct acme_account *out,
    bool *created, struct acme_problem *prob)
{
	return ra_new_account_eab(ra, key, req, NULL, out, created, prob);
}

int
ra_new_account_eab(struct ra *ra, EVP_PKEY *key,
    const struct acme_req_new_account *req, const struct acme_eab *eab,
    struct acme_account *out, bool *created, struct acme_problem *prob)
{
	struct store		*st;
	struct acme_account	 a = { 0 };
	char			 tp[ACME_THUMBPRINT_SIZE];
	enum store_status	 rc;
	int			 ret = -1;

	st = ra_lock(ra);
	*created = false;
	if (acme_jwk_thumbprint(key, tp) == -1) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "the server could not complete the request");
		goto out;
	}

	/* RFC 8555 §7.3.1: the key is the account's identity. */
	rc = store_account_get_by_thumbprint(st, tp, out);
	if (rc == STORE_OK)
		goto existing;
	if (rc != STORE_NOTFOUND) {
		ra_internal(st, prob, "newAccount lookup");
		goto out;
	}
	if (req->only_return_existing) {
		acme_problem_set(prob, ACME_P_ACCOUNTDOESNOTEXIST,
		    "no account exists with this key");
		goto out;
	}
	if (ra->opts.tos_required && !req->tos_agreed) {
		acme_problem_set(prob, ACME_P_USERACTIONREQUIRED,
		    "agree to the terms of service (termsOfServiceAgreed) "
		    "to create an account");
		goto out;
	}
	if (ra->opts.eab_required && req->eab == NULL) {
		acme_problem_set(prob, ACME_P_EXTERNALACCOUNTREQUIRED,
		    "this server requires an external account binding");
		goto out;
	}
	if (eab != NULL && eab_check(st, eab, prob) == -1)
		goto out;

	a.status = ACME_ACCOUNT_VALID;
	if ((a.jwk = acme_jwk_export_str(key)) == NULL)
		goto oom;
	memcpy(a.thumbprint, tp, sizeof(tp));
	for (size_t i = 0; i < req->ncontact; i++)
		memcpy(a.contact[i], req->contact[i], ACME_CONTACT_SIZE);
	a.ncontact = req->ncontact;
	a.tos_agreed = req->tos_agreed;
	if (eab != NULL) {
		snprintf(a.eab_kid, sizeof(a.eab_kid), "%s", eab->kid);
		/* RFC 8555 §7.3.4: echoed on every read of the account */
		if (eab->binding != NULL &&
		    (a.eab = strdup(eab->binding)) == NULL)
			goto oom;
		if (store_begin(st) != STORE_OK) {
			ra_internal(st, prob, "newAccount");
			goto out;
		}
	}
	rc = store_account_create(st, &a);
	if (eab != NULL && eab_bind(st, eab, &a, &rc, prob) == -1)
		goto out;
	if (rc == STORE_CONFLICT) {
		/* A concurrent newAccount with this key won (HARDENING X19). */
		if (store_account_get_by_thumbprint(st, tp, out) != STORE_OK) {
			ra_internal(st, prob, "newAccount race");
			goto out;
		}
		acme_account_clear(&a);
		goto existing;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "newAccount insert");
		goto out;
	}
	if (acme_account_copy(out, &a) == -1)
		goto oom;
	*created = true;
	log_info("account %s created", a.id);
	ret = 0;
	goto out;
existing:
	/* RFC 8555 §7.3.6: a deactivated account is gone for good. */
	if (out->status != ACME_ACCOUNT_VALID) {
		acme_problem_setx(prob, ACME_P_UNAUTHORIZED, 401,
		    "the account of this key is %s",
		    acme_account_status_str(out->status));
		goto out;
	}
	ret = 0;
	goto out;
oom:
	acme_problem_set(prob, ACME_P_SERVERINTERNAL, "out of memory");
out:
	acme_account_clear(&a);
	ra_unlock(ra);
	return ret;
}

int
ra_update_account(struct ra *ra, const struct acme_account *acct,
    const struct acme_req_account_update *req, struct acme_account *out,
    struct acme_problem *prob)
{
	struct store		*st;
	enum store_status	 rc;
	int			 ret = -1;

	st = ra_lock(ra);
	if (store_begin(st) != STORE_OK) {
		ra_internal(st, prob, "account update");
		goto out;
	}
	if (req->has_contact) {
		rc = store_account_update_contacts(st, acct->id,
		    (const char (*)[ACME_CONTACT_SIZE])req->contact,
		    req->ncontact);
		if (rc != STORE_OK)
			goto fail;
	}
	if (req->deactivate) {
		/* §7.3.6; a concurrent deactivation is not an error. */
		rc = ra_state_account(st, acct->id,
		    ACME_ACCOUNT_VALID, ACME_ACCOUNT_DEACTIVATED);
		if (rc != STORE_OK && rc != STORE_CONFLICT)
			goto fail;
	}
	if (store_commit(st) != STORE_OK) {
		ra_internal(st, prob, "account update commit");
		goto out;
	}
	if (req->deactivate)
		log_info("account %s deactivated", acct->id);
	if (store_account_get(st, acct->id, out) != STORE_OK) {
		ra_internal(st, prob, "account reread");
		goto out;
	}
	ret = 0;
	goto out;
fail:
	store_rollback(st);
	ra_internal(st, prob, "account update");
out:
	ra_unlock(ra);
	return ret;
}

int
ra_key_change(struct ra *ra, const struct acme_account *acct,
    EVP_PKEY *newkey, char conflict_id[ACME_ID_SIZE],
    struct acme_problem *prob)
{
	struct store		*st;
	struct acme_account	 holder = { 0 };
	char			 tp[ACME_THUMBPRINT_SIZE], *jwk = NULL;
	enum store_status	 rc;
	int			 ret = -1;

	st = ra_lock(ra);
	conflict_id[0] = '\0';
	if (acme_jwk_thumbprint(newkey, tp) == -1 ||
	    (jwk = acme_jwk_export_str(newkey)) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "the server could not complete the request");
		goto out;
	}
	/* §7.3.5 step 9: the account's own key is "in use" too (R07). */
	if (strcmp(tp, acct->thumbprint) == 0) {
		memcpy(conflict_id, acct->id, ACME_ID_SIZE);
		acme_problem_setx(prob, ACME_P_MALFORMED, 409,
		    "the new key is already this account's key");
		goto out;
	}
	rc = store_account_set_key(st, acct->id, acct->thumbprint, jwk, tp);
	switch (rc) {
	case STORE_OK:
		log_info("account %s rolled over to a new key", acct->id);
		ret = 0;
		break;
	case STORE_CONFLICT:
		/* RFC 8555 §7.3.5 step 9: 409 and the holder's URL. */
		if (store_account_get_by_thumbprint(st, tp, &holder) ==
		    STORE_OK)
			memcpy(conflict_id, holder.id, ACME_ID_SIZE);
		acme_problem_setx(prob, ACME_P_MALFORMED, 409,
		    "the new key is already in use by an account");
		break;
	case STORE_NOTFOUND:
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "the account key changed during this request");
		break;
	default:
		ra_internal(st, prob, "keyChange");
	}
out:
	acme_account_clear(&holder);
	free(jwk);
	ra_unlock(ra);
	return ret;
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
 * is refused here, before anything is stored. days is the profile's
 * lifetime: the longest certificate it issues is days * 86400 s.
 */
static int
check_validity(struct ra *ra, time_t nb, time_t na, unsigned days,
    time_t now, struct acme_problem *prob)
{
	time_t	 inb = ca_intermediate_not_before(ra->ca);
	time_t	 ina = ca_intermediate_not_after(ra->ca);
	time_t	 start = nb != 0 ? nb : now - CA_BACKDATE;

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
		if (na - start > (time_t)days * 86400)
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "the requested validity exceeds this profile's "
			    "%u days", days);
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
	    prof != NULL ? prof->days : ra->opts.leaf_days, now, prob) == -1)
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
	out->expires = now + ra->opts.authz_pending_s;
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
		a->expires = out->expires;
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
	rc = store_order_create(st, out, authzs, req->nids);
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

static int
get_own_order(struct ra *ra, struct store *st, const struct acme_account *acct,
    const char *id, struct acme_order *out, struct acme_problem *prob)
{
	enum store_status rc;

	rc = store_order_get(st, id, out);
	if (rc == STORE_OK && strcmp(out->account_id, acct->id) != 0) {
		acme_order_clear(out);
		rc = STORE_NOTFOUND;	/* same answer as absent (Z01) */
	}
	if (rc == STORE_NOTFOUND)
		return not_found(prob, "order");
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
	ret = get_own_order(ra, st, acct, id, out, prob);
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
		return not_found(prob, "authorization");
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
}

int
ra_challenge(struct ra *ra, const struct acme_account *acct, const char *id,
    bool respond, struct acme_challenge *chall, struct acme_authz *authz,
    struct acme_problem *prob)
{
	struct store		*st;
	struct va_request	 vr;
	struct acme_problem	 vp;
	enum store_status	 rc;
	bool			 skip;
	int			 ret = -1;

	st = ra_lock(ra);
	rc = store_challenge_get(st, id, chall, authz);
	if (rc == STORE_OK && strcmp(authz->account_id, acct->id) != 0)
		rc = STORE_NOTFOUND;	/* no validation for others (C02) */
	if (rc == STORE_NOTFOUND) {
		not_found(prob, "challenge");
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
	 * transaction: one commit instead of two.
	 */
	skip = ra->opts.validation_skip;
	if (skip && store_begin_relaxed(st) != STORE_OK) {
		ra_internal(st, prob, "challenge start");
		goto out;
	}
	/* One validation at a time per authorization (HARDENING X20). */
	rc = store_challenge_begin(st, id);
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

/* ---------- finalize and certificates ---------- */

/* F22: every authorization of the order must still be valid now. */
static int
recheck_authzs(struct store *st, const struct acme_order *o,
    struct acme_problem *prob)
{
	struct acme_authz	 a = { 0 };
	time_t			 now = time(NULL);

	for (size_t i = 0; i < o->nident; i++) {
		if (store_authz_get(st, o->authz_ids[i], &a) != STORE_OK) {
			acme_authz_clear(&a);
			return ra_internal(st, prob, "authz recheck");
		}
		if (a.status != ACME_AUTHZ_VALID || a.expires <= now) {
			acme_authz_clear(&a);
			return acme_problem_set(prob, ACME_P_ORDERNOTREADY,
			    "the authorization for %s is no longer valid",
			    o->idents[i].value);
		}
		acme_authz_clear(&a);
	}
	return 0;
}

/* RFC 8555 §11.1: the CSR key is no account's key. */
/* tp: the CSR key's JWK thumbprint ("" when JWK cannot express the key). */
static int
csr_key_is_account_key(struct store *st, const char *tp, bool *is,
    struct acme_problem *prob)
{
	struct acme_account	 a = { 0 };
	enum store_status	 rc;

	*is = false;
	if (tp[0] == '\0')
		return 0;
	rc = store_account_get_by_thumbprint(st, tp, &a);
	acme_account_clear(&a);
	if (rc == STORE_OK)
		*is = true;
	else if (rc != STORE_NOTFOUND)
		return ra_internal(st, prob, "account key check");
	return 0;
}

int
ra_finalize(struct ra *ra, const struct acme_account *acct,
    EVP_PKEY *account_key, const char *order_id, const char *csr_b64,
    struct acme_order *out, struct acme_problem *prob)
{
	struct store		*st;
	struct acme_order	 o = { 0 };
	struct acme_problem	 csr_prob;
	struct ra_issue_cycle	 cyc;
	struct ca_leaf_req	 lr;
	const struct profile	*prof;
	X509_REQ		*csr;
	EVP_PKEY		*csr_key = NULL;
	EVP_PKEY		*forbidden[1] = { account_key };
	char			 serial[ACME_SERIAL_SIZE];
	char			 csr_tp[ACME_THUMBPRINT_SIZE];
	bool			 is_acct_key;
	int			 ret = -1;

	memset(&cyc, 0, sizeof(cyc));
	/*
	 * Pure computation, before the lock: decode the CSR and verify its
	 * self-signature (F09). The result waits for the order checks: an
	 * order that is not ready answers orderNotReady whatever its CSR.
	 */
	csr = acme_csr_decode_key(csr_b64, &csr_key, &csr_prob);

	st = ra_lock(ra);
	if (get_own_order(ra, st, acct, order_id, &o, prob) == -1)
		goto out;
	/* RFC 8555 §7.4: finalize only a ready order (F01-F03). */
	if (o.status != ACME_ORDER_READY) {
		acme_problem_set(prob, ACME_P_ORDERNOTREADY,
		    "the order is %s, not ready",
		    acme_order_status_str(o.status));
		goto out;
	}
	if (recheck_authzs(st, &o, prob) == -1)
		goto out;
	/* The CSR; a bad one leaves the order ready (§7.4, F26). */
	if (csr == NULL) {
		*prob = csr_prob;
		goto out;
	}
	if (acme_csr_check_key(csr, csr_key, o.idents, o.nident, forbidden, 1,
	    prob) == -1)
		goto out;
	if (acme_jwk_thumbprint(csr_key, csr_tp) == -1)
		csr_tp[0] = '\0';	/* a key type JWK cannot express */
	if (csr_key_is_account_key(st, csr_tp, &is_acct_key, prob) == -1)
		goto out;
	if (is_acct_key) {
		acme_problem_set(prob, ACME_P_BADCSR,
		    "the CSR's key is an account key; use a separate key "
		    "(RFC 8555 §11.1)");
		goto out;
	}
	/*
	 * RFC 8555 §7.4: requested times are issued exactly or not at all.
	 * newOrder checked them against the intermediate of the day; one
	 * renewed since may not cover them any more. The order stays ready
	 * (it cannot succeed; it expires).
	 */
	if (o.not_before != 0 &&
	    o.not_before < ca_intermediate_not_before(ra->ca)) {
		acme_problem_set(prob, ACME_P_MALFORMED, "the requested "
		    "notBefore is earlier than the current issuing CA's "
		    "(renewed since the order was made); create a new order");
		goto out;
	}
	if (o.not_after != 0 &&
	    o.not_after > ca_intermediate_not_after(ra->ca)) {
		acme_problem_set(prob, ACME_P_MALFORMED, "the requested "
		    "notAfter is later than the current issuing CA's; "
		    "create a new order");
		goto out;
	}

	memset(&lr, 0, sizeof(lr));
	lr.pubkey = csr_key;
	lr.spki = X509_REQ_get_X509_PUBKEY(csr);
	lr.idents = o.idents;
	lr.nident = o.nident;
	lr.days = ra->opts.leaf_days;
	if (ra->opts.profiles != NULL && (prof = profile_find(ra->opts.profiles,
	    o.profile[0] != '\0' ? o.profile :
	    ra->opts.profiles->default_name)) != NULL) {
		lr.days = prof->days;
		lr.client_auth = prof->client_auth;
		lr.no_cn = prof->no_cn;
	}
	lr.crl_url = ra->opts.crl_url;
	lr.not_before = o.not_before;
	lr.not_after = o.not_after;

	/*
	 * Reserve (ready -> processing and the serial), sign without the
	 * lock, record (the certificate and the order valid): ra_issue.c.
	 */
	cyc.kind = "finalize";
	cyc.order_id = o.id;
	cyc.source = "acme";
	cyc.req = &lr;
	cyc.serial = serial;
	cyc.prob = prob;
	if (ra_issue_cycle(ra, st, &cyc) == -1)
		goto out;
	log_info("issued %s for order %s (%s)", serial, o.id, cyc.rec.names);
	metrics_issuance(o.profile);
	if (store_order_get(st, o.id, out) != STORE_OK) {
		ra_internal(st, prob, "order reread");
		goto out;
	}
	ret = 0;
out:
	ra_unlock(ra);
	ra_issue_cycle_clear(&cyc);
	acme_order_clear(&o);
	EVP_PKEY_free(csr_key);
	X509_REQ_free(csr);
	return ret;
}

char *
ra_get_cert_chain(struct ra *ra, const struct acme_account *acct,
    const char *serial, struct acme_problem *prob)
{
	struct store		*st;
	struct acme_cert	 c = { 0 };
	enum store_status	 rc;
	char			*s = NULL;
	size_t			 a, b;

	st = ra_lock(ra);
	if (strlen(serial) >= ACME_SERIAL_SIZE) {
		not_found(prob, "certificate");
		goto out;
	}
	rc = store_cert_get(st, serial, &c);
	if (rc == STORE_OK && strcmp(c.account_id, acct->id) != 0)
		rc = STORE_NOTFOUND;
	if (rc == STORE_NOTFOUND)
		not_found(prob, "certificate");
	else if (rc != STORE_OK)
		ra_internal(st, prob, "certificate lookup");
	else if (c.pem == NULL || c.chain_pem == NULL)
		ra_internal(st, prob, "certificate without PEM");
	else {
		/* RFC 8555 §7.4.2: leaf first, then the issuer. */
		a = strlen(c.pem);
		b = strlen(c.chain_pem);
		if ((s = malloc(a + b + 1)) == NULL)
			acme_problem_set(prob, ACME_P_SERVERINTERNAL,
			    "out of memory");
		else {
			memcpy(s, c.pem, a);
			memcpy(s + a, c.chain_pem, b + 1);
		}
	}
out:
	ra_unlock(ra);
	acme_cert_clear(&c);
	return s;
}

/* May acct revoke certificate c by holding authorizations (§7.6)? */
static int
holds_authz_for_all(struct store *st, const struct acme_account *acct,
    X509 *x, bool *ok, struct acme_problem *prob)
{
	GENERAL_NAMES	*sans;
	int		 n;

	*ok = false;
	if ((sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return 0;
	n = sk_GENERAL_NAME_num(sans);
	*ok = n > 0;
	for (int i = 0; i < n && *ok; i++) {
		GENERAL_NAME		*g = sk_GENERAL_NAME_value(sans, i);
		struct acme_identifier	 id;
		struct acme_authz	 a = { 0 };
		bool			 wild = false;
		enum store_status	 rc;

		memset(&id, 0, sizeof(id));
		if (g->type == GEN_DNS) {
			const char *v = (const char *)ASN1_STRING_get0_data(
			    g->d.dNSName);
			if (strncmp(v, "*.", 2) == 0) {
				wild = true;
				v += 2;
			}
			id.type = ACME_IDENT_DNS;
			snprintf(id.value, sizeof(id.value), "%s", v);
		} else if (g->type == GEN_IPADD) {
			char	 t[64];
			int	 af = g->d.iPAddress->length == 4 ? AF_INET :
			    g->d.iPAddress->length == 16 ? AF_INET6 : -1;

			if (af == -1 || inet_ntop(af, g->d.iPAddress->data, t,
			    sizeof(t)) == NULL) {
				*ok = false;
				break;
			}
			id.type = ACME_IDENT_IP;
			snprintf(id.value, sizeof(id.value), "%s", t);
		} else {
			*ok = false;
			break;
		}
		rc = store_authz_find_valid(st, acct->id, &id, wild,
		    time(NULL), &a);
		acme_authz_clear(&a);
		if (rc == STORE_NOTFOUND)
			*ok = false;
		else if (rc != STORE_OK) {
			GENERAL_NAMES_free(sans);
			return ra_internal(st, prob, "authz lookup");
		}
	}
	GENERAL_NAMES_free(sans);
	return 0;
}

int
ra_revoke(struct ra *ra, const struct acme_account *acct, EVP_PKEY *cert_key,
    const unsigned char *der, size_t derlen, int reason,
    struct acme_problem *prob)
{
	struct store		*st;
	struct acme_cert	 c = { 0 };
	const unsigned char	*p = der;
	unsigned char		*stored = NULL;
	X509			*x = NULL, *sx = NULL;
	BIO			*b = NULL;
	char			 serial[ACME_SERIAL_SIZE];
	enum store_status	 rc;
	bool			 ok;
	int			 len, ret = -1;

	st = ra_lock(ra);
	if ((x = d2i_X509(NULL, &p, (long)derlen)) == NULL ||
	    p != der + derlen || ca_serial_hex(x, serial) == -1) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "certificate is not a DER X.509 certificate");
		goto out;
	}
	rc = store_cert_get(st, serial, &c);
	if (rc == STORE_NOTFOUND)
		goto unknown;
	if (rc != STORE_OK) {
		ra_internal(st, prob, "certificate lookup");
		goto out;
	}
	/* Compare the whole certificate, not only the serial (V05). */
	if ((b = BIO_new_mem_buf(c.pem, -1)) == NULL ||
	    (sx = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    (len = i2d_X509(sx, &stored)) <= 0) {
		ra_internal(NULL, prob, "stored certificate unreadable");
		goto out;
	}
	if ((size_t)len != derlen || memcmp(stored, der, derlen) != 0)
		goto unknown;

	/* §7.6: who may revoke. */
	if (cert_key != NULL) {
		if (EVP_PKEY_eq(X509_get0_pubkey(x), cert_key) != 1) {
			acme_problem_set(prob, ACME_P_UNAUTHORIZED,
			    "the request is not signed by the certificate's key");
			goto out;
		}
	} else if (c.account_id[0] == '\0') {
		/*
		 * §7.6 lets an account that holds authorizations for every
		 * name revoke another account's certificate. A certificate
		 * of no account (the server's own, `localacme issue`'s) has
		 * no such owner to protect it: only its key (or the operator
		 * on the machine) may revoke it.
		 */
		acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "this certificate belongs to no account; only its key "
		    "may revoke it");
		goto out;
	} else if (strcmp(c.account_id, acct->id) != 0) {
		if (holds_authz_for_all(st, acct, x, &ok, prob) == -1)
			goto out;
		if (!ok) {
			acme_problem_set(prob, ACME_P_UNAUTHORIZED,
			    "this account may not revoke this certificate");
			goto out;
		}
	}
	rc = store_cert_revoke(st, serial, reason, time(NULL));
	if (rc == STORE_CONFLICT) {
		acme_problem_set(prob, ACME_P_ALREADYREVOKED,
		    "the certificate is already revoked");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "revocation");
		goto out;
	}
	log_info("revoked %s (reason %d)", serial, reason);
	ret = 0;
	goto out;
unknown:
	acme_problem_setx(prob, ACME_P_MALFORMED, 404,
	    "this server did not issue that certificate");
out:
	ra_unlock(ra);
	/*
	 * The CRL, after ra_unlock: the revocation is durable before a CRL
	 * lists it, and the publisher's fsyncs run without the RA's lock
	 * (it may take it itself: the order is crl->mu -> db_mu).
	 */
	if (ret == 0 && ra->opts.on_revoke != NULL)
		ra->opts.on_revoke(ra->opts.on_revoke_arg);
	acme_cert_clear(&c);
	OPENSSL_free(stored);
	BIO_free(b);
	X509_free(x);
	X509_free(sx);
	return ret;
}

/* ---------- renewal information (RFC 9773) ---------- */

int
ra_renewal_info(struct ra *ra, const char *certid, struct acme_ari_window *w,
    char *url, size_t urlsz, struct acme_problem *prob)
{
	struct store		*st;
	struct acme_ari_certid	 id;
	struct acme_cert	 c = { 0 };
	char			 serial[ACME_SERIAL_SIZE];
	char			 own[ACME_ARI_CERTID_SIZE];
	enum store_status	 rc;
	X509			*x = NULL;
	BIO			*b = NULL;
	int			 ret = -1;

	st = ra_lock(ra);
	if (urlsz > 0)
		url[0] = '\0';
	if (acme_ari_certid_parse(certid, &id, prob) == -1)
		goto out;
	if (acme_ari_certid_serial_hex(&id, serial) == -1) {
		not_found(prob, "certificate");
		goto out;
	}
	rc = store_cert_get(st, serial, &c);
	/* The keyIdentifier part must be the one of our certificate. */
	if (rc == STORE_OK && ((b = BIO_new_mem_buf(c.pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    acme_ari_certid_of_x509(x, own, sizeof(own)) == -1 ||
	    strcmp(own, certid) != 0))
		rc = STORE_NOTFOUND;
	if (rc == STORE_NOTFOUND) {
		not_found(prob, "certificate");
		goto out;
	}
	if (rc != STORE_OK) {
		ra_internal(st, prob, "renewalInfo lookup");
		goto out;
	}
	rc = store_renewal_info_get(st, serial, &w->start, &w->end, url,
	    urlsz);
	if (rc == STORE_OK) {
		ret = 0;	/* set through the management API */
		goto out;
	}
	if (rc != STORE_NOTFOUND) {
		ra_internal(st, prob, "renewalInfo override");
		goto out;
	}
	if (acme_ari_window(c.not_before, c.not_after,
	    c.status == ACME_CERT_REVOKED ? (c.revoked_at != 0 ?
	    c.revoked_at : time(NULL)) : 0, time(NULL), w) == -1) {
		ra_internal(NULL, prob, "certificate with an empty validity");
		goto out;
	}
	ret = 0;
out:
	ra_unlock(ra);
	X509_free(x);
	BIO_free(b);
	acme_cert_clear(&c);
	return ret;
}
