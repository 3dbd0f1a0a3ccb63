/* trust_java.c - the Java cacerts keystore (JAVA_HOME or the java on PATH) through keytool */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust_internal.h"

/* The well-known default password of every JDK's cacerts; not a secret. */
#define STOREPASS	"changeit"

static const char *const cacerts_rel[] = {
	"lib/security/cacerts",		/* JDK 9 and later */
	"jre/lib/security/cacerts",	/* JDK 8 */
};

static bool
in_home(const char *home, char *buf, size_t bufsz)
{
	for (size_t i = 0; i < sizeof(cacerts_rel) / sizeof(cacerts_rel[0]);
	    i++) {
		if (snprintf(buf, bufsz, "%s/%s", home, cacerts_rel[i]) >=
		    (int)bufsz)
			continue;
		if (trust_path_exists(buf))
			return true;
	}
	return false;
}

/* The JDK directory of the `java` on PATH: realpath(java)/../.. */
static bool
java_home_from_path(const struct trust_env *env, char *home, size_t homesz)
{
	char	 java[PATH_MAX], real[PATH_MAX], *s;

	if (!trust_which(env, "java", java, sizeof(java)) ||
	    realpath(java, real) == NULL)
		return false;
	for (int i = 0; i < 2; i++) {	/* strip "/java", then "/bin" */
		if ((s = strrchr(real, '/')) == NULL || s == real)
			return false;
		*s = '\0';
	}
	return snprintf(home, homesz, "%s", real) < (int)homesz;
}

bool
trust_java_find_cacerts(const struct trust_env *env, char *buf, size_t bufsz)
{
	char home[PATH_MAX];

	if (env->java_home != NULL)
		return in_home(env->java_home, buf, bufsz);
	return java_home_from_path(env, home, sizeof(home)) &&
	    in_home(home, buf, bufsz);
}

/* keytool of the same JDK when there is one, else the one on PATH. */
static bool
find_keytool(const struct trust_env *env, char *buf, size_t bufsz)
{
	char home[PATH_MAX], p[PATH_MAX + 16];

	if (env->java_home != NULL)
		snprintf(home, sizeof(home), "%s", env->java_home);
	else if (!java_home_from_path(env, home, sizeof(home)))
		home[0] = '\0';
	if (home[0] != '\0') {
		snprintf(p, sizeof(p), "%s/bin/keytool", home);
		if (trust_which(env, p, buf, bufsz))
			return true;
	}
	return trust_which(env, "keytool", buf, bufsz);
}

struct java {
	char cacerts[PATH_MAX];
	char keytool[PATH_MAX];
};

static bool
find(const struct trust_env *env, struct java *j, char *why, size_t whysz)
{
	if (!trust_java_find_cacerts(env, j->cacerts, sizeof(j->cacerts))) {
		snprintf(why, whysz, env->java_home != NULL ?
		    "no lib/security/cacerts under JAVA_HOME" :
		    "no JAVA_HOME and no java on PATH");
		return false;
	}
	if (!find_keytool(env, j->keytool, sizeof(j->keytool))) {
		snprintf(why, whysz, "%s exists but keytool was not found",
		    j->cacerts);
		return false;
	}
	return true;
}

static bool
present(const struct trust_env *env, const struct java *j)
{
	char *argv[] = { (char *)j->keytool, "-list", "-keystore",
	    (char *)j->cacerts, "-storepass", STOREPASS, "-alias",
	    (char *)env->root->name, NULL };

	return trust_run(env, argv, NULL) == 0;
}

static int
java_status(const struct trust_env *env, struct trust_status *st)
{
	struct java j;

	if (!find(env, &j, st->where, sizeof(st->where)))
		return 0;
	st->found = true;
	st->trusted = st->any = present(env, &j);
	snprintf(st->where, sizeof(st->where), "%s", j.cacerts);
	return 0;
}

/* Runs one keytool command, through sudo when cacerts is not writable. */
static int
run_keytool(const struct trust_env *env, const struct java *j,
    char *const argv[])
{
	char *const *cmds[] = { argv, NULL };

	if (env->is_root || access(j->cacerts, W_OK) == 0)
		return trust_run_checked(env, "java", argv);
	return trust_run_privileged(env, "java", cmds);
}

static int
java_install(const struct trust_env *env)
{
	struct java	 j;
	char		 why[256];
	char		*argv[] = { j.keytool, "-importcert", "-noprompt",
	    "-trustcacerts", "-keystore", j.cacerts, "-storepass", STOREPASS,
	    "-alias", (char *)env->root->name, "-file",
	    (char *)env->root->certfile, NULL };

	if (!find(env, &j, why, sizeof(why))) {
		fprintf(env->err, "trust: java: %s\n", why);
		return -1;
	}
	if (present(env, &j)) {
		if (!env->quiet)
			fprintf(env->out, "java: already installed: %s\n",
			    j.cacerts);
		return 0;
	}
	if (run_keytool(env, &j, argv) == -1)
		return -1;
	if (!env->quiet)
		fprintf(env->out, "java: installed %s in %s\n", env->root->name,
		    j.cacerts);
	return 0;
}

static int
java_uninstall(const struct trust_env *env)
{
	struct java	 j;
	char		 why[256];
	char		*argv[] = { j.keytool, "-delete", "-alias",
	    (char *)env->root->name, "-keystore", j.cacerts, "-storepass",
	    STOREPASS, NULL };

	if (!find(env, &j, why, sizeof(why))) {
		fprintf(env->err, "trust: java: %s\n", why);
		return -1;
	}
	/* Only the entry with our alias. */
	if (!present(env, &j)) {
		if (!env->quiet)
			fprintf(env->out, "java: not installed\n");
		return 0;
	}
	if (run_keytool(env, &j, argv) == -1)
		return -1;
	if (!env->quiet)
		fprintf(env->out, "java: removed %s from %s\n", env->root->name,
		    j.cacerts);
	return 0;
}

const struct trust_store trust_store_java = {
	"java", java_status, java_install, java_uninstall,
};
