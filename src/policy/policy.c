/* policy.c - which identifiers may be issued; the CA's name constraints follow from it */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "log.h"
#include "policy.h"

static const char *const default_dns[] = {
	"localhost", "test", "example", "invalid", "local", "internal",
	"home.arpa"
};
static const char *const default_nets[] = {
	"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
	"192.168.0.0/16", "fc00::/7"
};

void
policy_init_unconstrained(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->unconstrained = true;
}

void
policy_init_default(struct policy *p)
{
	char err[128];

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(default_dns) / sizeof(default_dns[0]); i++)
		(void)policy_permit(p, default_dns[i], err, sizeof(err));
	for (size_t i = 0; i < sizeof(default_nets) / sizeof(default_nets[0]); i++)
		(void)policy_permit(p, default_nets[i], err, sizeof(err));
}

static void
make_mask(unsigned char *mask, int alen, int prefix)
{
	memset(mask, 0, 16);
	for (int i = 0; i < alen; i++) {
		int bits = prefix - i * 8;

		if (bits >= 8)
			mask[i] = 0xff;
		else if (bits > 0)
			mask[i] = (unsigned char)(0xff << (8 - bits));
	}
}

static int
add_net(struct policy *p, int family, const unsigned char *addr,
    const unsigned char *mask, int prefix, char *err, size_t errsz)
{
	struct policy_net	 n;
	int			 alen = family == AF_INET ? 4 : 16;

	memset(&n, 0, sizeof(n));
	n.family = family;
	n.prefix = prefix;
	for (int i = 0; i < alen; i++) {
		n.mask[i] = mask[i];
		n.addr[i] = addr[i] & mask[i];
	}
	for (size_t i = 0; i < p->nnets; i++)
		if (memcmp(&p->nets[i], &n, sizeof(n)) == 0)
			return 0;
	if (p->nnets == POLICY_MAX_NETS) {
		snprintf(err, errsz, "too many permitted networks (at most "
		    "%d)", POLICY_MAX_NETS);
		return -1;
	}
	p->nets[p->nnets++] = n;
	return 0;
}

static int
permit_net(struct policy *p, const char *what, char *err, size_t errsz)
{
	char		 buf[64], *slash, *end;
	unsigned char	 addr[16], mask[16];
	int		 family, alen;
	long		 prefix;

	if (snprintf(buf, sizeof(buf), "%s", what) >= (int)sizeof(buf))
		goto bad;
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1) {
		family = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		family = AF_INET6;
		alen = 16;
	} else
		goto bad;
	prefix = alen * 8;
	if (slash != NULL) {
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno != 0 ||
		    prefix < 0 || prefix > alen * 8 || !isdigit(
		    (unsigned char)slash[1]))
			goto bad;
	}
	make_mask(mask, alen, (int)prefix);
	return add_net(p, family, addr, mask, (int)prefix, err, errsz);
bad:
	snprintf(err, errsz, "\"%s\" is not an address or ADDR/PREFIX", what);
	return -1;
}

/* LDH labels, lower-cased into out; "." prefix allowed and dropped. */
static int
norm_suffix(const char *in, char *out, size_t outsz)
{
	size_t	 n, label = 0;

	if (*in == '.')
		in++;
	n = strlen(in);
	if (n == 0 || n > 253 || n >= outsz)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || in[i - 1] == '-')
				return -1;
			label = 0;
		} else if (isalnum(c) || c == '-') {
			if (label == 0 && c == '-')
				return -1;
			label++;
		} else
			return -1;
		out[i] = (char)tolower(c);
	}
	return 0;
}

int
policy_permit(struct policy *p, const char *what, char *err, size_t errsz)
{
	char	 name[ACME_IDENT_VALUE_SIZE];
	unsigned char tmp[16];

	if (strchr(what, '/') != NULL || strchr(what, ':') != NULL ||
	    inet_pton(AF_INET, what, tmp) == 1)
		return permit_net(p, what, err, errsz);
	if (norm_suffix(what, name, sizeof(name)) == -1) {
		snprintf(err, errsz, "\"%s\" is not a DNS suffix or a "
		    "network", what);
		return -1;
	}
	for (size_t i = 0; i < p->ndns; i++)
		if (strcmp(p->dns[i], name) == 0)
			return 0;
	if (p->ndns == POLICY_MAX_DNS) {
		snprintf(err, errsz, "too many permitted suffixes (at most "
		    "%d)", POLICY_MAX_DNS);
		return -1;
	}
	memcpy(p->dns[p->ndns++], name, sizeof(name));
	return 0;
}

static bool
dns_within(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n == s)
		return strcmp(name, suffix) == 0;
	return n > s && name[n - s - 1] == '.' &&
	    strcmp(name + n - s, suffix) == 0;
}

bool
policy_allows(const struct policy *p, const struct acme_identifier *id,
    bool wildcard)
{
	const char	*name = id->value;
	unsigned char	 addr[16];
	int		 family, alen;

	(void)wildcard;	/* the base name decides: "*.x.test" is within "test" */
	if (p->unconstrained)
		return true;
	if (id->type == ACME_IDENT_DNS) {
		if (strncmp(name, "*.", 2) == 0)
			name += 2;
		if (*name == '\0')
			return false;
		for (size_t i = 0; i < p->ndns; i++)
			if (dns_within(name, p->dns[i]))
				return true;
		return false;
	}
	if (inet_pton(AF_INET, name, addr) == 1) {
		family = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, name, addr) == 1) {
		family = AF_INET6;
		alen = 16;
	} else
		return false;
	for (size_t i = 0; i < p->nnets; i++) {
		const struct policy_net *n = &p->nets[i];
		int j;

		if (n->family != family)
			continue;
		for (j = 0; j < alen; j++)
			if ((addr[j] & n->mask[j]) != n->addr[j])
				break;
		if (j == alen)
			return true;
	}
	return false;
}

/*
 * Cut the comma-separated list in buf[0..] so it fits in `room` bytes
 * (terminator included), at a ", " boundary, with ", ..." after it; a
 * single item that does not fit is cut with "...".
 */
static void
fit_list(char *buf, size_t room)
{
	char	*c;

	if (room < 8 || strlen(buf) < room)
		return;
	buf[room - 6] = '\0';
	if ((c = strrchr(buf, ',')) != NULL)
		*c = '\0';
	memcpy(buf + strlen(buf), c != NULL ? ", ..." : "...",
	    c != NULL ? 6 : 4);
}

#define REFUSED_FMT "%s %s not allowed by this CA's name policy (allowed: " \
	"%s; change with `localacme init --permit`)"

int
policy_check_list(const struct policy *p, const struct acme_identifier *ids,
    const bool *wildcards, size_t n, struct acme_problem *prob)
{
	/*
	 * The top-level detail names what was refused and what is allowed
	 * (RFC 8555 §6.7.1 keeps the per-identifier subproblems); it must
	 * fit ACME_PROBLEM_DETAIL_MAX, so both lists are cut to fit.
	 */
	char	 names[ACME_PROBLEM_DETAIL_MAX], allowed[2048];
	size_t	 bad = 0, off = 0, budget, nlen;

	names[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		bool wild = wildcards != NULL ? wildcards[i] : false;

		if (policy_allows(p, &ids[i], wild))
			continue;
		bad++;
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off,
			    "%s%s%s", off > 0 ? ", " : "", wild &&
			    strncmp(ids[i].value, "*.", 2) != 0 ? "*." : "",
			    ids[i].value);
	}
	if (bad == 0)
		return 0;
	policy_describe(p, allowed, sizeof(allowed));
	/* The names get up to half the room left by the fixed text. */
	budget = ACME_PROBLEM_DETAIL_MAX - (sizeof(REFUSED_FMT) - 6) - 4;
	fit_list(names, budget / 2);
	nlen = strlen(names);
	fit_list(allowed, budget - nlen);
	acme_problem_set(prob, ACME_P_REJECTEDIDENTIFIER, REFUSED_FMT, names,
	    bad == 1 ? "is" : "are", allowed);
	for (size_t i = 0; i < n; i++)
		if (!policy_allows(p, &ids[i], wildcards != NULL ?
		    wildcards[i] : false))
			acme_problem_add_sub(prob, ACME_P_REJECTEDIDENTIFIER,
			    (int)ids[i].type, ids[i].value,
			    "not allowed by this CA's name constraints");
	return -1;
}

static int
push_subtree(STACK_OF(GENERAL_SUBTREE) *sk, GENERAL_NAME *gn)
{
	GENERAL_SUBTREE *st;

	if ((st = GENERAL_SUBTREE_new()) == NULL) {
		GENERAL_NAME_free(gn);
		return -1;
	}
	GENERAL_NAME_free(st->base);
	st->base = gn;
	if (sk_GENERAL_SUBTREE_push(sk, st) == 0) {
		GENERAL_SUBTREE_free(st);
		return -1;
	}
	return 0;
}

int
policy_nc_extension(const struct policy *p, X509_EXTENSION **out)
{
	NAME_CONSTRAINTS	*nc = NULL;
	GENERAL_NAME		*gn = NULL;
	ASN1_STRING		*s = NULL;
	int			 rc = -1;

	*out = NULL;
	if (p->unconstrained)
		return 0;
	if ((nc = NAME_CONSTRAINTS_new()) == NULL ||
	    (nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null()) == NULL)
		goto out;
	/* RFC 5280 §4.2.1.10: bare "test" = test and all below (§5.4). */
	for (size_t i = 0; i < p->ndns; i++) {
		if ((s = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(s, p->dns[i], -1) != 1 ||
		    (gn = GENERAL_NAME_new()) == NULL)
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_DNS, s);
		s = NULL;
		if (push_subtree(nc->permittedSubtrees, gn) == -1) {
			gn = NULL;
			goto out;
		}
		gn = NULL;
	}
	/* iPAddress: address then mask, 8 or 32 octets (§4.2.1.10). */
	for (size_t i = 0; i < p->nnets; i++) {
		const struct policy_net *n = &p->nets[i];
		unsigned char	 buf[32];
		int		 alen = n->family == AF_INET ? 4 : 16;

		memcpy(buf, n->addr, (size_t)alen);
		memcpy(buf + alen, n->mask, (size_t)alen);
		if ((s = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(s, buf, alen * 2) != 1 ||
		    (gn = GENERAL_NAME_new()) == NULL)
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_IPADD, s);
		s = NULL;
		if (push_subtree(nc->permittedSubtrees, gn) == -1) {
			gn = NULL;
			goto out;
		}
		gn = NULL;
	}
	if ((*out = X509V3_EXT_i2d(NID_name_constraints, 1, nc)) == NULL)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		log_openssl(LOG_LVL_ERROR, "policy_nc_extension");
	ASN1_STRING_free(s);
	GENERAL_NAME_free(gn);
	NAME_CONSTRAINTS_free(nc);
	return rc;
}

static int
prefix_of(const unsigned char *mask, int alen)
{
	int bits = 0;

	for (int i = 0; i < alen; i++)
		for (int b = 7; b >= 0; b--)
			if (mask[i] & (1 << b))
				bits++;
	return bits;
}

int
policy_from_cert(struct policy *p, X509 *cert)
{
	NAME_CONSTRAINTS	*nc;
	char			 err[128];
	int			 crit = -1, rc = -1;

	memset(p, 0, sizeof(*p));
	nc = X509_get_ext_d2i(cert, NID_name_constraints, &crit, NULL);
	if (nc == NULL) {
		if (crit != -1) {
			log_err("policy_from_cert: unreadable nameConstraints");
			return -1;
		}
		p->unconstrained = true;
		return 0;
	}
	if (nc->excludedSubtrees != NULL &&
	    sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) > 0)
		goto out;
	for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		GENERAL_SUBTREE	*st;
		GENERAL_NAME	*gn;
		char		 name[ACME_IDENT_VALUE_SIZE];
		const unsigned char *d;
		int		 len;

		st = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
		gn = st->base;
		if (gn->type == GEN_DNS) {
			len = ASN1_STRING_length(gn->d.dNSName);
			d = ASN1_STRING_get0_data(gn->d.dNSName);
			if (len <= 0 || (size_t)len >= sizeof(name) ||
			    memchr(d, '\0', (size_t)len) != NULL)
				goto out;
			memcpy(name, d, (size_t)len);
			name[len] = '\0';
			if (policy_permit(p, name, err, sizeof(err)) == -1)
				goto out;
		} else if (gn->type == GEN_IPADD) {
			len = ASN1_STRING_length(gn->d.iPAddress);
			d = ASN1_STRING_get0_data(gn->d.iPAddress);
			if (len != 8 && len != 32)
				goto out;
			if (add_net(p, len == 8 ? AF_INET : AF_INET6, d,
			    d + len / 2, prefix_of(d + len / 2, len / 2), err,
			    sizeof(err)) == -1)
				goto out;
		} else
			goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		log_err("policy_from_cert: nameConstraints not of our making");
	NAME_CONSTRAINTS_free(nc);
	return rc;
}

void
policy_describe(const struct policy *p, char *buf, size_t sz)
{
	size_t	 off = 0;
	char	 a[INET6_ADDRSTRLEN];

	if (sz == 0)
		return;
	buf[0] = '\0';
	if (p->unconstrained) {
		snprintf(buf, sz, "any name (no name constraints)");
		return;
	}
	for (size_t i = 0; i < p->ndns && off < sz; i++)
		off += (size_t)snprintf(buf + off, sz - off, "%s%s",
		    off > 0 ? ", " : "", p->dns[i]);
	for (size_t i = 0; i < p->nnets && off < sz; i++) {
		inet_ntop(p->nets[i].family, p->nets[i].addr, a, sizeof(a));
		off += (size_t)snprintf(buf + off, sz - off, "%s%s/%d",
		    off > 0 ? ", " : "", a, p->nets[i].prefix);
	}
}
