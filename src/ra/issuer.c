/* issuer.c - issuance outside ACME orders and the store record of a signed leaf */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "store/store.h"
#include "ca.h"
#include "issuer.h"
#include "keys.h"

#define SERIAL_TRIES	5

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

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
issuer_serial_hex(X509 *x, char out[ACME_SERIAL_SIZE])
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

int
issuer_cert_record(X509 *leaf, const char *chain_pem,
    const struct acme_identifier *ids, size_t n, const char *source,
    struct acme_cert *out)
{
	if (issuer_serial_hex(leaf, out->serial) == -1)
		return -1;
	out->status = ACME_CERT_VALID;
	snprintf(out->source, sizeof(out->source), "%s", source);
	out->not_before = asn1_time(X509_get0_notBefore(leaf));
	out->not_after = asn1_time(X509_get0_notAfter(leaf));
	out->issued = time(NULL);
	spki_thumbprint(leaf, out->key_thumbprint);
	if ((out->names = names_csv(ids, n)) == NULL ||
	    (out->pem = keys_cert_pem(leaf)) == NULL ||
	    (out->chain_pem = strdup(chain_pem != NULL ? chain_pem : "")) ==
	    NULL)
		return -1;
	return 0;
}

int
issuer_issue(struct ca *ca, struct store *st, struct ca_leaf_req *req,
    char serial_buf[ACME_SERIAL_SIZE], const char *source, X509 **leaf,
    const char **chain, char *err, size_t errsz)
{
	struct acme_cert	 rec = { 0 };
	enum store_status	 ss = STORE_ERR;
	int			 rc = -1;

	*leaf = NULL;
	for (int tries = 0; tries < SERIAL_TRIES; tries++) {
		if (ca_new_serial(serial_buf) == -1) {
			snprintf(err, errsz, "cannot draw a serial number");
			return -1;
		}
		if ((ss = store_serial_reserve(st, serial_buf, NULL)) !=
		    STORE_CONFLICT)
			break;
	}
	if (ss != STORE_OK) {
		snprintf(err, errsz, "database: %s", store_errmsg(st));
		return -1;
	}
	req->serial = serial_buf;
	if (ca_sign_leaf(ca, req, leaf, chain) == -1) {
		(void)store_serial_fail(st, serial_buf);  /* nothing was signed */
		snprintf(err, errsz, "signing failed (see the log)");
		return -1;
	}
	if (issuer_cert_record(*leaf, *chain, req->idents, req->nident, source,
	    &rec) == -1) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (store_cert_insert(st, &rec) != STORE_OK) {
		snprintf(err, errsz, "database: %s", store_errmsg(st));
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		X509_free(*leaf);
		*leaf = NULL;
	}
	acme_cert_clear(&rec);
	return rc;
}
