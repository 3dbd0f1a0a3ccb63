/* cli_issue.c - `localacme issue NAME...`: mkcert's job, recorded in the store first */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/b64url.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "acme/problem.h"
#include "ca.h"
#include "cli.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "policy.h"
#include "ra.h"
#include "statedir.h"
#include "trust.h"

#define ISSUE_DEFAULT_DAYS	397
#define DEFAULT_P12_PASSWORD	"changeit"	/* mkcert's, for Java keytool */

enum {
	OPT_OUT = 1, OPT_KEY_TYPE, OPT_DAYS, OPT_CLIENT, OPT_CSR, OPT_PKCS12,
	OPT_P12_PASS
};

static const struct option issue_opts[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "client", no_argument, NULL, OPT_CLIENT },
	{ "csr", required_argument, NULL, OPT_CSR },
	{ "pkcs12", no_argument, NULL, OPT_PKCS12 },
	{ "p12-password-file", required_argument, NULL, OPT_P12_PASS },
	{ NULL, 0, NULL, 0 }
};

struct issue_args {
	const char	*out;
	enum keys_type	 key_type;
	long		 days;
	bool		 client;
	const char	*csr;
	bool		 pkcs12;
	const char	*p12_pass_file;
	char		 err[256];	/* why an option's value is bad */
};

static int
issue_opt(void *arg, int opt, const char *val)
{
	struct issue_args	*a = arg;
	char			*end;

	switch (opt) {
	case OPT_OUT:
		a->out = val;
		return 0;
	case OPT_KEY_TYPE:
		if (keys_type_parse(val, &a->key_type) == 0)
			return 0;
		memcpy(a->err, "the types are ", 15);
		cli_key_types(a->err + 14, sizeof(a->err) - 14);
		return -1;
	case OPT_DAYS:
		errno = 0;
		a->days = strtol(val, &end, 10);
		if (*val == '\0' || *end != '\0' || errno != 0 ||
		    a->days < 1 || a->days > PROFILE_MAX_DAYS) {
			snprintf(a->err, sizeof(a->err), "must be a whole "
			    "number of days from 1 to %d", PROFILE_MAX_DAYS);
			return -1;
		}
		return 0;
	case OPT_CLIENT:
		a->client = true;
		return 0;
	case OPT_CSR:
		a->csr = val;
		return 0;
	case OPT_PKCS12:
		a->pkcs12 = true;
		return 0;
	case OPT_P12_PASS:
		a->p12_pass_file = val;
		return 0;
	}
	return -1;
}

static void
issue_usage(void)
{
	printf("usage: localacme issue [options] NAME...\n\n"
	    "Issue a certificate for DNS names, wildcards (*.app.test) and IP "
	    "addresses,\nwriting NAME[+N].pem (leaf + intermediate) and "
	    "NAME[+N]-key.pem. Creates\nthe CA first if there is none.\n\n"
	    "  --out DIR                  where to write (default: .); "
	    "created 0700 if absent\n"
	    "  --key-type TYPE            leaf key: ec256 (default), ec384, "
	    "rsa2048, rsa3072, rsa4096\n"
	    "  --days N                   validity, 1..%d (default %d)\n"
	    "  --client                   add clientAuth to the key usage\n"
	    "  --csr FILE                 sign this CSR (PEM or DER); names "
	    "come from it,\n"
	    "                             no key file is written\n"
	    "  --pkcs12                   write NAME[+N].p12 instead "
	    "(AES-256, PBKDF2, SHA-256 MAC)\n"
	    "  --p12-password-file FILE   its password (default \"%s\")\n\n",
	    PROFILE_MAX_DAYS, ISSUE_DEFAULT_DAYS, DEFAULT_P12_PASSWORD);
	config_usage(stdout, false);
}

/* Append id to ids unless already there; keeps the user's order. */
static void
add_unique(struct acme_identifier *ids, size_t *n, const struct acme_identifier *id)
{
	for (size_t i = 0; i < *n; i++)
		if (ids[i].type == id->type &&
		    strcmp(ids[i].value, id->value) == 0)
			return;
	ids[(*n)++] = *id;
}

/* mkcert's file naming: "*" -> "_wildcard", ":" -> "_", "+N" for more. */
static void
base_name(const struct acme_identifier *ids, size_t n, char *out, size_t sz)
{
	size_t	 off = 0;

	for (const char *p = ids[0].value; *p != '\0' && off + 10 < sz; p++) {
		if (*p == '*')
			off += (size_t)snprintf(out + off, sz - off,
			    "_wildcard");
		else if (*p == ':')
			out[off++] = '_';
		else
			out[off++] = *p;
	}
	out[off] = '\0';
	if (n > 1)
		snprintf(out + off, sz - off, "+%zu", n - 1);
}

static X509_REQ *
load_csr(const char *path)
{
	BIO		*bio;
	X509_REQ	*req = NULL;
	EVP_PKEY	*pub;

	if ((bio = BIO_new_file(path, "rb")) == NULL) {
		cli_error("--csr %s: cannot read the certificate request: %s",
		    path, strerror(errno));
		return NULL;
	}
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	if (req == NULL) {
		(void)BIO_reset(bio);
		req = d2i_X509_REQ_bio(bio, NULL);
	}
	BIO_free(bio);
	if (req == NULL) {
		log_openssl(LOG_LVL_DEBUG, "load_csr");
		cli_error("--csr %s: not a PEM or DER certificate request",
		    path);
		return NULL;
	}
	if ((pub = X509_REQ_get0_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, pub) != 1) {
		log_openssl(LOG_LVL_DEBUG, "load_csr");
		cli_error("--csr %s: the request's self-signature does not "
		    "verify", path);
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

static int
read_password(const char *path, char *buf, size_t sz)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "re")) == NULL) {
		cli_error("--p12-password-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(buf, (int)sz, fp) == NULL) {
		buf[0] = '\0';
	}
	fclose(fp);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0) {
		cli_error("--p12-password-file %s: empty password", path);
		return -1;
	}
	return 0;
}

static char *
names_text(const struct acme_identifier *ids, size_t n, char sep)
{
	size_t	 len = 1, off = 0;
	char	*s;

	for (size_t i = 0; i < n; i++)
		len += strlen(ids[i].value) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%s",
		    i > 0 ? (sep == ',' ? "," : " ") : "", ids[i].value);
	s[off] = '\0';
	return s;
}

static int
write_p12(const char *path, const char *pass, EVP_PKEY *key, X509 *leaf,
    X509 *inter, const char *friendly)
{
	STACK_OF(X509)	*cas = NULL;
	PKCS12		*p12 = NULL;
	unsigned char	*der = NULL;
	char		 err[1024];
	int		 len = 0, rc = -1;

	if ((cas = sk_X509_new_null()) == NULL ||
	    sk_X509_push(cas, inter) == 0)
		goto out;
	/* PBES2: AES-256-CBC with PBKDF2; then a SHA-256 MAC, not SHA-1. */
	if ((p12 = PKCS12_create_ex(pass, friendly, key, leaf, cas,
	    NID_aes_256_cbc, NID_aes_256_cbc, PKCS12_DEFAULT_ITER, -1, 0,
	    NULL, NULL)) == NULL ||
	    PKCS12_set_mac(p12, pass, -1, NULL, 0, PKCS12_DEFAULT_ITER,
	    EVP_sha256()) != 1)
		goto out;
	if ((len = i2d_PKCS12(p12, &der)) <= 0)
		goto out;
	if (keys_write_file(path, der, (size_t)len, 0600, true, err,
	    sizeof(err)) == -1) {
		cli_error("%s", err);
		rc = -2;
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		log_openssl(LOG_LVL_DEBUG, "write_p12");
		cli_error("%s: cannot build the PKCS#12 file", path);
	}
	if (der != NULL) {
		OPENSSL_cleanse(der, (size_t)(len > 0 ? len : 0));
		OPENSSL_free(der);
	}
	PKCS12_free(p12);
	sk_X509_free(cas);	/* inter is borrowed */
	return rc == 0 ? 0 : -1;
}

int
cmd_issue(int argc, char **argv)
{
	struct config		 cfg;
	struct issue_args	 a;
	struct acme_problem	 prob;
	struct acme_identifier	*ids = NULL, *csr_ids = NULL;
	struct ca_leaf_req	 req;
	struct ca		*ca = NULL;
	struct ra		*ra = NULL;
	X509_REQ		*csr = NULL;
	EVP_PKEY		*key = NULL;
	X509			*leaf = NULL;
	const char		*chain = NULL;
	char			 err[1024], serial[ACME_SERIAL_SIZE], base[300];
	char			 certpath[PATH_MAX], keypath[PATH_MAX], rootpath[PATH_MAX];
	char			 pass[1024], when[32], *pem = NULL, *kpem = NULL;
	char			*names = NULL;
	size_t			 n = 0, ncsr = 0, klen = 0;
	bool			 created = false, rotated = false;
	int			 first, rc = 1;
	struct tm		 tm;

	memset(&a, 0, sizeof(a));
	memset(&req, 0, sizeof(req));
	a.out = ".";
	a.key_type = KEYS_EC256;
	a.days = ISSUE_DEFAULT_DAYS;
	first = config_parse(&cfg, "issue", argc, argv, issue_opts, issue_opt,
	    &a, err, sizeof(err));
	if (first == -1) {
		cli_error("%s%s%s", err, a.err[0] != '\0' ? ": " : "", a.err);
		return 2;
	}
	if (cfg.help) {
		issue_usage();
		rc = 0;
		goto out;
	}
	if (a.csr != NULL && first < argc) {
		cli_error("issue: with --csr the names come from the CSR; "
		    "give no NAME");
		rc = 2;
		goto out;
	}
	if (a.csr != NULL && a.pkcs12) {
		cli_error("issue: --pkcs12 needs the private key, which "
		    "--csr does not give us");
		rc = 2;
		goto out;
	}
	if (a.csr == NULL && first >= argc) {
		cli_error("issue: give at least one NAME (see `localacme "
		    "issue --help`)");
		rc = 2;
		goto out;
	}
	if (argc - first > ACME_MAX_IDENTIFIERS) {
		cli_error("issue: at most %d names", ACME_MAX_IDENTIFIERS);
		rc = 2;
		goto out;
	}
	pass[0] = '\0';
	if (a.pkcs12) {
		if (a.p12_pass_file != NULL) {
			if (read_password(a.p12_pass_file, pass,
			    sizeof(pass)) == -1)
				goto out;
		} else
			snprintf(pass, sizeof(pass), "%s",
			    DEFAULT_P12_PASSWORD);
	}

	/* Names: checked and normalised before anything is created. */
	if (a.csr != NULL) {
		if ((csr = load_csr(a.csr)) == NULL)
			goto out;
		if (acme_csr_key_policy(X509_REQ_get0_pubkey(csr),
		    &prob) == -1) {
			cli_error("%s: %s", a.csr, prob.detail);
			goto out;
		}
		if (acme_csr_names(csr, &csr_ids, &ncsr, &prob) == -1) {
			cli_error("%s: %s", a.csr, prob.detail);
			goto out;
		}
		ids = csr_ids;
		n = ncsr;
		csr_ids = NULL;
	} else {
		if ((ids = calloc((size_t)(argc - first), sizeof(*ids))) == NULL) {
			cli_error("out of memory");
			goto out;
		}
		for (int i = first; i < argc; i++) {
			struct acme_identifier id;
			bool wild = false;

			memset(&id, 0, sizeof(id));
			if (acme_ident_from_cli(argv[i], &id, &wild,
			    &prob) == -1) {
				cli_error("\"%s\": %s", argv[i], prob.detail);
				rc = 2;
				goto out;
			}
			add_unique(ids, &n, &id);
		}
	}

	/*
	 * The names are good: fail now, before anything is recorded. --out is made like mkdir -p,
	 * 0700 (it will hold a private key).
	 */
	if (statedir_mkdir_p(a.out, err, sizeof(err)) == -1) {
		cli_error("--out %s", err);
		goto out;
	}
	if (access(a.out, W_OK | X_OK) == -1) {
		cli_error("--out %s: not a writable directory: %s", a.out,
		    strerror(errno));
		goto out;
	}
	if ((ca = cli_open_ca(&cfg, true, NULL, &created)) == NULL)
		goto out;
	if (created)
		printf("Created a new local CA in %s\n", cfg.state_dir);
	if (ca_maybe_rotate(ca, time(NULL), &rotated, err, sizeof(err)) == -1)
		log_warn("issue: intermediate rotation failed: %s", err);
	if (policy_check_list(ca_policy(ca), ids, NULL, n, &prob) == -1) {
		char allowed[2048], bad[1024];
		size_t off = 0;

		bad[0] = '\0';
		for (size_t i = 0; i < prob.nsub && off < sizeof(bad); i++)
			off += (size_t)snprintf(bad + off, sizeof(bad) - off,
			    "%s%s", i > 0 ? ", " : "", prob.sub[i].ident.value);
		policy_describe(ca_policy(ca), allowed, sizeof(allowed));
		cli_error("not allowed by this CA's name constraints: %s "
		    "(allowed: %s; see `localacme init --permit`)", bad,
		    allowed);
		goto out;
	}

	if (csr != NULL) {
		if ((key = X509_REQ_get_pubkey(csr)) == NULL) {
			cli_error("%s: no public key", a.csr);
			goto out;
		}
	} else if ((key = keys_generate(a.key_type, err, sizeof(err))) == NULL) {
		cli_error("%s", err);
		goto out;
	}

	/*
	 * Crash-safe order: record the serial, sign, record the cert, write.
	 * The RA's cycle, without a VA.
	 */
	if ((ra = cli_open_ra(&cfg, ca)) == NULL)
		goto out;
	req.pubkey = key;
	req.idents = ids;
	req.nident = n;
	req.lifetime = (time_t)a.days * 86400;
	req.client_auth = a.client;
	if (ra_issue(ra, &req, serial, "cli", &leaf, &chain, err,
	    sizeof(err)) == -1) {
		cli_error("%s", err);
		goto out;
	}

	base_name(ids, n, base, sizeof(base));
	if (a.pkcs12) {
		if (snprintf(certpath, sizeof(certpath), "%s/%s.p12", a.out,
		    base) >= (int)sizeof(certpath)) {
			cli_error("%s: path too long", a.out);
			goto out;
		}
		if (write_p12(certpath, pass, key, leaf,
		    ca_intermediate_cert(ca), base) == -1)
			goto out;
	} else {
		if (snprintf(certpath, sizeof(certpath), "%s/%s.pem", a.out,
		    base) >= (int)sizeof(certpath) ||
		    snprintf(keypath, sizeof(keypath), "%s/%s-key.pem", a.out,
		    base) >= (int)sizeof(keypath)) {
			cli_error("%s: path too long", a.out);
			goto out;
		}
		if ((pem = ca_fullchain_pem(leaf, chain)) == NULL) {
			cli_error("out of memory");
			goto out;
		}
		if (csr == NULL) {
			if ((kpem = keys_private_pem(key, &klen)) == NULL) {
				cli_error("cannot encode the key");
				goto out;
			}
			if (keys_write_file(keypath, kpem, klen, 0600, true,
			    err, sizeof(err)) == -1) {
				cli_error("%s", err);
				goto out;
			}
		}
		if (keys_write_file(certpath, pem, strlen(pem), 0644, true,
		    err, sizeof(err)) == -1) {
			cli_error("%s", err);
			goto out;
		}
	}

	free(names);
	names = names_text(ids, n, ' ');
	memset(&tm, 0, sizeof(tm));
	(void)ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("Created a certificate for: %s\n", names != NULL ? names : "");
	if (a.pkcs12) {
		printf("  PKCS#12:     %s (password \"%s\")\n", certpath,
		    a.p12_pass_file != NULL ? "from the file" : pass);
	} else {
		printf("  certificate: %s\n", certpath);
		if (csr == NULL)
			printf("  key:         %s\n", keypath);
	}
	printf("  serial:      %s\n", serial);
	printf("  expires:     %s\n", when);
	if (statedir_path(&cfg, "root.pem", rootpath, sizeof(rootpath)) == 0 &&
	    !trust_root_installed_anywhere(rootpath))
		printf("The root (%s) is not trusted on this machine yet; run "
		    "`localacme trust install` to trust it.\n", rootpath);
	rc = 0;
out:
	if (kpem != NULL) {
		OPENSSL_cleanse(kpem, klen);
		free(kpem);
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	free(pem);
	free(names);
	X509_free(leaf);
	EVP_PKEY_free(key);
	X509_REQ_free(csr);
	free(ids);
	free(csr_ids);
	ra_free(ra);
	ca_free(ca);
	config_clear(&cfg);
	return rc;
}
