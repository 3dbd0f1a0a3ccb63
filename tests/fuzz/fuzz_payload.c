/* fuzz_payload.c - libFuzzer target: every request payload decoder (RFC 8555 §7.3-§7.6) */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme/ident.h"
#include "acme/payload.h"
#include "fuzz.h"

/*
 * Input: a selector byte, then the payload JSON text. The selector picks
 * newAccount, account update, newOrder, finalize, revokeCert, keyChange
 * (inner payload) or authorization update. The text is loaded as the WFE
 * loads it (acme_jws_payload_json: no duplicates, an object).
 * Properties of a success: every bounded field is NUL-terminated and in
 * range; contacts are mailto: URIs; order identifiers are normalised
 * (each re-parses to itself), strictly sorted, 1..100; a revocation
 * reason is a CRLReason we accept. A failure is a 4xx problem.
 */

static void
check_contacts(const char (*c)[ACME_CONTACT_SIZE], size_t n)
{
	FUZZ_CHECK(n <= ACME_MAX_CONTACTS, "%zu contacts", n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(memchr(c[i], '\0', ACME_CONTACT_SIZE) != NULL,
		    "contact %zu not terminated", i);
		FUZZ_CHECK(strncmp(c[i], "mailto:", 7) == 0 &&
		    strchr(c[i], '@') != NULL, "contact \"%s\"", c[i]);
		for (const char *p = c[i]; *p != '\0'; p++)
			FUZZ_CHECK((unsigned char)*p > ' ' && *p != 0x7f,
			    "control character in a contact");
	}
}

static void
check_order(const struct acme_req_new_order *o)
{
	struct acme_identifier	 again;
	struct acme_problem	 prob;
	bool			 w;

	FUZZ_CHECK(o->nids >= 1 && o->nids <= ACME_MAX_IDENTIFIERS, "%zu ids",
	    o->nids);
	for (size_t i = 0; i < o->nids; i++) {
		FUZZ_CHECK(acme_ident_parse(o->ids[i].type, o->ids[i].value,
		    &again, &w, &prob) == 0 && strcmp(again.value,
		    o->ids[i].value) == 0 && w == o->wildcard[i],
		    "identifier \"%s\" is not normalised", o->ids[i].value);
		if (i > 0)
			FUZZ_CHECK(acme_ident_cmp(&o->ids[i - 1], &o->ids[i]) < 0,
			    "identifiers not sorted and unique at %zu", i);
	}
	if (o->not_before != 0 && o->not_after != 0)
		FUZZ_CHECK(o->not_after > o->not_before, "window");
	FUZZ_CHECK(memchr(o->profile, '\0', sizeof(o->profile)) != NULL &&
	    memchr(o->replaces, '\0', sizeof(o->replaces)) != NULL,
	    "unterminated profile/replaces");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acme_req_new_order	 order;
	struct acme_req_new_account		 na;
	struct acme_req_account_update		 au;
	struct acme_req_revoke			 rv;
	struct acme_req_key_change		 kc;
	struct acme_problem			 prob;
	json_t					*p;
	char					*csr = NULL;
	bool					 deact = false;
	int					 rc = -1;

	if (size < 1)
		return 0;
	p = json_loadb((const char *)data + 1, size - 1,
	    JSON_REJECT_DUPLICATES, NULL);
	if (p == NULL || !json_is_object(p)) {
		json_decref(p);
		return 0;
	}
	memset(&prob, 0, sizeof(prob));
	switch (data[0] % 7) {
	case 0:
		if ((rc = acme_payload_new_account(p, &na, &prob)) == 0) {
			check_contacts((const char (*)[ACME_CONTACT_SIZE])
			    na.contact, na.ncontact);
			FUZZ_CHECK(na.eab == NULL || json_is_object(na.eab),
			    "eab kind");
		}
		break;
	case 1:
		if ((rc = acme_payload_account_update(p, &au, &prob)) == 0)
			check_contacts((const char (*)[ACME_CONTACT_SIZE])
			    au.contact, au.ncontact);
		break;
	case 2:
		if ((rc = acme_payload_new_order(p, &order, &prob)) == 0)
			check_order(&order);
		break;
	case 3:
		if ((rc = acme_payload_finalize(p, &csr, &prob)) == 0)
			FUZZ_CHECK(csr != NULL && csr[0] != '\0', "empty csr");
		else
			FUZZ_CHECK(csr == NULL, "csr left on failure");
		free(csr);
		break;
	case 4:
		memset(&rv, 0, sizeof(rv));
		if ((rc = acme_payload_revoke(p, &rv, &prob)) == 0) {
			FUZZ_CHECK(rv.cert_der != NULL && rv.cert_len > 0,
			    "no certificate");
			FUZZ_CHECK(!rv.has_reason || (rv.reason >= 0 &&
			    rv.reason <= 10 && rv.reason != 7 && rv.reason != 8),
			    "reason %d", rv.reason);
		} else
			FUZZ_CHECK(rv.cert_der == NULL, "certificate left on "
			    "failure");
		acme_req_revoke_clear(&rv);
		break;
	case 5:
		memset(&kc, 0, sizeof(kc));
		if ((rc = acme_payload_key_change(p, &kc, &prob)) == 0)
			FUZZ_CHECK(kc.account[0] != '\0' &&
			    json_is_object(kc.old_key), "key change members");
		else
			FUZZ_CHECK(kc.old_key == NULL, "oldKey left on failure");
		acme_req_key_change_clear(&kc);
		break;
	default:
		if ((rc = acme_payload_authz_update(p, &deact, &prob)) == 0)
			FUZZ_CHECK(deact, "update without deactivation");
		break;
	}
	if (rc == -1)
		FUZZ_CHECK(prob.status >= 400 && prob.status < 500,
		    "status %d type %d", prob.status, (int)prob.type);
	json_decref(p);
	return 0;
}
