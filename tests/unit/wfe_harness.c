/* wfe_harness.c - in-memory ACME client for the WFE tests: real CA, RA, store and nonces, no socket */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wfe_harness.h"

static struct wh *wh_g;	/* the suite's fixture */

/* ---------- lifecycle ---------- */


void
wh_stop(struct wh *f)
{
	wfe_free(f->wfe);
	nonce_free(f->nonces);
	ra_free(f->ra);		/* closes f->st, the RA's connection */
	f->wfe = NULL;
	f->nonces = NULL;
	f->ra = NULL;
	f->st = NULL;
}

/* (Re)start the server with f->ro/f->wo; new_db: a fresh database. */
int
wh_start(struct wh *f, bool new_db)
{
	static unsigned	 memseq;	/* memory databases are per process */
	char		 err[256];

	wh_stop(f);
	if (new_db && f->memdb)
		snprintf(f->db, sizeof(f->db),
		    "file:wh%u?mode=memory&cache=shared", memseq++);
	else if (new_db)
		snprintf(f->db, sizeof(f->db), "%s/t%u.db", f->dir, f->seq++);
	f->ro.db_path = f->db;
	if ((f->ra = ra_new(&f->ro, f->ca, ca_policy(f->ca), err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "ra_new: %s\n", err);
		return -1;
	}
	if ((f->nonces = nonce_new(f->nonce_cap)) == NULL)
		return -1;
	if (f->wo.base_url == NULL)
		f->wo.base_url = WH_BASE;
	if ((f->wfe = wfe_new(&f->wo, f->ra, f->nonces)) == NULL)
		return -1;
	/*
	 * The RA's own connection: pending orders, authorizations and
	 * challenges live in its in-memory tier (store/store_pending.c),
	 * which no other connection sees. Used between requests only.
	 */
	f->st = ra_store_borrow(f->ra);
	return 0;
}

void
wh_defaults(struct wh *f)
{
	memset(&f->ro, 0, sizeof(f->ro));
	memset(&f->wo, 0, sizeof(f->wo));
	f->ro.validation_skip = true;
	f->wo.validation_skip = true;
	f->wo.retry_after_s = 3;
	f->nonce_cap = 65536;
}

int
wh_group_setup(void **state)
{
	struct wh	*f;
	char		 err[512];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_wfe.XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    (f->ca = ca_open(f->dir, true, NULL, NULL, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "ca_open: %s\n", err);
		free(f);
		return -1;
	}
	wh_g = f;
	*state = f;
	return 0;
}

int
wh_group_teardown(void **state)
{
	struct wh *f = *state;

	wh_stop(f);
	ca_free(f->ca);
	tu_rmrf(f->dir);
	free(f);
	return 0;
}

int
wh_setup(void **state)
{
	struct wh *f = wh_g;

	wh_defaults(f);
	*state = f;
	return wh_start(f, true);
}

int
wh_teardown(void **state)
{
	struct wh	*f = *state;
	char		 p[160];

	wh_stop(f);
	unlink(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
	return 0;
}

/* ---------- raw requests ---------- */

void
wr_clear(struct wr *r)
{
	http_response_clear(&r->raw);
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* Value of the first header `name` (case-insensitive), or NULL. */
const char *
wr_header(const struct wr *r, const char *name)
{
	for (size_t i = 0; i < r->raw.nhdrs; i++)
		if (strcasecmp(r->raw.hdrs[i].name, name) == 0)
			return r->raw.hdrs[i].value;
	return NULL;
}

size_t
wr_header_count(const struct wr *r, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < r->raw.nhdrs; i++)
		if (strcasecmp(r->raw.hdrs[i].name, name) == 0)
			n++;
	return n;
}

/* Is there a Link header with this exact value? */
bool
wr_has_link(const struct wr *r, const char *value)
{
	for (size_t i = 0; i < r->raw.nhdrs; i++)
		if (strcasecmp(r->raw.hdrs[i].name, "Link") == 0 &&
		    strcmp(r->raw.hdrs[i].value, value) == 0)
			return true;
	return false;
}

const char *
wr_str(const struct wr *r, const char *member)
{
	json_t *v = r->json != NULL ? json_object_get(r->json, member) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* %XX -> byte, as libmicrohttpd decodes the path before the handler. */
void
wh_unescape(const char *in, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *in != '\0' && o + 1 < outsz; o++) {
		unsigned v;

		if (in[0] == '%' && sscanf(in + 1, "%2x", &v) == 1 &&
		    isxdigit((unsigned char)in[1]) &&
		    isxdigit((unsigned char)in[2])) {
			out[o] = (char)v;
			in += 3;
		} else
			out[o] = *in++;
	}
	out[o] = '\0';
}

/*
 * Send one request: method, request target as a client sends it (may
 * carry "?query"; the handler gets it raw and %-decoded, as from
 * httpd), Content-Type (NULL: none), body (NULL: empty), extra
 * Replay-Nonce / Origin request headers (NULL: absent).
 */
void
wh_req_full(struct wh *f, const char *method, const char *pathq,
    const char *ctype, const char *body, size_t bodysz,
    const char *req_nonce, const char *origin, struct wr *out)
{
	struct http_request	 req;
	char			 raw[ACME_URL_SIZE * 2];
	char			 path[ACME_URL_SIZE * 2];
	char			*q;
	bool			 get;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	snprintf(raw, sizeof(raw), "%s", pathq);
	if ((q = strchr(raw, '?')) != NULL)
		*q++ = '\0';
	wh_unescape(raw, path, sizeof(path));
	req.method = method;
	req.path = path;
	req.raw_path = raw;
	req.query = q;
	/* RFC 8555 §6.5, §7.2: nonces; §7.1.1: index on all but the directory. */
	get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	out->want_nonce = strcmp(method, "POST") == 0 ||
	    (get && strcmp(path, ACME_PATH_NEW_NONCE) == 0);
	out->want_index = strcmp(path, ACME_PATH_DIRECTORY) != 0;
	req.content_type = ctype;
	req.replay_nonce = req_nonce;
	req.origin = origin;
	req.body = body != NULL ? body : "";
	req.bodysz = body != NULL ? bodysz : 0;
	req.remote_addr = "127.0.0.1";
	req.request_id = "wfetest0";
	wfe_handle(f->wfe, &req, &out->raw);
	out->status = out->raw.status;
	out->ctype = out->raw.content_type;
	if (out->raw.body != NULL) {
		if ((out->body = malloc(out->raw.bodysz + 1)) != NULL) {
			memcpy(out->body, out->raw.body, out->raw.bodysz);
			out->body[out->raw.bodysz] = '\0';
		}
		out->json = json_loadb(out->raw.body, out->raw.bodysz, 0,
		    NULL);
	}
}

/* URL -> path+query for the request line (everything after the base). */
const char *
wh_path(const char *url)
{
	if (strncmp(url, WH_BASE, strlen(WH_BASE)) == 0)
		return url + strlen(WH_BASE);
	return url;
}

void
wh_post_raw(struct wh *f, const char *url, const char *body, struct wr *out)
{
	wh_req_full(f, "POST", wh_path(url), WH_JOSE, body,
	    body != NULL ? strlen(body) : 0, NULL, NULL, out);
}

/* A fresh nonce from HEAD newNonce (RFC 8555 §7.2). */
void
wh_nonce(struct wh *f, char out[NONCE_SIZE])
{
	struct wr	 r;
	const char	*n;

	wh_req_full(f, "HEAD", ACME_PATH_NEW_NONCE, NULL, NULL, 0, NULL, NULL,
	    &r);
	n = wr_header(&r, "Replay-Nonce");
	assert_non_null(n);
	assert_int_equal(strlen(n), NONCE_LEN);
	memcpy(out, n, NONCE_SIZE);
	wr_clear(&r);
}

void
wh_url(char *out, size_t outsz, const char *path)
{
	snprintf(out, outsz, "%s%s", WH_BASE, path);
}

/*
 * A signed POST to url: kid (NULL: embed key's jwk), fresh nonce,
 * url = url, payload (NULL: POST-as-GET "").
 */
void
wh_post(struct wh *f, EVP_PKEY *key, const char *kid, const char *url,
    const char *payload, struct wr *out)
{
	char	 nonce[NONCE_SIZE];
	char	*body;

	wh_nonce(f, nonce);
	body = tu_jws_sign(key, NULL, kid == NULL, kid, nonce, url, payload);
	assert_non_null(body);
	wh_post_raw(f, url, body, out);
	free(body);
}

void
wh_post_acct(struct wh *f, const struct wacct *a, const char *url,
    const char *payload, struct wr *out)
{
	wh_post(f, a->key, a->kid, url, payload, out);
}

/* ---------- assertions ---------- */

/*
 * Replay-Nonce on every answer to a POST and on newNonce, none on other
 * GETs (RFC 8555 §6.5, §7.2); Link rel="index" on every resource but
 * the directory (§7.1.1).
 */
void
wh_assert_common(const struct wr *r)
{
	const char *n = wr_header(r, "Replay-Nonce");

	if (r->want_nonce) {
		assert_non_null(n);
		assert_int_equal(strlen(n), NONCE_LEN);
		assert_true(nonce_is_wellformed(n));
	} else
		assert_null(n);
	assert_int_equal(wr_has_link(r, "<" WH_BASE ACME_PATH_DIRECTORY
	    ">;rel=\"index\""), r->want_index);
}

/*
 * An RFC 8555 §6.7 problem: HTTP status, application/problem+json, the
 * full type URN, a "status" member equal to the HTTP status, a detail,
 * and the common headers.
 */
void
wh_assert_problem(const struct wr *r, int status, const char *type)
{
	char	 urn[128];
	json_t	*st;

	snprintf(urn, sizeof(urn), WH_URN "%s", type);
	if (r->status != status || r->json == NULL ||
	    wr_str(r, "type") == NULL || strcmp(wr_str(r, "type"), urn) != 0)
		fprintf(stderr, "expected %d %s, got %d %s\n", status, type,
		    r->status, r->body != NULL ? r->body : "(no body)");
	assert_int_equal(r->status, status);
	assert_non_null(r->ctype);
	assert_string_equal(r->ctype, WH_PROBLEM);
	assert_non_null(r->json);
	assert_non_null(wr_str(r, "type"));
	assert_string_equal(wr_str(r, "type"), urn);
	st = json_object_get(r->json, "status");
	assert_true(json_is_integer(st));
	assert_int_equal(json_integer_value(st), status);
	assert_non_null(wr_str(r, "detail"));
	wh_assert_common(r);
}

void
wh_assert_ok(const struct wr *r, int status)
{
	if (r->status != status)
		fprintf(stderr, "expected %d, got %d %s\n", status, r->status,
		    r->body != NULL ? r->body : "(no body)");
	assert_int_equal(r->status, status);
	wh_assert_common(r);
}

/* ---------- protocol helpers ---------- */

/* newAccount for key (taken over by *a, freed by wh_acct_free). */
void
wh_account_key(struct wh *f, EVP_PKEY *key, struct wacct *a)
{
	struct wr	 r;
	char		 url[ACME_URL_SIZE];
	const char	*loc;

	memset(a, 0, sizeof(*a));
	a->key = key;
	assert_non_null(a->key);
	wh_url(url, sizeof(url), ACME_PATH_NEW_ACCOUNT);
	wh_post(f, a->key, NULL, url, "{\"termsOfServiceAgreed\":true}", &r);
	wh_assert_ok(&r, 201);
	assert_non_null(loc = wr_header(&r, "Location"));
	snprintf(a->kid, sizeof(a->kid), "%s", loc);
	assert_int_equal(strncmp(loc, WH_BASE ACME_PATH_ACCOUNT,
	    strlen(WH_BASE ACME_PATH_ACCOUNT)), 0);
	snprintf(a->id, sizeof(a->id), "%s",
	    loc + strlen(WH_BASE ACME_PATH_ACCOUNT));
	wr_clear(&r);
}

void
wh_account(struct wh *f, struct wacct *a)
{
	wh_account_key(f, tu_key_ec256(), a);
}

void
wh_acct_free(struct wacct *a)
{
	EVP_PKEY_free(a->key);
	memset(a, 0, sizeof(*a));
}

/* Fill *o from an order resource (r->json) and its Location, if any. */
void
wh_order_parse(const struct wr *r, const char *url, struct word *o)
{
	json_t		*az;
	const char	*s;

	assert_non_null(r->json);
	if (url != NULL)
		snprintf(o->url, sizeof(o->url), "%s", url);
	assert_non_null(s = wr_str(r, "status"));
	snprintf(o->status, sizeof(o->status), "%s", s);
	assert_non_null(s = wr_str(r, "finalize"));
	snprintf(o->finalize, sizeof(o->finalize), "%s", s);
	o->cert[0] = '\0';
	if ((s = wr_str(r, "certificate")) != NULL)
		snprintf(o->cert, sizeof(o->cert), "%s", s);
	az = json_object_get(r->json, "authorizations");
	assert_true(json_is_array(az));
	o->nauthz = json_array_size(az);
	assert_true(o->nauthz <= ACME_MAX_IDENTIFIERS);
	for (size_t i = 0; i < o->nauthz; i++)
		snprintf(o->authz[i], sizeof(o->authz[i]), "%s",
		    json_string_value(json_array_get(az, i)));
}

/* newOrder payload for DNS/IP names (IP when it has ':' or only digits and dots). */
char *
wh_order_payload(const char *const *names, size_t n)
{
	json_t	*p = json_object(), *ids = json_array();
	char	*s;

	for (size_t i = 0; i < n; i++) {
		bool ip = strchr(names[i], ':') != NULL ||
		    strspn(names[i], "0123456789.") == strlen(names[i]);
		json_array_append_new(ids, json_pack("{s:s,s:s}", "type",
		    ip ? "ip" : "dns", "value", names[i]));
	}
	json_object_set_new(p, "identifiers", ids);
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}

/* newOrder with a raw payload; the response is left in *r. */
void
wh_new_order_raw(struct wh *f, const struct wacct *a, const char *payload,
    struct wr *r)
{
	char url[ACME_URL_SIZE];

	wh_url(url, sizeof(url), ACME_PATH_NEW_ORDER);
	wh_post_acct(f, a, url, payload, r);
}

void
wh_order(struct wh *f, const struct wacct *a, const char *const *names,
    size_t n, struct word *o)
{
	struct wr	 r;
	char		*p = wh_order_payload(names, n);
	const char	*loc;

	memset(o, 0, sizeof(*o));
	wh_new_order_raw(f, a, p, &r);
	free(p);
	wh_assert_ok(&r, 201);
	assert_non_null(loc = wr_header(&r, "Location"));
	wh_order_parse(&r, loc, o);
	wr_clear(&r);
}

/* Re-read an order with POST-as-GET. */
void
wh_order_get(struct wh *f, const struct wacct *a, struct word *o)
{
	struct wr r;

	wh_post_acct(f, a, o->url, NULL, &r);
	wh_assert_ok(&r, 200);
	wh_order_parse(&r, NULL, o);
	wr_clear(&r);
}

/* URL of the challenge of `type` in an authz, via POST-as-GET. */
void
wh_chall_url(struct wh *f, const struct wacct *a, const char *authz,
    const char *type, char out[ACME_URL_SIZE])
{
	struct wr	 r;
	json_t		*cs, *c;
	size_t		 i;

	out[0] = '\0';
	wh_post_acct(f, a, authz, NULL, &r);
	wh_assert_ok(&r, 200);
	cs = json_object_get(r.json, "challenges");
	assert_true(json_is_array(cs));
	json_array_foreach(cs, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "type")),
		    type) == 0)
			snprintf(out, ACME_URL_SIZE, "%s", json_string_value(
			    json_object_get(c, "url")));
	}
	wr_clear(&r);
	assert_true(out[0] != '\0');
}

/* The ID at the end of a URL (borrowed from url). */
const char *
wh_id(const char *url)
{
	const char *s = strrchr(url, '/');

	assert_non_null(s);
	return s + 1;
}

/* Status of an authz via POST-as-GET (into out). */
void
wh_authz_status(struct wh *f, const struct wacct *a, const char *authz,
    char out[16])
{
	struct wr r;

	wh_post_acct(f, a, authz, NULL, &r);
	wh_assert_ok(&r, 200);
	snprintf(out, 16, "%s", wr_str(&r, "status"));
	wr_clear(&r);
}

/* Answer the http-01 challenge of authz with {} (valid: validation_skip). */
void
wh_validate(struct wh *f, const struct wacct *a, const char *authz)
{
	struct wr	 r;
	char		 ch[ACME_URL_SIZE];

	wh_chall_url(f, a, authz, "http-01", ch);
	wh_post_acct(f, a, ch, "{}", &r);
	wh_assert_ok(&r, 200);
	assert_string_equal(wr_str(&r, "status"), "valid");
	wr_clear(&r);
}

/* An order for names with every authorization valid: ready. */
void
wh_ready_order(struct wh *f, const struct wacct *a, const char *const *names,
    size_t n, struct word *o)
{
	wh_order(f, a, names, n, o);
	for (size_t i = 0; i < o->nauthz; i++)
		wh_validate(f, a, o->authz[i]);
	wh_order_get(f, a, o);
	assert_string_equal(o->status, "ready");
}

/* Finalize with a CSR for names made with csrkey; response in *r. */
void
wh_finalize_csr(struct wh *f, const struct wacct *a, const struct word *o,
    X509_REQ *csr, struct wr *r)
{
	char	*b64, *payload;
	size_t	 n;

	assert_non_null(csr);
	assert_non_null(b64 = tu_csr_b64url(csr));
	n = strlen(b64) + 16;
	assert_non_null(payload = malloc(n));
	snprintf(payload, n, "{\"csr\":\"%s\"}", b64);
	wh_post_acct(f, a, o->finalize, payload, r);
	free(payload);
	free(b64);
}

void
wh_finalize(struct wh *f, const struct wacct *a, const struct word *o,
    EVP_PKEY *csrkey, const char *const *names, size_t n, struct wr *r)
{
	X509_REQ *csr = tu_csr_make(csrkey, names, n, NULL);

	wh_finalize_csr(f, a, o, csr, r);
	X509_REQ_free(csr);
}

/*
 * A valid order with its certificate issued for names; *certkey (may be
 * NULL) receives the leaf key (caller frees).
 */
void
wh_issue(struct wh *f, const struct wacct *a, const char *const *names,
    size_t n, struct word *o, EVP_PKEY **certkey)
{
	struct wr	 r;
	EVP_PKEY	*k = tu_key_ec256();

	assert_non_null(k);
	wh_ready_order(f, a, names, n, o);
	wh_finalize(f, a, o, k, names, n, &r);
	wh_assert_ok(&r, 200);
	wh_order_parse(&r, NULL, o);
	wr_clear(&r);
	assert_string_equal(o->status, "valid");
	assert_true(o->cert[0] != '\0');
	if (certkey != NULL)
		*certkey = k;
	else
		EVP_PKEY_free(k);
}

/* The leaf of an issued order as DER base64url (caller frees). */
char *
wh_cert_b64(struct wh *f, const struct wacct *a, const struct word *o)
{
	struct wr	 r;
	BIO		*b;
	X509		*x;
	unsigned char	*der = NULL;
	int		 len;
	char		*s;

	wh_post_acct(f, a, o->cert, NULL, &r);
	wh_assert_ok(&r, 200);
	assert_non_null(b = BIO_new_mem_buf(r.body, -1));
	assert_non_null(x = PEM_read_bio_X509(b, NULL, NULL, NULL));
	assert_true((len = i2d_X509(x, &der)) > 0);
	s = tu_b64url(der, (size_t)len);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
	wr_clear(&r);
	return s;
}

/* The authz ID of o's i-th authorization. */
const char *
wh_authz_id(const struct word *o, size_t i)
{
	return wh_id(o->authz[i]);
}
