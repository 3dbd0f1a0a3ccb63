/* admin_hier.c - the management API's roots/N, intermediates/N, root-keys/N, intermediate-keys/N, one per hierarchy (Pebble's paths) */
/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_hier.h"
#include "ca.h"
#include "httpd.h"
#include "log.h"
#include "statedir.h"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_PEM		"application/x-pem-file"
#define KEY_MAX		(64 * 1024)

static const struct {
	const char		*prefix;
	enum admin_hier_kind	 kind;
} paths[] = {
	{ "/roots/", ADMIN_HIER_ROOT },
	{ "/intermediates/", ADMIN_HIER_INTERMEDIATE },
	{ "/root-keys/", ADMIN_HIER_ROOT_KEY },
	{ "/intermediate-keys/", ADMIN_HIER_INTERMEDIATE_KEY },
};

enum admin_hier_kind
admin_hier_parse(const char *path, unsigned *n)
{
	const char	*d;
	size_t		 len;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		len = strlen(paths[i].prefix);
		if (strncmp(path, paths[i].prefix, len) != 0)
			continue;
		d = path + len;
		*n = UINT_MAX;
		/* One or two digits, no leading zero: 0 .. 99. */
		if (d[0] >= '0' && d[0] <= '9' && d[1] == '\0')
			*n = (unsigned)(d[0] - '0');
		else if (d[0] >= '1' && d[0] <= '9' && d[1] >= '0' &&
		    d[1] <= '9' && d[2] == '\0')
			*n = (unsigned)(d[0] - '0') * 10 + (unsigned)(d[1] - '0');
		return paths[i].kind;
	}
	return ADMIN_HIER_NONE;
}

static void
reply(struct http_response *resp, int status, const char *ctype,
    const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		http_response_set_body(resp, 500, CT_TEXT, NULL, 0);
	else
		http_response_set_body(resp, status, ctype, d, strlen(d));
}

/* A CA key file's PEM (only with --admin-expose-keys). */
static void
reply_key(struct ca *ca, struct http_response *resp, const char *name)
{
	char	 path[PATH_MAX], *buf = NULL;
	ssize_t	 n = -1;
	int	 fd;

	if (statedir_join(ca_state_dir(ca), name, path, sizeof(path)) ==
	    -1 || (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		reply(resp, 404, CT_TEXT, "no such key\n");
		return;
	}
	if ((buf = malloc(KEY_MAX + 1)) != NULL)
		n = read(fd, buf, KEY_MAX);
	close(fd);
	if (n <= 0) {
		free(buf);
		reply(resp, 500, CT_TEXT, "cannot read the key\n");
		return;
	}
	buf[n] = '\0';
	log_warn("admin: served %s (--admin-expose-keys)", name);
	http_response_set_body(resp, 200, CT_PEM, buf, (size_t)n);
}

void
admin_hier_reply(struct ca *ca, enum admin_hier_kind kind, unsigned n,
    struct http_response *resp)
{
	char name[64];

	if (n >= ca_hierarchies(ca)) {
		char msg[128];

		snprintf(msg, sizeof(msg), "no such hierarchy: 0 is the "
		    "default, 1..%u the alternate roots\n",
		    ca_hierarchies(ca) - 1);
		reply(resp, 404, CT_TEXT, msg);
		return;
	}
	switch (kind) {
	case ADMIN_HIER_ROOT:
		reply(resp, 200, CT_PEM, ca_hier_root_pem(ca, n));
		break;
	case ADMIN_HIER_INTERMEDIATE:
		reply(resp, 200, CT_PEM, ca_hier_intermediate_pem(ca, n));
		break;
	case ADMIN_HIER_ROOT_KEY:
		if (ca_hier_root_key_name(n, name, sizeof(name)) == -1)
			reply(resp, 404, CT_TEXT, "no such key\n");
		else
			reply_key(ca, resp, name);
		break;
	case ADMIN_HIER_INTERMEDIATE_KEY:
		reply_key(ca, resp, "intermediate.key");
		break;
	default:
		reply(resp, 404, CT_TEXT, "not found\n");
	}
}
