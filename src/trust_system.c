/* trust_system.c - the operating system's trust store: Debian/Alpine, Fedora/RHEL, Arch, openSUSE (macOS via trust_macos.c) */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "trust_internal.h"

/*
 * Each layout is an anchors directory that the distribution's tool turns
 * into its bundles (/etc/ssl/certs, /etc/pki/tls, ...). We put one file,
 * localacme-<fp16>.crt, there and run the tool; uninstall removes that file
 * and runs it again, so nothing else in the directory is touched. Arch's
 * `trust anchor --store` would name the file after the subject, which is
 * the same for two localacme roots, so we write the file ourselves and run
 * `trust extract-compat`, which is what `trust anchor` does after writing.
 */
struct layout {
	const char	*distro;
	const char	*anchors;
	const char	*tool;
	const char	*arg;		/* the tool's one argument, or NULL */
};

static const struct layout layouts[] = {
	{ "Fedora/RHEL", "/etc/pki/ca-trust/source/anchors", "update-ca-trust",
	    "extract" },
	{ "Arch", "/etc/ca-certificates/trust-source/anchors", "trust",
	    "extract-compat" },
	{ "openSUSE", "/etc/pki/trust/anchors", "update-ca-certificates",
	    NULL },
	{ "Debian/Ubuntu/Alpine", "/usr/local/share/ca-certificates",
	    "update-ca-certificates", NULL },
};

struct found {
	const struct layout	*l;
	char			 dir[PATH_MAX];		/* with sysroot */
	char			 tool[PATH_MAX];	/* resolved */
	char			 dest[PATH_MAX + 64];	/* dir/localacme-<fp16>.crt */
};

static bool
is_darwin(const struct trust_env *env)
{
	return strcmp(env->sysname, "Darwin") == 0;
}

/* The first layout whose directory and tool both exist. */
static bool
find_layout(const struct trust_env *env, struct found *f)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct layout *l = &layouts[i];

		if (trust_syspath(env, l->anchors, f->dir, sizeof(f->dir)) == -1 ||
		    !trust_is_dir(f->dir))
			continue;
		if (!trust_which(env, l->tool, f->tool, sizeof(f->tool)))
			continue;
		f->l = l;
		snprintf(f->dest, sizeof(f->dest), "%s/%s.crt", f->dir,
		    env->root->name);
		return true;
	}
	return false;
}

static int
system_status(const struct trust_env *env, struct trust_status *st)
{
	struct found f;

	if (is_darwin(env))
		return trust_macos_status(env, st);
	memset(&f, 0, sizeof(f));
	if (!find_layout(env, &f)) {
		snprintf(st->where, sizeof(st->where), "no anchors directory "
		    "with its update tool (update-ca-certificates, "
		    "update-ca-trust or trust)");
		return 0;
	}
	st->found = true;
	st->trusted = st->any = trust_root_file_matches(env->root, f.dest);
	snprintf(st->where, sizeof(st->where), "%s (%s, %s)",
	    st->trusted ? f.dest : f.dir, f.l->distro, f.l->tool);
	return 0;
}

static int
system_install(const struct trust_env *env)
{
	struct found	 f;
	char		 install[PATH_MAX];

	if (is_darwin(env))
		return trust_macos_install(env);
	memset(&f, 0, sizeof(f));
	if (!find_layout(env, &f)) {
		fprintf(env->err, "trust: system: no system trust store found\n");
		return -1;
	}
	if (trust_root_file_matches(env->root, f.dest)) {
		if (!env->quiet)
			fprintf(env->out, "system: already installed: %s\n",
			    f.dest);
		return 0;
	}
	if (!trust_which(env, "install", install, sizeof(install)))
		snprintf(install, sizeof(install), "install");
	{
		char *copy[] = { install, "-m", "644", (char *)env->root->certfile,
		    f.dest, NULL };
		char *update[] = { f.tool, (char *)f.l->arg, NULL };
		char *const *cmds[] = { copy, update, NULL };

		if (trust_run_privileged(env, "system", cmds) == -1)
			return -1;
	}
	if (!env->quiet)
		fprintf(env->out, "system: installed %s (%s)\n", f.dest,
		    f.l->tool);
	return 0;
}

static int
system_uninstall(const struct trust_env *env)
{
	struct found	 f;
	char		 rm[PATH_MAX];

	if (is_darwin(env))
		return trust_macos_uninstall(env);
	memset(&f, 0, sizeof(f));
	if (!find_layout(env, &f)) {
		fprintf(env->err, "trust: system: no system trust store found\n");
		return -1;
	}
	/* Only the file named after this root: never anything else there. */
	if (!trust_path_exists(f.dest)) {
		if (!env->quiet)
			fprintf(env->out, "system: not installed\n");
		return 0;
	}
	if (!trust_which(env, "rm", rm, sizeof(rm)))
		snprintf(rm, sizeof(rm), "rm");
	{
		char *del[] = { rm, "-f", f.dest, NULL };
		char *update[] = { f.tool, (char *)f.l->arg, NULL };
		char *const *cmds[] = { del, update, NULL };

		if (trust_run_privileged(env, "system", cmds) == -1)
			return -1;
	}
	if (!env->quiet)
		fprintf(env->out, "system: removed %s (%s)\n", f.dest,
		    f.l->tool);
	return 0;
}

const struct trust_store trust_store_system = {
	"system", system_status, system_install, system_uninstall,
};
