/* config.h - settings: defaults < JSON file < LOCALACME_* environment < flags */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_CONFIG_H
#define LOCALACME_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <getopt.h>

#include "log.h"

/*
 * Every setting lives in one table in config.c (name, env var, flag,
 * type, default, bounds, field): adding a setting is one line there plus
 * its field here. The struct is filled once at start-up and is read-only
 * afterwards; string and list members are heap, freed by config_clear().
 */
struct config {
	char		*config_file;	/* the file loaded, or NULL */
	char		*state_dir;
	enum log_level	 log_level;
	enum log_format	 log_format;
	char		**listen;	/* "ADDR:PORT" or "[V6]:PORT" */
	size_t		 nlisten;
	char		*base_url;	/* never "" after config_parse */
	char		**hostnames;	/* extra names for the server cert */
	size_t		 nhostnames;
	int		 leaf_days;
	bool		 validation_skip;
	int		 http01_port;
	int		 tlsalpn01_port;
	char		*dns_resolver;	/* "HOST:PORT", "" = system */
	char		**resolve;	/* "NAME=IP" */
	size_t		 nresolve;
	int		 va_timeout_s;
	int		 challenge_wait_ms;
	int		 va_workers;
	int		 max_body;
	int		 conn_timeout_s;
	int		 request_deadline_s;
	int		 header_timeout_s;
	int		 per_ip_conn_limit;
	int		 max_connections;
	int		 max_pending_authz;	/* per account; 0 = no cap */
	int		 new_account_rate;	/* per minute per address; 0 off, -1 auto */
	int		 threads;	/* per listener; 0 = two per core */
	char		*tos_url;	/* "" = none */
	char		*website;	/* "" = none */
	char		**caa_identities;
	size_t		 ncaa_identities;
	bool		 eab_required;
	/* profiles, CRLs, management API, test knobs */
	char		**profiles;	/* "NAME:LIFETIME[:OPTION]..." */
	size_t		 nprofiles;
	char		*default_profile;
	bool		 crl;		/* publish a CRL, CRL DP in leaves */
	int		 crl_period_s;	/* nextUpdate - thisUpdate */
	bool		 ocsp;		/* OCSP responder, AIA in leaves (issue #15) */
	char		*admin_listen;	/* "" = no management API */
	bool		 admin_expose_keys;
	char		*admin_token_file; /* "" = <state>/admin.token */
	bool		 admin_insecure_http; /* plain HTTP, loopback only */
	int		 nonce_reject_pct;
	int		 authz_reuse_pct;
	int		 va_delay_ms;	/* maximum random delay */
	char		*retry_after_form;	/* "seconds" | "date" */
	int		 seed;		/* 0 = random */
	bool		 strict;
	/* issue #15: the built-in test DNS server */
	char		*dns_mock;		/* "IP:PORT", "" = off */
	char		*dns_mock_default_ipv4;	/* "" = no default A */
	char		*dns_mock_default_ipv6;	/* "" = no default AAAA */
	/* issue #15 item 4: test knobs for ACME client suites (knobs.h) */
	char		*http01_redirect_ports;	/* "PORT,..." or "" */
	bool		 weak_keys;
	char		*authz_lifetime;	/* duration or "" */
	char		*order_lifetime;	/* duration or "" */
	int		 retry_after;	/* seconds, 0 = default */
	bool		 delete_revoked;
	int		 alternate_roots;	/* alternate chains, 0..4 */
	bool		 help;		/* -h/--help was given */
};

/* newAccount per minute per address on a non-loopback listener by default. */
#define CONFIG_NEW_ACCOUNT_RATE_DEFAULT	300

/*
 * The newAccount rate (per minute per client address, burst the same; 0 =
 * no limit) of cfg->listen[i]: new_account_rate when it is 0 or more;
 * when -1 (the default), none on a loopback listener, where every local
 * client shares one address and a per-address limit would be a limit on
 * all of them together, and CONFIG_NEW_ACCOUNT_RATE_DEFAULT elsewhere.
 */
unsigned config_new_account_rate(const struct config *cfg, size_t i);

/* Callback for a subcommand's own options (val: the option's argument or
 * NULL): 0, or -1 if val is bad. */
typedef int (*config_extra_fn)(void *arg, int opt, const char *val);

/*
 * Fill *cfg (zeroed or cleared) for `subcommand` from the defaults, the
 * config file (--config FILE or LOCALACME_CONFIG), the environment and
 * argv (argv[0] is the subcommand name). getopt_long parses the table's
 * flags, --config, -h/--help, and `extra` (may be NULL; `val` of each
 * entry is passed to extra_cb with its argument, in argv order).
 * Options and operands may be mixed. Also calls log_setup().
 *
 * Returns the index in argv of the first operand (argc when none), or -1
 * with a one-line message naming the setting in err ("file:line:col:
 * ...", "LOCALACME_X: ...", "--flag: ..."). On -1 *cfg is cleared.
 */
int	 config_parse(struct config *cfg, const char *subcommand, int argc,
	    char **argv, const struct option *extra, config_extra_fn extra_cb,
	    void *arg, char *err, size_t errsz);

/* Free the members and zero *cfg. NULL-safe and idempotent. */
void	 config_clear(struct config *cfg);

/*
 * Levenshtein distance of a and b in bytes (SIZE_MAX if either is longer
 * than 64), and the candidate nearest to word when it looks like a typo
 * of it (at most 2 edits, fewer than half of word's length), else NULL:
 * for "did you mean" hints. NULL entries in cands are skipped.
 */
size_t		 config_edit_distance(const char *a, const char *b);
const char	*config_nearest(const char *word, const char *const *cands,
		    size_t n);

/* Print the common options (one per table row) for --help output. */
void	 config_usage(FILE *fp, bool server);

/*
 * Parse "ADDR:PORT" / "[V6]:PORT" into host (brackets removed) and port.
 * Returns 0, or -1 if malformed.
 */
int	 config_split_hostport(const char *s, char *host, size_t hostsz,
	    int *port);

/* True if "ADDR:PORT" / "[V6]:PORT" is 127.0.0.0/8:PORT or [::1]:PORT. */
bool	 config_hostport_is_loopback(const char *s);

#endif /* LOCALACME_CONFIG_H */
