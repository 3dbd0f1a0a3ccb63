/* cli_doctor.c - `localacme doctor [NAME...] [--json] [--url URL]`: checks the set-up, each finding with its fix */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "cli.h"
#include "config.h"
#include "doctor.h"

enum { OPT_JSON = 1, OPT_URL };

static const struct option doctor_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "url", required_argument, NULL, OPT_URL },
	{ NULL, 0, NULL, 0 }
};

struct doctor_args {
	bool		 json;
	const char	*url;	/* borrowed from argv */
};

static int
doctor_opt(void *arg, int opt, const char *val)
{
	struct doctor_args *a = arg;

	switch (opt) {
	case OPT_JSON:
		a->json = true;
		return 0;
	case OPT_URL:
		a->url = val;
		return strncmp(val, "https://", 8) == 0 ? 0 : -1;
	}
	return -1;
}

static void
usage(void)
{
	printf("usage: localacme doctor [NAME...] [--json] [--url URL] "
	    "[options]\n\n"
	    "Check the set-up and explain each finding, with the command "
	    "that fixes it:\nthe CA and its intermediate's remaining life, "
	    "the server at its URL and the\nnames its certificate covers, "
	    "the root in each trust store, the http-01,\ntls-alpn-01 and "
	    "listen ports (free, or held by whom), each NAME's addresses\n"
	    "(localhost and --hostname names without NAME), the clock. "
	    "Exit 0 when\nnothing fails (warnings allowed), 1 when something "
	    "does.\n\n"
	    "  --url URL                  the directory to check (default "
	    "<base_url>/directory)\n"
	    "  --json                     one JSON document instead of "
	    "lines\n\n");
	config_usage(stdout, true);
}

int
cmd_doctor(int argc, char **argv)
{
	struct config		 cfg;
	struct doctor_args	 a;
	struct doctor_report	 r;
	struct ca		*ca = NULL;
	char			 err[1024], *url = NULL;
	time_t			 now, server_date = 0;
	int			 first, rc = 1;

	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	first = config_parse(&cfg, "doctor", argc, argv, doctor_opts,
	    doctor_opt, &a, err, sizeof(err));
	if (first == -1) {
		cli_error("%s%s", err, a.url != NULL ? " (--url takes an "
		    "https:// URL)" : "");
		return 2;
	}
	if (cfg.help) {
		usage();
		rc = 0;
		goto out;
	}
	if (a.url != NULL)
		url = strdup(a.url);
	else if ((url = malloc(strlen(cfg.base_url) + 16)) != NULL)
		sprintf(url, "%s/directory", cfg.base_url);
	if (url == NULL) {
		cli_error("out of memory");
		goto out;
	}
	now = time(NULL);
	ca = doctor_check_ca(&r, &cfg, now);
	doctor_check_server(&r, &cfg, ca, url, &server_date);
	doctor_check_clock(&r, ca, now, server_date);
	if (ca != NULL)
		doctor_check_trust(&r, &cfg);
	doctor_check_ports(&r, &cfg);
	doctor_check_names(&r, &cfg, argv + first, (size_t)(argc - first));
	if (a.json) {
		if (doctor_print_json(&r, stdout) == -1) {
			cli_error("out of memory");
			goto out;
		}
	} else
		doctor_print_text(&r, stdout);
	rc = doctor_worst(&r) == DOCTOR_FAIL ? 1 : 0;
out:
	free(url);
	ca_free(ca);
	doctor_report_clear(&r);
	config_clear(&cfg);
	return rc;
}
