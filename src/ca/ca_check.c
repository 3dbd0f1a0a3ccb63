/* ca_check.c - ca_check_leaf: the post-signing lint of a leaf against our profile (HARDENING §5.3) */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "ca_internal.h"
#include "keys.h"

/* The leaf's CRL DP is exactly req->crl_url, non-critical. 0 or -1. */
static int
check_crldp(X509 *leaf, const struct ca_leaf_req *req)
{
	CRL_DIST_POINTS	*dps;
	DIST_POINT	*dp;
	GENERAL_NAME	*gn;
	int		 rc = -1, crit;

	if ((dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, &crit,
	    NULL)) == NULL || crit != 0 || sk_DIST_POINT_num(dps) != 1)
		goto out;
	dp = sk_DIST_POINT_value(dps, 0);
	if (dp->distpoint == NULL || dp->distpoint->type != 0 ||
	    dp->reasons != NULL || dp->CRLissuer != NULL ||
	    sk_GENERAL_NAME_num(dp->distpoint->name.fullname) != 1)
		goto out;
	gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
	if (gn->type == GEN_URI &&
	    (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier) ==
	    strlen(req->crl_url) &&
	    memcmp(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
	    req->crl_url, strlen(req->crl_url)) == 0)
		rc = 0;
out:
	CRL_DIST_POINTS_free(dps);
	return rc;
}

/* The leaf's AIA is exactly one id-ad-ocsp URI req->ocsp_url, non-critical. */
static int
check_aia(X509 *leaf, const struct ca_leaf_req *req)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad;
	GENERAL_NAME		*gn;
	int			 rc = -1, crit;

	if ((aia = X509_get_ext_d2i(leaf, NID_info_access, &crit, NULL)) ==
	    NULL || crit != 0 || sk_ACCESS_DESCRIPTION_num(aia) != 1)
		goto out;
	ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	gn = ad->location;
	if (OBJ_obj2nid(ad->method) == NID_ad_OCSP && gn->type == GEN_URI &&
	    (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier) ==
	    strlen(req->ocsp_url) &&
	    memcmp(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
	    req->ocsp_url, strlen(req->ocsp_url)) == 0)
		rc = 0;
out:
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}

/* TLS Feature is exactly { status_request }, non-critical (RFC 7633 §4.2). */
static int
check_staple(X509 *leaf)
{
	TLS_FEATURE	*f;
	int		 rc = -1, crit;

	if ((f = X509_get_ext_d2i(leaf, NID_tlsfeature, &crit, NULL)) !=
	    NULL && crit == 0 && sk_ASN1_INTEGER_num(f) == 1 &&
	    ASN1_INTEGER_get(sk_ASN1_INTEGER_value(f, 0)) == 5)
		rc = 0;
	sk_ASN1_INTEGER_pop_free(f, ASN1_INTEGER_free);
	return rc;
}

static int
check_fail(char *err, size_t errsz, const char *what)
{
	snprintf(err, errsz, "%s", what);
	return -1;
}

/* The extension's criticality, or -1 if absent or present twice. */
static int
ext_crit(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i < 0 || X509_get_ext_by_NID(x, nid, i) >= 0)
		return -1;
	return X509_EXTENSION_get_critical(X509_get_ext(x, i)) ? 1 : 0;
}

static int
check_san(X509 *leaf, const struct ca_leaf_req *req, char *err, size_t errsz)
{
	GENERAL_NAMES	*gens;
	int		 rc = -1;

	if ((gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return check_fail(err, errsz, "SAN missing");
	if ((size_t)sk_GENERAL_NAME_num(gens) != req->nident) {
		check_fail(err, errsz, "SAN count differs from the request");
		goto out;
	}
	for (size_t i = 0; i < req->nident; i++) {
		GENERAL_NAME		*gn = sk_GENERAL_NAME_value(gens, (int)i);
		const struct acme_identifier *id = &req->idents[i];
		unsigned char		 ip[16];
		int			 iplen = 0;

		if (id->type == ACME_IDENT_DNS) {
			if (gn->type != GEN_DNS ||
			    (size_t)ASN1_STRING_length(gn->d.dNSName) !=
			    strlen(id->value) ||
			    memcmp(ASN1_STRING_get0_data(gn->d.dNSName),
			    id->value, strlen(id->value)) != 0) {
				check_fail(err, errsz, "SAN dNSName differs");
				goto out;
			}
			continue;
		}
		if (inet_pton(AF_INET, id->value, ip) == 1)
			iplen = 4;
		else if (inet_pton(AF_INET6, id->value, ip) == 1)
			iplen = 16;
		if (gn->type != GEN_IPADD || iplen == 0 ||
		    ASN1_STRING_length(gn->d.iPAddress) != iplen ||
		    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), ip,
		    (size_t)iplen) != 0) {
			check_fail(err, errsz, "SAN iPAddress differs");
			goto out;
		}
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The leaf's SubjectPublicKeyInfo is the request's, byte for byte. */
static int
check_spki(X509 *leaf, const struct ca_leaf_req *req)
{
	unsigned char	*a = NULL, *b = NULL;
	int		 alen, blen, rc = -1;

	alen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &a);
	blen = req->spki != NULL ? i2d_X509_PUBKEY(req->spki, &b) :
	    i2d_PUBKEY(req->pubkey, &b);
	if (alen > 0 && alen == blen && memcmp(a, b, (size_t)alen) == 0)
		rc = 0;
	OPENSSL_free(a);
	OPENSSL_free(b);
	return rc;
}

int
ca_check_leaf(X509 *leaf, X509 *issuer, const struct ca_leaf_req *req,
    char *err, size_t errsz)
{
	const ASN1_OCTET_STRING	*ikid, *lkid;
	AUTHORITY_KEYID		*aki = NULL;
	BASIC_CONSTRAINTS	*bc = NULL;
	BIGNUM			*bn = NULL;
	X509_NAME		*subj;
	unsigned char		 sb[20];
	char			*hex = NULL;
	const char		*cn;
	bool			 is_rsa = false, has_dp, has_aia;
	uint32_t		 ku, xku;
	int			 rc = -1, n, crit;

	if (X509_get_version(leaf) != X509_VERSION_3)
		return check_fail(err, errsz, "not v3");
	/* Serial: positive, 17 octets, prefix 0x01-0x7F, as reserved. */
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf),
	    NULL)) == NULL || BN_is_negative(bn) ||
	    (n = BN_num_bytes(bn)) != 17 || BN_bn2bin(bn, sb) != 17 ||
	    sb[0] < 0x01 || sb[0] > 0x7f) {
		check_fail(err, errsz, "serial not 17 positive octets");
		goto out;
	}
	if ((hex = BN_bn2hex(bn)) == NULL ||
	    OPENSSL_strcasecmp(hex, req->serial) != 0) {
		check_fail(err, errsz, "serial differs from the reserved one");
		goto out;
	}
	if (X509_NAME_cmp(X509_get_issuer_name(leaf),
	    X509_get_subject_name(issuer)) != 0) {
		check_fail(err, errsz, "issuer name differs");
		goto out;
	}
	if (ASN1_TIME_compare(X509_get0_notBefore(leaf),
	    X509_get0_notBefore(issuer)) < 0 ||
	    ASN1_TIME_compare(X509_get0_notAfter(leaf),
	    X509_get0_notAfter(issuer)) > 0 ||
	    ASN1_TIME_compare(X509_get0_notAfter(leaf),
	    X509_get0_notBefore(leaf)) <= 0) {
		check_fail(err, errsz, "validity outside the issuer's");
		goto out;
	}
	/*
	 * Exactly BC, KU, EKU, SAN, AKI (+ CRL DP, + OCSP AIA, + TLS
	 * Feature): no SKI, nothing else.
	 */
	has_dp = req->crl_url != NULL && req->crl_url[0] != '\0';
	has_aia = req->ocsp_url != NULL && req->ocsp_url[0] != '\0';
	if (X509_get_ext_count(leaf) != 5 + has_dp + has_aia +
	    req->must_staple ||
	    (has_dp && check_crldp(leaf, req) == -1) ||
	    (has_aia && check_aia(leaf, req) == -1) ||
	    (req->must_staple && check_staple(leaf) == -1) ||
	    ext_crit(leaf, NID_basic_constraints) != 1 ||
	    ext_crit(leaf, NID_key_usage) != 1 ||
	    ext_crit(leaf, NID_ext_key_usage) != 0 ||
	    ext_crit(leaf, NID_authority_key_identifier) != 0 ||
	    (crit = ext_crit(leaf, NID_subject_alt_name)) == -1) {
		check_fail(err, errsz, "extension set or criticality");
		goto out;
	}
	if ((bc = X509_get_ext_d2i(leaf, NID_basic_constraints, NULL,
	    NULL)) == NULL || bc->ca != 0 || bc->pathlen != NULL) {
		check_fail(err, errsz, "basicConstraints not CA:FALSE");
		goto out;
	}
	if (req->pubkey == NULL ||
	    !keys_leaf_acceptable(req->pubkey, &is_rsa)) {
		check_fail(err, errsz, "subject key type");
		goto out;
	}
	if (check_spki(leaf, req) == -1) {
		check_fail(err, errsz, "subject key differs from the request");
		goto out;
	}
	ku = X509_get_key_usage(leaf);
	if (ku != (is_rsa ? (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT) :
	    KU_DIGITAL_SIGNATURE)) {
		check_fail(err, errsz, "keyUsage for the key type");
		goto out;
	}
	xku = X509_get_extended_key_usage(leaf);
	if (xku != (req->client_auth ? (XKU_SSL_SERVER | XKU_SSL_CLIENT) :
	    XKU_SSL_SERVER)) {
		check_fail(err, errsz, "extKeyUsage");
		goto out;
	}
	if (check_san(leaf, req, err, errsz) == -1)
		goto out;
	subj = X509_get_subject_name(leaf);
	cn = ca_leaf_cn(req);
	if (cn == NULL) {
		if (X509_NAME_entry_count(subj) != 0 || crit != 1) {
			check_fail(err, errsz, "empty subject needs a "
			    "critical SAN");
			goto out;
		}
	} else {
		X509_NAME_ENTRY	*e;
		ASN1_STRING	*d;

		if (X509_NAME_entry_count(subj) != 1 || crit != 0 ||
		    (e = X509_NAME_get_entry(subj, 0)) == NULL ||
		    OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) !=
		    NID_commonName ||
		    (d = X509_NAME_ENTRY_get_data(e)) == NULL ||
		    (size_t)ASN1_STRING_length(d) != strlen(cn) ||
		    memcmp(ASN1_STRING_get0_data(d), cn, strlen(cn)) != 0) {
			check_fail(err, errsz, "subject is not CN = first "
			    "DNS name");
			goto out;
		}
	}
	if ((aki = X509_get_ext_d2i(leaf, NID_authority_key_identifier, NULL,
	    NULL)) == NULL || aki->issuer != NULL || aki->serial != NULL ||
	    (ikid = X509_get0_subject_key_id(issuer)) == NULL ||
	    (lkid = aki->keyid) == NULL ||
	    ASN1_OCTET_STRING_cmp(ikid, lkid) != 0) {
		check_fail(err, errsz, "authorityKeyIdentifier is not the "
		    "issuer's SKI");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	AUTHORITY_KEYID_free(aki);
	BASIC_CONSTRAINTS_free(bc);
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}
