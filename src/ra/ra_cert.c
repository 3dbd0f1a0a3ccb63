/* ra_cert.c - certificates: download, revocation, renewal information (RFC 8555 §7.4.2, §7.6; RFC 9773) */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/ident.h"
#include "acme/problem.h"
#include "store/store.h"
#include "ca.h"
#include "certcache.h"
#include "conformance.h"
#include "knobs.h"
#include "log.h"
#include "ra.h"
#include "ra_internal.h"

char *
ra_get_cert_chain(struct ra *ra, const struct acme_account *acct,
    const char *serial, unsigned chain, unsigned *alts,
    struct acme_problem *prob)
{
	struct store		*st = NULL;
	struct acme_cert	 c = { 0 };
	enum store_status	 rc;
	const char		*issuer = NULL;
	char			*s = NULL;
	size_t			 a, b;
	bool			 hidden = false;

	if (alts != NULL)
		*alts = 1;
	if (strlen(serial) >= ACME_SERIAL_SIZE) {
		ra_not_found(prob, "certificate");
		(void)conformance_note(CONF_CERT_BEFORE_VALID, NULL);
		return NULL;
	}
	/*
	 * A certificate this process just issued needs no lock section:
	 * nothing the answer shows changes after the record, unless
	 * --delete-revoked makes it depend on the status (certcache.h).
	 */
	if (!knobs_delete_revoked() && certcache_get(ra->certs, serial, &c))
		rc = STORE_OK;
	else {
		st = ra_lock(ra);
		rc = store_cert_get(st, serial, &c);
	}
	if (rc == STORE_OK && strcmp(c.account_id, acct->id) != 0)
		rc = STORE_NOTFOUND;
	/*
	 * --delete-revoked (Pebble's behaviour, which client suites expect):
	 * a revoked certificate is answered exactly as one never issued,
	 * 404 with the malformed type (RFC 8555 §6.7 has no "not found"
	 * type; Boulder and Pebble use this one), while its row stays for
	 * the CRL, `localacme list` and the management API.
	 */
	if (rc == STORE_OK && c.status == ACME_CERT_REVOKED &&
	    knobs_delete_revoked()) {
		rc = STORE_NOTFOUND;
		hidden = true;
	}
	/*
	 * Only a valid order names its certificate (§7.4.2): a URL no
	 * valid order of this account gave is the client's deviation; one
	 * --delete-revoked hides was given.
	 */
	if (rc == STORE_NOTFOUND) {
		ra_not_found(prob, "certificate");
		if (!hidden)
			(void)conformance_note(CONF_CERT_BEFORE_VALID, NULL);
	} else if (rc != STORE_OK)
		ra_internal(st, prob, "certificate lookup");
	else if (c.pem == NULL || c.chain_pem == NULL)
		ra_internal(st, prob, "certificate without PEM");
	else if ((issuer = ca_hier_chain_pem(ra->ca, chain,
	    c.chain_pem)) == NULL) {
		ra_not_found(prob, "alternate chain");	/* no Link named it */
		(void)conformance_note(CONF_CERT_BEFORE_VALID, NULL);
	} else {
		/*
		 * RFC 8555 §7.4.2: leaf first, then the issuer; every
		 * chain starts with the same end-entity certificate.
		 */
		a = strlen(c.pem);
		b = strlen(issuer);
		if ((s = malloc(a + b + 1)) == NULL)
			acme_problem_set(prob, ACME_P_SERVERINTERNAL,
			    "out of memory");
		else {
			memcpy(s, c.pem, a);
			memcpy(s + a, issuer, b + 1);
		}
		for (unsigned k = 1; alts != NULL && k < ca_hierarchies(ra->ca);
		    k++)
			if (ca_hier_chain_pem(ra->ca, k, c.chain_pem) != NULL)
				*alts |= 1u << k;
	}
	if (st != NULL)
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
		ra_not_found(prob, "certificate");
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
		ra_not_found(prob, "certificate");
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
