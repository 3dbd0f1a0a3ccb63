/* cli_list.c - `localacme list [--json]`: what was issued, newest first */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme.h"
#include "cli.h"
#include "config.h"
#include "ra.h"
#include "statedir.h"

enum { OPT_JSON = 1 };

static const struct option list_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

struct list_ctx {
	bool	 json;
	json_t	*arr;
	time_t	 now;
	size_t	 n;
	int	 failed;
};

static int
list_opt(void *arg, int opt, const char *val)
{
	struct list_ctx *c = arg;

	(void)val;
	if (opt != OPT_JSON)
		return -1;
	c->json = true;
	return 0;
}

static const char *
status_of(const struct acme_cert *cert, time_t now)
{
	if (cert->status == ACME_CERT_REVOKED)
		return "revoked";
	if (cert->not_after < now)
		return "expired";
	return "valid";
}

static void
rfc3339(time_t t, char *buf, size_t sz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
names_array(const char *names)
{
	json_t		*a = json_array();
	const char	*p = names, *comma;

	if (a == NULL)
		return NULL;
	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		if (json_array_append_new(a, json_stringn(p, comma != NULL ?
		    (size_t)(comma - p) : strlen(p))) == -1) {
			json_decref(a);
			return NULL;
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	return a;
}

static int
one(const struct acme_cert *cert, void *arg)
{
	struct list_ctx	*c = arg;
	char		 nb[32], na[32], is[32];
	json_t		*o;

	rfc3339(cert->not_before, nb, sizeof(nb));
	rfc3339(cert->not_after, na, sizeof(na));
	rfc3339(cert->issued, is, sizeof(is));
	c->n++;
	if (!c->json) {
		printf("%-34s  %-20s  %-7s  %-6s  %s\n", cert->serial, na,
		    status_of(cert, c->now), cert->source,
		    cert->names != NULL ? cert->names : "");
		return 0;
	}
	o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s}",
	    "serial", cert->serial,
	    "names", names_array(cert->names != NULL ? cert->names : ""),
	    "not_before", nb, "not_after", na, "issued", is,
	    "status", status_of(cert, c->now), "source", cert->source);
	if (o == NULL) {
		c->failed = 1;
		return 1;
	}
	if (cert->status == ACME_CERT_REVOKED) {
		rfc3339(cert->revoked_at, is, sizeof(is));
		json_object_set_new(o, "revoked_at", json_string(is));
		json_object_set_new(o, "revocation_reason",
		    json_integer(cert->revocation_reason));
	}
	if (cert->order_id[0] != '\0')
		json_object_set_new(o, "order", json_string(cert->order_id));
	json_array_append_new(c->arr, o);
	return 0;
}

int
cmd_list(int argc, char **argv)
{
	struct config	 cfg;
	struct list_ctx	 c;
	struct ra	*ra = NULL;
	char		 err[1024], *text;
	int		 first, rc = 1;

	memset(&c, 0, sizeof(c));
	first = config_parse(&cfg, "list", argc, argv, list_opts, list_opt,
	    &c, err, sizeof(err));
	if (first == -1) {
		cli_error("%s", err);
		return 2;
	}
	if (cfg.help) {
		printf("usage: localacme list [--json] [options]\n\n"
		    "List issued certificates, newest first: serial, expiry, "
		    "status, source, names.\n\n"
		    "  --json                     a JSON array instead of "
		    "a table\n\n");
		config_usage(stdout, false);
		rc = 0;
		goto out;
	}
	if (first < argc) {
		cli_error("list: unexpected argument \"%s\"", argv[first]);
		rc = 2;
		goto out;
	}
	if (statedir_check_dir(cfg.state_dir, err, sizeof(err)) == -1) {
		if (errno == ENOENT)
			cli_error("%s: no state directory; run `localacme "
			    "init` first", cfg.state_dir);
		else
			cli_error("%s", err);
		goto out;
	}
	if ((ra = cli_open_ra_readonly(&cfg)) == NULL)
		goto out;
	c.now = time(NULL);
	if (c.json && (c.arr = json_array()) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	if (!c.json)
		printf("%-34s  %-20s  %-7s  %-6s  %s\n", "SERIAL", "NOT AFTER",
		    "STATUS", "SOURCE", "NAMES");
	if (ra_cert_list(ra, one, &c, err, sizeof(err)) != RA_OK ||
	    c.failed) {
		cli_error("database: %s", err);
		goto out;
	}
	if (c.json) {
		if ((text = json_dumps(c.arr, JSON_INDENT(2))) == NULL) {
			cli_error("out of memory");
			goto out;
		}
		printf("%s\n", text);
		free(text);
	}
	rc = 0;
out:
	json_decref(c.arr);
	ra_free(ra);
	config_clear(&cfg);
	return rc;
}
