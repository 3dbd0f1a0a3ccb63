/* bench_internal.h - what bench.c shares with its http-01 responder (bench_http01.c) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_BENCH_INTERNAL_H
#define LOCALACME_BENCH_INTERNAL_H

#include <stddef.h>

/*
 * A tiny http-01 responder (RFC 8555 §8.3) on 127.0.0.1:port: answers
 * GET /.well-known/acme-challenge/TOKEN with the key authorization set
 * for TOKEN, 404 otherwise, one request per connection. Tokens live in
 * `nslots` slots; bench workers own disjoint slot ranges and set/clear
 * them while the responder thread reads them (a mutex guards the table).
 */
struct bench_http01;

/*
 * Bind 127.0.0.1:port and start the responder thread. Returns NULL with
 * a reason in err on failure. Free with bench_http01_free() (stops the
 * thread first).
 */
struct bench_http01 *bench_http01_new(unsigned port, size_t nslots,
	    char *err, size_t errsz);
void	 bench_http01_free(struct bench_http01 *h);

/*
 * Publish (token, keyauth) in slot i; keyauth NULL clears the slot.
 * Returns 0, or -1 if i is out of range or a string is too long.
 */
int	 bench_http01_set(struct bench_http01 *h, size_t slot,
	    const char *token, const char *keyauth);

/* Requests answered 200 so far. */
unsigned long bench_http01_served(struct bench_http01 *h);

#endif /* LOCALACME_BENCH_INTERNAL_H */
