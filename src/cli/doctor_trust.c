/* doctor_trust.c - doctor's trust check: the root in each trust store, as `trust status` sees it */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "doctor.h"
#include "trust.h"

struct trust_ctx {
	struct doctor_report	*r;
	const char		*qdir;
	size_t			 found;
};

static void
one(void *arg, const char *store, bool ok, bool found, bool trusted,
    bool any, const char *where)
{
	struct trust_ctx	*c = arg;
	char			 check[32], fix[DOCTOR_LINE];

	snprintf(check, sizeof(check), "trust %s", store);
	doctor_fmt(fix, sizeof(fix), "localacme trust install --stores %s "
	    "--state %s", store, c->qdir);
	if (!ok) {
		doctor_fmt(fix, sizeof(fix), "localacme trust status --stores %s "
		    "--state %s", store, c->qdir);
		doctor_add(c->r, check, DOCTOR_WARN, fix, "its status could "
		    "not be read");
		return;
	}
	if (!found) {
		doctor_add(c->r, check, DOCTOR_OK, NULL, "not on this machine "
		    "(%s)", where);
		return;
	}
	c->found++;
	/* Untrusted is a warning: issuing works, only clients complain. */
	if (trusted)
		doctor_add(c->r, check, DOCTOR_OK, NULL, "trusts the root (%s)",
		    where);
	else
		doctor_add(c->r, check, DOCTOR_WARN, fix, "%s the root "
		    "(%s)", any ? "partly trusts" : "does not trust", where);
}

void
doctor_check_trust(struct doctor_report *r, const struct config *cfg)
{
	struct trust_ctx	 c;
	char			 qdir[PATH_MAX + 64];

	doctor_shell_quote(cfg->state_dir, qdir, sizeof(qdir));
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.qdir = qdir;
	if (trust_status_each(cfg->state_dir, one, &c) == -1) {
		/* No CA is the CA check's finding already. */
		if (errno != ENOENT)
			doctor_add(r, "trust", DOCTOR_WARN, NULL, "the trust "
			    "stores could not be checked: %s", strerror(errno));
		return;
	}
	if (c.found == 0)
		doctor_add(r, "trust", DOCTOR_WARN, "sudo apt-get install "
		    "ca-certificates  # or your system's package", "no trust "
		    "store found on this machine: clients cannot trust the "
		    "root");
}
