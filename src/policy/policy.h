/* policy.h - which identifiers may be issued; the CA's name constraints follow from it */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_POLICY_H
#define LOCALACME_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/problem.h"

#define POLICY_MAX_DNS	64
#define POLICY_MAX_NETS	64

struct policy_net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* network address, masked */
	unsigned char	 mask[16];
	int		 prefix;	/* prefix length */
};

/*
 * A value object (no heap): the DNS suffixes and IP networks under which
 * names may be issued, or `unconstrained`. RFC 5280 §4.2.1.10: a dNSName
 * constraint "test" permits "test" and every name below it.
 */
struct policy {
	bool			 unconstrained;
	char			 dns[POLICY_MAX_DNS][ACME_IDENT_VALUE_SIZE];
	size_t			 ndns;
	struct policy_net	 nets[POLICY_MAX_NETS];
	size_t			 nnets;
};

/*
 * The default policy: localhost and names under localhost, test,
 * example, invalid, local, internal, home.arpa; 127.0.0.0/8, ::1/128,
 * 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7.
 */
void	 policy_init_default(struct policy *p);

/* A policy that allows every syntactically valid name. */
void	 policy_init_unconstrained(struct policy *p);

/*
 * Widen p by a DNS suffix ("corp.example") or a network ("10.1.0.0/16",
 * a bare address is a /32 or /128). Returns 0, or -1 with err saying
 * what is wrong with `what`. A duplicate is ignored.
 */
int	 policy_permit(struct policy *p, const char *what, char *err,
	    size_t errsz);

/*
 * May `id` be issued? For DNS, id->value may carry the "*." prefix or
 * `wildcard` may say so; either way the base name must be within a
 * permitted suffix. An IP must be inside a permitted network.
 */
bool	 policy_allows(const struct policy *p, const struct acme_identifier *id,
	    bool wildcard);

/*
 * Check a list (wildcards may be NULL). Returns 0 when all are allowed,
 * else -1 with *prob a rejectedIdentifier problem carrying one
 * subproblem per refused identifier (RFC 8555 §6.7.1).
 */
int	 policy_check_list(const struct policy *p,
	    const struct acme_identifier *ids, const bool *wildcards, size_t n,
	    struct acme_problem *prob);

/*
 * The critical nameConstraints extension for p (DNS and IP permitted
 * subtrees, HARDENING §5.4). *out is a new extension (caller frees with
 * X509_EXTENSION_free), or NULL when p is unconstrained. Returns 0 or -1.
 */
int	 policy_nc_extension(const struct policy *p, X509_EXTENSION **out);

/*
 * Read the policy back from a CA certificate's nameConstraints (the one
 * source of truth): no extension means unconstrained. Returns 0, or -1 if
 * the extension holds something we would not have written.
 */
int	 policy_from_cert(struct policy *p, X509 *cert);

/* Text of the policy for humans ("localhost, test, ..., 127.0.0.0/8"). */
void	 policy_describe(const struct policy *p, char *buf, size_t sz);

#endif /* LOCALACME_POLICY_H */
