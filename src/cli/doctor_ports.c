/* doctor_ports.c - doctor's ports: who listens on a TCP port, from /proc/net/tcp{,6} and /proc/PID/fd */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "doctor.h"

#define TCP_LISTEN	0x0A	/* include/net/tcp_states.h */
#define MAX_INODES	16

int
doctor_proc_listeners(const char *text, int port, unsigned long *inodes,
    size_t max)
{
	const char	*line = text, *nl;
	char		 buf[512], addr[65];
	unsigned int	 lport, st;
	unsigned long	 inode;
	size_t		 n = 0;
	bool		 header = true;

	for (; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 : NULL) {
		size_t len;

		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len >= sizeof(buf))
			return -1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (header) {	/* "  sl  local_address rem_address   st ..." */
			header = false;
			if (strstr(buf, "local_address") == NULL)
				return -1;
			continue;
		}
		if (strspn(buf, " \t") == len)
			continue;
		/*
		 * sl: local:port remote:port st tx:rx tr:when retrnsmt uid
		 * timeout inode ...
		 */
		if (sscanf(buf, " %*u: %64[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x "
		    "%*s %*s %*s %*s %*s %lu", addr, &lport, &st, &inode) != 4)
			return -1;
		if (st != TCP_LISTEN || (int)lport != port || inode == 0)
			continue;
		if (n < max)
			inodes[n++] = inode;
	}
	return (int)n;
}

/* The text of a small file, NUL-terminated; NULL on failure. */
static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf = NULL, *p;
	size_t	 len = 0, cap = 0, got;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : 2 * cap;
			if (cap > (16u << 20) ||
			    (p = realloc(buf, cap)) == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
		}
		got = fread(buf + len, 1, cap - len - 1, fp);
		len += got;
		if (got == 0) {
			buf[len] = '\0';
			break;
		}
	}
	fclose(fp);
	return buf;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Which process has one of inodes open, from <proc>/<pid>/fd. */
static bool
find_process(const char *proc, const unsigned long *inodes, size_t n,
    struct doctor_holder *h)
{
	DIR		*pd, *fd;
	struct dirent	*pe, *fe;
	char		 path[PATH_MAX], link[64], want[64];
	ssize_t		 len;
	bool		 found = false;

	if ((pd = opendir(proc)) == NULL)
		return false;
	while (!found && (pe = readdir(pd)) != NULL) {
		if (!all_digits(pe->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/fd", proc, pe->d_name);
		if ((fd = opendir(path)) == NULL)
			continue;	/* another user's, or gone */
		while (!found && (fe = readdir(fd)) != NULL) {
			if (!all_digits(fe->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s/fd/%s", proc,
			    pe->d_name, fe->d_name);
			if ((len = readlink(path, link, sizeof(link) - 1)) <= 0)
				continue;
			link[len] = '\0';
			for (size_t i = 0; i < n && !found; i++) {
				snprintf(want, sizeof(want), "socket:[%lu]",
				    inodes[i]);
				found = strcmp(link, want) == 0;
			}
		}
		closedir(fd);
		if (found) {
			char *comm;

			h->pid = (pid_t)atol(pe->d_name);
			snprintf(path, sizeof(path), "%s/%s/comm", proc,
			    pe->d_name);
			if ((comm = slurp(path)) != NULL) {
				comm[strcspn(comm, "\n")] = '\0';
				snprintf(h->comm, sizeof(h->comm), "%s", comm);
				free(comm);
			}
		}
	}
	closedir(pd);
	return found;
}

int
doctor_port_holder(const char *proc, int port, struct doctor_holder *h)
{
	static const char *const tables[] = { "net/tcp", "net/tcp6" };
	unsigned long	 inodes[MAX_INODES];
	char		 path[PATH_MAX], *text;
	size_t		 n = 0;
	int		 got, readable = 0;

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", proc, tables[i]);
		if ((text = slurp(path)) == NULL)
			continue;	/* no IPv6 */
		got = doctor_proc_listeners(text, port, inodes + n,
		    MAX_INODES - n);
		free(text);
		if (got == -1)
			return -1;
		readable++;
		n += (size_t)got;
	}
	if (readable == 0)
		return -1;
	if (n == 0)
		return 0;
	if (!find_process(proc, inodes, n, h))
		snprintf(h->comm, sizeof(h->comm), "a process doctor cannot "
		    "see");
	return 1;
}

static bool
is_localacme(const struct doctor_holder *h)
{
	/* localacme, localacme-faults (comm is cut at 15 bytes) */
	return h->pid != 0 && strncmp(h->comm, "localacme", 9) == 0;
}

static void
holder_str(const struct doctor_holder *h, char *buf, size_t sz)
{
	if (h->pid != 0)
		snprintf(buf, sz, "%s (pid %ld)", h->comm, (long)h->pid);
	else
		snprintf(buf, sz, "%s", h->comm);
}

/* A challenge port: ACME clients' standalone responders bind it. */
static void
challenge_port(struct doctor_report *r, const char *what, const char *flag,
    int port)
{
	struct doctor_holder	 h;
	char			 check[32], who[128], fix[DOCTOR_LINE];

	snprintf(check, sizeof(check), "port %d", port);
	switch (doctor_port_holder("/proc", port, &h)) {
	case -1:
		doctor_add(r, check, DOCTOR_WARN, NULL, "cannot read "
		    "/proc/net/tcp: who holds the %s port is unknown", what);
		return;
	case 0:
		doctor_add(r, check, DOCTOR_OK, NULL, "free: an ACME client "
		    "can answer %s here", what);
		return;
	}
	holder_str(&h, who, sizeof(who));
	if (h.pid != 0)
		doctor_fmt(fix, sizeof(fix), "kill %ld  # or answer %s there "
		    "(webroot), or: localacme serve %s OTHERPORT",
		    (long)h.pid, what, flag);
	else
		doctor_fmt(fix, sizeof(fix), "ss -ltnp 'sport = :%d'  # then "
		    "stop it, or: localacme serve %s OTHERPORT", port, flag);
	doctor_add(r, check, DOCTOR_WARN, fix, "held by %s: a standalone "
	    "%s responder cannot bind it", who, what);
}

/* A port serve listens on: held by localacme, or free for it. */
static void
listen_port(struct doctor_report *r, const char *hostport)
{
	struct doctor_holder	 h;
	char			 host[256], check[32], who[128];
	char			 fix[DOCTOR_LINE];
	int			 port;

	if (config_split_hostport(hostport, host, sizeof(host), &port) == -1)
		return;
	snprintf(check, sizeof(check), "port %d", port);
	switch (doctor_port_holder("/proc", port, &h)) {
	case -1:
		doctor_add(r, check, DOCTOR_WARN, NULL, "cannot read "
		    "/proc/net/tcp: who holds the listen port is unknown");
		return;
	case 0:
		doctor_add(r, check, DOCTOR_OK, NULL, "free for `localacme "
		    "serve` (listen %s)", hostport);
		return;
	}
	holder_str(&h, who, sizeof(who));
	if (is_localacme(&h)) {
		doctor_add(r, check, DOCTOR_OK, NULL, "held by %s (listen %s)",
		    who, hostport);
		return;
	}
	if (h.pid != 0)
		doctor_fmt(fix, sizeof(fix), "kill %ld  # or: localacme serve "
		    "--listen %s%s%s:OTHERPORT", (long)h.pid,
		    strchr(host, ':') != NULL ? "[" : "", host,
		    strchr(host, ':') != NULL ? "]" : "");
	else
		doctor_fmt(fix, sizeof(fix), "ss -ltnp 'sport = :%d'", port);
	doctor_add(r, check, DOCTOR_FAIL, fix, "held by %s, not localacme: "
	    "`localacme serve` cannot listen on %s", who, hostport);
}

void
doctor_check_ports(struct doctor_report *r, const struct config *cfg)
{
	char	 host[256];
	int	 port, seen[8];
	size_t	 nseen = 0;

	challenge_port(r, "http-01", "--http01-port", cfg->http01_port);
	if (cfg->tlsalpn01_port != cfg->http01_port)
		challenge_port(r, "tls-alpn-01", "--tlsalpn01-port",
		    cfg->tlsalpn01_port);
	/* 127.0.0.1:8555 and [::1]:8555 are one port to /proc's reader. */
	for (size_t i = 0; i < cfg->nlisten; i++) {
		bool dup = false;

		if (config_split_hostport(cfg->listen[i], host, sizeof(host),
		    &port) == -1)
			continue;
		for (size_t j = 0; j < nseen; j++)
			dup = dup || seen[j] == port;
		if (dup || port == cfg->http01_port ||
		    port == cfg->tlsalpn01_port)
			continue;
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = port;
		listen_port(r, cfg->listen[i]);
	}
}
