/* ident.c - identifier syntax and normalisation: DNS (LDH, IDNA A-labels, wildcards), IP (RFC 8738) */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/ident.h"
#include "acme/problem.h"

#define LABEL_MAX	63	/* RFC 1035 §2.3.4 */

/* RFC 3492 §5: Punycode parameters. */
#define PY_BASE		36
#define PY_TMIN		1
#define PY_TMAX		26
#define PY_SKEW		38
#define PY_DAMP		700
#define PY_BIAS		72
#define PY_N		0x80

/* RFC 3492 §6.1 */
static uint32_t
adapt(uint32_t delta, uint32_t numpoints, int firsttime)
{
	uint32_t k = 0;

	delta = firsttime ? delta / PY_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PY_BASE - PY_TMIN) * PY_TMAX) / 2) {
		delta /= PY_BASE - PY_TMIN;
		k += PY_BASE;
	}
	return k + (((PY_BASE - PY_TMIN + 1) * delta) / (delta + PY_SKEW));
}

static uint32_t
threshold(uint32_t k, uint32_t bias)
{
	if (k <= bias)
		return PY_TMIN;
	if (k >= bias + PY_TMAX)
		return PY_TMAX;
	return k - bias;
}

/* Lower-case digit value, or PY_BASE if c is not a digit. */
static uint32_t
digit_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return (uint32_t)(c - 'a');
	if (c >= '0' && c <= '9')
		return (uint32_t)(c - '0' + 26);
	return PY_BASE;
}

static char
digit_char(uint32_t d)
{
	return d < 26 ? (char)('a' + d) : (char)('0' + d - 26);
}

/*
 * RFC 3492 §6.2: decode in[0..len) into cp[], at most *ncp code points.
 * Returns 0, or -1 on malformed input or overflow.
 */
static int
puny_decode(const char *in, size_t len, uint32_t *cp, size_t *ncp)
{
	uint32_t n = PY_N, i = 0, bias = PY_BIAS, oldi, w, k, t, digit;
	size_t b = 0, j, pos, out = 0, max = *ncp;

	for (j = 0; j < len; j++)
		if (in[j] == '-')
			b = j;
	if (b > max)
		return -1;
	for (j = 0; j < b; j++) {
		if ((unsigned char)in[j] >= 0x80)
			return -1;
		cp[out++] = (unsigned char)in[j];
	}
	pos = b > 0 ? b + 1 : 0;
	while (pos < len) {
		oldi = i;
		w = 1;
		for (k = PY_BASE;; k += PY_BASE) {
			if (pos >= len)
				return -1;
			digit = digit_value(in[pos++]);
			if (digit >= PY_BASE)
				return -1;
			if (digit > (UINT32_MAX - i) / w)
				return -1;
			i += digit * w;
			t = threshold(k, bias);
			if (digit < t)
				break;
			if (w > UINT32_MAX / (PY_BASE - t))
				return -1;
			w *= PY_BASE - t;
		}
		if (out >= max)
			return -1;
		bias = adapt(i - oldi, (uint32_t)out + 1, oldi == 0);
		if (i / (out + 1) > UINT32_MAX - n)
			return -1;
		n += i / (uint32_t)(out + 1);
		i %= (uint32_t)(out + 1);
		/*
		 * A basic code point must not be encoded as a delta; C1
		 * controls and surrogates are never valid in a U-label.
		 */
		if (n < 0xA0 || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF))
			return -1;
		memmove(cp + i + 1, cp + i, (out - i) * sizeof(*cp));
		cp[i++] = n;
		out++;
	}
	*ncp = out;
	return 0;
}

/*
 * RFC 3492 §6.3: encode cp[0..ncp) into out (outsz bytes, NUL-terminated).
 * Returns 0, or -1 on overflow or lack of space.
 */
static int
puny_encode(const uint32_t *cp, size_t ncp, char *out, size_t outsz)
{
	uint32_t n = PY_N, delta = 0, bias = PY_BIAS, m, q, k, t;
	size_t h, b = 0, j, o = 0;

	for (j = 0; j < ncp; j++) {
		if (cp[j] < PY_N) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)cp[j];
			b++;
		}
	}
	h = b;
	if (b > 0) {
		if (o + 1 >= outsz)
			return -1;
		out[o++] = '-';
	}
	while (h < ncp) {
		m = UINT32_MAX;
		for (j = 0; j < ncp; j++)
			if (cp[j] >= n && cp[j] < m)
				m = cp[j];
		if (m - n > (UINT32_MAX - delta) / (h + 1))
			return -1;
		delta += (m - n) * (uint32_t)(h + 1);
		n = m;
		for (j = 0; j < ncp; j++) {
			if (cp[j] < n && ++delta == 0)
				return -1;
			if (cp[j] != n)
				continue;
			q = delta;
			for (k = PY_BASE;; k += PY_BASE) {
				t = threshold(k, bias);
				if (q < t)
					break;
				if (o + 1 >= outsz)
					return -1;
				out[o++] = digit_char(t + (q - t) % (PY_BASE - t));
				q = (q - t) / (PY_BASE - t);
			}
			if (o + 1 >= outsz)
				return -1;
			out[o++] = digit_char(q);
			bias = adapt(delta, (uint32_t)h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		n++;
	}
	out[o] = '\0';
	return 0;
}

/*
 * RFC 5890 §2.3.2.1: an "xn--" label is an A-label only if its Punycode
 * decodes, contains a non-ASCII code point and re-encodes to the same
 * string. (Full IDNA2008 code point validation is not attempted: the
 * point is one spelling per name, not a Unicode policy.)
 */
static int
alabel_ok(const char *label, size_t len)
{
	uint32_t	 cp[LABEL_MAX];
	char		 again[LABEL_MAX + 1];
	size_t		 ncp = LABEL_MAX, j;
	int		 nonascii = 0;

	if (puny_decode(label + 4, len - 4, cp, &ncp) == -1)
		return -1;
	for (j = 0; j < ncp; j++)
		if (cp[j] >= PY_N)
			nonascii = 1;
	if (!nonascii)
		return -1;
	if (puny_encode(cp, ncp, again, sizeof(again)) == -1)
		return -1;
	if (strlen(again) != len - 4 || memcmp(again, label + 4, len - 4) != 0)
		return -1;
	return 0;
}

/* Check one lower-cased label; detail says why on failure. */
static int
label_ok(const char *l, size_t len, struct acme_problem *prob)
{
	size_t i;

	if (len == 0)
		return acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "DNS name has an empty label");
	if (len > LABEL_MAX)
		return acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "DNS label is longer than 63 octets");
	for (i = 0; i < len; i++) {
		if (l[i] == '*')
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER, "wildcard is allowed "
			    "only as the whole left-most label");
		if (!((l[i] >= 'a' && l[i] <= 'z') ||
		    (l[i] >= '0' && l[i] <= '9') || l[i] == '-'))
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER, "DNS name contains a "
			    "character other than letters, digits, '-', '.'");
	}
	if (l[0] == '-' || l[len - 1] == '-')
		return acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "DNS label starts or ends with a hyphen");
	/* RFC 5890 §2.3.1: "--" in positions 3-4 is reserved (R-LDH). */
	if (len >= 4 && l[2] == '-' && l[3] == '-') {
		if (l[0] != 'x' || l[1] != 'n')
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER, "DNS label has '--' in "
			    "positions 3-4 but is not an A-label");
		if (alabel_ok(l, len) == -1)
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER,
			    "DNS label is not a valid IDNA A-label (punycode)");
	}
	return 0;
}

static int
parse_dns(const char *value, struct acme_identifier *out, bool *wildcard,
    struct acme_problem *prob)
{
	char		 buf[ACME_IDENT_VALUE_SIZE];
	const char	*name, *l, *dot;
	size_t		 len, i, nlabels = 0;
	bool		 wild = false, numeric;

	len = strlen(value);
	if (len > ACME_DNS_NAME_MAX)
		return acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "DNS name is longer than 253 octets");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c >= 0x80)
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER, "DNS name is not ASCII; "
			    "internationalised names must be sent as A-labels");
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') :
		    (char)c;
	}
	buf[len] = '\0';

	if (buf[len - 1] == '.')
		return acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "DNS name ends in a dot");
	name = buf;
	if (buf[0] == '*') {
		if (buf[1] != '.')
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER, "wildcard is allowed "
			    "only as the whole left-most label");
		wild = true;
		name = buf + 2;
	}

	numeric = false;
	for (l = name;; l = dot + 1) {
		dot = strchr(l, '.');
		len = dot != NULL ? (size_t)(dot - l) : strlen(l);
		if (label_ok(l, len, prob) == -1)
			return -1;
		nlabels++;
		if (dot == NULL) {
			/* RFC 3696 §2: a TLD is never all-numeric. */
			numeric = strspn(l, "0123456789") == len;
			break;
		}
	}
	/*
	 * RFC 8738 §3: addresses use type "ip". An all-numeric last label
	 * also catches "127.0.0.0.0.1" and "1.2.3" shapes.
	 */
	if (numeric)
		return acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "DNS identifier is an IP address or ends in a numeric "
		    "label; use an \"ip\" identifier (RFC 8738)");
	if (wild && nlabels < 2)
		return acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER,
		    "wildcard must be followed by at least two labels");

	out->type = ACME_IDENT_DNS;
	memcpy(out->value, buf, strlen(buf) + 1);
	if (wildcard != NULL)
		*wildcard = wild;
	return 0;
}

/*
 * Strict address parse into bin (4 or 16 bytes), *af and canonical text.
 * Returns 0 or -1 with a reason in *why.
 */
static int
parse_ip(const char *value, unsigned char bin[16], int *af, char *text,
    size_t textsz, const char **why)
{
	static const unsigned char mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char zero12[12] = { 0 };

	*why = "not a valid IP address";
	if (strspn(value, "0123456789abcdefABCDEF:.") != strlen(value))
		return -1;	/* CIDR "/24", zone "%eth0", brackets, space */
	if (strchr(value, ':') != NULL) {
		if (inet_pton(AF_INET6, value, bin) != 1)
			return -1;
		/*
		 * IPv4-mapped (::ffff:0:0/96) and deprecated IPv4-compatible
		 * (::a.b.c.d, RFC 4291 §2.5.5.1) addresses would give one host
		 * two identifiers; the client must use the IPv4 form.
		 */
		if (memcmp(bin, mapped, 12) == 0 ||
		    (memcmp(bin, zero12, 12) == 0 && (bin[12] | bin[13]) != 0)) {
			*why = "IPv4-mapped or IPv4-compatible IPv6 address; "
			    "use the IPv4 form";
			return -1;
		}
		*af = AF_INET6;
	} else {
		if (inet_pton(AF_INET, value, bin) != 1)
			return -1;
		*af = AF_INET;
	}
	if (inet_ntop(*af, bin, text, (socklen_t)textsz) == NULL)
		return -1;
	/* One spelling per IPv4 address: no leading zeros ("01.2.3.4"). */
	if (*af == AF_INET && strcmp(text, value) != 0)
		return -1;
	return 0;
}

int
acme_ident_parse(enum acme_ident_type type, const char *value,
    struct acme_identifier *out, bool *wildcard, struct acme_problem *prob)
{
	unsigned char	 bin[16];
	char		 text[INET6_ADDRSTRLEN];
	const char	*why;
	int		 af;

	if (value == NULL || value[0] == '\0')
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "identifier value is empty");
	switch (type) {
	case ACME_IDENT_DNS:
		return parse_dns(value, out, wildcard, prob);
	case ACME_IDENT_IP:
		if (parse_ip(value, bin, &af, text, sizeof(text), &why) == -1)
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER, "%s", why);
		out->type = ACME_IDENT_IP;
		memcpy(out->value, text, strlen(text) + 1);
		if (wildcard != NULL)
			*wildcard = false;
		return 0;
	}
	return acme_problem_set(prob, ACME_P_UNSUPPORTEDIDENTIFIER,
	    "unsupported identifier type");
}

int
acme_ident_parse_typed(const char *type, const char *value,
    struct acme_identifier *out, bool *wildcard, struct acme_problem *prob)
{
	enum acme_ident_type t;

	/* RFC 8555 §7.1.4 "dns", RFC 8738 §3 "ip"; nothing else. */
	if (type == NULL)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "identifier type is missing");
	if (strcmp(type, "dns") == 0)
		t = ACME_IDENT_DNS;
	else if (strcmp(type, "ip") == 0)
		t = ACME_IDENT_IP;
	else
		return acme_problem_set(prob, ACME_P_UNSUPPORTEDIDENTIFIER,
		    "identifier type is not \"dns\" or \"ip\"");
	return acme_ident_parse(t, value, out, wildcard, prob);
}

int
acme_ident_from_cli(const char *arg, struct acme_identifier *out,
    bool *wildcard, struct acme_problem *prob)
{
	char	 buf[ACME_IDENT_VALUE_SIZE];
	size_t	 len;

	if (arg == NULL || arg[0] == '\0')
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "identifier value is empty");
	len = strlen(arg);
	if (arg[0] == '[') {
		/* "[::1]", the URL form of an IPv6 literal */
		if (len < 3 || arg[len - 1] != ']' || len - 2 >= sizeof(buf) ||
		    memchr(arg, ':', len) == NULL)
			return acme_problem_set(prob,
			    ACME_P_REJECTEDIDENTIFIER,
			    "bracketed name is not an IPv6 address");
		memcpy(buf, arg + 1, len - 2);
		buf[len - 2] = '\0';
		return acme_ident_parse(ACME_IDENT_IP, buf, out, wildcard,
		    prob);
	}
	/* Anything with ':' or made only of digits and dots is meant as IP. */
	if (strchr(arg, ':') != NULL || strspn(arg, "0123456789.") == len)
		return acme_ident_parse(ACME_IDENT_IP, arg, out, wildcard,
		    prob);
	return acme_ident_parse(ACME_IDENT_DNS, arg, out, wildcard, prob);
}

int
acme_ident_cmp(const void *a, const void *b)
{
	const struct acme_identifier *x = a, *y = b;

	if (x->type != y->type)
		return x->type == ACME_IDENT_DNS ? -1 : 1;
	return strcmp(x->value, y->value);
}

bool
acme_ident_equal(const struct acme_identifier *a,
    const struct acme_identifier *b)
{
	return acme_ident_cmp(a, b) == 0;
}

int
acme_ident_list_normalize(struct acme_identifier *ids, size_t *n)
{
	size_t i, o;

	if (n == NULL || (ids == NULL && *n > 0))
		return -1;
	if (*n < 2)
		return 0;
	qsort(ids, *n, sizeof(*ids), acme_ident_cmp);
	for (i = 1, o = 1; i < *n; i++) {
		if (acme_ident_cmp(&ids[o - 1], &ids[i]) == 0)
			continue;
		if (o != i)
			ids[o] = ids[i];
		o++;
	}
	*n = o;
	return 0;
}

int
acme_ident_reverse_name(const struct acme_identifier *ip, char *out,
    size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 bin[16];
	char		 text[INET6_ADDRSTRLEN];
	const char	*why;
	size_t		 o = 0;
	int		 af, i, r;

	if (ip == NULL || out == NULL || ip->type != ACME_IDENT_IP)
		return -1;
	if (parse_ip(ip->value, bin, &af, text, sizeof(text), &why) == -1)
		return -1;
	/* RFC 8738 §6, RFC 1035 §3.5 and RFC 3596 §2.5 */
	if (af == AF_INET) {
		r = snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa",
		    bin[3], bin[2], bin[1], bin[0]);
		return r < 0 || (size_t)r >= outsz ? -1 : 0;
	}
	if (outsz < 64 + sizeof("ip6.arpa"))
		return -1;
	for (i = 15; i >= 0; i--) {
		out[o++] = hex[bin[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[bin[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa", sizeof("ip6.arpa"));
	return 0;
}

bool
acme_ident_is_ip(const char *s)
{
	unsigned char	 bin[16];
	char		 text[INET6_ADDRSTRLEN];
	const char	*why;
	int		 af;

	if (s == NULL || s[0] == '\0')
		return false;
	return parse_ip(s, bin, &af, text, sizeof(text), &why) == 0;
}
