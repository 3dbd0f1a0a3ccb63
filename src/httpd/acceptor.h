/* acceptor.h - the listeners' accept loop: one thread takes each new connection and hands it on */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_ACCEPTOR_H
#define LOCALACME_ACCEPTOR_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * Why httpd accepts for libmicrohttpd (issue #17). In MHD 0.9.75 every
 * worker of a thread pool waits on the shared listening socket, and the
 * one that wakes first accepts up to ten connections in a row: a client
 * that opens four connections at once had all four served by one thread
 * (one core of two, and a finalize's fsync stalled the other three).
 * MHD_add_connection into a pool would not do either: it places by the
 * descriptor's number, and the numbers a busy process hands out are not
 * consecutive. So httpd runs one single-threaded MHD daemon per request
 * thread, and the acceptor's callback gives each connection to the
 * daemon with the fewest (httpd.c, on_new_connection).
 */
struct acceptor;

/*
 * Called on the acceptor's thread for each accepted connection: fd is
 * non-blocking and close-on-exec, and belongs to the callee from then on
 * (it must close it if it cannot take it). idx is the listener's index in
 * the array given to acceptor_start.
 */
typedef void	(*acceptor_fn)(void *arg, size_t idx, int fd,
		    const struct sockaddr *sa, socklen_t salen);

/*
 * Start one thread accepting on the n listening sockets fds[] (n at most
 * 8), calling fn for each connection. The sockets stay the caller's: the
 * acceptor never closes them. NULL with err on failure.
 */
struct acceptor	*acceptor_start(const int *fds, size_t n, acceptor_fn fn,
		    void *arg, char *err, size_t errsz);

/*
 * Stop accepting and join the thread: when it returns, fn is running
 * nowhere and will not be called again. NULL-safe.
 */
void		 acceptor_stop(struct acceptor *a);

#endif /* LOCALACME_ACCEPTOR_H */
