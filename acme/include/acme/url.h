/* url.h - the URL layout (single source of truth): building and routing ACME URLs (RFC 8555 §7.1) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_URL_H
#define ACME_URL_H

#include <stddef.h>

/*
 * URL layout. Every URL is base + path, where base is the server's
 * origin without a trailing slash ("https://localhost:8555"; a trailing
 * '/' on base is ignored). Nothing else in the program spells a path:
 * the WFE routes with acme_url_parse_path and checks a JWS "url" or
 * "kid" by building the expected URL here.
 *
 *   /directory                      ACME_URL_DIRECTORY
 *   /acme/new-nonce                 ACME_URL_NEW_NONCE
 *   /acme/new-account               ACME_URL_NEW_ACCOUNT
 *   /acme/new-order                 ACME_URL_NEW_ORDER
 *   /acme/revoke-cert               ACME_URL_REVOKE_CERT
 *   /acme/key-change                ACME_URL_KEY_CHANGE
 *   /acme/renewal-info              ACME_URL_RENEWAL_INFO (RFC 9773;
 *   /acme/renewal-info/<certID>     ACME_URL_RENEWAL_INFO  id optional)
 *   /acme/acct/<id>                 ACME_URL_ACCOUNT
 *   /acme/acct/<id>/orders          ACME_URL_ACCOUNT_ORDERS
 *   /acme/order/<id>                ACME_URL_ORDER
 *   /acme/order/<id>/finalize       ACME_URL_FINALIZE
 *   /acme/authz/<id>                ACME_URL_AUTHZ
 *   /acme/chall/<id>                ACME_URL_CHALLENGE
 *   /acme/cert/<serial-hex>         ACME_URL_CERT
 *   /acme/cert/<serial-hex>/alt/<k> ACME_URL_CERT_ALT (RFC 8555 §7.4.2;
 *                                   id "<serial-hex>/<k>", k 1..9)
 */
#define ACME_PATH_DIRECTORY	"/directory"
#define ACME_PATH_NEW_NONCE	"/acme/new-nonce"
#define ACME_PATH_NEW_ACCOUNT	"/acme/new-account"
#define ACME_PATH_NEW_ORDER	"/acme/new-order"
#define ACME_PATH_REVOKE_CERT	"/acme/revoke-cert"
#define ACME_PATH_KEY_CHANGE	"/acme/key-change"
#define ACME_PATH_RENEWAL_INFO	"/acme/renewal-info"
#define ACME_PATH_ACCOUNT	"/acme/acct/"
#define ACME_PATH_ORDER		"/acme/order/"
#define ACME_PATH_AUTHZ		"/acme/authz/"
#define ACME_PATH_CHALLENGE	"/acme/chall/"
#define ACME_PATH_CERT		"/acme/cert/"

/* Room for base (<= 200 chars) + the longest path and id. */
#define ACME_URL_SIZE		512
/* Longest id segment acme_url_parse_path accepts (ARI certIDs). */
#define ACME_URL_ID_MAX		200

enum acme_url_kind {
	ACME_URL_DIRECTORY = 0,
	ACME_URL_NEW_NONCE,
	ACME_URL_NEW_ACCOUNT,
	ACME_URL_NEW_ORDER,
	ACME_URL_REVOKE_CERT,
	ACME_URL_KEY_CHANGE,
	ACME_URL_RENEWAL_INFO,
	ACME_URL_ACCOUNT,
	ACME_URL_ACCOUNT_ORDERS,
	ACME_URL_ORDER,
	ACME_URL_FINALIZE,
	ACME_URL_AUTHZ,
	ACME_URL_CHALLENGE,
	ACME_URL_CERT,
	ACME_URL_CERT_ALT,
	ACME_URL__MAX
};

/*
 * Build the URL of kind k into out[outsz]. id is required (non-empty,
 * characters [A-Za-z0-9_.-] only) for kinds with an <id>, optional for
 * RENEWAL_INFO and ignored otherwise. Returns 0, or -1 on a bad
 * argument or if out is too small (out is then "").
 */
int	 acme_url_build(const char *base, enum acme_url_kind k,
	    const char *id, char *out, size_t outsz);

/*
 * Route a request path (no query string, no origin) to its kind and id.
 * id gets the <id> segment ("" for fixed paths); it must fit in idsz.
 * Anything else, including a trailing '/', an empty or over-long id or
 * an id with other characters than [A-Za-z0-9_.-], is -1 (404).
 * Returns 0 or -1.
 */
int	 acme_url_parse_path(const char *path, enum acme_url_kind *k,
	    char *id, size_t idsz);

/* Convenience wrappers of acme_url_build; same returns. */
int	 acme_url_directory(const char *base, char *out, size_t outsz);
int	 acme_url_new_nonce(const char *base, char *out, size_t outsz);
int	 acme_url_new_account(const char *base, char *out, size_t outsz);
int	 acme_url_new_order(const char *base, char *out, size_t outsz);
int	 acme_url_revoke_cert(const char *base, char *out, size_t outsz);
int	 acme_url_key_change(const char *base, char *out, size_t outsz);
int	 acme_url_account(const char *base, const char *id, char *out,
	    size_t outsz);
int	 acme_url_account_orders(const char *base, const char *id, char *out,
	    size_t outsz);
int	 acme_url_order(const char *base, const char *id, char *out,
	    size_t outsz);
int	 acme_url_finalize(const char *base, const char *id, char *out,
	    size_t outsz);
int	 acme_url_authz(const char *base, const char *id, char *out,
	    size_t outsz);
int	 acme_url_challenge(const char *base, const char *id, char *out,
	    size_t outsz);
int	 acme_url_cert(const char *base, const char *serial, char *out,
	    size_t outsz);
/* Alternate chain k (1..9) of a certificate: ACME_URL_CERT_ALT. */
int	 acme_url_cert_alt(const char *base, const char *serial, unsigned k,
	    char *out, size_t outsz);

#endif /* ACME_URL_H */
