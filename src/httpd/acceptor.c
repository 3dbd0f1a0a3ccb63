/* acceptor.c - the listeners' accept loop: one thread takes each new connection and hands it on */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE	/* accept4 */

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "log.h"

#define ACCEPTOR_MAX	8
#define BURST		64	/* accepts from one socket before the next */
#define PAUSE_MS	100	/* after running out of descriptors or memory */

struct acceptor {
	int		 fds[ACCEPTOR_MAX];
	size_t		 n;
	int		 stopfd;	/* eventfd: readable once stopping */
	acceptor_fn	 fn;
	void		*arg;
	pthread_t	 thread;
	time_t		 logged;	/* the last "cannot accept" line */
};

/* Wait ms, or less if acceptor_stop is called. */
static void
pause_ms(struct acceptor *a, int ms)
{
	struct pollfd p = { .fd = a->stopfd, .events = POLLIN };

	(void)poll(&p, 1, ms);
}

/*
 * Accept what is waiting on listener i, at most BURST at a time, so that
 * a flood on one listener does not starve the others.
 */
static void
drain(struct acceptor *a, size_t i)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	time_t			 now;
	int			 fd, k;

	for (k = 0; k < BURST; k++) {
		sl = sizeof(ss);
		fd = accept4(a->fds[i], (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			a->fn(a->arg, i, fd, (struct sockaddr *)&ss, sl);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			/* accept(2), Linux: the peer's errors, already gone */
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
			continue;
		default:
			/*
			 * EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection
			 * waits in the backlog; try again shortly rather
			 * than spin on a socket that stays readable.
			 */
			now = time(NULL);
			if (now != a->logged) {
				a->logged = now;
				log_warn("httpd: cannot accept a connection: "
				    "%s", strerror(errno));
			}
			pause_ms(a, PAUSE_MS);
			return;
		}
	}
}

static void *
run(void *arg)
{
	struct acceptor	*a = arg;
	struct pollfd	 p[ACCEPTOR_MAX + 1];
	size_t		 i;

	for (;;) {
		for (i = 0; i < a->n; i++)
			p[i] = (struct pollfd){ .fd = a->fds[i],
			    .events = POLLIN };
		p[a->n] = (struct pollfd){ .fd = a->stopfd, .events = POLLIN };
		if (poll(p, a->n + 1, -1) < 0) {
			if (errno != EINTR)
				pause_ms(a, PAUSE_MS);
			continue;
		}
		if (p[a->n].revents != 0)
			return NULL;
		for (i = 0; i < a->n; i++)
			if (p[i].revents != 0)
				drain(a, i);
	}
}

struct acceptor *
acceptor_start(const int *fds, size_t n, acceptor_fn fn, void *arg,
    char *err, size_t errsz)
{
	struct acceptor	*a;

	if (n == 0 || n > ACCEPTOR_MAX || fn == NULL) {
		snprintf(err, errsz, "httpd: acceptor: bad arguments");
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errsz, "httpd: out of memory");
		return NULL;
	}
	memcpy(a->fds, fds, n * sizeof(*fds));
	a->n = n;
	a->fn = fn;
	a->arg = arg;
	if ((a->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		snprintf(err, errsz, "httpd: eventfd: %s", strerror(errno));
		free(a);
		return NULL;
	}
	if (pthread_create(&a->thread, NULL, run, a) != 0) {
		snprintf(err, errsz, "httpd: cannot start a thread");
		close(a->stopfd);
		free(a);
		return NULL;
	}
	return a;
}

void
acceptor_stop(struct acceptor *a)
{
	uint64_t one = 1;

	if (a == NULL)
		return;
	/* An eventfd write of 1 cannot fail short of an overflow. */
	(void)!write(a->stopfd, &one, sizeof(one));
	pthread_join(a->thread, NULL);
	close(a->stopfd);
	free(a);
}
