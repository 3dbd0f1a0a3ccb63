/* knobs_meta.c - the directory's "x-localacme-test-knobs" member: every test setting that is on, with its value */
/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "knobs.h"

/* Set o[key] = v (a new reference, NULL on allocation failure). */
static void
put(json_t *o, bool *bad, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*bad = true;
}

#define PUT_INT(k, v)	put(o, &bad, (k), json_integer((json_int_t)(v)))
#define PUT_STR(k, v)	put(o, &bad, (k), json_string(v))
#define PUT_TRUE(k)	put(o, &bad, (k), json_true())

int
knobs_meta(const struct config *cfg, json_t **out)
{
	json_t	*o;
	bool	 bad = false;

	*out = NULL;
	if ((o = json_object()) == NULL)
		return -1;
	/*
	 * One line per test setting, keyed by its flag without "--": add
	 * yours here. Only settings that are on appear.
	 */
	if (cfg->nonce_reject_pct > 0)
		PUT_INT("nonce-reject", cfg->nonce_reject_pct);
	if (cfg->authz_reuse_pct > 0)
		PUT_INT("authz-reuse", cfg->authz_reuse_pct);
	if (cfg->va_delay_ms > 0)
		PUT_INT("va-delay-ms", cfg->va_delay_ms);
	if (cfg->retry_after_form != NULL &&
	    strcmp(cfg->retry_after_form, "seconds") != 0)
		PUT_STR("retry-after-form", cfg->retry_after_form);
	if (cfg->validation_skip)
		PUT_STR("validation", "skip");
	if (cfg->strict)
		PUT_TRUE("strict");
	/* issue #15 item 4 */
	if (cfg->http01_redirect_ports != NULL &&
	    cfg->http01_redirect_ports[0] != '\0')
		PUT_STR("http01-redirect-ports", cfg->http01_redirect_ports);
	if (cfg->weak_keys)
		PUT_TRUE("weak-keys");
	if (cfg->authz_lifetime != NULL && cfg->authz_lifetime[0] != '\0')
		PUT_STR("authz-lifetime", cfg->authz_lifetime);
	if (cfg->order_lifetime != NULL && cfg->order_lifetime[0] != '\0')
		PUT_STR("order-lifetime", cfg->order_lifetime);
	if (cfg->retry_after > 0)
		PUT_INT("retry-after", cfg->retry_after);
	if (cfg->delete_revoked)
		PUT_TRUE("delete-revoked");
	/* issue #15 item 1 (--ocsp is a feature, not a test setting) */
	if (cfg->alternate_roots > 0)
		PUT_INT("alternate-roots", cfg->alternate_roots);
	/* issue #15 item 3 */
	if (cfg->dns_mock != NULL && cfg->dns_mock[0] != '\0')
		PUT_STR("dns-mock", cfg->dns_mock);

	if (bad) {
		json_decref(o);
		return -1;
	}
	if (json_object_size(o) == 0)
		json_decref(o);
	else
		*out = o;
	return 0;
}
