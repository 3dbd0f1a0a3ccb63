/* trust_internal.h - what the trust-store modules share: root, environment, command-runner seam */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_TRUST_INTERNAL_H
#define LOCALACME_TRUST_INTERNAL_H

/*
 * Not part of the program's interface: trust.c, trust_*.c and
 * tests/unit/test_trust*.c include this. Everything a store touches on the
 * machine comes through struct trust_env, so a test can point HOME, PATH,
 * JAVA_HOME and the file-system root at a temp tree and replace the
 * command runner with one that records argv vectors.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* "localacme-" + 16 hex digits of the root's SHA-256 + NUL */
#define TRUST_NAME_SIZE		32
#define TRUST_WHERE_SIZE	(2 * PATH_MAX + 256)

/*
 * The command-runner seam. Runs argv (argv[0] a path or a name looked up
 * on PATH; never through a shell), waits, and returns the exit status
 * (0..255, 128+signal if killed), or -1 if it could not be started. When
 * output is not NULL, *output receives stdout and stderr merged, as a new
 * NUL-terminated string the caller frees (NULL when the run failed to
 * start).
 */
typedef int (*trust_run_fn)(void *ctx, char *const argv[], char **output);

/* The root certificate being installed; filled by trust_root_load(). */
struct trust_root {
	unsigned char	*der;			/* DER of the certificate */
	size_t		 der_len;
	char		 name[TRUST_NAME_SIZE];	/* localacme-<fp16>: file, nickname, alias */
	char		 sha1[41];		/* upper-case hex (macOS, Windows) */
	char		 sha256[65];		/* lower-case hex */
	unsigned long	 subject_hash;		/* OpenSSL's hashed-directory name */
	/*
	 * <state>/root.trust.pem: only the certificate, what the store tools
	 * read. A file that stays (trust_root_write_certfile), not a temp
	 * file: a signal cannot leave it behind, and a printed "run as
	 * root" command still names a file that exists. "" until written.
	 */
	char		 certfile[PATH_MAX];
};

/* The machine as the stores see it. Borrowed strings; none freed here. */
struct trust_env {
	const char	*home;		/* $HOME */
	const char	*path;		/* $PATH, for finding tools */
	const char	*java_home;	/* $JAVA_HOME or NULL */
	const char	*sysroot;	/* prefix for absolute system paths, "" normally */
	const char	*stores;	/* $TRUST_STORES or NULL */
	char		 sysname[65];	/* uname(2) sysname: "Linux", "Darwin" */
	bool		 is_root;	/* euid 0: no sudo needed */
	bool		 quiet;		/* print nothing (status probes) */
	trust_run_fn	 run;		/* trust_exec_spawn, or a test's recorder */
	void		*run_ctx;
	FILE		*out;		/* progress and status lines */
	FILE		*err;		/* one-line errors */
	const struct trust_root *root;
};

/*
 * What `trust status` reports for one store, as the store's consumers read
 * it: the system bundle, not the anchor file it is built from; certutil's
 * listing with the C flag; keytool's listing.
 */
struct trust_status {
	bool	 found;		/* the store exists on this machine */
	bool	 trusted;	/* consumers trust our root (every NSS database) */
	bool	 any;		/* some consumer does (one database, a hashed link) */
	char	 where[TRUST_WHERE_SIZE];	/* paths, or why it is not found */
};

/*
 * One trust store. status() returns 0 (st filled) or -1 when it could not
 * tell; install()/uninstall() return 0, or -1 after printing one line
 * naming the store and the tool that failed. Both are idempotent.
 */
struct trust_store {
	const char	*name;
	int		(*status)(const struct trust_env *, struct trust_status *);
	int		(*install)(const struct trust_env *);
	int		(*uninstall)(const struct trust_env *);
};

extern const struct trust_store trust_store_system;	/* trust_system.c (+ macOS) */
extern const struct trust_store trust_store_nss;	/* trust_nss.c */
extern const struct trust_store trust_store_java;	/* trust_java.c */
extern const struct trust_store trust_store_windows;	/* trust_windows.c (WSL) */

/* A growable vector of strings, NULL-terminated so it can be an argv. */
struct trust_strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

/* Append a copy of s; 0, or -1 on allocation failure. */
int	 trust_strv_add(struct trust_strv *sv, const char *s);
/* Frees every string and the vector; safe on a zeroed struct. */
void	 trust_strv_clear(struct trust_strv *sv);

/* ---- trust_exec.c ---- */

/*
 * The real runner: posix_spawnp(3) with stdin from /dev/null and stdout +
 * stderr captured through a pipe. ctx is unused.
 */
int	 trust_exec_spawn(void *ctx, char *const argv[], char **output);

/*
 * Finds tool in env->path, then in <sysroot>/usr/sbin and <sysroot>/sbin
 * (not in a normal user's PATH on Debian). Writes the path to buf; true
 * if found and executable.
 */
bool	 trust_which(const struct trust_env *env, const char *tool, char *buf,
	    size_t bufsz);

/* <sysroot><abs> into buf; 0, or -1 if it does not fit. */
int	 trust_syspath(const struct trust_env *env, const char *abs, char *buf,
	    size_t bufsz);

bool	 trust_path_exists(const char *path);
bool	 trust_is_dir(const char *path);

/*
 * Runs argv through env->run. Returns the exit status, or -1 when the tool
 * could not be started. On a non-zero status prints nothing; see
 * trust_run_checked().
 */
int	 trust_run(const struct trust_env *env, char *const argv[],
	    char **output);

/*
 * Runs argv; on a non-zero exit prints "<store>: <tool> failed (exit N):
 * <first line of its output>" to env->err and returns -1; 0 on success.
 */
int	 trust_run_checked(const struct trust_env *env, const char *store,
	    char *const argv[]);

/*
 * Runs a list of commands (each a NULL-terminated argv; the list ends with
 * NULL) that need root. As root: runs them. Otherwise, if sudo is on PATH:
 * says so on env->out, then runs each prefixed with sudo. Otherwise prints
 * the exact commands to run as root and returns -1. 0 when all succeeded,
 * -1 at the first failure (message printed).
 */
int	 trust_run_privileged(const struct trust_env *env, const char *store,
	    char *const *const cmds[]);

/* Prints argv as one shell-quoted line (for the user to copy). */
void	 trust_print_argv(FILE *fp, const char *prefix, char *const argv[]);

/* ---- trust.c ---- */

/*
 * Loads the first certificate of pem_path into r (zeroed by the caller)
 * and computes its name, fingerprints and subject hash; writes nothing.
 * Returns 0; -1 with errno ENOENT when the file does not exist, other
 * errno for anything else. Release with trust_root_clear().
 */
int	 trust_root_load(struct trust_root *r, const char *pem_path);
/*
 * Makes <dir>/root.trust.pem hold exactly the PEM of r->der (never a key,
 * HARDENING P11), mode 0644, and sets r->certfile to it. Rewritten only
 * when different, through a temp file in dir and rename(2) with signals
 * blocked, so an interrupt leaves no temp file. 0, or -1 with errno.
 */
int	 trust_root_write_certfile(struct trust_root *r, const char *dir);
/* Frees r (the certificate file stays); safe on a zeroed struct. */
void	 trust_root_clear(struct trust_root *r);
/* true if the PEM/DER file at path holds the certificate r->der. */
bool	 trust_root_file_matches(const struct trust_root *r, const char *path);
/* true if any certificate of the PEM bundle at path is r->der. */
bool	 trust_root_in_bundle(const struct trust_root *r, const char *path);

/* Fills env from the process: HOME, PATH, JAVA_HOME, uname, euid. */
void	 trust_env_init(struct trust_env *env);

/*
 * The body of `localacme trust` with an explicit environment: argv[0] is
 * "trust", argv[1] the verb. Returns the exit code: 0 ok, 1 a store
 * failed or no CA (for status: a store found, or named, that does not
 * trust the root), 2 usage.
 */
int	 trust_command(struct trust_env *env, const char *state_dir, int argc,
	    char **argv);

/*
 * Parses a store list ("system,nss,java,windows"; also "all") into
 * selected[] indexed like trust_stores[]. 0, or -1 after printing the
 * unknown name to env->err.
 */
int	 trust_parse_stores(const struct trust_env *env, const char *list,
	    bool *selected);

extern const struct trust_store *const trust_stores[];
extern const size_t trust_nstores;

/* ---- trust_nss.c ---- */

/*
 * Finds the NSS databases under env->home: ~/.pki/nssdb, snap Chromium's,
 * and every Firefox profile (classic, XDG, snap, Flatpak). Appends
 * "sql:<dir>" (cert9.db) or "dbm:<dir>" (cert8.db only) to dbs, sorted.
 * 0, or -1 on allocation failure.
 */
int	 trust_nss_find_dbs(const struct trust_env *env, struct trust_strv *dbs);

/* ---- trust_java.c ---- */

/*
 * Finds the cacerts keystore: $JAVA_HOME/lib/security/cacerts (or
 * jre/lib/...), else that of the `java` on PATH with symlinks resolved.
 * true and the path in buf if found.
 */
bool	 trust_java_find_cacerts(const struct trust_env *env, char *buf,
	    size_t bufsz);

/* ---- trust_macos.c (the system store on Darwin) ---- */

int	 trust_macos_status(const struct trust_env *env, struct trust_status *st);
int	 trust_macos_install(const struct trust_env *env);
int	 trust_macos_uninstall(const struct trust_env *env);

/* ---- trust_windows.c ---- */

/* true when running under WSL (osrelease says "microsoft" or "WSL"). */
bool	 trust_windows_is_wsl(const struct trust_env *env);

#endif /* LOCALACME_TRUST_INTERNAL_H */
