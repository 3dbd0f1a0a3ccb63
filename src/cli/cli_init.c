/* cli_init.c - `localacme init` and the helpers every subcommand shares */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "cli.h"
#include "config.h"
#include "keys.h"
#include "passphrase.h"
#include "policy.h"
#include "ra.h"
#include "statedir.h"

void
cli_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_cli_verror(fmt, ap);
	va_end(ap);
}

void
cli_key_types(char *buf, size_t sz)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int t = KEYS_EC256; t <= KEYS_RSA4096 && off < sz; t++)
		off += (size_t)snprintf(buf + off, sz - off, "%s%s",
		    t > KEYS_EC256 ? ", " : "", keys_type_name((enum keys_type)t));
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

/*
 * Why we cannot write the database at path (or create it, or the files
 * SQLite keeps beside it, in dir): "" when we can. Names the mode and
 * owner, since permission bits (or a read-only mount) are the cause.
 */
static void
write_problem(const char *dir, const char *path, char *buf, size_t sz)
{
	struct stat	 st;
	const char	*what = path;
	int		 saved;

	buf[0] = '\0';
	if (access(path, W_OK) == 0 || errno == ENOENT) {
		if (access(dir, W_OK | X_OK) == 0)
			return;
		what = dir;
	}
	saved = errno;
	if (stat(what, &st) == -1) {
		snprintf(buf, sz, "%s: %s", what, strerror(saved));
		return;
	}
	snprintf(buf, sz, "%s: cannot write it: %s (mode %04o, owner uid "
	    "%lu, we are uid %lu)", what, strerror(saved),
	    (unsigned)(st.st_mode & 07777), (unsigned long)st.st_uid,
	    (unsigned long)geteuid());
}

static struct ra *
open_ra(const struct config *cfg, struct ca *ca, bool read_only)
{
	struct ra_opts	 ro;
	struct ra	*ra;
	char		 path[PATH_MAX], err[1024], why[PATH_MAX + 128];

	if (statedir_path(cfg, "localacme.db", path, sizeof(path)) == -1) {
		cli_error("%s: path too long", cfg->state_dir);
		return NULL;
	}
	write_problem(cfg->state_dir, path, why, sizeof(why));
	if (why[0] != '\0' && !read_only) {
		/* Say what is wrong, not SQLite's "unable to open". */
		cli_error("%s; this command changes the database", why);
		return NULL;
	}
	memset(&ro, 0, sizeof(ro));
	ro.db_path = path;
	ro.read_only = why[0] != '\0';
	if ((ra = ra_new(&ro, ca, ca != NULL ? ca_policy(ca) : NULL, err,
	    sizeof(err))) == NULL) {
		if (ro.read_only)
			cli_error("%s (opened read-only: %s)", err, why);
		else
			cli_error("%s", err);
	}
	return ra;
}

struct ra *
cli_open_ra(const struct config *cfg, struct ca *ca)
{
	return open_ra(cfg, ca, false);
}

struct ra *
cli_open_ra_readonly(const struct config *cfg)
{
	return open_ra(cfg, NULL, true);
}

enum {
	OPT_KEY_TYPE = 1, OPT_PERMIT, OPT_NO_NC, OPT_ENCRYPT_ROOT,
	OPT_PASS_FILE, OPT_ROTATE
};

struct init_args {
	enum keys_type	 key_type;
	bool		 key_type_set;
	bool		 no_nc;
	bool		 encrypt_root;
	bool		 rotate;
	const char	*pass_file;	/* borrowed from argv */
	struct policy	 policy;
	size_t		 npermit;
	char		 err[256];
};

/*
 * No option carries a passphrase itself (HARDENING §6.1 P6): only the
 * name of a file holding it.
 */
static const struct option init_opts[] = {
	{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
	{ "permit", required_argument, NULL, OPT_PERMIT },
	{ "no-name-constraints", no_argument, NULL, OPT_NO_NC },
	{ "encrypt-root", no_argument, NULL, OPT_ENCRYPT_ROOT },
	{ "root-passphrase-file", required_argument, NULL, OPT_PASS_FILE },
	{ "rotate-intermediate", no_argument, NULL, OPT_ROTATE },
	{ NULL, 0, NULL, 0 }
};

static int
init_opt(void *arg, int opt, const char *val)
{
	struct init_args *a = arg;

	switch (opt) {
	case OPT_KEY_TYPE:
		a->key_type_set = true;
		if (keys_type_parse(val, &a->key_type) == 0)
			return 0;
		memcpy(a->err, "the types are ", 15);
		cli_key_types(a->err + 14, sizeof(a->err) - 14);
		return -1;
	case OPT_PERMIT:
		a->npermit++;
		return policy_permit(&a->policy, val, a->err,
		    sizeof(a->err));
	case OPT_NO_NC:
		a->no_nc = true;
		return 0;
	case OPT_ENCRYPT_ROOT:
		a->encrypt_root = true;
		return 0;
	case OPT_PASS_FILE:
		a->pass_file = val;
		if (val[0] != '\0')
			return 0;
		snprintf(a->err, sizeof(a->err), "give a file name");
		return -1;
	case OPT_ROTATE:
		a->rotate = true;
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
	    "  --no-name-constraints      a CA that may issue for any name\n"
	    "  --encrypt-root             keep root.key encrypted (PKCS#8, "
	    "scrypt + AES-256);\n"
	    "                             also encrypts an existing CA's "
	    "root.key\n"
	    "  --rotate-intermediate      sign a new intermediate now (needs "
	    "the root key)\n"
	    "  --root-passphrase-file F   the root key's passphrase, from a "
	    "0400/0600 file;\n"
	    "                             else $CREDENTIALS_DIRECTORY/"
	    PASSPHRASE_CREDENTIAL ",\n"
	    "                             else a prompt on the terminal. "
	    "Never argv or env.\n\n");
	config_usage(stdout, false);
}

static void
print_ca(struct ca *ca, const char *dir, const char *keynote)
{
	char		 fp[65], names[4096], when[32];
	time_t		 na = ca_intermediate_not_after(ca);
	struct tm	 tm;

	gmtime_r(&na, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	policy_describe(ca_policy(ca), names, sizeof(names));
	printf("  root certificate:  %s/root.pem\n", dir);
	printf("  root key:          %s/root.key%s\n", dir, keynote);
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
	struct passphrase_opts	 po;
	struct passphrase	*pp = NULL;
	struct ca		*ca = NULL;
	struct ra		*ra = NULL;
	const char		*keynote = "";
	char			 err[1024], path[PATH_MAX];
	bool			 created = false, exists, already, rotated;
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
	if (a.pass_file != NULL && !a.encrypt_root && !a.rotate) {
		cli_error("init: --root-passphrase-file applies only with "
		    "--encrypt-root or --rotate-intermediate");
		rc = 2;
		goto out;
	}
	if (a.no_nc)
		policy_init_unconstrained(&a.policy);
	opts.key_type = a.key_type;
	opts.policy = &a.policy;
	opts.root_pass = NULL;
	exists = statedir_path(&cfg, "root.pem", path, sizeof(path)) == 0 &&
	    keys_exists(path);
	if (exists && (a.key_type_set || a.npermit > 0 || a.no_nc)) {
		cli_error("init: a CA already exists in %s; --key-type, "
		    "--permit and --no-name-constraints only apply when "
		    "creating one (use another --state)", cfg.state_dir);
		goto out;
	}
	if (!exists && a.rotate) {
		cli_error("init: no CA in %s to rotate (root.pem missing)",
		    cfg.state_dir);
		goto out;
	}
	/* HARDENING §6.1 P6: a file, a systemd credential or the terminal. */
	memset(&po, 0, sizeof(po));
	po.file = a.pass_file;
	po.cred_dir = getenv("CREDENTIALS_DIRECTORY");
	po.tty = PASSPHRASE_TTY;
	po.prompt = "New passphrase for the root key: ";
	po.confirm = true;
	po.min_len = PASSPHRASE_MIN_NEW;
	if (!exists && a.encrypt_root) {
		/* Ask before generating anything: a refusal leaves no CA. */
		if ((pp = malloc(sizeof(*pp))) == NULL) {
			cli_error("out of memory");
			goto out;
		}
		if (passphrase_get(&po, pp, NULL, err, sizeof(err)) == -1) {
			cli_error("init: %s", err);
			goto out;
		}
		opts.root_pass = pp;
		keynote = " (encrypted)";
	}
	if ((ca = cli_open_ca(&cfg, true, &opts, &created)) == NULL)
		goto out;
	if (exists && a.encrypt_root) {
		if (ca_encrypt_root(ca, &po, &already, err,
		    sizeof(err)) == -1) {
			cli_error("init: %s", err);
			goto out;
		}
		printf("%s\n", already ? "The root key is encrypted already" :
		    "Encrypted the root key");
		keynote = " (encrypted)";
	}
	/* The database too, so `init` leaves a complete state dir. */
	if ((ra = cli_open_ra(&cfg, ca)) == NULL)
		goto out;
	if (created)
		printf("Created a new local CA in %s\n", cfg.state_dir);
	else
		printf("The local CA in %s already exists\n", cfg.state_dir);
	if (a.rotate) {
		/* P1: rotation is the one later use of the root key. */
		if (ca_set_root_passphrase(ca, a.pass_file, po.cred_dir,
		    PASSPHRASE_TTY) == -1) {
			cli_error("out of memory");
			goto out;
		}
		if (ca_rotate(ca, time(NULL), true, &rotated, err,
		    sizeof(err)) == -1) {
			cli_error("init: rotating the intermediate: %s", err);
			goto out;
		}
		printf("Signed a new intermediate; restart `localacme serve` "
		    "to use it\n");
	}
	print_ca(ca, cfg.state_dir, keynote);
	rc = 0;
out:
	if (pp != NULL) {
		passphrase_clear(pp);
		free(pp);
	}
	ra_free(ra);
	ca_free(ca);
	config_clear(&cfg);
	return rc;
}
