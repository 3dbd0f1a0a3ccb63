/* trust.c - `localacme trust install|uninstall|status`: the root, store selection, status lines */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <jansson.h>

#include "config.h"
#include "trust.h"
#include "trust_internal.h"

/* getopt vals outside ASCII and outside config.c's ranges. */
#define OPT_STORES	0x200
#define OPT_JSON	0x201

const struct option trust_opts[] = {
	{ "stores", required_argument, NULL, OPT_STORES },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

const struct trust_store *const trust_stores[] = {
	&trust_store_system,
	&trust_store_nss,
	&trust_store_java,
	&trust_store_windows,
};
const size_t trust_nstores = sizeof(trust_stores) / sizeof(trust_stores[0]);

static void
hex(const unsigned char *in, size_t len, char *out, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Reads the first certificate of path, PEM or DER; NULL if none. */
static X509 *
read_cert(const char *path)
{
	BIO	*bio = NULL;
	X509	*x = NULL;

	if ((bio = BIO_new_file(path, "rb")) == NULL)
		goto out;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (x == NULL) {
		(void)BIO_reset(bio);
		x = d2i_X509_bio(bio, NULL);
	}
out:
	BIO_free(bio);
	return x;
}

int
trust_root_load(struct trust_root *r, const char *pem_path)
{
	X509		*x = NULL;
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	int		 len, rc = -1, saved;
	struct stat	 sb;

	if (stat(pem_path, &sb) == -1)
		return -1;	/* errno says why (ENOENT: no CA yet) */
	if ((x = read_cert(pem_path)) == NULL) {
		errno = EINVAL;
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		errno = EINVAL;
		goto out;
	}
	r->der = der;
	r->der_len = (size_t)len;
	der = NULL;
	if (!EVP_Digest(r->der, r->der_len, md, &mdlen, EVP_sha256(), NULL))
		goto out;
	hex(md, mdlen, r->sha256, false);
	/* The name every store knows the root by: distinct per root. */
	snprintf(r->name, sizeof(r->name), "localacme-%.16s", r->sha256);
	if (!EVP_Digest(r->der, r->der_len, md, &mdlen, EVP_sha1(), NULL))
		goto out;
	hex(md, mdlen, r->sha1, true);
	r->subject_hash = X509_subject_name_hash(x);
	rc = 0;
out:
	saved = errno;
	OPENSSL_free(der);
	X509_free(x);
	if (rc == -1)
		trust_root_clear(r);
	errno = saved;
	return rc;
}

/* true if the file at path holds exactly len bytes equal to buf. */
static bool
file_equals(const char *path, const char *buf, size_t len)
{
	FILE	*fp;
	char	*got;
	size_t	 n;
	bool	 same = false;

	if ((fp = fopen(path, "rb")) == NULL)
		return false;
	if ((got = malloc(len + 1)) != NULL) {
		n = fread(got, 1, len + 1, fp);
		same = n == len && memcmp(got, buf, len) == 0;
		free(got);
	}
	fclose(fp);
	return same;
}

int
trust_root_write_certfile(struct trust_root *r, const char *dir)
{
	const unsigned char *p = r->der;
	X509		*x = NULL;
	BIO		*mem = NULL;
	char		*pem, tmp[PATH_MAX];
	long		 pemlen;
	int		 fd = -1, rc = -1, saved;
	bool		 blocked = false, made = false;
	sigset_t	 all, old;
	struct stat	 sb;

	if (snprintf(r->certfile, sizeof(r->certfile), "%s/root.trust.pem",
	    dir) >= (int)sizeof(r->certfile) ||
	    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", r->certfile) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	/*
	 * HARDENING.md P11: only the certificate leaves the state directory,
	 * re-encoded from the parsed X509, so nothing else in root.pem (and
	 * never a key) can travel with it.
	 */
	if ((x = d2i_X509(NULL, &p, (long)r->der_len)) == NULL ||
	    (mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(mem, x) != 1 ||
	    (pemlen = BIO_get_mem_data(mem, &pem)) <= 0) {
		errno = EIO;
		goto out;
	}
	if (stat(r->certfile, &sb) == 0 && (sb.st_mode & 0777) == 0644 &&
	    file_equals(r->certfile, pem, (size_t)pemlen)) {
		rc = 0;
		goto out;
	}
	/*
	 * Between mkstemp and rename the temp file exists: with SIGINT,
	 * SIGTERM and the like held back until then, no signal can end the
	 * process while it does.
	 */
	sigfillset(&all);
	if ((errno = pthread_sigmask(SIG_BLOCK, &all, &old)) != 0)
		goto out;
	blocked = true;
	if ((fd = mkstemp(tmp)) == -1)
		goto out;
	made = true;
	/* Readable by the tools that may run as another user (sudo, Windows). */
	if (fchmod(fd, 0644) == -1)
		goto out;
	if (write(fd, pem, (size_t)pemlen) != (ssize_t)pemlen) {
		errno = EIO;
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, r->certfile) == -1)
		goto out;
	made = false;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (made)
		(void)unlink(tmp);
	if (blocked)
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	BIO_free(mem);
	X509_free(x);
	if (rc == -1)
		r->certfile[0] = '\0';
	errno = saved;
	return rc;
}

void
trust_root_clear(struct trust_root *r)
{
	OPENSSL_free(r->der);
	memset(r, 0, sizeof(*r));
}

bool
trust_root_in_bundle(const struct trust_root *r, const char *path)
{
	BIO		*bio;
	X509		*x;
	unsigned char	*der;
	int		 len;
	bool		 found = false;

	if ((bio = BIO_new_file(path, "rb")) == NULL)
		return false;
	/* PEM_read skips blocks that are not certificates. */
	while (!found && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		der = NULL;
		len = i2d_X509(x, &der);
		found = len > 0 && (size_t)len == r->der_len &&
		    memcmp(der, r->der, r->der_len) == 0;
		OPENSSL_free(der);
		X509_free(x);
	}
	ERR_clear_error();	/* the end of the file is an "error" */
	BIO_free(bio);
	return found;
}

bool
trust_root_file_matches(const struct trust_root *r, const char *path)
{
	X509		*x;
	unsigned char	*der = NULL;
	int		 len;
	bool		 same = false;

	if ((x = read_cert(path)) == NULL)
		return false;
	len = i2d_X509(x, &der);
	same = len > 0 && (size_t)len == r->der_len &&
	    memcmp(der, r->der, r->der_len) == 0;
	OPENSSL_free(der);
	X509_free(x);
	return same;
}

void
trust_env_init(struct trust_env *env)
{
	struct utsname	 u;
	struct passwd	*pw;
	const char	*s;

	memset(env, 0, sizeof(*env));
	env->home = getenv("HOME");
	if ((env->home == NULL || *env->home == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		env->home = pw->pw_dir;
	if (env->home == NULL)
		env->home = "/";
	env->path = getenv("PATH");
	if (env->path == NULL)
		env->path = "/usr/local/bin:/usr/bin:/bin";
	s = getenv("JAVA_HOME");
	env->java_home = (s != NULL && *s != '\0') ? s : NULL;
	s = getenv("TRUST_STORES");
	env->stores = (s != NULL && *s != '\0') ? s : NULL;
	env->sysroot = "";
	if (uname(&u) == 0)
		snprintf(env->sysname, sizeof(env->sysname), "%s", u.sysname);
	env->is_root = geteuid() == 0;
	env->run = trust_exec_spawn;
	env->out = stdout;
	env->err = stderr;
}

int
trust_parse_stores(const struct trust_env *env, const char *list,
    bool *selected)
{
	const char	*p = list, *e;
	size_t		 len, i;

	for (i = 0; i < trust_nstores; i++)
		selected[i] = false;
	while (*p != '\0') {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == 3 && strncmp(p, "all", 3) == 0) {
			for (i = 0; i < trust_nstores; i++)
				selected[i] = true;
		} else if (len > 0) {
			for (i = 0; i < trust_nstores; i++)
				if (strlen(trust_stores[i]->name) == len &&
				    strncmp(trust_stores[i]->name, p, len) == 0)
					break;
			if (i == trust_nstores) {
				fprintf(env->err, "trust: unknown store '%.*s' "
				    "(known: system, nss, java, windows)\n",
				    (int)len, p);
				return -1;
			}
			selected[i] = true;
		}
		p += len;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: localacme trust install|uninstall|status "
	    "[--stores system,nss,java,windows] [--json]\n\n"
	    "Puts the root certificate (never a key) into the trust stores "
	    "found on this\nmachine, or takes it out; env TRUST_STORES is "
	    "the default list. Uninstall is\nthe only way to revoke a root: "
	    "browsers do not check revocation for it.\n"
	    "status checks each store as its users read it (the system "
	    "bundle, certutil\nand keytool listings) and exits 1 when one "
	    "found or named does not trust the\nroot; --json prints one "
	    "object instead of lines.\n");
}

static void
print_status(const struct trust_env *env, const struct trust_store *s,
    const struct trust_status *st)
{
	if (!st->found)
		fprintf(env->out, "%s: not found: %s\n", s->name, st->where);
	else
		fprintf(env->out, "%s: found, %s: %s\n", s->name,
		    st->trusted ? "trusted" : st->any ? "partly trusted" :
		    "not trusted", st->where);
}

/* Adds {"present","trusted","detail"} for store s to obj; -1 on ENOMEM. */
static int
json_status(json_t *stores, const struct trust_store *s,
    const struct trust_status *st, bool ok)
{
	json_t *o;

	o = json_pack("{s:b, s:b, s:s}", "present", ok && st->found,
	    "trusted", ok && st->trusted, "detail",
	    ok ? st->where : "the status check failed");
	return o == NULL ? -1 : json_object_set_new(stores, s->name, o);
}

int
trust_command(struct trust_env *env, const char *state_dir, int argc,
    char **argv)
{
	struct trust_root	 root = { 0 };
	const struct trust_root	*saved = env->root;
	struct trust_status	 st;
	bool			 selected[8], explicit = false, json = false;
	bool			 status;
	const char		*verb = NULL, *list = NULL;
	char			 pem[PATH_MAX];
	int			 rc = 1, failed = 0, acted = 0;
	json_t			*jout = NULL, *jstores = NULL;

	/* The verb, --stores and --json, in any order after argv[0]. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(env->out);
			return 0;
		} else if (strcmp(argv[i], "--stores") == 0 && i + 1 < argc)
			list = argv[++i];
		else if (strncmp(argv[i], "--stores=", 9) == 0)
			list = argv[i] + 9;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (verb == NULL && argv[i][0] != '-')
			verb = argv[i];
		else {
			fprintf(env->err, "localacme: trust: unknown argument "
			    "'%s' (see `localacme trust --help`)\n", argv[i]);
			return 2;
		}
	}
	if (verb == NULL) {
		fprintf(env->err, "localacme: trust: give an action: install, "
		    "uninstall or status (see `localacme trust --help`)\n");
		return 2;
	}
	if (strcmp(verb, "install") != 0 && strcmp(verb, "uninstall") != 0 &&
	    strcmp(verb, "status") != 0) {
		static const char *const verbs[] = { "install", "uninstall",
		    "status" };
		const char *near = config_nearest(verb, verbs, 3);

		if (near != NULL)
			fprintf(env->err, "localacme: trust: unknown action "
			    "\"%s\"; did you mean \"%s\"?\n", verb, near);
		else
			fprintf(env->err, "localacme: trust: unknown action "
			    "\"%s\"; the actions are install, uninstall and "
			    "status\n", verb);
		return 2;
	}
	status = strcmp(verb, "status") == 0;
	if (json && !status) {
		fprintf(env->err, "trust: --json goes with status only\n");
		return 2;
	}
	/* mkcert's TRUST_STORES is the model; a flag wins over it. */
	if (list == NULL)
		list = env->stores;
	if (list != NULL) {
		if (trust_parse_stores(env, list, selected) == -1)
			return 2;
		explicit = true;
	} else
		for (size_t i = 0; i < trust_nstores; i++)
			selected[i] = true;

	if (snprintf(pem, sizeof(pem), "%s/root.pem", state_dir) >=
	    (int)sizeof(pem)) {
		fprintf(env->err, "trust: state directory path too long\n");
		goto out;
	}
	if (trust_root_load(&root, pem) == -1) {
		if (errno == ENOENT)
			fprintf(env->err, "no CA in %s: run `localacme init`\n",
			    state_dir);
		else
			fprintf(env->err, "trust: cannot read %s: %s\n", pem,
			    strerror(errno));
		goto out;
	}
	/* The tools read the certificate from a file that stays. */
	if (!status && trust_root_write_certfile(&root, state_dir) == -1) {
		fprintf(env->err, "trust: cannot write %s/root.trust.pem: %s\n",
		    state_dir, strerror(errno));
		goto out;
	}
	env->root = &root;
	if (json) {
		if ((jstores = json_object()) == NULL ||
		    (jout = json_pack("{s:s, s:s, s:O}", "root", root.name,
		    "sha256", root.sha256, "stores", jstores)) == NULL)
			goto out;
	} else if (status)
		fprintf(env->out, "root: %s (SHA-256 %s)\n", root.name,
		    root.sha256);

	for (size_t i = 0; i < trust_nstores; i++) {
		const struct trust_store *s = trust_stores[i];
		int ok;

		if (!selected[i])
			continue;
		memset(&st, 0, sizeof(st));
		ok = s->status(env, &st) == 0;
		if (status) {
			/*
			 * Telling the truth includes the exit code: a store
			 * this machine has, or one asked for by name, that
			 * does not trust the root is a failure a script can
			 * see.
			 */
			if (!ok || (st.found && !st.trusted) ||
			    (!st.found && explicit))
				failed = 1;
			if (json) {
				if (json_status(jstores, s, &st, ok) == -1)
					goto out;
			} else if (ok)
				print_status(env, s, &st);
			continue;
		}
		if (!ok) {
			failed = 1;
			continue;
		}
		if (!st.found) {
			/* Asked for by name: not finding it is a failure. */
			if (explicit) {
				fprintf(env->err, "trust: %s: not found: %s\n",
				    s->name, st.where);
				failed = 1;
			}
			continue;
		}
		acted = 1;
		if ((strcmp(verb, "install") == 0 ? s->install(env) :
		    s->uninstall(env)) == -1)
			failed = 1;	/* printed; the other stores still run */
		fflush(env->out);
	}
	if (!acted && !failed && !status) {
		fprintf(env->err, "trust: no trust store found on this machine "
		    "(see `localacme trust status`)\n");
		failed = 1;
	}
	if (json) {
		if (json_object_set_new(jout, "trusted",
		    json_boolean(!failed)) == -1 ||
		    json_dumpf(jout, env->out, JSON_INDENT(2)) == -1)
			goto out;
		fputc('\n', env->out);
	}
	rc = failed ? 1 : 0;
out:
	env->root = saved;	/* root is gone after this */
	trust_root_clear(&root);
	json_decref(jstores);
	json_decref(jout);
	return rc;
}

bool
trust_root_installed_anywhere(const char *root_pem_path)
{
	struct trust_env	 env;
	struct trust_root	 root = { 0 };
	struct trust_status	 st;
	FILE			*null = NULL;
	bool			 yes = false;

	trust_env_init(&env);
	env.quiet = true;
	if ((null = fopen("/dev/null", "w")) == NULL)
		goto out;
	env.out = env.err = null;
	if (trust_root_load(&root, root_pem_path) == -1)
		goto out;
	env.root = &root;
	for (size_t i = 0; i < trust_nstores && !yes; i++) {
		/*
		 * Java's check starts a JVM (keytool, ~1 s): too slow for a
		 * hint after every `issue`, and browsers and curl never
		 * read it.
		 */
		if (trust_stores[i] == &trust_store_java)
			continue;
		memset(&st, 0, sizeof(st));
		if (trust_stores[i]->status(&env, &st) == 0 && st.found &&
		    st.any)
			yes = true;
	}
out:
	trust_root_clear(&root);
	if (null != NULL)
		fclose(null);
	return yes;
}

int
trust_status_each(const char *state_dir, trust_each_fn fn, void *arg)
{
	struct trust_env	 env;
	struct trust_root	 root = { 0 };
	struct trust_status	 st;
	FILE			*null = NULL;
	bool			 selected[8];
	char			 pem[PATH_MAX];
	int			 rc = -1, saved;

	trust_env_init(&env);
	env.quiet = true;
	if ((null = fopen("/dev/null", "w")) == NULL)
		goto out;
	env.out = env.err = null;
	if (env.stores != NULL) {
		if (trust_parse_stores(&env, env.stores, selected) == -1) {
			errno = EINVAL;
			goto out;
		}
	} else
		for (size_t i = 0; i < trust_nstores; i++)
			selected[i] = true;
	if (snprintf(pem, sizeof(pem), "%s/root.pem", state_dir) >=
	    (int)sizeof(pem)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	if (trust_root_load(&root, pem) == -1)
		goto out;
	env.root = &root;
	for (size_t i = 0; i < trust_nstores; i++) {
		bool ok;

		if (!selected[i])
			continue;
		memset(&st, 0, sizeof(st));
		ok = trust_stores[i]->status(&env, &st) == 0;
		fn(arg, trust_stores[i]->name, ok, ok && st.found,
		    ok && st.trusted, ok && st.any, ok ? st.where : "");
	}
	rc = 0;
out:
	saved = errno;
	trust_root_clear(&root);
	if (null != NULL)
		fclose(null);
	errno = saved;
	return rc;
}

int
cmd_trust(const struct config *cfg, int argc, char **argv)
{
	struct trust_env env;

	trust_env_init(&env);
	return trust_command(&env, cfg->state_dir, argc, argv);
}
