/* cli.h - the operator subcommands (init, issue, list, revoke) and their shared helpers */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_CLI_H
#define LOCALACME_CLI_H

#include <stdbool.h>

struct ca;
struct ca_create_opts;
struct config;
struct ra;
struct store;

/*
 * Each subcommand takes its own argv (argv[0] = the subcommand name),
 * parses the common settings with config_parse plus its own options, and
 * returns the process exit code: 0 success, 1 failure (one line
 * "localacme: <message>" on stderr), 2 usage error.
 */
int	 cmd_init(int argc, char **argv);
int	 cmd_issue(int argc, char **argv);
int	 cmd_list(int argc, char **argv);
int	 cmd_revoke(int argc, char **argv);
int	 cmd_eab(int argc, char **argv);	/* cli_eab.c */
int	 cmd_doctor(int argc, char **argv);	/* cli_doctor.c */

/* Print "localacme: <message>\n" on stderr. */
void	 cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "ec256, ec384, ..." : the --key-type values, for error messages. */
void	 cli_key_types(char *buf, size_t sz);

/*
 * Make sure the state directory is fit (statedir_ensure) and open the CA
 * in it, creating it when `create` (opts may be NULL). On failure prints
 * one line and returns NULL. *created (may be NULL) says whether a new
 * CA was made.
 */
struct ca *cli_open_ca(const struct config *cfg, bool create,
	    const struct ca_create_opts *opts, bool *created);

/*
 * The RA on <state_dir>/localacme.db (created and migrated if absent),
 * for an operator command: no VA, and ca may be NULL (revoke, list and
 * eab need no CA; see ra_new). The only store connection of the command.
 * Prints one line and returns NULL on failure; ra_free closes it.
 */
struct ra *cli_open_ra(const struct config *cfg, struct ca *ca);

/*
 * As cli_open_ra(cfg, NULL) for a command that only reads (`list`): when
 * the database or the state directory is not writable for us (mode,
 * owner, read-only mount), it is opened read-only (store_open_readonly)
 * instead of failing. cli_open_ra then names that cause.
 */
struct ra *cli_open_ra_readonly(const struct config *cfg);

#endif /* LOCALACME_CLI_H */
