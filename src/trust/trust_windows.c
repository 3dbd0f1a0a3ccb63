/* trust_windows.c - the Windows user Root store from WSL, through certutil.exe */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trust_internal.h"

/*
 * Under WSL the browsers that matter run on Windows and read the Windows
 * store, not the Linux ones. The current user's Root store needs no
 * elevation (Windows asks the user to confirm an add). certutil.exe needs
 * a Windows path to the certificate: wslpath -w makes one (a
 * \\wsl.localhost\... path Windows can read). Entries are addressed by
 * the certificate's SHA-1, which certutil accepts as a CertId.
 */
#define OSRELEASE	"/proc/sys/kernel/osrelease"
#define CERTUTIL_EXE	"/mnt/c/Windows/System32/certutil.exe"

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

bool
trust_windows_is_wsl(const struct trust_env *env)
{
	char	 path[PATH_MAX], buf[256];
	FILE	*fp;
	bool	 yes = false;

	if (strcmp(env->sysname, "Linux") != 0 ||
	    trust_syspath(env, OSRELEASE, path, sizeof(path)) == -1 ||
	    (fp = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), fp) != NULL)
		yes = contains_ci(buf, "microsoft") || contains_ci(buf, "wsl");
	fclose(fp);
	return yes;
}

static bool
find_certutil(const struct trust_env *env, char *buf, size_t bufsz)
{
	return trust_windows_is_wsl(env) &&
	    trust_syspath(env, CERTUTIL_EXE, buf, bufsz) == 0 &&
	    trust_path_exists(buf);
}

static bool
present(const struct trust_env *env, const char *certutil)
{
	char *argv[] = { (char *)certutil, "-user", "-store", "Root",
	    (char *)env->root->sha1, NULL };

	return trust_run(env, argv, NULL) == 0;
}

static int
windows_status(const struct trust_env *env, struct trust_status *st)
{
	char certutil[PATH_MAX];

	if (!find_certutil(env, certutil, sizeof(certutil))) {
		snprintf(st->where, sizeof(st->where), "not WSL, or no %s",
		    CERTUTIL_EXE);
		return 0;
	}
	st->found = true;
	st->trusted = st->any = present(env, certutil);
	snprintf(st->where, sizeof(st->where), "Windows user Root store (%s)",
	    certutil);
	return 0;
}

/* The Windows path of r->certfile, via `wslpath -w`; 0 or -1 (printed). */
static int
windows_path(const struct trust_env *env, char *buf, size_t bufsz)
{
	char	 wslpath[PATH_MAX];
	char	*argv[] = { wslpath, "-w", (char *)env->root->certfile, NULL };
	char	*out = NULL;
	size_t	 len;
	int	 rc = -1;

	if (!trust_which(env, "wslpath", wslpath, sizeof(wslpath))) {
		fprintf(env->err, "trust: windows: wslpath not found\n");
		goto out;
	}
	if (trust_run(env, argv, &out) != 0 || out == NULL) {
		fprintf(env->err, "trust: windows: wslpath failed\n");
		goto out;
	}
	len = strlen(out);
	while (len > 0 && isspace((unsigned char)out[len - 1]))
		out[--len] = '\0';
	if (len == 0 || len >= bufsz) {
		fprintf(env->err, "trust: windows: wslpath gave no path\n");
		goto out;
	}
	memcpy(buf, out, len + 1);
	rc = 0;
out:
	free(out);
	return rc;
}

static int
windows_install(const struct trust_env *env)
{
	char	 certutil[PATH_MAX], winpath[PATH_MAX];
	char	*argv[] = { certutil, "-addstore", "-user", "Root", winpath,
	    NULL };

	if (!find_certutil(env, certutil, sizeof(certutil))) {
		fprintf(env->err, "trust: windows: %s not found\n",
		    CERTUTIL_EXE);
		return -1;
	}
	if (present(env, certutil)) {
		if (!env->quiet)
			fprintf(env->out, "windows: already installed\n");
		return 0;
	}
	if (windows_path(env, winpath, sizeof(winpath)) == -1 ||
	    trust_run_checked(env, "windows", argv) == -1)
		return -1;
	if (!env->quiet)
		fprintf(env->out, "windows: installed %s in the user Root "
		    "store\n", env->root->name);
	return 0;
}

static int
windows_uninstall(const struct trust_env *env)
{
	char	 certutil[PATH_MAX];
	char	*argv[] = { certutil, "-delstore", "-user", "Root",
	    (char *)env->root->sha1, NULL };

	if (!find_certutil(env, certutil, sizeof(certutil))) {
		fprintf(env->err, "trust: windows: %s not found\n",
		    CERTUTIL_EXE);
		return -1;
	}
	if (!present(env, certutil)) {
		if (!env->quiet)
			fprintf(env->out, "windows: not installed\n");
		return 0;
	}
	if (trust_run_checked(env, "windows", argv) == -1)
		return -1;
	if (!env->quiet)
		fprintf(env->out, "windows: removed %s from the user Root "
		    "store\n", env->root->name);
	return 0;
}

const struct trust_store trust_store_windows = {
	"windows", windows_status, windows_install, windows_uninstall,
};
