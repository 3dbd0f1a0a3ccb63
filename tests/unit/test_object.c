/* test_object.c - wire names, RFC 8555 §7.1.6 transition tables, clear/copy/alloc */
/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme/acme.h"

static void
test_object_status_names_match_rfc(void **state)
{
	(void)state;
	assert_string_equal(acme_account_status_str(ACME_ACCOUNT_VALID), "valid");
	assert_string_equal(acme_account_status_str(ACME_ACCOUNT_DEACTIVATED),
	    "deactivated");
	assert_string_equal(acme_account_status_str(ACME_ACCOUNT_REVOKED),
	    "revoked");
	assert_string_equal(acme_order_status_str(ACME_ORDER_PENDING), "pending");
	assert_string_equal(acme_order_status_str(ACME_ORDER_READY), "ready");
	assert_string_equal(acme_order_status_str(ACME_ORDER_PROCESSING),
	    "processing");
	assert_string_equal(acme_order_status_str(ACME_ORDER_VALID), "valid");
	assert_string_equal(acme_order_status_str(ACME_ORDER_INVALID), "invalid");
	assert_string_equal(acme_authz_status_str(ACME_AUTHZ_PENDING), "pending");
	assert_string_equal(acme_authz_status_str(ACME_AUTHZ_VALID), "valid");
	assert_string_equal(acme_authz_status_str(ACME_AUTHZ_INVALID), "invalid");
	assert_string_equal(acme_authz_status_str(ACME_AUTHZ_DEACTIVATED),
	    "deactivated");
	assert_string_equal(acme_authz_status_str(ACME_AUTHZ_EXPIRED), "expired");
	assert_string_equal(acme_authz_status_str(ACME_AUTHZ_REVOKED), "revoked");
	assert_string_equal(acme_chall_status_str(ACME_CHALL_PENDING), "pending");
	assert_string_equal(acme_chall_status_str(ACME_CHALL_PROCESSING),
	    "processing");
	assert_string_equal(acme_chall_status_str(ACME_CHALL_VALID), "valid");
	assert_string_equal(acme_chall_status_str(ACME_CHALL_INVALID), "invalid");
}

static void
test_object_type_names_match_rfc(void **state)
{
	(void)state;
	assert_string_equal(acme_chall_type_str(ACME_CHALL_HTTP01), "http-01");
	assert_string_equal(acme_chall_type_str(ACME_CHALL_DNS01), "dns-01");
	assert_string_equal(acme_chall_type_str(ACME_CHALL_TLSALPN01),
	    "tls-alpn-01");
	assert_string_equal(acme_ident_type_str(ACME_IDENT_DNS), "dns");
	assert_string_equal(acme_ident_type_str(ACME_IDENT_IP), "ip");
}

static void
test_object_out_of_range_enum_named_unknown(void **state)
{
	(void)state;
	assert_string_equal(acme_order_status_str((enum acme_order_status)42),
	    "unknown");
	assert_string_equal(acme_chall_type_str(ACME_CHALL__MAX), "unknown");
	assert_string_equal(acme_ident_type_str((enum acme_ident_type)-1),
	    "unknown");
}

static void
test_object_chall_type_parse_roundtrip(void **state)
{
	enum acme_chall_type	 t;
	int			 i;

	(void)state;
	for (i = 0; i < ACME_CHALL__MAX; i++) {
		t = ACME_CHALL__MAX;
		assert_int_equal(acme_chall_type_parse(
		    acme_chall_type_str((enum acme_chall_type)i), &t), 0);
		assert_int_equal(t, i);
	}
}

static void
test_object_chall_type_parse_unknown_rejected(void **state)
{
	enum acme_chall_type	 t = ACME_CHALL_DNS01;

	(void)state;
	assert_int_equal(acme_chall_type_parse("HTTP-01", &t), -1);
	assert_int_equal(acme_chall_type_parse("http-01 ", &t), -1);
	assert_int_equal(acme_chall_type_parse("tls-sni-01", &t), -1);
	assert_int_equal(acme_chall_type_parse("", &t), -1);
	assert_int_equal(acme_chall_type_parse(NULL, &t), -1);
	assert_int_equal(t, ACME_CHALL_DNS01);
}

static void
test_object_ident_type_parse_exact(void **state)
{
	enum acme_ident_type	 t = ACME_IDENT_DNS;

	(void)state;
	assert_int_equal(acme_ident_type_parse("ip", &t), 0);
	assert_int_equal(t, ACME_IDENT_IP);
	assert_int_equal(acme_ident_type_parse("dns", &t), 0);
	assert_int_equal(t, ACME_IDENT_DNS);
	assert_int_equal(acme_ident_type_parse("DNS", &t), -1);
	assert_int_equal(acme_ident_type_parse("email", &t), -1);
	assert_int_equal(acme_ident_type_parse(NULL, &t), -1);
}

/* RFC 8555 §7.1.6 order diagram: allowed[from][to]. */
/*
 * The store writes and reads these names (one vocabulary for wire and
 * database): every status parses back to itself, the certificate states
 * are pinned, and a name in another case or of another kind is refused.
 */
static void
test_object_status_parse_roundtrip_and_exact(void **state)
{
	enum acme_account_status	 as;
	enum acme_order_status		 os;
	enum acme_authz_status		 zs;
	enum acme_chall_status		 cs;
	enum acme_cert_status		 es;
	int				 v;

	(void)state;
	for (v = ACME_ACCOUNT_VALID; v <= ACME_ACCOUNT_REVOKED; v++) {
		assert_int_equal(acme_account_status_parse(
		    acme_account_status_str((enum acme_account_status)v), &as), 0);
		assert_int_equal(as, v);
	}
	for (v = ACME_ORDER_PENDING; v <= ACME_ORDER_INVALID; v++) {
		assert_int_equal(acme_order_status_parse(
		    acme_order_status_str((enum acme_order_status)v), &os), 0);
		assert_int_equal(os, v);
	}
	for (v = ACME_AUTHZ_PENDING; v <= ACME_AUTHZ_REVOKED; v++) {
		assert_int_equal(acme_authz_status_parse(
		    acme_authz_status_str((enum acme_authz_status)v), &zs), 0);
		assert_int_equal(zs, v);
	}
	for (v = ACME_CHALL_PENDING; v <= ACME_CHALL_INVALID; v++) {
		assert_int_equal(acme_chall_status_parse(
		    acme_chall_status_str((enum acme_chall_status)v), &cs), 0);
		assert_int_equal(cs, v);
	}
	assert_string_equal(acme_cert_status_str(ACME_CERT_VALID), "valid");
	assert_string_equal(acme_cert_status_str(ACME_CERT_REVOKED), "revoked");
	assert_string_equal(acme_cert_status_str((enum acme_cert_status)9),
	    "unknown");
	assert_int_equal(acme_cert_status_parse("revoked", &es), 0);
	assert_int_equal(es, ACME_CERT_REVOKED);

	assert_int_equal(acme_order_status_parse("Ready", &os), -1);
	assert_int_equal(acme_order_status_parse("ready ", &os), -1);
	assert_int_equal(acme_order_status_parse("deactivated", &os), -1);
	assert_int_equal(acme_account_status_parse("pending", &as), -1);
	assert_int_equal(acme_chall_status_parse("unknown", &cs), -1);
	assert_int_equal(acme_cert_status_parse("expired", &es), -1);
	assert_int_equal(acme_authz_status_parse(NULL, &zs), -1);
	assert_int_equal(acme_authz_status_parse("expired", NULL), 0);
}

static void
test_object_order_transitions_match_diagram(void **state)
{
	static const bool allowed[5][5] = {
		/* to: pending ready processing valid invalid */
		[ACME_ORDER_PENDING] = { 0, 1, 0, 0, 1 },
		[ACME_ORDER_READY] = { 0, 0, 1, 0, 1 },
		[ACME_ORDER_PROCESSING] = { 0, 0, 0, 1, 1 },
		[ACME_ORDER_VALID] = { 0, 0, 0, 0, 0 },
		[ACME_ORDER_INVALID] = { 0, 0, 0, 0, 0 },
	};
	int	 f, t;

	(void)state;
	for (f = 0; f < 5; f++)
		for (t = 0; t < 5; t++)
			assert_int_equal(acme_order_transition_ok(
			    (enum acme_order_status)f,
			    (enum acme_order_status)t), allowed[f][t]);
}

static void
test_object_order_pending_to_valid_refused(void **state)
{
	(void)state;
	/* Skipping ready and processing would issue without finalize. */
	assert_false(acme_order_transition_ok(ACME_ORDER_PENDING,
	    ACME_ORDER_VALID));
	assert_false(acme_order_transition_ok(ACME_ORDER_READY,
	    ACME_ORDER_VALID));
	assert_false(acme_order_transition_ok(ACME_ORDER_PENDING,
	    ACME_ORDER_PROCESSING));
}

static void
test_object_authz_transitions_match_diagram(void **state)
{
	static const bool allowed[6][6] = {
		/* to: pending valid invalid deactivated expired revoked */
		[ACME_AUTHZ_PENDING] = { 0, 1, 1, 1, 1, 1 },
		[ACME_AUTHZ_VALID] = { 0, 0, 0, 1, 1, 1 },
		[ACME_AUTHZ_INVALID] = { 0, 0, 0, 0, 0, 0 },
		[ACME_AUTHZ_DEACTIVATED] = { 0, 0, 0, 0, 0, 0 },
		[ACME_AUTHZ_EXPIRED] = { 0, 0, 0, 0, 0, 0 },
		[ACME_AUTHZ_REVOKED] = { 0, 0, 0, 0, 0, 0 },
	};
	int	 f, t;

	(void)state;
	for (f = 0; f < 6; f++)
		for (t = 0; t < 6; t++)
			assert_int_equal(acme_authz_transition_ok(
			    (enum acme_authz_status)f,
			    (enum acme_authz_status)t), allowed[f][t]);
}

static void
test_object_authz_deactivated_cannot_revalidate(void **state)
{
	(void)state;
	assert_false(acme_authz_transition_ok(ACME_AUTHZ_DEACTIVATED,
	    ACME_AUTHZ_VALID));
	assert_false(acme_authz_transition_ok(ACME_AUTHZ_INVALID,
	    ACME_AUTHZ_VALID));
	assert_false(acme_authz_transition_ok(ACME_AUTHZ_EXPIRED,
	    ACME_AUTHZ_VALID));
}

static void
test_object_chall_transitions_match_diagram(void **state)
{
	static const bool allowed[4][4] = {
		/* to: pending processing valid invalid */
		[ACME_CHALL_PENDING] = { 0, 1, 0, 0 },
		[ACME_CHALL_PROCESSING] = { 0, 0, 1, 1 },
		[ACME_CHALL_VALID] = { 0, 0, 0, 0 },
		[ACME_CHALL_INVALID] = { 0, 0, 0, 0 },
	};
	int	 f, t;

	(void)state;
	for (f = 0; f < 4; f++)
		for (t = 0; t < 4; t++)
			assert_int_equal(acme_chall_transition_ok(
			    (enum acme_chall_status)f,
			    (enum acme_chall_status)t), allowed[f][t]);
}

static void
test_object_chall_pending_to_valid_refused(void **state)
{
	(void)state;
	assert_false(acme_chall_transition_ok(ACME_CHALL_PENDING,
	    ACME_CHALL_VALID));
	assert_false(acme_chall_transition_ok(ACME_CHALL_PENDING,
	    ACME_CHALL_INVALID));
}

static void
test_object_account_transitions_match_diagram(void **state)
{
	static const bool allowed[3][3] = {
		/* to: valid deactivated revoked */
		[ACME_ACCOUNT_VALID] = { 0, 1, 1 },
		[ACME_ACCOUNT_DEACTIVATED] = { 0, 0, 0 },
		[ACME_ACCOUNT_REVOKED] = { 0, 0, 0 },
	};
	int	 f, t;

	(void)state;
	for (f = 0; f < 3; f++)
		for (t = 0; t < 3; t++)
			assert_int_equal(acme_account_transition_ok(
			    (enum acme_account_status)f,
			    (enum acme_account_status)t), allowed[f][t]);
}

/*
 * The server's own edges, named: recovery (HARDENING I5) and expiry. Each
 * kind holds exactly these rows; an RFC edge is not a recovery edge by
 * default, and the one non-RFC edge (challenge processing -> pending) is
 * refused to every caller that asks for the diagram.
 */
static void
test_object_named_edges_match_table(void **state)
{
	static const bool chall_recovery[4][4] = {
		/* to: pending processing valid invalid */
		[ACME_CHALL_PROCESSING] = { 1, 0, 0, 0 },
	};
	static const bool order_recovery[5][5] = {
		/* to: pending ready processing valid invalid */
		[ACME_ORDER_PROCESSING] = { 0, 0, 0, 0, 1 },
	};
	static const bool order_expiry[5][5] = {
		[ACME_ORDER_PENDING] = { 0, 0, 0, 0, 1 },
		[ACME_ORDER_READY] = { 0, 0, 0, 0, 1 },
	};
	static const bool authz_expiry[6][6] = {
		/* to: pending valid invalid deactivated expired revoked */
		[ACME_AUTHZ_PENDING] = { 0, 0, 0, 0, 1, 0 },
		[ACME_AUTHZ_VALID] = { 0, 0, 0, 0, 1, 0 },
	};
	int	 f, t;

	(void)state;
	for (f = 0; f < 4; f++)
		for (t = 0; t < 4; t++) {
			assert_int_equal(acme_chall_edge(
			    (enum acme_chall_status)f,
			    (enum acme_chall_status)t, ACME_EDGE_RECOVERY),
			    chall_recovery[f][t]);
			assert_false(acme_chall_edge((enum acme_chall_status)f,
			    (enum acme_chall_status)t, ACME_EDGE_EXPIRY));
		}
	for (f = 0; f < 5; f++)
		for (t = 0; t < 5; t++) {
			assert_int_equal(acme_order_edge(
			    (enum acme_order_status)f,
			    (enum acme_order_status)t, ACME_EDGE_RECOVERY),
			    order_recovery[f][t]);
			assert_int_equal(acme_order_edge(
			    (enum acme_order_status)f,
			    (enum acme_order_status)t, ACME_EDGE_EXPIRY),
			    order_expiry[f][t]);
		}
	for (f = 0; f < 6; f++)
		for (t = 0; t < 6; t++) {
			assert_int_equal(acme_authz_edge(
			    (enum acme_authz_status)f,
			    (enum acme_authz_status)t, ACME_EDGE_EXPIRY),
			    authz_expiry[f][t]);
			assert_false(acme_authz_edge((enum acme_authz_status)f,
			    (enum acme_authz_status)t, ACME_EDGE_RECOVERY));
		}
	for (f = 0; f < 3; f++)
		for (t = 0; t < 3; t++)
			assert_false(acme_account_edge(
			    (enum acme_account_status)f,
			    (enum acme_account_status)t,
			    ACME_EDGE_RECOVERY | ACME_EDGE_EXPIRY));
	/* Recovery's challenge edge is the server's, not the diagram's. */
	assert_false(acme_chall_transition_ok(ACME_CHALL_PROCESSING,
	    ACME_CHALL_PENDING));
	assert_true(acme_chall_edge(ACME_CHALL_PROCESSING, ACME_CHALL_PENDING,
	    ACME_EDGE_RFC | ACME_EDGE_RECOVERY));
	/* Every named order and authz edge is also drawn in the RFC. */
	assert_true(acme_order_transition_ok(ACME_ORDER_PROCESSING,
	    ACME_ORDER_INVALID));
	assert_true(acme_authz_transition_ok(ACME_AUTHZ_VALID,
	    ACME_AUTHZ_EXPIRED));
	/* Out of range: no edge of any kind. */
	assert_false(acme_chall_edge((enum acme_chall_status)7,
	    ACME_CHALL_PENDING, ~0u));
	assert_false(acme_order_edge(ACME_ORDER_PENDING,
	    (enum acme_order_status)-1, ~0u));
}

static void
test_object_out_of_range_transition_refused(void **state)
{
	(void)state;
	assert_false(acme_order_transition_ok((enum acme_order_status)9,
	    ACME_ORDER_VALID));
	assert_false(acme_authz_transition_ok(ACME_AUTHZ_PENDING,
	    (enum acme_authz_status)9));
	assert_false(acme_chall_transition_ok((enum acme_chall_status)-1,
	    ACME_CHALL_VALID));
	assert_false(acme_account_transition_ok(ACME_ACCOUNT_VALID,
	    (enum acme_account_status)7));
}

static void
test_object_account_clear_frees_and_zeroes(void **state)
{
	struct acme_account	 a = {0};
	struct acme_account	 zero = {0};

	(void)state;
	a.jwk = strdup("{\"kty\":\"EC\"}");
	assert_non_null(a.jwk);
	a.status = ACME_ACCOUNT_REVOKED;
	a.ncontact = 1;
	acme_account_clear(&a);
	assert_memory_equal(&a, &zero, sizeof(a));
	acme_account_clear(&a);		/* idempotent */
	acme_account_clear(NULL);
}

static void
test_object_order_clear_frees_and_zeroes(void **state)
{
	struct acme_order	 o = {0};
	struct acme_order	 zero = {0};

	(void)state;
	assert_int_equal(acme_order_alloc_idents(&o, 3), 0);
	o.status = ACME_ORDER_READY;
	acme_order_clear(&o);
	assert_memory_equal(&o, &zero, sizeof(o));
	acme_order_clear(&o);
	acme_order_clear(NULL);
}

static void
test_object_cert_and_authz_clear_zero(void **state)
{
	struct acme_cert	 c = {0}, czero = {0};
	struct acme_authz	 a = {0}, azero = {0};

	(void)state;
	c.names = strdup("a.test");
	c.pem = strdup("pem");
	c.chain_pem = strdup("chain");
	c.status = ACME_CERT_REVOKED;
	acme_cert_clear(&c);
	assert_memory_equal(&c, &czero, sizeof(c));
	acme_cert_clear(&c);
	acme_cert_clear(NULL);
	a.nchall = 2;
	a.wildcard = true;
	acme_authz_clear(&a);
	assert_memory_equal(&a, &azero, sizeof(a));
	acme_authz_clear(NULL);
}

static void
test_object_alloc_idents_zeroed_and_sized(void **state)
{
	struct acme_order	 o = {0};
	size_t			 i;

	(void)state;
	assert_int_equal(acme_order_alloc_idents(&o, 100), 0);
	assert_int_equal(o.nident, 100);
	assert_non_null(o.idents);
	assert_non_null(o.authz_ids);
	for (i = 0; i < 100; i++) {
		assert_int_equal(o.idents[i].value[0], '\0');
		assert_int_equal(o.authz_ids[i][0], '\0');
	}
	/* Writing the last element must be in bounds (ASan checks). */
	o.idents[99].value[ACME_IDENT_VALUE_SIZE - 1] = 'x';
	o.authz_ids[99][ACME_ID_SIZE - 1] = 'x';
	acme_order_clear(&o);
}

static void
test_object_alloc_idents_replaces_previous(void **state)
{
	struct acme_order	 o = {0};

	(void)state;
	assert_int_equal(acme_order_alloc_idents(&o, 2), 0);
	strcpy(o.idents[0].value, "a.test");
	assert_int_equal(acme_order_alloc_idents(&o, 5), 0);
	assert_int_equal(o.nident, 5);
	assert_int_equal(o.idents[0].value[0], '\0');
	acme_order_clear(&o);	/* LeakSanitizer: the first arrays were freed */
}

static void
test_object_alloc_idents_overflow_fails_unchanged(void **state)
{
	struct acme_order	 o = {0};
	struct acme_identifier	*before;

	(void)state;
	assert_int_equal(acme_order_alloc_idents(&o, 1), 0);
	before = o.idents;
	assert_int_equal(acme_order_alloc_idents(&o, SIZE_MAX / 8), -1);
	assert_ptr_equal(o.idents, before);
	assert_int_equal(o.nident, 1);
	acme_order_clear(&o);
}

static void
test_object_alloc_idents_zero_ok(void **state)
{
	struct acme_order	 o = {0};

	(void)state;
	assert_int_equal(acme_order_alloc_idents(&o, 0), 0);
	assert_int_equal(o.nident, 0);
	acme_order_clear(&o);
}

static void
test_object_account_copy_is_deep(void **state)
{
	struct acme_account	 a = {0}, b = {0};

	(void)state;
	a.jwk = strdup("{\"kty\":\"OKP\"}");
	strcpy(a.id, "abc");
	strcpy(a.contact[0], "mailto:a@example.org");
	a.ncontact = 1;
	a.tos_agreed = true;
	assert_int_equal(acme_account_copy(&b, &a), 0);
	assert_ptr_not_equal(a.jwk, b.jwk);
	assert_string_equal(a.jwk, b.jwk);
	assert_string_equal(b.id, "abc");
	assert_string_equal(b.contact[0], "mailto:a@example.org");
	assert_true(b.tos_agreed);
	acme_account_clear(&a);
	assert_string_equal(b.jwk, "{\"kty\":\"OKP\"}");
	acme_account_clear(&b);
}

static void
test_object_account_copy_null_jwk_ok(void **state)
{
	struct acme_account	 a = {0}, b = {0};

	(void)state;
	strcpy(a.thumbprint, "tp");
	assert_int_equal(acme_account_copy(&b, &a), 0);
	assert_null(b.jwk);
	assert_string_equal(b.thumbprint, "tp");
	assert_int_equal(acme_account_copy(NULL, &a), -1);
	assert_int_equal(acme_account_copy(&b, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_status_names_match_rfc),
		cmocka_unit_test(test_object_type_names_match_rfc),
		cmocka_unit_test(test_object_out_of_range_enum_named_unknown),
		cmocka_unit_test(test_object_chall_type_parse_roundtrip),
		cmocka_unit_test(test_object_chall_type_parse_unknown_rejected),
		cmocka_unit_test(test_object_ident_type_parse_exact),
		cmocka_unit_test(test_object_status_parse_roundtrip_and_exact),
		cmocka_unit_test(test_object_order_transitions_match_diagram),
		cmocka_unit_test(test_object_order_pending_to_valid_refused),
		cmocka_unit_test(test_object_authz_transitions_match_diagram),
		cmocka_unit_test(test_object_authz_deactivated_cannot_revalidate),
		cmocka_unit_test(test_object_chall_transitions_match_diagram),
		cmocka_unit_test(test_object_chall_pending_to_valid_refused),
		cmocka_unit_test(test_object_account_transitions_match_diagram),
		cmocka_unit_test(test_object_named_edges_match_table),
		cmocka_unit_test(test_object_out_of_range_transition_refused),
		cmocka_unit_test(test_object_account_clear_frees_and_zeroes),
		cmocka_unit_test(test_object_order_clear_frees_and_zeroes),
		cmocka_unit_test(test_object_cert_and_authz_clear_zero),
		cmocka_unit_test(test_object_alloc_idents_zeroed_and_sized),
		cmocka_unit_test(test_object_alloc_idents_replaces_previous),
		cmocka_unit_test(test_object_alloc_idents_overflow_fails_unchanged),
		cmocka_unit_test(test_object_alloc_idents_zero_ok),
		cmocka_unit_test(test_object_account_copy_is_deep),
		cmocka_unit_test(test_object_account_copy_null_jwk_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
