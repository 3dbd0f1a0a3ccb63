/* conformance.h - the client conformance report: protocol deviations per client, with their RFC 8555 section */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_CONFORMANCE_H
#define LOCALACME_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "acme/problem.h"

/*
 * What a client did that RFC 8555 asks it not to, one kind per rule.
 * Each kind has a stable id (the JSON's "kind"), the RFC section, a
 * one-line description, and whether the server refuses it anyway
 * ("refused": the request fails whatever --strict says) or tolerates it
 * (--strict turns it into the problem conformance_note fills).
 */
enum conf_kind {
	CONF_CONTENT_TYPE = 0,	/* §6.2: POST not application/jose+json (415) */
	CONF_USER_AGENT,	/* §6.1: no User-Agent */
	CONF_GET_NOT_POST,	/* §6.3: GET where POST-as-GET is required (405) */
	CONF_JWK_NOT_KID,	/* §6.2: jwk where the account's kid is required */
	CONF_NONCE_INVALID,	/* §6.5: a nonce used twice or never issued */
	CONF_URL_MISMATCH,	/* §6.4: JWS "url" is not the request's URL */
	CONF_NEWNONCE_NOT_REUSED, /* §7.2: newNonce while holding a Replay-Nonce */
	CONF_POLL_EARLY,	/* §7.4, §7.5.1: poll before Retry-After */
	CONF_NEW_ACCOUNT_PER_RUN, /* §7.3: a new account again and again */
	CONF_IGNORED_LOCATION,	/* §7.4: polling finalize, not the order's Location */
	CONF_FINALIZE_NOT_READY, /* §7.4: finalize before the order is ready */
	CONF_CSR_NAMES,		/* §7.4: CSR names differ from the order's */
	CONF_CERT_BEFORE_VALID,	/* §7.4.2: a certificate URL never given */
	CONF_CHALLENGE_PAYLOAD,	/* §7.5.1: challenge response not {} */
	CONF_RESOURCE_MEMBER,	/* §6.3/§7.1: "resource" of the ACME drafts */
	CONF__KINDS
};

/* Every client the report keeps apart (accounts and User-Agents). */
#define CONF_MAX_CLIENTS_DEFAULT	1024
/* Stored lengths: longer keys, User-Agents and paths are cut. */
#define CONF_KEY_MAX	160
#define CONF_UA_MAX	96
#define CONF_PATH_MAX	96

struct conf_kind_info {
	const char	*id;		/* "poll-before-retry-after" */
	const char	*rfc;		/* "RFC 8555 §7.5.1" */
	const char	*what;		/* one line */
	bool		 refused;	/* refused whatever --strict says */
};

/* The kind's id, section and description (static). NULL for a bad kind. */
const struct conf_kind_info *conformance_kind(enum conf_kind k);

/*
 * Empty the report and set its cap: at most max_clients clients are
 * told apart (0 = CONF_MAX_CLIENTS_DEFAULT); each is allocated once, at
 * its first sight, never per request, and kept until conformance_clear
 * (a client takes a slot when it deviates, when it POSTs, by User-Agent
 * and address, and when its account is told Retry-After). When the
 * table is full a new client is not added: its deviations are still
 * counted per kind under "unattributed" (and "full" is true). Call
 * before threads start (and in tests). Returns 0 or -1 (out of memory;
 * deviations are then all unattributed).
 */
int	 conformance_init(size_t max_clients);
/* Free everything (at exit). */
void	 conformance_clear(void);

/*
 * The request being handled on this thread, borrowed until
 * conformance_end: the WFE sets it at the start of a request so that a
 * deviation found deeper (in the RA) lands on the right client. addr
 * and ua may be NULL. port is the peer's TCP port (one connection).
 */
void	 conformance_begin(const char *ua, const char *addr, unsigned port,
	    const char *path);
/* The request is authenticated: it belongs to this account URL. */
void	 conformance_set_account(const char *account_url);
void	 conformance_end(void);

/*
 * Record one deviation of the current thread's client (nothing without
 * conformance_begin). Returns 0 when the request may go on; -1 with
 * prob filled when --strict is on and the kind is a tolerated one, so
 * the caller answers prob instead (a refused kind always returns 0: its
 * caller refuses it already).
 */
int	 conformance_note(enum conf_kind k, struct acme_problem *prob);

/*
 * What the WFE tells the recorder so that it can judge the next
 * request (no deviation by themselves):
 * - a POST was answered with a Replay-Nonce on this connection;
 * - a newNonce request: the deviation when the client holds one
 *   (conformance_note(CONF_NEWNONCE_NOT_REUSED) is done inside; same
 *   return as conformance_note);
 * - an answer said Retry-After: secs for the resource at path
 *   (and also for path2, e.g. a challenge's authorization, or NULL);
 * - a poll of path (POST-as-GET): the deviation when it comes before
 *   the Retry-After of that resource has passed (same return).
 * - an account was created by this client (same return: the deviation
 *   from the second one on, per User-Agent and address).
 */
void	 conformance_post_answered(void);
int	 conformance_new_nonce(struct acme_problem *prob);
void	 conformance_retry_after(const char *path, const char *path2,
	    unsigned secs);
int	 conformance_poll(const char *path, struct acme_problem *prob);
int	 conformance_account_created(struct acme_problem *prob);
/* Has this client (User-Agent and address) created an account before? */
bool	 conformance_has_account(void);

/*
 * The report as JSON (new reference, caller decrefs; NULL on out of
 * memory): {"clients": [{"client", "by", "user_agent", "address",
 * "deviations": [{"kind", "rfc", "description", "refused", "count",
 * "first_seen", "last_seen", "example"}]}], "unattributed": [...],
 * "full", "clients_seen", "max_clients", "strict"}. Clients without a
 * deviation are left out; clients in first-seen order, kinds in enum
 * order.
 */
json_t	*conformance_json(void);

/* One log line per client with deviations ("conformance: ..."). */
void	 conformance_log_summary(void);

#endif /* LOCALACME_CONFORMANCE_H */
