/* test_dnsmock_wire.c - the DNS mock's wire code (RFC 1035 §4) and its answers from the record table */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnsmock.h"
#include "dnsmock_wire.h"

/* A query for name (dotted) and type into buf; its length. */
static size_t
mkquery(unsigned char *buf, const char *name, uint16_t type)
{
	size_t		 off = 12, l;
	const char	*s = name, *dot;

	memset(buf, 0, 12);
	buf[0] = 0xab;
	buf[1] = 0xcd;
	buf[2] = 0x01;			/* RD */
	buf[5] = 1;			/* QDCOUNT */
	while (*s != '\0') {
		dot = strchr(s, '.');
		l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		buf[off++] = (unsigned char)l;
		memcpy(buf + off, s, l);
		off += l;
		s += l + (dot != NULL);
	}
	buf[off++] = 0;
	buf[off++] = (unsigned char)(type >> 8);
	buf[off++] = (unsigned char)type;
	buf[off++] = 0;
	buf[off++] = 1;			/* IN */
	return off;
}

static void
test_dnsmock_wire_parse_good_query_lowercases_name_keeps_wire(void **state)
{
	unsigned char		 b[300];
	struct dnsw_query	 q;
	size_t			 n;

	(void)state;
	n = mkquery(b, "WWW.Example.TEST", DNSW_T_TXT);
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_OK);
	assert_string_equal(q.name, "www.example.test");
	assert_int_equal(q.id, 0xabcd);
	assert_true(q.rd);
	assert_int_equal(q.qtype, DNSW_T_TXT);
	assert_int_equal(q.qclass, DNSW_C_IN);
	assert_int_equal(q.qlen, n - 12);
	assert_memory_equal(q.question, b + 12, n - 12);	/* case kept */
	/* The root name. */
	n = mkquery(b, "", DNSW_T_A);
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_OK);
	assert_string_equal(q.name, "");
}

static void
test_dnsmock_wire_parse_rejects_malformed_rfc1035_4_1(void **state)
{
	unsigned char		 b[600];
	struct dnsw_query	 q;
	size_t			 n, i;

	(void)state;
	/* no header / a response: never answered */
	memset(b, 0, sizeof(b));
	assert_int_equal(dnsw_parse_query(b, 11, &q), DNSW_DROP);
	n = mkquery(b, "a.test", DNSW_T_A);
	b[2] |= 0x80;
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_DROP);
	/* another opcode */
	n = mkquery(b, "a.test", DNSW_T_A);
	b[2] = (unsigned char)(2 << 3);
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_NOTIMP);
	/* counts: QDCOUNT 2, ANCOUNT 1, NSCOUNT 1, ARCOUNT 2 */
	for (i = 5; i <= 11; i += 2) {
		n = mkquery(b, "a.test", DNSW_T_A);
		b[i] = i == 9 ? 1 : 2;
		assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_FORMERR);
	}
	/* ARCOUNT 1 (an EDNS OPT, not read) is a query */
	n = mkquery(b, "a.test", DNSW_T_A);
	b[11] = 1;
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_OK);
	/* cut anywhere inside the question */
	n = mkquery(b, "a.test", DNSW_T_A);
	for (i = 12; i < n; i++)
		assert_int_equal(dnsw_parse_query(b, i, &q), DNSW_FORMERR);
	/* a compression pointer, a label of 64, a space, a dot */
	n = mkquery(b, "a.test", DNSW_T_A);
	b[12] = 0xc0;
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_FORMERR);
	memset(b + 200, 'a', 64);
	b[199] = 0;
	n = mkquery(b, "x", DNSW_T_A);
	b[12] = 64;
	memcpy(b + 13, b + 200, 64);
	b[77] = 0;
	assert_int_equal(dnsw_parse_query(b, 82, &q), DNSW_FORMERR);
	n = mkquery(b, "a b.test", DNSW_T_A);
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_FORMERR);
	n = mkquery(b, "ab.test", DNSW_T_A);
	b[14] = '.';
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_FORMERR);
}

static void
test_dnsmock_wire_parse_name_255_octets_rfc1035_2_3_4(void **state)
{
	unsigned char		 b[600];
	struct dnsw_query	 q;
	char			 name[300];
	size_t			 n;

	(void)state;
	/* 3 x 63 + 61 = 250 characters plus 4 length octets + root = 255. */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	n = mkquery(b, name, DNSW_T_A);
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_OK);
	assert_int_equal(strlen(q.name), 253);
	name[253] = 'a';
	name[254] = '\0';	/* 256 octets */
	n = mkquery(b, name, DNSW_T_A);
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_FORMERR);
}

static void
test_dnsmock_wire_builder_records_and_truncation_rfc2181_9(void **state)
{
	unsigned char		 b[300], out[64], rd[16];
	struct dnsw_query	 q;
	struct dnsw_msg		 m;
	size_t			 n, len;
	static const unsigned char want_rr[] = {
	    1, 'a', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4,
	    127, 0, 0, 1 };

	(void)state;
	n = mkquery(b, "a.test", DNSW_T_A);
	assert_int_equal(dnsw_parse_query(b, n, &q), DNSW_OK);
	assert_int_equal(dnsw_begin(&m, out, sizeof(out), &q,
	    DNSW_R_NOERROR), 0);
	memcpy(rd, "\x7f\0\0\x01", 4);
	assert_int_equal(dnsw_add_rr(&m, false, "a.test", DNSW_T_A, 0, rd, 4),
	    0);
	len = dnsw_finish(&m);
	assert_int_equal(len, n + sizeof(want_rr));
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[2], 0x85);		/* QR AA RD */
	assert_int_equal(out[3], 0x80);		/* RA, NOERROR */
	assert_int_equal(out[7], 1);		/* ANCOUNT */
	assert_memory_equal(out + 12, b + 12, n - 12);
	assert_memory_equal(out + n, want_rr, sizeof(want_rr));
	/* an answer record after an authority one is refused */
	assert_int_equal(dnsw_begin(&m, out, sizeof(out), &q, 0), 0);
	assert_int_equal(dnsw_add_rr(&m, true, "a.test", DNSW_T_A, 0, rd, 4),
	    0);
	assert_int_equal(dnsw_add_rr(&m, false, "a.test", DNSW_T_A, 0, rd, 4),
	    -1);
	/* what does not fit: cut back to the question, TC */
	assert_int_equal(dnsw_begin(&m, out, sizeof(out), &q, 0), 0);
	assert_int_equal(dnsw_add_rr(&m, false, "a.test", DNSW_T_A, 0, rd, 4),
	    0);
	assert_int_equal(dnsw_add_rr(&m, false, "a.test", DNSW_T_A, 0, rd, 4),
	    -1);
	assert_true(m.overflow);
	len = dnsw_finish(&m);
	assert_int_equal(len, n);
	assert_int_equal(out[2] & 0x02, 0x02);
	assert_int_equal(out[7], 0);
	/* bad names */
	assert_int_equal(dnsw_begin(&m, out, sizeof(out), &q, 0), 0);
	assert_int_equal(dnsw_add_rr(&m, false, "a..test", 1, 0, rd, 4), -1);
	assert_int_equal(dnsw_add_rr(&m, false, "a.test.", 1, 0, rd, 4), -1);
}

static void
test_dnsmock_wire_rdata_txt_caa_rfc1035_3_3_14_rfc8659_4_1(void **state)
{
	unsigned char	 out[700];
	char		 v[301];

	(void)state;
	memset(v, 'x', 300);
	v[300] = '\0';
	assert_int_equal(dnsw_txt_rdata(v, out, sizeof(out)), 302);
	assert_int_equal(out[0], 255);
	assert_int_equal(out[256], 45);
	assert_int_equal(dnsw_txt_rdata("", out, sizeof(out)), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(dnsw_txt_rdata(v, out, 100), 0);
	assert_int_equal(dnsw_caa_rdata(0, "issue", "ca.example", out,
	    sizeof(out)), 2 + 5 + 10);
	assert_memory_equal(out, "\0\x05issueca.example", 17);
	assert_int_equal(dnsw_caa_rdata(0, "", "x", out, sizeof(out)), 0);
	assert_int_equal(dnsw_caa_rdata(0, "is sue", "x", out, sizeof(out)),
	    0);
	assert_int_equal(dnsw_caa_rdata(0, "abcdefghijklmnop", "x", out,
	    sizeof(out)), 0);
	assert_true(dnsw_name_ok("_acme-challenge.a.test"));
	assert_true(dnsw_name_ok("*.a.test"));
	assert_false(dnsw_name_ok("a..test"));
	assert_false(dnsw_name_ok("a.test."));
	assert_false(dnsw_name_ok("a b"));
	assert_false(dnsw_name_ok(""));
}

/* The rcode and ANCOUNT of answering a query for name/type. */
static unsigned
ask(struct dnsmock *m, const char *name, uint16_t type, unsigned *ancount,
    unsigned char *out)
{
	unsigned char	 b[300];
	size_t		 n, len;

	n = mkquery(b, name, type);
	len = dnsmock_answer(m, b, n, out, DNSW_UDP_MAX);
	assert_true(len >= n);
	*ancount = (unsigned)(out[6] << 8 | out[7]);
	return out[3] & 0x0f;
}

static void
test_dnsmock_wire_table_answers(void **state)
{
	struct dnsmock_opts	 o = { NULL, "127.0.0.1", "::1" };
	struct dnsmock		*m;
	unsigned char		 out[DNSW_UDP_MAX];
	char			 err[256];
	unsigned		 an;

	(void)state;
	assert_non_null(m = dnsmock_new(&o, err, sizeof(err)));
	/* every name: the default A and AAAA */
	assert_int_equal(ask(m, "any.test", DNSW_T_A, &an, out), 0);
	assert_int_equal(an, 1);
	assert_int_equal(ask(m, "any.test", DNSW_T_AAAA, &an, out), 0);
	assert_int_equal(an, 1);
	/* no TXT: NODATA with an SOA in authority (RFC 2308 §3) */
	assert_int_equal(ask(m, "any.test", DNSW_T_TXT, &an, out), 0);
	assert_int_equal(an, 0);
	assert_int_equal(out[9], 1);
	/* own addresses replace the default; clearing brings it back */
	assert_int_equal(dnsmock_add(m, DNSMOCK_A, "Web.Test.", "10.0.0.1",
	    err, sizeof(err)), 0);
	assert_int_equal(dnsmock_add(m, DNSMOCK_A, "web.test", "10.0.0.2",
	    err, sizeof(err)), 0);
	assert_int_equal(dnsmock_add(m, DNSMOCK_A, "web.test", "10.0.0.2",
	    err, sizeof(err)), 0);	/* no duplicate */
	assert_int_equal(ask(m, "web.test", DNSW_T_A, &an, out), 0);
	assert_int_equal(an, 2);
	assert_int_equal(dnsmock_clear(m, DNSMOCK_A, "web.test", err,
	    sizeof(err)), 0);
	assert_int_equal(ask(m, "web.test", DNSW_T_A, &an, out), 0);
	assert_int_equal(an, 1);
	/* no default: NODATA */
	assert_int_equal(dnsmock_set_default(m, 4, "", err, sizeof(err)), 0);
	assert_int_equal(ask(m, "web.test", DNSW_T_A, &an, out), 0);
	assert_int_equal(an, 0);
	/* CNAME, then the target's records */
	assert_int_equal(dnsmock_add(m, DNSMOCK_TXT, "t.test", "v", err,
	    sizeof(err)), 0);
	assert_int_equal(dnsmock_add(m, DNSMOCK_CNAME, "c.test", "t.test",
	    err, sizeof(err)), 0);
	assert_int_equal(ask(m, "c.test", DNSW_T_TXT, &an, out), 0);
	assert_int_equal(an, 2);
	assert_int_equal(ask(m, "c.test", DNSW_T_CNAME, &an, out), 0);
	assert_int_equal(an, 1);
	/* SERVFAIL overrides, on the name or on a CNAME's target */
	assert_int_equal(dnsmock_add(m, DNSMOCK_SERVFAIL, "t.test", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(ask(m, "t.test", DNSW_T_TXT, &an, out),
	    DNSW_R_SERVFAIL);
	assert_int_equal(ask(m, "c.test", DNSW_T_TXT, &an, out),
	    DNSW_R_SERVFAIL);
	/* CAA */
	assert_int_equal(dnsmock_add_caa(m, "t2.test", "issue", "ca.example",
	    err, sizeof(err)), 0);
	assert_int_equal(ask(m, "t2.test", DNSW_T_CAA, &an, out), 0);
	assert_int_equal(an, 1);
	/* bad input to the table */
	assert_int_equal(dnsmock_add(m, DNSMOCK_A, "x.test", "::1", err,
	    sizeof(err)), -1);
	assert_int_equal(dnsmock_add(m, DNSMOCK_AAAA, "x.test", "1.2.3.4",
	    err, sizeof(err)), -1);
	assert_int_equal(dnsmock_add(m, DNSMOCK_TXT, "bad host", "v", err,
	    sizeof(err)), -1);
	assert_int_equal(dnsmock_add_caa(m, "x.test", "is sue", "v", err,
	    sizeof(err)), -1);
	assert_int_equal(dnsmock_set_default(m, 6, "1.2.3.4", err,
	    sizeof(err)), -1);
	dnsmock_free(m);
}

static void
test_dnsmock_wire_answer_errors(void **state)
{
	struct dnsmock_opts	 o = { NULL, "127.0.0.1", "" };
	struct dnsmock		*m;
	unsigned char		 b[300], out[DNSW_UDP_MAX];
	char			 err[256];
	size_t			 n;

	(void)state;
	assert_non_null(m = dnsmock_new(&o, err, sizeof(err)));
	/* no AAAA default */
	n = mkquery(b, "a.test", DNSW_T_AAAA);
	assert_true(dnsmock_answer(m, b, n, out, sizeof(out)) > 0);
	assert_int_equal(out[7], 0);
	/* FORMERR without a question; a response gets nothing */
	b[5] = 2;
	assert_int_equal(dnsmock_answer(m, b, n, out, sizeof(out)), 12);
	assert_int_equal(out[3] & 0x0f, DNSW_R_FORMERR);
	assert_int_equal(out[5], 0);
	b[5] = 1;
	b[2] |= 0x80;
	assert_int_equal(dnsmock_answer(m, b, n, out, sizeof(out)), 0);
	/* another class: REFUSED */
	n = mkquery(b, "a.test", DNSW_T_A);
	b[n - 1] = 3;		/* CHAOS */
	assert_true(dnsmock_answer(m, b, n, out, sizeof(out)) > 0);
	assert_int_equal(out[3] & 0x0f, DNSW_R_REFUSED);
	/* a bad default is refused at start */
	o.default_ipv4 = "::1";
	assert_null(dnsmock_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "dns_mock_default_ipv4"));
	dnsmock_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsmock_wire_parse_good_query_lowercases_name_keeps_wire),
		cmocka_unit_test(test_dnsmock_wire_parse_rejects_malformed_rfc1035_4_1),
		cmocka_unit_test(test_dnsmock_wire_parse_name_255_octets_rfc1035_2_3_4),
		cmocka_unit_test(test_dnsmock_wire_builder_records_and_truncation_rfc2181_9),
		cmocka_unit_test(test_dnsmock_wire_rdata_txt_caa_rfc1035_3_3_14_rfc8659_4_1),
		cmocka_unit_test(test_dnsmock_wire_table_answers),
		cmocka_unit_test(test_dnsmock_wire_answer_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
