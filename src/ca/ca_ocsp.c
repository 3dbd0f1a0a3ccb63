/* ca_ocsp.c - the delegated OCSP signing certificate of the current intermediate (RFC 6960 §4.2.2.2) */
/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "ca_internal.h"
#include "keys.h"
#include "log.h"
#include "statedir.h"

#define SIGNER_PEM	"ocsp-signer.pem"
#define SIGNER_KEY	"ocsp-signer.key"
#define SIGNER_LIFE	((time_t)CA_OCSP_SIGNER_DAYS * CA_DAY)

/* Is x issued by is, with its key, and still in the first half of its life? */
static bool
signer_fresh(X509 *x, EVP_PKEY *key, const struct ca_intermediate *is,
    time_t now)
{
	time_t	 nb, na;

	if (x == NULL || key == NULL ||
	    X509_check_private_key(x, key) != 1 ||
	    X509_check_issued(is->cert, x) != X509_V_OK ||
	    X509_verify(x, X509_get0_pubkey(is->cert)) != 1 ||
	    (X509_get_extended_key_usage(x) & XKU_OCSP_SIGN) == 0) {
		ERR_clear_error();
		return false;
	}
	nb = ca_asn1_to_time(X509_get0_notBefore(x));
	na = ca_asn1_to_time(X509_get0_notAfter(x));
	return nb != 0 && na > now && now < nb + (na - nb) / 2;
}

/*
 * A new signer for is: EC P-256, CA:FALSE, digitalSignature, EKU
 * OCSPSigning only, id-pkix-ocsp-nocheck (§4.2.2.2.1: clients do not
 * check its own status), SKI, AKI = the intermediate's SKI.
 */
static X509 *
make_signer(const struct ca_intermediate *is, EVP_PKEY *key, time_t now)
{
	X509			*x = NULL;
	X509_NAME		*name = NULL;
	EXTENDED_KEY_USAGE	*eku = NULL;
	ASN1_NULL		*nocheck = NULL;
	char			 serial[ACME_SERIAL_SIZE];
	time_t			 nb = now - CA_BACKDATE, na;
	static const int	 ku[] = { 0 };	/* digitalSignature */

	if (nb < is->not_before)
		nb = is->not_before;
	na = nb + SIGNER_LIFE;
	if (na > is->not_after)
		na = is->not_after;
	if (na <= now) {
		log_err("ca: the intermediate expires before an OCSP signer "
		    "could be used");
		return NULL;
	}
	if (ca_new_serial(serial) == -1 ||
	    (name = ca_name("OCSP signer")) == NULL ||
	    (x = ca_new_cert(serial, name, X509_get_subject_name(is->cert),
	    key, NULL, nb, na)) == NULL ||
	    (eku = sk_ASN1_OBJECT_new_null()) == NULL ||
	    sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_OCSP_sign)) == 0 ||
	    (nocheck = ASN1_NULL_new()) == NULL)
		goto fail;
	if (ca_add_bc(x, false, -1) == -1 || ca_add_ku(x, ku, 1) == -1 ||
	    ca_add_ext(x, NID_ext_key_usage, eku, 0) == -1 ||
	    ca_add_ext(x, NID_id_pkix_OCSP_noCheck, nocheck, 0) == -1 ||
	    ca_add_ski(x) == -1 ||
	    ca_add_aki(x, X509_get0_subject_key_id(is->cert)) == -1 ||
	    ca_sign_cert(x, is->key) == -1)
		goto fail;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_NULL_free(nocheck);
	X509_NAME_free(name);
	return x;
fail:
	log_openssl(LOG_LVL_ERROR, "ca: OCSP signer");
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_NULL_free(nocheck);
	X509_NAME_free(name);
	X509_free(x);
	return NULL;
}

/* Under ocsp_lock: the signer on disk, if it fits is. */
static void
load_signer(struct ca *ca, const struct ca_intermediate *is, time_t now,
    const char *pem, const char *keyp)
{
	X509		*x;
	EVP_PKEY	*k;
	char		 err[512];

	if (!keys_exists(pem) || !keys_exists(keyp))
		return;
	x = keys_load_cert(pem, err, sizeof(err));
	k = x != NULL ? keys_load_private(keyp, err, sizeof(err)) : NULL;
	if (signer_fresh(x, k, is, now)) {
		X509_free(ca->ocsp_cert);
		EVP_PKEY_free(ca->ocsp_key);
		ca->ocsp_cert = x;
		ca->ocsp_key = k;
		return;
	}
	X509_free(x);
	EVP_PKEY_free(k);
}

/* Under ocsp_lock: make, keep and write a new signer for is. 0 or -1. */
static int
renew_signer(struct ca *ca, const struct ca_intermediate *is, time_t now,
    const char *pem, const char *keyp)
{
	EVP_PKEY	*k;
	X509		*x;
	char		 err[512];

	if ((k = keys_generate(KEYS_EC256, err, sizeof(err))) == NULL) {
		log_err("ca: OCSP signer key: %s", err);
		return -1;
	}
	if ((x = make_signer(is, k, now)) == NULL) {
		EVP_PKEY_free(k);
		return -1;
	}
	X509_free(ca->ocsp_cert);
	EVP_PKEY_free(ca->ocsp_key);
	ca->ocsp_cert = x;
	ca->ocsp_key = k;
	/* Key first: a certificate on disk always has its key beside it. */
	if (keys_write_private(keyp, k, true, err, sizeof(err)) == -1 ||
	    ca_write_cert(pem, x, true, err, sizeof(err)) == -1)
		log_warn("ca: OCSP signer kept in memory only: %s", err);
	else
		log_info("ca: new OCSP signer in %s", pem);
	return 0;
}

int
ca_ocsp_signer(struct ca *ca, time_t now, X509 **cert, EVP_PKEY **key,
    X509 **issuer, const char **issuer_pem)
{
	struct ca_intermediate	*is = ca_current(ca);
	char			 pem[PATH_MAX], keyp[PATH_MAX];
	int			 rc = -1;

	*cert = NULL;
	*key = NULL;
	if (statedir_join(ca->dir, SIGNER_PEM, pem, sizeof(pem)) == -1 ||
	    statedir_join(ca->dir, SIGNER_KEY, keyp, sizeof(keyp)) == -1) {
		log_err("ca: state directory path too long");
		return -1;
	}
	pthread_mutex_lock(&ca->ocsp_lock);
	if (ca->ocsp_is != is || !signer_fresh(ca->ocsp_cert, ca->ocsp_key,
	    is, now)) {
		load_signer(ca, is, now, pem, keyp);
		if (!signer_fresh(ca->ocsp_cert, ca->ocsp_key, is, now) &&
		    renew_signer(ca, is, now, pem, keyp) == -1)
			goto out;
		ca->ocsp_is = is;
	}
	if (X509_up_ref(ca->ocsp_cert) != 1)
		goto out;
	if (EVP_PKEY_up_ref(ca->ocsp_key) != 1) {
		X509_free(ca->ocsp_cert);
		goto out;
	}
	*cert = ca->ocsp_cert;
	*key = ca->ocsp_key;
	*issuer = is->cert;
	*issuer_pem = is->pem;
	rc = 0;
out:
	pthread_mutex_unlock(&ca->ocsp_lock);
	return rc;
}
