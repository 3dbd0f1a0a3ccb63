/* doctor_names.c - doctor's names: each resolves, and to what; the special-use names of RFC 6761 */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "doctor.h"

/* name ends with the label `label` (or is it); a trailing dot ignored. */
static bool
under(const char *name, size_t len, const char *label)
{
	size_t ll = strlen(label);

	if (len == ll)
		return strncasecmp(name, label, ll) == 0;
	return len > ll && name[len - ll - 1] == '.' &&
	    strncasecmp(name + len - ll, label, ll) == 0;
}

enum doctor_name_kind
doctor_name_kind(const char *name)
{
	unsigned char	 b[16];
	size_t		 len = strlen(name);

	if (inet_pton(AF_INET, name, b) == 1 ||
	    inet_pton(AF_INET6, name, b) == 1)
		return DOCTOR_NAME_IP;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (under(name, len, "localhost"))
		return DOCTOR_NAME_LOCALHOST;
	if (under(name, len, "invalid"))
		return DOCTOR_NAME_INVALID;
	return DOCTOR_NAME_OTHER;
}

static bool
loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/*
 * "127.0.0.1, ::1": each address once, in getaddrinfo's order (it repeats
 * one per socket type). *all_loopback, and the first address that is not
 * loopback into other ("" when none).
 */
static void
addresses(const struct addrinfo *res, char *buf, size_t sz,
    bool *all_loopback, char *other, size_t othersz)
{
	char		 seen[16][INET6_ADDRSTRLEN];
	size_t		 nseen = 0, o = 0, i;
	const void	*p;

	buf[0] = '\0';
	other[0] = '\0';
	*all_loopback = true;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			p = &((const struct sockaddr_in *)(const void *)
			    ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			p = &((const struct sockaddr_in6 *)(const void *)
			    ai->ai_addr)->sin6_addr;
		else
			continue;
		if (nseen == sizeof(seen) / sizeof(seen[0]) ||
		    inet_ntop(ai->ai_family, p, seen[nseen],
		    sizeof(seen[0])) == NULL)
			continue;
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], seen[nseen]) == 0)
				break;
		if (i < nseen)
			continue;
		if (!loopback(ai->ai_addr)) {
			if (*all_loopback)
				snprintf(other, othersz, "%s", seen[nseen]);
			*all_loopback = false;
		}
		if (o < sz)
			o += (size_t)snprintf(buf + o, sz - o, "%s%s",
			    o > 0 ? ", " : "", seen[nseen]);
		nseen++;
	}
}

void
doctor_name_judge(const char *name, const struct addrinfo *res,
    int gai_error, struct doctor_finding *f)
{
	enum doctor_name_kind	 kind = doctor_name_kind(name);
	char			 list[DOCTOR_LINE / 2], other[INET6_ADDRSTRLEN];
	bool			 all_lo;

	snprintf(f->check, sizeof(f->check), "name");
	f->fix[0] = '\0';
	if (kind == DOCTOR_NAME_IP) {
		f->status = DOCTOR_OK;
		snprintf(f->message, sizeof(f->message), "%s is an IP address: "
		    "nothing to resolve", name);
		return;
	}
	if (kind == DOCTOR_NAME_INVALID) {
		/* RFC 6761 §6.4: never resolves; doctor does not ask. */
		f->status = DOCTOR_FAIL;
		snprintf(f->message, sizeof(f->message), "%s does not resolve: "
		    "names under .invalid never do (RFC 6761 §6.4)", name);
		snprintf(f->fix, sizeof(f->fix), "use a name under .localhost "
		    "or .test, e.g. localacme issue app.localhost");
		return;
	}
	if (res == NULL || gai_error != 0) {
		const char *why = gai_error != 0 ? gai_strerror(gai_error) :
		    "no address";

		if (kind == DOCTOR_NAME_LOCALHOST) {
			/*
			 * RFC 6761 §6.3: localhost names are loopback; the VA
			 * answers them so itself, other programs ask the
			 * resolver.
			 */
			f->status = DOCTOR_WARN;
			snprintf(f->message, sizeof(f->message), "%s does not "
			    "resolve here (%s); it is loopback by RFC 6761 "
			    "§6.3, which localacme follows but this machine's "
			    "resolver does not", name, why);
		} else {
			f->status = DOCTOR_FAIL;
			snprintf(f->message, sizeof(f->message), "%s does not "
			    "resolve (%s)", name, why);
		}
		snprintf(f->fix, sizeof(f->fix), "echo '127.0.0.1 %s' | sudo "
		    "tee -a /etc/hosts", name);
		return;
	}
	addresses(res, list, sizeof(list), &all_lo, other, sizeof(other));
	if (kind == DOCTOR_NAME_LOCALHOST && !all_lo) {
		/* RFC 6761 §6.3: localhost names are loopback, only. */
		f->status = DOCTOR_FAIL;
		snprintf(f->message, sizeof(f->message), "%s resolves to %s: "
		    "%s is not loopback (RFC 6761 §6.3)", name, list, other);
		snprintf(f->fix, sizeof(f->fix), "sudoedit /etc/hosts  # take "
		    "%s off the line of %s (or your DNS's record)", name,
		    other);
		return;
	}
	f->status = DOCTOR_OK;
	snprintf(f->message, sizeof(f->message), "%s resolves to %s%s", name,
	    list, kind == DOCTOR_NAME_LOCALHOST ? " (loopback, RFC 6761 §6.3)" :
	    all_lo ? " (loopback)" : "");
}

static void
one(struct doctor_report *r, const struct config *cfg, const char *name)
{
	struct doctor_finding	 f;
	struct addrinfo		 hints, *res = NULL;
	int			 gai = 0;
	size_t			 nlen = strlen(name);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (doctor_name_kind(name) != DOCTOR_NAME_INVALID)
		gai = getaddrinfo(name, NULL, &hints, &res);
	memset(&f, 0, sizeof(f));
	doctor_name_judge(name, res, gai, &f);
	/* The VA's --resolve pins win over the resolver for validations. */
	for (size_t i = 0; i < cfg->nresolve; i++)
		if (strncasecmp(cfg->resolve[i], name, nlen) == 0 &&
		    cfg->resolve[i][nlen] == '=') {
			size_t l = strlen(f.message);

			snprintf(f.message + l, sizeof(f.message) - l, "; the VA "
			    "uses %s (--resolve)", cfg->resolve[i] + nlen + 1);
		}
	doctor_add(r, f.check, f.status, f.fix, "%s", f.message);
	if (res != NULL)
		freeaddrinfo(res);
}

void
doctor_check_names(struct doctor_report *r, const struct config *cfg,
    char **names, size_t nnames)
{
	if (nnames > 0) {
		for (size_t i = 0; i < nnames; i++)
			one(r, cfg, names[i]);
		return;
	}
	one(r, cfg, "localhost");
	/* A wildcard is no name to look up: NAME... can give one under it. */
	for (size_t i = 0; i < cfg->nhostnames; i++)
		if (strcasecmp(cfg->hostnames[i], "localhost") != 0 &&
		    strncmp(cfg->hostnames[i], "*.", 2) != 0)
			one(r, cfg, cfg->hostnames[i]);
}
