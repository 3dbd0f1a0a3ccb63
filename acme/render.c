/* render.c - structs -> JSON resources (RFC 8555 §7.1, §8) */
/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "acme/render.h"
#include "acme/url.h"

int
acme_time_rfc3339(time_t t, char out[32])
{
	struct tm tm;

	out[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return -1;
	if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Small helpers that take ownership of nothing but report failure, so
 * each renderer is a chain of "if (set(...) == -1) goto out".
 */
static int
set_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, json_string(s)) == 0 ? 0 : -1;
}

static int
set_url(json_t *o, const char *key, const char *base, enum acme_url_kind k,
    const char *id)
{
	char url[ACME_URL_SIZE];

	if (acme_url_build(base, k, id, url, sizeof(url)) == -1)
		return -1;
	return set_str(o, key, url);
}

static int
set_time(json_t *o, const char *key, time_t t)
{
	char buf[32];

	if (acme_time_rfc3339(t, buf) == -1)
		return -1;
	return set_str(o, key, buf);
}

static int
set_error(json_t *o, const struct acme_error *e)
{
	struct acme_problem	 p;
	json_t			*j;

	if (!e->set)
		return 0;
	memset(&p, 0, sizeof(p));
	p.type = (e->type >= 0 && e->type < ACME_P__MAX) ?
	    (enum acme_ptype)e->type : ACME_P_SERVERINTERNAL;
	p.status = e->status != 0 ? e->status : acme_problem_status(p.type);
	snprintf(p.detail, sizeof(p.detail), "%s", e->detail);
	if ((j = acme_problem_json(&p)) == NULL)
		return -1;
	return json_object_set_new(o, "error", j) == 0 ? 0 : -1;
}

static json_t *
identifier_json(const struct acme_identifier *id, bool strip_wildcard)
{
	json_t		*o;
	const char	*v = id->value;

	if (strip_wildcard && strncmp(v, "*.", 2) == 0)
		v += 2;
	if ((o = json_object()) == NULL)
		return NULL;
	if (set_str(o, "type", acme_ident_type_str(id->type)) == -1 ||
	    set_str(o, "value", v) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
render_meta(const struct acme_render_meta *m)
{
	json_t	*meta = NULL, *arr = NULL, *ret = NULL;
	size_t	 i;

	if ((meta = json_object()) == NULL)
		goto out;
	if (m->terms_of_service != NULL &&
	    set_str(meta, "termsOfService", m->terms_of_service) == -1)
		goto out;
	if (m->website != NULL && set_str(meta, "website", m->website) == -1)
		goto out;
	if (m->ncaa > 0 && m->caa_identities != NULL) {
		if ((arr = json_array()) == NULL)
			goto out;
		for (i = 0; i < m->ncaa; i++)
			if (json_array_append_new(arr,
			    json_string(m->caa_identities[i])) != 0)
				goto out;
		if (json_object_set_new(meta, "caaIdentities", arr) != 0) {
			arr = NULL;
			goto out;
		}
		arr = NULL;
	}
	if (m->external_account_required &&
	    json_object_set_new(meta, "externalAccountRequired",
	    json_true()) != 0)
		goto out;
	if (m->nprofiles > 0 && m->profile_names != NULL) {
		if ((arr = json_object()) == NULL)
			goto out;
		for (i = 0; i < m->nprofiles; i++)
			if (set_str(arr, m->profile_names[i],
			    m->profile_descs != NULL &&
			    m->profile_descs[i] != NULL ?
			    m->profile_descs[i] : "") == -1)
				goto out;
		if (json_object_set_new(meta, "profiles", arr) != 0) {
			arr = NULL;
			goto out;
		}
		arr = NULL;
	}
	if (m->validation_skipped &&
	    set_str(meta, "x-localacme-validation", "skip") == -1)
		goto out;
	if (m->test_knobs != NULL && json_object_set_new(meta,
	    ACME_META_TEST_KNOBS, json_deep_copy(m->test_knobs)) != 0)
		goto out;
	ret = meta;
	meta = NULL;
 out:
	json_decref(arr);
	json_decref(meta);
	return ret;
}

json_t *
acme_render_directory(const char *base, const struct acme_render_meta *meta)
{
	json_t	*d = NULL, *m = NULL, *ret = NULL;

	if (base == NULL || (d = json_object()) == NULL)
		goto out;
	/* RFC 8555 §7.1.1 */
	if (set_url(d, "newNonce", base, ACME_URL_NEW_NONCE, NULL) == -1 ||
	    set_url(d, "newAccount", base, ACME_URL_NEW_ACCOUNT, NULL) == -1 ||
	    set_url(d, "newOrder", base, ACME_URL_NEW_ORDER, NULL) == -1 ||
	    set_url(d, "revokeCert", base, ACME_URL_REVOKE_CERT, NULL) == -1 ||
	    set_url(d, "keyChange", base, ACME_URL_KEY_CHANGE, NULL) == -1)
		goto out;
	if (meta != NULL) {
		/* RFC 9773 §4 */
		if (meta->renewal_info && set_url(d, "renewalInfo", base,
		    ACME_URL_RENEWAL_INFO, NULL) == -1)
			goto out;
		if ((m = render_meta(meta)) == NULL)
			goto out;
		if (json_object_size(m) > 0) {
			if (json_object_set_new(d, "meta", m) != 0) {
				m = NULL;
				goto out;
			}
			m = NULL;
		}
	}
	ret = d;
	d = NULL;
 out:
	json_decref(m);
	json_decref(d);
	return ret;
}

json_t *
acme_render_account(const char *base, const struct acme_account *a)
{
	json_t		*o = NULL, *arr = NULL, *key = NULL, *eab = NULL;
	json_t		*ret = NULL;
	size_t		 i;

	if (base == NULL || a == NULL || (o = json_object()) == NULL)
		goto out;
	/* RFC 8555 §7.1.2 */
	if (set_str(o, "status", acme_account_status_str(a->status)) == -1)
		goto out;
	if (a->ncontact > 0) {
		if ((arr = json_array()) == NULL)
			goto out;
		for (i = 0; i < a->ncontact && i < ACME_MAX_CONTACTS; i++)
			if (json_array_append_new(arr,
			    json_string(a->contact[i])) != 0)
				goto out;
		if (json_object_set_new(o, "contact", arr) != 0) {
			arr = NULL;
			goto out;
		}
		arr = NULL;
	}
	if (a->tos_agreed && json_object_set_new(o, "termsOfServiceAgreed",
	    json_true()) != 0)
		goto out;
	if (set_url(o, "orders", base, ACME_URL_ACCOUNT_ORDERS, a->id) == -1)
		goto out;
	if (a->jwk != NULL) {
		if ((key = json_loads(a->jwk, JSON_REJECT_DUPLICATES, NULL)) ==
		    NULL || !json_is_object(key))
			goto out;
		if (json_object_set_new(o, "key", key) != 0) {
			key = NULL;
			goto out;
		}
		key = NULL;
	}
	/* RFC 8555 §7.3.4: "the same value as the field in the request" */
	if (a->eab != NULL) {
		if ((eab = json_loads(a->eab, JSON_REJECT_DUPLICATES, NULL)) ==
		    NULL || !json_is_object(eab))
			goto out;
		if (json_object_set_new(o, "externalAccountBinding", eab) !=
		    0) {
			eab = NULL;
			goto out;
		}
		eab = NULL;
	}
	ret = o;
	o = NULL;
 out:
	json_decref(eab);
	json_decref(key);
	json_decref(arr);
	json_decref(o);
	return ret;
}

json_t *
acme_render_order(const char *base, const struct acme_order *o)
{
	json_t		*j = NULL, *arr = NULL, *ret = NULL, *id;
	char		 url[ACME_URL_SIZE];
	size_t		 i;

	if (base == NULL || o == NULL || (j = json_object()) == NULL)
		goto out;
	/* RFC 8555 §7.1.3 */
	if (set_str(j, "status", acme_order_status_str(o->status)) == -1 ||
	    (o->expires != 0 && set_time(j, "expires", o->expires) == -1))
		goto out;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < o->nident; i++) {
		if ((id = identifier_json(&o->idents[i], false)) == NULL ||
		    json_array_append_new(arr, id) != 0)
			goto out;
	}
	if (json_object_set_new(j, "identifiers", arr) != 0) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	if ((o->not_before != 0 &&
	    set_time(j, "notBefore", o->not_before) == -1) ||
	    (o->not_after != 0 && set_time(j, "notAfter", o->not_after) == -1))
		goto out;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; o->authz_ids != NULL && i < o->nident; i++) {
		if (acme_url_authz(base, o->authz_ids[i], url,
		    sizeof(url)) == -1 ||
		    json_array_append_new(arr, json_string(url)) != 0)
			goto out;
	}
	if (json_object_set_new(j, "authorizations", arr) != 0) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	if (set_url(j, "finalize", base, ACME_URL_FINALIZE, o->id) == -1)
		goto out;
	/* §7.1.3: "certificate" once the order is valid */
	if (o->status == ACME_ORDER_VALID && o->cert_serial[0] != '\0' &&
	    set_url(j, "certificate", base, ACME_URL_CERT,
	    o->cert_serial) == -1)
		goto out;
	if (set_error(j, &o->error) == -1)
		goto out;
	if (o->profile[0] != '\0' && set_str(j, "profile", o->profile) == -1)
		goto out;
	if (o->replaces[0] != '\0' &&
	    set_str(j, "replaces", o->replaces) == -1)
		goto out;
	ret = j;
	j = NULL;
 out:
	json_decref(arr);
	json_decref(j);
	return ret;
}

json_t *
acme_render_challenge(const char *base, const struct acme_challenge *c)
{
	json_t *j = NULL, *ret = NULL;

	if (base == NULL || c == NULL || (j = json_object()) == NULL)
		goto out;
	/* RFC 8555 §8, §8.3, §8.4; RFC 8737 §3 */
	if (set_str(j, "type", acme_chall_type_str(c->type)) == -1 ||
	    set_url(j, "url", base, ACME_URL_CHALLENGE, c->id) == -1 ||
	    set_str(j, "status", acme_chall_status_str(c->status)) == -1 ||
	    set_str(j, "token", c->token) == -1)
		goto out;
	if (c->status == ACME_CHALL_VALID && c->validated != 0 &&
	    set_time(j, "validated", c->validated) == -1)
		goto out;
	if (set_error(j, &c->error) == -1)
		goto out;
	ret = j;
	j = NULL;
 out:
	json_decref(j);
	return ret;
}

json_t *
acme_render_authz(const char *base, const struct acme_authz *a)
{
	json_t	*j = NULL, *arr = NULL, *ret = NULL, *x;
	size_t	 i;

	if (base == NULL || a == NULL || (j = json_object()) == NULL)
		goto out;
	/* RFC 8555 §7.1.4: the identifier never carries "*." */
	if ((x = identifier_json(&a->ident, true)) == NULL)
		goto out;
	if (json_object_set_new(j, "identifier", x) != 0 ||
	    set_str(j, "status", acme_authz_status_str(a->status)) == -1 ||
	    (a->expires != 0 && set_time(j, "expires", a->expires) == -1))
		goto out;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < a->nchall && i < ACME_CHALL__MAX; i++) {
		/*
		 * RFC 8555 §7.1.4: a valid authorization lists the challenge
		 * that was validated, an invalid one the challenge attempted;
		 * challenges never attempted are left out (as Boulder does).
		 */
		if ((a->status == ACME_AUTHZ_VALID ||
		    a->status == ACME_AUTHZ_INVALID) &&
		    a->chall[i].status == ACME_CHALL_PENDING)
			continue;
		if ((x = acme_render_challenge(base, &a->chall[i])) == NULL ||
		    json_array_append_new(arr, x) != 0)
			goto out;
	}
	if (json_object_set_new(j, "challenges", arr) != 0) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	if ((a->wildcard || strncmp(a->ident.value, "*.", 2) == 0) &&
	    json_object_set_new(j, "wildcard", json_true()) != 0)
		goto out;
	ret = j;
	j = NULL;
 out:
	json_decref(arr);
	json_decref(j);
	return ret;
}

json_t *
acme_render_orders_list(const char *base, const char (*ids)[ACME_ID_SIZE],
    size_t n)
{
	json_t	*j = NULL, *arr = NULL, *ret = NULL;
	char	 url[ACME_URL_SIZE];
	size_t	 i;

	if (base == NULL || (ids == NULL && n > 0) ||
	    (j = json_object()) == NULL || (arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (acme_url_order(base, ids[i], url, sizeof(url)) == -1 ||
		    json_array_append_new(arr, json_string(url)) != 0)
			goto out;
	}
	/* RFC 8555 §7.1.2.1 */
	if (json_object_set_new(j, "orders", arr) != 0) {
		arr = NULL;
		goto out;
	}
	arr = NULL;
	ret = j;
	j = NULL;
 out:
	json_decref(arr);
	json_decref(j);
	return ret;
}
