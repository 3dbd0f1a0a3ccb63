/* dnsmock_wire.h - the DNS wire format of the test DNS server: a strict query parser and an answer builder */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_DNSMOCK_WIRE_H
#define LOCALACME_DNSMOCK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Only what the mock needs (RFC 1035 §4): one question in, answers out,
 * no name compression either way. Pure functions, no I/O.
 */

/* RFC 1035 §2.3.4: a name is at most 255 octets on the wire. */
#define DNSW_NAME_MAX	255
/* RFC 1035 §4.2.1: UDP answers are at most 512 octets without EDNS. */
#define DNSW_UDP_MAX	512

#define DNSW_T_A	1
#define DNSW_T_CNAME	5
#define DNSW_T_SOA	6
#define DNSW_T_TXT	16
#define DNSW_T_AAAA	28
#define DNSW_T_CAA	257
#define DNSW_C_IN	1

#define DNSW_R_NOERROR	0
#define DNSW_R_FORMERR	1
#define DNSW_R_SERVFAIL	2
#define DNSW_R_NXDOMAIN	3
#define DNSW_R_NOTIMP	4
#define DNSW_R_REFUSED	5

enum dnsw_parse {
	DNSW_OK = 0,		/* a well-formed standard query */
	DNSW_FORMERR,		/* a query, malformed: answer FORMERR */
	DNSW_NOTIMP,		/* a query with another opcode: answer NOTIMP */
	DNSW_DROP		/* no header, or a response: never answered */
};

struct dnsw_query {
	uint16_t	 id;
	bool		 rd;			/* recursion desired, echoed */
	uint16_t	 opcode;
	char		 name[DNSW_NAME_MAX + 1];	/* lower-case, no final dot; "" = root */
	uint16_t	 qtype;
	uint16_t	 qclass;
	unsigned char	 question[DNSW_NAME_MAX + 4];	/* as received (case kept) */
	size_t		 qlen;			/* octets in question; 0 = none */
};

/*
 * Parse a query: header (QR clear, QDCOUNT 1, ANCOUNT and NSCOUNT 0,
 * ARCOUNT at most 1 for an EDNS OPT, which is not read), then one
 * question whose name has no compression pointer, labels of 1-63 octets
 * of printable ASCII other than '.', at most DNSW_NAME_MAX octets.
 * Fills *q as far as it got (id and rd whenever the header is there).
 */
enum dnsw_parse	 dnsw_parse_query(const unsigned char *p, size_t n,
		    struct dnsw_query *q);

/* Append-only answer in a caller's buffer; overflow is remembered. */
struct dnsw_msg {
	unsigned char	*buf;
	size_t		 cap;
	size_t		 len;
	size_t		 qlen;		/* header + question */
	uint16_t	 ancount, nscount;
	bool		 overflow;	/* a record did not fit: TC */
};

/*
 * Start the answer to q in buf (cap octets, at least 12): header (QR,
 * AA, RA, q's id, opcode and RD, rcode) and, when q->qlen > 0, q's
 * question again, octet for octet (a resolver matching case, as in
 * draft-vixie-dnsext-dns0x20, finds its own spelling). 0, or -1 when
 * not even that fits.
 */
int		 dnsw_begin(struct dnsw_msg *m, unsigned char *buf, size_t cap,
		    const struct dnsw_query *q, unsigned rcode);
/*
 * Append one record to the answer section (authority = false) or the
 * authority section, in that order only (all answers first). The name
 * is dotted text ("" = root). 0, or -1 (bad name, or it does not fit:
 * then m->overflow is set and the message stays as it was).
 */
int		 dnsw_add_rr(struct dnsw_msg *m, bool authority,
		    const char *name, uint16_t type, uint32_t ttl,
		    const unsigned char *rdata, size_t rdlen);
/*
 * The rdata of a name (CNAME target), a TXT record (value cut into
 * character-strings of at most 255 octets; "" is one empty string) and
 * a CAA record (RFC 8659 §4.1: flags, tag length, tag, value). Each
 * returns the length written into out (outsz octets), or 0 when it does
 * not fit or is malformed (a tag must be 1-15 letters or digits).
 */
size_t		 dnsw_name_rdata(const char *name, unsigned char *out,
		    size_t outsz);
size_t		 dnsw_txt_rdata(const char *value, unsigned char *out,
		    size_t outsz);
size_t		 dnsw_caa_rdata(unsigned flags, const char *tag,
		    const char *value, unsigned char *out, size_t outsz);
/*
 * Finish: the counts into the header; after an overflow the answer is
 * cut back to the question with TC set (RFC 2181 §9). The length.
 */
size_t		 dnsw_finish(struct dnsw_msg *m);

/*
 * Is name (dotted, no final dot) one the mock keeps records for: 1-253
 * characters, labels of 1-63 of [A-Za-z0-9_*-]? The management API
 * refuses other names with a 400.
 */
bool		 dnsw_name_ok(const char *name);

#endif /* LOCALACME_DNSMOCK_WIRE_H */
