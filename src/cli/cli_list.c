/* cli_list.c - `localacme list [--json] [--source S] [--expiring[=DAYS]]`: what was issued, newest first */
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

enum { OPT_JSON = 1, OPT_SOURCE, OPT_EXPIRING };

static const struct option list_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "expiring", optional_argument, NULL, OPT_EXPIRING },
	{ NULL, 0, NULL, 0 }
};

/* --expiring without a number: within this many days. */
#define EXPIRING_DAYS	30

struct list_ctx {
	bool	 json;
	const char *source;	/* borrowed from argv, or NULL */
	long	 expiring_days;	/* -1 = no filter */
	bool	 expiring_bare;	/* --expiring without "=DAYS" */
	char	 bad[160];	/* a usage error seen by list_opt */
	json_t	*arr;
	time_t	 now;
	size_t	 n;
	int	 failed;
};

/* DAYS of --expiring: 1 to 36500, else a usage error in c->bad. */
static void
expiring_days(struct list_ctx *c, const char *val)
{
	char	*end;

	errno = 0;
	c->expiring_days = strtol(val, &end, 10);
	if (*val == '\0' || *end != '\0' || errno != 0 ||
	    c->expiring_days < 1 || c->expiring_days > 36500)
		snprintf(c->bad, sizeof(c->bad), "list: --expiring=DAYS "
		    "takes 1 to 36500, not \"%.40s\"", val);
}

static int
list_opt(void *arg, int opt, const char *val)
{
	struct list_ctx *c = arg;

	switch (opt) {
	case OPT_JSON:
		c->json = true;
		return 0;
	case OPT_SOURCE:
		if (strcmp(val, "acme") != 0 && strcmp(val, "cli") != 0 &&
		    strcmp(val, "server") != 0) {
			snprintf(c->bad, sizeof(c->bad), "list: --source must "
			    "be acme, cli or server, not \"%.40s\"", val);
			return 0;
		}
		c->source = val;
		return 0;
	case OPT_EXPIRING:
		c->expiring_bare = val == NULL;
		if (val == NULL)
			c->expiring_days = EXPIRING_DAYS;
		else
			expiring_days(c, val);
		return 0;
	default:
		return -1;
	}
}

static const char *
renewal_str(enum ra_renewal r)
{
	switch (r) {
	case RA_RENEWAL_RENEWED:	return "renewed";
	case RA_RENEWAL_LATE:		return "late";
	case RA_RENEWAL_MISSING:	return "missing";
	case RA_RENEWAL_REVOKED:	return "revoked";
	default:			return "current";
	}
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
one(const struct acme_cert *cert, const struct ra_cert_info *info, void *arg)
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
	if (info->profile[0] != '\0')
		json_object_set_new(o, "profile", json_string(info->profile));
	json_object_set_new(o, "renewal",
	    json_string(renewal_str(info->renewal)));
	json_array_append_new(c->arr, o);
	return 0;
}

int
cmd_list(int argc, char **argv)
{
	struct config	 cfg;
	struct list_ctx	 c;
	struct ra_cert_query q;
	struct ra	*ra = NULL;
	char		 err[1024], *text;
	int		 first, rc = 1;

	memset(&c, 0, sizeof(c));
	c.expiring_days = -1;
	first = config_parse(&cfg, "list", argc, argv, list_opts, list_opt,
	    &c, err, sizeof(err));
	if (first == -1) {
		cli_error("%s", err);
		return 2;
	}
	if (cfg.help) {
		printf("usage: localacme list [--json] [--source S] "
		    "[--expiring[=DAYS]] [options]\n\n"
		    "List issued certificates, newest first: serial, expiry, "
		    "status, source, names.\n\n"
		    "  --json                     a JSON array instead of "
		    "a table\n"
		    "  --source acme|cli|server   only those issued over ACME, "
		    "by `issue`, or\n"
		    "                             as serve's own TLS "
		    "certificate\n"
		    "  --expiring[=DAYS]          only valid ones whose notAfter "
		    "is within DAYS\n"
		    "                             (default %d; also "
		    "--expiring DAYS)\n\n",
		    EXPIRING_DAYS);
		config_usage(stdout, false);
		rc = 0;
		goto out;
	}
	/*
	 * `--expiring 7`: an optional argument binds only as "--expiring=7"
	 * (getopt), so the one argument left, a number, is taken as DAYS.
	 */
	if (c.expiring_bare && first == argc - 1 && argv[first][0] != '\0' &&
	    strspn(argv[first], "0123456789") == strlen(argv[first]))
		expiring_days(&c, argv[first++]);
	if (c.bad[0] != '\0') {
		cli_error("%s", c.bad);
		rc = 2;
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
	memset(&q, 0, sizeof(q));
	q.now = c.now;
	q.source = c.source;
	if (c.expiring_days > 0)
		q.expiring_before = c.now + (time_t)c.expiring_days * 86400;
	if (ra_cert_page(ra, &q, one, &c, err, sizeof(err)) != RA_OK ||
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
