/* ident.h - identifier syntax and normalisation: DNS names and IPs (RFC 8555 §7.1.4, §9.7.7, RFC 8738) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_IDENT_H
#define ACME_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"
#include "acme/problem.h"

/*
 * Syntax only: which names may be issued (TLDs, public suffixes, private
 * ranges) is policy and lives in src/policy/policy.c.
 *
 * DNS rules (RFC 1035 §2.3.1 LDH, RFC 5890 §2.3.1 A-/R-LDH labels):
 *  - ASCII only (U-labels are rejected: clients must send A-labels),
 *    folded to lower case; labels 1..63 octets, name <= 253 octets;
 *  - no empty label, no trailing dot, no leading or trailing hyphen;
 *  - a label with "--" in positions 3-4 must be an "xn--" label whose
 *    punycode (RFC 3492) decodes to something non-ASCII and re-encodes
 *    to the same string; any other R-LDH label is rejected;
 *  - a wildcard is allowed only as the whole left-most label "*." and
 *    must be followed by at least TWO labels ("*.example.test" yes,
 *    "*.test" no): a wildcard over a whole TLD is never wanted on a
 *    local CA either, and this is the cheap half of Boulder's
 *    "base is not a public suffix" rule. Policy may still refuse more;
 *  - a name whose last label is all digits is rejected: that covers
 *    every IPv4 literal ("127.0.0.1", "127.0.0.0.0.1") and a TLD is never
 *    all-numeric (RFC 3696 §2); IPv6 literals fail the LDH rule. IPs
 *    must use type "ip" (RFC 8738 §3).
 *
 * IP rules (RFC 8738 §3): strict inet_pton (no leading zeros, no
 * shorthand like "127.1", no CIDR suffix, no zone id "%eth0", no
 * brackets); the value is returned in canonical inet_ntop text (RFC 5952
 * for IPv6). IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are REJECTED:
 * the same host must have one identifier, and a certificate for
 * ::ffff:127.0.0.1 is never what a client means; clients use the IPv4
 * form.
 */

/* Maximum length of a normalised DNS name (RFC 1035 §2.3.4). */
#define ACME_DNS_NAME_MAX	253
/* Enough for "x.x.x....ip6.arpa" (RFC 3596 §2.5): 64 + 9 + NUL. */
#define ACME_REVERSE_NAME_SIZE	74

/*
 * Check and normalise (type, value) into *out. *wildcard (may be NULL)
 * is set when the DNS name starts with "*."; out->value keeps the "*."
 * prefix. Returns 0, or -1 with *prob filled: malformed for a NULL or
 * empty value, rejectedIdentifier for a bad name or address (detail
 * says why; the value is not echoed). *out is untouched on failure.
 */
int	 acme_ident_parse(enum acme_ident_type type, const char *value,
	    struct acme_identifier *out, bool *wildcard,
	    struct acme_problem *prob);

/*
 * As acme_ident_parse, with the type given as its wire string ("dns",
 * "ip"). An unknown type gives unsupportedIdentifier. Returns 0 or -1.
 */
int	 acme_ident_parse_typed(const char *type, const char *value,
	    struct acme_identifier *out, bool *wildcard,
	    struct acme_problem *prob);

/*
 * For `localacme issue NAME...`: an IP if arg parses as one (the bracket
 * form "[::1]" is accepted), else a DNS name. Returns 0 or -1 (*prob
 * filled as by acme_ident_parse).
 */
int	 acme_ident_from_cli(const char *arg, struct acme_identifier *out,
	    bool *wildcard, struct acme_problem *prob);

/*
 * Sort ids[0..*n) in place (DNS before IP, then by value, byte-wise) and
 * remove duplicates; *n becomes the new count. Values must already be
 * normalised. Returns 0 (always; int for the convention and future use),
 * -1 only on a NULL argument.
 */
int	 acme_ident_list_normalize(struct acme_identifier *ids, size_t *n);

/*
 * Reverse-DNS name of an IP identifier, RFC 8738 §6 (used as the
 * tls-alpn-01 SNI): "4.3.2.1.in-addr.arpa" or the 32-nibble ip6.arpa
 * form, no trailing dot. Returns 0, or -1 if ip is not a valid IP
 * identifier or out (ACME_REVERSE_NAME_SIZE is enough) is too small.
 */
int	 acme_ident_reverse_name(const struct acme_identifier *ip, char *out,
	    size_t outsz);

/* Is s an IPv4 or IPv6 address literal acceptable as an "ip" value? */
bool	 acme_ident_is_ip(const char *s);

/* Are two normalised identifiers the same? */
bool	 acme_ident_equal(const struct acme_identifier *a,
	    const struct acme_identifier *b);

/* qsort(3) comparator for struct acme_identifier: DNS < IP, then value. */
int	 acme_ident_cmp(const void *a, const void *b);

#endif /* ACME_IDENT_H */
