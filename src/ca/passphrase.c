/* passphrase.c - the root key's passphrase: from a private file, systemd credentials or the terminal, never argv or environment */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "passphrase.h"

void
passphrase_clear(struct passphrase *pp)
{
	if (pp == NULL)
		return;
	OPENSSL_cleanse(pp->buf, sizeof(pp->buf));
	pp->len = 0;
}

const char *
passphrase_source_name(enum passphrase_source src)
{
	switch (src) {
	case PASSPHRASE_SRC_FILE:
		return "file";
	case PASSPHRASE_SRC_CREDENTIAL:
		return "systemd credential";
	case PASSPHRASE_SRC_TTY:
		return "terminal";
	case PASSPHRASE_SRC_NONE:
		break;
	}
	return "none";
}

/* One line, no NUL, not empty; the caller has dropped the newline. */
static int
check_line(const struct passphrase *pp, const char *what, char *err,
    size_t errsz)
{
	if (pp->len == 0) {
		snprintf(err, errsz, "%s: the passphrase is empty", what);
		return -1;
	}
	if (memchr(pp->buf, '\0', pp->len) != NULL ||
	    memchr(pp->buf, '\n', pp->len) != NULL ||
	    memchr(pp->buf, '\r', pp->len) != NULL) {
		snprintf(err, errsz, "%s: the passphrase must be one line of "
		    "text", what);
		return -1;
	}
	return 0;
}

/*
 * root_ok: a systemd credential may belong to root when systemd grants
 * the service user access by ACL instead of chown (systemd.exec(5)).
 */
static int
read_file(const char *path, bool root_ok, struct passphrase *pp, char *err,
    size_t errsz)
{
	struct stat	 st;
	ssize_t		 r;
	int		 fd, rc = -1;

	passphrase_clear(pp);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(err, errsz, "passphrase file %s: is a "
			    "symbolic link; refusing it", path);
		else
			snprintf(err, errsz, "passphrase file %s: %s", path,
			    strerror(errno));
		return -1;
	}
	/* fstat on the opened fd: no window between check and use (P3). */
	if (fstat(fd, &st) == -1) {
		snprintf(err, errsz, "passphrase file %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "passphrase file %s: not a regular file; "
		    "refusing it", path);
		goto out;
	}
	if (st.st_uid != geteuid() && !(root_ok && st.st_uid == 0)) {
		snprintf(err, errsz, "passphrase file %s: owned by uid %lu, "
		    "not by us (uid %lu); refusing it", path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errsz, "passphrase file %s: mode %04o lets "
		    "others read it; refusing it (chmod 400 or 600)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* Read one byte more than allowed to tell "too long". */
	while (pp->len < sizeof(pp->buf)) {
		r = read(fd, pp->buf + pp->len, sizeof(pp->buf) - pp->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errsz, "passphrase file %s: read: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		pp->len += (size_t)r;
	}
	if (pp->len == sizeof(pp->buf)) {
		char extra;

		/* Full: anything more is a second line or too long. */
		while ((r = read(fd, &extra, 1)) == -1 && errno == EINTR)
			;
		if (r != 0) {
			snprintf(err, errsz, "passphrase file %s: longer than "
			    "%d bytes", path, PASSPHRASE_MAX);
			goto out;
		}
	}
	if (pp->len > 0 && pp->buf[pp->len - 1] == '\n')
		pp->len--;
	if (pp->len > 0 && pp->buf[pp->len - 1] == '\r')
		pp->len--;
	if (pp->len > PASSPHRASE_MAX) {
		snprintf(err, errsz, "passphrase file %s: longer than %d "
		    "bytes", path, PASSPHRASE_MAX);
		goto out;
	}
	pp->buf[pp->len] = '\0';
	{
		char what[PATH_MAX + 32];

		snprintf(what, sizeof(what), "passphrase file %s", path);
		if (check_line(pp, what, err, errsz) == -1)
			goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc == -1)
		passphrase_clear(pp);
	return rc;
}

int
passphrase_read_file(const char *path, struct passphrase *pp, char *err,
    size_t errsz)
{
	return read_file(path, false, pp, err, errsz);
}

/* The signals that must not leave the terminal with echo off. */
static const int tty_sigs[] = {
	SIGINT, SIGHUP, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU
};
#define NTTY_SIGS	(sizeof(tty_sigs) / sizeof(tty_sigs[0]))

static volatile sig_atomic_t tty_signo;

static void
tty_catch(int signo)
{
	tty_signo = signo;
}

static int
write_all(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, s, len);
		if (w == -1 && errno == EINTR && tty_signo == 0)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Prompt on an open terminal fd with echo off (OpenBSD readpassphrase in
 * spirit): canonical mode keeps line editing, our handlers make read(2)
 * return EINTR so the terminal is restored before the signal is re-raised.
 */
static int
read_tty_fd(int fd, const char *prompt, struct passphrase *pp, char *err,
    size_t errsz)
{
	struct termios	 old, quiet;
	struct sigaction sa, saved[NTTY_SIGS];
	bool		 restore = false, toolong = false;
	char		 c;
	ssize_t		 r;
	int		 rc = -1, signo;

	passphrase_clear(pp);
	if (tcgetattr(fd, &old) == -1) {
		snprintf(err, errsz, "cannot prompt for the passphrase: not a "
		    "terminal");
		return -1;
	}
	tty_signo = 0;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = tty_catch;	/* no SA_RESTART: read gets EINTR */
	for (size_t i = 0; i < NTTY_SIGS; i++)
		(void)sigaction(tty_sigs[i], &sa, &saved[i]);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1) {
		snprintf(err, errsz, "cannot turn off echo on the terminal: %s",
		    strerror(errno));
		goto out;
	}
	restore = true;
	if (write_all(fd, prompt, strlen(prompt)) == -1)
		goto interrupted;
	for (;;) {
		if (tty_signo != 0)	/* arrived outside read(2) */
			goto interrupted;
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR && tty_signo == 0)
			continue;
		if (r == -1)
			goto interrupted;
		if (r == 0 || c == '\n')
			break;
		if (pp->len < PASSPHRASE_MAX)
			pp->buf[pp->len++] = c;
		else
			toolong = true;	/* keep reading to the end of the line */
	}
	c = 0;
	(void)write_all(fd, "\n", 1);
	pp->buf[pp->len] = '\0';
	if (pp->len > 0 && pp->buf[pp->len - 1] == '\r')
		pp->buf[--pp->len] = '\0';
	if (toolong) {
		snprintf(err, errsz, "the passphrase is longer than %d bytes",
		    PASSPHRASE_MAX);
		goto out;
	}
	if (check_line(pp, "terminal", err, errsz) == -1)
		goto out;
	rc = 0;
	goto out;
interrupted:
	snprintf(err, errsz, "reading the passphrase from the terminal was "
	    "interrupted");
out:
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	for (size_t i = 0; i < NTTY_SIGS; i++)
		(void)sigaction(tty_sigs[i], &saved[i], NULL);
	if (rc == -1)
		passphrase_clear(pp);
	signo = tty_signo;
	tty_signo = 0;
	if (signo != 0)
		raise(signo);	/* the caller's disposition, now the tty is sane */
	return rc;
}

/* Open a terminal for prompting, or -1 when there is none. */
static int
open_tty(const char *tty)
{
	int fd;

	if (tty == NULL ||
	    (fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (!isatty(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Prompt once, or twice with a match check for a new passphrase. */
static int
from_tty(int fd, const struct passphrase_opts *o, struct passphrase *pp,
    char *err, size_t errsz)
{
	struct passphrase	*again;
	int			 rc = -1;

	if (read_tty_fd(fd, o->prompt != NULL ? o->prompt :
	    "Root key passphrase: ", pp, err, errsz) == -1)
		return -1;
	if (!o->confirm)
		return 0;
	if (pp->len < o->min_len) {
		/* Say so before asking a second time. */
		snprintf(err, errsz, "the passphrase is too short (at least "
		    "%zu characters)", o->min_len);
		passphrase_clear(pp);
		return -1;
	}
	if ((again = malloc(sizeof(*again))) == NULL) {
		snprintf(err, errsz, "out of memory");
		passphrase_clear(pp);
		return -1;
	}
	if (read_tty_fd(fd, "Same passphrase again: ", again, err,
	    errsz) == -1)
		goto out;
	if (again->len != pp->len ||
	    CRYPTO_memcmp(again->buf, pp->buf, pp->len) != 0) {
		snprintf(err, errsz, "the two passphrases differ");
		goto out;
	}
	rc = 0;
out:
	passphrase_clear(again);
	free(again);
	if (rc == -1)
		passphrase_clear(pp);
	return rc;
}

int
passphrase_get(const struct passphrase_opts *o, struct passphrase *pp,
    enum passphrase_source *src, char *err, size_t errsz)
{
	enum passphrase_source	 used = PASSPHRASE_SRC_NONE;
	char			 cred[PATH_MAX];
	struct stat		 st;
	int			 fd, rc = -1;

	passphrase_clear(pp);
	if (o->file != NULL) {
		used = PASSPHRASE_SRC_FILE;
		if (passphrase_read_file(o->file, pp, err, errsz) == -1)
			goto out;
	} else if (o->cred_dir != NULL && o->cred_dir[0] != '\0' &&
	    snprintf(cred, sizeof(cred), "%s/%s", o->cred_dir,
	    PASSPHRASE_CREDENTIAL) < (int)sizeof(cred) &&
	    lstat(cred, &st) == 0) {
		/* systemd.exec(5) LoadCredential=: $CREDENTIALS_DIRECTORY/ID */
		used = PASSPHRASE_SRC_CREDENTIAL;
		if (read_file(cred, true, pp, err, errsz) == -1)
			goto out;
	} else if ((fd = open_tty(o->tty)) != -1) {
		used = PASSPHRASE_SRC_TTY;
		rc = from_tty(fd, o, pp, err, errsz);
		close(fd);
		if (rc == -1)
			goto out;
		rc = -1;
	} else {
		snprintf(err, errsz, "the root key's passphrase has no source: "
		    "give --root-passphrase-file FILE (mode 0400/0600), a "
		    "systemd credential named %s, or run on a terminal%s",
		    PASSPHRASE_CREDENTIAL,
		    getenv("LOCALACME_ROOT_PASSPHRASE") != NULL ||
		    getenv("LOCALACME_PASSPHRASE") != NULL ?
		    " (a passphrase in the environment is never used)" : "");
		goto out;
	}
	if (pp->len < o->min_len) {
		snprintf(err, errsz, "the passphrase from the %s is too short "
		    "(at least %zu characters)", passphrase_source_name(used),
		    o->min_len);
		goto out;
	}
	log_debug("passphrase: read from the %s", passphrase_source_name(used));
	rc = 0;
out:
	if (rc == -1)
		passphrase_clear(pp);
	if (src != NULL)
		*src = used;
	return rc;
}
