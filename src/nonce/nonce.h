/* nonce.h - Replay-Nonce issue and single-use redemption (RFC 8555 §6.5) */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_NONCE_H
#define LOCALACME_NONCE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Design (after Boulder's nonce service): a nonce is the AES-256
 * encryption of one 16-byte block, a 64-bit issue counter followed by a
 * 64-bit secret tag, under a key made at start-up (nonce_new). So:
 *
 * - issuing stores nothing: an atomic counter increment plus one AES
 *   block (under a short mutex, the cipher context is not re-entrant);
 * - nonces are unique by construction, not just with high probability
 *   (AES is a permutation of distinct counter blocks; HARDENING N13),
 *   and unpredictable without the key;
 * - a nonce we never issued decrypts to a block whose tag does not match
 *   (forgery chance 2^-64 per try): badNonce (N03);
 * - redemption is a lock-free compare-and-swap on a slot of a fixed
 *   array of `capacity` 64-bit words, slot = counter % capacity, holding
 *   the last counter redeemed there (plus one). A second redemption sees
 *   its own counter (N02, N06); a counter at least `capacity` issues
 *   older than the newest is outside the window (N12, D03): memory is
 *   8 * capacity bytes however many nonces are issued;
 * - a restart (new table, new key) invalidates every earlier nonce by
 *   design (N07); clients retry with the nonce of the badNonce answer.
 *
 * The alternative, a sharded hash set of random nonces, needs a
 * per-nonce allocation or an open-addressing table with eviction order,
 * and a lock on issue; this needs neither.
 */

/* 16 bytes as base64url without padding: 22 characters. */
#define NONCE_LEN	22
#define NONCE_SIZE	(NONCE_LEN + 1)	/* with the NUL */

struct nonce_table;

/*
 * A table that accepts each of the last `capacity` issued nonces once
 * (capacity in 1..2^24; Boulder uses 65536). Returns NULL (and logs) on
 * a bad capacity, allocation or RNG failure. Free with nonce_free().
 * Thread-safe after creation.
 */
struct nonce_table *nonce_new(size_t capacity);

/* Frees the table and wipes its key. NULL is a no-op. */
void	 nonce_free(struct nonce_table *t);

/*
 * Writes a fresh NUL-terminated base64url nonce (128 bits) to out.
 * Returns 0, or -1 (logged) if the cipher fails.
 */
int	 nonce_issue(struct nonce_table *t, char out[NONCE_SIZE]);

/*
 * True exactly once per nonce issued by this table and still inside the
 * window; false for a repeat, an evicted, a forged or a malformed nonce
 * (RFC 8555 §6.5: each nonce is valid for one request). The check and
 * the consumption are one atomic step, so of concurrent callers with the
 * same nonce exactly one wins.
 */
bool	 nonce_redeem(struct nonce_table *t, const char *nonce);

/*
 * RFC 8555 §6.5.1: Replay-Nonce = 1*base64url, i.e. one or more of
 * [A-Za-z0-9_-] and nothing else (no padding). A nonce failing this is
 * answered with `malformed`, one passing it but not redeemable with
 * `badNonce` (§6.5.2). NULL is not well-formed.
 */
bool	 nonce_is_wellformed(const char *nonce);

#endif /* LOCALACME_NONCE_H */
