/* doctor_ca.c - doctor's CA checks: present and readable, the root key, the intermediate's life, the clock */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "ca.h"
#include "config.h"
#include "doctor.h"
#include "keys.h"
#include "statedir.h"

static void
day(time_t t, char *buf, size_t sz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%d", &tm);
}

static void
intermediate_life(struct doctor_report *r, struct ca *ca, const char *qdir,
    time_t now)
{
	time_t	 nb = ca_intermediate_not_before(ca);
	time_t	 na = ca_intermediate_not_after(ca);
	char	 when[32], fix[DOCTOR_LINE];
	long	 left = (long)((na - now) / 86400);

	day(na, when, sizeof(when));
	doctor_fmt(fix, sizeof(fix), "localacme init --state %s "
	    "--rotate-intermediate", qdir);
	if (na <= now)
		doctor_add(r, "intermediate", DOCTOR_FAIL, fix,
		    "expired on %s: no certificate can be issued", when);
	else if (na - now < (na - nb) / 3)
		/* HARDENING §6.1 P16: serve rotates at a third left. */
		doctor_add(r, "intermediate", DOCTOR_WARN, fix,
		    "expires on %s (%ld day%s left, less than a third of its "
		    "life): rotation is due", when, left,
		    left == 1 ? "" : "s");
	else
		doctor_add(r, "intermediate", DOCTOR_OK, NULL,
		    "valid until %s (%ld days left)", when, left);
}

/*
 * The fix for ca_open's refusal, whose message starts "FILE: ": a key
 * others may read or owned by another user is ours to repair; anything
 * else (missing, corrupt, mismatched) only a backup or a new CA fixes,
 * and a CA is never regenerated over a broken one (X08).
 */
static void
ca_fix(const char *err, const char *qdir, char *fix, size_t sz)
{
	char	 file[PATH_MAX], qfile[PATH_MAX + 64];
	size_t	 n = strcspn(err, ":");

	if (err[n] == ':' && n < sizeof(file)) {
		memcpy(file, err, n);
		file[n] = '\0';
		doctor_shell_quote(file, qfile, sizeof(qfile));
		if (strstr(err, "lets others read the key") != NULL) {
			doctor_fmt(fix, sz, "chmod 600 %s", qfile);
			return;
		}
		if (strstr(err, "owned by uid") != NULL) {
			doctor_fmt(fix, sz, "sudo chown %lu %s",
			    (unsigned long)geteuid(), qfile);
			return;
		}
	}
	doctor_fmt(fix, sz, "mv %s %s.broken && localacme init --state %s",
	    qdir, qdir, qdir);
}

struct ca *
doctor_check_ca(struct doctor_report *r, const struct config *cfg,
    time_t now)
{
	struct ca	*ca;
	char		 qdir[PATH_MAX + 64], fix[DOCTOR_LINE], path[PATH_MAX];
	char		 err[1024], fp[65];

	doctor_shell_quote(cfg->state_dir, qdir, sizeof(qdir));
	doctor_fmt(fix, sizeof(fix), "localacme init --state %s", qdir);
	if (statedir_check_dir(cfg->state_dir, err, sizeof(err)) == -1) {
		if (errno == ENOENT)
			doctor_add(r, "ca", DOCTOR_FAIL, fix,
			    "no state directory %s: no CA yet", cfg->state_dir);
		else {
			/* Group/world-writable, a symlink, another owner. */
			doctor_fmt(fix, sizeof(fix), "chmod 700 %s  # as its "
			    "owner; a symlink: use the real directory", qdir);
			doctor_add(r, "ca", DOCTOR_FAIL, fix, "%s", err);
		}
		return NULL;
	}
	if (statedir_path(cfg, "root.pem", path, sizeof(path)) == -1 ||
	    !keys_exists(path)) {
		doctor_add(r, "ca", DOCTOR_FAIL, fix,
		    "no CA in %s (root.pem missing)", cfg->state_dir);
		return NULL;
	}
	if ((ca = ca_open(cfg->state_dir, false, NULL, NULL, err,
	    sizeof(err))) == NULL) {
		ca_fix(err, qdir, fix, sizeof(fix));
		doctor_add(r, "ca", DOCTOR_FAIL, fix,
		    "the CA in %s cannot be used: %s", cfg->state_dir, err);
		return NULL;
	}
	if (ca_root_fingerprint(ca, fp) == -1)
		snprintf(fp, sizeof(fp), "?");
	doctor_add(r, "ca", DOCTOR_OK, NULL, "root and intermediate in %s "
	    "(root SHA-256 %.16s...)", cfg->state_dir, fp);
	/* Only rotation reads root.key (P1): a lost one is found late. */
	if (statedir_path(cfg, "root.key", path, sizeof(path)) == 0 &&
	    !keys_exists(path)) {
		char qpath[PATH_MAX + 64];

		doctor_shell_quote(path, qpath, sizeof(qpath));
		doctor_fmt(fix, sizeof(fix), "install -m 600 BACKUP/root.key %s",
		    qpath);
		doctor_add(r, "root key", DOCTOR_WARN, fix, "%s is missing: "
		    "the intermediate cannot be rotated", path);
	} else if (access(path, R_OK) == -1)
		doctor_add(r, "root key", DOCTOR_WARN, NULL,
		    "%s: %s: run doctor as the user who owns the CA", path,
		    strerror(errno));
	intermediate_life(r, ca, qdir, now);
	return ca;
}

void
doctor_check_clock(struct doctor_report *r, struct ca *ca, time_t now,
    time_t server_date)
{
	const char	*fix = "timedatectl set-ntp true";
	struct tm	 tm;
	time_t		 root_nb = 0;
	char		 when[64], nb[32];

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (ca != NULL && ASN1_TIME_to_tm(X509_get0_notBefore(ca_root_cert(ca)),
	    &tm) == 1)
		root_nb = timegm(&tm);
	if (now < DOCTOR_EPOCH) {
		doctor_add(r, "clock", DOCTOR_FAIL, fix, "the system time %s is "
		    "before this program was written", when);
		return;
	}
	/* The root is backdated by CA_BACKDATE: earlier means a wrong clock. */
	if (root_nb != 0 && now < root_nb) {
		day(root_nb, nb, sizeof(nb));
		doctor_add(r, "clock", DOCTOR_FAIL, fix, "the system time %s is "
		    "before the root was created (%s): no certificate is "
		    "valid yet", when, nb);
		return;
	}
	if (server_date != 0 && (server_date - now > DOCTOR_SKEW_S ||
	    now - server_date > DOCTOR_SKEW_S)) {
		doctor_add(r, "clock", DOCTOR_WARN, fix, "the system time %s and "
		    "the server's Date differ by %lld s", when,
		    (long long)(server_date - now));
		return;
	}
	doctor_add(r, "clock", DOCTOR_OK, NULL, "%s%s", when,
	    server_date != 0 ? ", the server's Date agrees" : "");
}
