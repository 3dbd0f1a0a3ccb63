/* trust_nss.c - NSS databases (Chrome/Chromium, Firefox on Linux) through certutil */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust_internal.h"

/* Chrome's shared database; created on install when missing (as mkcert). */
#define CHROME_NSSDB	".pki/nssdb"

/* Other single databases and the directories holding Firefox profiles. */
static const char *const single_dbs[] = {
	"snap/chromium/current/.pki/nssdb",
};
static const char *const firefox_dirs[] = {
	".mozilla/firefox",
	".config/mozilla/firefox",			/* XDG layout */
	"snap/firefox/common/.mozilla/firefox",
	".var/app/org.mozilla.firefox/.mozilla/firefox",	/* Flatpak */
};
static const char *const browsers[] = {
	"chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
	"firefox", "firefox-esr",
};

/* Adds "sql:dir" (cert9.db) or "dbm:dir" (only legacy cert8.db). */
static int
add_db(struct trust_strv *dbs, const char *dir)
{
	char	 p[PATH_MAX + 16], spec[PATH_MAX + 8];
	const char *kind = NULL;

	/* A path too long to name is not a database we can use. */
	if (snprintf(p, sizeof(p), "%s/cert9.db", dir) >= (int)sizeof(p))
		return 0;
	if (trust_path_exists(p))
		kind = "sql";
	else {
		(void)snprintf(p, sizeof(p), "%s/cert8.db", dir);
		if (trust_path_exists(p))
			kind = "dbm";
	}
	if (kind == NULL)
		return 0;
	if (snprintf(spec, sizeof(spec), "%s:%s", kind, dir) >=
	    (int)sizeof(spec))
		return 0;
	return trust_strv_add(dbs, spec);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
trust_nss_find_dbs(const struct trust_env *env, struct trust_strv *dbs)
{
	char		 dir[PATH_MAX], prof[PATH_MAX * 2];
	DIR		*d;
	struct dirent	*de;
	size_t		 first = dbs->n;

	snprintf(dir, sizeof(dir), "%s/%s", env->home, CHROME_NSSDB);
	if (add_db(dbs, dir) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(single_dbs) / sizeof(single_dbs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", env->home, single_dbs[i]);
		if (add_db(dbs, dir) == -1)
			return -1;
	}
	for (size_t i = 0; i < sizeof(firefox_dirs) / sizeof(firefox_dirs[0]);
	    i++) {
		snprintf(dir, sizeof(dir), "%s/%s", env->home, firefox_dirs[i]);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (snprintf(prof, sizeof(prof), "%s/%s", dir,
			    de->d_name) >= (int)sizeof(prof))
				continue;
			if (trust_is_dir(prof) && add_db(dbs, prof) == -1) {
				closedir(d);
				return -1;
			}
		}
		closedir(d);
	}
	/* Deterministic order: readdir's is not. */
	if (dbs->n > first)
		qsort(dbs->v + first, dbs->n - first, sizeof(char *), cmp);
	return 0;
}

/*
 * Looks our nickname up in `certutil -L -d db`'s listing. Returns 1 if
 * listed with the C (trusted CA for TLS servers) flag, 0 if listed without
 * it, -2 if not listed, -1 if certutil failed.
 */
static int
lookup(const struct trust_env *env, const char *certutil, const char *db)
{
	char	*argv[] = { (char *)certutil, "-L", "-d", (char *)db, NULL };
	char	*out = NULL, *line, *save = NULL;
	int	 st, rc = -1;
	size_t	 nlen = strlen(env->root->name);

	st = trust_run(env, argv, &out);
	if (st != 0 || out == NULL)
		goto out;
	rc = -2;
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t	 len = strlen(line);
		char	*flags;

		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((flags = strrchr(line, ' ')) == NULL)
			continue;
		*flags++ = '\0';
		len = strlen(line);
		while (len > 0 && line[len - 1] == ' ')
			line[--len] = '\0';
		if (len != nlen || strcmp(line, env->root->name) != 0)
			continue;
		/* "C,," : the SSL field comes first. */
		rc = (strcspn(flags, ",") > strcspn(flags, "C")) ? 1 : 0;
		break;
	}
out:
	free(out);
	return rc;
}

static bool
have_browser(const struct trust_env *env)
{
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(browsers) / sizeof(browsers[0]); i++)
		if (trust_which(env, browsers[i], p, sizeof(p)))
			return true;
	return false;
}

/* Appends s to buf, truncating at bufsz (a status line, not a path). */
static void
append(char *buf, size_t bufsz, const char *s)
{
	size_t len = strlen(buf);

	if (len < bufsz)
		snprintf(buf + len, bufsz - len, "%s", s);
}

static int
nss_status(const struct trust_env *env, struct trust_status *st)
{
	struct trust_strv	 dbs = { 0 };
	char			 certutil[PATH_MAX];
	size_t			 yes = 0;
	int			 rc = -1, r;

	if (trust_nss_find_dbs(env, &dbs) == -1)
		goto out;
	if (!trust_which(env, "certutil", certutil, sizeof(certutil))) {
		snprintf(st->where, sizeof(st->where), "certutil not on PATH "
		    "(Debian/Ubuntu: libnss3-tools; Fedora: nss-tools)%s",
		    dbs.n > 0 ? ", but NSS databases exist" : "");
		rc = 0;
		goto out;
	}
	if (dbs.n == 0) {
		st->found = have_browser(env);
		snprintf(st->where, sizeof(st->where), "%s/%s %s", env->home,
		    CHROME_NSSDB, st->found ? "(created on install)" :
		    "(no NSS database and no browser found)");
		rc = 0;
		goto out;
	}
	st->found = true;
	for (size_t i = 0; i < dbs.n; i++) {
		r = lookup(env, certutil, dbs.v[i]);
		if (r == 1)
			yes++;
		if (i > 0)
			append(st->where, sizeof(st->where), ", ");
		append(st->where, sizeof(st->where), dbs.v[i]);
		append(st->where, sizeof(st->where), r == 1 ? "" :
		    r == -1 ? " (unreadable)" : " (not trusted)");
	}
	st->any = yes > 0;
	st->trusted = yes == dbs.n;
	rc = 0;
out:
	trust_strv_clear(&dbs);
	return rc;
}

/* ~/.pki/nssdb, made with an empty password so Chrome can open it. */
static int
create_chrome_db(const struct trust_env *env, const char *certutil)
{
	char	 pki[PATH_MAX], db[PATH_MAX], spec[PATH_MAX + 8];
	char	*argv[] = { (char *)certutil, "-N", "--empty-password", "-d",
	    spec, NULL };

	snprintf(pki, sizeof(pki), "%s/.pki", env->home);
	snprintf(db, sizeof(db), "%s/%s", env->home, CHROME_NSSDB);
	if ((mkdir(pki, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(db, 0700) == -1 && errno != EEXIST)) {
		fprintf(env->err, "trust: nss: cannot create %s: %s\n", db,
		    strerror(errno));
		return -1;
	}
	snprintf(spec, sizeof(spec), "sql:%s", db);
	if (trust_run_checked(env, "nss", argv) == -1)
		return -1;
	if (!env->quiet)
		fprintf(env->out, "nss: created %s\n", spec);
	return 0;
}

static int
chrome_db_exists(const struct trust_env *env)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/cert9.db", env->home, CHROME_NSSDB);
	if (trust_path_exists(p))
		return 1;
	snprintf(p, sizeof(p), "%s/%s/cert8.db", env->home, CHROME_NSSDB);
	return trust_path_exists(p);
}

static int
nss_install(const struct trust_env *env)
{
	struct trust_strv	 dbs = { 0 };
	char			 certutil[PATH_MAX];
	int			 rc = -1, failed = 0;

	if (!trust_which(env, "certutil", certutil, sizeof(certutil))) {
		fprintf(env->err, "trust: nss: certutil not on PATH\n");
		goto out;
	}
	if (!chrome_db_exists(env) && create_chrome_db(env, certutil) == -1)
		failed = 1;	/* the Firefox profiles may still work */
	if (trust_nss_find_dbs(env, &dbs) == -1)
		goto out;
	for (size_t i = 0; i < dbs.n; i++) {
		char *argv[] = { certutil, "-A", "-d", dbs.v[i], "-t", "C,,",
		    "-n", (char *)env->root->name, "-i",
		    (char *)env->root->certfile, NULL };

		if (lookup(env, certutil, dbs.v[i]) == 1) {
			if (!env->quiet)
				fprintf(env->out, "nss: already installed: "
				    "%s\n", dbs.v[i]);
			continue;
		}
		if (trust_run_checked(env, "nss", argv) == -1) {
			failed = 1;
			continue;
		}
		if (!env->quiet)
			fprintf(env->out, "nss: installed %s in %s\n",
			    env->root->name, dbs.v[i]);
	}
	rc = failed ? -1 : 0;
out:
	trust_strv_clear(&dbs);
	return rc;
}

static int
nss_uninstall(const struct trust_env *env)
{
	struct trust_strv	 dbs = { 0 };
	char			 certutil[PATH_MAX];
	int			 rc = -1, failed = 0, removed = 0;

	if (!trust_which(env, "certutil", certutil, sizeof(certutil))) {
		fprintf(env->err, "trust: nss: certutil not on PATH\n");
		goto out;
	}
	if (trust_nss_find_dbs(env, &dbs) == -1)
		goto out;
	for (size_t i = 0; i < dbs.n; i++) {
		char *argv[] = { certutil, "-D", "-d", dbs.v[i], "-n",
		    (char *)env->root->name, NULL };

		/* By our nickname only; a bounded loop in case of duplicates. */
		for (int n = 0; n < 4 && lookup(env, certutil, dbs.v[i]) >= 0;
		    n++) {
			if (trust_run_checked(env, "nss", argv) == -1) {
				failed = 1;
				break;
			}
			if (n == 0 && !env->quiet)
				fprintf(env->out, "nss: removed %s from %s\n",
				    env->root->name, dbs.v[i]);
			removed = 1;
		}
	}
	if (!removed && !failed && !env->quiet)
		fprintf(env->out, "nss: not installed\n");
	rc = failed ? -1 : 0;
out:
	trust_strv_clear(&dbs);
	return rc;
}

const struct trust_store trust_store_nss = {
	"nss", nss_status, nss_install, nss_uninstall,
};
