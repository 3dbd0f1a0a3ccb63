/* cli_eab.c - `localacme eab add|list|remove`: external account binding keys (RFC 8555 §7.3.4) */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/eab.h"
#include "cli.h"
#include "config.h"
#include "ra.h"
#include "statedir.h"

#define EAB_KEY_LEN	32	/* HS256: a key as long as the hash (RFC 7518 §3.2) */

enum { OPT_KID = 1, OPT_SINGLE_USE };

struct eab_args {
	const char	*kid;
	bool		 single_use;
};

static const struct option eab_opts[] = {
	{ "kid", required_argument, NULL, OPT_KID },
	{ "single-use", no_argument, NULL, OPT_SINGLE_USE },
	{ NULL, 0, NULL, 0 }
};

static int
eab_opt(void *arg, int opt, const char *val)
{
	struct eab_args *a = arg;

	if (opt == OPT_KID) {
		if (!acme_eab_kid_ok(val))
			return -1;
		a->kid = val;
		return 0;
	}
	if (opt == OPT_SINGLE_USE) {
		a->single_use = true;
		return 0;
	}
	return -1;
}

static void
eab_usage(void)
{
	printf("usage: localacme eab add [--kid KID] [--single-use]\n"
	    "       localacme eab list\n"
	    "       localacme eab remove KID\n\n"
	    "External account binding keys (RFC 8555 §7.3.4); `serve "
	    "--eab-required`\nrefuses accounts without one. `add` prints the "
	    "kid and the HMAC key\n(base64url) once; only the server's "
	    "database keeps the key.\n\n"
	    "  --kid KID        the key identifier ([A-Za-z0-9_.-], at most "
	    "63; default random)\n"
	    "  --single-use     the key binds one account only\n\n");
	config_usage(stdout, false);
}

static int
eab_add(struct ra *ra, const struct eab_args *a)
{
	struct ra_eab_key	 k;
	unsigned char		 rnd[9];
	char			*hmac = NULL, err[1024];
	enum ra_result		 rc;
	int			 ret = 1;

	memset(&k, 0, sizeof(k));
	if (a->kid != NULL)
		snprintf(k.kid, sizeof(k.kid), "%s", a->kid);
	else {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			cli_error("eab: no randomness");
			goto out;
		}
		memcpy(k.kid, "kid-", 4);
		acme_b64url_encode_buf(rnd, sizeof(rnd), k.kid + 4);
	}
	if (RAND_bytes(k.key, EAB_KEY_LEN) != 1) {
		cli_error("eab: no randomness");
		goto out;
	}
	k.keylen = EAB_KEY_LEN;
	k.single_use = a->single_use;
	k.created = time(NULL);
	if ((hmac = acme_b64url_encode(k.key, k.keylen)) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	rc = ra_eab_add(ra, &k, err, sizeof(err));
	if (rc == RA_CONFLICT) {
		cli_error("eab: kid %s exists already", k.kid);
		goto out;
	}
	if (rc != RA_OK) {
		cli_error("database: %s", err);
		goto out;
	}
	/* Shown once: the key is not printed again by `list`. */
	printf("KID=%s\nHMAC=%s\n", k.kid, hmac);
	fprintf(stderr, "localacme: EAB key %s added%s; e.g. lego --eab "
	    "--kid %s --hmac <HMAC>\n", k.kid, k.single_use ?
	    " (single use)" : "", k.kid);
	ret = 0;
out:
	if (hmac != NULL) {
		OPENSSL_cleanse(hmac, strlen(hmac));
		free(hmac);
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return ret;
}

static int
list_cb(const struct ra_eab_key *k, void *arg)
{
	struct tm	 tm;
	char		 t[32] = "?";

	(void)arg;
	if (gmtime_r(&k->created, &tm) != NULL)
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-32s %-20s %-10s %5u %s\n", k->kid, t,
	    k->single_use ? "single" : "multi", k->uses,
	    k->last_account[0] != '\0' ? k->last_account : "-");
	return 0;
}

int
cmd_eab(int argc, char **argv)
{
	struct config	 cfg;
	struct eab_args	 a;
	struct ra	*ra = NULL;
	enum ra_result	 rc;
	char		 err[1024];
	const char	*verb;
	int		 first, ret = 1;

	memset(&a, 0, sizeof(a));
	first = config_parse(&cfg, "eab", argc, argv, eab_opts, eab_opt, &a,
	    err, sizeof(err));
	if (first == -1) {
		if (strncmp(err, "--kid", 5) == 0)
			cli_error("%s: a kid is 1 to 63 of A-Z a-z 0-9 _ . -",
			    err);
		else
			cli_error("%s", err);
		return 2;
	}
	if (cfg.help) {
		eab_usage();
		ret = 0;
		goto out;
	}
	verb = first < argc ? argv[first] : "";
	if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "remove") != 0) {
		cli_error("eab: give add, list or remove (see `localacme eab "
		    "--help`)");
		ret = 2;
		goto out;
	}
	if ((strcmp(verb, "remove") == 0) != (argc - first == 2) ||
	    (strcmp(verb, "remove") != 0 && argc - first != 1)) {
		cli_error("eab: %s takes %s", verb, strcmp(verb, "remove") ==
		    0 ? "exactly one KID" : "no operands");
		ret = 2;
		goto out;
	}
	if (statedir_ensure(&cfg, err, sizeof(err)) == -1) {
		cli_error("%s", err);
		goto out;
	}
	ra = strcmp(verb, "list") == 0 ? cli_open_ra_readonly(&cfg) :
	    cli_open_ra(&cfg, NULL);
	if (ra == NULL)
		goto out;
	if (strcmp(verb, "add") == 0)
		ret = eab_add(ra, &a);
	else if (strcmp(verb, "list") == 0) {
		printf("%-32s %-20s %-10s %5s %s\n", "KID", "CREATED", "USE",
		    "USES", "LAST ACCOUNT");
		if (ra_eab_list(ra, list_cb, NULL, err, sizeof(err)) != RA_OK)
			cli_error("database: %s", err);
		else
			ret = 0;
	} else {
		rc = ra_eab_remove(ra, argv[first + 1], err, sizeof(err));
		if (rc == RA_OK) {
			printf("Removed %s\n", argv[first + 1]);
			ret = 0;
		} else if (rc == RA_NOTFOUND)
			cli_error("eab: no key %s", argv[first + 1]);
		else
			cli_error("database: %s", err);
	}
out:
	ra_free(ra);
	config_clear(&cfg);
	return ret;
}
