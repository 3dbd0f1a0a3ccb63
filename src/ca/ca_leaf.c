/* ca_leaf.c - leaf certificates: serials, profile, SAN, CRL DP, OCSP AIA and Must-Staple, signing (HARDENING §5.3); CRL signing */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "ca.h"
#include "ca_internal.h"
#include "keys.h"
#include "log.h"

int
ca_new_serial(char out[ACME_SERIAL_SIZE])
{
	unsigned char	 b[17];
	static const char hexd[] = "0123456789abcdef";

	/*
	 * The kernel's CSPRNG through the per-thread pool (acme/random.c):
	 * RAND_bytes would add a getpid(2) per issuance (OpenSSL's fork
	 * check). 135 random bits; CA/B BR §7.1 asks for 64.
	 */
	if (acme_random_bytes(b, sizeof(b)) != 0) {
		log_err("ca_new_serial: getrandom: %s", strerror(errno));
		return -1;
	}
	/* HARDENING §5.3: prefix byte 0x01-0x7F: positive, 17 octets. */
	b[0] = (unsigned char)(1 + b[0] % 0x7f);
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hexd[b[i] >> 4];
		out[2 * i + 1] = hexd[b[i] & 0xf];
	}
	out[2 * sizeof(b)] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

static GENERAL_NAMES *
make_san(const struct acme_identifier *ids, size_t n)
{
	GENERAL_NAMES	*gens;
	GENERAL_NAME	*gn = NULL;
	ASN1_STRING	*s = NULL;
	unsigned char	 ip[16];
	int		 iplen;

	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (ids[i].type == ACME_IDENT_DNS) {
			if ((s = ASN1_IA5STRING_new()) == NULL ||
			    ASN1_STRING_set(s, ids[i].value, -1) != 1)
				goto fail;
		} else {
			if (inet_pton(AF_INET, ids[i].value, ip) == 1)
				iplen = 4;
			else if (inet_pton(AF_INET6, ids[i].value, ip) == 1)
				iplen = 16;
			else
				goto fail;
			if ((s = ASN1_OCTET_STRING_new()) == NULL ||
			    ASN1_OCTET_STRING_set(s, ip, iplen) != 1)
				goto fail;
		}
		if ((gn = GENERAL_NAME_new()) == NULL)
			goto fail;
		GENERAL_NAME_set0_value(gn, ids[i].type == ACME_IDENT_DNS ?
		    GEN_DNS : GEN_IPADD, s);
		s = NULL;
		if (sk_GENERAL_NAME_push(gens, gn) == 0)
			goto fail;
		gn = NULL;
	}
	return gens;
fail:
	ASN1_STRING_free(s);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return NULL;
}

/* BR §7.1.2.7.2: CN only = the first DNS name if it fits in 64. */
const char *
ca_leaf_cn(const struct ca_leaf_req *req)
{
	if (req->no_cn)
		return NULL;	/* the profile wants an empty subject */
	for (size_t i = 0; i < req->nident; i++)
		if (req->idents[i].type == ACME_IDENT_DNS)
			return strlen(req->idents[i].value) <= 64 ?
			    req->idents[i].value : NULL;
	return NULL;
}

/* RFC 5280 §4.2.1.13: one DistributionPoint with a fullName URI. */
static DIST_POINT *
make_crldp(const char *url)
{
	DIST_POINT	*dp = NULL;
	GENERAL_NAME	*gn = NULL;
	ASN1_IA5STRING	*uri = NULL;

	if ((dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null()) ==
	    NULL || (uri = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(uri, url, -1) != 1 ||
	    (gn = GENERAL_NAME_new()) == NULL)
		goto fail;
	dp->distpoint->type = 0;	/* fullName */
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn) == 0)
		goto fail;
	return dp;
fail:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	return NULL;
}

/* The CRL distribution point, when CRLs are published (url != NULL). */
static int
add_crldp(X509 *x, const char *url)
{
	CRL_DIST_POINTS	*dps;
	DIST_POINT	*dp;
	int		 rc = -1;

	if (url == NULL || url[0] == '\0')
		return 0;
	if ((dps = sk_DIST_POINT_new_null()) == NULL)
		return -1;
	if ((dp = make_crldp(url)) != NULL && sk_DIST_POINT_push(dps, dp) == 0)
		DIST_POINT_free(dp);
	else if (dp != NULL)
		rc = ca_add_ext(x, NID_crl_distribution_points, dps, 0);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return rc;
}

/* RFC 5280 §4.2.2.1: authorityInfoAccess with one id-ad-ocsp URI (--ocsp). */
static int
add_aia(X509 *x, const char *url)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad = NULL;
	ASN1_IA5STRING		*uri = NULL;
	int			 rc = -1;

	if (url == NULL || url[0] == '\0')
		return 0;
	if ((aia = sk_ACCESS_DESCRIPTION_new_null()) == NULL)
		return -1;
	if ((ad = ACCESS_DESCRIPTION_new()) == NULL ||
	    (uri = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(uri, url, -1) != 1)
		goto out;
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(NID_ad_OCSP);
	GENERAL_NAME_set0_value(ad->location, GEN_URI, uri);
	uri = NULL;
	if (sk_ACCESS_DESCRIPTION_push(aia, ad) == 0)
		goto out;
	ad = NULL;
	rc = ca_add_ext(x, NID_info_access, aia, 0);
out:
	ASN1_IA5STRING_free(uri);
	ACCESS_DESCRIPTION_free(ad);
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}

/* RFC 7633 §4.2: TLS Feature status_request (5), OCSP Must-Staple. */
static int
add_must_staple(X509 *x, bool want)
{
	TLS_FEATURE	*f;
	ASN1_INTEGER	*i = NULL;
	int		 rc = -1;

	if (!want)
		return 0;
	if ((f = sk_ASN1_INTEGER_new_null()) == NULL)
		return -1;
	if ((i = ASN1_INTEGER_new()) == NULL || ASN1_INTEGER_set(i, 5) != 1 ||
	    sk_ASN1_INTEGER_push(f, i) == 0)
		goto out;
	i = NULL;
	rc = ca_add_ext(x, NID_tlsfeature, f, 0);
out:
	ASN1_INTEGER_free(i);
	sk_ASN1_INTEGER_pop_free(f, ASN1_INTEGER_free);
	return rc;
}

time_t
ca_leaf_backdate(time_t lifetime)
{
	time_t	 b = lifetime / 10;

	return b < CA_BACKDATE ? (b > 0 ? b : 0) : CA_BACKDATE;
}

/*
 * Compute the leaf's validity (HARDENING §5.3). 0 or -1. RFC 8555 §7.4:
 * a requested time is the certificate's exactly; what the issuer cannot
 * cover fails here (the RA refused it at newOrder already) instead of
 * being moved. Only times we choose are backdated or clamped.
 */
static int
leaf_validity(const struct ca_leaf_req *req, const struct ca_intermediate *is,
    time_t *nb, time_t *na)
{
	time_t	 now = time(NULL);
	char	 t1[LOG_TIME_RFC3339_SIZE], t2[LOG_TIME_RFC3339_SIZE];

	if (req->not_before != 0) {
		*nb = req->not_before;
		if (*nb < is->not_before) {
			log_err("ca_sign_leaf: requested notBefore %s is "
			    "before the issuer's", log_time_rfc3339(*nb, t1));
			return -1;
		}
	} else {
		*nb = now - ca_leaf_backdate(req->lifetime);
		if (*nb < is->not_before)
			*nb = is->not_before;
	}
	if (req->not_after != 0) {
		*na = req->not_after;
		if (*na > is->not_after) {
			log_err("ca_sign_leaf: requested notAfter %s is "
			    "after the issuer's", log_time_rfc3339(*na, t1));
			return -1;
		}
	} else {
		if (req->lifetime < PROFILE_MIN_LIFETIME ||
		    req->lifetime > PROFILE_MAX_LIFETIME) {
			log_err("ca_sign_leaf: a lifetime of %lld s is out of "
			    "range", (long long)req->lifetime);
			return -1;
		}
		/* Both ends count (RFC 5280 §4.1.2.5): one second less. */
		*na = *nb + req->lifetime - 1;
		if (*na > is->not_after)
			*na = is->not_after;
	}
	if (*na <= *nb || *na - *nb > PROFILE_MAX_LIFETIME) {
		log_err("ca_sign_leaf: bad validity %s..%s",
		    log_time_rfc3339(*nb, t1), log_time_rfc3339(*na, t2));
		return -1;
	}
	return 0;
}

int
ca_sign_leaf(struct ca *ca, const struct ca_leaf_req *req, X509 **out,
    const char **chain_pem)
{
	struct ca_intermediate	*is = ca_current(ca);
	X509		*x = NULL;
	X509_NAME	*subj = NULL;
	GENERAL_NAMES	*san = NULL;
	const char	*cn;
	char		 err[256];
	bool		 is_rsa = false;
	time_t		 nb, na;
	int		 rc = -1;
	static const int ku_ec[] = { 0 };	/* digitalSignature */
	static const int ku_rsa[] = { 0, 2 };	/* + keyEncipherment */

	*out = NULL;
	/* Must-Staple without a responder would make an unusable leaf. */
	if (req->nident == 0 || req->nident > ACME_MAX_IDENTIFIERS ||
	    req->serial == NULL || req->pubkey == NULL ||
	    (req->must_staple && (req->ocsp_url == NULL ||
	    req->ocsp_url[0] == '\0'))) {
		log_err("ca_sign_leaf: bad request");
		return -1;
	}
	if (!keys_leaf_acceptable(req->pubkey, &is_rsa)) {
		log_err("ca_sign_leaf: subject key type not allowed");
		return -1;
	}
	if (leaf_validity(req, is, &nb, &na) == -1)
		return -1;
	if ((subj = X509_NAME_new()) == NULL)
		goto out;
	cn = ca_leaf_cn(req);
	if (cn != NULL && X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1)
		goto out;
	if ((x = ca_new_cert(req->serial, subj, X509_get_subject_name(is->cert),
	    req->pubkey, req->spki, nb, na)) == NULL)
		goto out;
	if ((san = make_san(req->idents, req->nident)) == NULL) {
		log_err("ca_sign_leaf: bad identifier");
		goto out;
	}
	/* RFC 5280 §4.2.1.6: SAN critical iff the subject is empty. */
	if (ca_add_bc(x, false, -1) == -1 ||
	    ca_add_ku(x, is_rsa ? ku_rsa : ku_ec, is_rsa ? 2 : 1) == -1 ||
	    ca_add_eku(x, req->client_auth) == -1 ||
	    ca_add_ext(x, NID_subject_alt_name, san,
	    cn == NULL ? 1 : 0) == -1 ||
	    ca_add_aki(x, X509_get0_subject_key_id(is->cert)) == -1 ||
	    add_crldp(x, req->crl_url) == -1 ||
	    add_aia(x, req->ocsp_url) == -1 ||
	    add_must_staple(x, req->must_staple) == -1 ||
	    ca_sign_cert(x, is->key) == -1)
		goto out;
	/* HARDENING §5.3 pre-issuance check: never return a bad cert. */
	if (ca_check_leaf(x, is->cert, req, err, sizeof(err)) == -1) {
		log_err("ca_sign_leaf: pre-issuance check failed: %s", err);
		goto out;
	}
	*out = x;
	x = NULL;
	if (chain_pem != NULL)
		*chain_pem = is->pem;
	rc = 0;
out:
	if (rc == -1 && ERR_peek_error() != 0)
		log_openssl(LOG_LVL_ERROR, "ca_sign_leaf");
	GENERAL_NAMES_free(san);
	X509_NAME_free(subj);
	X509_free(x);
	return rc;
}

char *
ca_fullchain_pem(X509 *leaf, const char *chain)
{
	char	*lp, *out;
	size_t	 a, b;

	if ((lp = keys_cert_pem(leaf)) == NULL)
		return NULL;
	a = strlen(lp);
	b = chain != NULL ? strlen(chain) : 0;
	if ((out = malloc(a + b + 1)) != NULL) {
		memcpy(out, lp, a);
		if (b > 0)
			memcpy(out + a, chain, b);
		out[a + b] = '\0';
	}
	free(lp);
	return out;
}

int
ca_sign_crl(struct ca *ca, X509_CRL *crl, const char **issuer_pem)
{
	struct ca_intermediate		*is = ca_current(ca);
	AUTHORITY_KEYID		*aki = NULL;
	const ASN1_OCTET_STRING	*kid;
	int			 rc = -1;

	if ((kid = X509_get0_subject_key_id(is->cert)) == NULL) {
		log_err("ca_sign_crl: intermediate has no subjectKeyIdentifier");
		return -1;
	}
	/* RFC 5280 §5.1.2.1: v2, since the CRL carries extensions. */
	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(is->cert)) != 1)
		goto out;
	/* §5.2.1: keyIdentifier of the signing key, non-critical. */
	if ((aki = AUTHORITY_KEYID_new()) == NULL ||
	    (aki->keyid = ASN1_OCTET_STRING_dup(kid)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0,
	    X509V3_ADD_REPLACE) != 1)
		goto out;
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, is->key, ca_md_for(is->key)) <= 0)
		goto out;
	if (issuer_pem != NULL)
		*issuer_pem = is->pem;
	rc = 0;
out:
	if (rc == -1)
		log_openssl(LOG_LVL_ERROR, "ca_sign_crl");
	AUTHORITY_KEYID_free(aki);
	return rc;
}

/* The serial of x as the store writes it (ca.h). */
int
ca_serial_hex(X509 *x, char out[ACME_SERIAL_SIZE])
{
	BIGNUM		*bn;
	unsigned char	 buf[32];
	int		 len;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL)
		return -1;
	len = BN_num_bytes(bn);
	if (len > 0 && len <= 20 && !BN_is_negative(bn))
		BN_bn2bin(bn, buf);
	else
		len = -1;
	BN_free(bn);
	if (len <= 0)
		return -1;
	for (int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
	return 0;
}
