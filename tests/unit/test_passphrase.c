/* test_passphrase.c - unit tests of src/ca/passphrase.c and the encrypted root key (keys.c, ca.c, ca_rotate.c): sources, refusals, wiping, PBES2 */
/* SPDX-License-Identifier: MIT */
/*
 * Covers HARDENING.md §6.1 P2/P6/P7 and the unit side of KP5: a
 * passphrase comes only from a private file, a systemd credential or a
 * terminal with echo off; a readable file, a wrong passphrase or a
 * passphrase in the environment is a clear error, never a fallback.
 */
#define _XOPEN_SOURCE 700	/* posix_openpt, grantpt, unlockpt, ptsname */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"
#include "keys.h"
#include "passphrase.h"
#include "testutil.h"

#define SECRET	"correct horse battery staple"

struct fx {
	char	 dir[64];
	char	 path[PATH_MAX];	/* <dir>/pass */
	char	 cred[PATH_MAX];	/* <dir>/cred (a credentials dir) */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_passphrase.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/pass", f->dir);
	snprintf(f->cred, sizeof(f->cred), "%s/cred", f->dir);
	if (mkdir(f->cred, 0700) == -1)
		return -1;
	*state = f;
	return 0;
}

static void
rm_tree(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	struct stat	 st;
	char		 p[PATH_MAX];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	rm_tree(f->dir);
	free(f);
	unsetenv("LOCALACME_ROOT_PASSPHRASE");
	return 0;
}

/* Write `data` to path with `mode` (exactly, whatever the umask). */
static void
put(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
put_str(const char *path, const char *s, mode_t mode)
{
	put(path, s, strlen(s), mode);
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---- files ---- */

static void
test_passphrase_file_0600_reads_one_line(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, SECRET "\n", 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), 0);
	assert_int_equal(pp.len, strlen(SECRET));
	assert_string_equal(pp.buf, SECRET);
	passphrase_clear(&pp);
}

static void
test_passphrase_file_0400_without_newline_accepted(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, SECRET, 0400);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), 0);
	assert_string_equal(pp.buf, SECRET);
	passphrase_clear(&pp);
}

static void
test_passphrase_file_crlf_dropped(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, SECRET "\r\n", 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), 0);
	assert_string_equal(pp.buf, SECRET);
	passphrase_clear(&pp);
}

static void
test_passphrase_file_0644_refused_naming_file(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, SECRET "\n", 0644);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "0644"));
	assert_null(strstr(err, "horse"));
	assert_int_equal(pp.len, 0);
	assert_true(all_zero(pp.buf, sizeof(pp.buf)));
}

static void
test_passphrase_file_group_readable_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, SECRET "\n", 0640);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "0640"));
}

static void
test_passphrase_file_symlink_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512], link[PATH_MAX];

	put_str(f->path, SECRET "\n", 0600);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(passphrase_read_file(link, &pp, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "symbolic link"));
}

static void
test_passphrase_file_foreign_owner_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	if (geteuid() != 0)
		skip();	/* chown to another uid needs root (CI is root) */
	put_str(f->path, SECRET "\n", 0600);
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "owned by uid 65534"));
}

static void
test_passphrase_file_directory_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	assert_int_equal(passphrase_read_file(f->cred, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

static void
test_passphrase_file_missing_names_file(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, f->path));
}

static void
test_passphrase_file_two_lines_refused_unquoted(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, "first-line\ntopsecret\n", 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "one line"));
	assert_null(strstr(err, "topsecret"));
	assert_null(strstr(err, "first-line"));
	assert_true(all_zero(pp.buf, sizeof(pp.buf)));
}

static void
test_passphrase_file_empty_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, "\n", 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
}

static void
test_passphrase_file_max_length_accepted(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512], *buf = malloc(PASSPHRASE_MAX + 1);

	memset(buf, 'a', PASSPHRASE_MAX);
	buf[PASSPHRASE_MAX] = '\n';
	put(f->path, buf, PASSPHRASE_MAX + 1, 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), 0);
	assert_int_equal(pp.len, PASSPHRASE_MAX);
	passphrase_clear(&pp);
	free(buf);
}

static void
test_passphrase_file_too_long_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase	 pp;
	char			 err[512], *buf = malloc(PASSPHRASE_MAX + 2);

	/* One byte too many, with or without a newline after it. */
	memset(buf, 'a', PASSPHRASE_MAX + 1);
	put(f->path, buf, PASSPHRASE_MAX + 1, 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
	buf[PASSPHRASE_MAX + 1] = '\n';
	put(f->path, buf, PASSPHRASE_MAX + 2, 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	/* A full line followed by a second one. */
	buf[PASSPHRASE_MAX] = '\n';
	put(f->path, buf, PASSPHRASE_MAX + 2, 0600);
	assert_int_equal(passphrase_read_file(f->path, &pp, err,
	    sizeof(err)), -1);
	free(buf);
}

static void
test_passphrase_clear_wipes_buffer(void **state)
{
	struct passphrase pp;

	(void)state;
	memset(pp.buf, 'x', sizeof(pp.buf));
	pp.len = 12;
	passphrase_clear(&pp);
	assert_int_equal(pp.len, 0);
	assert_true(all_zero(pp.buf, sizeof(pp.buf)));
	passphrase_clear(NULL);
}

/* ---- passphrase_get: the order of sources ---- */

static void
write_credential(struct fx *f, const char *s, mode_t mode)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", f->cred, PASSPHRASE_CREDENTIAL);
	put_str(p, s, mode);
}

static void
test_passphrase_get_file_before_credential(void **state)
{
	struct fx		*f = *state;
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	enum passphrase_source	 src;
	char			 err[512];

	put_str(f->path, "from-the-file\n", 0600);
	write_credential(f, "from-systemd\n", 0400);
	o.file = f->path;
	o.cred_dir = f->cred;
	assert_int_equal(passphrase_get(&o, &pp, &src, err, sizeof(err)), 0);
	assert_int_equal(src, PASSPHRASE_SRC_FILE);
	assert_string_equal(pp.buf, "from-the-file");
	passphrase_clear(&pp);
}

static void
test_passphrase_get_systemd_credential_used(void **state)
{
	struct fx		*f = *state;
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	enum passphrase_source	 src;
	char			 err[512];

	write_credential(f, "from-systemd\n", 0400);
	o.cred_dir = f->cred;
	assert_int_equal(passphrase_get(&o, &pp, &src, err, sizeof(err)), 0);
	assert_int_equal(src, PASSPHRASE_SRC_CREDENTIAL);
	assert_string_equal(pp.buf, "from-systemd");
	passphrase_clear(&pp);
}

static void
test_passphrase_get_readable_credential_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	enum passphrase_source	 src;
	char			 err[512];

	write_credential(f, "from-systemd\n", 0444);
	o.cred_dir = f->cred;
	assert_int_equal(passphrase_get(&o, &pp, &src, err, sizeof(err)), -1);
	assert_int_equal(src, PASSPHRASE_SRC_CREDENTIAL);
	assert_non_null(strstr(err, PASSPHRASE_CREDENTIAL));
	assert_non_null(strstr(err, "0444"));
}

static void
test_passphrase_get_foreign_credential_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	char			 err[512], p[PATH_MAX + 64];

	if (geteuid() != 0)
		skip();	/* chown to another uid needs root (CI is root) */
	write_credential(f, "from-systemd\n", 0400);
	snprintf(p, sizeof(p), "%s/%s", f->cred, PASSPHRASE_CREDENTIAL);
	assert_int_equal(chown(p, 65534, 65534), 0);
	o.cred_dir = f->cred;
	assert_int_equal(passphrase_get(&o, &pp, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "owned by uid 65534"));
}

static void
test_passphrase_get_empty_credentials_dir_no_source(void **state)
{
	struct fx		*f = *state;
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	enum passphrase_source	 src = PASSPHRASE_SRC_FILE;
	char			 err[512];

	o.cred_dir = f->cred;	/* exists, but holds no credential of ours */
	assert_int_equal(passphrase_get(&o, &pp, &src, err, sizeof(err)), -1);
	assert_int_equal(src, PASSPHRASE_SRC_NONE);
	assert_non_null(strstr(err, "--root-passphrase-file"));
	assert_non_null(strstr(err, PASSPHRASE_CREDENTIAL));
}

static void
test_passphrase_get_environment_never_used(void **state)
{
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	enum passphrase_source	 src = PASSPHRASE_SRC_FILE;
	char			 err[512];

	(void)state;
	assert_int_equal(setenv("LOCALACME_ROOT_PASSPHRASE", SECRET, 1), 0);
	assert_int_equal(passphrase_get(&o, &pp, &src, err, sizeof(err)), -1);
	assert_int_equal(src, PASSPHRASE_SRC_NONE);
	assert_int_equal(pp.len, 0);
	assert_non_null(strstr(err, "environment is never used"));
	assert_null(strstr(err, "horse"));
	assert_null(strchr(err, '\n'));
}

static void
test_passphrase_get_too_short_refused(void **state)
{
	struct fx		*f = *state;
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	char			 err[512];

	put_str(f->path, "short\n", 0600);
	o.file = f->path;
	o.min_len = PASSPHRASE_MIN_NEW;
	assert_int_equal(passphrase_get(&o, &pp, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too short"));
	assert_true(all_zero(pp.buf, sizeof(pp.buf)));
}

static void
test_passphrase_get_bad_tty_path_no_source(void **state)
{
	struct fx		*f = *state;
	struct passphrase_opts	 o = { 0 };
	struct passphrase	 pp;
	enum passphrase_source	 src = PASSPHRASE_SRC_FILE;
	char			 err[512];

	/* A regular file is not a terminal: never "read" a passphrase there. */
	put_str(f->path, SECRET "\n", 0600);
	o.tty = f->path;
	assert_int_equal(passphrase_get(&o, &pp, &src, err, sizeof(err)), -1);
	assert_int_equal(src, PASSPHRASE_SRC_NONE);
	assert_int_equal(pp.len, 0);
}

/* ---- the terminal, through a pseudo-terminal ---- */

struct tty_job {
	char			 slave[128];
	struct passphrase_opts	 o;
	struct passphrase	 pp;
	enum passphrase_source	 src;
	char			 err[512];
	int			 rc;
};

static void *
tty_thread(void *arg)
{
	struct tty_job *j = arg;

	j->rc = passphrase_get(&j->o, &j->pp, &j->src, j->err,
	    sizeof(j->err));
	return NULL;
}

/*
 * Append what the master side shows to out until `want` appears (a
 * safety bound of 10 s against a hang; not a timing assertion).
 */
static void
read_until(int master, char *out, size_t outsz, size_t *off, const char *want)
{
	struct pollfd	 pfd = { master, POLLIN, 0 };
	ssize_t		 r;

	while (strstr(out, want) == NULL) {
		assert_true(poll(&pfd, 1, 10000) == 1);
		r = read(master, out + *off, outsz - 1 - *off);
		assert_true(r > 0);
		*off += (size_t)r;
		out[*off] = '\0';
	}
}

static int
open_pty(struct tty_job *j, int *slave_fd)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	assert_true(m != -1);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	snprintf(j->slave, sizeof(j->slave), "%s", ptsname(m));
	/* Held open so the terminal's settings can be read afterwards. */
	*slave_fd = open(j->slave, O_RDWR | O_NOCTTY);
	assert_true(*slave_fd != -1);
	return m;
}

static void
test_passphrase_tty_echo_off_and_restored(void **state)
{
	struct tty_job	*j = calloc(1, sizeof(*j));
	struct termios	 t;
	pthread_t	 th;
	char		 shown[4096] = "";
	size_t		 off = 0;
	int		 m, s;

	(void)state;
	m = open_pty(j, &s);
	j->o.tty = j->slave;
	j->o.prompt = "Pass: ";
	assert_int_equal(pthread_create(&th, NULL, tty_thread, j), 0);
	read_until(m, shown, sizeof(shown), &off, "Pass: ");
	assert_int_equal(write(m, SECRET "\n", strlen(SECRET) + 1),
	    (ssize_t)strlen(SECRET) + 1);
	read_until(m, shown, sizeof(shown), &off, "Pass: \r\n");
	pthread_join(th, NULL);
	assert_int_equal(j->rc, 0);
	assert_int_equal(j->src, PASSPHRASE_SRC_TTY);
	assert_string_equal(j->pp.buf, SECRET);
	/* Echo was off: the terminal never showed what was typed. */
	assert_null(strstr(shown, "horse"));
	/* ... and is back on now. */
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	passphrase_clear(&j->pp);
	close(s);
	close(m);
	free(j);
}

static void
test_passphrase_tty_confirm_mismatch_fails(void **state)
{
	struct tty_job	*j = calloc(1, sizeof(*j));
	pthread_t	 th;
	char		 shown[4096] = "";
	size_t		 off = 0;
	int		 m, s;

	(void)state;
	m = open_pty(j, &s);
	j->o.tty = j->slave;
	j->o.prompt = "New: ";
	j->o.confirm = true;
	j->o.min_len = PASSPHRASE_MIN_NEW;
	assert_int_equal(pthread_create(&th, NULL, tty_thread, j), 0);
	read_until(m, shown, sizeof(shown), &off, "New: ");
	assert_true(write(m, "first-passphrase\n", 17) == 17);
	read_until(m, shown, sizeof(shown), &off, "again: ");
	assert_true(write(m, "other-passphrase\n", 17) == 17);
	pthread_join(th, NULL);
	assert_int_equal(j->rc, -1);
	assert_non_null(strstr(j->err, "differ"));
	assert_true(all_zero(j->pp.buf, sizeof(j->pp.buf)));
	close(s);
	close(m);
	free(j);
}

static void
test_passphrase_tty_confirm_match_accepted(void **state)
{
	struct tty_job	*j = calloc(1, sizeof(*j));
	pthread_t	 th;
	char		 shown[4096] = "";
	size_t		 off = 0;
	int		 m, s;

	(void)state;
	m = open_pty(j, &s);
	j->o.tty = j->slave;
	j->o.prompt = "New: ";
	j->o.confirm = true;
	j->o.min_len = PASSPHRASE_MIN_NEW;
	assert_int_equal(pthread_create(&th, NULL, tty_thread, j), 0);
	read_until(m, shown, sizeof(shown), &off, "New: ");
	assert_true(write(m, "same-passphrase\n", 16) == 16);
	read_until(m, shown, sizeof(shown), &off, "again: ");
	assert_true(write(m, "same-passphrase\n", 16) == 16);
	pthread_join(th, NULL);
	assert_int_equal(j->rc, 0);
	assert_string_equal(j->pp.buf, "same-passphrase");
	passphrase_clear(&j->pp);
	close(s);
	close(m);
	free(j);
}

/* ---- the encrypted key format (keys.c) ---- */

static char *
read_whole(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*buf = calloc(1, 65536);
	size_t	 n;

	assert_non_null(fp);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_passphrase_encrypted_pem_is_pbes2_scrypt_aes256(void **state)
{
	EVP_PKEY		*k = tu_key_ec256();
	char			*pem;
	size_t			 len = 0;
	BIO			*bio;
	X509_SIG		*p8;
	const X509_ALGOR	*alg;
	const ASN1_OBJECT	*oid;
	const void		*pval;
	int			 ptype;
	PBE2PARAM		*pbe2;

	(void)state;
	pem = keys_private_pem_encrypted(k, SECRET, strlen(SECRET), &len);
	assert_non_null(pem);
	assert_non_null(strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	assert_null(strstr(pem, "BEGIN PRIVATE KEY"));
	bio = BIO_new_mem_buf(pem, (int)len);
	p8 = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL);
	assert_non_null(p8);
	X509_SIG_get0(p8, &alg, NULL);
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	/* RFC 8018 §6.2 PBES2, RFC 7914 §7 scrypt, AES-256-CBC. */
	assert_int_equal(OBJ_obj2nid(oid), NID_pbes2);
	assert_int_equal(ptype, V_ASN1_SEQUENCE);
	pbe2 = ASN1_item_unpack(pval, ASN1_ITEM_rptr(PBE2PARAM));
	assert_non_null(pbe2);
	assert_int_equal(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_scrypt);
	assert_int_equal(OBJ_obj2nid(pbe2->encryption->algorithm),
	    NID_aes_256_cbc);
	PBE2PARAM_free(pbe2);
	X509_SIG_free(p8);
	BIO_free(bio);
	free(pem);
	EVP_PKEY_free(k);
}

static void
test_passphrase_encrypted_key_round_trip(void **state)
{
	struct fx	*f = *state;
	EVP_PKEY	*k = tu_key_ec256(), *l;
	char		 err[512];
	struct stat	 st;

	assert_int_equal(keys_write_private_encrypted(f->path, k, SECRET,
	    strlen(SECRET), false, err, sizeof(err)), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	l = keys_load_private_pass(f->path, SECRET, strlen(SECRET), err,
	    sizeof(err));
	assert_non_null(l);
	assert_int_equal(EVP_PKEY_eq(k, l), 1);
	EVP_PKEY_free(l);
	EVP_PKEY_free(k);
}

static void
test_passphrase_encrypted_key_wrong_passphrase_rejected(void **state)
{
	struct fx	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	char		 err[512];

	assert_int_equal(keys_write_private_encrypted(f->path, k, SECRET,
	    strlen(SECRET), false, err, sizeof(err)), 0);
	assert_null(keys_load_private_pass(f->path, "not the passphrase", 18,
	    err, sizeof(err)));
	assert_int_equal(errno, EKEYREJECTED);
	assert_non_null(strstr(err, "wrong passphrase"));
	assert_non_null(strstr(err, f->path));
	EVP_PKEY_free(k);
}

static void
test_passphrase_encrypted_key_without_passphrase_enokey(void **state)
{
	struct fx	*f = *state;
	EVP_PKEY	*k = tu_key_ec256();
	char		 err[512];

	assert_int_equal(keys_write_private_encrypted(f->path, k, SECRET,
	    strlen(SECRET), false, err, sizeof(err)), 0);
	assert_null(keys_load_private(f->path, err, sizeof(err)));
	assert_int_equal(errno, ENOKEY);
	assert_non_null(strstr(err, "encrypted"));
	EVP_PKEY_free(k);
}

/* ---- the CA with an encrypted root (ca.c, ca_rotate.c) ---- */

static struct ca *
open_ca(struct fx *f, const char *root_pass)
{
	struct ca_create_opts	 o = { KEYS_EC256, NULL, NULL };
	struct passphrase	 pp;
	struct ca		*ca;
	char			 err[1024];

	if (root_pass != NULL) {
		snprintf(pp.buf, sizeof(pp.buf), "%s", root_pass);
		pp.len = strlen(root_pass);
		o.root_pass = &pp;
	}
	ca = ca_open(f->dir, true, &o, NULL, err, sizeof(err));
	if (ca == NULL)
		fail_msg("ca_open: %s", err);
	passphrase_clear(&pp);
	return ca;
}

static char *
root_key_path(struct fx *f, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/root.key", f->dir);
	return buf;
}

static void
test_passphrase_ca_encrypted_root_written_encrypted(void **state)
{
	struct fx	*f = *state;
	struct ca	*ca = open_ca(f, SECRET);
	char		 p[PATH_MAX], *pem;

	pem = read_whole(root_key_path(f, p, sizeof(p)));
	assert_non_null(strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	free(pem);
	/* intermediate.key stays usable without a passphrase (serve). */
	snprintf(p, sizeof(p), "%s/intermediate.key", f->dir);
	pem = read_whole(p);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	free(pem);
	ca_free(ca);
}

static void
test_passphrase_ca_no_source_rotation_pending(void **state)
{
	struct fx	*f = *state;
	struct ca	*ca = open_ca(f, SECRET);
	char		*before = strdup(ca_chain_pem(ca)), err[1024];
	bool		 rotated = true;

	assert_int_equal(ca_set_root_passphrase(ca, NULL, NULL, NULL), 0);
	assert_int_equal(ca_rotate(ca, time(NULL), true, &rotated, err,
	    sizeof(err)), -1);
	assert_false(rotated);
	assert_true(strncmp(err, "pending:", 8) == 0);
	assert_non_null(strstr(err, "--rotate-intermediate"));
	assert_string_equal(ca_chain_pem(ca), before);
	free(before);
	ca_free(ca);
}

static void
test_passphrase_ca_file_source_rotates(void **state)
{
	struct fx	*f = *state;
	struct ca	*ca = open_ca(f, SECRET);
	char		*before = strdup(ca_chain_pem(ca)), err[1024];
	bool		 rotated = false;

	put_str(f->path, SECRET "\n", 0400);
	assert_int_equal(ca_set_root_passphrase(ca, f->path, NULL, NULL), 0);
	assert_int_equal(ca_rotate(ca, time(NULL), true, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	assert_string_not_equal(ca_chain_pem(ca), before);
	free(before);
	ca_free(ca);
}

static void
test_passphrase_ca_credential_source_rotates(void **state)
{
	struct fx	*f = *state;
	struct ca	*ca = open_ca(f, SECRET);
	char		 err[1024];
	bool		 rotated = false;

	write_credential(f, SECRET "\n", 0400);
	assert_int_equal(ca_set_root_passphrase(ca, NULL, f->cred, NULL), 0);
	assert_int_equal(ca_rotate(ca, time(NULL), true, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	ca_free(ca);
}

static void
test_passphrase_ca_wrong_passphrase_keeps_intermediate(void **state)
{
	struct fx	*f = *state;
	struct ca	*ca = open_ca(f, SECRET);
	char		*before = strdup(ca_chain_pem(ca)), err[1024];
	char		 p[PATH_MAX], *pem_before, *pem_after;
	bool		 rotated = true;

	snprintf(p, sizeof(p), "%s/intermediate.pem", f->dir);
	pem_before = read_whole(p);
	put_str(f->path, "wrong passphrase\n", 0600);
	assert_int_equal(ca_set_root_passphrase(ca, f->path, NULL, NULL), 0);
	assert_int_equal(ca_rotate(ca, time(NULL), true, &rotated, err,
	    sizeof(err)), -1);
	assert_false(rotated);
	assert_non_null(strstr(err, "wrong passphrase"));
	assert_string_equal(ca_chain_pem(ca), before);
	pem_after = read_whole(p);
	assert_string_equal(pem_after, pem_before);
	free(pem_before);
	free(pem_after);
	free(before);
	ca_free(ca);
}

static void
test_passphrase_ca_readable_passphrase_file_refused(void **state)
{
	struct fx	*f = *state;
	struct ca	*ca = open_ca(f, SECRET);
	char		 err[1024];
	bool		 rotated = true;

	put_str(f->path, SECRET "\n", 0644);
	assert_int_equal(ca_set_root_passphrase(ca, f->path, NULL, NULL), 0);
	assert_int_equal(ca_rotate(ca, time(NULL), true, &rotated, err,
	    sizeof(err)), -1);
	assert_false(rotated);
	assert_non_null(strstr(err, "0644"));
	ca_free(ca);
}

static void
test_passphrase_ca_not_due_never_reads_passphrase(void **state)
{
	struct fx	*f = *state;
	struct ca	*ca = open_ca(f, SECRET);
	char		 err[1024];
	bool		 rotated = true;

	/* A file that would be refused: not touched when nothing is due. */
	put_str(f->path, SECRET "\n", 0644);
	assert_int_equal(ca_set_root_passphrase(ca, f->path, NULL, NULL), 0);
	assert_int_equal(ca_maybe_rotate(ca, time(NULL), &rotated, err,
	    sizeof(err)), 0);
	assert_false(rotated);
	ca_free(ca);
}

static void
test_passphrase_ca_encrypt_existing_root(void **state)
{
	struct fx		*f = *state;
	struct ca		*ca = open_ca(f, NULL);
	struct passphrase_opts	 o = { 0 };
	char			 err[1024], p[PATH_MAX], *pem;
	bool			 already = true, rotated = false;

	put_str(f->path, SECRET "\n", 0600);
	o.file = f->path;
	o.min_len = PASSPHRASE_MIN_NEW;
	assert_int_equal(ca_encrypt_root(ca, &o, &already, err, sizeof(err)),
	    0);
	assert_false(already);
	pem = read_whole(root_key_path(f, p, sizeof(p)));
	assert_non_null(strstr(pem, "ENCRYPTED PRIVATE KEY"));
	free(pem);
	assert_int_equal(ca_encrypt_root(ca, &o, &already, err, sizeof(err)),
	    0);
	assert_true(already);
	/* The encrypted key still signs intermediates. */
	assert_int_equal(ca_set_root_passphrase(ca, f->path, NULL, NULL), 0);
	assert_int_equal(ca_rotate(ca, time(NULL), true, &rotated, err,
	    sizeof(err)), 0);
	assert_true(rotated);
	ca_free(ca);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_passphrase_file_0600_reads_one_line),
		T(test_passphrase_file_0400_without_newline_accepted),
		T(test_passphrase_file_crlf_dropped),
		T(test_passphrase_file_0644_refused_naming_file),
		T(test_passphrase_file_group_readable_refused),
		T(test_passphrase_file_symlink_refused),
		T(test_passphrase_file_foreign_owner_refused),
		T(test_passphrase_file_directory_refused),
		T(test_passphrase_file_missing_names_file),
		T(test_passphrase_file_two_lines_refused_unquoted),
		T(test_passphrase_file_empty_refused),
		T(test_passphrase_file_max_length_accepted),
		T(test_passphrase_file_too_long_refused),
		T(test_passphrase_clear_wipes_buffer),
		T(test_passphrase_get_file_before_credential),
		T(test_passphrase_get_systemd_credential_used),
		T(test_passphrase_get_readable_credential_refused),
		T(test_passphrase_get_foreign_credential_refused),
		T(test_passphrase_get_empty_credentials_dir_no_source),
		T(test_passphrase_get_environment_never_used),
		T(test_passphrase_get_too_short_refused),
		T(test_passphrase_get_bad_tty_path_no_source),
		T(test_passphrase_tty_echo_off_and_restored),
		T(test_passphrase_tty_confirm_mismatch_fails),
		T(test_passphrase_tty_confirm_match_accepted),
		T(test_passphrase_encrypted_pem_is_pbes2_scrypt_aes256),
		T(test_passphrase_encrypted_key_round_trip),
		T(test_passphrase_encrypted_key_wrong_passphrase_rejected),
		T(test_passphrase_encrypted_key_without_passphrase_enokey),
		T(test_passphrase_ca_encrypted_root_written_encrypted),
		T(test_passphrase_ca_no_source_rotation_pending),
		T(test_passphrase_ca_file_source_rotates),
		T(test_passphrase_ca_credential_source_rotates),
		T(test_passphrase_ca_wrong_passphrase_keeps_intermediate),
		T(test_passphrase_ca_readable_passphrase_file_refused),
		T(test_passphrase_ca_not_due_never_reads_passphrase),
		T(test_passphrase_ca_encrypt_existing_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
