/* va_tlsalpn01.c - tls-alpn-01 validation (RFC 8737, RFC 8738 §6) with OpenSSL */
/* SPDX-License-Identifier: MIT */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "log.h"
#include "va.h"
#include "va_internal.h"

#define CONNECT_MIN_MS	1000
/* RFC 8737 §6.2: ALPN protocol ID, in wire form (length-prefixed). */
static const unsigned char alpn_wire[] = "\x0a" "acme-tls/1";
#define ALPN_ID		"acme-tls/1"
/* RFC 8737 §6.1: id-pe-acmeIdentifier. */
#define ACME_IDENTIFIER_OID	"1.3.6.1.5.5.7.1.31"

enum conn_rc { CONN_OK = 0, CONN_REFUSED, CONN_TIMEOUT, CONN_ERR };

/*
 * Non-blocking connect bounded by connect_ms. Returns a connected
 * non-blocking socket in *fd, or the kind of failure (errno in *err).
 */
static enum conn_rc
tcp_connect(const struct va_addr *a, unsigned port, int64_t connect_ms,
    int *fd, int *err)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	struct pollfd		 pfd;
	socklen_t		 slen, elen;
	int64_t			 until;
	int			 s, e = 0, rc;

	*fd = -1;
	*err = 0;
	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, a->bytes, 4);
		slen = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		slen = sizeof(*s6);
	}
	if ((s = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		*err = errno;
		return CONN_ERR;
	}
	if (connect(s, (struct sockaddr *)&ss, slen) == 0) {
		*fd = s;
		return CONN_OK;
	}
	if (errno != EINPROGRESS) {
		*err = errno;
		close(s);
		return *err == ECONNREFUSED ? CONN_REFUSED : CONN_ERR;
	}
	until = va_now_ms() + connect_ms;
	for (;;) {
		pfd.fd = s;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)va_left_ms(until));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			*err = rc == 0 ? ETIMEDOUT : errno;
			close(s);
			return rc == 0 ? CONN_TIMEOUT : CONN_ERR;
		}
		break;
	}
	elen = sizeof(e);
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 || e != 0) {
		*err = e;
		close(s);
		return e == ECONNREFUSED ? CONN_REFUSED : CONN_ERR;
	}
	*fd = s;
	return CONN_OK;
}

/* Drive the handshake to completion or the deadline. 0 or -1. */
static int
handshake(SSL *ssl, int fd, int64_t deadline, bool *timedout)
{
	struct pollfd	 pfd;
	int		 r, e, pr;

	*timedout = false;
	for (;;) {
		ERR_clear_error();
		if ((r = SSL_connect(ssl)) == 1)
			return 0;
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -1;
		pfd.fd = fd;
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		pfd.revents = 0;
		if (va_left_ms(deadline) == 0) {
			*timedout = true;
			return -1;
		}
		pr = poll(&pfd, 1, (int)va_left_ms(deadline));
		if (pr < 0 && errno != EINTR)
			return -1;
		if (pr == 0) {
			*timedout = true;
			return -1;
		}
	}
}

/* RFC 8737 §3: exactly one SAN entry, equal to the identifier. */
static int
check_san(X509 *cert, const struct va_request *req, const struct va_addr *ip,
    const char *where, struct acme_problem *prob)
{
	GENERAL_NAMES		*gens = NULL;
	const GENERAL_NAME	*gn;
	const unsigned char	*d;
	int			 idx, len, rc = -1;
	size_t			 vlen;

	idx = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
	if (idx < 0) {
		acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "the tls-alpn-01 certificate from %s has no "
		    "subjectAltName: it must name %s (RFC 8737 §3)", where,
		    req->ident.value);
		goto out;
	}
	if (X509_get_ext_by_NID(cert, NID_subject_alt_name, idx) >= 0 ||
	    (gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
	    NULL)) == NULL || sk_GENERAL_NAME_num(gens) != 1) {
		acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "the tls-alpn-01 certificate from %s must carry exactly "
		    "one subjectAltName entry, %s (RFC 8737 §3)", where,
		    req->ident.value);
		goto out;
	}
	gn = sk_GENERAL_NAME_value(gens, 0);
	if (req->ident.type == ACME_IDENT_IP) {
		vlen = ip->family == AF_INET ? 4 : 16;
		if (gn->type == GEN_IPADD &&
		    (len = ASN1_STRING_length(gn->d.iPAddress)) >= 0 &&
		    (size_t)len == vlen &&
		    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), ip->bytes,
		    vlen) == 0)
			rc = 0;
	} else {
		vlen = strlen(req->ident.value);
		if (gn->type == GEN_DNS &&
		    (len = ASN1_STRING_length(gn->d.dNSName)) >= 0 &&
		    (size_t)len == vlen) {
			d = ASN1_STRING_get0_data(gn->d.dNSName);
			if (strncasecmp((const char *)d, req->ident.value,
			    vlen) == 0 && memchr(d, '\0', vlen) == NULL)
				rc = 0;
		}
	}
	if (rc == -1)
		acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "the subjectAltName of the tls-alpn-01 certificate from "
		    "%s does not match the identifier %s (RFC 8737 §3)", where,
		    req->ident.value);
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* RFC 8737 §3: one critical acmeIdentifier, OCTET STRING(SHA-256(keyauthz)). */
static int
check_acme_ext(X509 *cert, const struct va_request *req, const char *where,
    struct va_result *res)
{
	ASN1_OBJECT		*oid = NULL;
	X509_EXTENSION		*ext;
	const ASN1_OCTET_STRING	*data;
	unsigned char		 want[2 + 32];
	int			 idx, rc = -1;

	if ((oid = OBJ_txt2obj(ACME_IDENTIFIER_OID, 1)) == NULL) {
		log_openssl(LOG_LVL_ERROR, "va: tls-alpn-01: OBJ_txt2obj");
		acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
		    "internal error during validation");
		goto out;
	}
	if ((idx = X509_get_ext_by_OBJ(cert, oid, -1)) < 0) {
		acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
		    "the tls-alpn-01 certificate from %s has no "
		    "acmeIdentifier extension (1.3.6.1.5.5.7.1.31, RFC 8737 "
		    "§3)", where);
		rc = 0;
		goto out;
	}
	if (X509_get_ext_by_OBJ(cert, oid, idx) >= 0) {
		acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
		    "the tls-alpn-01 certificate from %s has more than one "
		    "acmeIdentifier extension", where);
		rc = 0;
		goto out;
	}
	ext = X509_get_ext(cert, idx);
	if (X509_EXTENSION_get_critical(ext) != 1) {
		acme_problem_set(&res->prob, ACME_P_UNAUTHORIZED,
		    "the acmeIdentifier extension of the tls-alpn-01 "
		    "certificate from %s is not marked critical (RFC 8737 "
		    "§3)", where);
		rc = 0;
		goto out;
	}
	want[0] = 0x04;		/* DER OCTET STRING, 32 octets */
	want[1] = 0x20;
	memcpy(want + 2, req->tlsalpn_digest, 32);
	data = X509_EXTENSION_get_data(ext);
	if (ASN1_STRING_length(data) != (int)sizeof(want) ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(data), want,
	    sizeof(want)) != 0) {
		acme_problem_set(&res->prob, ACME_P_INCORRECTRESPONSE,
		    "the acmeIdentifier extension of the tls-alpn-01 "
		    "certificate from %s does not hold SHA-256 of this "
		    "challenge's key authorization", where);
		rc = 0;
		goto out;
	}
	res->valid = true;
	rc = 0;
out:
	ASN1_OBJECT_free(oid);
	return rc;
}

/*
 * One handshake with one address. Returns 0 when the outcome decides
 * (res filled), 1 when the connection failed and another address may be
 * tried (*cr, *err say why), -1 on an internal error.
 */
static int
try_addr(SSL_CTX *ctx, const struct va_request *req, const char *sni,
    const struct va_addr *a, const struct va_addr *ip, unsigned port,
    int64_t connect_ms, int64_t deadline, enum conn_rc *cr, int *err,
    struct va_result *res)
{
	SSL			*ssl = NULL;
	X509			*cert;
	const unsigned char	*sel = NULL;
	unsigned int		 sellen = 0;
	char			 where[384], ap[64];
	bool			 timedout;
	int			 fd = -1, rc = -1;

	va_addr_port(a, port, ap, sizeof(ap));
	snprintf(where, sizeof(where), "%s (SNI %s)", ap, sni);
	if ((*cr = tcp_connect(a, port, connect_ms, &fd, err)) != CONN_OK) {
		rc = 1;
		goto out;
	}
	if ((ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, sni) != 1 ||
	    SSL_set_alpn_protos(ssl, alpn_wire, sizeof(alpn_wire) - 1) != 0) {
		log_openssl(LOG_LVL_ERROR, "va: tls-alpn-01: SSL setup");
		acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
		    "internal error during validation");
		goto out;
	}
	if (handshake(ssl, fd, deadline, &timedout) == -1) {
		log_openssl(LOG_LVL_INFO, "va: tls-alpn-01: handshake with %s",
		    where);
		if (timedout)
			acme_problem_set(&res->prob, ACME_P_CONNECTION,
			    "timed out during the TLS handshake with %s",
			    where);
		else
			acme_problem_set(&res->prob, ACME_P_TLS,
			    "TLS handshake with %s failed: does the server "
			    "answer TLS 1.2+ with ALPN \"acme-tls/1\" on the "
			    "tls-alpn-01 port %u (--tlsalpn01-port)?", where,
			    port);
		rc = 0;
		goto out;
	}
	/* RFC 8737 §3: the server MUST negotiate acme-tls/1. */
	SSL_get0_alpn_selected(ssl, &sel, &sellen);
	if (sellen != strlen(ALPN_ID) || memcmp(sel, ALPN_ID, sellen) != 0) {
		acme_problem_set(&res->prob, ACME_P_TLS,
		    "%s did not negotiate the ALPN protocol \"acme-tls/1\": "
		    "it is not a tls-alpn-01 responder", where);
		rc = 0;
		goto out;
	}
	if ((cert = SSL_get0_peer_certificate(ssl)) == NULL) {
		acme_problem_set(&res->prob, ACME_P_TLS,
		    "%s presented no certificate", where);
		rc = 0;
		goto out;
	}
	if (check_san(cert, req, ip, where, &res->prob) == -1) {
		rc = 0;
		goto out;
	}
	rc = check_acme_ext(cert, req, where, res);
out:
	SSL_free(ssl);
	if (fd != -1)
		close(fd);
	return rc;
}

int
va_tlsalpn01(struct va_call *vc, const struct va_request *req,
    int64_t deadline, struct va_result *res)
{
	const struct va_opts	*opts = vc->opts;
	SSL_CTX		*ctx = NULL;
	struct va_addrs	 addrs;
	struct va_addr	 ip;
	enum conn_rc	 cr = CONN_ERR;
	char		 sni[ACME_IDENT_VALUE_SIZE], where[256], one[64];
	unsigned	 port = va_opt_tlsalpn01_port(opts);
	int64_t		 connect_ms;
	size_t		 i;
	int		 err = 0, r, rc = -1;

	memset(&ip, 0, sizeof(ip));
	if (va_resolve(vc, req->ident.value, deadline, &addrs,
	    &res->prob) == -1)
		return res->prob.type == ACME_P_SERVERINTERNAL ? -1 : 0;
	if (req->ident.type == ACME_IDENT_IP) {
		/* RFC 8738 §6: SNI is the reverse-mapping name of the IP. */
		ip = addrs.a[0];
		if (va_reverse_name(&ip, sni, sizeof(sni)) == -1) {
			acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
			    "internal error during validation");
			goto out;
		}
	} else
		snprintf(sni, sizeof(sni), "%s", req->ident.value);

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		log_openssl(LOG_LVL_ERROR, "va: tls-alpn-01: SSL_CTX_new");
		acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
		    "internal error during validation");
		goto out;
	}
	/* The certificate is self-signed by design: no chain check. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);

	where[0] = '\0';
	for (i = 0; i < addrs.n; i++) {
		connect_ms = va_left_ms(deadline) / (int64_t)(addrs.n - i);
		if (connect_ms < CONNECT_MIN_MS)
			connect_ms = CONNECT_MIN_MS;
		r = try_addr(ctx, req, sni, &addrs.a[i], &ip, port, connect_ms,
		    deadline, &cr, &err, res);
		if (r == -1)
			goto out;
		if (r == 0) {
			rc = 0;
			goto out;
		}
		va_addr_port(&addrs.a[i], port, one, sizeof(one));
		if (where[0] != '\0')
			strncat(where, " and ", sizeof(where) - strlen(where) - 1);
		strncat(where, one, sizeof(where) - strlen(where) - 1);
		if (va_left_ms(deadline) == 0)
			break;
	}
	if (cr == CONN_REFUSED)
		acme_problem_set(&res->prob, ACME_P_CONNECTION,
		    "connection refused at %s for tls-alpn-01 of %s: is your "
		    "ACME client's tls-alpn-01 responder listening? (validation "
		    "uses port %u; change it with --tlsalpn01-port)", where,
		    req->ident.value, port);
	else if (cr == CONN_TIMEOUT)
		acme_problem_set(&res->prob, ACME_P_CONNECTION,
		    "timed out connecting to %s for tls-alpn-01 of %s: is a "
		    "firewall dropping packets? (validation uses port %u)",
		    where, req->ident.value, port);
	else
		acme_problem_set(&res->prob, ACME_P_CONNECTION,
		    "cannot connect to %s for tls-alpn-01 of %s (%s)", where,
		    req->ident.value, err != 0 ? strerror(err) :
		    "connection failed");
	rc = 0;
out:
	SSL_CTX_free(ctx);
	return rc;
}
