/* admin.c - the management API: its guards (Host, Origin, bearer token, HTTPS) and handlers */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/b64url.h"
#include "acme/payload.h"
#include "acme/render.h"
#include "acme/serial.h"
#include "admin.h"
#include "admin_internal.h"
#include "admin_conformance.h"
#include "admin_hier.h"
#include "ca.h"
#include "config.h"
#include "httpd.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "ra.h"
#include "statedir.h"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_PROM		"text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON		"application/json"
#define TOKEN_BYTES	32		/* 256 bits, 43 base64url characters */
#define TOKEN_MAX	512		/* a token file's line, without the newline */
#define TOKEN_FILE	"admin.token"

/* What a refusal was for; each kind is logged at most once a second. */
enum refusal {
	REFUSE_HOST = 0,
	REFUSE_ORIGIN,
	REFUSE_TOKEN,
	REFUSE_CTYPE,
	REFUSE_KINDS
};

struct admin {
	struct admin_opts	 opts;
	char			*listen;
	char			 lhost[64];	/* the listen address, no brackets */
	char			**names;	/* opts.hostnames, copied */
	size_t			 nnames;
	int			 port;		/* bound port, after admin_start */
	unsigned char		 token_md[32];	/* SHA-256 of the bearer token */
	bool			 token_given;	/* from admin_token_file */
	struct ca		*ca;
	struct ra		*ra;		/* the store, through the RA */
	pthread_mutex_t		 mu;
	time_t			 logged[REFUSE_KINDS];	/* under mu */
	unsigned long		 quiet[REFUSE_KINDS];	/* under mu */
	struct httpd		*httpd;
};

static void
reply_text(struct http_response *resp, int status, const char *msg)
{
	char *s = strdup(msg);

	http_response_set_body(resp, status, CT_TEXT, s, s != NULL ? strlen(s) : 0);
}

static void __attribute__((format(printf, 3, 4)))
reply_textf(struct http_response *resp, int status, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply_text(resp, status, buf);
}

static void
reply_json(struct http_response *resp, int status, json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s == NULL) {
		reply_text(resp, 500, "internal error\n");
		return;
	}
	http_response_set_body(resp, status, CT_JSON, s, strlen(s));
}

static void
cert_status(struct admin *a, const char *hex, struct http_response *resp)
{
	struct acme_cert	 c = { 0 };
	enum ra_result		 rc;
	json_t			*j;
	char			 serial[ACME_SERIAL_SIZE], t[32], why[160];
	char			 err[512];

	/* Compared as numbers: case, ':' and leading zeros do not matter. */
	if (acme_serial_normalize(hex, serial, why, sizeof(why)) == -1) {
		reply_textf(resp, 400, "%s\n", why);
		return;
	}
	rc = ra_cert_status(a->ra, serial, &c, err, sizeof(err));
	if (rc == RA_NOTFOUND) {
		acme_cert_clear(&c);
		reply_text(resp, 404, "no such certificate\n");
		return;
	}
	if (rc != RA_OK) {
		acme_cert_clear(&c);
		log_err("admin: %s", err);
		reply_text(resp, 500, "database error\n");
		return;
	}
	j = json_object();
	json_object_set_new(j, "serial", json_string(c.serial));
	json_object_set_new(j, "status", json_string(
	    c.status == ACME_CERT_REVOKED ? "revoked" : "valid"));
	if (acme_time_rfc3339(c.not_before, t) == 0)
		json_object_set_new(j, "notBefore", json_string(t));
	if (acme_time_rfc3339(c.not_after, t) == 0)
		json_object_set_new(j, "notAfter", json_string(t));
	if (c.status == ACME_CERT_REVOKED) {
		json_object_set_new(j, "reason",
		    json_integer(c.revocation_reason));
		if (acme_time_rfc3339(c.revoked_at, t) == 0)
			json_object_set_new(j, "revokedAt", json_string(t));
	}
	json_object_set_new(j, "names", json_string(c.names != NULL ?
	    c.names : ""));
	if (c.pem != NULL)
		json_object_set_new(j, "certificate", json_string(c.pem));
	/* Pebble's members too, last (issue #15 item 2). */
	if (admin_pebble_status(j, &c) == -1) {
		json_decref(j);
		j = NULL;
	}
	acme_cert_clear(&c);
	reply_json(resp, 200, j);
}

/*
 * POST /set-renewal-info/ (RFC 9773 test hook, as Pebble offers): our
 * body, or Pebble's {"Certificate", "ARIResponse"} (admin_pebble.c).
 */
static void
set_renewal_info(struct admin *a, const struct http_request *req,
    struct http_response *resp)
{
	struct acme_ari_certid	 id;
	struct acme_problem	 prob;
	json_t			*j = NULL, *win, *pj = NULL;
	json_error_t		 jerr;
	const char		*certid = NULL, *serial = NULL, *s, *e;
	const char		*url = NULL;
	char			 hex[ACME_SERIAL_SIZE], why[160], err[512];
	time_t			 ts, te;
	enum ra_result		 rc;
	int			 peb = 0;

	if ((j = json_loadb(req->body, req->bodysz, JSON_REJECT_DUPLICATES,
	    &jerr)) != NULL && json_is_object(j) &&
	    (peb = admin_pebble_renewal(j, hex, &ts, &te, &url, &pj, why,
	    sizeof(why))) == -1) {
		reply_textf(resp, 400, "%s\n", why);
		goto out;
	}
	if (peb == 1)
		goto set;
	if (j == NULL || json_unpack_ex(j, &jerr, 0,
	    "{s?:s, s?:s, s:{s:s, s:s}, s?:s}", "certID", &certid,
	    "serial", &serial, "suggestedWindow", "start", &s, "end", &e,
	    "explanationURL", &url) != 0 ||
	    (certid == NULL) == (serial == NULL) ||
	    (win = json_object_get(j, "suggestedWindow")) == NULL) {
		reply_text(resp, 400, "want {\"certID\" or \"serial\", "
		    "\"suggestedWindow\": {\"start\", \"end\"}, "
		    "\"explanationURL\"?}, or Pebble's {\"Certificate\", "
		    "\"ARIResponse\"}\n");
		goto out;
	}
	if (acme_time_parse_rfc3339(s, &ts) == -1 ||
	    acme_time_parse_rfc3339(e, &te) == -1 || te <= ts) {
		reply_text(resp, 400, "start and end must be RFC 3339 times, "
		    "end after start\n");
		goto out;
	}
	if (certid != NULL) {
		if (acme_ari_certid_parse(certid, &id, &prob) == -1 ||
		    acme_ari_certid_serial_hex(&id, hex) == -1) {
			reply_text(resp, 400, "malformed certID\n");
			goto out;
		}
	} else if (acme_serial_normalize(serial, hex, why, sizeof(why)) == -1) {
		reply_textf(resp, 400, "serial: %s\n", why);
		goto out;
	}
set:
	rc = ra_renewal_info_set(a->ra, hex, ts, te, url, err, sizeof(err));
	if (rc == RA_NOTFOUND)
		reply_text(resp, 404, "no such certificate\n");
	else if (rc != RA_OK) {
		log_err("admin: %s", err);
		reply_text(resp, 500, "database error\n");
	} else {
		log_info("admin: renewal window of %s set", hex);
		reply_text(resp, 200, "ok\n");
	}
out:
	json_decref(pj);
	json_decref(j);
}

/* Header text fit for a log line: printable ASCII, at most 80 bytes. */
static void
loggable(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	for (; in != NULL && *in != '\0' && n + 1 < outsz && n < 80; in++)
		out[n++] = *in >= 0x20 && *in < 0x7f && *in != '"' ? *in : '?';
	out[n] = '\0';
}

/*
 * Answer a refusal and log it, at most one line a second per kind (a
 * web page can send requests in a loop) with the count left unsaid.
 */
static void __attribute__((format(printf, 5, 6)))
refuse(struct admin *a, const struct http_request *req,
    struct http_response *resp, enum refusal kind, const char *fmt, ...)
{
	static const int	 status[REFUSE_KINDS] = { 403, 403, 401, 415 };
	char			 why[256];
	unsigned long		 quiet = 0;
	bool			 say = false;
	time_t			 now = time(NULL);
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&a->mu);
	if (a->logged[kind] != now) {
		a->logged[kind] = now;
		quiet = a->quiet[kind];
		a->quiet[kind] = 0;
		say = true;
	} else
		a->quiet[kind]++;
	pthread_mutex_unlock(&a->mu);
	if (say)
		log_warn("admin: refused %s %s from %s: %s (%d)%s", req->method,
		    req->path, req->remote_addr, why, status[kind],
		    quiet > 0 ? "; more refusals not logged" : "");
	if (kind == REFUSE_TOKEN)
		(void)http_response_add_header(resp, "WWW-Authenticate",
		    "Bearer realm=\"localacme-admin\"");
	reply_textf(resp, status[kind], "%s\n", why);
}

/*
 * DNS rebinding (issue #12): a page on evil.example whose name now
 * resolves to 127.0.0.1 reaches us with "Host: evil.example:PORT". Only
 * the listen address, localhost and the configured names (each bare or
 * with our port, RFC 9110 §7.2) are ours.
 */
static bool
host_ok(const struct admin *a, const char *host)
{
	char		 name[256];
	const char	*end, *port;
	size_t		 n;
	bool		 ok = false;

	if (host == NULL)
		return false;
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return false;
		if (end[1] != '\0' && end[1] != ':')
			return false;
		host++;
		port = end[1] == ':' ? end + 2 : NULL;
	} else {
		end = host + strcspn(host, ":");
		port = *end == ':' ? end + 1 : NULL;
	}
	if ((n = (size_t)(end - host)) == 0 || n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (port != NULL) {
		char	*e;
		long	 p;

		errno = 0;
		p = strtol(port, &e, 10);
		if (*port < '0' || *port > '9' || *e != '\0' || errno != 0 ||
		    p != a->port)
			return false;
	}
	ok = strcasecmp(name, a->lhost) == 0 ||
	    strcasecmp(name, "localhost") == 0;
	for (size_t i = 0; !ok && i < a->nnames; i++)
		ok = strcasecmp(name, a->names[i]) == 0;
	return ok;
}

static void
sha256(const char *s, size_t len, unsigned char md[32])
{
	unsigned int mdlen = 32;

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		RAND_bytes(md, 32);	/* matches nothing */
}

/*
 * "Authorization: Bearer <token>" (RFC 6750 §2.1; the scheme is
 * case-insensitive, RFC 9110 §11.1). The digests are compared, in
 * constant time, so neither the token's bytes nor its length leak.
 */
static bool
token_ok(const struct admin *a, const char *auth)
{
	unsigned char	 md[32];
	const char	*t;
	size_t		 n;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	for (t = auth + 7; *t == ' '; t++)
		;
	n = strlen(t);
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	sha256(t, n, md);
	return CRYPTO_memcmp(md, a->token_md, sizeof(md)) == 0;
}

/* application/json, any case, parameters allowed (RFC 9110 §8.3.1). */
static bool
json_ctype(const char *ct)
{
	if (ct == NULL || strncasecmp(ct, CT_JSON, strlen(CT_JSON)) != 0)
		return false;
	ct += strlen(CT_JSON);
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

void
admin_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct admin	*a = arg;
	const char	*p = req->path;
	bool		 get = strcmp(req->method, "GET") == 0 ||
			    strcmp(req->method, "HEAD") == 0;
	bool		 key;
	enum admin_hier_kind hk;
	unsigned	 hn;
	char		*m, hv[96];
	size_t		 len;

	/*
	 * A web page can make the browser send requests here: refuse any
	 * request a browser would send on a page's behalf. A page on
	 * another name is caught by Host (DNS rebinding); fetch() and forms
	 * always send Origin on POST and on cross-origin requests.
	 */
	if (!host_ok(a, req->host)) {
		loggable(req->host, hv, sizeof(hv));
		refuse(a, req, resp, REFUSE_HOST, "forbidden: Host \"%s\" is "
		    "not this listener, localhost or a --hostname", hv);
		return;
	}
	if (req->origin != NULL) {
		loggable(req->origin, hv, sizeof(hv));
		refuse(a, req, resp, REFUSE_ORIGIN, "forbidden: a request "
		    "with an Origin (\"%s\") comes from a web page", hv);
		return;
	}
	/* --dns-mock: no token on a loopback listener (README, ARCHITECTURE). */
	if (a->opts.dns_mock != NULL && admin_dnsmock_path(p)) {
		if (!config_hostport_is_loopback(a->listen) &&
		    !token_ok(a, req->authorization))
			refuse(a, req, resp, REFUSE_TOKEN, "unauthorized: "
			    "send Authorization: Bearer <the admin token>");
		else
			admin_dnsmock_handle(a->opts.dns_mock, req, resp);
		return;
	}
	if (strcmp(p, "/set-renewal-info/") == 0 ||
	    strcmp(p, "/set-renewal-info") == 0) {
		if (strcmp(req->method, "POST") != 0) {
			reply_text(resp, 405, "use POST\n");
			return;
		}
		if (!token_ok(a, req->authorization)) {
			refuse(a, req, resp, REFUSE_TOKEN, "unauthorized: "
			    "send Authorization: Bearer <the admin token>");
			return;
		}
		if (!json_ctype(req->content_type)) {
			refuse(a, req, resp, REFUSE_CTYPE, "unsupported media "
			    "type: POST needs Content-Type: application/json");
			return;
		}
		set_renewal_info(a, req, resp);
		return;
	}
	if (!get) {
		reply_text(resp, 405, "use GET\n");
		return;
	}
	/* roots/N, intermediates/N and their keys, per hierarchy (admin_hier.c) */
	if ((hk = admin_hier_parse(p, &hn)) != ADMIN_HIER_NONE) {
		key = hk == ADMIN_HIER_ROOT_KEY ||
		    hk == ADMIN_HIER_INTERMEDIATE_KEY;
		/* The key endpoints do not exist without --admin-expose-keys. */
		if (key && !a->opts.expose_keys)
			reply_text(resp, 404, "not found\n");
		else if (key && !token_ok(a, req->authorization))
			refuse(a, req, resp, REFUSE_TOKEN, "unauthorized: "
			    "send Authorization: Bearer <the admin token>");
		else
			admin_hier_reply(a->ca, hk, hn, resp);
		return;
	}
	if (strncmp(p, "/cert-status-by-serial/", 23) == 0 &&
	    p[23] != '\0')
		cert_status(a, p + 23, resp);
	else if (strcmp(p, "/conformance") == 0)
		admin_conformance(resp);
	else if (strcmp(p, "/metrics") == 0) {
		if ((m = metrics_render(&len)) == NULL)
			reply_text(resp, 500, "out of memory\n");
		else
			http_response_set_body(resp, 200, CT_PROM, m, len);
	} else
		reply_text(resp, 404, "not found\n");
}

/* At least 128 bits: 32+ hex digits, or 22+ base64url characters. */
static bool
token_fit(const char *t, size_t n)
{
	bool hex = true;

	if (n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return false;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			hex = false;
	}
	return n >= (hex ? 32u : 22u);
}

/*
 * Read a token file: O_NOFOLLOW, then fstat on the fd: a regular file of
 * ours that nobody else may read (the token guards the CA keys), one line.
 * Returns 0 with the token in buf, -1 with err naming the file (never
 * its contents); *missing says the file does not exist.
 */
static int
token_read(const char *path, char buf[TOKEN_MAX + 2], bool *missing,
    char *err, size_t errsz)
{
	struct stat	 st;
	ssize_t		 r = 0;
	size_t		 n = 0;
	int		 fd, rc = -1;

	*missing = false;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) ==
	    -1) {
		*missing = errno == ENOENT;
		snprintf(err, errsz, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		snprintf(err, errsz, "%s: not a regular file of ours", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errsz, "%s: mode %04o lets others read it "
		    "(chmod 600)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (n < TOKEN_MAX + 1) {
		r = read(fd, buf + n, TOKEN_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (r == -1) {
		snprintf(err, errsz, "%s: read: %s", path, strerror(errno));
		goto out;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (!token_fit(buf, n)) {
		snprintf(err, errsz, "%s: not a token of at least 128 bits "
		    "(one line of 32+ hex digits or 22+ base64url characters)",
		    path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc == -1)
		OPENSSL_cleanse(buf, TOKEN_MAX + 2);
	return rc;
}

/*
 * The bearer token: the given file's (refused if unfit), else
 * <state>/admin.token, reused when fit, else a new random one written
 * there atomically with mode 0600 (keys_write_file: temp file, fsync,
 * rename). Keeps only its digest. 0, or -1 with a one-line err.
 */
static int
token_setup(struct admin *a, char *err, size_t errsz)
{
	unsigned char	 raw[TOKEN_BYTES];
	char		 buf[TOKEN_MAX + 2], path[4096], why[4096 + 128];
	bool		 missing, given;
	int		 rc = -1;

	given = a->opts.token_file != NULL && a->opts.token_file[0] != '\0';
	if (given) {
		if (token_read(a->opts.token_file, buf, &missing, why,
		    sizeof(why)) == -1) {
			snprintf(err, errsz, "admin_token_file: %s", why);
			return -1;
		}
		sha256(buf, strlen(buf), a->token_md);
		rc = 0;
		goto out;
	}
	if (statedir_join(ca_state_dir(a->ca), TOKEN_FILE, path,
	    sizeof(path)) == -1) {
		snprintf(err, errsz, "admin: state directory path too long");
		return -1;
	}
	if (token_read(path, buf, &missing, why, sizeof(why)) == 0) {
		sha256(buf, strlen(buf), a->token_md);
		rc = 0;
		goto out;
	}
	if (!missing)
		log_warn("admin: %s; writing a new token", why);
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		snprintf(err, errsz, "admin: cannot draw a token");
		goto out;
	}
	acme_b64url_encode_buf(raw, sizeof(raw), buf);
	OPENSSL_cleanse(raw, sizeof(raw));
	sha256(buf, strlen(buf), a->token_md);
	strcat(buf, "\n");
	if (keys_write_file(path, buf, strlen(buf), 0600, !missing, why,
	    sizeof(why)) == -1) {
		snprintf(err, errsz, "admin: %s", why);
		goto out;
	}
	log_info("admin: new bearer token in %s", path);
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

struct admin *
admin_new(const struct admin_opts *opts, struct ra *ra, struct ca *ca,
    char *err, size_t errsz)
{
	struct admin	*a;
	int		 port;

	if (opts->listen == NULL || (opts->insecure_http &&
	    !config_hostport_is_loopback(opts->listen))) {
		snprintf(err, errsz, "admin_insecure_http: plain HTTP only on "
		    "a loopback admin_listen (127.0.0.0/8 or [::1]), not "
		    "\"%s\"", opts->listen != NULL ? opts->listen : "");
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	a->opts = *opts;
	a->ca = ca;
	a->ra = ra;
	pthread_mutex_init(&a->mu, NULL);
	if (config_split_hostport(opts->listen, a->lhost, sizeof(a->lhost),
	    &port) == -1) {
		snprintf(err, errsz, "admin_listen: \"%s\" is not IP:PORT or "
		    "[IPV6]:PORT", opts->listen);
		goto fail;
	}
	a->port = port;
	if ((a->listen = strdup(opts->listen)) == NULL ||
	    (opts->nhostnames > 0 && (a->names = calloc(opts->nhostnames,
	    sizeof(*a->names))) == NULL)) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	for (; a->nnames < opts->nhostnames; a->nnames++)
		if ((a->names[a->nnames] = strdup(opts->hostnames[a->nnames]))
		    == NULL) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
	a->opts.listen = a->listen;
	if (token_setup(a, err, errsz) == -1)
		goto fail;
	a->token_given = opts->token_file != NULL &&
	    opts->token_file[0] != '\0';
	a->opts.hostnames = NULL;	/* borrowed: not kept */
	a->opts.token_file = NULL;
	return a;
fail:
	admin_free(a);
	return NULL;
}

int
admin_start(struct admin *a, const char *cert_pem, const char *key_pem,
    char *err, size_t errsz)
{
	struct httpd_opts	 ho;
	const char		*l[1] = { a->listen };
	int			 port;

	memset(&ho, 0, sizeof(ho));
	ho.listen = l;
	ho.nlisten = 1;
	ho.max_body = a->opts.max_body != 0 ? a->opts.max_body : 65536;
	ho.threads = 1;
	if (!a->opts.insecure_http) {
		if (cert_pem == NULL || key_pem == NULL) {
			snprintf(err, errsz, "admin: no TLS certificate");
			return -1;
		}
		ho.cert_pem = cert_pem;
		ho.key_pem = key_pem;
	}
	if ((a->httpd = httpd_new(&ho, admin_handle, a, err, errsz)) == NULL)
		return -1;
	if (httpd_start(a->httpd, err, errsz) == -1) {
		httpd_free(a->httpd);
		a->httpd = NULL;
		return -1;
	}
	if ((port = httpd_bound_port(a->httpd, 0)) > 0)
		a->port = port;
	log_warn("admin: management API on %s://%s%s; bearer token: %s%s",
	    a->opts.insecure_http ? "http" : "https", a->listen,
	    a->opts.insecure_http ? " (plain HTTP, --admin-insecure-http)" :
	    "", a->token_given ? "--admin-token-file" : TOKEN_FILE
	    " in the state directory", a->opts.expose_keys ? "; CA KEYS ARE "
	    "EXPOSED to the token (--admin-expose-keys)" : "");
	return 0;
}

int
admin_set_certificate(struct admin *a, const char *cert_pem,
    const char *key_pem)
{
	if (a == NULL || a->httpd == NULL || a->opts.insecure_http)
		return 0;
	return httpd_set_certificate(a->httpd, cert_pem, key_pem);
}

int
admin_port(struct admin *a)
{
	return a->httpd != NULL ? httpd_bound_port(a->httpd, 0) : -1;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	httpd_free(a->httpd);
	free(a->listen);
	for (size_t i = 0; i < a->nnames; i++)
		free(a->names[i]);
	free(a->names);
	OPENSSL_cleanse(a->token_md, sizeof(a->token_md));
	pthread_mutex_destroy(&a->mu);
	free(a);
}
