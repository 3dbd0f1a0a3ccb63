/* ocsp.h - the OCSP responder on the ACME listener (--ocsp, RFC 6960) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_OCSP_H
#define LOCALACME_OCSP_H

#include <stddef.h>

struct ca;
struct ra;
struct http_request;
struct http_response;

/* Where it answers (base_url + this is the leaves' AIA OCSP URL). */
#define OCSP_PATH	"/ocsp"

/* How long a response is good for: nextUpdate - thisUpdate (s). */
#define OCSP_NEXT_UPDATE_S	3600

/*
 * The responder: the status of our certificates from the RA
 * (ra_cert_status), signed by the CA's delegated OCSP signer
 * (ca_ocsp_signer), which it asks for once here so a CA that cannot make
 * one stops serve. Both are borrowed and must outlive it. Returns NULL
 * with a one-line reason in err.
 */
struct ocsp	*ocsp_new(struct ra *ra, struct ca *ca, char *err,
		    size_t errsz);
void		 ocsp_free(struct ocsp *o);

/*
 * For wfe_opts.ocsp: answers POST OCSP_PATH (application/ocsp-request)
 * and GET OCSP_PATH/<base64 of the DER request> (RFC 6960 appendix A.1)
 * with application/ocsp-response, and returns 1; any other path, 0.
 * Thread-safe.
 */
int		 ocsp_handle(void *arg, const struct http_request *req,
		    struct http_response *resp);

#endif /* LOCALACME_OCSP_H */
