/* serve.c - `localacme serve`: start-up order, the maintenance loop, shutdown */
/* SPDX-License-Identifier: MIT */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/ident.h"
#include "acme/problem.h"
#include "ca.h"
#include "cli.h"
#include "config.h"
#include "conformance.h"
#include "fault.h"
#include "serve_services.h"
#include "httpd.h"
#include "keys.h"
#include "log.h"
#include "nonce.h"
#include "page.h"
#include "passphrase.h"
#include "policy.h"
#include "ra.h"
#include "serve.h"
#include "serve_page.h"
#include "statedir.h"
#include "va.h"
#include "wfe.h"

#define NONCE_CAPACITY		65536
#define SERVER_CERT_DAYS	30
#define MAINTENANCE_S		60	/* expiry sweep, certificate checks */
#define ROTATE_CHECK_S		86400	/* intermediate rotation */

/* The API's own TLS certificate and key, as PEM. */
struct server_cert {
	char	*chain_pem;	/* leaf then intermediate */
	char	*key_pem;
	time_t	 not_before;
	time_t	 not_after;
};

static void
server_cert_clear(struct server_cert *sc)
{
	free(sc->chain_pem);
	if (sc->key_pem != NULL) {
		OPENSSL_cleanse(sc->key_pem, strlen(sc->key_pem));
		free(sc->key_pem);
	}
	memset(sc, 0, sizeof(*sc));
}

/* Add one identifier (DNS or IP text) to ids. 0, or -1 naming the bad one. */
static int
add_ident(struct acme_identifier *ids, bool *wild, size_t *n, size_t max,
    const char *name)
{
	struct acme_problem prob;

	if (*n >= max)
		return -1;
	if (acme_ident_from_cli(name, &ids[*n], &wild[*n], &prob) == -1) {
		log_err("serve: --hostname %s: %s", name, prob.detail);
		return -1;
	}
	(*n)++;
	return 0;
}

/*
 * The admin listen address as text for a SAN, if it is one: not the
 * unspecified address, which no client connects to by that name.
 */
static bool
admin_listen_ip(const char *listen, char *host, size_t hostsz)
{
	static const unsigned char	 zero[16];
	unsigned char			 b[16];
	int				 port;

	if (config_split_hostport(listen, host, hostsz, &port) == -1)
		return false;
	if (inet_pton(AF_INET, host, b) == 1)
		return memcmp(b, zero, 4) != 0;
	return inet_pton(AF_INET6, host, b) == 1 &&
	    memcmp(b, zero, 16) != 0;
}

/*
 * The host of --base-url ("https://HOST[:PORT][/PATH]", HOST may be
 * "[v6]"), as an identifier. Clients connect by that name, so the server
 * certificate must carry it (issue #14 item 7). 0, or -1 with err.
 */
static int
base_url_ident(const struct config *cfg, struct acme_identifier *id,
    char *err, size_t errsz)
{
	struct acme_problem	 prob;
	const char		*h = cfg->base_url + 8;	/* after https:// */
	char			 host[ACME_IDENT_VALUE_SIZE];
	size_t			 n;
	bool			 wild = false;

	n = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/");
	if (strncmp(cfg->base_url, "https://", 8) != 0 || n == 0 ||
	    n >= sizeof(host)) {
		snprintf(err, errsz, "--base-url %.100s: no host",
		    cfg->base_url);
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (acme_ident_from_cli(host, id, &wild, &prob) == -1 || wild) {
		snprintf(err, errsz, "--base-url host %.64s: %.120s", host,
		    wild ? "a wildcard" : prob.detail);
		return -1;
	}
	return 0;
}

/*
 * Before anything listens: the --base-url host must be a name this CA may
 * issue, or no client could verify the server. One line naming the
 * policy (the root's name constraints) and how to widen it.
 */
static int
check_base_url(const struct config *cfg, struct ca *ca)
{
	struct acme_identifier	 id;
	char			 err[512], allowed[1024];

	if (base_url_ident(cfg, &id, err, sizeof(err)) == -1) {
		cli_error("%s", err);
		return -1;
	}
	if (!policy_allows(ca_policy(ca), &id, false)) {
		policy_describe(ca_policy(ca), allowed, sizeof(allowed));
		cli_error("--base-url host %s is outside this CA's name "
		    "constraints (allowed: %s); use a name inside them, or "
		    "a new CA made with `localacme init --permit %s`",
		    id.value, allowed, id.value);
		return -1;
	}
	return 0;
}

/*
 * Issue the server's certificate from our own intermediate (so a client
 * that trusts the root trusts the API) for localhost, 127.0.0.1, ::1 and
 * the configured hostnames and the --base-url host, and record it in the store before use: the
 * RA's issuance cycle, on the RA's connection.
 */
static int
server_cert_issue(const struct config *cfg, struct ca *ca, struct ra *ra,
    struct server_cert *out, char *why, size_t whysz)
{
	struct acme_identifier	 ids[ACME_MAX_IDENTIFIERS];
	bool			 wild[ACME_MAX_IDENTIFIERS];
	struct ca_leaf_req	 lr;
	struct acme_problem	 prob;
	EVP_PKEY		*key = NULL;
	X509			*leaf = NULL;
	const char		*chain = NULL;
	char			 serial[ACME_SERIAL_SIZE], err[256], host[64];
	char			 until[LOG_TIME_RFC3339_SIZE];
	size_t			 n = 0, len;
	int			 rc = -1;

	memset(&lr, 0, sizeof(lr));
	if (add_ident(ids, wild, &n, ACME_MAX_IDENTIFIERS, "localhost") == -1 ||
	    add_ident(ids, wild, &n, ACME_MAX_IDENTIFIERS, "127.0.0.1") == -1 ||
	    add_ident(ids, wild, &n, ACME_MAX_IDENTIFIERS, "::1") == -1)
		goto out;
	for (size_t i = 0; i < cfg->nhostnames; i++)
		if (add_ident(ids, wild, &n, ACME_MAX_IDENTIFIERS,
		    cfg->hostnames[i]) == -1)
			goto out;
	/* Clients connect by the --base-url host (checked: check_base_url). */
	if (n < ACME_MAX_IDENTIFIERS && base_url_ident(cfg, &ids[n], err,
	    sizeof(err)) == 0)
		wild[n++] = false;
	/* The HTTPS management API shares this certificate: name its address. */
	if (cfg->admin_listen[0] != '\0' && !cfg->admin_insecure_http &&
	    admin_listen_ip(cfg->admin_listen, host, sizeof(host)) &&
	    add_ident(ids, wild, &n, ACME_MAX_IDENTIFIERS, host) == -1)
		goto out;
	acme_ident_list_normalize(ids, &n);
	snprintf(why, whysz, "%s", "see the log above");
	if (policy_check_list(ca_policy(ca), ids, wild, n, &prob) == -1) {
		/* The detail names the refused name and what is allowed. */
		snprintf(why, whysz, "a --hostname or the --admin-listen "
		    "address is outside the CA's name policy: %s", prob.detail);
		goto out;
	}
	if ((key = keys_generate(KEYS_EC256, err, sizeof(err))) == NULL) {
		snprintf(why, whysz, "server key: %s", err);
		goto out;
	}
	lr.pubkey = key;
	lr.idents = ids;
	lr.nident = n;
	lr.lifetime = (time_t)SERVER_CERT_DAYS * 86400;
	if (ra_issue(ra, &lr, serial, "server", &leaf, &chain, err,
	    sizeof(err)) == -1) {
		snprintf(why, whysz, "%s", err);
		goto out;
	}
	if ((out->chain_pem = ca_fullchain_pem(leaf, chain)) == NULL ||
	    (out->key_pem = keys_private_pem(key, &len)) == NULL) {
		server_cert_clear(out);
		goto out;
	}
	out->not_before = ca_asn1_to_time(X509_get0_notBefore(leaf));
	out->not_after = ca_asn1_to_time(X509_get0_notAfter(leaf));
	log_info("server certificate %s for %zu names, valid until %s", serial,
	    n, log_time_rfc3339(out->not_after, until));
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(leaf);
	return rc;
}

/* Renew when less than a third of the certificate's life is left. */
static bool
server_cert_due(const struct server_cert *sc, time_t now)
{
	return now >= sc->not_after - (sc->not_after - sc->not_before) / 3;
}

/* Core dumps would hold the intermediate key (HARDENING §6.1 P8). */
static void
harden_process(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		log_warn("serve: setrlimit(RLIMIT_CORE): %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("serve: prctl(PR_SET_DUMPABLE): %s", strerror(errno));
}

/*
 * Every listen address must be free before anything is created (issue
 * #16): a busy port used to fail after a new CA and a server certificate,
 * with "bind: Address already in use" naming neither address nor remedy.
 */
static int
check_listeners(const struct config *cfg)
{
	char	 err[256];

	for (size_t i = 0; i < cfg->nlisten; i++)
		if (httpd_check_listen(cfg->listen[i], err, sizeof(err)) ==
		    -1) {
			cli_error("%s; is another server using it? Choose "
			    "another address with --listen 127.0.0.1:PORT",
			    err);
			return -1;
		}
	if (cfg->admin_listen[0] != '\0' && httpd_check_listen(
	    cfg->admin_listen, err, sizeof(err)) == -1) {
		cli_error("%s; is another server using it? Choose another "
		    "address with --admin-listen 127.0.0.1:PORT", err);
		return -1;
	}
	return 0;
}

/*
 * The first start: where the new root is and how to trust it. The state
 * directory is named only when it is not the default one.
 */
static void
first_start_note(const struct config *cfg)
{
	const char	*xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char		 dflt[4096], root[4096];
	bool		 is_default = false;

	if (xdg != NULL && xdg[0] == '/')
		is_default = snprintf(dflt, sizeof(dflt), "%s/localacme",
		    xdg) < (int)sizeof(dflt) &&
		    strcmp(dflt, cfg->state_dir) == 0;
	else if (home != NULL && home[0] != '\0')
		is_default = snprintf(dflt, sizeof(dflt),
		    "%s/.local/share/localacme", home) < (int)sizeof(dflt) &&
		    strcmp(dflt, cfg->state_dir) == 0;
	if (statedir_path(cfg, "root.pem", root, sizeof(root)) == -1)
		return;
	log_info("serve: new CA; its root certificate is %s", root);
	if (is_default)
		log_info("serve: trust it with: localacme trust install");
	else
		log_info("serve: trust it with: localacme trust install "
		    "--state '%s'", cfg->state_dir);
}

static void
serve_usage(FILE *fp)
{
	fprintf(fp, "usage: localacme serve [--root-passphrase-file F] "
	    "[options]\n\n"
	    "Run the ACME v2 server (RFC 8555). The CA is created on first "
	    "run.\nThe directory is at <base-url>/directory "
	    "(default https://localhost:8555/directory).\n\n"
	    "  --root-passphrase-file F   an encrypted root key's passphrase "
	    "(0400/0600 file),\n"
	    "                             read only to rotate the "
	    "intermediate; else\n"
	    "                             $CREDENTIALS_DIRECTORY/"
	    PASSPHRASE_CREDENTIAL "; never a prompt\n\n");
	config_usage(fp, true);
}

/* serve's own option: the name of a file, never a passphrase (P6). */
#define OPT_PASS_FILE	1
static const struct option serve_opts[] = {
	{ "root-passphrase-file", required_argument, NULL, OPT_PASS_FILE },
	{ NULL, 0, NULL, 0 }
};

static int
serve_opt(void *arg, int opt, const char *val)
{
	const char **pass_file = arg;

	if (opt != OPT_PASS_FILE || val[0] == '\0')
		return -1;
	*pass_file = val;
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	struct config		 cfg;
	struct server_cert	 sc = { 0 };
	struct ca		*ca = NULL;
	struct nonce_table	*nonces = NULL;
	struct ra		*ra = NULL;
	struct va		*va = NULL;
	struct wfe		*wfe = NULL;
	struct page		*page = NULL;	/* the status page on / */
	struct httpd		*httpd = NULL;
	struct ra_opts		 ro;
	struct va_opts		 vo;
	struct wfe_opts		 wo;
	bool			 limited[WFE_MAX_LISTENERS] = { false };
	struct httpd_opts	 ho;
	struct serve_services	 svc;
	sigset_t		 sigs;
	char			 err[512], db_path[4096], https_url[1024];
	char			 why[512];
	bool			 created = false, rotated = false;
	time_t			 last_rotate_check;
	const char		*pass_file = NULL;	/* borrowed from argv */
	size_t			 recovered = 0;
	int			 exit_code = 1, sig, first;

	memset(&cfg, 0, sizeof(cfg));
	memset(&svc, 0, sizeof(svc));
	if ((first = config_parse(&cfg, "serve", argc, argv, serve_opts,
	    serve_opt, &pass_file, err, sizeof(err))) == -1) {
		cli_error("%s", err);
		exit_code = 2;	/* a usage error */
		goto out;
	}
	if (cfg.help) {
		serve_usage(stdout);
		exit_code = 0;
		goto out;
	}
	if (first < argc) {
		cli_error("serve: unexpected argument \"%s\"", argv[first]);
		exit_code = 2;
		goto out;
	}
	log_setup(cfg.log_level, cfg.log_format);
	umask(077);
	harden_process();

	/*
	 * Signals: SIGINT/SIGTERM are taken by this thread with sigtimedwait,
	 * so block them before any thread starts (threads inherit the mask).
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* 1. what can fail without leaving anything behind: ports, profiles */
	if (check_listeners(&cfg) == -1)
		goto out;
	if (services_setup(&svc, &cfg, err, sizeof(err)) == -1) {
		cli_error("%s", err);
		exit_code = 2;	/* a bad --profile, --default-profile... */
		goto out;
	}

	/* 2. the state directory and the CA (created on first run) */
	if ((ca = cli_open_ca(&cfg, true, NULL, &created)) == NULL)
		goto out;
	/*
	 * An encrypted root.key is needed only to rotate (P1): check the
	 * passphrase file now, read it again only then; never prompt.
	 */
	if (pass_file != NULL) {
		struct passphrase *pp = malloc(sizeof(*pp));

		if (pp == NULL || passphrase_read_file(pass_file, pp, err,
		    sizeof(err)) == -1) {
			cli_error("%s", pp == NULL ? "out of memory" : err);
			free(pp);
			goto out;
		}
		passphrase_clear(pp);
		free(pp);
	}
	if (check_base_url(&cfg, ca) == -1)
		goto out;
	if (ca_set_root_passphrase(ca, pass_file,
	    getenv("CREDENTIALS_DIRECTORY"), NULL) == -1) {
		cli_error("out of memory");
		goto out;
	}
	if (ca_maybe_rotate(ca, time(NULL), &rotated, err, sizeof(err)) == -1)
		log_warn("serve: intermediate rotation: %s", err);
	last_rotate_check = time(NULL);
	/* --alternate-roots: RFC 8555 §7.4.2 alternate chains (ca_alt.c) */
	if (ca_alt_open(ca, (unsigned)cfg.alternate_roots, err,
	    sizeof(err)) == -1) {
		cli_error("%s", err);
		goto out;
	}
	if (statedir_path(&cfg, "localacme.db", db_path, sizeof(db_path)) ==
	    -1) {
		cli_error("state directory path too long");
		goto out;
	}

	/* 3. the components, in dependency order */
	memset(&ro, 0, sizeof(ro));
	ro.db_path = db_path;
	ro.leaf_days = (unsigned)cfg.leaf_days;
	ro.validation_skip = cfg.validation_skip;
	ro.tos_required = cfg.tos_url[0] != '\0';
	ro.eab_required = cfg.eab_required;
	ro.max_pending_authz = (size_t)cfg.max_pending_authz;
	services_ra_opts(&svc, &ro);
	if ((ra = ra_new(&ro, ca, ca_policy(ca), err, sizeof(err))) == NULL) {
		cli_error("%s", err);
		goto out;
	}
	if (ra_recover(ra, &recovered) == -1)
		goto out;
	if (recovered > 0)
		log_warn("serve: %zu order(s) interrupted by a previous stop "
		    "were marked invalid", recovered);
	/* the CRL publisher and the management API, through the RA */
	if (services_open(&svc, &cfg, ra, ca, err, sizeof(err)) == -1) {
		cli_error("%s", err);
		goto out;
	}

	memset(&vo, 0, sizeof(vo));
	vo.http01_port = (unsigned)cfg.http01_port;
	vo.tlsalpn01_port = (unsigned)cfg.tlsalpn01_port;
	vo.dns_resolver = cfg.dns_resolver;
	vo.resolve = (const char *const *)cfg.resolve;
	vo.nresolve = cfg.nresolve;
	vo.timeout_s = (unsigned)cfg.va_timeout_s;
	vo.workers = (unsigned)cfg.va_workers;
	vo.queue_max = 1024;
	services_va_opts(&svc, &cfg, &vo);	/* --dns-mock */
	if ((va = va_new(&vo, ra_va_done, ra, err, sizeof(err))) == NULL) {
		cli_error("%s", err);
		goto out;
	}
	ra_set_va(ra, va);

	if ((nonces = nonce_new(NONCE_CAPACITY)) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	memset(&wo, 0, sizeof(wo));
	wo.base_url = cfg.base_url;
	wo.challenge_wait_ms = (unsigned)cfg.challenge_wait_ms;
	wo.website = cfg.website[0] != '\0' ? cfg.website : NULL;
	wo.tos_url = cfg.tos_url[0] != '\0' ? cfg.tos_url : NULL;
	wo.caa_identities = (const char *const *)cfg.caa_identities;
	wo.ncaa_identities = cfg.ncaa_identities;
	wo.eab_required = cfg.eab_required;
	wo.validation_skip = cfg.validation_skip;
	wo.retry_after_s = 1;
	/* Issue #12 item 14: per listener, by its listen address. */
	for (size_t i = 0; i < cfg.nlisten && i < WFE_MAX_LISTENERS; i++) {
		unsigned r = config_new_account_rate(&cfg, i);

		limited[i] = r > 0;
		if (r > wo.new_account_rate)
			wo.new_account_rate = r;
		if (r > 0)
			log_info("serve: newAccount limited to %u a minute per "
			    "address on %s", r, cfg.listen[i]);
	}
	wo.new_account_limited = limited;
	wo.nlisteners = cfg.nlisten < WFE_MAX_LISTENERS ? cfg.nlisten :
	    WFE_MAX_LISTENERS;
	services_wfe_opts(&svc, &wo);
	if ((page = serve_page_new(&cfg, svc.crl_url, ra, ca)) == NULL) {
		cli_error("cannot set up the status page");
		goto out;
	}
	wo.page = page_handle;
	wo.page_arg = page;
	if ((wfe = wfe_new(&wo, ra, nonces)) == NULL) {
		cli_error("cannot set up the web front end");
		goto out;
	}

	/* 4. the API's own certificate, then the listeners */
	if (server_cert_issue(&cfg, ca, ra, &sc, why, sizeof(why)) == -1) {
		cli_error("cannot issue the server's own certificate: %s", why);
		goto out;
	}
	memset(&ho, 0, sizeof(ho));
	ho.listen = (const char *const *)cfg.listen;
	ho.nlisten = cfg.nlisten;
	ho.max_body = (size_t)cfg.max_body;
	ho.conn_timeout_s = (unsigned)cfg.conn_timeout_s;
	ho.request_deadline_s = (unsigned)cfg.request_deadline_s;
	ho.header_timeout_s = (unsigned)cfg.header_timeout_s;
	ho.per_ip_conn_limit = (unsigned)cfg.per_ip_conn_limit;
	ho.max_connections = (unsigned)cfg.max_connections;
	ho.threads = (unsigned)cfg.threads;
	ho.cert_pem = sc.chain_pem;
	ho.key_pem = sc.key_pem;
	snprintf(https_url, sizeof(https_url), "%s/directory", cfg.base_url);
	ho.https_url = https_url;
	if ((httpd = httpd_new(&ho, wfe_handle, wfe, err, sizeof(err))) ==
	    NULL || httpd_start(httpd, err, sizeof(err)) == -1) {
		cli_error("%s", err);
		goto out;
	}
	if (va_start_workers(va) == -1) {
		cli_error("cannot start the validation workers");
		goto out;
	}
	if (services_start(&svc, &cfg, sc.chain_pem, sc.key_pem, err,
	    sizeof(err)) == -1) {
		cli_error("%s", err);
		goto out;
	}

	if (cfg.validation_skip)
		log_warn("serve: VALIDATION IS OFF (--validation=skip): every "
		    "challenge is valid without a check. For testing ACME "
		    "clients only.");
	if (fault_injection_enabled())
		log_warn("serve: FAULT INJECTION BUILD (localacme-faults): "
		    "for tests only");
	if (cfg.alternate_roots > 0)
		ca_hier_log(ca);	/* one line per hierarchy, with its fingerprint */
	log_info("serve: state in %s%s", cfg.state_dir,
	    created ? " (new CA created)" : "");
	log_info("serve: ACME directory at %s/directory", cfg.base_url);
	if (created)
		first_start_note(&cfg);

	/* 5. wait for a signal; do maintenance in between */
	for (;;) {
		struct timespec	 ts = { MAINTENANCE_S, 0 };
		time_t		 now;

		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		now = time(NULL);
		(void)ra_expire(ra, now);
		services_tick(&svc, now);
		if (now - last_rotate_check >= ROTATE_CHECK_S) {
			last_rotate_check = now;
			if (ca_maybe_rotate(ca, now, &rotated, err,
			    sizeof(err)) == -1)
				log_warn("serve: intermediate rotation: %s",
				    err);
			else if (rotated)
				log_info("serve: intermediate rotated");
		}
		if (server_cert_due(&sc, now) || rotated) {
			struct server_cert next = { 0 };

			rotated = false;
			if (server_cert_issue(&cfg, ca, ra, &next, why,
			    sizeof(why)) == 0 &&
			    httpd_set_certificate(httpd, next.chain_pem,
			    next.key_pem) == 0) {
				/* the management API presents the same one */
				(void)services_set_certificate(&svc,
				    next.chain_pem, next.key_pem);
				server_cert_clear(&sc);
				sc = next;
				log_info("serve: server certificate renewed");
			} else {
				server_cert_clear(&next);
				log_warn("serve: server certificate renewal "
				    "failed (%s); retrying later", why);
			}
		}
	}
	log_info("serve: stopping (signal %d)", sig);
	exit_code = 0;
out:
	/* Reverse order: stop accepting, drain validations, then free. */
	if (httpd != NULL)
		httpd_stop(httpd);
	if (va != NULL)
		va_stop(va);	/* drained before the DNS mock it may ask goes */
	services_clear(&svc);	/* management API, CRL publisher, DNS mock */
	/* One line per client that deviated (GET <admin>/conformance). */
	conformance_log_summary();
	conformance_clear();
	httpd_free(httpd);
	va_free(va);
	wfe_free(wfe);
	page_free(page);
	nonce_free(nonces);
	ra_free(ra);
	server_cert_clear(&sc);
	ca_free(ca);
	config_clear(&cfg);
	return exit_code;
}
