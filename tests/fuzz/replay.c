/* replay.c - runs every file of a corpus through a fuzz target's entry point, in any build */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/*
 * Usage: fuzz_replay_<target> PATH...  Each PATH is a file or a directory
 * (its regular files, in name order; no recursion). A crash or a failed
 * property aborts, which CTest reports as a failure. Exit 1 if a path
 * cannot be read or nothing at all was run (an empty corpus proves
 * nothing), else 0.
 */

static int
run_file(const char *path)
{
	FILE		*fp;
	unsigned char	*buf = NULL;
	long		 len;
	int		 rc = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) == -1 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1) {
		fprintf(stderr, "replay: %s: cannot size\n", path);
		goto out;
	}
	/* Exactly len bytes, so ASan sees any read past the input. */
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL ||
	    fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	rc = 0;
out:
	free(buf);
	fclose(fp);
	return rc;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file in dir; *n counts them. -1 on a read error. */
static int
run_dir(const char *dir, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		**names = NULL, **nn, path[4096];
	size_t		 count = 0, cap = 0;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof(*names))) == NULL) {
				rc = -1;
				goto out;
			}
			names = nn;
		}
		if ((names[count] = strdup(e->d_name)) == NULL) {
			rc = -1;
			goto out;
		}
		count++;
	}
	if (count > 0)
		qsort(names, count, sizeof(*names), cmp);
	for (size_t i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if (run_file(path) == -1)
			rc = -1;
		else
			(*n)++;
	}
out:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat	 sb;
	size_t		 n = 0;
	int		 rc = 0;

	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
		} else if (S_ISDIR(sb.st_mode)) {
			if (run_dir(argv[i], &n) == -1)
				rc = 1;
		} else if (run_file(argv[i]) == -1)
			rc = 1;
		else
			n++;
	}
	printf("replay: %zu input(s) run\n", n);
	if (n == 0) {
		fprintf(stderr, "replay: no input\n");
		rc = 1;
	}
	return rc;
}
