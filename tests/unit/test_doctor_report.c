/* test_doctor_report.c - doctor's findings: worst status, text lines with fix lines, the JSON document; URL splitting */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "doctor.h"

/* What fn printed into a temp file, as a new string. */
static char *
capture(const struct doctor_report *r, bool json)
{
	FILE	*fp = tmpfile();
	char	*buf;
	long	 n;

	assert_non_null(fp);
	if (json)
		assert_int_equal(doctor_print_json(r, fp), 0);
	else
		doctor_print_text(r, fp);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static void
fill(struct doctor_report *r)
{
	doctor_add(r, "ca", DOCTOR_OK, NULL, "root in %s", "/s");
	doctor_add(r, "port 80", DOCTOR_WARN, "kill 7", "held by nginx (pid %d)",
	    7);
	doctor_add(r, "server", DOCTOR_FAIL, "localacme serve --state /s",
	    "nothing answers");
}

static void
test_doctor_report_worst_status(void **state)
{
	struct doctor_report r = { 0 };

	(void)state;
	assert_int_equal(doctor_worst(&r), DOCTOR_OK);
	doctor_add(&r, "a", DOCTOR_WARN, "x", "w");
	assert_int_equal(doctor_worst(&r), DOCTOR_WARN);
	doctor_add(&r, "b", DOCTOR_OK, NULL, "o");
	assert_int_equal(doctor_worst(&r), DOCTOR_WARN);
	doctor_add(&r, "c", DOCTOR_FAIL, "y", "f");
	assert_int_equal(doctor_worst(&r), DOCTOR_FAIL);
	doctor_report_clear(&r);
}

static void
test_doctor_report_text_lines_and_fixes(void **state)
{
	struct doctor_report	 r = { 0 };
	char			*out;

	(void)state;
	fill(&r);
	out = capture(&r, false);
	assert_string_equal(out,
	    "ok    ca: root in /s\n"
	    "warn  port 80: held by nginx (pid 7)\n"
	    "      fix: kill 7\n"
	    "fail  server: nothing answers\n"
	    "      fix: localacme serve --state /s\n"
	    "1 ok, 1 warning, 1 failure\n");
	free(out);
	doctor_report_clear(&r);
}

static void
test_doctor_report_json_same_findings(void **state)
{
	struct doctor_report	 r = { 0 };
	json_t			*doc, *f;
	char			*out;

	(void)state;
	fill(&r);
	out = capture(&r, true);
	assert_non_null(doc = json_loads(out, 0, NULL));
	assert_true(json_is_false(json_object_get(doc, "ok")));
	assert_string_equal(json_string_value(json_object_get(doc, "worst")),
	    "fail");
	assert_int_equal(json_array_size(json_object_get(doc, "findings")), 3);
	f = json_array_get(json_object_get(doc, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "status")),
	    "ok");
	assert_null(json_object_get(f, "fix"));
	f = json_array_get(json_object_get(doc, "findings"), 1);
	assert_string_equal(json_string_value(json_object_get(f, "check")),
	    "port 80");
	assert_string_equal(json_string_value(json_object_get(f, "message")),
	    "held by nginx (pid 7)");
	assert_string_equal(json_string_value(json_object_get(f, "fix")),
	    "kill 7");
	json_decref(doc);
	free(out);
	doctor_report_clear(&r);
}

static void
test_doctor_report_url_split(void **state)
{
	char	host[64], path[64];
	int	port;

	(void)state;
	assert_int_equal(doctor_url_split("https://localhost:8555/directory",
	    host, sizeof(host), &port, path, sizeof(path)), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 8555);
	assert_string_equal(path, "/directory");
	assert_int_equal(doctor_url_split("https://[::1]/dir", host,
	    sizeof(host), &port, path, sizeof(path)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 443);
	assert_int_equal(doctor_url_split("https://acme.test", host,
	    sizeof(host), &port, path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(doctor_url_split("http://localhost/", host,
	    sizeof(host), &port, path, sizeof(path)), -1);
	assert_int_equal(doctor_url_split("https://h:0/", host, sizeof(host),
	    &port, path, sizeof(path)), -1);
	assert_int_equal(doctor_url_split("https://h:99999/", host,
	    sizeof(host), &port, path, sizeof(path)), -1);
	assert_int_equal(doctor_url_split("https://[::1/", host, sizeof(host),
	    &port, path, sizeof(path)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doctor_report_worst_status),
		cmocka_unit_test(test_doctor_report_text_lines_and_fixes),
		cmocka_unit_test(test_doctor_report_json_same_findings),
		cmocka_unit_test(test_doctor_report_url_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
