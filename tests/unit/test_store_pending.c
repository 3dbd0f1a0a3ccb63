/* test_store_pending.c - the pending tier: pending objects in memory, moved to the file at the serial reservation (store/store_pending.c) */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"	/* st->db, for the pend schema's counts */
#include "testutil.h"

struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
	time_t		 now;
};

static int
setup(void **state)
{
	struct fx	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pending.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/localacme.db", f->dir);
	if ((f->st = store_open(f->path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	f->now = time(NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	tu_rmrf(f->dir);
	free(f);
	return 0;
}

/* One integer from sql on a separate read-only connection to the file. */
static long
file_count(const struct fx *f, const char *sql)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*q = NULL;
	long		 n = -1;

	if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &q, NULL) ==
	    SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* One integer from sql on the store's own connection (pend is there). */
static long
own_count(const struct fx *f, const char *sql)
{
	sqlite3_stmt	*q = NULL;
	long		 n = -1;

	if (sqlite3_prepare_v2(f->st->db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static long
pend_rows(const struct fx *f)
{
	return own_count(f, "SELECT (SELECT count(*) FROM pend.orders) + "
	    "(SELECT count(*) FROM pend.authzs) + "
	    "(SELECT count(*) FROM pend.challenges) + "
	    "(SELECT count(*) FROM pend.order_identifiers)");
}

static long
file_rows(const struct fx *f, const char *table)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return file_count(f, sql);
}

static void
account(struct fx *f, struct acme_account *a)
{
	memset(a, 0, sizeof(*a));
	a->status = ACME_ACCOUNT_VALID;
	a->jwk = strdup("{\"kty\":\"EC\"}");
	snprintf(a->thumbprint, sizeof(a->thumbprint), "tp-pending");
	a->created = f->now;
	assert_int_equal(store_account_create(f->st, a), STORE_OK);
}

/*
 * An order for `name`: a new authorization with two challenges (status
 * `as`), or the existing authorization reuse_id. Expires at `expires`.
 */
static void
order(struct fx *f, const struct acme_account *a, const char *name,
    enum acme_authz_status as, const char *reuse_id, time_t expires,
    struct acme_order *o, struct acme_authz *az)
{
	static unsigned tokn;

	memset(o, 0, sizeof(*o));
	memset(az, 0, sizeof(*az));
	assert_int_equal(acme_order_alloc_idents(o, 1), 0);
	snprintf(o->account_id, sizeof(o->account_id), "%s", a->id);
	o->created = f->now;
	o->expires = expires;
	o->idents[0].type = ACME_IDENT_DNS;
	snprintf(o->idents[0].value, sizeof(o->idents[0].value), "%s", name);
	az->ident = o->idents[0];
	az->status = as;
	az->expires = expires;
	if (reuse_id != NULL)
		snprintf(az->id, sizeof(az->id), "%s", reuse_id);
	az->nchall = 2;
	az->chall[0].type = ACME_CHALL_HTTP01;
	az->chall[1].type = ACME_CHALL_DNS01;
	for (int i = 0; i < 2; i++)
		snprintf(az->chall[i].token, sizeof(az->chall[i].token),
		    "pendtok%06u", ++tokn);
	assert_int_equal(store_order_create(f->st, o, az, 1), STORE_OK);
}

/* Drive a one-name pending order to ready, as the RA's cascade does. */
static void
validate(struct fx *f, struct acme_order *o, struct acme_authz *az)
{
	char authz_id[ACME_ID_SIZE];

	assert_int_equal(store_challenge_begin(f->st, az->chall[0].id),
	    STORE_OK);
	assert_int_equal(store_challenge_set_status(f->st, az->chall[0].id,
	    ACME_CHALL_PROCESSING, ACME_CHALL_VALID, NULL, f->now, authz_id),
	    STORE_OK);
	assert_int_equal(store_authz_set_status(f->st, az->id,
	    ACME_AUTHZ_PENDING, ACME_AUTHZ_VALID), STORE_OK);
	assert_int_equal(store_order_set_status(f->st, o->id,
	    ACME_ORDER_PENDING, ACME_ORDER_READY), STORE_OK);
}

static enum acme_order_status
status_of(struct store *st, const char *id)
{
	struct acme_order	 got = { 0 };
	enum acme_order_status	 s;

	assert_int_equal(store_order_get(st, id, &got), STORE_OK);
	s = got.status;
	acme_order_clear(&got);
	return s;
}

/*
 * A pending order, its authorization and challenges are in the
 * connection's memory: not in the file, not seen by another connection,
 * and no WAL frame is written for them. The serial reservation moves
 * them into the file in its transaction: the order, its identifier, the
 * authorization and the challenge that was validated; the challenge never
 * attempted is dropped (RFC 8555 §7.1.4: a valid authorization lists the
 * validated one).
 */
static void
test_pending_objects_reach_the_file_at_the_reservation(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o, got = { 0 };
	struct acme_authz	 az;
	struct store		*other;
	struct stat		 before, after;
	char			 wal[160], err[256];
	bool			 sc = true;

	account(f, &a);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &before), 0);
	order(f, &a, "pending.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o, &az);
	validate(f, &o, &az);
	assert_int_equal(stat(wal, &after), 0);
	assert_int_equal((long)after.st_size, (long)before.st_size);
	assert_int_equal(file_rows(f, "orders"), 0);
	assert_int_equal(file_rows(f, "authzs"), 0);
	assert_int_equal(file_rows(f, "challenges"), 0);
	assert_int_equal(pend_rows(f), 1 + 1 + 2 + 1);
	assert_int_equal(status_of(f->st, o.id), ACME_ORDER_READY);
	assert_non_null(other = store_open(f->path, err, sizeof(err)));
	assert_int_equal(store_order_get(other, o.id, &got), STORE_NOTFOUND);

	assert_int_equal(store_order_begin_processing(f->st, o.id, "0a01", &sc),
	    STORE_OK);
	assert_false(sc);
	assert_int_equal(pend_rows(f), 0);
	assert_int_equal(file_rows(f, "orders"), 1);
	assert_int_equal(file_rows(f, "order_identifiers"), 1);
	assert_int_equal(file_rows(f, "authzs"), 1);
	assert_int_equal(file_rows(f, "challenges"), 1);
	assert_int_equal(file_count(f, "SELECT count(*) FROM serials "
	    "WHERE state = 'reserved'"), 1);
	assert_int_equal(file_count(f, "SELECT count(*) FROM challenges "
	    "WHERE status = 'valid'"), 1);
	/* Now every connection reads it from the file. */
	assert_int_equal(status_of(other, o.id), ACME_ORDER_PROCESSING);
	assert_int_equal(status_of(f->st, o.id), ACME_ORDER_PROCESSING);
	store_close(other);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/* A reservation that loses its compare-and-set moves nothing (rollback). */
static void
test_pending_failed_reservation_moves_nothing(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az;
	bool			 sc = true;

	account(f, &a);
	order(f, &a, "notready.test", ACME_AUTHZ_PENDING, NULL,
	    f->now + 3600, &o, &az);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "0a02", &sc),
	    STORE_CONFLICT);
	assert_int_equal(store_tx_depth(f->st), 0);
	assert_int_equal(file_rows(f, "orders"), 0);
	assert_int_equal(file_rows(f, "authzs"), 0);
	assert_int_equal(file_rows(f, "serials"), 0);
	assert_int_equal(pend_rows(f), 1 + 1 + 2 + 1);
	assert_int_equal(status_of(f->st, o.id), ACME_ORDER_PENDING);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/*
 * A valid authorization reused by a second order (RFC 8555 §7.1.3,
 * authorization reuse) moves with the first order finalized; the second,
 * still in memory, reads it from the file and moves without it.
 */
static void
test_pending_reused_authz_moves_once(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o1, o2;
	struct acme_authz	 az1, az2, got = { 0 };
	bool			 sc = true;

	account(f, &a);
	order(f, &a, "reuse.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o1, &az1);
	validate(f, &o1, &az1);
	order(f, &a, "reuse.test", ACME_AUTHZ_VALID, az1.id, f->now + 3600,
	    &o2, &az2);
	assert_int_equal(o2.status, ACME_ORDER_READY);
	assert_int_equal(store_order_begin_processing(f->st, o1.id, "0a03",
	    &sc), STORE_OK);
	assert_int_equal(file_rows(f, "authzs"), 1);
	assert_int_equal(store_authz_get(f->st, az1.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_AUTHZ_VALID);
	acme_authz_clear(&got);
	assert_int_equal(status_of(f->st, o2.id), ACME_ORDER_READY);
	assert_int_equal(store_order_begin_processing(f->st, o2.id, "0a04",
	    &sc), STORE_OK);
	assert_int_equal(file_rows(f, "orders"), 2);
	assert_int_equal(file_rows(f, "authzs"), 1);
	assert_int_equal(file_rows(f, "order_identifiers"), 2);
	assert_int_equal(pend_rows(f), 0);
	acme_order_clear(&o1);
	acme_order_clear(&o2);
	acme_account_clear(&a);
}

/* Has this connection's open transaction read the file? */
static bool
file_read(struct fx *f)
{
	return sqlite3_txn_state(f->st->db, "main") != SQLITE_TXN_NONE;
}

/*
 * Reads by ID look in pend first: an authorization or challenge in the
 * pending tier is read without a WAL read lock on the file (inside a lock
 * section's snapshot, main's transaction state stays NONE); one in the
 * file is still found there, and then the file is read.
 */
static void
test_pending_reads_by_id_leave_the_file_alone(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o1, o2;
	struct acme_authz	 az1, az2, got = { 0 };
	struct acme_challenge	 c;
	struct store_authz_order *ao = NULL;
	size_t			 n = 0;
	bool			 sc = true;

	account(f, &a);
	order(f, &a, "filed.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o1, &az1);
	validate(f, &o1, &az1);
	assert_int_equal(store_order_begin_processing(f->st, o1.id, "0a05",
	    &sc), STORE_OK);
	order(f, &a, "memory.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o2, &az2);

	assert_int_equal(store_read_begin(f->st), STORE_OK);
	assert_false(file_read(f));
	assert_int_equal(store_authz_get(f->st, az2.id, &got), STORE_OK);
	assert_int_equal(got.nchall, 2);
	assert_string_equal(got.chall[1].token, az2.chall[1].token);
	acme_authz_clear(&got);
	assert_int_equal(store_challenge_get(f->st, az2.chall[1].id, &c, &got),
	    STORE_OK);
	assert_string_equal(c.token, az2.chall[1].token);
	assert_string_equal(got.id, az2.id);
	acme_authz_clear(&got);
	/* The order, the pending count, the orders of the authorization. */
	assert_int_equal(status_of(f->st, o2.id), ACME_ORDER_PENDING);
	assert_int_equal(store_authz_count_pending(f->st, a.id, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_orders_of_authz(f->st, az2.id, &ao, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ao[0].id, o2.id);
	free(ao);
	assert_false(file_read(f));
	/* In the file: found there (with its one validated challenge). */
	assert_int_equal(store_authz_get(f->st, az1.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_AUTHZ_VALID);
	assert_int_equal(got.nchall, 1);
	assert_int_equal(got.chall[0].status, ACME_CHALL_VALID);
	acme_authz_clear(&got);
	assert_true(file_read(f));
	store_read_end(f->st);
	assert_int_equal(store_read_begin(f->st), STORE_OK);
	assert_int_equal(status_of(f->st, o1.id), ACME_ORDER_PROCESSING);
	assert_true(file_read(f));
	store_read_end(f->st);
	/* A pending challenge's claim, in a transaction of the caller. */
	assert_int_equal(store_begin_pending(f->st), STORE_OK);
	assert_int_equal(store_challenge_begin(f->st, az2.chall[0].id),
	    STORE_OK);
	assert_false(file_read(f));
	assert_int_equal(store_rollback(f->st), STORE_OK);
	assert_int_equal(store_challenge_get(f->st, az1.chall[0].id, &c, &got),
	    STORE_OK);
	assert_string_equal(got.id, az1.id);
	acme_authz_clear(&got);
	/* Neither tier: not found. */
	assert_int_equal(store_authz_get(f->st, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    &got), STORE_NOTFOUND);
	assert_int_equal(store_challenge_get(f->st, az1.chall[1].id, &c, NULL),
	    STORE_NOTFOUND);	/* never attempted: dropped at the move */
	acme_order_clear(&o1);
	acme_order_clear(&o2);
	acme_account_clear(&a);
}

/*
 * The orders of a pending authorization are read in pend alone, but an
 * order may also name a reused authorization in the file (--authz-reuse):
 * then "every authorization valid" is decided with both tiers, so one
 * deactivated in the file still counts (RFC 8555 §7.1.6).
 */
static void
test_pending_orders_of_authz_see_reused_file_authz(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o1, o2;
	struct acme_authz	 az1, az[2];
	struct store_authz_order *ao = NULL;
	size_t			 n = 0;
	bool			 sc = true;

	account(f, &a);
	order(f, &a, "mixed-a.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o1, &az1);
	validate(f, &o1, &az1);
	assert_int_equal(store_order_begin_processing(f->st, o1.id, "0a06",
	    &sc), STORE_OK);		/* az1 is in the file now */
	/* o2: az1 reused, and a new authorization in pend */
	memset(&o2, 0, sizeof(o2));
	memset(az, 0, sizeof(az));
	assert_int_equal(acme_order_alloc_idents(&o2, 2), 0);
	snprintf(o2.account_id, sizeof(o2.account_id), "%s", a.id);
	o2.created = f->now;
	o2.expires = f->now + 3600;
	o2.idents[0] = az1.ident;
	o2.idents[1].type = ACME_IDENT_DNS;
	snprintf(o2.idents[1].value, sizeof(o2.idents[1].value),
	    "mixed-b.test");
	snprintf(az[0].id, sizeof(az[0].id), "%s", az1.id);
	az[1].ident = o2.idents[1];
	az[1].status = ACME_AUTHZ_PENDING;
	az[1].expires = o2.expires;
	az[1].nchall = 1;
	az[1].chall[0].type = ACME_CHALL_HTTP01;
	snprintf(az[1].chall[0].token, sizeof(az[1].chall[0].token),
	    "mixedtok000001");
	assert_int_equal(store_order_create(f->st, &o2, az, 2), STORE_OK);
	assert_int_equal(o2.status, ACME_ORDER_PENDING);
	assert_int_equal(store_authz_set_status(f->st, az[1].id,
	    ACME_AUTHZ_PENDING, ACME_AUTHZ_VALID), STORE_OK);
	assert_int_equal(store_orders_of_authz(f->st, az[1].id, &ao, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_true(ao[0].all_authzs_valid);
	free(ao);
	/* the reused one, in the file, deactivated: not every one is valid */
	assert_int_equal(store_authz_set_status(f->st, az1.id,
	    ACME_AUTHZ_VALID, ACME_AUTHZ_DEACTIVATED), STORE_OK);
	assert_int_equal(store_orders_of_authz(f->st, az[1].id, &ao, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ao[0].id, o2.id);
	assert_false(ao[0].all_authzs_valid);
	free(ao);
	/* and from the file's side, o2 is found in pend */
	assert_int_equal(store_orders_of_authz(f->st, az1.id, &ao, &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	free(ao);
	acme_order_clear(&o1);
	acme_order_clear(&o2);
	acme_account_clear(&a);
}

static void
sweep(struct fx *f, time_t now)
{
	static const struct store_expiry e = {
		.authz_from = { ACME_AUTHZ_PENDING, ACME_AUTHZ_VALID },
		.authz_to = ACME_AUTHZ_EXPIRED,
		.order_from = { ACME_ORDER_PENDING, ACME_ORDER_READY },
		.order_to = ACME_ORDER_INVALID,
	};

	assert_int_equal(store_expire(f->st, now, &e, NULL, NULL), STORE_OK);
}

/*
 * Memory follows the live set: the sweep turns an expired order invalid
 * (a poll still reads why for ten minutes), then drops it with its
 * authorization; a live order stays.
 */
static void
test_pending_expired_objects_are_dropped(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 old, live, got = { 0 };
	struct acme_authz	 az1, az2, gz = { 0 };

	account(f, &a);
	order(f, &a, "old.test", ACME_AUTHZ_PENDING, NULL, f->now + 60, &old,
	    &az1);
	order(f, &a, "live.test", ACME_AUTHZ_PENDING, NULL, f->now + 86400,
	    &live, &az2);
	sweep(f, f->now + 120);		/* expired a minute ago: kept */
	assert_int_equal(status_of(f->st, old.id), ACME_ORDER_INVALID);
	assert_int_equal(store_authz_get(f->st, az1.id, &gz), STORE_OK);
	assert_int_equal(gz.status, ACME_AUTHZ_EXPIRED);
	acme_authz_clear(&gz);
	sweep(f, f->now + 60 + 601);	/* past the ten minutes: dropped */
	assert_int_equal(store_order_get(f->st, old.id, &got), STORE_NOTFOUND);
	assert_int_equal(store_authz_get(f->st, az1.id, &gz), STORE_NOTFOUND);
	assert_int_equal(status_of(f->st, live.id), ACME_ORDER_PENDING);
	assert_int_equal(pend_rows(f), 1 + 1 + 2 + 1);
	acme_order_clear(&old);
	acme_order_clear(&live);
	acme_account_clear(&a);
}

/* The decision (docs/ARCHITECTURE.md §4.7): a restart forgets them. */
static void
test_pending_objects_do_not_survive_a_reopen(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, got_a = { 0 };
	struct acme_order	 o, got = { 0 };
	struct acme_authz	 az;
	char			 err[256];

	account(f, &a);
	order(f, &a, "gone.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o, &az);
	store_close(f->st);
	assert_non_null(f->st = store_open(f->path, err, sizeof(err)));
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_NOTFOUND);
	assert_int_equal(store_account_get(f->st, a.id, &got_a), STORE_OK);
	acme_account_clear(&got_a);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/*
 * A database an earlier version wrote may hold pending authorizations in
 * the file: the pending count reads both tiers then (main_pending, set
 * when the tier is attached), and pend alone otherwise.
 */
static void
test_pending_count_sees_earlier_versions_pending_authzs(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az;
	char			 sql[256], err[256];
	size_t			 n = 0;

	account(f, &a);
	order(f, &a, "now.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o, &az);
	assert_int_equal(store_read_begin(f->st), STORE_OK);
	assert_int_equal(store_authz_count_pending(f->st, a.id, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_false(file_read(f));
	store_read_end(f->st);
	/* as an earlier version left it: a pending authorization in main */
	snprintf(sql, sizeof(sql), "INSERT INTO main.authzs (id, account_id, "
	    "ident_type, ident_value, status, expires) VALUES "
	    "('legacyAuthzId000000000', '%s', 'dns', 'old.test', 'pending', "
	    "%lld)", a.id, (long long)f->now + 3600);
	assert_int_equal(sqlite3_exec(f->st->db, sql, NULL, NULL, NULL),
	    SQLITE_OK);
	store_close(f->st);
	assert_non_null(f->st = store_open(f->path, err, sizeof(err)));
	assert_int_equal(store_authz_count_pending(f->st, a.id, &n), STORE_OK);
	assert_int_equal(n, 1);		/* the pend one died with the process */
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/*
 * Pending writes take no write lock on the file: while another process
 * holds it, a new order and its validation still go through at once.
 */
static void
test_pending_writes_need_no_file_write_lock(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az;
	sqlite3			*db = NULL;

	account(f, &a);
	assert_int_equal(store_set_busy_timeout(f->st, 50), STORE_OK);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	order(f, &a, "locked.test", ACME_AUTHZ_PENDING, NULL, f->now + 3600,
	    &o, &az);
	validate(f, &o, &az);
	assert_int_equal(status_of(f->st, o.id), ACME_ORDER_READY);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_pending_objects_reach_the_file_at_the_reservation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_failed_reservation_moves_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_reused_authz_moves_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_expired_objects_are_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_objects_do_not_survive_a_reopen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_writes_need_no_file_write_lock,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_reads_by_id_leave_the_file_alone,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_orders_of_authz_see_reused_file_authz,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pending_count_sees_earlier_versions_pending_authzs,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
