/* config.c - the settings table and its four layers: defaults, file, env, flags */
/* SPDX-License-Identifier: MIT */
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "log.h"

enum ctype {
	CT_STR,
	CT_INT,
	CT_BOOL,
	CT_LIST,
	CT_LOGLEVEL,
	CT_LOGFMT,
	CT_VALIDATION
};

struct setting {
	const char	*name;	/* config file key */
	const char	*env;	/* environment variable */
	const char	*flag;	/* long option, without "--" */
	enum ctype	 type;
	const char	*def;	/* default as text (lists: comma list); NULL = computed */
	long		 min, max;	/* CT_INT bounds */
	size_t		 off;	/* field in struct config */
	size_t		 noff;	/* CT_LIST: the count field */
	const char	*help;
};

#define F(f)	offsetof(struct config, f)
#define NONE	0

/*
 * Redis's static_configs[] in spirit: one row per setting. The first
 * NCOMMON rows matter to every command; the rest configure the server.
 */
#define NCOMMON	3
static const struct setting settings[] = {
	{ "state_dir", "LOCALACME_HOME", "state", CT_STR, NULL, 0, 0,
	    F(state_dir), NONE, "state directory (CA keys, database)" },
	{ "log_level", "LOCALACME_LOG_LEVEL", "log-level", CT_LOGLEVEL, "info",
	    0, 0, F(log_level), NONE, "error|warn|info|debug" },
	{ "log_format", "LOCALACME_LOG_FORMAT", "log-format", CT_LOGFMT, "text",
	    0, 0, F(log_format), NONE, "text|json" },
	{ "listen", "LOCALACME_LISTEN", "listen", CT_LIST,
	    "127.0.0.1:8555,[::1]:8555", 0, 0, F(listen), F(nlisten),
	    "ADDR:PORT or [V6]:PORT to listen on (repeatable)" },
	{ "base_url", "LOCALACME_BASE_URL", "base-url", CT_STR, "", 0, 0,
	    F(base_url), NONE, "public https:// URL (default from listen)" },
	{ "hostnames", "LOCALACME_HOSTNAMES", "hostname", CT_LIST, "", 0, 0,
	    F(hostnames), F(nhostnames),
	    "extra name for the server's certificate (repeatable)" },
	{ "leaf_days", "LOCALACME_LEAF_DAYS", "leaf-days", CT_INT, "90", 1, 825,
	    F(leaf_days), NONE, "lifetime of ACME certificates in days" },
	{ "validation", "LOCALACME_VALIDATION", "validation", CT_VALIDATION,
	    "real", 0, 0, F(validation_skip), NONE, "real|skip" },
	{ "http01_port", "LOCALACME_HTTP01_PORT", "http01-port", CT_INT, "80",
	    1, 65535, F(http01_port), NONE, "port for http-01 checks" },
	{ "tlsalpn01_port", "LOCALACME_TLSALPN01_PORT", "tlsalpn01-port",
	    CT_INT, "443", 1, 65535, F(tlsalpn01_port), NONE,
	    "port for tls-alpn-01 checks" },
	{ "dns_resolver", "LOCALACME_DNS_RESOLVER", "dns-resolver", CT_STR, "",
	    0, 0, F(dns_resolver), NONE, "HOST:PORT of the DNS server (\"\" = system)" },
	{ "resolve", "LOCALACME_RESOLVE", "resolve", CT_LIST, "", 0, 0,
	    F(resolve), F(nresolve), "NAME=IP static answer (repeatable)" },
	{ "va_timeout_s", "LOCALACME_VA_TIMEOUT_S", "va-timeout", CT_INT, "10",
	    1, 300, F(va_timeout_s), NONE, "validation timeout (s)" },
	{ "va_workers", "LOCALACME_VA_WORKERS", "va-workers", CT_INT, "4", 1,
	    64, F(va_workers), NONE, "validation threads" },
	{ "challenge_wait_ms", "LOCALACME_CHALLENGE_WAIT_MS",
	    "challenge-wait-ms", CT_INT, "100", 0, 5000, F(challenge_wait_ms),
	    NONE, "a challenge POST's answer waits this long for its "
	    "validation's outcome (0 = answer \"processing\" at once)" },
	{ "max_body", "LOCALACME_MAX_BODY", "max-body", CT_INT, "65536", 1024,
	    16777216, F(max_body), NONE, "largest request body (bytes)" },
	{ "conn_timeout_s", "LOCALACME_CONN_TIMEOUT_S", "conn-timeout", CT_INT,
	    "30", 1, 3600, F(conn_timeout_s), NONE, "idle connection timeout (s)" },
	{ "request_deadline_s", "LOCALACME_REQUEST_DEADLINE_S",
	    "request-deadline", CT_INT, "30", 1, 3600, F(request_deadline_s),
	    NONE, "whole-request deadline (s)" },
	{ "header_timeout_s", "LOCALACME_HEADER_TIMEOUT_S", "header-timeout",
	    CT_INT, "5", 1, 3600, F(header_timeout_s), NONE,
	    "from connect (TLS included) to a whole request head (s)" },
	{ "per_ip_conn_limit", "LOCALACME_PER_IP_CONN_LIMIT",
	    "per-ip-conn-limit", CT_INT, "64", 1, 100000, F(per_ip_conn_limit),
	    NONE, "connections per client address (not loopback)" },
	{ "max_connections", "LOCALACME_MAX_CONNECTIONS", "max-connections",
	    CT_INT, "0", 0, 1000000, F(max_connections), NONE,
	    "connections in total (0 = from the open-file limit)" },
	{ "max_pending_authz", "LOCALACME_MAX_PENDING_AUTHZ",
	    "max-pending-authz", CT_INT, "1000", 0, 1000000,
	    F(max_pending_authz), NONE,
	    "pending authorizations per account, 0 = no cap (429 beyond)" },
	{ "new_account_rate", "LOCALACME_NEW_ACCOUNT_RATE", "new-account-rate",
	    CT_INT, "-1", -1, 1000000, F(new_account_rate), NONE,
	    "newAccount per minute per client address, burst the same (429 "
	    "beyond); 0 = no limit, -1 = none on loopback listeners, 300 on "
	    "others" },
	{ "threads", "LOCALACME_THREADS", "threads", CT_INT, "0", 0, 1024,
	    F(threads), NONE, "HTTP threads per listener (0 = two per core)" },
	{ "tos_url", "LOCALACME_TOS_URL", "tos-url", CT_STR, "", 0, 0,
	    F(tos_url), NONE, "terms of service URL (\"\" = none)" },
	{ "website", "LOCALACME_WEBSITE", "website", CT_STR, "", 0, 0,
	    F(website), NONE, "website URL in the directory meta" },
	{ "caa_identities", "LOCALACME_CAA_IDENTITIES", "caa-identity", CT_LIST,
	    "", 0, 0, F(caa_identities), F(ncaa_identities),
	    "CAA issuer domain (repeatable)" },
	{ "eab_required", "LOCALACME_EAB_REQUIRED", "eab-required", CT_BOOL,
	    "false", 0, 0, F(eab_required), NONE,
	    "require external account binding" },
	{ "profiles", "LOCALACME_PROFILES", "profile", CT_LIST, "", 0, 0,
	    F(profiles), F(nprofiles),
	    "NAME:N[s|m|h|d][:serverauth|clientauth][:cn|nocn] (repeatable)" },
	{ "default_profile", "LOCALACME_DEFAULT_PROFILE", "default-profile",
	    CT_STR, "default", 0, 0, F(default_profile), NONE,
	    "profile of orders that name none" },
	{ "crl", "LOCALACME_CRL", "crl", CT_BOOL, "false", 0, 0, F(crl), NONE,
	    "publish a CRL; leaves carry its URL" },
	{ "crl_period_s", "LOCALACME_CRL_PERIOD_S", "crl-period", CT_INT,
	    "86400", 120, 2592000, F(crl_period_s), NONE,
	    "CRL nextUpdate - thisUpdate (s)" },
	/* OCSP (issue #15 item 5): responder on the ACME listener, AIA in leaves */
	{ "ocsp", "LOCALACME_OCSP", "ocsp", CT_BOOL, "false", 0, 0, F(ocsp),
	    NONE, "answer OCSP (RFC 6960) at /ocsp; leaves carry its URL and "
	    "may ask for Must-Staple" },
	{ "admin_listen", "LOCALACME_ADMIN_LISTEN", "admin-listen", CT_STR, "",
	    0, 0, F(admin_listen), NONE,
	    "IP:PORT of the management API, HTTPS (\"\" = off)" },
	{ "admin_expose_keys", "LOCALACME_ADMIN_EXPOSE_KEYS",
	    "admin-expose-keys", CT_BOOL, "false", 0, 0, F(admin_expose_keys),
	    NONE, "management API serves the CA keys (tests only)" },
	{ "admin_token_file", "LOCALACME_ADMIN_TOKEN_FILE", "admin-token-file",
	    CT_STR, "", 0, 0, F(admin_token_file), NONE,
	    "management API bearer token file, 0600 (\"\" = <state>/admin.token)" },
	{ "admin_insecure_http", "LOCALACME_ADMIN_INSECURE_HTTP",
	    "admin-insecure-http", CT_BOOL, "false", 0, 0,
	    F(admin_insecure_http), NONE,
	    "management API over plain HTTP (loopback admin_listen only)" },
	{ "nonce_reject_pct", "LOCALACME_NONCE_REJECT", "nonce-reject", CT_INT,
	    "0", 0, 100, F(nonce_reject_pct), NONE,
	    "test knob: % of valid nonces answered badNonce" },
	{ "authz_reuse_pct", "LOCALACME_AUTHZ_REUSE", "authz-reuse", CT_INT,
	    "0", 0, 100, F(authz_reuse_pct), NONE,
	    "test knob: % chance to reuse a valid authorization" },
	{ "va_delay_ms", "LOCALACME_VA_DELAY_MS", "va-delay-ms", CT_INT, "0", 0,
	    600000, F(va_delay_ms), NONE,
	    "test knob: validations wait a random 0..N ms" },
	{ "retry_after_form", "LOCALACME_RETRY_AFTER_FORM", "retry-after-form",
	    CT_STR, "seconds", 0, 0, F(retry_after_form), NONE,
	    "test knob: Retry-After as seconds|date" },
	{ "seed", "LOCALACME_SEED", "seed", CT_INT, "0", 0, 2147483647,
	    F(seed), NONE, "test knob: PRNG seed to replay a run (0 = random)" },
	{ "strict", "LOCALACME_STRICT", "strict", CT_BOOL, "false", 0, 0,
	    F(strict), NONE, "refuse what RFC 8555 only discourages" },
	/* Issue #15: the built-in test DNS server (src/dnsmock/). */
	{ "dns_mock", "LOCALACME_DNS_MOCK", "dns-mock", CT_STR, "", 0, 0,
	    F(dns_mock), NONE,
	    "IP:PORT of a built-in test DNS server (UDP) the VA resolves "
	    "through (\"\" = off)" },
	{ "dns_mock_default_ipv4", "LOCALACME_DNS_MOCK_DEFAULT_IPV4",
	    "dns-mock-default-ipv4", CT_STR, "127.0.0.1", 0, 0,
	    F(dns_mock_default_ipv4), NONE,
	    "the DNS mock's A answer for names without one (\"\" = none)" },
	{ "dns_mock_default_ipv6", "LOCALACME_DNS_MOCK_DEFAULT_IPV6",
	    "dns-mock-default-ipv6", CT_STR, "::1", 0, 0,
	    F(dns_mock_default_ipv6), NONE,
	    "the DNS mock's AAAA answer for names without one (\"\" = none)" },
	/* issue #15 item 4: test knobs ACME client suites need (knobs.h) */
	{ "http01_redirect_ports", "LOCALACME_HTTP01_REDIRECT_PORTS",
	    "http01-redirect-ports", CT_STR, "", 0, 0,
	    F(http01_redirect_ports), NONE, "test knob: PORT,... an http-01 "
	    "fetch may also be redirected to (beside 80, 443, http01_port)" },
	{ "weak_keys", "LOCALACME_WEAK_KEYS", "weak-keys", CT_BOOL, "false", 0,
	    0, F(weak_keys), NONE, "test knob: accept RSA 1024 and P-521 "
	    "account and CSR keys (never for real use)" },
	{ "authz_lifetime", "LOCALACME_AUTHZ_LIFETIME", "authz-lifetime",
	    CT_STR, "", 0, 0, F(authz_lifetime), NONE, "test knob: pending "
	    "authorizations expire after N[s|m|h|d] (\"\" = 7d)" },
	{ "order_lifetime", "LOCALACME_ORDER_LIFETIME", "order-lifetime",
	    CT_STR, "", 0, 0, F(order_lifetime), NONE, "test knob: pending "
	    "orders expire after N[s|m|h|d] (\"\" = 7d)" },
	{ "retry_after", "LOCALACME_RETRY_AFTER", "retry-after", CT_INT, "0",
	    0, 86400, F(retry_after), NONE, "test knob: Retry-After seconds "
	    "on processing orders/challenges (0 = 1)" },
	{ "delete_revoked", "LOCALACME_DELETE_REVOKED", "delete-revoked",
	    CT_BOOL, "false", 0, 0, F(delete_revoked), NONE, "test knob: a "
	    "revoked certificate's URL answers 404 (the CRL keeps it)" },
	/* alternate chains (RFC 8555 §7.4.2; issue #15) */
	{ "alternate_roots", "LOCALACME_ALTERNATE_ROOTS", "alternate-roots",
	    CT_INT, "0", 0, 4, F(alternate_roots), NONE,
	    "alternate hierarchies each leaf is also served under (Link rel=alternate)" },
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))

#define OPT_BASE	0x1000	/* getopt val of settings[i] is OPT_BASE + i */
#define OPT_CONFIG	0x0fff
#define MAX_FILE	(1024 * 1024)

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	/* One line: a value echoed back may hold CR, LF or ESC (fuzz_config). */
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void
list_free(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static int
list_append(char ***l, size_t *n, const char *v, size_t len)
{
	char **nl;

	if ((nl = realloc(*l, (*n + 1) * sizeof(*nl))) == NULL)
		return -1;
	*l = nl;
	if ((nl[*n] = strndup(v, len)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

static void
list_reset(struct config *cfg, const struct setting *s)
{
	char	***l = (char ***)((char *)cfg + s->off);
	size_t	 *n = (size_t *)((char *)cfg + s->noff);

	list_free(*l, *n);
	*l = NULL;
	*n = 0;
}

static int
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0 || strcmp(v, "on") == 0)
		*out = true;
	else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "no") == 0 || strcmp(v, "off") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/*
 * Set one setting from text. `origin` names where it came from for the
 * error message. Lists: `append` adds one element as is; otherwise the
 * text is a comma list that replaces the current value.
 */
static int
set_text(struct config *cfg, const struct setting *s, const char *v,
    bool append, const char *origin, char *err, size_t errsz)
{
	void	*field = (char *)cfg + s->off;
	char	*end, *dup;
	long	 n;

	switch (s->type) {
	case CT_STR:
		if ((dup = strdup(v)) == NULL)
			goto nomem;
		free(*(char **)field);
		*(char **)field = dup;
		return 0;
	case CT_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 ||
		    n < s->min || n > s->max) {
			seterr(err, errsz, "%s: must be an integer from %ld "
			    "to %ld", origin, s->min, s->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case CT_BOOL:
		if (parse_bool(v, (bool *)field) == -1) {
			seterr(err, errsz, "%s: must be true or false", origin);
			return -1;
		}
		return 0;
	case CT_LOGLEVEL:
		if (log_level_parse(v, (enum log_level *)field) == -1) {
			seterr(err, errsz, "%s: must be error, warn, info "
			    "or debug", origin);
			return -1;
		}
		return 0;
	case CT_LOGFMT:
		if (log_format_parse(v, (enum log_format *)field) == -1) {
			seterr(err, errsz, "%s: must be text or json", origin);
			return -1;
		}
		return 0;
	case CT_VALIDATION:
		if (strcmp(v, "real") == 0)
			*(bool *)field = false;
		else if (strcmp(v, "skip") == 0)
			*(bool *)field = true;
		else {
			seterr(err, errsz, "%s: must be real or skip", origin);
			return -1;
		}
		return 0;
	case CT_LIST: {
		char	***l = (char ***)field;
		size_t	 *cnt = (size_t *)((char *)cfg + s->noff);
		const char *p = v, *comma;

		if (append) {
			if (*v == '\0') {
				seterr(err, errsz, "%s: empty value", origin);
				return -1;
			}
			if (list_append(l, cnt, v, strlen(v)) == -1)
				goto nomem;
			return 0;
		}
		list_reset(cfg, s);
		while (*p != '\0') {
			if ((comma = strchr(p, ',')) == NULL)
				comma = p + strlen(p);
			if (comma == p) {
				seterr(err, errsz, "%s: empty list element",
				    origin);
				return -1;
			}
			if (list_append(l, cnt, p, (size_t)(comma - p)) == -1)
				goto nomem;
			p = *comma == ',' ? comma + 1 : comma;
		}
		return 0;
	}
	}
	return 0;
nomem:
	seterr(err, errsz, "%s: out of memory", origin);
	return -1;
}

/*
 * Line and column (1-based) of top-level key `key` in JSON text, found
 * by a small scanner (Jansson keeps no positions per value). The text
 * has already been parsed, so it is valid JSON. 1:1 if not found.
 */
static void
keypos(const char *t, size_t len, const char *key, int *line, int *col)
{
	int	 l = 1, c = 1, depth = 0;
	size_t	 klen = strlen(key);

	*line = 1;
	*col = 1;
	for (size_t i = 0; i < len; i++) {
		char ch = t[i];

		if (ch == '"') {
			size_t	 start = i + 1, j = start;
			int	 sl = l, sc = c;

			while (j < len && t[j] != '"') {
				if (t[j] == '\\')
					j++;
				j++;
			}
			if (depth == 1 && j - start == klen &&
			    memcmp(t + start, key, klen) == 0) {
				size_t k = j + 1;
				while (k < len && strchr(" \t\r\n", t[k]) != NULL)
					k++;
				if (k < len && t[k] == ':') {
					*line = sl;
					*col = sc;
					return;
				}
			}
			c += (int)(j - i) + 1;
			i = j;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		if (ch == '\n') {
			l++;
			c = 1;
		} else
			c++;
	}
}

static const struct setting *
find_by_name(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

size_t
config_edit_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), row[65], prev, tmp;

	/* Levenshtein over bytes, one row; long words are never "near". */
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
config_nearest(const char *word, const char *const *cands, size_t n)
{
	const char	*best = NULL;
	size_t		 bestd = SIZE_MAX, d, len = strlen(word);

	for (size_t i = 0; i < n; i++) {
		if (cands[i] == NULL)
			continue;
		d = config_edit_distance(word, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	/* Close enough to be a typo: at most 2 edits, and under half the word. */
	if (best == NULL || bestd > 2 || bestd * 2 >= len)
		return NULL;
	return best;
}

/* The setting name nearest to key, or NULL. */
static const char *
nearest_setting(const char *key)
{
	const char *names[NSETTINGS];

	for (size_t i = 0; i < NSETTINGS; i++)
		names[i] = settings[i].name;
	return config_nearest(key, names, NSETTINGS);
}

/*
 * Where the first byte that no JSON text holds (NUL, other C0 controls
 * but TAB/LF/CR, DEL) is, so a binary file is named as such at its real
 * position: Jansson stops at a NUL and reports "end of file" at 1:1.
 */
static bool
binary_pos(const char *t, size_t len, int *line, int *col, unsigned *byte)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)t[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') ||
		    ch == 0x7f) {
			*line = l;
			*col = c;
			*byte = ch;
			return true;
		}
		if (ch == '\n') {
			l++;
			c = 1;
		} else
			c++;
	}
	return false;
}

static int
load_file(struct config *cfg, const char *path, char *err, size_t errsz)
{
	FILE		*fp = NULL;
	char		*text = NULL, origin[PATH_MAX + 96];
	size_t		 len = 0;
	json_t		*root = NULL, *v;
	json_error_t	 jerr;
	const char	*key;
	int		 rc = -1, line, col;
	unsigned	 bad;

	if ((fp = fopen(path, "re")) == NULL) {
		seterr(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((text = malloc(MAX_FILE + 1)) == NULL) {
		seterr(err, errsz, "%s: out of memory", path);
		goto out;
	}
	len = fread(text, 1, MAX_FILE + 1, fp);
	if (ferror(fp)) {
		seterr(err, errsz, "%s: read error", path);
		goto out;
	}
	if (len > MAX_FILE) {
		seterr(err, errsz, "%s: larger than %d bytes", path, MAX_FILE);
		goto out;
	}
	text[len] = '\0';
	if (binary_pos(text, len, &line, &col, &bad)) {
		seterr(err, errsz, "%s:%d:%d: binary data (byte 0x%02x), not "
		    "a JSON configuration file", path, line, col, bad);
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		seterr(err, errsz, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		seterr(err, errsz, "%s:1:1: the configuration must be a "
		    "JSON object", path);
		goto out;
	}
	json_object_foreach(root, key, v) {
		const struct setting *s = find_by_name(key);

		keypos(text, len, key, &line, &col);
		snprintf(origin, sizeof(origin), "%s:%d:%d: %s", path, line,
		    col, key);
		if (s == NULL) {
			const char *near = nearest_setting(key);

			if (near != NULL)
				seterr(err, errsz, "%s:%d:%d: unknown setting "
				    "\"%s\"; did you mean \"%s\"?", path, line,
				    col, key, near);
			else
				seterr(err, errsz, "%s:%d:%d: unknown setting "
				    "\"%s\"", path, line, col, key);
			goto out;
		}
		switch (s->type) {
		case CT_INT: {
			char num[32];
			if (!json_is_integer(v)) {
				seterr(err, errsz, "%s: must be an integer",
				    origin);
				goto out;
			}
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
			if (set_text(cfg, s, num, false, origin, err,
			    errsz) == -1)
				goto out;
			break;
		}
		case CT_BOOL:
			if (!json_is_boolean(v)) {
				seterr(err, errsz, "%s: must be true or false",
				    origin);
				goto out;
			}
			*(bool *)((char *)cfg + s->off) = json_is_true(v);
			break;
		case CT_LIST: {
			size_t	 i;
			json_t	*e;

			if (!json_is_array(v)) {
				seterr(err, errsz, "%s: must be an array of "
				    "strings", origin);
				goto out;
			}
			list_reset(cfg, s);
			json_array_foreach(v, i, e) {
				if (!json_is_string(e)) {
					seterr(err, errsz, "%s: must be an "
					    "array of strings", origin);
					goto out;
				}
				if (set_text(cfg, s, json_string_value(e),
				    true, origin, err, errsz) == -1)
					goto out;
			}
			break;
		}
		default:
			if (!json_is_string(v)) {
				seterr(err, errsz, "%s: must be a string",
				    origin);
				goto out;
			}
			if (set_text(cfg, s, json_string_value(v), false,
			    origin, err, errsz) == -1)
				goto out;
			break;
		}
	}
	rc = 0;
out:
	json_decref(root);
	free(text);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

static int
default_state_dir(struct config *cfg, char *err, size_t errsz)
{
	const char	*xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct passwd	*pw;
	char		 buf[PATH_MAX];
	int		 n;

	if (xdg != NULL && xdg[0] == '/')	/* XDG: relative paths are ignored */
		n = snprintf(buf, sizeof(buf), "%s/localacme", xdg);
	else {
		if (home == NULL || home[0] == '\0') {
			if ((pw = getpwuid(geteuid())) == NULL) {
				seterr(err, errsz, "state_dir: no HOME; use "
				    "--state DIR");
				return -1;
			}
			home = pw->pw_dir;
		}
		n = snprintf(buf, sizeof(buf), "%s/.local/share/localacme",
		    home);
	}
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		seterr(err, errsz, "state_dir: path too long");
		return -1;
	}
	free(cfg->state_dir);
	if ((cfg->state_dir = strdup(buf)) == NULL) {
		seterr(err, errsz, "state_dir: out of memory");
		return -1;
	}
	return 0;
}

int
config_split_hostport(const char *s, char *host, size_t hostsz, int *port)
{
	const char	*colon, *h = s, *hend;
	char		*end;
	long		 p;
	unsigned char	 buf[16];

	if (s[0] == '[') {
		if ((hend = strchr(s, ']')) == NULL || hend[1] != ':')
			return -1;
		h = s + 1;
		colon = hend + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hend = colon;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;	/* bare IPv6 needs brackets */
	}
	if (hend == h || (size_t)(hend - h) >= hostsz)
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	if (s[0] == '[' && inet_pton(AF_INET6, host, buf) != 1)
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || p < 1 ||
	    p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

bool
config_hostport_is_loopback(const char *s)
{
	char		 host[256];
	unsigned char	 b[16];
	int		 port;

	if (config_split_hostport(s, host, sizeof(host), &port) == -1)
		return false;
	if (inet_pton(AF_INET, host, b) == 1)
		return b[0] == 127;
	if (inet_pton(AF_INET6, host, b) == 1) {
		static const unsigned char lo[16] = { [15] = 1 };

		return memcmp(b, lo, sizeof(lo)) == 0;
	}
	return false;
}

unsigned
config_new_account_rate(const struct config *cfg, size_t i)
{
	if (cfg->new_account_rate >= 0)
		return (unsigned)cfg->new_account_rate;
	if (i >= cfg->nlisten || config_hostport_is_loopback(cfg->listen[i]))
		return 0;
	return CONFIG_NEW_ACCOUNT_RATE_DEFAULT;
}

static bool
is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* Cross-field checks and derived values, after all layers. */
static int
finish(struct config *cfg, char *err, size_t errsz)
{
	unsigned char	 abuf[16];
	char	 host[256];
	int	 port;

	if (cfg->state_dir == NULL || cfg->state_dir[0] == '\0') {
		if (default_state_dir(cfg, err, errsz) == -1)
			return -1;
	}
	if (cfg->nlisten == 0) {
		seterr(err, errsz, "listen: at least one address is needed");
		return -1;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		if (config_split_hostport(cfg->listen[i], host, sizeof(host),
		    &port) == -1 || !is_ip(host)) {
			seterr(err, errsz, "listen: \"%s\" is not IP:PORT or "
			    "[IPV6]:PORT", cfg->listen[i]);
			return -1;
		}
	}
	if (cfg->base_url[0] == '\0') {
		char url[64];

		config_split_hostport(cfg->listen[0], host, sizeof(host),
		    &port);
		if (port == 443)
			snprintf(url, sizeof(url), "https://localhost");
		else
			snprintf(url, sizeof(url), "https://localhost:%d",
			    port);
		free(cfg->base_url);
		if ((cfg->base_url = strdup(url)) == NULL) {
			seterr(err, errsz, "base_url: out of memory");
			return -1;
		}
	} else {
		size_t n = strlen(cfg->base_url);

		if (strncmp(cfg->base_url, "https://", 8) != 0 || n <= 8 ||
		    strpbrk(cfg->base_url, " \t\r\n\"?#") != NULL) {
			seterr(err, errsz, "base_url: must be an https:// URL "
			    "without query or fragment");
			return -1;
		}
		while (n > 8 && cfg->base_url[n - 1] == '/')
			cfg->base_url[--n] = '\0';
	}
	if (cfg->dns_resolver[0] != '\0' &&
	    (config_split_hostport(cfg->dns_resolver, host, sizeof(host),
	    &port) == -1 || !is_ip(host))) {
		seterr(err, errsz, "dns_resolver: \"%s\" is not IP:PORT or "
		    "[IPV6]:PORT", cfg->dns_resolver);
		return -1;
	}
	/* Issue #15: the DNS mock is the VA's resolver; one of the two. */
	if (cfg->dns_mock[0] != '\0' &&
	    (config_split_hostport(cfg->dns_mock, host, sizeof(host),
	    &port) == -1 || !is_ip(host))) {
		seterr(err, errsz, "dns_mock: \"%s\" is not IP:PORT or "
		    "[IPV6]:PORT", cfg->dns_mock);
		return -1;
	}
	if (cfg->dns_mock[0] != '\0' && cfg->dns_resolver[0] != '\0') {
		seterr(err, errsz, "dns_mock: the VA resolves through the DNS "
		    "mock; drop dns_resolver (\"%s\")", cfg->dns_resolver);
		return -1;
	}
	if (cfg->dns_mock_default_ipv4[0] != '\0' &&
	    inet_pton(AF_INET, cfg->dns_mock_default_ipv4, abuf) != 1) {
		seterr(err, errsz, "dns_mock_default_ipv4: \"%s\" is not an "
		    "IPv4 address", cfg->dns_mock_default_ipv4);
		return -1;
	}
	if (cfg->dns_mock_default_ipv6[0] != '\0' &&
	    inet_pton(AF_INET6, cfg->dns_mock_default_ipv6, abuf) != 1) {
		seterr(err, errsz, "dns_mock_default_ipv6: \"%s\" is not an "
		    "IPv6 address", cfg->dns_mock_default_ipv6);
		return -1;
	}
	for (size_t i = 0; i < cfg->nresolve; i++) {
		const char *eq = strchr(cfg->resolve[i], '=');

		if (eq == NULL || eq == cfg->resolve[i] || !is_ip(eq + 1)) {
			seterr(err, errsz, "resolve: \"%s\" is not NAME=IP",
			    cfg->resolve[i]);
			return -1;
		}
	}
	/*
	 * Issue #12: the management API is HTTPS; plain HTTP only when asked
	 * and only where no other machine can reach it.
	 */
	if (cfg->admin_listen[0] != '\0' &&
	    (config_split_hostport(cfg->admin_listen, host, sizeof(host),
	    &port) == -1 || !is_ip(host))) {
		seterr(err, errsz, "admin_listen: \"%s\" is not IP:PORT or "
		    "[IPV6]:PORT", cfg->admin_listen);
		return -1;
	}
	if (cfg->admin_insecure_http && cfg->admin_listen[0] != '\0' &&
	    !config_hostport_is_loopback(cfg->admin_listen)) {
		seterr(err, errsz, "admin_insecure_http: plain HTTP only on a "
		    "loopback admin_listen (127.0.0.0/8 or [::1]), not \"%s\"",
		    cfg->admin_listen);
		return -1;
	}
	for (size_t i = 0; i < cfg->nhostnames; i++) {
		if (strpbrk(cfg->hostnames[i], " \t\r\n,/") != NULL) {
			seterr(err, errsz, "hostnames: \"%s\" is not a name",
			    cfg->hostnames[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * "unknown option --X", with the nearest known option when it looks like
 * a typo, and the way to say --port (a common guess) with --listen.
 */
static void
unknown_option(const struct option *opts, size_t nopts, const char *sub,
    const char *arg, char *err, size_t errsz)
{
	const char	*names[NSETTINGS + 64], *near;
	char		 word[72];
	size_t		 n = 0, len;

	len = strcspn(arg, "=");
	if (strncmp(arg, "--", 2) != 0 || len - 2 >= sizeof(word)) {
		seterr(err, errsz, "%s: unknown option %s", sub, arg);
		return;
	}
	memcpy(word, arg + 2, len - 2);
	word[len - 2] = '\0';
	if (strcmp(word, "port") == 0) {
		seterr(err, errsz, "%s: unknown option --port; the address and "
		    "port go together: --listen 127.0.0.1:PORT (repeatable, "
		    "e.g. also --listen [::1]:PORT)", sub);
		return;
	}
	for (size_t i = 0; i < nopts && n < sizeof(names) / sizeof(names[0]);
	    i++) {
		if (strcmp(opts[i].name, word) == 0) {
			/* getopt's "--flag=value" on a flag without one */
			seterr(err, errsz, "%s: option --%s takes no value",
			    sub, word);
			return;
		}
		names[n++] = opts[i].name;
	}
	if ((near = config_nearest(word, names, n)) != NULL)
		seterr(err, errsz, "%s: unknown option --%s; did you mean "
		    "--%s?", sub, word, near);
	else
		seterr(err, errsz, "%s: unknown option --%s (see `localacme %s "
		    "--help`)", sub, word, sub);
}

static void
setting_origin_flag(const struct setting *s, char *buf, size_t sz)
{
	snprintf(buf, sz, "--%s", s->flag);
}

int
config_parse(struct config *cfg, const char *subcommand, int argc,
    char **argv, const struct option *extra, config_extra_fn extra_cb,
    void *arg, char *err, size_t errsz)
{
	struct option	*opts = NULL;
	char		 optstring[128], origin[128];
	const char	*cfgpath = NULL, *ev;
	int		*fidx = NULL, rc = -1, nflags = 0, c;
	const char	**fval = NULL;
	bool		 seen[NSETTINGS] = { false };
	size_t		 nextra = 0, o = 0, k = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	while (extra != NULL && extra[nextra].name != NULL)
		nextra++;
	if ((opts = calloc(NSETTINGS + nextra + 3, sizeof(*opts))) == NULL ||
	    (fidx = calloc((size_t)argc + 1, sizeof(*fidx))) == NULL ||
	    (fval = calloc((size_t)argc + 1, sizeof(*fval))) == NULL) {
		seterr(err, errsz, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < NSETTINGS; i++) {
		opts[o].name = settings[i].flag;
		opts[o].has_arg = settings[i].type == CT_BOOL ? no_argument :
		    required_argument;
		opts[o].val = OPT_BASE + (int)i;
		o++;
	}
	opts[o++] = (struct option){ "config", required_argument, NULL,
	    OPT_CONFIG };
	opts[o++] = (struct option){ "help", no_argument, NULL, 'h' };
	optstring[k++] = ':';
	optstring[k++] = 'h';
	for (size_t i = 0; i < nextra; i++) {
		opts[o++] = extra[i];
		if (extra[i].val > 0 && extra[i].val < 128 &&
		    extra[i].flag == NULL && k + 3 < sizeof(optstring)) {
			optstring[k++] = (char)extra[i].val;
			if (extra[i].has_arg == required_argument)
				optstring[k++] = ':';
		}
	}
	optstring[k] = '\0';

	/* Pass 1: collect. Flags are applied last, after file and env. */
	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		if (c == 'h')
			cfg->help = true;
		else if (c == OPT_CONFIG)
			cfgpath = optarg;
		else if (c >= OPT_BASE && c < OPT_BASE + (int)NSETTINGS) {
			fidx[nflags] = c - OPT_BASE;
			fval[nflags] = optarg != NULL ? optarg : "true";
			nflags++;
		} else if (c == '?') {
			if (optopt != 0 && optopt < 128 && optopt > ' ')
				seterr(err, errsz, "%s: unknown option -%c",
				    subcommand, optopt);
			else
				unknown_option(opts, o, subcommand,
				    argv[optind - 1], err, errsz);
			goto out;
		} else if (c == ':') {
			seterr(err, errsz, "%s: option %s needs a value",
			    subcommand, argv[optind - 1]);
			goto out;
		} else if (extra_cb == NULL ||
		    extra_cb(arg, c, optarg) == -1) {
			const char *name = "?";
			for (size_t i = 0; i < nextra; i++)
				if (extra[i].val == c)
					name = extra[i].name;
			seterr(err, errsz, "--%s: invalid value \"%s\"", name,
			    optarg != NULL ? optarg : "");
			goto out;
		}
	}
	rc = optind;

	/* Layer 1: defaults. */
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (settings[i].def == NULL)
			continue;
		snprintf(origin, sizeof(origin), "default %s",
		    settings[i].name);
		if (set_text(cfg, &settings[i], settings[i].def, false, origin,
		    err, errsz) == -1)
			goto fail;
	}
	/* Layer 2: the file. */
	if (cfgpath == NULL && (ev = getenv("LOCALACME_CONFIG")) != NULL &&
	    ev[0] != '\0')
		cfgpath = ev;
	if (cfgpath != NULL) {
		if ((cfg->config_file = strdup(cfgpath)) == NULL) {
			seterr(err, errsz, "out of memory");
			goto fail;
		}
		if (load_file(cfg, cfgpath, err, errsz) == -1)
			goto fail;
	}
	/* Layer 3: the environment. */
	for (size_t i = 0; i < NSETTINGS; i++) {
		if ((ev = getenv(settings[i].env)) == NULL)
			continue;
		/*
		 * A computed default (state_dir): set but empty is unset, so
		 * `LOCALACME_HOME=` does not hide the file's state_dir.
		 */
		if (settings[i].def == NULL && ev[0] == '\0')
			continue;
		if (set_text(cfg, &settings[i], ev, false, settings[i].env,
		    err, errsz) == -1)
			goto fail;
	}
	/* Layer 4: flags, in argv order; a repeated list flag appends. */
	for (int i = 0; i < nflags; i++) {
		const struct setting *s = &settings[fidx[i]];

		setting_origin_flag(s, origin, sizeof(origin));
		if (s->def == NULL && fval[i][0] == '\0') {
			seterr(err, errsz, "%s: empty path", origin);
			goto fail;
		}
		if (s->type == CT_LIST && !seen[fidx[i]])
			list_reset(cfg, s);
		seen[fidx[i]] = true;
		if (set_text(cfg, s, fval[i], s->type == CT_LIST, origin, err,
		    errsz) == -1)
			goto fail;
	}
	if (finish(cfg, err, errsz) == -1)
		goto fail;
	log_setup(cfg->log_level, cfg->log_format);
	goto out;
fail:
	rc = -1;
out:
	if (rc == -1)
		config_clear(cfg);
	free(opts);
	free(fidx);
	free(fval);
	return rc;
}

void
config_clear(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NSETTINGS; i++) {
		void *field = (char *)cfg + settings[i].off;

		if (settings[i].type == CT_STR)
			free(*(char **)field);
		else if (settings[i].type == CT_LIST)
			list_free(*(char ***)field,
			    *(size_t *)((char *)cfg + settings[i].noff));
	}
	free(cfg->config_file);
	memset(cfg, 0, sizeof(*cfg));
}

void
config_usage(FILE *fp, bool server)
{
	char buf[64];

	fprintf(fp, "%s options (also LOCALACME_* variables and "
	    "--config FILE / LOCALACME_CONFIG):\n", server ? "Server" :
	    "Common");
	fprintf(fp, "  %-26s %s\n", "--config FILE",
	    "JSON configuration file");
	for (size_t i = 0; i < (server ? NSETTINGS : NCOMMON); i++) {
		snprintf(buf, sizeof(buf), "--%s%s", settings[i].flag,
		    settings[i].type == CT_BOOL ? "" : " VALUE");
		fprintf(fp, "  %-26s %s [%s]\n", buf, settings[i].help,
		    settings[i].env);
	}
	fprintf(fp, "  %-26s %s\n", "-h, --help", "show this help");
}
