/* fuzz_request.c - libFuzzer target: sequences of ACME requests through the in-memory WFE, RA, CA and store */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/b64url.h"
#include "acme/jwk.h"
#include "store/store.h"
#include "ca.h"
#include "fuzz.h"
#include "httpd.h"
#include "log.h"
#include "nonce.h"
#include "profile.h"
#include "fuzz_request.h"
#include "ra.h"
#include "testutil.h"
#include "wfe.h"
#include "wfe_harness.h"

/*
 * A stateful target (HARDENING.md §8.2 fuzz_request). The input is split
 * at FUZZ_REQ_SEP into at most MAX_RECORDS records; each record is
 *   [op] [mutation] [arg] data...
 * and becomes one HTTP request to wfe_handle. The harness plays a
 * client: it keeps the accounts, order, authorizations, challenges and
 * certificate URLs the server returned, and builds a VALIDLY SIGNED
 * request (fixed test keys, a fresh nonce, the right url) for the op, so
 * sequences reach finalize, certificate download, revocation and key
 * rollover. The mutation byte then breaks one thing (stale or missing
 * nonce, wrong url, wrong key, wrong alg, kid<->jwk, a flipped byte,
 * Content-Type, a Replay-Nonce request header); the data, when present,
 * replaces the payload (or the CSR, or the whole body for OP_RAW).
 *
 * The server is the WFE tests' harness (tests/unit/wfe_harness.h):
 * every input gets a fresh RA, nonce table and WFE on its own in-memory
 * database (state never leaks between inputs), and requests go through
 * wh_req_full, which hands the path to wfe_handle %-decoded with the raw
 * target beside it, as httpd does. The CA (root + intermediate, default
 * policy) is created once per process in a temp dir. Validation is
 * skipped, as with `validation: skip`.
 *
 * Invariants, after each request:
 *  - no 5xx: nothing a client sends may make the server fail;
 *  - every error is an RFC 7807 problem with a urn:ietf:params:acme:error:
 *    type and the response's status; every ACME response has a nonce;
 *  - a 4xx changes no state (accounts, orders, authorizations, challenges
 *    and certificates compared before and after);
 *  - a downloaded certificate chains to the root (name constraints
 *    included);
 * and after the whole input (HARDENING §4.1 I1, I4, I6):
 *  - PRAGMA integrity_check is ok;
 *  - no order is left processing; a valid order has its certificate;
 *    each certificate's names are its order's identifiers;
 *  - each account's key thumbprint finds that account.
 */

#define MAX_RECORDS	24
#define MAX_ACCTS	8
#define MAX_URLS	16
#define BASE		"https://acme.fuzz"

struct acct {
	char	 url[256];
	int	 key;
	bool	 deactivated;
};

/* What the client knows; reset for every input. */
struct client {
	struct acct		 accts[MAX_ACCTS];
	size_t			 nacct;
	int			 cur;			/* -1: none */
	char			 order[256], finalize[256], cert[256];
	char			 orders[MAX_URLS][256];	/* every order seen */
	size_t			 norders;
	char			 authz[MAX_URLS][256];
	size_t			 nauthz;
	char			 chall[MAX_URLS][256];
	size_t			 nchall;
	char			*names[ACME_MAX_IDENTIFIERS]; /* last order's */
	size_t			 nnames;
	int			 csr_key;		/* key of the last CSR */
	unsigned char		*cert_der;		/* last leaf */
	size_t			 cert_len;
	char			 nonce[NONCE_SIZE + 8];
	char			 stale[NONCE_SIZE + 8];
};

static struct ca		*ca;
static struct profile_table	 profiles;	/* the built-in three */
static bool			 verbose;	/* FUZZ_VERBOSE=1: log requests */

/* The server for one input; srv.st is our own connection, for invariants. */
static struct wh	 srv;

static void
setup_process(void)
{
	char err[512];

	if (ca != NULL)
		return;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	log_setup(verbose ? LOG_LVL_INFO : LOG_LVL_ERROR, LOG_FMT_TEXT);
	if ((ca = ca_open(fuzz_tmpdir(), true, NULL, NULL, err,
	    sizeof(err))) == NULL)
		fuzz_fail(__FILE__, __LINE__, "ca_open", "%s", err);
	for (int k = 0; k < FUZZ_KEY__MAX; k++)
		(void)fuzz_key((enum fuzz_key)k);
	profile_table_init(&profiles, 90);
}

static void
setup_input(void)
{
	wh_defaults(&srv);		/* validation skipped */
	srv.ca = ca;
	srv.memdb = true;
	srv.nonce_cap = 4096;
	srv.ro.leaf_days = 90;
	srv.ro.profiles = &profiles;	/* draft-ietf-acme-profiles orders */
	srv.wo.base_url = BASE;
	srv.wo.retry_after_s = 1;
	if (wh_start(&srv, true) != 0)
		fuzz_fail(__FILE__, __LINE__, "wh_start", "-");
}

static void
teardown_input(struct client *c)
{
	wh_stop(&srv);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->cert_der);
}

/* ---------- snapshots and invariants ---------- */

/* Last path segment of one of our URLs (an ID), or "". */
static const char *
id_of(const char *url)
{
	const char *s = strrchr(url, '/');

	return s == NULL ? "" : s + 1;
}

struct buf {
	char	*s;
	size_t	 len, cap;
};

static void
bprintf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s == NULL ? NULL : b->s + b->len,
		    b->s == NULL ? 0 : b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fuzz_fail(__FILE__, __LINE__, "vsnprintf", "-");
		if (b->s != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		if ((b->s = realloc(b->s, b->cap)) == NULL)
			fuzz_fail(__FILE__, __LINE__, "realloc", "-");
	}
}

static int
snap_cert(const struct acme_cert *cert, void *arg)
{
	bprintf(arg, "cert %s %d %d\n", cert->serial, (int)cert->status,
	    cert->revocation_reason);
	return 0;
}

/* Text of every piece of state the client can name. Caller frees. */
static char *
snapshot(const struct client *c)
{
	struct buf		 b = { 0 };
	struct acme_account	 a = { 0 };
	struct acme_order	 o = { 0 };
	struct acme_authz	 z = { 0 };

	for (size_t i = 0; i < c->nacct; i++) {
		if (store_account_get(srv.st, id_of(c->accts[i].url), &a) !=
		    STORE_OK)
			continue;
		bprintf(&b, "acct %s %d %s %zu", a.id, (int)a.status,
		    a.jwk != NULL ? a.jwk : "-", a.ncontact);
		for (size_t k = 0; k < a.ncontact; k++)
			bprintf(&b, " %s", a.contact[k]);
		bprintf(&b, "\n");
		acme_account_clear(&a);
	}
	for (size_t i = 0; i < c->norders; i++) {
		if (store_order_get(srv.st, id_of(c->orders[i]), &o) !=
		    STORE_OK)
			continue;
		bprintf(&b, "order %s %d %s %d\n", o.id, (int)o.status,
		    o.cert_serial, o.error.set);
		for (size_t k = 0; k < o.nident; k++) {
			if (store_authz_get(srv.st, o.authz_ids[k], &z) !=
			    STORE_OK)
				continue;
			bprintf(&b, " authz %s %d", z.id, (int)z.status);
			for (size_t j = 0; j < z.nchall; j++)
				bprintf(&b, " %d", (int)z.chall[j].status);
			bprintf(&b, "\n");
			acme_authz_clear(&z);
		}
		acme_order_clear(&o);
	}
	FUZZ_CHECK(store_cert_list(srv.st, false, snap_cert, &b) == STORE_OK,
	    "cert list: %s", store_errmsg(srv.st));
	bprintf(&b, "end\n");
	return b.s;
}

static char *
names_csv(const struct acme_order *o)
{
	struct buf b = { 0 };

	bprintf(&b, "%s", "");
	for (size_t i = 0; i < o->nident; i++)
		bprintf(&b, "%s%s", i > 0 ? "," : "", o->idents[i].value);
	return b.s;
}

static int
check_cert(const struct acme_cert *cert, void *arg)
{
	struct acme_order	 o = { 0 };
	char			*csv;

	(void)arg;
	if (cert->order_id[0] == '\0')
		return 0;
	FUZZ_CHECK(store_order_get(srv.st, cert->order_id, &o) == STORE_OK,
	    "certificate %s without its order", cert->serial);
	FUZZ_CHECK(o.status == ACME_ORDER_VALID && strcmp(o.cert_serial,
	    cert->serial) == 0, "certificate %s, order %s is %d with %s",
	    cert->serial, o.id, (int)o.status, o.cert_serial);
	csv = names_csv(&o);
	FUZZ_CHECK(strcmp(csv, cert->names) == 0, "certificate names %s, "
	    "order names %s", cert->names, csv);
	free(csv);
	acme_order_clear(&o);
	return 0;
}

static void
check_final(const struct client *c)
{
	struct acme_account	 a = { 0 }, b = { 0 };
	struct acme_order	 o = { 0 };
	struct acme_cert	 cert = { 0 };
	bool			 ok = false;

	FUZZ_CHECK(store_integrity_check(srv.st, &ok) == STORE_OK && ok,
	    "integrity_check (I1)");
	FUZZ_CHECK(store_cert_list(srv.st, false, check_cert, NULL) ==
	    STORE_OK, "cert list");
	for (size_t i = 0; i < c->norders; i++) {
		if (store_order_get(srv.st, id_of(c->orders[i]), &o) !=
		    STORE_OK)
			continue;
		FUZZ_CHECK(o.status != ACME_ORDER_PROCESSING,
		    "order %s left processing (I5)", o.id);
		if (o.status == ACME_ORDER_VALID)
			FUZZ_CHECK(o.cert_serial[0] != '\0' &&
			    store_cert_get(srv.st, o.cert_serial, &cert) ==
			    STORE_OK, "valid order %s without a certificate "
			    "(I4)", o.id);
		acme_cert_clear(&cert);
		acme_order_clear(&o);
	}
	for (size_t i = 0; i < c->nacct; i++) {
		if (store_account_get(srv.st, id_of(c->accts[i].url), &a) !=
		    STORE_OK)
			continue;
		FUZZ_CHECK(store_account_get_by_thumbprint(srv.st,
		    a.thumbprint, &b) == STORE_OK && strcmp(a.id, b.id) == 0,
		    "thumbprint of %s finds another account (I6)", a.id);
		acme_account_clear(&a);
		acme_account_clear(&b);
	}
}

/* ---------- responses ---------- */

static void
check_response(const struct wr *r, bool acme_path)
{
	json_t		*j, *t, *s;
	const char	*ts;

	FUZZ_CHECK(r->status >= 100 && r->status < 500, "status %d: %.*s",
	    r->status, (int)r->raw.bodysz, r->body != NULL ? r->body : "");
	if (r->status >= 400 || (r->ctype != NULL &&
	    strcmp(r->ctype, "application/problem+json") == 0)) {
		FUZZ_CHECK(r->ctype != NULL && strcmp(r->ctype,
		    "application/problem+json") == 0 && r->body != NULL,
		    "status %d without a problem document", r->status);
		j = json_loadb(r->raw.body, r->raw.bodysz, 0, NULL);
		FUZZ_CHECK(json_is_object(j), "problem is not an object");
		t = json_object_get(j, "type");
		s = json_object_get(j, "status");
		ts = json_string_value(t);
		FUZZ_CHECK(ts != NULL && strncmp(ts,
		    "urn:ietf:params:acme:error:", 27) == 0, "problem type");
		FUZZ_CHECK(json_integer_value(s) == r->status, "problem status "
		    "%d in a %d response", (int)json_integer_value(s),
		    r->status);
		json_decref(j);
	} else if (r->ctype != NULL &&
	    strcmp(r->ctype, "application/json") == 0) {
		j = json_loadb(r->raw.body, r->raw.bodysz, 0, NULL);
		FUZZ_CHECK(j != NULL, "invalid JSON response");
		json_decref(j);
	}
	if (acme_path)
		FUZZ_CHECK(wr_header(r, "Replay-Nonce") != NULL, "no Replay-Nonce");
}

/* The certificate chain we were given verifies to the root. */
static void
check_chain(const char *pem, size_t len, struct client *c)
{
	BIO		*b;
	X509		*leaf = NULL, *x;
	STACK_OF(X509)	*chain;
	X509_STORE	*xs;
	X509_STORE_CTX	*ctx;
	unsigned char	*der = NULL;
	int		 n;

	chain = sk_X509_new_null();
	xs = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	b = BIO_new_mem_buf(pem, (int)len);
	FUZZ_CHECK(chain != NULL && xs != NULL && ctx != NULL && b != NULL,
	    "allocation");
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (leaf == NULL)
			leaf = x;
		else
			sk_X509_push(chain, x);
	}
	FUZZ_CHECK(leaf != NULL, "certificate download without a certificate");
	X509_STORE_add_cert(xs, ca_root_cert(ca));
	FUZZ_CHECK(X509_STORE_CTX_init(ctx, xs, leaf, chain) == 1, "ctx");
	FUZZ_CHECK(X509_verify_cert(ctx) == 1, "issued chain does not verify: "
	    "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	if ((n = i2d_X509(leaf, &der)) > 0) {
		free(c->cert_der);
		if ((c->cert_der = malloc((size_t)n)) == NULL)
			fuzz_fail(__FILE__, __LINE__, "malloc", "-");
		memcpy(c->cert_der, der, (size_t)n);
		c->cert_len = (size_t)n;
	}
	OPENSSL_free(der);
	BIO_free(b);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(xs);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
}

/* ---------- requests ---------- */

static void
add_url(char (*list)[256], size_t *n, const char *url)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], url) == 0)
			return;
	if (*n == MAX_URLS) {
		memmove(list[0], list[1], (MAX_URLS - 1) * sizeof(list[0]));
		(*n)--;
	}
	snprintf(list[(*n)++], sizeof(list[0]), "%s", url);
}

/*
 * Send one request; path is a URL of ours or a path. Returns the
 * response (caller clears); updates the client's nonce.
 */
static void
send_req(struct client *c, const char *method, const char *url,
    const char *ctype, const char *replay_hdr, const char *body,
    size_t bodysz, struct wr *resp)
{
	const char	*target = url, *nonce;
	char		 pathbuf[512], path[512], *q;
	bool		 acme_path;

	if (strncmp(url, BASE, strlen(BASE)) == 0)
		target = url + strlen(BASE);
	wh_req_full(&srv, method, target, ctype, body, bodysz, replay_hdr,
	    NULL, resp);
	/* The path as the WFE saw it: no query, %-decoded. */
	snprintf(pathbuf, sizeof(pathbuf), "%s", target);
	if ((q = strchr(pathbuf, '?')) != NULL)
		*q = '\0';
	wh_unescape(pathbuf, path, sizeof(path));
	if (verbose)
		fprintf(stderr, "fuzz_request: %s %s -> %d %.*s\n", method,
		    pathbuf, resp->status, resp->status >= 300 &&
		    resp->body != NULL ? (int)resp->raw.bodysz : 0,
		    resp->body != NULL ? resp->body : "");
	/*
	 * Every answer to a POST on an ACME path carries a nonce, and so does
	 * GET/HEAD newNonce (RFC 8555 §6.5, §7.2); other GETs need none.
	 */
	acme_path = (strncmp(path, "/acme/", 6) == 0 ||
	    strcmp(path, "/directory") == 0) && (strcmp(method, "POST") == 0 ||
	    (strcmp(path, "/acme/new-nonce") == 0 &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)));
	check_response(resp, acme_path);
	if ((nonce = wr_header(resp, "Replay-Nonce")) != NULL)
		snprintf(c->nonce, sizeof(c->nonce), "%s", nonce);
}

static void
fresh_nonce(struct client *c)
{
	struct wr resp;

	if (c->nonce[0] != '\0')
		return;
	send_req(c, "HEAD", BASE "/acme/new-nonce", NULL, NULL, NULL, 0, &resp);
	wr_clear(&resp);
	FUZZ_CHECK(c->nonce[0] != '\0', "newNonce gave no nonce");
}

static json_t *
jwk_of(int key)
{
	json_t *j = acme_jwk_export(fuzz_key((enum fuzz_key)key));

	FUZZ_CHECK(j != NULL, "jwk export");
	return j;
}

static const char *
alg_of(int key)
{
	const char *alg = "none";

	(void)acme_jwk_alg_for_key(fuzz_key((enum fuzz_key)key), &alg);
	return alg;
}

/*
 * A signed JWS body: kid (the current account's URL) or the key's jwk,
 * the client's nonce, url; then mutation m. Returns a new string.
 */
static char *
make_jws(struct client *c, int key, bool use_kid, const char *url,
    const unsigned char *payload, size_t plen, unsigned m, unsigned arg,
    size_t *len)
{
	json_t	*h;
	char	*hs, *body;
	char	 wrong_url[600];
	int	 signkey = key;

	fresh_nonce(c);
	if ((h = json_object()) == NULL)
		fuzz_fail(__FILE__, __LINE__, "json_object", "-");
	json_object_set_new(h, "alg", json_string(m == M_WRONG_ALG ?
	    (arg & 1 ? "HS256" : alg_of((key + 1) % FUZZ_NACCOUNT_KEYS)) :
	    alg_of(key)));
	if (m == M_SWAP_AUTH) {
		json_object_set_new(h, "jwk", jwk_of(key));
		if (arg & 1 && use_kid && c->cur >= 0)
			json_object_set_new(h, "kid",
			    json_string(c->accts[c->cur].url));
	} else if (use_kid)
		json_object_set_new(h, "kid", json_string(c->cur >= 0 ?
		    c->accts[c->cur].url : BASE "/acme/acct/none"));
	else
		json_object_set_new(h, "jwk", jwk_of(key));
	if (m == M_STALE_NONCE)
		json_object_set_new(h, "nonce", json_string(c->stale[0] != '\0' ?
		    c->stale : "AAAAAAAAAAAAAAAAAAAAAA"));
	else if (m != M_NO_NONCE) {
		json_object_set_new(h, "nonce", json_string(c->nonce));
		snprintf(c->stale, sizeof(c->stale), "%s", c->nonce);
		c->nonce[0] = '\0';	/* used up (or burnt) by this request */
	}
	snprintf(wrong_url, sizeof(wrong_url), "%s%s", url,
	    arg & 1 ? "/" : "x");
	json_object_set_new(h, "url", json_string(m == M_WRONG_URL ?
	    wrong_url : url));
	if ((hs = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "json_dumps", "-");
	json_decref(h);
	if (m == M_WRONG_KEY)
		signkey = (key + 1 + (int)(arg % (FUZZ_NACCOUNT_KEYS - 1))) %
		    FUZZ_NACCOUNT_KEYS;
	body = fuzz_jws_make(fuzz_key((enum fuzz_key)signkey), hs, payload,
	    plen);
	FUZZ_CHECK(body != NULL, "signing");
	free(hs);
	*len = strlen(body);
	if (m == M_FLIP && *len > 0)
		body[arg % *len] ^= (char)(1 << (arg % 7));
	return body;
}

/*
 * POST a signed request for op and check the 4xx-means-no-change rule.
 * Returns the response (caller clears).
 */
static void
post(struct client *c, int key, bool use_kid, const char *url,
    const unsigned char *payload, size_t plen, unsigned m, unsigned arg,
    struct wr *resp)
{
	char	*body, *before, *after;
	size_t	 len;

	body = make_jws(c, key, use_kid, url, payload, plen, m, arg, &len);
	before = snapshot(c);
	send_req(c, "POST", url, m == M_CONTENT_TYPE && !(arg & 1) ?
	    "application/json" : "application/jose+json",
	    m == M_CONTENT_TYPE && (arg & 1) ? "AAAAAAAAAAAAAAAAAAAAAA" : NULL,
	    body, len, resp);
	if (resp->status >= 400) {
		after = snapshot(c);
		FUZZ_CHECK(strcmp(before, after) == 0, "a %d answer changed "
		    "state:\n%s---\n%s", resp->status, before, after);
		free(after);
	}
	free(before);
	free(body);
}

static int
cur_key(const struct client *c)
{
	return c->cur >= 0 ? c->accts[c->cur].key : FUZZ_KEY_P256;
}

static void
remember_order(struct client *c, const struct wr *resp)
{
	json_t		*j, *v, *e;
	const char	*loc = wr_header(resp, "Location"), *s;
	size_t		 i;

	if (loc != NULL) {
		snprintf(c->order, sizeof(c->order), "%s", loc);
		add_url(c->orders, &c->norders, loc);
	}
	if ((j = json_loadb(resp->raw.body, resp->raw.bodysz, 0, NULL)) == NULL)
		return;
	if ((s = json_string_value(json_object_get(j, "finalize"))) != NULL)
		snprintf(c->finalize, sizeof(c->finalize), "%s", s);
	if ((s = json_string_value(json_object_get(j, "certificate"))) != NULL)
		snprintf(c->cert, sizeof(c->cert), "%s", s);
	json_array_foreach(json_object_get(j, "authorizations"), i, e)
		if (json_is_string(e))
			add_url(c->authz, &c->nauthz, json_string_value(e));
	if ((v = json_object_get(j, "identifiers")) != NULL &&
	    json_array_size(v) > 0) {
		for (size_t k = 0; k < c->nnames; k++)
			free(c->names[k]);
		c->nnames = 0;
		json_array_foreach(v, i, e) {
			s = json_string_value(json_object_get(e, "value"));
			if (s != NULL && c->nnames < ACME_MAX_IDENTIFIERS &&
			    (c->names[c->nnames] = strdup(s)) != NULL)
				c->nnames++;
		}
	}
	json_decref(j);
}

static const char *const canned_orders[] = {
	"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}",
	("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"b.example\"},"
	    "{\"type\":\"ip\",\"value\":\"127.0.0.1\"},"
	    "{\"type\":\"dns\",\"value\":\"*.w.localhost\"}]}"),
	"{\"identifiers\":[{\"type\":\"ip\",\"value\":\"::1\"}]}",
	("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"},"
	    "{\"type\":\"dns\",\"value\":\"C.TEST\"}]}"),
	("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"p.test\"}],"
	    "\"profile\":\"shortlived\"}"),
	("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"q.test\"}],"
	    "\"profile\":\"tlsserver\"}"),
};

/* The certID (RFC 9773 §4.1) of the last leaf downloaded; "" if none. */
static void
last_certid(const struct client *c, char *out, size_t outsz)
{
	const unsigned char	*p = c->cert_der;
	X509			*x;

	out[0] = '\0';
	if (p == NULL || (x = d2i_X509(NULL, &p, (long)c->cert_len)) == NULL)
		return;
	FUZZ_CHECK(acme_ari_certid_of_x509(x, out, outsz) == 0,
	    "a leaf of ours without a certID");
	X509_free(x);
}

/* newOrder for the last order's names that replaces certid (RFC 9773 §5). */
static char *
replacing_order(const struct client *c, const char *certid)
{
	json_t		*ids = json_array(), *o;
	unsigned char	 ip[16];
	char		*s;

	for (size_t i = 0; i < c->nnames; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
		    inet_pton(AF_INET, c->names[i], ip) == 1 ||
		    inet_pton(AF_INET6, c->names[i], ip) == 1 ? "ip" : "dns",
		    "value", c->names[i]));
	o = json_pack("{s:o, s:s}", "identifiers", ids, "replaces", certid);
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* RFC 9773 §4.2: a 200 carries the window, start before end, and Retry-After. */
static void
check_renewal_info(const struct wr *r)
{
	json_t		*j = json_loadb(r->raw.body, r->raw.bodysz, 0, NULL), *w;
	const char	*start, *end, *after = wr_header(r, "Retry-After");

	FUZZ_CHECK(j != NULL, "renewalInfo is not JSON");
	w = json_object_get(j, "suggestedWindow");
	start = json_string_value(json_object_get(w, "start"));
	end = json_string_value(json_object_get(w, "end"));
	FUZZ_CHECK(start != NULL && end != NULL && strlen(start) == 20 &&
	    strlen(end) == 20 && strcmp(start, end) < 0,
	    "suggestedWindow %s .. %s", start ? start : "-", end ? end : "-");
	FUZZ_CHECK(after != NULL && after[0] != '\0' &&
	    strspn(after, "0123456789") == strlen(after), "Retry-After");
	json_decref(j);
}

/* The finalize payload the harness builds: a CSR for the order's names. */
static char *
make_csr_payload(struct client *c, unsigned arg)
{
	const char	*names[ACME_MAX_IDENTIFIERS + 1];
	size_t		 n = c->nnames;
	X509_REQ	*req;
	char		*b64, *out;
	size_t		 sz;
	int		 key;

	switch (arg % 4) {
	case 2:
		key = cur_key(c);	/* an account key: refused (F14) */
		break;
	case 3:
		key = FUZZ_KEY_P384;
		break;
	default:
		key = FUZZ_KEY_CSR;
		break;
	}
	c->csr_key = key;
	memcpy(names, c->names, n * sizeof(names[0]));
	switch ((arg >> 2) % 4) {
	case 2:
		if (n > 0)
			n--;		/* a missing name */
		break;
	case 3:
		names[n++] = "extra.test";	/* an extra one */
		break;
	default:
		break;
	}
	req = tu_csr_make(fuzz_key((enum fuzz_key)key), names, n,
	    (arg >> 2) % 4 == 1 && n > 0 ? names[0] : NULL);
	if (req == NULL)
		return NULL;
	b64 = tu_csr_b64url(req);
	X509_REQ_free(req);
	if (b64 == NULL)
		return NULL;
	sz = strlen(b64) + 16;
	if ((out = malloc(sz)) != NULL)
		snprintf(out, sz, "{\"csr\":\"%s\"}", b64);
	free(b64);
	return out;
}

static void
do_record(struct client *c, const uint8_t *rec, size_t len)
{
	struct wr		 resp;
	unsigned		 op, m, arg, inner;
	const unsigned char	*data;
	size_t			 dlen;
	char			 url[512], *p = NULL, *q = NULL;
	const char		*pl;
	int			 key;

	op = len > 0 ? rec[0] % OP__MAX : 0;
	m = len > 1 ? rec[1] : 0;
	inner = (m >> 4) & 7;
	m &= 0x0f;
	if (m < M_STALE_NONCE)
		m = M_NONE;
	arg = len > 2 ? rec[2] : 0;
	data = len > 3 ? rec + 3 : NULL;
	dlen = len > 3 ? len - 3 : 0;
	key = cur_key(c);
	memset(&resp, 0, sizeof(resp));

	switch (op) {
	case OP_NEW_ACCOUNT:
		key = (int)(arg % FUZZ_NACCOUNT_KEYS);
		pl = "{\"termsOfServiceAgreed\":true,"
		    "\"contact\":[\"mailto:fuzz@example.test\"]}";
		post(c, key, false, BASE "/acme/new-account", data != NULL ?
		    data : (const unsigned char *)pl, data != NULL ? dlen :
		    strlen(pl), m, arg, &resp);
		if ((resp.status == 200 || resp.status == 201) &&
		    wr_header(&resp, "Location") != NULL) {
			const char *loc = wr_header(&resp, "Location");
			size_t i;

			for (i = 0; i < c->nacct; i++)
				if (strcmp(c->accts[i].url, loc) == 0)
					break;
			if (i == c->nacct && c->nacct < MAX_ACCTS) {
				snprintf(c->accts[i].url,
				    sizeof(c->accts[i].url), "%s", loc);
				c->accts[i].key = key;
				c->nacct++;
			}
			if (i < c->nacct)
				c->cur = (int)i;
		}
		break;
	case OP_ACCOUNT:
	case OP_DEACTIVATE:
		pl = op == OP_DEACTIVATE ? "{\"status\":\"deactivated\"}" : NULL;
		snprintf(url, sizeof(url), "%s", c->cur >= 0 ?
		    c->accts[c->cur].url : BASE "/acme/acct/AAAAAAAAAAAAAAAAAAAAAA");
		post(c, key, true, url, data != NULL ? data :
		    (const unsigned char *)pl, data != NULL ? dlen :
		    pl != NULL ? strlen(pl) : 0, m, arg, &resp);
		break;
	case OP_ORDERS:
		snprintf(url, sizeof(url), "%s/orders", c->cur >= 0 ?
		    c->accts[c->cur].url : BASE "/acme/acct/x");
		post(c, key, true, url, NULL, 0, m, arg, &resp);
		break;
	case OP_NEW_ORDER:
		pl = canned_orders[arg % (sizeof(canned_orders) /
		    sizeof(canned_orders[0]))];
		post(c, key, true, BASE "/acme/new-order", data != NULL ? data :
		    (const unsigned char *)pl, data != NULL ? dlen : strlen(pl),
		    m, arg, &resp);
		if (resp.status == 201)
			remember_order(c, &resp);
		break;
	case OP_ORDER:
	case OP_CERT:
		if (op == OP_ORDER)
			snprintf(url, sizeof(url), "%s", c->order[0] ? c->order :
			    BASE "/acme/order/AAAAAAAAAAAAAAAAAAAAAA");
		else
			snprintf(url, sizeof(url), "%s", c->cert[0] ? c->cert :
			    BASE "/acme/cert/01");
		post(c, key, true, url, data, dlen, m, arg, &resp);
		if (resp.status == 200 && op == OP_ORDER)
			remember_order(c, &resp);
		if (resp.status == 200 && op == OP_CERT)
			check_chain(resp.raw.body, resp.raw.bodysz, c);
		break;
	case OP_AUTHZ:
	case OP_CHALLENGE:
		if (op == OP_AUTHZ)
			snprintf(url, sizeof(url), "%s", c->nauthz > 0 ?
			    c->authz[arg % c->nauthz] :
			    BASE "/acme/authz/AAAAAAAAAAAAAAAAAAAAAA");
		else
			/* arg 0: the challenge seen last, 1 the one before... */
			snprintf(url, sizeof(url), "%s", c->nchall > 0 ?
			    c->chall[c->nchall - 1 - arg % c->nchall] :
			    BASE "/acme/chall/AAAAAAAAAAAAAAAAAAAAAA");
		pl = op == OP_CHALLENGE && data == NULL ? "{}" : NULL;
		post(c, key, true, url, data != NULL ? data :
		    (const unsigned char *)pl, data != NULL ? dlen :
		    pl != NULL ? 2 : 0, m, arg, &resp);
		if (resp.status == 200 && op == OP_AUTHZ) {
			json_t *j = json_loadb(resp.raw.body,
			    resp.raw.bodysz, 0, NULL);
			json_t *e;
			size_t i;

			json_array_foreach(json_object_get(j, "challenges"),
			    i, e) {
				const char *s = json_string_value(
				    json_object_get(e, "url"));
				if (s != NULL)
					add_url(c->chall, &c->nchall, s);
			}
			json_decref(j);
		}
		break;
	case OP_FINALIZE:
		if (data != NULL && data[0] == '{')
			post(c, key, true, c->finalize[0] ? c->finalize :
			    BASE "/acme/order/x/finalize", data, dlen, m, arg,
			    &resp);
		else {
			if (data != NULL) {
				char *b64 = acme_b64url_encode(data, dlen);
				size_t sz = (b64 != NULL ? strlen(b64) : 0) + 16;

				if (b64 != NULL && (p = malloc(sz)) != NULL)
					snprintf(p, sz, "{\"csr\":\"%s\"}", b64);
				free(b64);
			} else
				p = make_csr_payload(c, arg);
			if (p == NULL)
				break;
			post(c, key, true, c->finalize[0] ? c->finalize :
			    BASE "/acme/order/x/finalize",
			    (const unsigned char *)p, strlen(p), m, arg, &resp);
		}
		if (resp.status == 200)
			remember_order(c, &resp);
		break;
	case OP_REVOKE: {
		char	*b64;
		size_t	 sz;
		bool	 by_cert = (inner & 1) && c->cert_der != NULL;

		if (data != NULL)
			post(c, key, true, BASE "/acme/revoke-cert", data, dlen,
			    m, arg, &resp);
		else {
			b64 = acme_b64url_encode(c->cert_der != NULL ?
			    c->cert_der : (const unsigned char *)"0", c->cert_der
			    != NULL ? c->cert_len : 1);
			sz = (b64 != NULL ? strlen(b64) : 0) + 64;
			if (b64 == NULL || (p = malloc(sz)) == NULL) {
				free(b64);
				break;
			}
			if (arg % 12 == 11)
				snprintf(p, sz, "{\"certificate\":\"%s\"}", b64);
			else
				snprintf(p, sz, "{\"certificate\":\"%s\","
				    "\"reason\":%u}", b64, arg % 12);
			free(b64);
			post(c, by_cert ? c->csr_key : key, !by_cert,
			    BASE "/acme/revoke-cert", (const unsigned char *)p,
			    strlen(p), m, arg, &resp);
		}
		break;
	}
	case OP_KEY_CHANGE: {
		int		 newkey = (int)(arg % FUZZ_NACCOUNT_KEYS);
		json_t		*h, *ip;
		char		*hs, *ps;

		if (c->cur < 0)
			break;
		h = json_object();
		json_object_set_new(h, "alg", json_string(alg_of(newkey)));
		json_object_set_new(h, "jwk", jwk_of(newkey));
		json_object_set_new(h, "url", json_string(inner == 5 ?
		    BASE "/acme/new-order" : BASE "/acme/key-change"));
		if (inner == 4)
			json_object_set_new(h, "nonce",
			    json_string("AAAAAAAAAAAAAAAAAAAAAA"));
		ip = json_object();
		json_object_set_new(ip, "account",
		    json_string(c->accts[c->cur].url));
		json_object_set_new(ip, "oldKey", jwk_of(inner == 6 ?
		    (key + 1) % FUZZ_NACCOUNT_KEYS : key));
		hs = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
		ps = json_dumps(ip, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(h);
		json_decref(ip);
		if (hs == NULL || ps == NULL)
			fuzz_fail(__FILE__, __LINE__, "json_dumps", "-");
		q = fuzz_jws_make(fuzz_key((enum fuzz_key)(inner == 7 ?
		    (newkey + 1) % FUZZ_NACCOUNT_KEYS : newkey)), hs,
		    data != NULL ? data : (const unsigned char *)ps,
		    data != NULL ? dlen : strlen(ps));
		free(hs);
		free(ps);
		FUZZ_CHECK(q != NULL, "inner JWS");
		post(c, key, true, BASE "/acme/key-change",
		    (const unsigned char *)q, strlen(q), m, arg, &resp);
		if (resp.status == 200)
			c->accts[c->cur].key = newkey;
		break;
	}
	case OP_RAW: {
		static const char *const methods[] = { "POST", "GET", "HEAD",
		    "PUT", "OPTIONS" };
		const char *paths[] = { BASE "/acme/new-account",
		    BASE "/acme/new-order", BASE "/acme/key-change",
		    BASE "/acme/revoke-cert", BASE "/directory",
		    BASE "/acme/new-nonce", BASE "/acme/renewal-info",
		    BASE "/roots/root.pem", BASE "/acme/nothing",
		    c->cur >= 0 ? c->accts[c->cur].url : BASE "/acme/acct/",
		    c->order[0] ? c->order : BASE "/acme/order/",
		    c->finalize[0] ? c->finalize : BASE "/acme/order//finalize",
		    c->nauthz ? c->authz[0] : BASE "/acme/authz/..",
		    c->nchall ? c->chall[0] : BASE "/acme/chall/%00",
		    c->cert[0] ? c->cert : BASE "/acme/cert/",
		};
		char *before = snapshot(c), *after;

		/* httpd hands the WFE a NUL-terminated body. */
		p = fuzz_strndup(data != NULL ? data : (const uint8_t *)"", dlen);
		send_req(c, methods[(m >> 1) % 5], paths[arg %
		    (sizeof(paths) / sizeof(paths[0]))], m & 1 ?
		    "application/jose+json" : NULL, NULL, p, dlen, &resp);
		if (resp.status >= 400) {
			after = snapshot(c);
			FUZZ_CHECK(strcmp(before, after) == 0, "a raw %d "
			    "answer changed state", resp.status);
			free(after);
		}
		free(before);
		break;
	}
	case OP_SWITCH:
		if (c->nacct > 0)
			c->cur = (int)(arg % c->nacct);
		break;
	case OP_RENEWAL: {
		char certid[ACME_ARI_CERTID_SIZE];

		last_certid(c, certid, sizeof(certid));
		if (arg & 1) {
			if ((q = replacing_order(c, certid)) == NULL)
				break;
			post(c, key, true, BASE "/acme/new-order",
			    (const unsigned char *)q, strlen(q), m, arg, &resp);
			if (resp.status == 201)
				remember_order(c, &resp);
			break;
		}
		p = data != NULL ? fuzz_strndup(data, dlen) : strdup(certid);
		if (p == NULL)
			break;
		snprintf(url, sizeof(url), BASE "/acme/renewal-info/%s", p);
		send_req(c, "GET", url, NULL, NULL, NULL, 0, &resp);
		if (resp.status == 200)
			check_renewal_info(&resp);
		break;
	}
	default: /* OP_NONCE */
		switch (arg % 4) {
		case 0:
			send_req(c, "GET", BASE "/directory", NULL, NULL, NULL,
			    0, &resp);
			break;
		case 1:
			send_req(c, "GET", BASE "/acme/new-nonce", NULL, NULL,
			    NULL, 0, &resp);
			break;
		case 2:
			post(c, key, true, BASE "/acme/new-nonce", data, dlen,
			    m, arg, &resp);
			break;
		default:
			post(c, key, true, BASE "/directory", data, dlen, m,
			    arg, &resp);
			break;
		}
		break;
	}
	wr_clear(&resp);
	free(p);
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct client	 c;
	const uint8_t		*rec = data, *end = data + size, *sep;
	size_t			 seplen = strlen(FUZZ_REQ_SEP);
	int			 n = 0;

	setup_process();
	setup_input();
	memset(&c, 0, sizeof(c));
	c.cur = -1;
	c.csr_key = FUZZ_KEY_CSR;
	while (rec < end && n < MAX_RECORDS) {
		for (sep = rec; sep < end; sep++)
			if ((size_t)(end - sep) >= seplen &&
			    memcmp(sep, FUZZ_REQ_SEP, seplen) == 0)
				break;
		do_record(&c, rec, (size_t)(sep - rec));
		n++;
		rec = sep == end ? end : sep + seplen;
	}
	check_final(&c);
	teardown_input(&c);
	return 0;
}
