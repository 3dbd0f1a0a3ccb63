/* va_internal.h - shared pieces of the VA's challenge modules (not for other modules) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_VA_INTERNAL_H
#define LOCALACME_VA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ares.h>

#include "acme/problem.h"
#include "va.h"

/* Most addresses tried for one name. */
#define VA_MAX_ADDRS		8
/* Longest excerpt of attacker-supplied bytes put into a detail. */
#define VA_EXCERPT_MAX		40

struct va_addr {
	int		 family;		/* AF_INET or AF_INET6 */
	unsigned char	 bytes[16];		/* 4 or 16 used */
	char		 text[46];		/* inet_ntop form, no brackets */
};

struct va_addrs {
	struct va_addr	 a[VA_MAX_ADDRS];
	size_t		 n;
};

/* Effective option values (defaults applied to zeros). */
unsigned	 va_opt_http01_port(const struct va_opts *opts);
unsigned	 va_opt_tlsalpn01_port(const struct va_opts *opts);
unsigned	 va_opt_timeout_s(const struct va_opts *opts);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t		 va_now_ms(void);
/* Milliseconds left until deadline (0 when passed). */
int64_t		 va_left_ms(int64_t deadline);

/* One-time process setup of libcurl and c-ares (pthread_once). 0 or -1. */
int		 va_global_init(void);

/*
 * Is s a valid "NAME=IP" pin? On success (0) the name (lower-cased) and
 * address are written to name/addr (sizes in bytes). -1 otherwise.
 */
int		 va_pin_parse(const char *s, char *name, size_t namesz,
		    struct va_addr *addr);

/* Does name look like an LDH DNS name (a resolvable host)? */
bool		 va_name_ok(const char *name);

/*
 * One validation: the options it runs under and the c-ares channel that
 * all its lookups share (each hop's A/AAAA, the CAA climb, the TXT of
 * dns-01). The channel is made at the first lookup and destroyed by
 * va_call_end: each validation reads the system's resolver settings
 * afresh (a laptop changes networks while serve runs) and never uses a
 * channel another validation used. Without ARES_FLAG_STAYOPEN, c-ares
 * opens new sockets (new source ports) for each round of lookups on
 * the channel. Owned by one thread.
 */
struct va_call {
	const struct va_opts	*opts;
	ares_channel		 ch;		/* NULL until the first lookup */
	unsigned		 nchannels;	/* channels made (tests) */
};

/* A call on opts with no channel yet. */
void		 va_call_begin(struct va_call *vc, const struct va_opts *opts);
/* Destroy the call's channel, if any. Idempotent. */
void		 va_call_end(struct va_call *vc);

/*
 * The call's channel, made on first use: server from dns_resolver when
 * set, no search domains, per-try timeout bounded by the deadline. NULL
 * on failure (logged).
 */
ares_channel	 va_call_channel(struct va_call *vc, int64_t deadline);

/*
 * Run the channel's queries until they all complete or the deadline
 * passes. Every query started on the channel has had its callback when
 * this returns (late ones with ARES_ECANCELLED), so their state may go
 * out of scope. 0, or -1 on a poll error.
 */
int		 va_call_wait(struct va_call *vc, int64_t deadline);

/*
 * Resolve name by the VA's rules (va.h). IP literals (no brackets) are
 * returned as they are. Returns 0 with out->n >= 1, or -1 with *prob
 * filled (dns for lookup failures, serverInternal otherwise).
 */
int		 va_resolve(struct va_call *vc, const char *name,
		    int64_t deadline, struct va_addrs *out,
		    struct acme_problem *prob);

/*
 * Write a printable, escaped excerpt of n bytes into out (size outsz,
 * always NUL-terminated): at most VA_EXCERPT_MAX source bytes and what
 * fits, control and non-ASCII bytes and '"' '\\' as \xHH, "..."
 * appended when cut.
 */
void		 va_excerpt(const unsigned char *p, size_t n, char *out,
		    size_t outsz);

/* RFC 8738 §6: "1.0.0.127.in-addr.arpa" / nibble ip6.arpa name. 0 or -1. */
int		 va_reverse_name(const struct va_addr *a, char *out,
		    size_t outsz);

/* "1.2.3.4:80" or "[::1]:80" into out. */
void		 va_addr_port(const struct va_addr *a, unsigned port, char *out,
		    size_t outsz);

/*
 * The challenge checks. Each returns 0 with res filled (valid or a
 * problem), or -1 with a serverInternal problem in res->prob.
 */
int		 va_http01(struct va_call *vc, const struct va_request *req,
		    int64_t deadline, struct va_result *res);
int		 va_tlsalpn01(struct va_call *vc, const struct va_request *req,
		    int64_t deadline, struct va_result *res);
int		 va_dns01(struct va_call *vc, const struct va_request *req,
		    int64_t deadline, struct va_result *res);
/*
 * RFC 8659 after a valid challenge (opts->caa_check): leaves res valid,
 * or turns it into a caa or dns problem. The CAA sets of every name
 * from the identifier up to its TLD are asked at once; the answers are
 * judged in climbing order (§3), as one query after another would be.
 * 0, or -1 (internal error).
 */
int		 va_caa(struct va_call *vc, const struct va_request *req,
		    int64_t deadline, struct va_result *res);

#endif /* LOCALACME_VA_INTERNAL_H */
