/* test_conformance.c - src/base/conformance.c: grouping, counts, the caps, --strict's verdicts, Retry-After and nonce tracking, threads */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include "acme/problem.h"
#include "conformance.h"
#include "knobs.h"

static void
strict(bool on)
{
	struct knobs_opts o;

	memset(&o, 0, sizeof(o));
	o.seed = 1;
	o.strict = on;
	assert_int_equal(knobs_configure(&o), 0);
}

static int
setup(void **state)
{
	(void)state;
	strict(false);
	assert_int_equal(conformance_init(0), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conformance_end();
	conformance_clear();
	return 0;
}

/* The report's client whose key is `key`, or NULL. Borrowed from rep. */
static json_t *
client(json_t *rep, const char *key)
{
	size_t	 i;
	json_t	*c;

	json_array_foreach(json_object_get(rep, "clients"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "client")),
		    key) == 0)
			return c;
	return NULL;
}

/* count of kind in an array of deviations (0 if absent). */
static long
count_in(json_t *devs, const char *kind)
{
	size_t	 i;
	json_t	*d;

	json_array_foreach(devs, i, d)
		if (strcmp(json_string_value(json_object_get(d, "kind")),
		    kind) == 0)
			return (long)json_integer_value(json_object_get(d,
			    "count"));
	return 0;
}

static long
count_of(json_t *rep, const char *key, const char *kind)
{
	json_t *c = client(rep, key);

	return c == NULL ? -1 : count_in(json_object_get(c, "deviations"),
	    kind);
}

static void
test_conformance_grouping_account_or_user_agent(void **state)
{
	json_t *rep;

	(void)state;
	conformance_begin("ua/1", "127.0.0.1", 1000, "/acme/new-order");
	assert_int_equal(conformance_note(CONF_CONTENT_TYPE, NULL), 0);
	assert_int_equal(conformance_note(CONF_CONTENT_TYPE, NULL), 0);
	conformance_set_account("https://x/acme/acct/A");
	assert_int_equal(conformance_note(CONF_FINALIZE_NOT_READY, NULL), 0);
	conformance_end();
	/* no request context: nothing recorded (e.g. the CLI's RA calls) */
	assert_int_equal(conformance_note(CONF_CSR_NAMES, NULL), 0);

	assert_non_null(rep = conformance_json());
	assert_int_equal(json_array_size(json_object_get(rep, "clients")), 2);
	assert_int_equal(count_of(rep, "ua/1|127.0.0.1", "content-type"), 2);
	assert_int_equal(count_of(rep, "https://x/acme/acct/A",
	    "finalize-not-ready"), 1);
	assert_int_equal(count_of(rep, "https://x/acme/acct/A",
	    "csr-names-mismatch"), 0);
	assert_string_equal(json_string_value(json_object_get(client(rep,
	    "https://x/acme/acct/A"), "by")), "account");
	json_decref(rep);
}

static void
test_conformance_entry_has_rfc_times_example(void **state)
{
	json_t	*rep, *d;

	(void)state;
	conformance_begin(NULL, "::1", 1, "/directory");
	assert_int_equal(conformance_note(CONF_USER_AGENT, NULL), 0);
	conformance_end();
	assert_non_null(rep = conformance_json());
	d = json_array_get(json_object_get(client(rep, "|::1"),
	    "deviations"), 0);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "kind")),
	    "user-agent-missing");
	assert_string_equal(json_string_value(json_object_get(d, "rfc")),
	    "RFC 8555 §6.1");
	assert_string_equal(json_string_value(json_object_get(d, "example")),
	    "/directory");
	assert_false(json_is_true(json_object_get(d, "refused")));
	assert_non_null(json_string_value(json_object_get(d, "first_seen")));
	json_decref(rep);
}

/* Every kind has an id, a section and a description; ids are unique. */
static void
test_conformance_kinds_complete(void **state)
{
	(void)state;
	for (int i = 0; i < CONF__KINDS; i++) {
		const struct conf_kind_info *k = conformance_kind(i);

		assert_non_null(k);
		assert_non_null(k->id);
		assert_non_null(strstr(k->rfc, "RFC 8555 §"));
		assert_true(strlen(k->what) > 10);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(k->id, conformance_kind(j)->id);
	}
	assert_null(conformance_kind(CONF__KINDS));
}

/* Cap: the third client gets no slot; its deviations are unattributed. */
static void
test_conformance_full_table_counts_unattributed(void **state)
{
	json_t *rep;

	(void)state;
	assert_int_equal(conformance_init(2), 0);
	for (int i = 0; i < 3; i++) {
		char ua[16];

		snprintf(ua, sizeof(ua), "c%d", i);
		conformance_begin(ua, "127.0.0.1", 1, "/x");
		assert_int_equal(conformance_note(CONF_GET_NOT_POST, NULL), 0);
		assert_int_equal(conformance_note(CONF_GET_NOT_POST, NULL), 0);
		conformance_end();
	}
	assert_non_null(rep = conformance_json());
	assert_int_equal(json_array_size(json_object_get(rep, "clients")), 2);
	assert_int_equal(count_of(rep, "c0|127.0.0.1",
	    "get-instead-of-post-as-get"), 2);
	assert_null(client(rep, "c2|127.0.0.1"));
	assert_int_equal(count_in(json_object_get(rep, "unattributed"),
	    "get-instead-of-post-as-get"), 2);
	assert_true(json_is_true(json_object_get(rep, "full")));
	assert_int_equal(json_integer_value(json_object_get(rep,
	    "clients_seen")), 2);
	assert_int_equal(json_integer_value(json_object_get(rep,
	    "max_clients")), 2);
	json_decref(rep);
}

/* Long keys, User-Agents and paths are cut, not overrun. */
static void
test_conformance_long_strings_cut(void **state)
{
	char	 big[4096];
	json_t	*rep, *c;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	conformance_begin(big, "127.0.0.1", 1, big);
	conformance_set_account(big);
	assert_int_equal(conformance_note(CONF_NONCE_INVALID, NULL), 0);
	conformance_end();
	assert_non_null(rep = conformance_json());
	c = json_array_get(json_object_get(rep, "clients"), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(c,
	    "client"))), CONF_KEY_MAX - 1);
	assert_int_equal(strlen(json_string_value(json_object_get(c,
	    "user_agent"))), CONF_UA_MAX - 1);
	json_decref(rep);
}

/* --strict: a tolerated kind fills the problem; a refused one does not. */
static void
test_conformance_strict_refuses_tolerated_only(void **state)
{
	struct acme_problem p;

	(void)state;
	strict(true);
	conformance_begin(NULL, "127.0.0.1", 1, "/directory");
	memset(&p, 0, sizeof(p));
	assert_int_equal(conformance_note(CONF_USER_AGENT, &p), -1);
	assert_int_equal(p.type, ACME_P_MALFORMED);
	assert_non_null(strstr(p.detail, "§6.1"));
	memset(&p, 0, sizeof(p));
	assert_int_equal(conformance_note(CONF_CONTENT_TYPE, &p), 0);
	assert_int_equal(p.detail[0], '\0');
	conformance_end();
	strict(false);
	conformance_begin(NULL, "127.0.0.1", 1, "/directory");
	assert_int_equal(conformance_note(CONF_USER_AGENT, &p), 0);
	conformance_end();
}

/* A poll before Retry-After counts once; one after it does not. */
static void
test_conformance_poll_before_retry_after(void **state)
{
	struct acme_problem	 p;
	json_t			*rep;
	const char		*a = "https://x/acme/acct/P";

	(void)state;
	conformance_begin("u", "127.0.0.1", 1, "/acme/chall/c");
	conformance_set_account(a);
	conformance_retry_after("/acme/chall/c", "/acme/authz/z", 60);
	conformance_end();
	/* another resource: not judged */
	conformance_begin("u", "127.0.0.1", 1, "/acme/order/o");
	conformance_set_account(a);
	assert_int_equal(conformance_poll("/acme/order/o", NULL), 0);
	/* the authorization of the challenge, at once: a deviation */
	assert_int_equal(conformance_poll("/acme/authz/z", NULL), 0);
	/* judged once per Retry-After */
	assert_int_equal(conformance_poll("/acme/authz/z", NULL), 0);
	/* strict: rateLimited */
	strict(true);
	conformance_retry_after("/acme/authz/z", NULL, 60);
	memset(&p, 0, sizeof(p));
	assert_int_equal(conformance_poll("/acme/authz/z", &p), -1);
	assert_int_equal(p.type, ACME_P_RATELIMITED);
	strict(false);
	/* after the Retry-After (0 s): fine */
	conformance_retry_after("/acme/authz/z", NULL, 0);
	assert_int_equal(conformance_poll("/acme/authz/z", NULL), 0);
	conformance_end();
	assert_non_null(rep = conformance_json());
	assert_int_equal(count_of(rep, a, "poll-before-retry-after"), 2);
	json_decref(rep);
}

/* newNonce while holding an answer's nonce, on the same connection only. */
static void
test_conformance_newnonce_same_connection(void **state)
{
	json_t *rep;

	(void)state;
	conformance_begin("n", "127.0.0.1", 5000, "/acme/new-nonce");
	assert_int_equal(conformance_new_nonce(NULL), 0);	/* first: fine */
	conformance_end();
	conformance_begin("n", "127.0.0.1", 5000, "/acme/new-order");
	conformance_post_answered();
	conformance_end();
	conformance_begin("n", "127.0.0.1", 5001, "/acme/new-nonce");
	assert_int_equal(conformance_new_nonce(NULL), 0);	/* new conn */
	conformance_end();
	conformance_begin("n", "127.0.0.1", 5000, "/acme/new-nonce");
	assert_int_equal(conformance_new_nonce(NULL), 0);	/* deviation */
	assert_int_equal(conformance_new_nonce(NULL), 0);	/* not again */
	conformance_end();
	assert_non_null(rep = conformance_json());
	assert_int_equal(count_of(rep, "n|127.0.0.1", "newnonce-not-reused"),
	    1);
	json_decref(rep);
}

static void
test_conformance_second_account_per_client(void **state)
{
	struct acme_problem	 p;
	json_t			*rep;

	(void)state;
	conformance_begin("r", "127.0.0.1", 1, "/acme/new-account");
	assert_false(conformance_has_account());
	conformance_set_account("https://x/acme/acct/1");
	assert_int_equal(conformance_account_created(NULL), 0);
	assert_true(conformance_has_account());
	conformance_set_account("https://x/acme/acct/2");
	assert_int_equal(conformance_account_created(NULL), 0);
	strict(true);
	conformance_set_account(NULL);
	memset(&p, 0, sizeof(p));
	assert_int_equal(conformance_account_created(&p), -1);
	assert_int_equal(p.type, ACME_P_RATELIMITED);
	strict(false);
	conformance_end();
	assert_non_null(rep = conformance_json());
	assert_int_equal(count_of(rep, "https://x/acme/acct/1",
	    "new-account-per-run"), -1);	/* the first: no deviation */
	assert_int_equal(count_of(rep, "https://x/acme/acct/2",
	    "new-account-per-run"), 1);
	assert_int_equal(count_of(rep, "r|127.0.0.1", "new-account-per-run"),
	    1);
	json_decref(rep);
}

#define THREADS	4
#define NOTES	2000

static void *
noter(void *arg)
{
	char ua[16];

	snprintf(ua, sizeof(ua), "t%d", (int)(intptr_t)arg % 2);
	for (int i = 0; i < NOTES; i++) {
		conformance_begin(ua, "127.0.0.1", 1, "/x");
		(void)conformance_note(CONF_JWK_NOT_KID, NULL);
		conformance_end();
	}
	return NULL;
}

/* Concurrent notes of four threads lose nothing. */
static void
test_conformance_threads_count_all(void **state)
{
	pthread_t	 t[THREADS];
	json_t		*rep;

	(void)state;
	for (intptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, noter,
		    (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_non_null(rep = conformance_json());
	assert_int_equal(count_of(rep, "t0|127.0.0.1", "jwk-instead-of-kid"),
	    2 * NOTES);
	assert_int_equal(count_of(rep, "t1|127.0.0.1", "jwk-instead-of-kid"),
	    2 * NOTES);
	json_decref(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_conformance_grouping_account_or_user_agent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_conformance_entry_has_rfc_times_example, setup,
		    teardown),
		cmocka_unit_test(test_conformance_kinds_complete),
		cmocka_unit_test_setup_teardown(
		    test_conformance_full_table_counts_unattributed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_conformance_long_strings_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_conformance_strict_refuses_tolerated_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_conformance_poll_before_retry_after, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_conformance_newnonce_same_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_conformance_second_account_per_client, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_conformance_threads_count_all, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
