/* trust_macos.c - the macOS System keychain through security(1): the system store on Darwin */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust_internal.h"

/*
 * Install adds the root to the System keychain with admin-domain (-d)
 * trust settings "trust as root for SSL and basic X.509", which is what
 * makes Safari and Chrome on macOS accept it; uninstall removes the trust
 * settings and then deletes exactly the certificate with our SHA-1.
 */
#define SYSTEM_KEYCHAIN	"/Library/Keychains/System.keychain"
#define SECURITY	"/usr/bin/security"

static bool
find_security(const struct trust_env *env, char *buf, size_t bufsz)
{
	return trust_syspath(env, SECURITY, buf, bufsz) == 0 &&
	    trust_path_exists(buf);
}

/* "SHA-1 hash: <upper hex>" appears in `security find-certificate -Z`. */
static bool
in_keychain(const struct trust_env *env, const char *security)
{
	char	*argv[] = { (char *)security, "find-certificate", "-a", "-Z",
	    SYSTEM_KEYCHAIN, NULL };
	char	*out = NULL;
	bool	 yes;

	yes = trust_run(env, argv, &out) == 0 && out != NULL &&
	    strstr(out, env->root->sha1) != NULL;
	free(out);
	return yes;
}

int
trust_macos_status(const struct trust_env *env, struct trust_status *st)
{
	char security[PATH_MAX];

	if (!find_security(env, security, sizeof(security))) {
		snprintf(st->where, sizeof(st->where), "%s not found", SECURITY);
		return 0;
	}
	st->found = true;
	st->trusted = st->any = in_keychain(env, security);
	snprintf(st->where, sizeof(st->where), "%s", SYSTEM_KEYCHAIN);
	return 0;
}

int
trust_macos_install(const struct trust_env *env)
{
	char	 security[PATH_MAX];
	char	*add[] = { security, "add-trusted-cert", "-d", "-r", "trustRoot",
	    "-p", "ssl", "-p", "basic", "-k", SYSTEM_KEYCHAIN,
	    (char *)env->root->certfile, NULL };
	char	*const *cmds[] = { add, NULL };

	if (!find_security(env, security, sizeof(security))) {
		fprintf(env->err, "trust: system: %s not found\n", SECURITY);
		return -1;
	}
	if (in_keychain(env, security)) {
		if (!env->quiet)
			fprintf(env->out, "system: already installed: %s\n",
			    SYSTEM_KEYCHAIN);
		return 0;
	}
	if (trust_run_privileged(env, "system", cmds) == -1)
		return -1;
	if (!env->quiet)
		fprintf(env->out, "system: installed %s in %s\n",
		    env->root->name, SYSTEM_KEYCHAIN);
	return 0;
}

int
trust_macos_uninstall(const struct trust_env *env)
{
	char	 security[PATH_MAX];
	char	*untrust[] = { security, "remove-trusted-cert", "-d",
	    (char *)env->root->certfile, NULL };
	char	*del[] = { security, "delete-certificate", "-Z",
	    (char *)env->root->sha1, SYSTEM_KEYCHAIN, NULL };
	char	*const *cmds[] = { untrust, del, NULL };

	if (!find_security(env, security, sizeof(security))) {
		fprintf(env->err, "trust: system: %s not found\n", SECURITY);
		return -1;
	}
	if (!in_keychain(env, security)) {
		if (!env->quiet)
			fprintf(env->out, "system: not installed\n");
		return 0;
	}
	if (trust_run_privileged(env, "system", cmds) == -1)
		return -1;
	if (!env->quiet)
		fprintf(env->out, "system: removed %s from %s\n",
		    env->root->name, SYSTEM_KEYCHAIN);
	return 0;
}
