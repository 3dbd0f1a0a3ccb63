/* wfe_harness.h - in-memory ACME client for the WFE tests: real CA, RA, store and nonces, no socket */
/* SPDX-License-Identifier: MIT */
#ifndef WFE_HARNESS_H
#define WFE_HARNESS_H

/*
 * A small library (wfe_harness.c, CMake target wfe_harness) linked by
 * every test_wfe_*.c: tests/unit/testutil*.c link libacme only, and the
 * harness needs the CA, RA, WFE and store of localacme_core.
 *
 * Layout per suite: one CA (root + intermediate) in a mkdtemp directory,
 * made once in the group setup because key generation is the slow part;
 * per test a fresh database file, RA (validation_skip: a challenge
 * answered with {} becomes valid with no network), nonce table and WFE
 * with base URL https://localhost:8555, plus the test's own store
 * connection to the same file for states the protocol cannot reach in a
 * unit test (a challenge left processing, an authorization already
 * expired). Requests are built and signed as a client would
 * (testutil.h) and handed to wfe_handle; responses are checked as a
 * client sees them.
 */

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "acme/render.h"
#include "acme/url.h"
#include "store/store.h"
#include "ca.h"
#include "httpd.h"
#include "nonce.h"
#include "ra.h"
#include "testutil.h"
#include "va.h"
#include "wfe.h"

#define WH_BASE		"https://localhost:8555"
#define WH_JOSE		"application/jose+json"
#define WH_PROBLEM	"application/problem+json"
#define WH_URN		"urn:ietf:params:acme:error:"

/* One suite's CA plus one test's server. */
struct wh {
	char			 dir[64];
	struct ca		*ca;
	unsigned		 seq;		/* database file counter */
	char			 db[128];
	struct ra_opts		 ro;		/* a test may change, then wh_restart */
	struct wfe_opts		 wo;
	size_t			 nonce_cap;
	struct ra		*ra;
	struct nonce_table	*nonces;
	struct wfe		*wfe;
	struct store		*st;		/* the test's own connection */
	bool			 memdb;		/* an in-memory database, not a file */
};

/* A response as the client sees it. */
struct wr {
	struct http_response	 raw;
	int			 status;
	const char		*ctype;
	char			*body;		/* NUL-terminated copy, or NULL */
	json_t			*json;		/* parsed body, or NULL */
	bool			 want_nonce;	/* POST, or GET/HEAD newNonce */
	bool			 want_index;	/* not the directory */
};

/* A client-side account. */
struct wacct {
	EVP_PKEY	*key;
	char		 kid[ACME_URL_SIZE];
	char		 id[ACME_ID_SIZE];
};

/* A client-side order. */
struct word {
	char	 url[ACME_URL_SIZE];
	char	 finalize[ACME_URL_SIZE];
	char	 authz[ACME_MAX_IDENTIFIERS][ACME_URL_SIZE];
	size_t	 nauthz;
	char	 status[16];
	char	 cert[ACME_URL_SIZE];
};

/* ---------- lifecycle ---------- */

void	 wh_stop(struct wh *f);

/*
 * (Re)start the server with f->ro/f->wo (f->ca set; a NULL base_url
 * becomes WH_BASE); new_db: a fresh database, a file in f->dir or, with
 * f->memdb, a shared-cache memory database gone at wh_stop. Users
 * outside cmocka (fuzz_request.c) fill f themselves, no group setup.
 */
int	 wh_start(struct wh *f, bool new_db);
void	 wh_defaults(struct wh *f);
int	 wh_group_setup(void **state);
int	 wh_group_teardown(void **state);
int	 wh_setup(void **state);
int	 wh_teardown(void **state);

#define WH_TEST(t)	cmocka_unit_test_setup_teardown(t, wh_setup, wh_teardown)

/* ---------- responses and requests ---------- */

void	 wr_clear(struct wr *r);

/* Value of the first header `name` (case-insensitive), or NULL. */
const char *wr_header(const struct wr *r, const char *name);
size_t	 wr_header_count(const struct wr *r, const char *name);

/* Is there a Link header with this exact value? */
bool	 wr_has_link(const struct wr *r, const char *value);
const char *wr_str(const struct wr *r, const char *member);

/* %XX -> byte, as libmicrohttpd decodes the path before the handler. */
void	 wh_unescape(const char *in, char *out, size_t outsz);

/*
 * Send one request: method, request target as a client sends it (may
 * carry "?query"; the handler gets it raw and %-decoded, as from
 * httpd), Content-Type (NULL: none), body (NULL: empty), extra
 * Replay-Nonce / Origin request headers (NULL: absent).
 */
void	 wh_req_full(struct wh *f, const char *method, const char *pathq,
    const char *ctype, const char *body, size_t bodysz,
    const char *req_nonce, const char *origin, struct wr *out);

/* URL -> path+query for the request line (everything after the base). */
const char *wh_path(const char *url);
void	 wh_post_raw(struct wh *f, const char *url, const char *body, struct wr *out);

/* A fresh nonce from HEAD newNonce (RFC 8555 §7.2). */
void	 wh_nonce(struct wh *f, char out[NONCE_SIZE]);
void	 wh_url(char *out, size_t outsz, const char *path);

/*
 * A signed POST to url: kid (NULL: embed key's jwk), fresh nonce,
 * url = url, payload (NULL: POST-as-GET "").
 */
void	 wh_post(struct wh *f, EVP_PKEY *key, const char *kid, const char *url,
    const char *payload, struct wr *out);
void	 wh_post_acct(struct wh *f, const struct wacct *a, const char *url,
    const char *payload, struct wr *out);

/*
 * Replay-Nonce on every answer to a POST and on newNonce, none on other
 * GETs (RFC 8555 §6.5, §7.2); Link rel="index" on every resource but
 * the directory (§7.1.1).
 */
void	 wh_assert_common(const struct wr *r);

/*
 * An RFC 8555 §6.7 problem: HTTP status, application/problem+json, the
 * full type URN, a "status" member equal to the HTTP status, a detail,
 * and the common headers.
 */
void	 wh_assert_problem(const struct wr *r, int status, const char *type);
void	 wh_assert_ok(const struct wr *r, int status);

/* newAccount for key (taken over by *a, freed by wh_acct_free). */
void	 wh_account_key(struct wh *f, EVP_PKEY *key, struct wacct *a);
void	 wh_account(struct wh *f, struct wacct *a);
void	 wh_acct_free(struct wacct *a);

/* Fill *o from an order resource (r->json) and its Location, if any. */
void	 wh_order_parse(const struct wr *r, const char *url, struct word *o);

/* newOrder payload for DNS/IP names (IP when it has ':' or only digits and dots). */
char *wh_order_payload(const char *const *names, size_t n);

/* newOrder with a raw payload; the response is left in *r. */
void	 wh_new_order_raw(struct wh *f, const struct wacct *a, const char *payload,
    struct wr *r);
void	 wh_order(struct wh *f, const struct wacct *a, const char *const *names,
    size_t n, struct word *o);

/* Re-read an order with POST-as-GET. */
void	 wh_order_get(struct wh *f, const struct wacct *a, struct word *o);

/* URL of the challenge of `type` in an authz, via POST-as-GET. */
void	 wh_chall_url(struct wh *f, const struct wacct *a, const char *authz,
    const char *type, char out[ACME_URL_SIZE]);

/* The ID at the end of a URL (borrowed from url). */
const char *wh_id(const char *url);

/* Status of an authz via POST-as-GET (into out). */
void	 wh_authz_status(struct wh *f, const struct wacct *a, const char *authz,
    char out[16]);

/* Answer the http-01 challenge of authz with {} (valid: validation_skip). */
void	 wh_validate(struct wh *f, const struct wacct *a, const char *authz);

/* An order for names with every authorization valid: ready. */
void	 wh_ready_order(struct wh *f, const struct wacct *a, const char *const *names,
    size_t n, struct word *o);

/* Finalize with a CSR for names made with csrkey; response in *r. */
void	 wh_finalize_csr(struct wh *f, const struct wacct *a, const struct word *o,
    X509_REQ *csr, struct wr *r);
void	 wh_finalize(struct wh *f, const struct wacct *a, const struct word *o,
    EVP_PKEY *csrkey, const char *const *names, size_t n, struct wr *r);

/*
 * A valid order with its certificate issued for names; *certkey (may be
 * NULL) receives the leaf key (caller frees).
 */
void	 wh_issue(struct wh *f, const struct wacct *a, const char *const *names,
    size_t n, struct word *o, EVP_PKEY **certkey);

/* The leaf of an issued order as DER base64url (caller frees). */
char *wh_cert_b64(struct wh *f, const struct wacct *a, const struct word *o);

/* The authz ID of o's i-th authorization. */
const char *wh_authz_id(const struct word *o, size_t i);

#endif /* WFE_HARNESS_H */
