/* test_log.c - JSON log lines stay valid JSON, and keep the valid text, whatever bytes a logged field holds */
/* SPDX-License-Identifier: MIT */
/*
 * log.c writes to fd 2 with one write(2) per line; each test points fd 2
 * at a temp file, logs, puts fd 2 back and parses every line with Jansson,
 * which refuses invalid UTF-8 as RFC 8259 §8.1 requires. A byte that is
 * not part of a valid UTF-8 sequence is written as \u00XX (its value as a
 * code point), so after parsing it reads as U+00XX.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "log.h"

struct cap {
	char	 path[64];
	int	 fd;
	int	 saved;
	char	*text;		/* everything written, NUL-terminated */
	size_t	 len;
};

static void
cap_start(struct cap *c)
{
	snprintf(c->path, sizeof(c->path), "%s", "/tmp/test_log.XXXXXX");
	assert_true((c->fd = mkstemp(c->path)) != -1);
	assert_true((c->saved = dup(STDERR_FILENO)) != -1);
	assert_true(dup2(c->fd, STDERR_FILENO) != -1);
	c->text = NULL;
	c->len = 0;
}

static void
cap_stop(struct cap *c)
{
	FILE	*fp;
	long	 n;

	assert_true(dup2(c->saved, STDERR_FILENO) != -1);
	close(c->saved);
	close(c->fd);
	assert_non_null(fp = fopen(c->path, "rb"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((n = ftell(fp)) >= 0);
	rewind(fp);
	assert_non_null(c->text = malloc((size_t)n + 1));
	assert_int_equal(fread(c->text, 1, (size_t)n, fp), (size_t)n);
	c->text[n] = '\0';
	c->len = (size_t)n;
	fclose(fp);
	unlink(c->path);
}

/* Parses line number i (0-based) of the capture; fails the test if invalid. */
static json_t *
cap_line(const struct cap *c, size_t i)
{
	const char	*p = c->text, *e;
	json_t		*j;
	json_error_t	 err;

	for (; i > 0; i--) {
		assert_non_null(p = strchr(p, '\n'));
		p++;
	}
	assert_non_null(e = strchr(p, '\n'));
	j = json_loadb(p, (size_t)(e - p), 0, &err);
	if (j == NULL)
		fail_msg("line is not JSON (%s at %d): %.*s", err.text,
		    err.position, (int)(e - p), p);
	assert_true(json_is_object(j));
	return j;
}

static size_t
cap_lines(const struct cap *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->len; i++)
		n += c->text[i] == '\n';
	return n;
}

static const char *
field(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* One bad input and what the parsed string must be. */
struct utf8_case {
	const char	*in;
	const char	*want;	/* after json_loads */
	const char	*raw;	/* must appear in the line as written */
};

static const struct utf8_case cases[] = {
	/* A lone continuation byte. */
	{ "a\x80z", "a\xc2\x80z", "a\\u0080z" },
	/* Overlong '/' (C0 AF), and an overlong 3-byte NUL (E0 80 80). */
	{ "<\xc0\xaf>", "<\xc3\x80\xc2\xaf>", "<\\u00c0\\u00af>" },
	{ "\xe0\x80\x80", "\xc3\xa0\xc2\x80\xc2\x80", "\\u00e0\\u0080\\u0080" },
	/* A sequence cut short by the next character, and by the end. */
	{ "\xe2\x82z", "\xc3\xa2\xc2\x82z", "\\u00e2\\u0082z" },
	{ "end\xf0\x9f\x98", "end\xc3\xb0\xc2\x9f\xc2\x98",
	    "end\\u00f0\\u009f\\u0098" },
	/* Bytes that never occur in UTF-8. */
	{ "\xff\xfe", "\xc3\xbf\xc3\xbe", "\\u00ff\\u00fe" },
	/* A UTF-16 surrogate (ED A0 80) and a code point above U+10FFFF. */
	{ "\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80", "\\u00ed\\u00a0\\u0080" },
	{ "\xf4\x90\x80\x80", "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80",
	    "\\u00f4\\u0090\\u0080\\u0080" },
	/* Control characters, a quote, a backslash. */
	{ "t\x01\t\x7f", "t\x01\t\x7f", "t\\u0001\\u0009\\u007f" },
	{ "say \"hi\" \\o/", "say \"hi\" \\o/", "say \\\"hi\\\" \\\\o/" },
	/* Valid UTF-8 of every length passes unchanged. */
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf" },
	/* Valid parts around the invalid ones survive. */
	{ "\xc3\xa9\x80\xc3\xa9\xc3", "\xc3\xa9\xc2\x80\xc3\xa9\xc3\x83",
	    "\xc3\xa9\\u0080\xc3\xa9\\u00c3" },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void
test_log_json_msg_invalid_utf8_is_escaped_per_byte(void **state)
{
	struct cap	 c;

	(void)state;
	log_setup(LOG_LVL_INFO, LOG_FMT_JSON);
	cap_start(&c);
	for (size_t i = 0; i < NCASES; i++)
		log_info("field=%s", cases[i].in);
	cap_stop(&c);
	assert_int_equal(cap_lines(&c), NCASES);
	for (size_t i = 0; i < NCASES; i++) {
		json_t	*j = cap_line(&c, i);
		char	 want[256];

		snprintf(want, sizeof(want), "field=%s", cases[i].want);
		assert_string_equal(field(j, "level"), "info");
		assert_string_equal(field(j, "msg"), want);
		json_decref(j);
	}
	for (size_t i = 0; i < NCASES; i++)
		assert_non_null(strstr(c.text, cases[i].raw));
	free(c.text);
}

static void
test_log_json_request_path_and_method_invalid_utf8_stay_json(void **state)
{
	struct cap	 c;

	(void)state;
	log_setup(LOG_LVL_INFO, LOG_FMT_JSON);
	cap_start(&c);
	for (size_t i = 0; i < NCASES; i++)
		log_request(cases[i].in, cases[i].in, 404, 1234, 56, "abcd1234");
	cap_stop(&c);
	assert_int_equal(cap_lines(&c), NCASES);
	for (size_t i = 0; i < NCASES; i++) {
		json_t *j = cap_line(&c, i);

		assert_string_equal(field(j, "method"), cases[i].want);
		assert_string_equal(field(j, "path"), cases[i].want);
		assert_string_equal(field(j, "req"), "abcd1234");
		assert_int_equal(json_integer_value(json_object_get(j,
		    "status")), 404);
		assert_int_equal(json_integer_value(json_object_get(j,
		    "bytes")), 56);
		json_decref(j);
	}
	free(c.text);
}

/*
 * A field longer than the line is cut: never inside a UTF-8 sequence or
 * an escape, so the line still parses and holds only whole characters.
 */
static void
test_log_json_truncated_line_is_still_json(void **state)
{
	struct cap	 c;
	char		 big[6000];
	size_t		 off = 0;

	(void)state;
	/* 3 bytes per unit: a 2-byte letter, then a control byte (6 escaped). */
	while (off + 4 < sizeof(big)) {
		memcpy(big + off, "\xc3\xa9\x01", 3);
		off += 3;
	}
	big[off] = '\0';
	log_setup(LOG_LVL_INFO, LOG_FMT_JSON);
	cap_start(&c);
	for (size_t shift = 0; shift < 3; shift++) {
		log_info("%s", big + shift);
		log_request("GET", big + shift, 200, 1, 2, "abcd1234");
	}
	cap_stop(&c);
	assert_int_equal(cap_lines(&c), 6);
	for (size_t i = 0; i < 6; i++) {
		json_t		*j = cap_line(&c, i);
		const char	*s = field(j, i % 2 == 0 ? "msg" : "path");

		assert_true(strlen(s) > 100);
		json_decref(j);
	}
	free(c.text);
}

/* Text lines are valid UTF-8 without controls: what is not becomes '?' (Z06). */
static const struct text_case {
	const char	*in;
	const char	*want;	/* the message as the line shows it */
} text_cases[] = {
	{ "a\x80z", "a?z" },			/* a lone continuation byte */
	{ "<\xc0\xaf>", "<?" "?>" },		/* overlong '/' */
	{ "\xe2\x82z", "??z" },		/* cut short by the next character */
	{ "end\xf0\x9f\x98", "end???" },	/* cut short by the end */
	{ "\xff\xfe", "??" },			/* never in UTF-8 */
	{ "\xed\xa0\x80", "???" },		/* a UTF-16 surrogate */
	{ "t\x01\t\x7f\r\nX", "t?????X" },	/* C0 controls, DEL: one line */
	{ "csi\xc2\x9b" "2J", "csi?2J" },		/* C1 control (CSI) */
	{ "nbsp\xc2\xa0ok", "nbsp\xc2\xa0ok" },	/* U+00A0 is text */
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },	/* valid, unchanged */
};

static void
test_log_text_msg_invalid_utf8_and_controls_replaced(void **state)
{
	struct cap	 c;
	const char	*p;
	size_t		 n = sizeof(text_cases) / sizeof(text_cases[0]);

	(void)state;
	log_setup(LOG_LVL_INFO, LOG_FMT_TEXT);
	cap_start(&c);
	for (size_t i = 0; i < n; i++)
		log_info("[%s]", text_cases[i].in);
	log_request("GET", "/acme/\xff\x1b[2J", 404, 1, 2, "abcd1234");
	cap_stop(&c);
	assert_int_equal(cap_lines(&c), n + 1);
	p = c.text;
	for (size_t i = 0; i < n; i++) {
		char		 want[64];
		const char	*e = strchr(p, '\n');

		snprintf(want, sizeof(want), "[%s]\n", text_cases[i].want);
		assert_non_null(e);
		if (strncmp(e + 1 - strlen(want), want, strlen(want)) != 0)
			fail_msg("case %zu: line %.*s, want ...%s", i,
			    (int)(e - p), p, want);
		p = e + 1;
	}
	assert_non_null(strstr(p, "GET /acme/?" "?[2J 404"));
	free(c.text);
}

/* RFC 3339 §5.6 UTC times for log lines, never a raw epoch. */
static void
test_log_time_rfc3339(void **state)
{
	char buf[LOG_TIME_RFC3339_SIZE];

	(void)state;
	assert_string_equal(log_time_rfc3339(1799094582, buf),
	    "2027-01-04T20:29:42Z");
	assert_string_equal(log_time_rfc3339(0, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(log_time_rfc3339(-1, buf), "1969-12-31T23:59:59Z");
	assert_string_equal(log_time_rfc3339((time_t)253402300799LL, buf),
	    "9999-12-31T23:59:59Z");
	/* year 10000 needs 21 characters: said, not cut */
	assert_string_equal(log_time_rfc3339((time_t)253402300800LL, buf),
	    "(time out of range)");
	assert_ptr_equal(log_time_rfc3339(0, buf), buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_json_msg_invalid_utf8_is_escaped_per_byte),
		cmocka_unit_test(test_log_json_request_path_and_method_invalid_utf8_stay_json),
		cmocka_unit_test(test_log_json_truncated_line_is_still_json),
		cmocka_unit_test(test_log_text_msg_invalid_utf8_and_controls_replaced),
		cmocka_unit_test(test_log_time_rfc3339),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
