/* knobs.h - fault and test knobs for people testing ACME clients, driven by a seeded PRNG */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_KNOBS_H
#define LOCALACME_KNOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "acme/problem.h"
#include "acme/url.h"

/*
 * Pebble's PEBBLE_WFE_NONCEREJECT, PEBBLE_AUTHZREUSE, PEBBLE_VA_SLEEPTIME
 * and -strict, as settings (flag + LOCALACME_* variable), all off by
 * default. The knobs are process-wide, like the log level: the WFE, the
 * RA and the VA consult them without a pointer being threaded through
 * every component. They are set once before any thread starts
 * (knobs_configure) and only read afterwards.
 *
 * Every random decision comes from a PRNG seeded by `seed`, one stream
 * per knob (so nonce rejections do not shift when validation delays
 * change). The seed is logged at start; running again with the same seed
 * and the same request order (e.g. --threads 1 and a sequential client)
 * replays the same decisions.
 */

/* Most ports --http01-redirect-ports takes. */
#define KNOBS_MAX_PORTS		16
/* Longest --authz-lifetime / --order-lifetime: a year. */
#define KNOBS_MAX_LIFETIME_S	(365U * 86400U)

enum knobs_retry_form {
	KNOBS_RETRY_SECONDS = 0,	/* Retry-After: 3 (RFC 9110 §10.2.3 delay-seconds) */
	KNOBS_RETRY_DATE		/* Retry-After: Sun, 06 Nov 1994 08:49:37 GMT */
};

struct knobs_opts {
	unsigned		 nonce_reject_pct;	/* 0..100: valid nonces answered badNonce */
	unsigned		 authz_reuse_pct;	/* 0..100: reuse a valid authz for an identifier */
	unsigned		 va_delay_max_ms;	/* validations wait 0..max ms first */
	enum knobs_retry_form	 retry_form;
	uint64_t		 seed;		/* 0 = a random seed (logged) */
	bool			 strict;	/* refuse what RFC 8555 only discourages */
	/* issue #15 item 4: what client test suites need, all off at 0 */
	unsigned		 redirect_ports[KNOBS_MAX_PORTS];	/* http-01 may be redirected there too */
	size_t			 nredirect_ports;
	bool			 weak_keys;	/* RSA 1024, P-521 account and CSR keys */
	unsigned		 authz_lifetime_s;	/* pending authz (0 = the RA's) */
	unsigned		 order_lifetime_s;	/* pending order (0 = the RA's) */
	unsigned		 retry_after_s;	/* on processing objects (0 = 1 s) */
	bool			 delete_revoked;	/* revoked certificate URLs 404 */
};

/* Parse "seconds" or "date". 0, or -1. */
int	 knobs_retry_form_parse(const char *s, enum knobs_retry_form *out);

/*
 * A duration in the profile lifetime syntax: a decimal number with an
 * optional unit "s", "m", "h" or "d" (a bare number is days), 1 s to
 * KNOBS_MAX_LIFETIME_S; "" is 0 (off). Returns 0, or -1.
 */
int	 knobs_parse_duration(const char *s, unsigned *out);

/*
 * A comma list of ports 1..65535, at most KNOBS_MAX_PORTS, no empty
 * element, no repeat; "" is none. Returns 0, or -1 with *n undefined.
 */
int	 knobs_parse_ports(const char *s, unsigned *ports, size_t *n);

/*
 * Set the knobs (before threads start; may be called again in tests).
 * Returns 0, or -1 (logged) on a percentage above 100 or if no random
 * seed could be drawn.
 */
int	 knobs_configure(const struct knobs_opts *o);

/* Log one warning line per knob that is on, and the seed. */
void	 knobs_announce(void);

/* The seed in use (after knobs_configure). */
uint64_t knobs_seed(void);

/* Should this (already redeemed) nonce be answered badNonce? */
bool	 knobs_reject_nonce(void);
/* Should the RA reuse an existing valid authorization for one identifier? */
bool	 knobs_reuse_authz(void);
/* Milliseconds a validation waits before it starts (0 when off). */
unsigned knobs_va_delay_ms(void);
/* Is strict mode on? */
bool	 knobs_strict(void);
/* May an http-01 fetch be redirected to this port (--http01-redirect-ports)? */
bool	 knobs_http01_redirect_port(unsigned port);
/* Are RSA 1024 and P-521 keys accepted (--weak-keys)? */
bool	 knobs_weak_keys(void);
/* Seconds of Retry-After on processing objects (--retry-after; 0 = unset). */
unsigned knobs_retry_after_s(void);
/* Pending authorization and order lifetimes (0 = unset). */
unsigned knobs_authz_lifetime_s(void);
unsigned knobs_order_lifetime_s(void);
/* Does a revoked certificate's URL answer 404 (--delete-revoked)? */
bool	 knobs_delete_revoked(void);

/*
 * A Retry-After value for `secs` seconds from now in the configured form
 * (RFC 9110 §10.2.3: HTTP-date or delay-seconds). Returns 0, or -1 if
 * out is too small.
 */
int	 knobs_retry_after(unsigned secs, time_t now, char *out, size_t outsz);

/*
 * Strict mode's payload rules (no-op when strict is off):
 *  - no member "resource" (ACME drafts before RFC 8555; Pebble -strict);
 *  - a challenge response is exactly {} (RFC 8555 §7.5.1), so the old
 *    "keyAuthorization" and similar members are refused.
 * payload may be NULL (POST-as-GET). Returns 0, or -1 with malformed.
 */
int	 knobs_strict_check(enum acme_url_kind k, const json_t *payload,
	    struct acme_problem *prob);

struct config;

/*
 * The value of the directory's meta member ACME_META_TEST_KNOBS
 * (acme/render.h): an object with one member per test setting that is
 * on, named by its flag without "--", with its value (knobs_meta.c; one
 * line per setting). *out is a new object, or NULL when none is on.
 * Returns 0, or -1 on allocation failure.
 */
int	 knobs_meta(const struct config *cfg, json_t **out);

#endif /* LOCALACME_KNOBS_H */
