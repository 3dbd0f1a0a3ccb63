/* bench_http01.c - the http-01 responder of `localacme bench` (RFC 8555 §8.3) */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_internal.h"
#include "log.h"

#define PREFIX		"/.well-known/acme-challenge/"
#define TOKEN_MAX	128
#define KEYAUTH_MAX	256

struct slot {
	char	token[TOKEN_MAX];
	char	keyauth[KEYAUTH_MAX];
};

struct bench_http01 {
	int		 fd;
	pthread_t	 thread;
	bool		 started;
	atomic_bool	 stop;
	atomic_ulong	 served;
	pthread_mutex_t	 lock;
	struct slot	*slots;
	size_t		 nslots;
};

/* Copy the key authorization for token into out; false if unknown. */
static bool
lookup(struct bench_http01 *h, const char *token, char *out, size_t outsz)
{
	bool found = false;

	if (token[0] == '\0')
		return false;
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nslots && !found; i++)
		if (strcmp(h->slots[i].token, token) == 0) {
			snprintf(out, outsz, "%s", h->slots[i].keyauth);
			found = true;
		}
	pthread_mutex_unlock(&h->lock);
	return found;
}

static void
answer(struct bench_http01 *h, int fd)
{
	struct timeval	 tv = { 2, 0 };
	char		 req[4096], keyauth[KEYAUTH_MAX], resp[512];
	char		 token[TOKEN_MAX], *sp, *end;
	size_t		 n = 0;
	ssize_t		 r;
	int		 len;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (n < sizeof(req) - 1) {
		if ((r = read(fd, req + n, sizeof(req) - 1 - n)) <= 0)
			return;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	token[0] = '\0';
	if (strncmp(req, "GET " PREFIX, strlen("GET " PREFIX)) == 0) {
		sp = req + strlen("GET " PREFIX);
		if ((end = strchr(sp, ' ')) != NULL &&
		    (size_t)(end - sp) < sizeof(token)) {
			memcpy(token, sp, (size_t)(end - sp));
			token[end - sp] = '\0';
		}
	}
	if (lookup(h, token, keyauth, sizeof(keyauth))) {
		len = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		    strlen(keyauth), keyauth);
		atomic_fetch_add(&h->served, 1);
	} else
		len = snprintf(resp, sizeof(resp), "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	if (len > 0)
		(void)send(fd, resp, (size_t)len, MSG_NOSIGNAL);
}

static void *
run(void *arg)
{
	struct bench_http01	*h = arg;
	struct pollfd		 pfd;
	int			 c;

	while (!atomic_load(&h->stop)) {
		pfd.fd = h->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((c = accept(h->fd, NULL, NULL)) == -1)
			continue;
		answer(h, c);
		close(c);
	}
	return NULL;
}

struct bench_http01 *
bench_http01_new(unsigned port, size_t nslots, char *err, size_t errsz)
{
	struct bench_http01	*h;
	struct sockaddr_in	 sin;
	int			 one = 1;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->slots = calloc(nslots, sizeof(*h->slots))) == NULL) {
		if (h != NULL)
			free(h);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	h->nslots = nslots;
	pthread_mutex_init(&h->lock, NULL);
	atomic_init(&h->stop, false);
	atomic_init(&h->served, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(h->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(h->fd, 128) == -1) {
		snprintf(err, errsz, "http-01 responder on 127.0.0.1:%u: %s",
		    port, strerror(errno));
		goto fail;
	}
	if (pthread_create(&h->thread, NULL, run, h) != 0) {
		snprintf(err, errsz, "cannot start the http-01 responder");
		goto fail;
	}
	h->started = true;
	return h;
fail:
	bench_http01_free(h);
	return NULL;
}

void
bench_http01_free(struct bench_http01 *h)
{
	if (h == NULL)
		return;
	if (h->started) {
		atomic_store(&h->stop, true);
		pthread_join(h->thread, NULL);
	}
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h->slots);
	free(h);
}

int
bench_http01_set(struct bench_http01 *h, size_t slot, const char *token,
    const char *keyauth)
{
	if (slot >= h->nslots)
		return -1;
	if (keyauth != NULL && (strlen(token) >= TOKEN_MAX ||
	    strlen(keyauth) >= KEYAUTH_MAX))
		return -1;
	pthread_mutex_lock(&h->lock);
	if (keyauth == NULL)
		memset(&h->slots[slot], 0, sizeof(h->slots[slot]));
	else {
		snprintf(h->slots[slot].token, TOKEN_MAX, "%s", token);
		snprintf(h->slots[slot].keyauth, KEYAUTH_MAX, "%s", keyauth);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

unsigned long
bench_http01_served(struct bench_http01 *h)
{
	return atomic_load(&h->served);
}
