/* serve.h - the `localacme serve` subcommand */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_SERVE_H
#define LOCALACME_SERVE_H

/*
 * Run the ACME server until SIGINT/SIGTERM. argv[0] is "serve". Returns
 * the process exit code (0 after a clean stop, 1 on a start-up failure,
 * reported in one line).
 */
int	 cmd_serve(int argc, char **argv);

#endif /* LOCALACME_SERVE_H */
