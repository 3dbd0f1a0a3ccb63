/* ocsp.c - the OCSP responder on the ACME listener: HTTP in and out, status from the RA, signer from the CA (RFC 6960) */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "acme/acme.h"
#include "ca.h"
#include "httpd.h"
#include "log.h"
#include "ocsp.h"
#include "ocsp_der.h"
#include "ra.h"

#define CT_REQ	"application/ocsp-request"
#define CT_RESP	"application/ocsp-response"

struct ocsp {
	struct ra	*ra;
	struct ca	*ca;
};

struct ocsp *
ocsp_new(struct ra *ra, struct ca *ca, char *err, size_t errsz)
{
	struct ocsp	*o;
	X509		*cert, *issuer;
	EVP_PKEY	*key;
	const char	*ipem;

	if (ca_ocsp_signer(ca, time(NULL), &cert, &key, &issuer, &ipem) ==
	    -1) {
		snprintf(err, errsz, "ocsp: cannot make the OCSP signing "
		    "certificate (see the log above)");
		return NULL;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	o->ra = ra;
	o->ca = ca;
	return o;
}

void
ocsp_free(struct ocsp *o)
{
	free(o);
}

/*
 * RFC 6960 appendix A.1: the GET path is the URL-encoded base64 of the
 * DER. httpd has %-decoded it; a '+' a client left unencoded may have
 * become ' ', and some clients send base64url or drop the padding.
 * Returns a new buffer (free) of *len bytes, or NULL.
 */
static unsigned char *
b64_decode(const char *s, size_t *len)
{
	EVP_ENCODE_CTX	*ctx;
	unsigned char	*out = NULL;
	char		*in;
	size_t		 n = strlen(s), i;
	int		 a = 0, b = 0;

	if (n == 0 || n > (OCSP_REQUEST_MAX / 3 + 2) * 4 ||
	    (in = malloc(n + 4)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		in[i] = s[i] == ' ' ? '+' : s[i] == '-' ? '+' :
		    s[i] == '_' ? '/' : s[i];
	while (i % 4 != 0)
		in[i++] = '=';
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL ||
	    (out = malloc(i / 4 * 3 + 3)) == NULL)
		goto fail;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &a, (unsigned char *)in, (int)i) < 0 ||
	    EVP_DecodeFinal(ctx, out + a, &b) != 1)
		goto fail;
	*len = (size_t)(a + b);
	EVP_ENCODE_CTX_free(ctx);
	free(in);
	return out;
fail:
	EVP_ENCODE_CTX_free(ctx);
	free(in);
	free(out);
	return NULL;
}

static void
reply_der(struct http_response *resp, unsigned char *der, size_t len,
    long max_age)
{
	char *body;

	if (der == NULL || (body = malloc(len)) == NULL) {
		OPENSSL_free(der);
		http_response_set_body(resp, 500, NULL, NULL, 0);
		return;
	}
	memcpy(body, der, len);
	OPENSSL_free(der);
	http_response_set_body(resp, 200, CT_RESP, body, len);
	/* RFC 5019 §6.2: cacheable until nextUpdate; errors not at all. */
	if (max_age > 0)
		(void)http_response_add_header(resp, "Cache-Control",
		    "max-age=%ld, public, no-transform, must-revalidate",
		    max_age);
	else
		(void)http_response_add_header(resp, "Cache-Control",
		    "no-store");
}

static void
reply_error(struct http_response *resp, int status)
{
	unsigned char	*der = NULL;
	size_t		 len = 0;

	if (ocsp_response_error(status, &der, &len) == -1)
		der = NULL;
	reply_der(resp, der, len, 0);
}

/* The answer to one well-formed request. */
static void
answer(struct ocsp *o, const struct ocsp_query *q, struct http_response *resp)
{
	struct acme_cert	 c = { 0 };
	struct ocsp_answer	 a;
	X509			*signer = NULL, *issuer;
	EVP_PKEY		*key = NULL;
	const char		*ipem;
	unsigned char		*der = NULL;
	size_t			 len = 0;
	char			 err[512];
	time_t			 now = time(NULL), na;
	enum ra_result		 rc;

	if (ca_ocsp_signer(o->ca, now, &signer, &key, &issuer, &ipem) == -1) {
		reply_error(resp, OCSP_RESPONSE_STATUS_INTERNALERROR);
		return;
	}
	/* §2.3: a CertID of another issuer is not ours to answer. */
	if (!ocsp_query_issuer_is(q, issuer)) {
		reply_error(resp, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.state = OCSP_STATE_UNKNOWN;
	rc = q->serial[0] != '\0' ? ra_cert_status(o->ra, q->serial, &c, err,
	    sizeof(err)) : RA_NOTFOUND;
	if (rc == RA_ERR) {
		log_err("ocsp: %s", err);
		reply_error(resp, OCSP_RESPONSE_STATUS_TRYLATER);
		goto out;
	}
	/* Ours only if this intermediate issued it (not a retired one). */
	if (rc == RA_OK && c.chain_pem != NULL &&
	    strncmp(c.chain_pem, ipem, strlen(ipem)) == 0) {
		a.state = c.status == ACME_CERT_REVOKED ? OCSP_STATE_REVOKED :
		    OCSP_STATE_GOOD;
		a.revoked_at = c.revoked_at;
		a.reason = c.revocation_reason;
	}
	/* §4.2.2.1; never past the signer's own notAfter. */
	a.this_update = now;
	a.next_update = now + OCSP_NEXT_UPDATE_S;
	na = ca_asn1_to_time(X509_get0_notAfter(signer));
	if (na != 0 && a.next_update > na)
		a.next_update = na;
	if (ocsp_response_build(q, &a, signer, key, &der, &len) == -1) {
		log_openssl(LOG_LVL_ERROR, "ocsp: response");
		reply_error(resp, OCSP_RESPONSE_STATUS_INTERNALERROR);
		goto out;
	}
	reply_der(resp, der, len, (long)(a.next_update - now));
out:
	acme_cert_clear(&c);
	X509_free(signer);
	EVP_PKEY_free(key);
}

int
ocsp_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct ocsp		*o = arg;
	struct ocsp_query	 q;
	const char		*p = req->path, *ct = req->content_type;
	unsigned char		*buf = NULL;
	size_t			 len = 0, n = strlen(OCSP_PATH);
	bool			 get = strcmp(req->method, "GET") == 0 ||
				    strcmp(req->method, "HEAD") == 0;
	char			 err[256];

	if (strncmp(p, OCSP_PATH, n) != 0 || (p[n] != '\0' && p[n] != '/'))
		return 0;
	if (strcmp(req->method, "POST") == 0 && (p[n] == '\0' ||
	    strcmp(p + n, "/") == 0)) {
		/* §A.1: application/ocsp-request; none is taken as it. */
		if (ct != NULL && strncasecmp(ct, CT_REQ, strlen(CT_REQ)) != 0) {
			char *m = strdup("POST an OCSP request needs "
			    "Content-Type: " CT_REQ "\n");

			http_response_set_body(resp, 415, "text/plain; "
			    "charset=utf-8", m, m != NULL ? strlen(m) : 0);
			return 1;
		}
		if (req->body_too_large) {
			reply_error(resp, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
			return 1;
		}
		if (ocsp_query_parse((const unsigned char *)req->body,
		    req->bodysz, &q, err, sizeof(err)) == -1) {
			log_info("ocsp: malformedRequest: %s", err);
			reply_error(resp, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
			return 1;
		}
	} else if (get && p[n] == '/' && p[n + 1] != '\0') {
		if ((buf = b64_decode(p + n + 1, &len)) == NULL ||
		    ocsp_query_parse(buf, len, &q, err, sizeof(err)) == -1) {
			log_info("ocsp: malformedRequest: %s", buf == NULL ?
			    "GET path is not base64 of a request" : err);
			free(buf);
			reply_error(resp, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
			return 1;
		}
		free(buf);
	} else {
		char *m = strdup("OCSP: POST " OCSP_PATH " or GET " OCSP_PATH
		    "/<base64 request> (RFC 6960 appendix A)\n");

		http_response_set_body(resp, 405, "text/plain; charset=utf-8",
		    m, m != NULL ? strlen(m) : 0);
		(void)http_response_add_header(resp, "Allow", "GET, POST");
		return 1;
	}
	answer(o, &q, resp);
	ocsp_query_clear(&q);
	return 1;
}
