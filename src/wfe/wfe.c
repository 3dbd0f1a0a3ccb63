/* wfe.c - ACME routes, POST checks (HARDENING.md §2) and the wire format */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "acme/acme.h"
#include "acme/ari.h"
#include "acme/eab.h"
#include "acme/jwk.h"
#include "acme/jws.h"
#include "acme/payload.h"
#include "acme/problem.h"
#include "acme/render.h"
#include "acme/url.h"
#include "conformance.h"
#include "httpd.h"
#include "knobs.h"
#include "log.h"
#include "metrics.h"
#include "nonce.h"
#include "ra.h"
#include "ratelimit.h"
#include "wfe.h"

#define CT_JOSE		"application/jose+json"
#define CT_JSON		"application/json"
#define CT_PROBLEM	"application/problem+json"
#define CT_PEMCHAIN	"application/pem-certificate-chain"
#define CT_PEM		"application/x-pem-file"

#define ORDERS_PAGE	100

struct wfe {
	char			*base;		/* base URL, no trailing '/' */
	size_t			 baselen;
	char			 dir_url[ACME_URL_SIZE];
	char			*dir_body;	/* the directory, rendered once */
	size_t			 dir_len;
	unsigned		 retry_after_s;
	char			*tos;		/* terms-of-service URL or NULL */
	struct ra		*ra;
	struct nonce_table	*nonces;
	unsigned char		*(*crl_fetch)(void *, size_t *);
	void			*crl_arg;
	int			(*page)(void *, const struct http_request *,
				    struct http_response *);
	void			*page_arg;
	int			(*ocsp)(void *, const struct http_request *,
				    struct http_response *);
	void			*ocsp_arg;
	struct ratelimit	*new_account_rl;	/* NULL: no limit */
	bool			 limited[WFE_MAX_LISTENERS];
	unsigned		 challenge_wait_ms;	/* 0 (or skipped): never hold */
};

/* Who may sign a request for an endpoint (RFC 8555 §6.2). */
enum auth {
	AUTH_KID,	/* an existing account's key, named by kid */
	AUTH_JWK,	/* an embedded key: newAccount only */
	AUTH_EITHER	/* revokeCert: account or certificate key */
};

/* Payload shapes (RFC 8555 §6.3): POST-as-GET, object, or either. */
enum body {
	BODY_GET,
	BODY_OBJECT,
	BODY_ANY
};

/* One authenticated POST, as the handlers see it. */
struct post {
	const struct http_request	*req;
	struct acme_jws			 jws;
	bool				 has_acct;
	struct acme_account		 acct;
	EVP_PKEY			*acct_key;	/* owned; kid requests */
	json_t				*payload;	/* NULL for POST-as-GET */
	const char			*id;		/* path parameter */
	char				 acct_url[ACME_URL_SIZE]; /* has_acct */
};

typedef int (*post_fn)(struct wfe *, struct post *, struct http_response *,
    struct acme_problem *);

struct route {
	enum auth	 auth;
	enum body	 body;
	post_fn		 fn;
};

static int	 post_new_account(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_account(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_orders(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_key_change(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_new_order(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_order(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_finalize(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_authz(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_challenge(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_cert(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_revoke(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_directory(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);
static int	 post_nonce(struct wfe *, struct post *,
		    struct http_response *, struct acme_problem *);

/* The POST routes, by the URL kind acme_url_parse_path returns. */
static const struct route routes[ACME_URL__MAX] = {
	[ACME_URL_DIRECTORY] =		{ AUTH_KID, BODY_GET, post_directory },
	[ACME_URL_NEW_NONCE] =		{ AUTH_KID, BODY_GET, post_nonce },
	[ACME_URL_NEW_ACCOUNT] =	{ AUTH_JWK, BODY_OBJECT, post_new_account },
	[ACME_URL_NEW_ORDER] =		{ AUTH_KID, BODY_OBJECT, post_new_order },
	[ACME_URL_REVOKE_CERT] =	{ AUTH_EITHER, BODY_OBJECT, post_revoke },
	[ACME_URL_KEY_CHANGE] =		{ AUTH_KID, BODY_OBJECT, post_key_change },
	[ACME_URL_ACCOUNT] =		{ AUTH_KID, BODY_ANY, post_account },
	[ACME_URL_ACCOUNT_ORDERS] =	{ AUTH_KID, BODY_GET, post_orders },
	[ACME_URL_ORDER] =		{ AUTH_KID, BODY_GET, post_order },
	[ACME_URL_FINALIZE] =		{ AUTH_KID, BODY_OBJECT, post_finalize },
	[ACME_URL_AUTHZ] =		{ AUTH_KID, BODY_ANY, post_authz },
	[ACME_URL_CHALLENGE] =		{ AUTH_KID, BODY_ANY, post_challenge },
	[ACME_URL_CERT] =		{ AUTH_KID, BODY_GET, post_cert },
	[ACME_URL_CERT_ALT] =		{ AUTH_KID, BODY_GET, post_cert },
};

/* ---------- responses ---------- */

static void
add_header(struct http_response *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_header(struct http_response *resp, const char *name, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (http_response_add_header(resp, name, "%s", buf) == -1)
		log_warn("wfe: response header %s dropped", name);
}

/*
 * Replay-Nonce on newNonce and on every answer to a POST, errors
 * included (RFC 8555 §7.2, §6.5: badNonce carries the retry nonce);
 * Link rel="index" on every resource but the directory (§7.1.1). GET
 * /directory gets neither, as in Boulder and Pebble: the Ruby
 * acme-client gem breaks on a nonce there.
 */
static void
add_common(struct wfe *w, struct http_response *resp, bool nonce,
    bool index)
{
	char n[NONCE_SIZE];

	if (nonce && nonce_issue(w->nonces, n) == 0)
		add_header(resp, "Replay-Nonce", "%s", n);
	if (index)
		add_header(resp, "Link", "<%s>;rel=\"index\"", w->dir_url);
	add_header(resp, "Cache-Control", "no-store");
}

static int
set_json(struct http_response *resp, int status, json_t *j,
    struct acme_problem *prob)
{
	char *s;

	if (j == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "could not render the resource");
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "could not render the resource");
	http_response_set_body(resp, status, CT_JSON, s, strlen(s));
	return 0;
}

static void
set_problem(struct http_response *resp, const struct acme_problem *prob)
{
	json_t	*j;
	char	*s = NULL;

	if ((j = acme_problem_json(prob)) != NULL) {
		s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	if (s == NULL) {
		/* Out of memory while reporting: a bodiless status. */
		http_response_set_body(resp, prob->status, CT_PROBLEM, NULL, 0);
		return;
	}
	http_response_set_body(resp, prob->status, CT_PROBLEM, s, strlen(s));
	log_info("problem %s %d: %s", acme_problem_type_name(prob->type),
	    prob->status, prob->detail);
}

/* The URL of a resource; "" if it cannot be built (never happens for our IDs). */
static void
url_of(struct wfe *w, char *out, size_t outsz, enum acme_url_kind k,
    const char *id)
{
	if (acme_url_build(w->base, k, id, out, outsz) == -1)
		log_warn("wfe: cannot build a URL of kind %d", (int)k);
}

/* Retry-After in the form the --retry-after-form knob asks for. */
static void
retry_after(struct http_response *resp, unsigned secs)
{
	char v[64];

	if (knobs_retry_after(secs, time(NULL), v, sizeof(v)) == 0)
		add_header(resp, "Retry-After", "%s", v);
}

/* ---------- GET routes ---------- */

/*
 * RFC 9773 §4.1: everything after "renewal-info/" is a certID, to be
 * judged as one (400 malformed when it is not two base64url parts),
 * not a path that does not exist. "" for the bare renewal-info path;
 * NULL when the path is not under renewal-info at all.
 */
static const char *
renewal_info_certid(const char *path)
{
	size_t n = strlen(ACME_PATH_RENEWAL_INFO);

	if (strncmp(path, ACME_PATH_RENEWAL_INFO, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return "";
	return path[n] == '/' ? path + n + 1 : NULL;
}

/* RFC 9773 §4.2: GET renewalInfo/<certID>, unauthenticated. */
static void
get_renewal_info(struct wfe *w, const char *certid,
    struct http_response *resp, struct acme_problem *prob)
{
	struct acme_ari_window	 win;
	char			 url[512];

	/* A certID that does not parse is 400 malformed (in the RA). */
	if (certid[0] == '\0') {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "renewalInfo needs a certID (RFC 9773 §4.1)");
		set_problem(resp, prob);
		return;
	}
	if (ra_renewal_info(w->ra, certid, &win, url, sizeof(url),
	    prob) == -1 ||
	    set_json(resp, 200, acme_ari_render(&win, url), prob) == -1) {
		set_problem(resp, prob);
		return;
	}
	retry_after(resp, ACME_ARI_RETRY_AFTER_S);
}

static void
get_crl(struct wfe *w, struct http_response *resp)
{
	unsigned char	*der;
	size_t		 len = 0;

	if ((der = w->crl_fetch(w->crl_arg, &len)) == NULL) {
		resp->status = 503;
		return;
	}
	/* RFC 5280 §4.2.1.13: a DER CRL; application/pkix-crl (RFC 2585). */
	http_response_set_body(resp, 200, "application/pkix-crl", (char *)der, len);
}

static void
get_directory(struct wfe *w, struct http_response *resp)
{
	char *s;

	if ((s = malloc(w->dir_len + 1)) == NULL) {
		resp->status = 500;
		return;
	}
	memcpy(s, w->dir_body, w->dir_len + 1);
	http_response_set_body(resp, 200, CT_JSON, s, w->dir_len);
}

static void
get_pem(struct wfe *w, struct http_response *resp, bool root)
{
	char *pem = root ? ra_root_pem(w->ra) : ra_intermediate_pem(w->ra);

	if (pem == NULL) {
		resp->status = 500;
		return;
	}
	http_response_set_body(resp, 200, CT_PEM, pem, strlen(pem));
}

/* ---------- POST pipeline (HARDENING.md §2) ---------- */

/* kid must be exactly the URL of an account of ours (HARDENING A10). */
static int
kid_to_id(struct wfe *w, const char *kid, char id[ACME_ID_SIZE],
    struct acme_problem *prob)
{
	enum acme_url_kind	 k;
	char			 seg[ACME_URL_ID_MAX + 1];

	if (strncmp(kid, w->base, w->baselen) != 0 ||
	    acme_url_parse_path(kid + w->baselen, &k, seg, sizeof(seg)) == -1 ||
	    k != ACME_URL_ACCOUNT)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "kid is not an account URL of this server");
	/* This version's IDs, or an earlier version's (acme/acme.h). */
	if (strlen(seg) != ACME_ID_LEN && strlen(seg) != ACME_ID_LEGACY_LEN)
		return acme_problem_set(prob, ACME_P_ACCOUNTDOESNOTEXIST,
		    "no account with that kid");
	memcpy(id, seg, strlen(seg) + 1);
	return 0;
}

/*
 * Steps 1-10 of HARDENING.md §2 for one POST. On success p is filled and
 * the nonce has been redeemed.
 */
static int
check_post(struct wfe *w, const struct route *r, struct post *p,
    struct acme_problem *prob)
{
	const struct http_request	*req = p->req;
	EVP_PKEY			*vkey;
	char				 id[ACME_ID_SIZE], url[2048];
	char				 seen[NONCE_SIZE];
	const char			*target;
	bool				 fresh;
	int				 n;

	/* 1. HTTP framing */
	if (req->content_type == NULL ||
	    strcmp(req->content_type, CT_JOSE) != 0) {
		(void)conformance_note(CONF_CONTENT_TYPE, NULL);
		return acme_problem_setx(prob, ACME_P_MALFORMED, 415,
		    "Content-Type must be " CT_JOSE " (RFC 8555 §6.2)");
	}
	if (req->replay_nonce != NULL)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "requests must not carry a Replay-Nonce header "
		    "(RFC 8555 §6.5.1)");
	if (req->body_too_large)
		return acme_problem_setx(prob, ACME_P_MALFORMED, 413,
		    "request body too large");
	if (req->bodysz == 0)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "request body is empty");

	/*
	 * 2-4. JWS structure, header, alg; 5a. embedded key import. RFC
	 * 8555 §6.5: a nonce that appeared in a request is spent, whatever
	 * fails next (even the rest of the parse); badNonce is still
	 * reported at step 8, so the check order stays.
	 */
	if (acme_jws_parse(req->body, req->bodysz, &p->jws, prob) == -1) {
		if (acme_jws_peek_nonce(req->body, req->bodysz, seen,
		    sizeof(seen)) == 0)
			(void)nonce_redeem(w->nonces, seen);
		return -1;
	}
	fresh = nonce_redeem(w->nonces, p->jws.nonce);

	/* 5. the right kind of key for the endpoint (RFC 8555 §6.2) */
	if (p->jws.kid != NULL) {
		if (r->auth == AUTH_JWK)
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "this endpoint requires an embedded jwk, not a kid");
		if (kid_to_id(w, p->jws.kid, id, prob) == -1)
			return -1;
		if (ra_account_auth(w->ra, id, &p->acct, &p->acct_key,
		    prob) == -1)
			return -1;
		p->has_acct = true;
		url_of(w, p->acct_url, sizeof(p->acct_url), ACME_URL_ACCOUNT,
		    id);
		vkey = p->acct_key;
	} else {
		if (r->auth == AUTH_KID) {
			(void)conformance_note(CONF_JWK_NOT_KID, NULL);
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "this endpoint requires a kid, not an embedded jwk");
		}
		vkey = p->jws.key;
	}

	/* 6-7. alg implied by the key; signature over the received bytes */
	if (acme_jws_verify(&p->jws, vkey, prob) == -1)
		return -1;
	/* Only a verified request is the account's (conformance report). */
	if (p->has_acct)
		conformance_set_account(p->acct_url);

	/* 8. nonce, redeemed (spent) right after the parse */
	if (!p->jws.nonce_present)
		return acme_problem_set(prob, ACME_P_BADNONCE,
		    "JWS has no anti-replay nonce");
	if (!nonce_is_wellformed(p->jws.nonce))
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "nonce is not base64url (RFC 8555 §6.5.2)");
	if (!fresh) {
		(void)conformance_note(CONF_NONCE_INVALID, NULL);
		return acme_problem_set(prob, ACME_P_BADNONCE,
		    "JWS has an invalid anti-replay nonce");
	}
	if (knobs_reject_nonce()) {
		/* The --nonce-reject test knob: clients must retry (§6.5). */
		metrics_nonce_rejected();
		return acme_problem_set(prob, ACME_P_BADNONCE,
		    "JWS has an invalid anti-replay nonce (rejected by the "
		    "server's --nonce-reject test setting)");
	}

	/*
	 * 9. url: exactly the URL this request was sent to (RFC 8555 §6.4),
	 * as received: "/acme/new%2Dorder" is not ".../acme/new-order".
	 */
	if (p->jws.url == NULL)
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "JWS header has no url");
	target = req->raw_path != NULL ? req->raw_path : "";
	n = snprintf(url, sizeof(url), "%s%s%s%s", w->base, target,
	    req->query != NULL ? "?" : "", req->query != NULL ? req->query : "");
	if (n < 0 || (size_t)n >= sizeof(url) || strcmp(p->jws.url, url) != 0) {
		(void)conformance_note(CONF_URL_MISMATCH, NULL);
		return acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "JWS url does not match the request URL");
	}

	/* Account status, now that the request is authentic (§7.3.6). */
	if (p->has_acct && p->acct.status != ACME_ACCOUNT_VALID)
		return acme_problem_setx(prob, ACME_P_UNAUTHORIZED, 401,
		    "account is %s", acme_account_status_str(p->acct.status));

	/* 10. payload shape (§6.3: POST-as-GET has the empty payload) */
	if (p->jws.payload_len == 0) {
		if (r->body == BODY_OBJECT) {
			/* Polling finalize: the order is at its Location. */
			if (r == &routes[ACME_URL_FINALIZE])
				(void)conformance_note(CONF_IGNORED_LOCATION,
				    NULL);
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "this request needs a JSON object payload");
		}
	} else {
		if (r->body == BODY_GET)
			return acme_problem_set(prob, ACME_P_MALFORMED,
			    "POST-as-GET requests must have an empty payload");
		if ((p->payload = acme_jws_payload_json(&p->jws, prob)) == NULL)
			return -1;
	}
	return 0;
}

static void
post_clear(struct post *p)
{
	acme_jws_clear(&p->jws);
	acme_account_clear(&p->acct);
	EVP_PKEY_free(p->acct_key);
	json_decref(p->payload);
	memset(p, 0, sizeof(*p));
}

/* ---------- POST handlers ---------- */

static int
post_directory(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	(void)p;
	(void)prob;
	get_directory(w, resp);
	return 0;
}

static int
post_nonce(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	(void)w;
	(void)p;
	(void)prob;
	resp->status = 200;
	return 0;
}

static int
render_account(struct wfe *w, const struct acme_account *a, int status,
    struct http_response *resp, struct acme_problem *prob)
{
	char url[1024];

	url_of(w, url, sizeof(url), ACME_URL_ACCOUNT, a->id);
	if (set_json(resp, status, acme_render_account(w->base, a), prob) == -1)
		return -1;
	add_header(resp, "Location", "%s", url);
	return 0;
}

/*
 * Issue #12 item 14: newAccount per client address, on the listeners that
 * limit it. Every local client shares 127.0.0.1 or ::1, so a loopback
 * listener does not limit by default (serve.c decides per listener).
 * True when the request is refused (429 rateLimited, Retry-After set).
 */
static bool
new_account_limited(struct wfe *w, const struct http_request *req,
    struct http_response *resp, struct acme_problem *prob)
{
	unsigned secs = 1;

	if (w->new_account_rl == NULL || req->listener < 0 ||
	    req->listener >= WFE_MAX_LISTENERS || !w->limited[req->listener])
		return false;
	if (ratelimit_take(w->new_account_rl, req->remote_addr, &secs))
		return false;
	retry_after(resp, secs);
	acme_problem_setx(prob, ACME_P_RATELIMITED, 429,
	    "too many new accounts from this address; retry after %u s",
	    secs);
	return true;
}

static int
post_new_account(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_req_new_account	 req;
	struct acme_account		 acct = { 0 };
	struct acme_eab			 eab;
	char				 url[ACME_URL_SIZE];
	bool				 created = false;
	int				 rc;

	memset(&req, 0, sizeof(req));
	memset(&eab, 0, sizeof(eab));
	if (new_account_limited(w, p->req, resp, prob))
		return -1;
	if (acme_payload_new_account(p->payload, &req, prob) == -1)
		return -1;
	if (req.eab != NULL && !req.only_return_existing) {
		/* RFC 8555 §7.3.4: the binding's url is the newAccount URL. */
		url_of(w, url, sizeof(url), ACME_URL_NEW_ACCOUNT, NULL);
		if (acme_eab_parse(req.eab, url, p->jws.key, &eab, prob) == -1)
			return -1;
	}
	if (knobs_strict() && !req.only_return_existing &&
	    conformance_has_account()) {
		/*
		 * --strict refuses a second new account of this client before
		 * it exists: only an existing account's key passes.
		 */
		req.only_return_existing = true;
		rc = ra_new_account_eab(w->ra, p->jws.key, &req, NULL, &acct,
		    &created, prob);
		if (rc == -1 && prob->type == ACME_P_ACCOUNTDOESNOTEXIST) {
			memset(prob, 0, sizeof(*prob));
			rc = conformance_account_created(prob);
		}
	} else
		rc = ra_new_account_eab(w->ra, p->jws.key, &req,
		    eab.signing_input != NULL ? &eab : NULL, &acct, &created,
		    prob);
	acme_eab_clear(&eab);
	if (rc == 0 && created) {
		url_of(w, p->acct_url, sizeof(p->acct_url), ACME_URL_ACCOUNT,
		    acct.id);
		conformance_set_account(p->acct_url);
		(void)conformance_account_created(NULL);
	}
	if (rc == -1) {
		/* RFC 8555 §7.3.3: userActionRequired links the terms (A04). */
		if (prob->type == ACME_P_USERACTIONREQUIRED && w->tos != NULL)
			add_header(resp, "Link", "<%s>;rel=\"terms-of-service\"",
			    w->tos);
		acme_account_clear(&acct);
		return -1;
	}
	rc = render_account(w, &acct, created ? 201 : 200, resp, prob);
	acme_account_clear(&acct);
	return rc;
}

static int
post_account(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_req_account_update	 req;
	struct acme_account		 out = { 0 };
	int				 rc;

	/* RFC 8555 §7.3.2: only the account's own key may touch it (A13). */
	if (strcmp(p->id, p->acct.id) != 0)
		return acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "the request's key does not own this account");
	if (p->payload == NULL)
		return render_account(w, &p->acct, 200, resp, prob);
	memset(&req, 0, sizeof(req));
	if (acme_payload_account_update(p->payload, &req, prob) == -1)
		return -1;
	if (ra_update_account(w->ra, &p->acct, &req, &out, prob) == -1) {
		acme_account_clear(&out);
		return -1;
	}
	rc = render_account(w, &out, 200, resp, prob);
	acme_account_clear(&out);
	return rc;
}

static int
post_orders(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	char	 ids[ORDERS_PAGE][ACME_ID_SIZE];
	char	 next[128] = "", url[1024];
	size_t	 n = 0;
	const char *cursor = NULL;

	if (strcmp(p->id, p->acct.id) != 0)
		return acme_problem_set(prob, ACME_P_UNAUTHORIZED,
		    "the request's key does not own this account");
	if (p->req->query != NULL && strncmp(p->req->query, "cursor=", 7) == 0)
		cursor = p->req->query + 7;
	if (ra_list_orders(w->ra, &p->acct, cursor, ids, ORDERS_PAGE, &n,
	    next, sizeof(next), prob) == -1)
		return -1;
	if (set_json(resp, 200, acme_render_orders_list(w->base,
	    (const char (*)[ACME_ID_SIZE])ids, n), prob) == -1)
		return -1;
	if (next[0] != '\0') {
		url_of(w, url, sizeof(url), ACME_URL_ACCOUNT_ORDERS,
		    p->acct.id);
		add_header(resp, "Link", "<%s?cursor=%s>;rel=\"next\"", url,
		    next);
	}
	return 0;
}

/* RFC 8555 §7.3.5: the nine checks of a key rollover. */
static int
post_key_change(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_jws			 inner;
	struct acme_req_key_change	 kc;
	json_t				*ipayload = NULL;
	EVP_PKEY			*oldkey = NULL;
	char				 acct_url[1024], conflict[ACME_ID_SIZE];
	int				 rc = -1;

	memset(&inner, 0, sizeof(inner));
	memset(&kc, 0, sizeof(kc));
	/* 2-3. the payload is a JWS signed by the new key, with jwk, no nonce */
	if (acme_jws_parse_inner((const char *)p->jws.payload,
	    p->jws.payload_len, &inner, prob) == -1)
		goto out;
	/* 4. it verifies with its own key */
	if (acme_jws_verify(&inner, inner.key, prob) == -1) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "inner JWS does not verify with its embedded key");
		goto out;
	}
	/* 6. same url as the outer JWS */
	if (strcmp(inner.url, p->jws.url) != 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "inner JWS url differs from the outer JWS url");
		goto out;
	}
	if ((ipayload = acme_jws_payload_json(&inner, prob)) == NULL)
		goto out;
	if (acme_payload_key_change(ipayload, &kc, prob) == -1)
		goto out;
	/* 7. account is the outer kid */
	url_of(w, acct_url, sizeof(acct_url), ACME_URL_ACCOUNT, p->acct.id);
	if (strcmp(kc.account, acct_url) != 0) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "inner payload names a different account");
		goto out;
	}
	/* 8. oldKey is the account's current key */
	if ((oldkey = acme_jwk_import(kc.old_key, prob)) == NULL)
		goto out;
	if (!acme_jwk_equal(oldkey, p->acct_key)) {
		acme_problem_set(prob, ACME_P_MALFORMED,
		    "oldKey is not the account's current key");
		goto out;
	}
	/* 9. the new key is no account's key */
	if (ra_key_change(w->ra, &p->acct, inner.key, conflict, prob) == -1) {
		if (prob->status == 409) {
			char url[1024];
			url_of(w, url, sizeof(url), ACME_URL_ACCOUNT,
			    conflict);
			add_header(resp, "Location", "%s", url);
		}
		goto out;
	}
	{
		struct acme_account	 a = { 0 };
		EVP_PKEY		*k = NULL;

		if (ra_account_auth(w->ra, p->acct.id, &a, &k, prob) == -1) {
			acme_account_clear(&a);
			goto out;
		}
		EVP_PKEY_free(k);
		rc = render_account(w, &a, 200, resp, prob);
		acme_account_clear(&a);
	}
out:
	acme_req_key_change_clear(&kc);
	EVP_PKEY_free(oldkey);
	json_decref(ipayload);
	acme_jws_clear(&inner);
	return rc;
}

static int
render_order(struct wfe *w, const struct acme_order *o, int status,
    struct http_response *resp, struct acme_problem *prob)
{
	char url[1024];

	if (set_json(resp, status, acme_render_order(w->base, o), prob) == -1)
		return -1;
	if (o->status == ACME_ORDER_PROCESSING) {
		retry_after(resp, w->retry_after_s);
		url_of(w, url, sizeof(url), ACME_URL_ORDER, o->id);
		conformance_retry_after(url + w->baselen, NULL,
		    w->retry_after_s);
	}
	return 0;
}

static int
post_new_order(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_req_new_order	*req;
	struct acme_order		 o = { 0 };
	char				 url[1024];
	int				 rc = -1;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		return acme_problem_set(prob, ACME_P_SERVERINTERNAL,
		    "out of memory");
	if (acme_payload_new_order(p->payload, req, prob) == -1)
		goto out;
	if (ra_new_order(w->ra, &p->acct, req, &o, prob) == -1)
		goto out;
	if (render_order(w, &o, 201, resp, prob) == -1)
		goto out;
	url_of(w, url, sizeof(url), ACME_URL_ORDER, o.id);
	add_header(resp, "Location", "%s", url);
	rc = 0;
out:
	acme_order_clear(&o);
	free(req);
	return rc;
}

static int
post_order(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_order	 o = { 0 };
	int			 rc = -1;

	if (ra_get_order(w->ra, &p->acct, p->id, &o, prob) == 0)
		rc = render_order(w, &o, 200, resp, prob);
	acme_order_clear(&o);
	return rc;
}

static int
post_finalize(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_order	 o = { 0 };
	char			*csr = NULL, url[1024];
	int			 rc = -1;

	if (acme_payload_finalize(p->payload, &csr, prob) == -1)
		goto out;
	if (ra_finalize(w->ra, &p->acct, p->acct_key, p->id, csr, &o,
	    prob) == -1)
		goto out;
	if (render_order(w, &o, 200, resp, prob) == -1)
		goto out;
	url_of(w, url, sizeof(url), ACME_URL_ORDER, o.id);
	add_header(resp, "Location", "%s", url);
	rc = 0;
out:
	free(csr);
	acme_order_clear(&o);
	return rc;
}

static int
post_authz(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_authz	 a = { 0 };
	bool			 deactivate = false;
	int			 rc = -1;

	if (p->payload != NULL &&
	    acme_payload_authz_update(p->payload, &deactivate, prob) == -1)
		goto out;
	if (deactivate) {
		if (ra_deactivate_authz(w->ra, &p->acct, p->id, &a, prob) == -1)
			goto out;
	} else if (ra_get_authz(w->ra, &p->acct, p->id, &a, prob) == -1)
		goto out;
	if (set_json(resp, 200, acme_render_authz(w->base, &a), prob) == -1)
		goto out;
	for (size_t i = 0; i < a.nchall; i++)
		if (a.chall[i].status == ACME_CHALL_PROCESSING) {
			retry_after(resp, w->retry_after_s);
			conformance_retry_after(p->req->path, NULL,
			    w->retry_after_s);
			break;
		}
	rc = 0;
out:
	acme_authz_clear(&a);
	return rc;
}

/* The challenge as the answer to a POST about it (§7.5.1). */
static int
answer_challenge(struct wfe *w, const char *path,
    const struct acme_challenge *c, const struct acme_authz *a,
    struct http_response *resp, struct acme_problem *prob)
{
	char url[1024];

	if (set_json(resp, 200, acme_render_challenge(w->base, c), prob) == -1)
		return -1;
	url_of(w, url, sizeof(url), ACME_URL_AUTHZ, a->id);
	add_header(resp, "Link", "<%s>;rel=\"up\"", url);
	if (c->status == ACME_CHALL_PROCESSING) {
		retry_after(resp, w->retry_after_s);
		/* A client polls the challenge or its authorization. */
		conformance_retry_after(path, url + w->baselen,
		    w->retry_after_s);
	}
	return 0;
}

/* A held challenge answer: what challenge_later needs to finish it. */
struct held_challenge {
	struct timespec	 t0;			/* the request's start */
	char		 id[ACME_ID_SIZE];
	char		 acct_url[ACME_URL_SIZE];
};

static void
wake_held(void *arg, unsigned long long ticket)
{
	http_wake(arg, ticket);
}

static void	 challenge_later(void *, const struct http_request *,
		    struct http_response *, const void *);

static int
post_challenge(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_challenge	 c;
	struct acme_authz	 a = { 0 };
	struct held_challenge	 hc;
	struct ra_waker		 wk = { wake_held, NULL, 0 };
	bool			 held = false;
	int			 rc = -1;

	memset(&c, 0, sizeof(c));
	/*
	 * RFC 8555 §7.5.1: any object (even with unknown fields) responds.
	 * A validation it starts usually ends within milliseconds: the
	 * answer is held (no thread waits: httpd suspends the connection)
	 * until the outcome is stored or challenge_wait_ms pass, and
	 * carries it; the client then polls nothing.
	 */
	if (p->payload != NULL && w->challenge_wait_ms > 0) {
		memset(&hc, 0, sizeof(hc));
		clock_gettime(CLOCK_MONOTONIC, &hc.t0);
		snprintf(hc.id, sizeof(hc.id), "%s", p->id);
		snprintf(hc.acct_url, sizeof(hc.acct_url), "%s", p->acct_url);
		wk.arg = p->req->server;
		wk.ticket = http_hold(p->req, w->challenge_wait_ms,
		    challenge_later, &hc, sizeof(hc));
	}
	if (ra_challenge(w->ra, &p->acct, p->id, p->payload != NULL,
	    wk.ticket != 0 ? &wk : NULL, &held, &c, &a, prob) == -1)
		goto out;
	if (held) {
		rc = 0;		/* resp stays without a status: held */
		goto out;
	}
	rc = answer_challenge(w, p->req->path, &c, &a, resp, prob);
out:
	acme_authz_clear(&a);
	return rc;
}

/*
 * The certificate (ACME_URL_CERT, chain 0) or its alternate chain k
 * (ACME_URL_CERT_ALT, id "<serial>/<k>"), with one Link rel="alternate"
 * for each other chain (RFC 8555 §7.4.2), each fetched by POST-as-GET.
 */
static int
post_cert(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	char		 serial[ACME_URL_ID_MAX + 1], url[ACME_URL_SIZE];
	char		*chain;
	const char	*sl;
	unsigned	 k = 0, alts = 0;

	snprintf(serial, sizeof(serial), "%s", p->id);
	if ((sl = strchr(p->id, '/')) != NULL) {
		/* acme_url_parse_path made it "<serial>/<digit 1-9>" */
		serial[sl - p->id] = '\0';
		k = (unsigned)(sl[1] - '0');
	}
	/* A URL no valid order gave is noted by the RA (§7.4.2). */
	if ((chain = ra_get_cert_chain(w->ra, &p->acct, serial, k, &alts,
	    prob)) == NULL)
		return -1;
	http_response_set_body(resp, 200, CT_PEMCHAIN, chain, strlen(chain));
	for (unsigned i = 0; i < 32; i++) {
		if (i == k || (alts & (1u << i)) == 0)
			continue;
		if ((i == 0 ? acme_url_cert(w->base, serial, url, sizeof(url)) :
		    acme_url_cert_alt(w->base, serial, i, url,
		    sizeof(url))) == 0)
			add_header(resp, "Link", "<%s>;rel=\"alternate\"", url);
	}
	return 0;
}

static int
post_revoke(struct wfe *w, struct post *p, struct http_response *resp,
    struct acme_problem *prob)
{
	struct acme_req_revoke	 req;
	int			 rc;

	memset(&req, 0, sizeof(req));
	if (acme_payload_revoke(p->payload, &req, prob) == -1)
		return -1;
	rc = ra_revoke(w->ra, p->has_acct ? &p->acct : NULL,
	    p->has_acct ? NULL : p->jws.key, req.cert_der, req.cert_len,
	    req.has_reason ? req.reason : 0, prob);
	acme_req_revoke_clear(&req);
	if (rc == 0)
		resp->status = 200;
	return rc;
}

/* ---------- dispatch ---------- */

static bool
has_retry_after(const struct http_response *resp)
{
	for (size_t i = 0; i < resp->nhdrs; i++)
		if (strcmp(resp->hdrs[i].name, "Retry-After") == 0)
			return true;
	return false;
}

static void
cors(const struct http_request *req, struct http_response *resp)
{
	/* RFC 8555 §6.1: browser-based clients; nothing is cookie-scoped. */
	if (req->origin == NULL)
		return;
	add_header(resp, "Access-Control-Allow-Origin", "*");
	add_header(resp, "Access-Control-Expose-Headers",
	    "Link, Replay-Nonce, Location, Retry-After");
}

/*
 * The deviations judged on an authentic POST (conformance.h): a poll
 * before Retry-After, members of the ACME drafts, a challenge response
 * other than {}. 0, or -1 with prob under --strict.
 */
static int
post_conformance(enum acme_url_kind k, const struct post *p,
    struct acme_problem *prob)
{
	if (p->payload == NULL && (k == ACME_URL_ORDER ||
	    k == ACME_URL_AUTHZ || k == ACME_URL_CHALLENGE))
		return conformance_poll(p->req->path, prob);
	if (p->payload == NULL)
		return 0;
	if (json_object_get(p->payload, "resource") != NULL &&
	    conformance_note(CONF_RESOURCE_MEMBER, prob) == -1)
		return -1;
	if (k == ACME_URL_CHALLENGE && json_object_size(p->payload) > 0)
		return conformance_note(CONF_CHALLENGE_PAYLOAD, prob);
	return 0;
}

static void
handle_post(struct wfe *w, enum acme_url_kind k, const char *id,
    const struct http_request *req, struct http_response *resp,
    struct acme_problem *prob)
{
	const struct route	*r = &routes[k];
	struct post		 p;

	memset(&p, 0, sizeof(p));
	p.req = req;
	p.id = id;
	if (r->fn == NULL)
		acme_problem_setx(prob, ACME_P_MALFORMED, 404,
		    "no such resource");
	else if (check_post(w, r, &p, prob) == 0 &&
	    post_conformance(k, &p, prob) == 0 &&
	    knobs_strict_check(k, p.payload, prob) == 0 &&
	    r->fn(w, &p, resp, prob) == 0)
		goto out;
	set_problem(resp, prob);
	/* RFC 8555 §6.6 (HARDENING D05), unless the handler said when. */
	if (prob->status == 429 && !has_retry_after(resp))
		retry_after(resp, w->retry_after_s);
out:
	/* Every answer to a POST carries a Replay-Nonce (§6.5). */
	conformance_post_answered();
	conformance_set_account(NULL);	/* p.acct_url goes */
	post_clear(&p);
}

static void
handle(struct wfe *w, const struct http_request *req,
    struct http_response *resp)
{
	struct acme_problem	 prob;
	const char		*m = req->method;
	bool			 get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	bool			 post = strcmp(m, "POST") == 0;
	const char		*allow = NULL, *certid;
	enum acme_url_kind	 k;
	char			 id[ACME_URL_ID_MAX + 1];

	memset(&prob, 0, sizeof(prob));
	/* The status page and the root's downloads: not ACME resources. */
	if (w->page != NULL && w->page(w->page_arg, req, resp))
		return;
	if (w->ocsp != NULL && w->ocsp(w->ocsp_arg, req, resp))
		return;
	cors(req, resp);

	if (w->crl_fetch != NULL && strcmp(req->path, WFE_CRL_PATH) == 0) {
		if (get)
			get_crl(w, resp);
		else {
			acme_problem_setx(&prob, ACME_P_MALFORMED, 405,
			    "use GET");
			set_problem(resp, &prob);
			add_header(resp, "Allow", "GET, HEAD");
		}
		return;
	}
	/* Files for tools that want the chain (not ACME resources). */
	if (strcmp(req->path, "/roots/root.pem") == 0 ||
	    strcmp(req->path, "/intermediates/current.pem") == 0) {
		if (get)
			get_pem(w, resp, req->path[1] == 'r');
		else {
			acme_problem_setx(&prob, ACME_P_MALFORMED, 405,
			    "use GET");
			set_problem(resp, &prob);
			add_header(resp, "Allow", "GET, HEAD");
		}
		return;
	}
	if (strcmp(m, "OPTIONS") == 0) {
		/* CORS preflight (HARDENING T19). */
		resp->status = 204;
		if (req->origin == NULL)	/* else cors() set it: once only */
			add_header(resp, "Access-Control-Allow-Origin", "*");
		add_header(resp, "Access-Control-Allow-Methods",
		    "GET, HEAD, POST");
		add_header(resp, "Access-Control-Allow-Headers", "Content-Type");
		add_header(resp, "Access-Control-Max-Age", "86400");
		return;
	}
	if ((certid = renewal_info_certid(req->path)) != NULL)
		k = ACME_URL_RENEWAL_INFO;
	else if (acme_url_parse_path(req->path, &k, id, sizeof(id)) == -1) {
		acme_problem_setx(&prob, ACME_P_MALFORMED, 404,
		    "no such resource");
		add_common(w, resp, post, true);  /* a POST error too (§6.5) */
		set_problem(resp, &prob);
		return;
	}
	add_common(w, resp, post || (get && k == ACME_URL_NEW_NONCE),
	    k != ACME_URL_DIRECTORY);
	/* RFC 8555 §6.1: ACME clients MUST send a User-Agent. */
	if (req->user_agent == NULL &&
	    conformance_note(CONF_USER_AGENT, &prob) == -1) {
		set_problem(resp, &prob);
		return;
	}

	if (k == ACME_URL_DIRECTORY) {
		if (get) {
			get_directory(w, resp);
			return;
		}
		allow = "GET, HEAD, POST";
	} else if (k == ACME_URL_RENEWAL_INFO) {
		if (get) {
			get_renewal_info(w, certid, resp, &prob);
			return;
		}
		allow = "GET, HEAD";
	} else if (k == ACME_URL_NEW_NONCE) {
		/* RFC 8555 §7.2: HEAD 200, GET 204, no-store. */
		if (get && conformance_new_nonce(&prob) == -1) {
			set_problem(resp, &prob);
			return;
		}
		if (strcmp(m, "HEAD") == 0) {
			resp->status = 200;
			return;
		}
		if (strcmp(m, "GET") == 0) {
			resp->status = 204;
			return;
		}
		allow = "GET, HEAD, POST";
	} else
		allow = "POST";

	if (!post) {
		/* RFC 8555 §6.3: GET only for the directory and newNonce. */
		if (get)
			(void)conformance_note(CONF_GET_NOT_POST, NULL);
		acme_problem_setx(&prob, ACME_P_MALFORMED, 405,
		    "method not allowed here; use %s%s", allow,
		    get ? " (POST-as-GET to read a resource)" : "");
		set_problem(resp, &prob);
		add_header(resp, "Allow", "%s", allow);
		return;
	}
	handle_post(w, k, id, req, resp, &prob);
}

/* Metrics: every request's endpoint, status and latency. */
static void
count(const struct http_request *req, int status, const struct timespec *t0)
{
	struct timespec		 t1;
	enum acme_url_kind	 k;
	char			 id[ACME_URL_ID_MAX + 1];
	int			 ep;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (renewal_info_certid(req->path) != NULL)
		ep = ACME_URL_RENEWAL_INFO;
	else if (acme_url_parse_path(req->path, &k, id, sizeof(id)) == 0)
		ep = (int)k;
	else if (strcmp(req->path, WFE_CRL_PATH) == 0)
		ep = METRICS_EP_CRL;
	else if (strcmp(req->path, "/roots/root.pem") == 0 ||
	    strcmp(req->path, "/intermediates/current.pem") == 0)
		ep = METRICS_EP_PEM;
	else
		ep = METRICS_EP_OTHER;
	metrics_request(ep, status != 0 ? status : 500,
	    (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
}

void
wfe_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	conformance_begin(req->user_agent, req->remote_addr, req->remote_port,
	    req->path);
	handle(arg, req, resp);
	conformance_end();
	if (resp->status == 0)
		return;		/* held (challenge_later counts it) */
	count(req, resp->status, &t0);
}

/*
 * A held challenge answer's end (http_hold): the validation's outcome is
 * stored, or challenge_wait_ms passed. resp has the headers post_challenge
 * gave it (the Replay-Nonce among them); the challenge as it is now goes
 * in.
 */
static void
challenge_later(void *arg, const struct http_request *req,
    struct http_response *resp, const void *state)
{
	struct wfe			*w = arg;
	const struct held_challenge	*hc = state;
	struct acme_challenge		 c;
	struct acme_authz		 a = { 0 };
	struct acme_problem		 prob;

	memset(&c, 0, sizeof(c));
	memset(&prob, 0, sizeof(prob));
	conformance_begin(req->user_agent, req->remote_addr, req->remote_port,
	    req->path);
	conformance_set_account(hc->acct_url);
	if (ra_challenge_get(w->ra, hc->id, &c, &a, &prob) == -1 ||
	    answer_challenge(w, req->path, &c, &a, resp, &prob) == -1)
		set_problem(resp, &prob);
	acme_authz_clear(&a);
	conformance_end();
	count(req, resp->status, &hc->t0);
}

/* ---------- lifecycle ---------- */

struct wfe *
wfe_new(const struct wfe_opts *opts, struct ra *ra,
    struct nonce_table *nonces)
{
	struct wfe		*w;
	struct acme_render_meta	 meta;
	json_t			*dir;
	size_t			 len;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	/* --validation skip: the answer is the outcome already. */
	w->challenge_wait_ms = opts->validation_skip ? 0 :
	    opts->challenge_wait_ms;
	len = strlen(opts->base_url);
	while (len > 0 && opts->base_url[len - 1] == '/')
		len--;
	if ((w->base = strndup(opts->base_url, len)) == NULL)
		goto fail;
	w->baselen = len;
	if (acme_url_directory(w->base, w->dir_url, sizeof(w->dir_url)) == -1)
		goto fail;
	w->ra = ra;
	w->nonces = nonces;
	w->retry_after_s = opts->retry_after_s > 0 ? opts->retry_after_s : 1;
	if (opts->tos_url != NULL && opts->tos_url[0] != '\0' &&
	    (w->tos = strdup(opts->tos_url)) == NULL)
		goto fail;

	memset(&meta, 0, sizeof(meta));
	meta.website = opts->website;
	meta.terms_of_service = opts->tos_url;
	meta.caa_identities = opts->caa_identities;
	meta.ncaa = opts->ncaa_identities;
	meta.external_account_required = opts->eab_required;
	meta.validation_skipped = opts->validation_skip;
	meta.renewal_info = true;	/* RFC 9773 */
	meta.profile_names = opts->profile_names;
	meta.profile_descs = opts->profile_descs;
	meta.nprofiles = opts->nprofiles;
	meta.test_knobs = opts->test_knobs;
	w->crl_fetch = opts->crl_fetch;
	w->crl_arg = opts->crl_arg;
	w->page = opts->page;
	w->page_arg = opts->page_arg;
	w->ocsp = opts->ocsp;
	w->ocsp_arg = opts->ocsp_arg;
	if (opts->new_account_rate > 0) {
		for (size_t i = 0; i < WFE_MAX_LISTENERS; i++)
			w->limited[i] = opts->new_account_limited == NULL ||
			    (i < opts->nlisteners &&
			    opts->new_account_limited[i]);
		if ((w->new_account_rl = ratelimit_new(opts->new_account_rate,
		    opts->new_account_rate, 0)) == NULL)
			goto fail;
	}
	if ((dir = acme_render_directory(w->base, &meta)) == NULL)
		goto fail;
	w->dir_body = json_dumps(dir, JSON_COMPACT | JSON_INDENT(0));
	json_decref(dir);
	if (w->dir_body == NULL)
		goto fail;
	w->dir_len = strlen(w->dir_body);
	return w;
fail:
	wfe_free(w);
	return NULL;
}

void
wfe_free(struct wfe *w)
{
	if (w == NULL)
		return;
	free(w->base);
	free(w->dir_body);
	free(w->tos);
	ratelimit_free(w->new_account_rl);
	free(w);
}
