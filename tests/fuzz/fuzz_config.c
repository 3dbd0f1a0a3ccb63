/* fuzz_config.c - libFuzzer target: the JSON configuration file (src/base/config.c) */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

/*
 * The input is the configuration file, loaded by config_parse as
 * `localacme serve --config FILE --state DIR` loads it (the file is
 * written to this process's temp directory; the environment's
 * LOCALACME_* variables are removed first). Properties: a rejection is
 * one line of text naming where (file:line:col or the setting) and
 * leaves the struct cleared; an accepted file yields settings that pass
 * the documented bounds (https base URL without a trailing '/', at
 * least one listen address, leaf_days 1..825, ports 1..65535).
 */

extern char **environ;

static char	 path[4200];

static void
setup(void)
{
	char **e;

	if (path[0] != '\0')
		return;
	/* Only the file may vary: drop LOCALACME_* from the environment. */
	for (e = environ; *e != NULL; ) {
		if (strncmp(*e, "LOCALACME_", 10) == 0) {
			char name[256];
			size_t n = strcspn(*e, "=");

			snprintf(name, sizeof(name), "%.*s", (int)n, *e);
			unsetenv(name);
			e = environ;
		} else
			e++;
	}
	snprintf(path, sizeof(path), "%s/config.json", fuzz_tmpdir());
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cfg;
	FILE		*fp;
	char		 err[1024], *argv[6];
	int		 rc;

	setup();
	if ((fp = fopen(path, "wb")) == NULL)
		fuzz_fail(__FILE__, __LINE__, "fopen", "%s", path);
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		fuzz_fail(__FILE__, __LINE__, "fwrite", "%s", path);
	fclose(fp);
	argv[0] = (char *)"serve";
	argv[1] = (char *)"--config";
	argv[2] = path;
	argv[3] = (char *)"--state";
	argv[4] = (char *)fuzz_tmpdir();
	argv[5] = NULL;
	memset(err, 0, sizeof(err));
	rc = config_parse(&cfg, "serve", 5, argv, NULL, NULL, NULL, err,
	    sizeof(err));
	log_setup(LOG_LVL_ERROR, LOG_FMT_TEXT);
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0', "rejected without a message");
		FUZZ_CHECK(strpbrk(err, "\r\n") == NULL, "message is not one "
		    "line: %s", err);
		FUZZ_CHECK(cfg.listen == NULL && cfg.base_url == NULL &&
		    cfg.state_dir == NULL, "struct not cleared on failure");
		return 0;
	}
	FUZZ_CHECK(rc == 5, "first operand %d", rc);
	FUZZ_CHECK(strcmp(cfg.state_dir, fuzz_tmpdir()) == 0,
	    "--state lost to the file");
	FUZZ_CHECK(cfg.nlisten >= 1, "no listen address");
	FUZZ_CHECK(strncmp(cfg.base_url, "https://", 8) == 0 &&
	    strlen(cfg.base_url) > 8 &&
	    cfg.base_url[strlen(cfg.base_url) - 1] != '/', "base_url \"%s\"",
	    cfg.base_url);
	FUZZ_CHECK(cfg.leaf_days >= 1 && cfg.leaf_days <= 825, "leaf_days %d",
	    cfg.leaf_days);
	FUZZ_CHECK(cfg.http01_port >= 1 && cfg.http01_port <= 65535 &&
	    cfg.tlsalpn01_port >= 1 && cfg.tlsalpn01_port <= 65535, "ports");
	FUZZ_CHECK(cfg.max_body >= 1024, "max_body %d", cfg.max_body);
	FUZZ_CHECK(cfg.dns_resolver != NULL && cfg.tos_url != NULL &&
	    cfg.website != NULL, "string settings");
	config_clear(&cfg);
	FUZZ_CHECK(cfg.listen == NULL && cfg.base_url == NULL, "clear");
	return 0;
}
