/* fuzz_ocsp.c - libFuzzer target: OCSP request parsing and response building (RFC 6960) */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "fuzz.h"
#include "log.h"
#include "ocsp_der.h"

/*
 * Input: the body of POST /ocsp (a DER OCSPRequest). Properties: a
 * request that parses has its one CertID and a serial that is "" or
 * lower-case hex of at most 20 octets; whatever state we answer, the
 * response builds, reads back as successful, verifies with the CA's
 * delegated signer chained to the root (with the delegation checks when
 * the CertID names our intermediate), and echoes a nonce it was sent.
 * A request that does not parse leaves nothing allocated (q zeroed).
 */

static struct ca	*ca;
static X509		*signer, *issuer;
static EVP_PKEY		*skey;

static void
setup(void)
{
	const char	*ipem;
	char		 err[512];

	if (ca != NULL)
		return;
	log_setup(LOG_LVL_ERROR, LOG_FMT_TEXT);
	if ((ca = ca_open(fuzz_tmpdir(), true, NULL, NULL, err,
	    sizeof(err))) == NULL)
		fuzz_fail(__FILE__, __LINE__, "ca_open", "%s", err);
	if (ca_ocsp_signer(ca, time(NULL), &signer, &skey, &issuer, &ipem) ==
	    -1)
		fuzz_fail(__FILE__, __LINE__, "ca_ocsp_signer", "no signer");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocsp_query	 q;
	struct ocsp_answer	 a;
	OCSP_RESPONSE		*r;
	OCSP_BASICRESP		*bs;
	X509_STORE		*store;
	STACK_OF(X509)		*other;
	const unsigned char	*p;
	unsigned char		*der = NULL;
	size_t			 len = 0, n;
	char			 err[256];
	bool			 ours;

	setup();
	if (ocsp_query_parse(data, size, &q, err, sizeof(err)) == -1) {
		FUZZ_CHECK(q.req == NULL && q.id == NULL, "failed parse kept "
		    "state");
		return 0;
	}
	FUZZ_CHECK(q.id != NULL, "no CertID");
	n = strlen(q.serial);
	FUZZ_CHECK(n <= 40 && n % 2 == 0 && strspn(q.serial,
	    "0123456789abcdef") == n, "serial '%s'", q.serial);
	/* The responder answers only its own issuer's CertIDs (§2.3). */
	ours = ocsp_query_issuer_is(&q, issuer);
	memset(&a, 0, sizeof(a));
	a.state = (enum ocsp_cert_state)(size % 3);
	a.this_update = time(NULL);
	a.next_update = a.this_update + 3600;
	a.revoked_at = a.this_update - 60;
	a.reason = (int)(size % 12) - 1;
	FUZZ_CHECK(ocsp_response_build(&q, &a, signer, skey, &der, &len) == 0,
	    "response build");
	p = der;
	FUZZ_CHECK((r = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) != NULL &&
	    OCSP_response_status(r) == OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    "response does not read back");
	FUZZ_CHECK((bs = OCSP_response_get1_basic(r)) != NULL, "no basic");
	store = X509_STORE_new();
	other = sk_X509_new_null();
	X509_STORE_add_cert(store, ca_root_cert(ca));
	sk_X509_push(other, issuer);
	FUZZ_CHECK(OCSP_basic_verify(bs, other, store, ours ? 0 :
	    OCSP_NOCHECKS) == 1,
	    "response does not verify");
	FUZZ_CHECK(OCSP_check_nonce(q.req, bs) > 0, "nonce not echoed");
	sk_X509_free(other);
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	ocsp_query_clear(&q);
	return 0;
}
