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
 *
 * The anchor file is not what TLS clients read: curl, OpenSSL, Python and
 * Go read the bundle the tool writes (or OpenSSL's hashed directory). A
 * copied anchor without the tool run (an interrupted install) trusts
 * nothing, so status looks in the bundle, and install and uninstall finish
 * what such an interruption left half done, then check the bundle again.
 */
struct layout {
	const char	*distro;
	const char	*anchors;
	const char	*tool;
	const char	*arg;		/* the tool's one argument, or NULL */
	const char	*bundle;	/* the PEM bundle the tool writes */
	const char	*hashdir;	/* <subject hash>.N links, or NULL */
};

static const struct layout layouts[] = {
	{ "Fedora/RHEL", "/etc/pki/ca-trust/source/anchors", "update-ca-trust",
	    "extract", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	    "/etc/pki/ca-trust/extracted/pem/directory-hash" },
	{ "Arch", "/etc/ca-certificates/trust-source/anchors", "trust",
	    "extract-compat", "/etc/ca-certificates/extracted/tls-ca-bundle.pem",
	    "/etc/ssl/certs" },
	{ "openSUSE", "/etc/pki/trust/anchors", "update-ca-certificates",
	    NULL, "/var/lib/ca-certificates/ca-bundle.pem",
	    "/var/lib/ca-certificates/pem" },
	{ "Debian/Ubuntu/Alpine", "/usr/local/share/ca-certificates",
	    "update-ca-certificates", NULL, "/etc/ssl/certs/ca-certificates.crt",
	    "/etc/ssl/certs" },
};

struct found {
	const struct layout	*l;
	char			 dir[PATH_MAX];		/* with sysroot */
	char			 tool[PATH_MAX];	/* resolved */
	char			 dest[PATH_MAX + 64];	/* dir/localacme-<fp16>.crt */
	char			 bundle[PATH_MAX];	/* with sysroot */
	char			 hashdir[PATH_MAX];	/* with sysroot, or "" */
};

/* Where the root is, as the tool's inputs and its consumers see it. */
struct seen {
	bool	 anchor;	/* dest holds the root */
	bool	 bundle_exists;
	bool	 in_bundle;
	bool	 hashed;	/* a <hash>.N link in hashdir holds it */
	bool	 trusted;	/* the bundle holds it (no bundle: a link does) */
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
		if (trust_syspath(env, l->bundle, f->bundle,
		    sizeof(f->bundle)) == -1)
			continue;
		f->hashdir[0] = '\0';
		if (l->hashdir != NULL && trust_syspath(env, l->hashdir,
		    f->hashdir, sizeof(f->hashdir)) == -1)
			continue;
		f->l = l;
		snprintf(f->dest, sizeof(f->dest), "%s/%s.crt", f->dir,
		    env->root->name);
		return true;
	}
	return false;
}

/* OpenSSL's c_rehash names: <8 hex of the subject hash>.0, .1, ... */
static bool
in_hashdir(const struct trust_env *env, const struct found *f)
{
	char p[PATH_MAX + 32];

	if (f->hashdir[0] == '\0')
		return false;
	for (int i = 0; i < 16; i++) {
		snprintf(p, sizeof(p), "%s/%08lx.%d", f->hashdir,
		    env->root->subject_hash & 0xffffffffUL, i);
		if (!trust_path_exists(p))
			return false;
		if (trust_root_file_matches(env->root, p))
			return true;
	}
	return false;
}

static void
look(const struct trust_env *env, const struct found *f, struct seen *s)
{
	s->anchor = trust_root_file_matches(env->root, f->dest);
	s->bundle_exists = trust_path_exists(f->bundle);
	s->in_bundle = s->bundle_exists &&
	    trust_root_in_bundle(env->root, f->bundle);
	s->hashed = in_hashdir(env, f);
	s->trusted = s->in_bundle || (!s->bundle_exists && s->hashed);
}

static int
system_status(const struct trust_env *env, struct trust_status *st)
{
	struct found	 f;
	struct seen	 s;
	const char	*tool;

	if (is_darwin(env))
		return trust_macos_status(env, st);
	memset(&f, 0, sizeof(f));
	if (!find_layout(env, &f)) {
		snprintf(st->where, sizeof(st->where), "no anchors directory "
		    "with its update tool (update-ca-certificates, "
		    "update-ca-trust or trust)");
		return 0;
	}
	look(env, &f, &s);
	st->found = true;
	st->trusted = s.trusted;
	st->any = s.in_bundle || s.hashed;
	tool = f.l->tool;
	if (s.trusted && s.anchor)
		snprintf(st->where, sizeof(st->where), "%s (anchor %s; %s, %s)",
		    s.in_bundle ? f.bundle : f.hashdir, f.dest, f.l->distro,
		    tool);
	else if (s.trusted)
		snprintf(st->where, sizeof(st->where), "%s, but its anchor %s "
		    "is missing, so the next %s run drops it: run `localacme "
		    "trust install`", s.in_bundle ? f.bundle : f.hashdir,
		    f.dest, tool);
	else if (s.anchor)
		snprintf(st->where, sizeof(st->where), "%s is there but %s %s "
		    "(an interrupted install? %s never ran): run `localacme "
		    "trust install`", f.dest, f.bundle, s.bundle_exists ?
		    "lacks the root" : "does not exist", tool);
	else if (st->any)
		snprintf(st->where, sizeof(st->where), "only %s holds the root, "
		    "not %s: run `localacme trust install` or `uninstall`",
		    f.hashdir, f.bundle);
	else
		snprintf(st->where, sizeof(st->where), "%s (%s, %s)", f.dir,
		    f.l->distro, tool);
	return 0;
}

static int
system_install(const struct trust_env *env)
{
	struct found	 f;
	struct seen	 s;
	char		 install[PATH_MAX];

	if (is_darwin(env))
		return trust_macos_install(env);
	memset(&f, 0, sizeof(f));
	if (!find_layout(env, &f)) {
		fprintf(env->err, "trust: system: no system trust store found\n");
		return -1;
	}
	look(env, &f, &s);
	if (s.anchor && s.trusted) {
		if (!env->quiet)
			fprintf(env->out, "system: already installed: %s (in "
			    "%s)\n", f.dest, f.bundle);
		return 0;
	}
	if (!trust_which(env, "install", install, sizeof(install)))
		snprintf(install, sizeof(install), "install");
	{
		char *copy[] = { install, "-m", "644", (char *)env->root->certfile,
		    f.dest, NULL };
		char *update[] = { f.tool, (char *)f.l->arg, NULL };
		char *const *both[] = { copy, update, NULL };
		char *const *only_update[] = { update, NULL };

		/* A half-done install: the anchor is there, the tool never ran. */
		if (s.anchor && !env->quiet)
			fprintf(env->out, "system: %s is there but %s lacks the "
			    "root: running %s\n", f.dest, f.bundle, f.l->tool);
		if (trust_run_privileged(env, "system", s.anchor ? only_update :
		    both) == -1)
			return -1;
	}
	look(env, &f, &s);
	if (!s.trusted) {
		fprintf(env->err, "trust: system: %s ran, but %s still lacks "
		    "the root\n", f.l->tool, f.bundle);
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
	struct seen	 s;
	char		 rm[PATH_MAX];
	bool		 file;

	if (is_darwin(env))
		return trust_macos_uninstall(env);
	memset(&f, 0, sizeof(f));
	if (!find_layout(env, &f)) {
		fprintf(env->err, "trust: system: no system trust store found\n");
		return -1;
	}
	/* Only the file named after this root: never anything else there. */
	file = trust_path_exists(f.dest);
	look(env, &f, &s);
	if (!file && !s.in_bundle && !s.hashed) {
		if (!env->quiet)
			fprintf(env->out, "system: not installed\n");
		return 0;
	}
	if (!trust_which(env, "rm", rm, sizeof(rm)))
		snprintf(rm, sizeof(rm), "rm");
	{
		char *del[] = { rm, "-f", f.dest, NULL };
		char *update[] = { f.tool, (char *)f.l->arg, NULL };
		char *const *both[] = { del, update, NULL };
		char *const *only_update[] = { update, NULL };

		/* A half-done uninstall: the anchor is gone, the bundle not. */
		if (!file && !env->quiet)
			fprintf(env->out, "system: %s is gone but the bundle "
			    "still holds the root: running %s\n", f.dest,
			    f.l->tool);
		if (trust_run_privileged(env, "system", file ? both :
		    only_update) == -1)
			return -1;
	}
	look(env, &f, &s);
	if (s.in_bundle || s.hashed) {
		fprintf(env->err, "trust: system: %s ran, but %s still holds "
		    "the root (another anchor file with it?)\n", f.l->tool,
		    s.in_bundle ? f.bundle : f.hashdir);
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
