/* dnsmock.h - the built-in test DNS server (serve --dns-mock): a record table and a UDP listener */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_DNSMOCK_H
#define LOCALACME_DNSMOCK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A DNS server for tests, in the manner of pebble-challtestsrv's mock DNS:
 * every name has an A and an AAAA record (the defaults, unless records
 * were added for it), and TXT, CAA, CNAME and SERVFAIL answers are set
 * through the management API (src/admin/admin_dnsmock.c). Per query,
 * in this order: a SERVFAIL host answers SERVFAIL; a CNAME host answers
 * its CNAME and, one level deep, the target's records of the type asked;
 * then A, AAAA, TXT, CAA from the table (A/AAAA: the host's own, else
 * the default); any other type has no data (NOERROR, SOA in authority).
 * UDP only; an answer beyond 512 octets is cut with TC set.
 *
 * Host names are compared case-insensitively, without a final dot. The
 * table is behind a mutex; the listener is one thread.
 */

/* Most records the table holds (each address, TXT, CAA is one). */
#define DNSMOCK_MAX_RECORDS	4096
/* Most octets of a TXT value or CAA value kept. */
#define DNSMOCK_VALUE_MAX	512

struct dnsmock;

struct dnsmock_opts {
	const char	*listen;	/* "IP:PORT" or "[V6]:PORT" */
	const char	*default_ipv4;	/* NULL/"" = no default A */
	const char	*default_ipv6;	/* NULL/"" = no default AAAA */
};

enum dnsmock_kind {
	DNSMOCK_A = 0,
	DNSMOCK_AAAA,
	DNSMOCK_TXT,
	DNSMOCK_CAA,
	DNSMOCK_CNAME,
	DNSMOCK_SERVFAIL,
	DNSMOCK_KINDS
};

/*
 * A table with the default addresses and, when opts->listen is set, a
 * bound UDP socket (not served yet). NULL with a one-line reason in err.
 * Free with dnsmock_free.
 */
struct dnsmock	*dnsmock_new(const struct dnsmock_opts *opts, char *err,
		    size_t errsz);
/* Serve on a thread of its own. 0, or -1 with err. */
int		 dnsmock_start(struct dnsmock *m, char *err, size_t errsz);
/*
 * The address a resolver on this machine should ask ("127.0.0.1:PORT",
 * "[::1]:PORT"; an unspecified listen address becomes the loopback
 * address of its family), "" without a listener.
 */
const char	*dnsmock_resolver(const struct dnsmock *m);
/* Stop the thread, close, free. NULL-safe. */
void		 dnsmock_free(struct dnsmock *m);

/*
 * Table edits (each returns 0, or -1 with a one-line reason in err: a
 * bad host, address, tag or value, or a full table).
 *  dnsmock_set_default: family 4 or 6; ip "" = no default.
 *  dnsmock_add: A/AAAA (value an address of that family), TXT (any
 *    text), CNAME (value a host; replaces the previous one), SERVFAIL
 *    (value ignored); an identical record is not added twice.
 *  dnsmock_add_caa: one CAA record, flags 0 (RFC 8659 §4.1).
 *  dnsmock_clear: every record of that kind for host.
 */
int		 dnsmock_set_default(struct dnsmock *m, int family,
		    const char *ip, char *err, size_t errsz);
int		 dnsmock_add(struct dnsmock *m, enum dnsmock_kind kind,
		    const char *host, const char *value, char *err,
		    size_t errsz);
int		 dnsmock_add_caa(struct dnsmock *m, const char *host,
		    const char *tag, const char *value, char *err,
		    size_t errsz);
int		 dnsmock_clear(struct dnsmock *m, enum dnsmock_kind kind,
		    const char *host, char *err, size_t errsz);

/*
 * The answer to one received packet, by the rules above, into out
 * (outsz octets, at least DNSW_UDP_MAX is useful). Returns its length,
 * or 0 when the packet gets no answer (too short for a header, or a
 * response). Used by the listener, the unit tests and the fuzz target.
 */
size_t		 dnsmock_answer(struct dnsmock *m, const unsigned char *pkt,
		    size_t n, unsigned char *out, size_t outsz);

#endif /* LOCALACME_DNSMOCK_H */
