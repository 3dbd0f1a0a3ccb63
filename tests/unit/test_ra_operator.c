/* test_ra_operator.c - src/ra/ra_operator.c: the operator's, the management API's and the CRL publisher's calls through the RA */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "store/store.h"
#include "ra.h"

/*
 * An RA without CA, policy or VA, as the operator commands open it, and
 * a second connection that stands for another process (it puts rows in
 * that the RA has no call to make).
 */
struct fx {
	char		 dir[64];
	char		 db[128];
	struct ra	*ra;
	struct store	*other;
	unsigned	 revokes;	/* on_revoke calls */
	bool		 unlocked;	/* the RA answered during on_revoke */
	struct probe	*probe;		/* joined by the test, after the call */
};

struct probe {
	struct ra	*ra;
	pthread_t	 t;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 done;
};

static void on_revoke(void *arg);

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	struct ra_opts	 ro;
	char		 err[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ra_operator.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/localacme.db", f->dir);
	memset(&ro, 0, sizeof(ro));
	ro.db_path = f->db;
	ro.on_revoke = on_revoke;
	ro.on_revoke_arg = f;
	f->ra = ra_new(&ro, NULL, NULL, err, sizeof(err));
	if (f->ra == NULL)
		fprintf(stderr, "ra_new: %s\n", err);
	assert_non_null(f->ra);
	assert_non_null(f->other = store_open(f->db, err, sizeof(err)));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 cmd[160];

	store_close(f->other);
	ra_free(f->ra);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A certificate row for serial, issued at `issued` by chain, valid until not_after. */
static void
cert(struct fx *f, const char *serial, const char *chain, time_t issued,
    time_t not_after)
{
	struct acme_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	c.names = "op.test";
	c.pem = "PEM";
	c.chain_pem = (char *)chain;
	c.not_before = issued;
	c.not_after = not_after;
	c.issued = issued;
	assert_int_equal(store_serial_reserve(f->other, serial, NULL),
	    STORE_OK);
	assert_int_equal(store_cert_insert(f->other, &c), STORE_OK);
}

/* ---------- on_revoke runs with the RA's lock let go ---------- */

static void *
probe_main(void *arg)
{
	struct probe			*p = arg;
	struct ra_revocation_stamp	 s;
	char				 err[256];

	(void)ra_revocation_stamp(p->ra, &s, err, sizeof(err));
	pthread_mutex_lock(&p->mu);
	p->done = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Another thread asks the RA something; if it answers within two
 * seconds, this thread does not hold the RA's lock. The test joins the
 * probe after the revocation returned (and let go of the lock, if the
 * hook ran under it).
 */
static void
on_revoke(void *arg)
{
	struct fx	*f = arg;
	struct probe	*p;
	struct timespec	 until;

	f->revokes++;
	assert_non_null(p = calloc(1, sizeof(*p)));
	p->ra = f->ra;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	assert_int_equal(pthread_create(&p->t, NULL, probe_main, p), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&p->mu);
	while (!p->done && pthread_cond_timedwait(&p->cv, &p->mu,
	    &until) == 0)
		;
	f->unlocked = p->done;
	pthread_mutex_unlock(&p->mu);
	f->probe = p;
}

static void
probe_join(struct fx *f)
{
	if (f->probe == NULL)
		return;
	pthread_join(f->probe->t, NULL);
	pthread_cond_destroy(&f->probe->cv);
	pthread_mutex_destroy(&f->probe->mu);
	free(f->probe);
	f->probe = NULL;
}

static void
test_revoke_serial(void **state)
{
	struct fx		*f = *state;
	struct acme_cert	 c = { 0 };
	char			 err[512];
	time_t			 now = time(NULL);

	assert_int_equal(ra_revoke_serial(f->ra, "0abc", 1, now, err,
	    sizeof(err)), RA_NOTFOUND);
	assert_int_equal(f->revokes, 0);
	cert(f, "0abc", "CHAIN", now - 60, now + 86400);
	assert_int_equal(ra_revoke_serial(f->ra, "0abc", 4, now, err,
	    sizeof(err)), RA_OK);
	probe_join(f);
	assert_int_equal(f->revokes, 1);
	assert_true(f->unlocked);
	assert_int_equal(ra_cert_status(f->ra, "0abc", &c, err, sizeof(err)),
	    RA_OK);
	assert_int_equal(c.status, ACME_CERT_REVOKED);
	assert_int_equal(c.revocation_reason, 4);
	assert_int_equal(c.revoked_at, now);
	assert_string_equal(c.pem, "PEM");
	acme_cert_clear(&c);
	/* Twice: a conflict, and no second hook. */
	assert_int_equal(ra_revoke_serial(f->ra, "0abc", 4, now, err,
	    sizeof(err)), RA_CONFLICT);
	assert_int_equal(f->revokes, 1);
	assert_int_equal(ra_cert_status(f->ra, "0def", &c, err, sizeof(err)),
	    RA_NOTFOUND);
	acme_cert_clear(&c);
}

struct seen {
	char	 serials[4][ACME_SERIAL_SIZE];
	size_t	 n, stop_at;
};

static int
seen_cert(const struct acme_cert *c, void *arg)
{
	struct seen *s = arg;

	assert_null(c->pem);	/* a listing without PEMs */
	snprintf(s->serials[s->n], sizeof(s->serials[s->n]), "%s", c->serial);
	return ++s->n == s->stop_at;
}

static void
test_cert_list_newest_first(void **state)
{
	struct fx	*f = *state;
	struct seen	 s;
	char		 err[512];
	time_t		 now = time(NULL);

	cert(f, "01", "CHAIN", now - 100, now + 86400);
	cert(f, "02", "CHAIN", now - 10, now + 86400);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ra_cert_list(f->ra, seen_cert, &s, err,
	    sizeof(err)), RA_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.serials[0], "02");
	assert_string_equal(s.serials[1], "01");
	/* A non-zero return stops the walk. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(ra_cert_list(f->ra, seen_cert, &s, err,
	    sizeof(err)), RA_OK);
	assert_int_equal(s.n, 1);
}

static void
test_renewal_info_set(void **state)
{
	struct fx	*f = *state;
	char		 err[512], url[64];
	time_t		 now = time(NULL), st, en;

	assert_int_equal(ra_renewal_info_set(f->ra, "0777", now, now + 60,
	    NULL, err, sizeof(err)), RA_NOTFOUND);
	cert(f, "0777", "CHAIN", now - 60, now + 86400);
	assert_int_equal(ra_renewal_info_set(f->ra, "0777", now, now + 60,
	    "https://example.test/why", err, sizeof(err)), RA_OK);
	assert_int_equal(store_renewal_info_get(f->other, "0777", &st, &en,
	    url, sizeof(url)), STORE_OK);
	assert_int_equal(st, now);
	assert_int_equal(en, now + 60);
	assert_string_equal(url, "https://example.test/why");
}

static int
seen_key(const struct ra_eab_key *k, void *arg)
{
	struct ra_eab_key *out = arg;

	*out = *k;
	return 0;
}

static void
test_eab_add_list_remove(void **state)
{
	struct fx		*f = *state;
	struct ra_eab_key	 k, got;
	static const unsigned char zero[sizeof(k.key)];
	char			 err[512];

	memset(&k, 0, sizeof(k));
	snprintf(k.kid, sizeof(k.kid), "op-key");
	memset(k.key, 0x5a, 32);
	k.keylen = 32;
	k.single_use = true;
	k.created = 1700000000;
	assert_int_equal(ra_eab_add(f->ra, &k, err, sizeof(err)), RA_OK);
	assert_int_equal(ra_eab_add(f->ra, &k, err, sizeof(err)),
	    RA_CONFLICT);
	memset(&got, 0xff, sizeof(got));
	assert_int_equal(ra_eab_list(f->ra, seen_key, &got, err,
	    sizeof(err)), RA_OK);
	assert_string_equal(got.kid, "op-key");
	assert_true(got.single_use);
	assert_int_equal(got.uses, 0);
	assert_string_equal(got.last_account, "");
	assert_int_equal(got.created, 1700000000);
	assert_memory_equal(got.key, zero, sizeof(zero));	/* never listed */
	assert_int_equal(ra_eab_remove(f->ra, "op-key", err, sizeof(err)),
	    RA_OK);
	assert_int_equal(ra_eab_remove(f->ra, "op-key", err, sizeof(err)),
	    RA_NOTFOUND);
}

static void
test_crl_snapshot(void **state)
{
	struct fx			*f = *state;
	struct ra_crl_snapshot		 s1, s2;
	struct ra_revocation_stamp	 st;
	static const char *const	 keycomp[] = { "0a", "0c", "0d" };
	char				 err[512];
	time_t				 now = time(NULL);

	cert(f, "0a", "CHAIN", now - 60, now + 86400);
	cert(f, "0b", "CHAIN", now - 60, now + 86400);
	cert(f, "0c", "OTHER", now - 60, now + 86400);	/* another intermediate */
	cert(f, "0d", "CHAIN", now - 600, now - 1);	/* expired */
	assert_int_equal(ra_crl_snapshot(f->ra, "CHAIN", now, &s1, err,
	    sizeof(err)), RA_OK);
	assert_int_equal(s1.n, 0);
	assert_int_equal(s1.stamp.count, 0);
	assert_int_equal(s1.number, 1);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(store_cert_revoke(f->other, keycomp[i], 1,
		    now - 5), STORE_OK);
	assert_int_equal(store_cert_revoke(f->other, "0b", 0, now - 3),
	    STORE_OK);
	assert_int_equal(ra_crl_snapshot(f->ra, "CHAIN", now, &s2, err,
	    sizeof(err)), RA_OK);
	/* This intermediate's unexpired revocations, by serial. */
	assert_int_equal(s2.n, 2);
	assert_string_equal(s2.entries[0].serial, "0a");
	assert_int_equal(s2.entries[0].reason, 1);
	assert_int_equal(s2.entries[0].revoked_at, now - 5);
	assert_string_equal(s2.entries[1].serial, "0b");
	assert_int_equal(s2.entries[1].reason, 0);
	/* The stamp counts every revocation; the number grows. */
	assert_int_equal(ra_revocation_stamp(f->ra, &st, err, sizeof(err)),
	    RA_OK);
	assert_int_equal(s2.stamp.count, 4);
	assert_int_equal(st.count, s2.stamp.count);
	assert_int_equal(st.latest, now - 3);
	assert_int_equal(s2.stamp.latest, now - 3);
	assert_int_equal(s2.number, 2);
	ra_crl_snapshot_clear(&s1);
	ra_crl_snapshot_clear(&s2);
	assert_null(s2.entries);
	assert_int_equal(s2.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_revoke_serial),
		T(test_cert_list_newest_first),
		T(test_renewal_info_set),
		T(test_eab_add_list_remove),
		T(test_crl_snapshot),
#undef T
	};

	return cmocka_run_group_tests_name("ra_operator", tests, NULL, NULL);
}
