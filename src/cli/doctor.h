/* doctor.h - `localacme doctor`: findings and the checks that make them */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_DOCTOR_H
#define LOCALACME_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

struct addrinfo;
struct ca;
struct config;

enum doctor_status {
	DOCTOR_OK,
	DOCTOR_WARN,
	DOCTOR_FAIL,
};

#define DOCTOR_LINE	512

/* One finding: what was checked, what was seen, the command that fixes it. */
struct doctor_finding {
	char			 check[32];	/* "ca", "server", "port 80"... */
	enum doctor_status	 status;
	char			 message[DOCTOR_LINE];
	char			 fix[DOCTOR_LINE];	/* "" for ok */
};

/* The findings of one run, in the order they were made. */
struct doctor_report {
	struct doctor_finding	*v;
	size_t			 n;
	size_t			 cap;
	bool			 oom;	/* an add failed: the report is short */
};

/* ---- doctor_report.c ---- */

/*
 * Append a finding; fix may be NULL. Messages longer than DOCTOR_LINE are
 * cut. On allocation failure sets r->oom (the run then fails).
 */
void	 doctor_add(struct doctor_report *r, const char *check,
	    enum doctor_status status, const char *fix, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Frees the findings; safe on a zeroed report. */
void	 doctor_report_clear(struct doctor_report *r);
/* The worst status of the report (DOCTOR_FAIL when r->oom). */
enum doctor_status doctor_worst(const struct doctor_report *r);
const char *doctor_status_str(enum doctor_status s);
/* Lines for a person: "ok    check: message", "      fix: ...", a summary. */
void	 doctor_print_text(const struct doctor_report *r, FILE *fp);
/* One JSON document {"ok":..,"findings":[..]}. 0, or -1 out of memory. */
int	 doctor_print_json(const struct doctor_report *r, FILE *fp);
/*
 * snprintf into a fix or message line: cut at sz, as a line of output
 * may be (a long state directory is shown cut rather than not at all).
 */
void	 doctor_fmt(char *buf, size_t sz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * s quoted for a POSIX shell when it needs it (else copied) into buf:
 * fix lines are commands to paste.
 */
void	 doctor_shell_quote(const char *s, char *buf, size_t sz);

/* ---- doctor_ca.c ---- */

/*
 * The CA in cfg->state_dir: present, readable, consistent (ca_open); the
 * root key file; the intermediate's remaining life at `now`. Returns the
 * open CA for the later checks (caller frees with ca_free), or NULL after
 * adding the finding that says why.
 */
struct ca *doctor_check_ca(struct doctor_report *r, const struct config *cfg,
	    time_t now);

/*
 * The clock: `now` is not before the root's notBefore (ca may be NULL) or
 * DOCTOR_EPOCH, and within DOCTOR_SKEW_S of the server's Date header
 * (server_date 0 = none).
 */
#define DOCTOR_EPOCH	1735689600	/* 2025-01-01T00:00:00Z: older than any build */
#define DOCTOR_SKEW_S	300
void	 doctor_check_clock(struct doctor_report *r, struct ca *ca, time_t now,
	    time_t server_date);

/* ---- doctor_server.c ---- */

/*
 * GET url (the directory) over TLS trusting only the CA's root; check the
 * answer is a directory and the served certificate covers the URL's host
 * and each of cfg->hostnames. *server_date receives the Date header (0
 * when none). ca NULL: only whether something answers.
 */
void	 doctor_check_server(struct doctor_report *r, const struct config *cfg,
	    struct ca *ca, const char *url, time_t *server_date);

/*
 * Split an https URL into host (IPv6 brackets removed), port (443 when
 * absent) and path ("/" when absent). 0, or -1 if it is not https://.
 */
int	 doctor_url_split(const char *url, char *host, size_t hostsz,
	    int *port, char *path, size_t pathsz);

/* ---- doctor_ports.c ---- */

/* A listening socket's holder. */
struct doctor_holder {
	pid_t	 pid;		/* 0 when no process could be named */
	char	 comm[64];	/* /proc/PID/comm */
};

/*
 * Parse the text of /proc/net/tcp or /proc/net/tcp6: the inodes of the
 * sockets in LISTEN state on `port` (any local address) into inodes[]
 * (at most max). Returns how many, or -1 on a malformed table.
 */
int	 doctor_proc_listeners(const char *text, int port,
	    unsigned long *inodes, size_t max);

/*
 * Who listens on TCP `port`, from <proc>/net/tcp{,6} and the socket
 * links of <proc>/<pid>/fd. Returns 1 with *h filled (pid 0 when the
 * socket's process cannot be seen), 0 when nothing listens, -1 when the
 * tables cannot be read.
 */
int	 doctor_port_holder(const char *proc, int port, struct doctor_holder *h);

/*
 * The ports findings: the http-01 and tls-alpn-01 ports (free, or held
 * by whom) and the listen ports (held by localacme, free, or by another).
 */
void	 doctor_check_ports(struct doctor_report *r, const struct config *cfg);

/* ---- doctor_names.c ---- */

enum doctor_name_kind {
	DOCTOR_NAME_OTHER,
	DOCTOR_NAME_LOCALHOST,	/* RFC 6761 §6.3: localhost and *.localhost */
	DOCTOR_NAME_INVALID,	/* RFC 6761 §6.4: invalid and *.invalid */
	DOCTOR_NAME_IP,		/* an IP literal: nothing to resolve */
};

/* Which special-use rule applies to name (a trailing dot is ignored). */
enum doctor_name_kind doctor_name_kind(const char *name);

/*
 * Judge name against the addresses getaddrinfo gave (res may be NULL):
 * fills a finding's status, message and fix. A localhost name must give
 * loopback addresses only (RFC 6761 §6.3).
 */
void	 doctor_name_judge(const char *name, const struct addrinfo *res,
	    int gai_error, struct doctor_finding *f);

/* Resolve each name (none: localhost and cfg->hostnames) and judge it. */
void	 doctor_check_names(struct doctor_report *r, const struct config *cfg,
	    char **names, size_t nnames);

/* ---- doctor_trust.c ---- */

/* One finding per trust store (`trust status`, as doctor lines). */
void	 doctor_check_trust(struct doctor_report *r, const struct config *cfg);

#endif /* LOCALACME_DOCTOR_H */
