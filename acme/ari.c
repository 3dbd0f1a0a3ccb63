/* ari.c - ACME Renewal Information (RFC 9773): certID parsing and building, renewal windows */
/* SPDX-License-Identifier: MIT */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/b64url.h"
#include "acme/problem.h"
#include "acme/render.h"

/* A DER INTEGER content is minimal and, for a serial, positive (X.690 §8.3.2). */
static bool
serial_der_ok(const unsigned char *b, size_t n)
{
	size_t mag = n;

	if (n == 0 || (b[0] & 0x80) != 0)
		return false;		/* empty or negative */
	if (n > 1 && b[0] == 0x00 && (b[1] & 0x80) == 0)
		return false;		/* superfluous leading zero */
	if (n > 1 && b[0] == 0x00)
		mag--;
	if (mag > ACME_ARI_SERIAL_MAX)
		return false;
	/* RFC 5280 §4.1.2.2: a positive integer; zero is not one. */
	return !(n == 1 && b[0] == 0x00);
}

int
acme_ari_certid_parse(const char *s, struct acme_ari_certid *out,
    struct acme_problem *prob)
{
	const char	*dot;
	unsigned char	*kid = NULL, *ser = NULL;
	size_t		 kidlen = 0, serlen = 0;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	if (s == NULL || (dot = strchr(s, '.')) == NULL ||
	    strchr(dot + 1, '.') != NULL || dot == s || dot[1] == '\0' ||
	    strlen(s) >= ACME_ARI_CERTID_SIZE) {
		acme_problem_set(prob, ACME_P_MALFORMED, "certID must be "
		    "base64url(keyIdentifier) \".\" base64url(serial) "
		    "(RFC 9773 §4.1)");
		goto out;
	}
	if ((kid = acme_b64url_decode(s, (size_t)(dot - s), &kidlen)) ==
	    NULL || kidlen == 0 || kidlen > ACME_ARI_KEYID_MAX) {
		acme_problem_set(prob, ACME_P_MALFORMED, "certID has a bad "
		    "keyIdentifier part (RFC 9773 §4.1)");
		goto out;
	}
	if ((ser = acme_b64url_decode(dot + 1, strlen(dot + 1), &serlen)) ==
	    NULL || !serial_der_ok(ser, serlen)) {
		acme_problem_set(prob, ACME_P_MALFORMED, "certID has a bad "
		    "serial part: it must be the DER encoding of a positive "
		    "serial number (RFC 9773 §4.1)");
		goto out;
	}
	memcpy(out->keyid, kid, kidlen);
	out->keyidlen = kidlen;
	memcpy(out->serial, ser, serlen);
	out->seriallen = serlen;
	rc = 0;
out:
	free(kid);
	free(ser);
	return rc;
}

int
acme_ari_certid_build(const struct acme_ari_certid *id, char *out,
    size_t outsz)
{
	size_t a, b;

	if (outsz > 0)
		out[0] = '\0';
	if (id->keyidlen == 0 || id->keyidlen > ACME_ARI_KEYID_MAX ||
	    id->seriallen == 0 || id->seriallen > ACME_ARI_SERIAL_MAX + 1)
		return -1;
	a = acme_b64url_enclen(id->keyidlen);
	b = acme_b64url_enclen(id->seriallen);
	if (a + 1 + b + 1 > outsz)
		return -1;
	acme_b64url_encode_buf(id->keyid, id->keyidlen, out);
	out[a] = '.';
	acme_b64url_encode_buf(id->serial, id->seriallen, out + a + 1);
	return 0;
}

int
acme_ari_certid_of_x509(X509 *x, char *out, size_t outsz)
{
	struct acme_ari_certid	 id;
	const ASN1_OCTET_STRING	*kid;
	const ASN1_INTEGER	*sn;
	unsigned char		*der = NULL, *p;
	int			 len, rc = -1;
	long			 clen;
	int			 tag, xclass;
	const unsigned char	*q;

	if (outsz > 0)
		out[0] = '\0';
	memset(&id, 0, sizeof(id));
	if ((kid = X509_get0_authority_key_id(x)) == NULL ||
	    ASN1_STRING_length(kid) <= 0 ||
	    ASN1_STRING_length(kid) > ACME_ARI_KEYID_MAX)
		goto out;
	memcpy(id.keyid, ASN1_STRING_get0_data(kid),
	    (size_t)ASN1_STRING_length(kid));
	id.keyidlen = (size_t)ASN1_STRING_length(kid);
	/* The INTEGER's content octets, exactly as DER encodes them. */
	sn = X509_get0_serialNumber(x);
	if ((len = i2d_ASN1_INTEGER(sn, NULL)) <= 0 ||
	    (der = malloc((size_t)len)) == NULL)
		goto out;
	p = der;
	if (i2d_ASN1_INTEGER(sn, &p) != len)
		goto out;
	q = der;
	if ((ASN1_get_object(&q, &clen, &tag, &xclass, len) & 0x80) != 0 ||
	    tag != V_ASN1_INTEGER || clen <= 0 ||
	    !serial_der_ok(q, (size_t)clen))
		goto out;
	memcpy(id.serial, q, (size_t)clen);
	id.seriallen = (size_t)clen;
	rc = acme_ari_certid_build(&id, out, outsz);
out:
	free(der);
	return rc;
}

int
acme_ari_certid_serial_hex(const struct acme_ari_certid *id,
    char out[ACME_SERIAL_SIZE])
{
	static const char	 hexd[] = "0123456789abcdef";
	const unsigned char	*b = id->serial;
	size_t			 n = id->seriallen, o = 0;

	out[0] = '\0';
	while (n > 0 && *b == 0x00) {
		b++;
		n--;
	}
	if (n == 0 || n * 2 + 1 > ACME_SERIAL_SIZE)
		return -1;
	for (size_t i = 0; i < n; i++) {
		out[o++] = hexd[b[i] >> 4];
		out[o++] = hexd[b[i] & 0xf];
	}
	out[o] = '\0';
	return 0;
}

int
acme_ari_window(time_t nb, time_t na, time_t revoked_at, time_t now,
    struct acme_ari_window *w)
{
	time_t life;

	memset(w, 0, sizeof(*w));
	if (na <= nb)
		return -1;
	life = na - nb;
	if (revoked_at != 0) {
		/* RFC 9773 §4.2: a window in the past means "renew now". */
		w->end = revoked_at < now ? revoked_at : now;
		w->start = w->end - 3600;
		return 0;
	}
	/* Two thirds to five sixths of the lifetime: inside the last third. */
	w->start = nb + (life * 2 + 2) / 3;	/* rounded up: never before 2/3 */
	w->end = nb + life * 5 / 6;
	if (w->end <= w->start)
		w->end = w->start + 1;
	if (w->end > na)
		w->end = na;
	return w->end > w->start ? 0 : -1;
}

json_t *
acme_ari_render(const struct acme_ari_window *w, const char *explanation_url)
{
	json_t	*j = NULL, *win = NULL;
	char	 s[32], e[32];

	if (acme_time_rfc3339(w->start, s) == -1 ||
	    acme_time_rfc3339(w->end, e) == -1)
		return NULL;
	if ((j = json_object()) == NULL || (win = json_object()) == NULL ||
	    json_object_set_new(win, "start", json_string(s)) != 0 ||
	    json_object_set_new(win, "end", json_string(e)) != 0)
		goto fail;
	if (json_object_set_new(j, "suggestedWindow", win) != 0) {
		win = NULL;
		goto fail;
	}
	win = NULL;
	if (explanation_url != NULL && explanation_url[0] != '\0' &&
	    json_object_set_new(j, "explanationURL",
	    json_string(explanation_url)) != 0)
		goto fail;
	return j;
fail:
	json_decref(win);
	json_decref(j);
	return NULL;
}
