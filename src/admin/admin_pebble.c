/* admin_pebble.c - Pebble's JSON shapes of cert-status-by-serial and set-renewal-info, beside ours */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "acme/acme.h"
#include "acme/payload.h"
#include "admin_internal.h"
#include "ca.h"

int
admin_pebble_status(json_t *j, const struct acme_cert *c)
{
	const char	*s = c->serial;
	char		 t[64];
	struct tm	 tm;
	time_t		 at = c->revoked_at;
	int		 rc = 0;

	while (s[0] == '0' && s[1] != '\0')
		s++;	/* Go's big.Int.Text(16) */
	rc |= json_object_set_new(j, "Status", json_string(
	    c->status == ACME_CERT_REVOKED ? "Revoked" : "Valid"));
	rc |= json_object_set_new(j, "Serial", json_string(s));
	rc |= json_object_set_new(j, "Certificate", json_string(c->pem != NULL ?
	    c->pem : ""));
	if (c->status != ACME_CERT_REVOKED)
		return rc == 0 ? 0 : -1;
	rc |= json_object_set_new(j, "Reason",
	    json_integer(c->revocation_reason));
	/* time.Time.UTC().String(): "2006-01-02 15:04:05 +0000 UTC" */
	if (gmtime_r(&at, &tm) == NULL ||
	    strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm) == 0)
		return -1;
	rc |= json_object_set_new(j, "RevokedAt", json_string(t));
	return rc == 0 ? 0 : -1;
}

/* The member of j named key in any case (Go's encoding/json), or NULL. */
static json_t *
member(json_t *j, const char *key)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(j, k, v)
		if (strcasecmp(k, key) == 0)
			return v;
	return NULL;
}

int
admin_pebble_renewal(json_t *j, char hex[ACME_SERIAL_SIZE], time_t *start,
    time_t *end, const char **url, json_t **owner, char *why, size_t whysz)
{
	json_t		*pem = member(j, "Certificate"), *ari = member(j,
			    "ARIResponse"), *r = NULL;
	json_error_t	 jerr;
	const char	*s, *e;
	BIO		*bio = NULL;
	X509		*x = NULL;
	int		 rc = -1;

	*owner = NULL;
	*url = NULL;
	if (pem == NULL && ari == NULL)
		return 0;
	if (!json_is_string(pem) || !json_is_string(ari)) {
		snprintf(why, whysz, "Pebble's body needs \"Certificate\" (PEM) "
		    "and \"ARIResponse\" (a JSON string)");
		return -1;
	}
	if ((bio = BIO_new_mem_buf(json_string_value(pem),
	    (int)json_string_length(pem))) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    ca_serial_hex(x, hex) == -1) {
		snprintf(why, whysz, "\"Certificate\" is not a PEM certificate");
		goto out;
	}
	/* RFC 9773 §4.2: the renewalInfo object Pebble would serve. */
	if ((r = json_loads(json_string_value(ari), JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL || json_unpack_ex(r, &jerr, 0,
	    "{s:{s:s, s:s}, s?:s}", "suggestedWindow", "start", &s, "end", &e,
	    "explanationURL", url) != 0) {
		snprintf(why, whysz, "\"ARIResponse\" is not a renewalInfo "
		    "object: {\"suggestedWindow\": {\"start\", \"end\"}, "
		    "\"explanationURL\"?}");
		*url = NULL;
		goto out;
	}
	if (acme_time_parse_rfc3339(s, start) == -1 ||
	    acme_time_parse_rfc3339(e, end) == -1 || *end <= *start) {
		snprintf(why, whysz, "start and end must be RFC 3339 times, "
		    "end after start");
		*url = NULL;
		goto out;
	}
	*owner = r;
	r = NULL;
	rc = 1;
out:
	ERR_clear_error();
	json_decref(r);
	X509_free(x);
	BIO_free(bio);
	return rc;
}
