/* object.c - RFC 8555 objects: names, transitions (§7.1.6), clear */
/* SPDX-License-Identifier: MIT */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

/* Out-of-range enum values are bugs; they render as "unknown", never NULL. */
#define NAME(tab, v) \
	(((size_t)(v) < sizeof(tab) / sizeof((tab)[0]) && (tab)[v] != NULL) ? \
	    (tab)[v] : "unknown")

static const char *const account_names[] = {
	[ACME_ACCOUNT_VALID] = "valid",
	[ACME_ACCOUNT_DEACTIVATED] = "deactivated",
	[ACME_ACCOUNT_REVOKED] = "revoked",
};

static const char *const order_names[] = {
	[ACME_ORDER_PENDING] = "pending",
	[ACME_ORDER_READY] = "ready",
	[ACME_ORDER_PROCESSING] = "processing",
	[ACME_ORDER_VALID] = "valid",
	[ACME_ORDER_INVALID] = "invalid",
};

static const char *const authz_names[] = {
	[ACME_AUTHZ_PENDING] = "pending",
	[ACME_AUTHZ_VALID] = "valid",
	[ACME_AUTHZ_INVALID] = "invalid",
	[ACME_AUTHZ_DEACTIVATED] = "deactivated",
	[ACME_AUTHZ_EXPIRED] = "expired",
	[ACME_AUTHZ_REVOKED] = "revoked",
};

static const char *const chall_names[] = {
	[ACME_CHALL_PENDING] = "pending",
	[ACME_CHALL_PROCESSING] = "processing",
	[ACME_CHALL_VALID] = "valid",
	[ACME_CHALL_INVALID] = "invalid",
};

/* RFC 8555 §8.3, §8.4; RFC 8737 §3. */
static const char *const chall_types[] = {
	[ACME_CHALL_HTTP01] = "http-01",
	[ACME_CHALL_DNS01] = "dns-01",
	[ACME_CHALL_TLSALPN01] = "tls-alpn-01",
};

/* RFC 8555 §9.7.7; RFC 8738 §3. */
static const char *const ident_types[] = {
	[ACME_IDENT_DNS] = "dns",
	[ACME_IDENT_IP] = "ip",
};

/* A certificate's state in the store (not an RFC 8555 object status). */
static const char *const cert_names[] = {
	[ACME_CERT_VALID] = "valid",
	[ACME_CERT_REVOKED] = "revoked",
};

const char *
acme_account_status_str(enum acme_account_status s)
{
	return NAME(account_names, s);
}

const char *
acme_order_status_str(enum acme_order_status s)
{
	return NAME(order_names, s);
}

const char *
acme_authz_status_str(enum acme_authz_status s)
{
	return NAME(authz_names, s);
}

const char *
acme_chall_status_str(enum acme_chall_status s)
{
	return NAME(chall_names, s);
}

const char *
acme_chall_type_str(enum acme_chall_type t)
{
	return NAME(chall_types, t);
}

const char *
acme_ident_type_str(enum acme_ident_type t)
{
	return NAME(ident_types, t);
}

const char *
acme_cert_status_str(enum acme_cert_status s)
{
	return NAME(cert_names, s);
}

/* Exact, case-sensitive match of a wire name: the RFC names are tokens. */
static int
lookup(const char *const *tab, size_t n, const char *s)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (tab[i] != NULL && strcmp(tab[i], s) == 0)
			return (int)i;
	return -1;
}

#define PARSE_FUNC(fn, type, tab)					\
int									\
fn(const char *s, type *out)						\
{									\
	int	 i;							\
									\
	if ((i = lookup(tab, sizeof(tab) / sizeof((tab)[0]), s)) < 0)	\
		return -1;						\
	if (out != NULL)						\
		*out = (type)i;						\
	return 0;							\
}

PARSE_FUNC(acme_account_status_parse, enum acme_account_status, account_names)
PARSE_FUNC(acme_order_status_parse, enum acme_order_status, order_names)
PARSE_FUNC(acme_authz_status_parse, enum acme_authz_status, authz_names)
PARSE_FUNC(acme_chall_status_parse, enum acme_chall_status, chall_names)
PARSE_FUNC(acme_cert_status_parse, enum acme_cert_status, cert_names)
PARSE_FUNC(acme_chall_type_parse, enum acme_chall_type, chall_types)
PARSE_FUNC(acme_ident_type_parse, enum acme_ident_type, ident_types)

/*
 * The transition tables below are the state diagrams of RFC 8555
 * §7.1.6. A status "transitioning" to itself is not a transition: every
 * function returns false for from == to, so a caller that only wants to
 * write a changed status can use them as a guard. (The challenge diagram
 * draws a processing->processing retry loop; a retry leaves the status
 * as it is and needs no transition.)
 */

bool
acme_order_transition_ok(enum acme_order_status from,
    enum acme_order_status to)
{
	switch (from) {
	case ACME_ORDER_PENDING:
		/* All authorizations valid, or one failed / expired. */
		return to == ACME_ORDER_READY || to == ACME_ORDER_INVALID;
	case ACME_ORDER_READY:
		/* Finalize received, or an error before it. */
		return to == ACME_ORDER_PROCESSING || to == ACME_ORDER_INVALID;
	case ACME_ORDER_PROCESSING:
		/* Certificate issued, or issuance failed. */
		return to == ACME_ORDER_VALID || to == ACME_ORDER_INVALID;
	case ACME_ORDER_VALID:
	case ACME_ORDER_INVALID:
		return false;	/* final */
	}
	return false;
}

bool
acme_authz_transition_ok(enum acme_authz_status from,
    enum acme_authz_status to)
{
	switch (from) {
	case ACME_AUTHZ_PENDING:
		/*
		 * Challenge valid / failed; and in the diagram "pending"
		 * also joins the arrows to deactivated (client, §7.5.2),
		 * expired (time) and revoked (server).
		 */
		return to == ACME_AUTHZ_VALID || to == ACME_AUTHZ_INVALID ||
		    to == ACME_AUTHZ_DEACTIVATED || to == ACME_AUTHZ_EXPIRED ||
		    to == ACME_AUTHZ_REVOKED;
	case ACME_AUTHZ_VALID:
		return to == ACME_AUTHZ_DEACTIVATED ||
		    to == ACME_AUTHZ_EXPIRED || to == ACME_AUTHZ_REVOKED;
	case ACME_AUTHZ_INVALID:
	case ACME_AUTHZ_DEACTIVATED:
	case ACME_AUTHZ_EXPIRED:
	case ACME_AUTHZ_REVOKED:
		return false;	/* final */
	}
	return false;
}

bool
acme_chall_transition_ok(enum acme_chall_status from,
    enum acme_chall_status to)
{
	switch (from) {
	case ACME_CHALL_PENDING:
		/*
		 * RFC 8555 §7.1.6: a challenge leaves "pending" only when
		 * the client responds (§7.5.1), and then goes to
		 * "processing"; the diagram has no pending->valid or
		 * pending->invalid edge, so the RA must pass through
		 * processing even when validation is synchronous.
		 */
		return to == ACME_CHALL_PROCESSING;
	case ACME_CHALL_PROCESSING:
		return to == ACME_CHALL_VALID || to == ACME_CHALL_INVALID;
	case ACME_CHALL_VALID:
	case ACME_CHALL_INVALID:
		return false;	/* final */
	}
	return false;
}

bool
acme_account_transition_ok(enum acme_account_status from,
    enum acme_account_status to)
{
	switch (from) {
	case ACME_ACCOUNT_VALID:
		/* Client deactivation (§7.3.6) or server revocation. */
		return to == ACME_ACCOUNT_DEACTIVATED ||
		    to == ACME_ACCOUNT_REVOKED;
	case ACME_ACCOUNT_DEACTIVATED:
	case ACME_ACCOUNT_REVOKED:
		return false;	/* final */
	}
	return false;
}

void
acme_account_clear(struct acme_account *a)
{
	if (a == NULL)
		return;
	free(a->jwk);
	free(a->eab);
	memset(a, 0, sizeof(*a));
}

void
acme_order_clear(struct acme_order *o)
{
	if (o == NULL)
		return;
	free(o->idents);
	free(o->authz_ids);
	memset(o, 0, sizeof(*o));
}

void
acme_authz_clear(struct acme_authz *a)
{
	/* No heap members today; clear anyway so callers need not know. */
	if (a == NULL)
		return;
	memset(a, 0, sizeof(*a));
}

void
acme_cert_clear(struct acme_cert *c)
{
	if (c == NULL)
		return;
	free(c->names);
	free(c->pem);
	free(c->chain_pem);
	memset(c, 0, sizeof(*c));
}

int
acme_order_alloc_idents(struct acme_order *o, size_t n)
{
	struct acme_identifier	 *idents = NULL;
	char			(*ids)[ACME_ID_SIZE] = NULL;
	int			  rc = -1;

	if (o == NULL)
		return -1;
	/* Checked here so no allocator ever sees an overflowing request. */
	if (n > SIZE_MAX / sizeof(*idents) || n > SIZE_MAX / sizeof(*ids))
		return -1;
	/* calloc(0) may return NULL; ask for one element instead. */
	if ((idents = calloc(n == 0 ? 1 : n, sizeof(*idents))) == NULL ||
	    (ids = calloc(n == 0 ? 1 : n, sizeof(*ids))) == NULL)
		goto out;
	free(o->idents);
	free(o->authz_ids);
	o->idents = idents;
	o->authz_ids = ids;
	o->nident = n;
	idents = NULL;
	ids = NULL;
	rc = 0;
out:
	free(idents);
	free(ids);
	return rc;
}

int
acme_account_copy(struct acme_account *dst, const struct acme_account *src)
{
	char	*jwk = NULL, *eab = NULL;

	if (dst == NULL || src == NULL)
		return -1;
	if ((src->jwk != NULL && (jwk = strdup(src->jwk)) == NULL) ||
	    (src->eab != NULL && (eab = strdup(src->eab)) == NULL)) {
		free(jwk);
		return -1;
	}
	memcpy(dst, src, sizeof(*dst));
	dst->jwk = jwk;
	dst->eab = eab;
	return 0;
}
