/* trust_exec.c - running trust-store tools (no shell), finding them, privilege via sudo */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust_internal.h"

extern char **environ;

/* Tool output beyond this is drained but not kept. */
#define OUTPUT_MAX	(1024 * 1024)

int
trust_strv_add(struct trust_strv *sv, const char *s)
{
	char	**nv;
	size_t	  ncap;

	if (sv->n + 2 > sv->cap) {
		ncap = sv->cap == 0 ? 8 : sv->cap * 2;
		if ((nv = realloc(sv->v, ncap * sizeof(*nv))) == NULL)
			return -1;
		sv->v = nv;
		sv->cap = ncap;
	}
	if ((sv->v[sv->n] = strdup(s)) == NULL)
		return -1;
	sv->n++;
	sv->v[sv->n] = NULL;
	return 0;
}

void
trust_strv_clear(struct trust_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

int
trust_exec_spawn(void *ctx, char *const argv[], char **output)
{
	posix_spawn_file_actions_t	 fa;
	int				 p[2] = { -1, -1 }, st, rc = -1;
	int				 fa_ok = 0;
	pid_t				 pid = -1;
	char				*buf = NULL;
	size_t				 len = 0, cap = 0;

	(void)ctx;
	if (output != NULL)
		*output = NULL;
	if (pipe(p) == -1 || fcntl(p[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1)
		goto out;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	fa_ok = 1;
	/* dup2 clears FD_CLOEXEC on the target, so the child keeps 1 and 2. */
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
	    posix_spawn_file_actions_adddup2(&fa, p[1], 1) ||
	    posix_spawn_file_actions_adddup2(&fa, p[1], 2))
		goto out;
	if ((errno = posix_spawnp(&pid, argv[0], &fa, NULL, argv,
	    environ)) != 0) {
		pid = -1;
		goto out;
	}
	close(p[1]);
	p[1] = -1;
	for (;;) {
		char	 chunk[4096];
		ssize_t	 r = read(p[0], chunk, sizeof(chunk));

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (len + (size_t)r + 1 > cap && len < OUTPUT_MAX) {
			size_t	 ncap = cap == 0 ? 8192 : cap * 2;
			char	*nb;

			while (ncap < len + (size_t)r + 1)
				ncap *= 2;
			if ((nb = realloc(buf, ncap)) == NULL)
				continue;	/* keep draining; lose the text */
			buf = nb;
			cap = ncap;
		}
		if (len + (size_t)r + 1 <= cap) {
			memcpy(buf + len, chunk, (size_t)r);
			len += (size_t)r;
		}
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			goto out;
	pid = -1;
	if (WIFEXITED(st))
		rc = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		rc = 128 + WTERMSIG(st);
	else
		rc = 255;
	/* posix_spawnp reports a missing program as exit 127 on glibc. */
	if (output != NULL) {
		if (buf == NULL)
			buf = strdup("");
		else
			buf[len] = '\0';
		*output = buf;
		buf = NULL;
	}
out:
	if (pid > 0)
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	free(buf);
	return rc;
}

int
trust_syspath(const struct trust_env *env, const char *abs, char *buf,
    size_t bufsz)
{
	int n;

	n = snprintf(buf, bufsz, "%s%s", env->sysroot != NULL ?
	    env->sysroot : "", abs);
	return (n < 0 || (size_t)n >= bufsz) ? -1 : 0;
}

bool
trust_path_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

bool
trust_is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool
is_exec(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    access(path, X_OK) == 0;
}

/* Looks for tool in the ':'-separated list dirs, each prefixed by pre. */
static bool
search(const char *pre, const char *dirs, const char *tool, char *buf,
    size_t bufsz)
{
	const char	*p = dirs, *e;
	int		 n;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p) {
			n = snprintf(buf, bufsz, "%s%.*s/%s", pre, (int)(e - p),
			    p, tool);
			if (n > 0 && (size_t)n < bufsz && is_exec(buf))
				return true;
		}
		p = *e == ':' ? e + 1 : e;
	}
	return false;
}

bool
trust_which(const struct trust_env *env, const char *tool, char *buf,
    size_t bufsz)
{
	const char *sr = env->sysroot != NULL ? env->sysroot : "";

	if (strchr(tool, '/') != NULL) {
		if (snprintf(buf, bufsz, "%s", tool) >= (int)bufsz)
			return false;
		return is_exec(buf);
	}
	if (env->path != NULL && search("", env->path, tool, buf, bufsz))
		return true;
	return search(sr, "/usr/local/sbin:/usr/sbin:/sbin", tool, buf, bufsz);
}

int
trust_run(const struct trust_env *env, char *const argv[], char **output)
{
	return env->run(env->run_ctx, argv, output);
}

/* The first non-empty line of s, into buf (control characters replaced). */
static void
first_line(const char *s, char *buf, size_t bufsz)
{
	size_t i = 0;

	buf[0] = '\0';
	if (s == NULL || bufsz == 0)
		return;
	while (*s == '\n' || *s == '\r' || *s == ' ')
		s++;
	for (; s[i] != '\0' && s[i] != '\n' && s[i] != '\r' && i + 1 < bufsz;
	    i++)
		buf[i] = ((unsigned char)s[i] < 0x20) ? '?' : s[i];
	buf[i] = '\0';
}

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int
trust_run_checked(const struct trust_env *env, const char *store,
    char *const argv[])
{
	char	*out = NULL;
	char	 line[300];
	int	 st, rc = -1;
	/* With sudo, name the tool sudo runs. */
	const char *tool = argv[0];

	if (strcmp(base(tool), "sudo") == 0 && argv[1] != NULL)
		tool = argv[1];
	st = trust_run(env, argv, &out);
	if (st == 0) {
		rc = 0;
		goto out;
	}
	first_line(out, line, sizeof(line));
	if (st == -1 || st == 127)
		fprintf(env->err, "trust: %s: cannot run %s\n", store,
		    base(tool));
	else
		fprintf(env->err, "trust: %s: %s failed (exit %d)%s%s\n",
		    store, base(tool), st, line[0] != '\0' ? ": " : "", line);
out:
	free(out);
	return rc;
}

void
trust_print_argv(FILE *fp, const char *prefix, char *const argv[])
{
	fputs(prefix, fp);
	for (size_t i = 0; argv[i] != NULL; i++) {
		const char	*a = argv[i];
		bool		 plain = *a != '\0';

		for (const char *c = a; *c != '\0'; c++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_./:=,+@%", *c) == NULL)
				plain = false;
		if (i > 0)
			fputc(' ', fp);
		if (plain)
			fputs(a, fp);
		else {
			fputc('\'', fp);
			for (const char *c = a; *c != '\0'; c++) {
				if (*c == '\'')
					fputs("'\\''", fp);
				else
					fputc(*c, fp);
			}
			fputc('\'', fp);
		}
	}
	fputc('\n', fp);
}

int
trust_run_privileged(const struct trust_env *env, const char *store,
    char *const *const cmds[])
{
	char		 sudo[PATH_MAX];
	struct trust_strv sv = { 0 };
	int		 rc = -1;

	if (env->is_root) {
		for (size_t i = 0; cmds[i] != NULL; i++)
			if (trust_run_checked(env, store, cmds[i]) == -1)
				goto out;
		rc = 0;
		goto out;
	}
	if (!trust_which(env, "sudo", sudo, sizeof(sudo))) {
		fprintf(env->err, "trust: %s: not root and no sudo; run as root:\n",
		    store);
		for (size_t i = 0; cmds[i] != NULL; i++)
			trust_print_argv(env->err, "  ", cmds[i]);
		goto out;
	}
	if (!env->quiet) {
		fprintf(env->out, "%s: not root; running with sudo:\n", store);
		for (size_t i = 0; cmds[i] != NULL; i++)
			trust_print_argv(env->out, "  sudo ", cmds[i]);
		fflush(env->out);
	}
	for (size_t i = 0; cmds[i] != NULL; i++) {
		trust_strv_clear(&sv);
		if (trust_strv_add(&sv, "sudo") == -1)
			goto out;
		for (size_t j = 0; cmds[i][j] != NULL; j++)
			if (trust_strv_add(&sv, cmds[i][j]) == -1)
				goto out;
		if (trust_run_checked(env, store, sv.v) == -1)
			goto out;
	}
	rc = 0;
out:
	trust_strv_clear(&sv);
	return rc;
}
