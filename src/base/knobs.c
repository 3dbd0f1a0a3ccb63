/* knobs.c - the fault and test knobs: configuration, per-knob seeded PRNG streams, announcements */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "acme/problem.h"
#include "acme/url.h"
#include "duration.h"
#include "knobs.h"
#include "log.h"

enum stream {
	S_NONCE = 0,
	S_AUTHZ,
	S_DELAY,
	S__MAX
};

static struct knobs_opts	 cur;
static uint64_t			 state[S__MAX];
static pthread_mutex_t		 mu = PTHREAD_MUTEX_INITIALIZER;

/* SplitMix64 (Steele, Lea, Flood 2014): tiny, seedable, good enough for tests. */
static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
draw(enum stream s)
{
	uint64_t v;

	pthread_mutex_lock(&mu);
	v = splitmix(&state[s]);
	pthread_mutex_unlock(&mu);
	return v;
}

int
knobs_retry_form_parse(const char *s, enum knobs_retry_form *out)
{
	if (strcmp(s, "seconds") == 0)
		*out = KNOBS_RETRY_SECONDS;
	else if (strcmp(s, "date") == 0)
		*out = KNOBS_RETRY_DATE;
	else
		return -1;
	return 0;
}

int
knobs_parse_duration(const char *s, unsigned *out)
{
	unsigned long long	 v;

	if (s[0] == '\0') {
		*out = 0;
		return 0;
	}
	if (duration_parse(s, strlen(s), KNOBS_MAX_LIFETIME_S, &v) == -1 ||
	    v == 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
knobs_parse_ports(const char *s, unsigned *ports, size_t *n)
{
	const char	*p = s;
	unsigned long	 v;

	*n = 0;
	while (*p != '\0') {
		v = 0;
		if (*p < '0' || *p > '9')
			return -1;	/* empty element, sign, space */
		for (; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (unsigned long)(*p - '0')) > 65535)
				return -1;
		if (v == 0 || (*p != ',' && *p != '\0') ||
		    (*p == ',' && p[1] == '\0') || *n == KNOBS_MAX_PORTS)
			return -1;
		for (size_t i = 0; i < *n; i++)
			if (ports[i] == v)
				return -1;
		ports[(*n)++] = (unsigned)v;
		if (*p == ',')
			p++;
	}
	return 0;
}

int
knobs_configure(const struct knobs_opts *o)
{
	struct knobs_opts n = *o;

	if (n.nonce_reject_pct > 100 || n.authz_reuse_pct > 100) {
		log_err("knobs: percentages must be 0 to 100");
		return -1;
	}
	if (n.nredirect_ports > KNOBS_MAX_PORTS) {
		log_err("knobs: at most %d redirect ports", KNOBS_MAX_PORTS);
		return -1;
	}
	if (n.seed == 0) {
		/* 1..2^31-1, so `--seed N` (an int setting) can replay it. */
		if (RAND_bytes((unsigned char *)&n.seed, sizeof(n.seed)) != 1) {
			log_err("knobs: no random seed");
			return -1;
		}
		n.seed = n.seed % 2147483647ULL + 1;
	}
	pthread_mutex_lock(&mu);
	cur = n;
	for (int i = 0; i < S__MAX; i++) {
		/* Independent streams: the seed run through the mixer per knob. */
		uint64_t s = n.seed + (uint64_t)i * 0x632be59bd9b4e019ULL;
		state[i] = splitmix(&s);
	}
	pthread_mutex_unlock(&mu);
	return 0;
}

uint64_t
knobs_seed(void)
{
	return cur.seed;
}

#define BANNER	"!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"

void
knobs_announce(void)
{
	bool any = false;

	if (cur.nonce_reject_pct > 0) {
		log_warn("knobs: rejecting %u%% of valid nonces with badNonce "
		    "(--nonce-reject)", cur.nonce_reject_pct);
		any = true;
	}
	if (cur.authz_reuse_pct > 0) {
		log_warn("knobs: reusing valid authorizations with %u%% "
		    "probability (--authz-reuse)", cur.authz_reuse_pct);
		any = true;
	}
	if (cur.va_delay_max_ms > 0) {
		log_warn("knobs: delaying each validation by 0-%u ms "
		    "(--va-delay-ms)", cur.va_delay_max_ms);
		any = true;
	}
	if (cur.retry_form == KNOBS_RETRY_DATE) {
		log_warn("knobs: Retry-After is sent as an HTTP-date "
		    "(--retry-after-form date)");
		any = true;
	}
	if (cur.strict) {
		log_warn("knobs: strict mode: refusing what RFC 8555 only "
		    "discourages (--strict)");
		any = true;
	}
	if (cur.nredirect_ports > 0) {
		char	 list[KNOBS_MAX_PORTS * 6 + 1] = "";
		size_t	 len = 0;

		for (size_t i = 0; i < cur.nredirect_ports; i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%s%u", i > 0 ? "," : "", cur.redirect_ports[i]);
		log_warn("knobs: http-01 fetches may be redirected to port(s) "
		    "%s too (--http01-redirect-ports)", list);
		any = true;
	}
	if (cur.authz_lifetime_s > 0) {
		log_warn("knobs: pending authorizations expire after %u s "
		    "(--authz-lifetime)", cur.authz_lifetime_s);
		any = true;
	}
	if (cur.order_lifetime_s > 0) {
		log_warn("knobs: pending orders expire after %u s "
		    "(--order-lifetime)", cur.order_lifetime_s);
		any = true;
	}
	if (cur.retry_after_s > 0) {
		log_warn("knobs: Retry-After is %u s on processing orders and "
		    "challenges (--retry-after)", cur.retry_after_s);
		any = true;
	}
	if (cur.delete_revoked) {
		log_warn("knobs: revoked certificates answer 404 at their URL "
		    "(--delete-revoked); the CRL still lists them");
		any = true;
	}
	if (cur.weak_keys) {
		/* A banner: this one makes the CA issue for keys no CA may. */
		log_warn("knobs: %s", BANNER);
		log_warn("knobs: !!! WEAK KEYS ACCEPTED (--weak-keys)");
		log_warn("knobs: !!! RSA 1024-bit and P-521 account and CSR "
		    "keys are accepted and certified.");
		log_warn("knobs: !!! A test mode for ACME client suites only, "
		    "never for real use: RSA 1024 is below the CA/B Forum "
		    "minimum (BR 6.1.5).");
		log_warn("knobs: %s", BANNER);
		any = true;
	}
	if (any)
		log_warn("knobs: random seed %llu (replay with --seed %llu)",
		    (unsigned long long)cur.seed,
		    (unsigned long long)cur.seed);
}

static bool
chance(enum stream s, unsigned pct)
{
	if (pct == 0)
		return false;
	if (pct >= 100)
		return true;
	return draw(s) % 100 < pct;
}

bool
knobs_reject_nonce(void)
{
	return chance(S_NONCE, cur.nonce_reject_pct);
}

bool
knobs_reuse_authz(void)
{
	return chance(S_AUTHZ, cur.authz_reuse_pct);
}

unsigned
knobs_va_delay_ms(void)
{
	if (cur.va_delay_max_ms == 0)
		return 0;
	return (unsigned)(draw(S_DELAY) % ((uint64_t)cur.va_delay_max_ms + 1));
}

bool
knobs_strict(void)
{
	return cur.strict;
}

bool
knobs_http01_redirect_port(unsigned port)
{
	for (size_t i = 0; i < cur.nredirect_ports; i++)
		if (cur.redirect_ports[i] == port)
			return true;
	return false;
}

bool
knobs_weak_keys(void)
{
	return cur.weak_keys;
}

unsigned
knobs_retry_after_s(void)
{
	return cur.retry_after_s;
}

unsigned
knobs_authz_lifetime_s(void)
{
	return cur.authz_lifetime_s;
}

unsigned
knobs_order_lifetime_s(void)
{
	return cur.order_lifetime_s;
}

bool
knobs_delete_revoked(void)
{
	return cur.delete_revoked;
}

int
knobs_retry_after(unsigned secs, time_t now, char *out, size_t outsz)
{
	struct tm	 tm;
	time_t		 t = now + (time_t)secs;
	int		 n;

	if (cur.retry_form == KNOBS_RETRY_DATE) {
		/* RFC 9110 §5.6.7 IMF-fixdate; the C locale names days and months. */
		static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed",
		    "Thu", "Fri", "Sat" };
		static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr",
		    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

		if (gmtime_r(&t, &tm) == NULL)
			return -1;
		n = snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		    wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	} else
		n = snprintf(out, outsz, "%u", secs);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int
knobs_strict_check(enum acme_url_kind k, const json_t *payload,
    struct acme_problem *prob)
{
	if (!cur.strict || payload == NULL)
		return 0;
	if (json_object_get(payload, "resource") != NULL)
		return acme_problem_set(prob, ACME_P_MALFORMED, "strict mode: "
		    "the pre-RFC 8555 \"resource\" member is not accepted");
	if (k == ACME_URL_CHALLENGE && json_object_size(payload) != 0)
		return acme_problem_set(prob, ACME_P_MALFORMED, "strict mode: "
		    "a challenge response must be exactly {} "
		    "(RFC 8555 §7.5.1)");
	return 0;
}
