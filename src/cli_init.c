/* cli_init.c - `localacme init` and the helpers every subcommand shares */
/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "cli.h"
#include "config.h"
#include "keys.h"
#include "policy.h"
#include "statedir.h"
#include "store/store.h"

void
cli_error(const char *fmt, ...)
{
	char	 msg[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, whatever the message holds. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "localacme: %s\n", msg);
}

struct ca *
cli_open_ca(const struct config *cfg, bool create,
    const struct ca_create_opts *opts, bool *created)
{
	struct ca	*ca;
	char		 err[1024];

	if (create) {
		if (statedir_ensure(cfg, err, sizeof(err)) == -1) {
			cli_error("%s", err);
			return NULL;
		}
	} else if (statedir_check_dir(cfg->state_dir, err, sizeof(err)) == -1) {
		cli_error("%s", err);
		return NULL;
	}
	if ((ca = ca_open(cfg->state_dir, create, opts, created, err,
	    sizeof(err))) == NULL)
		cli_error("%s", err);
	return ca;
}

struct store *
cli_open_store(const struct config *cfg)
{
	struct store	*st;
	char		 path[PATH_MAX], err[512];

	if (statedir_path(cfg, "localacme.db", path, sizeof(path)) == -1) {
		cli_error("%s: path too long", cfg->state_dir);
		return NULL;
	}
	if ((st = store_open(path, err, sizeof(err))) == NULL)
		cli_error("%s: %s", path, err);
	return st;
}

enum { OPT_KEY_TYPE = 1, OPT_PERMIT, OPT_NO_NC };

struct init_args {
	enum keys_type	 key_type;
	bool		 key_type_set;
	bool		 no_nc;
	struct policy	 policy;
	size_t		 npermit;
	char		 err[256];
};

static const struct option init_opts[] = {
	{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
	{ "permit", required_argument, NULL, OPT_PERMIT },
	{ "no-name-constraints", no_argument, NULL, OPT_NO_NC },
	{ NULL, 0, NULL, 0 }
};

static int
init_opt(void *arg, int opt, const char *optarg)
{
	struct init_args *a = arg;

	switch (opt) {
	case OPT_KEY_TYPE:
		a->key_type_set = true;
		return keys_type_parse(optarg, &a->key_type);
	case OPT_PERMIT:
		a->npermit++;
		return policy_permit(&a->policy, optarg, a->err,
		    sizeof(a->err));
	case OPT_NO_NC:
		a->no_nc = true;
		return 0;
	}
	return -1;
}

static void
init_usage(void)
{
	printf("usage: localacme init [--key-type TYPE] [--permit SUFFIX|CIDR]... "
	    "[--no-name-constraints] [options]\n\n"
	    "Create a root and an intermediate CA in the state directory "
	    "unless they exist,\nand print where they are and the root's "
	    "SHA-256 fingerprint.\n\n"
	    "  --key-type TYPE            ec256 (default), ec384, rsa2048, "
	    "rsa3072, rsa4096\n"
	    "  --permit SUFFIX|CIDR       also allow names under SUFFIX or "
	    "addresses in CIDR\n"
	    "                             (repeatable; widens the default "
	    "name constraints)\n"
	    "  --no-name-constraints      a CA that may issue for any name\n\n");
	config_usage(stdout, false);
}

static void
print_ca(struct ca *ca, const char *dir)
{
	char		 fp[65], names[4096], when[32];
	time_t		 na = ca_intermediate_not_after(ca);
	struct tm	 tm;

	gmtime_r(&na, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	policy_describe(ca_policy(ca), names, sizeof(names));
	printf("  root certificate:  %s/root.pem\n", dir);
	printf("  root key:          %s/root.key\n", dir);
	printf("  intermediate:      %s/intermediate.pem (until %s)\n", dir,
	    when);
	printf("  names allowed:     %s\n", names);
	if (ca_root_fingerprint(ca, fp) == 0)
		printf("  root SHA-256:      %s\n", fp);
	printf("Run `localacme trust install` to trust the root on this "
	    "machine.\n");
}

int
cmd_init(int argc, char **argv)
{
	struct config		 cfg;
	struct init_args	 a;
	struct ca_create_opts	 opts;
	struct ca		*ca = NULL;
	struct store		*st = NULL;
	char			 err[1024], path[PATH_MAX];
	bool			 created = false, exists;
	int			 first, rc = 1;

	memset(&a, 0, sizeof(a));
	a.key_type = KEYS_EC256;
	policy_init_default(&a.policy);
	first = config_parse(&cfg, "init", argc, argv, init_opts, init_opt,
	    &a, err, sizeof(err));
	if (first == -1) {
		cli_error("%s%s%s", err, a.err[0] != '\0' ? ": " : "", a.err);
		return 2;
	}
	if (cfg.help) {
		init_usage();
		rc = 0;
		goto out;
	}
	if (first < argc) {
		cli_error("init: unexpected argument \"%s\"", argv[first]);
		rc = 2;
		goto out;
	}
	if (a.no_nc && a.npermit > 0) {
		cli_error("init: --permit and --no-name-constraints exclude "
		    "each other");
		rc = 2;
		goto out;
	}
	if (a.no_nc)
		policy_init_unconstrained(&a.policy);
	opts.key_type = a.key_type;
	opts.policy = &a.policy;
	exists = statedir_path(&cfg, "root.pem", path, sizeof(path)) == 0 &&
	    keys_exists(path);
	if (exists && (a.key_type_set || a.npermit > 0 || a.no_nc)) {
		cli_error("init: a CA already exists in %s; --key-type, "
		    "--permit and --no-name-constraints only apply when "
		    "creating one (use another --state)", cfg.state_dir);
		goto out;
	}
	if ((ca = cli_open_ca(&cfg, true, &opts, &created)) == NULL)
		goto out;
	/* The database too, so `init` leaves a complete state dir. */
	if ((st = cli_open_store(&cfg)) == NULL)
		goto out;
	if (created)
		printf("Created a new local CA in %s\n", cfg.state_dir);
	else
		printf("The local CA in %s already exists\n", cfg.state_dir);
	print_ca(ca, cfg.state_dir);
	rc = 0;
out:
	store_close(st);
	ca_free(ca);
	config_clear(&cfg);
	return rc;
}
