/* bench.h - `localacme bench`: an RFC 8555 load generator for any ACME server */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_BENCH_H
#define LOCALACME_BENCH_H

/*
 * Runs N complete issuances (newOrder, authz, challenge, poll, finalize
 * with a fresh CSR, poll, download) with C concurrent workers, one
 * account and one keep-alive HTTPS connection each, and prints
 * issuances/s, latency percentiles per endpoint and per issuance, errors
 * by problem type and the generator's own CPU time (optionally also the
 * server's, read from /proc). argv[0] is "bench". Returns the exit code:
 * 0 every issuance succeeded, 1 a failure or a stalled server (the
 * report is still printed), 2 a usage error, 130 interrupted by Ctrl-C
 * (SIGINT; the partial report is printed).
 */
int	 cmd_bench(int argc, char **argv);

#endif /* LOCALACME_BENCH_H */
