/* doctor_server.c - doctor's server check: the directory over TLS trusting only our root; the served names */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE	/* strptime, timegm */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "ca.h"
#include "config.h"
#include "doctor.h"

#define TIMEOUT_S	5
#define MAX_ANSWER	(256 * 1024)

int
doctor_url_split(const char *url, char *host, size_t hostsz, int *port,
    char *path, size_t pathsz)
{
	const char	*p, *end, *slash;
	size_t		 hlen;
	char		*e;
	long		 n;

	if (strncasecmp(url, "https://", 8) != 0)
		return -1;
	p = url + 8;
	slash = p + strcspn(p, "/");
	if (*p == '[') {
		if ((end = memchr(p, ']', (size_t)(slash - p))) == NULL)
			return -1;
		hlen = (size_t)(end - p - 1);
		p++;
		end++;
	} else {
		end = memchr(p, ':', (size_t)(slash - p));
		if (end == NULL)
			end = slash;
		hlen = (size_t)(end - p);
	}
	if (hlen == 0 || hlen >= hostsz)
		return -1;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	*port = 443;
	if (*end == ':') {
		n = strtol(end + 1, &e, 10);
		if (e != slash || n < 1 || n > 65535)
			return -1;
		*port = (int)n;
	} else if (end != slash)
		return -1;
	if (snprintf(path, pathsz, "%s", *slash == '\0' ? "/" : slash) >=
	    (int)pathsz)
		return -1;
	return 0;
}

/* A connected socket to host:port with timeouts, or -1 (errno, *gai). */
static int
dial(const char *host, int port, int *gai)
{
	struct addrinfo	 hints, *res = NULL;
	struct timeval	 tv = { TIMEOUT_S, 0 };
	char		 serv[16];
	int		 fd = -1, saved = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof(serv), "%d", port);
	if ((*gai = getaddrinfo(host, serv, &hints, &res)) != 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		/* Linux applies SO_SNDTIMEO to connect(2) too. */
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		errno = saved;
	return fd;
}

static bool
is_ip(const char *host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, host, b) == 1 ||
	    inet_pton(AF_INET6, host, b) == 1;
}

static bool
covers(X509 *x, const char *name)
{
	if (is_ip(name))
		return X509_check_ip_asc(x, name, 0) == 1;
	return X509_check_host(x, name, 0, 0, NULL) == 1;
}

/* The first line of OpenSSL's error queue, or what. */
static void
ssl_error(char *buf, size_t sz, const char *what)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, buf, sz);
	else
		snprintf(buf, sz, "%s", what);
	ERR_clear_error();
}

/* HTTP status, Date and body of a complete answer (Connection: close). */
static int
parse_answer(char *ans, int *status, time_t *date, const char **body)
{
	char		*hdr_end, *line, *next;
	struct tm	 tm;

	*date = 0;
	if (sscanf(ans, "HTTP/1.%*d %d", status) != 1 ||
	    (hdr_end = strstr(ans, "\r\n\r\n")) == NULL)
		return -1;
	*hdr_end = '\0';
	*body = hdr_end + 4;
	for (line = strstr(ans, "\r\n"); line != NULL; line = next) {
		line += 2;
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		if (strncasecmp(line, "Date:", 5) != 0)
			continue;
		memset(&tm, 0, sizeof(tm));
		line += 5 + strspn(line + 5, " \t");
		/* RFC 9110 §5.6.7: IMF-fixdate */
		if (strptime(line, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL)
			*date = timegm(&tm);
	}
	return 0;
}

void
doctor_check_server(struct doctor_report *r, const struct config *cfg,
    struct ca *ca, const char *url, time_t *server_date)
{
	SSL_CTX		*ctx = NULL;
	SSL		*ssl = NULL;
	X509		*peer = NULL;
	char		 host[256], path[1024], why[256], fix[DOCTOR_LINE];
	char		 qdir[PATH_MAX + 64], req[1600], missing[256] = "";
	char		*ans = NULL, until[32];
	const char	*body;
	json_t		*dir = NULL;
	size_t		 len = 0;
	int		 port, fd = -1, gai = 0, n, status;
	long		 vr;
	struct tm	 tm;

	*server_date = 0;
	doctor_shell_quote(cfg->state_dir, qdir, sizeof(qdir));
	if (doctor_url_split(url, host, sizeof(host), &port, path,
	    sizeof(path)) == -1) {
		doctor_add(r, "server", DOCTOR_FAIL, "localacme doctor --url "
		    "https://localhost:8555/directory", "%s is not an https:// "
		    "URL", url);
		return;
	}
	if ((fd = dial(host, port, &gai)) == -1) {
		size_t o;

		doctor_fmt(fix, sizeof(fix), "localacme serve --state %s", qdir);
		/* The listen addresses doctor was given, unless the default. */
		if (!(cfg->nlisten == 2 &&
		    strcmp(cfg->listen[0], "127.0.0.1:8555") == 0 &&
		    strcmp(cfg->listen[1], "[::1]:8555") == 0))
			for (size_t i = 0; i < cfg->nlisten; i++) {
				char q[128];

				doctor_shell_quote(cfg->listen[i], q, sizeof(q));
				o = strlen(fix);
				doctor_fmt(fix + o, sizeof(fix) - o, " --listen %s",
				    q);
			}
		doctor_add(r, "server", DOCTOR_FAIL, fix, "nothing answers at "
		    "%s (%s:%d: %s)", url, host, port, gai != 0 ?
		    gai_strerror(gai) : strerror(errno));
		goto out;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (ssl = SSL_new(ctx)) == NULL) {
		doctor_add(r, "server", DOCTOR_FAIL, NULL, "out of memory");
		goto out;
	}
	/* Only our root: the system's anchors are not asked (verify below). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (ca != NULL)
		X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx),
		    ca_root_cert(ca));
	SSL_set_fd(ssl, fd);
	if (!is_ip(host))
		SSL_set_tlsext_host_name(ssl, host);
	if (SSL_connect(ssl) != 1) {
		ssl_error(why, sizeof(why), "the handshake failed");
		doctor_fmt(fix, sizeof(fix), "ss -ltnp 'sport = :%d'  # is it "
		    "localacme serve?", port);
		doctor_add(r, "server", DOCTOR_FAIL, fix, "%s:%d answers, but "
		    "not with TLS: %s", host, port, why);
		goto out;
	}
	if ((peer = SSL_get1_peer_certificate(ssl)) == NULL) {
		doctor_add(r, "server", DOCTOR_FAIL, NULL, "%s:%d sent no "
		    "certificate", host, port);
		goto out;
	}
	vr = SSL_get_verify_result(ssl);
	if (ca != NULL && vr != X509_V_OK) {
		doctor_fmt(fix, sizeof(fix), "localacme doctor --state DIR  # the "
		    "state of the server at %s:%d", host, port);
		doctor_add(r, "server", DOCTOR_FAIL, fix, "the certificate at "
		    "%s is not from the CA in %s (%s)", url, cfg->state_dir,
		    X509_verify_cert_error_string(vr));
		goto out;
	}
	/* The URL's host and every --hostname must be in the certificate. */
	if (!covers(peer, host))
		snprintf(missing, sizeof(missing), "%s", host);
	for (size_t i = 0; i < cfg->nhostnames && missing[0] == '\0'; i++)
		if (!covers(peer, cfg->hostnames[i]))
			snprintf(missing, sizeof(missing), "%s",
			    cfg->hostnames[i]);
	if (missing[0] != '\0') {
		doctor_fmt(fix, sizeof(fix), "localacme serve --state %s "
		    "--hostname %s  # restart it", qdir, missing);
		doctor_add(r, "server", DOCTOR_FAIL, fix, "the certificate "
		    "served at %s does not cover %s", url, missing);
		goto out;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\n"
	    "User-Agent: localacme-doctor\r\nAccept: application/json\r\n"
	    "Connection: close\r\n\r\n", path, strchr(host, ':') ? "[" : "",
	    host, strchr(host, ':') ? "]" : "", port);
	if (n < 0 || (size_t)n >= sizeof(req) || SSL_write(ssl, req, n) != n) {
		ssl_error(why, sizeof(why), "write failed");
		doctor_add(r, "server", DOCTOR_FAIL, NULL, "%s: sending the "
		    "request failed: %s", url, why);
		goto out;
	}
	if ((ans = malloc(MAX_ANSWER + 1)) == NULL) {
		doctor_add(r, "server", DOCTOR_FAIL, NULL, "out of memory");
		goto out;
	}
	while (len < MAX_ANSWER && (n = SSL_read(ssl, ans + len,
	    (int)(MAX_ANSWER - len))) > 0)
		len += (size_t)n;
	ans[len] = '\0';
	ERR_clear_error();
	if (parse_answer(ans, &status, server_date, &body) == -1) {
		doctor_add(r, "server", DOCTOR_FAIL, NULL, "%s: no HTTP answer "
		    "within %d s", url, TIMEOUT_S);
		goto out;
	}
	dir = json_loads(body, 0, NULL);
	if (status != 200 || !json_is_object(dir) ||
	    json_object_get(dir, "newNonce") == NULL) {
		doctor_fmt(fix, sizeof(fix), "localacme doctor --url "
		    "https://%s:%d/directory", host, port);
		doctor_add(r, "server", DOCTOR_FAIL, fix, "%s answered HTTP %d, "
		    "not an ACME directory", url, status);
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(peer), &tm) == 1)
		strftime(until, sizeof(until), "%Y-%m-%d", &tm);
	else
		snprintf(until, sizeof(until), "?");
	doctor_add(r, "server", DOCTOR_OK, NULL, "%s answers: an ACME "
	    "directory, over a certificate %s%s until %s that covers %s",
	    url, ca != NULL ? "from this CA" : "(not checked: no CA)",
	    ca != NULL ? ", valid" : "", until, host);
out:
	json_decref(dir);
	free(ans);
	X509_free(peer);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd != -1)
		close(fd);
}
