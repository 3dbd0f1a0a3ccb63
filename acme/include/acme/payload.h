/* payload.h - type-strict decoding of JWS request payloads (newAccount, account update, newOrder, finalize, revoke, keyChange, authz update) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_PAYLOAD_H
#define ACME_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme.h"
#include "acme/problem.h"

/*
 * Every decoder takes the already-parsed JWS payload object. Members we
 * do not know are ignored and never reflected (RFC 8555 §7.3, §7.5.1);
 * a member we know with the wrong JSON type is malformed (HARDENING
 * J21). On -1 *prob is filled and the output holds nothing the caller
 * must free. Output structs need not be initialised.
 *
 * A challenge response (RFC 8555 §7.5.1) is "{}": any JSON object is
 * accepted and its members ignored, so it has no decoder here; the WFE
 * only checks that the payload is an object.
 */

/* Largest base64url "certificate" accepted by revokeCert (~48 KiB DER). */
#define ACME_PAYLOAD_CERT_B64_MAX	65536

/* RFC 8555 §7.3 */
struct acme_req_new_account {
	bool		 only_return_existing;	/* onlyReturnExisting */
	bool		 tos_agreed;		/* termsOfServiceAgreed */
	bool		 has_contact;		/* "contact" was present */
	char		 contact[ACME_MAX_CONTACTS][ACME_CONTACT_SIZE];
	size_t		 ncontact;
	const json_t	*eab;	/* borrowed from p: externalAccountBinding
				   object, or NULL when absent */
};

/*
 * Decode a newAccount payload. Contacts (RFC 8555 §7.3): an array of
 * strings, at most ACME_MAX_CONTACTS, each shorter than
 * ACME_CONTACT_SIZE; only "mailto:" URIs (scheme case-insensitive,
 * stored as "mailto:") else unsupportedContact; exactly one addr-spec
 * local@domain with a valid DNS domain, no hfields ('?'), no ',', no
 * percent-encoding, no whitespace or control characters, else
 * invalidContact (HARDENING A05-A07). Returns 0 or -1.
 */
int	 acme_payload_new_account(const json_t *p,
	    struct acme_req_new_account *out, struct acme_problem *prob);

/* RFC 8555 §7.3.2, §7.3.6 */
struct acme_req_account_update {
	bool		 has_contact;	/* replace contacts ([] clears them) */
	char		 contact[ACME_MAX_CONTACTS][ACME_CONTACT_SIZE];
	size_t		 ncontact;
	bool		 deactivate;	/* "status":"deactivated" */
};

/*
 * Decode an account update. "contact" as for newAccount; "status", if
 * present, must be the string "deactivated" (else malformed, HARDENING
 * A11). "key"/"jwk" and other members are ignored (A14: keys change only
 * through keyChange). Returns 0 or -1.
 */
int	 acme_payload_account_update(const json_t *p,
	    struct acme_req_account_update *out, struct acme_problem *prob);

/* RFC 8555 §7.4. About 28 KiB: heap-allocate it or keep it static. */
struct acme_req_new_order {
	struct acme_identifier	 ids[ACME_MAX_IDENTIFIERS]; /* normalised,
							   sorted, unique */
	bool			 wildcard[ACME_MAX_IDENTIFIERS];
	size_t			 nids;
	time_t			 not_before;	/* 0 = absent */
	time_t			 not_after;	/* 0 = absent */
	char			 profile[ACME_PROFILE_SIZE]; /* "" = absent */
	char			 replaces[128];	/* RFC 9773; "" = absent */
};

/*
 * Decode a newOrder payload:
 *  - "identifiers": a non-empty array (else malformed, HARDENING O01) of
 *    at most ACME_MAX_IDENTIFIERS entries (else rejectedIdentifier, O12;
 *    counted before de-duplication), each an object with string "type"
 *    and non-empty string "value" (else malformed, O03);
 *  - each identifier goes through acme_ident_parse_typed; every bad one
 *    adds ONE subproblem carrying the identifier (RFC 8555 §6.7.1). The
 *    top-level type is unsupportedIdentifier when every bad identifier
 *    has an unknown type (O02), rejectedIdentifier otherwise (O05-O11);
 *  - the list is normalised, sorted and de-duplicated (O04, O13);
 *  - "notBefore"/"notAfter": RFC 3339 strings (acme_time_parse_rfc3339),
 *    notAfter after notBefore when both are given; else malformed.
 *    Whether the window is allowed is the RA's policy (O14);
 *  - "profile" (draft-ietf-acme-profiles) and "replaces" (RFC 9773):
 *    strings that fit their fields, else malformed. Whether the profile
 *    exists is the RA's call.
 * Returns 0 or -1.
 */
int	 acme_payload_new_order(const json_t *p,
	    struct acme_req_new_order *out, struct acme_problem *prob);

/*
 * RFC 8555 §7.4 finalize: "csr" a non-empty string (HARDENING F23).
 * *csr_b64 is a new string (caller frees with free()); the CSR itself is
 * checked by acme_csr_decode. Returns 0, or -1 (*csr_b64 = NULL).
 */
int	 acme_payload_finalize(const json_t *p, char **csr_b64,
	    struct acme_problem *prob);

/* RFC 8555 §7.6 */
struct acme_req_revoke {
	unsigned char	*cert_der;	/* heap, cert_len bytes */
	size_t		 cert_len;
	int		 reason;	/* RFC 5280 §5.3.1 CRLReason; 0 if absent */
	bool		 has_reason;
};

/*
 * Decode revokeCert: "certificate" is required base64url DER (else
 * malformed, HARDENING V08; only the encoding is checked here, the
 * caller compares the DER to what was issued). "reason", if present,
 * must be a JSON integer in {0,1,2,3,4,5,6,9,10} (7 is unused and 8,
 * removeFromCRL, is not a revocation); anything else, including "1" as
 * a string, is badRevocationReason (V07). On success the caller clears
 * *out with acme_req_revoke_clear. Returns 0 or -1.
 */
int	 acme_payload_revoke(const json_t *p, struct acme_req_revoke *out,
	    struct acme_problem *prob);
/* Free cert_der and zero the struct. NULL-safe, idempotent. */
void	 acme_req_revoke_clear(struct acme_req_revoke *r);

/* RFC 8555 §7.3.5 */
struct acme_req_key_change {
	char		 account[512];	/* "account": the account URL */
	json_t		*old_key;	/* "oldKey" JWK object, new reference */
};

/*
 * Decode the INNER payload of a keyChange request: "account" a non-empty
 * string shorter than 512 and "oldKey" an object are required (else
 * malformed). The caller compares them with the outer kid and the
 * account's key. On success clear with acme_req_key_change_clear.
 * Returns 0 or -1.
 */
int	 acme_payload_key_change(const json_t *inner_payload,
	    struct acme_req_key_change *out, struct acme_problem *prob);
/* Drop old_key and zero the struct. NULL-safe, idempotent. */
void	 acme_req_key_change_clear(struct acme_req_key_change *k);

/*
 * RFC 8555 §7.5.2: an authorization update must be
 * {"status":"deactivated"} (other members ignored). Any other or missing
 * status is malformed (HARDENING C07). Sets *deactivate = true and
 * returns 0, or returns -1.
 */
int	 acme_payload_authz_update(const json_t *p, bool *deactivate,
	    struct acme_problem *prob);

/*
 * Strict RFC 3339 §5.6 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|
 * -hh:mm)", upper-case 'T' and 'Z', real calendar dates, years
 * 1970-9999, no leap second (60). Fractions are truncated. Returns 0
 * with *out in seconds since the epoch (UTC), or -1.
 */
int	 acme_time_parse_rfc3339(const char *s, time_t *out);

#endif /* ACME_PAYLOAD_H */
