/* fuzz_dnsmock.c - libFuzzer target: the DNS mock's query parser and its answers (RFC 1035 §4) */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "dnsmock.h"
#include "dnsmock_wire.h"
#include "fuzz.h"

/*
 * Bytes as a UDP packet to a mock holding a few records of each kind.
 * Properties: (1) an answer exists iff the packet has a header with QR
 * clear, is at most DNSW_UDP_MAX octets, keeps the id, sets QR, and its
 * sections walk to exactly its end; (2) a query the parser accepts is
 * echoed octet for octet, its name is valid text that a rebuilt query
 * parses to again; (3) anything else is FORMERR, NOTIMP or REFUSED.
 */
static struct dnsmock *
mock(void)
{
	static struct dnsmock	*m;
	struct dnsmock_opts	 o = { NULL, "127.0.0.1", "::1" };
	char			 err[256];

	if (m != NULL)
		return m;
	m = dnsmock_new(&o, err, sizeof(err));
	FUZZ_CHECK(m != NULL, "dnsmock_new: %s", err);
	(void)dnsmock_add(m, DNSMOCK_A, "a.test", "10.0.0.1", err, sizeof(err));
	(void)dnsmock_add(m, DNSMOCK_AAAA, "a.test", "2001:db8::1", err,
	    sizeof(err));
	(void)dnsmock_add(m, DNSMOCK_TXT, "_acme-challenge.a.test",
	    "0123456789abcdef0123456789abcdef0123456789a", err, sizeof(err));
	(void)dnsmock_add_caa(m, "a.test", "issue", "localacme.test", err,
	    sizeof(err));
	(void)dnsmock_add(m, DNSMOCK_CNAME, "c.test", "a.test", err,
	    sizeof(err));
	(void)dnsmock_add(m, DNSMOCK_SERVFAIL, "s.test", NULL, err,
	    sizeof(err));
	return m;
}

/* Skip a name (no compression in our answers); -1 when malformed. */
static long
skip_name(const unsigned char *p, size_t n, size_t off)
{
	while (off < n) {
		if (p[off] == 0)
			return (long)off + 1;
		if (p[off] > 63)
			return -1;
		off += 1 + p[off];
	}
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char		 out[DNSW_UDP_MAX], again[DNSW_NAME_MAX + 20];
	struct dnsw_query	 q, q2;
	enum dnsw_parse		 pr;
	size_t			 len, off, i, nrr, l;
	long			 o;

	pr = dnsw_parse_query(data, size, &q);
	len = dnsmock_answer(mock(), data, size, out, sizeof(out));
	FUZZ_CHECK((len == 0) == (pr == DNSW_DROP), "answered %zu for %d",
	    len, (int)pr);
	if (len == 0)
		return 0;
	FUZZ_CHECK(len >= 12 && len <= sizeof(out), "length %zu", len);
	FUZZ_CHECK(out[0] == data[0] && out[1] == data[1], "id");
	FUZZ_CHECK(out[2] & 0x80, "QR");
	FUZZ_CHECK(out[4] == 0 && out[5] == (pr == DNSW_OK &&
	    q.qclass == DNSW_C_IN ? 1 : 0), "QDCOUNT");
	if (pr != DNSW_OK || q.qclass != DNSW_C_IN) {
		l = out[3] & 0x0f;
		FUZZ_CHECK(len == 12 && (l == DNSW_R_FORMERR ||
		    l == DNSW_R_NOTIMP || l == DNSW_R_REFUSED), "rcode %zu",
		    l);
		return 0;
	}
	FUZZ_CHECK(memcmp(out + 12, data + 12, q.qlen) == 0, "question echo");
	/* the answer's records walk to its end */
	off = 12 + q.qlen;
	nrr = (size_t)(out[6] << 8 | out[7]) + (size_t)(out[8] << 8 | out[9]);
	for (i = 0; i < nrr; i++) {
		o = skip_name(out, len, off);
		FUZZ_CHECK(o > 0 && (size_t)o + 10 <= len, "record %zu", i);
		off = (size_t)o;
		l = (size_t)(out[off + 8] << 8 | out[off + 9]);
		off += 10 + l;
		FUZZ_CHECK(off <= len, "rdata of record %zu", i);
	}
	FUZZ_CHECK(off == len, "%zu octets after the records", len - off);
	/* the name, rebuilt into a query, parses to itself */
	FUZZ_CHECK(strlen(q.name) <= 253, "name length");
	memcpy(again, data, 12);
	memcpy(again + 12, q.question, q.qlen);
	FUZZ_CHECK(dnsw_parse_query(again, 12 + q.qlen, &q2) == DNSW_OK &&
	    strcmp(q.name, q2.name) == 0 && q.qtype == q2.qtype,
	    "re-parse of \"%s\"", q.name);
	return 0;
}
