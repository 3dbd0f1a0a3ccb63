/* trust.h - `localacme trust install|uninstall|status`: the root CA in the machine's trust stores */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_TRUST_H
#define LOCALACME_TRUST_H

#include <stdbool.h>

#include <getopt.h>

struct config;

/*
 * The options of `trust` for main's config_parse (cfg_extra): --stores.
 * main hands them back to cmd_trust as "--stores=LIST".
 */
extern const struct option trust_opts[];

/*
 * The `trust` subcommand. argv[0] is "trust"; the verb (install,
 * uninstall, status) and "--stores LIST" (system,nss,java,windows; env
 * TRUST_STORES when absent; default every store found) may come in any
 * order after it. Only cfg->state_dir is read: the root is
 * <state_dir>/root.pem, and only that certificate is written anywhere.
 * Prints progress on stdout and one line per failure on stderr.
 * Returns the exit code: 0 ok, 1 no CA or a store failed (the other
 * stores are still attempted), 2 usage error.
 */
int	 cmd_trust(const struct config *cfg, int argc, char **argv);

/*
 * true if the certificate in root_pem_path is in at least one trust store
 * that browsers or curl read (system, NSS, macOS, Windows; not Java,
 * whose check starts a JVM) found on this machine (asks the stores,
 * changes nothing, prints nothing); false otherwise, including when the
 * file cannot be read.
 */
bool	 trust_root_installed_anywhere(const char *root_pem_path);

#endif /* LOCALACME_TRUST_H */
