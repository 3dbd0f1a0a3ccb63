/* test_trust.c - trust stores: root naming, store selection, NSS discovery and real certutil, Java with real keytool, recorded system/macOS/WSL commands */
/* SPDX-License-Identifier: MIT */
/*
 * Covers HARDENING.md P11/KP9 (only the root certificate is written; every
 * install has a name derived from the root's SHA-256 and uninstall removes
 * exactly that). Commands that cannot run here (update-ca-trust, macOS
 * security, Windows certutil.exe) go through the runner seam of
 * trust_internal.h and are checked as recorded argv vectors; NSS and Java
 * run the real certutil and keytool on temp databases.
 */
/* nftw(3) for removing the temp trees */
#define _XOPEN_SOURCE 700
#include <sys/stat.h>

#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "trust.h"
#include "trust_internal.h"

/* ---- fixture ---- */

struct script {
	const char	*match;		/* substring of the joined argv */
	int		 status;
	const char	*output;
};

struct rec {
	struct trust_strv	 calls;	/* each argv joined by ' ' */
	const struct script	*script;
	size_t			 nscript;
	bool			 real;	/* record, then really run it */
	const char		*bin;	/* where a bare argv[0] is, when real */
};

struct fx {
	char		 dir[PATH_MAX];
	char		 state[PATH_MAX];
	char		 pem[PATH_MAX];
	char		 home[PATH_MAX];
	char		 bin[PATH_MAX];
	char		 sysroot[PATH_MAX];
	struct trust_env env;
	struct trust_root root;
	struct rec	 rec;
	FILE		*out, *err;
	char		*outbuf, *errbuf;
	size_t		 outlen, errlen;
};

/* snprintf that fails the test instead of truncating a path. */
static void	 xsnprintf(char *buf, size_t sz, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

static void
xsnprintf(char *buf, size_t sz, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sz);
}

static int
rec_run(void *ctx, char *const argv[], char **output)
{
	struct rec	*r = ctx;
	char		 line[8192] = "";
	size_t		 off = 0;
	int		 status = 0;
	const char	*text = "";

	for (size_t i = 0; argv[i] != NULL; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
		    i > 0 ? " " : "", argv[i]);
	assert_int_equal(trust_strv_add(&r->calls, line), 0);
	for (size_t i = 0; i < r->nscript; i++)
		if (strstr(line, r->script[i].match) != NULL) {
			status = r->script[i].status;
			text = r->script[i].output;
			break;
		}
	if (r->real) {
		char	 exe[PATH_MAX];
		char	*copy[64];
		size_t	 i;

		/* "sudo" comes bare: the test's own, not the machine's. */
		for (i = 0; argv[i] != NULL && i + 1 < 64; i++)
			copy[i] = argv[i];
		copy[i] = NULL;
		if (strchr(argv[0], '/') == NULL) {
			xsnprintf(exe, sizeof(exe), "%s/%s", r->bin, argv[0]);
			copy[0] = exe;
		}
		return trust_exec_spawn(NULL, copy, output);
	}
	if (output != NULL)
		*output = strdup(text);
	return status;
}

static void
mkpath(const char *path, mode_t mode)
{
	char	 tmp[PATH_MAX];

	xsnprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(tmp, 0755);
			*p = '/';
		}
	if (mkdir(tmp, mode) == -1)
		assert_int_equal(errno, EEXIST);
}

/* Creates file path (and its parents) with contents and mode. */
static void
mkfile(const char *path, const char *contents, mode_t mode)
{
	char	 parent[PATH_MAX], *s;
	FILE	*fp;

	xsnprintf(parent, sizeof(parent), "%s", path);
	if ((s = strrchr(parent, '/')) != NULL && s != parent) {
		*s = '\0';
		mkpath(parent, 0755);
	}
	assert_non_null(fp = fopen(path, "w"));
	fputs(contents, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void
mkexe(const struct fx *f, const char *name)
{
	char p[PATH_MAX];

	xsnprintf(p, sizeof(p), "%s/%s", f->bin, name);
	mkfile(p, "#!/bin/sh\nexit 0\n", 0755);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* A self-signed CA certificate; written to path followed by its key. */
static X509 *
make_root(const char *path, const char *cn)
{
	EVP_PKEY	*key = tu_key_ec256();
	X509		*x = X509_new();
	X509_NAME	*name = X509_get_subject_name(x);
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	FILE		*fp;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)getpid());
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
	    "critical,keyCertSign,cRLSign");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	if (path != NULL) {
		assert_non_null(fp = fopen(path, "w"));
		PEM_write_X509(fp, x);
		/* A key in the same file must never travel with the cert. */
		PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
		fclose(fp);
	}
	EVP_PKEY_free(key);
	return x;
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	X509		*x;

	assert_non_null(f);
	xsnprintf(f->dir, sizeof(f->dir), "%s/test_trust.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	xsnprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	xsnprintf(f->pem, sizeof(f->pem), "%s/root.pem", f->state);
	xsnprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	xsnprintf(f->bin, sizeof(f->bin), "%s/bin", f->dir);
	xsnprintf(f->sysroot, sizeof(f->sysroot), "%s/sysroot", f->dir);
	mkpath(f->state, 0700);
	mkpath(f->home, 0700);
	mkpath(f->bin, 0755);
	mkpath(f->sysroot, 0755);
	x = make_root(f->pem, "test_trust root");
	X509_free(x);

	assert_non_null(f->out = open_memstream(&f->outbuf, &f->outlen));
	assert_non_null(f->err = open_memstream(&f->errbuf, &f->errlen));
	f->env.home = f->home;
	f->env.path = f->bin;
	f->env.sysroot = f->sysroot;
	xsnprintf(f->env.sysname, sizeof(f->env.sysname), "Linux");
	f->env.is_root = true;
	f->env.run = rec_run;
	f->env.run_ctx = &f->rec;
	f->env.out = f->out;
	f->env.err = f->err;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fclose(f->out);
	fclose(f->err);
	free(f->outbuf);
	free(f->errbuf);
	trust_root_clear(&f->root);
	trust_strv_clear(&f->rec.calls);
	(void)nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Loads the fixture's root into f->root and points env at it. */
static void
load_root(struct fx *f)
{
	assert_int_equal(trust_root_load(&f->root, f->pem), 0);
	assert_int_equal(trust_root_write_certfile(&f->root, f->state), 0);
	f->env.root = &f->root;
}

static const char *
outtext(struct fx *f)
{
	fflush(f->out);
	return f->outbuf != NULL ? f->outbuf : "";
}

static const char *
errtext(struct fx *f)
{
	fflush(f->err);
	return f->errbuf != NULL ? f->errbuf : "";
}

static void
assert_calls(struct fx *f, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && i < f->rec.calls.n; i++)
		assert_string_equal(f->rec.calls.v[i], want[i]);
	assert_int_equal(f->rec.calls.n, n);
}

static bool
have_tool(const char *name)
{
	struct trust_env e;
	char		 p[PATH_MAX];

	trust_env_init(&e);
	return trust_which(&e, name, p, sizeof(p));
}

/* ---- the root ---- */

static void
test_trust_root_load_missing_file_is_enoent(void **state)
{
	struct fx		*f = *state;
	struct trust_root	 r = { 0 };
	char			 p[PATH_MAX];

	xsnprintf(p, sizeof(p), "%s/nope/root.pem", f->dir);
	assert_int_equal(trust_root_load(&r, p), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(r.der);
}

static void
test_trust_root_load_name_is_sha256_prefix(void **state)
{
	struct fx	*f = *state;
	FILE		*fp;
	X509		*x;
	unsigned char	*der = NULL, md[32];
	unsigned int	 mdlen;
	char		 want[32];
	int		 len;

	assert_non_null(fp = fopen(f->pem, "r"));
	assert_non_null(x = PEM_read_X509(fp, NULL, NULL, NULL));
	fclose(fp);
	assert_true((len = i2d_X509(x, &der)) > 0);
	assert_true(EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(),
	    NULL));
	xsnprintf(want, sizeof(want), "localacme-%02x%02x%02x%02x%02x%02x%02x%02x",
	    md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
	load_root(f);
	assert_string_equal(f->root.name, want);
	assert_int_equal(strlen(f->root.sha1), 40);
	assert_memory_equal(f->root.der, der, (size_t)len);
	OPENSSL_free(der);
	X509_free(x);
}

static void
test_trust_root_load_certfile_has_only_the_certificate(void **state)
{
	struct fx	*f = *state;
	struct stat	 sb;
	char		 buf[8192];
	size_t		 n;
	FILE		*fp;

	load_root(f);
	assert_int_equal(stat(f->root.certfile, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_non_null(fp = fopen(f->root.certfile, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "-----BEGIN CERTIFICATE-----"));
	assert_null(strstr(buf, "PRIVATE KEY"));
	assert_null(strstr(strstr(buf, "-----END CERTIFICATE-----"), "BEGIN"));
	assert_true(trust_root_file_matches(&f->root, f->root.certfile));
}

/*
 * The tools read a file in the state directory that outlives the command
 * (so a printed "run as root" line names a real file), written again only
 * when it is not exactly the root's PEM.
 */
static void
test_trust_root_certfile_stays_in_state_dir(void **state)
{
	struct fx	*f = *state;
	char		 p[PATH_MAX], want[PATH_MAX];
	struct stat	 a, b;

	load_root(f);
	xsnprintf(want, sizeof(want), "%s/root.trust.pem", f->state);
	assert_string_equal(f->root.certfile, want);
	xsnprintf(p, sizeof(p), "%s", f->root.certfile);
	trust_root_clear(&f->root);
	assert_true(trust_path_exists(p));
	trust_root_clear(&f->root);	/* idempotent */
	assert_int_equal(stat(p, &a), 0);
	load_root(f);			/* unchanged: not rewritten */
	assert_int_equal(stat(p, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	trust_root_clear(&f->root);
	mkfile(p, "-----BEGIN CERTIFICATE-----\nbogus\n", 0600);
	load_root(f);			/* damaged: replaced */
	assert_true(trust_root_file_matches(&f->root, p));
	assert_int_equal(stat(p, &b), 0);
	assert_int_equal(b.st_mode & 0777, 0644);
}

static void
test_trust_root_file_matches_other_root_is_false(void **state)
{
	struct fx	*f = *state;
	char		 p[PATH_MAX];
	X509		*x;

	xsnprintf(p, sizeof(p), "%s/other.pem", f->dir);
	x = make_root(p, "another localacme root");
	X509_free(x);
	load_root(f);
	assert_false(trust_root_file_matches(&f->root, p));
	assert_true(trust_root_file_matches(&f->root, f->pem));
}

/* ---- the command ---- */

static void
test_trust_command_no_ca_prints_init_hint(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "status", NULL };
	char		 dir[PATH_MAX], want[PATH_MAX + 64];

	xsnprintf(dir, sizeof(dir), "%s/empty", f->dir);
	assert_int_equal(trust_command(&f->env, dir, 2, argv), 1);
	xsnprintf(want, sizeof(want), "no CA in %s: run `localacme init`\n",
	    dir);
	assert_string_equal(errtext(f), want);
}

static void
test_trust_command_unknown_verb_says_unknown_action(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "frobnicate", NULL };

	assert_int_equal(trust_command(&f->env, f->state, 2, argv), 2);
	assert_string_equal(errtext(f), "localacme: trust: unknown action "
	    "\"frobnicate\"; the actions are install, uninstall and status\n");
	assert_int_equal(f->rec.calls.n, 0);
}

static void
test_trust_command_unknown_store_is_usage(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "install", "--stores", "nss,keychain",
	    NULL };

	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 2);
	assert_non_null(strstr(errtext(f), "unknown store 'keychain'"));
	assert_int_equal(f->rec.calls.n, 0);
}

static void
test_trust_parse_stores_list_selects_named(void **state)
{
	struct fx	*f = *state;
	bool		 sel[8];

	assert_int_equal(trust_parse_stores(&f->env, "java, system", sel), 0);
	for (size_t i = 0; i < trust_nstores; i++)
		assert_int_equal(sel[i],
		    strcmp(trust_stores[i]->name, "java") == 0 ||
		    strcmp(trust_stores[i]->name, "system") == 0);
	assert_int_equal(trust_parse_stores(&f->env, "all", sel), 0);
	for (size_t i = 0; i < trust_nstores; i++)
		assert_true(sel[i]);
}

static void
test_trust_command_env_trust_stores_limits_status(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "status", NULL };

	f->env.stores = "windows";
	/* Named and not found: status says so, and fails. */
	assert_int_equal(trust_command(&f->env, f->state, 2, argv), 1);
	assert_non_null(strstr(outtext(f), "\nwindows: not found: "));
	assert_null(strstr(outtext(f), "nss:"));
	assert_null(strstr(outtext(f), "system:"));
}

static void
test_trust_command_flag_overrides_env_stores(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "--stores=system", "status", NULL };

	f->env.stores = "windows";
	assert_int_equal(trust_command(&f->env, f->state, 3, argv), 1);
	assert_non_null(strstr(outtext(f), "\nsystem: not found: "));
	assert_null(strstr(outtext(f), "windows:"));
}

static void
test_trust_command_status_one_line_per_store(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "status", "--stores", "all", NULL };
	const char	*o;
	size_t		 lines = 0;

	/* "all" names every store; none is found here. */
	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 1);
	o = outtext(f);
	for (const char *p = o; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + trust_nstores);	/* "root: ..." first */
	assert_true(strncmp(o, "root: localacme-", 16) == 0);
}

static void
test_trust_command_explicit_missing_store_fails(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "install", "--stores", "windows", NULL };

	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 1);
	assert_non_null(strstr(errtext(f), "trust: windows: not found"));
}

/* A Debian layout plus WSL in the sysroot: two stores found. */
static void
make_debian_wsl(struct fx *f)
{
	char p[PATH_MAX];

	xsnprintf(p, sizeof(p), "%s/usr/local/share/ca-certificates", f->sysroot);
	mkpath(p, 0755);
	xsnprintf(p, sizeof(p), "%s/proc/sys/kernel/osrelease", f->sysroot);
	mkfile(p, "5.15.153.1-microsoft-standard-WSL2\n", 0644);
	xsnprintf(p, sizeof(p), "%s/mnt/c/Windows/System32/certutil.exe",
	    f->sysroot);
	mkfile(p, "MZ", 0755);
	mkexe(f, "update-ca-certificates");
	mkexe(f, "install");
	mkexe(f, "wslpath");
}

static void
test_trust_command_failing_tool_names_store_and_others_still_run(void **state)
{
	struct fx		*f = *state;
	char			*argv[] = { "trust", "install", "--stores",
	    "system,windows", NULL };
	const struct script	 s[] = {
		{ "update-ca-certificates", 1, "E: cannot write bundle\nmore\n" },
		{ "-store Root", 1, "" },	/* not yet in the Windows store */
		{ "wslpath", 0, "C:\\tmp\\x.pem\n" },
	};
	bool			 windows_ran = false;

	make_debian_wsl(f);
	f->rec.script = s;
	f->rec.nscript = 3;
	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 1);
	assert_string_equal(errtext(f), "trust: system: update-ca-certificates "
	    "failed (exit 1): E: cannot write bundle\n");
	for (size_t i = 0; i < f->rec.calls.n; i++)
		if (strstr(f->rec.calls.v[i], "-addstore -user Root") != NULL)
			windows_ran = true;
	assert_true(windows_ran);
}

static void
test_trust_command_no_store_found_fails(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "install", NULL };

	/* Empty PATH: no certutil, keytool, java; sysroot empty. */
	assert_int_equal(trust_command(&f->env, f->state, 2, argv), 1);
	assert_non_null(strstr(errtext(f), "no trust store found"));
}

/* ---- system store (recorded) ---- */

struct layout_case {
	const char	*anchors;
	const char	*tool;
	const char	*call;		/* the update command after the tool */
	const char	*bundle;	/* what the tool writes */
};

static void	 make_tools(struct fx *, const char *, const char *,
		    const char *, bool);
static void	 make_debian_tools(struct fx *, bool);

static void
check_layout(struct fx *f, const struct layout_case *c)
{
	char	 p[PATH_MAX], dest[PATH_MAX], c1[PATH_MAX * 3], c2[PATH_MAX];
	const char *want[2] = { c1, c2 };

	struct trust_status st = { 0 };

	xsnprintf(p, sizeof(p), "%s%s", f->sysroot, c->anchors);
	make_tools(f, c->anchors, c->bundle, c->tool, false);
	load_root(f);
	xsnprintf(dest, sizeof(dest), "%s/%s.crt", p, f->root.name);
	assert_int_equal(trust_store_system.install(&f->env), 0);
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_true(st.trusted);
	xsnprintf(c1, sizeof(c1), "%s/install -m 644 %s %s", f->bin,
	    f->root.certfile, dest);
	xsnprintf(c2, sizeof(c2), "%s/%s%s", f->bin, c->tool, c->call);
	assert_calls(f, want, 2);
}

static void
test_trust_system_debian_runs_update_ca_certificates(void **state)
{
	const struct layout_case c = { "/usr/local/share/ca-certificates",
	    "update-ca-certificates", "", "/etc/ssl/certs/ca-certificates.crt" };

	check_layout(*state, &c);
}

static void
test_trust_system_fedora_runs_update_ca_trust_extract(void **state)
{
	const struct layout_case c = { "/etc/pki/ca-trust/source/anchors",
	    "update-ca-trust", " extract",
	    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem" };

	check_layout(*state, &c);
}

static void
test_trust_system_arch_runs_trust_extract_compat(void **state)
{
	const struct layout_case c = { "/etc/ca-certificates/trust-source/anchors",
	    "trust", " extract-compat",
	    "/etc/ca-certificates/extracted/tls-ca-bundle.pem" };

	check_layout(*state, &c);
}

static void
test_trust_system_opensuse_uses_etc_pki_trust_anchors(void **state)
{
	const struct layout_case c = { "/etc/pki/trust/anchors",
	    "update-ca-certificates", "", "/var/lib/ca-certificates/ca-bundle.pem" };

	check_layout(*state, &c);
}

static void
test_trust_system_anchors_without_tool_is_not_found(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 p[PATH_MAX];

	xsnprintf(p, sizeof(p), "%s/etc/pki/ca-trust/source/anchors", f->sysroot);
	mkpath(p, 0755);
	load_root(f);
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_false(st.found);
}

static void
test_trust_system_not_root_uses_sudo_and_says_so(void **state)
{
	struct fx	*f = *state;
	char		 p[PATH_MAX], dest[PATH_MAX];
	char		 c1[PATH_MAX * 3], c2[PATH_MAX];
	const char	*want[2] = { c1, c2 };

	xsnprintf(p, sizeof(p), "%s/usr/local/share/ca-certificates", f->sysroot);
	make_debian_tools(f, false);
	xsnprintf(dest, sizeof(dest), "%s/sudo", f->bin);
	mkfile(dest, "#!/bin/sh\nexec \"$@\"\n", 0755);
	f->env.is_root = false;
	load_root(f);
	xsnprintf(dest, sizeof(dest), "%s/%s.crt", p, f->root.name);
	assert_int_equal(trust_store_system.install(&f->env), 0);
	xsnprintf(c1, sizeof(c1), "sudo %s/install -m 644 %s %s", f->bin,
	    f->root.certfile, dest);
	xsnprintf(c2, sizeof(c2), "sudo %s/update-ca-certificates", f->bin);
	assert_calls(f, want, 2);
	assert_non_null(strstr(outtext(f), "system: not root; running with sudo:\n"));
}

static void
test_trust_system_not_root_without_sudo_prints_commands(void **state)
{
	struct fx	*f = *state;
	char		 want[PATH_MAX];

	make_debian_wsl(f);
	f->env.is_root = false;
	load_root(f);
	assert_int_equal(trust_store_system.install(&f->env), -1);
	assert_int_equal(f->rec.calls.n, 0);
	assert_non_null(strstr(errtext(f), "trust: system: not root and no "
	    "sudo; run as root:\n  "));
	xsnprintf(want, sizeof(want), "  %s/update-ca-certificates\n", f->bin);
	assert_non_null(strstr(errtext(f), want));
}

static void
test_trust_system_uninstall_removes_only_our_file(void **state)
{
	struct fx	*f = *state;
	char		 dir[PATH_MAX], dest[PATH_MAX], c1[PATH_MAX * 2];
	char		 c2[PATH_MAX];
	const char	*want[2] = { c1, c2 };

	make_debian_wsl(f);
	mkexe(f, "rm");
	load_root(f);
	xsnprintf(dir, sizeof(dir), "%s/usr/local/share/ca-certificates",
	    f->sysroot);
	xsnprintf(dest, sizeof(dest), "%s/%s.crt", dir, f->root.name);
	mkfile(dest, "x", 0644);
	assert_int_equal(trust_store_system.uninstall(&f->env), 0);
	xsnprintf(c1, sizeof(c1), "%s/rm -f %s", f->bin, dest);
	xsnprintf(c2, sizeof(c2), "%s/update-ca-certificates", f->bin);
	assert_calls(f, want, 2);
}

static void
test_trust_system_uninstall_not_installed_runs_nothing(void **state)
{
	struct fx *f = *state;

	make_debian_wsl(f);
	load_root(f);
	assert_int_equal(trust_store_system.uninstall(&f->env), 0);
	assert_int_equal(f->rec.calls.n, 0);
	assert_string_equal(outtext(f), "system: not installed\n");
}

/* ---- the system store as its consumers read it (issue 12 item 15) ---- */

#define DEB_ANCHORS	"/usr/local/share/ca-certificates"
#define DEB_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

/* Writes the fixture root's certificate (only) to path, PEM. */
static void
write_root_cert(struct fx *f, const char *path, const char *mode)
{
	FILE	*in, *out;
	X509	*x;

	assert_non_null(in = fopen(f->pem, "r"));
	assert_non_null(x = PEM_read_X509(in, NULL, NULL, NULL));
	fclose(in);
	assert_non_null(out = fopen(path, mode));
	PEM_write_X509(out, x);
	fclose(out);
	X509_free(x);
}

/* A bundle holding another CA, and ours too when with_root. */
static void
write_bundle(struct fx *f, const char *path, bool with_root)
{
	X509	*x = make_root(NULL, "someone else's CA");
	FILE	*fp;
	char	 parent[PATH_MAX];

	xsnprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';
	mkpath(parent, 0755);
	assert_non_null(fp = fopen(path, "w"));
	PEM_write_X509(fp, x);
	fclose(fp);
	X509_free(x);
	if (with_root)
		write_root_cert(f, path, "a");
}

/*
 * A Debian layout in the sysroot whose update-ca-certificates does what
 * the real one does to the bundle: every anchor, concatenated. With
 * slow, it first writes its PID to <dir>/tool.pid and sleeps, so a test
 * can interrupt an install while the tool runs.
 */
static void
make_tools(struct fx *f, const char *anchors_abs, const char *bundle_abs,
    const char *tool, bool slow)
{
	char	 anchors[PATH_MAX], bundle[PATH_MAX], p[PATH_MAX];
	char	 script[PATH_MAX * 4];

	xsnprintf(anchors, sizeof(anchors), "%s%s", f->sysroot, anchors_abs);
	xsnprintf(bundle, sizeof(bundle), "%s%s", f->sysroot, bundle_abs);
	mkpath(anchors, 0755);
	xsnprintf(p, sizeof(p), "%s", bundle);
	*strrchr(p, '/') = '\0';
	mkpath(p, 0755);
	xsnprintf(script, sizeof(script), "#!/bin/sh\n%s"
	    ": >'%s'\nfor c in '%s'/*.crt; do\n"
	    "\t[ -f \"$c\" ] && cat \"$c\" >>'%s'\ndone\nexit 0\n",
	    slow ? "echo $$ >\"$TOOL_PID\"\nsleep 20\n" : "",
	    bundle, anchors, bundle);
	xsnprintf(p, sizeof(p), "%s/%s", f->bin, tool);
	mkfile(p, script, 0755);
	xsnprintf(p, sizeof(p), "%s/install", f->bin);
	mkfile(p, "#!/bin/sh\nexec install \"$@\"\n", 0755);
	xsnprintf(p, sizeof(p), "%s/rm", f->bin);
	mkfile(p, "#!/bin/sh\nexec rm \"$@\"\n", 0755);
	f->rec.real = true;
	f->rec.bin = f->bin;
}

static void
make_debian_tools(struct fx *f, bool slow)
{
	make_tools(f, DEB_ANCHORS, DEB_BUNDLE, "update-ca-certificates", slow);
}

static void
deb_path(struct fx *f, char *buf, size_t sz, const char *what)
{
	char name[TRUST_NAME_SIZE];

	if (strcmp(what, "anchor") == 0) {
		load_root(f);
		xsnprintf(name, sizeof(name), "%s", f->root.name);
		xsnprintf(buf, sz, "%s%s/%s.crt", f->sysroot, DEB_ANCHORS, name);
	} else
		xsnprintf(buf, sz, "%s%s", f->sysroot, DEB_BUNDLE);
}

/* An interrupted install: the anchor copied, the tool never run. */
static void
test_trust_system_status_anchor_without_bundle_is_not_trusted(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 anchor[PATH_MAX], bundle[PATH_MAX];
	char			*argv[] = { "trust", "status", "--stores", "system",
	    NULL };

	make_debian_tools(f, false);
	deb_path(f, anchor, sizeof(anchor), "anchor");
	deb_path(f, bundle, sizeof(bundle), "bundle");
	write_root_cert(f, anchor, "w");
	write_bundle(f, bundle, false);
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_true(st.found);
	assert_false(st.trusted);
	assert_false(st.any);
	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 1);
	assert_non_null(strstr(outtext(f), "\nsystem: found, not trusted: "));
	/* No bundle at all is not trusted either. */
	assert_int_equal(unlink(bundle), 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_false(st.trusted);
}

static void
test_trust_system_status_trusted_when_bundle_holds_root(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 anchor[PATH_MAX], bundle[PATH_MAX];
	char			*argv[] = { "trust", "status", "--stores", "system",
	    NULL };

	make_debian_tools(f, false);
	deb_path(f, anchor, sizeof(anchor), "anchor");
	deb_path(f, bundle, sizeof(bundle), "bundle");
	write_root_cert(f, anchor, "w");
	write_bundle(f, bundle, true);
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_true(st.found);
	assert_true(st.trusted);
	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 0);
	assert_non_null(strstr(outtext(f), "\nsystem: found, trusted: "));
	/* Installing again runs nothing. */
	assert_int_equal(trust_store_system.install(&f->env), 0);
	assert_int_equal(f->rec.calls.n, 0);
	assert_non_null(strstr(outtext(f), "system: already installed"));
}

/* The half-done install is finished: the tool runs, nothing is copied. */
static void
test_trust_system_install_repairs_anchor_without_bundle(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 anchor[PATH_MAX], bundle[PATH_MAX], c1[PATH_MAX];
	const char		*want[1] = { c1 };
	char			*argv[] = { "trust", "install", "--stores", "system",
	    NULL };

	make_debian_tools(f, false);
	deb_path(f, anchor, sizeof(anchor), "anchor");
	deb_path(f, bundle, sizeof(bundle), "bundle");
	write_root_cert(f, anchor, "w");
	write_bundle(f, bundle, false);
	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 0);
	xsnprintf(c1, sizeof(c1), "%s/update-ca-certificates", f->bin);
	assert_calls(f, want, 1);
	assert_null(strstr(outtext(f), "already installed"));
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_true(st.trusted);
}

/* The half-done uninstall (anchor gone, bundle not rebuilt) is finished. */
static void
test_trust_system_uninstall_repairs_bundle_without_anchor(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 anchor[PATH_MAX], bundle[PATH_MAX], c1[PATH_MAX];
	const char		*want[1] = { c1 };
	char			*argv[] = { "trust", "uninstall", "--stores",
	    "system", NULL };

	make_debian_tools(f, false);
	deb_path(f, anchor, sizeof(anchor), "anchor");
	deb_path(f, bundle, sizeof(bundle), "bundle");
	write_bundle(f, bundle, true);
	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 0);
	xsnprintf(c1, sizeof(c1), "%s/update-ca-certificates", f->bin);
	assert_calls(f, want, 1);
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_false(st.any);
}

static void
test_trust_command_status_json_reports_each_store(void **state)
{
	struct fx	*f = *state;
	char		 anchor[PATH_MAX], bundle[PATH_MAX];
	char		*argv[] = { "trust", "status", "--json", "--stores",
	    "system,windows", NULL };
	json_t		*j, *s;
	json_error_t	 err;

	make_debian_tools(f, false);
	deb_path(f, anchor, sizeof(anchor), "anchor");
	deb_path(f, bundle, sizeof(bundle), "bundle");
	write_root_cert(f, anchor, "w");
	write_bundle(f, bundle, false);
	assert_int_equal(trust_command(&f->env, f->state, 5, argv), 1);
	j = json_loads(outtext(f), JSON_DECODE_ANY, &err);
	if (j == NULL)
		fail_msg("not JSON: %s: %s", err.text, outtext(f));
	assert_true(json_is_object(j));
	assert_string_equal(json_string_value(json_object_get(j, "root")),
	    f->root.name);
	assert_string_equal(json_string_value(json_object_get(j, "sha256")),
	    f->root.sha256);
	assert_true(json_is_false(json_object_get(j, "trusted")));
	s = json_object_get(json_object_get(j, "stores"), "system");
	assert_true(json_is_true(json_object_get(s, "present")));
	assert_true(json_is_false(json_object_get(s, "trusted")));
	assert_true(json_is_string(json_object_get(s, "detail")));
	s = json_object_get(json_object_get(j, "stores"), "windows");
	assert_true(json_is_false(json_object_get(s, "present")));
	assert_true(json_is_false(json_object_get(s, "trusted")));
	assert_null(json_object_get(json_object_get(j, "stores"), "nss"));
	json_decref(j);
}

/* The file a "run as root" line names is still there for the user. */
static void
test_trust_system_printed_run_as_root_file_exists_afterwards(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "trust", "install", "--stores", "system", NULL };
	char		 file[PATH_MAX];
	const char	*e, *s;

	make_debian_tools(f, false);
	f->env.is_root = false;		/* and no sudo in f->bin */
	assert_int_equal(trust_command(&f->env, f->state, 4, argv), 1);
	e = errtext(f);
	assert_non_null(s = strstr(e, "  "));
	assert_non_null(s = strstr(s, "/install -m 644 "));
	s += strlen("/install -m 644 ");
	xsnprintf(file, sizeof(file), "%.*s", (int)strcspn(s, " "), s);
	assert_int_equal(f->rec.calls.n, 0);
	load_root(f);
	assert_true(trust_path_exists(file));
	assert_true(trust_root_file_matches(&f->root, file));
	/* In the state directory, and only the certificate (P11). */
	assert_int_equal(strncmp(file, f->state, strlen(f->state)), 0);
	{
		FILE	*fp;
		char	 buf[8192];
		size_t	 n;

		assert_non_null(fp = fopen(file, "r"));
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
		assert_null(strstr(buf, "PRIVATE KEY"));
	}
}

/* Names in dir other than the allowed ones (NULL-terminated). */
static size_t
strays(const char *dir, const char *const *allowed, char *first, size_t sz)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		bool ok = strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0;

		for (size_t i = 0; allowed[i] != NULL && !ok; i++)
			ok = strcmp(de->d_name, allowed[i]) == 0;
		if (!ok && n++ == 0)
			xsnprintf(first, sz, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	return n;
}

/*
 * A signal while the update tool runs leaves no temporary file in TMPDIR,
 * the state directory or the anchors directory.
 */
static void
interrupt_install(struct fx *f, int sig)
{
	char		 tmp[PATH_MAX], pidfile[PATH_MAX], anchors[PATH_MAX];
	char		 anchor[TRUST_NAME_SIZE + 8], stray[PATH_MAX] = "";
	char		*argv[] = { "trust", "install", "--stores", "system", NULL };
	const char	*state_ok[] = { "root.pem", "root.trust.pem", NULL };
	const char	*anchors_ok[] = { anchor, NULL };
	const char	*none[] = { NULL };
	pid_t		 child, tool = 0;
	int		 st;
	FILE		*fp;

	make_debian_tools(f, true);
	load_root(f);
	xsnprintf(anchor, sizeof(anchor), "%s.crt", f->root.name);
	trust_root_clear(&f->root);
	xsnprintf(tmp, sizeof(tmp), "%s/tmp", f->dir);
	mkpath(tmp, 0700);
	xsnprintf(pidfile, sizeof(pidfile), "%s/tool.pid", f->dir);
	xsnprintf(anchors, sizeof(anchors), "%s%s", f->sysroot, DEB_ANCHORS);
	assert_int_equal(setenv("TOOL_PID", pidfile, 1), 0);
	fflush(NULL);
	assert_true((child = fork()) != -1);
	if (child == 0) {
		setenv("TMPDIR", tmp, 1);
		_exit(trust_command(&f->env, f->state, 4, argv));
	}
	for (int i = 0; i < 1000 && tool <= 0; i++) {
		if ((fp = fopen(pidfile, "r")) != NULL) {
			if (fscanf(fp, "%d", &tool) != 1)
				tool = 0;
			fclose(fp);
		}
		if (tool <= 0)
			usleep(10000);
	}
	assert_true(tool > 0);
	assert_int_equal(kill(child, sig), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	(void)kill(tool, SIGTERM);	/* the fake tool this test started */
	unsetenv("TOOL_PID");
	assert_true(WIFSIGNALED(st) || WIFEXITED(st));
	if (strays(tmp, none, stray, sizeof(stray)) != 0 ||
	    strays(f->state, state_ok, stray, sizeof(stray)) != 0 ||
	    strays(anchors, anchors_ok, stray, sizeof(stray)) != 0)
		fail_msg("signal %d left %s behind", sig, stray);
}

static void
test_trust_install_sigterm_leaves_no_temp_file(void **state)
{
	interrupt_install(*state, SIGTERM);
}

static void
test_trust_install_sigint_leaves_no_temp_file(void **state)
{
	interrupt_install(*state, SIGINT);
}

/* ---- macOS (recorded) ---- */

static void
make_darwin(struct fx *f)
{
	char p[PATH_MAX];

	xsnprintf(f->env.sysname, sizeof(f->env.sysname), "Darwin");
	xsnprintf(p, sizeof(p), "%s/usr/bin/security", f->sysroot);
	mkfile(p, "", 0755);
}

static void
test_trust_macos_install_adds_trusted_cert_to_system_keychain(void **state)
{
	struct fx		*f = *state;
	const struct script	 s[] = { { "find-certificate", 0,
	    "keychain: \"/Library/Keychains/System.keychain\"\n" } };
	char			 c1[PATH_MAX * 2], c2[PATH_MAX * 2];
	const char		*want[2] = { c1, c2 };

	make_darwin(f);
	f->rec.script = s;
	f->rec.nscript = 1;
	load_root(f);
	assert_int_equal(trust_store_system.install(&f->env), 0);
	xsnprintf(c1, sizeof(c1), "%s/usr/bin/security find-certificate -a -Z "
	    "/Library/Keychains/System.keychain", f->sysroot);
	xsnprintf(c2, sizeof(c2), "%s/usr/bin/security add-trusted-cert -d -r "
	    "trustRoot -p ssl -p basic -k /Library/Keychains/System.keychain "
	    "%s", f->sysroot, f->root.certfile);
	assert_calls(f, want, 2);
}

static void
test_trust_macos_uninstall_removes_trust_and_deletes_by_sha1(void **state)
{
	struct fx	*f = *state;
	char		 found[128], c2[PATH_MAX * 2], c3[PATH_MAX * 2];
	char		 c1[PATH_MAX * 2];
	const char	*want[3] = { c1, c2, c3 };
	struct script	 s[1];

	make_darwin(f);
	mkexe(f, "sudo");
	f->env.is_root = false;
	load_root(f);
	xsnprintf(found, sizeof(found), "SHA-256 hash: 00\nSHA-1 hash: %s\n",
	    f->root.sha1);
	s[0].match = "find-certificate";
	s[0].status = 0;
	s[0].output = found;
	f->rec.script = s;
	f->rec.nscript = 1;
	assert_int_equal(trust_store_system.uninstall(&f->env), 0);
	xsnprintf(c1, sizeof(c1), "%s/usr/bin/security find-certificate -a -Z "
	    "/Library/Keychains/System.keychain", f->sysroot);
	xsnprintf(c2, sizeof(c2), "sudo %s/usr/bin/security remove-trusted-cert "
	    "-d %s", f->sysroot, f->root.certfile);
	xsnprintf(c3, sizeof(c3), "sudo %s/usr/bin/security delete-certificate "
	    "-Z %s /Library/Keychains/System.keychain", f->sysroot,
	    f->root.sha1);
	assert_calls(f, want, 3);
}

static void
test_trust_macos_status_trusted_by_sha1(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 found[128];
	struct script		 s[1];

	make_darwin(f);
	load_root(f);
	xsnprintf(found, sizeof(found), "SHA-1 hash: %s\n", f->root.sha1);
	s[0].match = "find-certificate";
	s[0].status = 0;
	s[0].output = found;
	f->rec.script = s;
	f->rec.nscript = 1;
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_true(st.found);
	assert_true(st.trusted);
	assert_string_equal(st.where, "/Library/Keychains/System.keychain");
}

/* ---- Windows from WSL (recorded) ---- */

static void
test_trust_windows_is_wsl_detects_microsoft_kernel(void **state)
{
	struct fx	*f = *state;
	char		 p[PATH_MAX];

	xsnprintf(p, sizeof(p), "%s/proc/sys/kernel/osrelease", f->sysroot);
	mkfile(p, "4.4.0-19041-Microsoft\n", 0644);
	assert_true(trust_windows_is_wsl(&f->env));
	mkfile(p, "6.1.0-18-amd64\n", 0644);
	assert_false(trust_windows_is_wsl(&f->env));
	mkfile(p, "5.15.153.1-microsoft-standard-WSL2\n", 0644);
	assert_true(trust_windows_is_wsl(&f->env));
}

static void
test_trust_windows_install_converts_path_and_adds_to_user_root(void **state)
{
	struct fx		*f = *state;
	const struct script	 s[] = {
		{ "-store Root", 1, "CertUtil: -store command FAILED\n" },
		{ "wslpath", 0, "\\\\wsl.localhost\\Debian\\tmp\\root.pem\n" },
	};
	char			 c1[PATH_MAX * 2], c2[PATH_MAX * 2];
	char			 c3[PATH_MAX * 2];
	const char		*want[3] = { c1, c2, c3 };

	make_debian_wsl(f);
	f->rec.script = s;
	f->rec.nscript = 2;
	f->env.is_root = false;		/* the user store needs no sudo */
	load_root(f);
	assert_int_equal(trust_store_windows.install(&f->env), 0);
	xsnprintf(c1, sizeof(c1), "%s/mnt/c/Windows/System32/certutil.exe -user "
	    "-store Root %s", f->sysroot, f->root.sha1);
	xsnprintf(c2, sizeof(c2), "%s/wslpath -w %s", f->bin, f->root.certfile);
	xsnprintf(c3, sizeof(c3), "%s/mnt/c/Windows/System32/certutil.exe "
	    "-addstore -user Root \\\\wsl.localhost\\Debian\\tmp\\root.pem",
	    f->sysroot);
	assert_calls(f, want, 3);
}

static void
test_trust_windows_uninstall_deletes_by_sha1(void **state)
{
	struct fx	*f = *state;
	char		 c1[PATH_MAX * 2], c2[PATH_MAX * 2];
	const char	*want[2] = { c1, c2 };

	make_debian_wsl(f);
	load_root(f);	/* the recorder answers 0: present */
	assert_int_equal(trust_store_windows.uninstall(&f->env), 0);
	xsnprintf(c1, sizeof(c1), "%s/mnt/c/Windows/System32/certutil.exe -user "
	    "-store Root %s", f->sysroot, f->root.sha1);
	xsnprintf(c2, sizeof(c2), "%s/mnt/c/Windows/System32/certutil.exe "
	    "-delstore -user Root %s", f->sysroot, f->root.sha1);
	assert_calls(f, want, 2);
}

static void
test_trust_windows_not_wsl_is_not_found(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 p[PATH_MAX];

	make_debian_wsl(f);
	xsnprintf(p, sizeof(p), "%s/proc/sys/kernel/osrelease", f->sysroot);
	mkfile(p, "6.1.0-18-amd64\n", 0644);
	load_root(f);
	assert_int_equal(trust_store_windows.status(&f->env, &st), 0);
	assert_false(st.found);
	assert_int_equal(f->rec.calls.n, 0);
}

/* ---- NSS ---- */

static void
touch_db(struct fx *f, const char *rel, const char *file)
{
	char p[PATH_MAX];

	xsnprintf(p, sizeof(p), "%s/%s/%s", f->home, rel, file);
	mkfile(p, "", 0600);
}

static void
test_trust_nss_find_dbs_every_profile_layout(void **state)
{
	struct fx		*f = *state;
	struct trust_strv	 dbs = { 0 };
	char			 p[PATH_MAX];
	const char		*rel[] = {
		".config/mozilla/firefox/xdg.default",
		".mozilla/firefox/abcd.default-release",
		".mozilla/firefox/old.default",
		".pki/nssdb",
		".var/app/org.mozilla.firefox/.mozilla/firefox/flat.default",
		"snap/chromium/current/.pki/nssdb",
		"snap/firefox/common/.mozilla/firefox/snap.default",
	};
	char			 want[7][PATH_MAX + 8];

	touch_db(f, rel[0], "cert9.db");
	touch_db(f, rel[1], "cert9.db");
	touch_db(f, rel[1], "cert8.db");	/* migrated: sql wins */
	touch_db(f, rel[2], "cert8.db");	/* legacy only: dbm */
	touch_db(f, rel[3], "cert9.db");
	touch_db(f, rel[4], "cert9.db");
	touch_db(f, rel[5], "cert9.db");
	touch_db(f, rel[6], "cert9.db");
	/* Not profiles: a file, a profile without a database, a dot dir. */
	touch_db(f, ".mozilla/firefox", "profiles.ini");
	xsnprintf(p, sizeof(p), "%s/.mozilla/firefox/empty.profile", f->home);
	mkpath(p, 0700);
	touch_db(f, ".mozilla/firefox/.hidden", "cert9.db");

	assert_int_equal(trust_nss_find_dbs(&f->env, &dbs), 0);
	for (size_t i = 0; i < 7; i++)
		xsnprintf(want[i], sizeof(want[i]), "%s:%s/%s",
		    i == 2 ? "dbm" : "sql", f->home, rel[i]);
	/* Sorted by spec: "dbm:" first. */
	assert_int_equal(dbs.n, 7);
	assert_string_equal(dbs.v[0], want[2]);
	assert_string_equal(dbs.v[1], want[0]);
	assert_string_equal(dbs.v[2], want[1]);
	assert_string_equal(dbs.v[3], want[3]);
	assert_string_equal(dbs.v[4], want[4]);
	assert_string_equal(dbs.v[5], want[5]);
	assert_string_equal(dbs.v[6], want[6]);
	trust_strv_clear(&dbs);
}

static void
test_trust_nss_find_dbs_empty_home_finds_none(void **state)
{
	struct fx		*f = *state;
	struct trust_strv	 dbs = { 0 };

	assert_int_equal(trust_nss_find_dbs(&f->env, &dbs), 0);
	assert_int_equal(dbs.n, 0);
}

static void
test_trust_nss_status_without_certutil_is_not_found(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };

	touch_db(f, ".pki/nssdb", "cert9.db");
	load_root(f);
	assert_int_equal(trust_store_nss.status(&f->env, &st), 0);
	assert_false(st.found);
	assert_non_null(strstr(st.where, "certutil not on PATH"));
}

/* Real certutil on real databases under a temp HOME. */
static void
use_real_tools(struct fx *f)
{
	f->env.path = getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin";
	f->env.sysroot = "";
	f->env.run = trust_exec_spawn;
	f->env.run_ctx = NULL;
}

static int
run_quiet(char *const argv[])
{
	char	*out = NULL;
	int	 st = trust_exec_spawn(NULL, argv, &out);

	free(out);
	return st;
}

static void
nss_newdb(const char *spec)
{
	char *argv[] = { "certutil", "-N", "--empty-password", "-d",
	    (char *)spec, NULL };

	assert_int_equal(run_quiet(argv), 0);
}

/* Lists db and returns the trust flags of nickname, or "" if absent. */
static void
nss_flags(const char *spec, const char *nick, char *flags, size_t sz)
{
	char	*argv[] = { "certutil", "-L", "-d", (char *)spec, NULL };
	char	*out = NULL, *line, *save = NULL;

	flags[0] = '\0';
	assert_int_equal(trust_exec_spawn(NULL, argv, &out), 0);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, nick, strlen(nick)) == 0 &&
		    line[strlen(nick)] == ' ') {
			char *s = line + strlen(nick);

			while (*s == ' ')
				s++;
			xsnprintf(flags, sz, "%.*s", (int)strcspn(s, " "), s);
		}
	}
	free(out);
}

static void
test_trust_nss_install_uninstall_real_certutil(void **state)
{
	struct fx	*f = *state;
	char		 ff[PATH_MAX], old[PATH_MAX], chrome[PATH_MAX];
	char		 spec_ff[PATH_MAX + 8], spec_old[PATH_MAX + 8];
	char		 spec_chrome[PATH_MAX + 8], flags[32], other[PATH_MAX];
	char		*inst[] = { "trust", "install", "--stores", "nss", NULL };
	char		*uninst[] = { "trust", "uninstall", "--stores", "nss", NULL };
	char		*add_other[] = { "certutil", "-A", "-d", spec_ff, "-t",
	    "C,,", "-n", "someone-else", "-i", other, NULL };
	X509		*x;
	FILE		*fp;

	if (!have_tool("certutil"))
		skip();
	use_real_tools(f);
	xsnprintf(ff, sizeof(ff), "%s/.mozilla/firefox/p1.default-release",
	    f->home);
	xsnprintf(old, sizeof(old), "%s/.mozilla/firefox/p0.default", f->home);
	xsnprintf(chrome, sizeof(chrome), "%s/.pki/nssdb", f->home);
	mkpath(ff, 0700);
	mkpath(old, 0700);
	xsnprintf(spec_ff, sizeof(spec_ff), "sql:%s", ff);
	xsnprintf(spec_old, sizeof(spec_old), "dbm:%s", old);
	xsnprintf(spec_chrome, sizeof(spec_chrome), "sql:%s", chrome);
	nss_newdb(spec_ff);
	nss_newdb(spec_old);
	/* Someone else's CA in the Firefox profile must survive uninstall. */
	xsnprintf(other, sizeof(other), "%s/other.pem", f->dir);
	x = make_root(NULL, "someone else's CA");
	assert_non_null(fp = fopen(other, "w"));
	PEM_write_X509(fp, x);
	fclose(fp);
	X509_free(x);
	assert_int_equal(run_quiet(add_other), 0);

	assert_int_equal(trust_command(&f->env, f->state, 4, inst), 0);
	/* ~/.pki/nssdb did not exist: created for Chrome. */
	assert_true(trust_path_exists(chrome));
	load_root(f);
	nss_flags(spec_chrome, f->root.name, flags, sizeof(flags));
	assert_string_equal(flags, "C,,");
	nss_flags(spec_ff, f->root.name, flags, sizeof(flags));
	assert_string_equal(flags, "C,,");
	nss_flags(spec_old, f->root.name, flags, sizeof(flags));
	assert_string_equal(flags, "C,,");

	assert_int_equal(trust_command(&f->env, f->state, 4, uninst), 0);
	nss_flags(spec_chrome, f->root.name, flags, sizeof(flags));
	assert_string_equal(flags, "");
	nss_flags(spec_ff, f->root.name, flags, sizeof(flags));
	assert_string_equal(flags, "");
	nss_flags(spec_old, f->root.name, flags, sizeof(flags));
	assert_string_equal(flags, "");
	nss_flags(spec_ff, "someone-else", flags, sizeof(flags));
	assert_string_equal(flags, "C,,");
}

static void
test_trust_nss_status_partly_trusted_reports_databases(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 a[PATH_MAX], b[PATH_MAX], spec[PATH_MAX + 8];

	if (!have_tool("certutil"))
		skip();
	use_real_tools(f);
	load_root(f);
	xsnprintf(a, sizeof(a), "%s/.pki/nssdb", f->home);
	xsnprintf(b, sizeof(b), "%s/.mozilla/firefox/x.default", f->home);
	mkpath(a, 0700);
	mkpath(b, 0700);
	xsnprintf(spec, sizeof(spec), "sql:%s", a);
	nss_newdb(spec);
	{
		char *add[] = { "certutil", "-A", "-d", spec, "-t", "C,,", "-n",
		    f->root.name, "-i", f->root.certfile, NULL };

		assert_int_equal(run_quiet(add), 0);
	}
	xsnprintf(spec, sizeof(spec), "sql:%s", b);
	nss_newdb(spec);
	assert_int_equal(trust_store_nss.status(&f->env, &st), 0);
	assert_true(st.found);
	assert_true(st.any);
	assert_false(st.trusted);
	assert_non_null(strstr(st.where, "x.default (not trusted)"));
}

/*
 * OpenSSL's hashed directory counts when there is no bundle; when the
 * bundle exists and lacks the root, a link alone is only "partly".
 */
static void
test_trust_system_status_hashed_link_counts_without_bundle(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 anchor[PATH_MAX], bundle[PATH_MAX];
	char			 h0[PATH_MAX], h1[PATH_MAX];
	X509			*x;
	FILE			*fp;

	make_debian_tools(f, false);
	deb_path(f, anchor, sizeof(anchor), "anchor");
	deb_path(f, bundle, sizeof(bundle), "bundle");
	write_root_cert(f, anchor, "w");
	/* .0 is someone else's root with the same subject hash. */
	xsnprintf(h0, sizeof(h0), "%s/etc/ssl/certs/%08lx.0", f->sysroot,
	    f->root.subject_hash);
	xsnprintf(h1, sizeof(h1), "%s/etc/ssl/certs/%08lx.1", f->sysroot,
	    f->root.subject_hash);
	x = make_root(NULL, "test_trust root");
	assert_non_null(fp = fopen(h0, "w"));
	PEM_write_X509(fp, x);
	fclose(fp);
	X509_free(x);
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_false(st.any);
	write_root_cert(f, h1, "w");
	memset(&st, 0, sizeof(st));
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_true(st.trusted);
	write_bundle(f, bundle, false);
	memset(&st, 0, sizeof(st));
	assert_int_equal(trust_store_system.status(&f->env, &st), 0);
	assert_false(st.trusted);
	assert_true(st.any);
}

/* certutil lists the root without the C flag: not trusted; install sets it. */
static void
test_trust_nss_entry_without_c_flag_is_repaired(void **state)
{
	struct fx		*f = *state;
	struct trust_status	 st = { 0 };
	char			 db[PATH_MAX], spec[PATH_MAX + 8], flags[32];
	char			*inst[] = { "trust", "install", "--stores", "nss",
	    NULL };
	char			*stat_argv[] = { "trust", "status", "--stores",
	    "nss", NULL };

	if (!have_tool("certutil"))
		skip();
	use_real_tools(f);
	load_root(f);
	xsnprintf(db, sizeof(db), "%s/.pki/nssdb", f->home);
	mkpath(db, 0700);
	xsnprintf(spec, sizeof(spec), "sql:%s", db);
	nss_newdb(spec);
	{
		char *add[] = { "certutil", "-A", "-d", spec, "-t", ",,", "-n",
		    f->root.name, "-i", f->root.certfile, NULL };

		assert_int_equal(run_quiet(add), 0);
	}
	assert_int_equal(trust_store_nss.status(&f->env, &st), 0);
	assert_true(st.found);
	assert_false(st.trusted);
	assert_int_equal(trust_command(&f->env, f->state, 4, stat_argv), 1);
	assert_int_equal(trust_command(&f->env, f->state, 4, inst), 0);
	nss_flags(spec, f->root.name, flags, sizeof(flags));
	assert_string_equal(flags, "C,,");
	assert_int_equal(trust_command(&f->env, f->state, 4, stat_argv), 0);
}

/* ---- Java ---- */

static void
test_trust_java_find_cacerts_follows_java_symlink(void **state)
{
	struct fx	*f = *state;
	char		 jdk[PATH_MAX], p[PATH_MAX], link[PATH_MAX], got[PATH_MAX];
	char		 want[PATH_MAX];

	xsnprintf(jdk, sizeof(jdk), "%s/jvm/jdk-21", f->dir);
	xsnprintf(p, sizeof(p), "%s/bin/java", jdk);
	mkfile(p, "#!/bin/sh\n", 0755);
	xsnprintf(want, sizeof(want), "%s/lib/security/cacerts", jdk);
	mkfile(want, "", 0644);
	/* /usr/bin/java -> /etc/alternatives/java -> the JDK, as on Debian. */
	xsnprintf(link, sizeof(link), "%s/alt-java", f->dir);
	assert_int_equal(symlink(p, link), 0);
	xsnprintf(p, sizeof(p), "%s/java", f->bin);
	assert_int_equal(symlink(link, p), 0);
	assert_true(trust_java_find_cacerts(&f->env, got, sizeof(got)));
	assert_string_equal(got, want);
}

static void
test_trust_java_find_cacerts_java_home_jdk8_layout(void **state)
{
	struct fx	*f = *state;
	char		 jh[PATH_MAX], want[PATH_MAX], got[PATH_MAX];

	xsnprintf(jh, sizeof(jh), "%s/jdk8", f->dir);
	xsnprintf(want, sizeof(want), "%s/jre/lib/security/cacerts", jh);
	mkfile(want, "", 0644);
	f->env.java_home = jh;
	assert_true(trust_java_find_cacerts(&f->env, got, sizeof(got)));
	assert_string_equal(got, want);
	f->env.java_home = f->dir;	/* no cacerts there */
	assert_false(trust_java_find_cacerts(&f->env, got, sizeof(got)));
}

/* Counts keystore entries with real keytool. */
static int
keystore_entries(const char *keytool, const char *ks)
{
	char	*argv[] = { (char *)keytool, "-list", "-keystore", (char *)ks,
	    "-storepass", "changeit", NULL };
	char	*out = NULL, *s;
	int	 n = -1;

	assert_int_equal(trust_exec_spawn(NULL, argv, &out), 0);
	if ((s = strstr(out, "Your keystore contains ")) != NULL)
		n = atoi(s + strlen("Your keystore contains "));
	free(out);
	return n;
}

static void
test_trust_java_install_uninstall_real_keytool(void **state)
{
	struct fx		*f = *state;
	struct trust_env	 e;
	struct trust_status	 st = { 0 };
	char			 real[PATH_MAX], jh[PATH_MAX], ks[PATH_MAX];
	char			 keytool[PATH_MAX], link[PATH_MAX];
	char			*inst[] = { "trust", "install", "--stores", "java",
	    NULL };
	char			*uninst[] = { "trust", "uninstall", "--stores",
	    "java", NULL };
	int			 before;

	trust_env_init(&e);
	e.out = e.err = f->err;
	if (!trust_java_find_cacerts(&e, real, sizeof(real)) ||
	    !trust_which(&e, "keytool", keytool, sizeof(keytool)))
		skip();
	/* JAVA_HOME is a temp tree: a copy of cacerts and the real keytool. */
	xsnprintf(jh, sizeof(jh), "%s/jdk", f->dir);
	xsnprintf(ks, sizeof(ks), "%s/lib/security/cacerts", jh);
	mkfile(ks, "", 0644);
	{
		char *cp[] = { "cp", real, ks, NULL };

		assert_int_equal(run_quiet(cp), 0);
	}
	xsnprintf(link, sizeof(link), "%s/bin", jh);
	mkpath(link, 0755);
	xsnprintf(link, sizeof(link), "%s/bin/keytool", jh);
	assert_int_equal(symlink(keytool, link), 0);
	use_real_tools(f);
	f->env.java_home = jh;
	before = keystore_entries(keytool, ks);
	assert_true(before > 0);

	assert_int_equal(trust_command(&f->env, f->state, 4, inst), 0);
	assert_int_equal(keystore_entries(keytool, ks), before + 1);
	load_root(f);
	assert_int_equal(trust_store_java.status(&f->env, &st), 0);
	assert_true(st.found);
	assert_true(st.trusted);
	assert_string_equal(st.where, ks);
	{
		char *list[] = { keytool, "-list", "-keystore", ks, "-storepass",
		    "changeit", "-alias", f->root.name, NULL };

		assert_int_equal(run_quiet(list), 0);
	}
	/* Twice is once. */
	assert_int_equal(trust_command(&f->env, f->state, 4, inst), 0);
	assert_int_equal(keystore_entries(keytool, ks), before + 1);

	assert_int_equal(trust_command(&f->env, f->state, 4, uninst), 0);
	assert_int_equal(keystore_entries(keytool, ks), before);
	memset(&st, 0, sizeof(st));
	assert_int_equal(trust_store_java.status(&f->env, &st), 0);
	assert_false(st.trusted);
}

/* ---- trust_root_installed_anywhere (the real environment, read-only) ---- */

static void
test_trust_root_installed_anywhere_follows_nss(void **state)
{
	struct fx	*f = *state;
	char		*saved = getenv("HOME") != NULL ?
	    strdup(getenv("HOME")) : NULL;
	char		*inst[] = { "trust", "install", "--stores", "nss", NULL };

	if (!have_tool("certutil"))
		skip();
	assert_int_equal(setenv("HOME", f->home, 1), 0);
	/* A fresh root is in no store of this machine. */
	assert_false(trust_root_installed_anywhere(f->pem));
	use_real_tools(f);
	assert_int_equal(trust_command(&f->env, f->state, 4, inst), 0);
	assert_true(trust_root_installed_anywhere(f->pem));
	if (saved != NULL)
		setenv("HOME", saved, 1);
	free(saved);
}

static void
test_trust_root_installed_anywhere_missing_file_is_false(void **state)
{
	struct fx	*f = *state;
	char		 p[PATH_MAX];

	xsnprintf(p, sizeof(p), "%s/none.pem", f->dir);
	assert_false(trust_root_installed_anywhere(p));
}

/* ---- runner ---- */

static void
test_trust_exec_spawn_captures_output_and_status(void **state)
{
	char	*argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char	*out = NULL;

	(void)state;
	assert_int_equal(trust_exec_spawn(NULL, argv, &out), 3);
	assert_non_null(out);
	assert_non_null(strstr(out, "out\n"));
	assert_non_null(strstr(out, "err\n"));
	free(out);
}

static void
test_trust_exec_spawn_missing_program_fails(void **state)
{
	char	*argv[] = { "/nonexistent/localacme-no-such-tool", NULL };
	char	*out = NULL;
	int	 st;

	(void)state;
	st = trust_exec_spawn(NULL, argv, &out);
	assert_true(st == -1 || st == 127);
	free(out);
}

static void
test_trust_exec_spawn_passes_argv_without_shell(void **state)
{
	char	*argv[] = { "printf", "%s|", "a b", "$HOME", ";rm", NULL };
	char	*out = NULL;

	(void)state;
	assert_int_equal(trust_exec_spawn(NULL, argv, &out), 0);
	assert_string_equal(out, "a b|$HOME|;rm|");
	free(out);
}

static void
test_trust_print_argv_quotes_what_the_shell_would_split(void **state)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);
	char	*argv[] = { "certutil", "-d", "sql:/home/a b/.pki", "it's", NULL };

	(void)state;
	assert_non_null(fp);
	trust_print_argv(fp, "  ", argv);
	fclose(fp);
	assert_string_equal(buf,
	    "  certutil -d 'sql:/home/a b/.pki' 'it'\\''s'\n");
	free(buf);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_trust_root_load_missing_file_is_enoent),
		T(test_trust_root_load_name_is_sha256_prefix),
		T(test_trust_root_load_certfile_has_only_the_certificate),
		T(test_trust_root_certfile_stays_in_state_dir),
		T(test_trust_root_file_matches_other_root_is_false),
		T(test_trust_command_no_ca_prints_init_hint),
		T(test_trust_command_unknown_verb_says_unknown_action),
		T(test_trust_command_unknown_store_is_usage),
		T(test_trust_parse_stores_list_selects_named),
		T(test_trust_command_env_trust_stores_limits_status),
		T(test_trust_command_flag_overrides_env_stores),
		T(test_trust_command_status_one_line_per_store),
		T(test_trust_command_explicit_missing_store_fails),
		T(test_trust_command_failing_tool_names_store_and_others_still_run),
		T(test_trust_command_no_store_found_fails),
		T(test_trust_system_debian_runs_update_ca_certificates),
		T(test_trust_system_fedora_runs_update_ca_trust_extract),
		T(test_trust_system_arch_runs_trust_extract_compat),
		T(test_trust_system_opensuse_uses_etc_pki_trust_anchors),
		T(test_trust_system_anchors_without_tool_is_not_found),
		T(test_trust_system_not_root_uses_sudo_and_says_so),
		T(test_trust_system_not_root_without_sudo_prints_commands),
		T(test_trust_system_uninstall_removes_only_our_file),
		T(test_trust_system_uninstall_not_installed_runs_nothing),
		T(test_trust_system_status_anchor_without_bundle_is_not_trusted),
		T(test_trust_system_status_trusted_when_bundle_holds_root),
		T(test_trust_system_status_hashed_link_counts_without_bundle),
		T(test_trust_system_install_repairs_anchor_without_bundle),
		T(test_trust_system_uninstall_repairs_bundle_without_anchor),
		T(test_trust_command_status_json_reports_each_store),
		T(test_trust_system_printed_run_as_root_file_exists_afterwards),
		T(test_trust_install_sigterm_leaves_no_temp_file),
		T(test_trust_install_sigint_leaves_no_temp_file),
		T(test_trust_macos_install_adds_trusted_cert_to_system_keychain),
		T(test_trust_macos_uninstall_removes_trust_and_deletes_by_sha1),
		T(test_trust_macos_status_trusted_by_sha1),
		T(test_trust_windows_is_wsl_detects_microsoft_kernel),
		T(test_trust_windows_install_converts_path_and_adds_to_user_root),
		T(test_trust_windows_uninstall_deletes_by_sha1),
		T(test_trust_windows_not_wsl_is_not_found),
		T(test_trust_nss_find_dbs_every_profile_layout),
		T(test_trust_nss_find_dbs_empty_home_finds_none),
		T(test_trust_nss_status_without_certutil_is_not_found),
		T(test_trust_nss_install_uninstall_real_certutil),
		T(test_trust_nss_status_partly_trusted_reports_databases),
		T(test_trust_nss_entry_without_c_flag_is_repaired),
		T(test_trust_java_find_cacerts_follows_java_symlink),
		T(test_trust_java_find_cacerts_java_home_jdk8_layout),
		T(test_trust_java_install_uninstall_real_keytool),
		T(test_trust_root_installed_anywhere_follows_nss),
		T(test_trust_root_installed_anywhere_missing_file_is_false),
		T(test_trust_exec_spawn_captures_output_and_status),
		T(test_trust_exec_spawn_missing_program_fails),
		T(test_trust_exec_spawn_passes_argv_without_shell),
		T(test_trust_print_argv_quotes_what_the_shell_would_split),
	};

	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
