/* main.c - subcommand dispatch, process set-up (umask, signals); nothing else */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "config.h"
#include "serve.h"
#include "trust.h"

/*
 * One row per subcommand. A command either parses its own argv (`run`,
 * calling config_parse itself) or gets a parsed config (`run_cfg`): main
 * then parses the common settings plus `cfg_extra`, and hands run_cfg an
 * argv holding only argv[0], its own options (as --name=value) and the
 * operands. Adding a subcommand is one line here.
 */
struct command {
	const char		*name;
	int			(*run)(int, char **);
	int			(*run_cfg)(const struct config *, int, char **);
	const struct option	*cfg_extra;
	const char		*summary;
};

static const struct command commands[] = {
	{ "bench", cmd_bench, NULL, NULL,
	    "load-test an ACME server with complete issuances" },
	{ "doctor", cmd_doctor, NULL, NULL,
	    "check the set-up; each finding with the command that fixes it" },
	{ "eab", cmd_eab, NULL, NULL,
	    "add, list or remove external account binding keys" },
	{ "init", cmd_init, NULL, NULL,
	    "create the CA (root + intermediate) if absent" },
	{ "issue", cmd_issue, NULL, NULL,
	    "issue a certificate for NAME... (DNS names, IPs, wildcards)" },
	{ "list", cmd_list, NULL, NULL, "list issued certificates" },
	{ "revoke", cmd_revoke, NULL, NULL,
	    "mark a certificate revoked by serial" },
	{ "serve", cmd_serve, NULL, NULL, "run the ACME server (RFC 8555)" },
	{ "trust", NULL, cmd_trust, trust_opts,
	    "install, remove or show the root in trust stores" },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: localacme <command> [options] [args]\n\n"
	    "A local certificate authority that speaks ACME v2 (RFC 8555).\n\n"
	    "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-8s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp, "  %-8s %s\n", "help", "help [COMMAND]");
	fprintf(fp, "\nRun `localacme COMMAND --help` for a command's "
	    "options; `localacme --version` for the version.\n");
}

static void
unknown_command(const char *cmd)
{
	const char	*names[NCOMMANDS + 1], *near;

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = "help";
	if ((near = config_nearest(cmd, names, NCOMMANDS + 1)) != NULL)
		cli_error("unknown command \"%s\"; did you mean \"%s\"?", cmd,
		    near);
	else
		cli_error("unknown command \"%s\" (see `localacme help`)", cmd);
}

struct passthru {
	const struct option	*opts;
	char			**argv;
	int			 argc;
};

static int
collect(void *arg, int opt, const char *val)
{
	struct passthru	*pt = arg;
	const char	*name = NULL;
	char		*s;
	size_t		 n;

	for (size_t i = 0; pt->opts[i].name != NULL; i++)
		if (pt->opts[i].val == opt)
			name = pt->opts[i].name;
	if (name == NULL)
		return -1;
	n = strlen(name) + (val != NULL ? strlen(val) : 0) + 4;
	if ((s = malloc(n)) == NULL)
		return -1;
	if (val != NULL)
		snprintf(s, n, "--%s=%s", name, val);
	else
		snprintf(s, n, "--%s", name);
	pt->argv[pt->argc++] = s;
	return 0;
}

static int
run_with_config(const struct command *c, int argc, char **argv)
{
	struct config	 cfg;
	struct passthru	 pt = { c->cfg_extra, NULL, 0 };
	char		 err[1024], *help = "--help";
	int		 first, rc = 1, base;

	if ((pt.argv = calloc((size_t)argc + 2, sizeof(char *))) == NULL) {
		cli_error("out of memory");
		return 1;
	}
	pt.argv[pt.argc++] = NULL;	/* argv[0], set below */
	first = config_parse(&cfg, c->name, argc, argv, c->cfg_extra,
	    c->cfg_extra != NULL ? collect : NULL, &pt, err, sizeof(err));
	base = pt.argc;
	if (first == -1) {
		cli_error("%s", err);
		rc = 2;
		goto out;
	}
	pt.argv[0] = argv[0];
	if (cfg.help)
		pt.argv[pt.argc++] = help;
	for (int i = first; i < argc; i++)
		pt.argv[pt.argc++] = argv[i];
	pt.argv[pt.argc] = NULL;
	rc = c->run_cfg(&cfg, pt.argc, pt.argv);
	config_clear(&cfg);
out:
	for (int i = 1; i < base; i++)
		free(pt.argv[i]);
	free(pt.argv);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cmd;

	/* Keys are created 0600 and directories 0700 from the start (P4). */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("localacme %s\n", LOCALACME_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3 || strcmp(argv[2], "--help") == 0 ||
		    strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "help") == 0) {
			usage(stdout);
			return 0;
		}
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(argv[2], commands[i].name) == 0) {
				char *hargv[] = { argv[2], "--help", NULL };

				return commands[i].run != NULL ?
				    commands[i].run(2, hargv) :
				    run_with_config(&commands[i], 2, hargv);
			}
		unknown_command(argv[2]);
		return 2;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		if (commands[i].run != NULL)
			return commands[i].run(argc - 1, argv + 1);
		return run_with_config(&commands[i], argc - 1, argv + 1);
	}
	unknown_command(cmd);
	return 2;
}
