/* passphrase.h - the root key's passphrase: from a private file, systemd credentials or the terminal, never argv or environment */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_PASSPHRASE_H
#define LOCALACME_PASSPHRASE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * HARDENING §6.1 P6: /proc/<pid>/cmdline and environ are readable by
 * the same user and the environment is inherited by every child, so a
 * passphrase is taken only from (in this order) a file that only we can
 * read, a systemd credential ($CREDENTIALS_DIRECTORY, LoadCredential= or
 * LoadCredentialEncrypted=), or the controlling terminal with echo off.
 */

#define PASSPHRASE_MAX		1024	/* bytes, without the NUL */
#define PASSPHRASE_MIN_NEW	8	/* for a key encrypted now */
#define PASSPHRASE_CREDENTIAL	"localacme-root-passphrase"
#define PASSPHRASE_TTY		"/dev/tty"

/* A passphrase in memory. Wiped by passphrase_clear (OPENSSL_cleanse). */
struct passphrase {
	char	 buf[PASSPHRASE_MAX + 1];	/* NUL-terminated */
	size_t	 len;
};

enum passphrase_source {
	PASSPHRASE_SRC_NONE = 0,	/* no source was available */
	PASSPHRASE_SRC_FILE,
	PASSPHRASE_SRC_CREDENTIAL,
	PASSPHRASE_SRC_TTY
};

/* Where passphrase_get may look. All members may be NULL/0. */
struct passphrase_opts {
	const char	*file;		/* --root-passphrase-file */
	const char	*cred_dir;	/* $CREDENTIALS_DIRECTORY */
	const char	*tty;		/* terminal to prompt on; NULL = never prompt */
	const char	*prompt;	/* NULL = "Root key passphrase: " */
	bool		 confirm;	/* a new passphrase: prompt twice */
	size_t		 min_len;	/* 0 = any non-empty passphrase */
};

/* Wipe pp (NULL-safe). */
void	 passphrase_clear(struct passphrase *pp);

/*
 * Read a passphrase file: opened with O_NOFOLLOW, then fstat on the fd:
 * a regular file owned by us with no group/other access (0400 or 0600),
 * else refused naming the file and its mode. The file holds one line;
 * one trailing newline (LF or CRLF) is dropped. Returns 0, or -1 with
 * err naming the file (never quoting its contents) and pp wiped.
 */
int	 passphrase_read_file(const char *path, struct passphrase *pp,
	    char *err, size_t errsz);

/*
 * Get the passphrase from the first source o allows: o->file, then
 * o->cred_dir/PASSPHRASE_CREDENTIAL if that file exists (checked as a
 * passphrase file, but it may also belong to root: systemd then grants
 * access by ACL), then o->tty if
 * it can be opened as a terminal (O_NOCTTY): a prompt with echo off,
 * twice if o->confirm (the two must match); the terminal is restored
 * also when a signal interrupts the read, and the signal is re-raised. *src (may be NULL) says which source was used. Returns 0, or
 * -1 with a one-line err and pp wiped; *src is PASSPHRASE_SRC_NONE when
 * no source was available at all (err then says how to give one).
 */
int	 passphrase_get(const struct passphrase_opts *o, struct passphrase *pp,
	    enum passphrase_source *src, char *err, size_t errsz);

/* "file", "systemd credential", "terminal" or "none" (static string). */
const char *passphrase_source_name(enum passphrase_source src);

#endif /* LOCALACME_PASSPHRASE_H */
