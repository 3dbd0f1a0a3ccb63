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
 * The transition tables: RFC 8555 §7.1.6 draws one state diagram per
 * object (account, order, authorization, challenge); every edge drawn
 * there is marked ACME_EDGE_RFC below. The server needs two kinds of edge
 * more, named as such so that no caller can take one by accident:
 *
 *  - recovery (HARDENING I5): at start-up an order left "processing" by
 *    a crash becomes "invalid" (an RFC edge too, "Error"), and a
 *    challenge left "processing" returns to "pending" so that the client
 *    may answer it again (not in the diagram: the RFC has no server that
 *    dies during a validation);
 *  - expiry: the sweep that moves pending or valid authorizations past
 *    "expires" to "expired" and pending or ready orders past theirs (or
 *    with such an authorization) to "invalid" (all RFC edges, named for
 *    the sweep that takes them).
 *
 * A status "transitioning" to itself is not a transition: no table holds
 * a from == to edge, so a caller that only wants to write a changed status
 * can use them as a guard. (The challenge diagram draws a
 * processing->processing retry loop; a retry leaves the status as it is
 * and needs no transition.)
 */
#define RFC	ACME_EDGE_RFC
#define RECOVER	ACME_EDGE_RECOVERY
#define EXPIRE	ACME_EDGE_EXPIRY

/* RFC 8555 §7.1.6, account: client deactivation (§7.3.6), server revocation. */
static const unsigned char account_edges[][3] = {
	[ACME_ACCOUNT_VALID] = {
		[ACME_ACCOUNT_DEACTIVATED] = RFC,
		[ACME_ACCOUNT_REVOKED] = RFC,
	},
	/* deactivated, revoked: final */
	[ACME_ACCOUNT_REVOKED] = { 0 },
};

/* RFC 8555 §7.1.6, order. */
static const unsigned char order_edges[][5] = {
	[ACME_ORDER_PENDING] = {
		/* All authorizations valid, or one failed / expired. */
		[ACME_ORDER_READY] = RFC,
		[ACME_ORDER_INVALID] = RFC | EXPIRE,
	},
	[ACME_ORDER_READY] = {
		/* Finalize received, or an error before it. */
		[ACME_ORDER_PROCESSING] = RFC,
		[ACME_ORDER_INVALID] = RFC | EXPIRE,
	},
	[ACME_ORDER_PROCESSING] = {
		/* Certificate issued, or issuance failed (or died: I5). */
		[ACME_ORDER_VALID] = RFC,
		[ACME_ORDER_INVALID] = RFC | RECOVER,
	},
	/* valid, invalid: final */
	[ACME_ORDER_INVALID] = { 0 },
};

/* RFC 8555 §7.1.6, authorization. */
static const unsigned char authz_edges[][6] = {
	/*
	 * Challenge valid / failed; and in the diagram "pending" also
	 * joins the arrows to deactivated (client, §7.5.2), expired (time)
	 * and revoked (server).
	 */
	[ACME_AUTHZ_PENDING] = {
		[ACME_AUTHZ_VALID] = RFC,
		[ACME_AUTHZ_INVALID] = RFC,
		[ACME_AUTHZ_DEACTIVATED] = RFC,
		[ACME_AUTHZ_EXPIRED] = RFC | EXPIRE,
		[ACME_AUTHZ_REVOKED] = RFC,
	},
	[ACME_AUTHZ_VALID] = {
		[ACME_AUTHZ_DEACTIVATED] = RFC,
		[ACME_AUTHZ_EXPIRED] = RFC | EXPIRE,
		[ACME_AUTHZ_REVOKED] = RFC,
	},
	/* invalid, deactivated, expired, revoked: final */
	[ACME_AUTHZ_REVOKED] = { 0 },
};

/* RFC 8555 §7.1.6, challenge. */
static const unsigned char chall_edges[][4] = {
	/*
	 * A challenge leaves "pending" only when the client responds
	 * (§7.5.1), and then goes to "processing"; the diagram has no
	 * pending->valid or pending->invalid edge, so the RA must pass
	 * through processing even when validation is synchronous.
	 */
	[ACME_CHALL_PENDING] = {
		[ACME_CHALL_PROCESSING] = RFC,
	},
	[ACME_CHALL_PROCESSING] = {
		[ACME_CHALL_PENDING] = RECOVER,	/* not in the RFC (I5) */
		[ACME_CHALL_VALID] = RFC,
		[ACME_CHALL_INVALID] = RFC,
	},
	/* valid, invalid: final */
	[ACME_CHALL_INVALID] = { 0 },
};

#undef RFC
#undef RECOVER
#undef EXPIRE

/* tab[from][to] & kinds, for a table of n x n; out of range: no edge. */
#define EDGE(tab, from, to, kinds)					\
	((size_t)(from) < sizeof(tab) / sizeof((tab)[0]) &&		\
	    (size_t)(to) < sizeof((tab)[0]) &&				\
	    ((tab)[from][to] & (kinds)) != 0)

bool
acme_account_edge(enum acme_account_status from,
    enum acme_account_status to, unsigned kinds)
{
	return EDGE(account_edges, from, to, kinds);
}

bool
acme_order_edge(enum acme_order_status from, enum acme_order_status to,
    unsigned kinds)
{
	return EDGE(order_edges, from, to, kinds);
}

bool
acme_authz_edge(enum acme_authz_status from, enum acme_authz_status to,
    unsigned kinds)
{
	return EDGE(authz_edges, from, to, kinds);
}

bool
acme_chall_edge(enum acme_chall_status from, enum acme_chall_status to,
    unsigned kinds)
{
	return EDGE(chall_edges, from, to, kinds);
}

bool
acme_order_transition_ok(enum acme_order_status from,
    enum acme_order_status to)
{
	return acme_order_edge(from, to, ACME_EDGE_RFC);
}

bool
acme_authz_transition_ok(enum acme_authz_status from,
    enum acme_authz_status to)
{
	return acme_authz_edge(from, to, ACME_EDGE_RFC);
}

bool
acme_chall_transition_ok(enum acme_chall_status from,
    enum acme_chall_status to)
{
	return acme_chall_edge(from, to, ACME_EDGE_RFC);
}

bool
acme_account_transition_ok(enum acme_account_status from,
    enum acme_account_status to)
{
	return acme_account_edge(from, to, ACME_EDGE_RFC);
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
