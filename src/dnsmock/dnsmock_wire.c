/* dnsmock_wire.c - the DNS wire format of the test DNS server: a strict query parser and an answer builder */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "dnsmock_wire.h"

#define HDR	12

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

enum dnsw_parse
dnsw_parse_query(const unsigned char *p, size_t n, struct dnsw_query *q)
{
	size_t	 off = HDR, out = 0, llen, i;

	memset(q, 0, sizeof(*q));
	if (p == NULL || n < HDR)
		return DNSW_DROP;
	q->id = get16(p);
	if (p[2] & 0x80)
		return DNSW_DROP;	/* QR: a response; never answer one */
	q->rd = (p[2] & 0x01) != 0;
	q->opcode = (uint16_t)((p[2] >> 3) & 0x0f);
	if (q->opcode != 0)
		return DNSW_NOTIMP;	/* RFC 1035 §4.1.1: only QUERY */
	/* RFC 1035 §4.1.1; ARCOUNT 1 is an EDNS OPT (RFC 6891 §6.1.1). */
	if (get16(p + 4) != 1 || get16(p + 6) != 0 || get16(p + 8) != 0 ||
	    get16(p + 10) > 1)
		return DNSW_FORMERR;
	/* RFC 1035 §3.1: labels; a query needs no compression pointer. */
	for (;;) {
		if (off >= n)
			return DNSW_FORMERR;
		llen = p[off++];
		if (llen == 0)
			break;
		if (llen > 63 || off + llen > n)
			return DNSW_FORMERR;	/* pointer (0xc0) or cut */
		/* Wire octets: labels plus their length octets plus root. */
		if (off - HDR + llen + 1 > DNSW_NAME_MAX)
			return DNSW_FORMERR;
		if (out > 0)
			q->name[out++] = '.';
		for (i = 0; i < llen; i++) {
			unsigned char c = p[off + i];

			if (c <= 0x20 || c >= 0x7f || c == '.')
				return DNSW_FORMERR;
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			q->name[out++] = (char)c;
		}
		off += llen;
	}
	q->name[out] = '\0';
	if (off + 4 > n)
		return DNSW_FORMERR;
	q->qtype = get16(p + off);
	q->qclass = get16(p + off + 2);
	q->qlen = off + 4 - HDR;
	memcpy(q->question, p + HDR, q->qlen);
	return DNSW_OK;
}

/* Dotted text to wire labels; the length written, 0 when malformed. */
static size_t
name_wire(const char *name, unsigned char *out, size_t outsz)
{
	size_t	 off = 0, start, llen;
	const char *s = name, *dot;

	while (*s != '\0') {
		dot = strchr(s, '.');
		llen = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (llen == 0 || llen > 63)
			return 0;
		start = off;
		if (start + 1 + llen + 1 > outsz ||
		    start + 1 + llen + 1 > DNSW_NAME_MAX)
			return 0;
		out[off++] = (unsigned char)llen;
		memcpy(out + off, s, llen);
		off += llen;
		if (dot == NULL)
			break;
		s = dot + 1;
		if (*s == '\0')
			return 0;	/* "a." : no final dot here */
	}
	if (off + 1 > outsz)
		return 0;
	out[off++] = 0;
	return off;
}

int
dnsw_begin(struct dnsw_msg *m, unsigned char *buf, size_t cap,
    const struct dnsw_query *q, unsigned rcode)
{
	memset(m, 0, sizeof(*m));
	if (cap < HDR || q->qlen > cap - HDR || q->qlen > sizeof(q->question))
		return -1;
	m->buf = buf;
	m->cap = cap;
	memset(buf, 0, HDR);
	put16(buf, q->id);
	/* QR, opcode, AA, RD echoed; RA; rcode (RFC 1035 §4.1.1). */
	buf[2] = (unsigned char)(0x80 | ((q->opcode & 0x0f) << 3) | 0x04 |
	    (q->rd ? 0x01 : 0));
	buf[3] = (unsigned char)(0x80 | (rcode & 0x0f));
	m->len = HDR;
	if (q->qlen > 0) {
		memcpy(buf + HDR, q->question, q->qlen);
		put16(buf + 4, 1);
		m->len = HDR + q->qlen;
	}
	m->qlen = m->len;
	return 0;
}

int
dnsw_add_rr(struct dnsw_msg *m, bool authority, const char *name,
    uint16_t type, uint32_t ttl, const unsigned char *rdata, size_t rdlen)
{
	unsigned char	 nw[DNSW_NAME_MAX];
	size_t		 nl;

	if (m->buf == NULL || (!authority && m->nscount > 0) ||
	    rdlen > 0xffff || (nl = name_wire(name, nw, sizeof(nw))) == 0)
		return -1;
	if (m->overflow || m->len + nl + 10 + rdlen > m->cap) {
		m->overflow = true;
		return -1;
	}
	memcpy(m->buf + m->len, nw, nl);
	m->len += nl;
	put16(m->buf + m->len, type);
	put16(m->buf + m->len + 2, DNSW_C_IN);
	put16(m->buf + m->len + 4, (uint16_t)(ttl >> 16));
	put16(m->buf + m->len + 6, (uint16_t)ttl);
	put16(m->buf + m->len + 8, (uint16_t)rdlen);
	m->len += 10;
	if (rdlen > 0)
		memcpy(m->buf + m->len, rdata, rdlen);
	m->len += rdlen;
	if (authority)
		m->nscount++;
	else
		m->ancount++;
	return 0;
}

size_t
dnsw_name_rdata(const char *name, unsigned char *out, size_t outsz)
{
	return name_wire(name, out, outsz);
}

size_t
dnsw_txt_rdata(const char *value, unsigned char *out, size_t outsz)
{
	size_t	 n = strlen(value), off = 0, chunk;

	/* RFC 1035 §3.3.14: one or more <character-string>s. */
	do {
		chunk = n > 255 ? 255 : n;
		if (off + 1 + chunk > outsz || off + 1 + chunk > 0xffff)
			return 0;
		out[off++] = (unsigned char)chunk;
		memcpy(out + off, value, chunk);
		off += chunk;
		value += chunk;
		n -= chunk;
	} while (n > 0);
	return off;
}

size_t
dnsw_caa_rdata(unsigned flags, const char *tag, const char *value,
    unsigned char *out, size_t outsz)
{
	size_t	 tl = strlen(tag), vl = strlen(value), i;

	/* RFC 8659 §4.1: tag of 1-15 ASCII letters and digits. */
	if (flags > 255 || tl == 0 || tl > 15 || 2 + tl + vl > outsz ||
	    2 + tl + vl > 0xffff)
		return 0;
	for (i = 0; i < tl; i++)
		if (!((tag[i] >= 'a' && tag[i] <= 'z') ||
		    (tag[i] >= 'A' && tag[i] <= 'Z') ||
		    (tag[i] >= '0' && tag[i] <= '9')))
			return 0;
	out[0] = (unsigned char)flags;
	out[1] = (unsigned char)tl;
	memcpy(out + 2, tag, tl);
	memcpy(out + 2 + tl, value, vl);
	return 2 + tl + vl;
}

size_t
dnsw_finish(struct dnsw_msg *m)
{
	if (m->buf == NULL)
		return 0;
	if (m->overflow) {
		/* RFC 2181 §9: what does not fit is cut, TC says so. */
		m->len = m->qlen;
		m->ancount = m->nscount = 0;
		m->buf[2] |= 0x02;
	}
	put16(m->buf + 6, m->ancount);
	put16(m->buf + 8, m->nscount);
	put16(m->buf + 10, 0);
	return m->len;
}

bool
dnsw_name_ok(const char *name)
{
	size_t	 len = strlen(name), label = 0;
	const char *p;

	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.')
		return false;
	for (p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '*'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}
