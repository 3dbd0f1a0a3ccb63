/* conformance.c - the client conformance report: a bounded, thread-safe recorder of client deviations */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conformance.h"
#include "knobs.h"
#include "log.h"

/*
 * One table of clients, open addressing over twice the cap, under one
 * mutex. A client is allocated once, when first seen; a request that
 * deviates in nothing costs at most one lookup (a hash of its key and a
 * comparison), never an allocation. Nothing is evicted: a full table
 * counts the newcomers' deviations under "unattributed".
 */

static const struct conf_kind_info kinds[CONF__KINDS] = {
	[CONF_CONTENT_TYPE] = { "content-type", "RFC 8555 §6.2",
	    "POST without Content-Type: application/jose+json", true },
	[CONF_USER_AGENT] = { "user-agent-missing", "RFC 8555 §6.1",
	    "request without a User-Agent header", false },
	[CONF_GET_NOT_POST] = { "get-instead-of-post-as-get", "RFC 8555 §6.3",
	    "GET on a resource that must be read with POST-as-GET", true },
	[CONF_JWK_NOT_KID] = { "jwk-instead-of-kid", "RFC 8555 §6.2",
	    "request signed with an embedded jwk where the account's kid "
	    "is required", true },
	[CONF_NONCE_INVALID] = { "nonce-invalid", "RFC 8555 §6.5",
	    "a nonce used before, or never issued", true },
	[CONF_URL_MISMATCH] = { "url-mismatch", "RFC 8555 §6.4",
	    "JWS \"url\" other than the URL the request was sent to", true },
	[CONF_NEWNONCE_NOT_REUSED] = { "newnonce-not-reused", "RFC 8555 §7.2",
	    "newNonce fetched while holding the Replay-Nonce of the last "
	    "answer on the same connection", false },
	[CONF_POLL_EARLY] = { "poll-before-retry-after",
	    "RFC 8555 §7.4, §7.5.1",
	    "resource polled again before its Retry-After had passed", false },
	[CONF_NEW_ACCOUNT_PER_RUN] = { "new-account-per-run", "RFC 8555 §7.3",
	    "another new account from the same User-Agent and address "
	    "instead of reusing the first", false },
	[CONF_IGNORED_LOCATION] = { "ignored-location", "RFC 8555 §7.4",
	    "finalize URL polled instead of the order URL given in Location",
	    true },
	[CONF_FINALIZE_NOT_READY] = { "finalize-not-ready", "RFC 8555 §7.4",
	    "finalize sent before the order was ready", true },
	[CONF_CSR_NAMES] = { "csr-names-mismatch", "RFC 8555 §7.4",
	    "CSR with names extra to or missing from the order", true },
	[CONF_CERT_BEFORE_VALID] = { "cert-before-valid", "RFC 8555 §7.4.2",
	    "certificate fetched from a URL no valid order had given", true },
	[CONF_CHALLENGE_PAYLOAD] = { "challenge-payload-not-empty",
	    "RFC 8555 §7.5.1",
	    "challenge response other than the empty object {}", false },
	[CONF_RESOURCE_MEMBER] = { "resource-member", "RFC 8555 §7.1",
	    "payload with the \"resource\" member of the ACME drafts", false },
};

struct dev {
	unsigned long	 count;
	time_t		 first, last;
	char		 example[CONF_PATH_MAX];
};

struct client {
	char		 key[CONF_KEY_MAX];
	char		 ua[CONF_UA_MAX];
	char		 addr[48];
	bool		 by_account;
	unsigned long	 ndev;			/* deviations, all kinds */
	/* what the next request is judged by */
	bool		 holds_nonce;		/* a POST answer gave one */
	unsigned	 nonce_port;		/* on this connection */
	int64_t		 retry_until_ms;	/* CLOCK_MONOTONIC */
	uint32_t	 retry_h[2];		/* the resources it was for */
	unsigned	 accounts;		/* created (User-Agent keys) */
	struct dev	 dev[CONF__KINDS];
};

static struct {
	pthread_mutex_t	 mu;
	struct client	**slots;	/* nslots, open addressing */
	size_t		 nslots;
	struct client	**order;	/* first-seen order, max entries */
	size_t		 n, max;
	struct dev	 unattr[CONF__KINDS];
} tab = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* The request on this thread (borrowed pointers, conformance_begin). */
static _Thread_local struct {
	bool		 active;
	const char	*ua, *addr, *path, *acct;
	unsigned	 port;
} cur;

const struct conf_kind_info *
conformance_kind(enum conf_kind k)
{
	if ((int)k < 0 || k >= CONF__KINDS)
		return NULL;
	return &kinds[k];
}

static void
clear_locked(void)
{
	for (size_t i = 0; i < tab.n; i++)
		free(tab.order[i]);
	free(tab.slots);
	free(tab.order);
	tab.slots = NULL;
	tab.order = NULL;
	tab.nslots = tab.n = tab.max = 0;
	memset(tab.unattr, 0, sizeof(tab.unattr));
}

int
conformance_init(size_t max_clients)
{
	int ret = 0;

	if (max_clients == 0)
		max_clients = CONF_MAX_CLIENTS_DEFAULT;
	pthread_mutex_lock(&tab.mu);
	clear_locked();
	tab.nslots = 2 * max_clients;
	tab.slots = calloc(tab.nslots, sizeof(*tab.slots));
	tab.order = calloc(max_clients, sizeof(*tab.order));
	if (tab.slots == NULL || tab.order == NULL) {
		clear_locked();
		ret = -1;
	} else
		tab.max = max_clients;
	pthread_mutex_unlock(&tab.mu);
	return ret;
}

void
conformance_clear(void)
{
	pthread_mutex_lock(&tab.mu);
	clear_locked();
	pthread_mutex_unlock(&tab.mu);
}

void
conformance_begin(const char *ua, const char *addr, unsigned port,
    const char *path)
{
	cur.active = true;
	cur.ua = ua;
	cur.addr = addr;
	cur.port = port;
	cur.path = path;
	cur.acct = NULL;
}

void
conformance_set_account(const char *account_url)
{
	cur.acct = account_url;
}

void
conformance_end(void)
{
	memset(&cur, 0, sizeof(cur));
}

/* FNV-1a, 32 bits. */
static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src != NULL ? src : "");
}

/*
 * The key of a client: its account URL when the request is
 * authenticated (by_account), else "User-Agent|address". Cut to
 * CONF_KEY_MAX, as stored.
 */
static void
key_of(bool by_account, char key[CONF_KEY_MAX])
{
	if (by_account)
		copy(key, CONF_KEY_MAX, cur.acct);
	else
		snprintf(key, CONF_KEY_MAX, "%s|%s", cur.ua != NULL ? cur.ua :
		    "", cur.addr != NULL ? cur.addr : "");
}

/*
 * The client of the current request (under tab.mu). NULL when it is
 * not there and create is false, when the table is full, or when there
 * is no table.
 */
static struct client *
find(bool by_account, bool create)
{
	struct client	*c;
	char		 key[CONF_KEY_MAX];
	size_t		 i;

	if (tab.nslots == 0)
		return NULL;
	key_of(by_account, key);
	i = hash(key) % tab.nslots;
	for (; tab.slots[i] != NULL; i = (i + 1) % tab.nslots)
		if (tab.slots[i]->by_account == by_account &&
		    strcmp(tab.slots[i]->key, key) == 0)
			return tab.slots[i];
	if (!create)
		return NULL;
	if (tab.n == tab.max)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	memcpy(c->key, key, sizeof(c->key));
	copy(c->ua, sizeof(c->ua), cur.ua);
	copy(c->addr, sizeof(c->addr), cur.addr);
	c->by_account = by_account;
	tab.slots[i] = c;
	tab.order[tab.n++] = c;
	return c;
}

static void
count(struct dev *d)
{
	time_t now = time(NULL);

	if (d->count++ == 0) {
		d->first = now;
		copy(d->example, sizeof(d->example), cur.path);
	}
	d->last = now;
}

static void
record_locked(enum conf_kind k)
{
	struct client *c = find(cur.acct != NULL, true);

	if (c == NULL) {
		count(&tab.unattr[k]);
		return;
	}
	count(&c->dev[k]);
	c->ndev++;
}

/* --strict: the problem a tolerated kind is answered with. */
static int
strict_problem(enum conf_kind k, struct acme_problem *prob)
{
	switch (k) {
	case CONF_POLL_EARLY:
		return acme_problem_set(prob, ACME_P_RATELIMITED,
		    "polled before its Retry-After (RFC 8555 §7.5.1; "
		    "--strict)");
	case CONF_NEW_ACCOUNT_PER_RUN:
		return acme_problem_set(prob, ACME_P_RATELIMITED,
		    "this client already made an account: reuse it "
		    "(RFC 8555 §7.3; --strict)");
	case CONF_NEWNONCE_NOT_REUSED:
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "use the Replay-Nonce of the last answer instead of "
		    "newNonce (RFC 8555 §7.2; --strict)");
	case CONF_USER_AGENT:
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "requests must carry a User-Agent (RFC 8555 §6.1; "
		    "--strict)");
	case CONF_CHALLENGE_PAYLOAD:
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "a challenge response is exactly {} (RFC 8555 §7.5.1; "
		    "--strict)");
	case CONF_RESOURCE_MEMBER:
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "the \"resource\" member is not RFC 8555 (--strict)");
	default:
		return acme_problem_set(prob, ACME_P_MALFORMED,
		    "%s (%s; --strict)", kinds[k].what, kinds[k].rfc);
	}
}

static int
verdict(enum conf_kind k, struct acme_problem *prob)
{
	if (kinds[k].refused || !knobs_strict() || prob == NULL)
		return 0;
	return strict_problem(k, prob);
}

int
conformance_note(enum conf_kind k, struct acme_problem *prob)
{
	if (!cur.active || (int)k < 0 || k >= CONF__KINDS)
		return 0;
	pthread_mutex_lock(&tab.mu);
	record_locked(k);
	pthread_mutex_unlock(&tab.mu);
	return verdict(k, prob);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
conformance_post_answered(void)
{
	struct client *c;

	if (!cur.active)
		return;
	pthread_mutex_lock(&tab.mu);
	/* By User-Agent: newNonce requests carry no account. */
	if ((c = find(false, true)) != NULL) {
		c->holds_nonce = true;
		c->nonce_port = cur.port;
	}
	pthread_mutex_unlock(&tab.mu);
}

int
conformance_new_nonce(struct acme_problem *prob)
{
	struct client	*c;
	bool		 dev = false;

	if (!cur.active)
		return 0;
	pthread_mutex_lock(&tab.mu);
	/*
	 * A client that was just given a nonce on this very connection and
	 * asks for another; a new connection (a new run) may well start
	 * with newNonce.
	 */
	if ((c = find(false, false)) != NULL && c->holds_nonce &&
	    c->nonce_port == cur.port) {
		dev = true;
		c->holds_nonce = false;
		record_locked(CONF_NEWNONCE_NOT_REUSED);
	}
	pthread_mutex_unlock(&tab.mu);
	return dev ? verdict(CONF_NEWNONCE_NOT_REUSED, prob) : 0;
}

void
conformance_retry_after(const char *path, const char *path2, unsigned secs)
{
	struct client *c;

	if (!cur.active || cur.acct == NULL)
		return;
	pthread_mutex_lock(&tab.mu);
	if ((c = find(true, true)) != NULL) {
		c->retry_until_ms = now_ms() + (int64_t)secs * 1000;
		c->retry_h[0] = hash(path);
		c->retry_h[1] = path2 != NULL ? hash(path2) : c->retry_h[0];
	}
	pthread_mutex_unlock(&tab.mu);
}

int
conformance_poll(const char *path, struct acme_problem *prob)
{
	struct client	*c;
	uint32_t	 h;
	bool		 dev = false;

	if (!cur.active || cur.acct == NULL)
		return 0;
	h = hash(path);
	pthread_mutex_lock(&tab.mu);
	if ((c = find(true, false)) != NULL && c->retry_until_ms != 0 &&
	    (h == c->retry_h[0] || h == c->retry_h[1])) {
		if (now_ms() < c->retry_until_ms) {
			dev = true;
			record_locked(CONF_POLL_EARLY);
		}
		c->retry_until_ms = 0;	/* judged once per Retry-After */
	}
	pthread_mutex_unlock(&tab.mu);
	return dev ? verdict(CONF_POLL_EARLY, prob) : 0;
}

int
conformance_account_created(struct acme_problem *prob)
{
	struct client	*c;
	const char	*acct = cur.acct;
	bool		 dev = false;

	if (!cur.active)
		return 0;
	pthread_mutex_lock(&tab.mu);
	cur.acct = NULL;	/* the count is per User-Agent and address */
	if ((c = find(false, true)) != NULL && c->accounts++ > 0)
		dev = true;
	cur.acct = acct;
	if (dev)
		record_locked(CONF_NEW_ACCOUNT_PER_RUN);
	pthread_mutex_unlock(&tab.mu);
	return dev ? verdict(CONF_NEW_ACCOUNT_PER_RUN, prob) : 0;
}

bool
conformance_has_account(void)
{
	const char	*acct = cur.acct;
	struct client	*c;
	bool		 has;

	if (!cur.active)
		return false;
	pthread_mutex_lock(&tab.mu);
	cur.acct = NULL;
	has = (c = find(false, false)) != NULL && c->accounts > 0;
	cur.acct = acct;
	pthread_mutex_unlock(&tab.mu);
	return has;
}

/* ---------- the report ---------- */

static json_t *
devs_json(const struct dev *d)
{
	json_t	*a = json_array();
	char	 t1[LOG_TIME_RFC3339_SIZE], t2[LOG_TIME_RFC3339_SIZE];

	if (a == NULL)
		return NULL;
	for (int k = 0; k < CONF__KINDS; k++) {
		if (d[k].count == 0)
			continue;
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:I, s:s, s:s, s:s}", "kind", kinds[k].id, "rfc",
		    kinds[k].rfc, "description", kinds[k].what, "refused",
		    kinds[k].refused, "count", (json_int_t)d[k].count,
		    "first_seen", log_time_rfc3339(d[k].first, t1),
		    "last_seen", log_time_rfc3339(d[k].last, t2), "example",
		    d[k].example)) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *
conformance_json(void)
{
	json_t	*root, *clients, *c;

	if ((clients = json_array()) == NULL)
		return NULL;
	pthread_mutex_lock(&tab.mu);
	for (size_t i = 0; i < tab.n; i++) {
		const struct client *cl = tab.order[i];

		if (cl->ndev == 0)
			continue;
		c = json_pack("{s:s, s:s, s:s, s:s, s:o*}", "client", cl->key,
		    "by", cl->by_account ? "account" : "user-agent",
		    "user_agent", cl->ua, "address", cl->addr, "deviations",
		    devs_json(cl->dev));
		if (c == NULL || json_array_append_new(clients, c) == -1) {
			pthread_mutex_unlock(&tab.mu);
			json_decref(clients);
			return NULL;
		}
	}
	root = json_pack("{s:o, s:o*, s:b, s:I, s:I, s:b}", "clients", clients,
	    "unattributed", devs_json(tab.unattr), "full", tab.n == tab.max,
	    "clients_seen", (json_int_t)tab.n, "max_clients",
	    (json_int_t)tab.max, "strict", knobs_strict());
	pthread_mutex_unlock(&tab.mu);
	return root;
}

static void
summary_line(const char *who, const char *ua, const struct dev *d)
{
	char	 buf[1024];
	size_t	 off = 0;
	int	 n;

	for (int k = 0; k < CONF__KINDS && off < sizeof(buf); k++) {
		if (d[k].count == 0)
			continue;
		n = snprintf(buf + off, sizeof(buf) - off, "%s%s x%lu%s",
		    off > 0 ? ", " : "", kinds[k].id, d[k].count,
		    kinds[k].refused ? " (refused)" : "");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off > 0)
		log_info("conformance: %s (User-Agent \"%s\"): %s", who, ua,
		    buf);
}

void
conformance_log_summary(void)
{
	pthread_mutex_lock(&tab.mu);
	for (size_t i = 0; i < tab.n; i++)
		summary_line(tab.order[i]->key, tab.order[i]->ua,
		    tab.order[i]->dev);
	summary_line("unattributed (the report was full)", "", tab.unattr);
	pthread_mutex_unlock(&tab.mu);
}
