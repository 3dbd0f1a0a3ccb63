/* cli_revoke.c - `localacme revoke SERIAL [--reason N]`: the operator's revocation */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/serial.h"
#include "cli.h"
#include "config.h"
#include "ra.h"
#include "statedir.h"

enum { OPT_REASON = 1 };

static const struct option revoke_opts[] = {
	{ "reason", required_argument, NULL, OPT_REASON },
	{ NULL, 0, NULL, 0 }
};

/* RFC 5280 §5.3.1 CRLReason: 7 is unused, 8 (removeFromCRL) is CRL-only. */
static bool
reason_ok(long r)
{
	return (r >= 0 && r <= 6) || r == 9 || r == 10;
}

static int
revoke_opt(void *arg, int opt, const char *val)
{
	long	*reason = arg;
	char	*end;

	if (opt != OPT_REASON)
		return -1;
	errno = 0;
	*reason = strtol(val, &end, 10);
	if (*val == '\0' || *end != '\0' || errno != 0 ||
	    !reason_ok(*reason))
		return -1;
	return 0;
}

/*
 * The serial of the certificate in file `path` (PEM, the first one of a
 * chain file as issue and certbot write it, or DER), normalised. 0, or -1
 * with a one-line message printed; *missing says the file is not there.
 */
static int
serial_from_file(const char *path, char serial[ACME_SERIAL_SIZE],
    bool *missing)
{
	BIO		*bio;
	X509		*x = NULL;
	BIGNUM		*bn = NULL;
	char		*hex = NULL, err[256];
	int		 rc = -1;

	*missing = false;
	if ((bio = BIO_new_file(path, "rb")) == NULL) {
		*missing = errno == ENOENT;
		if (!*missing)
			cli_error("revoke: %s: %s", path, strerror(errno));
		return -1;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		(void)BIO_reset(bio);
		x = d2i_X509_bio(bio, NULL);
	}
	if (x == NULL) {
		cli_error("revoke: %s is neither a serial number nor a "
		    "certificate file (PEM or DER); `localacme list` shows "
		    "the serials", path);
		goto out;
	}
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
	    NULL || (hex = BN_bn2hex(bn)) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	if (acme_serial_normalize(hex, serial, err, sizeof(err)) == -1) {
		cli_error("revoke: %s: serial %s: %s", path, hex, err);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	BIO_free(bio);
	return rc;
}

int
cmd_revoke(int argc, char **argv)
{
	struct config	 cfg;
	struct ra	*ra = NULL;
	char		 err[1024], serial[ACME_SERIAL_SIZE];
	long		 reason = 0;
	int		 first, rc = 1;

	first = config_parse(&cfg, "revoke", argc, argv, revoke_opts,
	    revoke_opt, &reason, err, sizeof(err));
	if (first == -1) {
		if (strncmp(err, "--reason", 8) == 0)
			cli_error("%s: the RFC 5280 reason codes are 0-6, 9 "
			    "and 10", err);
		else
			cli_error("%s", err);
		return 2;
	}
	if (cfg.help) {
		printf("usage: localacme revoke SERIAL|CERTFILE [--reason N] "
		    "[options]\n\n"
		    "Mark a certificate revoked in the store. SERIAL is hex in "
		    "either case, with\nor without ':' and leading zeros "
		    "(as `localacme list`, certbot or openssl\nshow it); "
		    "CERTFILE is the certificate itself (PEM or DER).\n\n"
		    "  --reason N                 RFC 5280 reason code: 0-6, "
		    "9 or 10 (default 0)\n\n");
		config_usage(stdout, false);
		rc = 0;
		goto out;
	}
	if (argc - first != 1) {
		cli_error("revoke: give exactly one SERIAL or certificate file "
		    "(`localacme list` shows the serials)");
		rc = 2;
		goto out;
	}
	/*
	 * The number as people type it: certbot's 510caf0..., AB:CD:...,
	 * any case; else a certificate file, whose serial is taken.
	 */
	if (acme_serial_normalize(argv[first], serial, err, sizeof(err)) == -1) {
		bool missing;

		if (serial_from_file(argv[first], serial, &missing) == -1) {
			const char *why = err;

			if (strncmp(why, "not a serial number: ", 21) == 0)
				why += 21;
			if (missing)
				cli_error("revoke: \"%s\" is neither a serial "
				    "number (%s) nor a certificate file; "
				    "`localacme list` shows the serials",
				    argv[first], why);
			rc = 2;
			goto out;
		}
	}
	if (statedir_check_dir(cfg.state_dir, err, sizeof(err)) == -1) {
		if (errno == ENOENT)
			cli_error("%s: no state directory; run `localacme "
			    "init` first", cfg.state_dir);
		else
			cli_error("%s", err);
		goto out;
	}
	if ((ra = cli_open_ra(&cfg, NULL)) == NULL)
		goto out;
	switch (ra_revoke_serial(ra, serial, (int)reason, time(NULL), err,
	    sizeof(err))) {
	case RA_OK:
		printf("Revoked %s (reason %ld)\n", serial, reason);
		rc = 0;
		break;
	case RA_NOTFOUND:
		cli_error("no certificate with serial %s (`localacme list` "
		    "shows the serials)", serial);
		break;
	case RA_CONFLICT:
		cli_error("%s is already revoked", serial);
		break;
	default:
		cli_error("database: %s", err);
		break;
	}
out:
	ra_free(ra);
	config_clear(&cfg);
	return rc;
}
