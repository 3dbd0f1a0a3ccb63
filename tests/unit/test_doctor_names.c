/* test_doctor_names.c - doctor's names: the RFC 6761 special-use rules and the verdict on resolved addresses */
/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "doctor.h"

/* A getaddrinfo-like list of up to 4 addresses, in order. */
struct fake {
	struct addrinfo		ai[4];
	struct sockaddr_in6	sa[4];
};

static struct addrinfo *
fake(struct fake *f, const char *const *addrs, size_t n)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)&f->sa[i];

		if (inet_pton(AF_INET, addrs[i], &in->sin_addr) == 1) {
			in->sin_family = AF_INET;
			f->ai[i].ai_family = AF_INET;
			f->ai[i].ai_addrlen = sizeof(*in);
		} else {
			assert_int_equal(inet_pton(AF_INET6, addrs[i],
			    &f->sa[i].sin6_addr), 1);
			f->sa[i].sin6_family = AF_INET6;
			f->ai[i].ai_family = AF_INET6;
			f->ai[i].ai_addrlen = sizeof(f->sa[i]);
		}
		f->ai[i].ai_addr = (struct sockaddr *)(void *)&f->sa[i];
		f->ai[i].ai_next = i + 1 < n ? &f->ai[i + 1] : NULL;
	}
	return n > 0 ? &f->ai[0] : NULL;
}

static void
test_doctor_names_rfc6761_kinds(void **state)
{
	(void)state;
	/* RFC 6761 §6.3 */
	assert_int_equal(doctor_name_kind("localhost"), DOCTOR_NAME_LOCALHOST);
	assert_int_equal(doctor_name_kind("LocalHost."), DOCTOR_NAME_LOCALHOST);
	assert_int_equal(doctor_name_kind("app.localhost"),
	    DOCTOR_NAME_LOCALHOST);
	assert_int_equal(doctor_name_kind("notlocalhost"), DOCTOR_NAME_OTHER);
	assert_int_equal(doctor_name_kind("localhost.example"),
	    DOCTOR_NAME_OTHER);
	/* RFC 6761 §6.4 */
	assert_int_equal(doctor_name_kind("nope.invalid"), DOCTOR_NAME_INVALID);
	assert_int_equal(doctor_name_kind("invalid"), DOCTOR_NAME_INVALID);
	assert_int_equal(doctor_name_kind("127.0.0.1"), DOCTOR_NAME_IP);
	assert_int_equal(doctor_name_kind("::1"), DOCTOR_NAME_IP);
	assert_int_equal(doctor_name_kind("example.test"), DOCTOR_NAME_OTHER);
}

static void
test_doctor_names_localhost_loopback_ok(void **state)
{
	static const char *const a[] = { "127.0.0.1", "::1", "127.0.0.1" };
	struct doctor_finding	 f;
	struct fake		 fk;

	(void)state;
	doctor_name_judge("localhost", fake(&fk, a, 3), 0, &f);
	assert_int_equal(f.status, DOCTOR_OK);
	/* Each address once, in order. */
	assert_non_null(strstr(f.message, "resolves to 127.0.0.1, ::1 "
	    "(loopback, RFC 6761 §6.3)"));
	assert_string_equal(f.fix, "");
}

/* RFC 6761 §6.3: a localhost name must not leave the machine. */
static void
test_doctor_names_rfc6761_localhost_not_loopback_fails(void **state)
{
	static const char *const a[] = { "127.0.0.1", "192.0.2.7" };
	struct doctor_finding	 f;
	struct fake		 fk;

	(void)state;
	doctor_name_judge("app.localhost", fake(&fk, a, 2), 0, &f);
	assert_int_equal(f.status, DOCTOR_FAIL);
	assert_non_null(strstr(f.message, "192.0.2.7 is not loopback"));
	assert_non_null(strstr(f.fix, "/etc/hosts"));
}

static void
test_doctor_names_rfc6761_localhost_unresolved_warns(void **state)
{
	struct doctor_finding f;

	(void)state;
	doctor_name_judge("app.localhost", NULL, EAI_NONAME, &f);
	assert_int_equal(f.status, DOCTOR_WARN);
	assert_non_null(strstr(f.message, "RFC 6761 §6.3"));
	assert_string_equal(f.fix,
	    "echo '127.0.0.1 app.localhost' | sudo tee -a /etc/hosts");
}

static void
test_doctor_names_rfc6761_invalid_fails(void **state)
{
	struct doctor_finding f;

	(void)state;
	doctor_name_judge("nope.invalid", NULL, 0, &f);
	assert_int_equal(f.status, DOCTOR_FAIL);
	assert_non_null(strstr(f.message, "RFC 6761 §6.4"));
	assert_non_null(strstr(f.fix, ".localhost"));
}

static void
test_doctor_names_other_unresolved_fails(void **state)
{
	struct doctor_finding f;

	(void)state;
	doctor_name_judge("app.example", NULL, EAI_NONAME, &f);
	assert_int_equal(f.status, DOCTOR_FAIL);
	assert_non_null(strstr(f.message, "app.example does not resolve"));
	assert_non_null(strstr(f.fix, "/etc/hosts"));
}

static void
test_doctor_names_other_public_ok(void **state)
{
	static const char *const a[] = { "192.0.2.7" };
	struct doctor_finding	 f;
	struct fake		 fk;

	(void)state;
	doctor_name_judge("app.example", fake(&fk, a, 1), 0, &f);
	assert_int_equal(f.status, DOCTOR_OK);
	assert_string_equal(f.message, "app.example resolves to 192.0.2.7");
}

static void
test_doctor_names_shell_quote(void **state)
{
	char buf[64];

	(void)state;
	doctor_shell_quote("/tmp/state", buf, sizeof(buf));
	assert_string_equal(buf, "/tmp/state");
	doctor_shell_quote("/tmp/my state", buf, sizeof(buf));
	assert_string_equal(buf, "'/tmp/my state'");
	doctor_shell_quote("it's", buf, sizeof(buf));
	assert_string_equal(buf, "'it'\\''s'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doctor_names_rfc6761_kinds),
		cmocka_unit_test(test_doctor_names_localhost_loopback_ok),
		cmocka_unit_test(
		    test_doctor_names_rfc6761_localhost_not_loopback_fails),
		cmocka_unit_test(
		    test_doctor_names_rfc6761_localhost_unresolved_warns),
		cmocka_unit_test(test_doctor_names_rfc6761_invalid_fails),
		cmocka_unit_test(test_doctor_names_other_unresolved_fails),
		cmocka_unit_test(test_doctor_names_other_public_ok),
		cmocka_unit_test(test_doctor_names_shell_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
