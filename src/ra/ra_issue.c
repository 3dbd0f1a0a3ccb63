/* ra_issue.c - the one issuance cycle (reserve a serial, sign, record) and finalize, its use for orders (RFC 8555 §7.4) */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "acme/jwk.h"
#include "acme/problem.h"
#include "store/store.h"
#include "ca.h"
#include "certcache.h"
#include "conformance.h"
#include "fault.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "profile.h"
#include "ra.h"
#include "ra_internal.h"

/*
 * Serials drawn before a reservation gives up. A serial carries 128
 * random bits (ca_new_serial), so even one repeat means a broken random
 * source, and a few draws only keep a freak collision from failing an
 * issuance: more would hide the broken source. 4 is the value finalize,
 * the path clients use and its tests exercise, always had; `localacme
 * issue` drew 5, for no other reason.
 */
#define ISSUE_SERIAL_TRIES	4

/* SHA-256 of the SubjectPublicKeyInfo, base64url. "" on failure. */
static void
spki_thumbprint(X509 *x, char out[ACME_THUMBPRINT_SIZE])
{
	unsigned char	*der = NULL, md[32];
	int		 len;

	out[0] = '\0';
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len > 0 && EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(),
	    NULL) == 1)
		acme_b64url_encode_buf(md, sizeof(md), out);
	OPENSSL_free(der);
}

static char *
names_csv(const struct acme_identifier *ids, size_t n)
{
	size_t	 len = 1, off = 0, l;
	char	*s;

	for (size_t i = 0; i < n; i++)
		len += strlen(ids[i].value) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			s[off++] = ',';
		l = strlen(ids[i].value);
		memcpy(s + off, ids[i].value, l);
		off += l;
	}
	s[off] = '\0';
	return s;
}

int
ra_cert_record(X509 *leaf, const char *chain_pem,
    const struct acme_identifier *ids, size_t n, const char *source,
    struct acme_cert *out)
{
	if (ca_serial_hex(leaf, out->serial) == -1)
		return -1;
	out->status = ACME_CERT_VALID;
	snprintf(out->source, sizeof(out->source), "%s", source);
	out->not_before = ca_asn1_to_time(X509_get0_notBefore(leaf));
	out->not_after = ca_asn1_to_time(X509_get0_notAfter(leaf));
	out->issued = time(NULL);
	spki_thumbprint(leaf, out->key_thumbprint);
	if ((out->names = names_csv(ids, n)) == NULL ||
	    (out->pem = keys_cert_pem(leaf)) == NULL ||
	    (out->chain_pem = strdup(chain_pem != NULL ? chain_pem : "")) ==
	    NULL)
		return -1;
	return 0;
}

/* The fault point <kind>.<step> (HARDENING X01; localacme-faults only). */
static void
cycle_fault(const struct ra_issue_cycle *c, const char *step)
{
#ifdef LOCALACME_FAULT_INJECTION
	char	 name[32];

	snprintf(name, sizeof(name), "%s.%s", c->kind, step);
	fault_point(name);
#else
	(void)c;
	(void)step;
#endif
}

/*
 * An order's issuance failed after its reservation: the answer goes into
 * the order too (processing -> invalid), and the serial is failed unless
 * a certificate may exist (HARDENING I2).
 */
static int
order_fail(struct store *st, struct ra_issue_cycle *c, const char *detail,
    bool cert_may_exist)
{
	struct acme_error	 e;

	acme_problem_set(c->prob, ACME_P_SERVERINTERNAL, "%s", detail);
	ra_error_from_problem(&e, c->prob);
	(void)ra_state_fail(st, c->order_id, &e, cert_may_exist);
	return -1;
}

/* Step 1, locked: a serial reserved, with an order in its transaction. */
static int
cycle_reserve(struct store *st, struct ra_issue_cycle *c)
{
	enum store_status	 rc = STORE_ERR;
	bool			 taken = false, acct_key = false;

	for (int i = 0; i < ISSUE_SERIAL_TRIES; i++) {
		if (ca_new_serial(c->serial) == -1) {
			if (c->order_id != NULL)
				return ra_internal(NULL, c->prob,
				    "cannot draw a serial number");
			snprintf(c->err, c->errsz, "cannot draw a serial number");
			return -1;
		}
		if (c->order_id != NULL)
			rc = ra_state_begin_processing(st, c->order_id,
			    c->serial, c->csr_key_tp, &taken, &acct_key);
		else
			rc = store_serial_reserve(st, c->serial, NULL);
		if (rc != STORE_CONFLICT || (c->order_id != NULL && !taken))
			break;
	}
	if (rc == STORE_OK)
		return 0;
	if (c->order_id == NULL) {
		snprintf(c->err, c->errsz, "database: %s", store_errmsg(st));
		return -1;
	}
	if (rc == STORE_CONFLICT && acct_key)
		return acme_problem_set(c->prob, ACME_P_BADCSR,
		    "the CSR's key is an account key; use a separate key "
		    "(RFC 8555 §11.1)");
	if (rc == STORE_CONFLICT && !taken)
		return acme_problem_set(c->prob, ACME_P_ORDERNOTREADY,
		    "the order is already being finalized");
	if (rc == STORE_CONFLICT)
		return ra_internal(NULL, c->prob, "no unused serial number");
	return ra_internal(st, c->prob, "begin processing");
}

/* Step 3, locked: the certificate (and the order -> valid), one commit. */
static int
cycle_record(struct store *st, struct ra_issue_cycle *c)
{
	enum store_status	 rc = STORE_ERR;

	if (ra_cert_record(c->leaf, c->chain, c->req->idents, c->req->nident,
	    c->source, &c->rec) == -1) {
		if (c->order_id == NULL) {
			snprintf(c->err, c->errsz, "out of memory");
			return -1;
		}
	} else if (c->order_id == NULL) {
		if (store_cert_insert(st, &c->rec) == STORE_OK)
			return 0;
		snprintf(c->err, c->errsz, "database: %s", store_errmsg(st));
		return -1;
	} else if ((rc = ra_state_finish(st, c->order_id, &c->rec)) ==
	    STORE_OK)
		return 0;
	if (rc == STORE_ERR)
		log_err("ra: storing certificate %s: %s", c->serial,
		    store_errmsg(st));
	/* Signed but not stored: the serial stays reserved (I2). */
	return order_fail(st, c, "the certificate could not be stored; "
	    "create a new order", true);
}

/*
 * The cycle (ARCHITECTURE §7.7). Between the reservation and the record
 * the lock is let go without store_sync: nothing of this cycle has left
 * the process yet, and the record's commit, synced by the caller's
 * ra_unlock, makes the reservation durable with it (WAL frames are
 * written in commit order; HARDENING I2).
 */
int
ra_issue_cycle(struct ra *ra, struct store *st, struct ra_issue_cycle *c)
{
	int	 rc;

	/* 1. reserve: ready -> processing and the serial, or the serial */
	if (cycle_reserve(st, c) == -1)
		return -1;
	/* X01 P1 (and P2: the serial commits with the processing CAS). */
	cycle_fault(c, "p1");

	/* 2. sign, outside the lock: the reservation makes it ours */
	c->req->serial = c->serial;
	store_read_end(st);
	pthread_mutex_unlock(&ra->db_mu);
	/* 3. lint: ca_sign_leaf runs ca_check_leaf (HARDENING §5.3) */
	rc = ca_sign_leaf(ra->ca, c->req, &c->leaf, &c->chain);
	if (rc == 0)
		cycle_fault(c, "p3");	/* X01 P3: signed, not stored */
	st = ra_relock(ra);	/* the same connection and section */
	if (rc == -1) {
		if (c->order_id != NULL)
			return order_fail(st, c, "the certificate could not "
			    "be signed", false);
		(void)store_serial_fail(st, c->serial);	/* nothing signed */
		snprintf(c->err, c->errsz, "signing failed (see the log)");
		return -1;
	}

	/* 4. record: the certificate, and the order valid, one commit */
	if (cycle_record(st, c) == -1)
		return -1;
	cycle_fault(c, "p4");		/* X01 P4: stored, not answered */
	return 0;
}

void
ra_issue_cycle_clear(struct ra_issue_cycle *c)
{
	X509_free(c->leaf);
	c->leaf = NULL;
	acme_cert_clear(&c->rec);
}

int
ra_issue(struct ra *ra, struct ca_leaf_req *req,
    char serial[ACME_SERIAL_SIZE], const char *source, X509 **leaf,
    const char **chain, char *err, size_t errsz)
{
	struct ra_issue_cycle	 c;
	struct store		*st;
	int			 ret = -1;

	memset(&c, 0, sizeof(c));
	c.kind = "issue";
	c.source = source;
	c.req = req;
	c.serial = serial;
	c.err = err;
	c.errsz = errsz;
	*leaf = NULL;
	*chain = NULL;
	st = ra_lock(ra);
	if (ra_issue_cycle(ra, st, &c) == -1)
		goto out;
	*leaf = c.leaf;
	*chain = c.chain;
	c.leaf = NULL;
	ret = 0;
out:
	ra_unlock(ra);
	ra_issue_cycle_clear(&c);
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
	bool			 staple = false;
	int			 ret = -1;

	memset(&cyc, 0, sizeof(cyc));
	/*
	 * Pure computation, before the lock: decode the CSR and verify its
	 * self-signature (F09). The result waits for the order checks: an
	 * order that is not ready answers orderNotReady whatever its CSR.
	 */
	csr = acme_csr_decode_key(csr_b64, &csr_key, &csr_prob);

	st = ra_lock(ra);
	if (ra_own_order(ra, st, acct, order_id, &o, prob) == -1)
		goto out;
	/* RFC 8555 §7.4: finalize only a ready order (F01-F03). */
	if (o.status != ACME_ORDER_READY) {
		acme_problem_set(prob, ACME_P_ORDERNOTREADY,
		    "the order is %s, not ready",
		    acme_order_status_str(o.status));
		(void)conformance_note(CONF_FINALIZE_NOT_READY, NULL);
		goto out;
	}
	if (recheck_authzs(st, &o, prob) == -1)
		goto out;
	/* The CSR; a bad one leaves the order ready (§7.4, F26). */
	if (csr == NULL) {
		*prob = csr_prob;
		goto out;
	}
	/* Must-Staple (RFC 7633) only with a responder: badCSR without. */
	if (acme_csr_check_staple(csr, csr_key, o.idents, o.nident, forbidden,
	    1, ra->opts.ocsp_url != NULL ? &staple : NULL, prob) == -1) {
		/* RFC 8555 §7.4: the CSR asks for exactly the order's names. */
		if (strncmp(prob->detail, ACME_CSR_NAMES_MISMATCH,
		    strlen(ACME_CSR_NAMES_MISMATCH)) == 0)
			(void)conformance_note(CONF_CSR_NAMES, NULL);
		goto out;
	}
	/* RFC 8555 §11.1: no account's key; the reservation checks it. */
	if (acme_jwk_thumbprint(csr_key, csr_tp) == -1)
		csr_tp[0] = '\0';	/* a key type JWK cannot express */
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
	lr.lifetime = (time_t)ra->opts.leaf_days * 86400;
	if (ra->opts.profiles != NULL && (prof = profile_find(ra->opts.profiles,
	    o.profile[0] != '\0' ? o.profile :
	    ra->opts.profiles->default_name)) != NULL) {
		lr.lifetime = prof->lifetime;
		lr.client_auth = prof->client_auth;
		lr.no_cn = prof->no_cn;
	}
	lr.crl_url = ra->opts.crl_url;
	lr.ocsp_url = ra->opts.ocsp_url;
	lr.must_staple = staple;
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
	cyc.csr_key_tp = csr_tp;
	if (ra_issue_cycle(ra, st, &cyc) == -1)
		goto out;
	log_info("issued %s for order %s (%s)", serial, o.id, cyc.rec.names);
	metrics_issuance(o.profile);
	/*
	 * The order as the record's compare-and-set left it (processing ->
	 * valid with this serial, nothing else changed), not read back from
	 * the file: a read there would take a WAL read lock after a commit,
	 * moving a read mark (ARCHITECTURE §4.6).
	 */
	acme_order_clear(out);
	*out = o;
	memset(&o, 0, sizeof(o));
	out->status = ACME_ORDER_VALID;
	snprintf(out->cert_serial, sizeof(out->cert_serial), "%s", serial);
	ret = 0;
out:
	ra_unlock(ra);
	/* Its download reads no file; only now, synced (certcache.h). */
	if (ret == 0) {
		memcpy(cyc.rec.account_id, out->account_id,
		    sizeof(cyc.rec.account_id));
		certcache_put(ra->certs, &cyc.rec);
	}
	ra_issue_cycle_clear(&cyc);
	acme_order_clear(&o);
	EVP_PKEY_free(csr_key);
	X509_REQ_free(csr);
	return ret;
}
