/* ocsp_der.c - OCSP requests parsed and responses built and signed (RFC 6960), no I/O */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "ocsp_der.h"

void
ocsp_query_clear(struct ocsp_query *q)
{
	if (q == NULL)
		return;
	OCSP_REQUEST_free(q->req);
	memset(q, 0, sizeof(*q));
}

/* The serial as lower-case hex of its bytes; "" if no leaf of ours has it. */
static void
serial_hex(const ASN1_INTEGER *ai, char out[ACME_SERIAL_SIZE])
{
	BIGNUM		*bn;
	unsigned char	 buf[32];
	int		 len;

	out[0] = '\0';
	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL) {
		ERR_clear_error();
		return;
	}
	len = BN_num_bytes(bn);
	if (len > 0 && len <= 20 && !BN_is_negative(bn)) {
		BN_bn2bin(bn, buf);
		for (int i = 0; i < len; i++)
			snprintf(out + 2 * i, 3, "%02x", buf[i]);
	}
	BN_free(bn);
}

/* True when the decoded request encodes to exactly der[0..len). */
static bool
reencodes(OCSP_REQUEST *req, const unsigned char *der, size_t len)
{
	unsigned char	*out = NULL;
	int		 n;
	bool		 same;

	if ((n = i2d_OCSP_REQUEST(req, &out)) <= 0)
		return false;
	same = (size_t)n == len && memcmp(out, der, len) == 0;
	OPENSSL_free(out);
	return same;
}

int
ocsp_query_parse(const unsigned char *der, size_t len, struct ocsp_query *q,
    char *err, size_t errsz)
{
	const unsigned char	*p = der;
	ASN1_OBJECT		*md_obj = NULL;
	ASN1_INTEGER		*serial = NULL;
	OCSP_ONEREQ		*one;

	memset(q, 0, sizeof(*q));
	if (der == NULL || len == 0 || len > OCSP_REQUEST_MAX) {
		snprintf(err, errsz, "OCSP request of %zu bytes (1 to %d)",
		    len, OCSP_REQUEST_MAX);
		return -1;
	}
	if ((q->req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL) {
		snprintf(err, errsz, "OCSP request is not DER of an "
		    "OCSPRequest");
		goto fail;
	}
	if ((size_t)(p - der) != len) {
		snprintf(err, errsz, "OCSP request has bytes after its end");
		goto fail;
	}
	/*
	 * DER only: the request must re-encode to the bytes received. A
	 * CertID that decodes but does not encode (the fuzzer found a hash
	 * AlgorithmIdentifier whose parameters carry tag 0x20) could not be
	 * echoed in the response (RFC 6960 §4.2.1: the response repeats it).
	 */
	if (!reencodes(q->req, der, len)) {
		snprintf(err, errsz, "OCSP request is not DER (it does not "
		    "re-encode to the bytes sent)");
		goto fail;
	}
	if (OCSP_request_onereq_count(q->req) != 1) {
		snprintf(err, errsz, "OCSP request asks about %d certificates; "
		    "this responder answers for one at a time",
		    OCSP_request_onereq_count(q->req));
		goto fail;
	}
	one = OCSP_request_onereq_get0(q->req, 0);
	if ((q->id = OCSP_onereq_get0_id(one)) == NULL ||
	    OCSP_id_get0_info(NULL, &md_obj, NULL, &serial, q->id) != 1 ||
	    md_obj == NULL || serial == NULL) {
		snprintf(err, errsz, "OCSP request has no CertID");
		goto fail;
	}
	if (EVP_get_digestbyobj(md_obj) == NULL) {
		snprintf(err, errsz, "OCSP request's CertID hash algorithm is "
		    "unknown");
		goto fail;
	}
	serial_hex(serial, q->serial);
	return 0;
fail:
	ERR_clear_error();
	ocsp_query_clear(q);
	return -1;
}

bool
ocsp_query_issuer_is(const struct ocsp_query *q, X509 *issuer)
{
	ASN1_OBJECT	*md_obj = NULL;
	OCSP_CERTID	*mine;
	const EVP_MD	*md;
	bool		 ok;

	if (q->id == NULL || OCSP_id_get0_info(NULL, &md_obj, NULL, NULL,
	    q->id) != 1 || (md = EVP_get_digestbyobj(md_obj)) == NULL)
		return false;
	/* CertID of issuer's own name and key, hashed as the client did. */
	if ((mine = OCSP_cert_id_new(md, X509_get_subject_name(issuer),
	    X509_get0_pubkey_bitstr(issuer), NULL)) == NULL) {
		ERR_clear_error();
		return false;
	}
	ok = OCSP_id_issuer_cmp(mine, q->id) == 0;
	OCSP_CERTID_free(mine);
	return ok;
}

static int
encode(OCSP_RESPONSE *resp, unsigned char **der, size_t *len)
{
	int n;

	*der = NULL;
	if (resp == NULL || (n = i2d_OCSP_RESPONSE(resp, der)) <= 0) {
		*der = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int
ocsp_response_error(int status, unsigned char **der, size_t *len)
{
	OCSP_RESPONSE	*resp = OCSP_response_create(status, NULL);
	int		 rc = encode(resp, der, len);

	OCSP_RESPONSE_free(resp);
	return rc;
}

int
ocsp_response_build(const struct ocsp_query *q, const struct ocsp_answer *a,
    X509 *signer, EVP_PKEY *key, unsigned char **der, size_t *len)
{
	OCSP_BASICRESP		*bs = NULL;
	OCSP_RESPONSE		*resp = NULL;
	OCSP_CERTID		*id = NULL;
	ASN1_TIME		*thisupd = NULL, *nextupd = NULL, *rev = NULL;
	STACK_OF(X509)		*certs = NULL;
	int			 status, reason = -1, rc = -1;

	*der = NULL;
	switch (a->state) {
	case OCSP_STATE_GOOD:
		status = V_OCSP_CERTSTATUS_GOOD;
		break;
	case OCSP_STATE_REVOKED:
		status = V_OCSP_CERTSTATUS_REVOKED;
		/* RFC 5280 §5.3.1: 7 is not used; keep what is a CRLReason. */
		if (a->reason >= 0 && a->reason <= 10 && a->reason != 7)
			reason = a->reason;
		break;
	default:
		status = V_OCSP_CERTSTATUS_UNKNOWN;
		break;
	}
	if ((bs = OCSP_BASICRESP_new()) == NULL ||
	    (id = OCSP_CERTID_dup(q->id)) == NULL ||
	    (thisupd = ASN1_TIME_set(NULL, a->this_update)) == NULL ||
	    (a->next_update != 0 &&
	    (nextupd = ASN1_TIME_set(NULL, a->next_update)) == NULL) ||
	    (status == V_OCSP_CERTSTATUS_REVOKED &&
	    (rev = ASN1_TIME_set(NULL, a->revoked_at)) == NULL))
		goto out;
	/* §4.2.2.1: thisUpdate, nextUpdate; §4.2.1 revokedInfo. */
	if (OCSP_basic_add1_status(bs, id, status, reason, rev, thisupd,
	    nextupd) == NULL)
		goto out;
	/* §4.4.1: the nonce back, when the client sent one. */
	if (OCSP_REQUEST_get_ext_by_NID(q->req, NID_id_pkix_OCSP_Nonce, -1) >=
	    0 && OCSP_copy_nonce(bs, q->req) != 1)
		goto out;
	/* §4.2.2.2: the delegated signer's certificate travels along. */
	if ((certs = sk_X509_new_null()) == NULL ||
	    sk_X509_push(certs, signer) == 0)
		goto out;
	if (OCSP_basic_sign(bs, signer, key, EVP_sha256(), certs,
	    OCSP_RESPID_KEY) != 1)
		goto out;
	if ((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    bs)) == NULL)
		goto out;
	rc = encode(resp, der, len);
out:
	sk_X509_free(certs);	/* the signer is borrowed */
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(rev);
	return rc;
}
