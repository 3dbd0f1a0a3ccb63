/* va.c - the validation authority: bounded queue, worker threads, dispatch of one validation */
/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>
#include <curl/curl.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "deadline.h"
#include "knobs.h"
#include "log.h"
#include "va.h"
#include "va_internal.h"

#define DEFAULT_TIMEOUT_S	10
#define DEFAULT_WORKERS		2
#define DEFAULT_QUEUE_MAX	64
#define MAX_WORKERS		64

struct va {
	/* Options, deep-copied: the caller's strings may go away. */
	struct va_opts		 opts;
	char			*dns_resolver;
	char			**resolve;
	size_t			 nresolve;
	char			**caa;		/* caa_identities, copied */
	size_t			 ncaa;

	va_done_fn		 done;
	void			*arg;

	pthread_mutex_t		 mu;		/* guards everything below */
	pthread_cond_t		 cv;		/* queue non-empty or stopping */
	pthread_cond_t		 stop_cv;	/* stopping (ends a delay) */
	struct va_request	*q;		/* ring of queue_max */
	size_t			 qhead;
	size_t			 qlen;
	bool			 started;
	bool			 stopping;
	pthread_t		*threads;
	size_t			 nthreads;	/* started successfully */
};

unsigned
va_opt_http01_port(const struct va_opts *opts)
{
	return opts->http01_port == 0 ? 80 : opts->http01_port;
}

unsigned
va_opt_tlsalpn01_port(const struct va_opts *opts)
{
	return opts->tlsalpn01_port == 0 ? 443 : opts->tlsalpn01_port;
}

unsigned
va_opt_timeout_s(const struct va_opts *opts)
{
	return opts->timeout_s == 0 ? DEFAULT_TIMEOUT_S : opts->timeout_s;
}

int64_t
va_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
va_left_ms(int64_t deadline)
{
	int64_t	 left = deadline - va_now_ms();

	return left > 0 ? left : 0;
}

static int	 global_rc = -1;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void
global_init_once(void)
{
	CURLcode	 cc;
	int		 rc;

	/* Both are process-wide and must run before threads use them. */
	if ((cc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		log_err("va: curl_global_init: %s", curl_easy_strerror(cc));
		return;
	}
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		log_err("va: ares_library_init: %s", ares_strerror(rc));
		return;
	}
	global_rc = 0;
}

int
va_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_rc;
}

void
va_excerpt(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0, lim, room;

	if (outsz < 4) {
		if (outsz > 0)
			out[0] = '\0';
		return;
	}
	room = outsz - 4;	/* keep space for "..." and the NUL */
	lim = n < VA_EXCERPT_MAX ? n : VA_EXCERPT_MAX;
	for (i = 0; i < lim; i++) {
		/* HARDENING Z06/C10: never echo raw peer bytes. */
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' &&
		    p[i] != '\\') {
			if (o + 1 > room)
				break;
			out[o++] = (char)p[i];
		} else {
			if (o + 4 > room)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 0x0f];
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Defence in depth: the RA made these, but they end up in URLs and SNI. */
static bool
request_ok(const struct va_request *req)
{
	const char	*p;
	size_t		 len;

	len = strnlen(req->token, sizeof(req->token));
	if (len == 0 || len == sizeof(req->token))
		return false;
	for (p = req->token; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	if (strnlen(req->key_authz, sizeof(req->key_authz)) ==
	    sizeof(req->key_authz))
		return false;
	if (strnlen(req->dns01_value, sizeof(req->dns01_value)) ==
	    sizeof(req->dns01_value))
		return false;
	len = strnlen(req->ident.value, sizeof(req->ident.value));
	return len > 0 && len < sizeof(req->ident.value);
}

int
va_validate(const struct va_opts *opts, const struct va_request *req,
    struct va_result *res)
{
	struct va_call	 vc;
	int64_t		 deadline;
	int		 rc = -1;

	memset(res, 0, sizeof(*res));
	if (va_global_init() == -1)
		goto fail;
	if (!request_ok(req)) {
		log_err("va: malformed validation request for challenge %.*s",
		    ACME_ID_LEN, req->chall_id);
		goto fail;
	}
	deadline = va_now_ms() + (int64_t)va_opt_timeout_s(opts) * 1000;
	va_call_begin(&vc, opts);	/* the lookups below share a channel */
	switch (req->type) {
	case ACME_CHALL_HTTP01:
		rc = va_http01(&vc, req, deadline, res);
		break;
	case ACME_CHALL_TLSALPN01:
		rc = va_tlsalpn01(&vc, req, deadline, res);
		break;
	case ACME_CHALL_DNS01:
		rc = va_dns01(&vc, req, deadline, res);
		break;
	default:
		log_err("va: unknown challenge type %d", (int)req->type);
		break;
	}
	if (rc == 0 && res->valid && opts->caa_check)
		rc = va_caa(&vc, req, deadline, res);
	va_call_end(&vc);
	if (rc == -1)
		goto fail;
	if (res->valid) {
		memset(&res->prob, 0, sizeof(res->prob));
		log_info("va: %s for %s: valid",
		    acme_chall_type_str(req->type), req->ident.value);
	} else
		log_info("va: %s for %s: invalid: %s",
		    acme_chall_type_str(req->type), req->ident.value,
		    res->prob.detail);
	return 0;
fail:
	res->valid = false;
	acme_problem_set(&res->prob, ACME_P_SERVERINTERNAL,
	    "internal error during validation");
	return -1;
}

static void
free_opts(struct va *va)
{
	size_t	 i;

	free(va->dns_resolver);
	for (i = 0; i < va->nresolve; i++)
		free(va->resolve[i]);
	free(va->resolve);
	for (i = 0; i < va->ncaa; i++)
		free(va->caa[i]);
	free(va->caa);
}

struct va *
va_new(const struct va_opts *opts, va_done_fn done, void *arg, char *err,
    size_t errsz)
{
	struct va	*va = NULL;
	struct va_addr	 a;
	struct va_call	 vc;
	ares_channel	 ch;
	char		 name[256];
	size_t		 i;

	if (errsz > 0)
		err[0] = '\0';
	if (opts == NULL || done == NULL) {
		snprintf(err, errsz, "va: options and callback are required");
		return NULL;
	}
	if (opts->http01_port > 65535 || opts->tlsalpn01_port > 65535) {
		snprintf(err, errsz, "va: challenge port out of range 1-65535");
		return NULL;
	}
	if (opts->workers > MAX_WORKERS) {
		snprintf(err, errsz, "va: workers must be at most %d",
		    MAX_WORKERS);
		return NULL;
	}
	if (opts->nresolve > 0 && opts->resolve == NULL) {
		snprintf(err, errsz, "va: resolve pins missing");
		return NULL;
	}
	for (i = 0; i < opts->nresolve; i++)
		if (va_pin_parse(opts->resolve[i], name, sizeof(name),
		    &a) == -1) {
			snprintf(err, errsz, "va: resolve \"%.80s\": expected "
			    "NAME=IP", opts->resolve[i] == NULL ? "" :
			    opts->resolve[i]);
			return NULL;
		}
	if (va_global_init() == -1) {
		snprintf(err, errsz, "va: cannot initialise libcurl/c-ares");
		return NULL;
	}
	if (opts->dns_resolver != NULL && opts->dns_resolver[0] != '\0') {
		/* Parse it now so a typo fails at start, not per request. */
		va_call_begin(&vc, opts);
		ch = va_call_channel(&vc, va_now_ms() + 1000);
		va_call_end(&vc);
		if (ch == NULL) {
			snprintf(err, errsz, "va: dns resolver \"%.80s\": "
			    "expected IP:PORT", opts->dns_resolver);
			return NULL;
		}
	}

	if ((va = calloc(1, sizeof(*va))) == NULL)
		goto nomem;
	va->opts = *opts;
	if (va->opts.timeout_s == 0)
		va->opts.timeout_s = DEFAULT_TIMEOUT_S;
	if (va->opts.workers == 0)
		va->opts.workers = DEFAULT_WORKERS;
	if (va->opts.queue_max == 0)
		va->opts.queue_max = DEFAULT_QUEUE_MAX;
	va->opts.dns_resolver = NULL;
	va->opts.resolve = NULL;
	va->opts.nresolve = 0;
	va->opts.caa_identities = NULL;
	va->opts.ncaa_identities = 0;
	if (opts->ncaa_identities > 0) {
		if ((va->caa = calloc(opts->ncaa_identities,
		    sizeof(*va->caa))) == NULL)
			goto nomem;
		for (i = 0; i < opts->ncaa_identities; i++) {
			if ((va->caa[i] = strdup(opts->caa_identities[i])) ==
			    NULL)
				goto nomem;
			va->ncaa++;
		}
		va->opts.caa_identities = (const char *const *)va->caa;
		va->opts.ncaa_identities = va->ncaa;
	}
	if (opts->dns_resolver != NULL &&
	    (va->dns_resolver = strdup(opts->dns_resolver)) == NULL)
		goto nomem;
	va->opts.dns_resolver = va->dns_resolver;
	if (opts->nresolve > 0) {
		if ((va->resolve = calloc(opts->nresolve,
		    sizeof(*va->resolve))) == NULL)
			goto nomem;
		for (i = 0; i < opts->nresolve; i++) {
			if ((va->resolve[i] = strdup(opts->resolve[i])) == NULL)
				goto nomem;
			va->nresolve++;
		}
		va->opts.resolve = (const char *const *)va->resolve;
		va->opts.nresolve = va->nresolve;
	}
	if ((va->q = calloc(va->opts.queue_max, sizeof(*va->q))) == NULL)
		goto nomem;
	if ((va->threads = calloc(va->opts.workers,
	    sizeof(*va->threads))) == NULL)
		goto nomem;
	va->done = done;
	va->arg = arg;
	if (pthread_mutex_init(&va->mu, NULL) != 0)
		goto nomem;
	if (pthread_cond_init(&va->cv, NULL) != 0) {
		pthread_mutex_destroy(&va->mu);
		goto nomem;
	}
	if (pthread_cond_init(&va->stop_cv, NULL) != 0) {
		pthread_cond_destroy(&va->cv);
		pthread_mutex_destroy(&va->mu);
		goto nomem;
	}
	return va;
nomem:
	snprintf(err, errsz, "va: out of memory");
	if (va != NULL) {
		free_opts(va);
		free(va->q);
		free(va->threads);
		free(va);
	}
	return NULL;
}

/*
 * Wait ms milliseconds (the validation-delay knob), or until va_stop: a
 * delay of minutes must not hold up a SIGTERM. A condition of its own,
 * so a delayed worker never swallows a wake-up meant for the queue.
 */
static void
delay_ms(struct va *va, unsigned ms)
{
	struct timespec	 until;

	if (ms == 0)
		return;
	deadline_after_ms(CLOCK_REALTIME, ms, &until);
	pthread_mutex_lock(&va->mu);
	while (!va->stopping &&
	    pthread_cond_timedwait(&va->stop_cv, &va->mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&va->mu);
}

static void *
worker(void *p)
{
	struct va		*va = p;
	struct va_request	 req;
	struct va_result	 res;
	sigset_t		 set;

	/* A peer closing early must not kill the process (writes to TLS). */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	for (;;) {
		pthread_mutex_lock(&va->mu);
		while (va->qlen == 0 && !va->stopping)
			pthread_cond_wait(&va->cv, &va->mu);
		if (va->qlen == 0) {	/* stopping and drained */
			pthread_mutex_unlock(&va->mu);
			break;
		}
		req = va->q[va->qhead];
		va->qhead = (va->qhead + 1) % va->opts.queue_max;
		va->qlen--;
		pthread_mutex_unlock(&va->mu);

		delay_ms(va, knobs_va_delay_ms());	/* --va-delay-ms test knob */
		(void)va_validate(&va->opts, &req, &res);
		va->done(va->arg, &req, &res);
	}
	return NULL;
}

int
va_start_workers(struct va *va)
{
	size_t	 i;
	int	 rc;

	pthread_mutex_lock(&va->mu);
	if (va->started) {
		pthread_mutex_unlock(&va->mu);
		log_err("va: already started");
		return -1;
	}
	va->started = true;
	pthread_mutex_unlock(&va->mu);
	for (i = 0; i < va->opts.workers; i++) {
		if ((rc = pthread_create(&va->threads[i], NULL, worker,
		    va)) != 0) {
			log_err("va: pthread_create: %s", strerror(rc));
			va_stop(va);
			return -1;
		}
		va->nthreads++;
	}
	log_info("va: %zu workers, queue %zu, timeout %us, http-01 port %u, "
	    "tls-alpn-01 port %u", va->nthreads, va->opts.queue_max,
	    va->opts.timeout_s, va_opt_http01_port(&va->opts),
	    va_opt_tlsalpn01_port(&va->opts));
	return 0;
}

int
va_submit(struct va *va, const struct va_request *req)
{
	int	 rc = -1;

	pthread_mutex_lock(&va->mu);
	if (!va->started || va->stopping) {
		log_warn("va: not accepting validations (stopped)");
		goto out;
	}
	if (va->qlen == va->opts.queue_max) {
		log_warn("va: queue full (%zu), refusing a validation",
		    va->qlen);
		goto out;
	}
	va->q[(va->qhead + va->qlen) % va->opts.queue_max] = *req;
	va->qlen++;
	pthread_cond_signal(&va->cv);
	rc = 0;
out:
	pthread_mutex_unlock(&va->mu);
	return rc;
}

void
va_stop(struct va *va)
{
	size_t	 i;

	if (va == NULL)
		return;
	pthread_mutex_lock(&va->mu);
	va->stopping = true;
	pthread_cond_broadcast(&va->cv);
	pthread_cond_broadcast(&va->stop_cv);
	pthread_mutex_unlock(&va->mu);
	for (i = 0; i < va->nthreads; i++)
		pthread_join(va->threads[i], NULL);
	va->nthreads = 0;
}

void
va_free(struct va *va)
{
	if (va == NULL)
		return;
	va_stop(va);
	pthread_cond_destroy(&va->stop_cv);
	pthread_cond_destroy(&va->cv);
	pthread_mutex_destroy(&va->mu);
	free_opts(va);
	free(va->q);
	free(va->threads);
	free(va);
}
