/* bench.c - `localacme bench`: complete RFC 8555 issuances against any ACME server, measured */
/* SPDX-License-Identifier: MIT */
#include <sys/resource.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "acme_client.h"
#include "bench.h"
#include "bench_internal.h"
#include "log.h"

#define URL_MAX		1024
#define NONCE_MAX	256
#define MAX_NAMES	100	/* RFC 8555 leaves it open; Boulder's maxNames */
#define MAX_ERRTYPES	32
#define BADNONCE_RETRIES 10
#define POLL_MAX	2000	/* polls of one object before giving up */
#define DRAIN_S		5	/* after Ctrl-C: in-flight issuances may finish */
#define ACME_ERR_PREFIX	"urn:ietf:params:acme:error:"

/* What the latency tables are keyed by: one row per request kind. */
enum ep {
	EP_DIRECTORY,
	EP_NONCE,
	EP_ACCOUNT,
	EP_ORDER,
	EP_AUTHZ,
	EP_CHALLENGE,
	EP_POLL_AUTHZ,
	EP_FINALIZE,
	EP_POLL_ORDER,
	EP_CERT,
	EP__MAX
};

static const char *const ep_names[EP__MAX] = {
	"directory", "newNonce", "newAccount", "newOrder", "authz",
	"challenge", "authz-poll", "finalize", "order-poll", "certificate"
};

struct bench_opts {
	const char	*directory;
	const char	*cacert;
	const char	*json_path;
	const char	*domain;
	unsigned long	 orders;
	unsigned	 concurrency;
	unsigned	 names;
	enum acme_client_keytype keytype;
	unsigned	 http01_port;
	long		 server_pid;	/* 0: none */
	unsigned	 timeout_s;	/* per request */
	unsigned	 stall_s;	/* no progress at all for this long */
	unsigned	 deadline_s;	/* one whole issuance */
	unsigned long	 max_errors;	/* failed issuances before stopping */
	bool		 quiet;
};

/* Latency samples in microseconds. */
struct samples {
	uint32_t	*v;
	size_t		 n, cap;
};

struct buf {
	char	*p;
	size_t	 len, cap;
};

struct bench;

struct worker {
	struct bench		*b;
	size_t			 idx;
	pthread_t		 thread;
	CURL			*curl;
	struct curl_slist	*jose_hdrs;
	struct acme_client_key	 key;
	EVP_PKEY_CTX		*kgen;		/* CSR keys */
	char			 kid[URL_MAX];
	char			 nonce[NONCE_MAX];
	/* the last response */
	long			 status;
	struct buf		 body;
	char			 location[URL_MAX];
	char			 ctype[128];
	bool			 got_nonce;
	char			 errtype[128];	/* of the failure being reported */
	struct samples		 ep[EP__MAX];
	struct samples		 iss;		/* whole issuances */
	struct samples		 done_at;	/* completion, us since start */
	unsigned long		 badnonce_retries;
	bool			 ready;		/* account created */
	uint64_t		 deadline_us;	/* of the issuance running; 0: none */
};

struct errcount {
	char		 type[128];
	unsigned long	 n;
};

struct tick {
	double		 t;
	unsigned long	 issued;
	long		 rss_kib;
};

struct bench {
	struct bench_opts	 o;
	char			 new_nonce[URL_MAX];
	char			 new_account[URL_MAX];
	char			 new_order[URL_MAX];
	char			 run_id[9];
	struct worker		*w;
	struct bench_http01	*http01;
	pthread_mutex_t		 golock;	/* workers wait for "go" */
	pthread_cond_t		 gocond;
	size_t			 nsetup;	/* workers past set-up */
	bool			 go;
	atomic_size_t		 finished;	/* workers returned */
	struct timespec		 t0;
	atomic_ulong		 next_order;
	atomic_ulong		 ok;
	atomic_ulong		 failed;
	atomic_ulong		 requests;
	atomic_bool		 stop;
	atomic_bool		 draining;	/* Ctrl-C: start no new issuance */
	bool			 stalled;
	bool			 interrupted;	/* the report is partial */
	bool			 progress;	/* a \r-updated line on stderr */
	pthread_mutex_t		 errlock;
	struct errcount		 errs[MAX_ERRTYPES];
	size_t			 nerrs;
	unsigned long		 errs_other;
	struct tick		*ticks;
	size_t			 nticks, capticks;
};

/* Ctrl-C presses (SIGINT), counted by the handler, read by watch(). */
static volatile sig_atomic_t sigints;

static void
on_sigint(int sig)
{
	(void)sig;
	if (sigints < 100)
		sigints++;
}

/* ---------- small helpers ---------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
sleep_us(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
samples_add(struct samples *s, uint64_t us)
{
	if (s->n == s->cap) {
		size_t		 ncap = s->cap ? s->cap * 2 : 256;
		uint32_t	*nv = realloc(s->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
sort_samples(struct samples *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(s->v[0]), cmp_u32);
}

/* Nearest-rank percentile of sorted s, in milliseconds. */
static double
pct_ms(const struct samples *s, double q)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = (size_t)(q * (double)s->n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > s->n)
		i = s->n;
	return s->v[i - 1] / 1000.0;
}

static void
merge(struct samples *dst, const struct samples *src)
{
	for (size_t i = 0; i < src->n; i++)
		(void)samples_add(dst, src->v[i]);
}

static void
record_error(struct bench *b, const char *type)
{
	pthread_mutex_lock(&b->errlock);
	for (size_t i = 0; i < b->nerrs; i++)
		if (strcmp(b->errs[i].type, type) == 0) {
			b->errs[i].n++;
			goto out;
		}
	if (b->nerrs < MAX_ERRTYPES) {
		snprintf(b->errs[b->nerrs].type, sizeof(b->errs[0].type), "%s",
		    type);
		b->errs[b->nerrs++].n = 1;
	} else
		b->errs_other++;
out:
	pthread_mutex_unlock(&b->errlock);
}

/* ---------- /proc of the server ---------- */

/* User + system CPU seconds of pid, or -1. */
static double
proc_cpu_s(long pid)
{
	char		 path[64], line[2048], *p;
	unsigned long	 ut, st;
	FILE		*fp;
	int		 ok;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(line, sizeof(line), fp) != NULL;
	fclose(fp);
	/* proc(5): fields after the ")" of comm; utime and stime are 14, 15. */
	if (!ok || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A "Key:   N kB" line of /proc/pid/status, in KiB, or -1. */
static long
proc_status_kib(long pid, const char *key)
{
	char	 path[64], line[256];
	size_t	 klen = strlen(key);
	long	 v = -1;
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

/* ---------- HTTP ---------- */

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 n = size * nmemb;

	if (b->len + n + 1 > b->cap) {
		size_t	 ncap = b->cap ? b->cap : 4096;
		char	*np;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return 0;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* Copy a header's value (trimmed) into out if the line is "name: value". */
static bool
header_value(const char *line, size_t len, const char *name, char *out,
    size_t outsz)
{
	size_t nlen = strlen(name);

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return false;
	line += nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	if (len >= outsz)
		len = outsz - 1;
	memcpy(out, line, len);
	out[len] = '\0';
	return true;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct worker	*w = arg;
	size_t		 n = size * nmemb;

	/* A new status line (e.g. after 100 Continue) starts over. */
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		w->location[0] = '\0';
		w->ctype[0] = '\0';
		w->got_nonce = false;
	} else if (header_value(data, n, "Replay-Nonce", w->nonce,
	    sizeof(w->nonce)))
		w->got_nonce = true;
	else if (!header_value(data, n, "Location", w->location,
	    sizeof(w->location)))
		(void)header_value(data, n, "Content-Type", w->ctype,
		    sizeof(w->ctype));
	return n;
}

static bool
past_deadline(const struct worker *w)
{
	return w->deadline_us != 0 && now_us() > w->deadline_us;
}

/* w->errtype for an issuance past --deadline, waiting on `what`. */
static void
deadline_error(struct worker *w, const char *what)
{
	snprintf(w->errtype, sizeof(w->errtype), "deadline: %s after %u s "
	    "(--deadline)", what, w->b->o.deadline_s);
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct worker *w = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	/* abort: a stalled server, Ctrl-C, or the issuance's deadline */
	return atomic_load(&w->b->stop) || past_deadline(w) ? 1 : 0;
}

static CURL *
http_handle(struct bench *b, struct worker *w)
{
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	if (b->o.cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, b->o.cacert);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)b->o.timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)b->o.timeout_s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "localacme-bench/"
	    LOCALACME_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &w->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
	return c;
}

/*
 * One exchange on the worker's connection: method "GET", "HEAD" or
 * "POST" (body given). Fills w->status, w->body, headers; records the
 * latency under ep. Returns 0 when a response arrived, or -1 (transport
 * failure, recorded as "transport: ..." in w->errtype).
 */
static int
http_do(struct worker *w, enum ep ep, const char *method, const char *url,
    const char *body, size_t len)
{
	struct bench	*b = w->b;
	CURLcode	 cc;
	uint64_t	 t;

	w->body.len = 0;
	if (w->body.p != NULL)
		w->body.p[0] = '\0';
	w->location[0] = '\0';
	w->ctype[0] = '\0';
	w->got_nonce = false;
	w->status = 0;
	curl_easy_setopt(w->curl, CURLOPT_URL, url);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(w->curl, CURLOPT_NOBODY, 0L);
		curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE, (long)len);
		curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, w->jose_hdrs);
	} else {
		curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(w->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(w->curl, CURLOPT_NOBODY,
		    strcmp(method, "HEAD") == 0 ? 1L : 0L);
	}
	t = now_us();
	cc = curl_easy_perform(w->curl);
	if (cc != CURLE_OK) {
		if (atomic_load(&b->stop))
			snprintf(w->errtype, sizeof(w->errtype), "transport: "
			    "aborted (%s)", b->interrupted ? "interrupted" :
			    "server stalled");
		else if (past_deadline(w)) {
			char what[64];

			snprintf(what, sizeof(what), "no answer to %s",
			    ep_names[ep]);
			deadline_error(w, what);
		} else if (cc == CURLE_PEER_FAILED_VERIFICATION)
			/* libcurl's own words say nothing of what to do */
			snprintf(w->errtype, sizeof(w->errtype), "%s",
			    b->o.cacert == NULL ? "transport: TLS certificate "
			    "not trusted; pass --cacert FILE (for localacme: "
			    "root.pem in its state directory)" : "transport: "
			    "TLS certificate not trusted; is --cacert the CA "
			    "that issued it?");
		else
			snprintf(w->errtype, sizeof(w->errtype), "transport: "
			    "%s", curl_easy_strerror(cc));
		w->nonce[0] = '\0';
		return -1;
	}
	(void)samples_add(&w->ep[ep], now_us() - t);
	atomic_fetch_add(&b->requests, 1);
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->status);
	if (!w->got_nonce)
		w->nonce[0] = '\0';	/* the one we had is spent */
	return 0;
}

/* The problem type of the last response ("badNonce", ...), or "http NNN". */
static void
problem_type(struct worker *w)
{
	json_t		*j = NULL;
	const char	*t = NULL;

	if (strncmp(w->ctype, "application/problem+json", 24) == 0 &&
	    (j = json_loadb(w->body.p != NULL ? w->body.p : "", w->body.len,
	    0, NULL)) != NULL)
		t = json_string_value(json_object_get(j, "type"));
	if (t != NULL && strncmp(t, ACME_ERR_PREFIX,
	    strlen(ACME_ERR_PREFIX)) == 0)
		t += strlen(ACME_ERR_PREFIX);
	if (t != NULL)
		snprintf(w->errtype, sizeof(w->errtype), "%s", t);
	else
		snprintf(w->errtype, sizeof(w->errtype), "http %ld",
		    w->status);
	json_decref(j);
}

/*
 * A signed POST (RFC 8555 §6.2): with the kid, or the JWK when kid is
 * NULL (newAccount). Uses the last Replay-Nonce (§7.2: a HEAD newNonce
 * when there is none) and retries badNonce with the fresh nonce of the
 * error response (§6.5). Returns 0 for a 2xx response, or -1 with
 * w->errtype set.
 */
static int
acme_post(struct worker *w, enum ep ep, const char *url, const char *kid,
    const char *payload)
{
	struct bench	*b = w->b;
	char		*jws;
	size_t		 len;
	int		 rc;

	for (int attempt = 0; attempt <= BADNONCE_RETRIES; attempt++) {
		if (w->nonce[0] == '\0') {
			if (http_do(w, EP_NONCE, "HEAD", b->new_nonce, NULL,
			    0) == -1)
				return -1;
			if (w->nonce[0] == '\0') {
				snprintf(w->errtype, sizeof(w->errtype),
				    "client: newNonce gave no Replay-Nonce");
				return -1;
			}
		}
		if ((jws = acme_client_jws(&w->key, kid, w->nonce, url,
		    payload, &len)) == NULL) {
			snprintf(w->errtype, sizeof(w->errtype),
			    "client: cannot sign the request");
			return -1;
		}
		rc = http_do(w, ep, "POST", url, jws, len);
		free(jws);
		if (rc == -1)
			return -1;
		if (w->status >= 200 && w->status < 300)
			return 0;
		problem_type(w);
		if (strcmp(w->errtype, "badNonce") != 0)
			return -1;
		w->badnonce_retries++;
	}
	return -1;
}

/* The last response body as a JSON object, or NULL with w->errtype set. */
static json_t *
body_json(struct worker *w)
{
	json_t *j;

	j = json_loadb(w->body.p != NULL ? w->body.p : "", w->body.len, 0,
	    NULL);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: response is not a JSON object");
		return NULL;
	}
	return j;
}

/* Copy a string member; false (and errtype) when absent or too long. */
static bool
get_str(struct worker *w, json_t *j, const char *name, char *out,
    size_t outsz)
{
	const char *s = json_string_value(json_object_get(j, name));

	if (s == NULL || strlen(s) >= outsz) {
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: no usable \"%s\" in a response", name);
		return false;
	}
	memcpy(out, s, strlen(s) + 1);
	return true;
}

/* Poll delay: 1 ms doubling to 64 ms (Retry-After is not honoured: see README). */
static unsigned long
backoff_us(int attempt)
{
	return attempt >= 6 ? 64000ul : 1000ul << attempt;
}

/* ---------- one issuance ---------- */

/* The status of the object at url after polling; "" on failure. */
static int
poll_status(struct worker *w, enum ep ep, const char *url,
    const char *const *final, char *status, size_t statussz, json_t **out)
{
	json_t *j;

	status[0] = '\0';
	for (int i = 0; i < POLL_MAX; i++) {
		if (atomic_load(&w->b->stop)) {
			snprintf(w->errtype, sizeof(w->errtype),
			    "client: stopped");
			return -1;
		}
		sleep_us(backoff_us(i));
		if (past_deadline(w)) {
			char what[64];

			/* e.g. a challenge left pending after a failure */
			snprintf(what, sizeof(what), "%s: still %s", ep_names[ep],
			    status[0] != '\0' ? status : "unanswered");
			deadline_error(w, what);
			return -1;
		}
		if (acme_post(w, ep, url, w->kid, NULL) == -1) {
			/*
			 * The deadline can fall while a poll is in flight:
			 * report the status last seen, not which side of a
			 * request the clock happened to pass.
			 */
			if (past_deadline(w) && status[0] != '\0') {
				char what[64];

				snprintf(what, sizeof(what), "%s: still %s",
				    ep_names[ep], status);
				deadline_error(w, what);
			}
			return -1;
		}
		if ((j = body_json(w)) == NULL)
			return -1;
		if (!get_str(w, j, "status", status, statussz)) {
			json_decref(j);
			return -1;
		}
		for (size_t k = 0; final[k] != NULL; k++)
			if (strcmp(status, final[k]) == 0) {
				*out = j;
				return 0;
			}
		json_decref(j);
	}
	snprintf(w->errtype, sizeof(w->errtype), "client: polled %s %d times",
	    ep_names[ep], POLL_MAX);
	return -1;
}

/* One authorization to valid (RFC 8555 §7.5, §7.5.1). */
static int
do_authz(struct worker *w, const char *authz_url, size_t slot)
{
	static const char *const final[] = { "valid", "invalid",
	    "deactivated", "expired", "revoked", NULL };
	struct bench	*b = w->b;
	json_t		*j = NULL, *ch, *c;
	char		 status[32], curl_[URL_MAX], token[128], ka[256];
	const char	*want = "http-01";
	size_t		 i;
	int		 rc = -1;

	if (acme_post(w, EP_AUTHZ, authz_url, w->kid, NULL) == -1 ||
	    (j = body_json(w)) == NULL ||
	    !get_str(w, j, "status", status, sizeof(status)))
		goto out;
	if (strcmp(status, "valid") == 0) {
		rc = 0;
		goto out;
	}
	if (strcmp(status, "pending") != 0) {
		snprintf(w->errtype, sizeof(w->errtype), "authz %s", status);
		goto out;
	}
	ch = json_object_get(j, "challenges");
	c = NULL;
	json_array_foreach(ch, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));

		if (t != NULL && strcmp(t, want) == 0)
			break;
		c = NULL;
	}
	if (c == NULL && b->http01 == NULL)
		c = json_array_get(ch, 0);	/* the server validates nothing */
	if (c == NULL) {
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: no http-01 challenge offered");
		goto out;
	}
	if (!get_str(w, c, "url", curl_, sizeof(curl_)) ||
	    !get_str(w, c, "token", token, sizeof(token)))
		goto out;
	if (b->http01 != NULL &&
	    (acme_client_keyauth(&w->key, token, ka, sizeof(ka)) == -1 ||
	    bench_http01_set(b->http01, slot, token, ka) == -1)) {
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: cannot publish the http-01 token");
		goto out;
	}
	/* §7.5.1: an empty object says "ready to be validated" */
	if (acme_post(w, EP_CHALLENGE, curl_, w->kid, "{}") == -1)
		goto out;
	json_decref(j);
	if ((j = body_json(w)) == NULL ||
	    !get_str(w, j, "status", status, sizeof(status)))
		goto out;
	if (strcmp(status, "valid") != 0) {
		if (strcmp(status, "invalid") == 0) {
			snprintf(w->errtype, sizeof(w->errtype),
			    "challenge invalid");
			goto out;
		}
		json_decref(j);
		j = NULL;
		if (poll_status(w, EP_POLL_AUTHZ, authz_url, final, status,
		    sizeof(status), &j) == -1)
			goto out;
		if (strcmp(status, "valid") != 0) {
			snprintf(w->errtype, sizeof(w->errtype), "authz %s",
			    status);
			goto out;
		}
	}
	rc = 0;
out:
	if (b->http01 != NULL)
		(void)bench_http01_set(b->http01, slot, NULL, NULL);
	json_decref(j);
	return rc;
}

static int
issue_one(struct worker *w, unsigned long n)
{
	static const char *const final[] = { "valid", "invalid", NULL };
	struct bench	*b = w->b;
	char		 names[MAX_NAMES][128], payload[MAX_NAMES * 160 + 64];
	const char	*np[MAX_NAMES];
	char		 order_url[URL_MAX], fin_url[URL_MAX], cert_url[URL_MAX];
	char		 status[32], *csr = NULL, *fp = NULL;
	json_t		*j = NULL, *authzs;
	EVP_PKEY	*ckey = NULL;
	size_t		 off, i, nauthz;
	int		 rc = -1;

	off = (size_t)snprintf(payload, sizeof(payload), "{\"identifiers\":[");
	for (i = 0; i < b->o.names; i++) {
		snprintf(names[i], sizeof(names[i]), "o%lu-%zu.%s.%s", n, i,
		    b->run_id, b->o.domain);
		np[i] = names[i];
		off += (size_t)snprintf(payload + off, sizeof(payload) - off,
		    "%s{\"type\":\"dns\",\"value\":\"%s\"}", i ? "," : "",
		    names[i]);
	}
	snprintf(payload + off, sizeof(payload) - off, "]}");

	/* §7.4 newOrder */
	if (acme_post(w, EP_ORDER, b->new_order, w->kid, payload) == -1)
		goto out;
	if (w->location[0] == '\0') {
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: newOrder without Location");
		goto out;
	}
	snprintf(order_url, sizeof(order_url), "%s", w->location);
	if ((j = body_json(w)) == NULL ||
	    !get_str(w, j, "finalize", fin_url, sizeof(fin_url)))
		goto out;
	authzs = json_object_get(j, "authorizations");
	nauthz = json_array_size(authzs);
	if (nauthz == 0 || nauthz > b->o.names) {
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: order with %zu authorizations", nauthz);
		goto out;
	}
	/* §7.5 each authorization */
	for (i = 0; i < nauthz; i++) {
		const char *u = json_string_value(json_array_get(authzs, i));

		if (u == NULL) {
			snprintf(w->errtype, sizeof(w->errtype),
			    "client: authorization URL is not a string");
			goto out;
		}
		if (do_authz(w, u, w->idx * b->o.names + i) == -1)
			goto out;
	}
	json_decref(j);
	j = NULL;

	/* §7.4 finalize with a fresh key and CSR */
	if ((ckey = acme_client_ec256_gen(w->kgen)) == NULL ||
	    (csr = acme_client_csr(ckey, np, b->o.names)) == NULL) {
		snprintf(w->errtype, sizeof(w->errtype), "client: CSR");
		goto out;
	}
	if ((fp = malloc(strlen(csr) + 16)) == NULL)
		goto out;
	sprintf(fp, "{\"csr\":\"%s\"}", csr);
	if (acme_post(w, EP_FINALIZE, fin_url, w->kid, fp) == -1)
		goto out;
	if ((j = body_json(w)) == NULL ||
	    !get_str(w, j, "status", status, sizeof(status)))
		goto out;
	if (strcmp(status, "valid") != 0) {
		json_decref(j);
		j = NULL;
		if (poll_status(w, EP_POLL_ORDER, order_url, final, status,
		    sizeof(status), &j) == -1)
			goto out;
		if (strcmp(status, "valid") != 0) {
			snprintf(w->errtype, sizeof(w->errtype), "order %s",
			    status);
			goto out;
		}
	}
	if (!get_str(w, j, "certificate", cert_url, sizeof(cert_url)))
		goto out;

	/* §7.4.2 download */
	if (acme_post(w, EP_CERT, cert_url, w->kid, NULL) == -1)
		goto out;
	if (w->body.p == NULL ||
	    !acme_client_cert_has_key(w->body.p, w->body.len, ckey)) {
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: certificate does not match the CSR key");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	EVP_PKEY_free(ckey);
	free(csr);
	free(fp);
	return rc;
}

/* ---------- workers ---------- */

static int
worker_setup(struct worker *w)
{
	struct bench *b = w->b;

	if ((w->curl = http_handle(b, w)) == NULL ||
	    (w->jose_hdrs = curl_slist_append(NULL,
	    "Content-Type: application/jose+json")) == NULL) {
		snprintf(w->errtype, sizeof(w->errtype), "client: curl");
		return -1;
	}
	/* No "Expect: 100-continue" round trip for larger bodies. */
	{
		struct curl_slist *l = curl_slist_append(w->jose_hdrs,
		    "Expect:");

		if (l == NULL)
			return -1;
		w->jose_hdrs = l;
	}
	if (acme_client_key_init(&w->key, b->o.keytype) == -1 ||
	    (w->kgen = acme_client_ec256_ctx()) == NULL) {
		snprintf(w->errtype, sizeof(w->errtype), "client: account key");
		return -1;
	}
	/* §7.3 newAccount */
	if (acme_post(w, EP_ACCOUNT, b->new_account, NULL,
	    "{\"termsOfServiceAgreed\":true}") == -1)
		return -1;
	if (w->location[0] == '\0') {
		snprintf(w->errtype, sizeof(w->errtype),
		    "client: newAccount without Location");
		return -1;
	}
	snprintf(w->kid, sizeof(w->kid), "%s", w->location);
	return 0;
}

static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	struct bench	*b = w->b;
	unsigned long	 n;
	uint64_t	 t, t0;
	int		 rc;

	if (worker_setup(w) == 0)
		w->ready = true;
	else
		record_error(b, w->errtype);
	pthread_mutex_lock(&b->golock);
	b->nsetup++;
	pthread_cond_broadcast(&b->gocond);
	while (!b->go)
		pthread_cond_wait(&b->gocond, &b->golock);
	pthread_mutex_unlock(&b->golock);
	if (!w->ready)
		goto out;
	t0 = (uint64_t)b->t0.tv_sec * 1000000u +
	    (uint64_t)b->t0.tv_nsec / 1000u;
	while (!atomic_load(&b->stop) && !atomic_load(&b->draining)) {
		n = atomic_fetch_add(&b->next_order, 1);
		if (n >= b->o.orders)
			break;
		t = now_us();
		w->deadline_us = t + (uint64_t)b->o.deadline_s * 1000000u;
		rc = issue_one(w, n);
		w->deadline_us = 0;
		if (rc == 0) {
			uint64_t end = now_us();

			(void)samples_add(&w->iss, end - t);
			(void)samples_add(&w->done_at, end - t0);
			atomic_fetch_add(&b->ok, 1);
			continue;
		}
		if (atomic_load(&b->stop))
			break;	/* aborted: stall watchdog or Ctrl-C */
		record_error(b, w->errtype);
		if (atomic_fetch_add(&b->failed, 1) + 1 >= b->o.max_errors)
			atomic_store(&b->stop, true);
	}
out:
	atomic_fetch_add(&b->finished, 1);
	return NULL;
}

/* ---------- the directory ---------- */

static int
fetch_directory(struct bench *b, struct worker *w)
{
	json_t	*j;
	int	 rc = -1;

	if ((w->curl = http_handle(b, w)) == NULL)
		return -1;
	if (http_do(w, EP_DIRECTORY, "GET", b->o.directory, NULL, 0) == -1) {
		log_cli_error("bench: %s: %s", b->o.directory, w->errtype);
		return -1;
	}
	if (w->status != 200 || (j = body_json(w)) == NULL) {
		log_cli_error("bench: %s: HTTP %ld, not an ACME directory",
		    b->o.directory, w->status);
		return -1;
	}
	if (get_str(w, j, "newNonce", b->new_nonce, sizeof(b->new_nonce)) &&
	    get_str(w, j, "newAccount", b->new_account,
	    sizeof(b->new_account)) &&
	    get_str(w, j, "newOrder", b->new_order, sizeof(b->new_order)))
		rc = 0;
	else
		log_cli_error("bench: %s: %s", b->o.directory, w->errtype);
	json_decref(j);
	return rc;
}

/* ---------- the report ---------- */

struct result {
	double		 wall_s;
	double		 cpu_s;		/* this process, user + sys */
	double		 srv_cpu_s;	/* -1 when unknown */
	long		 srv_rss0, srv_rss1, srv_hwm;
	struct samples	 ep[EP__MAX];
	struct samples	 iss;
	struct samples	 done_at;
	unsigned long	 badnonce;
	unsigned long	 http01_served;
	double		 rate_first, rate_last;	/* first and last tenth */
	double		 rate_tenth[10];	/* each tenth, end to end */
};

static double
rusage_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
tenth_rates(struct result *r)
{
	size_t n = r->done_at.n, k = n / 10;

	r->rate_first = r->rate_last = 0;
	memset(r->rate_tenth, 0, sizeof(r->rate_tenth));
	if (k < 2)
		return;
	/*
	 * Tenth i: issuances k*i+1 .. k*(i+1), from the end of the previous
	 * tenth (the start for the first). The first includes the ramp-up
	 * (accounts, handshakes), the last the drain, so flatness over a long
	 * run reads best on the tenths between.
	 */
	for (size_t i = 0; i < 10; i++) {
		uint32_t from = i == 0 ? 0 : r->done_at.v[k * i - 1],
		    to = r->done_at.v[k * (i + 1) - 1];

		if (to > from)
			r->rate_tenth[i] = (double)k / ((to - from) / 1e6);
	}
	/* done_at is sorted: the first tenth from start, the last tenth. */
	if (r->done_at.v[k - 1] > 0)
		r->rate_first = (double)k / (r->done_at.v[k - 1] / 1e6);
	if (r->done_at.v[n - 1] > r->done_at.v[n - k - 1])
		r->rate_last = (double)k / ((r->done_at.v[n - 1] -
		    r->done_at.v[n - k - 1]) / 1e6);
}

static void
print_report(struct bench *b, struct result *r)
{
	unsigned long	 ok = atomic_load(&b->ok), failed = atomic_load(&b->failed);
	const char	*kt = b->o.keytype == ACME_CLIENT_EC256 ? "ec256" : "rsa2048";

	printf("bench: %s%s\n", b->o.directory, b->interrupted ?
	    " (PARTIAL: interrupted by Ctrl-C)" : "");
	printf("  %lu issued, %lu failed%s in %.3f s: %.1f issuances/s "
	    "(concurrency %u, %u name%s/order, %s account keys)\n", ok,
	    failed, b->stalled ? ", SERVER STALLED" : "", r->wall_s,
	    r->wall_s > 0 ? ok / r->wall_s : 0, b->o.concurrency, b->o.names,
	    b->o.names == 1 ? "" : "s", kt);
	if (r->iss.n > 0)
		printf("  per issuance: p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  "
		    "max %.2f ms\n", pct_ms(&r->iss, 0.5), pct_ms(&r->iss, 0.9),
		    pct_ms(&r->iss, 0.99), pct_ms(&r->iss, 1.0));
	if (r->rate_first > 0)
		printf("  rate in the first tenth %.1f/s, in the last tenth "
		    "%.1f/s\n", r->rate_first, r->rate_last);
	printf("  %-12s %8s %9s %9s %9s %9s\n", "endpoint", "requests",
	    "p50 ms", "p90 ms", "p99 ms", "max ms");
	for (int e = 0; e < EP__MAX; e++) {
		if (r->ep[e].n == 0)
			continue;
		printf("  %-12s %8zu %9.2f %9.2f %9.2f %9.2f\n", ep_names[e],
		    r->ep[e].n, pct_ms(&r->ep[e], 0.5), pct_ms(&r->ep[e], 0.9),
		    pct_ms(&r->ep[e], 0.99), pct_ms(&r->ep[e], 1.0));
	}
	printf("  badNonce retries: %lu\n", r->badnonce);
	if (b->http01 != NULL)
		printf("  http-01 answers served: %lu\n", r->http01_served);
	if (b->nerrs > 0 || b->errs_other > 0) {
		printf("  errors by type:\n");
		for (size_t i = 0; i < b->nerrs; i++)
			printf("    %6lu  %s\n", b->errs[i].n, b->errs[i].type);
		if (b->errs_other > 0)
			printf("    %6lu  (other types)\n", b->errs_other);
	}
	printf("  generator CPU: %.3f s, %.3f ms/issuance\n", r->cpu_s,
	    ok > 0 ? r->cpu_s * 1000 / ok : 0);
	if (r->srv_cpu_s >= 0)
		printf("  server CPU (pid %ld): %.3f s, %.3f ms/issuance; RSS "
		    "%.1f MiB before, %.1f MiB after, peak %.1f MiB\n",
		    b->o.server_pid, r->srv_cpu_s,
		    ok > 0 ? r->srv_cpu_s * 1000 / ok : 0, r->srv_rss0 / 1024.0,
		    r->srv_rss1 / 1024.0, r->srv_hwm / 1024.0);
}

static json_t *
pct_json(const struct samples *s)
{
	return json_pack("{s:I,s:f,s:f,s:f,s:f}", "count", (json_int_t)s->n,
	    "p50_ms", pct_ms(s, 0.5), "p90_ms", pct_ms(s, 0.9),
	    "p99_ms", pct_ms(s, 0.99), "max_ms", pct_ms(s, 1.0));
}

static int
write_json(struct bench *b, struct result *r)
{
	unsigned long	 ok = atomic_load(&b->ok);
	json_t		*j, *eps, *errs, *tl;
	int		 rc;

	j = json_pack("{s:s,s:s,s:I,s:i,s:i,s:I,s:I,s:b,s:b,s:f,s:f,s:f,s:f,"
	    "s:I,s:f,s:f}",
	    "directory", b->o.directory,
	    "key_type", b->o.keytype == ACME_CLIENT_EC256 ? "ec256" : "rsa2048",
	    "orders", (json_int_t)b->o.orders,
	    "concurrency", (int)b->o.concurrency,
	    "names", (int)b->o.names,
	    "issued", (json_int_t)ok,
	    "failed", (json_int_t)atomic_load(&b->failed),
	    "stalled", b->stalled,
	    "partial", b->interrupted,
	    "wall_s", r->wall_s,
	    "issuances_per_s", r->wall_s > 0 ? ok / r->wall_s : 0.0,
	    "client_cpu_s", r->cpu_s,
	    "client_cpu_ms_per_issuance", ok > 0 ? r->cpu_s * 1000 / ok : 0.0,
	    "badnonce_retries", (json_int_t)r->badnonce,
	    "rate_first_tenth", r->rate_first,
	    "rate_last_tenth", r->rate_last);
	if (j == NULL)
		return -1;
	json_object_set_new(j, "issuance", pct_json(&r->iss));
	if (r->rate_first > 0) {
		json_t *t = json_array();

		for (size_t i = 0; i < 10; i++)
			json_array_append_new(t, json_real(r->rate_tenth[i]));
		json_object_set_new(j, "rate_tenths", t);
	}
	eps = json_object();
	for (int e = 0; e < EP__MAX; e++)
		if (r->ep[e].n > 0)
			json_object_set_new(eps, ep_names[e], pct_json(&r->ep[e]));
	json_object_set_new(j, "endpoints", eps);
	errs = json_object();
	for (size_t i = 0; i < b->nerrs; i++)
		json_object_set_new(errs, b->errs[i].type,
		    json_integer((json_int_t)b->errs[i].n));
	if (b->errs_other > 0)
		json_object_set_new(errs, "other",
		    json_integer((json_int_t)b->errs_other));
	json_object_set_new(j, "errors", errs);
	if (r->srv_cpu_s >= 0)
		json_object_set_new(j, "server", json_pack(
		    "{s:I,s:f,s:f,s:I,s:I,s:I}",
		    "pid", (json_int_t)b->o.server_pid,
		    "cpu_s", r->srv_cpu_s,
		    "cpu_ms_per_issuance", ok > 0 ? r->srv_cpu_s * 1000 / ok :
		    0.0,
		    "rss_kib_before", (json_int_t)r->srv_rss0,
		    "rss_kib_after", (json_int_t)r->srv_rss1,
		    "rss_kib_peak", (json_int_t)r->srv_hwm));
	tl = json_array();
	for (size_t i = 0; i < b->nticks; i++)
		json_array_append_new(tl, json_pack("{s:f,s:I,s:I}", "t",
		    b->ticks[i].t, "issued", (json_int_t)b->ticks[i].issued,
		    "server_rss_kib", (json_int_t)b->ticks[i].rss_kib));
	json_object_set_new(j, "timeline", tl);
	rc = json_dump_file(j, b->o.json_path, JSON_INDENT(1) |
	    JSON_REAL_PRECISION(6));
	json_decref(j);
	if (rc == -1)
		log_cli_error("bench: cannot write %s", b->o.json_path);
	return rc;
}

/* ---------- the run ---------- */

static void
tick(struct bench *b, double t)
{
	if (b->nticks == b->capticks) {
		size_t		 ncap = b->capticks ? b->capticks * 2 : 64;
		struct tick	*nt = realloc(b->ticks, ncap * sizeof(*nt));

		if (nt == NULL)
			return;
		b->ticks = nt;
		b->capticks = ncap;
	}
	b->ticks[b->nticks].t = t;
	b->ticks[b->nticks].issued = atomic_load(&b->ok);
	b->ticks[b->nticks].rss_kib = b->o.server_pid > 0 ?
	    proc_status_kib(b->o.server_pid, "VmRSS") : -1;
	b->nticks++;
}

/* The line a person watches on a terminal: done/target, rate, errors. */
static void
show_progress(struct bench *b, double elapsed, bool last)
{
	unsigned long ok = atomic_load(&b->ok), failed = atomic_load(&b->failed);

	if (!b->progress)
		return;
	fprintf(stderr, "\rbench: %lu/%lu issued, %.1f/s, %lu error%s, %.0f s"
	    "%s\033[K%s", ok, b->o.orders, elapsed > 0 ? ok / elapsed : 0.0,
	    failed, failed == 1 ? "" : "s", elapsed, b->interrupted ?
	    " (interrupted: finishing the issuances in flight)" : "",
	    last ? "\n" : "");
	fflush(stderr);
}

/*
 * Wait for the workers; stop them when nothing moved for stall_s. The
 * first Ctrl-C starts no new issuance and gives those in flight DRAIN_S
 * seconds; a second one, or the end of that time, stops them at once.
 */
static void
watch(struct bench *b, size_t nworkers)
{
	unsigned long	 last = 0, cur;
	double		 start = now_s(), moved = start, next_tick = start + 1, t;
	double		 next_show = start, drain_until = 0;
	bool		 done;

	for (;;) {
		sleep_us(20000);
		done = atomic_load(&b->finished) >= nworkers;
		t = now_s();
		if (sigints > 0 && !b->interrupted) {
			b->interrupted = true;
			atomic_store(&b->draining, true);
			drain_until = t + DRAIN_S;
		}
		if (b->interrupted && !done && (sigints > 1 ||
		    t >= drain_until))
			atomic_store(&b->stop, true);
		cur = atomic_load(&b->requests);
		if (cur != last) {
			last = cur;
			moved = t;
		}
		if (t >= next_tick) {
			tick(b, t - start);
			next_tick += 1;
		}
		if (t >= next_show || done) {
			show_progress(b, t - start, done);
			next_show = t + 0.25;
		}
		if (done)
			return;
		if (t - moved > b->o.stall_s && !b->interrupted) {
			b->stalled = true;
			atomic_store(&b->stop, true);
			show_progress(b, t - start, true);
			return;
		}
	}
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: localacme bench --directory URL [options]\n\n"
	    "Run complete RFC 8555 issuances against any ACME server and "
	    "report throughput,\nlatency per endpoint and per issuance, "
	    "errors by problem type and CPU time.\n\n"
	    "  --directory URL       the server's directory URL (required)\n"
	    "  --cacert FILE         CA bundle for the server's TLS "
	    "certificate\n"
	    "  --orders N            issuances to run (100)\n"
	    "  --concurrency C       concurrent workers, one account and "
	    "connection each (4)\n"
	    "  --names K             DNS names per order (1)\n"
	    "  --key-type T          account keys: ec256 (default) or "
	    "rsa2048\n"
	    "  --domain D            names are oN-I.RUN.D (bench.test)\n"
	    "  --http01-port P       answer http-01 on 127.0.0.1:P (needed "
	    "unless the server\n"
	    "                        skips validation)\n"
	    "  --server-pid PID      also report that process's CPU and RSS "
	    "(from /proc)\n"
	    "  --json FILE           write the results as JSON to FILE\n"
	    "  --timeout S           per-request timeout (30)\n"
	    "  --stall S             stop and report a stalled server after "
	    "S s without\n"
	    "                        any response (10)\n"
	    "  --max-errors E        stop after E failed issuances (100)\n"
	    "  --deadline S          an issuance not done after S s is a "
	    "reported error (30)\n"
	    "  --quiet               no text report (with --json)\n\n"
	    "On a terminal, a progress line on stderr shows issuances done, "
	    "the rate and\nthe errors. Ctrl-C starts no new issuance, lets "
	    "those in flight finish (5 s;\na second Ctrl-C stops them), "
	    "prints the partial report and exits 130.\n");
}

enum {
	OPT_DIRECTORY = 1, OPT_CACERT, OPT_ORDERS, OPT_CONCURRENCY, OPT_NAMES,
	OPT_KEYTYPE, OPT_JSON, OPT_HTTP01, OPT_PID, OPT_TIMEOUT, OPT_STALL,
	OPT_MAXERR, OPT_DOMAIN, OPT_QUIET, OPT_DEADLINE, OPT_HELP
};

static const struct option longopts[] = {
	{ "directory", required_argument, NULL, OPT_DIRECTORY },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "orders", required_argument, NULL, OPT_ORDERS },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "names", required_argument, NULL, OPT_NAMES },
	{ "key-type", required_argument, NULL, OPT_KEYTYPE },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "http01-port", required_argument, NULL, OPT_HTTP01 },
	{ "server-pid", required_argument, NULL, OPT_PID },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "stall", required_argument, NULL, OPT_STALL },
	{ "max-errors", required_argument, NULL, OPT_MAXERR },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

/* A decimal in [min, max]; -1 otherwise. */
static int
parse_num(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* 0, 1 (help shown), or 2 with a message. */
static int
parse_args(struct bench_opts *o, int argc, char **argv)
{
	unsigned long	 v;
	int		 c;

	memset(o, 0, sizeof(*o));
	o->orders = 100;
	o->concurrency = 4;
	o->names = 1;
	o->keytype = ACME_CLIENT_EC256;
	o->timeout_s = 30;
	o->stall_s = 10;
	o->deadline_s = 30;
	o->max_errors = 100;
	o->domain = "bench.test";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *a = optarg;

		switch (c) {
		case OPT_DIRECTORY: o->directory = a; break;
		case OPT_CACERT: o->cacert = a; break;
		case OPT_JSON: o->json_path = a; break;
		case OPT_DOMAIN: o->domain = a; break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_KEYTYPE:
			if (acme_client_keytype_parse(a, &o->keytype) == -1) {
				log_cli_error("--key-type: \"%s\" is not ec256 or "
				    "rsa2048", a);
				return 2;
			}
			break;
		case OPT_ORDERS:
		case OPT_CONCURRENCY:
		case OPT_NAMES:
		case OPT_HTTP01:
		case OPT_PID:
		case OPT_TIMEOUT:
		case OPT_STALL:
		case OPT_DEADLINE:
		case OPT_MAXERR: {
			static const unsigned long max[] = {
			    [OPT_ORDERS] = 100000000, [OPT_CONCURRENCY] = 4096,
			    [OPT_NAMES] = MAX_NAMES, [OPT_HTTP01] = 65535,
			    [OPT_PID] = 4194304, [OPT_TIMEOUT] = 3600,
			    [OPT_STALL] = 3600, [OPT_MAXERR] = 100000000,
			    [OPT_DEADLINE] = 86400 };

			if (parse_num(a, 1, max[c], &v) == -1) {
				log_cli_error("--%s: \"%s\" is not a number in "
				    "1..%lu", longopts[c - 1].name, a, max[c]);
				return 2;
			}
			if (c == OPT_ORDERS) o->orders = v;
			else if (c == OPT_CONCURRENCY) o->concurrency = (unsigned)v;
			else if (c == OPT_NAMES) o->names = (unsigned)v;
			else if (c == OPT_HTTP01) o->http01_port = (unsigned)v;
			else if (c == OPT_PID) o->server_pid = (long)v;
			else if (c == OPT_TIMEOUT) o->timeout_s = (unsigned)v;
			else if (c == OPT_STALL) o->stall_s = (unsigned)v;
			else if (c == OPT_DEADLINE) o->deadline_s = (unsigned)v;
			else o->max_errors = v;
			break;
		}
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 1;
		default:
			log_cli_error("bench: unknown or incomplete option \"%s\" "
			    "(see `localacme bench --help`)",
			    argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		log_cli_error("bench: unexpected argument \"%s\"", argv[optind]);
		return 2;
	}
	if (o->directory == NULL) {
		log_cli_error("bench: --directory URL is required");
		return 2;
	}
	if (o->quiet && o->json_path == NULL) {
		log_cli_error("bench: --quiet needs --json FILE");
		return 2;
	}
	return 0;
}

static void
worker_clear(struct worker *w)
{
	curl_easy_cleanup(w->curl);
	curl_slist_free_all(w->jose_hdrs);
	acme_client_key_clear(&w->key);
	EVP_PKEY_CTX_free(w->kgen);
	free(w->body.p);
	for (int e = 0; e < EP__MAX; e++)
		free(w->ep[e].v);
	free(w->iss.v);
	free(w->done_at.v);
}

int
cmd_bench(int argc, char **argv)
{
	struct bench	 b;
	struct worker	 dirw;
	struct result	 r;
	struct sigaction sa, old_sa;
	unsigned char	 rnd[4];
	char		 err[256];
	double		 cpu0, t0, srv0 = -1;
	size_t		 started = 0, ready = 0;
	int		 rc, exit_code = 1;

	memset(&b, 0, sizeof(b));
	memset(&dirw, 0, sizeof(dirw));
	memset(&r, 0, sizeof(r));
	if ((rc = parse_args(&b.o, argc, argv)) != 0)
		return rc == 1 ? 0 : 2;
	/* Ctrl-C ends the run with a partial report (watch()). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigints = 0;
	sigaction(SIGINT, &sa, &old_sa);
	b.progress = !b.o.quiet && isatty(STDERR_FILENO);
	pthread_mutex_init(&b.errlock, NULL);
	atomic_init(&b.next_order, 0);
	atomic_init(&b.ok, 0);
	atomic_init(&b.failed, 0);
	atomic_init(&b.requests, 0);
	atomic_init(&b.stop, false);
	atomic_init(&b.finished, 0);
	pthread_mutex_init(&b.golock, NULL);
	pthread_cond_init(&b.gocond, NULL);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	snprintf(b.run_id, sizeof(b.run_id), "%02x%02x%02x%02x", rnd[0],
	    rnd[1], rnd[2], rnd[3]);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_cli_error("bench: cannot initialise libcurl");
		goto out;
	}
	dirw.b = &b;
	if (fetch_directory(&b, &dirw) == -1)
		goto out;
	if (b.o.http01_port != 0 && (b.http01 = bench_http01_new(
	    b.o.http01_port, (size_t)b.o.concurrency * b.o.names, err,
	    sizeof(err))) == NULL) {
		log_cli_error("bench: %s", err);
		goto out;
	}
	if ((b.w = calloc(b.o.concurrency, sizeof(*b.w))) == NULL) {
		log_cli_error("bench: out of memory");
		goto out;
	}
	for (size_t i = 0; i < b.o.concurrency; i++) {
		b.w[i].b = &b;
		b.w[i].idx = i;
		if (pthread_create(&b.w[i].thread, NULL, worker_run,
		    &b.w[i]) != 0) {
			log_warn("bench: cannot start worker %zu of %u; going "
			    "on with %zu", i, b.o.concurrency, started);
			break;
		}
		started++;
	}
	/* Accounts are created before the clock starts. */
	pthread_mutex_lock(&b.golock);
	while (b.nsetup < started)
		pthread_cond_wait(&b.gocond, &b.golock);
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	t0 = now_s();
	cpu0 = rusage_s();
	if (b.o.server_pid > 0) {
		srv0 = proc_cpu_s(b.o.server_pid);
		r.srv_rss0 = proc_status_kib(b.o.server_pid, "VmRSS");
		if (srv0 < 0)
			log_warn("bench: cannot read /proc/%ld", b.o.server_pid);
	}
	for (size_t i = 0; i < started; i++)
		ready += b.w[i].ready;
	b.go = true;
	pthread_cond_broadcast(&b.gocond);
	pthread_mutex_unlock(&b.golock);
	watch(&b, started);
	for (size_t i = 0; i < started; i++)
		pthread_join(b.w[i].thread, NULL);
	r.wall_s = now_s() - t0;
	r.cpu_s = rusage_s() - cpu0;
	r.srv_cpu_s = -1;
	if (srv0 >= 0) {
		double s1 = proc_cpu_s(b.o.server_pid);

		if (s1 >= 0) {
			r.srv_cpu_s = s1 - srv0;
			r.srv_rss1 = proc_status_kib(b.o.server_pid, "VmRSS");
			r.srv_hwm = proc_status_kib(b.o.server_pid, "VmHWM");
		}
	}
	for (size_t i = 0; i < started; i++) {
		for (int e = 0; e < EP__MAX; e++)
			merge(&r.ep[e], &b.w[i].ep[e]);
		merge(&r.iss, &b.w[i].iss);
		merge(&r.done_at, &b.w[i].done_at);
		r.badnonce += b.w[i].badnonce_retries;
	}
	merge(&r.ep[EP_DIRECTORY], &dirw.ep[EP_DIRECTORY]);
	for (int e = 0; e < EP__MAX; e++)
		sort_samples(&r.ep[e]);
	sort_samples(&r.iss);
	sort_samples(&r.done_at);
	tenth_rates(&r);
	if (b.http01 != NULL)
		r.http01_served = bench_http01_served(b.http01);
	if (!b.o.quiet)
		print_report(&b, &r);
	if (b.o.json_path != NULL && write_json(&b, &r) == -1)
		goto out;
	exit_code = atomic_load(&b.failed) == 0 && !b.stalled && ready > 0 &&
	    atomic_load(&b.ok) == b.o.orders ? 0 : 1;
	if (b.interrupted)
		exit_code = 130;	/* 128 + SIGINT, as a shell reports it */
out:
	if (b.w != NULL) {
		for (size_t i = 0; i < b.o.concurrency; i++)
			worker_clear(&b.w[i]);
		free(b.w);
	}
	bench_http01_free(b.http01);
	worker_clear(&dirw);
	for (int e = 0; e < EP__MAX; e++)
		free(r.ep[e].v);
	free(r.iss.v);
	free(r.done_at.v);
	free(b.ticks);
	pthread_mutex_destroy(&b.errlock);
	pthread_mutex_destroy(&b.golock);
	pthread_cond_destroy(&b.gocond);
	curl_global_cleanup();
	sigaction(SIGINT, &old_sa, NULL);
	return exit_code;
}
