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

/*
 * What `trust status` finds, store by store, for `localacme doctor`: for
 * each store selected by $TRUST_STORES (default every one), calls fn with
 * its name, whether its check ran (ok), and what it found: present on
 * this machine, trusted by every consumer, by some, and where it looked.
 * Changes and prints nothing. Returns 0, or -1 with errno when
 * <state_dir>/root.pem cannot be read (ENOENT: no CA) or the list is bad.
 */
typedef void (*trust_each_fn)(void *arg, const char *store, bool ok,
	    bool found, bool trusted, bool any, const char *where);
int	 trust_status_each(const char *state_dir, trust_each_fn fn, void *arg);

#endif /* LOCALACME_TRUST_H */
