/* admin.c - the management API handler (roots, keys, certificate status, ARI overrides, metrics) */
/* SPDX-License-Identifier: MIT */
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

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/payload.h"
#include "acme/render.h"
#include "acme/serial.h"
#include "store/store.h"
#include "admin.h"
#include "ca.h"
#include "config.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "statedir.h"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_PROM		"text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON		"application/json"
#define CT_PEM		"application/x-pem-file"
#define KEY_MAX		(64 * 1024)

struct admin {
	struct admin_opts	 opts;
	char			*listen;
	char			*db_path;
	struct ca		*ca;
	struct store		*st;		/* under mu */
	pthread_mutex_t		 mu;
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
reply_str(struct http_response *resp, const char *ctype, const char *s)
{
	char *d = s != NULL ? strdup(s) : NULL;

	if (d == NULL) {
		reply_text(resp, 500, "internal error\n");
		return;
	}
	http_response_set_body(resp, 200, ctype, d, strlen(d));
}

/* A CA key file's PEM (only with --admin-expose-keys). */
static void
reply_key(struct admin *a, struct http_response *resp, const char *name)
{
	char	 path[4096], *buf = NULL;
	ssize_t	 n = -1;
	int	 fd;

	if (statedir_join(ca_state_dir(a->ca), name, path, sizeof(path)) ==
	    -1 || (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		reply_text(resp, 404, "no such key\n");
		return;
	}
	if ((buf = malloc(KEY_MAX + 1)) != NULL)
		n = read(fd, buf, KEY_MAX);
	close(fd);
	if (n <= 0) {
		free(buf);
		reply_text(resp, 500, "cannot read the key\n");
		return;
	}
	buf[n] = '\0';
	log_warn("admin: served %s (--admin-expose-keys)", name);
	http_response_set_body(resp, 200, CT_PEM, buf, (size_t)n);
}

static void
cert_status(struct admin *a, const char *hex, struct http_response *resp)
{
	struct acme_cert	 c = { 0 };
	enum store_status	 rc;
	json_t			*j;
	char			 serial[ACME_SERIAL_SIZE], t[32], why[160];

	/* Compared as numbers: case, ':' and leading zeros do not matter. */
	if (acme_serial_normalize(hex, serial, why, sizeof(why)) == -1) {
		reply_textf(resp, 400, "%s\n", why);
		return;
	}
	pthread_mutex_lock(&a->mu);
	rc = store_cert_get(a->st, serial, &c);
	pthread_mutex_unlock(&a->mu);
	if (rc == STORE_NOTFOUND) {
		acme_cert_clear(&c);
		reply_text(resp, 404, "no such certificate\n");
		return;
	}
	if (rc != STORE_OK) {
		log_err("admin: %s", store_errmsg(a->st));
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
	acme_cert_clear(&c);
	reply_json(resp, 200, j);
}

/* POST /set-renewal-info/ (RFC 9773 test hook, as Pebble offers). */
static void
set_renewal_info(struct admin *a, const struct http_request *req,
    struct http_response *resp)
{
	struct acme_ari_certid	 id;
	struct acme_problem	 prob;
	json_t			*j = NULL, *win;
	json_error_t		 jerr;
	const char		*certid = NULL, *serial = NULL, *s, *e;
	const char		*url = NULL;
	char			 hex[ACME_SERIAL_SIZE], why[160];
	time_t			 ts, te;
	enum store_status	 rc;

	if ((j = json_loadb(req->body, req->bodysz, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL || json_unpack_ex(j, &jerr, 0,
	    "{s?:s, s?:s, s:{s:s, s:s}, s?:s}", "certID", &certid,
	    "serial", &serial, "suggestedWindow", "start", &s, "end", &e,
	    "explanationURL", &url) != 0 ||
	    (certid == NULL) == (serial == NULL) ||
	    (win = json_object_get(j, "suggestedWindow")) == NULL) {
		reply_text(resp, 400, "want {\"certID\" or \"serial\", "
		    "\"suggestedWindow\": {\"start\", \"end\"}, "
		    "\"explanationURL\"?}\n");
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
	pthread_mutex_lock(&a->mu);
	rc = store_renewal_info_set(a->st, hex, ts, te, url);
	pthread_mutex_unlock(&a->mu);
	if (rc == STORE_NOTFOUND)
		reply_text(resp, 404, "no such certificate\n");
	else if (rc != STORE_OK) {
		log_err("admin: %s", store_errmsg(a->st));
		reply_text(resp, 500, "database error\n");
	} else {
		log_info("admin: renewal window of %s set", hex);
		reply_text(resp, 200, "ok\n");
	}
out:
	json_decref(j);
}

void
admin_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct admin	*a = arg;
	const char	*p = req->path;
	bool		 get = strcmp(req->method, "GET") == 0 ||
			    strcmp(req->method, "HEAD") == 0;
	char		*m;
	size_t		 len;

	if (strcmp(p, "/set-renewal-info/") == 0 ||
	    strcmp(p, "/set-renewal-info") == 0) {
		if (strcmp(req->method, "POST") != 0) {
			reply_text(resp, 405, "use POST\n");
			return;
		}
		set_renewal_info(a, req, resp);
		return;
	}
	if (!get) {
		reply_text(resp, 405, "use GET\n");
		return;
	}
	if (strcmp(p, "/roots/0") == 0)
		reply_str(resp, CT_PEM, ca_root_pem(a->ca));
	else if (strcmp(p, "/intermediates/0") == 0)
		reply_str(resp, CT_PEM, ca_chain_pem(a->ca));
	else if (a->opts.expose_keys && strcmp(p, "/root-keys/0") == 0)
		reply_key(a, resp, "root.key");
	else if (a->opts.expose_keys &&
	    strcmp(p, "/intermediate-keys/0") == 0)
		reply_key(a, resp, "intermediate.key");
	else if (strncmp(p, "/cert-status-by-serial/", 23) == 0 &&
	    p[23] != '\0')
		cert_status(a, p + 23, resp);
	else if (strcmp(p, "/metrics") == 0) {
		if ((m = metrics_render(&len)) == NULL)
			reply_text(resp, 500, "out of memory\n");
		else
			http_response_set_body(resp, 200, CT_PROM, m, len);
	} else
		reply_text(resp, 404, "not found\n");
}

static bool
is_loopback(const char *listen)
{
	char		 host[256];
	unsigned char	 b[16];
	int		 port;

	if (config_split_hostport(listen, host, sizeof(host), &port) == -1)
		return false;
	if (inet_pton(AF_INET, host, b) == 1)
		return b[0] == 127;
	if (inet_pton(AF_INET6, host, b) == 1) {
		static const unsigned char lo[16] = { [15] = 1 };
		return memcmp(b, lo, 16) == 0;
	}
	return false;
}

struct admin *
admin_new(const struct admin_opts *opts, struct ca *ca, char *err,
    size_t errsz)
{
	struct admin	*a;
	char		 serr[256];

	if (opts->listen == NULL || !is_loopback(opts->listen)) {
		snprintf(err, errsz, "admin_listen: \"%s\" is not a loopback "
		    "IP:PORT (127.0.0.0/8 or [::1])", opts->listen != NULL ?
		    opts->listen : "");
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	a->opts = *opts;
	a->ca = ca;
	pthread_mutex_init(&a->mu, NULL);
	if ((a->listen = strdup(opts->listen)) == NULL ||
	    (a->db_path = strdup(opts->db_path)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	a->opts.listen = a->listen;
	a->opts.db_path = a->db_path;
	if ((a->st = store_open(a->db_path, serr, sizeof(serr))) == NULL) {
		snprintf(err, errsz, "admin: %s: %s", a->db_path, serr);
		goto fail;
	}
	return a;
fail:
	admin_free(a);
	return NULL;
}

int
admin_start(struct admin *a, char *err, size_t errsz)
{
	struct httpd_opts	 ho;
	const char		*l[1] = { a->listen };

	memset(&ho, 0, sizeof(ho));
	ho.listen = l;
	ho.nlisten = 1;
	ho.max_body = a->opts.max_body != 0 ? a->opts.max_body : 65536;
	ho.threads = 1;
	if ((a->httpd = httpd_new(&ho, admin_handle, a, err, errsz)) == NULL)
		return -1;
	if (httpd_start(a->httpd, err, errsz) == -1) {
		httpd_free(a->httpd);
		a->httpd = NULL;
		return -1;
	}
	log_warn("admin: management API on http://%s (plain HTTP, loopback)%s",
	    a->listen, a->opts.expose_keys ? "; CA KEYS ARE EXPOSED "
	    "(--admin-expose-keys)" : "");
	return 0;
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
	store_close(a->st);
	free(a->listen);
	free(a->db_path);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
