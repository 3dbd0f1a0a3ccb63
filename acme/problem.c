/* problem.c - problem types, safe details, problem+json (RFC 8555 §6.7) */
/* SPDX-License-Identifier: MIT */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "acme/acme.h"
#include "acme/jws.h"
#include "acme/problem.h"

#define URN_PREFIX	"urn:ietf:params:acme:error:"

/*
 * RFC 8555 §6.7 names. RFC 8555 fixes no HTTP status per type; these
 * follow Pebble's acme/problems.go (alreadyReplaced: RFC 9773 §5).
 */
static const struct {
	const char	*name;
	const char	*urn;
	int		 status;
} types[ACME_P__MAX] = {
	[ACME_P_MALFORMED] = { "malformed", URN_PREFIX "malformed", 400 },
	[ACME_P_BADNONCE] = { "badNonce", URN_PREFIX "badNonce", 400 },
	[ACME_P_UNAUTHORIZED] = { "unauthorized", URN_PREFIX "unauthorized", 403 },
	[ACME_P_ACCOUNTDOESNOTEXIST] = { "accountDoesNotExist",
	    URN_PREFIX "accountDoesNotExist", 400 },
	[ACME_P_ORDERNOTREADY] = { "orderNotReady",
	    URN_PREFIX "orderNotReady", 403 },
	[ACME_P_BADCSR] = { "badCSR", URN_PREFIX "badCSR", 400 },
	[ACME_P_REJECTEDIDENTIFIER] = { "rejectedIdentifier",
	    URN_PREFIX "rejectedIdentifier", 400 },
	[ACME_P_UNSUPPORTEDIDENTIFIER] = { "unsupportedIdentifier",
	    URN_PREFIX "unsupportedIdentifier", 400 },
	[ACME_P_BADSIGNATUREALGORITHM] = { "badSignatureAlgorithm",
	    URN_PREFIX "badSignatureAlgorithm", 400 },
	[ACME_P_BADPUBLICKEY] = { "badPublicKey",
	    URN_PREFIX "badPublicKey", 400 },
	[ACME_P_BADREVOCATIONREASON] = { "badRevocationReason",
	    URN_PREFIX "badRevocationReason", 400 },
	[ACME_P_ALREADYREVOKED] = { "alreadyRevoked",
	    URN_PREFIX "alreadyRevoked", 400 },
	[ACME_P_INVALIDCONTACT] = { "invalidContact",
	    URN_PREFIX "invalidContact", 400 },
	[ACME_P_UNSUPPORTEDCONTACT] = { "unsupportedContact",
	    URN_PREFIX "unsupportedContact", 400 },
	[ACME_P_EXTERNALACCOUNTREQUIRED] = { "externalAccountRequired",
	    URN_PREFIX "externalAccountRequired", 403 },
	[ACME_P_USERACTIONREQUIRED] = { "userActionRequired",
	    URN_PREFIX "userActionRequired", 403 },
	[ACME_P_RATELIMITED] = { "rateLimited", URN_PREFIX "rateLimited", 429 },
	[ACME_P_CONNECTION] = { "connection", URN_PREFIX "connection", 400 },
	[ACME_P_DNS] = { "dns", URN_PREFIX "dns", 400 },
	[ACME_P_INCORRECTRESPONSE] = { "incorrectResponse",
	    URN_PREFIX "incorrectResponse", 403 },
	[ACME_P_TLS] = { "tls", URN_PREFIX "tls", 400 },
	[ACME_P_CAA] = { "caa", URN_PREFIX "caa", 403 },
	[ACME_P_COMPOUND] = { "compound", URN_PREFIX "compound", 403 },
	[ACME_P_ALREADYREPLACED] = { "alreadyReplaced",
	    URN_PREFIX "alreadyReplaced", 409 },
	[ACME_P_INVALIDPROFILE] = { "invalidProfile",
	    URN_PREFIX "invalidProfile", 400 },
	[ACME_P_SERVERINTERNAL] = { "serverInternal",
	    URN_PREFIX "serverInternal", 500 },
};

/* An out-of-range type is a bug; answer as serverInternal, never crash. */
static enum acme_ptype
checked(enum acme_ptype t)
{
	if ((int)t < 0 || t >= ACME_P__MAX)
		return ACME_P_SERVERINTERNAL;
	return t;
}

int
acme_problem_status(enum acme_ptype t)
{
	return types[checked(t)].status;
}

const char *
acme_problem_type_urn(enum acme_ptype t)
{
	return types[checked(t)].urn;
}

const char *
acme_problem_type_name(enum acme_ptype t)
{
	return types[checked(t)].name;
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if
 * the bytes there are not one (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). *cp receives the code point.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t		 len, i;
	unsigned long	 c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Characters a client might print or interpret (HARDENING Z06,
 * CVE-2023-38198): C0 and C1 controls, DEL, line/paragraph separators
 * and bidirectional overrides.
 */
static bool
unsafe_cp(unsigned long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	    c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

/*
 * Copy src into dst (size dstsz >= 1) so that the result is valid UTF-8
 * with no unsafe characters: each invalid byte and each unsafe character
 * becomes '?'. Truncates on a character boundary.
 */
static void
sanitize(char *dst, size_t dstsz, const char *src)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 n, i = 0, o = 0, len;
	unsigned long		 cp;

	n = strlen(src);
	while (i < n) {
		len = utf8_seq(s + i, n - i, &cp);
		if (len == 0 || unsafe_cp(cp)) {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = '?';
			i += len == 0 ? 1 : len;
			continue;
		}
		if (o + len >= dstsz)
			break;
		memcpy(dst + o, s + i, len);
		o += len;
		i += len;
	}
	dst[o] = '\0';
}

/* Format into dst as sanitize() would store it. */
static void __attribute__((format(printf, 3, 0)))
vformat(char *dst, size_t dstsz, const char *fmt, va_list ap)
{
	char	 buf[ACME_PROBLEM_DETAIL_MAX * 2];

	if (fmt == NULL || vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	/*
	 * vsnprintf may have cut a multi-byte character; sanitize() turns
	 * such a tail into '?' or drops it at the dst limit.
	 */
	sanitize(dst, dstsz, buf);
}

static void __attribute__((format(printf, 4, 0)))
vset(struct acme_problem *p, enum acme_ptype t, int status,
    const char *fmt, va_list ap)
{
	memset(p, 0, sizeof(*p));
	p->type = checked(t);
	p->status = status;
	vformat(p->detail, sizeof(p->detail), fmt, ap);
}

int
acme_problem_set(struct acme_problem *p, enum acme_ptype t,
    const char *fmt, ...)
{
	va_list	 ap;

	if (p == NULL)
		return -1;
	va_start(ap, fmt);
	vset(p, t, acme_problem_status(t), fmt, ap);
	va_end(ap);
	return -1;
}

int
acme_problem_setx(struct acme_problem *p, enum acme_ptype t, int status,
    const char *fmt, ...)
{
	va_list	 ap;

	if (p == NULL)
		return -1;
	/* An HTTP error status is 4xx or 5xx; anything else is a bug. */
	if (status < 400 || status > 599)
		status = acme_problem_status(t);
	va_start(ap, fmt);
	vset(p, t, status, fmt, ap);
	va_end(ap);
	return -1;
}

int
acme_problem_add_sub(struct acme_problem *p, enum acme_ptype t, int itype,
    const char *value, const char *fmt, ...)
{
	struct acme_subproblem	*sp;
	va_list			 ap;

	if (p == NULL)
		return 0;
	if (p->nsub >= ACME_PROBLEM_SUB_MAX) {
		p->nsub_dropped++;
		return 0;
	}
	sp = &p->sub[p->nsub++];
	memset(sp, 0, sizeof(*sp));
	sp->type = checked(t);
	sp->ident.type = itype;
	sanitize(sp->ident.value, sizeof(sp->ident.value),
	    value == NULL ? "" : value);
	va_start(ap, fmt);
	vformat(sp->detail, sizeof(sp->detail), fmt, ap);
	va_end(ap);
	return 0;
}

/* RFC 8555 §6.7.1: {"type", "detail", "identifier": {"type", "value"}}. */
static json_t *
sub_json(const struct acme_subproblem *sp)
{
	json_t	*o = NULL, *id = NULL, *rv = NULL;
	char	 detail[sizeof(sp->detail)], value[sizeof(sp->ident.value)];

	/* Re-sanitize: the struct is public and may have been filled by hand. */
	sanitize(detail, sizeof(detail), sp->detail);
	sanitize(value, sizeof(value), sp->ident.value);
	if ((o = json_object()) == NULL)
		goto out;
	if (json_object_set_new(o, "type",
	    json_string(acme_problem_type_urn(sp->type))) != 0 ||
	    json_object_set_new(o, "detail", json_string(detail)) != 0)
		goto out;
	/* An identifier without a value says nothing; leave it out. */
	if (value[0] != '\0') {
		if ((id = json_object()) == NULL)
			goto out;
		if (json_object_set_new(id, "type", json_string(
		    acme_ident_type_str((enum acme_ident_type)sp->ident.type)))
		    != 0 ||
		    json_object_set_new(id, "value", json_string(value)) != 0)
			goto out;
		if (json_object_set_new(o, "identifier", id) != 0) {
			id = NULL;
			goto out;
		}
		id = NULL;
	}
	rv = o;
	o = NULL;
out:
	json_decref(id);
	json_decref(o);
	return rv;
}

/*
 * Subproblems beyond ACME_PROBLEM_SUB_MAX are not rendered; the
 * top-level detail then ends with "(N more subproblems omitted)" so the
 * client knows the list is incomplete.
 */
json_t *
acme_problem_json(const struct acme_problem *p)
{
	json_t		*o = NULL, *arr = NULL, *rv = NULL;
	char		 detail[ACME_PROBLEM_DETAIL_MAX + 64];
	char		 clean[ACME_PROBLEM_DETAIL_MAX];
	size_t		 i;
	const char	*const *alg;

	if (p == NULL)
		return NULL;
	sanitize(clean, sizeof(clean), p->detail);
	if (p->nsub_dropped > 0)
		snprintf(detail, sizeof(detail),
		    "%s%s(%zu more subproblems omitted)", clean,
		    clean[0] != '\0' ? " " : "", p->nsub_dropped);
	else
		snprintf(detail, sizeof(detail), "%s", clean);

	if ((o = json_object()) == NULL)
		goto out;
	if (json_object_set_new(o, "type",
	    json_string(acme_problem_type_urn(p->type))) != 0 ||
	    json_object_set_new(o, "detail", json_string(detail)) != 0 ||
	    json_object_set_new(o, "status",
	    json_integer(p->status != 0 ? p->status :
	    acme_problem_status(p->type))) != 0)
		goto out;

	if (p->nsub > 0) {
		if ((arr = json_array()) == NULL)
			goto out;
		for (i = 0; i < p->nsub && i < ACME_PROBLEM_SUB_MAX; i++)
			if (json_array_append_new(arr,
			    sub_json(&p->sub[i])) != 0)
				goto out;
		if (json_object_set(o, "subproblems", arr) != 0)
			goto out;
		json_decref(arr);
		arr = NULL;
	}

	/* RFC 8555 §6.2: list the algorithms we accept. */
	if (checked(p->type) == ACME_P_BADSIGNATUREALGORITHM) {
		if ((arr = json_array()) == NULL)
			goto out;
		for (alg = acme_jws_algs; *alg != NULL; alg++)
			if (json_array_append_new(arr, json_string(*alg)) != 0)
				goto out;
		if (json_object_set(o, "algorithms", arr) != 0)
			goto out;
	}
	rv = o;
	o = NULL;
out:
	json_decref(arr);
	json_decref(o);
	return rv;
}
