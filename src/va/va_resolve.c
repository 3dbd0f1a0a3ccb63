/* va_resolve.c - the VA's name resolution: IP literals, localhost, --resolve pins, c-ares */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "acme/problem.h"
#include "log.h"
#include "va.h"
#include "va_internal.h"

/* Per-try DNS timeout; the validation deadline bounds the total. */
#define DNS_TRY_MS	2000

static int
addr_from_text(const char *s, struct va_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->bytes) == 1)
		a->family = AF_INET6;
	else
		return -1;
	/* Canonical text, whatever spelling was given. */
	if (inet_ntop(a->family, a->bytes, a->text, sizeof(a->text)) == NULL)
		return -1;
	return 0;
}

static void
addrs_add(struct va_addrs *out, const struct va_addr *a)
{
	size_t	 i, len;

	len = a->family == AF_INET ? 4 : 16;
	for (i = 0; i < out->n; i++)
		if (out->a[i].family == a->family &&
		    memcmp(out->a[i].bytes, a->bytes, len) == 0)
			return;
	if (out->n < VA_MAX_ADDRS)
		out->a[out->n++] = *a;
}

/* Addresses nobody can mean as a validation target. */
static bool
addr_unusable(const struct va_addr *a)
{
	static const unsigned char zero[16];

	if (a->family == AF_INET)
		return memcmp(a->bytes, zero, 4) == 0 ||
		    (a->bytes[0] & 0xf0) == 0xe0 ||		/* multicast */
		    memcmp(a->bytes, "\xff\xff\xff\xff", 4) == 0;
	return memcmp(a->bytes, zero, 16) == 0 || a->bytes[0] == 0xff;
}

bool
va_name_ok(const char *name)
{
	size_t	 len, label = 0;
	const char *p;

	len = strlen(name);
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
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

int
va_pin_parse(const char *s, char *name, size_t namesz, struct va_addr *addr)
{
	const char	*eq;
	char		 ip[64];
	size_t		 nlen, iplen, i;

	if (s == NULL || (eq = strchr(s, '=')) == NULL)
		return -1;
	nlen = (size_t)(eq - s);
	if (nlen == 0 || nlen >= namesz)
		return -1;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	for (i = 0; i < nlen; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] - 'A' + 'a');
	if (!va_name_ok(name))
		return -1;
	eq++;
	iplen = strlen(eq);
	if (iplen >= 2 && eq[0] == '[' && eq[iplen - 1] == ']') {
		eq++;
		iplen -= 2;
	}
	if (iplen == 0 || iplen >= sizeof(ip))
		return -1;
	memcpy(ip, eq, iplen);
	ip[iplen] = '\0';
	return addr_from_text(ip, addr);
}

/* RFC 6761 §6.3: "localhost." and names under it are loopback. */
static bool
is_localhost(const char *name)
{
	size_t	 len = strlen(name);

	if (strcasecmp(name, "localhost") == 0)
		return true;
	return len > 10 && strcasecmp(name + len - 10, ".localhost") == 0;
}

void
va_call_begin(struct va_call *vc, const struct va_opts *opts)
{
	memset(vc, 0, sizeof(*vc));
	vc->opts = opts;
}

void
va_call_end(struct va_call *vc)
{
	if (vc->ch != NULL)
		ares_destroy(vc->ch);
	vc->ch = NULL;
}

ares_channel
va_call_channel(struct va_call *vc, int64_t deadline)
{
	const struct va_opts	*opts = vc->opts;
	struct ares_options	 o;
	ares_channel		 ch = NULL;
	char			 lookups[] = "fb";
	int64_t			 left;
	int			 rc, mask;
	bool			 pinned;

	if (vc->ch != NULL)
		return vc->ch;
	pinned = opts->dns_resolver != NULL && opts->dns_resolver[0] != '\0';
	memset(&o, 0, sizeof(o));
	left = va_left_ms(deadline);
	o.timeout = left < DNS_TRY_MS ? (int)(left > 0 ? left : 1) : DNS_TRY_MS;
	o.tries = 2;
	o.ndomains = 0;		/* no search list: names are absolute */
	o.domains = NULL;
	o.flags = ARES_FLAG_NOSEARCH;
	mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_DOMAINS |
	    ARES_OPT_FLAGS;
	if (pinned) {
		/*
		 * The servers are --dns-resolver's (set below), so nothing
		 * in the system's resolver files matters: given every
		 * setting c-ares would take from them, it reads none of them
		 * (ARES_CONFIG_CHECK in c-ares's ares_init.c; issue #17).
		 * The rest are c-ares's own defaults: the hosts file, then
		 * DNS; ndots 1 (moot with no search list); no sort list.
		 */
		o.servers = NULL;
		o.nservers = 0;
		o.lookups = lookups;
		o.ndots = 1;
		o.sortlist = NULL;
		o.nsort = 0;
		mask |= ARES_OPT_SERVERS | ARES_OPT_LOOKUPS | ARES_OPT_NDOTS |
		    ARES_OPT_SORTLIST;
	}
	rc = ares_init_options(&ch, &o, mask);
	if (rc != ARES_SUCCESS) {
		log_err("va: ares_init_options: %s", ares_strerror(rc));
		return NULL;
	}
	if (pinned) {
		rc = ares_set_servers_ports_csv(ch, opts->dns_resolver);
		if (rc != ARES_SUCCESS) {
			log_err("va: dns resolver \"%s\": %s",
			    opts->dns_resolver, ares_strerror(rc));
			ares_destroy(ch);
			return NULL;
		}
	}
	vc->nchannels++;
	return vc->ch = ch;
}

static int
ares_wait(ares_channel ch, int64_t deadline)
{
	ares_socket_t	 socks[ARES_GETSOCK_MAXNUM];
	struct pollfd	 pfd[ARES_GETSOCK_MAXNUM];
	struct timeval	 maxtv, tv, *tvp;
	int64_t		 left, ms;
	int		 bits, i, n, rc;

	for (;;) {
		bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		n = 0;
		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;

			/* Not ARES_GETSOCK_WRITABLE: its 1 << 31 is UB. */
			if (((unsigned)bits >> i) & 1u)
				ev |= POLLIN;
			if (((unsigned)bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u)
				ev |= POLLOUT;
			if (ev == 0)
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = ev;
			pfd[n].revents = 0;
			n++;
		}
		if (n == 0)
			return 0;	/* nothing in flight */
		if ((left = va_left_ms(deadline)) == 0)
			return 0;	/* the caller cancels what is left */
		maxtv.tv_sec = (time_t)(left / 1000);
		maxtv.tv_usec = (suseconds_t)((left % 1000) * 1000);
		tvp = ares_timeout(ch, &maxtv, &tv);
		ms = (int64_t)tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
		rc = poll(pfd, (nfds_t)n, (int)ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			log_err("va: poll: %s", strerror(errno));
			return -1;
		}
		if (rc == 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++) {
			ares_socket_t r = ARES_SOCKET_BAD, w = ARES_SOCKET_BAD;

			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				r = pfd[i].fd;
			if (pfd[i].revents & POLLOUT)
				w = pfd[i].fd;
			if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD)
				ares_process_fd(ch, r, w);
		}
	}
}

int
va_call_wait(struct va_call *vc, int64_t deadline)
{
	int	 rc;

	if (vc->ch == NULL)
		return 0;
	rc = ares_wait(vc->ch, deadline);
	/*
	 * Whatever is still in flight (the deadline passed, or poll
	 * failed) gets its callback now, with ARES_ECANCELLED: the next
	 * lookup on this channel must not find a stale query.
	 */
	ares_cancel(vc->ch);
	return rc;
}

struct gai_state {
	bool		 done;
	int		 status;
	struct va_addrs	 addrs;
	size_t		 nunusable;
};

static void
gai_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct gai_state		*st = arg;
	struct ares_addrinfo_node	*n;
	struct va_addr			 a;

	(void)timeouts;
	st->done = true;
	st->status = status;
	if (status != ARES_SUCCESS || ai == NULL)
		goto out;
	for (n = ai->nodes; n != NULL; n = n->ai_next) {
		memset(&a, 0, sizeof(a));
		if (n->ai_family == AF_INET &&
		    n->ai_addrlen >= sizeof(struct sockaddr_in)) {
			const struct sockaddr_in *s4 =
			    (const struct sockaddr_in *)(const void *)n->ai_addr;

			a.family = AF_INET;
			memcpy(a.bytes, &s4->sin_addr, 4);
		} else if (n->ai_family == AF_INET6 &&
		    n->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			const struct sockaddr_in6 *s6 =
			    (const struct sockaddr_in6 *)(const void *)n->ai_addr;

			a.family = AF_INET6;
			memcpy(a.bytes, &s6->sin6_addr, 16);
		} else
			continue;
		if (inet_ntop(a.family, a.bytes, a.text, sizeof(a.text)) ==
		    NULL)
			continue;
		if (addr_unusable(&a)) {
			st->nunusable++;
			continue;
		}
		addrs_add(&st->addrs, &a);
	}
out:
	ares_freeaddrinfo(ai);
}

static int
dns_problem(struct acme_problem *prob, const char *name, int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENONAME:
		return acme_problem_set(prob, ACME_P_DNS,
		    "DNS problem: NXDOMAIN looking up %s: the name does not "
		    "exist; add it to your DNS or /etc/hosts, or pin it with "
		    "--resolve %s=IP", name, name);
	case ARES_ENODATA:
		return acme_problem_set(prob, ACME_P_DNS,
		    "DNS problem: no A or AAAA record for %s; add one, or pin "
		    "it with --resolve %s=IP", name, name);
	case ARES_ETIMEOUT:
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return acme_problem_set(prob, ACME_P_DNS,
		    "DNS problem: query timed out looking up %s: is the DNS "
		    "resolver reachable? (see --dns-resolver)", name);
	case ARES_ECONNREFUSED:		/* also every server's SERVFAIL */
	case ARES_ESERVFAIL:
		return acme_problem_set(prob, ACME_P_DNS,
		    "DNS problem: SERVFAIL (or REFUSED, or no DNS server "
		    "reachable) looking up %s (see --dns-resolver)", name);
	case ARES_EREFUSED:
		return acme_problem_set(prob, ACME_P_DNS,
		    "DNS problem: the DNS resolver REFUSED the query for %s",
		    name);
	default:
		return acme_problem_set(prob, ACME_P_DNS,
		    "DNS problem: looking up %s failed (%s)", name,
		    ares_strerror(status));
	}
}

static int
resolve_dns(struct va_call *vc, const char *name, int64_t deadline,
    struct va_addrs *out, struct acme_problem *prob)
{
	struct ares_addrinfo_hints	 hints;
	struct gai_state		 st;
	ares_channel			 ch;

	memset(&st, 0, sizeof(st));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;
	if ((ch = va_call_channel(vc, deadline)) == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error resolving a name");
	ares_getaddrinfo(ch, name, NULL, &hints, gai_cb, &st);
	if (va_call_wait(vc, deadline) == -1)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "internal error resolving a name");
	if (!st.done || st.status != ARES_SUCCESS) {
		log_info("va: resolving %s: %s", name,
		    st.done ? ares_strerror(st.status) : "timed out");
		return dns_problem(prob, name,
		    st.done ? st.status : ARES_ETIMEOUT);
	}
	if (st.addrs.n == 0) {
		if (st.nunusable > 0)
			return acme_problem_set(prob, ACME_P_DNS,
			    "DNS problem: %s resolves only to unspecified, "
			    "broadcast or multicast addresses", name);
		return dns_problem(prob, name, ARES_ENODATA);
	}
	*out = st.addrs;
	return 0;
}

int
va_resolve(struct va_call *vc, const char *name, int64_t deadline,
    struct va_addrs *out, struct acme_problem *prob)
{
	const struct va_opts	*opts = vc->opts;
	struct va_addr	 a;
	char		 pname[256];
	size_t		 i;

	memset(out, 0, sizeof(*out));
	/* RFC 8738: an IP identifier (or IP literal host) is the address. */
	if (addr_from_text(name, &a) == 0) {
		addrs_add(out, &a);
		return 0;
	}
	if (!va_name_ok(name))
		return acme_problem_set(prob, ACME_P_DNS,
		    "DNS problem: the host name is not a valid DNS name");
	/* RFC 6761 §6.3: resolve localhost names to loopback, no DNS. */
	if (is_localhost(name)) {
		(void)addr_from_text("127.0.0.1", &a);
		addrs_add(out, &a);
		(void)addr_from_text("::1", &a);
		addrs_add(out, &a);
		return 0;
	}
	for (i = 0; i < opts->nresolve; i++) {
		if (va_pin_parse(opts->resolve[i], pname, sizeof(pname),
		    &a) == -1)
			continue;	/* va_new refuses these */
		if (strcasecmp(pname, name) == 0)
			addrs_add(out, &a);
	}
	if (out->n > 0)
		return 0;
	return resolve_dns(vc, name, deadline, out, prob);
}

int
va_reverse_name(const struct va_addr *a, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 off = 0;
	int			 i, n;

	if (a->family == AF_INET) {
		n = snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa",
		    a->bytes[3], a->bytes[2], a->bytes[1], a->bytes[0]);
		return n < 0 || (size_t)n >= outsz ? -1 : 0;
	}
	/* RFC 3596 §2.5: nibbles, least significant first. */
	if (outsz < 16 * 4 + sizeof("ip6.arpa"))
		return -1;
	for (i = 15; i >= 0; i--) {
		out[off++] = hex[a->bytes[i] & 0x0f];
		out[off++] = '.';
		out[off++] = hex[a->bytes[i] >> 4];
		out[off++] = '.';
	}
	memcpy(out + off, "ip6.arpa", sizeof("ip6.arpa"));
	return 0;
}

void
va_addr_port(const struct va_addr *a, unsigned port, char *out, size_t outsz)
{
	if (a->family == AF_INET6)
		snprintf(out, outsz, "[%s]:%u", a->text, port);
	else
		snprintf(out, outsz, "%s:%u", a->text, port);
}
