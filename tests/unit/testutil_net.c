/* testutil_net.c - network helpers of the unit tests: loopback sockets bound to a free port, an address nobody answers */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

int
tu_loopback_socket(int type, unsigned *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, type, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

void
tu_dead_udp(char *out, size_t outsz)
{
	unsigned	 port;

	close(tu_loopback_socket(SOCK_DGRAM, &port));
	snprintf(out, outsz, "127.0.0.1:%u", port);
}
