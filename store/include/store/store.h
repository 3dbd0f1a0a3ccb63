/* store.h - the SQLite store: typed calls per ACME object, the only place SQL exists */
/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_H
#define STORE_STORE_H

/*
 * Threads: a struct store is ONE SQLite connection. Threads may share it,
 * one call (or one transaction) at a time under the caller's lock: the
 * RA shares its one connection among all the server's threads this way,
 * with group commit (store_set_group_commit: the fsync comes after the
 * caller lets go of its lock, one for many threads). Other connections
 * to the same file work too
 * (SQLite's WAL lets readers run beside the single writer; writes wait
 * up to the busy timeout). Process-wide state: one explicit write
 * transaction at a time in the process, whatever the connection
 * (store.c's write_mu).
 *
 * Results: every call returns an enum store_status. STORE_ERR covers all
 * SQLite failures (SQLITE_FULL, IOERR, READONLY, BUSY after the timeout,
 * CORRUPT, ...) and allocation failure; the store logs nothing, so the
 * caller reads store_errmsg() and logs the cause once. The store never
 * builds problems: the RA maps kinds to problems.
 *
 * Out structs: functions filling a struct acme_* first release what it
 * holds (as acme_*_clear() would) and zero it; on any result but STORE_OK
 * it is left zeroed. The caller frees it with acme_*_clear().
 *
 * Atomicity: every call that changes several rows runs in its own
 * transaction. If the caller already holds one (store_begin), the call
 * nests inside it as a SAVEPOINT, so a failing call undoes only its own
 * part and the caller decides about the rest.
 *
 * Times are Unix seconds (time_t). Where a call takes `now`, the caller
 * supplies the clock (tests pin it); calls without one use time(NULL).
 *
 * IDs: the store assigns every resource ID on insert (acme_random_id):
 * a 7-character millisecond stamp, then 128 bits from getrandom(2) as
 * 22 base64url characters, ACME_ID_LEN (29) in all (RFC 8555 §10.5
 * unpredictable URLs, HARDENING Z04; a UUID v7 would carry only 74
 * random bits). The stamp keeps each ID index's new rows on its last
 * pages. IDs of earlier versions (22 random characters) stay valid.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "acme/acme.h"

/* Schema version this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION	5
/* Default wait for a locked database, in milliseconds (HARDENING X12). */
#define STORE_BUSY_TIMEOUT_MS	5000

enum store_status {
	STORE_ERR = -1,		/* SQLite or allocation failure; see store_errmsg */
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such row */
	STORE_CONFLICT		/* unique key taken, or a compare-and-swap lost */
};

struct store;

/* The schema DDL, generated from store/schema.sql at build time. */
extern const char store_schema_sql[];

/* --- connection, errors, transactions --- */

/*
 * Open (creating with mode 0600 if absent) the database at `path`, or
 * ":memory:". Sets WAL, synchronous=FULL (issuance records are durable,
 * HARDENING X03), foreign keys and the busy timeout, and migrates the
 * schema to STORE_SCHEMA_VERSION. Returns a new store, closed by
 * store_close(); NULL on failure with a one-line reason in err (may be
 * NULL). A database of a newer schema version is refused.
 */
struct store	*store_open(const char *path, char *err, size_t errsz);
/*
 * Open an existing database file read-only, for commands that only read
 * (`localacme list`) on a state directory we may not write: no creation,
 * no migration, no journal mode change. Uses SQLite's mode=ro, or
 * immutable=1 when the -shm cannot be made and no -wal exists (no
 * writer). NULL with a one-line reason naming the file in err.
 */
struct store	*store_open_readonly(const char *path, char *err, size_t errsz);
/* Finalise statements and close. NULL-safe. Rolls back an open transaction. */
void		 store_close(struct store *st);

/*
 * Text of the last STORE_ERR on this connection ("" if none). Borrowed,
 * valid until the next call on st. Never shown to clients.
 */
const char	*store_errmsg(const struct store *st);
/* Did the last STORE_ERR come from a lock held elsewhere (SQLITE_BUSY/LOCKED)? */
bool		 store_err_is_busy(const struct store *st);
/* Did the last STORE_ERR come from a full disk or size limit (SQLITE_FULL)? */
bool		 store_err_is_full(const struct store *st);

/*
 * Group commit, for one connection shared by many threads (the server's).
 * After store_set_group_commit(st), durable commits (issuance records,
 * serials, revocations, accounts) no longer fsync inside COMMIT, where the
 * caller holds its lock; instead each thread calls store_sync(st) after
 * letting go of that lock and before it answers anyone. store_sync makes
 * every durable commit made so far on st durable, with one fdatasync(2) of
 * the WAL for all the threads that wait at the same time. Calling it when
 * nothing is pending costs one atomic load. Relaxed commits (new orders,
 * challenge responses: store_txn_begin_relaxed) stay as before. Without
 * group commit, durable commits run synchronous=FULL and store_sync is a
 * no-op. store_sync is thread-safe; everything else on st still needs the
 * caller's serialization. STORE_OK or STORE_ERR (the fsync failed: what
 * was committed may not survive a power loss; logged by the caller).
 */
enum store_status store_set_group_commit(struct store *st);
enum store_status store_sync(struct store *st);
/*
 * A lock section (the caller's serialization, held): store_section_begin
 * at its start; store_section_read_file, before it ends, tells whether
 * anything in it read or wrote the file (a read transaction on main, which
 * every statement on main's tables and every write transaction takes).
 * One that did not saw only the pending tier, which a power loss takes
 * with the process anyway, so its answer need not wait for store_sync
 * (issue #17: no wait for other threads' fsyncs).
 */
void store_section_begin(struct store *st);
bool store_section_read_file(struct store *st);

/* Busy timeout in milliseconds (0 = fail at once). STORE_OK or STORE_ERR. */
enum store_status store_set_busy_timeout(struct store *st, int ms);
/*
 * Cap the database size at about max_bytes (rounded to pages; 0 = no cap
 * beyond SQLite's own). Writes beyond it fail with STORE_ERR and
 * store_err_is_full() (HARDENING X10). STORE_OK or STORE_ERR.
 */
enum store_status store_set_size_limit(struct store *st, uint64_t max_bytes);
/* The database's PRAGMA user_version into *version. */
enum store_status store_schema_version(struct store *st, int *version);

/*
 * Write transaction: BEGIN IMMEDIATE at depth 0, a SAVEPOINT when nested.
 * store_commit releases one level (COMMIT at the outermost);
 * store_rollback undoes one level. STORE_ERR if nothing is open or
 * SQLite fails (a failed COMMIT is rolled back).
 */
enum store_status store_begin(struct store *st);
/*
 * As store_begin, for writes a power loss (not a crash) may forget without
 * harm, because the client just repeats them (a challenge response): the
 * commit is not fsynced. Never for certificates or revocations; a serial
 * only as an issuance intent whose certificate commit (durable, later on
 * the same connection) syncs it first (HARDENING I2).
 */
enum store_status store_begin_relaxed(struct store *st);
/*
 * For writes of pending objects only (a challenge claim and its result,
 * an order's pending -> ready): they live in the pending tier, in memory
 * (docs/ARCHITECTURE.md §4.7), so the transaction takes no write lock on
 * the database file and writes no WAL frame. It continues the read
 * snapshot if one is open. A write to the file inside it still works (an
 * object of an older version's database) but may meet SQLITE_BUSY.
 */
enum store_status store_begin_pending(struct store *st);
enum store_status store_commit(struct store *st);
enum store_status store_rollback(struct store *st);
/* Transaction nesting depth (0 = none). */
int		 store_tx_depth(const struct store *st);

/*
 * A read snapshot: the statements that follow on this connection share one
 * read transaction (one WAL read lock, taken by the first of them) instead
 * of one each, until store_read_end, store_begin, or the first statement
 * that writes, whichever comes first (each of those ends it). Outside any
 * transaction only; a no-op inside one or when one is open. The caller
 * holds it for one request under its lock and ends it before letting go
 * (a snapshot left open would keep checkpoints from passing it).
 */
enum store_status store_read_begin(struct store *st);
void		 store_read_end(struct store *st);

/* --- accounts (RFC 8555 §7.3) --- */

/*
 * Insert a (status, jwk, thumbprint, contact, tos_agreed, eab_kid, eab:
 * the binding's JSON or NULL). Fills a->id, and a->created when it was
 * 0. STORE_CONFLICT if an account has the thumbprint already (atomic:
 * concurrent creates with one key make one row, HARDENING X19). Contacts
 * must not contain '\n' (STORE_ERR).
 */
enum store_status store_account_create(struct store *st, struct acme_account *a);
/*
 * Fill *out (out->jwk and out->eab are heap; acme_account_clear frees).
 * STORE_NOTFOUND.
 */
enum store_status store_account_get(struct store *st, const char *id,
		    struct acme_account *out);
enum store_status store_account_get_by_thumbprint(struct store *st,
		    const char *thumbprint, struct acme_account *out);
/* Replace the contact list. STORE_NOTFOUND if no such account. */
enum store_status store_account_update_contacts(struct store *st,
		    const char *id, const char (*contact)[ACME_CONTACT_SIZE],
		    size_t n);
/*
 * Compare-and-swap the status: STORE_CONFLICT if the account is not in
 * `from` (e.g. deactivated meanwhile), STORE_NOTFOUND if absent. Orders
 * are created only for valid accounts, in the same transaction as the
 * check (HARDENING X22).
 */
enum store_status store_account_set_status(struct store *st, const char *id,
		    enum acme_account_status from, enum acme_account_status to);
/*
 * Key rollover (§7.3.5): set jwk/thumbprint only if the account still has
 * old_tp. STORE_CONFLICT when new_tp belongs to any account (look it up
 * with store_account_get_by_thumbprint); STORE_NOTFOUND when the account
 * is gone or no longer has old_tp (a concurrent rollover won, HARDENING
 * R13).
 */
enum store_status store_account_set_key(struct store *st, const char *id,
		    const char *old_tp, const char *new_jwk, const char *new_tp);

/* --- orders and authorizations (§7.1.3, §7.1.4, §7.4) --- */

/*
 * One transaction: insert the order o (account_id, expires, nident
 * idents, not_before, not_after, profile, replaces; created = now if 0)
 * and, for each identifier i, authzs[i]: if authzs[i].id is set it is an
 * existing authorization to reuse (it must be pending or valid:
 * STORE_CONFLICT otherwise; STORE_NOTFOUND if absent or another
 * account's);
 * otherwise a new one is inserted from authzs[i] (ident, wildcard,
 * status, expires, chall[0..nchall) with type and token; tokens come
 * from the caller and are UNIQUE).
 *
 * Fills o->id, o->created, o->authz_ids (allocated here if NULL; else it
 * must have nident entries), o->status (ready when every authz is valid,
 * else pending: RFC 8555 §7.1.6), and in each new authzs[i] its id,
 * account_id, and every chall id/authz_id/status. Reused authzs[i] are
 * refreshed from the database.
 *
 * The account must exist (STORE_NOTFOUND) and be valid (STORE_CONFLICT),
 * checked in the same transaction (HARDENING X22). nauthz must equal
 * o->nident.
 */
enum store_status store_order_create(struct store *st, struct acme_order *o,
		    struct acme_authz *authzs, size_t nauthz);
/*
 * As store_order_create, for a caller that has itself checked, under the
 * lock that orders this process's account writes, that the account exists
 * and is valid (the RA's account cache, src/ra/acctcache.h): no read of
 * the file (issue #17).
 */
enum store_status store_order_create_checked(struct store *st,
		    struct acme_order *o, struct acme_authz *authzs,
		    size_t nauthz);
/* Fill *out with identifiers and authz IDs (heap; acme_order_clear). */
enum store_status store_order_get(struct store *st, const char *id,
		    struct acme_order *out);
/*
 * One page of an account's orders, oldest first ((created, id) order, so
 * pages stay stable while orders are added). after_cursor NULL or "" for
 * the first page, else a cursor returned before (STORE_NOTFOUND if it
 * names no order of this account). Writes up to `limit` IDs to ids[],
 * their count to *n, and to next_cursor (cursorsz >= ACME_ID_SIZE) the
 * cursor of the next page, "" when this page is the last. next_cursor
 * may be the after_cursor buffer.
 */
enum store_status store_order_list(struct store *st, const char *account_id,
		    const char *after_cursor, size_t limit,
		    char (*ids)[ACME_ID_SIZE], size_t *n,
		    char *next_cursor, size_t cursorsz);
/* Orders the account created at or after `since` (rate limits). */
enum store_status store_order_count_since(struct store *st,
		    const char *account_id, time_t since, size_t *n);
/* CAS: STORE_CONFLICT when the order is not in `from`; STORE_NOTFOUND. */
enum store_status store_order_set_status(struct store *st, const char *id,
		    enum acme_order_status from, enum acme_order_status to);
/*
 * Set status `to` and the error (err NULL or !err->set clears it), unless
 * the order is already valid or invalid (STORE_CONFLICT). STORE_NOTFOUND.
 * (Used by tests only; the RA changes statuses with the compare-and-sets.)
 */
enum store_status store_order_set_error(struct store *st, const char *id,
		    enum acme_order_status to, const struct acme_error *err);

/*
 * Crash-safe issuance, step 1 (docs/HARDENING.md §4, Boulder's order), one
 * transaction: the order goes ready -> processing (compare-and-swap:
 * concurrent finalizes, exactly one wins, HARDENING X18) and `serial` is
 * recorded as reserved for it (the issuance intent, HARDENING I2).
 * STORE_NOTFOUND if no such order. STORE_CONFLICT with
 * *serial_conflict = false if the order was not ready (orderNotReady),
 * or with *serial_conflict = true if the serial was ever used before
 * (draw another and retry); nothing changes in either case.
 * serial_conflict may be NULL.
 */
enum store_status store_order_begin_processing(struct store *st,
		    const char *order_id, const char *serial,
		    bool *serial_conflict);
/*
 * As store_order_begin_processing, and first, in the same transaction,
 * the finalize's check that the certificate's key is no account's key
 * (RFC 8555 §11.1): key_tp is its JWK thumbprint (NULL or "": none).
 * STORE_CONFLICT with *key_is_account = true if an account has it;
 * nothing changes. One transaction instead of a read before it: the
 * read was a WAL read lock of its own, two fcntl calls (issue #17).
 * key_is_account may be NULL.
 */
enum store_status store_order_begin_processing_key(struct store *st,
		    const char *order_id, const char *serial,
		    const char *key_tp, bool *serial_conflict,
		    bool *key_is_account);
/*
 * Step 3, one transaction: insert the certificate (cert->serial must be
 * the serial reserved for this order; its order_id and account_id are
 * taken from the order), mark the serial issued, and the order
 * processing -> valid with cert_serial. STORE_CONFLICT if the order is
 * not processing or the serial is not reserved for it; STORE_NOTFOUND.
 * On failure nothing changes (the order stays processing).
 */
enum store_status store_order_finish(struct store *st, const char *order_id,
		    const struct acme_cert *cert);
/*
 * Issuance failed: processing -> invalid with err, one transaction. The
 * reserved serial is marked failed if cert_may_exist is false (signing
 * certainly produced nothing); if true (signed but not stored) it stays
 * reserved, forever "may exist" (HARDENING I2). STORE_CONFLICT if the
 * order is not processing; STORE_NOTFOUND.
 */
enum store_status store_order_fail(struct store *st, const char *order_id,
		    const struct acme_error *err, bool cert_may_exist);
/*
 * The edges of the start-up sweep, named by the RA (src/ra/ra_state.c
 * checks them against acme/object.c's table; the store chooses none).
 */
struct store_recovery {
	enum acme_order_status	 order_from, order_to;
	enum acme_chall_status	 chall_from, chall_to;
};
/*
 * Start-up sweep (HARDENING I5), one durable transaction: every order in
 * r->order_from that began processing at or before `now` becomes
 * r->order_to with *err (the caller's serverInternal error; the store
 * does not know problem types). Their reserved serials stay reserved
 * forever. Every challenge in r->chall_from becomes r->chall_to (a
 * validation that died with the process), so clients can retry. Call it
 * at start-up, before validations run. *n (may be NULL) = orders
 * recovered.
 */
enum store_status store_recover_processing(struct store *st, time_t now,
		    const struct store_recovery *r,
		    const struct acme_error *err, size_t *n);

/* Fill *out with its challenges (ordered as inserted). STORE_NOTFOUND. */
enum store_status store_authz_get(struct store *st, const char *id,
		    struct acme_authz *out);
/*
 * CAS from -> to, one statement (in the caller's transaction, if any).
 * Only the authorization: its orders follow in the RA
 * (src/ra/ra_state.c, with store_orders_of_authz). STORE_CONFLICT when
 * not in `from`; STORE_NOTFOUND.
 */
enum store_status store_authz_set_status(struct store *st, const char *id,
		    enum acme_authz_status from, enum acme_authz_status to);
/* An order of an authorization, as the RA's cascade needs it. */
struct store_authz_order {
	char			 id[ACME_ID_SIZE];
	enum acme_order_status	 status;
	bool			 all_authzs_valid;	/* every one of its authzs */
};
/*
 * Every order that uses authorization authz_id: *out (heap, free(3);
 * NULL when *n is 0) holds *n entries. One statement.
 */
enum store_status store_orders_of_authz(struct store *st,
		    const char *authz_id, struct store_authz_order **out,
		    size_t *n);
/*
 * Authz reuse: the account's valid authz for ident/wildcard with the
 * latest expiry, expiring after `now`. STORE_NOTFOUND if none.
 */
enum store_status store_authz_find_valid(struct store *st,
		    const char *account_id, const struct acme_identifier *ident,
		    bool wildcard, time_t now, struct acme_authz *out);
/* Same for a pending authz (Boulder reuses those too). STORE_NOTFOUND. */
enum store_status store_authz_find_pending(struct store *st,
		    const char *account_id, const struct acme_identifier *ident,
		    bool wildcard, time_t now, struct acme_authz *out);
/* The account's pending authzs (rate limit), counting expired ones not yet swept. */
enum store_status store_authz_count_pending(struct store *st,
		    const char *account_id, size_t *n);

/*
 * Fill *out, and *authz_out (may be NULL) with the challenge's authz and
 * all its challenges. STORE_NOTFOUND.
 */
enum store_status store_challenge_get(struct store *st, const char *id,
		    struct acme_challenge *out, struct acme_authz *authz_out);
/*
 * Claim the validation (§7.5.1; one validation at a time, HARDENING
 * X20): pending -> processing, only while its authz is pending and no
 * other challenge of that authz left pending. STORE_CONFLICT otherwise;
 * STORE_NOTFOUND. One statement; in a relaxed transaction of its own
 * unless the caller has one open.
 */
enum store_status store_challenge_begin(struct store *st, const char *chall_id);
/*
 * CAS from -> to, one statement (in the caller's transaction, if any),
 * also setting `validated` (0 = none) and the error (err NULL or
 * !err->set clears it). authz_id (may be NULL) receives the challenge's
 * authorization. STORE_CONFLICT when not in `from`; STORE_NOTFOUND.
 */
enum store_status store_challenge_set_status(struct store *st,
		    const char *id, enum acme_chall_status from,
		    enum acme_chall_status to, const struct acme_error *err,
		    time_t validated, char authz_id[ACME_ID_SIZE]);

/*
 * The edges of the expiry sweep, named by the RA (src/ra/ra_state.c
 * checks them against acme/object.c's table; the store chooses none).
 */
struct store_expiry {
	enum acme_authz_status	 authz_from[2], authz_to;
	enum acme_order_status	 order_from[2], order_to;
};
/*
 * Expiry sweep, one durable transaction: authzs in e->authz_from with
 * expires <= now become e->authz_to; orders in e->order_from with
 * expires <= now, or using such an authz, become e->order_to. Call it
 * periodically (the RA should still compare `expires` when it reads an
 * object, since the sweep lags). *nauthz, *norder (may be NULL) = rows
 * changed.
 */
enum store_status store_expire(struct store *st, time_t now,
		    const struct store_expiry *e, size_t *nauthz,
		    size_t *norder);

/* --- serials and certificates --- */

/*
 * Reserve a serial before signing (CLI issuance; the server path uses
 * store_order_begin_processing). order_id may be NULL. STORE_CONFLICT if
 * the serial was ever reserved (I3: never reused).
 */
enum store_status store_serial_reserve(struct store *st, const char *serial,
		    const char *order_id);
/*
 * Mark a reserved serial failed: signing certainly produced nothing.
 * STORE_CONFLICT if it is not reserved; STORE_NOTFOUND.
 */
enum store_status store_serial_fail(struct store *st, const char *serial);
/*
 * Insert a certificate whose serial is reserved (CLI issuance) and mark
 * the serial issued, one transaction. Empty account_id/order_id are
 * stored as NULL. STORE_NOTFOUND if the serial was never reserved,
 * STORE_CONFLICT if it is not in state reserved.
 */
enum store_status store_cert_insert(struct store *st,
		    const struct acme_cert *cert);
/* Fill *out (pem, chain_pem, names are heap; acme_cert_clear). STORE_NOTFOUND. */
enum store_status store_cert_get(struct store *st, const char *serial,
		    struct acme_cert *out);
/*
 * Call cb for every certificate, newest issued first. The struct is
 * borrowed for the call only; pem and chain_pem are loaded only when
 * with_pem (else NULL). A non-zero cb return stops the walk (STORE_OK).
 * cb may call other store functions on st, but not store_cert_list.
 */
enum store_status store_cert_list(struct store *st, bool with_pem,
		    int (*cb)(const struct acme_cert *cert, void *arg), void *arg);
/*
 * One page of the listing (`localacme list`, the status page): newest
 * issued first, keyset-paged by (issued, serial), so a page costs the
 * same at any depth. Every field may be zero/NULL (no filter).
 */
struct store_cert_query {
	const char	*source;	/* "acme", "cli", "server"; NULL = all */
	time_t		 expiring_before; /* 0 = any; else valid, not
					   revoked, now <= not_after < this */
	time_t		 now;
	time_t		 before_issued;	/* cursor: rows strictly older than */
	const char	*before_serial;	/* (before_issued, before_serial); NULL = newest */
	size_t		 limit;		/* 0 = no limit */
};
/* What the listing adds to a row. */
struct store_cert_info {
	char		 profile[ACME_PROFILE_SIZE]; /* its order's; "" */
	time_t		 next_issued;	/* the first later certificate for the
					   very same names: its issued; 0 = none */
};
/*
 * cb for each row of the query (PEMs not loaded); both structs are
 * borrowed for the call. A non-zero cb return stops the walk (STORE_OK).
 */
enum store_status store_cert_page(struct store *st,
		    const struct store_cert_query *q,
		    int (*cb)(const struct acme_cert *cert,
		    const struct store_cert_info *info, void *arg), void *arg);
/*
 * CAS valid -> revoked with reason and time (HARDENING V06, X21):
 * STORE_CONFLICT if already revoked; STORE_NOTFOUND.
 */
enum store_status store_cert_revoke(struct store *st, const char *serial,
		    int reason, time_t revoked_at);
enum store_status store_cert_count(struct store *st, size_t *n);

/* --- misc state --- */

/* *value = a new string (caller frees with free()); STORE_NOTFOUND. */
enum store_status store_meta_get(struct store *st, const char *key,
		    char **value);
/* Insert or replace. */
enum store_status store_meta_set(struct store *st, const char *key,
		    const char *value);

/*
 * PRAGMA integrity_check and foreign_key_check (HARDENING I1): *ok is
 * true when both are clean. STORE_ERR if they could not run.
 */
enum store_status store_integrity_check(struct store *st, bool *ok);

/* --- EAB keys (store_eab.c), ARI and replacements (store_renewal.c), CRLs (store_crl.c) --- */

/* An external account binding key (RFC 8555 §7.3.4). */
struct store_eab {
	char		 kid[64];
	unsigned char	 key[64];	/* HMAC key; wipe with OPENSSL_cleanse */
	size_t		 keylen;
	bool		 single_use;
	unsigned	 uses;		/* accounts bound with it so far */
	char		 last_account[ACME_ID_SIZE];	/* "" if unused */
	time_t		 created;
};

/* Insert a key (keylen 1..64). STORE_CONFLICT if the kid exists. */
enum store_status store_eab_create(struct store *st, const struct store_eab *k);
/* Fill *out. STORE_NOTFOUND. */
enum store_status store_eab_get(struct store *st, const char *kid,
		    struct store_eab *out);
/*
 * Record that account_id was bound with kid (in the caller's
 * transaction, together with the account insert). For a single-use key
 * this is a compare-and-swap on "never used": STORE_CONFLICT when it was
 * used already (HARDENING E07); STORE_NOTFOUND if the kid is gone.
 */
enum store_status store_eab_use(struct store *st, const char *kid,
		    const char *account_id);
/* Delete a key (accounts bound with it stay). STORE_NOTFOUND. */
enum store_status store_eab_remove(struct store *st, const char *kid);
/*
 * Call cb for every key, oldest first; the struct is borrowed for the
 * call, its key bytes are zeroed (listing never shows keys). A non-zero
 * cb return stops the walk.
 */
enum store_status store_eab_list(struct store *st,
		    int (*cb)(const struct store_eab *k, void *arg), void *arg);

/*
 * RFC 9773: an operator- or test-set renewal window for a certificate
 * (the management API's set-renewal-info). explanation_url may be NULL.
 * STORE_NOTFOUND if no such certificate.
 */
enum store_status store_renewal_info_set(struct store *st, const char *serial,
		    time_t start, time_t end, const char *explanation_url);
/* The window set for serial; STORE_NOTFOUND if none was set. */
enum store_status store_renewal_info_get(struct store *st, const char *serial,
		    time_t *start, time_t *end, char *url, size_t urlsz);

/*
 * RFC 9773 §5: *replaced = whether a valid (finalized) order names
 * certid in "replaces" (other than the order except_order_id, may be
 * NULL). STORE_OK or STORE_ERR.
 */
enum store_status store_order_replaced(struct store *st, const char *certid,
		    const char *except_order_id, bool *replaced);

/*
 * Call cb for every revoked certificate (pem and chain_pem loaded),
 * ordered by serial. A non-zero cb return stops the walk.
 */
enum store_status store_cert_list_revoked(struct store *st,
		    int (*cb)(const struct acme_cert *cert, void *arg), void *arg);
/*
 * A cheap fingerprint of the revocation set: the number of revoked
 * certificates and the latest revocation time (CRL regeneration).
 */
enum store_status store_revocation_stamp(struct store *st, size_t *count,
		    time_t *latest);
/*
 * Atomically increment and return the counter `key` of the meta table
 * (starting at 1): CRL numbers (RFC 5280 §5.2.3), never reused.
 */
enum store_status store_counter_next(struct store *st, const char *key,
		    uint64_t *out);

#endif /* STORE_STORE_H */
