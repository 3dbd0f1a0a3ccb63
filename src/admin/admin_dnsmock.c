/* admin_dnsmock.c - the management API's DNS mock routes, compatible with pebble-challtestsrv's */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "admin_internal.h"
#include "dnsmock.h"
#include "httpd.h"
#include "log.h"

#define CT_TEXT		"text/plain; charset=utf-8"

/*
 * The routes and bodies of pebble-challtestsrv's management interface,
 * so its clients (lego's exec hooks, Boulder-style test scripts) work
 * unchanged against `serve --dns-mock`:
 *   /set-default-ipv4, /set-default-ipv6   {"ip": "..."} ("" = none)
 *   /add-a, /add-aaaa                       {"host", "addresses": [...]}
 *   /set-txt                                {"host", "value"}
 *   /add-caa                                {"host", "policies":
 *                                            [{"tag", "value"}, ...]}
 *   /set-cname                              {"host", "target"}
 *   /set-servfail                           {"host"}
 *   /clear-a, /clear-aaaa, /clear-txt, /clear-caa, /clear-cname,
 *   /clear-servfail                         {"host"}
 */
enum route {
	R_DEF4, R_DEF6, R_ADD_A, R_ADD_AAAA, R_SET_TXT, R_ADD_CAA,
	R_SET_CNAME, R_SET_SERVFAIL, R_CLEAR
};

static const struct {
	const char		*path;
	enum route		 route;
	enum dnsmock_kind	 kind;
} routes[] = {
	{ "/set-default-ipv4",	R_DEF4,		DNSMOCK_A },
	{ "/set-default-ipv6",	R_DEF6,		DNSMOCK_AAAA },
	{ "/add-a",		R_ADD_A,	DNSMOCK_A },
	{ "/add-aaaa",		R_ADD_AAAA,	DNSMOCK_AAAA },
	{ "/set-txt",		R_SET_TXT,	DNSMOCK_TXT },
	{ "/add-caa",		R_ADD_CAA,	DNSMOCK_CAA },
	{ "/set-cname",		R_SET_CNAME,	DNSMOCK_CNAME },
	{ "/set-servfail",	R_SET_SERVFAIL,	DNSMOCK_SERVFAIL },
	{ "/clear-a",		R_CLEAR,	DNSMOCK_A },
	{ "/clear-aaaa",	R_CLEAR,	DNSMOCK_AAAA },
	{ "/clear-txt",		R_CLEAR,	DNSMOCK_TXT },
	{ "/clear-caa",		R_CLEAR,	DNSMOCK_CAA },
	{ "/clear-cname",	R_CLEAR,	DNSMOCK_CNAME },
	{ "/clear-servfail",	R_CLEAR,	DNSMOCK_SERVFAIL },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

static int
find_route(const char *path)
{
	size_t	 i;

	for (i = 0; i < NROUTES; i++)
		if (strcmp(path, routes[i].path) == 0)
			return (int)i;
	return -1;
}

bool
admin_dnsmock_path(const char *path)
{
	return find_route(path) >= 0;
}

static void
reply(struct http_response *resp, int status, const char *msg)
{
	char	 buf[320];
	char	*s;
	int	 n;

	n = snprintf(buf, sizeof(buf), "%s\n", msg);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	s = strdup(buf);
	http_response_set_body(resp, status, CT_TEXT, s,
	    s != NULL ? (size_t)n : 0);
}

/* A JSON string member, or NULL when absent or not a string. */
static const char *
str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* Each element of arr (strings) added as kind for host. */
static int
add_list(struct dnsmock *m, enum dnsmock_kind kind, const char *host,
    json_t *arr, char *err, size_t errsz)
{
	unsigned char	 buf[16];
	json_t		*v;
	size_t		 i;

	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		snprintf(err, errsz, "want {\"host\", \"addresses\": [...]}, "
		    "at least one address");
		return -1;
	}
	/* All or nothing: every address checked before the first is added. */
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || inet_pton(kind == DNSMOCK_A ?
		    AF_INET : AF_INET6, json_string_value(v), buf) != 1) {
			snprintf(err, errsz, "addresses must be IPv%d address "
			    "strings", kind == DNSMOCK_A ? 4 : 6);
			return -1;
		}
	}
	json_array_foreach(arr, i, v)
		if (dnsmock_add(m, kind, host, json_string_value(v), err,
		    errsz) == -1)
			return -1;
	return 0;
}

static int
add_caa(struct dnsmock *m, const char *host, json_t *arr, char *err,
    size_t errsz)
{
	json_t	*p;
	size_t	 i;

	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		snprintf(err, errsz, "want {\"host\", \"policies\": [{\"tag\", "
		    "\"value\"}, ...]}, at least one policy");
		return -1;
	}
	json_array_foreach(arr, i, p) {
		if (str(p, "tag") == NULL || str(p, "value") == NULL) {
			snprintf(err, errsz, "each policy needs \"tag\" and "
			    "\"value\" strings");
			return -1;
		}
		if (dnsmock_add_caa(m, host, str(p, "tag"), str(p, "value"),
		    err, errsz) == -1)
			return -1;
	}
	return 0;
}

void
admin_dnsmock_handle(struct dnsmock *m, const struct http_request *req,
    struct http_response *resp)
{
	json_t		*j = NULL;
	json_error_t	 jerr;
	const char	*host, *ip;
	char		 err[256];
	int		 i, rc = -1;

	if ((i = find_route(req->path)) < 0) {
		reply(resp, 404, "not found");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		reply(resp, 405, "use POST");
		return;
	}
	err[0] = '\0';
	if ((j = json_loadb(req->body, req->bodysz, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL || !json_is_object(j)) {
		reply(resp, 400, "the body must be a JSON object");
		goto out;
	}
	host = str(j, "host");
	switch (routes[i].route) {
	case R_DEF4:
	case R_DEF6:
		if ((ip = str(j, "ip")) == NULL) {
			snprintf(err, sizeof(err), "want {\"ip\": \"...\"} "
			    "(\"\" = no default)");
			break;
		}
		rc = dnsmock_set_default(m, routes[i].route == R_DEF6 ? 6 : 4,
		    ip, err, sizeof(err));
		if (rc == 0)
			log_info("dnsmock: default %s now %s",
			    routes[i].route == R_DEF6 ? "AAAA" : "A",
			    ip[0] != '\0' ? ip : "none");
		goto done;
	default:
		break;
	}
	if (host == NULL) {
		snprintf(err, sizeof(err), "want a \"host\" string");
		goto done;
	}
	switch (routes[i].route) {
	case R_ADD_A:
	case R_ADD_AAAA:
		rc = add_list(m, routes[i].kind, host,
		    json_object_get(j, "addresses"), err, sizeof(err));
		break;
	case R_SET_TXT:
		if (str(j, "value") == NULL)
			snprintf(err, sizeof(err), "want {\"host\", "
			    "\"value\"}");
		else
			rc = dnsmock_add(m, DNSMOCK_TXT, host, str(j, "value"),
			    err, sizeof(err));
		break;
	case R_ADD_CAA:
		rc = add_caa(m, host, json_object_get(j, "policies"), err,
		    sizeof(err));
		break;
	case R_SET_CNAME:
		if (str(j, "target") == NULL)
			snprintf(err, sizeof(err), "want {\"host\", "
			    "\"target\"}");
		else
			rc = dnsmock_add(m, DNSMOCK_CNAME, host,
			    str(j, "target"), err, sizeof(err));
		break;
	case R_SET_SERVFAIL:
		rc = dnsmock_add(m, DNSMOCK_SERVFAIL, host, NULL, err,
		    sizeof(err));
		break;
	case R_CLEAR:
		rc = dnsmock_clear(m, routes[i].kind, host, err, sizeof(err));
		break;
	default:
		break;
	}
	if (rc == 0)
		log_info("dnsmock: %s %.80s", routes[i].path + 1, host);
done:
	if (rc == 0)
		reply(resp, 200, "ok");
	else
		reply(resp, 400, err[0] != '\0' ? err : "bad request");
out:
	json_decref(j);
}
