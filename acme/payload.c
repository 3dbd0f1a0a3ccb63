/* payload.c - type-strict decoding of JWS request payloads (RFC 8555 §7.3-§7.6) */
/* SPDX-License-Identifier: MIT */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/ident.h"
#include "acme/payload.h"
#include "acme/problem.h"

/*
 * A JSON string without embedded NULs (Jansson can carry "\u0000" when a
 * caller decodes with JSON_ALLOW_NUL); NULL for anything else.
 */
static const char *
cstring(const json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* Optional boolean member: absent is false; another type is malformed. */
static int
opt_bool(const json_t *p, const char *key, bool *out,
    struct acme_problem *prob)
{
	const json_t *v = json_object_get(p, key);

	*out = false;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "%s must be a boolean", key);
	*out = json_is_true(v);
	return 0;
}

static int
need_object(const json_t *p, struct acme_problem *prob)
{
	if (!json_is_object(p))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "payload must be a JSON object");
	return 0;
}

/* RFC 5322 §3.2.3 atext, plus '.' between atoms (dot-atom). */
static bool
local_part_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("!#$&'*+-/=^_`{|}~.", s[i]) != NULL))
			return false;
	}
	return true;
}

/* RFC 8555 §7.3, RFC 6068: one "mailto:" addr-spec, no hfields. */
static int
contact_parse(const json_t *v, char out[ACME_CONTACT_SIZE],
    struct acme_problem *prob)
{
	struct acme_identifier	 dom;
	struct acme_problem	 sub;
	const char		*s, *addr, *at, *c;
	bool			 wild;

	if (!json_is_string(v))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "contact must be an array of strings");
	if ((s = cstring(v)) == NULL)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact contains a NUL character");
	if (strlen(s) >= ACME_CONTACT_SIZE)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact is longer than %d characters",
		    ACME_CONTACT_SIZE - 1);
	if (strchr(s, ':') == NULL)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact is not a URI");
	if (strncasecmp(s, "mailto:", 7) != 0)
		return acme_problem_set(prob, ACME_P_UNSUPPORTEDCONTACT,
		    "only mailto: contacts are supported");
	addr = s + 7;
	for (c = addr; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
			    "contact contains whitespace, control or "
			    "non-ASCII characters");
	if (strchr(addr, '?') != NULL)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact must not have hfields ('?')");
	if (strchr(addr, ',') != NULL)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact must have exactly one address");
	if (strchr(addr, '%') != NULL)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact must not be percent-encoded");
	if ((at = strchr(addr, '@')) == NULL || strchr(at + 1, '@') != NULL ||
	    !local_part_ok(addr, (size_t)(at - addr)))
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact is not a valid email address");
	if (acme_ident_parse(ACME_IDENT_DNS, at + 1, &dom, &wild, &sub) == -1 ||
	    wild)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "contact email domain is not a valid DNS name");
	snprintf(out, ACME_CONTACT_SIZE, "mailto:%s", addr);
	return 0;
}

static int
contacts_parse(const json_t *arr, char c[][ACME_CONTACT_SIZE], size_t *n,
    struct acme_problem *prob)
{
	size_t i;

	*n = 0;
	if (!json_is_array(arr))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "contact must be an array of strings");
	if (json_array_size(arr) > ACME_MAX_CONTACTS)
		return acme_problem_set(prob, ACME_P_INVALIDCONTACT,
		    "at most %d contacts are allowed", ACME_MAX_CONTACTS);
	for (i = 0; i < json_array_size(arr); i++)
		if (contact_parse(json_array_get(arr, i), c[i], prob) == -1)
			return -1;
	*n = json_array_size(arr);
	return 0;
}

int
acme_payload_new_account(const json_t *p, struct acme_req_new_account *out,
    struct acme_problem *prob)
{
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (need_object(p, prob) == -1)
		goto fail;
	if (opt_bool(p, "onlyReturnExisting", &out->only_return_existing,
	    prob) == -1 ||
	    opt_bool(p, "termsOfServiceAgreed", &out->tos_agreed, prob) == -1)
		goto fail;
	if ((v = json_object_get(p, "contact")) != NULL) {
		if (contacts_parse(v, out->contact, &out->ncontact, prob) == -1)
			goto fail;
		out->has_contact = true;
	}
	if ((v = json_object_get(p, "externalAccountBinding")) != NULL) {
		if (!json_is_object(v)) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "externalAccountBinding must be an object");
			goto fail;
		}
		out->eab = v;
	}
	return 0;
 fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

int
acme_payload_account_update(const json_t *p,
    struct acme_req_account_update *out, struct acme_problem *prob)
{
	const json_t	*v;
	const char	*s;

	memset(out, 0, sizeof(*out));
	if (need_object(p, prob) == -1)
		goto fail;
	if ((v = json_object_get(p, "contact")) != NULL) {
		if (contacts_parse(v, out->contact, &out->ncontact, prob) == -1)
			goto fail;
		out->has_contact = true;
	}
	/* RFC 8555 §7.3.6: the only status a client may set */
	if ((v = json_object_get(p, "status")) != NULL) {
		if ((s = cstring(v)) == NULL || strcmp(s, "deactivated") != 0) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "account status may only be set to \"deactivated\"");
			goto fail;
		}
		out->deactivate = true;
	}
	return 0;
 fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* Optional string member copied into buf; too long or not a string is
 * malformed. */
static int
opt_string(const json_t *p, const char *key, char *buf, size_t bufsz,
    struct acme_problem *prob)
{
	const json_t	*v = json_object_get(p, key);
	const char	*s;

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	if ((s = cstring(v)) == NULL)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "%s must be a string", key);
	if (strlen(s) >= bufsz)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "%s is too long", key);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/*
 * draft-ietf-acme-profiles §4: a profile name the directory does not
 * advertise is invalidProfile, whatever its length or characters. One
 * too long for any advertised name (or holding a NUL) cannot be one, so
 * it is refused here; the RA judges the others against the list.
 */
static int
opt_profile(const json_t *p, char *buf, size_t bufsz,
    struct acme_problem *prob)
{
	const json_t *v = json_object_get(p, "profile");

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "profile must be a string");
	if (json_string_length(v) >= bufsz ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return acme_problem_set(prob, ACME_P_INVALIDPROFILE,
		    "unknown profile: this server offers no profile of that "
		    "name (see the directory's meta.profiles)");
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
opt_time(const json_t *p, const char *key, time_t *out,
    struct acme_problem *prob)
{
	const json_t *v = json_object_get(p, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) ||
	    acme_time_parse_rfc3339(cstring(v), out) == -1)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "%s must be an RFC 3339 date-time string", key);
	return 0;
}

int
acme_payload_new_order(const json_t *p, struct acme_req_new_order *out,
    struct acme_problem *prob)
{
	struct acme_problem	*subs = NULL;
	struct acme_problem	 one;
	const json_t		*arr, *e;
	const char		*type, *value;
	size_t			 i, n, k = 0, nbad = 0, nunsup = 0;
	bool			 wild;
	int			 rc = -1;

	memset(out, 0, sizeof(*out));
	if (need_object(p, prob) == -1)
		goto out;
	arr = json_object_get(p, "identifiers");
	/* RFC 8555 §7.4: identifiers is required */
	if (!json_is_array(arr) || (n = json_array_size(arr)) == 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "identifiers must be a non-empty array");
		goto out;
	}
	if (n > ACME_MAX_IDENTIFIERS) {
		acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "an order may have at most %d identifiers",
		    ACME_MAX_IDENTIFIERS);
		goto out;
	}
	if ((subs = calloc(1, sizeof(*subs))) == NULL) {
		acme_problem_set(prob, ACME_P_SERVERINTERNAL, "internal error");
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = json_array_get(arr, i);
		if (!json_is_object(e)) {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "each identifier must be an object");
			goto out;
		}
		if (!json_is_string(json_object_get(e, "type")) ||
		    !json_is_string(json_object_get(e, "value"))) {
			acme_problem_set(prob, ACME_P_MALFORMED, "each "
			    "identifier needs string \"type\" and \"value\"");
			goto out;
		}
		type = json_string_value(json_object_get(e, "type"));
		value = json_string_value(json_object_get(e, "value"));
		if (value[0] == '\0') {
			acme_problem_set(prob, ACME_P_MALFORMED,
			    "identifier value is empty");
			goto out;
		}
		if (cstring(json_object_get(e, "type")) == NULL ||
		    cstring(json_object_get(e, "value")) == NULL) {
			acme_problem_add_sub(subs, ACME_P_REJECTEDIDENTIFIER,
			    ACME_IDENT_DNS, value, "identifier contains NUL");
			nbad++;
			continue;
		}
		if (acme_ident_parse_typed(type, value, &out->ids[k], &wild,
		    &one) == -1) {
			nbad++;
			/* RFC 8555 §6.7.1: one subproblem per identifier */
			if (one.type == ACME_P_UNSUPPORTEDIDENTIFIER) {
				nunsup++;
				acme_problem_add_sub(subs, one.type,
				    ACME_IDENT_DNS, "", "identifier type "
				    "\"%.32s\" is not supported", type);
			} else {
				acme_problem_add_sub(subs, one.type,
				    strcmp(type, "ip") == 0 ? ACME_IDENT_IP :
				    ACME_IDENT_DNS, value, "%s", one.detail);
			}
			continue;
		}
		out->wildcard[k] = wild;
		k++;
	}
	if (nbad > 0) {
		acme_problem_set(prob, nunsup == nbad ?
		    ACME_P_UNSUPPORTEDIDENTIFIER : ACME_P_REJECTEDIDENTIFIER,
		    "%zu of %zu identifiers %s not acceptable%s", nbad, n,
		    nbad == 1 ? "is" : "are",
		    nbad == 1 && subs->nsub == 1 ? ": " : "");
		if (nbad == 1 && subs->nsub == 1) {
			size_t len = strlen(prob->detail);

			snprintf(prob->detail + len, sizeof(prob->detail) - len,
			    "%s", subs->sub[0].detail);
		}
		memcpy(prob->sub, subs->sub, sizeof(prob->sub));
		prob->nsub = subs->nsub;
		prob->nsub_dropped = subs->nsub_dropped;
		goto out;
	}
	out->nids = k;
	/* Normalise the list, keeping wildcard[] aligned (O04, O13). */
	acme_ident_list_normalize(out->ids, &out->nids);
	for (i = 0; i < out->nids; i++)
		out->wildcard[i] = strncmp(out->ids[i].value, "*.", 2) == 0;

	if (opt_time(p, "notBefore", &out->not_before, prob) == -1 ||
	    opt_time(p, "notAfter", &out->not_after, prob) == -1)
		goto out;
	if (out->not_before != 0 && out->not_after != 0 &&
	    out->not_after <= out->not_before) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "notAfter must be later than notBefore");
		goto out;
	}
	if (opt_profile(p, out->profile, sizeof(out->profile), prob) == -1 ||
	    opt_string(p, "replaces", out->replaces, sizeof(out->replaces),
	    prob) == -1)
		goto out;
	rc = 0;
 out:
	free(subs);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
acme_payload_finalize(const json_t *p, char **csr_b64,
    struct acme_problem *prob)
{
	const char *s;

	*csr_b64 = NULL;
	if (need_object(p, prob) == -1)
		return -1;
	/* RFC 8555 §7.4: "csr" (required, string) */
	s = cstring(json_object_get(p, "csr"));
	if (s == NULL || s[0] == '\0')
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "csr must be a non-empty base64url string");
	if ((*csr_b64 = strdup(s)) == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error");
	return 0;
}

int
acme_payload_revoke(const json_t *p, struct acme_req_revoke *out,
    struct acme_problem *prob)
{
	const json_t	*v;
	const char	*s;
	json_int_t	 r;

	memset(out, 0, sizeof(*out));
	if (need_object(p, prob) == -1)
		return -1;
	/* RFC 8555 §7.6: "certificate", base64url DER, required */
	s = cstring(json_object_get(p, "certificate"));
	if (s == NULL || s[0] == '\0')
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "certificate must be a non-empty base64url string");
	if (strlen(s) > ACME_PAYLOAD_CERT_B64_MAX)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "certificate is too large");
	if ((v = json_object_get(p, "reason")) != NULL) {
		/* RFC 5280 §5.3.1 codes; 7 unused, 8 removeFromCRL */
		if (!json_is_integer(v) || (r = json_integer_value(v)) < 0 ||
		    r > 10 || r == 7 || r == 8)
			return acme_problem_set(prob,
			    ACME_P_BADREVOCATIONREASON, "reason must be one "
			    "of 0, 1, 2, 3, 4, 5, 6, 9, 10");
		out->reason = (int)r;
		out->has_reason = true;
	}
	out->cert_der = acme_b64url_decode(s, strlen(s), &out->cert_len);
	if (out->cert_der == NULL || out->cert_len == 0) {
		acme_req_revoke_clear(out);
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "certificate is not base64url DER");
	}
	return 0;
}

void
acme_req_revoke_clear(struct acme_req_revoke *r)
{
	if (r == NULL)
		return;
	free(r->cert_der);
	memset(r, 0, sizeof(*r));
}

int
acme_payload_key_change(const json_t *inner_payload,
    struct acme_req_key_change *out, struct acme_problem *prob)
{
	const json_t	*k;
	const char	*s;

	memset(out, 0, sizeof(*out));
	if (need_object(inner_payload, prob) == -1)
		return -1;
	/* RFC 8555 §7.3.5: {"account": url, "oldKey": jwk} */
	s = cstring(json_object_get(inner_payload, "account"));
	if (s == NULL || s[0] == '\0' || strlen(s) >= sizeof(out->account))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "keyChange account must be an account URL string");
	k = json_object_get(inner_payload, "oldKey");
	if (!json_is_object(k))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "keyChange oldKey must be a JWK object");
	memcpy(out->account, s, strlen(s) + 1);
	out->old_key = json_incref((json_t *)k);
	return 0;
}

void
acme_req_key_change_clear(struct acme_req_key_change *k)
{
	if (k == NULL)
		return;
	json_decref(k->old_key);
	memset(k, 0, sizeof(*k));
}

int
acme_payload_authz_update(const json_t *p, bool *deactivate,
    struct acme_problem *prob)
{
	const char *s;

	*deactivate = false;
	if (need_object(p, prob) == -1)
		return -1;
	/* RFC 8555 §7.5.2: clients may only deactivate */
	s = cstring(json_object_get(p, "status"));
	if (s == NULL || strcmp(s, "deactivated") != 0)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "authorization status may only be set to \"deactivated\"");
	*deactivate = true;
	return 0;
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
acme_time_parse_rfc3339(const char *s, time_t *out)
{
	static const int mdays[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char	*p;
	int		 Y, M, D, h, m, sec, oh, om, dim;
	int64_t		 t, off = 0;

	if (s == NULL || out == NULL || strlen(s) < 20)
		return -1;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	if ((Y = digits(s, 4)) < 1970 || (M = digits(s + 5, 2)) < 1 ||
	    M > 12 || (D = digits(s + 8, 2)) < 1 ||
	    (h = digits(s + 11, 2)) < 0 || h > 23 ||
	    (m = digits(s + 14, 2)) < 0 || m > 59 ||
	    (sec = digits(s + 17, 2)) < 0 || sec > 59)
		return -1;
	dim = mdays[M - 1];
	if (M == 2 && ((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		dim = 29;
	if (D > dim)
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		/* digits() stops at the first non-digit, so no overread */
		if ((oh = digits(p + 1, 2)) < 0 || oh > 23 || p[3] != ':' ||
		    (om = digits(p + 4, 2)) < 0 || om > 59)
			return -1;
		off = (int64_t)oh * 3600 + om * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - off;
	if (t < 0)
		return -1;
	*out = (time_t)t;
	return 0;
}
