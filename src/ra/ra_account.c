/* ra_account.c - accounts: authentication by kid, newAccount with or without EAB, updates, key change (RFC 8555 §7.3) */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acme/acme.h"
#include "acme/eab.h"
#include "acme/jwk.h"
#include "acme/problem.h"
#include "store/store.h"
#include "acctcache.h"
#include "keycache.h"
#include "log.h"
#include "ra.h"
#include "ra_internal.h"

/* ---------- accounts ---------- */

/* The account's public key, from its stored canonical JWK (cached). */
static EVP_PKEY *
account_key(struct ra *ra, const struct acme_account *a)
{
	if (a->jwk == NULL)
		return NULL;
	return keycache_get(ra->keys, a->id, a->jwk);
}

int
ra_account_auth(struct ra *ra, const char *id, struct acme_account *out,
    EVP_PKEY **key, struct acme_problem *prob)
{
	struct store		*st;
	enum store_status	 rc;
	int			 ret = -1;

	*key = NULL;
	/* The cached row needs no lock section (acctcache.h, issue #17). */
	if (acctcache_get(ra->accts, id, out)) {
		if ((*key = account_key(ra, out)) != NULL)
			return 0;
		acme_account_clear(out);
	}
	st = ra_lock(ra);
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
	acctcache_put(ra->accts, out);	/* under db_mu: acctcache.h */
	if ((*key = account_key(ra, out)) == NULL) {
		acctcache_forget(ra->accts, id);
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
	acctcache_forget(ra->accts, acct->id); /* before the update */
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
	acctcache_forget(ra->accts, acct->id); /* before the rollover */
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
