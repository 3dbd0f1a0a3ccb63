/* dnsmock.c - the built-in test DNS server: its record table, the answer to a query, the UDP listener thread */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "dnsmock.h"
#include "dnsmock_wire.h"
#include "log.h"

/* Answers are not meant to be cached: the table changes under tests. */
#define TTL		0
#define SOA_NAME	"localacme-dnsmock.invalid"

struct rec {
	enum dnsmock_kind	 kind;
	char			 host[DNSW_NAME_MAX + 1];	/* lower-case */
	unsigned char		 data[DNSMOCK_VALUE_MAX + 32];	/* rdata */
	size_t			 len;
};

struct dnsmock {
	pthread_mutex_t		 mu;
	struct rec		*recs;		/* under mu */
	size_t			 nrecs;		/* under mu */
	unsigned char		 def4[4], def6[16];	/* under mu */
	bool			 has4, has6;		/* under mu */
	int			 fd;		/* UDP, -1 = none */
	int			 stop[2];	/* pipe: a byte stops the thread */
	pthread_t		 thread;
	bool			 started;
	char			 resolver[80];
};

static int
norm_host(const char *in, char out[DNSW_NAME_MAX + 1], char *err,
    size_t errsz)
{
	size_t	 n, i;

	n = in != NULL ? strlen(in) : 0;
	if (n > 1 && in[n - 1] == '.')
		n--;		/* "a.test." as challtestsrv's clients send */
	if (n == 0 || n > 253) {
		snprintf(err, errsz, "host must be a DNS name");
		return -1;
	}
	for (i = 0; i < n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ?
		    in[i] - 'A' + 'a' : in[i]);
	out[n] = '\0';
	if (!dnsw_name_ok(out)) {
		snprintf(err, errsz, "host \"%.80s\" is not a DNS name "
		    "(labels of letters, digits, '-', '_', '*')", out);
		return -1;
	}
	return 0;
}

static bool
rec_same(const struct rec *a, const struct rec *b)
{
	return a->kind == b->kind && strcmp(a->host, b->host) == 0 &&
	    a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Add r (under mu). */
static int
table_add(struct dnsmock *m, const struct rec *r, char *err, size_t errsz)
{
	size_t	 i;

	for (i = 0; i < m->nrecs; i++)
		if (rec_same(&m->recs[i], r))
			return 0;
	if (m->nrecs >= DNSMOCK_MAX_RECORDS) {
		snprintf(err, errsz, "the DNS mock holds at most %d records; "
		    "clear some", DNSMOCK_MAX_RECORDS);
		return -1;
	}
	m->recs[m->nrecs++] = *r;
	return 0;
}

/* Remove host's records of kind (under mu). */
static void
table_clear(struct dnsmock *m, enum dnsmock_kind kind, const char *host)
{
	size_t	 i = 0;

	while (i < m->nrecs) {
		if (m->recs[i].kind == kind &&
		    strcmp(m->recs[i].host, host) == 0)
			m->recs[i] = m->recs[--m->nrecs];
		else
			i++;
	}
}

int
dnsmock_set_default(struct dnsmock *m, int family, const char *ip,
    char *err, size_t errsz)
{
	unsigned char	 b[16];
	bool		 has = ip != NULL && ip[0] != '\0';

	if (has && inet_pton(family == 6 ? AF_INET6 : AF_INET, ip, b) != 1) {
		snprintf(err, errsz, "\"%.80s\" is not an IPv%d address", ip,
		    family == 6 ? 6 : 4);
		return -1;
	}
	pthread_mutex_lock(&m->mu);
	if (family == 6) {
		m->has6 = has;
		if (has)
			memcpy(m->def6, b, 16);
	} else {
		m->has4 = has;
		if (has)
			memcpy(m->def4, b, 4);
	}
	pthread_mutex_unlock(&m->mu);
	return 0;
}

int
dnsmock_add(struct dnsmock *m, enum dnsmock_kind kind, const char *host,
    const char *value, char *err, size_t errsz)
{
	struct rec	*r;
	int		 rc = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	r->kind = kind;
	if (norm_host(host, r->host, err, errsz) == -1)
		goto out;
	switch (kind) {
	case DNSMOCK_A:
	case DNSMOCK_AAAA:
		r->len = kind == DNSMOCK_A ? 4 : 16;
		if (value == NULL || inet_pton(kind == DNSMOCK_A ? AF_INET :
		    AF_INET6, value, r->data) != 1) {
			snprintf(err, errsz, "\"%.80s\" is not an IPv%d "
			    "address", value != NULL ? value : "",
			    kind == DNSMOCK_A ? 4 : 6);
			goto out;
		}
		break;
	case DNSMOCK_TXT:
		if (value == NULL || strlen(value) > DNSMOCK_VALUE_MAX ||
		    (r->len = dnsw_txt_rdata(value, r->data,
		    sizeof(r->data))) == 0) {
			snprintf(err, errsz, "a TXT value is at most %d octets",
			    DNSMOCK_VALUE_MAX);
			goto out;
		}
		break;
	case DNSMOCK_CNAME: {
		char target[DNSW_NAME_MAX + 1];

		if (norm_host(value, target, err, errsz) == -1 ||
		    (r->len = dnsw_name_rdata(target, r->data,
		    sizeof(r->data))) == 0) {
			snprintf(err, errsz, "target must be a DNS name");
			goto out;
		}
		memcpy(r->data, target, strlen(target) + 1);	/* text */
		r->len = strlen(target);
		break;
	}
	case DNSMOCK_SERVFAIL:
		break;
	default:
		snprintf(err, errsz, "no such record kind");
		goto out;
	}
	pthread_mutex_lock(&m->mu);
	if (kind == DNSMOCK_CNAME)
		table_clear(m, kind, r->host);
	rc = table_add(m, r, err, errsz);
	pthread_mutex_unlock(&m->mu);
out:
	free(r);
	return rc;
}

int
dnsmock_add_caa(struct dnsmock *m, const char *host, const char *tag,
    const char *value, char *err, size_t errsz)
{
	struct rec	*r;
	int		 rc = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	r->kind = DNSMOCK_CAA;
	if (norm_host(host, r->host, err, errsz) == -1)
		goto out;
	if (tag == NULL || value == NULL || strlen(value) > DNSMOCK_VALUE_MAX ||
	    (r->len = dnsw_caa_rdata(0, tag, value, r->data,
	    sizeof(r->data))) == 0) {
		snprintf(err, errsz, "a CAA tag is 1-15 letters or digits, "
		    "its value at most %d octets", DNSMOCK_VALUE_MAX);
		goto out;
	}
	pthread_mutex_lock(&m->mu);
	rc = table_add(m, r, err, errsz);
	pthread_mutex_unlock(&m->mu);
out:
	free(r);
	return rc;
}

int
dnsmock_clear(struct dnsmock *m, enum dnsmock_kind kind, const char *host,
    char *err, size_t errsz)
{
	char	 h[DNSW_NAME_MAX + 1];

	if (norm_host(host, h, err, errsz) == -1)
		return -1;
	pthread_mutex_lock(&m->mu);
	table_clear(m, kind, h);
	pthread_mutex_unlock(&m->mu);
	return 0;
}

/* The first record of kind for host (under mu), or NULL. */
static const struct rec *
find(const struct dnsmock *m, enum dnsmock_kind kind, const char *host)
{
	size_t	 i;

	for (i = 0; i < m->nrecs; i++)
		if (m->recs[i].kind == kind &&
		    strcmp(m->recs[i].host, host) == 0)
			return &m->recs[i];
	return NULL;
}

/* host's records of one kind into the answer, named name (under mu). */
static size_t
add_kind(const struct dnsmock *m, struct dnsw_msg *msg, const char *name,
    const char *host, enum dnsmock_kind kind, uint16_t type)
{
	size_t	 i, n = 0;

	for (i = 0; i < m->nrecs; i++)
		if (m->recs[i].kind == kind &&
		    strcmp(m->recs[i].host, host) == 0) {
			(void)dnsw_add_rr(msg, false, name, type, TTL,
			    m->recs[i].data, m->recs[i].len);
			n++;
		}
	return n;
}

/* RFC 2308 §3: a negative answer carries an SOA in authority. */
static void
add_soa(struct dnsw_msg *msg)
{
	unsigned char	 rd[128];
	size_t		 a, b;

	a = dnsw_name_rdata("ns." SOA_NAME, rd, sizeof(rd));
	b = dnsw_name_rdata("hostmaster." SOA_NAME, rd + a, sizeof(rd) - a);
	if (a == 0 || b == 0 || a + b + 20 > sizeof(rd))
		return;
	/* serial 1, refresh, retry, expire, minimum 0 */
	memset(rd + a + b, 0, 20);
	rd[a + b + 3] = 1;
	(void)dnsw_add_rr(msg, true, SOA_NAME, DNSW_T_SOA, TTL, rd,
	    a + b + 20);
}

/* The answer to a parsed query (under mu). */
static void
answer(const struct dnsmock *m, const struct dnsw_query *q,
    struct dnsw_msg *msg)
{
	const struct rec	*cn;
	unsigned char		 rd[DNSW_NAME_MAX];
	char			 target[DNSW_NAME_MAX + 1];
	const char		*host = q->name;
	size_t			 n = 0, len;

	if (q->name[0] == '\0')
		goto nodata;
	if ((cn = find(m, DNSMOCK_CNAME, host)) != NULL) {
		/* The CNAME, then one level of its target's records. */
		memcpy(target, cn->data, cn->len);
		target[cn->len] = '\0';
		if ((len = dnsw_name_rdata(target, rd, sizeof(rd))) > 0)
			(void)dnsw_add_rr(msg, false, q->name, DNSW_T_CNAME,
			    TTL, rd, len);
		n++;
		if (q->qtype == DNSW_T_CNAME)
			return;
		host = target;
		if (find(m, DNSMOCK_SERVFAIL, host) != NULL) {
			msg->buf[3] = (unsigned char)((msg->buf[3] & 0xf0) |
			    DNSW_R_SERVFAIL);
			return;
		}
	}
	switch (q->qtype) {
	case DNSW_T_A:
		if (add_kind(m, msg, host, host, DNSMOCK_A, DNSW_T_A) > 0)
			n++;
		else if (m->has4 && dnsw_add_rr(msg, false, host, DNSW_T_A,
		    TTL, m->def4, 4) == 0)
			n++;
		break;
	case DNSW_T_AAAA:
		if (add_kind(m, msg, host, host, DNSMOCK_AAAA,
		    DNSW_T_AAAA) > 0)
			n++;
		else if (m->has6 && dnsw_add_rr(msg, false, host,
		    DNSW_T_AAAA, TTL, m->def6, 16) == 0)
			n++;
		break;
	case DNSW_T_TXT:
		n += add_kind(m, msg, host, host, DNSMOCK_TXT, DNSW_T_TXT);
		break;
	case DNSW_T_CAA:
		n += add_kind(m, msg, host, host, DNSMOCK_CAA, DNSW_T_CAA);
		break;
	default:
		break;
	}
	if (n > 0)
		return;
nodata:
	add_soa(msg);
}

size_t
dnsmock_answer(struct dnsmock *m, const unsigned char *pkt, size_t n,
    unsigned char *out, size_t outsz)
{
	struct dnsw_query	 q;
	struct dnsw_msg		 msg;
	enum dnsw_parse		 pr;
	unsigned		 rcode = DNSW_R_NOERROR;
	size_t			 len;

	pr = dnsw_parse_query(pkt, n, &q);
	if (pr == DNSW_DROP)
		return 0;
	if (pr == DNSW_FORMERR)
		rcode = DNSW_R_FORMERR;
	else if (pr == DNSW_NOTIMP)
		rcode = DNSW_R_NOTIMP;
	else if (q.qclass != DNSW_C_IN)
		rcode = DNSW_R_REFUSED;
	if (rcode != DNSW_R_NOERROR)
		q.qlen = 0;	/* RFC 1035 §4.1.1: no question echoed */
	if (dnsw_begin(&msg, out, outsz, &q, rcode) == -1)
		return 0;
	if (rcode == DNSW_R_NOERROR) {
		pthread_mutex_lock(&m->mu);
		if (find(m, DNSMOCK_SERVFAIL, q.name) != NULL)
			out[3] = (unsigned char)((out[3] & 0xf0) |
			    DNSW_R_SERVFAIL);
		else
			answer(m, &q, &msg);
		pthread_mutex_unlock(&m->mu);
	}
	len = dnsw_finish(&msg);
	return len;
}

static void *
serve_thread(void *arg)
{
	struct dnsmock		*m = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	struct pollfd		 pfd[2];
	unsigned char		 in[4096], out[DNSW_UDP_MAX];
	ssize_t			 r;
	size_t			 len;

	pfd[0].fd = m->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = m->stop[0];
	pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_err("dnsmock: poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if ((pfd[0].revents & POLLIN) == 0)
			continue;
		fromlen = sizeof(from);
		r = recvfrom(m->fd, in, sizeof(in), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (r < 0)
			continue;	/* EAGAIN, ICMP errors */
		len = dnsmock_answer(m, in, (size_t)r, out, sizeof(out));
		if (len > 0)
			(void)sendto(m->fd, out, len, 0,
			    (struct sockaddr *)&from, fromlen);
	}
	return NULL;
}

static int
bind_udp(struct dnsmock *m, const char *listen, char *err, size_t errsz)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 host[64], text[64];
	int			 port, fam;

	memset(&ss, 0, sizeof(ss));
	if (config_split_hostport(listen, host, sizeof(host), &port) == -1 ||
	    port < 1 || port > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr)
	    == 1) {
		fam = AF_INET;
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		fam = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else
		goto bad;
	if ((m->fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(m->fd, (struct sockaddr *)&ss, sl) == -1) {
		snprintf(err, errsz, "dns_mock: cannot bind UDP %s: %s",
		    listen, strerror(errno));
		return -1;
	}
	/* The resolver the VA asks: the loopback for a wildcard address. */
	if (strcmp(host, "0.0.0.0") == 0)
		snprintf(text, sizeof(text), "127.0.0.1");
	else if (fam == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(
	    &((struct sockaddr_in6 *)&ss)->sin6_addr))
		snprintf(text, sizeof(text), "::1");
	else
		snprintf(text, sizeof(text), "%s", host);
	snprintf(m->resolver, sizeof(m->resolver), fam == AF_INET6 ?
	    "[%s]:%d" : "%s:%d", text, port);
	return 0;
bad:
	snprintf(err, errsz, "dns_mock: \"%s\" is not IP:PORT or [IPV6]:PORT",
	    listen);
	return -1;
}

struct dnsmock *
dnsmock_new(const struct dnsmock_opts *opts, char *err, size_t errsz)
{
	struct dnsmock	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->recs = calloc(DNSMOCK_MAX_RECORDS, sizeof(*m->recs))) ==
	    NULL) {
		free(m);
		snprintf(err, errsz, "dns_mock: out of memory");
		return NULL;
	}
	m->fd = -1;
	m->stop[0] = m->stop[1] = -1;
	pthread_mutex_init(&m->mu, NULL);
	if (dnsmock_set_default(m, 4, opts->default_ipv4, err, errsz) == -1) {
		snprintf(err, errsz, "dns_mock_default_ipv4: \"%.80s\" is not "
		    "an IPv4 address", opts->default_ipv4);
		goto fail;
	}
	if (dnsmock_set_default(m, 6, opts->default_ipv6, err, errsz) == -1) {
		snprintf(err, errsz, "dns_mock_default_ipv6: \"%.80s\" is not "
		    "an IPv6 address", opts->default_ipv6);
		goto fail;
	}
	if (opts->listen != NULL && opts->listen[0] != '\0' &&
	    bind_udp(m, opts->listen, err, errsz) == -1)
		goto fail;
	return m;
fail:
	dnsmock_free(m);
	return NULL;
}

int
dnsmock_start(struct dnsmock *m, char *err, size_t errsz)
{
	if (m->fd == -1 || m->started) {
		snprintf(err, errsz, "dns_mock: no listener, or started");
		return -1;
	}
	if (pipe(m->stop) == -1 ||
	    fcntl(m->stop[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(m->stop[1], F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errsz, "dns_mock: pipe: %s", strerror(errno));
		return -1;
	}
	if (pthread_create(&m->thread, NULL, serve_thread, m) != 0) {
		snprintf(err, errsz, "dns_mock: cannot start its thread");
		return -1;
	}
	m->started = true;
	return 0;
}

const char *
dnsmock_resolver(const struct dnsmock *m)
{
	return m->resolver;
}

void
dnsmock_free(struct dnsmock *m)
{
	if (m == NULL)
		return;
	if (m->started) {
		(void)write(m->stop[1], "x", 1);
		pthread_join(m->thread, NULL);
	}
	if (m->stop[0] != -1)
		close(m->stop[0]);
	if (m->stop[1] != -1)
		close(m->stop[1]);
	if (m->fd != -1)
		close(m->fd);
	pthread_mutex_destroy(&m->mu);
	free(m->recs);
	free(m);
}
